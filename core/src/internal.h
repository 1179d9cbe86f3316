/* SPDX-License-Identifier: MIT */
/*
 * internal.h - helpers shared by the mechanisms of the core. Nothing here is
 * exported: the library is built with hidden visibility and only IPC_API
 * symbols leave it.
 *
 * Conventions kept by every helper:
 *  - errno is read once, right after the failing call, and returned negated;
 *  - non-blocking steps loop on EINTR, blocking waits return -EINTR;
 *  - a deadline that has passed gives -EAGAIN when it was IPC_DEADLINE_NOW
 *    (the caller asked not to wait) and -ETIMEDOUT otherwise.
 */
#ifndef IPC_INTERNAL_H
#define IPC_INTERNAL_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "ipc/common.h"

#define IPC__ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * @d as an absolute CLOCK_MONOTONIC timespec, for sem_clockwait(),
 * pthread_mutex_clocklock() and clock_nanosleep(TIMER_ABSTIME). A deadline
 * before the epoch of the clock becomes 0.
 */
void ipc__deadline_timespec(ipc_deadline d, struct timespec *ts);

/*
 * The time left until @d as a relative timespec, for calls that take one
 * (semtimedop). Returns false when @d has passed (*@ts is then zero).
 */
bool ipc__remaining_timespec(ipc_deadline d, struct timespec *ts);

/*
 * The thread-local failure detail behind ipc_detail(): clear it when a call
 * that can record one starts; ipc__detail() formats it and returns @st, so
 * that a failure path reads "return ipc__detail(-EINVAL, "...", ...);".
 */
void ipc__detail_clear(void);
ipc_status ipc__detail(ipc_status st, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* The status of a wait that ran out of time before anything happened. */
static inline ipc_status ipc__timeout_status(ipc_deadline d)
{
	return d == IPC_DEADLINE_NOW ? -EAGAIN : -ETIMEDOUT;
}

/*
 * Close @fd exactly once. EINTR counts as success: on Linux the descriptor
 * is gone whatever close() reports, and retrying could close a descriptor
 * that another thread has just been given (libuv uv__close_nocheckstdio).
 * A negative @fd is a no-op.
 */
ipc_status ipc__close(int fd);

/* Close @fd and keep errno as it was: for error paths. */
void ipc__close_quiet(int fd);

/*
 * Wait until @fd reports one of @events or @d passes. Returns 0 when ready
 * (with the poll revents in *@revents if not NULL; POLLERR and POLLHUP
 * count as ready so that the next operation reports them), the timeout
 * status, -EINTR, or -EBADF for a descriptor poll calls invalid.
 */
ipc_status ipc__wait_fd(int fd, short events, ipc_deadline d, short *revents);

/*
 * A doubling sleep for waits the kernel cannot poll: a FIFO writer waiting
 * for a reader, a Unix connect to a full backlog, a System V queue or
 * semaphore set (no timed receive, no readiness), an object whose creator
 * is still initialising it. Each ipc__backoff_sleep() sleeps the current
 * step, never past @d (absolute clock_nanosleep, no rounding), then doubles
 * the step up to @max_ns. Returns 0 after sleeping, the timeout status when
 * @d had already passed, or -EINTR when a signal handler ran.
 */
struct ipc__backoff {
	int64_t step_ns;
	int64_t max_ns;
};

#define IPC__BACKOFF_MS(first, max)                                            \
	((struct ipc__backoff){(int64_t)(first)*1000000,                       \
	                       (int64_t)(max)*1000000})

ipc_status ipc__backoff_sleep(struct ipc__backoff *b, ipc_deadline d);

/*
 * Set the permission bits of the file behind @path_fd, an O_PATH
 * descriptor, through /proc/self/fd: the inode the descriptor holds, never
 * whatever the path names by now. Works for FIFOs and sockets, which cannot
 * be opened (or, for a FIFO, not without becoming a reader) to fchmod().
 */
ipc_status ipc__chmod_opath(int path_fd, unsigned int mode);

/*
 * Remove @path only if it is of file type @type (S_IFIFO, S_IFSOCK): the
 * unlink verbs of named objects must never remove anything else. Returns
 * 0, -EINVAL (NULL, empty, or another type), or the lstat/unlink error.
 */
ipc_status ipc__unlink_typed(const char *path, unsigned int type);

/*
 * The one rule for names of POSIX named objects (message queues, shared
 * memory, semaphores, mutexes, rings): a leading '/', no other '/', at
 * least one more character, at most NAME_MAX bytes, not "/." or "/..".
 * Returns 0, -EINVAL or -ENAMETOOLONG.
 */
ipc_status ipc__check_posix_name(const char *name);

/* O_NONBLOCK on or off for a descriptor this library created. */
ipc_status ipc__set_nonblock(int fd, bool on);

/*
 * Reserve [@from, @from + @len) of the file behind @fd with
 * posix_fallocate(3), so that a full tmpfs fails here (-ENOSPC) and not
 * with SIGBUS at the first touch of a page. EINTR is retried: the call
 * does not block.
 */
ipc_status ipc__reserve(int fd, off_t from, off_t len);

/*
 * Block SIGPIPE in the calling thread around a write to a pipe, then
 * consume the SIGPIPE the write raised, so that a vanished reader gives
 * -EPIPE instead of killing the process, without touching the process-wide
 * disposition (RELIABILITY.md 2.2). If the thread already blocked SIGPIPE
 * the guard does nothing: the caller owns that signal then.
 */
struct ipc__sigpipe_guard {
	sigset_t old;
	bool active;
};
void ipc__sigpipe_block(struct ipc__sigpipe_guard *g);
void ipc__sigpipe_unblock(struct ipc__sigpipe_guard *g, bool raised);

/*
 * A byte stream over one descriptor, with deadlines, that never changes
 * the descriptor's O_NONBLOCK flag (it may be shared with other processes):
 * sockets use MSG_DONTWAIT, pipes and FIFOs RWF_NOWAIT where the kernel has
 * it (Linux 6.x does) and otherwise poll and then write at most PIPE_BUF
 * bytes, which a pipe that polled writable always takes without blocking.
 */
#define IPC__IO_SOCK      0x01u /* a socket: send/recv with flags */
#define IPC__IO_PIPE      0x02u /* a pipe or FIFO: EOF needs POLLHUP */
#define IPC__IO_NONBLOCK  0x04u /* the descriptor is O_NONBLOCK */
#define IPC__IO_NO_NOWAIT 0x08u /* RWF_NOWAIT refused: poll first */
#define IPC__IO_STREAM    0x10u /* SOCK_STREAM (not datagram/seqpacket) */
#define IPC__IO_PIPE_IGN  0x20u /* SIGPIPE was ignored at init: no guard */

struct ipc__io {
	int fd;
	unsigned int flags;
};

/*
 * Fill @io for @fd from fstat(2) and fcntl(F_GETFL). For pipes and FIFOs
 * it also notes whether SIGPIPE is ignored right now (Python does that at
 * start-up, and so does the ipc host): writes then skip the guard and its
 * two system calls. A program that ignores SIGPIPE and later restores the
 * default must not keep handles opened meanwhile.
 */
ipc_status ipc__io_init(struct ipc__io *io, int fd);

/*
 * Read at least one byte, up to @cap, waiting until @d. End of stream is
 * success with *@nread == 0. On a pipe or FIFO whose writer has not
 * connected yet, it waits for the writer instead of reporting end of
 * stream.
 */
ipc_status ipc__io_read(struct ipc__io *io, void *buf, size_t cap,
                        size_t *nread, ipc_deadline d);

/*
 * Write all of @iov, waiting until @d. *@nwritten always says how many
 * bytes went out, also when an error (the timeout status, -EPIPE, -EINTR)
 * stopped the write part way. Writes of at most PIPE_BUF bytes to a pipe
 * go out whole or not at all. @iov is consumed (advanced) as it is written.
 */
ipc_status ipc__io_writev(struct ipc__io *io, struct iovec *iov, int iovcnt,
                          size_t *nwritten, ipc_deadline d);

/* ipc__io_writev() for one buffer. */
ipc_status ipc__io_write(struct ipc__io *io, const void *buf, size_t len,
                         size_t *nwritten, ipc_deadline d);

/* Advance @iov by @n bytes; returns the new start, updates *@iovcnt. */
struct iovec *ipc__iov_advance(struct iovec *iov, int *iovcnt, size_t n);

/* Total length of @iov. */
size_t ipc__iov_length(const struct iovec *iov, int iovcnt);

#endif /* IPC_INTERNAL_H */
