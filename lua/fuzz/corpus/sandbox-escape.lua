local r = {io, os.execute, require, dofile, loadfile, debug, string.dump, collectgarbage, ("").dump}
return { stages = { a = { cmd = tostring(#r) } } }
