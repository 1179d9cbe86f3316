# SPDX-License-Identifier: MIT
"""Anonymous pipes as channels: ipc.pipe() and fd:N URLs.

Round trip, would-block/timeout, closed-handle misuse and the missing
object (a descriptor that is not open: EBADF, pipes have no names), plus
interop with plain os.pipe() descriptors speaking the frame format (a
4-byte little-endian length, then the payload) and with a child process.
"""

from __future__ import annotations

import errno
import os
import select
import struct
import threading
import time

import pytest

import ipc


def frame(payload: bytes) -> bytes:
    return struct.pack("<I", len(payload)) + payload


def unframe(data: bytes) -> list:
    out = []
    while data:
        (n,) = struct.unpack_from("<I", data)
        out.append(data[4:4 + n])
        data = data[4 + n:]
    return out


@pytest.fixture
def chan_pipe():
    r, w = ipc.pipe()
    yield r, w
    r.close()
    w.close()


# --- round trip -------------------------------------------------------------

def test_round_trip_any_bytes_like(chan_pipe):
    r, w = chan_pipe
    w.send(b"bytes")
    w.send(bytearray(b"bytearray"))
    w.send(memoryview(b"xmemoryviewx")[1:-1])
    w.send(b"")
    assert r.recv(timeout=1) == b"bytes"
    assert r.recv(timeout=1) == b"bytearray"
    assert r.recv(timeout=1) == b"memoryview"
    assert r.recv(timeout=1) == b""


def test_pipe_ends_describe_themselves(chan_pipe):
    r, w = chan_pipe
    assert r.kind == "fd" and w.kind == "fd"
    assert r.url == f"fd:{r.fileno()}"
    assert w.url == f"fd:{w.fileno()}"
    assert r.max_message_size == 16 << 20
    assert "fd:" in repr(r)


def test_iterate_until_end_of_stream(chan_pipe):
    r, w = chan_pipe
    msgs = [b"one", b"", b"three" * 100]
    for m in msgs:
        w.send(m)
    w.close()
    assert list(r) == msgs
    # The end of a stream stays the end.
    with pytest.raises(BrokenPipeError):
        r.recv(timeout=1)
    assert r.read(10, timeout=1) == b""


def test_messages_generator_stops_at_end(chan_pipe):
    r, w = chan_pipe
    w.send(b"a")
    w.send(b"b")
    w.close()
    assert list(r.messages(timeout=1)) == [b"a", b"b"]


def test_one_mebibyte_message(chan_pipe):
    r, w = chan_pipe
    big = os.urandom(1 << 20)
    t = threading.Thread(target=w.send, args=(big, 10))
    t.start()
    try:
        assert r.recv(timeout=10) == big
    finally:
        t.join()


def test_recv_into_and_too_small_buffer(chan_pipe):
    r, w = chan_pipe
    w.send(b"0123456789")
    small = bytearray(4)
    with pytest.raises(OSError) as ei:
        r.recv_into(small, timeout=1)
    assert ei.value.errno == errno.EMSGSIZE
    # The message stayed: a buffer with room gets it whole.
    buf = bytearray(64)
    n = r.recv_into(memoryview(buf)[8:], timeout=1)
    assert n == 10 and bytes(buf[8:18]) == b"0123456789"


def test_recv_into_refuses_read_only_buffer(chan_pipe):
    r, w = chan_pipe
    w.send(b"x")
    # The typemap's PyObject_GetBuffer(PyBUF_WRITABLE) raises BufferError;
    # socket.recv_into raises TypeError for the same mistake.
    with pytest.raises((TypeError, BufferError)):
        r.recv_into(b"immutable", timeout=1)


def test_raw_write_and_read(chan_pipe):
    r, w = chan_pipe
    assert w.write(b"raw bytes") == 9
    assert r.read(100, timeout=1) == b"raw bytes"
    # A frame read raw shows the wire format.
    w.send(b"abc")
    assert r.read(100, timeout=1) == frame(b"abc")
    w.close()
    assert r.read(100, timeout=1) == b""


def test_readable_and_fileno_for_select(chan_pipe):
    r, w = chan_pipe
    assert not r.readable()
    assert select.select([r], [], [], 0)[0] == []
    w.send(b"1")
    w.send(b"2")
    assert select.select([r], [], [], 1)[0] == [r]
    assert r.recv(timeout=1) == b"1"
    # The second frame was read ahead: readable() says so, not the fd.
    assert r.readable()
    assert r.recv(timeout=0) == b"2"


# --- would block / timeout --------------------------------------------------

def test_recv_would_block_and_times_out(chan_pipe):
    r, _ = chan_pipe
    with pytest.raises(BlockingIOError):
        r.recv(timeout=0)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        r.recv(timeout=0.1)
    assert 0.1 <= time.monotonic() - t0 < 2
    with pytest.raises(BlockingIOError):
        r.read(10, timeout=0)


def test_send_on_full_pipe_would_block_and_times_out(chan_pipe):
    r, w = chan_pipe
    chunk = b"x" * 4096
    for _ in range(1000):            # 64 KiB fill it; 4 MiB is a bound
        try:
            w.send(chunk, timeout=0)
        except BlockingIOError:
            break
    else:
        pytest.fail("a pipe never filled")
    t0 = time.monotonic()
    with pytest.raises((TimeoutError, BlockingIOError)):
        w.send(chunk, timeout=0.1)
    assert time.monotonic() - t0 < 2


def test_send_without_reader_is_broken_pipe(chan_pipe):
    r, w = chan_pipe
    r.close()
    with pytest.raises(BrokenPipeError):
        w.send(b"nobody", timeout=1)
    with pytest.raises(BrokenPipeError):
        w.write(b"nobody", timeout=1)


# --- closed handles and misuse ----------------------------------------------

def test_closed_channel_refuses_everything():
    r, w = ipc.pipe()
    r.close()
    w.close()
    w.close()                        # idempotent
    assert r.closed and w.closed
    assert "closed" in repr(r)
    calls = [lambda: w.send(b"x"), lambda: r.recv(), lambda: r.recv(0),
             lambda: r.recv_into(bytearray(4)), lambda: w.write(b"x"),
             lambda: r.read(4), lambda: r.fileno(), lambda: r.readable(),
             lambda: r.url, lambda: r.kind, lambda: r.max_message_size,
             lambda: next(iter(r)), lambda: r.recv_meta(),
             lambda: r.recv_fds(), lambda: w.send_fds(b"x", [0]),
             lambda: r.peer_credentials()]
    for call in calls:
        with pytest.raises(ValueError):
            call()


def test_context_manager_closes():
    r, w = ipc.pipe()
    with r, w:
        w.send(b"x")
        assert r.recv(1) == b"x"
    assert r.closed and w.closed


def test_wrong_direction_and_bad_arguments(chan_pipe):
    r, w = chan_pipe
    with pytest.raises(ValueError):
        r.send(b"read end")
    with pytest.raises(ValueError):
        w.recv(timeout=0)
    with pytest.raises(TypeError):
        w.send("str is not bytes")
    with pytest.raises(ValueError):
        r.recv(timeout=-1)
    with pytest.raises(TypeError):
        r.recv(timeout="1")
    with pytest.raises(ValueError):
        r.read(0)
    with pytest.raises(ValueError):
        r.read(-1)
    with pytest.raises(ValueError):       # priority is mq's alone
        w.send(b"x", priority=3)


def test_unclosed_channel_warns():
    r, w = ipc.pipe()
    w.close()
    with pytest.warns(ResourceWarning):
        del r
        import gc
        gc.collect()


# --- fd:N -------------------------------------------------------------------

def test_fd_url_adopts_descriptors():
    rfd, wfd = os.pipe()
    r = ipc.open(f"fd:{rfd}", "r")
    w = ipc.open(f"fd:{wfd}", "w")
    with r, w:
        assert r.url == f"fd:{rfd}" and r.kind == "fd"
        w.send(b"over fd")
        assert r.recv(timeout=1) == b"over fd"
    # The channels owned the descriptors and closed them.
    for fd in (rfd, wfd):
        with pytest.raises(OSError):
            os.fstat(fd)


def test_fd_url_direction_none_takes_access_mode():
    rfd, wfd = os.pipe()
    with ipc.open(f"fd:{rfd}", None) as r, ipc.open(f"fd:{wfd}", None) as w:
        w.send(b"x")
        assert r.recv(timeout=1) == b"x"


def test_fd_url_wrong_direction_leaves_descriptor():
    rfd, wfd = os.pipe()
    try:
        with pytest.raises(ValueError):
            ipc.open(f"fd:{rfd}", "w")
        os.fstat(rfd)                # still ours
    finally:
        os.close(rfd)
        os.close(wfd)


def test_fd_url_not_open_is_ebadf():
    rfd, wfd = os.pipe()
    os.close(rfd)
    os.close(wfd)
    with pytest.raises(OSError) as ei:
        ipc.open(f"fd:{rfd}", "r")
    assert ei.value.errno == errno.EBADF
    assert ei.value.filename == f"fd:{rfd}"


def test_fd_url_max_message_size():
    rfd, wfd = os.pipe()
    with ipc.open(f"fd:{rfd}", "r") as r, \
            ipc.open(f"fd:{wfd}", "w", max_message_size=16) as w:
        assert w.max_message_size == 16
        with pytest.raises(OSError) as ei:
            w.send(b"x" * 17)
        assert ei.value.errno == errno.EMSGSIZE
        w.send(b"x" * 16)
        assert r.recv(timeout=1) == b"x" * 16


def test_fd_url_capacity():
    fcntl = pytest.importorskip("fcntl")
    rfd, wfd = os.pipe()
    os.close(rfd)
    with ipc.open(f"fd:{wfd}", "w", capacity="256KiB") as w:
        assert fcntl.fcntl(w.fileno(), fcntl.F_GETPIPE_SZ) == 256 << 10


# --- interop ----------------------------------------------------------------

def test_plain_os_pipe_writer_speaks_frames():
    rfd, wfd = os.pipe()
    msgs = [b"first", b"", b"x" * 5000]
    blob = b"".join(frame(m) for m in msgs)
    with ipc.open(f"fd:{rfd}", "r") as r:
        try:
            # Headers and payloads split byte by byte, then the rest.
            for i in range(20):
                os.write(wfd, blob[i:i + 1])
            os.write(wfd, blob[20:])
        finally:
            os.close(wfd)
        assert list(r) == msgs


def test_plain_os_pipe_reader_gets_frames():
    rfd, wfd = os.pipe()
    try:
        with ipc.open(f"fd:{wfd}", "w") as w:
            w.send(b"hello")
            w.send(b"")
            w.send(b"world")
        data = b""
        while chunk := os.read(rfd, 65536):
            data += chunk
    finally:
        os.close(rfd)
    assert unframe(data) == [b"hello", b"", b"world"]


def test_child_process_writes_to_inherited_descriptor(run_python):
    r, w = ipc.pipe()
    with r, w:
        wfd = w.fileno()
        os.set_inheritable(wfd, True)
        code = ("import sys, ipc\n"
                "w = ipc.open('fd:' + sys.argv[1], 'w')\n"
                "for i in range(1000): w.send(b'msg%d' % i)\n"
                "w.close()\n")
        done = []
        t = threading.Thread(target=lambda: done.append(
            run_python(code, str(wfd), pass_fds=(wfd,))))
        t.start()
        try:
            got = [r.recv(timeout=30) for _ in range(1000)]
        finally:
            t.join()
        assert done[0].returncode == 0, done[0].stderr
        assert got == [b"msg%d" % i for i in range(1000)]
        # Our own write end is the last one: closing it ends the stream.
        w.close()
        with pytest.raises(BrokenPipeError):
            r.recv(timeout=5)


def test_signal_handler_interrupts_blocked_recv(chan_pipe):
    import signal
    r, _ = chan_pipe

    def handler(signo, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGALRM, handler)
    try:
        # 50 ms: inside the ring's first 100 ms futex slice (a signal at a
        # slice boundary is lost to the core: see the P1 report).
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        t0 = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            r.recv(timeout=10)
        assert time.monotonic() - t0 < 2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
