/* SPDX-License-Identifier: MIT */
/* pipe.c - anonymous pipes. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "ipc/pipe.h"

struct ipc_pipe {
	struct ipc__io io;
};

/* Wrap @fd; on failure @fd is left open for the caller. */
static ipc_status pipe_new(int fd, ipc_pipe **out)
{
	ipc_pipe *p;
	ipc_status st;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	st = ipc__io_init(&p->io, fd);
	if (st) {
		free(p);
		return st;
	}
	*out = p;
	return 0;
}

ipc_status ipc_pipe_open(ipc_pipe **rd, ipc_pipe **wr, unsigned int flags)
{
	int fds[2];
	ipc_status st;

	*rd = NULL;
	*wr = NULL;
	if (flags & ~IPC_O_NONBLOCK)
		return -EINVAL;
	if (pipe2(fds, O_CLOEXEC | (flags & IPC_O_NONBLOCK ? O_NONBLOCK : 0)) <
	    0)
		return -errno;

	st = pipe_new(fds[0], rd);
	if (st)
		goto err_close_both;
	st = pipe_new(fds[1], wr);
	if (st)
		goto err_close_rd;
	return 0;

err_close_rd:
	(void)ipc_pipe_close(*rd); /* also closes fds[0] */
	*rd = NULL;
	ipc__close_quiet(fds[1]);
	return st;
err_close_both:
	ipc__close_quiet(fds[0]);
	ipc__close_quiet(fds[1]);
	return st;
}

ipc_status ipc_pipe_adopt(ipc_pipe **out, int fd)
{
	struct stat st;

	*out = NULL;
	if (fd < 0)
		return -EBADF;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISFIFO(st.st_mode))
		return -EINVAL;
	return pipe_new(fd, out);
}

ipc_status ipc_pipe_read(ipc_pipe *p, void *buf, size_t cap, size_t *nread,
                         ipc_deadline d)
{
	*nread = 0;
	if (p == NULL)
		return -EBADF;
	return ipc__io_read(&p->io, buf, cap, nread, d);
}

ipc_status ipc_pipe_write(ipc_pipe *p, const void *buf, size_t len,
                          size_t *nwritten, ipc_deadline d)
{
	*nwritten = 0;
	if (p == NULL)
		return -EBADF;
	return ipc__io_write(&p->io, buf, len, nwritten, d);
}

ipc_status ipc_pipe_capacity(ipc_pipe *p, size_t *bytes)
{
	int n;

	*bytes = 0;
	if (p == NULL)
		return -EBADF;
	n = fcntl(p->io.fd, F_GETPIPE_SZ);
	if (n < 0)
		return -errno;
	*bytes = (size_t)n;
	return 0;
}

ipc_status ipc_pipe_set_capacity(ipc_pipe *p, size_t bytes)
{
	if (p == NULL)
		return -EBADF;
	if (bytes == 0 || bytes > (size_t)INT32_MAX)
		return -EINVAL;
	if (fcntl(p->io.fd, F_SETPIPE_SZ, (int)bytes) < 0)
		return -errno;
	return 0;
}

int ipc_pipe_fd(const ipc_pipe *p)
{
	return p != NULL ? p->io.fd : -1;
}

ipc_status ipc_pipe_close(ipc_pipe *p)
{
	ipc_status st;

	if (p == NULL)
		return 0;
	st = ipc__close(p->io.fd);
	free(p);
	return st;
}
