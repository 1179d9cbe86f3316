return {
  stages = {
    a = { cmd = "x", replicas = 1.5 },
    b = { cmd = "x", replicas = "2" },
    c = { cmd = "x", replicas = 1025 },
    d = { cmd = "x", replicas = 3.0 },
  },
  links = {
  },
}
