# SPDX-License-Identifier: MIT
"""ipc.Mutex: robust process-shared mutexes.

Round trip (in one process and across processes), owner death (a child
SIGKILLed while holding it), the condition variable, would-block and
timeout, closed-handle misuse, EEXIST/ENOENT, and Ctrl+C while blocked in
acquire() (the core's lock wait ignores signals: the class waits in
slices).
"""

from __future__ import annotations

import errno
import signal
import statistics
import subprocess
import sys
import threading
import time

import pytest

import ipc

from conftest import child_env


def _child(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *args],
                            env=child_env(), stdout=subprocess.PIPE)


def _finish(p: subprocess.Popen, kill: bool = False) -> int:
    try:
        if kill:
            p.kill()
        return p.wait(30)
    finally:
        p.stdout.close()


HOLD = ("import ipc, sys, time\n"
        "mx = ipc.Mutex(sys.argv[1])\n"
        "assert mx.acquire(timeout=5)\n"
        "print('held', flush=True)\n"
        "time.sleep(float(sys.argv[2]))\n"
        "mx.release(); mx.close()\n")


# --- round trip ------------------------------------------------------------

def test_acquire_release(unique_name):
    name = unique_name("mutex")
    mx = ipc.Mutex(name, create=True)
    try:
        assert mx.name == name
        assert mx.acquire() is True
        assert mx.owner_died is False
        mx.release()
        assert mx.acquire(timeout=0) is True
        mx.release()
        with mx as entered:
            assert entered is mx
        with pytest.raises(RuntimeError):
            with mx:
                raise RuntimeError("inside")
        assert mx.acquire(timeout=0)  # released by the with above
        mx.release()
        assert not mx.closed          # with does not close
    finally:
        mx.close()


def test_exclusion_across_processes(unique_name):
    name = unique_name("mutex")
    mx = ipc.Mutex(name, create=True)
    try:
        p = _child(HOLD, name, "0.5")
        try:
            assert p.stdout.readline() == b"held\n"
            assert mx.acquire(timeout=0) is False
            assert mx.acquire(timeout=30) is True   # after the child
            assert mx.owner_died is False
            mx.release()
        finally:
            assert _finish(p) == 0
    finally:
        mx.close()


def test_thread_ownership(unique_name):
    mx = ipc.Mutex(unique_name("mutex"), create=True)
    try:
        assert mx.acquire()
        with pytest.raises(OSError) as e:
            mx.acquire(timeout=0)    # this thread holds it already
        assert e.value.errno == errno.EDEADLK
        errors = []

        def release_elsewhere():
            try:
                mx.release()
            except OSError as e:
                errors.append(e)

        t = threading.Thread(target=release_elsewhere)
        t.start()
        t.join()
        assert len(errors) == 1 and isinstance(errors[0], PermissionError)
        mx.release()
    finally:
        mx.close()


def test_close_releases_a_held_lock(unique_name):
    name = unique_name("mutex")
    mx = ipc.Mutex(name, create=True)
    other = ipc.Mutex(name)
    try:
        assert mx.acquire()
        mx.close()
        assert other.acquire(timeout=0)
        assert other.owner_died is False
        other.release()
    finally:
        mx.close()
        other.close()


# --- owner death ------------------------------------------------------------

def test_owner_killed_holding_the_lock(unique_name):
    name = unique_name("mutex")
    mx = ipc.Mutex(name, create=True)
    try:
        p = _child(HOLD, name, "60")
        assert p.stdout.readline() == b"held\n"
        assert _finish(p, kill=True) == -signal.SIGKILL
        assert mx.acquire(timeout=5) is True
        assert mx.owner_died is True
        mx.release()                 # marks it consistent
        assert mx.owner_died is True  # still describes that acquire
        assert mx.acquire(timeout=5) is True
        assert mx.owner_died is False  # clean again
        mx.release()
        # another process sees a normal mutex too
        p = _child(HOLD, name, "0")
        assert p.stdout.readline() == b"held\n"
        assert _finish(p) == 0
    finally:
        mx.close()


def test_owner_dies_while_we_wait(unique_name):
    name = unique_name("mutex")
    mx = ipc.Mutex(name, create=True)
    try:
        p = _child(HOLD, name, "60")
        try:
            assert p.stdout.readline() == b"held\n"
            killer = threading.Timer(0.3, p.kill)
            killer.start()
            t0 = time.monotonic()
            try:
                assert mx.acquire(timeout=30) is True
            finally:
                killer.join()
            assert time.monotonic() - t0 < 20
            assert mx.owner_died is True
            mx.release()
        finally:
            _finish(p, kill=True)
    finally:
        mx.close()


def test_unrepaired_owner_death_is_unrecoverable(unique_name):
    name = unique_name("mutex")
    mx = ipc.Mutex(name, create=True)
    try:
        p = _child(HOLD, name, "60")
        assert p.stdout.readline() == b"held\n"
        _finish(p, kill=True)
        assert mx.acquire(timeout=5) and mx.owner_died
        mx.release(consistent=False)
        for timeout in (0, 1):
            with pytest.raises(OSError) as e:
                mx.acquire(timeout=timeout)
            assert e.value.errno == errno.ENOTRECOVERABLE
            assert e.value.filename == name
        # the way out: a new mutex under the name
        mx.unlink()
        fresh = ipc.Mutex(name, create=True, exclusive=True)
        try:
            assert fresh.acquire(timeout=0) and not fresh.owner_died
            fresh.release()
        finally:
            fresh.close()
    finally:
        mx.close()


def test_explicit_consistent(unique_name):
    name = unique_name("mutex")
    mx = ipc.Mutex(name, create=True)
    try:
        with pytest.raises(ValueError):
            mx.consistent()          # not in the owner-died state
        p = _child(HOLD, name, "60")
        assert p.stdout.readline() == b"held\n"
        _finish(p, kill=True)
        assert mx.acquire(timeout=5) and mx.owner_died
        mx.consistent()
        mx.release(consistent=False)  # already repaired: stays usable
        assert mx.acquire(timeout=0) and not mx.owner_died
        mx.release()
    finally:
        mx.close()


# --- condition variable ---------------------------------------------------

def test_condition_across_processes(unique_name):
    name = unique_name("mutex")
    flag = unique_name("sem")        # the shared state: a semaphore's value
    mx = ipc.Mutex(name, create=True)
    state = ipc.Semaphore(flag, value=0, create=True)
    try:
        code = ("import ipc, sys, time\n"
                "mx = ipc.Mutex(sys.argv[1])\n"
                "st = ipc.Semaphore(sys.argv[2])\n"
                "time.sleep(0.3)\n"
                "with mx:\n"
                "    st.release(); mx.broadcast()\n"
                "mx.close(); st.close()\n")
        p = _child(code, name, flag)
        try:
            with mx:
                t0 = time.monotonic()
                assert mx.wait_for(lambda: state.value > 0, timeout=30)
                assert time.monotonic() - t0 >= 0.2
        finally:
            assert _finish(p) == 0
    finally:
        state.close()
        mx.close()


def test_condition_signal_from_a_thread(unique_name):
    name = unique_name("mutex")
    mx = ipc.Mutex(name, create=True)
    ready = []

    def producer():
        other = ipc.Mutex(name)
        try:
            time.sleep(0.2)
            with other:
                ready.append(1)
            other.signal()
        finally:
            other.close()

    t = threading.Thread(target=producer)
    t.start()
    try:
        with mx:
            while not ready:
                assert mx.wait(timeout=30)
    finally:
        t.join()
        mx.close()


def test_condition_timeout(unique_name):
    mx = ipc.Mutex(unique_name("mutex"), create=True)
    try:
        with mx:
            assert mx.wait(timeout=0) is False
            t0 = time.monotonic()
            assert mx.wait_for(lambda: False, timeout=0.2) is False
            elapsed = time.monotonic() - t0
            assert 0.2 <= elapsed < 2, elapsed
        # the lock was held again after every wait: with released it
        with pytest.raises(PermissionError):
            mx.wait(timeout=0)       # not held now
    finally:
        mx.close()


# --- would-block and timeout ----------------------------------------------

def test_would_block_and_timeout(unique_name):
    name = unique_name("mutex")
    mx = ipc.Mutex(name, create=True)
    try:
        p = _child(HOLD, name, "60")
        try:
            assert p.stdout.readline() == b"held\n"
            t0 = time.monotonic()
            assert mx.acquire(timeout=0) is False
            assert time.monotonic() - t0 < 1
            t0 = time.monotonic()
            assert mx.acquire(timeout=0.2) is False
            elapsed = time.monotonic() - t0
            assert 0.2 <= elapsed < 2, elapsed
            with pytest.raises(ValueError):
                mx.acquire(timeout=-1)
        finally:
            _finish(p, kill=True)
    finally:
        mx.close()


def _holder_thread(name: str):
    """A thread holding the mutex through its own handle until done is
    set (a robust lock belongs to a thread)."""
    held, done = threading.Event(), threading.Event()

    def run():
        other = ipc.Mutex(name)
        try:
            assert other.acquire(timeout=5)
            held.set()
            done.wait(60)
            other.release()
        finally:
            other.close()

    t = threading.Thread(target=run)
    t.start()
    assert held.wait(10)
    return t, done


def test_other_threads_run_while_blocked(unique_name):
    name = unique_name("mutex")
    mx = ipc.Mutex(name, create=True)
    t, done = _holder_thread(name)
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.01)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        assert mx.acquire(timeout=0.3) is False
    finally:
        stop.set()
        ticker.join()
        done.set()
        t.join()
        mx.close()
    assert len(ticks) >= 5


def test_keyboard_interrupt_in_acquire(unique_name):
    name = unique_name("mutex")
    mx = ipc.Mutex(name, create=True)
    t, done = _holder_thread(name)
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    main = threading.get_ident()
    delays = []
    try:
        for _ in range(3):
            sent = []

            def fire():
                time.sleep(0.22)     # not on a slice boundary
                sent.append(time.monotonic())
                signal.pthread_kill(main, signal.SIGINT)

            f = threading.Thread(target=fire)
            f.start()
            try:
                with pytest.raises(KeyboardInterrupt):
                    mx.acquire(timeout=30)
                delays.append(time.monotonic() - sent[0])
            finally:
                f.join()
    finally:
        signal.signal(signal.SIGINT, old)
        done.set()
        t.join()
    try:
        delay = statistics.median(delays)
        print(f"Mutex.acquire: KeyboardInterrupt after {delay * 1e3:.1f} ms "
              f"(slices of {ipc.mutex.SLICE * 1e3:.0f} ms)")
        assert delay < 0.5
        assert mx.acquire(timeout=5)  # free now, and not taken before
        assert not mx.owner_died
        mx.release()
    finally:
        mx.close()


# --- closed handle and bad arguments ----------------------------------------

def test_closed_handle(unique_name):
    name = unique_name("mutex")
    mx = ipc.Mutex(name, create=True)
    mx.close()
    mx.close()
    assert mx.closed and "closed" in repr(mx)
    for call in (mx.acquire, mx.release, mx.wait, mx.signal, mx.broadcast,
                 mx.consistent, lambda: mx.wait_for(lambda: False, 0)):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(ValueError):
        with mx:
            pass
    mx.unlink()                      # the name is still known
    with pytest.raises(FileNotFoundError):
        mx.unlink()


def test_bad_arguments(unique_name):
    with pytest.raises(ValueError):
        ipc.Mutex("no-slash", create=True)
    with pytest.raises(TypeError):
        ipc.Mutex(None, create=True)
    with pytest.raises(ValueError):
        ipc.Mutex(unique_name("mutex"), create=True, mode=0o1000)


def test_not_a_mutex(unique_name):
    name = unique_name("shm")
    with open("/dev/shm/" + name[1:], "wb") as f:
        f.write(b"\0" * 4096)
    with pytest.raises(OSError) as e:
        ipc.Mutex(name, timeout=0)
    assert e.value.errno == errno.EPROTO
    assert e.value.filename == name


# --- EEXIST / ENOENT ---------------------------------------------------------

def test_exclusive_and_missing(unique_name):
    name = unique_name("mutex")
    with pytest.raises(FileNotFoundError) as e:
        ipc.Mutex(name)
    assert e.value.filename == name
    mx = ipc.Mutex(name, create=True, exclusive=True)
    try:
        with pytest.raises(FileExistsError) as e:
            ipc.Mutex(name, create=True, exclusive=True)
        assert e.value.filename == name
        mx.unlink()
        with pytest.raises(FileNotFoundError):
            ipc.Mutex(name)
        with pytest.raises(FileNotFoundError):
            mx.unlink()
        assert mx.acquire(timeout=0)   # the handle outlives the name
        mx.release()
    finally:
        mx.close()
