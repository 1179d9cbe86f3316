-- spec/ring_spec.lua: ipc.ring() and ring: channels (messages in POSIX
-- shared memory), with :stats(), :name() and :unlink().
local ipc = require "ipc"
local H = require "helper"

local E = ipc.errno

local function elapsed(fn)
  local t0 = ipc.now()
  local a, b, c = fn()
  return ipc.now() - t0, a, b, c
end

local function ring(opts)
  local name = H.name("ring", "ring")
  opts = opts or {}
  if opts.create == nil then opts.create = true end
  return assert(ipc.ring(name, opts)), name
end

describe("ipc.ring", function()
  after_each(H.cleanup)

  describe("round trip", function()
    it("carries whole messages, empty, binary and large ones", function()
      local r <close>, name = ring{capacity = 1 << 20}
      assert.equal("ring", r:kind())
      assert.equal(name, r:name())
      assert.equal("ipc.Channel (ring:" .. name .. ")", tostring(r))
      local big = string.rep("\0\1\2\3\255", 100000) -- 500,000 bytes
      for _, m in ipairs{"one", "", "\0", big, "last"} do
        assert.is_true(r:send(m, 1))
        assert.equal(m, r:recv(1))
      end
      assert.equal((1 << 20) // 2 - 16, r:max_message())
    end)

    it("is shared by name between handles and processes", function()
      local w <close>, name = ring()
      local r <close> = assert(ipc.ring(name))
      local o <close> = assert(ipc.open("ring:" .. name, "r"))
      assert(w:send("to another handle", 1))
      assert.equal("to another handle", r:recv(1))
      assert(w:send("to an open() handle", 1))
      assert.equal("to an open() handle", o:recv(1))
      assert(w:send("to the child", 1))
      local ok, out = H.run_lua(string.format([[
        local ipc = require "ipc"
        local r = assert(ipc.ring(%q))
        io.write(r:recv(5), "\n")
        assert(r:send("from a child\0", 5))]], name))
      assert.is_true(ok, out)
      assert.equal("to the child\n", out)
      assert.equal("from a child\0", r:recv(1))
    end)

    it("counts messages and bytes in stats()", function()
      local r <close> = ring{capacity = 4096}
      local s = r:stats()
      assert.equal(4096, s.capacity)
      assert.equal(2032, s.max_message)
      for _, k in ipairs{"used", "high_water", "msgs_in", "bytes_in", "msgs_out",
                         "bytes_out", "recovered", "lost"} do
        assert.equal(0, s[k], k)
      end
      r:send("abc")
      r:send("defgh")
      s = r:stats()
      assert.equal(2, s.msgs_in)
      assert.equal(8, s.bytes_in)
      assert.is_true(s.used > 0 and s.high_water >= s.used)
      assert.equal("abc", r:recv(0))
      assert.equal("defgh", r:recv(0))
      -- a received message's room goes back at the next receive or close
      r:recv(0)
      s = r:stats()
      assert.equal(2, s.msgs_out)
      assert.equal(8, s.bytes_out)
      assert.equal(0, s.used)
    end)

    it("readable() says whether a message waits; fd() is nil", function()
      local r <close> = ring()
      assert.is_false(r:readable())
      r:send("x")
      assert.is_true(r:readable())
      assert.is_nil(r:fd())
    end)

    it("lowers this handle's limit with max_message_size", function()
      local r <close>, name = ring{max_message_size = 100}
      assert.equal(100, r:max_message())
      assert.equal(E.EMSGSIZE, select(3, r:send(string.rep("x", 101), 0)))
      local r2 <close> = assert(ipc.ring(name))
      assert.equal((1 << 20) // 2 - 16, r2:max_message())
    end)
  end)

  describe("would-block and timeout", function()
    it("an empty ring: EAGAIN, then ETIMEDOUT after the timeout", function()
      local r <close> = ring()
      local ok, msg, errno = r:recv(0)
      assert.is_nil(ok)
      assert.equal(E.EAGAIN, errno)
      assert.matches("^recv: ", msg)
      local t
      t, ok, msg, errno = elapsed(function() return r:recv(0.1) end)
      assert.equal(E.ETIMEDOUT, errno)
      assert.is_true(t >= 0.1 and t < 2, "took " .. t)
    end)

    it("a full ring: EAGAIN, then ETIMEDOUT; the messages stay whole", function()
      local r <close> = ring{capacity = 4096}
      local n, ok, errno = 0, true, nil
      while ok do
        ok, _, errno = r:send(string.rep(string.char(n % 256), 100), 0)
        if ok then n = n + 1 end
      end
      assert.equal(E.EAGAIN, errno)
      local t
      t, ok, _, errno = elapsed(function() return r:send("x", 0.1) end)
      assert.equal(E.ETIMEDOUT, errno)
      assert.is_true(t >= 0.1 and t < 2, "took " .. t)
      for i = 0, n - 1 do assert.equal(string.rep(string.char(i % 256), 100), r:recv(0)) end
      assert.equal(E.EMSGSIZE, select(3, r:send(string.rep("x", 2033), 0)))
    end)

    it("raises from the iterator when the timeout passes", function()
      local r <close> = ring()
      r:send("a")
      local got = {}
      assert.has_error(function()
        for m in r:messages(0.05) do got[#got + 1] = m end
      end, "recv: " .. ipc.strerror(E.ETIMEDOUT))
      assert.same({"a"}, got)
    end)
  end)

  describe("misuse", function()
    it("raises on a closed ring, and on a second close", function()
      local r = ring()
      assert.is_true(r:close())
      assert.equal("ipc.Channel (closed)", tostring(r))
      for _, call in ipairs{
        function() return r:send("x") end, function() return r:recv(0) end,
        function() return r:stats() end, function() return r:name() end,
        function() return r:close() end,
      } do
        assert.has_error(call, "attempt to use a closed ipc.Channel")
      end
      assert.is_true(r:unlink()) -- the name is removed even after close
    end)

    it("raises on bad arguments and options", function()
      local name = H.name("ring", "ring")
      assert.has_error(function() ipc.ring() end)
      assert.has_error(function() ipc.ring(name, {create = true, max_messages = 3}) end,
                       "unknown option 'max_messages'")
      assert.has_error(function() ipc.ring(name, {create = true, capacity = "big"}) end)
      assert.has_error(function() ipc.ring(name, {create = true, capacity = -1}) end)
      assert.has_error(function() ipc.ring(name .. "?create=1") end)
      assert.has_error(function() ipc.ring(name, {create = true, timeout = 1}) end,
                       "unknown option 'timeout'")
    end)

    it("returns the core's EINVAL for bad names and sizes", function()
      assert.equal(E.EINVAL, select(3, ipc.ring("no-slash", {create = true})))
      assert.equal(E.EINVAL, select(3, ipc.ring("/a/b", {create = true})))
      local name = H.name("ring", "ring")
      assert.equal(E.EINVAL, select(3, ipc.ring(name, {create = true, capacity = (1 << 30) + 1})))
      local r <close> = ring()
      assert.equal(E.EOPNOTSUPP, select(3, r:write("x", 0)))
      assert.equal(E.EINVAL, select(3, r:send("x", 0, {priority = 1})))
    end)
  end)

  describe("missing and existing names", function()
    it("ENOENT without create, EEXIST with exclusive, and unlink", function()
      local name = H.name("ring", "ring")
      local ok, msg, errno = ipc.ring(name)
      assert.is_nil(ok)
      assert.equal(E.ENOENT, errno)
      assert.equal("ring: " .. ipc.strerror(E.ENOENT), msg)
      local r <close> = assert(ipc.ring(name, {create = true, exclusive = true, mode = tonumber("640", 8)}))
      local p = io.popen("stat -c %a /dev/shm" .. name)
      assert.equal("640", p:read("l"))
      p:close()
      assert.equal(E.EEXIST, select(3, ipc.ring(name, {create = true, exclusive = true})))
      assert.equal(E.EEXIST, select(3, ipc.open("ring:" .. name .. "?create=1&exclusive=1")))
      assert.is_true(r:unlink())
      assert.equal(E.ENOENT, select(3, r:unlink()))
      assert.equal(E.ENOENT, select(3, ipc.ring(name)))
      -- open handles keep working once the name is gone
      assert(r:send("still here", 0))
      assert.equal("still here", r:recv(0))
    end)
  end)

  describe("garbage collection", function()
    -- How many shared mappings of /dev/shm objects we hold (a ring is
    -- created under a temporary name, so match the directory only).
    local function shm_maps()
      local n = 0
      for l in io.lines("/proc/" .. ipc.getpid() .. "/maps") do
        if l:find("/dev/shm/", 1, true) then n = n + 1 end
      end
      return n
    end

    it("__gc unmaps and returns a peeked message", function()
      local name
      collectgarbage()
      local before = shm_maps()
      do
        local r
        r, name = ring()
        r:send("a")
        r:send("b")
        assert.equal("a", r:recv(0)) -- lent until the next receive or close
        assert.equal(before + 1, shm_maps())
        r = nil
      end
      collectgarbage()
      collectgarbage()
      assert.equal(before, shm_maps())
      local r2 <close> = assert(ipc.ring(name))
      assert.equal(1, r2:stats().msgs_out)
      assert.equal("b", r2:recv(0))
    end)

    it("__close unmaps at the end of the scope", function()
      local keep
      collectgarbage()
      local before = shm_maps()
      do
        local r <close> = ring()
        keep = r
        assert.equal(before + 1, shm_maps())
      end
      assert.equal(before, shm_maps())
      assert.equal("ipc.Channel (closed)", tostring(keep))
    end)
  end)
end)
