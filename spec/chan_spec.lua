-- spec/chan_spec.lua: ipc.open() over the queue kinds (mq:, sysvmq:),
-- what every channel shares (URLs, options, metadata), and ipc.endpoint().
local ipc = require "ipc"
local H = require "helper"

local E = ipc.errno

-- Whether descriptor fd is open in this process (fdinfo, unlike fd/N,
-- never opens the object itself; a listing through a child process would
-- race with the descriptors popen itself opens and closes).
local function is_open(fd)
  local f = io.open("/proc/self/fdinfo/" .. fd)
  if f then f:close() end
  return f ~= nil
end

local function elapsed(fn)
  local t0 = ipc.now()
  local a, b, c = fn()
  return ipc.now() - t0, a, b, c
end

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function file_mode(path)
  local p = io.popen("stat -c %a " .. H.quote(path))
  local m = p:read("l")
  p:close()
  return m
end

-- A POSIX queue through ctypes over libc, independent of ipc: receive one
-- message (printed as hex and priority), send one back with priority 7.
local MQ_PEER = [[
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int]
libc.mq_receive.restype = ctypes.c_ssize_t
libc.mq_receive.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t,
                            ctypes.POINTER(ctypes.c_uint)]
libc.mq_send.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t,
                         ctypes.c_uint]
q = libc.mq_open(sys.argv[1].encode(), os.O_RDWR)
if q < 0:
    raise OSError(ctypes.get_errno(), "mq_open")
buf = ctypes.create_string_buffer(8192)
prio = ctypes.c_uint()
n = libc.mq_receive(q, buf, 8192, ctypes.byref(prio))
if n < 0:
    raise OSError(ctypes.get_errno(), "mq_receive")
print(buf.raw[:n].hex(), prio.value)
data = b"from\0python"
if libc.mq_send(q, data, len(data), 7) < 0:
    raise OSError(ctypes.get_errno(), "mq_send")
libc.mq_close(q)
]]

-- A System V queue through python3-sysv-ipc.
local SYSVMQ_PEER = [[
import sys, sysv_ipc
q = sysv_ipc.MessageQueue(int(sys.argv[1]))
msg, t = q.receive(type=4, block=False)
print(msg.hex(), t)
q.send(b"\0sysv\0", type=9)
]]

describe("channels", function()
  after_each(H.cleanup)

  describe("mq:", function()
    local function queue(opts)
      local name = H.name("q", "mq")
      opts = opts or {}
      opts.create = true
      local q = assert(ipc.open("mq:" .. name, "rw", opts))
      return q, name
    end

    it("round trip: whole messages, binary and up to the size limit", function()
      local q <close> = queue{max_messages = 8, max_message_size = 1024}
      assert.equal(1024, q:max_message())
      assert.equal("mq", q:kind())
      local msgs = {"a", "", "\0\1\0", string.rep("\0\255", 512)}
      for _, m in ipairs(msgs) do assert.is_true(q:send(m, 1)) end
      for _, m in ipairs(msgs) do assert.equal(m, q:recv(1)) end
      assert.is_number(q:fd())
    end)

    it("orders by priority and gives it back with recv_meta", function()
      local q <close> = queue()
      q:send("low", 0, {priority = 1})
      q:send("high", 0, {priority = 9})
      q:send("mid", 0, {priority = 5})
      assert.same({"high", 9, 0}, {q:recv_meta(0)})
      assert.same({"mid", 5, 0}, {q:recv_meta(0)})
      assert.equal("low", q:recv(0))
      assert.equal(E.EINVAL, select(3, q:send("x", 0, {type = 2})))
    end)

    it("separate ends: a writer and a reader of one queue", function()
      local name = H.name("q", "mq")
      local w <close> = assert(ipc.open("mq:" .. name, "w", {create = true}))
      local r <close> = assert(ipc.open("mq:" .. name, "r"))
      assert(w:send("to the reader"))
      assert.equal("to the reader", r:recv(1))
      assert.equal(E.EINVAL, select(3, r:send("x", 0)))
      assert.is_false(w:readable())
    end)

    it("creates the queue with the mode asked", function()
      local q, name = queue{mode = tonumber("640", 8)}
      q:close()
      assert.equal("640", file_mode("/dev/mqueue" .. name))
      local name2 = H.name("q", "mq")
      local q2 <close> = assert(ipc.open("mq:" .. name2 .. "?create=1&mode=0604"))
      assert.equal("604", file_mode("/dev/mqueue" .. name2))
    end)

    it("talks to libc's mq_* through Python ctypes", function()
      local q <close>, name = queue{max_message_size = 1024}
      assert(q:send("to\0c", 1, {priority = 5}))
      local ok, out = H.run_python(MQ_PEER, name)
      assert.is_true(ok, out)
      assert.equal(hex("to\0c") .. " 5\n", out)
      assert.same({"from\0python", 7, 0}, {q:recv_meta(1)})
    end)

    it("would-block: empty and full queues", function()
      local q <close> = queue{max_messages = 2, max_message_size = 64}
      assert.equal(E.EAGAIN, select(3, q:recv(0)))
      local t, ok, _, errno = elapsed(function() return q:recv(0.1) end)
      assert.is_nil(ok)
      assert.equal(E.ETIMEDOUT, errno)
      assert.is_true(t >= 0.1 and t < 2, "took " .. t)
      assert(q:send("1", 0))
      assert(q:send("2", 0))
      assert.equal(E.EAGAIN, select(3, q:send("3", 0)))
      t, ok, _, errno = elapsed(function() return q:send("3", 0.1) end)
      assert.equal(E.ETIMEDOUT, errno)
      assert.is_true(t >= 0.1 and t < 2, "took " .. t)
      -- a message over the limit is refused before anything happens
      q:recv(0)
      assert.equal(E.EMSGSIZE, select(3, q:send(string.rep("x", 65), 0)))
    end)

    it("ENOENT without create, EEXIST with exclusive, unlink", function()
      local name = H.name("q", "mq")
      local ok, msg, errno = ipc.open("mq:" .. name, "rw")
      assert.is_nil(ok)
      assert.equal(E.ENOENT, errno)
      assert.matches("^open: ", msg)
      local q = assert(ipc.open("mq:" .. name, "rw", {create = true, exclusive = true}))
      assert.equal(E.EEXIST, select(3, ipc.open("mq:" .. name, "rw", {create = true, exclusive = true})))
      assert.equal(E.EEXIST, select(3, ipc.open("mq:" .. name .. "?create=1&exclusive=1")))
      q:close()
      assert.is_true(q:unlink()) -- works after close
      assert.equal(E.ENOENT, select(3, q:unlink()))
      assert.equal(E.ENOENT, select(3, ipc.unlink("mq:" .. name)))
    end)

    it("has no raw bytes, descriptors or credentials", function()
      local q <close> = queue()
      assert.equal(E.EOPNOTSUPP, select(3, q:write("x", 0)))
      assert.equal(E.EOPNOTSUPP, select(3, q:read(1, 0)))
      assert.equal(E.EOPNOTSUPP, select(3, q:send_fds("x", {0}, 0)))
      assert.equal(E.EOPNOTSUPP, select(3, q:peer_credentials()))
      assert.has_error(function() q:stats() end, "not a ring channel")
      assert.has_error(function() q:name() end, "not a ring channel")
    end)

    it("raises on a closed queue channel; __gc and __close close it", function()
      local q = queue()
      q:close()
      assert.has_error(function() q:send("x") end, "attempt to use a closed ipc.Channel")
      assert.has_error(function() q:recv_meta(0) end, "attempt to use a closed ipc.Channel")
      local fd
      do
        local q2 = queue()
        fd = q2:fd()
        assert.is_true(is_open(fd))
        q2 = nil
      end
      collectgarbage()
      collectgarbage()
      assert.is_false(is_open(fd))
      local keep
      do
        local q3 <close> = queue()
        keep, fd = q3, q3:fd()
      end
      assert.equal("ipc.Channel (closed)", tostring(keep))
      assert.is_false(is_open(fd))
    end)
  end)

  describe("sysvmq:", function()
    local function queue(opts)
      local key = H.key()
      opts = opts or {}
      opts.create = true
      return assert(ipc.open("sysvmq:" .. key, "rw", opts)), key
    end

    it("round trip with types, selecting by type", function()
      local q <close> = queue()
      assert.equal("sysvmq", q:kind())
      assert.is_nil(q:fd())
      assert(q:send("plain\0"))
      assert(q:send("three", 0, {type = 3}))
      assert(q:send("two", 0, {type = 2}))
      assert.equal("three", q:recv(0, {type = 3}))
      assert.same({"plain\0", 0, 1}, {q:recv_meta(0)}) -- type 0 sends type 1
      assert.same({"two", 0, 2}, {q:recv_meta(0)})
      assert.equal(E.EINVAL, select(3, q:send("x", 0, {priority = 1})))
      assert.equal(8192, q:max_message())
      local big = string.rep("\0\1\2\3", 2048)
      assert(q:send(big, 1))
      assert.equal(big, q:recv(1))
    end)

    it("talks to python3-sysv-ipc", function()
      local q <close>, key = queue()
      assert(q:send("to\0sysv", 1, {type = 4}))
      local ok, out = H.run_python(SYSVMQ_PEER, tostring(key))
      assert.is_true(ok, out)
      assert.equal(hex("to\0sysv") .. " 4\n", out)
      assert.same({"\0sysv\0", 0, 9}, {q:recv_meta(1)})
    end)

    it("would-block: empty queue, and a type nobody sent", function()
      local q <close> = queue()
      assert.equal(E.EAGAIN, select(3, q:recv(0)))
      q:send("one", 0, {type = 1})
      assert.equal(E.EAGAIN, select(3, q:recv(0, {type = 2})))
      local t, ok, _, errno = elapsed(function() return q:recv(0.1, {type = 2}) end)
      assert.is_nil(ok)
      assert.equal(E.ETIMEDOUT, errno)
      assert.is_true(t >= 0.1 and t < 2, "took " .. t)
      assert.equal(E.EMSGSIZE, select(3, q:send(string.rep("x", 8193), 0)))
    end)

    it("ENOENT without create, EEXIST with exclusive, EIDRM once removed", function()
      local key = H.key()
      assert.equal(E.ENOENT, select(3, ipc.open("sysvmq:" .. key)))
      local q <close> = assert(ipc.open("sysvmq:" .. key, "rw", {create = true, exclusive = true}))
      assert.equal(E.EEXIST, select(3, ipc.open("sysvmq:" .. key, "rw", {create = true, exclusive = true})))
      assert.is_true(q:unlink())
      assert.equal(E.EIDRM, select(3, q:recv(1)))
    end)

    it("raises on a closed channel and on bad selections", function()
      local q = queue()
      assert.has_error(function() q:recv(0, {type = "x"}) end)
      assert.has_error(function() q:recv(0, {priority = 1}) end, "unknown option 'priority'")
      assert.has_error(function() q:send("x", 0, {priority = -1}) end)
      q:close()
      assert.has_error(function() q:recv(0) end, "attempt to use a closed ipc.Channel")
    end)
  end)

  describe("ipc.open", function()
    it("returns EINVAL with the parser's reason for a malformed URL", function()
      local ok, msg, errno = ipc.open("MQ:/x", "rw")
      assert.is_nil(ok)
      assert.equal(E.EINVAL, errno)
      assert.matches('unknown kind "MQ"', msg, 1, true)
      ok, msg, errno = ipc.open("mq:/x?capacity=1MiB", "rw")
      assert.equal(E.EINVAL, errno)
      assert.matches("capacity", msg)
      -- an option the kind does not take, given in the table
      ok, msg, errno = ipc.open("mq:/x", "rw", {capacity = 4096})
      assert.equal(E.EINVAL, errno)
      ok, msg, errno = ipc.open("shm:/x", "rw")
      assert.equal(E.EINVAL, errno)
    end)

    it("raises on bad Lua arguments and unknown option words", function()
      assert.has_error(function() ipc.open() end)
      assert.has_error(function() ipc.open("mq:/x", "a") end)
      assert.has_error(function() ipc.open("mq:/x", "rw", {creat = true}) end,
                       "unknown option 'creat'")
      assert.has_error(function() ipc.open("mq:/x", "rw", "create") end)
      assert.has_error(function() ipc.open("mq:/x", "rw", {max_messages = -1}) end)
      assert.has_error(function() ipc.open("mq:/x", "rw", {max_message_size = "1 MB"}) end)
      assert.has_error(function() ipc.open("mq:/x", "rw", {mode = 0}) end)
      assert.has_error(function() ipc.open("mq:/x", "rw", {mode = 4096}) end)
      assert.has_error(function() ipc.open("mq:/x", "rw", {timeout = "soon"}) end)
    end)

    it("takes sizes as strings, and options override the URL's", function()
      local name = H.name("ring", "ring")
      local r <close> = assert(ipc.open("ring:" .. name .. "?capacity=4096", "rw",
                                        {create = true, capacity = "16KiB"}))
      assert.equal(16384, r:stats().capacity)
      local qn = H.name("q", "mq")
      local q <close> = assert(ipc.open("mq:" .. qn .. "?max_message_size=100", "rw",
                                        {create = true, max_message_size = "1K"}))
      assert.equal(1024, q:max_message())
    end)
  end)

  describe("ipc.endpoint", function()
    it("opens an endpoint a parent handed down by name", function()
      local name = H.name("q", "mq")
      local q <close> = assert(ipc.open("mq:" .. name, "rw", {create = true}))
      local ok, out = H.run({"env", "IPC_ENDPOINTS=log=fd:2;out=mq:" .. name, H.lua, "-e", [[
        local ipc = require "ipc"
        local ch = assert(ipc.endpoint("out", 5))
        assert(ch:send("from the child " .. ch:kind(), 5))
        print(ch:url())]]})
      assert.is_true(ok, out)
      assert.equal("mq:" .. name .. "\n", out)
      assert.equal("from the child mq", q:recv(5))
    end)

    it("takes a direction for one-way kinds", function()
      local path = H.path("fifo")
      local r <close> = assert(ipc.fifo(path, "r", {create = true}))
      local ok, out = H.run({"env", "IPC_ENDPOINTS=out=fifo:" .. path, H.lua, "-e", [[
        local ipc = require "ipc"
        print(select(3, ipc.endpoint("out", 5)))
        local ch = assert(ipc.endpoint("out", 5, "w"))
        assert(ch:send("via fifo", 5))]]})
      assert.is_true(ok, out)
      assert.equal(E.EINVAL .. "\n", out)
      assert.equal("via fifo", r:recv(5))
    end)

    it("gives ENOENT for a name that is not there", function()
      local ok, out = H.run({"env", "IPC_ENDPOINTS=in=fd:0", H.lua, "-e", [[
        local ipc = require "ipc"
        print(ipc.endpoint("out", 0))
        print(select(3, ipc.endpoint("bad name!", 0)))]]})
      assert.is_true(ok, out)
      assert.matches("^nil\tendpoint: [^\n]*\t" .. E.ENOENT .. "\n" .. E.EINVAL .. "\n$", out)
    end)
  end)
end)
