local base64 = require "base64"
local http = require "http"
local json = require "json"
local stdnse = require "stdnse"

description = [[
Checks whether etcd serves keys without authentication. It reads /version, then asks the v3
API (the JSON gateway, /v3/kv/range, then /v3beta/kv/range of etcd 3.3) for at most 10 keys,
keys only, and falls back to the v2 API (/v2/keys/). It reports "access: unauthenticated"
with the key count and the first keys, or "access: auth-required" when etcd refuses ("user
name is empty", "invalid auth token", "permission denied", 401 or 403). Values are never
read.
]]

---
-- @usage nmap -sV -p 2379 --script riskmap-etcd-keys.nse <target>
--
-- @output
-- 2379/tcp open  etcd-client
-- | riskmap-etcd-keys:
-- |   access: unauthenticated
-- |   check: POST /v3/kv/range (keys only)
-- |   version: 3.5.9
-- |   keys: 3
-- |_  first: /registry/namespaces/default, /registry/secrets/default/db, /registry/ranges/serviceips

author = "riskmap"
license = "Same as Nmap--See https://nmap.org/book/man-legal.html"
categories = {"safe", "discovery"}

portrule = function(host, port)
  if port.protocol ~= "tcp" or port.state ~= "open" then
    return false
  end
  local v = port.version or {}
  return port.number == 2379 or v.name == "etcd-client" or (v.product or ""):find("etcd", 1, true) ~= nil
end

local function authRefusal(r)
  local body = r.body or ""
  return r.status == 401 or r.status == 403 or body:find("user name is empty", 1, true) ~= nil or
    body:find("invalid auth token", 1, true) ~= nil or body:find("permission denied", 1, true) ~= nil or
    body:find("requires user authentication", 1, true) ~= nil
end

action = function(host, port)
  local out = stdnse.output_table()
  local v = http.get(host, port, "/version")
  local version
  if v and v.status == 200 then
    local ok, doc = json.parse(v.body or "")
    if ok and type(doc) == "table" then
      version = doc.etcdserver
    end
  end
  local body = '{"key":"AA==","range_end":"AA==","keys_only":true,"limit":10}'
  for _, path in ipairs({"/v3/kv/range", "/v3beta/kv/range"}) do
    local r = http.post(host, port, path, {header = {["Content-Type"] = "application/json"}}, nil, body)
    if r and r.status and r.status ~= 404 then
      local check = "POST " .. path .. " (keys only)"
      if authRefusal(r) then
        out.access = "auth-required"
        out.check = check
        out.version = version
        out.answer = ("%d %s"):format(r.status, (r.body or ""):sub(1, 100):gsub("%s+$", ""))
        return out
      end
      local ok, doc = json.parse(r.body or "")
      if r.status == 200 and ok and type(doc) == "table" and doc.header then
        out.access = "unauthenticated"
        out.check = check
        out.version = version
        out.keys = tonumber(doc.count or "0") or 0
        local names = {}
        for _, kv in ipairs(doc.kvs or {}) do
          local k = kv.key and base64.dec(kv.key)
          if k then
            names[#names + 1] = k
          end
        end
        if #names > 0 then
          out.first = table.concat(names, ", ")
        end
        return out
      end
    end
  end
  local r = http.get(host, port, "/v2/keys/")
  if not r or not r.status then
    return nil
  end
  if authRefusal(r) then
    out.access = "auth-required"
    out.check = "GET /v2/keys/"
    out.version = version
    out.answer = ("%d %s"):format(r.status, (r.body or ""):sub(1, 100):gsub("%s+$", ""))
    return out
  end
  local ok, doc = json.parse(r.body or "")
  if r.status == 200 and ok and type(doc) == "table" and type(doc.node) == "table" then
    out.access = "unauthenticated"
    out.check = "GET /v2/keys/"
    out.version = version
    local nodes = doc.node.nodes or {}
    out.keys = #nodes
    local names = {}
    for i, n in ipairs(nodes) do
      if i > 10 then
        break
      end
      names[#names + 1] = n.key
    end
    if #names > 0 then
      out.first = table.concat(names, ", ")
    end
    return out
  end
  return nil
end
