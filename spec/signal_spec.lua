-- spec/signal_spec.lua: ipc.send_signal() and ipc.signalset() -> ipc.SignalSet.
local ipc = require "ipc"
local H = require "helper"

local E = ipc.errno

local function elapsed(fn)
  local t0 = ipc.now()
  local a, b, c = fn()
  return ipc.now() - t0, a, b, c
end

-- The blocked-signal mask of this process (SigBlk of /proc/self/status)
-- as an integer.
local function sigblk()
  local f = assert(io.open("/proc/self/status"))
  local s = f:read("a")
  f:close()
  return tonumber(s:match("SigBlk:%s*(%x+)"), 16)
end

local function bit(signo)
  return 1 << (signo - 1)
end

-- An independent sender: sigqueue(3) through ctypes with a payload, then
-- os.kill without one.
local PY_SENDER = [[
import ctypes, os, signal, sys
class sigval(ctypes.Union):
    _fields_ = [("sival_int", ctypes.c_int), ("sival_ptr", ctypes.c_void_p)]
libc = ctypes.CDLL(None, use_errno=True)
libc.sigqueue.argtypes = [ctypes.c_int, ctypes.c_int, sigval]
pid = int(sys.argv[1])
if libc.sigqueue(pid, signal.SIGUSR2, sigval(sival_int=int(sys.argv[2]))) != 0:
    raise OSError(ctypes.get_errno(), "sigqueue")
os.kill(pid, signal.SIGUSR1)
print(os.getpid(), os.getuid())
]]

-- How many descriptors we have. H.fds() lists them with ls through
-- io.popen, which may catch popen's own pipe before it is closed: the
-- least of three counts is ours.
local function nfds()
  local n = math.huge
  for _ = 1, 3 do n = math.min(n, #H.fds()) end
  return n
end

describe("signals", function()
  after_each(H.cleanup)

  it("round trip: sigqueue with a payload and kill without, as data", function()
    local sigs <close> = assert(ipc.signalset({"USR1", "SIGUSR2"}))
    assert.equal("ipc.SignalSet", getmetatable(sigs).__name)
    assert.is_true(ipc.send_signal(ipc.getpid(), "USR1", 42))
    local info = assert(sigs:wait(1))
    assert.equal(10, info.signo)
    assert.equal("USR1", info.name)
    assert.equal(ipc.getpid(), info.pid)
    assert.is_number(info.uid)
    assert.equal(42, info.value)
    assert.equal(-1, info.code) -- SI_QUEUE
    assert.is_true(ipc.send_signal(ipc.getpid(), 12))
    info = assert(sigs:wait(1))
    assert.equal("USR2", info.name)
    assert.equal(0, info.value)
    assert.equal(0, info.code) -- SI_USER
    assert.matches("^ipc%.SignalSet %(fd %d+%)$", tostring(sigs))
    assert.equal(sigs:fd(), getmetatable(sigs).__fd(sigs))
  end)

  it("real-time signals queue in order, each with its payload", function()
    local sigs <close> = assert(ipc.signalset({"RTMIN+2"}))
    for v = 1, 3 do assert.is_true(ipc.send_signal(ipc.getpid(), "RTMIN+2", v)) end
    for v = 1, 3 do
      local info = assert(sigs:wait(1))
      assert.equal("RTMIN+2", info.name)
      assert.equal(v, info.value)
    end
    assert.equal(E.EAGAIN, select(3, sigs:wait(0)))
  end)

  it("would block: wait(0) gives EAGAIN, a timeout ETIMEDOUT after it", function()
    local sigs <close> = assert(ipc.signalset({"USR1"}))
    local ok, msg, err = sigs:wait(0)
    assert.is_nil(ok)
    assert.equal(E.EAGAIN, err)
    assert.matches("^wait: ", msg)
    local t, ok2, msg2, err2 = elapsed(function() return sigs:wait(0.1) end)
    assert.is_nil(ok2)
    assert.equal(E.ETIMEDOUT, err2)
    assert.matches("timed out", msg2)
    assert.is_true(t >= 0.1 and t < 2, "waited " .. t)
  end)

  it("blocks its signals while open and restores the mask on close", function()
    local before = sigblk()
    assert.equal(0, before & bit(10))
    local sigs = assert(ipc.signalset({"USR1"}))
    assert.equal(bit(10), sigblk() & bit(10))
    assert.is_true(sigs:close())
    assert.equal(before, sigblk())
  end)

  it("closed handle: methods raise, a second close raises, __gc and __close do not", function()
    local sigs = assert(ipc.signalset({"USR1"}))
    assert.is_true(sigs:close())
    for _, m in ipairs{"wait", "fd"} do
      assert.has_error(function() sigs[m](sigs) end, "attempt to use a closed ipc.SignalSet")
    end
    assert.has_error(function() sigs:close() end, "attempt to use a closed ipc.SignalSet")
    assert.equal("ipc.SignalSet (closed)", tostring(sigs))
    getmetatable(sigs).__gc(sigs)
    getmetatable(sigs).__close(sigs)
  end)

  it("ESRCH for a process that does not exist; 0 only checks", function()
    assert.is_true(ipc.send_signal(ipc.getpid(), 0))
    local ok, msg, err = ipc.send_signal(0x3fffffff, "USR1")
    assert.is_nil(ok)
    assert.equal(E.ESRCH, err)
    assert.matches("^send_signal: No such process", msg)
    assert.equal(E.ESRCH, select(3, ipc.send_signal(0x3fffffff, "USR1", 1)))
    assert.equal(E.ESRCH, select(3, ipc.send_signal(0x3fffffff, 0)))
  end)

  it("misuse raises: unknown signals, KILL in a set, bad pids and payloads", function()
    assert.has_error(function() ipc.signalset({"NOPE"}) end)
    assert.has_error(function() ipc.signalset({}) end)
    assert.has_error(function() ipc.signalset("USR1") end)
    assert.has_error(function() ipc.send_signal(ipc.getpid(), "BOGUS") end)
    assert.has_error(function() ipc.send_signal(0, "USR1") end)
    assert.has_error(function() ipc.send_signal(-1, "USR1") end)
    assert.has_error(function() ipc.send_signal(ipc.getpid(), "USR1", 1 << 40) end)
    assert.has_error(function() ipc.send_signal(ipc.getpid(), "USR1", "x") end)
    assert.equal(E.EINVAL, select(3, ipc.signalset({"KILL"})))
  end)

  it("__gc closes an unreachable set (descriptor and mask), __close a <close> one", function()
    collectgarbage() -- earlier tests' garbage first
    local fds, mask = nfds(), sigblk()
    do
      local sigs <close> = assert(ipc.signalset({"USR2"}))
      assert.equal(fds + 1, nfds())
    end
    assert.equal(fds, nfds())
    assert.equal(mask, sigblk())
    local sigs = assert(ipc.signalset({"USR2"}))
    assert.equal(bit(12), sigblk() & bit(12))
    sigs = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    assert.equal(fds, nfds())
    assert.equal(mask, sigblk())
  end)

  it("interop: Python's sigqueue (ctypes) and os.kill reach a set", function()
    local sigs <close> = assert(ipc.signalset({"USR1", "USR2"}))
    local ok, out = H.run_python(PY_SENDER, tostring(ipc.getpid()), "-77")
    assert.is_true(ok, out)
    local pypid, pyuid = out:match("^(%d+) (%d+)")
    local got = {}
    for _ = 1, 2 do
      local info = assert(sigs:wait(2))
      got[info.name] = info
    end
    assert.equal(-77, got.USR2.value)
    assert.equal(-1, got.USR2.code)
    assert.equal(tonumber(pypid), got.USR2.pid)
    assert.equal(tonumber(pyuid), got.USR2.uid)
    assert.equal(0, got.USR1.code)
    assert.equal(tonumber(pypid), got.USR1.pid)
  end)
end)
