-- shm_semaphore.lua - shared memory handed over with semaphores: a writer
-- process puts "Linux Programming" into a POSIX shared memory object, a
-- reader process that opens the object by name prints it and writes an
-- answer back.
--
-- Nothing synchronises the bytes of shared memory by itself. Two
-- semaphores, both created at 0, say whose turn it is: the writer
-- releases "ready" once the text is in place, the reader waits for it,
-- and then the reverse with "done". Neither side polls or sleeps.
-- Offsets are 0-based byte offsets; each text is stored as a 4-byte
-- length and the bytes (string.pack "s4"), so binary data goes too.
--
--   lua5.4 shm_semaphore.lua        exits 0 when the answer came back
local ipc = require "ipc"

local TEXT_AT, ANSWER_AT = 0, 1024

local function interpreter()
  local i = -1
  while arg[i - 1] ~= nil do i = i - 1 end
  return arg[i]
end

local function put(m, offset, text)
  assert(m:write(offset, string.pack("<s4", text)))
end

local function get(m, offset)
  local len = string.unpack("<I4", m:read(offset, 4))
  return m:read(offset + 4, len)
end

local function reader(prefix)
  local m <close> = assert(ipc.shm(prefix .. "board"))     -- its size: the object's
  local ready <close> = assert(ipc.semaphore(prefix .. "ready"))
  local done <close> = assert(ipc.semaphore(prefix .. "done"))
  assert(ready:acquire(5))         -- the writer's turn is over
  local text = get(m, TEXT_AT)
  print("reader: " .. text)
  put(m, ANSWER_AT, "read " .. #text .. " bytes")
  assert(done:release())
  return true
end

local function writer()
  local prefix = string.format("/ipc-example-shm-%d-", ipc.getpid())
  -- exclusive creates: never adopt objects someone else left behind
  local ok, err = pcall(function()
    local m <close> = assert(ipc.shm(prefix .. "board", {size = 4096, create = true, exclusive = true}))
    local ready <close> = assert(ipc.semaphore(prefix .. "ready", {value = 0, create = true, exclusive = true}))
    local done <close> = assert(ipc.semaphore(prefix .. "done", {value = 0, create = true, exclusive = true}))
    local p <close> = assert(ipc.spawn({interpreter(), arg[0], "reader", prefix}))
    put(m, TEXT_AT, "Linux Programming")
    assert(ready:release())          -- the reader's turn
    assert(done:acquire(5))          -- and back
    local answer = get(m, ANSWER_AT)
    print("writer: the reader answered: " .. answer)
    assert(answer == "read 17 bytes")
    assert(assert(p:wait(10)) == 0, "the reader failed")
  end)
  -- the names outlive every process: remove them, on failure too
  ipc.unlink("shm:" .. prefix .. "board")
  ipc.unlink("sem:" .. prefix .. "ready")
  ipc.unlink("sem:" .. prefix .. "done")
  if not ok then error(err, 0) end
end

if arg[1] == "reader" then
  os.exit(reader(arg[2]) and 0 or 1)
end
writer()
