# SPDX-License-Identifier: MIT
"""System V semaphore sets: ``ipc.SysVSemaphoreSet``.

A set holds 1 to SEMMSL counters (0 .. 32767 each), found by a key.
``op()`` applies several operations to several counters atomically: all
happen, or none does and the call waits until all can. An operation
taken with ``undo=True`` is undone by the kernel when the process exits,
however it dies: a lock taken with ``op([(0, -1)], undo=True)`` comes
back if its holder is killed.

The set outlives every process until ``remove()`` (or ipcrm); close()
never removes it. See docs/semset.md.
"""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple

from . import _core
from ._util import Handle, Key, Timeout, check_mode, open_flags, sysv_key, \
    with_name

__all__ = ["SysVSemaphoreSet", "VALUE_MAX"]

#: The largest value of one counter (SEMVMX).
VALUE_MAX = _core.IPC_SEMSET_VALUE_MAX


class SysVSemaphoreSet(Handle):
    """A System V semaphore set.

    *key*: an int, a string in URL syntax ("0x1234", "/path:proj") or a
    (path, proj) pair for ftok(3).

    *count*: the number of counters. When creating it defaults to
    ``len(values)``, or 1; when opening an existing set, None accepts any
    size and a number must match the set's exactly (ValueError
    otherwise).

    *values*: the initial values of a new set (default all 0); ignored
    when the set exists.

    *timeout*: how long an opener waits for the creator of a new set to
    set its initial values (the sem_otime handshake, docs/semset.md); a
    set made by a program that skips the handshake (sysv_ipc without a
    first acquire/release, for one) is never "initialised", and opening it
    raises TimeoutError at that deadline. None waits for ever.
    """

    __slots__ = ("_key",)
    _kind = "semaphore set"
    _close_fn = staticmethod(_core.semset_close)

    def __init__(self, key: Key, count: Optional[int] = None,
                 create: bool = False, exclusive: bool = False,
                 mode: int = 0o600, values: Optional[Sequence[int]] = None,
                 timeout: Timeout = None) -> None:
        super().__init__()
        self._key = sysv_key(key)
        if values is not None:
            values = list(values)
            if count is None:
                count = len(values)
            elif count != len(values):
                raise ValueError(f"values has {len(values)} items, count "
                                 f"is {count}")
        if count is None:
            count = 1 if (create or exclusive) else 0
        elif not isinstance(count, int) or isinstance(count, bool):
            raise TypeError("count must be an int")
        elif count < 1:
            raise ValueError("count must be >= 1")
        try:
            self._h = _core.semset_open(self._key, count, values,
                                        open_flags(create, exclusive),
                                        check_mode(mode), timeout)
        except OSError as e:
            raise with_name(e, self._label()) from None

    def _label(self) -> str:
        return f"semset:0x{self._key & 0xffffffff:08x}"

    def _fail(self, e: OSError) -> OSError:
        return with_name(e, self._label())

    @property
    def key(self) -> int:
        """The key the set was opened with (a signed 32-bit int, as
        ipcs(1) and semget(2) have it)."""
        return self._key

    @property
    def id(self) -> int:
        """The kernel's id of the set (what ipcs(1) shows)."""
        return _core.semset_id(self._handle())

    @property
    def count(self) -> int:
        """The number of counters."""
        return _core.semset_count(self._handle())

    def op(self, ops: Iterable[Tuple[int, int]], undo: bool = False,
           timeout: Timeout = None) -> None:
        """Apply operations atomically: each is (num, delta); delta > 0
        adds, delta < 0 waits until counter num is at least -delta and
        subtracts, delta == 0 waits until it is 0. All happen, or none and
        the call waits (TimeoutError after *timeout* seconds,
        BlockingIOError when *timeout* is 0 and it would wait).
        *undo*: the kernel undoes these operations when this process
        exits (use it for lock-style pairs, on both halves)."""
        flag = _core.IPC_SEMSET_UNDO if undo else 0
        items = []
        for o in ops:
            if not isinstance(o, (tuple, list)) or len(o) != 2:
                raise TypeError(f"each operation is (num, delta), not "
                                f"{o!r}")
            items.append((o[0], o[1], flag))
        h = self._handle()
        if not items:
            raise ValueError("no operations")
        try:
            _core.semset_op(h, items, timeout)
        except OSError as e:
            raise self._fail(e) from None

    def acquire(self, num: int = 0, timeout: Timeout = None,
                undo: bool = True) -> bool:
        """Take one from counter *num*: ``op([(num, -1)], undo, timeout)``,
        returning False instead of raising on timeout. With the default
        undo=True a killed holder gives it back."""
        try:
            self.op([(num, -1)], undo=undo, timeout=timeout)
        except (TimeoutError, BlockingIOError):
            return False
        return True

    def release(self, num: int = 0, undo: bool = True) -> None:
        """Give one back to counter *num* (the undo flag must match the
        acquire's)."""
        self.op([(num, 1)], undo=undo, timeout=0)

    @property
    def values(self) -> List[int]:
        """Every counter's value, read atomically. Assigning a list of
        count values sets them all at once (and clears every process's
        undo adjustments)."""
        h = self._handle()
        try:
            return _core.semset_get_all(h, _core.semset_count(h))
        except OSError as e:
            raise self._fail(e) from None

    @values.setter
    def values(self, values: Sequence[int]) -> None:
        h = self._handle()
        try:
            _core.semset_set_all(h, list(values))
        except OSError as e:
            raise self._fail(e) from None

    def value(self, num: int = 0) -> int:
        """The value of counter *num*; stale once read."""
        h = self._handle()
        try:
            return _core.semset_get(h, num)
        except OSError as e:
            raise self._fail(e) from None

    def set(self, num: int, value: int) -> None:
        """Set counter *num* to *value* (0 .. VALUE_MAX), waking whoever
        that lets through and clearing undo adjustments for it."""
        h = self._handle()
        try:
            _core.semset_set(h, num, value)
        except OSError as e:
            raise self._fail(e) from None

    def remove(self) -> None:
        """Remove the set from the system: waiters everywhere wake with
        OSError(EIDRM). The handle stays open: close() it."""
        h = self._handle()
        try:
            _core.semset_remove(h)
        except OSError as e:
            raise self._fail(e) from None

    def _describe(self) -> str:
        return f"key=0x{self._key & 0xffffffff:08x}"
