return {
  stages = {
    a = {
      cmd = {"true"},
      kill_timeout = -1,
    },
  },
  links = {
  },
}
