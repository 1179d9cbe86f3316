--- ipc.host.cli: the host's commands (`ipc run`, `check`, `graph`, `ls`,
-- `gc`, `help`).
--
-- ipc_host_main() (lua/host/ipc_host.c) calls
--   require("ipc.host.cli").main(args)
-- with args = {"check", "pipeline.lua", ...} (the words after the program
-- name) and exits with the integer it returns: 0 success, 1 a command
-- that failed, 2 a usage error or an invalid config. cli.is_command(word)
-- says whether a word is one of these commands (anything else is a script
-- for the C side to run). Messages go to standard error as "ipc: ...",
-- config errors as "path:line: ..." one per line (a NUL byte in a message
-- printed as \0: cli.printable).
--
-- `ipc run` hands ipc.host.run.run(plan, opts) these options:
--   quiet      --quiet: no live status line, no summary;
--   stats_json --stats-json FILE: where to write the final counters;
--   status     true when standard error is a terminal and not --quiet
--              (cli.stderr_is_tty(): native.isatty(2) when the host has
--              it, else `test -t 2` through os.execute, which inherits our
--              descriptor 2; TERM=dumb counts as no terminal).
--   python_argv {$IPC_HOST_PYTHON} when that is set and not empty (one
--              path, not split): the interpreter of python stages;
--              otherwise run.lua's default. run.lua puts
--              $IPC_HOST_PYTHONPATH before a python stage's PYTHONPATH.
local cli = {}

local USAGE = [[
usage: ipc run CONFIG [--quiet] [--stats-json FILE]
                               run a pipeline until every stage has ended
       ipc check CONFIG        validate a config: "ok: N stages, M links" or every error
       ipc graph CONFIG [--svg] the pipeline as Graphviz DOT (SVG with --svg)
       ipc ls                  every live IPC object, and which host made it
       ipc gc                  remove what dead hosts left behind
       ipc SCRIPT.lua [ARGS]   run a Lua script with the ipc module preloaded
       ipc help                this text
Exit status: 0 success; 1 failure; 2 usage error or invalid config; `run`
exits with the status of the first stage that failed.
]]

cli.USAGE = USAGE

local function eprintf(fmt, ...)
  io.stderr:write(string.format(fmt, ...))
end

local function usage_error(fmt, ...)
  eprintf("ipc: " .. fmt .. "\n", ...)
  eprintf("Try 'ipc help'.\n")
  return 2
end

-- Parse args[first..] into positional words and options; spec maps an
-- option to true (a flag) or "value" (takes the next word).
local function parse(cmd, args, first, spec)
  local pos, opts = {}, {}
  local i = first
  while i <= #args do
    local a = args[i]
    if a == "--" then
      for j = i + 1, #args do pos[#pos + 1] = args[j] end
      break
    elseif a:sub(1, 1) == "-" and a ~= "-" then
      local name, value = a:match("^(%-%-[^=]+)=(.*)$")
      name = name or a
      local kind = spec[name]
      if kind == nil then
        return nil, string.format("%s: unknown option '%s'", cmd, name)
      elseif kind == true then
        if value then return nil, string.format("%s: option '%s' takes no value", cmd, name) end
        opts[name] = true
      else
        if not value then
          i = i + 1
          value = args[i]
          if value == nil then return nil, string.format("%s: option '%s' needs a %s", cmd, name, kind) end
        end
        opts[name] = value
      end
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return pos, opts
end

--- Whether standard error is a terminal worth drawing a status line on.
function cli.stderr_is_tty()
  local term = os.getenv("TERM")
  if term == "dumb" then return false end
  local ok, native = pcall(require, "ipc.host.native")
  if ok and type(native) == "table" and type(native.isatty) == "function" then
    return native.isatty(2) == true
  end
  return os.execute("test -t 2") == true
end

-- A message as it may be printed: a NUL byte (an error() message of a
-- config may hold one) is written \0, so the line shows it and stays
-- one line of text.
function cli.printable(s)
  return (tostring(s):gsub("\0", "\\0"))
end

local function load_plan(path)
  local config = require "ipc.host.config"
  local plan, errs = config.load(path)
  if not plan then
    for _, e in ipairs(errs) do io.stderr:write(cli.printable(e), "\n") end
    return nil
  end
  return plan
end

local function one_config(cmd, pos)
  if #pos == 0 then return nil, cmd .. ": which config? (ipc " .. cmd .. " CONFIG)" end
  if #pos > 1 then return nil, string.format("%s: one config only (got '%s' too)", cmd, pos[2]) end
  return pos[1]
end

local commands = {}

function commands.check(args)
  local pos, opts = parse("check", args, 2, {})
  if not pos then return usage_error("%s", opts) end
  local path, why = one_config("check", pos)
  if not path then return usage_error("%s", why) end
  local plan = load_plan(path)
  if not plan then return 2 end
  io.stdout:write(string.format("ok: %d stage%s, %d link%s\n", #plan.stages,
                                #plan.stages == 1 and "" or "s", #plan.links,
                                #plan.links == 1 and "" or "s"))
  return 0
end

function commands.graph(args)
  local pos, opts = parse("graph", args, 2, {["--svg"] = true})
  if not pos then return usage_error("%s", opts) end
  local path, why = one_config("graph", pos)
  if not path then return usage_error("%s", why) end
  local graph = require "ipc.host.graph"
  if opts["--svg"] and not graph.have_dot() then
    eprintf("ipc: graph --svg needs Graphviz's dot on PATH (Debian: apt-get install graphviz); without --svg the DOT text is printed\n")
    return 1
  end
  local plan = load_plan(path)
  if not plan then return 2 end
  local dot = graph.dot(plan)
  if opts["--svg"] then
    local ok, err = graph.svg(dot, io.stdout)
    if not ok then eprintf("ipc: graph: %s\n", err) return 1 end
  else
    io.stdout:write(dot)
  end
  return 0
end

function commands.run(args)
  local pos, opts = parse("run", args, 2, {["--quiet"] = true, ["--stats-json"] = "file name"})
  if not pos then return usage_error("%s", opts) end
  local path, why = one_config("run", pos)
  if not path then return usage_error("%s", why) end
  if opts["--stats-json"] == "" then return usage_error("run: --stats-json needs a file name") end
  local plan = load_plan(path)
  if not plan then return 2 end
  local run = require "ipc.host.run"
  local quiet = opts["--quiet"] == true
  local python = os.getenv("IPC_HOST_PYTHON")
  local code, err = run.run(plan, {quiet = quiet, stats_json = opts["--stats-json"],
                                   status = not quiet and cli.stderr_is_tty(),
                                   python_argv = (python and python ~= "") and {python} or nil})
  if math.type(code) == "integer" then return code end
  if code == true then return 0 end
  eprintf("ipc: run: %s\n", cli.printable(err or "failed"))
  return 1
end

function commands.ls(args)
  local pos, opts = parse("ls", args, 2, {})
  if not pos then return usage_error("%s", opts) end
  if #pos > 0 then return usage_error("ls: takes no argument (got '%s')", pos[1]) end
  local names = require "ipc.host.names"
  local list, notes = names.ls()
  table.sort(list, function(a, b)
    if a.kind ~= b.kind then return a.kind < b.kind end
    return a.url < b.url
  end)
  io.stdout:write(string.format("%-8s %-8s %-6s %s\n", "KIND", "HOST", "STATE", "OBJECT"))
  for _, e in ipairs(list) do
    local state = e.pid == nil and "-" or (e.alive and "alive" or "dead")
    io.stdout:write(string.format("%-8s %-8s %-6s %s\n", e.kind, e.pid and tostring(e.pid) or "-", state, e.url))
  end
  for _, n in ipairs(notes or {}) do eprintf("ipc: ls: %s\n", n) end
  return 0
end

function commands.gc(args)
  local pos, opts = parse("gc", args, 2, {})
  if not pos then return usage_error("%s", opts) end
  if #pos > 0 then return usage_error("gc: takes no argument (got '%s')", pos[1]) end
  local names = require "ipc.host.names"
  local removed = names.gc()
  for _, e in ipairs(removed) do
    io.stdout:write(string.format("removed %s (host %d, dead)\n", e.url, e.pid))
  end
  io.stdout:write(string.format("gc: %d object%s removed\n", #removed, #removed == 1 and "" or "s"))
  return 0
end

function commands.help()
  io.stdout:write(USAGE)
  return 0
end
commands["--help"] = commands.help
commands["-h"] = commands.help

--- Whether word is a host command (else: a script to run).
function cli.is_command(word)
  return commands[word] ~= nil
end

--- Carry out a command; args = {"check", "CONFIG", ...}.
-- @return the exit status
function cli.main(args, ...)
  if type(args) ~= "table" then args = {args, ...} end
  local cmd = args[1]
  if cmd == nil then
    io.stderr:write(USAGE)
    return 2
  end
  local fn = commands[cmd]
  if not fn then return usage_error("unknown command '%s'", tostring(cmd)) end
  return fn(args)
end

return cli
