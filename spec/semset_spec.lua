-- spec/semset_spec.lua: System V semaphore sets, ipc.semset() -> ipc.SemSet.
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

local function set(opts)
  local key = H.key()
  opts = opts or {}
  opts.create = true
  return assert(ipc.semset(key, opts)), key
end

-- python3-sysv-ipc, an independent implementation: a Semaphore on the
-- set's counter 0. Prints the value it saw, releases argv[2] times, then
-- takes one with a 5 s timeout if argv[3] is "take".
local SYSV_PEER = [[
import sys, sysv_ipc
s = sysv_ipc.Semaphore(int(sys.argv[1]))
print(s.value, flush=True)
for _ in range(int(sys.argv[2])):
    s.release()
if len(sys.argv) > 3:
    s.acquire(5)
    print("took", flush=True)
]]

describe("ipc.semset", function()
  after_each(H.cleanup)

  it("round trip: values, get/set, an atomic op, a second handle by key", function()
    local ss <close>, key = set{values = {1, 0, 2}}
    assert.equal("ipc.SemSet", getmetatable(ss).__name)
    assert.equal(3, ss:count())
    assert.equal(key, ss:key())
    assert.is_true(ss:id() >= 0)
    assert.same({1, 0, 2}, ss:values())
    assert.is_true(ss:op({{0, -1}, {2, 1}}))
    assert.same({0, 0, 3}, ss:values())
    assert.is_true(ss:set(1, 7))
    assert.equal(7, ss:get(1))
    assert.is_true(ss:set_values({4, 5, 6}))
    local other <close> = assert(ipc.semset(key)) -- count 0: any size
    assert.equal(3, other:count())
    assert.same({4, 5, 6}, other:values())
    assert.equal(ss:id(), other:id())
    assert.matches("^ipc%.SemSet %(key 0x%x+, id %d+%)$", tostring(ss))
  end)

  it("count defaults to 1 when creating; keys as strings and {path, proj}", function()
    local ss <close>, key = set()
    assert.equal(1, ss:count())
    assert.same({0}, ss:values())
    local again <close> = assert(ipc.semset(string.format("0x%x", key)))
    assert.equal(ss:id(), again:id())
    local path = H.path("ftok")
    assert(io.open(path, "w")):close()
    local fk <close> = assert(ipc.semset({path, 7}, {create = true, values = {3}}))
    H.defer(function() ipc.unlink("semset:" .. fk:key()) end)
    assert.same({3}, fk:values())
    assert.is_true(fk:remove())
  end)

  it("would block: timeout 0 and nowait give EAGAIN, a timeout ETIMEDOUT, nothing half done", function()
    local ss <close> = set{values = {1, 0}}
    local ok, msg, err = ss:op({{0, -1}, {1, -1}}, {timeout = 0})
    assert.is_nil(ok)
    assert.equal(E.EAGAIN, err)
    assert.matches("^op: ", msg)
    assert.same({1, 0}, ss:values()) -- all or none
    assert.equal(E.EAGAIN, select(3, ss:op({{1, -1}}, {nowait = true})))
    local t, ok2, _, err2 = elapsed(function() return ss:op({{1, -1}}, {timeout = 0.1}) end)
    assert.is_nil(ok2)
    assert.equal(E.ETIMEDOUT, err2)
    assert.is_true(t >= 0.1 and t < 2, "waited " .. t)
    -- op 0 waits for zero
    assert.equal(E.EAGAIN, select(3, ss:op({{0, 0}}, {timeout = 0})))
    assert.is_true(ss:op({{1, 0}}, {timeout = 0}))
  end)

  it("undo: the kernel gives back what a process took when it exits", function()
    local ss <close>, key = set{values = {1}}
    local p <close> = assert(ipc.spawn(lua_argv([[
      local ipc = require "ipc"
      local ss = assert(ipc.semset(arg[1]))
      assert(ss:op({{0, -1}}, {undo = true, timeout = 5}))
      os.exit(0) -- holding it
    ]], tostring(key)), {env = lua_env()}))
    assert.equal(0, p:wait(5))
    assert.same({1}, ss:values())
  end)

  it("a waiter is woken by sysv_ipc releasing in another process", function()
    local ss <close>, key = set{values = {0}}
    local ok, out = H.run_python(SYSV_PEER, tostring(key), "2")
    assert.is_true(ok, out)
    assert.equal("0", out:match("^(%d+)"))
    assert.is_true(ss:op({{0, -2}}, {timeout = 1}))
    -- and the other way: Python waits until we release
    local p <close> = assert(ipc.spawn({H.python, "-c", SYSV_PEER, tostring(key), "0", "take"},
                                       {stdout = "pipe"}))
    local out2 = ""
    repeat
      out2 = out2 .. assert(p.stdout:read(100, 5))
    until out2:find("\n")
    assert.equal("0\n", out2)
    assert.is_true(ss:op({{0, 1}}))
    assert.equal(0, p:wait(5))
    assert.same({0}, ss:values())
  end)

  it("closed handle: methods raise, a second close raises, __gc and __close do not", function()
    local ss = set()
    assert.is_true(ss:close())
    for _, m in ipairs{"op", "values", "set_values", "get", "set", "count", "key", "id", "remove"} do
      assert.has_error(function() ss[m](ss, {{0, 1}}, 1) end, "attempt to use a closed ipc.SemSet")
    end
    assert.has_error(function() ss:close() end, "attempt to use a closed ipc.SemSet")
    assert.equal("ipc.SemSet (closed)", tostring(ss))
    getmetatable(ss).__gc(ss)
    getmetatable(ss).__close(ss)
  end)

  it("EEXIST with exclusive, ENOENT without create, EINVAL for another size, EIDRM after remove", function()
    local ss <close>, key = set{count = 2}
    local ok, msg, err = ipc.semset(key, {create = true, exclusive = true, count = 2})
    assert.is_nil(ok)
    assert.equal(E.EEXIST, err)
    assert.matches("^semset 0x%x+: File exists", msg)
    assert.equal(E.EINVAL, select(3, ipc.semset(key, {count = 3})))
    assert.is_true(ss:remove())
    assert.equal(E.EIDRM, select(3, ss:values()))
    assert.equal(E.EIDRM, select(3, ss:op({{0, 1}})))
    ok, msg, err = ipc.semset(key)
    assert.is_nil(ok)
    assert.equal(E.ENOENT, err)
    assert.equal(E.EIDRM, select(3, ss:remove()))
  end)

  it("removal wakes a waiter in another process with EIDRM", function()
    local ss <close>, key = set{values = {0}}
    local p <close> = assert(ipc.spawn(lua_argv([[
      local ipc = require "ipc"
      local ss = assert(ipc.semset(arg[1]))
      local ok, msg, err = ss:op({{0, -1}}, {timeout = 5})
      os.exit(err == ipc.errno.EIDRM and 3 or 1)
    ]], tostring(key)), {env = lua_env()}))
    os.execute("sleep 0.2")
    assert.is_true(ss:remove())
    assert.equal(3, p:wait(5))
  end)

  it("misuse raises: bad operations, values and options; core limits fail", function()
    local ss <close> = set{count = 2}
    assert.has_error(function() ss:op({}) end)
    assert.has_error(function() ss:op({{0}}) end)
    assert.has_error(function() ss:op({{0, 40000}}) end)
    assert.has_error(function() ss:op({{-1, 1}}) end)
    assert.has_error(function() ss:op({"x"}) end)
    assert.has_error(function() ss:op({{0, 1}}, {undo = true, timout = 1}) end,
      "unknown option 'timout'")
    assert.has_error(function() ss:set_values({1}) end)
    assert.has_error(function() ss:set_values({1, -1}) end)
    assert.has_error(function() ipc.semset(H.key(), {create = true, values = {1}, count = 2}) end)
    assert.has_error(function() ipc.semset(H.key(), {create = true, values = {}}) end)
    assert.has_error(function() ipc.semset(true) end)
    assert.equal(E.EFBIG, select(3, ss:op({{5, 1}})))
    assert.equal(E.EFBIG, select(3, ss:get(2)))
    assert.equal(E.ERANGE, select(3, ss:set(0, 40000)))
    assert.equal(E.ERANGE, select(3, ss:set_values({1, 40000})))
  end)

  it("__gc frees an unreachable handle and leaves the set; __close a <close> one", function()
    local key = H.key()
    do
      local ss <close> = assert(ipc.semset(key, {create = true, values = {4}}))
    end
    local ss = assert(ipc.semset(key))
    ss = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    local again <close> = assert(ipc.semset(key))
    assert.same({4}, again:values())
  end)
end)
