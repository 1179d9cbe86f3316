/* SPDX-License-Identifier: MIT */
/*
 * ipc/pipe.h - anonymous pipes.
 *
 * A pipe is a one-way byte stream between related processes: what is
 * written to the write end is read, in order, from the read end. Each end
 * is a handle of its own. The kernel buffers 64 KiB by default (raise it
 * with ipc_pipe_set_capacity(), up to /proc/sys/fs/pipe-max-size). Writes
 * of at most PIPE_BUF (4096) bytes are atomic: several writers may share a
 * pipe if every write is that small.
 *
 * Lifetime: a pipe has no name; it lives while a descriptor of it is open.
 * Reading returns end of stream (success, *nread == 0) once every write end
 * is closed; writing after every read end is closed returns -EPIPE. The
 * library never lets SIGPIPE kill the process: it blocks the signal in the
 * calling thread around the write and consumes it.
 *
 * Blocking: reads and writes take a deadline. Descriptors stay in blocking
 * mode (unless IPC_O_NONBLOCK is asked for), so that a child that inherits
 * an end sees an ordinary pipe; the deadline is kept with per-call
 * non-blocking I/O instead. Descriptors are close-on-exec.
 */
#ifndef IPC_PIPE_H
#define IPC_PIPE_H

#include "ipc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_pipe ipc_pipe;

/**
 * ipc_pipe_open() - Create an anonymous pipe.
 * @rd:    out: the read end; NULL on failure.
 * @wr:    out: the write end; NULL on failure.
 * @flags: 0 or IPC_O_NONBLOCK (both descriptors O_NONBLOCK).
 *
 * Return: 0, or -EINVAL (unknown flag), -EMFILE, -ENFILE, -ENOMEM.
 * Ownership: on success the caller owns *@rd and *@wr and releases each
 * with ipc_pipe_close(). On failure nothing is allocated.
 * Blocking: no.
 */
IPC_API ipc_status ipc_pipe_open(ipc_pipe **rd, ipc_pipe **wr,
                                 unsigned int flags);

/**
 * ipc_pipe_adopt() - Wrap a pipe descriptor the process already has.
 * @out:   out: the handle; NULL on failure.
 * @fd:    a descriptor of a pipe or FIFO (an inherited end, say).
 *
 * Return: 0, or -EBADF (not open), -EINVAL (not a pipe or FIFO), -ENOMEM.
 * Ownership: on success the handle owns @fd and ipc_pipe_close() closes
 * it; on failure @fd is left open and still the caller's.
 * Blocking: no.
 */
IPC_API ipc_status ipc_pipe_adopt(ipc_pipe **out, int fd);

/**
 * ipc_pipe_read() - Read what is available, up to @cap bytes.
 * @p:     the read end.
 * @buf:   where to put the bytes.
 * @cap:   room in @buf, at least 1.
 * @nread: out: bytes read; 0 means end of stream (every writer closed).
 * @d:     deadline for the first byte to arrive.
 *
 * Return: 0, or -EAGAIN (@d was IPC_DEADLINE_NOW and nothing was there),
 * -ETIMEDOUT, -EINTR, -EBADF (@p is NULL), -EINVAL (@cap is 0).
 * Blocking: until at least one byte or end of stream, or @d; may return
 * -EINTR.
 */
IPC_API ipc_status ipc_pipe_read(ipc_pipe *p, void *buf, size_t cap,
                                 size_t *nread, ipc_deadline d);

/**
 * ipc_pipe_write() - Write all of @buf.
 * @p:        the write end.
 * @buf:      the bytes.
 * @len:      how many.
 * @nwritten: out: bytes written, also when an error stopped the write part
 *            way (like BlockingIOError.characters_written).
 * @d:        deadline for the whole write.
 *
 * Writes of at most PIPE_BUF bytes go out whole or not at all.
 * Return: 0 when all @len bytes were written, or -EAGAIN (IPC_DEADLINE_NOW
 * and the pipe was full), -ETIMEDOUT, -EINTR, -EPIPE (no reader), -EBADF.
 * Blocking: until everything is written or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_pipe_write(ipc_pipe *p, const void *buf, size_t len,
                                  size_t *nwritten, ipc_deadline d);

/**
 * ipc_pipe_capacity() - The kernel buffer size of the pipe.
 * @p:     either end.
 * @bytes: out: capacity in bytes.
 *
 * Return: 0, or -EBADF.
 */
IPC_API ipc_status ipc_pipe_capacity(ipc_pipe *p, size_t *bytes);

/**
 * ipc_pipe_set_capacity() - Resize the kernel buffer (F_SETPIPE_SZ).
 * @p:     either end.
 * @bytes: wanted size; the kernel rounds it up to a power of two pages.
 *
 * Return: 0, or -EPERM (above /proc/sys/fs/pipe-max-size without
 * CAP_SYS_RESOURCE), -EBUSY (smaller than the data held), -EINVAL, -EBADF.
 */
IPC_API ipc_status ipc_pipe_set_capacity(ipc_pipe *p, size_t bytes);

/**
 * ipc_pipe_fd() - The descriptor, for poll(2) or handing to a child.
 * @p: the handle.
 *
 * Return: a borrowed descriptor (owned by @p), or -1 when @p is NULL.
 */
IPC_API int ipc_pipe_fd(const ipc_pipe *p);

/**
 * ipc_pipe_close() - Close one end and free the handle.
 * @p: the handle, or NULL (a no-op).
 *
 * The handle is freed even when an error is returned; never call it twice.
 * Return: 0, or the error close(2) reported (never -EINTR).
 */
IPC_API ipc_status ipc_pipe_close(ipc_pipe *p);

#ifdef __cplusplus
}
#endif

#endif /* IPC_PIPE_H */
