return {
  stages = {
    a = { cmd = {"true"} },
    b = { cmd = {"true"} },
  },
  links = {
    { "a.stdout", "b.in", via = "mq" },
    { "a.out", "b.stdin" },
    { "a.stdout", "b.stdin", via = "ring" },
    { "a.stdout", "b.stdin", framing = "lines" },
    { "a.out", "b.in", via = "mq", framing = "lines" },
    { "a.stdout", "b.in", framing = "words" },
    { "a.stdout", "b.stdin", via = "sysvmq", framing = "frames" },
  },
}
