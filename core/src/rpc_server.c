/* SPDX-License-Identifier: MIT */
/*
 * rpc_server.c - serving calls over a channel URL (ipc/rpc.h).
 *
 * Stream kinds listen and poll the listener and every connection; a
 * request's route is the generation of its connection, so that a reply
 * for a connection closed meanwhile is dropped instead of reaching a new
 * one in the same slot. Message kinds read one request object; a call
 * names its reply object (reply_to), which the server opens for writing
 * and keeps in a small LRU cache. System V queues reply on the request
 * queue, with the client's message type.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "ipc/chan.h"
#include "ipc/rpc.h"
#include "ipc/sysvmq.h"
#include "ipc/url.h"
#include "rpc_internal.h"

#define LINGER_MS    100 /* sysvmq: how long close waits for callers */
#define CACHE_SIZE   16  /* reply channels kept open (message kinds) */
#define PENDING_SIZE 64  /* calls whose reply_to is remembered */

struct conn {
	ipc_chan *c;
	uint64_t gen;
};

struct cached {
	char *url;
	ipc_chan *c;
	uint64_t used;
};

struct pending {
	uint64_t route;
	char *reply_to;
};

struct ipc_rpc_server {
	char *url;
	char *unlink_url; /* what close removes, or NULL */
	int kind;
	int32_t sysv_key; /* sysvmq: the queue's key, for close's linger */
	bool stream;
	size_t max;
	ipc_chan *listener; /* stream kinds */
	ipc_chan *req;      /* message kinds: where calls arrive */
	ipc_chan *keep;     /* fifo: our own writer, so reads never see EOF */
	struct conn *conns;
	size_t nconns;
	size_t capconns;
	size_t next_conn; /* round robin */
	uint64_t gen;
	struct cached cache[CACHE_SIZE];
	uint64_t tick;
	struct pending pend[PENDING_SIZE];
	uint64_t seq;
	unsigned char *buf; /* the current request, copied */
	size_t bufcap;
	char *method;
	size_t methodcap;
	struct ipc_rpc_enc enc;
	struct pollfd *pfd;
	size_t pfdcap;
};

static ipc_deadline reply_deadline(void)
{
	return ipc_now() + (int64_t)IPC__RPC_REPLY_MS * 1000000;
}

static bool is_stream_kind(int kind)
{
	return kind == IPC_URL_UNIX || kind == IPC_URL_UNIXPACKET ||
	       kind == IPC_URL_TCP;
}

ipc_status ipc__rpc_check_kind(const char *url, struct ipc_url *u)
{
	ipc_status st;

	if (url == NULL)
		return ipc__detail(-EINVAL, "rpc: NULL URL");
	st = ipc_url_parse(url, u);
	if (st)
		return st;
	if (u->kind == IPC_URL_UDP || u->kind == IPC_URL_FD)
		return ipc__detail(
		        -EPROTONOSUPPORT,
		        "%s: rpc does not run over %s: (UDP may lose a call; an fd: has one direction)",
		        url, ipc_url_kind_name(u->kind));
	if (!ipc_url_is_channel(u->kind))
		return ipc__detail(-EINVAL, "%s: not a channel URL", url);
	return 0;
}

void ipc__rpc_chan_opts(const struct ipc_url *u, const struct ipc_rpc_opts *o,
                        struct ipc_chan_opts *co)
{
	memset(co, 0, sizeof(*co));
	if (o == NULL)
		return;
	co->max_message_size = o->max_message_size;
	if (ipc_url_kind_options(u->kind) & IPC_URL_HAS_MODE)
		co->mode = o->mode;
}

/* A copy of @url for close to unlink: named objects and socket paths. */
static ipc_status note_unlink(ipc_rpc_server *s, const struct ipc_url *u)
{
	if (u->kind == IPC_URL_TCP || u->addr[0] == '@')
		return 0;
	s->unlink_url = strdup(s->url);
	return s->unlink_url ? 0 : -ENOMEM;
}

static ipc_status open_message_kind(ipc_rpc_server *s, const struct ipc_url *u,
                                    const struct ipc_chan_opts *co)
{
	ipc_status st;

	switch (u->kind) {
	case IPC_URL_UNIXGRAM:
		return ipc_chan_listen(&s->req, s->url, 0, co);
	case IPC_URL_SYSVMQ:
		return ipc_chan_open(&s->req, s->url, IPC_O_RDWR | IPC_O_CREATE,
		                     co, IPC_DEADLINE_NEVER);
	case IPC_URL_FIFO:
		st = ipc_chan_open(&s->req, s->url, IPC_O_READ | IPC_O_CREATE,
		                   co, IPC_DEADLINE_NEVER);
		if (st)
			return st;
		return ipc_chan_open(&s->keep, s->url, IPC_O_WRITE, co,
		                     ipc_deadline_in_ms(1000));
	default:
		return ipc_chan_open(&s->req, s->url, IPC_O_READ | IPC_O_CREATE,
		                     co, IPC_DEADLINE_NEVER);
	}
}

ipc_status ipc_rpc_server_open(ipc_rpc_server **out, const char *url,
                               const struct ipc_rpc_opts *opts)
{
	struct ipc_chan_opts co;
	ipc_rpc_server *s;
	struct ipc_url *u;
	size_t cmax;
	ipc_status st;

	ipc__detail_clear();
	if (out == NULL)
		return ipc__detail(-EINVAL, "rpc: NULL out");
	*out = NULL;
	u = malloc(sizeof(*u));
	s = calloc(1, sizeof(*s));
	if (u == NULL || s == NULL) {
		st = -ENOMEM;
		goto err;
	}
	st = ipc__rpc_check_kind(url, u);
	if (st)
		goto err;
	s->kind = u->kind;
	s->sysv_key = u->key;
	s->stream = is_stream_kind(u->kind);
	s->url = strdup(url);
	if (s->url == NULL) {
		st = -ENOMEM;
		goto err;
	}
	ipc__rpc_chan_opts(u, opts, &co);
	if (s->stream)
		st = ipc_chan_listen(&s->listener, url, 0, &co);
	else
		st = open_message_kind(s, u, &co);
	if (st)
		goto err_close;
	st = note_unlink(s, u);
	if (st)
		goto err_close;
	if (!s->stream)
		ipc__rpc_sweep_replies(s->url, s->kind);
	if (s->kind == IPC_URL_TCP) {
		/* Port 0: give the port the kernel chose. */
		free(s->url);
		s->url = strdup(ipc_chan_url(s->listener));
		if (s->url == NULL) {
			st = -ENOMEM;
			goto err_close;
		}
	}
	s->max = opts && opts->max_message_size ? opts->max_message_size
	                                        : IPC_RPC_DEFAULT_MAX;
	cmax = ipc_chan_max_message(s->stream ? s->listener : s->req);
	if (cmax && cmax < s->max)
		s->max = cmax;
	ipc_rpc_enc_init(&s->enc, s->max);
	free(u);
	*out = s;
	return 0;
err_close:
	ipc_rpc_server_close(s);
	s = NULL;
err:
	free(s);
	free(u);
	return st;
}

const char *ipc_rpc_server_url(const ipc_rpc_server *s)
{
	return s ? s->url : NULL;
}

static void drop_conn(ipc_rpc_server *s, size_t i)
{
	(void)ipc_chan_close(s->conns[i].c);
	s->conns[i] = s->conns[--s->nconns];
}

static void cache_drop(struct cached *e)
{
	(void)ipc_chan_close(e->c);
	free(e->url);
	memset(e, 0, sizeof(*e));
}

/* Replies to sysvmq callers wait in the request queue itself: removing
 * it at once would lose the answer to the last call (a handler that
 * closes the server). Give the callers up to LINGER_MS to take what is
 * queued. */
static void linger_sysvmq(int32_t key)
{
	struct ipc_sysvmq_stat st;
	ipc_deadline d = ipc_deadline_in_ms(LINGER_MS);
	struct timespec ms = {0, 1000000};
	ipc_sysvmq *q;

	if (ipc_sysvmq_open(&q, key, 0, 0) != 0)
		return;
	while (ipc_sysvmq_stat(q, &st) == 0 && st.messages > 0 &&
	       !ipc_deadline_expired(d))
		nanosleep(&ms, NULL);
	(void)ipc_sysvmq_close(q);
}

void ipc_rpc_server_close(ipc_rpc_server *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->kind == IPC_URL_SYSVMQ && s->unlink_url != NULL)
		linger_sysvmq(s->sysv_key);
	for (i = 0; i < s->nconns; i++)
		(void)ipc_chan_close(s->conns[i].c);
	for (i = 0; i < CACHE_SIZE; i++)
		cache_drop(&s->cache[i]);
	for (i = 0; i < PENDING_SIZE; i++)
		free(s->pend[i].reply_to);
	(void)ipc_chan_close(s->listener);
	(void)ipc_chan_close(s->keep);
	(void)ipc_chan_close(s->req);
	if (s->unlink_url != NULL)
		(void)ipc_unlink_url(s->unlink_url);
	ipc_rpc_enc_free(&s->enc);
	free(s->conns);
	free(s->pfd);
	free(s->buf);
	free(s->method);
	free(s->unlink_url);
	free(s->url);
	free(s);
}

/* ---- replies ----------------------------------------------------------- */

static struct conn *find_conn(ipc_rpc_server *s, uint64_t gen)
{
	size_t i;

	for (i = 0; i < s->nconns; i++)
		if (s->conns[i].gen == gen)
			return &s->conns[i];
	return NULL;
}

/* The reply channel for @url: cached, or opened now (and cached). */
static ipc_chan *reply_chan(ipc_rpc_server *s, const char *url)
{
	struct cached *e = &s->cache[0];
	ipc_chan *c;
	size_t i;

	for (i = 0; i < CACHE_SIZE; i++) {
		if (s->cache[i].url != NULL &&
		    strcmp(s->cache[i].url, url) == 0) {
			s->cache[i].used = ++s->tick;
			return s->cache[i].c;
		}
		if (s->cache[i].used < e->used)
			e = &s->cache[i];
	}
	if (ipc_chan_open(&c, url, IPC_O_WRITE, NULL, reply_deadline()))
		return NULL;
	cache_drop(e);
	e->url = strdup(url);
	if (e->url == NULL) {
		(void)ipc_chan_close(c);
		return NULL;
	}
	e->c = c;
	e->used = ++s->tick;
	return c;
}

static void cache_forget(ipc_rpc_server *s, ipc_chan *c)
{
	size_t i;

	for (i = 0; i < CACHE_SIZE; i++)
		if (s->cache[i].c == c)
			cache_drop(&s->cache[i]);
}

/*
 * Send an encoded reply along @route. A caller that went away, or does
 * not take the reply in time, is not the server's failure: the reply is
 * dropped. Only a reply too large for the channel is reported.
 */
static ipc_status deliver(ipc_rpc_server *s, uint64_t route, const void *p,
                          size_t len)
{
	struct ipc_chan_meta meta = {0, 0};
	struct pending *pd;
	struct conn *cn;
	ipc_chan *c;
	ipc_status st;
	long type;

	if (s->stream) {
		cn = find_conn(s, route);
		if (cn == NULL)
			return 0;
		st = ipc_chan_send(cn->c, p, len, reply_deadline());
		if (st == -EMSGSIZE)
			return st;
		/* A stream may hold half a frame now: end it. */
		if (st)
			drop_conn(s, (size_t)(cn - s->conns));
		return 0;
	}
	pd = &s->pend[route % PENDING_SIZE];
	if (pd->route != route || pd->reply_to == NULL)
		return 0;
	if (s->kind == IPC_URL_SYSVMQ) {
		if (sscanf(pd->reply_to, "sysvmq-type:%ld", &type) != 1)
			return 0;
		meta.type = type;
		st = ipc_chan_send_meta(s->req, p, len, &meta,
		                        reply_deadline());
		return st == -EMSGSIZE ? st : 0;
	}
	c = reply_chan(s, pd->reply_to);
	if (c == NULL)
		return 0;
	st = ipc_chan_send(c, p, len, reply_deadline());
	if (st == -EMSGSIZE)
		return st;
	if (st)
		cache_forget(s, c);
	return 0;
}

static ipc_status send_error(ipc_rpc_server *s, uint64_t route, uint64_t id,
                             const char *msg)
{
	ipc_status st;

	ipc_rpc_enc_reset(&s->enc);
	ipc__rpc_put_reply(&s->enc, IPC__RPC_ERROR, id);
	ipc__rpc_put_message(&s->enc, msg);
	st = ipc_rpc_enc_status(&s->enc);
	if (st)
		return st;
	return deliver(s, route, s->enc.data, s->enc.len);
}

ipc_status ipc_rpc_server_reply(ipc_rpc_server *s,
                                const struct ipc_rpc_request *req,
                                const void *value, size_t len)
{
	char msg[96];
	ipc_status st;

	ipc__detail_clear();
	if (s == NULL || req == NULL || (value == NULL && len))
		return ipc__detail(-EINVAL, "rpc: NULL server, call or value");
	st = ipc__rpc_check_value(value, len, -1);
	if (st)
		return st;
	ipc_rpc_enc_reset(&s->enc);
	ipc__rpc_put_reply(&s->enc, IPC__RPC_RESULT, req->id);
	ipc__rpc_put_raw(&s->enc, value, len);
	st = ipc_rpc_enc_status(&s->enc);
	if (!st)
		st = deliver(s, req->route, s->enc.data, s->enc.len);
	if (st == -EMSGSIZE) {
		/* Tell the caller rather than leave it waiting. */
		snprintf(msg, sizeof(msg),
		         "rpc: the result (%zu bytes) exceeds the limit of %zu",
		         len, s->max);
		(void)send_error(s, req->route, req->id, msg);
		return ipc__detail(-EMSGSIZE, "%s", msg);
	}
	return st;
}

ipc_status ipc_rpc_server_reply_error(ipc_rpc_server *s,
                                      const struct ipc_rpc_request *req,
                                      const char *msg)
{
	ipc__detail_clear();
	if (s == NULL || req == NULL)
		return ipc__detail(-EINVAL, "rpc: NULL server or call");
	return send_error(s, req->route, req->id, msg);
}

/* ---- receiving --------------------------------------------------------- */

static ipc_status grow(void **p, size_t *cap, size_t want)
{
	void *n;

	if (want <= *cap)
		return 0;
	n = realloc(*p, want);
	if (n == NULL)
		return -ENOMEM;
	*p = n;
	*cap = want;
	return 0;
}

/*
 * Take one message: 0 with *@req filled when it is a call to hand out,
 * 1 when it was answered with an error or skipped. @route is where a
 * reply goes for stream kinds; message kinds get theirs from reply_to.
 */
static int take(ipc_rpc_server *s, const void *data, size_t len, uint64_t route,
                struct ipc_rpc_request *req)
{
	struct ipc__rpc_call call;
	struct ipc_url u;
	struct pending *pd;
	char detail[256];
	ipc_status st;

	if (grow((void **)&s->buf, &s->bufcap, len ? len : 1))
		return 1;
	memcpy(s->buf, data, len);
	st = ipc__rpc_parse_call(s->buf, len, &call);
	if (!call.has_id)
		return 1;
	if (!s->stream) {
		/* Only an object of our own kind, named without options. */
		if (call.reply_to == NULL || call.reply_to_len >= 1024 ||
		    memchr(call.reply_to, '?', call.reply_to_len) ||
		    memchr(call.reply_to, '\0', call.reply_to_len))
			return 1;
		route = ++s->seq;
		pd = &s->pend[route % PENDING_SIZE];
		free(pd->reply_to);
		/* Not strndup(): the text is not NUL-terminated. */
		pd->reply_to = malloc(call.reply_to_len + 1);
		pd->route = route;
		if (pd->reply_to == NULL)
			return 1;
		memcpy(pd->reply_to, call.reply_to, call.reply_to_len);
		pd->reply_to[call.reply_to_len] = '\0';
		if (s->kind == IPC_URL_SYSVMQ) {
			long type = 0;
			char end = 0;

			if (sscanf(pd->reply_to, "sysvmq-type:%ld%c", &type,
			           &end) != 1 ||
			    type <= 1)
				pd->route = 0;
		} else if (ipc_url_parse(pd->reply_to, &u) ||
		           u.kind != s->kind) {
			pd->route = 0;
		}
		if (pd->route == 0)
			return 1;
	}
	if (st) {
		snprintf(detail, sizeof(detail), "%s", ipc_detail());
		(void)send_error(s, route, call.id, detail);
		return 1;
	}
	if (grow((void **)&s->method, &s->methodcap, call.method_len + 1)) {
		(void)send_error(s, route, call.id, "rpc: out of memory");
		return 1;
	}
	memcpy(s->method, call.method, call.method_len);
	s->method[call.method_len] = '\0';
	req->id = call.id;
	req->method = s->method;
	req->method_len = call.method_len;
	req->args = call.args;
	req->args_len = call.args_len;
	req->route = route;
	return 0;
}

/* Garbage on the request FIFO: the framing is lost. Start over. */
static void fifo_resync(ipc_rpc_server *s)
{
	unsigned char junk[4096];
	size_t n;

	(void)ipc_chan_close(s->req);
	s->req = NULL;
	if (ipc_chan_open(&s->req, s->url, IPC_O_READ, NULL, IPC_DEADLINE_NOW))
		return;
	while (ipc_chan_read(s->req, junk, sizeof(junk), &n,
	                     IPC_DEADLINE_NOW) == 0 &&
	       n > 0)
		;
}

static ipc_status recv_message_kind(ipc_rpc_server *s,
                                    struct ipc_rpc_request *req, ipc_deadline d)
{
	struct ipc_chan_meta meta = {0, 1};
	const void *data;
	size_t len;
	ipc_status st;

	for (;;) {
		if (s->req == NULL)
			return ipc__detail(
			        -EBADF, "%s: the request FIFO is lost", s->url);
		meta.type = 1;
		st = ipc_chan_recv_borrow(
		        s->req, &data, &len,
		        s->kind == IPC_URL_SYSVMQ ? &meta : NULL, d);
		if ((st == -EPROTO || st == -EMSGSIZE || st == -ECONNRESET) &&
		    s->kind == IPC_URL_FIFO) {
			fifo_resync(s);
			continue;
		}
		if (st == -EMSGSIZE)
			continue;
		if (st)
			return st;
		if (take(s, data, len, 0, req) == 0)
			return 0;
	}
}

static ipc_status accept_all(ipc_rpc_server *s)
{
	ipc_chan *c;
	struct conn *n;

	while (ipc_chan_accept(s->listener, &c, IPC_DEADLINE_NOW) == 0) {
		if (s->nconns == s->capconns) {
			n = realloc(s->conns,
			            (s->capconns * 2 + 8) * sizeof(*n));
			if (n == NULL) {
				(void)ipc_chan_close(c);
				return -ENOMEM;
			}
			s->conns = n;
			s->capconns = s->capconns * 2 + 8;
		}
		s->conns[s->nconns].c = c;
		s->conns[s->nconns].gen = ++s->gen;
		s->nconns++;
	}
	return 0;
}

/* Try each connection once, round robin, without waiting. */
static int serve_ready(ipc_rpc_server *s, struct ipc_rpc_request *req,
                       const struct pollfd *pfd, bool only_readable)
{
	const void *data;
	size_t len;
	size_t k;
	size_t i;
	ipc_status st;

	for (k = 0; k < s->nconns; k++) {
		i = (s->next_conn + k) % s->nconns;
		if (only_readable ? !ipc_chan_readable(s->conns[i].c)
		                  : !(pfd[i + 1].revents))
			continue;
		st = ipc_chan_recv_borrow(s->conns[i].c, &data, &len, NULL,
		                          IPC_DEADLINE_NOW);
		if (st == -EAGAIN || st == -EINTR)
			continue;
		if (st) {
			/* Gone, or garbage framing: drop it. */
			drop_conn(s, i);
			return 1;
		}
		if (take(s, data, len, s->conns[i].gen, req) == 0) {
			s->next_conn = i + 1;
			return 0;
		}
		return 1;
	}
	return 2;
}

static ipc_status recv_stream(ipc_rpc_server *s, struct ipc_rpc_request *req,
                              ipc_deadline d)
{
	size_t i;
	int r;
	int n;

	for (;;) {
		r = serve_ready(s, req, NULL, true);
		if (r == 0)
			return 0;
		if (r == 1)
			continue;
		if (grow((void **)&s->pfd, &s->pfdcap,
		         (s->nconns + 1) * sizeof(*s->pfd)))
			return -ENOMEM;
		s->pfd[0].fd = ipc_chan_fd(s->listener);
		s->pfd[0].events = POLLIN;
		for (i = 0; i < s->nconns; i++) {
			s->pfd[i + 1].fd = ipc_chan_fd(s->conns[i].c);
			s->pfd[i + 1].events = POLLIN;
		}
		n = poll(s->pfd, s->nconns + 1, ipc_deadline_remaining_ms(d));
		if (n < 0 && errno == EINTR)
			return -EINTR;
		if (n < 0)
			return -errno;
		if (n == 0) {
			if (d != IPC_DEADLINE_NEVER && ipc_now() >= d)
				return ipc__timeout_status(d);
			continue;
		}
		r = serve_ready(s, req, s->pfd, false);
		if (r == 0)
			return 0;
		if (s->pfd[0].revents && accept_all(s))
			return -ENOMEM;
	}
}

ipc_status ipc_rpc_server_recv(ipc_rpc_server *s, struct ipc_rpc_request *req,
                               ipc_deadline d)
{
	ipc__detail_clear();
	if (s == NULL || req == NULL)
		return ipc__detail(-EINVAL, "rpc: NULL server or call");
	memset(req, 0, sizeof(*req));
	if (s->stream)
		return recv_stream(s, req, d);
	return recv_message_kind(s, req, d);
}
