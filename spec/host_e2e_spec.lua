-- spec/host_e2e_spec.lua: `ipc run` end to end, through the binary (env
-- IPC_HOST_BIN) as a user runs it: configs on disk, the examples under
-- examples/pipelines/, signals to the host, a SIGKILLed host and `ipc gc`,
-- `ipc check` errors. What is left behind is read from the machine itself:
-- /dev/shm, /dev/mqueue, /proc/sysvipc (what ipcs prints), the host's
-- directory, and the stages' pids.
local ipc = require "ipc"
local H = require "helper"
local names = require "ipc.host.names"

local BIN = os.getenv("IPC_HOST_BIN") or (H.build .. "/bin/ipc")
local EXAMPLES = H.source .. "/examples/pipelines"

local slurp = H.slurp

local write = H.write

-- Our environment plus what python stages need (the names cli.lua and
-- run.lua read).
local function env()
  local e = H.environ()
  e.IPC_HOST_PYTHON = H.python
  e.IPC_PYTHON = H.python
  e.IPC_HOST_PYTHONPATH = H.build .. "/python"
  e.PYTHONDONTWRITEBYTECODE = "1"
  e.IPC_ENDPOINTS = nil
  return e
end


-- Start the binary with args; returns the process (stdout, stderr pipes).
local function start(args)
  return H.spawn_bin(BIN, args, env())
end

-- Run the binary to its end; returns code, stdout, stderr, its pid.
local function ipc_run(args)
  return H.run_bin(BIN, args, env())
end

local leftovers = H.host_leftovers

-- s as a Lua pattern that matches itself
local function lit(s) return (s:gsub("%W", "%%%0")) end

local function alive(pid)
  return ipc.send_signal(pid, 0) == true
end

local function wait_for(cond, timeout)
  local deadline = ipc.now() + (timeout or 10)
  while ipc.now() < deadline do
    if cond() then return true end
    local p = ipc.poller()
    p:poll(0.02)
    p:close()
  end
  return false
end

local mkdir = H.mkdir

-- A pipeline that runs until stopped, over every kind of object the host
-- makes (mq, ring, sysvmq, fifo, unix): each stage appends its pid to
-- dir/pids and then waits.
local function long_config(dir)
  local rec = "echo $$ >> " .. H.quote(dir .. "/pids") .. "; "
  return write(dir .. "/long.lua", string.format([[
local rec = %q
return {
  name = "long",
  stages = {
    a = { cmd = rec .. "exec sleep 1000" },
    b = { cmd = rec .. "exec cat" },
    c = { cmd = rec .. "exec cat" },
    d = { cmd = rec .. "exec cat" },
    e = { cmd = rec .. "exec cat" },
    f = { cmd = rec .. "exec cat > /dev/null" },
  },
  links = {
    { "a.stdout", "b.stdin", via = "mq", framing = "raw" },
    { "b.stdout", "c.stdin", via = "ring", framing = "raw" },
    { "c.stdout", "d.stdin", via = "sysvmq", framing = "raw" },
    { "d.stdout", "e.stdin", via = "fifo" },
    { "e.stdout", "f.stdin", via = "unix" },
  },
}
]], rec))
end

local function stage_pids(dir, n)
  assert.is_true(wait_for(function()
    local s = slurp(dir .. "/pids")
    return s and select(2, s:gsub("\n", "")) == n
  end), "the stages did not start")
  local list = {}
  for p in slurp(dir .. "/pids"):gmatch("%d+") do list[#list + 1] = math.tointeger(tonumber(p)) end
  return list
end

describe("ipc run, end to end", function()
  after_each(H.cleanup)

  it("runs a linear pipeline of commands whose output equals the shell's", function()
    local dir = mkdir()
    local text = "the cat and the dog\nThe Dog, the bird\nand a cat\n"
    write(dir .. "/text", text)
    local config = write(dir .. "/linear.lua", [[
return {
  stages = {
    src   = { cmd = {"cat", "text"} },
    split = { cmd = "tr -cs 'A-Za-z' '\\n'" },
    lower = { cmd = {"tr", "A-Z", "a-z"} },
    sort  = { cmd = {"sort"} },
    count = { cmd = {"uniq", "-c"} },
    rank  = { cmd = {"sort", "-k1,1nr", "-k2"} },
  },
  links = {
    { "src.stdout", "split.stdin" },
    { "split.stdout", "lower.stdin", via = "fifo" },
    { "lower.stdout", "sort.stdin" },
    { "sort.stdout", "count.stdin", via = "unix" },
    { "count.stdout", "rank.stdin" },
  },
}
]])
    local code, out, err, pid = ipc_run({"run", "--quiet", config})
    assert.equal(0, code, err)
    local sh = io.popen("cd " .. H.quote(dir) .. " && cat text | tr -cs 'A-Za-z' '\\n'"
                        .. " | tr 'A-Z' 'a-z' | sort | uniq -c | sort -k1,1nr -k2")
    local want = sh:read("a")
    sh:close()
    assert.is_true(#want > 0)
    assert.equal(want, out)
    assert.equal("", err)
    assert.same({}, leftovers(pid))
  end)

  it("runs the wordfreq example, which checks itself against the shell", function()
    local code, out, err, pid = ipc_run({"run", "--quiet", EXAMPLES .. "/wordfreq/wordfreq.lua"})
    assert.equal(0, code, err)
    assert.matches("^%s+1200 the\n%s+800 a\n", out)
    assert.equal(10, select(2, out:gsub("\n", "")))
    assert.same({}, leftovers(pid))
  end)

  it("runs a Python worker pool (replicas over mq) whose total is exact", function()
    local code, out, err, pid = ipc_run({"run", "--quiet", EXAMPLES .. "/workers/workers.lua"})
    assert.equal(0, code, err)
    assert.equal("333383335000\n", out) -- sum of k^2, k = 1..10000
    assert.same({}, leftovers(pid))
  end)

  it("carries 10^5 messages in order from a Lua producer to a Python consumer over a ring",
     function()
    local stats = H.path("stats.json")
    local code, out, err, pid = ipc_run({"run", "--quiet", "--stats-json", stats,
                                         EXAMPLES .. "/ring/ring.lua"})
    assert.equal(0, code, err)
    assert.equal("100000 5000050000\n", out) -- the consumer checked the order
    assert.matches('"name":"consume"', slurp(stats))
    assert.same({}, leftovers(pid))
  end)

  it("broadcasts lines to two filters over Unix sockets and merges them (fanout)", function()
    local code, out, err, pid = ipc_run({"run", "--quiet", EXAMPLES .. "/fanout/fanout.lua"})
    assert.equal(0, code, err)
    assert.equal("1000 500500\n", out) -- every number once, through one filter
    assert.same({}, leftovers(pid))
  end)

  it("adapts lines both ways with framing = \"lines\"", function()
    local dir = mkdir()
    write(dir .. "/tag.lua", [[
local ipc = require "ipc"
local inp = assert(ipc.endpoint("in", 10))
local out = assert(ipc.endpoint("out", 10))
while true do
  local msg = assert(inp:recv(10))
  if msg == "" then break end -- the host's end of stream on a queue
  assert(out:send("<" .. msg:gsub("\n$", "") .. ">", 10))
end
inp:close()
out:close()
]])
    local config = write(dir .. "/lines.lua", [[
return {
  stages = {
    src = { cmd = {"printf", "one\ntwo\n\nthree"} },
    tag = { lua = "tag.lua" },
    out = { cmd = {"cat"} },
  },
  links = {
    { "src.stdout", "tag.in", via = "mq", framing = "lines" },
    { "tag.out", "out.stdin", framing = "lines" },
  },
}
]])
    local code, out, err = ipc_run({"run", "--quiet", config})
    assert.equal(0, code, err)
    -- every line one message (an empty line too, the last one without its
    -- "\n"), and every message one line
    assert.equal("<one>\n<two>\n<>\n<three>\n", out)
  end)

  it("leaves no orphan of a stage running (the host is their subreaper)", function()
    local dir = mkdir()
    -- the stage leaves a background job behind, in its own session so
    -- that no process-group kill reaches it: only adoption does
    local config = write(dir .. "/orphan.lua", string.format([[
return {
  stages = {
    a = { cmd = "setsid sleep 60 </dev/null >/dev/null 2>&1 & echo $! > %s/pid; sleep 0.3" },
  },
}
]], dir))
    local code = ipc_run({"run", "--quiet", config})
    assert.equal(0, code)
    local pid = tonumber(slurp(dir .. "/pid"))
    assert.is_number(pid)
    assert.is_true(wait_for(function() return not alive(pid) end, 5),
                   "the orphan " .. pid .. " outlived the host")
  end)

  it("exits with a failing stage's status and names it", function()
    local dir = mkdir()
    local config = write(dir .. "/fail.lua", [[
return {
  stages = {
    fine  = { cmd = {"true"} },
    bad   = { cmd = "sleep 0.2; exit 3" },
    later = { cmd = "sleep 1; kill -9 $$" },
  },
}
]])
    local code, _, err = ipc_run({"run", "--quiet", config})
    assert.equal(3, code)
    assert.matches("ipc: stage 'bad' exited with 3", err, 1, true)
    write(config, [[
return { stages = { fine = { cmd = {"true"} }, victim = { cmd = "kill -9 $$" } } }
]])
    code, _, err = ipc_run({"run", "--quiet", config})
    assert.equal(128 + 9, code)
    assert.matches("ipc: stage 'victim' killed by SIGKILL", err, 1, true)
    -- the ring example's consumer checks what it got: one message short
    write(config, string.format([[
return {
  stages = {
    produce = { lua = %q, args = {"999"} },
    consume = { python = %q, args = {"1000"} },
  },
  links = { { "produce.out", "consume.in", via = "ring" } },
}
]], EXAMPLES .. "/ring/produce.lua", EXAMPLES .. "/ring/consume.py"))
    code, _, err = ipc_run({"run", "--quiet", config})
    assert.equal(1, code)
    assert.matches("consume: expected 1000 messages, got 999", err, 1, true)
    assert.matches("ipc: stage 'consume' exited with 1", err, 1, true)
  end)

  for _, sig in ipairs({"INT", "TERM"}) do
    it("stops every stage on SIG" .. sig .. " to `ipc run` and leaves nothing behind", function()
      local dir = mkdir()
      local p <close> = start({"run", "--quiet", long_config(dir)})
      H.defer(function() p:kill("KILL"); p:wait(5); names.gc() end)
      local stages = stage_pids(dir, 6)
      assert.is_true(#leftovers(p:pid()) >= 4) -- mq, ring, sysvmq, the directory
      assert(p:kill(sig))
      assert.equal(128 + (sig == "INT" and 2 or 15), p:wait(20))
      for _, pid in ipairs(stages) do assert.is_false(alive(pid)) end
      assert.same({}, leftovers(p:pid()))
    end)
  end

  it("leaves nothing once a SIGKILLed host's objects are collected by `ipc gc`", function()
    local dir = mkdir()
    local p <close> = start({"run", "--quiet", long_config(dir)})
    H.defer(function() p:kill("KILL"); p:wait(5); names.gc() end)
    local pid = p:pid()
    local stages = stage_pids(dir, 6)
    assert(p:kill("KILL"))
    assert.equal(-9, p:wait(5))
    -- no stage outlives its host
    assert.is_true(wait_for(function()
      for _, s in ipairs(stages) do if alive(s) then return false end end
      return true
    end), "a stage outlived its host")
    local before = leftovers(pid)
    assert.is_true(#before >= 4, table.concat(before, " ")) -- mq, ring, sysvmq, directory
    -- `ipc ls` sees them as a dead host's
    local code, out, err = ipc_run({"ls"})
    assert.equal(0, code, err)
    assert.matches("%s" .. pid .. "%s+dead%s", out)
    code, out, err = ipc_run({"gc"})
    assert.equal(0, code, err)
    assert.matches("host " .. pid .. ", dead", out, 1, true)
    assert.same({}, leftovers(pid))
  end)

  it("reports `ipc check` errors with the file, line, stage and field, exit 2", function()
    local dir = mkdir()
    local config = write(dir .. "/bad.lua", [[
return {
  stages = {
    a = { cmd = {"true"} },
    b = { cmd = {"cat"}, replicas = "many" },
  },
  links = {
    { "a.stdout", "nope.stdin" },
    { "a.stdout", "b.stdin", via = "pigeon" },
  },
}
]])
    local code, out, err = ipc_run({"check", config})
    assert.equal(2, code)
    assert.equal("", out)
    assert.matches(config .. ":4: stage \"b\": field 'replicas'", err, 1, true)
    assert.matches(lit(config) .. ":7: [^\n]*unknown stage \"nope\"", err)
    assert.matches(lit(config) .. ":8: [^\n]*field 'via'[^\n]*pigeon", err)
    -- `ipc run` validates first and starts nothing
    code, out, err = ipc_run({"run", config})
    assert.equal(2, code)
    assert.matches(config .. ":4:", err, 1, true)
    -- a config that is not Lua, and one that is missing
    write(config, "return {\n  stages = {\n")
    code, _, err = ipc_run({"check", config})
    assert.equal(2, code)
    assert.matches(lit(config) .. ":%d+:", err)
    code = ipc_run({"check", dir .. "/missing.lua"})
    assert.equal(2, code)
    -- and every example passes
    for _, ex in ipairs({"wordfreq", "workers", "ring", "fanout"}) do
      code, out, err = ipc_run({"check", EXAMPLES .. "/" .. ex .. "/" .. ex .. ".lua"})
      assert.equal(0, code, err)
      assert.matches("^ok: %d+ stages?, %d+ links?\n$", out)
    end
  end)
end)
