/* SPDX-License-Identifier: MIT */
/*
 * ring_pipeline - a producer process streams records to a consumer through
 * a shared-memory message ring. The child builds each record in place
 * (ipc_ring_reserve + ipc_ring_commit: no copy), the parent reads them in
 * place (ipc_ring_peek + ipc_ring_release), checks them, prints the ring's
 * counters and removes the ring.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ipc/ring.h>

#define COUNT 100000

struct record {
	uint32_t seq;
	uint32_t len;
	char text[48];
};

static int produce(const char *name)
{
	ipc_ring *r;
	ipc_status st;
	uint32_t i;
	void *p;

	st = ipc_ring_open(&r, name, IPC_O_WRITE, 0, 0);
	if (st) {
		fprintf(stderr, "child: open: %s\n", ipc_strerror(st));
		return 1;
	}
	for (i = 0; i < COUNT; i++) {
		struct record *rec;

		/* Room for a whole record; blocks while the ring is full. */
		st = ipc_ring_reserve(r, sizeof(*rec), &p,
		                      ipc_deadline_in_ms(5000));
		if (st)
			break;
		rec = p;
		rec->seq = i;
		rec->len = (uint32_t)snprintf(rec->text, sizeof(rec->text),
		                              "record %u", (unsigned int)i);
		/* Publish only what was used. */
		st = ipc_ring_commit(r, offsetof(struct record, text) +
		                                rec->len + 1);
		if (st)
			break;
	}
	if (st)
		fprintf(stderr, "child: %s\n", ipc_strerror(st));
	ipc_ring_close(r);
	return st ? 1 : 0;
}

int main(void)
{
	struct ipc_ring_stats s;
	char name[64];
	ipc_ring *r;
	ipc_status st;
	uint32_t i;
	pid_t pid;
	int ws;
	int bad = 0;

	snprintf(name, sizeof(name), "/ring-pipeline-%ld", (long)getpid());
	/* 64 KiB of data: a producer that runs ahead waits for room. */
	st = ipc_ring_open(&r, name, IPC_O_READ | IPC_O_CREATE | IPC_O_EXCL,
	                   0600, 65536);
	if (st) {
		fprintf(stderr, "open %s: %s\n", name, ipc_strerror(st));
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		ipc_ring_close(r);
		ipc_ring_unlink(name);
		return 1;
	}
	if (pid == 0) {
		ipc_ring_close(r); /* a handle is not shared across fork */
		_exit(produce(name));
	}
	for (i = 0; i < COUNT && !bad; i++) {
		const struct record *rec;
		const void *p;
		size_t len;

		st = ipc_ring_peek(r, &p, &len, ipc_deadline_in_ms(5000));
		if (st) {
			fprintf(stderr, "peek: %s\n", ipc_strerror(st));
			bad = 1;
			break;
		}
		rec = p;
		if (len < offsetof(struct record, text) || rec->seq != i ||
		    len != offsetof(struct record, text) + rec->len + 1)
			bad = 1;
		if (i % 25000 == 0)
			printf("parent got \"%s\"\n", rec->text);
		ipc_ring_release(r);
	}
	waitpid(pid, &ws, 0);
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
		bad = 1;
	if (ipc_ring_stats(r, &s) == 0)
		printf("%u records: in %llu (%llu bytes), out %llu, "
		       "high water %llu of %llu bytes\n",
		       (unsigned int)i, (unsigned long long)s.msgs_in,
		       (unsigned long long)s.bytes_in,
		       (unsigned long long)s.msgs_out,
		       (unsigned long long)s.high_water,
		       (unsigned long long)s.capacity);
	ipc_ring_close(r);
	ipc_ring_unlink(name);
	printf(bad ? "FAILED\n" : "ok\n");
	return bad;
}
