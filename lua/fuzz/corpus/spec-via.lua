return {
  stages = {
    a = { cmd = {"true"} },
    b = { cmd = {"true"} },
  },
  links = {
    { "a.stdout", "b.stdin",
      via = "carrier-pigeon" },
    { "a.out", "b.in", via = "tcp" },
  },
}
