# SPDX-License-Identifier: MIT
"""Calling functions in another process over any channel URL.

Server side::

    ipc.rpc.serve("unix:/tmp/calc.sock", {"add": lambda a, b: a + b})

serves until the server is closed (``server.close()`` from a handler or
another thread) or SIGINT/SIGTERM arrives; then it returns normally,
after finishing the call in progress. Client side::

    with ipc.rpc.connect("unix:/tmp/calc.sock", timeout=5) as calc:
        assert calc.add(2, 3) == 5

Values: None, bool, int (-2**63 .. 2**64-1; beyond: OverflowError), float,
str, bytes-like, list/tuple and dict (keys any of these) go across; they
come back as None, bool, int, float, str, bytes, list and dict (a list
used as a dict key comes back as a tuple). The wire format (MessagePack
values in a versioned envelope), the transports per URL kind, the ids
and the size limit are the core's (ipc_rpc_*, docs/rpc.md); this module
translates and runs the serve loop.

A remote function's exception comes back as RemoteError("ExcType:
message"); an unknown name as RemoteError("no such function: name"); a
call that outlives its timeout raises TimeoutError (a late answer is
dropped by the next call).
"""

from __future__ import annotations

import signal
import threading
from typing import Any, Callable, Mapping, Optional

from . import _core
from ._util import Handle, Timeout, check_mode, size_value, with_name

__all__ = ["Server", "serve", "connect", "Proxy", "RemoteError"]

# The serve loop's wait, in seconds: signals are seen at least this often
# even on kinds whose waits are the core's timed sleeps (ring, sysvmq).
_SLICE = 0.05

_recv = _core.py_rpc_server_recv
_reply = _core.py_rpc_server_reply
_reply_error = _core.py_rpc_server_reply_error
_decode = _core.py_rpc_decode
_call = _core.py_rpc_call

# A call's timeout when none is given: the proxy's own.
_PROXY_TIMEOUT: Any = object()


class RemoteError(Exception):
    """The remote function failed; str(err) and err.message are the
    server's message, e.g. "ZeroDivisionError: division by zero"."""

    @property
    def message(self) -> str:
        """The remote message."""
        return str(self.args[0]) if self.args else ""


def _opts(max_message_size: Any, mode: Optional[int]) -> Optional[tuple]:
    mms = size_value(max_message_size, "max_message_size")
    md = 0 if mode is None else check_mode(mode)
    return None if mms == md == 0 else (mms, md)


def _url(url: Any) -> str:
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, not {type(url).__name__}")
    return url


def _message(e: BaseException) -> str:
    text = str(e)
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


class Server(Handle):
    """Serves functions on a channel URL (any kind but udp: and fd:).

    ``Server(url, *, max_message_size=None, mode=None)`` creates what the
    URL names (a listening socket, a ring, a queue, a FIFO) and removes it
    again on close(). serve() answers calls one at a time.
    """

    __slots__ = ("_url", "_limit", "_serving", "_closing", "_done")
    _kind = "rpc server"
    _close_fn = staticmethod(_core.rpc_server_close)

    def __init__(self, url: str, *, max_message_size: Any = None,
                 mode: Optional[int] = None) -> None:
        super().__init__(None)
        self._url = _url(url)
        opts = _opts(max_message_size, mode)
        self._limit = opts[0] if opts is not None else 0
        self._serving: Optional[int] = None
        self._closing = False
        self._done = threading.Event()
        try:
            self._h = _core.rpc_server_open(url, opts)
        except OSError as e:
            raise with_name(e, url) from None

    @property
    def url(self) -> str:
        """The URL served."""
        return self._url

    @property
    def closed(self) -> bool:
        """True once close() has been called."""
        return self._h is None or self._closing

    def _describe(self) -> str:
        return self._url

    def close(self) -> None:
        """Stop serving and release the URL (idempotent).

        From a handler: the server answers the current call, then serve()
        returns. From another thread: waits until serve() has returned
        (at most a call plus 50 ms)."""
        serving = self._serving
        if serving is None:
            super().close()
            return
        self._closing = True
        if serving != threading.get_ident():
            self._done.wait()

    def serve(self, funcs: Mapping[str, Callable[..., Any]], *,
              ready: Optional[Callable[["Server"], Any]] = None) -> None:
        """Answer calls with @funcs (name -> callable: Python functions,
        ipc.native functions...) until close() or SIGINT/SIGTERM.

        ready(server), when given, is called once the server listens.
        In the main thread, SIGINT (while it has Python's default handler)
        and SIGTERM (while it has the default action) are caught during
        serve(): the call in progress is answered, then serve() returns.
        An exception from a function is sent back as the caller's
        RemoteError("ExcType: message") and serving goes on.
        """
        h = self._handle()
        if self._serving is not None:
            raise RuntimeError("this server is serving already")
        for name, fn in funcs.items():
            if not isinstance(name, str) or not callable(fn):
                raise TypeError(f"funcs maps names (str) to callables: "
                                f"{name!r}: {type(fn).__name__}")
        stop: list = []
        restore = _catch_signals(stop)
        self._done.clear()
        self._serving = threading.get_ident()
        try:
            if ready is not None:
                ready(self)
            while not stop and not self._closing:
                req = _recv(h, _SLICE)
                if req is not None:
                    _answer(h, funcs, req, self._limit)
        finally:
            self._serving = None
            restore()
            if self._closing:
                self._closing = False
                super().close()
            self._done.set()


def _answer(h: Any, funcs: Mapping[str, Callable[..., Any]], req: tuple,
            limit: int) -> None:
    method, args, token = req
    try:
        fn = funcs.get(method)
        if fn is None:
            _reply_error(h, token, f"no such function: {method}")
            return
        args = _decode(args)
        if not isinstance(args, list):
            raise TypeError("the arguments are not a list")
        result = fn(*args)
    except Exception as e:  # the caller's error, not ours
        msg = _message(e)
    else:
        try:
            _reply(h, token, result, limit)
            return
        except (TypeError, ValueError, OverflowError, OSError) as e:
            msg = f"{method}: result: {_message(e)}"
    try:
        _reply_error(h, token, msg)
    except OSError:
        pass  # nothing more can be said to this caller


def _catch_signals(stop: list) -> Callable[[], None]:
    """SIGINT/SIGTERM end the serve loop (main thread only); returns what
    puts the previous handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_signal(signo: int, frame: Any) -> None:
        stop.append(signo)

    saved = {}
    for signo, default in ((signal.SIGINT, signal.default_int_handler),
                           (signal.SIGTERM, signal.SIG_DFL)):
        if signal.getsignal(signo) is default:
            saved[signo] = signal.signal(signo, on_signal)

    def restore() -> None:
        for signo, old in saved.items():
            signal.signal(signo, old)
    return restore


def serve(url: str, funcs: Mapping[str, Callable[..., Any]], *,
          ready: Optional[Callable[[Server], Any]] = None,
          max_message_size: Any = None, mode: Optional[int] = None) -> None:
    """Serve @funcs on @url until closed or SIGINT/SIGTERM (see
    Server.serve); the URL's object is removed on the way out."""
    with Server(url, max_message_size=max_message_size, mode=mode) as s:
        s.serve(funcs, ready=ready)


class Proxy(Handle):
    """A connection to a server; its attributes are the remote functions:
    ``proxy.add(2, 3)``. Names that are Proxy's own (call, close,
    closed, url, timeout) and names starting with "_" are reached with
    ``proxy.call(name, ...)``."""

    __slots__ = ("_url", "_timeout", "_limit")
    _kind = "rpc proxy"
    _close_fn = staticmethod(_core.rpc_client_close)

    def __init__(self, url: str, timeout: Timeout = 5, *,
                 max_message_size: Any = None) -> None:
        super().__init__(None)
        self._url = _url(url)
        self._timeout = timeout
        opts = _opts(max_message_size, None)
        self._limit = opts[0] if opts is not None else 0
        try:
            self._h = _core.rpc_client_open(url, opts, timeout)
        except OSError as e:
            raise with_name(e, url) from None

    @property
    def url(self) -> str:
        """The server's URL."""
        return self._url

    @property
    def timeout(self) -> Timeout:
        """Each call's timeout unless call() is given one."""
        return self._timeout

    def _describe(self) -> str:
        return self._url

    def call(self, name: str, *args: Any,
             timeout: Timeout = _PROXY_TIMEOUT) -> Any:
        """Call remote function @name with @args and return its result.

        RemoteError when it failed (or does not exist), TimeoutError after
        @timeout seconds (default: the proxy's; None waits forever),
        BrokenPipeError/ConnectionResetError when the server went away,
        OverflowError/TypeError for a value that cannot be sent,
        OSError(EMSGSIZE) for a call above the size limit."""
        if timeout is _PROXY_TIMEOUT:
            timeout = self._timeout
        ok, value = _call(self._handle(), name, args, self._limit, timeout)
        if ok:
            return value
        raise RemoteError(value)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)

        def remote(*args: Any) -> Any:
            return self.call(name, *args)
        remote.__name__ = remote.__qualname__ = name
        return remote


def connect(url: str, timeout: Timeout = 5, *,
            max_message_size: Any = None) -> Proxy:
    """Connect to the server at @url (waiting up to @timeout seconds for
    it); the proxy's calls take the same timeout by default."""
    return Proxy(url, timeout, max_message_size=max_message_size)
