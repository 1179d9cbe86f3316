/* SPDX-License-Identifier: MIT */
/*
 * loop_relay - one thread, several sources: two children write lines to
 * pipes at different rates (every 40 ms and every 90 ms), and the parent
 * multiplexes them with ipc_loop_wait(), next to a periodic timer that
 * prints a tick every 100 ms. Each pipe is read as its data comes; when a
 * child closes its end the loop reports the hang-up and the pipe leaves
 * the loop. Exits 0 when every line of both children arrived.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ipc/ipc.h>

#define LINES 6

struct source {
	const char *name;
	int period_ms;
	ipc_pipe *rd;
	ipc_pipe *wr;
	pid_t pid;
	int lines; /* newlines received */
	bool open;
};

/* The child: LINES lines, one every period_ms, then close. */
static int child(struct source *s)
{
	struct timespec nap = {0, (long)s->period_ms * 1000000L};
	char line[64];
	size_t n;
	ipc_status st;
	int i;

	for (i = 1; i <= LINES; i++) {
		nanosleep(&nap, NULL);
		snprintf(line, sizeof(line), "%s line %d\n", s->name, i);
		st = ipc_pipe_write(s->wr, line, strlen(line), &n,
		                    ipc_deadline_in_ms(5000));
		if (st) {
			fprintf(stderr, "%s: write: %s\n", s->name,
			        ipc_strerror(st));
			return 1;
		}
	}
	return ipc_pipe_close(s->wr) ? 1 : 0;
}

/* The parent: take what a readable pipe has; false on a read error. */
static bool drain(ipc_loop *l, struct source *s, unsigned int events)
{
	char buf[256];
	size_t n;
	size_t i;
	ipc_status st;

	st = ipc_pipe_read(s->rd, buf, sizeof(buf), &n, IPC_DEADLINE_NOW);
	if (st == -EAGAIN)
		return true;
	if (st) {
		fprintf(stderr, "read %s: %s\n", s->name, ipc_strerror(st));
		return false;
	}
	if (n == 0) { /* end of stream: the child closed its end */
		printf("%s: end of stream%s\n", s->name,
		       events & IPC_EV_HUP ? " (hang-up)" : "");
		s->open = false;
		return ipc_loop_remove(l, s) == 0;
	}
	for (i = 0; i < n; i++)
		s->lines += buf[i] == '\n';
	printf("%s: %.*s", s->name, (int)n, buf);
	return true;
}

int main(void)
{
	struct source src[2] = {
	        {.name = "fast", .period_ms = 40},
	        {.name = "slow", .period_ms = 90},
	};
	static char tick_tag;
	struct ipc_loop_event ev[4];
	ipc_loop *l = NULL;
	ipc_status st;
	size_t n;
	size_t i;
	int ticks = 0;
	int ok = 1;
	int ws;
	int k;

	for (k = 0; k < 2; k++) {
		st = ipc_pipe_open(&src[k].rd, &src[k].wr, 0);
		if (st) {
			fprintf(stderr, "pipe: %s\n", ipc_strerror(st));
			return 1;
		}
		fflush(stdout);
		src[k].pid = fork();
		if (src[k].pid < 0) {
			perror("fork");
			return 1;
		}
		if (src[k].pid == 0) {
			ipc_pipe_close(src[k].rd);
			_exit(child(&src[k]));
		}
		ipc_pipe_close(src[k].wr); /* the parent only reads */
		src[k].wr = NULL;
		src[k].open = true;
	}

	st = ipc_loop_open(&l);
	for (k = 0; !st && k < 2; k++) /* the tag: the source itself */
		st = ipc_loop_add_fd(l, ipc_pipe_fd(src[k].rd), IPC_EV_READ,
		                     &src[k]);
	if (!st)
		st = ipc_loop_add_timer(l, ipc_deadline_in_ms(100),
		                        100 * 1000000LL, &tick_tag);
	if (st) {
		fprintf(stderr, "loop: %s\n", ipc_strerror(st));
		return 1;
	}

	while (ok && (src[0].open || src[1].open)) {
		st = ipc_loop_wait(l, ev, 4, &n, ipc_deadline_in_ms(5000));
		if (st == -EINTR)
			continue;
		if (st) {
			fprintf(stderr, "wait: %s\n", ipc_strerror(st));
			ok = 0;
			break;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].tag == &tick_tag) {
				ticks++;
				printf("tick %d%s\n", ticks,
				       ev[i].expirations > 1 ? " (late)" : "");
			} else if (!drain(l, ev[i].tag, ev[i].events)) {
				ok = 0;
			}
		}
	}
	ipc_loop_close(l);

	for (k = 0; k < 2; k++) {
		ipc_pipe_close(src[k].rd);
		if (waitpid(src[k].pid, &ws, 0) < 0 || !WIFEXITED(ws) ||
		    WEXITSTATUS(ws) != 0)
			ok = 0;
		printf("%s: %d of %d lines\n", src[k].name, src[k].lines,
		       LINES);
		if (src[k].lines != LINES)
			ok = 0;
	}
	printf("%d ticks; %s\n", ticks, ok ? "done" : "FAILED");
	return ok ? 0 : 1;
}
