/* SPDX-License-Identifier: MIT */
/* Sockets: round trips of every kind across processes, deadlines, EINTR,
 * addresses, socket files and their modes, descriptor passing, peer
 * credentials, the abstract same-uid policy and misuse. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "ipc/socket.h"

/* Bytes the last ipc_sock_send_fds() reported sent. */
static size_t fds_sent;

#define BIG    ((1u << 20) + 4099) /* past every socket buffer, unaligned */
#define CHUNK  65536u
#define NOBODY 65534u

/* What a helper process needs to know: fork copies it. */
struct peer {
	int kind;
	char addr[128];
	unsigned int flags;
	ipc_sock *s;
	int fd;
};

static ipc_deadline soon(void)
{
	return ipc_deadline_in_ms(10000);
}

static void close_sock(ipc_sock *s)
{
	CHECK_OK(ipc_sock_close(s));
}

static void unlink_sock(const char *path)
{
	CHECK_OK(ipc_sock_unlink(path));
}

static bool have_ipv6(void)
{
	ipc_sock *s;
	ipc_status st = ipc_sock_listen(&s, IPC_SOCK_UDP, "[::1]:0", 0, 0);

	if (st == -EADDRNOTAVAIL || st == -EAFNOSUPPORT) {
		fprintf(stderr, "skip: no IPv6 loopback\n");
		return false;
	}
	CHECK_OK(st);
	close_sock(s);
	return true;
}

static bool am_root(void)
{
	if (geteuid() == 0)
		return true;
	fprintf(stderr, "skip: needs root to become another uid\n");
	return false;
}

static void become_nobody(void)
{
	CHECK(setgroups(0, NULL) == 0);
	CHECK(setresgid(NOBODY, NOBODY, NOBODY) == 0);
	CHECK(setresuid(NOBODY, NOBODY, NOBODY) == 0);
}

/* Listen on @addr; for TCP/UDP write the address to connect to in @out
 * (the listening host with the port the kernel chose). */
static ipc_sock *listen_at(int kind, const char *addr, unsigned int flags,
                           char *out, size_t cap)
{
	ipc_sock *l;
	uint16_t port;
	size_t hostlen;

	CHECK_OK(ipc_sock_listen(&l, kind, addr, 0, flags));
	CHECK(l != NULL);
	CHECK_EQ(ipc_sock_kind(l), kind);
	if (kind == IPC_SOCK_TCP || kind == IPC_SOCK_UDP) {
		CHECK_OK(ipc_sock_port(l, &port));
		CHECK(port != 0);
		hostlen = (size_t)(strrchr(addr, ':') - addr);
		snprintf(out, cap, "%.*s:%u", (int)hostlen, addr,
		         (unsigned int)port);
	} else {
		snprintf(out, cap, "%s", addr);
	}
	return l;
}

/* Send @len bytes of pattern @seed in chunks. */
static void send_pattern(ipc_sock *s, unsigned int seed, size_t len)
{
	unsigned char *buf = malloc(CHUNK);
	size_t off;
	size_t k;
	size_t n;

	CHECK(buf != NULL);
	for (off = 0; off < len; off += k) {
		k = len - off < CHUNK ? len - off : CHUNK;
		check_fill(buf, k, seed, off);
		CHECK_OK(ipc_sock_send(s, buf, k, &n, soon()));
		CHECK_EQ(n, k);
	}
	free(buf);
}

/* Receive until end of stream; it must be exactly pattern @seed. */
static void expect_pattern(ipc_sock *s, unsigned int seed, size_t len)
{
	unsigned char *got = malloc(CHUNK);
	unsigned char *want = malloc(CHUNK);
	size_t total = 0;
	size_t n;

	CHECK(got != NULL && want != NULL);
	for (;;) {
		/* An odd capacity, so that reads never line up with sends. */
		CHECK_OK(ipc_sock_recv(s, got, CHUNK - 3, &n, soon()));
		if (n == 0)
			break;
		CHECK(total + n <= len);
		check_fill(want, n, seed, total);
		CHECK_MEM_EQ(got, want, n);
		total += n;
	}
	CHECK_EQ(total, len);
	free(got);
	free(want);
}

/* --- round trips ------------------------------------------------------- */

static void stream_client(void *arg)
{
	struct peer *p = arg;
	ipc_sock *c;

	CHECK_OK(ipc_sock_connect(&c, p->kind, p->addr, p->flags, soon()));
	send_pattern(c, 7, BIG);
	CHECK_OK(ipc_sock_shutdown(c, IPC_O_WRITE));
	expect_pattern(c, 9, BIG);
	close_sock(c);
}

static void stream_roundtrip(int kind, const char *addr)
{
	struct peer p = {.kind = kind};
	ipc_sock *l;
	ipc_sock *a;
	pid_t pid;

	l = listen_at(kind, addr, 0, p.addr, sizeof(p.addr));
	pid = check_fork(stream_client, &p);
	CHECK_OK(ipc_sock_accept(l, &a, soon()));
	expect_pattern(a, 7, BIG);
	send_pattern(a, 9, BIG);
	close_sock(a);
	CHECK_CHILD_OK(pid, 20000);
	close_sock(l);
	if (kind == IPC_SOCK_UNIX && addr[0] != '@')
		unlink_sock(addr);
}

static void test_unix_stream_roundtrip(void)
{
	stream_roundtrip(IPC_SOCK_UNIX, check_path("sock"));
}

static void test_abstract_stream_roundtrip(void)
{
	stream_roundtrip(IPC_SOCK_UNIX, check_abstract("stream"));
}

static void test_tcp4_roundtrip(void)
{
	stream_roundtrip(IPC_SOCK_TCP, "127.0.0.1:0");
}

static void test_tcp6_roundtrip(void)
{
	if (have_ipv6())
		stream_roundtrip(IPC_SOCK_TCP, "[::1]:0");
}

static const size_t msg_sizes[] = {0, 1, 2, 100, 1500, 4096, 65000};
static const size_t unix_msg_sizes[] = {0, 1, 100, 4096, 65536, 100000};

static void msg_sizes_for(int kind, const size_t **sizes, size_t *n)
{
	if (kind == IPC_SOCK_UDP) {
		*sizes = msg_sizes;
		*n = sizeof(msg_sizes) / sizeof(msg_sizes[0]);
	} else {
		*sizes = unix_msg_sizes;
		*n = sizeof(unix_msg_sizes) / sizeof(unix_msg_sizes[0]);
	}
}

/* A UNIXGRAM client is not bound and cannot be answered: it only sends.
 * The others wait for each message to come back. */
static void msg_client(void *arg)
{
	struct peer *p = arg;
	unsigned char *buf = malloc(100001);
	unsigned char *want = malloc(100000);
	const size_t *sizes;
	size_t count;
	size_t i;
	size_t n;
	ipc_sock *c;

	CHECK(buf != NULL && want != NULL);
	msg_sizes_for(p->kind, &sizes, &count);
	CHECK_OK(ipc_sock_connect(&c, p->kind, p->addr, p->flags, soon()));
	for (i = 0; i < count; i++) {
		check_fill(want, sizes[i], (unsigned int)i, 0);
		CHECK_OK(ipc_sock_send(c, want, sizes[i], &n, soon()));
		CHECK_EQ(n, sizes[i]);
		if (p->kind == IPC_SOCK_UNIXGRAM)
			continue;
		CHECK_OK(ipc_sock_recv(c, buf, 100001, &n, soon()));
		CHECK_EQ(n, sizes[i]);
		CHECK_MEM_EQ(buf, want, n);
	}
	close_sock(c);
	free(buf);
	free(want);
}

static void msg_roundtrip(int kind, const char *addr, unsigned int flags)
{
	struct peer p = {.kind = kind, .flags = flags};
	unsigned char *buf = malloc(100001);
	unsigned char *want = malloc(100000);
	char from[109];
	const size_t *sizes;
	size_t count;
	size_t i;
	size_t n;
	ipc_sock *l;
	ipc_sock *a;
	pid_t pid;

	CHECK(buf != NULL && want != NULL);
	msg_sizes_for(kind, &sizes, &count);
	l = listen_at(kind, addr, flags, p.addr, sizeof(p.addr));
	pid = check_fork(msg_client, &p);
	if (kind == IPC_SOCK_UNIXPACKET)
		CHECK_OK(ipc_sock_accept(l, &a, soon()));
	else
		a = l;
	for (i = 0; i < count; i++) {
		check_fill(want, sizes[i], (unsigned int)i, 0);
		if (kind == IPC_SOCK_UNIXPACKET) {
			CHECK_OK(ipc_sock_recv(a, buf, 100001, &n, soon()));
		} else {
			CHECK_OK(ipc_sock_recv_from(a, buf, 100001, &n, from,
			                            sizeof(from), soon()));
		}
		CHECK_EQ(n, sizes[i]);
		CHECK_MEM_EQ(buf, want, n);
		if (kind == IPC_SOCK_UNIXPACKET)
			CHECK_OK(ipc_sock_send(a, buf, n, &n, soon()));
		else if (kind == IPC_SOCK_UDP)
			CHECK_OK(ipc_sock_send_to(a, buf, n, from, soon()));
	}
	CHECK_CHILD_OK(pid, 20000);
	if (a != l)
		close_sock(a);
	close_sock(l);
	if (addr[0] != '@' && kind != IPC_SOCK_UDP)
		unlink_sock(addr);
	free(buf);
	free(want);
}

static void test_unixgram_roundtrip(void)
{
	msg_roundtrip(IPC_SOCK_UNIXGRAM, check_path("sock"), 0);
}

static void test_abstract_dgram_roundtrip(void)
{
	/* The same-uid filter (SO_PASSCRED) lets our own datagrams in. */
	msg_roundtrip(IPC_SOCK_UNIXGRAM, check_abstract("dgram"), 0);
}

static void test_unixpacket_roundtrip(void)
{
	msg_roundtrip(IPC_SOCK_UNIXPACKET, check_path("sock"), 0);
}

static void test_udp4_roundtrip(void)
{
	msg_roundtrip(IPC_SOCK_UDP, "127.0.0.1:0", 0);
}

static void test_udp6_roundtrip(void)
{
	if (have_ipv6())
		msg_roundtrip(IPC_SOCK_UDP, "[::1]:0", 0);
}

static void test_pair_kinds(void)
{
	static const int kinds[] = {IPC_SOCK_UNIX, IPC_SOCK_UNIXGRAM,
	                            IPC_SOCK_UNIXPACKET};
	ipc_sock *a;
	ipc_sock *b;
	char buf[8];
	size_t n;
	size_t i;

	for (i = 0; i < 3; i++) {
		CHECK_OK(ipc_sock_pair(&a, &b, kinds[i]));
		CHECK_EQ(ipc_sock_kind(a), kinds[i]);
		CHECK_OK(ipc_sock_send(a, "ping", 4, &n, soon()));
		CHECK_OK(ipc_sock_recv(b, buf, sizeof(buf), &n, soon()));
		CHECK_EQ(n, 4);
		CHECK_MEM_EQ(buf, "ping", 4);
		CHECK_OK(ipc_sock_send(b, "pong", 4, &n, IPC_DEADLINE_NEVER));
		CHECK_OK(ipc_sock_recv(a, buf, sizeof(buf), &n,
		                       IPC_DEADLINE_NEVER));
		CHECK_MEM_EQ(buf, "pong", 4);
		close_sock(a);
		close_sock(b);
	}
	CHECK_ERR(ipc_sock_pair(&a, &b, IPC_SOCK_TCP), -EINVAL);
	CHECK(a == NULL && b == NULL);
}

/* --- would-block and timeouts ------------------------------------------ */

static void test_recv_would_block(void)
{
	static const int kinds[] = {IPC_SOCK_UNIX, IPC_SOCK_UNIXGRAM,
	                            IPC_SOCK_UNIXPACKET};
	ipc_sock *a;
	ipc_sock *b;
	char buf[8];
	int fds[2];
	size_t n;
	size_t nfds;
	size_t i;

	for (i = 0; i < 3; i++) {
		CHECK_OK(ipc_sock_pair(&a, &b, kinds[i]));
		CHECK_ERR(ipc_sock_recv(a, buf, sizeof(buf), &n,
		                        IPC_DEADLINE_NOW),
		          -EAGAIN);
		CHECK_ERR(ipc_sock_recv_fds(a, buf, sizeof(buf), &n, fds, 2,
		                            &nfds, IPC_DEADLINE_NOW),
		          -EAGAIN);
		if (kinds[i] != IPC_SOCK_UNIX)
			CHECK_ERR(ipc_sock_peek_size(a, &n, IPC_DEADLINE_NOW),
			          -EAGAIN);
		close_sock(a);
		close_sock(b);
	}
}

static void test_recv_timeout(void)
{
	ipc_sock *a;
	ipc_sock *b;
	ipc_deadline start;
	char buf[8];
	size_t n;

	CHECK_OK(ipc_sock_pair(&a, &b, IPC_SOCK_UNIX));
	start = ipc_now();
	CHECK_ERR(
	        ipc_sock_recv(a, buf, sizeof(buf), &n, ipc_deadline_in_ms(150)),
	        -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	close_sock(a);
	close_sock(b);

	CHECK_OK(ipc_sock_pair(&a, &b, IPC_SOCK_UNIXGRAM));
	start = ipc_now();
	CHECK_ERR(
	        ipc_sock_recv(a, buf, sizeof(buf), &n, ipc_deadline_in_ms(150)),
	        -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	start = ipc_now();
	CHECK_ERR(ipc_sock_peek_size(a, &n, ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	close_sock(a);
	close_sock(b);
}

static void test_accept_would_block(void)
{
	ipc_sock *l;
	ipc_sock *a;
	char addr[64];

	l = listen_at(IPC_SOCK_UNIX, check_path("sock"), 0, addr, sizeof(addr));
	CHECK_ERR(ipc_sock_accept(l, &a, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK(a == NULL);
	close_sock(l);
	unlink_sock(addr);

	l = listen_at(IPC_SOCK_TCP, "127.0.0.1:0", 0, addr, sizeof(addr));
	CHECK_ERR(ipc_sock_accept(l, &a, IPC_DEADLINE_NOW), -EAGAIN);
	close_sock(l);
}

static void test_accept_timeout(void)
{
	ipc_sock *l;
	ipc_sock *a;
	ipc_deadline start;
	char addr[64];

	l = listen_at(IPC_SOCK_UNIXPACKET, check_abstract("acc"), 0, addr,
	              sizeof(addr));
	start = ipc_now();
	CHECK_ERR(ipc_sock_accept(l, &a, ipc_deadline_in_ms(150)), -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	close_sock(l);
}

/* A listener made by hand with a backlog of 0: one pending connection
 * fills it (the API always asks for SOMAXCONN). */
static int raw_listener(const char *path)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	CHECK(bind(fd, (struct sockaddr *)&un, sizeof(un)) == 0);
	CHECK(listen(fd, 0) == 0);
	return fd;
}

static void accept_later(void *arg)
{
	struct peer *p = arg;
	int fd;

	usleep(50000);
	fd = accept4(p->fd, NULL, NULL, SOCK_CLOEXEC);
	CHECK(fd >= 0);
	close(fd);
}

static void test_connect_backlog_full(void)
{
	struct peer p = {0};
	const char *path = check_path("sock");
	ipc_sock *c1;
	ipc_sock *c2;
	ipc_deadline start;
	pid_t pid;
	int lfd = raw_listener(path);

	CHECK_OK(ipc_sock_connect(&c1, IPC_SOCK_UNIX, path, 0,
	                          IPC_DEADLINE_NOW));
	CHECK_ERR(
	        ipc_sock_connect(&c2, IPC_SOCK_UNIX, path, 0, IPC_DEADLINE_NOW),
	        -EAGAIN);
	CHECK(c2 == NULL);
	start = ipc_now();
	CHECK_ERR(ipc_sock_connect(&c2, IPC_SOCK_UNIX, path, 0,
	                           ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);

	/* Room appears when the listener accepts: the retry sees it. */
	p.fd = lfd;
	pid = check_fork(accept_later, &p);
	start = ipc_now();
	CHECK_OK(ipc_sock_connect(&c2, IPC_SOCK_UNIX, path, 0, soon()));
	CHECK((ipc_now() - start) / 1000000 < 5000);
	CHECK_CHILD_OK(pid, 5000);
	close_sock(c1);
	close_sock(c2);
	close(lfd);
	unlink_sock(path);
}

static void recv_one_later(void *arg)
{
	struct peer *p = arg;
	char buf[8];
	size_t n;

	usleep(50000);
	CHECK_OK(ipc_sock_recv(p->s, buf, sizeof(buf), &n, soon()));
}

static void test_unixgram_queue_full(void)
{
	struct peer p = {0};
	const char *rpath = check_path("recv");
	const char *spath = check_path("send");
	ipc_sock *r;
	ipc_sock *c;
	ipc_sock *s2;
	ipc_deadline start;
	ipc_status st;
	char buf[8];
	size_t n;
	int count;
	pid_t pid;

	CHECK_OK(ipc_sock_listen(&r, IPC_SOCK_UNIXGRAM, rpath, 0, 0));
	CHECK_OK(ipc_sock_connect(&c, IPC_SOCK_UNIXGRAM, rpath, 0, soon()));
	for (count = 0; count < 1000; count++) {
		st = ipc_sock_send(c, "x", 1, &n, IPC_DEADLINE_NOW);
		if (st == -EAGAIN)
			break;
		CHECK_OK(st);
	}
	/* net.unix.max_dgram_qlen (10 here) datagrams, whatever their size. */
	CHECK(count >= 10 && count < 1000);
	CHECK_EQ(n, 0);
	start = ipc_now();
	CHECK_ERR(ipc_sock_send(c, "x", 1, &n, ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);

	/* The same from an unconnected socket, which poll cannot help. */
	CHECK_OK(ipc_sock_listen(&s2, IPC_SOCK_UNIXGRAM, spath, 0, 0));
	CHECK_ERR(ipc_sock_send_to(s2, "y", 1, rpath, IPC_DEADLINE_NOW),
	          -EAGAIN);
	start = ipc_now();
	CHECK_ERR(ipc_sock_send_to(s2, "y", 1, rpath, ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);

	/* A reader making room wakes a waiting sender. */
	p.s = r;
	pid = check_fork(recv_one_later, &p);
	CHECK_OK(ipc_sock_send(c, "z", 1, &n, soon()));
	CHECK_CHILD_OK(pid, 5000);
	pid = check_fork(recv_one_later, &p);
	CHECK_OK(ipc_sock_send_to(s2, "y", 1, rpath, soon()));
	CHECK_CHILD_OK(pid, 5000);
	for (;;) {
		st = ipc_sock_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW);
		if (st == -EAGAIN)
			break;
		CHECK_OK(st);
	}
	close_sock(c);
	close_sock(s2);
	close_sock(r);
	unlink_sock(rpath);
	unlink_sock(spath);
}

/* --- misuse and addresses ---------------------------------------------- */

static void test_null_handle(void)
{
	struct ipc_sock_cred cred;
	ipc_sock *out = (ipc_sock *)1;
	char buf[8];
	char from[16];
	int fd = 0;
	uint16_t port;
	size_t n;
	size_t nfds;

	CHECK_ERR(ipc_sock_accept(NULL, &out, IPC_DEADLINE_NOW), -EBADF);
	CHECK(out == NULL);
	CHECK_ERR(ipc_sock_send(NULL, "x", 1, &n, IPC_DEADLINE_NOW), -EBADF);
	CHECK_ERR(ipc_sock_recv(NULL, buf, 8, &n, IPC_DEADLINE_NOW), -EBADF);
	CHECK_ERR(ipc_sock_peek_size(NULL, &n, IPC_DEADLINE_NOW), -EBADF);
	CHECK_ERR(ipc_sock_send_to(NULL, "x", 1, "@x", IPC_DEADLINE_NOW),
	          -EBADF);
	CHECK_ERR(ipc_sock_recv_from(NULL, buf, 8, &n, from, sizeof(from),
	                             IPC_DEADLINE_NOW),
	          -EBADF);
	fds_sent = 99;
	CHECK_ERR(ipc_sock_send_fds(NULL, "x", 1, &fd, 1, &fds_sent,
	                            IPC_DEADLINE_NOW),
	          -EBADF);
	CHECK_EQ(fds_sent, 0);
	CHECK_ERR(ipc_sock_recv_fds(NULL, buf, 8, &n, &fd, 1, &nfds,
	                            IPC_DEADLINE_NOW),
	          -EBADF);
	CHECK_ERR(ipc_sock_peer_cred(NULL, &cred), -EBADF);
	CHECK_ERR(ipc_sock_port(NULL, &port), -EBADF);
	CHECK_ERR(ipc_sock_shutdown(NULL, IPC_O_RDWR), -EBADF);
	CHECK_EQ(ipc_sock_fd(NULL), -1);
	CHECK_EQ(ipc_sock_kind(NULL), 0);
	CHECK_OK(ipc_sock_close(NULL));
}

static void test_wrong_kind(void)
{
	struct ipc_sock_cred cred;
	ipc_sock *l;
	ipc_sock *c;
	ipc_sock *a;
	ipc_sock *b;
	ipc_sock *out;
	char addr[64];
	char buf[8];
	char from[64];
	int fds[2] = {0, 1};
	uint16_t port;
	size_t n;
	size_t nfds;

	l = listen_at(IPC_SOCK_TCP, "127.0.0.1:0", 0, addr, sizeof(addr));
	CHECK_OK(ipc_sock_connect(&c, IPC_SOCK_TCP, addr, 0, soon()));
	CHECK_ERR(ipc_sock_accept(c, &out, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_ERR(ipc_sock_peek_size(c, &n, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_ERR(ipc_sock_send_to(c, "x", 1, addr, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_ERR(ipc_sock_recv_from(c, buf, 8, &n, from, sizeof(from),
	                             IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_sock_send_fds(c, "x", 1, fds, 1, &fds_sent,
	                            IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_sock_recv_fds(c, buf, 8, &n, fds, 2, &nfds,
	                            IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_sock_peer_cred(c, &cred), -EINVAL);
	CHECK_ERR(ipc_sock_shutdown(c, 0), -EINVAL);
	CHECK_ERR(ipc_sock_shutdown(c, IPC_O_CREATE), -EINVAL);
	CHECK_ERR(ipc_sock_recv(l, buf, 8, &n, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_ERR(ipc_sock_send(l, "x", 1, &n, IPC_DEADLINE_NOW), -ENOTCONN);
	close_sock(c);
	close_sock(l);

	CHECK_OK(ipc_sock_pair(&a, &b, IPC_SOCK_UNIXGRAM));
	CHECK_ERR(ipc_sock_accept(a, &out, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_ERR(ipc_sock_port(a, &port), -EINVAL);
	CHECK_ERR(ipc_sock_send_fds(a, "x", 0, fds, 1, &fds_sent,
	                            IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_sock_send_fds(a, "x", 1, fds, 0, &fds_sent,
	                            IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_sock_recv_fds(a, buf, 0, &n, fds, 2, &nfds,
	                            IPC_DEADLINE_NOW),
	          -EINVAL);
	close_sock(a);
	close_sock(b);

	CHECK_OK(ipc_sock_pair(&a, &b, IPC_SOCK_UNIX));
	CHECK_ERR(ipc_sock_recv(a, buf, 0, &n, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_ERR(ipc_sock_peek_size(a, &n, IPC_DEADLINE_NOW), -EINVAL);
	close_sock(a);
	close_sock(b);

	CHECK_ERR(ipc_sock_listen(&out, 0, "@x", 0, 0), -EINVAL);
	CHECK(out == NULL);
	CHECK_ERR(ipc_sock_listen(&out, 6, "@x", 0, 0), -EINVAL);
	CHECK_ERR(ipc_sock_listen(&out, IPC_SOCK_UNIX, "@x", 0, IPC_O_CREATE),
	          -EINVAL);
	CHECK_ERR(ipc_sock_listen(&out, IPC_SOCK_UNIX, NULL, 0, 0), -EINVAL);
	CHECK_ERR(ipc_sock_connect(&out, 0, "@x", 0, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_sock_connect(&out, IPC_SOCK_UNIX, "@x", IPC_SOCK_REPLACE,
	                           IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK(out == NULL);
	CHECK_ERR(ipc_sock_unlink("@x"), -EINVAL);
	CHECK_ERR(ipc_sock_unlink(""), -EINVAL);
	CHECK_ERR(ipc_sock_unlink(NULL), -EINVAL);
}

static void test_bad_inet_addresses(void)
{
	static const char *const bad[] = {
	        "127.0.0.1",
	        "127.0.0.1:",
	        "127.0.0.1:65536",
	        "abc:def",
	        "[::1]",
	        "[::1]80",
	        "::1:80",
	        "",
	        ":80",
	        "127.0.0.1:-1",
	        "127.0.0.1:+80",
	        "127.0.0.1: 80",
	        "127.0.0.1:80 ",
	        "[abc]:80",
	        "[127.0.0.1]:80",
	        "127.0.0.1:123456",
	        "[::1:80",
	        "[[::1]]:80",
	};
	ipc_sock *s;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ipc_status st = ipc_sock_listen(&s, IPC_SOCK_TCP, bad[i], 0, 0);

		if (st != -EINVAL)
			check_fail(__FILE__, __LINE__, "listen \"%s\": %s",
			           bad[i], check_errname(st));
		CHECK(s == NULL);
		st = ipc_sock_connect(&s, IPC_SOCK_UDP, bad[i], 0,
		                      IPC_DEADLINE_NOW);
		if (st != -EINVAL)
			check_fail(__FILE__, __LINE__, "connect \"%s\": %s",
			           bad[i], check_errname(st));
	}
	/* Strict decimal, leading zeros allowed, 65535 is the top. */
	CHECK_OK(ipc_sock_listen(&s, IPC_SOCK_UDP, "127.0.0.1:00000", 0, 0));
	close_sock(s);
}

/* A path of exactly @len bytes in the private directory. */
static const char *path_of_length(char *buf, size_t len)
{
	size_t dirlen = strlen(check_dir());

	CHECK(dirlen + 2 < len);
	memcpy(buf, check_dir(), dirlen);
	buf[dirlen] = '/';
	memset(buf + dirlen + 1, 'p', len - dirlen - 1);
	buf[len] = '\0';
	return buf;
}

static void test_bad_unix_addresses(void)
{
	char path[256];
	char name[256];
	ipc_sock *s;

	if (strlen(check_dir()) + 2 >= 107) {
		fprintf(stderr, "skip: TMPDIR too long for a 107-byte path\n");
		return;
	}
	CHECK_ERR(ipc_sock_listen(&s, IPC_SOCK_UNIX, "", 0, 0), -EINVAL);
	CHECK_ERR(ipc_sock_listen(&s, IPC_SOCK_UNIX, "@", 0, 0), -EINVAL);
	CHECK_ERR(ipc_sock_connect(&s, IPC_SOCK_UNIX, "", 0, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_sock_listen(&s, IPC_SOCK_UNIX, path_of_length(path, 108),
	                          0, 0),
	          -ENAMETOOLONG);
	CHECK_ERR(ipc_sock_listen(&s, IPC_SOCK_UNIXGRAM,
	                          path_of_length(path, 200), 0, 0),
	          -ENAMETOOLONG);
	CHECK_ERR(ipc_sock_connect(&s, IPC_SOCK_UNIX, path_of_length(path, 108),
	                           0, IPC_DEADLINE_NOW),
	          -ENAMETOOLONG);
	CHECK(access(path, F_OK) < 0);

	/* 107 bytes is the most sun_path holds with its NUL: it works. */
	path_of_length(path, 107);
	CHECK_OK(ipc_sock_listen(&s, IPC_SOCK_UNIX, path, 0, 0));
	close_sock(s);
	unlink_sock(path);

	name[0] = '@';
	memset(name + 1, 'n', 108);
	name[109] = '\0';
	CHECK_ERR(ipc_sock_listen(&s, IPC_SOCK_UNIX, name, 0, 0),
	          -ENAMETOOLONG);
	name[108] = '\0'; /* 107 bytes after '@' */
	CHECK_OK(ipc_sock_listen(&s, IPC_SOCK_UNIX, name, 0, 0));
	close_sock(s);
}

static void test_addr_in_use(void)
{
	const char *path = check_path("sock");
	const char *file = check_path("file");
	struct stat st;
	ipc_sock *l;
	ipc_sock *l2;
	char addr[64];
	int fd;

	CHECK_OK(ipc_sock_listen(&l, IPC_SOCK_UNIX, path, 0, 0));
	CHECK_ERR(ipc_sock_listen(&l2, IPC_SOCK_UNIX, path, 0, 0), -EADDRINUSE);
	CHECK(l2 == NULL);
	CHECK_ERR(ipc_sock_listen(&l2, IPC_SOCK_UNIXGRAM, path, 0, 0),
	          -EADDRINUSE);
	close_sock(l);
	unlink_sock(path);

	fd = open(file, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, "data", 4) == 4);
	close(fd);
	CHECK_ERR(ipc_sock_listen(&l2, IPC_SOCK_UNIX, file, 0, 0), -EADDRINUSE);
	CHECK(lstat(file, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4);

	l = listen_at(IPC_SOCK_TCP, "127.0.0.1:0", 0, addr, sizeof(addr));
	CHECK_ERR(ipc_sock_listen(&l2, IPC_SOCK_TCP, addr, 0, 0), -EADDRINUSE);
	close_sock(l);

	l = listen_at(IPC_SOCK_UNIX, check_abstract("inuse"), 0, addr,
	              sizeof(addr));
	CHECK_ERR(
	        ipc_sock_listen(&l2, IPC_SOCK_UNIX, addr, 0, IPC_SOCK_REPLACE),
	        -EADDRINUSE);
	close_sock(l);
}

static void test_replace(void)
{
	const char *path = check_path("sock");
	const char *file = check_path("file");
	struct stat st;
	ipc_sock *l;
	ipc_sock *l2;
	ipc_sock *c;
	int fd;

	/* A stale socket: its listener is gone, the file stays. */
	CHECK_OK(ipc_sock_listen(&l, IPC_SOCK_UNIX, path, 0, 0));
	close_sock(l);
	CHECK(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode));
	CHECK_ERR(ipc_sock_listen(&l, IPC_SOCK_UNIX, path, 0, 0), -EADDRINUSE);
	CHECK_OK(ipc_sock_listen(&l, IPC_SOCK_UNIX, path, 0, IPC_SOCK_REPLACE));
	CHECK_OK(ipc_sock_connect(&c, IPC_SOCK_UNIX, path, 0, soon()));
	close_sock(c);

	/* A live one stays, and keeps working. */
	CHECK_ERR(
	        ipc_sock_listen(&l2, IPC_SOCK_UNIX, path, 0, IPC_SOCK_REPLACE),
	        -EADDRINUSE);
	CHECK_ERR(ipc_sock_listen(&l2, IPC_SOCK_UNIXGRAM, path, 0,
	                          IPC_SOCK_REPLACE),
	          -EADDRINUSE);
	CHECK_OK(ipc_sock_connect(&c, IPC_SOCK_UNIX, path, 0, soon()));
	close_sock(c);
	close_sock(l);

	/* A stale socket of another type is stale all the same. */
	CHECK_OK(ipc_sock_listen(&l2, IPC_SOCK_UNIXGRAM, path, 0,
	                         IPC_SOCK_REPLACE));
	close_sock(l2);
	unlink_sock(path);

	/* Never a regular file. */
	fd = open(file, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_ERR(ipc_sock_listen(&l, IPC_SOCK_UNIX, file, 0, IPC_SOCK_REPLACE),
	          -EADDRINUSE);
	CHECK(lstat(file, &st) == 0 && S_ISREG(st.st_mode));
}

static void test_connect_missing_and_dead(void)
{
	const char *path = check_path("sock");
	char addr[64];
	ipc_sock *l;
	ipc_sock *c;

	CHECK_ERR(ipc_sock_connect(&c, IPC_SOCK_UNIX, path, 0, soon()),
	          -ENOENT);
	CHECK(c == NULL);
	CHECK_ERR(ipc_sock_connect(&c, IPC_SOCK_UNIXGRAM, path, 0, soon()),
	          -ENOENT);
	CHECK_OK(ipc_sock_listen(&l, IPC_SOCK_UNIX, path, 0, 0));
	close_sock(l);
	CHECK_ERR(ipc_sock_connect(&c, IPC_SOCK_UNIX, path, 0, soon()),
	          -ECONNREFUSED);
	unlink_sock(path);
	CHECK_OK(ipc_sock_listen(&l, IPC_SOCK_UNIXGRAM, path, 0, 0));
	close_sock(l);
	CHECK_ERR(ipc_sock_connect(&c, IPC_SOCK_UNIXGRAM, path, 0, soon()),
	          -ECONNREFUSED);
	unlink_sock(path);
	CHECK_ERR(ipc_sock_connect(&c, IPC_SOCK_UNIX, check_abstract("none"), 0,
	                           soon()),
	          -ECONNREFUSED);

	/* A TCP port nobody listens on any more. */
	l = listen_at(IPC_SOCK_TCP, "127.0.0.1:0", 0, addr, sizeof(addr));
	close_sock(l);
	CHECK_ERR(ipc_sock_connect(&c, IPC_SOCK_TCP, addr, 0, soon()),
	          -ECONNREFUSED);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	CHECK(lstat(path, &st) == 0);
	CHECK(S_ISSOCK(st.st_mode));
	return st.st_mode & 07777;
}

static void test_socket_file_mode(void)
{
	const char *p1 = check_path("m1");
	const char *p2 = check_path("m2");
	const char *p3 = check_path("m3");
	const char *p4 = check_path("m4");
	ipc_sock *s;
	mode_t old = umask(0);

	CHECK_OK(ipc_sock_listen(&s, IPC_SOCK_UNIX, p1, 0, 0));
	close_sock(s);
	CHECK_EQ(mode_of(p1), 0600);

	umask(077);
	CHECK_OK(ipc_sock_listen(&s, IPC_SOCK_UNIX, p2, 0660, 0));
	close_sock(s);
	CHECK_EQ(mode_of(p2), 0660);
	CHECK_OK(ipc_sock_listen(&s, IPC_SOCK_UNIXGRAM, p3, 0, 0));
	close_sock(s);
	CHECK_EQ(mode_of(p3), 0600);

	umask(0);
	CHECK_OK(ipc_sock_listen(&s, IPC_SOCK_UNIXPACKET, p4, 0640, 0));
	close_sock(s);
	CHECK_EQ(mode_of(p4), 0640);
	CHECK_ERR(
	        ipc_sock_listen(&s, IPC_SOCK_UNIX, check_path("m5"), 01777, 0),
	        -EINVAL);
	umask(old);

	/* Closing keeps the file; unlinking removes it. */
	unlink_sock(p1);
	unlink_sock(p2);
	unlink_sock(p3);
	unlink_sock(p4);
	CHECK(access(p1, F_OK) < 0 && errno == ENOENT);
}

static void test_unlink(void)
{
	const char *path = check_path("sock");
	const char *file = check_path("file");
	ipc_sock *s;
	int fd;

	CHECK_ERR(ipc_sock_unlink(path), -ENOENT);
	fd = open(file, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_ERR(ipc_sock_unlink(file), -EINVAL);
	CHECK(access(file, F_OK) == 0);
	CHECK_ERR(ipc_sock_unlink(check_dir()), -EINVAL);
	CHECK_OK(ipc_sock_listen(&s, IPC_SOCK_UNIX, path, 0, 0));
	CHECK_OK(ipc_sock_unlink(path));
	CHECK(access(path, F_OK) < 0);
	close_sock(s);
}

/* --- descriptor flags -------------------------------------------------- */

static bool cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	CHECK(fl >= 0);
	return (fl & FD_CLOEXEC) != 0;
}

static bool nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	CHECK(fl >= 0);
	return (fl & O_NONBLOCK) != 0;
}

static bool nodelay(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	CHECK(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0);
	return v != 0;
}

static void test_descriptor_flags(void)
{
	const char *path = check_path("sock");
	char addr[64];
	ipc_sock *l;
	ipc_sock *c;
	ipc_sock *a;
	ipc_sock *b;

	CHECK_OK(ipc_sock_listen(&l, IPC_SOCK_UNIX, path, 0, 0));
	CHECK(cloexec(ipc_sock_fd(l)));
	CHECK_OK(ipc_sock_connect(&c, IPC_SOCK_UNIX, path, 0, soon()));
	CHECK_OK(ipc_sock_accept(l, &a, soon()));
	CHECK(cloexec(ipc_sock_fd(c)) && !nonblocking(ipc_sock_fd(c)));
	CHECK(cloexec(ipc_sock_fd(a)) && !nonblocking(ipc_sock_fd(a)));
	close_sock(c);
	close_sock(a);
	CHECK_OK(ipc_sock_connect(&c, IPC_SOCK_UNIX, path, IPC_O_NONBLOCK,
	                          soon()));
	CHECK(cloexec(ipc_sock_fd(c)) && nonblocking(ipc_sock_fd(c)));
	close_sock(c);
	close_sock(l);
	unlink_sock(path);

	/* IPC_O_NONBLOCK on a listener: its connections are O_NONBLOCK. */
	CHECK_OK(ipc_sock_listen(&l, IPC_SOCK_UNIXPACKET, path, 0,
	                         IPC_O_NONBLOCK));
	CHECK_OK(ipc_sock_connect(&c, IPC_SOCK_UNIXPACKET, path, 0, soon()));
	CHECK_OK(ipc_sock_accept(l, &a, soon()));
	CHECK(cloexec(ipc_sock_fd(a)) && nonblocking(ipc_sock_fd(a)));
	CHECK(!nonblocking(ipc_sock_fd(c)));
	close_sock(c);
	close_sock(a);
	close_sock(l);
	unlink_sock(path);

	CHECK_OK(ipc_sock_listen(&l, IPC_SOCK_UNIXGRAM, path, 0, 0));
	CHECK(cloexec(ipc_sock_fd(l)) && !nonblocking(ipc_sock_fd(l)));
	close_sock(l);
	unlink_sock(path);

	CHECK_OK(ipc_sock_pair(&a, &b, IPC_SOCK_UNIX));
	CHECK(cloexec(ipc_sock_fd(a)) && !nonblocking(ipc_sock_fd(a)));
	CHECK(cloexec(ipc_sock_fd(b)) && !nonblocking(ipc_sock_fd(b)));
	close_sock(a);
	close_sock(b);

	l = listen_at(IPC_SOCK_TCP, "127.0.0.1:0", 0, addr, sizeof(addr));
	CHECK(cloexec(ipc_sock_fd(l)));
	CHECK_OK(ipc_sock_connect(&c, IPC_SOCK_TCP, addr, 0, soon()));
	CHECK_OK(ipc_sock_accept(l, &a, soon()));
	CHECK(cloexec(ipc_sock_fd(c)) && !nonblocking(ipc_sock_fd(c)));
	CHECK(cloexec(ipc_sock_fd(a)) && !nonblocking(ipc_sock_fd(a)));
	CHECK(nodelay(ipc_sock_fd(c)) && nodelay(ipc_sock_fd(a)));
	close_sock(c);
	close_sock(a);
	close_sock(l);

	l = listen_at(IPC_SOCK_UDP, "127.0.0.1:0", 0, addr, sizeof(addr));
	CHECK(cloexec(ipc_sock_fd(l)) && !nonblocking(ipc_sock_fd(l)));
	CHECK_OK(ipc_sock_connect(&c, IPC_SOCK_UDP, addr, IPC_O_NONBLOCK,
	                          soon()));
	CHECK(cloexec(ipc_sock_fd(c)) && nonblocking(ipc_sock_fd(c)));
	close_sock(c);
	close_sock(l);
}

/* A socket made IPC_O_NONBLOCK still honours deadlines (by poll). */
static void send_later(void *arg)
{
	struct peer *p = arg;
	size_t n;

	usleep(50000);
	CHECK_OK(ipc_sock_send(p->s, "late", 4, &n, soon()));
}

static void test_nonblock_flag_waits(void)
{
	struct peer p = {0};
	const char *path = check_path("sock");
	ipc_sock *l;
	ipc_sock *c;
	ipc_sock *a;
	char buf[8];
	size_t n;
	pid_t pid;

	CHECK_OK(ipc_sock_listen(&l, IPC_SOCK_UNIX, path, 0, IPC_O_NONBLOCK));
	CHECK_OK(ipc_sock_connect(&c, IPC_SOCK_UNIX, path, IPC_O_NONBLOCK,
	                          soon()));
	CHECK_OK(ipc_sock_accept(l, &a, IPC_DEADLINE_NEVER));
	CHECK_ERR(ipc_sock_recv(c, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	p.s = a;
	pid = check_fork(send_later, &p);
	CHECK_OK(ipc_sock_recv(c, buf, sizeof(buf), &n, IPC_DEADLINE_NEVER));
	CHECK_EQ(n, 4);
	CHECK_MEM_EQ(buf, "late", 4);
	CHECK_CHILD_OK(pid, 5000);
	close_sock(a);
	close_sock(c);
	close_sock(l);
	unlink_sock(path);
}

/* --- end of stream, SIGPIPE, shutdown ---------------------------------- */

static void send_and_close(void *arg)
{
	struct peer *p = arg;
	ipc_sock *c;
	size_t n;

	CHECK_OK(ipc_sock_connect(&c, p->kind, p->addr, 0, soon()));
	CHECK_OK(ipc_sock_send(c, "0123456789", 10, &n, soon()));
	close_sock(c);
}

static void test_eof_on_peer_close(void)
{
	struct peer p = {.kind = IPC_SOCK_UNIX};
	ipc_sock *l;
	ipc_sock *a;
	char buf[32];
	size_t total = 0;
	size_t n;
	pid_t pid;

	l = listen_at(IPC_SOCK_UNIX, check_path("sock"), 0, p.addr,
	              sizeof(p.addr));
	pid = check_fork(send_and_close, &p);
	CHECK_OK(ipc_sock_accept(l, &a, soon()));
	do {
		CHECK_OK(ipc_sock_recv(a, buf + total, sizeof(buf) - total, &n,
		                       soon()));
		total += n;
	} while (n != 0);
	CHECK_EQ(total, 10);
	CHECK_MEM_EQ(buf, "0123456789", 10);
	/* End of stream stays end of stream. */
	CHECK_OK(ipc_sock_recv(a, buf, sizeof(buf), &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 0);
	CHECK_CHILD_OK(pid, 5000);
	close_sock(a);
	close_sock(l);
	unlink_sock(p.addr);
}

static void test_sigpipe_never_kills(void)
{
	static const int kinds[] = {IPC_SOCK_UNIX, IPC_SOCK_UNIXPACKET};
	char addr[64];
	ipc_sock *a;
	ipc_sock *b;
	ipc_sock *l;
	ipc_status st = 0;
	char buf[1024] = {0};
	int fd;
	size_t n;
	size_t i;

	for (i = 0; i < 2; i++) {
		CHECK_OK(ipc_sock_pair(&a, &b, kinds[i]));
		close_sock(b);
		fd = ipc_sock_fd(a);
		CHECK_ERR(ipc_sock_send(a, "x", 1, &n, soon()), -EPIPE);
		CHECK_EQ(n, 0);
		CHECK_ERR(ipc_sock_send(a, "x", 1, &n, IPC_DEADLINE_NEVER),
		          -EPIPE);
		CHECK_ERR(
		        ipc_sock_send_fds(a, "x", 1, &fd, 1, &fds_sent, soon()),
		        -EPIPE);
		close_sock(a);
	}

	/* TCP: the first send may still go out; a later one fails. */
	l = listen_at(IPC_SOCK_TCP, "127.0.0.1:0", 0, addr, sizeof(addr));
	CHECK_OK(ipc_sock_connect(&a, IPC_SOCK_TCP, addr, 0, soon()));
	CHECK_OK(ipc_sock_accept(l, &b, soon()));
	close_sock(b);
	for (i = 0; i < 200; i++) {
		st = ipc_sock_send(a, buf, sizeof(buf), &n, soon());
		if (st != 0)
			break;
		usleep(1000);
	}
	CHECK(st == -EPIPE || st == -ECONNRESET);
	close_sock(a);
	close_sock(l);
}

static void test_shutdown_write(void)
{
	char addr[64];
	ipc_sock *l;
	ipc_sock *c;
	ipc_sock *a;
	char buf[8];
	size_t n;

	l = listen_at(IPC_SOCK_TCP, "127.0.0.1:0", 0, addr, sizeof(addr));
	CHECK_OK(ipc_sock_connect(&c, IPC_SOCK_TCP, addr, 0, soon()));
	CHECK_OK(ipc_sock_accept(l, &a, soon()));
	CHECK_OK(ipc_sock_send(c, "req", 3, &n, soon()));
	CHECK_OK(ipc_sock_shutdown(c, IPC_O_WRITE));
	CHECK_OK(ipc_sock_recv(a, buf, sizeof(buf), &n, soon()));
	CHECK_EQ(n, 3);
	CHECK_OK(ipc_sock_recv(a, buf, sizeof(buf), &n, soon()));
	CHECK_EQ(n, 0);
	CHECK_OK(ipc_sock_send(a, "resp", 4, &n, soon()));
	CHECK_OK(ipc_sock_recv(c, buf, sizeof(buf), &n, soon()));
	CHECK_EQ(n, 4);
	CHECK_MEM_EQ(buf, "resp", 4);
	CHECK_ERR(ipc_sock_send(c, "x", 1, &n, soon()), -EPIPE);
	CHECK_OK(ipc_sock_shutdown(a, IPC_O_RDWR));
	close_sock(c);
	close_sock(a);
	close_sock(l);
}

/* --- EINTR --------------------------------------------------------------- */

static void test_eintr_recv(void)
{
	ipc_sock *a;
	ipc_sock *b;
	ipc_deadline start = ipc_now();
	ipc_deadline d = ipc_deadline_in_ms(300);
	char buf[8];
	size_t n;

	CHECK_OK(ipc_sock_pair(&a, &b, IPC_SOCK_UNIX));
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_sock_recv(a, buf, sizeof(buf), &n, d), -EINTR);
	check_signal_stop();
	CHECK((ipc_now() - start) / 1000000 < 300);
	CHECK_ERR(ipc_sock_recv(a, buf, sizeof(buf), &n, d), -ETIMEDOUT);
	CHECK_ELAPSED(start, 300);
	close_sock(a);
	close_sock(b);
}

static void test_eintr_recv_never(void)
{
	static const int kinds[] = {IPC_SOCK_UNIX, IPC_SOCK_UNIXGRAM};
	ipc_sock *a;
	ipc_sock *b;
	char buf[8];
	size_t n;
	size_t i;

	for (i = 0; i < 2; i++) {
		CHECK_OK(ipc_sock_pair(&a, &b, kinds[i]));
		check_signal_after(SIGUSR1, 50);
		CHECK_ERR(ipc_sock_recv(a, buf, sizeof(buf), &n,
		                        IPC_DEADLINE_NEVER),
		          -EINTR);
		check_signal_stop();
		close_sock(a);
		close_sock(b);
	}
}

static void test_eintr_accept(void)
{
	ipc_sock *l;
	ipc_sock *a;
	char addr[64];
	ipc_deadline start = ipc_now();
	ipc_deadline d = ipc_deadline_in_ms(300);

	l = listen_at(IPC_SOCK_UNIX, check_abstract("eintr"), 0, addr,
	              sizeof(addr));
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_sock_accept(l, &a, d), -EINTR);
	check_signal_stop();
	CHECK((ipc_now() - start) / 1000000 < 300);
	CHECK_ERR(ipc_sock_accept(l, &a, d), -ETIMEDOUT);
	CHECK_ELAPSED(start, 300);
	close_sock(l);
}

/* --- descriptor passing ------------------------------------------------ */

static bool same_file(int a, int b)
{
	struct stat sa;
	struct stat sb;

	CHECK(fstat(a, &sa) == 0 && fstat(b, &sb) == 0);
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void test_fds_three_kinds(void)
{
	const char *file = check_path("file");
	ipc_sock *a;
	ipc_sock *b;
	int pfd[2];
	int sp[2];
	int sfds[3];
	int got[4] = {-1, -1, -1, -1};
	char buf[16];
	size_t n;
	size_t nfds;
	int ffd;
	size_t i;

	CHECK(pipe2(pfd, O_CLOEXEC) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0);
	ffd = open(file, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	CHECK(ffd >= 0);
	sfds[0] = pfd[1];
	sfds[1] = ffd;
	sfds[2] = sp[0];

	CHECK_OK(ipc_sock_pair(&a, &b, IPC_SOCK_UNIX));
	CHECK_OK(ipc_sock_send_fds(a, "fds!", 4, sfds, 3, &fds_sent, soon()));
	CHECK_OK(ipc_sock_recv_fds(b, buf, sizeof(buf), &n, got, 4, &nfds,
	                           soon()));
	CHECK_EQ(n, 4);
	CHECK_MEM_EQ(buf, "fds!", 4);
	CHECK_EQ(nfds, 3);
	for (i = 0; i < 3; i++) {
		CHECK(got[i] >= 0 && got[i] != sfds[i]);
		CHECK(cloexec(got[i]));
		CHECK(same_file(got[i], sfds[i]));
	}

	/* Each is usable alone: close our copies first. */
	close(pfd[1]);
	CHECK(write(got[0], "pipe", 4) == 4);
	close(got[0]);
	CHECK(read(pfd[0], buf, sizeof(buf)) == 4);
	CHECK(read(pfd[0], buf, sizeof(buf)) == 0); /* it was the last end */
	close(pfd[0]);

	close(ffd);
	CHECK(pwrite(got[1], "file", 4, 0) == 4);
	close(got[1]);
	ffd = open(file, O_RDONLY | O_CLOEXEC);
	CHECK(ffd >= 0 && read(ffd, buf, sizeof(buf)) == 4);
	CHECK_MEM_EQ(buf, "file", 4);
	close(ffd);

	close(sp[0]);
	CHECK(send(got[2], "sock", 4, MSG_NOSIGNAL) == 4);
	close(got[2]);
	CHECK(recv(sp[1], buf, sizeof(buf), 0) == 4);
	CHECK_MEM_EQ(buf, "sock", 4);
	CHECK(recv(sp[1], buf, sizeof(buf), 0) == 0);
	close(sp[1]);

	close_sock(a);
	close_sock(b);
}

static void test_fds_too_many_for_receiver(void)
{
	ipc_sock *a;
	ipc_sock *b;
	int many[IPC_SOCK_MAX_FDS + 1];
	int got[IPC_SOCK_MAX_FDS];
	char buf[8];
	size_t n;
	size_t nfds;
	size_t i;
	int before;
	int pfd[2];

	CHECK(pipe2(pfd, O_CLOEXEC) == 0);
	for (i = 0; i <= IPC_SOCK_MAX_FDS; i++)
		many[i] = i % 2 ? pfd[0] : pfd[1];
	CHECK_OK(ipc_sock_pair(&a, &b, IPC_SOCK_UNIX));

	/* 5 to a receiver with room for 2: none stays open. */
	CHECK_OK(ipc_sock_send_fds(a, "five", 4, many, 5, &fds_sent, soon()));
	before = check_fd_count();
	got[0] = got[1] = -7;
	nfds = 99;
	CHECK_ERR(ipc_sock_recv_fds(b, buf, sizeof(buf), &n, got, 2, &nfds,
	                            soon()),
	          -EMSGSIZE);
	CHECK_EQ(nfds, 0);
	CHECK_EQ(n, 4);
	CHECK_EQ(check_fd_count(), before);

	/* The most a message carries, to a receiver expecting 1. */
	CHECK_OK(ipc_sock_send_fds(a, "max", 3, many, IPC_SOCK_MAX_FDS,
	                           &fds_sent, soon()));
	CHECK_ERR(ipc_sock_recv_fds(b, buf, sizeof(buf), &n, got, 1, &nfds,
	                            soon()),
	          -EMSGSIZE);
	CHECK_EQ(nfds, 0);
	CHECK_EQ(check_fd_count(), before);

	/* And to one with room for all of them. */
	CHECK_OK(ipc_sock_send_fds(a, "max", 3, many, IPC_SOCK_MAX_FDS,
	                           &fds_sent, soon()));
	CHECK_OK(ipc_sock_recv_fds(b, buf, sizeof(buf), &n, got,
	                           IPC_SOCK_MAX_FDS, &nfds, soon()));
	CHECK_EQ(nfds, IPC_SOCK_MAX_FDS);
	CHECK_EQ(check_fd_count(), before + IPC_SOCK_MAX_FDS);
	for (i = 0; i < nfds; i++) {
		CHECK(same_file(got[i], many[i]));
		close(got[i]);
	}

	CHECK_ERR(ipc_sock_send_fds(a, "x", 1, many, IPC_SOCK_MAX_FDS + 1,
	                            &fds_sent, soon()),
	          -EINVAL);
	/* Data without descriptors, and a receiver that wants none. */
	CHECK_OK(ipc_sock_send(a, "plain", 5, &n, soon()));
	CHECK_OK(ipc_sock_recv_fds(b, buf, sizeof(buf), &n, got, 2, &nfds,
	                           soon()));
	CHECK_EQ(n, 5);
	CHECK_EQ(nfds, 0);
	CHECK_OK(ipc_sock_send_fds(a, "one", 3, many, 1, &fds_sent, soon()));
	CHECK_ERR(ipc_sock_recv_fds(b, buf, sizeof(buf), &n, NULL, 0, &nfds,
	                            soon()),
	          -EMSGSIZE);
	CHECK_EQ(check_fd_count(), before);
	close(pfd[0]);
	close(pfd[1]);
	close_sock(a);
	close_sock(b);
}

/* Descriptors over the message kinds: with the message, and dropped
 * whole with it when the message does not fit. */
static void fds_over(int kind)
{
	ipc_sock *a;
	ipc_sock *b;
	char buf[16];
	int pfd[2];
	int got[4];
	size_t n;
	size_t nfds;
	int before;

	CHECK(pipe2(pfd, O_CLOEXEC) == 0);
	CHECK_OK(ipc_sock_pair(&a, &b, kind));
	CHECK_OK(ipc_sock_send_fds(a, "abc", 3, pfd, 2, &fds_sent, soon()));
	CHECK_OK(ipc_sock_recv_fds(b, buf, sizeof(buf), &n, got, 4, &nfds,
	                           soon()));
	CHECK_EQ(n, 3);
	CHECK_EQ(nfds, 2);
	CHECK(same_file(got[0], pfd[0]) && same_file(got[1], pfd[1]));
	CHECK(cloexec(got[0]) && cloexec(got[1]));
	close(got[0]);
	close(got[1]);

	before = check_fd_count();
	CHECK_OK(ipc_sock_send_fds(a, "0123456789", 10, pfd, 2, &fds_sent,
	                           soon()));
	CHECK_ERR(ipc_sock_recv_fds(b, buf, 4, &n, got, 4, &nfds, soon()),
	          -EMSGSIZE);
	CHECK_EQ(n, 10);
	CHECK_EQ(nfds, 0);
	CHECK_EQ(check_fd_count(), before);
	/* The message was consumed. */
	CHECK_ERR(ipc_sock_recv(b, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);

	/* A plain recv of a message with descriptors installs none. */
	CHECK_OK(ipc_sock_send_fds(a, "xyz", 3, pfd, 2, &fds_sent, soon()));
	CHECK_OK(ipc_sock_recv(b, buf, sizeof(buf), &n, soon()));
	CHECK_EQ(n, 3);
	CHECK_EQ(check_fd_count(), before);
	close(pfd[0]);
	close(pfd[1]);
	close_sock(a);
	close_sock(b);
}

static void test_fds_seqpacket(void)
{
	fds_over(IPC_SOCK_UNIXPACKET);
}

static void test_fds_dgram(void)
{
	fds_over(IPC_SOCK_UNIXGRAM);
}

/* On a stream the descriptors ride on the first byte and the rest of a
 * large buffer follows; the reader is another process. */
static void fds_stream_reader(void *arg)
{
	struct peer *p = arg;
	unsigned char *got = malloc(BIG);
	unsigned char *want = malloc(BIG);
	size_t total;
	size_t n;
	size_t nfds;
	int fds[2];

	CHECK(got != NULL && want != NULL);
	CHECK_OK(ipc_sock_recv_fds(p->s, got, BIG, &total, fds, 2, &nfds,
	                           soon()));
	CHECK_EQ(nfds, 1);
	CHECK(cloexec(fds[0]));
	CHECK(fds[0] != p->fd && same_file(fds[0], p->fd));
	close(p->fd);
	CHECK(write(fds[0], "!", 1) == 1);
	close(fds[0]);
	while (total < BIG) {
		CHECK_OK(ipc_sock_recv_fds(p->s, got + total, BIG - total, &n,
		                           fds, 2, &nfds, soon()));
		CHECK(n > 0);
		CHECK_EQ(nfds, 0);
		total += n;
	}
	check_fill(want, BIG, 3, 0);
	CHECK_MEM_EQ(got, want, BIG);
	free(got);
	free(want);
}

static void test_fds_stream_large(void)
{
	struct peer p = {0};
	unsigned char *buf = malloc(BIG);
	ipc_sock *a;
	ipc_sock *b;
	int pfd[2];
	char c;
	pid_t pid;

	CHECK(buf != NULL);
	CHECK(pipe2(pfd, O_CLOEXEC) == 0);
	CHECK_OK(ipc_sock_pair(&a, &b, IPC_SOCK_UNIX));
	p.s = b;
	p.fd = pfd[1];
	pid = check_fork(fds_stream_reader, &p);
	close_sock(b);
	check_fill(buf, BIG, 3, 0);
	CHECK_OK(ipc_sock_send_fds(a, buf, BIG, &pfd[1], 1, &fds_sent, soon()));
	CHECK_EQ(fds_sent, BIG);
	close(pfd[1]);
	CHECK_CHILD_OK(pid, 20000);
	CHECK(read(pfd[0], &c, 1) == 1 && c == '!');
	CHECK(read(pfd[0], &c, 1) == 0);
	close(pfd[0]);
	close_sock(a);
	free(buf);
}

/* --- credentials and the abstract policy ------------------------------- */

static void report_cred(void *arg)
{
	struct peer *p = arg;
	struct ipc_sock_cred cred;
	ipc_sock *c;
	size_t n;

	CHECK_OK(ipc_sock_connect(&c, p->kind, p->addr, 0, soon()));
	CHECK_OK(ipc_sock_peer_cred(c, &cred));
	CHECK_EQ(cred.pid, getppid());
	CHECK_EQ(cred.uid, geteuid());
	CHECK_EQ(cred.gid, getegid());
	CHECK_OK(ipc_sock_send(c, "k", 1, &n, soon()));
	close_sock(c);
}

static void test_peer_cred(void)
{
	struct peer p = {.kind = IPC_SOCK_UNIXPACKET};
	struct ipc_sock_cred cred;
	ipc_sock *l;
	ipc_sock *a;
	ipc_sock *b;
	char buf[4];
	size_t n;
	pid_t pid;

	l = listen_at(IPC_SOCK_UNIXPACKET, check_path("sock"), 0, p.addr,
	              sizeof(p.addr));
	CHECK_ERR(ipc_sock_peer_cred(l, &cred), -ENOTCONN);
	pid = check_fork(report_cred, &p);
	CHECK_OK(ipc_sock_accept(l, &a, soon()));
	CHECK_OK(ipc_sock_peer_cred(a, &cred));
	CHECK_EQ(cred.pid, pid);
	CHECK_EQ(cred.uid, getuid());
	CHECK_EQ(cred.gid, getgid());
	CHECK_OK(ipc_sock_recv(a, buf, sizeof(buf), &n, soon()));
	CHECK_CHILD_OK(pid, 5000);
	close_sock(a);
	close_sock(l);
	unlink_sock(p.addr);

	CHECK_OK(ipc_sock_pair(&a, &b, IPC_SOCK_UNIXGRAM));
	CHECK_OK(ipc_sock_peer_cred(a, &cred));
	CHECK_EQ(cred.pid, getpid());
	close_sock(a);
	close_sock(b);

	/* A datagram socket connected with connect(2) has no credentials. */
	CHECK_OK(ipc_sock_listen(&l, IPC_SOCK_UNIXGRAM, p.addr, 0, 0));
	CHECK_OK(ipc_sock_connect(&a, IPC_SOCK_UNIXGRAM, p.addr, 0, soon()));
	CHECK_ERR(ipc_sock_peer_cred(a, &cred), -ENOTCONN);
	close_sock(a);
	close_sock(l);
	unlink_sock(p.addr);
}

/* Connect as another uid with IPC_O_SHARED (so our own check passes) and
 * expect the listener to hang up on us. */
static void foreign_connect_refused(void *arg)
{
	struct peer *p = arg;
	ipc_sock *c;
	ipc_status st;
	char buf[4];
	size_t n;

	become_nobody();
	CHECK_OK(ipc_sock_connect(&c, p->kind, p->addr, IPC_O_SHARED, soon()));
	st = ipc_sock_recv(c, buf, sizeof(buf), &n, soon());
	CHECK(st == -ECONNRESET || (st == 0 && n == 0));
	close_sock(c);
}

static void foreign_connect_ok(void *arg)
{
	struct peer *p = arg;
	ipc_sock *c;
	size_t n;

	become_nobody();
	CHECK_OK(ipc_sock_connect(&c, p->kind, p->addr, IPC_O_SHARED, soon()));
	CHECK_OK(ipc_sock_send(c, "hi", 2, &n, soon()));
	close_sock(c);
}

static void own_connect(void *arg)
{
	struct peer *p = arg;
	ipc_sock *c;
	size_t n;

	CHECK_OK(ipc_sock_connect(&c, p->kind, p->addr, 0, soon()));
	CHECK_OK(ipc_sock_send(c, "me", 2, &n, soon()));
	close_sock(c);
}

static void wait_pending(ipc_sock *l)
{
	struct pollfd pfd = {.fd = ipc_sock_fd(l), .events = POLLIN};

	CHECK(poll(&pfd, 1, 10000) == 1);
}

static void test_abstract_accept_policy(void)
{
	struct peer p = {.kind = IPC_SOCK_UNIX};
	struct ipc_sock_cred cred;
	ipc_sock *l;
	ipc_sock *a;
	char buf[4];
	size_t n;
	pid_t pid;

	if (!am_root())
		return;
	l = listen_at(IPC_SOCK_UNIX, check_abstract("pol"), 0, p.addr,
	              sizeof(p.addr));
	pid = check_fork(foreign_connect_refused, &p);
	wait_pending(l);
	CHECK_ERR(ipc_sock_accept(l, &a, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK(a == NULL);
	CHECK_CHILD_OK(pid, 5000);

	pid = check_fork(own_connect, &p);
	CHECK_OK(ipc_sock_accept(l, &a, soon()));
	CHECK_OK(ipc_sock_peer_cred(a, &cred));
	CHECK_EQ(cred.uid, geteuid());
	CHECK_OK(ipc_sock_recv(a, buf, sizeof(buf), &n, soon()));
	CHECK_CHILD_OK(pid, 5000);
	close_sock(a);
	close_sock(l);

	/* IPC_O_SHARED: any uid. */
	p.kind = IPC_SOCK_UNIXPACKET;
	l = listen_at(IPC_SOCK_UNIXPACKET, check_abstract("shared"),
	              IPC_O_SHARED, p.addr, sizeof(p.addr));
	pid = check_fork(foreign_connect_ok, &p);
	CHECK_OK(ipc_sock_accept(l, &a, soon()));
	CHECK_OK(ipc_sock_peer_cred(a, &cred));
	CHECK_EQ(cred.uid, NOBODY);
	CHECK_OK(ipc_sock_recv(a, buf, sizeof(buf), &n, soon()));
	CHECK_EQ(n, 2);
	CHECK_CHILD_OK(pid, 5000);
	close_sock(a);
	close_sock(l);
}

static void foreign_connect_eperm(void *arg)
{
	struct peer *p = arg;
	ipc_sock *c;

	become_nobody();
	CHECK_ERR(ipc_sock_connect(&c, p->kind, p->addr, 0, soon()), -EPERM);
	CHECK(c == NULL);
	CHECK_OK(ipc_sock_connect(&c, p->kind, p->addr, IPC_O_SHARED, soon()));
	close_sock(c);
}

static void test_abstract_connect_policy(void)
{
	struct peer p = {.kind = IPC_SOCK_UNIX};
	ipc_sock *l;
	pid_t pid;

	if (!am_root())
		return;
	l = listen_at(IPC_SOCK_UNIX, check_abstract("cpol"), IPC_O_SHARED,
	              p.addr, sizeof(p.addr));
	pid = check_fork(foreign_connect_eperm, &p);
	CHECK_CHILD_OK(pid, 5000);
	close_sock(l);
}

static void foreign_datagram(void *arg)
{
	struct peer *p = arg;
	ipc_sock *c;
	size_t n;

	become_nobody();
	CHECK_OK(ipc_sock_connect(&c, IPC_SOCK_UNIXGRAM, p->addr, 0, soon()));
	CHECK_OK(ipc_sock_send(c, "them", 4, &n, soon()));
	close_sock(c);
}

static void test_abstract_dgram_policy(void)
{
	struct peer p = {0};
	ipc_sock *r;
	ipc_sock *c;
	char buf[8];
	size_t n;
	pid_t pid;

	if (!am_root())
		return;
	r = listen_at(IPC_SOCK_UNIXGRAM, check_abstract("dpol"), 0, p.addr,
	              sizeof(p.addr));
	pid = check_fork(foreign_datagram, &p);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_ERR(ipc_sock_peek_size(r, &n, IPC_DEADLINE_NOW), -EAGAIN);
	pid = check_fork(foreign_datagram, &p);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_sock_connect(&c, IPC_SOCK_UNIXGRAM, p.addr, 0, soon()));
	CHECK_OK(ipc_sock_send(c, "us", 2, &n, soon()));
	CHECK_OK(ipc_sock_recv(r, buf, sizeof(buf), &n, soon()));
	CHECK_EQ(n, 2);
	CHECK_MEM_EQ(buf, "us", 2);
	CHECK_ERR(ipc_sock_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	close_sock(c);
	close_sock(r);

	r = listen_at(IPC_SOCK_UNIXGRAM, check_abstract("dshared"),
	              IPC_O_SHARED, p.addr, sizeof(p.addr));
	pid = check_fork(foreign_datagram, &p);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_sock_recv(r, buf, sizeof(buf), &n, soon()));
	CHECK_EQ(n, 4);
	CHECK_MEM_EQ(buf, "them", 4);
	close_sock(r);
}

/* --- messages: size, peek, addresses ----------------------------------- */

static void too_large(ipc_sock *a, ipc_sock *b)
{
	unsigned char msg[100];
	unsigned char buf[100];
	size_t n;

	check_fill(msg, sizeof(msg), 5, 0);
	CHECK_OK(ipc_sock_send(a, msg, sizeof(msg), &n, soon()));
	CHECK_EQ(n, sizeof(msg));
	CHECK_OK(ipc_sock_send(a, "next", 4, &n, soon()));
	CHECK_ERR(ipc_sock_recv(b, buf, 10, &n, soon()), -EMSGSIZE);
	CHECK_EQ(n, 100);
	CHECK_MEM_EQ(buf, msg, 10);
	CHECK_OK(ipc_sock_recv(b, buf, sizeof(buf), &n, soon()));
	CHECK_EQ(n, 4);
	CHECK_MEM_EQ(buf, "next", 4);
	/* Exactly the capacity fits. */
	CHECK_OK(ipc_sock_send(a, msg, sizeof(msg), &n, soon()));
	CHECK_OK(ipc_sock_recv(b, buf, sizeof(buf), &n, soon()));
	CHECK_EQ(n, 100);
}

static void test_recv_too_large(void)
{
	static const int kinds[] = {IPC_SOCK_UNIXGRAM, IPC_SOCK_UNIXPACKET};
	char addr[64];
	ipc_sock *a;
	ipc_sock *b;
	size_t i;

	for (i = 0; i < 2; i++) {
		CHECK_OK(ipc_sock_pair(&a, &b, kinds[i]));
		too_large(a, b);
		close_sock(a);
		close_sock(b);
	}
	b = listen_at(IPC_SOCK_UDP, "127.0.0.1:0", 0, addr, sizeof(addr));
	CHECK_OK(ipc_sock_connect(&a, IPC_SOCK_UDP, addr, 0, soon()));
	too_large(a, b);
	close_sock(a);
	close_sock(b);
}

static void test_send_too_large(void)
{
	unsigned char *big = calloc(1, 1u << 20);
	char addr[64];
	ipc_sock *a;
	ipc_sock *b;
	size_t n;

	CHECK(big != NULL);
	CHECK_OK(ipc_sock_pair(&a, &b, IPC_SOCK_UNIXGRAM));
	CHECK_ERR(ipc_sock_send(a, big, 1u << 20, &n, soon()), -EMSGSIZE);
	CHECK_EQ(n, 0);
	close_sock(a);
	close_sock(b);
	b = listen_at(IPC_SOCK_UDP, "127.0.0.1:0", 0, addr, sizeof(addr));
	CHECK_OK(ipc_sock_connect(&a, IPC_SOCK_UDP, addr, 0, soon()));
	CHECK_ERR(ipc_sock_send(a, big, 70000, &n, soon()), -EMSGSIZE);
	CHECK_ERR(ipc_sock_send_to(a, big, 70000, addr, soon()), -EMSGSIZE);
	close_sock(a);
	close_sock(b);
	free(big);
}

static void test_peek_size(void)
{
	unsigned char msg[1234];
	unsigned char buf[1234];
	char addr[64];
	ipc_sock *a;
	ipc_sock *b;
	size_t n;
	size_t len;

	check_fill(msg, sizeof(msg), 1, 0);
	CHECK_OK(ipc_sock_pair(&a, &b, IPC_SOCK_UNIXGRAM));
	CHECK_OK(ipc_sock_send(a, msg, sizeof(msg), &n, soon()));
	CHECK_OK(ipc_sock_send(a, msg, 0, &n, soon()));
	CHECK_OK(ipc_sock_peek_size(b, &len, soon()));
	CHECK_EQ(len, 1234);
	CHECK_OK(ipc_sock_peek_size(b, &len, IPC_DEADLINE_NOW));
	CHECK_EQ(len, 1234);
	CHECK_OK(ipc_sock_recv(b, buf, len, &n, soon()));
	CHECK_EQ(n, 1234);
	CHECK_MEM_EQ(buf, msg, n);
	CHECK_OK(ipc_sock_peek_size(b, &len, soon()));
	CHECK_EQ(len, 0);
	CHECK_OK(ipc_sock_recv(b, buf, 0, &n, soon()));
	CHECK_EQ(n, 0);
	CHECK_ERR(ipc_sock_peek_size(b, &len, IPC_DEADLINE_NOW), -EAGAIN);
	close_sock(a);
	close_sock(b);

	CHECK_OK(ipc_sock_pair(&a, &b, IPC_SOCK_UNIXPACKET));
	CHECK_OK(ipc_sock_send(a, msg, 77, &n, soon()));
	CHECK_OK(ipc_sock_peek_size(b, &len, soon()));
	CHECK_EQ(len, 77);
	close_sock(a);
	close_sock(b);

	b = listen_at(IPC_SOCK_UDP, "127.0.0.1:0", 0, addr, sizeof(addr));
	CHECK_OK(ipc_sock_connect(&a, IPC_SOCK_UDP, addr, 0, soon()));
	CHECK_OK(ipc_sock_send(a, msg, 999, &n, soon()));
	CHECK_OK(ipc_sock_peek_size(b, &len, soon()));
	CHECK_EQ(len, 999);
	CHECK_OK(ipc_sock_recv(b, buf, sizeof(buf), &n, soon()));
	CHECK_EQ(n, 999);
	close_sock(a);
	close_sock(b);
}

static void test_send_to_recv_from_unix(void)
{
	const char *pa = check_path("a");
	const char *pb = check_path("b");
	const char *an = check_abstract("from");
	char from[109];
	char tiny[4];
	char buf[16];
	ipc_sock *a;
	ipc_sock *b;
	ipc_sock *c;
	ipc_sock *d;
	size_t n;

	CHECK_OK(ipc_sock_listen(&a, IPC_SOCK_UNIXGRAM, pa, 0, 0));
	CHECK_OK(ipc_sock_listen(&b, IPC_SOCK_UNIXGRAM, pb, 0, 0));
	CHECK_OK(ipc_sock_send_to(a, "question", 8, pb, soon()));
	CHECK_OK(ipc_sock_recv_from(b, buf, sizeof(buf), &n, from, sizeof(from),
	                            soon()));
	CHECK_EQ(n, 8);
	CHECK_MEM_EQ(buf, "question", 8);
	CHECK_STR_EQ(from, pa);
	CHECK_OK(ipc_sock_send_to(b, "answer", 6, from, soon()));
	CHECK_OK(ipc_sock_recv_from(a, buf, sizeof(buf), &n, from, sizeof(from),
	                            soon()));
	CHECK_EQ(n, 6);
	CHECK_MEM_EQ(buf, "answer", 6);
	CHECK_STR_EQ(from, pb);

	/* An abstract sender reads back as "@name". */
	CHECK_OK(ipc_sock_listen(&c, IPC_SOCK_UNIXGRAM, an, 0, IPC_O_SHARED));
	CHECK_OK(ipc_sock_send_to(c, "abs", 3, pb, soon()));
	CHECK_OK(ipc_sock_recv_from(b, buf, sizeof(buf), &n, from, sizeof(from),
	                            soon()));
	CHECK_STR_EQ(from, an);
	CHECK_OK(ipc_sock_send_to(b, "back", 4, from, soon()));
	CHECK_OK(ipc_sock_recv(c, buf, sizeof(buf), &n, soon()));
	CHECK_EQ(n, 4);

	/* An unbound sender is "", which cannot be answered. */
	CHECK_OK(ipc_sock_connect(&d, IPC_SOCK_UNIXGRAM, pb, 0, soon()));
	CHECK_OK(ipc_sock_send(d, "anon", 4, &n, soon()));
	CHECK_OK(ipc_sock_recv_from(b, buf, sizeof(buf), &n, from, sizeof(from),
	                            soon()));
	CHECK_STR_EQ(from, "");
	CHECK_ERR(ipc_sock_send_to(b, "x", 1, from, soon()), -EINVAL);

	/* Too little room for the address: the datagram is consumed. */
	CHECK_OK(ipc_sock_send_to(a, "lost", 4, pb, soon()));
	CHECK_ERR(ipc_sock_recv_from(b, buf, sizeof(buf), &n, tiny,
	                             sizeof(tiny), soon()),
	          -ENAMETOOLONG);
	CHECK_EQ(n, 4);
	CHECK_ERR(ipc_sock_recv(b, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_ERR(ipc_sock_send_to(a, "x", 1, check_path("nobody"), soon()),
	          -ENOENT);

	close_sock(a);
	close_sock(b);
	close_sock(c);
	close_sock(d);
	unlink_sock(pa);
	unlink_sock(pb);
}

static void udp_send_to_recv_from(const char *any)
{
	char aaddr[64];
	char baddr[64];
	char from[109];
	char buf[16];
	ipc_sock *a;
	ipc_sock *b;
	size_t n;

	a = listen_at(IPC_SOCK_UDP, any, 0, aaddr, sizeof(aaddr));
	b = listen_at(IPC_SOCK_UDP, any, 0, baddr, sizeof(baddr));
	CHECK_OK(ipc_sock_send_to(a, "ping", 4, baddr, soon()));
	CHECK_OK(ipc_sock_recv_from(b, buf, sizeof(buf), &n, from, sizeof(from),
	                            soon()));
	CHECK_EQ(n, 4);
	CHECK_MEM_EQ(buf, "ping", 4);
	CHECK_STR_EQ(from, aaddr);
	CHECK_OK(ipc_sock_send_to(b, "pong", 4, from, soon()));
	CHECK_OK(ipc_sock_recv_from(a, buf, sizeof(buf), &n, from, sizeof(from),
	                            soon()));
	CHECK_MEM_EQ(buf, "pong", 4);
	CHECK_STR_EQ(from, baddr);
	close_sock(a);
	close_sock(b);
}

static void test_send_to_recv_from_udp4(void)
{
	udp_send_to_recv_from("127.0.0.1:0");
}

static void test_send_to_recv_from_udp6(void)
{
	if (have_ipv6())
		udp_send_to_recv_from("[::1]:0");
}

static void test_port(void)
{
	char addr[64];
	ipc_sock *l;
	ipc_sock *c;
	ipc_sock *a;
	uint16_t lport;
	uint16_t cport;
	uint16_t aport;

	l = listen_at(IPC_SOCK_TCP, "127.0.0.1:0", 0, addr, sizeof(addr));
	CHECK_OK(ipc_sock_port(l, &lport));
	CHECK(lport != 0);
	CHECK_OK(ipc_sock_connect(&c, IPC_SOCK_TCP, addr, 0, soon()));
	CHECK_OK(ipc_sock_accept(l, &a, soon()));
	CHECK_OK(ipc_sock_port(a, &aport));
	CHECK_EQ(aport, lport);
	CHECK_OK(ipc_sock_port(c, &cport));
	CHECK(cport != 0 && cport != lport);
	close_sock(c);
	close_sock(a);
	close_sock(l);
}

static const struct check_case cases[] = {
        CHECK_CASE(test_unix_stream_roundtrip),
        CHECK_CASE(test_abstract_stream_roundtrip),
        CHECK_CASE(test_tcp4_roundtrip),
        CHECK_CASE(test_tcp6_roundtrip),
        CHECK_CASE(test_unixgram_roundtrip),
        CHECK_CASE(test_abstract_dgram_roundtrip),
        CHECK_CASE(test_unixpacket_roundtrip),
        CHECK_CASE(test_udp4_roundtrip),
        CHECK_CASE(test_udp6_roundtrip),
        CHECK_CASE(test_pair_kinds),
        CHECK_CASE(test_recv_would_block),
        CHECK_CASE(test_recv_timeout),
        CHECK_CASE(test_accept_would_block),
        CHECK_CASE(test_accept_timeout),
        CHECK_CASE(test_connect_backlog_full),
        CHECK_CASE(test_unixgram_queue_full),
        CHECK_CASE(test_null_handle),
        CHECK_CASE(test_wrong_kind),
        CHECK_CASE(test_bad_inet_addresses),
        CHECK_CASE(test_bad_unix_addresses),
        CHECK_CASE(test_addr_in_use),
        CHECK_CASE(test_replace),
        CHECK_CASE(test_connect_missing_and_dead),
        CHECK_CASE(test_socket_file_mode),
        CHECK_CASE(test_unlink),
        CHECK_CASE(test_descriptor_flags),
        CHECK_CASE(test_nonblock_flag_waits),
        CHECK_CASE(test_eof_on_peer_close),
        CHECK_CASE(test_sigpipe_never_kills),
        CHECK_CASE(test_shutdown_write),
        CHECK_CASE(test_eintr_recv),
        CHECK_CASE(test_eintr_recv_never),
        CHECK_CASE(test_eintr_accept),
        CHECK_CASE(test_fds_three_kinds),
        CHECK_CASE(test_fds_too_many_for_receiver),
        CHECK_CASE(test_fds_seqpacket),
        CHECK_CASE(test_fds_dgram),
        CHECK_CASE(test_fds_stream_large),
        CHECK_CASE(test_peer_cred),
        CHECK_CASE(test_abstract_accept_policy),
        CHECK_CASE(test_abstract_connect_policy),
        CHECK_CASE(test_abstract_dgram_policy),
        CHECK_CASE(test_recv_too_large),
        CHECK_CASE(test_send_too_large),
        CHECK_CASE(test_peek_size),
        CHECK_CASE(test_send_to_recv_from_unix),
        CHECK_CASE(test_send_to_recv_from_udp4),
        CHECK_CASE(test_send_to_recv_from_udp6),
        CHECK_CASE(test_port),
        {NULL, NULL},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
