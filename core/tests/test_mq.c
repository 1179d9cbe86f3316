/* SPDX-License-Identifier: MIT */
/* POSIX message queues: priorities, deadlines, limits, permissions. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ipc/mq.h"

#define NOBODY        65534
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SYSCTL_DIR    "/proc/sys/fs/mqueue/"

static void unlink_quiet(void *arg)
{
	(void)mq_unlink((const char *)arg);
	free(arg);
}

/* A unique queue name, unlinked when the case ends however it ends. */
static const char *qname(const char *tag)
{
	const char *name = check_posix_name(tag);
	char *copy = strdup(name);

	CHECK(copy != NULL);
	check_defer(unlink_quiet, copy);
	return name;
}

static ipc_mq *open_ok(const char *name, unsigned int flags, long maxmsg,
                       long msgsize)
{
	struct ipc_mq_attr a = {maxmsg, msgsize, 0};
	ipc_mq *q = NULL;

	CHECK_OK(ipc_mq_open(&q, name, flags, 0, &a));
	CHECK(q != NULL);
	return q;
}

static long sysctl_value(const char *what)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), SYSCTL_DIR "%s", what);
	f = fopen(path, "re");
	CHECK(f != NULL);
	CHECK(fscanf(f, "%ld", &v) == 1);
	fclose(f);
	return v;
}

static void sysctl_write(const char *what, long v)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), SYSCTL_DIR "%s", what);
	f = fopen(path, "we");
	CHECK(f != NULL);
	CHECK(fprintf(f, "%ld\n", v) > 0);
	CHECK(fclose(f) == 0);
}

/* CAP_SYS_RESOURCE lifts msg_max and msgsize_max (up to hard limits). */
static bool has_sys_resource(void)
{
	char line[256];
	unsigned long long eff = 0;
	FILE *f = fopen("/proc/self/status", "re");

	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	}
	fclose(f);
	return (eff >> 24) & 1; /* CAP_SYS_RESOURCE */
}

static unsigned int mode_of(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/mqueue%s", name);
	CHECK(stat(path, &st) == 0);
	return st.st_mode & 07777;
}

static bool exists(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/mqueue%s", name);
	return stat(path, &st) == 0;
}

static void send_ok(ipc_mq *q, const char *s, unsigned int prio)
{
	CHECK_OK(ipc_mq_send(q, s, strlen(s), prio, IPC_DEADLINE_NOW));
}

static void recv_expect(ipc_mq *q, const char *want, unsigned int want_prio)
{
	char buf[8192];
	unsigned int prio = 99999;
	size_t n;

	CHECK_OK(ipc_mq_receive(q, buf, sizeof(buf), &n, &prio,
	                        ipc_deadline_in_ms(2000)));
	CHECK_EQ(n, strlen(want));
	CHECK_MEM_EQ(buf, want, n);
	CHECK_EQ(prio, want_prio);
}

/* Wait until @q holds @n messages, so that their order is the queue's. */
static void wait_count(ipc_mq *q, long n)
{
	ipc_deadline d = ipc_deadline_in_ms(5000 * check_slow());
	struct ipc_mq_attr a;

	for (;;) {
		CHECK_OK(ipc_mq_attrs(q, &a));
		if (a.messages >= n)
			return;
		CHECK(!ipc_deadline_expired(d));
		usleep(1000);
	}
}

/* ---- round trip across two processes -------------------------------- */

#define RT_COUNT   60
#define RT_MSGSIZE 512

static size_t rt_len(unsigned int i)
{
	return i == 0 ? 0 : i == 1 ? RT_MSGSIZE : (i * 37) % RT_MSGSIZE;
}

static void rt_sender(void *arg)
{
	const char *name = arg;
	unsigned char buf[RT_MSGSIZE];
	ipc_mq *q = NULL;
	unsigned int i;

	CHECK_OK(ipc_mq_open(&q, name, IPC_O_WRITE, 0, NULL));
	for (i = 0; i < RT_COUNT; i++) {
		check_fill(buf, rt_len(i), i, 0);
		/* More than the queue holds: the sender waits for room, on
		 * the deadline path and on the plain blocking path. */
		CHECK_OK(ipc_mq_send(q, buf, rt_len(i), 7,
		                     i % 2 ? IPC_DEADLINE_NEVER
		                           : ipc_deadline_in_ms(5000)));
	}
	CHECK_OK(ipc_mq_close(q));
}

static void test_roundtrip(void)
{
	const char *name = qname("rt");
	unsigned char got[RT_MSGSIZE];
	unsigned char want[RT_MSGSIZE];
	unsigned int prio;
	unsigned int i;
	size_t n;
	ipc_mq *q;
	pid_t pid;

	q = open_ok(name, IPC_O_READ | IPC_O_CREATE | IPC_O_EXCL, 4,
	            RT_MSGSIZE);
	pid = check_fork(rt_sender, (void *)name);
	for (i = 0; i < RT_COUNT; i++) {
		/* A slow reader now and then, so that the sender fills. */
		if (i % 16 == 0)
			usleep(20000);
		CHECK_OK(ipc_mq_receive(q, got, sizeof(got), &n, &prio,
		                        i % 3 ? ipc_deadline_in_ms(5000)
		                              : IPC_DEADLINE_NEVER));
		CHECK_EQ(n, rt_len(i));
		CHECK_EQ(prio, 7);
		check_fill(want, n, i, 0);
		CHECK_MEM_EQ(got, want, n);
	}
	CHECK_CHILD_OK(pid, 5000);
	CHECK_ERR(
	        ipc_mq_receive(q, got, sizeof(got), &n, NULL, IPC_DEADLINE_NOW),
	        -EAGAIN);
	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(name));
	CHECK(!exists(name));
}

/* ---- priorities ----------------------------------------------------- */

static void test_priority_order(void)
{
	static const struct {
		const char *s;
		unsigned int prio;
	} in[] = {{"a1", 1}, {"b5", 5}, {"c0", 0},         {"d5", 5},
	          {"e1", 1}, {"f0", 0}, {"g32767", 32767}, {"h5", 5},
	          {"i3", 3}, {"j0", 0}};
	static const char *const out[] = {"g32767", "b5", "d5", "h5", "i3",
	                                  "a1",     "e1", "c0", "f0", "j0"};
	const char *name = qname("prio");
	ipc_mq *q;
	size_t i;

	q = open_ok(name, IPC_O_CREATE | IPC_O_EXCL, 10, 64);
	for (i = 0; i < ARRAY_SIZE(in); i++)
		send_ok(q, in[i].s, in[i].prio);
	for (i = 0; i < ARRAY_SIZE(out); i++)
		recv_expect(q, out[i], (unsigned int)atoi(out[i] + 1));
	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(name));
}

/* ---- would-block and timeouts --------------------------------------- */

static void test_would_block(void)
{
	const char *name = qname("wb");
	struct ipc_mq_attr a;
	struct pollfd pfd;
	char buf[8192];
	unsigned int prio = 1;
	size_t n = 1;
	ipc_mq *q;
	int i;

	q = open_ok(name, IPC_O_CREATE | IPC_O_EXCL, 0, 0);
	CHECK_OK(ipc_mq_attrs(q, &a));
	CHECK_EQ(a.max_messages,
	         sysctl_value("msg_default") < sysctl_value("msg_max")
	                 ? sysctl_value("msg_default")
	                 : sysctl_value("msg_max"));
	CHECK_EQ(a.messages, 0);

	/* Empty: nothing to take, and the descriptor says so. */
	CHECK_ERR(ipc_mq_receive(q, buf, sizeof(buf), &n, &prio,
	                         IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_EQ(n, 0);
	CHECK_EQ(prio, 0);
	pfd.fd = ipc_mq_fd(q);
	pfd.events = POLLIN | POLLOUT;
	CHECK(poll(&pfd, 1, 0) == 1);
	CHECK_EQ(pfd.revents, POLLOUT);

	/* Exactly max_messages fit. */
	for (i = 0; i < a.max_messages; i++)
		CHECK_OK(ipc_mq_send(q, "m", 1, 0, IPC_DEADLINE_NOW));
	CHECK_ERR(ipc_mq_send(q, "m", 1, 0, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_OK(ipc_mq_attrs(q, &a));
	CHECK_EQ(a.messages, a.max_messages);
	CHECK(poll(&pfd, 1, 0) == 1);
	CHECK_EQ(pfd.revents, POLLIN);

	/* One out, one more in. */
	CHECK_OK(ipc_mq_receive(q, buf, sizeof(buf), &n, NULL,
	                        IPC_DEADLINE_NOW));
	CHECK_OK(ipc_mq_send(q, "m", 1, 0, IPC_DEADLINE_NOW));
	CHECK_ERR(ipc_mq_send(q, "m", 1, 0, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(name));
}

static void test_send_timeout(void)
{
	const char *name = qname("st");
	ipc_deadline start;
	ipc_mq *q;

	q = open_ok(name, IPC_O_CREATE | IPC_O_EXCL, 2, 16);
	send_ok(q, "1", 0);
	send_ok(q, "2", 0);
	start = ipc_now();
	CHECK_ERR(ipc_mq_send(q, "3", 1, 0, ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	/* A deadline already past is a timeout, not a would-block. */
	CHECK_ERR(ipc_mq_send(q, "3", 1, 0, ipc_now() - 1), -ETIMEDOUT);
	recv_expect(q, "1", 0);
	recv_expect(q, "2", 0);
	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(name));
}

static void test_receive_timeout(void)
{
	const char *name = qname("rt");
	ipc_deadline start;
	char buf[16];
	size_t n = 1;
	ipc_mq *q;

	q = open_ok(name, IPC_O_CREATE | IPC_O_EXCL, 2, 16);
	start = ipc_now();
	CHECK_ERR(ipc_mq_receive(q, buf, sizeof(buf), &n, NULL,
	                         ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	CHECK_EQ(n, 0);
	/* A message there is taken even when the deadline has passed. */
	send_ok(q, "x", 2);
	recv_expect(q, "x", 2);
	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(name));
}

/* A blocked receiver and a blocked sender wake when the peer acts. */
static void wake_peer(void *arg)
{
	const char *name = arg;
	char buf[16];
	size_t n;
	ipc_mq *q = open_ok(name, 0, 0, 0);

	usleep(100000);
	send_ok(q, "wake", 4);
	/* Let the parent fill the queue and block, then make room. */
	usleep(300000);
	CHECK_OK(ipc_mq_receive(q, buf, sizeof(buf), &n, NULL,
	                        ipc_deadline_in_ms(5000)));
	CHECK_EQ(n, 4);
	CHECK_MEM_EQ(buf, "full", 4);
	CHECK_OK(ipc_mq_close(q));
}

static void test_wakeup(void)
{
	const char *name = qname("wake");
	ipc_deadline start;
	ipc_mq *q;
	pid_t pid;

	q = open_ok(name, IPC_O_CREATE | IPC_O_EXCL, 1, 16);
	pid = check_fork(wake_peer, (void *)name);
	start = ipc_now();
	recv_expect(q, "wake", 4); /* waits about 100 ms */
	CHECK_ELAPSED(start, 100);
	send_ok(q, "full", 0);
	CHECK_OK(ipc_mq_send(q, "next", 4, 1, IPC_DEADLINE_NEVER));
	CHECK_ELAPSED(start, 400);
	recv_expect(q, "next", 1);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(name));
}

/* ---- sizes ---------------------------------------------------------- */

static void test_sizes(void)
{
	const char *name = qname("sz");
	unsigned char big[65];
	unsigned char got[64];
	unsigned int prio;
	size_t n = 7;
	ipc_mq *q;

	q = open_ok(name, IPC_O_CREATE | IPC_O_EXCL, 4, 64);
	check_fill(big, sizeof(big), 1, 0);
	CHECK_OK(ipc_mq_send(q, NULL, 0, 3, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_mq_send(q, big, 64, 2, IPC_DEADLINE_NOW));
	CHECK_ERR(ipc_mq_send(q, big, 65, 2, IPC_DEADLINE_NOW), -EMSGSIZE);

	/* A buffer smaller than max_message_size is refused even for a
	 * short message, and the message stays. */
	CHECK_ERR(ipc_mq_receive(q, got, 63, &n, &prio, IPC_DEADLINE_NOW),
	          -EMSGSIZE);
	CHECK_EQ(n, 0);
	CHECK_OK(ipc_mq_receive(q, got, 64, &n, &prio, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 0);
	CHECK_EQ(prio, 3);
	CHECK_OK(ipc_mq_receive(q, got, 64, &n, &prio, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 64);
	CHECK_EQ(prio, 2);
	CHECK_MEM_EQ(got, big, 64);
	/* Even on an empty queue the small buffer is refused at once. */
	CHECK_ERR(
	        ipc_mq_receive(q, got, 10, &n, NULL, ipc_deadline_in_ms(5000)),
	        -EMSGSIZE);
	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(name));
}

/* ---- attributes ----------------------------------------------------- */

static void check_shape(ipc_mq *q, long maxmsg, long msgsize, long msgs)
{
	struct ipc_mq_attr a = {-1, -1, -1};

	CHECK_OK(ipc_mq_attrs(q, &a));
	CHECK_EQ(a.max_messages, maxmsg);
	CHECK_EQ(a.max_message_size, msgsize);
	CHECK_EQ(a.messages, msgs);
}

static void test_attrs(void)
{
	const char *n1 = qname("attr");
	const char *n2 = qname("attr");
	const char *n3 = qname("attr");
	long defmsg = sysctl_value("msg_default");
	long defsize = sysctl_value("msgsize_default");
	struct ipc_mq_attr a;
	ipc_mq *q;
	ipc_mq *r;

	if (defmsg > sysctl_value("msg_max"))
		defmsg = sysctl_value("msg_max");
	if (defsize > sysctl_value("msgsize_max"))
		defsize = sysctl_value("msgsize_max");

	CHECK_OK(ipc_mq_open(&q, n1, IPC_O_CREATE | IPC_O_EXCL, 0, NULL));
	check_shape(q, defmsg, defsize, 0);
	CHECK_OK(ipc_mq_close(q));
	q = open_ok(n2, IPC_O_CREATE | IPC_O_EXCL, 5, 0);
	check_shape(q, 5, defsize, 0);
	CHECK_OK(ipc_mq_close(q));
	q = open_ok(n3, IPC_O_CREATE | IPC_O_EXCL, 0, 100);
	check_shape(q, defmsg, 100, 0);
	send_ok(q, "one", 0);
	send_ok(q, "two", 0);
	check_shape(q, defmsg, 100, 2);

	/* An existing queue: each non-zero field must match. */
	r = open_ok(n3, IPC_O_READ, defmsg, 100);
	check_shape(r, defmsg, 100, 2);
	CHECK_OK(ipc_mq_close(r));
	r = open_ok(n3, IPC_O_READ | IPC_O_CREATE, 0, 100);
	CHECK_OK(ipc_mq_close(r));
	r = open_ok(n3, IPC_O_READ, 0, 0);
	CHECK_OK(ipc_mq_close(r));
	r = (ipc_mq *)&r;
	a = (struct ipc_mq_attr){defmsg, 200, 0};
	CHECK_ERR(ipc_mq_open(&r, n3, IPC_O_READ | IPC_O_CREATE, 0, &a),
	          -EINVAL);
	CHECK(r == NULL);
	a = (struct ipc_mq_attr){defmsg - 1, 0, 0};
	CHECK_ERR(ipc_mq_open(&r, n3, IPC_O_READ, 0, &a), -EINVAL);
	a = (struct ipc_mq_attr){-1, 0, 0};
	CHECK_ERR(ipc_mq_open(&r, n3, IPC_O_READ, 0, &a), -EINVAL);
	a = (struct ipc_mq_attr){0, -5, 0};
	CHECK_ERR(ipc_mq_open(&r, n3, IPC_O_READ, 0, &a), -EINVAL);
	check_shape(q, defmsg, 100, 2); /* untouched */

	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(n1));
	CHECK_OK(ipc_mq_unlink(n2));
	CHECK_OK(ipc_mq_unlink(n3));
}

/* ---- system limits -------------------------------------------------- */

static void test_limits(void)
{
	const char *name = qname("lim");
	long msg_max = sysctl_value("msg_max");
	long size_max = sysctl_value("msgsize_max");
	struct ipc_mq_attr a;
	char want[256];
	char msg[256];
	char tiny[8];
	ipc_mq *q = (ipc_mq *)&q;

	if (has_sys_resource()) {
		printf("# skip test_limits: CAP_SYS_RESOURCE lifts them\n");
		return;
	}
	a = (struct ipc_mq_attr){msg_max + 54, 0, 0};
	CHECK_ERR(ipc_mq_open(&q, name, IPC_O_CREATE | IPC_O_EXCL, 0, &a),
	          -EINVAL);
	CHECK(q == NULL);
	CHECK(!exists(name));
	CHECK_OK(ipc_mq_limit_message(-EINVAL, &a, msg, sizeof(msg)));
	snprintf(want, sizeof(want),
	         "max_messages=%ld exceeds " SYSCTL_DIR "msg_max=%ld",
	         msg_max + 54, msg_max);
	CHECK_STR_EQ(msg, want);
	printf("# %s\n", msg);

	a = (struct ipc_mq_attr){0, size_max * 2, 0};
	CHECK_ERR(ipc_mq_open(&q, name, IPC_O_CREATE | IPC_O_EXCL, 0, &a),
	          -EINVAL);
	CHECK_OK(ipc_mq_limit_message(-EINVAL, &a, msg, sizeof(msg)));
	snprintf(want, sizeof(want),
	         "max_message_size=%ld exceeds " SYSCTL_DIR "msgsize_max=%ld",
	         size_max * 2, size_max);
	CHECK_STR_EQ(msg, want);

	/* Both over: both named. */
	a = (struct ipc_mq_attr){64, 16384, 0};
	CHECK_ERR(ipc_mq_open(&q, name, IPC_O_CREATE, 0, &a), -EINVAL);
	CHECK_OK(ipc_mq_limit_message(-EINVAL, &a, msg, sizeof(msg)));
	CHECK(strstr(msg, "msg_max=") != NULL);
	CHECK(strstr(msg, "; max_message_size=16384 exceeds") != NULL);

	/* Exactly at the limits is fine. */
	a = (struct ipc_mq_attr){msg_max, size_max, 0};
	CHECK_ERR(ipc_mq_limit_message(-EINVAL, &a, msg, sizeof(msg)), -ENOENT);
	CHECK_STR_EQ(msg, "");
	q = open_ok(name, IPC_O_CREATE | IPC_O_EXCL, msg_max, size_max);
	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(name));

	/* Nothing to explain; bad arguments; a cut sentence. */
	CHECK_ERR(ipc_mq_limit_message(-EEXIST, &a, msg, sizeof(msg)), -ENOENT);
	CHECK_ERR(ipc_mq_limit_message(-EINVAL, NULL, msg, sizeof(msg)),
	          -ENOENT);
	CHECK_ERR(ipc_mq_limit_message(-EINVAL, &a, NULL, 10), -EINVAL);
	CHECK_ERR(ipc_mq_limit_message(-EINVAL, &a, msg, 0), -EINVAL);
	a = (struct ipc_mq_attr){64, 0, 0};
	memset(tiny, 'x', sizeof(tiny));
	CHECK_OK(ipc_mq_limit_message(-EINVAL, &a, tiny, sizeof(tiny)));
	CHECK_STR_EQ(tiny, "max_mes");
}

struct saved_rlimit {
	int resource;
	struct rlimit rl;
};

static void restore_rlimit(void *arg)
{
	const struct saved_rlimit *s = arg;

	(void)setrlimit(s->resource, &s->rl);
}

static void test_limit_rlimit_msgqueue(void)
{
	const char *name = qname("rlim");
	static struct saved_rlimit saved;
	struct rlimit rl;
	char msg[256];
	ipc_mq *q = (ipc_mq *)&q;

	saved.resource = RLIMIT_MSGQUEUE;
	CHECK(getrlimit(RLIMIT_MSGQUEUE, &saved.rl) == 0);
	check_defer(restore_rlimit, &saved);
	rl = saved.rl;
	rl.rlim_cur = 1000;
	CHECK(setrlimit(RLIMIT_MSGQUEUE, &rl) == 0);
	CHECK_ERR(ipc_mq_open(&q, name, IPC_O_CREATE | IPC_O_EXCL, 0, NULL),
	          -EMFILE);
	CHECK(q == NULL);
	CHECK(!exists(name));
	CHECK_OK(ipc_mq_limit_message(-EMFILE, NULL, msg, sizeof(msg)));
	printf("# %s\n", msg);
	CHECK(strstr(msg, "RLIMIT_MSGQUEUE=1000 bytes (ulimit -q)") != NULL);

	/* Once the limit allows it, the same call works. */
	CHECK(setrlimit(RLIMIT_MSGQUEUE, &saved.rl) == 0);
	q = open_ok(name, IPC_O_CREATE | IPC_O_EXCL, 0, 0);
	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(name));
}

static bool under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p != NULL && strstr(p, "vgpreload") != NULL;
}

static void test_limit_rlimit_nofile(void)
{
	const char *name = qname("nofile");
	static struct saved_rlimit saved;
	struct rlimit rl;
	char msg[256];
	int fds[64];
	int nfds = 0;
	ipc_mq *q;
	int fd;

	saved.resource = RLIMIT_NOFILE;
	CHECK(getrlimit(RLIMIT_NOFILE, &saved.rl) == 0);
	check_defer(restore_rlimit, &saved);
	rl = saved.rl;
	rl.rlim_cur = 32;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	while ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0) {
		CHECK(nfds < (int)ARRAY_SIZE(fds));
		fds[nfds++] = fd;
	}
	CHECK(errno == EMFILE);
	CHECK_ERR(ipc_mq_open(&q, name, IPC_O_CREATE | IPC_O_EXCL, 0, NULL),
	          -EMFILE);
	CHECK_OK(ipc_mq_limit_message(-EMFILE, NULL, msg, sizeof(msg)));
	while (nfds > 0)
		CHECK(close(fds[--nfds]) == 0);
	CHECK(setrlimit(RLIMIT_NOFILE, &saved.rl) == 0);
	printf("# %s\n", msg);
	CHECK_STR_EQ(msg, "the process has RLIMIT_NOFILE=32 descriptors open "
	                  "(ulimit -n)");
	/* The kernel takes the descriptor slot before it creates the queue;
	 * valgrind applies its own descriptor limit after the system call,
	 * once the queue exists. */
	if (under_valgrind())
		(void)mq_unlink(name);
	CHECK(!exists(name));
}

/*
 * In a private IPC namespace (the machine's limits stay untouched): a
 * tiny queues_max and msg_max, read at call time by the message; the
 * queue after the failing one works once a slot frees.
 */
struct ns_names {
	const char *n[3];
};

static void ns_child(void *arg)
{
	const struct ns_names *nn = arg;
	struct ipc_mq_attr a = {3, 0, 0};
	char msg[256];
	ipc_mq *q[3];

	CHECK(unshare(CLONE_NEWIPC) == 0);
	sysctl_write("queues_max", 2);
	sysctl_write("msg_max", 2);

	CHECK_ERR(ipc_mq_open(&q[0], nn->n[0], IPC_O_CREATE, 0, &a), -EINVAL);
	CHECK_OK(ipc_mq_limit_message(-EINVAL, &a, msg, sizeof(msg)));
	CHECK_STR_EQ(msg, "max_messages=3 exceeds " SYSCTL_DIR "msg_max=2");

	q[0] = open_ok(nn->n[0], IPC_O_CREATE | IPC_O_EXCL, 0, 0);
	q[1] = open_ok(nn->n[1], IPC_O_CREATE | IPC_O_EXCL, 2, 0);
	CHECK_ERR(ipc_mq_open(&q[2], nn->n[2], IPC_O_CREATE, 0, NULL), -ENOSPC);
	CHECK(q[2] == NULL);
	CHECK_OK(ipc_mq_limit_message(-ENOSPC, NULL, msg, sizeof(msg)));
	CHECK_STR_EQ(msg, "the system has " SYSCTL_DIR
	                  "queues_max=2 message queues already");
	printf("# %s\n", msg);

	/* A closed handle frees no slot; an unlinked queue does. */
	CHECK_OK(ipc_mq_close(q[1]));
	CHECK_ERR(ipc_mq_open(&q[2], nn->n[2], IPC_O_CREATE, 0, NULL), -ENOSPC);
	CHECK_OK(ipc_mq_unlink(nn->n[1]));
	q[2] = open_ok(nn->n[2], IPC_O_CREATE | IPC_O_EXCL, 0, 0);
	send_ok(q[2], "works", 1);
	recv_expect(q[2], "works", 1);
	CHECK_OK(ipc_mq_close(q[0]));
	CHECK_OK(ipc_mq_close(q[2]));
	CHECK_OK(ipc_mq_unlink(nn->n[0]));
	CHECK_OK(ipc_mq_unlink(nn->n[2]));
}

static void test_limit_namespace(void)
{
	struct ns_names nn = {{qname("ns"), qname("ns"), qname("ns")}};
	pid_t pid;

	if (has_sys_resource()) {
		printf("# skip test_limit_namespace: CAP_SYS_RESOURCE\n");
		return;
	}
	if (geteuid() != 0) {
		printf("# skip test_limit_namespace: needs root\n");
		return;
	}
	pid = check_fork(ns_child, &nn);
	CHECK_CHILD_OK(pid, 5000);
	/* Nothing of the namespace shows here. */
	CHECK(!exists(nn.n[0]) && !exists(nn.n[1]) && !exists(nn.n[2]));
}

/* ---- open: exists, missing, misuse ---------------------------------- */

static void test_exists_missing(void)
{
	const char *name = qname("ex");
	ipc_mq *q = (ipc_mq *)&q;
	ipc_mq *r;

	CHECK_ERR(ipc_mq_open(&q, name, IPC_O_READ, 0, NULL), -ENOENT);
	CHECK(q == NULL);
	CHECK_ERR(ipc_mq_open(&q, name, IPC_O_RDWR, 0600, NULL), -ENOENT);
	CHECK_ERR(ipc_mq_unlink(name), -ENOENT);
	CHECK(!exists(name));

	CHECK_OK(ipc_mq_open(&q, name, IPC_O_CREATE | IPC_O_EXCL, 0640, NULL));
	CHECK_ERR(ipc_mq_open(&r, name, IPC_O_CREATE | IPC_O_EXCL, 0, NULL),
	          -EEXIST);
	CHECK(r == NULL);
	/* Create-or-open takes the existing queue and keeps its mode and
	 * its messages. */
	send_ok(q, "kept", 9);
	CHECK_OK(ipc_mq_open(&r, name, IPC_O_READ | IPC_O_CREATE, 0666, NULL));
	CHECK_EQ(mode_of(name), 0640);
	recv_expect(r, "kept", 9);
	CHECK_OK(ipc_mq_close(r));
	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(name));
	CHECK_ERR(ipc_mq_unlink(name), -ENOENT);
}

static void test_misuse(void)
{
	const char *name = qname("mis");
	char longname[NAME_MAX + 3];
	struct ipc_mq_attr a;
	char buf[64];
	size_t n = 1;
	unsigned int prio = 1;
	ipc_mq *q = (ipc_mq *)&q;
	ipc_mq *r;
	ipc_mq *w;

	/* NULL handles. */
	CHECK_ERR(ipc_mq_send(NULL, "x", 1, 0, IPC_DEADLINE_NOW), -EBADF);
	CHECK_ERR(ipc_mq_receive(NULL, buf, sizeof(buf), &n, &prio,
	                         IPC_DEADLINE_NOW),
	          -EBADF);
	CHECK_EQ(n, 0);
	CHECK_EQ(prio, 0);
	CHECK_ERR(ipc_mq_attrs(NULL, &a), -EBADF);
	CHECK_EQ(ipc_mq_fd(NULL), -1);
	CHECK(ipc_mq_name(NULL) == NULL);
	CHECK(!ipc_mq_is_unlinked(NULL));
	CHECK_OK(ipc_mq_close(NULL));

	/* Names. */
	memset(longname, 'a', sizeof(longname));
	longname[0] = '/';
	longname[NAME_MAX + 2] = '\0';
	CHECK_ERR(ipc_mq_open(&q, NULL, IPC_O_CREATE, 0, NULL), -EINVAL);
	CHECK(q == NULL);
	CHECK_ERR(ipc_mq_open(&q, "", IPC_O_CREATE, 0, NULL), -EINVAL);
	CHECK_ERR(ipc_mq_open(&q, "/", IPC_O_CREATE, 0, NULL), -EINVAL);
	CHECK_ERR(ipc_mq_open(&q, "noslash", IPC_O_CREATE, 0, NULL), -EINVAL);
	CHECK_ERR(ipc_mq_open(&q, "/a/b", IPC_O_CREATE, 0, NULL), -EINVAL);
	CHECK_ERR(ipc_mq_open(&q, "/..", IPC_O_CREATE, 0, NULL), -EINVAL);
	CHECK_ERR(ipc_mq_open(&q, longname, IPC_O_CREATE, 0, NULL),
	          -ENAMETOOLONG);
	CHECK_ERR(ipc_mq_unlink(NULL), -EINVAL);
	CHECK_ERR(ipc_mq_unlink("noslash"), -EINVAL);
	CHECK_ERR(ipc_mq_unlink("/a/b"), -EINVAL);
	CHECK_ERR(ipc_mq_unlink(longname), -ENAMETOOLONG);

	/* Flags and modes. */
	CHECK_ERR(ipc_mq_open(&q, name, IPC_O_CREATE | IPC_O_NOFOLLOW, 0, NULL),
	          -EINVAL);
	CHECK_ERR(ipc_mq_open(&q, name, IPC_O_CREATE | 0x1000u, 0, NULL),
	          -EINVAL);
	CHECK_ERR(ipc_mq_open(&q, name, IPC_O_EXCL, 0, NULL), -EINVAL);
	CHECK_ERR(ipc_mq_open(&q, name, IPC_O_CREATE, 01600, NULL), -EINVAL);
	CHECK(!exists(name));

	/* Directions, priorities, buffers. */
	r = open_ok(name, IPC_O_READ | IPC_O_CREATE | IPC_O_EXCL, 2, 64);
	w = open_ok(name, IPC_O_WRITE, 0, 0);
	CHECK_ERR(ipc_mq_send(r, "x", 1, 0, IPC_DEADLINE_NOW), -EBADF);
	CHECK_ERR(
	        ipc_mq_receive(w, buf, sizeof(buf), &n, NULL, IPC_DEADLINE_NOW),
	        -EBADF);
	CHECK_ERR(ipc_mq_send(w, "x", 1, IPC_MQ_PRIO_MAX, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_mq_send(w, "x", 1, UINT32_MAX, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_mq_send(w, NULL, 1, 0, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_OK(ipc_mq_send(w, "x", 1, IPC_MQ_PRIO_MAX - 1, IPC_DEADLINE_NOW));
	CHECK_ERR(ipc_mq_receive(r, NULL, 64, &n, NULL, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_mq_receive(r, buf, 64, NULL, NULL, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_mq_receive(r, buf, 0, &n, NULL, IPC_DEADLINE_NOW),
	          -EMSGSIZE);
	CHECK_ERR(ipc_mq_attrs(r, NULL), -EINVAL);
	recv_expect(r, "x", IPC_MQ_PRIO_MAX - 1);
	CHECK_OK(ipc_mq_close(w));
	CHECK_OK(ipc_mq_close(r));
	CHECK_OK(ipc_mq_unlink(name));
}

static void test_other_owner(void)
{
	const char *name = qname("own");
	ipc_mq *q;
	ipc_mq *r = (ipc_mq *)&r;

	if (geteuid() != 0) {
		printf("# skip test_other_owner: needs root to chown\n");
		return;
	}
	q = open_ok(name, IPC_O_CREATE | IPC_O_EXCL, 2, 16);
	CHECK(fchown(ipc_mq_fd(q), NOBODY, NOBODY) == 0);
	CHECK_ERR(ipc_mq_open(&r, name, IPC_O_READ, 0, NULL), -EPERM);
	CHECK(r == NULL);
	CHECK_ERR(ipc_mq_open(&r, name, IPC_O_WRITE | IPC_O_CREATE, 0, NULL),
	          -EPERM);
	r = open_ok(name, IPC_O_READ | IPC_O_SHARED, 0, 0);
	send_ok(q, "shared", 0);
	recv_expect(r, "shared", 0);
	CHECK_OK(ipc_mq_close(r));
	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(name));
}

/* ---- permission bits ------------------------------------------------ */

static void create_with_mode(const char *name, unsigned int mode,
                             unsigned int want)
{
	ipc_mq *q;
	struct stat st;

	CHECK_OK(ipc_mq_open(&q, name, IPC_O_CREATE | IPC_O_EXCL, mode, NULL));
	CHECK_EQ(mode_of(name), want);
	CHECK(fstat(ipc_mq_fd(q), &st) == 0);
	CHECK_EQ(st.st_mode & 07777, want);
	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(name));
}

static void test_mode_umask000(void)
{
	umask(0);
	create_with_mode(qname("m"), 0, 0600);
	create_with_mode(qname("m"), 0666, 0666);
	create_with_mode(qname("m"), 0604, 0604);
}

static void test_mode_umask077(void)
{
	umask(077);
	create_with_mode(qname("m"), 0, 0600);
	create_with_mode(qname("m"), 0640, 0640);
	create_with_mode(qname("m"), 0777, 0777);
	/* A umask that takes the owner's bits: the default still holds. */
	umask(0377);
	create_with_mode(qname("m"), 0, 0600);
	create_with_mode(qname("m"), 0400, 0400);
}

/* ---- descriptors ---------------------------------------------------- */

static void check_fd_flags(ipc_mq *q, int acc)
{
	int fd = ipc_mq_fd(q);
	int fl = fcntl(fd, F_GETFL);

	CHECK(fd >= 0);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK(fl >= 0);
	CHECK_EQ(fl & O_ACCMODE, acc);
	CHECK(fl & O_NONBLOCK);
}

static void test_descriptor(void)
{
	const char *name = qname("fd");
	ipc_mq *q;
	ipc_mq *r;
	ipc_mq *w;
	ipc_deadline start;
	char buf[16];
	size_t n;

	q = open_ok(name, IPC_O_CREATE | IPC_O_EXCL, 2, 16);
	r = open_ok(name, IPC_O_READ, 0, 0);
	w = open_ok(name, IPC_O_WRITE | IPC_O_NONBLOCK, 0, 0);
	check_fd_flags(q, O_RDWR);
	check_fd_flags(r, O_RDONLY);
	check_fd_flags(w, O_WRONLY);
	CHECK(ipc_mq_name(q) != name);
	CHECK_STR_EQ(ipc_mq_name(q), name);
	/* IPC_O_NONBLOCK changes nothing: deadlines hold either way. */
	start = ipc_now();
	CHECK_ERR(ipc_mq_receive(q, buf, sizeof(buf), &n, NULL,
	                         ipc_deadline_in_ms(100)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 100);
	send_ok(w, "1", 0);
	send_ok(w, "2", 0);
	start = ipc_now();
	CHECK_ERR(ipc_mq_send(w, "3", 1, 0, ipc_deadline_in_ms(100)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 100);
	CHECK_OK(ipc_mq_close(w));
	CHECK_OK(ipc_mq_close(r));
	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(name));
}

/* ---- EINTR ---------------------------------------------------------- */

static void test_eintr_receive(void)
{
	const char *name = qname("eintr");
	ipc_deadline start;
	ipc_deadline d;
	char buf[16];
	size_t n;
	ipc_mq *q;

	q = open_ok(name, IPC_O_CREATE | IPC_O_EXCL, 2, 16);
	start = ipc_now();
	d = ipc_deadline_in_ms(400);
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_mq_receive(q, buf, sizeof(buf), &n, NULL, d), -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
	/* The same deadline again: the total wait does not grow. */
	CHECK_ERR(ipc_mq_receive(q, buf, sizeof(buf), &n, NULL, d), -ETIMEDOUT);
	CHECK_ELAPSED(start, 400);

	start = ipc_now();
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_mq_receive(q, buf, sizeof(buf), &n, NULL,
	                         IPC_DEADLINE_NEVER),
	          -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(name));
}

static void test_eintr_send(void)
{
	const char *name = qname("eintr");
	ipc_deadline start;
	ipc_deadline d;
	ipc_mq *q;

	q = open_ok(name, IPC_O_CREATE | IPC_O_EXCL, 1, 16);
	send_ok(q, "full", 0);
	start = ipc_now();
	d = ipc_deadline_in_ms(400);
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_mq_send(q, "x", 1, 0, d), -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
	CHECK_ERR(ipc_mq_send(q, "x", 1, 0, d), -ETIMEDOUT);
	CHECK_ELAPSED(start, 400);
	recv_expect(q, "full", 0);
	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(name));
}

/* ---- external removal (RELIABILITY.md F14) -------------------------- */

struct blocked {
	ipc_mq *q; /* inherited across fork: the peer's own descriptor */
	int64_t deadline_ms;
	const char *want; /* NULL: expect -ETIMEDOUT */
	int64_t max_ms;   /* returns within this */
};

static void blocked_receiver(void *arg)
{
	const struct blocked *b = arg;
	ipc_deadline start = ipc_now();
	char buf[64];
	size_t n;
	ipc_status st;

	st = ipc_mq_receive(b->q, buf, sizeof(buf), &n, NULL,
	                    ipc_deadline_in_ms(b->deadline_ms));
	if (b->want == NULL) {
		CHECK_ERR(st, -ETIMEDOUT);
		CHECK_ELAPSED(start, b->deadline_ms);
	} else {
		CHECK_OK(st);
		CHECK_EQ(n, strlen(b->want));
		CHECK_MEM_EQ(buf, b->want, n);
		CHECK((ipc_now() - start) / 1000000 < b->max_ms * check_slow());
	}
	/* Unlinked meanwhile: the handle can tell. */
	CHECK(ipc_mq_is_unlinked(b->q));
	CHECK_OK(ipc_mq_close(b->q));
}

static void test_unlink_while_blocked(void)
{
	const char *name = qname("rm");
	struct blocked b = {NULL, 2000, NULL, 0};
	ipc_deadline start;
	ipc_mq *fresh;
	pid_t pid;

	/* Nobody sends: the blocked receiver is not woken by the unlink and
	 * returns at its deadline, not later. */
	b.q = open_ok(name, IPC_O_CREATE | IPC_O_EXCL, 2, 64);
	CHECK(!ipc_mq_is_unlinked(b.q));
	start = ipc_now();
	pid = check_fork(blocked_receiver, &b);
	usleep(200000);
	CHECK_OK(ipc_mq_unlink(name));
	CHECK(!exists(name));
	CHECK(ipc_mq_is_unlinked(b.q));
	CHECK_CHILD_OK(pid, 4000);
	CHECK_ELAPSED(start, 2000);
	CHECK_OK(ipc_mq_close(b.q));

	/* A process that still holds the queue can send after the unlink:
	 * the blocked receiver gets it at once. A new queue of the same name
	 * is a different queue. */
	b.q = open_ok(name, IPC_O_CREATE | IPC_O_EXCL, 2, 64);
	b.deadline_ms = 5000;
	b.want = "after unlink";
	b.max_ms = 1500;
	pid = check_fork(blocked_receiver, &b);
	usleep(200000);
	CHECK_OK(ipc_mq_unlink(name));
	fresh = open_ok(name, IPC_O_CREATE | IPC_O_EXCL, 2, 64);
	CHECK(!ipc_mq_is_unlinked(fresh));
	send_ok(fresh, "to the new queue", 0);
	usleep(100000);
	send_ok(b.q, "after unlink", 0);
	CHECK_CHILD_OK(pid, 5000);
	recv_expect(fresh, "to the new queue", 0);
	CHECK_OK(ipc_mq_close(fresh));
	CHECK_OK(ipc_mq_close(b.q));
	CHECK_OK(ipc_mq_unlink(name));
}

/* Removal through the file system (rm /dev/mqueue/NAME) is the same. */
static void test_rm_dev_mqueue(void)
{
	const char *name = qname("rm");
	char path[PATH_MAX];
	ipc_mq *q;

	q = open_ok(name, IPC_O_CREATE | IPC_O_EXCL, 2, 64);
	snprintf(path, sizeof(path), "/dev/mqueue%s", name);
	CHECK(unlink(path) == 0);
	CHECK(ipc_mq_is_unlinked(q));
	send_ok(q, "still", 1);
	recv_expect(q, "still", 1);
	CHECK_ERR(ipc_mq_unlink(name), -ENOENT);
	CHECK_OK(ipc_mq_close(q));
}

/* ---- a dead peer ---------------------------------------------------- */

static void send_and_die(void *arg)
{
	ipc_mq *q = open_ok(arg, IPC_O_WRITE, 0, 0);

	send_ok(q, "low", 1);
	send_ok(q, "high", 2);
	/* Killed with the handle open: nothing is flushed or lost. */
	raise(SIGKILL);
}

static void test_peer_dies(void)
{
	const char *name = qname("dead");
	ipc_mq *q;
	pid_t pid;
	int ws;

	q = open_ok(name, IPC_O_CREATE | IPC_O_EXCL | IPC_O_READ, 4, 16);
	CHECK_OK(ipc_mq_close(q)); /* no handle open at all meanwhile */
	pid = check_fork(send_and_die, (void *)name);
	ws = check_wait(pid, 5000);
	CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
	q = open_ok(name, IPC_O_READ, 4, 16);
	check_shape(q, 4, 16, 2);
	recv_expect(q, "high", 2);
	recv_expect(q, "low", 1);
	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(name));
}

/* ---- interop with a peer that calls mq_* itself --------------------- */

struct raw_names {
	const char *to_lib; /* made by mq_open(3), opened by the library */
	const char *to_raw; /* made by the library, opened by mq_open(3) */
};

static void raw_peer(void *arg)
{
	const struct raw_names *rn = arg;
	struct mq_attr ma;
	char buf[128];
	unsigned int prio;
	ssize_t n;
	mqd_t out;
	mqd_t in;

	/* Plain blocking descriptors of its own. */
	out = mq_open(rn->to_lib, O_WRONLY);
	CHECK(out >= 0);
	CHECK(mq_send(out, "raw-low", 7, 1) == 0);
	CHECK(mq_send(out, "raw-high", 8, 30000) == 0);
	CHECK(mq_send(out, "raw-mid", 7, 10) == 0);
	CHECK(mq_send(out, "", 0, 10) == 0);
	CHECK(mq_close(out) == 0);

	in = mq_open(rn->to_raw, O_RDONLY);
	CHECK(in >= 0);
	CHECK(mq_getattr(in, &ma) == 0);
	CHECK_EQ(ma.mq_flags & O_NONBLOCK, 0);
	CHECK_EQ(ma.mq_maxmsg, 4);
	CHECK_EQ(ma.mq_msgsize, 128);
	/* Let all three arrive, so that the order is the queue's. */
	while (ma.mq_curmsgs < 3) {
		usleep(1000);
		CHECK(mq_getattr(in, &ma) == 0);
	}
	n = mq_receive(in, buf, sizeof(buf), &prio);
	CHECK_EQ(n, 6);
	CHECK_MEM_EQ(buf, "lib-hi", 6);
	CHECK_EQ(prio, 20);
	n = mq_receive(in, buf, sizeof(buf), &prio);
	CHECK_EQ(n, 128);
	CHECK_EQ(prio, 5);
	n = mq_receive(in, buf, sizeof(buf), &prio);
	CHECK_EQ(n, 6);
	CHECK_MEM_EQ(buf, "lib-lo", 6);
	CHECK_EQ(prio, 0);
	CHECK(mq_close(in) == 0);
}

static void test_interop_raw(void)
{
	struct raw_names rn = {qname("raw"), qname("raw")};
	struct mq_attr ma = {.mq_maxmsg = 4, .mq_msgsize = 128};
	unsigned char full[128];
	ipc_mq *in;
	ipc_mq *out;
	mqd_t raw;
	pid_t pid;

	raw = mq_open(rn.to_lib, O_RDWR | O_CREAT | O_EXCL, 0600, &ma);
	CHECK(raw >= 0);
	CHECK(mq_close(raw) == 0);
	in = open_ok(rn.to_lib, IPC_O_READ, 4, 128);
	out = open_ok(rn.to_raw, IPC_O_WRITE | IPC_O_CREATE | IPC_O_EXCL, 4,
	              128);

	pid = check_fork(raw_peer, &rn);
	wait_count(in, 4);
	recv_expect(in, "raw-high", 30000);
	recv_expect(in, "raw-mid", 10);
	recv_expect(in, "", 10);
	recv_expect(in, "raw-low", 1);
	send_ok(out, "lib-lo", 0);
	send_ok(out, "lib-hi", 20);
	memset(full, 'f', sizeof(full));
	CHECK_OK(ipc_mq_send(out, full, sizeof(full), 5, IPC_DEADLINE_NOW));
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_mq_close(in));
	CHECK_OK(ipc_mq_close(out));
	CHECK_OK(ipc_mq_unlink(rn.to_lib));
	CHECK_OK(ipc_mq_unlink(rn.to_raw));
}

static const struct check_case cases[] = {
        CHECK_CASE(test_roundtrip),
        CHECK_CASE(test_priority_order),
        CHECK_CASE(test_would_block),
        CHECK_CASE(test_send_timeout),
        CHECK_CASE(test_receive_timeout),
        CHECK_CASE(test_wakeup),
        CHECK_CASE(test_sizes),
        CHECK_CASE(test_attrs),
        CHECK_CASE(test_limits),
        CHECK_CASE(test_limit_rlimit_msgqueue),
        CHECK_CASE(test_limit_rlimit_nofile),
        CHECK_CASE(test_limit_namespace),
        CHECK_CASE(test_exists_missing),
        CHECK_CASE(test_misuse),
        CHECK_CASE(test_other_owner),
        CHECK_CASE(test_mode_umask000),
        CHECK_CASE(test_mode_umask077),
        CHECK_CASE(test_descriptor),
        CHECK_CASE(test_eintr_receive),
        CHECK_CASE(test_eintr_send),
        CHECK_CASE(test_unlink_while_blocked),
        CHECK_CASE(test_rm_dev_mqueue),
        CHECK_CASE(test_peer_dies),
        CHECK_CASE(test_interop_raw),
        {NULL, NULL},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
