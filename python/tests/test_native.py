# SPDX-License-Identifier: MIT
"""Native calls: ipc.native() / ipc.NativeFunction over libffi.

libm and libc functions, the example stage library (libipc_stages.so,
IPC_TEST_STAGES_LIB from CMake), every integer type's range edges, f32,
buffers in and out, the errors (missing library or symbol, bad
signatures, wrong count and types), close, and no leaks over many calls.
"""

from __future__ import annotations

import errno
import gc
import math
import os
import struct
import sys
import threading
import time

import pytest

import ipc

LIBM = "libm.so.6"
LIBC = "libc.so.6"
STAGES = os.environ.get("IPC_TEST_STAGES_LIB", "")
PAGE = os.sysconf("SC_PAGE_SIZE")
# 10^4 calls; a tenth under valgrind (IPC_TEST_SLOW=20), whose own memory
# (debug info read at each dlopen) makes RSS say nothing about ours.
VALGRIND = int(os.environ.get("IPC_TEST_SLOW", "1")) > 3
CALLS = 1000 if VALGRIND else 10000


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


@pytest.fixture
def stages():
    if not STAGES:
        pytest.fail("IPC_TEST_STAGES_LIB is not set (run through ctest)")
    return STAGES


# --- libm, libc ------------------------------------------------------------

def test_libm():
    with ipc.native(LIBM, "cos", "double(double)") as cos, \
            ipc.native(LIBM, "sqrt", "double(double)") as sqrt, \
            ipc.native(LIBM, "pow", "f64(f64, f64)") as pow_:
        assert cos(0.0) == 1.0
        assert cos(math.pi) == -1.0
        assert sqrt(2) == math.sqrt(2)          # an int for a double
        assert math.isnan(sqrt(-1.0))
        assert pow_(2, 10) == 1024.0
        assert pow_(2.0, 0.5) == math.sqrt(2)
        assert cos.name == "cos"
        assert cos.signature == "f64(f64)"
        assert pow_.signature == "f64(f64,f64)"
        assert isinstance(cos, ipc.NativeFunction)
        assert "cos" in repr(cos) and "f64(f64)" in repr(cos)


def test_libc():
    with ipc.native(LIBC, "strlen", "size_t(char*)") as strlen, \
            ipc.native(LIBC, "abs", "int(int)") as abs_, \
            ipc.native(LIBC, "labs", "long(long)") as labs, \
            ipc.native(LIBC, "toupper", "int(int)") as toupper:
        assert strlen("hello") == 5
        assert strlen("h\u00e9llo") == 6        # UTF-8
        assert strlen(b"abc") == 3
        assert strlen("") == 0
        assert abs_(-5) == 5 and abs_(7) == 7
        assert labs(-2**40) == 2**40
        assert toupper(ord("a")) == ord("A")
        assert toupper(ord("1")) == ord("1")
        assert strlen.signature == "u64(str)"


def test_getenv_str_result_and_null(monkeypatch):
    monkeypatch.setenv("IPC_TEST_NATIVE_VAR", "caf\u00e9")
    with ipc.native(LIBC, "getenv", "str(str)") as getenv:
        assert getenv("IPC_TEST_NATIVE_VAR") == "caf\u00e9"
        assert getenv("IPC_TEST_NATIVE_MISSING_%d" % os.getpid()) is None


def test_program_and_loaded_libraries():
    # lib None: the symbols already in the process (libc is).
    with ipc.native(None, "strlen", "size_t(str)") as strlen:
        assert strlen("four") == 4


def test_void_result_and_ptr():
    with ipc.native(LIBC, "malloc", "ptr(size_t)") as malloc, \
            ipc.native(LIBC, "free", "void(ptr)") as free:
        p = malloc(16)
        assert isinstance(p, int) and p != 0
        assert free(p) is None
        assert free(None) is None               # free(NULL)
        assert free(0) is None


def test_narrow_results_are_truncated():
    # abs() returns an int; declared i8/u8 the result is the low byte,
    # read as that type.
    with ipc.native(LIBC, "abs", "i8(int)") as f:
        assert f(-200) == 200 - 256
    with ipc.native(LIBC, "abs", "u8(int)") as f:
        assert f(-300) == 300 - 256


# --- integer ranges ----------------------------------------------------------

INT_TYPES = [
    ("i8", -2**7, 2**7 - 1), ("i16", -2**15, 2**15 - 1),
    ("i32", -2**31, 2**31 - 1), ("i64", -2**63, 2**63 - 1),
    ("u8", 0, 2**8 - 1), ("u16", 0, 2**16 - 1),
    ("u32", 0, 2**32 - 1), ("u64", 0, 2**64 - 1),
]


@pytest.mark.parametrize("t,lo,hi", INT_TYPES)
def test_int_range_edges(t, lo, hi):
    # labs(long) sees the argument extended to 64 bits as the ABI passes
    # it: signed types sign-extended, unsigned ones zero-extended.
    def expect(v: int) -> int:
        if t.startswith("u"):
            return v if v < 2**63 else 2**64 - v
        return abs(v) if v != -2**63 else -2**63

    with ipc.native(LIBC, "labs", f"i64({t})") as f:
        for v in (lo, lo + 1, 0, hi - 1, hi):
            assert f(v) == expect(v), (t, v)
        for v in (lo - 1, hi + 1, lo - 2**70, hi + 2**70):
            with pytest.raises(OverflowError) as ei:
                f(v)
            assert "argument 1" in str(ei.value)
        assert f(True) == 1                     # bool is an int


def test_f32():
    with ipc.native(LIBM, "sqrtf", "float(float)") as sqrtf, \
            ipc.native(LIBM, "cosf", "f32(f32)") as cosf:
        assert cosf(0.0) == 1.0
        want = struct.unpack("f", struct.pack("f", math.sqrt(2)))[0]
        assert sqrtf(2.0) == want and sqrtf(2) == want
        assert sqrtf(float("inf")) == float("inf")
        assert math.isnan(sqrtf(float("nan")))
        assert sqrtf(3.4e38) == pytest.approx(math.sqrt(3.4e38), rel=1e-6)
        for v in (1e39, -1e300, 10**40):
            with pytest.raises(OverflowError):
                sqrtf(v)
        with pytest.raises(OverflowError):
            sqrtf(10**400)                      # no double either


# --- buffers -------------------------------------------------------------------

def test_buf_inputs(stages):
    with ipc.native(stages, "ipc_stage_crc32c", "long(buf,buf)") as crc:
        for data in (b"123456789", bytearray(b"123456789"),
                     memoryview(b"xx123456789")[2:]):
            out = bytearray(8)
            assert crc(data, out) == 8
            assert out == b"e3069283"
        out = bytearray(8)
        assert crc(b"", out) == 8 and out == b"00000000"


def test_buf_output_bytearray(stages):
    with ipc.native(stages, "ipc_stage_upper", "long(buf,buf)") as upper:
        assert upper.signature == "i64(buf,buf)"
        out = bytearray(16)
        assert upper(b"hello, world", out) == 12
        assert bytes(out[:12]) == b"HELLO, WORLD"
        # a writable memoryview slice receives output in place
        big = bytearray(b"..........")
        assert upper(b"abc", memoryview(big)[4:]) == 3
        assert big == b"....ABC..."
        # the stage convention's -ENOBUFS comes back as a plain result
        assert upper(b"too long", bytearray(2)) == -errno.ENOBUFS
        assert upper(b"", bytearray()) == 0
        with pytest.raises(TypeError):
            upper("text is not a buffer", bytearray(64))
        with pytest.raises(TypeError):
            upper(b"x", 5)


def test_buf_holds_the_export(stages):
    # A bytearray passed as buf is exported for the call: it cannot be
    # resized meanwhile, and is free again afterwards.
    with ipc.native(stages, "ipc_stage_reverse", "long(buf,buf)") as rev:
        out = bytearray(4)
        assert rev(b"abcd", out) == 4 and out == b"dcba"
        out.extend(b"!")                       # no export left behind
        assert out == b"dcba!"


def test_str_arguments():
    with ipc.native(LIBC, "strlen", "size_t(str)") as strlen:
        with pytest.raises(ValueError):
            strlen("a\0b")
        with pytest.raises(ValueError):
            strlen(b"a\0b")
        with pytest.raises(TypeError):
            strlen(bytearray(b"abc"))
        with pytest.raises(TypeError):
            strlen(3)


# --- errors ---------------------------------------------------------------------

def test_missing_library():
    with pytest.raises(FileNotFoundError) as ei:
        ipc.native("libipc-no-such-library.so", "f", "void()")
    msg = str(ei.value)
    assert "libipc-no-such-library.so" in msg
    assert "cannot open shared object file" in msg      # dlerror()
    assert ei.value.errno == errno.ENOENT


def test_missing_symbol():
    with pytest.raises(FileNotFoundError) as ei:
        ipc.native(LIBM, "ipc_no_such_symbol", "double(double)")
    assert "ipc_no_such_symbol" in str(ei.value)
    assert "undefined symbol" in str(ei.value)          # dlerror()


@pytest.mark.parametrize("sig", [
    "", "double", "double(", "double(double", "(double)", "dbl(double)",
    "double(doubel)", "double(double,)", "double(,double)",
    "double(void, int)", "buf(int)", "int(void x)", "int(int)x",
    "int(" + ",".join(["int"] * 17) + ")",
])
def test_bad_signatures(sig):
    with pytest.raises(ValueError):
        ipc.native(LIBM, "cos", sig)


def test_signature_forms():
    for sig in ("void()", "void(void)", " void ( ) "):
        with ipc.native(LIBC, "abort", sig) as f:
            assert f.signature == "void()"
    with ipc.native(LIBC, "abs", "int(" + ",".join(["int"] * 16) + ")") \
            as f:
        assert f.signature.count("i32") == 17
    with pytest.raises(TypeError):
        ipc.native(LIBM, "cos", b"double(double)")
    with pytest.raises(TypeError):
        ipc.native(LIBM, 42, "double(double)")


def test_wrong_count_and_types():
    with ipc.native(LIBM, "cos", "double(double)") as cos, \
            ipc.native(LIBC, "abs", "int(int)") as abs_:
        with pytest.raises(TypeError) as ei:
            cos()
        assert "cos() takes 1 argument (0 given)" in str(ei.value)
        with pytest.raises(TypeError):
            cos(1.0, 2.0)
        with pytest.raises(TypeError):
            cos("1.0")
        with pytest.raises(TypeError):
            cos(None)
        with pytest.raises(TypeError):
            abs_(1.5)
        with pytest.raises(TypeError):
            abs_("1")
        with pytest.raises(TypeError):
            abs_(None)
        assert cos(0.0) == 1.0                  # still usable


def test_close_and_use_after_close():
    f = ipc.native(LIBM, "cos", "double(double)")
    assert not f.closed
    f.close()
    assert f.closed
    f.close()                                    # idempotent
    with pytest.raises(ValueError):
        f(0.0)
    assert "closed" in repr(f)
    assert f.signature == "f64(f64)" and f.name == "cos"
    with ipc.native(LIBM, "cos", "double(double)") as g:
        pass
    with pytest.raises(ValueError):
        g(0.0)


def test_releases_the_gil():
    # usleep(200 ms) in one thread; the main thread runs meanwhile.
    with ipc.native(LIBC, "usleep", "int(u32)") as usleep:
        ticks = []
        t = threading.Thread(target=usleep, args=(200000,))
        start = time.monotonic()
        t.start()
        while t.is_alive():
            ticks.append(1)
            time.sleep(0.01)
        t.join()
        assert time.monotonic() - start >= 0.19
        assert len(ticks) >= 5


# --- no leaks -------------------------------------------------------------------

def test_no_leaks_over_many_calls(stages):
    data = b"x" * 64
    out = bytearray(64)
    text = "some text"
    with ipc.native(stages, "ipc_stage_upper", "long(buf,buf)") as upper, \
            ipc.native(LIBC, "strlen", "size_t(str)") as strlen, \
            ipc.native(LIBC, "getenv", "str(str)") as getenv, \
            ipc.native(LIBM, "cos", "double(double)") as cos:
        def cycle():
            assert upper(data, out) == 64
            assert strlen(text) == 9
            assert getenv("PATH") is not None
            assert cos(0.0) == 1.0
            try:
                cos("bad")
            except TypeError:
                pass

        for _ in range(1000):
            cycle()
        gc.collect()
        refs = [sys.getrefcount(o) for o in (data, out, text, upper)]
        before = rss()
        for _ in range(CALLS):
            cycle()
        gc.collect()
        grew = rss() - before
        assert [sys.getrefcount(o) for o in (data, out, text, upper)] == refs
        assert VALGRIND or grew < 1 << 20, grew


def test_no_leaks_over_open_close():
    for _ in range(200):
        ipc.native(LIBM, "cos", "double(double)").close()
    before = rss()
    for _ in range(CALLS // 5):
        ipc.native(LIBM, "cos", "double(double)").close()
        try:
            ipc.native(LIBM, "ipc_no_such_symbol", "double(double)")
        except FileNotFoundError:
            pass
    assert VALGRIND or rss() - before < 1 << 20
