return {
  stages = {},
}
