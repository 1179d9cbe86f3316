return {stages = {a = {cmd = "x", replicas = setmetatable({}, {__tostring = function() while true do end end})}}}
