return {
  stages = {
    a = { cmd = {} },
    b = { cmd = {"ls", 3} },
    c = { cmd = {"ls", x = "y"} },
    d = { cmd = "  " },
    e = { cmd = true },
    f = { cmd = "x", args = {"y"} },
  },
  links = {
  },
}
