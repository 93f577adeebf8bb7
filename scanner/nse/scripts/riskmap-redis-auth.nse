local nmap = require "nmap"
local shortport = require "shortport"
local stdnse = require "stdnse"

description = [[
Checks whether a Redis server answers commands without authentication. It sends PING and
reports "access: unauthenticated" when the server answers +PONG, and "access: auth-required"
when it refuses (-NOAUTH, or "operation not permitted" from servers before 2.8). nmap's
redis-info prints nothing when Redis asks for a password; this check says so, which is what
lets riskmap downgrade a reachable Redis that requires credentials.
]]

---
-- @usage nmap -p 6379 --script riskmap-redis-auth.nse <target>
--
-- @output
-- 6379/tcp open  redis
-- | riskmap-redis-auth:
-- |   access: auth-required
-- |   check: PING
-- |_  answer: -NOAUTH Authentication required.

author = "riskmap"
license = "Same as Nmap--See https://nmap.org/book/man-legal.html"
categories = {"safe", "discovery"}

portrule = shortport.port_or_service(6379, "redis", "tcp")

action = function(host, port)
  local socket = nmap.new_socket()
  socket:set_timeout(5000)
  if not socket:connect(host, port) then
    return nil
  end
  local ok = socket:send("*1\r\n$4\r\nPING\r\n")
  if not ok then
    socket:close()
    return nil
  end
  local status, line = socket:receive_buf("\r\n", false)
  socket:close()
  if not status or not line then
    return nil
  end
  local out = stdnse.output_table()
  if line == "+PONG" then
    out.access = "unauthenticated"
  elseif line:match("^%-NOAUTH") or line:match("^%-ERR operation not permitted") or line:match("^%-ERR.*[Aa]uthentication required") then
    out.access = "auth-required"
  else
    return nil
  end
  out.check = "PING"
  out.answer = line
  return out
end
