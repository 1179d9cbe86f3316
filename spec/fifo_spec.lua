-- spec/fifo_spec.lua: ipc.fifo() and fifo: channels (framed, one way).
local ipc = require "ipc"
local H = require "helper"

local E = ipc.errno

-- Start a shell command in the background (with the module's paths);
-- returns a function that waits for it and gives ok, output.
local function background(cmd)
  local f = assert(io.popen("env " .. H.child_env() .. " sh -c " .. H.quote(cmd) .. " 2>&1"))
  local done = false
  local function wait()
    if done then return end
    done = true
    local out = f:read("a")
    return f:close(), out
  end
  H.defer(wait) -- reaped even when the test fails first
  return wait
end

local function file_mode(path)
  local p = io.popen("stat -c %a " .. H.quote(path))
  local m = p:read("l")
  p:close()
  return m
end

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

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

describe("ipc.fifo", function()
  after_each(H.cleanup)

  describe("round trip", function()
    it("carries messages from a writer to a reader", function()
      local path = H.path("fifo")
      local r <close> = assert(ipc.fifo(path, "r", {create = true}))
      local w <close> = assert(ipc.fifo(path, "w", {timeout = 1}))
      local msgs = {"one", "", "\0\0\0", string.rep("\255\0", 20000)}
      for _, m in ipairs(msgs) do assert(w:send(m, 1)) end
      for _, m in ipairs(msgs) do assert.equal(m, r:recv(1)) end
      assert.equal("fifo", r:kind())
      assert.equal("fifo:" .. path, r:url())
      assert.equal("ipc.Channel (fifo:" .. path .. ")", tostring(w))
      assert.is_number(r:fd())
    end)

    it("ends the message loop when the last writer closes", function()
      local path = H.path("fifo")
      local r <close> = assert(ipc.fifo(path, "r", {create = true}))
      local w = assert(ipc.fifo(path, "w", {timeout = 1}))
      for i = 1, 3 do w:send(tostring(i)) end
      assert(w:close())
      local got = {}
      for m in r:messages(1) do got[#got + 1] = m end
      assert.same({"1", "2", "3"}, got)
    end)

    it("creates the FIFO with the mode asked, whatever the umask", function()
      local path = H.path("fifo")
      local r <close> = assert(ipc.fifo(path, "r", {create = true, mode = tonumber("640", 8)}))
      assert.equal("640", file_mode(path))
      local path2 = H.path("fifo")
      local r2 <close> = assert(ipc.open("fifo:" .. path2, "r", {create = true}))
      assert.equal("600", file_mode(path2))
    end)

    it("reads frames a shell printf writes into the FIFO", function()
      local path = H.path("fifo")
      local r <close> = assert(ipc.fifo(path, "r", {create = true}))
      local wait = background("printf '\\002\\000\\000\\000hi\\004\\000\\000\\000\\000\\001\\000\\377' > " .. H.quote(path))
      assert.equal("hi", r:recv(5))
      assert.equal("\0\1\0\255", r:recv(5))
      assert.equal(E.EPIPE, select(3, r:recv(5)))
      assert.is_true(wait())
    end)

    it("writes frames and raw bytes that cat copies out unchanged", function()
      local path, out = H.path("fifo"), H.path("out")
      -- make the FIFO before cat opens it; the writer then waits for cat
      assert(ipc.fifo(path, "r", {create = true})):close()
      local wait = background("cat " .. H.quote(path) .. " > " .. H.quote(out))
      local w = assert(ipc.fifo(path, "w", {timeout = 5}))
      assert(w:send("ab\0", 1))
      assert.equal(4, w:write("raw!", 1))
      assert(w:send("", 1))
      assert(w:close())
      local ok, msg = wait()
      assert.is_true(ok, msg)
      assert.equal("\3\0\0\0ab\0raw!\0\0\0\0", read_file(out))
    end)
  end)

  describe("would-block and timeout", function()
    it("a writer waits for a reader until its timeout", function()
      local path = H.path("fifo")
      local r = assert(ipc.fifo(path, "r", {create = true}))
      r:close() -- the FIFO stays, with nobody reading
      local ok, msg, errno = ipc.fifo(path, "w", {timeout = 0})
      assert.is_nil(ok)
      assert.equal(E.EAGAIN, errno)
      assert.matches("^fifo: ", msg)
      local t
      t, ok, msg, errno = elapsed(function() return ipc.fifo(path, "w", {timeout = 0.1}) end)
      assert.equal(E.ETIMEDOUT, errno)
      assert.is_true(t >= 0.1 and t < 2, "took " .. t)
    end)

    it("a reader waits for messages until its timeout", function()
      local path = H.path("fifo")
      local r <close> = assert(ipc.fifo(path, "r", {create = true}))
      local w <close> = assert(ipc.fifo(path, "w", {timeout = 1}))
      assert.equal(E.EAGAIN, select(3, r:recv(0)))
      local t, ok, _, errno = elapsed(function() return r:recv(0.1) end)
      assert.is_nil(ok)
      assert.equal(E.ETIMEDOUT, errno)
      assert.is_true(t >= 0.1 and t < 2, "took " .. t)
    end)
  end)

  describe("misuse", function()
    it("raises on a closed FIFO channel, and on a second close", function()
      local path = H.path("fifo")
      local r = assert(ipc.fifo(path, "r", {create = true}))
      assert.is_true(r:close())
      assert.equal("ipc.Channel (closed)", tostring(r))
      assert.has_error(function() r:recv(0) end, "attempt to use a closed ipc.Channel")
      assert.has_error(function() r:close() end, "attempt to use a closed ipc.Channel")
    end)

    it("raises on bad arguments and options", function()
      local path = H.path("fifo")
      assert.has_error(function() ipc.fifo(path, "rw", {create = true}) end)
      assert.has_error(function() ipc.fifo(path, "x") end)
      assert.has_error(function() ipc.fifo(path) end)
      assert.has_error(function() ipc.fifo(path, "r", {create = true, colour = 1}) end,
                       "unknown option 'colour'")
      assert.has_error(function() ipc.fifo(path, "r", {create = true, mode = -1}) end)
      assert.has_error(function() ipc.fifo(path, "r", {create = "yes"}) end)
      assert.has_error(function() ipc.fifo(path .. "?create=1", "r") end)
      assert.has_error(function() ipc.fifo(path, "r", {timeout = -1}) end)
    end)

    it("returns EINVAL for what the core refuses", function()
      local ok, msg, errno = ipc.fifo("relative/fifo", "r", {create = true})
      assert.is_nil(ok)
      assert.equal(E.EINVAL, errno)
      assert.matches("absolute", msg)
      local path = H.path("fifo")
      ok, msg, errno = ipc.open("fifo:" .. path, nil, {create = true})
      assert.equal(E.EINVAL, errno)
      ok, msg, errno = ipc.open("fifo:" .. path, "r", {create = true, max_messages = 3})
      assert.equal(E.EINVAL, errno)
      local r <close> = assert(ipc.fifo(path, "r", {create = true}))
      assert.equal(E.EINVAL, select(3, r:send("x", 0)))
      assert.equal(E.EOPNOTSUPP, select(3, r:recv_fds(0)))
    end)

    it("gives EPIPE to a writer whose reader left", function()
      local path = H.path("fifo")
      local r = assert(ipc.fifo(path, "r", {create = true}))
      local w <close> = assert(ipc.fifo(path, "w", {timeout = 1}))
      r:close()
      assert.equal(E.EPIPE, select(3, w:send("x", 1)))
    end)
  end)

  describe("missing and existing names", function()
    it("gives ENOENT with create = false, EEXIST with exclusive", function()
      local path = H.path("fifo")
      local ok, msg, errno = ipc.fifo(path, "r", {create = false})
      assert.is_nil(ok)
      assert.equal(E.ENOENT, errno)
      assert.equal("fifo: " .. ipc.strerror(E.ENOENT), msg)
      assert.equal(E.ENOENT, select(3, ipc.fifo(path, "w", {create = false, timeout = 0})))
      local r <close> = assert(ipc.fifo(path, "r", {create = true, exclusive = true}))
      ok, msg, errno = ipc.fifo(path, "r", {create = true, exclusive = true})
      assert.is_nil(ok)
      assert.equal(E.EEXIST, errno)
      assert.equal(E.EEXIST, select(3, ipc.fifo(path, "r", {exclusive = true})))
    end)

    it("refuses a regular file at the path", function()
      local path = H.path("file")
      assert(io.open(path, "w")):close()
      assert.equal(E.EEXIST, select(3, ipc.fifo(path, "r", {create = true})))
      assert.is_nil(ipc.fifo(path, "r"))
      assert.equal("", read_file(path)) -- still there, untouched
    end)

    it("unlinks by URL and by the channel, also after close", function()
      local path = H.path("fifo")
      local r = assert(ipc.fifo(path, "r", {create = true}))
      assert.is_true(ipc.unlink("fifo:" .. path))
      assert.equal(E.ENOENT, select(3, ipc.unlink("fifo:" .. path)))
      r:close()
      r = assert(ipc.fifo(path, "r", {create = true}))
      r:close()
      assert.is_true(r:unlink())
      assert.equal(E.ENOENT, select(3, r:unlink()))
      assert.is_nil(io.open(path, "r"))
    end)
  end)

  describe("garbage collection", function()
    it("__gc closes both ends", function()
      local path = H.path("fifo")
      local fds
      do
        local r = assert(ipc.fifo(path, "r", {create = true}))
        local w = assert(ipc.fifo(path, "w", {timeout = 1}))
        fds = {r:fd(), w:fd()}
        assert.is_true(is_open(fds[1]) and is_open(fds[2]))
        r, w = nil, nil
      end
      collectgarbage()
      collectgarbage()
      assert.is_false(is_open(fds[1]))
      assert.is_false(is_open(fds[2]))
    end)

    it("__close closes at the end of the scope", function()
      local path = H.path("fifo")
      local keep, fd
      do
        local r <close> = assert(ipc.fifo(path, "r", {create = true}))
        keep, fd = r, r:fd()
      end
      assert.equal("ipc.Channel (closed)", tostring(keep))
      assert.is_false(is_open(fd))
    end)
  end)
end)
