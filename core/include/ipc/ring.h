/* SPDX-License-Identifier: MIT */
/*
 * ipc/ring.h - a message ring in POSIX shared memory.
 *
 * The fastest way to move messages between processes on one machine: no
 * system call while the ring is neither empty nor full, zero-copy
 * reserve/commit and peek/release next to plain send/recv, and futex
 * wake-ups only when a side is actually asleep. Several producers and
 * several consumers may share a ring; every message goes to exactly one
 * consumer, and the messages of one producer arrive in the order it sent
 * them. docs/ring.md describes the format in shared memory, the wake-up
 * protocol and the recovery from dead processes.
 *
 * Roles: a handle opened with IPC_O_WRITE may send, one opened with
 * IPC_O_READ may receive, IPC_O_RDWR both. A handle belongs to the process
 * and thread that opened it: after fork(2) the child opens the ring again.
 *
 * Sizes: the data area holds @capacity bytes (a power of two). A message
 * takes a 16-byte record header plus its length, rounded up to 64 bytes
 * (records start on cache lines); the largest message is capacity / 2 - 16
 * bytes unless the creator set a smaller maximum.
 *
 * Backpressure: a send into a full ring waits for room until its deadline
 * (IPC_DEADLINE_NOW fails at once with -EAGAIN); a receive from an empty
 * ring waits for a message likewise.
 *
 * Dead processes: a producer killed between reserve and commit leaves a
 * reservation nobody will finish; a consumer stuck behind it for about
 * 20 ms checks whether the owner is gone (each handle holds an OFD lock the
 * kernel drops when its process dies), turns the dead reservation into
 * padding that no consumer ever delivers (ipc_ring_stats.recovered), and
 * carries on. A consumer killed between peek and release loses that one
 * message (ipc_ring_stats.lost); a producer waiting for room notices. A
 * torn record is never delivered. A child forked without exec keeps its
 * parent's handles alive in this sense: do not fork while holding a
 * reservation or a peeked message if the parent may die first.
 *
 * Trust: every header and record descriptor is copied out of shared memory
 * and checked before use; a corrupt or hostile ring gives -EPROTO, never a
 * crash. A process with write access can still make a reader's mapping
 * shorter (ftruncate); the ring checks the object's size when it opens.
 */
#ifndef IPC_RING_H
#define IPC_RING_H

#include "ipc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_ring ipc_ring;

/* Bounds of a ring's data area, in bytes. */
#define IPC_RING_MIN_CAPACITY ((size_t)4096)
#define IPC_RING_MAX_CAPACITY ((size_t)1 << 30)

/* Size of a record header in the data area. */
#define IPC_RING_RECORD_HEADER 16

/* How many handles may have a ring open at one time. */
#define IPC_RING_MAX_HANDLES 128

/* Counters kept in the ring, shared by every process that opens it. */
struct ipc_ring_stats {
	uint64_t capacity;    /* bytes in the data area */
	uint64_t max_message; /* largest payload accepted */
	uint64_t used;        /* bytes reserved and not yet released now */
	uint64_t high_water;  /* peak of used seen (sampled: see docs) */
	uint64_t msgs_in;     /* messages committed */
	uint64_t bytes_in;    /* payload bytes committed */
	uint64_t msgs_out;    /* messages released by consumers */
	uint64_t bytes_out;   /* payload bytes released */
	uint64_t recovered;   /* dead producers' reservations skipped */
	uint64_t lost;        /* messages lost with a dead consumer */
};

/**
 * ipc_ring_open() - Create or open a ring.
 * @out:      out: the handle; NULL on failure.
 * @name:     a POSIX name, "/name".
 * @flags:    IPC_O_READ, IPC_O_WRITE or IPC_O_RDWR, with IPC_O_CREATE,
 *            IPC_O_EXCL, IPC_O_SHARED (accept a ring of another user).
 * @mode:     permission bits when creating; 0 means IPC_MODE_DEFAULT.
 * @capacity: data bytes when creating, rounded up to a power of two
 *            between IPC_RING_MIN_CAPACITY and IPC_RING_MAX_CAPACITY;
 *            0 means 1 MiB. Ignored when the ring exists.
 *
 * Return: 0, or -EEXIST, -ENOENT, -EINVAL (bad name, flags or capacity),
 * -EPROTO (not a ring of this version, a header that does not match
 * the object's size, an empty or truncated object, positions out of
 * range), -EPERM (owned by another user without IPC_O_SHARED), -EACCES,
 * -EUSERS (IPC_RING_MAX_HANDLES handles open), -ENOSPC (no room in
 * /dev/shm), -ENOMEM. A creator builds the ring under no name and links
 * it in whole, so an opener never sees a half-made ring.
 * Ownership: the caller owns *@out.
 */
IPC_API ipc_status ipc_ring_open(ipc_ring **out, const char *name,
                                 unsigned int flags, unsigned int mode,
                                 size_t capacity);

/**
 * ipc_ring_set_max_message() - Lower the largest message of a new ring.
 * @r:   a handle.
 * @max: 1 to capacity / 2 - IPC_RING_RECORD_HEADER.
 *
 * Every process sees the new limit; call it right after creating.
 * Return: 0, or -EINVAL, -EBADF.
 */
IPC_API ipc_status ipc_ring_set_max_message(ipc_ring *r, size_t max);

/**
 * ipc_ring_send() - Copy one message into the ring.
 * @r:   a handle opened for writing.
 * @buf: the payload.
 * @len: 0 to the ring's max_message.
 * @d:   deadline.
 *
 * Return: 0, or -EMSGSIZE, -EAGAIN (full, IPC_DEADLINE_NOW), -ETIMEDOUT,
 * -EINTR (nothing was sent), -EPROTO (the ring is corrupt), -EBUSY (a
 * reservation of this handle is open), -EINVAL (@buf NULL with @len > 0),
 * -EBADF (NULL, or not opened for writing).
 * Blocking: while the ring is full, until @d; may return -EINTR.
 */
IPC_API ipc_status ipc_ring_send(ipc_ring *r, const void *buf, size_t len,
                                 ipc_deadline d);

/**
 * ipc_ring_reserve() - Reserve room for a message and write it in place.
 * @r:   a handle opened for writing.
 * @len: the most the message will hold, 0 to max_message.
 * @ptr: out: where to write it, 16-byte aligned, @len bytes.
 * @d:   deadline.
 *
 * One reservation at a time per handle; finish it with ipc_ring_commit()
 * or ipc_ring_abort(). Consumers do not see it before the commit.
 * Return: as ipc_ring_send(), and -EBUSY (a reservation is open).
 * Blocking: while the ring is full, until @d; may return -EINTR.
 */
IPC_API ipc_status ipc_ring_reserve(ipc_ring *r, size_t len, void **ptr,
                                    ipc_deadline d);

/**
 * ipc_ring_commit() - Publish the reserved message.
 * @r:   the handle.
 * @len: its final length, at most what was reserved.
 *
 * Return: 0, or -EINVAL (@len above the reservation; nothing is
 * published, the reservation stays open), -ENOENT (no reservation open),
 * -EBADF.
 */
IPC_API ipc_status ipc_ring_commit(ipc_ring *r, size_t len);

/**
 * ipc_ring_abort() - Give up the reserved message; no consumer sees it.
 * @r: the handle.
 *
 * Return: 0, or -ENOENT (no reservation open), -EBADF.
 */
IPC_API ipc_status ipc_ring_abort(ipc_ring *r);

/**
 * ipc_ring_recv() - Copy the next message out of the ring.
 * @r:     a handle opened for reading.
 * @buf:   where to put it.
 * @cap:   room in @buf.
 * @nread: out: the payload length.
 * @d:     deadline.
 *
 * Return: 0, or -EMSGSIZE (the message is longer than @cap: it stays in
 * the ring and *@nread is its length), -EAGAIN (empty, IPC_DEADLINE_NOW),
 * -ETIMEDOUT, -EINTR, -EPROTO (corrupt), -EBUSY (a peeked message of this
 * handle is not released), -EINVAL (@nread NULL, @buf NULL with @cap > 0),
 * -EBADF (NULL, or not opened for reading).
 * Blocking: while the ring is empty, until @d; may return -EINTR.
 */
IPC_API ipc_status ipc_ring_recv(ipc_ring *r, void *buf, size_t cap,
                                 size_t *nread, ipc_deadline d);

/**
 * ipc_ring_peek() - Take the next message and read it in place.
 * @r:    a handle opened for reading.
 * @data: out: the payload, inside the shared mapping, 16-byte aligned.
 * @len:  out: its length.
 * @d:    deadline.
 *
 * The message is this handle's from now on (no other consumer gets it);
 * ipc_ring_release() hands its room back. One peek at a time per handle.
 * Return: as ipc_ring_recv() without -EMSGSIZE, and -EBUSY (a peeked
 * message is not released yet).
 * Blocking: while the ring is empty, until @d; may return -EINTR.
 */
IPC_API ipc_status ipc_ring_peek(ipc_ring *r, const void **data, size_t *len,
                                 ipc_deadline d);

/**
 * ipc_ring_release() - Hand back the room of the peeked message.
 * @r: the handle.
 *
 * Return: 0, or -ENOENT (nothing peeked), -EBADF.
 */
IPC_API ipc_status ipc_ring_release(ipc_ring *r);

/**
 * ipc_ring_readable() - Whether a message is waiting now.
 * @r: a handle.
 *
 * Never blocks and claims nothing; for pollers, which cannot wait on a
 * ring's futex. With several consumers another may take the message first.
 * Return: true when a committed message is at the head now.
 */
IPC_API bool ipc_ring_readable(ipc_ring *r);

/**
 * ipc_ring_stats() - Read the ring's counters.
 * @r:  a handle.
 * @st: out: the counters.
 *
 * The message and byte counters are kept per handle and summed here, so a
 * snapshot taken while other handles open or close may be off for that
 * moment; counts of closed or dead handles are kept.
 * Return: 0, or -EINVAL (@st NULL), -EBADF.
 */
IPC_API ipc_status ipc_ring_stats(ipc_ring *r, struct ipc_ring_stats *st);

/**
 * ipc_ring_capacity() - The data area's size in bytes.
 * @r: a handle.
 *
 * Return: the capacity; 0 when @r is NULL.
 */
IPC_API size_t ipc_ring_capacity(const ipc_ring *r);

/**
 * ipc_ring_max_message() - The largest payload the ring accepts.
 * @r: a handle.
 *
 * Return: the size; 0 when @r is NULL.
 */
IPC_API size_t ipc_ring_max_message(const ipc_ring *r);

/**
 * ipc_ring_name() - The name the handle was opened with.
 * @r: a handle.
 *
 * Return: a string owned by @r, or NULL when @r is NULL.
 */
IPC_API const char *ipc_ring_name(const ipc_ring *r);

/**
 * ipc_ring_close() - Close the handle. The ring and its messages stay.
 * @r: the handle, or NULL.
 *
 * An open reservation is aborted and a peeked message released first.
 * Return: 0, or the error close(2) or munmap(2) reported (never -EINTR).
 */
IPC_API ipc_status ipc_ring_close(ipc_ring *r);

/**
 * ipc_ring_unlink() - Remove a ring's name. Open handles keep working.
 * @name: the POSIX name.
 *
 * Return: 0, or -ENOENT, -EINVAL, -EACCES.
 */
IPC_API ipc_status ipc_ring_unlink(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* IPC_RING_H */
