/* SPDX-License-Identifier: MIT */
/*
 * common.i - language-neutral policy: what every binding ignores, and the
 * handle types whose NULL (a closed handle) is misuse. The typemaps that
 * give each parameter name its meaning are per language
 * (python/typemaps.i), keyed on the names STYLE.md fixes:
 *   (const void *buf, size_t len)          any bytes-like input
 *   (void *buf, size_t cap, size_t *nread) read(n) -> bytes
 *   (void *dst, size_t cap, size_t *nread) readinto(buffer) -> int
 *   (const void **data, size_t *len)       a borrowed message -> bytes
 *   ipc_X **out (and **rd, **wr, **a, **b)  a new handle
 *   ipc_deadline d                          timeout: None or seconds
 *   ipc_status                              raises
 */

/* Handle types: a closed handle (None on the Python side) is refused before
 * the core is called. */
%define IPC_HANDLE(T)
%typemap(check) T *, const T * {
	if ($1 == NULL) {
		SWIG_exception_fail(SWIG_ValueError,
		                    "I/O operation on a closed " #T);
	}
}
%enddef

IPC_HANDLE(ipc_pipe)
IPC_HANDLE(ipc_fifo)
IPC_HANDLE(ipc_sock)
IPC_HANDLE(ipc_mq)
IPC_HANDLE(ipc_sysvmq)
IPC_HANDLE(ipc_shm)
IPC_HANDLE(ipc_sysvshm)
IPC_HANDLE(ipc_mmap)
IPC_HANDLE(ipc_sem)
IPC_HANDLE(ipc_semset)
IPC_HANDLE(ipc_mutex)
IPC_HANDLE(ipc_sigset)
IPC_HANDLE(ipc_ring)
IPC_HANDLE(ipc_chan)
IPC_HANDLE(ipc_proc)
IPC_HANDLE(ipc_loop)
IPC_HANDLE(ipc_frame)

/* Deadline arithmetic is the bindings' job through the deadline typemap;
 * the C helpers stay C-only. */
%ignore ipc_deadline_in_ms;
%ignore ipc_deadline_in_ns;
%ignore ipc_deadline_remaining_ms;
%ignore ipc_deadline_expired;
%ignore ipc_errno_at;
