/* SPDX-License-Identifier: MIT */
/*
 * fifo_talk - two unrelated processes talking through a FIFO.
 *
 *   fifo_talk listen PATH        create the FIFO if needed, print lines
 *   fifo_talk say PATH TEXT...   send each TEXT as a line
 *   fifo_talk                    demo: make a FIFO in a private directory,
 *                                run "listen" and "say" as two separate
 *                                programs, remove the FIFO
 *
 * The two sides share nothing but the FIFO's name.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ipc/ipc.h>

extern char **environ;

static int listen_fifo(const char *path)
{
	ipc_fifo *f;
	ipc_status st;
	char buf[4096];
	size_t n;

	st = ipc_fifo_open(&f, path, IPC_O_READ | IPC_O_CREATE, 0600,
	                   IPC_DEADLINE_NEVER);
	if (st) {
		fprintf(stderr, "listen: open %s: %s\n", path,
		        ipc_strerror(st));
		return 1;
	}
	printf("listener %ld: waiting on %s\n", (long)getpid(), path);
	fflush(stdout);
	for (;;) {
		/* The first read waits for a writer; 0 bytes means every
		 * writer has been and gone. */
		st = ipc_fifo_read(f, buf, sizeof(buf), &n,
		                   ipc_deadline_in_ms(10000));
		if (st || n == 0)
			break;
		printf("listener %ld heard: %.*s", (long)getpid(), (int)n, buf);
	}
	ipc_fifo_close(f);
	if (st) {
		fprintf(stderr, "listen: read: %s\n", ipc_strerror(st));
		return 1;
	}
	printf("listener %ld: writer closed, done\n", (long)getpid());
	return 0;
}

static int say(const char *path, int argc, char **argv)
{
	ipc_fifo *f;
	ipc_status st;
	char line[1024];
	size_t n;
	int i;

	/* Waits (up to 10 s) for the listener to open its end. */
	st = ipc_fifo_open(&f, path, IPC_O_WRITE, 0, ipc_deadline_in_ms(10000));
	if (st) {
		fprintf(stderr, "say: open %s: %s\n", path, ipc_strerror(st));
		return 1;
	}
	for (i = 0; i < argc && !st; i++) {
		snprintf(line, sizeof(line), "%s\n", argv[i]);
		st = ipc_fifo_write(f, line, strlen(line), &n,
		                    ipc_deadline_in_ms(5000));
	}
	ipc_fifo_close(f);
	if (st) {
		fprintf(stderr, "say: write: %s\n", ipc_strerror(st));
		return 1;
	}
	printf("speaker %ld: said %d line(s)\n", (long)getpid(), argc);
	return 0;
}

static pid_t run_self(char *const argv[])
{
	pid_t pid;
	int err;

	err = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ);
	if (err) {
		fprintf(stderr, "posix_spawn: %s\n", strerror(err));
		return -1;
	}
	return pid;
}

static int demo(void)
{
	char dir[] = "/tmp/ipc-fifo-talk-XXXXXX";
	char path[64];
	char *listen_argv[] = {"fifo_talk", "listen", path, NULL};
	char *say_argv[] = {"fifo_talk",
	                    "say",
	                    path,
	                    "hello over a FIFO",
	                    "from an unrelated process",
	                    NULL};
	pid_t l;
	pid_t s;
	int ws_l = 0;
	int ws_s = 0;

	/* A private 0700 directory: nobody can squat the name first. */
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/talk", dir);
	/* Make the FIFO before either side starts, so the speaker never
	 * looks for a name that is not there yet. */
	if (ipc_fifo_create(path, 0600, IPC_O_EXCL) != 0) {
		rmdir(dir);
		return 1;
	}
	fflush(stdout);
	l = run_self(listen_argv);
	s = l > 0 ? run_self(say_argv) : -1;
	if (l > 0)
		waitpid(l, &ws_l, 0);
	if (s > 0)
		waitpid(s, &ws_s, 0);
	ipc_fifo_unlink(path);
	rmdir(dir);
	if (l < 0 || s < 0 || !WIFEXITED(ws_l) || WEXITSTATUS(ws_l) != 0 ||
	    !WIFEXITED(ws_s) || WEXITSTATUS(ws_s) != 0)
		return 1;
	printf("demo: FIFO removed, both processes exited 0\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 1)
		return demo();
	if (argc == 3 && strcmp(argv[1], "listen") == 0)
		return listen_fifo(argv[2]);
	if (argc >= 4 && strcmp(argv[1], "say") == 0)
		return say(argv[2], argc - 3, argv + 3);
	fprintf(stderr, "usage: %s [listen PATH | say PATH TEXT...]\n",
	        argv[0]);
	return 2;
}
