return {
  stages = {
    ["9x"] = { cmd = "x" },
    ["a.b"] = { cmd = "x" },
    ["sssssssssssssssssssssssssssssssss"] = { cmd = "x" },
  },
  links = {
  },
}
