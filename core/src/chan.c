/* SPDX-License-Identifier: MIT */
/*
 * chan.c - channels: open by URL, then one send/recv API (docs/channels.md).
 *
 * This file parses and merges what an open asks for (URL options, the
 * opts structure, the flags), checks every argument the kinds have in
 * common, and hands the rest to one of the families behind the ops table
 * (chan_internal.h). The families translate to the mechanisms; none of
 * them does I/O of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan_internal.h"

/* Options each kind takes (IPC_URL_HAS_* bits), for struct ipc_chan_opts. */
/*
 * Which options and open flags a kind takes comes from the URL parser's
 * table (ipc_url_kind_options()), so that a URL option and the same
 * setting passed as struct ipc_chan_opts or IPC_O_CREATE are refused
 * alike.
 */
static bool kind_creates(int kind)
{
	return (ipc_url_kind_options(kind) & IPC_URL_HAS_CREATE) != 0;
}

static bool kind_socket(int kind)
{
	return kind == IPC_URL_UNIX || kind == IPC_URL_UNIXGRAM ||
	       kind == IPC_URL_UNIXPACKET || kind == IPC_URL_TCP ||
	       kind == IPC_URL_UDP;
}

static const char *kind_name(int kind)
{
	const char *n = ipc_url_kind_name(kind);

	return n != NULL ? n : "?";
}

ipc_chan *ipc__chan_new(int kind, const char *url)
{
	ipc_chan *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->kind = kind;
	c->own_fd = -1;
	c->io.fd = -1;
	if (url != NULL) {
		c->url = strdup(url);
		if (c->url == NULL) {
			free(c);
			return NULL;
		}
	}
	return c;
}

void ipc__chan_free(ipc_chan *c)
{
	if (c == NULL)
		return;
	free(c->url);
	free(c->buf);
	free(c);
}

ipc_status ipc__chan_set_url(ipc_chan *c, const struct ipc_url *u)
{
	char text[IPC_URL_ADDR_MAX + 256];
	char *p;
	ipc_status st;

	st = ipc_url_format(u, text, sizeof(text));
	if (st)
		return st;
	p = strdup(text);
	if (p == NULL)
		return -ENOMEM;
	free(c->url);
	c->url = p;
	return 0;
}

ipc_status ipc__chan_url_port(ipc_chan *c, const struct ipc_url *u, ipc_sock *s)
{
	struct ipc_url v = *u;
	uint16_t port;
	char *colon;
	ipc_status st;

	st = ipc_sock_port(s, &port);
	if (st)
		return st;
	colon = strrchr(v.addr, ':');
	if (colon == NULL)
		return ipc__chan_set_url(c, u);
	if ((size_t)(colon + 1 - v.addr) + 6 > sizeof(v.addr))
		return -ENAMETOOLONG;
	snprintf(colon + 1, 6, "%u", (unsigned int)port);
	return ipc__chan_set_url(c, &v);
}

/* A non-zero setting @set of struct ipc_chan_opts must apply to the kind. */
static ipc_status opt_applies(const struct ipc_url *u, const char *text,
                              size_t set, unsigned int bit, const char *name)
{
	if (set == 0 || (ipc_url_kind_options(u->kind) & bit))
		return 0;
	return ipc__detail(-EINVAL, "%s: %s does not apply to %s:", text, name,
	                   kind_name(u->kind));
}

/*
 * Merge the URL's options, the opts (which win) and the flags into @cfg,
 * refusing what the kind does not take.
 */
static ipc_status merge_cfg(const struct ipc_url *u, const char *text,
                            unsigned int flags,
                            const struct ipc_chan_opts *opts, bool listen,
                            struct ipc__chan_cfg *cfg)
{
	ipc_status st;

	memset(cfg, 0, sizeof(*cfg));
	cfg->flags = flags;
	if (u->has & IPC_URL_HAS_MAX_MESSAGE_SIZE)
		cfg->max = (size_t)u->max_message_size;
	if (u->has & IPC_URL_HAS_CAPACITY)
		cfg->capacity = (size_t)u->capacity;
	if (u->has & IPC_URL_HAS_MAX_MESSAGES)
		cfg->max_messages = (size_t)u->max_messages;
	if (u->has & IPC_URL_HAS_MODE)
		cfg->mode = u->mode;
	if ((u->has & IPC_URL_HAS_CREATE) && u->create)
		cfg->flags |= IPC_O_CREATE;
	if ((u->has & IPC_URL_HAS_EXCLUSIVE) && u->exclusive)
		cfg->flags |= IPC_O_EXCL;
	if (opts != NULL) {
		st = opt_applies(u, text, opts->max_message_size,
		                 IPC_URL_HAS_MAX_MESSAGE_SIZE,
		                 "max_message_size");
		if (!st)
			st = opt_applies(u, text, opts->capacity,
			                 IPC_URL_HAS_CAPACITY, "capacity");
		if (!st)
			st = opt_applies(u, text, opts->max_messages,
			                 IPC_URL_HAS_MAX_MESSAGES,
			                 "max_messages");
		if (!st)
			st = opt_applies(u, text, opts->mode, IPC_URL_HAS_MODE,
			                 "mode");
		if (st)
			return st;
		if (opts->mode > 0777)
			return ipc__detail(-EINVAL,
			                   "%s: mode %#o is above 0777", text,
			                   opts->mode);
		if (opts->max_message_size)
			cfg->max = opts->max_message_size;
		if (opts->capacity)
			cfg->capacity = opts->capacity;
		if (opts->max_messages)
			cfg->max_messages = opts->max_messages;
		if (opts->mode)
			cfg->mode = opts->mode;
	}
	if (listen)
		return 0;
	if ((cfg->flags & (IPC_O_CREATE | IPC_O_EXCL)) &&
	    !kind_creates(u->kind))
		return ipc__detail(
		        -EINVAL,
		        "%s: %s: names nothing to create (create/exclusive, IPC_O_CREATE/IPC_O_EXCL)",
		        text, kind_name(u->kind));
	if ((cfg->flags & IPC_O_EXCL) && !(cfg->flags & IPC_O_CREATE))
		return ipc__detail(-EINVAL, "%s: exclusive without create",
		                   text);
	return 0;
}

/* A mechanism's bare -EINVAL still gets a sentence. */
static ipc_status explain(ipc_status st, const char *text)
{
	if (st == -EINVAL && ipc_detail()[0] == '\0')
		return ipc__detail(
		        st, "%s: the mechanism refused the arguments (EINVAL)",
		        text);
	return st;
}

/* Parse @text as a channel URL. */
static ipc_status parse_channel(const char *text, struct ipc_url *u)
{
	ipc_status st;

	if (text == NULL)
		return ipc__detail(-EINVAL, "NULL URL");
	st = ipc_url_parse(text, u);
	if (st) {
		if (ipc_detail()[0] == '\0')
			ipc__detail(st, "%s: malformed URL", text);
		return st;
	}
	if (!ipc_url_is_channel(u->kind))
		return ipc__detail(-EINVAL, "%s: %s: is not a channel kind",
		                   text, kind_name(u->kind));
	return 0;
}

/*
 * The end of every open and listen: on success give the channel its
 * canonical URL (unless the kind set one, e.g. a port the kernel chose)
 * and hand it out; on failure free it. Frees @u either way.
 */
static ipc_status finish(ipc_chan *c, struct ipc_url *u, const char *text,
                         ipc_status st, ipc_chan **out)
{
	if (st == 0 && c->url == NULL) {
		st = ipc__chan_set_url(c, u);
		if (st)
			(void)c->ops->close(c);
	}
	free(u);
	if (st) {
		ipc__chan_free(c);
		return explain(st, text);
	}
	*out = c;
	return 0;
}

ipc_status ipc_chan_open(ipc_chan **out, const char *url, unsigned int flags,
                         const struct ipc_chan_opts *opts, ipc_deadline d)
{
	struct ipc__chan_cfg cfg;
	struct ipc_url *u;
	ipc_chan *c = NULL;
	ipc_status st;

	ipc__detail_clear();
	if (out == NULL)
		return ipc__detail(-EINVAL, "ipc_chan_open: NULL out");
	*out = NULL;
	if (flags & ~(IPC_O_RDWR | IPC_O_CREATE | IPC_O_EXCL | IPC_O_SHARED))
		return ipc__detail(-EINVAL, "ipc_chan_open: unknown flags %#x",
		                   flags & ~(IPC_O_RDWR | IPC_O_CREATE |
		                             IPC_O_EXCL | IPC_O_SHARED));
	u = malloc(sizeof(*u));
	if (u == NULL)
		return -ENOMEM;
	st = parse_channel(url, u);
	if (st)
		goto out;
	st = merge_cfg(u, url, flags, opts, false, &cfg);
	if (st)
		goto out;
	c = ipc__chan_new(u->kind, NULL);
	if (c == NULL) {
		st = -ENOMEM;
		goto out;
	}
	switch (u->kind) {
	case IPC_URL_FD:
	case IPC_URL_FIFO:
	case IPC_URL_UNIX:
	case IPC_URL_TCP:
		st = ipc__chan_stream_open(c, u, &cfg, d);
		break;
	case IPC_URL_MQ:
	case IPC_URL_SYSVMQ:
		st = ipc__chan_queue_open(c, u, &cfg);
		break;
	case IPC_URL_RING:
		st = ipc__chan_ring_open(c, u, &cfg);
		break;
	default:
		st = ipc__chan_dgram_open(c, u, &cfg, d);
		break;
	}
	return finish(c, u, url, st, out);
out:
	free(u);
	return explain(st, url);
}

ipc_status ipc_chan_connect(ipc_chan **out, const char *url,
                            const struct ipc_chan_opts *opts, ipc_deadline d)
{
	return ipc_chan_open(out, url, IPC_O_RDWR, opts, d);
}

ipc_status ipc_chan_listen(ipc_chan **out, const char *url, unsigned int flags,
                           const struct ipc_chan_opts *opts)
{
	struct ipc__chan_cfg cfg;
	struct ipc_url *u;
	ipc_chan *c = NULL;
	ipc_status st;

	ipc__detail_clear();
	if (out == NULL)
		return ipc__detail(-EINVAL, "ipc_chan_listen: NULL out");
	*out = NULL;
	if (flags & ~(IPC_O_EXCL | IPC_O_SHARED))
		return ipc__detail(
		        -EINVAL,
		        "ipc_chan_listen: flags %#x: only IPC_O_EXCL and IPC_O_SHARED apply",
		        flags);
	u = malloc(sizeof(*u));
	if (u == NULL)
		return -ENOMEM;
	st = parse_channel(url, u);
	if (st)
		goto out;
	if (!kind_socket(u->kind)) {
		st = ipc__detail(
		        -EINVAL,
		        "%s: only socket URLs listen (unix, unixgram, unixpacket, tcp, udp)",
		        url);
		goto out;
	}
	st = merge_cfg(u, url, flags, opts, true, &cfg);
	if (st)
		goto out;
	if (cfg.flags & IPC_O_CREATE) {
		st = ipc__detail(-EINVAL,
		                 "%s: create does not apply to a listener",
		                 url);
		goto out;
	}
	c = ipc__chan_new(u->kind, NULL);
	if (c == NULL) {
		st = -ENOMEM;
		goto out;
	}
	if (u->kind == IPC_URL_UNIX || u->kind == IPC_URL_TCP)
		st = ipc__chan_stream_listen(c, u, &cfg);
	else
		st = ipc__chan_dgram_listen(c, u, &cfg);
	return finish(c, u, url, st, out);
out:
	free(u);
	return explain(st, url);
}

ipc_status ipc_chan_accept(ipc_chan *l, ipc_chan **out, ipc_deadline d)
{
	ipc__detail_clear();
	if (out == NULL)
		return ipc__detail(-EINVAL, "ipc_chan_accept: NULL out");
	*out = NULL;
	if (l == NULL)
		return -EBADF;
	if (!l->listening || l->ops->accept == NULL)
		return ipc__detail(
		        -EINVAL, "%s: not a listening stream channel", l->url);
	return l->ops->accept(l, out, d);
}

ipc_status ipc_chan_pipe(ipc_chan **rd, ipc_chan **wr, unsigned int flags)
{
	ipc_chan *r;
	ipc_chan *w;
	ipc_status st;

	ipc__detail_clear();
	if (rd == NULL || wr == NULL)
		return ipc__detail(-EINVAL, "ipc_chan_pipe: NULL out");
	*rd = NULL;
	*wr = NULL;
	if (flags != 0)
		return ipc__detail(-EINVAL, "ipc_chan_pipe: flags must be 0");
	r = ipc__chan_new(IPC_URL_FD, NULL);
	w = ipc__chan_new(IPC_URL_FD, NULL);
	if (r == NULL || w == NULL) {
		st = -ENOMEM;
		goto err;
	}
	st = ipc__chan_stream_pipe(r, w);
	if (st)
		goto err;
	*rd = r;
	*wr = w;
	return 0;
err:
	ipc__chan_free(r);
	ipc__chan_free(w);
	return st;
}

/* --- messages ------------------------------------------------------------ */

/* The checks every send makes: 0 or the error. */
static ipc_status check_send(ipc_chan *c, const void *buf, size_t len,
                             const struct ipc_chan_meta *meta)
{
	if (c->listening)
		return ipc__detail(-EINVAL,
		                   "%s: a listening channel does not send",
		                   c->url);
	if (!(c->dir & IPC_O_WRITE))
		return ipc__detail(-EINVAL, "%s: not open for writing", c->url);
	if (buf == NULL && len > 0)
		return ipc__detail(-EINVAL, "%s: NULL buffer", c->url);
	if (meta != NULL) {
		if (meta->priority != 0 && !c->meta_prio)
			return ipc__detail(-EINVAL,
			                   "%s: only mq: takes a priority",
			                   c->url);
		if (meta->priority >= IPC_MQ_PRIO_MAX)
			return ipc__detail(
			        -EINVAL, "%s: priority %u is above %u", c->url,
			        meta->priority, IPC_MQ_PRIO_MAX - 1);
		if (meta->type != 0 && !c->meta_type)
			return ipc__detail(-EINVAL,
			                   "%s: only sysvmq: takes a type",
			                   c->url);
		if (meta->type < 0)
			return ipc__detail(-EINVAL,
			                   "%s: a message type is positive",
			                   c->url);
	}
	if ((uint64_t)len > (uint64_t)c->max)
		return -EMSGSIZE;
	return 0;
}

static ipc_status check_recv(ipc_chan *c, const struct ipc_chan_meta *meta)
{
	if (c->listening)
		return ipc__detail(
		        -EINVAL,
		        "%s: a listening channel does not receive: accept",
		        c->url);
	if (!(c->dir & IPC_O_READ))
		return ipc__detail(-EINVAL, "%s: not open for reading", c->url);
	if (meta != NULL && meta->type != 0 && !c->meta_type)
		return ipc__detail(-EINVAL, "%s: only sysvmq: selects by type",
		                   c->url);
	return 0;
}

ipc_status ipc_chan_send_meta(ipc_chan *c, const void *buf, size_t len,
                              const struct ipc_chan_meta *meta, ipc_deadline d)
{
	ipc_status st;

	ipc__detail_clear();
	if (c == NULL)
		return -EBADF;
	st = check_send(c, buf, len, meta);
	if (st)
		return st;
	return c->ops->send(c, buf, len, meta, d);
}

ipc_status ipc_chan_send(ipc_chan *c, const void *buf, size_t len,
                         ipc_deadline d)
{
	return ipc_chan_send_meta(c, buf, len, NULL, d);
}

ipc_status ipc_chan_recv_meta(ipc_chan *c, void *buf, size_t cap, size_t *nread,
                              struct ipc_chan_meta *meta, ipc_deadline d)
{
	struct ipc_chan_meta m = {0, 0};
	ipc_status st;

	ipc__detail_clear();
	if (nread == NULL)
		return ipc__detail(-EINVAL, "ipc_chan_recv: NULL nread");
	*nread = 0;
	if (c == NULL)
		return -EBADF;
	st = check_recv(c, meta);
	if (st)
		return st;
	if (buf == NULL && cap > 0)
		return ipc__detail(-EINVAL, "%s: NULL buffer", c->url);
	if (meta != NULL)
		m.type = meta->type;
	st = c->ops->recv(c, buf, cap, nread, &m, d);
	if (meta != NULL && st == 0)
		*meta = m;
	return st;
}

ipc_status ipc_chan_recv(ipc_chan *c, void *buf, size_t cap, size_t *nread,
                         ipc_deadline d)
{
	return ipc_chan_recv_meta(c, buf, cap, nread, NULL, d);
}

ipc_status ipc_chan_recv_borrow(ipc_chan *c, const void **data, size_t *len,
                                struct ipc_chan_meta *meta, ipc_deadline d)
{
	struct ipc_chan_meta m = {0, 0};
	ipc_status st;

	ipc__detail_clear();
	if (data == NULL || len == NULL)
		return ipc__detail(-EINVAL, "ipc_chan_recv_borrow: NULL out");
	*data = NULL;
	*len = 0;
	if (c == NULL)
		return -EBADF;
	st = check_recv(c, meta);
	if (st)
		return st;
	if (meta != NULL)
		m.type = meta->type;
	st = c->ops->borrow(c, data, len, &m, d);
	if (meta != NULL && st == 0)
		*meta = m;
	return st;
}

ipc_status ipc_chan_write(ipc_chan *c, const void *buf, size_t len,
                          size_t *nwritten, ipc_deadline d)
{
	ipc_status st;

	ipc__detail_clear();
	if (nwritten == NULL)
		return ipc__detail(-EINVAL, "ipc_chan_write: NULL nwritten");
	*nwritten = 0;
	if (c == NULL)
		return -EBADF;
	if (c->ops->write == NULL && !c->listening)
		return -EOPNOTSUPP;
	st = check_send(c, buf, 0, NULL);
	if (st)
		return st;
	if (buf == NULL && len > 0)
		return ipc__detail(-EINVAL, "%s: NULL buffer", c->url);
	return c->ops->write(c, buf, len, nwritten, d);
}

ipc_status ipc_chan_read(ipc_chan *c, void *buf, size_t cap, size_t *nread,
                         ipc_deadline d)
{
	ipc_status st;

	ipc__detail_clear();
	if (nread == NULL)
		return ipc__detail(-EINVAL, "ipc_chan_read: NULL nread");
	*nread = 0;
	if (c == NULL)
		return -EBADF;
	if (c->ops->read == NULL && !c->listening)
		return -EOPNOTSUPP;
	st = check_recv(c, NULL);
	if (st)
		return st;
	if (buf == NULL || cap == 0)
		return ipc__detail(-EINVAL,
		                   "%s: a raw read needs room for a byte",
		                   c->url);
	return c->ops->read(c, buf, cap, nread, d);
}

ipc_status ipc_chan_send_fds(ipc_chan *c, const void *buf, size_t len,
                             const int *fds, size_t nfds, ipc_deadline d)
{
	ipc_status st;

	ipc__detail_clear();
	if (c == NULL)
		return -EBADF;
	if (c->ops->send_fds == NULL && !c->listening)
		return -EOPNOTSUPP;
	st = check_send(c, buf, len, NULL);
	if (st)
		return st;
	if (fds == NULL || nfds == 0 || nfds > IPC_SOCK_MAX_FDS)
		return ipc__detail(-EINVAL, "%s: %zu descriptors: send 1 to %d",
		                   c->url, nfds, IPC_SOCK_MAX_FDS);
	if (len == 0)
		return ipc__detail(
		        -EINVAL,
		        "%s: descriptors ride on a payload of at least one byte",
		        c->url);
	return c->ops->send_fds(c, buf, len, fds, nfds, d);
}

ipc_status ipc_chan_recv_fds(ipc_chan *c, const void **data, size_t *len,
                             int *fds, size_t maxfds, size_t *nfds,
                             ipc_deadline d)
{
	ipc_status st;

	ipc__detail_clear();
	if (data == NULL || len == NULL || nfds == NULL ||
	    (fds == NULL && maxfds > 0))
		return ipc__detail(-EINVAL, "ipc_chan_recv_fds: NULL out");
	*data = NULL;
	*len = 0;
	*nfds = 0;
	if (c == NULL)
		return -EBADF;
	if (c->ops->recv_fds == NULL && !c->listening)
		return -EOPNOTSUPP;
	st = check_recv(c, NULL);
	if (st)
		return st;
	return c->ops->recv_fds(c, data, len, fds, maxfds, nfds, d);
}

ipc_status ipc_chan_peer_cred(ipc_chan *c, struct ipc_sock_cred *cred)
{
	ipc__detail_clear();
	if (cred == NULL)
		return ipc__detail(-EINVAL, "ipc_chan_peer_cred: NULL cred");
	memset(cred, 0, sizeof(*cred));
	if (c == NULL)
		return -EBADF;
	if (c->kind != IPC_URL_UNIX && c->kind != IPC_URL_UNIXPACKET &&
	    c->kind != IPC_URL_UNIXGRAM)
		return -EOPNOTSUPP;
	if (c->listening || c->sock == NULL)
		return -ENOTCONN;
	return ipc_sock_peer_cred(c->sock, cred);
}

/* --- accessors ----------------------------------------------------------- */

int ipc_chan_fd(const ipc_chan *c)
{
	if (c == NULL || c->ops->fd == NULL)
		return -1;
	return c->ops->fd(c);
}

bool ipc_chan_readable(ipc_chan *c)
{
	/* A write-only end never has anything to receive, even when the
	 * ring or queue under it holds messages for others. */
	if (c == NULL || c->ops->readable == NULL || !(c->dir & IPC_O_READ))
		return false;
	return c->ops->readable(c);
}

size_t ipc_chan_max_message(const ipc_chan *c)
{
	return c != NULL ? c->max : 0;
}

int ipc_chan_kind(const ipc_chan *c)
{
	return c != NULL ? c->kind : 0;
}

ipc_status ipc__open_noting(ipc_status (*open)(void *arg, unsigned int flags),
                            void *arg, unsigned int flags, bool *created)
{
	ipc_status st = -ENOENT;
	int i;

	*created = false;
	if (!(flags & IPC_O_CREATE) || (flags & IPC_O_EXCL)) {
		st = open(arg, flags);
		*created = st == 0 && (flags & IPC_O_EXCL);
		return st;
	}
	for (i = 0; i < 8; i++) {
		st = open(arg, flags & ~IPC_O_CREATE);
		if (st != -ENOENT)
			return st;
		st = open(arg, flags | IPC_O_EXCL);
		if (st != -EEXIST) {
			*created = st == 0;
			return st;
		}
	}
	return st;
}

struct ipc_ring *ipc_chan_ring(const ipc_chan *c)
{
	return c != NULL && c->kind == IPC_URL_RING ? c->ring : NULL;
}

const char *ipc_chan_url(const ipc_chan *c)
{
	return c != NULL ? c->url : NULL;
}

bool ipc_chan_is_framed(const ipc_chan *c)
{
	return c != NULL && c->framed;
}

ipc_status ipc_chan_close(ipc_chan *c)
{
	ipc_status st;

	if (c == NULL)
		return 0;
	st = c->ops->close(c);
	ipc__chan_free(c);
	return st;
}
