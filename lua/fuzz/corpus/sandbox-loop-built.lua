local s = {}
for i = 1, 50 do s["s" .. i] = { cmd = {"true"} } end
local l = {}
for i = 1, 49 do l[i] = { "s" .. i .. ".stdout", "s" .. (i + 1) .. ".stdin" } end
return { name = "chain", stages = s, links = l }
