return {
  stages = {
    a = { cmd = {"true"} },
    b = { cmd = {"true"} },
  },
  links = {
    { "a.out", "b.in", via = "ring",
      capacity = "4MB" },
    { "a.out", "b.in", via = "mq", capacity = "4K" },
    { "a.out", "b.in", via = "ring", capacity = -5 },
    { "a.stdout", "b.stdin", capacity = "64K" },
    { "a.out", "b.in", via = "ring", max_messages = 8 },
    { "a.out", "b.in", via = "mq", max_messages = 0, max_message_size = "0" },
    { "a.out", "b.in", via = "mq", max_messages = 8, max_message_size = "1K" },
  },
}
