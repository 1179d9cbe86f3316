/* SPDX-License-Identifier: MIT */
/* Frames on byte streams: round trips across processes over pipes and
 * stream sockets, limits and hostile lengths, split headers and payloads,
 * EOF inside and between frames, deadlines, EINTR, partial sends, short
 * reads with real data (F8), several writers on one pipe, misuse (F10). */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "ipc/frame.h"

#define MIB       ((size_t)1 << 20)
#define LONG_MS   10000
#define SMALL_LIM 1000
#define N_OF(a)   (sizeof(a) / sizeof((a)[0]))

static ipc_deadline soon(void)
{
	return ipc_deadline_in_ms((int64_t)LONG_MS * check_slow());
}

static void make_pipe(int fds[2])
{
	CHECK(pipe2(fds, O_CLOEXEC) == 0);
}

static void make_socketpair(int fds[2])
{
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
}

static void close_fd(int fd)
{
	CHECK(close(fd) == 0);
}

static ipc_frame *frame_on(int fd, size_t limit, unsigned int flags)
{
	ipc_frame *f = NULL;

	CHECK_OK(ipc_frame_open(&f, fd, limit, flags));
	CHECK(f != NULL);
	return f;
}

/* Write all of @buf with plain write(2): the raw peer. */
static void raw_write(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

static void raw_header(int fd, uint32_t len)
{
	unsigned char hdr[4] = {(unsigned char)len, (unsigned char)(len >> 8),
	                        (unsigned char)(len >> 16),
	                        (unsigned char)(len >> 24)};

	raw_write(fd, hdr, sizeof(hdr));
}

/* Bytes waiting in the kernel on the reading end @fd. */
static size_t unread(int fd)
{
	int n = -1;

	CHECK(ioctl(fd, FIONREAD, &n) == 0);
	CHECK(n >= 0);
	return (size_t)n;
}

static void wait_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	CHECK(poll(&p, 1, LONG_MS * check_slow()) == 1);
}

static unsigned char *xmalloc(size_t n)
{
	unsigned char *p = malloc(n > 0 ? n : 1);

	CHECK(p != NULL);
	return p;
}

/* Receive one message and check it is @len bytes of pattern @seed. */
static void expect_msg(ipc_frame *f, size_t len, unsigned int seed,
                       ipc_deadline d)
{
	unsigned char *got = xmalloc(len + 1);
	unsigned char *want = xmalloc(len);
	size_t n = 12345;

	check_fill(want, len, seed, 0);
	CHECK_OK(ipc_frame_recv(f, got, len + 1, &n, d));
	CHECK_EQ(n, len);
	CHECK_MEM_EQ(got, want, len);
	free(got);
	free(want);
}

static void send_pattern(ipc_frame *f, size_t len, unsigned int seed,
                         ipc_deadline d)
{
	unsigned char *buf = xmalloc(len);

	check_fill(buf, len, seed, 0);
	CHECK_OK(ipc_frame_send(f, buf, len, d));
	free(buf);
}

/* xorshift64*: a small seeded generator both sides of a test can replay. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return rng_next(s) % n;
}

static uint64_t test_seed(const char *name)
{
	const char *e = getenv("IPC_TEST_SEED");
	uint64_t seed;

	if (e != NULL && e[0] != '\0')
		seed = strtoull(e, NULL, 0);
	else
		seed = (uint64_t)ipc_now() ^ ((uint64_t)getpid() << 32);
	if (seed == 0)
		seed = 1;
	printf("# %s: seed %llu (IPC_TEST_SEED=%llu repeats it)\n", name,
	       (unsigned long long)seed, (unsigned long long)seed);
	fflush(stdout);
	return seed;
}

/* ---- header helpers, open, misuse ---- */

static void test_header_encode_decode(void)
{
	unsigned char h[IPC_FRAME_HEADER_SIZE];
	unsigned char keep[IPC_FRAME_HEADER_SIZE] = {9, 9, 9, 9};
	size_t len = 77;

	CHECK_OK(ipc_frame_encode_header(h, 0x01020304));
	CHECK(h[0] == 4 && h[1] == 3 && h[2] == 2 && h[3] == 1);
	CHECK_OK(ipc_frame_decode_header(h, IPC_FRAME_MAX_LIMIT, &len));
	CHECK_EQ(len, 0x01020304);
	CHECK_OK(ipc_frame_encode_header(h, 0));
	CHECK(h[0] == 0 && h[1] == 0 && h[2] == 0 && h[3] == 0);
	CHECK_OK(ipc_frame_encode_header(h, 0xFFFFFFFFu));
	CHECK(h[0] == 0xFF && h[1] == 0xFF && h[2] == 0xFF && h[3] == 0xFF);
	CHECK_OK(ipc_frame_decode_header(h, IPC_FRAME_MAX_LIMIT, &len));
	CHECK_EQ(len, 0xFFFFFFFFu);
	CHECK_ERR(ipc_frame_decode_header(h, IPC_FRAME_DEFAULT_LIMIT, &len),
	          -EMSGSIZE);
	CHECK_EQ(len, 0);
	if (sizeof(size_t) > 4) {
		memcpy(h, keep, sizeof(h));
		CHECK_ERR(ipc_frame_encode_header(h, (size_t)0xFFFFFFFFu + 1),
		          -EMSGSIZE);
		CHECK_MEM_EQ(h, keep, sizeof(h));
		CHECK_ERR(ipc_frame_encode_header(h, SIZE_MAX), -EMSGSIZE);
	}
	/* Exactly the limit passes, one more does not. */
	CHECK_OK(ipc_frame_encode_header(h, SMALL_LIM));
	CHECK_OK(ipc_frame_decode_header(h, SMALL_LIM, &len));
	CHECK_EQ(len, SMALL_LIM);
	CHECK_OK(ipc_frame_encode_header(h, SMALL_LIM + 1));
	CHECK_ERR(ipc_frame_decode_header(h, SMALL_LIM, &len), -EMSGSIZE);
	CHECK_OK(ipc_frame_encode_header(h, 0));
	CHECK_OK(ipc_frame_decode_header(h, 0, &len));
	CHECK_EQ(len, 0);
}

static void test_open_datagram_socket_einval(void)
{
	static const int types[] = {SOCK_DGRAM, SOCK_SEQPACKET};
	ipc_frame *f;
	int fds[2];
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		CHECK(socketpair(AF_UNIX, types[i] | SOCK_CLOEXEC, 0, fds) ==
		      0);
		CHECK_ERR(ipc_frame_open(&f, fds[0], 0, 0), -EINVAL);
		CHECK(f == NULL);
		/* On failure the descriptor stays the caller's. */
		CHECK_ERR(ipc_frame_open(&f, fds[0], 0, IPC_FRAME_OWN_FD),
		          -EINVAL);
		CHECK(fcntl(fds[0], F_GETFD) >= 0);
		close_fd(fds[0]);
		close_fd(fds[1]);
	}
}

static void test_null_handle_ebadf(void)
{
	unsigned char buf[8] = {0};
	const void *data = buf;
	size_t n = 5;

	CHECK_ERR(ipc_frame_send(NULL, buf, 1, IPC_DEADLINE_NOW), -EBADF);
	CHECK_ERR(ipc_frame_flush(NULL, IPC_DEADLINE_NOW), -EBADF);
	CHECK_ERR(ipc_frame_recv(NULL, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EBADF);
	CHECK_EQ(n, 0);
	n = 5;
	CHECK_ERR(ipc_frame_recv_borrow(NULL, &data, &n, IPC_DEADLINE_NOW),
	          -EBADF);
	CHECK(data == NULL);
	CHECK_EQ(n, 0);
	CHECK_EQ(ipc_frame_pending(NULL), 0);
	CHECK_EQ(ipc_frame_buffered(NULL), 0);
	CHECK_EQ(ipc_frame_limit(NULL), 0);
	CHECK_EQ(ipc_frame_fd(NULL), -1);
	CHECK_OK(ipc_frame_close(NULL));
}

static void test_open_flags_limits_ownership(void)
{
	ipc_frame *f = NULL;
	int fds[2];

	make_pipe(fds);
	CHECK_ERR(ipc_frame_open(&f, -1, 0, 0), -EBADF);
	CHECK_ERR(ipc_frame_open(&f, fds[0], 0, 0x1u), -EINVAL);
	CHECK_ERR(ipc_frame_open(&f, fds[0], 0, IPC_FRAME_OWN_FD << 1),
	          -EINVAL);
	CHECK(f == NULL);
	if (sizeof(size_t) > 4) {
		CHECK_ERR(ipc_frame_open(&f, fds[0],
		                         (size_t)IPC_FRAME_MAX_LIMIT + 1, 0),
		          -EINVAL);
		CHECK(f == NULL);
	}
	f = frame_on(fds[0], 0, 0);
	CHECK_EQ(ipc_frame_limit(f), IPC_FRAME_DEFAULT_LIMIT);
	CHECK_EQ(ipc_frame_fd(f), fds[0]);
	CHECK_EQ(ipc_frame_pending(f), 0);
	CHECK_EQ(ipc_frame_buffered(f), 0);
	CHECK_OK(ipc_frame_close(f));
	/* Borrowed: still open. */
	CHECK(fcntl(fds[0], F_GETFD) >= 0);
	f = frame_on(fds[0], IPC_FRAME_MAX_LIMIT, 0);
	CHECK_EQ(ipc_frame_limit(f), IPC_FRAME_MAX_LIMIT);
	CHECK_OK(ipc_frame_close(f));
	f = frame_on(fds[0], 1, IPC_FRAME_OWN_FD);
	CHECK_EQ(ipc_frame_limit(f), 1);
	CHECK_OK(ipc_frame_close(f));
	/* Owned: closed with the handle. */
	CHECK(fcntl(fds[0], F_GETFD) < 0 && errno == EBADF);
	CHECK_ERR(ipc_frame_open(&f, fds[0], 0, 0), -EBADF);
	CHECK(f == NULL);
	close_fd(fds[1]);
}

/* ---- round trips across processes ---- */

static const size_t sizes[] = {0,    1,     7,     8,     63,
                               64,   65,    4091,  4092,  4093,
                               4096, 65535, 65536, 65537, 1 << 20};
#define NSIZES N_OF(sizes)
#define ROUNDS 3

struct peer {
	int fd;    /* the helper's end */
	int other; /* the case's end, closed in the helper */
};

static unsigned int msg_seed(size_t round, size_t i)
{
	return (unsigned int)(round * 100 + i + 1);
}

static void roundtrip_writer(void *arg)
{
	struct peer *p = arg;
	ipc_frame *f;
	size_t r;
	size_t i;

	close_fd(p->other);
	f = frame_on(p->fd, 0, IPC_FRAME_OWN_FD);
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < NSIZES; i++)
			send_pattern(f, sizes[i], msg_seed(r, i), soon());
	}
	CHECK_EQ(ipc_frame_pending(f), 0);
	CHECK_OK(ipc_frame_close(f));
}

/* Receive ROUNDS x sizes, alternating copy and borrow, then EOF. */
static void receive_all_sizes(ipc_frame *f)
{
	unsigned char *got = xmalloc(MIB + 1);
	unsigned char *want = xmalloc(MIB);
	const void *data;
	size_t n;
	size_t r;
	size_t i;

	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < NSIZES; i++) {
			check_fill(want, sizes[i], msg_seed(r, i), 0);
			if ((r + i) % 2 == 0) {
				CHECK_OK(ipc_frame_recv(f, got, MIB + 1, &n,
				                        soon()));
				data = got;
			} else {
				CHECK_OK(ipc_frame_recv_borrow(f, &data, &n,
				                               soon()));
			}
			CHECK_EQ(n, sizes[i]);
			CHECK_MEM_EQ(data, want, n);
		}
	}
	CHECK_ERR(ipc_frame_recv(f, got, MIB + 1, &n, soon()), -EPIPE);
	CHECK_EQ(ipc_frame_buffered(f), 0);
	free(got);
	free(want);
}

static void test_roundtrip_pipe_processes(void)
{
	struct peer p;
	ipc_frame *f;
	int fds[2];
	pid_t pid;

	make_pipe(fds);
	p.fd = fds[1];
	p.other = fds[0];
	pid = check_fork(roundtrip_writer, &p);
	close_fd(fds[1]);
	f = frame_on(fds[0], 0, IPC_FRAME_OWN_FD);
	receive_all_sizes(f);
	CHECK_OK(ipc_frame_close(f));
	CHECK_CHILD_OK(pid, LONG_MS);
}

/* The helper echoes every message back until the case closes its end. */
static void echo_helper(void *arg)
{
	struct peer *p = arg;
	unsigned char *buf = xmalloc(MIB);
	ipc_frame *f;
	ipc_status st;
	size_t n;

	close_fd(p->other);
	f = frame_on(p->fd, 0, IPC_FRAME_OWN_FD);
	for (;;) {
		st = ipc_frame_recv(f, buf, MIB, &n, soon());
		if (st == -EPIPE)
			break;
		CHECK_OK(st);
		CHECK_OK(ipc_frame_send(f, buf, n, soon()));
	}
	CHECK_OK(ipc_frame_close(f));
	free(buf);
}

static void test_roundtrip_socketpair_processes(void)
{
	unsigned char *buf = xmalloc(MIB);
	unsigned char *got = xmalloc(MIB + 1);
	const void *data;
	struct peer p;
	ipc_frame *f;
	int fds[2];
	size_t n;
	size_t r;
	size_t i;
	pid_t pid;

	make_socketpair(fds);
	p.fd = fds[1];
	p.other = fds[0];
	pid = check_fork(echo_helper, &p);
	close_fd(fds[1]);
	f = frame_on(fds[0], 0, IPC_FRAME_OWN_FD);
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < NSIZES; i++) {
			check_fill(buf, sizes[i], msg_seed(r, i), 0);
			CHECK_OK(ipc_frame_send(f, buf, sizes[i], soon()));
			if (i % 2 == 0) {
				CHECK_OK(ipc_frame_recv(f, got, MIB + 1, &n,
				                        soon()));
				data = got;
			} else {
				CHECK_OK(ipc_frame_recv_borrow(f, &data, &n,
				                               soon()));
			}
			CHECK_EQ(n, sizes[i]);
			CHECK_MEM_EQ(data, buf, n);
		}
	}
	/* Also several messages in flight before the first echo is read. */
	for (i = 0; i < NSIZES - 1; i++)
		send_pattern(f, sizes[i], msg_seed(9, i), soon());
	for (i = 0; i < NSIZES - 1; i++)
		expect_msg(f, sizes[i], msg_seed(9, i), soon());
	CHECK_OK(ipc_frame_close(f));
	CHECK_CHILD_OK(pid, LONG_MS);
	free(buf);
	free(got);
}

/* ---- lengths: zero, the limit, past it, hostile ---- */

static void test_zero_length_message(void)
{
	ipc_frame *w;
	ipc_frame *r;
	const void *data;
	unsigned char buf[4];
	int fds[2];
	size_t n = 99;

	make_pipe(fds);
	w = frame_on(fds[1], 0, IPC_FRAME_OWN_FD);
	r = frame_on(fds[0], 0, IPC_FRAME_OWN_FD);
	CHECK_OK(ipc_frame_send(w, NULL, 0, IPC_DEADLINE_NOW));
	CHECK_EQ(unread(fds[0]), IPC_FRAME_HEADER_SIZE);
	CHECK_OK(ipc_frame_send(w, buf, 0, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_frame_send(w, "x", 1, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_frame_recv(r, NULL, 0, &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 0);
	n = 99;
	CHECK_OK(ipc_frame_recv_borrow(r, &data, &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 0);
	/* A one-byte message after the empty ones is still whole. */
	CHECK_ERR(ipc_frame_recv(r, NULL, 0, &n, IPC_DEADLINE_NOW), -EMSGSIZE);
	CHECK_EQ(n, 1);
	CHECK_OK(ipc_frame_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 1);
	CHECK(buf[0] == 'x');
	CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_OK(ipc_frame_close(w));
	CHECK_OK(ipc_frame_close(r));
}

static void test_exact_limit_accepted(void)
{
	unsigned char buf[SMALL_LIM + 8];
	int kinds;
	ipc_frame *w;
	ipc_frame *r;
	int fds[2];

	for (kinds = 0; kinds < 2; kinds++) {
		if (kinds == 0)
			make_pipe(fds);
		else
			make_socketpair(fds);
		w = frame_on(fds[1], SMALL_LIM, IPC_FRAME_OWN_FD);
		r = frame_on(fds[0], SMALL_LIM, IPC_FRAME_OWN_FD);
		CHECK_EQ(ipc_frame_limit(r), SMALL_LIM);
		send_pattern(w, SMALL_LIM, 5, IPC_DEADLINE_NOW);
		send_pattern(w, SMALL_LIM - 1, 6, IPC_DEADLINE_NOW);
		send_pattern(w, SMALL_LIM, 7, IPC_DEADLINE_NOW);
		CHECK_EQ(unread(fds[0]), 3 * (SMALL_LIM + 4) - 1);
		expect_msg(r, SMALL_LIM, 5, IPC_DEADLINE_NOW);
		expect_msg(r, SMALL_LIM - 1, 6, IPC_DEADLINE_NOW);
		expect_msg(r, SMALL_LIM, 7, IPC_DEADLINE_NOW);
		/* A raw peer at exactly the limit, too. */
		raw_header(fds[1], SMALL_LIM);
		check_fill(buf, SMALL_LIM, 8, 0);
		raw_write(fds[1], buf, SMALL_LIM);
		expect_msg(r, SMALL_LIM, 8, IPC_DEADLINE_NOW);
		CHECK_OK(ipc_frame_close(w));
		CHECK_OK(ipc_frame_close(r));
	}
}

static void test_send_over_limit_refused(void)
{
	unsigned char *big = xmalloc(IPC_FRAME_DEFAULT_LIMIT + 1);
	unsigned char buf[SMALL_LIM + 1];
	ipc_frame *w;
	ipc_frame *wd;
	int fds[2];

	make_pipe(fds);
	w = frame_on(fds[1], SMALL_LIM, 0);
	memset(buf, 'a', sizeof(buf));
	CHECK_ERR(
	        ipc_frame_send(w, buf, SMALL_LIM + 1, ipc_deadline_in_ms(100)),
	        -EMSGSIZE);
	CHECK_ERR(ipc_frame_send(w, buf, SIZE_MAX, IPC_DEADLINE_NOW),
	          -EMSGSIZE);
	CHECK_EQ(unread(fds[0]), 0);
	CHECK_EQ(ipc_frame_pending(w), 0);
	/* The handle is still fine for a message that fits. */
	CHECK_OK(ipc_frame_send(w, buf, SMALL_LIM, IPC_DEADLINE_NOW));
	CHECK_EQ(unread(fds[0]), SMALL_LIM + 4);
	CHECK_OK(ipc_frame_close(w));
	close_fd(fds[0]);
	close_fd(fds[1]);

	make_pipe(fds);
	wd = frame_on(fds[1], 0, IPC_FRAME_OWN_FD);
	CHECK_ERR(ipc_frame_send(wd, big, IPC_FRAME_DEFAULT_LIMIT + 1,
	                         IPC_DEADLINE_NOW),
	          -EMSGSIZE);
	CHECK_EQ(unread(fds[0]), 0);
	CHECK_OK(ipc_frame_close(wd));
	close_fd(fds[0]);
	free(big);
}

static void test_recv_over_limit_refused(void)
{
	unsigned char buf[SMALL_LIM + 1];
	const void *data;
	ipc_frame *r;
	int fds[2];
	size_t n = 99;

	make_pipe(fds);
	r = frame_on(fds[0], SMALL_LIM, IPC_FRAME_OWN_FD);
	/* A good frame first: it is delivered, then the bad one refused. */
	raw_header(fds[1], 3);
	raw_write(fds[1], "abc", 3);
	raw_header(fds[1], SMALL_LIM + 1);
	check_fill(buf, sizeof(buf), 1, 0);
	raw_write(fds[1], buf, sizeof(buf));
	CHECK_OK(ipc_frame_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 3);
	n = 99;
	CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EMSGSIZE);
	CHECK_EQ(n, 0); /* 0: the stream is broken, not a small buffer */
	/* The stream stays broken, whatever comes next. */
	raw_header(fds[1], 1);
	raw_write(fds[1], "z", 1);
	CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EMSGSIZE);
	CHECK_ERR(ipc_frame_recv_borrow(r, &data, &n, IPC_DEADLINE_NOW),
	          -EMSGSIZE);
	CHECK(ipc_frame_buffered(r) <= SMALL_LIM + 4);
	CHECK_OK(ipc_frame_close(r));
	close_fd(fds[1]);
}

/* Bytes malloc holds in mmap'ed chunks and on the heap. */
static size_t malloc_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.hblkhd + mi.uordblks;
}

/*
 * A header announcing ~4 GiB and no payload: refused at once, without
 * waiting for the payload and without allocating for it (a handle that
 * reserved the announced size would show in mallinfo2; under sanitizers
 * and valgrind that count is theirs and the check is weaker).
 */
static void hostile_length(size_t limit, uint32_t announced)
{
	unsigned char buf[64];
	ipc_deadline start;
	ipc_frame *r;
	int fds[2];
	size_t before;
	size_t n = 99;

	make_pipe(fds);
	r = frame_on(fds[0], limit, IPC_FRAME_OWN_FD);
	raw_header(fds[1], announced);
	raw_write(fds[1], "tail", 4);
	before = malloc_in_use();
	start = ipc_now();
	CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n, soon()), -EMSGSIZE);
	CHECK_EQ(n, 0);
	CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n, soon()), -EMSGSIZE);
	CHECK(ipc_now() - start < (ipc_deadline)500000000 * check_slow());
	CHECK(malloc_in_use() < before + MIB);
	CHECK_OK(ipc_frame_close(r));
	close_fd(fds[1]);
}

static void test_hostile_length_small_limit(void)
{
	hostile_length(SMALL_LIM, 0xFFFFFFF0u);
	hostile_length(SMALL_LIM, SMALL_LIM + 1);
}

static void test_hostile_length_default_limit(void)
{
	hostile_length(0, 0xFFFFFFF0u);
	hostile_length(0, 0xFFFFFFFFu);
	hostile_length(0, (uint32_t)IPC_FRAME_DEFAULT_LIMIT + 1);
}

/* ---- split frames, EOF ---- */

/* Feed two frames one byte at a time; nothing is delivered early. */
static void split_every_byte(int fds[2], bool borrow)
{
	unsigned char stream[2 * (4 + 300)];
	unsigned char want[300];
	unsigned char got[301];
	const void *data;
	ipc_frame *r;
	size_t total = sizeof(stream);
	size_t i;
	size_t n;
	int which = 0;
	size_t at = 0;

	r = frame_on(fds[0], 0, 0);
	CHECK_OK(ipc_frame_encode_header(stream, 300));
	check_fill(stream + 4, 300, 21, 0);
	CHECK_OK(ipc_frame_encode_header(stream + 304, 300));
	check_fill(stream + 308, 300, 22, 0);
	for (i = 0; i < total; i++) {
		raw_write(fds[1], stream + i, 1);
		if (i + 1 != 304 && i + 1 != total) {
			if (borrow)
				CHECK_ERR(
				        ipc_frame_recv_borrow(r, &data, &n,
				                              IPC_DEADLINE_NOW),
				        -EAGAIN);
			else
				CHECK_ERR(ipc_frame_recv(r, got, sizeof(got),
				                         &n, IPC_DEADLINE_NOW),
				          -EAGAIN);
			CHECK_EQ(ipc_frame_buffered(r), i + 1 - at);
			continue;
		}
		if (borrow) {
			CHECK_OK(ipc_frame_recv_borrow(r, &data, &n,
			                               IPC_DEADLINE_NOW));
		} else {
			CHECK_OK(ipc_frame_recv(r, got, sizeof(got), &n,
			                        IPC_DEADLINE_NOW));
			data = got;
		}
		check_fill(want, 300, (unsigned int)(21 + which), 0);
		CHECK_EQ(n, 300);
		CHECK_MEM_EQ(data, want, 300);
		CHECK_EQ(ipc_frame_buffered(r), 0);
		which++;
		at = i + 1;
	}
	CHECK_EQ(which, 2);
	CHECK_OK(ipc_frame_close(r));
}

static void test_split_every_byte_pipe(void)
{
	int fds[2];

	make_pipe(fds);
	split_every_byte(fds, false);
	split_every_byte(fds, true);
	close_fd(fds[0]);
	close_fd(fds[1]);
}

static void test_split_every_byte_socket(void)
{
	int fds[2];

	make_socketpair(fds);
	split_every_byte(fds, false);
	split_every_byte(fds, true);
	close_fd(fds[0]);
	close_fd(fds[1]);
}

/* Two frames at once, the second header cut in two: the first is
 * delivered, the second waits for its other half. */
static void test_header_straddles_reads(void)
{
	unsigned char s[4 + 5 + 2];
	unsigned char rest[2] = {0, 0};
	unsigned char got[16];
	ipc_frame *r;
	int fds[2];
	size_t n;

	make_pipe(fds);
	r = frame_on(fds[0], 0, IPC_FRAME_OWN_FD);
	CHECK_OK(ipc_frame_encode_header(s, 5));
	memcpy(s + 4, "hello", 5);
	CHECK_OK(ipc_frame_encode_header(got, 5));
	memcpy(s + 9, got, 2);
	raw_write(fds[1], s, sizeof(s));
	CHECK_OK(ipc_frame_recv(r, got, sizeof(got), &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 5);
	CHECK_MEM_EQ(got, "hello", 5);
	CHECK_ERR(ipc_frame_recv(r, got, sizeof(got), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_EQ(ipc_frame_buffered(r), 2);
	raw_write(fds[1], rest, 2); /* the last two header bytes */
	raw_write(fds[1], "world", 5);
	CHECK_OK(ipc_frame_recv(r, got, sizeof(got), &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 5);
	CHECK_MEM_EQ(got, "world", 5);
	CHECK_OK(ipc_frame_close(r));
	close_fd(fds[1]);
}

static void test_eof_mid_header(void)
{
	unsigned char hdr[4] = {10, 0, 0, 0};
	unsigned char buf[16];
	const void *data;
	ipc_frame *r;
	int fds[2];
	size_t cut;
	size_t n;

	for (cut = 1; cut < 4; cut++) {
		make_pipe(fds);
		r = frame_on(fds[0], 0, IPC_FRAME_OWN_FD);
		raw_write(fds[1], hdr, cut);
		close_fd(fds[1]);
		CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n, soon()),
		          -ECONNRESET);
		CHECK_EQ(n, 0);
		CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n, soon()),
		          -ECONNRESET);
		CHECK_ERR(ipc_frame_recv_borrow(r, &data, &n, soon()),
		          -ECONNRESET);
		CHECK_OK(ipc_frame_close(r));
	}
}

static void test_eof_mid_payload(void)
{
	unsigned char buf[200];
	ipc_frame *r;
	int fds[2];
	int kind;
	size_t n;

	memset(buf, 'p', sizeof(buf));
	for (kind = 0; kind < 2; kind++) {
		if (kind == 0)
			make_pipe(fds);
		else
			make_socketpair(fds);
		r = frame_on(fds[0], 0, IPC_FRAME_OWN_FD);
		raw_header(fds[1], 3);
		raw_write(fds[1], "abc", 3);
		raw_header(fds[1], 100);
		raw_write(fds[1], buf, 50);
		close_fd(fds[1]);
		CHECK_OK(ipc_frame_recv(r, buf, sizeof(buf), &n, soon()));
		CHECK_EQ(n, 3);
		n = 99;
		CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n, soon()),
		          -ECONNRESET);
		CHECK_EQ(n, 0);
		CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n,
		                         IPC_DEADLINE_NOW),
		          -ECONNRESET);
		CHECK_OK(ipc_frame_close(r));
	}
}

static void test_eof_at_boundary(void)
{
	unsigned char buf[16];
	const void *data;
	ipc_frame *w;
	ipc_frame *r;
	int fds[2];
	int kind;
	size_t n;

	for (kind = 0; kind < 2; kind++) {
		if (kind == 0)
			make_pipe(fds);
		else
			make_socketpair(fds);
		w = frame_on(fds[1], 0, IPC_FRAME_OWN_FD);
		r = frame_on(fds[0], 0, IPC_FRAME_OWN_FD);
		CHECK_OK(ipc_frame_send(w, "one", 3, IPC_DEADLINE_NOW));
		CHECK_OK(ipc_frame_send(w, "", 0, IPC_DEADLINE_NOW));
		CHECK_OK(ipc_frame_close(w));
		CHECK_OK(ipc_frame_recv(r, buf, sizeof(buf), &n, soon()));
		CHECK_EQ(n, 3);
		CHECK_OK(ipc_frame_recv(r, buf, sizeof(buf), &n, soon()));
		CHECK_EQ(n, 0);
		CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n, soon()),
		          -EPIPE);
		CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n,
		                         IPC_DEADLINE_NEVER),
		          -EPIPE);
		CHECK_ERR(ipc_frame_recv_borrow(r, &data, &n, IPC_DEADLINE_NOW),
		          -EPIPE);
		CHECK_OK(ipc_frame_close(r));
	}
}

/* ---- deadlines and signals ---- */

static void test_would_block(void)
{
	unsigned char buf[16];
	const void *data = buf;
	ipc_frame *r;
	int fds[2];
	size_t n = 99;

	make_pipe(fds);
	r = frame_on(fds[0], 0, IPC_FRAME_OWN_FD);
	CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_EQ(n, 0);
	CHECK_ERR(ipc_frame_recv_borrow(r, &data, &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK(data == NULL);
	raw_header(fds[1], 4);
	raw_write(fds[1], "ab", 2);
	CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_EQ(ipc_frame_buffered(r), 6);
	raw_write(fds[1], "cd", 2);
	CHECK_OK(ipc_frame_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 4);
	CHECK_MEM_EQ(buf, "abcd", 4);
	CHECK_OK(ipc_frame_close(r));
	close_fd(fds[1]);
}

static void test_recv_timeout_keeps_bytes(void)
{
	unsigned char msg[1000];
	unsigned char buf[1000];
	ipc_deadline start;
	ipc_frame *r;
	int fds[2];
	size_t n;

	make_pipe(fds);
	r = frame_on(fds[0], 0, IPC_FRAME_OWN_FD);
	start = ipc_now();
	CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n,
	                         ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	/* Half a frame, then the deadline: the half is kept. */
	check_fill(msg, sizeof(msg), 3, 0);
	raw_header(fds[1], sizeof(msg));
	raw_write(fds[1], msg, 500);
	start = ipc_now();
	CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n,
	                         ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	CHECK_EQ(ipc_frame_buffered(r), 504);
	CHECK_EQ(unread(fds[0]), 0);
	raw_write(fds[1], msg + 500, 500);
	CHECK_OK(ipc_frame_recv(r, buf, sizeof(buf), &n, soon()));
	CHECK_EQ(n, sizeof(msg));
	CHECK_MEM_EQ(buf, msg, sizeof(msg));
	CHECK_OK(ipc_frame_close(r));
	close_fd(fds[1]);
}

/*
 * A large payload read straight into the caller's buffer: when the
 * deadline passes part way, what arrived must stay in the handle, and a
 * later call (with another buffer) completes the message.
 */
#define DIRECT_LEN   200000
#define DIRECT_FIRST 10
#define DIRECT_MID   50000

struct slow_writer {
	int fd;
	int other;
	int go; /* read end of a control pipe: one byte per step */
	int go_w;
};

static void slow_writer_main(void *arg)
{
	struct slow_writer *a = arg;
	unsigned char *msg = xmalloc(DIRECT_LEN);
	char c;

	close_fd(a->other);
	close_fd(a->go_w);
	check_fill(msg, DIRECT_LEN, 50, 0);
	raw_header(a->fd, DIRECT_LEN);
	raw_write(a->fd, msg, DIRECT_FIRST);
	CHECK(read(a->go, &c, 1) == 1);
	raw_write(a->fd, msg + DIRECT_FIRST, DIRECT_MID);
	CHECK(read(a->go, &c, 1) == 1);
	raw_write(a->fd, msg + DIRECT_FIRST + DIRECT_MID,
	          DIRECT_LEN - DIRECT_FIRST - DIRECT_MID);
	close_fd(a->fd);
	close_fd(a->go);
	free(msg);
}

static void test_large_payload_timeout_keeps_bytes(void)
{
	unsigned char *a = xmalloc(DIRECT_LEN);
	unsigned char *b = xmalloc(DIRECT_LEN);
	unsigned char *want = xmalloc(DIRECT_LEN);
	struct slow_writer w;
	ipc_deadline start;
	ipc_frame *r;
	int fds[2];
	int ctl[2];
	int ms = 300 * check_slow();
	size_t n;
	pid_t pid;

	make_socketpair(fds);
	make_pipe(ctl);
	w.fd = fds[1];
	w.other = fds[0];
	w.go = ctl[0];
	w.go_w = ctl[1];
	pid = check_fork(slow_writer_main, &w);
	close_fd(fds[1]);
	close_fd(ctl[0]);
	r = frame_on(fds[0], 0, IPC_FRAME_OWN_FD);
	/* The header and a few bytes come into the handle's buffer... */
	while (ipc_frame_buffered(r) < 4 + DIRECT_FIRST) {
		wait_readable(fds[0]);
		CHECK_ERR(
		        ipc_frame_recv(r, a, DIRECT_LEN, &n, IPC_DEADLINE_NOW),
		        -EAGAIN);
	}
	CHECK_EQ(ipc_frame_buffered(r), 4 + DIRECT_FIRST);
	/* ...more arrives while a call reads into the caller's buffer, and
	 * then the deadline passes: those bytes move into the handle. */
	raw_write(ctl[1], "1", 1);
	memset(a, 0, DIRECT_LEN);
	start = ipc_now();
	CHECK_ERR(ipc_frame_recv(r, a, DIRECT_LEN, &n, ipc_deadline_in_ms(ms)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, ms);
	CHECK_EQ(ipc_frame_buffered(r), 4 + DIRECT_FIRST + DIRECT_MID);
	memset(a, 0, DIRECT_LEN);
	CHECK_ERR(ipc_frame_recv(r, a, DIRECT_LEN, &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_EQ(ipc_frame_buffered(r), 4 + DIRECT_FIRST + DIRECT_MID);
	/* Another buffer finishes the message. */
	raw_write(ctl[1], "2", 1);
	memset(b, 0, DIRECT_LEN);
	CHECK_OK(ipc_frame_recv(r, b, DIRECT_LEN, &n, soon()));
	CHECK_EQ(n, DIRECT_LEN);
	check_fill(want, DIRECT_LEN, 50, 0);
	CHECK_MEM_EQ(b, want, DIRECT_LEN);
	CHECK_EQ(ipc_frame_buffered(r), 0);
	CHECK_ERR(ipc_frame_recv(r, b, DIRECT_LEN, &n, soon()), -EPIPE);
	CHECK_OK(ipc_frame_close(r));
	close_fd(ctl[1]);
	CHECK_CHILD_OK(pid, LONG_MS);
	free(a);
	free(b);
	free(want);
}

static void test_eintr_recv(void)
{
	unsigned char msg[100];
	unsigned char buf[100];
	ipc_deadline start;
	ipc_deadline d;
	ipc_frame *r;
	int fds[2];
	size_t n;

	make_pipe(fds);
	r = frame_on(fds[0], 0, IPC_FRAME_OWN_FD);
	/* Blocking for ever: the signal ends the wait. */
	check_signal_after(SIGUSR1, 50);
	start = ipc_now();
	CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NEVER),
	          -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
	/* Mid-frame with a deadline: -EINTR keeps the bytes, and a retry
	 * with the same deadline still ends on time. */
	check_fill(msg, sizeof(msg), 4, 0);
	raw_header(fds[1], sizeof(msg));
	raw_write(fds[1], msg, 40);
	start = ipc_now();
	d = ipc_deadline_in_ms(300);
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n, d), -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
	CHECK_EQ(ipc_frame_buffered(r), 44);
	CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n, d), -ETIMEDOUT);
	CHECK_ELAPSED(start, 300);
	raw_write(fds[1], msg + 40, 60);
	CHECK_OK(ipc_frame_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, sizeof(msg));
	CHECK_MEM_EQ(buf, msg, sizeof(msg));
	CHECK_OK(ipc_frame_close(r));
	close_fd(fds[1]);
}

/* ---- buffering ---- */

static void test_recv_small_buffer(void)
{
	unsigned char msg[200];
	unsigned char buf[200];
	ipc_frame *w;
	ipc_frame *r;
	int fds[2];
	size_t n = 0;

	make_pipe(fds);
	w = frame_on(fds[1], 0, 0);
	r = frame_on(fds[0], 0, IPC_FRAME_OWN_FD);
	check_fill(msg, sizeof(msg), 9, 0);
	CHECK_OK(ipc_frame_send(w, msg, 100, IPC_DEADLINE_NOW));
	CHECK_ERR(ipc_frame_recv(r, buf, 50, &n, IPC_DEADLINE_NOW), -EMSGSIZE);
	CHECK_EQ(n, 100);
	CHECK_EQ(ipc_frame_buffered(r), 104);
	CHECK_ERR(ipc_frame_recv(r, buf, 99, &n, IPC_DEADLINE_NOW), -EMSGSIZE);
	CHECK_EQ(n, 100);
	CHECK_OK(ipc_frame_recv(r, buf, 100, &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 100);
	CHECK_MEM_EQ(buf, msg, 100);
	/* Only the header has arrived: the length is known already. */
	raw_header(fds[1], 200);
	raw_write(fds[1], msg, 10);
	CHECK_ERR(ipc_frame_recv(r, buf, 50, &n, IPC_DEADLINE_NOW), -EMSGSIZE);
	CHECK_EQ(n, 200);
	CHECK_ERR(ipc_frame_recv(r, buf, 200, &n, IPC_DEADLINE_NOW), -EAGAIN);
	raw_write(fds[1], msg + 10, 190);
	CHECK_OK(ipc_frame_recv(r, buf, 200, &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 200);
	CHECK_MEM_EQ(buf, msg, 200);
	CHECK_OK(ipc_frame_close(w));
	CHECK_OK(ipc_frame_close(r));
	close_fd(fds[1]);
}

static void test_recv_borrow(void)
{
	static const size_t lens[] = {10, 0, 5000, 1, 70000};
	unsigned char *want = xmalloc(70000);
	const void *data;
	ipc_frame *w;
	ipc_frame *r;
	int fds[2];
	size_t i;
	size_t n;

	make_socketpair(fds);
	w = frame_on(fds[1], 0, IPC_FRAME_OWN_FD);
	r = frame_on(fds[0], 0, IPC_FRAME_OWN_FD);
	for (i = 0; i < 4; i++)
		send_pattern(w, lens[i], (unsigned int)(30 + i),
		             IPC_DEADLINE_NOW);
	for (i = 0; i < 4; i++) {
		CHECK_OK(ipc_frame_recv_borrow(r, &data, &n, IPC_DEADLINE_NOW));
		check_fill(want, lens[i], (unsigned int)(30 + i), 0);
		CHECK_EQ(n, lens[i]);
		CHECK(data != NULL);
		CHECK_MEM_EQ(data, want, n);
	}
	/* Larger than the read-ahead: the buffer grows for it. */
	send_pattern(w, lens[4], 34, soon());
	CHECK_OK(ipc_frame_recv_borrow(r, &data, &n, soon()));
	check_fill(want, lens[4], 34, 0);
	CHECK_EQ(n, lens[4]);
	CHECK_MEM_EQ(data, want, n);
	CHECK_OK(ipc_frame_send(w, "after", 5, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_frame_recv_borrow(r, &data, &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 5);
	CHECK_MEM_EQ(data, "after", 5);
	CHECK_ERR(ipc_frame_recv_borrow(r, &data, &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK(data == NULL);
	CHECK_OK(ipc_frame_close(w));
	CHECK_OK(ipc_frame_close(r));
	free(want);
}

static void test_many_frames_one_read(void)
{
	unsigned char buf[128];
	ipc_frame *w;
	ipc_frame *r;
	int fds[2];
	size_t total = 0;
	size_t left;
	size_t len;
	size_t i;
	size_t n;

	make_pipe(fds);
	w = frame_on(fds[1], 0, IPC_FRAME_OWN_FD);
	r = frame_on(fds[0], 0, IPC_FRAME_OWN_FD);
	for (i = 0; i < 200; i++) {
		len = 1 + i % 100;
		send_pattern(w, len, (unsigned int)i, IPC_DEADLINE_NOW);
		total += 4 + len;
	}
	CHECK_EQ(unread(fds[0]), total);
	expect_msg(r, 1, 0, IPC_DEADLINE_NOW);
	/* One read took all of it: the rest comes from the buffer. */
	CHECK_EQ(unread(fds[0]), 0);
	left = total - 5;
	CHECK_EQ(ipc_frame_buffered(r), left);
	for (i = 1; i < 200; i++) {
		len = 1 + i % 100;
		expect_msg(r, len, (unsigned int)i, IPC_DEADLINE_NOW);
		left -= 4 + len;
		CHECK_EQ(ipc_frame_buffered(r), left);
	}
	CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_OK(ipc_frame_close(w));
	CHECK_OK(ipc_frame_close(r));
}

/*
 * A large message grows the buffer for itself only: once it is delivered
 * the handle goes back to its read-ahead size (visible in mallinfo2 with
 * glibc's allocator; sanitizers and valgrind bring their own, and there
 * the check is vacuous).
 */
static void test_large_message_memory_released(void)
{
	unsigned char *buf = xmalloc(4 * MIB);
	const void *data;
	ipc_frame *w;
	ipc_frame *r;
	pid_t pid;
	struct peer p;
	int fds[2];
	size_t before;
	size_t n;

	make_socketpair(fds);
	p.fd = fds[1];
	p.other = fds[0];
	pid = check_fork(echo_helper, &p);
	close_fd(fds[1]);
	w = frame_on(fds[0], 0, 0);
	r = frame_on(fds[0], 0, 0);
	send_pattern(w, 10, 40, soon());
	expect_msg(r, 10, 40, soon());
	before = malloc_in_use();
	check_fill(buf, MIB - 1, 41, 0);
	CHECK_OK(ipc_frame_send(w, buf, MIB - 1, soon()));
	CHECK_OK(ipc_frame_recv(r, buf, 4 * MIB, &n, soon()));
	CHECK_EQ(n, MIB - 1);
	CHECK(malloc_in_use() < before + 256 * 1024);
	/* Borrowed, it stays until the next call on the handle. */
	CHECK_OK(ipc_frame_send(w, buf, MIB - 1, soon()));
	CHECK_OK(ipc_frame_recv_borrow(r, &data, &n, soon()));
	CHECK_EQ(n, MIB - 1);
	CHECK_MEM_EQ(data, buf, n);
	send_pattern(w, 10, 42, soon());
	expect_msg(r, 10, 42, soon());
	CHECK(malloc_in_use() < before + 256 * 1024);
	CHECK_OK(ipc_frame_close(w));
	CHECK_OK(ipc_frame_close(r));
	close_fd(fds[0]);
	CHECK_CHILD_OK(pid, LONG_MS);
	free(buf);
}

/* ---- sending: partial frames, no reader ---- */

struct drain {
	int fd;
	int other;
	size_t big;
};

#define SMALL_MSG 100

static void drain_helper(void *arg)
{
	struct drain *dr = arg;
	ipc_frame *r;
	unsigned char buf[16];
	size_t n;

	close_fd(dr->other);
	r = frame_on(dr->fd, 0, IPC_FRAME_OWN_FD);
	expect_msg(r, dr->big, 11, soon());
	expect_msg(r, SMALL_MSG, 12, soon());
	CHECK_ERR(ipc_frame_recv(r, buf, sizeof(buf), &n, soon()), -EPIPE);
	CHECK_OK(ipc_frame_close(r));
}

/*
 * A big frame into a stream nobody reads: the deadline passes part way,
 * the call succeeds with the rest queued, a later frame waits behind it,
 * and a reader that turns up gets both whole.
 */
static void partial_send(bool socket)
{
	unsigned char *big = xmalloc(MIB);
	unsigned char small[SMALL_MSG];
	struct drain dr;
	ipc_deadline start;
	ipc_frame *w;
	int fds[2];
	size_t queued;
	size_t pending;
	pid_t pid;

	if (socket)
		make_socketpair(fds);
	else
		make_pipe(fds);
	w = frame_on(fds[1], 0, 0);
	check_fill(big, MIB, 11, 0);
	check_fill(small, sizeof(small), 12, 0);
	start = ipc_now();
	CHECK_OK(ipc_frame_send(w, big, MIB, ipc_deadline_in_ms(100)));
	CHECK_ELAPSED(start, 100);
	pending = ipc_frame_pending(w);
	queued = unread(fds[0]);
	CHECK(pending > 0 && pending < MIB + 4);
	if (!socket)
		CHECK_EQ(pending + queued, MIB + 4);
	/* Nothing of the next frame goes out while the first is stuck. */
	CHECK_ERR(ipc_frame_send(w, small, sizeof(small), IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_ERR(
	        ipc_frame_send(w, small, sizeof(small), ipc_deadline_in_ms(20)),
	        -ETIMEDOUT);
	CHECK_ERR(ipc_frame_flush(w, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_EQ(unread(fds[0]), queued);
	CHECK_EQ(ipc_frame_pending(w), pending);

	dr.fd = fds[0];
	dr.other = fds[1];
	dr.big = MIB;
	pid = check_fork(drain_helper, &dr);
	close_fd(fds[0]);
	if (socket) {
		/* The next send finishes the queued frame first. */
		CHECK_OK(ipc_frame_send(w, small, sizeof(small), soon()));
		CHECK_EQ(ipc_frame_pending(w), 0);
		CHECK_OK(ipc_frame_flush(w, IPC_DEADLINE_NOW));
	} else {
		CHECK_OK(ipc_frame_flush(w, soon()));
		CHECK_EQ(ipc_frame_pending(w), 0);
		CHECK_OK(ipc_frame_send(w, small, sizeof(small), soon()));
	}
	CHECK_OK(ipc_frame_close(w));
	close_fd(fds[1]);
	CHECK_CHILD_OK(pid, LONG_MS);
	free(big);
}

static void test_partial_send_pipe(void)
{
	partial_send(false);
}

static void test_partial_send_socket(void)
{
	partial_send(true);
}

static void test_send_no_reader_epipe(void)
{
	unsigned char *big = xmalloc(100000);
	ipc_frame *w;
	int fds[2];
	int kind;

	memset(big, 'b', 100000);
	for (kind = 0; kind < 2; kind++) {
		if (kind == 0)
			make_pipe(fds);
		else
			make_socketpair(fds);
		close_fd(fds[0]);
		w = frame_on(fds[1], 0, IPC_FRAME_OWN_FD);
		CHECK_ERR(ipc_frame_send(w, "x", 1, IPC_DEADLINE_NOW), -EPIPE);
		CHECK_ERR(ipc_frame_send(w, big, 100000, soon()), -EPIPE);
		CHECK_ERR(ipc_frame_send(w, "", 0, IPC_DEADLINE_NEVER), -EPIPE);
		CHECK_EQ(ipc_frame_pending(w), 0);
		CHECK_OK(ipc_frame_close(w));
	}
	free(big);
}

/* ---- short reads with real data (F8) ---- */

#define F8_FRAMES 10000

/* The size of frame @i: mostly small, some past the read-ahead. */
static size_t f8_size(uint64_t *s)
{
	uint64_t k = rng_below(s, 100);

	if (k < 60)
		return (size_t)rng_below(s, 65);
	if (k < 90)
		return (size_t)rng_below(s, 4100);
	if (k < 99)
		return (size_t)rng_below(s, 20000);
	return (size_t)rng_below(s, 200000);
}

struct f8_arg {
	int fd;
	int other;
	uint64_t seed;
};

static void f8_writer(void *arg)
{
	struct f8_arg *a = arg;
	unsigned char *frame = xmalloc(4 + 200000);
	uint64_t sizes_rng = a->seed;
	uint64_t chunk_rng = a->seed ^ UINT64_C(0x9E3779B97F4A7C15);
	static const size_t maxes[] = {1, 3, 16, 512, 8192, 70000};
	size_t len;
	size_t off;
	size_t max;
	size_t c;
	int i;

	close_fd(a->other);
	for (i = 0; i < F8_FRAMES; i++) {
		len = f8_size(&sizes_rng);
		CHECK_OK(ipc_frame_encode_header(frame, len));
		check_fill(frame + 4, len, (unsigned int)i, 0);
		max = maxes[rng_below(&chunk_rng, N_OF(maxes))];
		if (len > 2000 && max < 512)
			max = 512;
		for (off = 0; off < 4 + len; off += c) {
			c = 1 + (size_t)rng_below(&chunk_rng, max);
			if (c > 4 + len - off)
				c = 4 + len - off;
			raw_write(a->fd, frame + off, c);
		}
	}
	close_fd(a->fd);
	free(frame);
}

static void test_short_reads_random_chunks(void)
{
	unsigned char *got = xmalloc(200000);
	unsigned char *want = xmalloc(200000);
	struct f8_arg a;
	const void *data;
	uint64_t sizes_rng;
	uint64_t pick;
	ipc_frame *r;
	ipc_status st;
	int fds[2];
	size_t len;
	size_t n;
	pid_t pid;
	int i;

	a.seed = test_seed("test_short_reads_random_chunks");
	sizes_rng = a.seed;
	pick = a.seed + 1;
	make_pipe(fds);
	a.fd = fds[1];
	a.other = fds[0];
	pid = check_fork(f8_writer, &a);
	close_fd(fds[1]);
	r = frame_on(fds[0], 0, IPC_FRAME_OWN_FD);
	for (i = 0; i < F8_FRAMES; i++) {
		len = f8_size(&sizes_rng);
		check_fill(want, len, (unsigned int)i, 0);
		switch (rng_below(&pick, 4)) {
		case 0: /* a caller that polls: try now, wait, try again */
			while ((st = ipc_frame_recv(r, got, 200000, &n,
			                            IPC_DEADLINE_NOW)) ==
			       -EAGAIN)
				wait_readable(fds[0]);
			CHECK_OK(st);
			data = got;
			break;
		case 1:
			if (len > 0) {
				CHECK_ERR(ipc_frame_recv(r, got, len - 1, &n,
				                         soon()),
				          -EMSGSIZE);
				CHECK_EQ(n, len);
			}
			CHECK_OK(ipc_frame_recv(r, got, len, &n, soon()));
			data = got;
			break;
		case 2:
			CHECK_OK(ipc_frame_recv_borrow(r, &data, &n, soon()));
			break;
		default:
			CHECK_OK(ipc_frame_recv(r, got, 200000, &n,
			                        IPC_DEADLINE_NEVER));
			data = got;
			break;
		}
		CHECK_EQ(n, len);
		if (!check_memeq(data, want, len))
			check_fail(__FILE__, __LINE__, "frame %d differs", i);
	}
	CHECK_ERR(ipc_frame_recv(r, got, 200000, &n, soon()), -EPIPE);
	CHECK_OK(ipc_frame_close(r));
	CHECK_CHILD_OK(pid, LONG_MS);
	free(got);
	free(want);
}

/* ---- several writers on one pipe (RELIABILITY 2.2, F5) ---- */

#define WRITERS        4
#define FRAMES_PER     500
#define ATOMIC_PAYLOAD (4096 - IPC_FRAME_HEADER_SIZE)

struct writer_arg {
	int fd;
	int other;
	unsigned int id;
};

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void shared_writer(void *arg)
{
	struct writer_arg *a = arg;
	unsigned char buf[ATOMIC_PAYLOAD];
	uint64_t s = 1000 + a->id;
	ipc_frame *w;
	size_t len;
	uint32_t seq;

	close_fd(a->other);
	w = frame_on(a->fd, 0, IPC_FRAME_OWN_FD);
	for (seq = 0; seq < FRAMES_PER; seq++) {
		len = seq % 5 == 0
		              ? ATOMIC_PAYLOAD
		              : 12 + (size_t)rng_below(&s, ATOMIC_PAYLOAD - 11);
		put_u32(buf, a->id);
		put_u32(buf + 4, seq);
		put_u32(buf + 8, (uint32_t)len);
		check_fill(buf + 12, len - 12, a->id * 100000 + seq, 0);
		CHECK_OK(ipc_frame_send(w, buf, len, soon()));
	}
	CHECK_OK(ipc_frame_close(w));
}

static void test_several_writers_never_interleave(void)
{
	struct writer_arg args[WRITERS];
	unsigned char want[ATOMIC_PAYLOAD];
	uint32_t next[WRITERS] = {0};
	pid_t pids[WRITERS];
	const unsigned char *p;
	const void *data;
	ipc_frame *r;
	uint32_t id;
	uint32_t seq;
	int fds[2];
	size_t n;
	int i;

	make_pipe(fds);
	for (i = 0; i < WRITERS; i++) {
		args[i].fd = fds[1];
		args[i].other = fds[0];
		args[i].id = (unsigned int)i;
		pids[i] = check_fork(shared_writer, &args[i]);
	}
	close_fd(fds[1]);
	r = frame_on(fds[0], 0, IPC_FRAME_OWN_FD);
	for (i = 0; i < WRITERS * FRAMES_PER; i++) {
		CHECK_OK(ipc_frame_recv_borrow(r, &data, &n, soon()));
		p = data;
		CHECK(n >= 12 && n <= ATOMIC_PAYLOAD);
		id = get_u32(p);
		seq = get_u32(p + 4);
		CHECK(id < WRITERS);
		CHECK_EQ(seq, next[id]);
		CHECK_EQ(get_u32(p + 8), n);
		check_fill(want, n - 12, id * 100000 + seq, 0);
		CHECK_MEM_EQ(p + 12, want, n - 12);
		next[id]++;
	}
	CHECK_ERR(ipc_frame_recv_borrow(r, &data, &n, soon()), -EPIPE);
	for (i = 0; i < WRITERS; i++) {
		CHECK_EQ(next[i], FRAMES_PER);
		CHECK_CHILD_OK(pids[i], LONG_MS);
	}
	CHECK_OK(ipc_frame_close(r));
}

/* A borrowed message stays valid across sends on the same handle, so an
 * echo can send it straight back, also while a partial frame is queued. */
static void test_borrow_survives_send(void)
{
	unsigned char *want = xmalloc(70000);
	const void *data;
	ipc_frame *a;
	ipc_frame *b;
	int fds[2];
	size_t n;

	make_socketpair(fds);
	a = frame_on(fds[0], 0, IPC_FRAME_OWN_FD);
	b = frame_on(fds[1], 0, IPC_FRAME_OWN_FD);
	send_pattern(a, 70000, 41, soon());
	send_pattern(a, 5, 42, soon());
	CHECK_OK(ipc_frame_recv_borrow(b, &data, &n, soon()));
	CHECK_EQ(n, 70000);
	/* Echo it back, then check the borrowed bytes are still intact. */
	CHECK_OK(ipc_frame_send(b, data, n, soon()));
	check_fill(want, 70000, 41, 0);
	CHECK_MEM_EQ(data, want, 70000);
	CHECK_OK(ipc_frame_recv_borrow(a, &data, &n, soon()));
	CHECK_EQ(n, 70000);
	CHECK_MEM_EQ(data, want, 70000);
	CHECK_OK(ipc_frame_recv_borrow(b, &data, &n, soon()));
	CHECK_EQ(n, 5);
	CHECK_OK(ipc_frame_close(a));
	CHECK_OK(ipc_frame_close(b));
	free(want);
}

static const struct check_case cases[] = {
        CHECK_CASE(test_header_encode_decode),
        CHECK_CASE(test_open_datagram_socket_einval),
        CHECK_CASE(test_null_handle_ebadf),
        CHECK_CASE(test_open_flags_limits_ownership),
        CHECK_CASE(test_roundtrip_pipe_processes),
        CHECK_CASE(test_roundtrip_socketpair_processes),
        CHECK_CASE(test_zero_length_message),
        CHECK_CASE(test_exact_limit_accepted),
        CHECK_CASE(test_send_over_limit_refused),
        CHECK_CASE(test_recv_over_limit_refused),
        CHECK_CASE(test_hostile_length_small_limit),
        CHECK_CASE(test_hostile_length_default_limit),
        CHECK_CASE(test_split_every_byte_pipe),
        CHECK_CASE(test_split_every_byte_socket),
        CHECK_CASE(test_header_straddles_reads),
        CHECK_CASE(test_eof_mid_header),
        CHECK_CASE(test_eof_mid_payload),
        CHECK_CASE(test_eof_at_boundary),
        CHECK_CASE(test_would_block),
        CHECK_CASE(test_recv_timeout_keeps_bytes),
        CHECK_CASE(test_large_payload_timeout_keeps_bytes),
        CHECK_CASE(test_eintr_recv),
        CHECK_CASE(test_recv_small_buffer),
        CHECK_CASE(test_recv_borrow),
        CHECK_CASE(test_borrow_survives_send),
        CHECK_CASE(test_many_frames_one_read),
        CHECK_CASE(test_large_message_memory_released),
        CHECK_CASE(test_partial_send_pipe),
        CHECK_CASE(test_partial_send_socket),
        CHECK_CASE(test_send_no_reader_epipe),
        CHECK_CASE(test_short_reads_random_chunks),
        CHECK_CASE(test_several_writers_never_interleave),
        {NULL, NULL},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
