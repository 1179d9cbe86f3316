/* SPDX-License-Identifier: MIT */
/*
 * sigint_signalset - a SIGINT handler replaced by a signal set.
 *
 * The classic program installs a handler for SIGINT and sets a flag in it.
 * Here no handler runs at all: the program opens a set of {INT, TERM},
 * which blocks them and reads them from a signalfd, so that Ctrl+C arrives
 * as data in the main loop, with who sent it. A child sends the SIGINT
 * after a moment; then the program raises SIGTERM at itself. Both would
 * end the process at their default action: surviving them shows that they
 * were received, not delivered.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ipc/ipc.h>

static const char *origin(int32_t code)
{
	switch (code) {
	case IPC_SIG_CODE_USER:
		return "kill";
	case IPC_SIG_CODE_QUEUE:
		return "sigqueue";
	case IPC_SIG_CODE_TKILL:
		return "raise/tgkill";
	default:
		return "the kernel";
	}
}

/* Wait for one signal of @set and print it. */
static int receive(ipc_sigset *set, struct ipc_sig_info *info)
{
	ipc_deadline d = ipc_deadline_in_ms(5000);
	ipc_status st;

	/* The EINTR rule: retry with the same deadline. */
	while ((st = ipc_sigset_wait(set, info, d)) == -EINTR)
		;
	if (st) {
		fprintf(stderr, "wait: %s\n", ipc_strerror(st));
		return 1;
	}
	printf("main loop: got SIG%s from pid %ld (uid %lu) via %s\n",
	       ipc_sig_name(info->signo), (long)info->pid,
	       (unsigned long)info->uid, origin(info->code));
	return 0;
}

int main(void)
{
	static const int signos[] = {SIGINT, SIGTERM};
	struct ipc_sig_info info;
	ipc_sigset *set;
	ipc_status st;
	pid_t pid;
	int rc = 1;
	int ws;

	/* Before any thread or child exists: they inherit the mask. */
	st = ipc_sigset_open(&set, signos, 2, 0);
	if (st) {
		fprintf(stderr, "sigset_open: %s\n", ipc_strerror(st));
		return 1;
	}
	printf("pid %ld: INT and TERM now arrive on descriptor %d\n",
	       (long)getpid(), ipc_sigset_fd(set));
	fflush(stdout);

	pid = fork();
	if (pid < 0) {
		perror("fork");
		goto out;
	}
	if (pid == 0) {
		struct timespec moment = {0, 100 * 1000 * 1000};

		nanosleep(&moment, NULL);
		st = ipc_sig_send(getppid(), SIGINT);
		_exit(st ? 1 : 0);
	}
	if (receive(set, &info))
		goto out_child;
	if (info.signo != SIGINT || info.pid != pid) {
		fprintf(stderr, "expected SIGINT from %ld\n", (long)pid);
		goto out_child;
	}

	if (raise(SIGTERM) != 0 || receive(set, &info))
		goto out_child;
	if (info.signo != SIGTERM || info.pid != getpid())
		goto out_child;
	rc = 0;

out_child:
	if (waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws))
		rc = 1;
out:
	/* Nothing is left pending, so restoring the mask delivers nothing. */
	ipc_sigset_close(set);
	if (rc == 0)
		printf("no handler ran; exiting normally\n");
	return rc;
}
