-- ipc.host.names: how a host names what it makes, and `ipc ls` / `ipc gc`.
--
-- Every object a host (pid P) makes carries P, so that a later `ipc gc`
-- can tell a dead host's leftovers from a live host's objects:
--
--   POSIX objects (mq, ring; and shm, sem for later kinds)
--       "/ipc-host-P-I"            I = the link's index in plan.links
--   FIFOs and Unix sockets, in the host's own directory (created 0700)
--       $TMPDIR/ipc-host-P/I.fifo, $TMPDIR/ipc-host-P/I.sock (I.from.sock,
--       I.to.sock when the host relays)
--   System V keys
--       0x60000000 | (P << 6) | I   for I in 0 .. 63 (so at most 64 System V
--       links per host; pids up to 2^22, the kernel's pid_max ceiling).
--       The range 0x60000000 .. 0x6fffffff is ftok's for projection ids
--       0x60 .. 0x6f ('`' .. 'o'), so a key alone does not prove the
--       object is ours: before creating one the host writes its key to
--       $TMPDIR/ipc-host-P/sysv (one "kind key" line each), and ls/gc treat
--       a System V object as a host's only when that manifest lists it.
--
-- Liveness. A pid alone does not prove a host alive: the kernel reuses
-- pids, and a dead host's pid may now be any other process. So before it
-- creates any object a host writes its process start time (field 22 of
-- /proc/P/stat, clock ticks since boot) to $TMPDIR/ipc-host-P/start ("P
-- TICKS", written to a temporary name and renamed, so a reader never sees
-- half of it). A host P is alive when P is alive AND, when that record
-- exists and /proc/P/stat is readable, P's start time is the recorded
-- one. Without a record (a host that has not written it yet, or a gc that
-- does not see the host's TMPDIR), the pid alone decides: never removing a
-- live host's objects comes first. POSIX and System V names cannot carry
-- the start time (the System V key has no room for it), so the record is
-- the directory's.
--
-- TMPDIR is read when the functions run ("/tmp" when unset): `ipc gc` must
-- see the same TMPDIR as the host it cleans after to find its FIFOs,
-- sockets and System V manifest (POSIX objects are found regardless).
local ipc = require "ipc"

local M = {}

M.SYSV_BASE = 0x60000000
M.SYSV_MAX_INDEX = 63

function M.tmpdir()
  local t = os.getenv("TMPDIR")
  if t == nil or t == "" then t = "/tmp" end
  return t
end

-- The host's private directory for FIFOs, sockets and the manifest.
function M.dir(pid)
  return M.tmpdir() .. "/ipc-host-" .. pid
end

function M.posix(pid, index)
  return "/ipc-host-" .. pid .. "-" .. index
end

function M.sysv_key(pid, index)
  assert(index >= 0 and index <= M.SYSV_MAX_INDEX,
         "at most " .. (M.SYSV_MAX_INDEX + 1) .. " System V links per host")
  return M.SYSV_BASE | ((pid & 0x3fffff) << 6) | index
end

-- The URL of link `index` (1-based) of host `pid` over `via`. For unix and
-- tcp the host relays (see run.lua): `side` is "from" or "to" and picks
-- one of the two sockets; tcp gives "tcp://127.0.0.1:0" (the host listens
-- and learns the real port).
function M.for_link(pid, index, via, side)
  if via == "mq" then
    return "mq:" .. M.posix(pid, index)
  elseif via == "ring" then
    return "ring:" .. M.posix(pid, index)
  elseif via == "sysvmq" then
    return string.format("sysvmq:0x%08x", M.sysv_key(pid, index - 1))
  elseif via == "fifo" then
    return "fifo:" .. M.dir(pid) .. "/" .. index .. ".fifo"
  elseif via == "unix" then
    return "unix:" .. M.dir(pid) .. "/" .. index .. (side and ("." .. side) or "") .. ".sock"
  elseif via == "tcp" then
    return "tcp://127.0.0.1:0"
  elseif via == "pipe" then
    return nil -- a pipe has no name: its ends are handed down as fd:N
  end
  error("names.for_link: unknown via '" .. tostring(via) .. "'", 2)
end

-- Record a System V key in the host's manifest before the object exists.
function M.record_sysv(pid, kind, key)
  local f = assert(io.open(M.dir(pid) .. "/sysv", "a"))
  f:write(kind, " ", string.format("0x%08x", key), "\n")
  f:close()
end

function M.alive(pid)
  local ok, _, err = ipc.send_signal(pid, 0)
  return ok == true or err == ipc.errno.EPERM
end

-- The start time of process pid (field 22 of /proc/pid/stat, in clock
-- ticks since boot), or nil when it cannot be read. The command name
-- (field 2) may hold spaces and parentheses: fields are counted after the
-- last ')'.
function M.start_time(pid)
  local f = io.open("/proc/" .. tostring(pid) .. "/stat")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  local rest = s and s:match("^.*%)%s+(.*)$")
  if not rest then return nil end
  local i = 2 -- rest starts at field 3
  for field in rest:gmatch("%S+") do
    i = i + 1
    if i == 22 then return math.tointeger(tonumber(field)) end
  end
  return nil
end

-- Record the host's start time in its directory (which must exist),
-- before it creates any object. Returns true (nothing is recorded when
-- /proc/pid/stat cannot be read: the pid alone then decides), or nil and
-- why the record could not be written.
function M.record_host(pid)
  local ticks = M.start_time(pid)
  if not ticks then return true end
  local path = M.dir(pid) .. "/start"
  local f, err = io.open(path .. ".tmp", "w")
  if not f then return nil, err end
  f:write(pid, " ", ticks, "\n")
  f:close()
  local ok, rerr = os.rename(path .. ".tmp", path)
  if not ok then os.remove(path .. ".tmp") return nil, rerr end
  return true
end

-- The start time a host's directory records, or nil.
function M.recorded_start(pid)
  local f = io.open(M.dir(pid) .. "/start")
  if not f then return nil end
  local line = f:read("l")
  f:close()
  local p, ticks = (line or ""):match("^(%d+)%s+(%d+)$")
  if not p or math.tointeger(tonumber(p)) ~= pid then return nil end
  return math.tointeger(tonumber(ticks))
end

-- Whether host pid is alive: its pid is, and it is the same process that
-- recorded its start time (see "Liveness" above).
function M.host_alive(pid)
  if not M.alive(pid) then return false end
  local recorded = M.recorded_start(pid)
  if recorded == nil then return true end
  local now = M.start_time(pid)
  return now == nil or now == recorded
end

-- The entries of a directory, or nil when it cannot be read.
local function listdir(path)
  local okl, lfs = pcall(require, "lfs")
  local out = {}
  if okl then
    local ok, iter, state = pcall(lfs.dir, path)
    if not ok then return nil end
    for e in iter, state do
      if e ~= "." and e ~= ".." then out[#out + 1] = e end
    end
  else
    local f = io.open(path, "r")
    if not f then return nil end
    f:close()
    local p = io.popen("ls -A '" .. path:gsub("'", "'\\''") .. "' 2>/dev/null")
    for line in p:lines() do out[#out + 1] = line end
    p:close()
  end
  table.sort(out)
  return out
end

local function mounted(fstype)
  local f = io.open("/proc/mounts")
  if not f then return false end
  local s = f:read("a")
  f:close()
  return s:find("%s" .. fstype .. "%s") ~= nil
end

-- The System V keys a host's manifest lists: {[key] = true}.
local function manifest(pid)
  local keys = {}
  local f = io.open(M.dir(pid) .. "/sysv")
  if f then
    for line in f:lines() do
      local k = line:match("^%S+%s+(%S+)")
      if k then keys[math.tointeger(tonumber(k))] = true end
    end
    f:close()
  end
  return keys
end

local function host_pid(name)
  local pid = name:match("^/?ipc%-host%-(%d+)%-")
  return pid and math.tointeger(tonumber(pid))
end

-- Every live IPC object on the machine:
--   list of {url =, kind =, pid = (a host's objects only), alive = bool}
-- and a list of notes (a missing /dev/mqueue mount, ...).
function M.ls()
  local out, notes = {}, {}
  local alive_cache = {}
  local function add(url, kind, pid)
    local e = {url = url, kind = kind}
    if pid then
      if alive_cache[pid] == nil then alive_cache[pid] = M.host_alive(pid) end
      e.pid, e.alive = pid, alive_cache[pid]
    end
    out[#out + 1] = e
  end

  if mounted("mqueue") then
    for _, n in ipairs(listdir("/dev/mqueue") or {}) do
      add("mq:/" .. n, "mq", host_pid("/" .. n))
    end
  else
    notes[#notes + 1] = "/dev/mqueue is not mounted: POSIX message queues not listed"
  end

  local shm = listdir("/dev/shm")
  if shm then
    for _, n in ipairs(shm) do
      local sem = n:match("^sem%.(.+)$")
      if sem then
        add("sem:/" .. sem, "sem", host_pid("/" .. sem))
      else
        local pid = host_pid("/" .. n)
        -- a host's shared-memory objects are its rings
        add((pid and "ring:/" or "shm:/") .. n, pid and "ring" or "shm", pid)
      end
    end
  else
    notes[#notes + 1] = "/dev/shm is not readable: POSIX shared memory and semaphores not listed"
  end

  -- System V: ours only when a host's manifest lists the key.
  local manifests = {}
  local hosts = {}
  for _, n in ipairs(listdir(M.tmpdir()) or {}) do
    local pid = n:match("^ipc%-host%-(%d+)$")
    if pid then
      pid = math.tointeger(tonumber(pid))
      hosts[#hosts + 1] = pid
      for k in pairs(manifest(pid)) do manifests[k] = pid end
    end
  end
  for _, t in ipairs({{"msg", "sysvmq"}, {"shm", "sysvshm"}, {"sem", "semset"}}) do
    local f = io.open("/proc/sysvipc/" .. t[1])
    if f then
      f:read("l") -- header
      for line in f:lines() do
        local key, id = line:match("^%s*(%-?%d+)%s+(%d+)")
        if key then
          key = math.tointeger(tonumber(key)) & 0xffffffff
          if key ~= 0 then
            add(string.format("%s:0x%08x", t[2], key), t[2], manifests[key])
          else
            add(t[2] .. ":private(id " .. id .. ")", t[2])
          end
        end
      end
      f:close()
    else
      notes[#notes + 1] = "/proc/sysvipc/" .. t[1] .. " is not readable: System V " .. t[2] .. " not listed"
    end
  end

  -- Our FIFOs and sockets.
  for _, pid in ipairs(hosts) do
    for _, n in ipairs(listdir(M.dir(pid)) or {}) do
      local path = M.dir(pid) .. "/" .. n
      if n:match("%.fifo$") then
        add("fifo:" .. path, "fifo", pid)
      elseif n:match("%.sock$") then
        add("unix:" .. path, "unix", pid)
      end
    end
  end
  return out, notes
end

-- Remove every object of a dead host (never a live host's; "dead" as
-- host_alive says, so a recycled pid does not keep a dead host's objects),
-- and the dead hosts' directories. Returns the list of entries removed (as ls gives
-- them).
function M.gc()
  local removed = {}
  local entries = M.ls()
  for _, e in ipairs(entries) do
    if e.pid and not e.alive then
      local ok, done = pcall(ipc.unlink, e.url)
      if ok and done then removed[#removed + 1] = e end
    end
  end
  for _, n in ipairs(listdir(M.tmpdir()) or {}) do
    local pid = n:match("^ipc%-host%-(%d+)$")
    pid = pid and math.tointeger(tonumber(pid))
    if pid and not M.host_alive(pid) then
      local dir = M.dir(pid)
      os.remove(dir .. "/sysv")
      os.remove(dir .. "/start.tmp")
      os.remove(dir .. "/start")
      os.remove(dir)
    end
  end
  return removed
end

return M
