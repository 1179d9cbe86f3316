-- The host's config validation (ipc.host.config), its DOT output
-- (ipc.host.graph) and, when the host binary is built (IPC_HOST_BIN),
-- `ipc check` and `ipc graph` end to end on examples/pipelines.
local H = require "helper"
local config = require "ipc.host.config"
local graph = require "ipc.host.graph"

-- A fresh directory holding the config text (and the scripts named in
-- files); returns the config's path.
local function write_config(text, files)
  local dir = H.path("cfg")
  assert(os.execute("mkdir " .. H.quote(dir)))
  H.defer(function() os.execute("rm -rf " .. H.quote(dir)) end)
  local path = dir .. "/pipeline.lua"
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  local names = {}
  for name in pairs(files or {}) do names[#names + 1] = name end
  table.sort(names) -- "d/" before "d/f"
  for _, name in ipairs(names) do
    local body = files[name]
    if name:match("/$") then
      assert(os.execute("mkdir -p " .. H.quote(dir .. "/" .. name)))
    else
      f = assert(io.open(dir .. "/" .. name, "w"))
      f:write(body)
      f:close()
    end
  end
  return path, dir
end

-- Validate a config text as the host would (a table from the text, then
-- validate with the text for lines). Returns plan, errors.
local function validate(text, files)
  local path = write_config(text, files)
  local chunk = assert(load(text, "=" .. path, "t", {}))
  return config.validate(chunk(), path, text)
end

-- Expect exactly one error matching each pattern (plain substrings), and
-- return the errors.
local function errors(text, files, ...)
  local plan, errs = validate(text, files)
  assert.is_nil(plan)
  local wanted = {...}
  local all = table.concat(errs, "\n")
  assert.are.equal(#wanted, #errs, "errors:\n" .. all)
  for i, w in ipairs(wanted) do
    assert.truthy(errs[i]:find(w, 1, true), string.format("error %d %q lacks %q", i, errs[i], w))
  end
  return errs
end

local GOOD = [[
return {
  name = "wordfreq",
  stages = {
    src   = { cmd = {"cat", "words.txt"} },
    split = { cmd = "tr -s ' ' '\n'", restart = "on-failure" },
    count = { lua = "count.lua", replicas = 2 },
    sink  = { python = "sink.py", env = { MODE = "x" } },
  },
  links = {
    { "src.stdout", "split.stdin" },
    { "split.stdout", "count.in", via = "mq", framing = "lines" },
    { "count.out", "sink.in", via = "ring", capacity = "4MiB" },
  },
}
]]
local SCRIPTS = {["count.lua"] = "", ["sink.py"] = ""}

-- A config around one stage definition and a list of link lines.
local function cfg(stages, links)
  return "return {\n  stages = {\n" .. stages .. "  },\n  links = {\n" .. (links or "") .. "  },\n}\n"
end
local AB = "    a = { cmd = {\"true\"} },\n    b = { cmd = {\"true\"} },\n"

describe("host config", function()
  after_each(H.cleanup)

  describe("a good config", function()
    it("gives the plan in the documented shape, stages sorted by name", function()
      local plan, errs = validate(GOOD, SCRIPTS)
      assert.is_nil(errs)
      assert.are.equal("wordfreq", plan.name)
      local names = {}
      for i, s in ipairs(plan.stages) do names[i] = s.name end
      assert.are.same({"count", "sink", "split", "src"}, names)
      local count, sink, split, src = table.unpack(plan.stages)
      assert.are.same({"cat", "words.txt"}, src.argv)
      assert.are.equal("cmd", src.kind)
      assert.are.same({"/bin/sh", "-c", "tr -s ' ' '\n'"}, split.argv)
      assert.are.equal("on-failure", split.restart)
      assert.are.equal("lua", count.kind)
      assert.are.equal(2, count.replicas)
      assert.truthy(count.script:match("^/.*/count%.lua$"))
      assert.are.same({}, count.args)
      assert.are.equal("python", sink.kind)
      assert.are.same({MODE = "x"}, sink.env)
      assert.are.equal(1, sink.replicas)
      assert.are.equal("no", src.restart)
      assert.are.equal(5, src.kill_timeout)
      assert.are.equal(1, src.backoff)
      assert.are.equal(5, src.max_failures)
      assert.are.equal(10, src.failure_window)
      assert.are.same({stdout = true}, src.ports)
      assert.are.same({stdin = true, stdout = true}, split.ports)
      assert.are.same({["in"] = true, out = true}, count.ports)
      assert.truthy(src.cwd:match("^/"))
      assert.are.equal(4, src.line)
      assert.are.equal(7, sink.line)

      assert.are.equal(3, #plan.links)
      local l1, l2, l3 = table.unpack(plan.links)
      assert.are.same({stage = "src", port = "stdout"}, l1.from)
      assert.are.same({stage = "split", port = "stdin"}, l1.to)
      assert.are.equal("pipe", l1.via)
      assert.is_nil(l1.framing)
      assert.are.equal(10, l1.line)
      assert.are.equal("mq", l2.via)
      assert.are.equal("lines", l2.framing)
      assert.are.equal(11, l2.line)
      assert.are.equal("ring", l3.via)
      assert.are.equal(4 * 1024 * 1024, l3.capacity)
      assert.are.equal(12, l3.line)
      assert.are.equal("count.out-sink.in", l3.name)
      assert.are.same({1, 2, 3}, {l1.id, l2.id, l3.id})
    end)

    it("is deterministic", function()
      local a = validate(GOOD, SCRIPTS)
      local b = validate(GOOD, SCRIPTS)
      assert.are.equal(graph.dot(a), graph.dot(b))
    end)

    it("takes the name from the file when there is none, and no links", function()
      local plan = assert(validate("return { stages = { a = { cmd = \"echo hi\" } } }"))
      assert.are.equal("pipeline", plan.name)
      assert.are.same({}, plan.links)
    end)

    it("allows a cycle of pipes between stdout and stdin", function()
      local plan, errs = validate(cfg(AB, [[
    { "a.stdout", "b.stdin" },
    { "b.stdout", "a.stdin" },
]]))
      assert.is_nil(errs)
      assert.are.equal(2, #plan.links)
    end)

    it("allows merges into a message port and broadcast fan-out", function()
      local plan, errs = validate(cfg(AB .. "    c = { cmd = {\"true\"} },\n", [[
    { "a.stdout", "b.in", via = "unix", framing = "lines", fanout = "broadcast" },
    { "a.stdout", "c.in", via = "unix", framing = "lines", fanout = "broadcast" },
    { "b.out", "c.in2", via = "mq" },
    { "c.out", "b.in2", via = "sysvmq" },
]]))
      assert.is_nil(errs)
      assert.are.equal("broadcast", plan.links[1].fanout)
    end)

    it("parses sizes with ipc's grammar", function()
      assert.are.equal(4096, config.parse_size("4096"))
      assert.are.equal(0, config.parse_size("0"))
      assert.are.equal(64 * 1024, config.parse_size("64K"))
      assert.are.equal(64 * 1024, config.parse_size("64KiB"))
      assert.are.equal(1 << 20, config.parse_size("1M"))
      assert.are.equal(3 << 30, config.parse_size("3GiB"))
      assert.are.equal(12, config.parse_size(12))
      for _, bad in ipairs({"", "K", "01", "1k", "1 K", "1.5M", "-1", "1KB", "1TiB", " 1", "1K "}) do
        assert.is_nil(config.parse_size(bad), bad)
      end
      assert.is_nil(config.parse_size("9223372036854775808"))
      assert.is_nil(config.parse_size("8589934592G"))
      assert.is_nil(config.parse_size(-1))
      assert.is_nil(config.parse_size(1.5))
    end)
  end)

  describe("collects every error", function()
    it("not only the first, each with its stage, field and line", function()
      local errs = errors(cfg([[
    a = { cmd = {"true"}, replicas = 0 },
    b = { cmd = {"true"}, restart = "sometimes" },
]], [[
    { "a.stdout", "c.stdin" },
]]), nil,
        "pipeline.lua:3: stage \"a\": field 'replicas': must be an integer from 1 to 1024 (got 0)",
        "pipeline.lua:4: stage \"b\": field 'restart': must be \"no\", \"on-failure\" or \"always\" (got \"sometimes\")",
        "pipeline.lua:7: link 1 (a.stdout -> c.stdin): target \"c.stdin\": unknown stage \"c\"")
      assert.truthy(errs[1]:match("^/"))
    end)

    it("finds a field's own line inside a stage written over several lines", function()
      errors(cfg([[
    a = {
      cmd = {"true"},
      kill_timeout = -1,
    },
]]), nil, "pipeline.lua:5: stage \"a\": field 'kill_timeout': must be a number of seconds >= 0 (got -1)")
    end)

    it("has no line when there is no text", function()
      local plan, errs = config.validate({stages = {a = {cmd = 3}}})
      assert.is_nil(plan)
      assert.are.same({"config: stage \"a\": field 'cmd': must be a list of strings (argv) or a shell string (got number)"}, errs)
    end)
  end)

  describe("top level", function()
    it("refuses a non-table", function()
      local _, errs = config.validate(42, "x.lua")
      assert.are.same({"x.lua: the config must return a table (got number)"}, errs)
    end)
    it("refuses unknown keys", function()
      errors("return {\n  stages = { a = { cmd = \"x\" } },\n  stagez = {},\n}\n", nil,
             "pipeline.lua:3: top-level key \"stagez\": unknown (expected name, stages, links)")
    end)
    it("refuses a bad name", function()
      errors("return {\n  name = \"a b\",\n  stages = { a = { cmd = \"x\" } },\n}\n", nil,
             "pipeline.lua:2: field 'name': must be a string of 1 to 64")
    end)
    it("needs stages", function()
      errors("return {\n  stages = {},\n}\n", nil, "pipeline.lua:2: field 'stages': no stage")
      errors("return {\n  links = {},\n}\n", nil, "field 'stages': must be a table of stages keyed by name (got nil)")
    end)
    it("needs links to be a list", function()
      errors("return {\n  stages = { a = { cmd = \"x\" } },\n  links = { x = 1 },\n}\n", nil,
             "pipeline.lua:3: field 'links': must be a list of links")
    end)
  end)

  describe("stages", function()
    it("checks the stage name syntax", function()
      errors(cfg("    [\"9x\"] = { cmd = \"x\" },\n"), nil,
             "pipeline.lua:3: stage \"9x\": bad stage name")
      errors(cfg("    [\"a.b\"] = { cmd = \"x\" },\n"), nil, "stage \"a.b\": bad stage name")
      errors(cfg("    [\"" .. string.rep("s", 33) .. "\"] = { cmd = \"x\" },\n"), nil, "bad stage name: 1 to 32")
    end)
    it("refuses unknown fields", function()
      errors(cfg("    a = { cmd = \"x\",\n      restrat = \"always\" },\n"), nil,
             "pipeline.lua:4: stage \"a\": field \"restrat\": unknown")
    end)
    it("needs exactly one of cmd, lua, python, native", function()
      errors(cfg("    a = { env = {} },\n"), nil, "pipeline.lua:3: stage \"a\": needs one of cmd, lua, python, native")
      errors(cfg("    a = { cmd = \"x\",\n      lua = \"x.lua\" },\n"), {["x.lua"] = ""},
             "pipeline.lua:4: stage \"a\": field 'lua': only one of cmd, lua, python, native (got cmd and lua)")
    end)
    it("takes cmd as an argv list of strings or a shell string", function()
      errors(cfg("    a = { cmd = {} },\n"), nil, "stage \"a\": field 'cmd': must be a non-empty list of strings")
      errors(cfg("    a = { cmd = {\"ls\", 3} },\n"), nil, "stage \"a\": field 'cmd': argument 2 must be a string (got number)")
      errors(cfg("    a = { cmd = {\"ls\", x = \"y\"} },\n"), nil, "field 'cmd': must be a non-empty list of strings")
      errors(cfg("    a = { cmd = \"  \" },\n"), nil, "stage \"a\": field 'cmd': empty shell command")
      errors(cfg("    a = { cmd = true },\n"), nil, "field 'cmd': must be a list of strings (argv) or a shell string (got boolean)")
      errors(cfg("    a = { cmd = \"x\", args = {\"y\"} },\n"), nil, "field 'args': only for lua and python stages")
    end)
    it("needs lua and python scripts that exist, relative to the config", function()
      errors(cfg("    a = { lua = \"nope.lua\" },\n    b = { python = \"nope.py\" },\n"), nil,
             "pipeline.lua:3: stage \"a\": field 'lua': script \"nope.lua\" not found",
             "pipeline.lua:4: stage \"b\": field 'python': script \"nope.py\" not found")
      errors(cfg("    a = { lua = 3 },\n"), nil, "stage \"a\": field 'lua': must be the path of a script (got 3)")
      errors(cfg("    a = { lua = \"sub/\" },\n"), {["sub/"] = true}, "script \"sub/\" not found")
      local plan = assert(validate(cfg("    a = { python = \"sub/w.py\", args = {\"1\"} },\n"),
                                   {["sub/"] = true, ["sub/w.py"] = ""}))
      assert.truthy(plan.stages[1].script:match("/sub/w%.py$"))
      assert.are.same({"1"}, plan.stages[1].args)
      errors(cfg("    a = { python = \"sub/w.py\", args = {1} },\n"), {["sub/"] = true, ["sub/w.py"] = ""},
             "field 'args': argument 1 must be a string (got number)")
    end)
    it("needs replicas to be a positive integer", function()
      errors(cfg("    a = { cmd = \"x\", replicas = 1.5 },\n"), nil, "field 'replicas': must be an integer from 1 to 1024 (got 1.5)")
      errors(cfg("    a = { cmd = \"x\", replicas = \"2\" },\n"), nil, "field 'replicas': must be an integer")
      errors(cfg("    a = { cmd = \"x\", replicas = 1025 },\n"), nil, "field 'replicas'")
      assert.are.equal(3, assert(validate(cfg("    a = { cmd = \"x\", replicas = 3.0 },\n"))).stages[1].replicas)
    end)
    it("needs env to be a table of strings", function()
      errors(cfg("    a = { cmd = \"x\", env = \"A=1\" },\n"), nil, "field 'env': must be a table of NAME = \"value\" (got string)")
      errors(cfg("    a = { cmd = \"x\", env = { N = 4 } },\n"), nil, "field 'env': N must be a string (got number)")
      errors(cfg("    a = { cmd = \"x\", env = { [\"A-B\"] = \"1\" } },\n"), nil, "field 'env': bad variable name \"A-B\"")
      errors(cfg("    a = { cmd = \"x\", env = { IPC_ENDPOINTS = \"x\" } },\n"), nil, "field 'env': IPC_ENDPOINTS is set by the host")
    end)
    it("needs cwd to be an existing directory", function()
      errors(cfg("    a = { cmd = \"x\", cwd = 1 },\n"), nil, "field 'cwd': must be a directory path (got 1)")
      errors(cfg("    a = { cmd = \"x\", cwd = \"nowhere\" },\n"), nil, "field 'cwd': no such directory \"nowhere\"")
      errors(cfg("    a = { cmd = \"x\", cwd = \"f\" },\n"), {f = ""}, "field 'cwd': no such directory \"f\"")
      local plan = assert(validate(cfg("    a = { cmd = \"x\", cwd = \"d\" },\n"), {["d/"] = true}))
      assert.truthy(plan.stages[1].cwd:match("^/.*/d$"))
    end)
    it("checks restart, kill_timeout and the restart limits", function()
      errors(cfg("    a = { cmd = \"x\", restart = true },\n"), nil, "field 'restart': must be \"no\", \"on-failure\" or \"always\" (got true)")
      errors(cfg("    a = { cmd = \"x\", kill_timeout = \"5\" },\n"), nil, "field 'kill_timeout': must be a number of seconds >= 0")
      errors(cfg("    a = { cmd = \"x\", kill_timeout = 1/0 },\n"), nil, "field 'kill_timeout'")
      errors(cfg("    a = { cmd = \"x\", backoff = 0 },\n"), nil, "field 'backoff': must be a number of seconds > 0 (got 0)")
      errors(cfg("    a = { cmd = \"x\", failure_window = -1 },\n"), nil, "field 'failure_window': must be a number of seconds > 0")
      errors(cfg("    a = { cmd = \"x\", max_failures = 2.5 },\n"), nil, "field 'max_failures': must be an integer >= 0")
      local s = assert(validate(cfg("    a = { cmd = \"x\", restart = \"always\", kill_timeout = 0.5, backoff = 2, max_failures = 0, failure_window = 60 },\n"))).stages[1]
      assert.are.same({"always", 0.5, 2, 0, 60}, {s.restart, s.kill_timeout, s.backoff, s.max_failures, s.failure_window})
    end)
    it("takes ready and ready_timeout, the timeout only with ready = true", function()
      local s = assert(validate(cfg("    a = { cmd = \"x\" },\n"))).stages[1]
      assert.are.same({false, 10}, {s.ready, s.ready_timeout})
      s = assert(validate(cfg("    a = { cmd = \"x\", ready = true },\n"))).stages[1]
      assert.are.same({true, 10}, {s.ready, s.ready_timeout})
      s = assert(validate(cfg("    a = { cmd = \"x\", ready = true, ready_timeout = 2.5 },\n"))).stages[1]
      assert.are.same({true, 2.5}, {s.ready, s.ready_timeout})
      s = assert(validate(cfg("    a = { cmd = \"x\", ready = false },\n"))).stages[1]
      assert.is_false(s.ready)
      errors(cfg("    a = { cmd = \"x\",\n      ready = \"yes\" },\n"), nil,
             "pipeline.lua:4: stage \"a\": field 'ready': must be true or false (got \"yes\")")
      errors(cfg("    a = { cmd = \"x\", ready = 1 },\n"), nil, "field 'ready': must be true or false (got 1)")
      errors(cfg("    a = { cmd = \"x\", ready = true,\n      ready_timeout = 0 },\n"), nil,
             "pipeline.lua:4: stage \"a\": field 'ready_timeout': must be a number of seconds > 0 (got 0)")
      errors(cfg("    a = { cmd = \"x\", ready = true, ready_timeout = \"5\" },\n"), nil,
             "field 'ready_timeout': must be a number of seconds > 0 (got \"5\")")
      errors(cfg("    a = { cmd = \"x\", ready = true, ready_timeout = 0/0 },\n"), nil, "field 'ready_timeout'")
      errors(cfg("    a = { cmd = \"x\", ready_timeout = 3 },\n"), nil,
             "field 'ready_timeout': means nothing without ready = true")
      errors(cfg("    a = { cmd = \"x\", ready = false, ready_timeout = 3 },\n"), nil,
             "field 'ready_timeout': means nothing without ready = true")
      errors(cfg("    a = { cmd = \"x\", readiness = true },\n"), nil, "field \"readiness\": unknown (expected one of")
    end)
  end)

  describe("links", function()
    it("need the {\"stage.port\", \"stage.port\"} syntax", function()
      errors(cfg(AB, "    { \"a\", \"b.stdin\" },\n"), nil,
             "pipeline.lua:7: link 1 (a -> b.stdin): source \"a\": expected \"stage.port\"")
      errors(cfg(AB, "    { \"a.stdout\" },\n"), nil, "link 1 (a.stdout -> nil): target must be a string \"stage.port\" (got nil)")
      errors(cfg(AB, "    \"a.stdout b.stdin\",\n"), nil, "link 1: must be a table")
      errors(cfg(AB, "    { \"a.st out\", \"b.stdin\" },\n"), nil, "bad port name \"st out\"")
      errors(cfg(AB, "    { \"a.stdout\", \"b.stdin\", vai = \"mq\" },\n"), nil, "link 1 (a.stdout -> b.stdin): unknown field \"vai\"")
    end)
    it("name stages that exist", function()
      errors(cfg(AB, "    { \"a.stdout\", \"b.stdin\" },\n    { \"x.stdout\", \"b.in\", framing = \"lines\" },\n"), nil,
             "pipeline.lua:8: link 2 (x.stdout -> b.in): source \"x.stdout\": unknown stage \"x\"")
    end)
    it("take stdin only as a target, stdout and stderr only as sources", function()
      errors(cfg(AB, "    { \"a.stdin\", \"b.stdin\" },\n"), nil, "link 1 (a.stdin -> b.stdin): a.stdin cannot be a source")
      errors(cfg(AB, "    { \"a.stdout\", \"b.stderr\" },\n"), nil, "b.stderr cannot be a target (stdout and stderr are only sources)")
      errors(cfg(AB, "    { \"a.stdout\", \"b.stdout\" },\n"), nil, "b.stdout cannot be a target")
    end)
    it("check via", function()
      errors(cfg(AB, "    { \"a.stdout\", \"b.stdin\",\n      via = \"carrier-pigeon\" },\n"), nil,
             "pipeline.lua:8: link 1 (a.stdout -> b.stdin): field 'via': must be one of pipe, fifo, mq, sysvmq, ring, unix, tcp (got \"carrier-pigeon\")")
      for _, via in ipairs({"pipe", "fifo", "unix", "tcp"}) do
        assert(validate(cfg(AB, "    { \"a.stdout\", \"b.stdin\", via = \"" .. via .. "\" },\n")))
      end
      for _, via in ipairs({"mq", "sysvmq", "ring", "unix", "tcp", "pipe", "fifo"}) do
        assert(validate(cfg(AB, "    { \"a.out\", \"b.in\", via = \"" .. via .. "\" },\n")))
      end
    end)
    it("need framing exactly where a raw port meets a message endpoint", function()
      errors(cfg(AB, "    { \"a.stdout\", \"b.in\", via = \"mq\" },\n"), nil,
             "pipeline.lua:7: link 1 (a.stdout -> b.in): field 'framing': required: raw port a.stdout meets message endpoint b.in")
      errors(cfg(AB, "    { \"a.out\", \"b.stdin\" },\n"), nil,
             "field 'framing': required: raw port b.stdin meets message endpoint a.out")
      errors(cfg(AB, "    { \"a.stdout\", \"b.stdin\", via = \"ring\" },\n"), nil,
             "field 'framing': required: two raw ports over ring, a message via")
      errors(cfg(AB, "    { \"a.stdout\", \"b.stdin\", framing = \"lines\" },\n"), nil,
             "field 'framing': means nothing between two raw ports over pipe")
      errors(cfg(AB, "    { \"a.out\", \"b.in\", via = \"mq\", framing = \"lines\" },\n"), nil,
             "field 'framing': means nothing between two message endpoints")
      errors(cfg(AB, "    { \"a.stdout\", \"b.in\", framing = \"words\" },\n"), nil,
             "field 'framing': must be \"lines\", \"raw\" or \"frames\" (got \"words\")")
      for _, f in ipairs({"lines", "raw", "frames"}) do
        assert(validate(cfg(AB, "    { \"a.stdout\", \"b.stdin\", via = \"sysvmq\", framing = \"" .. f .. "\" },\n")))
      end
    end)
    it("parse capacity where it applies", function()
      errors(cfg(AB, "    { \"a.out\", \"b.in\", via = \"ring\",\n      capacity = \"4MB\" },\n"), nil,
             "pipeline.lua:8: link 1 (a.out -> b.in): field 'capacity': not a size: decimal digits without leading zeros, then nothing or K, KiB, M, MiB, G, GiB (got \"4MB\")")
      errors(cfg(AB, "    { \"a.out\", \"b.in\", via = \"mq\", capacity = \"4K\" },\n"), nil,
             "field 'capacity': does not apply to mq (only pipe, fifo, ring)")
      errors(cfg(AB, "    { \"a.out\", \"b.in\", via = \"ring\", capacity = -5 },\n"), nil, "field 'capacity': must not be negative")
      assert.are.equal(65536, assert(validate(cfg(AB, "    { \"a.stdout\", \"b.stdin\", capacity = \"64K\" },\n"))).links[1].capacity)
      errors(cfg(AB, "    { \"a.out\", \"b.in\", via = \"ring\", max_messages = 8 },\n"), nil, "field 'max_messages': applies to mq only")
      errors(cfg(AB, "    { \"a.out\", \"b.in\", via = \"mq\", max_messages = 0 },\n"), nil, "field 'max_messages': must be an integer >= 1")
      errors(cfg(AB, "    { \"a.out\", \"b.in\", via = \"mq\", max_message_size = \"0\" },\n"), nil, "field 'max_message_size': must be at least 1")
      errors(cfg(AB, "    { \"a.stdout\", \"b.stdin\", max_message_size = \"1K\" },\n"), nil, "field 'max_message_size': means nothing between two raw ports")
      local l = assert(validate(cfg(AB, "    { \"a.out\", \"b.in\", via = \"mq\", max_messages = 8, max_message_size = \"1K\" },\n"))).links[1]
      assert.are.same({8, 1024}, {l.max_messages, l.max_message_size})
    end)
    it("refuse a raw port used by two links, but merge into a message port", function()
      errors(cfg(AB .. "    c = { cmd = \"x\" },\n", "    { \"a.stdout\", \"c.stdin\" },\n    { \"b.stdout\", \"c.stdin\" },\n"), nil,
             "pipeline.lua:9: link 2 (b.stdout -> c.stdin): c.stdin is already the target of link 1: a raw port takes one link")
      assert(validate(cfg(AB .. "    c = { cmd = \"x\" },\n",
        "    { \"a.stdout\", \"c.in\", framing = \"lines\" },\n    { \"b.stdout\", \"c.in\", framing = \"lines\" },\n")))
    end)
    it("spread a source over several targets, or broadcast with fanout on all of them", function()
      -- no fanout: round robin over the targets
      assert(validate(cfg(AB .. "    c = { cmd = \"x\" },\n", "    { \"a.stdout\", \"b.stdin\" },\n    { \"a.stdout\", \"c.stdin\" },\n")))
      errors(cfg(AB .. "    c = { cmd = \"x\" },\n", "    { \"a.stdout\", \"b.stdin\", fanout = \"broadcast\" },\n    { \"a.stdout\", \"c.stdin\" },\n"), nil,
             "pipeline.lua:9: link 2 (a.stdout -> c.stdin): field 'fanout': a.stdout feeds 2 links: set fanout = \"broadcast\" on all of them or on none")
      errors(cfg(AB, "    { \"a.out\", \"b.in\",\n      fanout = \"broadcast\" },\n"), nil,
             "pipeline.lua:8: link 1 (a.out -> b.in): field 'fanout': \"broadcast\" needs several targets")
      errors(cfg(AB, "    { \"a.out\", \"b.in\", fanout = \"all\" },\n"), nil, "field 'fanout': must be \"broadcast\" (got \"all\")")
      assert(validate(cfg(AB .. "    c = { cmd = \"x\" },\n",
        "    { \"a.stdout\", \"b.stdin\", fanout = \"broadcast\" },\n    { \"a.stdout\", \"c.stdin\", fanout = \"broadcast\" },\n")))
    end)
    it("broadcast from a message port to several targets, over any vias", function()
      local plan = assert(validate(cfg(AB .. "    c = { cmd = \"x\", replicas = 3 },\n    d = { cmd = \"x\" },\n", [[
    { "a.out", "b.in", via = "mq", fanout = "broadcast" },
    { "a.out", "c.in", via = "ring", fanout = "broadcast" },
    { "a.out", "d.stdin", via = "unix", framing = "lines", fanout = "broadcast" },
]])))
      assert.are.equal(3, #plan.links)
      for _, l in ipairs(plan.links) do
        assert.are.same({stage = "a", port = "out"}, l.from)
        assert.are.equal("broadcast", l.fanout)
      end
      assert.are.same({out = true}, plan.stages[1].ports)
      -- every link out of the port needs it, not only some
      errors(cfg(AB .. "    c = { cmd = \"x\" },\n",
                 "    { \"a.out\", \"b.in\", via = \"mq\", fanout = \"broadcast\" },\n    { \"a.out\", \"c.in\", via = \"mq\" },\n"), nil,
             "pipeline.lua:9: link 2 (a.out -> c.in): field 'fanout': a.out feeds 2 links: set fanout = \"broadcast\" on all of them or on none")
      -- a broadcast target may also be a merge
      assert(validate(cfg(AB .. "    c = { cmd = \"x\" },\n", [[
    { "a.out", "b.in", via = "mq", fanout = "broadcast" },
    { "a.out", "c.in", via = "mq", fanout = "broadcast" },
    { "b.out", "c.in", via = "mq" },
]])))
    end)
    it("refuse the same ends twice and a port both source and target", function()
      errors(cfg(AB, "    { \"a.out\", \"b.in\" },\n    { \"a.out\", \"b.in\" },\n"), nil,
             "pipeline.lua:8: link 2 (a.out -> b.in): the same ends as link 1")
      errors(cfg(AB, "    { \"a.out\", \"b.in\" },\n    { \"b.in\", \"a.x\" },\n"), nil,
             "link 2: port b.in is both a source (link 2) and a target (link 1)")
    end)
    it("refuse replicas sharing a raw byte stream", function()
      errors(cfg("    a = { cmd = \"x\" },\n    b = { cmd = \"x\", replicas = 2 },\n", "    { \"a.stdout\", \"b.stdin\" },\n"), nil,
             "pipeline.lua:7: link 1 (a.stdout -> b.stdin): stage \"b\" has replicas = 2: its stdin cannot share a pipe")
      errors(cfg("    a = { cmd = \"x\", replicas = 3 },\n    b = { cmd = \"x\" },\n", "    { \"a.stdout\", \"b.stdin\", via = \"fifo\" },\n"), nil,
             "stage \"a\" has replicas = 3: its stdout cannot share a fifo")
      assert(validate(cfg("    a = { cmd = \"x\" },\n    b = { cmd = \"x\", replicas = 2 },\n",
                          "    { \"a.stdout\", \"b.stdin\", via = \"mq\", framing = \"lines\" },\n")))
      assert(validate(cfg("    a = { cmd = \"x\" },\n    b = { cmd = \"x\", replicas = 2 },\n",
                          "    { \"a.out\", \"b.in\" },\n")))
    end)
    it("refuse a cycle through a fifo or a socket, not one of pipes or queues", function()
      errors(cfg(AB .. "    c = { cmd = \"x\" },\n", [[
    { "a.stdout", "b.stdin" },
    { "b.stdout", "c.stdin",
      via = "fifo" },
    { "c.stdout", "a.stdin" },
]]), nil, "pipeline.lua:10: link 2 (b.stdout -> c.stdin): field 'via': fifo in a cycle (b -> c -> a -> b)")
      errors(cfg(AB, "    { \"a.out\", \"b.in\", via = \"unix\" },\n    { \"b.out\", \"a.in\", via = \"tcp\" },\n"), nil,
             "link 1 (a.out -> b.in): field 'via': unix in a cycle (a -> b -> a)",
             "link 2 (b.out -> a.in): field 'via': tcp in a cycle (b -> a -> b)")
      errors(cfg(AB, "    { \"a.out\", \"a.in\", via = \"fifo\" },\n"), nil, "fifo in a cycle (a -> a)")
      assert(validate(cfg(AB, "    { \"a.out\", \"b.in\", via = \"mq\" },\n    { \"b.out\", \"a.in\", via = \"ring\" },\n    { \"a.stdout\", \"a.stdin\" },\n")))
      -- two parallel links, only one of them a fifo, on one cycle
      errors(cfg(AB, "    { \"a.stdout\", \"b.stdin\" },\n    { \"a.out\", \"b.in\", via = \"fifo\" },\n    { \"b.stdout\", \"a.stdin\" },\n"), nil,
             "link 2 (a.out -> b.in): field 'via': fifo in a cycle (a -> b -> a)")
    end)
    it("refuse ready stages that wait on each other in a loop (readiness cycle)", function()
      local RR = "    a = { cmd = \"x\",\n      ready = true },\n    b = { cmd = \"x\", ready = true },\n"
      errors(cfg(RR, "    { \"a.out\", \"b.in\", via = \"mq\" },\n    { \"b.out\", \"a.in\", via = \"ring\" },\n"), nil,
             "pipeline.lua:4: stage \"a\": field 'ready': readiness cycle a -> b -> a")
      -- three ready stages; the loop is reported once, from its first stage
      errors(cfg(RR .. "    c = { cmd = \"x\", ready = true },\n",
                 "    { \"a.stdout\", \"c.stdin\" },\n    { \"c.stdout\", \"b.stdin\" },\n    { \"b.stdout\", \"a.stdin\" },\n"), nil,
             "stage \"a\": field 'ready': readiness cycle a -> c -> b -> a")
      -- a stage that is not ready breaks the loop: it starts at once
      assert(validate(cfg("    a = { cmd = \"x\", ready = true },\n    b = { cmd = \"x\" },\n",
                          "    { \"a.out\", \"b.in\", via = \"mq\" },\n    { \"b.out\", \"a.in\", via = \"mq\" },\n")))
      -- a ready stage feeding itself waits on no one
      assert(validate(cfg("    a = { cmd = \"x\", ready = true },\n", "    { \"a.out\", \"a.in\", via = \"mq\" },\n")))
    end)
  end)

  describe("graph", function()
    it("gives DOT with stages as boxes and links as labelled edges", function()
      local plan = assert(validate(GOOD, SCRIPTS))
      local dot = graph.dot(plan)
      assert.are.equal([[
digraph "wordfreq" {
  rankdir=LR;
  node [shape=box, fontname="monospace"];
  edge [fontname="monospace", fontsize=10];
  "count" [label="count\nlua x2"];
  "sink" [label="sink\npython"];
  "split" [label="split\ncmd"];
  "src" [label="src\ncmd"];
  "src" -> "split" [label="pipe", taillabel="stdout", headlabel="stdin"];
  "split" -> "count" [label="mq lines", taillabel="stdout", headlabel="in", style=bold];
  "count" -> "sink" [label="ring 4MiB", taillabel="out", headlabel="in", style=bold];
}
]], dot)
    end)
    it("marks a stage that signals readiness", function()
      local plan = assert(validate(cfg("    a = { cmd = \"x\", ready = true, replicas = 2 },\n")))
      assert.truthy(graph.dot(plan):find('"a" [label="a\\ncmd x2\\nready"];', 1, true), graph.dot(plan))
    end)
    it("writes sizes as a config would", function()
      assert.are.equal("4MiB", graph.size(4 << 20))
      assert.are.equal("1GiB", graph.size(1 << 30))
      assert.are.equal("1536", graph.size(1536))
      assert.are.equal("3KiB", graph.size(3072))
    end)
  end)

  describe("the ipc binary", function()
    local bin = os.getenv("IPC_HOST_BIN")
    local source = H.source
    local function ipc(...)
      local words = {H.quote(bin)}
      for i, a in ipairs({...}) do words[i + 1] = H.quote(a) end
      local out = H.path("out")
      local errf = H.path("err")
      local ok, _, code = os.execute(table.concat(words, " ") .. " >" .. H.quote(out) .. " 2>" .. H.quote(errf))
      local function slurp(p) local f = io.open(p) if not f then return "" end local s = f:read("a") f:close() return s end
      return ok and 0 or code, slurp(out), slurp(errf)
    end
    local run = bin and it or pending

    run("checks every example", function()
      for _, p in ipairs({"wordfreq/wordfreq.lua", "workers/workers.lua", "fanout/fanout.lua"}) do
        local code, out, err = ipc("check", source .. "/examples/pipelines/" .. p)
        assert.are.equal(0, code, err)
        assert.truthy(out:match("^ok: %d+ stages, %d+ links\n$"), out)
      end
    end)

    run("prints every error and exits 2", function()
      local path = write_config(cfg([[
    a = { cmd = {"true"}, replicas = 0 },
    b = { lua = "missing.lua" },
]], "    { \"a.stdout\", \"b.in\" },\n"))
      local code, out, err = ipc("check", path)
      assert.are.equal(2, code)
      assert.are.equal("", out)
      local lines = {}
      for l in err:gmatch("[^\n]+") do lines[#lines + 1] = l end
      assert.are.equal(3, #lines, err)
      assert.truthy(lines[1]:find(path .. ":3: stage \"a\": field 'replicas'", 1, true), err)
      assert.truthy(lines[2]:find(path .. ":4: stage \"b\": field 'lua': script \"missing.lua\" not found", 1, true), err)
      assert.truthy(lines[3]:find(path .. ":7: link 1 (a.stdout -> b.in): field 'framing': required", 1, true), err)
    end)

    run("rejects a readiness cycle at `ipc check` and `ipc run`, starting nothing", function()
      local path, dir = write_config(cfg([[
    a = { cmd = "touch started-a", ready = true },
    b = { cmd = "touch started-b", ready = true },
]], "    { \"a.out\", \"b.in\", via = \"mq\" },\n    { \"b.out\", \"a.in\", via = \"mq\" },\n"))
      for _, cmd in ipairs({"check", "run"}) do
        local code, out, err = ipc(cmd, path)
        assert.are.equal(2, code, err)
        assert.are.equal("", out)
        assert.are.equal(path .. ":3: stage \"a\": field 'ready': readiness cycle a -> b -> a: each of these ready stages starts only after the one before it is ready, so none would ever start; set ready = false on one of them\n", err)
      end
      assert.is_nil(io.open(dir .. "/started-a"))
    end)

    run("prints a NUL byte in a config's error message as \\0", function()
      local path = write_config("error(\"bad\\0byte\")\n")
      local code, out, err = ipc("check", path)
      assert.are.equal(2, code)
      assert.are.equal("", out)
      assert.is_nil(err:find("\0", 1, true), err)
      assert.are.equal(path .. ":1: bad\\0byte\n", err)
    end)

    run("reports a config that does not load, with its line", function()
      local path = write_config("return {\n  stages = {\n    a = { cmd = \"x\" ,\n}\n")
      local code, _, err = ipc("check", path)
      assert.are.equal(2, code)
      assert.are.equal(path .. ":5:", err:sub(1, #path + 3), err)
      assert.truthy(err:find("'}' expected", 1, true), err)
    end)

    run("prints DOT for an example", function()
      local code, out, err = ipc("graph", source .. "/examples/pipelines/fanout/fanout.lua")
      assert.are.equal(0, code, err)
      assert.truthy(out:match("^digraph \"fanout\" {\n"), out)
      assert.truthy(out:find("\"source\" -> \"even\" [label=\"unix lines broadcast\", taillabel=\"stdout\", headlabel=\"input\", style=bold];", 1, true), out)
      assert.truthy(out:find("\"even\" [label=\"even\\nlua\"];", 1, true), out)
    end)

    run("graph --svg renders with Graphviz, or says it is missing", function()
      local code, out, err = ipc("graph", "--svg", source .. "/examples/pipelines/workers/workers.lua")
      if graph.have_dot() then
        assert.are.equal(0, code, err)
        assert.truthy(out:find("<svg", 1, true))
      else
        assert.are.equal(1, code)
        assert.truthy(err:find("needs Graphviz's dot", 1, true), err)
      end
    end)

    run("refuses usage errors with status 2", function()
      for _, args in ipairs({{"check"}, {"check", "a", "b"}, {"graph", "--png", "x"}, {"run"},
                             {"run", "x", "--stats-json"}, {"ls", "x"}, {"gc", "x"}}) do
        local code, _, err = ipc(table.unpack(args))
        assert.are.equal(2, code, table.concat(args, " ") .. ": " .. err)
        assert.truthy(err:match("^ipc: "), err)
      end
    end)

    run("run hands the runtime quiet, stats_json, status and python_argv", function()
      local path = write_config(cfg("    a = { cmd = {\"true\"} },\n"))
      -- a stand-in runtime prints the options it is given
      local code = [[
package.loaded["ipc.host.run"] = {run = function(plan, opts)
  print(plan.name, tostring(opts.quiet), tostring(opts.stats_json), tostring(opts.status),
        opts.python_argv and table.concat(opts.python_argv, " ") or "nil")
  return 7
end}
os.exit(require("ipc.host.cli").main({...}))
]]
      local function run_cli(prefix, ...)
        local words = {prefix, H.quote(bin), "-e", H.quote(code)}
        for _, a in ipairs({...}) do words[#words + 1] = H.quote(a) end
        local out = H.path("out")
        local ok, _, st = os.execute(table.concat(words, " ") .. " >" .. H.quote(out) .. " 2>/dev/null")
        local f = assert(io.open(out))
        local s = f:read("a")
        f:close()
        return ok and 0 or st, s
      end
      -- unset, the host sets it to the interpreter the project was built for
      local st, out = run_cli("env -u IPC_HOST_PYTHON", "run", path)
      assert.are.equal(7, st)
      assert.are.equal("pipeline\tfalse\tnil\tfalse\t" .. H.python .. "\n", out)
      st, out = run_cli("IPC_HOST_PYTHON=/opt/py/bin/python3", "run", "--quiet", "--stats-json", "s.json", path)
      assert.are.equal(7, st)
      assert.are.equal("pipeline\ttrue\ts.json\tfalse\t/opt/py/bin/python3\n", out)
      -- on a terminal (script(1) gives one) the status line is on, unless
      -- --quiet or TERM=dumb
      if os.execute("command -v script >/dev/null 2>&1") then
        local function on_tty(env, ...)
          local inner = {H.quote(bin), "-e", H.quote(code)}
          for _, a in ipairs({...}) do inner[#inner + 1] = H.quote(a) end
          local o = H.path("tty")
          os.execute(env .. " script -qec " .. H.quote(table.concat(inner, " ") .. " >" .. H.quote(o)) .. " /dev/null >/dev/null 2>&1 </dev/null")
          local f = assert(io.open(o))
          local s = f:read("a")
          f:close()
          return s
        end
        assert.are.equal("pipeline\tfalse\tnil\ttrue\tnil\n", on_tty("TERM=xterm IPC_HOST_PYTHON=", "run", path))
        assert.are.equal("pipeline\ttrue\tnil\tfalse\tnil\n", on_tty("TERM=xterm IPC_HOST_PYTHON=", "run", "--quiet", path))
        assert.are.equal("pipeline\tfalse\tnil\tfalse\tnil\n", on_tty("TERM=dumb IPC_HOST_PYTHON=", "run", path))
      end
    end)

    run("prints help", function()
      local code, out = ipc("help")
      assert.are.equal(0, code)
      assert.truthy(out:find("ipc check CONFIG", 1, true))
    end)
  end)
end)
