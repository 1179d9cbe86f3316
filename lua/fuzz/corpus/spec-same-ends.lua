return {
  stages = {
    a = { cmd = {"true"} },
    b = { cmd = {"true"} },
  },
  links = {
    { "a.out", "b.in" },
    { "a.out", "b.in" },
    { "b.in", "a.x" },
  },
}
