/* SPDX-License-Identifier: MIT */
/*
 * chan_queue.c - message queue channels: mq: (POSIX) and sysvmq: (System V).
 *
 * Both carry whole messages natively. mq_receive(3) insists on a buffer of
 * the queue's message size: a receive into a smaller buffer takes the
 * message into the channel's own buffer and, when it does not fit, keeps
 * it there for the next receive (-EMSGSIZE with its length), so that no
 * message is lost to a short buffer. System V leaves a long message in the
 * queue by itself (E2BIG), without saying its length.
 */
#include <stdlib.h>
#include <string.h>

#include "chan_internal.h"

/* The channel's own buffer, of the queue's largest message. */
static ipc_status own_buffer(ipc_chan *c)
{
	if (c->buf != NULL)
		return 0;
	c->buf = malloc(c->bufcap > 0 ? c->bufcap : 1);
	return c->buf != NULL ? 0 : -ENOMEM;
}

/* --- POSIX ---------------------------------------------------------------- */

static ipc_status mq_send_op(ipc_chan *c, const void *buf, size_t len,
                             const struct ipc_chan_meta *meta, ipc_deadline d)
{
	return ipc_mq_send(c->mq, buf, len, meta != NULL ? meta->priority : 0,
	                   d);
}

/* Receive into the channel's buffer (or hand back the held message). */
static ipc_status mq_take(ipc_chan *c, size_t *len, unsigned int *prio,
                          ipc_deadline d)
{
	ipc_status st;

	if (c->has_held) {
		c->has_held = false;
		*len = c->held;
		*prio = c->held_prio;
		return 0;
	}
	st = own_buffer(c);
	if (st)
		return st;
	return ipc_mq_receive(c->mq, c->buf, c->bufcap, len, prio, d);
}

static ipc_status mq_recv_op(ipc_chan *c, void *buf, size_t cap, size_t *nread,
                             struct ipc_chan_meta *meta, ipc_deadline d)
{
	unsigned int prio = 0;
	size_t n;
	ipc_status st;

	if (!c->has_held && cap >= c->bufcap) {
		st = ipc_mq_receive(c->mq, buf, cap, nread, &prio, d);
		meta->priority = prio;
		return st;
	}
	st = mq_take(c, &n, &prio, d);
	if (st)
		return st;
	if (n > cap) {
		c->has_held = true;
		c->held = n;
		c->held_prio = prio;
		*nread = n;
		return -EMSGSIZE;
	}
	if (n > 0)
		memcpy(buf, c->buf, n);
	*nread = n;
	meta->priority = prio;
	return 0;
}

static ipc_status mq_borrow_op(ipc_chan *c, const void **data, size_t *len,
                               struct ipc_chan_meta *meta, ipc_deadline d)
{
	unsigned int prio = 0;
	ipc_status st;

	st = mq_take(c, len, &prio, d);
	if (st)
		return st;
	*data = c->buf;
	meta->priority = prio;
	return 0;
}

static int mq_fd_op(const ipc_chan *c)
{
	return ipc_mq_fd(c->mq);
}

static bool mq_readable_op(ipc_chan *c)
{
	return c->has_held;
}

static ipc_status mq_close_op(ipc_chan *c)
{
	ipc_status st = ipc_mq_close(c->mq);

	c->mq = NULL;
	return st;
}

static const struct ipc__chan_ops mq_ops = {
        .send = mq_send_op,
        .recv = mq_recv_op,
        .borrow = mq_borrow_op,
        .fd = mq_fd_op,
        .readable = mq_readable_op,
        .close = mq_close_op,
};

static ipc_status open_mq(ipc_chan *c, const struct ipc_url *u,
                          const struct ipc__chan_cfg *cfg)
{
	struct ipc_mq_attr want = {0, 0, 0};
	struct ipc_mq_attr have;
	unsigned int dir = cfg->flags & IPC_O_RDWR;
	char why[256];
	ipc_status st;

	if (cfg->max_messages > (size_t)INT32_MAX ||
	    cfg->max > (size_t)INT32_MAX)
		return ipc__detail(
		        -EINVAL,
		        "mq:%s: max_messages or max_message_size out of range",
		        u->addr);
	want.max_messages = (long)cfg->max_messages;
	want.max_message_size = (long)cfg->max;
	/* The shape is the creator's to choose; an opener without
	 * IPC_O_CREATE only lowers its own limit. */
	st = ipc_mq_open(&c->mq, u->addr,
	                 (dir ? dir : IPC_O_RDWR) |
	                         (cfg->flags &
	                          (IPC_O_CREATE | IPC_O_EXCL | IPC_O_SHARED)),
	                 cfg->mode, (cfg->flags & IPC_O_CREATE) ? &want : NULL);
	if (st == -EINVAL || st == -EMFILE || st == -ENOSPC) {
		if (ipc_mq_limit_message(st, &want, why, sizeof(why)) == 0)
			return ipc__detail(st, "mq:%s: %s", u->addr, why);
		if (st == -EINVAL)
			return ipc__detail(
			        st,
			        "mq:%s: bad name, or an existing queue of another shape than max_messages=%zu max_message_size=%zu",
			        u->addr, cfg->max_messages, cfg->max);
	}
	if (st)
		return st;
	st = ipc_mq_attrs(c->mq, &have);
	if (st)
		goto err;
	c->bufcap = (size_t)have.max_message_size;
	c->max = c->bufcap;
	if (cfg->max && cfg->max < c->max)
		c->max = cfg->max;
	if (cfg->max > c->max) {
		st = ipc__detail(
		        -EINVAL,
		        "mq:%s: max_message_size=%zu is above the queue's %zu",
		        u->addr, cfg->max, c->bufcap);
		goto err;
	}
	c->ops = &mq_ops;
	c->dir = dir ? dir : IPC_O_RDWR;
	c->meta_prio = true;
	return 0;
err:
	(void)ipc_mq_close(c->mq);
	c->mq = NULL;
	return st;
}

/* --- System V ------------------------------------------------------------ */

static ipc_status sysvmq_send_op(ipc_chan *c, const void *buf, size_t len,
                                 const struct ipc_chan_meta *meta,
                                 ipc_deadline d)
{
	long type = meta != NULL && meta->type > 0 ? meta->type : 1;

	return ipc_sysvmq_send(c->sysvmq, type, buf, len, d);
}

static ipc_status sysvmq_recv_op(ipc_chan *c, void *buf, size_t cap,
                                 size_t *nread, struct ipc_chan_meta *meta,
                                 ipc_deadline d)
{
	long type = 0;
	ipc_status st;

	st = ipc_sysvmq_receive(c->sysvmq, meta->type, 0, buf, cap, nread,
	                        &type, d);
	if (st == -E2BIG)
		return -EMSGSIZE; /* it stays queued; its length is unknown */
	meta->type = type;
	return st;
}

static ipc_status sysvmq_borrow_op(ipc_chan *c, const void **data, size_t *len,
                                   struct ipc_chan_meta *meta, ipc_deadline d)
{
	ipc_status st;

	st = own_buffer(c);
	if (st)
		return st;
	st = sysvmq_recv_op(c, c->buf, c->bufcap, len, meta, d);
	if (st == 0)
		*data = c->buf;
	return st;
}

static ipc_status sysvmq_close_op(ipc_chan *c)
{
	ipc_status st = ipc_sysvmq_close(c->sysvmq);

	c->sysvmq = NULL;
	return st;
}

/* No descriptor to poll: the loop asks the queue's message count. A
 * receiver filtering on a type may still find nothing it takes. */
static bool sysvmq_readable_op(ipc_chan *c)
{
	struct ipc_sysvmq_stat st;

	return ipc_sysvmq_stat(c->sysvmq, &st) == 0 && st.messages > 0;
}

static const struct ipc__chan_ops sysvmq_ops = {
        .readable = sysvmq_readable_op,
        .send = sysvmq_send_op,
        .recv = sysvmq_recv_op,
        .borrow = sysvmq_borrow_op,
        .close = sysvmq_close_op,
};

static ipc_status open_sysvmq(ipc_chan *c, const struct ipc_url *u,
                              const struct ipc__chan_cfg *cfg)
{
	unsigned int dir = cfg->flags & IPC_O_RDWR;
	ipc_status st;

	st = ipc_sysvmq_open(&c->sysvmq, u->key,
	                     cfg->flags &
	                             (IPC_O_CREATE | IPC_O_EXCL | IPC_O_SHARED),
	                     cfg->mode);
	if (st == -EINVAL)
		return ipc__detail(st, "sysvmq:%s: refused (mode above 0777?)",
		                   u->addr);
	if (st)
		return st;
	c->bufcap = ipc_sysvmq_max_message(c->sysvmq);
	c->max = c->bufcap;
	if (cfg->max > c->max) {
		st = ipc__detail(
		        -EINVAL,
		        "sysvmq:%s: max_message_size=%zu is above /proc/sys/kernel/msgmax=%zu",
		        u->addr, cfg->max, c->bufcap);
		(void)ipc_sysvmq_close(c->sysvmq);
		c->sysvmq = NULL;
		return st;
	}
	if (cfg->max)
		c->max = cfg->max;
	c->ops = &sysvmq_ops;
	c->dir = dir ? dir : IPC_O_RDWR;
	c->meta_type = true;
	return 0;
}

ipc_status ipc__chan_queue_open(ipc_chan *c, const struct ipc_url *u,
                                const struct ipc__chan_cfg *cfg)
{
	if (u->kind == IPC_URL_MQ)
		return open_mq(c, u, cfg);
	return open_sysvmq(c, u, cfg);
}
