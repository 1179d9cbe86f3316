/* SPDX-License-Identifier: MIT */
/*
 * relay_demo - the core end to end: three processes pass framed messages
 * through three different mechanisms, and each says what it did.
 *
 *     source --pipe--> upper --FIFO--> count --Unix socket--> main
 *
 * source sends lines of text as frames on an anonymous pipe; upper turns
 * them to upper case and forwards them on a FIFO; count tallies messages,
 * words and bytes and reports the totals to the main process over a Unix
 * stream socket. Every wait has a deadline, and the FIFO and the socket
 * live in a private directory that is removed at the end.
 *
 * Usage: relay_demo [-n REPEAT] [FILE]   (default: a built-in text, 2000x)
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ipc/ipc.h>

#define TIMEOUT_MS 10000

static const char *builtin_text[] = {
        "a pipe joins a parent to its child",
        "a fifo lets strangers meet by name",
        "a socket carries bytes and descriptors",
        "a frame turns a stream of bytes into messages",
        "every wait in this library has a deadline",
};

struct summary {
	uint64_t messages;
	uint64_t words;
	uint64_t bytes;
};

static ipc_deadline deadline(void)
{
	return ipc_deadline_in_ms(TIMEOUT_MS);
}

static int fail(const char *who, const char *what, ipc_status st)
{
	fprintf(stderr, "%s: %s: %s\n", who, what, ipc_strerror(st));
	return 1;
}

static int source(ipc_pipe *wr, FILE *in, long repeat)
{
	ipc_frame *f;
	ipc_status st;
	char line[4096];
	uint64_t lines = 0;
	uint64_t bytes = 0;
	size_t len;
	size_t i;
	long r;

	st = ipc_frame_open(&f, ipc_pipe_fd(wr), 0, 0);
	if (st)
		return fail("source", "frame", st);
	for (r = 0; r < repeat && !st; r++) {
		if (in != NULL) {
			if (fgets(line, sizeof(line), in) == NULL)
				break;
			len = strcspn(line, "\n");
			st = ipc_frame_send(f, line, len, deadline());
			lines++;
			bytes += len;
			r--; /* a file is read to its end */
			continue;
		}
		for (i = 0; i < sizeof(builtin_text) / sizeof(*builtin_text);
		     i++) {
			len = strlen(builtin_text[i]);
			st = ipc_frame_send(f, builtin_text[i], len,
			                    deadline());
			if (st)
				break;
			lines++;
			bytes += len;
		}
	}
	if (!st)
		st = ipc_frame_flush(f, deadline());
	ipc_frame_close(f);
	if (st)
		return fail("source", "send", st);
	printf("  source pid %-6ld sent %llu lines (%llu bytes) as frames on "
	       "a pipe\n",
	       (long)getpid(), (unsigned long long)lines,
	       (unsigned long long)bytes);
	return 0;
}

static int upper(ipc_pipe *rd, const char *fifo_path)
{
	ipc_frame *in = NULL;
	ipc_frame *out = NULL;
	ipc_fifo *fifo;
	ipc_status st;
	char buf[4096];
	uint64_t count = 0;
	size_t n;
	size_t i;

	/* Waits until count has opened the FIFO for reading. */
	st = ipc_fifo_open(&fifo, fifo_path, IPC_O_WRITE, 0, deadline());
	if (st)
		return fail("upper", "open FIFO", st);
	st = ipc_frame_open(&in, ipc_pipe_fd(rd), 0, 0);
	if (!st)
		st = ipc_frame_open(&out, ipc_fifo_fd(fifo), 0, 0);
	while (!st) {
		st = ipc_frame_recv(in, buf, sizeof(buf), &n, deadline());
		if (st)
			break;
		for (i = 0; i < n; i++)
			buf[i] = (char)toupper((unsigned char)buf[i]);
		st = ipc_frame_send(out, buf, n, deadline());
		count++;
	}
	/* -EPIPE: the source closed its end at a frame boundary. */
	if (st == -EPIPE)
		st = ipc_frame_flush(out, deadline());
	ipc_frame_close(in);
	ipc_frame_close(out);
	ipc_fifo_close(fifo);
	if (st)
		return fail("upper", "relay", st);
	printf("  upper  pid %-6ld upper-cased %llu messages from the pipe "
	       "into the FIFO\n",
	       (long)getpid(), (unsigned long long)count);
	return 0;
}

static int count(const char *fifo_path, const char *sock_path)
{
	struct summary sum = {0, 0, 0};
	const unsigned char *msg;
	ipc_fifo *fifo;
	ipc_frame *in;
	ipc_frame *out;
	ipc_sock *s;
	ipc_status st;
	size_t len;
	size_t i;
	int inword;

	st = ipc_fifo_open(&fifo, fifo_path, IPC_O_READ, 0, deadline());
	if (st)
		return fail("count", "open FIFO", st);
	st = ipc_frame_open(&in, ipc_fifo_fd(fifo), 0, 0);
	while (!st) {
		st = ipc_frame_recv_borrow(in, (const void **)&msg, &len,
		                           deadline());
		if (st)
			break;
		sum.messages++;
		sum.bytes += len;
		inword = 0;
		for (i = 0; i < len; i++) {
			if (isspace(msg[i]))
				inword = 0;
			else if (!inword++)
				sum.words++;
		}
	}
	ipc_frame_close(in);
	ipc_fifo_close(fifo);
	if (st != -EPIPE)
		return fail("count", "receive", st);
	st = ipc_sock_connect(&s, IPC_SOCK_UNIX, sock_path, 0, deadline());
	if (st)
		return fail("count", "connect", st);
	st = ipc_frame_open(&out, ipc_sock_fd(s), 0, 0);
	if (!st)
		st = ipc_frame_send(out, &sum, sizeof(sum), deadline());
	ipc_frame_close(out);
	ipc_sock_close(s);
	if (st)
		return fail("count", "report", st);
	printf("  count  pid %-6ld read %llu messages from the FIFO, reported "
	       "over a Unix socket\n",
	       (long)getpid(), (unsigned long long)sum.messages);
	return 0;
}

static pid_t start(int (*body)(void *), void *arg)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int rc = body(arg);

		/* _exit() skips stdio: flush the report, or a piped stdout
		 * loses it. */
		fflush(stdout);
		_exit(rc);
	}
	return pid;
}

struct job {
	ipc_pipe *rd;
	ipc_pipe *wr;
	FILE *in;
	long repeat;
	const char *fifo;
	const char *sock;
};

static int run_source(void *arg)
{
	struct job *j = arg;

	ipc_pipe_close(j->rd);
	return source(j->wr, j->in, j->repeat);
}

static int run_upper(void *arg)
{
	struct job *j = arg;

	ipc_pipe_close(j->wr); /* else the pipe never reaches end of stream */
	return upper(j->rd, j->fifo);
}

static int run_count(void *arg)
{
	struct job *j = arg;

	ipc_pipe_close(j->rd);
	ipc_pipe_close(j->wr);
	return count(j->fifo, j->sock);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/ipc-relay-XXXXXX";
	char fifo[64];
	char sock[64];
	struct job job = {NULL, NULL, NULL, 2000, fifo, sock};
	struct summary sum;
	ipc_deadline t0 = ipc_now();
	ipc_sock *l = NULL;
	ipc_sock *conn = NULL;
	ipc_frame *f = NULL;
	ipc_status st;
	pid_t pids[3];
	size_t n = 0;
	double secs;
	int ok = 1;
	int ws;
	int i;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n') {
			fprintf(stderr, "usage: %s [-n REPEAT] [FILE]\n",
			        argv[0]);
			return 2;
		}
		job.repeat = strtol(optarg, NULL, 10);
	}
	if (optind < argc) {
		job.in = fopen(argv[optind], "r");
		if (job.in == NULL) {
			perror(argv[optind]);
			return 1;
		}
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(fifo, sizeof(fifo), "%s/upper.fifo", dir);
	snprintf(sock, sizeof(sock), "%s/report.sock", dir);
	printf("relay_demo (libipc %s): source -> pipe -> upper -> FIFO -> "
	       "count -> Unix socket -> main\n",
	       ipc_version());

	st = ipc_fifo_create(fifo, 0600, IPC_O_EXCL);
	if (!st)
		st = ipc_sock_listen(&l, IPC_SOCK_UNIX, sock, 0600, 0);
	if (!st)
		st = ipc_pipe_open(&job.rd, &job.wr, 0);
	if (st) {
		fail("main", "set up", st);
		goto out;
	}
	pids[0] = start(run_source, &job);
	pids[1] = start(run_upper, &job);
	pids[2] = start(run_count, &job);
	ipc_pipe_close(job.rd);
	ipc_pipe_close(job.wr);

	st = ipc_sock_accept(l, &conn, deadline());
	if (!st)
		st = ipc_frame_open(&f, ipc_sock_fd(conn), 0, 0);
	if (!st)
		st = ipc_frame_recv(f, &sum, sizeof(sum), &n, deadline());
	if (!st && n != sizeof(sum))
		st = -EPROTO;
	ipc_frame_close(f);
	ipc_sock_close(conn);
	for (i = 0; i < 3; i++) {
		if (pids[i] < 0 || waitpid(pids[i], &ws, 0) < 0 ||
		    !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
			ok = 0;
	}
	if (st) {
		fail("main", "summary", st);
		goto out;
	}
	/* Nothing lost, nothing duplicated: with the built-in text the count
	 * is known in advance. */
	if (job.in == NULL &&
	    sum.messages != (uint64_t)job.repeat * (sizeof(builtin_text) /
	                                            sizeof(*builtin_text))) {
		fprintf(stderr, "main: %llu messages arrived, %ld expected\n",
		        (unsigned long long)sum.messages,
		        job.repeat * (long)(sizeof(builtin_text) /
		                            sizeof(*builtin_text)));
		ok = 0;
	}
	secs = (double)(ipc_now() - t0) / 1e9;
	printf("  main   pid %-6ld got the summary: %llu messages, %llu words, "
	       "%llu bytes\n",
	       (long)getpid(), (unsigned long long)sum.messages,
	       (unsigned long long)sum.words, (unsigned long long)sum.bytes);
	printf("  %.3f s end to end, %.0f messages/s through three hops\n",
	       secs, secs > 0 ? (double)sum.messages / secs : 0.0);
out:
	ipc_sock_close(l);
	(void)ipc_sock_unlink(sock);
	(void)ipc_fifo_unlink(fifo);
	if (rmdir(dir) == 0)
		printf("  cleaned up: FIFO, socket and %s removed\n", dir);
	if (job.in != NULL)
		fclose(job.in);
	return ok && !st ? 0 : 1;
}
