"""Reads the numbers from "in" until the end of the stream (an empty
message), checks they are 1..N (argv[1]) in order, prints the count and
the sum; exits 1 on any mismatch."""
import sys

import ipc

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
inp = ipc.endpoint("in", 10)
count = total = 0
while True:
    msg = inp.recv(30)
    if msg == b"":
        break
    k = int(msg)
    if k != count + 1:
        print(f"consume: got {k} after {count}", file=sys.stderr)
        sys.exit(1)
    count += 1
    total += k
inp.close()
print(count, total)
if count != n or total != n * (n + 1) // 2:
    print(f"consume: expected {n} messages, got {count}", file=sys.stderr)
    sys.exit(1)
