# SPDX-License-Identifier: MIT
"""ipc.Poller: channels (read-ahead, rings), descriptors, timers, misuse.

Independent peers: os.pipe, socket.socketpair and select (a Poller
nested in select.poll through its fileno()).
"""

from __future__ import annotations

import errno
import os
import select
import signal
import socket
import threading
import time

import pytest

import ipc
import ipc.poll


@pytest.fixture
def poller():
    with ipc.Poller() as p:
        yield p


@pytest.fixture
def chans():
    r, w = ipc.pipe()
    with r, w:
        yield r, w


# --- round trips ----------------------------------------------------------

def test_channel_round_trip(poller, chans):
    r, w = chans
    poller.register(r, "r")
    assert poller.poll(0) == []
    w.send(b"one")
    assert poller.poll(1) == [(r, "r")]
    assert r.recv(0) == b"one"
    assert poller.poll(0) == []


def test_read_ahead_is_reported(poller, chans):
    # Both frames arrive in one read: the second sits in the channel's
    # buffer while the descriptor is quiet; the poller still reports it.
    r, w = chans
    w.send(b"a")
    w.send(b"b")
    poller.register(r)
    assert poller.poll(1) == [(r, "r")]
    assert r.recv(0) == b"a"
    assert select.select([r], [], [], 0)[0] == []   # the fd is drained
    assert poller.poll(0) == [(r, "r")]
    assert r.recv(0) == b"b"
    assert poller.poll(0) == []


def test_ring_without_descriptor(poller, unique_name):
    name = unique_name("ring")
    with ipc.Ring(name, capacity=1 << 16, create=True) as cons, \
            ipc.Ring(name) as prod:
        poller.register(cons, "r")
        assert poller.poll(0) == []
        threading.Timer(0.1, prod.send, (b"late",)).start()
        t = time.monotonic()
        assert poller.poll(5) == [(cons, "r")]
        assert time.monotonic() - t < 2
        assert cons.recv(0) == b"late"
        poller.modify(cons, "w")        # a ring is always writable
        assert poller.poll(0) == [(cons, "w")]


def test_descriptors_of_other_kinds(poller, unique_name):
    r, w = os.pipe()
    a, b = socket.socketpair()
    q = ipc.MessageQueue(unique_name("mq"), create=True, max_messages=4,
                         max_message_size=64)
    try:
        poller.register(r)              # an int
        poller.register(a, "r")         # a socket (fileno())
        poller.register(q, "r")         # a POSIX queue
        os.write(w, b"x")
        b.send(b"y")
        q.send(b"z")
        got = dict(poller.poll(1))
        assert got == {r: "r", a: "r", q: "r"}
        assert r in poller and a in poller and len(poller) == 3
        assert set(poller) == {r, a, q}
        poller.unregister(r)
        poller.unregister(a)
        poller.unregister(q)
        assert len(poller) == 0
    finally:
        q.close()
        a.close()
        b.close()
        os.close(r)
        os.close(w)


def test_listener_and_process(poller, sock_path):
    with ipc.listen("unix:" + sock_path("l")) as lst:
        poller.register(lst)
        assert poller.poll(0) == []
        with ipc.connect(lst.url, timeout=5):
            assert poller.poll(1) == [(lst, "r")]
            lst.accept(0).close()
        poller.unregister(lst)
    with ipc.spawn(["sleep", "0.1"]) as p:
        poller.register(p)
        assert poller.poll(5) == [(p, "r")]
        assert p.poll() == 0
        poller.unregister(p)


def test_hangup_and_error_letters(poller):
    r, w = ipc.pipe()
    with r, w:
        poller.register(r, "r")
        w.close()
        assert poller.poll(1) == [(r, "rh")]
        with pytest.raises(BrokenPipeError):
            r.recv(0)
    r, w = ipc.pipe()
    with r, w:
        poller.register(w, "w")
        assert poller.poll(1) == [(w, "w")]
        r.close()
        events = dict(poller.poll(1))[w]
        assert "e" in events, events
        poller.unregister(w)


def test_modify_and_both_directions(poller):
    a, b = socket.socketpair()
    with a, b:
        poller.register(a, "r")
        assert poller.poll(0) == []
        poller.modify(a, "rw")
        assert poller.poll(0) == [(a, "w")]
        b.send(b"!")
        assert poller.poll(0) == [(a, "rw")]


def test_many_sources_over_several_polls(poller):
    pairs = [ipc.pipe() for _ in range(100)]
    try:
        for r, w in pairs:
            poller.register(r)
            w.send(b"m")
        seen = set()
        for _ in range(10):
            for obj, ev in poller.poll(1):
                assert ev == "r"
                assert obj.recv(0) == b"m"
                seen.add(id(obj))
            if len(seen) == 100:
                break
        assert len(seen) == 100
    finally:
        for r, w in pairs:
            r.close()
            w.close()


def test_nested_in_select_poll(poller, chans):
    r, w = chans
    poller.register(r)
    outer = select.poll()
    outer.register(poller, select.POLLIN)
    assert outer.poll(0) == []
    w.send(b"x")
    assert outer.poll(1000) == [(poller.fileno(), select.POLLIN)]


# --- timers -------------------------------------------------------------------

def test_periodic_timer_counts_expirations(poller):
    start = time.monotonic()        # before arming: the timer counts from there
    t = poller.add_timer(0.02)
    assert t.active and t in poller
    assert poller.poll(5) == [(t, "t")]
    assert time.monotonic() - start >= 0.02
    assert t.expirations == 1
    time.sleep(0.1)                 # late: one report, several expirations
    assert poller.poll(0) == [(t, "t")]
    assert t.expirations >= 3
    t.cancel()
    assert not t.active and t not in poller
    assert poller.poll(0.05) == []


def test_one_shot_timer_rearm_disarm(poller):
    t = poller.add_timer(0, first=0.03)
    assert poller.poll(5) == [(t, "t")]
    assert poller.poll(0.1) == []   # once; stays registered
    assert t.active
    t.set(0, first=0)
    assert poller.poll(1) == [(t, "t")]
    t.set(0.01)
    t.disarm()
    assert poller.poll(0.05) == []
    poller.unregister(t)
    assert not t.active
    t.cancel()                      # idempotent
    with pytest.raises(ValueError):
        t.set(1)


# --- would block / timeout ----------------------------------------------------

def test_poll_timeout(poller, chans):
    r, _ = chans
    poller.register(r)
    t = time.monotonic()
    assert poller.poll(0.1) == []
    dt = time.monotonic() - t
    assert 0.1 <= dt < 2, dt
    assert poller.poll(0) == []


def test_empty_poller_waits_for_its_timeout(poller):
    t = time.monotonic()
    assert poller.poll(0.05) == []
    assert time.monotonic() - t >= 0.05


def test_keyboard_interrupt_ends_a_wait(poller, chans):
    r, _ = chans
    poller.register(r)
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    tid = threading.get_ident()
    timer = threading.Timer(0.2, signal.pthread_kill, (tid, signal.SIGINT))
    try:
        timer.start()
        t = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            poller.poll(10)
        assert time.monotonic() - t < 5
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, old)
    assert poller.poll(0) == []     # still usable


# --- closed handles and misuse ------------------------------------------------

def test_closed_poller():
    p = ipc.Poller()
    t = p.add_timer(1)
    p.close()
    p.close()
    assert p.closed and not t.active and len(p) == 0
    r, w = ipc.pipe()
    with r, w:
        for call in (lambda: p.poll(0), lambda: p.register(r),
                     lambda: p.fileno(), lambda: p.add_timer(1)):
            with pytest.raises(ValueError):
                call()
    with pytest.raises(ValueError):
        t.set(1)


def test_closed_object_is_dropped(poller):
    r, w = ipc.pipe()
    poller.register(r)
    w.send(b"x")
    r.close()
    w.close()
    assert poller.poll(0) == []
    assert len(poller) == 0
    # its descriptor number can be registered again at once
    r2, w2 = ipc.pipe()
    with r2, w2:
        poller.register(r2)
        with pytest.raises(ValueError):
            poller.register(r)          # closed: misuse


def test_bad_registrations(poller, chans, tmp_path):
    r, w = chans
    poller.register(r)
    with pytest.raises(FileExistsError):
        poller.register(r, "w")
    with pytest.raises(ValueError):
        poller.register(w, "x")
    with pytest.raises(ValueError):
        poller.register(w, "")
    with pytest.raises(TypeError):
        poller.register(w, 1)
    with pytest.raises(TypeError):
        poller.register(object())
    with pytest.raises(OSError) as ei:
        poller.register(9999)           # not open
    assert ei.value.errno == errno.EBADF
    f = tmp_path / "regular"
    f.write_bytes(b"")
    with open(f, "rb") as fh:
        with pytest.raises(PermissionError):
            poller.register(fh)
    with pytest.raises(ValueError):
        poller.add_timer(-1)
    with pytest.raises(TypeError):
        poller.add_timer("1")
    assert len(poller) == 1


def test_unknown_sources(poller, chans):
    r, w = chans
    with pytest.raises(KeyError):
        poller.unregister(r)
    with pytest.raises(KeyError):
        poller.modify(w, "w")
    with pytest.raises(TypeError):
        ipc.poll.Timer()


def test_same_descriptor_twice_is_refused(poller):
    a, b = socket.socketpair()
    with a, b:
        poller.register(a)
        with pytest.raises(FileExistsError):
            poller.register(a.fileno())   # another key, same descriptor


def test_unclosed_poller_warns():
    p = ipc.Poller()
    with pytest.warns(ResourceWarning):
        del p
        import gc
        gc.collect()
