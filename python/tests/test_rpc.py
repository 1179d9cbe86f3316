# SPDX-License-Identifier: MIT
"""ipc.rpc: calls across processes.

A server runs in a child Python process (ipc.rpc.serve); this process
connects and calls, over every transport kind (unix:, unixpacket:, tcp:,
ring:, mq:, sysvmq:, fifo:). Values of every type round trip, remote
errors and unknown methods raise RemoteError, timeouts TimeoutError (and
the next call still works), SIGTERM/SIGINT end serve() normally, a
handler can close its server, native functions are served as they are,
the size limit holds. The codec is checked directly with hypothesis
(py_rpc_encode/py_rpc_decode) against a reference MessagePack encoder.
"""

from __future__ import annotations

import errno
import itertools
import math
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

import ipc
from ipc import _core
from conftest import child_env

_counter = itertools.count(1)
# hypothesis keeps caches in ./.hypothesis: the build tree's, not the
# source tree's (ctest runs in python/tests).
if os.environ.get("IPC_BUILD_DIR"):
    set_hypothesis_home_dir(os.path.join(os.environ["IPC_BUILD_DIR"],
                                         "python", ".hypothesis"))
# Under valgrind (IPC_TEST_SLOW=20) the property tests run fewer cases.
EXAMPLES = 400 if int(os.environ.get("IPC_TEST_SLOW", "1")) <= 3 else 10

SERVER = r"""
import os, sys, time
import ipc

url, limit = sys.argv[1], int(sys.argv[2])
cos = ipc.native("libm.so.6", "cos", "double(double)")
server = None

def ready(s):
    global server
    server = s
    print("ready", flush=True)

def fail(msg):
    raise ValueError(msg)

def close():
    server.close()
    return "closing"

sleeps = []

def sleep(s):
    sleeps.append(s)
    time.sleep(s)
    return s

funcs = {
    "add": lambda a, b: a + b,
    "echo": lambda x: x,
    "args": lambda *a: a,
    "sleep": sleep,
    "fail": fail,
    "div": lambda a, b: a / b,
    "close": close,
    "cos": cos,
    "pid": os.getpid,
    "unencodable": lambda: object(),
    "big": lambda n: b"x" * n,
    "sleeps": lambda: len(sleeps),
}
try:
    ipc.rpc.serve(url, funcs, ready=ready, max_message_size=limit or None)
finally:
    cos.close()
print("served", flush=True)
"""


class Child:
    """The server process: started, waited for "ready", and at the end
    stopped with SIGTERM; it must exit 0."""

    def __init__(self, url: str, limit: int = 0) -> None:
        self.url = url
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, url, str(limit)],
            env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.readline(20)
        if line != b"ready\n":
            self.proc.kill()
            out, err = self.proc.communicate(timeout=20)
            pytest.fail(f"server did not start: {line + out!r} {err!r}")

    def readline(self, timeout: float) -> bytes:
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline() if r else b""

    def stop(self, signo: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signo)
        try:
            out, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise
        self.out, self.err = out, err
        return self.proc.returncode


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


KINDS = ["unix", "unixpacket", "tcp", "ring", "mq", "sysvmq", "fifo"]


@pytest.fixture
def make_url(tmp_path, unique_name, unique_key):
    def make(kind: str) -> str:
        tag = f"ipc-test-{os.getpid()}-{next(_counter)}"
        if kind in ("unix", "unixpacket"):
            return f"{kind}:{tmp_path}/{tag}.sock"
        if kind == "fifo":
            return f"fifo:{tmp_path}/{tag}.fifo"
        if kind == "tcp":
            return f"tcp://127.0.0.1:{_free_port()}"
        if kind in ("ring", "mq"):
            return f"{kind}:{unique_name('rpc')}"
        if kind == "sysvmq":
            return f"sysvmq:{unique_key():#x}"
        raise AssertionError(kind)
    return make


@pytest.fixture
def serve(make_url):
    children = []

    def start(kind: str = "unix", limit: int = 0) -> Child:
        c = Child(make_url(kind), limit)
        children.append(c)
        return c

    yield start
    for c in children:
        assert c.stop() == 0, c.err.decode(errors="replace")


def _gone(url: str) -> bool:
    """Whether the server removed what it created."""
    kind, _, rest = url.partition(":")
    if kind in ("unix", "unixpacket", "fifo"):
        return not os.path.exists(rest)
    if kind == "ring":
        return not os.path.exists("/dev/shm/" + rest.lstrip("/"))
    if kind == "mq":
        return not os.path.exists("/dev/mqueue/" + rest.lstrip("/"))
    if kind == "sysvmq":
        try:
            ipc.SysVMessageQueue(int(rest, 16)).close()
        except FileNotFoundError:
            return True
        return False
    return True


# --- every transport -----------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_calls_over_every_kind(serve, kind):
    child = serve(kind)
    with ipc.rpc.connect(child.url, timeout=10) as p:
        assert p.add(2, 3) == 5
        assert p.add("a", "b") == "ab"
        assert p.echo([1, "two", b"three", None, {"k": [1.5]}]) == \
            [1, "two", b"three", None, {"k": [1.5]}]
        assert p.cos(0.0) == 1.0                 # a native function
        assert p.pid() == child.proc.pid
        with pytest.raises(ipc.rpc.RemoteError) as ei:
            p.div(1, 0)
        assert str(ei.value) == "ZeroDivisionError: division by zero"
        with pytest.raises(ipc.rpc.RemoteError) as ei:
            p.nope(1)
        assert ei.value.message == "no such function: nope"
        assert p.call("add", 1, 1) == 2
    assert child.stop() == 0
    assert b"served" in child.out
    assert _gone(child.url)


def test_two_clients(serve):
    child = serve("ring")
    with ipc.rpc.connect(child.url) as a, ipc.rpc.connect(child.url) as b:
        for i in range(50):
            assert a.add(i, 1) == i + 1
            assert b.add(i, 2) == i + 2


# --- values -----------------------------------------------------------------------

VALUES = [
    None, True, False, 0, 1, -1, 127, 128, -32, -33, 255, 256, 65535, 65536,
    2**31, -2**31 - 1, 2**32, 2**63 - 1, 2**63, -2**63, 2**64 - 1,
    0.0, 1.5, -2.25, 1e300, float("inf"), float("-inf"),
    "", "text", "caf\u00e9 \U0001F600", "x" * 70000,
    b"", b"\x00\xff", b"y" * 70000,
    [], [1, [2, [3, [4]]]], {}, {"a": 1, "b": [None, {"c": b"d"}]},
    {1: "int key", None: "nil key", 2.5: "float key", b"k": "bytes key"},
]


def test_value_round_trip(serve):
    child = serve("unix")
    with ipc.rpc.connect(child.url) as p:
        for v in VALUES:
            got = p.echo(v)
            assert got == v and type(got) is type(v), v
        assert math.isnan(p.echo(float("nan")))
        assert math.copysign(1, p.echo(-0.0)) == -1
        # bytes-likes come back as bytes; tuples as lists
        assert p.echo(bytearray(b"ba")) == b"ba"
        assert p.echo(memoryview(b"mv")) == b"mv"
        assert p.echo((1, (2, 3))) == [1, [2, 3]]
        assert p.args(1, "2", b"3") == [1, "2", b"3"]
        assert p.args() == []
        # a list used as a key comes back as a tuple
        assert p.echo({(1, 2): "pair"}) == {(1, 2): "pair"}
        deep = []
        for _ in range(60):
            deep = [deep]
        assert p.echo(deep) == deep


def test_values_that_cannot_go(serve):
    child = serve("unix")
    with ipc.rpc.connect(child.url) as p:
        for v in (2**64, -2**63 - 1, 10**30, -10**30):
            with pytest.raises(OverflowError):
                p.echo(v)
        with pytest.raises(TypeError):
            p.echo(object())
        with pytest.raises(TypeError):
            p.echo({1, 2})
        cyc: list = []
        cyc.append(cyc)
        with pytest.raises(ValueError):
            p.echo(cyc)
        d: dict = {}
        d["self"] = d
        with pytest.raises(ValueError):
            p.echo(d)
        deep: list = []
        for _ in range(100):
            deep = [deep]
        with pytest.raises(ValueError):
            p.echo(deep)
        with pytest.raises(UnicodeEncodeError):
            p.echo("\udcff")                 # a lone surrogate
        # the result side: refused there, reported as a remote error
        with pytest.raises(ipc.rpc.RemoteError) as ei:
            p.unencodable()
        assert "TypeError" in str(ei.value)
        assert p.add(1, 2) == 3                 # nothing went wrong


def test_remote_exception_message(serve):
    child = serve("ring")
    with ipc.rpc.connect(child.url) as p:
        with pytest.raises(ipc.rpc.RemoteError) as ei:
            p.fail("it went wrong: \u00e9")
        assert ei.value.message == "ValueError: it went wrong: \u00e9"
        with pytest.raises(ipc.rpc.RemoteError) as ei:
            p.add(1)                             # the wrong arity
        assert ei.value.message.startswith("TypeError: ")
        assert p.add(1, 2) == 3


# --- deadlines -------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["unix", "ring"])
def test_call_timeout_then_next_call(serve, kind):
    child = serve(kind)
    with ipc.rpc.connect(child.url, timeout=10) as p:
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            p.call("sleep", 0.5, timeout=0.1)
        assert time.monotonic() - start < 0.45
        # the late answer to the call above is dropped, not taken for ours
        assert p.add(20, 22) == 42
        assert p.sleep(0.01) == 0.01
    with ipc.rpc.connect(child.url, timeout=0.1) as p:
        with pytest.raises(TimeoutError):
            p.sleep(0.5)
        assert p.call("add", 1, 2, timeout=10) == 3


class _Alarm(Exception):
    pass


@pytest.mark.parametrize("kind", ["unix", "ring"])
def test_signal_handler_raising_abandons_the_call(serve, kind):
    # Ctrl+C during a call: the handler's exception propagates at once
    # (the wait is sliced), and the late answer does not confuse the
    # next call.
    child = serve(kind)

    def alarm(signo, frame):
        raise _Alarm()

    old = signal.signal(signal.SIGALRM, alarm)
    try:
        with ipc.rpc.connect(child.url, timeout=10) as p:
            signal.setitimer(signal.ITIMER_REAL, 0.2)
            start = time.monotonic()
            with pytest.raises(_Alarm):
                p.sleep(1.0)
            assert time.monotonic() - start < 0.9
            assert p.add(2, 2) == 4
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_signal_handler_returning_does_not_repeat_the_call(serve):
    child = serve("unix")
    hits = []
    old = signal.signal(signal.SIGALRM, lambda s, f: hits.append(s))
    try:
        with ipc.rpc.connect(child.url, timeout=10) as p:
            signal.setitimer(signal.ITIMER_REAL, 0.1, 0.1)
            assert p.sleep(0.5) == 0.5          # interrupted, resumed
            signal.setitimer(signal.ITIMER_REAL, 0)
            assert len(hits) >= 2
            assert p.sleeps() == 1                 # it ran once
            assert p.add(1, 1) == 2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_no_server():
    with pytest.raises(FileNotFoundError):
        ipc.rpc.connect(f"unix:/tmp/ipc-test-{os.getpid()}-none.sock",
                        timeout=0.2)
    with pytest.raises(OSError):
        ipc.rpc.Server("udp://127.0.0.1:1")
    with pytest.raises(TypeError):
        ipc.rpc.connect(42)


def test_server_gone(serve):
    child = serve("unix")
    with ipc.rpc.connect(child.url) as p:
        assert p.add(1, 1) == 2
        assert child.stop() == 0
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            p.add(1, 1)


# --- ending a server ------------------------------------------------------------

@pytest.mark.parametrize("signo", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("kind", ["unix", "ring", "sysvmq"])
def test_signal_ends_serve(serve, kind, signo):
    child = serve(kind)
    with ipc.rpc.connect(child.url) as p:
        assert p.add(1, 2) == 3
    assert child.stop(signo) == 0
    assert b"served" in child.out and child.err == b""
    assert _gone(child.url)


def test_signal_during_a_call_finishes_it(serve):
    child = serve("unix")
    with ipc.rpc.connect(child.url) as p:
        result = []
        t = threading.Thread(target=lambda: result.append(p.sleep(0.5)))
        t.start()
        time.sleep(0.2)
        child.proc.send_signal(signal.SIGTERM)
        t.join()
        assert result == [0.5]
    # serve() returned after answering: the child exits by itself
    assert child.proc.wait(10) == 0


@pytest.mark.parametrize("kind", KINDS)
def test_close_from_a_handler(serve, kind):
    # the answer to the call that closes the server still arrives (on
    # sysvmq it waits in the queue the close removes)
    child = serve(kind)
    with ipc.rpc.connect(child.url) as p:
        # "close" is the proxy's own: a remote close goes through call()
        assert p.call("close") == "closing"
    assert child.proc.wait(10) == 0
    assert _gone(child.url)


def test_server_in_a_thread(make_url):
    url = make_url("unix")
    s = ipc.rpc.Server(url)
    t = threading.Thread(target=s.serve, args=({"neg": lambda x: -x},))
    t.start()
    try:
        with ipc.rpc.connect(url) as p:
            assert p.neg(5) == -5
    finally:
        s.close()                                # waits for serve()
    assert not t.is_alive()                      # close() waited
    assert s.closed
    assert _gone(url)
    with pytest.raises(ValueError):
        s.serve({})
    s.close()


def test_serve_misuse(make_url):
    with ipc.rpc.Server(make_url("unix")) as s:
        with pytest.raises(TypeError):
            s.serve({"x": 5})
        with pytest.raises(TypeError):
            s.serve({1: print})
        assert "unix:" in repr(s)
    assert "closed" in repr(s)


def test_proxy_close_and_misuse(serve):
    child = serve("unix")
    p = ipc.rpc.connect(child.url)
    assert p.url == child.url and p.timeout == 5
    assert child.url in repr(p)
    with pytest.raises(AttributeError):
        p._private
    p.close()
    p.close()
    assert p.closed
    with pytest.raises(ValueError):
        p.add(1, 2)


# --- size limit -------------------------------------------------------------------

def test_message_size_limit(serve):
    child = serve("unix", limit=4096)
    with ipc.rpc.connect(child.url, max_message_size=4096) as p:
        with pytest.raises(OSError) as ei:
            p.echo(b"x" * 5000)                 # refused before sending
        assert ei.value.errno == errno.EMSGSIZE
        assert p.echo(b"x" * 3000) == b"x" * 3000
        with pytest.raises(ipc.rpc.RemoteError) as ei:
            p.big(5000)                          # the server's reply
        assert "big" in str(ei.value)
        assert p.add(1, 2) == 3
    # a client with a larger limit than the server's
    with ipc.rpc.connect(child.url) as p:
        with pytest.raises((ipc.rpc.RemoteError, ConnectionResetError,
                            BrokenPipeError)):
            p.echo(b"x" * 8000)
    with ipc.rpc.connect(child.url) as p:
        assert p.add(2, 2) == 4                  # still serving


def test_result_too_long_for_the_channel(serve):
    # An mq: message holds 8 KiB by default: the core refuses the reply
    # and answers with an error of its own (once: the next call is fine).
    child = serve("mq")
    with ipc.rpc.connect(child.url) as p:
        with pytest.raises(ipc.rpc.RemoteError) as ei:
            p.big(20000)
        assert "exceeds" in str(ei.value)
        assert p.add(1, 2) == 3
        assert p.add(2, 3) == 5


# --- the codec, directly ------------------------------------------------------------

def _ref_pack(v) -> bytes:
    """A reference MessagePack encoder (smallest forms, float64)."""
    if v is None:
        return b"\xc0"
    if v is True or v is False:
        return b"\xc3" if v else b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        if -32 <= v < 0:
            return struct.pack("b", v)
        if v > 0:
            for tag, fmt, top in ((0xcc, ">B", 2**8), (0xcd, ">H", 2**16),
                                  (0xce, ">I", 2**32), (0xcf, ">Q", 2**64)):
                if v < top:
                    return bytes([tag]) + struct.pack(fmt, v)
        for tag, fmt, bot in ((0xd0, ">b", -2**7), (0xd1, ">h", -2**15),
                              (0xd2, ">i", -2**31), (0xd3, ">q", -2**63)):
            if v >= bot:
                return bytes([tag]) + struct.pack(fmt, v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        n = len(b)
        if n < 32:
            return bytes([0xa0 | n]) + b
        for tag, fmt, top in ((0xd9, ">B", 2**8), (0xda, ">H", 2**16),
                              (0xdb, ">I", 2**32)):
            if n < top:
                return bytes([tag]) + struct.pack(fmt, n) + b
    if isinstance(v, bytes):
        n = len(v)
        for tag, fmt, top in ((0xc4, ">B", 2**8), (0xc5, ">H", 2**16),
                              (0xc6, ">I", 2**32)):
            if n < top:
                return bytes([tag]) + struct.pack(fmt, n) + v
    if isinstance(v, (list, tuple)):
        n = len(v)
        head = (bytes([0x90 | n]) if n < 16 else
                b"\xdc" + struct.pack(">H", n) if n < 2**16 else
                b"\xdd" + struct.pack(">I", n))
        return head + b"".join(_ref_pack(x) for x in v)
    if isinstance(v, dict):
        n = len(v)
        head = (bytes([0x80 | n]) if n < 16 else
                b"\xde" + struct.pack(">H", n) if n < 2**16 else
                b"\xdf" + struct.pack(">I", n))
        return head + b"".join(_ref_pack(k) + _ref_pack(x)
                               for k, x in v.items())
    raise TypeError(type(v))


_scalars = (st.none() | st.booleans() |
            st.integers(min_value=-2**63, max_value=2**64 - 1) |
            st.floats(allow_nan=False) | st.text() | st.binary())
_keys = (st.none() | st.booleans() |
         st.integers(min_value=-2**63, max_value=2**64 - 1) |
         st.text() | st.binary())
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=20) |
    st.dictionaries(_keys, inner, max_size=20),
    max_leaves=60)


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(_values)
def test_codec_round_trip_property(v):
    enc = _core.py_rpc_encode(v, 0)
    assert enc == _ref_pack(v)                 # MessagePack, smallest form
    assert _core.py_rpc_decode(enc) == v
    assert _core.py_rpc_decode(bytearray(enc)) == v


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=64))
def test_codec_decoder_never_crashes(data):
    try:
        _core.py_rpc_decode(data)
    except OSError as e:
        assert e.errno == errno.EPROTO
    except (TypeError, ValueError):
        pass                                    # e.g. an unhashable key


def test_codec_details():
    enc = _core.py_rpc_encode
    dec = _core.py_rpc_decode
    assert enc(2**63, 0) == b"\xcf" + struct.pack(">Q", 2**63)
    assert enc(-2**63, 0) == b"\xd3" + struct.pack(">q", -2**63)
    assert dec(b"\xca" + struct.pack(">f", 1.5)) == 1.5   # float32 in
    with pytest.raises(OSError) as ei:
        dec(b"\x92\x01")                         # truncated
    assert ei.value.errno == errno.EPROTO
    with pytest.raises(OSError):
        dec(b"\x01\x02")                         # bytes after the value
    with pytest.raises(OSError):
        dec(b"\xa2\xff\xfe")                     # invalid UTF-8
    with pytest.raises(OSError):
        dec(b"\xc1")                             # never used
    with pytest.raises(OSError) as ei:
        enc(b"x" * 100, 50)                      # the limit
    assert ei.value.errno == errno.EMSGSIZE
    assert dec(b"\x81\x92\x01\x02\xc0") == {(1, 2): None}
