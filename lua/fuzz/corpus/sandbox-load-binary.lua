local f = load("\27Lua", "x", "b")
return { stages = { a = { cmd = tostring(f) } } }
