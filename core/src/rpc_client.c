/* SPDX-License-Identifier: MIT */
/*
 * rpc_client.c - calling a server (ipc/rpc.h).
 *
 * Stream kinds connect and read replies on the connection. Message kinds
 * send calls to the server's object and make a private reply object named
 * "<request name>.r<pid>-<counter>", which close removes; a System V queue
 * takes the replies on the request queue under a type of the client's own.
 * Every call has an id; a reply with another id is a late one and dropped.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "ipc/chan.h"
#include "ipc/frame.h"
#include "ipc/rpc.h"
#include "ipc/url.h"
#include "rpc_internal.h"

/* Names of reply objects taken by another process: try this many. */
#define NAME_TRIES 16

struct ipc_rpc_client {
	int kind;
	ipc_chan *tx;
	ipc_chan *rx;   /* tx itself for stream kinds and sysvmq */
	ipc_chan *keep; /* fifo: our own writer, so reads never see EOF */
	char *reply_to; /* NULL for stream kinds */
	bool unlink_reply;
	long type; /* sysvmq: the type replies come with */
	uint64_t next_id;
	uint64_t pending; /* the id of the call sent and not answered, or 0 */
	size_t max;
	struct ipc_rpc_enc enc;
	unsigned char *buf;
	size_t bufcap;
};

static uint32_t next_counter(void)
{
	static uint32_t counter;

	return __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
}

/* "<url before '?'>.r<pid>-<n>", and the same with the URL's options. */
static ipc_status reply_names(const char *url, uint32_t n, char **plain,
                              char **with_opts)
{
	const char *q = strchr(url, '?');
	size_t base = q ? (size_t)(q - url) : strlen(url);
	char *a = NULL;
	char *b = NULL;

	if (asprintf(&a, "%.*s.r%ld-%u", (int)base, url, (long)getpid(), n) <
	            0 ||
	    asprintf(&b, "%s%s", a, q ? q : "") < 0) {
		free(a);
		return -ENOMEM;
	}
	*plain = a;
	*with_opts = b;
	return 0;
}

static ipc_status open_reply(ipc_rpc_client *c, const char *url,
                             const struct ipc_chan_opts *co, ipc_deadline d)
{
	char *plain = NULL;
	char *full = NULL;
	ipc_status st = -EEXIST;
	int i;

	for (i = 0; i < NAME_TRIES && st == -EEXIST; i++) {
		free(plain);
		free(full);
		plain = full = NULL;
		if (reply_names(url, next_counter(), &plain, &full))
			return -ENOMEM;
		if (c->kind == IPC_URL_UNIXGRAM)
			st = ipc_chan_listen(&c->rx, full, IPC_O_EXCL, co);
		else
			st = ipc_chan_open(
			        &c->rx, full,
			        IPC_O_READ | IPC_O_CREATE | IPC_O_EXCL, co, d);
		if (st == -EADDRINUSE)
			st = -EEXIST;
	}
	free(full);
	if (st) {
		free(plain);
		return st;
	}
	c->reply_to = plain;
	c->unlink_reply = plain[strcspn(plain, ":") + 1] != '@';
	if (c->kind == IPC_URL_FIFO)
		return ipc_chan_open(&c->keep, plain, IPC_O_WRITE, NULL, d);
	return 0;
}

static ipc_status open_sysvmq(ipc_rpc_client *c, const char *url,
                              const struct ipc_chan_opts *co, ipc_deadline d)
{
	uint64_t t;
	ipc_status st;

	st = ipc_chan_open(&c->tx, url, IPC_O_RDWR, co, d);
	if (st)
		return st;
	c->rx = c->tx;
	do
		t = ((uint64_t)getpid() << 16 | next_counter()) & LONG_MAX;
	while (t <= 1);
	c->type = (long)t;
	if (asprintf(&c->reply_to, "sysvmq-type:%ld", c->type) < 0) {
		c->reply_to = NULL;
		return -ENOMEM;
	}
	return 0;
}

ipc_status ipc_rpc_client_open(ipc_rpc_client **out, const char *url,
                               const struct ipc_rpc_opts *opts, ipc_deadline d)
{
	struct ipc_chan_opts co;
	ipc_rpc_client *c;
	struct ipc_url *u;
	size_t cmax;
	ipc_status st;

	ipc__detail_clear();
	if (out == NULL)
		return ipc__detail(-EINVAL, "rpc: NULL out");
	*out = NULL;
	u = malloc(sizeof(*u));
	c = calloc(1, sizeof(*c));
	if (u == NULL || c == NULL) {
		st = -ENOMEM;
		goto err;
	}
	st = ipc__rpc_check_kind(url, u);
	if (st)
		goto err;
	c->kind = u->kind;
	ipc__rpc_chan_opts(u, opts, &co);
	switch (u->kind) {
	case IPC_URL_UNIX:
	case IPC_URL_UNIXPACKET:
	case IPC_URL_TCP:
		st = ipc_chan_connect(&c->tx, url, &co, d);
		c->rx = c->tx;
		break;
	case IPC_URL_SYSVMQ:
		st = open_sysvmq(c, url, &co, d);
		break;
	default:
		/* The server's object first: no server, no reply object. */
		st = ipc_chan_open(&c->tx, url, IPC_O_WRITE, &co, d);
		if (!st)
			st = open_reply(c, url, &co, d);
		break;
	}
	if (st)
		goto err_close;
	c->max = opts && opts->max_message_size ? opts->max_message_size
	                                        : IPC_RPC_DEFAULT_MAX;
	cmax = ipc_chan_max_message(c->tx);
	if (cmax && cmax < c->max)
		c->max = cmax;
	/* Calls on a shared FIFO must go in one atomic write each, or two
	 * clients' frames could interleave. */
	if (c->kind == IPC_URL_FIFO &&
	    c->max > PIPE_BUF - IPC_FRAME_HEADER_SIZE)
		c->max = PIPE_BUF - IPC_FRAME_HEADER_SIZE;
	ipc_rpc_enc_init(&c->enc, c->max);
	free(u);
	*out = c;
	return 0;
err_close:
	ipc_rpc_client_close(c);
	c = NULL;
err:
	free(c);
	free(u);
	return st;
}

void ipc_rpc_client_close(ipc_rpc_client *c)
{
	struct ipc_chan_meta meta;
	const void *data;
	size_t len;

	if (c == NULL)
		return;
	if (c->kind == IPC_URL_SYSVMQ && c->tx != NULL) {
		/* Late replies to us would stay in the server's queue. */
		do
			meta.type = c->type;
		while (ipc_chan_recv_borrow(c->tx, &data, &len, &meta,
		                            IPC_DEADLINE_NOW) == 0);
	}
	if (c->rx != c->tx)
		(void)ipc_chan_close(c->rx);
	(void)ipc_chan_close(c->tx);
	(void)ipc_chan_close(c->keep);
	if (c->reply_to != NULL && c->unlink_reply)
		(void)ipc_unlink_url(c->reply_to);
	ipc_rpc_enc_free(&c->enc);
	free(c->reply_to);
	free(c->buf);
	free(c);
}

/* Keep the reply (a copy: the channel's buffer goes with the next recv). */
static ipc_status keep_reply(ipc_rpc_client *c, const struct ipc__rpc_reply *r,
                             struct ipc_rpc_reply *rep)
{
	void *n;

	if (r->value_len + 1 > c->bufcap) {
		n = realloc(c->buf, r->value_len + 1);
		if (n == NULL)
			return -ENOMEM;
		c->buf = n;
		c->bufcap = r->value_len + 1;
	}
	memcpy(c->buf, r->value, r->value_len);
	c->buf[r->value_len] = '\0';
	rep->data = c->buf;
	rep->len = r->value_len;
	return r->kind == IPC__RPC_ERROR ? -EREMOTEIO : 0;
}

static ipc_status encode_call(ipc_rpc_client *c, uint64_t id,
                              const char *method, const void *args,
                              size_t args_len)
{
	ipc_status st;

	st = ipc__rpc_check_value(args, args_len, IPC_RPC_LIST);
	if (st)
		return ipc__detail(
		        -EINVAL, "rpc: the arguments are not one encoded list");
	ipc_rpc_enc_reset(&c->enc);
	ipc_rpc_put_list(&c->enc, 6);
	ipc_rpc_put_int(&c->enc, IPC_RPC_VERSION);
	ipc_rpc_put_int(&c->enc, IPC__RPC_CALL);
	ipc_rpc_put_uint(&c->enc, id);
	if (c->reply_to != NULL)
		ipc_rpc_put_str(&c->enc, c->reply_to, strlen(c->reply_to));
	else
		ipc_rpc_put_nil(&c->enc);
	ipc_rpc_put_str(&c->enc, method, strlen(method));
	ipc__rpc_put_raw(&c->enc, args, args_len);
	st = ipc_rpc_enc_status(&c->enc);
	if (st == -EILSEQ)
		return ipc__detail(-EINVAL,
		                   "rpc: the method name is not UTF-8");
	if (st == -EMSGSIZE)
		return ipc__detail(
		        st, "rpc: the call exceeds the limit of %zu bytes",
		        c->max);
	return st;
}

ipc_status ipc_rpc_send_call(ipc_rpc_client *c, const char *method,
                             const void *args, size_t args_len, ipc_deadline d)
{
	struct ipc_chan_meta meta = {0, 1};
	uint64_t id;
	ipc_status st;

	ipc__detail_clear();
	if (c == NULL || method == NULL || (args == NULL && args_len))
		return ipc__detail(-EINVAL, "rpc: NULL client or method");
	/* A call still pending is abandoned: its late reply is dropped by
	 * id. */
	c->pending = 0;
	id = ++c->next_id;
	st = encode_call(c, id, method, args, args_len);
	if (st)
		return st;
	st = ipc_chan_send_meta(c->tx, c->enc.data, c->enc.len,
	                        c->kind == IPC_URL_SYSVMQ ? &meta : NULL, d);
	if (st == -EIDRM)
		return ipc__detail(-EPIPE, "rpc: the server removed its queue");
	if (st)
		return st;
	c->pending = id;
	return 0;
}

bool ipc_rpc_pending(const ipc_rpc_client *c)
{
	return c != NULL && c->pending != 0;
}

ipc_status ipc_rpc_wait_reply(ipc_rpc_client *c, struct ipc_rpc_reply *rep,
                              ipc_deadline d)
{
	struct ipc_chan_meta meta = {0, 1};
	struct ipc__rpc_reply r;
	const void *data;
	size_t len;
	ipc_status st;

	if (c == NULL || rep == NULL)
		return ipc__detail(-EINVAL, "rpc: NULL client or reply");
	rep->data = NULL;
	rep->len = 0;
	if (c->pending == 0)
		return ipc__detail(-EINVAL,
		                   "rpc: no call is waiting for a reply");
	for (;;) {
		meta.type = c->type;
		st = ipc_chan_recv_borrow(
		        c->rx, &data, &len,
		        c->kind == IPC_URL_SYSVMQ ? &meta : NULL, d);
		/* Waiting may resume: the call stays pending. */
		if (st == -ETIMEDOUT || st == -EINTR || st == -EAGAIN)
			return st;
		if (st == -EIDRM)
			st = ipc__detail(
			        -EPIPE, "rpc: %s: the server removed its queue",
			        c->reply_to);
		if (st == 0)
			st = ipc__rpc_parse_reply(data, len, &r);
		if (st) {
			c->pending = 0;
			return st;
		}
		if (r.id == c->pending) {
			c->pending = 0;
			return keep_reply(c, &r, rep);
		}
	}
}

ipc_status ipc_rpc_call(ipc_rpc_client *c, const char *method, const void *args,
                        size_t args_len, struct ipc_rpc_reply *rep,
                        ipc_deadline d)
{
	ipc_status st;

	if (rep == NULL)
		return ipc__detail(-EINVAL, "rpc: NULL reply");
	rep->data = NULL;
	rep->len = 0;
	st = ipc_rpc_send_call(c, method, args, args_len, d);
	if (st)
		return st;
	return ipc_rpc_wait_reply(c, rep, d);
}
