return { stages = { a = { cmd = "echo hi" } } }
