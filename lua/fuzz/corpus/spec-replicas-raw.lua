return {
  stages = {
    a = { cmd = "x", replicas = 3 },
    b = { cmd = "x", replicas = 2 },
  },
  links = {
    { "a.stdout", "b.stdin", via = "fifo" },
  },
}
