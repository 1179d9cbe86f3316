/* SPDX-License-Identifier: MIT */
/*
 * ipc/mutex.h - robust process-shared mutexes with a condition variable.
 *
 * A named lock that unrelated processes share: a pthread mutex
 * (PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_ROBUST, error-checking) and a
 * condition variable (process-shared, CLOCK_MONOTONIC) in a small POSIX
 * shared memory object with a versioned header. When the owner dies while
 * holding the lock, the kernel releases it and the next locker gets it
 * with -EOWNERDEAD: the data it protects may be half updated. The new
 * owner repairs it and calls ipc_mutex_consistent(), or unlocks without
 * that and the mutex becomes unrecoverable (-ENOTRECOVERABLE for ever).
 *
 * Lifetime: the name outlives every process until ipc_mutex_unlink();
 * closing a handle never removes it. The first opener initialises the
 * object; later openers wait, until their deadline, for that to finish.
 *
 * Blocking: ipc_mutex_lock() and ipc_mutex_wait() wait until their
 * deadline. They are NOT interrupted by signal handlers (robust pthread
 * mutexes and condition variables never return EINTR): a wait ends only
 * when it succeeds or at its deadline. Callers that must react to signals
 * wait in short slices (see docs/mutex.md). Opening waits for a peer's
 * initialisation and may return -EINTR.
 */
#ifndef IPC_MUTEX_H
#define IPC_MUTEX_H

#include "ipc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_mutex ipc_mutex;

/**
 * ipc_mutex_open() - Open (or create) a named robust mutex.
 * @out:   out: the handle; NULL on failure.
 * @name:  "/name", as for ipc_shm_open(); the object lives in /dev/shm.
 * @flags: 0 or a combination of IPC_O_CREATE (create if missing),
 *         IPC_O_EXCL (with IPC_O_CREATE: it must not exist) and
 *         IPC_O_SHARED (accept an object owned by another user).
 * @mode:  with IPC_O_CREATE, the permission bits (0 means 0600), applied
 *         exactly whatever the umask. Lockers need read and write access.
 * @d:     deadline for a peer's initialisation of a new object.
 *
 * An object found not yet initialised is initialised by whoever opens it
 * first (a creator that died half way is replaced, never waited for).
 *
 * Return: 0, or -EEXIST, -ENOENT, -EPERM (another owner without
 * IPC_O_SHARED), -EACCES, -ELOOP (a symbolic link squats the name),
 * -EPROTO (the object is not a mutex of this version: bad magic, version,
 * size or state), -EAGAIN / -ETIMEDOUT (a peer was still initialising it
 * at @d), -EINTR, -EINVAL (NULL or malformed name, unknown flag, IPC_O_EXCL
 * without IPC_O_CREATE, mode above 07777), -ENAMETOOLONG, -ENOSPC,
 * -ENOMEM, -EMFILE, -ENFILE.
 * Ownership: on success the caller owns *@out; on failure nothing is
 * allocated and an object this call created is removed again.
 * Blocking: only while a peer initialises the object, until @d; may return
 * -EINTR.
 */
IPC_API ipc_status ipc_mutex_open(ipc_mutex **out, const char *name,
                                  unsigned int flags, unsigned int mode,
                                  ipc_deadline d);

/**
 * ipc_mutex_lock() - Take the lock.
 * @m: the handle.
 * @d: deadline: IPC_DEADLINE_NOW tries once, IPC_DEADLINE_NEVER waits for
 *     ever.
 *
 * Return: 0 with the lock held; -EOWNERDEAD with the lock held: the
 * previous owner died holding it; repair the protected state, then call
 * ipc_mutex_consistent() before unlocking (otherwise the mutex becomes
 * unrecoverable). Or -EAGAIN (@d was IPC_DEADLINE_NOW and it is held),
 * -ETIMEDOUT, -ENOTRECOVERABLE (an owner-died lock was released without
 * ipc_mutex_consistent(): the mutex is dead, unlink and recreate it),
 * -EDEADLK (this thread holds it already), -EBADF (NULL).
 * Blocking: until the lock is free or @d; never -EINTR.
 */
IPC_API ipc_status ipc_mutex_lock(ipc_mutex *m, ipc_deadline d);

/**
 * ipc_mutex_consistent() - Mark an owner-died lock as repaired.
 * @m: the handle; the caller holds the lock after -EOWNERDEAD.
 *
 * Return: 0, or -EINVAL (the lock is not in the owner-died state, or not
 * held by this thread), -EBADF (NULL).
 * Blocking: no.
 */
IPC_API ipc_status ipc_mutex_consistent(ipc_mutex *m);

/**
 * ipc_mutex_unlock() - Release the lock.
 * @m: the handle; the caller holds the lock.
 *
 * After -EOWNERDEAD without ipc_mutex_consistent() this makes the mutex
 * unrecoverable, as POSIX requires.
 * Return: 0, or -EPERM (this thread does not hold it), -EBADF (NULL).
 * Blocking: no.
 */
IPC_API ipc_status ipc_mutex_unlock(ipc_mutex *m);

/**
 * ipc_mutex_wait() - Wait on the condition variable.
 * @m: the handle; the caller holds the lock.
 * @d: deadline.
 *
 * Releases the lock, waits for ipc_mutex_signal() or
 * ipc_mutex_broadcast() from any process, and takes the lock again before
 * returning, also on -ETIMEDOUT. Wake-ups may be spurious: wait in a loop
 * that re-checks the shared predicate.
 * Return: 0 (woken, lock held), -EOWNERDEAD (woken, lock held, its
 * previous owner died: as ipc_mutex_lock()), -ETIMEDOUT (lock held),
 * -EAGAIN (@d was IPC_DEADLINE_NOW; lock held), -ENOTRECOVERABLE (lock not
 * held), -EPERM (the caller does not hold the lock), -EBADF (NULL).
 * Blocking: until woken or @d; never -EINTR.
 */
IPC_API ipc_status ipc_mutex_wait(ipc_mutex *m, ipc_deadline d);

/**
 * ipc_mutex_signal() - Wake one waiter of the condition variable.
 * @m: the handle (holding the lock is allowed, not required).
 *
 * Return: 0, or -EBADF (NULL).
 * Blocking: no.
 */
IPC_API ipc_status ipc_mutex_signal(ipc_mutex *m);

/**
 * ipc_mutex_broadcast() - Wake every waiter of the condition variable.
 * @m: the handle.
 *
 * Return: 0, or -EBADF (NULL).
 * Blocking: no.
 */
IPC_API ipc_status ipc_mutex_broadcast(ipc_mutex *m);

/**
 * ipc_mutex_name() - The name the handle was opened with.
 * @m: the handle.
 *
 * Return: a string owned by @m, valid until ipc_mutex_close(); NULL when
 * @m is NULL.
 */
IPC_API const char *ipc_mutex_name(const ipc_mutex *m);

/**
 * ipc_mutex_close() - Unmap the mutex and free the handle.
 * @m: the handle, or NULL.
 *
 * If the calling thread still holds the lock it is unlocked first (the
 * mapping must not vanish under the kernel's robust list); an owner-died
 * lock not marked consistent then becomes unrecoverable. Other threads
 * must not hold the lock through @m.
 * Return: 0, or the error munmap(2) or close(2) reported (never -EINTR).
 * @m is freed either way; the named object stays.
 */
IPC_API ipc_status ipc_mutex_close(ipc_mutex *m);

/**
 * ipc_mutex_unlink() - Remove the name of a mutex.
 * @name: the mutex.
 *
 * Processes that have it open keep using it; a later open of the name
 * creates a new, unrelated mutex.
 * Return: 0, or -ENOENT, -EACCES, -EINVAL, -ENAMETOOLONG.
 */
IPC_API ipc_status ipc_mutex_unlink(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* IPC_MUTEX_H */
