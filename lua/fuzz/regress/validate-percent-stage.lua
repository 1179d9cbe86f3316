return { stages = { ["a%d"] = { cmd = "x" } } }
