return {
  stages = {
    a = { cmd = {"true"} },
    b = { cmd = {"true"} },
  },
  links = {
    { "a.stdin", "b.stdin" },
    { "a.stdout", "b.stderr" },
    { "a.stdout", "b.stdout" },
  },
}
