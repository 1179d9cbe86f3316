-- spec/proc_spec.lua: child processes, ipc.spawn() -> ipc.Process, with
-- coreutils and sh as the independent peers.
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

-- Everything a channel gives until end of stream (5 s per read at most).
local function read_all(ch)
  local parts = {}
  while true do
    local s, msg = ch:read(4096, 5)
    if s == nil then
      assert(msg == nil, msg) -- nil alone is end of stream
      break
    end
    if s == "" then break end
    parts[#parts + 1] = s
  end
  return table.concat(parts)
end

-- /proc/<pid>/stat's state letter, or nil once the process is gone.
local function proc_state(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return nil end
  local s = f:read("a") -- nil when the process went between open and read
  f:close()
  return s and s:match("^%d+ %b() (%a)")
end

-- How many descriptors we have. H.fds() lists them with ls through
-- io.popen, which may catch popen's own pipe before it is closed: the
-- least of three counts is ours.
local function nfds()
  local n = math.huge
  for _ = 1, 3 do n = math.min(n, #H.fds()) end
  return n
end

describe("ipc.spawn", function()
  after_each(H.cleanup)

  it("round trip: sort through a stdin pipe and a stdout pipe", function()
    local p <close> = assert(ipc.spawn({"sort"}, {stdin = "pipe", stdout = "pipe"}))
    assert.equal("ipc.Process", getmetatable(p).__name)
    assert.is_nil(p.stderr)
    assert.equal(15, p.stdin:write("pear\napple\nfig\n"))
    assert.is_true(p.stdin:close())
    assert.equal("apple\nfig\npear\n", read_all(p.stdout))
    assert.equal(0, p:wait(5))
    assert.equal(0, p:wait(0)) -- the status is kept
    assert.is_true(p:pid() > 0)
    assert.matches("^ipc%.Process %(pid %d+%)$", tostring(p))
    p.stdout:close()
  end)

  it("exit codes, stderr alone or merged into stdout, and a killing signal", function()
    local p <close> = assert(ipc.spawn({"sh", "-c", "echo out; echo err >&2; exit 3"},
                                       {stdout = "pipe", stderr = "pipe"}))
    assert.equal("out\n", read_all(p.stdout))
    assert.equal("err\n", read_all(p.stderr))
    assert.equal(3, p:wait(5))
    local m <close> = assert(ipc.spawn({"sh", "-c", "echo a; echo b >&2"},
                                       {stdout = "pipe", stderr = "stdout"}))
    assert.is_nil(m.stderr)
    assert.equal("a\nb\n", read_all(m.stdout))
    assert.equal(0, m:wait(5))
    local k <close> = assert(ipc.spawn({"sleep", "10"}))
    assert.is_true(k:kill()) -- TERM
    assert.equal(-15, k:wait(5))
    local ok, msg, err = k:kill("KILL")
    assert.is_nil(ok)
    assert.equal(E.ESRCH, err)
    assert.matches("^kill: ", msg)
  end)

  it("wiring: null, a channel, an integer descriptor, an __fd object, more descriptors", function()
    local n <close> = assert(ipc.spawn({"cat"}, {stdin = "null", stdout = "pipe"}))
    assert.equal("", read_all(n.stdout))
    assert.equal(0, n:wait(5))
    -- echo | cat | cat: a channel end, then its integer descriptor
    local e <close> = assert(ipc.spawn({"echo", "hello"}, {stdout = "pipe"}))
    local c1 <close> = assert(ipc.spawn({"cat"}, {stdin = e.stdout, stdout = "pipe"}))
    e.stdout:close()
    local c2 <close> = assert(ipc.spawn({"cat"}, {stdin = c1.stdout:fd(), stdout = "pipe"}))
    c1.stdout:close()
    assert.equal("hello\n", read_all(c2.stdout))
    for _, p in ipairs{e, c1, c2} do assert.equal(0, p:wait(5)) end
    -- an object with __fd: the child writes to descriptor 3
    local r, w = ipc.pipe()
    local obj = setmetatable({}, {__fd = function() return w:fd() end})
    local f <close> = assert(ipc.spawn({"sh", "-c", "echo three >&3; ls /proc/self/fd"},
                                       {fds = {[3] = obj}, stdout = "pipe"}))
    w:close()
    local listing = read_all(f.stdout)
    assert.equal("three\n", read_all(r))
    r:close()
    assert.equal(0, f:wait(5))
    -- the child had 0, 1, 2, 3 and ls's own directory descriptor only
    local count = 0
    for _ in listing:gmatch("%d+") do count = count + 1 end
    assert.equal(5, count, listing)
  end)

  it("env, cwd and endpoints", function()
    local dir = H.tmpdir()
    local p <close> = assert(ipc.spawn({"/bin/sh", "-c", 'echo "$FOO|$BAR|$HOME"; pwd'},
      {env = {FOO = "foo value", "BAR=bar"}, cwd = dir, stdout = "pipe"}))
    assert.equal("foo value|bar|\n" .. dir .. "\n", read_all(p.stdout))
    assert.equal(0, p:wait(5))
    local ring = H.name("ring", "ring")
    local q <close> = assert(ipc.spawn({"sh", "-c", 'echo "$IPC_ENDPOINTS"'},
      {endpoints = {["in"] = "ring:" .. ring, out = "unix:/tmp/a;b"}, stdout = "pipe"}))
    local value = read_all(q.stdout)
    assert.matches("in=ring:" .. ring:gsub("%-", "%%-"), value)
    assert.matches("out=unix:/tmp/a%%3Bb", value) -- ';' encoded
    assert.equal(0, q:wait(5))
  end)

  it("would block: wait(0) gives EAGAIN, a timeout ETIMEDOUT after it", function()
    local p <close> = assert(ipc.spawn({"sleep", "10"}))
    local ok, msg, err = p:wait(0)
    assert.is_nil(ok)
    assert.equal(E.EAGAIN, err)
    assert.matches("^wait: ", msg)
    local t, ok2, _, err2 = elapsed(function() return p:wait(0.1) end)
    assert.is_nil(ok2)
    assert.equal(E.ETIMEDOUT, err2)
    assert.is_true(t >= 0.1 and t < 2, "waited " .. t)
    assert.is_true(p:kill("KILL"))
    assert.equal(-9, p:wait(5))
  end)

  it("new_group: kill_group reaches the grandchildren", function()
    local p <close> = assert(ipc.spawn({"sh", "-c", "sleep 30 & echo $!; wait"},
                                       {new_group = true, stdout = "pipe"}))
    local line = ""
    repeat line = line .. assert(p.stdout:read(64, 5)) until line:find("\n")
    local grandchild = tonumber(line:match("%d+"))
    assert.is_true(p:kill_group("TERM"))
    assert.equal(-15, p:wait(5))
    local t0 = ipc.now()
    while proc_state(grandchild) and proc_state(grandchild) ~= "Z" and ipc.now() - t0 < 5 do
      os.execute("sleep 0.05")
    end
    assert.is_true(proc_state(grandchild) == nil or proc_state(grandchild) == "Z")
    local s <close> = assert(ipc.spawn({"true"}))
    assert.equal(E.EINVAL, select(3, s:kill_group("TERM"))) -- not a leader
    s:wait(5)
  end)

  it("pdeathsig: the child dies with the process that spawned it", function()
    local src = [[
      local ipc = require "ipc"
      local p = assert(ipc.spawn({"sleep", "30"}, {pdeathsig = true}))
      print(p:pid())
      os.exit(0)
    ]]
    local env = {PATH = os.getenv("PATH"), LUA_CPATH = H.build .. "/lua/?.so;;"}
    local mid <close> = assert(ipc.spawn({H.lua, "-e", src}, {env = env, stdout = "pipe"}))
    local pid = tonumber(read_all(mid.stdout):match("%d+"))
    assert.equal(0, mid:wait(5))
    local t0 = ipc.now()
    while proc_state(pid) and proc_state(pid) ~= "Z" and ipc.now() - t0 < 5 do
      os.execute("sleep 0.05")
    end
    assert.is_true(proc_state(pid) == nil or proc_state(pid) == "Z")
  end)

  it("closed handle: methods raise, a second close raises, __gc and __close do not", function()
    local p = assert(ipc.spawn({"true"}))
    assert.equal(0, p:wait(5))
    assert.is_true(p:close())
    for _, m in ipairs{"wait", "kill", "kill_group", "pid", "fd"} do
      assert.has_error(function() p[m](p) end, "attempt to use a closed ipc.Process")
    end
    assert.has_error(function() p:close() end, "attempt to use a closed ipc.Process")
    assert.equal("ipc.Process (closed)", tostring(p))
    getmetatable(p).__gc(p)
    getmetatable(p).__close(p)
  end)

  it_native("ENOENT for a missing program or directory, naming it", function()
    collectgarbage()
    local fds = nfds()
    local ok, msg, err = ipc.spawn({"/nonexistent/prog"}, {stdin = "pipe", stdout = "pipe"})
    assert.is_nil(ok)
    assert.equal(E.ENOENT, err)
    assert.matches("^spawn: No such file or directory.*/nonexistent/prog", msg)
    assert.equal(fds, nfds()) -- both pipes closed
    assert.equal(E.ENOENT, select(3, ipc.spawn({"no-such-program-ipc-test"})))
    assert.equal(E.ENOENT, select(3, ipc.spawn({"true"}, {cwd = "/nonexistent/dir"})))
    -- without search_path a bare name is relative to cwd
    assert.equal(E.ENOENT, select(3, ipc.spawn({"true"}, {search_path = false, cwd = "/"})))
    local ok2 = ipc.spawn({"true"}, {search_path = false, cwd = "/bin"})
    assert.is_truthy(ok2)
    assert.equal(0, ok2:wait(5))
  end)

  it("misuse raises: argv, options and wiring words", function()
    assert.has_error(function() ipc.spawn({}) end)
    assert.has_error(function() ipc.spawn("true") end)
    assert.has_error(function() ipc.spawn({"echo", 1}) end)
    assert.has_error(function() ipc.spawn({"true"}, {stdot = "pipe"}) end, "unknown option 'stdot'")
    assert.has_error(function() ipc.spawn({"true"}, {stdout = "pipes"}) end)
    assert.has_error(function() ipc.spawn({"true"}, {stdout = "stdout"}) end)
    assert.has_error(function() ipc.spawn({"true"}, {stdin = {}}) end)
    assert.has_error(function() ipc.spawn({"true"}, {fds = {[2] = "null"}}) end)
    assert.has_error(function() ipc.spawn({"true"}, {fds = {[3] = "pipe"}}) end)
    assert.has_error(function() ipc.spawn({"true"}, {env = {"NOEQUALS"}}) end)
    assert.has_error(function() ipc.spawn({"true"}, {env = {A = 1}}) end)
    assert.has_error(function() ipc.spawn({"true"}, {endpoints = {["bad name"] = "ring:/x"}}) end)
    local p <close> = assert(ipc.spawn({"true"}))
    assert.has_error(function() p:kill("NOSIG") end)
    assert.has_error(function() p:wait(-1) end)
    p:wait(5)
  end)

  it_native("__gc frees an unreachable handle (its pidfd), __close a <close> one", function()
    collectgarbage() -- earlier tests' garbage first
    local fds = nfds()
    do
      local p <close> = assert(ipc.spawn({"true"}))
      assert.equal(0, p:wait(5))
      assert.equal(fds + 1, nfds())
      assert.equal(p:fd(), getmetatable(p).__fd(p))
    end
    assert.equal(fds, nfds())
    local p = assert(ipc.spawn({"true"}))
    assert.equal(0, p:wait(5))
    p = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    assert.equal(fds, nfds())
  end)
end)
