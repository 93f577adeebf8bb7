local http = require "http"
local json = require "json"
local stdnse = require "stdnse"

description = [[
Checks whether a kubelet serves its API to anonymous requests. It asks for /pods and reports
"access: unauthenticated" with the pod count when the kubelet answers a PodList, and
"access: auth-required" when it answers 401 or 403 (anonymous auth off, or anonymous
requests not authorized). A kubelet that lists pods anonymously also runs commands in them.
]]

---
-- @usage nmap -sV -p 10250 --script riskmap-kubelet-pods.nse <target>
--
-- @output
-- 10250/tcp open  ssl/http  Golang net/http server
-- | riskmap-kubelet-pods:
-- |   access: auth-required
-- |   check: GET /pods
-- |_  answer: 401 Unauthorized

author = "riskmap"
license = "Same as Nmap--See https://nmap.org/book/man-legal.html"
categories = {"safe", "discovery"}

portrule = function(host, port)
  if port.protocol ~= "tcp" or port.state ~= "open" then
    return false
  end
  local v = port.version or {}
  return port.number == 10250 or port.number == 10255 or (v.product or ""):find("kubelet", 1, true) ~= nil
end

action = function(host, port)
  -- The kubelet's API (10250) is TLS; its read-only port (10255) is plain HTTP. Without
  -- version detection nmap does not know which, so ask over TLS first, then in the clear.
  local r
  for _, scheme in ipairs({"https", "http"}) do
    r = http.get(host, port, "/pods", {scheme = scheme, header = {Accept = "application/json"}})
    if r and r.status then
      break
    end
  end
  if not r or not r.status then
    return nil
  end
  local out = stdnse.output_table()
  if r.status == 401 or r.status == 403 then
    out.access = "auth-required"
    out.check = "GET /pods"
    out.answer = ("%d %s"):format(r.status, (r.body or ""):sub(1, 80):gsub("%s+$", ""))
    return out
  end
  if r.status ~= 200 then
    return nil
  end
  local ok, doc = json.parse(r.body or "")
  if not ok or type(doc) ~= "table" or doc.kind ~= "PodList" then
    return nil
  end
  out.access = "unauthenticated"
  out.check = "GET /pods"
  out.pods = #(doc.items or {})
  return out
end
