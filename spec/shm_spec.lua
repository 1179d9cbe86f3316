-- spec/shm_spec.lua: shared memory (ipc.shm, ipc.sysvshm, ipc.mapped_file).
-- Offsets are 0-based byte offsets. Nothing here blocks: the would-block
-- case of POSIX shm is an object its creator has not sized yet (EAGAIN).
local ipc = require "ipc"
local H = require "helper"

-- How many of our mappings show text (a /dev/shm path, "/SYSV<key>", a
-- file): proves an unmap happened without trusting the handle's word.
local function mappings(text)
  local n = 0
  for line in io.lines("/proc/self/maps") do
    if line:find(text, 1, true) then n = n + 1 end
  end
  return n
end

local function sysv_text(key)
  return string.format("/SYSV%08x", key)
end

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function write_file(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

-- The checks every region type shares: bounds, binary data, read-only.
local function check_bounds(m)
  local size = m:size()
  assert(m:write(size - 2, "ok"))
  assert.equal("ok", m:read(size - 2))
  assert.equal("", m:read(size))
  assert.equal("", m:read(size, 0))
  assert.has_error(function() m:write(size - 1, "ab") end)
  assert.has_error(function() m:write(size + 1, "") end)
  assert.has_error(function() m:write(-1, "a") end)
  assert.has_error(function() m:write(0.5, "a") end)
end

describe("ipc.shm", function()
  after_each(H.cleanup)

  describe("round trip", function()
    it("writes and reads binary bytes at 0-based offsets", function()
      local name = H.name("rt", "shm")
      local m = assert(ipc.shm(name, {size = 4096, create = true, exclusive = true}))
      assert.equal(4096, m:size())
      assert.equal(name, m:name())
      assert.equal("ipc.Shm (" .. name .. ")", tostring(m))
      assert.equal("ipc.Shm", getmetatable(m).__name)
      assert.equal(string.rep("\0", 8), m:read(0, 8))   -- new memory is zeroed
      assert.is_true(m:write(0, "A"))
      assert.is_true(m:write(10, "b\0c\255"))
      assert.equal("A", m:read(0, 1))
      assert.equal("b\0c\255", m:read(10, 4))
      assert.equal(4096 - 10, #m:read(10))              -- default: to the end
      assert.equal(4096, #m:read(0))
      m:close()
    end)

    it("shares bytes between handles; a read-only handle reads", function()
      local name = H.name("two", "shm")
      local m = assert(ipc.shm(name, {size = "4KiB", create = true}))
      local other = assert(ipc.shm(name))                -- size 0: adopt
      assert.equal(4096, other:size())
      assert(m:write(100, "shared"))
      assert.equal("shared", other:read(100, 6))
      local ro = assert(ipc.shm(name, {readonly = true, size = 200}))
      assert.equal(200, ro:size())
      assert.equal("shared", ro:read(100, 6))
      assert.has_error(function() ro:write(0, "x") end, "attempt to write to a read-only ipc.Shm")
      ro:close()
      other:close()
      m:close()
    end)

    it("checks bounds: a range outside the region raises", function()
      local m = assert(ipc.shm(H.name("bounds", "shm"), {size = 64, create = true}))
      check_bounds(m)
      assert.has_error(function() m:read(0, 65) end)
      assert.has_error(function() m:read(60, 5) end)
      assert.has_error(function() m:read(-1) end)
      assert.has_error(function() m:read(65) end)
      assert.has_error(function() m:read(0, -1) end)
      m:close()
    end)

    it("applies the mode exactly", function()
      local name = H.name("mode", "shm")
      local m = assert(ipc.shm(name, {size = 16, create = true, mode = 416})) -- 0640
      local ok, out = H.run_python("import os, sys; print(oct(os.stat('/dev/shm' + sys.argv[1]).st_mode & 0o777))", name)
      assert(ok, out)
      assert.equal("0o640\n", out)
      m:close()
    end)

    it("meets an mmap peer over /dev/shm, both directions", function()
      local name = H.name("py", "shm")
      local m = assert(ipc.shm(name, {size = 4096, create = true}))
      assert(m:write(10, "lua\0data"))
      local ok, out = H.run_python([[
import mmap, os, sys
fd = os.open("/dev/shm" + sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 0)
print(len(m), m[10:18].hex())
m[100:106] = b"py\x00\xffok"
m.close()
os.close(fd)
]], name)
      assert(ok, out)
      assert.equal("4096 6c75610064617461\n", out)
      assert.equal("py\0\255ok", m:read(100, 6))
      m:close()
    end)

    it("opens an object a Python peer created", function()
      local name = H.name("pycreate", "shm")
      local ok, out = H.run_python([[
import os, sys
fd = os.open("/dev/shm" + sys.argv[1], os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
os.write(fd, b"\x07hello" + bytes(8186))
os.close(fd)
]], name)
      assert(ok, out)
      local m = assert(ipc.shm(name))
      assert.equal(8192, m:size())
      assert.equal("\7hello", m:read(0, 6))
      m:close()
    end)
  end)

  describe("would-block", function()
    it("an object not sized yet by its creator: EAGAIN", function()
      local name = H.name("unsized", "shm")
      write_file("/dev/shm" .. name, "")
      local ok, msg, err = ipc.shm(name)
      assert.is_nil(ok)
      assert.equal(ipc.errno.EAGAIN, err)
      assert.matches("^shm /", msg)
    end)
  end)

  describe("misuse", function()
    it("raises on a closed handle; a second close raises", function()
      local m = assert(ipc.shm(H.name("closed", "shm"), {size = 16, create = true}))
      assert.is_true(m:close())
      assert.equal("ipc.Shm (closed)", tostring(m))
      for _, call in ipairs({
        function() m:write(0, "x") end, function() m:read(0, 1) end,
        function() m:size() end, function() m:name() end,
        function() m:unlink() end, function() m:close() end,
      }) do
        assert.has_error(call, "attempt to use a closed ipc.Shm")
      end
    end)

    it("raises on bad options", function()
      local name = H.name("badopt", "shm")
      assert.has_error(function() ipc.shm(name, {size = 16, create = true, sise = 1}) end, "unknown option 'sise'")
      assert.has_error(function() ipc.shm(name, {size = -1, create = true}) end)
      assert.has_error(function() ipc.shm(name, {size = "big", create = true}) end)
      assert.has_error(function() ipc.shm(name, {readonly = "no"}) end)
      assert.has_error(function() ipc.shm(name, 16) end)
    end)

    it("refuses impossible requests with EINVAL", function()
      local name = H.name("inval", "shm")
      assert.equal(ipc.errno.EINVAL, select(3, ipc.shm(name, {create = true})))          -- no size
      assert.equal(ipc.errno.EINVAL, select(3, ipc.shm(name, {create = true, size = 8, readonly = true})))
      assert.equal(ipc.errno.EINVAL, select(3, ipc.shm("bad", {create = true, size = 8})))
      local m = assert(ipc.shm(name, {size = 8, create = true}))
      assert.equal(ipc.errno.EINVAL, select(3, ipc.shm(name, {size = 9})))              -- larger than it is
      m:close()
    end)
  end)

  describe("exists and missing", function()
    it("exclusive create of an existing object: EEXIST", function()
      local name = H.name("exist", "shm")
      local m = assert(ipc.shm(name, {size = 16, create = true, exclusive = true}))
      local ok, msg, err = ipc.shm(name, {size = 16, create = true, exclusive = true})
      assert.is_nil(ok)
      assert.equal(ipc.errno.EEXIST, err)
      local want = "shm " .. name .. ": " .. ipc.strerror(err)
      assert.equal(want, msg:sub(1, #want))
      m:close()
    end)

    it("opening a missing object: ENOENT; unlink twice: ENOENT", function()
      local name = H.name("missing", "shm")
      assert.equal(ipc.errno.ENOENT, select(3, ipc.shm(name)))
      local m = assert(ipc.shm(name, {size = 16, create = true}))
      assert.is_true(m:unlink())
      local ok, _, err = m:unlink()
      assert.is_nil(ok)
      assert.equal(ipc.errno.ENOENT, err)
      assert(m:write(0, "alive"))                        -- the mapping outlives the name
      assert.equal("alive", m:read(0, 5))
      m:close()
    end)
  end)

  describe("lifetime", function()
    it("__gc unmaps an unreachable handle", function()
      local name = H.name("gc", "shm")
      local m = assert(ipc.shm(name, {size = 16, create = true}))
      assert.equal(1, mappings("/dev/shm" .. name))
      m = nil -- luacheck: ignore
      collectgarbage()
      collectgarbage()
      assert.equal(0, mappings("/dev/shm" .. name))
    end)

    it("__close unmaps at the end of the scope, and on error", function()
      local name = H.name("close", "shm")
      local kept
      do
        local m <close> = assert(ipc.shm(name, {size = 16, create = true}))
        kept = m
        assert.equal(1, mappings("/dev/shm" .. name))
      end
      assert.equal(0, mappings("/dev/shm" .. name))
      assert.equal("ipc.Shm (closed)", tostring(kept))
      assert.has_error(function()
        local m <close> = assert(ipc.shm(name))
        kept = m
        error("boom")
      end, "boom")
      assert.equal(0, mappings("/dev/shm" .. name))
      getmetatable(kept).__close(kept)
      getmetatable(kept).__gc(kept)
    end)
  end)
end)

describe("ipc.sysvshm", function()
  after_each(H.cleanup)

  it("round trip: write, read, key, id, size", function()
    local key = H.key()
    local m = assert(ipc.sysvshm(key, {size = 100, create = true, exclusive = true, mode = 384}))
    assert.equal(100, m:size())
    assert.equal(key, m:key())
    assert.is_true(math.type(m:id()) == "integer" and m:id() >= 0)
    assert.equal("ipc.SysVShm (id " .. m:id() .. ")", tostring(m))
    assert(m:write(0, "v\0w"))
    local other = assert(ipc.sysvshm(string.format("0x%x", key)))
    assert.equal("v\0w", other:read(0, 3))
    assert.equal(100, other:size())
    check_bounds(other)
    assert.has_error(function() other:read(0, 101) end)
    other:close()
    local ro = assert(ipc.sysvshm(key, {readonly = true}))
    assert.equal("v\0w", ro:read(0, 3))
    assert.has_error(function() ro:write(0, "x") end, "attempt to write to a read-only ipc.SysVShm")
    ro:close()
    m:close()
  end)

  it("meets a sysv_ipc peer, both directions", function()
    local key = H.key()
    local m = assert(ipc.sysvshm(key, {size = 256, create = true}))
    assert(m:write(5, "from\0lua"))
    local ok, out = H.run_python([[
import sys, sysv_ipc
m = sysv_ipc.SharedMemory(int(sys.argv[1]))
print(m.size, m.read(8, offset=5).hex())
m.write(b"py\xff", offset=200)
m.detach()
]], tostring(key))
    assert(ok, out)
    assert.equal("256 66726f6d006c7561\n", out)
    assert.equal("py\255", m:read(200, 3))
    m:close()
  end)

  it("exists and missing: EEXIST, ENOENT", function()
    local key = H.key()
    assert.equal(ipc.errno.ENOENT, select(3, ipc.sysvshm(key)))
    local m = assert(ipc.sysvshm(key, {size = 16, create = true}))
    local ok, msg, err = ipc.sysvshm(key, {size = 16, create = true, exclusive = true})
    assert.is_nil(ok)
    assert.equal(ipc.errno.EEXIST, err)
    assert.matches(string.format("^sysvshm 0x%08x: ", key), msg)
    assert.equal(ipc.errno.EINVAL, select(3, ipc.sysvshm(key, {size = 17})))
    m:close()
  end)

  it("remove frees the key; the attachment keeps the memory", function()
    local key = H.key()
    local m = assert(ipc.sysvshm(key, {size = 16, create = true}))
    assert.is_true(m:remove())
    assert.equal(ipc.errno.ENOENT, select(3, ipc.sysvshm(key)))
    assert(m:write(0, "kept"))
    assert.equal("kept", m:read(0, 4))
    assert.is_true(m:close())
  end)

  it("misuse: closed handle and bad options raise", function()
    local key = H.key()
    local m = assert(ipc.sysvshm(key, {size = 16, create = true}))
    assert.is_true(m:close())
    assert.equal("ipc.SysVShm (closed)", tostring(m))
    for _, call in ipairs({
      function() m:write(0, "x") end, function() m:read(0, 1) end,
      function() m:size() end, function() m:key() end, function() m:id() end,
      function() m:remove() end, function() m:close() end,
    }) do
      assert.has_error(call, "attempt to use a closed ipc.SysVShm")
    end
    assert.has_error(function() ipc.sysvshm(key, {capacity = 1}) end, "unknown option 'capacity'")
    assert.has_error(function() ipc.sysvshm("zz") end)
  end)

  it("__gc detaches an unreachable handle; __close at scope end", function()
    local key = H.key()
    local m = assert(ipc.sysvshm(key, {size = 16, create = true}))
    assert.equal(1, mappings(sysv_text(key)))
    m = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    assert.equal(0, mappings(sysv_text(key)))
    local kept
    do
      local m2 <close> = assert(ipc.sysvshm(key))
      kept = m2
      assert.equal(1, mappings(sysv_text(key)))
    end
    assert.equal(0, mappings(sysv_text(key)))
    assert.equal("ipc.SysVShm (closed)", tostring(kept))
  end)
end)

describe("ipc.mapped_file", function()
  after_each(H.cleanup)

  it("round trip: the bytes are the file's", function()
    local path = H.path("mf")
    local m = assert(ipc.mapped_file(path, {size = 32, create = true, exclusive = true}))
    assert.equal(32, m:size())
    assert.matches("^ipc%.MappedFile %(fd %d+%)$", tostring(m))
    assert(m:write(3, "on\0disk"))
    assert.is_true(m:flush())
    assert.equal("\0\0\0on\0disk" .. string.rep("\0", 22), read_file(path))
    check_bounds(m)
    m:close()
    -- size 0 maps the whole file; the bytes stayed
    local again = assert(ipc.mapped_file(path))
    assert.equal(32, again:size())
    assert.equal("on\0disk", again:read(3, 7))
    again:close()
  end)

  it("sees what a writer of the file wrote; read-only refuses writes", function()
    local path = H.path("ext")
    write_file(path, "0123456789")
    local ro = assert(ipc.mapped_file(path, {readonly = true}))
    assert.equal(10, ro:size())
    assert.equal("345", ro:read(3, 3))
    assert.has_error(function() ro:write(0, "x") end, "attempt to write to a read-only ipc.MappedFile")
    ro:close()
    local part = assert(ipc.mapped_file(path, {size = 4}))
    assert.equal("0123", part:read(0))
    part:close()
  end)

  it("exists and missing: EEXIST, ENOENT, EINVAL for a short file", function()
    local path = H.path("ee")
    assert.equal(ipc.errno.ENOENT, select(3, ipc.mapped_file(path)))
    write_file(path, "abc")
    local ok, msg, err = ipc.mapped_file(path, {size = 8, create = true, exclusive = true})
    assert.is_nil(ok)
    assert.equal(ipc.errno.EEXIST, err)
    assert.equal("mapped_file " .. path .. ": ", msg:sub(1, #path + 14))
    assert.equal(ipc.errno.EINVAL, select(3, ipc.mapped_file(path, {size = 8})))
    -- create without exclusive grows the file, never shrinks it
    local m = assert(ipc.mapped_file(path, {size = 8, create = true}))
    assert.equal("abc\0\0\0\0\0", read_file(path))
    m:close()
  end)

  it("misuse: closed handle and bad options raise", function()
    local path = H.path("mis")
    local m = assert(ipc.mapped_file(path, {size = 8, create = true}))
    assert.is_true(m:close())
    assert.equal("ipc.MappedFile (closed)", tostring(m))
    for _, call in ipairs({
      function() m:write(0, "x") end, function() m:read(0, 1) end,
      function() m:size() end, function() m:flush() end, function() m:close() end,
    }) do
      assert.has_error(call, "attempt to use a closed ipc.MappedFile")
    end
    assert.has_error(function() ipc.mapped_file(path, {offset = 1}) end, "unknown option 'offset'")
    assert.has_error(function() ipc.mapped_file({}) end)
  end)

  it("__gc unmaps an unreachable handle; __close at scope end", function()
    local path = H.path("gcmf")
    local m = assert(ipc.mapped_file(path, {size = 8, create = true}))
    assert.equal(1, mappings(path))
    m = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    assert.equal(0, mappings(path))
    do
      local m2 <close> = assert(ipc.mapped_file(path))
      assert.equal(1, mappings(path))
    end
    assert.equal(0, mappings(path))
  end)
end)
