-- mq_priority.lua - a POSIX message queue between two processes, where
-- urgent messages overtake the rest.
--
-- The parent creates a queue and puts four messages in it, each with a
-- priority, before it starts a worker (this same script, run by the same
-- interpreter with the argument "worker"). The worker takes messages
-- until "stop": the highest priority comes out first, whatever the order
-- they were sent in. The queue outlives both processes until it is
-- unlinked, so the parent unlinks it at the end, on failure too.
--
--   lua5.4 mq_priority.lua          exits 0 when the worker saw the right order
local ipc = require "ipc"

-- The interpreter running this script (the lowest index of arg), so that
-- the worker half runs under the same one.
local function interpreter()
  local i = -1
  while arg[i - 1] ~= nil do i = i - 1 end
  return arg[i]
end

local function worker(name)
  local q <close> = assert(ipc.mqueue(name))   -- opens it: no create
  local got = {}
  while true do
    -- a timeout, so that a lost parent cannot leave us waiting forever
    local data, prio = assert(q:receive(5))
    if data == "stop" then break end
    print(string.format("worker: %-8s (priority %d)", data, prio))
    got[#got + 1] = data
  end
  return table.concat(got, ",") == "urgent,normal,low"
end

local function parent()
  local name = string.format("/ipc-example-mq-%d", ipc.getpid())
  -- exclusive: never reuse a queue someone else left under that name
  local q <close> = assert(ipc.mqueue(name, {create = true, exclusive = true,
                                             max_messages = 8, max_message_size = 64}))
  local ok, err = pcall(function()
    assert(q:send("low", 1))
    assert(q:send("urgent", 9))
    assert(q:send("normal", 5))
    assert(q:send("stop", 0))          -- lowest: taken last
    local p <close> = assert(ipc.spawn({interpreter(), arg[0], "worker", name}))
    local code = assert(p:wait(10))
    assert(code == 0, "worker exited with " .. code)
  end)
  q:unlink()
  if not ok then error(err, 0) end
end

if arg[1] == "worker" then
  os.exit(worker(arg[2]) and 0 or 1)
end
parent()
print("parent: the worker took the messages highest priority first")
