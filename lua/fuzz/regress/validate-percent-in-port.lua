return {
  stages = {
    a = { cmd = {"true"} },
    b = { cmd = {"true"} },
  },
  links = {
    { "a.stdin", "b.stdi%" },
    { "a.stdout", "b.stderr" },
    { "a.stdout", "b.êtdout" },
  },
}
