-- spec/sysvmq_spec.lua: System V message queues (ipc.sysvmq, ipc.SysVMQ).
local ipc = require "ipc"
local H = require "helper"

local function elapsed(fn)
  local t0 = ipc.now()
  local a, b, c = fn()
  return ipc.now() - t0, a, b, c
end

local function sysctl(name)
  local f = assert(io.open("/proc/sys/kernel/" .. name))
  local v = assert(f:read("n"))
  f:close()
  return v
end

local function create(key, opts)
  opts = opts or {}
  opts.create = true
  opts.exclusive = true
  return assert(ipc.sysvmq(key, opts))
end

describe("ipc.sysvmq", function()
  after_each(H.cleanup)

  describe("round trip", function()
    it("carries binary messages with their type", function()
      local sq = create(H.key())
      local payload = "x\0y\255" .. string.rep("-", 100)
      assert.is_true(sq:send(payload, 42, 1))
      assert.same({payload, 42}, {sq:receive(0, 1)})
      sq:close()
    end)

    it("selects by type: any, exact, lowest up to a bound", function()
      local sq = create(H.key())
      for _, m in ipairs({{"c3", 3}, {"a1", 1}, {"b2", 2}, {"c3b", 3}, {"e5", 5}}) do
        assert(sq:send(m[1], m[2], 0))
      end
      assert.same({"b2", 2}, {sq:receive(2, 0)})     -- that type
      assert.same({"a1", 1}, {sq:receive(-4, 0)})    -- lowest type <= 4
      assert.same({"c3", 3}, {sq:receive(-4, 0)})    -- oldest of type 3 next
      assert.same({"c3b", 3}, {sq:receive(nil, 0)})  -- default 0: oldest of any
      assert.same({"e5", 5}, {sq:receive(0, 0)})
      sq:close()
    end)

    it("sends type 1 by default; empty and msgmax-byte messages go, one more byte does not", function()
      local sq = create(H.key())
      local max = sysctl("msgmax")
      assert(sq:send(""))
      assert.same({"", 1}, {sq:receive(0, 0)})
      assert(sq:send(string.rep("m", max), 1, 0))
      assert.equal(max, #sq:receive(0, 0))
      local ok, msg, err = sq:send(string.rep("m", max + 1), 1, 0)
      assert.is_nil(ok)
      assert.equal(ipc.errno.EMSGSIZE, err)
      assert.matches("^send: ", msg)
      sq:close()
    end)

    it("reports stat, key and id", function()
      local key = H.key()
      local sq = create(key, {mode = 416}) -- 0640
      assert(sq:send("abc", 1, 0))
      local st = sq:stat()
      assert.equal(key, st.key)
      assert.equal(key, sq:key())
      assert.equal(416, st.mode)
      assert.equal(1, st.messages)
      assert.equal(3, st.bytes)
      assert.equal(ipc.getpid(), st.last_send_pid)
      assert.equal(0, st.last_recv_pid)
      assert.is_true(st.max_bytes > 0)
      assert.is_true(st.send_time > 0 and st.change_time > 0)
      assert.equal(0, st.recv_time)
      assert.is_true(math.type(sq:id()) == "integer" and sq:id() >= 0)
      assert.matches("^ipc%.SysVMQ %(key 0x%x+, id %d+%)$", tostring(sq))
      assert.equal("ipc.SysVMQ", getmetatable(sq).__name)
      sq:close()
    end)

    it("takes keys as integers, strings and {path, proj}", function()
      local key = H.key()
      local sq = create(key)
      assert(sq:send("k", 1, 0))
      local by_hex = assert(ipc.sysvmq(string.format("0x%x", key)))
      assert.equal(sq:id(), by_hex:id())
      local by_dec = assert(ipc.sysvmq(tostring(key)))
      assert.equal(sq:id(), by_dec:id())
      by_hex:close()
      by_dec:close()
      sq:close()

      local path = H.path("ftok")
      assert(io.open(path, "w")):close()
      local fq = assert(ipc.sysvmq({path, 7}, {create = true, exclusive = true}))
      H.defer(function() ipc.unlink("sysvmq:" .. fq:key()) end)
      local again = assert(ipc.sysvmq({path, 7}))
      assert.equal(fq:id(), again:id())
      assert.is_true(fq:key() ~= 0)
      assert.is_true(fq:remove())
      again:close()
      fq:close()
    end)

    it("keeps messages after close", function()
      local key = H.key()
      local sq = create(key)
      assert(sq:send("stays", 9, 0))
      assert.is_true(sq:close())
      local sq2 = assert(ipc.sysvmq(key))
      assert.same({"stays", 9}, {sq2:receive(0, 0)})
      sq2:close()
    end)

    it("receives what sysv_ipc created and sent", function()
      local key = H.key()
      local ok, out = H.run_python([[
import sys, sysv_ipc
q = sysv_ipc.MessageQueue(int(sys.argv[1]), sysv_ipc.IPC_CREX, mode=0o600)
q.send(b"from\x00py", type=7)
q.send(b"second", type=2)
]], tostring(key))
      assert(ok, out)
      local sq = assert(ipc.sysvmq(key))
      assert.same({"from\0py", 7}, {sq:receive(7, 0)})
      assert.same({"second", 2}, {sq:receive(0, 0)})
      sq:close()
    end)

    it("sends what sysv_ipc receives", function()
      local key = H.key()
      local sq = create(key)
      assert(sq:send("lua\0msg", 3, 0))
      assert(sq:send(string.rep("\1", 300), 11, 0))
      local ok, out = H.run_python([[
import sys, sysv_ipc
q = sysv_ipc.MessageQueue(int(sys.argv[1]))
for t in (11, 0):
    m, mt = q.receive(type=t, block=False)
    print(m.hex(), mt)
]], tostring(key))
      assert(ok, out)
      assert.equal(string.rep("01", 300) .. " 11\n" .. "6c7561006d7367 3\n", out)
      assert.equal(0, sq:stat().messages)
      sq:close()
    end)
  end)

  describe("would-block and timeout", function()
    it("receive with timeout 0 on no match: EAGAIN", function()
      local sq = create(H.key())
      assert(sq:send("one", 1, 0))
      local ok, msg, err = sq:receive(2, 0)
      assert.is_nil(ok)
      assert.equal(ipc.errno.EAGAIN, err)
      assert.matches("^receive: ", msg)
      sq:close()
    end)

    it("receive(0.1) times out after at least 0.1 s", function()
      local sq = create(H.key())
      local t, ok, _, err = elapsed(function() return sq:receive(0, 0.1) end)
      assert.is_nil(ok)
      assert.equal(ipc.errno.ETIMEDOUT, err)
      assert.is_true(t >= 0.1 and t < 2, "waited " .. t)
      sq:close()
    end)

    it("send on a full queue: EAGAIN at once, ETIMEDOUT after the timeout", function()
      local sq = create(H.key())
      local chunk = string.rep("f", 1024)
      local sent, ok, err = 0, true, nil
      while ok and sent < 1000 do
        ok, _, err = sq:send(chunk, 1, 0)
        if ok then sent = sent + 1 end
      end
      assert.equal(ipc.errno.EAGAIN, err)
      assert.equal(sq:stat().max_bytes // 1024, sent)
      local t, ok2, _, err2 = elapsed(function() return sq:send(chunk, 1, 0.1) end)
      assert.is_nil(ok2)
      assert.equal(ipc.errno.ETIMEDOUT, err2)
      assert.is_true(t >= 0.1 and t < 2, "waited " .. t)
      sq:close()
    end)
  end)

  describe("misuse", function()
    it("raises on a closed handle; a second close raises", function()
      local sq = create(H.key())
      assert.is_true(sq:close())
      assert.equal("ipc.SysVMQ (closed)", tostring(sq))
      for _, call in ipairs({
        function() sq:send("x") end, function() sq:receive(0, 0) end,
        function() sq:stat() end, function() sq:key() end, function() sq:id() end,
        function() sq:remove() end, function() sq:close() end,
      }) do
        assert.has_error(call, "attempt to use a closed ipc.SysVMQ")
      end
    end)

    it("raises on bad keys, options and arguments", function()
      local key = H.key()
      assert.has_error(function() ipc.sysvmq("not a key") end)
      assert.has_error(function() ipc.sysvmq({"/nonexistent-l2", "x"}) end)
      assert.has_error(function() ipc.sysvmq(true) end)
      assert.has_error(function() ipc.sysvmq(key, {create = true, size = 1}) end, "unknown option 'size'")
      assert.has_error(function() ipc.sysvmq(key, {create = true, mode = -1}) end)
      local sq = create(key)
      assert.has_error(function() sq:send("x", 0) end)
      assert.has_error(function() sq:send("x", -3) end)
      assert.has_error(function() sq:send("x", 1, -1) end)
      assert.has_error(function() sq:receive(math.mininteger) end)
      assert.has_error(function() sq:receive(0, "later") end)
      sq:close()
    end)
  end)

  describe("exists and missing", function()
    it("exclusive create of an existing key: EEXIST", function()
      local key = H.key()
      local sq = create(key)
      local ok, msg, err = ipc.sysvmq(key, {create = true, exclusive = true})
      assert.is_nil(ok)
      assert.equal(ipc.errno.EEXIST, err)
      assert.matches(string.format("^sysvmq 0x%08x: ", key), msg)
      local same = assert(ipc.sysvmq(key, {create = true}))
      assert.equal(sq:id(), same:id())
      same:close()
      sq:close()
    end)

    it("opening a missing key: ENOENT", function()
      local ok, _, err = ipc.sysvmq(H.key())
      assert.is_nil(ok)
      assert.equal(ipc.errno.ENOENT, err)
    end)

    it("remove destroys the queue at once: EIDRM on the handle, ENOENT by key", function()
      local key = H.key()
      local sq = create(key)
      assert(sq:send("lost", 1, 0))
      assert.is_true(sq:remove())
      local ok, _, err = sq:remove()
      assert.is_nil(ok)
      assert.equal(ipc.errno.EIDRM, err)
      assert.equal(ipc.errno.EIDRM, select(3, sq:send("x", 1, 0)))
      assert.equal(ipc.errno.EIDRM, select(3, sq:receive(0, 0)))
      assert.equal(ipc.errno.EIDRM, select(3, sq:stat()))
      assert.equal(ipc.errno.ENOENT, select(3, ipc.sysvmq(key)))
      assert.is_true(sq:close())
    end)
  end)

  describe("lifetime", function()
    -- A System V handle holds no descriptor or mapping to observe: what
    -- __gc must do is free the handle once and mark the box closed.
    it("__gc closes the box, idempotently; collection frees unreachable ones", function()
      local key = H.key()
      local sq = create(key)
      local gc = getmetatable(sq).__gc
      gc(sq)
      assert.equal("ipc.SysVMQ (closed)", tostring(sq))
      gc(sq)
      assert.has_error(function() sq:close() end, "attempt to use a closed ipc.SysVMQ")
      for _ = 1, 50 do assert(ipc.sysvmq(key)) end
      collectgarbage()
      collectgarbage()
      -- the queue itself is untouched by collection
      assert.equal(0, select(2, pcall(function()
        local q <close> = assert(ipc.sysvmq(key))
        return q:stat().messages
      end)))
    end)

    it("__close closes at the end of the scope, and on error", function()
      local key = H.key()
      local kept
      do
        local sq <close> = create(key)
        kept = sq
      end
      assert.equal("ipc.SysVMQ (closed)", tostring(kept))
      assert.has_error(function()
        local sq <close> = assert(ipc.sysvmq(key))
        kept = sq
        error("boom")
      end, "boom")
      assert.equal("ipc.SysVMQ (closed)", tostring(kept))
      getmetatable(kept).__gc(kept)
      -- closing never removes the queue
      local sq = assert(ipc.sysvmq(key))
      sq:close()
    end)
  end)
end)
