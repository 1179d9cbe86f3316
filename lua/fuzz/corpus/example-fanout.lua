-- Fan-out and fan-in over Unix sockets: a source broadcasts every line it
-- reads to two filters (one keeps the even numbers, the other the odd
-- ones), and both feed one sink, which merges them and prints the count
-- and the sum of what it got: the sum of 1..1000 when nothing is lost.
return {
  name = "fanout",
  stages = {
    source = { cmd = {"seq", "1", "1000"} },
    even   = { lua = "filter.lua", args = {"0"} },
    odd    = { lua = "filter.lua", args = {"1"} },
    sink   = { python = "sink.py" },
  },
  links = {
    { "source.stdout", "even.input", via = "unix", framing = "lines", fanout = "broadcast" },
    { "source.stdout", "odd.input", via = "unix", framing = "lines", fanout = "broadcast" },
    { "even.output", "sink.input", via = "unix" },
    { "odd.output", "sink.input", via = "unix" },
  },
}
