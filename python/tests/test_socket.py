# SPDX-License-Identifier: MIT
"""Socket channels: ipc.listen / ipc.connect / Listener.accept.

unix (path and abstract), unixpacket, tcp (framed or record streams),
unixgram, udp (datagrams). Round trip, would-block/timeout, closed-handle
misuse, ENOENT/ECONNREFUSED/EADDRINUSE; interop with the stdlib socket
module speaking frames (a 4-byte little-endian length, then the payload)
on streams and raw datagrams/records elsewhere; descriptor passing with
socket.send_fds / socket.recv_fds; peer credentials.
"""

from __future__ import annotations

import errno
import itertools
import os
import socket
import struct
import threading
import time

import pytest

import ipc

_abstract = itertools.count(1)


def abstract_name() -> str:
    return f"@ipc-test-{os.getpid()}-{next(_abstract)}-sock"


def frame(payload: bytes) -> bytes:
    return struct.pack("<I", len(payload)) + payload


def recv_exact(s: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        assert chunk, "peer closed"
        data += chunk
    return data


def recv_frame(s: socket.socket) -> bytes:
    (n,) = struct.unpack("<I", recv_exact(s, 4))
    return recv_exact(s, n)


@pytest.fixture
def unix_url(sock_path):
    return "unix:" + sock_path()


def connected(url: str):
    """(client, server, listener URL) over a stream URL."""
    with ipc.listen(url) as lst:
        assert isinstance(lst, ipc.Listener)
        c = ipc.connect(lst.url, timeout=5)
        try:
            s = lst.accept(timeout=5)
        except BaseException:
            c.close()
            raise
        return c, s, lst.url


STREAMS = ["unix-path", "unix-abstract", "unixpacket", "tcp"]


@pytest.fixture(params=STREAMS)
def stream(request, sock_path):
    url = {"unix-path": lambda: "unix:" + sock_path(),
           "unix-abstract": lambda: "unix:" + abstract_name(),
           "unixpacket": lambda: "unixpacket:" + sock_path(),
           "tcp": lambda: "tcp://127.0.0.1:0"}[request.param]()
    c, s, lurl = connected(url)
    yield request.param, c, s, lurl
    c.close()
    s.close()


# --- round trip -------------------------------------------------------------

def test_round_trip_both_ways(stream):
    _, c, s, lurl = stream
    c.send(b"ping")
    assert s.recv(timeout=5) == b"ping"
    s.send(b"pong")
    assert c.recv(timeout=5) == b"pong"
    assert s.url == lurl            # accepted channels carry the listener's


def test_iterate_until_peer_closes(stream):
    _, c, s, _ = stream
    msgs = [b"a", b"bb", b"ccc" * 1000]
    for m in msgs:
        c.send(m, timeout=5)
    c.close()
    assert list(s) == msgs
    with pytest.raises(BrokenPipeError):
        s.recv(timeout=1)


def test_one_mebibyte_both_ways(stream):
    _, c, s, _ = stream
    # A seqpacket record is at most SO_SNDBUF - 32 bytes: its largest.
    size = min(1 << 20, c.max_message_size)
    assert size == 1 << 20 or c.kind == "unixpacket"
    big = os.urandom(size)
    t = threading.Thread(target=c.send, args=(big, 10))
    t.start()
    try:
        assert s.recv(timeout=10) == big
    finally:
        t.join()
    t = threading.Thread(target=s.send, args=(big, 10))
    t.start()
    try:
        buf = bytearray(size)
        assert c.recv_into(buf, timeout=10) == size and buf == big
    finally:
        t.join()


def test_peer_credentials(stream):
    kind, c, s, _ = stream
    me = (os.getpid(), os.getuid(), os.getgid())
    if kind == "tcp":
        with pytest.raises(OSError) as ei:
            c.peer_credentials()
        assert ei.value.errno == errno.EOPNOTSUPP
        return
    assert c.peer_credentials() == me
    assert s.peer_credentials() == me


def test_listen_port_zero_gets_a_port():
    with ipc.listen("tcp://127.0.0.1:0") as lst:
        port = int(lst.url.rsplit(":", 1)[1])
        assert port > 0 and lst.kind == "tcp" and lst.fileno() >= 0
        assert str(port) in repr(lst)


def test_socket_file_mode(sock_path):
    import stat
    path = sock_path()
    with ipc.listen("unix:" + path, mode=0o660):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o660


def test_max_message_size_handed_to_accepted(sock_path):
    with ipc.listen("unix:" + sock_path(), max_message_size=100) as lst:
        with ipc.connect(lst.url, timeout=5) as c, lst.accept(5) as s:
            assert s.max_message_size == 100
            c.send(b"x" * 101)      # the client's own limit is the default
            with pytest.raises(OSError) as ei:
                s.recv(timeout=5)
            assert ei.value.errno == errno.EMSGSIZE


def test_datagram_round_trip(sock_path):
    for url in ("unixgram:" + sock_path(), "unixgram:" + abstract_name(),
                "udp://127.0.0.1:0"):
        with ipc.listen(url) as r:
            assert type(r) is ipc.Channel
            with ipc.connect(r.url, timeout=5) as w:
                w.send(b"one")
                w.send(b"")
                w.send(os.urandom(2000))
                assert r.recv(timeout=5) == b"one"
                assert r.recv(timeout=5) == b""
                assert len(r.recv(timeout=5)) == 2000
            with pytest.raises(ValueError):    # a bound receiver has no peer
                r.send(b"x")


# --- interop with the stdlib socket module ----------------------------------

def test_stdlib_client_to_our_unix_listener(unix_url):
    path = unix_url[5:]
    with ipc.listen(unix_url) as lst:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as peer:
            peer.connect(path)
            with lst.accept(timeout=5) as ch:
                peer.sendall(frame(b"from stdlib") + frame(b""))
                assert ch.recv(timeout=5) == b"from stdlib"
                assert ch.recv(timeout=5) == b""
                ch.send(b"from ipc")
                assert recv_frame(peer) == b"from ipc"
                # Raw bytes on the same stream, for peers without frames.
                ch.write(b"raw")
                assert recv_exact(peer, 3) == b"raw"
                peer.sendall(b"RAW")
                assert ch.read(3, timeout=5) == b"RAW"
                peer.shutdown(socket.SHUT_WR)
                assert list(ch) == []


def test_our_client_to_stdlib_tcp_server():
    with socket.create_server(("127.0.0.1", 0)) as srv:
        port = srv.getsockname()[1]
        with ipc.connect(f"tcp://127.0.0.1:{port}", timeout=5) as ch:
            peer, _ = srv.accept()
            with peer:
                ch.send(b"hello tcp")
                assert recv_frame(peer) == b"hello tcp"
                # A frame split in two writes still arrives whole.
                f = frame(b"split frame")
                peer.sendall(f[:3])
                with pytest.raises(BlockingIOError):
                    ch.recv(timeout=0)
                peer.sendall(f[3:])
                assert ch.recv(timeout=5) == b"split frame"
                # Cut inside a frame: ConnectionResetError, never a part.
                peer.sendall(frame(b"whole") + frame(b"cut")[:5])
            assert ch.recv(timeout=5) == b"whole"
            with pytest.raises(ConnectionResetError):
                ch.recv(timeout=5)


def test_stdlib_datagrams_to_our_unixgram(sock_path):
    path = sock_path()
    with ipc.listen("unixgram:" + path) as r:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as peer:
            peer.sendto(b"raw datagram", path)
            peer.sendto(b"", path)
            assert r.recv(timeout=5) == b"raw datagram"
            assert r.recv(timeout=5) == b""
    # And ours to a stdlib receiver.
    path2 = sock_path()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as peer:
        peer.bind(path2)
        with ipc.connect("unixgram:" + path2, timeout=5) as w:
            w.send(b"to stdlib")
            assert peer.recv(100) == b"to stdlib"


def test_stdlib_records_to_our_unixpacket(sock_path):
    path = sock_path()
    with ipc.listen("unixpacket:" + path) as lst:
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as peer:
            peer.connect(path)
            with lst.accept(timeout=5) as ch:
                peer.send(b"record one")
                peer.send(b"record two")
                assert ch.recv(timeout=5) == b"record one"
                assert ch.recv(timeout=5) == b"record two"
                ch.send(b"back")
                assert peer.recv(100) == b"back"
                peer.close()
                assert list(ch) == []


def test_stdlib_udp():
    with ipc.listen("udp://127.0.0.1:0") as r:
        port = int(r.url.rsplit(":", 1)[1])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
            peer.sendto(b"udp raw", ("127.0.0.1", port))
            assert r.recv(timeout=5) == b"udp raw"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
            peer.bind(("127.0.0.1", 0))
            with ipc.connect("udp://127.0.0.1:%d" % peer.getsockname()[1],
                             timeout=5) as w:
                w.send(b"to stdlib udp")
                assert peer.recv(100) == b"to stdlib udp"


# --- descriptor passing -----------------------------------------------------

def test_send_fds_to_stdlib_recv_fds(sock_path):
    path = sock_path()
    rfd, wfd = os.pipe()
    try:
        with ipc.listen("unixpacket:" + path) as lst, \
                socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as peer:
            peer.connect(path)
            with lst.accept(timeout=5) as ch:
                ch.send_fds(b"take this", [wfd])
                msg, fds, _, _ = socket.recv_fds(peer, 100, 4)
                assert msg == b"take this" and len(fds) == 1
                os.write(fds[0], b"via passed fd")
                os.close(fds[0])
                assert os.read(rfd, 100) == b"via passed fd"
    finally:
        os.close(rfd)
        os.close(wfd)


def test_stdlib_send_fds_to_our_recv_fds(sock_path):
    path = sock_path()
    rfd, wfd = os.pipe()
    try:
        with ipc.listen("unixpacket:" + path) as lst, \
                socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as peer:
            peer.connect(path)
            with lst.accept(timeout=5) as ch:
                socket.send_fds(peer, [b"two fds"], [rfd, wfd])
                data, fds = ch.recv_fds(timeout=5)
                assert data == b"two fds" and len(fds) == 2
                try:
                    os.write(fds[1], b"loop")
                    assert os.read(fds[0], 10) == b"loop"
                finally:
                    for fd in fds:        # the caller owns them
                        os.close(fd)
                # A message without descriptors: an empty list.
                peer.send(b"plain")
                assert ch.recv_fds(timeout=5) == (b"plain", [])
    finally:
        os.close(rfd)
        os.close(wfd)


def test_send_fds_between_our_channels(sock_path):
    rfd, wfd = os.pipe()
    try:
        with ipc.listen("unixgram:" + sock_path()) as r, \
                ipc.connect(r.url, timeout=5) as w:
            f = os.fdopen(os.dup(wfd), "wb", buffering=0)
            with f:
                w.send_fds(b"file object", [f])    # fileno() is taken
            data, fds = r.recv_fds(timeout=5)
            assert data == b"file object"
            os.write(fds[0], b"ok")
            os.close(fds[0])
            assert os.read(rfd, 2) == b"ok"
    finally:
        os.close(rfd)
        os.close(wfd)


def test_send_fds_refused_where_it_cannot_work(unix_url, sock_path):
    c, s, _ = connected(unix_url)
    with c, s:
        with pytest.raises(OSError) as ei:    # unix: streams drop them
            c.send_fds(b"x", [0])
        assert ei.value.errno == errno.EOPNOTSUPP
    c, s, _ = connected("unixpacket:" + sock_path())
    with c, s:
        with pytest.raises(ValueError):
            c.send_fds(b"", [0])             # descriptors ride on a byte
        with pytest.raises(ValueError):
            c.send_fds(b"x", [])
        with pytest.raises(TypeError):
            c.send_fds(b"x", ["zero"])


# --- would block / timeout --------------------------------------------------

def test_accept_would_block_and_times_out(unix_url):
    with ipc.listen(unix_url) as lst:
        with pytest.raises(BlockingIOError):
            lst.accept(timeout=0)
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            lst.accept(timeout=0.1)
        assert 0.1 <= time.monotonic() - t0 < 2


def test_recv_would_block_and_times_out(stream):
    _, c, s, _ = stream
    with pytest.raises(BlockingIOError):
        s.recv(timeout=0)
    with pytest.raises(BlockingIOError):
        s.recv_fds(timeout=0) if s.kind == "unixpacket" else s.recv(0)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        c.recv(timeout=0.1)
    assert 0.1 <= time.monotonic() - t0 < 2


def test_send_to_closed_peer_is_broken_pipe(stream):
    _, c, s, _ = stream
    s.close()
    with pytest.raises((BrokenPipeError, ConnectionResetError)):
        for _ in range(100):         # TCP may take a send to notice
            c.send(b"x" * 1000, timeout=5)
            time.sleep(0.01)


# --- ENOENT / ECONNREFUSED / EADDRINUSE -------------------------------------

def test_connect_to_missing_path_is_file_not_found(unix_url):
    with pytest.raises(FileNotFoundError) as ei:
        ipc.connect(unix_url, timeout=1)
    assert ei.value.filename == unix_url


def test_connect_to_nobody_is_refused():
    with pytest.raises(ConnectionRefusedError) as ei:
        ipc.connect("unix:" + abstract_name(), timeout=1)
    assert ei.value.filename.startswith("unix:@")
    with ipc.listen("tcp://127.0.0.1:0") as lst:
        url = lst.url
    with pytest.raises(ConnectionRefusedError):
        ipc.connect(url, timeout=1)


def test_listen_twice_is_address_in_use(unix_url):
    with ipc.listen(unix_url):
        with pytest.raises(OSError) as ei:
            ipc.listen(unix_url)
        assert ei.value.errno == errno.EADDRINUSE
        assert ei.value.filename == unix_url


def test_stale_socket_file_replaced_unless_exclusive(unix_url):
    with ipc.listen(unix_url):
        pass                                  # leaves the socket file
    with pytest.raises(OSError) as ei:
        ipc.listen(unix_url, exclusive=True)
    assert ei.value.errno == errno.EADDRINUSE
    with ipc.listen(unix_url) as lst:
        assert lst.url == unix_url
    ipc.unlink(unix_url)
    assert not os.path.exists(unix_url[5:])


# --- closed handles and misuse ----------------------------------------------

def test_closed_listener_and_channel(unix_url):
    lst = ipc.listen(unix_url)
    c = ipc.connect(unix_url, timeout=5)
    s = lst.accept(timeout=5)
    for h in (lst, c, s):
        h.close()
        h.close()
        assert h.closed and "closed" in repr(h)
    for call in (lambda: lst.accept(0), lambda: lst.fileno(),
                 lambda: lst.url, lambda: c.send(b"x"), lambda: s.recv(0),
                 lambda: c.peer_credentials(), lambda: s.recv_fds(0),
                 lambda: c.send_fds(b"x", [0])):
        with pytest.raises(ValueError):
            call()


def test_listener_is_not_a_channel(unix_url):
    with ipc.listen(unix_url) as lst:
        assert not hasattr(lst, "send") and not hasattr(lst, "recv")
    with pytest.raises(ValueError):
        ipc.listen("unix:relative/path")
    with pytest.raises(ValueError):
        ipc.listen(unix_url, mode=0)
