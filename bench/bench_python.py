#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Python binding against what Python programs use today, in one run.

    PYTHONPATH=build/python /usr/bin/python3 bench/bench_python.py
    PYTHONPATH=build/python /usr/bin/python3 bench/bench_python.py --quick

Baselines, measured in the same run (figures are ratios between kinds of
one run: these machines drift 1.5-3x from day to day):

  mp-queue       multiprocessing.Queue put/get (pickled, feeder thread)
  mp-pipe        multiprocessing.Pipe() send/recv (pickled)
  mp-pipe-bytes  multiprocessing.Pipe() send_bytes/recv_bytes
  os-pipe        os.pipe with a 4-byte length by hand: os.writev of header
                 and payload, a 64 KiB io.BufferedReader reading 4 + n

and the public API of ipc: ipc.Ring (recv() -> bytes; ring-into:
recv_into() a preallocated bytearray) and every other channel kind through
ipc.pipe / ipc.open / ipc.listen / ipc.connect: pipe, fifo, mq, sysvmq,
unix, unixpacket, unixgram, tcp.

Metrics: 64-byte round trip (the parent sends, the child echoes; p50 and
p99 of per-round-trip clock readings), 64-byte one-way messages per
second, and 1 MiB one-way GB/s (kinds that carry 1 MiB). One way runs
from the sender's first measured send (after a warm-up of a tenth of the
run) to the receipt of its STOP message, so a sender that buffers ahead
(mp.Queue's feeder thread, a deep ring) is not credited with the drain.

Placements: unpinned, split (the two processes on two vCPUs) and same
(both on one vCPU), set with os.sched_setaffinity in each process. Every
measurement is a fresh child (multiprocessing, fork); --reps repetitions
run the kinds forwards, then backwards, and each figure is the median.

Output: a table per metric, RESULT lines as bench_ipc prints them
(bench/bench_ipc_summary.py reads them), and TARGET lines with PASS/MISS:
Ring >= 10x mp.Queue and >= 4x mp.Pipe in 64 B messages/s, Ring's round
trip >= 5x faster than mp.Pipe's, Ring 1 MiB >= 4 GB/s. Figures never
fail the program; a kind that cannot run at all prints status=fail and
the exit status is 1.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import shutil
import signal
import statistics
import struct
import sys
import time
import traceback
from typing import Callable, Dict, List, Optional, Tuple

import ipc

import benchlib
from benchlib import Hang, install_watchdog, pin, wait_ready

MIB = 1 << 20
SIZES = {"rtt": 64, "64": 64, "1m": MIB}
METRIC_NAMES = {"rtt": ("rtt64_p50_ns", "rtt64_p99_ns"),
                "64": ("tput64_msg_s",), "1m": ("tput1m_MB_s",)}
PLACEMENTS = ["same", "split", "unpinned"]
STOP = struct.Struct("<4sqq")          # b"STOP", t0 (ns), messages counted
HDR = struct.Struct("<I")              # os-pipe framing: a 4-byte length
FORK = multiprocessing.get_context("fork")

perf_ns = time.perf_counter_ns        # CLOCK_MONOTONIC: one clock for both


# --- kinds ------------------------------------------------------------------
#
# A kind prepares its objects in the parent before the fork (prepare), then
# each process opens its ends of the links it uses (open). A link is one
# direction: "c2p" (child to parent) or "p2c". The child opens first and
# says it is ready; the parent then opens its own ends, so that kinds whose
# open waits for the peer (a FIFO writer, a connect to a datagram socket
# the child binds, an accept) never deadlock. open returns (send, recv,
# recv_into or None, close): plain callables, so the timed loops call the
# API itself with no adapter in between.

End = Tuple[Callable, Callable, Optional[Callable], Callable]


class Ctx:
    """Names for one measurement, and what to remove afterwards."""

    counter = 0

    def __init__(self, tmpdir: str, size: int) -> None:
        Ctx.counter += 1
        self.n = Ctx.counter
        self.pid = os.getpid()       # the parent's: the child shares ctx
        self.tag = f"{self.pid}-{self.n}"
        self.tmpdir = tmpdir
        self.size = size
        self.state: Dict[str, object] = {}
        self.urls: List[str] = []        # named objects, removed by URL
        self.paths: List[str] = []       # socket files

    def name(self, link: str) -> str:
        return f"/ipc-bench-{self.tag}-{link}"

    def path(self, link: str) -> str:
        return os.path.join(self.tmpdir, f"{self.n}-{link}")

    def key(self, link: str) -> int:
        n = (self.n * 2 + (link == "p2c")) & 0xff
        return 0x6b000000 | ((self.pid & 0xffff) << 8) | n

    def cleanup(self) -> None:
        for url in self.urls:
            try:
                ipc.unlink(url)
            except OSError:
                pass
        for path in self.paths:
            try:
                os.unlink(path)
            except OSError:
                pass


def _chan_end(ch) -> End:
    return ch.send, ch.recv, ch.recv_into, ch.close


class Kind:
    name = ""
    max_size = 1 << 30
    metrics = ("rtt", "64", "1m")

    def prepare(self, ctx: Ctx, links: List[str]) -> None:
        pass

    def open(self, ctx: Ctx, link: str, side: str, sending: bool) -> End:
        raise NotImplementedError


class MpQueue(Kind):
    """Bounded about as deep as the ring (13,000 messages of 64 B, three of
    1 MiB), or put() runs ahead into the feeder's unbounded buffer and a
    run waits for the drain. The bound costs nothing per message: an
    unbounded Queue takes the same semaphore, at SEM_VALUE_MAX."""
    name = "mp-queue"

    def prepare(self, ctx, links):
        depth = 4 if ctx.size >= MIB else 10000
        for link in links:
            ctx.state[link] = FORK.Queue(depth)

    def open(self, ctx, link, side, sending):
        q = ctx.state[link]

        def close():
            q.close()
            q.join_thread()      # flush the feeder thread before exit
        return q.put, q.get, None, close


class MpPipe(Kind):
    name = "mp-pipe"
    raw = False

    def prepare(self, ctx, links):
        for link in links:
            ctx.state[link] = FORK.Pipe()       # duplex: a socketpair

    def open(self, ctx, link, side, sending):
        a, b = ctx.state[link]
        conn = a if side == "parent" else b
        if self.raw:
            return conn.send_bytes, conn.recv_bytes, None, conn.close
        return conn.send, conn.recv, None, conn.close


class MpPipeBytes(MpPipe):
    name, raw = "mp-pipe-bytes", True


class OsPipe(Kind):
    """What a Python program does by hand: a length, then the payload."""
    name = "os-pipe"

    def prepare(self, ctx, links):
        for link in links:
            ctx.state[link] = os.pipe()

    def open(self, ctx, link, side, sending):
        r, w = ctx.state[link]
        if sending:
            writev, write, pack = os.writev, os.write, HDR.pack

            def send(data):
                n = len(data)
                done = writev(w, [pack(n), data]) - 4
                while done < n:          # a pipe may take a big one in parts
                    done += write(w, memoryview(data)[done:])
            return send, None, None, lambda: None
        f = io.open(r, "rb", buffering=65536, closefd=False)
        read, unpack = f.read, HDR.unpack

        def recv():
            return read(unpack(read(4))[0])
        return None, recv, None, f.close


class Ring(Kind):
    name = "ring"

    def capacity(self, ctx):
        # Room for a few messages of the size measured (bench_ipc: 1 MiB
        # rings, 4 MiB for 1 MiB messages).
        return 4 * MIB if ctx.size >= MIB else MIB

    def prepare(self, ctx, links):
        for link in links:
            r = ipc.Ring(ctx.name(link), capacity=self.capacity(ctx),
                         create=True, exclusive=True)
            ctx.urls.append("ring:" + r.name)
            r.close()

    def open(self, ctx, link, side, sending):
        return _chan_end(ipc.Ring(ctx.name(link),
                                  direction="w" if sending else "r"))


class RingInto(Ring):
    """The ring received with recv_into() into a preallocated buffer."""
    name = "ring-into"
    metrics = ("64", "1m")


class Pipe(Kind):
    name = "pipe"

    def prepare(self, ctx, links):
        for link in links:
            ctx.state[link] = ipc.pipe()

    def open(self, ctx, link, side, sending):
        r, w = ctx.state[link]
        if side == "parent":
            return _chan_end(w if sending else r)
        # The child opens the inherited descriptor by URL, as a child
        # handed an fd:N endpoint does.
        fd = (w if sending else r).fileno()
        return _chan_end(ipc.open(f"fd:{fd}", "w" if sending else "r"))


class Fifo(Kind):
    name = "fifo"

    def prepare(self, ctx, links):
        # Create every FIFO, and open the parent's read ends now: a reader's
        # open returns at once, a writer's waits for a reader.
        for link in links:
            url = "fifo:" + ctx.path(link)
            r = ipc.open(url, "r", create=True, exclusive=True)
            ctx.urls.append(url)
            if link == "c2p":
                ctx.state[link] = r
            else:
                r.close()

    def open(self, ctx, link, side, sending):
        if side == "parent" and not sending:
            return _chan_end(ctx.state[link])
        return _chan_end(ipc.open("fifo:" + ctx.path(link),
                                  "w" if sending else "r", timeout=10))


class Mq(Kind):
    name = "mq"
    max_size = 8192            # fs.mqueue.msgsize_default

    def prepare(self, ctx, links):
        for link in links:
            url = "mq:" + ctx.name(link)
            ipc.open(url, "r", create=True, exclusive=True).close()
            ctx.urls.append(url)

    def open(self, ctx, link, side, sending):
        return _chan_end(ipc.open("mq:" + ctx.name(link),
                                  "w" if sending else "r"))


class SysVMq(Kind):
    name = "sysvmq"
    max_size = 8192            # kernel.msgmax

    def prepare(self, ctx, links):
        for link in links:
            url = f"sysvmq:{ctx.key(link)}"
            ipc.open(url, "r", create=True, exclusive=True).close()
            ctx.urls.append(url)

    def open(self, ctx, link, side, sending):
        return _chan_end(ipc.open(f"sysvmq:{ctx.key(link)}",
                                  "w" if sending else "r"))


class Stream(Kind):
    """Connected sockets: the parent listens, the child connects, the
    parent accepts; one connection per direction."""
    scheme = ""

    def url(self, ctx, link):
        return f"{self.scheme}:{ctx.path(link)}"

    def prepare(self, ctx, links):
        for link in links:
            ctx.state[link] = ipc.listen(self.url(ctx, link), exclusive=True)
            ctx.paths.append(ctx.path(link))

    def open(self, ctx, link, side, sending):
        lst = ctx.state[link]
        if side == "child":
            return _chan_end(ipc.connect(lst.url, timeout=10))
        ch = lst.accept(timeout=10)
        lst.close()
        return _chan_end(ch)


class Unix(Stream):
    name, scheme = "unix", "unix"


class UnixPacket(Stream):
    name, scheme = "unixpacket", "unixpacket"
    max_size = 200_000         # SO_SNDBUF - 32 = 212960 here


class Tcp(Stream):
    name = "tcp"

    def url(self, ctx, link):
        return "tcp://127.0.0.1:0"


class UnixGram(Kind):
    """Datagrams: the receiver binds (ipc.listen), the sender connects."""
    name = "unixgram"
    max_size = 200_000

    def prepare(self, ctx, links):
        for link in links:
            url = "unixgram:" + ctx.path(link)
            ctx.paths.append(ctx.path(link))
            if link == "c2p":
                ctx.state[link] = ipc.listen(url, exclusive=True)

    def open(self, ctx, link, side, sending):
        url = "unixgram:" + ctx.path(link)
        if sending:
            return _chan_end(ipc.connect(url, timeout=10))
        if side == "parent":
            return _chan_end(ctx.state[link])
        return _chan_end(ipc.listen(url, exclusive=True))


KINDS: List[Kind] = [MpQueue(), MpPipe(), MpPipeBytes(), OsPipe(), Ring(),
                     RingInto(), Pipe(), Fifo(), Mq(), SysVMq(), Unix(),
                     UnixPacket(), UnixGram(), Tcp()]


# --- the timed loops ---------------------------------------------------------

def send_for(send, data, dur_ns: int, max_msgs: int) -> None:
    """Warm up for a tenth of the run, then send for dur_ns (or max_msgs
    messages), then STOP with the start time and the count."""
    batch = 256 if len(data) < 4096 else 1
    end = perf_ns() + dur_ns // 10
    while perf_ns() < end:
        for _ in range(batch):
            send(data)
    n = 0
    t0 = perf_ns()
    end = t0 + dur_ns
    while n < max_msgs:
        for _ in range(batch):
            send(data)
        n += batch
        if perf_ns() >= end:
            break
    send(STOP.pack(b"STOP", t0, n))


def recv_until_stop(recv, recv_into, size: int) -> float:
    """Receive until STOP; messages per second from the sender's t0 to
    the receipt of STOP."""
    if recv_into is not None:
        buf = bytearray(size)
        while True:
            n = recv_into(buf)
            if n != size:
                break
        t1 = perf_ns()
        stop = bytes(buf[:n])
    else:
        while True:
            m = recv()
            if len(m) != size:
                break
        t1 = perf_ns()
        stop = m
    _, t0, count = STOP.unpack(stop)
    return count / ((t1 - t0) / 1e9)


def ping(send, recv, dur_ns: int, max_msgs: int) -> List[int]:
    """Round trips of 64 bytes: the latency of each, in ns."""
    data = b"p" * 64
    end = perf_ns() + dur_ns // 10
    while perf_ns() < end:
        send(data)
        recv()
    lat = []
    add = lat.append
    end = perf_ns() + dur_ns
    while len(lat) < max_msgs:
        t = perf_ns()
        send(data)
        recv()
        t1 = perf_ns()
        add(t1 - t)
        if t1 >= end:
            break
    send(STOP.pack(b"STOP", 0, 0))
    return lat


def echo(send, recv) -> None:
    while True:
        m = recv()
        if len(m) != 64:
            return
        send(m)


# --- one measurement ---------------------------------------------------------


def child_main(kind: Kind, ctx: Ctx, metric: str, cpu: Optional[int], mask,
               ready_fd: int, limit: int, dur_ns: int, max_msgs: int) -> None:
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(limit + 5)     # a lost parent must not leave us behind
    pin(cpu, mask)
    ends = {}
    try:
        if metric == "rtt":
            ends["p2c"] = kind.open(ctx, "p2c", "child", False)
        ends["c2p"] = kind.open(ctx, "c2p", "child", True)
    except BaseException:
        os.write(ready_fd, b"E")
        raise
    os.write(ready_fd, b"R")
    send = ends["c2p"][0]
    if metric == "rtt":
        echo(send, ends["p2c"][1])
    else:
        send_for(send, b"m" * ctx.size, dur_ns, max_msgs)
    for e in ends.values():
        e[3]()


def measure(kind: Kind, metric: str, placement: str, cpus: List[int], mask,
            tmpdir: str, dur_ns: int, max_msgs: int) -> Dict[str, float]:
    """One fresh child, one figure (two for rtt)."""
    size = SIZES[metric]
    ctx = Ctx(tmpdir, size)
    links = ["p2c", "c2p"] if metric == "rtt" else ["c2p"]
    pcpu = ccpu = None
    if placement == "same":
        pcpu = ccpu = cpus[0]
    elif placement == "split":
        pcpu, ccpu = cpus[0], cpus[1]
    limit = int(max(30, 40 * dur_ns / 1e9))
    rfd, wfd = os.pipe()
    proc = None
    ends = {}
    try:
        kind.prepare(ctx, links)
        pin(pcpu, mask)
        proc = FORK.Process(target=child_main, daemon=True,
                            args=(kind, ctx, metric, ccpu, mask, wfd, limit,
                                  dur_ns, max_msgs))
        signal.alarm(limit)
        proc.start()
        wait_ready(rfd, proc.is_alive, limit)
        if metric == "rtt":
            ends["p2c"] = kind.open(ctx, "p2c", "parent", True)
        ends["c2p"] = kind.open(ctx, "c2p", "parent", False)
        if metric == "rtt":
            lat = ping(ends["p2c"][0], ends["c2p"][1], dur_ns, max_msgs)
            lat.sort()
            out = {"rtt64_p50_ns": float(lat[len(lat) // 2]),
                   "rtt64_p99_ns": float(lat[min(len(lat) - 1,
                                                 len(lat) * 99 // 100)])}
        else:
            into = ends["c2p"][2] if isinstance(kind, RingInto) else None
            rate = recv_until_stop(ends["c2p"][1], into, size)
            out = ({"tput64_msg_s": rate} if metric == "64" else
                   {"tput1m_MB_s": rate * size / 1e6})
        proc.join(limit)
        if proc.exitcode != 0:
            raise RuntimeError(f"the child exited with {proc.exitcode}")
        return out
    finally:
        signal.alarm(0)
        pin(None, mask)
        for e in ends.values():
            _release(e[3])
        if proc is not None and proc.is_alive():
            proc.kill()
            proc.join(5)
        for v in ctx.state.values():
            _release(v)
        ctx.cleanup()
        os.close(rfd)
        os.close(wfd)


def _release(v) -> None:
    """Close whatever the parent still holds: ends (close callables),
    channels, listeners, connections, raw descriptors."""
    try:
        if isinstance(v, tuple):
            for x in v:
                _release(x)
        elif isinstance(v, int):
            os.close(v)
        elif callable(v):
            v()
        elif hasattr(v, "close"):
            v.close()
    except (OSError, ValueError):
        pass


# --- the run -----------------------------------------------------------------

def fmt_value(metric: str, v: float) -> str:
    if metric.startswith("rtt"):
        return f"{v / 1e3:.1f}"
    if metric == "tput64_msg_s":
        return f"{v / 1e3:.0f}"
    return f"{v / 1e3:.2f}"


TITLES = {"rtt64_p50_ns": "64 B round trip p50, us",
          "rtt64_p99_ns": "64 B round trip p99, us",
          "tput64_msg_s": "64 B one way, thousand msg/s",
          "tput1m_MB_s": "1 MiB one way, GB/s"}
RATIO_VS = "mp-pipe"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: one repetition of a few thousand "
                         "messages per measurement")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--time", type=int, default=200,
                    help="milliseconds per measurement (default 200)")
    ap.add_argument("--kinds", help="comma-separated subset of: " +
                    ",".join(k.name for k in KINDS))
    ap.add_argument("--metrics", default="rtt,64,1m")
    ap.add_argument("--placements", default=",".join(PLACEMENTS))
    args = ap.parse_args()

    max_msgs = 1 << 62
    if args.quick:
        args.reps, args.time, max_msgs = 1, 20, 2000
    kinds = KINDS
    if args.kinds:
        want = args.kinds.split(",")
        unknown = set(want) - {k.name for k in KINDS}
        if unknown:
            ap.error(f"unknown kinds: {', '.join(sorted(unknown))}")
        kinds = [k for k in KINDS if k.name in want]
    metrics = args.metrics.split(",")
    mask = os.sched_getaffinity(0)
    cpus = sorted(mask)
    placements = benchlib.placements(args.placements, cpus)
    dur_ns = args.time * 1_000_000

    install_watchdog()

    print(f"# bench_python: Python {sys.version.split()[0]}, ipc "
          f"{ipc.__version__}, {len(cpus)} CPUs, load "
          f"{os.getloadavg()[0]:.2f}, {args.reps} reps of {args.time} ms"
          f"{' (quick)' if args.quick else ''}", flush=True)

    # Unique, and caught by the suite's leak check if ever left behind.
    tmpdir = f"/tmp/ipc-test-bench-{os.getpid()}"
    os.mkdir(tmpdir, 0o700)
    results: Dict[Tuple[str, str, str], List[float]] = {}
    failed: Dict[Tuple[str, str, str], str] = {}
    try:
        jobs = [(k, m, p) for m in metrics for p in placements
                for k in kinds if m in k.metrics]
        for rep in range(args.reps):
            for k, m, p in (jobs if rep % 2 == 0 else jobs[::-1]):
                if SIZES[m] > k.max_size or (k.name, m, p) in failed:
                    continue
                try:
                    out = measure(k, m, p, cpus, mask, tmpdir, dur_ns,
                                  max_msgs)
                except (Exception, Hang) as e:
                    failed[(k.name, m, p)] = f"{type(e).__name__}: {e}"
                    traceback.print_exc()
                    print(f"FAIL kind={k.name} metric={m} placement={p} "
                          f"status=fail", flush=True)
                    continue
                for name, v in out.items():
                    results.setdefault((k.name, name, p), []).append(v)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)

    med = {key: statistics.median(v) for key, v in results.items()}
    report(kinds, metrics, placements, med)
    targets(placements, med)
    return 1 if failed else 0


def report(kinds, metrics, placements, med) -> None:
    for m in metrics:
        for name in METRIC_NAMES[m]:
            print(f"\n#### {TITLES[name]}\n")
            print("| kind | " + " | ".join(placements) + " |")
            print("|---|" + "---|" * len(placements))
            for k in kinds:
                if m not in k.metrics:
                    continue
                cells = []
                for p in placements:
                    v = med.get((k.name, name, p))
                    cells.append("n/a" if v is None else fmt_value(name, v))
                print(f"| {k.name} | " + " | ".join(cells) + " |")
    print()
    for (kind, name, p), v in sorted(med.items()):
        line = f"RESULT kind={kind} metric={name} placement={p} value={v:.6g}"
        base = med.get((RATIO_VS, name, p))
        if base and kind != RATIO_VS:
            line += f" ratio_vs={RATIO_VS} ratio={v / base:.4f}"
        print(line)


def targets(placements, med) -> None:
    def target(name, value, op, limit):
        if value is None:
            print(f"TARGET name={name} value=nan op={op} limit={limit:g} "
                  f"N/A")
            return
        ok = value >= limit if op == ">=" else value <= limit
        print(f"TARGET name={name} value={value:.4f} op={op} "
              f"limit={limit:g} {'PASS' if ok else 'MISS'}")

    def ratio(a, b):
        return None if a is None or not b else a / b

    print()
    for p in placements:
        def g(kind, metric):
            return med.get((kind, metric, p))
        ring64 = g("ring", "tput64_msg_s")
        target(f"ring_tput64_vs_mp-queue_{p}",
               ratio(ring64, g("mp-queue", "tput64_msg_s")), ">=", 10)
        for pipe in ("mp-pipe", "mp-pipe-bytes"):
            target(f"ring_tput64_vs_{pipe}_{p}",
                   ratio(ring64, g(pipe, "tput64_msg_s")), ">=", 4)
        for pipe in ("mp-pipe", "mp-pipe-bytes"):
            target(f"ring_rtt_speedup_vs_{pipe}_{p}",
                   ratio(g(pipe, "rtt64_p50_ns"),
                         g("ring", "rtt64_p50_ns")), ">=", 5)
        for kind in ("ring-into", "ring"):
            v = g(kind, "tput1m_MB_s")
            target(f"{kind}_tput1m_GB_s_{p}",
                   None if v is None else v / 1e3, ">=", 4)


if __name__ == "__main__":
    sys.exit(main())
