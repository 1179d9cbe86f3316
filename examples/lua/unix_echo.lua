-- unix_echo.lua - a Unix-socket echo server and its client, speaking
-- framed messages (a u32 little-endian length and the bytes, the wire
-- format of docs/frame.md: a C or Python peer could take either side).
--
-- The server (the parent) listens on a socket file, starts the client
-- (this same script with the argument "client"), accepts its connection,
-- checks who connected (the kernel's peer credentials) and echoes every
-- message until the client hangs up. The socket file is removed at the
-- end.
--
--   lua5.4 unix_echo.lua            exits 0 when every echo came back
local ipc = require "ipc"

local function interpreter()
  local i = -1
  while arg[i - 1] ~= nil do i = i - 1 end
  return arg[i]
end

local function client(url)
  local c <close> = assert(ipc.connect(url, 5))
  for _, text in ipairs({"hello", "binary\0safe", ""}) do
    assert(c:send(text, 5))
    local echo = assert(c:recv(5))
    print(string.format("client: sent %q, got %q", text, echo))
    assert(echo == text)
  end
  return true                      -- closing hangs up: the server's loop ends
end

local function server()
  local dir = os.getenv("TMPDIR") or "/tmp"
  local url = string.format("unix:%s/ipc-example-echo-%d.sock", dir, ipc.getpid())
  local l <close> = assert(ipc.listen(url))
  local ok, err = pcall(function()
    local p <close> = assert(ipc.spawn({interpreter(), arg[0], "client", url}))
    local c <close> = assert(l:accept(5))
    local pid = c:peer_credentials()
    print("server: connection from pid " .. pid)
    assert(pid == p:pid())
    local n = 0
    for msg in c:messages(5) do    -- until the client hangs up
      assert(c:send(msg, 5))
      n = n + 1
    end
    print("server: echoed " .. n .. " messages")
    assert(assert(p:wait(10)) == 0, "the client failed")
  end)
  l:unlink()                       -- the socket file outlives the listener
  if not ok then error(err, 0) end
end

if arg[1] == "client" then
  os.exit(client(arg[2]) and 0 or 1)
end
server()
