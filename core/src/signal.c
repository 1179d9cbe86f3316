/* SPDX-License-Identifier: MIT */
/*
 * signal.c - kill, sigqueue, dispositions, masks, and signal sets read
 * through signalfd(2).
 *
 * Global state: none. STYLE.md allows process-wide state here, behind one
 * lock, for signal dispositions; we need none: every disposition change is
 * a single sigaction(2), which the kernel already serialises, and the
 * library records nothing about dispositions, installs no handler and runs
 * no code inside one. With no state there is nothing to re-initialise
 * after fork (no ipc_signal_atfork_child()), and ipc_sig_reset_child() can
 * run between fork and exec without a lock another thread might have held
 * at the fork.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "internal.h"
#include "ipc/signal.h"

_Static_assert(IPC_SIG_CODE_USER == SI_USER, "SI_USER");
_Static_assert(IPC_SIG_CODE_QUEUE == SI_QUEUE, "SI_QUEUE");
_Static_assert(IPC_SIG_CODE_TKILL == SI_TKILL, "SI_TKILL");

struct ipc_sigset {
	int fd;
	sigset_t mask;    /* the signals of the set */
	sigset_t unblock; /* those that open blocked and close unblocks */
};

/* Signals 1-31, by number; NULL for the numbers glibc leaves unnamed. */
static const char *const std_names[32] = {
        [SIGHUP] = "HUP",       [SIGINT] = "INT",       [SIGQUIT] = "QUIT",
        [SIGILL] = "ILL",       [SIGTRAP] = "TRAP",     [SIGABRT] = "ABRT",
        [SIGBUS] = "BUS",       [SIGFPE] = "FPE",       [SIGKILL] = "KILL",
        [SIGUSR1] = "USR1",     [SIGSEGV] = "SEGV",     [SIGUSR2] = "USR2",
        [SIGPIPE] = "PIPE",     [SIGALRM] = "ALRM",     [SIGTERM] = "TERM",
        [SIGSTKFLT] = "STKFLT", [SIGCHLD] = "CHLD",     [SIGCONT] = "CONT",
        [SIGSTOP] = "STOP",     [SIGTSTP] = "TSTP",     [SIGTTIN] = "TTIN",
        [SIGTTOU] = "TTOU",     [SIGURG] = "URG",       [SIGXCPU] = "XCPU",
        [SIGXFSZ] = "XFSZ",     [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF",
        [SIGWINCH] = "WINCH",   [SIGIO] = "IO",         [SIGPWR] = "PWR",
        [SIGSYS] = "SYS",
};

static const struct {
	const char *name;
	int signo;
} aliases[] = {
        {"IOT", SIGABRT},
        {"CLD", SIGCHLD},
        {"POLL", SIGIO},
};

/* Real-time names; kill -l names the lower half RTMIN+n, the upper half
 * RTMAX-n. 32 entries cover glibc's 31 real-time signals with room. */
static const char *const rtmin_names[] = {
        "RTMIN",    "RTMIN+1",  "RTMIN+2",  "RTMIN+3",  "RTMIN+4",  "RTMIN+5",
        "RTMIN+6",  "RTMIN+7",  "RTMIN+8",  "RTMIN+9",  "RTMIN+10", "RTMIN+11",
        "RTMIN+12", "RTMIN+13", "RTMIN+14", "RTMIN+15", "RTMIN+16", "RTMIN+17",
        "RTMIN+18", "RTMIN+19", "RTMIN+20", "RTMIN+21", "RTMIN+22", "RTMIN+23",
        "RTMIN+24", "RTMIN+25", "RTMIN+26", "RTMIN+27", "RTMIN+28", "RTMIN+29",
        "RTMIN+30", "RTMIN+31",
};

static const char *const rtmax_names[] = {
        "RTMAX",    "RTMAX-1",  "RTMAX-2",  "RTMAX-3",  "RTMAX-4",  "RTMAX-5",
        "RTMAX-6",  "RTMAX-7",  "RTMAX-8",  "RTMAX-9",  "RTMAX-10", "RTMAX-11",
        "RTMAX-12", "RTMAX-13", "RTMAX-14", "RTMAX-15", "RTMAX-16", "RTMAX-17",
        "RTMAX-18", "RTMAX-19", "RTMAX-20", "RTMAX-21", "RTMAX-22", "RTMAX-23",
        "RTMAX-24", "RTMAX-25", "RTMAX-26", "RTMAX-27", "RTMAX-28", "RTMAX-29",
        "RTMAX-30", "RTMAX-31",
};

/* 1-31 or SIGRTMIN..SIGRTMAX; not glibc's reserved 32 and 33. */
static bool sig_valid(int signo)
{
	return (signo >= 1 && signo < 32) ||
	       (signo >= SIGRTMIN && signo <= SIGRTMAX);
}

/* A signal whose disposition and mask can be changed. */
static bool sig_catchable(int signo)
{
	return sig_valid(signo) && signo != SIGKILL && signo != SIGSTOP;
}

/* Parse "+n" / "-n" after RTMIN / RTMAX: 0 to 99, digits only. */
static bool parse_offset(const char *s, char sign, int *off)
{
	int v = 0;
	int digits = 0;

	*off = 0;
	if (*s == '\0')
		return true;
	if (*s++ != sign)
		return false;
	while (*s >= '0' && *s <= '9' && digits < 3) {
		v = v * 10 + (*s++ - '0');
		digits++;
	}
	if (digits == 0 || *s != '\0')
		return false;
	*off = v;
	return true;
}

ipc_status ipc_sig_number(const char *name, int *signo)
{
	int off;
	int s;
	size_t i;

	if (signo != NULL)
		*signo = 0;
	if (name == NULL || signo == NULL)
		return -EINVAL;
	if (strncmp(name, "SIG", 3) == 0)
		name += 3;
	if (strncmp(name, "RTMIN", 5) == 0) {
		if (!parse_offset(name + 5, '+', &off))
			return -EINVAL;
		s = SIGRTMIN + off;
		if (s > SIGRTMAX)
			return -EINVAL;
		*signo = s;
		return 0;
	}
	if (strncmp(name, "RTMAX", 5) == 0) {
		if (!parse_offset(name + 5, '-', &off))
			return -EINVAL;
		s = SIGRTMAX - off;
		if (s < SIGRTMIN)
			return -EINVAL;
		*signo = s;
		return 0;
	}
	for (s = 1; s < 32; s++) {
		if (std_names[s] != NULL && strcmp(name, std_names[s]) == 0) {
			*signo = s;
			return 0;
		}
	}
	for (i = 0; i < IPC__ARRAY_SIZE(aliases); i++) {
		if (strcmp(name, aliases[i].name) == 0) {
			*signo = aliases[i].signo;
			return 0;
		}
	}
	return -EINVAL;
}

const char *ipc_sig_name(int signo)
{
	int span;
	int off;

	if (signo >= 1 && signo < 32)
		return std_names[signo];
	if (!sig_valid(signo))
		return NULL;
	span = SIGRTMAX - SIGRTMIN;
	off = signo - SIGRTMIN;
	if (off <= span / 2) {
		if ((size_t)off >= IPC__ARRAY_SIZE(rtmin_names))
			return NULL;
		return rtmin_names[off];
	}
	if ((size_t)(SIGRTMAX - signo) >= IPC__ARRAY_SIZE(rtmax_names))
		return NULL;
	return rtmax_names[SIGRTMAX - signo];
}

ipc_status ipc_sig_send(int32_t pid, int signo)
{
	if (pid <= 0 || (signo != 0 && !sig_valid(signo)))
		return -EINVAL;
	if (kill((pid_t)pid, signo) < 0)
		return -errno;
	return 0;
}

ipc_status ipc_sig_queue(int32_t pid, int signo, int value)
{
	union sigval sv;

	if (pid <= 0 || (signo != 0 && !sig_valid(signo)))
		return -EINVAL;
	memset(&sv, 0, sizeof(sv));
	sv.sival_int = value;
	if (sigqueue((pid_t)pid, signo, sv) < 0)
		return -errno;
	return 0;
}

static ipc_status set_disposition(int signo, void (*handler)(int))
{
	struct sigaction sa;

	if (!sig_catchable(signo))
		return -EINVAL;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(signo, &sa, NULL) < 0)
		return -errno;
	return 0;
}

ipc_status ipc_sig_ignore(int signo)
{
	return set_disposition(signo, SIG_IGN);
}

ipc_status ipc_sig_default(int signo)
{
	return set_disposition(signo, SIG_DFL);
}

static ipc_status change_mask(int how, int signo)
{
	sigset_t one;
	int err;

	if (!sig_catchable(signo))
		return -EINVAL;
	sigemptyset(&one);
	sigaddset(&one, signo);
	err = pthread_sigmask(how, &one, NULL);
	return -err;
}

ipc_status ipc_sig_block(int signo)
{
	return change_mask(SIG_BLOCK, signo);
}

ipc_status ipc_sig_unblock(int signo)
{
	return change_mask(SIG_UNBLOCK, signo);
}

/*
 * Between fork and exec: async-signal-safe calls only (signal-safety(7)).
 * Dispositions first, so that a signal unblocked by the last step meets
 * its default action, never a handler of the parent's.
 */
ipc_status ipc_sig_reset_child(void)
{
	struct sigaction sa;
	sigset_t none;
	int s;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (s = 1; s < 32; s++) {
		if (s != SIGKILL && s != SIGSTOP)
			(void)sigaction(s, &sa, NULL);
	}
	for (s = SIGRTMIN; s <= SIGRTMAX; s++)
		(void)sigaction(s, &sa, NULL);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		return -errno;
	return 0;
}

ipc_status ipc_sigset_open(ipc_sigset **out, const int *signos, size_t n,
                           unsigned int flags)
{
	ipc_sigset *set;
	sigset_t old;
	ipc_status st;
	size_t i;
	int err;
	int s;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (signos == NULL || n == 0 || flags != 0)
		return -EINVAL;
	set = calloc(1, sizeof(*set));
	if (set == NULL)
		return -ENOMEM;
	set->fd = -1;
	sigemptyset(&set->mask);
	for (i = 0; i < n; i++) {
		if (!sig_catchable(signos[i])) {
			st = -EINVAL;
			goto err_free;
		}
		sigaddset(&set->mask, signos[i]);
	}

	/* Block first: a signal arriving between the two steps then waits
	 * in the queue for the descriptor instead of being delivered. */
	err = pthread_sigmask(SIG_BLOCK, &set->mask, &old);
	if (err) {
		st = -err;
		goto err_free;
	}
	sigemptyset(&set->unblock);
	for (s = 1; s < NSIG; s++) {
		if (sigismember(&set->mask, s) == 1 &&
		    sigismember(&old, s) == 0)
			sigaddset(&set->unblock, s);
	}
	set->fd = signalfd(-1, &set->mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (set->fd < 0) {
		st = -errno;
		goto err_restore;
	}
	*out = set;
	return 0;

err_restore:
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
err_free:
	free(set);
	return st;
}

ipc_status ipc_sigset_wait(ipc_sigset *set, struct ipc_sig_info *info,
                           ipc_deadline d)
{
	struct signalfd_siginfo ssi;
	ipc_status st;
	ssize_t n;

	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (set == NULL)
		return -EBADF;
	if (info == NULL)
		return -EINVAL;
	for (;;) {
		n = read(set->fd, &ssi, sizeof(ssi));
		if (n == (ssize_t)sizeof(ssi))
			break;
		if (n >= 0)
			return -EIO; /* the kernel never returns part of one */
		if (errno == EINTR)
			continue; /* a non-blocking step */
		if (errno != EAGAIN)
			return -errno;
		/* Nothing pending (or another reader took it first). */
		if (ipc_deadline_expired(d))
			return ipc__timeout_status(d);
		st = ipc__wait_fd(set->fd, POLLIN, d, NULL);
		if (st)
			return st;
	}
	info->signo = (int32_t)ssi.ssi_signo;
	info->pid = (int32_t)ssi.ssi_pid;
	info->uid = ssi.ssi_uid;
	info->value = ssi.ssi_int;
	info->code = ssi.ssi_code;
	return 0;
}

int ipc_sigset_fd(const ipc_sigset *set)
{
	return set != NULL ? set->fd : -1;
}

ipc_status ipc_sigset_close(ipc_sigset *set)
{
	ipc_status st;

	if (set == NULL)
		return 0;
	/* The descriptor goes first, so that nothing can be read from it
	 * once the signals are no longer blocked. */
	st = ipc__close(set->fd);
	(void)pthread_sigmask(SIG_UNBLOCK, &set->unblock, NULL);
	free(set);
	return st;
}
