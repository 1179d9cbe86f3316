# SPDX-License-Identifier: MIT
"""ipc: every classic Unix IPC mechanism behind one API.

Pipes, FIFOs, POSIX and System V message queues, POSIX and System V
shared memory and mapped files, POSIX and System V semaphores, robust
process-shared mutexes, signals with payloads, Unix and TCP/UDP sockets,
and a message ring in shared memory: one C core (libipc), the same API
from C, Python and Lua. See docs/python.md.

Errors are the built-in OSError family (FileExistsError, TimeoutError,
BlockingIOError, BrokenPipeError...); misuse raises ValueError or
TypeError. Every object has close(), .closed and is a context manager;
pollable ones have fileno(). Timeouts are seconds (None: wait forever,
0: try once).
"""

from . import _core
from ._util import unlink
from .channel import Channel, Listener, Fifo, pipe, open, listen, connect, \
    endpoint
from .ring import Ring
from .mq import MessageQueue
from .sysvmq import SysVMessageQueue
from .shm import SharedMemory, SysVSharedMemory, MappedFile
from .sem import Semaphore
from .semset import SysVSemaphoreSet
from .mutex import Mutex
from .signal import send_signal, SignalSet, SignalInfo
from .proc import spawn, Process, PIPE, DEVNULL, STDOUT
from .poll import Poller, Timer
from .native import native, NativeFunction
from . import rpc

__version__ = _core.version()

__all__ = [
    "Channel", "Listener", "Fifo", "pipe", "open", "listen", "connect",
    "endpoint", "Ring", "MessageQueue", "SysVMessageQueue", "SharedMemory",
    "SysVSharedMemory", "MappedFile", "Semaphore", "SysVSemaphoreSet",
    "Mutex", "send_signal", "SignalSet", "SignalInfo", "spawn", "Process",
    "PIPE", "DEVNULL", "STDOUT", "Poller", "Timer", "native",
    "NativeFunction", "rpc", "unlink", "__version__",
]
