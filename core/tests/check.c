/* SPDX-License-Identifier: MIT */
/* check.c - the test harness behind check.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MAX_DEFER 64
#define MAX_FDS   1024

struct deferred {
	void (*fn)(void *);
	void *arg;
};

static char priv_dir[256];
static unsigned long name_counter;
static struct deferred defers[MAX_DEFER];
static int ndefers;
static pid_t case_pid;   /* the process running the case, 0 in the runner */
static pid_t runner_pid; /* the process that owns the private directory */
static char path_ring[16][PATH_MAX];
static unsigned path_next;

static pthread_t signal_thread;
static bool signal_thread_live;
static atomic_bool signal_stop;

const char *check_errname(ipc_status st)
{
	const char *n = ipc_errname(st);

	return n != NULL ? n : "?";
}

bool check_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

bool check_memeq(const void *a, const void *b, size_t n)
{
	return n == 0 || memcmp(a, b, n) == 0;
}

int check_slow(void)
{
	const char *s = getenv("IPC_TEST_SLOW");
	int v = s != NULL ? atoi(s) : 1;

	return v > 0 ? v : 1;
}

static void run_defers(void)
{
	while (ndefers > 0) {
		ndefers--;
		defers[ndefers].fn(defers[ndefers].arg);
	}
}

void check_defer(void (*fn)(void *), void *arg)
{
	if (ndefers == MAX_DEFER)
		check_fail(__FILE__, __LINE__, "too many deferred cleanups");
	defers[ndefers].fn = fn;
	defers[ndefers].arg = arg;
	ndefers++;
}

static void join_signal_thread(void)
{
	if (signal_thread_live) {
		atomic_store(&signal_stop, true);
		pthread_join(signal_thread, NULL);
		signal_thread_live = false;
	}
}

void check_signal_stop(void)
{
	join_signal_thread();
}

void check_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: FAILED: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	/* Helpers (check_fork) share the case's deferred list by copy; only
	 * the case process runs it. */
	if (getpid() == case_pid) {
		join_signal_thread();
		run_defers();
	}
	_exit(1);
}

void check_elapsed(const char *file, int line, ipc_deadline start,
                   int64_t want_ms)
{
	int64_t got_ms = (ipc_now() - start) / 1000000;
	int64_t slack_ms = 300 * (int64_t)check_slow();

	/* A few ms early is poll(2)'s rounding of the start point, not an
	 * early wake-up: the deadline itself is compared in nanoseconds. */
	if (got_ms < want_ms - 2 || got_ms > want_ms + slack_ms)
		check_fail(file, line,
		           "took %lld ms, want %lld ms (slack %lld ms)",
		           (long long)got_ms, (long long)want_ms,
		           (long long)slack_ms);
}

const char *check_dir(void)
{
	return priv_dir;
}

static void unlink_path(void *arg)
{
	(void)unlink((const char *)arg);
	free(arg);
}

const char *check_path(const char *tag)
{
	char *p = path_ring[path_next++ % 16];
	char *copy;

	snprintf(p, PATH_MAX, "%s/%s-%ld-%lu", priv_dir, tag, (long)getpid(),
	         ++name_counter);
	copy = strdup(p);
	if (copy == NULL)
		check_fail(__FILE__, __LINE__, "out of memory");
	check_defer(unlink_path, copy); /* which frees copy */
	return p;
}

const char *check_posix_name(const char *tag)
{
	char *p = path_ring[path_next++ % 16];

	snprintf(p, PATH_MAX, "/ipc-test-%ld-%lu-%s", (long)case_pid,
	         ++name_counter, tag);
	return p;
}

#define SYSV_KEY_TAG 0x49000000u

static uint32_t sysv_key_base(pid_t pid)
{
	return SYSV_KEY_TAG | ((uint32_t)pid & 0xffffu) << 8;
}

int32_t check_sysv_key(void)
{
	static unsigned int next;

	if (++next > 255)
		check_fail(__FILE__, __LINE__, "more than 255 System V keys");
	return (int32_t)(sysv_key_base(case_pid) | next);
}

const char *check_abstract(const char *tag)
{
	char *p = path_ring[path_next++ % 16];

	snprintf(p, PATH_MAX, "@ipc-test-%ld-%lu-%s", (long)getpid(),
	         ++name_counter, tag);
	return p;
}

pid_t check_fork(void (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		check_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
	if (pid == 0) {
		ndefers = 0; /* the case process cleans up, not the helper */
		fn(arg);
		fflush(NULL);
		/* exit(), not _exit(): LeakSanitizer and valgrind check the
		 * helper's memory too. */
		exit(0);
	}
	return pid;
}

bool check_exited_ok(int wstatus)
{
	return WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
}

int check_wait(pid_t pid, int timeout_ms)
{
	ipc_deadline d = ipc_deadline_in_ms((int64_t)timeout_ms * check_slow());
	int ws = 0;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &ws, WNOHANG);
		if (r == pid)
			return ws;
		if (r < 0 && errno != EINTR)
			check_fail(__FILE__, __LINE__, "waitpid: %s",
			           strerror(errno));
		if (ipc_deadline_expired(d)) {
			fprintf(stderr, "helper %d still running: killed\n",
			        (int)pid);
			kill(pid, SIGKILL);
			while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
				;
			return ws;
		}
		usleep(1000);
	}
}

void check_killed_by(const char *file, int line, pid_t pid, int sig)
{
	int ws = check_wait(pid, 5000);

	if (!WIFSIGNALED(ws) || WTERMSIG(ws) != sig)
		check_fail(file, line,
		           "helper status 0x%x, want death by signal %d", ws,
		           sig);
}

int check_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.')
			n++;
	}
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

/* The set of open descriptors, as a bitmap over 0..MAX_FDS-1. */
static void fd_snapshot(unsigned char *set)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self;
	long fd;

	memset(set, 0, MAX_FDS);
	if (d == NULL)
		return;
	self = dirfd(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		fd = strtol(e->d_name, NULL, 10);
		if (fd >= 0 && fd < MAX_FDS && fd != self)
			set[fd] = 1;
	}
	closedir(d);
}

static int fd_diff(const unsigned char *before, const unsigned char *after)
{
	char link[64];
	char target[PATH_MAX];
	ssize_t n;
	int bad = 0;
	int fd;

	for (fd = 0; fd < MAX_FDS; fd++) {
		if (before[fd] == after[fd])
			continue;
		bad++;
		if (!after[fd]) {
			fprintf(stderr,
			        "  descriptor %d was closed by the case\n", fd);
			continue;
		}
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		fprintf(stderr, "  descriptor %d leaked: %s\n", fd, target);
	}
	return bad;
}

/* Remove what a case left in the private directory; count it. */
static int sweep_dir(bool report)
{
	DIR *d = opendir(priv_dir);
	struct dirent *e;
	char p[PATH_MAX * 2];
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", priv_dir, e->d_name);
		if (report)
			fprintf(stderr, "  left behind: %s\n", p);
		if (unlink(p) < 0)
			(void)rmdir(p);
		n++;
	}
	closedir(d);
	return n;
}

/* Remove POSIX objects a case (pid @pid) left in @dir; count them. */
static int sweep_posix(const char *dir, pid_t pid)
{
	char prefix[64];
	char sem_prefix[80];
	char p[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return 0;
	snprintf(prefix, sizeof(prefix), "ipc-test-%ld-", (long)pid);
	snprintf(sem_prefix, sizeof(sem_prefix), "sem.%s", prefix);
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 &&
		    strncmp(e->d_name, sem_prefix, strlen(sem_prefix)) != 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		fprintf(stderr, "  left behind: %s\n", p);
		(void)unlink(p);
		n++;
	}
	closedir(d);
	return n;
}

/* Remove System V objects with the case's keys; count them. */
static int sweep_sysv(pid_t pid)
{
	static const char *const files[] = {
	        "/proc/sysvipc/msg", "/proc/sysvipc/shm", "/proc/sysvipc/sem"};
	uint32_t base = sysv_key_base(pid);
	char line[512];
	long long key;
	int id;
	int n = 0;
	int i;
	FILE *f;

	for (i = 0; i < 3; i++) {
		f = fopen(files[i], "re");
		if (f == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL) {
			if (sscanf(line, "%lld %d", &key, &id) != 2)
				continue;
			if (((uint32_t)key & 0xffffff00u) != base)
				continue;
			fprintf(stderr, "  left behind: %s key 0x%x id %d\n",
			        files[i] + 14, (unsigned int)key, id);
			if (i == 0)
				(void)msgctl(id, IPC_RMID, NULL);
			else if (i == 1)
				(void)shmctl(id, IPC_RMID, NULL);
			else
				(void)semctl(id, 0, IPC_RMID);
			n++;
		}
		fclose(f);
	}
	return n;
}

static void on_test_signal(int sig)
{
	(void)sig;
}

struct signal_req {
	pthread_t target;
	int sig;
	int delay_ms;
};

static struct signal_req signal_req;

static void nap_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void *signal_main(void *arg)
{
	struct signal_req *r = arg;

	nap_ms(r->delay_ms);
	while (!atomic_load(&signal_stop)) {
		pthread_kill(r->target, r->sig);
		nap_ms(20);
	}
	return NULL;
}

void check_signal_after(int sig, int delay_ms)
{
	struct sigaction sa;

	join_signal_thread();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_test_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: the call must see EINTR */
	if (sigaction(sig, &sa, NULL) < 0)
		check_fail(__FILE__, __LINE__, "sigaction: %s",
		           strerror(errno));
	signal_req.target = pthread_self();
	signal_req.sig = sig;
	signal_req.delay_ms = delay_ms;
	atomic_store(&signal_stop, false);
	if (pthread_create(&signal_thread, NULL, signal_main, &signal_req) != 0)
		check_fail(__FILE__, __LINE__, "pthread_create failed");
	signal_thread_live = true;
}

void check_fill(void *buf, size_t len, unsigned int seed, size_t offset)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		size_t k = offset + i;

		p[i] = (unsigned char)((k * 2654435761u) >> 13 ^ seed ^
		                       (k >> 8));
	}
}

/* The case process: run, then the per-case checks. */
static void run_case(const struct check_case *c)
{
	unsigned char before[MAX_FDS];
	unsigned char after[MAX_FDS];
	int leaks;

	case_pid = getpid();
	(void)setpgid(0, 0);
	fd_snapshot(before);
	c->fn();
	join_signal_thread();
	run_defers();
	fd_snapshot(after);
	leaks = fd_diff(before, after);
	if (leaks) {
		fprintf(stderr, "%s: %d descriptor(s) leaked\n", c->name,
		        leaks);
		_exit(1);
	}
	fflush(NULL);
	exit(0);
}

static bool selected(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], name) == 0)
			return true;
	}
	return false;
}

static void dump_stuck(pid_t pid)
{
	char p[64];
	char buf[4096];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/wchan", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		fprintf(stderr, "  wchan: %s\n", buf);
		close(fd);
	}
	snprintf(p, sizeof(p), "/proc/%d/stack", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		fprintf(stderr, "  kernel stack:\n%s", buf);
		close(fd);
	}
}

static bool run_one(const struct check_case *c, int index)
{
	ipc_deadline start = ipc_now();
	ipc_deadline d =
	        ipc_deadline_in_ms((int64_t)CHECK_TIMEOUT_MS * check_slow());
	bool ok;
	int ws = 0;
	int left;
	pid_t pid;
	pid_t r;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return false;
	}
	if (pid == 0)
		run_case(c);
	for (;;) {
		r = waitpid(pid, &ws, WNOHANG);
		if (r == pid)
			break;
		if (ipc_deadline_expired(d)) {
			fprintf(stderr, "%s: timed out after %d ms\n", c->name,
			        CHECK_TIMEOUT_MS * check_slow());
			dump_stuck(pid);
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &ws, 0);
			break;
		}
		usleep(2000);
	}
	/* Reap helpers the case left behind in its process group. */
	kill(-pid, SIGKILL);
	while (waitpid(-pid, NULL, WNOHANG) > 0)
		;
	ok = check_exited_ok(ws);
	if (WIFSIGNALED(ws))
		fprintf(stderr, "%s: killed by signal %d\n", c->name,
		        WTERMSIG(ws));
	left = sweep_dir(true) + sweep_posix("/dev/shm", pid) +
	       sweep_posix("/dev/mqueue", pid) + sweep_sysv(pid);
	if (left) {
		fprintf(stderr, "%s: %d named object(s) left behind\n", c->name,
		        left);
		ok = false;
	}
	printf("%s %d - %s (%lld ms)\n", ok ? "ok" : "not ok", index, c->name,
	       (long long)((ipc_now() - start) / 1000000));
	fflush(stdout);
	return ok;
}

static void remove_dir(void)
{
	/* atexit handlers are inherited by every forked case and helper:
	 * only the runner removes the directory. */
	if (getpid() == runner_pid && priv_dir[0] != '\0') {
		(void)sweep_dir(false);
		(void)rmdir(priv_dir);
	}
}

int check_main(int argc, char **argv, const struct check_case *cases)
{
	const char *tmp = getenv("TMPDIR");
	int passed = 0;
	int failed = 0;
	int total = 0;
	int i;

	/* Tests see EPIPE, never SIGPIPE death, only because the library
	 * guards its writes: keep the default disposition to prove it. */
	signal(SIGPIPE, SIG_DFL);
	snprintf(priv_dir, sizeof(priv_dir), "%s/ipc-test-%ld-XXXXXX",
	         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", (long)getpid());
	if (mkdtemp(priv_dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	runner_pid = getpid();
	atexit(remove_dir);
	for (i = 0; cases[i].name != NULL; i++) {
		if (selected(cases[i].name, argc, argv))
			total++;
	}
	printf("1..%d\n", total);
	for (i = 0; cases[i].name != NULL; i++) {
		if (!selected(cases[i].name, argc, argv))
			continue;
		if (run_one(&cases[i], passed + failed + 1))
			passed++;
		else
			failed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	if (total == 0) {
		fprintf(stderr, "no test case ran\n");
		return 1;
	}
	return failed == 0 ? 0 : 1;
}
