-- spec/host_run_spec.lua: the host's runtime (lua/ipc/host/run.lua) and
-- its object names (lua/ipc/host/names.lua), called directly with
-- hand-built plans in config.lua's shape.
--
-- Lua stages run under env IPC_HOST_BIN (the `ipc` binary) when set, else
-- under H.lua with the module on LUA_CPATH/LUA_PATH (opts.lua_argv and
-- opts.env).
local ipc = require "ipc"
local H = require "helper"
local run = require "ipc.host.run"
local names = require "ipc.host.names"

local function lua_opts(extra)
  local o = {quiet = true, env = {
    LUA_CPATH = H.build .. "/lua/?.so;" .. (os.getenv("LUA_CPATH") or ";;"),
    LUA_PATH = H.source .. "/lua/?.lua;" .. (os.getenv("LUA_PATH") or ";;"),
  }}
  -- the host binary when it is built (IPC_HOST_BIN), else lua5.4
  local bin = os.getenv("IPC_HOST_BIN")
  local f = bin and bin ~= "" and io.open(bin)
  if f then f:close() end
  o.lua_argv = {f and bin or H.lua}
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

local write = H.write

local slurp = H.slurp

local function port(stage, p) return {stage = stage, port = p} end

local function link(a, ap, b, bp, extra)
  local l = {from = port(a, ap), to = port(b, bp), via = "pipe"}
  for k, v in pairs(extra or {}) do l[k] = v end
  return l
end

local function cmd(name, argv, extra)
  local s = {name = name, kind = "cmd", argv = argv, replicas = 1, env = {},
             restart = "no", kill_timeout = 5, ports = {}}
  for k, v in pairs(extra or {}) do s[k] = v end
  return s
end

local leftovers = H.host_leftovers

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

describe("host run", function()
  after_each(H.cleanup)

  it("runs a linear pipeline of commands whose output equals the shell's", function()
    local out = H.path("out")
    local input = "pear apple\nfig\napple kiwi\n"
    local plan = {name = "linear", stages = {
      cmd("a", {"printf", "%s", input}),
      cmd("b", {"tr", " ", "\n"}),
      cmd("c", {"sort", "-o", out}),
    }, links = {link("a", "stdout", "b", "stdin"), link("b", "stdout", "c", "stdin")}}
    assert.equal(0, run.run(plan, {quiet = true}))
    local sh = io.popen("printf '%s' " .. H.quote(input) .. " | tr ' ' '\\n' | sort")
    local want = sh:read("a")
    sh:close()
    assert.equal(want, slurp(out))
    assert.same({}, leftovers(ipc.getpid()))
  end)

  for _, via in ipairs({"fifo", "mq", "ring", "sysvmq", "unix", "tcp"}) do
    it("carries raw bytes over " .. via .. " between two commands", function()
      local out = H.path("out")
      local plan = {name = "raw", stages = {
        cmd("a", {"printf", "one\ntwo\nthree\n"}),
        cmd("b", {"sh", "-c", "cat > " .. H.quote(out)}),
      }, links = {link("a", "stdout", "b", "stdin", {via = via})}}
      assert.equal(0, run.run(plan, {quiet = true}))
      assert.equal("one\ntwo\nthree\n", slurp(out))
      assert.same({}, leftovers(ipc.getpid()))
    end)
  end

  it("pumps a command's lines into an mq read by a Lua stage's endpoint", function()
    local out = H.path("out")
    local script = write(H.path("sink.lua"), [[
      local ipc = require "ipc"
      local ch = assert(ipc.endpoint("in", 5))
      local got = {}
      while true do
        local msg = assert(ch:recv(10))
        if msg == "" then break end          -- the host's end marker
        got[#got + 1] = msg
      end
      local f = assert(io.open(arg[1], "w"))
      f:write(#got, "|", table.concat(got, "|"))
      f:close()
    ]])
    local stats = H.path("stats.json")
    local plan = {name = "lines", stages = {
      cmd("src", {"printf", "alpha\n\nbeta\ngamma"}),
      {name = "sink", kind = "lua", script = script, args = {out}, replicas = 1,
       env = {}, restart = "no", ports = {["in"] = true}},
    }, links = {link("src", "stdout", "sink", "in", {via = "mq", framing = "lines"})}}
    assert.equal(0, run.run(plan, lua_opts({stats_json = stats})))
    -- each line one message, with its newline; the last one as it came
    assert.equal("4|alpha\n|\n|beta\n|gamma", slurp(out))
    assert.truthy(slurp(stats):find('"messages":4', 1, true))
    assert.same({}, leftovers(ipc.getpid()))
  end)

  for _, via in ipairs({"pipe", "ring", "unix"}) do
    it("links two Lua stages' message ports over " .. via, function()
      local out = H.path("out")
      local producer = write(H.path("prod.lua"), [[
        local ipc = require "ipc"
        local ch = assert(ipc.endpoint("out", 5))
        for i = 1, 1000 do assert(ch:send("m" .. i, 10)) end
      ]])
      local consumer = write(H.path("cons.lua"), [[
        local ipc = require "ipc"
        local ch = assert(ipc.endpoint("in", 5))
        local n, last = 0, nil
        for msg in ch:messages(10) do
          if msg == "" then break end
          n = n + 1; last = msg
        end
        local f = assert(io.open(arg[1], "w")); f:write(n, " ", last); f:close()
      ]])
      local plan = {name = "msgs", stages = {
        {name = "c", kind = "lua", script = consumer, args = {out}},
        {name = "p", kind = "lua", script = producer},
      }, links = {link("p", "out", "c", "in", {via = via})}}
      assert.equal(0, run.run(plan, lua_opts()))
      assert.equal("1000 m1000", slurp(out))
      assert.same({}, leftovers(ipc.getpid()))
    end)
  end

  it("counts a ring link the host does not pump from the ring itself (10^4 messages)", function()
    local producer = write(H.path("prod.lua"), [[
      local ipc = require "ipc"
      local ch = assert(ipc.endpoint("out", 5))
      for i = 1, 10000 do assert(ch:send(string.format("%05d", i), 10)) end
    ]])
    local consumer = write(H.path("cons.lua"), [[
      local ipc = require "ipc"
      local ch = assert(ipc.endpoint("in", 5))
      repeat local m = assert(ch:recv(10)) until m == ""
    ]])
    local stats = H.path("stats.json")
    local plan = {name = "ringcount", stages = {
      {name = "c", kind = "lua", script = consumer},
      {name = "p", kind = "lua", script = producer},
    }, links = {link("p", "out", "c", "in", {via = "ring"})}}
    assert.equal(0, run.run(plan, lua_opts({stats_json = stats})))
    local json = slurp(stats)
    -- the ring's msgs_in/bytes_in, less the host's end marker
    assert.truthy(json:find('"bytes":50000,"counted":true,"depth":0,"from":"p.out","messages":10000,"pumped":false,"to":"c.in","via":"ring"', 1, true), json)
    assert.same({}, leftovers(ipc.getpid()))
  end)

  for _, via in ipairs({"mq", "sysvmq"}) do
    it("reports the depth of an unpumped " .. via .. " link, live and in the stats", function()
      local producer = write(H.path("prod.lua"), [[
        local ipc = require "ipc"
        local ch = assert(ipc.endpoint("out", 5))
        for i = 1, 3 do assert(ch:send("m" .. i, 10)) end
        local p = ipc.poller(); p:poll(0.8); p:close()
      ]])
      -- the consumer reads nothing: 3 messages and the end marker stay
      local consumer = write(H.path("cons.lua"), "assert(require('ipc').endpoint('in', 5))\n")
      local stats = H.path("stats.json")
      local said = {}
      local plan = {name = "depth", stages = {
        {name = "c", kind = "lua", script = consumer},
        {name = "p", kind = "lua", script = producer},
      }, links = {link("p", "out", "c", "in", {via = via})}}
      assert.equal(0, run.run(plan, lua_opts({stats_json = stats, quiet = false, status = true,
                                              stderr = function(x) said[#said + 1] = x end})))
      local text = table.concat(said)
      -- no message count (the kernel keeps none), the depth from the queue
      assert.truthy(text:find("p.out -> c.in [" .. via .. "]  - msgs  -  -/s  depth 3", 1, true), text)
      local json = slurp(stats)
      assert.truthy(json:find('"counted":false,"depth":4,"from":"p.out","messages":0,"pumped":false', 1, true), json)
      assert.same({}, leftovers(ipc.getpid()))
    end)
  end

  for _, via in ipairs({"mq", "sysvmq"}) do
    it("cuts a raw chunk longer than the " .. via .. "'s message size into pieces, losing nothing", function()
      local out = H.path("out")
      local stats = H.path("stats.json")
      -- 20000 bytes, written at once: chunks far longer than 100 bytes
      local data = {}
      for i = 1, 2000 do data[i] = string.format("%09d\n", i) end
      data = table.concat(data)
      local input = write(H.path("in"), data)
      local plan = {name = "pieces", stages = {
        cmd("a", {"cat", input}),
        cmd("b", {"sh", "-c", "cat > " .. H.quote(out)}),
      }, links = {link("a", "stdout", "b", "stdin", {via = via, framing = "raw",
                                                   max_message_size = 100})}}
      assert.equal(0, run.run(plan, {quiet = true, stats_json = stats}))
      assert.equal(#data, #(slurp(out) or ""))
      assert.equal(data, slurp(out))
      -- at least 200 pieces went through the queue, none over 100 bytes
      local n = math.tointeger(tonumber(slurp(stats):match('"messages":(%d+)')))
      assert.is_true(n >= 200, slurp(stats))
      assert.same({}, leftovers(ipc.getpid()))
    end)
  end

  it("drops a line longer than the queue takes, says so, and goes on to the end", function()
    local out = H.path("out")
    local said = {}
    local long = string.rep("x", 150)
    local plan = {name = "long", stages = {
      cmd("a", {"printf", "one\n" .. long .. "\ntwo\n"}),
      cmd("b", {"sh", "-c", "cat > " .. H.quote(out)}),
    }, links = {link("a", "stdout", "b", "stdin", {via = "mq", framing = "lines",
                                                 max_message_size = 100})}}
    assert.equal(0, run.run(plan, {quiet = true, stderr = function(x) said[#said + 1] = x end}))
    assert.equal("one\ntwo\n", slurp(out))
    assert.truthy(table.concat(said):find("ipc: link into b.stdin: a message of 151 bytes is longer than the mq takes: dropped", 1, true),
                  table.concat(said))
    assert.same({}, leftovers(ipc.getpid()))
  end)

  it("exits with the status of the first failed stage and names it", function()
    local said = {}
    local plan = {name = "fail", stages = {
      cmd("bad", {"sh", "-c", "exit 3"}),
      cmd("good", {"true"}),
      cmd("later", {"sh", "-c", "sleep 0.3; exit 4"}),
    }, links = {}}
    local code = run.run(plan, {quiet = true, stderr = function(s) said[#said + 1] = s end})
    assert.equal(3, code)
    assert.truthy(table.concat(said):find("ipc: stage 'bad' exited with 3", 1, true))
    local killed = run.run({name = "k", stages = {cmd("k", {"sh", "-c", "kill -KILL $$"})}, links = {}},
                           {quiet = true, stderr = function(s) said[#said + 1] = s end})
    assert.equal(128 + 9, killed)
    assert.truthy(table.concat(said):find("ipc: stage 'k' killed by SIGKILL", 1, true))
  end)

  it("restarts a failing stage with back-off until it succeeds", function()
    local count = H.path("count")
    local plan = {name = "restart", stages = {
      cmd("flaky", {"sh", "-c", "echo x >> " .. H.quote(count) ..
                    "; [ $(wc -l < " .. H.quote(count) .. ") -ge 3 ]"},
          {restart = "on-failure", backoff = 0.1}),
    }, links = {}}
    local stats = H.path("stats.json")
    local t0 = ipc.now()
    assert.equal(0, run.run(plan, {quiet = true, stats_json = stats}))
    assert.equal("x\nx\nx\n", slurp(count))
    assert.is_true(ipc.now() - t0 >= 0.3) -- 0.1 then 0.2: doubling
    assert.truthy(slurp(stats):find('"restarts":2', 1, true))
  end)

  it("gives up after 5 failures in a row", function()
    local count = H.path("count")
    local said = {}
    local plan = {name = "giveup", stages = {
      cmd("broken", {"sh", "-c", "echo x >> " .. H.quote(count) .. "; exit 2"},
          {restart = "on-failure", backoff = 0.01}),
    }, links = {}}
    assert.equal(2, run.run(plan, {quiet = true, stderr = function(s) said[#said + 1] = s end}))
    assert.equal(5, select(2, slurp(count):gsub("\n", "")))
    assert.truthy(table.concat(said):find("giving up", 1, true))
  end)

  it("honours max_failures (0: never give up) and failure_window", function()
    local count = H.path("count")
    local function plan(extra)
      local e = {restart = "on-failure", backoff = 0.01}
      for k, v in pairs(extra) do e[k] = v end
      return {name = "mf", stages = {
        cmd("broken", {"sh", "-c", "echo x >> " .. H.quote(count) ..
                       "; [ $(wc -l < " .. H.quote(count) .. ") -ge 8 ]"}, e),
      }, links = {}}
    end
    local function runs() return select(2, slurp(count):gsub("\n", "")) end
    assert.equal(1, run.run(plan({max_failures = 2}), {quiet = true, stderr = function() end}))
    assert.equal(2, runs())
    os.remove(count)
    -- 0: restarts until it succeeds (the 8th run)
    assert.equal(0, run.run(plan({max_failures = 0}), {quiet = true}))
    assert.equal(8, runs())
    os.remove(count)
    -- a run longer than failure_window resets the count: each run takes
    -- 0.05 s, the window is 0.01 s, so max_failures = 2 never trips
    local slow = plan({max_failures = 2, failure_window = 0.01})
    slow.stages[1].argv[3] = "sleep 0.05; " .. slow.stages[1].argv[3]
    assert.equal(0, run.run(slow, {quiet = true}))
    assert.equal(8, runs())
  end)

  it("gives lua and python scripts their args", function()
    local out1, out2 = H.path("o1"), H.path("o2")
    local lua_s = write(H.path("a.lua"), [[
      local f = assert(io.open(arg[1], "w")); f:write(table.concat(arg, ",", 2)); f:close()
    ]])
    local py_s = write(H.path("a.py"), [[
import sys
open(sys.argv[1], "w").write(",".join(sys.argv[2:]))
]])
    local plan = {name = "args", stages = {
      {name = "l", kind = "lua", script = lua_s, args = {out1, "x y", "-z"}},
      {name = "p", kind = "python", script = py_s, args = {out2, "a b", "--c"}},
    }, links = {}}
    assert.equal(0, run.run(plan, lua_opts({python_argv = {"/usr/bin/python3"}})))
    assert.equal("x y,-z", slurp(out1))
    assert.equal("a b,--c", slurp(out2))
  end)

  it("creates an mq with the link's max_messages and max_message_size", function()
    local out = H.path("out")
    local script = write(H.path("q.lua"), [[
      local ipc = require "ipc"
      local ch = assert(ipc.endpoint("in", 5))
      local name = ch:url():match("^mq:(.*)$")
      local a = assert(ipc.mqueue(name)):attributes()
      local n = 0
      while true do
        local m = assert(ch:recv(10))
        if m == "" then break end
        n = n + 1
      end
      local f = assert(io.open(arg[1], "w"))
      f:write(a.max_messages, " ", a.max_message_size, " ", n); f:close()
    ]])
    local plan = {name = "mqattr", stages = {
      cmd("src", {"seq", "1", "50"}),
      {name = "sink", kind = "lua", script = script, args = {out}},
    }, links = {link("src", "stdout", "sink", "in", {via = "mq", framing = "lines",
                                                     max_messages = 3, max_message_size = 100})}}
    assert.equal(0, run.run(plan, lua_opts()))
    assert.equal("3 100 50", slurp(out))
  end)

  it("broadcasts one source to every target (fanout = broadcast)", function()
    local o1, o2, o3 = H.path("o1"), H.path("o2"), H.path("o3")
    local plan = {name = "bcast", stages = {
      cmd("a", {"seq", "1", "20000"}),
      cmd("b", {"sh", "-c", "cat > " .. H.quote(o1)}),
      cmd("c", {"sh", "-c", "cat > " .. H.quote(o2)}),
      cmd("d", {"sh", "-c", "cat > " .. H.quote(o3)}),
    }, links = {
      link("a", "stdout", "b", "stdin", {fanout = "broadcast"}),
      link("a", "stdout", "c", "stdin", {fanout = "broadcast", via = "fifo"}),
      link("a", "stdout", "d", "stdin", {fanout = "broadcast", via = "mq", framing = "lines"}),
    }}
    assert.equal(0, run.run(plan, {quiet = true}))
    local p = io.popen("seq 1 20000"); local want = p:read("a"); p:close()
    assert.equal(want, slurp(o1))
    assert.equal(want, slurp(o2))
    assert.equal(want, slurp(o3))
    assert.same({}, leftovers(ipc.getpid()))
  end)

  it("broadcasts a message port to Lua consumers over ring and unix", function()
    local producer = write(H.path("prod.lua"), [[
      local ipc = require "ipc"
      local ch = assert(ipc.endpoint("out", 5))
      for i = 1, 500 do assert(ch:send("m" .. i, 10)) end
    ]])
    local consumer = write(H.path("cons.lua"), [[
      local ipc = require "ipc"
      local ch = assert(ipc.endpoint("in", 5))
      local n, sum = 0, 0
      for msg in ch:messages(10) do
        if msg == "" then break end
        n = n + 1; sum = sum + tonumber(msg:sub(2))
      end
      local f = assert(io.open(arg[1], "w")); f:write(n, " ", sum); f:close()
    ]])
    local o1, o2 = H.path("o1"), H.path("o2")
    local plan = {name = "bmsg", stages = {
      {name = "c1", kind = "lua", script = consumer, args = {o1}},
      {name = "c2", kind = "lua", script = consumer, args = {o2}},
      {name = "p", kind = "lua", script = producer},
    }, links = {link("p", "out", "c1", "in", {via = "ring", fanout = "broadcast"}),
                link("p", "out", "c2", "in", {via = "unix", fanout = "broadcast"})}}
    assert.equal(0, run.run(plan, lua_opts()))
    assert.equal("500 125250", slurp(o1))
    assert.equal("500 125250", slurp(o2))
    assert.same({}, leftovers(ipc.getpid()))
  end)

  it("spreads one source over several links round robin without broadcast", function()
    local o1, o2 = H.path("o1"), H.path("o2")
    local plan = {name = "spread", stages = {
      cmd("a", {"seq", "1", "1000"}),
      cmd("b", {"sh", "-c", "cat > " .. H.quote(o1)}),
      cmd("c", {"sh", "-c", "cat > " .. H.quote(o2)}),
    }, links = {
      link("a", "stdout", "b", "stdin", {framing = "lines"}),
      link("a", "stdout", "c", "stdin", {framing = "lines", via = "mq"}),
    }}
    assert.equal(0, run.run(plan, {quiet = true}))
    local a, b = slurp(o1), slurp(o2)
    assert.equal(500, select(2, a:gsub("\n", "")))
    assert.equal(500, select(2, b:gsub("\n", "")))
    local all = {}
    for n in (a .. b):gmatch("%d+") do all[#all + 1] = math.tointeger(tonumber(n)) end
    table.sort(all)
    for i = 1, 1000 do assert.equal(i, all[i]) end
  end)

  for _, via in ipairs({"pipe", "mq", "unix"}) do
    it("spreads a message input over a stage's replicas (" .. via .. ")", function()
      local producer = write(H.path("prod.lua"), [[
        local ipc = require "ipc"
        local ch = assert(ipc.endpoint("out", 5))
        for i = 1, 3000 do assert(ch:send(tostring(i), 10)) end
      ]])
      local out = H.path("out")
      local worker = write(H.path("work.lua"), [[
        local ipc = require "ipc"
        local ch = assert(ipc.endpoint("in", 5))
        local n, sum = 0, 0
        for msg in ch:messages(10) do
          if msg == "" then break end
          n = n + 1; sum = sum + tonumber(msg)
        end
        local f = assert(io.open(arg[1], "a"))
        f:write(os.getenv("IPC_REPLICA"), " ", n, " ", sum, "\n"); f:close()
      ]])
      local plan = {name = "pool", stages = {
        {name = "p", kind = "lua", script = producer},
        {name = "w", kind = "lua", script = worker, args = {out}, replicas = 3},
      }, links = {link("p", "out", "w", "in", {via = via})}}
      assert.equal(0, run.run(plan, lua_opts()))
      local lines, n, sum, seen = 0, 0, 0, {}
      for r, a, b in slurp(out):gmatch("(%d+) (%d+) (%d+)") do
        lines = lines + 1; n = n + tonumber(a); sum = sum + tonumber(b); seen[r] = true
      end
      assert.equal(3, lines)
      assert.same({["1"] = true, ["2"] = true, ["3"] = true}, seen)
      assert.equal(3000, n)
      assert.equal(3000 * 3001 // 2, sum)
    end)
  end

  it("prefixes a stage's stderr with its name (and replica index)", function()
    local said = {}
    local out, out2 = H.path("out"), H.path("out2") -- two files: no truncation race
    local plan = {name = "log", stages = {
      cmd("talk", {"sh", "-c", "echo one >&2; printf 'two\\nthree' >&2; echo data"}),
      cmd("pool", {"sh", "-c", "echo hi from $IPC_REPLICA >&2"}, {replicas = 2}),
      cmd("sink", {"sh", "-c", "cat > " .. H.quote(out) .. "; echo done >&2"}),
      cmd("linked", {"sh", "-c", "echo to-link >&2"}),
      cmd("catch", {"sh", "-c", "cat > " .. H.quote(out2)}),
    }, links = {link("talk", "stdout", "sink", "stdin"),
                link("linked", "stderr", "catch", "stdin")}}
    assert.equal(0, run.run(plan, {quiet = true, stderr = function(s) said[#said + 1] = s end}))
    local text = table.concat(said)
    assert.truthy(text:find("[talk] one\n[talk] two\n[talk] three\n", 1, true))
    assert.truthy(text:find("[pool#1] hi from 1\n", 1, true))
    assert.truthy(text:find("[pool#2] hi from 2\n", 1, true))
    assert.truthy(text:find("[sink] done\n", 1, true))
    assert.falsy(text:find("to-link", 1, true)) -- a linked stderr is the link's
    assert.equal("data\n", slurp(out))
    assert.equal("to-link\n", slurp(out2))
  end)

  it("starts a ready stage's consumers only after it signals on IPC_READY_FD", function()
    local d = H.path("d")
    os.execute("mkdir " .. H.quote(d))
    H.defer(function() os.execute("rm -rf " .. H.quote(d)) end)
    local stamp = "date +%s%N > " .. H.quote(d) .. "/"
    local plan = {name = "ready", stages = {
      cmd("srv", {"sh", "-c", "sleep 0.3; " .. stamp .. "srv; printf x >&$IPC_READY_FD; echo hello; sleep 0.2"},
          {ready = true}),
      cmd("cli", {"sh", "-c", stamp .. "cli; cat > " .. H.quote(d) .. "/got"}),
      cmd("other", {"sh", "-c", stamp .. "other"}),
    }, links = {link("srv", "stdout", "cli", "stdin")}}
    local t0 = ipc.now()
    assert.equal(0, run.run(plan, {quiet = true}))
    local function t(n) return tonumber(slurp(d .. "/" .. n)) end
    assert.is_true(t("cli") >= t("srv"))
    assert.is_true(t("other") < t("srv")) -- it does not consume srv: not held
    assert.equal("hello\n", slurp(d .. "/got"))
    assert.is_true(ipc.now() - t0 >= 0.5)
  end)

  it("counts a ready stage that ends without writing to IPC_READY_FD as ready", function()
    local out = H.path("out")
    local plan = {name = "ready2", stages = {
      {name = "srv", kind = "lua", ready = true, script = write(H.path("s.lua"), [[
        local ipc = require "ipc"
        assert(math.tointeger(tonumber(os.getenv("IPC_READY_FD"))))
        io.stdout:write("from lua\n")
      ]])},
      cmd("cli", {"sh", "-c", "cat > " .. H.quote(out)}),
    }, links = {link("srv", "stdout", "cli", "stdin")}}
    assert.equal(0, run.run(plan, lua_opts()))
    assert.equal("from lua\n", slurp(out))
  end)

  it("fails the run naming a stage that is not ready within ready_timeout", function()
    local marker = H.path("started")
    local said = {}
    local plan = {name = "late", stages = {
      cmd("srv", {"sh", "-c", "sleep 10"}, {ready = true, ready_timeout = 0.3, kill_timeout = 1}),
      cmd("cli", {"sh", "-c", "touch " .. H.quote(marker) .. "; cat"}),
    }, links = {link("srv", "stdout", "cli", "stdin")}}
    local t0 = ipc.now()
    assert.equal(1, run.run(plan, {quiet = true, stderr = function(s) said[#said + 1] = s end}))
    assert.is_true(ipc.now() - t0 < 3)
    assert.truthy(table.concat(said):find("ipc: stage 'srv' not ready after 0.3 s", 1, true))
    assert.is_nil(slurp(marker))
    assert.same({}, leftovers(ipc.getpid()))
  end)

  it("formats the status lines from a snapshot", function()
    local status = require "ipc.host.status"
    local lines = status.format({elapsed = 2.5, stages = {
      {name = "src", state = "running", pids = {101}, restarts = 0},
      {name = "workers", state = "2/3 running", pids = {7, 8}, restarts = 4},
    }, links = {
      {name = "src.stdout -> workers.in", via = "mq", messages = 12, bytes = 3 * 1024 * 1024, depth = 5},
      {name = "a.stdout -> b.stdin", via = "pipe"},
    }}, {["src.stdout -> workers.in"] = 2048})
    assert.same({
      "ipc: 2.5 s",
      "  src      running      pid 101      restarts 0",
      "  workers  2/3 running  pid 7,8      restarts 4",
      "  src.stdout -> workers.in [mq]  12 msgs  3.0 MiB  2.0 KiB/s  depth 5",
      "  a.stdout -> b.stdin [pipe]  - msgs  -  -/s  depth -",
    }, lines)
  end)

  it("redraws in place at most 4 times a second and clears at the end", function()
    local status = require "ipc.host.status"
    local t, out = 0, {}
    local st = status.new(function(s) out[#out + 1] = s end, function() return t end)
    local snap = {elapsed = 0, stages = {{name = "a", state = "running", pids = {1}, restarts = 0}},
                  links = {{name = "a.stdout -> b.in", via = "ring", messages = 0, bytes = 0}}}
    assert.is_true(st:update(snap))
    assert.equal("\r\27[Kipc: 0.0 s\n", out[1]:sub(1, 15))
    assert.falsy(out[1]:find("\27%[%d+A"))  -- the first draw moves nothing
    t = 0.1
    assert.is_false(st:update(snap))       -- too soon
    t = 0.5
    snap.links[1].bytes = 4096
    assert.is_true(st:update(snap))
    assert.equal("\27[3A", out[2]:sub(1, 4))   -- back over the 3 lines
    assert.truthy(out[2]:find("8.0 KiB/s", 1, true)) -- 4096 B in 0.5 s
    st:clear()
    assert.equal("\27[3A\r\27[J", out[3])
  end)

  it("shows live status with queue depth when opts.status, no escapes otherwise", function()
    local said = {}
    local plan = {name = "live", stages = {
      cmd("src", {"seq", "1", "5"}),
      {name = "slow", kind = "lua", script = write(H.path("slow.lua"), [[
        local ipc = require "ipc"
        local ch = assert(ipc.endpoint("in", 5))
        local p = ipc.poller(); p:poll(0.8); p:close()
        repeat local m = assert(ch:recv(10)) until m == ""
      ]])},
    }, links = {link("src", "stdout", "slow", "in", {via = "mq", framing = "lines"})}}
    assert.equal(0, run.run(plan, lua_opts({quiet = false, status = true,
                                            stderr = function(s) said[#said + 1] = s end})))
    local text = table.concat(said)
    assert.truthy(text:find("\27[", 1, true))
    assert.truthy(text:find("  slow ", 1, true))
    assert.truthy(text:find("src.stdout -> slow.in [mq]  5 msgs", 1, true))
    -- 5 lines (and the end marker) wait in the queue while the reader sleeps
    assert.truthy(text:find("depth 6", 1, true) or text:find("depth 5", 1, true))
    -- the plain summary after the last clear
    local tail = text:sub(select(2, text:find("\27[J", 1, true)) + 1)
    assert.truthy(tail:find("ipc: stage 'slow': exited 0", 1, true))
    assert.falsy(tail:find("\27", 1, true))
    said = {}
    assert.equal(0, run.run(plan, lua_opts({quiet = false, stderr = function(s) said[#said + 1] = s end})))
    assert.falsy(table.concat(said):find("\27", 1, true))
  end)

  it("the ipc binary prints no escape codes when stderr is not a terminal", function()
    local bin = os.getenv("IPC_HOST_BIN")
    if not (bin and io.open(bin)) then return end
    local cfg = write(H.path("cfg.lua"), [[
      return {name = "plain", stages = {a = {cmd = "seq 1 3; echo oops >&2"}, b = {cmd = "cat >/dev/null"}},
              links = {{"a.stdout", "b.stdin", via = "mq", framing = "lines"}}}
    ]])
    local err = H.path("err")
    assert.is_true(os.execute(H.quote(bin) .. " run " .. H.quote(cfg) .. " 2> " .. H.quote(err)) == true)
    local text = slurp(err)
    assert.truthy(text:find("[a] oops", 1, true))
    assert.falsy(text:find("\27", 1, true))
  end)

  it("forwards SIGHUP to every stage", function()
    local bin = os.getenv("IPC_HOST_BIN")
    if not (bin and io.open(bin)) then return end
    local d = H.path("d")
    os.execute("mkdir " .. H.quote(d))
    H.defer(function() os.execute("rm -rf " .. H.quote(d)) end)
    local st = function(n)
      return string.format("%s = {cmd = [=[trap 'echo hup > %s/%s; exit 0' HUP; touch %s/%s.up; " ..
                           "while :; do sleep 0.05; done]=]},", n, d, n, d, n)
    end
    local cfg = write(H.path("cfg.lua"), "return {name = 'hup', stages = {" .. st("a") .. st("b") .. "}}")
    local p = assert(ipc.spawn({bin, "run", "--quiet", cfg}))
    H.defer(function() p:kill("KILL"); p:wait(5) end)
    assert.is_true(wait_for(function() return slurp(d .. "/a.up") and slurp(d .. "/b.up") end))
    assert(p:kill("HUP"))
    assert.equal(0, p:wait(10))
    assert.equal("hup\n", slurp(d .. "/a"))
    assert.equal("hup\n", slurp(d .. "/b"))
  end)

  -- A host in a child interpreter, running a plan whose stages record
  -- their pids in dir and then sleep, over links of every named kind.
  local function host_child(dir)
    local script = write(H.path("host.lua"), [[
      local run = require "ipc.host.run"
      local dir = arg[1]
      local function st(name, sh)
        return {name = name, kind = "cmd", argv = {"sh", "-c", sh}, kill_timeout = 2}
      end
      local rec = "echo $$ >> " .. dir .. "/pids; "
      local plan = {name = "sleepers", stages = {
        st("a", rec .. "exec sleep 60"),
        st("b", rec .. "exec cat"),
        st("c", rec .. "exec cat"),
        st("d", rec .. "exec cat"),
        st("e", rec .. "exec cat > /dev/null"),
      }, links = {
        {from = {stage = "a", port = "stdout"}, to = {stage = "b", port = "stdin"}, via = "mq"},
        {from = {stage = "b", port = "stdout"}, to = {stage = "c", port = "stdin"}, via = "ring"},
        {from = {stage = "c", port = "stdout"}, to = {stage = "d", port = "stdin"}, via = "sysvmq"},
        {from = {stage = "d", port = "stdout"}, to = {stage = "e", port = "stdin"}, via = "fifo"},
      }}
      os.exit(run.run(plan, {quiet = true}))
    ]])
    local p = assert(ipc.spawn({H.lua, script, dir}, {env = {
      "LUA_CPATH=" .. H.build .. "/lua/?.so;;",
      "LUA_PATH=" .. H.source .. "/lua/?.lua;;",
      "PATH=" .. os.getenv("PATH"), "TMPDIR=" .. (os.getenv("TMPDIR") or "/tmp")}}))
    H.defer(function() p:kill("KILL"); p:wait(5) end)
    local pids = dir .. "/pids"
    assert.is_true(wait_for(function()
      local s = slurp(pids)
      return s and select(2, s:gsub("\n", "")) == 5
    end))
    local list = {}
    for n in slurp(pids):gmatch("%d+") do list[#list + 1] = math.tointeger(tonumber(n)) end
    return p, list
  end

  local function mkdir()
    local d = H.path("d")
    os.execute("mkdir " .. H.quote(d))
    H.defer(function() os.execute("rm -rf " .. H.quote(d)) end)
    return d
  end

  for _, sig in ipairs({"INT", "TERM"}) do
    it("stops every stage on SIG" .. sig .. " and leaves nothing behind", function()
      local p, stages = host_child(mkdir())
      assert.is_true(#leftovers(p:pid()) >= 4)
      assert(p:kill(sig))
      assert.equal(128 + (sig == "INT" and 2 or 15), p:wait(10))
      for _, pid in ipairs(stages) do assert.is_false(alive(pid)) end
      assert.same({}, leftovers(p:pid()))
    end)
  end

  it("names.gc removes a SIGKILLed host's objects and never a live host's", function()
    local dead, dead_stages = host_child(mkdir())
    local live, live_stages = host_child(mkdir())
    local dpid, lpid = dead:pid(), live:pid()
    assert(dead:kill("KILL"))
    assert.equal(-9, dead:wait(5))
    -- the stages die with the host (PR_SET_PDEATHSIG)
    assert.is_true(wait_for(function()
      for _, pid in ipairs(dead_stages) do if alive(pid) then return false end end
      return true
    end))
    local before = leftovers(dpid)
    assert.is_true(#before >= 4)
    local listed = {}
    for _, e in ipairs(names.ls()) do
      if e.pid == dpid then assert.is_false(e.alive); listed[#listed + 1] = e.url end
      if e.pid == lpid then assert.is_true(e.alive) end
    end
    assert.equal(4, #listed) -- mq, ring, sysvmq, fifo
    local removed = names.gc()
    local mine = 0
    for _, e in ipairs(removed) do
      assert.are_not.equal(lpid, e.pid)
      if e.pid == dpid then mine = mine + 1 end
    end
    assert.equal(4, mine)
    assert.same({}, leftovers(dpid))
    -- the live host is untouched and still stops cleanly
    assert.is_true(#leftovers(lpid) >= 4)
    for _, pid in ipairs(live_stages) do assert.is_true(alive(pid)) end
    assert(live:kill("INT"))
    assert.equal(130, live:wait(10))
    assert.same({}, leftovers(lpid))
  end)

  it("treats a host as alive only when its pid and its start time match (pid reuse)", function()
    -- objects forged for pid 1, which is alive but was never a host
    local pid = 1
    local ticks = assert(names.start_time(pid))
    local dir = names.dir(pid)
    local mq = names.for_link(pid, 1, "mq")
    local fifo = names.for_link(pid, 2, "fifo")
    local sysv = names.for_link(pid, 3, "sysvmq")
    local function gone(url)
      local ok = pcall(function() assert(ipc.open(url, "r", {timeout = 0})):close() end)
      return not ok
    end
    local function forge(start)
      assert(os.execute("mkdir -p -m 700 " .. H.quote(dir)))
      write(dir .. "/start", pid .. " " .. start .. "\n")
      names.record_sysv(pid, "sysvmq", math.tointeger(tonumber(sysv:match(":(.*)$"))))
      assert(ipc.open(mq, "rw", {create = true})):close()
      assert(ipc.open(sysv, "rw", {create = true})):close()
      assert(ipc.fifo(fifo:sub(6), "r", {create = true, mode = 384})):close()
    end
    H.defer(function()
      pcall(ipc.unlink, mq); pcall(ipc.unlink, sysv); pcall(ipc.unlink, fifo)
      os.execute("rm -rf " .. H.quote(dir))
    end)
    local function state()
      local seen = {}
      for _, e in ipairs(names.ls()) do
        if e.pid == pid then seen[e.url] = e.alive end
      end
      return seen
    end
    -- the start time recorded is pid 1's: alive, gc keeps everything
    forge(ticks)
    assert.same({[mq] = true, [sysv] = true, [fifo] = true}, state())
    for _, e in ipairs(names.gc()) do assert.are_not.equal(pid, e.pid) end
    assert.is_false(gone(mq) or gone(sysv))
    assert.is_true(io.open(dir .. "/start") ~= nil)
    -- another start time: pid 1 is some other process now, the host is dead
    write(dir .. "/start", pid .. " " .. (ticks + 1) .. "\n")
    assert.same({[mq] = false, [sysv] = false, [fifo] = false}, state())
    names.gc()
    assert.is_true(gone(mq) and gone(sysv))
    assert.is_nil(io.open(dir))
    -- and a new host's start-up gc does the same
    forge(ticks + 1)
    assert.equal(0, run.run({name = "g", stages = {cmd("a", {"true"})}, links = {}}, {quiet = true}))
    assert.is_true(gone(mq) and gone(sysv))
    assert.is_nil(io.open(dir))
  end)

  it("records the host's start time in its directory while it runs", function()
    local seen = H.path("seen")
    local pid = ipc.getpid()
    local plan = {name = "rec", stages = {
      cmd("a", {"sh", "-c", "cat " .. H.quote(names.dir(pid) .. "/start") .. " > " .. H.quote(seen)}),
      cmd("b", {"cat"}),
    }, links = {link("a", "stdout", "b", "stdin", {via = "fifo"})}}
    assert.equal(0, run.run(plan, {quiet = true}))
    assert.equal(pid .. " " .. names.start_time(pid) .. "\n", slurp(seen))
    assert.same({}, leftovers(pid))
  end)

  it("names.for_link carries the host pid", function()
    assert.equal("mq:/ipc-host-42-3", names.for_link(42, 3, "mq"))
    assert.equal("ring:/ipc-host-42-3", names.for_link(42, 3, "ring"))
    assert.equal(string.format("sysvmq:0x%08x", 0x60000000 | (42 << 6) | 2),
                 names.for_link(42, 3, "sysvmq"))
    assert.equal("fifo:" .. names.dir(42) .. "/3.fifo", names.for_link(42, 3, "fifo"))
  end)
end)
