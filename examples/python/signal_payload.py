#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""signal_payload - signals that carry a value, received as data.

The parent opens a SignalSet of {RTMIN+1, USR1}: they are blocked and
read from a signalfd, so no handler runs and nothing is lost between
checks. A child (this script started again) queues RTMIN+1 three times
with the payloads 1, 2, 3 (sigqueue: real-time signals queue, in order,
each with its value) and sends one plain USR1 (kill: no payload). The
parent prints each signal with its sender.

Of several pending signals the lowest number is read first: USR1 (10)
comes before RTMIN+1 (35) even though it was sent last. Standard signals
such as USR1 coalesce while pending: send numbers with real-time
signals, and events, not data, with any of them.

    python3 signal_payload.py          # exits 0 on success
"""

import os
import sys

import ipc


def child() -> int:
    parent = os.getppid()
    for value in (1, 2, 3):
        ipc.send_signal(parent, "RTMIN+1", value=value)
    ipc.send_signal(parent, "USR1")
    return 0


def main() -> int:
    values, hellos = [], 0
    # Open the set before the child exists, so no signal arrives unblocked
    # (USR1 at its default action would end this process).
    with ipc.SignalSet(["RTMIN+1", "USR1"]) as sigs:
        with ipc.spawn([sys.executable, __file__, "child"]) as p:
            while len(values) < 3 or hellos < 1:
                info = sigs.wait(timeout=30)
                if info is None:
                    print("no signal in 30 s", file=sys.stderr)
                    return 1
                how = "sigqueue" if info.code == ipc.signal.CODE_QUEUE \
                    else "kill"
                print(f"{info.name} from pid {info.pid} (uid {info.uid}) "
                      f"by {how}, value {info.value}")
                if info.name == "USR1":
                    hellos += 1
                else:
                    values.append(info.value)
            code = p.wait(timeout=30)
        # Closing unblocks the signals: one still pending would then be
        # delivered at its default action and end the process. Read any
        # stragglers first.
        for info in sigs.drain():
            print("late:", info)
    if values != [1, 2, 3] or code != 0:
        print("unexpected:", values, code, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(child() if sys.argv[1:] == ["child"] else main())
