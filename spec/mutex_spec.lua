-- spec/mutex_spec.lua: robust process-shared mutexes, ipc.mutex() -> ipc.Mutex.
local ipc = require "ipc"
local H = require "helper"

local E = ipc.errno

local function elapsed(fn)
  local t0 = ipc.now()
  local a, b, c = fn()
  return ipc.now() - t0, a, b, c
end

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

local function mutex()
  local name = H.name("mx", "mutex")
  return assert(ipc.mutex(name, {create = true})), name
end

-- A child that takes the mutex arg[1], posts semaphore arg[2] ("held"),
-- then waits for semaphore arg[3] ("go") and either releases and exits
-- (arg[4] == "release") or exits holding it.
local HOLDER = [[
  local ipc = require "ipc"
  local mx = assert(ipc.mutex(arg[1]))
  local held = assert(ipc.semaphore(arg[2]))
  local go = assert(ipc.semaphore(arg[3]))
  assert(mx:acquire(5))
  assert(held:release())
  assert(go:acquire(10))
  if arg[4] == "release" then
    assert(mx:release())
    mx:close()
    os.exit(0)
  end
  os.exit(7) -- no close: the lock dies with us
]]

-- Start a holder of mutex name; returns the process and the "go"
-- semaphore, once the child holds the lock.
local function holder(name, how)
  local held = assert(ipc.semaphore(H.name("held", "sem"), {create = true, value = 0}))
  local go = assert(ipc.semaphore(H.name("go", "sem"), {create = true, value = 0}))
  local p = assert(ipc.spawn(lua_argv(HOLDER, name, held:name(), go:name(), how),
                             {env = lua_env()}))
  H.defer(function() p:kill("KILL"); p:wait(5) end)
  assert(held:acquire(10), "the holder did not take the lock")
  held:close()
  return p, go
end

describe("ipc.mutex", function()
  after_each(H.cleanup)

  it("round trip: acquire, release, a second handle sees the same lock", function()
    local mx <close>, name = mutex()
    assert.equal("ipc.Mutex", getmetatable(mx).__name)
    assert.equal(name, mx:name())
    assert.is_true(mx:acquire(1))
    assert.is_false(mx:owner_died())
    assert.is_true(mx:release())
    assert.is_true(mx:acquire())
    assert.is_true(mx:release())
    assert.matches("^ipc%.Mutex %(/ipc%-test", tostring(mx))
  end)

  it("another process waits until the holder releases", function()
    local mx <close>, name = mutex()
    local p, go = holder(name, "release")
    assert.is_true(go:release())
    local t, ok = elapsed(function() return mx:acquire(5) end)
    assert.is_true(ok)
    assert.is_true(t < 5)
    assert.is_false(mx:owner_died())
    assert.equal(0, p:wait(5))
    assert.is_true(mx:release())
  end)

  it("would block: timeout 0 gives EAGAIN, a timeout ETIMEDOUT after it", function()
    local mx <close>, name = mutex()
    local p, go = holder(name, "release")
    local ok, msg, err = mx:acquire(0)
    assert.is_nil(ok)
    assert.equal(E.EAGAIN, err)
    assert.matches("^acquire: ", msg)
    -- longer than one 50 ms slice of the binding's wait
    local t, ok2, _, err2 = elapsed(function() return mx:acquire(0.17) end)
    assert.is_nil(ok2)
    assert.equal(E.ETIMEDOUT, err2)
    assert.is_true(t >= 0.17 and t < 2, "waited " .. t)
    go:release()
    assert.equal(0, p:wait(5))
  end)

  it("owner died: acquire succeeds, owner_died() says so, release repairs it", function()
    local mx <close>, name = mutex()
    local p, go = holder(name, "die")
    go:release()
    assert.equal(7, p:wait(5))
    assert.is_true(mx:acquire(5))
    assert.is_true(mx:owner_died())
    assert.is_true(mx:release()) -- marks it consistent first
    assert.is_false(mx:owner_died())
    assert.is_true(mx:acquire(1))
    assert.is_false(mx:owner_died())
    assert.is_true(mx:release())
  end)

  it("EDEADLK when this process holds it, EPERM releasing a lock not held", function()
    local mx <close>, name = mutex()
    local other <close> = assert(ipc.mutex(name))
    assert.is_true(mx:acquire(1))
    assert.equal(E.EDEADLK, select(3, other:acquire(1)))
    assert.is_true(mx:release())
    local ok, msg, err = mx:release()
    assert.is_nil(ok)
    assert.equal(E.EPERM, err)
    assert.matches("^release: ", msg)
  end)

  it("closed handle: methods raise, a second close raises, __gc and __close do not", function()
    local mx = mutex()
    assert.is_true(mx:close())
    for _, m in ipairs{"acquire", "release", "owner_died", "name", "unlink"} do
      assert.has_error(function() mx[m](mx) end, "attempt to use a closed ipc.Mutex")
    end
    assert.has_error(function() mx:close() end, "attempt to use a closed ipc.Mutex")
    assert.equal("ipc.Mutex (closed)", tostring(mx))
    getmetatable(mx).__gc(mx)
    getmetatable(mx).__close(mx)
  end)

  it("EEXIST with exclusive, ENOENT without create or after unlink, EPROTO for a stranger", function()
    local mx <close>, name = mutex()
    local ok, msg, err = ipc.mutex(name, {create = true, exclusive = true})
    assert.is_nil(ok)
    assert.equal(E.EEXIST, err)
    assert.matches("^mutex /ipc%-test.*: File exists", msg)
    assert.is_true(mx:unlink())
    assert.equal(E.ENOENT, select(3, ipc.mutex(name)))
    assert.equal(E.ENOENT, select(3, mx:unlink()))
    -- the handle keeps working after the unlink
    assert.is_true(mx:acquire(0))
    assert.is_true(mx:release())
    -- a file of the wrong size and content squatting a name
    local junk = H.name("junk", "mutex")
    local f = assert(io.open("/dev/shm" .. junk, "w"))
    f:write("not a mutex")
    f:close()
    assert.equal(E.EPROTO, select(3, ipc.mutex(junk)))
  end)

  it("misuse raises: bad options and timeouts", function()
    local name = H.name("bad", "mutex")
    assert.has_error(function() ipc.mutex(name, {create = true, value = 1}) end,
      "unknown option 'value'")
    assert.has_error(function() ipc.mutex(name, {create = true, mode = -1}) end)
    assert.has_error(function() ipc.mutex(name, {create = true, timeout = -1}) end)
    local mx <close> = mutex()
    assert.has_error(function() mx:acquire(-0.5) end)
  end)

  it("__gc closes an unreachable handle and releases its lock; __close a <close> one", function()
    local _, name = mutex()
    local probe = [[
      local ipc = require "ipc"
      local mx = assert(ipc.mutex(arg[1]))
      local ok = mx:acquire(0)
      if ok then assert(mx:release()) end
      os.exit(ok and 0 or 1)
    ]]
    do
      local mx <close> = assert(ipc.mutex(name))
      assert.is_true(mx:acquire(1))
    end
    local p1 <close> = assert(ipc.spawn(lua_argv(probe, name), {env = lua_env()}))
    assert.equal(0, p1:wait(5))
    local mx = assert(ipc.mutex(name))
    assert.is_true(mx:acquire(1))
    local p2 <close> = assert(ipc.spawn(lua_argv(probe, name), {env = lua_env()}))
    assert.equal(1, p2:wait(5)) -- held by us
    mx = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    local p3 <close> = assert(ipc.spawn(lua_argv(probe, name), {env = lua_env()}))
    assert.equal(0, p3:wait(5))
  end)
end)
