/* SPDX-License-Identifier: MIT */
/*
 * ipc/shm.h - POSIX shared memory objects, mapped.
 *
 * A shared memory object is a named file in /dev/shm (a tmpfs) that every
 * process opening the name can map: stores by one process are seen by the
 * others with no system call. Nothing synchronises the bytes: pair it with
 * ipc/mutex.h (robust lock and condition variable) or atomics.
 *
 * Lifetime: the name outlives every process until ipc_shm_unlink();
 * closing a handle unmaps and closes, it never removes the object. The
 * memory lives until the name is gone and the last mapping is unmapped.
 *
 * Creation is squat-proof: exclusive create (O_CREAT|O_EXCL|O_NOFOLLOW),
 * the mode applied exactly whatever the umask, and the pages reserved with
 * posix_fallocate(3) so that a full /dev/shm answers -ENOSPC (and the half
 * made object is removed) instead of a SIGBUS at the first touch. Opening
 * an existing object checks it is a regular file owned by the caller's
 * effective uid (IPC_O_SHARED accepts another owner) and large enough.
 *
 * Pitfall: any process allowed to write the object can ftruncate(2) it
 * smaller; every process touching a mapped page past the new end then dies
 * of SIGBUS. Share names only with processes you trust.
 *
 * Blocking: nothing here blocks; no call takes a deadline.
 */
#ifndef IPC_SHM_H
#define IPC_SHM_H

#include "ipc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_shm ipc_shm;

/**
 * ipc_shm_open() - Open (or create) a shared memory object and map it.
 * @out:   out: the handle; NULL on failure.
 * @name:  "/name": a leading '/', no other '/', at most NAME_MAX bytes.
 * @size:  with IPC_O_CREATE, the size of a new object (> 0 required).
 *         Opening an existing object: 0 adopts its size; otherwise it
 *         must be at most the object's size, and only @size bytes are
 *         mapped.
 * @flags: 0 or a combination of IPC_O_CREATE (create if missing),
 *         IPC_O_EXCL (with IPC_O_CREATE: it must not exist), IPC_O_READ
 *         (read-only open and mapping; not with IPC_O_CREATE),
 *         IPC_O_WRITE or IPC_O_RDWR (read-write, the default),
 *         IPC_O_SHARED (accept an object owned by another user) and
 *         IPC_O_NOFOLLOW (always in force: a symbolic link is refused).
 * @mode:  with IPC_O_CREATE, the permission bits of a new object (0 means
 *         0600), applied exactly whatever the umask; an existing object
 *         keeps its mode.
 *
 * Without IPC_O_EXCL an existing object is opened as it is, with the
 * size rule above (it is never grown or shrunk).
 *
 * Return: 0, or -EINVAL (NULL or malformed name, unknown flag, IPC_O_EXCL
 * without IPC_O_CREATE, IPC_O_READ with IPC_O_CREATE, @size 0 with
 * IPC_O_CREATE, mode above 07777, the object is smaller than @size or is
 * not a regular file), -ENAMETOOLONG, -EEXIST (IPC_O_EXCL and the name
 * exists, also as a symbolic link), -ENOENT (missing, no IPC_O_CREATE),
 * -ELOOP (a symbolic link squats the name), -EPERM (owned by another user
 * without IPC_O_SHARED), -EACCES (the object's mode forbids it), -EAGAIN
 * (the object exists with size 0: its creator has not sized it yet),
 * -ENOSPC (no room in /dev/shm for a new object; nothing is left behind),
 * -EFBIG, -ENOMEM, -EMFILE, -ENFILE.
 * Ownership: on success the caller owns *@out, released with
 * ipc_shm_close(); on failure nothing is allocated and an object this call
 * created is removed again.
 * Blocking: no.
 */
IPC_API ipc_status ipc_shm_open(ipc_shm **out, const char *name, size_t size,
                                unsigned int flags, unsigned int mode);

/**
 * ipc_shm_addr() - The start of the mapping.
 * @h: the handle.
 *
 * Return: the address (page aligned), valid until ipc_shm_close(); NULL
 * when @h is NULL. Read-only handles must not be written through it.
 */
IPC_API void *ipc_shm_addr(const ipc_shm *h);

/**
 * ipc_shm_size() - The length of the mapping in bytes.
 * @h: the handle.
 *
 * Return: the mapped size (what @size asked, or the object's size when it
 * was 0), or 0 when @h is NULL.
 */
IPC_API size_t ipc_shm_size(const ipc_shm *h);

/**
 * ipc_shm_fd() - The descriptor of the object.
 * @h: the handle.
 *
 * Bindings may mmap(2) it themselves (read-only handles have an O_RDONLY
 * descriptor). It is close-on-exec and stays valid until ipc_shm_close().
 * Return: a borrowed descriptor, or -1 when @h is NULL.
 */
IPC_API int ipc_shm_fd(const ipc_shm *h);

/**
 * ipc_shm_name() - The name the handle was opened with.
 * @h: the handle.
 *
 * Return: a string owned by @h, valid until ipc_shm_close(); NULL when @h
 * is NULL.
 */
IPC_API const char *ipc_shm_name(const ipc_shm *h);

/**
 * ipc_shm_is_readonly() - Whether the handle was opened with IPC_O_READ.
 * @h: the handle.
 *
 * Return: true for a read-only mapping, false otherwise (and for NULL).
 */
IPC_API bool ipc_shm_is_readonly(const ipc_shm *h);

/**
 * ipc_shm_close() - Unmap, close the descriptor and free the handle.
 * @h: the handle, or NULL.
 *
 * The object itself stays; other processes' mappings are untouched.
 * Return: 0, or the first error munmap(2) or close(2) reported (never
 * -EINTR). @h is freed either way.
 */
IPC_API ipc_status ipc_shm_close(ipc_shm *h);

/**
 * ipc_shm_unlink() - Remove the name of a shared memory object.
 * @name: the object.
 *
 * Mappings that exist keep the memory until they are unmapped.
 * Return: 0, or -ENOENT, -EACCES, -EINVAL (malformed name),
 * -ENAMETOOLONG.
 */
IPC_API ipc_status ipc_shm_unlink(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* IPC_SHM_H */
