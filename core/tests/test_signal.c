/* SPDX-License-Identifier: MIT */
/* Signals: kill and sigqueue across processes, signal sets over signalfd
 * (payloads, ordering, coalescing, deadlines, EINTR, the mask on close),
 * dispositions, the child reset before exec, names, limits and misuse. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ipc/signal.h"

static ipc_sigset *open1(int signo)
{
	ipc_sigset *set = NULL;

	CHECK_OK(ipc_sigset_open(&set, &signo, 1, 0));
	CHECK(set != NULL);
	return set;
}

static bool thread_blocks(int signo)
{
	sigset_t cur;

	CHECK_EQ(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
	return sigismember(&cur, signo) == 1;
}

static void (*disposition(int signo))(int)
{
	struct sigaction sa;

	CHECK_EQ(sigaction(signo, NULL, &sa), 0);
	return sa.sa_handler;
}

/* ---- names ---------------------------------------------------------- */

static void test_names_round_trip(void)
{
	char buf[32];
	const char *n;
	int got;
	int s;

	for (s = 1; s < 32; s++) {
		n = ipc_sig_name(s);
		CHECK(n != NULL);
		/* glibc's own abbreviations agree (glibc says "POLL" for
		 * 29, where kill -l and Python say "IO"), and parse. */
		if (s != SIGIO)
			CHECK_STR_EQ(n, sigabbrev_np(s));
		CHECK_OK(ipc_sig_number(sigabbrev_np(s), &got));
		CHECK_EQ(got, s);
		CHECK_OK(ipc_sig_number(n, &got));
		CHECK_EQ(got, s);
		snprintf(buf, sizeof(buf), "SIG%s", n);
		CHECK_OK(ipc_sig_number(buf, &got));
		CHECK_EQ(got, s);
	}
	for (s = SIGRTMIN; s <= SIGRTMAX; s++) {
		n = ipc_sig_name(s);
		CHECK(n != NULL);
		CHECK_OK(ipc_sig_number(n, &got));
		CHECK_EQ(got, s);
		snprintf(buf, sizeof(buf), "SIG%s", n);
		CHECK_OK(ipc_sig_number(buf, &got));
		CHECK_EQ(got, s);
		/* Both spellings of every real-time signal parse. */
		snprintf(buf, sizeof(buf), "RTMIN+%d", s - SIGRTMIN);
		CHECK_OK(ipc_sig_number(buf, &got));
		CHECK_EQ(got, s);
		snprintf(buf, sizeof(buf), "RTMAX-%d", SIGRTMAX - s);
		CHECK_OK(ipc_sig_number(buf, &got));
		CHECK_EQ(got, s);
	}
	CHECK_STR_EQ(ipc_sig_name(SIGUSR1), "USR1");
	CHECK_STR_EQ(ipc_sig_name(SIGRTMIN), "RTMIN");
	CHECK_STR_EQ(ipc_sig_name(SIGRTMIN + 3), "RTMIN+3");
	CHECK_STR_EQ(ipc_sig_name(SIGRTMAX), "RTMAX");
	CHECK_OK(ipc_sig_number("RTMIN+3", &got));
	CHECK_EQ(got, SIGRTMIN + 3);
	CHECK_OK(ipc_sig_number("IOT", &got));
	CHECK_EQ(got, SIGABRT);
	CHECK_OK(ipc_sig_number("SIGCLD", &got));
	CHECK_EQ(got, SIGCHLD);

	CHECK(ipc_sig_name(0) == NULL);
	CHECK(ipc_sig_name(-1) == NULL);
	CHECK(ipc_sig_name(SIGRTMAX + 1) == NULL);
	for (s = 32; s < SIGRTMIN; s++)
		CHECK(ipc_sig_name(s) == NULL);

	static const char *const bad[] = {
	        "",           "SIG",      "usr1",       "Usr1",     "SIGFOO",
	        " USR1",      "USR1 ",    "SIGSIGUSR1", "RTMIN+",   "RTMIN-1",
	        "RTMAX+1",    "RTMIN+99", "RTMAX-99",   "RTMIN+1x", "RTMIN++1",
	        "RTMIN+0001", "10",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		got = 99;
		CHECK_ERR(ipc_sig_number(bad[i], &got), -EINVAL);
		CHECK_EQ(got, 0);
	}
	CHECK_ERR(ipc_sig_number(NULL, &got), -EINVAL);
	CHECK_ERR(ipc_sig_number("USR1", NULL), -EINVAL);
}

/* ---- send and receive across processes ------------------------------ */

static void send_usr1_to_parent(void *arg)
{
	(void)arg;
	CHECK_OK(ipc_sig_send(getppid(), SIGUSR1));
}

static void test_send_wait_across_processes(void)
{
	ipc_sigset *set = open1(SIGUSR1);
	struct ipc_sig_info info;
	pid_t pid;

	pid = check_fork(send_usr1_to_parent, NULL);
	CHECK_OK(ipc_sigset_wait(set, &info, ipc_deadline_in_ms(5000)));
	CHECK_EQ(info.signo, SIGUSR1);
	CHECK_EQ(info.pid, pid);
	CHECK_EQ(info.uid, getuid());
	CHECK_EQ(info.code, IPC_SIG_CODE_USER);
	CHECK_EQ(info.value, 0);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_ERR(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_OK(ipc_sigset_close(set));
}

static void queue_five_to_parent(void *arg)
{
	int signo = *(int *)arg;
	int i;

	for (i = 0; i < 5; i++)
		CHECK_OK(ipc_sig_queue(getppid(), signo, 1000 + i));
}

/* Real-time signals queue, each with its payload, in order. */
static void test_queue_payloads_in_order(void)
{
	int signo = SIGRTMIN;
	ipc_sigset *set = open1(signo);
	struct ipc_sig_info info;
	pid_t pid;
	int i;

	pid = check_fork(queue_five_to_parent, &signo);
	CHECK_CHILD_OK(pid, 5000); /* all five are queued by now */
	for (i = 0; i < 5; i++) {
		CHECK_OK(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW));
		CHECK_EQ(info.signo, SIGRTMIN);
		CHECK_EQ(info.value, 1000 + i);
		CHECK_EQ(info.pid, pid);
		CHECK_EQ(info.uid, getuid());
		CHECK_EQ(info.code, IPC_SIG_CODE_QUEUE);
	}
	CHECK_ERR(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW), -EAGAIN);

	/* Negative and extreme payloads survive; to ourselves too. */
	CHECK_OK(ipc_sig_queue(getpid(), SIGRTMIN, -1));
	CHECK_OK(ipc_sig_queue(getpid(), SIGRTMIN, INT32_MIN));
	CHECK_OK(ipc_sig_queue(getpid(), SIGRTMIN, INT32_MAX));
	CHECK_OK(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW));
	CHECK_EQ(info.value, -1);
	CHECK_EQ(info.pid, getpid());
	CHECK_OK(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW));
	CHECK_EQ(info.value, INT32_MIN);
	CHECK_OK(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW));
	CHECK_EQ(info.value, INT32_MAX);
	CHECK_OK(ipc_sigset_close(set));
}

/* Pending real-time signals come out lowest number first. */
static void test_rt_lowest_number_first(void)
{
	int signos[2] = {SIGRTMIN + 2, SIGRTMIN + 1};
	ipc_sigset *set = NULL;
	struct ipc_sig_info info;

	CHECK_OK(ipc_sigset_open(&set, signos, 2, 0));
	CHECK_OK(ipc_sig_queue(getpid(), SIGRTMIN + 2, 2));
	CHECK_OK(ipc_sig_queue(getpid(), SIGRTMIN + 1, 1));
	CHECK_OK(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW));
	CHECK_EQ(info.signo, SIGRTMIN + 1);
	CHECK_EQ(info.value, 1);
	CHECK_OK(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW));
	CHECK_EQ(info.signo, SIGRTMIN + 2);
	CHECK_EQ(info.value, 2);
	CHECK_OK(ipc_sigset_close(set));
}

/* A standard signal already pending is not queued again: five become one.
 * Deterministic here: all five are sent before the set is read. */
static void test_standard_signal_coalesces(void)
{
	ipc_sigset *set = open1(SIGUSR2);
	struct ipc_sig_info info;
	int i;

	for (i = 0; i < 5; i++)
		CHECK_OK(ipc_sig_queue(getpid(), SIGUSR2, 10 + i));
	CHECK_OK(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW));
	CHECK_EQ(info.signo, SIGUSR2);
	CHECK_EQ(info.value, 10); /* the first one's payload */
	CHECK_ERR(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_OK(ipc_sigset_close(set));
}

/* ---- deadlines, EINTR, poll ---------------------------------------- */

static void test_would_block_and_timeout(void)
{
	ipc_sigset *set = open1(SIGUSR1);
	struct ipc_sig_info info;
	ipc_deadline start;

	info.signo = 99;
	CHECK_ERR(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_EQ(info.signo, 0);
	start = ipc_now();
	CHECK_ERR(ipc_sigset_wait(set, &info, ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	/* A deadline that has passed already: a timeout, not a wait. */
	CHECK_ERR(ipc_sigset_wait(set, &info, ipc_now() - 1000), -ETIMEDOUT);
	/* Still usable after a timeout; a pending signal beats the deadline. */
	CHECK_OK(ipc_sig_send(getpid(), SIGUSR1));
	CHECK_OK(ipc_sigset_wait(set, &info, ipc_now() - 1000));
	CHECK_EQ(info.signo, SIGUSR1);
	CHECK_OK(ipc_sigset_close(set));
}

struct delayed {
	pid_t target;
	int signo;
	int value;
	int delay_ms;
};

static void send_after_delay(void *arg)
{
	struct delayed *d = arg;

	usleep((useconds_t)d->delay_ms * 1000);
	CHECK_OK(ipc_sig_queue(d->target, d->signo, d->value));
}

/* A wait that is already blocked wakes up for a signal from elsewhere. */
static void test_blocked_wait_wakes(void)
{
	ipc_sigset *set = open1(SIGRTMIN + 4);
	struct delayed d = {getpid(), SIGRTMIN + 4, 42, 100};
	struct ipc_sig_info info;
	ipc_deadline start = ipc_now();
	pid_t pid;

	pid = check_fork(send_after_delay, &d);
	CHECK_OK(ipc_sigset_wait(set, &info, IPC_DEADLINE_NEVER));
	CHECK((ipc_now() - start) >= 90 * 1000000LL);
	CHECK_EQ(info.signo, SIGRTMIN + 4);
	CHECK_EQ(info.value, 42);
	CHECK_EQ(info.pid, pid);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_sigset_close(set));
}

static void test_eintr_retry_same_deadline(void)
{
	ipc_sigset *set = open1(SIGUSR2);
	struct ipc_sig_info info;
	ipc_deadline start = ipc_now();
	ipc_deadline d = ipc_deadline_in_ms(400);

	/* USR1 is outside the set and has a handler: it interrupts. */
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_sigset_wait(set, &info, d), -EINTR);
	check_signal_stop();
	CHECK((ipc_now() - start) < 350 * 1000000LL);
	CHECK_ERR(ipc_sigset_wait(set, &info, d), -ETIMEDOUT);
	CHECK_ELAPSED(start, 400);
	/* Without a deadline too. */
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_sigset_wait(set, &info, IPC_DEADLINE_NEVER), -EINTR);
	check_signal_stop();
	CHECK_OK(ipc_sigset_close(set));
}

static void test_fd_is_pollable(void)
{
	ipc_sigset *set = open1(SIGUSR1);
	struct ipc_sig_info info;
	struct pollfd pfd;
	int fd = ipc_sigset_fd(set);

	CHECK(fd >= 0);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	pfd.fd = fd;
	pfd.events = POLLIN;
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	CHECK_OK(ipc_sig_send(getpid(), SIGUSR1));
	CHECK_EQ(poll(&pfd, 1, 1000), 1);
	CHECK(pfd.revents & POLLIN);
	CHECK_OK(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW));
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	CHECK_EQ(ipc_sigset_fd(NULL), -1);
	CHECK_OK(ipc_sigset_close(set));
}

/* ---- the mask: open, close, threads -------------------------------- */

static void test_close_restores_mask(void)
{
	int both[3] = {SIGUSR1, SIGUSR2, SIGUSR1};
	ipc_sigset *a;
	ipc_sigset *b;

	CHECK(!thread_blocks(SIGUSR1));
	CHECK_OK(ipc_sig_block(SIGUSR2)); /* the caller's own */
	CHECK_OK(ipc_sigset_open(&a, both, 3, 0));
	CHECK(thread_blocks(SIGUSR1));
	CHECK(thread_blocks(SIGUSR2));
	CHECK_OK(ipc_sigset_close(a));
	CHECK(!thread_blocks(SIGUSR1));
	CHECK(thread_blocks(SIGUSR2)); /* blocked before: stays blocked */

	/* Overlapping sets closed in reverse order nest. */
	a = open1(SIGUSR1);
	b = open1(SIGUSR1);
	CHECK_OK(ipc_sigset_close(b));
	CHECK(thread_blocks(SIGUSR1));
	CHECK_OK(ipc_sigset_close(a));
	CHECK(!thread_blocks(SIGUSR1));
	CHECK_OK(ipc_sig_unblock(SIGUSR2));
}

static volatile sig_atomic_t handled;

static void on_signal(int signo)
{
	handled = signo;
}

/* A signal left unread in the set is delivered, under its disposition,
 * when close unblocks it. */
static void test_close_delivers_pending(void)
{
	struct sigaction sa;
	ipc_sigset *set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	set = open1(SIGUSR1);
	CHECK_OK(ipc_sig_send(getpid(), SIGUSR1));
	CHECK_EQ(handled, 0);
	CHECK_OK(ipc_sigset_close(set));
	CHECK_EQ(handled, SIGUSR1);
}

static void *thread_sends(void *arg)
{
	bool *blocked = arg;

	*blocked = thread_blocks(SIGUSR1);
	(void)ipc_sig_send(getpid(), SIGUSR1);
	return NULL;
}

/* A thread created after open inherits the mask, so a process-directed
 * signal waits for the set instead of going to that thread's handler. */
static void test_threads_created_after_open_inherit_mask(void)
{
	struct sigaction sa;
	struct ipc_sig_info info;
	ipc_sigset *set;
	pthread_t t;
	bool blocked = false;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	set = open1(SIGUSR1);
	CHECK_EQ(pthread_create(&t, NULL, thread_sends, &blocked), 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK(blocked);
	CHECK_OK(ipc_sigset_wait(set, &info, ipc_deadline_in_ms(5000)));
	CHECK_EQ(info.signo, SIGUSR1);
	CHECK_EQ(handled, 0);
	CHECK_OK(ipc_sigset_close(set));
}

static void test_block_unblock(void)
{
	CHECK(!thread_blocks(SIGUSR1));
	CHECK_OK(ipc_sig_block(SIGUSR1));
	CHECK(thread_blocks(SIGUSR1));
	CHECK_OK(ipc_sig_block(SIGUSR1)); /* idempotent */
	CHECK_OK(ipc_sig_unblock(SIGUSR1));
	CHECK(!thread_blocks(SIGUSR1));
	CHECK_OK(ipc_sig_block(SIGRTMAX));
	CHECK(thread_blocks(SIGRTMAX));
	CHECK_OK(ipc_sig_unblock(SIGRTMAX));
	CHECK_ERR(ipc_sig_block(SIGKILL), -EINVAL);
	CHECK_ERR(ipc_sig_block(SIGSTOP), -EINVAL);
	CHECK_ERR(ipc_sig_unblock(SIGKILL), -EINVAL);
	CHECK_ERR(ipc_sig_block(0), -EINVAL);
	CHECK_ERR(ipc_sig_block(32), -EINVAL);
	CHECK_ERR(ipc_sig_block(SIGRTMAX + 1), -EINVAL);
	CHECK_ERR(ipc_sig_block(-1), -EINVAL);
}

/* ---- dispositions --------------------------------------------------- */

static void test_ignore_and_default(void)
{
	struct ipc_sig_info info;
	ipc_sigset *set;

	CHECK(disposition(SIGUSR1) == SIG_DFL);
	CHECK_OK(ipc_sig_ignore(SIGUSR1));
	CHECK(disposition(SIGUSR1) == SIG_IGN);
	CHECK_OK(ipc_sig_send(getpid(), SIGUSR1)); /* would kill at default */
	CHECK_OK(ipc_sig_default(SIGUSR1));
	CHECK(disposition(SIGUSR1) == SIG_DFL);

	/* Default replaces a handler. */
	CHECK(signal(SIGUSR2, on_signal) != SIG_ERR);
	CHECK_OK(ipc_sig_default(SIGUSR2));
	CHECK(disposition(SIGUSR2) == SIG_DFL);

	/* Ignoring discards what is pending, even in an open set. */
	set = open1(SIGUSR1);
	CHECK_OK(ipc_sig_send(getpid(), SIGUSR1));
	CHECK_OK(ipc_sig_ignore(SIGUSR1));
	CHECK_ERR(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW), -EAGAIN);
	/* While blocked, an ignored signal still reaches the set. */
	CHECK_OK(ipc_sig_send(getpid(), SIGUSR1));
	CHECK_OK(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW));
	CHECK_EQ(info.signo, SIGUSR1);
	CHECK_OK(ipc_sigset_close(set));
	CHECK_OK(ipc_sig_default(SIGUSR1));

	CHECK_ERR(ipc_sig_ignore(SIGKILL), -EINVAL);
	CHECK_ERR(ipc_sig_ignore(SIGSTOP), -EINVAL);
	CHECK_ERR(ipc_sig_default(SIGKILL), -EINVAL);
	CHECK_ERR(ipc_sig_ignore(0), -EINVAL);
	CHECK_ERR(ipc_sig_ignore(33), -EINVAL);
	CHECK_ERR(ipc_sig_default(65), -EINVAL);
}

/* ---- the child before exec ----------------------------------------- */

static void reset_in_child(void *arg)
{
	sigset_t cur;
	int s;

	(void)arg;
	/* Inherited from the case: blocked USR1 and TERM, ignored HUP, a
	 * handler on USR2. */
	CHECK(thread_blocks(SIGUSR1));
	CHECK_OK(ipc_sig_reset_child());
	CHECK_EQ(sigprocmask(SIG_BLOCK, NULL, &cur), 0);
	for (s = 1; s < NSIG; s++)
		CHECK(sigismember(&cur, s) != 1);
	CHECK(disposition(SIGHUP) == SIG_DFL);
	CHECK(disposition(SIGUSR2) == SIG_DFL);
	CHECK(disposition(SIGRTMIN) == SIG_DFL);
}

/* Run /bin/grep on its own /proc status after @reset (or not); return
 * the SigBlk and SigIgn masks it saw. */
static void exec_grep_status(bool reset, unsigned long long *blk,
                             unsigned long long *ign)
{
	char out[512];
	size_t len = 0;
	ssize_t n;
	char *p;
	int fds[2];
	pid_t pid;
	int ws;

	CHECK_EQ(pipe2(fds, O_CLOEXEC), 0);
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (reset && ipc_sig_reset_child() != 0)
			_exit(126);
		if (dup2(fds[1], 1) < 0)
			_exit(126);
		execl("/bin/grep", "grep", "-E",
		      "^Sig(Blk|Ign):", "/proc/self/status", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	close(fds[0]);
	out[len] = '\0';
	CHECK_EQ(waitpid(pid, &ws, 0), pid);
	CHECK(check_exited_ok(ws));
	p = strstr(out, "SigBlk:");
	CHECK(p != NULL);
	*blk = strtoull(p + 7, NULL, 16);
	p = strstr(out, "SigIgn:");
	CHECK(p != NULL);
	*ign = strtoull(p + 7, NULL, 16);
}

static void test_reset_child_before_exec(void)
{
	int signos[2] = {SIGUSR1, SIGTERM};
	unsigned long long blk;
	unsigned long long ign;
	ipc_sigset *set = NULL;
	pid_t pid;

	CHECK_OK(ipc_sigset_open(&set, signos, 2, 0));
	CHECK_OK(ipc_sig_ignore(SIGHUP));
	CHECK_OK(ipc_sig_ignore(SIGRTMIN + 5));
	CHECK(signal(SIGUSR2, on_signal) != SIG_ERR);

	pid = check_fork(reset_in_child, NULL);
	CHECK_CHILD_OK(pid, 5000);

	/* Without the reset, exec keeps the mask and the ignored signals. */
	exec_grep_status(false, &blk, &ign);
	CHECK(blk & (1ull << (SIGUSR1 - 1)));
	CHECK(blk & (1ull << (SIGTERM - 1)));
	CHECK(ign & (1ull << (SIGHUP - 1)));
	CHECK(ign & (1ull << (SIGRTMIN + 5 - 1)));
	/* With it, the new program starts clean. */
	exec_grep_status(true, &blk, &ign);
	CHECK_EQ(blk, 0);
	CHECK_EQ(ign, 0);

	CHECK_OK(ipc_sigset_close(set));
}

/* ---- errors and limits --------------------------------------------- */

static void exit_at_once(void *arg)
{
	(void)arg;
}

static void test_dead_pid_esrch(void)
{
	pid_t pid = check_fork(exit_at_once, NULL);

	CHECK_OK(ipc_sig_send(getpid(), 0)); /* alive: 0 just checks */
	CHECK_CHILD_OK(pid, 5000);           /* reaped: the pid is free */
	CHECK_ERR(ipc_sig_queue(pid, SIGUSR1, 1), -ESRCH);
	CHECK_ERR(ipc_sig_send(pid, SIGUSR1), -ESRCH);
	CHECK_ERR(ipc_sig_send(pid, 0), -ESRCH);
	CHECK_ERR(ipc_sig_queue(pid, 0, 0), -ESRCH);
}

static void unprivileged_sender(void *arg)
{
	pid_t parent = *(pid_t *)arg;

	CHECK_EQ(setresgid(65534, 65534, 65534), 0);
	CHECK_EQ(setresuid(65534, 65534, 65534), 0);
	CHECK_ERR(ipc_sig_send(parent, SIGUSR1), -EPERM);
	CHECK_ERR(ipc_sig_send(parent, 0), -EPERM);
	CHECK_ERR(ipc_sig_queue(parent, SIGUSR1, 1), -EPERM);
}

static void test_eperm_from_another_user(void)
{
	pid_t self = getpid();
	pid_t pid;

	if (geteuid() != 0) {
		printf("# skipped: needs root to switch users\n");
		return;
	}
	pid = check_fork(unprivileged_sender, &self);
	CHECK_CHILD_OK(pid, 5000);
}

/* RLIMIT_SIGPENDING: a real-time sigqueue beyond it fails with -EAGAIN;
 * a standard one still arrives, but stripped of sender and payload. The
 * limit is compared with the count of the whole user, so 0 makes the
 * test independent of other processes. */
static void test_sigpending_limit(void)
{
	int signos[2] = {SIGRTMIN, SIGUSR1};
	struct rlimit rl = {0, 0};
	struct ipc_sig_info info;
	ipc_sigset *set = NULL;

	CHECK_OK(ipc_sigset_open(&set, signos, 2, 0));
	CHECK_EQ(setrlimit(RLIMIT_SIGPENDING, &rl), 0);
	CHECK_ERR(ipc_sig_queue(getpid(), SIGRTMIN, 7), -EAGAIN);
	CHECK_ERR(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW), -EAGAIN);

	CHECK_OK(ipc_sig_queue(getpid(), SIGUSR1, 7));
	CHECK_OK(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW));
	CHECK_EQ(info.signo, SIGUSR1);
	CHECK_EQ(info.pid, 0);
	CHECK_EQ(info.value, 0);

	/* kill(2) of a standard signal is exempt from the limit. */
	CHECK_OK(ipc_sig_send(getpid(), SIGUSR1));
	CHECK_OK(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW));
	CHECK_EQ(info.pid, getpid());
	CHECK_OK(ipc_sigset_close(set));
}

static void test_misuse(void)
{
	int kill_set[2] = {SIGUSR1, SIGKILL};
	int usr1 = SIGUSR1;
	int bad[] = {0, -1, 32, 33, SIGSTOP, SIGKILL, SIGRTMAX + 1};
	int bad_send[] = {-1, 32, 33, SIGRTMAX + 1, 1000};
	struct ipc_sig_info info;
	ipc_sigset *set = (ipc_sigset *)&info;
	size_t i;

	CHECK_ERR(ipc_sigset_open(NULL, &usr1, 1, 0), -EINVAL);
	CHECK_ERR(ipc_sigset_open(&set, NULL, 1, 0), -EINVAL);
	CHECK(set == NULL);
	CHECK_ERR(ipc_sigset_open(&set, &usr1, 0, 0), -EINVAL);
	CHECK_ERR(ipc_sigset_open(&set, &usr1, 1, 1), -EINVAL);
	CHECK_ERR(ipc_sigset_open(&set, &usr1, 1, 0x10), -EINVAL);
	/* A refused set leaves the mask alone. */
	CHECK_ERR(ipc_sigset_open(&set, kill_set, 2, 0), -EINVAL);
	CHECK(set == NULL);
	CHECK(!thread_blocks(SIGUSR1));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_ERR(ipc_sigset_open(&set, &bad[i], 1, 0), -EINVAL);
	for (i = 0; i < sizeof(bad_send) / sizeof(bad_send[0]); i++) {
		CHECK_ERR(ipc_sig_send(getpid(), bad_send[i]), -EINVAL);
		CHECK_ERR(ipc_sig_queue(getpid(), bad_send[i], 0), -EINVAL);
	}

	CHECK_ERR(ipc_sigset_wait(NULL, &info, IPC_DEADLINE_NOW), -EBADF);
	set = open1(SIGUSR1);
	CHECK_ERR(ipc_sigset_wait(set, NULL, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_OK(ipc_sigset_close(set));
	CHECK_OK(ipc_sigset_close(NULL));
	CHECK_EQ(ipc_sigset_fd(NULL), -1);

	/* Process groups and "everyone" are refused. */
	CHECK_ERR(ipc_sig_send(0, SIGUSR1), -EINVAL);
	CHECK_ERR(ipc_sig_send(-1, SIGUSR1), -EINVAL);
	CHECK_ERR(ipc_sig_send(-getpid(), SIGUSR1), -EINVAL);
	CHECK_ERR(ipc_sig_queue(0, SIGUSR1, 0), -EINVAL);
	CHECK_ERR(ipc_sig_queue(-1, SIGUSR1, 0), -EINVAL);
}

/* ---- interop with plain C ------------------------------------------ */

static void raw_sender(void *arg)
{
	union sigval sv;

	(void)arg;
	sv.sival_int = 4242;
	CHECK_EQ(sigqueue(getppid(), SIGRTMIN + 1, sv), 0);
	CHECK_EQ(kill(getppid(), SIGTERM), 0);
}

static void test_interop_raw_sender(void)
{
	int signos[2] = {SIGRTMIN + 1, SIGTERM};
	struct ipc_sig_info info;
	ipc_sigset *set = NULL;
	pid_t pid;
	int got = 0;
	int i;

	CHECK_OK(ipc_sigset_open(&set, signos, 2, 0));
	pid = check_fork(raw_sender, NULL);
	for (i = 0; i < 2; i++) {
		CHECK_OK(ipc_sigset_wait(set, &info, ipc_deadline_in_ms(5000)));
		CHECK_EQ(info.pid, pid);
		CHECK_EQ(info.uid, getuid());
		if (info.signo == SIGTERM) {
			CHECK_EQ(info.code, SI_USER);
			got |= 1;
		} else {
			CHECK_EQ(info.signo, SIGRTMIN + 1);
			CHECK_EQ(info.code, SI_QUEUE);
			CHECK_EQ(info.value, 4242);
			got |= 2;
		}
	}
	CHECK_EQ(got, 3);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_sigset_close(set));
}

struct raw_report {
	int signo;
	int pid;
	int value;
	int code;
};

struct raw_pipes {
	int ready[2];  /* child -> parent: "blocked, go" */
	int report[2]; /* child -> parent: two raw_report */
};

/* A plain-C receiver: sigwaitinfo for one signal, its own signalfd for
 * another. */
static void raw_receiver(void *arg)
{
	struct raw_pipes *p = arg;
	struct signalfd_siginfo ssi;
	struct raw_report r[2];
	siginfo_t si;
	sigset_t rt;
	sigset_t usr1;
	int sfd;

	close(p->ready[0]);
	close(p->report[0]);
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN + 2);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	CHECK_EQ(sigprocmask(SIG_BLOCK, &rt, NULL), 0);
	CHECK_EQ(sigprocmask(SIG_BLOCK, &usr1, NULL), 0);
	sfd = signalfd(-1, &usr1, SFD_CLOEXEC);
	CHECK(sfd >= 0);
	CHECK_EQ(write(p->ready[1], "R", 1), 1);

	CHECK_EQ(sigwaitinfo(&rt, &si), SIGRTMIN + 2);
	r[0].signo = si.si_signo;
	r[0].pid = si.si_pid;
	r[0].value = si.si_value.sival_int;
	r[0].code = si.si_code;
	CHECK_EQ(read(sfd, &ssi, sizeof(ssi)), (ssize_t)sizeof(ssi));
	r[1].signo = (int)ssi.ssi_signo;
	r[1].pid = (int)ssi.ssi_pid;
	r[1].value = ssi.ssi_int;
	r[1].code = ssi.ssi_code;
	CHECK_EQ(write(p->report[1], r, sizeof(r)), (ssize_t)sizeof(r));
	close(sfd);
	close(p->ready[1]);
	close(p->report[1]);
}

static void test_interop_raw_receiver(void)
{
	struct raw_pipes p;
	struct raw_report r[2];
	char c;
	pid_t pid;

	CHECK_EQ(pipe2(p.ready, O_CLOEXEC), 0);
	CHECK_EQ(pipe2(p.report, O_CLOEXEC), 0);
	pid = check_fork(raw_receiver, &p);
	close(p.ready[1]);
	close(p.report[1]);
	CHECK_EQ(read(p.ready[0], &c, 1), 1);
	CHECK_OK(ipc_sig_queue(pid, SIGRTMIN + 2, -77));
	CHECK_OK(ipc_sig_send(pid, SIGUSR1));
	CHECK_EQ(read(p.report[0], r, sizeof(r)), (ssize_t)sizeof(r));
	CHECK_CHILD_OK(pid, 5000);
	close(p.ready[0]);
	close(p.report[0]);
	CHECK_EQ(r[0].signo, SIGRTMIN + 2);
	CHECK_EQ(r[0].pid, getpid());
	CHECK_EQ(r[0].value, -77);
	CHECK_EQ(r[0].code, SI_QUEUE);
	CHECK_EQ(r[1].signo, SIGUSR1);
	CHECK_EQ(r[1].pid, getpid());
	CHECK_EQ(r[1].code, SI_USER);
}

static const struct check_case cases[] = {
        CHECK_CASE(test_names_round_trip),
        CHECK_CASE(test_send_wait_across_processes),
        CHECK_CASE(test_queue_payloads_in_order),
        CHECK_CASE(test_rt_lowest_number_first),
        CHECK_CASE(test_standard_signal_coalesces),
        CHECK_CASE(test_would_block_and_timeout),
        CHECK_CASE(test_blocked_wait_wakes),
        CHECK_CASE(test_eintr_retry_same_deadline),
        CHECK_CASE(test_fd_is_pollable),
        CHECK_CASE(test_close_restores_mask),
        CHECK_CASE(test_close_delivers_pending),
        CHECK_CASE(test_threads_created_after_open_inherit_mask),
        CHECK_CASE(test_block_unblock),
        CHECK_CASE(test_ignore_and_default),
        CHECK_CASE(test_reset_child_before_exec),
        CHECK_CASE(test_dead_pid_esrch),
        CHECK_CASE(test_eperm_from_another_user),
        CHECK_CASE(test_sigpending_limit),
        CHECK_CASE(test_misuse),
        CHECK_CASE(test_interop_raw_sender),
        CHECK_CASE(test_interop_raw_receiver),
        {NULL, NULL}};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
