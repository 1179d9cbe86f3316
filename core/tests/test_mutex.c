/* SPDX-License-Identifier: MIT */
/* Robust process-shared mutexes: locking, owner death (F2), cond vars. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ipc/mutex.h"
#include "ipc/shm.h"

#define NOBODY 65534
/* The documented layout (docs/mutex.md): a 16-byte header, then the
 * pthread mutex and condition variable. */
#define OFF_MAGIC   0
#define OFF_VERSION 4
#define OFF_STATE   12
#define OFF_MUTEX   16

static const char *dev_path(const char *name)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "/dev/shm%s", name);
	return buf;
}

static bool exists(const char *name)
{
	struct stat st;

	return lstat(dev_path(name), &st) == 0;
}

static void unlink_quiet(void *arg)
{
	(void)unlink(dev_path(arg));
}

static ipc_mutex *open_ok(const char *name, unsigned int flags)
{
	ipc_mutex *m = NULL;

	CHECK_OK(ipc_mutex_open(&m, name, flags, 0, ipc_deadline_in_ms(5000)));
	CHECK(m != NULL);
	return m;
}

static ipc_mutex *create_ok(const char *name)
{
	ipc_mutex *m = open_ok(name, IPC_O_CREATE | IPC_O_EXCL);

	check_defer(unlink_quiet, (void *)name);
	return m;
}

/* A small shared data object for predicates and counters. */
static ipc_shm *data_create(const char *name)
{
	ipc_shm *h = NULL;

	CHECK_OK(ipc_shm_open(&h, name, 4096, IPC_O_CREATE | IPC_O_EXCL, 0));
	check_defer(unlink_quiet, (void *)name);
	return h;
}

static ipc_shm *data_open(const char *name)
{
	ipc_shm *h = NULL;

	CHECK_OK(ipc_shm_open(&h, name, 4096, 0, 0));
	return h;
}

static volatile int *word(ipc_shm *h, int i)
{
	return (volatile int *)ipc_shm_addr(h) + i;
}

/* ---- synchronisation between the case and its helpers ------------------ */

struct sync {
	int up[2];   /* helper -> case */
	int down[2]; /* case -> helper */
};

static void sync_open(struct sync *s)
{
	CHECK(pipe2(s->up, O_CLOEXEC) == 0);
	CHECK(pipe2(s->down, O_CLOEXEC) == 0);
}

static void sync_close(struct sync *s)
{
	close(s->up[0]);
	close(s->up[1]);
	close(s->down[0]);
	close(s->down[1]);
}

static void put_byte(int fd)
{
	CHECK(write(fd, "x", 1) == 1);
}

static void get_byte(int fd)
{
	struct pollfd pfd = {fd, POLLIN, 0};
	char c;

	CHECK(poll(&pfd, 1, 10000 * check_slow()) == 1);
	CHECK(read(fd, &c, 1) == 1);
}

static void nap_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void reap(pid_t pid)
{
	int ws;

	ws = check_wait(pid, 5000);
	CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
}

/* ---- the run-time probe for robust mutexes (RELIABILITY.md 2.7) -------- */

/*
 * Helpers that die with raise(SIGKILL) keep their handles in statics:
 * valgrind runs its leak check when a process sends itself SIGKILL.
 */
static void probe_child(void *arg)
{
	static ipc_mutex *m;

	m = open_ok(arg, 0);

	CHECK_OK(ipc_mutex_lock(m, ipc_deadline_in_ms(5000)));
	raise(SIGKILL); /* dies holding it */
}

static void raw_probe_child(void *arg)
{
	CHECK(pthread_mutex_lock(arg) == 0);
	raise(SIGKILL);
}

/*
 * Whether the system hands over a lock whose owner died with EOWNERDEAD:
 * the kernel's robust list and the C library must both do their part. A
 * plain pthread mutex in an anonymous shared mapping, independent of the
 * code under test (a library that forgot PTHREAD_MUTEX_ROBUST must fail
 * the tests, not skip them). No #ifdef.
 */
static bool robust_supported(void)
{
	pthread_mutexattr_t ma;
	pthread_mutex_t *mx;
	struct timespec ts;
	pid_t pid;
	int r;

	mx = mmap(NULL, sizeof(*mx), PROT_READ | PROT_WRITE,
	          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(mx != MAP_FAILED);
	CHECK(pthread_mutexattr_init(&ma) == 0);
	CHECK(pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) == 0);
	r = pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	if (r == 0)
		r = pthread_mutex_init(mx, &ma);
	pthread_mutexattr_destroy(&ma);
	if (r == 0) {
		pid = check_fork(raw_probe_child, mx);
		reap(pid);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 2 * check_slow();
		r = pthread_mutex_clocklock(mx, CLOCK_MONOTONIC, &ts);
		if (r == EOWNERDEAD) {
			CHECK(pthread_mutex_consistent(mx) == 0);
			CHECK(pthread_mutex_unlock(mx) == 0);
		}
	}
	CHECK(munmap(mx, sizeof(*mx)) == 0);
	if (r != EOWNERDEAD)
		fprintf(stderr, "  skipped: no robust mutexes here (%s)\n",
		        check_errname(-r));
	return r == EOWNERDEAD;
}

/* ---- a counter across two processes ----------------------------------- */

#define COUNT_PER_CHILD 10000

struct names {
	const char *mutex;
	const char *data;
	struct sync *sync;
};

static void counter_child(void *arg)
{
	const struct names *n = arg;
	ipc_mutex *m = open_ok(n->mutex, 0);
	ipc_shm *h = data_open(n->data);
	volatile int *c = word(h, 0);
	int v;
	int i;

	for (i = 0; i < COUNT_PER_CHILD; i++) {
		/* Both wait paths: for ever and until a deadline. */
		CHECK_OK(ipc_mutex_lock(m, i % 2 ? IPC_DEADLINE_NEVER
		                                 : ipc_deadline_in_ms(10000)));
		v = *c;
		if (i % 64 == 0)
			sched_yield(); /* widen the window a broken lock leaves
			                */
		*c = v + 1;
		CHECK_OK(ipc_mutex_unlock(m));
	}
	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_mutex_close(m));
}

static void test_counter(void)
{
	struct names n = {check_posix_name("mx"), check_posix_name("data"),
	                  NULL};
	ipc_mutex *m = create_ok(n.mutex);
	ipc_shm *h = data_create(n.data);
	pid_t a;
	pid_t b;

	a = check_fork(counter_child, &n);
	b = check_fork(counter_child, &n);
	CHECK_CHILD_OK(a, 15000);
	CHECK_CHILD_OK(b, 15000);
	CHECK_EQ(*word(h, 0), 2 * COUNT_PER_CHILD);
	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_shm_unlink(n.data));
	CHECK_OK(ipc_mutex_close(m));
	CHECK_OK(ipc_mutex_unlink(n.mutex));
}

/* ---- would-block, timeout, no EINTR ----------------------------------- */

/* Hold the lock until the case says so. */
static void holder_child(void *arg)
{
	const struct names *n = arg;
	ipc_mutex *m = open_ok(n->mutex, 0);

	CHECK_OK(ipc_mutex_lock(m, ipc_deadline_in_ms(5000)));
	put_byte(n->sync->up[1]);
	get_byte(n->sync->down[0]);
	CHECK_OK(ipc_mutex_unlock(m));
	CHECK_OK(ipc_mutex_close(m));
}

static pid_t start_holder(struct names *n, struct sync *s)
{
	pid_t pid;

	sync_open(s);
	n->sync = s;
	pid = check_fork(holder_child, n);
	get_byte(s->up[0]);
	return pid;
}

static void test_trylock_busy(void)
{
	struct names n = {check_posix_name("busy"), NULL, NULL};
	ipc_mutex *m = create_ok(n.mutex);
	ipc_deadline start;
	struct sync s;
	pid_t pid;

	pid = start_holder(&n, &s);
	start = ipc_now();
	CHECK_ERR(ipc_mutex_lock(m, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_ELAPSED(start, 0);
	/* A deadline that has passed already: tried once, -ETIMEDOUT. */
	CHECK_ERR(ipc_mutex_lock(m, ipc_now() - 1000000), -ETIMEDOUT);
	CHECK_ERR(ipc_mutex_unlock(m), -EPERM);
	put_byte(s.down[1]);
	CHECK_OK(ipc_mutex_lock(m, ipc_deadline_in_ms(5000)));
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_mutex_unlock(m));
	CHECK_OK(ipc_mutex_lock(m, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_mutex_unlock(m));
	sync_close(&s);
	CHECK_OK(ipc_mutex_close(m));
	CHECK_OK(ipc_mutex_unlink(n.mutex));
}

static void test_lock_timeout(void)
{
	struct names n = {check_posix_name("timeout"), NULL, NULL};
	ipc_mutex *m = create_ok(n.mutex);
	ipc_deadline start;
	struct sync s;
	pid_t pid;

	pid = start_holder(&n, &s);
	start = ipc_now();
	CHECK_ERR(ipc_mutex_lock(m, ipc_deadline_in_ms(150)), -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	put_byte(s.down[1]);
	CHECK_OK(ipc_mutex_lock(m, IPC_DEADLINE_NEVER));
	CHECK_OK(ipc_mutex_unlock(m));
	CHECK_CHILD_OK(pid, 5000);
	sync_close(&s);
	CHECK_OK(ipc_mutex_close(m));
	CHECK_OK(ipc_mutex_unlink(n.mutex));
}

/*
 * A lock wait is not interrupted by signal handlers (robust mutexes never
 * report EINTR): it ends at its deadline, as documented.
 */
static void test_lock_no_eintr(void)
{
	struct names n = {check_posix_name("eintr"), NULL, NULL};
	ipc_mutex *m = create_ok(n.mutex);
	ipc_deadline start;
	struct sync s;
	pid_t pid;

	pid = start_holder(&n, &s);
	start = ipc_now();
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_mutex_lock(m, ipc_deadline_in_ms(300)), -ETIMEDOUT);
	check_signal_stop();
	CHECK_ELAPSED(start, 300);
	put_byte(s.down[1]);
	CHECK_CHILD_OK(pid, 5000);
	sync_close(&s);
	CHECK_OK(ipc_mutex_close(m));
	CHECK_OK(ipc_mutex_unlink(n.mutex));
}

/* ---- F2: owner death --------------------------------------------------- */

#define F2_ROUNDS  20
#define F2_MUTEXES 10

struct f2 {
	const char *names[F2_MUTEXES];
	int ready;
	bool self_kill;
};

static void f2_child(void *arg)
{
	static ipc_mutex *m[F2_MUTEXES];
	struct f2 *f = arg;
	int i;

	for (i = 0; i < F2_MUTEXES; i++) {
		m[i] = open_ok(f->names[i], 0);
		CHECK_OK(ipc_mutex_lock(m[i], ipc_deadline_in_ms(5000)));
	}
	put_byte(f->ready);
	if (f->self_kill)
		nap_ms(30);
	else
		nap_ms(60000);
	raise(SIGKILL);
}

static void test_owner_dead(void)
{
	ipc_mutex *m[F2_MUTEXES];
	struct f2 f;
	ipc_deadline d;
	ipc_status st;
	int round;
	int p[2];
	pid_t pid;
	int i;

	if (!robust_supported())
		return;
	for (i = 0; i < F2_MUTEXES; i++) {
		f.names[i] = check_posix_name("f2");
		m[i] = create_ok(f.names[i]);
	}
	for (round = 0; round < F2_ROUNDS; round++) {
		CHECK(pipe2(p, O_CLOEXEC) == 0);
		f.ready = p[1];
		/* Odd rounds: the owner dies while we wait for the lock;
		 * even rounds: it is dead before we try. */
		f.self_kill = round % 2;
		pid = check_fork(f2_child, &f);
		close(p[1]);
		get_byte(p[0]);
		close(p[0]);
		if (!f.self_kill) {
			CHECK(kill(pid, SIGKILL) == 0);
			reap(pid);
		}
		for (i = 0; i < F2_MUTEXES; i++) {
			d = round % 4 == 0 ? IPC_DEADLINE_NOW
			                   : ipc_deadline_in_ms(5000);
			st = ipc_mutex_lock(m[i], d);
			if (st != -EOWNERDEAD)
				check_fail(__FILE__, __LINE__,
				           "round %d mutex %d: %s", round, i,
				           check_errname(st));
			CHECK(d == IPC_DEADLINE_NOW ||
			      !ipc_deadline_expired(d));
			CHECK_OK(ipc_mutex_consistent(m[i]));
			CHECK_OK(ipc_mutex_unlock(m[i]));
			/* Usable again, and no owner-died report twice. */
			CHECK_OK(ipc_mutex_lock(m[i], IPC_DEADLINE_NOW));
			CHECK_OK(ipc_mutex_unlock(m[i]));
		}
		if (f.self_kill)
			reap(pid);
	}
	for (i = 0; i < F2_MUTEXES; i++) {
		CHECK_OK(ipc_mutex_close(m[i]));
		CHECK_OK(ipc_mutex_unlink(f.names[i]));
	}
}

static void notrecoverable_child(void *arg)
{
	ipc_mutex *m = open_ok(arg, 0);

	CHECK_ERR(ipc_mutex_lock(m, ipc_deadline_in_ms(1000)),
	          -ENOTRECOVERABLE);
	CHECK_ERR(ipc_mutex_lock(m, IPC_DEADLINE_NOW), -ENOTRECOVERABLE);
	CHECK_OK(ipc_mutex_close(m));
}

/* The other path: unlock without consistent makes the mutex dead. */
static void test_not_recoverable(void)
{
	const char *name = check_posix_name("dead");
	ipc_mutex *m;
	ipc_mutex *o;
	pid_t pid;

	if (!robust_supported())
		return;
	m = create_ok(name);
	CHECK_ERR(ipc_mutex_consistent(m), -EINVAL); /* not locked */
	pid = check_fork(probe_child, (void *)name);
	reap(pid);
	CHECK_ERR(ipc_mutex_lock(m, ipc_deadline_in_ms(5000)), -EOWNERDEAD);
	CHECK_OK(ipc_mutex_unlock(m)); /* without ipc_mutex_consistent() */
	CHECK_ERR(ipc_mutex_lock(m, ipc_deadline_in_ms(5000)),
	          -ENOTRECOVERABLE);
	CHECK_ERR(ipc_mutex_lock(m, IPC_DEADLINE_NOW), -ENOTRECOVERABLE);
	CHECK_ERR(ipc_mutex_lock(m, IPC_DEADLINE_NEVER), -ENOTRECOVERABLE);
	CHECK_ERR(ipc_mutex_unlock(m), -EPERM);
	pid = check_fork(notrecoverable_child, (void *)name);
	CHECK_CHILD_OK(pid, 5000);
	o = open_ok(name, 0); /* opens, but stays dead */
	CHECK_ERR(ipc_mutex_lock(o, IPC_DEADLINE_NOW), -ENOTRECOVERABLE);
	CHECK_OK(ipc_mutex_close(o));
	CHECK_OK(ipc_mutex_close(m));
	/* The way out: remove the name and make a new one. */
	CHECK_OK(ipc_mutex_unlink(name));
	m = open_ok(name, IPC_O_CREATE | IPC_O_EXCL);
	CHECK_OK(ipc_mutex_lock(m, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_mutex_unlock(m));
	CHECK_OK(ipc_mutex_close(m));
	CHECK_OK(ipc_mutex_unlink(name));
}

/* A handle closed while locked releases the lock: no owner-died report. */
static void close_locked_child(void *arg)
{
	ipc_mutex *m = open_ok(arg, 0);

	CHECK_OK(ipc_mutex_lock(m, ipc_deadline_in_ms(5000)));
	CHECK_OK(ipc_mutex_close(m));
}

static void test_close_while_held(void)
{
	const char *name = check_posix_name("closeheld");
	ipc_mutex *m = create_ok(name);
	pid_t pid;

	pid = check_fork(close_locked_child, (void *)name);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_mutex_lock(m, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_mutex_unlock(m));
	CHECK_OK(ipc_mutex_close(m));
	CHECK_OK(ipc_mutex_unlink(name));
}

/* ---- condition variable ----------------------------------------------- */

static void signaller_child(void *arg)
{
	const struct names *n = arg;
	ipc_mutex *m = open_ok(n->mutex, 0);
	ipc_shm *h = data_open(n->data);

	CHECK_OK(ipc_mutex_lock(m, ipc_deadline_in_ms(5000)));
	*word(h, 0) = 1;
	CHECK_OK(ipc_mutex_signal(m));
	CHECK_OK(ipc_mutex_unlock(m));
	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_mutex_close(m));
}

static void test_cond_signal(void)
{
	struct names n = {check_posix_name("cv"), check_posix_name("cvdata"),
	                  NULL};
	ipc_mutex *m = create_ok(n.mutex);
	ipc_shm *h = data_create(n.data);
	ipc_deadline d = ipc_deadline_in_ms(5000);
	pid_t pid;

	CHECK_OK(ipc_mutex_lock(m, d));
	pid = check_fork(signaller_child, &n);
	while (*word(h, 0) == 0)
		CHECK_OK(ipc_mutex_wait(m, d));
	CHECK_OK(ipc_mutex_unlock(m));
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_shm_unlink(n.data));
	CHECK_OK(ipc_mutex_close(m));
	CHECK_OK(ipc_mutex_unlink(n.mutex));
}

static void waiter_child(void *arg)
{
	const struct names *n = arg;
	ipc_mutex *m = open_ok(n->mutex, 0);
	ipc_shm *h = data_open(n->data);
	ipc_deadline d = ipc_deadline_in_ms(5000);

	CHECK_OK(ipc_mutex_lock(m, d));
	*word(h, 1) += 1; /* waiting */
	while (*word(h, 0) == 0)
		CHECK_OK(ipc_mutex_wait(m, d));
	*word(h, 2) += 1; /* woken */
	CHECK_OK(ipc_mutex_unlock(m));
	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_mutex_close(m));
}

static void test_cond_broadcast(void)
{
	struct names n = {check_posix_name("bc"), check_posix_name("bcdata"),
	                  NULL};
	ipc_mutex *m = create_ok(n.mutex);
	ipc_shm *h = data_create(n.data);
	ipc_deadline d = ipc_deadline_in_ms(5000);
	pid_t pids[3];
	int i;

	for (i = 0; i < 3; i++)
		pids[i] = check_fork(waiter_child, &n);
	for (;;) {
		CHECK_OK(ipc_mutex_lock(m, d));
		if (*word(h, 1) == 3)
			break;
		CHECK_OK(ipc_mutex_unlock(m));
		CHECK(!ipc_deadline_expired(d));
		nap_ms(1);
	}
	*word(h, 0) = 1;
	CHECK_OK(ipc_mutex_broadcast(m));
	CHECK_OK(ipc_mutex_unlock(m));
	for (i = 0; i < 3; i++)
		CHECK_CHILD_OK(pids[i], 5000);
	CHECK_EQ(*word(h, 2), 3);
	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_shm_unlink(n.data));
	CHECK_OK(ipc_mutex_close(m));
	CHECK_OK(ipc_mutex_unlink(n.mutex));
}

static void test_cond_timeout(void)
{
	const char *name = check_posix_name("cvto");
	ipc_mutex *m = create_ok(name);
	ipc_deadline start;

	CHECK_ERR(ipc_mutex_wait(m, ipc_deadline_in_ms(100)), -EPERM);
	CHECK_OK(ipc_mutex_lock(m, IPC_DEADLINE_NOW));
	start = ipc_now();
	CHECK_ERR(ipc_mutex_wait(m, ipc_deadline_in_ms(150)), -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	start = ipc_now();
	CHECK_ERR(ipc_mutex_wait(m, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_ELAPSED(start, 0);
	/* Signals do not end the wait early either. */
	start = ipc_now();
	check_signal_after(SIGUSR1, 30);
	CHECK_ERR(ipc_mutex_wait(m, ipc_deadline_in_ms(200)), -ETIMEDOUT);
	check_signal_stop();
	CHECK_ELAPSED(start, 200);
	CHECK_OK(ipc_mutex_unlock(m)); /* the lock was held again */
	CHECK_ERR(ipc_mutex_unlock(m), -EPERM);
	CHECK_OK(ipc_mutex_close(m));
	CHECK_OK(ipc_mutex_unlink(name));
}

static void dying_signaller(void *arg)
{
	const struct names *n = arg;
	static ipc_mutex *m;
	static ipc_shm *h;

	m = open_ok(n->mutex, 0);
	h = data_open(n->data);
	CHECK_OK(ipc_mutex_lock(m, ipc_deadline_in_ms(5000)));
	*word(h, 0) = 1;
	CHECK_OK(ipc_mutex_signal(m));
	raise(SIGKILL); /* with the lock held */
}

/* A waiter that takes the lock back from a dead owner is told so. */
static void test_cond_owner_dead(void)
{
	struct names n = {check_posix_name("cvdead"),
	                  check_posix_name("cvdeaddata"), NULL};
	ipc_mutex *m;
	ipc_shm *h;
	ipc_deadline d = ipc_deadline_in_ms(5000);
	ipc_status st = 0;
	pid_t pid;

	if (!robust_supported())
		return;
	m = create_ok(n.mutex);
	h = data_create(n.data);
	CHECK_OK(ipc_mutex_lock(m, d));
	pid = check_fork(dying_signaller, &n);
	while (st == 0) {
		st = ipc_mutex_wait(m, d);
		if (st == 0)
			CHECK(*word(h, 0) == 0); /* spurious: child not done */
	}
	CHECK_ERR(st, -EOWNERDEAD);
	CHECK_EQ(*word(h, 0), 1);
	CHECK_OK(ipc_mutex_consistent(m));
	CHECK_OK(ipc_mutex_unlock(m));
	reap(pid);
	CHECK_OK(ipc_mutex_lock(m, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_mutex_unlock(m));
	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_shm_unlink(n.data));
	CHECK_OK(ipc_mutex_close(m));
	CHECK_OK(ipc_mutex_unlink(n.mutex));
}

/* ---- the shared object ------------------------------------------------ */

static off_t object_size(void)
{
	const char *name = check_posix_name("size");
	ipc_mutex *m = create_ok(name);
	struct stat st;

	CHECK(stat(dev_path(name), &st) == 0);
	CHECK_OK(ipc_mutex_close(m));
	CHECK_OK(ipc_mutex_unlink(name));
	return st.st_size;
}

/* Write @len bytes at @off of the object @name with plain system calls. */
static void poke(const char *name, off_t off, const void *buf, size_t len)
{
	int fd = shm_open(name, O_RDWR, 0);

	CHECK(fd >= 0);
	CHECK(pwrite(fd, buf, len, off) == (ssize_t)len);
	CHECK(close(fd) == 0);
}

static void make_raw(const char *name, off_t size)
{
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);

	CHECK(fd >= 0);
	check_defer(unlink_quiet, (void *)name);
	CHECK(ftruncate(fd, size) == 0);
	CHECK(close(fd) == 0);
}

static void expect_eproto(const char *name)
{
	ipc_mutex *m = (ipc_mutex *)1;

	CHECK_ERR(ipc_mutex_open(&m, name, 0, 0, ipc_deadline_in_ms(1000)),
	          -EPROTO);
	CHECK(m == NULL);
	CHECK_ERR(ipc_mutex_open(&m, name, IPC_O_CREATE, 0,
	                         ipc_deadline_in_ms(1000)),
	          -EPROTO);
	CHECK(exists(name)); /* not ours to remove */
}

static void test_corrupt_header(void)
{
	static const uint32_t bad_version = 99;
	static const uint32_t bad_state = 7;
	const char *name;
	ipc_mutex *m;

	name = check_posix_name("magic");
	m = create_ok(name);
	CHECK_OK(ipc_mutex_close(m));
	poke(name, OFF_MAGIC, "XXXX", 4);
	expect_eproto(name);
	CHECK_OK(ipc_mutex_unlink(name));

	name = check_posix_name("version");
	m = create_ok(name);
	CHECK_OK(ipc_mutex_close(m));
	poke(name, OFF_VERSION, &bad_version, 4);
	expect_eproto(name);
	CHECK_OK(ipc_mutex_unlink(name));

	name = check_posix_name("state");
	m = create_ok(name);
	CHECK_OK(ipc_mutex_close(m));
	poke(name, OFF_STATE, &bad_state, 4);
	expect_eproto(name);
	CHECK_OK(ipc_mutex_unlink(name));

	/* Another object of another size. */
	name = check_posix_name("size");
	make_raw(name, 4096);
	expect_eproto(name);
	CHECK_OK(ipc_mutex_unlink(name));

	/* Not a file at all. */
	name = check_posix_name("fifo");
	CHECK(mkfifo(dev_path(name), 0600) == 0);
	check_defer(unlink_quiet, (void *)name);
	expect_eproto(name);
	CHECK(unlink(dev_path(name)) == 0);
}

/* Holds the initialisation lock of a raw object, as a creator half way. */
static void init_holder(void *arg)
{
	const struct names *n = arg;
	struct flock fl;
	int fd = shm_open(n->mutex, O_RDWR, 0);

	CHECK(fd >= 0);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	CHECK(fcntl(fd, F_OFD_SETLK, &fl) == 0);
	put_byte(n->sync->up[1]);
	nap_ms(60000);
}

/*
 * An opener waits for a live initialiser until its deadline, can be
 * interrupted, and never waits for a dead one.
 */
static void test_initialiser(void)
{
	struct names n = {check_posix_name("init"), NULL, NULL};
	ipc_mutex *m = (ipc_mutex *)1;
	ipc_deadline start;
	ipc_deadline d;
	struct sync s;
	pid_t pid;

	make_raw(n.mutex, object_size());
	sync_open(&s);
	n.sync = &s;
	pid = check_fork(init_holder, &n);
	get_byte(s.up[0]);

	CHECK_ERR(ipc_mutex_open(&m, n.mutex, 0, 0, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK(m == NULL);
	start = ipc_now();
	CHECK_ERR(ipc_mutex_open(&m, n.mutex, 0, 0, ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);

	start = ipc_now();
	d = ipc_deadline_in_ms(300);
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_mutex_open(&m, n.mutex, IPC_O_CREATE, 0, d), -EINTR);
	check_signal_stop();
	CHECK_ERR(ipc_mutex_open(&m, n.mutex, IPC_O_CREATE, 0, d), -ETIMEDOUT);
	CHECK_ELAPSED(start, 300);
	CHECK(exists(n.mutex));

	/* The initialiser dies: the next opener does the work itself. */
	CHECK(kill(pid, SIGKILL) == 0);
	reap(pid);
	m = open_ok(n.mutex, 0);
	CHECK_OK(ipc_mutex_lock(m, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_mutex_unlock(m));
	CHECK_OK(ipc_mutex_close(m));
	sync_close(&s);
	CHECK_OK(ipc_mutex_unlink(n.mutex));
}

/* An initialiser that died half way (state 1, garbage) is replaced. */
static void test_dead_initialiser(void)
{
	static const uint32_t initialising = 1;
	const char *name = check_posix_name("halfway");
	unsigned char junk[40];
	ipc_mutex *m;

	memset(junk, 0x5a, sizeof(junk));
	make_raw(name, object_size());
	poke(name, OFF_STATE, &initialising, 4);
	poke(name, OFF_MUTEX, junk, sizeof(junk));
	m = open_ok(name, 0);
	CHECK_OK(ipc_mutex_lock(m, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_mutex_unlock(m));
	CHECK_OK(ipc_mutex_close(m));
	CHECK_OK(ipc_mutex_unlink(name));
}

/* An object that exists but has not been sized yet: wait, don't fail. */
static void test_unsized_object(void)
{
	const char *name = check_posix_name("unsized");
	ipc_mutex *m = (ipc_mutex *)1;
	ipc_deadline start;

	make_raw(name, 0);
	CHECK_ERR(ipc_mutex_open(&m, name, 0, 0, IPC_DEADLINE_NOW), -EAGAIN);
	start = ipc_now();
	CHECK_ERR(ipc_mutex_open(&m, name, 0, 0, ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	CHECK(m == NULL);
	CHECK_OK(ipc_mutex_unlink(name));
}

/* ---- interop with a peer using pthreads on the documented layout ------- */

static pthread_mutex_t *raw_map(const char *name, void **base, size_t *len)
{
	struct stat st;
	int fd = shm_open(name, O_RDWR, 0);

	CHECK(fd >= 0);
	CHECK(fstat(fd, &st) == 0);
	*len = (size_t)st.st_size;
	*base = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(*base != MAP_FAILED);
	CHECK(close(fd) == 0);
	return (pthread_mutex_t *)((char *)*base + OFF_MUTEX);
}

static void raw_holder(void *arg)
{
	const struct names *n = arg;
	pthread_mutex_t *mx;
	void *base;
	size_t len;

	mx = raw_map(n->mutex, &base, &len);
	CHECK(pthread_mutex_lock(mx) == 0);
	put_byte(n->sync->up[1]);
	get_byte(n->sync->down[0]);
	CHECK(pthread_mutex_unlock(mx) == 0);
	CHECK(munmap(base, len) == 0);
}

static void raw_heir(void *arg)
{
	const struct names *n = arg;
	pthread_mutex_t *mx;
	void *base;
	size_t len;

	mx = raw_map(n->mutex, &base, &len);
	CHECK_EQ(pthread_mutex_lock(mx), EOWNERDEAD);
	CHECK(pthread_mutex_consistent(mx) == 0);
	CHECK(pthread_mutex_unlock(mx) == 0);
	CHECK(munmap(base, len) == 0);
}

static void test_interop(void)
{
	struct names n = {check_posix_name("interop"), NULL, NULL};
	ipc_mutex *m = create_ok(n.mutex);
	struct sync s;
	pid_t pid;

	sync_open(&s);
	n.sync = &s;
	pid = check_fork(raw_holder, &n);
	get_byte(s.up[0]);
	CHECK_ERR(ipc_mutex_lock(m, IPC_DEADLINE_NOW), -EAGAIN);
	put_byte(s.down[1]);
	CHECK_OK(ipc_mutex_lock(m, ipc_deadline_in_ms(5000)));
	CHECK_OK(ipc_mutex_unlock(m));
	CHECK_CHILD_OK(pid, 5000);
	sync_close(&s);

	if (robust_supported()) {
		pid = check_fork(probe_child, (void *)n.mutex);
		reap(pid);
		pid = check_fork(raw_heir, &n);
		CHECK_CHILD_OK(pid, 5000);
		CHECK_OK(ipc_mutex_lock(m, IPC_DEADLINE_NOW));
		CHECK_OK(ipc_mutex_unlock(m));
	}
	CHECK_OK(ipc_mutex_close(m));
	CHECK_OK(ipc_mutex_unlink(n.mutex));
}

/* ---- names, modes, owners --------------------------------------------- */

static void test_exists_missing(void)
{
	const char *name = check_posix_name("exists");
	ipc_mutex *m = (ipc_mutex *)1;
	ipc_mutex *o;

	CHECK_ERR(ipc_mutex_open(&m, name, 0, 0, IPC_DEADLINE_NOW), -ENOENT);
	CHECK(m == NULL);
	CHECK_ERR(ipc_mutex_unlink(name), -ENOENT);
	m = create_ok(name);
	CHECK_STR_EQ(ipc_mutex_name(m), name);
	CHECK_ERR(ipc_mutex_open(&o, name, IPC_O_CREATE | IPC_O_EXCL, 0,
	                         IPC_DEADLINE_NOW),
	          -EEXIST);
	CHECK(o == NULL);
	o = open_ok(name, IPC_O_CREATE); /* the same mutex */
	CHECK_OK(ipc_mutex_lock(m, IPC_DEADLINE_NOW));
	CHECK_ERR(ipc_mutex_lock(o, IPC_DEADLINE_NOW), -EDEADLK);
	CHECK_ERR(ipc_mutex_unlock(o), -EPERM);
	CHECK_OK(ipc_mutex_unlock(m));
	CHECK_OK(ipc_mutex_close(o));
	CHECK_OK(ipc_mutex_close(m));
	CHECK_OK(ipc_mutex_unlink(name));
	CHECK(!exists(name));
}

static void check_modes(void)
{
	static const unsigned int modes[] = {0600, 0660, 0666, 0604};
	const char *name;
	ipc_mutex *m;
	struct stat st;
	size_t i;

	name = check_posix_name("mode0");
	m = create_ok(name);
	CHECK(stat(dev_path(name), &st) == 0);
	CHECK_EQ(st.st_mode & 07777, 0600);
	CHECK_OK(ipc_mutex_close(m));
	CHECK_OK(ipc_mutex_unlink(name));
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		name = check_posix_name("mode");
		m = NULL;
		CHECK_OK(ipc_mutex_open(&m, name, IPC_O_CREATE | IPC_O_EXCL,
		                        modes[i], IPC_DEADLINE_NOW));
		check_defer(unlink_quiet, (void *)name);
		CHECK(stat(dev_path(name), &st) == 0);
		CHECK_EQ(st.st_mode & 07777, modes[i]);
		CHECK_OK(ipc_mutex_close(m));
		CHECK_OK(ipc_mutex_unlink(name));
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

static void test_other_owner(void)
{
	const char *name = check_posix_name("owner");
	ipc_mutex *m = create_ok(name);
	ipc_mutex *o = (ipc_mutex *)1;

	CHECK_OK(ipc_mutex_close(m));
	if (geteuid() != 0) {
		fprintf(stderr, "  skipped: needs root to chown\n");
		CHECK_OK(ipc_mutex_unlink(name));
		return;
	}
	CHECK(chown(dev_path(name), NOBODY, NOBODY) == 0);
	CHECK_ERR(ipc_mutex_open(&o, name, 0, 0, IPC_DEADLINE_NOW), -EPERM);
	CHECK(o == NULL);
	CHECK_ERR(ipc_mutex_open(&o, name, IPC_O_CREATE, 0, IPC_DEADLINE_NOW),
	          -EPERM);
	o = open_ok(name, IPC_O_SHARED);
	CHECK_OK(ipc_mutex_lock(o, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_mutex_unlock(o));
	CHECK_OK(ipc_mutex_close(o));
	CHECK_OK(ipc_mutex_unlink(name));
}

static void test_symlink(void)
{
	const char *name = check_posix_name("link");
	const char *target = check_path("target");
	ipc_mutex *m = (ipc_mutex *)1;
	int fd;

	fd = open(target, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK(close(fd) == 0);
	CHECK(symlink(target, dev_path(name)) == 0);
	check_defer(unlink_quiet, (void *)name);
	CHECK_ERR(ipc_mutex_open(&m, name, IPC_O_CREATE | IPC_O_EXCL, 0,
	                         IPC_DEADLINE_NOW),
	          -EEXIST);
	CHECK_ERR(ipc_mutex_open(&m, name, IPC_O_CREATE, 0, IPC_DEADLINE_NOW),
	          -ELOOP);
	CHECK_ERR(ipc_mutex_open(&m, name, 0, 0, IPC_DEADLINE_NOW), -ELOOP);
	CHECK(m == NULL);
	CHECK(unlink(dev_path(name)) == 0);
}

static void test_misuse(void)
{
	const char *name = check_posix_name("misuse");
	char longname[NAME_MAX + 8];
	ipc_mutex *m = (ipc_mutex *)1;

	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';

	CHECK_ERR(ipc_mutex_open(NULL, name, IPC_O_CREATE, 0, 0), -EINVAL);
	CHECK_ERR(ipc_mutex_open(&m, NULL, IPC_O_CREATE, 0, 0), -EINVAL);
	CHECK(m == NULL);
	CHECK_ERR(ipc_mutex_open(&m, "bad", IPC_O_CREATE, 0, 0), -EINVAL);
	CHECK_ERR(ipc_mutex_open(&m, longname, IPC_O_CREATE, 0, 0),
	          -ENAMETOOLONG);
	CHECK_ERR(ipc_mutex_open(&m, name, IPC_O_EXCL, 0, 0), -EINVAL);
	CHECK_ERR(ipc_mutex_open(&m, name, IPC_O_CREATE | IPC_O_READ, 0, 0),
	          -EINVAL);
	CHECK_ERR(ipc_mutex_open(&m, name, IPC_O_CREATE | IPC_O_NONBLOCK, 0, 0),
	          -EINVAL);
	CHECK_ERR(ipc_mutex_open(&m, name, IPC_O_CREATE, 010000, 0), -EINVAL);
	CHECK(!exists(name));

	CHECK_ERR(ipc_mutex_lock(NULL, IPC_DEADLINE_NOW), -EBADF);
	CHECK_ERR(ipc_mutex_unlock(NULL), -EBADF);
	CHECK_ERR(ipc_mutex_consistent(NULL), -EBADF);
	CHECK_ERR(ipc_mutex_wait(NULL, IPC_DEADLINE_NOW), -EBADF);
	CHECK_ERR(ipc_mutex_signal(NULL), -EBADF);
	CHECK_ERR(ipc_mutex_broadcast(NULL), -EBADF);
	CHECK(ipc_mutex_name(NULL) == NULL);
	CHECK_OK(ipc_mutex_close(NULL));
	CHECK_ERR(ipc_mutex_unlink(NULL), -EINVAL);
	CHECK_ERR(ipc_mutex_unlink("bad"), -EINVAL);

	m = create_ok(name);
	CHECK_ERR(ipc_mutex_unlock(m), -EPERM);
	CHECK_ERR(ipc_mutex_consistent(m), -EINVAL);
	CHECK_OK(ipc_mutex_lock(m, IPC_DEADLINE_NEVER));
	CHECK_ERR(ipc_mutex_lock(m, IPC_DEADLINE_NOW), -EDEADLK);
	CHECK_ERR(ipc_mutex_lock(m, ipc_deadline_in_ms(100)), -EDEADLK);
	CHECK_ERR(ipc_mutex_consistent(m), -EINVAL); /* not owner-died */
	CHECK_OK(ipc_mutex_signal(m));               /* nobody waits: fine */
	CHECK_OK(ipc_mutex_broadcast(m));
	CHECK_OK(ipc_mutex_unlock(m));
	CHECK_OK(ipc_mutex_close(m));
	CHECK_OK(ipc_mutex_unlink(name));
}

static const struct check_case cases[] = {
        CHECK_CASE(test_counter),
        CHECK_CASE(test_trylock_busy),
        CHECK_CASE(test_lock_timeout),
        CHECK_CASE(test_lock_no_eintr),
        CHECK_CASE(test_owner_dead),
        CHECK_CASE(test_not_recoverable),
        CHECK_CASE(test_close_while_held),
        CHECK_CASE(test_cond_signal),
        CHECK_CASE(test_cond_broadcast),
        CHECK_CASE(test_cond_timeout),
        CHECK_CASE(test_cond_owner_dead),
        CHECK_CASE(test_corrupt_header),
        CHECK_CASE(test_initialiser),
        CHECK_CASE(test_dead_initialiser),
        CHECK_CASE(test_unsized_object),
        CHECK_CASE(test_interop),
        CHECK_CASE(test_exists_missing),
        CHECK_CASE(test_mode_umask000),
        CHECK_CASE(test_mode_umask077),
        CHECK_CASE(test_other_owner),
        CHECK_CASE(test_symlink),
        CHECK_CASE(test_misuse),
        {NULL, NULL},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
