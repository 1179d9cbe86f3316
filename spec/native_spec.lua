-- spec/native_spec.lua: ipc.native, C functions called through libffi
-- (docs/native.md): libc and libm, the example stage library
-- (IPC_STAGES_LIB, set by lua/CMakeLists.txt), argument translation and
-- range checks, bad signatures, missing libraries and symbols.
local ipc = require "ipc"
local H = require "helper"

local LIBM = "libm.so.6"
local LIBC = "libc.so.6"

-- The message of the error fn(...) raises.
local function raises(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  return tostring(err)
end

describe("ipc.native", function()
  after_each(H.cleanup)

  it("calls libm's cos with C and grammar names alike", function()
    local cos = assert(ipc.native(LIBM, "cos", "double(double)"))
    assert.equal(1.0, cos(0.0))
    assert.equal(1.0, cos(0)) -- an integer is fine for a float
    assert.is_true(math.abs(cos(math.pi) + 1) < 1e-15)
    assert.equal("f64(f64)", cos.signature)
    assert.equal("cos", cos.name)
    assert.equal(LIBM, cos.lib)
    assert.equal("ipc.NativeFunction (cos f64(f64))", tostring(cos))
    assert.is_true(cos:close())
    assert.equal("ipc.NativeFunction (closed)", tostring(cos))
    assert.matches("closed ipc.NativeFunction", raises(cos, 0))
    assert.matches("closed ipc.NativeFunction", raises(cos.close, cos))
    local cosf = assert(ipc.native(LIBM, "cosf", " f32 ( f32 ) "))
    assert.equal("f32(f32)", cosf.signature)
    assert.equal(1.0, cosf(0))
    local pow = assert(ipc.native(LIBM, "pow", "f64(f64,f64)"))
    assert.equal(1024.0, pow(2, 10))
  end)

  it("closes through <close> and the collector", function()
    do
      local f <close> = assert(ipc.native(LIBM, "sqrt", "double(double)"))
      assert.equal(3.0, f(9))
    end
    for _ = 1, 50 do assert(ipc.native(LIBM, "sqrt", "double(double)")) end
    collectgarbage()
    collectgarbage()
  end)

  it("passes strings and buffers, and returns C strings", function()
    local strlen = assert(ipc.native(LIBC, "strlen", "size_t(char*)"))
    assert.equal("u64(str)", strlen.signature)
    assert.equal(5, strlen("hello"))
    assert.equal(0, strlen(""))
    assert.is_true(math.type(strlen("abc")) == "integer")
    assert.matches("zero byte", raises(strlen, "a\0b"))
    -- buf passes pointer and length, as two C arguments
    local strnlen = assert(ipc.native(nil, "strnlen", "size_t(buf)"))
    assert.equal("u64(buf)", strnlen.signature)
    assert.equal(4, strnlen("abcd"))
    assert.equal(1, strnlen("a\0bc"))
    assert.equal(0, strnlen(""))
    local write = assert(ipc.native(nil, "write", "long(int,buf)"))
    local r <close>, w = ipc.pipe()
    local _w <close> = w
    assert.equal(5, write(w:fd(), "a\0b\255c"))
    assert.equal("a\0b\255c", r:read(16, 1))
    local getenv = assert(ipc.native(nil, "getenv", "str(str)"))
    assert.equal(os.getenv("PATH"), getenv("PATH"))
    assert.is_nil(getenv("IPC_SURELY_NOT_SET_" .. ipc.getpid()))
  end)

  it("returns void as nothing and ptr as an integer", function()
    local calloc = assert(ipc.native(nil, "calloc", "ptr(size_t,size_t)"))
    local free = assert(ipc.native(nil, "free", "void(ptr)"))
    local p = calloc(1, 16)
    assert.equal("integer", math.type(p))
    assert.is_true(p ~= 0)
    assert.equal(0, select("#", free(p)))
    assert.equal(0, select("#", free(nil))) -- nil is NULL
  end)

  it("converts integers by the signature and lets the core check ranges", function()
    local abs = assert(ipc.native(nil, "abs", "int(int)"))
    assert.equal(5, abs(-5))
    assert.equal(5, abs(-5.0)) -- an integral float is an integer
    assert.matches("no integer representation", raises(abs, 1.5))
    assert.matches("integer expected, got string", raises(abs, "5"))
    assert.equal(2147483647, abs(2147483647))
    assert.equal(2147483647, abs(-2147483647))
    assert.matches("out of range for i32", raises(abs, 2147483648))
    assert.matches("out of range for i32", raises(abs, -2147483649))
    local labs = assert(ipc.native(nil, "labs", "long(long)"))
    assert.equal(math.maxinteger, labs(-math.maxinteger))
    assert.matches("out of range", raises(labs, 2^63))
    -- unsigned: negative values are out of range; 0 .. 2^n - 1 pass
    local toupper_u8 = assert(ipc.native(nil, "toupper", "int(u8)"))
    assert.equal(string.byte("A"), toupper_u8(string.byte("a")))
    assert.equal(255, toupper_u8(255))
    assert.matches("out of range for u8", raises(toupper_u8, 256))
    assert.matches("out of range for u8", raises(toupper_u8, -1))
    local strtoull = assert(ipc.native(nil, "strtoull", "u64(str,ptr,int)"))
    assert.equal(math.maxinteger, strtoull("9223372036854775807", nil, 10))
    -- beyond math.maxinteger a u64 comes back as a float
    local big = strtoull("18446744073709551615", nil, 10)
    assert.equal("float", math.type(big))
    assert.equal(2^64, big)
    local f32 = assert(ipc.native(LIBM, "fabsf", "float(float)"))
    assert.equal(2.5, f32(-2.5))
    assert.matches("out of range for f32", raises(f32, 1e300))
  end)

  it("takes every integer type to its range edges and no further", function()
    -- labs(long) sees the argument widened to 64 bits as the ABI passes
    -- it: signed types sign-extended, unsigned ones zero-extended
    local types = {
      {"i8", -128, 127, {-129, 128}},
      {"i16", -32768, 32767, {-32769, 32768}},
      {"i32", -2147483648, 2147483647, {-2147483649, 2147483648}},
      {"i64", math.mininteger, math.maxinteger, {-2^63 - 4096, 2^63}},
      {"u8", 0, 255, {-1, 256}},
      {"u16", 0, 65535, {-1, 65536}},
      {"u32", 0, 4294967295, {-1, 4294967296}},
      {"u64", 0, math.maxinteger, {-1, 2^64}},
    }
    for _, t in ipairs(types) do
      local name, lo, hi, out = t[1], t[2], t[3], t[4]
      local f <close> = assert(ipc.native(LIBC, "labs", "i64(" .. name .. ")"))
      for _, v in ipairs({lo, lo + 1, 0, hi - 1, hi}) do
        local want = v == math.mininteger and v or math.abs(v)
        assert.equal(want, f(v), name .. " " .. v)
      end
      for _, v in ipairs(out) do
        assert.matches("out of range", raises(f, v), name .. " " .. v)
      end
    end
    -- 2^63 .. 2^64 - 1 fit a u64 as integral floats
    local u <close> = assert(ipc.native(LIBC, "labs", "i64(u64)"))
    assert.equal(math.mininteger, u(2^63)) -- 0x8000000000000000, as labs sees it
  end)

  it("truncates narrow results as C does", function()
    local i8 <close> = assert(ipc.native(LIBC, "abs", "i8(int)"))
    assert.equal(200 - 256, i8(-200))
    local u8 <close> = assert(ipc.native(LIBC, "abs", "u8(int)"))
    assert.equal(300 - 256, u8(-300))
  end)

  it("checks argument counts and types", function()
    local cos = assert(ipc.native(LIBM, "cos", "double(double)"))
    assert.matches("1 argument expected, got 0", raises(cos))
    assert.matches("1 argument expected, got 2", raises(cos, 1, 2))
    assert.matches("cos: bad argument #1 %(number expected, got string%)", raises(cos, "1"))
    assert.matches("number expected, got nil", raises(cos, nil))
    local strlen = assert(ipc.native(LIBC, "strlen", "size_t(str)"))
    assert.matches("string expected, got number", raises(strlen, 5))
    local free = assert(ipc.native(nil, "free", "void(ptr)"))
    assert.matches("integer or nil expected, got string", raises(free, "x"))
    local getpid = assert(ipc.native(nil, "getpid", "int(void)"))
    assert.equal("i32()", getpid.signature)
    assert.equal(ipc.getpid(), getpid())
    assert.matches("0 arguments expected, got 1", raises(getpid, 1))
    local time = assert(ipc.native(nil, "time", "long(ptr)"))
    assert.is_true(math.abs(time(nil) - os.time()) <= 2)
  end)

  it("raises on signatures that do not parse", function()
    for _, sig in ipairs({"", "double", "double(", "dbl(double)",
                          "double(double", "void(void, int)", "int(void x)",
                          "buf(int)", "int(void)x", "int(int,)"}) do
      local msg = raises(ipc.native, LIBM, "cos", sig)
      assert.matches("native: bad signature", msg)
    end
    local many = "int(" .. string.rep("int,", 16) .. "int)"
    assert.matches("bad signature", raises(ipc.native, LIBM, "cos", many))
    assert.matches("bad argument #2", raises(ipc.native, LIBM, nil, "int()"))
    assert.matches("bad argument #3", raises(ipc.native, LIBM, "cos"))
  end)

  it("returns fail, msg, errno for a missing library or symbol", function()
    local f, msg, err = ipc.native("libipc-no-such-" .. ipc.getpid() .. ".so", "f", "int()")
    assert.is_nil(f)
    assert.equal(ipc.errno.ENOENT, err)
    assert.matches("^native: ", msg)
    assert.matches("libipc%-no%-such", msg) -- dlerror's text
    f, msg, err = ipc.native(LIBM, "no_such_symbol_here", "int()")
    assert.is_nil(f)
    assert.equal(ipc.errno.ENOENT, err)
    assert.matches("no_such_symbol_here", msg)
    -- a bad signature raises even when the library is missing too
    assert.is_false(pcall(ipc.native, "libipc-no-such.so", "f", "nope"))
  end)

  describe("the example stage library", function()
    local lib = os.getenv("IPC_STAGES_LIB")
    local check = lib and it or pending

    check("asks for a bigger buffer without writing when out_cap is 0", function()
      local upper = assert(ipc.native(lib, "ipc_stage_upper", "long(buf,buf)"))
      assert.equal(-ipc.errno.ENOBUFS, upper("abc", ""))
      assert.equal(0, upper("", ""))
      local crc = assert(ipc.native(lib, "ipc_stage_crc32c", "long(buf,buf)"))
      assert.equal(-ipc.errno.ENOBUFS, crc("x", "short"))
    end)

    check("writes into memory the caller owns (ptr)", function()
      local calloc = assert(ipc.native(nil, "calloc", "ptr(size_t,size_t)"))
      local free = assert(ipc.native(nil, "free", "void(ptr)"))
      -- memmove(p, p, 0) returns p: read the NUL-terminated bytes back
      local text = assert(ipc.native(nil, "memmove", "str(ptr,ptr,size_t)"))
      local p = calloc(1, 64)
      H.defer(function() free(p) end)
      local upper = assert(ipc.native(lib, "ipc_stage_upper", "long(buf,ptr,size_t)"))
      assert.equal(11, upper("hello world", p, 63))
      assert.equal("HELLO WORLD", text(p, p, 0))
      local rev = assert(ipc.native(lib, "ipc_stage_reverse", "long(buf,ptr,size_t)"))
      assert.equal(3, rev("abc", p, 63))
      assert.equal("cbaLO WORLD", text(p, p, 0))
      local crc = assert(ipc.native(lib, "ipc_stage_crc32c", "long(buf,ptr,size_t)"))
      assert.equal(8, crc("123456789", p, 63))
      assert.equal("e3069283", text(p, p, 0):sub(1, 8)) -- the CRC-32C check value
    end)
  end)
end)
