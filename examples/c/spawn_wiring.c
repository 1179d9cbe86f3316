/* SPDX-License-Identifier: MIT */
/*
 * spawn_wiring - run sort(1) with its stdin and stdout wired to pipes:
 * feed it three lines, read back the sorted result, wait for it and print
 * its return code. What Python's subprocess.run(["sort"], input=...,
 * stdout=PIPE) does, with ipc_proc_spawn() and two ipc pipes.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include <ipc/pipe.h>
#include <ipc/proc.h>

int main(void)
{
	static const char input[] = "pear\napple\nfig\n";
	static const char want[] = "apple\nfig\npear\n";
	const char *argv[] = {"sort", NULL};
	ipc_pipe *in_rd = NULL, *in_wr = NULL;   /* our stdin for sort */
	ipc_pipe *out_rd = NULL, *out_wr = NULL; /* sort's stdout for us */
	struct ipc_proc_status status;
	struct ipc_proc_fd fds[2];
	struct ipc_proc_opts opts;
	ipc_proc *p = NULL;
	char buf[256];
	size_t total = 0;
	size_t n;
	ipc_status st;
	int rc = 1;

	/* Both pipes are close-on-exec: only what we wire reaches sort. */
	st = ipc_pipe_open(&in_rd, &in_wr, 0);
	if (!st)
		st = ipc_pipe_open(&out_rd, &out_wr, 0);
	if (st) {
		fprintf(stderr, "pipe: %s\n", ipc_strerror(st));
		goto out;
	}

	memset(&opts, 0, sizeof(opts));
	fds[0].child_fd = 0;
	fds[0].parent_fd = ipc_pipe_fd(in_rd);
	fds[1].child_fd = 1;
	fds[1].parent_fd = ipc_pipe_fd(out_wr);
	opts.argv = argv;
	opts.fds = fds;
	opts.nfds = 2;
	/* look "sort" up in PATH; stderr stays ours */
	opts.flags = IPC_PROC_SEARCH_PATH | IPC_PROC_KEEP_STDIO;
	st = ipc_proc_spawn(&p, &opts);
	if (st) {
		fprintf(stderr, "spawn: %s (%s)\n", ipc_strerror(st),
		        ipc_detail());
		goto out;
	}
	printf("spawned sort, pid %d\n", (int)ipc_proc_pid(p));

	/* The child's ends are the child's now: close ours, or sort would
	 * never see end of input and we would never see end of output. */
	ipc_pipe_close(in_rd);
	ipc_pipe_close(out_wr);
	in_rd = out_wr = NULL;

	st = ipc_pipe_write(in_wr, input, strlen(input), &n,
	                    ipc_deadline_in_ms(5000));
	if (st) {
		fprintf(stderr, "write: %s\n", ipc_strerror(st));
		goto out;
	}
	ipc_pipe_close(in_wr); /* end of input: sort starts sorting */
	in_wr = NULL;

	do {
		st = ipc_pipe_read(out_rd, buf + total, sizeof(buf) - 1 - total,
		                   &n, ipc_deadline_in_ms(5000));
		if (st) {
			fprintf(stderr, "read: %s\n", ipc_strerror(st));
			goto out;
		}
		total += n;
	} while (n > 0 && total < sizeof(buf) - 1);
	buf[total] = '\0';
	printf("sort wrote %zu bytes:\n%s", total, buf);

	st = ipc_proc_wait(p, &status, ipc_deadline_in_ms(5000));
	if (st) {
		fprintf(stderr, "wait: %s\n", ipc_strerror(st));
		goto out;
	}
	printf("sort returned %d\n", ipc_proc_returncode(&status));
	if (ipc_proc_returncode(&status) == 0 && strcmp(buf, want) == 0)
		rc = 0;
	else
		fprintf(stderr, "unexpected result\n");
out:
	if (p != NULL && rc != 0) {
		/* do not leave it running */
		(void)ipc_proc_kill(p, 9 /* SIGKILL */);
		(void)ipc_proc_wait(p, NULL, ipc_deadline_in_ms(5000));
	}
	ipc_proc_close(p);
	ipc_pipe_close(in_rd);
	ipc_pipe_close(in_wr);
	ipc_pipe_close(out_rd);
	ipc_pipe_close(out_wr);
	return rc;
}
