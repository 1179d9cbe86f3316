/* SPDX-License-Identifier: MIT */
/* fd.c - descriptor helpers: close, wait with a deadline, SIGPIPE guard. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

ipc_status ipc__close(int fd)
{
	if (fd < 0)
		return 0;
	if (close(fd) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

void ipc__close_quiet(int fd)
{
	int saved = errno;

	(void)ipc__close(fd);
	errno = saved;
}

ipc_status ipc__wait_fd(int fd, short events, ipc_deadline d, short *revents)
{
	struct pollfd pfd;
	int n;

	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, ipc_deadline_remaining_ms(d));
		if (n < 0)
			return errno == EINTR ? -EINTR : -errno;
		if (n > 0) {
			if (pfd.revents & POLLNVAL)
				return -EBADF;
			if (revents != NULL)
				*revents = pfd.revents;
			return 0;
		}
		/* poll() rounds to milliseconds; go round again if it woke a
		 * hair before the deadline. */
		if (ipc_deadline_expired(d))
			return ipc__timeout_status(d);
	}
}

ipc_status ipc__backoff_sleep(struct ipc__backoff *b, ipc_deadline d)
{
	ipc_deadline now = ipc_now();
	ipc_deadline until;
	struct timespec ts;
	int rc;

	if (now >= d)
		return ipc__timeout_status(d);
	until = d - now > b->step_ns ? now + b->step_ns : d;
	b->step_ns = b->step_ns > b->max_ns / 2 ? b->max_ns : b->step_ns * 2;
	ipc__deadline_timespec(until, &ts);
	rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	if (rc != 0)
		return -rc; /* -EINTR */
	return 0;
}

ipc_status ipc__chmod_opath(int path_fd, unsigned int mode)
{
	char proc[32];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", path_fd);
	if (chmod(proc, (mode_t)mode) < 0)
		return -errno;
	return 0;
}

ipc_status ipc__unlink_typed(const char *path, unsigned int type)
{
	struct stat st;

	if (path == NULL || path[0] == '\0')
		return -EINVAL;
	if (lstat(path, &st) < 0)
		return -errno;
	if ((st.st_mode & S_IFMT) != type)
		return -EINVAL;
	if (unlink(path) < 0)
		return -errno;
	return 0;
}

ipc_status ipc__set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	if (on == ((fl & O_NONBLOCK) != 0))
		return 0;
	if (fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

void ipc__sigpipe_block(struct ipc__sigpipe_guard *g)
{
	sigset_t pipe_only;

	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	g->active = false;
	if (pthread_sigmask(SIG_BLOCK, &pipe_only, &g->old) != 0)
		return;
	g->active = !sigismember(&g->old, SIGPIPE);
}

void ipc__sigpipe_unblock(struct ipc__sigpipe_guard *g, bool raised)
{
	static const struct timespec zero = {0, 0};
	sigset_t pipe_only;
	int saved = errno;

	if (!g->active)
		return;
	if (raised) {
		/* The SIGPIPE our write raised is pending on this thread
		 * (blocked signals are queued even when ignored); take it
		 * before unblocking so that it is never delivered. */
		sigemptyset(&pipe_only);
		sigaddset(&pipe_only, SIGPIPE);
		while (sigtimedwait(&pipe_only, NULL, &zero) < 0 &&
		       errno == EINTR)
			;
	}
	(void)pthread_sigmask(SIG_SETMASK, &g->old, NULL);
	errno = saved;
}

ipc_status ipc__reserve(int fd, off_t from, off_t len)
{
	int err;

	/* posix_fallocate(3) returns its error instead of setting errno. */
	do
		err = posix_fallocate(fd, from, len);
	while (err == EINTR);
	return -err;
}
