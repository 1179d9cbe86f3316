# SPDX-License-Identifier: MIT
"""The poller: ``ipc.Poller``, one wait over many sources (docs/loop.md).

A source is

- a Channel (a Ring too): watched with the core's channel support, so
  what a framed channel read ahead, a message in a ring (no descriptor)
  and one in a System V queue channel are reported like data on a
  descriptor;
- anything with ``fileno()``: a MessageQueue, a SignalSet, a Process
  (readable once the child has ended), a Listener (a peer is waiting),
  a socket, a pipe, another Poller; or an int descriptor (regular files
  are refused with PermissionError: they are always ready);
- a timer from ``add_timer()``.

``poll(timeout)`` returns a list of ``(obj, events)``: the object as it
was registered and a string of event letters, in this order:

- ``"r"``: a receive (read, accept, wait...) will not block: data, a
  peer, the child's end, or the end of the stream;
- ``"w"``: a send has room;
- ``"h"``: hang-up, the peer is gone (comes with "r" when watched for
  reading, so the read finds the end);
- ``"e"``: an error is pending (a pipe writer whose readers are gone);
- ``"t"``: a timer fired; ``timer.expirations`` says how many times.

"h" and "e" are reported whatever was asked; register with "r", "w" or
"rw". An empty list means the timeout passed. Sources are
level-triggered: one not drained is reported again by the next poll.

The objects are borrowed: the Poller keeps a reference but does not close
them. An object closed while registered is dropped from the poller by the
next poll() (unregister it before closing it anyway: a descriptor number
can be reused at once). One thread at a time; in a forked child, make a
new Poller.
"""

from __future__ import annotations

import errno
import io
import itertools
from typing import Any, Dict, Iterator, List, Optional, Tuple

from . import _core
from ._util import Handle, Timeout
from .channel import Channel

__all__ = ["Poller", "Timer"]

_EV_READ = _core.IPC_EV_READ
_EV_WRITE = _core.IPC_EV_WRITE
_EV_HUP = _core.IPC_EV_HUP
_EV_ERR = _core.IPC_EV_ERR
_EV_TIMER = _core.IPC_EV_TIMER

# Event strings by bit mask, precomputed: poll() does one lookup per entry.
_LETTERS = ((_EV_READ, "r"), (_EV_WRITE, "w"), (_EV_HUP, "h"),
            (_EV_ERR, "e"), (_EV_TIMER, "t"))
_NAMES = {m: "".join(c for b, c in _LETTERS if m & b) for m in range(32)}

_MAX_EVENTS = 64  # per poll(); more ready sources come with the next one


def _events(events: str) -> int:
    """ "r" | "w" | "rw" -> IPC_EV_* bits."""
    if not isinstance(events, str):
        raise TypeError(f'events must be a str such as "r" or "rw", not '
                        f'{type(events).__name__}')
    bits = 0
    for c in events:
        if c == "r":
            bits |= _EV_READ
        elif c == "w":
            bits |= _EV_WRITE
        else:
            raise ValueError(f'events are "r", "w" or "rw", not {events!r}')
    if not bits:
        raise ValueError('events must not be empty: "r", "w" or "rw"')
    return bits


def _seconds(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number of seconds")
    if not value >= 0:  # also NaN
        raise ValueError(f"{what} must be >= 0 seconds")
    return float(value)


class Timer:
    """A timer of a Poller (``Poller.add_timer()``), reported as
    ``(timer, "t")``. ``expirations``: how many times it fired by the
    last report (a late poll reports a periodic timer once). A one-shot
    timer stays registered after it fired: ``set()`` arms it again,
    ``cancel()`` removes it."""

    __slots__ = ("_poller", "_tag", "interval", "expirations",
                 "__weakref__")

    def __init__(self) -> None:
        raise TypeError("timers are made by Poller.add_timer()")

    def set(self, interval: float, first: Optional[float] = None) -> None:
        """Arm again: first fire in *first* seconds (None: *interval*),
        then every *interval* seconds (0: once). Expirations not yet
        reported are dropped."""
        poller = self._registered()
        iv, fst = _timer_times(interval, first)
        _core.loop_set_timer(poller._handle(), self._tag, fst, iv)
        self.interval = interval
        self.expirations = 0

    def disarm(self) -> None:
        """Stop firing, staying registered (set() re-arms)."""
        poller = self._registered()
        _core.loop_set_timer(poller._handle(), self._tag, None, 0)

    def cancel(self) -> None:
        """Remove the timer from its poller (idempotent)."""
        poller = self._poller
        if poller is not None and poller._h is not None:
            poller._remove_tag(self._tag)
        self._poller = None

    @property
    def active(self) -> bool:
        """True while the timer is registered in an open poller."""
        return self._poller is not None and self._poller._h is not None

    def _registered(self) -> "Poller":
        poller = self._poller
        if poller is None or poller._h is None:
            raise ValueError("the timer was cancelled, or its poller "
                             "closed")
        return poller

    def __repr__(self) -> str:
        state = "active" if self.active else "cancelled"
        return (f"<ipc.Timer interval={self.interval} "
                f"expirations={self.expirations} {state}>")


def _timer_times(interval: float, first: Optional[float]) -> Tuple[int, float]:
    """(interval in ns for the core, first as a timeout for the deadline
    typemap)."""
    iv = _seconds(interval, "interval")
    fst = iv if first is None else _seconds(first, "first")
    return int(round(iv * 1e9)), fst


def _key(obj: Any) -> Tuple[str, int]:
    """What identifies a registration: the descriptor for an int, else the
    object itself (the poller holds it, so its id stays unique)."""
    if isinstance(obj, int) and not isinstance(obj, bool):
        return ("fd", obj)
    return ("obj", id(obj))


class Poller(Handle):
    """One wait over channels, descriptors and timers (see the module
    docstring). ``with Poller() as p:``; ``len(p)``, ``obj in p``."""

    __slots__ = ("_tags", "_by_key", "_closable", "_next")
    _kind = "poller"
    _close_fn = staticmethod(_core.loop_close)

    def __init__(self) -> None:
        super().__init__(_core.loop_open())
        # tag -> (obj, key); the key finds the tag again.
        self._tags: Dict[int, Tuple[Any, Tuple[str, int]]] = {}
        self._by_key: Dict[Tuple[str, int], int] = {}
        # Registered objects that can be closed under us (tag -> obj):
        # a closed Channel's handle is freed, and the core must not look
        # at it again, so poll() drops these first.
        self._closable: Dict[int, Any] = {}
        self._next = itertools.count(1)  # 0 would be NULL: no tag

    def _describe(self) -> str:
        return f"{len(self._tags)} sources"

    # --- registration ----------------------------------------------------

    def register(self, obj: Any, events: str = "r") -> None:
        """Watch obj for "r", "w" or "rw". FileExistsError when obj (or
        its descriptor) is registered already; PermissionError for a
        regular file; io.UnsupportedOperation for an object without a
        descriptor that is not a Channel."""
        h = self._handle()
        bits = _events(events)
        if self._closable:
            # A closed object's descriptor number may be reused already.
            self._drop_closed(h)
        key = _key(obj)
        if key in self._by_key:
            raise FileExistsError(errno.EEXIST,
                                  f"{obj!r} is registered already")
        tag = next(self._next)
        if isinstance(obj, Channel):
            _core.loop_add_chan(h, obj._handle(), bits, tag)
        else:
            fd = obj if key[0] == "fd" else _fileno(obj)
            _core.loop_add_fd(h, fd, bits, tag)
        self._add(tag, obj, key)

    def modify(self, obj: Any, events: str) -> None:
        """Change what obj is watched for. KeyError when it is not
        registered."""
        _core.loop_modify(self._handle(), self._tag_of(obj), _events(events))

    def unregister(self, obj: Any) -> None:
        """Stop watching obj (a Timer too). KeyError when it is not
        registered."""
        h = self._handle()
        if isinstance(obj, Timer) and obj._poller is self:
            obj.cancel()
            return
        tag = self._tag_of(obj)
        _core.loop_remove(h, tag)
        self._drop(tag)

    def add_timer(self, interval: float, first: Optional[float] = None
                  ) -> Timer:
        """A timer firing first in *first* seconds (None: after
        *interval*; 0: at once), then every *interval* seconds (0: once).
        Periodic timers do not drift. Returns the Timer, reported by
        poll() as (timer, "t")."""
        h = self._handle()
        iv, fst = _timer_times(interval, first)
        tag = next(self._next)
        t = Timer.__new__(Timer)
        t._poller, t._tag = self, tag
        t.interval, t.expirations = interval, 0
        _core.loop_add_timer(h, fst, iv, tag)
        self._add(tag, t, _key(t))
        return t

    def _add(self, tag: int, obj: Any, key: Tuple[str, int]) -> None:
        self._tags[tag] = (obj, key)
        self._by_key[key] = tag
        if isinstance(obj, Handle) or hasattr(obj, "closed"):
            self._closable[tag] = obj

    def _drop(self, tag: int) -> None:
        obj, key = self._tags.pop(tag)
        del self._by_key[key]
        self._closable.pop(tag, None)

    def _remove_tag(self, tag: int) -> None:
        if tag in self._tags:
            _core.loop_remove(self._handle(), tag)
            self._drop(tag)

    def _tag_of(self, obj: Any) -> int:
        try:
            return self._by_key[_key(obj)]
        except KeyError:
            raise KeyError(f"{obj!r} is not registered") from None

    # --- waiting ----------------------------------------------------------

    def poll(self, timeout: Timeout = None) -> List[Tuple[Any, str]]:
        """Wait until sources are ready or timeout seconds pass (None:
        forever; 0: just look). Returns [(obj, events)...], each object at
        most once; [] when the timeout passed. Signal handlers run during
        the wait (KeyboardInterrupt propagates) and the wait goes on with
        the same deadline."""
        h = self._handle()
        if self._closable:
            self._drop_closed(h)
        try:
            ready = _core.loop_wait(h, _MAX_EVENTS, timeout)
        except (TimeoutError, BlockingIOError):
            return []
        tags = self._tags
        out = []
        for tag, bits, exp in ready:
            entry = tags.get(tag)
            if entry is None:
                continue
            obj = entry[0]
            if bits & _EV_TIMER:
                obj.expirations = exp
            out.append((obj, _NAMES[bits & 31]))
        return out

    def _drop_closed(self, h: Any) -> None:
        for tag, obj in list(self._closable.items()):
            if getattr(obj, "closed", False):
                _core.loop_remove(h, tag)
                self._drop(tag)

    def __iter__(self) -> Iterator[Any]:
        """The registered objects (timers included)."""
        return iter([obj for obj, _ in self._tags.values()])

    def __len__(self) -> int:
        return len(self._tags)

    def __contains__(self, obj: Any) -> bool:
        return _key(obj) in self._by_key

    def fileno(self) -> int:
        """The epoll descriptor: readable when a descriptor source is
        ready, to nest this poller in another loop. Read-ahead and rings
        do not show through it (docs/loop.md, "Nesting")."""
        return _core.loop_fd(self._handle())

    def close(self) -> None:
        """Free the poller (idempotent). The registered objects stay
        open; its timers are cancelled."""
        super().close()
        for obj, _ in self._tags.values():
            if isinstance(obj, Timer):
                obj._poller = None
        self._tags.clear()
        self._by_key.clear()
        self._closable.clear()


def _fileno(obj: Any) -> int:
    try:
        fileno = obj.fileno
    except AttributeError:
        raise TypeError(f"cannot poll {type(obj).__name__}: not a Channel, "
                        f"an int descriptor or an object with fileno()") \
            from None
    fd = fileno()
    if not isinstance(fd, int) or fd < 0:
        raise io.UnsupportedOperation(f"{obj!r} has no descriptor")
    return fd
