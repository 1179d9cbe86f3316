/* SPDX-License-Identifier: MIT */
/*
 * Processes: exit codes and signals, waiting with deadlines and EINTR,
 * kill after reap, descriptor wiring (exact inventory, swaps, cycles, one
 * source to several numbers, /dev/null), signal state, environment and
 * IPC_ENDPOINTS, working directory, process groups, PATH search, exec
 * errors, the parent-death signal, PID reuse in a PID namespace (F12) and
 * spawning from a large parent. Every case runs for both spawn paths
 * (posix_spawn and the IPC_PROC_PDEATHSIG clone) where they differ.
 *
 * The child is mostly this binary again, re-executed with "--child MODE":
 * it reports what it sees on its stdout, which the case reads from a pipe.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#include "check.h"
#include "ipc/proc.h"

extern char **environ;

static char self_exe[PATH_MAX];

/* ---- the child modes ----------------------------------------------------- */

/* "fds": one line per open descriptor, "N target". */
static int mode_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char link[64];
	char target[PATH_MAX];
	ssize_t n;
	int self;

	if (d == NULL)
		return 2;
	self = dirfd(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == self)
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d",
		         atoi(e->d_name));
		n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		printf("%s %s\n", e->d_name, target);
	}
	closedir(d);
	return 0;
}

/* "status": the SigBlk and SigIgn lines of /proc/self/status. */
static int mode_status(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	if (f == NULL)
		return 2;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "SigBlk:", 7) == 0 ||
		    strncmp(line, "SigIgn:", 7) == 0)
			fputs(line, stdout);
	}
	fclose(f);
	return 0;
}

static int child_mode(int argc, char **argv)
{
	const char *mode = argc > 2 ? argv[2] : "";
	char buf[PATH_MAX];
	int n = 0;
	int i;

	if (strcmp(mode, "exit") == 0 && argc > 3)
		return atoi(argv[3]);
	if (strcmp(mode, "fds") == 0)
		return mode_fds();
	if (strcmp(mode, "status") == 0)
		return mode_status();
	if (strcmp(mode, "env") == 0 && argc > 3) {
		const char *v = getenv(argv[3]);
		size_t len = strlen(argv[3]);

		for (i = 0; environ[i] != NULL; i++) {
			if (strncmp(environ[i], argv[3], len) == 0 &&
			    environ[i][len] == '=')
				n++;
		}
		printf("%d %s\n", n, v != NULL ? v : "(unset)");
		return 0;
	}
	if (strcmp(mode, "cwd") == 0) {
		if (getcwd(buf, sizeof(buf)) == NULL)
			return 2;
		printf("%s\n", buf);
		return 0;
	}
	if (strcmp(mode, "pgid") == 0) {
		printf("%ld %ld\n", (long)getpid(), (long)getpgid(0));
		return 0;
	}
	if (strcmp(mode, "sleep") == 0) {
		for (;;)
			pause();
	}
	fprintf(stderr, "unknown child mode %s\n", mode);
	return 2;
}

/* ---- helpers ----------------------------------------------------------- */

static const unsigned int paths[] = {0, IPC_PROC_PDEATHSIG};

static bool on_valgrind(void)
{
	return RUNNING_ON_VALGRIND != 0;
}

/* Valgrind 3.19 does not know pidfd_open: handles hold the pid alone. */
static bool have_pidfd(const ipc_proc *p)
{
	if (ipc_proc_fd(p) >= 0)
		return true;
	CHECK(on_valgrind()); /* Linux 6.x has pidfds */
	return false;
}

/* Wait until the child has ended, without reaping it. */
static void wait_ended(ipc_proc *p)
{
	struct pollfd pfd = {.fd = ipc_proc_fd(p), .events = POLLIN};
	siginfo_t si;

	if (have_pidfd(p)) {
		CHECK_EQ(poll(&pfd, 1, 10000 * check_slow()), 1);
		return;
	}
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PID, (id_t)ipc_proc_pid(p), &si, WEXITED | WNOWAIT) ==
	      0);
}

static void spawn_ok(ipc_proc **p, const char *const *argv, unsigned int flags)
{
	struct ipc_proc_opts o;

	memset(&o, 0, sizeof(o));
	o.argv = argv;
	o.flags = flags;
	CHECK_OK(ipc_proc_spawn(p, &o));
	CHECK(*p != NULL);
	CHECK(ipc_proc_pid(*p) > 0);
	(void)have_pidfd(*p);
}

static void wait_ok(ipc_proc *p, struct ipc_proc_status *st)
{
	CHECK_OK(ipc_proc_wait(p, st, ipc_deadline_in_ms(10000)));
}

static void close_proc(void *arg)
{
	ipc_proc **pp = arg;

	if (*pp != NULL) {
		(void)ipc_proc_kill(*pp, SIGKILL);
		(void)ipc_proc_wait(*pp, NULL, ipc_deadline_in_ms(5000));
		(void)ipc_proc_close(*pp);
		*pp = NULL;
	}
}

/*
 * Spawn @o with its stdout wired to a pipe (child fd 1 is added to the
 * wiring unless @o already wires it, in which case @out_fd says where the
 * output goes); read everything; wait. Returns the output (malloc'd).
 */
static char *run_capture(struct ipc_proc_opts *o, struct ipc_proc_status *st,
                         int *out_fd)
{
	struct ipc_proc_fd fds[16];
	struct ipc_proc_opts oo = *o;
	ipc_proc *p = NULL;
	size_t cap = 65536;
	size_t len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	int pfd[2];

	CHECK(buf != NULL);
	CHECK(o->nfds < 15);
	CHECK(pipe2(pfd, O_CLOEXEC) == 0);
	if (o->nfds > 0)
		memcpy(fds, o->fds, o->nfds * sizeof(fds[0]));
	oo.fds = fds;
	if (out_fd != NULL) {
		/* the caller's wiring names *out_fd; point it at the pipe */
		CHECK(dup3(pfd[1], *out_fd, O_CLOEXEC) == *out_fd);
	} else {
		fds[oo.nfds].child_fd = 1;
		fds[oo.nfds].parent_fd = pfd[1];
		oo.nfds++;
	}
	CHECK_OK(ipc_proc_spawn(&p, &oo));
	close(pfd[1]);
	if (out_fd != NULL)
		close(*out_fd);
	for (;;) {
		struct pollfd pl = {.fd = pfd[0], .events = POLLIN};

		/* never hang on a wiring gone wrong */
		CHECK(poll(&pl, 1, 10000 * check_slow()) == 1);
		n = read(pfd[0], buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n >= 0);
		if (n == 0)
			break;
		len += (size_t)n;
		CHECK(len < cap - 1);
	}
	buf[len] = '\0';
	close(pfd[0]);
	wait_ok(p, st);
	CHECK_OK(ipc_proc_close(p));
	return buf;
}

/* The child's descriptor @fd in a "fds" listing, or NULL. */
static const char *fd_target(const char *listing, int fd, char *out, size_t cap)
{
	const char *line = listing;
	int n;
	int used;

	while (*line != '\0') {
		if (sscanf(line, "%d %n", &n, &used) == 1 && n == fd) {
			size_t k = strcspn(line + used, "\n");

			CHECK(k < cap);
			memcpy(out, line + used, k);
			out[k] = '\0';
			return out;
		}
		line = strchr(line, '\n');
		if (line == NULL)
			break;
		line++;
	}
	return NULL;
}

static int fd_listing_count(const char *listing)
{
	int n = 0;

	for (; *listing != '\0'; listing++)
		n += *listing == '\n';
	return n;
}

static void parent_target(int fd, char *out, size_t cap)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, cap - 1);
	CHECK(n > 0);
	out[n] = '\0';
}

/* A descriptor number the case process does not use. */
static bool fd_free(int fd)
{
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

static void close_fd_list(void *arg)
{
	int *fds = arg;
	int i;

	for (i = 0; fds[i] >= 0; i++)
		(void)close(fds[i]);
}

/* ---- exit codes, signals, waiting --------------------------------------- */

static void test_exit_codes(void)
{
	static const int codes[] = {0, 1, 255};
	struct ipc_proc_status st;
	ipc_proc *p;
	char code[8];
	size_t i;
	size_t k;

	for (k = 0; k < 2; k++) {
		for (i = 0; i < 3; i++) {
			const char *argv[] = {self_exe, "--child", "exit", code,
			                      NULL};

			snprintf(code, sizeof(code), "%d", codes[i]);
			spawn_ok(&p, argv, paths[k]);
			wait_ok(p, &st);
			CHECK(st.exited);
			CHECK_EQ(st.code, codes[i]);
			CHECK_EQ(st.signo, 0);
			CHECK(!st.core);
			CHECK_EQ(ipc_proc_returncode(&st), codes[i]);
			CHECK_OK(ipc_proc_close(p));
		}
	}
}

static void test_killed_by_signal(void)
{
	const char *sleeper[] = {self_exe, "--child", "sleep", NULL};
	const char *segv[] = {"/bin/sh", "-c", "kill -SEGV $$", NULL};
	static const int sigs[] = {SIGTERM, SIGKILL, SIGUSR1};
	struct rlimit nocore = {0, 0};
	struct ipc_proc_status st;
	ipc_proc *p;
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		spawn_ok(&p, sleeper, 0);
		CHECK_OK(ipc_proc_kill(p, 0)); /* still there */
		CHECK_OK(ipc_proc_kill(p, sigs[i]));
		wait_ok(p, &st);
		CHECK(!st.exited);
		CHECK_EQ(st.signo, sigs[i]);
		CHECK_EQ(ipc_proc_returncode(&st), -sigs[i]);
		CHECK_OK(ipc_proc_close(p));
	}
	/* A signal the child raises itself; no core file, please. */
	CHECK(setrlimit(RLIMIT_CORE, &nocore) == 0);
	spawn_ok(&p, segv, 0);
	wait_ok(p, &st);
	CHECK(!st.exited);
	CHECK_EQ(st.signo, SIGSEGV);
	CHECK_EQ(ipc_proc_returncode(&st), -SIGSEGV);
	CHECK_OK(ipc_proc_close(p));
}

static void test_wait_timeout(void)
{
	const char *sleeper[] = {self_exe, "--child", "sleep", NULL};
	struct ipc_proc_status st;
	ipc_deadline start;
	static ipc_proc *p; /* deferred: must outlive the frame */

	check_defer(close_proc, &p);
	spawn_ok(&p, sleeper, 0);
	start = ipc_now();
	CHECK_ERR(ipc_proc_wait(p, &st, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_ERR(ipc_proc_wait(p, &st, ipc_deadline_in_ms(150)), -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	CHECK_OK(ipc_proc_kill(p, SIGTERM));
	wait_ok(p, &st);
	CHECK_EQ(ipc_proc_returncode(&st), -SIGTERM);
}

static void test_wait_eintr(void)
{
	const char *sleeper[] = {self_exe, "--child", "sleep", NULL};
	struct ipc_proc_status st;
	/* long enough for the signal sender to run on a loaded machine */
	int64_t ms = 300 + 100 * (int64_t)check_slow();
	ipc_deadline start;
	ipc_deadline d;
	static ipc_proc *p;

	check_defer(close_proc, &p);
	spawn_ok(&p, sleeper, 0);
	start = ipc_now();
	d = start + ms * 1000000;
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_proc_wait(p, &st, d), -EINTR);
	check_signal_stop();
	CHECK(ipc_now() < d);
	/* The retry keeps the same absolute deadline. */
	CHECK_ERR(ipc_proc_wait(p, &st, d), -ETIMEDOUT);
	CHECK_ELAPSED(start, ms);
	CHECK_OK(ipc_proc_kill(p, SIGKILL));
	wait_ok(p, &st);
	CHECK_EQ(st.signo, SIGKILL);
}

static void test_cached_status_and_kill_after_reap(void)
{
	const char *ex[] = {self_exe, "--child", "exit", "3", NULL};
	struct ipc_proc_status st;
	struct ipc_proc_status st2;
	ipc_proc *p;
	size_t k;

	for (k = 0; k < 2; k++) {
		spawn_ok(&p, ex, paths[k] | IPC_PROC_NEW_PGROUP);
		/* Ended but not reaped: a zombie counts as gone. */
		wait_ended(p);
		CHECK_ERR(ipc_proc_kill(p, SIGTERM), -ESRCH);
		CHECK_ERR(ipc_proc_kill(p, 0), -ESRCH);
		wait_ok(p, &st);
		CHECK(st.exited);
		CHECK_EQ(st.code, 3);
		CHECK_OK(ipc_proc_wait(p, &st2, IPC_DEADLINE_NOW));
		CHECK_MEM_EQ(&st, &st2, sizeof(st));
		CHECK_OK(ipc_proc_wait(p, NULL, IPC_DEADLINE_NOW));
		CHECK_ERR(ipc_proc_kill(p, SIGKILL), -ESRCH);
		CHECK_ERR(ipc_proc_kill_group(p, SIGKILL), -ESRCH);
		CHECK_OK(ipc_proc_close(p));
	}
}

static void test_pidfd_pollable(void)
{
	const char *sleeper[] = {self_exe, "--child", "sleep", NULL};
	struct ipc_proc_status st;
	struct pollfd pfd;
	static ipc_proc *p;

	check_defer(close_proc, &p);
	spawn_ok(&p, sleeper, 0);
	if (!have_pidfd(p)) {
		printf("# no pidfd under valgrind: case skipped\n");
		return;
	}
	pfd.fd = ipc_proc_fd(p);
	pfd.events = POLLIN;
	CHECK_EQ(poll(&pfd, 1, 50), 0);
	CHECK_OK(ipc_proc_kill(p, SIGTERM));
	CHECK_EQ(poll(&pfd, 1, 10000), 1);
	CHECK(pfd.revents & POLLIN);
	wait_ok(p, &st);
	CHECK_EQ(st.signo, SIGTERM);
}

/* Someone else reaps our child: wait reports -ECHILD, kill -ESRCH. */
static void test_reaped_behind_our_back(void)
{
	const char *ex[] = {self_exe, "--child", "exit", "0", NULL};
	struct ipc_proc_status st;
	siginfo_t si;
	ipc_proc *p;

	spawn_ok(&p, ex, IPC_PROC_NEW_PGROUP);
	/* A plain-C peer: the raw waitid on the borrowed pidfd. */
	memset(&si, 0, sizeof(si));
	if (have_pidfd(p))
		CHECK(waitid(P_PIDFD, (id_t)ipc_proc_fd(p), &si, WEXITED) == 0);
	else
		CHECK(waitid(P_PID, (id_t)ipc_proc_pid(p), &si, WEXITED) == 0);
	CHECK_EQ(si.si_pid, ipc_proc_pid(p));
	CHECK_ERR(ipc_proc_wait(p, &st, ipc_deadline_in_ms(1000)), -ECHILD);
	CHECK_ERR(ipc_proc_kill(p, SIGKILL), -ESRCH);
	CHECK_ERR(ipc_proc_kill_group(p, SIGKILL), -ESRCH);
	CHECK_OK(ipc_proc_close(p));
}

/* ---- descriptor wiring ------------------------------------------------- */

/* The child's descriptors are exactly 0, 1, 2 and the wired ones. */
static void test_fd_inventory(void)
{
	static int extra[3] = {-1, -1, -1};
	const char *argv[] = {self_exe, "--child", "fds", NULL};
	struct ipc_proc_status st;
	struct ipc_proc_fd fds[2];
	struct ipc_proc_opts o;
	char want[PATH_MAX];
	char got[PATH_MAX];
	char *out;
	size_t k;

	/* Descriptors of ours that are NOT close-on-exec must not leak. */
	extra[0] = dup(0);
	CHECK(extra[0] >= 0);
	extra[1] = fcntl(0, F_DUPFD, 77);
	CHECK(extra[1] >= 0);
	check_defer(close_fd_list, extra);
	for (k = 0; k < 2; k++) {
		memset(&o, 0, sizeof(o));
		o.argv = argv;
		o.flags = paths[k];
		out = run_capture(&o, &st, NULL);
		CHECK_EQ(ipc_proc_returncode(&st), 0);
		CHECK_EQ(fd_listing_count(out), 3);
		CHECK_STR_EQ(fd_target(out, 0, got, sizeof(got)), "/dev/null");
		CHECK_STR_EQ(fd_target(out, 2, got, sizeof(got)), "/dev/null");
		CHECK(fd_target(out, 1, got, sizeof(got)) != NULL);
		CHECK(strncmp(got, "pipe:", 5) == 0);
		free(out);

		/* Two wired numbers, one far up. */
		fds[0].child_fd = 9;
		fds[0].parent_fd = extra[0];
		fds[1].child_fd = 600;
		fds[1].parent_fd = extra[1];
		o.fds = fds;
		o.nfds = 2;
		out = run_capture(&o, &st, NULL);
		CHECK_EQ(ipc_proc_returncode(&st), 0);
		CHECK_EQ(fd_listing_count(out), 5);
		parent_target(extra[0], want, sizeof(want));
		CHECK_STR_EQ(fd_target(out, 9, got, sizeof(got)), want);
		CHECK(fd_target(out, 600, got, sizeof(got)) != NULL);
		CHECK(fd_target(out, 77, got, sizeof(got)) == NULL);
		CHECK(fd_target(out, extra[0], got, sizeof(got)) == NULL ||
		      extra[0] == 9);
		free(out);
	}
}

/* Swaps and a cycle: parent 3 -> child 4 and 4 -> 3; 3 -> 4 -> 5 -> 3. */
static void test_fd_swap_and_cycle(void)
{
	static int nums[4] = {3, 4, 5, -1};
	const char *argv[] = {self_exe, "--child", "fds", NULL};
	struct ipc_proc_status st;
	struct ipc_proc_fd fds[3];
	struct ipc_proc_opts o;
	char want[3][PATH_MAX];
	char got[PATH_MAX];
	int pa[2];
	int pb[2];
	char *out;
	size_t k;
	int i;

	for (i = 0; i < 3; i++) {
		if (!fd_free(nums[i])) {
			printf("# descriptor %d in use: case skipped\n",
			       nums[i]);
			return;
		}
	}
	/* Three different pipes at exactly 3, 4 and 5 (not close-on-exec:
	 * the wiring must not depend on that). */
	CHECK(pipe2(pa, O_CLOEXEC) == 0);
	CHECK(pipe2(pb, O_CLOEXEC) == 0);
	CHECK(dup2(pa[0], 30) == 30 && dup2(pb[0], 31) == 31 &&
	      dup2(pb[1], 32) == 32);
	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
	CHECK(dup2(30, 3) == 3 && dup2(31, 4) == 4 && dup2(32, 5) == 5);
	close(30);
	close(31);
	close(32);
	check_defer(close_fd_list, nums);
	for (i = 0; i < 3; i++)
		parent_target(3 + i, want[i], sizeof(want[i]));
	CHECK(strcmp(want[0], want[1]) != 0);

	for (k = 0; k < 2; k++) {
		memset(&o, 0, sizeof(o));
		o.argv = argv;
		o.flags = paths[k];
		o.fds = fds;
		fds[0].child_fd = 4;
		fds[0].parent_fd = 3;
		fds[1].child_fd = 3;
		fds[1].parent_fd = 4;
		o.nfds = 2;
		out = run_capture(&o, &st, NULL);
		CHECK_EQ(ipc_proc_returncode(&st), 0);
		CHECK_EQ(fd_listing_count(out), 5);
		CHECK_STR_EQ(fd_target(out, 4, got, sizeof(got)), want[0]);
		CHECK_STR_EQ(fd_target(out, 3, got, sizeof(got)), want[1]);
		free(out);

		/* 3 -> 4, 4 -> 5, 5 -> 3 */
		for (i = 0; i < 3; i++) {
			fds[i].parent_fd = 3 + i;
			fds[i].child_fd = 3 + (i + 1) % 3;
		}
		o.nfds = 3;
		out = run_capture(&o, &st, NULL);
		CHECK_EQ(ipc_proc_returncode(&st), 0);
		CHECK_EQ(fd_listing_count(out), 6);
		for (i = 0; i < 3; i++)
			CHECK_STR_EQ(fd_target(out, 3 + (i + 1) % 3, got,
			                       sizeof(got)),
			             want[i]);
		free(out);
	}
}

/* One parent descriptor to several child numbers; stdout itself wired to
 * a child number the parent uses for something else. */
static void test_fd_one_to_many(void)
{
	static int own[2] = {-1, -1};
	const char *argv[] = {self_exe, "--child", "fds", NULL};
	struct ipc_proc_status st;
	struct ipc_proc_fd fds[3];
	struct ipc_proc_opts o;
	char want[PATH_MAX];
	char got[PATH_MAX];
	char *out;
	int outfd;
	size_t k;

	own[0] = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	CHECK(own[0] >= 0);
	check_defer(close_fd_list, own);
	parent_target(own[0], want, sizeof(want));
	for (k = 0; k < 2; k++) {
		/* run_capture puts the pipe at parent descriptor 40 */
		outfd = 40;
		CHECK(fd_free(outfd));
		memset(&o, 0, sizeof(o));
		o.argv = argv;
		o.flags = paths[k];
		o.fds = fds;
		fds[0].child_fd = 1;
		fds[0].parent_fd = outfd;
		fds[1].child_fd = 7;
		fds[1].parent_fd = own[0];
		fds[2].child_fd = 0;
		fds[2].parent_fd = own[0];
		o.nfds = 3;
		out = run_capture(&o, &st, &outfd);
		CHECK_EQ(ipc_proc_returncode(&st), 0);
		CHECK_EQ(fd_listing_count(out), 4);
		CHECK_STR_EQ(fd_target(out, 7, got, sizeof(got)), want);
		CHECK_STR_EQ(fd_target(out, 0, got, sizeof(got)), want);
		CHECK(strncmp(fd_target(out, 1, got, sizeof(got)),
		              "pipe:", 5) == 0);
		free(out);
	}
}

static void test_fd_devnull_and_keep_stdio(void)
{
	const char *argv[] = {self_exe, "--child", "fds", NULL};
	struct ipc_proc_status st;
	struct ipc_proc_fd fds[1];
	struct ipc_proc_opts o;
	char want[PATH_MAX];
	char got[PATH_MAX];
	char *out;
	size_t k;

	parent_target(2, want, sizeof(want));
	for (k = 0; k < 2; k++) {
		memset(&o, 0, sizeof(o));
		o.argv = argv;
		o.flags = paths[k];
		o.fds = fds;
		o.nfds = 1;
		fds[0].child_fd = 5;
		fds[0].parent_fd = -1;
		out = run_capture(&o, &st, NULL);
		CHECK_EQ(ipc_proc_returncode(&st), 0);
		CHECK_EQ(fd_listing_count(out), 4);
		CHECK_STR_EQ(fd_target(out, 5, got, sizeof(got)), "/dev/null");
		CHECK_STR_EQ(fd_target(out, 2, got, sizeof(got)), "/dev/null");
		free(out);

		/* IPC_PROC_KEEP_STDIO: the unwired 2 is ours. */
		o.flags = paths[k] | IPC_PROC_KEEP_STDIO;
		o.nfds = 0;
		out = run_capture(&o, &st, NULL);
		CHECK_EQ(ipc_proc_returncode(&st), 0);
		CHECK_STR_EQ(fd_target(out, 2, got, sizeof(got)), want);
		free(out);
	}
}

/* A mask line of /proc/self/status, "SigBlk:\t<hex>". */
static unsigned long long status_mask(const char *out, const char *key)
{
	const char *l = strstr(out, key);

	CHECK(l != NULL);
	return strtoull(l + strlen(key), NULL, 16);
}

/*
 * The child starts with no signal blocked and none ignored. Signals 32 and
 * 33 are glibc's own (thread cancellation, setxid): its posix_spawn leaves
 * them ignored in the child and every glibc or musl program installs its
 * handlers for them at start-up, so they are left out of the comparison.
 */
static void test_signal_state_reset(void)
{
	const char *argv[] = {self_exe, "--child", "status", NULL};
	const unsigned long long glibc_internal = 3ull << 31;
	struct ipc_proc_status st;
	struct ipc_proc_opts o;
	sigset_t set;
	char *out;
	size_t k;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGRTMIN + 2);
	CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
	CHECK(signal(SIGHUP, SIG_IGN) != SIG_ERR);
	CHECK(signal(SIGINT, SIG_IGN) != SIG_ERR);
	CHECK(signal(SIGRTMAX, SIG_IGN) != SIG_ERR);
	for (k = 0; k < 2; k++) {
		memset(&o, 0, sizeof(o));
		o.argv = argv;
		o.flags = paths[k];
		out = run_capture(&o, &st, NULL);
		CHECK_EQ(ipc_proc_returncode(&st), 0);
		CHECK_EQ(status_mask(out, "SigBlk:"), 0);
		CHECK_EQ(status_mask(out, "SigIgn:") & ~glibc_internal, 0);
		free(out);
	}
}

/* ---- environment, cwd, groups, PATH -------------------------------------- */

static void check_env(const char *const *envp, const char *endpoints,
                      const char *name, const char *want)
{
	const char *argv[] = {self_exe, "--child", "env", name, NULL};
	struct ipc_proc_status st;
	struct ipc_proc_opts o;
	char *out;
	size_t k;

	for (k = 0; k < 2; k++) {
		memset(&o, 0, sizeof(o));
		o.argv = argv;
		o.envp = envp;
		o.endpoints = endpoints;
		o.flags = paths[k];
		out = run_capture(&o, &st, NULL);
		CHECK_EQ(ipc_proc_returncode(&st), 0);
		CHECK_STR_EQ(out, want);
		free(out);
	}
}

static void test_environment(void)
{
	const char *explicit_env[] = {"A=1", "IPC_ENDPOINTS=old",
	                              "IPC_ENDPOINTS=older", NULL};
	const char *empty_env[] = {NULL};

	/* explicit */
	check_env(explicit_env, NULL, "A", "1 1\n");
	check_env(explicit_env, NULL, "PATH", "0 (unset)\n");
	check_env(empty_env, NULL, "A", "0 (unset)\n");
	/* inherited, as it is now */
	CHECK(setenv("IPC_TEST_PROC_X", "hello world", 1) == 0);
	check_env(NULL, NULL, "IPC_TEST_PROC_X", "1 hello world\n");
	/* IPC_ENDPOINTS: replaced (every copy) or added, never doubled */
	check_env(explicit_env, "in=ring:/x;out=pipe:", "IPC_ENDPOINTS",
	          "1 in=ring:/x;out=pipe:\n");
	check_env(explicit_env, "in=ring:/x", "A", "1 1\n");
	check_env(empty_env, "in=ring:/x", "IPC_ENDPOINTS", "1 in=ring:/x\n");
	CHECK(setenv("IPC_ENDPOINTS", "mine", 1) == 0);
	check_env(NULL, "in=ring:/y", "IPC_ENDPOINTS", "1 in=ring:/y\n");
	check_env(NULL, "in=ring:/y", "IPC_TEST_PROC_X", "1 hello world\n");
	check_env(NULL, "", "IPC_ENDPOINTS", "1 \n");
	/* ours is untouched */
	CHECK_STR_EQ(getenv("IPC_ENDPOINTS"), "mine");
	check_env(NULL, NULL, "IPC_ENDPOINTS", "1 mine\n");
}

static void test_cwd(void)
{
	const char *argv[] = {self_exe, "--child", "cwd", NULL};
	const char *missing[] = {"/bin/true", NULL};
	struct ipc_proc_status st;
	struct ipc_proc_opts o;
	char want[PATH_MAX];
	char *out;
	ipc_proc *p;
	size_t k;

	CHECK(realpath(check_dir(), want) != NULL);
	strcat(want, "\n");
	for (k = 0; k < 2; k++) {
		memset(&o, 0, sizeof(o));
		o.argv = argv;
		o.cwd = check_dir();
		o.flags = paths[k];
		out = run_capture(&o, &st, NULL);
		CHECK_EQ(ipc_proc_returncode(&st), 0);
		CHECK_STR_EQ(out, want);
		free(out);

		o.argv = missing;
		o.cwd = "/nonexistent-ipc-dir";
		if (!on_valgrind() || paths[k]) {
			CHECK_ERR(ipc_proc_spawn(&p, &o), -ENOENT);
			CHECK(p == NULL);
			CHECK(strstr(ipc_detail(), "/nonexistent-ipc-dir") !=
			      NULL);
		}
	}
}

static void test_process_group(void)
{
	const char *argv[] = {self_exe, "--child", "pgid", NULL};
	const char *tree[] = {"/bin/sh", "-c", "sleep 30 & echo $!; wait",
	                      NULL};
	struct ipc_proc_status st;
	struct ipc_proc_opts o;
	struct ipc_proc_fd fd1;
	static ipc_proc *p;
	long pid;
	long pgid;
	long gpid;
	char buf[64];
	char path[64];
	ssize_t n;
	size_t k;
	int pfd[2];
	int i;
	char *out;

	for (k = 0; k < 2; k++) {
		memset(&o, 0, sizeof(o));
		o.argv = argv;
		o.flags = paths[k] | IPC_PROC_NEW_PGROUP;
		out = run_capture(&o, &st, NULL);
		CHECK_EQ(sscanf(out, "%ld %ld", &pid, &pgid), 2);
		CHECK_EQ(pid, pgid);
		free(out);
		o.flags = paths[k];
		out = run_capture(&o, &st, NULL);
		CHECK_EQ(sscanf(out, "%ld %ld", &pid, &pgid), 2);
		CHECK_EQ(pgid, getpgid(0));
		free(out);
	}

	/* Not a group leader: no group kill. */
	memset(&o, 0, sizeof(o));
	o.argv = (const char *const *)tree;
	check_defer(close_proc, &p);
	CHECK_OK(ipc_proc_spawn(&p, &o));
	CHECK_ERR(ipc_proc_kill_group(p, SIGTERM), -EINVAL);
	close_proc(&p);

	/* A group with a grandchild: both die. */
	CHECK(pipe2(pfd, O_CLOEXEC) == 0);
	fd1.child_fd = 1;
	fd1.parent_fd = pfd[1];
	o.fds = &fd1;
	o.nfds = 1;
	o.flags = IPC_PROC_NEW_PGROUP;
	CHECK_OK(ipc_proc_spawn(&p, &o));
	close(pfd[1]);
	n = read(pfd[0], buf, sizeof(buf) - 1);
	close(pfd[0]);
	CHECK(n > 0);
	buf[n] = '\0';
	gpid = atol(buf);
	CHECK(gpid > 0);
	CHECK_OK(ipc_proc_kill_group(p, SIGTERM));
	wait_ok(p, &st);
	CHECK_EQ(st.signo, SIGTERM);
	/* the grandchild is gone too (or a zombie of whoever adopted it) */
	snprintf(path, sizeof(path), "/proc/%ld/stat", gpid);
	for (i = 0; i < 500; i++) {
		FILE *f = fopen(path, "re");
		char state = 'Z';

		if (f == NULL)
			break;
		if (fscanf(f, "%*d %*s %c", &state) != 1)
			state = 'Z';
		fclose(f);
		if (state == 'Z' || state == 'X')
			break;
		usleep(10000);
	}
	CHECK(i < 500);
}

static void test_search_path(void)
{
	const char *sh[] = {"sh", "-c", "exit 7", NULL};
	const char *none[] = {"ipc-no-such-program-xyz", NULL};
	struct ipc_proc_status st;
	struct ipc_proc_opts o;
	ipc_proc *p;
	size_t k;

	for (k = 0; k < 2; k++) {
		memset(&o, 0, sizeof(o));
		o.argv = sh;
		o.flags = paths[k] | IPC_PROC_SEARCH_PATH;
		CHECK_OK(ipc_proc_spawn(&p, &o));
		wait_ok(p, &st);
		CHECK_EQ(ipc_proc_returncode(&st), 7);
		CHECK_OK(ipc_proc_close(p));

		if (on_valgrind() && !paths[k])
			continue; /* see test_exec_errors */
		o.argv = none;
		CHECK_ERR(ipc_proc_spawn(&p, &o), -ENOENT);
		CHECK(strstr(ipc_detail(), "ipc-no-such-program-xyz") != NULL);
		/* without the flag "sh" is a path relative to cwd */
		o.argv = sh;
		o.flags = paths[k];
		o.cwd = check_dir();
		CHECK_ERR(ipc_proc_spawn(&p, &o), -ENOENT);
	}
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	CHECK(fchmod(fd, mode) == 0);
	close(fd);
}

/*
 * Exec failures come back from spawn. Under valgrind, glibc's posix_spawn
 * cannot report them (valgrind runs its CLONE_VM | CLONE_VFORK as a plain
 * fork, so the error the child stores never reaches us): the child exits
 * 127 instead. The PDEATHSIG path reports through a pipe and keeps working.
 */
static void test_exec_errors(void)
{
	const char *noexec = check_path("noexec");
	const char *garbage = check_path("garbage");
	const char *enoent[] = {"/nonexistent/ipc-prog", NULL};
	const char *eacces[] = {noexec, NULL};
	const char *enoexec[] = {garbage, NULL};
	const char *const *argvs[] = {enoent, eacces, enoexec};
	const int want[] = {-ENOENT, -EACCES, -ENOEXEC};
	struct ipc_proc_status st;
	struct ipc_proc_opts o;
	ipc_proc *p;
	size_t k;
	size_t i;

	write_file(noexec, "#!/bin/sh\nexit 0\n", 0644);
	write_file(garbage, "\x01\x02\x03 not a program\n", 0755);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < 3; i++) {
			memset(&o, 0, sizeof(o));
			o.argv = argvs[i];
			o.flags = paths[k];
			if (on_valgrind() && !paths[k]) {
				CHECK_OK(ipc_proc_spawn(&p, &o));
				wait_ok(p, &st);
				CHECK_EQ(ipc_proc_returncode(&st), 127);
				CHECK_OK(ipc_proc_close(p));
				continue;
			}
			CHECK_ERR(ipc_proc_spawn(&p, &o), want[i]);
			CHECK(p == NULL);
			CHECK(strstr(ipc_detail(), argvs[i][0]) != NULL);
		}
	}
}

static void test_misuse(void)
{
	const char *argv[] = {self_exe, "--child", "exit", "0", NULL};
	const char *noargv[] = {NULL};
	struct ipc_proc_status st;
	struct ipc_proc_opts o;
	struct ipc_proc_fd fds[2];
	ipc_proc *p = (ipc_proc *)&o;

	memset(&o, 0, sizeof(o));
	CHECK_ERR(ipc_proc_spawn(NULL, &o), -EINVAL);
	CHECK_ERR(ipc_proc_spawn(&p, NULL), -EINVAL);
	CHECK(p == NULL);
	CHECK_ERR(ipc_proc_spawn(&p, &o), -EINVAL); /* no argv */
	o.argv = noargv;
	CHECK_ERR(ipc_proc_spawn(&p, &o), -EINVAL);
	o.argv = argv;
	o.flags = 0x100;
	CHECK_ERR(ipc_proc_spawn(&p, &o), -EINVAL);
	CHECK(strstr(ipc_detail(), "flags") != NULL);
	o.flags = 0;
	o.nfds = 1;
	CHECK_ERR(ipc_proc_spawn(&p, &o), -EINVAL); /* fds NULL */
	o.fds = fds;
	fds[0].parent_fd = 0;
	fds[0].child_fd = -1;
	CHECK_ERR(ipc_proc_spawn(&p, &o), -EINVAL);
	fds[0].child_fd = 1024;
	CHECK_ERR(ipc_proc_spawn(&p, &o), -EINVAL);
	fds[0].child_fd = 5;
	fds[1] = fds[0];
	o.nfds = 2;
	CHECK_ERR(ipc_proc_spawn(&p, &o), -EINVAL); /* 5 twice */
	CHECK(strstr(ipc_detail(), "twice") != NULL);
	o.nfds = 1;
	fds[0].parent_fd = 999; /* not open */
	CHECK(fd_free(999));
	CHECK_ERR(ipc_proc_spawn(&p, &o), -EBADF);
	fds[0].parent_fd = -7;
	CHECK_ERR(ipc_proc_spawn(&p, &o), -EBADF);
	CHECK(p == NULL);

	/* No room for the temporaries above child 60 under a limit of 64.
	 * (Valgrind keeps RLIMIT_NOFILE to itself.) */
	if (!on_valgrind()) {
		struct rlimit rl = {64, 64};

		CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
		fds[0].parent_fd = 0;
		fds[0].child_fd = 63;
		CHECK_ERR(ipc_proc_spawn(&p, &o), -EMFILE);
		fds[0].child_fd = 60;
		CHECK_OK(ipc_proc_spawn(&p, &o));
		wait_ok(p, &st);
		CHECK_OK(ipc_proc_close(p));
		p = NULL;
	}

	CHECK_ERR(ipc_proc_wait(NULL, &st, IPC_DEADLINE_NOW), -EBADF);
	CHECK_ERR(ipc_proc_kill(NULL, SIGTERM), -EBADF);
	CHECK_ERR(ipc_proc_kill_group(NULL, SIGTERM), -EBADF);
	CHECK_EQ(ipc_proc_pid(NULL), -1);
	CHECK_EQ(ipc_proc_fd(NULL), -1);
	CHECK_OK(ipc_proc_close(NULL));

	o.nfds = 0;
	CHECK_OK(ipc_proc_spawn(&p, &o));
	CHECK_ERR(ipc_proc_kill(p, -1), -EINVAL);
	CHECK_ERR(ipc_proc_kill(p, 1000), -EINVAL);
	wait_ok(p, &st);
	CHECK_EQ(ipc_proc_returncode(&st), 0);
	CHECK_OK(ipc_proc_close(p));
}

/* Many spawns: nothing accumulates (the harness counts descriptors). */
static void test_many_spawns(void)
{
	const char *argv[] = {self_exe, "--child", "exit", "5", NULL};
	struct ipc_proc_status st;
	ipc_proc *p;
	int n = 100 / check_slow() + 5;
	int i;

	for (i = 0; i < n; i++) {
		spawn_ok(&p, argv, paths[i % 2]);
		wait_ok(p, &st);
		CHECK_EQ(ipc_proc_returncode(&st), 5);
		CHECK_OK(ipc_proc_close(p));
	}
}

/* ---- parent death ---------------------------------------------------------
 */

struct pdeath_arg {
	int wfd;
	unsigned int flags;
};

/* The helper spawns a sleeper, reports its pid, and exits. */
static void pdeath_helper(void *arg)
{
	const char *sleeper[] = {"/bin/sleep", "30", NULL};
	struct pdeath_arg *a = arg;
	ipc_proc *p;
	int32_t pid;

	spawn_ok(&p, sleeper, a->flags);
	pid = ipc_proc_pid(p);
	CHECK(write(a->wfd, &pid, sizeof(pid)) == sizeof(pid));
	CHECK_OK(ipc_proc_close(p)); /* not waited for */
}

static void test_pdeathsig(void)
{
	struct pdeath_arg a;
	int32_t pid;
	pid_t helper;
	int pfd[2];
	int ws;
	int k;

	/* Orphans come to us, so that we can reap and inspect them. */
	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
	for (k = 0; k < 2; k++) {
		CHECK(pipe2(pfd, O_CLOEXEC) == 0);
		a.wfd = pfd[1];
		a.flags = k == 0 ? IPC_PROC_PDEATHSIG : 0;
		helper = check_fork(pdeath_helper, &a);
		close(pfd[1]);
		CHECK(read(pfd[0], &pid, sizeof(pid)) == sizeof(pid));
		close(pfd[0]);
		CHECK_CHILD_OK(helper, 10000);
		if (k == 0) {
			/* killed when its parent went */
			CHECK_KILLED_BY(pid, SIGKILL);
		} else {
			/* the control: without the flag it lives on */
			usleep(100000);
			CHECK(waitpid(pid, &ws, WNOHANG) == 0);
			CHECK(kill(pid, SIGTERM) == 0);
			CHECK_KILLED_BY(pid, SIGTERM);
		}
	}
}

/* ---- F12: PID reuse in a PID namespace --------------------------------- */

#define REUSE_EXIT_SKIP 77

static void write_last_pid(pid_t pid)
{
	char buf[32];
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	int len = snprintf(buf, sizeof(buf), "%ld", (long)pid);

	CHECK(fd >= 0);
	CHECK(write(fd, buf, (size_t)len) == len);
	close(fd);
}

/* Runs as pid 1 of the new namespace. */
static void reuse_init(void *arg)
{
	/* not this binary: LeakSanitizer cannot work in a PID namespace */
	const char *ex[] = {"/bin/sh", "-c", "exit 9", NULL};
	struct ipc_proc_status st;
	int rounds = *(int *)arg;
	ipc_proc *p;
	pid_t pid;
	pid_t sleeper;
	int ws;
	int r;

	CHECK_EQ(getpid(), 1);
	for (r = 0; r < rounds; r++) {
		bool behind_back = r % 2 == 1;
		siginfo_t si;

		spawn_ok(&p, ex, r % 4 < 2 ? 0 : IPC_PROC_PDEATHSIG);
		pid = ipc_proc_pid(p);
		/* Without a pidfd a child reaped elsewhere cannot be told
		 * from our sleeper (documented): only the pidfd case. */
		if (behind_back && !have_pidfd(p))
			behind_back = false;
		if (behind_back) {
			CHECK(waitid(P_PID, (id_t)pid, &si, WEXITED) == 0);
		} else {
			wait_ok(p, &st);
			CHECK_EQ(ipc_proc_returncode(&st), 9);
		}
		/* The next pid handed out is the child's old one. */
		write_last_pid(pid - 1);
		sleeper = fork();
		CHECK(sleeper >= 0);
		if (sleeper == 0) {
			for (;;)
				pause();
		}
		CHECK_EQ(sleeper, pid);
		/* Whatever we do through the old handle misses the sleeper. */
		CHECK_ERR(ipc_proc_kill(p, SIGKILL), -ESRCH);
		CHECK_ERR(ipc_proc_kill(p, 0), -ESRCH);
		if (behind_back) {
			CHECK_ERR(ipc_proc_wait(p, &st, IPC_DEADLINE_NOW),
			          -ECHILD);
		} else {
			CHECK_OK(ipc_proc_wait(p, &st, IPC_DEADLINE_NOW));
			CHECK_EQ(ipc_proc_returncode(&st), 9);
		}
		CHECK_OK(ipc_proc_close(p));
		/* The sleeper is unharmed: it dies of our SIGTERM only. */
		CHECK(waitpid(sleeper, &ws, WNOHANG) == 0);
		CHECK(kill(sleeper, SIGTERM) == 0);
		CHECK(waitpid(sleeper, &ws, 0) == sleeper);
		CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGTERM);
	}
	/* Skip exit(): LeakSanitizer cannot stop the world in a PID
	 * namespace whose /proc is the host's. Nothing here allocates. */
	fflush(NULL);
	_exit(0);
}

static void reuse_helper(void *arg)
{
	pid_t init;
	int ws;

	if (unshare(CLONE_NEWPID) < 0) {
		printf("# unshare(CLONE_NEWPID): %s: F12 skipped\n",
		       strerror(errno));
		fflush(stdout);
		_exit(REUSE_EXIT_SKIP);
	}
	init = check_fork(reuse_init, arg);
	ws = check_wait(init, 20000);
	CHECK(check_exited_ok(ws));
	/* No exit(): LeakSanitizer's tracer would be a new process in the
	 * namespace, which is dead now that its init has exited. */
	fflush(NULL);
	_exit(0);
}

static void test_pid_reuse(void)
{
	int rounds = check_slow() > 1 ? 10 : 50;
	pid_t helper = check_fork(reuse_helper, &rounds);
	int ws = check_wait(helper, 25000);

	if (WIFEXITED(ws) && WEXITSTATUS(ws) == REUSE_EXIT_SKIP)
		return;
	CHECK(check_exited_ok(ws));
}

/* ---- a large parent ---------------------------------------------------- */

static double spawn_ms(int n, unsigned int flags)
{
	const char *argv[] = {"/bin/true", NULL};
	struct ipc_proc_status st;
	ipc_deadline t0 = ipc_now();
	ipc_proc *p;
	int i;

	for (i = 0; i < n; i++) {
		spawn_ok(&p, argv, flags);
		wait_ok(p, &st);
		CHECK_EQ(ipc_proc_returncode(&st), 0);
		CHECK_OK(ipc_proc_close(p));
	}
	return (double)(ipc_now() - t0) / 1e6 / n;
}

static double fork_ms(int n)
{
	ipc_deadline t0 = ipc_now();
	pid_t pid;
	int i;

	for (i = 0; i < n; i++) {
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			_exit(0);
		CHECK(waitpid(pid, NULL, 0) == pid);
	}
	return (double)(ipc_now() - t0) / 1e6 / n;
}

/* Spawning from a parent with 1 GiB mapped copies nothing: figures are
 * printed, never asserted (see bench/ for timing). */
static void test_large_parent(void)
{
	size_t size = check_slow() > 1 ? (size_t)128 << 20 : (size_t)1 << 30;
	int n = 20;
	double small_s;
	double small_c;
	double small_f;
	double big_s;
	double big_c;
	double big_f;
	char *m;

	small_s = spawn_ms(n, 0);
	small_c = spawn_ms(n, IPC_PROC_PDEATHSIG);
	small_f = fork_ms(n);
	m = mmap(NULL, size, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED);
	memset(m, 1, size); /* resident, with page tables to copy */
	big_s = spawn_ms(n, 0);
	big_c = spawn_ms(n, IPC_PROC_PDEATHSIG);
	big_f = fork_ms(n);
	CHECK(munmap(m, size) == 0);
	printf("# spawn+wait of /bin/true, mean of %d, parent %zu MiB "
	       "resident vs small:\n"
	       "#   posix_spawn  %.3f ms vs %.3f ms\n"
	       "#   clone path   %.3f ms vs %.3f ms\n"
	       "#   fork (ref.)  %.3f ms vs %.3f ms\n",
	       n, size >> 20, big_s, small_s, big_c, small_c, big_f, small_f);
}

static const struct check_case cases[] = {
        CHECK_CASE(test_exit_codes),
        CHECK_CASE(test_killed_by_signal),
        CHECK_CASE(test_wait_timeout),
        CHECK_CASE(test_wait_eintr),
        CHECK_CASE(test_cached_status_and_kill_after_reap),
        CHECK_CASE(test_pidfd_pollable),
        CHECK_CASE(test_reaped_behind_our_back),
        CHECK_CASE(test_fd_inventory),
        CHECK_CASE(test_fd_swap_and_cycle),
        CHECK_CASE(test_fd_one_to_many),
        CHECK_CASE(test_fd_devnull_and_keep_stdio),
        CHECK_CASE(test_signal_state_reset),
        CHECK_CASE(test_environment),
        CHECK_CASE(test_cwd),
        CHECK_CASE(test_process_group),
        CHECK_CASE(test_search_path),
        CHECK_CASE(test_exec_errors),
        CHECK_CASE(test_misuse),
        CHECK_CASE(test_many_spawns),
        CHECK_CASE(test_pdeathsig),
        CHECK_CASE(test_pid_reuse),
        CHECK_CASE(test_large_parent),
        {NULL, NULL}};

int main(int argc, char **argv)
{
	ssize_t n;

	if (argc > 1 && strcmp(argv[1], "--child") == 0)
		return child_mode(argc, argv);
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0) {
		perror("readlink /proc/self/exe");
		return 2;
	}
	self_exe[n] = '\0';
	return check_main(argc, argv, cases);
}
