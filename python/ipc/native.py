# SPDX-License-Identifier: MIT
"""C functions from shared libraries, called through libffi by signature.

``ipc.native("libm.so.6", "cos", "double(double)")(0.0) == 1.0``. The
signature grammar, the checks (count, type, range) and the call are the
core's (ipc_native_*, docs/native.md); this module only holds the handle
and hands the arguments over. Conversions, by the signature's types:

- i8 .. i64, u8 .. u64: an int (OverflowError when it does not fit);
- f32, f64: a float or an int (f32: OverflowError beyond its range);
- ptr: an int address, or None for NULL; a ptr result is an int;
- str: a str (passed as UTF-8), bytes, or None for NULL; a str result is
  a str (undecodable bytes as surrogate escapes), None for NULL;
- buf: any bytes-like object, passed as pointer and length; a writable
  one (bytearray, writable memoryview) can receive output;
- void: the result is None.

Trust: the function runs in this process with whatever the signature
lets through; a wrong signature or a bad pointer crashes the interpreter.
"""

from __future__ import annotations

import errno
import os
from typing import Any, Union

from . import _core
from ._util import Handle

__all__ = ["native", "NativeFunction"]

_call = _core.py_native_call


class NativeFunction(Handle):
    """A C function looked up by name, callable with Python values.

    ``NativeFunction(lib, name, signature)``: lib is a shared library as
    dlopen(3) takes it ("libm.so.6", a path), or None for the program
    and the libraries already loaded. FileNotFoundError (with dlerror's
    text) when the library or the symbol is missing, ValueError when the
    signature does not parse. Calling it with the wrong number of
    arguments or a value of the wrong type raises TypeError. The library
    stays loaded until close().
    """

    __slots__ = ("_name", "_sig")
    _kind = "native function"
    _close_fn = staticmethod(_core.native_close)

    def __init__(self, lib: Union[str, bytes, os.PathLike, None], name: str,
                 signature: str) -> None:
        super().__init__(None)
        if lib is not None:
            lib = os.fsdecode(lib)
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, not "
                            f"{type(name).__name__}")
        if not isinstance(signature, str):
            raise TypeError(f"signature must be a str such as "
                            f"'double(double)', not "
                            f"{type(signature).__name__}")
        self._name = name
        try:
            self._h = _core.native_open(lib, name, signature)
        except FileNotFoundError as e:
            if e.filename is None:
                e.filename = lib if lib is not None else name
            raise
        except OSError as e:
            if e.errno != errno.E2BIG:
                raise
            # too many arguments: a signature like any other bad one
            raise ValueError(f"{signature!r}: more than "
                             f"{_core.IPC_NATIVE_MAX_ARGS} arguments") \
                from None
        self._sig = _core.py_native_signature(self._h)

    def __call__(self, *args: Any) -> Any:
        """Call the function (the GIL is released during the call)."""
        return _call(self._handle(), self._name, args)

    @property
    def name(self) -> str:
        """The symbol's name."""
        return self._name

    @property
    def signature(self) -> str:
        """The signature in canonical form, e.g. "f64(f64)"."""
        return self._sig

    def _describe(self) -> str:
        return f"{self._name} {self._sig}"


def native(lib: Union[str, bytes, os.PathLike, None], name: str,
           signature: str) -> NativeFunction:
    """Look up @name in shared library @lib and return a callable that
    converts its arguments by @signature ("RET(ARG,...)", types void i8
    i16 i32 i64 u8 u16 u32 u64 f32 f64 ptr str buf, with the aliases int
    long size_t float double char*): ``ipc.native("libm.so.6", "cos",
    "double(double)")(0.0) == 1.0``. See NativeFunction."""
    return NativeFunction(lib, name, signature)
