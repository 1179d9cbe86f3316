return {
  name = "wordfreq",
  stages = {
    src   = { cmd = {"cat", "words.txt"} },
    split = { cmd = "tr -s ' ' '\n'", restart = "on-failure" },
    count = { lua = "count.lua", replicas = 2 },
    sink  = { python = "sink.py", env = { MODE = "x" } },
  },
  links = {
    { "src.stdout", "split.stdin" },
    { "split.stdout", "count.in", via = "mq", framing = "lines" },
    { "count.out", "sink.in", via = "ring", capacity = "4MiB" },
  },
}
