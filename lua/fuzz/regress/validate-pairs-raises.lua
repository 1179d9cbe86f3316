return setmetatable({stages={a={cmd="x"}}}, {__pairs = function() error("boom") end})
