-- pipe_hello.lua - the classic: a parent writes "Hello Child Process!" to
-- its child through an anonymous pipe, and the child prints what it read.
--
-- ipc.pipe() gives the two ends; the child (this same script with the
-- argument "child") gets the read end as its standard input and reads it
-- with plain io.read, as any program would. The parent closes its copy of
-- the read end, writes, and closes the write end: that is the end of the
-- stream the child reads up to.
--
--   lua5.4 pipe_hello.lua           exits 0 when the child read the text
local ipc = require "ipc"

local GREETING = "Hello Child Process!"

local function interpreter()
  local i = -1
  while arg[i - 1] ~= nil do i = i - 1 end
  return arg[i]
end

if arg[1] == "child" then
  local text = io.read("a")        -- up to the end of the stream
  print("child read: " .. text)
  os.exit(text == GREETING and 0 or 1)
end

-- two lines: one local statement takes one <close> variable
local r <close>, w = ipc.pipe()
local _w <close> = w
local p <close> = assert(ipc.spawn({interpreter(), arg[0], "child"}, {stdin = r}))
r:close()                          -- the child has its own copy
assert(w:write(GREETING, 5))       -- raw bytes, no framing
w:close()                          -- end of stream
local code = assert(p:wait(10))
print("parent: the child exited with " .. code)
assert(code == 0)
