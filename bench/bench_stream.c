/* SPDX-License-Identifier: MIT */
/*
 * bench_stream - the C layer against the raw system calls it wraps, on
 * pipes and Unix stream sockets, measured in one run (PERFORMANCE.md: these
 * machines drift 1.5-3x from day to day, so only ratios within a run mean
 * anything).
 *
 * One process writes N 64-byte messages, another reads them. Variants:
 *   raw        write(2) of 64 B / read(2) of 64 KiB chunks
 *   ipc        ipc_pipe_write/ipc_sock_send with no deadline, same reader
 *   ipc+dl     the same with a 10 s deadline (the per-call non-blocking
 *              path: RWF_NOWAIT or MSG_DONTWAIT, poll when full)
 *   ipc+guard  "ipc" with SIGPIPE at its default disposition, so that pipe
 *              writes pay for the SIGPIPE guard (two rt_sigprocmask calls);
 *              every other variant runs with SIGPIPE ignored, as Python and
 *              the ipc host do
 *   raw-framed hand-written framing: one write of header+payload, the
 *              reader parses frames out of 64 KiB reads
 *   frame      ipc_frame_send / ipc_frame_recv_borrow
 * Each variant runs unpinned, with both processes on one CPU, and on two
 * CPUs, REPS times interleaved (A/B/A/B); the median is reported with its
 * ratio to the raw baseline of the same placement.
 *
 * Usage: bench_stream [--quick] [-n MESSAGES] [-r REPS]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ipc/ipc.h>

#define MSG      64
#define CHUNK    65536
#define MAX_REPS 15

enum transport { T_PIPE, T_UNIX };
enum variant {
	V_RAW,
	V_IPC,
	V_IPC_DL,
	V_IPC_GUARD,
	V_RAW_FRAMED,
	V_FRAME,
	V_COUNT
};
enum placement { P_ANY, P_SAME, P_SPLIT, P_COUNT };

static const char *variant_names[] = {"raw",       "ipc",        "ipc+dl",
                                      "ipc+guard", "raw-framed", "frame"};
static const char *placement_names[] = {"unpinned", "same CPU", "two CPUs"};

static long messages = 200000;
static int reps = 5;

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof(set), &set);
}

static void die(const char *what, ipc_status st)
{
	fprintf(stderr, "bench_stream: %s: %s\n", what, ipc_strerror(st));
	exit(1);
}

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write", -errno);
		p += n;
		len -= (size_t)n;
	}
}

/*
 * The writer side of each variant. @fd is the raw descriptor; @s is the
 * socket handle owning it for the Unix transport (NULL for pipes).
 */
static void writer(enum variant v, int fd, ipc_sock *s)
{
	ipc_deadline d =
	        v == V_IPC_DL ? ipc_deadline_in_ms(10000) : IPC_DEADLINE_NEVER;
	unsigned char msg[4 + MSG];
	ipc_pipe *p = NULL;
	ipc_frame *f = NULL;
	ipc_status st = 0;
	size_t n;
	long i;

	/* Handles note the SIGPIPE disposition when they are made. */
	signal(SIGPIPE, v == V_IPC_GUARD ? SIG_DFL : SIG_IGN);
	memset(msg, 'm', sizeof(msg));
	(void)ipc_frame_encode_header(msg, MSG);
	if (s == NULL && (st = ipc_pipe_adopt(&p, fd)))
		die("adopt", st);
	if (v == V_FRAME && (st = ipc_frame_open(&f, fd, 0, 0)))
		die("frame_open", st);
	for (i = 0; i < messages; i++) {
		switch (v) {
		case V_RAW:
			write_all(fd, msg + 4, MSG);
			break;
		case V_IPC:
		case V_IPC_DL:
		case V_IPC_GUARD:
			st = s != NULL ? ipc_sock_send(s, msg + 4, MSG, &n, d)
			               : ipc_pipe_write(p, msg + 4, MSG, &n, d);
			break;
		case V_RAW_FRAMED:
			write_all(fd, msg, sizeof(msg));
			break;
		case V_FRAME:
			st = ipc_frame_send(f, msg + 4, MSG,
			                    IPC_DEADLINE_NEVER);
			break;
		default:
			break;
		}
		if (st)
			die("send", st);
	}
	ipc_frame_close(f);
	ipc_pipe_close(p);
	ipc_sock_close(s);
}

static long reader(enum variant v, int fd)
{
	static unsigned char buf[CHUNK + 4 + MSG];
	ipc_frame *f = NULL;
	const void *data;
	size_t have = 0;
	size_t len;
	long got = 0;
	ssize_t n;
	ipc_status st;

	if (v == V_FRAME) {
		if ((st = ipc_frame_open(&f, fd, 0, 0)))
			die("frame_open", st);
		while ((st = ipc_frame_recv_borrow(f, &data, &len,
		                                   IPC_DEADLINE_NEVER)) == 0)
			got++;
		if (st != -EPIPE)
			die("recv", st);
		ipc_frame_close(f);
		return got;
	}
	for (;;) {
		n = read(fd, buf + have, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (v != V_RAW_FRAMED) {
			got += n;
			continue;
		}
		have += (size_t)n;
		/* Parse whole frames, keep the tail. */
		{
			size_t off = 0;
			uint32_t l;

			while (have - off >= 4) {
				memcpy(&l, buf + off, 4);
				if (have - off < 4 + (size_t)l)
					break;
				off += 4 + l;
				got++;
			}
			memmove(buf, buf + off, have - off);
			have -= off;
		}
	}
	return v == V_RAW_FRAMED ? got : got / MSG;
}

static void unpin(void)
{
	cpu_set_t all;
	int c;

	CPU_ZERO(&all);
	for (c = 0; c < CPU_SETSIZE; c++)
		CPU_SET(c, &all);
	(void)sched_setaffinity(0, sizeof(all), &all);
}

static double run_once(enum transport t, enum variant v, enum placement pl)
{
	int wcpu = pl == P_ANY ? -1 : 0;
	int rcpu = pl == P_ANY ? -1 : (pl == P_SAME ? 0 : 1);
	ipc_sock *rs = NULL;
	ipc_sock *ws_ = NULL;
	ipc_status st;
	ipc_deadline t0;
	int fds[2];
	long got;
	pid_t pid;
	int ws;

	if (t == T_PIPE) {
		if (pipe2(fds, O_CLOEXEC) < 0)
			die("pipe2", -errno);
	} else {
		if ((st = ipc_sock_pair(&rs, &ws_, IPC_SOCK_UNIX)))
			die("sock_pair", st);
		fds[0] = ipc_sock_fd(rs);
		fds[1] = ipc_sock_fd(ws_);
	}
	t0 = ipc_now();
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (rs != NULL)
			ipc_sock_close(rs);
		else
			close(fds[0]);
		pin(wcpu);
		writer(v, fds[1], ws_);
		_exit(0);
	}
	if (ws_ != NULL)
		ipc_sock_close(ws_);
	else
		close(fds[1]);
	pin(rcpu);
	got = reader(v, fds[0]);
	if (rs != NULL)
		ipc_sock_close(rs);
	else
		close(fds[0]);
	waitpid(pid, &ws, 0);
	unpin();
	if (got != messages) {
		fprintf(stderr, "bench_stream: %s got %ld of %ld\n",
		        variant_names[v], got, messages);
		exit(1);
	}
	return (double)messages / ((double)(ipc_now() - t0) / 1e9);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static const char *tnames[] = {"pipe", "unix stream"};
	double res[V_COUNT][MAX_REPS];
	double med[V_COUNT];
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	int i;
	int r;
	int v;
	int t;
	int pl;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			messages = 2000;
			reps = 1;
		} else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			messages = strtol(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
			reps = atoi(argv[++i]);
		} else {
			fprintf(stderr,
			        "usage: %s [--quick] [-n N] [-r REPS]\n",
			        argv[0]);
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || messages < 1)
		return 2;
	printf("bench_stream: %ld x %d-byte messages one way, median of %d, "
	       "libipc %s\n",
	       messages, MSG, reps, ipc_version());
	for (t = T_PIPE; t <= T_UNIX; t++) {
		for (pl = 0; pl < P_COUNT; pl++) {
			if (pl == P_SPLIT && ncpu < 2)
				continue;
			for (r = 0; r < reps; r++) {
				for (v = 0; v < V_COUNT; v++)
					res[v][r] =
					        run_once((enum transport)t,
					                 (enum variant)v,
					                 (enum placement)pl);
			}
			printf("\n%s, %s\n", tnames[t], placement_names[pl]);
			for (v = 0; v < V_COUNT; v++) {
				qsort(res[v], (size_t)reps, sizeof(double),
				      cmp_double);
				med[v] = res[v][reps / 2];
			}
			for (v = 0; v < V_COUNT; v++) {
				/* Framed variants compare with hand framing. */
				double base = v >= V_RAW_FRAMED
				                      ? med[V_RAW_FRAMED]
				                      : med[V_RAW];

				printf("  %-11s %10.0f msg/s   %5.2fx of %s\n",
				       variant_names[v], med[v], med[v] / base,
				       v >= V_RAW_FRAMED ? "raw-framed"
				                         : "raw");
			}
		}
	}
	return 0;
}
