# SPDX-License-Identifier: MIT
"""Fixtures every Python test shares (STYLE.md 2.10).

- ``unique_name``: a factory of unique POSIX names
  "/ipc-test-<pid>-<n>-<tag>"; every name it gave is unlinked after the
  test (as mq, shm, sem, mutex and ring: whichever exists), even on failure.
- ``unique_key``: a factory of unique System V keys; every queue, segment
  and semaphore set with those keys is removed after the test.
- ``tmp_path`` (pytest's) for FIFOs and sockets; ``fifo_path`` and
  ``sock_path`` give unique paths in it.
- ``run_python(code, *args, **kw)``: run code in a child ``sys.executable``
  with the package on its path; returns subprocess.CompletedProcess.
- ``run_lua(code, *args)``: the same with lua5.4 and the Lua module.
- every test checks that it left no descriptor open (/proc/self/fd).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import pytest

import ipc

_counter = itertools.count(1)
BUILD = os.environ.get("IPC_BUILD_DIR", "")
SOURCE = os.environ.get("IPC_SOURCE_DIR", "")
LUA = os.environ.get("IPC_TEST_LUA") or "lua5.4"


def _unique(tag: str) -> str:
    return f"ipc-test-{os.getpid()}-{next(_counter)}-{tag}"


@pytest.fixture
def unique_name():
    names = []

    def make(tag: str = "x") -> str:
        n = "/" + _unique(tag)
        names.append(n)
        return n

    yield make
    for n in names:
        for kind in ("mq", "shm", "sem", "mutex", "ring"):
            try:
                ipc.unlink(f"{kind}:{n}")
            except OSError:
                pass


@pytest.fixture
def unique_key():
    keys = []

    def make() -> int:
        k = 0x50000000 | ((os.getpid() & 0xffff) << 8) | (next(_counter) & 0xff)
        keys.append(k)
        return k

    yield make
    for k in keys:
        for kind in ("sysvmq", "sysvshm", "semset"):
            try:
                ipc.unlink(f"{kind}:{k}")
            except OSError:
                pass


@pytest.fixture
def fifo_path(tmp_path):
    return lambda tag="fifo": str(tmp_path / _unique(tag))


@pytest.fixture
def sock_path(tmp_path):
    return lambda tag="sock": str(tmp_path / _unique(tag))


def child_env() -> dict:
    env = dict(os.environ)
    pkg = os.path.join(BUILD, "python") if BUILD else os.path.dirname(
        os.path.dirname(ipc.__file__))
    env["PYTHONPATH"] = pkg + (":" + env["PYTHONPATH"]
                               if env.get("PYTHONPATH") else "")
    if BUILD:
        env["LUA_CPATH"] = os.path.join(BUILD, "lua", "?.so") + ";;"
    if SOURCE:
        env["LUA_PATH"] = (os.path.join(SOURCE, "lua", "?.lua") + ";" +
                           os.path.join(SOURCE, "spec", "?.lua") + ";;")
    return env


@pytest.fixture
def run_python():
    def run(code: str, *args: str, timeout: float = 60, **kw):
        return subprocess.run([sys.executable, "-c", code, *args],
                              env=child_env(), capture_output=True,
                              timeout=timeout, **kw)
    return run


@pytest.fixture
def run_lua():
    def run(code: str, *args: str, timeout: float = 60, **kw):
        return subprocess.run([LUA, "-e", code, *args], env=child_env(),
                              capture_output=True, timeout=timeout, **kw)
    return run


def _fds() -> set:
    return set(os.listdir("/proc/self/fd"))


@pytest.fixture(autouse=True)
def no_fd_leak():
    before = _fds()
    yield
    after = _fds()
    # listdir's own descriptor comes and goes; compare what stays open.
    leaked = sorted(int(f) for f in after - before
                    if os.path.exists(f"/proc/self/fd/{f}"))
    if leaked:
        targets = [os.readlink(f"/proc/self/fd/{f}") for f in leaked
                   if os.path.exists(f"/proc/self/fd/{f}")]
        pytest.fail(f"descriptors left open: {leaked} -> {targets}")
