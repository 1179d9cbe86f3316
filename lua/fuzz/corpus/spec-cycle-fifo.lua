return {
  stages = {
    a = { cmd = {"true"} },
    b = { cmd = {"true"} },
    c = { cmd = "x" },
  },
  links = {
    { "a.stdout", "b.stdin" },
    { "b.stdout", "c.stdin",
      via = "fifo" },
    { "c.stdout", "a.stdin" },
    { "a.out", "a.in", via = "fifo" },
  },
}
