-- spec/helper.lua: what every spec shares (STYLE.md 2.10).
--   H.name(tag)      a unique POSIX name "/ipc-test-<pid>-<n>-<tag>",
--                    unlinked after the spec (H.cleanup) even on failure
--   H.path(tag)      a unique path in a private temporary directory
--   H.key()          a unique System V key, removed after the spec
--   H.defer(fn)      run fn at cleanup (LIFO)
--   H.cleanup()      call from after_each: runs the deferred actions
--   H.run(argv, opts) run a child process (lua5.4 or python3 with the
--                    module on its path) and return ok, output
--   H.lua, H.python  the interpreters ctest chose
--   H.fds()          the sorted list of our open descriptors (leak checks)
local ipc = require "ipc"

local H = {}

H.lua = os.getenv("IPC_TEST_LUA") or "lua5.4"
H.python = os.getenv("IPC_TEST_PYTHON") or "/usr/bin/python3"
H.build = os.getenv("IPC_BUILD_DIR") or "build"
H.source = os.getenv("IPC_SOURCE_DIR") or "."

-- Under valgrind (valgrind.lua sets IPC_UNDER_VALGRIND) a few things of
-- the machine are missing: valgrind 3.19 has no pidfd_open (a process has
-- no pollable descriptor) and its vfork emulation does not report exec
-- failures. Specs that need them use "H.valgrind and pending or it".
H.valgrind = os.getenv("IPC_UNDER_VALGRIND") ~= nil

local counter = 0
local deferred = {}
local tmpdir

local function next_id()
  counter = counter + 1
  return string.format("%d-%d", ipc.getpid(), counter)
end

function H.defer(fn)
  deferred[#deferred + 1] = fn
end

function H.cleanup()
  for i = #deferred, 1, -1 do
    pcall(deferred[i])
    deferred[i] = nil
  end
end

-- A unique POSIX name; kind says which unlink to run afterwards
-- ("mq", "shm", "sem", "mutex", "ring"; default: all of them).
function H.name(tag, kind)
  local name = "/ipc-test-" .. next_id() .. "-" .. (tag or "x")
  H.defer(function()
    for _, k in ipairs(kind and {kind} or {"mq", "shm", "sem", "mutex", "ring"}) do
      ipc.unlink(k .. ":" .. name)
    end
  end)
  return name
end

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
H.quote = shell_quote

function H.tmpdir()
  if not tmpdir then
    -- busted reloads this helper for each spec file of one run (the
    -- counter starts again): take the next name that is free.
    for _ = 1, 100 do
      tmpdir = (os.getenv("TMPDIR") or "/tmp") .. "/ipc-test-" .. next_id() .. "-lua"
      if os.execute("mkdir -m 700 " .. shell_quote(tmpdir) .. " 2>/dev/null") then break end
      tmpdir = nil
    end
    assert(tmpdir, "no temporary directory")
    -- removed when the spec file's Lua state closes
    setmetatable(H, {__gc = function() os.execute("rm -rf " .. shell_quote(tmpdir)) end})
  end
  return tmpdir
end

function H.path(tag)
  local p = H.tmpdir() .. "/" .. next_id() .. "-" .. (tag or "x")
  H.defer(function() os.remove(p) end)
  return p
end

-- A System V key derived from our pid and a counter; every kind of System
-- V object with that key is removed at cleanup.
function H.key()
  counter = counter + 1
  local key = 0x49000000 | ((ipc.getpid() & 0xffff) << 8) | (counter & 0xff)
  H.defer(function()
    ipc.unlink("sysvmq:" .. key)
    ipc.unlink("sysvshm:" .. key)
    ipc.unlink("semset:" .. key)
  end)
  return key
end

-- The environment a child interpreter needs to find the module.
function H.child_env()
  local cpath = H.build .. "/lua/?.so;" .. (os.getenv("LUA_CPATH") or ";;")
  local lpath = H.source .. "/lua/?.lua;" .. H.source .. "/spec/?.lua;"
      .. (os.getenv("LUA_PATH") or ";;")
  local pypath = H.build .. "/python"
  if os.getenv("PYTHONPATH") then pypath = pypath .. ":" .. os.getenv("PYTHONPATH") end
  return "LUA_CPATH=" .. shell_quote(cpath) .. " LUA_PATH=" .. shell_quote(lpath)
      .. " PYTHONPATH=" .. shell_quote(pypath)
end

-- Run argv (a list) through the shell with the module's paths set;
-- returns ok, combined stdout and stderr.
function H.run(argv)
  local words = {}
  for i, a in ipairs(argv) do words[i] = shell_quote(a) end
  local cmd = "env " .. H.child_env() .. " " .. table.concat(words, " ") .. " 2>&1"
  local f = assert(io.popen(cmd))
  local out = f:read("a")
  local ok = f:close()
  return ok, out
end

-- A Lua child running the code in src (a string), with arg = {...}:
-- the code goes to a script file, since "lua5.4 -e src x" would run x.
function H.run_lua(src, ...)
  local script = H.path("child.lua")
  local f = assert(io.open(script, "w"))
  f:write(src)
  f:close()
  return H.run({H.lua, script, ...})
end

-- A Python child running the code in src (a string), with sys.argv[1:].
function H.run_python(src, ...)
  return H.run({H.python, "-c", src, ...})
end

-- Our open descriptors, read in-process (lfs ships with busted): a child
-- "ls" would race with popen's own pipe ends.
function H.fds()
  local lfs = require "lfs"
  local seen, list = {}, {}
  for e in lfs.dir("/proc/self/fd") do
    if tonumber(e) then seen[#seen + 1] = e end
  end
  -- the directory stream's own descriptor is closed once the loop ends
  for _, e in ipairs(seen) do
    if lfs.symlinkattributes("/proc/self/fd/" .. e) then list[#list + 1] = tonumber(e) end
  end
  table.sort(list)
  return list
end

-- The contents of the file at @path, or nil when it cannot be read.
function H.slurp(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- Write @s to the file at @path (raising on failure); returns @path.
function H.write(path, s)
  local f = assert(io.open(path, "w"))
  f:write(s)
  f:close()
  return path
end

-- Everything a raw channel (a child's stdout pipe) gives until its end
-- (each read waits up to 60 s).
function H.read_all(ch)
  local parts = {}
  while true do
    local s = ch:read(65536, 60)
    if s == nil or s == "" then break end
    parts[#parts + 1] = s
  end
  return table.concat(parts)
end

-- A fresh directory for the test, removed after it.
function H.mkdir(tag)
  local d = H.path(tag or "d")
  os.execute("mkdir " .. H.quote(d))
  H.defer(function() os.execute("rm -rf " .. H.quote(d)) end)
  return d
end

-- Start the program bin with args and environment env; stdin is
-- /dev/null, stdout and stderr are pipes, and it dies with us.
function H.spawn_bin(bin, args, env)
  local argv = {bin}
  for i, a in ipairs(args) do argv[i + 1] = a end
  return assert(ipc.spawn(argv, {stdin = "null", stdout = "pipe", stderr = "pipe",
                                 env = env, pdeathsig = true}))
end

-- Run bin to its end (H.spawn_bin); returns its exit code (waiting up to
-- 60 s), stdout, stderr and its pid.
function H.run_bin(bin, args, env)
  local p <close> = H.spawn_bin(bin, args, env)
  local pid = p:pid()
  local out = H.read_all(p.stdout)
  local err = H.read_all(p.stderr)
  return p:wait(60), out, err, pid
end

-- This process's environment as a table (what a child would inherit).
function H.environ()
  local e = {}
  for entry in (H.slurp("/proc/self/environ") or ""):gmatch("[^%z]+") do
    local k, v = entry:match("^([^=]+)=(.*)$")
    if k then e[k] = v end
  end
  return e
end

-- Start a server script (lang "lua" or "python", source src) in the
-- background with the given arguments; it prints "ready <pid> <url>" once
-- it serves. Returns {pid, url, stop = fn(sig) -> exit code (negative:
-- the signal that killed it), output}; one still running when the test
-- ends is killed.
function H.start_server(lang, src, ...)
  local script = H.path(lang == "python" and "server.py" or "server.lua")
  H.write(script, src)
  local interp = lang == "python" and H.python or H.lua
  local cmd = {"exec env", H.child_env(), H.quote(interp), H.quote(script)}
  for _, a in ipairs({...}) do cmd[#cmd + 1] = H.quote(tostring(a)) end
  local p = assert(io.popen(table.concat(cmd, " ") .. " 2>&1", "r"))
  local line = p:read("l") or ""
  local pid, real = line:match("^ready (%d+) (.*)$")
  if not pid then
    local rest = p:read("a")
    p:close()
    error(lang .. " server did not start: " .. line .. "\n" .. (rest or ""))
  end
  local srv = {pid = math.tointeger(tonumber(pid)), url = real}
  local done = false
  function srv.stop(sig)
    if done then return end
    done = true
    if sig then assert(ipc.send_signal(srv.pid, sig)) end
    local out = p:read("a")
    local _, how, code = p:close()
    return how == "exit" and code or -code, out
  end
  H.defer(function()
    if not done then
      ipc.send_signal(srv.pid, "KILL")
      srv.stop()
    end
  end)
  return srv
end

-- Every object an ipc host with this pid may have made and left, read
-- from the machine itself (/dev/shm, /dev/mqueue, /proc/sysvipc, its
-- directory), not through the host's own listing: the host specs' leak
-- check.
function H.host_leftovers(pid)
  local names = require "ipc.host.names"
  local found = {}
  for _, dir in ipairs({"/dev/shm", "/dev/mqueue"}) do
    local p = io.popen("ls -A " .. dir .. " 2>/dev/null")
    for n in p:lines() do
      if n:find("ipc-host-" .. pid .. "-", 1, true) then found[#found + 1] = dir .. "/" .. n end
    end
    p:close()
  end
  for _, kind in ipairs({"msg", "shm", "sem"}) do
    local f = io.open("/proc/sysvipc/" .. kind)
    if f then
      f:read("l")
      for line in f:lines() do
        local key = math.tointeger(tonumber(line:match("^%s*(%-?%d+)"))) & 0xffffffff
        for i = 0, names.SYSV_MAX_INDEX do
          if key == names.sysv_key(pid, i) then found[#found + 1] = kind .. " " .. key end
        end
      end
      f:close()
    end
  end
  local d = io.open(names.dir(pid))
  if d then
    d:close()
    found[#found + 1] = names.dir(pid)
  end
  return found
end

return H
