# SPDX-License-Identifier: MIT
"""Channels by URL: ipc.open / ipc.listen / ipc.connect / ipc.endpoint.

Every URL kind (fd via pipe, fifo, mq, sysvmq, ring, unix, unix abstract,
unixgram, unixpacket, tcp, udp) goes through the same four kinds of test:
round trip, would-block/timeout, closed-handle misuse, and EEXIST/ENOENT
where names exist. Then what only queues have (priority, type; interop
with libc's mq_* through ctypes and with sysv_ipc), endpoints handed down
in IPC_ENDPOINTS, and URL and option errors. Sockets have more in
test_socket.py, FIFOs in test_fifo.py, pipes in test_pipe.py, rings in
test_ring.py.
"""

from __future__ import annotations

import ctypes
import errno
import io
import itertools
import os
import stat
import time

import pytest

import ipc

KINDS = ["pipe", "fd", "fifo", "mq", "sysvmq", "ring", "unix",
         "unix-abstract", "unixgram", "unixpacket", "tcp", "udp"]
# Kinds whose channel has no descriptor to poll.
NO_FD = {"sysvmq", "ring"}
_abstract = itertools.count(1)


def abstract_name(tag: str) -> str:
    return f"@ipc-test-{os.getpid()}-{next(_abstract)}-{tag}"


def _stream_pair(url: str):
    lst = ipc.listen(url)
    try:
        c = ipc.connect(lst.url, timeout=5)
        try:
            s = lst.accept(timeout=5)
        except BaseException:
            c.close()
            raise
    finally:
        lst.close()
    return c, s


def make_pair(kind, unique_name, unique_key, sock_path, fifo_path):
    """(sender, receiver) for a URL kind."""
    if kind == "pipe":
        r, w = ipc.pipe()
        return w, r
    if kind == "fd":
        rfd, wfd = os.pipe()
        r = ipc.open(f"fd:{rfd}", "r")
        return ipc.open(f"fd:{wfd}", "w"), r
    if kind == "fifo":
        path = fifo_path()
        r = ipc.open("fifo:" + path, "r", create=True)
        return ipc.open("fifo:" + path, "w", timeout=5), r
    if kind in ("mq", "ring"):
        url = f"{kind}:{unique_name(kind)}"
        w = ipc.open(url, "w", create=True, exclusive=True)
        return w, ipc.open(url, "r")
    if kind == "sysvmq":
        url = f"sysvmq:{unique_key()}"
        w = ipc.open(url, "w", create=True, exclusive=True)
        return w, ipc.open(url, "r")
    if kind in ("unix", "unixpacket"):
        return _stream_pair(f"{kind}:{sock_path()}")
    if kind == "unix-abstract":
        return _stream_pair("unix:" + abstract_name("abs"))
    if kind == "tcp":
        return _stream_pair("tcp://127.0.0.1:0")
    if kind == "unixgram":
        r = ipc.listen("unixgram:" + sock_path())
        return ipc.connect(r.url, timeout=5), r
    if kind == "udp":
        r = ipc.listen("udp://127.0.0.1:0")
        return ipc.connect(r.url, timeout=5), r
    raise AssertionError(kind)


@pytest.fixture(params=KINDS)
def pair(request, unique_name, unique_key, sock_path, fifo_path):
    w, r = make_pair(request.param, unique_name, unique_key, sock_path,
                     fifo_path)
    yield request.param, w, r
    w.close()
    r.close()


# --- every kind: round trip -------------------------------------------------

def test_round_trip(pair):
    kind, w, r = pair
    msgs = [b"first", bytearray(b"second"), os.urandom(1000)]
    for m in msgs:
        w.send(m, timeout=5)
    assert [r.recv(timeout=5) for _ in msgs] == [bytes(m) for m in msgs]
    w.send(b"into", timeout=5)
    buf = bytearray(64)
    assert r.recv_into(buf, timeout=5) == 4 and buf[:4] == b"into"
    base = kind.split("-")[0]
    assert r.kind == ("fd" if base == "pipe" else base)
    assert r.url.startswith(r.kind + ":")
    assert w.max_message_size > 0


def test_fileno(pair):
    kind, w, r = pair
    if kind in NO_FD:
        with pytest.raises(io.UnsupportedOperation):
            r.fileno()
    else:
        assert r.fileno() >= 0 and w.fileno() >= 0


def test_message_above_limit_is_refused(pair):
    _, w, r = pair
    with pytest.raises(OSError) as ei:
        w.send(b"\0" * (w.max_message_size + 1), timeout=5)
    assert ei.value.errno == errno.EMSGSIZE
    w.send(b"after", timeout=5)            # nothing of it was sent
    assert r.recv(timeout=5) == b"after"


# --- every kind: would block / timeout --------------------------------------

def test_recv_would_block_and_times_out(pair):
    _, _, r = pair
    with pytest.raises(BlockingIOError):
        r.recv(timeout=0)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        r.recv(timeout=0.1)
    assert 0.1 <= time.monotonic() - t0 < 2


# --- every kind: closed handles ---------------------------------------------

def test_closed_handles_refuse_use(pair):
    _, w, r = pair
    w.close()
    r.close()
    r.close()
    assert w.closed and r.closed
    for call in (lambda: w.send(b"x"), lambda: r.recv(0),
                 lambda: r.recv_into(bytearray(8), 0), lambda: r.url,
                 lambda: r.fileno(), lambda: r.readable()):
        with pytest.raises(ValueError):
            call()


# --- named kinds: EEXIST / ENOENT -------------------------------------------

@pytest.fixture(params=["fifo", "mq", "sysvmq", "ring"])
def named_url(request, unique_name, unique_key, fifo_path):
    kind = request.param
    if kind == "fifo":
        url = "fifo:" + fifo_path()
    elif kind == "sysvmq":
        url = f"sysvmq:{unique_key()}"
    else:
        url = f"{kind}:{unique_name(kind)}"
    yield url
    try:
        ipc.unlink(url)
    except OSError:
        pass


def test_exclusive_create_on_existing_is_file_exists(named_url):
    d = "r" if named_url.startswith("fifo:") else "rw"
    with ipc.open(named_url, d, create=True, exclusive=True):
        with pytest.raises(FileExistsError) as ei:
            ipc.open(named_url, d, create=True, exclusive=True)
        assert ei.value.filename == named_url
        # The same through the URL's own options.
        with pytest.raises(FileExistsError):
            ipc.open(named_url + "?create=1&exclusive=1", d)


def test_missing_is_file_not_found(named_url):
    d = "r" if named_url.startswith("fifo:") else "rw"
    with pytest.raises(FileNotFoundError) as ei:
        ipc.open(named_url, d)
    assert ei.value.filename == named_url
    with pytest.raises(FileNotFoundError):
        ipc.unlink(named_url)


def test_create_applies_mode(named_url):
    d = "r" if named_url.startswith("fifo:") else "rw"
    with ipc.open(named_url, d, create=True, mode=0o640):
        kind, _, addr = named_url.partition(":")
        if kind == "sysvmq":
            sysv_ipc = pytest.importorskip("sysv_ipc")
            q = sysv_ipc.MessageQueue(int(addr))
            assert q.mode & 0o777 == 0o640
            return
        path = {"fifo": addr, "mq": "/dev/mqueue" + addr,
                "ring": "/dev/shm" + addr}[kind]
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


# --- POSIX queues: priority, depth, interop ---------------------------------

@pytest.fixture
def mq_url(unique_name):
    return f"mq:{unique_name('mq')}"


def test_mq_priority_and_recv_meta(mq_url):
    with ipc.open(mq_url, create=True) as q:
        q.send(b"low", priority=1)
        q.send(b"high", priority=9)
        q.send(b"none")
        assert q.recv_meta(timeout=1) == (b"high", 9, 0)
        assert q.recv_meta(timeout=1) == (b"low", 1, 0)
        assert q.recv(timeout=1) == b"none"
        with pytest.raises(ValueError):
            q.send(b"x", type=2)            # a type is sysvmq's
        with pytest.raises(ValueError):
            q.send(b"x", priority=1 << 20)


def test_mq_depth_and_size_options(mq_url):
    with ipc.open(mq_url, create=True, max_messages=2,
                  max_message_size="64") as q:
        assert q.max_message_size == 64
        q.send(b"1")
        q.send(b"2")
        with pytest.raises(BlockingIOError):
            q.send(b"3", timeout=0)
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            q.send(b"3", timeout=0.1)
        assert 0.1 <= time.monotonic() - t0 < 2
        with pytest.raises(OSError) as ei:
            q.send(b"x" * 65)
        assert ei.value.errno == errno.EMSGSIZE
        assert list(q.messages(timeout=0)) == [b"1", b"2"]


def _libc_mq():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mq_open.restype = ctypes.c_int
    libc.mq_send.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t,
                             ctypes.c_uint]
    libc.mq_receive.restype = ctypes.c_ssize_t
    libc.mq_receive.argtypes = [ctypes.c_int, ctypes.c_char_p,
                                ctypes.c_size_t,
                                ctypes.POINTER(ctypes.c_uint)]
    return libc


def test_mq_interop_with_libc(mq_url):
    libc = _libc_mq()
    name = mq_url[3:].encode()
    with ipc.open(mq_url, create=True, max_message_size=128) as q:
        mqd = libc.mq_open(name, os.O_RDWR)
        assert mqd >= 0, os.strerror(ctypes.get_errno())
        try:
            assert libc.mq_send(mqd, b"from libc", 9, 7) == 0
            assert q.recv_meta(timeout=1) == (b"from libc", 7, 0)
            q.send(b"from ipc", priority=3)
            buf = ctypes.create_string_buffer(128)
            prio = ctypes.c_uint()
            n = libc.mq_receive(mqd, buf, 128, ctypes.byref(prio))
            assert buf.raw[:n] == b"from ipc" and prio.value == 3
        finally:
            libc.mq_close(mqd)


# --- System V queues: type, interop -----------------------------------------

def test_sysvmq_type_and_interop(unique_key):
    sysv_ipc = pytest.importorskip("sysv_ipc")
    key = unique_key()
    with ipc.open(f"sysvmq:{key}", create=True) as q:
        peer = sysv_ipc.MessageQueue(key)
        peer.send(b"from sysv_ipc", type=7)
        assert q.recv_meta(timeout=1) == (b"from sysv_ipc", 0, 7)
        q.send(b"typed", type=3)
        q.send(b"untyped")
        assert peer.receive(type=3) == (b"typed", 3)
        assert peer.receive() == (b"untyped", 1)
        with pytest.raises(ValueError):
            q.send(b"x", priority=1)        # a priority is mq's
        with pytest.raises(ValueError):
            q.send(b"x", type=-1)


# --- endpoints --------------------------------------------------------------

def test_endpoint_from_environment(monkeypatch, unique_name):
    url = f"ring:{unique_name()}?create=1&capacity=4096"
    monkeypatch.setenv("IPC_ENDPOINTS", f"jobs={url};other=fd:0")
    with ipc.endpoint("jobs", timeout=1) as ch:
        assert type(ch) is ipc.Ring
        ch.send(b"job")
        assert ch.recv(timeout=1) == b"job"


def test_endpoint_missing(monkeypatch):
    monkeypatch.setenv("IPC_ENDPOINTS", "in=fd:0")
    with pytest.raises(FileNotFoundError) as ei:
        ipc.endpoint("out")
    assert ei.value.filename == "out"
    monkeypatch.delenv("IPC_ENDPOINTS")
    with pytest.raises(FileNotFoundError):
        ipc.endpoint("in")
    monkeypatch.setenv("IPC_ENDPOINTS", "in=fd:0;;")
    with pytest.raises(ValueError):
        ipc.endpoint("in")
    with pytest.raises(TypeError):
        ipc.endpoint(0)


def test_endpoint_fifo_needs_a_direction(monkeypatch, fifo_path):
    path = fifo_path()
    monkeypatch.setenv("IPC_ENDPOINTS", f"f=fifo:{path}?create=1")
    with pytest.raises(ValueError):
        ipc.endpoint("f")
    with ipc.endpoint("f", direction="r") as f:
        assert f.kind == "fifo"


def test_endpoint_in_child_process(monkeypatch, run_python):
    r, w = ipc.pipe()
    with r, w:
        wfd = w.fileno()
        os.set_inheritable(wfd, True)
        monkeypatch.setenv("IPC_ENDPOINTS", f"out=fd:{wfd}")
        code = ("import ipc\n"
                "with ipc.endpoint('out', timeout=5) as out:\n"
                "    out.send(b'from the child')\n")
        res = run_python(code, pass_fds=(wfd,))
        assert res.returncode == 0, res.stderr
        assert r.recv(timeout=5) == b"from the child"


# --- URLs and options that are refused --------------------------------------

@pytest.mark.parametrize("url", [
    "bogus:/x", "MQ:/x", "mq:x", "fifo:relative", "shm:/not-a-channel",
    "mq:/x?capacity=4096", "mq:/x?create=2", "tcp://::1:80",
    "fifo:/tmp/a b", "",
])
def test_malformed_urls_are_value_errors(url):
    with pytest.raises(ValueError) as ei:
        ipc.open(url)
    if url:
        assert url.split("?")[0][:4] in str(ei.value)


def test_options_that_do_not_apply(unique_name):
    name = unique_name()
    with pytest.raises(ValueError):
        ipc.open(f"mq:{name}", create=True, capacity=4096)
    with pytest.raises(ValueError):
        ipc.open(f"ring:{name}", create=True, max_messages=4)
    with pytest.raises(ValueError):
        ipc.open("unix:@ipc-test-x", create=True)
    with pytest.raises(ValueError):
        ipc.listen("mq:/x")
    with pytest.raises(ValueError):
        ipc.Listener("udp://127.0.0.1:0")
    for kind in ("mq", "ring"):
        assert not os.path.exists(
            ("/dev/mqueue" if kind == "mq" else "/dev/shm") + name)


def test_argument_types_and_ranges(unique_name):
    name = unique_name()
    url = f"mq:{name}"
    bad = [
        (TypeError, lambda: ipc.open(42)),
        (TypeError, lambda: ipc.open(url, 1)),
        (ValueError, lambda: ipc.open(url, "x")),
        (ValueError, lambda: ipc.open(url, create=True, mode=0)),
        (ValueError, lambda: ipc.open(url, create=True, mode=0o1000)),
        (TypeError, lambda: ipc.open(url, create=True, mode="600")),
        (ValueError, lambda: ipc.open(url, create=True, max_messages=0)),
        (TypeError, lambda: ipc.open(url, create=True, max_messages="1")),
        (ValueError, lambda: ipc.open(url, create=True,
                                      max_message_size=-1)),
        (ValueError, lambda: ipc.open(url, create=True,
                                      max_message_size="1kb")),
        (TypeError, lambda: ipc.open(url, create=True,
                                     max_message_size=1.5)),
        (ValueError, lambda: ipc.open(url, create=True, timeout=-1)),
        (TypeError, lambda: ipc.connect(None)),
        (TypeError, lambda: ipc.listen(b"unix:@x")),
    ]
    for exc, call in bad:
        with pytest.raises(exc):
            call()
    assert not os.path.exists("/dev/mqueue" + name)


def test_size_strings_are_accepted(unique_name):
    with ipc.open(f"ring:{unique_name()}", create=True, capacity="8KiB",
                  max_message_size="1K") as r:
        assert r.capacity == 8192 and r.max_message_size == 1024


def test_channel_constructor_is_open(unique_name):
    url = f"mq:{unique_name()}"
    with ipc.Channel(url, "rw", True, max_messages=3) as q:
        q.send(b"x")
        assert q.recv(timeout=1) == b"x"
        assert type(q) is ipc.Channel
