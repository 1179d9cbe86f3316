"""What the Python benchmarks share (bench_python.py, bench_rpc.py): the
watchdog, CPU pinning, the start-up handshake with a child, and the
placements a machine can run."""
import os
import select
import signal
import time
from typing import Callable, List, Optional


class Hang(Exception):
    """The watchdog fired: a measurement did not finish in time."""


def pin(cpu: Optional[int], mask) -> None:
    """Run on @cpu alone, or on the whole @mask again (cpu None)."""
    os.sched_setaffinity(0, mask if cpu is None else {cpu})


def wait_ready(fd: int, alive: Callable[[], bool], limit: float,
               who: str = "the child") -> None:
    """Wait up to @limit seconds for @who to write b"R" on @fd (anything
    else means it could not start); fail early when it is no longer
    alive()."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            if os.read(fd, 1) != b"R":
                raise RuntimeError(f"{who} could not start")
            return
        if not alive():
            raise RuntimeError(f"{who} exited before it was ready")
    raise Hang(f"{who} did not get ready")


def install_watchdog() -> None:
    """SIGTERM ends the run (128 + signo, so finally blocks clean up);
    SIGALRM, armed around each measurement, raises Hang."""
    def on_signal(signo, frame):
        raise SystemExit(128 + signo)

    def on_alarm(signo, frame):
        raise Hang("watchdog")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGALRM, on_alarm)


def placements(wanted: str, cpus: List[int]) -> List[str]:
    """The comma-separated placements asked for that this machine can
    run ("split" needs two CPUs)."""
    return [p for p in wanted.split(",") if p != "split" or len(cpus) >= 2]
