-- Sends "1" .. "N" on the endpoint "jobs", then one "stop" per worker
-- (arguments: N, the number of workers).
local ipc = require "ipc"
local n = tonumber(arg[1] or "10000")
local jobs = assert(ipc.endpoint("jobs", 10))
for k = 1, n do assert(jobs:send(tostring(k), 10)) end
for _ = 1, tonumber(arg[2] or "4") do assert(jobs:send("stop", 10)) end
jobs:close()
