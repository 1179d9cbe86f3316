# SPDX-License-Identifier: MIT
"""ipc.SysVMessageQueue: round trip with types, would-block/timeout,
closed-handle misuse, EEXIST/ENOENT, removal, and an independent peer
(python3-sysv-ipc) in both directions."""

from __future__ import annotations

import errno
import gc
import os
import signal
import threading
import time

import pytest
import sysv_ipc

import ipc
from ipc.sysvmq import SysVMessageQueue


@pytest.fixture
def queue(unique_key):
    q = SysVMessageQueue(unique_key(), create=True)
    yield q
    q.close()


# --- round trip --------------------------------------------------------------

def test_round_trip_types(queue):
    queue.send(b"one")                       # type 1 by default
    queue.send(bytearray(b"seven"), type=7)
    queue.send(memoryview(b"three"), type=3)
    queue.send(b"", type=2)
    assert queue.stat()["messages"] == 4
    assert queue.receive(type=7, timeout=1) == (b"seven", 7)
    assert queue.receive(type=-3, timeout=1) == (b"one", 1)   # lowest <= 3
    assert queue.receive(type=3, exclude=True, timeout=1) == (b"", 2)
    assert queue.receive(timeout=1) == (b"three", 3)


def test_fifo_order_within_any_type(queue):
    for i in range(5):
        queue.send(b"%d" % i, type=5 - i)
    assert [queue.receive(0) for _ in range(5)] == \
        [(b"%d" % i, 5 - i) for i in range(5)]


def test_exactly_max_message_size_and_one_over(queue):
    n = queue.max_message_size
    with open("/proc/sys/kernel/msgmax") as f:
        assert n == int(f.read())
    queue.send(b"m" * n)
    assert queue.receive(timeout=1) == (b"m" * n, 1)
    with pytest.raises(OSError) as ei:
        queue.send(b"m" * (n + 1))
    assert ei.value.errno == errno.EMSGSIZE
    assert queue.stat()["messages"] == 0


def test_type_below_one_is_misuse(queue):
    with pytest.raises(ValueError):
        queue.send(b"x", type=0)
    with pytest.raises(ValueError):
        queue.receive(type=0, exclude=True, timeout=0)


def test_stat_and_identity(unique_key):
    key = unique_key()
    with SysVMessageQueue(key, create=True, mode=0o640) as q:
        st = q.stat()
        assert st["key"] == key and st["mode"] == 0o640
        assert st["uid"] == os.geteuid()
        assert q.key == key and q.id >= 0
        q.send(b"abc", type=4)
        st = q.stat()
        assert (st["messages"], st["bytes"]) == (1, 3)
        assert st["last_send_pid"] == os.getpid()
        assert repr(q) == f"<ipc.SysVMessageQueue key=0x{key:08x} id={q.id}>"


def test_key_forms(unique_key, tmp_path):
    key = unique_key()
    with SysVMessageQueue(key, create=True) as a, \
            SysVMessageQueue(f"0x{key:x}") as b:
        assert a.id == b.id
    path = tmp_path / "ftok"
    path.touch()
    q = SysVMessageQueue((str(path), 7), create=True, exclusive=True)
    try:
        with SysVMessageQueue(f"{path}:7") as same:
            assert same.id == q.id
        assert q.key == sysv_ipc.ftok(str(path), 7, silence_warning=True)
    finally:
        q.remove()
        q.close()


def test_private_queue_by_id():
    q = SysVMessageQueue(0)
    try:
        assert q.key == 0
        with SysVMessageQueue.from_id(q.id) as peer:
            peer.send(b"by id", type=2)
        assert q.receive(timeout=1) == (b"by id", 2)
    finally:
        q.remove()
        q.close()


def test_child_process_sends(queue, run_python):
    code = ("import sys, ipc\n"
            "with ipc.SysVMessageQueue(int(sys.argv[1])) as q:\n"
            "    q.send(b'from child', type=9)\n")
    r = run_python(code, str(queue.key))
    assert r.returncode == 0, r.stderr.decode()
    assert queue.receive(type=9, timeout=5) == (b"from child", 9)


def test_remove_wakes_blocked_receiver(queue):
    # The receiver blocks in the kernel (timeout None) with the GIL
    # released; remove() from this thread wakes it with EIDRM.
    errs = []

    def recv():
        try:
            queue.receive()
        except OSError as e:
            errs.append(e.errno)

    t = threading.Thread(target=recv)
    t.start()
    time.sleep(0.05)
    queue.remove()
    t.join(5)
    assert not t.is_alive()
    assert errs == [errno.EIDRM]
    with pytest.raises(OSError) as ei:
        queue.send(b"x")
    assert ei.value.errno == errno.EIDRM


class Interrupted(Exception):
    pass


def test_signal_handler_interrupts_blocked_receive(queue):
    # PEP 475: the wait is retried after EINTR unless the handler raised;
    # here it raises, and that exception ends the wait.
    def handler(signo, frame):
        raise Interrupted

    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        t0 = time.monotonic()
        with pytest.raises(Interrupted):
            queue.receive()
        assert time.monotonic() - t0 < 2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# --- would block / timeout ---------------------------------------------------

def test_receive_empty_would_block(queue):
    with pytest.raises(BlockingIOError) as ei:
        queue.receive(timeout=0)
    assert ei.value.filename == f"0x{queue.key:08x}"


def test_receive_timeout(queue):
    queue.send(b"other type", type=2)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        queue.receive(type=1, timeout=0.1)
    assert 0.1 <= time.monotonic() - t0 < 2


def test_send_full_would_block_then_times_out(queue):
    cap = queue.stat()["max_bytes"]
    n = queue.max_message_size
    for _ in range(cap // n):
        queue.send(b"f" * n, timeout=0)
    with pytest.raises(BlockingIOError):
        queue.send(b"f" * n, timeout=0)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        queue.send(b"f" * n, timeout=0.1)
    assert 0.1 <= time.monotonic() - t0 < 2


# --- closed handle -----------------------------------------------------------

def test_closed_handle(unique_key):
    key = unique_key()
    q = SysVMessageQueue(key, create=True)
    q.close()
    q.close()
    assert q.closed and repr(q) == "<ipc.SysVMessageQueue closed>"
    for call in (lambda: q.send(b"x"), lambda: q.receive(timeout=0),
                 q.stat, q.remove, lambda: q.max_message_size,
                 lambda: q.set_max_bytes(100)):
        with pytest.raises(ValueError, match="closed"):
            call()
    assert q.key == key
    ipc.unlink(f"sysvmq:{key}")          # the queue itself stayed


def test_unclosed_handle_warns(unique_key):
    q = SysVMessageQueue(unique_key(), create=True)
    with pytest.warns(ResourceWarning):
        del q
        gc.collect()


# --- EEXIST / ENOENT ---------------------------------------------------------

def test_exclusive_create_of_existing(queue):
    with pytest.raises(FileExistsError) as ei:
        SysVMessageQueue(queue.key, create=True, exclusive=True)
    assert ei.value.filename == f"0x{queue.key:08x}"


def test_open_missing(unique_key):
    with pytest.raises(FileNotFoundError):
        SysVMessageQueue(unique_key())


def test_remove_then_gone(queue):
    queue.remove()
    with pytest.raises(FileNotFoundError):
        SysVMessageQueue(queue.key)
    with pytest.raises(OSError) as ei:
        queue.remove()
    assert ei.value.errno == errno.EIDRM


def test_bad_keys():
    with pytest.raises(TypeError):
        SysVMessageQueue(1.5)
    with pytest.raises(ValueError):
        SysVMessageQueue(2**32)
    with pytest.raises(ValueError):
        SysVMessageQueue("not a key")


# --- an independent peer: python3-sysv-ipc -----------------------------------

def test_sysv_ipc_receives_ours(queue):
    peer = sysv_ipc.MessageQueue(queue.key)
    queue.send(b"first", type=3)
    queue.send(b"second", type=8)
    assert peer.receive(type=8) == (b"second", 8)
    assert peer.receive(block=False) == (b"first", 3)


def test_ours_receives_sysv_ipc(unique_key):
    # Created by sysv_ipc this time; we open what exists.
    key = unique_key()
    peer = sysv_ipc.MessageQueue(key, sysv_ipc.IPC_CREX, mode=0o600)
    peer.send(b"low", type=2)
    peer.send(b"high", type=6)
    with SysVMessageQueue(key) as q:
        assert q.id == peer.id
        assert q.receive(type=6, timeout=1) == (b"high", 6)
        assert q.receive(timeout=1) == (b"low", 2)
