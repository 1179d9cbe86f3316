/* SPDX-License-Identifier: MIT */
/* Named pipes: open semantics, deadlines, errors, permissions. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ipc/fifo.h"

#define NOBODY        65534
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static ipc_fifo *open_ok(const char *path, unsigned int flags, int64_t ms)
{
	ipc_fifo *f = NULL;

	CHECK_OK(ipc_fifo_open(&f, path, flags, 0, ipc_deadline_in_ms(ms)));
	CHECK(f != NULL);
	return f;
}

/* A reader and a connected writer on a new FIFO. */
static void open_pair(const char *path, ipc_fifo **r, ipc_fifo **w)
{
	CHECK_OK(ipc_fifo_create(path, 0, 0));
	*r = open_ok(path, IPC_O_READ, 0);
	*w = open_ok(path, IPC_O_WRITE, 1000);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static unsigned int mode_of(const char *path)
{
	struct stat st;

	CHECK(lstat(path, &st) == 0);
	return st.st_mode & 07777;
}

static size_t capacity(ipc_fifo *f)
{
	int n = fcntl(ipc_fifo_fd(f), F_GETPIPE_SZ);

	CHECK(n > 0);
	return (size_t)n;
}

static void make_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	CHECK(fd >= 0);
	CHECK(write(fd, "data", 4) == 4);
	CHECK(close(fd) == 0);
}

/* ---- round trip across two processes -------------------------------- */

#define RT_SEED 7
static const size_t rt_chunks[] = {1, 100, 4096, 70000, 5000, 12345};

static void rt_writer(void *arg)
{
	const char *path = arg;
	unsigned char *buf = malloc(70000);
	size_t off = 0;
	size_t n;
	size_t i;
	ipc_fifo *w;

	CHECK(buf != NULL);
	w = open_ok(path, IPC_O_WRITE, 5000);
	for (i = 0; i < ARRAY_SIZE(rt_chunks); i++) {
		check_fill(buf, rt_chunks[i], RT_SEED, off);
		/* Odd chunks take the plain blocking path, even ones the
		 * deadline path. */
		CHECK_OK(ipc_fifo_write(w, buf, rt_chunks[i], &n,
		                        i % 2 ? IPC_DEADLINE_NEVER
		                              : ipc_deadline_in_ms(5000)));
		CHECK_EQ(n, rt_chunks[i]);
		off += n;
	}
	free(buf);
	CHECK_OK(ipc_fifo_close(w));
}

static void test_roundtrip(void)
{
	const char *path = check_path("fifo");
	unsigned char *got;
	unsigned char *want;
	size_t total = 0;
	size_t off = 0;
	size_t n;
	size_t i;
	ipc_fifo *r;
	pid_t pid;

	for (i = 0; i < ARRAY_SIZE(rt_chunks); i++)
		total += rt_chunks[i];
	CHECK(total > 65536);
	got = malloc(total + 1);
	want = malloc(total);
	CHECK(got != NULL && want != NULL);

	CHECK_OK(ipc_fifo_create(path, 0, 0));
	pid = check_fork(rt_writer, (void *)path);
	r = open_ok(path, IPC_O_READ, 0);
	for (;;) {
		CHECK_OK(ipc_fifo_read(r, got + off, total + 1 - off, &n,
		                       ipc_deadline_in_ms(5000)));
		if (n == 0)
			break;
		off += n;
	}
	CHECK_EQ(off, total);
	check_fill(want, total, RT_SEED, 0);
	CHECK_MEM_EQ(got, want, total);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_fifo_close(r));
	CHECK_OK(ipc_fifo_unlink(path));
	CHECK(!exists(path));
	free(got);
	free(want);
}

/* ---- would-block and timeouts --------------------------------------- */

static void test_would_block(void)
{
	const char *path = check_path("fifo");
	ipc_fifo *r;
	ipc_fifo *w;
	unsigned char big[100000];
	char c = 'x';
	size_t n;

	CHECK_OK(ipc_fifo_create(path, 0, 0));

	/* No reader: a writer that may not wait gives up at once. */
	w = (ipc_fifo *)&c;
	CHECK_ERR(ipc_fifo_open(&w, path, IPC_O_WRITE, 0, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK(w == NULL);

	/* A reader never waits to open; with no writer yet, reading would
	 * block (it is not end of stream). */
	r = open_ok(path, IPC_O_READ, 0);
	CHECK_ERR(ipc_fifo_read(r, &c, 1, &n, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_EQ(n, 0);

	w = open_ok(path, IPC_O_WRITE, 0);
	CHECK_ERR(ipc_fifo_read(r, &c, 1, &n, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_OK(ipc_fifo_write(w, "y", 1, &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 1);
	CHECK_OK(ipc_fifo_read(r, &c, 1, &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 1);
	CHECK_EQ(c, 'y');

	/* A full FIFO takes what fits, then would block. */
	check_fill(big, sizeof(big), 3, 0);
	CHECK_ERR(ipc_fifo_write(w, big, sizeof(big), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_EQ(n, capacity(w));
	CHECK_ERR(ipc_fifo_write(w, "z", 1, &n, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_EQ(n, 0);

	CHECK_OK(ipc_fifo_close(w));
	CHECK_OK(ipc_fifo_close(r));
}

static void test_read_timeout(void)
{
	const char *path = check_path("fifo");
	ipc_deadline start;
	ipc_fifo *r;
	ipc_fifo *w;
	char c;
	size_t n = 1;

	open_pair(path, &r, &w);
	start = ipc_now();
	CHECK_ERR(ipc_fifo_read(r, &c, 1, &n, ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	CHECK_EQ(n, 0);
	CHECK_OK(ipc_fifo_close(w));
	CHECK_OK(ipc_fifo_close(r));
}

static void test_open_writer_timeout(void)
{
	const char *path = check_path("fifo");
	ipc_deadline start;
	ipc_fifo *w;

	CHECK_OK(ipc_fifo_create(path, 0, 0));
	start = ipc_now();
	CHECK_ERR(ipc_fifo_open(&w, path, IPC_O_WRITE, 0,
	                        ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	CHECK(w == NULL);
}

static void test_write_full_timeout(void)
{
	const char *path = check_path("fifo");
	static unsigned char out[100000];
	static unsigned char in[100000];
	ipc_deadline start;
	ipc_fifo *r;
	ipc_fifo *w;
	size_t got = 0;
	size_t n;

	open_pair(path, &r, &w);
	check_fill(out, sizeof(out), 5, 0);
	start = ipc_now();
	CHECK_ERR(ipc_fifo_write(w, out, sizeof(out), &n,
	                         ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	CHECK_EQ(n, capacity(w));

	/* What went out is exactly the start of the buffer. */
	while (got < capacity(w)) {
		CHECK_OK(ipc_fifo_read(r, in + got, sizeof(in) - got, &n,
		                       IPC_DEADLINE_NOW));
		CHECK(n > 0);
		got += n;
	}
	CHECK_EQ(got, capacity(w));
	CHECK_MEM_EQ(in, out, got);
	CHECK_ERR(ipc_fifo_read(r, in, sizeof(in), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_OK(ipc_fifo_close(w));
	CHECK_OK(ipc_fifo_close(r));
}

/* ---- end of stream, broken pipe ------------------------------------- */

static void test_eof_after_writer(void)
{
	const char *path = check_path("fifo");
	ipc_deadline start;
	ipc_fifo *r;
	ipc_fifo *w;
	char buf[16];
	size_t n = 1;

	CHECK_OK(ipc_fifo_create(path, 0, 0));
	r = open_ok(path, IPC_O_READ, 0);

	/* read(2) returns 0 here, but no writer has come yet: not EOF. */
	start = ipc_now();
	CHECK_ERR(
	        ipc_fifo_read(r, buf, sizeof(buf), &n, ipc_deadline_in_ms(100)),
	        -ETIMEDOUT);
	CHECK_ELAPSED(start, 100);

	/* A writer connects and leaves without a word: now it is EOF. */
	w = open_ok(path, IPC_O_WRITE, 1000);
	CHECK_OK(ipc_fifo_close(w));
	n = 1;
	CHECK_OK(ipc_fifo_read(r, buf, sizeof(buf), &n,
	                       ipc_deadline_in_ms(1000)));
	CHECK_EQ(n, 0);
	CHECK_OK(ipc_fifo_close(r));

	/* Data, then EOF, on the blocking path (no deadline). */
	r = open_ok(path, IPC_O_READ, 0);
	w = open_ok(path, IPC_O_WRITE, 1000);
	CHECK_OK(ipc_fifo_write(w, "hello", 5, &n, IPC_DEADLINE_NEVER));
	CHECK_OK(ipc_fifo_close(w));
	CHECK_OK(ipc_fifo_read(r, buf, sizeof(buf), &n, IPC_DEADLINE_NEVER));
	CHECK_EQ(n, 5);
	CHECK_MEM_EQ(buf, "hello", 5);
	n = 1;
	CHECK_OK(ipc_fifo_read(r, buf, sizeof(buf), &n, IPC_DEADLINE_NEVER));
	CHECK_EQ(n, 0);
	CHECK_OK(ipc_fifo_close(r));
}

static void test_epipe(void)
{
	const char *path = check_path("fifo");
	ipc_fifo *r;
	ipc_fifo *w;
	size_t n = 1;

	/* SIGPIPE is at its default disposition here: were the library to
	 * let it through, the case would die. */
	open_pair(path, &r, &w);
	CHECK_OK(ipc_fifo_close(r));
	CHECK_ERR(ipc_fifo_write(w, "x", 1, &n, IPC_DEADLINE_NEVER), -EPIPE);
	CHECK_EQ(n, 0);
	CHECK_ERR(ipc_fifo_write(w, "x", 1, &n, ipc_deadline_in_ms(100)),
	          -EPIPE);
	CHECK_OK(ipc_fifo_close(w));
}

/* ---- misuse and bad arguments --------------------------------------- */

static void test_misuse(void)
{
	const char *path = check_path("fifo");
	ipc_fifo *r;
	ipc_fifo *w;
	char buf[4];
	size_t n = 99;

	CHECK_ERR(ipc_fifo_read(NULL, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EBADF);
	CHECK_EQ(n, 0);
	n = 99;
	CHECK_ERR(ipc_fifo_write(NULL, "x", 1, &n, IPC_DEADLINE_NOW), -EBADF);
	CHECK_EQ(n, 0);
	CHECK_EQ(ipc_fifo_fd(NULL), -1);
	CHECK(ipc_fifo_path(NULL) == NULL);
	CHECK_OK(ipc_fifo_close(NULL));

	open_pair(path, &r, &w);
	CHECK_ERR(ipc_fifo_read(w, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EBADF);
	CHECK_ERR(ipc_fifo_write(r, "x", 1, &n, IPC_DEADLINE_NOW), -EBADF);
	CHECK_EQ(n, 0);
	CHECK_ERR(ipc_fifo_read(r, buf, 0, &n, IPC_DEADLINE_NOW), -EINVAL);
	/* The refused write really sent nothing. */
	CHECK_ERR(ipc_fifo_read(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK_OK(ipc_fifo_close(w));
	CHECK_OK(ipc_fifo_close(r));
}

static void check_open_einval(const char *path, unsigned int flags,
                              unsigned int mode)
{
	ipc_fifo *f = (ipc_fifo *)&f;

	CHECK_ERR(ipc_fifo_open(&f, path, flags, mode, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK(f == NULL);
}

static void test_bad_flags(void)
{
	const char *path = check_path("fifo");
	static char long_path[PATH_MAX + 16];
	ipc_fifo *f;

	check_open_einval(path, 0, 0);
	check_open_einval(path, IPC_O_RDWR, 0);
	check_open_einval(path, IPC_O_CREATE | IPC_O_RDWR, 0);
	check_open_einval(path, IPC_O_CREATE, 0);
	check_open_einval(path, IPC_O_READ | 0x1000u, 0);
	check_open_einval(path, IPC_O_READ | IPC_O_EXCL, 0);
	check_open_einval(path, IPC_O_READ | IPC_O_CREATE, 010000);
	check_open_einval(NULL, IPC_O_READ, 0);
	check_open_einval("", IPC_O_READ | IPC_O_CREATE, 0);

	CHECK_ERR(ipc_fifo_create(path, 0, IPC_O_READ), -EINVAL);
	CHECK_ERR(ipc_fifo_create(path, 0, IPC_O_CREATE), -EINVAL);
	CHECK_ERR(ipc_fifo_create(path, 010000, 0), -EINVAL);
	CHECK_ERR(ipc_fifo_create("", 0, 0), -EINVAL);
	CHECK_ERR(ipc_fifo_create(NULL, 0, 0), -EINVAL);
	CHECK_ERR(ipc_fifo_unlink(NULL), -EINVAL);
	CHECK(!exists(path));

	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	CHECK_ERR(ipc_fifo_create(long_path, 0, 0), -ENAMETOOLONG);
	CHECK_ERR(ipc_fifo_open(&f, long_path, IPC_O_READ, 0, IPC_DEADLINE_NOW),
	          -ENAMETOOLONG);
}

/* ---- names: collisions, missing, wrong type, links, owners ---------- */

static void test_exists(void)
{
	const char *path = check_path("fifo");
	const char *file = check_path("file");
	ipc_fifo *f = NULL;

	CHECK_OK(ipc_fifo_create(path, 0, 0));
	CHECK_ERR(ipc_fifo_create(path, 0, IPC_O_EXCL), -EEXIST);
	/* Without IPC_O_EXCL our FIFO is accepted as it is. */
	CHECK_OK(ipc_fifo_create(path, 0640, 0));
	CHECK_EQ(mode_of(path), 0600);
	CHECK_ERR(ipc_fifo_open(&f, path,
	                        IPC_O_READ | IPC_O_CREATE | IPC_O_EXCL, 0,
	                        IPC_DEADLINE_NOW),
	          -EEXIST);
	CHECK(f == NULL);
	f = open_ok(path, IPC_O_READ | IPC_O_CREATE, 0);
	CHECK_OK(ipc_fifo_close(f));
	CHECK(exists(path));

	/* Something else at the path: never accepted, never touched. */
	make_file(file);
	CHECK_ERR(ipc_fifo_create(file, 0, 0), -EEXIST);
	CHECK_ERR(ipc_fifo_create(file, 0, IPC_O_EXCL), -EEXIST);
	CHECK_ERR(ipc_fifo_open(&f, file, IPC_O_READ | IPC_O_CREATE, 0,
	                        IPC_DEADLINE_NOW),
	          -EEXIST);
	CHECK(f == NULL);
	CHECK_EQ(mode_of(file), 0644);
}

static void test_missing(void)
{
	const char *path = check_path("fifo");
	char nodir[PATH_MAX];
	ipc_fifo *f = (ipc_fifo *)&f;

	CHECK_ERR(ipc_fifo_open(&f, path, IPC_O_READ, 0, IPC_DEADLINE_NOW),
	          -ENOENT);
	CHECK(f == NULL);
	CHECK_ERR(ipc_fifo_open(&f, path, IPC_O_WRITE, 0,
	                        ipc_deadline_in_ms(1000)),
	          -ENOENT);
	CHECK_ERR(ipc_fifo_unlink(path), -ENOENT);

	snprintf(nodir, sizeof(nodir), "%s/no-such-dir/fifo", check_dir());
	CHECK_ERR(ipc_fifo_create(nodir, 0, 0), -ENOENT);
	CHECK_ERR(ipc_fifo_open(&f, nodir, IPC_O_READ | IPC_O_CREATE, 0,
	                        IPC_DEADLINE_NOW),
	          -ENOENT);
	CHECK(!exists(path));
}

static void test_not_fifo(void)
{
	const char *file = check_path("file");
	const char *dir = check_path("dir");
	const char *sock = check_path("sock");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	ipc_fifo *f = (ipc_fifo *)&f;
	int s;

	make_file(file);
	CHECK_ERR(ipc_fifo_open(&f, file, IPC_O_READ, 0, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK(f == NULL);
	CHECK_ERR(ipc_fifo_open(&f, file, IPC_O_WRITE, 0, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_fifo_unlink(file), -EINVAL);
	CHECK(exists(file));

	CHECK(mkdir(dir, 0700) == 0);
	CHECK_ERR(ipc_fifo_open(&f, dir, IPC_O_READ, 0, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_fifo_open(&f, dir, IPC_O_WRITE, 0, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_fifo_unlink(dir), -EINVAL);
	CHECK(rmdir(dir) == 0);

	/* open(2) of a socket fails with ENXIO, as a FIFO without reader
	 * does: the writer must not wait for a reader that cannot come. */
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(s >= 0);
	CHECK(strlen(sock) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, sock);
	CHECK(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK_ERR(ipc_fifo_open(&f, sock, IPC_O_WRITE, 0,
	                        ipc_deadline_in_ms(2000)),
	          -EINVAL);
	CHECK_ERR(ipc_fifo_open(&f, sock, IPC_O_READ, 0, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK(close(s) == 0);
}

static void test_symlink(void)
{
	const char *path = check_path("fifo");
	const char *link = check_path("link");
	const char *dangling = check_path("dangling");
	const char *victim = check_path("victim");
	const char *nowhere = check_path("nowhere");
	const char *vlink = check_path("vlink");
	ipc_fifo *f = (ipc_fifo *)&f;
	struct stat st;

	CHECK_OK(ipc_fifo_create(path, 0, 0));
	CHECK(symlink(path, link) == 0);

	CHECK_ERR(ipc_fifo_open(&f, link, IPC_O_READ | IPC_O_NOFOLLOW, 0,
	                        IPC_DEADLINE_NOW),
	          -ELOOP);
	CHECK(f == NULL);
	CHECK_ERR(ipc_fifo_open(&f, link, IPC_O_WRITE | IPC_O_NOFOLLOW, 0,
	                        IPC_DEADLINE_NOW),
	          -ELOOP);
	CHECK_ERR(ipc_fifo_open(&f, link,
	                        IPC_O_READ | IPC_O_CREATE | IPC_O_NOFOLLOW, 0,
	                        IPC_DEADLINE_NOW),
	          -ELOOP);
	f = open_ok(link, IPC_O_READ, 0);
	CHECK_STR_EQ(ipc_fifo_path(f), link);
	CHECK_OK(ipc_fifo_close(f));
	f = open_ok(link, IPC_O_READ | IPC_O_CREATE, 0);
	CHECK_OK(ipc_fifo_close(f));

	/* ipc_fifo_create() never follows a link, and unlink refuses it. */
	CHECK_ERR(ipc_fifo_create(link, 0, 0), -ELOOP);
	CHECK_ERR(ipc_fifo_unlink(link), -EINVAL);
	CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(lstat(path, &st) == 0 && S_ISFIFO(st.st_mode));

	/* A squatter's links: no FIFO appears at the target and a victim
	 * file keeps its mode. */
	CHECK(symlink(nowhere, dangling) == 0);
	CHECK_ERR(ipc_fifo_create(dangling, 0666, 0), -ELOOP);
	CHECK(!exists(nowhere));
	make_file(victim);
	CHECK(symlink(victim, vlink) == 0);
	CHECK_ERR(ipc_fifo_create(vlink, 0666, 0), -ELOOP);
	CHECK_ERR(ipc_fifo_open(&f, vlink, IPC_O_READ | IPC_O_CREATE, 0666,
	                        IPC_DEADLINE_NOW),
	          -EEXIST);
	CHECK_EQ(mode_of(victim), 0644);
}

static void test_other_owner(void)
{
	const char *path = check_path("fifo");
	ipc_fifo *r = (ipc_fifo *)&r;
	ipc_fifo *w;

	if (geteuid() != 0) {
		printf("# skip test_other_owner: needs root to chown\n");
		return;
	}
	CHECK_OK(ipc_fifo_create(path, 0, 0));
	CHECK(lchown(path, NOBODY, NOBODY) == 0);

	CHECK_ERR(ipc_fifo_open(&r, path, IPC_O_READ, 0, IPC_DEADLINE_NOW),
	          -EPERM);
	CHECK(r == NULL);
	CHECK_ERR(ipc_fifo_open(&w, path, IPC_O_WRITE, 0, IPC_DEADLINE_NOW),
	          -EPERM);
	CHECK_ERR(ipc_fifo_create(path, 0, 0), -EPERM);
	CHECK_ERR(ipc_fifo_open(&r, path, IPC_O_READ | IPC_O_CREATE, 0,
	                        IPC_DEADLINE_NOW),
	          -EPERM);
	CHECK(exists(path)); /* not ours: not removed */

	r = open_ok(path, IPC_O_READ | IPC_O_SHARED, 0);
	/* With a reader there the writer still refuses the owner. */
	CHECK_ERR(ipc_fifo_open(&w, path, IPC_O_WRITE, 0, IPC_DEADLINE_NOW),
	          -EPERM);
	w = open_ok(path, IPC_O_WRITE | IPC_O_SHARED | IPC_O_CREATE, 0);
	CHECK_OK(ipc_fifo_close(w));
	CHECK_OK(ipc_fifo_close(r));
	CHECK_OK(ipc_fifo_unlink(path));
}

/* ---- permission bits ------------------------------------------------ */

static void test_mode_umask000(void)
{
	const char *p1 = check_path("fifo");
	const char *p2 = check_path("fifo");
	const char *p3 = check_path("fifo");
	ipc_fifo *f;

	umask(0);
	CHECK_OK(ipc_fifo_create(p1, 0, 0));
	CHECK_EQ(mode_of(p1), 0600);
	CHECK_OK(ipc_fifo_create(p2, 0666, IPC_O_EXCL));
	CHECK_EQ(mode_of(p2), 0666);
	CHECK_OK(ipc_fifo_open(&f, p3, IPC_O_READ | IPC_O_CREATE, 0604,
	                       IPC_DEADLINE_NOW));
	CHECK_EQ(mode_of(p3), 0604);
	CHECK_OK(ipc_fifo_close(f));
}

static void test_mode_umask077(void)
{
	const char *p1 = check_path("fifo");
	const char *p2 = check_path("fifo");
	const char *p3 = check_path("fifo");
	const char *p4 = check_path("fifo");
	ipc_fifo *f;

	umask(077);
	CHECK_OK(ipc_fifo_create(p1, 0, 0));
	CHECK_EQ(mode_of(p1), 0600);
	CHECK_OK(ipc_fifo_create(p2, 0640, 0));
	CHECK_EQ(mode_of(p2), 0640);
	CHECK_OK(ipc_fifo_open(&f, p3, IPC_O_READ | IPC_O_CREATE, 0660,
	                       IPC_DEADLINE_NOW));
	CHECK_EQ(mode_of(p3), 0660);
	CHECK_OK(ipc_fifo_close(f));
	/* A umask that takes the owner's bits: the default still holds. */
	umask(0377);
	CHECK_OK(ipc_fifo_create(p4, 0, 0));
	CHECK_EQ(mode_of(p4), 0600);
}

/* ---- descriptors ---------------------------------------------------- */

static void check_fd_flags(ipc_fifo *f, int acc, bool nonblock)
{
	int fd = ipc_fifo_fd(f);
	int fl = fcntl(fd, F_GETFL);
	struct stat st;

	CHECK(fd >= 0);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK(fl >= 0);
	CHECK_EQ(fl & O_ACCMODE, acc);
	CHECK_EQ((fl & O_NONBLOCK) != 0, nonblock);
	CHECK(fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode));
}

static void test_cloexec_nonblock(void)
{
	const char *path = check_path("fifo");
	ipc_deadline start;
	ipc_fifo *r;
	ipc_fifo *w;
	char c;
	size_t n;

	open_pair(path, &r, &w);
	check_fd_flags(r, O_RDONLY, false);
	check_fd_flags(w, O_WRONLY, false);
	CHECK(ipc_fifo_path(r) != path);
	CHECK_STR_EQ(ipc_fifo_path(r), path);
	CHECK_OK(ipc_fifo_close(w));
	CHECK_OK(ipc_fifo_close(r));

	r = open_ok(path, IPC_O_READ | IPC_O_NONBLOCK, 0);
	w = open_ok(path, IPC_O_WRITE | IPC_O_NONBLOCK, 1000);
	check_fd_flags(r, O_RDONLY, true);
	check_fd_flags(w, O_WRONLY, true);
	/* An O_NONBLOCK descriptor still honours the deadline. */
	start = ipc_now();
	CHECK_ERR(ipc_fifo_read(r, &c, 1, &n, ipc_deadline_in_ms(100)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 100);
	CHECK_OK(ipc_fifo_close(w));
	CHECK_OK(ipc_fifo_close(r));
}

/* ---- EINTR ---------------------------------------------------------- */

static void test_eintr_open(void)
{
	const char *path = check_path("fifo");
	ipc_deadline start = ipc_now();
	ipc_deadline d = ipc_deadline_in_ms(400);
	ipc_fifo *w;

	CHECK_OK(ipc_fifo_create(path, 0, 0));
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_fifo_open(&w, path, IPC_O_WRITE, 0, d), -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
	CHECK(w == NULL);
	/* The same deadline again: the total wait does not grow. */
	CHECK_ERR(ipc_fifo_open(&w, path, IPC_O_WRITE, 0, d), -ETIMEDOUT);
	CHECK_ELAPSED(start, 400);
}

static void test_eintr_read(void)
{
	const char *path = check_path("fifo");
	ipc_deadline start;
	ipc_deadline d;
	ipc_fifo *r;
	ipc_fifo *w;
	char c;
	size_t n;

	open_pair(path, &r, &w);
	start = ipc_now();
	d = ipc_deadline_in_ms(400);
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_fifo_read(r, &c, 1, &n, d), -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
	CHECK_ERR(ipc_fifo_read(r, &c, 1, &n, d), -ETIMEDOUT);
	CHECK_ELAPSED(start, 400);

	/* The blocking path (no deadline) is interrupted too. */
	start = ipc_now();
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_fifo_read(r, &c, 1, &n, IPC_DEADLINE_NEVER), -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
	CHECK_OK(ipc_fifo_close(w));
	CHECK_OK(ipc_fifo_close(r));
}

static void test_eintr_write(void)
{
	const char *path = check_path("fifo");
	static unsigned char big[100000];
	ipc_deadline start;
	ipc_fifo *r;
	ipc_fifo *w;
	size_t n;

	open_pair(path, &r, &w);
	start = ipc_now();
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_fifo_write(w, big, sizeof(big), &n,
	                         ipc_deadline_in_ms(400)),
	          -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
	CHECK_EQ(n, capacity(w));
	CHECK_OK(ipc_fifo_close(w));
	CHECK_OK(ipc_fifo_close(r));
}

/* ---- a failed open removes what it created -------------------------- */

static void test_create_removed_on_failure(void)
{
	const char *path = check_path("fifo");
	ipc_fifo *w = (ipc_fifo *)&w;

	CHECK_ERR(ipc_fifo_open(&w, path, IPC_O_WRITE | IPC_O_CREATE, 0,
	                        IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK(w == NULL);
	CHECK(!exists(path));
	CHECK_ERR(ipc_fifo_open(&w, path,
	                        IPC_O_WRITE | IPC_O_CREATE | IPC_O_EXCL, 0600,
	                        ipc_deadline_in_ms(50)),
	          -ETIMEDOUT);
	CHECK(!exists(path));

	/* A FIFO that was there before the call stays. */
	CHECK_OK(ipc_fifo_create(path, 0, 0));
	CHECK_ERR(ipc_fifo_open(&w, path, IPC_O_WRITE | IPC_O_CREATE, 0,
	                        IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK(exists(path));
}

/* ---- PIPE_BUF atomicity with two writers ---------------------------- */

#define REC_SIZE  PIPE_BUF
#define REC_COUNT 1024

struct rec_writer {
	const char *path;
	unsigned int id;
	ipc_deadline start_at;
};

static void make_record(unsigned char *rec, unsigned int id, uint32_t seq)
{
	rec[0] = (unsigned char)id;
	memcpy(rec + 4, &seq, sizeof(seq));
	check_fill(rec + 8, REC_SIZE - 8, id, (size_t)seq * REC_SIZE);
}

static void rec_writer_main(void *arg)
{
	const struct rec_writer *a = arg;
	unsigned char rec[REC_SIZE];
	struct timespec ts = {(time_t)(a->start_at / 1000000000),
	                      (long)(a->start_at % 1000000000)};
	ipc_fifo *w;
	uint32_t seq;
	size_t n;

	w = open_ok(a->path, IPC_O_WRITE, 5000);
	/* Start together, so that the two really contend. */
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
	memset(rec, 0, sizeof(rec));
	for (seq = 0; seq < REC_COUNT; seq++) {
		make_record(rec, a->id, seq);
		CHECK_OK(ipc_fifo_write(w, rec, sizeof(rec), &n,
		                        a->id == 1 ? ipc_deadline_in_ms(5000)
		                                   : IPC_DEADLINE_NEVER));
		CHECK_EQ(n, sizeof(rec));
	}
	CHECK_OK(ipc_fifo_close(w));
}

static void test_pipe_buf_atomic(void)
{
	const char *path = check_path("fifo");
	size_t total = 2 * (size_t)REC_COUNT * REC_SIZE;
	struct rec_writer a[2];
	unsigned char want[REC_SIZE];
	unsigned char *got = malloc(total);
	uint32_t next[3] = {0, 0, 0};
	unsigned int last = 0;
	unsigned int switches = 0;
	unsigned int id;
	uint32_t seq;
	size_t off = 0;
	size_t n;
	pid_t pid[2];
	ipc_fifo *r;
	int i;

	CHECK(got != NULL);
	CHECK_OK(ipc_fifo_create(path, 0, 0));
	for (i = 0; i < 2; i++) {
		a[i].path = path;
		a[i].id = (unsigned int)i + 1;
		a[i].start_at = ipc_now() + 200 * 1000000LL * check_slow();
		pid[i] = check_fork(rec_writer_main, &a[i]);
	}
	r = open_ok(path, IPC_O_READ, 0);
	/* Small reads that straddle records: the reader imposes no
	 * boundaries of its own. */
	while (off < total) {
		CHECK_OK(ipc_fifo_read(r, got + off,
		                       total - off < 1000 ? total - off : 1000,
		                       &n, ipc_deadline_in_ms(5000)));
		CHECK(n > 0);
		off += n;
	}
	CHECK_CHILD_OK(pid[0], 5000);
	CHECK_CHILD_OK(pid[1], 5000);
	CHECK_OK(ipc_fifo_read(r, got, 1, &n, ipc_deadline_in_ms(1000)));
	CHECK_EQ(n, 0);
	CHECK_OK(ipc_fifo_close(r));

	memset(want, 0, sizeof(want));
	for (off = 0; off < total; off += REC_SIZE) {
		id = got[off];
		CHECK(id == 1 || id == 2);
		memcpy(&seq, got + off + 4, sizeof(seq));
		CHECK_EQ(seq, next[id]);
		next[id]++;
		make_record(want, id, seq);
		CHECK_MEM_EQ(got + off, want, REC_SIZE);
		if (last != 0 && id != last)
			switches++;
		last = id;
	}
	CHECK_EQ(next[1], REC_COUNT);
	CHECK_EQ(next[2], REC_COUNT);
	printf("# %u switches between writers\n", switches);
	free(got);
}

/* ---- unlink --------------------------------------------------------- */

static void test_unlink(void)
{
	const char *path = check_path("fifo");
	ipc_fifo *r;
	ipc_fifo *w;
	char buf[8];
	size_t n;

	open_pair(path, &r, &w);
	/* The name goes; the open ends keep working. */
	CHECK_OK(ipc_fifo_unlink(path));
	CHECK(!exists(path));
	CHECK_ERR(ipc_fifo_unlink(path), -ENOENT);
	CHECK_OK(ipc_fifo_write(w, "abc", 3, &n, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_fifo_read(r, buf, sizeof(buf), &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 3);
	CHECK_MEM_EQ(buf, "abc", 3);
	CHECK_OK(ipc_fifo_close(w));
	CHECK_OK(ipc_fifo_close(r));
}

static const struct check_case cases[] = {
        CHECK_CASE(test_roundtrip),
        CHECK_CASE(test_would_block),
        CHECK_CASE(test_read_timeout),
        CHECK_CASE(test_open_writer_timeout),
        CHECK_CASE(test_write_full_timeout),
        CHECK_CASE(test_eof_after_writer),
        CHECK_CASE(test_epipe),
        CHECK_CASE(test_misuse),
        CHECK_CASE(test_bad_flags),
        CHECK_CASE(test_exists),
        CHECK_CASE(test_missing),
        CHECK_CASE(test_not_fifo),
        CHECK_CASE(test_symlink),
        CHECK_CASE(test_other_owner),
        CHECK_CASE(test_mode_umask000),
        CHECK_CASE(test_mode_umask077),
        CHECK_CASE(test_cloexec_nonblock),
        CHECK_CASE(test_eintr_open),
        CHECK_CASE(test_eintr_read),
        CHECK_CASE(test_eintr_write),
        CHECK_CASE(test_create_removed_on_failure),
        CHECK_CASE(test_pipe_buf_atomic),
        CHECK_CASE(test_unlink),
        {NULL, NULL},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
