#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""shm_semaphore - two processes share memory, two semaphores take turns.

The classic producer/consumer over one slot of POSIX shared memory: the
semaphore "empty" (starting at 1) says the slot may be written, "full"
(starting at 0) says it holds a line to read. The parent writes three
lines, then an empty one meaning "done"; the child, this script started
again, prints each line it reads. Neither ever reads a half-written slot
or polls.

The slot is a 4-byte little-endian length then the text. Every name
carries the parent's pid, and the parent unlinks all three at the end.

    python3 shm_semaphore.py          # exits 0 on success
"""

import contextlib
import os
import struct
import sys

import ipc

SIZE = 4096


def names(tag: str):
    return f"/ipc-example-{tag}-shm", f"/ipc-example-{tag}-empty", \
        f"/ipc-example-{tag}-full"


def put(buf: memoryview, text: bytes) -> None:
    buf[:4 + len(text)] = struct.pack("<I", len(text)) + text


def get(buf: memoryview) -> bytes:
    (n,) = struct.unpack_from("<I", buf)
    return bytes(buf[4:4 + n])


def consumer(tag: str) -> int:
    shm_name, empty_name, full_name = names(tag)
    shm = ipc.SharedMemory(shm_name)
    empty, full = ipc.Semaphore(empty_name), ipc.Semaphore(full_name)
    # "with sem:" would acquire and release a semaphore, not close it:
    # the handles are closed explicitly.
    try:
        while True:
            if not full.acquire(timeout=30):
                print("consumer: nothing came", file=sys.stderr)
                return 1
            line = get(shm.buf)
            empty.release()
            if not line:
                return 0
            print("consumer read:", line.decode())
    finally:
        for handle in (empty, full, shm):
            handle.close()


def main() -> int:
    tag = str(os.getpid())
    shm_name, empty_name, full_name = names(tag)
    with contextlib.ExitStack() as cleanup:
        # Each object is removed and closed at the end, even on an error
        # (callbacks run last first: close, then unlink).
        shm = ipc.SharedMemory(shm_name, size=SIZE, create=True,
                               exclusive=True)
        cleanup.callback(shm.unlink)
        cleanup.callback(shm.close)
        empty = ipc.Semaphore(empty_name, value=1, create=True,
                              exclusive=True)
        cleanup.callback(empty.unlink)
        cleanup.callback(empty.close)
        full = ipc.Semaphore(full_name, value=0, create=True, exclusive=True)
        cleanup.callback(full.unlink)
        cleanup.callback(full.close)

        with ipc.spawn([sys.executable, __file__, "consumer", tag]) as p:
            for line in (b"Linux", b"Programming", b"from Python", b""):
                if not empty.acquire(timeout=30):
                    raise TimeoutError("the consumer is stuck")
                put(shm.buf, line)
                full.release()
            code = p.wait(timeout=30)
    print("consumer exited with", code)
    return code


if __name__ == "__main__":
    if sys.argv[1:2] == ["consumer"]:
        sys.exit(consumer(sys.argv[2]))
    sys.exit(main())
