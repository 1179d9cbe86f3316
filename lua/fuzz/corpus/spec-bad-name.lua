return {
  name = "a b",
  stages = { a = { cmd = "x" } },
}
