-- Adds N squares from "results", prints the total and exits 1 unless it
-- is the sum of k^2 for k = 1..N (arg[1]).
local ipc = require "ipc"
local n = tonumber(arg[1] or "10000")
local results = assert(ipc.endpoint("results", 10))
local total = 0
for _ = 1, n do total = total + tonumber(assert(results:recv(10))) end
results:close()
print(total)
local want = n * (n + 1) * (2 * n + 1) // 6
if total ~= want then
  io.stderr:write(("collect: expected %d, got %d\n"):format(want, total))
  os.exit(1)
end
