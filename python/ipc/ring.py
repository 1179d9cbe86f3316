# SPDX-License-Identifier: MIT
"""The message ring: a queue of whole messages in POSIX shared memory.

``Ring`` is a ring: channel (ipc.channel.Channel) with what only a ring
has: its name, capacity, counters (stats()) and unlink(). While the ring
is neither empty nor full a message costs no system call at all, so the
Python side of send()/recv() is kept to one core call each.

A ring has no end of stream: with nobody producing, recv() waits for its
timeout. A handle belongs to the process that opened it: after fork() the
child opens the ring again. docs/ring.md has the details.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Union

from . import _core
from ._util import Handle, Timeout, with_name
from .channel import Channel, Size

__all__ = ["Ring"]

_send = _core.chan_send
_recv_bytes = _core.chan_recv_bytes
_recv_into = _core.chan_recv_into


def _ring_name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"a ring name is a str such as '/jobs', not "
                        f"{type(name).__name__}")
    # The name becomes a URL: '?' would start its options.
    if "?" in name:
        raise ValueError(f"{name!r}: a ring name cannot hold '?'")
    return name


class Ring(Channel):
    """A message ring in shared memory, by POSIX name ("/name").

    ``Ring(name, capacity=1 << 20, create=False, exclusive=False,
    mode=0o600, max_message_size=None, direction="rw")``:
    create makes the ring when it is missing (capacity bytes of data,
    rounded up to a power of two, 4 KiB .. 1 GiB; ignored when the ring
    exists), exclusive requires that it does not exist (FileExistsError).
    direction "w" produces, "r" consumes, "rw" both. max_message_size
    lowers this handle's limit (the ring's own is capacity / 2 - 16).

    send(), recv(), recv_into() (straight from the shared mapping into
    the caller's buffer, one copy) and iteration are Channel's. A message
    received with recv() keeps its room in the ring until the next receive
    or close. fileno() raises io.UnsupportedOperation: a ring has no
    descriptor (poll readable(), or use ipc.Poller).
    """

    __slots__ = ("_name",)
    _kind = "ring"

    def __init__(self, name: str, capacity: Size = 1 << 20,
                 create: bool = False, exclusive: bool = False,
                 mode: int = 0o600, max_message_size: Size = None,
                 direction: str = "rw") -> None:
        Handle.__init__(self, None)
        self._name = _ring_name(name)
        super().__init__("ring:" + name, direction, create,
                         exclusive=exclusive, mode=mode,
                         max_message_size=max_message_size,
                         capacity=capacity)

    def _adopted(self) -> None:
        self._name = _core.ring_name(_core.chan_ring(self._h))

    def _error_name(self) -> Optional[str]:
        return self._name

    def _describe(self) -> str:
        return self._name

    # The hot paths again, without Channel.send's priority/type branch:
    # one Python frame and one core call per message.
    def send(self, data: Any, timeout: Timeout = None) -> None:
        """Copy one message (any bytes-like object, up to
        max_message_size bytes) into the ring, waiting while it is full.
        BlockingIOError (timeout 0) / TimeoutError when it stays full;
        OSError(EMSGSIZE) when the message is too long."""
        _send(self._h, data, timeout)

    def recv(self, timeout: Timeout = None) -> bytes:
        """The next message as bytes, waiting while the ring is empty
        (BlockingIOError for timeout 0, TimeoutError)."""
        return _recv_bytes(self._h, timeout)

    def recv_into(self, buffer: Any, timeout: Timeout = None) -> int:
        """Copy the next message straight from the ring into a writable
        buffer; returns its length. OSError(EMSGSIZE) when it does not
        fit: it stays in the ring."""
        return _recv_into(self._h, buffer, timeout)

    @property
    def name(self) -> str:
        """The ring's POSIX name (also after close)."""
        return self._name

    @property
    def capacity(self) -> int:
        """The data area's size in bytes (the real one, whatever capacity
        was asked when opening an existing ring)."""
        return _core.ring_capacity(_core.chan_ring(self._h))

    def stats(self) -> Dict[str, int]:
        """The ring's counters, summed over every handle that ever had it
        open: capacity, max_message, used, high_water, msgs_in, bytes_in,
        msgs_out, bytes_out, recovered (messages of dead producers),
        lost (with dead consumers)."""
        return _core.ring_stats(_core.chan_ring(self._h))

    def unlink(self: Union["Ring", str]) -> None:
        """Remove the ring's name from /dev/shm; open handles keep working
        and the memory goes with the last one. Works after close() too.
        ``Ring.unlink("/name")`` removes a ring by name.
        FileNotFoundError when the name is gone already."""
        name = _ring_name(self) if isinstance(self, str) else self._name
        try:
            _core.ring_unlink(name)
        except OSError as e:
            raise with_name(e, name) from None
