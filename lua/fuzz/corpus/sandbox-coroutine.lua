local co = coroutine.wrap(function() while true do coroutine.yield() end end)
co()
return { stages = { a = { cmd = "x" } }, links = { { "a.stdout", co } } }
