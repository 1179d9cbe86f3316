# SPDX-License-Identifier: MIT
"""ipc.Semaphore: POSIX named semaphores.

Round trip (in one process, across processes, with libc's sem_* through
ctypes both ways), would-block and timeout, closed-handle misuse,
EEXIST/ENOENT, and Ctrl+C while blocked in acquire().
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import statistics
import threading
import time

import pytest

import ipc


# --- round trip ------------------------------------------------------------

def test_release_then_acquire(unique_name):
    name = unique_name("sem")
    s = ipc.Semaphore(name, value=0, create=True)
    try:
        assert s.name == name
        assert s.value == 0
        s.release()
        s.release()
        assert s.value == 2
        assert s.acquire() is True
        assert s.acquire(timeout=0) is True
        assert s.value == 0
        s.unlink()
        assert not os.path.exists("/dev/shm/sem." + name[1:])
        # the handle outlives its name
        s.release()
        assert s.acquire(timeout=0) is True
    finally:
        s.close()
    assert s.closed


def test_initial_value_and_second_handle(unique_name):
    name = unique_name("sem")
    with_create = ipc.Semaphore(name, value=3, create=True)
    try:
        # value only applies to a new semaphore
        other = ipc.Semaphore(name, value=9, create=True)
        try:
            assert other.value == 3
            assert other.acquire(0)
            assert with_create.value == 2
        finally:
            other.close()
    finally:
        with_create.close()


def test_with_acquires_and_releases(unique_name):
    s = ipc.Semaphore(unique_name("sem"), value=1, create=True)
    try:
        with s as entered:
            assert entered is s
            assert s.value == 0
        assert s.value == 1
        with pytest.raises(RuntimeError):
            with s:
                raise RuntimeError("inside")
        assert s.value == 1          # released on the way out
        assert not s.closed          # with does not close
    finally:
        s.close()


def test_post_from_another_process(unique_name, run_python):
    name = unique_name("sem")
    s = ipc.Semaphore(name, value=0, create=True)
    try:
        code = ("import ipc, sys\n"
                "s = ipc.Semaphore(sys.argv[1])\n"
                "s.release(); s.release(); s.close()\n")
        r = run_python(code, name)
        assert r.returncode == 0, r.stderr.decode()
        assert s.acquire(timeout=5)
        assert s.acquire(timeout=5)
        assert not s.acquire(timeout=0)
    finally:
        s.close()


def test_waiter_woken_by_child(unique_name, run_python):
    name = unique_name("sem")
    s = ipc.Semaphore(name, value=0, create=True)
    try:
        code = ("import ipc, sys, time\n"
                "time.sleep(0.2)\n"
                "s = ipc.Semaphore(sys.argv[1]); s.release(); s.close()\n")
        done = []
        t = threading.Thread(target=lambda: done.append(
            run_python(code, name)))
        t.start()
        try:
            assert s.acquire(timeout=30)
        finally:
            t.join()
        assert done[0].returncode == 0, done[0].stderr.decode()
    finally:
        s.close()


# --- interop: libc sem_open/sem_post/sem_wait through ctypes ---------------

def _libc():
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.sem_open.restype = ctypes.c_void_p
    libc.sem_open.argtypes = [ctypes.c_char_p, ctypes.c_int,
                              ctypes.c_uint, ctypes.c_uint]
    for fn in ("sem_post", "sem_wait", "sem_trywait", "sem_close"):
        getattr(libc, fn).argtypes = [ctypes.c_void_p]
    libc.sem_getvalue.argtypes = [ctypes.c_void_p,
                                  ctypes.POINTER(ctypes.c_int)]
    libc.sem_unlink.argtypes = [ctypes.c_char_p]
    return libc


def _libc_value(libc, sem) -> int:
    v = ctypes.c_int(-1)
    assert libc.sem_getvalue(sem, ctypes.byref(v)) == 0
    return v.value


def test_libc_peer_on_our_semaphore(unique_name):
    libc = _libc()
    name = unique_name("sem")
    s = ipc.Semaphore(name, value=1, create=True)
    try:
        peer = libc.sem_open(name.encode(), 0, 0, 0)
        assert peer, os.strerror(ctypes.get_errno())
        try:
            assert _libc_value(libc, peer) == 1
            assert libc.sem_wait(peer) == 0         # libc takes ours
            assert s.value == 0
            assert not s.acquire(timeout=0)
            assert libc.sem_post(peer) == 0         # libc gives back
            assert s.acquire(timeout=0)
            s.release()                             # ours, seen by libc
            s.release()
            assert _libc_value(libc, peer) == 2
            assert libc.sem_trywait(peer) == 0
        finally:
            libc.sem_close(peer)
    finally:
        s.close()


def test_ours_on_a_libc_semaphore(unique_name):
    libc = _libc()
    name = unique_name("sem")
    peer = libc.sem_open(name.encode(), os.O_CREAT | os.O_EXCL, 0o600, 2)
    assert peer, os.strerror(ctypes.get_errno())
    try:
        s = ipc.Semaphore(name)
        try:
            assert s.value == 2
            assert s.acquire(0) and s.acquire(0)
            assert not s.acquire(0)
            assert libc.sem_post(peer) == 0
            assert s.acquire(timeout=1)
            s.release()
            assert _libc_value(libc, peer) == 1
        finally:
            s.close()
    finally:
        libc.sem_close(peer)
        libc.sem_unlink(name.encode())


# --- would-block and timeout ----------------------------------------------

def test_try_once_and_timeout(unique_name):
    s = ipc.Semaphore(unique_name("sem"), value=0, create=True)
    try:
        t0 = time.monotonic()
        assert s.acquire(timeout=0) is False
        assert time.monotonic() - t0 < 1
        t0 = time.monotonic()
        assert s.acquire(timeout=0.1) is False
        elapsed = time.monotonic() - t0
        assert 0.1 <= elapsed < 2, elapsed
        with pytest.raises(ValueError):
            s.acquire(timeout=-1)
    finally:
        s.close()


def test_overflow(unique_name):
    s = ipc.Semaphore(unique_name("sem"), value=ipc.sem.VALUE_MAX,
                      create=True)
    try:
        with pytest.raises(OSError) as e:
            s.release()
        assert e.value.errno == errno.EOVERFLOW
        assert e.value.filename == s.name
    finally:
        s.close()


def test_other_threads_run_while_blocked(unique_name):
    s = ipc.Semaphore(unique_name("sem"), value=0, create=True)
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.01)

    t = threading.Thread(target=tick)
    t.start()
    try:
        assert not s.acquire(timeout=0.3)
    finally:
        stop.set()
        t.join()
        s.close()
    assert len(ticks) >= 5       # the GIL was released during the wait


# --- Ctrl+C ------------------------------------------------------------------

def _interrupt_delay(block, tries: int = 3) -> float:
    """Median delay from a SIGINT sent to the main thread ~0.2 s into
    block() to the KeyboardInterrupt it raises."""
    assert threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    main = threading.get_ident()
    delays = []
    try:
        for _ in range(tries):
            sent = []

            def fire():
                time.sleep(0.2)
                sent.append(time.monotonic())
                signal.pthread_kill(main, signal.SIGINT)

            t = threading.Thread(target=fire)
            t.start()
            try:
                with pytest.raises(KeyboardInterrupt):
                    block()
                delays.append(time.monotonic() - sent[0])
            finally:
                t.join()
    finally:
        signal.signal(signal.SIGINT, old)
    return statistics.median(delays)


def test_keyboard_interrupt_in_acquire(unique_name):
    s = ipc.Semaphore(unique_name("sem"), value=0, create=True)
    try:
        delay = _interrupt_delay(lambda: s.acquire(timeout=30))
        print(f"Semaphore.acquire: KeyboardInterrupt after "
              f"{delay * 1e3:.1f} ms")
        assert delay < 0.5
        assert s.value == 0          # nothing was taken
    finally:
        s.close()


# --- closed handle -----------------------------------------------------------

def test_closed_handle(unique_name):
    name = unique_name("sem")
    s = ipc.Semaphore(name, create=True)
    s.close()
    s.close()                        # idempotent
    assert s.closed
    assert "closed" in repr(s)
    for call in (s.acquire, s.release, lambda: s.value,
                 lambda: s.acquire(0)):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(ValueError):
        with s:
            pass
    s.unlink()                       # the name is still known
    with pytest.raises(FileNotFoundError):
        s.unlink()


def test_bad_arguments(unique_name):
    name = unique_name("sem")
    with pytest.raises(ValueError):
        ipc.Semaphore("no-slash", create=True)
    with pytest.raises(ValueError):
        ipc.Semaphore(name, value=-1, create=True)
    with pytest.raises(ValueError):
        ipc.Semaphore(name, value=ipc.sem.VALUE_MAX + 1, create=True)
    with pytest.raises(TypeError):
        ipc.Semaphore(name, value=1.5, create=True)
    with pytest.raises(TypeError):
        ipc.Semaphore(b"/bytes", create=True)
    with pytest.raises(ValueError):
        ipc.Semaphore(name, create=True, mode=0o1000)
    assert not os.path.exists("/dev/shm/sem." + name[1:])


# --- EEXIST / ENOENT ---------------------------------------------------------

def test_exclusive_and_missing(unique_name):
    name = unique_name("sem")
    with pytest.raises(FileNotFoundError) as e:
        ipc.Semaphore(name)
    assert e.value.filename == name
    s = ipc.Semaphore(name, create=True, exclusive=True, mode=0o640)
    try:
        assert os.stat("/dev/shm/sem." + name[1:]).st_mode & 0o777 == 0o640
        with pytest.raises(FileExistsError) as e:
            ipc.Semaphore(name, create=True, exclusive=True)
        assert e.value.filename == name
        s.unlink()
        with pytest.raises(FileNotFoundError) as e:
            s.unlink()
        assert e.value.filename == name
        with pytest.raises(FileNotFoundError):
            ipc.Semaphore(name)
    finally:
        s.close()
