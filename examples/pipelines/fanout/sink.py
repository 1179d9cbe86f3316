"""Merges the numbers from "input" (both filters), prints how many came
and their sum, and exits 1 unless that is 1..N (argv[1], default 1000)
exactly once each."""
import sys

import ipc

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000

inp = ipc.endpoint("input", 10)
count = total = 0
seen = set()
for msg in inp.messages(30):
    k = int(msg)
    count += 1
    total += k
    seen.add(k)
inp.close()
print(count, total)
if count != n or seen != set(range(1, n + 1)):
    print(f"sink: expected 1..{n} once each, got {count} messages "
          f"({len(seen)} distinct)", file=sys.stderr)
    sys.exit(1)
