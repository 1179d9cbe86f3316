return {
  stages = {
    a = { cmd = "x",
      restrat = "always" },
  },
  links = {
  },
}
