# SPDX-License-Identifier: MIT
"""ipc.SysVSemaphoreSet: System V semaphore sets.

Round trip (values, atomic op, across processes, with python3-sysv-ipc
both ways), undo at the death of the holder, would-block and timeout,
closed-handle misuse, EEXIST/ENOENT, removal waking a waiter, and Ctrl+C
while blocked in op().
"""

from __future__ import annotations

import errno
import signal
import subprocess
import sys
import threading
import time

import pytest
import sysv_ipc

import ipc

from conftest import child_env


# --- round trip ------------------------------------------------------------

def test_values_and_atomic_op(unique_key):
    key = unique_key()
    ss = ipc.SysVSemaphoreSet(key, count=3, create=True, values=[1, 0, 0])
    try:
        assert ss.key == key
        assert ss.count == 3
        assert ss.values == [1, 0, 0]
        ss.op([(0, -1), (2, +1)])
        assert ss.values == [0, 0, 1]
        ss.values = [4, 5, 6]
        assert ss.values == [4, 5, 6]
        ss.set(1, 9)
        assert ss.value(1) == 9
        assert [ss.value(i) for i in range(3)] == [4, 9, 6]
        ss.set(0, 0)
        ss.op([(0, 0)], timeout=0)   # "wait for zero" passes at once
    finally:
        ss.remove()
        ss.close()


def test_op_is_all_or_nothing(unique_key):
    ss = ipc.SysVSemaphoreSet(unique_key(), count=2, create=True,
                              values=[1, 0])
    try:
        with pytest.raises(BlockingIOError):
            ss.op([(0, -1), (1, -1)], timeout=0)
        assert ss.values == [1, 0]   # counter 0 was not taken
        ss.op([(1, 1)])
        ss.op([(0, -1), (1, -1)], timeout=0)
        assert ss.values == [0, 0]
    finally:
        ss.remove()
        ss.close()


def test_key_forms(unique_key, tmp_path):
    key = unique_key()
    ss = ipc.SysVSemaphoreSet(f"0x{key:x}", create=True)
    try:
        assert ss.key == key
        other = ipc.SysVSemaphoreSet(key)
        try:
            assert other.id == ss.id
        finally:
            other.close()
    finally:
        ss.remove()
        ss.close()
    path = tmp_path / "ftok"
    path.write_bytes(b"")
    ss = ipc.SysVSemaphoreSet((str(path), 7), create=True)
    try:
        assert ss.key == sysv_ipc.ftok(str(path), 7, silence_warning=True)
    finally:
        ss.remove()
        ss.close()


def test_across_processes(unique_key, run_python):
    key = unique_key()
    ss = ipc.SysVSemaphoreSet(key, count=2, create=True)
    try:
        code = ("import ipc, sys\n"
                "ss = ipc.SysVSemaphoreSet(int(sys.argv[1]), timeout=5)\n"
                "ss.op([(0, 2), (1, 1)])\n"
                "print(ss.count); ss.close()\n")
        r = run_python(code, str(key))
        assert r.returncode == 0, r.stderr.decode()
        assert r.stdout.split() == [b"2"]
        assert ss.values == [2, 1]
    finally:
        ss.remove()
        ss.close()


# --- undo: the kernel gives back what a dead process took -------------------

def _holder(key: int, undo: bool) -> subprocess.Popen:
    code = ("import ipc, sys, time\n"
            "ss = ipc.SysVSemaphoreSet(int(sys.argv[1]), timeout=5)\n"
            "ss.op([(0, -1)], undo=sys.argv[2] == '1')\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n")
    return subprocess.Popen([sys.executable, "-c", code, str(key),
                             "1" if undo else "0"],
                            env=child_env(), stdout=subprocess.PIPE)


@pytest.mark.parametrize("undo", [True, False])
def test_undo_at_child_death(unique_key, undo):
    ss = ipc.SysVSemaphoreSet(unique_key(), create=True, values=[1])
    try:
        p = _holder(ss.key, undo)
        try:
            assert p.stdout.readline() == b"held\n"
            assert ss.value(0) == 0
        finally:
            p.kill()
            p.wait(30)
            p.stdout.close()
        assert p.returncode == -signal.SIGKILL
        # with undo the kernel gave it back; without, it stays taken
        assert ss.value(0) == (1 if undo else 0)
    finally:
        ss.remove()
        ss.close()


def test_acquire_release_helpers(unique_key, run_python):
    ss = ipc.SysVSemaphoreSet(unique_key(), create=True, values=[1])
    try:
        assert ss.acquire(timeout=0)
        assert not ss.acquire(timeout=0)
        ss.release()
        assert ss.value() == 1
        # acquire's default undo=True: a child that exits holding it
        # gives it back
        code = ("import ipc, sys\n"
                "ss = ipc.SysVSemaphoreSet(int(sys.argv[1]), timeout=5)\n"
                "assert ss.acquire(timeout=5)\n"
                "print(ss.value()); ss.close()\n")
        r = run_python(code, str(ss.key))
        assert r.returncode == 0, r.stderr.decode()
        assert r.stdout.split() == [b"0"]
        assert ss.value() == 1
    finally:
        ss.remove()
        ss.close()


# --- interop: python3-sysv-ipc (sets of one) ---------------------------------

def test_sysv_ipc_on_our_set(unique_key):
    key = unique_key()
    ss = ipc.SysVSemaphoreSet(key, create=True, values=[1])
    try:
        peer = sysv_ipc.Semaphore(key)
        assert peer.id == ss.id
        assert peer.value == 1
        peer.acquire(timeout=0)
        assert ss.values == [0]
        assert not ss.acquire(timeout=0, undo=False)
        peer.release()
        peer.release()
        assert ss.value(0) == 2
        ss.op([(0, -2)])
        assert peer.value == 0
        ss.op([(0, 3)])
        assert peer.value == 3
    finally:
        ss.remove()
        ss.close()


def test_ours_on_a_sysv_ipc_semaphore(unique_key):
    key = unique_key()
    peer = sysv_ipc.Semaphore(key, sysv_ipc.IPC_CREX, 0o600, initial_value=0)
    try:
        # sysv_ipc sets the value with semctl and never touches sem_otime:
        # our opener waits for the creator's handshake until its timeout.
        with pytest.raises(TimeoutError):
            ipc.SysVSemaphoreSet(key, timeout=0.1)
        peer.release()               # the first semop sets sem_otime
        ss = ipc.SysVSemaphoreSet(key, timeout=5)
        try:
            assert ss.count == 1
            assert ss.values == [1]
            ss.op([(0, -1)], timeout=0)
            assert peer.value == 0
            ss.op([(0, 2)])
            peer.acquire(timeout=0)
            assert ss.value(0) == 1
            with pytest.raises(ValueError):
                ipc.SysVSemaphoreSet(key, count=2)   # size mismatch
        finally:
            ss.close()
    finally:
        peer.remove()


# --- would-block and timeout ----------------------------------------------

def test_would_block_and_timeout(unique_key):
    ss = ipc.SysVSemaphoreSet(unique_key(), create=True)
    try:
        with pytest.raises(BlockingIOError):
            ss.op([(0, -1)], timeout=0)
        t0 = time.monotonic()
        with pytest.raises(TimeoutError) as e:
            ss.op([(0, -1)], timeout=0.1)
        elapsed = time.monotonic() - t0
        assert 0.1 <= elapsed < 2, elapsed
        assert e.value.filename.startswith("semset:0x")
        t0 = time.monotonic()
        assert ss.acquire(timeout=0.1) is False
        assert time.monotonic() - t0 >= 0.1
        with pytest.raises(ValueError):
            ss.op([(0, -1)], timeout=-1)
    finally:
        ss.remove()
        ss.close()


def test_remove_wakes_a_waiter(unique_key):
    ss = ipc.SysVSemaphoreSet(unique_key(), create=True)
    other = ipc.SysVSemaphoreSet(ss.key)
    errors = []

    def wait():
        try:
            other.op([(0, -1)], timeout=30)
        except OSError as e:
            errors.append(e)

    t = threading.Thread(target=wait)
    t.start()
    try:
        time.sleep(0.2)
        ss.remove()
    finally:
        t.join()
        other.close()
        ss.close()
    assert len(errors) == 1 and errors[0].errno == errno.EIDRM


def test_keyboard_interrupt_in_op(unique_key):
    ss = ipc.SysVSemaphoreSet(unique_key(), create=True)
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    main = threading.get_ident()
    sent = []

    def fire():
        time.sleep(0.2)
        sent.append(time.monotonic())
        signal.pthread_kill(main, signal.SIGINT)

    t = threading.Thread(target=fire)
    t.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            ss.op([(0, -1)], timeout=30)
        delay = time.monotonic() - sent[0]
        print(f"SysVSemaphoreSet.op: KeyboardInterrupt after "
              f"{delay * 1e3:.1f} ms")
        assert delay < 0.5
    finally:
        t.join()
        signal.signal(signal.SIGINT, old)
        ss.remove()
        ss.close()


# --- closed handle and bad arguments ----------------------------------------

def test_closed_handle(unique_key):
    ss = ipc.SysVSemaphoreSet(unique_key(), create=True)
    ss.remove()
    ss.close()
    ss.close()
    assert ss.closed and "closed" in repr(ss)
    for call in (lambda: ss.op([(0, 1)]), lambda: ss.values,
                 lambda: ss.value(0), lambda: ss.set(0, 1), ss.remove,
                 lambda: ss.count, lambda: ss.id, ss.acquire):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(ValueError):
        ss.values = [1]


def test_bad_arguments(unique_key):
    key = unique_key()
    with pytest.raises(ValueError):
        ipc.SysVSemaphoreSet(key, count=0, create=True)
    with pytest.raises(ValueError):
        ipc.SysVSemaphoreSet(key, count=2, values=[1], create=True)
    with pytest.raises(ValueError):
        ipc.SysVSemaphoreSet(key, values=[40000], create=True)
    with pytest.raises(TypeError):
        ipc.SysVSemaphoreSet(3.5, create=True)
    with pytest.raises(FileNotFoundError):
        ipc.SysVSemaphoreSet(key)    # none of the above left a set
    ss = ipc.SysVSemaphoreSet(key, count=2, create=True)
    try:
        with pytest.raises(TypeError):
            ss.op([1, 2])
        with pytest.raises(ValueError):
            ss.op([])
        with pytest.raises(OSError) as e:
            ss.op([(5, 1)])          # no counter 5
        assert e.value.errno == errno.EFBIG
        with pytest.raises(OSError) as e:
            ss.set(0, 40000)
        assert e.value.errno == errno.ERANGE
        with pytest.raises(ValueError):
            ss.values = [1]          # not count values
        assert ss.values == [0, 0]
    finally:
        ss.remove()
        ss.close()


# --- EEXIST / ENOENT ---------------------------------------------------------

def test_exclusive_and_missing(unique_key):
    key = unique_key()
    with pytest.raises(FileNotFoundError) as e:
        ipc.SysVSemaphoreSet(key)
    assert e.value.filename == f"semset:0x{key:08x}"
    ss = ipc.SysVSemaphoreSet(key, create=True, exclusive=True, mode=0o640)
    try:
        assert sysv_ipc.Semaphore(key).mode & 0o777 == 0o640
        with pytest.raises(FileExistsError):
            ipc.SysVSemaphoreSet(key, create=True, exclusive=True)
        ss.remove()
        with pytest.raises(OSError) as e:
            ss.remove()
        assert e.value.errno == errno.EIDRM
        with pytest.raises(FileNotFoundError):
            ipc.SysVSemaphoreSet(key)
    finally:
        ss.close()
