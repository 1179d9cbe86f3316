/* SPDX-License-Identifier: MIT */
/* fifo.c - named pipes. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "ipc/fifo.h"

#define FIFO_OPEN_FLAGS                                                        \
	(IPC_O_READ | IPC_O_WRITE | IPC_O_CREATE | IPC_O_EXCL |                \
	 IPC_O_NOFOLLOW | IPC_O_SHARED | IPC_O_NONBLOCK)

struct ipc_fifo {
	struct ipc__io io;
	unsigned int dir; /* IPC_O_READ or IPC_O_WRITE */
	char path[];
};

static ipc_status check_args(const char *path, unsigned int mode)
{
	if (path == NULL || path[0] == '\0' || mode > 07777)
		return -EINVAL;
	if (strnlen(path, PATH_MAX) == PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * Remove the FIFO this call made at @path (identified by @made when known),
 * but nothing that has taken its place meanwhile. errno is kept.
 */
static void unlink_made(const char *path, const struct stat *made)
{
	struct stat st;
	int saved = errno;

	if (lstat(path, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    st.st_uid == geteuid() &&
	    (made == NULL ||
	     (st.st_dev == made->st_dev && st.st_ino == made->st_ino)))
		(void)unlink(path);
	errno = saved;
}

/* Something is at @path already: accept it if it is a FIFO of ours. */
static ipc_status check_existing(const char *path, unsigned int flags)
{
	struct stat st;
	int r;

	r = flags & IPC_O_NOFOLLOW ? lstat(path, &st) : stat(path, &st);
	if (r < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISFIFO(st.st_mode))
		return -EEXIST;
	if (st.st_uid != geteuid() && !(flags & IPC_O_SHARED))
		return -EPERM;
	return 0;
}

/*
 * Make a FIFO at @path with exactly @mode (0 for the default), or accept
 * the FIFO of ours already there unless IPC_O_EXCL is in @flags. *@created
 * says whether this call made it, *@made is then its identity.
 *
 * The mode is set through an O_PATH descriptor, never by path: between
 * mkfifo() and a chmod() by name, anyone who can write to the directory
 * could put a symbolic link to /etc/shadow there (uutils/coreutils#10020).
 * O_PATH, unlike a real open, does not make us a reader for a moment, so a
 * writer already waiting on the name cannot connect to us by mistake.
 */
static ipc_status fifo_make(const char *path, unsigned int mode,
                            unsigned int flags, struct stat *made,
                            bool *created)
{
	ipc_status st = 0;
	int fd;

	*created = false;
	if (mode == 0)
		mode = IPC_MODE_DEFAULT;
	if (mkfifo(path, IPC_MODE_DEFAULT) < 0) {
		if (errno != EEXIST)
			return -errno;
		if (flags & IPC_O_EXCL)
			return -EEXIST;
		return check_existing(path, flags);
	}
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		st = -errno;
		unlink_made(path, NULL);
		return st;
	}
	if (fstat(fd, made) < 0) {
		st = -errno;
		ipc__close_quiet(fd);
		unlink_made(path, NULL);
		return st;
	}
	if (!S_ISFIFO(made->st_mode) || made->st_uid != geteuid()) {
		st = -EEXIST; /* replaced since mkfifo(): not ours to remove */
		ipc__close_quiet(fd);
		return st;
	}
	st = ipc__chmod_opath(fd, mode);
	if (st)
		goto err_close;
	ipc__close_quiet(fd);
	*created = true;
	return 0;

err_close:
	ipc__close_quiet(fd);
	unlink_made(path, made);
	return st;
}

ipc_status ipc_fifo_create(const char *path, unsigned int mode,
                           unsigned int flags)
{
	struct stat made;
	bool created;
	ipc_status st;

	st = check_args(path, mode);
	if (st)
		return st;
	if (flags & ~IPC_O_EXCL)
		return -EINVAL;
	return fifo_make(path, mode, flags | IPC_O_NOFOLLOW, &made, &created);
}

/*
 * Open @path without ever blocking in open(2): a writer's open answers
 * ENXIO while the FIFO has no reader, so wait for one with a short
 * back-off until @d. ENXIO also comes from a socket or a device without a
 * driver, which are not FIFOs; and a FIFO we would refuse anyway is
 * refused at once rather than after waiting for a reader.
 */
static ipc_status fifo_open_fd(const char *path, unsigned int flags,
                               ipc_deadline d, int *out)
{
	int oflags = O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
	struct ipc__backoff wait = IPC__BACKOFF_MS(1, 20);
	struct stat sb;
	ipc_status st;
	int fd;

	*out = -1;
	oflags |= flags & IPC_O_READ ? O_RDONLY : O_WRONLY;
	if (flags & IPC_O_NOFOLLOW)
		oflags |= O_NOFOLLOW;
	for (;;) {
		fd = open(path, oflags);
		if (fd >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EISDIR)
			return -EINVAL;
		if (errno != ENXIO)
			return -errno;
		if (stat(path, &sb) == 0) {
			if (!S_ISFIFO(sb.st_mode))
				return -EINVAL;
			if (sb.st_uid != geteuid() && !(flags & IPC_O_SHARED))
				return -EPERM;
		}
		if (flags & IPC_O_READ)
			return -ENXIO;
		st = ipc__backoff_sleep(&wait, d);
		if (st)
			return st;
	}
	if (fstat(fd, &sb) < 0) {
		st = -errno;
		goto err_close;
	}
	if (!S_ISFIFO(sb.st_mode)) {
		st = -EINVAL;
		goto err_close;
	}
	if (sb.st_uid != geteuid() && !(flags & IPC_O_SHARED)) {
		st = -EPERM;
		goto err_close;
	}
	/* Our own open file description: its O_NONBLOCK is ours to clear. */
	if (!(flags & IPC_O_NONBLOCK)) {
		st = ipc__set_nonblock(fd, false);
		if (st)
			goto err_close;
	}
	*out = fd;
	return 0;

err_close:
	ipc__close_quiet(fd);
	return st;
}

/* Wrap @fd; on failure @fd is left open for the caller. */
static ipc_status fifo_new(int fd, const char *path, unsigned int dir,
                           ipc_fifo **out)
{
	size_t len = strlen(path) + 1;
	ipc_fifo *f;
	ipc_status st;

	*out = NULL;
	f = malloc(sizeof(*f) + len);
	if (f == NULL)
		return -ENOMEM;
	memcpy(f->path, path, len);
	f->dir = dir;
	st = ipc__io_init(&f->io, fd);
	if (st) {
		free(f);
		return st;
	}
	*out = f;
	return 0;
}

ipc_status ipc_fifo_open(ipc_fifo **out, const char *path, unsigned int flags,
                         unsigned int mode, ipc_deadline d)
{
	unsigned int dir = flags & IPC_O_RDWR;
	struct stat made;
	bool created = false;
	ipc_status st;
	int fd;

	*out = NULL;
	st = check_args(path, mode);
	if (st)
		return st;
	if ((flags & ~FIFO_OPEN_FLAGS) ||
	    (dir != IPC_O_READ && dir != IPC_O_WRITE) ||
	    ((flags & IPC_O_EXCL) && !(flags & IPC_O_CREATE)))
		return -EINVAL;
	if (flags & IPC_O_CREATE) {
		st = fifo_make(path, mode, flags, &made, &created);
		if (st)
			return st;
	}
	st = fifo_open_fd(path, flags, d, &fd);
	if (st)
		goto err_unlink;
	st = fifo_new(fd, path, dir, out);
	if (st)
		goto err_close;
	return 0;

err_close:
	ipc__close_quiet(fd);
err_unlink:
	if (created)
		unlink_made(path, &made);
	return st;
}

ipc_status ipc_fifo_read(ipc_fifo *f, void *buf, size_t cap, size_t *nread,
                         ipc_deadline d)
{
	*nread = 0;
	if (f == NULL || f->dir != IPC_O_READ)
		return -EBADF;
	return ipc__io_read(&f->io, buf, cap, nread, d);
}

ipc_status ipc_fifo_write(ipc_fifo *f, const void *buf, size_t len,
                          size_t *nwritten, ipc_deadline d)
{
	*nwritten = 0;
	if (f == NULL || f->dir != IPC_O_WRITE)
		return -EBADF;
	return ipc__io_write(&f->io, buf, len, nwritten, d);
}

int ipc_fifo_fd(const ipc_fifo *f)
{
	return f != NULL ? f->io.fd : -1;
}

const char *ipc_fifo_path(const ipc_fifo *f)
{
	return f != NULL ? f->path : NULL;
}

ipc_status ipc_fifo_close(ipc_fifo *f)
{
	ipc_status st;

	if (f == NULL)
		return 0;
	st = ipc__close(f->io.fd);
	free(f);
	return st;
}

ipc_status ipc_fifo_unlink(const char *path)
{
	return ipc__unlink_typed(path, S_IFIFO);
}
