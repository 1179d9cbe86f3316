return {
  stages = {
    a = { cmd = {"true"}, replicas = 0 },
    b = { cmd = {"true"}, restart = "sometimes" },
  },
  links = {
    { "a.stdout", "c.stdin" },
  },
}
