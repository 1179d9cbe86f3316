# SPDX-License-Identifier: MIT
"""ipc.spawn / ipc.Process: wiring, waits, signals, misuse (STYLE 2.10).

Independent peers: the children are coreutils, /bin/sh and a second
Python; the parent side also uses os.pipe and plain files.
"""

from __future__ import annotations

import errno
import os
import select
import signal
import sys
import threading
import time

import pytest

import ipc
import ipc.proc
from conftest import child_env

PY = sys.executable


def read_all(ch, timeout=5.0):
    out = b""
    while True:
        chunk = ch.read(65536, timeout=timeout)
        if not chunk:
            return out
        out += chunk


# --- round trips ----------------------------------------------------------

def test_pipe_raw_round_trip():
    with ipc.spawn(["cat"], stdin=ipc.PIPE, stdout=ipc.PIPE) as p:
        assert p.stderr is None
        p.stdin.write(b"hello\nworld\n")
        p.stdin.close()
        assert read_all(p.stdout) == b"hello\nworld\n"
    assert p.returncode == 0
    assert p.stdout.closed and p.closed


def test_pipe_frames_pass_through_cat():
    # cat copies bytes: frames sent on p.stdin come back whole on p.stdout.
    with ipc.spawn(["cat"], stdin=ipc.PIPE, stdout=ipc.PIPE) as p:
        msgs = [b"", b"a", b"x" * 100000]
        for m in msgs:
            p.stdin.send(m, timeout=5)
        for m in msgs:
            assert p.stdout.recv(timeout=5) == m
        p.stdin.close()
        with pytest.raises(BrokenPipeError):
            p.stdout.recv(timeout=5)


def test_python_child_speaks_frames_on_its_stdio():
    code = ("import ipc\n"
            "i = ipc.open('fd:0', 'r'); o = ipc.open('fd:1', 'w')\n"
            "for m in i: o.send(m[::-1])\n"
            "i.close(); o.close()\n")
    with ipc.spawn([PY, "-c", code], stdin=ipc.PIPE, stdout=ipc.PIPE,
                   env=child_env()) as p:
        p.stdin.send(b"abc")
        assert p.stdout.recv(timeout=10) == b"cba"
        p.stdin.send(b"12345")
        assert p.stdout.recv(timeout=10) == b"54321"
    assert p.returncode == 0


def test_exit_code_and_signals():
    p = ipc.spawn(["sh", "-c", "exit 3"])
    assert p.wait(timeout=10) == 3
    assert p.returncode == 3
    assert p.wait() == 3            # kept
    p.close()
    assert p.wait() == 3            # also after close
    for sig, want in (("TERM", -signal.SIGTERM), ("SIGKILL", -9),
                      (signal.SIGUSR1, -signal.SIGUSR1)):
        with ipc.spawn(["sleep", "30"]) as p:
            p.kill(sig)
        assert p.returncode == want
    with ipc.spawn(["sleep", "30"]) as p:
        p.kill()                    # default: TERM
    assert p.returncode == -signal.SIGTERM


def test_stderr_to_stdout_and_pipe():
    with ipc.spawn(["sh", "-c", "echo out; echo err >&2"],
                   stdout=ipc.PIPE, stderr=ipc.proc.STDOUT) as p:
        assert sorted(read_all(p.stdout).split()) == [b"err", b"out"]
    with ipc.spawn(["sh", "-c", "echo out; echo err >&2"],
                   stdout=ipc.DEVNULL, stderr=ipc.PIPE) as p:
        assert read_all(p.stderr) == b"err\n"


def test_stdio_from_os_pipe_file_and_channel(tmp_path):
    r, w = os.pipe()
    path = tmp_path / "out.txt"
    try:
        with open(path, "wb") as f:
            # stdin: an int descriptor; stdout: a file object
            with ipc.spawn(["cat"], stdin=r, stdout=f) as p:
                os.write(w, b"from os.pipe\n")
                os.close(w)
                w = -1
        assert path.read_bytes() == b"from os.pipe\n"
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)
    # stdout: a Channel of ours (the write end of an ipc.pipe)
    cr, cw = ipc.pipe()
    with cr, cw:
        with ipc.spawn(["echo", "via channel"], stdout=cw) as p:
            pass
        assert p.returncode == 0
        cw.close()
        assert read_all(cr) == b"via channel\n"


def test_devnull_and_inherited_stdio():
    code = ("import os\n"
            "print(os.readlink('/proc/self/fd/0'))\n"
            "print(os.readlink('/proc/self/fd/2'))")
    with ipc.spawn([PY, "-c", code], stdin=ipc.DEVNULL, stdout=ipc.PIPE,
                   stderr=None) as p:
        fd0, fd2 = read_all(p.stdout).decode().splitlines()
    assert fd0 == "/dev/null"
    # stderr=None: the child has ours
    assert fd2 == os.readlink("/proc/self/fd/2")


def test_env_cwd_and_argv(tmp_path):
    with ipc.spawn(["env"], env={"ONLY": "this", b"B": b"x y"},
                   stdout=ipc.PIPE) as p:
        assert sorted(read_all(p.stdout).split(b"\n")) == \
            [b"", b"B=x y", b"ONLY=this"]
    with ipc.spawn(["pwd"], cwd=tmp_path, stdout=ipc.PIPE) as p:
        assert read_all(p.stdout).strip() == os.fsencode(tmp_path)
    with ipc.spawn(["printf", "%s|", "a b", "", "*"],
                   stdout=ipc.PIPE) as p:
        assert read_all(p.stdout) == b"a b||*|"


def test_search_path_off_needs_a_path(tmp_path):
    with pytest.raises(FileNotFoundError) as ei:
        ipc.spawn(["true"], cwd=tmp_path, search_path=False)
    assert ei.value.filename == "true"
    with ipc.spawn(["/bin/true"], search_path=False) as p:
        pass
    assert p.returncode == 0


def test_endpoints_reach_the_child(unique_name):
    name = unique_name("ring")
    code = ("import ipc, os\n"
            "ch = ipc.endpoint('in')\n"
            "print(os.environ['IPC_ENDPOINTS'].count('='), "
            "ch.recv(timeout=10).decode())\n"
            "ch.close()\n")
    with ipc.Ring(name, capacity=1 << 16, create=True) as ring:
        eps = {"in": "ring:" + name, "other": "mq:/x;y"}
        with ipc.spawn([PY, "-c", code], stdout=ipc.PIPE, env=child_env(),
                       endpoints=eps) as p:
            ring.send(b"through the ring")
            out = read_all(p.stdout, timeout=10)
        assert p.returncode == 0, out
        assert out.split(maxsplit=1) == [b"2", b"through the ring\n"]


def test_pass_fds_and_nothing_else_inherited():
    code = ("import os\n"
            "def is_open(fd):\n"
            "    try: os.fstat(fd)\n"
            "    except OSError: return False\n"
            "    return True\n"
            "print([fd for fd in range(256) if is_open(fd)])\n"
            "os.write(5, b'five')\n")
    leak_r, leak_w = os.pipe()       # must not reach the child
    os.set_inheritable(leak_w, True)
    r, w = os.pipe()
    try:
        with ipc.spawn([PY, "-c", code], stdin=ipc.DEVNULL,
                       stdout=ipc.PIPE, stderr=ipc.DEVNULL,
                       pass_fds={5: w}) as p:
            out = read_all(p.stdout)
        assert out.strip() == b"[0, 1, 2, 5]"
        assert os.read(r, 16) == b"five"
        # a plain list keeps the numbers
        with ipc.spawn([PY, "-c", "import os, sys; "
                        "os.write(int(sys.argv[1]), b'same')", str(w)],
                       pass_fds=[w]) as p:
            pass
        assert p.returncode == 0
        assert os.read(r, 16) == b"same"
    finally:
        for fd in (leak_r, leak_w, r, w):
            os.close(fd)


def test_new_group_and_kill_group():
    # sh waits for its own child: killing the group ends both.
    with ipc.spawn(["sh", "-c", "sleep 30 & wait"], new_group=True) as p:
        time.sleep(0.1)
        p.kill_group("TERM")
    assert p.returncode == -signal.SIGTERM
    p2 = ipc.spawn(["true"], new_group=True)
    try:
        p2.wait(10)
        with pytest.raises(ProcessLookupError):
            p2.kill_group("TERM")
    finally:
        p2.close()
    with ipc.spawn(["sleep", "30"]) as p3:
        with pytest.raises(ValueError):      # not a group leader
            p3.kill_group("TERM")
        p3.kill("KILL")


def test_pdeathsig_follows_the_spawning_thread():
    box = {}

    def spawner():
        box["p"] = ipc.spawn(["sleep", "30"], pdeathsig=True)

    t = threading.Thread(target=spawner)
    t.start()
    t.join()
    p = box["p"]
    with p:
        assert p.wait(timeout=10) == -signal.SIGKILL


# --- would block / timeouts -----------------------------------------------

def test_wait_timeout_poll_and_returncode():
    with ipc.spawn(["sleep", "30"]) as p:
        assert p.returncode is None
        assert p.poll() is None
        t = time.monotonic()
        with pytest.raises(TimeoutError) as ei:
            p.wait(timeout=0.1)
        dt = time.monotonic() - t
        assert 0.1 <= dt < 2, dt
        assert ei.value.errno == errno.ETIMEDOUT
        with pytest.raises(TimeoutError):
            p.wait(timeout=0)
        assert "running" in repr(p)
        p.kill("KILL")
    assert p.poll() == -9
    assert "returncode=-9" in repr(p)


def test_pidfd_becomes_readable_at_exit():
    with ipc.spawn(["sleep", "0.2"]) as p:
        assert select.select([p], [], [], 0)[0] == []
        assert select.select([p], [], [], 10)[0] == [p]
        assert p.poll() == 0


def test_kill_after_exit_is_quiet():
    p = ipc.spawn(["true"])
    with p:
        time.sleep(0.1)     # ended, not reaped: still nothing is sent
        p.kill("KILL")
        assert p.wait(10) == 0
        p.kill("TERM")      # reaped: nothing to signal
    p.kill()                # closed, returncode known


# --- closed handles and misuse --------------------------------------------

def test_closed_process_misuse():
    p = ipc.spawn(["sleep", "30"])
    p.kill("KILL")
    pid = p.pid
    p.close()
    p.close()               # idempotent
    assert p.closed
    with pytest.raises(ValueError):
        p.wait()
    with pytest.raises(ValueError):
        p.kill()
    with pytest.raises(ValueError):
        p.fileno()
    # the zombie is ours to reap by pid now that the handle is gone
    assert os.waitpid(pid, 0)[0] == pid


def test_bad_arguments():
    with pytest.raises(ValueError):
        ipc.spawn([])
    with pytest.raises(ValueError):
        ipc.spawn(["echo", "nul\0byte"])
    with pytest.raises(TypeError):
        ipc.spawn(["echo", 3])
    with pytest.raises(ValueError):
        ipc.spawn(["true"], env={"A=B": "c"})
    with pytest.raises(TypeError):
        ipc.spawn(["true"], stdin=object())
    with pytest.raises(ValueError):
        ipc.spawn(["true"], stdout=ipc.proc.STDOUT)
    with pytest.raises(TypeError):
        ipc.spawn(["true"], stdin=True)
    with pytest.raises(TypeError):
        ipc.Process()
    r, w = ipc.pipe()
    with r, w:
        # child 1 wired twice: the core refuses, the pipes made are closed
        with pytest.raises(ValueError):
            ipc.spawn(["true"], stdout=ipc.PIPE, pass_fds={1: w})
        with pytest.raises(OSError) as ei:
            ipc.spawn(["true"], pass_fds=[1000])   # not open
        assert ei.value.errno == errno.EBADF
        ring_like = r
        r.close()
        with pytest.raises(ValueError):   # a closed channel
            ipc.spawn(["true"], stdin=ring_like)


def test_ring_cannot_be_stdio(unique_name):
    with ipc.Ring(unique_name("ring"), capacity=1 << 16, create=True) as rg:
        with pytest.raises(OSError):      # io.UnsupportedOperation
            ipc.spawn(["true"], stdin=rg)


# --- missing objects --------------------------------------------------------

def test_missing_program_and_cwd(tmp_path):
    with pytest.raises(FileNotFoundError) as ei:
        ipc.spawn(["/nonexistent/program"])
    assert ei.value.filename == "/nonexistent/program"
    with pytest.raises(FileNotFoundError):
        ipc.spawn(["no-such-program-ipc-test"])
    with pytest.raises(FileNotFoundError):
        ipc.spawn(["true"], cwd=tmp_path / "missing")
    script = tmp_path / "noexec"
    script.write_text("#!/bin/sh\n")
    with pytest.raises(PermissionError):
        ipc.spawn([str(script)])
    # the pipes of a failed spawn are closed (the fd check fixture agrees)
    with pytest.raises(FileNotFoundError):
        ipc.spawn(["/nonexistent/program"], stdin=ipc.PIPE,
                  stdout=ipc.PIPE, stderr=ipc.PIPE)


def test_unclosed_process_warns():
    p = ipc.spawn(["true"])
    p.wait(10)
    with pytest.warns(ResourceWarning):
        del p
        import gc
        gc.collect()
