# SPDX-License-Identifier: MIT
"""Binding hygiene (RELIABILITY.md 2.14, 3.3): signals during blocking
calls, the GIL, PEP 475 retries with the deadline kept, ResourceWarning
for unclosed handles, memory (RSS) and reference counts.

Figures (interrupt latency, RSS growth) are printed: run with -s to see
them. Bounds are generous: the machine is shared and noisy.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time

import pytest

import ipc

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


@pytest.fixture
def pipe_chans():
    r, w = ipc.pipe()
    with r, w:
        yield r, w


@pytest.fixture
def ring_pair(unique_name):
    name = unique_name("ring")
    with ipc.Ring(name, capacity=1 << 16, create=True) as cons, \
            ipc.Ring(name) as prod:
        yield cons, prod


@pytest.fixture(params=["pipe", "ring"])
def pair(request, unique_name):
    """(receiver, sender) of a pipe channel, then of a ring."""
    if request.param == "pipe":
        r, w = ipc.pipe()
        with r, w:
            yield r, w
    else:
        name = unique_name("ring")
        with ipc.Ring(name, capacity=1 << 16, create=True) as cons, \
                ipc.Ring(name) as prod:
            yield cons, prod


class Ticker:
    """Send a signal to the main thread every `every` seconds (or once
    after `first`), recording when the first one went."""

    def __init__(self, sig: int, first: float, every: float = 0.0):
        self.sig, self.first, self.every = sig, first, every
        self.tid = threading.get_ident()
        self.sent_at = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        if self.stop.wait(self.first):
            return
        while True:
            if self.sent_at is None:
                self.sent_at = time.monotonic()
            signal.pthread_kill(self.tid, self.sig)
            if not self.every or self.stop.wait(self.every):
                return

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


@pytest.fixture
def sigint_raises():
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)


@pytest.fixture
def usr1_counter():
    calls = []
    old = signal.signal(signal.SIGUSR1, lambda s, f: calls.append(s))
    yield calls
    signal.signal(signal.SIGUSR1, old)


# --- KeyboardInterrupt during blocking calls --------------------------------

def test_sigint_interrupts_blocking_recv(pair, sigint_raises):
    rx, tx = pair
    # 0.25 s: mid-way through the ring's 100 ms futex slices. A signal
    # that lands between two slices (timer slack lines 0.2 s up with a
    # slice end) is not seen by the core, and the wait goes on: a core
    # issue, reported; this test is about the binding's EINTR path.
    with Ticker(signal.SIGINT, 0.25) as t:
        with pytest.raises(KeyboardInterrupt):
            rx.recv()
        caught = time.monotonic()
    latency = caught - t.sent_at
    print(f"\n{rx.kind}: KeyboardInterrupt {latency * 1e3:.2f} ms after "
          f"SIGINT")
    assert latency < 0.5
    # the handle is intact
    tx.send(b"still works")
    assert rx.recv(timeout=1) == b"still works"


def test_sigint_interrupts_process_wait_and_poll(pipe_chans, sigint_raises):
    r, _ = pipe_chans
    with ipc.spawn(["sleep", "30"]) as p:
        with Ticker(signal.SIGINT, 0.2) as t:
            with pytest.raises(KeyboardInterrupt):
                p.wait()
            latency = time.monotonic() - t.sent_at
        assert latency < 0.5
        with ipc.Poller() as poller:
            poller.register(r)
            with Ticker(signal.SIGINT, 0.2) as t:
                with pytest.raises(KeyboardInterrupt):
                    poller.poll()
                latency = time.monotonic() - t.sent_at
            assert latency < 0.5
        p.kill("KILL")
    assert p.returncode == -9


# --- the GIL ------------------------------------------------------------------

def test_other_threads_run_during_a_blocking_recv(pair):
    rx, tx = pair
    count = [0]

    def worker():
        end = time.monotonic() + 0.2
        while time.monotonic() < end:
            count[0] += 1
        tx.send(b"done")

    t = threading.Thread(target=worker)
    t.start()
    try:
        assert rx.recv(timeout=10) == b"done"
    finally:
        t.join()
    print(f"\n{rx.kind}: the other thread ran {count[0]} loops")
    assert count[0] > 1000


# --- PEP 475: handlers that do not raise --------------------------------------

def test_handler_runs_and_recv_goes_on(pair, usr1_counter):
    rx, tx = pair
    sender = threading.Timer(0.3, tx.send, (b"late",))
    with Ticker(signal.SIGUSR1, 0.05, every=0.05):
        sender.start()
        try:
            assert rx.recv(timeout=10) == b"late"
        finally:
            sender.join()
    assert len(usr1_counter) >= 3


def test_interrupted_recv_keeps_its_deadline(pair, usr1_counter):
    rx, _ = pair
    with Ticker(signal.SIGUSR1, 0.05, every=0.05):
        t = time.monotonic()
        with pytest.raises(TimeoutError):
            rx.recv(timeout=0.5)
        dt = time.monotonic() - t
    print(f"\n{rx.kind}: recv(timeout=0.5) under SIGUSR1 every 50 ms: "
          f"{dt:.3f} s, {len(usr1_counter)} handler calls")
    assert 0.5 <= dt < 1.5, dt
    assert len(usr1_counter) >= 5


# --- ResourceWarning ---------------------------------------------------------------

def test_unclosed_handles_warn(unique_name):
    def pipe_end():
        r, w = ipc.pipe()
        w.close()
        return r

    makers = [pipe_end,
              lambda: ipc.Ring(unique_name("ring"), capacity=1 << 16,
                               create=True),
              ipc.Poller]
    for make in makers:
        obj = make()
        with pytest.warns(ResourceWarning, match="unclosed"):
            del obj
            gc.collect()


def test_closed_handles_do_not_warn(recwarn):
    r, w = ipc.pipe()
    r.close()
    w.close()
    del r, w
    gc.collect()
    assert not [w for w in recwarn if w.category is ResourceWarning]


# --- memory ------------------------------------------------------------------------

def _rss_growth(cycle, n: int, warm: int) -> int:
    for _ in range(warm):
        cycle()
    gc.collect()
    before = rss()
    for _ in range(n):
        cycle()
    gc.collect()
    return rss() - before


def test_rss_pipe_cycles():
    payload = os.urandom(100)

    def cycle():
        r, w = ipc.pipe()
        w.send(payload)
        assert r.recv(0) == payload
        r.close()
        w.close()

    grew = _rss_growth(cycle, 100000, 10000)
    print(f"\npipe: 1e5 open/send/recv/close cycles: RSS {grew / 1024:+.0f} "
          f"KiB")
    assert grew < 1 << 20


def test_rss_ring_cycles(unique_name):
    name = unique_name("ring")
    payload = os.urandom(100)
    with ipc.Ring(name, capacity=1 << 14, create=True):
        def cycle():
            with ipc.Ring(name) as ring:
                ring.send(payload)
                assert ring.recv(0) == payload

        grew = _rss_growth(cycle, 100000, 10000)
    print(f"\nring: 1e5 open/send/recv/close cycles: RSS {grew / 1024:+.0f} "
          f"KiB")
    assert grew < 1 << 20


# --- reference counts --------------------------------------------------------------

def test_refcounts_stable(pair):
    rx, tx = pair
    data = bytes(bytearray(b"refcount") * 8)    # a fresh object
    buf = bytearray(128)
    h_rx, h_tx = rx._h, tx._h

    def calls(n):
        for _ in range(n):
            tx.send(data)
            rx.recv(0)
            tx.send(data)
            rx.recv_into(buf, 0)

    calls(100)                  # warm caches
    gc.collect()
    counts = [sys.getrefcount(o) for o in (data, buf, rx, tx, h_rx, h_tx)]
    nobj = len(gc.get_objects())
    calls(10000)
    gc.collect()
    assert [sys.getrefcount(o) for o in (data, buf, rx, tx, h_rx, h_tx)] == \
        counts
    grew = len(gc.get_objects()) - nobj
    assert abs(grew) <= 10, grew


def test_refcounts_of_polled_objects(pipe_chans):
    r, w = pipe_chans
    with ipc.Poller() as poller:
        poller.register(r)
        timer = poller.add_timer(0, first=0)
        w.send(b"x")
        poller.poll(0)
        gc.collect()
        counts = (sys.getrefcount(r), sys.getrefcount(timer))
        nobj = len(gc.get_objects())
        for _ in range(10000):
            poller.poll(0)
        gc.collect()
        assert (sys.getrefcount(r), sys.getrefcount(timer)) == counts
        assert abs(len(gc.get_objects()) - nobj) <= 10
