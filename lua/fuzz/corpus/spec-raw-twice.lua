return {
  stages = {
    a = { cmd = {"true"} },
    b = { cmd = {"true"} },
    c = { cmd = "x" },
  },
  links = {
    { "a.stdout", "c.stdin" },
    { "b.stdout", "c.stdin" },
  },
}
