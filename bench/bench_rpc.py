#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""ipc.rpc round trips and native-stage calls against what Python has today.

    PYTHONPATH=build/python /usr/bin/python3 bench/bench_rpc.py \\
        --ipc build/bin/ipc --stages build/examples/native/libipc_stages.so
    ... --quick                  # smoke run (ctest bench.rpc.smoke)

Part A, RPC round trips per second: a Python client calls a function in
another process, one call at a time; echo(64-byte bytes) and add(2, 3).

  rpc-ring, rpc-mq, rpc-unix  ipc.rpc (Python server) on ring:, mq:, unix:
  lua-ring                    ipc.rpc.serve in lua5.4 on ring: (when the
                              Lua module is there: LUA_CPATH or --lua-cpath)
  mp-manager                  multiprocessing.managers.BaseManager serving
                              a registered class; one proxy method call
                              per round trip (baseline)
  sock-rpc                    pickle.dumps((name, args)) over a Unix
                              socketpair with a 4-byte length, hand-written
                              server loop (baseline)

The client takes the remote function once (fn = proxy.echo) and calls it
in a loop; the figure is calls per second over --time ms after a warm-up.

Part B, calls per second through a native stage: upper-casing 64-byte
messages with ipc_stage_upper (examples/native/stages.c).

  stage-pipe   ipc run --quiet: cat FILE (N lines of 64 bytes) | native
               stage (framing = "lines" on both links, pipes) | wc -c
  stage-ring   the same with a Lua source sending N messages on a ring,
               ring to the stage, ring to a Lua sink that counts them
  mp-manager, sock-rpc, rpc-ring
               the same work (bytes.upper of 64 bytes) as a Python function
               in another process, one call per message (op "upper")
  native-inproc
               ipc.native(lib, "ipc_stage_upper", "long(buf,buf)") called in
               the benchmark's own process, into a bytearray (reference)

A pipeline's figure is N / the wall time of `ipc run`, start-up and tear
down included: nothing is subtracted (the start-up of `ipc run` alone is
printed apart, as `start-host`).

Placements: same (everything on one CPU), split (client and server on two
CPUs; n/a for a pipeline of three processes and for native-inproc) and
unpinned. Every measurement is a fresh server (or a fresh `ipc run`);
--reps repetitions run the jobs forwards, then backwards, and each figure
is the median. Output: tables, RESULT lines in bench_ipc's format (ratio
against mp-manager), and TARGET lines with the ratios against both
baselines marked FIGURE: there is no numeric target for these in
PERFORMANCE.md. A kind that cannot run prints status=fail and the exit
status is 1; figures never fail the program.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import pickle
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time
import traceback
from multiprocessing.managers import BaseManager
from typing import Callable, Dict, List, Optional, Tuple

import ipc

import benchlib
from benchlib import Hang, install_watchdog, pin, wait_ready

FORK = multiprocessing.get_context("fork")
HDR = struct.Struct("<I")
perf_ns = time.perf_counter_ns
PLACEMENTS = ["same", "split", "unpinned"]
# Not UTF-8 (0x80 first), so a Lua server keeps it bytes (bin), not str.
ECHO = bytes([0x80]) + b"e" * 63
LINE = b"the quick brown fox jumps over the lazy dog, 0123456789 abcdefg\n"
assert len(LINE) == 64
OPS = {"echo": ((ECHO,), ECHO), "add": ((2, 3), 5),
       "upper": ((LINE,), LINE.upper())}


class Service:
    """The functions every server offers (the Lua server has its own)."""

    def echo(self, x):
        return x

    def add(self, a, b):
        return a + b

    def upper(self, m):
        return m.upper()


SVC = Service()
FUNCS = {"echo": SVC.echo, "add": SVC.add, "upper": SVC.upper}


# --- servers: start(ctx, cpu) -> (call(op) -> fn, stop()) --------------------

class Ctx:
    """Names for one measurement, and what to remove afterwards."""

    counter = 0

    def __init__(self, tmpdir: str, mask) -> None:
        Ctx.counter += 1
        self.tag = f"{os.getpid()}-{Ctx.counter}"
        self.tmpdir = tmpdir
        self.mask = mask
        self.urls: List[str] = []

    def cleanup(self) -> None:
        """Whatever a killed server or client left behind (nothing on a
        clean run: the server removes its object, the client its reply
        object, named <request name>.r<pid>-<n>)."""
        for url in self.urls:
            scheme, _, path = url.partition(":")
            prefix = os.path.basename(path)
            where = {"ring": "/dev/shm", "mq": "/dev/mqueue"}.get(scheme)
            names = [prefix]
            if where is not None and os.path.isdir(where):
                names += [n for n in os.listdir(where)
                          if n.startswith(prefix + ".r")]
            for name in names:
                try:
                    ipc.unlink(f"{scheme}:{os.path.dirname(path)}/{name}"
                               if scheme == "unix" else f"{scheme}:/{name}")
                except OSError:
                    pass


def _py_server(url: str, cpu, mask, wfd: int) -> None:
    pin(cpu, mask)
    srv = ipc.rpc.Server(url)
    funcs = dict(FUNCS)
    funcs["stop"] = srv.close            # answered, then serve() returns
    srv.serve(funcs, ready=lambda s: os.write(wfd, b"R"))


class Kind:
    name = ""
    ops = ("echo", "add")

    def available(self, args) -> Optional[str]:
        return None

    def run(self, ctx: Ctx, cpu, op: str, bench: Callable) -> float:
        raise NotImplementedError


class IpcRpc(Kind):
    def __init__(self, scheme: str, ops=("echo", "add")) -> None:
        self.scheme = scheme
        self.name = "rpc-" + scheme
        self.ops = ops

    def url(self, ctx: Ctx) -> str:
        if self.scheme == "unix":
            return f"unix:{ctx.tmpdir}/{ctx.tag}.sock"
        return f"{self.scheme}:/ipc-bench-rpc-{ctx.tag}"

    def spawn(self, ctx: Ctx, url: str, cpu, wfd: int):
        return FORK.Process(target=_py_server, daemon=True,
                            args=(url, cpu, ctx.mask, wfd))

    def run(self, ctx, cpu, op, bench):
        url = self.url(ctx)
        ctx.urls.append(url)
        rfd, wfd = os.pipe()
        proc = proxy = None
        try:
            proc = self.spawn(ctx, url, cpu, wfd)
            proc.start()
            wait_ready(rfd, self._alive(proc), 30, "the server")
            proxy = ipc.rpc.connect(url, timeout=10)
            rate = bench(getattr(proxy, op))
            proxy.stop()
            self._join(proc)
            return rate
        finally:
            if proxy is not None:
                proxy.close()
            self._kill(proc)
            os.close(rfd)
            os.close(wfd)

    @staticmethod
    def _alive(proc):
        return proc.is_alive

    @staticmethod
    def _join(proc) -> None:
        proc.join(10)
        if proc.exitcode != 0:
            raise RuntimeError(f"the server exited with {proc.exitcode}")

    @staticmethod
    def _kill(proc) -> None:
        if proc is not None and proc.is_alive():
            proc.kill()
            proc.join(5)


LUA_SERVER = """\
local ipc = require "ipc"
local s = assert(ipc.rpc.server(arg[1]))
local funcs = {
  echo = function(x) return x end,
  add = function(a, b) return a + b end,
  upper = function(m) return (m:upper()) end,
  stop = function() s:close() end,
}
io.stdout:write("R"); io.stdout:flush()
assert(s:serve(funcs))
"""


class LuaRing(IpcRpc):
    """ipc.rpc.serve in lua5.4, called from Python over ring:."""

    def __init__(self) -> None:
        super().__init__("ring")
        self.name = "lua-ring"
        self.lua = shutil.which("lua5.4")

    def available(self, args):
        if self.lua is None:
            return "no lua5.4"
        env = self.env(args)
        r = subprocess.run([self.lua, "-e", 'require "ipc"'], env=env,
                           capture_output=True)
        return None if r.returncode == 0 else "no Lua ipc module"

    def env(self, args):
        env = dict(os.environ)
        if args.lua_cpath:
            env["LUA_CPATH"] = args.lua_cpath
        return env

    def run(self, ctx, cpu, op, bench):
        self.args_env = self.env(self.bench_args)
        return super().run(ctx, cpu, op, bench)

    def spawn(self, ctx, url, cpu, wfd):
        script = os.path.join(ctx.tmpdir, "server.lua")
        if not os.path.exists(script):
            with open(script, "w") as f:
                f.write(LUA_SERVER)
        mask = ctx.mask if cpu is None else {cpu}
        return _Popen([self.lua, script, url], wfd, self.args_env,
                      lambda: os.sched_setaffinity(0, mask))


class _Popen:
    """A subprocess with multiprocessing.Process's few methods; its stdout
    (one "R" when ready) goes to wfd."""

    def __init__(self, argv, wfd, env, preexec) -> None:
        self.argv, self.wfd, self.env, self.preexec = argv, wfd, env, preexec
        self.p: Optional[subprocess.Popen] = None

    def start(self) -> None:
        self.p = subprocess.Popen(self.argv, stdout=self.wfd, env=self.env,
                                  preexec_fn=self.preexec)

    def is_alive(self) -> bool:
        return self.p is not None and self.p.poll() is None

    def join(self, timeout) -> None:
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            pass

    @property
    def exitcode(self):
        return self.p.poll()

    def kill(self) -> None:
        self.p.kill()


class _Mgr(BaseManager):
    pass


_Mgr.register("Service", Service)


class MpManager(Kind):
    name = "mp-manager"
    ops = ("echo", "add", "upper")

    def run(self, ctx, cpu, op, bench):
        mgr = _Mgr(ctx=FORK)
        mgr.start(initializer=pin, initargs=(cpu, ctx.mask))
        try:
            svc = mgr.Service()
            rate = bench(getattr(svc, op))
            del svc
            return rate
        finally:
            mgr.shutdown()


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = sock.recv(n, socket.MSG_WAITALL)
    while len(data) < n:
        more = sock.recv(n - len(data), socket.MSG_WAITALL)
        if not more:
            raise EOFError("the peer closed the socket")
        data += more
    return data


def _sock_server(sock: socket.socket, cpu, mask, wfd: int) -> None:
    pin(cpu, mask)
    os.write(wfd, b"R")
    recv, loads, dumps, pack = _recv_exact, pickle.loads, pickle.dumps, \
        HDR.pack
    while True:
        try:
            name, args = loads(recv(sock, HDR.unpack(recv(sock, 4))[0]))
        except EOFError:
            return
        res = None if name == "stop" else FUNCS[name](*args)
        p = dumps(res, pickle.HIGHEST_PROTOCOL)
        sock.sendall(pack(len(p)) + p)
        if name == "stop":
            return


class SockRpc(Kind):
    name = "sock-rpc"
    ops = ("echo", "add", "upper")

    def run(self, ctx, cpu, op, bench):
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        rfd, wfd = os.pipe()
        proc = None
        try:
            proc = FORK.Process(target=_sock_server, daemon=True,
                                args=(b, cpu, ctx.mask, wfd))
            proc.start()
            b.close()
            wait_ready(rfd, proc.is_alive, 30, "the server")
            recv, loads, dumps, pack, unpack = (_recv_exact, pickle.loads,
                                                pickle.dumps, HDR.pack,
                                                HDR.unpack)

            def call(name, *args):
                p = dumps((name, args), pickle.HIGHEST_PROTOCOL)
                a.sendall(pack(len(p)) + p)
                return loads(recv(a, unpack(recv(a, 4))[0]))

            rate = bench(lambda *args: call(op, *args))
            call("stop")
            IpcRpc._join(proc)
            return rate
        finally:
            a.close()
            b.close()
            IpcRpc._kill(proc)
            os.close(rfd)
            os.close(wfd)


class NativeInproc(Kind):
    """ipc.native in this process: the reference for the stage's work."""
    name = "native-inproc"
    ops = ("upper",)

    def available(self, args):
        if not args.stages or not os.path.exists(args.stages):
            return "no stage library (--stages)"
        return None

    def run(self, ctx, cpu, op, bench):
        out = bytearray(64)
        with ipc.native(self.lib, "ipc_stage_upper", "long(buf,buf)") as up:
            if up(LINE, out) != 64 or bytes(out) != LINE.upper():
                raise RuntimeError("ipc_stage_upper gave a wrong result")
            return bench(lambda m: up(m, out), check=False)


# --- pipelines through `ipc run` ---------------------------------------------

SRC_LUA = """\
local ipc = require "ipc"
local n, line = tonumber(arg[1]), arg[2]
local out = assert(ipc.endpoint("out", 10))
local send = out.send
for _ = 1, n do assert(send(out, line, 10)) end
out:close()
"""

SINK_LUA = """\
local ipc = require "ipc"
local inp = assert(ipc.endpoint("in", 10))
local recv = inp.recv
local n, first = 0, nil
while true do
  local m = assert(recv(inp, 30))
  if m == "" then break end
  if not first then first = m end
  n = n + 1
end
inp:close()
local f = assert(io.open(arg[1], "w"))
f:write(n, " ", first or "", "")
f:close()
"""


class Stage(Kind):
    """N messages through a native stage, end to end."""
    ops = ("upper",)

    def __init__(self, via: str) -> None:
        self.via = via
        self.name = "stage-" + via

    def available(self, args):
        if not args.ipc or not os.access(args.ipc, os.X_OK):
            return "no ipc binary (--ipc)"
        if not args.stages or not os.path.exists(args.stages):
            return "no stage library (--stages)"
        return None

    def config(self, ctx: Ctx, n: int, out: str) -> str:
        lib = self.bench_args.stages
        native = (f'native = {{ lib = "{lib}", fn = "ipc_stage_upper", '
                  f'sig = "long(buf,buf)" }}')
        if self.via == "pipe":
            data = os.path.join(ctx.tmpdir, f"lines-{n}")
            if not os.path.exists(data):
                with open(data, "wb") as f:
                    f.write(LINE * n)
            stages = (f'src = {{ cmd = {{"cat", "{data}"}} }},\n'
                      f'  up = {{ {native} }},\n'
                      f'  sink = {{ cmd = {{"sh", "-c", "wc -c > {out}"}} }},')
            links = ('{ "src.stdout", "up.in", framing = "lines" },\n'
                     '  { "up.out", "sink.stdin", framing = "lines" },')
        else:
            for name, text in (("src.lua", SRC_LUA), ("sink.lua", SINK_LUA)):
                path = os.path.join(ctx.tmpdir, name)
                if not os.path.exists(path):
                    with open(path, "w") as f:
                        f.write(text)
            stages = (f'src = {{ lua = "src.lua", args = {{"{n}", '
                      f'"{LINE.decode()[:-1]}\\n"}} }},\n'
                      f'  up = {{ {native} }},\n'
                      f'  sink = {{ lua = "sink.lua", args = {{"{out}"}} }},')
            links = ('{ "src.out", "up.in", via = "ring" },\n'
                     '  { "up.out", "sink.in", via = "ring" },')
        path = os.path.join(ctx.tmpdir, f"{self.name}.lua")
        with open(path, "w") as f:
            f.write(f'return {{\n  name = "benchrpc",\n  stages = {{\n  '
                    f'{stages}\n  }},\n  links = {{\n  {links}\n  }},\n}}\n')
        return path

    def check(self, out: str, n: int) -> None:
        with open(out, "rb") as f:
            got = f.read()
        os.unlink(out)
        if self.via == "pipe":
            ok = int(got.split()[0]) == 64 * n
        else:
            count, _, first = got.partition(b" ")
            ok = int(count) == n and first == LINE.upper()
        if not ok:
            raise RuntimeError(f"{self.name}: wrong output {got[:80]!r} "
                               f"for {n} messages")

    def run(self, ctx, cpu, op, bench):
        n = self.bench_args.messages
        out = os.path.join(ctx.tmpdir, f"{self.name}.out")
        cfg = self.config(ctx, n, out)
        dt = run_host(self.bench_args.ipc, cfg, cpu, ctx)
        self.check(out, n)
        return n / dt


def run_host(ipc_bin: str, cfg: str, cpu, ctx: Ctx) -> float:
    mask = ctx.mask if cpu is None else {cpu}
    t0 = perf_ns()
    r = subprocess.run([ipc_bin, "run", "--quiet", cfg], cwd=ctx.tmpdir,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       preexec_fn=lambda: os.sched_setaffinity(0, mask),
                       timeout=300)
    dt = (perf_ns() - t0) / 1e9
    if r.returncode != 0:
        raise RuntimeError(f"ipc run exited with {r.returncode}: "
                           f"{r.stderr.decode(errors='replace')[-400:]}")
    return dt


class StartHost(Stage):
    """`ipc run` of a one-stage config running `true`: the fixed cost
    included in every stage-* figure (seconds, not a rate)."""
    name = "start-host"

    def __init__(self) -> None:
        self.via = ""

    def run(self, ctx, cpu, op, bench):
        cfg = os.path.join(ctx.tmpdir, "nop.lua")
        with open(cfg, "w") as f:
            f.write('return { stages = { a = { cmd = {"true"} } }, '
                    'links = {} }\n')
        return run_host(self.bench_args.ipc, cfg, cpu, ctx)


A_KINDS: List[Kind] = [IpcRpc("ring", ("echo", "add", "upper")),
                       IpcRpc("mq"), IpcRpc("unix"), LuaRing(), MpManager(),
                       SockRpc()]
B_KINDS: List[Kind] = [Stage("pipe"), Stage("ring"), NativeInproc(),
                       StartHost()]
KINDS = A_KINDS + B_KINDS
SINGLE = {"stage-pipe", "stage-ring", "native-inproc", "start-host"}


# --- the timed loop ----------------------------------------------------------

def make_bench(op: str, dur_ns: int, max_calls: int):
    args, want = OPS[op]

    def bench(fn, check=True) -> float:
        if check:
            got = fn(*args)
            if got != want:
                raise RuntimeError(f"{op}{args!r} gave {got!r}")
        end = perf_ns() + dur_ns // 10
        while perf_ns() < end:
            fn(*args)
        n = 0
        t0 = perf_ns()
        end = t0 + dur_ns
        while n < max_calls:
            for _ in range(16):
                fn(*args)
            n += 16
            if perf_ns() >= end:
                break
        return n / ((perf_ns() - t0) / 1e9)
    return bench


def measure(kind: Kind, op: str, placement: str, cpus, mask, tmpdir: str,
            dur_ns: int, max_calls: int) -> float:
    ccpu = scpu = None
    if placement == "same":
        ccpu = scpu = cpus[0]
    elif placement == "split":
        ccpu, scpu = cpus[0], cpus[1]
    ctx = Ctx(tmpdir, mask)
    signal.alarm(int(60 + 50 * dur_ns / 1e9))
    try:
        pin(ccpu, mask)
        return kind.run(ctx, scpu, op, make_bench(op, dur_ns, max_calls))
    finally:
        signal.alarm(0)
        pin(None, mask)
        ctx.cleanup()


# --- the run -----------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: one repetition, a few thousand calls")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--time", type=int, default=300,
                    help="milliseconds per RPC measurement (default 300)")
    ap.add_argument("--messages", type=int, default=500_000,
                    help="messages per pipeline run (default 500000)")
    ap.add_argument("--ipc", default=os.environ.get("IPC_HOST_BIN"),
                    help="the ipc binary (for the stage-* kinds)")
    ap.add_argument("--stages", default=os.environ.get("IPC_STAGES_LIB"),
                    help="libipc_stages.so (IPC_STAGES_LIB)")
    ap.add_argument("--lua-cpath", default=None,
                    help="LUA_CPATH for lua5.4 (default: the environment's)")
    ap.add_argument("--kinds", help="comma-separated subset of: " +
                    ",".join(k.name for k in KINDS))
    ap.add_argument("--placements", default=",".join(PLACEMENTS))
    args = ap.parse_args()

    max_calls = 1 << 62
    if args.quick:
        args.reps, args.time, max_calls = 1, 50, 2000
        args.messages = 5000
    kinds = KINDS
    if args.kinds:
        want = args.kinds.split(",")
        unknown = set(want) - {k.name for k in KINDS}
        if unknown:
            ap.error(f"unknown kinds: {', '.join(sorted(unknown))}")
        kinds = [k for k in KINDS if k.name in want]
    # The pipelines run in a directory of their own.
    for name in ("ipc", "stages"):
        if getattr(args, name):
            setattr(args, name, os.path.abspath(getattr(args, name)))
    for k in kinds:
        k.bench_args = args
        k.lib = args.stages
    mask = os.sched_getaffinity(0)
    cpus = sorted(mask)
    placements = benchlib.placements(args.placements, cpus)
    dur_ns = args.time * 1_000_000

    install_watchdog()

    print(f"# bench_rpc: Python {sys.version.split()[0]}, ipc "
          f"{ipc.__version__}, {len(cpus)} CPUs, load "
          f"{os.getloadavg()[0]:.2f}, {args.reps} reps of {args.time} ms, "
          f"{args.messages} messages per pipeline"
          f"{' (quick)' if args.quick else ''}", flush=True)

    skipped: Dict[str, str] = {}
    for k in kinds:
        why = k.available(args)
        if why:
            skipped[k.name] = why
            print(f"# skipped {k.name}: {why}", flush=True)

    # Unique, and caught by the suite's leak check if ever left behind.
    tmpdir = f"/tmp/ipc-test-bench-rpc-{os.getpid()}"
    os.mkdir(tmpdir, 0o700)
    results: Dict[Tuple[str, str, str], List[float]] = {}
    failed: Dict[Tuple[str, str, str], str] = {}
    try:
        jobs = [(k, op, p) for op in OPS for p in placements for k in kinds
                if op in k.ops and k.name not in skipped
                and not (p == "split" and k.name in SINGLE)]
        for rep in range(args.reps):
            for k, op, p in (jobs if rep % 2 == 0 else jobs[::-1]):
                if (k.name, op, p) in failed:
                    continue
                try:
                    v = measure(k, op, p, cpus, mask, tmpdir, dur_ns,
                                max_calls)
                except (Exception, Hang) as e:
                    failed[(k.name, op, p)] = f"{type(e).__name__}: {e}"
                    traceback.print_exc()
                    print(f"FAIL kind={k.name} op={op} placement={p} "
                          f"status=fail", flush=True)
                    continue
                results.setdefault((k.name, op, p), []).append(v)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)

    med = {key: statistics.median(v) for key, v in results.items()}
    report(kinds, placements, med)
    return 1 if failed else 0


def fmt(v: Optional[float], base: Optional[float]) -> str:
    if v is None:
        return "n/a"
    s = f"{v / 1e3:.1f}k ({1e6 / v:.1f} us)"
    if base:
        s += f" {v / base:.2f}x"
    return s


BASES = ("mp-manager", "sock-rpc")


def report(kinds, placements, med) -> None:
    titles = {"echo": "A. echo(64 B bytes): round trips/s (us each), "
                      "x mp-manager",
              "add": "A. add(2, 3): round trips/s (us each), x mp-manager",
              "upper": "B. upper-casing 64-byte messages: messages (calls)/s "
                       "(us each), x mp-manager"}
    for op, title in titles.items():
        rows = [k for k in kinds if op in k.ops and k.name != "start-host"]
        if not rows:
            continue
        print(f"\n#### {title}\n")
        print("| kind | " + " | ".join(placements) + " |")
        print("|---|" + "---|" * len(placements))
        for k in rows:
            cells = [fmt(med.get((k.name, op, p)),
                         med.get(("mp-manager", op, p))) for p in placements]
            print(f"| {k.name} | " + " | ".join(cells) + " |")
    for p in placements:
        v = med.get(("start-host", "upper", p))
        if v is not None:
            print(f"\nstart-up of `ipc run` (one `true` stage), {p}: "
                  f"{v * 1e3:.1f} ms (included in the stage-* figures)")
    print()
    for (kind, op, p), v in sorted(med.items()):
        metric = "seconds" if kind == "start-host" else f"{op}_calls_s"
        line = (f"RESULT kind={kind} metric={metric} placement={p} "
                f"value={v:.6g}")
        base = med.get((BASES[0], op, p))
        if base and kind not in BASES and kind != "start-host":
            line += f" ratio_vs={BASES[0]} ratio={v / base:.4f}"
        print(line)
    # No numeric target exists for these (PERFORMANCE.md): the ratios are
    # printed as figures, never PASS/MISS.
    print()
    for (kind, op, p), v in sorted(med.items()):
        if kind in BASES or kind == "start-host":
            continue
        for b in BASES:
            base = med.get((b, op, p))
            if base:
                print(f"TARGET name={kind}_{op}_vs_{b}_{p} "
                      f"value={v / base:.4f} op=none limit=none FIGURE")


if __name__ == "__main__":
    sys.exit(main())
