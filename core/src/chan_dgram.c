/* SPDX-License-Identifier: MIT */
/*
 * chan_dgram.c - message sockets: unixgram:, unixpacket:, udp:.
 *
 * Every message is one datagram or one seqpacket record. The limit is
 * what the kernel takes in one: for Unix sockets the send buffer less the
 * 32 bytes the kernel keeps back (SO_SNDBUF - 32: 212,960 bytes with the
 * default net.core.wmem_default), for UDP 65,507 bytes (the IPv4 payload
 * limit; IPv6 would take 20 more, but one number for both keeps a URL's
 * limit independent of the address family).
 *
 * A receive into a buffer smaller than the limit asks the size of the
 * next message first (MSG_PEEK), so that a message longer than the buffer
 * stays queued. A seqpacket record of length 0 and the end of the stream
 * both read as 0 bytes; the peer's shutdown (POLLRDHUP) tells them apart.
 * An empty record sent just before the peer closes therefore reads as the
 * end of the stream.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "chan_internal.h"

/* Headroom the kernel keeps in a Unix socket's send buffer. */
#define UNIX_DGRAM_OVERHEAD 32
/* The largest UDP payload over IPv4. */
#define UDP_MAX_PAYLOAD 65507

static int sock_kind(int kind)
{
	switch (kind) {
	case IPC_URL_UNIXGRAM:
		return IPC_SOCK_UNIXGRAM;
	case IPC_URL_UNIXPACKET:
		return IPC_SOCK_UNIXPACKET;
	default:
		return IPC_SOCK_UDP;
	}
}

/* The kind's own limit for socket @s. */
static size_t kind_limit(int kind, ipc_sock *s)
{
	int sb = 0;
	socklen_t len = sizeof(sb);

	if (kind == IPC_URL_UDP)
		return UDP_MAX_PAYLOAD;
	if (getsockopt(ipc_sock_fd(s), SOL_SOCKET, SO_SNDBUF, &sb, &len) < 0 ||
	    sb <= UNIX_DGRAM_OVERHEAD)
		return 65536;
	return (size_t)sb - UNIX_DGRAM_OVERHEAD;
}

/*
 * A unixpacket receive gave 0 bytes: an empty record, or end of stream?
 * End of stream when the peer has shut down its side and no bytes are
 * queued behind (SIOCINQ sums the queued records of a seqpacket socket).
 * An empty record that is the last thing the peer sent before closing
 * reads as the end: the kernel reports both as 0 with nothing queued.
 */
static ipc_status zero_or_eof(ipc_chan *c)
{
	struct pollfd p = {.fd = ipc_sock_fd(c->sock), .events = POLLRDHUP};
	int n, queued = 0;

	if (c->kind != IPC_URL_UNIXPACKET)
		return 0;
	do {
		n = poll(&p, 1, 0);
	} while (n < 0 && errno == EINTR);
	if (n > 0 && (p.revents & (POLLRDHUP | POLLHUP)) &&
	    !(ioctl(p.fd, SIOCINQ, &queued) == 0 && queued > 0))
		return -EPIPE;
	return 0;
}

static ipc_status own_buffer(ipc_chan *c)
{
	if (c->buf != NULL)
		return 0;
	c->bufcap = c->max;
	c->buf = malloc(c->bufcap > 0 ? c->bufcap : 1);
	return c->buf != NULL ? 0 : -ENOMEM;
}

static ipc_status dgram_send(ipc_chan *c, const void *buf, size_t len,
                             const struct ipc_chan_meta *meta, ipc_deadline d)
{
	size_t n;
	ipc_status st;

	(void)meta;
	st = ipc_sock_send(c->sock, buf, len, &n, d);
	if (st == -ECONNREFUSED && c->kind == IPC_URL_UNIXGRAM)
		return -EPIPE; /* the bound peer is gone */
	return st;
}

static ipc_status dgram_recv(ipc_chan *c, void *buf, size_t cap, size_t *nread,
                             struct ipc_chan_meta *meta, ipc_deadline d)
{
	size_t len;
	ipc_status st;

	(void)meta;
	if (cap < c->max) {
		st = ipc_sock_peek_size(c->sock, &len, d);
		if (st)
			return st;
		if (len > cap) {
			*nread = len;
			return -EMSGSIZE;
		}
	}
	st = ipc_sock_recv(c->sock, buf, cap, nread, d);
	if (st == 0 && *nread == 0)
		st = zero_or_eof(c);
	return st;
}

static ipc_status dgram_borrow(ipc_chan *c, const void **data, size_t *len,
                               struct ipc_chan_meta *meta, ipc_deadline d)
{
	ipc_status st;

	(void)meta;
	st = own_buffer(c);
	if (st)
		return st;
	st = ipc_sock_recv(c->sock, c->buf, c->bufcap, len, d);
	if (st == 0 && *len == 0)
		st = zero_or_eof(c);
	if (st == 0)
		*data = c->buf;
	else
		*len = 0;
	return st;
}

static ipc_status dgram_send_fds(ipc_chan *c, const void *buf, size_t len,
                                 const int *fds, size_t nfds, ipc_deadline d)
{
	size_t n;

	return ipc_sock_send_fds(c->sock, buf, len, fds, nfds, &n, d);
}

static ipc_status dgram_recv_fds(ipc_chan *c, const void **data, size_t *len,
                                 int *fds, size_t maxfds, size_t *nfds,
                                 ipc_deadline d)
{
	ipc_status st;

	st = own_buffer(c);
	if (st)
		return st;
	st = ipc_sock_recv_fds(c->sock, c->buf, c->bufcap, len, fds, maxfds,
	                       nfds, d);
	if (st == 0 && *len == 0 && *nfds == 0)
		st = zero_or_eof(c);
	if (st == 0 || st == -EMSGSIZE)
		*data = c->buf;
	return st;
}

static int dgram_fd(const ipc_chan *c)
{
	return ipc_sock_fd(c->sock);
}

static ipc_status dgram_close(ipc_chan *c)
{
	ipc_status st = ipc_sock_close(c->sock);

	c->sock = NULL;
	return st;
}

static const struct ipc__chan_ops unix_dgram_ops = {
        .send = dgram_send,
        .recv = dgram_recv,
        .borrow = dgram_borrow,
        .send_fds = dgram_send_fds,
        .recv_fds = dgram_recv_fds,
        .fd = dgram_fd,
        .close = dgram_close,
};

static const struct ipc__chan_ops udp_ops = {
        .send = dgram_send,
        .recv = dgram_recv,
        .borrow = dgram_borrow,
        .fd = dgram_fd,
        .close = dgram_close,
};

/* Set the limit and ops of a channel on socket c->sock. */
static ipc_status dgram_attach(ipc_chan *c, size_t want)
{
	size_t limit = kind_limit(c->kind, c->sock);

	if (want > limit)
		return ipc__detail(
		        -EINVAL,
		        "%s: max_message_size=%zu is above the %s limit of %zu bytes",
		        c->url != NULL ? c->url : ipc_url_kind_name(c->kind),
		        want, ipc_url_kind_name(c->kind), limit);
	c->max = want ? want : limit;
	c->ops = c->kind == IPC_URL_UDP ? &udp_ops : &unix_dgram_ops;
	return 0;
}

ipc_status ipc__chan_dgram_open(ipc_chan *c, const struct ipc_url *u,
                                const struct ipc__chan_cfg *cfg, ipc_deadline d)
{
	unsigned int dir = cfg->flags & IPC_O_RDWR;
	ipc_status st;

	st = ipc_sock_connect(&c->sock, sock_kind(u->kind), u->addr,
	                      cfg->flags & IPC_O_SHARED, d);
	if (st)
		return st;
	st = dgram_attach(c, cfg->max);
	if (st) {
		(void)ipc_sock_close(c->sock);
		c->sock = NULL;
		return st;
	}
	c->dir = dir ? dir : IPC_O_RDWR;
	return 0;
}

/* --- listeners ----------------------------------------------------------- */

static ipc_status packet_accept(ipc_chan *l, ipc_chan **out, ipc_deadline d)
{
	ipc_chan *c;
	ipc_status st;

	c = ipc__chan_new(l->kind, l->url);
	if (c == NULL)
		return -ENOMEM;
	st = ipc_sock_accept(l->sock, &c->sock, d);
	if (st)
		goto err;
	st = dgram_attach(c, l->accept_max);
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

static const struct ipc__chan_ops packet_listen_ops = {
        .accept = packet_accept,
        .fd = dgram_fd,
        .close = dgram_close,
};

ipc_status ipc__chan_dgram_listen(ipc_chan *c, const struct ipc_url *u,
                                  const struct ipc__chan_cfg *cfg)
{
	unsigned int flags = cfg->flags & IPC_O_SHARED;
	ipc_status st;

	if (u->kind != IPC_URL_UDP && u->addr[0] != '@' &&
	    !(cfg->flags & IPC_O_EXCL))
		flags |= IPC_SOCK_REPLACE;
	st = ipc_sock_listen(&c->sock, sock_kind(u->kind), u->addr, cfg->mode,
	                     flags);
	if (st)
		return st;
	st = dgram_attach(c, cfg->max);
	if (st)
		goto err;
	if (u->kind == IPC_URL_UNIXPACKET) {
		c->ops = &packet_listen_ops;
		c->listening = true;
		c->accept_max = cfg->max;
	} else {
		/* A bound datagram channel receives from anyone; it has no
		 * one to send to. */
		c->dir = IPC_O_READ;
	}
	if (u->kind == IPC_URL_UDP) {
		st = ipc__chan_url_port(c, u, c->sock);
		if (st)
			goto err;
	}
	return 0;
err:
	(void)ipc_sock_close(c->sock);
	c->sock = NULL;
	return st;
}
