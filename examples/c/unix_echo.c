/* SPDX-License-Identifier: MIT */
/*
 * unix_echo - a Unix-socket echo server and client, speaking framed
 * messages (u32 little-endian length + payload, see docs/frame.md).
 *
 *   unix_echo server PATH [CLIENTS]   echo every message, serve CLIENTS
 *                                     connections (default 1), then exit
 *   unix_echo client PATH TEXT...     send each TEXT, print the echo
 *   unix_echo                         demo: both, as separate programs
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ipc/ipc.h>

extern char **environ;

static int serve_one(ipc_sock *conn)
{
	struct ipc_sock_cred cred;
	ipc_frame *f;
	const void *msg;
	ipc_status st;
	size_t len;
	int count = 0;

	if (ipc_sock_peer_cred(conn, &cred) == 0)
		printf("server: client pid %ld uid %lu connected\n",
		       (long)cred.pid, (unsigned long)cred.uid);
	st = ipc_frame_open(&f, ipc_sock_fd(conn), 0, 0);
	if (st)
		return 1;
	for (;;) {
		st = ipc_frame_recv_borrow(f, &msg, &len,
		                           ipc_deadline_in_ms(10000));
		if (st)
			break;
		st = ipc_frame_send(f, msg, len, ipc_deadline_in_ms(5000));
		if (st)
			break;
		count++;
	}
	ipc_frame_close(f);
	/* -EPIPE at a frame boundary is the client closing: the normal end. */
	printf("server: echoed %d message(s), client %s\n", count,
	       st == -EPIPE ? "closed" : ipc_strerror(st));
	fflush(stdout);
	return st == -EPIPE ? 0 : 1;
}

static int server(const char *path, int clients)
{
	ipc_sock *l;
	ipc_sock *conn;
	ipc_status st;
	int failed = 0;
	int i;

	st = ipc_sock_listen(&l, IPC_SOCK_UNIX, path, 0600, IPC_SOCK_REPLACE);
	if (st) {
		fprintf(stderr, "server: listen %s: %s\n", path,
		        ipc_strerror(st));
		return 1;
	}
	printf("server %ld: listening on %s\n", (long)getpid(), path);
	fflush(stdout);
	for (i = 0; i < clients; i++) {
		st = ipc_sock_accept(l, &conn, ipc_deadline_in_ms(10000));
		if (st) {
			fprintf(stderr, "server: accept: %s\n",
			        ipc_strerror(st));
			failed = 1;
			break;
		}
		failed |= serve_one(conn);
		ipc_sock_close(conn);
	}
	ipc_sock_close(l);
	ipc_sock_unlink(path);
	return failed;
}

static int client(const char *path, int argc, char **argv)
{
	static const struct timespec pause = {0, 10 * 1000 * 1000};
	ipc_deadline d = ipc_deadline_in_ms(10000);
	ipc_sock *s;
	ipc_frame *f;
	ipc_status st;
	char buf[4096];
	size_t n;
	int i;

	/* The server may not be listening yet: retry until the deadline. */
	while ((st = ipc_sock_connect(&s, IPC_SOCK_UNIX, path, 0, d)) ==
	               -ENOENT ||
	       st == -ECONNREFUSED) {
		if (ipc_deadline_expired(d))
			break;
		nanosleep(&pause, NULL);
	}
	if (st) {
		fprintf(stderr, "client: connect %s: %s\n", path,
		        ipc_strerror(st));
		return 1;
	}
	st = ipc_frame_open(&f, ipc_sock_fd(s), 0, 0);
	for (i = 0; i < argc && !st; i++) {
		st = ipc_frame_send(f, argv[i], strlen(argv[i]),
		                    ipc_deadline_in_ms(5000));
		if (!st)
			st = ipc_frame_recv(f, buf, sizeof(buf), &n,
			                    ipc_deadline_in_ms(5000));
		if (!st)
			printf("client: sent \"%s\", echo \"%.*s\"\n", argv[i],
			       (int)n, buf);
	}
	ipc_frame_close(f);
	ipc_sock_close(s);
	if (st) {
		fprintf(stderr, "client: %s\n", ipc_strerror(st));
		return 1;
	}
	return 0;
}

static int demo(void)
{
	char dir[] = "/tmp/ipc-unix-echo-XXXXXX";
	char path[64];
	char *server_argv[] = {"unix_echo", "server", path, "1", NULL};
	char *client_argv[] = {"unix_echo", "client",      path,
	                       "ping",      "hello, echo", NULL};
	pid_t srv = -1;
	pid_t cli = -1;
	int ws_s = 0;
	int ws_c = 0;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/echo.sock", dir);
	fflush(stdout);
	if (posix_spawn(&srv, "/proc/self/exe", NULL, NULL, server_argv,
	                environ) != 0 ||
	    posix_spawn(&cli, "/proc/self/exe", NULL, NULL, client_argv,
	                environ) != 0)
		fprintf(stderr, "posix_spawn failed\n");
	if (srv > 0)
		waitpid(srv, &ws_s, 0);
	if (cli > 0)
		waitpid(cli, &ws_c, 0);
	(void)ipc_sock_unlink(path); /* normally the server did */
	rmdir(dir);
	if (srv <= 0 || cli <= 0 || !WIFEXITED(ws_s) || WEXITSTATUS(ws_s) ||
	    !WIFEXITED(ws_c) || WEXITSTATUS(ws_c))
		return 1;
	printf("demo: server and client exited 0\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 1)
		return demo();
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "server") == 0)
		return server(argv[2], argc == 4 ? atoi(argv[3]) : 1);
	if (argc >= 4 && strcmp(argv[1], "client") == 0)
		return client(argv[2], argc - 3, argv + 3);
	fprintf(stderr, "usage: %s [server PATH [N] | client PATH TEXT...]\n",
	        argv[0]);
	return 2;
}
