-- spec/mq_spec.lua: POSIX message queues (ipc.mqueue, ipc.MQueue).
local ipc = require "ipc"
local H = require "helper"

-- ctypes over libc's own mq_* calls: a peer that shares no code with us.
local PY_MQ = [[
import ctypes, ctypes.util, os, sys
rt = ctypes.CDLL(ctypes.util.find_library("rt"), use_errno=True)
class Attr(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_long), ("maxmsg", ctypes.c_long),
                ("msgsize", ctypes.c_long), ("curmsgs", ctypes.c_long),
                ("pad", ctypes.c_long * 4)]
def check(r):
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r
]]

-- How many of our descriptors point at the object called name: proves a
-- close happened without trusting the handle's own word.
local function open_refs(target)
  local p = assert(io.popen("ls -l /proc/" .. ipc.getpid() .. "/fd"))
  local n = 0
  for line in p:lines() do
    if line:sub(-#target - 4) == " -> " .. target then n = n + 1 end
  end
  p:close()
  return n
end

local function elapsed(fn)
  local t0 = ipc.now()
  local a, b, c = fn()
  return ipc.now() - t0, a, b, c
end

local function create(name, opts)
  opts = opts or {}
  opts.create = true
  opts.exclusive = true
  return assert(ipc.mqueue(name, opts))
end

describe("ipc.mqueue", function()
  after_each(H.cleanup)

  describe("round trip", function()
    it("carries binary messages with their priority", function()
      local q = create(H.name("rt", "mq"), {max_messages = 4, max_message_size = 64})
      local payload = "a\0b\255\n" .. string.rep("z", 20)
      assert.is_true(q:send(payload, 7, 1))
      local data, prio = q:receive(1)
      assert.equal(payload, data)
      assert.equal(7, prio)
      q:close()
    end)

    it("delivers the highest priority first, oldest first within one", function()
      local q = create(H.name("prio", "mq"), {max_messages = 8, max_message_size = 16})
      for _, m in ipairs({{"low1", 1}, {"high", 9}, {"mid", 5}, {"low2", 1}, {"zero", 0}}) do
        assert(q:send(m[1], m[2], 0))
      end
      local got = {}
      for _ = 1, 5 do
        local data, prio = assert(q:receive(0))
        got[#got + 1] = data .. ":" .. prio
      end
      assert.same({"high:9", "mid:5", "low1:1", "low2:1", "zero:0"}, got)
      q:close()
    end)

    it("defaults to priority 0 and accepts 32767", function()
      local q = create(H.name("pdef", "mq"), {max_messages = 2, max_message_size = 8})
      assert(q:send("d"))
      assert(q:send("top", 32767))
      assert.same({"top", 32767}, {q:receive(0)})
      assert.same({"d", 0}, {q:receive(0)})
      q:close()
    end)

    it("keeps message size limits: empty and exactly max go, max + 1 does not", function()
      local q = create(H.name("size", "mq"), {max_messages = 4, max_message_size = "32"})
      assert(q:send("", 0, 0))
      assert(q:send(string.rep("m", 32), 0, 0))
      local ok, msg, err = q:send(string.rep("m", 33), 0, 0)
      assert.is_nil(ok)
      assert.equal(ipc.errno.EMSGSIZE, err)
      assert.matches("^send: ", msg)
      assert.same({"", 0}, {q:receive(0)})
      assert.equal(string.rep("m", 32), (q:receive(0)))
      q:close()
    end)

    it("reports its attributes, name and descriptor", function()
      local name = H.name("attr", "mq")
      local q = create(name, {max_messages = 3, max_message_size = 100})
      assert(q:send("x"))
      assert.same({max_messages = 3, max_message_size = 100, messages = 1}, q:attributes())
      assert.equal(name, q:name())
      assert.equal("ipc.MQueue (" .. name .. ")", tostring(q))
      assert.is_true(math.type(q:fd()) == "integer" and q:fd() >= 0)
      assert.equal(q:fd(), getmetatable(q).__fd(q))
      assert.equal("ipc.MQueue", getmetatable(q).__name)
      q:close()
    end)

    it("keeps messages after close; another handle takes them", function()
      local name = H.name("keep", "mq")
      local q = create(name, {max_messages = 2, max_message_size = 8})
      assert(q:send("stays", 2))
      assert.is_true(q:close())
      local q2 = assert(ipc.mqueue(name))
      assert.same({"stays", 2}, {q2:receive(0)})
      q2:close()
    end)

    it("applies the mode exactly, whatever the umask", function()
      local name = H.name("mode", "mq")
      local q = create(name, {mode = 416, max_messages = 1, max_message_size = 8}) -- 0640
      local ok, out = H.run_python(PY_MQ .. [[
fd = check(rt.mq_open(sys.argv[1].encode(), os.O_RDONLY))
print(oct(os.fstat(fd).st_mode & 0o777))
]], name)
      assert(ok, out)
      assert.equal("0o640\n", out)
      q:close()
    end)

    it("receives what a ctypes/libc peer created and sent", function()
      local name = H.name("frompy", "mq")
      local ok, out = H.run_python(PY_MQ .. [[
a = Attr(0, 4, 64, 0)
q = check(rt.mq_open(sys.argv[1].encode(), os.O_CREAT | os.O_EXCL | os.O_WRONLY,
                     0o600, ctypes.byref(a)))
for data, prio in ((b"py\x00bytes", 9), (b"low", 1), (b"", 3)):
    check(rt.mq_send(q, data, len(data), prio))
rt.mq_close(q)
]], name)
      assert(ok, out)
      local q = assert(ipc.mqueue(name))
      assert.equal(64, q:attributes().max_message_size)
      assert.same({"py\0bytes", 9}, {q:receive(0)})
      assert.same({"", 3}, {q:receive(0)})
      assert.same({"low", 1}, {q:receive(0)})
      q:close()
    end)

    it("sends what a ctypes/libc peer receives", function()
      local name = H.name("topy", "mq")
      local q = create(name, {max_messages = 4, max_message_size = 64})
      assert(q:send("lua\0one", 4))
      assert(q:send(string.rep("\255", 64), 20))
      local ok, out = H.run_python(PY_MQ .. [[
q = check(rt.mq_open(sys.argv[1].encode(), os.O_RDONLY | os.O_NONBLOCK))
buf = ctypes.create_string_buffer(64)
prio = ctypes.c_uint()
for _ in range(2):
    n = check(rt.mq_receive(q, buf, 64, ctypes.byref(prio)))
    print(buf.raw[:n].hex(), prio.value)
rt.mq_close(q)
]], name)
      assert(ok, out)
      assert.equal(string.rep("ff", 64) .. " 20\n" .. "6c7561006f6e65 4\n", out)
      assert.equal(0, q:attributes().messages)
      q:close()
    end)
  end)

  describe("would-block and timeout", function()
    it("receive(0) on an empty queue returns the EAGAIN triple", function()
      local q = create(H.name("eagain", "mq"), {max_messages = 1, max_message_size = 8})
      local ok, msg, err = q:receive(0)
      assert.is_nil(ok)
      assert.equal(ipc.errno.EAGAIN, err)
      assert.matches("^receive: ", msg)
      q:close()
    end)

    it("receive(0.1) times out after at least 0.1 s", function()
      local q = create(H.name("rto", "mq"), {max_messages = 1, max_message_size = 8})
      local t, ok, _, err = elapsed(function() return q:receive(0.1) end)
      assert.is_nil(ok)
      assert.equal(ipc.errno.ETIMEDOUT, err)
      assert.is_true(t >= 0.1 and t < 2, "waited " .. t)
      q:close()
    end)

    it("send on a full queue: EAGAIN at once, ETIMEDOUT after the timeout", function()
      local q = create(H.name("full", "mq"), {max_messages = 2, max_message_size = 8})
      assert(q:send("1", 0, 0))
      assert(q:send("2", 0, 0))
      local ok, _, err = q:send("3", 0, 0)
      assert.is_nil(ok)
      assert.equal(ipc.errno.EAGAIN, err)
      local t, ok2, _, err2 = elapsed(function() return q:send("3", 0, 0.1) end)
      assert.is_nil(ok2)
      assert.equal(ipc.errno.ETIMEDOUT, err2)
      assert.is_true(t >= 0.1 and t < 2, "waited " .. t)
      q:close()
    end)

    it("a blocked receive wakes when another process sends", function()
      local name = H.name("wake", "mq")
      local q = create(name, {max_messages = 1, max_message_size = 8})
      -- the peer runs in the background, after a pause, so that we are
      -- already waiting when it sends
      local src = PY_MQ .. [[
import time
time.sleep(0.3)
q = check(rt.mq_open(sys.argv[1].encode(), os.O_WRONLY))
check(rt.mq_send(q, b"late", 4, 2))
]]
      assert(os.execute("env " .. H.child_env() .. " " .. H.quote(H.python) .. " -c "
        .. H.quote(src) .. " " .. H.quote(name) .. " >/dev/null 2>&1 &"))
      local t, data, prio = elapsed(function() return q:receive(10) end)
      assert.equal("late", data)
      assert.equal(2, prio)
      assert.is_true(t < 9, "waited " .. t)
      q:close()
    end)
  end)

  describe("misuse", function()
    it("raises on a closed handle; a second close raises", function()
      local q = create(H.name("closed", "mq"), {max_messages = 1, max_message_size = 8})
      assert.is_true(q:close())
      assert.equal("ipc.MQueue (closed)", tostring(q))
      for _, call in ipairs({
        function() q:send("x") end, function() q:receive(0) end,
        function() q:attributes() end, function() q:fd() end,
        function() q:name() end, function() q:unlink() end,
        function() getmetatable(q).__fd(q) end, function() q:close() end,
      }) do
        assert.has_error(call, "attempt to use a closed ipc.MQueue")
      end
    end)

    it("raises on bad options and arguments", function()
      local name = H.name("bad", "mq")
      assert.has_error(function() ipc.mqueue(name, {creat = true}) end, "unknown option 'creat'")
      assert.has_error(function() ipc.mqueue(name, "create") end)
      assert.has_error(function() ipc.mqueue(name, {create = "yes"}) end)
      assert.has_error(function() ipc.mqueue(name, {create = true, mode = 4096}) end)
      assert.has_error(function() ipc.mqueue(name, {create = true, max_messages = -1}) end)
      assert.has_error(function() ipc.mqueue(name, {create = true, max_message_size = "lots"}) end)
      local q = create(name, {max_messages = 1, max_message_size = 8})
      assert.has_error(function() q:send("x", -1) end)
      assert.has_error(function() q:send("x", 32768) end)
      assert.has_error(function() q:send("x", 0, -1) end)
      assert.has_error(function() q:send({}) end)
      assert.has_error(function() q:receive("soon") end)
      assert.has_error(function() ipc.mqueue() end)
      q:close()
    end)

    it("refuses a malformed name with EINVAL", function()
      local ok, _, err = ipc.mqueue("no-slash", {create = true})
      assert.is_nil(ok)
      assert.equal(ipc.errno.EINVAL, err)
    end)
  end)

  describe("exists and missing", function()
    it("exclusive create of an existing queue: EEXIST", function()
      local name = H.name("exist", "mq")
      local q = create(name)
      local ok, msg, err = ipc.mqueue(name, {create = true, exclusive = true})
      assert.is_nil(ok)
      assert.equal(ipc.errno.EEXIST, err)
      local want = "mqueue " .. name .. ": " .. ipc.strerror(ipc.errno.EEXIST)
      assert.equal(want, msg:sub(1, #want))
      -- plain create opens it as it is
      local q2 = assert(ipc.mqueue(name, {create = true}))
      q2:close()
      q:close()
    end)

    it("opening a missing queue: ENOENT; unlink twice: ENOENT", function()
      local name = H.name("missing", "mq")
      local ok, msg, err = ipc.mqueue(name)
      assert.is_nil(ok)
      assert.equal(ipc.errno.ENOENT, err)
      assert.matches("^mqueue " .. name:gsub("%-", "%%-") .. ": ", msg)
      local q = create(name)
      assert.is_true(q:unlink())
      local ok2, _, err2 = q:unlink()
      assert.is_nil(ok2)
      assert.equal(ipc.errno.ENOENT, err2)
      -- the handle outlives its name
      assert(q:send("still", 0, 0))
      assert.equal("still", (q:receive(0)))
      q:close()
      assert.equal(ipc.errno.ENOENT, select(3, ipc.mqueue(name)))
    end)

    it("opening with another shape: EINVAL; a limit names itself", function()
      local name = H.name("shape", "mq")
      local q = create(name, {max_messages = 2, max_message_size = 16})
      local ok, _, err = ipc.mqueue(name, {max_message_size = 17})
      assert.is_nil(ok)
      assert.equal(ipc.errno.EINVAL, err)
      q:close()
      local big = H.name("big", "mq")
      local ok2, msg2, err2 = ipc.mqueue(big, {create = true, max_messages = 1 << 30})
      assert.is_nil(ok2)
      assert.equal(ipc.errno.EINVAL, err2)
      assert.matches("max_messages", msg2)
    end)
  end)

  describe("lifetime", function()
    it("__gc closes an unreachable handle", function()
      local name = H.name("gc", "mq")
      local q = create(name)
      assert.equal(1, open_refs(name))
      q = nil -- luacheck: ignore
      collectgarbage()
      collectgarbage()
      assert.equal(0, open_refs(name))
    end)

    it("__close closes at the end of the scope, and on error", function()
      local name = H.name("close", "mq")
      local kept
      do
        local q <close> = create(name)
        kept = q
        assert.equal(1, open_refs(name))
      end
      assert.equal(0, open_refs(name))
      assert.equal("ipc.MQueue (closed)", tostring(kept))
      assert.has_error(function()
        local q <close> = assert(ipc.mqueue(name))
        kept = q
        error("boom")
      end, "boom")
      assert.equal(0, open_refs(name))
      assert.equal("ipc.MQueue (closed)", tostring(kept))
      -- __close after :close() is harmless
      local q2 = assert(ipc.mqueue(name))
      q2:close()
      getmetatable(q2).__close(q2)
      getmetatable(q2).__gc(q2)
    end)
  end)
end)
