# SPDX-License-Identifier: MIT
"""Named pipes: ipc.Fifo and fifo: URLs.

Round trip, would-block/timeout, closed-handle misuse, EEXIST/ENOENT, and
interop with os.mkfifo + the builtin open() speaking the frame format (a
4-byte little-endian length, then the payload) in both directions.
"""

from __future__ import annotations

import builtins
import os
import stat
import struct
import threading
import time

import pytest

import ipc


def frame(payload: bytes) -> bytes:
    return struct.pack("<I", len(payload)) + payload


def unframe(data: bytes) -> list:
    out = []
    while data:
        (n,) = struct.unpack_from("<I", data)
        out.append(data[4:4 + n])
        data = data[4 + n:]
    return out


@pytest.fixture
def fifo(fifo_path):
    """A reader and a writer on a new FIFO."""
    path = fifo_path()
    r = ipc.Fifo(path, "r")
    w = ipc.Fifo(path, "w", timeout=5)
    yield path, r, w
    r.close()
    w.close()


# --- round trip -------------------------------------------------------------

def test_round_trip(fifo):
    path, r, w = fifo
    msgs = [b"hello", b"", bytearray(b"bytearray"), b"z" * 4000]
    for m in msgs:
        w.send(m, timeout=1)
    assert [r.recv(timeout=1) for _ in msgs] == [bytes(m) for m in msgs]
    assert r.path == w.path == path
    assert r.kind == "fifo"
    assert r.url == "fifo:" + path
    assert path in repr(r)
    assert isinstance(r, ipc.Channel)


def test_created_with_mode(fifo_path):
    path = fifo_path()
    with ipc.Fifo(path, "r", mode=0o640):
        st = os.stat(path)
        assert stat.S_ISFIFO(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o640
    with ipc.Fifo(fifo_path(), "r") as r:
        assert stat.S_IMODE(os.stat(r.path).st_mode) == 0o600


def test_iterate_until_writer_closes(fifo):
    _, r, w = fifo
    for i in range(10):
        w.send(b"m%d" % i)
    w.close()
    assert list(r) == [b"m%d" % i for i in range(10)]
    with pytest.raises(BrokenPipeError):
        r.recv(timeout=1)
    assert r.read(10, timeout=1) == b""


def test_one_mebibyte_message(fifo):
    _, r, w = fifo
    big = os.urandom(1 << 20)
    t = threading.Thread(target=w.send, args=(big, 10))
    t.start()
    try:
        assert r.recv(timeout=10) == big
    finally:
        t.join()


def test_recv_into(fifo):
    _, r, w = fifo
    w.send(b"payload")
    buf = bytearray(16)
    assert r.recv_into(buf, timeout=1) == 7
    assert bytes(buf[:7]) == b"payload"


def test_raw_write_read(fifo):
    _, r, w = fifo
    assert w.write(b"raw", timeout=1) == 3
    assert r.read(10, timeout=1) == b"raw"


def test_capacity(fifo_path):
    fcntl = pytest.importorskip("fcntl")
    with ipc.Fifo(fifo_path(), "r", capacity=1 << 20) as r:
        assert fcntl.fcntl(r.fileno(), fcntl.F_GETPIPE_SZ) == 1 << 20


def test_relative_path_becomes_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with ipc.Fifo("rel-fifo", "r") as r:
        assert r.path == str(tmp_path / "rel-fifo")
        assert r.url == "fifo:" + str(tmp_path / "rel-fifo")


def test_open_fifo_url(fifo_path):
    path = fifo_path()
    with ipc.open("fifo:" + path, "r", create=True) as r, \
            ipc.open("fifo:" + path, "w", timeout=5) as w:
        w.send(b"via open")
        assert r.recv(timeout=1) == b"via open"
        assert r.kind == "fifo"


# --- interop with os.mkfifo and builtin open --------------------------------

def test_builtin_writer_our_reader(fifo_path):
    path = fifo_path()
    os.mkfifo(path, 0o600)
    msgs = [b"from", b"", b"builtin open", os.urandom(3000)]
    with ipc.Fifo(path, "r", create=False) as r:
        # Our reader is open, so the builtin open() does not block.
        with builtins.open(path, "wb", buffering=0) as f:
            for m in msgs:
                f.write(frame(m))
        assert list(r) == msgs


def test_our_writer_builtin_reader(fifo_path):
    path = fifo_path()
    os.mkfifo(path, 0o600)
    # A non-blocking open makes the reader exist without waiting for us.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    os.set_blocking(fd, True)
    with builtins.open(fd, "rb", buffering=0) as f:
        with ipc.Fifo(path, "w", create=False, timeout=5) as w:
            w.send(b"to")
            w.send(b"")
            w.send(b"builtin")
        data = f.read()
    assert unframe(data) == [b"to", b"", b"builtin"]


# --- would block / timeout --------------------------------------------------

def test_writer_without_reader_would_block_and_times_out(fifo_path):
    path = fifo_path()
    with pytest.raises(BlockingIOError) as ei:
        ipc.Fifo(path, "w", timeout=0)
    assert ei.value.filename == path
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        ipc.Fifo(path, "w", timeout=0.1)
    assert 0.1 <= time.monotonic() - t0 < 2
    # A FIFO that the failed open created is removed again.
    assert not os.path.exists(path)


def test_reader_without_writer_times_out(fifo_path):
    with ipc.Fifo(fifo_path(), "r") as r:
        with pytest.raises(BlockingIOError):
            r.recv(timeout=0)
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            r.recv(timeout=0.1)
        assert 0.1 <= time.monotonic() - t0 < 2


def test_full_fifo_send_times_out(fifo):
    _, r, w = fifo
    for _ in range(1000):
        try:
            w.send(b"x" * 4096, timeout=0)
        except BlockingIOError:
            break
    else:
        pytest.fail("the FIFO never filled")
    with pytest.raises((TimeoutError, BlockingIOError)):
        w.send(b"x" * 4096, timeout=0.1)


def test_writer_after_reader_left_is_broken_pipe(fifo):
    _, r, w = fifo
    r.close()
    with pytest.raises(BrokenPipeError):
        w.send(b"x", timeout=1)


# --- EEXIST / ENOENT --------------------------------------------------------

def test_exclusive_on_existing_is_file_exists(fifo_path):
    path = fifo_path()
    os.mkfifo(path, 0o600)
    with pytest.raises(FileExistsError) as ei:
        ipc.Fifo(path, "r", exclusive=True)
    assert ei.value.filename == path


def test_missing_without_create_is_file_not_found(fifo_path):
    path = fifo_path()
    with pytest.raises(FileNotFoundError) as ei:
        ipc.Fifo(path, "r", create=False)
    assert ei.value.filename == path
    with pytest.raises(FileNotFoundError) as ei:
        ipc.open("fifo:" + path, "r")
    assert ei.value.filename == "fifo:" + path


def test_unlink(fifo_path):
    path = fifo_path()
    f = ipc.Fifo(path, "r")
    f.unlink()
    assert not os.path.exists(path)
    with pytest.raises(FileNotFoundError) as ei:
        f.unlink()
    assert ei.value.filename == path
    f.close()
    with ipc.Fifo(path, "r"):
        pass
    ipc.unlink("fifo:" + path)
    assert not os.path.exists(path)


def test_not_a_fifo_is_refused(tmp_path):
    path = tmp_path / "regular"
    path.write_bytes(b"data")
    with pytest.raises(ValueError):
        ipc.Fifo(str(path), "r", create=False)
    with pytest.raises(FileExistsError):    # create never takes it over
        ipc.Fifo(str(path), "r")
    with pytest.raises(ValueError):         # nor does unlink remove it
        ipc.unlink("fifo:" + str(path))
    assert path.read_bytes() == b"data"


# --- closed handles and misuse ----------------------------------------------

def test_closed_fifo_refuses_io(fifo):
    path, r, w = fifo
    r.close()
    w.close()
    r.close()
    assert r.closed
    assert r.path == path             # the path stays known
    for call in (lambda: w.send(b"x"), lambda: r.recv(0), lambda: r.read(1),
                 lambda: r.fileno(), lambda: r.url, lambda: list(r)):
        with pytest.raises(ValueError):
            call()


def test_bad_arguments(fifo_path):
    path = fifo_path()
    with pytest.raises(ValueError):
        ipc.Fifo(path, "rw")
    with pytest.raises(ValueError):
        ipc.open("fifo:" + path, "rw", create=True)
    with pytest.raises(ValueError):
        ipc.Fifo(path + "?create=1", "r")
    with pytest.raises(ValueError):
        ipc.Fifo(path, "r", mode=0o1000)
    with pytest.raises(TypeError):
        ipc.Fifo(path, "r", mode="0600")
    with pytest.raises(TypeError):
        ipc.Fifo(42, "r")
    assert not os.path.exists(path)


def test_wrong_direction(fifo):
    _, r, w = fifo
    with pytest.raises(ValueError):
        r.send(b"x")
    with pytest.raises(ValueError):
        w.recv(timeout=0)


def test_refused_capacity_leaves_no_fifo(fifo_path):
    path = fifo_path()
    try:
        with pytest.raises(ValueError):
            ipc.Fifo(path, "r", capacity=1 << 40)
        assert not os.path.exists(path)
    finally:
        if os.path.exists(path):
            os.unlink(path)
