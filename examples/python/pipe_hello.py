#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pipe_hello - the classic: a parent writes "Hello Child Process!" to its
child through an anonymous pipe, and the child prints what it read.

The child is this same script started again with ipc.spawn (posix_spawn:
a fresh interpreter, not a fork), the pipe's read end as its stdin. The
pipe is a framed channel: each send() arrives as one whole message.

    python3 pipe_hello.py          # the parent (exits 0 on success)
"""

import sys

import ipc


def child() -> int:
    # Our stdin is the pipe: open it as a channel and read messages until
    # the parent closes its end (end of stream ends the loop).
    with ipc.open("fd:0", "r") as r:
        for msg in r.messages(timeout=10):
            print("child read:", msg.decode())
    return 0


def parent() -> int:
    r, w = ipc.pipe()
    with w:
        with r:
            p = ipc.spawn([sys.executable, __file__, "child"], stdin=r)
        # Our read end is closed: the child holds the only one now.
        w.send(b"Hello Child Process!")
    # The write end is closed: the child sees the end of the stream.
    with p:
        code = p.wait(timeout=30)
    print("parent: child exited with", code)
    return code


if __name__ == "__main__":
    sys.exit(child() if sys.argv[1:] == ["child"] else parent())
