-- spec/interop_spec.lua: Lua and Python over every channel kind, both
-- ways, compared byte for byte. The Python side is the ipc package (the
-- SWIG binding of the same C core): the proof that both languages speak
-- the same frames, queues, rings and sockets.
--
-- The messages to send travel to Python in a file of hex lines; a Python
-- reader writes what it received to another such file, which Lua compares
-- with what it sent. Python runs in the background (io.popen, or
-- ipc.spawn for a pipe handed down as a descriptor); it prints "ready"
-- lines when Lua must wait for it (a bound datagram socket).
local ipc = require "ipc"
local H = require "helper"

local T = 10 -- seconds any one step may take (a generous bound)

-- A binary string of n bytes with every byte value, zeros included.
local function binary(n)
  local t = {}
  for i = 1, n do t[i] = string.char((i * 7 + i // 256) % 256) end
  return table.concat(t)
end

local ALL_BYTES = binary(256)

-- The messages for a kind whose largest message is big bytes; "end"
-- comes last (on unixpacket an empty record just before the close
-- would read as the end of the stream).
local function messages(big)
  return {"hello", "", "\0", ALL_BYTES, "a\0b\0c\0", binary(big), "end"}
end

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function unhex(h)
  return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

local function write_msgs(path, msgs)
  local f = assert(io.open(path, "wb"))
  for _, m in ipairs(msgs) do f:write(hex(m), "\n") end
  f:close()
end

local function read_msgs(path)
  local msgs = {}
  local f = io.open(path, "rb")
  if not f then return msgs end
  for l in f:lines() do msgs[#msgs + 1] = unhex(l) end
  f:close()
  return msgs
end

-- Byte for byte, naming the first message that differs.
local function assert_same(want, got)
  assert.equal(#want, #got, "message count")
  for i = 1, #want do
    assert.is_true(want[i] == got[i], string.format(
      "message %d differs: %d bytes sent, %d received", i, #want[i], #got[i]))
  end
end

-- What every Python side starts with: argv[1] the messages to send (hex
-- lines), argv[2] where to write those received, argv[3] an address.
local PRELUDE = [==[
import sys, ipc
T = 10.0
def load():
    with open(sys.argv[1]) as f:
        return [bytes.fromhex(l) for l in f.read().split("\n")[:-1]]
def save(msgs):
    with open(sys.argv[2], "w") as f:
        f.write("".join(m.hex() + "\n" for m in msgs))
def ready(*extra):
    print("ready", *extra, flush=True)
def send_all(ch):
    for m in load():
        ch.send(m, T)
def recv_n(ch):
    save([ch.recv(T) for _ in load()])
ARG = sys.argv[3]
]==]

-- A Python child in the background; child:line() reads a line it prints,
-- child:wait() waits for it and returns ok, output.
local function python(body, inpath, outpath, arg)
  local words = {H.quote(H.python), "-c", H.quote(PRELUDE .. body),
                 H.quote(inpath), H.quote(outpath), H.quote(arg or "")}
  local f = assert(io.popen("env " .. H.child_env() .. " " .. table.concat(words, " ") .. " 2>&1"))
  local child = {done = false}
  function child:line() return f:read("l") end
  function child:wait()
    if self.done then return end
    self.done = true
    local out = f:read("a")
    return f:close(), out
  end
  H.defer(function() child:wait() end) -- reaped even when a test fails
  return child
end

-- Run one direction: setup the files, let @lua_side talk to the Python
-- child, then compare what the receiver got with what was sent.
--   lua_to_py: lua_side(msgs, child) sends; Python saves what it got.
--   py_to_lua: lua_side(child) returns the messages Lua received.
local function lua_to_py(big, body, arg, lua_side)
  local msgs = messages(big)
  local inpath, outpath = H.path("in"), H.path("out")
  write_msgs(inpath, msgs)
  local child = python(body, inpath, outpath, arg)
  lua_side(msgs, child)
  local ok, out = child:wait()
  assert.is_true(ok, out)
  assert_same(msgs, read_msgs(outpath))
end

local function py_to_lua(big, body, arg, lua_side)
  local msgs = messages(big)
  local inpath, outpath = H.path("in"), H.path("out")
  write_msgs(inpath, msgs)
  local child = python(body, inpath, outpath, arg)
  local got = lua_side(#msgs, child)
  local ok, out = child:wait()
  assert.is_true(ok, out)
  assert_same(msgs, got)
end

local function send_all(ch, msgs)
  for _, m in ipairs(msgs) do assert.is_true(ch:send(m, T)) end
end

local function recv_n(ch, n)
  local got = {}
  for i = 1, n do got[i] = assert(ch:recv(T)) end
  return got
end

local function recv_to_end(ch)
  local got = {}
  for m in ch:messages(T) do got[#got + 1] = m end
  return got
end

local counter = 0
local function abstract()
  counter = counter + 1
  return string.format("@ipc-test-%d-%d-interop", ipc.getpid(), counter)
end

describe("Lua <-> Python interop", function()
  after_each(H.cleanup)

  describe("pipe handed to a child as fd:3 (endpoint \"in\"/\"out\")", function()
    -- ipc.spawn shares our pipe end with the child at descriptor 3; the
    -- child finds it through IPC_ENDPOINTS.
    local function spawn(body, inpath, outpath, chan, direction)
      local p = assert(ipc.spawn(
        {"env", "PYTHONPATH=" .. H.build .. "/python", H.python, "-c",
         PRELUDE .. body, inpath, outpath, direction},
        {fds = {[3] = chan}, endpoints = {[direction == "r" and "in" or "out"] = "fd:3"}}))
      assert(chan:close()) -- the child has its own copy now
      return p
    end

    it("Lua writes, Python reads", function()
      local msgs = messages(100000)
      local inpath, outpath = H.path("in"), H.path("out")
      write_msgs(inpath, msgs)
      local r, w = ipc.pipe()
      local _w <close> = w
      local p = spawn([[
ch = ipc.endpoint("in", T)
save(list(ch.messages(T)))
ch.close()
]], inpath, outpath, r, "r")
      send_all(w, msgs)
      w:close()
      assert.equal(0, p:wait(T))
      assert_same(msgs, read_msgs(outpath))
    end)

    it("Python writes, Lua reads", function()
      local msgs = messages(100000)
      local inpath = H.path("in")
      write_msgs(inpath, msgs)
      local r, w = ipc.pipe()
      local _r <close> = r
      local p = spawn([[
ch = ipc.endpoint("out", T)
send_all(ch)
ch.close()
]], inpath, H.path("out"), w, "w")
      local got = recv_to_end(r)
      assert.equal(0, p:wait(T))
      assert_same(msgs, got)
    end)
  end)

  describe("fifo:", function()
    it("Lua writes, Python reads", function()
      local path = H.path("fifo")
      lua_to_py(100000, [[
ch = ipc.Fifo(ARG, "r", create=True)
save(list(ch.messages(T)))
ch.close()
]], path, function(msgs)
        local w <close> = assert(ipc.fifo(path, "w", {create = true, timeout = T}))
        send_all(w, msgs)
      end)
    end)

    it("Python writes, Lua reads", function()
      local path = H.path("fifo")
      local r <close> = assert(ipc.fifo(path, "r", {create = true}))
      py_to_lua(100000, [[
ch = ipc.Fifo(ARG, "w", create=False, timeout=T)
send_all(ch)
ch.close()
]], path, function() return recv_to_end(r) end)
    end)
  end)

  describe("mq:", function()
    local function queue()
      local name = H.name("q", "mq")
      local q = assert(ipc.open("mq:" .. name, "rw", {create = true, max_message_size = 8192}))
      return q, name
    end

    it("Lua writes, Python reads", function()
      local q <close>, name = queue()
      lua_to_py(8192, [[
ch = ipc.open("mq:" + ARG, "r")
recv_n(ch)
ch.close()
]], name, function(msgs) send_all(q, msgs) end)
    end)

    it("Python writes, Lua reads", function()
      local q <close>, name = queue()
      py_to_lua(8192, [[
ch = ipc.open("mq:" + ARG, "w")
send_all(ch)
ch.close()
]], name, function(n) return recv_n(q, n) end)
    end)
  end)

  describe("sysvmq:", function()
    it("Lua writes, Python reads", function()
      local key = H.key()
      local q <close> = assert(ipc.open("sysvmq:" .. key, "rw", {create = true}))
      lua_to_py(8192, [[
ch = ipc.open("sysvmq:" + ARG, "r")
recv_n(ch)
ch.close()
]], tostring(key), function(msgs) send_all(q, msgs) end)
    end)

    it("Python writes, Lua reads", function()
      local key = H.key()
      local q <close> = assert(ipc.open("sysvmq:" .. key, "rw", {create = true}))
      py_to_lua(8192, [[
ch = ipc.open("sysvmq:" + ARG, "w")
send_all(ch)
ch.close()
]], tostring(key), function(n) return recv_n(q, n) end)
    end)
  end)

  describe("ring:", function()
    it("Lua writes, Python reads", function()
      local name = H.name("ring", "ring")
      local r <close> = assert(ipc.ring(name, {create = true, capacity = 1 << 20}))
      lua_to_py(100000, [[
ch = ipc.Ring(ARG)
recv_n(ch)
ch.close()
]], name, function(msgs) send_all(r, msgs) end)
    end)

    it("Python writes, Lua reads", function()
      local name = H.name("ring", "ring")
      local r <close> = assert(ipc.ring(name, {create = true, capacity = 1 << 20}))
      py_to_lua(100000, [[
ch = ipc.Ring(ARG)
send_all(ch)
ch.close()
]], name, function(n) return recv_n(r, n) end)
    end)
  end)

  -- Stream kinds: Lua listens, Python connects, in both directions. The
  -- receiver reads to the end of the stream, except on unixpacket, where
  -- the sender also waits for the receiver's "ack" before it closes: the
  -- test then does not depend on how an empty record and a close that
  -- overtakes the reader are told apart (docs/channels.md).
  local STREAMS = {
    {"unix", function() return "unix:" .. H.path("sock") end},
    {"unix @abstract", function() return "unix:" .. abstract() end},
    {"unixpacket", function() return "unixpacket:" .. H.path("sock") end, true},
    {"tcp", function() return "tcp://127.0.0.1:0" end},
  }
  for _, k in ipairs(STREAMS) do
    local kind, address, ack = k[1], k[2], k[3]
    describe(kind, function()
      it("Lua writes, Python reads", function()
        local l <close> = assert(ipc.listen(address()))
        lua_to_py(100000, ack and [[
ch = ipc.connect(ARG, T)
recv_n(ch)
ch.send(b"ack", T)
ch.close()
]] or [[
ch = ipc.connect(ARG, T)
save(list(ch.messages(T)))
ch.close()
]], l:url(), function(msgs)
          local s <close> = assert(l:accept(T))
          send_all(s, msgs)
          if ack then assert.equal("ack", s:recv(T)) end
        end)
      end)

      it("Python writes, Lua reads", function()
        local l <close> = assert(ipc.listen(address()))
        py_to_lua(100000, ack and [[
ch = ipc.connect(ARG, T)
send_all(ch)
assert ch.recv(T) == b"ack"
ch.close()
]] or [[
ch = ipc.connect(ARG, T)
send_all(ch)
ch.close()
]], l:url(), function(n)
          local s <close> = assert(l:accept(T))
          if not ack then return recv_to_end(s) end
          local got = recv_n(s, n)
          assert(s:send("ack", T))
          return got
        end)
      end)
    end)
  end

  -- Datagram kinds: the receiver binds; a Python receiver says where.
  local DATAGRAMS = {
    {"unixgram", function() return "unixgram:" .. H.path("sock") end, 100000},
    -- 65,507 bytes is the most a UDP datagram carries: less than 64 KiB
    {"udp", function() return "udp://127.0.0.1:0" end, 65507},
  }
  for _, k in ipairs(DATAGRAMS) do
    local kind, address, big = k[1], k[2], k[3]
    describe(kind, function()
      it("Lua writes, Python reads", function()
        lua_to_py(big, [[
ch = ipc.listen(ARG)
ready(ch.url)
recv_n(ch)
ch.close()
]], address(), function(msgs, child)
          local line = child:line()
          if not line then error(select(2, child:wait())) end
          local url = line:match("^ready (.+)$")
          assert.is_string(url, line)
          local c <close> = assert(ipc.connect(url, T))
          send_all(c, msgs)
        end)
      end)

      it("Python writes, Lua reads", function()
        local b <close> = assert(ipc.listen(address()))
        py_to_lua(big, [[
ch = ipc.connect(ARG, T)
send_all(ch)
ch.close()
]], b:url(), function(n) return recv_n(b, n) end)
      end)
    end)
  end
end)
