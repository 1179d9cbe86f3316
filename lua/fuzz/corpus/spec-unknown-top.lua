return {
  stages = { a = { cmd = "x" } },
  stagez = {},
}
