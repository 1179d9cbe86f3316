/* SPDX-License-Identifier: MIT */
/* shm.c - POSIX shared memory objects. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "ipc/shm.h"

#define SHM_OPEN_FLAGS                                                         \
	(IPC_O_READ | IPC_O_WRITE | IPC_O_CREATE | IPC_O_EXCL | IPC_O_SHARED | \
	 IPC_O_NOFOLLOW)
/* Where glibc's shm_open(3) puts the objects (sysdeps/posix/shm-directory). */
#define SHM_DIR "/dev/shm"
/* Create-or-open races with a peer that unlinks: give up after this many. */
#define SHM_RACE_TRIES 100

struct ipc_shm {
	void *addr;
	size_t size;
	int fd;
	bool readonly;
	char name[];
};

/*
 * Remove the object this call made (identified by @made), but nothing that
 * has taken its name meanwhile. errno is kept.
 */
static void unlink_made(const char *name, const struct stat *made)
{
	char path[sizeof(SHM_DIR) + NAME_MAX + 1];
	struct stat st;
	int saved = errno;

	snprintf(path, sizeof(path), SHM_DIR "%s", name);
	if (lstat(path, &st) == 0 && st.st_dev == made->st_dev &&
	    st.st_ino == made->st_ino)
		(void)shm_unlink(name);
	errno = saved;
}

/*
 * Make a new object of @size bytes with exactly @mode. The pages are
 * reserved with posix_fallocate(): ftruncate() alone leaves a sparse file,
 * and the first touch of a page that a full tmpfs cannot supply raises
 * SIGBUS (mongodb/mongo-c-driver#1244). tmpfs sets the size only once every
 * page is allocated, so a peer never sees a size it could not use.
 */
static ipc_status shm_create(const char *name, size_t size, unsigned int mode,
                             int *fdp)
{
	struct stat made;
	ipc_status st;
	int fd;

	*fdp = -1;
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	              IPC_MODE_DEFAULT);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &made) < 0) {
		st = -errno;
		ipc__close_quiet(fd);
		(void)shm_unlink(name); /* made a moment ago with O_EXCL */
		return st;
	}
	if (fchmod(fd, (mode_t)mode) < 0) {
		st = -errno;
		goto err_close;
	}
	st = ipc__reserve(fd, 0, (off_t)size);
	if (st)
		goto err_close;
	*fdp = fd;
	return 0;

err_close:
	ipc__close_quiet(fd);
	unlink_made(name, &made);
	return st;
}

static ipc_status shm_open_existing(const char *name, bool readonly, int *fdp)
{
	int oflags = O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	int fd;

	/* O_NONBLOCK: a FIFO squatting the name must not hang a read-only
	 * open; fstat() refuses it afterwards. */
	*fdp = -1;
	oflags |= readonly ? O_RDONLY : O_RDWR;
	fd = shm_open(name, oflags, 0);
	if (fd < 0)
		return errno == EISDIR ? -EINVAL : -errno;
	*fdp = fd;
	return 0;
}

static ipc_status check_object(const struct stat *sb, size_t size,
                               unsigned int flags, size_t *len)
{
	if (!S_ISREG(sb->st_mode))
		return -EINVAL;
	if (sb->st_uid != geteuid() && !(flags & IPC_O_SHARED))
		return -EPERM;
	if (sb->st_size == 0)
		return -EAGAIN;
	if ((uint64_t)sb->st_size > SIZE_MAX)
		return -EFBIG;
	if (size > (size_t)sb->st_size)
		return -EINVAL;
	*len = size != 0 ? size : (size_t)sb->st_size;
	return 0;
}

static ipc_status check_args(const char *name, size_t size, unsigned int flags,
                             unsigned int mode)
{
	bool readonly = (flags & IPC_O_RDWR) == IPC_O_READ;
	ipc_status st;

	st = ipc__check_posix_name(name);
	if (st)
		return st;
	if ((flags & ~SHM_OPEN_FLAGS) || mode > 07777 ||
	    ((flags & IPC_O_EXCL) && !(flags & IPC_O_CREATE)) ||
	    (readonly && (flags & IPC_O_CREATE)) ||
	    ((flags & IPC_O_CREATE) && size == 0))
		return -EINVAL;
	if ((uint64_t)size > (uint64_t)INT64_MAX)
		return -EFBIG;
	return 0;
}

ipc_status ipc_shm_open(ipc_shm **out, const char *name, size_t size,
                        unsigned int flags, unsigned int mode)
{
	bool readonly = (flags & IPC_O_RDWR) == IPC_O_READ;
	bool created = false;
	size_t namelen;
	struct stat sb;
	ipc_shm *h;
	ipc_status st;
	size_t len;
	int tries;
	int fd = -1;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	st = check_args(name, size, flags, mode);
	if (st)
		return st;
	if (mode == 0)
		mode = IPC_MODE_DEFAULT;
	for (tries = 0;; tries++) {
		if (flags & IPC_O_CREATE) {
			st = shm_create(name, size, mode, &fd);
			if (st == 0) {
				created = true;
				break;
			}
			if (st != -EEXIST || (flags & IPC_O_EXCL))
				return st;
		}
		st = shm_open_existing(name, readonly, &fd);
		/* Unlinked between our create and our open: create again. */
		if (st == -ENOENT && (flags & IPC_O_CREATE) &&
		    tries < SHM_RACE_TRIES)
			continue;
		if (st)
			return st;
		break;
	}
	if (fstat(fd, &sb) < 0) {
		st = -errno;
		ipc__close_quiet(fd);
		if (created)
			(void)shm_unlink(name); /* made a moment ago, O_EXCL */
		return st;
	}
	st = check_object(&sb, size, flags, &len);
	if (st)
		goto err_close;
	namelen = strlen(name) + 1;
	h = malloc(sizeof(*h) + namelen);
	if (h == NULL) {
		st = -ENOMEM;
		goto err_close;
	}
	h->addr = mmap(NULL, len, readonly ? PROT_READ : PROT_READ | PROT_WRITE,
	               MAP_SHARED, fd, 0);
	if (h->addr == MAP_FAILED) {
		st = -errno;
		goto err_free;
	}
	h->size = len;
	h->fd = fd;
	h->readonly = readonly;
	memcpy(h->name, name, namelen);
	*out = h;
	return 0;

err_free:
	free(h);
err_close:
	ipc__close_quiet(fd);
	if (created)
		unlink_made(name, &sb);
	return st;
}

void *ipc_shm_addr(const ipc_shm *h)
{
	return h != NULL ? h->addr : NULL;
}

size_t ipc_shm_size(const ipc_shm *h)
{
	return h != NULL ? h->size : 0;
}

int ipc_shm_fd(const ipc_shm *h)
{
	return h != NULL ? h->fd : -1;
}

const char *ipc_shm_name(const ipc_shm *h)
{
	return h != NULL ? h->name : NULL;
}

bool ipc_shm_is_readonly(const ipc_shm *h)
{
	return h != NULL && h->readonly;
}

ipc_status ipc_shm_close(ipc_shm *h)
{
	ipc_status st = 0;
	ipc_status st2;

	if (h == NULL)
		return 0;
	if (munmap(h->addr, h->size) < 0)
		st = -errno;
	st2 = ipc__close(h->fd);
	free(h);
	return st ? st : st2;
}

ipc_status ipc_shm_unlink(const char *name)
{
	ipc_status st = ipc__check_posix_name(name);

	if (st)
		return st;
	if (shm_unlink(name) < 0)
		return -errno;
	return 0;
}
