#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""sysv_queue_typed - the textbook System V message queue pair: a client
and a server share one queue and tell their messages apart by type.

The client (the parent) queues requests of type 2 ("count the bytes"),
then type 1 ("upper-case this") and type 9 ("stop"), and only then
starts the server. The server takes the lowest type first
(receive(type=-9)), so it answers the type 1 requests before the older
type 2 one, and stops last. Each answer goes back on the client's own
reply type, its pid, so several clients could share the queue.

    python3 sysv_queue_typed.py          # exits 0 on success
"""

import os
import sys

import ipc

UPPER, LENGTH, QUIT = 1, 2, 9


def server(key: int) -> int:
    with ipc.SysVMessageQueue(key) as q:
        while True:
            data, mtype = q.receive(type=-QUIT, timeout=30)
            if mtype == QUIT:
                return 0
            pid, text = data.split(b" ", 1)
            answer = text.upper() if mtype == UPPER else b"%d" % len(text)
            q.send(answer, type=int(pid))


def new_queue() -> ipc.SysVMessageQueue:
    # A "1234-style" key that cannot collide: 0x04d2 in the top half, our
    # pid below, created exclusively (the next key on FileExistsError).
    for low in range(os.getpid() & 0xffff, 0x10000):
        try:
            return ipc.SysVMessageQueue(0x04d20000 | low, create=True,
                                        exclusive=True)
        except FileExistsError:
            continue
    raise SystemExit("no free key")


def client() -> int:
    me = os.getpid()
    requests = [(LENGTH, b"how long is this?"), (UPPER, b"linux"),
                (UPPER, b"programming")]
    with new_queue() as q:
        try:
            for mtype, text in requests:
                q.send(b"%d %s" % (me, text), type=mtype)
            q.send(b"", type=QUIT)
            with ipc.spawn([sys.executable, __file__, "server",
                            str(q.key)]) as p:
                for _ in requests:
                    answer, _ = q.receive(type=me, timeout=30)
                    print("client got:", answer.decode())
                code = p.wait(timeout=30)
        finally:
            q.remove()
    print("server exited with", code)
    return code


if __name__ == "__main__":
    if sys.argv[1:2] == ["server"]:
        sys.exit(server(int(sys.argv[2])))
    sys.exit(client())
