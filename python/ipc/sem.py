# SPDX-License-Identifier: MIT
"""POSIX named semaphores: ``ipc.Semaphore``.

A semaphore is a counter that never goes below zero: ``release()`` adds
one, ``acquire()`` takes one or waits for a ``release()`` from any
process. The name ("/name") outlives every process until ``unlink()``;
glibc keeps it as /dev/shm/sem.name, so any program using sem_open(3)
with the same name shares it.

A semaphore has no owner: if a process dies between acquire and release,
its decrement is never given back. For a lock that survives its holder's
death use ``ipc.Mutex`` (robust) or ``ipc.SysVSemaphoreSet`` with
``undo=True``. See docs/sem.md.
"""

from __future__ import annotations


from . import _core
from ._util import Handle, Timeout, check_mode, open_flags, with_name

__all__ = ["Semaphore", "VALUE_MAX"]

#: The largest value a semaphore can hold (SEM_VALUE_MAX).
VALUE_MAX = _core.IPC_SEM_VALUE_MAX


class Semaphore(Handle):
    """A named POSIX semaphore.

    ``Semaphore("/name", value=1, create=True)`` creates it (or opens it
    if it exists: *value* and *mode* only apply to a new one);
    ``exclusive=True`` fails with FileExistsError when it exists; without
    *create* a missing one raises FileNotFoundError.

    ``with s:`` acquires (waiting for ever) and releases; it does not
    close the handle: call ``close()`` (the name stays until
    ``unlink()``).
    """

    __slots__ = ("_name",)
    _kind = "semaphore"
    _close_fn = staticmethod(_core.sem_close)

    def __init__(self, name: str, value: int = 1, create: bool = False,
                 exclusive: bool = False, mode: int = 0o600) -> None:
        super().__init__()
        if not isinstance(name, str):
            raise TypeError(f"name must be a str such as '/name', not "
                            f"{type(name).__name__}")
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError("value must be an int")
        if not 0 <= value <= VALUE_MAX:
            raise ValueError(f"value must be 0 .. {VALUE_MAX}")
        self._name = name
        try:
            self._h = _core.sem_open(name, value,
                                     open_flags(create, exclusive),
                                     check_mode(mode))
        except OSError as e:
            raise with_name(e, name) from None

    @property
    def name(self) -> str:
        """The semaphore's name ("/name"), also after close()."""
        return self._name

    def acquire(self, timeout: Timeout = None) -> bool:
        """Take one, waiting until *timeout* seconds have passed (None:
        for ever; 0: try once). Returns True when taken, False on
        timeout. Ctrl+C (KeyboardInterrupt) interrupts the wait."""
        h = self._handle()
        try:
            _core.sem_wait(h, timeout)
        except (TimeoutError, BlockingIOError):
            return False
        except OSError as e:
            raise with_name(e, self._name) from None
        return True

    def release(self) -> None:
        """Add one, waking one waiter. OSError with errno EOVERFLOW when
        the value is VALUE_MAX already."""
        try:
            _core.sem_post(self._handle())
        except OSError as e:
            raise with_name(e, self._name) from None

    @property
    def value(self) -> int:
        """The current value (0 while someone waits); stale once read."""
        try:
            return _core.sem_value(self._handle())
        except OSError as e:
            raise with_name(e, self._name) from None

    def unlink(self) -> None:
        """Remove the name (FileNotFoundError if already gone). Handles
        that are open, this one too, keep working; close() stays
        needed. Allowed after close()."""
        try:
            _core.sem_unlink(self._name)
        except OSError as e:
            raise with_name(e, self._name) from None

    def __enter__(self) -> "Semaphore":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _describe(self) -> str:
        return repr(self._name)
