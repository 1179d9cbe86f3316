return {
  stages = {
    a = { cmd = {"true"} },
    b = { cmd = {"true"} },
  },
  links = {
    { "a.stdout", "b.stdin" },
    { "b.stdout", "a.stdin" },
  },
}
