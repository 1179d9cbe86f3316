-- spec/pipe_spec.lua: ipc.pipe() and fd: channels (framed byte streams).
local ipc = require "ipc"
local H = require "helper"

local E = ipc.errno

-- A string of n bytes holding every byte value, zeros included.
local function binary(n)
  local t = {}
  for i = 1, n do t[i] = string.char((i * 7 + i // 256) % 256) end
  return table.concat(t)
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

describe("ipc.pipe", function()
  after_each(H.cleanup)

  describe("round trip", function()
    it("carries whole messages, empty and binary ones included", function()
      local r <close>, w = ipc.pipe()
      local _w <close> = w
      local msgs = {"hello", "", "\0", "a\0b\0\255", binary(60000)}
      for _, m in ipairs(msgs) do assert.is_true(w:send(m, 1)) end
      for _, m in ipairs(msgs) do assert.equal(m, r:recv(1)) end
    end)

    it("iterates messages until the writer closes", function()
      local r <close>, w = ipc.pipe()
      for i = 1, 5 do assert(w:send("m" .. i, 1)) end
      assert(w:close())
      local got = {}
      for m in r:messages(1) do got[#got + 1] = m end
      assert.same({"m1", "m2", "m3", "m4", "m5"}, got)
      -- the end of the stream stays the end
      local ok, msg, errno = r:recv(0)
      assert.is_nil(ok)
      assert.equal(E.EPIPE, errno)
      assert.matches("^recv: ", msg)
    end)

    it("reads and writes raw bytes, \"\" at the end of the stream", function()
      local r <close>, w = ipc.pipe()
      assert.equal(7, w:write("raw\0one", 1))
      assert.equal("raw\0", r:read(4, 1))
      assert.equal("one", r:read(4096, 1))
      assert(w:close())
      assert.equal("", r:read(10, 1))
    end)

    it("lets raw bytes written as a frame be received as a message", function()
      local r <close>, w = ipc.pipe()
      local _w <close> = w
      assert.equal(9, w:write("\5\0\0\0hello", 1))
      assert.equal("hello", r:recv(1))
    end)

    it("describes itself", function()
      local r <close>, w = ipc.pipe()
      local _w <close> = w
      assert.equal("fd", r:kind())
      assert.equal("fd:" .. r:fd(), r:url())
      assert.equal("ipc.Channel (fd:" .. w:fd() .. ")", tostring(w))
      assert.is_false(r:readable())
      w:send("x")
      assert.equal(16 << 20, r:max_message())
      assert.equal("x", r:recv(1))
    end)

    it("talks to independent programs through fd: channels", function()
      -- printf writes two frames; a Lua child reads them from its stdin.
      local ok, out = H.run({"sh", "-c",
        "printf '\\005\\000\\000\\000hello\\003\\000\\000\\000a\\000b' | " ..
        H.quote(H.lua) .. " -e " .. H.quote([[
          local ipc = require "ipc"
          local ch = assert(ipc.open("fd:0", "r"))
          for m in ch:messages(5) do io.write((m:gsub(".", function(c)
            return string.format("%02x", c:byte()) end)), "\n") end]])})
      assert.is_true(ok, out)
      assert.equal("68656c6c6f\n610062\n", out)
      -- A Lua child writes frames to its stdout; Python's stdlib parses
      -- the 4-byte little-endian lengths.
      ok, out = H.run({"sh", "-c", H.quote(H.lua) .. " -e " .. H.quote([[
          local ipc = require "ipc"
          local ch = assert(ipc.open("fd:1", "w"))
          assert(ch:send("one", 5)); assert(ch:send("", 5))
          assert(ch:send(string.rep("\0\1", 40000), 5))]]) .. " | " ..
        H.quote(H.python) .. " -c " .. H.quote([[
import struct, sys
data = sys.stdin.buffer.read()
out = []
while data:
    (n,) = struct.unpack_from("<I", data)
    out.append(data[4:4 + n]); data = data[4 + n:]
assert out == [b"one", b"", b"\0\1" * 40000], [len(m) for m in out]
print("ok", len(out))]])})
      assert.is_true(ok, out)
      assert.equal("ok 3\n", out)
    end)
  end)

  describe("would-block and timeout", function()
    it("gives EAGAIN for timeout 0 and ETIMEDOUT after a timeout", function()
      local r <close>, w = ipc.pipe()
      local _w <close> = w
      local ok, msg, errno = r:recv(0)
      assert.is_nil(ok)
      assert.equal(E.EAGAIN, errno)
      assert.equal("recv: " .. ipc.strerror(E.EAGAIN), msg)
      local t
      t, ok, msg, errno = elapsed(function() return r:recv(0.1) end)
      assert.is_nil(ok)
      assert.equal(E.ETIMEDOUT, errno)
      assert.is_true(t >= 0.1 and t < 2, "took " .. t)
      t, ok, msg, errno = elapsed(function() return r:read(10, 0.1) end)
      assert.equal(E.ETIMEDOUT, errno)
      assert.is_true(t >= 0.1 and t < 2, "took " .. t)
    end)

    it("gives EAGAIN when the pipe is full, and the message stays whole", function()
      local r <close>, w = ipc.pipe()
      local _w <close> = w
      local sent, ok, errno = 0, true, nil
      while ok do
        ok, _, errno = w:send(string.rep("x", 1000), 0)
        if ok then sent = sent + 1 end
      end
      assert.equal(E.EAGAIN, errno)
      assert.is_true(sent > 10)
      for _ = 1, sent do assert.equal(1000, #r:recv(1)) end
      assert.equal(E.EAGAIN, select(3, r:recv(0)))
    end)

    it("raises from the iterator on failures other than the end", function()
      local r <close>, w = ipc.pipe()
      local _w <close> = w
      assert.has_error(function() for _ in r:messages(0) do end end,
                       "recv: " .. ipc.strerror(E.EAGAIN))
    end)

    it("turns Ctrl+C during a wait into the interpreter's error", function()
      -- In a child: lua.c's SIGINT handler sets a hook that raises.
      local ok, out = H.run_lua([[
        local ipc = require "ipc"
        local r, w = ipc.pipe()
        os.execute("(sleep 0.3; kill -INT " .. ipc.getpid() .. ") &")
        local t0 = ipc.now()
        local ok, err = pcall(r.recv, r, 10)
        print(ok, err, ipc.now() - t0 < 5)
        w:send("still works"); print(r:recv(1))]])
      assert.is_true(ok, out)
      assert.matches("^false\t.*interrupted!\ttrue\nstill works\n$", out)
    end)
  end)

  describe("misuse and errors", function()
    it("raises on every use of a closed channel", function()
      local r, w = ipc.pipe()
      assert.is_true(r:close())
      assert.is_true(w:close())
      assert.equal("ipc.Channel (closed)", tostring(r))
      for _, call in ipairs{
        function() return r:recv(0) end, function() return w:send("x") end,
        function() return r:read(1) end, function() return w:write("x") end,
        function() return r:fd() end, function() return r:url() end,
        function() return r:messages() end, function() return r:close() end,
        function() return r:readable() end, function() return r:kind() end,
      } do
        assert.has_error(call, "attempt to use a closed ipc.Channel")
      end
    end)

    it("raises on bad arguments", function()
      local r <close>, w = ipc.pipe()
      local _w <close> = w
      assert.has_error(function() w:send({}) end)
      assert.has_error(function() r:recv(-1) end)
      assert.has_error(function() r:recv("soon") end)
      assert.has_error(function() r:read(0) end)
      assert.has_error(function() r:messages(-1) end)
      assert.has_error(function() w:send("x", 1, {colour = 1}) end,
                       "unknown option 'colour'")
    end)

    it("returns the fail triple for the wrong direction and kind", function()
      local r <close>, w = ipc.pipe()
      local _w <close> = w
      local ok, msg, errno = r:send("x", 0)
      assert.is_nil(ok)
      assert.equal(E.EINVAL, errno)
      assert.matches("^send: ", msg)
      assert.equal(E.EINVAL, select(3, w:recv(0)))
      assert.equal(E.EINVAL, select(3, w:send("x", 0, {priority = 1})))
      assert.equal(E.EOPNOTSUPP, select(3, r:peer_credentials()))
      assert.equal(E.EOPNOTSUPP, select(3, w:send_fds("x", {r:fd()}, 0)))
      assert.equal(E.EMSGSIZE, select(3, w:send(string.rep("x", (16 << 20) + 1), 0)))
    end)

    it("gives EPIPE to a writer without reader, not SIGPIPE", function()
      local r, w = ipc.pipe()
      local _w <close> = w
      r:close()
      local ok, msg, errno = w:send("x", 1)
      assert.is_nil(ok)
      assert.equal(E.EPIPE, errno)
      assert.equal("send: " .. ipc.strerror(E.EPIPE), msg)
      local n
      ok, msg, errno, n = w:write("abc", 1)
      assert.equal(E.EPIPE, errno)
      assert.equal(0, n)
    end)

    it("gives ECONNRESET for a stream cut inside a message", function()
      local r <close>, w = ipc.pipe()
      w:write("\10\0\0\0abc")
      w:close()
      assert.equal(E.ECONNRESET, select(3, r:recv(1)))
      local n = 0
      for _ in r:messages(1) do n = n + 1 end -- ends quietly
      assert.equal(0, n)
    end)

    it("reports a descriptor that is not open (the missing object)", function()
      local r, w = ipc.pipe()
      local fd = r:fd()
      r:close()
      w:close()
      local ok, msg, errno = ipc.open("fd:" .. fd, "r")
      assert.is_nil(ok)
      assert.equal(E.EBADF, errno)
      assert.matches("^open: ", msg)
    end)
  end)

  describe("garbage collection", function()
    it("__gc closes both descriptors", function()
      local fds
      do
        local r, w = ipc.pipe()
        fds = {r:fd(), w:fd()}
        assert.is_true(is_open(fds[1]) and is_open(fds[2]))
        r, w = nil, nil
      end
      collectgarbage()
      collectgarbage()
      assert.is_false(is_open(fds[1]))
      assert.is_false(is_open(fds[2]))
    end)

    it("__close closes at the end of the scope, and close() raises after", function()
      local keep, fds = {}, nil
      do
        local r <close>, w = ipc.pipe()
        local _w <close> = w
        keep[1], keep[2] = r, w
        fds = {r:fd(), w:fd()}
      end
      assert.is_false(is_open(fds[1]))
      assert.is_false(is_open(fds[2]))
      assert.equal("ipc.Channel (closed)", tostring(keep[1]))
      assert.equal("ipc.Channel (closed)", tostring(keep[2]))
      assert.has_error(function() keep[1]:close() end,
                       "attempt to use a closed ipc.Channel")
    end)

    it("__close on an error path closes too", function()
      local keep, fds
      local ok = pcall(function()
        local r <close>, w = ipc.pipe()
        local _w <close> = w
        keep, fds = r, {r:fd(), w:fd()}
        error("boom")
      end)
      assert.is_false(ok)
      assert.equal("ipc.Channel (closed)", tostring(keep))
      assert.is_false(is_open(fds[1]))
      assert.is_false(is_open(fds[2]))
    end)
  end)
end)
