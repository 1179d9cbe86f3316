/* SPDX-License-Identifier: MIT */
/* socket.c - Unix-domain and TCP/UDP sockets. */
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"
#include "ipc/socket.h"
#include "sockaddr.h"

#define LISTEN_FLAGS  (IPC_SOCK_REPLACE | IPC_O_SHARED | IPC_O_NONBLOCK)
#define CONNECT_FLAGS (IPC_O_SHARED | IPC_O_NONBLOCK)

/* Back-off for waits the kernel cannot poll (a full Unix backlog or
 * datagram queue): 1 ms, doubling to 20 ms. */

struct ipc_sock {
	struct ipc__io io;
	int kind;
	int family;
	bool listening; /* a stream/seqpacket listener (O_NONBLOCK inside) */
	bool abstract;  /* bound or connected to an "@name" */
	bool shared;    /* IPC_O_SHARED: no same-uid policy */
	bool nonblock;  /* IPC_O_NONBLOCK: connections accepted O_NONBLOCK */
	bool peercred;  /* SO_PEERCRED describes a real peer */
	bool passcred;  /* drop datagrams from other uids (SO_PASSCRED) */
};

/* Room for SCM_CREDENTIALS and the most descriptors one message holds. */
union cmsg_buf {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(struct ucred)) +
	         CMSG_SPACE(IPC_SOCK_MAX_FDS * sizeof(int))];
};

union cred_buf {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(struct ucred))];
};

static bool kind_valid(int kind)
{
	return kind >= IPC_SOCK_UNIX && kind <= IPC_SOCK_UDP;
}

static bool kind_unix(int kind)
{
	return kind == IPC_SOCK_UNIX || kind == IPC_SOCK_UNIXGRAM ||
	       kind == IPC_SOCK_UNIXPACKET;
}

static bool kind_stream(int kind)
{
	return kind == IPC_SOCK_UNIX || kind == IPC_SOCK_TCP;
}

static bool kind_dgram(int kind)
{
	return kind == IPC_SOCK_UNIXGRAM || kind == IPC_SOCK_UDP;
}

static int kind_type(int kind)
{
	switch (kind) {
	case IPC_SOCK_UNIXGRAM:
	case IPC_SOCK_UDP:
		return SOCK_DGRAM;
	case IPC_SOCK_UNIXPACKET:
		return SOCK_SEQPACKET;
	default:
		return SOCK_STREAM;
	}
}

/* Wrap @fd; on failure @fd is left open for the caller. */
static ipc_status sock_new(int fd, int kind, int family, ipc_sock **out)
{
	ipc_sock *s;
	ipc_status st;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	st = ipc__io_init(&s->io, fd);
	if (st) {
		free(s);
		return st;
	}
	s->kind = kind;
	s->family = family;
	*out = s;
	return 0;
}

static ipc_status set_int_opt(int fd, int level, int name, int value)
{
	if (setsockopt(fd, level, name, &value, sizeof(value)) < 0)
		return -errno;
	return 0;
}

static ipc_status get_peercred(int fd, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0)
		return -errno;
	return 0;
}

/* The same-uid policy for an abstract connection: 0 or -EPERM. */
static ipc_status check_same_uid(int fd)
{
	struct ucred cred;
	ipc_status st;

	st = get_peercred(fd, &cred);
	if (st)
		return st;
	return cred.uid == geteuid() ? 0 : -EPERM;
}

/* Close every descriptor an SCM_RIGHTS message in @msg installed. */
static void close_cmsg_fds(struct msghdr *msg)
{
	struct cmsghdr *c;
	size_t i;
	size_t n;
	int fd;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			ipc__close_quiet(fd);
		}
	}
}

/*
 * The same-uid filter of an abstract datagram socket. SCM_CREDENTIALS
 * carries the sender's real uid (the kernel's default credentials); a
 * datagram without credentials does not pass.
 */
static bool creds_pass(const ipc_sock *s, struct msghdr *msg)
{
	struct cmsghdr *c;
	struct ucred cred;

	if (!s->passcred)
		return true;
	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET ||
		    c->cmsg_type != SCM_CREDENTIALS ||
		    c->cmsg_len < CMSG_LEN(sizeof(cred)))
			continue;
		memcpy(&cred, CMSG_DATA(c), sizeof(cred));
		return cred.uid == geteuid();
	}
	return false;
}

static bool may_block(const ipc_sock *s, ipc_deadline d)
{
	return d == IPC_DEADLINE_NEVER && !(s->io.flags & IPC__IO_NONBLOCK);
}

/*
 * Receive one message (or, on a stream, what is there) with recvmsg(2)
 * until @d. @flags adds MSG_TRUNC for message kinds or MSG_PEEK. A socket
 * with the same-uid filter drops datagrams from other uids here and keeps
 * waiting; it needs a control buffer, which is supplied when @msg has none.
 */
static ipc_status msg_recv(ipc_sock *s, struct msghdr *msg, int flags,
                           size_t *len, ipc_deadline d)
{
	bool block = may_block(s, d);
	union cred_buf cb;
	socklen_t namelen = msg->msg_namelen;
	size_t ctllen;
	ssize_t n;
	ipc_status st;
	int e;

	if (s->passcred && msg->msg_control == NULL) {
		msg->msg_control = cb.buf;
		msg->msg_controllen = sizeof(cb.buf);
	}
	ctllen = msg->msg_controllen;
	for (;;) {
		msg->msg_namelen = namelen;
		msg->msg_controllen = ctllen;
		msg->msg_flags = 0;
		n = recvmsg(s->io.fd, msg,
		            flags | MSG_CMSG_CLOEXEC |
		                    (block ? 0 : MSG_DONTWAIT));
		if (n >= 0) {
			if (creds_pass(s, msg)) {
				*len = (size_t)n;
				return 0;
			}
			close_cmsg_fds(msg);
			if (flags & MSG_PEEK) {
				while (recv(s->io.fd, NULL, 0,
				            MSG_DONTWAIT | MSG_TRUNC) < 0 &&
				       errno == EINTR)
					;
			}
			continue;
		}
		e = errno;
		if (e == EINTR) {
			if (block)
				return -EINTR;
			continue;
		}
		if (e != EAGAIN)
			return -e;
		st = ipc__wait_fd(s->io.fd, POLLIN, d, NULL);
		if (st)
			return st;
	}
}

/*
 * Send with sendmsg(2) until @d; *@sent is what went out (a whole message
 * for message kinds). A datagram to an address of its own (sendto) may
 * meet a full receiver queue that poll(2) on our socket cannot see: back
 * off and retry instead of polling.
 */
static ipc_status msg_send(ipc_sock *s, const struct msghdr *msg, size_t *sent,
                           ipc_deadline d)
{
	bool block = may_block(s, d);
	bool backoff = msg->msg_name != NULL && s->family == AF_UNIX;
	struct ipc__backoff wait = IPC__BACKOFF_MS(1, 20);
	ssize_t n;
	ipc_status st;
	int e;

	*sent = 0;
	for (;;) {
		n = sendmsg(s->io.fd, msg,
		            MSG_NOSIGNAL | (block ? 0 : MSG_DONTWAIT));
		if (n >= 0) {
			*sent = (size_t)n;
			return 0;
		}
		e = errno;
		if (e == EINTR) {
			if (block)
				return -EINTR;
			continue;
		}
		if (e != EAGAIN)
			return -e;
		if (backoff)
			st = ipc__backoff_sleep(&wait, d);
		else
			st = ipc__wait_fd(s->io.fd, POLLOUT, d, NULL);
		if (st)
			return st;
	}
}

/* --- listen ------------------------------------------------------------ */

/*
 * Is the socket file at @path stale: a socket nobody is bound to? Only a
 * connect(2) that the kernel refuses says so; anything else (a live
 * listener, a full backlog, a socket of another type, not a socket) keeps
 * the file.
 */
static bool unix_stale(const struct sockaddr_un *un, socklen_t len, int type)
{
	struct stat st;
	int fd;
	int r;
	int e;

	if (lstat(un->sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return false;
	do {
		r = connect(fd, (const struct sockaddr *)un, len);
		e = errno;
	} while (r < 0 && e == EINTR);
	ipc__close_quiet(fd);
	return r < 0 && e == ECONNREFUSED;
}

/*
 * bind(2) raises the socket file with the socket inode's mode minus the
 * umask. Set the mode exactly, through the file itself: open it O_PATH
 * without following a link, check it is our socket, and chmod it through
 * /proc/self/fd, never by path (RELIABILITY.md 2.2).
 */
static ipc_status fix_mode(const char *path, mode_t mode)
{
	struct stat st;
	ipc_status err = 0;
	int fd;

	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out_close;
	}
	if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
		err = -EACCES;
		goto out_close;
	}
	if ((st.st_mode & 07777) != mode)
		err = ipc__chmod_opath(fd, mode);
out_close:
	ipc__close_quiet(fd);
	return err;
}

static ipc_status listen_unix(ipc_sock **out, int kind, const char *addr,
                              unsigned int mode, unsigned int flags)
{
	struct sockaddr_un un;
	socklen_t len;
	bool abstract;
	bool listening = !kind_dgram(kind);
	bool passcred;
	int type = kind_type(kind);
	int fd;
	ipc_status st;

	st = ipc__sockaddr_unix(addr, &un, &len, &abstract);
	if (st)
		return st;
	if (!abstract && (mode & ~0777u))
		return -EINVAL;
	if (mode == 0)
		mode = IPC_MODE_DEFAULT;
	passcred = abstract && kind == IPC_SOCK_UNIXGRAM &&
	           !(flags & IPC_O_SHARED);

	fd = socket(AF_UNIX,
	            type | SOCK_CLOEXEC |
	                    (listening || (flags & IPC_O_NONBLOCK)
	                             ? SOCK_NONBLOCK
	                             : 0),
	            0);
	if (fd < 0)
		return -errno;
	if (!abstract && fchmod(fd, (mode_t)mode) < 0) {
		st = -errno;
		goto err_close;
	}
	if (passcred) {
		st = set_int_opt(fd, SOL_SOCKET, SO_PASSCRED, 1);
		if (st)
			goto err_close;
	}
	if (bind(fd, (struct sockaddr *)&un, len) < 0) {
		st = -errno;
		if (st != -EADDRINUSE || abstract ||
		    !(flags & IPC_SOCK_REPLACE) || !unix_stale(&un, len, type))
			goto err_close;
		if (unlink(un.sun_path) < 0 && errno != ENOENT) {
			st = -errno;
			goto err_close;
		}
		if (bind(fd, (struct sockaddr *)&un, len) < 0) {
			st = -errno;
			goto err_close;
		}
	}
	if (!abstract) {
		st = fix_mode(un.sun_path, (mode_t)mode);
		/* -EACCES: what is at the path now is not our socket. */
		if (st == -EACCES)
			goto err_close;
		if (st)
			goto err_unlink;
	}
	if (listening && listen(fd, SOMAXCONN) < 0) {
		st = -errno;
		goto err_unlink;
	}
	st = sock_new(fd, kind, AF_UNIX, out);
	if (st)
		goto err_unlink;
	(*out)->listening = listening;
	(*out)->abstract = abstract;
	(*out)->shared = (flags & IPC_O_SHARED) != 0;
	(*out)->nonblock = (flags & IPC_O_NONBLOCK) != 0;
	(*out)->passcred = passcred;
	return 0;

err_unlink:
	if (!abstract)
		(void)unlink(un.sun_path);
err_close:
	ipc__close_quiet(fd);
	return st;
}

static ipc_status listen_one_inet(const struct addrinfo *ai, int kind,
                                  unsigned int flags, int *out)
{
	bool listening = kind == IPC_SOCK_TCP;
	ipc_status st;
	int fd;

	*out = -1;
	fd = socket(ai->ai_family,
	            ai->ai_socktype | SOCK_CLOEXEC |
	                    (listening || (flags & IPC_O_NONBLOCK)
	                             ? SOCK_NONBLOCK
	                             : 0),
	            ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (listening) {
		st = set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
		if (st)
			goto err_close;
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		st = -errno;
		goto err_close;
	}
	if (listening && listen(fd, SOMAXCONN) < 0) {
		st = -errno;
		goto err_close;
	}
	*out = fd;
	return 0;

err_close:
	ipc__close_quiet(fd);
	return st;
}

static ipc_status listen_inet(ipc_sock **out, int kind, const char *addr,
                              unsigned int flags)
{
	struct addrinfo *res;
	struct addrinfo *ai;
	ipc_status st;
	int family = AF_UNSPEC;
	int fd = -1;

	st = ipc__sockaddr_inet(addr, kind_type(kind), AF_UNSPEC, true, &res);
	if (st)
		return st;
	st = -EADDRNOTAVAIL;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		st = listen_one_inet(ai, kind, flags, &fd);
		if (st == 0) {
			family = ai->ai_family;
			break;
		}
	}
	freeaddrinfo(res);
	if (st)
		return st;
	st = sock_new(fd, kind, family, out);
	if (st) {
		ipc__close_quiet(fd);
		return st;
	}
	(*out)->listening = kind == IPC_SOCK_TCP;
	(*out)->shared = (flags & IPC_O_SHARED) != 0;
	(*out)->nonblock = (flags & IPC_O_NONBLOCK) != 0;
	return 0;
}

ipc_status ipc_sock_listen(ipc_sock **out, int kind, const char *addr,
                           unsigned int mode, unsigned int flags)
{
	*out = NULL;
	if (!kind_valid(kind) || (flags & ~LISTEN_FLAGS) || addr == NULL)
		return -EINVAL;
	if (kind_unix(kind))
		return listen_unix(out, kind, addr, mode, flags);
	return listen_inet(out, kind, addr, flags);
}

/* --- connect ----------------------------------------------------------- */

/*
 * connect(2) @fd (O_NONBLOCK) to @sa by @d. A Unix listener with a full
 * backlog answers EAGAIN at once and cannot be polled for room, so that is
 * retried with a back-off; TCP's EINPROGRESS is polled for POLLOUT and
 * SO_ERROR read.
 */
static ipc_status connect_fd(int fd, const struct sockaddr *sa, socklen_t len,
                             ipc_deadline d)
{
	struct ipc__backoff wait = IPC__BACKOFF_MS(1, 20);
	socklen_t elen;
	ipc_status st;
	int err;
	int e;

	for (;;) {
		if (connect(fd, sa, len) == 0)
			return 0;
		e = errno;
		if (e == EISCONN)
			return 0;
		if (e == EINTR && sa->sa_family == AF_UNIX)
			continue;
		if (e == EAGAIN && sa->sa_family == AF_UNIX) {
			st = ipc__backoff_sleep(&wait, d);
			if (st)
				return st;
			continue;
		}
		if (e != EINPROGRESS && e != EALREADY && e != EINTR)
			return -e;
		st = ipc__wait_fd(fd, POLLOUT, d, NULL);
		if (st)
			return st;
		elen = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			return -errno;
		return err != 0 ? -err : 0;
	}
}

/* Make a socket of @kind and connect it to @sa; *@out is its descriptor. */
static ipc_status connect_one(int kind, int family, const struct sockaddr *sa,
                              socklen_t len, bool passcred, ipc_deadline d,
                              int *out)
{
	ipc_status st;
	int fd;

	*out = -1;
	fd = socket(family, kind_type(kind) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (passcred) {
		st = set_int_opt(fd, SOL_SOCKET, SO_PASSCRED, 1);
		if (st)
			goto err_close;
	}
	st = connect_fd(fd, sa, len, d);
	if (st)
		goto err_close;
	*out = fd;
	return 0;

err_close:
	ipc__close_quiet(fd);
	return st;
}

static bool try_next_address(ipc_status st)
{
	return st == -ECONNREFUSED || st == -ENETUNREACH ||
	       st == -EHOSTUNREACH || st == -EADDRNOTAVAIL ||
	       st == -EAFNOSUPPORT || st == -ECONNRESET;
}

static ipc_status connect_inet(int kind, const char *addr, ipc_deadline d,
                               int *fd, int *family)
{
	struct addrinfo *res;
	struct addrinfo *ai;
	ipc_status st;

	st = ipc__sockaddr_inet(addr, kind_type(kind), AF_UNSPEC, false, &res);
	if (st)
		return st;
	st = -ECONNREFUSED;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		st = connect_one(kind, ai->ai_family, ai->ai_addr,
		                 ai->ai_addrlen, false, d, fd);
		if (st == 0) {
			*family = ai->ai_family;
			break;
		}
		if (!try_next_address(st))
			break;
	}
	freeaddrinfo(res);
	return st;
}

ipc_status ipc_sock_connect(ipc_sock **out, int kind, const char *addr,
                            unsigned int flags, ipc_deadline d)
{
	struct sockaddr_un un;
	socklen_t len;
	bool abstract = false;
	bool passcred = false;
	int family = AF_UNIX;
	int fd;
	ipc_status st;

	*out = NULL;
	if (!kind_valid(kind) || (flags & ~CONNECT_FLAGS) || addr == NULL)
		return -EINVAL;
	if (kind_unix(kind)) {
		st = ipc__sockaddr_unix(addr, &un, &len, &abstract);
		if (st)
			return st;
		passcred = abstract && kind == IPC_SOCK_UNIXGRAM &&
		           !(flags & IPC_O_SHARED);
		st = connect_one(kind, AF_UNIX, (struct sockaddr *)&un, len,
		                 passcred, d, &fd);
	} else {
		st = connect_inet(kind, addr, d, &fd, &family);
	}
	if (st)
		return st;

	if (abstract && !kind_dgram(kind) && !(flags & IPC_O_SHARED)) {
		st = check_same_uid(fd);
		if (st)
			goto err_close;
	}
	if (kind == IPC_SOCK_TCP) {
		st = set_int_opt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
		if (st)
			goto err_close;
	}
	if (!(flags & IPC_O_NONBLOCK)) {
		st = ipc__set_nonblock(fd, false);
		if (st)
			goto err_close;
	}
	st = sock_new(fd, kind, family, out);
	if (st)
		goto err_close;
	(*out)->abstract = abstract;
	(*out)->shared = (flags & IPC_O_SHARED) != 0;
	(*out)->nonblock = (flags & IPC_O_NONBLOCK) != 0;
	(*out)->peercred = kind_unix(kind) && !kind_dgram(kind);
	(*out)->passcred = passcred;
	return 0;

err_close:
	ipc__close_quiet(fd);
	return st;
}

ipc_status ipc_sock_pair(ipc_sock **a, ipc_sock **b, int kind)
{
	int fds[2];
	ipc_status st;

	*a = NULL;
	*b = NULL;
	if (!kind_unix(kind))
		return -EINVAL;
	if (socketpair(AF_UNIX, kind_type(kind) | SOCK_CLOEXEC, 0, fds) < 0)
		return -errno;
	st = sock_new(fds[0], kind, AF_UNIX, a);
	if (st)
		goto err_close_both;
	st = sock_new(fds[1], kind, AF_UNIX, b);
	if (st)
		goto err_close_a;
	(*a)->peercred = true;
	(*b)->peercred = true;
	return 0;

err_close_a:
	(void)ipc_sock_close(*a); /* also closes fds[0] */
	*a = NULL;
	ipc__close_quiet(fds[1]);
	return st;
err_close_both:
	ipc__close_quiet(fds[0]);
	ipc__close_quiet(fds[1]);
	return st;
}

/* --- accept ------------------------------------------------------------ */

/* accept4(2) errors that concern one aborted connection, not the
 * listener (accept(2), "Error handling"): take the next one. */
static bool accept_transient(int e)
{
	return e == ECONNABORTED || e == EPROTO || e == ENETDOWN ||
	       e == ENOPROTOOPT || e == EHOSTDOWN || e == ENONET ||
	       e == EHOSTUNREACH || e == ENETUNREACH || e == EPERM;
}

ipc_status ipc_sock_accept(ipc_sock *l, ipc_sock **out, ipc_deadline d)
{
	ipc_status st;
	int fd;
	int e;

	*out = NULL;
	if (l == NULL)
		return -EBADF;
	if (!l->listening)
		return -EINVAL;
	for (;;) {
		fd = accept4(l->io.fd, NULL, NULL,
		             SOCK_CLOEXEC | (l->nonblock ? SOCK_NONBLOCK : 0));
		if (fd < 0) {
			e = errno;
			if (e == EINTR || accept_transient(e))
				continue;
			if (e != EAGAIN)
				return -e;
			st = ipc__wait_fd(l->io.fd, POLLIN, d, NULL);
			if (st)
				return st;
			continue;
		}
		if (l->abstract && !l->shared && check_same_uid(fd) != 0) {
			ipc__close_quiet(fd);
			continue;
		}
		break;
	}
	if (l->kind == IPC_SOCK_TCP) {
		st = set_int_opt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
		if (st)
			goto err_close;
	}
	st = sock_new(fd, l->kind, l->family, out);
	if (st)
		goto err_close;
	(*out)->abstract = l->abstract;
	(*out)->shared = l->shared;
	(*out)->nonblock = l->nonblock;
	(*out)->peercred = l->family == AF_UNIX;
	return 0;

err_close:
	ipc__close_quiet(fd);
	return st;
}

/* --- send and receive -------------------------------------------------- */

ipc_status ipc_sock_send(ipc_sock *s, const void *buf, size_t len,
                         size_t *nsent, ipc_deadline d)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ipc_status st;
	size_t n;

	*nsent = 0;
	if (s == NULL)
		return -EBADF;
	if (s->listening)
		return -ENOTCONN;
	if (kind_stream(s->kind))
		return ipc__io_write(&s->io, buf, len, nsent, d);
	st = msg_send(s, &msg, &n, d);
	if (st == 0)
		*nsent = n;
	return st;
}

ipc_status ipc_sock_recv(ipc_sock *s, void *buf, size_t cap, size_t *nread,
                         ipc_deadline d)
{
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ipc_status st;
	size_t n;

	*nread = 0;
	if (s == NULL)
		return -EBADF;
	if (s->listening)
		return -EINVAL;
	if (kind_stream(s->kind))
		return ipc__io_read(&s->io, buf, cap, nread, d);
	st = msg_recv(s, &msg, MSG_TRUNC, &n, d);
	if (st)
		return st;
	*nread = n;
	return (msg.msg_flags & MSG_TRUNC) ? -EMSGSIZE : 0;
}

ipc_status ipc_sock_peek_size(ipc_sock *s, size_t *len, ipc_deadline d)
{
	struct msghdr msg = {0};

	*len = 0;
	if (s == NULL)
		return -EBADF;
	if (s->listening || kind_stream(s->kind))
		return -EINVAL;
	return msg_recv(s, &msg, MSG_PEEK | MSG_TRUNC, len, d);
}

ipc_status ipc_sock_send_to(ipc_sock *s, const void *buf, size_t len,
                            const char *addr, ipc_deadline d)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct sockaddr_un un;
	struct addrinfo *res = NULL;
	struct addrinfo *ai;
	socklen_t unlen;
	bool abstract;
	ipc_status st;
	size_t n;

	if (s == NULL)
		return -EBADF;
	if (!kind_dgram(s->kind))
		return -EINVAL;
	if (s->family == AF_UNIX) {
		st = ipc__sockaddr_unix(addr, &un, &unlen, &abstract);
		if (st)
			return st;
		msg.msg_name = &un;
		msg.msg_namelen = unlen;
	} else {
		st = ipc__sockaddr_inet(addr, SOCK_DGRAM, AF_UNSPEC, false,
		                        &res);
		if (st)
			return st;
		/* Prefer the socket's own family; sendto(2) reports a
		 * mismatch. */
		for (ai = res; ai->ai_next != NULL; ai = ai->ai_next) {
			if (ai->ai_family == s->family)
				break;
		}
		msg.msg_name = ai->ai_addr;
		msg.msg_namelen = ai->ai_addrlen;
	}
	st = msg_send(s, &msg, &n, d);
	if (res != NULL)
		freeaddrinfo(res);
	return st;
}

ipc_status ipc_sock_recv_from(ipc_sock *s, void *buf, size_t cap, size_t *nread,
                              char *from, size_t fromcap, ipc_deadline d)
{
	struct sockaddr_storage ss;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr msg = {.msg_name = &ss,
	                     .msg_namelen = sizeof(ss),
	                     .msg_iov = &iov,
	                     .msg_iovlen = 1};
	ipc_status st;
	size_t n;

	*nread = 0;
	if (s == NULL)
		return -EBADF;
	if (from == NULL || fromcap == 0 || !kind_dgram(s->kind))
		return -EINVAL;
	from[0] = '\0';
	memset(&ss, 0, sizeof(ss));
	st = msg_recv(s, &msg, MSG_TRUNC, &n, d);
	if (st)
		return st;
	*nread = n;
	st = ipc__sockaddr_format((struct sockaddr *)&ss, msg.msg_namelen, from,
	                          fromcap);
	if (msg.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	return st;
}

/* --- descriptor passing ------------------------------------------------ */

ipc_status ipc_sock_send_fds(ipc_sock *s, const void *buf, size_t len,
                             const int *fds, size_t nfds, size_t *nsent,
                             ipc_deadline d)
{
	union cmsg_buf cb;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;
	size_t more;
	size_t n;
	ipc_status st;

	*nsent = 0;
	if (s == NULL)
		return -EBADF;
	if (s->family != AF_UNIX || buf == NULL || len == 0 || fds == NULL ||
	    nfds == 0 || nfds > IPC_SOCK_MAX_FDS)
		return -EINVAL;
	if (s->listening)
		return -ENOTCONN;
	memset(&cb, 0, sizeof(cb));
	msg.msg_control = cb.buf;
	msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	st = msg_send(s, &msg, &n, d);
	*nsent = n;
	if (st || n == len)
		return st;
	/* A stream took part of @buf, the descriptors with its first byte;
	 * the rest follows as ipc_sock_send() sends it. */
	st = ipc__io_write(&s->io, (const char *)buf + n, len - n, &more, d);
	*nsent += more;
	return st;
}

ipc_status ipc_sock_recv_fds(ipc_sock *s, void *buf, size_t cap, size_t *nread,
                             int *fds, size_t maxfds, size_t *nfds,
                             ipc_deadline d)
{
	union cmsg_buf cb;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr msg = {.msg_iov = &iov,
	                     .msg_iovlen = 1,
	                     .msg_control = cb.buf,
	                     .msg_controllen = sizeof(cb.buf)};
	struct cmsghdr *c;
	bool bad;
	size_t count = 0;
	size_t i;
	size_t k;
	size_t n;
	ipc_status st;
	int fd;

	*nread = 0;
	*nfds = 0;
	if (s == NULL)
		return -EBADF;
	if (s->family != AF_UNIX || s->listening || cap == 0 ||
	    (fds == NULL && maxfds > 0))
		return -EINVAL;
	st = msg_recv(s, &msg, kind_stream(s->kind) ? 0 : MSG_TRUNC, &n, d);
	if (st)
		return st;
	*nread = n;
	bad = (msg.msg_flags & MSG_CTRUNC) ||
	      (!kind_stream(s->kind) && (msg.msg_flags & MSG_TRUNC));
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (!bad && count < maxfds) {
				fds[count++] = fd;
			} else {
				bad = true;
				ipc__close_quiet(fd);
			}
		}
	}
	if (bad) {
		for (i = 0; i < count; i++)
			ipc__close_quiet(fds[i]);
		return -EMSGSIZE;
	}
	*nfds = count;
	return 0;
}

/* --- the rest ---------------------------------------------------------- */

ipc_status ipc_sock_peer_cred(ipc_sock *s, struct ipc_sock_cred *cred)
{
	struct ucred uc;
	ipc_status st;

	memset(cred, 0, sizeof(*cred));
	if (s == NULL)
		return -EBADF;
	if (s->family != AF_UNIX)
		return -EINVAL;
	/* A listener, or a datagram socket connected with connect(2), has
	 * no peer credentials: the kernel would report zeros (root). */
	if (!s->peercred)
		return -ENOTCONN;
	st = get_peercred(s->io.fd, &uc);
	if (st)
		return st;
	cred->pid = uc.pid;
	cred->uid = uc.uid;
	cred->gid = uc.gid;
	return 0;
}

ipc_status ipc_sock_port(ipc_sock *s, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	*port = 0;
	if (s == NULL)
		return -EBADF;
	if (s->family != AF_INET && s->family != AF_INET6)
		return -EINVAL;
	if (getsockname(s->io.fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	if (ss.ss_family == AF_INET)
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		return -EINVAL;
	return 0;
}

ipc_status ipc_sock_shutdown(ipc_sock *s, unsigned int how)
{
	int sh;

	if (s == NULL)
		return -EBADF;
	switch (how) {
	case IPC_O_READ:
		sh = SHUT_RD;
		break;
	case IPC_O_WRITE:
		sh = SHUT_WR;
		break;
	case IPC_O_RDWR:
		sh = SHUT_RDWR;
		break;
	default:
		return -EINVAL;
	}
	if (shutdown(s->io.fd, sh) < 0)
		return -errno;
	return 0;
}

int ipc_sock_fd(const ipc_sock *s)
{
	return s != NULL ? s->io.fd : -1;
}

int ipc_sock_kind(const ipc_sock *s)
{
	return s != NULL ? s->kind : 0;
}

ipc_status ipc_sock_close(ipc_sock *s)
{
	ipc_status st;

	if (s == NULL)
		return 0;
	st = ipc__close(s->io.fd);
	free(s);
	return st;
}

ipc_status ipc_sock_unlink(const char *path)
{
	/* An abstract name has no file to remove. */
	if (path != NULL && path[0] == '@')
		return -EINVAL;
	return ipc__unlink_typed(path, S_IFSOCK);
}
