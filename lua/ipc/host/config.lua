--- ipc.host.config: load a pipeline config and validate it into a plan.
--
-- config.load(path) evaluates the config with the host's sandboxed C
-- loader (require("ipc.host.native").load_config: text only, memory and
-- time capped) and validates the table it returns. config.validate(tbl,
-- path, text) does the validation alone, on a table, so that it can be
-- tested without the host binary.
--
-- Both return the plan, or nil and the list of EVERY error found (never
-- only the first), each "path:line: stage 'x': field 'y': what is wrong".
-- Nothing is started before the whole config has been checked.
--
-- Lines. The loader gives a table, not positions, so lines are found by
-- scanning the config's text (best effort): a stage is the first line
-- after `stages` that defines its key (`name =` or `["name"] =`,
-- preferring a key at the start of a line); a stage's field is the first
-- `field =` between that line and the next stage's key; link i is the
-- first occurrence of its quoted source ("a.port"), searched from the end
-- of link i-1's match, after `links`; a link's field is the first
-- `field =` before the next link. When the text is unknown or the key is
-- not found (a config that builds its tables in a loop), the error has the
-- stage's line, the `stages`/`links` line, or no line at all.
--
-- The rules (each one has a spec in spec/host_config_spec.lua):
-- * top level: a table with only `name`, `stages`, `links`; `name` a
--   string of [A-Za-z0-9_.-], 1 to 64 bytes (default: the config file's
--   name without ".lua"); `stages` a non-empty table keyed by stage name;
--   `links` a list (may be absent or empty).
-- * stage names: [A-Za-z_][A-Za-z0-9_-]*, at most 32 bytes (no '.': it
--   separates stage and port in links).
-- * stage fields: exactly one of `cmd`, `lua`, `python`, `native`; `cmd` a non-empty
--   list of strings (argv, looked up in PATH) or a non-empty shell string
--   (argv {"/bin/sh", "-c", s}); `lua`/`python` the path of a script that
--   exists, relative to the config's directory, and optional `args` (a
--   list of strings, for lua/python only); `native` a table {lib =, fn =,
--   sig =} (only those keys): lib a library path relative to the config's
--   directory when it contains a '/' (it must exist), else a name for
--   dlopen's search ("libm.so.6": found, or not, at run time); fn the
--   symbol (no NUL, no blank); sig optional (default "long(buf,buf)"), a
--   signature that parses and suits a stage (ipc_native_stage_check,
--   asked through native.stage_signature in the host; outside the host
--   it is kept unchecked and the worker checks it when it starts);
--   `replicas` an integer 1..1024
--   (default 1); `env` a table of NAME = "string" (NAME a C identifier,
--   not IPC_ENDPOINTS, which the host sets); `cwd` an existing directory,
--   relative to the config's directory (default: the config's
--   directory); `restart` "no" (default), "on-failure" or "always";
--   `kill_timeout` a number of seconds >= 0 (default 5); restart limits:
--   `backoff` seconds > 0 before the first restart, doubling (default 1),
--   `max_failures` an integer >= 0 (0: never give up; default 5) within
--   `failure_window` seconds > 0 (default 10); `ready` a boolean (default
--   false): the stage says when it is ready (ipc.host.run defines how) and
--   the stages linked to it start only then; `ready_timeout` seconds > 0
--   (default 10) to wait for that, only with ready = true. Any other field
--   is an error (a typo never silently becomes a default).
-- * links: {"stage.port", "stage.port", via=, framing=, capacity=,
--   max_messages=, max_message_size=, fanout=}. The stage must exist; a
--   port is [A-Za-z0-9_.-], at most 32 bytes, after the first '.'.
--   stdin, stdout and stderr are raw ports, any other name a message
--   endpoint. stdin is only a target, stdout and stderr only sources; a
--   message port is a source or a target, not both. A native stage has
--   the message ports `in` (a target; it must be linked) and `out` (a
--   source; optional: without it the results are dropped), and stderr;
--   no stdin or stdout (raw bytes reach `in` through framing, as for the
--   message ports of any stage).
-- * via: pipe (default), fifo, mq, sysvmq, ring, unix, tcp.
-- * framing: lines, raw or frames; required exactly where a raw port meets
--   a message endpoint: a raw port on one end and a message port on the
--   other (whatever the via: a message endpoint speaks frames even over a
--   pipe), or two raw ports over a message-only via (mq, sysvmq, ring).
--   Anywhere else it is an error (it would mean nothing).
-- * capacity: a size (integer bytes, or ipc's size grammar: decimal digits
--   without leading zeros, then nothing, K, KiB, M, MiB, G, GiB; K = 1024,
--   parsed by the core: ipc.parse_size), only for pipe, fifo and ring (as
--   the URL option); max_messages an integer >= 1, mq only; max_message_size a
--   size >= 1, not for a raw-to-raw stream.
-- * sharing ports: the same (stage, port) as the source of several links
--   spreads its messages over them round robin, or copies each to all
--   with fanout = "broadcast" on every one of them (all or none);
--   fanout = "broadcast" needs several targets; several links into one message port merge; a
--   raw target (stdin) takes one link only; the same pair of ends twice is
--   an error.
-- * replicas: a raw port of a stage with replicas > 1 cannot sit on a
--   byte stream (pipe, fifo, unix, tcp) unless framing is set: the
--   replicas' bytes would interleave mid-line.
-- * cycles: a cycle of stages is allowed when every link on it is a pipe,
--   an mq, a sysvmq or a ring (the host creates them before any stage
--   starts and opening them never waits for the peer: a ring of pipes
--   between stdin and stdout works like the shell's). A cycle through a
--   fifo, unix or tcp link is an error: opening a FIFO blocks until its
--   peer opens it, and a socket needs its peer listening, so every stage
--   of the loop may wait for the one before it.
-- * readiness: a stage fed by a `ready` stage starts only when that stage
--   is ready, so a loop of links between `ready` stages (a -> b -> a,
--   each one ready) would never start: it is an error at the first of
--   its stages, field 'ready', naming the loop ("readiness cycle a -> b
--   -> a"). A ready stage linked to itself waits on no one.
--
-- The plan (what ipc.host.run and ipc.host.graph consume):
--   plan = { name =, path = config path, dir = its directory,
--     stages = { { name =, kind = "cmd"|"lua"|"python"|"native", argv = {...} (cmd),
--       script = path, args = {...} (lua/python),
--       native = {lib =, fn =, sig = canonical} (native: lib absolute when
--       it was a path), replicas =, env = {},
--       cwd =, restart =, kill_timeout =, backoff =, max_failures =,
--       failure_window =, ready = bool, ready_timeout =,
--       ports = {name = true, ...} (the linked ports),
--       line = N }, ... } sorted by name,
--     links = { { from = {stage=, port=}, to = {stage=, port=}, via =,
--       framing = "lines"|"raw"|"frames"|nil, capacity = bytes|nil,
--       max_messages =, max_message_size =, fanout = "broadcast"|nil,
--       id = i, name = "a.out-b.in", line = N }, ... } in config order }
local ipc = require "ipc"

local config = {}

local KINDS = {"cmd", "lua", "python", "native"}
local KIND_LIST = "cmd, lua, python, native"
local NATIVE_KEYS = {lib = true, fn = true, sig = true}
local NATIVE_SIG = "long(buf,buf)" -- the stage convention (docs/native.md)
local NATIVE_PORTS = {["in"] = "target", out = "source", stderr = "source"}
local VIAS = {pipe = true, fifo = true, mq = true, sysvmq = true, ring = true, unix = true, tcp = true}
local VIA_LIST = "pipe, fifo, mq, sysvmq, ring, unix, tcp"
local MESSAGE_VIA = {mq = true, sysvmq = true, ring = true}
local WAITING_VIA = {fifo = true, unix = true, tcp = true}
local CAPACITY_VIA = {pipe = true, fifo = true, ring = true}
local FRAMINGS = {lines = true, raw = true, frames = true}
local RESTARTS = {no = true, ["on-failure"] = true, always = true}
local RAW = {stdin = true, stdout = true, stderr = true}
local TOP_KEYS = {name = true, stages = true, links = true}
local STAGE_KEYS = {
  cmd = true, lua = true, python = true, native = true, args = true, replicas = true, env = true,
  cwd = true, restart = true, kill_timeout = true, backoff = true,
  max_failures = true, failure_window = true, ready = true, ready_timeout = true,
}
local LINK_KEYS = {
  [1] = true, [2] = true, via = true, framing = true, capacity = true,
  max_messages = true, max_message_size = true, fanout = true,
}
local MAX_REPLICAS = 1024
local DEFAULTS = {replicas = 1, restart = "no", kill_timeout = 5, backoff = 1,
                  max_failures = 5, failure_window = 10, ready = false, ready_timeout = 10}

config.DEFAULTS = DEFAULTS

-- ---------------------------------------------------------------- helpers

local function sorted_keys(t, cmp)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, cmp or function(a, b)
    if type(a) == type(b) and (type(a) == "string" or type(a) == "number") then return a < b end
    return type(a) < type(b)
  end)
  return keys
end

local function show(v)
  if type(v) == "string" then
    return (string.format("%q", v):gsub("\\\n", "\\n"))
  end
  return tostring(v)
end

local function is_list(t)
  if type(t) ~= "table" then return false end
  local n = #t
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
  end
  return true
end

local function as_integer(v)
  if math.type(v) == "integer" then return v end
  if math.type(v) == "float" and v == math.floor(v) and v >= math.mininteger
      and v <= math.maxinteger then
    return math.tointeger(v)
  end
  return nil
end

local function finite(v)
  return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge
end

--- Parse a size: an integer, or a string in ipc's size grammar (decimal
-- digits without leading zeros, then nothing or K, KiB, M, MiB, G, GiB),
-- which the core parses (ipc.parse_size) as it parses URL options.
-- @return bytes, or nil and why
function config.parse_size(v)
  if math.type(v) == "integer" then
    if v < 0 then return nil, "must not be negative" end
    return v
  end
  if type(v) == "number" then
    local i = as_integer(v)
    if i and i >= 0 then return i end
    return nil, "must be a non-negative integer"
  end
  if type(v) ~= "string" then return nil, "size expected, got " .. type(v) end
  local n, _, errno = ipc.parse_size(v)
  if n then return n end
  if errno == ipc.errno.ERANGE then return nil, "size does not fit 63 bits" end
  return nil, "not a size: decimal digits without leading zeros, then nothing or K, KiB, M, MiB, G, GiB"
end

local function dirname(path)
  local d = path:match("^(.*)/[^/]*$")
  if d == nil then return "." end
  if d == "" then return "/" end
  return d
end

local function join(dir, p)
  if p:sub(1, 1) == "/" then return p end
  if dir == "." then return p end
  if dir:sub(-1) == "/" then return dir .. p end
  return dir .. "/" .. p
end

-- The current directory: native.getcwd when the host has one, else the
-- shell's `pwd` (which checks $PWD against "." before trusting it), once.
local cwd_cache
local function getcwd()
  if cwd_cache == nil then
    local ok, native = pcall(require, "ipc.host.native")
    if ok and type(native) == "table" and type(native.getcwd) == "function" then
      cwd_cache = native.getcwd()
    end
    if type(cwd_cache) ~= "string" then
      local p = io.popen("pwd 2>/dev/null", "r")
      cwd_cache = p and p:read("l") or false
      if p then p:close() end
      if not cwd_cache or cwd_cache:sub(1, 1) ~= "/" then cwd_cache = false end
    end
  end
  return cwd_cache or nil
end

-- An absolute form of a path (unchanged when the current directory is
-- unknown); "." and "./" components are dropped.
local function absolute(p)
  if p:sub(1, 1) ~= "/" then
    local cwd = getcwd()
    if not cwd then return p end
    p = cwd .. "/" .. p
  end
  p = p:gsub("/%./", "/"):gsub("/%./", "/"):gsub("/%.$", ""):gsub("//+", "/")
  if p ~= "/" then p = p:gsub("/$", "") end
  return p
end

local function is_file(p)
  local f = io.open(p, "r")
  if not f then return false end
  local ok, _, code = f:read(0)
  f:close()
  -- reading a directory fails with EISDIR (21)
  return ok ~= nil or code ~= 21
end

local function is_dir(p)
  local f = io.open(p .. "/.", "r")
  if f then f:close() return true end
  return false
end

-- The signature check of the host (C: ipc_native_sig_parse and
-- ipc_native_stage_check), or nil outside it.
local function stage_signature_checker()
  local ok, native = pcall(require, "ipc.host.native")
  if ok and type(native) == "table" and type(native.stage_signature) == "function" then
    return native.stage_signature
  end
  return nil
end

-- A stage's `native` table checked into {lib =, fn =, sig =}, or nil
-- after reporting through serr(field, fmt, ...).
local function check_native(v, dir, serr)
  if type(v) ~= "table" then
    serr("native", "must be a table {lib = \"...\", fn = \"...\", sig = \"...\"} (got %s)", type(v))
    return nil
  end
  local good = true
  for _, k in ipairs(sorted_keys(v)) do
    if not NATIVE_KEYS[k] then
      serr("native", "unknown field %s (expected lib, fn, sig)", show(k))
      good = false
    end
  end
  local out = {}
  local lib = v.lib
  if type(lib) ~= "string" or lib == "" or lib:find("\0", 1, true) then
    serr("native", "lib must be a library: a path, or a name for dlopen such as \"libm.so.6\" (got %s)", show(lib))
    good = false
  elseif lib:find("/", 1, true) then
    local path = join(dir, lib)
    if not is_file(path) then
      serr("native", "lib %s not found (a path with '/' is relative to the config's directory %s; a bare name is searched by dlopen)",
           show(lib), show(dir))
      good = false
    else
      out.lib = absolute(path)
    end
  else
    out.lib = lib
  end
  local fn = v.fn
  if fn == nil then
    serr("native", "fn is required: the function's symbol")
    good = false
  elseif type(fn) ~= "string" or fn == "" or fn:find("[%z%s]") then
    serr("native", "fn must be a symbol name (got %s)", show(fn))
    good = false
  else
    out.fn = fn
  end
  local sig = v.sig
  if sig == nil then sig = NATIVE_SIG end
  if type(sig) ~= "string" then
    serr("native", "sig must be a signature string such as %q (got %s)", NATIVE_SIG, type(sig))
    good = false
  else
    local check = stage_signature_checker()
    if check then
      local canon, why = check(sig)
      if not canon then
        -- the parser's detail may name the signature again: once is enough
        why = tostring(why):gsub("^signature \".-\": ", "")
        serr("native", "sig %s: %s", show(sig), why)
        good = false
      else
        out.sig = canon
      end
    else
      out.sig = sig
    end
  end
  if good then return out end
  return nil
end

-- ---------------------------------------------------------- line finding

local Lines = {}
Lines.__index = Lines

local function new_lines(text)
  local self = setmetatable({text = text, starts = {1}}, Lines)
  if text then
    for pos in text:gmatch("\n()") do self.starts[#self.starts + 1] = pos end
  end
  return self
end

function Lines:line_of(pos)
  if not pos then return nil end
  local lo, hi = 1, #self.starts
  while lo < hi do
    local mid = (lo + hi + 1) // 2
    if self.starts[mid] <= pos then lo = mid else hi = mid - 1 end
  end
  return lo
end

local function escape_pattern(s)
  return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0"))
end

-- The position of a key definition `key =` (not `==`) or `["key"] =` in
-- text[from, to), preferring one at the start of a line.
function Lines:find_key(key, from, to)
  local text = self.text
  if not text or type(key) ~= "string" or key == "" then return nil end
  from = from or 1
  to = to or #text + 1
  local first
  local pos = from
  while true do
    local a, b = text:find(key, pos, true)
    if not a or a >= to then break end
    local before = a > 1 and text:sub(a - 1, a - 1) or ""
    local rest = text:match("^%s*=(.?)", b + 1)
    local bracket = before:match("[\"']") and text:sub(1, a - 1):match("%[%s*[\"']$")
        and text:match("^[\"']%s*%]%s*=(.?)", b + 1)
    if bracket and bracket ~= "=" then
      rest = bracket
    elseif before:match("[%w_\"'%.]") then
      rest = nil
    end
    if rest and rest ~= "=" then
      local bol = text:sub(1, a - 1):match("\n[ \t]*%[?%s*[\"']?$") or (a <= 3 and text:sub(1, a - 1):match("^[ \t]*%[?%s*[\"']?$"))
      if bol then return a end
      first = first or a
    end
    pos = a + 1
  end
  return first
end

-- The position just after the first quoted occurrence of s in text[from, ...).
function Lines:find_quoted(s, from)
  local text = self.text
  if not text or type(s) ~= "string" then return nil end
  for _, q in ipairs({'"', "'"}) do
    local a, b = text:find(q .. s .. q, from, true)
    if a then return a, b end
  end
  return nil
end

-- ------------------------------------------------------------- validation

--- Validate a config table into a plan.
-- @param tbl   what the config returned
-- @param path  the config's path (for messages and relative paths;
--              default "config" in the current directory)
-- @param text  the config's text (a string or a list of lines), to find
--              lines; read from path when nil and path is readable
-- @return plan, or nil and a list of error strings
function config.validate(tbl, path, text)
  path = path or "config"
  if type(text) == "table" then text = table.concat(text, "\n") .. "\n" end
  if text == nil and path ~= "config" then
    local f = io.open(path, "r")
    if f then text = f:read("a") f:close() end
  end
  local L = new_lines(text)
  local dir = dirname(path)
  local errors = {}

  local function err(line, fmt, ...)
    local msg = string.format(fmt, ...)
    if line then
      errors[#errors + 1] = string.format("%s:%d: %s", path, line, msg)
    else
      errors[#errors + 1] = string.format("%s: %s", path, msg)
    end
  end

  if type(tbl) ~= "table" then
    err(nil, "the config must return a table (got %s)", type(tbl))
    return nil, errors
  end

  -- top level
  local top_line = {}
  for _, k in ipairs({"name", "stages", "links"}) do
    top_line[k] = L:line_of(L:find_key(k))
  end
  for _, k in ipairs(sorted_keys(tbl)) do
    if not TOP_KEYS[k] then
      err(L:line_of(L:find_key(tostring(k))), "top-level key %s: unknown (expected name, stages, links)", show(k))
    end
  end
  local name = tbl.name
  if name == nil then
    name = (path:match("([^/]*)$"):gsub("%.lua$", ""))
    if not name:match("^[%w_.%-]+$") or #name > 64 then name = "pipeline" end
  elseif type(name) ~= "string" or not name:match("^[%w_.%-]+$") or #name > 64 then
    err(top_line.name, "field 'name': must be a string of 1 to 64 letters, digits, '_', '.' or '-' (got %s)", show(name))
  end

  local stages_pos = L:find_key("stages")
  local links_pos = L:find_key("links")
  local stages_t = tbl.stages
  if type(stages_t) ~= "table" then
    err(top_line.stages, "field 'stages': must be a table of stages keyed by name (got %s)", type(stages_t))
    stages_t = {}
  elseif next(stages_t) == nil then
    err(top_line.stages, "field 'stages': no stage")
  end

  -- positions of the stage keys, and each stage's region up to the next one
  local spos = {}
  for k in pairs(stages_t) do
    if type(k) == "string" then spos[k] = L:find_key(k, stages_pos or 1) end
  end
  local bounds = {}
  for _, p in pairs(spos) do bounds[#bounds + 1] = p end
  if links_pos then bounds[#bounds + 1] = links_pos end
  table.sort(bounds)
  local function region_end(p)
    for _, b in ipairs(bounds) do if b > p then return b end end
    return nil
  end
  local function field_line(stage, field)
    local p = spos[stage]
    if not p then return top_line.stages end
    local f = L:find_key(field, p + #stage, region_end(p))
    return L:line_of(f or p)
  end

  local stages = {}
  local by_name = {}
  for _, sname in ipairs(sorted_keys(stages_t)) do
    local s = stages_t[sname]
    local sline = spos[sname] and L:line_of(spos[sname]) or top_line.stages
    local ok_name = type(sname) == "string" and sname:match("^[%a_][%w_%-]*$") and #sname <= 32
    local label = string.format("stage %s", show(sname))
    local function serr(field, fmt, ...)
      local line = field and field_line(sname, field) or sline
      local where = field and string.format("%s: field '%s': ", label, field) or label .. ": "
      -- where holds names from the config: never part of a format
      err(line, "%s", where .. string.format(fmt, ...))
    end
    if not ok_name then
      serr(nil, "bad stage name: 1 to 32 letters, digits, '_' or '-', not starting with a digit or '-'")
    end
    if type(s) ~= "table" then
      serr(nil, "must be a table (got %s)", type(s))
    else
      local st = {name = tostring(sname), line = sline, ports = {}}
      for _, k in ipairs(sorted_keys(s)) do
        if not STAGE_KEYS[k] then
          err(L:line_of(spos[sname] and L:find_key(tostring(k), spos[sname] + #sname,
              region_end(spos[sname]))) or sline,
              "%s: field %s: unknown (expected one of cmd, lua, python, native, args, replicas, env, cwd, restart, kill_timeout, backoff, max_failures, failure_window, ready, ready_timeout)",
              label, show(k))
        end
      end
      local kinds = {}
      for _, k in ipairs(KINDS) do if s[k] ~= nil then kinds[#kinds + 1] = k end end
      if #kinds == 0 then
        serr(nil, "needs one of %s", KIND_LIST)
      elseif #kinds > 1 then
        serr(kinds[2], "only one of %s (got %s)", KIND_LIST, table.concat(kinds, " and "))
      else
        local kind = kinds[1]
        st.kind = kind
        local v = s[kind]
        if kind == "cmd" then
          if type(v) == "string" then
            if v:match("^%s*$") then serr("cmd", "empty shell command")
            else st.argv = {"/bin/sh", "-c", v} end
          elseif type(v) == "table" then
            if not is_list(v) or #v == 0 then
              serr("cmd", "must be a non-empty list of strings (argv) or a shell string")
            else
              local argv, good = {}, true
              for i, a in ipairs(v) do
                if type(a) ~= "string" then
                  serr("cmd", "argument %d must be a string (got %s)", i, type(a))
                  good = false
                elseif a:find("\0", 1, true) then
                  serr("cmd", "argument %d contains a NUL byte", i)
                  good = false
                end
                argv[i] = a
              end
              if good and argv[1] == "" then serr("cmd", "the program name is empty") good = false end
              if good then st.argv = argv end
            end
          else
            serr("cmd", "must be a list of strings (argv) or a shell string (got %s)", type(v))
          end
          if s.args ~= nil then serr("args", "only for lua and python stages (put arguments in cmd)") end
        elseif kind == "native" then
          st.native = check_native(v, dir, serr)
          if s.args ~= nil then serr("args", "only for lua and python stages (a native function gets the message)") end
        else
          if type(v) ~= "string" or v == "" then
            serr(kind, "must be the path of a script (got %s)", show(v))
          else
            local script = join(dir, v)
            if not is_file(script) then
              serr(kind, "script %s not found (paths are relative to the config's directory %s)", show(v), show(dir))
            else
              st.script = absolute(script)
            end
          end
          st.args = {}
          if s.args ~= nil then
            if not is_list(s.args) then
              serr("args", "must be a list of strings (got %s)", type(s.args))
            else
              for i, a in ipairs(s.args) do
                if type(a) ~= "string" then
                  serr("args", "argument %d must be a string (got %s)", i, type(a))
                else
                  st.args[i] = a
                end
              end
            end
          end
        end
      end

      local r = s.replicas
      if r == nil then st.replicas = DEFAULTS.replicas
      else
        local i = as_integer(r)
        if not i or i < 1 or i > MAX_REPLICAS then
          serr("replicas", "must be an integer from 1 to %d (got %s)", MAX_REPLICAS, show(r))
        else
          st.replicas = i
        end
      end

      st.env = {}
      if s.env ~= nil then
        if type(s.env) ~= "table" then
          serr("env", "must be a table of NAME = \"value\" (got %s)", type(s.env))
        else
          for _, k in ipairs(sorted_keys(s.env)) do
            local v = s.env[k]
            if type(k) ~= "string" or not k:match("^[%a_][%w_]*$") then
              serr("env", "bad variable name %s", show(k))
            elseif k == "IPC_ENDPOINTS" then
              serr("env", "IPC_ENDPOINTS is set by the host from the links")
            elseif type(v) ~= "string" then
              serr("env", "%s must be a string (got %s)", k, type(v))
            elseif v:find("\0", 1, true) then
              serr("env", "%s contains a NUL byte", k)
            else
              st.env[k] = v
            end
          end
        end
      end

      if s.cwd == nil then
        st.cwd = absolute(dir)
      elseif type(s.cwd) ~= "string" or s.cwd == "" then
        serr("cwd", "must be a directory path (got %s)", show(s.cwd))
      else
        local c = join(dir, s.cwd)
        if not is_dir(c) then
          serr("cwd", "no such directory %s (relative to the config's directory %s)", show(s.cwd), show(dir))
        else
          st.cwd = absolute(c)
        end
      end

      if s.restart == nil then st.restart = DEFAULTS.restart
      elseif not RESTARTS[s.restart] then
        serr("restart", "must be \"no\", \"on-failure\" or \"always\" (got %s)", show(s.restart))
      else
        st.restart = s.restart
      end

      local function seconds(field, positive)
        local v = s[field]
        if v == nil then st[field] = DEFAULTS[field] return end
        if not finite(v) or v < 0 or (positive and v == 0) then
          serr(field, "must be a number of seconds %s (got %s)", positive and "> 0" or ">= 0", show(v))
        else
          st[field] = v
        end
      end
      seconds("kill_timeout", false)
      seconds("backoff", true)
      seconds("failure_window", true)
      if s.max_failures == nil then st.max_failures = DEFAULTS.max_failures
      else
        local i = as_integer(s.max_failures)
        if not i or i < 0 then
          serr("max_failures", "must be an integer >= 0, 0 for never give up (got %s)", show(s.max_failures))
        else
          st.max_failures = i
        end
      end

      if s.ready == nil then st.ready = DEFAULTS.ready
      elseif type(s.ready) ~= "boolean" then
        serr("ready", "must be true or false (got %s)", show(s.ready))
      else
        st.ready = s.ready
      end
      seconds("ready_timeout", true)
      if s.ready_timeout ~= nil and s.ready ~= true then
        serr("ready_timeout", "means nothing without ready = true")
      end

      if ok_name then
        stages[#stages + 1] = st
        by_name[sname] = st
      end
    end
  end

  -- links
  local links_t = tbl.links
  if links_t == nil then links_t = {}
  elseif not is_list(links_t) then
    err(top_line.links, "field 'links': must be a list of links (got %s)", type(links_t) == "table" and "a table with non-list keys" or type(links_t))
    links_t = {}
  end

  local links = {}
  local lpos = {}
  local cursor = links_pos or 1
  for i, l in ipairs(links_t) do
    if type(l) == "table" and type(l[1]) == "string" then
      local a, b = L:find_quoted(l[1], cursor)
      if a then lpos[i] = a cursor = b + 1 end
    end
  end
  local function link_line(i, field)
    local p = lpos[i]
    if not p then return top_line.links end
    if field then
      local nxt
      for j = i + 1, #links_t do if lpos[j] then nxt = lpos[j] break end end
      local f = L:find_key(field, p, nxt)
      if f then return L:line_of(f) end
    end
    return L:line_of(p)
  end

  local function parse_end(i, v, which)
    if type(v) ~= "string" then return nil, string.format("%s must be a string \"stage.port\" (got %s)", which, type(v)) end
    local s, p = v:match("^([^.]*)%.(.*)$")
    if not s then return nil, string.format("%s %s: expected \"stage.port\"", which, show(v)) end
    if not by_name[s] then
      if stages_t[s] ~= nil then return nil end -- the stage itself is wrong: reported already
      return nil, string.format("%s %s: unknown stage %s", which, show(v), show(s))
    end
    if not p:match("^[%w_.%-]+$") or #p > 32 then
      return nil, string.format("%s %s: bad port name %s (1 to 32 letters, digits, '_', '.' or '-')", which, show(v), show(p))
    end
    return {stage = s, port = p}
  end

  for i, l in ipairs(links_t) do
    local line = link_line(i)
    local label
    if type(l) == "table" then
      label = string.format("link %d (%s -> %s)", i, tostring(l[1]), tostring(l[2]))
    else
      label = string.format("link %d", i)
    end
    local function lerr(field, fmt, ...)
      local where = field and string.format("%s: field '%s': ", label, field) or label .. ": "
      err(link_line(i, field), "%s", where .. string.format(fmt, ...))
    end
    if type(l) ~= "table" then
      lerr(nil, "must be a table {\"stage.port\", \"stage.port\", via = ...} (got %s)", type(l))
    else
      local good = true
      for _, k in ipairs(sorted_keys(l)) do
        if not LINK_KEYS[k] then
          lerr(nil, "unknown field %s (expected via, framing, capacity, max_messages, max_message_size, fanout)", show(k))
          good = false
        end
      end
      local from, e1 = parse_end(i, l[1], "source")
      local to, e2 = parse_end(i, l[2], "target")
      if e1 then lerr(nil, "%s", e1) end
      if e2 then lerr(nil, "%s", e2) end
      if not from or not to then good = false end
      if from and from.port == "stdin" then
        lerr(nil, "%s.stdin cannot be a source (stdin is only a target)", from.stage) good = false
      end
      if to and (to.port == "stdout" or to.port == "stderr") then
        lerr(nil, "%s.%s cannot be a target (stdout and stderr are only sources)", to.stage, to.port) good = false
      end
      -- a native stage's worker opens "in" and "out" only (stderr is
      -- its own process's, as for any stage)
      for _, e in ipairs({{from, "source"}, {to, "target"}}) do
        local p = e[1]
        if p and by_name[p.stage].kind == "native" and NATIVE_PORTS[p.port] ~= e[2] then
          lerr(nil, "%s.%s: a native stage's ports are in (a target), out and stderr (sources)%s",
               p.stage, p.port, NATIVE_PORTS[p.port] and string.format(", not a %s", e[2]) or "")
          good = false
        end
      end
      local link = {from = from, to = to, id = i, line = line}
      local via = l.via
      if via == nil then link.via = "pipe"
      elseif not VIAS[via] then
        lerr("via", "must be one of %s (got %s)", VIA_LIST, show(via)) good = false
      else
        link.via = via
      end
      if l.framing ~= nil and not FRAMINGS[l.framing] then
        lerr("framing", "must be \"lines\", \"raw\" or \"frames\" (got %s)", show(l.framing)) good = false
      else
        link.framing = l.framing
      end
      if from and to and link.via then
        local raw_from, raw_to = RAW[from.port], RAW[to.port]
        local needs = (raw_from ~= raw_to) or (raw_from and raw_to and MESSAGE_VIA[link.via])
        if needs and l.framing == nil then
          if raw_from and raw_to then
            lerr("framing", "required: two raw ports over %s, a message via (set framing = \"lines\", \"raw\" or \"frames\")", link.via)
          else
            lerr("framing", "required: raw port %s meets message endpoint %s (set framing = \"lines\", \"raw\" or \"frames\")",
                 raw_from and (from.stage .. "." .. from.port) or (to.stage .. "." .. to.port),
                 raw_from and (to.stage .. "." .. to.port) or (from.stage .. "." .. from.port))
          end
          good = false
        elseif not needs and l.framing ~= nil then
          if raw_from then
            lerr("framing", "means nothing between two raw ports over %s (bytes flow as they are)", link.via)
          else
            lerr("framing", "means nothing between two message endpoints (framing applies where a raw port meets a message endpoint)")
          end
          good = false
        end
        -- replicas on a raw port over a byte stream
        if not link.framing and not MESSAGE_VIA[link.via] then
          for _, e in ipairs({from, to}) do
            local st = by_name[e.stage]
            if RAW[e.port] and st.replicas and st.replicas > 1 then
              lerr(nil, "stage %s has replicas = %d: its %s cannot share a %s (the replicas' bytes would interleave; set framing on a message via)",
                   show(e.stage), st.replicas, e.port, link.via)
              good = false
            end
          end
        end
      end
      if l.capacity ~= nil then
        local n, why = config.parse_size(l.capacity)
        if not n then
          lerr("capacity", "%s (got %s)", why, show(l.capacity)) good = false
        elseif link.via and not CAPACITY_VIA[link.via] then
          lerr("capacity", "does not apply to %s (only pipe, fifo, ring)", link.via) good = false
        else
          link.capacity = n
        end
      end
      if l.max_messages ~= nil then
        local n = as_integer(l.max_messages)
        if not n or n < 1 then
          lerr("max_messages", "must be an integer >= 1 (got %s)", show(l.max_messages)) good = false
        elseif link.via and link.via ~= "mq" then
          lerr("max_messages", "applies to mq only (got via = %s)", link.via) good = false
        else
          link.max_messages = n
        end
      end
      if l.max_message_size ~= nil then
        local n, why = config.parse_size(l.max_message_size)
        if n == 0 then n, why = nil, "must be at least 1" end
        if not n then
          lerr("max_message_size", "%s (got %s)", why, show(l.max_message_size)) good = false
        elseif from and to and RAW[from.port] and RAW[to.port] and link.via and not MESSAGE_VIA[link.via] then
          lerr("max_message_size", "means nothing between two raw ports over %s", link.via) good = false
        else
          link.max_message_size = n
        end
      end
      if l.fanout ~= nil and l.fanout ~= "broadcast" then
        lerr("fanout", "must be \"broadcast\" (got %s)", show(l.fanout)) good = false
      else
        link.fanout = l.fanout
      end
      if from and to then
        link.name = string.format("%s.%s-%s.%s", from.stage, from.port, to.stage, to.port)
      end
      if good then links[#links + 1] = link end
    end
  end

  -- sharing of ports, over the links that are well formed on their own
  local sources, targets, seen = {}, {}, {}
  for _, link in ipairs(links) do
    local fk = link.from.stage .. "." .. link.from.port
    local tk = link.to.stage .. "." .. link.to.port
    sources[fk] = sources[fk] or {}
    table.insert(sources[fk], link)
    targets[tk] = targets[tk] or {}
    table.insert(targets[tk], link)
    if seen[link.name] then
      err(link.line, "link %d (%s -> %s): the same ends as link %d", link.id, fk, tk, seen[link.name])
    else
      seen[link.name] = link.id
    end
  end
  for _, fk in ipairs(sorted_keys(sources)) do
    local list = sources[fk]
    if targets[fk] then
      err(list[1].line, "link %d: port %s is both a source (link %d) and a target (link %d)",
          list[1].id, fk, list[1].id, targets[fk][1].id)
    end
    if #list > 1 then
      -- Several links out of one port: every message goes to one of them
      -- (round robin) or, with fanout = "broadcast" on each, to all.
      local bc = list[1].fanout == "broadcast"
      for _, link in ipairs(list) do
        if (link.fanout == "broadcast") ~= bc then
          err(link_line(link.id, "fanout"), "link %d (%s -> %s.%s): field 'fanout': %s feeds %d links: set fanout = \"broadcast\" on all of them or on none",
              link.id, fk, link.to.stage, link.to.port, fk, #list)
        end
      end
    elseif list[1].fanout == "broadcast" then
      local link = list[1]
      err(link_line(link.id, "fanout"), "link %d (%s -> %s.%s): field 'fanout': \"broadcast\" needs several targets (several links from %s)",
          link.id, fk, link.to.stage, link.to.port, fk)
    end
  end
  for _, tk in ipairs(sorted_keys(targets)) do
    local list = targets[tk]
    if #list > 1 and RAW[list[1].to.port] then
      err(list[2].line, "link %d (%s.%s -> %s): %s is already the target of link %d: a raw port takes one link (merge into a message port instead)",
          list[2].id, list[2].from.stage, list[2].from.port, tk, tk, list[1].id)
    end
  end

  -- cycles: a link u -> v is on a cycle when u is reachable from v; one
  -- that waits for its peer (fifo, unix, tcp) there is an error
  local out = {}
  for _, link in ipairs(links) do
    out[link.from.stage] = out[link.from.stage] or {}
    table.insert(out[link.from.stage], link)
  end
  local function path_back(v, u)
    -- breadth-first from v to u; returns the stage names or nil
    local prev, queue, head = {[v] = false}, {v}, 1
    while head <= #queue do
      local s = queue[head]
      head = head + 1
      if s == u then
        local names = {}
        while s do table.insert(names, 1, s) s = prev[s] end
        return names
      end
      for _, link in ipairs(out[s] or {}) do
        local t = link.to.stage
        if prev[t] == nil then prev[t] = s queue[#queue + 1] = t end
      end
    end
    return nil
  end
  for _, link in ipairs(links) do
    if WAITING_VIA[link.via] then
      local names = path_back(link.to.stage, link.from.stage)
      if names then
        table.insert(names, 1, link.from.stage)
        err(link_line(link.id, "via"), "link %d (%s.%s -> %s.%s): field 'via': %s in a cycle (%s): opening a fifo or socket waits for its peer, so the loop can deadlock; use pipe, mq, sysvmq or ring",
            link.id, link.from.stage, link.from.port, link.to.stage, link.to.port, link.via,
            table.concat(names, " -> "))
      end
    end
  end

  -- readiness: a stage fed by a `ready` stage starts only once that stage
  -- is ready (run.lua), so `ready` stages feeding each other in a loop
  -- would each wait for the other forever. Every stage on such a loop is
  -- `ready` (a stage waits only on ready producers); each loop is reported
  -- once, at the first of its stages by name.
  local waits = {}
  for _, link in ipairs(links) do
    local u, v = link.from.stage, link.to.stage
    if u ~= v and by_name[u].ready and by_name[v].ready then
      waits[u] = waits[u] or {}
      waits[u][v] = true
    end
  end
  local reported = {}
  for _, st in ipairs(stages) do
    local u = st.name
    if waits[u] and not reported[u] then
      -- breadth-first from u's successors back to u
      local prev, queue, head, found = {}, {}, 1, false
      for _, v in ipairs(sorted_keys(waits[u])) do
        if prev[v] == nil then prev[v] = u queue[#queue + 1] = v end
      end
      while head <= #queue and not found do
        local s = queue[head]
        head = head + 1
        if s == u then found = true break end
        for _, t in ipairs(sorted_keys(waits[s] or {})) do
          if prev[t] == nil then prev[t] = s queue[#queue + 1] = t end
        end
      end
      if found or prev[u] ~= nil then
        local loop, s = {u}, prev[u]
        while s ~= u do table.insert(loop, 1, s) s = prev[s] end
        table.insert(loop, 1, u)
        for _, n in ipairs(loop) do reported[n] = true end
        err(field_line(u, "ready"), "stage %s: field 'ready': readiness cycle %s: each of these ready stages starts only after the one before it is ready, so none would ever start; set ready = false on one of them",
            show(u), table.concat(loop, " -> "))
      end
    end
  end

  -- a native stage's worker reads "in": without a link it has no input
  -- (any link that names it, well formed or not: a bad one has its own error)
  local named_in = {}
  for _, l in ipairs(links_t) do
    if type(l) == "table" and type(l[2]) == "string" then named_in[l[2]] = true end
  end
  for _, st in ipairs(stages) do
    if st.kind == "native" and not named_in[st.name .. ".in"] then
      err(st.line, "stage %s: a native stage needs a link into %s.in (its input messages)", show(st.name), st.name)
    end
  end

  if #errors > 0 then return nil, errors end

  for _, link in ipairs(links) do
    by_name[link.from.stage].ports[link.from.port] = true
    by_name[link.to.stage].ports[link.to.port] = true
  end
  return {name = name, path = path, dir = absolute(dir), stages = stages, links = links}
end

--- Load the config at path with the host's sandboxed loader, and validate it.
-- @return plan, or nil and a list of error strings
function config.load(path)
  local ok, native = pcall(require, "ipc.host.native")
  if not ok or type(native) ~= "table" or type(native.load_config) ~= "function" then
    return nil, {path .. ": the config loader (ipc.host.native) is only in the ipc host: run this through `ipc`"}
  end
  local tbl, msg = native.load_config(path)
  if tbl == nil then
    return nil, {tostring(msg or (path .. ": cannot load the config"))}
  end
  local text
  local f = io.open(path, "r")
  if f then text = f:read("a") f:close() end
  return config.validate(tbl, path, text)
end

return config
