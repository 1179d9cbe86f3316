#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus of fuzz_frame (core/fuzz/corpus/frame/).

Run by hand from the repository root; the output is committed:

    python3 core/fuzz/gen_frame_seeds.py core/fuzz/corpus/frame

The input layout is described at the top of fuzz_frame.c. The seeds cover
RELIABILITY.md F10: lengths 0, 1, limit, limit + 1 and 2^32 - 1, a header
split at every byte boundary (chunks of 1), end of stream inside a header
and inside a payload, frames around the 64 KiB read-ahead and the direct
read into the caller's buffer, every receive mode, pipes and sockets.
"""
import os
import struct
import sys

PIPE, RECV, BORROW, BOTH, SHORT, PROGRAM, RT_PIPE = 1, 0, 2, 4, 6, 8, 16


def limit_code(limit=None, scale=None, m=None):
    """The two limit bytes: scale 0..3 and m as fuzz_frame.c reads them."""
    if limit is not None:
        if limit < 0x4000:
            scale, m = 0, limit
        elif limit % 16 == 0 and limit >> 4 < 0x4000:
            scale, m = 1, limit >> 4
        elif limit % 64 == 0 and limit >> 6 < 0x4000:
            scale, m = 2, limit >> 6
        elif 65528 <= limit < 65528 + 16:
            scale, m = 3, limit - 65528
        else:
            raise ValueError(limit)
    return struct.pack("<H", scale << 14 | m)


def seed(mode, limit, chunks=(0, 0, 0, 0), small=16, rt_len=0, body=b""):
    return (bytes([mode]) + limit_code(limit) + bytes(chunks) +
            bytes([small]) + struct.pack("<H", rt_len // 4) + body)


def frame(payload):
    return struct.pack("<I", len(payload)) + payload


def hdr(n):
    return struct.pack("<I", n)


def lit(data):
    """Stream-program literals."""
    out = b""
    for i in range(0, len(data), 128):
        part = data[i:i + 128]
        out += bytes([len(part) - 1]) + part
    return out


def run(n, value):
    """Stream-program run of @n bytes of @value."""
    return bytes([0x80 | n >> 16]) + struct.pack("<H", n & 0xffff) + \
        bytes([value])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "core/fuzz/corpus/frame"
    os.makedirs(out, exist_ok=True)
    hello = frame(b"hello") + frame(b"") + frame(b"world!")
    seeds = {
        "empty-stream": seed(RECV, 100),
        "three-frames": seed(RECV, 100, body=hello),
        "three-frames-borrow-pipe": seed(BORROW | PIPE, 100, body=hello),
        "three-frames-both-bytewise": seed(BOTH, 100, (1, 1, 1, 1),
                                           body=hello),
        "three-frames-short-buffer": seed(SHORT, 100, (1, 2, 3, 4), 3,
                                          body=hello),
        "zero-length-many": seed(RECV | PIPE, 16, (3, 5, 7, 1),
                                 body=hdr(0) * 40),
        "length-1": seed(BOTH, 1, (1, 1, 1, 1), body=frame(b"x") * 3),
        "length-at-limit": seed(RECV, 8, (5, 5, 5, 5),
                                body=frame(b"12345678") + frame(b"")),
        "length-over-limit": seed(RECV, 8, (2, 2, 2, 2),
                                  body=frame(b"ok") + frame(b"123456789")),
        "length-max-u32": seed(BORROW, 1000, body=frame(b"a") +
                               hdr(0xffffffff) + b"zz"),
        "length-max-u32-default-limit": seed(RECV, 0, (1, 1, 1, 1),
                                             body=hdr(0xffffffff)),
        "cut-header": seed(RECV, 100, (1, 1, 1, 1),
                           body=frame(b"abc") + b"\x05\x00"),
        "cut-payload": seed(BOTH | PIPE, 100, (3, 3, 3, 3),
                            body=frame(b"abc") + hdr(10) + b"12345"),
        "cut-payload-short-buffer": seed(SHORT, 100, (4, 4, 4, 4), 2,
                                         body=hdr(50) + b"x" * 20),
        "header-split-chunks": seed(RECV, 300, (1, 2, 3, 255),
                                    body=frame(bytes(range(200))) * 3),
        "big-chunks-socket": seed(BOTH, 4096, (0, 0, 255, 255),
                                  body=(frame(b"q" * 1000) +
                                        frame(b"")) * 3),
        "limit-near-read-ahead": seed(
            PROGRAM, 65528 + 4, (0, 0, 0, 0),
            body=lit(hdr(65532)) + run(65532, 0x41) + lit(hdr(0))),
        "direct-read-70000": seed(
            PROGRAM | PIPE, 1048512, (0, 255, 0, 7),
            body=lit(hdr(70000)) + run(70000, 0x5a) + lit(frame(b"tail"))),
        "direct-read-cut": seed(
            PROGRAM, 1048512, (0, 0, 0, 0),
            body=lit(hdr(200000)) + run(150000, 0x33)),
        "direct-read-short-buffer": seed(
            PROGRAM | SHORT, 1 << 18, (255, 0, 1, 0), 200,
            body=lit(hdr(100000)) + run(100000, 7) + lit(frame(b"z" * 300))),
        "big-then-over-limit": seed(
            PROGRAM | BORROW, 1 << 17, (0, 0, 0, 0),
            body=lit(hdr(80000)) + run(80000, 1) + lit(hdr((1 << 17) + 1))),
        "many-small-program": seed(
            PROGRAM | BOTH | PIPE, 64, (7, 11, 13, 17),
            body=lit((frame(b"0123456789") + frame(b"")) * 20)),
        "roundtrip-big-socket": seed(RECV, 1048512, rt_len=200000,
                                     body=frame(b"seed")),
        "roundtrip-big-pipe": seed(RT_PIPE | BORROW, 1048512, rt_len=100000,
                                   body=frame(b"pipe")),
        "roundtrip-over-limit": seed(RT_PIPE, 100, rt_len=400,
                                     body=frame(b"x" * 50)),
        "roundtrip-4096": seed(RT_PIPE, 8192, rt_len=4092,
                               body=frame(b"atomic")),
        "roundtrip-limit-edge": seed(RECV, 65528 + 8, rt_len=65536,
                                     body=b"\x01\x02"),
        "junk-no-frames": seed(BOTH, 200, (9, 9, 9, 9),
                               body=bytes(range(256))),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(data)
    print(f"{len(seeds)} seeds in {out}")


if __name__ == "__main__":
    main()
