/* SPDX-License-Identifier: MIT */
/*
 * ipc/mmap.h - files mapped into memory (MAP_SHARED).
 *
 * A mapped file is shared memory that lives in the file system: every
 * process that maps the same file sees the same bytes, and what they
 * write stays in the file after they exit. Use it for state that must
 * persist, or to share large read-only data without copying it.
 * ipc_mmap_open() maps a range of a file, optionally creating the file
 * with a size; the handle gives the address and size of the range and
 * keeps the file's descriptor open.
 *
 * Lifetime: the file is an ordinary file; closing a handle unmaps it and
 * never removes the file (unlink(2) does). Writes reach the page cache at
 * once, so other mappings and read(2) see them straight away;
 * ipc_mmap_flush() asks for them to reach the disk (msync).
 *
 * Faults: if the file is truncated while mapped, touching a page past the
 * new end kills the process with SIGBUS; so does touching a page of a
 * sparse file on a full file system. Files this library creates or grows
 * have their blocks reserved (posix_fallocate), so a full file system is
 * reported as -ENOSPC when opening, never as SIGBUS later.
 *
 * Nothing here blocks, except that ipc_mmap_flush() may wait for the disk.
 */
#ifndef IPC_MMAP_H
#define IPC_MMAP_H

#include "ipc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_mmap ipc_mmap;

/**
 * ipc_mmap_open() - Map @length bytes of the file at @path from @offset.
 * @out:    out: the handle; NULL on failure.
 * @path:   the file; at most PATH_MAX bytes.
 * @offset: where the range starts in the file; need not be page-aligned
 *          (ipc_mmap_addr() is the address of that very byte).
 * @length: bytes to map; 0 maps from @offset to the current end of the
 *          file (which must then lie beyond @offset).
 * @flags:  IPC_O_READ for a read-only mapping (a write through it kills
 *          the process with SIGSEGV); 0, IPC_O_WRITE or IPC_O_RDWR for a
 *          read-write one. Optionally IPC_O_CREATE: create the file if
 *          missing, and make sure it holds at least @offset + @length
 *          bytes, reserving the blocks it adds (needs write access and
 *          @length > 0); IPC_O_EXCL (with IPC_O_CREATE: the file must not
 *          exist); IPC_O_NOFOLLOW (refuse a symbolic link at @path).
 * @mode:   with IPC_O_CREATE, the permission bits of a new file, at most
 *          07777 (0 means IPC_MODE_DEFAULT, 0600), applied exactly
 *          whatever the umask. An existing file keeps its mode.
 *
 * Without IPC_O_CREATE the file is never grown: one shorter than
 * @offset + @length is refused. Nothing ever shrinks a file.
 *
 * Return: 0, or -EINVAL (unknown flag, IPC_O_EXCL without IPC_O_CREATE,
 * IPC_O_CREATE with IPC_O_READ alone or with @length 0, mode above 07777,
 * NULL @out or @path, empty @path, @offset + @length past the largest
 * file offset; the file is not a regular file, is shorter than
 * @offset + @length, or ends at or before @offset with @length 0),
 * -ENOENT (no such file and no IPC_O_CREATE, or a dangling symbolic
 * link), -EEXIST (IPC_O_CREATE|IPC_O_EXCL and @path exists, a symbolic
 * link included), -ELOOP (a symbolic link with IPC_O_NOFOLLOW), -ENOSPC,
 * -EDQUOT (no room to create or grow the file; a file this call created is
 * removed again), -EFBIG, -EACCES, -EPERM, -EROFS, -ENAMETOOLONG,
 * -ENOTDIR, -ENODEV (the file system cannot be mapped), -ENOMEM, -EMFILE,
 * -ENFILE.
 * Ownership: on success the caller owns *@out and releases it with
 * ipc_mmap_close(); on failure nothing is mapped, open or allocated, and a
 * file this call created is removed.
 * Blocking: no (creating may write to the disk).
 */
IPC_API ipc_status ipc_mmap_open(ipc_mmap **out, const char *path,
                                 uint64_t offset, size_t length,
                                 unsigned int flags, unsigned int mode);

/**
 * ipc_mmap_addr() - The address of the byte at the offset asked for.
 * @m: the handle.
 *
 * Return: the address, borrowed from @m until ipc_mmap_close(); NULL when
 * @m is NULL.
 */
IPC_API void *ipc_mmap_addr(const ipc_mmap *m);

/**
 * ipc_mmap_size() - The length of the mapped range in bytes.
 * @m: the handle.
 *
 * Return: the length asked for (or found, for @length 0); 0 for NULL.
 */
IPC_API size_t ipc_mmap_size(const ipc_mmap *m);

/**
 * ipc_mmap_offset() - Where the range starts in the file.
 * @m: the handle.
 *
 * Return: the @offset given to ipc_mmap_open(); 0 for NULL.
 */
IPC_API uint64_t ipc_mmap_offset(const ipc_mmap *m);

/**
 * ipc_mmap_fd() - The file's descriptor, open read-only or read-write
 * like the mapping, for fstat(2) or a binding's own mmap(2).
 * @m: the handle.
 *
 * Return: a borrowed descriptor (close-on-exec), -1 when @m is NULL.
 */
IPC_API int ipc_mmap_fd(const ipc_mmap *m);

/**
 * ipc_mmap_flush() - Write changed pages of a part of the range to the
 * file's storage (msync).
 * @m:      the handle.
 * @offset: start, relative to ipc_mmap_addr().
 * @length: bytes from @offset; 0 means up to the end of the range.
 * @wait:   true: return once the pages are written (MS_SYNC); false:
 *          only start writing them (MS_ASYNC, a no-op on Linux, which
 *          writes dirty pages back by itself).
 *
 * Covers every page that holds a byte of the part. Not needed for other
 * processes to see the writes, only for them to survive a crash of the
 * machine.
 * Return: 0, or -EBADF (@m NULL), -EINVAL (the part does not lie within
 * the range), -EIO (the storage failed), -ENOMEM.
 * Blocking: with @wait, until the disk has the pages; no deadline.
 */
IPC_API ipc_status ipc_mmap_flush(ipc_mmap *m, size_t offset, size_t length,
                                  bool wait);

/**
 * ipc_mmap_close() - Unmap, close the descriptor and free the handle. The
 * file stays.
 * @m: the handle, or NULL.
 *
 * Does not flush: written bytes are in the page cache already and reach
 * the disk in due course.
 * Return: 0, or the first error munmap(2) or close(2) reported (never
 * -EINTR). @m is freed either way.
 */
IPC_API ipc_status ipc_mmap_close(ipc_mmap *m);

#ifdef __cplusplus
}
#endif

#endif /* IPC_MMAP_H */
