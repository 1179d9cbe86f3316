-- spec/poller_spec.lua: ipc.poller() -> ipc.Poller over channels, __fd
-- objects, integer descriptors and timers.
local ipc = require "ipc"
local H = require "helper"

-- it, or pending under valgrind (spec/helper.lua: H.valgrind)
local it_native = H.valgrind and pending or it

local E = ipc.errno

local function elapsed(fn)
  local t0 = ipc.now()
  local a, b, c = fn()
  return ipc.now() - t0, a, b, c
end

-- poll() as a map object -> events, and the expirations of timers.
local function ready(poller, timeout)
  local list = assert(poller:poll(timeout))
  local map, exp = {}, {}
  for _, ev in ipairs(list) do
    assert.is_nil(map[ev[1]], "an object reported twice")
    map[ev[1]] = ev[2]
    exp[ev[1]] = ev[3]
  end
  return map, #list, exp
end

-- How many descriptors we have. H.fds() lists them with ls through
-- io.popen, which may catch popen's own pipe before it is closed: the
-- least of three counts is ours.
local function nfds()
  local n = math.huge
  for _ = 1, 3 do n = math.min(n, #H.fds()) end
  return n
end

describe("ipc.poller", function()
  after_each(H.cleanup)

  it("round trip: a channel becomes readable, then not once drained", function()
    local poller <close> = assert(ipc.poller())
    assert.equal("ipc.Poller", getmetatable(poller).__name)
    local r, w = ipc.pipe()
    assert.is_true(poller:register(r, "r"))
    assert.is_true(poller:register(w, "w"))
    assert.equal(2, poller:count())
    local map, n = ready(poller, 0)
    assert.equal(1, n)
    assert.equal("w", map[w])
    assert.is_true(w:send("one"))
    assert.is_true(w:send("two"))
    map = ready(poller, 1)
    assert.equal("r", map[r])
    assert.equal("one", r:recv(1))
    -- "two" may sit in the channel's read-ahead: still reported
    map = ready(poller, 0)
    assert.equal("r", map[r])
    assert.equal("two", r:recv(1))
    map = ready(poller, 0)
    assert.is_nil(map[r])
    assert.is_true(poller:unregister(w))
    assert.equal(1, poller:count())
    assert.matches("^ipc%.Poller %(fd %d+, 1 registered%)$", tostring(poller))
    -- end of stream: readable, and the peer hung up
    w:close()
    map = ready(poller, 1)
    assert.equal("rh", map[r])
    r:close()
  end)

  it_native("__fd objects and integer descriptors: a signal set, a process, a queue, a poller", function()
    local poller <close> = assert(ipc.poller())
    local sigs <close> = assert(ipc.signalset({"USR1"}))
    local p <close> = assert(ipc.spawn({"sleep", "0.1"}))
    local q <close> = assert(ipc.mqueue(H.name("q", "mq"), {create = true, max_messages = 2,
                                                           max_message_size = 16}))
    local r, w = ipc.pipe()
    local wfd = w:fd()
    assert.is_true(poller:register(sigs))
    assert.is_true(poller:register(p, "r"))
    assert.is_true(poller:register(q, "r"))
    assert.is_true(poller:register(wfd, "w"))
    local map = ready(poller, 0)
    assert.same({[wfd] = "w"}, map)
    assert.is_true(ipc.send_signal(ipc.getpid(), "USR1"))
    assert.is_true(q:send("x"))
    map = ready(poller, 1)
    assert.equal("r", map[sigs])
    assert.equal("r", map[q])
    assert.equal("USR1", sigs:wait(0).name)
    assert.equal("x", (q:receive(0)))
    assert.is_true(poller:unregister(wfd)) -- always ready
    map = ready(poller, 5) -- the child exits after 0.1 s
    assert.equal("r", map[p])
    assert.equal(0, p:wait(0))
    -- modify: the queue is writable, not readable
    assert.is_true(poller:modify(q, "w"))
    assert.equal("w", ready(poller, 0)[q])
    -- a poller is pollable too
    local outer <close> = assert(ipc.poller())
    assert.is_true(outer:register(poller))
    assert.equal("r", ready(outer, 1)[poller])
    for _, o in ipairs{sigs, p, q} do assert.is_true(poller:unregister(o)) end
    r:close()
    w:close()
  end)

  it("timers: periodic with expirations, one-shot, removed by unregister", function()
    local poller <close> = assert(ipc.poller())
    local tick = assert(poller:add_timer(0.05))
    local once = assert(poller:add_timer(0, 0.02))
    local seen, t0 = {}, ipc.now()
    while not (seen.tick and seen.once) and ipc.now() - t0 < 5 do
      local map, _, exp = ready(poller, 1)
      for obj, ev in pairs(map) do
        assert.equal("t", ev)
        assert.is_true(exp[obj] >= 1)
        assert.equal(exp[obj], obj.expirations)
        if obj == tick then seen.tick = true end
        if obj == once then seen.once = true end
      end
    end
    assert.is_true(seen.tick and seen.once)
    assert.equal(0.05, tick.interval)
    assert.equal(0, once.interval)
    assert.is_true(poller:unregister(tick))
    assert.is_true(poller:unregister(once))
    assert.equal(0, poller:count())
    -- a late poller reports a periodic timer once with its missed count
    local fast = assert(poller:add_timer(0.01))
    os.execute("sleep 0.2")
    local _, n, exp = ready(poller, 1)
    assert.equal(1, n)
    assert.is_true(exp[fast] >= 5, "expirations " .. tostring(exp[fast]))
  end)

  it("would block: poll(0) and a timeout return an empty list", function()
    local poller <close> = assert(ipc.poller())
    local r, w = ipc.pipe()
    assert.is_true(poller:register(r))
    assert.same({}, poller:poll(0))
    local t, list = elapsed(function() return poller:poll(0.1) end)
    assert.same({}, list)
    assert.is_true(t >= 0.1 and t < 2, "waited " .. t)
    r:close()
    w:close()
  end)

  it("an independent writer (sh) and sender (Python) wake the poller", function()
    local poller <close> = assert(ipc.poller())
    local p <close> = assert(ipc.spawn({"sh", "-c", "sleep 0.2; echo hi"}, {stdout = "pipe"}))
    local sigs <close> = assert(ipc.signalset({"USR2"}))
    assert.is_true(poller:register(p.stdout, "r"))
    assert.is_true(poller:register(sigs, "r"))
    local t, list = elapsed(function() return poller:poll(5) end)
    assert.equal(1, #list)
    assert.equal(p.stdout, list[1][1])
    assert.is_true(t >= 0.1 and t < 4, "waited " .. t)
    assert.equal(0, p:wait(5))
    local ok, out = H.run_python("import os, signal, sys; os.kill(int(sys.argv[1]), signal.SIGUSR2)",
                                 tostring(ipc.getpid()))
    assert.is_true(ok, out)
    assert.equal("r", ready(poller, 2)[sigs])
    assert.equal("USR2", sigs:wait(0).name)
  end)

  it("closed handle: methods raise, a second close raises, __gc and __close do not", function()
    local poller = assert(ipc.poller())
    assert.is_true(poller:close())
    for _, m in ipairs{"register", "modify", "unregister", "add_timer", "poll", "count", "fd"} do
      assert.has_error(function() poller[m](poller, 1, "r") end, "attempt to use a closed ipc.Poller")
    end
    assert.has_error(function() poller:close() end, "attempt to use a closed ipc.Poller")
    assert.equal("ipc.Poller (closed)", tostring(poller))
    getmetatable(poller).__gc(poller)
    getmetatable(poller).__close(poller)
    -- registering a closed object raises as using it does
    local sigs = assert(ipc.signalset({"USR1"}))
    sigs:close()
    local live <close> = assert(ipc.poller())
    assert.has_error(function() live:register(sigs) end, "attempt to use a closed ipc.SignalSet")
  end)

  it("objects closed while registered are dropped by the next poll", function()
    collectgarbage() -- no garbage descriptor is freed in between
    local poller <close> = assert(ipc.poller())
    local r, w = ipc.pipe()
    local sigs = assert(ipc.signalset({"USR1"}))
    local fd = sigs:fd()
    assert.is_true(poller:register(r))
    assert.is_true(poller:register(sigs))
    assert.is_true(poller:register(w, "w"))
    sigs:close()
    assert.equal("w", ready(poller, 0)[w])
    assert.equal(2, poller:count())
    -- the signal set's descriptor number, reused, registers again
    local again <close> = assert(ipc.signalset({"USR1"}))
    assert.equal(fd, again:fd())
    assert.is_true(poller:register(again))
    -- a channel closed: the loop must not use it again
    assert.is_true(w:send("x"))
    r:close()
    local map, n = ready(poller, 0)
    assert.equal(1, n)
    assert.equal("we", map[w]) -- writable, and its readers are gone
    assert.equal(2, poller:count())
    assert.equal(E.ENOENT, select(3, poller:unregister(r)))
    w:close()
  end)

  it("EEXIST registering twice, ENOENT for what is not registered", function()
    local poller <close> = assert(ipc.poller())
    local r, w = ipc.pipe()
    assert.is_true(poller:register(r))
    local ok, msg, err = poller:register(r, "rw")
    assert.is_nil(ok)
    assert.equal(E.EEXIST, err)
    assert.matches("^register: File exists", msg)
    -- the same descriptor under another name: the core refuses it
    assert.equal(E.EEXIST, select(3, poller:register(r:fd())))
    assert.equal(E.ENOENT, select(3, poller:unregister(w)))
    assert.equal(E.ENOENT, select(3, poller:modify(w, "w")))
    assert.equal(E.EBADF, select(3, poller:register(1000)))
    r:close()
    w:close()
  end)

  it("misuse raises: not pollable, bad events, bad timer arguments", function()
    local poller <close> = assert(ipc.poller())
    assert.has_error(function() poller:register({}) end)
    assert.has_error(function() poller:register() end)
    assert.has_error(function() poller:register("x") end)
    local sigs <close> = assert(ipc.signalset({"USR1"}))
    assert.has_error(function() poller:register(sigs, "x") end)
    assert.has_error(function() poller:add_timer() end)
    assert.has_error(function() poller:add_timer(-1) end)
    assert.has_error(function() poller:poll(-1) end)
    local timer = poller:add_timer(1)
    assert.equal(E.EINVAL, select(3, poller:modify(timer, "r")))
  end)

  it("__gc closes an unreachable poller, close and __close let go of its objects", function()
    collectgarbage() -- earlier tests' garbage first
    collectgarbage()
    local fds = nfds()
    local weak = setmetatable({}, {__mode = "k"})
    do
      local poller <close> = assert(ipc.poller())
      local sigs = assert(ipc.signalset({"USR2"}))
      weak[sigs] = true
      assert.is_true(poller:register(sigs))
    end
    collectgarbage()
    collectgarbage()
    assert.is_nil(next(weak))
    assert.equal(fds, nfds())
    local poller = assert(ipc.poller())
    assert.equal(fds + 1, nfds())
    assert.equal(poller:fd(), getmetatable(poller).__fd(poller))
    poller = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    assert.equal(fds, nfds())
  end)
end)
