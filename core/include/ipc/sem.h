/* SPDX-License-Identifier: MIT */
/*
 * ipc/sem.h - POSIX semaphores, named and unnamed (process-shared).
 *
 * A semaphore is a counter that never goes below zero: ipc_sem_post() adds
 * one, ipc_sem_wait() takes one or waits, until its deadline, for a post.
 *
 * Named semaphores ("/name") are found by name by unrelated processes.
 * glibc keeps them as the file /dev/shm/sem.<name without the slash>; the
 * name outlives every process until ipc_sem_unlink(), and closing a handle
 * never removes it. Unnamed semaphores live in memory the caller provides
 * (IPC_SEM_SIZE bytes, 8-aligned, in a MAP_SHARED mapping every user can
 * reach): one process initialises them with ipc_sem_init(), the others
 * take a handle with ipc_sem_attach(), and they last as long as that
 * memory does.
 *
 * No owner: a POSIX semaphore does not know who took it. If a process dies
 * between wait and post, its decrement is never undone and the others wait
 * until their deadlines (every wait takes one). For a lock that survives
 * the death of its holder use a robust mutex (ipc/mutex.h), or a System V
 * set with IPC_SEMSET_UNDO (ipc/semset.h).
 *
 * Blocking: only ipc_sem_wait() waits, on CLOCK_MONOTONIC
 * (sem_clockwait), and a signal handler interrupts it with -EINTR.
 */
#ifndef IPC_SEM_H
#define IPC_SEM_H

#include "ipc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_sem ipc_sem;

/*
 * Room an unnamed semaphore takes in the caller's memory (at least
 * sizeof(sem_t), which is 32 on x86_64 glibc), and the alignment its
 * address needs.
 */
#define IPC_SEM_SIZE  32u
#define IPC_SEM_ALIGN 8u

/* The largest value a semaphore can hold (SEM_VALUE_MAX on Linux). */
#define IPC_SEM_VALUE_MAX 2147483647u

/**
 * ipc_sem_open() - Open or create a named semaphore.
 * @out:   out: the handle; NULL on failure.
 * @name:  "/name": a leading '/', no other '/', at most NAME_MAX - 4
 *         bytes after the '/' (glibc stores it as /dev/shm/sem.name).
 * @value: with IPC_O_CREATE, the initial value, at most
 *         IPC_SEM_VALUE_MAX; ignored when the semaphore already exists.
 * @flags: 0 (open an existing one), or IPC_O_CREATE (create it if
 *         missing), IPC_O_EXCL (with IPC_O_CREATE: it must not exist),
 *         IPC_O_SHARED (accept a semaphore owned by another user).
 * @mode:  with IPC_O_CREATE, the permission bits, at most 0777 (0 means
 *         0600), applied exactly whatever the umask. An existing
 *         semaphore keeps its mode.
 *
 * Opening an existing semaphore checks that /dev/shm/sem.name is a
 * regular file (not a symbolic link) big enough to hold one and, without
 * IPC_O_SHARED, that the caller's effective uid owns it.
 * Return: 0, or -EEXIST (IPC_O_EXCL and it exists), -ENOENT (no such
 * semaphore and no IPC_O_CREATE), -EINVAL (bad name, flag, mode or value,
 * IPC_O_EXCL without IPC_O_CREATE, not a semaphore file), -ENAMETOOLONG,
 * -EPERM (owned by another user), -ELOOP (a symbolic link is there),
 * -EACCES, -EMFILE, -ENFILE, -ENOMEM, -ENOSPC.
 * Ownership: on success the caller owns *@out (ipc_sem_close()); on
 * failure nothing is allocated, and a semaphore this call created is
 * removed again.
 * Blocking: no.
 */
IPC_API ipc_status ipc_sem_open(ipc_sem **out, const char *name,
                                unsigned int value, unsigned int flags,
                                unsigned int mode);

/**
 * ipc_sem_init() - Initialise an unnamed process-shared semaphore.
 * @out:   out: the handle; NULL on failure.
 * @mem:   IPC_SEM_SIZE bytes, IPC_SEM_ALIGN-aligned, in memory shared
 *         with the other users (MAP_SHARED: shared memory, a memfd, an
 *         anonymous shared mapping inherited across fork()).
 * @value: the initial value, at most IPC_SEM_VALUE_MAX.
 *
 * Initialise a semaphore once, before anyone else attaches to it; doing
 * it again while others use it is undefined.
 * Return: 0, or -EINVAL (@mem NULL or misaligned, @value too large),
 * -ENOMEM.
 * Ownership: the caller owns *@out; ipc_sem_destroy() ends the semaphore
 * and frees the handle. The memory stays the caller's.
 * Blocking: no.
 */
IPC_API ipc_status ipc_sem_init(ipc_sem **out, void *mem, unsigned int value);

/**
 * ipc_sem_attach() - A handle on an unnamed semaphore initialised by
 * another process (or another handle) with ipc_sem_init().
 * @out: out: the handle; NULL on failure.
 * @mem: the address of the semaphore in this process's mapping.
 *
 * Nothing can tell an initialised semaphore from garbage: attach only to
 * memory the initialiser has handed over (after ipc_sem_init() returned).
 * Return: 0, or -EINVAL (@mem NULL or misaligned), -ENOMEM.
 * Ownership: the caller owns *@out and frees it with ipc_sem_close(),
 * which leaves the semaphore alone.
 * Blocking: no.
 */
IPC_API ipc_status ipc_sem_attach(ipc_sem **out, void *mem);

/**
 * ipc_sem_destroy() - Destroy an unnamed semaphore and free the handle.
 * @s: a handle from ipc_sem_init() or ipc_sem_attach(), or NULL (no-op).
 *
 * Nobody may wait on the semaphore any more, nor use it afterwards.
 * Return: 0, or -EINVAL when @s is a named semaphore (the handle is then
 * left as it was: close it with ipc_sem_close()).
 */
IPC_API ipc_status ipc_sem_destroy(ipc_sem *s);

/**
 * ipc_sem_wait() - Take one from the semaphore, waiting until @d.
 * @s: the handle.
 * @d: IPC_DEADLINE_NOW tries once; IPC_DEADLINE_NEVER waits for ever.
 *
 * The wait is measured on CLOCK_MONOTONIC, so wall-clock steps do not
 * shorten or stretch it.
 * Return: 0 (the value was decremented), or -EAGAIN (@d was
 * IPC_DEADLINE_NOW and the value was 0), -ETIMEDOUT, -EINTR (a signal
 * handler ran: call again with the same @d), -EBADF (@s NULL).
 * Blocking: until a post or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_sem_wait(ipc_sem *s, ipc_deadline d);

/**
 * ipc_sem_post() - Add one to the semaphore, waking one waiter.
 * @s: the handle.
 *
 * Async-signal-safe, like sem_post(3).
 * Return: 0, or -EOVERFLOW (the value is IPC_SEM_VALUE_MAX already),
 * -EBADF (@s NULL).
 * Blocking: no.
 */
IPC_API ipc_status ipc_sem_post(ipc_sem *s);

/**
 * ipc_sem_value() - The current value.
 * @s:     the handle.
 * @value: out: the value (0 when someone waits), stale as soon as read.
 *
 * Return: 0, or -EBADF (@s NULL), -EINVAL (@value NULL).
 * Blocking: no.
 */
IPC_API ipc_status ipc_sem_value(ipc_sem *s, int *value);

/**
 * ipc_sem_name() - The name of a named semaphore.
 * @s: the handle.
 *
 * Return: a string owned by @s, valid until it is closed; NULL for an
 * unnamed semaphore or a NULL handle.
 */
IPC_API const char *ipc_sem_name(const ipc_sem *s);

/**
 * ipc_sem_close() - Close the handle.
 * @s: the handle, or NULL (no-op).
 *
 * A named semaphore stays until ipc_sem_unlink(); an unnamed one is left
 * as it is (ipc_sem_destroy() ends it). @s is freed either way.
 * Return: 0, or the error sem_close(3) reported.
 */
IPC_API ipc_status ipc_sem_close(ipc_sem *s);

/**
 * ipc_sem_unlink() - Remove a named semaphore.
 * @name: "/name".
 *
 * Processes that have it open keep using it; the name is free at once.
 * Return: 0, or -ENOENT, -EINVAL (bad name), -ENAMETOOLONG, -EACCES.
 */
IPC_API ipc_status ipc_sem_unlink(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* IPC_SEM_H */
