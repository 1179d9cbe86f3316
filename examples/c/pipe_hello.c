/* SPDX-License-Identifier: MIT */
/*
 * pipe_hello - the classic: a parent writes "Hello Child Process!" to its
 * child through an anonymous pipe, and the child prints what it read.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ipc/ipc.h>

static int child(ipc_pipe *rd)
{
	char buf[128];
	size_t total = 0;
	size_t n;
	ipc_status st;

	/* Read until end of stream: the parent closes its end when done. */
	do {
		st = ipc_pipe_read(rd, buf + total, sizeof(buf) - 1 - total, &n,
		                   ipc_deadline_in_ms(5000));
		if (st) {
			fprintf(stderr, "child: read: %s\n", ipc_strerror(st));
			return 1;
		}
		total += n;
	} while (n > 0 && total < sizeof(buf) - 1);
	buf[total] = '\0';
	printf("child %ld read %zu bytes: %s\n", (long)getpid(), total, buf);
	return 0;
}

int main(void)
{
	static const char msg[] = "Hello Child Process!";
	ipc_pipe *rd;
	ipc_pipe *wr;
	ipc_status st;
	size_t n;
	pid_t pid;
	int ws;

	st = ipc_pipe_open(&rd, &wr, 0);
	if (st) {
		fprintf(stderr, "pipe: %s\n", ipc_strerror(st));
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		ipc_pipe_close(wr); /* or the child would never see EOF */
		st = child(rd);
		ipc_pipe_close(rd);
		exit(st ? 1 : 0);
	}
	ipc_pipe_close(rd);
	st = ipc_pipe_write(wr, msg, sizeof(msg) - 1, &n,
	                    ipc_deadline_in_ms(5000));
	printf("parent %ld wrote %zu bytes to child %ld\n", (long)getpid(), n,
	       (long)pid);
	ipc_pipe_close(wr);
	if (st)
		fprintf(stderr, "parent: write: %s\n", ipc_strerror(st));
	if (waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
		return 1;
	return st ? 1 : 0;
}
