return {
  stages = { a = { cmd = "x" } },
  links = { x = 1 },
}
