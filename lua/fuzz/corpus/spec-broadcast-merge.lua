return {
  stages = {
    a = { cmd = {"true"} },
    b = { cmd = {"true"} },
    c = { cmd = {"true"} },
  },
  links = {
    { "a.stdout", "b.in", via = "unix", framing = "lines", fanout = "broadcast" },
    { "a.stdout", "c.in", via = "unix", framing = "lines", fanout = "broadcast" },
    { "b.out", "c.in2", via = "mq" },
    { "c.out", "b.in2", via = "sysvmq" },
  },
}
