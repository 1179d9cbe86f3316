#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""unix_echo - a Unix-socket echo server and client, speaking framed
messages (a 4-byte little-endian length, then the payload: docs/frame.md),
so any program in any language can talk to it.

    python3 unix_echo.py server PATH [CLIENTS]   echo every message, serve
                                                 CLIENTS connections
                                                 (default 1), then exit
    python3 unix_echo.py client PATH TEXT...     send each TEXT, print the
                                                 echo
    python3 unix_echo.py                         demo: both, as separate
                                                 programs (exits 0 on
                                                 success)
"""

import os
import sys
import tempfile

import ipc


def server(path: str, clients: int = 1) -> int:
    url = "unix:" + path
    try:
        with ipc.listen(url) as lst:
            print("ready", flush=True)      # the demo waits for this line
            for _ in range(clients):
                with lst.accept(timeout=30) as conn:
                    pid, uid, _gid = conn.peer_credentials()
                    print(f"server: client pid {pid} uid {uid}", flush=True)
                    for msg in conn.messages(timeout=30):
                        conn.send(msg)      # until the client closes
    finally:
        ipc.unlink(url)                     # closing never removes it
    return 0


def client(path: str, texts) -> int:
    with ipc.connect("unix:" + path, timeout=10) as conn:
        for text in texts:
            conn.send(text.encode())
            print("client got:", conn.recv(timeout=10).decode())
    return 0


def read_line(ch: ipc.Channel) -> bytes:
    """One line of raw bytes from a pipe end (a child's stdout)."""
    line = b""
    while not line.endswith(b"\n"):
        chunk = ch.read(64, timeout=30)
        if not chunk:
            break                               # end of stream
        line += chunk
    return line


def demo() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "echo.sock")
        me = [sys.executable, __file__]
        # The server's stdout is a pipe: its first line says it listens.
        with ipc.spawn(me + ["server", path], stdout=ipc.PIPE) as srv:
            if read_line(srv.stdout) != b"ready\n":
                print("the server did not start", file=sys.stderr)
                return 1
            with ipc.spawn(me + ["client", path, "hello", "echo"]) as cli:
                client_code = cli.wait(timeout=30)
            # The rest of the server's output, until it exits.
            while True:
                chunk = srv.stdout.read(4096, timeout=30)
                if not chunk:
                    break
                sys.stdout.write(chunk.decode())
            server_code = srv.wait(timeout=30)
    print("client exited with", client_code, "server with", server_code)
    return client_code or server_code


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["server"] and len(args) in (2, 3):
        sys.exit(server(args[1], int(args[2]) if len(args) == 3 else 1))
    if args[:1] == ["client"] and len(args) >= 3:
        sys.exit(client(args[1], args[2:]))
    if not args:
        sys.exit(demo())
    sys.exit(__doc__)
