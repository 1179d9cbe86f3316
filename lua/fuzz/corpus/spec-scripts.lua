return {
  stages = {
    a = { lua = "nope.lua" },
    b = { python = "nope.py" },
    c = { lua = 3 },
    d = { lua = "sub/" },
    e = { python = "sub/w.py", args = {"1"} },
    f = { python = "sub/w.py", args = {1} },
  },
  links = {
  },
}
