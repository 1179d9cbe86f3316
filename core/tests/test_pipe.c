/* SPDX-License-Identifier: MIT */
/* Anonymous pipes: round trips across processes, deadlines, EOF, EPIPE,
 * EINTR, atomicity, capacity and misuse. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ipc/pipe.h"

#define BIG (3u << 20) /* well past the 64 KiB pipe buffer */

struct ends {
	ipc_pipe *rd;
	ipc_pipe *wr;
};

static void open_pair(struct ends *e, unsigned int flags)
{
	CHECK_OK(ipc_pipe_open(&e->rd, &e->wr, flags));
	CHECK(e->rd != NULL && e->wr != NULL);
}

static void close_pair(struct ends *e)
{
	CHECK_OK(ipc_pipe_close(e->rd));
	CHECK_OK(ipc_pipe_close(e->wr));
	e->rd = e->wr = NULL;
}

static void big_writer(void *arg)
{
	struct ends *e = arg;
	unsigned char *buf = malloc(BIG);
	size_t n;

	CHECK(buf != NULL);
	CHECK_OK(ipc_pipe_close(e->rd));
	check_fill(buf, BIG, 7, 0);
	CHECK_OK(
	        ipc_pipe_write(e->wr, buf, BIG, &n, ipc_deadline_in_ms(10000)));
	CHECK_EQ(n, BIG);
	CHECK_OK(ipc_pipe_close(e->wr));
	free(buf);
}

static void test_roundtrip_across_processes(void)
{
	struct ends e;
	unsigned char *got =
	        malloc(BIG + 1); /* +1: room to see an extra byte */
	unsigned char *want = malloc(BIG);
	size_t total = 0;
	size_t n;
	pid_t pid;

	CHECK(got != NULL && want != NULL);
	open_pair(&e, 0);
	pid = check_fork(big_writer, &e);
	CHECK_OK(ipc_pipe_close(e.wr));
	e.wr = NULL;
	for (;;) {
		CHECK(total <= BIG);
		CHECK_OK(ipc_pipe_read(
		        e.rd, got + total,
		        BIG + 1 - total > 65536 ? 65536 : BIG + 1 - total, &n,
		        ipc_deadline_in_ms(10000)));
		if (n == 0)
			break;
		total += n;
	}
	CHECK_EQ(total, BIG);
	check_fill(want, BIG, 7, 0);
	CHECK_MEM_EQ(got, want, BIG);
	CHECK_CHILD_OK(pid, 10000);
	CHECK_OK(ipc_pipe_close(e.rd));
	free(got);
	free(want);
}

static void test_would_block_and_timeout_read(void)
{
	struct ends e;
	char buf[16];
	ipc_deadline start;
	size_t n = 99;

	open_pair(&e, 0);
	CHECK_ERR(ipc_pipe_read(e.rd, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_EQ(n, 0);
	start = ipc_now();
	CHECK_ERR(ipc_pipe_read(e.rd, buf, sizeof(buf), &n,
	                        ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	/* A timeout leaves the pipe usable. */
	CHECK_OK(ipc_pipe_write(e.wr, "hi", 2, &n, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_pipe_read(e.rd, buf, sizeof(buf), &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 2);
	close_pair(&e);
}

/* Fill the pipe with NOW writes: -EAGAIN exactly at capacity. */
static void test_full_pipe_would_block_at_capacity(void)
{
	struct ends e;
	unsigned char chunk[4096];
	size_t cap;
	size_t total = 0;
	size_t n;
	ipc_status st;

	open_pair(&e, 0);
	CHECK_OK(ipc_pipe_capacity(e.wr, &cap));
	CHECK_EQ(cap, 65536);
	memset(chunk, 'x', sizeof(chunk));
	for (;;) {
		st = ipc_pipe_write(e.wr, chunk, sizeof(chunk), &n,
		                    IPC_DEADLINE_NOW);
		total += n;
		if (st)
			break;
	}
	CHECK_ERR(st, -EAGAIN);
	/* PIPE_BUF-sized writes are all or nothing. */
	CHECK_EQ(n, 0);
	CHECK_EQ(total, cap);
	close_pair(&e);
}

static void test_write_timeout_reports_partial(void)
{
	struct ends e;
	unsigned char *buf = calloc(1, 200000);
	ipc_deadline start;
	size_t n = 0;

	CHECK(buf != NULL);
	open_pair(&e, 0);
	start = ipc_now();
	CHECK_ERR(
	        ipc_pipe_write(e.wr, buf, 200000, &n, ipc_deadline_in_ms(150)),
	        -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	CHECK_EQ(n, 65536);
	CHECK_ERR(ipc_pipe_write(e.wr, buf, 10, &n, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_EQ(n, 0);
	close_pair(&e);
	free(buf);
}

static void test_eof_after_writer_closes(void)
{
	struct ends e;
	char buf[8];
	size_t n;

	open_pair(&e, 0);
	CHECK_OK(ipc_pipe_write(e.wr, "abc", 3, &n, IPC_DEADLINE_NEVER));
	CHECK_OK(ipc_pipe_close(e.wr));
	e.wr = NULL;
	CHECK_OK(ipc_pipe_read(e.rd, buf, sizeof(buf), &n, IPC_DEADLINE_NEVER));
	CHECK_EQ(n, 3);
	CHECK_OK(ipc_pipe_read(e.rd, buf, sizeof(buf), &n, IPC_DEADLINE_NEVER));
	CHECK_EQ(n, 0);
	/* With a deadline too: end of stream, not a timeout. */
	CHECK_OK(ipc_pipe_read(e.rd, buf, sizeof(buf), &n,
	                       ipc_deadline_in_ms(1000)));
	CHECK_EQ(n, 0);
	CHECK_OK(ipc_pipe_close(e.rd));
}

/* The harness keeps SIGPIPE at its default: death would fail the case. */
static void test_epipe_not_sigpipe(void)
{
	struct ends e;
	size_t n = 99;

	open_pair(&e, 0);
	CHECK_OK(ipc_pipe_close(e.rd));
	e.rd = NULL;
	CHECK_ERR(ipc_pipe_write(e.wr, "x", 1, &n, IPC_DEADLINE_NEVER), -EPIPE);
	CHECK_EQ(n, 0);
	CHECK_ERR(ipc_pipe_write(e.wr, "x", 1, &n, ipc_deadline_in_ms(100)),
	          -EPIPE);
	CHECK_ERR(ipc_pipe_write(e.wr, "x", 1, &n, IPC_DEADLINE_NOW), -EPIPE);
	CHECK_OK(ipc_pipe_close(e.wr));
}

/* A SIGPIPE the caller has blocked and pending stays the caller's. */
static void test_sigpipe_guard_keeps_callers_signal(void)
{
	struct ends e;
	sigset_t set;
	sigset_t pending;
	size_t n;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	CHECK_EQ(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	open_pair(&e, 0);
	CHECK_OK(ipc_pipe_close(e.rd));
	e.rd = NULL;
	CHECK_ERR(ipc_pipe_write(e.wr, "x", 1, &n, IPC_DEADLINE_NEVER), -EPIPE);
	CHECK_EQ(sigpending(&pending), 0);
	CHECK(sigismember(&pending, SIGPIPE));
	CHECK_OK(ipc_pipe_close(e.wr));
}

static void test_eintr_read_then_retry_same_deadline(void)
{
	struct ends e;
	char buf[8];
	ipc_deadline start = ipc_now();
	ipc_deadline d = ipc_deadline_in_ms(400);
	size_t n;

	open_pair(&e, 0);
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_pipe_read(e.rd, buf, sizeof(buf), &n, d), -EINTR);
	check_signal_stop();
	CHECK((ipc_now() - start) < 350 * 1000000LL);
	CHECK_ERR(ipc_pipe_read(e.rd, buf, sizeof(buf), &n, d), -ETIMEDOUT);
	CHECK_ELAPSED(start, 400);
	close_pair(&e);
}

static void test_eintr_blocking_read_without_deadline(void)
{
	struct ends e;
	char buf[8];
	size_t n;

	open_pair(&e, 0);
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_pipe_read(e.rd, buf, sizeof(buf), &n, IPC_DEADLINE_NEVER),
	          -EINTR);
	check_signal_stop();
	close_pair(&e);
}

static void test_eintr_write_reports_progress(void)
{
	struct ends e;
	unsigned char *buf = calloc(1, 100000);
	ipc_deadline start = ipc_now();
	ipc_deadline d = ipc_deadline_in_ms(400);
	size_t n = 0;

	CHECK(buf != NULL);
	open_pair(&e, 0);
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_pipe_write(e.wr, buf, 100000, &n, d), -EINTR);
	check_signal_stop();
	CHECK_EQ(n, 65536);
	CHECK_ERR(ipc_pipe_write(e.wr, buf + n, 100000 - n, &n, d), -ETIMEDOUT);
	CHECK_EQ(n, 0);
	CHECK_ELAPSED(start, 400);
	close_pair(&e);
	free(buf);
}

static void small_records_writer(void *arg)
{
	ipc_pipe *wr = arg;
	unsigned char rec[4096];
	size_t n;
	int i;

	for (i = 0; i < 200; i++) {
		memset(rec, (int)(getpid() & 0xff), sizeof(rec));
		rec[0] = (unsigned char)i;
		CHECK_OK(ipc_pipe_write(wr, rec, sizeof(rec), &n,
		                        ipc_deadline_in_ms(10000)));
	}
}

/* Writes of PIPE_BUF bytes from several processes never interleave. */
static void test_pipe_buf_writes_are_atomic(void)
{
	struct ends e;
	unsigned char rec[4096];
	pid_t pids[3];
	size_t got;
	size_t n;
	int records = 0;
	int i;

	open_pair(&e, 0);
	for (i = 0; i < 3; i++)
		pids[i] = check_fork(small_records_writer, e.wr);
	CHECK_OK(ipc_pipe_close(e.wr));
	e.wr = NULL;
	for (;;) {
		got = 0;
		while (got < sizeof(rec)) {
			CHECK_OK(ipc_pipe_read(e.rd, rec + got,
			                       sizeof(rec) - got, &n,
			                       ipc_deadline_in_ms(10000)));
			if (n == 0)
				break;
			got += n;
		}
		if (got == 0)
			break;
		CHECK_EQ(got, sizeof(rec));
		for (i = 2; i < (int)sizeof(rec); i++)
			CHECK_EQ(rec[i], rec[1]);
		records++;
	}
	CHECK_EQ(records, 600);
	for (i = 0; i < 3; i++)
		CHECK_CHILD_OK(pids[i], 10000);
	CHECK_OK(ipc_pipe_close(e.rd));
}

static void test_nonblock_flag(void)
{
	struct ends e;
	char buf[4];
	size_t n;

	open_pair(&e, IPC_O_NONBLOCK);
	CHECK(fcntl(ipc_pipe_fd(e.rd), F_GETFL) & O_NONBLOCK);
	CHECK(fcntl(ipc_pipe_fd(e.wr), F_GETFL) & O_NONBLOCK);
	CHECK_ERR(ipc_pipe_read(e.rd, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_OK(ipc_pipe_write(e.wr, "ok", 2, &n, IPC_DEADLINE_NEVER));
	CHECK_OK(ipc_pipe_read(e.rd, buf, sizeof(buf), &n, IPC_DEADLINE_NEVER));
	CHECK_EQ(n, 2);
	close_pair(&e);

	/* Without the flag the descriptors stay blocking, for children. */
	open_pair(&e, 0);
	CHECK(!(fcntl(ipc_pipe_fd(e.rd), F_GETFL) & O_NONBLOCK));
	CHECK_ERR(ipc_pipe_read(e.rd, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	/* ... and a deadline read did not flip the flag. */
	CHECK(!(fcntl(ipc_pipe_fd(e.rd), F_GETFL) & O_NONBLOCK));
	close_pair(&e);
}

static void test_cloexec_from_birth(void)
{
	struct ends e;

	open_pair(&e, 0);
	CHECK(fcntl(ipc_pipe_fd(e.rd), F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(ipc_pipe_fd(e.wr), F_GETFD) & FD_CLOEXEC);
	close_pair(&e);
}

static void test_capacity(void)
{
	struct ends e;
	size_t cap;

	open_pair(&e, 0);
	CHECK_OK(ipc_pipe_set_capacity(e.wr, 1 << 20));
	CHECK_OK(ipc_pipe_capacity(e.rd, &cap));
	CHECK_EQ(cap, 1 << 20);
	CHECK_ERR(ipc_pipe_set_capacity(e.wr, 0), -EINVAL);
	close_pair(&e);
}

static void test_misuse(void)
{
	struct ends e;
	char buf[4];
	size_t n = 99;
	size_t cap;

	CHECK_ERR(ipc_pipe_read(NULL, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EBADF);
	CHECK_EQ(n, 0);
	n = 99;
	CHECK_ERR(ipc_pipe_write(NULL, buf, 1, &n, IPC_DEADLINE_NOW), -EBADF);
	CHECK_EQ(n, 0);
	CHECK_ERR(ipc_pipe_capacity(NULL, &cap), -EBADF);
	CHECK_ERR(ipc_pipe_set_capacity(NULL, 4096), -EBADF);
	CHECK_EQ(ipc_pipe_fd(NULL), -1);
	CHECK_OK(ipc_pipe_close(NULL));
	CHECK_ERR(ipc_pipe_open(&e.rd, &e.wr, IPC_O_CREATE), -EINVAL);
	CHECK(e.rd == NULL && e.wr == NULL);

	open_pair(&e, 0);
	CHECK_ERR(ipc_pipe_read(e.rd, buf, 0, &n, IPC_DEADLINE_NOW), -EINVAL);
	/* The wrong end: the kernel's EBADF comes back as a status. */
	CHECK_ERR(ipc_pipe_read(e.wr, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EBADF);
	CHECK_ERR(ipc_pipe_write(e.rd, "x", 1, &n, IPC_DEADLINE_NOW), -EBADF);
	close_pair(&e);
}

static void test_adopt(void)
{
	ipc_pipe *p;
	int fds[2];
	int sv[2];
	size_t n;
	char c;

	CHECK_EQ(pipe2(fds, O_CLOEXEC), 0);
	CHECK_OK(ipc_pipe_adopt(&p, fds[1]));
	CHECK_EQ(ipc_pipe_fd(p), fds[1]);
	CHECK_OK(ipc_pipe_write(p, "z", 1, &n, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_pipe_close(p)); /* closes fds[1] */
	CHECK_EQ(read(fds[0], &c, 1), 1);
	CHECK_EQ(c, 'z');
	CHECK_EQ(read(fds[0], &c, 1), 0);
	close(fds[0]);

	CHECK_ERR(ipc_pipe_adopt(&p, -1), -EBADF);
	CHECK(p == NULL);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_ERR(ipc_pipe_adopt(&p, sv[0]), -EINVAL);
	CHECK(p == NULL);
	/* On failure the descriptor is still the caller's and still open. */
	CHECK(fcntl(sv[0], F_GETFD) >= 0);
	close(sv[0]);
	close(sv[1]);
}

static void test_close_reports_but_frees(void)
{
	struct ends e;
	int fd;

	open_pair(&e, 0);
	fd = ipc_pipe_fd(e.rd);
	/* Someone closed our descriptor behind our back: close reports
	 * EBADF and still frees the handle (valgrind checks the free). */
	CHECK_EQ(close(fd), 0);
	CHECK_ERR(ipc_pipe_close(e.rd), -EBADF);
	CHECK_OK(ipc_pipe_close(e.wr));
}

static const struct check_case cases[] = {
        CHECK_CASE(test_roundtrip_across_processes),
        CHECK_CASE(test_would_block_and_timeout_read),
        CHECK_CASE(test_full_pipe_would_block_at_capacity),
        CHECK_CASE(test_write_timeout_reports_partial),
        CHECK_CASE(test_eof_after_writer_closes),
        CHECK_CASE(test_epipe_not_sigpipe),
        CHECK_CASE(test_sigpipe_guard_keeps_callers_signal),
        CHECK_CASE(test_eintr_read_then_retry_same_deadline),
        CHECK_CASE(test_eintr_blocking_read_without_deadline),
        CHECK_CASE(test_eintr_write_reports_progress),
        CHECK_CASE(test_pipe_buf_writes_are_atomic),
        CHECK_CASE(test_nonblock_flag),
        CHECK_CASE(test_cloexec_from_birth),
        CHECK_CASE(test_capacity),
        CHECK_CASE(test_misuse),
        CHECK_CASE(test_adopt),
        CHECK_CASE(test_close_reports_but_frees),
        {NULL, NULL},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
