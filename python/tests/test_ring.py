# SPDX-License-Identifier: MIT
"""The message ring: ipc.Ring and ring: URLs.

Round trip (in one process and with a child Python process on the other
end), would-block/timeout on an empty and a full ring, closed-handle
misuse, EEXIST/ENOENT, and what only a ring has: stats(), capacity,
unlink(), recv_into straight from the shared mapping.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import threading
import time

import pytest

import ipc


@pytest.fixture
def ring(unique_name):
    name = unique_name("ring")
    r = ipc.Ring(name, capacity=64 << 10, create=True, exclusive=True)
    yield r
    r.close()


# --- round trip -------------------------------------------------------------

def test_round_trip(ring):
    msgs = [b"one", b"", bytearray(b"two"), memoryview(b"three"),
            os.urandom(1000)]
    for m in msgs:
        ring.send(m)
    assert [ring.recv(timeout=1) for _ in msgs] == [bytes(m) for m in msgs]
    assert ring.kind == "ring"
    assert ring.url.startswith("ring:" + ring.name)
    assert ring.name in repr(ring)
    assert isinstance(ring, ipc.Channel)


def test_two_handles_producer_and_consumer(ring):
    with ipc.Ring(ring.name, direction="w") as w, \
            ipc.Ring(ring.name, direction="r") as r:
        for i in range(500):
            w.send(b"%d" % i)
        assert [r.recv(timeout=1) for _ in range(500)] == \
            [b"%d" % i for i in range(500)]
        with pytest.raises(ValueError):
            r.send(b"read-only")
        with pytest.raises(ValueError):
            w.recv(timeout=0)


def test_recv_into_memoryview(ring):
    ring.send(b"zero-copy-ish")
    buf = bytearray(64)
    n = ring.recv_into(memoryview(buf)[10:], timeout=1)
    assert n == 13 and bytes(buf[10:23]) == b"zero-copy-ish"


def test_recv_into_too_small_keeps_message(ring):
    ring.send(b"0123456789")
    with pytest.raises(OSError) as ei:
        ring.recv_into(bytearray(5), timeout=1)
    assert ei.value.errno == errno.EMSGSIZE
    assert ring.recv(timeout=1) == b"0123456789"


def test_one_mebibyte_message(unique_name):
    with ipc.Ring(unique_name(), capacity=4 << 20, create=True) as r:
        big = os.urandom(1 << 20)
        r.send(big, timeout=1)
        assert r.recv(timeout=1) == big
        r.send(big, timeout=1)
        buf = bytearray(1 << 20)
        assert r.recv_into(buf, timeout=1) == 1 << 20 and buf == big


def test_open_url_gives_a_ring(unique_name):
    name = unique_name()
    with ipc.open(f"ring:{name}?capacity=8KiB", create=True) as r:
        assert type(r) is ipc.Ring
        assert r.name == name and r.capacity == 8192
        r.send(b"x")
        assert r.stats()["msgs_in"] == 1
    with ipc.connect(f"ring:{name}") as r:
        assert type(r) is ipc.Ring and r.recv(timeout=1) == b"x"


def test_capacity_and_limits(unique_name):
    name = unique_name()
    with ipc.Ring(name, capacity=5000, create=True) as r:
        assert r.capacity == 8192                 # a power of two
        assert r.max_message_size == 8192 // 2 - 16
        # Opening it again with another capacity keeps the real one.
        with ipc.Ring(name, capacity=1 << 20) as again:
            assert again.capacity == 8192
        with ipc.Ring(name, max_message_size=100) as small:
            assert small.max_message_size == 100
            with pytest.raises(OSError) as ei:
                small.send(b"x" * 101)
            assert ei.value.errno == errno.EMSGSIZE
            small.send(b"x" * 100)
        assert r.recv(timeout=1) == b"x" * 100
        with pytest.raises(OSError) as ei:
            r.send(b"x" * (r.max_message_size + 1))
        assert ei.value.errno == errno.EMSGSIZE


def test_stats_count_traffic(ring):
    for _ in range(3):
        ring.send(b"12345")
    ring.recv(timeout=1)
    st = ring.stats()
    assert st["capacity"] == ring.capacity
    assert st["msgs_in"] == 3 and st["bytes_in"] == 15
    assert st["msgs_out"] >= 0 and st["used"] > 0
    assert set(st) >= {"max_message", "high_water", "bytes_out",
                       "recovered", "lost"}


def test_readable_and_no_descriptor(ring):
    assert not ring.readable()
    ring.send(b"x")
    assert ring.readable()
    with pytest.raises(io.UnsupportedOperation):
        ring.fileno()


def test_mode(unique_name):
    name = unique_name()
    with ipc.Ring(name, capacity=4096, create=True, mode=0o640):
        assert stat.S_IMODE(os.stat("/dev/shm" + name).st_mode) == 0o640


def test_messages_until_idle(ring):
    for m in (b"a", b"b", b"c"):
        ring.send(m)
    # A ring has no end of stream: a timeout ends the iteration.
    assert list(ring.messages(timeout=0)) == [b"a", b"b", b"c"]
    t0 = time.monotonic()
    assert list(ring.messages(timeout=0.1)) == []
    assert 0.1 <= time.monotonic() - t0 < 2


# --- a child process on the other end ---------------------------------------

CHILD_PRODUCER = """
import sys, ipc
with ipc.Ring(sys.argv[1], direction="w") as w:
    for i in range(int(sys.argv[2])):
        w.send(b"%08d" % i + b"." * (i % 50), timeout=30)
"""

CHILD_CONSUMER = """
import sys, zlib, ipc
with ipc.Ring(sys.argv[1], direction="r") as r:
    crc = 0
    for _ in range(int(sys.argv[2])):
        crc = zlib.crc32(r.recv(timeout=30), crc)
print(crc)
"""


def in_thread(fn):
    out = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    return t, out


def test_child_process_producer(ring, run_python):
    n = 20000        # far more than the 64 KiB ring holds at once
    t, out = in_thread(lambda: run_python(CHILD_PRODUCER, ring.name, str(n)))
    try:
        buf = bytearray(100)
        for i in range(n):
            k = ring.recv_into(buf, timeout=30)
            assert bytes(buf[:k]) == b"%08d" % i + b"." * (i % 50)
    finally:
        t.join()
    assert out[0].returncode == 0, out[0].stderr
    assert ring.stats()["msgs_out"] == n


def test_child_process_consumer(ring, run_python):
    import zlib
    n = 20000
    t, out = in_thread(lambda: run_python(CHILD_CONSUMER, ring.name, str(n)))
    crc = 0
    try:
        for i in range(n):
            m = b"%08d" % i + b"." * (i % 50)
            crc = zlib.crc32(m, crc)
            ring.send(m, timeout=30)
    finally:
        t.join()
    assert out[0].returncode == 0, out[0].stderr
    assert int(out[0].stdout) == crc


# --- would block / timeout --------------------------------------------------

def test_empty_ring_would_block_and_times_out(ring):
    with pytest.raises(BlockingIOError):
        ring.recv(timeout=0)
    with pytest.raises(BlockingIOError):
        ring.recv_into(bytearray(10), timeout=0)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        ring.recv(timeout=0.1)
    assert 0.1 <= time.monotonic() - t0 < 2


def test_full_ring_would_block_and_times_out(unique_name):
    with ipc.Ring(unique_name(), capacity=4096, create=True) as r:
        sent = 0
        for _ in range(10000):
            try:
                r.send(b"x" * 100, timeout=0)
                sent += 1
            except BlockingIOError:
                break
        else:
            pytest.fail("the ring never filled")
        assert sent > 10
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            r.send(b"x" * 100, timeout=0.1)
        assert 0.1 <= time.monotonic() - t0 < 2
        r.recv(timeout=0)
        r.recv(timeout=0)           # the first one's room is back now
        r.send(b"x" * 100, timeout=0)


# --- EEXIST / ENOENT --------------------------------------------------------

def test_exclusive_on_existing_is_file_exists(ring):
    with pytest.raises(FileExistsError) as ei:
        ipc.Ring(ring.name, create=True, exclusive=True)
    assert ei.value.filename == ring.name
    with pytest.raises(FileExistsError) as ei:
        ipc.open("ring:" + ring.name, exclusive=True)
    assert ei.value.filename == "ring:" + ring.name


def test_missing_is_file_not_found(unique_name):
    name = unique_name()
    with pytest.raises(FileNotFoundError) as ei:
        ipc.Ring(name)
    assert ei.value.filename == name
    with pytest.raises(FileNotFoundError) as ei:
        ipc.open("ring:" + name)
    assert ei.value.filename == "ring:" + name


def test_unlink_instance_and_by_name(unique_name):
    name = unique_name()
    r = ipc.Ring(name, capacity=4096, create=True)
    r.close()
    r.unlink()                      # works after close
    assert not os.path.exists("/dev/shm" + name)
    with pytest.raises(FileNotFoundError) as ei:
        r.unlink()
    assert ei.value.filename == name
    with ipc.Ring(name, capacity=4096, create=True) as r2:
        ipc.Ring.unlink(name)
        # Open handles keep working after the name is gone.
        r2.send(b"still here")
        assert r2.recv(timeout=1) == b"still here"
    with pytest.raises(FileNotFoundError):
        ipc.Ring.unlink(name)


# --- closed handles and misuse ----------------------------------------------

def test_closed_ring_refuses_everything(ring):
    name = ring.name
    ring.close()
    ring.close()
    assert ring.closed and "closed" in repr(ring)
    assert ring.name == name
    for call in (lambda: ring.send(b"x"), lambda: ring.recv(0),
                 lambda: ring.recv_into(bytearray(4), 0),
                 lambda: ring.stats(), lambda: ring.capacity,
                 lambda: ring.readable(), lambda: ring.fileno(),
                 lambda: ring.max_message_size, lambda: next(ring)):
        with pytest.raises(ValueError):
            call()


def test_bad_arguments(unique_name):
    name = unique_name()
    with pytest.raises(ValueError):
        ipc.Ring("no-slash", create=True)
    with pytest.raises(ValueError):
        ipc.Ring(name + "?capacity=4096", create=True)
    with pytest.raises(TypeError):
        ipc.Ring(42)
    with pytest.raises(ValueError):
        ipc.Ring(name, capacity=2 << 30, create=True)
    with pytest.raises(ValueError):
        ipc.Ring(name, create=True, direction="x")
    with pytest.raises(ValueError):
        ipc.Ring(name, create=True, mode=0)
    assert not os.path.exists("/dev/shm" + name)


def test_bad_message_arguments(ring):
    with pytest.raises(TypeError):
        ring.send("str")
    with pytest.raises(ValueError):
        ring.recv(timeout=-1)
    with pytest.raises(TypeError):
        ring.send(b"x", priority=1)
    with pytest.raises(OSError) as ei:     # raw bytes are for streams
        ring.write(b"x")
    assert ei.value.errno == errno.EOPNOTSUPP


def test_refused_max_message_size_leaves_no_ring(unique_name):
    name = unique_name()
    with pytest.raises(ValueError):
        ipc.Ring(name, capacity=4096, create=True, max_message_size=4096)
    assert not os.path.exists("/dev/shm" + name)


def test_signal_handler_interrupts_blocked_recv(ring):
    import signal

    class Interrupted(Exception):
        pass

    def handler(signo, frame):
        raise Interrupted

    old = signal.signal(signal.SIGALRM, handler)
    try:
        # 50 ms: inside the ring's first 100 ms futex slice (a signal at a
        # slice boundary is lost to the core: see the P1 report).
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        t0 = time.monotonic()
        with pytest.raises(Interrupted):
            ring.recv(timeout=10)   # only the signal ends it early
        assert time.monotonic() - t0 < 2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    # A handler that returns normally: the wait goes on to its deadline.
    signal.signal(signal.SIGALRM, lambda s, f: None)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            ring.recv(timeout=0.3)
        assert 0.3 <= time.monotonic() - t0 < 2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
