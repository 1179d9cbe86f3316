#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""rpc_calc - a calculator served over a channel URL and called from
another process with ipc.rpc (docs/rpc.md). The server's functions are
Python functions and one C function from libm (ipc.native), served alike.

    python3 rpc_calc.py server URL   serve until SIGINT/SIGTERM or a
                                     client calls "shutdown"
    python3 rpc_calc.py client URL   make a few calls, then "shutdown"
    python3 rpc_calc.py [KIND]       demo: the server as a child process,
                                     the client here, over a unix: socket
                                     (or KIND: ring, mq, tcp...); exits 0
                                     on success
"""

import os
import subprocess
import sys
import tempfile

import ipc


def server(url: str) -> int:
    running = []

    def ready(srv: ipc.rpc.Server) -> None:
        running.append(srv)
        print("ready", flush=True)          # the demo waits for this line

    def shutdown() -> str:
        running[0].close()                  # serve() returns after this call
        return "bye"

    with ipc.native("libm.so.6", "sqrt", "double(double)") as sqrt:
        ipc.rpc.serve(url, {
            "add": lambda a, b: a + b,
            "div": lambda a, b: a / b,
            "stats": lambda xs: {"n": len(xs), "sum": sum(xs)},
            "sqrt": sqrt,
            "shutdown": shutdown,
        }, ready=ready)
    return 0


def client(url: str) -> int:
    with ipc.rpc.connect(url, timeout=10) as calc:
        print("add(2, 3) =", calc.add(2, 3))
        print("sqrt(2) =", calc.sqrt(2.0))
        print("stats([1, 2, 3.5]) =", calc.stats([1, 2, 3.5]))
        try:
            calc.div(1, 0)
        except ipc.rpc.RemoteError as e:
            print("div(1, 0) failed remotely:", e)
        ok = calc.add(2, 3) == 5 and calc.stats([1, 2]) == {"n": 2, "sum": 3}
        # "close" would be the proxy's own method; call() reaches any name
        print("shutdown:", calc.call("shutdown"))
    return 0 if ok else 1


def demo(kind: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        if kind in ("unix", "unixpacket", "fifo"):
            url = f"{kind}:{tmp}/calc"
        elif kind == "tcp":
            url = f"tcp://127.0.0.1:{40000 + os.getpid() % 20000}"
        elif kind == "sysvmq":
            url = f"sysvmq:{0x52000000 | (os.getpid() & 0xffff):#x}"
        else:
            url = f"{kind}:/rpc-calc-{os.getpid()}"
        with subprocess.Popen([sys.executable, __file__, "server", url],
                              stdout=subprocess.PIPE) as srv:
            if srv.stdout.readline() != b"ready\n":
                print("the server did not start", file=sys.stderr)
                srv.kill()
                return 1
            try:
                client_code = client(url)
            except BaseException:
                srv.terminate()             # serve() returns on SIGTERM
                raise
            server_code = srv.wait(timeout=30)
    print("client exited with", client_code, "server with", server_code)
    return client_code or server_code


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["server"] and len(args) == 2:
        sys.exit(server(args[1]))
    if args[:1] == ["client"] and len(args) == 2:
        sys.exit(client(args[1]))
    if len(args) <= 1 and not (args and args[0].startswith("-")):
        sys.exit(demo(args[0] if args else "unix"))
    sys.exit(__doc__)
