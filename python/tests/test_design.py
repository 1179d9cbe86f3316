# SPDX-License-Identifier: MIT
"""DESIGN.md, "Cross-language API contract", the Python block, line by line.

Each test runs lines of that block as they are written there (the same
names, argument order, option words and return shapes), with real unique
names, keys and paths in place of "/name", key, path, url, pid and fd, and
a second process (or thread) where a line needs a peer. spec/design_spec.lua
does the same for the Lua block.

Every named object is removed even when a test fails: POSIX names and
System V keys through the conftest fixtures, files in a private directory
removed at teardown.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

import pytest

import ipc
from conftest import child_env

PY = sys.executable


@pytest.fixture
def path():
    """A factory of unique paths in a private directory removed after the
    test (FIFOs, socket files, mapped files, ftok files)."""
    d = tempfile.mkdtemp(prefix=f"ipc-test-{os.getpid()}-design-")
    n = iter(range(1, 1000))
    yield lambda tag="p": os.path.join(d, f"{next(n)}-{tag}")
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def peer():
    """A factory of peers: second Python processes running code (with ipc
    importable), stdout a pipe of text lines. Any still running after the
    test (it failed) is killed and reaped."""
    procs = []

    def start(code: str, *args: str) -> subprocess.Popen:
        p = subprocess.Popen([PY, "-c", code, *args], env=child_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        procs.append(p)
        return p
    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.communicate()


def finish(p: subprocess.Popen, timeout: float = 30) -> str:
    """Wait for a peer; its stdout. Fails with its stderr when it failed."""
    try:
        out, err = p.communicate(timeout=timeout)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 0, err
    return out


def read_all(ch, timeout: float = 5.0) -> bytes:
    out = b""
    while True:
        chunk = ch.read(4096, timeout=timeout)
        if not chunk:
            return out
        out += chunk


# --- errors and every object -------------------------------------------------
# Errors are built-in OSError subclasses with .errno: FileExistsError,
# FileNotFoundError, PermissionError, BlockingIOError, TimeoutError,
# BrokenPipeError... Misuse (closed handle, bad size, malformed URL or
# option): ValueError/TypeError.

def test_errors_are_builtin_oserror_subclasses(unique_name):
    name = unique_name("err")
    with pytest.raises(FileNotFoundError) as e:
        ipc.MessageQueue(name)
    assert e.value.errno == errno.ENOENT
    q = ipc.MessageQueue(name, create=True)
    try:
        with pytest.raises(FileExistsError) as e:
            ipc.MessageQueue(name, create=True, exclusive=True)
        assert e.value.errno == errno.EEXIST
        with pytest.raises(BlockingIOError) as e:
            q.receive(timeout=0)
        assert e.value.errno == errno.EAGAIN
        with pytest.raises(TimeoutError) as e:
            q.receive(timeout=0.05)
        assert e.value.errno == errno.ETIMEDOUT
        if os.geteuid() == 0:
            # Root passes permission bits: a queue owned by another user
            # is refused unless shared=True.
            os.chown("/dev/mqueue/" + name[1:], 65534, 65534)
        else:
            os.chmod("/dev/mqueue/" + name[1:], 0o400)
        with pytest.raises(PermissionError) as e:
            ipc.MessageQueue(name)
        assert e.value.errno in (errno.EPERM, errno.EACCES)
    finally:
        q.close()
    r, w = ipc.pipe()
    with r, w:
        r.close()
        with pytest.raises(BrokenPipeError) as e:
            w.send(b"nobody reads", timeout=1.0)
        assert e.value.errno == errno.EPIPE
    for exc in (FileNotFoundError, FileExistsError, PermissionError,
                BlockingIOError, TimeoutError, BrokenPipeError):
        assert issubclass(exc, OSError)


def test_misuse_is_value_or_type_error(unique_name):
    r, w = ipc.pipe()
    r.close()
    w.close()
    with pytest.raises(ValueError):              # closed handle
        w.send(b"x")
    with pytest.raises(ValueError):              # bad size
        ipc.SharedMemory(unique_name("shm"), size=-1, create=True)
    with pytest.raises(ValueError):              # malformed URL
        ipc.open("no-such-kind:x")
    with pytest.raises(ValueError):              # malformed option (URL)
        ipc.open("mq:" + unique_name("mq") + "?no_such_option=1")
    with pytest.raises(TypeError):               # malformed option (word)
        ipc.open("mq:" + unique_name("mq"), "rw", no_such_option=1)
    with pytest.raises((ValueError, TypeError)):
        ipc.Ring(unique_name("ring"), capacity="lots", create=True)


def test_every_object_close_closed_context_manager_fileno(
        unique_name, unique_key, path):
    # Every object: close(), .closed, context manager; fileno() where
    # pollable.
    r, w = ipc.pipe()
    sock = path("sock")
    lst = ipc.listen("unix:" + sock)
    conn = ipc.connect("unix:" + sock, timeout=5.0)
    peer_ = lst.accept(timeout=5.0)
    sigs = ipc.SignalSet(["USR2"])
    proc = ipc.spawn(["true"])
    proc.wait(timeout=10)
    fifo = path("fifo")
    objects = {
        "pipe read end": (r, True),
        "pipe write end": (w, True),
        "Fifo": (ipc.Fifo(fifo, "r", create=True), True),
        "MessageQueue": (ipc.MessageQueue(unique_name("mq"), create=True),
                         True),
        "SysVMessageQueue": (ipc.SysVMessageQueue(unique_key(),
                                                  create=True), False),
        "SharedMemory": (ipc.SharedMemory(unique_name("shm"), size=4096,
                                          create=True), False),
        "SysVSharedMemory": (ipc.SysVSharedMemory(unique_key(), size=4096,
                                                  create=True), False),
        "MappedFile": (ipc.MappedFile(path("map"), size=4096, create=True),
                       False),
        "Semaphore": (ipc.Semaphore(unique_name("sem"), value=1,
                                    create=True), False),
        "SysVSemaphoreSet": (ipc.SysVSemaphoreSet(unique_key(), count=3,
                                                  create=True), False),
        "Mutex": (ipc.Mutex(unique_name("mx"), create=True), False),
        "SignalSet": (sigs, True),
        "Listener": (lst, True),
        "connected Channel": (conn, True),
        "accepted Channel": (peer_, True),
        "Ring": (ipc.Ring(unique_name("ring"), capacity=1 << 20,
                          create=True), False),
        "Process": (proc, True),
        "Poller": (ipc.Poller(), True),
    }
    try:
        for what, (obj, pollable) in objects.items():
            assert obj.closed is False, what
            assert hasattr(obj, "__enter__") and hasattr(obj, "__exit__"), \
                what
            if pollable:
                assert isinstance(obj.fileno(), int) and obj.fileno() >= 0, \
                    what
            obj.close()
            assert obj.closed is True, what
            obj.close()                          # idempotent
        # The context manager closes (Semaphore and Mutex: see their
        # tests, "with s:" / "with mx:" lock instead).
        with ipc.Poller() as p:
            assert not p.closed
        assert p.closed
        with ipc.SharedMemory(unique_name("shm"), size=4096,
                              create=True) as m:
            assert not m.closed
        assert m.closed
    finally:
        for obj, _ in objects.values():
            obj.close()
        ipc.unlink("fifo:" + fifo)


# --- pipes -------------------------------------------------------------------

def test_pipe_messages_raw_bytes_and_iteration():
    r, w = ipc.pipe()                      # two channel ends
    with r, w:
        assert isinstance(r, ipc.Channel) and isinstance(w, ipc.Channel)
        w.send(b"msg"); got = r.recv(timeout=1.0)    # framed messages
        assert got == b"msg" and type(got) is bytes
        w.write(b"raw"); got = r.read(4096)          # raw bytes
        assert got == b"raw" and type(got) is bytes
        for m in (b"one", b"", b"three"):
            w.send(m)
        w.close()
        msgs = []
        for msg in r:                      # iterate messages until EOF
            msgs.append(msg)
        assert msgs == [b"one", b"", b"three"]


def test_pipe_between_processes():
    # The write end handed to a child as its stdout: frames written by
    # another process arrive whole.
    r, w = ipc.pipe()
    with r, w:
        code = ("import ipc; w = ipc.open('fd:1', 'w'); "
                "[w.send(m) for m in (b'a', b'bb', b'ccc')]; w.close()")
        with ipc.spawn([PY, "-c", code], stdout=w, env=child_env()) as p:
            w.close()
            assert list(r) == [b"a", b"bb", b"ccc"]
        assert p.returncode == 0


# --- FIFOs -------------------------------------------------------------------

def test_fifo_and_unlink_by_url(path, peer):
    p = path("fifo")
    f = ipc.Fifo(p, "r", create=True, mode=0o600, timeout=None)  # "r" | "w"
    try:
        st = os.stat(p)
        assert stat.S_ISFIFO(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
        # The writer is another process.
        code = ("import ipc, sys; "
                "w = ipc.Fifo(sys.argv[1], 'w', create=True, mode=0o600, "
                "timeout=None); w.send(b'through the fifo'); w.close()")
        writer = peer(code, p)
        assert f.recv(timeout=10.0) == b"through the fifo"
        finish(writer)
    finally:
        f.close()
        if os.path.exists(p):
            ipc.unlink("fifo:" + p)        # removes any named object by URL
    assert not os.path.exists(p)


def test_raw_bytes_on_fifo_and_stream_socket(path):
    # w.write(b"raw"); r.read(4096)   # raw bytes (pipe, FIFO, stream socket)
    p = path("fifo")
    r = ipc.Fifo(p, "r", create=True)
    try:
        with ipc.Fifo(p, "w", timeout=5.0) as w:
            assert w.write(b"raw") == 3
            assert r.read(4096) == b"raw"
        assert r.read(4096) == b""         # end of stream, as files do
    finally:
        r.close()
        ipc.unlink("fifo:" + p)
    url = "unix:" + path("sock")
    with ipc.listen(url) as lst:
        with ipc.connect(url, timeout=5.0) as c, lst.accept(timeout=5.0) as s:
            assert c.write(b"raw") == 3
            assert s.read(4096) == b"raw"


def test_unlink_removes_any_named_object_by_url(unique_name, unique_key,
                                                path):
    # ipc.unlink("fifo:" + path)   # removes any named object by URL
    n = {k: unique_name(k) for k in ("mq", "shm", "sem", "mutex", "ring")}
    k = {x: unique_key() for x in ("sysvmq", "sysvshm", "semset")}
    f, sock = path("fifo"), path("sock")
    made = [ipc.MessageQueue(n["mq"], create=True),
            ipc.SharedMemory(n["shm"], size=4096, create=True),
            ipc.Semaphore(n["sem"], create=True),
            ipc.Mutex(n["mutex"], create=True),
            ipc.Ring(n["ring"], create=True),
            ipc.SysVMessageQueue(k["sysvmq"], create=True),
            ipc.SysVSharedMemory(k["sysvshm"], size=4096, create=True),
            ipc.SysVSemaphoreSet(k["semset"], count=3, create=True),
            ipc.Fifo(f, "r", create=True),
            ipc.listen("unix:" + sock)]
    for obj in made:
        obj.close()
    urls = [f"{kind}:{name}" for kind, name in n.items()] + \
        [f"{kind}:{key:#x}" for kind, key in k.items()] + \
        ["fifo:" + f, "unix:" + sock]
    for url in urls:
        ipc.unlink(url)
        with pytest.raises(FileNotFoundError):
            ipc.unlink(url)
    assert not os.path.exists(f) and not os.path.exists(sock)
    with pytest.raises(FileNotFoundError):
        ipc.MessageQueue(n["mq"])
    with pytest.raises(FileNotFoundError):
        ipc.SysVSemaphoreSet(k["semset"])


# --- POSIX message queues ----------------------------------------------------

def test_message_queue(unique_name, peer):
    name = unique_name("mq")
    q = ipc.MessageQueue(name, create=True, exclusive=False, mode=0o600,
                         max_messages=10, max_message_size=8192)
    with q:
        a = q.attributes
        assert (a.max_messages, a.max_message_size) == (10, 8192)
        data = b"payload"
        q.send(data, priority=0, timeout=None)
        q.send(b"urgent", priority=7, timeout=None)
        data, prio = q.receive(timeout=None)
        assert (data, prio) == (b"urgent", 7)
        data, prio = q.receive(timeout=None)
        assert (data, prio) == (b"payload", 0)
        assert type(data) is bytes and type(prio) is int
        # A peer process receives what we send, with its priority.
        code = ("import ipc, sys; q = ipc.MessageQueue(sys.argv[1]); "
                "data, prio = q.receive(timeout=10.0); "
                "print(data.decode(), prio); q.close()")
        rx = peer(code, name)
        q.send(b"to-the-peer", priority=3, timeout=None)
        assert finish(rx).split() == ["to-the-peer", "3"]
        q.unlink()       # named POSIX objects: .unlink(); System V: .remove()
    assert not os.path.exists("/dev/mqueue" + name)


# --- System V message queues -------------------------------------------------

def test_sysv_message_queue(unique_key, peer):
    key = unique_key()
    sq = ipc.SysVMessageQueue(key, create=True, mode=0o600)  # key: int
    with sq:
        data = b"typed"
        sq.send(data, type=2, timeout=None)
        sq.send(b"first type", type=1, timeout=None)
        data, mtype = sq.receive(type=0, timeout=None)
        assert (data, mtype) == (b"typed", 2)
        data, mtype = sq.receive(type=1, timeout=None)
        assert (data, mtype) == (b"first type", 1)
        # A peer process sends.
        code = ("import ipc, sys; q = ipc.SysVMessageQueue(int(sys.argv[1]));"
                " q.send(b'from the peer', type=5, timeout=None); q.close()")
        finish(peer(code, str(key)))
        assert sq.receive(type=0, timeout=5.0) == (b"from the peer", 5)
        sq.remove()
    with pytest.raises(FileNotFoundError):
        ipc.SysVMessageQueue(key)


def test_sysv_key_as_path_and_proj(path):
    p = path("ftok")
    open(p, "w").close()
    sq = ipc.SysVMessageQueue((p, 7), create=True, mode=0o600)  # (path, proj)
    try:
        assert sq.key == ipc._core.sysv_key(p, 7)
        with ipc.SysVMessageQueue((p, 7)) as again:
            assert again.id == sq.id
    finally:
        try:
            sq.remove()
        finally:
            sq.close()


# --- shared memory -----------------------------------------------------------

def test_shared_memory(unique_name, peer):
    name = unique_name("shm")
    m = ipc.SharedMemory(name, size=4096, create=True)  # m.buf: writable
    try:
        buf = m.buf
        assert isinstance(buf, memoryview) and not buf.readonly
        assert len(buf) == 4096 and m.size == 4096
        buf[0:5] = b"hello"
        buf.release()
        # A peer process reads and answers through the same bytes.
        code = ("import ipc, sys; m = ipc.SharedMemory(sys.argv[1]); "
                "b = m.buf; print(bytes(b[0:5]).decode()); "
                "b[5:10] = b'world'; b.release(); m.close()")
        assert finish(peer(code, name)).strip() == "hello"
        with m.buf as b:
            assert bytes(b[0:10]) == b"helloworld"
        m.unlink()
    finally:
        m.close()
    assert not os.path.exists("/dev/shm" + name)


def test_sysv_shared_memory(unique_key, peer):
    key = unique_key()
    sm = ipc.SysVSharedMemory(key, size=4096, create=True); b = sm.buf
    try:
        assert isinstance(b, memoryview) and not b.readonly and len(b) == 4096
        b[0:3] = b"abc"
        b.release()
        code = ("import ipc, sys; m = ipc.SysVSharedMemory(int(sys.argv[1]));"
                " b = m.buf; print(bytes(b[0:3]).decode()); b.release(); "
                "m.close()")
        assert finish(peer(code, str(key))).strip() == "abc"
        sm.remove()
    finally:
        sm.close()
    with pytest.raises(FileNotFoundError):
        ipc.SysVSharedMemory(key)


def test_mapped_file(path):
    p = path("mapped")
    mf = ipc.MappedFile(p, size=4096, create=True); b = mf.buf
    try:
        assert isinstance(b, memoryview) and not b.readonly and len(b) == 4096
        b[0:6] = b"mapped"
        b.release()
        mf.flush()
        with open(p, "rb") as f:
            assert f.read(6) == b"mapped"
        assert os.path.getsize(p) == 4096
    finally:
        mf.close()


# --- POSIX semaphores --------------------------------------------------------

def test_semaphore(unique_name, peer):
    name = unique_name("sem")
    s = ipc.Semaphore(name, value=1, create=True)
    try:
        assert s.acquire(timeout=None) is True
        assert s.value == 0
        assert s.acquire(timeout=0) is False         # False on timeout
        assert s.acquire(timeout=0.05) is False
        s.release()
        assert s.value == 1 and type(s.value) is int
        with s:
            assert s.value == 0
        assert s.value == 1
        # A peer process takes it and gives it back later: we wait.
        code = ("import ipc, sys, time; s = ipc.Semaphore(sys.argv[1]); "
                "assert s.acquire(timeout=10); print('held', flush=True); "
                "time.sleep(0.2); s.release(); s.close()")
        holder = peer(code, name)
        assert holder.stdout.readline().strip() == "held"
        assert s.acquire(timeout=10.0) is True
        finish(holder)
        s.release()
        s.unlink()
    finally:
        s.close()
    assert not os.path.exists("/dev/shm/sem." + name[1:])


# --- System V semaphore sets -------------------------------------------------

def test_sysv_semaphore_set(unique_key, peer):
    key = unique_key()
    ss = ipc.SysVSemaphoreSet(key, count=3, create=True)
    try:
        values = ss.values
        assert values == [0, 0, 0] and type(values) is list
        assert all(type(v) is int for v in values)
        ss.values = [1, 0, 0]
        assert ss.values == [1, 0, 0]
        ss.op([(0, -1), (2, +1)], undo=True, timeout=None)  # atomic
        assert ss.values == [0, 0, 1]
        with pytest.raises(TimeoutError):
            ss.op([(0, -1), (2, +1)], undo=True, timeout=0.05)
        assert ss.values == [0, 0, 1]      # all or nothing: nothing
        # undo=True in a peer process: the kernel undoes its operation
        # when it exits.
        code = ("import ipc, sys; ss = ipc.SysVSemaphoreSet(int(sys.argv[1]));"
                " ss.op([(1, +1)], undo=True, timeout=None); "
                "print(ss.values[1]); ss.close()")
        assert finish(peer(code, str(key))).strip() == "1"
        assert ss.values == [0, 0, 1]
        ss.remove()
    finally:
        ss.close()
    with pytest.raises(FileNotFoundError):
        ipc.SysVSemaphoreSet(key)


# --- robust mutexes ----------------------------------------------------------

def test_mutex_and_owner_death(unique_name, run_python):
    name = unique_name("mx")
    mx = ipc.Mutex(name, create=True)   # robust, process-shared
    try:
        with mx:
            # Another handle, in another thread, cannot take it meanwhile.
            got = []

            def other():
                mx2 = ipc.Mutex(name)       # "with mx2:" would lock
                try:
                    got.append(mx2.acquire(timeout=0.05))
                finally:
                    mx2.close()
            t = threading.Thread(target=other)
            t.start()
            t.join()
            assert got == [False]
        assert mx.acquire(timeout=1.0) is True      # mx.acquire(timeout=)
        assert mx.owner_died is False
        mx.release()
        # The owner dies holding it (a peer process that exits without
        # releasing).
        r = run_python("import ipc, os, sys; mx = ipc.Mutex(sys.argv[1]); "
                       "assert mx.acquire(timeout=10); os._exit(0)", name)
        assert r.returncode == 0, r.stderr
        assert mx.acquire(timeout=10.0) is True
        assert mx.owner_died is True        # after acquiring from a dead owner
        mx.release()                        # ... marks it consistent
        assert mx.acquire(timeout=1.0) is True
        assert mx.owner_died is False
        mx.release()
        mx.unlink()
    finally:
        mx.close()
    assert not os.path.exists("/dev/shm" + name)


# --- signals -----------------------------------------------------------------

def test_signals_with_payload(peer):
    assert not signal.pthread_sigmask(signal.SIG_BLOCK, []) & \
        {signal.SIGUSR1, signal.SIGTERM}
    sigs = ipc.SignalSet(["USR1", "TERM"])  # blocks them; via signalfd
    try:
        pid = os.getpid()
        ipc.send_signal(pid, "USR1", value=42)   # value: sigqueue payload
        info = sigs.wait(timeout=1.0)
        assert isinstance(info, ipc.SignalInfo)
        # SignalInfo(signo, name, pid, uid, value)
        assert info[:5] == (signal.SIGUSR1, "USR1", pid, os.getuid(), 42)
        assert (info.signo, info.name, info.pid, info.uid, info.value) == \
            (signal.SIGUSR1, "USR1", pid, os.getuid(), 42)
        assert info == ipc.SignalInfo(signal.SIGUSR1, "USR1", pid,
                                      os.getuid(), 42, info.code)
        assert sigs.wait(timeout=0.05) is None      # ... or None
        # From a peer process: its pid comes with the signal.
        code = ("import ipc, os, sys; print(os.getpid(), flush=True); "
                "ipc.send_signal(int(sys.argv[1]), 'TERM', value=7)")
        sender = peer(code, str(pid))
        info = sigs.wait(timeout=10.0)
        out = finish(sender)
        assert info is not None
        assert (info.signo, info.name, info.pid, info.uid, info.value) == \
            (signal.SIGTERM, "TERM", int(out), os.getuid(), 7)
        assert sigs.wait(timeout=0) is None
    finally:
        sigs.close()


# --- channels by URL, sockets ------------------------------------------------

def test_open_any_url_kind(unique_name, unique_key, path):
    # ch = ipc.open(url, "rw", create=False, **options)
    urls = {
        "mq": ("mq:" + unique_name("mq"),
               dict(max_messages=4, max_message_size=1024)),
        "sysvmq": (f"sysvmq:{unique_key():#x}", {}),
        "ring": ("ring:" + unique_name("ring"), dict(capacity=1 << 16)),
    }
    for kind, (url, options) in urls.items():
        maker = ipc.open(url, "rw", create=True, **options)
        try:
            ch = ipc.open(url, "rw", create=False, **options)
            with ch:
                assert ch.kind == kind
                maker.send(b"by url")
                assert ch.recv(timeout=1.0) == b"by url"
        finally:
            maker.close()
            ipc.unlink(url)
    # "r" | "w": a FIFO, one way each.
    p = path("fifo")
    url = "fifo:" + p
    rd = ipc.open(url, "r", create=True)
    try:
        with ipc.open(url, "w", create=False, timeout=5.0) as wr:
            wr.send(b"one way")
        assert rd.recv(timeout=1.0) == b"one way"
    finally:
        rd.close()
        ipc.unlink(url)


SOCKET_PEER = r"""
import ipc, os, sys
c = ipc.connect(sys.argv[1], timeout=None)
print(*c.peer_credentials(), flush=True)
rfd, wfd = os.pipe()
os.write(wfd, b"through a passed fd")
os.close(wfd)
c.send_fds(b"one fd", [rfd])
os.close(rfd)
data, fds = c.recv_fds()
print(data.decode(), len(fds), os.read(fds[0], 100).decode(), flush=True)
for fd in fds:
    os.close(fd)
c.close()
"""


def test_listen_accept_connect_fds_credentials(path, peer):
    url = "unixpacket:" + path("sock")
    lst = ipc.listen(url)
    with lst:
        client = peer(SOCKET_PEER, url)
        try:
            peer_ = lst.accept(timeout=None)   # stream sockets
            with peer_:
                # c.peer_credentials() -> (pid, uid, gid), both sides.
                creds = peer_.peer_credentials()
                assert creds == (client.pid, os.getuid(), os.getgid())
                assert type(creds) is tuple
                line = client.stdout.readline().split()
                assert [int(x) for x in line] == \
                    [os.getpid(), os.getuid(), os.getgid()]
                # c.send_fds(data, [fd, ...]); data, fds = c.recv_fds()
                data, fds = peer_.recv_fds(timeout=10.0)
                assert data == b"one fd" and type(fds) is list
                assert len(fds) == 1
                try:
                    assert os.read(fds[0], 100) == b"through a passed fd"
                finally:
                    for fd in fds:
                        os.close(fd)
                rfd, wfd = os.pipe()
                try:
                    os.write(wfd, b"back")
                    peer_.send_fds(b"and back", [rfd])
                finally:
                    os.close(rfd)
                    os.close(wfd)
                assert finish(client).split() == ["and", "back", "1", "back"]
        finally:
            if client.poll() is None:
                client.kill()
                client.communicate()


def test_tcp_listen_connect():
    with ipc.listen("tcp://127.0.0.1:0") as lst:
        url = lst.url
        got = []

        def serve():
            with lst.accept(timeout=5.0) as c:
                got.append(c.recv(timeout=5.0))
                c.send(b"pong")
        t = threading.Thread(target=serve)
        t.start()
        try:
            c = ipc.connect(url, timeout=None)
            with c:
                c.send(b"ping")
                assert c.recv(timeout=5.0) == b"pong"
        finally:
            t.join()
        assert got == [b"ping"]


# --- the ring ----------------------------------------------------------------

def test_ring(unique_name, peer):
    name = unique_name("ring")
    ring = ipc.Ring(name, capacity=1 << 20, create=True)  # a channel too
    with ring:
        assert isinstance(ring, ipc.Channel)
        assert ring.capacity == 1 << 20
        ring.send(b"data", timeout=None); got = ring.recv(timeout=None)
        assert got == b"data" and type(got) is bytes
        # A peer process consumes.
        code = ("import ipc, sys; r = ipc.Ring(sys.argv[1]); "
                "print(r.recv(timeout=10).decode()); r.close()")
        rx = peer(code, name)
        ring.send(b"to-the-peer", timeout=None)
        assert finish(rx).strip() == "to-the-peer"
        ring.unlink()
    assert not os.path.exists("/dev/shm" + name)


# --- processes ---------------------------------------------------------------

def test_spawn_grep_with_pipe_stdin_and_endpoint(unique_name):
    name = unique_name("ring")
    ring = ipc.Ring(name, capacity=1 << 20, create=True)
    r, w = ipc.pipe()
    try:
        p = ipc.spawn(["grep", "x"], stdin=r, stdout=ipc.PIPE, env=None,
                      endpoints={"in": "ring:" + name})
        try:
            r.close()                     # the child has its own copy
            assert type(p.pid) is int and p.pid > 0
            assert isinstance(p.stdout, ipc.Channel)
            w.write(b"x1\nnot this\nx2\n")
            w.close()
            assert read_all(p.stdout) == b"x1\nx2\n"
            rc = p.wait(timeout=None)     # -> returncode
            assert rc == 0
        finally:
            w.close()                     # else grep never ends
            if p.returncode is None:
                p.kill("KILL")
                p.wait()
            p.close()
    finally:
        r.close()
        w.close()
        ring.close()


def test_endpoint_in_a_child(unique_name):
    name = unique_name("ring")
    with ipc.Ring(name, capacity=1 << 20, create=True) as ring:
        # ch = ipc.endpoint("in")   # in a child: open an endpoint it was given
        code = ("import ipc, sys; ch = ipc.endpoint('in'); "
                "sys.stdout.write(ch.recv(timeout=10).upper().decode()); "
                "ch.close()")
        p = ipc.spawn([PY, "-c", code], stdout=ipc.PIPE, env=child_env(),
                      endpoints={"in": "ring:" + name})
        try:
            ring.send(b"job for the child", timeout=None)
            assert read_all(p.stdout, timeout=30) == b"JOB FOR THE CHILD"
            assert p.wait(timeout=30) == 0
        finally:
            if p.returncode is None:
                p.kill("KILL")
                p.wait()
            p.close()


def test_kill_and_negative_returncode():
    p = ipc.spawn(["sleep", "30"])
    try:
        with pytest.raises(TimeoutError):
            p.wait(timeout=0.05)
        p.kill("TERM")
        assert p.wait(timeout=10) == -signal.SIGTERM  # killed by a signal
    finally:
        if p.returncode is None:
            p.kill("KILL")
            p.wait()
        p.close()
    with ipc.spawn(["sh", "-c", "exit 3"]) as p:
        assert p.wait(timeout=10) == 3


# --- the poller --------------------------------------------------------------

def test_poller(unique_name):
    url = "mq:" + unique_name("mq")
    ch = ipc.open(url, "rw", create=True)
    ring = ipc.Ring(unique_name("ring"), capacity=1 << 16, create=True)
    poller = ipc.Poller()
    try:
        poller.register(ch, "r")
        poller.register(ring, "r")
        assert poller.poll(timeout=0.05) == []

        def later():
            time.sleep(0.1)
            with ipc.open(url, "w") as w:
                w.send(b"wake up")
        t = threading.Thread(target=later)
        t.start()
        seen = []
        for obj, events in poller.poll(timeout=1.0):
            seen.append((obj, events))
        t.join()
        assert seen == [(ch, "r")]
        assert ch.recv(timeout=0) == b"wake up"
        ring.send(b"in the ring")
        assert [(obj, events) for obj, events in poller.poll(timeout=1.0)] \
            == [(ring, "r")]
        ring.unlink()
    finally:
        poller.close()
        ring.close()
        ch.close()
