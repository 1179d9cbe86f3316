local m = getmetatable("")
return { stages = { a = { cmd = ("x"):upper() } }, name = tostring(m) }
