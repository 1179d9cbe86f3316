/* SPDX-License-Identifier: MIT */
/*
 * ipc/semset.h - System V semaphore sets.
 *
 * A set holds 1 to SEMMSL counters (0..32767 each), found by a 32-bit key
 * (ipc/sysv.h). ipc_semset_op() applies several operations to several
 * counters of one set atomically: all of them happen, or none does and
 * the call waits (until its deadline) until all can.
 *
 * IPC_SEMSET_UNDO on an operation makes the kernel undo it when the
 * process exits, however it dies: a lock taken with (num, -1, UNDO) is
 * given back if its holder is killed. Use undo for lock-style pairs only
 * (take with undo, give back with undo); counting-style use leaves the
 * per-process adjustments unbalanced, and ipc_semset_set() or
 * ipc_semset_set_all() clear them for every process.
 *
 * Initialisation: semget() creates a set with every counter 0 and
 * ipc_semset_open() sets the initial values afterwards, so it follows the
 * sem_otime handshake: the creator sets the values, then performs one
 * operation that changes nothing, which sets the set's sem_otime; an
 * opener of an existing set waits (until its deadline) until sem_otime is
 * non-zero. Programs that create sets themselves must do the same.
 *
 * Lifetime: a set outlives every process until ipc_semset_remove() (or
 * ipcrm); closing a handle never removes it. Removal wakes every waiter
 * with -EIDRM. Permission modes are applied exactly: System V ignores the
 * umask.
 */
#ifndef IPC_SEMSET_H
#define IPC_SEMSET_H

#include "ipc/common.h"
#include "ipc/sysv.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_semset ipc_semset;

/* The largest value of one counter (SEMVMX on Linux). */
#define IPC_SEMSET_VALUE_MAX 32767

/* Flags of one operation (struct ipc_semop.flags). */
#define IPC_SEMSET_UNDO   0x0001u /* undone when the process exits */
#define IPC_SEMSET_NOWAIT 0x0002u /* -EAGAIN rather than waiting */

/*
 * One operation on counter @num: @op > 0 adds, @op < 0 waits until the
 * counter is at least -@op and subtracts, @op == 0 waits until it is 0.
 */
struct ipc_semop {
	uint16_t num;
	int16_t op;
	uint16_t flags;
};

/**
 * ipc_semset_open() - Open or create a semaphore set.
 * @out:     out: the handle; NULL on failure.
 * @key:     the key (ipc/sysv.h); IPC_SYSV_PRIVATE (needs IPC_O_CREATE)
 *           always makes a new set.
 * @count:   the number of counters, 1 to SEMMSL; when opening an existing
 *           set, it must have exactly @count (0 accepts any size).
 * @initial: with IPC_O_CREATE, @count initial values (each at most
 *           IPC_SEMSET_VALUE_MAX); NULL means all 0. Ignored when the set
 *           exists.
 * @flags:   0 (open an existing set), or IPC_O_CREATE (create it if
 *           missing), IPC_O_EXCL (with IPC_O_CREATE: it must not exist),
 *           IPC_O_SHARED (accept a set owned by another user).
 * @mode:    with IPC_O_CREATE, the permission bits, at most 0777 (0 means
 *           0600).
 * @d:       deadline for an opener waiting until the creator has set the
 *           initial values.
 *
 * Return: 0, or -EEXIST (IPC_O_EXCL and it exists), -ENOENT (no set with
 * that key and no IPC_O_CREATE), -EINVAL (bad flags, mode or count; an
 * existing set of another size), -ERANGE (an initial value too large),
 * -EPERM (owned by another user), -EACCES, -ENOSPC (SEMMNI sets or SEMMNS
 * counters in the system), -ENOMEM, -EAGAIN / -ETIMEDOUT (the set exists
 * but its creator has not initialised it by @d), -EINTR, -EIDRM (removed
 * while opening).
 * Ownership: on success the caller owns *@out (ipc_semset_close()); on
 * failure nothing is allocated, and a set this call created is removed.
 * Blocking: only an opener of a set not initialised yet, until @d; may
 * return -EINTR.
 */
IPC_API ipc_status ipc_semset_open(ipc_semset **out, int32_t key,
                                   unsigned int count,
                                   const unsigned short *initial,
                                   unsigned int flags, unsigned int mode,
                                   ipc_deadline d);

/**
 * ipc_semset_op() - Apply @nops operations atomically.
 * @ss:   the handle.
 * @ops:  the operations, applied in order, all or none.
 * @nops: 1 to SEMOPM.
 * @d:    IPC_DEADLINE_NOW tries once; IPC_DEADLINE_NEVER waits for ever.
 *
 * Return: 0 (every operation happened), or -EAGAIN (@d was
 * IPC_DEADLINE_NOW, or an operation has IPC_SEMSET_NOWAIT, and it would
 * have waited), -ETIMEDOUT, -EINTR (a signal handler ran: call again with
 * the same @d), -EIDRM (the set was removed), -EBADF (@ss NULL), -EINVAL
 * (@ops NULL, @nops 0, an unknown flag), -EFBIG (a counter number out of
 * range), -E2BIG (more than SEMOPM operations), -ERANGE (a counter would
 * pass IPC_SEMSET_VALUE_MAX), -EACCES, -ENOSPC (no room for undo
 * records), -ENOMEM.
 * Blocking: until every operation can happen, or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_semset_op(ipc_semset *ss, const struct ipc_semop *ops,
                                 size_t nops, ipc_deadline d);

/**
 * ipc_semset_get() - The value of one counter.
 * @ss:    the handle.
 * @num:   the counter, below ipc_semset_count().
 * @value: out: its value, stale as soon as read.
 *
 * Return: 0, or -EBADF, -EINVAL (@value NULL), -EFBIG (@num out of range),
 * -EIDRM (the set was removed), -EACCES.
 */
IPC_API ipc_status ipc_semset_get(ipc_semset *ss, unsigned int num, int *value);

/**
 * ipc_semset_set() - Set one counter, waking whoever that lets through.
 * @ss:    the handle.
 * @num:   the counter.
 * @value: 0 to IPC_SEMSET_VALUE_MAX.
 *
 * Clears every process's undo adjustment for that counter.
 * Return: 0, or -EBADF, -EFBIG (@num out of range), -ERANGE (@value out of
 * range), -EIDRM, -EACCES.
 */
IPC_API ipc_status ipc_semset_set(ipc_semset *ss, unsigned int num, int value);

/**
 * ipc_semset_get_all() - The values of every counter, read atomically.
 * @ss:     the handle.
 * @values: room for at least ipc_semset_count() values.
 * @n:      the room in @values; ipc_semset_count() values are written.
 *
 * Return: 0, or -EBADF, -EINVAL (@values NULL, @n too small), -EIDRM,
 * -EACCES, -ENOMEM.
 */
IPC_API ipc_status ipc_semset_get_all(ipc_semset *ss, unsigned short *values,
                                      size_t n);

/**
 * ipc_semset_set_all() - Set every counter at once.
 * @ss:     the handle.
 * @values: ipc_semset_count() values, each at most IPC_SEMSET_VALUE_MAX.
 * @n:      exactly ipc_semset_count().
 *
 * Clears every process's undo adjustments on the set.
 * Return: 0, or -EBADF, -EINVAL (@values NULL, @n not the count), -ERANGE
 * (a value too large), -EIDRM, -EACCES, -ENOMEM.
 */
IPC_API ipc_status ipc_semset_set_all(ipc_semset *ss,
                                      const unsigned short *values, size_t n);

/**
 * ipc_semset_count() - The number of counters.
 * @ss: the handle.
 *
 * Return: the count, or 0 when @ss is NULL.
 */
IPC_API unsigned int ipc_semset_count(const ipc_semset *ss);

/**
 * ipc_semset_id() - The kernel's id of the set (what ipcs(1) shows).
 * @ss: the handle.
 *
 * Return: the id, or -1 when @ss is NULL.
 */
IPC_API int ipc_semset_id(const ipc_semset *ss);

/**
 * ipc_semset_key() - The key the set was opened with.
 * @ss: the handle.
 *
 * Return: the key (IPC_SYSV_PRIVATE for a private set), or 0 for NULL.
 */
IPC_API int32_t ipc_semset_key(const ipc_semset *ss);

/**
 * ipc_semset_remove() - Remove the set from the system.
 * @ss: the handle.
 *
 * Every process waiting on it wakes with -EIDRM and every later use of any
 * handle on it fails with -EIDRM. The handle itself stays allocated:
 * close it with ipc_semset_close().
 * Return: 0, or -EBADF (@ss NULL), -EIDRM (already removed), -EPERM (not
 * the owner or creator).
 */
IPC_API ipc_status ipc_semset_remove(ipc_semset *ss);

/**
 * ipc_semset_remove_key() - Remove the set of @key, without a handle.
 * @key: the key (not IPC_SYSV_PRIVATE).
 *
 * For ipc_unlink_url("semset:KEY") and clean-up tools; waiters wake with
 * -EIDRM as for ipc_semset_remove().
 * Return: 0, or -ENOENT (no such set), -EPERM, -EACCES, -EIDRM, -EINVAL
 * (IPC_SYSV_PRIVATE).
 * Blocking: no.
 */
IPC_API ipc_status ipc_semset_remove_key(int32_t key);

/**
 * ipc_semset_close() - Free the handle. The set itself stays.
 * @ss: the handle, or NULL (no-op).
 *
 * Return: 0.
 */
IPC_API ipc_status ipc_semset_close(ipc_semset *ss);

#ifdef __cplusplus
}
#endif

#endif /* IPC_SEMSET_H */
