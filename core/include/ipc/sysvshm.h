/* SPDX-License-Identifier: MIT */
/*
 * ipc/sysvshm.h - System V shared memory segments.
 *
 * A segment is a block of memory the kernel keeps, found by a 32-bit key
 * (ipc/sysv.h) or by its id. ipc_sysvshm_open() finds or creates it
 * (shmget) and attaches it to the calling process (shmat); the handle
 * gives its address and size. Every attachment needs its detach:
 * ipc_sysvshm_close() detaches. A forked child inherits the attachment
 * (the segment counts it) and must close its copy of the handle too.
 *
 * Lifetime: a segment outlives every process until it is removed AND the
 * last attachment is gone (kernel.shm_rmid_forced is 0 here): closing
 * never removes it, ipc_sysvshm_remove() marks it for removal, after
 * which no new process can find it by key, and the memory goes when the
 * last attacher detaches or exits. When no later process needs to find
 * the segment, remove it right after attaching (create, attach, remove):
 * then nothing is left even if every process is killed.
 *
 * Modes are plain System V permission bits: the umask never applies, the
 * bits asked for are the bits the segment gets. Nothing here blocks.
 */
#ifndef IPC_SYSVSHM_H
#define IPC_SYSVSHM_H

#include "ipc/common.h"
#include "ipc/sysv.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_sysvshm ipc_sysvshm;

/**
 * ipc_sysvshm_open() - Find or create a segment and attach it.
 * @out:   out: the handle; NULL on failure.
 * @key:   the key; IPC_SYSV_PRIVATE always creates a new segment that
 *         only the processes told its id (ipc_sysvshm_id()) can attach.
 * @size:  bytes. Creating: the segment's size, at least 1 (the kernel
 *         keeps it as given; the mapping covers whole pages). Opening an
 *         existing segment: 0 accepts its size, a size above its size is
 *         refused (-EINVAL), a smaller one is accepted and the handle
 *         still reports the segment's real size.
 * @flags: 0, or IPC_O_READ (attach read-only: writing through the
 *         address kills the process with SIGSEGV); IPC_O_WRITE or
 *         IPC_O_RDWR attach read-write as 0 does; IPC_O_CREATE (create
 *         when missing), IPC_O_EXCL (with IPC_O_CREATE: it must not
 *         exist), IPC_O_SHARED (accept a segment owned by another user).
 * @mode:  with IPC_O_CREATE, the permission bits, at most 0777 (0 means
 *         IPC_MODE_DEFAULT, 0600); applied exactly, the umask plays no
 *         part. Ignored when the segment exists already.
 *
 * Return: 0, or -EEXIST (IPC_O_EXCL and the key is taken), -ENOENT (no
 * segment with @key and no IPC_O_CREATE), -EINVAL (unknown flag,
 * IPC_O_EXCL without IPC_O_CREATE, mode above 0777, @out NULL; creating
 * with @size 0 or above kernel.shmmax; @size above an existing segment's
 * size), -EPERM (an existing segment owned by another user, without
 * IPC_O_SHARED), -EACCES (its mode forbids the access asked), -ENOSPC
 * (kernel.shmmni segments or kernel.shmall pages in use), -ENOMEM,
 * -EIDRM (removed meanwhile).
 * Ownership: on success the caller owns *@out and releases it with
 * ipc_sysvshm_close(); on failure nothing is attached or allocated, and a
 * segment this call created is removed again.
 * Blocking: no.
 */
IPC_API ipc_status ipc_sysvshm_open(ipc_sysvshm **out, int32_t key, size_t size,
                                    unsigned int flags, unsigned int mode);

/**
 * ipc_sysvshm_open_id() - Attach a segment by its id.
 * @out:   out: the handle; NULL on failure.
 * @id:    a segment id from ipc_sysvshm_id() or shmget(2), for instance
 *         of an IPC_SYSV_PRIVATE segment; a segment already marked for
 *         removal can still be attached this way while it has attachers
 *         (Linux).
 * @flags: 0 or IPC_O_READ, IPC_O_WRITE, IPC_O_RDWR as for
 *         ipc_sysvshm_open(); IPC_O_SHARED.
 *
 * Return: 0, or -EINVAL (no such id, a negative id, unknown flag, @out
 * NULL), -EIDRM, -EPERM, -EACCES, -ENOMEM.
 * Ownership: as ipc_sysvshm_open().
 * Blocking: no.
 */
IPC_API ipc_status ipc_sysvshm_open_id(ipc_sysvshm **out, int id,
                                       unsigned int flags);

/**
 * ipc_sysvshm_addr() - Where the segment is attached in this process.
 * @h: the handle.
 *
 * Return: the address, borrowed from @h until ipc_sysvshm_close(); NULL
 * when @h is NULL.
 */
IPC_API void *ipc_sysvshm_addr(const ipc_sysvshm *h);

/**
 * ipc_sysvshm_size() - The segment's size in bytes.
 * @h: the handle.
 *
 * The size it was created with (IPC_STAT's shm_segsz), not rounded to
 * pages, read when the handle was opened.
 * Return: the size, 0 when @h is NULL.
 */
IPC_API size_t ipc_sysvshm_size(const ipc_sysvshm *h);

/**
 * ipc_sysvshm_id() - The segment's id, for ipc_sysvshm_open_id(),
 * ipcs(1) and ipcrm(1).
 * @h: the handle.
 *
 * Return: the id, -1 when @h is NULL.
 */
IPC_API int ipc_sysvshm_id(const ipc_sysvshm *h);

/**
 * ipc_sysvshm_key() - The segment's key, as it was when @h was opened.
 * @h: the handle.
 *
 * Return: the key; IPC_SYSV_PRIVATE for a private segment, one already
 * marked for removal, or a NULL @h.
 */
IPC_API int32_t ipc_sysvshm_key(const ipc_sysvshm *h);

/**
 * ipc_sysvshm_readonly() - Whether the handle is attached read-only.
 * @h: the handle.
 *
 * Return: true for IPC_O_READ handles, false otherwise and for NULL.
 */
IPC_API bool ipc_sysvshm_readonly(const ipc_sysvshm *h);

/**
 * ipc_sysvshm_nattach() - How many attachments the segment has now.
 * @h: the handle.
 * @n: out: the count over every process (this handle included).
 *
 * Return: 0, or -EBADF (@h NULL), -EINVAL (@n NULL, or the segment is
 * gone), -EACCES (its mode was changed to forbid reading).
 * Blocking: no.
 */
IPC_API ipc_status ipc_sysvshm_nattach(const ipc_sysvshm *h, unsigned long *n);

/**
 * ipc_sysvshm_remove() - Mark the segment for removal (IPC_RMID).
 * @h: the handle; it stays attached and usable.
 *
 * The key is free at once (a later ipc_sysvshm_open() of it creates a new
 * segment); the memory goes when the last attachment is detached.
 * Removing twice is harmless.
 * Return: 0, or -EBADF (@h NULL), -EPERM (neither creator nor owner),
 * -EINVAL, -EIDRM (already gone).
 * Blocking: no.
 */
IPC_API ipc_status ipc_sysvshm_remove(ipc_sysvshm *h);

/**
 * ipc_sysvshm_remove_key() - Mark the segment with @key for removal.
 * @key: the key, not IPC_SYSV_PRIVATE.
 *
 * What ipcrm -M does; the removal of the URL sysvshm:KEY.
 * Return: 0, or -ENOENT (no segment has @key), -EINVAL (IPC_SYSV_PRIVATE),
 * -EPERM, -EACCES.
 * Blocking: no.
 */
IPC_API ipc_status ipc_sysvshm_remove_key(int32_t key);

/**
 * ipc_sysvshm_close() - Detach and free the handle. The segment stays.
 * @h: the handle, or NULL.
 *
 * The address is dead afterwards. If the segment was marked for removal
 * and this was its last attachment, the memory is freed now.
 * Return: 0, or the error shmdt(2) reported. @h is freed either way.
 */
IPC_API ipc_status ipc_sysvshm_close(ipc_sysvshm *h);

#ifdef __cplusplus
}
#endif

#endif /* IPC_SYSVSHM_H */
