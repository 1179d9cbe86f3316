/* SPDX-License-Identifier: MIT */
/*
 * ipc/sysv.h - keys of System V objects, shared by System V message queues
 * (ipc/sysvmq.h), shared memory (ipc/sysvshm.h) and semaphore sets
 * (ipc/semset.h).
 *
 * A System V object is found by a 32-bit key. Pick a number (the textbooks'
 * 1234), or derive one from a file with ftok(3): it combines the low 8 bits
 * of @proj, the low 8 bits of the file's device number and the low 16 bits
 * of its inode, so two files can give the same key. Treat an ftok key as a
 * convenience, create with IPC_O_EXCL, and expect -EEXIST on a collision.
 * IPC_SYSV_PRIVATE (0) always makes a new object that only descendants and
 * processes told its id can reach.
 */
#ifndef IPC_SYSV_H
#define IPC_SYSV_H

#include "ipc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The key that always creates a new, unnamed object (IPC_PRIVATE). */
#define IPC_SYSV_PRIVATE 0

/**
 * ipc_sysv_key() - A key from a file and a project number, as ftok(3).
 * @path: an existing file every user of the key can stat.
 * @proj: 1 to 255 (0 is refused: ftok's result would not depend on it).
 * @key:  out: the key.
 *
 * Return: 0, or -EINVAL (@proj out of range, empty path), -ENOENT,
 * -EACCES, -ENAMETOOLONG, -ENOTDIR.
 */
IPC_API ipc_status ipc_sysv_key(const char *path, int proj, int32_t *key);

/**
 * ipc_sysv_parse_key() - Parse a key as the endpoint URLs write it.
 * @text: decimal ("1234"), hexadecimal ("0x4d2"), or "path:proj" for
 *        ipc_sysv_key().
 * @key:  out: the key.
 *
 * Return: 0, or -EINVAL (malformed, out of range), or the errors of
 * ipc_sysv_key() for the "path:proj" form.
 */
IPC_API ipc_status ipc_sysv_parse_key(const char *text, int32_t *key);

#ifdef __cplusplus
}
#endif

#endif /* IPC_SYSV_H */
