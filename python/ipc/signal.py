# SPDX-License-Identifier: MIT
"""Signals: ``send_signal()``, and receiving them as data with
``SignalSet`` (a signalfd).

Signals are notifications, not a data channel: standard signals (1-31)
coalesce while pending, and the payload is one int. A SignalSet blocks
its signals in the calling thread and reads them, with the sender's pid
and uid and the payload, from a pollable descriptor; no handler runs.

Threads: the mask is per thread, and a signal sent to the process goes to
any thread that does not block it. Open sets in the main thread before
starting threads (new threads inherit the mask), or block the signals in
every thread (``signal.pthread_sigmask``). Python's own handlers only run
in the main thread. See docs/signal.md.
"""

from __future__ import annotations

from typing import Iterable, List, NamedTuple, Optional, Tuple, Union

from . import _core
from ._util import Handle, Timeout, signal_number

__all__ = ["send_signal", "SignalSet", "SignalInfo", "signal_name",
           "CODE_USER", "CODE_QUEUE", "CODE_TKILL"]

Signal = Union[int, str]

#: SignalInfo.code of kill(2) (send_signal without a value).
CODE_USER = _core.IPC_SIG_CODE_USER
#: SignalInfo.code of sigqueue(3) (send_signal with a value).
CODE_QUEUE = _core.IPC_SIG_CODE_QUEUE
#: SignalInfo.code of tgkill(2), raise(3), signal.pthread_kill().
CODE_TKILL = _core.IPC_SIG_CODE_TKILL


class _SignalFields(NamedTuple):
    signo: int
    """The signal number."""
    name: str
    """Its name without "SIG": "USR1", "RTMIN+3"."""
    pid: int
    """The sender's pid (SIGCHLD: the child's)."""
    uid: int
    """The sender's real uid."""
    value: int
    """The payload of send_signal(..., value=); 0 without one."""


class SignalInfo(_SignalFields):
    """One received signal: the tuple (signo, name, pid, uid, value) that
    DESIGN.md fixes, so ``signo, name, pid, uid, value = info`` works, plus
    ``code`` as an attribute outside the tuple: CODE_USER (kill),
    CODE_QUEUE (sigqueue), CODE_TKILL, or a kernel si_code (> 0)."""

    code: int

    def __new__(cls, signo: int, name: str, pid: int, uid: int, value: int,
                code: int = 0) -> "SignalInfo":
        self = super().__new__(cls, signo, name, pid, uid, value)
        self.code = code
        return self

    def __repr__(self) -> str:
        return (f"SignalInfo(signo={self.signo}, name={self.name!r}, "
                f"pid={self.pid}, uid={self.uid}, value={self.value}, "
                f"code={self.code})")


def signal_name(signo: int) -> str:
    """The name of a signal number without "SIG" ("USR1"); ValueError
    for a number that is not a signal."""
    name = _core.sig_name(int(signo))
    if name is None:
        raise ValueError(f"{signo} is not a valid signal")
    return name


def send_signal(pid: int, sig: Signal, value: Optional[int] = None) -> None:
    """Send signal *sig* ("USR1", "SIGUSR1", or a number; 0 checks that
    *pid* exists) to process *pid*. With *value* (an int, 32 bits) it is
    queued with that payload (sigqueue(3)), which the receiver reads as
    SignalInfo.value; without, it is kill(2).

    ProcessLookupError: no such process; PermissionError: not allowed;
    BlockingIOError: the receiver's queue of real-time signals is full.
    A pid names a process only until it is reaped: signal your children
    through ipc.Process.kill()."""
    if not isinstance(pid, int) or isinstance(pid, bool):
        raise TypeError("pid must be an int")
    signo = signal_number(sig)
    if value is None:
        _core.sig_send(pid, signo)
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("value must be an int")
    if not -2**31 <= value < 2**31:
        raise ValueError("value must fit in 32 bits (a C int)")
    _core.sig_queue(pid, signo, value)


def _signals(signals: Union[Signal, Iterable[Signal]]) -> Tuple[int, ...]:
    if isinstance(signals, (str, int)):
        signals = [signals]
    nums = tuple(signal_number(s) for s in signals)
    if not nums:
        raise ValueError("a SignalSet needs at least one signal")
    return nums


class SignalSet(Handle):
    """Receive some signals as data.

    ``SignalSet(["USR1", "TERM"])`` blocks them in the calling thread and
    opens a signalfd for them; ``wait()`` returns the next one as a
    SignalInfo. fileno() is pollable (readable while one is pending for
    this thread): then ``wait(0)`` reads it.

    close() unblocks, in the calling thread, the signals that were not
    blocked before the set was opened: close in the thread that opened
    it, and close overlapping sets in reverse order. A signal of the set
    still pending at close() is delivered at once under its disposition
    (for USR1 or TERM at their default: the process ends); ``drain()``
    first if that matters. Children started while the set is open
    inherit the mask (across exec too): ipc.spawn() resets it for them,
    subprocess and os.fork do not.
    """

    __slots__ = ("_signals",)
    _kind = "signal set"
    _close_fn = staticmethod(_core.sigset_close)

    def __init__(self, signals: Union[Signal, Iterable[Signal]]) -> None:
        super().__init__()
        self._signals = _signals(signals)
        self._h = _core.sigset_open(list(self._signals), 0)

    @property
    def signals(self) -> Tuple[int, ...]:
        """The signal numbers of the set, as given."""
        return self._signals

    def fileno(self) -> int:
        """The signalfd (borrowed: close() closes it); read it with
        wait(0), not os.read()."""
        return _core.sigset_fd(self._handle())

    def wait(self, timeout: Timeout = None) -> Optional[SignalInfo]:
        """The next signal of the set, waiting up to *timeout* seconds
        (None: for ever; 0: only one already pending). None on timeout.
        Of several pending, the lowest number comes first; one real-time
        signal's instances come in the order they were sent. Handlers of
        other signals still run (Ctrl+C raises KeyboardInterrupt)."""
        h = self._handle()
        try:
            signo, pid, uid, value, code = _core.sigset_wait(h, timeout)
        except (TimeoutError, BlockingIOError):
            return None
        return SignalInfo(signo, _core.sig_name(signo) or str(signo), pid,
                          uid, value, code)

    def drain(self) -> List[SignalInfo]:
        """Every signal of the set pending now, read without waiting."""
        out = []
        while True:
            info = self.wait(0)
            if info is None:
                return out
            out.append(info)

    def _describe(self) -> str:
        return " ".join(_core.sig_name(s) or str(s) for s in self._signals)
