return {
  stages = {
    a = { env = {} },
    b = { cmd = "x",
      lua = "x.lua" },
  },
  links = {
  },
}
