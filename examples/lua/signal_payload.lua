-- signal_payload.lua - a signal that carries a number (sigqueue), received
-- as data rather than by a handler.
--
-- The parent opens a signal set of {USR1}: that blocks USR1 and reads it
-- from a signalfd, so no handler runs and nothing interrupts the script.
-- It starts a child (this same script with the argument "child" and the
-- parent's pid), which sends USR1 with the value 42. The parent's wait
-- returns who sent it and the value. Without the set, USR1's default
-- action would end the parent: getting it as data shows it was received.
--
--   lua5.4 signal_payload.lua       exits 0 when the payload arrived
local ipc = require "ipc"

local function interpreter()
  local i = -1
  while arg[i - 1] ~= nil do i = i - 1 end
  return arg[i]
end

if arg[1] == "child" then
  assert(ipc.send_signal(tonumber(arg[2]), "USR1", 42))
  os.exit(0)
end

-- open the set before the child exists, so the signal can never arrive
-- unblocked
local sigs <close> = assert(ipc.signalset({"USR1"}))
local p <close> = assert(ipc.spawn({interpreter(), arg[0], "child", tostring(ipc.getpid())}))
local info = assert(sigs:wait(5))
print(string.format("parent: got SIG%s from pid %d with value %d",
                    info.name, info.pid, info.value))
assert(info.name == "USR1" and info.value == 42 and info.pid == p:pid())
assert(assert(p:wait(10)) == 0, "the child failed")
