#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mutex_owner_died - a lock that survives the death of its holder.

A counter in POSIX shared memory is guarded by a robust mutex. A worker
(this script started again) takes the lock, starts an update, and is
killed with SIGKILL in the middle of it, as a crash or the OOM killer
would. With multiprocessing.Lock (a semaphore) everyone else would now
wait for ever; ipc.Mutex gives the next acquire() the lock with
owner_died set: the parent repairs the half-done update, and the
release() that follows marks the mutex consistent, so the acquire after
it is an ordinary one.

Shared layout: value (int64), then "dirty" (int64: an update is under
way). Names carry the parent's pid; the parent removes both.

    python3 mutex_owner_died.py          # exits 0 on success
"""

import contextlib
import os
import signal
import struct
import sys

import ipc

LAYOUT = struct.Struct("<qq")        # value, dirty


def names(tag: str):
    return f"/ipc-example-{tag}-counter", f"/ipc-example-{tag}-lock"


def worker(tag: str) -> int:
    shm_name, lock_name = names(tag)
    shm, mx = ipc.SharedMemory(shm_name), ipc.Mutex(lock_name)
    mx.acquire(timeout=10)
    value, _ = LAYOUT.unpack_from(shm.buf)
    LAYOUT.pack_into(shm.buf, 0, value, 1)       # update started...
    os.kill(os.getpid(), signal.SIGKILL)         # ...and never finished
    return 1                                     # not reached


def main() -> int:
    tag = str(os.getpid())
    shm_name, lock_name = names(tag)
    with contextlib.ExitStack() as cleanup:
        shm = ipc.SharedMemory(shm_name, size=LAYOUT.size, create=True,
                               exclusive=True)
        cleanup.callback(shm.unlink)
        cleanup.callback(shm.close)
        mx = ipc.Mutex(lock_name, create=True, exclusive=True)
        cleanup.callback(mx.unlink)
        cleanup.callback(mx.close)
        LAYOUT.pack_into(shm.buf, 0, 41, 0)

        with ipc.spawn([sys.executable, __file__, "worker", tag]) as p:
            code = p.wait(timeout=30)
        print("worker ended with", code, "(-9: SIGKILL)")

        if not mx.acquire(timeout=10):
            print("the lock is stuck", file=sys.stderr)
            return 1
        print("owner_died:", mx.owner_died)
        value, dirty = LAYOUT.unpack_from(shm.buf)
        if mx.owner_died and dirty:
            # Repair: here, redo the update the worker did not finish.
            LAYOUT.pack_into(shm.buf, 0, value + 1, 0)
        mx.release()                 # marks the mutex consistent

        with mx:                     # an ordinary acquire again
            value, dirty = LAYOUT.unpack_from(shm.buf)
            print("value:", value, "owner_died:", mx.owner_died)
    return 0 if (code, value, dirty) == (-signal.SIGKILL, 42, 0) else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        sys.exit(worker(sys.argv[2]))
    sys.exit(main())
