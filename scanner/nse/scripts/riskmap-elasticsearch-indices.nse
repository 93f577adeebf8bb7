local http = require "http"
local json = require "json"
local stdnse = require "stdnse"

description = [[
Checks whether Elasticsearch or OpenSearch lists its indices without authentication. It asks
for /_cat/indices?format=json and reports "access: unauthenticated" with the index count and
the first index names, or "access: auth-required" when the cluster answers 401 or 403
(security enabled: "missing authentication credentials").
]]

---
-- @usage nmap -sV -p 9200 --script riskmap-elasticsearch-indices.nse <target>
--
-- @output
-- 9200/tcp open  http  Elasticsearch REST API 7.10.2
-- | riskmap-elasticsearch-indices:
-- |   access: unauthenticated
-- |   check: GET /_cat/indices
-- |   indices: 3
-- |_  names: customers, orders, sessions

author = "riskmap"
license = "Same as Nmap--See https://nmap.org/book/man-legal.html"
categories = {"safe", "discovery"}

portrule = function(host, port)
  if port.protocol ~= "tcp" or port.state ~= "open" then
    return false
  end
  local p = (port.version or {}).product or ""
  return port.number == 9200 or p:find("Elasticsearch", 1, true) ~= nil or p:find("OpenSearch", 1, true) ~= nil
end

action = function(host, port)
  local r = http.get(host, port, "/_cat/indices?format=json", {header = {Accept = "application/json"}})
  if not r or not r.status then
    return nil
  end
  local out = stdnse.output_table()
  if r.status == 401 or r.status == 403 then
    out.access = "auth-required"
    out.check = "GET /_cat/indices"
    local reason = (r.body or ""):match('"reason"%s*:%s*"([^"]*)"') or ""
    out.answer = ("%d %s"):format(r.status, reason:sub(1, 100))
    return out
  end
  if r.status ~= 200 then
    return nil
  end
  local ok, list = json.parse(r.body or "")
  if not ok or type(list) ~= "table" then
    return nil
  end
  out.access = "unauthenticated"
  out.check = "GET /_cat/indices"
  out.indices = #list
  local names = {}
  for i, ix in ipairs(list) do
    if i > 10 then
      break
    end
    if type(ix) == "table" and ix.index then
      names[#names + 1] = ix.index
    end
  end
  if #names > 0 then
    out.names = table.concat(names, ", ")
  end
  return out
end
