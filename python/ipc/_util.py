# SPDX-License-Identifier: MIT
"""Helpers shared by the modules of the ipc package (private).

Every handle class derives from Handle: the SWIG handle lives in ``_h``
(None once closed), ``close()`` is idempotent, the object is a context
manager, and ``__del__`` is only a ResourceWarning safety net (as
``socket`` does), never the way things are meant to be closed.

Timeouts are passed to ``_core`` as they are (None or seconds): the
deadline typemap converts them once per call, so a retry after EINTR never
lengthens the wait.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Callable, Optional, Tuple, Union

from . import _core

Timeout = Optional[float]
Key = Union[int, str, Tuple[str, int]]

O_READ = _core.IPC_O_READ
O_WRITE = _core.IPC_O_WRITE
O_RDWR = _core.IPC_O_RDWR
O_CREATE = _core.IPC_O_CREATE
O_EXCL = _core.IPC_O_EXCL
MODE_DEFAULT = _core.IPC_MODE_DEFAULT


class Handle:
    """Base of every ipc handle: close(), closed, with-statement, and a
    ResourceWarning when one is garbage-collected unclosed."""

    __slots__ = ("_h", "__weakref__")
    _kind = "handle"          # for messages: "pipe", "message queue"...
    _close_fn: Callable[[Any], None] = staticmethod(lambda h: None)

    def __init__(self, handle: Any = None) -> None:
        self._h = handle

    @property
    def closed(self) -> bool:
        """True once close() has run."""
        return self._h is None

    def _handle(self) -> Any:
        h = self._h
        if h is None:
            raise ValueError(f"I/O operation on closed {self._kind}")
        return h

    def close(self) -> None:
        """Release the handle (idempotent). Named objects stay: unlink()
        or remove() destroys them."""
        h, self._h = self._h, None
        if h is not None:
            type(self)._close_fn(h)

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_h", None) is not None:
            # Close even when the warning raises (-W error): a finalizer
            # must not leak what it found.
            try:
                warnings.warn(f"unclosed {self!r}", ResourceWarning,
                              source=self, stacklevel=2)
            finally:
                try:
                    self.close()
                except Exception:  # never raise from a finalizer
                    pass

    def __repr__(self) -> str:
        state = "closed" if self._h is None else self._describe()
        return f"<ipc.{type(self).__name__} {state}>"

    def _describe(self) -> str:
        return "open"


def open_flags(create: bool = False, exclusive: bool = False) -> int:
    """create/exclusive as IPC_O_* flags (exclusive implies create)."""
    fl = 0
    if create or exclusive:
        fl |= O_CREATE
    if exclusive:
        fl |= O_EXCL
    return fl


def rw_flags(mode: str) -> int:
    """"r" | "w" | "rw" as IPC_O_* flags."""
    if mode == "r":
        return O_READ
    if mode == "w":
        return O_WRITE
    if mode in ("rw", "wr", "r+", "w+"):
        return O_RDWR
    raise ValueError(f'mode must be "r", "w" or "rw", not {mode!r}')


def check_mode(mode: int) -> int:
    """Permission bits, 0 .. 0o777."""
    if not isinstance(mode, int) or isinstance(mode, bool):
        raise TypeError(f"mode must be an int such as 0o600, not "
                        f"{type(mode).__name__}")
    if not 0 <= mode <= 0o777:
        raise ValueError(f"mode must be 0 .. 0o777, not {oct(mode)}")
    return mode


def size_value(value: Union[int, str, None], what: str) -> int:
    """An int, or a size string such as "4MiB" (the URL syntax); None -> 0
    (the default)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an int or a size string")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{what} must be >= 0")
        return value
    if isinstance(value, str):
        return _core.parse_size(value)
    raise TypeError(f"{what} must be an int or a size string such as "
                    f"'1MiB', not {type(value).__name__}")


def sysv_key(key: Key) -> int:
    """A System V key: an int, a string in URL syntax ("0x1234",
    "/path:proj"), or a (path, proj) pair for ftok."""
    if isinstance(key, bool):
        raise TypeError("key must be an int, a str or (path, proj)")
    if isinstance(key, int):
        if not -2**31 <= key < 2**32:
            raise ValueError("key out of range")
        return key - 2**32 if key >= 2**31 else key
    if isinstance(key, tuple):
        if len(key) != 2:
            raise ValueError("key tuple must be (path, proj)")
        path, proj = key
        return _core.sysv_key(os.fsdecode(path), int(proj))
    if isinstance(key, str):
        return _core.sysv_parse_key(key)
    raise TypeError(f"key must be an int, a str or (path, proj), not "
                    f"{type(key).__name__}")


def signal_number(sig: Union[int, str]) -> int:
    """A signal as a number, or a name with or without "SIG"."""
    if isinstance(sig, bool):
        raise TypeError("signal must be an int or a name")
    if isinstance(sig, int):
        return int(sig)
    if isinstance(sig, str):
        return _core.sig_number(sig)
    raise TypeError(f"signal must be an int or a name such as 'USR1', not "
                    f"{type(sig).__name__}")


def with_name(exc: OSError, name: Union[str, int, None]) -> OSError:
    """Attach the object's name to an OSError (its filename), as os does."""
    if isinstance(exc, OSError) and exc.filename is None and name is not None:
        exc.filename = name if isinstance(name, str) else str(name)
    return exc


def unlink(url: str) -> None:
    """Remove the named object behind any URL ("mq:/q", "fifo:/tmp/f",
    "sysvmq:0x1234", "shm:/x"...). FileNotFoundError when it is absent."""
    try:
        _core.unlink_url(url)
    except OSError as e:
        raise with_name(e, url) from None
