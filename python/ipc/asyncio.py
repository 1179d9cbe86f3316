# SPDX-License-Identifier: MIT
"""asyncio support: ``await ipc.asyncio.recv(ch)`` and friends.

``import ipc.asyncio`` (not imported by ``import ipc``)::

    msg = await ipc.asyncio.recv(ch, timeout=None)
    await ipc.asyncio.send(ch, data, timeout=None)
    data = await ipc.asyncio.read(ch, 4096)       # raw bytes (pipes...)
    await ipc.asyncio.write(ch, data)
    peer = await ipc.asyncio.accept(listener)
    rc = await ipc.asyncio.wait(process)
    await ipc.asyncio.wait_readable(obj)         # MessageQueue, SignalSet...

    async with ipc.asyncio.AsyncChannel(ch) as ac:
        async for msg in ac:                      # until the end of stream
            await ac.send(msg)

How it waits. Every operation is first tried without waiting (the core's
timeout 0). When that would block:

- an object with a descriptor (pipes, FIFOs, sockets, POSIX queues,
  listeners, process pidfds) waits for it in the running loop
  (``loop.add_reader`` / ``add_writer``), then tries again. A framed
  channel may hold a whole message it read ahead while its descriptor is
  quiet: the first try finds it. Part of a frame makes the try give up
  after keeping what arrived; the wait is for the rest.
- a ring or a System V queue channel has no descriptor (a futex and a
  kernel queue cannot sit in an epoll set). The loop looks again with a
  back-off from 1 ms to 10 ms (``readable()`` for receives, a try for
  sends), as the core's own poller looks at rings every 1 ms. No thread
  is used: a thread blocked in a ring receive could not be called back
  when the task is cancelled, and would take a message nobody awaits any
  more. A consumer that needs microsecond wake-ups should block in
  ``ring.recv()`` in a thread of its own.

Nothing is ever lost to a cancellation: a cancelled or timed-out receive
consumed nothing, since a message is only taken by a try that succeeds
at once. A framed send that has started is finished before ``send()``
returns (the rest of a frame a full pipe did not take is flushed as the
pipe drains); if the task is cancelled or times out meanwhile, the rest
stays queued in the channel and goes out before anything else sent on it
(docs/channels.md).

Timeouts are seconds (None: wait forever, 0: try once and raise
BlockingIOError, as the blocking calls do); a timeout that passes raises
TimeoutError (errno ETIMEDOUT), like the blocking calls. End of stream:
``recv()`` raises BrokenPipeError (ConnectionResetError when cut inside a
message), ``read()`` returns b"", ``async for`` stops.

Every core call runs in the loop's thread, never at once with another on
the same handle, so tasks may share a channel: several may wait to
receive on it (each message goes to one of them). ``write()`` goes out
PIPE_BUF (4 KiB) bytes per try, so that a try that would wait has
written nothing. Close a channel through
``AsyncChannel.close()`` (or ``close(ch)`` here), which wakes the tasks
waiting on it in the running loop (they then get ValueError: closed)
before the descriptor goes.
"""

from __future__ import annotations

import asyncio
import errno
import io
import os
import select
import weakref
from typing import (Any, Callable, Dict, List, Optional, Tuple,
                    TypeVar)

from . import _core
from ._util import Timeout
from .channel import Channel

__all__ = ["recv", "send", "read", "write", "accept", "wait",
           "wait_readable", "close", "AsyncChannel"]

T = TypeVar("T")

# Looking again at a source without a descriptor: from _POLL_MIN, doubled
# after each empty look up to _POLL_MAX.
_POLL_MIN = 0.001
_POLL_MAX = 0.010

# Raw writes go out PIPE_BUF bytes per try (see write()).
_CHUNK = 4096

# Tasks waiting on a descriptor, per loop: (fd, for_writing) -> futures.
# One add_reader per descriptor serves all of them (asyncio allows one
# callback per descriptor and direction).
_Key = Tuple[int, bool]
_waiting: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Dict[_Key, List[asyncio.Future]]]" = \
    weakref.WeakKeyDictionary()


def _timed_out() -> TimeoutError:
    return TimeoutError(errno.ETIMEDOUT, os.strerror(errno.ETIMEDOUT))


def _wake(loop: asyncio.AbstractEventLoop, key: _Key) -> None:
    """The descriptor is ready (or closing): wake every task waiting on
    it; each tries its operation again."""
    table = _waiting.get(loop)
    futs = table.pop(key, None) if table is not None else None
    if futs is None:
        return
    if key[1]:
        loop.remove_writer(key[0])
    else:
        loop.remove_reader(key[0])
    for f in futs:
        if not f.done():
            f.set_result(None)


def _expire(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_exception(_timed_out())


async def _fd_ready(loop: asyncio.AbstractEventLoop, fd: int, write: bool,
                    deadline: Optional[float]) -> None:
    """Until fd is readable (writable), or TimeoutError at deadline."""
    table = _waiting.get(loop)
    if table is None:
        table = _waiting[loop] = {}
    key = (fd, write)
    futs = table.get(key)
    if futs is None:
        if write:
            loop.add_writer(fd, _wake, loop, key)
        else:
            loop.add_reader(fd, _wake, loop, key)
        futs = table[key] = []
    fut = loop.create_future()
    futs.append(fut)
    timer = loop.call_at(deadline, _expire, fut) if deadline is not None \
        else None
    try:
        await fut
    finally:
        if timer is not None:
            timer.cancel()
        # Not woken (timed out, cancelled): leave the others waiting, and
        # stop watching when nobody is left.
        if table.get(key) is futs:
            if fut in futs:
                futs.remove(fut)
            if not futs:
                del table[key]
                if write:
                    loop.remove_writer(fd)
                else:
                    loop.remove_reader(fd)


async def _later(loop: asyncio.AbstractEventLoop, delay: float,
                 deadline: Optional[float]) -> None:
    """Sleep delay seconds, or TimeoutError at deadline."""
    if deadline is not None:
        left = deadline - loop.time()
        if left <= 0:
            raise _timed_out()
        delay = min(delay, left)
    await asyncio.sleep(delay)


def _descriptor(obj: Any) -> Optional[int]:
    """obj's descriptor, or None when it has none (a ring, a System V
    queue channel; a process without a pidfd)."""
    try:
        return obj.fileno()
    except io.UnsupportedOperation:
        return None


def _deadline(loop: asyncio.AbstractEventLoop,
              timeout: Timeout) -> Optional[float]:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError("timeout must be a number of seconds, or None")
    if not timeout >= 0:
        raise ValueError("timeout must be a non-negative number of "
                         "seconds, or None")
    return loop.time() + timeout


async def _until(obj: Any, attempt: Callable[[], T], write: bool,
                 timeout: Timeout, ready: Optional[Callable[[], bool]] = None,
                 deadline: Optional[float] = None) -> T:
    """attempt() (which raises BlockingIOError when it would wait) until it
    succeeds, waiting for obj in between. ready(), for sources without a
    descriptor, says when another try is worth it."""
    loop = asyncio.get_running_loop()
    if deadline is None:
        deadline = _deadline(loop, timeout)
    try:
        return attempt()
    except BlockingIOError:
        if timeout == 0:
            raise
    fd = _descriptor(obj)
    delay = _POLL_MIN
    while True:
        if fd is not None:
            await _fd_ready(loop, fd, write, deadline)
        else:
            # Sleep first (the try above failed): never a busy loop.
            await _later(loop, delay, deadline)
            delay = min(delay * 2, _POLL_MAX)
            if ready is not None and not ready():
                continue
        try:
            return attempt()
        except BlockingIOError:
            pass


def _chan(ch: Any) -> Channel:
    if not isinstance(ch, Channel):
        raise TypeError(f"expected an ipc Channel, not {type(ch).__name__}")
    return ch


# --- channels ---------------------------------------------------------------

async def recv(ch: Channel, timeout: Timeout = None) -> bytes:
    """Receive one whole message (bytes). BrokenPipeError at the end of
    the stream; TimeoutError when timeout seconds pass; a cancellation
    consumes nothing."""
    _chan(ch)
    return await _until(ch, lambda: ch.recv(0), False, timeout, ch.readable)


async def send(ch: Channel, data: Any, timeout: Timeout = None, *,
               priority: Optional[int] = None,
               type: Optional[int] = None) -> None:
    """Send one whole message (any bytes-like object; priority / type as
    Channel.send). Returns once all of it went out (see the module
    docstring on a send cancelled half-way)."""
    _chan(ch)
    loop = asyncio.get_running_loop()
    deadline = _deadline(loop, timeout)
    if priority is None and type is None:
        def attempt() -> None:
            ch.send(data, 0)
    else:
        def attempt() -> None:
            ch.send(data, 0, priority=priority, type=type)
    await _until(ch, attempt, True, timeout, None, deadline)
    h = ch._handle()
    if _core.chan_is_framed(h):
        # A frame a full pipe took only part of is queued in the channel
        # (the send succeeded); an empty raw write flushes it.
        try:
            await _until(ch, lambda: _core.chan_write(h, b"", 0), True,
                         timeout, None, deadline)
        except (BlockingIOError, TimeoutError):
            pass  # as the core's send: sent, the rest queued


async def read(ch: Channel, n: int = 65536, timeout: Timeout = None) -> bytes:
    """Read up to n raw bytes from a byte-stream channel (read-ahead
    first); b"" at the end of the stream."""
    _chan(ch)
    return await _until(ch, lambda: ch.read(n, 0), False, timeout,
                        ch.readable)


async def write(ch: Channel, data: Any, timeout: Timeout = None) -> int:
    """Write all of data as raw bytes on a byte-stream channel; returns
    len(data). On a timeout (TimeoutError) or a cancellation, part of it
    may have been written."""
    _chan(ch)
    loop = asyncio.get_running_loop()
    deadline = _deadline(loop, timeout)
    view = memoryview(data).cast("B")
    total = len(view)
    done = 0
    try:
        while True:
            # At most PIPE_BUF bytes a try: a pipe takes such a write
            # whole or not at all, so a try that would wait has written
            # nothing (the count of a partial raw write is not reported
            # with BlockingIOError).
            chunk = view[done:done + _CHUNK]
            try:
                done += await _until(ch, lambda: ch.write(chunk, 0), True,
                                     timeout, None, deadline)
            finally:
                chunk.release()
            if done >= total:
                return total
    finally:
        view.release()


async def accept(listener: Any, timeout: Timeout = None) -> Channel:
    """The next peer of a Listener, as a connected Channel."""
    return await _until(listener, lambda: listener.accept(0), False, timeout)


async def wait(process: Any, timeout: Timeout = None) -> int:
    """Wait for a Process to end (its pidfd becomes readable) and return
    its return code (minus the signal that killed it)."""
    def attempt() -> int:
        rc = process.poll()
        if rc is None:
            raise BlockingIOError(errno.EAGAIN, "still running")
        return rc

    try:
        return await _until(process, attempt, False, timeout)
    except BlockingIOError:
        # timeout=0: as Process.wait(0)
        raise TimeoutError(errno.ETIMEDOUT,
                           f"process {process.pid} is still running") \
            from None


async def wait_readable(obj: Any, timeout: Timeout = None) -> None:
    """Until a non-waiting receive on obj is worth trying: a Channel's
    readable() is true (read-ahead, a ring's message) or its descriptor is
    readable; for other objects (MessageQueue, SignalSet, Process,
    Listener, socket...) their descriptor is readable. For a framed
    channel that may be part of a message: recv() is what waits for whole
    ones. BlockingIOError for timeout=0 when not ready; TimeoutError when
    timeout seconds pass."""
    ready = obj.readable if isinstance(obj, Channel) else None
    loop = asyncio.get_running_loop()
    deadline = _deadline(loop, timeout)
    if ready is not None and ready():
        return
    fd = _descriptor(obj)
    if fd is None and ready is None:
        raise io.UnsupportedOperation(f"{obj!r} has no descriptor")
    if timeout == 0:
        if fd is not None and select.select([fd], [], [], 0)[0]:
            return
        raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
    if fd is not None:
        await _fd_ready(loop, fd, False, deadline)
        return
    assert ready is not None
    delay = _POLL_MIN
    while not ready():
        await _later(loop, delay, deadline)
        delay = min(delay * 2, _POLL_MAX)


def close(obj: Any) -> None:
    """Close obj after waking the tasks of the running loop that wait on
    its descriptor (their operation then raises ValueError: closed), so
    that no task waits on a descriptor that is gone."""
    try:
        loop: Optional[asyncio.AbstractEventLoop] = \
            asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None and not getattr(obj, "closed", True):
        fd = _descriptor(obj)
        if fd is not None:
            _wake(loop, (fd, False))
            _wake(loop, (fd, True))
    obj.close()


class AsyncChannel:
    """A Channel with awaitable operations; it owns the channel.

    ``AsyncChannel(ch)``: recv(), send(), read(), write() as the module
    functions; ``async for msg in ac`` until the end of the stream;
    ``async with`` closes the channel (close() wakes waiting tasks).
    ``ac.channel`` is the Channel itself.
    """

    __slots__ = ("channel",)

    def __init__(self, ch: Channel) -> None:
        self.channel = _chan(ch)

    async def recv(self, timeout: Timeout = None) -> bytes:
        """One whole message (see ipc.asyncio.recv)."""
        return await recv(self.channel, timeout)

    async def send(self, data: Any, timeout: Timeout = None, *,
                   priority: Optional[int] = None,
                   type: Optional[int] = None) -> None:
        """Send one whole message (see ipc.asyncio.send)."""
        await send(self.channel, data, timeout, priority=priority, type=type)

    async def read(self, n: int = 65536, timeout: Timeout = None) -> bytes:
        """Up to n raw bytes; b"" at the end of the stream."""
        return await read(self.channel, n, timeout)

    async def write(self, data: Any, timeout: Timeout = None) -> int:
        """Write all of data as raw bytes."""
        return await write(self.channel, data, timeout)

    def __aiter__(self) -> "AsyncChannel":
        return self

    async def __anext__(self) -> bytes:
        try:
            return await recv(self.channel)
        except (BrokenPipeError, ConnectionResetError):
            raise StopAsyncIteration from None

    def fileno(self) -> int:
        """The channel's descriptor (io.UnsupportedOperation for rings)."""
        return self.channel.fileno()

    @property
    def closed(self) -> bool:
        """True once the channel is closed."""
        return self.channel.closed

    def close(self) -> None:
        """Close the channel, waking the tasks waiting on it first."""
        close(self.channel)

    async def __aenter__(self) -> "AsyncChannel":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ipc.asyncio.AsyncChannel {self.channel!r}>"
