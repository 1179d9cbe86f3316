-- rpc_calc.lua - a calculator served with ipc.rpc and called from another
-- process (docs/rpc.md). Any channel URL works; here a Unix socket. A
-- Python client (ipc.rpc.connect(url).add(2, 3)) could call the same
-- server, and this client a Python server.
--
-- The parent starts the server (this same script with the argument
-- "server"), connects, calls, and ends the server with SIGTERM: serve
-- then returns after the call under way and the server exits 0, its
-- socket file removed.
--
--   lua5.4 rpc_calc.lua             exits 0 when every answer is right
local ipc = require "ipc"

local function interpreter()
  local i = -1
  while arg[i - 1] ~= nil do i = i - 1 end
  return arg[i]
end

local function server(url)
  local calls = 0
  assert(ipc.rpc.serve(url, {
    add = function(a, b) calls = calls + 1 return a + b end,
    div = function(a, b)
      calls = calls + 1
      if b == 0 then error("division by zero", 0) end  -- the caller's error message
      return a / b
    end,
    stats = function() return {calls = calls, pid = ipc.getpid()} end,
    sqrt = assert(ipc.native("libm.so.6", "sqrt", "double(double)")),  -- C, served as is
  }))
  print("server: stopped after " .. calls .. " calls")
end

local function client(url)
  local p <close> = assert(ipc.spawn({interpreter(), arg[0], "server", url}))
  -- The server listens once its socket file is there: retry briefly.
  local calc, msg, err
  local deadline = ipc.now() + 5
  repeat
    calc, msg, err = ipc.rpc.connect(url, 5)
    if not calc then
      local r <close>, w = ipc.pipe()
      r:recv(0.02)                   -- a short sleep
    end
  until calc or ipc.now() > deadline
  assert(calc, msg)

  print("2 + 3 = " .. calc.add(2, 3))
  print("7 / 2 = " .. calc.div(7, 2))
  print("sqrt(2) = " .. calc.sqrt(2))
  local ok, e = pcall(calc.div, 1, 0)
  print("1 / 0 raised: " .. e)       -- rpc: div: division by zero
  assert(not ok and e == "rpc: div: division by zero")
  local s = calc.stats()
  assert(s.calls == 3 and s.pid == p:pid())
  print("server pid " .. s.pid .. " answered " .. s.calls .. " calls")
  ipc.rpc.close(calc)

  assert(p:kill("TERM"))
  assert(assert(p:wait(10)) == 0, "the server failed")
end

if arg[1] == "server" then
  server(arg[2])
  os.exit(0)
end
local dir = os.getenv("TMPDIR") or "/tmp"
client(string.format("unix:%s/ipc-example-calc-%d.sock", dir, ipc.getpid()))
print("rpc_calc: ok")
