# SPDX-License-Identifier: MIT
"""ipc.MessageQueue: round trip, would-block/timeout, closed-handle misuse,
EEXIST/ENOENT, and an independent peer (mq_open(3) and friends through
ctypes) in both directions."""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import gc
import os
import select
import signal
import threading
import time

import pytest

import ipc
from ipc.mq import MessageQueue, PRIORITY_MAX


# --- an independent peer: libc's mq_* through ctypes ------------------------

class MqAttr(ctypes.Structure):
    _fields_ = [("mq_flags", ctypes.c_long), ("mq_maxmsg", ctypes.c_long),
                ("mq_msgsize", ctypes.c_long), ("mq_curmsgs", ctypes.c_long),
                ("reserved", ctypes.c_long * 4)]


def _librt():
    # glibc >= 2.34 has mq_* in libc itself; older ones in librt.
    lib = ctypes.CDLL(ctypes.util.find_library("rt") or "libc.so.6",
                      use_errno=True)
    lib.mq_send.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t,
                            ctypes.c_uint]
    lib.mq_receive.argtypes = [ctypes.c_int, ctypes.c_char_p,
                               ctypes.c_size_t,
                               ctypes.POINTER(ctypes.c_uint)]
    lib.mq_receive.restype = ctypes.c_ssize_t
    lib.mq_close.argtypes = [ctypes.c_int]
    lib.mq_unlink.argtypes = [ctypes.c_char_p]
    return lib


rt = _librt()


def _check(ret):
    if ret == -1:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return ret


class CQueue:
    """A queue opened by libc's mq_open, not by the library."""

    def __init__(self, name, create=False, maxmsg=4, msgsize=128):
        flags = os.O_RDWR | (os.O_CREAT if create else 0)
        attr = MqAttr(0, maxmsg, msgsize, 0)
        # mq_open is variadic: pass the mode and attr with explicit types.
        self.fd = _check(rt.mq_open(name.encode(), ctypes.c_int(flags),
                                    ctypes.c_uint(0o600),
                                    ctypes.byref(attr)))
        self.msgsize = msgsize

    def send(self, data, prio=0):
        _check(rt.mq_send(self.fd, data, len(data), prio))

    def receive(self):
        buf = ctypes.create_string_buffer(self.msgsize)
        prio = ctypes.c_uint()
        n = _check(rt.mq_receive(self.fd, buf, self.msgsize,
                                 ctypes.byref(prio)))
        return buf.raw[:n], prio.value

    def close(self):
        _check(rt.mq_close(self.fd))


@pytest.fixture
def queue(unique_name):
    q = MessageQueue(unique_name("mq"), create=True, max_messages=4,
                     max_message_size=128)
    yield q
    q.close()


# --- round trip --------------------------------------------------------------

def test_round_trip_any_bytes_like(queue):
    queue.send(b"bytes")
    queue.send(bytearray(b"bytearray"))
    queue.send(memoryview(b"xmemoryview")[1:])
    queue.send(b"")
    assert queue.attributes.messages == 4
    assert queue.receive(timeout=1) == (b"bytes", 0)
    assert queue.receive(timeout=1) == (b"bytearray", 0)
    assert queue.receive(timeout=1) == (b"memoryview", 0)
    assert queue.receive(timeout=1) == (b"", 0)


def test_str_is_refused(queue):
    with pytest.raises(TypeError):
        queue.send("text")


def test_priority_order(queue):
    for data, prio in [(b"low", 1), (b"high", 30), (b"mid", 7),
                       (b"low2", 1)]:
        queue.send(data, priority=prio)
    got = [queue.receive(timeout=1) for _ in range(4)]
    assert got == [(b"high", 30), (b"mid", 7), (b"low", 1), (b"low2", 1)]


def test_priority_out_of_range(queue):
    queue.send(b"top", priority=PRIORITY_MAX - 1)
    assert queue.receive(0) == (b"top", PRIORITY_MAX - 1)
    with pytest.raises(ValueError):
        queue.send(b"x", priority=PRIORITY_MAX)


def test_exactly_max_message_size_and_one_over(queue):
    assert queue.max_message_size == 128
    queue.send(b"m" * 128)
    assert queue.receive(timeout=1) == (b"m" * 128, 0)
    with pytest.raises(OSError) as ei:
        queue.send(b"m" * 129)
    assert ei.value.errno == errno.EMSGSIZE
    assert ei.value.filename == queue.name
    assert queue.attributes.messages == 0      # nothing went in


def test_attributes_and_mode(unique_name):
    name = unique_name("mq")
    with MessageQueue(name, create=True, mode=0o640, max_messages=3,
                      max_message_size="1KiB") as q:
        assert q.attributes == (3, 1024, 0)
        assert q.attributes.max_messages == 3
        assert q.name == name
        assert repr(q) == f"<ipc.MessageQueue {name!r}>"
        st = os.stat("/dev/mqueue" + name)
        assert st.st_mode & 0o777 == 0o640      # exactly, whatever the umask


def test_second_handle_and_shape_check(queue):
    # Opening with the same shape agrees; another shape is refused.
    with MessageQueue(queue.name, max_message_size=128) as q2:
        q2.send(b"via q2", 3)
        assert queue.receive(1) == (b"via q2", 3)
    with pytest.raises(ValueError):
        MessageQueue(queue.name, max_message_size=64)


def test_limits_are_named(unique_name):
    with open("/proc/sys/fs/mqueue/msg_max") as f:
        msg_max = int(f.read())
    with pytest.raises(ValueError, match="msg_max"):
        MessageQueue(unique_name("mq"), create=True,
                     max_messages=msg_max + 1)


def test_fileno_is_pollable(queue):
    p = select.poll()
    p.register(queue.fileno(), select.POLLIN)
    assert p.poll(0) == []
    queue.send(b"x")
    assert p.poll(1000) == [(queue.fileno(), select.POLLIN)]
    queue.receive(0)


def test_write_only_and_read_only_access(queue):
    with MessageQueue(queue.name, access="w") as w, \
            MessageQueue(queue.name, access="r") as r:
        w.send(b"one way")
        assert r.receive(1) == (b"one way", 0)
        with pytest.raises(OSError) as ei:
            r.send(b"nope")
        assert ei.value.errno == errno.EBADF
        with pytest.raises(OSError) as ei:
            w.receive(0)
        assert ei.value.errno == errno.EBADF


def test_child_process_sends(queue, run_python):
    code = ("import sys, ipc\n"
            "with ipc.MessageQueue(sys.argv[1]) as q:\n"
            "    q.send(b'from child', priority=5)\n")
    r = run_python(code, queue.name)
    assert r.returncode == 0, r.stderr.decode()
    assert queue.receive(timeout=5) == (b"from child", 5)


def test_blocked_receive_releases_the_gil(queue):
    # A receive blocked for ever in one thread must let another run.
    got = []
    t = threading.Thread(target=lambda: got.append(queue.receive()))
    t.start()
    time.sleep(0.05)
    queue.send(b"wake", 2)
    t.join(5)
    assert not t.is_alive()
    assert got == [(b"wake", 2)]


def test_unlink_keeps_handle_working(queue):
    queue.unlink()
    assert queue.unlinked
    queue.send(b"still")
    assert queue.receive(0) == (b"still", 0)
    with pytest.raises(FileNotFoundError):
        MessageQueue(queue.name)


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
    assert ei.value.filename == queue.name


def test_receive_timeout(queue):
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        queue.receive(timeout=0.1)
    assert 0.1 <= time.monotonic() - t0 < 2


def test_send_full_would_block_then_times_out(queue):
    for i in range(4):
        queue.send(b"%d" % i, timeout=0)
    with pytest.raises(BlockingIOError):
        queue.send(b"full", timeout=0)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        queue.send(b"full", timeout=0.1)
    assert 0.1 <= time.monotonic() - t0 < 2


def test_negative_timeout_is_misuse(queue):
    with pytest.raises(ValueError):
        queue.receive(timeout=-1)


# --- closed handle -----------------------------------------------------------

def test_closed_handle(unique_name):
    name = unique_name("mq")
    q = MessageQueue(name, create=True)
    q.close()
    q.close()                                  # idempotent
    assert q.closed
    assert repr(q) == "<ipc.MessageQueue closed>"
    for call in (lambda: q.send(b"x"), lambda: q.receive(0), q.fileno,
                 lambda: q.attributes, lambda: q.max_message_size,
                 lambda: q.unlinked):
        with pytest.raises(ValueError, match="closed"):
            call()
    assert q.name == name
    q.unlink()                                  # by name: allowed


def test_unclosed_handle_warns(unique_name):
    q = MessageQueue(unique_name("mq"), create=True)
    with pytest.warns(ResourceWarning):
        del q
        gc.collect()


# --- EEXIST / ENOENT ---------------------------------------------------------

def test_exclusive_create_of_existing(queue):
    with pytest.raises(FileExistsError) as ei:
        MessageQueue(queue.name, create=True, exclusive=True)
    assert ei.value.filename == queue.name


def test_open_missing(unique_name):
    name = unique_name("mq")
    with pytest.raises(FileNotFoundError) as ei:
        MessageQueue(name)
    assert ei.value.errno == errno.ENOENT
    assert ei.value.filename == name


def test_unlink_twice(unique_name):
    name = unique_name("mq")
    MessageQueue(name, create=True).close()
    ipc.unlink("mq:" + name)
    MessageQueue(name, create=True).close()
    MessageQueue.unlink(name)                  # by name, no handle
    assert not os.path.exists("/dev/mqueue" + name)
    with MessageQueue(name, create=True) as q:
        q.unlink()
        with pytest.raises(FileNotFoundError):
            q.unlink()


@pytest.mark.parametrize("bad", ["noslash", "/a/b", ""])
def test_bad_names(bad):
    with pytest.raises(ValueError):
        MessageQueue(bad, create=True)


def test_bad_arguments():
    with pytest.raises(TypeError):
        MessageQueue(b"/bytes")
    with pytest.raises(ValueError):
        MessageQueue("/x", create=True, mode=0o1777)
    with pytest.raises(ValueError):
        MessageQueue("/x", create=True, max_messages=-1)
    with pytest.raises(ValueError):
        MessageQueue("/x", access="x")


# --- an independent peer: libc through ctypes --------------------------------

def test_libc_peer_receives_ours(queue):
    peer = CQueue(queue.name)
    try:
        queue.send(b"to libc", priority=9)
        queue.send(b"x" * 128, priority=1)
        assert peer.receive() == (b"to libc", 9)
        assert peer.receive() == (b"x" * 128, 1)
    finally:
        peer.close()


def test_ours_receives_libc(unique_name):
    # The queue is created by libc this time; we open what exists.
    name = unique_name("mq")
    peer = CQueue(name, create=True, maxmsg=5, msgsize=200)
    try:
        peer.send(b"from libc", 3)
        peer.send(b"urgent", 20)
        with MessageQueue(name) as q:
            assert q.attributes[:2] == (5, 200)
            assert q.receive(timeout=1) == (b"urgent", 20)
            assert q.receive(timeout=1) == (b"from libc", 3)
    finally:
        peer.close()
