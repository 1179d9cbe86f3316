/* SPDX-License-Identifier: MIT */
/*
 * bench_ipc - every channel kind and the ring against the raw mechanisms
 * beneath them, measured in one run (PERFORMANCE.md: these machines drift
 * 1.5-3x from day to day, so only ratios within one run mean anything).
 *
 * For every kind (below) and every placement of the two processes (both on
 * one CPU, on two CPUs, unpinned) it measures:
 *   rtt64    round trip of a 64-byte message: the parent sends, the child
 *            echoes; p50 and p99 of per-round-trip clock readings
 *   tput64   one-way throughput of 64-byte messages (msg/s)
 *   tput64k  one-way throughput of 64 KiB messages (MB/s)
 *   tput1m   one-way throughput of 1 MiB messages (MB/s)
 * Each measurement runs in a fresh pair of processes (fork; the child pins
 * itself with sched_setaffinity), for --time milliseconds after a warm-up.
 * Repetitions are interleaved: rep 1 runs every kind in table order, rep 2
 * in reverse order, and so on (A/B/B/A), and each figure is the median of
 * the repetitions. The kinds:
 *
 *   spinfutex   hand-written SPSC byte ring in shared memory; an empty or
 *               full side spins up to --spin-ns (20 us) then sleeps on a
 *               futex event count (the waker bumps a sequence word and
 *               calls FUTEX_WAKE only when a waiter is registered)
 *   futexring   the same ring without spinning: sleeps at once
 *   shmcopy     memcpy-bound copy through shared memory: fixed slots of
 *               the message size, a flag per slot, spin-then-yield; bulk
 *               sizes only
 *   ring        ipc_ring_send / ipc_ring_recv
 *   ring-zc     ipc_ring_reserve + memcpy + ipc_ring_commit; the consumer
 *               ipc_ring_peek()s, reads the first word in place, releases
 *   chan-ring   ipc_chan_send / ipc_chan_recv on ring:/name
 *   raw-pipe    write/read on pipe(2) with a hand-made 4-byte length frame
 *               (one writev per message, a 64 KiB buffered reader)
 *   chan-fd     channels on fd:N over those pipes; chan-fifo on fifo:/path
 *   raw-unix    AF_UNIX stream socketpair, framed as raw-pipe; chan-unix
 *   raw-unixpacket  socketpair send/recv; chan-unixpacket
 *   raw-unixgram    a bound receiver per direction, a connected sender,
 *               send/recv (as the channel is built); chan-unixgram
 *   raw-tcp     127.0.0.1, TCP_NODELAY, framed; chan-tcp
 *   raw-udp     127.0.0.1, connected send/recv; chan-udp (lossy: the
 *               receiver reports what arrived and the loss)
 *   raw-mq      mq_send / mq_receive, default attributes; chan-mq
 *   raw-sysvmq  msgsnd / msgrcv; chan-sysvmq
 *
 * Output: a table per metric, the ratios the issue's targets name with
 * PASS/MISS, and machine-readable lines:
 *   RESULT kind=ring metric=rtt64_p50_ns placement=split value=812
 *          ratio_vs=spinfutex ratio=1.160
 *   TARGET name=... value=... op=<= limit=1.5 PASS
 * Targets are never asserted: the exit status is 0 whatever the figures.
 *
 * Usage: bench_ipc [--quick] [--reps N] [--time MS] [--kinds a,b,...]
 *                  [--placements same,split,unpinned]
 *                  [--metrics rtt,64,64k,1m] [--spin-ns NS] [--json PATH]
 *                  [--list]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ipc/common.h>
#include <ipc/chan.h>
#include <ipc/url.h>
#include <ipc/ring.h>

/* ------------------------------------------------------------------ */
/* Parameters                                                          */

enum metric { M_RTT, M_T64, M_T64K, M_T1M, M_COUNT };
enum placement { P_SAME, P_SPLIT, P_ANY, P_COUNT };

static const size_t metric_size[M_COUNT] = {64, 64, 65536, 1048576};
static const char *metric_names[M_COUNT] = {"rtt", "64", "64k", "1m"};
static const char *placement_names[P_COUNT] = {"same", "split", "unpinned"};

#define BUF_CAP     ((size_t)(1 << 20) + 4096)
#define MAX_SAMPLES 400000
#define MAX_REPS    15
#define SHM_SLOTS   64
/* A datagram kind's receive gives up after this: the message was lost. */
#define LOSSY_TIMEOUT_MS 300

/* First byte of every message: what the receiver does with it. */
#define F_DATA 0
#define F_WARM 1
#define F_STOP 2

static int64_t dur_ns = 100 * 1000000LL;
static int reps = 3;
static bool quick;
static int64_t spin_ns = 20000;
static int cpu_a = 0, cpu_b = -1;
static int ncpu;
static cpu_set_t orig_mask;
static const char *json_path;
static unsigned int run_id;

static volatile sig_atomic_t alarmed;
static volatile sig_atomic_t stopping;

/* Shared between the two processes of a measurement. */
struct ctl {
	_Atomic unsigned int ready[2];
	_Atomic uint64_t sent;
	_Atomic int64_t t0; /* when the sender began the measured phase */
	char err[512];
};
static struct ctl *ctl;

static unsigned char *sbuf; /* what senders send */
static unsigned char *rbuf; /* where receivers receive */
static uint32_t *samples;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

/*
 * SIGINT/SIGTERM: end the measurement under way like the watchdog does, so
 * that its named objects are removed, then stop.
 */
static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
	alarmed = 1;
}

/* Retry an interrupted call unless the watchdog fired. */
static bool again(void)
{
	return errno == EINTR && !alarmed;
}

static long read_proc_long(const char *path, long dflt)
{
	FILE *f = fopen(path, "re");
	long v = dflt;

	if (f != NULL) {
		if (fscanf(f, "%ld", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0) {
		(void)sched_setaffinity(0, sizeof(orig_mask), &orig_mask);
		return;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof(set), &set);
}

/* ------------------------------------------------------------------ */
/* Per-process state of one measurement                                */

struct shr;
struct shc;

struct frd {
	int fd;
	size_t off;
	size_t len;
	unsigned char buf[65536];
};

struct bctx {
	const struct kind *k;
	int side;   /* 0 parent, 1 child; side s sends on link s */
	size_t msg; /* message size of this measurement */
	size_t cap; /* shared-memory capacity (rings, slots) */
	bool lossy; /* datagrams may be dropped: receives time out */
	char name[2][128];
	char url[2][256];
	char dir[64];
	int pfd[2][2]; /* pipes or socketpairs per link */
	int lfd;       /* tcp listener */
	int ufd[2];    /* udp sockets per side */
	uint16_t uport[2];
	int tx_fd;
	int rx_fd;
	struct frd *rd;
	mqd_t mq_tx;
	mqd_t mq_rx;
	int qid[2];
	void *shm[2];
	size_t shm_len;
	uint64_t ph;  /* producer position (local copy) */
	uint64_t ptc; /* producer's cached consumer position */
	uint64_t ct;  /* consumer position (local copy) */
	uint64_t chc; /* consumer's cached producer position */
	ipc_chan *cl[2];
	ipc_chan *ctx;
	ipc_chan *crx;
	ipc_ring *rtx;
	ipc_ring *rrx;
};

#define K_LOSSY 0x1u /* datagrams may be lost (udp) */
#define K_BULK  0x2u /* only the bulk sizes */

struct kind {
	const char *name;
	const char *base; /* the raw mechanism it wraps, or NULL */
	unsigned int flags;
	/* Largest message, 0 for no limit; @why says where it comes from. */
	size_t (*limit)(char *why, size_t n);
	int (*prepare)(struct bctx *c);
	int (*attach)(struct bctx *c);
	int (*send)(struct bctx *c, const void *buf, size_t len);
	int (*recv)(struct bctx *c, void *buf, size_t cap, size_t *n);
	void (*detach)(struct bctx *c);
	void (*cleanup)(struct bctx *c);
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void set_names(struct bctx *c, const char *tag)
{
	int l;

	for (l = 0; l < 2; l++)
		snprintf(c->name[l], sizeof(c->name[l]), "/ipcbench-%d-%u-%s%d",
		         (int)getpid(), run_id, tag, l);
}

/* ------------------------------------------------------------------ */
/* Framing for raw byte streams: a 4-byte length, one writev per       */
/* message, a 64 KiB buffered reader (the hand-written equivalent of   */
/* a framed channel).                                                  */

static int writev_all(int fd, struct iovec *iov, int cnt)
{
	ssize_t n;

	while (cnt > 0) {
		n = writev(fd, iov, cnt);
		if (n < 0) {
			if (again())
				continue;
			return -errno;
		}
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = read(fd, p, len);
		if (n < 0) {
			if (again())
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int frame_send(struct bctx *c, const void *buf, size_t len)
{
	uint32_t h = (uint32_t)len;
	struct iovec iov[2] = {{&h, 4}, {(void *)buf, len}};

	return writev_all(c->tx_fd, iov, 2);
}

static int frd_more(struct frd *r)
{
	ssize_t n;

	if (r->off > 0) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	for (;;) {
		n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n > 0)
			break;
		if (n == 0)
			return -EPIPE;
		if (!again())
			return -errno;
	}
	r->len += (size_t)n;
	return 0;
}

static int frame_recv(struct bctx *c, void *buf, size_t cap, size_t *n)
{
	struct frd *r = c->rd;
	uint32_t len;
	size_t have;
	int st;

	while (r->len - r->off < 4)
		if ((st = frd_more(r)))
			return st;
	memcpy(&len, r->buf + r->off, 4);
	if (len > cap)
		return -EMSGSIZE;
	r->off += 4;
	have = r->len - r->off;
	if (have >= len) {
		memcpy(buf, r->buf + r->off, len);
		r->off += len;
	} else {
		memcpy(buf, r->buf + r->off, have);
		r->off = r->len = 0;
		if ((st = read_full(r->fd, (char *)buf + have, len - have)))
			return st;
	}
	*n = len;
	return 0;
}

static int fd_attach_common(struct bctx *c)
{
	if (c->rd == NULL) {
		c->rd = malloc(sizeof(*c->rd));
		if (c->rd == NULL)
			return -ENOMEM;
	}
	c->rd->fd = c->rx_fd;
	c->rd->off = c->rd->len = 0;
	return 0;
}

static void fd_detach(struct bctx *c)
{
	if (c->rx_fd == c->tx_fd)
		c->rx_fd = -1;
	close_fd(&c->tx_fd);
	close_fd(&c->rx_fd);
	free(c->rd);
	c->rd = NULL;
}

/* raw-pipe: two pipes, one per direction. */
static int pipe_prepare(struct bctx *c)
{
	if (pipe2(c->pfd[0], O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(c->pfd[1], O_CLOEXEC) < 0) {
		close_fd(&c->pfd[0][0]);
		close_fd(&c->pfd[0][1]);
		return -errno;
	}
	return 0;
}

/* Keep this side's write end of link s and read end of link 1-s. */
static void pipe_split(struct bctx *c)
{
	int s = c->side;

	c->tx_fd = c->pfd[s][1];
	c->rx_fd = c->pfd[1 - s][0];
	c->pfd[s][1] = c->pfd[1 - s][0] = -1;
	close_fd(&c->pfd[s][0]);
	close_fd(&c->pfd[1 - s][1]);
}

static int pipe_attach(struct bctx *c)
{
	pipe_split(c);
	return fd_attach_common(c);
}

static void fds_cleanup(struct bctx *c)
{
	int l;

	for (l = 0; l < 2; l++) {
		close_fd(&c->pfd[l][0]);
		close_fd(&c->pfd[l][1]);
	}
}

/* raw-unix, raw-unixpacket: one socketpair. */
static int spair_prepare(struct bctx *c, int type)
{
	int sv[2];

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	c->pfd[0][0] = sv[0];
	c->pfd[1][0] = sv[1];
	return 0;
}

static int unix_prepare(struct bctx *c)
{
	return spair_prepare(c, SOCK_STREAM);
}

static int upacket_prepare(struct bctx *c)
{
	return spair_prepare(c, SOCK_SEQPACKET);
}

/*
 * raw-unixgram: what chan-unixgram does, by hand: a bound receiving socket
 * per direction and an unbound sender connected to it. Not a socketpair:
 * the kernel exempts sockets connected to each other from the receive
 * queue limit (net.unix.max_dgram_qlen, 10 here), so a socketpair is a
 * faster mechanism than the one the channel wraps.
 */
static int ugram_prepare(struct bctx *c)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int l;

	snprintf(c->dir, sizeof(c->dir), "/tmp/ipcbench.%d.%u", (int)getpid(),
	         run_id);
	if (mkdir(c->dir, 0700) < 0)
		return -errno;
	for (l = 0; l < 2; l++) {
		snprintf(c->name[l], sizeof(c->name[l]), "%s/g%d", c->dir, l);
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", c->name[l]);
		c->pfd[l][0] = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (c->pfd[l][0] < 0 ||
		    bind(c->pfd[l][0], (struct sockaddr *)&a, sizeof(a)) < 0)
			return -errno;
	}
	return 0;
}

/* Side s receives on the other side's bound socket and sends to its own
 * path, as cdgram_attach() does with channels. */
static int ugram_attach(struct bctx *c)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int s = c->side;

	c->rx_fd = c->pfd[1 - s][0];
	c->pfd[1 - s][0] = -1;
	close_fd(&c->pfd[s][0]);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", c->name[s]);
	c->tx_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->tx_fd < 0 ||
	    connect(c->tx_fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -errno;
	return fd_attach_common(c);
}

static void ugram_cleanup(struct bctx *c)
{
	int l;

	fds_cleanup(c);
	for (l = 0; l < 2; l++)
		if (c->name[l][0] == '/')
			unlink(c->name[l]);
	if (c->dir[0])
		rmdir(c->dir);
}

static int spair_attach(struct bctx *c)
{
	c->tx_fd = c->rx_fd = c->pfd[c->side][0];
	c->pfd[c->side][0] = -1;
	close_fd(&c->pfd[1 - c->side][0]);
	return fd_attach_common(c);
}

static int dgram_send(struct bctx *c, const void *buf, size_t len)
{
	for (;;) {
		if (send(c->tx_fd, buf, len, 0) >= 0)
			return 0;
		if (!again())
			return -errno;
	}
}

static int dgram_recv(struct bctx *c, void *buf, size_t cap, size_t *n)
{
	ssize_t r;

	for (;;) {
		r = recv(c->rx_fd, buf, cap, 0);
		if (r >= 0) {
			*n = (size_t)r;
			return 0;
		}
		if (errno == EAGAIN)
			return -ETIMEDOUT; /* SO_RCVTIMEO of a lossy kind */
		if (!again())
			return -errno;
	}
}

/* raw-tcp: a listener made before the fork; the child connects. */
static int tcp_prepare(struct bctx *c)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->lfd < 0)
		return -errno;
	if (bind(c->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(c->lfd, 4) < 0 ||
	    getsockname(c->lfd, (struct sockaddr *)&a, &al) < 0) {
		int e = errno;

		close_fd(&c->lfd);
		return -e;
	}
	c->uport[0] = ntohs(a.sin_port);
	return 0;
}

static int tcp_attach(struct bctx *c)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int one = 1;
	int fd;

	if (c->side == 1) {
		close_fd(&c->lfd);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = htons(c->uport[0]);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
	} else {
		do
			fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC);
		while (fd < 0 && again());
		if (fd < 0)
			return -errno;
		close_fd(&c->lfd);
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->tx_fd = c->rx_fd = fd;
	return fd_attach_common(c);
}

static void tcp_cleanup(struct bctx *c)
{
	close_fd(&c->lfd);
}

/* raw-udp: a bound socket per side, connected to the other one. */
static int udp_prepare(struct bctx *c)
{
	struct sockaddr_in a;
	socklen_t al;
	int s;

	for (s = 0; s < 2; s++) {
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		al = sizeof(a);
		c->ufd[s] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (c->ufd[s] < 0 ||
		    bind(c->ufd[s], (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    getsockname(c->ufd[s], (struct sockaddr *)&a, &al) < 0)
			return -errno;
		c->uport[s] = ntohs(a.sin_port);
	}
	return 0;
}

static void set_rcvtimeo(int fd, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int udp_attach(struct bctx *c)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int s = c->side;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(c->uport[1 - s]);
	c->tx_fd = c->rx_fd = c->ufd[s];
	c->ufd[s] = -1;
	close_fd(&c->ufd[1 - s]);
	if (connect(c->tx_fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -errno;
	if (c->lossy)
		set_rcvtimeo(c->rx_fd, LOSSY_TIMEOUT_MS);
	return 0;
}

static void udp_cleanup(struct bctx *c)
{
	close_fd(&c->ufd[0]);
	close_fd(&c->ufd[1]);
}

/* raw-mq: two POSIX queues with the system's default attributes. */
static int mq_prepare(struct bctx *c)
{
	mqd_t q;
	int l;

	set_names(c, "mq");
	for (l = 0; l < 2; l++) {
		q = mq_open(c->name[l], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		            0600, NULL);
		if (q == (mqd_t)-1)
			return -errno;
		mq_close(q);
	}
	return 0;
}

static int mq_attach(struct bctx *c)
{
	c->mq_tx = mq_open(c->name[c->side], O_WRONLY | O_CLOEXEC);
	if (c->mq_tx == (mqd_t)-1)
		return -errno;
	c->mq_rx = mq_open(c->name[1 - c->side], O_RDONLY | O_CLOEXEC);
	if (c->mq_rx == (mqd_t)-1)
		return -errno;
	return 0;
}

static int rmq_send(struct bctx *c, const void *buf, size_t len)
{
	while (mq_send(c->mq_tx, buf, len, 0) < 0)
		if (!again())
			return -errno;
	return 0;
}

static int rmq_recv(struct bctx *c, void *buf, size_t cap, size_t *n)
{
	ssize_t r;

	while ((r = mq_receive(c->mq_rx, buf, cap, NULL)) < 0)
		if (!again())
			return -errno;
	*n = (size_t)r;
	return 0;
}

static void mq_detach(struct bctx *c)
{
	if (c->mq_tx != (mqd_t)-1)
		mq_close(c->mq_tx);
	if (c->mq_rx != (mqd_t)-1)
		mq_close(c->mq_rx);
	c->mq_tx = c->mq_rx = (mqd_t)-1;
}

static void mq_cleanup(struct bctx *c)
{
	mq_unlink(c->name[0]);
	mq_unlink(c->name[1]);
}

/* raw-sysvmq: two private System V queues, inherited over the fork. */
struct sysv_msg {
	long type;
	unsigned char data[65536];
};
static struct sysv_msg *sysv_tx;
static struct sysv_msg *sysv_rx;

static int sysv_prepare(struct bctx *c)
{
	int l;

	for (l = 0; l < 2; l++) {
		c->qid[l] = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		if (c->qid[l] < 0)
			return -errno;
	}
	return 0;
}

static int sysv_attach(struct bctx *c)
{
	(void)c;
	return 0;
}

static int sysv_send(struct bctx *c, const void *buf, size_t len)
{
	sysv_tx->type = 1;
	memcpy(sysv_tx->data, buf, len);
	while (msgsnd(c->qid[c->side], sysv_tx, len, 0) < 0)
		if (!again())
			return -errno;
	return 0;
}

static int sysv_recv(struct bctx *c, void *buf, size_t cap, size_t *n)
{
	ssize_t r;

	(void)cap;
	while ((r = msgrcv(c->qid[1 - c->side], sysv_rx, sizeof(sysv_rx->data),
	                   0, 0)) < 0)
		if (!again())
			return -errno;
	memcpy(buf, sysv_rx->data, (size_t)r);
	*n = (size_t)r;
	return 0;
}

static void sysv_cleanup(struct bctx *c)
{
	int l;

	for (l = 0; l < 2; l++)
		if (c->qid[l] >= 0)
			msgctl(c->qid[l], IPC_RMID, NULL);
}

/* ------------------------------------------------------------------ */
/* spinfutex / futexring: a hand-written SPSC byte ring in shared      */
/* memory. Records are an 8-byte header (length) and the payload       */
/* rounded up to 8; a record that does not fit before the end leaves   */
/* a wrap marker. Each side keeps a cached copy of the other side's    */
/* position and reloads it only when the ring looks empty or full.     */
/* Sleeping uses an event count per direction (PERFORMANCE.md,         */
/* finding 3): register as a waiter, read the sequence, re-check,      */
/* FUTEX_WAIT on the sequence; the waker bumps the sequence and wakes  */
/* only when a waiter is registered.                                   */

#define SHR_HDR  512
#define SHR_WRAP 0xffffffffu

struct shr {
	_Alignas(64) _Atomic uint64_t head;
	_Alignas(64) _Atomic uint64_t tail;
	_Alignas(64) _Atomic uint32_t data_seq;
	_Atomic uint32_t data_wait;
	_Alignas(64) _Atomic uint32_t room_seq;
	_Atomic uint32_t room_wait;
	_Alignas(64) uint64_t cap;
};

static long futex(_Atomic uint32_t *uaddr, int op, uint32_t val)
{
	/* Not FUTEX_PRIVATE_FLAG: the word is shared between processes. */
	return syscall(SYS_futex, (uint32_t *)uaddr, op, val, NULL, NULL, 0);
}

/* Wait until *pos differs from @old. */
static int shr_wait(_Atomic uint64_t *pos, uint64_t old, _Atomic uint32_t *seq,
                    _Atomic uint32_t *waiters, int64_t spin)
{
	uint32_t s;
	int64_t t0;
	unsigned int i;

	if (spin > 0) {
		t0 = now_ns();
		for (i = 1;; i++) {
			if (atomic_load_explicit(pos, memory_order_acquire) !=
			    old)
				return 0;
			cpu_relax();
			if ((i & 15) == 0 && now_ns() - t0 > spin)
				break;
		}
	}
	atomic_fetch_add(waiters, 1);
	for (;;) {
		s = atomic_load(seq);
		if (atomic_load(pos) != old)
			break;
		futex(seq, FUTEX_WAIT, s);
		if (alarmed) {
			atomic_fetch_sub(waiters, 1);
			return -EINTR;
		}
	}
	atomic_fetch_sub(waiters, 1);
	return 0;
}

static void shr_wake(_Atomic uint32_t *seq, _Atomic uint32_t *waiters)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(waiters, memory_order_relaxed) != 0) {
		atomic_fetch_add(seq, 1);
		futex(seq, FUTEX_WAKE, INT_MAX);
	}
}

static int shm_map(struct bctx *c, size_t len)
{
	int l;

	c->shm_len = len;
	for (l = 0; l < 2; l++) {
		c->shm[l] = mmap(NULL, len, PROT_READ | PROT_WRITE,
		                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (c->shm[l] == MAP_FAILED) {
			c->shm[l] = NULL;
			return -errno;
		}
	}
	return 0;
}

static void shm_cleanup(struct bctx *c)
{
	int l;

	for (l = 0; l < 2; l++)
		if (c->shm[l] != NULL)
			munmap(c->shm[l], c->shm_len);
	c->shm[0] = c->shm[1] = NULL;
}

static int shr_prepare(struct bctx *c)
{
	int st = shm_map(c, SHR_HDR + c->cap);
	int l;

	if (st)
		return st;
	for (l = 0; l < 2; l++)
		((struct shr *)c->shm[l])->cap = c->cap;
	return 0;
}

static int shr_attach(struct bctx *c)
{
	c->ph = c->ptc = c->ct = c->chc = 0;
	return 0;
}

static int shr_send_spin(struct bctx *c, const void *buf, size_t len,
                         int64_t spin)
{
	struct shr *r = c->shm[c->side];
	unsigned char *data = (unsigned char *)r + SHR_HDR;
	uint64_t cap = r->cap;
	uint64_t rec = 8 + ((len + 7) & ~(uint64_t)7);
	uint64_t off = c->ph & (cap - 1);
	uint64_t contig = cap - off;
	uint64_t need = rec <= contig ? rec : contig + rec;
	uint32_t h = (uint32_t)len;
	int st;

	if (rec > cap / 2)
		return -EMSGSIZE;
	while (cap - (c->ph - c->ptc) < need) {
		c->ptc = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (cap - (c->ph - c->ptc) >= need)
			break;
		st = shr_wait(&r->tail, c->ptc, &r->room_seq, &r->room_wait,
		              spin);
		if (st)
			return st;
	}
	if (rec > contig) {
		uint32_t w = SHR_WRAP;

		memcpy(data + off, &w, 4);
		c->ph += contig;
		off = 0;
	}
	memcpy(data + off, &h, 4);
	memcpy(data + off + 8, buf, len);
	c->ph += rec;
	atomic_store_explicit(&r->head, c->ph, memory_order_release);
	shr_wake(&r->data_seq, &r->data_wait);
	return 0;
}

static int shr_recv_spin(struct bctx *c, void *buf, size_t cap_buf, size_t *n,
                         int64_t spin)
{
	struct shr *r = c->shm[1 - c->side];
	unsigned char *data = (unsigned char *)r + SHR_HDR;
	uint64_t cap = r->cap;
	uint64_t off;
	uint32_t h;
	int st;

	for (;;) {
		while (c->chc == c->ct) {
			c->chc = atomic_load_explicit(&r->head,
			                              memory_order_acquire);
			if (c->chc != c->ct)
				break;
			st = shr_wait(&r->head, c->ct, &r->data_seq,
			              &r->data_wait, spin);
			if (st)
				return st;
		}
		off = c->ct & (cap - 1);
		memcpy(&h, data + off, 4);
		if (h != SHR_WRAP)
			break;
		c->ct += cap - off;
	}
	if (h > cap_buf)
		return -EMSGSIZE;
	memcpy(buf, data + off + 8, h);
	c->ct += 8 + ((h + 7) & ~(uint64_t)7);
	atomic_store_explicit(&r->tail, c->ct, memory_order_release);
	shr_wake(&r->room_seq, &r->room_wait);
	*n = h;
	return 0;
}

static int spinf_send(struct bctx *c, const void *buf, size_t len)
{
	return shr_send_spin(c, buf, len, spin_ns);
}

static int spinf_recv(struct bctx *c, void *buf, size_t cap, size_t *n)
{
	return shr_recv_spin(c, buf, cap, n, spin_ns);
}

static int futr_send(struct bctx *c, const void *buf, size_t len)
{
	return shr_send_spin(c, buf, len, 0);
}

static int futr_recv(struct bctx *c, void *buf, size_t cap, size_t *n)
{
	return shr_recv_spin(c, buf, cap, n, 0);
}

/* shmcopy: fixed slots of the message size, one flag line per slot. */
struct shc {
	struct {
		_Alignas(64) _Atomic uint32_t full; /* length + 1, or 0 */
	} flag[SHM_SLOTS];
};

static size_t shc_slots(const struct bctx *c)
{
	size_t n = c->cap / c->msg;

	return n < 2 ? 2 : n > SHM_SLOTS ? SHM_SLOTS : n;
}

static int shc_prepare(struct bctx *c)
{
	return shm_map(c, sizeof(struct shc) + shc_slots(c) * c->msg);
}

static int shc_wait(_Atomic uint32_t *w, bool want_full)
{
	unsigned int i;

	for (i = 0;; i++) {
		if ((atomic_load_explicit(w, memory_order_acquire) != 0) ==
		    want_full)
			return 0;
		if (alarmed)
			return -EINTR;
		if (i < 2000)
			cpu_relax();
		else
			sched_yield();
	}
}

static int shc_send(struct bctx *c, const void *buf, size_t len)
{
	struct shc *s = c->shm[c->side];
	size_t i = c->ph % shc_slots(c);
	int st;

	if (len > c->msg)
		return -EMSGSIZE;
	if ((st = shc_wait(&s->flag[i].full, false)))
		return st;
	memcpy((unsigned char *)(s + 1) + i * c->msg, buf, len);
	atomic_store_explicit(&s->flag[i].full, (uint32_t)len + 1,
	                      memory_order_release);
	c->ph++;
	return 0;
}

static int shc_recv(struct bctx *c, void *buf, size_t cap, size_t *n)
{
	struct shc *s = c->shm[1 - c->side];
	size_t i = c->ct % shc_slots(c);
	size_t len;
	int st;

	(void)cap;
	if ((st = shc_wait(&s->flag[i].full, true)))
		return st;
	len = atomic_load_explicit(&s->flag[i].full, memory_order_relaxed) - 1;
	memcpy(buf, (unsigned char *)(s + 1) + i * c->msg, len);
	atomic_store_explicit(&s->flag[i].full, 0, memory_order_release);
	c->ct++;
	*n = len;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The ring through ipc_ring_* directly                                */

static int ring_prepare(struct bctx *c)
{
	ipc_ring *r;
	int st;
	int l;

	set_names(c, "ring");
	for (l = 0; l < 2; l++) {
		st = ipc_ring_open(&r, c->name[l],
		                   IPC_O_RDWR | IPC_O_CREATE | IPC_O_EXCL, 0,
		                   c->cap);
		if (st)
			return st;
		ipc_ring_close(r);
	}
	return 0;
}

static int ring_attach(struct bctx *c)
{
	int st;

	st = ipc_ring_open(&c->rtx, c->name[c->side], IPC_O_WRITE, 0, 0);
	if (st == 0)
		st = ipc_ring_open(&c->rrx, c->name[1 - c->side], IPC_O_READ, 0,
		                   0);
	return st;
}

static int ring_send(struct bctx *c, const void *buf, size_t len)
{
	return ipc_ring_send(c->rtx, buf, len, IPC_DEADLINE_NEVER);
}

static int ring_recv(struct bctx *c, void *buf, size_t cap, size_t *n)
{
	return ipc_ring_recv(c->rrx, buf, cap, n, IPC_DEADLINE_NEVER);
}

static int ringzc_send(struct bctx *c, const void *buf, size_t len)
{
	void *p;
	int st;

	st = ipc_ring_reserve(c->rtx, len, &p, IPC_DEADLINE_NEVER);
	if (st)
		return st;
	memcpy(p, buf, len);
	return ipc_ring_commit(c->rtx, len);
}

/* Zero-copy consumer: reads the first word in place, then releases. */
static int ringzc_recv(struct bctx *c, void *buf, size_t cap, size_t *n)
{
	const void *p;
	size_t len;
	int st;

	st = ipc_ring_peek(c->rrx, &p, &len, IPC_DEADLINE_NEVER);
	if (st)
		return st;
	memcpy(buf, p, len < 8 ? len : 8 < cap ? 8 : cap);
	*n = len;
	return ipc_ring_release(c->rrx);
}

static void ring_detach(struct bctx *c)
{
	ipc_ring_close(c->rtx);
	ipc_ring_close(c->rrx);
	c->rtx = c->rrx = NULL;
}

static void ring_cleanup(struct bctx *c)
{
	ipc_ring_unlink(c->name[0]);
	ipc_ring_unlink(c->name[1]);
}

/* ------------------------------------------------------------------ */
/* Channels                                                            */

static int chan_send(struct bctx *c, const void *buf, size_t len)
{
	return ipc_chan_send(c->ctx, buf, len, IPC_DEADLINE_NEVER);
}

static int chan_recv(struct bctx *c, void *buf, size_t cap, size_t *n)
{
	ipc_deadline d = c->lossy ? ipc_deadline_in_ms(LOSSY_TIMEOUT_MS)
	                          : IPC_DEADLINE_NEVER;

	return ipc_chan_recv(c->crx, buf, cap, n, d);
}

static void chan_detach(struct bctx *c)
{
	if (c->crx == c->ctx)
		c->crx = NULL;
	ipc_chan_close(c->ctx);
	ipc_chan_close(c->crx);
	c->ctx = c->crx = NULL;
}

static void chan_cleanup(struct bctx *c)
{
	int l;

	for (l = 0; l < 2; l++) {
		ipc_chan_close(c->cl[l]);
		c->cl[l] = NULL;
	}
}

/* Open link 0 then link 1 (a FIFO open waits for its peer). */
static int chan_open_links(struct bctx *c)
{
	ipc_deadline d = ipc_deadline_in_ms(5000);
	int st;
	int l;

	for (l = 0; l < 2; l++) {
		if (l == c->side)
			st = ipc_chan_open(&c->ctx, c->url[l], IPC_O_WRITE,
			                   NULL, d);
		else
			st = ipc_chan_open(&c->crx, c->url[l], IPC_O_READ, NULL,
			                   d);
		if (st)
			return st;
	}
	return 0;
}

/* chan-fd: fd:N over the pipes of raw-pipe. */
static int cfd_attach(struct bctx *c)
{
	int st;

	pipe_split(c);
	snprintf(c->url[c->side], sizeof(c->url[0]), "fd:%d", c->tx_fd);
	snprintf(c->url[1 - c->side], sizeof(c->url[0]), "fd:%d", c->rx_fd);
	/* The channels own the descriptors from here. */
	c->tx_fd = c->rx_fd = -1;
	st = chan_open_links(c);
	return st;
}

static int cfifo_prepare(struct bctx *c)
{
	int l;

	snprintf(c->dir, sizeof(c->dir), "/tmp/ipcbench.%d.%u", (int)getpid(),
	         run_id);
	if (mkdir(c->dir, 0700) < 0)
		return -errno;
	for (l = 0; l < 2; l++) {
		snprintf(c->name[l], sizeof(c->name[l]), "%s/f%d", c->dir, l);
		if (mkfifo(c->name[l], 0600) < 0)
			return -errno;
		snprintf(c->url[l], sizeof(c->url[l]), "fifo:%s", c->name[l]);
	}
	return 0;
}

static void path_cleanup(struct bctx *c)
{
	int l;

	chan_cleanup(c);
	for (l = 0; l < 2; l++)
		if (c->name[l][0] == '/')
			unlink(c->name[l]);
	if (c->dir[0])
		rmdir(c->dir);
}

/* chan-mq, chan-sysvmq, chan-ring: named objects created here. */
static int cnamed_create(struct bctx *c)
{
	struct ipc_chan_opts o = {.capacity = c->cap};
	ipc_chan *ch;
	int st;
	int l;

	for (l = 0; l < 2; l++) {
		st = ipc_chan_open(
		        &ch, c->url[l], IPC_O_RDWR | IPC_O_CREATE | IPC_O_EXCL,
		        strncmp(c->url[l], "ring:", 5) == 0 ? &o : NULL,
		        IPC_DEADLINE_NOW);
		if (st) {
			fprintf(stderr, "bench_ipc: open %s: %s (%s)\n",
			        c->url[l], ipc_strerror(st), ipc_detail());
			return st;
		}
		ipc_chan_close(ch);
	}
	return 0;
}

static int cmq_prepare(struct bctx *c)
{
	int l;

	set_names(c, "cmq");
	for (l = 0; l < 2; l++)
		snprintf(c->url[l], sizeof(c->url[l]), "mq:%s", c->name[l]);
	return cnamed_create(c);
}

static int cring_prepare(struct bctx *c)
{
	int l;

	set_names(c, "cring");
	for (l = 0; l < 2; l++)
		snprintf(c->url[l], sizeof(c->url[l]), "ring:%s", c->name[l]);
	return cnamed_create(c);
}

static int csysv_prepare(struct bctx *c)
{
	static unsigned int seq;
	int st = -EEXIST;
	int tries;
	int l;

	for (tries = 0; tries < 64 && st == -EEXIST; tries++) {
		for (l = 0; l < 2; l++)
			snprintf(
			        c->url[l], sizeof(c->url[l]), "sysvmq:%d",
			        (int)(0x49500000u |
			              (((unsigned int)getpid() & 0xfffu) << 8) |
			              ((seq++ & 0x7fu) << 1) | (unsigned)l));
		st = cnamed_create(c);
		if (st == -EEXIST)
			ipc_unlink_url(c->url[0]);
	}
	return st;
}

static void cnamed_cleanup(struct bctx *c)
{
	ipc_unlink_url(c->url[0]);
	ipc_unlink_url(c->url[1]);
}

/* Stream sockets: one listener; the child connects, the parent accepts. */
static int cstream_prepare(struct bctx *c, const char *fmt)
{
	int st;

	snprintf(c->dir, sizeof(c->dir), "/tmp/ipcbench.%d.%u", (int)getpid(),
	         run_id);
	if (strstr(fmt, "%s") != NULL && mkdir(c->dir, 0700) < 0)
		return -errno;
	snprintf(c->name[0], sizeof(c->name[0]), "%s/s0", c->dir);
	snprintf(c->url[0], sizeof(c->url[0]), fmt, c->name[0]);
	st = ipc_chan_listen(&c->cl[0], c->url[0], 0, NULL);
	if (st)
		return st;
	snprintf(c->url[0], sizeof(c->url[0]), "%s", ipc_chan_url(c->cl[0]));
	if (strstr(fmt, "%s") == NULL)
		c->name[0][0] = 0;
	return 0;
}

static int cunix_prepare(struct bctx *c)
{
	return cstream_prepare(c, "unix:%s");
}

static int cupacket_prepare(struct bctx *c)
{
	return cstream_prepare(c, "unixpacket:%s");
}

static int ctcp_prepare(struct bctx *c)
{
	return cstream_prepare(c, "tcp://127.0.0.1:0");
}

static int cstream_attach(struct bctx *c)
{
	int st;

	if (c->side == 1) {
		ipc_chan_close(c->cl[0]);
		c->cl[0] = NULL;
		st = ipc_chan_connect(&c->ctx, c->url[0], NULL,
		                      ipc_deadline_in_ms(5000));
	} else {
		st = ipc_chan_accept(c->cl[0], &c->ctx,
		                     ipc_deadline_in_ms(5000));
		ipc_chan_close(c->cl[0]);
		c->cl[0] = NULL;
	}
	c->crx = c->ctx;
	return st;
}

/* Datagram kinds: link L is received on the bound channel cl[L]. */
static int cdgram_prepare(struct bctx *c, const char *fmt)
{
	int st;
	int l;

	snprintf(c->dir, sizeof(c->dir), "/tmp/ipcbench.%d.%u", (int)getpid(),
	         run_id);
	if (strstr(fmt, "%s") != NULL && mkdir(c->dir, 0700) < 0)
		return -errno;
	for (l = 0; l < 2; l++) {
		snprintf(c->name[l], sizeof(c->name[l]), "%s/d%d", c->dir, l);
		snprintf(c->url[l], sizeof(c->url[l]), fmt, c->name[l]);
		st = ipc_chan_listen(&c->cl[l], c->url[l], 0, NULL);
		if (st)
			return st;
		snprintf(c->url[l], sizeof(c->url[l]), "%s",
		         ipc_chan_url(c->cl[l]));
	}
	if (strstr(fmt, "%s") == NULL)
		c->name[0][0] = c->name[1][0] = 0;
	return 0;
}

static int cugram_prepare(struct bctx *c)
{
	return cdgram_prepare(c, "unixgram:%s");
}

static int cudp_prepare(struct bctx *c)
{
	return cdgram_prepare(c, "udp://127.0.0.1:0");
}

static int cdgram_attach(struct bctx *c)
{
	int s = c->side;

	c->crx = c->cl[1 - s];
	c->cl[1 - s] = NULL;
	ipc_chan_close(c->cl[s]);
	c->cl[s] = NULL;
	return ipc_chan_connect(&c->ctx, c->url[s], NULL,
	                        ipc_deadline_in_ms(5000));
}

static int cdgram_connect_attach(struct bctx *c)
{
	return cdgram_attach(c);
}

/* ------------------------------------------------------------------ */
/* Limits                                                              */

static size_t lim_mq(char *why, size_t n)
{
	long v = read_proc_long("/proc/sys/fs/mqueue/msgsize_default", 8192);

	snprintf(why, n, "mq_msgsize is %ld (fs.mqueue.msgsize_default)", v);
	return (size_t)v;
}

static size_t lim_sysv(char *why, size_t n)
{
	long v = read_proc_long("/proc/sys/kernel/msgmax", 8192);
	long b = read_proc_long("/proc/sys/kernel/msgmnb", 16384);

	if (v > b)
		v = b;
	if (v > (long)sizeof(sysv_tx->data))
		v = (long)sizeof(sysv_tx->data);
	snprintf(why, n, "System V messages are at most %ld B (kernel.msgmax)",
	         v);
	return (size_t)v;
}

static size_t lim_udp(char *why, size_t n)
{
	snprintf(why, n, "a UDP/IPv4 datagram carries at most 65507 B");
	return 65507;
}

static size_t lim_udgram(char *why, size_t n)
{
	long v = read_proc_long("/proc/sys/net/core/wmem_default", 212992);

	snprintf(why, n,
	         "a Unix datagram must fit SO_SNDBUF - 32 = %ld B "
	         "(net.core.wmem_default)",
	         v - 32);
	return (size_t)(v - 32);
}

static size_t lim_bulk(char *why, size_t n)
{
	snprintf(why, n,
	         "bulk baseline only (fixed slots of the message size)");
	return 0;
}

/* ------------------------------------------------------------------ */
/* The kinds, in the order they run (each wrapper next to its base)    */

static void none_detach(struct bctx *c)
{
	(void)c;
}

static const struct kind kinds[] = {
        {"spinfutex", NULL, 0, NULL, shr_prepare, shr_attach, spinf_send,
         spinf_recv, none_detach, shm_cleanup},
        {"futexring", NULL, 0, NULL, shr_prepare, shr_attach, futr_send,
         futr_recv, none_detach, shm_cleanup},
        {"shmcopy", NULL, K_BULK, lim_bulk, shc_prepare, shr_attach, shc_send,
         shc_recv, none_detach, shm_cleanup},
        {"ring", NULL, 0, NULL, ring_prepare, ring_attach, ring_send, ring_recv,
         ring_detach, ring_cleanup},
        {"ring-zc", NULL, 0, NULL, ring_prepare, ring_attach, ringzc_send,
         ringzc_recv, ring_detach, ring_cleanup},
        {"chan-ring", "ring", 0, NULL, cring_prepare, chan_open_links,
         chan_send, chan_recv, chan_detach, cnamed_cleanup},
        {"raw-pipe", NULL, 0, NULL, pipe_prepare, pipe_attach, frame_send,
         frame_recv, fd_detach, fds_cleanup},
        {"chan-fd", "raw-pipe", 0, NULL, pipe_prepare, cfd_attach, chan_send,
         chan_recv, chan_detach, fds_cleanup},
        {"chan-fifo", "raw-pipe", 0, NULL, cfifo_prepare, chan_open_links,
         chan_send, chan_recv, chan_detach, path_cleanup},
        {"raw-unix", NULL, 0, NULL, unix_prepare, spair_attach, frame_send,
         frame_recv, fd_detach, fds_cleanup},
        {"chan-unix", "raw-unix", 0, NULL, cunix_prepare, cstream_attach,
         chan_send, chan_recv, chan_detach, path_cleanup},
        {"raw-unixpacket", NULL, 0, lim_udgram, upacket_prepare, spair_attach,
         dgram_send, dgram_recv, fd_detach, fds_cleanup},
        {"chan-unixpacket", "raw-unixpacket", 0, lim_udgram, cupacket_prepare,
         cstream_attach, chan_send, chan_recv, chan_detach, path_cleanup},
        {"raw-unixgram", NULL, 0, lim_udgram, ugram_prepare, ugram_attach,
         dgram_send, dgram_recv, fd_detach, ugram_cleanup},
        {"chan-unixgram", "raw-unixgram", 0, lim_udgram, cugram_prepare,
         cdgram_connect_attach, chan_send, chan_recv, chan_detach,
         path_cleanup},
        {"raw-tcp", NULL, 0, NULL, tcp_prepare, tcp_attach, frame_send,
         frame_recv, fd_detach, tcp_cleanup},
        {"chan-tcp", "raw-tcp", 0, NULL, ctcp_prepare, cstream_attach,
         chan_send, chan_recv, chan_detach, path_cleanup},
        {"raw-udp", NULL, K_LOSSY, lim_udp, udp_prepare, udp_attach, dgram_send,
         dgram_recv, fd_detach, udp_cleanup},
        {"chan-udp", "raw-udp", K_LOSSY, lim_udp, cudp_prepare,
         cdgram_connect_attach, chan_send, chan_recv, chan_detach,
         path_cleanup},
        {"raw-mq", NULL, 0, lim_mq, mq_prepare, mq_attach, rmq_send, rmq_recv,
         mq_detach, mq_cleanup},
        {"chan-mq", "raw-mq", 0, lim_mq, cmq_prepare, chan_open_links,
         chan_send, chan_recv, chan_detach, cnamed_cleanup},
        {"raw-sysvmq", NULL, 0, lim_sysv, sysv_prepare, sysv_attach, sysv_send,
         sysv_recv, none_detach, sysv_cleanup},
        {"chan-sysvmq", "raw-sysvmq", 0, lim_sysv, csysv_prepare,
         chan_open_links, chan_send, chan_recv, chan_detach, cnamed_cleanup},
};

#define NKINDS ((int)(sizeof(kinds) / sizeof(kinds[0])))

static int kind_index(const char *name)
{
	int i;

	for (i = 0; i < NKINDS; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Roles                                                               */

struct result {
	int status;      /* 0 measured, 1 skipped, 2 failed, -1 not run */
	double p50, p99; /* ns, round trips */
	double rate;     /* msg/s, throughput */
	double lost;     /* fraction of messages lost (lossy kinds) */
	long n;          /* samples or messages */
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a;
	uint32_t y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * One round trip. Messages carry a sequence number after the flag byte so
 * that a lossy kind can resend after a timeout and drop late replies.
 */
static int rtt_once(struct bctx *c, uint64_t seq, long *lost)
{
	const struct kind *k = c->k;
	uint64_t back;
	size_t got;
	int st;

	memcpy(sbuf + 1, &seq, sizeof(seq));
	if ((st = k->send(c, sbuf, 64)))
		return st;
	for (;;) {
		st = k->recv(c, rbuf, BUF_CAP, &got);
		if (st == -ETIMEDOUT && c->lossy && ++*lost < 100) {
			if ((st = k->send(c, sbuf, 64)))
				return st;
			continue;
		}
		if (st)
			return st;
		memcpy(&back, rbuf + 1, sizeof(back));
		if (got == 64 && back == seq)
			return 0;
	}
}

static int rtt_client(struct bctx *c, struct result *res)
{
	int warm = quick ? 20 : 300;
	int64_t t0, t1, end;
	uint64_t seq = 0;
	long lost = 0;
	long n = 0;
	int st;
	int i;

	sbuf[0] = F_DATA;
	for (i = 0; i < warm; i++)
		if ((st = rtt_once(c, ++seq, &lost)))
			return st;
	end = now_ns() + dur_ns;
	while (n < MAX_SAMPLES) {
		t0 = now_ns();
		if ((st = rtt_once(c, ++seq, &lost)))
			return st;
		t1 = now_ns();
		samples[n++] =
		        (uint32_t)(t1 - t0 > UINT32_MAX ? UINT32_MAX : t1 - t0);
		if (t1 > end)
			break;
	}
	sbuf[0] = F_STOP;
	st = c->k->send(c, sbuf, 64);
	sbuf[0] = F_DATA;
	qsort(samples, (size_t)n, sizeof(samples[0]), cmp_u32);
	res->p50 = samples[n / 2];
	res->p99 = samples[(n * 99) / 100];
	res->n = n;
	res->lost = (double)lost / (double)(n + warm);
	return st;
}

static int rtt_server(struct bctx *c)
{
	const struct kind *k = c->k;
	size_t got;
	int st;

	for (;;) {
		st = k->recv(c, rbuf, BUF_CAP, &got);
		if (st == -ETIMEDOUT && c->lossy)
			continue; /* the client resends; the watchdog ends us */
		if (st)
			return st;
		if (got > 0 && rbuf[0] == F_STOP)
			return 0;
		if ((st = k->send(c, rbuf, got)))
			return st;
	}
}

static int tput_sender(struct bctx *c)
{
	const struct kind *k = c->k;
	unsigned int mask = c->msg >= 4096 ? 0 : 63;
	int64_t start = now_ns();
	int64_t warm_end = start + dur_ns / 10;
	int64_t end = warm_end + dur_ns;
	uint64_t sent = 0;
	unsigned int i;
	int st;

	sbuf[0] = F_WARM;
	for (i = 0;; i++) {
		if ((st = k->send(c, sbuf, c->msg)))
			return st;
		if ((i & mask) == 0 && now_ns() > warm_end && i >= 8)
			break;
	}
	sbuf[0] = F_DATA;
	atomic_store(&ctl->t0, now_ns());
	for (i = 0;; i++) {
		if ((st = k->send(c, sbuf, c->msg)))
			return st;
		sent++;
		if ((i & mask) == 0 && now_ns() > end)
			break;
	}
	atomic_store(&ctl->sent, sent);
	sbuf[0] = F_STOP;
	st = k->send(c, sbuf, c->msg);
	/* Lossy kinds: two more, whose errors do not count (the receiver
	 * may be gone already: ECONNREFUSED). */
	for (i = 0; st == 0 && c->lossy && i < 2; i++)
		(void)k->send(c, sbuf, c->msg);
	sbuf[0] = F_DATA;
	return st;
}

static int tput_receiver(struct bctx *c, struct result *res)
{
	const struct kind *k = c->k;
	int64_t t0, t1 = 0, tlast = 0;
	uint64_t data = 0;
	size_t got;
	bool started = false;
	int st;

	for (;;) {
		st = k->recv(c, rbuf, BUF_CAP, &got);
		if (st == -ETIMEDOUT && c->lossy && !started)
			continue;
		if (st == -ETIMEDOUT && c->lossy) {
			t1 = tlast; /* every STOP was lost */
			break;
		}
		if (st)
			return st;
		if (got != c->msg)
			return -EBADMSG;
		if (rbuf[0] == F_DATA) {
			data++;
			started = true;
			if (c->lossy)
				tlast = now_ns();
		} else if (rbuf[0] == F_STOP) {
			t1 = now_ns();
			break;
		}
	}
	/*
	 * The interval runs from the sender's first measured send to the
	 * receipt of STOP: every message of it has crossed by then, however
	 * the two processes were scheduled (on one CPU a sender may fill a
	 * deep kernel buffer before the receiver runs at all).
	 */
	t0 = atomic_load(&ctl->t0);
	if (!started || t0 == 0 || t1 <= t0)
		return -ENODATA;
	res->rate = (double)data / ((double)(t1 - t0) / 1e9);
	res->n = (long)data;
	if (c->lossy) {
		uint64_t sent = atomic_load(&ctl->sent);

		res->lost =
		        sent > data ? (double)(sent - data) / (double)sent : 0;
	}
	return 0;
}

/* Both processes attached: go together. */
static int barrier(int side, unsigned int gen)
{
	atomic_store(&ctl->ready[side], gen);
	while (atomic_load(&ctl->ready[1 - side]) != gen) {
		if (alarmed)
			return -ETIMEDOUT;
		sched_yield();
	}
	return 0;
}

static void init_ctx(struct bctx *c, const struct kind *k, enum metric m)
{
	size_t msg = metric_size[m];

	memset(c, 0, sizeof(*c));
	c->k = k;
	c->msg = msg;
	c->cap = msg >= (1u << 20) ? (size_t)4 << 20 : (size_t)1 << 20;
	/*
	 * Receives time out only where a lost datagram would end a
	 * throughput run; round trips of lossy kinds block like the others
	 * (a loss there is left to the watchdog), so that raw and wrapped
	 * kinds take the same blocking path.
	 */
	c->lossy = (k->flags & K_LOSSY) != 0 && m != M_RTT;
	c->pfd[0][0] = c->pfd[0][1] = c->pfd[1][0] = c->pfd[1][1] = -1;
	c->lfd = c->ufd[0] = c->ufd[1] = c->tx_fd = c->rx_fd = -1;
	c->mq_tx = c->mq_rx = (mqd_t)-1;
	c->qid[0] = c->qid[1] = -1;
}

static void child_fail(const char *what, int st)
{
	snprintf(ctl->err, sizeof(ctl->err), "child: %s: %s", what,
	         ipc_strerror(st));
	_exit(1);
}

static unsigned int timeout_s(void)
{
	return quick ? 5u : (unsigned int)(10 + 4 * dur_ns / 1000000000LL);
}

/* One measurement in a fresh pair of processes. */
static void run_one(const struct kind *k, enum metric m, enum placement p,
                    struct result *res, char *err, size_t errlen)
{
	int pcpu = p == P_ANY ? -1 : cpu_a;
	int ccpu = p == P_ANY ? -1 : p == P_SAME ? cpu_a : cpu_b;
	struct bctx c;
	int64_t t;
	pid_t pid;
	int wst = 0;
	int st;
	int cst = 0;

	memset(res, 0, sizeof(*res));
	err[0] = 0;
	run_id++;
	init_ctx(&c, k, m);
	memset(ctl, 0, sizeof(*ctl));
	alarmed = stopping;
	if ((st = k->prepare(&c))) {
		snprintf(err, errlen, "prepare: %s", ipc_strerror(st));
		k->cleanup(&c);
		res->status = 2;
		return;
	}
	pin(pcpu);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		k->cleanup(&c);
		res->status = 2;
		return;
	}
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		alarm(timeout_s());
		pin(ccpu);
		c.side = 1;
		if ((st = k->attach(&c)))
			child_fail("attach", st);
		if ((st = barrier(1, run_id)))
			child_fail("barrier", st);
		st = m == M_RTT ? rtt_server(&c) : tput_sender(&c);
		if (st)
			child_fail(m == M_RTT ? "echo" : "send", st);
		k->detach(&c);
		_exit(0);
	}
	alarm(timeout_s());
	c.side = 0;
	st = k->attach(&c);
	if (st == 0)
		st = barrier(0, run_id);
	else
		snprintf(err, errlen, "attach: %s", ipc_strerror(st));
	if (st == 0) {
		st = m == M_RTT ? rtt_client(&c, res) : tput_receiver(&c, res);
		if (st)
			snprintf(err, errlen, "%s: %s%s",
			         m == M_RTT ? "round trip" : "receive",
			         ipc_strerror(st),
			         alarmed ? " (watchdog)" : "");
	}
	k->detach(&c);
	/* Reap the child; kill it if it lingers. */
	t = now_ns();
	for (;;) {
		pid_t r = waitpid(pid, &wst, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			break;
		if (now_ns() - t > 3000000000LL) {
			kill(pid, SIGKILL);
			waitpid(pid, &wst, 0);
			cst = -ETIMEDOUT;
			break;
		}
		usleep(200);
	}
	alarm(0);
	pin(-1);
	k->cleanup(&c);
	if (st == 0 && cst == 0 && (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0)) {
		st = -ECHILD;
		snprintf(err, errlen, "child %s",
		         WIFSIGNALED(wst) ? "killed" : "failed");
	}
	if (ctl->err[0] && err[0]) {
		char mine[160];

		snprintf(mine, sizeof(mine), "%s", err);
		snprintf(err, errlen, "%.70s; %.80s", mine, ctl->err);
	} else if (ctl->err[0]) {
		snprintf(err, errlen, "%.150s", ctl->err);
	}
	res->status = st || cst ? 2 : 0;
}

/* ------------------------------------------------------------------ */
/* Results                                                             */

static struct result results[64][M_COUNT][P_COUNT][MAX_REPS];
static struct result med[64][M_COUNT][P_COUNT];
static char skip_why[64][M_COUNT][160];
static char fail_why[64][M_COUNT][P_COUNT][160];
static bool kind_on[64];
static bool metric_on[M_COUNT] = {true, true, true, true};
static bool place_on[P_COUNT] = {true, true, true};

static double median_of(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void compute_medians(void)
{
	double a[MAX_REPS], b[MAX_REPS], r[MAX_REPS], l[MAX_REPS];
	int k, m, p, i, n;

	for (k = 0; k < NKINDS; k++)
		for (m = 0; m < M_COUNT; m++)
			for (p = 0; p < P_COUNT; p++) {
				struct result *o = &med[k][m][p];

				o->status = -1;
				n = 0;
				for (i = 0; i < reps; i++) {
					struct result *x = &results[k][m][p][i];

					if (x->status == 1)
						o->status = 1;
					if (x->status != 0)
						continue;
					a[n] = x->p50;
					b[n] = x->p99;
					r[n] = x->rate;
					l[n] = x->lost;
					n++;
				}
				if (n == 0) {
					if (o->status != 1 &&
					    results[k][m][p][0].status == 2)
						o->status = 2;
					continue;
				}
				o->status = 0;
				o->p50 = median_of(a, n);
				o->p99 = median_of(b, n);
				o->rate = median_of(r, n);
				o->lost = median_of(l, n);
				o->n = n;
			}
}

/* The figure a ratio compares: p50 for round trips, msg/s otherwise. */
static double figure(int k, int m, int p)
{
	const struct result *r;

	/* Not measured in this run (--kinds, --metrics, --placements):
	 * no figure, so a target on it is N/A, not a MISS against 0. */
	if (k < 0 || !kind_on[k] || !metric_on[m] || !place_on[p])
		return NAN;
	r = &med[k][m][p];
	if (r->status != 0)
		return NAN;
	return m == M_RTT ? r->p50 : r->rate;
}

static const char *metric_key(int m, bool p99)
{
	switch (m) {
	case M_RTT:
		return p99 ? "rtt64_p99_ns" : "rtt64_p50_ns";
	case M_T64:
		return "tput64_msg_s";
	case M_T64K:
		return "tput64k_MB_s";
	default:
		return "tput1m_MB_s";
	}
}

static double metric_value(int k, int m, int p)
{
	double f = figure(k, m, p);

	if (m == M_T64K || m == M_T1M)
		return f * (double)metric_size[m] / 1e6;
	return f;
}

/* The baseline a kind's figure is compared with in the RESULT lines. */
static int base_of(int k, int m, int p)
{
	const char *n = kinds[k].name;

	if (kinds[k].base != NULL)
		return kind_index(kinds[k].base);
	if (strcmp(n, "ring") == 0 || strcmp(n, "ring-zc") == 0) {
		if (m == M_RTT)
			return kind_index(p == P_SAME ? "futexring"
			                              : "spinfutex");
		if (m == M_T64K || m == M_T1M)
			return kind_index("shmcopy");
		return kind_index("futexring");
	}
	return -1;
}

static FILE *json;
static bool json_first = true;

static void json_item(const char *fmt, ...)
        __attribute__((format(printf, 1, 2)));

static void json_item(const char *fmt, ...)
{
	va_list ap;

	if (json == NULL)
		return;
	fputs(json_first ? "\n  " : ",\n  ", json);
	json_first = false;
	va_start(ap, fmt);
	vfprintf(json, fmt, ap);
	va_end(ap);
}

static void print_results(void)
{
	int k, m, p, b;

	printf("\n");
	for (k = 0; k < NKINDS; k++) {
		if (!kind_on[k])
			continue;
		for (m = 0; m < M_COUNT; m++) {
			if (!metric_on[m])
				continue;
			for (p = 0; p < P_COUNT; p++) {
				const struct result *r = &med[k][m][p];
				double v = metric_value(k, m, p);
				double bv;

				if (!place_on[p] || r->status == 1)
					continue;
				if (r->status != 0) {
					/* UDP may drop a run's datagrams on
					 * a loaded machine: "lost", which
					 * the smoke test tolerates, not a
					 * failure of the library. */
					printf("RESULT kind=%s metric=%s "
					       "placement=%s value=nan "
					       "status=%s\n",
					       kinds[k].name, metric_key(m, 0),
					       placement_names[p],
					       (kinds[k].flags & K_LOSSY)
					               ? "lost"
					               : "fail");
					json_item("{\"kind\":\"%s\",\"metric\":"
					          "\"%s\",\"placement\":\"%s\","
					          "\"status\":\"fail\"}",
					          kinds[k].name,
					          metric_key(m, 0),
					          placement_names[p]);
					continue;
				}
				b = base_of(k, m, p);
				bv = metric_value(b, m, p);
				printf("RESULT kind=%s metric=%s placement=%s "
				       "value=%.6g",
				       kinds[k].name, metric_key(m, 0),
				       placement_names[p], v);
				if (b >= 0 && !isnan(bv))
					printf(" ratio_vs=%s ratio=%.3f",
					       kinds[b].name, v / bv);
				if (kinds[k].flags & K_LOSSY && m != M_RTT)
					printf(" lost=%.4f", r->lost);
				printf("\n");
				json_item("{\"kind\":\"%s\",\"metric\":\"%s\","
				          "\"placement\":\"%s\",\"value\":%.6g,"
				          "\"ratio_vs\":\"%s\",\"ratio\":%.4f}",
				          kinds[k].name, metric_key(m, 0),
				          placement_names[p], v,
				          b >= 0 ? kinds[b].name : "",
				          b >= 0 && !isnan(bv) ? v / bv : 0.0);
				if (m == M_RTT) {
					printf("RESULT kind=%s metric=%s "
					       "placement=%s value=%.6g\n",
					       kinds[k].name, metric_key(m, 1),
					       placement_names[p], r->p99);
					json_item("{\"kind\":\"%s\",\"metric\":"
					          "\"%s\",\"placement\":\"%s\","
					          "\"value\":%.6g}",
					          kinds[k].name,
					          metric_key(m, 1),
					          placement_names[p], r->p99);
				}
			}
		}
	}
}

static void cell(char *buf, size_t n, int k, int m, int p)
{
	const struct result *r = &med[k][m][p];

	if (!place_on[p] || r->status == -1)
		snprintf(buf, n, "-");
	else if (r->status == 1)
		snprintf(buf, n, "skip");
	else if (r->status == 2)
		snprintf(buf, n, "FAIL");
	else if (m == M_RTT)
		snprintf(buf, n, "%.2f / %.2f", r->p50 / 1000, r->p99 / 1000);
	else if (m == M_T64)
		snprintf(buf, n, "%.3f", r->rate / 1e6);
	else
		snprintf(buf, n, "%.0f",
		         r->rate * (double)metric_size[m] / 1e6);
	if (r->status == 0 && kinds[k].flags & K_LOSSY && m != M_RTT &&
	    r->lost > 0.0005) {
		size_t l = strlen(buf);

		snprintf(buf + l, n - l, " (%.0f%% lost)", r->lost * 100);
	}
}

static void print_tables(void)
{
	static const char *titles[M_COUNT] = {
	        "64 B round trip, p50 / p99 in us",
	        "64 B one way, million messages/s",
	        "64 KiB one way, MB/s",
	        "1 MiB one way, MB/s",
	};
	char buf[64];
	int k, m, p;

	for (m = 0; m < M_COUNT; m++) {
		if (!metric_on[m])
			continue;
		printf("\n%s\n%-16s", titles[m], "kind");
		for (p = 0; p < P_COUNT; p++)
			printf(" %22s", placement_names[p]);
		printf("\n");
		for (k = 0; k < NKINDS; k++) {
			if (!kind_on[k])
				continue;
			printf("%-16s", kinds[k].name);
			for (p = 0; p < P_COUNT; p++) {
				cell(buf, sizeof(buf), k, m, p);
				printf(" %22s", buf);
			}
			printf("\n");
		}
	}
}

static void print_skips_and_failures(void)
{
	bool head = false;
	int k, m, p;

	for (k = 0; k < NKINDS; k++)
		for (m = 0; m < M_COUNT; m++)
			if (kind_on[k] && metric_on[m] && skip_why[k][m][0]) {
				if (!head)
					printf("\nSkipped\n");
				head = true;
				printf("  %-16s %-4s %s\n", kinds[k].name,
				       metric_names[m], skip_why[k][m]);
			}
	head = false;
	for (k = 0; k < NKINDS; k++)
		for (m = 0; m < M_COUNT; m++)
			for (p = 0; p < P_COUNT; p++)
				if (fail_why[k][m][p][0]) {
					if (!head)
						printf("\nFailures\n");
					head = true;
					printf("  %-16s %-4s %-8s %s\n",
					       kinds[k].name, metric_names[m],
					       placement_names[p],
					       fail_why[k][m][p]);
				}
}

static int npass, nmiss, nna;

/* One target: @v against @limit; @le: v <= limit passes, else v >= limit. */
static void target(const char *name, const char *what, double v, bool le,
                   double limit)
{
	const char *verdict = isnan(v)                         ? "N/A"
	                      : (le ? v <= limit : v >= limit) ? "PASS"
	                                                       : "MISS";

	if (verdict[0] == 'P')
		npass++;
	else if (verdict[0] == 'M')
		nmiss++;
	else
		nna++;
	printf("  %-52s %10.3f %s %-8g %s\n", what, v, le ? "<=" : ">=", limit,
	       verdict);
	printf("TARGET name=%s value=%.4f op=%s limit=%g %s\n", name, v,
	       le ? "<=" : ">=", limit, verdict);
	json_item("{\"target\":\"%s\",\"value\":%.4f,\"op\":\"%s\","
	          "\"limit\":%g,\"verdict\":\"%s\"}",
	          name, isnan(v) ? 0.0 : v, le ? "<=" : ">=", limit, verdict);
}

static void print_targets(void)
{
	int ring = kind_index("ring");
	int sf = kind_index("spinfutex");
	int fr = kind_index("futexring");
	int ux = kind_index("raw-unix");
	int sc = kind_index("shmcopy");
	char name[128], what[128];
	int k, m, p, b;

	printf("\nTargets (ratios of medians measured in this run; never "
	       "asserted)\n");
	target("ring_rtt_split_vs_spinfutex",
	       "ring RTT p50 split / spinfutex split",
	       figure(ring, M_RTT, P_SPLIT) / figure(sf, M_RTT, P_SPLIT), true,
	       1.5);
	target("ring_rtt_split_vs_unix",
	       "raw-unix RTT p50 split / ring split (x faster)",
	       figure(ux, M_RTT, P_SPLIT) / figure(ring, M_RTT, P_SPLIT), false,
	       10);
	target("ring_rtt_same_vs_futexring",
	       "ring RTT p50 same / futexring same",
	       figure(ring, M_RTT, P_SAME) / figure(fr, M_RTT, P_SAME), true,
	       1.2);
	target("ring_tput64_split_Mmsg_s", "ring 64 B split, M msg/s",
	       figure(ring, M_T64, P_SPLIT) / 1e6, false, 15);
	target("ring_tput64_unpinned_Mmsg_s", "ring 64 B unpinned, M msg/s",
	       figure(ring, M_T64, P_ANY) / 1e6, false, 15);
	target("ring_tput1m_split_vs_shmcopy",
	       "ring 1 MiB split / shmcopy split",
	       figure(ring, M_T1M, P_SPLIT) / figure(sc, M_T1M, P_SPLIT), false,
	       0.8);
	target("ring_tput1m_unpinned_vs_shmcopy",
	       "ring 1 MiB unpinned / shmcopy unpinned",
	       figure(ring, M_T1M, P_ANY) / figure(sc, M_T1M, P_ANY), false,
	       0.8);
	printf("\nWrapped kinds against the mechanism beneath (target: within "
	       "10%%;\nRTT: wrapped/raw <= 1.10, throughput: wrapped/raw >= "
	       "0.90)\n");
	for (k = 0; k < NKINDS; k++) {
		if (!kind_on[k] || kinds[k].base == NULL)
			continue;
		b = kind_index(kinds[k].base);
		for (m = 0; m < M_COUNT; m++)
			for (p = 0; p < P_COUNT; p++) {
				double v = figure(k, m, p) / figure(b, m, p);

				if (!metric_on[m] || !place_on[p] ||
				    med[k][m][p].status == 1)
					continue;
				snprintf(name, sizeof(name), "%s_%s_%s_vs_%s",
				         kinds[k].name, metric_names[m],
				         placement_names[p], kinds[b].name);
				snprintf(what, sizeof(what), "%s / %s, %s %s",
				         kinds[k].name, kinds[b].name,
				         m == M_RTT ? "RTT p50"
				                    : metric_names[m],
				         placement_names[p]);
				target(name, what, v, m == M_RTT,
				       m == M_RTT ? 1.10 : 0.90);
			}
	}
	printf("\nTargets: %d PASS, %d MISS, %d N/A\n", npass, nmiss, nna);
}

/* ------------------------------------------------------------------ */
/* Anchors: what this machine does right now, for reading the figures */

static void anchors(void)
{
	int64_t t0, best = INT64_MAX;
	int i, r;

	for (r = 0; r < 5; r++) {
		t0 = now_ns();
		for (i = 0; i < 20000; i++)
			(void)syscall(SYS_getppid);
		if (now_ns() - t0 < best)
			best = now_ns() - t0;
	}
	printf("anchor: getppid %.0f ns", (double)best / 20000);
	best = INT64_MAX;
	for (r = 0; r < 20; r++) {
		t0 = now_ns();
		memcpy(rbuf, sbuf, 1 << 20);
		__asm__ __volatile__("" ::"r"(rbuf) : "memory");
		if (now_ns() - t0 < best)
			best = now_ns() - t0;
	}
	printf(", memcpy 1 MiB hot %.1f GB/s\n",
	       (double)(1 << 20) / (double)best);
}

static bool parse_list(const char *arg, const char *const *names, int n,
                       bool *on)
{
	char *dup = strdup(arg);
	char *save = NULL;
	char *t;
	int i;

	for (i = 0; i < n; i++)
		on[i] = false;
	for (t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < n; i++)
			if (strcmp(t, names[i]) == 0)
				break;
		if (i == n) {
			fprintf(stderr, "bench_ipc: unknown '%s'\n", t);
			free(dup);
			return false;
		}
		on[i] = true;
	}
	free(dup);
	return true;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
	        "usage: %s [--quick] [--reps N] [--time MS] [--kinds a,b]\n"
	        "       [--placements same,split,unpinned] "
	        "[--metrics rtt,64,64k,1m]\n"
	        "       [--spin-ns NS] [--json PATH] [--list]\n",
	        argv0);
}

int main(int argc, char **argv)
{
	const char *knames[64];
	struct sigaction sa;
	char why[160];
	int64_t t_start = now_ns();
	int i, r, m, p, j, k;

	for (k = 0; k < NKINDS; k++) {
		knames[k] = kinds[k].name;
		kind_on[k] = true;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--quick") == 0) {
			quick = true;
			dur_ns = 4 * 1000000LL;
			reps = 1;
		} else if (strcmp(a, "--list") == 0) {
			for (k = 0; k < NKINDS; k++)
				printf("%s%s%s\n", kinds[k].name,
				       kinds[k].base ? "  wraps " : "",
				       kinds[k].base ? kinds[k].base : "");
			return 0;
		} else if (v != NULL && strcmp(a, "--reps") == 0) {
			reps = atoi(v);
			i++;
		} else if (v != NULL && strcmp(a, "--time") == 0) {
			dur_ns = atoll(v) * 1000000LL;
			i++;
		} else if (v != NULL && strcmp(a, "--spin-ns") == 0) {
			spin_ns = atoll(v);
			i++;
		} else if (v != NULL && strcmp(a, "--json") == 0) {
			json_path = v;
			i++;
		} else if (v != NULL && strcmp(a, "--kinds") == 0) {
			if (!parse_list(v, knames, NKINDS, kind_on))
				return 2;
			i++;
		} else if (v != NULL && strcmp(a, "--placements") == 0) {
			if (!parse_list(v, placement_names, P_COUNT, place_on))
				return 2;
			i++;
		} else if (v != NULL && strcmp(a, "--metrics") == 0) {
			if (!parse_list(v, metric_names, M_COUNT, metric_on))
				return 2;
			i++;
		} else {
			usage(argv[0]);
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || dur_ns <= 0) {
		usage(argv[0]);
		return 2;
	}

	/* CPUs: the first two this process may run on. */
	sched_getaffinity(0, sizeof(orig_mask), &orig_mask);
	ncpu = CPU_COUNT(&orig_mask);
	cpu_a = cpu_b = -1;
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &orig_mask)) {
			if (cpu_a < 0)
				cpu_a = i;
			else if (cpu_b < 0)
				cpu_b = i;
		}
	if (ncpu < 2)
		place_on[P_SPLIT] = false;

	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: blocked calls see EINTR */
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
	           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	sbuf = aligned_alloc(4096, BUF_CAP);
	rbuf = aligned_alloc(4096, BUF_CAP);
	samples = malloc(sizeof(*samples) * MAX_SAMPLES);
	sysv_tx = malloc(sizeof(*sysv_tx));
	sysv_rx = malloc(sizeof(*sysv_rx));
	if (ctl == MAP_FAILED || !sbuf || !rbuf || !samples || !sysv_tx ||
	    !sysv_rx) {
		fprintf(stderr, "bench_ipc: out of memory\n");
		return 1;
	}
	memset(sbuf, 'm', BUF_CAP);
	memset(rbuf, 0, BUF_CAP);
	memset(samples, 0, sizeof(*samples) * MAX_SAMPLES);
	if (json_path != NULL && (json = fopen(json_path, "we")) == NULL) {
		perror(json_path);
		return 1;
	}

	printf("bench_ipc: libipc %s, %d CPUs online to this process "
	       "(using %d and %d), %d rep(s) of %.0f ms per measurement, "
	       "spin budget %lld ns%s\n",
	       ipc_version(), ncpu, cpu_a, cpu_b, reps, (double)dur_ns / 1e6,
	       (long long)spin_ns, quick ? ", quick" : "");
	if (ncpu < 2)
		printf("only one CPU: the split placement is skipped\n");
	{
		/* Other work on the machine skews everything: say how much. */
		FILE *f = fopen("/proc/loadavg", "re");
		char la[128] = "?";

		if (f != NULL) {
			if (fgets(la, sizeof(la), f) == NULL)
				la[0] = 0;
			fclose(f);
			la[strcspn(la, "\n")] = 0;
		}
		printf("load average at start: %s\n", la);
	}
	anchors();

	/* Which sizes each kind cannot carry, and why. */
	for (k = 0; k < NKINDS; k++)
		for (m = 0; m < M_COUNT; m++) {
			size_t lim;

			if ((kinds[k].flags & K_BULK) &&
			    (m == M_RTT || m == M_T64)) {
				lim_bulk(why, sizeof(why));
				snprintf(skip_why[k][m], sizeof(skip_why[k][m]),
				         "%s", why);
				continue;
			}
			if (kinds[k].limit == NULL)
				continue;
			lim = kinds[k].limit(why, sizeof(why));
			if (lim != 0 && metric_size[m] > lim)
				snprintf(skip_why[k][m], sizeof(skip_why[k][m]),
				         "%zu B: %.120s", metric_size[m], why);
		}

	for (r = 0; r < reps; r++) {
		for (p = 0; p < P_COUNT; p++) {
			if (!place_on[p])
				continue;
			for (m = 0; m < M_COUNT; m++) {
				if (!metric_on[m])
					continue;
				for (j = 0; j < NKINDS; j++) {
					/* A/B/B/A: odd reps run backwards. */
					k = r % 2 ? NKINDS - 1 - j : j;
					struct result *res =
					        &results[k][m][p][r];

					if (!kind_on[k])
						continue;
					if (skip_why[k][m][0]) {
						res->status = 1;
						continue;
					}
					run_one(&kinds[k], (enum metric)m,
					        (enum placement)p, res, why,
					        sizeof(why));
					if (stopping) {
						fprintf(stderr, "bench_ipc: "
						                "stopped\n");
						return 130;
					}
					if (res->status == 2) {
						snprintf(fail_why[k][m][p],
						         sizeof(fail_why[k][m]
						                        [p]),
						         "%s", why);
						fprintf(stderr,
						        "bench_ipc: %s %s %s: "
						        "%s\n",
						        kinds[k].name,
						        metric_names[m],
						        placement_names[p],
						        why);
					}
				}
			}
		}
		if (!quick)
			fprintf(stderr,
			        "bench_ipc: rep %d of %d done (%.0f s)\n",
			        r + 1, reps,
			        (double)(now_ns() - t_start) / 1e9);
	}
	compute_medians();
	if (json)
		fprintf(json,
		        "{\"reps\":%d,\"time_ms\":%.0f,\"ncpu\":%d,"
		        "\"results\":[",
		        reps, (double)dur_ns / 1e6, ncpu);
	print_tables();
	print_skips_and_failures();
	print_results();
	print_targets();
	if (json) {
		fprintf(json, "\n]}\n");
		fclose(json);
	}
	printf("\nbench_ipc: done in %.1f s\n",
	       (double)(now_ns() - t_start) / 1e9);
	return 0;
}
