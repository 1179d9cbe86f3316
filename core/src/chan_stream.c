/* SPDX-License-Identifier: MIT */
/*
 * chan_stream.c - framed channels: fd:, fifo:, unix:, tcp: and pipe ends.
 *
 * The mechanism opens the stream (ipc_fifo_open, ipc_sock_connect, ...),
 * an ipc_frame handle on its descriptor carries the messages, and raw
 * bytes go through ipc_frame_read() (read-ahead first) and ipc__io_write()
 * (after any queued part-frame). The mechanism's handle owns the
 * descriptor; the frame handle borrows it.
 *
 * Descriptors are not passed on unix: streams (ipc_chan_send_fds() gives
 * -EOPNOTSUPP): the frame decoder reads ahead with plain reads, which make
 * the kernel discard (close) any descriptors that arrive, so a receiver
 * never holds descriptors it did not ask for. Use unixpacket: for that.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan_internal.h"

static ipc_status stream_send(ipc_chan *c, const void *buf, size_t len,
                              const struct ipc_chan_meta *meta, ipc_deadline d)
{
	(void)meta;
	return ipc_frame_send(c->frame, buf, len, d);
}

static ipc_status stream_recv(ipc_chan *c, void *buf, size_t cap, size_t *nread,
                              struct ipc_chan_meta *meta, ipc_deadline d)
{
	(void)meta;
	return ipc_frame_recv(c->frame, buf, cap, nread, d);
}

static ipc_status stream_borrow(ipc_chan *c, const void **data, size_t *len,
                                struct ipc_chan_meta *meta, ipc_deadline d)
{
	(void)meta;
	return ipc_frame_recv_borrow(c->frame, data, len, d);
}

static ipc_status stream_write(ipc_chan *c, const void *buf, size_t len,
                               size_t *nwritten, ipc_deadline d)
{
	ipc_status st;

	/* A frame a timed-out send left queued goes out first: the raw
	 * bytes must not land inside it. */
	st = ipc_frame_flush(c->frame, d);
	if (st)
		return st;
	if (len == 0)
		return 0;
	return ipc__io_write(&c->io, buf, len, nwritten, d);
}

static ipc_status stream_read(ipc_chan *c, void *buf, size_t cap, size_t *nread,
                              ipc_deadline d)
{
	return ipc_frame_read(c->frame, buf, cap, nread, d);
}

static int stream_fd(const ipc_chan *c)
{
	return ipc_frame_fd(c->frame);
}

/* A whole frame (or a broken stream) in the read-ahead: a part of one
 * must not count, or a poller would spin while a large message arrives. */
static bool stream_readable(ipc_chan *c)
{
	return ipc_frame_ready(c->frame);
}

/* Close the mechanism under the frame. */
static ipc_status stream_close_mech(ipc_chan *c)
{
	ipc_status st = 0;

	if (c->pipe != NULL)
		st = ipc_pipe_close(c->pipe);
	else if (c->fifo != NULL)
		st = ipc_fifo_close(c->fifo);
	else if (c->sock != NULL)
		st = ipc_sock_close(c->sock);
	else if (c->own_fd >= 0)
		st = ipc__close(c->own_fd);
	c->pipe = NULL;
	c->fifo = NULL;
	c->sock = NULL;
	c->own_fd = -1;
	return st;
}

static ipc_status stream_close(ipc_chan *c)
{
	ipc_status st;

	if (c->frame != NULL && (c->dir & IPC_O_WRITE))
		(void)ipc_frame_flush(c->frame, IPC_DEADLINE_NOW);
	(void)ipc_frame_close(c->frame);
	c->frame = NULL;
	st = stream_close_mech(c);
	return st;
}

static const struct ipc__chan_ops stream_ops = {
        .send = stream_send,
        .recv = stream_recv,
        .borrow = stream_borrow,
        .write = stream_write,
        .read = stream_read,
        .fd = stream_fd,
        .readable = stream_readable,
        .close = stream_close,
};

/* Put the frame handle on @fd; the mechanism stays the caller's to close
 * on failure. */
static ipc_status stream_attach(ipc_chan *c, int fd, size_t max)
{
	ipc_status st;

	if (max == 0)
		max = IPC_CHAN_DEFAULT_MAX;
	if ((uint64_t)max > (uint64_t)IPC_FRAME_MAX_LIMIT)
		return ipc__detail(
		        -EINVAL,
		        "max_message_size=%zu is above the frame limit %zu",
		        max, (size_t)IPC_FRAME_MAX_LIMIT);
	st = ipc__io_init(&c->io, fd);
	if (st)
		return st;
	st = ipc_frame_open(&c->frame, fd, max, 0);
	if (st == -EINVAL)
		return ipc__detail(st, "descriptor %d is not a byte stream",
		                   fd);
	if (st)
		return st;
	c->ops = &stream_ops;
	c->framed = true;
	c->max = max;
	return 0;
}

/* F_SETPIPE_SZ on a pipe or FIFO descriptor. */
static ipc_status set_pipe_capacity(int fd, size_t bytes)
{
	if (bytes > (size_t)INT32_MAX)
		return ipc__detail(
		        -EINVAL, "capacity=%zu is too large for a pipe", bytes);
	if (fcntl(fd, F_SETPIPE_SZ, (int)bytes) < 0) {
		int e = errno;

		if (e == EBADF || e == EINVAL)
			return ipc__detail(
			        -EINVAL,
			        "capacity=%zu: not a pipe, or refused by F_SETPIPE_SZ",
			        bytes);
		if (e == EPERM)
			return ipc__detail(
			        -EPERM,
			        "capacity=%zu exceeds /proc/sys/fs/pipe-max-size",
			        bytes);
		return -e;
	}
	return 0;
}

static ipc_status open_fd(ipc_chan *c, const struct ipc_url *u,
                          const struct ipc__chan_cfg *cfg)
{
	unsigned int dir = cfg->flags & IPC_O_RDWR;
	unsigned int can;
	ipc_status st;
	int fl;
	int fd = u->fd;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -EBADF;
	switch (fl & O_ACCMODE) {
	case O_RDONLY:
		can = IPC_O_READ;
		break;
	case O_WRONLY:
		can = IPC_O_WRITE;
		break;
	default:
		can = IPC_O_RDWR;
		break;
	}
	if (dir == 0)
		dir = can;
	if ((dir & can) != dir)
		return ipc__detail(-EINVAL, "fd:%d is not open for %s", fd,
		                   (dir & ~can) == IPC_O_READ ? "reading"
		                                              : "writing");
	if (cfg->capacity) {
		st = set_pipe_capacity(fd, cfg->capacity);
		if (st)
			return st;
	}
	st = stream_attach(c, fd, cfg->max);
	if (st)
		return st;
	/* The channel owns it now; no child inherits it by accident. */
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	c->own_fd = fd;
	c->dir = dir;
	return 0;
}

/* What ipc__open_noting() opens: the FIFO of a channel. @asked: the flags
 * the caller gave. */
struct fifo_open {
	ipc_chan *c;
	const char *path;
	unsigned int mode;
	unsigned int asked;
	ipc_deadline d;
};

static ipc_status fifo_open_flags(void *arg, unsigned int flags)
{
	struct fifo_open *o = arg;
	ipc_status st =
	        ipc_fifo_open(&o->c->fifo, o->path, flags, o->mode, o->d);

	/* Something that is not a FIFO: what creating says of it. */
	if (st == -EINVAL && !(flags & IPC_O_CREATE) &&
	    (o->asked & IPC_O_CREATE))
		st = ipc_fifo_open(&o->c->fifo, o->path, o->asked, o->mode,
		                   o->d);
	return st;
}

static ipc_status open_fifo(ipc_chan *c, const struct ipc_url *u,
                            const struct ipc__chan_cfg *cfg, ipc_deadline d)
{
	unsigned int dir = cfg->flags & IPC_O_RDWR;
	struct fifo_open o = {c, u->addr, cfg->mode, 0, d};
	bool created;
	ipc_status st;

	if (dir == 0 || dir == IPC_O_RDWR)
		return ipc__detail(
		        -EINVAL,
		        "fifo:%s: a FIFO channel is one direction: open it with IPC_O_READ or IPC_O_WRITE (\"r\" or \"w\")",
		        u->addr);
	o.asked = cfg->flags &
	          (IPC_O_RDWR | IPC_O_CREATE | IPC_O_EXCL | IPC_O_SHARED);
	st = ipc__open_noting(fifo_open_flags, &o, o.asked, &created);
	if (st == -EINVAL)
		return ipc__detail(st,
		                   "fifo:%s: not a FIFO, or a mode above 0777",
		                   u->addr);
	if (st)
		return st;
	if (cfg->capacity) {
		st = set_pipe_capacity(ipc_fifo_fd(c->fifo), cfg->capacity);
		if (st)
			goto err;
	}
	st = stream_attach(c, ipc_fifo_fd(c->fifo), cfg->max);
	if (st)
		goto err;
	c->dir = dir;
	return 0;
err:
	(void)ipc_fifo_close(c->fifo);
	c->fifo = NULL;
	if (created)
		(void)ipc_fifo_unlink(u->addr);
	return st;
}

static int sock_kind(int kind)
{
	return kind == IPC_URL_TCP ? IPC_SOCK_TCP : IPC_SOCK_UNIX;
}

ipc_status ipc__chan_stream_open(ipc_chan *c, const struct ipc_url *u,
                                 const struct ipc__chan_cfg *cfg,
                                 ipc_deadline d)
{
	unsigned int dir = cfg->flags & IPC_O_RDWR;
	ipc_status st;

	if (u->kind == IPC_URL_FD)
		return open_fd(c, u, cfg);
	if (u->kind == IPC_URL_FIFO)
		return open_fifo(c, u, cfg, d);
	st = ipc_sock_connect(&c->sock, sock_kind(u->kind), u->addr,
	                      cfg->flags & IPC_O_SHARED, d);
	if (st)
		return st;
	st = stream_attach(c, ipc_sock_fd(c->sock), cfg->max);
	if (st) {
		(void)ipc_sock_close(c->sock);
		c->sock = NULL;
		return st;
	}
	c->dir = dir ? dir : IPC_O_RDWR;
	return 0;
}

/* --- listeners ----------------------------------------------------------- */

static ipc_status listen_accept(ipc_chan *l, ipc_chan **out, ipc_deadline d)
{
	ipc_chan *c;
	ipc_status st;

	c = ipc__chan_new(l->kind, l->url);
	if (c == NULL)
		return -ENOMEM;
	st = ipc_sock_accept(l->sock, &c->sock, d);
	if (st)
		goto err;
	st = stream_attach(c, ipc_sock_fd(c->sock), l->accept_max);
	if (st) {
		(void)ipc_sock_close(c->sock);
		goto err;
	}
	c->dir = IPC_O_RDWR;
	*out = c;
	return 0;
err:
	ipc__chan_free(c);
	return st;
}

static int listen_fd(const ipc_chan *c)
{
	return ipc_sock_fd(c->sock);
}

static ipc_status listen_close(ipc_chan *c)
{
	ipc_status st = ipc_sock_close(c->sock);

	c->sock = NULL;
	return st;
}

static const struct ipc__chan_ops listen_ops = {
        .accept = listen_accept,
        .fd = listen_fd,
        .close = listen_close,
};

ipc_status ipc__chan_stream_listen(ipc_chan *c, const struct ipc_url *u,
                                   const struct ipc__chan_cfg *cfg)
{
	unsigned int flags = cfg->flags & IPC_O_SHARED;
	size_t max = cfg->max ? cfg->max : IPC_CHAN_DEFAULT_MAX;
	ipc_status st;

	if ((uint64_t)max > (uint64_t)IPC_FRAME_MAX_LIMIT)
		return ipc__detail(
		        -EINVAL,
		        "max_message_size=%zu is above the frame limit %zu",
		        max, (size_t)IPC_FRAME_MAX_LIMIT);
	if (u->kind == IPC_URL_UNIX && u->addr[0] != '@' &&
	    !(cfg->flags & IPC_O_EXCL))
		flags |= IPC_SOCK_REPLACE;
	st = ipc_sock_listen(&c->sock, sock_kind(u->kind), u->addr, cfg->mode,
	                     flags);
	if (st)
		return st;
	c->ops = &listen_ops;
	c->listening = true;
	c->framed = true;
	c->max = max;
	c->accept_max = max;
	if (u->kind == IPC_URL_TCP) {
		st = ipc__chan_url_port(c, u, c->sock);
		if (st) {
			(void)ipc_sock_close(c->sock);
			c->sock = NULL;
			return st;
		}
	}
	return 0;
}

/* --- pipes --------------------------------------------------------------- */

static ipc_status pipe_url(ipc_chan *c, int fd)
{
	struct ipc_url u;

	memset(&u, 0, sizeof(u));
	u.kind = IPC_URL_FD;
	u.fd = fd;
	snprintf(u.addr, sizeof(u.addr), "%d", fd);
	return ipc__chan_set_url(c, &u);
}

ipc_status ipc__chan_stream_pipe(ipc_chan *rd, ipc_chan *wr)
{
	ipc_status st;

	st = ipc_pipe_open(&rd->pipe, &wr->pipe, 0);
	if (st)
		return st;
	st = stream_attach(rd, ipc_pipe_fd(rd->pipe), 0);
	if (st)
		goto err;
	st = stream_attach(wr, ipc_pipe_fd(wr->pipe), 0);
	if (st)
		goto err;
	st = pipe_url(rd, ipc_pipe_fd(rd->pipe));
	if (st)
		goto err;
	st = pipe_url(wr, ipc_pipe_fd(wr->pipe));
	if (st)
		goto err;
	rd->dir = IPC_O_READ;
	wr->dir = IPC_O_WRITE;
	return 0;
err:
	(void)ipc_frame_close(rd->frame);
	(void)ipc_frame_close(wr->frame);
	rd->frame = NULL;
	wr->frame = NULL;
	(void)ipc_pipe_close(rd->pipe);
	(void)ipc_pipe_close(wr->pipe);
	rd->pipe = NULL;
	wr->pipe = NULL;
	return st;
}
