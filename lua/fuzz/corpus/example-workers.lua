-- A worker pool: a Lua producer sends the numbers 1..N as messages on a
-- POSIX message queue, four Python workers (replicas) square them and send
-- the squares to one Lua collector over another queue; the collector
-- prints the total, sum of k^2 for k = 1..N.
return {
  name = "workers",
  stages = {
    produce = { lua = "produce.lua", args = {"10000", "4"} }, -- N, workers
    work    = { python = "work.py", replicas = 4, restart = "on-failure" },
    collect = { lua = "collect.lua", args = {"10000"} },
  },
  links = {
    { "produce.jobs", "work.jobs", via = "mq", max_messages = 10 },
    { "work.results", "collect.results", via = "mq", max_messages = 10 },
  },
}
