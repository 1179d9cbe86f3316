/* SPDX-License-Identifier: MIT */
/*
 * System V message queues: typed round trips across processes, type
 * selection, E2BIG and MSG_NOERROR, byte-exact interop with a plain C peer
 * (the msgsz bug of STYLE.md anti-pattern 7), full queues, deadlines,
 * EINTR, removal under a blocked caller, modes, owners, stat and misuse.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include "check.h"
#include "ipc/sysvmq.h"

#define NOBODY        65534
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MSGMAX        8192

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long read_proc(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	CHECK(f != NULL);
	CHECK(fscanf(f, "%ld", &v) == 1);
	fclose(f);
	return v;
}

/* Failure-path cleanup: remove the queue of a key if it is still there. */
static void remove_key_quiet(void *arg)
{
	int32_t key = (int32_t)(intptr_t)arg;
	int id = msgget((key_t)key, 0);

	if (id >= 0)
		(void)msgctl(id, IPC_RMID, NULL);
}

static void remove_id_quiet(void *arg)
{
	(void)msgctl((int)(intptr_t)arg, IPC_RMID, NULL);
}

/* A new queue of a unique key, removed after the case whatever happens. */
static ipc_sysvmq *new_queue(int32_t *keyp)
{
	int32_t key = check_sysv_key();
	ipc_sysvmq *q = NULL;

	CHECK_OK(ipc_sysvmq_open(&q, key, IPC_O_CREATE | IPC_O_EXCL, 0));
	CHECK(q != NULL);
	check_defer(remove_key_quiet, (void *)(intptr_t)key);
	if (keyp != NULL)
		*keyp = key;
	return q;
}

static void remove_and_close(ipc_sysvmq *q)
{
	CHECK_OK(ipc_sysvmq_remove(q));
	CHECK_OK(ipc_sysvmq_close(q));
}

static size_t queued(ipc_sysvmq *q)
{
	struct ipc_sysvmq_stat st;

	CHECK_OK(ipc_sysvmq_stat(q, &st));
	return st.messages;
}

/* ---- round trip across two processes -------------------------------- */

#define RT_COUNT 50

/* The peer answers each request of type 1 or 2 with type 10 + type. */
static void rt_server(void *arg)
{
	int32_t key = *(int32_t *)arg;
	unsigned char buf[MSGMAX];
	ipc_sysvmq *q;
	size_t n;
	long type;
	int i;

	CHECK_OK(ipc_sysvmq_open(&q, key, 0, 0));
	for (i = 0; i < RT_COUNT; i++) {
		CHECK_OK(ipc_sysvmq_receive(q, -2, 0, buf, sizeof(buf), &n,
		                            &type, ipc_deadline_in_ms(5000)));
		CHECK(type == 1 || type == 2);
		CHECK_OK(ipc_sysvmq_send(q, 10 + type, buf, n,
		                         ipc_deadline_in_ms(5000)));
	}
	CHECK_OK(ipc_sysvmq_close(q));
}

static void test_roundtrip(void)
{
	unsigned char *out = malloc(MSGMAX);
	unsigned char *in = malloc(MSGMAX);
	int32_t key;
	ipc_sysvmq *q = new_queue(&key);
	pid_t pid;
	size_t len;
	size_t n;
	long type;
	int i;

	CHECK(out != NULL && in != NULL);
	pid = check_fork(rt_server, &key);
	for (i = 0; i < RT_COUNT; i++) {
		len = (size_t)(i * 997) % (MSGMAX + 1);
		if (i == RT_COUNT - 1)
			len = MSGMAX;
		check_fill(out, len, (unsigned int)i, 0);
		CHECK_OK(ipc_sysvmq_send(q, 1 + i % 2, out, len,
		                         ipc_deadline_in_ms(5000)));
		CHECK_OK(ipc_sysvmq_receive(q, 11 + i % 2, 0, in, MSGMAX, &n,
		                            &type, ipc_deadline_in_ms(5000)));
		CHECK_EQ(type, 11 + i % 2);
		CHECK_EQ(n, len);
		CHECK_MEM_EQ(in, out, len);
	}
	CHECK_CHILD_OK(pid, 5000);
	CHECK_EQ(queued(q), 0);
	remove_and_close(q);
	free(out);
	free(in);
}

/* ---- type selection -------------------------------------------------- */

static void send_tag(ipc_sysvmq *q, long type, char tag)
{
	CHECK_OK(ipc_sysvmq_send(q, type, &tag, 1, IPC_DEADLINE_NOW));
}

static void expect(ipc_sysvmq *q, long sel, unsigned int flags, long want_type,
                   char want_tag)
{
	char tag = 0;
	size_t n;
	long type;

	CHECK_OK(ipc_sysvmq_receive(q, sel, flags, &tag, 1, &n, &type,
	                            IPC_DEADLINE_NOW));
	CHECK_EQ(n, 1);
	CHECK_EQ(type, want_type);
	CHECK_EQ(tag, want_tag);
}

static void test_type_selection(void)
{
	ipc_sysvmq *q = new_queue(NULL);
	char c;

	send_tag(q, 3, 'A');
	send_tag(q, 1, 'B');
	send_tag(q, 2, 'C');
	send_tag(q, 5, 'D');
	send_tag(q, 2, 'E');
	send_tag(q, 1, 'F');
	expect(q, 0, 0, 3, 'A');  /* oldest of any type */
	expect(q, -2, 0, 1, 'B'); /* lowest type <= 2, oldest of it */
	expect(q, -4, 0, 1, 'F'); /* type 1 still beats the older 2s */
	expect(q, -4, 0, 2, 'C');
	expect(q, 2, IPC_SYSVMQ_EXCEPT, 5, 'D'); /* oldest not of type 2 */
	expect(q, 2, 0, 2, 'E');
	CHECK_EQ(queued(q), 0);

	send_tag(q, 4, 'G');
	CHECK_ERR(ipc_sysvmq_receive(q, 7, 0, &c, 1, NULL, NULL,
	                             IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_ERR(ipc_sysvmq_receive(q, -3, 0, &c, 1, NULL, NULL,
	                             IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_ERR(ipc_sysvmq_receive(q, 4, IPC_SYSVMQ_EXCEPT, &c, 1, NULL, NULL,
	                             IPC_DEADLINE_NOW),
	          -EAGAIN);
	/* Large types are carried as they are. */
	send_tag(q, LONG_MAX, 'H');
	expect(q, LONG_MAX, 0, LONG_MAX, 'H');
	expect(q, -LONG_MAX, 0, 4, 'G');
	remove_and_close(q);
}

/* ---- E2BIG and MSG_NOERROR ------------------------------------------- */

static void test_e2big_noerror(void)
{
	ipc_sysvmq *q = new_queue(NULL);
	unsigned char out[100];
	unsigned char *in;
	size_t n = 77;
	long type = 77;

	check_fill(out, sizeof(out), 3, 0);
	CHECK_OK(ipc_sysvmq_send(q, 1, out, sizeof(out), IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sysvmq_send(q, 2, "x", 1, IPC_DEADLINE_NOW));

	/* One byte short, and short by sizeof(long): refused, kept first.
	 * The buffers are exactly @cap long, so ASan sees any overrun. */
	in = malloc(99);
	CHECK(in != NULL);
	CHECK_ERR(ipc_sysvmq_receive(q, 0, 0, in, 99, &n, &type,
	                             IPC_DEADLINE_NOW),
	          -E2BIG);
	CHECK_EQ(n, 0);
	CHECK_EQ(type, 0);
	CHECK_ERR(ipc_sysvmq_receive(q, 0, 0, in, 100 - sizeof(long), &n, &type,
	                             ipc_deadline_in_ms(100)),
	          -E2BIG);
	CHECK_EQ(queued(q), 2);
	free(in);

	/* MSG_NOERROR truncates without a word, and the rest is gone. */
	in = malloc(10);
	CHECK(in != NULL);
	CHECK_OK(ipc_sysvmq_receive(q, 0, IPC_SYSVMQ_NOERROR, in, 10, &n, &type,
	                            IPC_DEADLINE_NOW));
	CHECK_EQ(n, 10);
	CHECK_EQ(type, 1);
	CHECK_MEM_EQ(in, out, 10);
	CHECK_EQ(queued(q), 1);
	free(in);

	/* A capacity of 0 takes only empty messages (or truncates to 0). */
	CHECK_ERR(ipc_sysvmq_receive(q, 0, 0, NULL, 0, &n, &type,
	                             IPC_DEADLINE_NOW),
	          -E2BIG);
	CHECK_OK(ipc_sysvmq_receive(q, 0, IPC_SYSVMQ_NOERROR, NULL, 0, &n,
	                            &type, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 0);
	CHECK_EQ(type, 2);
	CHECK_EQ(queued(q), 0);
	remove_and_close(q);
}

/* ---- byte-exact interop with a plain C peer -------------------------- */

static const size_t io_sizes[] = {0, 1, 7, 8, 9, 100, 2048, 2049, MSGMAX};

#define IO_SEED_OURS   11
#define IO_SEED_THEIRS 22

/* A buffer of exactly sizeof(long) + @len bytes, as the kernel expects. */
static long *raw_msg(size_t len)
{
	long *mb = malloc(sizeof(long) + len);

	CHECK(mb != NULL);
	return mb;
}

/*
 * The plain C peer: msgrcv/msgsnd by hand, buffers of exactly
 * sizeof(long) + msgsz bytes, msgsz without the mtype.
 */
static void raw_peer(void *arg)
{
	int32_t key = *(int32_t *)arg;
	unsigned char *want = malloc(MSGMAX + 16);
	size_t i;
	ssize_t got;
	long *mb;
	int id;

	CHECK(want != NULL);
	id = msgget((key_t)key, 0);
	CHECK(id >= 0);
	/* Ours, received with msgsz exactly the size sent: one byte more
	 * on our side would fail here with E2BIG. */
	for (i = 0; i < ARRAY_SIZE(io_sizes); i++) {
		size_t len = io_sizes[i];

		mb = raw_msg(len);
		got = msgrcv(id, mb, len, (long)(100 + i), 0);
		CHECK(got >= 0);
		CHECK_EQ(got, len);
		CHECK_EQ(mb[0], 100 + i);
		check_fill(want, len, IO_SEED_OURS, i);
		CHECK_MEM_EQ(mb + 1, want, len);
		free(mb);
	}
	/* Theirs, for us to receive with a capacity of exactly the size. */
	for (i = 0; i < ARRAY_SIZE(io_sizes); i++) {
		size_t len = io_sizes[i];

		mb = raw_msg(len);
		mb[0] = (long)(200 + i);
		check_fill(mb + 1, len, IO_SEED_THEIRS, i);
		CHECK(msgsnd(id, mb, len, 0) == 0);
		free(mb);
	}
	/* One and eight bytes more than the 8 we will offer room for. */
	mb = raw_msg(16);
	mb[0] = 300;
	check_fill(mb + 1, 16, IO_SEED_THEIRS, 300);
	CHECK(msgsnd(id, mb, 9, 0) == 0);
	mb[0] = 301;
	CHECK(msgsnd(id, mb, 16, 0) == 0);
	free(mb);
	free(want);
}

static void test_interop_raw_peer(void)
{
	unsigned char *want = malloc(MSGMAX);
	int32_t key;
	ipc_sysvmq *q = new_queue(&key);
	unsigned char *buf;
	size_t i;
	size_t n;
	long type;
	pid_t pid;

	CHECK(want != NULL);
	pid = check_fork(raw_peer, &key);
	for (i = 0; i < ARRAY_SIZE(io_sizes); i++) {
		size_t len = io_sizes[i];

		buf = malloc(len + 1);
		CHECK(buf != NULL);
		check_fill(buf, len, IO_SEED_OURS, i);
		CHECK_OK(ipc_sysvmq_send(q, (long)(100 + i), buf, len,
		                         ipc_deadline_in_ms(5000)));
		free(buf);
	}
	for (i = 0; i < ARRAY_SIZE(io_sizes); i++) {
		size_t len = io_sizes[i];

		/* Exactly @len bytes of room: ASan would see a write past. */
		buf = len > 0 ? malloc(len) : NULL;
		CHECK(len == 0 || buf != NULL);
		CHECK_OK(ipc_sysvmq_receive(q, (long)(200 + i), 0, buf, len, &n,
		                            &type, ipc_deadline_in_ms(5000)));
		CHECK_EQ(n, len);
		CHECK_EQ(type, 200 + i);
		check_fill(want, len, IO_SEED_THEIRS, i);
		CHECK_MEM_EQ(buf, want, len);
		free(buf);
	}
	buf = malloc(16);
	CHECK(buf != NULL);
	CHECK_ERR(ipc_sysvmq_receive(q, 300, 0, buf, 8, &n, &type,
	                             ipc_deadline_in_ms(5000)),
	          -E2BIG);
	CHECK_ERR(ipc_sysvmq_receive(q, 301, 0, buf, 8, &n, &type,
	                             IPC_DEADLINE_NOW),
	          -E2BIG);
	check_fill(want, 16, IO_SEED_THEIRS, 300);
	CHECK_OK(ipc_sysvmq_receive(q, 300, 0, buf, 16, &n, &type,
	                            IPC_DEADLINE_NOW));
	CHECK_EQ(n, 9);
	CHECK_MEM_EQ(buf, want, 9);
	CHECK_OK(ipc_sysvmq_receive(q, 301, 0, buf, 16, &n, &type,
	                            IPC_DEADLINE_NOW));
	CHECK_EQ(n, 16);
	CHECK_MEM_EQ(buf, want, 16);
	free(buf);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_EQ(queued(q), 0);
	remove_and_close(q);
	free(want);
}

/* ---- a full queue ---------------------------------------------------- */

static void fill_queue(ipc_sysvmq *q, unsigned char *big)
{
	struct ipc_sysvmq_stat st;

	CHECK_OK(ipc_sysvmq_stat(q, &st));
	CHECK_EQ(st.max_bytes, read_proc("/proc/sys/kernel/msgmnb"));
	CHECK_EQ(st.max_bytes, 2 * MSGMAX); /* RELIABILITY.md 2.4 */
	CHECK_OK(ipc_sysvmq_send(q, 1, big, MSGMAX, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sysvmq_send(q, 1, big, MSGMAX, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sysvmq_stat(q, &st));
	CHECK_EQ(st.bytes, st.max_bytes);
}

static void drain_one_later(void *arg)
{
	int32_t key = *(int32_t *)arg;
	static unsigned char buf[MSGMAX];
	ipc_sysvmq *q;
	size_t n;

	CHECK_OK(ipc_sysvmq_open(&q, key, 0, 0));
	sleep_ms(100);
	CHECK_OK(ipc_sysvmq_receive(q, 0, 0, buf, sizeof(buf), &n, NULL,
	                            IPC_DEADLINE_NOW));
	CHECK_EQ(n, MSGMAX);
	CHECK_OK(ipc_sysvmq_close(q));
}

static void test_full_queue(void)
{
	static unsigned char big[MSGMAX];
	int32_t key;
	ipc_sysvmq *q = new_queue(&key);
	ipc_deadline start;
	pid_t pid;

	fill_queue(q, big);
	CHECK_ERR(ipc_sysvmq_send(q, 1, "x", 1, IPC_DEADLINE_NOW), -EAGAIN);
	start = ipc_now();
	CHECK_ERR(ipc_sysvmq_send(q, 1, "x", 1, ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	/* The kernel counts bytes: an empty message still fits. */
	CHECK_OK(ipc_sysvmq_send(q, 2, NULL, 0, IPC_DEADLINE_NOW));
	CHECK_EQ(queued(q), 3);

	/* Another process makes room: the waiting send goes through. */
	start = ipc_now(); /* before the helper starts its clock */
	pid = check_fork(drain_one_later, &key);
	CHECK_OK(ipc_sysvmq_send(q, 1, big, MSGMAX, ipc_deadline_in_ms(5000)));
	CHECK_ELAPSED(start, 100);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_EQ(queued(q), 3);
	remove_and_close(q);
}

/* ---- receive: would block, timeout, wake-up -------------------------- */

static void send_later(void *arg)
{
	int32_t key = *(int32_t *)arg;
	ipc_sysvmq *q;

	CHECK_OK(ipc_sysvmq_open(&q, key, 0, 0));
	sleep_ms(100);
	CHECK_OK(ipc_sysvmq_send(q, 5, "late", 4, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sysvmq_close(q));
}

static void test_receive_timeout(void)
{
	int32_t key;
	ipc_sysvmq *q = new_queue(&key);
	ipc_deadline start;
	char buf[16];
	size_t n;
	long type;
	pid_t pid;

	start = ipc_now();
	CHECK_ERR(ipc_sysvmq_receive(q, 0, 0, buf, sizeof(buf), &n, &type,
	                             IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_ELAPSED(start, 0);
	start = ipc_now();
	CHECK_ERR(ipc_sysvmq_receive(q, 0, 0, buf, sizeof(buf), &n, &type,
	                             ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	/* A deadline already past: one try, then -ETIMEDOUT. */
	CHECK_ERR(ipc_sysvmq_receive(q, 0, 0, buf, sizeof(buf), &n, &type,
	                             ipc_now() - 1),
	          -ETIMEDOUT);

	/* With a deadline and with none, a message from another process
	 * ends the wait. */
	start = ipc_now(); /* before the helper starts its clock */
	pid = check_fork(send_later, &key);
	CHECK_OK(ipc_sysvmq_receive(q, 5, 0, buf, sizeof(buf), &n, &type,
	                            ipc_deadline_in_ms(5000)));
	CHECK_ELAPSED(start, 100);
	CHECK_EQ(n, 4);
	CHECK_MEM_EQ(buf, "late", 4);
	CHECK_CHILD_OK(pid, 5000);
	start = ipc_now(); /* before the helper starts its clock */
	pid = check_fork(send_later, &key);
	CHECK_OK(ipc_sysvmq_receive(q, 5, 0, buf, sizeof(buf), &n, &type,
	                            IPC_DEADLINE_NEVER));
	CHECK_ELAPSED(start, 100);
	CHECK_EQ(type, 5);
	CHECK_CHILD_OK(pid, 5000);
	remove_and_close(q);
}

/* ---- EINTR ----------------------------------------------------------- */

static void test_eintr_receive(void)
{
	ipc_sysvmq *q = new_queue(NULL);
	ipc_deadline start = ipc_now();
	ipc_deadline d = ipc_deadline_in_ms(400);
	char c;

	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_sysvmq_receive(q, 0, 0, &c, 1, NULL, NULL, d), -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
	/* The same deadline again: the total wait does not grow. */
	CHECK_ERR(ipc_sysvmq_receive(q, 0, 0, &c, 1, NULL, NULL, d),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 400);

	/* The kernel's own blocking wait never restarts either. */
	start = ipc_now();
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_sysvmq_receive(q, 0, 0, &c, 1, NULL, NULL,
	                             IPC_DEADLINE_NEVER),
	          -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
	remove_and_close(q);
}

static void test_eintr_send(void)
{
	static unsigned char big[MSGMAX];
	ipc_sysvmq *q = new_queue(NULL);
	ipc_deadline start;
	ipc_deadline d;

	fill_queue(q, big);
	start = ipc_now();
	d = ipc_deadline_in_ms(400);
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_sysvmq_send(q, 1, "x", 1, d), -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
	CHECK_ERR(ipc_sysvmq_send(q, 1, "x", 1, d), -ETIMEDOUT);
	CHECK_ELAPSED(start, 400);

	start = ipc_now();
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_sysvmq_send(q, 1, "x", 1, IPC_DEADLINE_NEVER), -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
	CHECK_EQ(queued(q), 2);
	remove_and_close(q);
}

/* ---- removal by another process while we wait ------------------------ */

static void rmid_later(void *arg)
{
	int32_t key = *(int32_t *)arg;
	int id = msgget((key_t)key, 0);

	CHECK(id >= 0);
	sleep_ms(100);
	CHECK(msgctl(id, IPC_RMID, NULL) == 0);
}

static void expect_gone(ipc_sysvmq *q)
{
	struct ipc_sysvmq_stat st;
	char c;

	/* The id is dead now: every call says so, not -EINVAL. */
	CHECK_ERR(ipc_sysvmq_receive(q, 0, 0, &c, 1, NULL, NULL,
	                             IPC_DEADLINE_NOW),
	          -EIDRM);
	CHECK_ERR(ipc_sysvmq_receive(q, 0, 0, &c, 1, NULL, NULL,
	                             IPC_DEADLINE_NEVER),
	          -EIDRM);
	CHECK_ERR(ipc_sysvmq_send(q, 1, "x", 1, IPC_DEADLINE_NOW), -EIDRM);
	CHECK_ERR(ipc_sysvmq_send(q, 1, "x", 1, IPC_DEADLINE_NEVER), -EIDRM);
	CHECK_ERR(ipc_sysvmq_stat(q, &st), -EIDRM);
	CHECK_ERR(ipc_sysvmq_set_max_bytes(q, 100), -EIDRM);
	CHECK_ERR(ipc_sysvmq_remove(q), -EIDRM);
	CHECK_ERR(ipc_sysvmq_remove(q), -EIDRM);
	CHECK_OK(ipc_sysvmq_close(q));
}

static void test_removed_while_receiving(void)
{
	static const ipc_deadline never = IPC_DEADLINE_NEVER;
	ipc_deadline start;
	int32_t key;
	ipc_sysvmq *q;
	pid_t pid;
	char c;
	int round;

	for (round = 0; round < 2; round++) {
		q = new_queue(&key);
		start = ipc_now(); /* before the helper starts its clock */
		pid = check_fork(rmid_later, &key);
		CHECK_ERR(
		        ipc_sysvmq_receive(
		                q, 0, 0, &c, 1, NULL, NULL,
		                round == 0 ? never : ipc_deadline_in_ms(5000)),
		        -EIDRM);
		CHECK_ELAPSED(start, 100); /* promptly, not at the deadline */
		CHECK_CHILD_OK(pid, 5000);
		expect_gone(q);
	}
}

static void test_removed_while_sending(void)
{
	static unsigned char big[MSGMAX];
	ipc_deadline start;
	int32_t key;
	ipc_sysvmq *q;
	pid_t pid;
	int round;

	for (round = 0; round < 2; round++) {
		q = new_queue(&key);
		fill_queue(q, big);
		start = ipc_now(); /* before the helper starts its clock */
		pid = check_fork(rmid_later, &key);
		CHECK_ERR(ipc_sysvmq_send(q, 1, "x", 1,
		                          round == 0
		                                  ? IPC_DEADLINE_NEVER
		                                  : ipc_deadline_in_ms(5000)),
		          -EIDRM);
		CHECK_ELAPSED(start, 100);
		CHECK_CHILD_OK(pid, 5000);
		expect_gone(q);
	}
}

static void test_remove(void)
{
	int32_t key;
	ipc_sysvmq *q = new_queue(&key);
	ipc_sysvmq *q2;

	CHECK_OK(ipc_sysvmq_send(q, 1, "lost", 4, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sysvmq_open(&q2, key, 0, 0));
	CHECK_OK(ipc_sysvmq_remove(q));
	CHECK_ERR(msgget((key_t)key, 0) < 0 ? -errno : 0, -ENOENT);
	/* Our own handle knows without asking; the other finds out. */
	expect_gone(q);
	expect_gone(q2);
	/* The key is free again: a new queue, empty. */
	CHECK_OK(ipc_sysvmq_open(&q, key, IPC_O_CREATE | IPC_O_EXCL, 0));
	CHECK_EQ(queued(q), 0);
	remove_and_close(q);

	/* Removal by key. */
	key = check_sysv_key();
	CHECK_OK(ipc_sysvmq_open(&q, key, IPC_O_CREATE, 0));
	check_defer(remove_key_quiet, (void *)(intptr_t)key);
	CHECK_OK(ipc_sysvmq_close(q));
	CHECK(msgget((key_t)key, 0) >= 0); /* close does not remove */
	CHECK_OK(ipc_sysvmq_remove_key(key));
	CHECK_ERR(ipc_sysvmq_remove_key(key), -ENOENT);
}

/* ---- EEXIST / ENOENT / keys ------------------------------------------ */

static void test_exists_missing(void)
{
	int32_t key = check_sysv_key();
	ipc_sysvmq *q = (ipc_sysvmq *)&key;
	ipc_sysvmq *a;
	ipc_sysvmq *b;

	CHECK_ERR(ipc_sysvmq_open(&q, key, 0, 0), -ENOENT);
	CHECK(q == NULL);
	CHECK_OK(ipc_sysvmq_open(&a, key, IPC_O_CREATE | IPC_O_EXCL, 0));
	check_defer(remove_key_quiet, (void *)(intptr_t)key);
	q = (ipc_sysvmq *)&key;
	CHECK_ERR(ipc_sysvmq_open(&q, key, IPC_O_CREATE | IPC_O_EXCL, 0),
	          -EEXIST);
	CHECK(q == NULL);
	/* Without IPC_O_EXCL the existing queue is opened, not replaced. */
	CHECK_OK(ipc_sysvmq_send(a, 1, "kept", 4, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sysvmq_open(&b, key, IPC_O_CREATE, 0640));
	CHECK_EQ(ipc_sysvmq_id(b), ipc_sysvmq_id(a));
	CHECK_EQ(ipc_sysvmq_key(b), key);
	CHECK_EQ(queued(b), 1);
	CHECK_OK(ipc_sysvmq_close(b));
	CHECK_OK(ipc_sysvmq_open(&b, key, 0, 0));
	CHECK_EQ(ipc_sysvmq_id(b), ipc_sysvmq_id(a));
	CHECK_OK(ipc_sysvmq_close(b));
	remove_and_close(a);
	CHECK_ERR(ipc_sysvmq_open(&q, key, 0, 0), -ENOENT);
}

static void test_ftok_key(void)
{
	const char *path = check_path("ftok");
	char text[PATH_MAX + 8];
	int32_t key;
	int32_t parsed;
	ipc_sysvmq *q;
	FILE *f;
	char buf[8];
	size_t n;

	f = fopen(path, "we");
	CHECK(f != NULL);
	fclose(f);
	CHECK_OK(ipc_sysv_key(path, 'q', &key));
	snprintf(text, sizeof(text), "%s:%d", path, 'q');
	CHECK_OK(ipc_sysv_parse_key(text, &parsed));
	CHECK_EQ(parsed, key);
	/* An ftok key can collide with someone else's: create exclusively. */
	CHECK_OK(ipc_sysvmq_open(&q, key, IPC_O_CREATE | IPC_O_EXCL, 0));
	check_defer(remove_key_quiet, (void *)(intptr_t)key);
	CHECK_EQ(ipc_sysvmq_key(q), key);
	CHECK_OK(ipc_sysvmq_send(q, 9, "ftok", 4, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sysvmq_receive(q, 9, 0, buf, sizeof(buf), &n, NULL,
	                            IPC_DEADLINE_NOW));
	CHECK_EQ(n, 4);
	remove_and_close(q);
	CHECK(unlink(path) == 0);
}

/* ---- private queues and ids ----------------------------------------- */

static void private_child(void *arg)
{
	int id = *(int *)arg;
	ipc_sysvmq *q;

	/* Reached by id, as an unrelated process told the id would. */
	CHECK_OK(ipc_sysvmq_open_id(&q, id, 0));
	CHECK_EQ(ipc_sysvmq_key(q), IPC_SYSV_PRIVATE);
	CHECK_OK(ipc_sysvmq_send(q, 3, "priv", 4, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sysvmq_close(q));
}

static void test_private(void)
{
	ipc_sysvmq *a;
	ipc_sysvmq *b;
	ipc_sysvmq *q = NULL;
	char buf[8];
	size_t n;
	int id;
	pid_t pid;

	CHECK_OK(ipc_sysvmq_open(&a, IPC_SYSV_PRIVATE, 0, 0));
	check_defer(remove_id_quiet, (void *)(intptr_t)ipc_sysvmq_id(a));
	CHECK_OK(ipc_sysvmq_open(&b, IPC_SYSV_PRIVATE, IPC_O_CREATE, 0));
	check_defer(remove_id_quiet, (void *)(intptr_t)ipc_sysvmq_id(b));
	CHECK(ipc_sysvmq_id(a) != ipc_sysvmq_id(b));
	CHECK_EQ(ipc_sysvmq_key(a), IPC_SYSV_PRIVATE);
	id = ipc_sysvmq_id(a);
	pid = check_fork(private_child, &id);
	CHECK_OK(ipc_sysvmq_receive(a, 3, 0, buf, sizeof(buf), &n, NULL,
	                            ipc_deadline_in_ms(5000)));
	CHECK_EQ(n, 4);
	CHECK_CHILD_OK(pid, 5000);
	remove_and_close(a);
	remove_and_close(b);
	q = (ipc_sysvmq *)&id;
	CHECK_ERR(ipc_sysvmq_open_id(&q, id, 0), -ENOENT);
	CHECK(q == NULL);
	CHECK_ERR(ipc_sysvmq_open_id(&q, -1, 0), -EINVAL);
	CHECK_ERR(ipc_sysvmq_open_id(&q, 0, IPC_O_CREATE), -EINVAL);
}

/* ---- modes, owners, permissions ------------------------------------- */

static unsigned int raw_mode(ipc_sysvmq *q)
{
	struct msqid_ds ds;

	CHECK(msgctl(ipc_sysvmq_id(q), IPC_STAT, &ds) == 0);
	return ds.msg_perm.mode & 0777u;
}

static void check_modes(mode_t mask)
{
	static const unsigned int modes[][2] = {{0, 0600},
	                                        {0600, 0600},
	                                        {0640, 0640},
	                                        {0666, 0666},
	                                        {0400, 0400}};
	struct ipc_sysvmq_stat st;
	ipc_sysvmq *q;
	size_t i;
	int32_t key;

	umask(mask);
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		key = check_sysv_key();
		CHECK_OK(ipc_sysvmq_open(&q, key, IPC_O_CREATE | IPC_O_EXCL,
		                         modes[i][0]));
		check_defer(remove_key_quiet, (void *)(intptr_t)key);
		CHECK_EQ(raw_mode(q), modes[i][1]);
		CHECK_OK(ipc_sysvmq_stat(q, &st));
		CHECK_EQ(st.mode, modes[i][1]);
		remove_and_close(q);
	}
	/* An existing queue keeps its mode. */
	key = check_sysv_key();
	CHECK_OK(ipc_sysvmq_open(&q, key, IPC_O_CREATE, 0640));
	check_defer(remove_key_quiet, (void *)(intptr_t)key);
	CHECK_OK(ipc_sysvmq_close(q));
	CHECK_OK(ipc_sysvmq_open(&q, key, IPC_O_CREATE, 0666));
	CHECK_EQ(raw_mode(q), 0640);
	remove_and_close(q);
}

static void test_mode_umask077(void)
{
	check_modes(077);
}

static void test_mode_umask000(void)
{
	check_modes(000);
}

static void become_nobody(void)
{
	CHECK(setgroups(0, NULL) == 0);
	CHECK(setresgid(NOBODY, NOBODY, NOBODY) == 0);
	CHECK(setresuid(NOBODY, NOBODY, NOBODY) == 0);
}

struct other_arg {
	int32_t key;
	unsigned int mode;
};

static void nobody_creates(void *arg)
{
	const struct other_arg *a = arg;
	ipc_sysvmq *q;

	become_nobody();
	CHECK_OK(ipc_sysvmq_open(&q, a->key, IPC_O_CREATE | IPC_O_EXCL,
	                         a->mode));
	CHECK_OK(ipc_sysvmq_close(q));
}

static void test_other_owner(void)
{
	struct other_arg a = {check_sysv_key(), 0666};
	ipc_sysvmq *q = (ipc_sysvmq *)&a;
	ipc_sysvmq *q2;
	pid_t pid;

	if (geteuid() != 0) {
		printf("  (skipped: needs root to act as nobody)\n");
		return;
	}
	check_defer(remove_key_quiet, (void *)(intptr_t)a.key);
	/* Another user takes the key first (a squatter, or a peer). */
	pid = check_fork(nobody_creates, &a);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_ERR(ipc_sysvmq_open(&q, a.key, 0, 0), -EPERM);
	CHECK(q == NULL);
	CHECK_ERR(ipc_sysvmq_open(&q, a.key, IPC_O_CREATE, 0), -EPERM);
	CHECK_ERR(ipc_sysvmq_open(&q, a.key, IPC_O_CREATE | IPC_O_EXCL, 0),
	          -EEXIST);
	CHECK_OK(ipc_sysvmq_open(&q, a.key, IPC_O_SHARED, 0));
	CHECK_OK(ipc_sysvmq_send(q, 1, "hi", 2, IPC_DEADLINE_NOW));
	CHECK_ERR(ipc_sysvmq_open_id(&q2, ipc_sysvmq_id(q), 0), -EPERM);
	CHECK(q2 == NULL);
	CHECK_OK(ipc_sysvmq_open_id(&q2, ipc_sysvmq_id(q), IPC_O_SHARED));
	CHECK_EQ(ipc_sysvmq_key(q2), a.key);
	CHECK_OK(ipc_sysvmq_close(q2));
	remove_and_close(q); /* root may remove anything */
}

static void nobody_denied(void *arg)
{
	int32_t key = *(int32_t *)arg;
	struct ipc_sysvmq_stat st;
	ipc_sysvmq *q;
	char c;

	become_nobody();
	CHECK_OK(ipc_sysvmq_open(&q, key, IPC_O_SHARED, 0));
	CHECK_ERR(ipc_sysvmq_send(q, 1, "x", 1, IPC_DEADLINE_NOW), -EACCES);
	CHECK_ERR(ipc_sysvmq_receive(q, 0, 0, &c, 1, NULL, NULL,
	                             IPC_DEADLINE_NOW),
	          -EACCES);
	CHECK_ERR(ipc_sysvmq_stat(q, &st), -EACCES);
	CHECK_ERR(ipc_sysvmq_remove(q), -EPERM);
	CHECK_ERR(ipc_sysvmq_set_max_bytes(q, 100), -EACCES);
	CHECK_OK(ipc_sysvmq_close(q));
}

static void test_access_denied(void)
{
	int32_t key;
	ipc_sysvmq *q;
	pid_t pid;

	if (geteuid() != 0) {
		printf("  (skipped: needs root to act as nobody)\n");
		return;
	}
	q = new_queue(&key); /* 0600, root's */
	CHECK_OK(ipc_sysvmq_send(q, 1, "x", 1, IPC_DEADLINE_NOW));
	pid = check_fork(nobody_denied, &key);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_EQ(queued(q), 1);
	remove_and_close(q);
}

/* ---- stat and capacity ----------------------------------------------- */

static void stat_sender(void *arg)
{
	int32_t key = *(int32_t *)arg;
	ipc_sysvmq *q;

	CHECK_OK(ipc_sysvmq_open(&q, key, 0, 0));
	CHECK_OK(ipc_sysvmq_send(q, 1, "12345", 5, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sysvmq_send(q, 2, "123", 3, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sysvmq_send(q, 3, "1234567", 7, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sysvmq_close(q));
}

static void test_stat(void)
{
	struct ipc_sysvmq_stat st;
	int32_t key;
	ipc_sysvmq *q = new_queue(&key);
	char buf[8];
	size_t n;
	pid_t pid;

	CHECK_OK(ipc_sysvmq_stat(q, &st));
	CHECK_EQ(st.key, key);
	CHECK_EQ(st.mode, 0600);
	CHECK_EQ(st.uid, geteuid());
	CHECK_EQ(st.cuid, geteuid());
	CHECK_EQ(st.gid, getegid());
	CHECK_EQ(st.messages, 0);
	CHECK_EQ(st.bytes, 0);
	CHECK_EQ(st.max_bytes, read_proc("/proc/sys/kernel/msgmnb"));
	CHECK_EQ(st.last_send_pid, 0);
	CHECK_EQ(st.last_recv_pid, 0);
	CHECK_EQ(st.send_time, 0);
	CHECK(st.change_time > 0);
	CHECK_EQ(ipc_sysvmq_max_message(q),
	         (size_t)read_proc("/proc/sys/kernel/msgmax"));

	pid = check_fork(stat_sender, &key);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_sysvmq_stat(q, &st));
	CHECK_EQ(st.messages, 3);
	CHECK_EQ(st.bytes, 15); /* payload only, no mtype */
	CHECK_EQ(st.last_send_pid, pid);
	CHECK_EQ(st.last_recv_pid, 0);
	CHECK(st.send_time > 0);
	CHECK_OK(ipc_sysvmq_receive(q, 2, 0, buf, sizeof(buf), &n, NULL,
	                            IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sysvmq_stat(q, &st));
	CHECK_EQ(st.messages, 2);
	CHECK_EQ(st.bytes, 12);
	CHECK_EQ(st.last_recv_pid, getpid());
	CHECK(st.recv_time > 0);
	remove_and_close(q);
}

/* Whether the effective set holds capability @bit (linux/capability.h). */
static bool has_cap(int bit)
{
	unsigned long long eff = 0;
	char line[128];
	FILE *f = fopen("/proc/self/status", "re");

	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> bit) & 1;
}

static void nobody_sets_max(void *arg)
{
	int32_t key = *(int32_t *)arg;
	long mnb = read_proc("/proc/sys/kernel/msgmnb");
	struct ipc_sysvmq_stat st;
	ipc_sysvmq *q;

	become_nobody(); /* no CAP_SYS_RESOURCE any more */
	CHECK_OK(ipc_sysvmq_open(&q, key, IPC_O_SHARED, 0));
	CHECK_OK(ipc_sysvmq_set_max_bytes(q, (size_t)mnb / 2));
	CHECK_OK(ipc_sysvmq_set_max_bytes(q, (size_t)mnb));
	CHECK_ERR(ipc_sysvmq_set_max_bytes(q, (size_t)mnb + 1), -EPERM);
	CHECK_OK(ipc_sysvmq_stat(q, &st));
	CHECK_EQ(st.max_bytes, mnb);
	CHECK_OK(ipc_sysvmq_close(q));
}

static void test_set_max_bytes(void)
{
	long mnb = read_proc("/proc/sys/kernel/msgmnb");
	struct ipc_sysvmq_stat st;
	static unsigned char big[MSGMAX];
	struct msqid_ds ds;
	int32_t key;
	ipc_sysvmq *q = new_queue(&key);
	pid_t pid;

	CHECK_OK(ipc_sysvmq_set_max_bytes(q, 100));
	CHECK_OK(ipc_sysvmq_stat(q, &st));
	CHECK_EQ(st.max_bytes, 100);
	CHECK_EQ(st.mode, 0600); /* IPC_SET kept the rest */
	/* Larger than the whole queue: it could never fit, so no wait. */
	CHECK_ERR(ipc_sysvmq_send(q, 1, big, 101, IPC_DEADLINE_NOW), -EMSGSIZE);
	CHECK_ERR(ipc_sysvmq_send(q, 1, big, 101, IPC_DEADLINE_NEVER),
	          -EMSGSIZE);
	CHECK_OK(ipc_sysvmq_send(q, 1, big, 100, IPC_DEADLINE_NOW));
	CHECK_ERR(ipc_sysvmq_send(q, 1, big, 1, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_OK(ipc_sysvmq_receive(q, 0, 0, big, sizeof(big), NULL, NULL,
	                            IPC_DEADLINE_NOW));

	/* Above msgmnb needs CAP_SYS_RESOURCE, which root may lack (it
	 * does in the containers here). */
	if (has_cap(CAP_SYS_RESOURCE)) {
		CHECK_OK(ipc_sysvmq_set_max_bytes(q, (size_t)mnb * 4));
		CHECK_OK(ipc_sysvmq_stat(q, &st));
		CHECK_EQ(st.max_bytes, mnb * 4);
		CHECK_OK(ipc_sysvmq_send(q, 1, big, MSGMAX, IPC_DEADLINE_NOW));
		CHECK_OK(ipc_sysvmq_send(q, 1, big, MSGMAX, IPC_DEADLINE_NOW));
		CHECK_OK(ipc_sysvmq_send(q, 1, big, MSGMAX, IPC_DEADLINE_NOW));
		CHECK_EQ(queued(q), 3);
	} else {
		CHECK_ERR(ipc_sysvmq_set_max_bytes(q, (size_t)mnb + 1), -EPERM);
		CHECK_OK(ipc_sysvmq_stat(q, &st));
		CHECK_EQ(st.max_bytes, 100);
	}
	if (geteuid() == 0) {
		/* An owner without the capability: up to msgmnb only. */
		CHECK(msgctl(ipc_sysvmq_id(q), IPC_STAT, &ds) == 0);
		ds.msg_perm.uid = NOBODY;
		ds.msg_perm.gid = NOBODY;
		CHECK(msgctl(ipc_sysvmq_id(q), IPC_SET, &ds) == 0);
		pid = check_fork(nobody_sets_max, &key);
		CHECK_CHILD_OK(pid, 5000);
	}
	CHECK_ERR(ipc_sysvmq_set_max_bytes(q, 0), -EINVAL);
	remove_and_close(q);
}

/* ---- peer death: messages stay --------------------------------------- */

static void send_then_die(void *arg)
{
	int32_t key = *(int32_t *)arg;
	ipc_sysvmq *q;

	CHECK_OK(ipc_sysvmq_open(&q, key, 0, 0));
	CHECK_OK(ipc_sysvmq_send(q, 1, "one", 3, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sysvmq_send(q, 1, "two", 3, IPC_DEADLINE_NOW));
	raise(SIGKILL);
}

static void receive_forever(void *arg)
{
	int32_t key = *(int32_t *)arg;
	char buf[8];
	ipc_sysvmq *q;

	CHECK_OK(ipc_sysvmq_open(&q, key, 0, 0));
	(void)ipc_sysvmq_receive(q, 7, 0, buf, sizeof(buf), NULL, NULL,
	                         IPC_DEADLINE_NEVER);
	CHECK(0); /* killed before anything of type 7 comes */
}

static void test_peer_death(void)
{
	int32_t key;
	ipc_sysvmq *q = new_queue(&key);
	char buf[8];
	size_t n;
	pid_t pid;
	int ws;

	pid = check_fork(send_then_die, &key);
	ws = check_wait(pid, 5000);
	CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
	/* The sender is gone; what it sent is not. */
	CHECK_OK(ipc_sysvmq_receive(q, 0, 0, buf, sizeof(buf), &n, NULL,
	                            IPC_DEADLINE_NOW));
	CHECK_MEM_EQ(buf, "one", 3);
	CHECK_OK(ipc_sysvmq_receive(q, 0, 0, buf, sizeof(buf), &n, NULL,
	                            IPC_DEADLINE_NOW));
	CHECK_MEM_EQ(buf, "two", 3);

	/* A receiver killed while blocked takes nothing with it. */
	pid = check_fork(receive_forever, &key);
	sleep_ms(50);
	CHECK(kill(pid, SIGKILL) == 0);
	ws = check_wait(pid, 5000);
	CHECK(WIFSIGNALED(ws));
	CHECK_OK(ipc_sysvmq_send(q, 7, "kept", 4, IPC_DEADLINE_NOW));
	CHECK_EQ(queued(q), 1);
	remove_and_close(q);
}

/* ---- buffers larger than any message ---------------------------------- */

static void test_big_capacity(void)
{
	size_t cap = 1u << 20;
	unsigned char *buf = malloc(cap);
	unsigned char out[MSGMAX];
	ipc_sysvmq *q = new_queue(NULL);
	size_t n;

	CHECK(buf != NULL);
	check_fill(out, sizeof(out), 5, 0);
	CHECK_OK(ipc_sysvmq_send(q, 1, out, sizeof(out), IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sysvmq_receive(q, 0, 0, buf, cap, &n, NULL,
	                            IPC_DEADLINE_NOW));
	CHECK_EQ(n, sizeof(out));
	CHECK_MEM_EQ(buf, out, n);
	remove_and_close(q);
	free(buf);
}

/* ---- misuse ----------------------------------------------------------- */

static void test_misuse(void)
{
	struct ipc_sysvmq_stat st;
	int32_t key = check_sysv_key();
	ipc_sysvmq *q = (ipc_sysvmq *)&key;
	unsigned char big[MSGMAX + 1];
	char c;

	/* NULL handles. */
	CHECK_ERR(ipc_sysvmq_send(NULL, 1, "x", 1, IPC_DEADLINE_NOW), -EBADF);
	CHECK_ERR(ipc_sysvmq_receive(NULL, 0, 0, &c, 1, NULL, NULL,
	                             IPC_DEADLINE_NOW),
	          -EBADF);
	CHECK_ERR(ipc_sysvmq_stat(NULL, &st), -EBADF);
	CHECK_ERR(ipc_sysvmq_set_max_bytes(NULL, 100), -EBADF);
	CHECK_ERR(ipc_sysvmq_remove(NULL), -EBADF);
	CHECK_EQ(ipc_sysvmq_id(NULL), -1);
	CHECK_EQ(ipc_sysvmq_key(NULL), IPC_SYSV_PRIVATE);
	CHECK_EQ(ipc_sysvmq_max_message(NULL), 0);
	CHECK_OK(ipc_sysvmq_close(NULL));

	/* Bad open arguments. */
	CHECK_ERR(ipc_sysvmq_open(&q, key, IPC_O_EXCL, 0), -EINVAL);
	CHECK(q == NULL);
	CHECK_ERR(ipc_sysvmq_open(&q, key, IPC_O_CREATE | IPC_O_READ, 0),
	          -EINVAL);
	CHECK_ERR(ipc_sysvmq_open(&q, key, IPC_O_CREATE | IPC_O_NONBLOCK, 0),
	          -EINVAL);
	CHECK_ERR(ipc_sysvmq_open(&q, key, IPC_O_CREATE, 01000), -EINVAL);
	CHECK_ERR(ipc_sysvmq_open(&q, key, IPC_O_CREATE, 04600), -EINVAL);
	CHECK(msgget((key_t)key, 0) < 0); /* nothing was created */
	CHECK_ERR(ipc_sysvmq_remove_key(IPC_SYSV_PRIVATE), -EINVAL);
	CHECK_ERR(ipc_sysvmq_remove_key(key), -ENOENT);

	q = new_queue(NULL);
	/* Bad sends. */
	CHECK_ERR(ipc_sysvmq_send(q, 0, "x", 1, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_ERR(ipc_sysvmq_send(q, -1, "x", 1, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_ERR(ipc_sysvmq_send(q, LONG_MIN, "x", 1, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_sysvmq_send(q, 1, NULL, 1, IPC_DEADLINE_NOW), -EINVAL);
	memset(big, 0, sizeof(big));
	CHECK_ERR(ipc_sysvmq_send(q, 1, big, MSGMAX + 1, IPC_DEADLINE_NOW),
	          -EMSGSIZE);
	CHECK_ERR(ipc_sysvmq_send(q, 1, big, SIZE_MAX, IPC_DEADLINE_NOW),
	          -EMSGSIZE);
	CHECK_EQ(queued(q), 0);

	/* Bad receives. */
	CHECK_OK(ipc_sysvmq_send(q, 1, "x", 1, IPC_DEADLINE_NOW));
	CHECK_ERR(ipc_sysvmq_receive(q, 0, 0x4, &c, 1, NULL, NULL,
	                             IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_sysvmq_receive(q, 0, IPC_SYSVMQ_EXCEPT, &c, 1, NULL, NULL,
	                             IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_sysvmq_receive(q, -5, IPC_SYSVMQ_EXCEPT, &c, 1, NULL,
	                             NULL, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_sysvmq_receive(q, LONG_MIN, 0, &c, 1, NULL, NULL,
	                             IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_sysvmq_receive(q, 0, 0, NULL, 1, NULL, NULL,
	                             IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_EQ(queued(q), 1); /* none of them took it */
	CHECK_ERR(ipc_sysvmq_stat(q, NULL), -EINVAL);
	CHECK_ERR(ipc_sysvmq_set_max_bytes(q, 0), -EINVAL);
	CHECK_ERR(ipc_sysvmq_set_max_bytes(q, SIZE_MAX), -EINVAL);
	remove_and_close(q);
}

static const struct check_case cases[] = {
        CHECK_CASE(test_roundtrip),
        CHECK_CASE(test_type_selection),
        CHECK_CASE(test_e2big_noerror),
        CHECK_CASE(test_interop_raw_peer),
        CHECK_CASE(test_full_queue),
        CHECK_CASE(test_receive_timeout),
        CHECK_CASE(test_eintr_receive),
        CHECK_CASE(test_eintr_send),
        CHECK_CASE(test_removed_while_receiving),
        CHECK_CASE(test_removed_while_sending),
        CHECK_CASE(test_remove),
        CHECK_CASE(test_exists_missing),
        CHECK_CASE(test_ftok_key),
        CHECK_CASE(test_private),
        CHECK_CASE(test_mode_umask077),
        CHECK_CASE(test_mode_umask000),
        CHECK_CASE(test_other_owner),
        CHECK_CASE(test_access_denied),
        CHECK_CASE(test_stat),
        CHECK_CASE(test_set_max_bytes),
        CHECK_CASE(test_peer_death),
        CHECK_CASE(test_big_capacity),
        CHECK_CASE(test_misuse),
        {NULL, NULL},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
