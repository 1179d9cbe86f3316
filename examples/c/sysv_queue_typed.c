/* SPDX-License-Identifier: MIT */
/*
 * sysv_queue_typed - the textbook System V message queue pair: a client
 * and a server process share one queue and tell their messages apart by
 * type. The client sends requests of type 1 ("upper-case this") and
 * type 2 ("count the bytes of this"), then type 9 to stop; the server
 * takes the lowest request type first (receive type -9: the type 1
 * requests before the older type 2 one), and answers each
 * request on the client's own reply type, its pid. The parent removes the
 * queue at the end.
 *
 * The key is "1234-style" but cannot collide: 0x04d2 in the top half, the
 * pid below, created with IPC_O_EXCL (and the next key tried on -EEXIST).
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ipc/ipc.h>

#define REQ_UPPER  1L
#define REQ_LENGTH 2L
#define REQ_QUIT   9L

/* A request: where to answer, and the text. Sent only as long as used. */
struct request {
	int32_t reply_type;
	char text[128];
};

static int server(ipc_sysvmq *q)
{
	struct request req;
	char reply[160];
	size_t n;
	size_t i;
	long type;
	ipc_status st;

	for (;;) {
		/* Any request type from 1 to 9, the lowest first. */
		st = ipc_sysvmq_receive(q, -REQ_QUIT, 0, &req, sizeof(req) - 1,
		                        &n, &type, ipc_deadline_in_ms(5000));
		if (st) {
			fprintf(stderr, "server: receive: %s\n",
			        ipc_strerror(st));
			return 1;
		}
		if (type == REQ_QUIT)
			return 0;
		if (n < offsetof(struct request, text)) {
			fprintf(stderr, "server: short request\n");
			return 1;
		}
		n -= offsetof(struct request, text);
		req.text[n] = '\0';
		if (type == REQ_UPPER) {
			for (i = 0; i < n; i++)
				reply[i] = (char)toupper(
				        (unsigned char)req.text[i]);
			reply[n] = '\0';
		} else {
			snprintf(reply, sizeof(reply), "%zu bytes", n);
		}
		printf("server %ld: request of type %ld \"%s\" -> reply of type "
		       "%ld\n",
		       (long)getpid(), type, req.text, (long)req.reply_type);
		fflush(stdout);
		st = ipc_sysvmq_send(q, req.reply_type, reply, strlen(reply),
		                     ipc_deadline_in_ms(5000));
		if (st) {
			fprintf(stderr, "server: send: %s\n", ipc_strerror(st));
			return 1;
		}
	}
}

static ipc_status send_request(ipc_sysvmq *q, long type, const char *text)
{
	struct request req;
	size_t len = strlen(text);

	req.reply_type = (int32_t)getpid();
	memcpy(req.text, text, len);
	return ipc_sysvmq_send(q, type, &req,
	                       offsetof(struct request, text) + len,
	                       ipc_deadline_in_ms(5000));
}

static const struct {
	long type;
	const char *text;
} reqs[] = {
        {REQ_LENGTH, "how long is this?"},
        {REQ_UPPER, "hello, server"},
        {REQ_UPPER, "typed messages"},
};

#define NREQS (sizeof(reqs) / sizeof(reqs[0]))

/* The client queues every request before the server starts: the server
 * still takes the type 1 requests first. */
static int client_send(ipc_sysvmq *q)
{
	ipc_status st;
	size_t i;

	for (i = 0; i < NREQS; i++) {
		st = send_request(q, reqs[i].type, reqs[i].text);
		if (st) {
			fprintf(stderr, "client: send: %s\n", ipc_strerror(st));
			return 1;
		}
		printf("client %ld: sent type %ld \"%s\"\n", (long)getpid(),
		       reqs[i].type, reqs[i].text);
	}
	return 0;
}

/* Then it takes the replies addressed to it, and tells the server to stop. */
static int client_collect(ipc_sysvmq *q)
{
	char reply[160];
	size_t i;
	size_t n;
	ipc_status st;

	for (i = 0; i < NREQS; i++) {
		st = ipc_sysvmq_receive(q, (long)getpid(), 0, reply,
		                        sizeof(reply) - 1, &n, NULL,
		                        ipc_deadline_in_ms(5000));
		if (st) {
			fprintf(stderr, "client: receive: %s\n",
			        ipc_strerror(st));
			return 1;
		}
		reply[n] = '\0';
		printf("client %ld: reply \"%s\"\n", (long)getpid(), reply);
	}
	st = ipc_sysvmq_send(q, REQ_QUIT, NULL, 0, ipc_deadline_in_ms(5000));
	if (st) {
		fprintf(stderr, "client: send quit: %s\n", ipc_strerror(st));
		return 1;
	}
	return 0;
}

int main(void)
{
	ipc_sysvmq *q = NULL;
	ipc_status st = -EEXIST;
	int32_t key = 0;
	int rc;
	int ws;
	pid_t pid;
	int i;

	for (i = 0; i < 64 && st == -EEXIST; i++) {
		key = (int32_t)(0x04d20000 | ((getpid() + i) & 0xffff));
		st = ipc_sysvmq_open(&q, key, IPC_O_CREATE | IPC_O_EXCL, 0600);
	}
	if (st) {
		fprintf(stderr, "open: %s\n", ipc_strerror(st));
		return 1;
	}
	printf("queue key 0x%08x id %d (msgmax %zu bytes)\n", (unsigned)key,
	       ipc_sysvmq_id(q), ipc_sysvmq_max_message(q));
	if (client_send(q)) {
		ipc_sysvmq_remove(q);
		ipc_sysvmq_close(q);
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		ipc_sysvmq_remove(q);
		ipc_sysvmq_close(q);
		return 1;
	}
	if (pid == 0) {
		/* The handle is only an id: it works across fork. */
		rc = server(q);
		ipc_sysvmq_close(q);
		exit(rc);
	}
	rc = client_collect(q);
	/* The queue outlives us unless removed. On failure remove it first:
	 * a server blocked on it wakes at once with -EIDRM. */
	st = rc ? ipc_sysvmq_remove(q) : 0;
	if (waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
		rc = 1;
	if (st == 0)
		st = ipc_sysvmq_remove(q);
	ipc_sysvmq_close(q);
	if (st) {
		fprintf(stderr, "remove: %s\n", ipc_strerror(st));
		return 1;
	}
	printf("removed the queue; %s\n", rc ? "FAILED" : "done");
	return rc;
}
