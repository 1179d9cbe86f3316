-- spec/host_cli_spec.lua: the `ipc` binary (lua/host/ipc_host.c) as a
-- user runs it: scripts with arguments, -e, --version, errors reported as
-- lua.c does ("ipc: file:line: message" and a traceback, exit 1), Ctrl+C
-- during a blocking call, and the sandboxed config loader
-- (require("ipc.host.native").load_config): text only, no io/os, a cap on
-- instructions and on memory.
local ipc = require "ipc"
local H = require "helper"

local BIN = os.getenv("IPC_HOST_BIN") or (H.build .. "/bin/ipc")

-- Everything a channel gives until end of stream (5 s per read at most).
local function read_all(ch)
  local parts = {}
  while true do
    local s, msg = ch:read(4096, 5)
    if s == nil then
      assert(msg == nil, msg)
      break
    end
    if s == "" then break end
    parts[#parts + 1] = s
  end
  return table.concat(parts)
end

-- Run the binary with args (a list); returns code, stdout, stderr.
-- opts.env: the whole environment; opts.stdin: a string for its stdin.
local function ipc_run(args, opts)
  opts = opts or {}
  local argv = {BIN}
  for i, a in ipairs(args) do argv[i + 1] = a end
  local p <close> = assert(ipc.spawn(argv, {
    stdin = opts.stdin and "pipe" or "null", stdout = "pipe", stderr = "pipe",
    env = opts.env, pdeathsig = true}))
  if opts.stdin then
    assert(p.stdin:write(opts.stdin, 5))
    p.stdin:close()
  end
  local out = read_all(p.stdout)
  local err = read_all(p.stderr)
  return p:wait(30), out, err
end

local function write_file(tag, text, mode)
  local path = H.path(tag)
  local f = assert(io.open(path, mode or "w"))
  f:write(text)
  f:close()
  return path
end

-- A host script that loads each config given and prints one line per
-- config: "ok <fields>" (sorted k=v) or "err <message>".
local LOADER = [[
local native = require "ipc.host.native"
for i = 1, #arg do
  local t0 = os.clock()
  local t, msg = native.load_config(arg[i])
  local secs = os.clock() - t0
  if t then
    local keys = {}
    for k, v in pairs(t) do keys[#keys + 1] = tostring(k) .. "=" .. tostring(v) end
    table.sort(keys)
    print("ok " .. table.concat(keys, ","))
  else
    print("err " .. msg:gsub("\n", " "))
  end
  io.stderr:write(string.format("%.3f\n", secs))
end
-- the host's own libraries are untouched by the configs
assert(type(string.dump) == "function" and ("").dump == string.dump)
assert(io and os.execute and require and load and dofile)
]]

-- Load the configs (paths) in one host; returns a list of result lines
-- and a list of CPU seconds per config.
local function load_configs(...)
  local loader = write_file("loader.lua", LOADER)
  local code, out, err = ipc_run({loader, ...})
  assert.are.equal(0, code, err)
  local lines, secs = {}, {}
  for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
  for s in err:gmatch("[^\n]+") do secs[#secs + 1] = tonumber(s) end
  return lines, secs
end

describe("the ipc binary", function()
  after_each(H.cleanup)

  it("runs a script with arg and ... set, and the module preloaded", function()
    local script = write_file("args.lua", [[
      local ipc = require "ipc"
      print(arg[-1], arg[0], arg[1], arg[2], #arg, select("#", ...), ...)
      print(ipc.getpid() == require("ipc.host.native").pid(), type(ipc.pipe))
    ]])
    local code, out, err = ipc_run({script, "one", "two words"})
    assert.are.equal(0, code, err)
    assert.are.equal(BIN .. "\t" .. script .. "\tone\ttwo words\t2\t2\tone\ttwo words\n"
                     .. "true\tfunction\n", out)
    assert.are.equal("", err)
  end)

  it("runs a script from standard input with -", function()
    local code, out = ipc_run({"-", "x"}, {stdin = "print(arg[0], arg[1], require('ipc').version)"})
    assert.are.equal(0, code)
    assert.are.equal("-\tx\t" .. ipc.version .. "\n", out)
  end)

  it("runs a chunk with -e, and its arguments", function()
    local code, out = ipc_run({"-e", "print(arg[0], #arg, ...); os.exit(3)", "a", "b"})
    assert.are.equal(3, code)
    assert.are.equal("-e\t2\ta\tb\n", out)
  end)

  it("prints its version", function()
    local code, out = ipc_run({"--version"})
    assert.are.equal(0, code)
    local v = ipc.version:gsub("%p", "%%%0")
    assert.truthy(out:match("^ipc " .. v .. " %(Lua 5%.4%.%d+%)\n$"), out)
  end)

  it("prints its usage with help, and on no arguments (exit 2)", function()
    local code, out = ipc_run({"help"})
    assert.are.equal(0, code)
    assert.truthy(out:find("usage:", 1, true), out)
    local code2, out2, err2 = ipc_run({})
    assert.are.equal(2, code2)
    assert.are.equal("", out2)
    assert.truthy(err2:find("usage:", 1, true), err2)
  end)

  it("reports an unknown command or option and exits 2", function()
    local code, _, err = ipc_run({"frobnicate"})
    assert.are.equal(2, code)
    assert.truthy(err:match("^ipc: unknown command 'frobnicate'"), err)
    code, _, err = ipc_run({"-Z"})
    assert.are.equal(2, code)
    assert.truthy(err:match("^ipc: unrecognized option '%-Z'"), err)
    code, _, err = ipc_run({"-e"})
    assert.are.equal(2, code)
    assert.truthy(err:match("^ipc: '%-e' needs an argument"), err)
  end)

  it("reports a script error as ipc: file:line: message with a traceback, exit 1", function()
    local script = write_file("err.lua", "local function f()\n  error('boom')\nend\nf()\n")
    local code, out, err = ipc_run({script})
    assert.are.equal(1, code)
    assert.are.equal("", out)
    local esc = script:gsub("%p", "%%%0")
    assert.truthy(err:match("^ipc: " .. esc .. ":2: boom\nstack traceback:\n"), err)
    assert.truthy(err:find(esc .. ":4: in main chunk", 1, false), err)
    -- a syntax error, a missing script, and an error object that is a table
    local bad = write_file("syntax.lua", "x = = 1\n")
    code, _, err = ipc_run({bad})
    assert.are.equal(1, code)
    assert.truthy(err:match("^ipc: " .. bad:gsub("%p", "%%%0") .. ":1: unexpected symbol"), err)
    code, _, err = ipc_run({"/nonexistent/script.lua"})
    assert.are.equal(1, code)
    assert.truthy(err:match("^ipc: cannot open /nonexistent/script.lua"), err)
    code, _, err = ipc_run({"-e", "error({})"})
    assert.are.equal(1, code)
    assert.truthy(err:match("^ipc: %(error object is a table value%)"), err)
  end)

  it("stops a script blocked in r:recv() on SIGINT with interrupted!", function()
    local script = write_file("block.lua", [[
      local ipc = require "ipc"
      local r, w = ipc.pipe()
      io.stdout:write("ready\n"); io.stdout:flush()
      r:recv()
      print("not reached")
    ]])
    local p <close> = assert(ipc.spawn({BIN, script},
                                       {stdout = "pipe", stderr = "pipe", pdeathsig = true}))
    assert.are.equal("ready\n", p.stdout:read(6, 10))
    os.execute("sleep 0.3") -- let it block in recv
    assert.are.same(ipc.errno.EAGAIN, select(3, p:wait(0)))
    local t0 = ipc.now()
    assert(p:kill("INT"))
    local code = p:wait(5)
    local elapsed = ipc.now() - t0
    assert.are.equal(1, code)
    assert.is_true(elapsed < 1, "took " .. elapsed .. " s")
    local err = read_all(p.stderr)
    assert.truthy(err:match("^ipc: " .. script:gsub("%p", "%%%0") .. ":4: interrupted!\n"), err)
    assert.truthy(err:find("in method 'recv'", 1, true), err)
    assert.are.equal("", read_all(p.stdout))
  end)

  it("puts IPC_HOST_LUA_PATH first on package.path", function()
    local dir = H.tmpdir()
    local mod = dir .. "/hostpathmod.lua"
    local f = assert(io.open(mod, "w"))
    f:write("return {answer = 42}")
    f:close()
    H.defer(function() os.remove(mod) end)
    local code, out, err = ipc_run({"-e", "print(package.path:match('^[^;]*'), require('hostpathmod').answer)"},
                                   {env = {PATH = os.getenv("PATH"), IPC_HOST_LUA_PATH = dir .. "/?.lua"}})
    assert.are.equal(0, code, err)
    assert.are.equal(dir .. "/?.lua\t42\n", out)
  end)

  it("gives the host's pid and executable in ipc.host.native", function()
    local code, out = ipc_run({"-e", [[
      local n = require "ipc.host.native"
      print(n.pid() == require("ipc").getpid(), n.exe(), n.version)]]})
    assert.are.equal(0, code)
    local real = io.popen("readlink -f " .. H.quote(BIN)):read("l")
    assert.are.equal("true\t" .. real .. "\tipc " .. ipc.version .. " (" .. _VERSION, out:match("^(.-)%.%d+%)\n$"))
  end)
end)

describe("ipc.host.native.load_config", function()
  after_each(H.cleanup)

  it("returns the table of a good config, with the safe libraries", function()
    local cfg = write_file("good.lua", [[
      -- a comment, and the safe parts of the standard library
      local stages = {}
      for i = 1, 3 do stages[#stages + 1] = string.format("s%d", i) end
      return {
        name = ("wordfreq"):upper(),
        n = #stages,
        max = math.max(3, 7),
        joined = table.concat(stages, "+"),
        home = os.getenv("HOME") ~= nil,
        loaded = load("return 1 + 1")(),
        meta = getmetatable(setmetatable({}, {__index = {x = 1}})).__index.x,
      }
    ]])
    local lines = load_configs(cfg)
    assert.are.same({"ok home=true,joined=s1+s2+s3,loaded=2,max=7,meta=1,n=3,name=WORDFREQ"}, lines)
  end)

  it("refuses a bytecode config with a clear message", function()
    local bc = write_file("bytecode.lua", string.dump(function() return {name = "x"} end), "wb")
    local lines = load_configs(bc)
    assert.are.same({"err " .. bc .. ": bytecode is refused: a config is loaded as text only"}, lines)
  end)

  it("has no io, os.execute, require, dofile, debug, collectgarbage or string.dump", function()
    local paths = {}
    local probes = {
      'return io.open("/etc/passwd")',
      'return {os.execute("true")}',
      'return {os.remove("/tmp/x")}',
      'return require("ipc")',
      'return dofile("/etc/passwd")',
      'return loadfile("/etc/passwd")',
      'return debug.getinfo(1)',
      'return {collectgarbage("count")}',
      'return {string.dump(function() end)}',
      'return {("").dump(function() end)}',
      'return {getmetatable("").__index}',
      'return assert(load("\\27Lua", "x", "b"))',
    }
    for i, src in ipairs(probes) do paths[i] = write_file("probe" .. i .. ".lua", src .. "\n") end
    local lines = load_configs(table.unpack(paths))
    assert.are.equal(#probes, #lines)
    for i, l in ipairs(lines) do
      assert.truthy(l:match("^err " .. paths[i]:gsub("%p", "%%%0") .. ":1: "), l)
    end
    assert.truthy(lines[1]:find("global 'io'", 1, true), lines[1])
    assert.truthy(lines[2]:find("field 'execute'", 1, true), lines[2])
    assert.truthy(lines[4]:find("global 'require'", 1, true), lines[4])
    assert.truthy(lines[10]:find("field 'dump'", 1, true), lines[10])
    assert.truthy(lines[12]:find("binary chunks are not allowed in a config", 1, true), lines[12])
  end)

  it("refuses a __gc metamethod (it would run later, outside the limits)", function()
    local cfg = write_file("gc.lua", "return setmetatable({}, {__gc = function() while true do end end})\n")
    local lines = load_configs(cfg)
    assert.are.same({"err " .. cfg .. ":1: __gc metamethods are not allowed in a config"}, lines)
  end)

  it("stops a runaway loop, even one that pcall tries to swallow", function()
    local loop = write_file("loop.lua", "local n = 0\nwhile true do n = n + 1 end\n")
    local swallow = write_file("swallow.lua",
      "while true do\n  pcall(function() while true do end end)\nend\n")
    local lines, secs = load_configs(loop, swallow)
    assert.are.same({
      "err " .. loop .. ":2: config takes too long (more than 100000000 instructions)",
      "err " .. swallow .. ":2: config takes too long (more than 100000000 instructions)",
    }, lines)
    for _, s in ipairs(secs) do assert.is_true(s < 10, s) end
  end)

  it("stops a memory bomb at 64 MiB", function()
    local bomb = write_file("bomb.lua",
      "local t = {}\nfor i = 1, 1e9 do t[i] = ('x'):rep(1000) .. i end\n")
    local big = write_file("big.lua", "return {s = ('x'):rep(100 * 1024 * 1024)}\n")
    local lines = load_configs(bomb, big)
    assert.are.same({
      "err " .. bomb .. ": config uses too much memory (more than 64 MiB)",
      "err " .. big .. ": config uses too much memory (more than 64 MiB)",
    }, lines)
    -- and the host goes on: 30 MiB is fine after the config
    local code, _, err = ipc_run({"-e", [[
      local native = require "ipc.host.native"
      assert(not native.load_config(arg[1]))
      local s = ("y"):rep(100 * 1024 * 1024)
      assert(#s == 100 * 1024 * 1024)]], big})
    assert.are.equal(0, code, err)
  end)

  it("names the file and line of a syntax or run-time error, and wants a table", function()
    local syn = write_file("syn.lua", "return {\n  name = 'x'\n  stages = {}\n}\n")
    local rt = write_file("rt.lua", "local x = nil\n\nreturn {n = x.y}\n")
    local num = write_file("num.lua", "return 5\n")
    local lines = load_configs(syn, rt, num, "/nonexistent/config.lua")
    assert.truthy(lines[1]:match("^err " .. syn:gsub("%p", "%%%0") .. ":3: '}' expected"), lines[1])
    assert.truthy(lines[2]:match("^err " .. rt:gsub("%p", "%%%0") .. ":3: attempt to index"), lines[2])
    assert.are.equal("err " .. num .. ": a config must return a table (got number)", lines[3])
    assert.truthy(lines[4]:match("^err cannot open /nonexistent/config.lua"), lines[4])
  end)
end)
