# SPDX-License-Identifier: MIT
"""Shared memory: ``ipc.SharedMemory`` (POSIX, "/name"),
``ipc.SysVSharedMemory`` (System V, by key) and ``ipc.MappedFile`` (a
file mapped MAP_SHARED).

Each gives ``.buf``, a memoryview straight over the shared bytes: no copy,
stores are seen by every other process at once, and nothing synchronises
them (pair it with ``ipc.Mutex``, ``ipc.Semaphore`` or a ``Ring``).

Every access to ``.buf`` makes a new view of the same memory.
``close()`` raises BufferError while any view (or a slice of one, or a
NumPy array over one) is alive, as ``multiprocessing.shared_memory``
and ``mmap`` do: the memory is never unmapped under a live view. Release
views with ``view.release()`` or by dropping them, then close.

POSIX objects and files are mapped here with the standard ``mmap`` module
over the descriptor the core opened (and checked); System V segments have
no descriptor and are exported by the core's attachment, with the same
BufferError rule. See docs/shm.md, docs/sysvshm.md, docs/mmap.md.
"""

from __future__ import annotations

import mmap
import os
from typing import Any, Optional, Union

from . import _core
from ._util import Handle, Key, check_mode, open_flags, size_value, \
    sysv_key, with_name
from .sysvmq import key_name

__all__ = ["SharedMemory", "SysVSharedMemory", "MappedFile"]

Size = Union[int, str, None]

#: The size a new System V segment or mapped file gets by default.
DEFAULT_SIZE = 4096


def _map(fd: int, length: int, offset: int, readonly: bool) -> mmap.mmap:
    """MAP_SHARED over the core's descriptor (mmap dups it, so the mapping
    lives as long as the views of it, whatever happens to the handle)."""
    prot = mmap.PROT_READ if readonly else mmap.PROT_READ | mmap.PROT_WRITE
    return mmap.mmap(fd, length, flags=mmap.MAP_SHARED, prot=prot,
                     offset=offset)


class _Mapped(Handle):
    """A handle whose memory Python maps itself with the mmap module:
    close() closes the mmap first (BufferError while views exist, the
    handle then stays open), then the core's handle."""

    __slots__ = ("_mmap", "_skip")

    def __init__(self) -> None:
        super().__init__()
        self._mmap: Optional[mmap.mmap] = None
        self._skip = 0    # bytes before the first one asked for (mmap
                          # offsets must be page-aligned)

    def _map_or_close(self, fd: int, length: int, offset: int) -> mmap.mmap:
        try:
            return _map(fd, length, offset, self._readonly)
        except BaseException:
            super().close()      # the core's handle, opened just before
            raise

    @property
    def buf(self) -> memoryview:
        """A writable (read-only for readonly handles) memoryview of the
        whole mapping, without a copy. A new view on every access."""
        self._handle()
        assert self._mmap is not None
        view = memoryview(self._mmap)
        if self._skip:
            return view[self._skip:]
        return view

    def close(self) -> None:
        """Unmap and release the handle (idempotent). BufferError while a
        view of ``buf`` is alive; nothing is closed then."""
        mm = self._mmap
        if mm is not None:
            mm.close()
            self._mmap = None
        super().close()

    def __del__(self) -> None:
        # Views that outlive the object keep their own mapping (the mmap
        # object) alive: drop our reference so the core handle can close.
        if getattr(self, "_h", None) is not None:
            self._mmap = None
        super().__del__()


class SharedMemory(_Mapped):
    """A POSIX shared memory object ("/name", a file in /dev/shm).

    ``SharedMemory("/name", size=4096, create=True)`` creates it, or
    opens it when it exists (*size* then must be at most its size, 0
    adopts it; *mode* applies to a new object only); ``exclusive=True``
    raises FileExistsError when it exists; without *create* a missing
    object raises FileNotFoundError. *readonly* maps it read-only (not
    with *create*); *shared* accepts an object owned by another user.

    An object that exists but has size 0 (its creator has not sized it
    yet) raises BlockingIOError: try again. The object stays until
    ``unlink()``; ``multiprocessing.shared_memory.SharedMemory(name=...)``
    (the name without its "/") and ``mmap`` over /dev/shm/<name> see the
    same bytes.
    """

    __slots__ = ("_name", "_size", "_readonly")
    _kind = "shared memory"
    _close_fn = staticmethod(_core.shm_close)

    def __init__(self, name: str, size: Size = 0, create: bool = False,
                 exclusive: bool = False, mode: int = 0o600, *,
                 readonly: bool = False, shared: bool = False) -> None:
        super().__init__()
        if not isinstance(name, str):
            raise TypeError(f"name must be a str such as '/name', not "
                            f"{type(name).__name__}")
        self._name = name
        flags = open_flags(create, exclusive)
        flags |= _core.IPC_O_READ if readonly else _core.IPC_O_RDWR
        if shared:
            flags |= _core.IPC_O_SHARED
        try:
            h = _core.shm_open(name, size_value(size, "size"), flags,
                               check_mode(mode))
        except OSError as e:
            raise with_name(e, name) from None
        self._h = h
        self._size = _core.shm_size(h)
        self._readonly = bool(_core.shm_is_readonly(h))
        self._mmap = self._map_or_close(_core.shm_fd(h), self._size, 0)

    @property
    def name(self) -> str:
        """The object's name ("/name"), also after close()."""
        return self._name

    @property
    def size(self) -> int:
        """The mapped size in bytes."""
        return self._size

    @property
    def readonly(self) -> bool:
        """True when mapped read-only."""
        return self._readonly

    def unlink(self: Union["SharedMemory", str]) -> None:
        """Remove the name; mappings that exist (this one too) keep the
        memory until closed. Allowed after close();
        ``SharedMemory.unlink("/name")`` removes an object by name.
        FileNotFoundError if it is gone already."""
        name = self if isinstance(self, str) else self._name
        try:
            _core.shm_unlink(name)
        except OSError as e:
            raise with_name(e, name) from None

    def _describe(self) -> str:
        return f"{self._name!r} size={self._size}"


class MappedFile(_Mapped):
    """A range of a file mapped MAP_SHARED: shared memory that persists
    in the file system.

    ``MappedFile(path, size=4096, create=True)`` creates the file when
    missing and makes sure it holds at least *offset* + *size* bytes
    (blocks reserved, so a full disk raises OSError ENOSPC here, never
    SIGBUS later); ``exclusive=True`` raises FileExistsError when it
    exists. Without *create* the file is never grown: *size* None maps
    from *offset* to its end, a file shorter than *offset* + *size*
    raises ValueError. *size* None means DEFAULT_SIZE when creating.
    *offset* need not be page-aligned. *readonly* maps it read-only;
    *nofollow* refuses a symbolic link at *path*.

    Writes reach the page cache at once (other mappings and read(2) see
    them); ``flush()`` waits until they are on the disk.
    """

    __slots__ = ("_path", "_size", "_offset", "_readonly")
    _kind = "mapped file"
    _close_fn = staticmethod(_core.mmap_close)

    def __init__(self, path: Union[str, "os.PathLike[str]"],
                 size: Size = None, create: bool = False,
                 exclusive: bool = False, mode: int = 0o600, *,
                 offset: int = 0, readonly: bool = False,
                 nofollow: bool = False) -> None:
        super().__init__()
        path = os.fsdecode(path)
        self._path = path
        if size is None:
            length = DEFAULT_SIZE if create or exclusive else 0
        else:
            length = size_value(size, "size")
        if not isinstance(offset, int) or isinstance(offset, bool):
            raise TypeError("offset must be an int")
        if offset < 0:
            raise ValueError("offset must be >= 0")
        flags = open_flags(create, exclusive)
        flags |= _core.IPC_O_READ if readonly else _core.IPC_O_RDWR
        if nofollow:
            flags |= _core.IPC_O_NOFOLLOW
        try:
            h = _core.mmap_open(path, offset, length, flags,
                                check_mode(mode))
        except OSError as e:
            raise with_name(e, path) from None
        self._h = h
        self._size = _core.mmap_size(h)
        self._offset = offset
        self._readonly = readonly
        # mmap offsets must be multiples of the allocation granularity:
        # map from the boundary below and skip to the byte asked for.
        self._skip = offset % mmap.ALLOCATIONGRANULARITY
        self._mmap = self._map_or_close(_core.mmap_fd(h),
                                        self._skip + self._size,
                                        offset - self._skip)

    @property
    def path(self) -> str:
        """The file's path, also after close()."""
        return self._path

    @property
    def size(self) -> int:
        """The length of the mapped range in bytes."""
        return self._size

    @property
    def offset(self) -> int:
        """Where the range starts in the file."""
        return self._offset

    @property
    def readonly(self) -> bool:
        """True when mapped read-only."""
        return self._readonly

    def flush(self, offset: int = 0, size: int = 0,
              wait: bool = True) -> None:
        """Write the changed pages of ``buf[offset:offset + size]`` (size
        0: to the end) to the file's storage, returning once they are
        written (*wait* False: only start). Not needed for other processes
        to see the writes, only for them to survive a crash of the
        machine. ValueError when the part lies outside the range."""
        try:
            _core.mmap_flush(self._handle(), offset, size, wait)
        except OSError as e:
            raise with_name(e, self._path) from None

    def _describe(self) -> str:
        return f"{self._path!r} offset={self._offset} size={self._size}"


class SysVSharedMemory(Handle):
    """A System V shared memory segment, attached.

    *key* is an int, a string in URL syntax ("0x1234", "/path:proj") or a
    (path, proj) pair; 0 (IPC_PRIVATE) always makes a new segment that
    others attach by its ``id`` (``SysVSharedMemory.from_id``).
    ``create=True`` creates it when missing with *size* bytes (None:
    DEFAULT_SIZE) and *mode* (exact, no umask); ``exclusive=True`` raises
    FileExistsError when it exists; without *create* a missing segment
    raises FileNotFoundError. Opening an existing segment, *size* None or
    0 accepts its size and a larger size raises ValueError. *readonly*
    attaches it read-only; *shared* accepts a segment owned by another
    user.

    The segment outlives every process until ``remove()`` and its last
    detach; ``remove()`` right after everyone attached leaves nothing
    behind whatever happens. ``sysv_ipc.SharedMemory`` and shmat(2) with
    the same key see the same bytes.
    """

    __slots__ = ("_map", "_key", "_id", "_size", "_readonly")
    _kind = "System V shared memory"
    _close_fn = staticmethod(_core.sysvshm_close)

    def __init__(self, key: Key, size: Size = None, create: bool = False,
                 exclusive: bool = False, mode: int = 0o600, *,
                 readonly: bool = False, shared: bool = False) -> None:
        super().__init__()
        self._map: Any = None
        k = sysv_key(key)
        if size is None:
            size = DEFAULT_SIZE if create or exclusive else 0
        flags = open_flags(create, exclusive)
        flags |= _core.IPC_O_READ if readonly else _core.IPC_O_RDWR
        if shared:
            flags |= _core.IPC_O_SHARED
        try:
            h = _core.sysvshm_open(k, size_value(size, "size"), flags,
                                   check_mode(mode))
        except OSError as e:
            raise with_name(e, key_name(k)) from None
        self._adopt(h)

    def _adopt(self, h: Any) -> None:
        self._h = h
        self._key = _core.sysvshm_key(h)
        self._id = _core.sysvshm_id(h)
        self._size = _core.sysvshm_size(h)
        self._readonly = bool(_core.sysvshm_readonly(h))
        self._map = _core.mapping(_core.sysvshm_addr(h), self._size,
                                  self._readonly)

    @classmethod
    def from_id(cls, id: int, *, readonly: bool = False,
                shared: bool = False) -> "SysVSharedMemory":
        """Attach a segment by its kernel id (``id`` of another handle, or
        ipcs -m): how other processes reach a private segment."""
        self = cls.__new__(cls)
        Handle.__init__(self)
        self._map = None
        flags = _core.IPC_O_READ if readonly else _core.IPC_O_RDWR
        if shared:
            flags |= _core.IPC_O_SHARED
        try:
            h = _core.sysvshm_open_id(id, flags)
        except OSError as e:
            raise with_name(e, f"id {id}") from None
        self._adopt(h)
        return self

    def _name(self) -> str:
        return key_name(self._key) if self._key else f"id {self._id}"

    @property
    def buf(self) -> memoryview:
        """A writable (read-only for readonly handles) memoryview of the
        whole segment, without a copy. A new view on every access."""
        self._handle()
        return memoryview(self._map)

    @property
    def size(self) -> int:
        """The segment's size in bytes (as created, whatever *size* this
        handle asked for)."""
        return self._size

    @property
    def key(self) -> int:
        """The key (0 for a private segment, one opened by id, or one
        already marked for removal when attached)."""
        return self._key

    @property
    def id(self) -> int:
        """The kernel's id of the segment, as ipcs -m shows it."""
        return self._id

    @property
    def readonly(self) -> bool:
        """True when attached read-only."""
        return self._readonly

    @property
    def nattach(self) -> int:
        """How many attachments the segment has now, in every process
        (this one included)."""
        try:
            return _core.sysvshm_nattach(self._handle())
        except OSError as e:
            raise with_name(e, self._name()) from None

    def remove(self) -> None:
        """Mark the segment for removal: its key is free at once, the
        memory goes with the last detach. This handle stays attached and
        usable until close(). Removing twice is harmless."""
        try:
            _core.sysvshm_remove(self._handle())
        except OSError as e:
            raise with_name(e, self._name()) from None

    def close(self) -> None:
        """Detach and release the handle (idempotent). BufferError while
        a view of ``buf`` is alive; nothing is detached then."""
        if self._h is not None and self._map is not None:
            self._map.release()
        super().close()

    def _describe(self) -> str:
        return f"key={key_name(self._key)} id={self._id} size={self._size}"
