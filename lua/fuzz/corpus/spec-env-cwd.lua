return {
  stages = {
    a = { cmd = "x", env = { ["A-B"] = "1", IPC_ENDPOINTS = "x", OK = 1 } },
    b = { cmd = "x", cwd = "sub" },
    c = { cmd = "x", cwd = "nowhere" },
  },
  links = {
  },
}
