/* SPDX-License-Identifier: MIT */
/* Mapped files: create with a size, ranges, flush, sharing, faults. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ipc/mmap.h"

#define FILE_LEN 70000

static ipc_mmap *map_ok(const char *path, uint64_t offset, size_t length,
                        unsigned int flags, unsigned int mode)
{
	ipc_mmap *m = NULL;

	CHECK_OK(ipc_mmap_open(&m, path, offset, length, flags, mode));
	CHECK(m != NULL);
	CHECK(ipc_mmap_addr(m) != NULL);
	return m;
}

/* A file of @len pattern bytes (seed @seed). */
static void make_file(const char *path, size_t len, unsigned int seed)
{
	unsigned char *buf = malloc(len ? len : 1);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	CHECK(buf != NULL);
	CHECK(fd >= 0);
	check_fill(buf, len, seed, 0);
	CHECK(write(fd, buf, len) == (ssize_t)len);
	CHECK(close(fd) == 0);
	free(buf);
}

static struct stat stat_of(const char *path)
{
	struct stat st;

	CHECK(lstat(path, &st) == 0);
	return st;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* ---- create with a size ----------------------------------------------- */

static void create_case(unsigned int mask)
{
	static const unsigned int modes[] = {0, 0600, 0640, 0604, 0666, 0400};
	size_t i;

	umask((mode_t)mask);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const char *path = check_path("create");
		unsigned int want = modes[i] ? modes[i] : 0600;
		unsigned char zero[1000];
		ipc_mmap *m;
		struct stat a;
		struct stat b;

		m = map_ok(path, 0, 10000, IPC_O_CREATE | IPC_O_EXCL, modes[i]);
		a = stat_of(path);
		CHECK(S_ISREG(a.st_mode));
		CHECK_EQ(a.st_mode & 07777, want);
		CHECK_EQ(a.st_size, 10000);
		/* Reserved, not sparse. */
		CHECK(a.st_blocks * 512 >= 10000);
		CHECK_EQ(ipc_mmap_size(m), 10000);
		CHECK_EQ(ipc_mmap_offset(m), 0);
		CHECK(fstat(ipc_mmap_fd(m), &b) == 0);
		CHECK_EQ(b.st_ino, a.st_ino);
		CHECK(fcntl(ipc_mmap_fd(m), F_GETFD) & FD_CLOEXEC);
		CHECK_EQ(fcntl(ipc_mmap_fd(m), F_GETFL) &
		                 (O_ACCMODE | O_NONBLOCK),
		         O_RDWR);
		memset(zero, 0, sizeof(zero));
		CHECK_MEM_EQ((unsigned char *)ipc_mmap_addr(m) + 9000, zero,
		             sizeof(zero));
		CHECK_OK(ipc_mmap_close(m));
		/* Closing never removes the file. */
		CHECK(exists(path));
		CHECK_EQ(unlink(path), 0);
	}
}

static void test_create_umask000(void)
{
	create_case(0);
}

static void test_create_umask077(void)
{
	create_case(077);
}

/* With an offset, the file is sized to offset + length. */
static void test_create_offset(void)
{
	const char *path = check_path("createoff");
	ipc_mmap *m = map_ok(path, 5000, 3000, IPC_O_CREATE | IPC_O_EXCL, 0);

	CHECK_EQ(stat_of(path).st_size, 8000);
	memcpy(ipc_mmap_addr(m), "at5000", 6);
	CHECK_OK(ipc_mmap_close(m));
	m = map_ok(path, 0, 0, 0, 0);
	CHECK_EQ(ipc_mmap_size(m), 8000);
	CHECK_MEM_EQ((unsigned char *)ipc_mmap_addr(m) + 5000, "at5000", 6);
	CHECK_OK(ipc_mmap_close(m));
}

/* ---- ranges at unaligned offsets -------------------------------------- */

static void test_unaligned_offset(void)
{
	static const uint64_t offsets[] = {0, 1, 4095, 4096, 5000, 69999};
	const char *path = check_path("range");
	unsigned char *want = malloc(FILE_LEN);
	size_t i;

	CHECK(want != NULL);
	make_file(path, FILE_LEN, 5);
	check_fill(want, FILE_LEN, 5, 0);
	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		uint64_t off = offsets[i];
		size_t len = FILE_LEN - off < 10000 ? FILE_LEN - off : 10000;
		ipc_mmap *m = map_ok(path, off, len, IPC_O_READ, 0);

		CHECK_EQ(ipc_mmap_size(m), len);
		CHECK_EQ(ipc_mmap_offset(m), off);
		CHECK_MEM_EQ(ipc_mmap_addr(m), want + off, len);
		CHECK_OK(ipc_mmap_close(m));
		/* Length 0: up to the end. */
		m = map_ok(path, off, 0, 0, 0);
		CHECK_EQ(ipc_mmap_size(m), FILE_LEN - off);
		CHECK_MEM_EQ(ipc_mmap_addr(m), want + off, FILE_LEN - off);
		CHECK_OK(ipc_mmap_close(m));
	}
	free(want);
}

/* ---- write, flush, read(2) -------------------------------------------- */

static void test_write_flush_read(void)
{
	const char *path = check_path("flush");
	unsigned char buf[3000];
	unsigned char want[3000];
	ipc_mmap *m;
	unsigned char *p;
	int fd;

	make_file(path, FILE_LEN, 6);
	m = map_ok(path, 4000, 20000, 0, 0);
	p = ipc_mmap_addr(m);
	check_fill(want, sizeof(want), 7, 0);
	memcpy(p + 1000, want, sizeof(want));
	CHECK_OK(ipc_mmap_flush(m, 1000, sizeof(want), true));
	CHECK_OK(ipc_mmap_flush(m, 0, 0, false));
	CHECK_OK(ipc_mmap_flush(m, 0, 0, true));
	CHECK_OK(ipc_mmap_flush(m, 19999, 1, true));
	CHECK_OK(ipc_mmap_flush(m, 20000, 0, true)); /* empty: nothing */
	CHECK_ERR(ipc_mmap_flush(m, 20001, 0, true), -EINVAL);
	CHECK_ERR(ipc_mmap_flush(m, 10000, 10001, true), -EINVAL);
	CHECK_ERR(ipc_mmap_flush(m, 1, SIZE_MAX, true), -EINVAL);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(pread(fd, buf, sizeof(buf), 5000) == (ssize_t)sizeof(buf));
	CHECK_MEM_EQ(buf, want, sizeof(want));
	/* Writes are in the page cache at once, flushed or not. */
	memcpy(p, "unflushed", 9);
	CHECK(pread(fd, buf, 9, 4000) == 9);
	CHECK_MEM_EQ(buf, "unflushed", 9);
	CHECK_OK(ipc_mmap_close(m));
	/* And in the file after the mapping is gone. */
	CHECK(pread(fd, buf, sizeof(buf), 5000) == (ssize_t)sizeof(buf));
	CHECK_MEM_EQ(buf, want, sizeof(want));
	CHECK(close(fd) == 0);
}

/* ---- two processes share one file ------------------------------------- */

static void share_child(void *arg)
{
	const char *path = arg;
	ipc_mmap *m = NULL;
	unsigned char *p;

	CHECK_OK(ipc_mmap_open(&m, path, 100, 8000, 0, 0));
	p = ipc_mmap_addr(m);
	CHECK_MEM_EQ(p, "from parent", 11);
	memcpy(p + 7000, "from child", 10);
	CHECK_OK(ipc_mmap_close(m));
}

static void test_two_processes(void)
{
	const char *path = check_path("share");
	ipc_mmap *m = map_ok(path, 0, 9000, IPC_O_CREATE | IPC_O_EXCL, 0);
	unsigned char *p = ipc_mmap_addr(m);
	pid_t pid;

	memcpy(p + 100, "from parent", 11);
	pid = check_fork(share_child, (void *)path);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_MEM_EQ(p + 7100, "from child", 10);
	CHECK_OK(ipc_mmap_close(m));
}

/* ---- read-only -------------------------------------------------------- */

static void ro_writer(void *arg)
{
	volatile unsigned char *p = arg;

	signal(SIGSEGV, SIG_DFL); /* not the sanitizer's report */
	p[0] = 1;
}

static void test_readonly(void)
{
	const char *path = check_path("ro");
	ipc_mmap *m = NULL;
	pid_t pid;

	make_file(path, 5000, 8);
	CHECK(chmod(path, 0400) == 0);
	m = map_ok(path, 10, 100, IPC_O_READ, 0);
	CHECK_EQ(fcntl(ipc_mmap_fd(m), F_GETFL) & O_ACCMODE, O_RDONLY);
	pid = check_fork(ro_writer, ipc_mmap_addr(m));
	CHECK_KILLED_BY(pid, SIGSEGV);
	CHECK_OK(ipc_mmap_flush(m, 0, 0, true));
	CHECK_OK(ipc_mmap_close(m));
	/* Creating needs write access. */
	CHECK_ERR(ipc_mmap_open(&m, check_path("rocreate"), 0, 100,
	                        IPC_O_READ | IPC_O_CREATE, 0),
	          -EINVAL);
	CHECK(m == NULL);
}

/* ---- short files ------------------------------------------------------ */

static void test_too_short(void)
{
	const char *path = check_path("short");
	const char *empty = check_path("empty");
	unsigned char want[100];
	ipc_mmap *m = (ipc_mmap *)&want;

	make_file(path, 100, 9);
	make_file(empty, 0, 9);
	CHECK_ERR(ipc_mmap_open(&m, path, 0, 101, 0, 0), -EINVAL);
	CHECK(m == NULL);
	CHECK_ERR(ipc_mmap_open(&m, path, 50, 51, IPC_O_READ, 0), -EINVAL);
	CHECK_ERR(ipc_mmap_open(&m, path, 100, 0, 0, 0), -EINVAL);
	CHECK_ERR(ipc_mmap_open(&m, path, 5000, 0, 0, 0), -EINVAL);
	CHECK_ERR(ipc_mmap_open(&m, empty, 0, 0, 0, 0), -EINVAL);
	CHECK_ERR(ipc_mmap_open(&m, empty, 0, 1, 0, 0), -EINVAL);
	CHECK_EQ(stat_of(path).st_size, 100); /* never grown */
	m = map_ok(path, 50, 50, 0, 0);
	CHECK_OK(ipc_mmap_close(m));
	/* IPC_O_CREATE on an existing short file grows it, data kept. */
	m = map_ok(path, 0, 6000, IPC_O_CREATE, 0);
	CHECK_EQ(stat_of(path).st_size, 6000);
	check_fill(want, sizeof(want), 9, 0);
	CHECK_MEM_EQ(ipc_mmap_addr(m), want, sizeof(want));
	CHECK_OK(ipc_mmap_close(m));
	/* And never shrinks one. */
	m = map_ok(path, 0, 10, IPC_O_CREATE, 0);
	CHECK_OK(ipc_mmap_close(m));
	CHECK_EQ(stat_of(path).st_size, 6000);
	CHECK_EQ(stat_of(path).st_mode & 07777, 0644); /* mode kept */
}

/* ---- EEXIST, ENOENT, not a file, symbolic links ----------------------- */

static void test_exist_noent(void)
{
	const char *path = check_path("exist");
	const char *missing = check_path("missing");
	const char *dir = check_path("dir");
	const char *fifo = check_path("fifo");
	const char *dangling = check_path("dangling");
	ipc_mmap *m = NULL;

	make_file(path, 100, 1);
	CHECK_ERR(ipc_mmap_open(&m, path, 0, 100, IPC_O_CREATE | IPC_O_EXCL, 0),
	          -EEXIST);
	CHECK(exists(path)); /* not ours to remove */
	CHECK_ERR(ipc_mmap_open(&m, missing, 0, 100, 0, 0), -ENOENT);
	CHECK_ERR(ipc_mmap_open(&m, missing, 0, 0, IPC_O_READ, 0), -ENOENT);
	CHECK(!exists(missing));
	CHECK(mkdir(dir, 0700) == 0);
	CHECK_ERR(ipc_mmap_open(&m, dir, 0, 0, IPC_O_READ, 0), -EINVAL);
	CHECK_ERR(ipc_mmap_open(&m, dir, 0, 0, 0, 0), -EINVAL);
	CHECK(rmdir(dir) == 0);
	/* A FIFO: refused, and the open does not hang. */
	CHECK(mkfifo(fifo, 0600) == 0);
	CHECK_ERR(ipc_mmap_open(&m, fifo, 0, 0, IPC_O_READ, 0), -EINVAL);
	CHECK_ERR(ipc_mmap_open(&m, fifo, 0, 10, IPC_O_CREATE, 0), -EINVAL);
	CHECK(exists(fifo));
	CHECK_ERR(ipc_mmap_open(&m, "/dev/zero", 0, 10, 0, 0), -EINVAL);
	/* A dangling link is never created through. */
	CHECK(symlink(missing, dangling) == 0);
	CHECK_ERR(ipc_mmap_open(&m, dangling, 0, 10, IPC_O_CREATE, 0), -ENOENT);
	CHECK_ERR(ipc_mmap_open(&m, dangling, 0, 10, IPC_O_CREATE | IPC_O_EXCL,
	                        0),
	          -EEXIST);
	CHECK(!exists(missing));
	CHECK(m == NULL);
}

static void test_nofollow(void)
{
	const char *path = check_path("target");
	const char *link = check_path("link");
	ipc_mmap *m = NULL;

	make_file(path, 100, 2);
	CHECK(symlink(path, link) == 0);
	CHECK_ERR(ipc_mmap_open(&m, link, 0, 0, IPC_O_NOFOLLOW, 0), -ELOOP);
	CHECK_ERR(ipc_mmap_open(&m, link, 0, 10, IPC_O_NOFOLLOW | IPC_O_CREATE,
	                        0),
	          -ELOOP);
	CHECK_ERR(ipc_mmap_open(&m, link, 0, 10,
	                        IPC_O_NOFOLLOW | IPC_O_CREATE | IPC_O_EXCL, 0),
	          -EEXIST);
	CHECK(m == NULL);
	/* Without it the link is followed. */
	m = map_ok(link, 0, 0, IPC_O_READ, 0);
	CHECK_EQ(ipc_mmap_size(m), 100);
	CHECK_OK(ipc_mmap_close(m));
}

/* ---- a full file system: -ENOSPC, not SIGBUS -------------------------- */

static void enospc_child(void *arg)
{
	const char *dir = arg;
	char path[PATH_MAX];
	struct dirent *e;
	ipc_mmap *m = NULL;
	int left = 0;
	DIR *d;

	if (unshare(CLONE_NEWNS) < 0) {
		fprintf(stderr, "skipped: unshare(CLONE_NEWNS): %s\n",
		        strerror(errno));
		return;
	}
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", dir, "tmpfs", 0, "size=1m") < 0) {
		fprintf(stderr, "skipped: mount: %s\n", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/big", dir);
	CHECK_ERR(ipc_mmap_open(&m, path, 0, 4u << 20,
	                        IPC_O_CREATE | IPC_O_EXCL, 0),
	          -ENOSPC);
	CHECK(m == NULL);
	CHECK(access(path, F_OK) < 0 && errno == ENOENT); /* removed again */
	/* Growing an existing file: the same, and the file stays. */
	m = NULL;
	CHECK_OK(ipc_mmap_open(&m, path, 0, 4096, IPC_O_CREATE, 0));
	CHECK_OK(ipc_mmap_close(m));
	CHECK_ERR(ipc_mmap_open(&m, path, 0, 4u << 20, IPC_O_CREATE, 0),
	          -ENOSPC);
	CHECK(unlink(path) == 0);
	d = opendir(dir);
	CHECK(d != NULL);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			left++;
	}
	closedir(d);
	CHECK_EQ(left, 0);
	CHECK(umount(dir) == 0);
}

static void rm_dir(void *arg)
{
	(void)rmdir((const char *)arg);
}

static void test_enospc_not_sigbus(void)
{
	const char *dir = check_path("tmpfs");
	pid_t pid;

	CHECK(mkdir(dir, 0700) == 0);
	check_defer(rm_dir, (void *)dir);
	pid = check_fork(enospc_child, (void *)dir);
	CHECK_CHILD_OK(pid, 10000);
	CHECK(rmdir(dir) == 0);
}

/* ---- truncation under a mapping: SIGBUS (documented) ------------------ */

/* The child dies of SIGBUS holding its handle by design: keep it in a
 * static, so that valgrind sees it still reachable, not lost. */
static ipc_mmap *dying_map;

static void trunc_child(void *arg)
{
	const char *path = arg;
	volatile unsigned char *p;

	CHECK_OK(ipc_mmap_open(&dying_map, path, 0, 8192, IPC_O_READ, 0));
	p = ipc_mmap_addr(dying_map);
	CHECK_EQ(p[5000], 0);
	CHECK(truncate(path, 0) == 0); /* as any other writer could */
	signal(SIGBUS, SIG_DFL);
	(void)p[5000];
}

static void test_truncate_sigbus(void)
{
	const char *path = check_path("trunc");
	ipc_mmap *m = map_ok(path, 0, 8192, IPC_O_CREATE | IPC_O_EXCL, 0);
	pid_t pid;

	CHECK_OK(ipc_mmap_close(m));
	pid = check_fork(trunc_child, (void *)path);
	CHECK_KILLED_BY(pid, SIGBUS);
}

/* ---- interop with raw open/mmap/pread --------------------------------- */

static void raw_peer(void *arg)
{
	const char *path = arg;
	unsigned char want[4000];
	unsigned char buf[4000];
	unsigned char *p;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	CHECK(fd >= 0);
	/* Read what the library wrote, with plain pread. */
	check_fill(want, sizeof(want), 11, 0);
	CHECK(pread(fd, buf, sizeof(buf), 3) == (ssize_t)sizeof(buf));
	CHECK_MEM_EQ(buf, want, sizeof(want));
	/* Write through a raw mapping of our own. */
	p = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	check_fill(p + 10000, 4000, 12, 0);
	CHECK(munmap(p, 16384) == 0);
	CHECK(close(fd) == 0);
}

static void test_interop_raw_peer(void)
{
	const char *path = check_path("raw");
	unsigned char want[4000];
	ipc_mmap *m = map_ok(path, 3, 16381, IPC_O_CREATE | IPC_O_EXCL, 0);
	unsigned char *p = ipc_mmap_addr(m);
	pid_t pid;

	check_fill(p, 4000, 11, 0);
	pid = check_fork(raw_peer, (void *)path);
	CHECK_CHILD_OK(pid, 5000);
	check_fill(want, sizeof(want), 12, 0);
	CHECK_MEM_EQ(p + 9997, want, sizeof(want));
	CHECK_OK(ipc_mmap_close(m));
}

/* ---- misuse ----------------------------------------------------------- */

static void test_misuse(void)
{
	const char *path = check_path("misuse");
	const char *fresh = check_path("fresh");
	char longpath[PATH_MAX + 10];
	ipc_mmap *m = (ipc_mmap *)&longpath;

	make_file(path, 100, 3);
	CHECK_ERR(ipc_mmap_open(NULL, path, 0, 0, 0, 0), -EINVAL);
	CHECK_ERR(ipc_mmap_open(&m, NULL, 0, 0, 0, 0), -EINVAL);
	CHECK(m == NULL);
	CHECK_ERR(ipc_mmap_open(&m, "", 0, 0, 0, 0), -EINVAL);
	CHECK_ERR(ipc_mmap_open(&m, path, 0, 0, IPC_O_NONBLOCK, 0), -EINVAL);
	CHECK_ERR(ipc_mmap_open(&m, path, 0, 0, IPC_O_SHARED, 0), -EINVAL);
	CHECK_ERR(ipc_mmap_open(&m, path, 0, 0, 0x10000u, 0), -EINVAL);
	CHECK_ERR(ipc_mmap_open(&m, path, 0, 0, IPC_O_EXCL, 0), -EINVAL);
	CHECK_ERR(ipc_mmap_open(&m, fresh, 0, 10, IPC_O_CREATE, 010000),
	          -EINVAL);
	CHECK_ERR(ipc_mmap_open(&m, fresh, 0, 0, IPC_O_CREATE, 0), -EINVAL);
	CHECK_ERR(ipc_mmap_open(&m, fresh, (uint64_t)INT64_MAX + 1, 10,
	                        IPC_O_CREATE, 0),
	          -EINVAL);
	CHECK_ERR(ipc_mmap_open(&m, fresh, (uint64_t)INT64_MAX - 5, 10,
	                        IPC_O_CREATE, 0),
	          -EINVAL);
	CHECK_ERR(ipc_mmap_open(&m, path, UINT64_MAX, 1, 0, 0), -EINVAL);
	CHECK(!exists(fresh));
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK_ERR(ipc_mmap_open(&m, longpath, 0, 0, 0, 0), -ENAMETOOLONG);
	CHECK(m == NULL);
	/* NULL handles. */
	CHECK_ERR(ipc_mmap_flush(NULL, 0, 0, true), -EBADF);
	CHECK_OK(ipc_mmap_close(NULL));
	CHECK(ipc_mmap_addr(NULL) == NULL);
	CHECK_EQ(ipc_mmap_size(NULL), 0);
	CHECK_EQ(ipc_mmap_offset(NULL), 0);
	CHECK_EQ(ipc_mmap_fd(NULL), -1);
}

static const struct check_case cases[] = {CHECK_CASE(test_create_umask000),
                                          CHECK_CASE(test_create_umask077),
                                          CHECK_CASE(test_create_offset),
                                          CHECK_CASE(test_unaligned_offset),
                                          CHECK_CASE(test_write_flush_read),
                                          CHECK_CASE(test_two_processes),
                                          CHECK_CASE(test_readonly),
                                          CHECK_CASE(test_too_short),
                                          CHECK_CASE(test_exist_noent),
                                          CHECK_CASE(test_nofollow),
                                          CHECK_CASE(test_enospc_not_sigbus),
                                          CHECK_CASE(test_truncate_sigbus),
                                          CHECK_CASE(test_interop_raw_peer),
                                          CHECK_CASE(test_misuse),
                                          {NULL, NULL}};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
