# SPDX-License-Identifier: MIT
"""Processes: ``ipc.spawn()`` and ``ipc.Process``.

``spawn(argv, stdin=..., stdout=..., stderr=..., env=..., cwd=...,
endpoints=...)`` starts a program (never a copy of this interpreter: the
core uses posix_spawn, docs/proc.md) with exactly the descriptors it is
given: 0, 1 and 2 plus ``pass_fds``. Every other descriptor of ours is
closed in the child, whatever its inheritable flag, and its signal mask
and dispositions are the defaults.

Each of stdin / stdout / stderr is one of

- None: inherited from us (our 0, 1 or 2), as subprocess does;
- ``ipc.PIPE``: a new pipe; the parent keeps the other end as
  ``p.stdin`` / ``p.stdout`` / ``p.stderr``, a ``Channel`` with raw
  ``write()`` / ``read()`` and framed ``send()`` / ``recv()``;
- ``ipc.DEVNULL``: /dev/null;
- ``ipc.STDOUT`` (stderr only): the same as the child's stdout;
- a Channel (its descriptor), an int descriptor or any object with
  ``fileno()`` (a file, a socket, a Fifo...); it stays ours.

PIPE, DEVNULL and STDOUT have subprocess's values, so ``subprocess.PIPE``
works too. ``endpoints={"in": "ring:/jobs"}`` sets the child's
IPC_ENDPOINTS, where ``ipc.endpoint("in")`` finds it.

The Process holds a pidfd taken at spawn: ``kill()`` can never hit a
process that got the pid later, and ``fileno()`` (readable once the child
has ended) goes in a Poller or an asyncio loop (``ipc.asyncio.wait``).
Do not reap our children behind our back (``os.wait()``, SIGCHLD set to
SIG_IGN): the exit status would be lost (ChildProcessError).

Return codes follow subprocess: the exit code, or minus the signal that
killed the child.
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
from typing import (Any, Iterable, List, Mapping, Optional, Sequence,
                    Tuple, Union)

from . import _core
from ._util import Handle, Timeout, signal_number
from .channel import Channel, pipe

__all__ = ["spawn", "Process", "PIPE", "DEVNULL", "STDOUT"]

#: stdin/stdout/stderr=PIPE: a new pipe, the parent's end as p.stdin...
PIPE = subprocess.PIPE
#: stdin/stdout/stderr=DEVNULL: /dev/null.
DEVNULL = subprocess.DEVNULL
#: stderr=STDOUT: the child's stderr goes where its stdout goes.
STDOUT = subprocess.STDOUT

_DEVNULL_FD = -1  # the core's parent_fd for /dev/null

StrPath = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
Stdio = Union[None, int, Any]


def _text(value: Any, what: str) -> str:
    """A str for the core: str, bytes or a path; no NUL (the C string
    would end there)."""
    if isinstance(value, (str, bytes, os.PathLike)):
        s = os.fsdecode(value)
    else:
        raise TypeError(f"{what} must be str, bytes or a path, not "
                        f"{type(value).__name__}")
    if "\0" in s:
        raise ValueError(f"{what}: embedded null byte")
    return s


def _argv(args: Any) -> List[str]:
    if isinstance(args, (str, bytes, os.PathLike)):
        # A lone string is the program, as subprocess takes it without
        # a shell; spawn never runs /bin/sh for you.
        args = [args]
    argv = [_text(a, "argv item") for a in args]
    if not argv:
        raise ValueError("argv must name a program")
    return argv


def _envp(env: Optional[Mapping[Any, Any]]) -> Optional[List[str]]:
    if env is None:
        return None
    out = []
    for k, v in env.items():
        k, v = _text(k, "environment name"), _text(v, "environment value")
        if not k or "=" in k:
            raise ValueError(f"illegal environment variable name {k!r}")
        out.append(f"{k}={v}")
    return out


def _endpoints(endpoints: Optional[Mapping[str, str]]) -> Optional[str]:
    """{"name": "url"} -> IPC_ENDPOINTS, escaped by the core."""
    if endpoints is None:
        return None
    s = ""
    for name, url in endpoints.items():
        s = _core.endpoints_add(s, _text(name, "endpoint name"),
                                _text(url, "endpoint URL"))
    return s


def _fd_of(obj: Any, what: str) -> int:
    """A descriptor of ours: an int, or obj.fileno()."""
    if isinstance(obj, bool):
        raise TypeError(f"{what} must be a descriptor, not bool")
    if isinstance(obj, int):
        fd = obj
    elif hasattr(obj, "fileno"):
        fd = obj.fileno()
    else:
        raise TypeError(f"{what} must be None, PIPE, DEVNULL, a Channel, "
                        f"a descriptor or an object with fileno(), not "
                        f"{type(obj).__name__}")
    if fd < 0:
        raise ValueError(f"{what}: bad descriptor {fd}")
    return fd


def _pass_fds(pass_fds: Any) -> List[Tuple[int, int]]:
    """pass_fds: descriptors kept at their numbers, or a mapping
    {child_fd: descriptor-or-object}."""
    if isinstance(pass_fds, Mapping):
        return [(int(c), _fd_of(p, f"pass_fds[{c}]"))
                for c, p in pass_fds.items()]
    wires = []
    for p in pass_fds:
        fd = _fd_of(p, "pass_fds item")
        wires.append((fd, fd))
    return wires


class Process(Handle):
    """A child started by ``ipc.spawn()``.

    ``pid``; ``stdin`` / ``stdout`` / ``stderr``: the parent's Channel
    ends of PIPE streams (else None); ``returncode``: None until wait()
    or poll() saw the child end, then the exit code or minus the signal.
    ``with spawn(...) as p:`` closes the pipes, waits for the child, and
    frees the handle. close() frees the handle without waiting: a child
    still running keeps running.
    """

    __slots__ = ("pid", "args", "stdin", "stdout", "stderr", "_returncode")
    _kind = "process"
    _close_fn = staticmethod(_core.proc_close)

    def __init__(self, *args: Any, **kw: Any) -> None:
        raise TypeError("processes are made by ipc.spawn()")

    @classmethod
    def _adopt(cls, h: Any, argv: List[str],
               pipes: Sequence[Optional[Channel]]) -> "Process":
        p = cls.__new__(cls)
        Handle.__init__(p, h)
        p.pid = _core.proc_pid(h)
        p.args = argv
        p.stdin, p.stdout, p.stderr = pipes
        p._returncode = None
        return p

    def _describe(self) -> str:
        rc = self._returncode
        state = "running" if rc is None else f"returncode={rc}"
        return f"pid={self.pid} {state}"

    def __repr__(self) -> str:
        if self._h is None and self._returncode is not None:
            return (f"<ipc.Process pid={self.pid} "
                    f"returncode={self._returncode}>")
        return super().__repr__()

    @property
    def returncode(self) -> Optional[int]:
        """None until wait() or poll() saw the child end; then the exit
        code, or minus the signal that killed it."""
        return self._returncode

    def wait(self, timeout: Timeout = None) -> int:
        """Wait for the child to end, reap it and return its return code.

        timeout: seconds (None: forever; 0: just look). TimeoutError when
        the child is still running then (also for 0, as subprocess),
        ChildProcessError when someone else reaped it. Once known, the
        return code is kept: later waits return it at once (also after
        close()).
        """
        if self._returncode is not None:
            return self._returncode
        try:
            self._returncode = _core.proc_wait(self._handle(), timeout)
        except BlockingIOError:
            raise TimeoutError(errno.ETIMEDOUT,
                               f"process {self.pid} is still running") \
                from None
        return self._returncode

    def poll(self) -> Optional[int]:
        """The return code if the child has ended (reaping it), else
        None. Never waits."""
        try:
            return self.wait(0)
        except TimeoutError:
            return None

    def send_signal(self, sig: Union[int, str]) -> None:
        """Send a signal (a number or a name such as "TERM" or "SIGUSR1")
        through the pidfd. A child that has ended (waited for or not) is
        left alone, as subprocess does: nothing is sent, no error."""
        h = self._h
        if h is None and self._returncode is not None:
            return
        try:
            _core.proc_kill(self._handle(), signal_number(sig))
        except ProcessLookupError:
            pass

    def kill(self, sig: Union[int, str] = "TERM") -> None:
        """Send sig (default SIGTERM, as the cross-language API says;
        kill("KILL") for SIGKILL). See send_signal()."""
        self.send_signal(sig)

    def terminate(self) -> None:
        """SIGTERM (subprocess's name)."""
        self.send_signal("TERM")

    def kill_group(self, sig: Union[int, str] = "TERM") -> None:
        """Signal the child's whole process group (spawn(new_group=True)
        only, else ValueError). Only while the child is unreaped, so the
        group id cannot have been recycled: ProcessLookupError after
        wait()."""
        _core.proc_kill_group(self._handle(), signal_number(sig))

    def fileno(self) -> int:
        """The pidfd: readable once the child has ended (for a Poller,
        select or asyncio). io.UnsupportedOperation where pidfds are
        unavailable (Linux < 5.3, valgrind)."""
        fd = _core.proc_fd(self._handle())
        if fd < 0:
            raise io.UnsupportedOperation("no pidfd on this system")
        return fd

    def close(self) -> None:
        """Close the parent's pipe ends and free the handle (idempotent).
        Does not wait: a running child keeps running (wait() first to
        reap it)."""
        for attr in ("stdin", "stdout", "stderr"):
            ch = getattr(self, attr, None)
            if ch is not None:
                ch.close()
        super().close()

    def __exit__(self, *exc: object) -> None:
        """Close our pipe ends (the child sees end of file, or EPIPE),
        wait for the child, then free the handle."""
        try:
            for ch in (self.stdin, self.stdout, self.stderr):
                if ch is not None:
                    ch.close()
            if self._h is not None:
                self.wait()
        finally:
            self.close()


def _stdio(spec: Stdio, child_fd: int, made: List[Channel],
           wires: List[Tuple[int, int]],
           child_ends: List[Channel]) -> Optional[Channel]:
    """Wire child_fd as spec says; return the parent's end for PIPE."""
    name = ("stdin", "stdout", "stderr")[child_fd]
    if spec is None:
        return None  # IPC_PROC_KEEP_STDIO: ours is inherited
    if isinstance(spec, int) and not isinstance(spec, bool) and spec < 0:
        if spec == PIPE:
            r, w = pipe()
            made += (r, w)
            ours, theirs = (w, r) if child_fd == 0 else (r, w)
            child_ends.append(theirs)
            wires.append((child_fd, theirs.fileno()))
            return ours
        if spec == DEVNULL:
            wires.append((child_fd, _DEVNULL_FD))
            return None
        if spec == STDOUT:
            if child_fd != 2:
                raise ValueError("STDOUT is for stderr only")
            for c, p in wires:
                if c == 1:
                    wires.append((2, p))
                    return None
            wires.append((2, 1))  # stdout inherited: ours
            return None
        raise ValueError(f"{name}: bad descriptor {spec}")
    wires.append((child_fd, _fd_of(spec, name)))
    return None


def spawn(argv: Union[StrPath, Sequence[StrPath]], stdin: Stdio = None,
          stdout: Stdio = None, stderr: Stdio = None,
          env: Optional[Mapping[Any, Any]] = None,
          cwd: Optional[StrPath] = None,
          endpoints: Optional[Mapping[str, str]] = None, *,
          new_group: bool = False,
          pass_fds: Union[Iterable[Any], Mapping[int, Any]] = (),
          search_path: bool = True, pdeathsig: bool = False) -> Process:
    """Start a program; returns its Process.

    argv: the program and its arguments (str, bytes or paths; a lone
    string is the program alone: no shell ever parses it). search_path
    looks a program without a slash up in our PATH (no /bin/sh fallback
    for scripts without #!). stdin / stdout / stderr: see the module
    docstring. env: the child's whole environment (a dict; None: ours).
    cwd: its working directory (a relative program path is resolved
    there). endpoints: {"name": "url"} for ipc.endpoint(name) in the
    child. new_group: the child leads a process group of its own
    (Process.kill_group). pass_fds: more descriptors to hand down at their
    own numbers, or a mapping {child_fd: descriptor-or-object} to place
    them anywhere. pdeathsig: SIGKILL the child when the *thread* that
    spawned it exits (spawn from the main thread or one as long-lived as
    the program).

    FileNotFoundError / PermissionError / OSError(ENOEXEC) when the
    program (or cwd) cannot be used, with filename = the program;
    ValueError for a bad wiring (a child number given twice...).
    """
    args = _argv(argv)
    envp = _envp(env)
    cwd_s = None if cwd is None else _text(cwd, "cwd")
    eps = _endpoints(endpoints)
    flags = _core.IPC_PROC_KEEP_STDIO
    if search_path:
        flags |= _core.IPC_PROC_SEARCH_PATH
    if new_group:
        flags |= _core.IPC_PROC_NEW_PGROUP
    if pdeathsig:
        flags |= _core.IPC_PROC_PDEATHSIG
    made: List[Channel] = []
    child_ends: List[Channel] = []
    wires: List[Tuple[int, int]] = []
    try:
        ends = [_stdio(spec, i, made, wires, child_ends)
                for i, spec in enumerate((stdin, stdout, stderr))]
        wires += _pass_fds(pass_fds)
        try:
            h = _core.py_proc_spawn(args, envp, cwd_s, wires, eps, flags)
        except OSError as e:
            if e.filename is None:
                e.filename = args[0]
            raise
    except BaseException:
        for ch in made:
            ch.close()
        raise
    # The child has its copies: ours must go, or the pipe never ends.
    for ch in child_ends:
        ch.close()
    return Process._adopt(h, args, ends)
