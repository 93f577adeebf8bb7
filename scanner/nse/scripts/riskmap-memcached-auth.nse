local nmap = require "nmap"
local shortport = require "shortport"
local stdnse = require "stdnse"

description = [[
Checks whether a memcached server serves requests without authentication. It sends the text
protocol's "stats" and reports "access: unauthenticated" with the item count when the server
answers STAT lines, and "access: auth-required" when it answers "CLIENT_ERROR
unauthenticated" (memcached 1.5.15 and later started with -Y, an authentication file).
]]

---
-- @usage nmap -p 11211 --script riskmap-memcached-auth.nse <target>
--
-- @output
-- 11211/tcp open  memcache
-- | riskmap-memcached-auth:
-- |   access: unauthenticated
-- |   check: stats
-- |   version: 1.6.14
-- |_  items: 104

author = "riskmap"
license = "Same as Nmap--See https://nmap.org/book/man-legal.html"
categories = {"safe", "discovery"}

portrule = shortport.port_or_service(11211, {"memcache", "memcached"}, "tcp")

action = function(host, port)
  local socket = nmap.new_socket()
  socket:set_timeout(5000)
  if not socket:connect(host, port) then
    return nil
  end
  if not socket:send("stats\r\n") then
    socket:close()
    return nil
  end
  local lines = {}
  for _ = 1, 200 do
    local status, line = socket:receive_buf("\r\n", false)
    if not status then
      break
    end
    lines[#lines + 1] = line
    if line == "END" or line:match("^CLIENT_ERROR") or line:match("^ERROR") or line:match("^SERVER_ERROR") then
      break
    end
  end
  socket:close()
  if #lines == 0 then
    return nil
  end
  local out = stdnse.output_table()
  if lines[1]:match("^STAT ") then
    out.access = "unauthenticated"
    out.check = "stats"
    for _, l in ipairs(lines) do
      local k, v = l:match("^STAT (%S+) (.*)$")
      if k == "version" then
        out.version = v
      elseif k == "curr_items" or (k == "total_items" and out.items == nil) then
        out.items = v
      end
    end
    return out
  end
  if lines[1]:match("^CLIENT_ERROR unauthenticated") or lines[1]:match("^CLIENT_ERROR authentication") then
    out.access = "auth-required"
    out.check = "stats"
    out.answer = lines[1]
    return out
  end
  return nil
end
