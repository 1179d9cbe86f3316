/* SPDX-License-Identifier: MIT */
/* POSIX semaphores: named and unnamed, deadlines, errors, owner death. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
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
#include "ipc/sem.h"

#define NOBODY        65534
#define PINGS         100
#define MAP_LEN       4096
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers -------------------------------------------------------- */

static void unlink_name(void *arg)
{
	(void)sem_unlink((const char *)arg);
	free(arg);
}

/* A unique name whose semaphore is removed when the case ends. */
static const char *sem_name(const char *tag)
{
	const char *name = check_posix_name(tag);
	char *copy = strdup(name);

	CHECK(copy != NULL);
	check_defer(unlink_name, copy);
	return copy;
}

static const char *sem_path(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "/dev/shm/sem.%s", name + 1);
	return path;
}

static bool sem_exists(const char *name)
{
	struct stat st;

	return lstat(sem_path(name), &st) == 0;
}

static unsigned int sem_mode(const char *name)
{
	struct stat st;

	CHECK(lstat(sem_path(name), &st) == 0);
	return st.st_mode & 07777;
}

static ipc_sem *open_ok(const char *name, unsigned int value,
                        unsigned int flags, unsigned int mode)
{
	ipc_sem *s = NULL;

	CHECK_OK(ipc_sem_open(&s, name, value, flags, mode));
	CHECK(s != NULL);
	return s;
}

static int value_of(ipc_sem *s)
{
	int v = -1;

	CHECK_OK(ipc_sem_value(s, &v));
	return v;
}

static void *map_shared(void)
{
	void *p = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE,
	               MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	return p;
}

static struct timespec mono_in_ms(int ms)
{
	struct timespec ts;

	CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Poll until @s reads @want (a peer took or gave it), or fail after 5 s. */
static void await_value(ipc_sem *s, int want)
{
	ipc_deadline d = ipc_deadline_in_ms(5000 * (int64_t)check_slow());

	while (value_of(s) != want) {
		CHECK(!ipc_deadline_expired(d));
		usleep(1000);
	}
}

static void kill_and_reap(pid_t pid)
{
	int ws;

	CHECK(kill(pid, SIGKILL) == 0);
	ws = check_wait(pid, 5000);
	CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
}

/* ---- round trips across processes ----------------------------------- */

struct pingpong {
	const char *ping_name; /* named: open these by name */
	const char *pong_name;
	void *ping_mem; /* unnamed: attach to these */
	void *pong_mem;
};

/* The peer: post ping, wait for pong, PINGS times. */
static void pong_peer(void *arg)
{
	struct pingpong *pp = arg;
	ipc_sem *ping;
	ipc_sem *pong;
	int i;

	if (pp->ping_name != NULL) {
		ping = open_ok(pp->ping_name, 0, 0, 0);
		pong = open_ok(pp->pong_name, 0, 0, 0);
	} else {
		CHECK_OK(ipc_sem_attach(&ping, pp->ping_mem));
		CHECK_OK(ipc_sem_attach(&pong, pp->pong_mem));
	}
	for (i = 0; i < PINGS; i++) {
		CHECK_OK(ipc_sem_post(ping));
		/* Alternate the plain blocking path and the deadline path. */
		CHECK_OK(ipc_sem_wait(pong, i % 2 ? IPC_DEADLINE_NEVER
		                                  : ipc_deadline_in_ms(5000)));
	}
	CHECK_OK(ipc_sem_close(ping));
	CHECK_OK(ipc_sem_close(pong));
}

static void ping_side(ipc_sem *ping, ipc_sem *pong)
{
	int i;

	for (i = 0; i < PINGS; i++) {
		CHECK_OK(ipc_sem_wait(ping, ipc_deadline_in_ms(5000)));
		CHECK_OK(ipc_sem_post(pong));
	}
}

static void test_named_roundtrip(void)
{
	struct pingpong pp = {sem_name("ping"), sem_name("pong"), NULL, NULL};
	ipc_sem *ping;
	ipc_sem *pong;
	pid_t pid;

	ping = open_ok(pp.ping_name, 0, IPC_O_CREATE | IPC_O_EXCL, 0);
	pong = open_ok(pp.pong_name, 0, IPC_O_CREATE | IPC_O_EXCL, 0);
	CHECK_STR_EQ(ipc_sem_name(ping), pp.ping_name);
	pid = check_fork(pong_peer, &pp);
	ping_side(ping, pong);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_EQ(value_of(ping), 0);
	CHECK_EQ(value_of(pong), 0);
	CHECK_OK(ipc_sem_close(ping));
	CHECK_OK(ipc_sem_close(pong));
	CHECK_OK(ipc_sem_unlink(pp.ping_name));
	CHECK_OK(ipc_sem_unlink(pp.pong_name));
	CHECK(!sem_exists(pp.ping_name));
}

static void test_unnamed_anon_fork(void)
{
	char *mem = map_shared();
	struct pingpong pp = {NULL, NULL, mem, mem + IPC_SEM_SIZE};
	ipc_sem *ping;
	ipc_sem *pong;
	pid_t pid;

	CHECK_OK(ipc_sem_init(&ping, pp.ping_mem, 0));
	CHECK_OK(ipc_sem_init(&pong, pp.pong_mem, 0));
	CHECK(ipc_sem_name(ping) == NULL);
	pid = check_fork(pong_peer, &pp);
	ping_side(ping, pong);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_EQ(value_of(ping), 0);
	CHECK_OK(ipc_sem_destroy(ping));
	CHECK_OK(ipc_sem_destroy(pong));
	CHECK(munmap(mem, MAP_LEN) == 0);
}

/* The peer maps the shared memory object itself, at its own address. */
static void shm_peer(void *arg)
{
	const char *shm = arg;
	ipc_sem *s;
	char *mem;
	int fd;

	fd = shm_open(shm, O_RDWR | O_CLOEXEC, 0);
	CHECK(fd >= 0);
	mem = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(mem != MAP_FAILED);
	CHECK(close(fd) == 0);
	CHECK_OK(ipc_sem_attach(&s, mem + 64));
	CHECK_OK(ipc_sem_post(s));
	CHECK_OK(ipc_sem_post(s));
	CHECK_OK(ipc_sem_close(s));
	CHECK(munmap(mem, MAP_LEN) == 0);
}

static void unlink_shm(void *arg)
{
	(void)shm_unlink((const char *)arg);
	free(arg);
}

static void test_unnamed_shm(void)
{
	char *shm = strdup(check_posix_name("shm"));
	ipc_sem *s;
	char *mem;
	pid_t pid;
	int fd;

	CHECK(shm != NULL);
	check_defer(unlink_shm, shm);
	fd = shm_open(shm, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, MAP_LEN) == 0);
	mem = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(mem != MAP_FAILED);
	CHECK(close(fd) == 0);
	CHECK_OK(ipc_sem_init(&s, mem + 64, 0));
	pid = check_fork(shm_peer, shm);
	CHECK_OK(ipc_sem_wait(s, ipc_deadline_in_ms(5000)));
	CHECK_OK(ipc_sem_wait(s, ipc_deadline_in_ms(5000)));
	CHECK_CHILD_OK(pid, 5000);
	CHECK_ERR(ipc_sem_wait(s, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_OK(ipc_sem_destroy(s));
	CHECK(munmap(mem, MAP_LEN) == 0);
	CHECK(shm_unlink(shm) == 0);
}

/* The peer maps the inherited memfd again: a second, separate mapping. */
static void memfd_peer(void *arg)
{
	int fd = *(int *)arg;
	ipc_sem *s;
	char *mem;

	mem = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(mem != MAP_FAILED);
	CHECK_OK(ipc_sem_attach(&s, mem + 128));
	CHECK_OK(ipc_sem_post(s));
	CHECK_OK(ipc_sem_close(s));
	CHECK(munmap(mem, MAP_LEN) == 0);
}

static void test_unnamed_memfd(void)
{
	ipc_sem *s;
	char *mem;
	pid_t pid;
	int fd;

	fd = memfd_create("ipc-test-sem", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, MAP_LEN) == 0);
	mem = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(mem != MAP_FAILED);
	CHECK_OK(ipc_sem_init(&s, mem + 128, 0));
	pid = check_fork(memfd_peer, &fd);
	CHECK_OK(ipc_sem_wait(s, IPC_DEADLINE_NEVER));
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_sem_destroy(s));
	CHECK(munmap(mem, MAP_LEN) == 0);
	CHECK(close(fd) == 0);
}

/* ---- would-block, timeouts, EINTR ----------------------------------- */

static void test_would_block(void)
{
	const char *name = sem_name("sem");
	void *mem = map_shared();
	ipc_sem *n;
	ipc_sem *u;

	n = open_ok(name, 1, IPC_O_CREATE | IPC_O_EXCL, 0);
	CHECK_OK(ipc_sem_init(&u, mem, 1));
	CHECK_OK(ipc_sem_wait(n, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sem_wait(u, IPC_DEADLINE_NOW));
	CHECK_ERR(ipc_sem_wait(n, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_ERR(ipc_sem_wait(u, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_EQ(value_of(n), 0);
	CHECK_OK(ipc_sem_post(n));
	CHECK_OK(ipc_sem_wait(n, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sem_close(n));
	CHECK_OK(ipc_sem_unlink(name));
	CHECK_OK(ipc_sem_destroy(u));
	CHECK(munmap(mem, MAP_LEN) == 0);
}

static void test_timeout(void)
{
	const char *name = sem_name("sem");
	void *mem = map_shared();
	ipc_deadline start;
	ipc_sem *n;
	ipc_sem *u;

	n = open_ok(name, 0, IPC_O_CREATE | IPC_O_EXCL, 0);
	CHECK_OK(ipc_sem_init(&u, mem, 0));
	start = ipc_now();
	CHECK_ERR(ipc_sem_wait(n, ipc_deadline_in_ms(150)), -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	start = ipc_now();
	CHECK_ERR(ipc_sem_wait(u, ipc_deadline_in_ms(150)), -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);

	/* A deadline already past: -ETIMEDOUT at once, but a value that is
	 * there is still taken. */
	start = ipc_now();
	CHECK_ERR(ipc_sem_wait(n, ipc_now() - 1), -ETIMEDOUT);
	CHECK_ELAPSED(start, 0);
	CHECK_OK(ipc_sem_post(u));
	CHECK_OK(ipc_sem_wait(u, ipc_now() - 1));
	CHECK_EQ(value_of(u), 0);

	CHECK_OK(ipc_sem_close(n));
	CHECK_OK(ipc_sem_unlink(name));
	CHECK_OK(ipc_sem_destroy(u));
	CHECK(munmap(mem, MAP_LEN) == 0);
}

static void eintr_on(ipc_sem *s)
{
	ipc_deadline start = ipc_now();
	ipc_deadline d = start + 400 * INT64_C(1000000);

	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_sem_wait(s, d), -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
	/* The same deadline again: the total wait does not grow. */
	CHECK_ERR(ipc_sem_wait(s, d), -ETIMEDOUT);
	CHECK_ELAPSED(start, 400);

	start = ipc_now();
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_sem_wait(s, IPC_DEADLINE_NEVER), -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
}

static void test_eintr(void)
{
	const char *name = sem_name("sem");
	void *mem = map_shared();
	ipc_sem *n;
	ipc_sem *u;

	n = open_ok(name, 0, IPC_O_CREATE | IPC_O_EXCL, 0);
	CHECK_OK(ipc_sem_init(&u, mem, 0));
	eintr_on(n);
	eintr_on(u);
	CHECK_EQ(value_of(n), 0);
	CHECK_OK(ipc_sem_close(n));
	CHECK_OK(ipc_sem_unlink(name));
	CHECK_OK(ipc_sem_destroy(u));
	CHECK(munmap(mem, MAP_LEN) == 0);
}

/* A post from another process wakes a waiter with a deadline early. */
static void late_post(void *arg)
{
	ipc_sem *s;

	usleep(100 * 1000);
	CHECK_OK(ipc_sem_attach(&s, arg));
	CHECK_OK(ipc_sem_post(s));
	CHECK_OK(ipc_sem_close(s));
}

static void test_wait_wakes(void)
{
	void *mem = map_shared();
	ipc_deadline start;
	ipc_sem *u;
	pid_t pid;

	CHECK_OK(ipc_sem_init(&u, mem, 0));
	start = ipc_now();
	pid = check_fork(late_post, mem);
	CHECK_OK(ipc_sem_wait(u, ipc_deadline_in_ms(5000)));
	CHECK_ELAPSED(start, 100);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_sem_destroy(u));
	CHECK(munmap(mem, MAP_LEN) == 0);
}

/* ---- values --------------------------------------------------------- */

static void test_value(void)
{
	void *mem = map_shared();
	ipc_sem *u;
	ipc_sem *a;

	CHECK_OK(ipc_sem_init(&u, mem, 5));
	CHECK_OK(ipc_sem_attach(&a, mem));
	CHECK_EQ(value_of(u), 5);
	CHECK_OK(ipc_sem_wait(a, IPC_DEADLINE_NOW));
	CHECK_EQ(value_of(u), 4);
	CHECK_OK(ipc_sem_post(u));
	CHECK_OK(ipc_sem_post(u));
	CHECK_EQ(value_of(a), 6);
	CHECK_OK(ipc_sem_close(a));
	CHECK_OK(ipc_sem_destroy(u));

	/* The largest value, and a post past it. */
	CHECK_OK(ipc_sem_init(&u, mem, IPC_SEM_VALUE_MAX));
	CHECK_EQ(value_of(u), INT_MAX);
	CHECK_ERR(ipc_sem_post(u), -EOVERFLOW);
	CHECK_OK(ipc_sem_wait(u, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sem_post(u));
	CHECK_ERR(ipc_sem_post(u), -EOVERFLOW);
	CHECK_OK(ipc_sem_destroy(u));
	CHECK(munmap(mem, MAP_LEN) == 0);
}

/* ---- existence ------------------------------------------------------ */

static void test_exists(void)
{
	const char *name = sem_name("sem");
	ipc_sem *s;
	ipc_sem *t;
	char c;

	s = open_ok(name, 3, IPC_O_CREATE | IPC_O_EXCL, 0640);
	t = (ipc_sem *)&c;
	CHECK_ERR(ipc_sem_open(&t, name, 0, IPC_O_CREATE | IPC_O_EXCL, 0),
	          -EEXIST);
	CHECK(t == NULL);

	/* Without IPC_O_EXCL the existing one is opened: value and mode are
	 * left alone. */
	t = open_ok(name, 9, IPC_O_CREATE, 0666);
	CHECK_EQ(value_of(t), 3);
	CHECK_EQ(sem_mode(name), 0640);
	CHECK_OK(ipc_sem_wait(t, IPC_DEADLINE_NOW));
	CHECK_EQ(value_of(s), 2);
	CHECK_OK(ipc_sem_close(t));
	t = open_ok(name, 0, 0, 0);
	CHECK_EQ(value_of(t), 2);
	CHECK_OK(ipc_sem_close(t));

	/* Closing does not remove it; unlinking does, and open handles keep
	 * working. */
	CHECK(sem_exists(name));
	CHECK_OK(ipc_sem_unlink(name));
	CHECK(!sem_exists(name));
	CHECK_OK(ipc_sem_post(s));
	CHECK_EQ(value_of(s), 3);
	CHECK_OK(ipc_sem_close(s));

	t = (ipc_sem *)&c;
	CHECK_ERR(ipc_sem_open(&t, name, 0, 0, 0), -ENOENT);
	CHECK(t == NULL);
	CHECK_ERR(ipc_sem_unlink(name), -ENOENT);
}

/* What is at /dev/shm/sem.<name> when it is not a semaphore of ours. */
static void test_not_semaphore(void)
{
	const char *name = sem_name("sem");
	char path[PATH_MAX];
	ipc_sem *s;
	int fd;

	snprintf(path, sizeof(path), "%s", sem_path(name));

	/* A file too small to hold a sem_t: sem_open would map it and the
	 * first wait would die of SIGBUS. */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, "x", 1) == 1);
	CHECK(close(fd) == 0);
	CHECK_ERR(ipc_sem_open(&s, name, 0, 0, 0), -EINVAL);
	CHECK_ERR(ipc_sem_open(&s, name, 0, IPC_O_CREATE, 0), -EINVAL);
	CHECK_ERR(ipc_sem_open(&s, name, 0, IPC_O_CREATE | IPC_O_EXCL, 0),
	          -EEXIST);
	CHECK(unlink(path) == 0);

	/* A directory. */
	CHECK(mkdir(path, 0700) == 0);
	CHECK_ERR(ipc_sem_open(&s, name, 0, 0, 0), -EINVAL);
	CHECK(rmdir(path) == 0);

	/* A symbolic link to a real semaphore. */
	s = open_ok(name, 1, IPC_O_CREATE | IPC_O_EXCL, 0);
	CHECK_OK(ipc_sem_close(s));
	{
		const char *link_name = sem_name("link");
		char lpath[PATH_MAX];

		snprintf(lpath, sizeof(lpath), "%s", sem_path(link_name));
		CHECK(symlink(path, lpath) == 0);
		CHECK_ERR(ipc_sem_open(&s, link_name, 0, 0, 0), -ELOOP);
		CHECK(s == NULL);
		CHECK(unlink(lpath) == 0);
	}
	CHECK_OK(ipc_sem_unlink(name));
}

/* Root could open anything; the owner check must still refuse. */
static void test_other_owner(void)
{
	const char *name = sem_name("sem");
	ipc_sem *s;

	if (geteuid() != 0) {
		printf("# skipped: needs root to chown\n");
		return;
	}
	s = open_ok(name, 1, IPC_O_CREATE | IPC_O_EXCL, 0666);
	CHECK_OK(ipc_sem_close(s));
	CHECK(chown(sem_path(name), NOBODY, NOBODY) == 0);
	CHECK_ERR(ipc_sem_open(&s, name, 0, 0, 0), -EPERM);
	CHECK(s == NULL);
	CHECK_ERR(ipc_sem_open(&s, name, 0, IPC_O_CREATE, 0), -EPERM);
	s = open_ok(name, 0, IPC_O_SHARED, 0);
	CHECK_OK(ipc_sem_wait(s, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_sem_close(s));
	CHECK_OK(ipc_sem_unlink(name));
}

/* ---- permission bits ------------------------------------------------ */

static void check_modes(void)
{
	static const unsigned int modes[] = {0, 0600, 0640, 0666, 0604, 0400};
	static const unsigned int want[] = {0600, 0600, 0640, 0666, 0604, 0400};
	const char *name;
	ipc_sem *s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		name = sem_name("mode");
		s = open_ok(name, 0, IPC_O_CREATE | (i % 2 ? IPC_O_EXCL : 0),
		            modes[i]);
		CHECK_EQ(sem_mode(name), want[i]);
		CHECK_OK(ipc_sem_post(s));
		CHECK_OK(ipc_sem_close(s));
		CHECK_OK(ipc_sem_unlink(name));
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
	/* A umask that takes the owner's bits: the mode still holds. */
	umask(0377);
	check_modes();
}

/* ---- interop with sem_open/sem_post/sem_wait called directly -------- */

/* Post "ping", then wait for "pong": two semaphores, or the peer could
 * take its own post back. */
static void raw_ping_pong(sem_t *ping, sem_t *pong)
{
	struct timespec ts;

	CHECK(sem_post(ping) == 0);
	ts = mono_in_ms(5000 * check_slow());
	while (sem_clockwait(pong, CLOCK_MONOTONIC, &ts) < 0)
		CHECK(errno == EINTR);
}

static void raw_named_peer(void *arg)
{
	const char *const *names = arg;
	sem_t *ping = sem_open(names[0], 0);
	sem_t *pong = sem_open(names[1], 0);

	CHECK(ping != SEM_FAILED && pong != SEM_FAILED);
	raw_ping_pong(ping, pong);
	CHECK(sem_close(ping) == 0);
	CHECK(sem_close(pong) == 0);
}

static void ipc_post_twice(void *arg)
{
	ipc_sem *s = open_ok(arg, 0, 0, 0);

	CHECK_OK(ipc_sem_post(s));
	CHECK_OK(ipc_sem_post(s));
	CHECK_OK(ipc_sem_close(s));
}

static void test_interop_named(void)
{
	const char *names[2] = {sem_name("ping"), sem_name("pong")};
	const char *raw_name = sem_name("raw");
	struct timespec ts;
	sem_t *raw;
	ipc_sem *ping;
	ipc_sem *pong;
	pid_t pid;
	int v;

	/* Ours, used by a plain-C peer: it posts, we wait; we post, it
	 * waits. */
	ping = open_ok(names[0], 0, IPC_O_CREATE | IPC_O_EXCL, 0);
	pong = open_ok(names[1], 0, IPC_O_CREATE | IPC_O_EXCL, 0);
	pid = check_fork(raw_named_peer, (void *)names);
	CHECK_OK(ipc_sem_wait(ping, ipc_deadline_in_ms(5000)));
	CHECK_OK(ipc_sem_post(pong));
	CHECK_CHILD_OK(pid, 5000);
	CHECK_EQ(value_of(ping), 0);
	CHECK_EQ(value_of(pong), 0);
	CHECK_OK(ipc_sem_close(ping));
	CHECK_OK(ipc_sem_close(pong));
	CHECK_OK(ipc_sem_unlink(names[0]));
	CHECK_OK(ipc_sem_unlink(names[1]));

	/* Made with sem_open() itself, used by us in a peer. */
	raw = sem_open(raw_name, O_CREAT | O_EXCL, 0600, 0);
	CHECK(raw != SEM_FAILED);
	pid = check_fork(ipc_post_twice, (void *)raw_name);
	ts = mono_in_ms(5000);
	CHECK(sem_clockwait(raw, CLOCK_MONOTONIC, &ts) == 0);
	CHECK(sem_clockwait(raw, CLOCK_MONOTONIC, &ts) == 0);
	CHECK_CHILD_OK(pid, 5000);
	CHECK(sem_getvalue(raw, &v) == 0 && v == 0);
	CHECK(sem_close(raw) == 0);
	CHECK(sem_unlink(raw_name) == 0);
}

static void raw_unnamed_peer(void *arg)
{
	sem_t *pair = arg;

	raw_ping_pong(&pair[0], &pair[1]);
}

static void test_interop_unnamed(void)
{
	char *mem = map_shared();
	sem_t *raw = (sem_t *)(void *)mem;
	ipc_sem *ping;
	ipc_sem *pong;
	pid_t pid;

	/* Initialised by sem_init(), attached by us. */
	CHECK(sem_init(&raw[0], 1, 0) == 0);
	CHECK(sem_init(&raw[1], 1, 0) == 0);
	CHECK_OK(ipc_sem_attach(&ping, &raw[0]));
	CHECK_OK(ipc_sem_attach(&pong, &raw[1]));
	pid = check_fork(raw_unnamed_peer, raw);
	CHECK_OK(ipc_sem_wait(ping, ipc_deadline_in_ms(5000)));
	CHECK_OK(ipc_sem_post(pong));
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_sem_close(ping));
	CHECK_OK(ipc_sem_close(pong));
	CHECK(sem_destroy(&raw[0]) == 0);
	CHECK(sem_destroy(&raw[1]) == 0);

	/* Initialised by us, used by sem_post()/sem_clockwait(). */
	CHECK_OK(ipc_sem_init(&ping, &raw[0], 0));
	CHECK_OK(ipc_sem_init(&pong, &raw[1], 0));
	pid = check_fork(raw_unnamed_peer, raw);
	CHECK_OK(ipc_sem_wait(ping, ipc_deadline_in_ms(5000)));
	CHECK_OK(ipc_sem_post(pong));
	CHECK_CHILD_OK(pid, 5000);
	CHECK_EQ(value_of(ping), 0);
	CHECK_EQ(value_of(pong), 0);
	CHECK_OK(ipc_sem_destroy(ping));
	CHECK_OK(ipc_sem_destroy(pong));
	CHECK(munmap(mem, MAP_LEN) == 0);
}

/* ---- F3: the holder dies -------------------------------------------- */

struct holder {
	const char *name;
	void *mem;
};

/* Take the semaphore and never give it back. */
static void holder_main(void *arg)
{
	struct holder *h = arg;
	ipc_sem *s;

	if (h->name != NULL)
		s = open_ok(h->name, 0, 0, 0);
	else
		CHECK_OK(ipc_sem_attach(&s, h->mem));
	CHECK_OK(ipc_sem_wait(s, ipc_deadline_in_ms(5000)));
	for (;;)
		pause();
}

static void holder_dies(ipc_sem *s, struct holder *h)
{
	ipc_deadline start;
	pid_t pid;

	pid = check_fork(holder_main, h);
	await_value(s, 0);
	kill_and_reap(pid);
	/* Nobody undoes the dead holder's decrement. */
	CHECK_EQ(value_of(s), 0);
	start = ipc_now();
	CHECK_ERR(ipc_sem_wait(s, ipc_deadline_in_ms(150)), -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
}

static void test_holder_killed_named(void)
{
	struct holder h = {sem_name("sem"), NULL};
	ipc_sem *s;

	s = open_ok(h.name, 1, IPC_O_CREATE | IPC_O_EXCL, 0);
	holder_dies(s, &h);
	CHECK_OK(ipc_sem_close(s));
	CHECK_OK(ipc_sem_unlink(h.name));
}

static void test_holder_killed_unnamed(void)
{
	struct holder h = {NULL, map_shared()};
	ipc_sem *s;

	CHECK_OK(ipc_sem_init(&s, h.mem, 1));
	holder_dies(s, &h);
	CHECK_OK(ipc_sem_destroy(s));
	CHECK(munmap(h.mem, MAP_LEN) == 0);
}

/* ---- misuse --------------------------------------------------------- */

static void test_misuse(void)
{
	char *mem = map_shared();
	const char *name = sem_name("sem");
	char longname[NAME_MAX + 8];
	ipc_sem *s;
	ipc_sem *n;
	int v;

	CHECK_ERR(ipc_sem_wait(NULL, IPC_DEADLINE_NOW), -EBADF);
	CHECK_ERR(ipc_sem_wait(NULL, ipc_deadline_in_ms(10)), -EBADF);
	CHECK_ERR(ipc_sem_post(NULL), -EBADF);
	CHECK_ERR(ipc_sem_value(NULL, &v), -EBADF);
	CHECK(ipc_sem_name(NULL) == NULL);
	CHECK_OK(ipc_sem_close(NULL));
	CHECK_OK(ipc_sem_destroy(NULL));

	/* Unnamed: no memory, misaligned memory, value too large. */
	s = (ipc_sem *)mem;
	CHECK_ERR(ipc_sem_init(&s, NULL, 0), -EINVAL);
	CHECK(s == NULL);
	CHECK_ERR(ipc_sem_init(&s, mem + 4, 0), -EINVAL);
	CHECK_ERR(ipc_sem_init(&s, mem + 1, 0), -EINVAL);
	CHECK_ERR(ipc_sem_init(&s, mem, IPC_SEM_VALUE_MAX + 1u), -EINVAL);
	CHECK_ERR(ipc_sem_init(&s, mem, UINT_MAX), -EINVAL);
	CHECK_ERR(ipc_sem_attach(&s, NULL), -EINVAL);
	CHECK_ERR(ipc_sem_attach(&s, mem + 12), -EINVAL);
	CHECK(s == NULL);
	CHECK_OK(ipc_sem_init(&s, mem, 0));
	CHECK_ERR(ipc_sem_value(s, NULL), -EINVAL);
	CHECK_OK(ipc_sem_destroy(s));

	/* Named: value too large, bad flags and modes. */
	CHECK_ERR(
	        ipc_sem_open(&n, name, IPC_SEM_VALUE_MAX + 1u, IPC_O_CREATE, 0),
	        -EINVAL);
	CHECK(n == NULL);
	CHECK_ERR(ipc_sem_open(&n, name, 0, IPC_O_EXCL, 0), -EINVAL);
	CHECK_ERR(ipc_sem_open(&n, name, 0, IPC_O_CREATE | IPC_O_NONBLOCK, 0),
	          -EINVAL);
	CHECK_ERR(ipc_sem_open(&n, name, 0, IPC_O_CREATE | 0x8000u, 0),
	          -EINVAL);
	CHECK_ERR(ipc_sem_open(&n, name, 0, IPC_O_CREATE, 01000), -EINVAL);
	CHECK_ERR(ipc_sem_open(&n, name, 0, IPC_O_CREATE, 04600), -EINVAL);
	CHECK(!sem_exists(name));

	/* Bad names. */
	CHECK_ERR(ipc_sem_open(&n, NULL, 0, IPC_O_CREATE, 0), -EINVAL);
	CHECK_ERR(ipc_sem_open(&n, "", 0, IPC_O_CREATE, 0), -EINVAL);
	CHECK_ERR(ipc_sem_open(&n, "/", 0, IPC_O_CREATE, 0), -EINVAL);
	CHECK_ERR(ipc_sem_open(&n, "noslash", 0, IPC_O_CREATE, 0), -EINVAL);
	CHECK_ERR(ipc_sem_open(&n, "/a/b", 0, IPC_O_CREATE, 0), -EINVAL);
	CHECK_ERR(ipc_sem_open(&n, "/..", 0, IPC_O_CREATE, 0), -EINVAL);
	CHECK_ERR(ipc_sem_unlink(NULL), -EINVAL);
	CHECK_ERR(ipc_sem_unlink("x"), -EINVAL);
	CHECK_ERR(ipc_sem_unlink("/a/b"), -EINVAL);
	/* "sem." + the name must fit in NAME_MAX. */
	longname[0] = '/';
	memset(longname + 1, 'a', NAME_MAX - 4);
	longname[NAME_MAX - 3] = '\0';
	CHECK_ERR(ipc_sem_open(&n, longname, 0, 0, 0), -ENOENT);
	longname[NAME_MAX - 3] = 'a';
	longname[NAME_MAX - 2] = '\0';
	CHECK_ERR(ipc_sem_open(&n, longname, 0, IPC_O_CREATE, 0),
	          -ENAMETOOLONG);
	CHECK_ERR(ipc_sem_unlink(longname), -ENAMETOOLONG);
	memset(longname + 1, 'a', NAME_MAX + 2);
	longname[NAME_MAX + 3] = '\0';
	CHECK_ERR(ipc_sem_open(&n, longname, 0, IPC_O_CREATE, 0),
	          -ENAMETOOLONG);

	/* Destroying a named semaphore is refused; the handle stays. */
	n = open_ok(name, 0, IPC_O_CREATE | IPC_O_EXCL, 0);
	CHECK_ERR(ipc_sem_destroy(n), -EINVAL);
	CHECK_OK(ipc_sem_post(n));
	CHECK_OK(ipc_sem_close(n));
	CHECK_OK(ipc_sem_unlink(name));
	CHECK(munmap(mem, MAP_LEN) == 0);
}

static const struct check_case cases[] = {
        CHECK_CASE(test_named_roundtrip),
        CHECK_CASE(test_unnamed_anon_fork),
        CHECK_CASE(test_unnamed_shm),
        CHECK_CASE(test_unnamed_memfd),
        CHECK_CASE(test_would_block),
        CHECK_CASE(test_timeout),
        CHECK_CASE(test_eintr),
        CHECK_CASE(test_wait_wakes),
        CHECK_CASE(test_value),
        CHECK_CASE(test_exists),
        CHECK_CASE(test_not_semaphore),
        CHECK_CASE(test_other_owner),
        CHECK_CASE(test_mode_umask000),
        CHECK_CASE(test_mode_umask077),
        CHECK_CASE(test_interop_named),
        CHECK_CASE(test_interop_unnamed),
        CHECK_CASE(test_holder_killed_named),
        CHECK_CASE(test_holder_killed_unnamed),
        CHECK_CASE(test_misuse),
        {NULL, NULL},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
