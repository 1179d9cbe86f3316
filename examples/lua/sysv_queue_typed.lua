-- sysv_queue_typed.lua - the textbook System V message queue pair: a
-- client and a server share one queue and tell messages apart by type.
--
-- The client (the parent) queues requests of type 1 ("upper-case this")
-- and type 2 ("count the bytes of this"), then type 9 ("stop"), and starts
-- the server (this same script with the argument "server"). The server
-- takes the lowest type first (receive type -9: every type 1 request
-- before the older type 2 one) and answers each on the client's own reply
-- type, its pid, which the server's receive(-9) never takes. The client
-- removes the queue at the end: System V queues outlive every process.
--
--   lua5.4 sysv_queue_typed.lua     exits 0 when every answer is right
local ipc = require "ipc"

local UPPER, LENGTH, STOP = 1, 2, 9

local function interpreter()
  local i = -1
  while arg[i - 1] ~= nil do i = i - 1 end
  return arg[i]
end

-- A request carries the client's pid (its reply type) and the text.
local function server(key)
  local sq <close> = assert(ipc.sysvmq(key))
  while true do
    local msg, mtype = assert(sq:receive(-STOP, 5))
    if mtype == STOP then return true end
    local client, text = string.unpack("<I4s2", msg)
    local answer = mtype == UPPER and text:upper() or tostring(#text)
    print(string.format("server: type %d %q -> %q", mtype, text, answer))
    assert(sq:send(answer, client, 5))
  end
end

-- A key "like 1234" that no other run uses: 0x04d2 above our pid's low
-- bits. Exclusive create, and the next key on a collision.
local function create_queue()
  local base = 0x04d20000 | (ipc.getpid() & 0xffff)
  for k = base, base + 15 do
    local sq, msg, err = ipc.sysvmq(k, {create = true, exclusive = true})
    if sq then return sq end
    if err ~= ipc.errno.EEXIST then error(msg) end
  end
  error("no free key near " .. base)
end

local function client()
  local sq <close> = create_queue()
  local me = ipc.getpid()
  local ok, err = pcall(function()
    local function request(mtype, text)
      assert(sq:send(string.pack("<I4s2", me, text), mtype))
    end
    request(LENGTH, "four")
    request(UPPER, "hello")
    request(UPPER, "world")
    request(STOP, "")
    local p <close> = assert(ipc.spawn({interpreter(), arg[0], "server", tostring(sq:key())}))
    for _, want in ipairs({"HELLO", "WORLD", "4"}) do
      local answer = assert(sq:receive(me, 5))
      print("client: answer " .. answer)
      assert(answer == want, "expected " .. want)
    end
    assert(assert(p:wait(10)) == 0, "the server failed")
  end)
  sq:remove()
  if not ok then error(err, 0) end
end

if arg[1] == "server" then
  os.exit(server(tonumber(arg[2])) and 0 or 1)
end
client()
