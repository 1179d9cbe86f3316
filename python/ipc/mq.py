# SPDX-License-Identifier: MIT
"""POSIX message queues: ``ipc.MessageQueue``.

A message queue is a kernel object named "/name" that holds whole
messages, each with a priority (0 .. PRIORITY_MAX - 1): ``receive()``
always takes the oldest message of the highest priority. Its capacity is
fixed when it is created: at most *max_messages* messages of at most
*max_message_size* bytes each (the system limits are in
/proc/sys/fs/mqueue; a request above them raises ValueError naming the
limit). Any program using mq_open(3) with the same name shares the queue.

The queue and its messages outlive every process until ``unlink()``;
closing a handle never removes it. The descriptor is pollable
(``fileno()``: readable when a message is there, writable when there is
room). See docs/mq.md.
"""

from __future__ import annotations

import errno
from typing import Any, NamedTuple, Optional, Tuple, Union

from . import _core
from ._util import (Handle, Timeout, check_mode, open_flags, rw_flags,
                    size_value, with_name)

__all__ = ["MessageQueue", "MessageQueueAttributes", "PRIORITY_MAX"]

Buffer = Any  # any object with the buffer protocol (bytes, bytearray...)

#: Priorities are 0 .. PRIORITY_MAX - 1; the highest is received first.
PRIORITY_MAX = _core.IPC_MQ_PRIO_MAX


class MessageQueueAttributes(NamedTuple):
    """The shape of a queue and how full it is now."""

    max_messages: int
    """Capacity in messages."""
    max_message_size: int
    """The largest message, in bytes."""
    messages: int
    """Messages in the queue when it was asked."""


def _limit_error(exc: Exception, attr: Optional[Tuple[int, int]],
                 name: str) -> Exception:
    """Append the core's sentence naming the system limit behind a failed
    open (msg_max, msgsize_max, queues_max, RLIMIT_MSGQUEUE...), when one
    explains it."""
    err = errno.EINVAL if isinstance(exc, ValueError) else \
        getattr(exc, "errno", None)
    if err not in (errno.EINVAL, errno.EMFILE, errno.ENOSPC):
        return exc
    try:
        why = _core.mq_limit_message(-err, attr)
    except (OSError, ValueError):   # no limit explains it
        return exc
    if isinstance(exc, ValueError):
        return ValueError(f"{exc}: {why}")
    assert isinstance(exc, OSError)
    return OSError(exc.errno, f"{exc.strerror} ({why})", name)


class MessageQueue(Handle):
    """A POSIX message queue.

    ``MessageQueue("/name", create=True, max_messages=10,
    max_message_size=8192)`` creates it, or opens it when it exists (then
    *mode* is ignored and each size given must equal the queue's, else
    ValueError); ``exclusive=True`` raises FileExistsError when it
    exists; without *create* a missing queue raises FileNotFoundError.
    Sizes left as None take the system defaults when creating and accept
    the queue's own when opening.

    *access* is "rw" (the default), "r" or "w"; *shared* accepts a queue
    owned by another user (refused by default: PermissionError).

    Errors are OSError subclasses with ``filename`` set to the name:
    BlockingIOError (timeout=0 and nothing to do), TimeoutError, OSError
    with errno EMSGSIZE (a message above max_message_size).
    """

    __slots__ = ("_name", "_msgsize")
    _kind = "message queue"
    _close_fn = staticmethod(_core.mq_close)

    def __init__(self, name: str, create: bool = False,
                 exclusive: bool = False, mode: int = 0o600,
                 max_messages: Optional[int] = None,
                 max_message_size: Union[int, str, None] = None, *,
                 access: str = "rw", shared: bool = False) -> None:
        super().__init__()
        if not isinstance(name, str):
            raise TypeError(f"name must be a str such as '/name', not "
                            f"{type(name).__name__}")
        if max_messages is not None and (
                not isinstance(max_messages, int)
                or isinstance(max_messages, bool)):
            raise TypeError("max_messages must be an int")
        if max_messages is not None and max_messages < 0:
            raise ValueError("max_messages must be >= 0")
        self._name = name
        attr = None
        if max_messages is not None or max_message_size is not None:
            attr = (max_messages or 0,
                    size_value(max_message_size, "max_message_size"))
        flags = open_flags(create, exclusive) | rw_flags(access)
        if shared:
            flags |= _core.IPC_O_SHARED
        try:
            h = _core.mq_open(name, flags, check_mode(mode), attr)
        except (OSError, ValueError) as e:
            raise with_name(_limit_error(e, attr, name), name) from None
        self._h = h
        # The receive buffer must hold the largest message: read the size
        # once here, it never changes for the life of the queue.
        self._msgsize = _core.mq_attrs(h)[1]

    @property
    def name(self) -> str:
        """The queue's name ("/name"), also after close()."""
        return self._name

    @property
    def max_message_size(self) -> int:
        """The largest message the queue takes, in bytes."""
        self._handle()
        return self._msgsize

    @property
    def attributes(self) -> MessageQueueAttributes:
        """(max_messages, max_message_size, messages) as of now."""
        return MessageQueueAttributes(*_core.mq_attrs(self._handle()))

    @property
    def unlinked(self) -> bool:
        """True once the queue's name is gone (by any process): no new
        process can open it, but this handle keeps working."""
        return _core.mq_is_unlinked(self._handle())

    def send(self, data: Buffer, priority: int = 0,
             timeout: Timeout = None) -> None:
        """Put one message (any bytes-like object) in the queue, waiting
        while it is full until *timeout* seconds (None: for ever; 0: try
        once, BlockingIOError when full). The message goes in whole or
        not at all; above max_message_size it is refused with OSError
        EMSGSIZE."""
        try:
            _core.mq_send(self._handle(), data, priority, timeout)
        except OSError as e:
            raise with_name(e, self._name) from None

    def receive(self, timeout: Timeout = None) -> Tuple[bytes, int]:
        """Take the oldest message of the highest priority, waiting while
        the queue is empty until *timeout* seconds (None: for ever; 0:
        try once, BlockingIOError when empty). Returns (data,
        priority)."""
        try:
            data, prio = _core.mq_receive(self._handle(), self._msgsize,
                                          timeout)
        except OSError as e:
            raise with_name(e, self._name) from None
        return data, prio

    def fileno(self) -> int:
        """The queue's descriptor, for select/poll: readable when a
        message is there, writable when there is room. It is
        non-blocking; leave it so."""
        return _core.mq_fd(self._handle())

    def unlink(self: Union["MessageQueue", str]) -> None:
        """Remove the queue's name; the queue and its messages go once
        every handle on it is closed (this one too: close() stays
        needed). Allowed after close(); ``MessageQueue.unlink("/name")``
        removes a queue by name. FileNotFoundError if the name is gone
        already."""
        name = self if isinstance(self, str) else self._name
        try:
            _core.mq_unlink(name)
        except OSError as e:
            raise with_name(e, name) from None

    def _describe(self) -> str:
        return repr(self._name)
