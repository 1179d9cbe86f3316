return {
  stages = {
    a = { cmd = "x", restart = true, kill_timeout = "5" },
    b = { cmd = "x", kill_timeout = 1/0, backoff = 0 },
    c = { cmd = "x", failure_window = -1, max_failures = 2.5 },
    d = { cmd = "x", restart = "always", kill_timeout = 0.5, backoff = 2, max_failures = 0, failure_window = 60 },
  },
  links = {
  },
}
