-- Sends "1" .. "N" (arg[1]) on the endpoint "out", then ends: the host
-- tells the consumer the stream is over (an empty message) once we are gone.
local ipc = require "ipc"
local n = tonumber(arg[1] or "100000")
local out = assert(ipc.endpoint("out", 10))
for k = 1, n do assert(out:send(tostring(k), 10)) end
out:close()
