# SPDX-License-Identifier: MIT
"""System V message queues: ``ipc.SysVMessageQueue``.

A queue of typed messages in the kernel, found by a 32-bit key. Every
message carries a type >= 1 chosen by the sender; ``receive(type=...)``
takes the oldest message of any type (0), of one type (> 0), or of the
lowest type up to a bound (< 0). Any program using msgget(2) with the
same key shares the queue (ipcs -q lists it).

The queue outlives every process until ``remove()`` (or ipcrm); closing a
handle never removes it. Removal is immediate: blocked callers wake with
OSError EIDRM and queued messages are lost. A message holds at most
``max_message_size`` bytes (kernel.msgmax) and the whole queue
``stat()["max_bytes"]`` (kernel.msgmnb).

Waiting with a real timeout polls with a bounded back-off (up to 10 ms),
so a message arriving during a timed wait may be seen up to 10 ms late;
``timeout=None`` blocks in the kernel and wakes at once. There is no
descriptor to poll. See docs/sysvmq.md.
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

from . import _core
from ._util import Handle, Key, Timeout, check_mode, open_flags, sysv_key, \
    with_name

__all__ = ["SysVMessageQueue"]


def key_name(key: int) -> str:
    """A System V key as ipcs(1) prints it ("0x5000a001"), used as the
    ``filename`` of errors."""
    return f"0x{key & 0xffffffff:08x}"


class SysVMessageQueue(Handle):
    """A System V message queue.

    *key* is an int, a string in URL syntax ("0x1234", "/path:proj") or a
    (path, proj) pair for ftok(3); 0 (IPC_PRIVATE) always makes a new
    queue that others reach by its ``id`` (``SysVMessageQueue.from_id``).
    ``create=True`` creates it when missing (*mode* applies to a new queue
    only, exactly, with no umask); ``exclusive=True`` raises
    FileExistsError when it exists; without *create* a missing queue
    raises FileNotFoundError. *shared* accepts a queue owned by another
    user (refused by default: PermissionError).

    Errors are OSError subclasses with ``filename`` set to the key in hex.
    """

    __slots__ = ("_key", "_id", "_maxmsg")
    _kind = "System V message queue"
    _close_fn = staticmethod(_core.sysvmq_close)

    def __init__(self, key: Key, create: bool = False,
                 exclusive: bool = False, mode: int = 0o600, *,
                 shared: bool = False) -> None:
        super().__init__()
        k = sysv_key(key)
        flags = open_flags(create, exclusive)
        if shared:
            flags |= _core.IPC_O_SHARED
        try:
            h = _core.sysvmq_open(k, flags, check_mode(mode))
        except OSError as e:
            raise with_name(e, key_name(k)) from None
        self._adopt(h)

    def _adopt(self, h: Any) -> None:
        self._h = h
        self._key = _core.sysvmq_key(h)
        self._id = _core.sysvmq_id(h)
        self._maxmsg = _core.sysvmq_max_message(h)

    @classmethod
    def from_id(cls, id: int, *, shared: bool = False) -> "SysVMessageQueue":
        """Open a queue by its kernel id (``q.id`` of another handle, or
        ipcs -q): how unrelated processes reach a private queue.
        FileNotFoundError when no queue has that id."""
        self = cls.__new__(cls)
        Handle.__init__(self)
        try:
            h = _core.sysvmq_open_id(id, _core.IPC_O_SHARED if shared else 0)
        except OSError as e:
            raise with_name(e, f"id {id}") from None
        self._adopt(h)
        return self

    @property
    def key(self) -> int:
        """The key the queue was opened with (0 for a private queue or one
        opened by id); also after close()."""
        return self._key

    @property
    def id(self) -> int:
        """The kernel's id of the queue, as ipcs -q shows it."""
        return self._id

    @property
    def max_message_size(self) -> int:
        """The largest payload a message can carry (kernel.msgmax as read
        at open)."""
        self._handle()
        return self._maxmsg

    def _name(self) -> str:
        return key_name(self._key) if self._key else f"id {self._id}"

    def send(self, data: Any, type: int = 1, timeout: Timeout = None) -> None:
        """Queue one message (any bytes-like object) of *type* (>= 1,
        else ValueError), waiting while the queue is full until *timeout*
        seconds (None: for ever; 0: try once, BlockingIOError). Above
        max_message_size: OSError EMSGSIZE. Removed queue: OSError
        EIDRM."""
        try:
            _core.sysvmq_send(self._handle(), type, data, timeout)
        except OSError as e:
            raise with_name(e, self._name()) from None

    def receive(self, type: int = 0, timeout: Timeout = None, *,
                exclude: bool = False) -> Tuple[bytes, int]:
        """Take one message: *type* 0 the oldest of any type, > 0 the
        oldest of that type (with *exclude*: of any other type), < 0 the
        oldest of the lowest type up to -type. Waits until *timeout*
        seconds (None: for ever; 0: try once, BlockingIOError). Returns
        (data, type)."""
        flags = _core.IPC_SYSVMQ_EXCEPT if exclude else 0
        try:
            data, mtype = _core.sysvmq_receive(self._handle(), type, flags,
                                               self._maxmsg, timeout)
        except OSError as e:
            raise with_name(e, self._name()) from None
        return data, mtype

    def stat(self) -> Dict[str, int]:
        """The queue's state (IPC_STAT) as a dict: key, mode, uid, gid,
        cuid, cgid, messages, bytes, max_bytes, last_send_pid,
        last_recv_pid, send_time, recv_time, change_time."""
        try:
            return _core.sysvmq_stat(self._handle())
        except OSError as e:
            raise with_name(e, self._name()) from None

    def set_max_bytes(self, nbytes: int) -> None:
        """Change the queue's capacity in payload bytes (msg_qbytes);
        above kernel.msgmnb needs CAP_SYS_RESOURCE (PermissionError)."""
        try:
            _core.sysvmq_set_max_bytes(self._handle(), nbytes)
        except OSError as e:
            raise with_name(e, self._name()) from None

    def remove(self) -> None:
        """Destroy the queue now, with its messages; callers blocked on it
        in any process wake with OSError EIDRM. The handle stays open
        (every later call raises EIDRM) until close()."""
        try:
            _core.sysvmq_remove(self._handle())
        except OSError as e:
            raise with_name(e, self._name()) from None

    def _describe(self) -> str:
        return f"key={key_name(self._key)} id={self._id}"
