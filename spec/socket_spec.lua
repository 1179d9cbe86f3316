-- spec/socket_spec.lua: socket channels: unix (path and @abstract),
-- unixpacket, tcp (listen/accept/connect), unixgram and udp (bound
-- receivers), descriptors, credentials, and independent peers (Python's
-- socket module, socat).
local ipc = require "ipc"
local H = require "helper"

local E = ipc.errno

local counter = 0
local function abstract(tag)
  counter = counter + 1
  return string.format("@ipc-test-%d-%d-%s", ipc.getpid(), counter, tag)
end

-- Unique addresses per kind ("path" kinds get a file under H.path).
local function address(kind)
  if kind == "tcp" or kind == "udp" then return kind .. "://127.0.0.1:0" end
  if kind == "unix@" then return "unix:" .. abstract("s") end
  return kind .. ":" .. H.path("sock")
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

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- A Python child in the background; :line() reads one line of its output
-- (it prints "ready ..." once set up), :wait() the rest and its status.
local function python_bg(src, ...)
  local words = {H.quote(H.python), "-c", H.quote(src)}
  for _, a in ipairs{...} do words[#words + 1] = H.quote(a) end
  local f = assert(io.popen("env " .. H.child_env() .. " " .. table.concat(words, " ") .. " 2>&1"))
  local child = {done = false}
  function child:line() return f:read("l") end
  function child:wait()
    if self.done then return end
    self.done = true
    local out = f:read("a")
    return f:close(), out
  end
  H.defer(function() child:wait() end)
  return child
end

-- A connected pair over a stream kind: listener, client, server side.
local function stream_pair(kind, opts)
  local l = assert(ipc.listen(address(kind), opts))
  local c = assert(ipc.connect(l:url(), 5))
  local s = assert(l:accept(5))
  return l, c, s
end

local STREAM = {"unix", "unix@", "unixpacket", "tcp"}

describe("socket channels", function()
  after_each(H.cleanup)

  describe("round trip", function()
    for _, kind in ipairs(STREAM) do
      it(kind .. ": messages both ways through listen/connect/accept", function()
        local l <close>, c, s = stream_pair(kind)
        local _c <close> = c
        local _s <close> = s
        local big = string.rep("\0\1\2\255", 70000 // 4)
        for _, m in ipairs{"hello", "", "a\0b", big, "end"} do
          assert.is_true(c:send(m, 5))
          assert.equal(m, s:recv(5))
          assert.is_true(s:send(m, 5))
          assert.equal(m, c:recv(5))
        end
        local k = kind == "unix@" and "unix" or kind
        assert.equal(k, l:kind())
        assert.equal(k, s:kind())
        assert.equal("ipc.Listener (" .. l:url() .. ")", tostring(l))
        assert.is_number(l:fd())
        assert.is_number(c:fd())
      end)
    end

    for _, kind in ipairs{"unixgram", "udp"} do
      it(kind .. ": a bound channel receives from connected senders", function()
        local b <close> = assert(ipc.listen(address(kind)))
        assert.equal("ipc.Channel (" .. b:url() .. ")", tostring(b))
        assert.equal(kind, b:kind())
        local c <close> = assert(ipc.connect(b:url(), 5))
        local c2 <close> = assert(ipc.open(b:url(), "w"))
        local big = string.rep("\0\255", kind == "udp" and 65507 // 2 or 50000)
        for _, m in ipairs{"one", "", "\0\0", big} do
          assert.is_true(c:send(m, 5))
          assert.equal(m, b:recv(5))
        end
        assert(c2:send("second sender", 5))
        assert.equal("second sender", b:recv(5))
        -- a bound receiver has no peer to send to
        assert.equal(E.EINVAL, select(3, b:send("x", 0)))
      end)
    end

    it("tcp listener on port 0 tells the port the kernel chose", function()
      local l <close> = assert(ipc.listen("tcp://127.0.0.1:0"))
      local port = tonumber(l:url():match(":(%d+)$"))
      assert.is_true(port > 0)
    end)

    it("iterates messages until the peer closes", function()
      local l <close>, c, s = stream_pair("unix")
      local _s <close> = s
      for i = 1, 3 do c:send("m" .. i) end
      c:close()
      local got = {}
      for m in s:messages(5) do got[#got + 1] = m end
      assert.same({"m1", "m2", "m3"}, got)
    end)

    it("raw bytes on stream sockets, not on seqpacket", function()
      local l <close>, c, s = stream_pair("tcp")
      local _c <close> = c
      local _s <close> = s
      assert.equal(6, c:write("ab\0cd\0", 5))
      assert.equal("ab\0cd\0", s:read(6, 5))
      local pl <close>, pc, ps = stream_pair("unixpacket")
      local _pc <close> = pc
      local _ps <close> = ps
      assert.equal(E.EOPNOTSUPP, select(3, pc:write("x", 0)))
      assert.equal(E.EOPNOTSUPP, select(3, ps:read(1, 0)))
    end)

    it("peer credentials are this process's", function()
      local p = io.popen("id -u; id -g")
      local uid, gid = tonumber(p:read("l")), tonumber(p:read("l"))
      p:close()
      for _, kind in ipairs{"unix", "unixpacket"} do
        local l <close>, c, s = stream_pair(kind)
        local _c <close> = c
        local _s <close> = s
        assert.same({ipc.getpid(), uid, gid}, {s:peer_credentials()})
        assert.same({ipc.getpid(), uid, gid}, {c:peer_credentials()})
      end
      local l <close>, c, s = stream_pair("tcp")
      local _c <close> = c
      local _s <close> = s
      assert.equal(E.EOPNOTSUPP, select(3, s:peer_credentials()))
    end)

    for _, kind in ipairs{"unixpacket", "unixgram"} do
      it(kind .. ": passes descriptors, integers or channels", function()
        local sender, receiver, keep
        if kind == "unixpacket" then
          local l, c, s = stream_pair(kind)
          sender, receiver, keep = c, s, l
        else
          receiver = assert(ipc.listen(address(kind)))
          sender = assert(ipc.connect(receiver:url(), 5))
        end
        local _a <close> = sender
        local _b <close> = receiver
        local _d <close> = keep
        local r <close>, w = ipc.pipe()
        local _w <close> = w
        assert.is_true(sender:send_fds("fds", {w:fd(), w}, 5))
        local data, fds = receiver:recv_fds(5)
        assert.equal("fds", data)
        assert.equal(2, #fds)
        -- the received descriptors are ours: wrap them as channels
        local w1 <close> = assert(ipc.open("fd:" .. fds[1], "w"))
        local w2 <close> = assert(ipc.open("fd:" .. fds[2], "w"))
        assert(w1:send("via one", 5))
        assert(w2:send("via two", 5))
        assert.equal("via one", r:recv(5))
        assert.equal("via two", r:recv(5))
        -- a plain message through recv_fds has no descriptors
        assert(sender:send("plain", 5))
        data, fds = receiver:recv_fds(5)
        assert.equal("plain", data)
        assert.same({}, fds)
      end)
    end

    it("unix: stream channels do not carry descriptors", function()
      local l <close>, c, s = stream_pair("unix")
      local _c <close> = c
      local _s <close> = s
      assert.equal(E.EOPNOTSUPP, select(3, c:send_fds("x", {0}, 0)))
      assert.equal(E.EOPNOTSUPP, select(3, s:recv_fds(0)))
    end)
  end)

  describe("independent peers", function()
    -- Python's socket module speaking 4-byte little-endian length frames.
    local FRAMES_PEER = [[
import socket, struct, sys
kind, addr = sys.argv[1], sys.argv[2]
if kind == "tcp":
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(addr.replace("@", "\0", 1) if addr.startswith("@") else addr)
for m in (b"py\0one", b"", b"\xff" * 100000):
    s.sendall(struct.pack("<I", len(m)) + m)
def exact(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b
(n,) = struct.unpack("<I", exact(4))
print(exact(n).hex())
s.close()
]]

    for _, kind in ipairs{"unix", "unix@", "tcp"} do
      it(kind .. ": frames from and to Python's socket module", function()
        local l <close> = assert(ipc.listen(address(kind)))
        local addr = l:url():gsub("^tcp://", ""):gsub("^unix:", "")
        local py = python_bg(FRAMES_PEER, kind == "tcp" and "tcp" or "unix", addr)
        local s <close> = assert(l:accept(10))
        assert.equal("py\0one", s:recv(10))
        assert.equal("", s:recv(10))
        assert.equal(string.rep("\255", 100000), s:recv(10))
        assert(s:send("lua\0reply", 10))
        local ok, out = py:wait()
        assert.is_true(ok, out)
        assert.equal(hex("lua\0reply") .. "\n", out)
        assert.equal(E.EPIPE, select(3, s:recv(10)))
      end)
    end

    it("unix: frames through socat", function()
      local path = H.path("sock")
      local l <close> = assert(ipc.listen("unix:" .. path))
      local out = H.path("out")
      local f = assert(io.popen("printf '\\003\\000\\000\\000abc' | socat -t 5 - UNIX-CONNECT:"
                                .. path .. " > " .. H.quote(out) .. " 2>&1", "r"))
      local s <close> = assert(l:accept(10))
      assert.equal("abc", s:recv(10))
      assert(s:send("\0back", 10))
      s:close()
      assert.is_true(f:close())
      local got = assert(io.open(out, "rb")):read("a")
      assert.equal("\5\0\0\0\0back", got)
    end)

    it("unixpacket: records from and to Python", function()
      local path = H.path("sock")
      local l <close> = assert(ipc.listen("unixpacket:" .. path))
      local py = python_bg([[
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(10)
s.connect(sys.argv[1])
s.send(b"rec\0one"); s.send(b"\x00" * 70000)
print(s.recv(100000).hex())
]], path)
      local s <close> = assert(l:accept(10))
      assert.equal("rec\0one", s:recv(10))
      assert.equal(string.rep("\0", 70000), s:recv(10))
      assert(s:send("\1\0\1", 10))
      local ok, out = py:wait()
      assert.is_true(ok, out)
      assert.equal("010001\n", out)
    end)

    it("unixgram: datagrams from and to Python", function()
      local mine, theirs = H.path("sock"), H.path("sock")
      local b <close> = assert(ipc.listen("unixgram:" .. mine))
      local py = python_bg([[
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.settimeout(10)
s.bind(sys.argv[2])
print("ready", flush=True)
s.sendto(b"gram\0", sys.argv[1])
print(s.recv(100000).hex())
]], mine, theirs)
      assert.equal("ready", py:line())
      assert.equal("gram\0", b:recv(10))
      local c <close> = assert(ipc.connect("unixgram:" .. theirs, 10))
      assert(c:send("\0\0to py", 10))
      local ok, out = py:wait()
      assert.is_true(ok, out)
      assert.equal(hex("\0\0to py") .. "\n", out)
    end)

    it("udp: datagrams from and to Python", function()
      local b <close> = assert(ipc.listen("udp://127.0.0.1:0"))
      local port = b:url():match(":(%d+)$")
      local py = python_bg([[
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.bind(("127.0.0.1", 0))
print("ready", s.getsockname()[1], flush=True)
s.sendto(b"udp\0\xff", ("127.0.0.1", int(sys.argv[1])))
data, peer = s.recvfrom(65535)
print(data.hex())
s.sendto(b"reply", peer)
]], port)
      local theirs = py:line():match("^ready (%d+)$")
      assert.is_string(theirs)
      assert.equal("udp\0\255", b:recv(10))
      local c <close> = assert(ipc.connect("udp://127.0.0.1:" .. theirs, 10))
      assert(c:send("\0u\0", 10))
      assert.equal("reply", c:recv(10))
      local ok, out = py:wait()
      assert.is_true(ok, out)
      assert.equal("007500\n", out)
    end)
  end)

  describe("would-block and timeout", function()
    it("accept gives EAGAIN and ETIMEDOUT with nobody connecting", function()
      local l <close> = assert(ipc.listen(address("unix")))
      local ok, msg, errno = l:accept(0)
      assert.is_nil(ok)
      assert.equal(E.EAGAIN, errno)
      assert.matches("^accept: ", msg)
      local t
      t, ok, msg, errno = elapsed(function() return l:accept(0.1) end)
      assert.equal(E.ETIMEDOUT, errno)
      assert.is_true(t >= 0.1 and t < 2, "took " .. t)
    end)

    for _, kind in ipairs{"unix", "unixpacket", "tcp"} do
      it(kind .. ": recv waits until its timeout", function()
        local l <close>, c, s = stream_pair(kind)
        local _c <close> = c
        local _s <close> = s
        assert.equal(E.EAGAIN, select(3, s:recv(0)))
        local t, ok, _, errno = elapsed(function() return s:recv(0.1) end)
        assert.is_nil(ok)
        assert.equal(E.ETIMEDOUT, errno)
        assert.is_true(t >= 0.1 and t < 2, "took " .. t)
      end)
    end

    for _, kind in ipairs{"unixgram", "udp"} do
      it(kind .. ": a bound receiver waits until its timeout", function()
        local b <close> = assert(ipc.listen(address(kind)))
        assert.equal(E.EAGAIN, select(3, b:recv(0)))
        local t, ok, _, errno = elapsed(function() return b:recv(0.1) end)
        assert.is_nil(ok)
        assert.equal(E.ETIMEDOUT, errno)
        assert.is_true(t >= 0.1 and t < 2, "took " .. t)
      end)
    end

    it("a full unix stream send gives EAGAIN, and the data stays whole", function()
      local l <close>, c, s = stream_pair("unix")
      local _c <close> = c
      local _s <close> = s
      local n, ok, errno = 0, true, nil
      while ok do
        ok, _, errno = c:send(string.rep("z", 4096), 0)
        if ok then n = n + 1 end
      end
      assert.equal(E.EAGAIN, errno)
      for _ = 1, n do assert.equal(4096, #s:recv(5)) end
    end)
  end)

  describe("misuse", function()
    it("raises on a closed listener and a closed connection", function()
      local l, c, s = stream_pair("unix")
      assert.is_true(c:close())
      assert.is_true(l:close())
      assert.equal("ipc.Listener (closed)", tostring(l))
      for _, call in ipairs{
        function() return l:accept(0) end, function() return l:url() end,
        function() return l:fd() end, function() return l:kind() end,
        function() return l:close() end,
      } do
        assert.has_error(call, "attempt to use a closed ipc.Listener")
      end
      assert.has_error(function() c:peer_credentials() end, "attempt to use a closed ipc.Channel")
      assert.has_error(function() c:send_fds("x", {0}) end, "attempt to use a closed ipc.Channel")
      assert.has_error(function() c:recv_fds(0) end, "attempt to use a closed ipc.Channel")
      s:close()
    end)

    it("raises on closed channels of every socket kind", function()
      for _, kind in ipairs{"unix", "unix@", "unixpacket", "tcp"} do
        local l, c, s = stream_pair(kind)
        for _, h in ipairs{l, c, s} do assert.is_true(h:close()) end
        assert.has_error(function() l:accept(0) end, "attempt to use a closed ipc.Listener")
        assert.has_error(function() c:send("x", 0) end, "attempt to use a closed ipc.Channel")
        assert.has_error(function() s:recv(0) end, "attempt to use a closed ipc.Channel")
      end
      for _, kind in ipairs{"unixgram", "udp"} do
        local b = assert(ipc.listen(address(kind)))
        local c = assert(ipc.connect(b:url(), 1))
        assert.is_true(b:close())
        assert.is_true(c:close())
        assert.has_error(function() b:recv(0) end, "attempt to use a closed ipc.Channel")
        assert.has_error(function() c:send("x", 0) end, "attempt to use a closed ipc.Channel")
        assert.has_error(function() b:close() end, "attempt to use a closed ipc.Channel")
      end
    end)

    it("raises on bad arguments", function()
      local l <close>, c, s = stream_pair("unixpacket")
      local _c <close> = c
      local _s <close> = s
      assert.has_error(function() c:send_fds("x", {}) end)
      assert.has_error(function() c:send_fds("x", {"stdin"}) end)
      assert.has_error(function() c:send_fds("x", 3) end)
      assert.has_error(function() l:accept(-1) end)
      assert.has_error(function() ipc.listen(address("unix"), {create = true}) end,
                       "unknown option 'create'")
      assert.has_error(function() ipc.connect(l:url(), "now") end)
      assert.has_error(function() ipc.connect(l:url(), 1, {mode = 384}) end,
                       "unknown option 'mode'")
    end)

    it("returns EINVAL for what cannot listen or carry descriptors", function()
      assert.equal(E.EINVAL, select(3, ipc.listen("mq:/x")))
      assert.equal(E.EINVAL, select(3, ipc.listen("tcp://127.0.0.1:99999")))
      local l <close>, c, s = stream_pair("unixpacket")
      local _c <close> = c
      local _s <close> = s
      assert.equal(E.EINVAL, select(3, c:send_fds("", {0}, 0)))
    end)

    it("gives EPIPE after the peer closed, on both sides of the stream", function()
      for _, kind in ipairs{"unix", "unixpacket", "tcp"} do
        local l <close>, c, s = stream_pair(kind)
        local _s <close> = s
        c:close()
        assert.equal(E.EPIPE, select(3, s:recv(5)), kind)
        local ok, _, errno = s:send("x", 5)
        if not ok then -- TCP may take the first send after a FIN
          assert.is_true(errno == E.EPIPE or errno == E.ECONNRESET, kind)
        end
      end
    end)
  end)

  describe("missing and existing addresses", function()
    it("connect: ENOENT for a missing path, ECONNREFUSED with no listener", function()
      local ok, msg, errno = ipc.connect("unix:" .. H.path("none"), 1)
      assert.is_nil(ok)
      assert.equal(E.ENOENT, errno)
      assert.matches("^connect: ", msg)
      assert.equal(E.ECONNREFUSED, select(3, ipc.connect("unix:" .. abstract("none"), 1)))
      assert.equal(E.ENOENT, select(3, ipc.connect("unixgram:" .. H.path("none"), 1)))
      assert.equal(E.ENOENT, select(3, ipc.connect("unixpacket:" .. H.path("none"), 1)))
      local l = assert(ipc.listen("tcp://127.0.0.1:0"))
      local url = l:url()
      l:close()
      assert.equal(E.ECONNREFUSED, select(3, ipc.connect(url, 1)))
    end)

    it("listen: EADDRINUSE for a live address, and for a stale file with exclusive", function()
      local path = H.path("sock")
      local l <close> = assert(ipc.listen("unix:" .. path))
      local ok, msg, errno = ipc.listen("unix:" .. path)
      assert.is_nil(ok)
      assert.equal(E.EADDRINUSE, errno)
      assert.matches("^listen: ", msg)
      local a <close> = assert(ipc.listen("unix:" .. abstract("a")))
      assert.equal(E.EADDRINUSE, select(3, ipc.listen(a:url())))
      local t <close> = assert(ipc.listen("tcp://127.0.0.1:0"))
      assert.equal(E.EADDRINUSE, select(3, ipc.listen(t:url())))
      for _, kind in ipairs{"unixpacket", "unixgram", "udp"} do
        local b <close> = assert(ipc.listen(address(kind)))
        assert.equal(E.EADDRINUSE, select(3, ipc.listen(b:url())), kind)
      end
      l:close()
      assert.equal(E.EADDRINUSE, select(3, ipc.listen("unix:" .. path, {exclusive = true})))
      local l2 <close> = assert(ipc.listen("unix:" .. path)) -- replaces the stale file
    end)

    it("socket files take a mode and are removed with unlink", function()
      local path = H.path("sock")
      local l = assert(ipc.listen("unix:" .. path, {mode = tonumber("660", 8)}))
      local p = io.popen("stat -c %a " .. H.quote(path))
      assert.equal("660", p:read("l"))
      p:close()
      l:close()
      assert.is_true(l:unlink()) -- after close too
      assert.equal(E.ENOENT, select(3, l:unlink()))
      assert.equal(E.ENOENT, select(3, ipc.connect("unix:" .. path, 1)))
      local a <close> = assert(ipc.listen("unix:" .. abstract("u")))
      assert.equal(E.EINVAL, select(3, a:unlink())) -- abstract names name no file
    end)
  end)

  describe("garbage collection", function()
    it("__gc closes listeners and connections", function()
      local fds
      do
        local l, c, s = stream_pair("unix")
        local b = assert(ipc.listen(address("udp")))
        fds = {l:fd(), c:fd(), s:fd(), b:fd()}
        for _, fd in ipairs(fds) do assert.is_true(is_open(fd)) end
        l, c, s, b = nil, nil, nil, nil
      end
      collectgarbage()
      collectgarbage()
      for _, fd in ipairs(fds) do assert.is_false(is_open(fd)) end
    end)

    it("__close closes at the end of the scope", function()
      local keep, fds
      do
        local l <close>, c, s = stream_pair("tcp")
        local _c <close> = c
        local _s <close> = s
        keep, fds = {l, c, s}, {l:fd(), c:fd(), s:fd()}
      end
      for _, fd in ipairs(fds) do assert.is_false(is_open(fd)) end
      assert.equal("ipc.Listener (closed)", tostring(keep[1]))
      assert.equal("ipc.Channel (closed)", tostring(keep[2]))
      assert.equal("ipc.Channel (closed)", tostring(keep[3]))
    end)
  end)
end)
