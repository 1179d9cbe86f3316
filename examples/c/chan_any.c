/* SPDX-License-Identifier: MIT */
/*
 * chan_any.c - one producer/consumer, any channel: the URL is the only
 * thing that changes.
 *
 * A child process produces numbered messages of growing size, the parent
 * consumes and checks them, and the same two functions run over every URL
 * given on the command line:
 *
 *     chan_any                      pipe, unix socket, mq and ring in turn
 *     chan_any mq:/myq ring:/r      just those (created, then removed)
 *
 * Socket URLs (unix:, unixpacket:, tcp:) are listened on by the consumer
 * and connected to by the producer; named objects (fifo:, mq:, sysvmq:,
 * ring:) are created by the consumer and opened by the producer. Exits 0
 * when every message arrived whole and in order. (udp: may lose datagrams
 * when the consumer falls behind: the run then fails, as UDP does.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/chan.h"
#include "ipc/url.h"

#define COUNT 200

/* Message i: its number, then bytes derived from it. */
static size_t make_message(unsigned char *buf, size_t max, unsigned int i)
{
	size_t len = 4 + (size_t)i * 37 % (max < 4096 ? max - 3 : 4093);
	size_t k;

	memcpy(buf, &i, 4);
	for (k = 4; k < len; k++)
		buf[k] = (unsigned char)(i * 31 + k);
	return len;
}

static int produce(ipc_chan *c)
{
	unsigned char buf[4100];
	size_t max = ipc_chan_max_message(c);
	unsigned int i;
	ipc_status st;

	for (i = 0; i < COUNT; i++) {
		size_t len = make_message(buf, max, i);

		st = ipc_chan_send(c, buf, len, ipc_deadline_in_ms(5000));
		if (st) {
			fprintf(stderr, "send %u: %s\n", i, ipc_strerror(st));
			return 1;
		}
	}
	/* A one-byte message says "done" on every kind, also where the end
	 * of a stream cannot be seen (queues, rings, datagrams). */
	st = ipc_chan_send(c, ".", 1, ipc_deadline_in_ms(5000));
	return st ? 1 : 0;
}

static int consume(ipc_chan *c)
{
	unsigned char want[4100];
	const void *data;
	size_t max = ipc_chan_max_message(c);
	size_t len;
	unsigned int i;
	ipc_status st;

	for (i = 0;; i++) {
		st = ipc_chan_recv_borrow(c, &data, &len, NULL,
		                          ipc_deadline_in_ms(5000));
		if (st) {
			fprintf(stderr, "receive %u: %s\n", i,
			        ipc_strerror(st));
			return 1;
		}
		if (len == 1)
			break;
		if (len != make_message(want, max, i) ||
		    memcmp(data, want, len) != 0) {
			fprintf(stderr, "message %u is wrong\n", i);
			return 1;
		}
	}
	if (i != COUNT) {
		fprintf(stderr, "%u messages, want %d\n", i, COUNT);
		return 1;
	}
	return 0;
}

static bool is_listener(int kind)
{
	return kind == IPC_URL_UNIX || kind == IPC_URL_UNIXPACKET ||
	       kind == IPC_URL_TCP;
}

static bool is_bound(int kind)
{
	return kind == IPC_URL_UNIXGRAM || kind == IPC_URL_UDP;
}

/* Run producer (child) and consumer (parent) over @url. */
static int run(const char *url)
{
	struct ipc_url *u = malloc(sizeof(*u));
	char created[1200];
	ipc_chan *l = NULL;
	ipc_chan *rd = NULL;
	ipc_chan *wr = NULL;
	ipc_chan *c;
	ipc_status st;
	int rc = 1;
	int ws;
	pid_t pid;

	if (u == NULL)
		return 1;
	if (strcmp(url, "pipe") == 0) {
		st = ipc_chan_pipe(&rd, &wr, 0);
		u->kind = IPC_URL_FD;
	} else {
		st = ipc_url_parse(url, u);
		if (st == 0 && is_listener(u->kind))
			st = ipc_chan_listen(&l, url, 0, NULL);
		else if (st == 0 && is_bound(u->kind))
			st = ipc_chan_listen(&rd, url, 0, NULL);
		else if (st == 0)
			st = ipc_chan_open(&rd, url, IPC_O_READ | IPC_O_CREATE,
			                   NULL, IPC_DEADLINE_NOW);
	}
	if (st) {
		fprintf(stderr, "%s: %s %s\n", url, ipc_strerror(st),
		        ipc_detail());
		free(u);
		return 1;
	}
	/* The URL the producer opens: the listener's own (with its port). */
	snprintf(created, sizeof(created), "%s",
	         l != NULL ? ipc_chan_url(l) : ipc_chan_url(rd));
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		ipc_chan_close(rd);
		ipc_chan_close(l);
		if (wr == NULL) {
			st = ipc_chan_open(&wr, created, IPC_O_WRITE, NULL,
			                   ipc_deadline_in_ms(5000));
			if (st) {
				fprintf(stderr, "child open %s: %s\n", created,
				        ipc_strerror(st));
				_exit(1);
			}
		}
		rc = produce(wr);
		ipc_chan_close(wr);
		free(u);
		_exit(rc);
	}
	ipc_chan_close(wr);
	c = rd;
	if (pid > 0 && l != NULL) {
		st = ipc_chan_accept(l, &c, ipc_deadline_in_ms(5000));
		if (st)
			fprintf(stderr, "accept: %s\n", ipc_strerror(st));
	}
	if (pid > 0 && c != NULL)
		rc = consume(c);
	if (pid > 0 && (waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws) ||
	                WEXITSTATUS(ws) != 0))
		rc = 1;
	printf("%-40s %s: %d messages, max message %zu bytes\n",
	       c != NULL ? ipc_chan_url(c) : url, rc == 0 ? "ok" : "FAILED",
	       COUNT, ipc_chan_max_message(c));
	if (c != rd)
		ipc_chan_close(c);
	ipc_chan_close(rd);
	ipc_chan_close(l);
	if (u->kind != IPC_URL_TCP && u->kind != IPC_URL_UDP &&
	    u->kind != IPC_URL_FD)
		(void)ipc_unlink_url(url);
	free(u);
	return rc;
}

int main(int argc, char **argv)
{
	char sock[128];
	char mq[64];
	char ring[64];
	const char *defaults[4];
	int rc = 0;
	int i;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			rc |= run(argv[i]);
		return rc;
	}
	snprintf(sock, sizeof(sock), "unix:/tmp/chan_any-%d.sock",
	         (int)getpid());
	snprintf(mq, sizeof(mq), "mq:/chan_any-%d", (int)getpid());
	snprintf(ring, sizeof(ring), "ring:/chan_any-%d", (int)getpid());
	defaults[0] = "pipe";
	defaults[1] = sock;
	defaults[2] = mq;
	defaults[3] = ring;
	for (i = 0; i < 4; i++)
		rc |= run(defaults[i]);
	return rc;
}
