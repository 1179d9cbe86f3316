/* SPDX-License-Identifier: MIT */
/*
 * test_chan.c - channels: the same tests over every URL kind.
 *
 * A kind table (kinds[]) says how to make a "loop" of each kind: an end a
 * that sends and an end b where those messages arrive, either in one
 * process or split across two (the objects are made before the fork; named
 * objects are opened by URL in each process after it). Each test below is
 * one function taking a kind; KIND_CASES() expands it into one case per
 * kind ("roundtrip_fd", "roundtrip_pipe", ...).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ipc/chan.h"
#include "ipc/frame.h"
#include "ipc/mq.h"
#include "ipc/ring.h"
#include "ipc/sysvmq.h"
#include "ipc/url.h"

enum kind_id {
	K_FD,
	K_PIPE,
	K_FIFO,
	K_MQ,
	K_SYSVMQ,
	K_RING,
	K_UNIX,
	K_ABSTRACT,
	K_UNIXGRAM,
	K_UNIXPACKET,
	K_TCP4,
	K_TCP6,
	K_UDP,
};

struct kind {
	enum kind_id id;
	const char *name;
	bool stream;  /* a peer's death ends the stream (EPIPE/ECONNRESET) */
	bool framed;  /* frames on a byte stream: raw write/read work */
	bool named;   /* ends opened by URL after the fork */
	bool fds;     /* descriptor passing */
	bool cred;    /* peer credentials */
	bool listens; /* listen/accept stream kind */
};

static const struct kind kinds[] = {
        [K_FD] = {K_FD, "fd", true, true, false, false, false, false},
        [K_PIPE] = {K_PIPE, "pipe", true, true, false, false, false, false},
        [K_FIFO] = {K_FIFO, "fifo", true, true, true, false, false, false},
        [K_MQ] = {K_MQ, "mq", false, false, true, false, false, false},
        [K_SYSVMQ] = {K_SYSVMQ, "sysvmq", false, false, true, false, false,
                      false},
        [K_RING] = {K_RING, "ring", false, false, true, false, false, false},
        [K_UNIX] = {K_UNIX, "unix", true, true, false, false, true, true},
        [K_ABSTRACT] = {K_ABSTRACT, "abstract", true, true, false, false, true,
                        true},
        [K_UNIXGRAM] = {K_UNIXGRAM, "unixgram", false, false, false, true,
                        false, false},
        [K_UNIXPACKET] = {K_UNIXPACKET, "unixpacket", true, false, false, true,
                          true, true},
        [K_TCP4] = {K_TCP4, "tcp4", true, true, false, false, false, true},
        [K_TCP6] = {K_TCP6, "tcp6", true, true, false, false, false, true},
        [K_UDP] = {K_UDP, "udp", false, false, false, false, false, false},
};

/* One direction: what is sent on a arrives on b. */
struct loop {
	const struct kind *k;
	char url[512]; /* named kinds: the object's URL */
	ipc_chan *a;
	ipc_chan *b;
};

static ipc_deadline in_ms(int ms)
{
	return ipc_deadline_in_ms((int64_t)ms * check_slow());
}

static void unlink_url(void *arg)
{
	(void)ipc_unlink_url(arg);
	free(arg);
}

/* Remove the object behind @url when the case ends. */
static void defer_unlink(const char *url)
{
	char *copy = strdup(url);

	CHECK(copy != NULL);
	check_defer(unlink_url, copy);
}

/* Is ::1 usable here? */
static bool have_ipv6(void)
{
	ipc_chan *l;

	if (ipc_chan_listen(&l, "tcp://[::1]:0", 0, NULL) != 0)
		return false;
	CHECK_OK(ipc_chan_close(l));
	return true;
}

/* A listener, a connection to it, and the accepted end. */
static void sock_pair(const char *url, ipc_chan **a, ipc_chan **b)
{
	ipc_chan *l;

	CHECK_OK(ipc_chan_listen(&l, url, 0, NULL));
	CHECK_OK(ipc_chan_connect(a, ipc_chan_url(l), NULL, in_ms(5000)));
	CHECK_OK(ipc_chan_accept(l, b, in_ms(5000)));
	CHECK_OK(ipc_chan_close(l));
}

/* A bound datagram socket b and a sender a connected to it. */
static void dgram_pair(const char *url, ipc_chan **a, ipc_chan **b)
{
	CHECK_OK(ipc_chan_listen(b, url, 0, NULL));
	CHECK_OK(ipc_chan_connect(a, ipc_chan_url(*b), NULL, in_ms(5000)));
}

/*
 * Make the loop's object (named kinds) or both its ends (the others).
 * Named kinds get their ends from loop_open_a() / loop_open_b().
 */
static void loop_prepare(struct loop *L, const struct kind *k)
{
	char url[600];
	int p[2];

	memset(L, 0, sizeof(*L));
	L->k = k;
	switch (k->id) {
	case K_FD:
		CHECK(pipe2(p, O_CLOEXEC) == 0);
		snprintf(url, sizeof(url), "fd:%d", p[1]);
		CHECK_OK(ipc_chan_open(&L->a, url, IPC_O_WRITE, NULL,
		                       IPC_DEADLINE_NOW));
		snprintf(url, sizeof(url), "fd:%d", p[0]);
		CHECK_OK(ipc_chan_open(&L->b, url, 0, NULL, IPC_DEADLINE_NOW));
		break;
	case K_PIPE:
		CHECK_OK(ipc_chan_pipe(&L->b, &L->a, 0));
		break;
	case K_FIFO:
		snprintf(L->url, sizeof(L->url), "fifo:%s", check_path("fifo"));
		snprintf(url, sizeof(url), "%s?create=1&exclusive=1", L->url);
		/* Creating takes a direction: open the reader and close it. */
		CHECK_OK(ipc_chan_open(&L->b, url, IPC_O_READ, NULL,
		                       in_ms(1000)));
		CHECK_OK(ipc_chan_close(L->b));
		L->b = NULL;
		break;
	case K_MQ:
		snprintf(L->url, sizeof(L->url), "mq:%s",
		         check_posix_name("mq"));
		snprintf(url, sizeof(url), "%s?create=1&exclusive=1", L->url);
		CHECK_OK(ipc_chan_open(&L->b, url, 0, NULL, IPC_DEADLINE_NOW));
		defer_unlink(L->url);
		CHECK_OK(ipc_chan_close(L->b));
		L->b = NULL;
		break;
	case K_SYSVMQ:
		snprintf(L->url, sizeof(L->url), "sysvmq:%d",
		         (int)check_sysv_key());
		snprintf(url, sizeof(url), "%s?create=1&exclusive=1", L->url);
		CHECK_OK(ipc_chan_open(&L->b, url, 0, NULL, IPC_DEADLINE_NOW));
		defer_unlink(L->url);
		CHECK_OK(ipc_chan_close(L->b));
		L->b = NULL;
		break;
	case K_RING:
		snprintf(L->url, sizeof(L->url), "ring:%s",
		         check_posix_name("ring"));
		snprintf(url, sizeof(url), "%s?create=1&exclusive=1", L->url);
		CHECK_OK(ipc_chan_open(&L->b, url, 0, NULL, IPC_DEADLINE_NOW));
		defer_unlink(L->url);
		CHECK_OK(ipc_chan_close(L->b));
		L->b = NULL;
		break;
	case K_UNIX:
		snprintf(url, sizeof(url), "unix:%s", check_path("sock"));
		sock_pair(url, &L->a, &L->b);
		break;
	case K_ABSTRACT:
		snprintf(url, sizeof(url), "unix:%s", check_abstract("ab"));
		sock_pair(url, &L->a, &L->b);
		break;
	case K_UNIXGRAM:
		snprintf(url, sizeof(url), "unixgram:%s", check_path("dg"));
		dgram_pair(url, &L->a, &L->b);
		break;
	case K_UNIXPACKET:
		snprintf(url, sizeof(url), "unixpacket:%s", check_path("sp"));
		sock_pair(url, &L->a, &L->b);
		break;
	case K_TCP4:
		sock_pair("tcp://127.0.0.1:0", &L->a, &L->b);
		break;
	case K_TCP6:
		sock_pair("tcp://[::1]:0", &L->a, &L->b);
		break;
	case K_UDP:
		dgram_pair("udp://127.0.0.1:0", &L->a, &L->b);
		break;
	}
}

static void loop_open_b(struct loop *L)
{
	if (L->k->named)
		CHECK_OK(ipc_chan_open(&L->b, L->url, IPC_O_READ, NULL,
		                       in_ms(5000)));
}

static void loop_open_a(struct loop *L)
{
	if (L->k->named)
		CHECK_OK(ipc_chan_open(&L->a, L->url, IPC_O_WRITE, NULL,
		                       in_ms(5000)));
}

/* Both ends in this process. */
static void loop_make(struct loop *L, const struct kind *k)
{
	loop_prepare(L, k);
	loop_open_b(L);
	loop_open_a(L);
}

static void loop_close(struct loop *L)
{
	CHECK_OK(ipc_chan_close(L->a));
	CHECK_OK(ipc_chan_close(L->b));
	L->a = NULL;
	L->b = NULL;
}

/* After a fork: drop the ends this process does not use. */
static void loop_keep(struct loop *L, bool keep_a)
{
	if (keep_a) {
		CHECK_OK(ipc_chan_close(L->b));
		L->b = NULL;
		loop_open_a(L);
	} else {
		CHECK_OK(ipc_chan_close(L->a));
		L->a = NULL;
		loop_open_b(L);
	}
}

/* Skip kinds this machine cannot run; true when skipped. */
static bool skip(const struct kind *k)
{
	if (k->id == K_TCP6 && !have_ipv6()) {
		fprintf(stderr, "    skipped: ::1 is not usable here\n");
		return true;
	}
	return false;
}

/* --- round trip across two processes --------------------------------- */

static const size_t sizes[] = {0, 1, 63, 64, 65, 4095, 4096, 4097, 65536};

/* The sizes to try on a channel of limit @max, the max itself last. */
static size_t size_list(size_t max, size_t *out)
{
	size_t n = 0;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (sizes[i] < max)
			out[n++] = sizes[i];
	out[n++] = max;
	return n;
}

struct rt {
	struct loop up;   /* child -> parent */
	struct loop down; /* parent -> child */
	size_t max;
};

static void rt_child(void *arg)
{
	struct rt *r = arg;
	size_t list[16];
	size_t n = size_list(r->max, list);
	unsigned char *buf = malloc(r->max + 1);
	const void *data;
	size_t len;
	size_t i;

	CHECK(buf != NULL);
	loop_keep(&r->down, false);
	loop_keep(&r->up, true);
	for (i = 0; i < n; i++) {
		check_fill(buf, list[i], (unsigned int)i, 0);
		CHECK_OK(ipc_chan_send(r->up.a, buf, list[i], in_ms(10000)));
		/* The echo, borrowed: no buffer of our own. */
		CHECK_OK(ipc_chan_recv_borrow(r->down.b, &data, &len, NULL,
		                              in_ms(10000)));
		CHECK_EQ(len, list[i]);
		CHECK_MEM_EQ(data, buf, len);
	}
	CHECK_OK(ipc_chan_close(r->up.a));
	CHECK_OK(ipc_chan_close(r->down.b));
	free(buf);
}

static void roundtrip(const struct kind *k)
{
	struct rt r;
	unsigned char *buf;
	unsigned char *want;
	size_t list[16];
	size_t n;
	size_t got;
	size_t i;
	pid_t pid;

	if (skip(k))
		return;
	loop_prepare(&r.up, k);
	loop_prepare(&r.down, k);
	if (k->named) {
		/* The limit is the object's: ask an end of our own. */
		loop_open_b(&r.up);
		r.max = ipc_chan_max_message(r.up.b);
		CHECK_OK(ipc_chan_close(r.up.b));
		r.up.b = NULL;
	} else {
		r.max = ipc_chan_max_message(r.up.a);
		CHECK_EQ(ipc_chan_max_message(r.up.b), r.max);
	}
	CHECK(r.max > 0);
	n = size_list(r.max, list);
	buf = malloc(r.max + 1);
	want = malloc(r.max + 1);
	CHECK(buf != NULL && want != NULL);
	pid = check_fork(rt_child, &r);
	loop_keep(&r.up, false);
	loop_keep(&r.down, true);
	for (i = 0; i < n; i++) {
		check_fill(want, list[i], (unsigned int)i, 0);
		if (list[i] > 0) {
			/* Too small a buffer: the message stays. */
			CHECK_ERR(ipc_chan_recv(r.up.b, buf, list[i] - 1, &got,
			                        in_ms(10000)),
			          -EMSGSIZE);
			if (k->id != K_SYSVMQ)
				CHECK_EQ(got, list[i]);
		}
		CHECK_OK(ipc_chan_recv(r.up.b, buf, r.max, &got, in_ms(10000)));
		CHECK_EQ(got, list[i]);
		CHECK_MEM_EQ(buf, want, got);
		CHECK_OK(ipc_chan_send(r.down.a, buf, got, in_ms(10000)));
	}
	CHECK_CHILD_OK(pid, 20000);
	CHECK_OK(ipc_chan_close(r.up.b));
	CHECK_OK(ipc_chan_close(r.down.a));
	free(buf);
	free(want);
}

/* --- limits, would-block, timeouts, EINTR ------------------------------ */

static void limits(const struct kind *k)
{
	struct loop L;
	unsigned char *buf;
	size_t max;
	size_t got;

	if (skip(k))
		return;
	loop_make(&L, k);
	max = ipc_chan_max_message(L.a);
	buf = calloc(1, max + 1);
	CHECK(buf != NULL);
	/* One byte over: refused before anything is written. */
	CHECK_ERR(ipc_chan_send(L.a, buf, max + 1, in_ms(1000)), -EMSGSIZE);
	CHECK_ERR(ipc_chan_recv(L.b, buf, max + 1, &got, IPC_DEADLINE_NOW),
	          -EAGAIN);
	/* The channel still works. */
	CHECK_OK(ipc_chan_send(L.a, "x", 1, in_ms(1000)));
	CHECK_OK(ipc_chan_recv(L.b, buf, max, &got, in_ms(1000)));
	CHECK_EQ(got, 1);
	CHECK_EQ(buf[0], 'x');
	free(buf);
	loop_close(&L);
}

static void would_block_and_timeout(const struct kind *k)
{
	struct loop L;
	char buf[16];
	ipc_deadline start;
	size_t got;

	if (skip(k))
		return;
	loop_make(&L, k);
	CHECK_ERR(ipc_chan_recv(L.b, buf, sizeof(buf), &got, IPC_DEADLINE_NOW),
	          -EAGAIN);
	start = ipc_now();
	CHECK_ERR(ipc_chan_recv(L.b, buf, sizeof(buf), &got,
	                        ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	CHECK(!ipc_chan_readable(L.b));
	loop_close(&L);
}

static void eintr_retry(const struct kind *k)
{
	struct loop L;
	char buf[16];
	ipc_deadline start;
	ipc_deadline d;
	const void *data;
	size_t got;

	if (skip(k))
		return;
	loop_make(&L, k);
	start = ipc_now();
	d = ipc_deadline_in_ms(300 * check_slow());
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_chan_recv(L.b, buf, sizeof(buf), &got, d), -EINTR);
	check_signal_stop();
	/* The retry keeps the deadline: it ends on time, not later. */
	CHECK_ERR(ipc_chan_recv(L.b, buf, sizeof(buf), &got, d), -ETIMEDOUT);
	CHECK_ELAPSED(start, 300 * check_slow());
	/* A borrow too. */
	d = ipc_deadline_in_ms(5000);
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_chan_recv_borrow(L.b, &data, &got, NULL, d), -EINTR);
	check_signal_stop();
	CHECK_OK(ipc_chan_send(L.a, "ok", 2, in_ms(1000)));
	CHECK_OK(ipc_chan_recv_borrow(L.b, &data, &got, NULL, d));
	CHECK_EQ(got, 2);
	CHECK_MEM_EQ(data, "ok", 2);
	loop_close(&L);
}

/* --- a peer killed ------------------------------------------------------ */

#define KILL_MSG 1000

struct kill_arg {
	struct loop up;
	int mode; /* 0: cut inside a frame; 1: stream until killed */
};

static void kill_writer(void *arg)
{
	struct kill_arg *ka = arg;
	unsigned char buf[KILL_MSG];
	unsigned char hdr[IPC_FRAME_HEADER_SIZE];
	size_t n;
	unsigned int i;

	loop_keep(&ka->up, true);
	for (i = 0; ka->mode == 1 || i < 5; i++) {
		check_fill(buf, sizeof(buf), i, 0);
		memcpy(buf, &i, sizeof(i));
		CHECK_OK(ipc_chan_send(ka->up.a, buf, sizeof(buf),
		                       in_ms(10000)));
	}
	if (ka->up.k->framed) {
		/* Half a frame, then death. */
		CHECK_OK(ipc_frame_encode_header(hdr, KILL_MSG));
		CHECK_OK(ipc_chan_write(ka->up.a, hdr, sizeof(hdr), &n,
		                        in_ms(1000)));
		CHECK_OK(ipc_chan_write(ka->up.a, buf, 10, &n, in_ms(1000)));
	}
	raise(SIGKILL);
}

/*
 * The writer dies, cleanly between messages or inside one: every message
 * received is whole and in order, and the survivor then gets the end of
 * the stream (stream kinds) or its deadline (the others). Never a hang,
 * never a partial message.
 */
static void peer_killed(const struct kind *k, int mode)
{
	struct kill_arg ka;
	unsigned char buf[KILL_MSG + 16];
	unsigned char want[KILL_MSG];
	unsigned int i;
	unsigned int seq;
	ipc_status st;
	size_t got;
	pid_t pid;

	if (skip(k))
		return;
	ka.mode = mode;
	loop_prepare(&ka.up, k);
	pid = check_fork(kill_writer, &ka);
	loop_keep(&ka.up, false);
	if (mode == 1) {
		usleep(20000);
		CHECK(kill(pid, SIGKILL) == 0);
	}
	CHECK_KILLED_BY(pid, SIGKILL);
	for (i = 0;; i++) {
		st = ipc_chan_recv(ka.up.b, buf, sizeof(buf), &got,
		                   ipc_deadline_in_ms(k->stream ? 5000 : 200));
		if (st)
			break;
		CHECK_EQ(got, KILL_MSG);
		check_fill(want, sizeof(want), i, 0);
		memcpy(&seq, buf, sizeof(seq));
		CHECK_EQ(seq, i);
		CHECK_MEM_EQ(buf + sizeof(seq), want + sizeof(seq),
		             KILL_MSG - sizeof(seq));
	}
	if (mode == 0)
		CHECK_EQ(i, 5);
	if (!k->stream)
		CHECK_ERR(st, -ETIMEDOUT);
	else if (mode == 0 && k->framed)
		CHECK_ERR(st, -ECONNRESET);
	else
		CHECK(st == -EPIPE || st == -ECONNRESET);
	/* The end stays the end. */
	if (k->stream) {
		st = ipc_chan_recv(ka.up.b, buf, sizeof(buf), &got,
		                   in_ms(1000));
		CHECK(st == -EPIPE || st == -ECONNRESET);
	}
	CHECK_OK(ipc_chan_close(ka.up.b));
}

static void killed_inside_message(const struct kind *k)
{
	peer_killed(k, 0);
}

static void killed_while_streaming(const struct kind *k)
{
	peer_killed(k, 1);
}

static void kill_reader(void *arg)
{
	struct loop *L = arg;
	char buf[16];
	size_t n;

	loop_keep(L, false);
	/* One message, so the writer knows we were there; then death. */
	CHECK_OK(ipc_chan_recv(L->b, buf, sizeof(buf), &n, in_ms(5000)));
	raise(SIGKILL);
}

/* The reader dies: a stream's writer gets -EPIPE/-ECONNRESET, soon. */
static void reader_killed(const struct kind *k)
{
	struct loop L;
	unsigned char buf[4096];
	ipc_status st = 0;
	pid_t pid;
	int i;

	if (skip(k) || !k->stream)
		return;
	loop_prepare(&L, k);
	pid = check_fork(kill_reader, &L);
	loop_keep(&L, true);
	CHECK_OK(ipc_chan_send(L.a, "first", 5, in_ms(5000)));
	CHECK_KILLED_BY(pid, SIGKILL);
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < 1000 && st == 0; i++)
		st = ipc_chan_send(L.a, buf, sizeof(buf), in_ms(5000));
	CHECK(st == -EPIPE || st == -ECONNRESET);
	CHECK_OK(ipc_chan_close(L.a));
}

/* --- the rest of the API, per kind -------------------------------------- */

static void meta(const struct kind *k)
{
	struct ipc_chan_meta m = {5, 0};
	struct loop L;
	char buf[16];
	size_t got;

	if (skip(k))
		return;
	loop_make(&L, k);
	if (k->id == K_MQ) {
		CHECK_OK(ipc_chan_send_meta(L.a, "lo", 2, NULL, in_ms(1000)));
		CHECK_OK(ipc_chan_send_meta(L.a, "hi", 2, &m, in_ms(1000)));
		memset(&m, 0, sizeof(m));
		CHECK_OK(ipc_chan_recv_meta(L.b, buf, sizeof(buf), &got, &m,
		                            in_ms(1000)));
		CHECK_EQ(m.priority, 5);
		CHECK_MEM_EQ(buf, "hi", 2);
		CHECK_OK(ipc_chan_recv_meta(L.b, buf, sizeof(buf), &got, &m,
		                            in_ms(1000)));
		CHECK_EQ(m.priority, 0);
	} else {
		CHECK_ERR(ipc_chan_send_meta(L.a, "x", 1, &m, in_ms(1000)),
		          -EINVAL);
		CHECK(ipc_detail()[0] != '\0');
	}
	m.priority = 0;
	m.type = 7;
	if (k->id == K_SYSVMQ) {
		CHECK_OK(ipc_chan_send_meta(L.a, "one", 3, NULL, in_ms(1000)));
		CHECK_OK(ipc_chan_send_meta(L.a, "seven", 5, &m, in_ms(1000)));
		/* Take type 7 first, past the older type-1 message. */
		CHECK_OK(ipc_chan_recv_meta(L.b, buf, sizeof(buf), &got, &m,
		                            in_ms(1000)));
		CHECK_EQ(got, 5);
		CHECK_EQ(m.type, 7);
		m.type = 0;
		CHECK_OK(ipc_chan_recv_meta(L.b, buf, sizeof(buf), &got, &m,
		                            in_ms(1000)));
		CHECK_EQ(m.type, 1);
		CHECK_MEM_EQ(buf, "one", 3);
	} else {
		CHECK_ERR(ipc_chan_send_meta(L.a, "x", 1, &m, in_ms(1000)),
		          -EINVAL);
		CHECK(ipc_detail()[0] != '\0');
		CHECK_ERR(ipc_chan_recv_meta(L.b, buf, sizeof(buf), &got, &m,
		                             in_ms(1000)),
		          -EINVAL);
		CHECK(ipc_detail()[0] != '\0');
	}
	loop_close(&L);
}

static void raw_bytes(const struct kind *k)
{
	struct loop L;
	char buf[64];
	size_t n;
	size_t got = 0;

	if (skip(k))
		return;
	loop_make(&L, k);
	if (!k->framed) {
		CHECK_ERR(ipc_chan_write(L.a, "x", 1, &n, in_ms(100)),
		          -EOPNOTSUPP);
		CHECK_ERR(ipc_chan_read(L.b, buf, sizeof(buf), &n, in_ms(100)),
		          -EOPNOTSUPP);
		CHECK(!ipc_chan_is_framed(L.a));
		loop_close(&L);
		return;
	}
	CHECK(ipc_chan_is_framed(L.a));
	/* A frame and raw bytes behind it: the frame decoder reads ahead,
	 * and the raw read gets the read-ahead first. */
	CHECK_OK(ipc_chan_send(L.a, "msg", 3, in_ms(1000)));
	CHECK_OK(ipc_chan_write(L.a, "raw bytes", 9, &n, in_ms(1000)));
	CHECK_EQ(n, 9);
	usleep(10000);
	CHECK_OK(ipc_chan_recv(L.b, buf, sizeof(buf), &n, in_ms(1000)));
	CHECK_EQ(n, 3);
	while (got < 9) {
		CHECK_OK(ipc_chan_read(L.b, buf + got, sizeof(buf) - got, &n,
		                       in_ms(1000)));
		CHECK(n > 0);
		got += n;
	}
	CHECK_EQ(got, 9);
	CHECK_MEM_EQ(buf, "raw bytes", 9);
	CHECK_ERR(ipc_chan_read(L.b, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	/* End of stream reads as 0 bytes. */
	CHECK_OK(ipc_chan_close(L.a));
	L.a = NULL;
	CHECK_OK(ipc_chan_read(L.b, buf, sizeof(buf), &n, in_ms(1000)));
	CHECK_EQ(n, 0);
	CHECK_ERR(ipc_chan_recv(L.b, buf, sizeof(buf), &n, in_ms(1000)),
	          -EPIPE);
	CHECK_OK(ipc_chan_close(L.b));
}

static bool is_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl >= 0 && (fl & FD_CLOEXEC);
}

static void fds(const struct kind *k)
{
	struct loop L;
	const void *data;
	size_t len;
	size_t nfds;
	int p[2];
	int got[4];
	int before;
	char c;

	if (skip(k))
		return;
	loop_make(&L, k);
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	if (!k->fds) {
		CHECK_ERR(ipc_chan_send_fds(L.a, "x", 1, p, 2, in_ms(100)),
		          -EOPNOTSUPP);
		CHECK_ERR(ipc_chan_recv_fds(L.b, &data, &len, got, 4, &nfds,
		                            in_ms(100)),
		          -EOPNOTSUPP);
		goto out;
	}
	CHECK_ERR(ipc_chan_send_fds(L.a, "x", 1, p, 0, in_ms(100)), -EINVAL);
	CHECK(ipc_detail()[0] != '\0');
	CHECK_OK(ipc_chan_send_fds(L.a, "two", 3, p, 2, in_ms(1000)));
	CHECK_OK(ipc_chan_recv_fds(L.b, &data, &len, got, 4, &nfds,
	                           in_ms(1000)));
	CHECK_EQ(len, 3);
	CHECK_MEM_EQ(data, "two", 3);
	CHECK_EQ(nfds, 2);
	CHECK(is_cloexec(got[0]) && is_cloexec(got[1]));
	/* They are the pipe: write on the received write end. */
	CHECK(write(got[1], "z", 1) == 1);
	CHECK(read(p[0], &c, 1) == 1 && c == 'z');
	close(got[0]);
	close(got[1]);
	/* More than the receiver takes: all are closed, the message comes. */
	before = check_fd_count();
	CHECK_OK(ipc_chan_send_fds(L.a, "many", 4, p, 2, in_ms(1000)));
	CHECK_ERR(
	        ipc_chan_recv_fds(L.b, &data, &len, got, 1, &nfds, in_ms(1000)),
	        -EMSGSIZE);
	CHECK_EQ(nfds, 0);
	CHECK_EQ(len, 4);
	CHECK_EQ(check_fd_count(), before);
	/* Descriptors sent to a plain receive are closed too. */
	CHECK_OK(ipc_chan_send_fds(L.a, "lost", 4, p, 2, in_ms(1000)));
	CHECK_OK(ipc_chan_recv_borrow(L.b, &data, &len, NULL, in_ms(1000)));
	CHECK_EQ(check_fd_count(), before);
out:
	close(p[0]);
	close(p[1]);
	loop_close(&L);
}

struct cred_arg {
	char url[256];
};

static void cred_client(void *arg)
{
	struct cred_arg *ca = arg;
	ipc_chan *c;

	CHECK_OK(ipc_chan_connect(&c, ca->url, NULL, in_ms(5000)));
	CHECK_OK(ipc_chan_send(c, "hi", 2, in_ms(5000)));
	CHECK_OK(ipc_chan_close(c));
}

static void peer_cred(const struct kind *k)
{
	struct ipc_sock_cred cred;
	struct cred_arg ca;
	struct loop L;
	ipc_chan *l;
	ipc_chan *c;
	pid_t pid;

	if (skip(k))
		return;
	if (!k->cred) {
		loop_make(&L, k);
		if (k->id != K_UNIXGRAM)
			CHECK_ERR(ipc_chan_peer_cred(L.b, &cred), -EOPNOTSUPP);
		loop_close(&L);
		return;
	}
	if (k->id == K_ABSTRACT)
		snprintf(ca.url, sizeof(ca.url), "unix:%s",
		         check_abstract("c"));
	else
		snprintf(ca.url, sizeof(ca.url), "%s:%s",
		         k->id == K_UNIX ? "unix" : "unixpacket",
		         check_path("cred"));
	CHECK_OK(ipc_chan_listen(&l, ca.url, 0, NULL));
	CHECK_ERR(ipc_chan_peer_cred(l, &cred), -ENOTCONN);
	pid = check_fork(cred_client, &ca);
	CHECK_OK(ipc_chan_accept(l, &c, in_ms(5000)));
	CHECK_OK(ipc_chan_peer_cred(c, &cred));
	CHECK_EQ(cred.pid, pid);
	CHECK_EQ(cred.uid, geteuid());
	CHECK_EQ(cred.gid, getegid());
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_chan_close(c));
	CHECK_OK(ipc_chan_close(l));
}

/* Accessors and misuse on every kind. */
static void accessors(const struct kind *k)
{
	ipc_chan *other;
	struct loop L;
	char buf[8];
	size_t n;

	if (skip(k))
		return;
	loop_make(&L, k);
	CHECK(ipc_chan_url(L.a) != NULL && ipc_chan_url(L.b) != NULL);
	CHECK(ipc_chan_kind(L.a) >= IPC_URL_FD &&
	      ipc_chan_kind(L.a) <= IPC_URL_UDP);
	if (k->id == K_RING) {
		struct ipc_ring_stats rs;

		CHECK(ipc_chan_ring(L.a) != NULL);
		CHECK_OK(ipc_ring_stats(ipc_chan_ring(L.a), &rs));
		CHECK(rs.capacity >= IPC_RING_MIN_CAPACITY);
	} else {
		CHECK(ipc_chan_ring(L.a) == NULL);
	}
	CHECK(ipc_chan_ring(NULL) == NULL);
	if (k->id == K_RING || k->id == K_SYSVMQ) {
		CHECK_EQ(ipc_chan_fd(L.b), -1);
	} else {
		CHECK(ipc_chan_fd(L.b) >= 0);
		CHECK(is_cloexec(ipc_chan_fd(L.b)));
	}
	/* The other direction, where there is none. */
	if (k->id == K_FD || k->id == K_PIPE || k->id == K_FIFO || k->named) {
		CHECK_ERR(ipc_chan_send(L.b, "x", 1, IPC_DEADLINE_NOW),
		          -EINVAL);
		CHECK(ipc_detail()[0] != '\0');
		CHECK_ERR(ipc_chan_recv(L.a, buf, sizeof(buf), &n,
		                        IPC_DEADLINE_NOW),
		          -EINVAL);
		CHECK(ipc_detail()[0] != '\0');
	}
	other = (ipc_chan *)&L;
	CHECK_ERR(ipc_chan_accept(L.b, &other, IPC_DEADLINE_NOW), -EINVAL);
	CHECK(other == NULL);
	CHECK(ipc_detail()[0] != '\0');
	loop_close(&L);
}

/* Expand a per-kind test into one case function per kind. */
#define KINDS(X, T)                                                            \
	X(T, fd, K_FD)                                                         \
	X(T, pipe, K_PIPE)                                                     \
	X(T, fifo, K_FIFO)                                                     \
	X(T, mq, K_MQ)                                                         \
	X(T, sysvmq, K_SYSVMQ)                                                 \
	X(T, ring, K_RING)                                                     \
	X(T, unix, K_UNIX)                                                     \
	X(T, abstract, K_ABSTRACT)                                             \
	X(T, unixgram, K_UNIXGRAM)                                             \
	X(T, unixpacket, K_UNIXPACKET)                                         \
	X(T, tcp4, K_TCP4)                                                     \
	X(T, tcp6, K_TCP6)                                                     \
	X(T, udp, K_UDP)

#define DEFINE_ONE(T, name, id)                                                \
	static void T##_##name(void)                                           \
	{                                                                      \
		T(&kinds[id]);                                                 \
	}
#define CASE_ONE(T, name, id) {#T "_" #name, T##_##name},
#define KIND_TEST(T)          KINDS(DEFINE_ONE, T)
#define KIND_CASES(T)         KINDS(CASE_ONE, T)

KIND_TEST(roundtrip)
KIND_TEST(limits)
KIND_TEST(would_block_and_timeout)
KIND_TEST(eintr_retry)
KIND_TEST(killed_inside_message)
KIND_TEST(killed_while_streaming)
KIND_TEST(reader_killed)
KIND_TEST(meta)
KIND_TEST(raw_bytes)
KIND_TEST(fds)
KIND_TEST(peer_cred)
KIND_TEST(accessors)

/* --- tests that are not per kind ------------------------------------------ */

static void test_malformed_urls(void)
{
	static const char *const bad[] = {
	        "",
	        "nonsense",
	        "pipe:",
	        "fd:",
	        "fd:x",
	        "fd:-1",
	        "fifo:",
	        "mq:noslash",
	        "mq:/a/b",
	        "sysvmq:zz",
	        "unix:",
	        "tcp://127.0.0.1",
	        "tcp://127.0.0.1:99999",
	        "udp://:x",
	        "mq:/q?max_messages=",
	        "mq:/q?bogus=1",
	        "mq:/q?max_messages=1&max_messages=2",
	        "ring:/r?capacity=12Q",
	        "fifo:/tmp/x?max_messages=3",
	        "shm:/notachannel",
	        "sem:/notachannel",
	};
	ipc_chan *c = (ipc_chan *)1;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ipc_status st = ipc_chan_open(&c, bad[i], IPC_O_RDWR, NULL,
		                              IPC_DEADLINE_NOW);

		if (st != -EINVAL)
			check_fail(__FILE__, __LINE__, "\"%s\": got %s", bad[i],
			           check_errname(st));
		CHECK(c == NULL);
		if (ipc_detail()[0] == '\0')
			check_fail(__FILE__, __LINE__, "\"%s\": no detail",
			           bad[i]);
	}
	CHECK_ERR(ipc_chan_open(&c, NULL, IPC_O_RDWR, NULL, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK(ipc_detail()[0] != '\0');
	/* A listener needs a socket URL. */
	CHECK_ERR(ipc_chan_listen(&c, "mq:/x", 0, NULL), -EINVAL);
	CHECK(ipc_detail()[0] != '\0');
	CHECK_ERR(ipc_chan_listen(&c, "tcp://127.0.0.1:0", IPC_O_CREATE, NULL),
	          -EINVAL);
	CHECK(ipc_detail()[0] != '\0');
}

static void test_options_and_directions(void)
{
	struct ipc_chan_opts o = {0, 0, 0, 0};
	char url[512];
	ipc_chan *c;
	ipc_chan *w;
	int p[2];

	/* A FIFO is one direction. */
	snprintf(url, sizeof(url), "fifo:%s?create=1", check_path("f"));
	CHECK_ERR(ipc_chan_open(&c, url, IPC_O_RDWR, NULL, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK(strstr(ipc_detail(), "direction") != NULL);
	CHECK_ERR(ipc_chan_open(&c, url, 0, NULL, IPC_DEADLINE_NOW), -EINVAL);
	/* Unknown flags, options the kind does not take. */
	CHECK_ERR(ipc_chan_open(&c, url, IPC_O_READ | 0x8000u, NULL,
	                        IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK(ipc_detail()[0] != '\0');
	o.max_messages = 4;
	CHECK_ERR(ipc_chan_open(&c, url, IPC_O_READ, &o, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK(strstr(ipc_detail(), "max_messages") != NULL);
	CHECK_ERR(ipc_chan_open(&c, "tcp://127.0.0.1:1",
	                        IPC_O_RDWR | IPC_O_CREATE, NULL,
	                        IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK(ipc_detail()[0] != '\0');
	/* Opts win over the URL. */
	o.max_messages = 0;
	o.max_message_size = 100;
	snprintf(url, sizeof(url), "fifo:%s?create=1&max_message_size=1000",
	         check_path("g"));
	CHECK_OK(ipc_chan_open(&c, url, IPC_O_READ, &o, IPC_DEADLINE_NOW));
	CHECK_EQ(ipc_chan_max_message(c), 100);
	CHECK_OK(ipc_chan_close(c));
	CHECK_OK(ipc_chan_open(&c, url, IPC_O_READ, NULL, IPC_DEADLINE_NOW));
	CHECK_EQ(ipc_chan_max_message(c), 1000);
	/* A writer with the limit of 1000 meets a reader with 1000. */
	CHECK_OK(ipc_chan_open(&w, url, IPC_O_WRITE, NULL, in_ms(1000)));
	CHECK_OK(ipc_chan_close(w));
	CHECK_OK(ipc_chan_close(c));
	/* A lowered limit is the channel's own: the queue would take more. */
	snprintf(url, sizeof(url), "mq:%s", check_posix_name("low"));
	o.max_message_size = 100;
	CHECK_OK(ipc_chan_open(&c, url, IPC_O_RDWR | IPC_O_CREATE, &o,
	                       IPC_DEADLINE_NOW));
	defer_unlink(url);
	CHECK_EQ(ipc_chan_max_message(c), 100);
	CHECK_OK(ipc_chan_close(c));
	o.max_message_size = 50;
	CHECK_OK(ipc_chan_open(&c, url, IPC_O_RDWR, &o, IPC_DEADLINE_NOW));
	CHECK_EQ(ipc_chan_max_message(c), 50);
	CHECK_ERR(ipc_chan_send(c, url, 51, IPC_DEADLINE_NOW), -EMSGSIZE);
	CHECK_OK(ipc_chan_send(c, url, 50, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_chan_close(c));
	/* fd: for a direction the descriptor lacks. */
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	snprintf(url, sizeof(url), "fd:%d", p[0]);
	CHECK_ERR(ipc_chan_open(&c, url, IPC_O_WRITE, NULL, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK(strstr(ipc_detail(), "not open for writing") != NULL);
	close(p[0]);
	close(p[1]);
	/* A closed descriptor. */
	CHECK_ERR(ipc_chan_open(&c, url, IPC_O_READ, NULL, IPC_DEADLINE_NOW),
	          -EBADF);
	/* Without IPC_O_CREATE, nothing is made. */
	snprintf(url, sizeof(url), "mq:%s", check_posix_name("none"));
	CHECK_ERR(ipc_chan_open(&c, url, IPC_O_RDWR, NULL, IPC_DEADLINE_NOW),
	          -ENOENT);
	snprintf(url, sizeof(url), "unix:%s", check_path("none"));
	CHECK_ERR(ipc_chan_connect(&c, url, NULL, IPC_DEADLINE_NOW), -ENOENT);
}

static void test_misuse(void)
{
	const void *data;
	size_t n;
	char buf[4];
	ipc_chan *r;
	ipc_chan *w;

	CHECK_ERR(ipc_chan_send(NULL, "x", 1, IPC_DEADLINE_NOW), -EBADF);
	CHECK_ERR(ipc_chan_recv(NULL, buf, 4, &n, IPC_DEADLINE_NOW), -EBADF);
	CHECK_ERR(ipc_chan_recv_borrow(NULL, &data, &n, NULL, IPC_DEADLINE_NOW),
	          -EBADF);
	CHECK_ERR(ipc_chan_write(NULL, "x", 1, &n, IPC_DEADLINE_NOW), -EBADF);
	CHECK_ERR(ipc_chan_read(NULL, buf, 4, &n, IPC_DEADLINE_NOW), -EBADF);
	CHECK_ERR(ipc_chan_accept(NULL, &r, IPC_DEADLINE_NOW), -EBADF);
	CHECK_EQ(ipc_chan_fd(NULL), -1);
	CHECK_EQ(ipc_chan_max_message(NULL), 0);
	CHECK_EQ(ipc_chan_kind(NULL), 0);
	CHECK(ipc_chan_url(NULL) == NULL);
	CHECK(!ipc_chan_readable(NULL));
	CHECK(!ipc_chan_is_framed(NULL));
	CHECK_OK(ipc_chan_close(NULL));
	CHECK_ERR(ipc_chan_pipe(&r, &w, 1), -EINVAL);
	CHECK(ipc_detail()[0] != '\0');
	CHECK_OK(ipc_chan_pipe(&r, &w, 0));
	CHECK_EQ(ipc_chan_kind(r), IPC_URL_FD);
	CHECK_ERR(ipc_chan_send(w, NULL, 1, IPC_DEADLINE_NOW), -EINVAL);
	CHECK(ipc_detail()[0] != '\0');
	CHECK_ERR(ipc_chan_recv(r, NULL, 4, &n, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_ERR(ipc_chan_read(r, buf, 0, &n, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_ERR(ipc_chan_recv(r, buf, 4, NULL, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_OK(ipc_chan_close(r));
	CHECK_OK(ipc_chan_close(w));
}

/* A listener on port 0 reports the port the kernel chose. */
static void test_listener_url_port(void)
{
	static const char *const urls[] = {
	        "tcp://127.0.0.1:0", "udp://127.0.0.1:0", "tcp://[::1]:0"};
	struct ipc_url u;
	ipc_chan *l;
	ipc_chan *c;
	size_t i;

	for (i = 0; i < 3; i++) {
		if (i == 2 && !have_ipv6())
			break;
		CHECK_OK(ipc_chan_listen(&l, urls[i], 0, NULL));
		CHECK_OK(ipc_url_parse(ipc_chan_url(l), &u));
		CHECK(strstr(u.addr, ":0") == NULL ||
		      strlen(strstr(u.addr, ":0")) > 2);
		CHECK(strcmp(ipc_chan_url(l), urls[i]) != 0);
		/* And it is the address to reach it by. */
		CHECK_OK(ipc_chan_connect(&c, ipc_chan_url(l), NULL,
		                          in_ms(1000)));
		CHECK_OK(ipc_chan_close(c));
		CHECK_OK(ipc_chan_close(l));
	}
}

/* ----- interop with a plain-C peer speaking frames on a unix socket ----- */

static void raw_peer(void *arg)
{
	const char *path = arg;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	unsigned char msg[4 + 5] = {5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
	unsigned char in[64];
	size_t have = 0;
	size_t i;
	ssize_t n;
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	strcpy(sa.sun_path, path);
	CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	/* One frame a byte at a time: the decoder must put it together. */
	for (i = 0; i < sizeof(msg); i++) {
		CHECK(write(fd, msg + i, 1) == 1);
		usleep(1000);
	}
	/* An empty frame. */
	CHECK(write(fd, "\0\0\0\0", 4) == 4);
	/* The reply: "pong" as a frame. */
	while (have < 8) {
		n = read(fd, in + have, sizeof(in) - have);
		CHECK(n > 0);
		have += (size_t)n;
	}
	CHECK_EQ(have, 8);
	CHECK_MEM_EQ(in, "\4\0\0\0pong", 8);
	close(fd);
}

static void test_interop_raw_frames(void)
{
	const char *path = check_path("raw");
	char url[256];
	char buf[16];
	ipc_chan *l;
	ipc_chan *c;
	size_t n;
	pid_t pid;

	snprintf(url, sizeof(url), "unix:%s", path);
	CHECK_OK(ipc_chan_listen(&l, url, 0, NULL));
	pid = check_fork(raw_peer, (void *)path);
	CHECK_OK(ipc_chan_accept(l, &c, in_ms(5000)));
	CHECK_OK(ipc_chan_recv(c, buf, sizeof(buf), &n, in_ms(5000)));
	CHECK_EQ(n, 5);
	CHECK_MEM_EQ(buf, "hello", 5);
	CHECK_OK(ipc_chan_recv(c, buf, sizeof(buf), &n, in_ms(5000)));
	CHECK_EQ(n, 0);
	CHECK_OK(ipc_chan_send(c, "pong", 4, in_ms(5000)));
	CHECK_ERR(ipc_chan_recv(c, buf, sizeof(buf), &n, in_ms(5000)), -EPIPE);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_chan_close(c));
	CHECK_OK(ipc_chan_close(l));
}

/* A too-long frame header from a hostile peer: -EMSGSIZE, no allocation. */
static void test_hostile_length(void)
{
	unsigned char hdr[4] = {0xff, 0xff, 0xff, 0xff};
	struct loop L;
	char buf[16];
	size_t n;

	loop_make(&L, &kinds[K_PIPE]);
	CHECK_OK(ipc_chan_write(L.a, hdr, 4, &n, in_ms(1000)));
	CHECK_ERR(ipc_chan_recv(L.b, buf, sizeof(buf), &n, in_ms(1000)),
	          -EMSGSIZE);
	CHECK_EQ(n, 0);
	loop_close(&L);
}

/* A framed send that times out part way is finished later, never torn. */
/* An empty record in the middle of a seqpacket stream whose writer has
 * closed is a record, and the end stays the end. */
static void test_unixpacket_empty_record_before_close(void)
{
	struct loop L;
	char buf[8];
	size_t n;

	loop_make(&L, &kinds[K_UNIXPACKET]);
	CHECK_OK(ipc_chan_send(L.a, "a", 1, in_ms(1000)));
	CHECK_OK(ipc_chan_send(L.a, "", 0, in_ms(1000)));
	CHECK_OK(ipc_chan_send(L.a, "b", 1, in_ms(1000)));
	CHECK_OK(ipc_chan_close(L.a));
	L.a = NULL;
	CHECK_OK(ipc_chan_recv(L.b, buf, sizeof(buf), &n, in_ms(1000)));
	CHECK_EQ(n, 1);
	CHECK_OK(ipc_chan_recv(L.b, buf, sizeof(buf), &n, in_ms(1000)));
	CHECK_EQ(n, 0);
	CHECK_OK(ipc_chan_recv(L.b, buf, sizeof(buf), &n, in_ms(1000)));
	CHECK_EQ(n, 1);
	CHECK_EQ(buf[0], 'b');
	CHECK_ERR(ipc_chan_recv(L.b, buf, sizeof(buf), &n, in_ms(1000)),
	          -EPIPE);
	CHECK_ERR(ipc_chan_recv(L.b, buf, sizeof(buf), &n, in_ms(1000)),
	          -EPIPE);
	CHECK_OK(ipc_chan_close(L.b));
}

static void test_partial_send_finishes(void)
{
	struct loop L;
	unsigned char *big;
	unsigned char *in;
	size_t max = 1 << 20;
	size_t got = 0;
	size_t n;
	ipc_status st;
	int i;

	loop_make(&L, &kinds[K_UNIX]);
	big = malloc(max);
	in = malloc(max);
	CHECK(big != NULL && in != NULL);
	check_fill(big, max, 9, 0);
	/* Nobody reads: part of the frame goes, the rest stays queued. */
	st = ipc_chan_send(L.a, big, max, ipc_deadline_in_ms(50));
	CHECK_OK(st);
	/* The reader drains; empty raw writes push the queued rest. */
	for (i = 0; i < 1000; i++) {
		(void)ipc_chan_write(L.a, NULL, 0, &n, IPC_DEADLINE_NOW);
		st = ipc_chan_recv(L.b, in, max, &got, ipc_deadline_in_ms(10));
		if (st != -ETIMEDOUT)
			break;
	}
	CHECK_OK(st);
	CHECK_EQ(got, max);
	CHECK_MEM_EQ(in, big, max);
	free(big);
	free(in);
	loop_close(&L);
}

/* clang-format off */
static const struct check_case cases[] = {
	KIND_CASES(roundtrip)
	KIND_CASES(limits)
	KIND_CASES(would_block_and_timeout)
	KIND_CASES(eintr_retry)
	KIND_CASES(killed_inside_message)
	KIND_CASES(killed_while_streaming)
	KIND_CASES(reader_killed)
	KIND_CASES(meta)
	KIND_CASES(raw_bytes)
	KIND_CASES(fds)
	KIND_CASES(peer_cred)
	KIND_CASES(accessors)
	CHECK_CASE(test_malformed_urls),
	CHECK_CASE(test_options_and_directions),
	CHECK_CASE(test_misuse),
	CHECK_CASE(test_listener_url_port),
	CHECK_CASE(test_interop_raw_frames),
	CHECK_CASE(test_hostile_length),
	CHECK_CASE(test_partial_send_finishes),
	CHECK_CASE(test_unixpacket_empty_record_before_close),
	{NULL, NULL},
};
/* clang-format on */

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
