# SPDX-License-Identifier: MIT
"""Channels: one send/recv API over every message-carrying mechanism.

A channel is opened by URL (docs/urls.md): ``fd:N``, ``fifo:/path``,
``mq:/name``, ``sysvmq:KEY``, ``ring:/name``, ``unix:/path``,
``unix:@name``, ``unixgram:``, ``unixpacket:``, ``tcp://host:port``,
``udp://host:port``. Whatever carries them, messages arrive whole or not
at all; byte streams carry them as frames (a 4-byte little-endian length,
then the payload) that any program can speak. The C core (ipc_chan_*)
does all the work: URL parsing, framing, deadlines, retries. This module
only translates arguments, results and errors.

End of stream: ``recv()`` raises BrokenPipeError (the peer closed between
messages) or ConnectionResetError (cut inside one, or a TCP reset);
iterating a channel stops there. ``read()`` returns ``b""``, as files do.
Kinds without peers (mq, sysvmq, ring, udp) have no end of stream: a
receive waits for its timeout.
"""

from __future__ import annotations

import io
import os
from typing import Any, Iterator, List, Optional, Tuple, Union

from . import _core
from ._util import (Handle, Timeout, O_CREATE, O_EXCL, check_mode, rw_flags,
                    size_value, with_name)

__all__ = ["Channel", "Listener", "Fifo", "pipe", "open", "listen",
           "connect", "endpoint"]

Size = Union[int, str, None]
Buffer = Any  # any object with the buffer protocol

# The hot paths call these module globals: one dictionary lookup instead
# of a global and an attribute lookup per message.
_send = _core.chan_send
_send_meta = _core.chan_send_meta
_recv_bytes = _core.chan_recv_bytes
_recv_into = _core.chan_recv_into

_URL_RING = _core.IPC_URL_RING
_URL_UNIXGRAM = _core.IPC_URL_UNIXGRAM
_URL_UDP = _core.IPC_URL_UDP

# The end of a stream, as the core reports it to a receive.
_END_OF_STREAM = (BrokenPipeError, ConnectionResetError)


def _direction(direction: Optional[str]) -> int:
    """"r" | "w" | "rw" -> IPC_O_*; None -> 0 (what the kind allows)."""
    if direction is None:
        return 0
    if not isinstance(direction, str):
        raise TypeError(f'direction must be "r", "w" or "rw", not '
                        f'{type(direction).__name__}')
    return rw_flags(direction)


def _open_flags(direction: Optional[str], create: bool,
                exclusive: bool) -> int:
    """direction, create, exclusive -> the flags of ipc_chan_open()."""
    flags = _direction(direction)
    if create or exclusive:
        flags |= O_CREATE
    if exclusive:
        flags |= O_EXCL
    return flags


def _opts(max_message_size: Size = None, capacity: Size = None,
          max_messages: Optional[int] = None,
          mode: Optional[int] = None) -> Optional[tuple]:
    """The core's struct ipc_chan_opts as a tuple, or None when every
    setting is left to the URL or the default. Zero means "not set" to the
    core, so an explicit mode=0 is refused as the URL refuses it."""
    mms = size_value(max_message_size, "max_message_size")
    cap = size_value(capacity, "capacity")
    if max_messages is None:
        mm = 0
    elif isinstance(max_messages, bool) or not isinstance(max_messages, int):
        raise TypeError("max_messages must be an int")
    elif max_messages < 1:
        raise ValueError("max_messages must be >= 1")
    else:
        mm = max_messages
    if mode is None:
        md = 0
    else:
        md = check_mode(mode)
        if md == 0:
            raise ValueError("mode 0 is refused (leave it out for the "
                             "default 0o600)")
    if mms == cap == mm == md == 0:
        return None
    return (mms, cap, mm, md)


def _str_url(url: Any, what: str = "url") -> str:
    if not isinstance(url, str):
        raise TypeError(f"{what} must be a str, not {type(url).__name__}")
    return url


def _open_handle(url: str, flags: int, opts: Optional[tuple],
                 timeout: Timeout, name: Optional[str]) -> Any:
    """ipc_chan_open(), with the object's name on OSErrors."""
    try:
        return _core.chan_open(url, flags, opts, timeout)
    except OSError as e:
        raise with_name(e, url if name is None else name) from None


def _wrap(h: Any, cls: Optional[type] = None) -> "Channel":
    """A Channel object around a new core handle: a Ring for ring: URLs
    (so stats() and unlink() are there), else @cls or Channel."""
    if cls is None:
        if _core.chan_kind(h) == _URL_RING:
            from .ring import Ring
            cls = Ring
        else:
            cls = Channel
    obj = cls.__new__(cls)
    Handle.__init__(obj, h)
    obj._adopted()
    return obj


class Channel(Handle):
    """One end of a channel: whole messages over any URL kind.

    Made by ``ipc.open()``, ``ipc.connect()``, ``ipc.pipe()``,
    ``Listener.accept()``, ``ipc.endpoint()``, or directly as
    ``Channel(url, ...)`` (the same arguments as ``ipc.open``).

    Timeouts are seconds: None waits forever, 0 tries once
    (BlockingIOError when nothing can be done at once), and a timeout that
    passes raises TimeoutError. A timed-out call sent or consumed nothing.
    """

    __slots__ = ()
    _kind = "channel"
    _close_fn = staticmethod(_core.chan_close)

    def __init__(self, url: str, direction: Optional[str] = "rw",
                 create: bool = False, *, exclusive: bool = False,
                 mode: Optional[int] = None, max_message_size: Size = None,
                 capacity: Size = None, max_messages: Optional[int] = None,
                 timeout: Timeout = None) -> None:
        super().__init__(None)
        url = _str_url(url)
        flags = _open_flags(direction, create, exclusive)
        opts = _opts(max_message_size, capacity, max_messages, mode)
        self._h = _open_handle(url, flags, opts, timeout, self._error_name())
        self._adopted()

    def _error_name(self) -> Optional[str]:
        """The filename OSErrors of the open carry (None: the URL)."""
        return None

    def _adopted(self) -> None:
        """Called once the handle is in place (subclasses cache names)."""

    def _describe(self) -> str:
        return _core.chan_url(self._h)

    # --- messages ---------------------------------------------------------

    def send(self, data: Buffer, timeout: Timeout = None, *,
             priority: Optional[int] = None,
             type: Optional[int] = None) -> None:
        """Send one whole message (any bytes-like object).

        priority (mq: URLs, 0 .. 32767) and type (sysvmq: URLs, >= 1;
        the default 0 sends type 1) travel with the message; other kinds
        refuse them with ValueError. A message above max_message_size
        raises OSError(EMSGSIZE) before anything is sent. BrokenPipeError
        when nobody reads any more (pipe, FIFO, stream socket).
        """
        if priority is None and type is None:
            _send(self._h, data, timeout)
        else:
            _send_meta(self._h, data, (priority or 0, type or 0), timeout)

    def recv(self, timeout: Timeout = None) -> bytes:
        """Receive one whole message as bytes.

        BrokenPipeError / ConnectionResetError at the end of a stream.
        """
        return _recv_bytes(self._h, timeout)

    def recv_into(self, buffer: Buffer, timeout: Timeout = None) -> int:
        """Receive one whole message into a writable buffer (bytearray,
        memoryview, mmap, array...); returns its length. A message longer
        than the buffer raises OSError(EMSGSIZE) and stays queued for the
        next receive (on every kind but sysvmq, where the kernel cannot
        keep it whole)."""
        return _recv_into(self._h, buffer, timeout)

    def recv_meta(self, timeout: Timeout = None) -> Tuple[bytes, int, int]:
        """Receive one message with its metadata: (data, priority, type).

        priority is set on mq: channels, type on sysvmq: channels, and both
        are 0 elsewhere. The message is received into a buffer of
        max_message_size bytes, so prefer recv() on kinds with large limits.
        """
        h = self._h
        data, (prio, mtype) = _core.chan_recv_meta(
            h, _core.chan_max_message(h), timeout)
        return data, prio, mtype

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        """The next message; StopIteration at the end of the stream. Other
        errors (including a closed channel) propagate."""
        try:
            return _recv_bytes(self._h, None)
        except _END_OF_STREAM:
            raise StopIteration from None

    def messages(self, timeout: Timeout = None) -> Iterator[bytes]:
        """Iterate messages until the end of the stream or until none
        arrives within timeout (0: drain what is there now). For kinds
        without an end of stream (ring, mq, sysvmq, udp) the timeout is
        the way out; ``for m in ch`` is ``messages(None)``. Other errors
        propagate."""
        while True:
            try:
                msg = _recv_bytes(self._h, timeout)
            except (_END_OF_STREAM + (BlockingIOError, TimeoutError)):
                return
            yield msg

    # --- raw bytes (pipe ends, fd:, fifo:, unix:, tcp:) ------------------

    def write(self, data: Buffer, timeout: Timeout = None) -> int:
        """Write raw bytes, not a frame, on a byte-stream channel; returns
        how many were written (all of them unless the timeout passed
        first). OSError(EOPNOTSUPP) on message kinds. For peers that do
        not speak frames: do not mix with send() unless the reader expects
        both."""
        return _core.chan_write(self._h, data, timeout)

    def read(self, n: int = 65536, timeout: Timeout = None) -> bytes:
        """Read up to n (>= 1) raw bytes from a byte-stream channel, what
        is available first (bytes the frame decoder read ahead come
        first). Returns b"" at the end of the stream, as files do.
        OSError(EOPNOTSUPP) on message kinds."""
        return _core.chan_read(self._h, n, timeout)

    # --- descriptors and credentials (Unix sockets) -----------------------

    def send_fds(self, data: Buffer, fds: List[Any],
                 timeout: Timeout = None) -> None:
        """Send a message (at least one byte) carrying descriptors
        (ints, or objects with fileno()) on unixpacket: and unixgram:
        channels; the descriptors stay the caller's. OSError(EOPNOTSUPP)
        on other kinds (unix: stream channels included)."""
        _core.chan_send_fds(self._h, data, fds, timeout)

    def recv_fds(self, timeout: Timeout = None) -> Tuple[bytes, List[int]]:
        """Receive a message and the descriptors it carries: (data, fds).
        The caller owns the descriptors (close-on-exec) and must close
        them. A plain recv() closes descriptors that arrive."""
        data, fds = _core.chan_recv_fds(self._h, timeout)
        return data, fds

    def peer_credentials(self) -> Tuple[int, int, int]:
        """(pid, uid, gid) of the peer of a connected unix: or unixpacket:
        channel, as the kernel saw them at connect time."""
        return _core.chan_peer_cred(self._h)

    # --- state --------------------------------------------------------------

    def fileno(self) -> int:
        """The descriptor that becomes readable when a message may be
        waiting (for select/poll; it stays the channel's). Check
        readable() first: framed channels read ahead. Rings and System V
        queues have none: io.UnsupportedOperation (an OSError and a
        ValueError), as io raises for streams without a descriptor."""
        fd = _core.chan_fd(self._h)
        if fd < 0:
            raise io.UnsupportedOperation(
                f"{self.kind}: channels have no descriptor")
        return fd

    def readable(self) -> bool:
        """Whether a receive would find a message (or the end of the
        stream) without waiting on fileno(): read-ahead bytes of a framed
        channel, a message in a ring, one an mq channel kept. False means
        "poll fileno() (or the ring) again", not "cannot read": unlike
        io's readable(), this says whether a message is waiting."""
        return _core.chan_readable(self._h)

    @property
    def url(self) -> str:
        """The channel's canonical URL (a listener on port 0 shows the
        port the kernel chose; pipe ends are fd:N)."""
        return _core.chan_url(self._h)

    @property
    def kind(self) -> str:
        """The URL kind: "fd", "fifo", "mq", "sysvmq", "ring", "unix",
        "unixgram", "unixpacket", "tcp" or "udp"."""
        return _core.url_kind_name(_core.chan_kind(self._h))

    @property
    def max_message_size(self) -> int:
        """The largest message this channel sends or accepts, in bytes."""
        return _core.chan_max_message(self._h)


class Listener(Handle):
    """A listening stream socket (unix:, unixpacket:, tcp:): accept()
    gives one Channel per connecting peer. Made by ``ipc.listen()``."""

    __slots__ = ()
    _kind = "listener"
    _close_fn = staticmethod(_core.chan_close)

    def __init__(self, url: str, *, exclusive: bool = False,
                 mode: Optional[int] = None,
                 max_message_size: Size = None) -> None:
        super().__init__(None)
        h = _listen(url, exclusive, mode, max_message_size)
        if _core.chan_kind(h) in (_URL_UNIXGRAM, _URL_UDP):
            _core.chan_close(h)
            raise ValueError(f"{url}: a datagram URL binds a receiving "
                             f"channel, not a listener: use ipc.listen()")
        self._h = h

    def _describe(self) -> str:
        return _core.chan_url(self._h)

    def accept(self, timeout: Timeout = None) -> Channel:
        """Wait for the next peer and return its connected Channel."""
        return _wrap(_core.chan_accept(self._h, timeout), Channel)

    def fileno(self) -> int:
        """The listening descriptor: readable when a peer is waiting."""
        return _core.chan_fd(self._h)

    @property
    def url(self) -> str:
        """The bound URL (with the real port when port 0 was asked)."""
        return _core.chan_url(self._h)

    @property
    def kind(self) -> str:
        """"unix", "unixpacket" or "tcp"."""
        return _core.url_kind_name(_core.chan_kind(self._h))


class Fifo(Channel):
    """A named pipe as a framed channel, one direction.

    ``Fifo(path, "r" | "w", create=True, mode=0o600, timeout=None)``:
    create makes the FIFO when it is missing (exclusive: it must not
    exist). Opening for writing waits until a reader has it open (timeout;
    TimeoutError); opening for reading does not wait. The FIFO stays until
    unlink() (or ``ipc.unlink("fifo:" + path)``).
    """

    __slots__ = ("_path",)
    _kind = "FIFO"

    def __init__(self, path: Union[str, os.PathLike], direction: str,
                 create: bool = True, *, exclusive: bool = False,
                 mode: int = 0o600, max_message_size: Size = None,
                 capacity: Size = None, timeout: Timeout = None) -> None:
        Handle.__init__(self, None)
        p = os.fsdecode(os.fspath(path))
        # URLs take absolute paths; Python callers expect relative ones to
        # work as os.mkfifo's do.
        p = os.path.abspath(p)
        if "?" in p:
            raise ValueError(f"{p!r}: a FIFO path in a URL cannot hold '?'")
        self._path = p
        if direction not in ("r", "w"):
            raise ValueError(f'a FIFO is one direction: "r" or "w", not '
                             f'{direction!r}')
        super().__init__("fifo:" + p, direction, create, exclusive=exclusive,
                         mode=mode, max_message_size=max_message_size,
                         capacity=capacity, timeout=timeout)

    def _describe(self) -> str:
        return self._path

    def _error_name(self) -> Optional[str]:
        return self._path

    @property
    def path(self) -> str:
        """The FIFO's absolute path."""
        return self._path

    def unlink(self) -> None:
        """Remove the FIFO file (never anything that is not a FIFO); open
        ends keep working."""
        try:
            _core.fifo_unlink(self._path)
        except OSError as e:
            raise with_name(e, self._path) from None


def _listen(url: str, exclusive: bool, mode: Optional[int],
            max_message_size: Size) -> Any:
    url = _str_url(url)
    flags = O_EXCL if exclusive else 0
    opts = _opts(max_message_size, None, None, mode)
    try:
        return _core.chan_listen(url, flags, opts)
    except OSError as e:
        raise with_name(e, url) from None


def pipe() -> Tuple[Channel, Channel]:
    """An anonymous pipe as two framed channel ends: (read end, write
    end). fileno() gives the descriptors (e.g. to hand to a child as fd:N
    through ipc.spawn)."""
    r, w = _core.chan_pipe(0)
    return _wrap(r, Channel), _wrap(w, Channel)


def open(url: str, direction: Optional[str] = "rw", create: bool = False, *,
         exclusive: bool = False, mode: Optional[int] = None,
         max_message_size: Size = None, capacity: Size = None,
         max_messages: Optional[int] = None,
         timeout: Timeout = None) -> Channel:
    """Open a channel by URL (docs/urls.md).

    direction: "r", "w" or "rw" ("rw" by default; a FIFO is one way, so
    give "r" or "w"); None takes what the kind allows (fd:N: its access
    mode). create makes the named object (fifo, mq, sysvmq, ring) when it
    is missing; exclusive: it must not exist (FileExistsError). mode: the
    permission bits of what is created (default 0o600). max_message_size,
    capacity (ring bytes; pipe/FIFO buffer), max_messages (mq depth)
    override the URL's options; an option the kind does not take raises
    ValueError, as does a malformed URL. Socket URLs connect. timeout
    bounds the open itself (a FIFO writer waiting for a reader, a connect).

    Returns a Channel (a Ring for ring: URLs). OSError subclasses carry
    the URL as filename: FileNotFoundError, FileExistsError,
    ConnectionRefusedError, TimeoutError...
    """
    url = _str_url(url)
    flags = _open_flags(direction, create, exclusive)
    opts = _opts(max_message_size, capacity, max_messages, mode)
    return _wrap(_open_handle(url, flags, opts, timeout, None))


def listen(url: str, *, exclusive: bool = False, mode: Optional[int] = None,
           max_message_size: Size = None) -> Union[Listener, Channel]:
    """Bind a socket URL.

    Stream kinds (unix:, unixpacket:, tcp:) give a Listener whose
    accept() returns connected Channels; datagram kinds (unixgram:, udp:)
    give a bound Channel that receives from any sender (and cannot send).
    Port 0 picks a free port (see .url). A socket file nobody listens on
    is replaced unless exclusive. mode: the socket file's permission bits;
    max_message_size is handed to accepted channels.
    """
    h = _listen(url, exclusive, mode, max_message_size)
    if _core.chan_kind(h) in (_URL_UNIXGRAM, _URL_UDP):
        return _wrap(h, Channel)
    lst = Listener.__new__(Listener)
    Handle.__init__(lst, h)
    return lst


def connect(url: str, timeout: Timeout = None, *,
            max_message_size: Size = None, capacity: Size = None,
            max_messages: Optional[int] = None,
            mode: Optional[int] = None) -> Channel:
    """Open a channel both ways: connect a socket URL (or open any URL that
    takes "rw"). timeout bounds the connect (TimeoutError)."""
    url = _str_url(url)
    opts = _opts(max_message_size, capacity, max_messages, mode)
    try:
        h = _core.chan_connect(url, opts, timeout)
    except OSError as e:
        raise with_name(e, url) from None
    return _wrap(h)


def endpoint(name: str, timeout: Timeout = None,
             direction: Optional[str] = None) -> Channel:
    """Open the endpoint a parent handed down by name (the IPC_ENDPOINTS
    environment variable, docs/endpoints.md; ipc.spawn(endpoints=...)
    sets it). direction None takes what the kind allows; a fifo: endpoint
    needs "r" or "w". FileNotFoundError (filename = name) when there is no
    such endpoint."""
    name = _str_url(name, "name")
    flags = _direction(direction)
    try:
        h = _core.endpoint_open(name, flags, timeout)
    except OSError as e:
        raise with_name(e, name) from None
    return _wrap(h)
