-- spec/design_spec.lua: DESIGN.md, "Cross-language API contract", the Lua
-- block, line by line: each spec runs lines of that block as they are
-- written there (the same names, argument order, option words and return
-- shapes), with real unique names, keys and paths in place of "/name", key,
-- path, url and pid, and a second process where a line needs a peer.
-- python/tests/test_design.py does the same for the Python block.
--
-- Every named object is removed at cleanup even when a spec fails (H.name,
-- H.key, H.path), and every peer process is killed and reaped.
local ipc = require "ipc"
local H = require "helper"

local E = ipc.errno
local T = 10 -- seconds any one step may take (a generous bound)

local function lua_env()
  return {PATH = os.getenv("PATH"), HOME = os.getenv("HOME"),
          LUA_CPATH = H.build .. "/lua/?.so;;",
          LUA_PATH = H.source .. "/lua/?.lua;" .. H.source .. "/spec/?.lua;;"}
end

-- argv of a Lua child running src (with ipc loaded) and arg = {...}.
local function lua_argv(src, ...)
  local lits = {}
  for i, a in ipairs({...}) do lits[i] = string.format("%q", tostring(a)) end
  return {H.lua, "-e", "local arg = {" .. table.concat(lits, ", ") .. "}\n"
          .. "local ipc = require 'ipc'\n" .. src}
end

-- A child process, killed and reaped at cleanup if a spec fails before it
-- ends, its handle and pipe ends closed; returns p.
local function reap(p)
  H.defer(function()
    pcall(p.kill, p, "KILL")
    pcall(p.wait, p, T)
    for _, f in ipairs({"stdin", "stdout", "stderr"}) do
      if p[f] then pcall(p[f].close, p[f]) end
    end
    pcall(p.close, p)
  end)
  return p
end

-- A peer: a second Lua process, its stdout a pipe (p.stdout).
local function peer(src, ...)
  return reap(assert(ipc.spawn(lua_argv(src, ...), {env = lua_env(), stdout = "pipe"})))
end

local function read_all(ch)
  local t = {}
  while true do
    local s = assert(ch:read(4096, T))
    if s == "" then return table.concat(t) end
    t[#t + 1] = s
  end
end

-- One line of a peer's output (without the newline).
local function read_line(ch)
  local t = {}
  while true do
    local c = assert(ch:read(1, T))
    if c == "" or c == "\n" then return table.concat(t) end
    t[#t + 1] = c
  end
end

-- The rest of a peer's output, once it exited 0.
local function finish(p)
  local out = read_all(p.stdout)
  assert.equal(0, p:wait(T))
  return out
end

local function uid()
  local f = assert(io.popen("id -u"))
  local u = tonumber(f:read("a"))
  f:close()
  return u
end

-- An OS failure: fail, "op: message", errno (an integer).
local function assert_fail(want_errno, ok, msg, err)
  assert.is_nil(ok)
  assert.is_string(msg)
  assert.matches("^[^:]+: .+", msg)
  assert.is_true(math.type(err) == "integer")
  assert.equal(want_errno, err, msg)
end

describe("DESIGN.md Lua contract", function()
  after_each(H.cleanup)

  -- OS failures return fail, "op: message", errno (integer); timeouts return
  -- fail, "...", ipc.errno.ETIMEDOUT. Misuse (bad argument, closed handle)
  -- raises.
  it("errors: fail triples, timeouts, misuse raises", function()
    local name = H.name("mq", "mq")
    assert_fail(E.ENOENT, ipc.mqueue(name))
    local q <close> = assert(ipc.mqueue(name, {create = true}))
    assert_fail(E.EEXIST, ipc.mqueue(name, {create = true, exclusive = true}))
    assert_fail(E.EAGAIN, q:receive(0))
    local ok, msg, err = q:receive(0.05)
    assert_fail(E.ETIMEDOUT, ok, msg, err)
    assert.matches("timed out", msg)
    assert.has_error(function() q:send({}) end)                     -- bad argument
    assert.has_error(function() ipc.mqueue(name, {no_such_option = 1}) end)
    assert.has_error(function() q:receive(-1) end)                  -- bad timeout
    assert.is_true(q:unlink())
    assert.is_true(q:close())
    assert.has_error(function() q:send("x") end, "attempt to use a closed ipc.MQueue")
    -- an OS failure of a URL is a fail triple too
    assert_fail(E.EINVAL, ipc.open("no-such-kind:x"))
  end)

  -- Every object: :close(), __gc, __close (use with <close>), __name,
  -- __tostring.
  it("every object: close, __gc, __close, __name, __tostring", function()
    local r, w = ipc.pipe()
    local sock = H.path("sock")
    local l = assert(ipc.listen("unix:" .. sock))
    local c = assert(ipc.connect("unix:" .. sock, T))
    local accepted = assert(l:accept(T))
    local fifo = H.path("fifo")
    local p = reap(assert(ipc.spawn({"true"})))
    assert.equal(0, p:wait(T))
    local objects = {
      {"ipc.Channel", r}, {"ipc.Channel", w},
      {"ipc.Channel", assert(ipc.fifo(fifo, "r", {create = true, mode = 384}))},
      {"ipc.MQueue", assert(ipc.mqueue(H.name("mq", "mq"), {create = true}))},
      {"ipc.SysVMQ", assert(ipc.sysvmq(H.key(), {create = true}))},
      {"ipc.Shm", assert(ipc.shm(H.name("shm", "shm"), {size = 4096, create = true}))},
      {"ipc.SysVShm", assert(ipc.sysvshm(H.key(), {size = 4096, create = true}))},
      {"ipc.MappedFile", assert(ipc.mapped_file(H.path("map"), {size = 4096, create = true}))},
      {"ipc.Sem", assert(ipc.semaphore(H.name("sem", "sem"), {value = 1, create = true}))},
      {"ipc.SemSet", assert(ipc.semset(H.key(), {count = 3, create = true}))},
      {"ipc.Mutex", assert(ipc.mutex(H.name("mx", "mutex"), {create = true}))},
      {"ipc.SignalSet", assert(ipc.signalset({"USR2"}))},
      {"ipc.Listener", l}, {"ipc.Channel", c}, {"ipc.Channel", accepted},
      {"ipc.Channel", assert(ipc.ring(H.name("ring", "ring"), {capacity = 1 << 20, create = true}))},
      {"ipc.Process", p},
      {"ipc.Poller", assert(ipc.poller())},
    }
    for _, o in ipairs(objects) do
      local tname, obj = o[1], o[2]
      local mt = getmetatable(obj)
      assert.equal(tname, mt.__name)
      assert.is_function(mt.__gc, tname)
      assert.is_function(mt.__close, tname)
      assert.is_function(mt.__tostring, tname)
      assert.equal(tname, tostring(obj):match("^(%S+)"))
      assert.is_function(obj.close, tname)
      assert.is_true(obj:close(), tname)
      assert.is_truthy(tostring(obj):find("(closed)", 1, true), tname)
      mt.__gc(obj)    -- idempotent, never raises
      mt.__close(obj)
    end
    -- <close> closes at the end of the scope
    local kept
    do
      local poller <close> = assert(ipc.poller())
      kept = poller
    end
    assert.matches("%(closed%)", tostring(kept))
    ipc.unlink("fifo:" .. fifo)
  end)

  it("ipc.pipe: send/recv, write/read, messages()", function()
    local r <close>, w = ipc.pipe()
    local _w <close> = w
    assert.is_true(w:send("msg")); assert.equal("msg", r:recv(1.0))
    assert.equal(3, w:write("raw")); assert.equal("raw", r:read(4096))
    for _, m in ipairs({"a", "", "c"}) do assert(w:send(m)) end
    w:close()
    local got = {}
    for msg in r:messages() do got[#got + 1] = msg end
    assert.same({"a", "", "c"}, got)
  end)

  it("ipc.fifo and ipc.unlink by URL, with a writer process", function()
    local lfs = require "lfs"
    local path = H.path("fifo")
    local f <close> = assert(ipc.fifo(path, "r", {create = true, mode = 384}))
    local a = assert(lfs.attributes(path))
    assert.equal("named pipe", a.mode)
    assert.equal("rw-------", a.permissions)
    local p = peer([[
      local w = assert(ipc.fifo(arg[1], "w", {create = true, mode = 384}))
      assert(w:send("through the fifo")); w:close()]], path)
    assert.equal("through the fifo", f:recv(T))
    finish(p)
    assert.is_true(ipc.unlink("fifo:" .. path))
    assert.is_nil(lfs.attributes(path))
  end)

  it("raw bytes on a FIFO and a stream socket: write / read", function()
    local path = H.path("fifo")
    local r <close> = assert(ipc.fifo(path, "r", {create = true, mode = 384}))
    local w <close> = assert(ipc.fifo(path, "w", {timeout = T}))
    assert.equal(3, w:write("raw")); assert.equal("raw", r:read(4096))
    w:close()
    assert.equal("", r:read(4096)) -- end of stream
    assert.is_true(ipc.unlink("fifo:" .. path))
    local url = "unix:" .. H.path("sock")
    local l <close> = assert(ipc.listen(url))
    local c <close> = assert(ipc.connect(url, T))
    local s <close> = assert(l:accept(T))
    assert.equal(3, c:write("raw")); assert.equal("raw", s:read(4096))
  end)

  it("ipc.unlink(url) removes any named object", function()
    local n, k = {}, {}
    for _, kind in ipairs({"mq", "shm", "sem", "mutex", "ring"}) do n[kind] = H.name(kind, kind) end
    for _, kind in ipairs({"sysvmq", "sysvshm", "semset"}) do k[kind] = H.key() end
    local fifo, sock = H.path("fifo"), H.path("sock")
    local made = {
      assert(ipc.mqueue(n.mq, {create = true})),
      assert(ipc.shm(n.shm, {size = 4096, create = true})),
      assert(ipc.semaphore(n.sem, {create = true})),
      assert(ipc.mutex(n.mutex, {create = true})),
      assert(ipc.ring(n.ring, {create = true})),
      assert(ipc.sysvmq(k.sysvmq, {create = true})),
      assert(ipc.sysvshm(k.sysvshm, {size = 4096, create = true})),
      assert(ipc.semset(k.semset, {count = 3, create = true})),
      assert(ipc.fifo(fifo, "r", {create = true})),
      assert(ipc.listen("unix:" .. sock)),
    }
    for _, o in ipairs(made) do o:close() end
    local urls = {"fifo:" .. fifo, "unix:" .. sock}
    for kind, name in pairs(n) do urls[#urls + 1] = kind .. ":" .. name end
    for kind, key in pairs(k) do urls[#urls + 1] = string.format("%s:0x%x", kind, key) end
    for _, url in ipairs(urls) do
      assert.is_true(ipc.unlink(url), url)
      assert_fail(E.ENOENT, ipc.unlink(url))
    end
    assert_fail(E.ENOENT, ipc.mqueue(n.mq))
    assert_fail(E.ENOENT, ipc.semset(k.semset))
  end)

  it("ipc.mqueue: send(data, prio, timeout), receive(timeout) -> data, prio", function()
    local name = H.name("mq", "mq")
    local q <close> = assert(ipc.mqueue(name, {create = true, max_messages = 10, max_message_size = 8192}))
    local at = q:attributes()
    assert.same({10, 8192}, {at.max_messages, at.max_message_size})
    assert.is_true(q:send("low", 0, 1.0))
    assert.is_true(q:send("high", 7, 1.0))
    local data, prio = q:receive(1.0)
    assert.same({"high", 7}, {data, prio})
    data, prio = q:receive(1.0)
    assert.same({"low", 0}, {data, prio})
    -- a peer process receives
    local p = peer([[
      local q = assert(ipc.mqueue(arg[1]))
      local data, prio = assert(q:receive(10))
      io.write(data, " ", prio); q:close()]], name)
    assert.is_true(q:send("to-the-peer", 3, 1.0))
    assert.equal("to-the-peer 3", finish(p))
    assert.is_true(q:unlink())
    assert_fail(E.ENOENT, ipc.mqueue(name))
  end)

  it("ipc.sysvmq: send(data, mtype), receive(mtype, timeout), remove()", function()
    local key = H.key()
    local sq <close> = assert(ipc.sysvmq(key, {create = true}))
    assert.is_true(sq:send("typed", 2))
    assert.is_true(sq:send("first type", 1))
    local data, mtype = sq:receive(1, 1.0)
    assert.same({"first type", 1}, {data, mtype})
    data, mtype = sq:receive(0, 1.0)
    assert.same({"typed", 2}, {data, mtype})
    assert_fail(E.ETIMEDOUT, sq:receive(0, 0.05))
    local p = peer([[
      local sq = assert(ipc.sysvmq(tonumber(arg[1])))
      assert(sq:send("from the peer", 5)); sq:close()]], key)
    finish(p)
    data, mtype = sq:receive(5, T)
    assert.same({"from the peer", 5}, {data, mtype})
    assert.is_true(sq:remove())
    assert_fail(E.ENOENT, ipc.sysvmq(key))
  end)

  it("ipc.shm: write(offset, s), read(offset, len), size(), unlink()", function()
    local name = H.name("shm", "shm")
    local m <close> = assert(ipc.shm(name, {size = 4096, create = true}))
    assert.equal(4096, m:size())
    assert.is_true(m:write(0, "hello"))
    assert.equal("hello", m:read(0, 5))
    local p = peer([[
      local m = assert(ipc.shm(arg[1]))
      io.write(m:read(0, 5)); m:write(5, "world"); m:close()]], name)
    assert.equal("hello", finish(p))
    assert.equal("helloworld", m:read(0, 10))
    assert.is_true(m:unlink())
    assert_fail(E.ENOENT, ipc.shm(name))
  end)

  it("ipc.sysvshm(key, opts) and ipc.mapped_file(path, opts)", function()
    local key = H.key()
    local sm <close> = assert(ipc.sysvshm(key, {size = 4096, create = true}))
    assert.equal(4096, sm:size())
    assert.is_true(sm:write(0, "abc"))
    local p = peer([[
      local sm = assert(ipc.sysvshm(tonumber(arg[1])))
      io.write(sm:read(0, 3)); sm:close()]], key)
    assert.equal("abc", finish(p))
    assert.is_true(sm:remove())
    assert_fail(E.ENOENT, ipc.sysvshm(key))

    local path = H.path("mapped")
    local mf <close> = assert(ipc.mapped_file(path, {size = 4096, create = true}))
    assert.equal(4096, mf:size())
    assert.is_true(mf:write(0, "mapped"))
    assert.is_true(mf:flush())
    local f = assert(io.open(path, "rb"))
    assert.equal("mapped", f:read(6))
    f:close()
  end)

  it("ipc.semaphore: acquire(timeout), release(), value()", function()
    local name = H.name("sem", "sem")
    local s <close> = assert(ipc.semaphore(name, {value = 1, create = true}))
    assert.is_true(s:acquire(1.0))
    assert.equal(0, s:value())
    assert_fail(E.ETIMEDOUT, s:acquire(0.05))
    assert.is_true(s:release())
    assert.equal(1, s:value())
    -- a peer takes it, then gives it back: we wait for it
    local p = peer([[
      local s = assert(ipc.semaphore(arg[1]))
      assert(s:acquire(10)); io.write("held\n"); io.flush()
      local t = ipc.now(); while ipc.now() - t < 0.2 do end
      assert(s:release()); s:close()]], name)
    assert.equal("held", read_line(p.stdout))
    assert.is_true(s:acquire(T))
    finish(p)
    assert.is_true(s:release())
    assert.is_true(s:unlink())
  end)

  it("ipc.semset: op({{0, -1}, {2, 1}}, {undo = true, timeout = 1})", function()
    local key = H.key()
    local ss <close> = assert(ipc.semset(key, {count = 3, create = true}))
    assert.same({0, 0, 0}, ss:values())
    -- counter 0 is 0: the whole operation times out, nothing applied
    local ok, msg, err = ss:op({{0, -1}, {2, 1}}, {undo = true, timeout = 1})
    assert_fail(E.ETIMEDOUT, ok, msg, err)
    assert.same({0, 0, 0}, ss:values())
    assert.is_true(ss:set_values({1, 0, 0}))
    assert.is_true(ss:op({{0, -1}, {2, 1}}, {undo = true, timeout = 1}))
    assert.same({0, 0, 1}, ss:values())
    -- undo in a peer: the kernel undoes its operation when it exits
    local p = peer([[
      local ss = assert(ipc.semset(tonumber(arg[1])))
      assert(ss:op({{1, 1}}, {undo = true, timeout = 1}))
      io.write(ss:values()[2]); ss:close()]], key)
    assert.equal("1", finish(p))
    assert.same({0, 0, 1}, ss:values())
    assert.is_true(ss:remove())
    assert_fail(E.ENOENT, ipc.semset(key))
  end)

  it("ipc.mutex: acquire(timeout), release(), owner_died()", function()
    local name = H.name("mx", "mutex")
    local mx <close> = assert(ipc.mutex(name, {create = true}))
    assert.is_true(mx:acquire(1.0))
    assert.is_false(mx:owner_died())
    -- a peer cannot take it meanwhile
    local p = peer([[
      local mx = assert(ipc.mutex(arg[1]))
      local ok, msg, err = mx:acquire(0.05)
      io.write(tostring(ok), " ", err); mx:close()]], name)
    assert.equal("nil " .. E.ETIMEDOUT, finish(p))
    assert.is_true(mx:release())
    -- the owner dies holding it: a peer that exits without releasing
    local dead = peer([[
      local mx = assert(ipc.mutex(arg[1]))
      assert(mx:acquire(10))
      os.exit(0) -- no close: the lock dies with us]], name)
    finish(dead)
    assert.is_true(mx:acquire(T))
    assert.is_true(mx:owner_died())
    assert.is_true(mx:release()) -- marks it consistent
    assert.is_true(mx:acquire(1.0))
    assert.is_false(mx:owner_died())
    assert.is_true(mx:release())
    assert.is_true(mx:unlink())
  end)

  it("ipc.send_signal(pid, \"USR1\", 42), ipc.signalset, sigs:wait(1.0)", function()
    -- The receiver is a peer: it blocks USR1 in a set, then we signal it.
    local p = peer([[
      local sigs = assert(ipc.signalset({"USR1"}))
      io.write(ipc.getpid(), "\n"); io.flush()
      local info = assert(sigs:wait(10))
      io.write(info.signo, " ", info.name, " ", info.pid, " ", info.uid, " ", info.value)
      sigs:close()]])
    local pid = tonumber(read_line(p.stdout))
    assert.equal(p:pid(), pid) -- ipc.getpid() returns the caller's pid
    assert.is_true(ipc.send_signal(pid, "USR1", 42))
    assert.equal(string.format("10 USR1 %d %d 42", ipc.getpid(), uid()), finish(p))

    -- And to ourselves: a table, then nil, "timed out", ETIMEDOUT.
    local sigs <close> = assert(ipc.signalset({"USR1"}))
    assert.is_true(ipc.send_signal(ipc.getpid(), "USR1", 42))
    local info = sigs:wait(1.0)
    assert.is_table(info)
    assert.same({10, "USR1", ipc.getpid(), uid(), 42},
                {info.signo, info.name, info.pid, info.uid, info.value})
    local t0 = ipc.now()
    local none, msg, err = sigs:wait(1.0)
    assert.is_true(ipc.now() - t0 >= 0.9)
    assert.is_nil(none)
    assert.matches("timed out", msg)
    assert.equal(E.ETIMEDOUT, err)
  end)

  it("ipc.getpid() returns the caller's pid", function()
    local f = assert(io.open("/proc/self/stat"))
    local pid = tonumber(f:read("a"):match("^(%d+)"))
    f:close()
    assert.equal(pid, ipc.getpid())
  end)

  it("ipc.open(url, \"rw\", opts) over several kinds", function()
    local urls = {
      mq = {"mq:" .. H.name("mq", "mq"), {create = true, max_messages = 4, max_message_size = 1024}},
      sysvmq = {string.format("sysvmq:0x%x", H.key()), {create = true}},
      ring = {"ring:" .. H.name("ring", "ring"), {create = true, capacity = 1 << 16}},
    }
    for kind, u in pairs(urls) do
      local url, opts = u[1], u[2]
      local maker <close> = assert(ipc.open(url, "rw", opts))
      local ch <close> = assert(ipc.open(url, "rw", {}))
      assert.equal(kind, ch:kind())
      assert.is_true(maker:send("by url"))
      assert.equal("by url", ch:recv(1.0))
      assert.is_true(ipc.unlink(url))
    end
  end)

  it("ipc.listen(url), l:accept, ipc.connect(url, timeout) with a peer process", function()
    local url = "unixpacket:" .. H.path("sock")
    local l <close> = assert(ipc.listen(url))
    local p = peer([[
      local c = assert(ipc.connect(arg[1], 10))
      local pid, uid, gid = assert(c:peer_credentials())
      assert(c:send("hello from " .. ipc.getpid()))
      io.write(assert(c:recv(10)), " ", pid); c:close()]], url)
    local c <close> = assert(l:accept(T))
    local pid, u = c:peer_credentials()
    assert.equal(p:pid(), pid)
    assert.equal(uid(), u)
    assert.equal("hello from " .. p:pid(), c:recv(T))
    assert.is_true(c:send("welcome"))
    assert.equal("welcome " .. ipc.getpid(), finish(p))

    -- tcp, port 0
    local tl <close> = assert(ipc.listen("tcp://127.0.0.1:0"))
    local tp = peer([[
      local c = assert(ipc.connect(arg[1], 10))
      assert(c:send("ping")); io.write(assert(c:recv(10))); c:close()]], tl:url())
    local tc <close> = assert(tl:accept(T))
    assert.equal("ping", tc:recv(T))
    assert.is_true(tc:send("pong"))
    assert.equal("pong", finish(tp))
  end)

  it("ipc.ring(\"/name\", {capacity = 1 << 20, create = true}), ring:unlink()", function()
    local name = H.name("ring", "ring")
    local ring <close> = assert(ipc.ring(name, {capacity = 1 << 20, create = true}))
    assert.equal("ipc.Channel", getmetatable(ring).__name)
    assert.equal(1 << 20, ring:stats().capacity)
    assert.is_true(ring:send("data"))
    assert.equal("data", ring:recv(1.0))
    local p = peer([[
      local r = assert(ipc.ring(arg[1], {}))
      io.write(assert(r:recv(10))); r:close()]], name)
    assert.is_true(ring:send("to-the-peer"))
    assert.equal("to-the-peer", finish(p))
    assert.is_true(ring:unlink())
    assert_fail(E.ENOENT, ipc.ring(name, {}))
  end)

  -- named POSIX objects (mqueue, shm, semaphore, mutex, ring) have :unlink();
  -- System V objects have :remove().
  it("named POSIX objects have :unlink(), System V objects :remove()", function()
    local posix = {
      assert(ipc.mqueue(H.name("mq", "mq"), {create = true})),
      assert(ipc.shm(H.name("shm", "shm"), {size = 4096, create = true})),
      assert(ipc.semaphore(H.name("sem", "sem"), {value = 1, create = true})),
      assert(ipc.mutex(H.name("mx", "mutex"), {create = true})),
      assert(ipc.ring(H.name("ring", "ring"), {capacity = 1 << 20, create = true})),
    }
    for _, o in ipairs(posix) do
      assert.is_true(o:unlink(), tostring(o))
      o:close()
    end
    local sysv = {
      assert(ipc.sysvmq(H.key(), {create = true})),
      assert(ipc.sysvshm(H.key(), {size = 4096, create = true})),
      assert(ipc.semset(H.key(), {count = 3, create = true})),
    }
    for _, o in ipairs(sysv) do
      assert.is_true(o:remove(), tostring(o))
      o:close()
    end
  end)

  it("ipc.spawn({\"grep\", \"x\"}, {stdin = r, stdout = \"pipe\", endpoints = ...})", function()
    local name = H.name("ring", "ring")
    local ring <close> = assert(ipc.ring(name, {capacity = 1 << 20, create = true}))
    local r <close>, w = ipc.pipe()
    local _w <close> = w
    local p = reap(assert(ipc.spawn({"grep", "x"}, {stdin = r, stdout = "pipe", endpoints = {["in"] = "ring:" .. name}})))
    r:close() -- the child has its copy
    assert.is_nil(p.stdin)
    assert.is_nil(p.stderr)
    assert.equal("ipc.Channel", getmetatable(p.stdout).__name)
    assert.equal(15, w:write("x1\nnot this\nx2\n"))
    w:close()
    local out = p.stdout:read(4096)
    assert.equal("x1\nx2\n", out .. read_all(p.stdout))
    assert.equal(0, p:wait(T)) -- exit code
    p.stdout:close()

    -- p.stdin / p.stdout / p.stderr exist for "pipe"
    local c = reap(assert(ipc.spawn({"sh", "-c", "cat; echo err >&2"},
                                    {stdin = "pipe", stdout = "pipe", stderr = "pipe"})))
    for _, f in ipairs({"stdin", "stdout", "stderr"}) do
      assert.equal("ipc.Channel", getmetatable(c[f]).__name, f)
    end
    c.stdin:write("out\n")
    c.stdin:close()
    assert.equal("out\n", read_all(c.stdout))
    assert.equal("err\n", read_all(c.stderr))
    assert.equal(0, c:wait(T))
    c.stdout:close(); c.stderr:close()
  end)

  it("p:wait(timeout) -> exit code, negative when killed; p:kill(\"TERM\")", function()
    local p = reap(assert(ipc.spawn({"sleep", "30"})))
    assert_fail(E.ETIMEDOUT, p:wait(0.05))
    assert.is_true(p:kill("TERM"))
    assert.equal(-15, p:wait(T))
    local q = reap(assert(ipc.spawn({"sh", "-c", "exit 3"})))
    assert.equal(3, q:wait(T))
  end)

  it("ipc.endpoint(\"in\") in a child", function()
    local name = H.name("ring", "ring")
    local ring <close> = assert(ipc.ring(name, {capacity = 1 << 20, create = true}))
    local env = lua_env()
    local p = reap(assert(ipc.spawn(lua_argv([[
      local ch = assert(ipc.endpoint("in"))
      io.write(assert(ch:recv(10)):upper()); ch:close()]]),
      {env = env, stdout = "pipe", endpoints = {["in"] = "ring:" .. name}})))
    assert.is_true(ring:send("job for the child"))
    assert.equal("JOB FOR THE CHILD", read_all(p.stdout))
    assert.equal(0, p:wait(T))
    p.stdout:close()
  end)

  it("ipc.poller(), poller:register(ch, \"r\"), poller:poll(timeout)", function()
    local url = "mq:" .. H.name("mq", "mq")
    local ch <close> = assert(ipc.open(url, "rw", {create = true}))
    local ring <close> = assert(ipc.ring(H.name("ring", "ring"), {capacity = 1 << 16, create = true}))
    local poller <close> = ipc.poller()
    assert.is_true(poller:register(ch, "r"))
    assert.is_true(poller:register(ring, "r"))
    assert.same({}, poller:poll(0.05))
    -- a peer sends
    local p = peer([[
      local w = assert(ipc.open(arg[1], "w"))
      assert(w:send("wake up")); w:close()]], url)
    local ready = poller:poll(T)
    assert.equal(1, #ready)
    assert.equal(ch, ready[1][1])
    assert.equal("r", ready[1][2])
    assert.equal("wake up", ch:recv(0))
    finish(p)
    assert.is_true(ring:send("in the ring"))
    ready = poller:poll(1.0)
    assert.equal(1, #ready)
    assert.equal(ring, ready[1][1])
    assert.equal("r", ready[1][2])
  end)
end)
