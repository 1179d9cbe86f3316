return { stages = { a = { cmd = "x" } }, links = { { "a.stdout", "b.%d" } } }
