-- A high-throughput pipeline mixing Lua and Python: a Lua producer sends
-- the numbers 1..N, in order, as messages on a shared-memory ring; a
-- Python consumer checks that every one arrives, once and in order, and
-- prints how many came and their sum (it exits 1 on any mismatch).
return {
  name = "ring",
  stages = {
    produce = { lua = "produce.lua", args = {"100000"} },  -- N
    consume = { python = "consume.py", args = {"100000"} },
  },
  links = {
    { "produce.out", "consume.in", via = "ring", capacity = "1MiB" },
  },
}
