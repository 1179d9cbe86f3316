#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""native_libm - call C functions from libm and libc by name, with no
binding written for them: ipc.native(library, symbol, signature) looks the
symbol up and calls it through libffi, converting Python values by the
signature (docs/native.md).

    python3 native_libm.py          prints a few results, exits 0 when
                                    they are right
"""

import math
import sys

import ipc


def main() -> int:
    # "double(double)": one C double in, one out. The C names (int, long,
    # size_t, double, char*) and the grammar's (i32, i64, u64, f64, str)
    # are the same types; .signature shows the canonical form.
    with ipc.native("libm.so.6", "cos", "double(double)") as cos, \
            ipc.native("libm.so.6", "pow", "double(double, double)") as pw, \
            ipc.native("libc.so.6", "strlen", "size_t(char*)") as strlen, \
            ipc.native("libc.so.6", "getenv", "char*(char*)") as getenv:
        print(f"{cos.name} {cos.signature}: cos(pi) = {cos(math.pi)}")
        print(f"pow(2, 10) = {pw(2, 10)}")           # ints go as doubles
        word = "caf\u00e9"
        print(f"strlen({word!r}) = {strlen(word)} bytes of UTF-8")
        print(f"getenv('IPC_NO_SUCH_VARIABLE') = "
              f"{getenv('IPC_NO_SUCH_VARIABLE')}")  # NULL -> None
        ok = (cos(math.pi) == -1.0 and pw(2, 10) == 1024.0 and
              strlen(word) == 5 and
              getenv("IPC_NO_SUCH_VARIABLE") is None)

        # The signature is checked before anything is called: a value of
        # the wrong type, the wrong count or out of range never reaches C.
        try:
            cos("zero")
        except TypeError as e:
            print("refused:", e)
        with ipc.native("libc.so.6", "abs", "int(int)") as abs_:
            try:
                abs_(2**31)
            except OverflowError as e:
                print("refused:", e)

    # A missing symbol is an ordinary FileNotFoundError, with dlerror's
    # words in it.
    try:
        ipc.native("libm.so.6", "no_such_function", "double(double)")
        ok = False
    except FileNotFoundError as e:
        print("not found:", e.strerror)
    print("ok" if ok else "WRONG")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
