/* SPDX-License-Identifier: MIT */
/* mmap.c - files mapped into memory. */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "ipc/mmap.h"

#define MMAP_OPEN_FLAGS                                                        \
	(IPC_O_READ | IPC_O_WRITE | IPC_O_CREATE | IPC_O_EXCL | IPC_O_NOFOLLOW)
/* Rounds of "exists" / "gone again" between two opens before giving up. */
#define MMAP_OPEN_TRIES 16

struct ipc_mmap {
	void *base;          /* the mapping, page-aligned */
	size_t map_len;      /* its length */
	unsigned char *addr; /* the byte at @offset, within the mapping */
	size_t size;
	uint64_t offset;
	size_t page;
	int fd;
};

static bool want_write(unsigned int flags)
{
	return (flags & IPC_O_RDWR) != IPC_O_READ;
}

static ipc_status check_args(const char *path, uint64_t offset, size_t length,
                             unsigned int flags, unsigned int mode)
{
	if (path == NULL || path[0] == '\0' || mode > 07777 ||
	    (flags & ~MMAP_OPEN_FLAGS))
		return -EINVAL;
	if ((flags & IPC_O_EXCL) && !(flags & IPC_O_CREATE))
		return -EINVAL;
	if ((flags & IPC_O_CREATE) && (!want_write(flags) || length == 0))
		return -EINVAL;
	if (offset > (uint64_t)INT64_MAX ||
	    (uint64_t)length > (uint64_t)INT64_MAX - offset)
		return -EINVAL;
	if (strnlen(path, PATH_MAX) == PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* Remove the file this call made at @path, unless it has been replaced. */
static void unlink_made(const char *path, const struct stat *made)
{
	struct stat st;

	if (lstat(path, &st) == 0 && st.st_dev == made->st_dev &&
	    st.st_ino == made->st_ino)
		(void)unlink(path);
}

/*
 * Open @path, creating it (with O_EXCL, so never through a symbolic link)
 * when IPC_O_CREATE asks. *@created says whether this call made the file.
 * O_NONBLOCK keeps a FIFO or a device at the path from blocking the open;
 * the type check comes after.
 */
static ipc_status file_open(const char *path, unsigned int flags, int *out,
                            bool *created)
{
	int oflags = O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	int tries;
	int fd = -1;
	int err = ENOENT;

	*created = false;
	oflags |= want_write(flags) ? O_RDWR : O_RDONLY;
	if (flags & IPC_O_NOFOLLOW)
		oflags |= O_NOFOLLOW;
	for (tries = 0; tries < MMAP_OPEN_TRIES; tries++) {
		if (flags & IPC_O_CREATE) {
			fd = open(path, oflags | O_CREAT | O_EXCL,
			          (mode_t)IPC_MODE_DEFAULT);
			if (fd >= 0) {
				*created = true;
				break;
			}
			err = errno;
			if (err == EINTR)
				continue;
			if (err != EEXIST || (flags & IPC_O_EXCL))
				break;
		}
		fd = open(path, oflags);
		if (fd >= 0)
			break;
		err = errno;
		if (err == EINTR)
			continue;
		/* Without O_CREAT, ENOENT is final; with it the file went
		 * away since, or a dangling symbolic link is there (which
		 * O_EXCL refuses to create through): try again. */
		if (err != ENOENT || !(flags & IPC_O_CREATE))
			break;
	}
	if (fd < 0)
		return err == EISDIR ? -EINVAL : -err;
	*out = fd;
	return 0;
}

/*
 * Check the file behind @fd, give a new one its mode, grow it when asked,
 * and work out the length to map. @length 0 means up to the end.
 */
static ipc_status file_prepare(int fd, uint64_t offset, size_t *length,
                               unsigned int flags, unsigned int mode,
                               bool created, struct stat *sb)
{
	uint64_t need = offset + *length;
	ipc_status st;

	if (fstat(fd, sb) < 0)
		return -errno;
	if (!S_ISREG(sb->st_mode))
		return -EINVAL;
	if (created && fchmod(fd, (mode_t)(mode ? mode : IPC_MODE_DEFAULT)) < 0)
		return -errno;
	if ((flags & IPC_O_CREATE) && (uint64_t)sb->st_size < need) {
		st = ipc__reserve(fd, sb->st_size, (off_t)need - sb->st_size);
		if (st)
			return st;
		sb->st_size = (off_t)need;
	}
	if (*length == 0) {
		if ((uint64_t)sb->st_size <= offset ||
		    (uint64_t)sb->st_size - offset > SIZE_MAX)
			return -EINVAL;
		*length = (size_t)((uint64_t)sb->st_size - offset);
	} else if ((uint64_t)sb->st_size < need) {
		return -EINVAL;
	}
	return ipc__set_nonblock(fd, false);
}

static ipc_status map_range(int fd, uint64_t offset, size_t length,
                            unsigned int flags, ipc_mmap **out)
{
	long pagesz = sysconf(_SC_PAGESIZE);
	size_t page = pagesz > 0 ? (size_t)pagesz : 4096;
	uint64_t start = offset & ~(uint64_t)(page - 1);
	size_t delta = (size_t)(offset - start);
	int prot = PROT_READ | (want_write(flags) ? PROT_WRITE : 0);
	ipc_mmap *m;
	void *base;

	if (length > SIZE_MAX - delta)
		return -EINVAL;
	m = malloc(sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	base = mmap(NULL, delta + length, prot, MAP_SHARED, fd, (off_t)start);
	if (base == MAP_FAILED) {
		ipc_status st = -errno;

		free(m);
		return st;
	}
	m->base = base;
	m->map_len = delta + length;
	m->addr = (unsigned char *)base + delta;
	m->size = length;
	m->offset = offset;
	m->page = page;
	m->fd = fd;
	*out = m;
	return 0;
}

ipc_status ipc_mmap_open(ipc_mmap **out, const char *path, uint64_t offset,
                         size_t length, unsigned int flags, unsigned int mode)
{
	struct stat sb;
	bool created = false;
	ipc_status st;
	int fd = -1;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	memset(&sb, 0, sizeof(sb)); /* unlink_made() matches nothing then */
	st = check_args(path, offset, length, flags, mode);
	if (st)
		return st;
	st = file_open(path, flags, &fd, &created);
	if (st)
		return st;
	st = file_prepare(fd, offset, &length, flags, mode, created, &sb);
	if (st)
		goto err_close;
	st = map_range(fd, offset, length, flags, out);
	if (st)
		goto err_close;
	return 0;

err_close:
	ipc__close_quiet(fd);
	if (created)
		unlink_made(path, &sb);
	return st;
}

void *ipc_mmap_addr(const ipc_mmap *m)
{
	return m != NULL ? m->addr : NULL;
}

size_t ipc_mmap_size(const ipc_mmap *m)
{
	return m != NULL ? m->size : 0;
}

uint64_t ipc_mmap_offset(const ipc_mmap *m)
{
	return m != NULL ? m->offset : 0;
}

int ipc_mmap_fd(const ipc_mmap *m)
{
	return m != NULL ? m->fd : -1;
}

ipc_status ipc_mmap_flush(ipc_mmap *m, size_t offset, size_t length, bool wait)
{
	uintptr_t from;
	uintptr_t to;

	if (m == NULL)
		return -EBADF;
	if (offset > m->size || length > m->size - offset)
		return -EINVAL;
	if (length == 0)
		length = m->size - offset;
	if (length == 0)
		return 0;
	to = (uintptr_t)m->addr + offset + length;
	from = ((uintptr_t)m->addr + offset) & ~(uintptr_t)(m->page - 1);
	if (msync((void *)from, to - from, wait ? MS_SYNC : MS_ASYNC) < 0)
		return -errno;
	return 0;
}

ipc_status ipc_mmap_close(ipc_mmap *m)
{
	ipc_status st = 0;
	ipc_status st2;

	if (m == NULL)
		return 0;
	if (munmap(m->base, m->map_len) < 0)
		st = -errno;
	st2 = ipc__close(m->fd);
	if (st == 0)
		st = st2;
	free(m);
	return st;
}
