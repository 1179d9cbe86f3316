return {
  stages = {
    a = { cmd = {"true"} },
    b = { cmd = {"true"} },
    c = { cmd = "x" },
  },
  links = {
    { "a.stdout", "b.stdin" },
    { "a.stdout", "c.stdin" },
    { "a.out", "b.in",
      fanout = "broadcast" },
    { "a.out", "c.in", fanout = "all" },
  },
}
