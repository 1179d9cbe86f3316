for i = 1, 10 do pcall(function() while true do end end) end
return {}
