local http = require "http"
local json = require "json"
local stdnse = require "stdnse"

description = [[
Checks whether a Docker Engine API answers without TLS client certificates or an
authorization plugin. It asks for /version and, when that answers, lists the containers
(/containers/json?all=1). It reports "access: unauthenticated" with the engine and API
versions and the container count, or "access: auth-required" when the engine refuses (401,
or 403 from an authorization plugin). Anyone who can use the API starts privileged containers:
root on the host.
]]

---
-- @usage nmap -sV -p 2375 --script riskmap-docker-api.nse <target>
--
-- @output
-- 2375/tcp open  docker  Docker remote API 20.10.7
-- | riskmap-docker-api:
-- |   access: unauthenticated
-- |   check: GET /version
-- |   version: 20.10.7
-- |   api: 1.41
-- |_  containers: 0

author = "riskmap"
license = "Same as Nmap--See https://nmap.org/book/man-legal.html"
categories = {"safe", "discovery"}

portrule = function(host, port)
  if port.protocol ~= "tcp" or port.state ~= "open" then
    return false
  end
  local v = port.version or {}
  return port.number == 2375 or port.number == 2376 or v.name == "docker" or (v.product or ""):find("Docker", 1, true) ~= nil
end

local function refused(r)
  return r.status == 401 or r.status == 403
end

action = function(host, port)
  local r = http.get(host, port, "/version", {header = {Accept = "application/json"}})
  if not r or not r.status then
    return nil
  end
  local out = stdnse.output_table()
  if refused(r) then
    out.access = "auth-required"
    out.check = "GET /version"
    out.answer = ("%d %s"):format(r.status, (r.body or ""):sub(1, 120):gsub("%s+$", ""))
    return out
  end
  if r.status ~= 200 then
    return nil
  end
  local ok, doc = json.parse(r.body or "")
  if not ok or type(doc) ~= "table" or not doc.ApiVersion then
    return nil
  end
  out.access = "unauthenticated"
  out.check = "GET /version"
  out.version = doc.Version
  out.api = doc.ApiVersion
  local c = http.get(host, port, "/containers/json?all=1", {header = {Accept = "application/json"}})
  if c and c.status == 200 then
    local okc, list = json.parse(c.body or "")
    if okc and type(list) == "table" then
      out.containers = #list
    end
  end
  return out
end
