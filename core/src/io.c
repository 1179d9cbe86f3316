/* SPDX-License-Identifier: MIT */
/*
 * io.c - reads and writes with deadlines on one descriptor, without ever
 * changing its O_NONBLOCK flag.
 *
 * O_NONBLOCK belongs to the open file description, which a pipe end shares
 * with every process it was handed to (nodejs/node#42826): flipping it here
 * would break a child's stdin. So each step asks for "don't block" per call:
 * MSG_DONTWAIT on sockets, RWF_NOWAIT on pipes (Linux 6.x), and where the
 * kernel refuses RWF_NOWAIT, poll() then a read, or a write of at most
 * PIPE_BUF bytes, which a pipe that polled writable takes without blocking.
 * With no deadline and a blocking descriptor the plain blocking call is
 * used: one system call, as fast as the raw mechanism.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

#define IPC__FALLBACK_IOV 8

ipc_status ipc__io_init(struct ipc__io *io, int fd)
{
	struct sigaction sa;
	struct stat st;
	int fl;
	int type;
	socklen_t len = sizeof(type);

	io->fd = fd;
	io->flags = 0;
	if (fstat(fd, &st) < 0)
		return -errno;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	if (fl & O_NONBLOCK)
		io->flags |= IPC__IO_NONBLOCK;
	if (S_ISSOCK(st.st_mode)) {
		io->flags |= IPC__IO_SOCK;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
			return -errno;
		if (type == SOCK_STREAM)
			io->flags |= IPC__IO_STREAM;
	} else if (S_ISFIFO(st.st_mode)) {
		io->flags |= IPC__IO_PIPE | IPC__IO_STREAM;
		if (sigaction(SIGPIPE, NULL, &sa) == 0 &&
		    sa.sa_handler == SIG_IGN)
			io->flags |= IPC__IO_PIPE_IGN;
	} else {
		/* Regular files, terminals, character devices: RWF_NOWAIT
		 * means something else there (page cache misses), so poll. */
		io->flags |= IPC__IO_STREAM | IPC__IO_NO_NOWAIT;
	}
	return 0;
}

size_t ipc__iov_length(const struct iovec *iov, int iovcnt)
{
	size_t total = 0;
	int i;

	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	return total;
}

struct iovec *ipc__iov_advance(struct iovec *iov, int *iovcnt, size_t n)
{
	while (*iovcnt > 0 && n >= iov->iov_len) {
		n -= iov->iov_len;
		iov++;
		(*iovcnt)--;
	}
	if (*iovcnt > 0 && n > 0) {
		iov->iov_base = (char *)iov->iov_base + n;
		iov->iov_len -= n;
	}
	return iov;
}

/* Is a descriptor ready right now? 1 yes, 0 no, negative errno. */
static int ready_now(int fd, short events)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int n;

	do {
		n = poll(&pfd, 1, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n > 0;
}

/* One read that does not block; -1 with errno EAGAIN when it would. */
static ssize_t read_nowait(struct ipc__io *io, void *buf, size_t cap)
{
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	ssize_t n;
	int r;

	for (;;) {
		if (io->flags & IPC__IO_SOCK)
			n = recv(io->fd, buf, cap, MSG_DONTWAIT);
		else if (io->flags & IPC__IO_NONBLOCK)
			n = read(io->fd, buf, cap);
		else if (!(io->flags & IPC__IO_NO_NOWAIT)) {
			n = preadv2(io->fd, &iov, 1, -1, RWF_NOWAIT);
			if (n < 0 && errno == EOPNOTSUPP) {
				io->flags |= IPC__IO_NO_NOWAIT;
				continue;
			}
		} else {
			r = ready_now(io->fd, POLLIN);
			if (r <= 0) {
				errno = r < 0 ? -r : EAGAIN;
				return -1;
			}
			n = read(io->fd, buf, cap);
		}
		if (n >= 0 || errno != EINTR)
			return n;
	}
}

/*
 * read() gave 0 on a pipe or FIFO. That is end of stream only when a
 * writer has been and gone: Linux reports POLLHUP exactly then, and not for
 * a FIFO whose writer has not connected yet (pipe_poll), where read() also
 * returns 0. Returns 1 for end of stream, 0 to wait, 2 when data arrived
 * meanwhile.
 */
static int pipe_at_eof(struct ipc__io *io)
{
	struct pollfd pfd = {.fd = io->fd, .events = POLLIN};
	int n;

	do {
		n = poll(&pfd, 1, 0);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return 0;
	if (pfd.revents & POLLIN)
		return 2;
	return (pfd.revents & POLLHUP) ? 1 : 0;
}

ipc_status ipc__io_read(struct ipc__io *io, void *buf, size_t cap,
                        size_t *nread, ipc_deadline d)
{
	bool may_block =
	        d == IPC_DEADLINE_NEVER && !(io->flags & IPC__IO_NONBLOCK);
	ipc_status st;
	ssize_t n;
	int eof;

	*nread = 0;
	if (cap == 0)
		return -EINVAL;
	for (;;) {
		if (may_block) {
			n = read(io->fd, buf, cap);
			if (n < 0 && errno == EINTR)
				return -EINTR;
		} else {
			n = read_nowait(io, buf, cap);
		}
		if (n > 0) {
			*nread = (size_t)n;
			return 0;
		}
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (n == 0) {
			if (!(io->flags & IPC__IO_PIPE))
				return 0;
			eof = pipe_at_eof(io);
			if (eof == 1)
				return 0;
			if (eof == 2)
				continue;
		}
		st = ipc__wait_fd(io->fd, POLLIN, d, NULL);
		if (st)
			return st;
	}
}

/* Copy at most @max bytes worth of @iov into @out; returns the count. */
static int iov_trim(const struct iovec *iov, int iovcnt, size_t max,
                    struct iovec *out)
{
	int i;
	int k = 0;

	for (i = 0; i < iovcnt && k < IPC__FALLBACK_IOV && max > 0; i++) {
		out[k] = iov[i];
		if (out[k].iov_len > max)
			out[k].iov_len = max;
		max -= out[k].iov_len;
		k++;
	}
	return k;
}

static ssize_t pipe_write_once(struct ipc__io *io, const struct iovec *iov,
                               int iovcnt, bool may_block)
{
	struct iovec small[IPC__FALLBACK_IOV];
	ssize_t n;
	int r;

	for (;;) {
		if (may_block || (io->flags & IPC__IO_NONBLOCK)) {
			n = iovcnt == 1
			            ? write(io->fd, iov->iov_base, iov->iov_len)
			            : writev(io->fd, iov, iovcnt);
		} else if (!(io->flags & IPC__IO_NO_NOWAIT)) {
			n = pwritev2(io->fd, iov, iovcnt, -1, RWF_NOWAIT);
			if (n < 0 && errno == EOPNOTSUPP) {
				io->flags |= IPC__IO_NO_NOWAIT;
				continue;
			}
		} else {
			r = ready_now(io->fd, POLLOUT);
			if (r <= 0) {
				errno = r < 0 ? -r : EAGAIN;
				return -1;
			}
			n = writev(io->fd, small,
			           iov_trim(iov, iovcnt, PIPE_BUF, small));
		}
		if (n >= 0 || errno != EINTR || may_block)
			return n;
	}
}

static ssize_t write_once(struct ipc__io *io, struct iovec *iov, int iovcnt,
                          bool may_block)
{
	int flags = MSG_NOSIGNAL | (may_block ? 0 : MSG_DONTWAIT);
	struct ipc__sigpipe_guard guard;
	struct msghdr msg = {0};
	ssize_t n;

	if (io->flags & IPC__IO_SOCK) {
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)iovcnt;
		do {
			if (iovcnt == 1)
				n = send(io->fd, iov->iov_base, iov->iov_len,
				         flags);
			else
				n = sendmsg(io->fd, &msg, flags);
		} while (n < 0 && errno == EINTR && !may_block);
		return n;
	}
	if (io->flags & IPC__IO_PIPE_IGN)
		return pipe_write_once(io, iov, iovcnt, may_block);
	ipc__sigpipe_block(&guard);
	n = pipe_write_once(io, iov, iovcnt, may_block);
	ipc__sigpipe_unblock(&guard, n < 0 && errno == EPIPE);
	return n;
}

ipc_status ipc__io_writev(struct ipc__io *io, struct iovec *iov, int iovcnt,
                          size_t *nwritten, ipc_deadline d)
{
	bool may_block =
	        d == IPC_DEADLINE_NEVER && !(io->flags & IPC__IO_NONBLOCK);
	size_t total = ipc__iov_length(iov, iovcnt);
	ipc_status st;
	ssize_t n;

	*nwritten = 0;
	while (*nwritten < total) {
		n = write_once(io, iov, iovcnt, may_block);
		if (n > 0) {
			*nwritten += (size_t)n;
			iov = ipc__iov_advance(iov, &iovcnt, (size_t)n);
			/* A blocking write to a pipe or stream socket stops
			 * short only when a signal handler interrupted it after
			 * some bytes went out. Report it as the interrupted
			 * wait it is; writing on would swallow the signal (a
			 * Ctrl+C during a large send). */
			if (may_block && *nwritten < total &&
			    (io->flags & (IPC__IO_PIPE | IPC__IO_SOCK)))
				return -EINTR;
			continue;
		}
		if (n < 0 && errno == EINTR)
			return -EINTR;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		st = ipc__wait_fd(io->fd, POLLOUT, d, NULL);
		if (st)
			return st;
	}
	return 0;
}

ipc_status ipc__io_write(struct ipc__io *io, const void *buf, size_t len,
                         size_t *nwritten, ipc_deadline d)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};

	return ipc__io_writev(io, &iov, 1, nwritten, d);
}
