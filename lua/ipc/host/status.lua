-- ipc.host.status: the live status lines of `ipc run` on a terminal.
--
-- run.lua builds a snapshot of the pipeline and hands it to a Status
-- object, which redraws at most 4 times a second (INTERVAL), in place, on
-- the host's stderr with ANSI cursor movement: one line per stage (state,
-- pids, restarts) and one per link (messages, bytes, rate, queue depth when
-- known). The host clears the lines before it prints anything else (a
-- stage's stderr line, a message) and the next tick draws them again below;
-- at the end they are cleared and the plain summary follows.
--
-- A snapshot:
--   { elapsed = seconds,
--     stages = { {name=, state= "running"|"waiting"|"done"|"new"|"2/3 running",
--                 pids = {...}, restarts = n, status = "exited 0"|nil}, ... },
--     links = { {name= "a.out -> b.in", via=, messages= n|nil, bytes= n|nil,
--                depth = n|nil}, ... } }
-- messages/bytes are nil where the host does not see the traffic (a pipe
-- or FIFO handed directly from stage to stage). The rate is computed here,
-- from the bytes between two draws.
local M = {}

M.INTERVAL = 0.25

local ESC = "\27["

function M.human(n)
  if n == nil then return "-" end
  local units = {"B", "KiB", "MiB", "GiB", "TiB"}
  local i = 1
  while n >= 1024 and i < #units do n = n / 1024; i = i + 1 end
  if i == 1 then return string.format("%d B", math.floor(n)) end
  return string.format("%.1f %s", n, units[i])
end

-- The lines for a snapshot; rates = {[link name] = bytes per second}.
function M.format(snap, rates)
  rates = rates or {}
  local lines = {}
  local w = 4
  for _, s in ipairs(snap.stages or {}) do w = math.max(w, #s.name) end
  lines[#lines + 1] = string.format("ipc: %.1f s", snap.elapsed or 0)
  for _, s in ipairs(snap.stages or {}) do
    local pids = s.pids and #s.pids > 0 and table.concat(s.pids, ",") or "-"
    lines[#lines + 1] = string.format("  %-" .. w .. "s  %-12s pid %-8s restarts %d%s",
      s.name, s.state or "?", pids, s.restarts or 0,
      s.status and ("  " .. s.status) or "")
  end
  for _, l in ipairs(snap.links or {}) do
    local rate = rates[l.name]
    lines[#lines + 1] = string.format("  %s [%s]  %s msgs  %s  %s/s  depth %s",
      l.name, l.via or "?",
      l.messages and tostring(l.messages) or "-",
      M.human(l.bytes),
      rate and M.human(rate) or "-",
      l.depth and tostring(l.depth) or "-")
  end
  return lines
end

local Status = {}
Status.__index = Status

-- write(s) puts bytes on the terminal; now() gives seconds.
function M.new(write, now)
  return setmetatable({write = write, now = now, drawn = 0, last = nil,
                       prev = {}, rates = {}}, Status)
end

-- Draw the snapshot when INTERVAL has passed since the last draw (or force).
function Status:update(snap, force)
  local t = self.now()
  if not force and self.last and t - self.last < M.INTERVAL then return false end
  local dt = self.last and (t - self.last) or nil
  for _, l in ipairs(snap.links or {}) do
    local p = self.prev[l.name]
    if l.bytes and p and dt and dt > 0 then
      self.rates[l.name] = math.max(0, (l.bytes - p) / dt)
    end
    self.prev[l.name] = l.bytes
  end
  self.last = t
  local lines = M.format(snap, self.rates)
  local out = {}
  if self.drawn > 0 then out[#out + 1] = ESC .. self.drawn .. "A" end
  for _, line in ipairs(lines) do out[#out + 1] = "\r" .. ESC .. "K" .. line .. "\n" end
  if #lines < self.drawn then out[#out + 1] = ESC .. "J" end
  self.drawn = #lines
  self.write(table.concat(out))
  return true
end

-- Erase the lines drawn (before other output, and at the end).
function Status:clear()
  if self.drawn > 0 then
    self.write(ESC .. self.drawn .. "A\r" .. ESC .. "J")
    self.drawn = 0
  end
end

return M
