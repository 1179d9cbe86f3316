-- Forwards the numbers from "input" whose remainder mod 2 is arg[1] to
-- "output"; ends when "input" ends.
local ipc = require "ipc"
local want = tonumber(arg[1])
local input = assert(ipc.endpoint("input", 10))
local output = assert(ipc.endpoint("output", 10))
for msg in input:messages(30) do
  local k = tonumber((msg:gsub("\n$", "")))
  if k and k % 2 == want then assert(output:send(tostring(k), 10)) end
end
input:close()
output:close()
