# SPDX-License-Identifier: MIT
"""ipc.asyncio: awaitable receive/send over descriptors and rings,
concurrency, cancellation (nothing lost), timeouts, misuse.

Every test runs its own loop with asyncio.run and a global bound
(asyncio.wait_for) so a bug hangs no test.
"""

from __future__ import annotations

import asyncio
import errno
import os
import time

import pytest

import ipc
import ipc.asyncio as aio

BOUND = 20.0  # seconds: no test may take longer


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, BOUND))


def waiting_fds(loop=None):
    """Descriptors ipc.asyncio still watches in a loop (must be none
    once nothing waits)."""
    loop = loop or asyncio.get_running_loop()
    return dict(aio._waiting.get(loop, {}))


# --- round trips ----------------------------------------------------------

def test_pipe_round_trip():
    async def main():
        r, w = ipc.pipe()
        with r, w:
            async def later():
                await asyncio.sleep(0.05)
                await aio.send(w, b"hello")
            task = asyncio.create_task(later())
            assert await aio.recv(r, timeout=5) == b"hello"
            await task
            assert waiting_fds() == {}
    run(main())


def test_ring_round_trip_and_timing(unique_name):
    name = unique_name("ring")

    async def main():
        with ipc.Ring(name, capacity=1 << 16, create=True) as cons, \
                ipc.Ring(name) as prod:
            loop = asyncio.get_running_loop()
            loop.call_later(0.05, prod.send, b"ring")
            t = time.monotonic()
            assert await aio.recv(cons, timeout=5) == b"ring"
            assert time.monotonic() - t < 2
            await aio.send(prod, b"again")
            assert await aio.recv(cons, 0) == b"again"
    run(main())


def test_large_frames_through_a_full_pipe():
    # 1 MiB frames overflow the 64 KiB pipe: send() must finish each
    # frame (flushing what the pipe did not take) while recv() drains.
    msgs = [os.urandom(1 << 20), b"", b"tail"]

    async def main():
        r, w = ipc.pipe()
        with r, w:
            async def producer():
                for m in msgs:
                    await aio.send(w, m, timeout=10)
            task = asyncio.create_task(producer())
            got = [await aio.recv(r, timeout=10) for _ in msgs]
            await task
            assert got == msgs
    run(main())


def test_two_channels_served_concurrently(unique_name):
    name = unique_name("ring")
    n = 200

    async def echo(inp, out):
        async for msg in aio.AsyncChannel(inp):
            await aio.send(out, msg.upper())

    async def main():
        r1, w1 = ipc.pipe()
        r2, w2 = ipc.pipe()
        ring = ipc.Ring(name, capacity=1 << 16, create=True)
        with r1, w1, r2, w2, ring:
            # one server task per channel, one event loop for both
            server = asyncio.create_task(echo(r1, w2))

            async def ring_side():
                out = []
                for _ in range(n):
                    out.append(await aio.recv(ring, timeout=10))
                return out

            async def pipe_side():
                for i in range(n):
                    await aio.send(w1, b"m%d" % i)
                w1.close()
                return [await aio.recv(r2, timeout=10) for _ in range(n)]

            async def ring_producer():
                for i in range(n):
                    await aio.send(ring, b"r%d" % i)
                    if i % 50 == 0:
                        await asyncio.sleep(0.01)

            got_ring, got_pipe, _ = await asyncio.gather(
                ring_side(), pipe_side(), ring_producer())
            await server                # ended at the pipe's end
            assert got_pipe == [b"M%d" % i for i in range(n)]
            assert got_ring == [b"r%d" % i for i in range(n)]
    run(main())


def test_raw_read_write_with_a_child():
    data = os.urandom(300000)

    async def main():
        with ipc.spawn(["cat"], stdin=ipc.PIPE, stdout=ipc.PIPE) as p:
            async def feed():
                assert await aio.write(p.stdin, data, timeout=10) == len(data)
                p.stdin.close()
            task = asyncio.create_task(feed())
            out = b""
            while True:
                chunk = await aio.read(p.stdout, 65536, timeout=10)
                if not chunk:
                    break
                out += chunk
            await task
            assert out == data
            assert await aio.wait(p, timeout=10) == 0
    run(main())


def test_accept_and_async_iteration(sock_path):
    async def main():
        with ipc.listen("unix:" + sock_path()) as lst:
            async def client():
                c = ipc.connect(lst.url, timeout=5)
                async with aio.AsyncChannel(c) as ac:
                    for m in (b"1", b"2", b"3"):
                        await ac.send(m)
                assert c.closed
            task = asyncio.create_task(client())
            peer = await aio.accept(lst, timeout=5)
            with peer:
                assert [m async for m in aio.AsyncChannel(peer)] == \
                    [b"1", b"2", b"3"]
            await task
    run(main())


def test_wait_for_process_and_readable(unique_name):
    async def main():
        with ipc.spawn(["sh", "-c", "sleep 0.1; exit 7"]) as p:
            assert await aio.wait(p, timeout=10) == 7
        q = ipc.MessageQueue(unique_name("mq"), create=True,
                             max_messages=2, max_message_size=32)
        with q:
            asyncio.get_running_loop().call_later(0.05, q.send, b"q")
            await aio.wait_readable(q, timeout=5)
            assert q.receive(0) == (b"q", 0)
    run(main())


def test_several_tasks_wait_on_one_channel():
    async def main():
        r, w = ipc.pipe()
        with r, w:
            tasks = [asyncio.create_task(aio.recv(r, timeout=5))
                     for _ in range(3)]
            await asyncio.sleep(0.02)
            assert len(waiting_fds()) == 1   # one reader for all three
            for m in (b"a", b"b", b"c"):
                w.send(m)
            assert sorted(await asyncio.gather(*tasks)) == [b"a", b"b", b"c"]
            assert waiting_fds() == {}
    run(main())


# --- cancellation, timeouts ---------------------------------------------------

def test_cancelled_recv_loses_nothing(unique_name):
    name = unique_name("ring")

    async def main():
        r, w = ipc.pipe()
        ring = ipc.Ring(name, capacity=1 << 16, create=True)
        with r, w, ring:
            for ch in (r, ring):
                task = asyncio.create_task(aio.recv(ch))
                await asyncio.sleep(0.05)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                assert waiting_fds() == {}
                (w if ch is r else ring).send(b"after")
                assert ch.recv(timeout=1) == b"after"
    run(main())


def test_recv_timeout_and_try_once(unique_name):
    name = unique_name("ring")

    async def main():
        r, w = ipc.pipe()
        ring = ipc.Ring(name, capacity=1 << 16, create=True)
        with r, w, ring:
            for ch in (r, ring):
                t = time.monotonic()
                with pytest.raises(TimeoutError) as ei:
                    await aio.recv(ch, timeout=0.1)
                dt = time.monotonic() - t
                assert 0.1 <= dt < 2, dt
                assert ei.value.errno == errno.ETIMEDOUT
                with pytest.raises(BlockingIOError):
                    await aio.recv(ch, timeout=0)
            assert waiting_fds() == {}
            with ipc.spawn(["sleep", "30"]) as p:
                with pytest.raises(TimeoutError):
                    await aio.wait(p, timeout=0.05)
                with pytest.raises(TimeoutError):
                    await aio.wait(p, timeout=0)
                p.kill("KILL")
    run(main())


def test_send_to_a_full_pipe_times_out():
    async def main():
        r, w = ipc.pipe()
        with r, w:
            with pytest.raises(TimeoutError):
                for _ in range(100000):
                    await aio.send(w, b"x" * 1000, timeout=0.1)
            # the pipe drains: every whole frame sent is there
            n = 0
            while True:
                try:
                    assert r.recv(0) == b"x" * 1000
                except BlockingIOError:
                    break
                n += 1
            assert n > 10
    run(main())


def test_partial_frame_is_not_a_message():
    async def main():
        r, w = ipc.pipe()
        with r, w:
            frame = (5).to_bytes(4, "little") + b"hello"
            w.write(frame[:6])          # header and part of the payload
            with pytest.raises(TimeoutError):
                await aio.recv(r, timeout=0.1)
            asyncio.get_running_loop().call_later(0.05, w.write, frame[6:])
            assert await aio.recv(r, timeout=5) == b"hello"
    run(main())


# --- end of stream, closed handles, misuse ------------------------------------

def test_end_of_stream():
    async def main():
        r, w = ipc.pipe()
        with r:
            w.send(b"last")
            w.close()
            assert await aio.recv(r, 5) == b"last"
            with pytest.raises(BrokenPipeError):
                await aio.recv(r, 5)
            assert await aio.read(r, 10, 5) == b""
    run(main())


def test_close_wakes_waiting_tasks():
    async def main():
        r, w = ipc.pipe()
        with w:
            ac = aio.AsyncChannel(r)
            task = asyncio.create_task(ac.recv())
            await asyncio.sleep(0.02)
            ac.close()
            with pytest.raises(ValueError):
                await task
            assert ac.closed and waiting_fds() == {}
    run(main())


def test_misuse():
    async def main():
        r, w = ipc.pipe()
        r.close()
        with w:
            with pytest.raises(ValueError):
                await aio.recv(r)
            with pytest.raises(TypeError):
                await aio.recv(object())
            with pytest.raises(TypeError):
                aio.AsyncChannel(os)
            with pytest.raises(ValueError):
                await aio.send(w, b"x", timeout=-1)
            with pytest.raises(BrokenPipeError):   # reader gone
                await aio.send(w, b"x")
    run(main())
