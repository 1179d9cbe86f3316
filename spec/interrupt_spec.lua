-- spec/interrupt_spec.lua: signals reach Lua code blocked in the module.
--
-- The stock lua5.4 interpreter's SIGINT handler (installed without
-- SA_RESTART on Debian's 5.4.4, checked with strace) only sets a debug
-- hook; a blocking call that returns -EINTR runs that hook through
-- lipc_interrupted, which raises "interrupted!". The robust mutex wait,
-- which signals do not interrupt, waits in slices and looks for the hook
-- between them. ipc.set_interrupt_hook(fn) replaces that: fn raises to
-- abandon the call or returns to retry it within the same deadline.
local ipc = require "ipc"
local H = require "helper"

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

local function read_all(ch)
  local parts = {}
  while true do
    local s = ch:read(4096, 5)
    if s == nil or s == "" then break end
    parts[#parts + 1] = s
  end
  return table.concat(parts)
end

-- The child's prologue: the objects every blocking snippet may use. arg[1]
-- is the "ready" semaphore, arg[2] a mutex the parent holds, arg[3] a
-- semaphore set key.
local PROLOGUE = [[
  local ipc = require "ipc"
  local ready = assert(ipc.semaphore(arg[1]))
  local s = assert(ipc.semaphore(arg[1] .. "-b", {create = true, value = 0}))
  s:unlink()
  local mx = assert(ipc.mutex(arg[2]))
  local ss = assert(ipc.semset(tonumber(arg[3])))
  local r, w = ipc.pipe()
  local sigs = assert(ipc.signalset({"USR2"}))
  local poller = assert(ipc.poller())
  assert(poller:register(r))
  local p = assert(ipc.spawn({"sleep", "30"}, {pdeathsig = true}))
]]

-- Start a child running PROLOGUE .. body, once it is about to block.
local function start(body)
  local ready = assert(ipc.semaphore(H.name("ready", "sem"), {create = true, value = 0}))
  local mx = assert(ipc.mutex(H.name("mx", "mutex"), {create = true}))
  assert(mx:acquire(1)) -- held by us: the child's mx:acquire() blocks
  local key = H.key()
  local ss = assert(ipc.semset(key, {create = true, values = {0}}))
  local p = assert(ipc.spawn(lua_argv(PROLOGUE .. "\n ready:release()\n" .. body,
                                      ready:name(), mx:name(), tostring(key)),
                             {env = lua_env(), stdout = "pipe", stderr = "pipe"}))
  H.defer(function()
    p:kill("KILL")
    p:wait(5)
    mx:close()
    ss:close()
  end)
  assert(ready:acquire(10), "the child did not start")
  ready:close()
  -- Let it block. Not a multiple of 50 ms: sliced waits (rings, the
  -- poller) end a slice every 50 ms, and a stop/continue that lands as a
  -- slice times out gives no EINTR (the kernel reports the timeout).
  os.execute("sleep 0.325")
  return p
end

describe("interrupts", function()
  after_each(H.cleanup)

  local blocking = {
    ["Channel:recv (a pipe, no deadline: plain read(2))"] = "r:recv()",
    ["Sem:acquire"] = "s:acquire()",
    ["Mutex:acquire (sliced wait)"] = "mx:acquire()",
    ["SemSet:op"] = "ss:op({{0, -1}})",
    ["SignalSet:wait"] = "sigs:wait()",
    ["Poller:poll"] = "poller:poll()",
    ["Process:wait"] = "p:wait()",
  }
  for what, call in pairs(blocking) do
    it("Ctrl+C under the stock lua5.4 interrupts " .. what, function()
      local p = start(call .. "\nio.stdout:write('returned')")
      local t0 = ipc.now()
      assert.is_true(p:kill("INT"))
      local code = p:wait(2)
      local delay = ipc.now() - t0
      print(string.format("  %s: interrupted after %.4f s", what, delay))
      local err = read_all(p.stderr)
      assert.equal(1, code, err)
      assert.matches("interrupted!", err)
      assert.equal("", read_all(p.stdout))
      assert.is_true(delay < 2, "took " .. delay)
    end)
  end

  -- SIGSTOP + SIGCONT make semop(2) and epoll_wait(2) fail with EINTR
  -- without any handler running (signal(7)): the registered hook alone
  -- decides, with no interpreter hook pending. Each call: a 5 s one to
  -- abandon, a 1 s one to retry.
  local stoppable = {
    {"ss:op({{0, -1}}, {timeout = 5})", "ss:op({{0, -1}}, {timeout = 1})"},
    {"poller:poll(5)", "poller:poll(1)"},
  }
  for _, calls in ipairs(stoppable) do
    it("a hook that raises abandons " .. calls[1], function()
      local p = start(string.format([[
        ipc.set_interrupt_hook(function() error("stop", 0) end)
        local t0 = ipc.now()
        local ok, e = pcall(function() return %s end)
        io.stdout:write(tostring(ok), " ", tostring(e), string.format(" %%.3f", ipc.now() - t0))
      ]], calls[1]))
      assert.is_true(p:kill("STOP"))
      assert.is_true(p:kill("CONT"))
      assert.equal(0, p:wait(5))
      local out = read_all(p.stdout)
      local ok, e, t = out:match("^(%a+) (%a+) ([%d.]+)$")
      assert.equal("false", ok, out .. read_all(p.stderr))
      assert.equal("stop", e)
      assert.is_true(tonumber(t) < 4, out)
    end)

    it("a hook that returns retries " .. calls[2] .. " within its deadline", function()
      local p = start(string.format([[
        local n = 0
        ipc.set_interrupt_hook(function() n = n + 1 end)
        local t0 = ipc.now()
        local a, _, c = %s
        io.stdout:write(n, " ", tostring(c or a), string.format(" %%.3f", ipc.now() - t0))
      ]], calls[2]))
      assert.is_true(p:kill("STOP"))
      assert.is_true(p:kill("CONT"))
      assert.equal(0, p:wait(5))
      local out = read_all(p.stdout)
      local n, res, t = out:match("^(%d+) (.-) ([%d.]+)$")
      assert.is_truthy(n, out .. read_all(p.stderr))
      assert.is_true(tonumber(n) >= 1, out)
      -- the call went on to its own 1 s deadline: ETIMEDOUT, or an empty
      -- list from poll
      assert.is_true(res == tostring(ipc.errno.ETIMEDOUT) or res:match("^table") ~= nil, out)
      assert.is_true(tonumber(t) >= 1 and tonumber(t) < 3, out)
    end)
  end
end)
