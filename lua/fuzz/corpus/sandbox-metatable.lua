return setmetatable({ stages = { a = { cmd = "x" } } }, { __index = { links = {} } })
