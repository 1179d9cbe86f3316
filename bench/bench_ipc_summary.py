#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Median of several bench_ipc runs, as Markdown tables.

    for i in 1 2 3 4 5; do build/bench/bench_ipc > run$i.txt; done
    bench/bench_ipc_summary.py run*.txt

Reads the RESULT and TARGET lines of each run, takes for every figure the
median over the runs, and prints one table per metric (placements as
columns), the targets with the median ratio, the range over the runs and
PASS/MISS on the median, and the wrapped kinds against their raw mechanism.
Ratios are taken within each run first (PERFORMANCE.md: only ratios within
one run mean anything), then the median over the runs.
"""
import re
import statistics
import sys

PLACEMENTS = ["same", "split", "unpinned"]
METRICS = [
    ("rtt64_p50_ns", "64 B round trip p50, us", 1e-3, "{:.2f}"),
    ("rtt64_p99_ns", "64 B round trip p99, us", 1e-3, "{:.1f}"),
    ("tput64_msg_s", "64 B one way, million msg/s", 1e-6, "{:.2f}"),
    ("tput64k_MB_s", "64 KiB one way, MB/s", 1, "{:.0f}"),
    ("tput1m_MB_s", "1 MiB one way, MB/s", 1, "{:.0f}"),
]
KV = re.compile(r"(\w+)=(\S+)")


def main(paths):
    values = {}   # (kind, metric, placement) -> [value per run]
    ratios = {}   # (kind, metric, placement, vs) -> [ratio per run]
    targets = {}  # name -> (op, limit, [value per run])
    kinds = []
    for path in paths:
        with open(path) as f:
            for line in f:
                if line.startswith("RESULT "):
                    d = dict(KV.findall(line))
                    if d.get("value", "nan") == "nan":
                        continue
                    key = (d["kind"], d["metric"], d["placement"])
                    if d["kind"] not in kinds:
                        kinds.append(d["kind"])
                    values.setdefault(key, []).append(float(d["value"]))
                    if "ratio" in d:
                        ratios.setdefault(key + (d["ratio_vs"],), []).append(
                            float(d["ratio"]))
                elif line.startswith("TARGET "):
                    d = dict(KV.findall(line))
                    if d["value"] == "nan":
                        continue
                    t = targets.setdefault(d["name"], (d["op"], float(d["limit"]), []))
                    t[2].append(float(d["value"]))
    print(f"Median of {len(paths)} runs.\n")
    for metric, title, scale, fmt in METRICS:
        print(f"#### {title}\n")
        print("| kind | " + " | ".join(PLACEMENTS) + " |")
        print("|---|" + "---|" * len(PLACEMENTS))
        for k in kinds:
            cells = []
            for p in PLACEMENTS:
                v = values.get((k, metric, p))
                cells.append(fmt.format(statistics.median(v) * scale) if v else "–")
            if all(c == "–" for c in cells):
                continue
            print(f"| {k} | " + " | ".join(cells) + " |")
        print()
    print("#### Targets (median ratio over the runs, range in brackets)\n")
    print("| target | median | range | limit | verdict |")
    print("|---|---|---|---|---|")
    for name, (op, limit, vals) in targets.items():
        m = statistics.median(vals)
        ok = m <= limit if op == "<=" else m >= limit
        print(f"| {name} | {m:.3f} | {min(vals):.2f}–{max(vals):.2f} | "
              f"{op} {limit:g} | {'PASS' if ok else 'MISS'} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: bench_ipc_summary.py RUN.txt...")
    main(sys.argv[1:])
