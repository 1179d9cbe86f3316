/* SPDX-License-Identifier: MIT */
/*
 * chan_ring.c - ring: channels, on the message ring in shared memory.
 *
 * recv_borrow() is ipc_ring_peek(): the payload is read in place, in the
 * shared mapping, and its room goes back to the producers on the next
 * receive of this channel or its close. The channel's limit is the ring's
 * (ipc_ring_max_message()), lowered for this channel alone by
 * max_message_size: the ring's own limit is shared by every process and is
 * left as its creator set it.
 */
#include "chan_internal.h"

/* Hand back a message lent by recv_borrow(). */
static void ring_settle(ipc_chan *c)
{
	if (c->peeked) {
		(void)ipc_ring_release(c->ring);
		c->peeked = false;
	}
}

static ipc_status ring_send(ipc_chan *c, const void *buf, size_t len,
                            const struct ipc_chan_meta *meta, ipc_deadline d)
{
	(void)meta;
	return ipc_ring_send(c->ring, buf, len, d);
}

static ipc_status ring_recv(ipc_chan *c, void *buf, size_t cap, size_t *nread,
                            struct ipc_chan_meta *meta, ipc_deadline d)
{
	(void)meta;
	ring_settle(c);
	return ipc_ring_recv(c->ring, buf, cap, nread, d);
}

static ipc_status ring_borrow(ipc_chan *c, const void **data, size_t *len,
                              struct ipc_chan_meta *meta, ipc_deadline d)
{
	ipc_status st;

	(void)meta;
	ring_settle(c);
	st = ipc_ring_peek(c->ring, data, len, d);
	if (st == 0)
		c->peeked = true;
	return st;
}

static bool ring_readable(ipc_chan *c)
{
	return ipc_ring_readable(c->ring);
}

static ipc_status ring_close(ipc_chan *c)
{
	ipc_status st;

	ring_settle(c);
	st = ipc_ring_close(c->ring);
	c->ring = NULL;
	return st;
}

static const struct ipc__chan_ops ring_ops = {
        .send = ring_send,
        .recv = ring_recv,
        .borrow = ring_borrow,
        .readable = ring_readable,
        .close = ring_close,
};

/* What ipc__open_noting() opens: the ring of a channel. */
struct ring_open {
	ipc_chan *c;
	const char *name;
	unsigned int mode;
	size_t capacity;
};

static ipc_status ring_open_flags(void *arg, unsigned int flags)
{
	struct ring_open *o = arg;

	return ipc_ring_open(&o->c->ring, o->name, flags, o->mode, o->capacity);
}

ipc_status ipc__chan_ring_open(ipc_chan *c, const struct ipc_url *u,
                               const struct ipc__chan_cfg *cfg)
{
	unsigned int dir = cfg->flags & IPC_O_RDWR;
	struct ring_open o = {c, u->addr, cfg->mode, cfg->capacity};
	bool created;
	size_t limit;
	ipc_status st;

	if (dir == 0)
		dir = IPC_O_RDWR;
	st = ipc__open_noting(
	        ring_open_flags, &o,
	        dir | (cfg->flags & (IPC_O_CREATE | IPC_O_EXCL | IPC_O_SHARED)),
	        &created);
	if (st == -EINVAL)
		return ipc__detail(
		        st,
		        "ring:%s: bad name, or capacity=%zu outside %zu..%zu",
		        u->addr, cfg->capacity, IPC_RING_MIN_CAPACITY,
		        IPC_RING_MAX_CAPACITY);
	if (st)
		return st;
	limit = ipc_ring_max_message(c->ring);
	if (cfg->max > limit) {
		st = ipc__detail(
		        -EINVAL,
		        "ring:%s: max_message_size=%zu is above the ring's limit %zu",
		        u->addr, cfg->max, limit);
		(void)ipc_ring_close(c->ring);
		c->ring = NULL;
		if (created)
			(void)ipc_ring_unlink(u->addr);
		return st;
	}
	c->max = cfg->max ? cfg->max : limit;
	c->ops = &ring_ops;
	c->dir = dir;
	return 0;
}
