#!/usr/bin/env python3
"""A link through the `ipc` host against the same shell pipeline.

PERFORMANCE.md's target: a link through the host costs at most 1.1x the
same shell pipe. The workload is a producer and a consumer of raw bytes:
`head -c SIZE /dev/zero | wc -c`, first run by /bin/sh, then as a two-stage
config through `ipc run --quiet` with the link carried by each `via`:

  pipe  the host hands one pipe to both stages (what a shell does);
  fifo  a named FIFO the host creates, opened by both stages;
  unix  a Unix stream socket: the host relays the bytes in its poll loop.

Every variant runs `--reps` times, interleaved, unpinned and with the
whole process tree on one CPU (taskset -c 0); the figures are medians and
the ratios are against the shell pipeline measured in the same run. The
fixed cost of `ipc run` (Lua, config validation, the start-up gc) is
measured apart, as `true` run by the shell and by the host.

Usage: bench_host.py [--ipc PATH] [--size BYTES] [--reps N] [--quick]
Prints RESULT and TARGET lines like the other benchmarks (bench/README.md).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

VIAS = ("pipe", "fifo", "unix")


def find_ipc(given):
    if given:
        return given
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.environ.get("IPC_HOST_BIN"),
                 os.path.join(here, "..", "build", "bin", "ipc"),
                 shutil.which("ipc")):
        if cand and os.access(cand, os.X_OK):
            return cand
    sys.exit("bench_host: no ipc binary (--ipc PATH or IPC_HOST_BIN)")


def config(path, size, via, out):
    link = '{ "src.stdout", "sink.stdin" }'
    if via != "pipe":
        link = '{ "src.stdout", "sink.stdin", via = "%s" }' % via
    with open(path, "w") as f:
        f.write('return {\n'
                '  name = "bench",\n'
                '  stages = {\n'
                '    src = { cmd = {"head", "-c", "%d", "/dev/zero"} },\n'
                '    sink = { cmd = {"sh", "-c", "wc -c > %s"} },\n'
                '  },\n'
                '  links = { %s },\n'
                '}\n' % (size, out, link))


def timed(argv, pin):
    if pin:
        argv = ["taskset", "-c", "0"] + argv
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
    return time.perf_counter() - t0


def check_count(out, size):
    with open(out) as f:
        got = int(f.read().split()[0])
    if got != size:
        print(f"bench_host: status=fail: {got} bytes arrived, {size} sent",
              file=sys.stderr)
        sys.exit(1)
    os.unlink(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ipc")
    ap.add_argument("--size", type=int, default=1 << 30)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    if a.quick:
        a.size, a.reps = 16 << 20, 1
    ipc = find_ipc(a.ipc)
    work = tempfile.mkdtemp(prefix="ipc-bench-host-")
    try:
        out = os.path.join(work, "count")
        cfgs = {}
        for via in VIAS:
            cfgs[via] = os.path.join(work, via + ".lua")
            config(cfgs[via], a.size, via, out)
        nop = os.path.join(work, "nop.lua")
        with open(nop, "w") as f:
            f.write('return { stages = { a = { cmd = {"true"} } }, links = {} }\n')
        shell = ["sh", "-c", "head -c %d /dev/zero | wc -c > %s" % (a.size, out)]
        placements = ("unpinned", "one-cpu")
        times = {(p, v): [] for p in placements
                 for v in ("shell",) + VIAS + ("start-shell", "start-host")}
        for _ in range(a.reps):
            for p in placements:
                pin = p == "one-cpu"
                times[(p, "shell")].append(timed(shell, pin))
                check_count(out, a.size)
                for via in VIAS:
                    times[(p, via)].append(
                        timed([ipc, "run", "--quiet", cfgs[via]], pin))
                    check_count(out, a.size)
                times[(p, "start-shell")].append(timed(["sh", "-c", "true"], pin))
                times[(p, "start-host")].append(
                    timed([ipc, "run", "--quiet", nop], pin))
        med = {k: statistics.median(v) for k, v in times.items()}
        mib = a.size / (1 << 20)
        print(f"bench_host: {mib:.0f} MiB, head | wc -c, median of {a.reps}")
        print(f"{'variant':<10} {'placement':<9} {'time s':>8} {'GiB/s':>7} "
              f"{'vs shell':>8}")
        for p in placements:
            base = med[(p, "shell")]
            for v in ("shell",) + VIAS:
                t = med[(p, v)]
                print(f"{v:<10} {p:<9} {t:8.3f} {a.size / t / (1 << 30):7.2f} "
                      f"{t / base:7.2f}x")
                print(f"RESULT kind=host-{v} metric=seconds placement={p} "
                      f"value={t:.6g}")
            for v in ("start-shell", "start-host"):
                print(f"RESULT kind={v} metric=seconds placement={p} "
                      f"value={med[(p, v)]:.6g}")
            print(f"start-up: shell {med[(p, 'start-shell')] * 1e3:.1f} ms, "
                  f"ipc run {med[(p, 'start-host')] * 1e3:.1f} ms ({p})")
        for p in placements:
            ratio = med[(p, "pipe")] / med[(p, "shell")]
            verdict = "PASS" if ratio <= 1.1 else "MISS"
            print(f"TARGET name=host_pipe_vs_shell placement={p} "
                  f"value={ratio:.4f} op=<= limit=1.1 {verdict}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
