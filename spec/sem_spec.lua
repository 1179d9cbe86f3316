-- spec/sem_spec.lua: named POSIX semaphores, ipc.semaphore() -> ipc.Sem.
local ipc = require "ipc"
local H = require "helper"

local E = ipc.errno

local function elapsed(fn)
  local t0 = ipc.now()
  local a, b, c = fn()
  return ipc.now() - t0, a, b, c
end

-- libc's own sem_open/sem_post/sem_getvalue through ctypes: an
-- independent peer on the same /dev/shm/sem.<name>. Prints the value it
-- saw, then posts argv[2] times.
local SEM_PEER = [[
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.sem_open.restype = ctypes.c_void_p
libc.sem_open.argtypes = [ctypes.c_char_p, ctypes.c_int]
libc.sem_post.argtypes = [ctypes.c_void_p]
libc.sem_trywait.argtypes = [ctypes.c_void_p]
libc.sem_getvalue.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
libc.sem_close.argtypes = [ctypes.c_void_p]
s = libc.sem_open(sys.argv[1].encode(), 0)
if s is None or s == ctypes.c_void_p(-1).value:
    raise OSError(ctypes.get_errno(), "sem_open")
v = ctypes.c_int()
libc.sem_getvalue(s, ctypes.byref(v))
print(v.value)
for _ in range(int(sys.argv[2])):
    if libc.sem_post(s) != 0:
        raise OSError(ctypes.get_errno(), "sem_post")
libc.sem_close(s)
]]

-- The environment of a Lua child that finds the module (ours, plus paths).
local function lua_env()
  return {PATH = os.getenv("PATH"), HOME = os.getenv("HOME"),
          LUA_CPATH = H.build .. "/lua/?.so;;", LUA_PATH = H.source .. "/spec/?.lua;;"}
end

-- argv of a Lua child running src with arg = {...} (lua5.4 -e passes no
-- arguments of its own: a word after the code would be a script).
local function lua_argv(src, ...)
  local lits = {}
  for i, a in ipairs({...}) do lits[i] = string.format("%q", a) end
  return {H.lua, "-e", "local arg = {" .. table.concat(lits, ", ") .. "}\n" .. src}
end

local function sem(opts)
  local name = H.name("sem", "sem")
  opts = opts or {}
  opts.create = true
  return assert(ipc.semaphore(name, opts)), name
end

-- How many descriptors we have. H.fds() lists them with ls through
-- io.popen, which may catch popen's own pipe before it is closed: the
-- least of three counts is ours.
local function nfds()
  local n = math.huge
  for _ = 1, 3 do n = math.min(n, #H.fds()) end
  return n
end

describe("ipc.semaphore", function()
  after_each(H.cleanup)

  it("round trip: release and acquire count, a second handle sees the same value", function()
    local s <close>, name = sem{value = 2}
    assert.equal("ipc.Sem", getmetatable(s).__name)
    assert.equal(name, s:name())
    assert.equal(2, s:value())
    assert.is_true(s:acquire(0))
    assert.is_true(s:acquire(1))
    assert.equal(0, s:value())
    local other <close> = assert(ipc.semaphore(name))
    assert.is_true(other:release())
    assert.equal(1, s:value())
    assert.is_true(s:acquire())
    assert.matches("^ipc%.Sem %(" .. name:gsub("%-", "%%-") .. "%)$", tostring(s))
  end)

  it("value defaults to 1 and is ignored when the semaphore exists", function()
    local s <close>, name = sem()
    assert.equal(1, s:value())
    local again <close> = assert(ipc.semaphore(name, {create = true, value = 9}))
    assert.equal(1, again:value())
  end)

  it("would block: timeout 0 gives EAGAIN, a timeout ETIMEDOUT after it", function()
    local s <close> = sem{value = 0}
    local ok, msg, err = s:acquire(0)
    assert.is_nil(ok)
    assert.equal(E.EAGAIN, err)
    assert.matches("^acquire: ", msg)
    local t, ok2, msg2, err2 = elapsed(function() return s:acquire(0.1) end)
    assert.is_nil(ok2)
    assert.equal(E.ETIMEDOUT, err2)
    assert.matches("timed out", msg2)
    assert.is_true(t >= 0.1 and t < 2, "waited " .. t)
  end)

  it("a release by another process wakes a waiter", function()
    local s <close>, name = sem{value = 0}
    local p <close> = assert(ipc.spawn(lua_argv([[
      local ipc = require "ipc"
      local s = assert(ipc.semaphore(arg[1]))
      os.execute("sleep 0.2")
      assert(s:release())
    ]], name), {env = lua_env()}))
    local t, ok = elapsed(function() return s:acquire(5) end)
    assert.is_true(ok)
    assert.is_true(t < 4)
    assert.equal(0, p:wait(5))
  end)

  it("closed handle: methods raise, a second close raises, __gc and __close do not", function()
    local s = sem()
    assert.is_true(s:close())
    for _, m in ipairs{"acquire", "release", "value", "name", "unlink"} do
      assert.has_error(function() s[m](s) end, "attempt to use a closed ipc.Sem")
    end
    assert.has_error(function() s:close() end, "attempt to use a closed ipc.Sem")
    assert.equal("ipc.Sem (closed)", tostring(s))
    getmetatable(s).__gc(s)
    getmetatable(s).__close(s)
  end)

  it("EEXIST with exclusive, ENOENT without create, ENOENT after unlink", function()
    local s <close>, name = sem()
    local ok, msg, err = ipc.semaphore(name, {create = true, exclusive = true})
    assert.is_nil(ok)
    assert.equal(E.EEXIST, err)
    assert.matches("^semaphore /ipc%-test.*: File exists", msg)
    assert.is_true(s:unlink())
    ok, msg, err = ipc.semaphore(name)
    assert.is_nil(ok)
    assert.equal(E.ENOENT, err)
    ok, msg, err = s:unlink()
    assert.is_nil(ok)
    assert.equal(E.ENOENT, err)
    -- the open handle keeps working after the unlink
    assert.is_true(s:release())
  end)

  it("misuse raises: bad options, bad value, bad timeout", function()
    local name = H.name("bad", "sem")
    assert.has_error(function() ipc.semaphore(name, {crate = true}) end,
      "unknown option 'crate'")
    assert.has_error(function() ipc.semaphore(name, {create = true, value = -1}) end)
    assert.has_error(function() ipc.semaphore(name, {create = true, mode = 01000}) end)
    local s <close> = sem()
    assert.has_error(function() s:acquire(-1) end)
    assert.has_error(function() s:acquire("soon") end)
    local ok, _, err = ipc.semaphore("no-slash", {create = true})
    assert.is_nil(ok)
    assert.equal(E.EINVAL, err)
  end)

  it("mode is applied exactly", function()
    local _, name = sem{mode = 416} -- 0640
    local p = io.popen("stat -c %a /dev/shm/sem." .. name:sub(2))
    assert.equal("640", p:read("l"))
    p:close()
  end)

  it("__gc closes an unreachable handle, __close a <close> variable", function()
    collectgarbage() -- earlier tests' garbage first
    local before = nfds()
    do
      local s <close> = sem()
      assert.is_true(s:release())
    end
    local s = sem()
    s = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    -- glibc maps named semaphores without keeping a descriptor: check the
    -- mappings instead
    local f = assert(io.open("/proc/self/maps"))
    local maps = f:read("a")
    f:close()
    assert.is_nil(maps:find("sem%.ipc%-test%-" .. ipc.getpid() .. "%-"))
    assert.equal(before, nfds())
  end)

  it("interop: libc's sem_open/sem_post through ctypes (Python)", function()
    local s <close>, name = sem{value = 3}
    local ok, out = H.run_python(SEM_PEER, name, "2")
    assert.is_true(ok, out)
    assert.equal("3", out:match("^(%d+)"))
    assert.equal(5, s:value())
    for _ = 1, 5 do assert.is_true(s:acquire(0)) end
    assert.equal(E.EAGAIN, select(3, s:acquire(0)))
  end)
end)
