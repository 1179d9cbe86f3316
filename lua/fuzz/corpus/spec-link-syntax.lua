return {
  stages = {
    a = { cmd = {"true"} },
    b = { cmd = {"true"} },
  },
  links = {
    { "a", "b.stdin" },
    { "a.stdout" },
    "a.stdout b.stdin",
    { "a.st out", "b.stdin" },
    { "a.stdout", "b.stdin", vai = "mq" },
    { "x.stdout", "b.in", framing = "lines" },
  },
}
