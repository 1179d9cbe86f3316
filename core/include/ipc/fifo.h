/* SPDX-License-Identifier: MIT */
/*
 * ipc/fifo.h - named pipes (FIFOs).
 *
 * A FIFO is a pipe with a name in the file system, so that unrelated
 * processes can find it: one opens it for reading, another for writing,
 * and bytes flow as through an anonymous pipe (see ipc/pipe.h for capacity,
 * PIPE_BUF atomicity and SIGPIPE).
 *
 * Lifetime: the name outlives every process until ipc_fifo_unlink();
 * closing a handle never removes it. Data lives only while both ends are
 * open.
 *
 * Creation is safe in shared directories: the FIFO is made with mode 0600
 * (or the mode asked for, applied exactly whatever the umask, through the
 * descriptor and never by path), and opening checks that the path is a
 * FIFO owned by the caller's effective uid (IPC_O_SHARED accepts another
 * owner). Prefer a private 0700 directory all the same (RELIABILITY.md
 * 2.2): /tmp lets anyone squat a name first.
 *
 * Blocking: opening for writing waits, until its deadline, for a reader to
 * open the FIFO (the kernel's O_NONBLOCK open answers ENXIO until then;
 * the wait polls with a short back-off). Opening for reading returns at
 * once; the first read then waits for a writer to connect and write, and
 * reports end of stream only after a writer has connected and every writer
 * has closed. Reads and writes take deadlines as pipes do.
 */
#ifndef IPC_FIFO_H
#define IPC_FIFO_H

#include "ipc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_fifo ipc_fifo;

/**
 * ipc_fifo_create() - Make a FIFO at @path.
 * @path:  where; at most PATH_MAX bytes.
 * @mode:  permission bits (0 means IPC_MODE_DEFAULT, 0600), applied as
 *         given whatever the umask.
 * @flags: 0, or IPC_O_EXCL to fail when something already exists at
 *         @path. Without it an existing FIFO of ours is accepted as is.
 *
 * Return: 0, or -EEXIST (IPC_O_EXCL and the path exists, or it exists and
 * is not a FIFO), -EPERM (an existing FIFO owned by someone else),
 * -ELOOP (a symbolic link is there), -ENOENT (no such directory),
 * -EACCES, -ENAMETOOLONG, -EINVAL (bad flag, mode above 07777, empty path).
 * Blocking: no.
 */
IPC_API ipc_status ipc_fifo_create(const char *path, unsigned int mode,
                                   unsigned int flags);

/**
 * ipc_fifo_open() - Open a FIFO for reading or for writing.
 * @out:   out: the handle; NULL on failure.
 * @path:  the FIFO.
 * @flags: exactly one of IPC_O_READ and IPC_O_WRITE; optionally
 *         IPC_O_CREATE (create it first, as ipc_fifo_create() with @mode),
 *         IPC_O_EXCL (with IPC_O_CREATE: it must not exist),
 *         IPC_O_NOFOLLOW (refuse a symbolic link at @path),
 *         IPC_O_SHARED (accept a FIFO owned by another user),
 *         IPC_O_NONBLOCK (the descriptor is O_NONBLOCK).
 * @mode:  with IPC_O_CREATE, the permission bits (0 means 0600).
 * @d:     deadline; a writer waits until then for a reader.
 *
 * Return: 0, or -ETIMEDOUT (a writer found no reader by @d), -EAGAIN
 * (the same with IPC_DEADLINE_NOW), -EINTR, -ENOENT, -EEXIST (as
 * ipc_fifo_create()), -EINVAL (not a FIFO, bad flags or mode, IPC_O_EXCL
 * without IPC_O_CREATE), -ELOOP (a symbolic link with IPC_O_NOFOLLOW),
 * -EPERM (owned by another user), -EACCES, -ENAMETOOLONG, -ENOMEM.
 * Ownership: on success the caller owns *@out; on failure nothing is
 * allocated, and a FIFO this call created is removed again.
 * Blocking: a writer until a reader opens or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_fifo_open(ipc_fifo **out, const char *path,
                                 unsigned int flags, unsigned int mode,
                                 ipc_deadline d);

/**
 * ipc_fifo_read() - Read what is available, up to @cap bytes.
 * @f:     a handle opened with IPC_O_READ.
 * @buf:   where to put the bytes.
 * @cap:   room in @buf, at least 1.
 * @nread: out: bytes read; 0 means end of stream (a writer connected and
 *         every writer has closed since).
 * @d:     deadline for the first byte.
 *
 * Return: 0, or -EAGAIN, -ETIMEDOUT, -EINTR, -EBADF (NULL, or opened for
 * writing), -EINVAL (@cap is 0).
 * Blocking: until a byte arrives, end of stream, or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_fifo_read(ipc_fifo *f, void *buf, size_t cap,
                                 size_t *nread, ipc_deadline d);

/**
 * ipc_fifo_write() - Write all of @buf.
 * @f:        a handle opened with IPC_O_WRITE.
 * @buf:      the bytes.
 * @len:      how many.
 * @nwritten: out: bytes written, also when an error stopped the write.
 * @d:        deadline for the whole write.
 *
 * Return: 0 when everything was written, or -EAGAIN, -ETIMEDOUT, -EINTR,
 * -EPIPE (every reader closed), -EBADF (NULL, or opened for reading).
 * Blocking: until written or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_fifo_write(ipc_fifo *f, const void *buf, size_t len,
                                  size_t *nwritten, ipc_deadline d);

/**
 * ipc_fifo_fd() - The descriptor, for poll(2).
 * @f: the handle.
 *
 * Return: a borrowed descriptor, or -1 when @f is NULL.
 */
IPC_API int ipc_fifo_fd(const ipc_fifo *f);

/**
 * ipc_fifo_path() - The path the handle was opened with.
 * @f: the handle.
 *
 * Return: a string owned by @f, valid until ipc_fifo_close(); NULL when @f
 * is NULL.
 */
IPC_API const char *ipc_fifo_path(const ipc_fifo *f);

/**
 * ipc_fifo_close() - Close the handle. The FIFO itself stays.
 * @f: the handle, or NULL.
 *
 * Return: 0, or the error close(2) reported (never -EINTR). @f is freed
 * either way.
 */
IPC_API ipc_status ipc_fifo_close(ipc_fifo *f);

/**
 * ipc_fifo_unlink() - Remove the FIFO at @path.
 * @path: the FIFO.
 *
 * Refuses to remove anything that is not a FIFO.
 * Return: 0, or -ENOENT, -EINVAL (not a FIFO), -EACCES, -EPERM.
 */
IPC_API ipc_status ipc_fifo_unlink(const char *path);

#ifdef __cplusplus
}
#endif

#endif /* IPC_FIFO_H */
