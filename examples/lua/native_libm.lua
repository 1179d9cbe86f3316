-- native_libm.lua - C functions of libm and libc called from Lua with
-- ipc.native(lib, name, signature), through libffi: no binding written
-- for them (docs/native.md).
--
-- A signature is "RET(ARG,...)" with the types void i8 .. u64 f32 f64 ptr
-- str buf, or their C names (int, long, size_t, float, double, char*).
-- Missing libraries and symbols return nil, msg, errno; a bad signature
-- or a wrong argument raises.
--
--   lua5.4 native_libm.lua          exits 0 when every result is right
local ipc = require "ipc"

local cos <close> = assert(ipc.native("libm.so.6", "cos", "double(double)"))
local pow <close> = assert(ipc.native("libm.so.6", "pow", "double(double, double)"))
local strlen <close> = assert(ipc.native(nil, "strlen", "size_t(char*)"))  -- nil: already loaded
local getenv <close> = assert(ipc.native(nil, "getenv", "char*(char*)"))

print(cos, cos.signature)                        -- ipc.NativeFunction (cos f64(f64))  f64(f64)
assert(cos(0.0) == 1.0)
assert(math.abs(cos(math.pi) + 1) < 1e-12)
assert(pow(2, 10) == 1024.0)                     -- integers are fine for doubles
assert(strlen("native") == 6)
assert(getenv("PATH") == os.getenv("PATH"))
assert(getenv("IPC_EXAMPLE_UNSET_" .. ipc.getpid()) == nil)   -- NULL is nil
print(string.format("cos(pi) = %.1f, 2^10 = %d, strlen = %d",
                    cos(math.pi), math.tointeger(pow(2, 10)), strlen("native")))

-- What the system refuses comes back as values ...
local f, msg, err = ipc.native("libm.so.6", "no_such_function", "int()")
assert(f == nil and err == ipc.errno.ENOENT)
print("missing symbol: " .. msg)

-- ... and mistakes in the script raise.
local ok, e = pcall(ipc.native, "libm.so.6", "cos", "double(doubel)")
assert(not ok)
print("bad signature: " .. e)
ok, e = pcall(cos, "zero")
assert(not ok)
print("bad argument: " .. e)
local abs <close> = assert(ipc.native(nil, "abs", "int(int)"))
ok, e = pcall(abs, 2147483648)                   -- does not fit a C int
assert(not ok)
print("out of range: " .. e)
print("native_libm: ok")
