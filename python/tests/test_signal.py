# SPDX-License-Identifier: MIT
"""ipc.send_signal, ipc.SignalSet, ipc.SignalInfo.

Round trip (to ourselves, from children with ipc and with the stdlib and
libc's sigqueue, to a child reading with the stdlib's sigtimedwait),
would-block and timeout, closed-handle misuse, a missing process (ESRCH)
and bad signals, the mask a set leaves behind, and Ctrl+C while blocked
in wait().

The test process has no other thread while a set is open: a signal sent
to the process would otherwise go to a thread that does not block it.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time

import pytest

import ipc
from ipc.signal import CODE_QUEUE, CODE_TKILL, CODE_USER, signal_name

from conftest import child_env

USR1, USR2 = signal.SIGUSR1, signal.SIGUSR2


def _blocked() -> set:
    return signal.pthread_sigmask(signal.SIG_BLOCK, [])


@pytest.fixture(autouse=True)
def clean_mask():
    """Every test starts and ends with USR1/USR2 unblocked and none
    pending (a leftover would kill the test run at the next unblock)."""
    assert not _blocked() & {USR1, USR2}
    yield
    assert not _blocked() & {USR1, USR2}
    assert not signal.sigpending() & {USR1, USR2}


# --- round trip ------------------------------------------------------------

def test_kill_and_queue_to_ourselves():
    with ipc.SignalSet(["USR1", "SIGUSR2"]) as sigs:
        assert sigs.signals == (USR1, USR2)
        ipc.send_signal(os.getpid(), "USR1")
        info = sigs.wait(timeout=5)
        assert isinstance(info, ipc.SignalInfo)
        # The five fields DESIGN.md fixes unpack as a tuple; code is extra.
        signo, name, pid, uid, value = info
        assert (signo, name, pid, uid, value) == \
            (USR1, "USR1", os.getpid(), os.getuid(), 0)
        assert info.code == CODE_USER
        ipc.send_signal(os.getpid(), USR2, value=-123456)
        info = sigs.wait(timeout=5)
        assert (info.signo, info.name, info.value, info.code) == \
            (USR2, "USR2", -123456, CODE_QUEUE)
        assert info.pid == os.getpid() and info.uid == os.getuid()


def test_realtime_signals_queue_in_order():
    rt = signal.SIGRTMIN + 2
    with ipc.SignalSet("RTMIN+2") as sigs:
        for v in (1, 2, 3):
            ipc.send_signal(os.getpid(), "RTMIN+2", value=v)
        got = sigs.drain()
        assert [(i.signo, i.name, i.value) for i in got] == \
            [(rt, "RTMIN+2", v) for v in (1, 2, 3)]
        assert sigs.wait(0) is None


def test_drain_lowest_first():
    with ipc.SignalSet([USR2, USR1]) as sigs:
        ipc.send_signal(os.getpid(), "USR2", value=2)
        ipc.send_signal(os.getpid(), "USR1", value=1)
        assert [(i.name, i.value) for i in sigs.drain()] == \
            [("USR1", 1), ("USR2", 2)]


def test_payload_from_a_child_with_ipc(run_python):
    with ipc.SignalSet("USR1") as sigs:
        r = run_python("import ipc, os, sys\n"
                       "ipc.send_signal(os.getppid(), 'USR1', value=4242)\n"
                       "print(os.getpid())\n")
        assert r.returncode == 0, r.stderr.decode()
        info = sigs.wait(timeout=5)
        assert info is not None
        assert (info.signo, info.value, info.code) == (USR1, 4242, CODE_QUEUE)
        assert info.pid == int(r.stdout)


def test_payload_from_a_child_with_libc_sigqueue(run_python):
    code = ("import ctypes, os, signal\n"
            "libc = ctypes.CDLL('libc.so.6', use_errno=True)\n"
            "libc.sigqueue.argtypes = [ctypes.c_int, ctypes.c_int,"
            " ctypes.c_void_p]\n"
            "# union sigval by value: its int is the low half of the word\n"
            "assert libc.sigqueue(os.getppid(), signal.SIGUSR2, 777) == 0\n"
            "print(os.getpid())\n")
    with ipc.SignalSet("USR2") as sigs:
        r = run_python(code)
        assert r.returncode == 0, r.stderr.decode()
        info = sigs.wait(timeout=5)
        assert info is not None
        assert (info.signo, info.value, info.code) == (USR2, 777, CODE_QUEUE)
        assert info.pid == int(r.stdout)


def test_stdlib_kill_from_a_child(run_python):
    with ipc.SignalSet("USR1") as sigs:
        r = run_python("import os, signal\n"
                       "os.kill(os.getppid(), signal.SIGUSR1)\n"
                       "print(os.getpid())\n")
        assert r.returncode == 0, r.stderr.decode()
        info = sigs.wait(timeout=5)
        assert info is not None
        assert (info.signo, info.pid, info.value, info.code) == \
            (USR1, int(r.stdout), 0, CODE_USER)


def test_stdlib_pthread_kill_is_read_by_the_set():
    with ipc.SignalSet("USR1") as sigs:
        signal.pthread_kill(threading.get_ident(), USR1)
        info = sigs.wait(timeout=5)
        assert info is not None and info.code == CODE_TKILL


def test_send_to_stdlib_sigtimedwait():
    # The stdlib as the receiver, in this process.
    signal.pthread_sigmask(signal.SIG_BLOCK, [USR2])
    try:
        ipc.send_signal(os.getpid(), "USR2", value=99)
        si = signal.sigtimedwait([USR2], 5)
        assert si is not None
        assert (si.si_signo, si.si_pid, si.si_code) == \
            (USR2, os.getpid(), CODE_QUEUE)
        ipc.send_signal(os.getpid(), "SIGUSR2")
        si = signal.sigtimedwait([USR2], 5)
        assert si is not None and si.si_code == CODE_USER
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [USR2])


def test_send_to_a_child_reading_with_sigtimedwait():
    code = ("import os, signal\n"
            "signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])\n"
            "print('ready', flush=True)\n"
            "si = signal.sigtimedwait([signal.SIGUSR1], 30)\n"
            "print(si.si_signo, si.si_pid, si.si_code)\n")
    p = subprocess.Popen([sys.executable, "-c", code], env=child_env(),
                         stdout=subprocess.PIPE)
    try:
        assert p.stdout.readline() == b"ready\n"
        ipc.send_signal(p.pid, "USR1", value=5)
        out = p.stdout.read().split()
    finally:
        p.stdout.close()
        p.wait(30)
    assert p.returncode == 0
    assert out == [str(USR1).encode(), str(os.getpid()).encode(), b"-1"]


def test_fileno_is_pollable():
    with ipc.SignalSet("USR1") as sigs:
        fd = sigs.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        assert poller.poll(0) == []
        ipc.send_signal(os.getpid(), "USR1", value=1)
        assert poller.poll(5000) == [(fd, select.POLLIN)]
        assert sigs.wait(0).value == 1
        assert poller.poll(0) == []


def test_signal_names():
    assert signal_name(USR1) == "USR1"
    assert signal_name(signal.SIGRTMAX) == "RTMAX"
    with pytest.raises(ValueError):
        signal_name(0)
    ipc.send_signal(os.getpid(), 0)          # existence check
    ipc.send_signal(os.getpid(), 0, value=1)


# --- the mask a set leaves ------------------------------------------------

def test_mask_restored_on_close():
    sigs = ipc.SignalSet(["USR1", "USR2"])
    try:
        assert {USR1, USR2} <= _blocked()
    finally:
        sigs.close()
    assert not _blocked() & {USR1, USR2}
    # a signal blocked before the set stays blocked after it
    signal.pthread_sigmask(signal.SIG_BLOCK, [USR2])
    try:
        with ipc.SignalSet(["USR1", "USR2"]):
            pass
        assert USR2 in _blocked() and USR1 not in _blocked()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [USR2])


def test_pending_signal_delivered_at_close():
    # What the core documents: a signal still pending at close goes to
    # its disposition, here a Python handler.
    seen = []
    old = signal.signal(USR1, lambda signo, frame: seen.append(signo))
    try:
        sigs = ipc.SignalSet("USR1")
        ipc.send_signal(os.getpid(), "USR1")
        sigs.close()
        for _ in range(100):         # the handler runs between bytecodes
            if seen:
                break
            time.sleep(0.01)
        assert seen == [USR1]
    finally:
        signal.signal(USR1, old)


# --- would-block and timeout ----------------------------------------------

def test_nothing_pending_and_timeout():
    with ipc.SignalSet("USR1") as sigs:
        t0 = time.monotonic()
        assert sigs.wait(0) is None
        assert sigs.drain() == []
        assert time.monotonic() - t0 < 1
        t0 = time.monotonic()
        assert sigs.wait(timeout=0.1) is None
        elapsed = time.monotonic() - t0
        assert 0.1 <= elapsed < 2, elapsed
        with pytest.raises(ValueError):
            sigs.wait(timeout=-1)


def test_keyboard_interrupt_in_wait():
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    main = threading.get_ident()
    sent = []

    def fire():
        time.sleep(0.2)
        sent.append(time.monotonic())
        signal.pthread_kill(main, signal.SIGINT)

    sigs = ipc.SignalSet("USR1")
    t = threading.Thread(target=fire)
    t.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            sigs.wait(timeout=30)
        delay = time.monotonic() - sent[0]
        print(f"SignalSet.wait: KeyboardInterrupt after {delay * 1e3:.1f} ms")
        assert delay < 0.5
    finally:
        t.join()
        signal.signal(signal.SIGINT, old)
        sigs.close()


# --- closed handle -----------------------------------------------------------

def test_closed_handle():
    sigs = ipc.SignalSet("USR1")
    sigs.close()
    sigs.close()
    assert sigs.closed and "closed" in repr(sigs)
    for call in (sigs.wait, lambda: sigs.wait(0), sigs.fileno, sigs.drain):
        with pytest.raises(ValueError):
            call()


# --- missing process, bad signals --------------------------------------------

def test_no_such_process():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait(30)                       # reaped: its pid names nobody now
    with pytest.raises(ProcessLookupError):
        ipc.send_signal(p.pid, "USR1")
    with pytest.raises(ProcessLookupError):
        ipc.send_signal(p.pid, "USR1", value=1)


def test_bad_arguments():
    me = os.getpid()
    with pytest.raises(ValueError):
        ipc.send_signal(me, "NOSUCH")
    with pytest.raises(ValueError):
        ipc.send_signal(me, 99)
    with pytest.raises(ValueError):
        ipc.send_signal(0, "USR1")   # process groups are not for this
    with pytest.raises(ValueError):
        ipc.send_signal(me, "USR1", value=2**31)
    with pytest.raises(TypeError):
        ipc.send_signal(me, "USR1", value="1")
    with pytest.raises(TypeError):
        ipc.send_signal(me, 1.5)
    with pytest.raises(TypeError):
        ipc.send_signal(str(me), "USR1")
    for bad in ([], ["KILL"], ["STOP"], ["USR1", "NOSUCH"], [0]):
        with pytest.raises(ValueError):
            ipc.SignalSet(bad)
    with pytest.raises(TypeError):
        ipc.SignalSet([1.5])
    assert not _blocked() & {USR1, USR2}     # a failed open blocks nothing
