/* SPDX-License-Identifier: MIT */
/*
 * ipc.i - the SWIG module ipc._core: flat functions over the core's own
 * headers, no proxy classes (the classes are hand-written in python/ipc).
 * Global policy lives here; each mechanism's file only %ignores what does
 * not suit scripting, marks its blocking calls and %includes its header.
 */
%module(package="ipc", threads="1") _core

%{
#include <ipc/ipc.h>
%}

/* ipc_pipe_read -> _core.pipe_read. Structures are never wrapped: the
 * typemaps turn them into tuples and dicts. */
%rename("$ignore", %$isclass) "";
%rename("%(strip:[ipc_])s", %$isfunction) "";

/* The GIL is released only around calls that can block (IPC_BLOCKING). */
%nothreadallow;

/* int32_t keys and pids, uint64_t offsets: plain integers. */
%include <stdint.i>
%include "common.i"
#ifdef SWIGPYTHON
%include "python/typemaps.i"
%include "python/mapping.i"
#endif

%include "ipc/common.h"
%include "sysv.i"
%include "url.i"
%include "pipe.i"
%include "fifo.i"
%include "socket.i"
%include "mq.i"
%include "sysvmq.i"
%include "shm.i"
%include "sysvshm.i"
%include "mmap.i"
%include "sem.i"
%include "semset.i"
%include "mutex.i"
%include "signal.i"
%include "ring.i"
%include "chan.i"
%include "proc.i"
%include "loop.i"
%include "native.i"
%include "rpc.i"
