/* SPDX-License-Identifier: MIT */
/*
 * The message ring: round trips, reserve/commit and peek/release, wrap
 * with every size, errors and misuse, hostile objects, MPMC load across
 * processes and threads with a CRC on every message, processes killed at
 * every crash point, and a wake-up soak.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ipc/ring.h"
#include "ring_internal.h"

#define MS(x) ipc_deadline_in_ms(x)

/* ------------------------------------------------------------ helpers */

static uint32_t crc_table[256];

static void crc_init(void)
{
	uint32_t c;
	int i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
}

/* CRC32C (Castagnoli), bytewise. */
static uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (crc_table[1] == 0)
		crc_init();
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static long scale(void)
{
	const char *s = getenv("IPC_TEST_SCALE");
	long v = s != NULL ? atol(s) : 1;

	return v > 0 ? v : 1;
}

static const char *dev_path(const char *name)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "/dev/shm%s", name);
	return buf;
}

static void unlink_name(void *arg)
{
	(void)ipc_ring_unlink(arg);
	free(arg);
}

/* A fresh ring name, removed when the case ends. */
static const char *ring_name(const char *tag)
{
	char *n = strdup(check_posix_name(tag));

	CHECK(n != NULL);
	check_defer(unlink_name, n);
	return n;
}

static ipc_ring *ring_new(const char *name, unsigned int flags, size_t cap)
{
	ipc_ring *r = NULL;

	CHECK_OK(ipc_ring_open(&r, name, flags | IPC_O_CREATE | IPC_O_EXCL, 0,
	                       cap));
	CHECK(r != NULL);
	return r;
}

static ipc_ring *ring_get(const char *name, unsigned int flags)
{
	ipc_ring *r = NULL;

	CHECK_OK(ipc_ring_open(&r, name, flags, 0, 0));
	CHECK(r != NULL);
	return r;
}

static void send_ok(ipc_ring *r, const void *buf, size_t len)
{
	CHECK_OK(ipc_ring_send(r, buf, len, MS(5000)));
}

static void recv_expect(ipc_ring *r, const void *want, size_t len)
{
	static uint8_t buf[1 << 20];
	size_t n = 0;

	CHECK_OK(ipc_ring_recv(r, buf, sizeof(buf), &n, MS(5000)));
	CHECK_EQ(n, len);
	CHECK_MEM_EQ(buf, want, len);
}

/* --------------------------------------------------------- basic cases */

struct child_arg {
	const char *name;
	long n;
	int id;
	unsigned int flags;
};

/* Reads a->n messages from ring a->name and answers each on "<name>-r". */
static void echo_child(void *arg)
{
	struct child_arg *a = arg;
	char back[128];
	ipc_ring *in, *out;
	char buf[256];
	size_t n;
	long i;

	snprintf(back, sizeof(back), "%s-r", a->name);
	in = ring_get(a->name, IPC_O_READ);
	out = ring_get(back, IPC_O_WRITE);
	for (i = 0; i < a->n; i++) {
		CHECK_OK(ipc_ring_recv(in, buf, sizeof(buf), &n, MS(5000)));
		CHECK(n > 0 && buf[0] == 'q');
		buf[0] = 'a';
		CHECK_OK(ipc_ring_send(out, buf, n, MS(5000)));
	}
	CHECK_OK(ipc_ring_close(in));
	CHECK_OK(ipc_ring_close(out));
}

static void test_roundtrip(void)
{
	const char *name = ring_name("rt");
	char back[128];
	ipc_ring *r = ring_new(name, IPC_O_RDWR, 0);
	ipc_ring *b;
	struct child_arg a = {name, 100, 0, 0};
	char msg[] = "question";
	char buf[64];
	size_t n;
	pid_t pid;
	long i;

	snprintf(back, sizeof(back), "%s-r", name);
	check_defer(unlink_name, strdup(back));
	b = ring_new(back, IPC_O_READ, 4096);
	CHECK_EQ(ipc_ring_capacity(r), 1 << 20);
	CHECK_EQ(ipc_ring_max_message(r), (1 << 19) - 16);
	CHECK_STR_EQ(ipc_ring_name(r), name);
	/* In one process. */
	send_ok(r, "hello", 5);
	send_ok(r, "", 0);
	recv_expect(r, "hello", 5);
	recv_expect(r, "", 0);
	/* Across two. */
	pid = check_fork(echo_child, &a);
	for (i = 0; i < a.n; i++) {
		msg[0] = 'q';
		msg[1] = (char)('0' + i % 10);
		send_ok(r, msg, sizeof(msg));
		CHECK_OK(ipc_ring_recv(b, buf, sizeof(buf), &n, MS(5000)));
		CHECK_EQ(n, sizeof(msg));
		CHECK(buf[0] == 'a' && buf[1] == msg[1]);
	}
	CHECK_CHILD_OK(pid, 10000);
	CHECK_OK(ipc_ring_close(r));
	CHECK_OK(ipc_ring_close(b));
}

static void test_roundtrip_peek(void)
{
	const char *name = ring_name("rtp");
	ipc_ring *w = ring_new(name, IPC_O_WRITE, 4096);
	ipc_ring *rd = ring_get(name, IPC_O_READ);
	const void *p;
	size_t n;

	send_ok(w, "abc", 3);
	CHECK_OK(ipc_ring_peek(rd, &p, &n, MS(1000)));
	CHECK_EQ(n, 3);
	CHECK_MEM_EQ(p, "abc", 3);
	CHECK(((uintptr_t)p & 7) == 0);
	CHECK_ERR(ipc_ring_peek(rd, &p, &n, IPC_DEADLINE_NOW), -EBUSY);
	CHECK_ERR(ipc_ring_recv(rd, (void *)&p, 0, &n, IPC_DEADLINE_NOW),
	          -EBUSY);
	CHECK_OK(ipc_ring_release(rd));
	CHECK_ERR(ipc_ring_release(rd), -ENOENT);
	CHECK_ERR(ipc_ring_peek(rd, &p, &n, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK(p == NULL && n == 0);
	CHECK_OK(ipc_ring_close(w));
	CHECK_OK(ipc_ring_close(rd));
}

static void test_reserve_commit(void)
{
	const char *name = ring_name("rc");
	ipc_ring *r = ring_new(name, IPC_O_RDWR, 4096);
	struct ipc_ring_stats st;
	void *p;
	void *q;
	char buf[64];
	size_t n;

	CHECK_OK(ipc_ring_reserve(r, 10, &p, MS(1000)));
	CHECK(p != NULL && ((uintptr_t)p & 7) == 0);
	CHECK_ERR(ipc_ring_reserve(r, 10, &q, MS(1000)), -EBUSY);
	CHECK(q == NULL);
	CHECK_ERR(ipc_ring_send(r, "x", 1, MS(1000)), -EBUSY);
	/* Not visible before the commit. */
	CHECK_ERR(ipc_ring_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK(!ipc_ring_readable(r));
	memcpy(p, "0123456789", 10);
	CHECK_ERR(ipc_ring_commit(r, 11), -EINVAL); /* stays open */
	CHECK_OK(ipc_ring_commit(r, 4));            /* shorter */
	CHECK_ERR(ipc_ring_commit(r, 4), -ENOENT);
	CHECK_ERR(ipc_ring_abort(r), -ENOENT);
	CHECK(ipc_ring_readable(r));
	recv_expect(r, "0123", 4);
	/* Abort: nobody sees it, and the room comes back. */
	CHECK_OK(ipc_ring_reserve(r, 100, &p, MS(1000)));
	CHECK_OK(ipc_ring_abort(r));
	CHECK(!ipc_ring_readable(r));
	CHECK_ERR(ipc_ring_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	send_ok(r, "z", 1);
	recv_expect(r, "z", 1);
	CHECK_OK(ipc_ring_stats(r, &st));
	CHECK_EQ(st.used, 0);
	CHECK_EQ(st.msgs_in, 2);
	CHECK_EQ(st.msgs_out, 2);
	CHECK_EQ(st.bytes_in, 5);
	/* Close with a reservation open: aborted. */
	CHECK_OK(ipc_ring_reserve(r, 1, &p, MS(1000)));
	CHECK_OK(ipc_ring_close(r));
	r = ring_get(name, IPC_O_RDWR);
	CHECK_ERR(ipc_ring_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_OK(ipc_ring_stats(r, &st));
	CHECK_EQ(st.used, 0);
	/* Close with a peek open: released. */
	send_ok(r, "y", 1);
	CHECK_OK(ipc_ring_peek(r, (const void **)&p, &n, MS(1000)));
	CHECK_OK(ipc_ring_close(r));
	r = ring_get(name, IPC_O_RDWR);
	CHECK_OK(ipc_ring_stats(r, &st));
	CHECK_EQ(st.used, 0);
	CHECK_EQ(st.msgs_out, 3);
	CHECK_OK(ipc_ring_close(r));
}

/* Every size, so that records wrap and straddle at every offset. */
static void test_wrap_sizes(void)
{
	const char *name = ring_name("wrap");
	ipc_ring *r = ring_new(name, IPC_O_RDWR, 4096);
	size_t max = ipc_ring_max_message(r);
	static uint8_t out[4096], in[4096];
	struct ipc_ring_stats st;
	size_t len, n, k;
	void *p;

	CHECK_EQ(max, 2048 - 16);
	for (len = 0; len <= max; len++) {
		check_fill(out, len, (unsigned int)len, 0);
		if (len % 3 == 0) {
			CHECK_OK(
			        ipc_ring_reserve(r, len, &p, IPC_DEADLINE_NOW));
			memcpy(p, out, len);
			CHECK_OK(ipc_ring_commit(r, len));
		} else {
			CHECK_OK(ipc_ring_send(r, out, len, IPC_DEADLINE_NOW));
		}
		/* Two in flight half of the time. */
		if (len % 2 == 0 && len + 1 <= max / 2) {
			check_fill(out + 2048, 7, 99, 0);
			CHECK_OK(ipc_ring_send(r, out + 2048, 7,
			                       IPC_DEADLINE_NOW));
		}
		CHECK_OK(
		        ipc_ring_recv(r, in, sizeof(in), &n, IPC_DEADLINE_NOW));
		CHECK_EQ(n, len);
		CHECK_MEM_EQ(in, out, len);
		if (len % 2 == 0 && len + 1 <= max / 2) {
			CHECK_OK(ipc_ring_recv(r, in, sizeof(in), &n,
			                       IPC_DEADLINE_NOW));
			CHECK_EQ(n, 7);
			CHECK_MEM_EQ(in, out + 2048, 7);
		}
	}
	/* The largest message fits in an empty ring at any offset. */
	for (k = 0; k < 64; k++) {
		send_ok(r, out, k * 8);
		recv_expect(r, out, k * 8);
		CHECK_OK(ipc_ring_send(r, out, max, IPC_DEADLINE_NOW));
		CHECK_OK(
		        ipc_ring_recv(r, in, sizeof(in), &n, IPC_DEADLINE_NOW));
		CHECK_EQ(n, max);
	}
	CHECK_OK(ipc_ring_stats(r, &st));
	CHECK_EQ(st.used, 0);
	CHECK(st.high_water <= 4096);
	CHECK_OK(ipc_ring_close(r));
}

static void test_emsgsize(void)
{
	const char *name = ring_name("big");
	ipc_ring *r = ring_new(name, IPC_O_RDWR, 8192);
	static uint8_t buf[8192];
	size_t n = 0;
	void *p = NULL;

	CHECK_ERR(ipc_ring_send(r, buf, 4096 - 15, IPC_DEADLINE_NOW),
	          -EMSGSIZE);
	CHECK_ERR(ipc_ring_reserve(r, 4096 - 15, &p, IPC_DEADLINE_NOW),
	          -EMSGSIZE);
	CHECK_OK(ipc_ring_send(r, buf, 4096 - 16, IPC_DEADLINE_NOW));
	recv_expect(r, buf, 4096 - 16);
	CHECK_ERR(ipc_ring_set_max_message(r, 0), -EINVAL);
	CHECK_ERR(ipc_ring_set_max_message(r, 4096 - 15), -EINVAL);
	CHECK_OK(ipc_ring_set_max_message(r, 100));
	CHECK_EQ(ipc_ring_max_message(r), 100);
	CHECK_ERR(ipc_ring_send(r, buf, 101, IPC_DEADLINE_NOW), -EMSGSIZE);
	send_ok(r, "0123456789", 10);
	/* A buffer too small: the message stays, its length is told. */
	CHECK_ERR(ipc_ring_recv(r, buf, 9, &n, IPC_DEADLINE_NOW), -EMSGSIZE);
	CHECK_EQ(n, 10);
	CHECK_ERR(ipc_ring_recv(r, buf, 0, &n, IPC_DEADLINE_NOW), -EMSGSIZE);
	recv_expect(r, "0123456789", 10);
	CHECK_OK(ipc_ring_close(r));
	/* Another process sees the new limit. */
	r = ring_get(name, IPC_O_WRITE);
	CHECK_EQ(ipc_ring_max_message(r), 100);
	CHECK_OK(ipc_ring_close(r));
}

static void fill_ring(ipc_ring *r, size_t len)
{
	static uint8_t buf[256];
	ipc_status st;
	int i;

	for (i = 0; i < 100000; i++) {
		st = ipc_ring_send(r, buf, len, IPC_DEADLINE_NOW);
		if (st == -EAGAIN)
			return;
		CHECK_OK(st);
	}
	check_fail(__FILE__, __LINE__, "never full");
}

static void test_nonblock(void)
{
	const char *name = ring_name("nb");
	ipc_ring *r = ring_new(name, IPC_O_RDWR, 4096);
	struct ipc_ring_stats st;
	uint8_t buf[64];
	void *p;
	size_t n;

	CHECK_ERR(ipc_ring_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_ERR(ipc_ring_recv(r, buf, sizeof(buf), &n, ipc_now() - 1000000),
	          -ETIMEDOUT);
	fill_ring(r, 48);
	CHECK_OK(ipc_ring_stats(r, &st));
	CHECK_EQ(st.used, 4096);
	CHECK_EQ(st.high_water, 4096);
	CHECK_EQ(st.msgs_in, 64);
	CHECK_ERR(ipc_ring_reserve(r, 1, &p, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_ERR(ipc_ring_send(r, buf, 0, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_OK(ipc_ring_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_ring_send(r, buf, 48, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_ring_close(r));
}

static void test_timeout(void)
{
	const char *name = ring_name("to");
	ipc_ring *r = ring_new(name, IPC_O_RDWR, 4096);
	uint8_t buf[64];
	ipc_deadline t0;
	size_t n;

	t0 = ipc_now();
	CHECK_ERR(ipc_ring_recv(r, buf, sizeof(buf), &n, MS(150)), -ETIMEDOUT);
	CHECK_ELAPSED(t0, 150);
	fill_ring(r, 100);
	t0 = ipc_now();
	CHECK_ERR(ipc_ring_send(r, buf, 48, MS(150)), -ETIMEDOUT);
	CHECK_ELAPSED(t0, 150);
	CHECK_OK(ipc_ring_close(r));
}

static void test_eintr(void)
{
	const char *name = ring_name("intr");
	ipc_ring *r = ring_new(name, IPC_O_RDWR, 4096);
	uint8_t buf[64];
	ipc_deadline t0, d;
	ipc_status st;
	size_t n;

	t0 = ipc_now();
	d = MS(500);
	check_signal_after(SIGUSR1, 50);
	st = ipc_ring_recv(r, buf, sizeof(buf), &n, d);
	check_signal_stop();
	CHECK_ERR(st, -EINTR);
	CHECK(ipc_now() < d);
	CHECK_ERR(ipc_ring_recv(r, buf, sizeof(buf), &n, d), -ETIMEDOUT);
	CHECK_ELAPSED(t0, 500);
	/* The same on a full ring. */
	fill_ring(r, 100);
	t0 = ipc_now();
	d = MS(500);
	check_signal_after(SIGUSR1, 50);
	st = ipc_ring_send(r, buf, 48, d);
	check_signal_stop();
	CHECK_ERR(st, -EINTR);
	CHECK_ERR(ipc_ring_send(r, buf, 48, d), -ETIMEDOUT);
	CHECK_ELAPSED(t0, 500);
	CHECK_OK(ipc_ring_close(r));
}

static void test_misuse(void)
{
	const char *name = ring_name("mis");
	struct ipc_ring_stats st;
	ipc_ring *r = NULL;
	ipc_ring *w, *rd;
	const void *cp;
	uint8_t buf[16];
	void *p;
	size_t n;

	CHECK_ERR(ipc_ring_send(NULL, buf, 1, 0), -EBADF);
	CHECK_ERR(ipc_ring_reserve(NULL, 1, &p, 0), -EBADF);
	CHECK_ERR(ipc_ring_commit(NULL, 1), -EBADF);
	CHECK_ERR(ipc_ring_abort(NULL), -EBADF);
	CHECK_ERR(ipc_ring_recv(NULL, buf, 1, &n, 0), -EBADF);
	CHECK_ERR(ipc_ring_peek(NULL, &cp, &n, 0), -EBADF);
	CHECK_ERR(ipc_ring_release(NULL), -EBADF);
	CHECK_ERR(ipc_ring_stats(NULL, &st), -EBADF);
	CHECK_ERR(ipc_ring_set_max_message(NULL, 1), -EBADF);
	CHECK(!ipc_ring_readable(NULL));
	CHECK_EQ(ipc_ring_capacity(NULL), 0);
	CHECK_EQ(ipc_ring_max_message(NULL), 0);
	CHECK(ipc_ring_name(NULL) == NULL);
	CHECK_OK(ipc_ring_close(NULL));
	CHECK_ERR(ipc_ring_open(NULL, name, IPC_O_RDWR | IPC_O_CREATE, 0, 0),
	          -EINVAL);
	CHECK_ERR(ipc_ring_open(&r, NULL, IPC_O_RDWR | IPC_O_CREATE, 0, 0),
	          -EINVAL);
	CHECK_ERR(ipc_ring_open(&r, "noslash", IPC_O_RDWR | IPC_O_CREATE, 0, 0),
	          -EINVAL);
	CHECK_ERR(ipc_ring_open(&r, "/a/b", IPC_O_RDWR | IPC_O_CREATE, 0, 0),
	          -EINVAL);
	CHECK_ERR(ipc_ring_open(&r, name, IPC_O_CREATE, 0, 0), -EINVAL);
	CHECK_ERR(ipc_ring_open(&r, name, IPC_O_RDWR | IPC_O_EXCL, 0, 0),
	          -EINVAL);
	CHECK_ERR(ipc_ring_open(&r, name, IPC_O_RDWR | IPC_O_NONBLOCK, 0, 0),
	          -EINVAL);
	CHECK_ERR(ipc_ring_open(&r, name, IPC_O_RDWR | 0x10000u, 0, 0),
	          -EINVAL);
	CHECK_ERR(ipc_ring_open(&r, name, IPC_O_RDWR | IPC_O_CREATE, 010000, 0),
	          -EINVAL);
	CHECK_ERR(ipc_ring_open(&r, name, IPC_O_RDWR | IPC_O_CREATE, 0,
	                        IPC_RING_MAX_CAPACITY + 1),
	          -EINVAL);
	CHECK(r == NULL);
	/* Capacity rounding. */
	w = ring_new(name, IPC_O_WRITE, 5000);
	CHECK_EQ(ipc_ring_capacity(w), 8192);
	CHECK_OK(ipc_ring_close(w));
	CHECK_OK(ipc_ring_unlink(name));
	w = ring_new(name, IPC_O_WRITE, 1);
	CHECK_EQ(ipc_ring_capacity(w), 4096);
	rd = ring_get(name, IPC_O_READ);
	/* Roles. */
	CHECK_ERR(ipc_ring_send(rd, buf, 1, 0), -EBADF);
	CHECK_ERR(ipc_ring_reserve(rd, 1, &p, 0), -EBADF);
	CHECK_ERR(ipc_ring_recv(w, buf, 1, &n, 0), -EBADF);
	CHECK_ERR(ipc_ring_peek(w, &cp, &n, 0), -EBADF);
	CHECK_ERR(ipc_ring_commit(w, 0), -ENOENT);
	CHECK_ERR(ipc_ring_release(rd), -ENOENT);
	/* Bad arguments. */
	CHECK_ERR(ipc_ring_send(w, NULL, 1, 0), -EINVAL);
	CHECK_ERR(ipc_ring_reserve(w, 1, NULL, 0), -EINVAL);
	CHECK_ERR(ipc_ring_recv(rd, NULL, 1, &n, 0), -EINVAL);
	CHECK_ERR(ipc_ring_recv(rd, buf, 1, NULL, 0), -EINVAL);
	CHECK_ERR(ipc_ring_peek(rd, NULL, &n, 0), -EINVAL);
	CHECK_ERR(ipc_ring_stats(rd, NULL), -EINVAL);
	CHECK_ERR(ipc_ring_unlink(NULL), -EINVAL);
	CHECK_ERR(ipc_ring_unlink("bad"), -EINVAL);
	CHECK_OK(ipc_ring_close(w));
	CHECK_OK(ipc_ring_close(rd));
}

static void test_exist(void)
{
	const char *name = ring_name("ex");
	ipc_ring *r = NULL;
	ipc_ring *a, *b;

	CHECK_ERR(ipc_ring_open(&r, name, IPC_O_RDWR, 0, 0), -ENOENT);
	CHECK_ERR(ipc_ring_unlink(name), -ENOENT);
	a = ring_new(name, IPC_O_RDWR, 4096);
	CHECK_ERR(ipc_ring_open(&r, name,
	                        IPC_O_RDWR | IPC_O_CREATE | IPC_O_EXCL, 0, 0),
	          -EEXIST);
	CHECK(r == NULL);
	/* CREATE without EXCL opens the existing ring, capacity ignored. */
	CHECK_OK(ipc_ring_open(&b, name, IPC_O_RDWR | IPC_O_CREATE, 0, 65536));
	CHECK_EQ(ipc_ring_capacity(b), 4096);
	send_ok(a, "x", 1);
	recv_expect(b, "x", 1);
	CHECK_OK(ipc_ring_unlink(name));
	/* Open handles keep working after unlink. */
	send_ok(b, "y", 1);
	recv_expect(a, "y", 1);
	CHECK_ERR(ipc_ring_open(&r, name, IPC_O_RDWR, 0, 0), -ENOENT);
	CHECK_OK(ipc_ring_close(a));
	CHECK_OK(ipc_ring_close(b));
}

static void check_modes(void)
{
	static const unsigned int modes[] = {0600, 0640, 0666, 0604};
	struct stat sb;
	ipc_ring *r;
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const char *name = ring_name("mode");

		CHECK_OK(ipc_ring_open(&r, name,
		                       IPC_O_RDWR | IPC_O_CREATE | IPC_O_EXCL,
		                       modes[i], 4096));
		CHECK(stat(dev_path(name), &sb) == 0);
		CHECK_EQ(sb.st_mode & 07777, modes[i]);
		CHECK_OK(ipc_ring_close(r));
	}
	{
		const char *name = ring_name("mode0");

		r = ring_new(name, IPC_O_RDWR, 4096);
		CHECK(stat(dev_path(name), &sb) == 0);
		CHECK_EQ(sb.st_mode & 07777, 0600);
		CHECK_OK(ipc_ring_close(r));
	}
}

static void test_mode_umask000(void)
{
	umask(0);
	check_modes();
}

static void test_mode_umask077(void)
{
	umask(077);
	check_modes();
}

static void test_owner(void)
{
	const char *name = ring_name("own");
	ipc_ring *r = ring_new(name, IPC_O_RDWR, 4096);
	ipc_ring *o = NULL;

	CHECK_OK(ipc_ring_close(r));
	if (geteuid() != 0) {
		fprintf(stderr, "  (not root: owner check skipped)\n");
		return;
	}
	CHECK(chown(dev_path(name), 65534, 65534) == 0);
	CHECK_ERR(ipc_ring_open(&o, name, IPC_O_RDWR, 0, 0), -EPERM);
	CHECK(o == NULL);
	CHECK_OK(ipc_ring_open(&o, name, IPC_O_RDWR | IPC_O_SHARED, 0, 0));
	send_ok(o, "s", 1);
	recv_expect(o, "s", 1);
	CHECK_OK(ipc_ring_close(o));
}

static void test_stats_exact(void)
{
	const char *name = ring_name("st");
	ipc_ring *w = ring_new(name, IPC_O_WRITE, 4096);
	ipc_ring *rd = ring_get(name, IPC_O_READ);
	struct ipc_ring_stats st;
	uint8_t buf[200] = {0};
	size_t n;
	int i;

	for (i = 0; i < 5; i++)
		send_ok(w, buf, 100); /* 128 bytes of ring each */
	CHECK_OK(ipc_ring_stats(rd, &st));
	CHECK_EQ(st.capacity, 4096);
	CHECK_EQ(st.max_message, 2048 - 16);
	CHECK_EQ(st.msgs_in, 5);
	CHECK_EQ(st.bytes_in, 500);
	CHECK_EQ(st.msgs_out, 0);
	CHECK_EQ(st.used, 5 * 128);
	CHECK_EQ(st.high_water, 5 * 128);
	for (i = 0; i < 3; i++)
		CHECK_OK(ipc_ring_recv(rd, buf, sizeof(buf), &n, 0));
	send_ok(w, buf, 16); /* 64 bytes */
	CHECK_OK(ipc_ring_stats(w, &st));
	CHECK_EQ(st.msgs_out, 3);
	CHECK_EQ(st.bytes_out, 300);
	CHECK_EQ(st.used, 2 * 128 + 64);
	CHECK_EQ(st.high_water, 5 * 128);
	CHECK_EQ(st.recovered, 0);
	CHECK_EQ(st.lost, 0);
	/* Closed handles' counts stay. */
	CHECK_OK(ipc_ring_close(w));
	CHECK_OK(ipc_ring_stats(rd, &st));
	CHECK_EQ(st.msgs_in, 6);
	CHECK_EQ(st.bytes_in, 516);
	CHECK_OK(ipc_ring_close(rd));
	rd = ring_get(name, IPC_O_READ);
	CHECK_OK(ipc_ring_stats(rd, &st));
	CHECK_EQ(st.msgs_in, 6);
	CHECK_EQ(st.msgs_out, 3);
	CHECK_OK(ipc_ring_close(rd));
}

static void test_many_handles(void)
{
	const char *name = ring_name("many");
	static ipc_ring *hs[IPC_RING_MAX_HANDLES];
	ipc_ring *extra = NULL;
	int i;

	hs[0] = ring_new(name, IPC_O_RDWR, 4096);
	for (i = 1; i < IPC_RING_MAX_HANDLES; i++)
		hs[i] = ring_get(name, IPC_O_RDWR);
	CHECK_ERR(ipc_ring_open(&extra, name, IPC_O_RDWR, 0, 0), -EUSERS);
	CHECK(extra == NULL);
	CHECK_OK(ipc_ring_close(hs[5]));
	hs[5] = ring_get(name, IPC_O_RDWR);
	send_ok(hs[5], "m", 1);
	recv_expect(hs[100], "m", 1);
	for (i = 0; i < IPC_RING_MAX_HANDLES; i++)
		CHECK_OK(ipc_ring_close(hs[i]));
}

/* A peer that implements the format itself (docs/ring.md), both ways. */
static void test_interop_raw(void)
{
	const char *name = ring_name("raw");
	ipc_ring *r = ring_new(name, IPC_O_RDWR, 4096);
	struct ring_hdr *h;
	uint64_t *map;
	uint8_t *data;
	uint64_t t, hd, size;
	uint32_t w0, len;
	struct stat sb;
	uint8_t *mem;
	int fd;

	fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK(fstat(fd, &sb) == 0);
	mem = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	           fd, 0);
	CHECK(mem != MAP_FAILED);
	close(fd);
	h = (struct ring_hdr *)(void *)mem;
	CHECK(memcmp(mem, "IPCRING1", 8) == 0);
	CHECK_EQ(h->version, 1);
	map = (uint64_t *)(void *)(mem + h->map_off);
	data = mem + h->data_off;
	/* Raw producer: header, payload, map entry, then the tail. A single
	 * producer may store the tail (nobody else moves it). */
	t = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE);
	size = (16 + 5 + 63) & ~63ull;
	memcpy(data + (t & 4095) + 16, "plain", 5);
	__atomic_store_n(&h->tail, t + size, __ATOMIC_SEQ_CST);
	w0 = (uint32_t)size | 1;
	len = 5;
	memcpy(data + (t & 4095), &w0, 4);
	memcpy(data + (t & 4095) + 4, &len, 4);
	memset(data + (t & 4095) + 8, 0, 8);
	__atomic_store_n(&map[(t / 64) % 64], t + 1, __ATOMIC_SEQ_CST);
	recv_expect(r, "plain", 5);
	/* Raw consumer. */
	send_ok(r, "from ipc", 8);
	hd = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
	CHECK_EQ(__atomic_load_n(&map[(hd / 64) % 64], __ATOMIC_ACQUIRE),
	         hd + 1);
	memcpy(&w0, data + (hd & 4095), 4);
	memcpy(&len, data + (hd & 4095) + 4, 4);
	CHECK_EQ(w0 & 63, 1);
	CHECK_EQ(len, 8);
	CHECK_MEM_EQ(data + (hd & 4095) + 16, "from ipc", 8);
	__atomic_store_n(&h->head, hd + (w0 & ~63u), __ATOMIC_SEQ_CST);
	__atomic_store_n(&h->released, hd + (w0 & ~63u), __ATOMIC_SEQ_CST);
	CHECK(!ipc_ring_readable(r));
	send_ok(r, "again", 5);
	recv_expect(r, "again", 5);
	munmap(mem, (size_t)sb.st_size);
	CHECK_OK(ipc_ring_close(r));
}

/* ------------------------------------------------------ hostile objects */

/* Make a ring, then let @mutate change its object before a fresh open. */
static void hostile(void (*mutate)(uint8_t *mem, int fd), ipc_status want)
{
	const char *name = ring_name("bad");
	ipc_ring *r = ring_new(name, IPC_O_RDWR, 4096);
	ipc_ring *o = NULL;
	struct stat sb;
	uint8_t *mem;
	int fd;

	send_ok(r, "x", 1);
	CHECK_OK(ipc_ring_close(r));
	fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK(fstat(fd, &sb) == 0);
	mem = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	           fd, 0);
	CHECK(mem != MAP_FAILED);
	mutate(mem, fd);
	munmap(mem, (size_t)sb.st_size);
	close(fd);
	CHECK_ERR(ipc_ring_open(&o, name, IPC_O_RDWR, 0, 0), want);
	CHECK(o == NULL);
}

static void m_magic(uint8_t *m, int fd)
{
	(void)fd;
	m[0] ^= 1;
}

static void m_version(uint8_t *m, int fd)
{
	(void)fd;
	((struct ring_hdr *)(void *)m)->version = 2;
}

static void m_capacity(uint8_t *m, int fd)
{
	(void)fd;
	((struct ring_hdr *)(void *)m)->capacity = 8192;
}

static void m_capacity_odd(uint8_t *m, int fd)
{
	(void)fd;
	((struct ring_hdr *)(void *)m)->capacity = 4096 + 64;
}

static void m_maxmsg(uint8_t *m, int fd)
{
	(void)fd;
	((struct ring_hdr *)(void *)m)->max_message = 4096;
}

static void m_truncate0(uint8_t *m, int fd)
{
	(void)m;
	CHECK(ftruncate(fd, 0) == 0);
}

static void m_shrink(uint8_t *m, int fd)
{
	(void)m;
	CHECK(ftruncate(fd, 8192) == 0);
}

static void m_grow(uint8_t *m, int fd)
{
	struct stat sb;

	(void)m;
	CHECK(fstat(fd, &sb) == 0);
	CHECK(ftruncate(fd, sb.st_size + 4096) == 0);
}

static void m_positions(uint8_t *m, int fd)
{
	struct ring_hdr *h = (struct ring_hdr *)(void *)m;

	(void)fd;
	h->released = h->tail + 64;
	h->head = h->tail + 64;
}

static void m_far(uint8_t *m, int fd)
{
	struct ring_hdr *h = (struct ring_hdr *)(void *)m;

	(void)fd;
	h->tail = h->released + 8192;
}

static void m_misaligned(uint8_t *m, int fd)
{
	struct ring_hdr *h = (struct ring_hdr *)(void *)m;

	(void)fd;
	h->tail += 3;
}

static void test_hostile_header(void)
{
	hostile(m_magic, -EPROTO);
	hostile(m_version, -EPROTO);
	hostile(m_capacity, -EPROTO);
	hostile(m_capacity_odd, -EPROTO);
	hostile(m_maxmsg, -EPROTO);
	hostile(m_truncate0, -EPROTO);
	hostile(m_shrink, -EPROTO);
	hostile(m_grow, -EPROTO);
	hostile(m_positions, -EPROTO);
	hostile(m_far, -EPROTO);
	hostile(m_misaligned, -EPROTO);
}

/* Not a regular file, or one that is not ours: refused before reading. */
static void test_hostile_object(void)
{
	const char *name = ring_name("dir");
	ipc_ring *o = NULL;
	int fd;

	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_ERR(ipc_ring_open(&o, name, IPC_O_RDWR, 0, 0), -EPROTO);
	CHECK_ERR(ipc_ring_open(&o, name, IPC_O_RDWR | IPC_O_CREATE, 0, 0),
	          -EPROTO);
	CHECK(o == NULL);
}

/* Records corrupted under an open reader. */
static void test_hostile_records(void)
{
	const char *name = ring_name("rec");
	ipc_ring *w = ring_new(name, IPC_O_WRITE, 4096);
	ipc_ring *rd = ring_get(name, IPC_O_READ);
	uint8_t buf[4096];
	uint32_t *w0;
	uint32_t *len;
	size_t n;
	uint64_t h;

	send_ok(w, "hello", 5);
	h = __atomic_load_n(&rd->hdr->head, __ATOMIC_ACQUIRE);
	w0 = ring__rec_w0(rd, h);
	len = ring__rec_len(rd, h);
	*len = 0xffffffffu; /* a huge length */
	CHECK_ERR(ipc_ring_recv(rd, buf, sizeof(buf), &n, 0), -EPROTO);
	*len = 5;
	*w0 = 64u << 20 | 1; /* a record larger than the ring */
	CHECK_ERR(ipc_ring_recv(rd, buf, sizeof(buf), &n, 0), -EPROTO);
	*w0 = 64 | 5; /* unknown type */
	CHECK_ERR(ipc_ring_recv(rd, buf, sizeof(buf), &n, 0), -EPROTO);
	*w0 = 0;
	CHECK_ERR(ipc_ring_recv(rd, buf, sizeof(buf), &n, 0), -EPROTO);
	CHECK(!ipc_ring_readable(rd));
	*w0 = 64 | 1; /* repaired: delivered */
	recv_expect(rd, "hello", 5);
	/* A record reaching past the tail is delivered (its bounds are
	 * inside the ring) but the ring is then found corrupt. */
	send_ok(w, "bye", 3);
	h = __atomic_load_n(&rd->hdr->head, __ATOMIC_ACQUIRE);
	*ring__rec_w0(rd, h) = 128 | 1;
	recv_expect(rd, "bye", 3);
	CHECK_ERR(ipc_ring_recv(rd, buf, sizeof(buf), &n, 0), -EPROTO);
	CHECK_ERR(ipc_ring_recv(rd, buf, sizeof(buf), &n, 0), -EPROTO);
	/* A tail running backwards. */
	__atomic_store_n(&rd->hdr->tail, 0, __ATOMIC_SEQ_CST);
	CHECK_ERR(ipc_ring_recv(rd, buf, sizeof(buf), &n, 0), -EPROTO);
	CHECK_OK(ipc_ring_close(w));
	CHECK_OK(ipc_ring_close(rd));
}

/* attach_mem over random corruption: ASan/valgrind watch the bounds. */
static void test_attach_mem_garbage(void)
{
	uint64_t cap = 4096;
	size_t size = (size_t)(ring__data_off(cap) + cap);
	struct ipc_ring_stats st;
	uint8_t *mem;
	ipc_ring *r;
	uint8_t buf[4096];
	const void *p;
	size_t n;
	unsigned int seed = 12345;
	int round, k;

	CHECK(posix_memalign((void **)&mem, 4096, size) == 0);
	memset(mem, 0, size);
	ipc__ring_format(mem, cap);
	CHECK_ERR(ipc__ring_attach_mem(&r, mem, size - 1, IPC_O_RDWR), -EPROTO);
	CHECK_ERR(ipc__ring_attach_mem(&r, mem + 8, size - 8, IPC_O_RDWR),
	          -EINVAL);
	CHECK_ERR(ipc__ring_attach_mem(&r, mem, size, 0), -EINVAL);
	CHECK_OK(ipc__ring_attach_mem(&r, mem, size, IPC_O_RDWR));
	send_ok(r, "mem", 3);
	recv_expect(r, "mem", 3);
	CHECK_OK(ipc_ring_close(r));
	for (round = 0; round < 3000; round++) {
		memset(mem, 0, size);
		ipc__ring_format(mem, cap);
		CHECK_OK(ipc__ring_attach_mem(&r, mem, size, IPC_O_RDWR));
		for (k = 0; k < (int)(rand_r(&seed) % 20); k++)
			(void)ipc_ring_send(r, buf, rand_r(&seed) % 300, 0);
		CHECK_OK(ipc_ring_close(r));
		/* Flip bytes in the positions, the map and the records. */
		for (k = 0; k < 1 + (int)(rand_r(&seed) % 6); k++) {
			size_t where;

			switch (rand_r(&seed) % 4) {
			case 0:
				where = 64 + rand_r(&seed) % 192;
				break;
			case 1:
				where = RING_MAP_OFF + rand_r(&seed) % 512;
				break;
			default:
				where = (size_t)ring__data_off(cap) +
				        rand_r(&seed) % cap;
				break;
			}
			mem[where] = (uint8_t)rand_r(&seed);
		}
		if (ipc__ring_attach_mem(&r, mem, size, IPC_O_RDWR) != 0)
			continue;
		for (k = 0; k < 40; k++) {
			ipc_status s1;

			(void)ipc_ring_readable(r);
			(void)ipc_ring_stats(r, &st);
			if (k & 1) {
				s1 = ipc_ring_peek(r, &p, &n, 0);
				if (s1 == 0) {
					CHECK(n <= 2048);
					CHECK((const uint8_t *)p >= mem &&
					      (const uint8_t *)p + n <=
					              mem + size);
					CHECK_OK(ipc_ring_release(r));
				}
			} else {
				s1 = ipc_ring_recv(r, buf, sizeof(buf), &n, 0);
			}
			CHECK(s1 == 0 || s1 == -EAGAIN || s1 == -EPROTO);
			if (k % 5 == 0)
				(void)ipc_ring_send(r, buf, k * 7, 0);
		}
		CHECK_OK(ipc_ring_close(r));
	}
	free(mem);
}

/* ------------------------------------------------------- MPMC load */

struct msg_hdr {
	uint32_t prod;
	uint32_t seq;
	uint32_t len;
	uint32_t crc;
};

#define MAX_PAYLOAD 200
#define STOP        0xffffffffu

static size_t payload_len(uint32_t prod, uint32_t seq)
{
	return (seq * 7u + prod * 13u) % MAX_PAYLOAD;
}

static size_t make_msg(uint8_t *buf, uint32_t prod, uint32_t seq)
{
	struct msg_hdr m = {prod, seq, (uint32_t)payload_len(prod, seq), 0};
	size_t i;

	for (i = 0; i < m.len; i++)
		buf[sizeof(m) + i] = (uint8_t)(prod * 31u + seq + i);
	memcpy(buf, &m, sizeof(m));
	m.crc = crc32c(0, buf, sizeof(m) + m.len);
	memcpy(buf, &m, sizeof(m));
	return sizeof(m) + m.len;
}

/* The message's CRC and shape; 0 or a description of what is wrong. */
static const char *msg_bad(const uint8_t *buf, size_t n)
{
	struct msg_hdr m;
	uint32_t crc;
	size_t i;

	if (n < sizeof(m))
		return "short";
	memcpy(&m, buf, sizeof(m));
	if (n != sizeof(m) + m.len)
		return "length";
	crc = m.crc;
	m.crc = 0;
	{
		uint8_t tmp[sizeof(m) + MAX_PAYLOAD];

		memcpy(tmp, buf, n);
		memcpy(tmp, &m, sizeof(m));
		if (crc32c(0, tmp, n) != crc)
			return "crc";
	}
	if (m.prod != STOP && m.len != payload_len(m.prod, m.seq))
		return "payload length";
	for (i = 0; i < m.len; i++)
		if (buf[sizeof(m) + i] != (uint8_t)(m.prod * 31u + m.seq + i))
			return "payload";
	return NULL;
}

struct audit {
	_Atomic long received;
	_Atomic int errors;
	char what[128];
	long per;
	int np;
	_Atomic uint8_t seen[];
};

static struct audit *audit_new(int np, long per, bool shared)
{
	size_t sz = sizeof(struct audit) + (size_t)(np * per);
	struct audit *a;

	if (shared) {
		a = mmap(NULL, sz, PROT_READ | PROT_WRITE,
		         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		CHECK(a != MAP_FAILED);
	} else {
		a = calloc(1, sz);
		CHECK(a != NULL);
	}
	a->np = np;
	a->per = per;
	return a;
}

static void audit_fail(struct audit *a, const char *what)
{
	if (atomic_fetch_add(&a->errors, 1) == 0)
		snprintf(a->what, sizeof(a->what), "%s", what);
}

/* Record one message; false on a stop message. */
static bool audit_msg(struct audit *a, const uint8_t *buf, size_t n,
                      int64_t *last)
{
	struct msg_hdr m;
	const char *bad = msg_bad(buf, n);

	if (bad != NULL) {
		audit_fail(a, bad);
		return true;
	}
	memcpy(&m, buf, sizeof(m));
	if (m.prod == STOP)
		return false;
	if ((int)m.prod >= a->np || m.seq >= a->per) {
		audit_fail(a, "producer or sequence out of range");
		return true;
	}
	if ((int64_t)m.seq <= last[m.prod])
		audit_fail(a, "reordered");
	last[m.prod] = m.seq;
	if (atomic_fetch_add(&a->seen[(long)m.prod * a->per + m.seq], 1) != 0)
		audit_fail(a, "duplicate");
	atomic_fetch_add(&a->received, 1);
	return true;
}

static void audit_check(struct audit *a)
{
	long i, missing = 0;

	if (a->errors)
		check_fail(__FILE__, __LINE__, "%d errors, first: %s",
		           (int)a->errors, a->what);
	for (i = 0; i < a->np * a->per; i++)
		if (a->seen[i] != 1)
			missing++;
	CHECK_EQ(missing, 0);
	CHECK_EQ(a->received, a->np * a->per);
}

struct load_arg {
	const char *name;
	ipc_ring *r; /* threads: the handle made for the thread */
	struct audit *a;
	int id;
};

static void producer_loop(ipc_ring *r, struct load_arg *la)
{
	uint8_t buf[sizeof(struct msg_hdr) + MAX_PAYLOAD];
	size_t n;
	void *p;
	long s;

	for (s = 0; s < la->a->per; s++) {
		n = make_msg(buf, (uint32_t)la->id, (uint32_t)s);
		if (s % 3 == 1) {
			/* Zero-copy, reserving more than it commits. */
			CHECK_OK(ipc_ring_reserve(r, MAX_PAYLOAD + 16, &p,
			                          IPC_DEADLINE_NEVER));
			memcpy(p, buf, n);
			CHECK_OK(ipc_ring_commit(r, n));
		} else {
			CHECK_OK(ipc_ring_send(r, buf, n, IPC_DEADLINE_NEVER));
		}
	}
}

static void consumer_loop(ipc_ring *r, struct load_arg *la)
{
	uint8_t buf[sizeof(struct msg_hdr) + MAX_PAYLOAD];
	int64_t last[8];
	const void *p;
	size_t n;
	bool more = true;
	int i;

	for (i = 0; i < 8; i++)
		last[i] = -1;
	for (i = 0; more; i++) {
		if (i % 2) {
			CHECK_OK(ipc_ring_peek(r, &p, &n, IPC_DEADLINE_NEVER));
			more = audit_msg(la->a, p, n, last);
			CHECK_OK(ipc_ring_release(r));
		} else {
			CHECK_OK(ipc_ring_recv(r, buf, sizeof(buf), &n,
			                       IPC_DEADLINE_NEVER));
			more = audit_msg(la->a, buf, n, last);
		}
	}
}

static void producer_proc(void *arg)
{
	struct load_arg *la = arg;
	ipc_ring *r = ring_get(la->name, IPC_O_WRITE);

	producer_loop(r, la);
	CHECK_OK(ipc_ring_close(r));
}

static void consumer_proc(void *arg)
{
	struct load_arg *la = arg;
	ipc_ring *r = ring_get(la->name, IPC_O_READ);

	consumer_loop(r, la);
	CHECK_OK(ipc_ring_close(r));
}

static void send_stops(ipc_ring *r, int nc)
{
	uint8_t buf[sizeof(struct msg_hdr) + MAX_PAYLOAD];
	size_t n;
	int i;

	for (i = 0; i < nc; i++) {
		n = make_msg(buf, STOP, 0);
		CHECK_OK(ipc_ring_send(r, buf, n, MS(10000)));
	}
}

static void mpmc_procs(int np, int nc)
{
	const char *name = ring_name("mpmc");
	long per = 1000000 / scale() / np;
	struct load_arg pa[4], ca[2];
	pid_t pp[4], cp[2];
	struct ipc_ring_stats st;
	struct audit *a;
	ipc_ring *r;
	int i;

	r = ring_new(name, IPC_O_RDWR, 65536);
	a = audit_new(np, per, true);
	for (i = 0; i < nc; i++) {
		ca[i] = (struct load_arg){name, NULL, a, i};
		cp[i] = check_fork(consumer_proc, &ca[i]);
	}
	for (i = 0; i < np; i++) {
		pa[i] = (struct load_arg){name, NULL, a, i};
		pp[i] = check_fork(producer_proc, &pa[i]);
	}
	for (i = 0; i < np; i++)
		CHECK_CHILD_OK(pp[i], 60000);
	send_stops(r, nc);
	for (i = 0; i < nc; i++)
		CHECK_CHILD_OK(cp[i], 60000);
	audit_check(a);
	CHECK_OK(ipc_ring_stats(r, &st));
	CHECK_EQ(st.msgs_in, np * per + nc);
	CHECK_EQ(st.msgs_out, np * per + nc);
	CHECK_EQ(st.used, 0);
	CHECK_EQ(st.recovered, 0);
	CHECK_EQ(st.lost, 0);
	CHECK_OK(ipc_ring_close(r));
	munmap(a, sizeof(*a) + (size_t)(np * per));
}

static void test_mpmc_1x1(void)
{
	mpmc_procs(1, 1);
}
static void test_mpmc_2x1(void)
{
	mpmc_procs(2, 1);
}
static void test_mpmc_4x1(void)
{
	mpmc_procs(4, 1);
}
static void test_mpmc_1x2(void)
{
	mpmc_procs(1, 2);
}
static void test_mpmc_2x2(void)
{
	mpmc_procs(2, 2);
}
static void test_mpmc_4x2(void)
{
	mpmc_procs(4, 2);
}

static void *producer_thread(void *arg)
{
	struct load_arg *la = arg;

	producer_loop(la->r, la);
	return NULL;
}

static void *consumer_thread(void *arg)
{
	struct load_arg *la = arg;

	consumer_loop(la->r, la);
	return NULL;
}

/* Threads sharing one mapping per handle: what TSan can see. */
static void mpmc_threads(int np, int nc)
{
	const char *name = ring_name("thr");
	long per = 1000000 / scale() / np / 4;
	struct load_arg pa[4], ca[2];
	pthread_t pt[4], ct[2];
	struct audit *a;
	ipc_ring *r;
	int i;

	crc_init(); /* before the threads: the table is built lazily */
	r = ring_new(name, IPC_O_RDWR, 16384);
	a = audit_new(np, per, false);
	for (i = 0; i < nc; i++) {
		ca[i] = (struct load_arg){name, ring_get(name, IPC_O_READ), a,
		                          i};
		CHECK(pthread_create(&ct[i], NULL, consumer_thread, &ca[i]) ==
		      0);
	}
	for (i = 0; i < np; i++) {
		pa[i] = (struct load_arg){name, ring_get(name, IPC_O_WRITE), a,
		                          i};
		CHECK(pthread_create(&pt[i], NULL, producer_thread, &pa[i]) ==
		      0);
	}
	for (i = 0; i < np; i++) {
		CHECK(pthread_join(pt[i], NULL) == 0);
		CHECK_OK(ipc_ring_close(pa[i].r));
	}
	send_stops(r, nc);
	for (i = 0; i < nc; i++) {
		CHECK(pthread_join(ct[i], NULL) == 0);
		CHECK_OK(ipc_ring_close(ca[i].r));
	}
	audit_check(a);
	CHECK_OK(ipc_ring_close(r));
	free(a);
}

static void test_threads_1x1(void)
{
	mpmc_threads(1, 1);
}
static void test_threads_4x2(void)
{
	mpmc_threads(4, 2);
}
static void test_threads_2x2(void)
{
	mpmc_threads(2, 2);
}

/* ------------------------------------------------------- crash points */

struct crash_arg {
	const char *name;
	int point;
	long n;
	int id;
	struct audit *a;
};

static void set_crashpoint(int point)
{
	char v[16];

	snprintf(v, sizeof(v), "%d", point);
	CHECK(setenv("IPC_TEST_CRASHPOINT", v, 1) == 0);
}

static void victim_producer(void *arg)
{
	struct crash_arg *ca = arg;
	uint8_t buf[sizeof(struct msg_hdr) + MAX_PAYLOAD];
	ipc_ring *r;
	size_t n;
	long s;

	set_crashpoint(ca->point);
	r = ring_get(ca->name, IPC_O_WRITE);
	for (s = 0; s < 1000; s++) {
		n = make_msg(buf, (uint32_t)ca->id, (uint32_t)s);
		CHECK_OK(ipc_ring_send(r, buf, n, MS(5000)));
	}
	check_fail(__FILE__, __LINE__, "the crash point was never reached");
}

static void victim_consumer(void *arg)
{
	struct crash_arg *ca = arg;
	uint8_t buf[sizeof(struct msg_hdr) + MAX_PAYLOAD];
	const void *p;
	ipc_ring *r;
	size_t n;

	set_crashpoint(ca->point);
	r = ring_get(ca->name, IPC_O_READ);
	if (ca->id & 1) {
		CHECK_OK(ipc_ring_peek(r, &p, &n, MS(5000)));
		CHECK_OK(ipc_ring_release(r));
	} else {
		CHECK_OK(ipc_ring_recv(r, buf, sizeof(buf), &n, MS(5000)));
	}
	check_fail(__FILE__, __LINE__, "the crash point was never reached");
}

static void survivor_producer(void *arg)
{
	struct crash_arg *ca = arg;
	uint8_t buf[sizeof(struct msg_hdr) + MAX_PAYLOAD];
	ipc_ring *r = ring_get(ca->name, IPC_O_WRITE);
	size_t n;
	long s;

	for (s = 0; s < ca->n; s++) {
		n = make_msg(buf, (uint32_t)ca->id, (uint32_t)s);
		CHECK_OK(ipc_ring_send(r, buf, n, MS(5000)));
	}
	CHECK_OK(ipc_ring_close(r));
}

static void survivor_consumer(void *arg)
{
	struct crash_arg *ca = arg;
	uint8_t buf[sizeof(struct msg_hdr) + MAX_PAYLOAD];
	ipc_ring *r = ring_get(ca->name, IPC_O_READ);
	int64_t last[2] = {-1, -1};
	size_t n;
	long i;

	for (i = 0; i < ca->n; i++) {
		CHECK_OK(ipc_ring_recv(r, buf, sizeof(buf), &n, MS(5000)));
		(void)audit_msg(ca->a, buf, n, last);
	}
	CHECK_ERR(ipc_ring_recv(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_OK(ipc_ring_close(r));
}

/* A producer dies at @point while another keeps sending. */
static void crash_producer(int point, int rep)
{
	const char *name = ring_name("crp");
	uint8_t buf[sizeof(struct msg_hdr) + MAX_PAYLOAD];
	long k = 3000 / scale() + 50;
	struct crash_arg victim = {name, point, 0, 1, NULL};
	struct crash_arg surv = {name, 0, k, 0, NULL};
	struct ipc_ring_stats st;
	struct audit *a = audit_new(2, k, false);
	int64_t last[2] = {-1, -1};
	pid_t vp, sp;
	ipc_ring *r;
	size_t n;
	long got = 0, from_victim = 0;

	r = ring_new(name, IPC_O_RDWR, 8192);
	/* Rep 0: the victim dies first, the survivor sends after it.
	 * Others: both at once, the dead reservation lands anywhere. */
	if (rep == 0) {
		vp = check_fork(victim_producer, &victim);
		CHECK_KILLED_BY(vp, SIGKILL);
		sp = check_fork(survivor_producer, &surv);
	} else {
		sp = check_fork(survivor_producer, &surv);
		vp = check_fork(victim_producer, &victim);
	}
	while (got < k) {
		ipc_status s = ipc_ring_recv(r, buf, sizeof(buf), &n, MS(5000));

		CHECK_OK(s);
		(void)audit_msg(a, buf, n, last);
		if (((struct msg_hdr *)(void *)buf)->prod == 1)
			from_victim++;
		else
			got++;
	}
	if (rep != 0)
		CHECK_KILLED_BY(vp, SIGKILL);
	CHECK_CHILD_OK(sp, 10000);
	/* Past the dead reservation, whatever was behind it. */
	n = make_msg(buf, 0, 0);
	send_ok(r, buf, n);
	for (;;) {
		size_t m;

		CHECK_OK(ipc_ring_recv(r, buf + 100, sizeof(buf) - 100, &m,
		                       MS(5000)));
		if (m == n && memcmp(buf + 100, buf, n) == 0)
			break;
		CHECK(((struct msg_hdr *)(void *)(buf + 100))->prod == 1);
		from_victim++;
	}
	if (a->errors)
		check_fail(__FILE__, __LINE__, "point %d: %s", point, a->what);
	CHECK_OK(ipc_ring_stats(r, &st));
	/* The victim's committed messages arrive; its last never does,
	 * unless it died after committing it (point 4). */
	CHECK_EQ(st.msgs_in, k + 1 + from_victim);
	CHECK_EQ(st.used, 0);
	if (point == RING_CP_BEFORE_WAKE) {
		CHECK_EQ(st.recovered, 0);
		CHECK(from_victim >= 1);
	} else {
		CHECK_EQ(st.recovered, 1);
	}
	CHECK_EQ(st.lost, 0);
	CHECK_OK(ipc_ring_close(r));
	free(a);
}

/* A consumer dies at @point; the producer must get past its record. */
static void crash_consumer(int point, int rep)
{
	const char *name = ring_name("crc");
	uint8_t buf[sizeof(struct msg_hdr) + MAX_PAYLOAD];
	long k = 600 / scale() + 100;
	struct audit *a = audit_new(1, k, false);
	struct crash_arg victim = {name, point, 0, rep, NULL};
	struct crash_arg surv = {name, 0, k - 1, 0, NULL};
	struct ipc_ring_stats st;
	ipc_ring *r;
	pid_t vp, sp;
	size_t n;
	long s;

	surv.a = audit_new(1, k, true);
	r = ring_new(name, IPC_O_WRITE, 4096);
	n = make_msg(buf, 0, 0);
	send_ok(r, buf, n);
	vp = check_fork(victim_consumer, &victim);
	CHECK_KILLED_BY(vp, SIGKILL);
	sp = check_fork(survivor_consumer, &surv);
	for (s = 1; s < k; s++) {
		n = make_msg(buf, 0, (uint32_t)s);
		CHECK_OK(ipc_ring_send(r, buf, n, MS(5000)));
	}
	CHECK_CHILD_OK(sp, 10000);
	if (surv.a->errors)
		check_fail(__FILE__, __LINE__, "point %d: %s", point,
		           surv.a->what);
	CHECK_EQ(surv.a->received, k - 1);
	CHECK_EQ(surv.a->seen[0], 0);
	CHECK_OK(ipc_ring_stats(r, &st));
	CHECK_EQ(st.lost, point == RING_CP_CLAIMED ? 1 : 0);
	CHECK_EQ(st.used, 0);
	CHECK_EQ(st.msgs_out, point == RING_CP_CLAIMED ? k - 1 : k);
	CHECK_OK(ipc_ring_close(r));
	free(a);
	munmap(surv.a, sizeof(*surv.a) + (size_t)k);
}

static void test_crashpoints(void)
{
	int point, rep;

	for (point = RING_CP_RESERVED; point <= RING_CP_BEFORE_WAKE; point++)
		for (rep = 0; rep < 3; rep++)
			crash_producer(point, rep);
	for (point = RING_CP_CLAIMED; point <= RING_CP_RELEASED; point++)
		for (rep = 0; rep < 4; rep++)
			crash_consumer(point, rep);
}

/* ------------------------------------------------------- wake-up soak */

static void pong(void *arg)
{
	struct child_arg *a = arg;
	char n1[128], n2[128];
	ipc_ring *in, *out;
	uint64_t v;
	size_t n;
	long i;

	snprintf(n1, sizeof(n1), "%s-a", a->name);
	snprintf(n2, sizeof(n2), "%s-b", a->name);
	in = ring_get(n1, IPC_O_READ);
	out = ring_get(n2, IPC_O_WRITE);
	for (i = 0; i < a->n; i++) {
		CHECK_OK(ipc_ring_recv(in, &v, sizeof(v), &n,
		                       IPC_DEADLINE_NEVER));
		CHECK(n == sizeof(v) && v == (uint64_t)i);
		v++;
		CHECK_OK(ipc_ring_send(out, &v, sizeof(v), IPC_DEADLINE_NEVER));
	}
	CHECK_OK(ipc_ring_close(in));
	CHECK_OK(ipc_ring_close(out));
}

static void test_wakeup_soak(void)
{
	const char *base = ring_name("soak");
	char n1[128], n2[128];
	struct child_arg a = {base, 100000 / scale(), 0, 0};
	ipc_ring *out, *in;
	uint64_t v;
	size_t n;
	pid_t pid;
	long i;

	snprintf(n1, sizeof(n1), "%s-a", base);
	snprintf(n2, sizeof(n2), "%s-b", base);
	check_defer(unlink_name, strdup(n1));
	check_defer(unlink_name, strdup(n2));
	out = ring_new(n1, IPC_O_WRITE, 4096);
	in = ring_new(n2, IPC_O_READ, 4096);
	pid = check_fork(pong, &a);
	for (i = 0; i < a.n; i++) {
		v = (uint64_t)i;
		CHECK_OK(ipc_ring_send(out, &v, sizeof(v), IPC_DEADLINE_NEVER));
		CHECK_OK(ipc_ring_recv(in, &v, sizeof(v), &n,
		                       IPC_DEADLINE_NEVER));
		CHECK(v == (uint64_t)i + 1);
	}
	CHECK_CHILD_OK(pid, 10000);
	CHECK_OK(ipc_ring_close(out));
	CHECK_OK(ipc_ring_close(in));
}

static const struct check_case cases[] = {
        CHECK_CASE(test_roundtrip),       CHECK_CASE(test_roundtrip_peek),
        CHECK_CASE(test_reserve_commit),  CHECK_CASE(test_wrap_sizes),
        CHECK_CASE(test_emsgsize),        CHECK_CASE(test_nonblock),
        CHECK_CASE(test_timeout),         CHECK_CASE(test_eintr),
        CHECK_CASE(test_misuse),          CHECK_CASE(test_exist),
        CHECK_CASE(test_mode_umask000),   CHECK_CASE(test_mode_umask077),
        CHECK_CASE(test_owner),           CHECK_CASE(test_stats_exact),
        CHECK_CASE(test_many_handles),    CHECK_CASE(test_interop_raw),
        CHECK_CASE(test_hostile_header),  CHECK_CASE(test_hostile_object),
        CHECK_CASE(test_hostile_records), CHECK_CASE(test_attach_mem_garbage),
        CHECK_CASE(test_mpmc_1x1),        CHECK_CASE(test_mpmc_2x1),
        CHECK_CASE(test_mpmc_4x1),        CHECK_CASE(test_mpmc_1x2),
        CHECK_CASE(test_mpmc_2x2),        CHECK_CASE(test_mpmc_4x2),
        CHECK_CASE(test_threads_1x1),     CHECK_CASE(test_threads_2x2),
        CHECK_CASE(test_threads_4x2),     CHECK_CASE(test_crashpoints),
        CHECK_CASE(test_wakeup_soak),     {NULL, NULL}};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
