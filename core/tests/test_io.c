/* SPDX-License-Identifier: MIT */
/*
 * The internal I/O layer (io.c, fd.c) on paths the mechanism tests cannot
 * reach on this kernel: the poll-then-PIPE_BUF fallback used where
 * RWF_NOWAIT is refused, regular files, and the small helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"

static void pipe_io(struct ipc__io *rd, struct ipc__io *wr, int fds[2],
                    bool fallback)
{
	CHECK_EQ(pipe2(fds, O_CLOEXEC), 0);
	CHECK_OK(ipc__io_init(rd, fds[0]));
	CHECK_OK(ipc__io_init(wr, fds[1]));
	CHECK(rd->flags & IPC__IO_PIPE);
	CHECK(!(rd->flags & IPC__IO_NONBLOCK));
	if (fallback) {
		rd->flags |= IPC__IO_NO_NOWAIT;
		wr->flags |= IPC__IO_NO_NOWAIT;
	}
}

static void test_fallback_fills_exactly_to_capacity(void)
{
	struct ipc__io rd;
	struct ipc__io wr;
	unsigned char *buf = calloc(1, 100000);
	size_t n = 0;
	int fds[2];

	CHECK(buf != NULL);
	pipe_io(&rd, &wr, fds, true);
	/* A large write with a deadline goes out in PIPE_BUF pieces and
	 * stops exactly at the 64 KiB capacity, never blocking. */
	CHECK_ERR(ipc__io_write(&wr, buf, 100000, &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_EQ(n, 65536);
	CHECK_ERR(ipc__io_write(&wr, buf, 1, &n, ipc_deadline_in_ms(100)),
	          -ETIMEDOUT);
	CHECK_EQ(n, 0);
	/* The descriptor was never switched to non-blocking. */
	CHECK(!(fcntl(fds[1], F_GETFL) & O_NONBLOCK));
	CHECK_OK(ipc__io_read(&rd, buf, 100000, &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 65536);
	CHECK_ERR(ipc__io_read(&rd, buf, 10, &n, IPC_DEADLINE_NOW), -EAGAIN);
	close(fds[0]);
	close(fds[1]);
	free(buf);
}

static void fallback_reader(void *arg)
{
	int *fds = arg;
	struct ipc__io rd;
	unsigned char *got = malloc(1 << 20);
	unsigned char *want = malloc(1 << 20);
	size_t total = 0;
	size_t n;

	CHECK(got != NULL && want != NULL);
	close(fds[1]);
	CHECK_OK(ipc__io_init(&rd, fds[0]));
	rd.flags |= IPC__IO_NO_NOWAIT;
	while (total < (1u << 20)) {
		CHECK_OK(ipc__io_read(&rd, got + total, (1u << 20) - total, &n,
		                      ipc_deadline_in_ms(10000)));
		CHECK(n > 0);
		total += n;
	}
	check_fill(want, 1 << 20, 3, 0);
	CHECK_MEM_EQ(got, want, 1 << 20);
	close(fds[0]);
	free(got);
	free(want);
}

static void test_fallback_roundtrip_across_processes(void)
{
	struct ipc__io rd;
	struct ipc__io wr;
	unsigned char *buf = malloc(1 << 20);
	size_t n;
	int fds[2];
	pid_t pid;

	CHECK(buf != NULL);
	pipe_io(&rd, &wr, fds, true);
	check_fill(buf, 1 << 20, 3, 0);
	pid = check_fork(fallback_reader, fds);
	close(fds[0]);
	CHECK_OK(ipc__io_write(&wr, buf, 1 << 20, &n,
	                       ipc_deadline_in_ms(10000)));
	CHECK_EQ(n, 1 << 20);
	close(fds[1]);
	CHECK_CHILD_OK(pid, 10000);
	free(buf);
}

static void test_fallback_eof_and_epipe(void)
{
	struct ipc__io rd;
	struct ipc__io wr;
	char c;
	size_t n;
	int fds[2];

	pipe_io(&rd, &wr, fds, true);
	close(fds[1]);
	CHECK_OK(ipc__io_read(&rd, &c, 1, &n, ipc_deadline_in_ms(1000)));
	CHECK_EQ(n, 0);
	close(fds[0]);

	pipe_io(&rd, &wr, fds, true);
	close(fds[0]);
	CHECK_ERR(ipc__io_write(&wr, "x", 1, &n, ipc_deadline_in_ms(1000)),
	          -EPIPE);
	close(fds[1]);
}

static void test_regular_file(void)
{
	const char *path = check_path("file");
	struct ipc__io io;
	char buf[16];
	size_t n;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		check_fail(__FILE__, __LINE__, "open %s: %s", path,
		           strerror(errno));
	CHECK_OK(ipc__io_init(&io, fd));
	CHECK(!(io.flags & (IPC__IO_PIPE | IPC__IO_SOCK)));
	CHECK(io.flags & IPC__IO_NO_NOWAIT);
	CHECK_OK(ipc__io_write(&io, "file data", 9, &n,
	                       ipc_deadline_in_ms(1000)));
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_OK(ipc__io_read(&io, buf, sizeof(buf), &n,
	                      ipc_deadline_in_ms(1000)));
	CHECK_EQ(n, 9);
	CHECK_MEM_EQ(buf, "file data", 9);
	/* End of a regular file is end of stream, at once. */
	CHECK_OK(ipc__io_read(&io, buf, sizeof(buf), &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 0);
	close(fd);
}

static void test_socket_kinds_detected(void)
{
	struct ipc__io io;
	int sv[2];

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_OK(ipc__io_init(&io, sv[0]));
	CHECK(io.flags & IPC__IO_SOCK);
	CHECK(io.flags & IPC__IO_STREAM);
	close(sv[0]);
	close(sv[1]);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	                    0, sv),
	         0);
	CHECK_OK(ipc__io_init(&io, sv[0]));
	CHECK(io.flags & IPC__IO_SOCK);
	CHECK(io.flags & IPC__IO_NONBLOCK);
	CHECK(!(io.flags & IPC__IO_STREAM));
	close(sv[0]);
	close(sv[1]);
	CHECK_ERR(ipc__io_init(&io, -1), -EBADF);
}

static void test_iov_helpers(void)
{
	char a[3];
	char b[5];
	struct iovec iov[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
	struct iovec *p = iov;
	int cnt = 2;

	CHECK_EQ(ipc__iov_length(iov, 2), 8);
	p = ipc__iov_advance(p, &cnt, 2);
	CHECK(p == &iov[0] && cnt == 2 && p->iov_len == 1);
	p = ipc__iov_advance(p, &cnt, 1);
	CHECK(p == &iov[1] && cnt == 1 && p->iov_len == 5);
	p = ipc__iov_advance(p, &cnt, 4);
	CHECK(cnt == 1 && p->iov_len == 1 && p->iov_base == b + 4);
	p = ipc__iov_advance(p, &cnt, 1);
	CHECK_EQ(cnt, 0);
}

static void test_wait_and_sleep(void)
{
	struct ipc__backoff b;
	ipc_deadline start;
	short rev = 0;
	int fds[2];

	CHECK_EQ(pipe2(fds, O_CLOEXEC), 0);
	CHECK_ERR(ipc__wait_fd(fds[0], POLLIN, IPC_DEADLINE_NOW, &rev),
	          -EAGAIN);
	start = ipc_now();
	CHECK_ERR(ipc__wait_fd(fds[0], POLLIN, ipc_deadline_in_ms(120), &rev),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 120);
	CHECK_OK(ipc__wait_fd(fds[1], POLLOUT, IPC_DEADLINE_NOW, &rev));
	CHECK(rev & POLLOUT);
	close(fds[1]);
	/* A hang-up counts as ready, for the next call to report it. */
	CHECK_OK(ipc__wait_fd(fds[0], POLLIN, IPC_DEADLINE_NOW, &rev));
	CHECK(rev & POLLHUP);
	close(fds[0]);
	CHECK_ERR(ipc__wait_fd(fds[0], POLLIN, IPC_DEADLINE_NOW, NULL), -EBADF);

	b = IPC__BACKOFF_MS(10, 40);
	CHECK_ERR(ipc__backoff_sleep(&b, IPC_DEADLINE_NOW), -EAGAIN);
	b = IPC__BACKOFF_MS(30, 50);
	start = ipc_now();
	CHECK_OK(ipc__backoff_sleep(&b, ipc_deadline_in_ms(1000)));
	CHECK_ELAPSED(start, 30);
	/* The step doubles, up to its cap. */
	CHECK_EQ(b.step_ns, 50 * 1000000LL);
	b = IPC__BACKOFF_MS(1000, 1000);
	start = ipc_now();
	CHECK_OK(ipc__backoff_sleep(&b, ipc_deadline_in_ms(40)));
	CHECK_ELAPSED(start, 40);
	b = IPC__BACKOFF_MS(2000, 2000);
	check_signal_after(SIGUSR1, 30);
	CHECK_ERR(ipc__backoff_sleep(&b, IPC_DEADLINE_NEVER), -EINTR);
	check_signal_stop();
}

static void test_close_never_reports_eintr(void)
{
	int fds[2];

	CHECK_OK(ipc__close(-1));
	CHECK_EQ(pipe2(fds, O_CLOEXEC), 0);
	CHECK_OK(ipc__close(fds[0]));
	CHECK_OK(ipc__close(fds[1]));
	CHECK_ERR(ipc__close(fds[1]), -EBADF);
	errno = EDOM;
	ipc__close_quiet(fds[1]);
	CHECK_EQ(errno, EDOM);
}

static void test_set_nonblock(void)
{
	int fds[2];

	CHECK_EQ(pipe2(fds, O_CLOEXEC), 0);
	CHECK_OK(ipc__set_nonblock(fds[0], true));
	CHECK(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
	CHECK_OK(ipc__set_nonblock(fds[0], true));
	CHECK_OK(ipc__set_nonblock(fds[0], false));
	CHECK(!(fcntl(fds[0], F_GETFL) & O_NONBLOCK));
	close(fds[0]);
	close(fds[1]);
	CHECK_ERR(ipc__set_nonblock(fds[0], true), -EBADF);
}

/* A signal that cuts a blocking write short must reach the caller as
 * -EINTR (with the progress), not be swallowed by writing on: the bug would
 * hang here until the watchdog. */
static void test_blocking_write_interrupted_reports_eintr(void)
{
	struct ipc__io rd;
	struct ipc__io wr;
	unsigned char *buf = calloc(1, 1 << 20);
	size_t n = 0;
	int fds[2];
	int sv[2];

	CHECK(buf != NULL);
	pipe_io(&rd, &wr, fds, false);
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc__io_write(&wr, buf, 1 << 20, &n, IPC_DEADLINE_NEVER),
	          -EINTR);
	check_signal_stop();
	CHECK_EQ(n, 65536);
	close(fds[0]);
	close(fds[1]);

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_OK(ipc__io_init(&wr, sv[0]));
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc__io_write(&wr, buf, 1 << 20, &n, IPC_DEADLINE_NEVER),
	          -EINTR);
	check_signal_stop();
	CHECK(n > 0 && n < (1u << 20));
	close(sv[0]);
	close(sv[1]);
	free(buf);
}

/* With SIGPIPE ignored when the handle is made, writes skip the guard
 * (Python and the host run that way) and still report -EPIPE. */
static void test_sigpipe_ignored_skips_guard(void)
{
	struct ipc__io rd;
	struct ipc__io wr;
	size_t n;
	int fds[2];

	pipe_io(&rd, &wr, fds, false);
	CHECK(!(wr.flags & IPC__IO_PIPE_IGN));
	close(fds[0]);
	close(fds[1]);

	CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	pipe_io(&rd, &wr, fds, false);
	CHECK(wr.flags & IPC__IO_PIPE_IGN);
	close(fds[0]);
	CHECK_ERR(ipc__io_write(&wr, "x", 1, &n, IPC_DEADLINE_NEVER), -EPIPE);
	CHECK_ERR(ipc__io_write(&wr, "x", 1, &n, IPC_DEADLINE_NOW), -EPIPE);
	close(fds[1]);
}

static void test_posix_name_rule(void)
{
	char longname[300];

	CHECK_OK(ipc__check_posix_name("/q"));
	CHECK_OK(ipc__check_posix_name("/ipc-test-1-2-x"));
	CHECK_ERR(ipc__check_posix_name(NULL), -EINVAL);
	CHECK_ERR(ipc__check_posix_name(""), -EINVAL);
	CHECK_ERR(ipc__check_posix_name("/"), -EINVAL);
	CHECK_ERR(ipc__check_posix_name("q"), -EINVAL);
	CHECK_ERR(ipc__check_posix_name("/a/b"), -EINVAL);
	CHECK_ERR(ipc__check_posix_name("/."), -EINVAL);
	CHECK_ERR(ipc__check_posix_name("/.."), -EINVAL);
	longname[0] = '/';
	memset(longname + 1, 'n', 255);
	longname[256] = '\0';
	CHECK_ERR(ipc__check_posix_name(longname), -ENAMETOOLONG);
	longname[255] = '\0';
	CHECK_OK(ipc__check_posix_name(longname));
}

static const struct check_case cases[] = {
        CHECK_CASE(test_fallback_fills_exactly_to_capacity),
        CHECK_CASE(test_fallback_roundtrip_across_processes),
        CHECK_CASE(test_fallback_eof_and_epipe),
        CHECK_CASE(test_regular_file),
        CHECK_CASE(test_socket_kinds_detected),
        CHECK_CASE(test_iov_helpers),
        CHECK_CASE(test_wait_and_sleep),
        CHECK_CASE(test_close_never_reports_eintr),
        CHECK_CASE(test_set_nonblock),
        CHECK_CASE(test_posix_name_rule),
        CHECK_CASE(test_blocking_write_interrupted_reports_eintr),
        CHECK_CASE(test_sigpipe_ignored_skips_guard),
        {NULL, NULL},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
