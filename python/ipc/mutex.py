# SPDX-License-Identifier: MIT
"""Robust process-shared mutexes: ``ipc.Mutex``.

A named lock that unrelated processes share, with a condition variable.
Its point is owner death: when the holder dies (killed, crashed), the
next ``acquire()`` succeeds and sets ``owner_died``; the data the lock
protects may be half updated. Repair it, then ``release()``, which marks
the mutex consistent again (``release(consistent=False)`` instead makes
it unrecoverable for everyone: unlink it and make a new one).

The lock belongs to the thread that took it, through this handle:
release it from the same thread and the same Mutex object (another
thread gets PermissionError; acquiring again in the holding thread
raises OSError(EDEADLK)). close() releases a lock this thread still
holds. The name lives in /dev/shm until ``unlink()``. See docs/mutex.md.

Signals: the core's lock wait is never interrupted by a signal, so this
class waits in slices of SLICE seconds and lets Python run its signal
handlers between them: Ctrl+C (KeyboardInterrupt) ends a wait within
about SLICE.
"""

from __future__ import annotations

import errno
import time
from typing import Callable, Optional, TypeVar

from . import _core
from ._util import Handle, Timeout, check_mode, open_flags, with_name

__all__ = ["Mutex", "SLICE"]

#: The longest single wait inside the core, in seconds: the most a
#: KeyboardInterrupt waits to be seen.
SLICE = 0.05

T = TypeVar("T")


def _deadline(timeout: Timeout) -> Optional[float]:
    """The caller's absolute deadline on time.monotonic() (None: never)."""
    if timeout is None:
        return None
    if timeout != timeout or timeout < 0:  # NaN too
        raise ValueError("timeout must be a non-negative number of "
                         "seconds, or None")
    return time.monotonic() + timeout


def _slice(deadline: Optional[float]) -> float:
    """The next slice: SLICE, or what is left before *deadline*."""
    if deadline is None:
        return SLICE
    return max(0.0, min(SLICE, deadline - time.monotonic()))


class Mutex(Handle):
    """A named robust process-shared mutex with a condition variable.

    ``Mutex("/name", create=True)`` creates it or opens an existing one;
    ``exclusive=True`` fails with FileExistsError when it exists; without
    *create* a missing one raises FileNotFoundError. *timeout* bounds the
    wait for another process that is initialising a new mutex.

    ``with mx:`` acquires (for ever) and releases; it does not close.
    """

    __slots__ = ("_name", "_owner_died", "_dirty")
    _kind = "mutex"
    _close_fn = staticmethod(_core.mutex_close)

    def __init__(self, name: str, create: bool = False,
                 exclusive: bool = False, mode: int = 0o600,
                 timeout: Timeout = None) -> None:
        super().__init__()
        if not isinstance(name, str):
            raise TypeError(f"name must be a str such as '/name', not "
                            f"{type(name).__name__}")
        self._name = name
        self._owner_died = False
        self._dirty = False     # held after owner death, not yet repaired
        try:
            self._h = _core.mutex_open(name, open_flags(create, exclusive),
                                       check_mode(mode), timeout)
        except OSError as e:
            raise with_name(e, name) from None

    @property
    def name(self) -> str:
        """The mutex's name ("/name"), also after close()."""
        return self._name

    @property
    def owner_died(self) -> bool:
        """True when the last acquire() (or wait()) took the lock from a
        process or thread that died holding it."""
        return self._owner_died

    def _took(self, died: bool) -> None:
        self._owner_died = died
        self._dirty = died

    def acquire(self, timeout: Timeout = None) -> bool:
        """Take the lock, waiting up to *timeout* seconds (None: for
        ever; 0: try once). True when held (check owner_died), False on
        timeout. Raises OSError(ENOTRECOVERABLE) when a previous owner's
        death was never repaired, OSError(EDEADLK) when this thread holds
        it already."""
        h = self._handle()
        if timeout == 0:
            return self._lock_once(h, 0)
        deadline = _deadline(timeout)
        while True:
            if self._lock_once(h, _slice(deadline)):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            # Back in Python between slices: a pending SIGINT raises
            # KeyboardInterrupt here, with the lock not held.

    def _lock_once(self, h, wait: float) -> bool:
        try:
            _core.mutex_lock(h, wait)
        except (TimeoutError, BlockingIOError):
            return False
        except OSError as e:
            if e.errno == errno.EOWNERDEAD:
                self._took(True)     # the lock IS held
                return True
            raise with_name(e, self._name) from None
        self._took(False)
        return True

    def consistent(self) -> None:
        """Mark an owner-died lock as repaired now (release() does it by
        default). ValueError when the lock is not in that state."""
        try:
            _core.mutex_consistent(self._handle())
        except OSError as e:
            raise with_name(e, self._name) from None
        self._dirty = False

    def release(self, consistent: bool = True) -> None:
        """Release the lock. After an owner death it is first marked
        consistent, unless *consistent* is False: the mutex then becomes
        unrecoverable (every later acquire anywhere raises
        OSError(ENOTRECOVERABLE)). PermissionError when this thread does
        not hold it through this handle."""
        h = self._handle()
        if self._dirty and consistent:
            self.consistent()
        try:
            _core.mutex_unlock(h)
        except OSError as e:
            raise with_name(e, self._name) from None
        self._dirty = False

    def wait(self, timeout: Timeout = None) -> bool:
        """Wait on the condition variable: the caller holds the lock,
        which is released while waiting and held again on return, in
        every case but an exception.

        Returns False when *timeout* passed, True otherwise: woken by
        signal()/broadcast() from any process, or spuriously. Wake-ups
        may be spurious, and this call returns at least every SLICE
        seconds so that Ctrl+C is seen: always wait in a loop that
        re-checks the shared state, or use wait_for(). A wait that takes
        the lock back from a dead owner sets owner_died."""
        h = self._handle()
        deadline = _deadline(timeout)
        try:
            _core.mutex_wait(h, 0 if timeout == 0 else _slice(deadline))
        except (TimeoutError, BlockingIOError):
            return deadline is None or time.monotonic() < deadline
        except OSError as e:
            if e.errno == errno.EOWNERDEAD:
                self._took(True)
                return True
            raise with_name(e, self._name) from None
        return True

    def wait_for(self, predicate: Callable[[], T],
                 timeout: Timeout = None) -> T:
        """Wait until *predicate()* is true, with the lock held (as
        threading.Condition.wait_for); returns its last value, false when
        *timeout* passed first."""
        self._handle()
        deadline = _deadline(timeout)
        result = predicate()
        while not result:
            if deadline is None:
                self.wait()
            else:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.wait(left)
            result = predicate()
        return result

    def signal(self) -> None:
        """Wake one waiter of the condition variable (holding the lock is
        allowed, not required)."""
        _core.mutex_signal(self._handle())

    def broadcast(self) -> None:
        """Wake every waiter of the condition variable."""
        _core.mutex_broadcast(self._handle())

    def unlink(self) -> None:
        """Remove the name (FileNotFoundError if already gone); open
        handles keep working, a later open makes a new mutex. Allowed
        after close()."""
        try:
            _core.mutex_unlink(self._name)
        except OSError as e:
            raise with_name(e, self._name) from None

    def __enter__(self) -> "Mutex":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _describe(self) -> str:
        return repr(self._name)
