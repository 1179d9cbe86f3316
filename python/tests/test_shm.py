# SPDX-License-Identifier: MIT
"""ipc.SharedMemory, ipc.SysVSharedMemory and ipc.MappedFile: round trip,
would-block (an object not sized yet; nothing else here blocks),
closed-handle misuse, EEXIST/ENOENT, BufferError while a view lives, and
independent peers: the stdlib mmap over /dev/shm, multiprocessing's
shared_memory, python3-sysv-ipc, plain file I/O, and child processes."""

from __future__ import annotations

import errno
import gc
import mmap
import os

import pytest
import sysv_ipc

from ipc.shm import MappedFile, SharedMemory, SysVSharedMemory


@pytest.fixture
def shm(unique_name):
    m = SharedMemory(unique_name("shm"), size=4096, create=True)
    yield m
    m.close()


@pytest.fixture
def sysvshm(unique_key):
    m = SysVSharedMemory(unique_key(), size=8192, create=True)
    yield m
    m.close()


# === POSIX shared memory =====================================================

def test_shm_round_trip_between_handles(shm):
    assert shm.size == 4096 and not shm.readonly
    shm.buf[:5] = b"hello"
    with SharedMemory(shm.name) as other:          # size 0: adopt 4096
        assert other.size == 4096
        assert bytes(other.buf[:5]) == b"hello"
        other.buf[4096 - 3:] = b"end"
    assert bytes(shm.buf[-3:]) == b"end"


def test_shm_buf_is_not_a_copy(shm):
    v = shm.buf
    assert isinstance(v, memoryview) and not v.readonly
    assert len(v) == 4096 and v.nbytes == 4096
    shm.buf[0] = 42
    assert v[0] == 42            # another view, the same memory
    v.release()


def test_shm_smaller_view_of_bigger_object(shm):
    with SharedMemory(shm.name, size=100) as part:
        assert part.size == 100 and len(part.buf) == 100


def test_shm_mode_and_size_string(unique_name):
    name = unique_name("shm")
    with SharedMemory(name, size="64KiB", create=True, mode=0o640) as m:
        st = os.stat("/dev/shm" + name)
        assert st.st_size == 65536 == m.size
        assert st.st_mode & 0o777 == 0o640
        assert repr(m) == f"<ipc.SharedMemory {name!r} size=65536>"


def test_shm_readonly(shm):
    shm.buf[:2] = b"ro"
    with SharedMemory(shm.name, readonly=True) as ro:
        assert ro.readonly and ro.buf.readonly
        assert bytes(ro.buf[:2]) == b"ro"
        with pytest.raises(TypeError):
            ro.buf[0] = 1
    with pytest.raises(ValueError):
        SharedMemory(shm.name, size=10, create=True, readonly=True)


def test_shm_close_with_live_view_raises_buffererror(shm):
    part = shm.buf[10:20]              # a slice keeps the mapping exported
    with pytest.raises(BufferError):
        shm.close()
    assert not shm.closed
    part[:] = b"0123456789"            # still mapped and usable
    part.release()
    shm.close()
    assert shm.closed


def test_shm_collected_with_live_view_stays_safe(unique_name):
    # The object goes while a view lives: the view keeps its own mapping
    # (the mmap object), the core handle is closed, nothing leaks (the
    # fd-leak check runs after this test).
    m = SharedMemory(unique_name("shm"), size=4096, create=True)
    v = m.buf
    with pytest.warns(ResourceWarning):
        del m
        gc.collect()
    v[:4] = b"live"
    assert bytes(v[:4]) == b"live"
    v.release()


def test_shm_child_writes_through_buf(shm, run_python):
    code = ("import sys, ipc\n"
            "with ipc.SharedMemory(sys.argv[1]) as m:\n"
            "    m.buf[100:110] = b'from child'\n")
    r = run_python(code, shm.name)
    assert r.returncode == 0, r.stderr.decode()
    assert bytes(shm.buf[100:110]) == b"from child"


def test_shm_stdlib_mmap_both_ways(shm):
    fd = os.open("/dev/shm" + shm.name, os.O_RDWR)
    try:
        with mmap.mmap(fd, 4096) as mm:
            shm.buf[:3] = b"ipc"
            assert mm[:3] == b"ipc"
            mm[3:9] = b"stdlib"
            assert bytes(shm.buf[3:9]) == b"stdlib"
    finally:
        os.close(fd)


def test_shm_multiprocessing_attaches(shm, run_python):
    # In a child: multiprocessing's resource tracker would otherwise
    # adopt (and at exit unlink) our object, and keep a pipe open here.
    shm.buf[:4] = b"ours"
    code = ("import sys\n"
            "from multiprocessing import shared_memory, resource_tracker\n"
            "m = shared_memory.SharedMemory(name=sys.argv[1])\n"
            "resource_tracker.unregister(m._name, 'shared_memory')\n"
            "assert bytes(m.buf[:4]) == b'ours', bytes(m.buf[:4])\n"
            "m.buf[4:10] = b'theirs'\n"
            "print(m.size)\n"
            "m.close()\n")
    r = run_python(code, shm.name.lstrip("/"))
    assert r.returncode == 0, r.stderr.decode()
    assert int(r.stdout) >= 4096
    assert bytes(shm.buf[:10]) == b"ourstheirs"


def test_shm_unsized_object_would_block(unique_name):
    # An object that exists with size 0 is one whose creator has not
    # sized it yet: BlockingIOError, try again.
    name = unique_name("shm")
    fd = os.open("/dev/shm" + name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    with pytest.raises(BlockingIOError) as ei:
        SharedMemory(name)
    assert ei.value.filename == name


def test_shm_closed_handle(unique_name):
    name = unique_name("shm")
    m = SharedMemory(name, size=4096, create=True)
    m.close()
    m.close()
    assert m.closed and repr(m) == "<ipc.SharedMemory closed>"
    with pytest.raises(ValueError, match="closed"):
        m.buf
    assert m.name == name and m.size == 4096
    m.unlink()                                  # by name: allowed
    assert not os.path.exists("/dev/shm" + name)


def test_shm_exists_and_missing(shm, unique_name):
    with pytest.raises(FileExistsError) as ei:
        SharedMemory(shm.name, size=4096, create=True, exclusive=True)
    assert ei.value.filename == shm.name
    missing = unique_name("shm")
    with pytest.raises(FileNotFoundError) as ei:
        SharedMemory(missing)
    assert ei.value.filename == missing
    shm.unlink()
    with pytest.raises(FileNotFoundError):
        shm.unlink()
    SharedMemory(missing, size=10, create=True).close()
    SharedMemory.unlink(missing)                # by name, no handle
    assert not os.path.exists("/dev/shm" + missing)


def test_shm_bad_sizes(shm, unique_name):
    with pytest.raises(ValueError):
        SharedMemory(shm.name, size=4097)          # bigger than the object
    with pytest.raises(ValueError):
        SharedMemory(unique_name("shm"), size=0, create=True)
    with pytest.raises(ValueError):
        SharedMemory(unique_name("shm"), size=-1, create=True)
    with pytest.raises(TypeError):
        SharedMemory(shm.name, size=1.5)


# === System V shared memory ==================================================

def test_sysvshm_round_trip_between_handles(sysvshm):
    assert sysvshm.size == 8192 and sysvshm.nattach == 1
    sysvshm.buf[:5] = b"hello"
    with SysVSharedMemory(sysvshm.key) as other:    # size None: adopt
        assert other.size == 8192 and other.id == sysvshm.id
        assert sysvshm.nattach == 2
        assert bytes(other.buf[:5]) == b"hello"
        other.buf[-3:] = b"end"
    assert sysvshm.nattach == 1
    assert bytes(sysvshm.buf[-3:]) == b"end"


def test_sysvshm_default_size_and_mode(unique_key):
    key = unique_key()
    with SysVSharedMemory(key, create=True, mode=0o640) as m:
        assert m.size == 4096
        peer = sysv_ipc.SharedMemory(key)
        try:
            assert peer.mode & 0o777 == 0o640
        finally:
            peer.detach()


def test_sysvshm_readonly(sysvshm):
    sysvshm.buf[:2] = b"ro"
    with SysVSharedMemory(sysvshm.key, readonly=True) as ro:
        assert ro.readonly and ro.buf.readonly
        assert bytes(ro.buf[:2]) == b"ro"
        with pytest.raises(TypeError):
            ro.buf[0] = 1


def test_sysvshm_close_with_live_view_raises_buffererror(sysvshm):
    part = sysvshm.buf[:8]
    with pytest.raises(BufferError):
        sysvshm.close()
    assert not sysvshm.closed and sysvshm.nattach == 1   # still attached
    part[:] = b"attached"
    part.release()
    sysvshm.close()
    assert sysvshm.closed


def test_sysvshm_remove_frees_key_keeps_attachment(sysvshm):
    sysvshm.remove()
    sysvshm.remove()                                  # harmless
    with pytest.raises(FileNotFoundError):
        SysVSharedMemory(sysvshm.key)
    sysvshm.buf[:4] = b"used"
    assert bytes(sysvshm.buf[:4]) == b"used"


def test_sysvshm_private_by_id():
    m = SysVSharedMemory(0, size=100, create=True)
    try:
        m.remove()             # nothing is left, whatever happens next
        with SysVSharedMemory.from_id(m.id) as peer:
            peer.buf[:2] = b"id"
        assert bytes(m.buf[:2]) == b"id"
    finally:
        m.close()


def test_sysvshm_child_writes_through_buf(sysvshm, run_python):
    code = ("import sys, ipc\n"
            "with ipc.SysVSharedMemory(int(sys.argv[1])) as m:\n"
            "    m.buf[:10] = b'from child'\n")
    r = run_python(code, str(sysvshm.key))
    assert r.returncode == 0, r.stderr.decode()
    assert bytes(sysvshm.buf[:10]) == b"from child"


def test_sysvshm_sysv_ipc_reads_and_writes_ours(sysvshm):
    peer = sysv_ipc.SharedMemory(sysvshm.key)
    try:
        sysvshm.buf[:3] = b"ipc"
        assert peer.read(3) == b"ipc"
        peer.write(b"sysv_ipc", 3)
        assert bytes(sysvshm.buf[3:11]) == b"sysv_ipc"
        assert peer.number_attached == 2
    finally:
        peer.detach()


def test_sysvshm_attaches_sysv_ipc_segment(unique_key):
    # Created by sysv_ipc; we attach what exists.
    key = unique_key()
    peer = sysv_ipc.SharedMemory(key, sysv_ipc.IPC_CREX, mode=0o600,
                                 size=5000, init_character=b"z")
    try:
        with SysVSharedMemory(key) as m:
            assert m.size == 5000 and m.id == peer.id
            assert bytes(m.buf[:2]) == b"zz"
            m.buf[:4] = b"ours"
        assert peer.read(4) == b"ours"
    finally:
        peer.detach()


def test_sysvshm_closed_handle(unique_key):
    key = unique_key()
    m = SysVSharedMemory(key, create=True)
    m.close()
    m.close()
    assert m.closed
    for call in (lambda: m.buf, lambda: m.nattach, m.remove):
        with pytest.raises(ValueError, match="closed"):
            call()
    assert m.key == key


def test_sysvshm_unclosed_warns(unique_key):
    m = SysVSharedMemory(unique_key(), create=True)
    with pytest.warns(ResourceWarning):
        del m
        gc.collect()


def test_sysvshm_exists_missing_and_too_big(sysvshm, unique_key):
    with pytest.raises(FileExistsError):
        SysVSharedMemory(sysvshm.key, create=True, exclusive=True)
    with pytest.raises(FileNotFoundError):
        SysVSharedMemory(unique_key())
    with pytest.raises(ValueError):
        SysVSharedMemory(sysvshm.key, size=8193)


# === mapped files ============================================================

def test_mapped_file_round_trip_with_the_file(tmp_path):
    path = tmp_path / "data"
    with MappedFile(path, create=True) as mf:          # DEFAULT_SIZE
        assert mf.size == 4096 and mf.path == str(path)
        mf.buf[:5] = b"hello"
        mf.flush()
        assert path.read_bytes()[:5] == b"hello"      # the page cache
        with open(path, "r+b") as f:
            f.seek(10)
            f.write(b"file")
        assert bytes(mf.buf[10:14]) == b"file"


def test_mapped_file_unaligned_offset(tmp_path):
    path = tmp_path / "data"
    with MappedFile(path, size=10, create=True, offset=5000) as mf:
        assert (mf.offset, mf.size, len(mf.buf)) == (5000, 10, 10)
        mf.buf[:] = b"0123456789"
        mf.flush(2, 3, wait=False)
    data = path.read_bytes()
    assert len(data) == 5010 and data[5000:] == b"0123456789"
    with MappedFile(path, offset=5003) as tail:        # size None: to the end
        assert bytes(tail.buf) == b"3456789"


def test_mapped_file_readonly(tmp_path):
    path = tmp_path / "data"
    path.write_bytes(b"read only bytes")
    with MappedFile(path, readonly=True) as mf:
        assert mf.readonly and mf.buf.readonly
        assert bytes(mf.buf) == b"read only bytes"
        with pytest.raises(TypeError):
            mf.buf[0] = 1


def test_mapped_file_child_writes_through_buf(tmp_path, run_python):
    path = tmp_path / "data"
    with MappedFile(path, size=100, create=True) as mf:
        code = ("import sys, ipc\n"
                "with ipc.MappedFile(sys.argv[1]) as m:\n"
                "    m.buf[:10] = b'from child'\n")
        r = run_python(code, str(path))
        assert r.returncode == 0, r.stderr.decode()
        assert bytes(mf.buf[:10]) == b"from child"


def test_mapped_file_close_with_live_view(tmp_path):
    mf = MappedFile(tmp_path / "data", create=True, offset=123)
    v = mf.buf
    with pytest.raises(BufferError):
        mf.close()
    v.release()
    mf.close()


def test_mapped_file_flush_outside_range(tmp_path):
    with MappedFile(tmp_path / "data", size=100, create=True) as mf:
        with pytest.raises(ValueError):
            mf.flush(50, 51)


def test_mapped_file_closed_handle(tmp_path):
    mf = MappedFile(tmp_path / "data", create=True)
    mf.close()
    mf.close()
    for call in (lambda: mf.buf, mf.flush):
        with pytest.raises(ValueError, match="closed"):
            call()
    assert (tmp_path / "data").exists()          # closing never removes


def test_mapped_file_exists_missing_short(tmp_path):
    path = tmp_path / "data"
    with pytest.raises(FileNotFoundError) as ei:
        MappedFile(path)
    assert ei.value.filename == str(path)
    path.write_bytes(b"short")
    with pytest.raises(FileExistsError):
        MappedFile(path, create=True, exclusive=True)
    with pytest.raises(ValueError):
        MappedFile(path, size=6)                 # never grown without create
    with MappedFile(path, size=6, create=True) as mf:   # grown with it
        assert bytes(mf.buf) == b"short\0"
    link = tmp_path / "link"
    link.symlink_to(path)
    with pytest.raises(OSError) as ei:
        MappedFile(link, nofollow=True)
    assert ei.value.errno == errno.ELOOP
