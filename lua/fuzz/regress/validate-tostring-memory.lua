local t = {} ; return {stages = {a = {cmd = "x", replicas = setmetatable({}, {__tostring = function() local s = "x" for i = 1, 40 do s = s .. s end return s end})}}}
