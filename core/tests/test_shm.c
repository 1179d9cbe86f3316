/* SPDX-License-Identifier: MIT */
/* POSIX shared memory: creation, size rules, squatting, ENOSPC, interop. */
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
#include "ipc/shm.h"

#define NOBODY    65534
#define SKIP_CODE 77

static const char *dev_path(const char *name)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "/dev/shm%s", name);
	return buf;
}

static bool exists(const char *name)
{
	struct stat st;

	return lstat(dev_path(name), &st) == 0;
}

static unsigned int mode_of(const char *name)
{
	struct stat st;

	CHECK(lstat(dev_path(name), &st) == 0);
	return st.st_mode & 07777;
}

static void unlink_quiet(void *arg)
{
	(void)unlink(dev_path(arg));
}

static ipc_shm *open_ok(const char *name, size_t size, unsigned int flags)
{
	ipc_shm *h = NULL;

	CHECK_OK(ipc_shm_open(&h, name, size, flags, 0));
	CHECK(h != NULL);
	return h;
}

/* A new object; removed at the end of the case whatever happens. */
static ipc_shm *create_ok(const char *name, size_t size)
{
	ipc_shm *h = open_ok(name, size, IPC_O_CREATE | IPC_O_EXCL);

	check_defer(unlink_quiet, (void *)name);
	return h;
}

/* ---- round trip across two processes --------------------------------- */

#define RT_SIZE 200000

static void rt_child(void *arg)
{
	unsigned char *want = malloc(RT_SIZE);
	unsigned char *p;
	ipc_shm *h;

	CHECK(want != NULL);
	h = open_ok(arg, 0, 0);
	CHECK_EQ(ipc_shm_size(h), RT_SIZE);
	p = ipc_shm_addr(h);
	check_fill(want, RT_SIZE, 1, 0);
	CHECK_MEM_EQ(p, want, RT_SIZE);
	check_fill(p, RT_SIZE, 2, 0);
	free(want);
	CHECK_OK(ipc_shm_close(h));
}

static void test_roundtrip(void)
{
	const char *name = check_posix_name("rt");
	unsigned char *want = malloc(RT_SIZE);
	ipc_shm *h;
	pid_t pid;

	CHECK(want != NULL);
	h = create_ok(name, RT_SIZE);
	CHECK_EQ(ipc_shm_size(h), RT_SIZE);
	CHECK_STR_EQ(ipc_shm_name(h), name);
	CHECK(!ipc_shm_is_readonly(h));
	CHECK(((uintptr_t)ipc_shm_addr(h) & 4095) == 0);
	check_fill(ipc_shm_addr(h), RT_SIZE, 1, 0);
	pid = check_fork(rt_child, (void *)name);
	CHECK_CHILD_OK(pid, 5000);
	check_fill(want, RT_SIZE, 2, 0);
	CHECK_MEM_EQ(ipc_shm_addr(h), want, RT_SIZE);
	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_shm_unlink(name));
	CHECK(!exists(name));
	free(want);
}

/* ---- sizes ------------------------------------------------------------ */

static void test_size_rules(void)
{
	const char *name = check_posix_name("size");
	ipc_shm *h;
	ipc_shm *o;
	struct stat st;

	h = create_ok(name, 10000);
	CHECK(fstat(ipc_shm_fd(h), &st) == 0);
	CHECK_EQ(st.st_size, 10000);
	/* The pages are reserved, not sparse. */
	CHECK(st.st_blocks * 512 >= 10000);
	memset(ipc_shm_addr(h), 'x', 10000);

	o = open_ok(name, 0, 0); /* 0 adopts the object's size */
	CHECK_EQ(ipc_shm_size(o), 10000);
	CHECK(((char *)ipc_shm_addr(o))[9999] == 'x');
	CHECK_OK(ipc_shm_close(o));

	o = open_ok(name, 10000, 0); /* exactly its size */
	CHECK_EQ(ipc_shm_size(o), 10000);
	CHECK_OK(ipc_shm_close(o));

	o = open_ok(name, 100, 0); /* less: only that much is mapped */
	CHECK_EQ(ipc_shm_size(o), 100);
	CHECK_OK(ipc_shm_close(o));

	/* Larger than the object: refused, never grown. */
	o = (ipc_shm *)1;
	CHECK_ERR(ipc_shm_open(&o, name, 10001, 0, 0), -EINVAL);
	CHECK(o == NULL);
	CHECK_ERR(ipc_shm_open(&o, name, 20000, IPC_O_CREATE, 0), -EINVAL);
	CHECK(o == NULL);
	CHECK(fstat(ipc_shm_fd(h), &st) == 0);
	CHECK_EQ(st.st_size, 10000);

	/* Create-or-open of an existing object follows the open rule. */
	o = open_ok(name, 500, IPC_O_CREATE);
	CHECK_EQ(ipc_shm_size(o), 500);
	CHECK(((char *)ipc_shm_addr(o))[0] == 'x');
	CHECK_OK(ipc_shm_close(o));

	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_shm_unlink(name));
}

/* An object that exists but was never sized (its creator is half way). */
static void test_size_zero_object(void)
{
	const char *name = check_posix_name("zero");
	ipc_shm *h = (ipc_shm *)1;
	int fd;

	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	check_defer(unlink_quiet, (void *)name);
	CHECK(close(fd) == 0);
	CHECK_ERR(ipc_shm_open(&h, name, 0, 0, 0), -EAGAIN);
	CHECK(h == NULL);
	CHECK_ERR(ipc_shm_open(&h, name, 10, 0, 0), -EAGAIN);
	CHECK_ERR(ipc_shm_open(&h, name, 10, IPC_O_CREATE, 0), -EAGAIN);
	CHECK(exists(name)); /* not ours to remove */
	CHECK_OK(ipc_shm_unlink(name));
}

/* ---- exists / missing ------------------------------------------------- */

static void test_exists(void)
{
	const char *name = check_posix_name("exists");
	ipc_shm *h = create_ok(name, 4096);
	ipc_shm *o = (ipc_shm *)1;

	CHECK_ERR(ipc_shm_open(&o, name, 4096, IPC_O_CREATE | IPC_O_EXCL, 0),
	          -EEXIST);
	CHECK(o == NULL);
	((char *)ipc_shm_addr(h))[0] = 'A';
	o = open_ok(name, 4096, IPC_O_CREATE); /* opens the existing one */
	CHECK(((char *)ipc_shm_addr(o))[0] == 'A');
	CHECK_OK(ipc_shm_close(o));
	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_shm_unlink(name));
}

static void test_missing(void)
{
	const char *name = check_posix_name("missing");
	ipc_shm *h = (ipc_shm *)1;

	CHECK_ERR(ipc_shm_open(&h, name, 0, 0, 0), -ENOENT);
	CHECK(h == NULL);
	CHECK_ERR(ipc_shm_open(&h, name, 0, IPC_O_READ, 0), -ENOENT);
	CHECK_ERR(ipc_shm_unlink(name), -ENOENT);
	CHECK(!exists(name));
}

/* ---- permissions ------------------------------------------------------ */

static void check_modes(void)
{
	static const unsigned int modes[] = {0600, 0640, 0666, 0400, 0707};
	const char *name;
	ipc_shm *h;
	size_t i;

	name = check_posix_name("mode0");
	h = create_ok(name, 100); /* mode 0 means 0600 */
	CHECK_EQ(mode_of(name), 0600);
	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_shm_unlink(name));
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		name = check_posix_name("mode");
		h = NULL;
		CHECK_OK(ipc_shm_open(&h, name, 100, IPC_O_CREATE | IPC_O_EXCL,
		                      modes[i]));
		check_defer(unlink_quiet, (void *)name);
		CHECK_EQ(mode_of(name), modes[i]);
		CHECK_OK(ipc_shm_close(h));
		/* Opening an existing object leaves its mode alone. */
		h = open_ok(name, 0, IPC_O_READ);
		CHECK_EQ(mode_of(name), modes[i]);
		CHECK_OK(ipc_shm_close(h));
		CHECK_OK(ipc_shm_unlink(name));
	}
}

static void test_mode_umask000(void)
{
	umask(0);
	check_modes();
}

static void test_mode_umask077(void)
{
	umask(077);
	check_modes();
}

static void test_other_owner(void)
{
	const char *name = check_posix_name("owner");
	ipc_shm *h = create_ok(name, 4096);
	ipc_shm *o = (ipc_shm *)1;

	if (geteuid() != 0) {
		fprintf(stderr, "  skipped: needs root to chown\n");
		CHECK_OK(ipc_shm_close(h));
		CHECK_OK(ipc_shm_unlink(name));
		return;
	}
	CHECK(fchown(ipc_shm_fd(h), NOBODY, NOBODY) == 0);
	CHECK_ERR(ipc_shm_open(&o, name, 0, 0, 0), -EPERM);
	CHECK(o == NULL);
	CHECK_ERR(ipc_shm_open(&o, name, 0, IPC_O_READ, 0), -EPERM);
	CHECK_ERR(ipc_shm_open(&o, name, 4096, IPC_O_CREATE, 0), -EPERM);
	o = open_ok(name, 0, IPC_O_SHARED);
	CHECK_EQ(ipc_shm_size(o), 4096);
	CHECK_OK(ipc_shm_close(o));
	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_shm_unlink(name));
}

/* A symbolic link squatting the name is never followed. */
static void test_symlink(void)
{
	const char *name = check_posix_name("link");
	const char *target = check_path("target");
	ipc_shm *h = (ipc_shm *)1;
	struct stat st;
	int fd;

	fd = open(target, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, 4096) == 0);
	CHECK(close(fd) == 0);
	CHECK(symlink(target, dev_path(name)) == 0);
	check_defer(unlink_quiet, (void *)name);

	CHECK_ERR(ipc_shm_open(&h, name, 4096, IPC_O_CREATE | IPC_O_EXCL, 0),
	          -EEXIST);
	CHECK(h == NULL);
	CHECK_ERR(ipc_shm_open(&h, name, 4096, IPC_O_CREATE, 0), -ELOOP);
	CHECK_ERR(ipc_shm_open(&h, name, 0, 0, 0), -ELOOP);
	CHECK_ERR(ipc_shm_open(&h, name, 0, IPC_O_READ | IPC_O_SHARED, 0),
	          -ELOOP);
	/* The link and its target are untouched. */
	CHECK(lstat(dev_path(name), &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(stat(target, &st) == 0 && st.st_size == 4096);
	CHECK(unlink(dev_path(name)) == 0);
}

/* A FIFO or a directory squatting the name: refused, without hanging. */
static void test_not_regular(void)
{
	const char *name = check_posix_name("fifo");
	ipc_shm *h = (ipc_shm *)1;

	CHECK(mkfifo(dev_path(name), 0600) == 0);
	check_defer(unlink_quiet, (void *)name);
	CHECK_ERR(ipc_shm_open(&h, name, 0, IPC_O_READ, 0), -EINVAL);
	CHECK(h == NULL);
	CHECK_ERR(ipc_shm_open(&h, name, 0, 0, 0), -EINVAL);
	CHECK_ERR(ipc_shm_open(&h, name, 10, IPC_O_CREATE, 0), -EINVAL);
	CHECK(unlink(dev_path(name)) == 0);

	name = check_posix_name("dir");
	CHECK(mkdir(dev_path(name), 0700) == 0);
	CHECK_ERR(ipc_shm_open(&h, name, 0, IPC_O_READ, 0), -EINVAL);
	CHECK_ERR(ipc_shm_open(&h, name, 0, 0, 0), -EINVAL);
	CHECK(rmdir(dev_path(name)) == 0);
}

/* ---- read-only -------------------------------------------------------- */

/* The permissions column of the mapping at @addr in /proc/self/maps. */
static void map_perms(void *addr, char perms[5])
{
	char line[512];
	unsigned long lo;
	unsigned long hi;
	char p[8];
	FILE *f = fopen("/proc/self/maps", "re");

	CHECK(f != NULL);
	perms[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) != 3)
			continue;
		if ((uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
			memcpy(perms, p, 5);
			break;
		}
	}
	fclose(f);
	CHECK(perms[0] != '\0');
}

static void ro_writer(void *arg)
{
	ipc_shm *h = arg;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGSEGV, &sa, NULL);
	((volatile char *)ipc_shm_addr(h))[0] = 'W';
	_exit(3); /* not reached */
}

static void test_readonly(void)
{
	const char *name = check_posix_name("ro");
	ipc_shm *h = create_ok(name, 8192);
	ipc_shm *r;
	char perms[5];
	pid_t pid;
	int ws;

	memcpy(ipc_shm_addr(h), "hello", 6);
	r = open_ok(name, 0, IPC_O_READ);
	CHECK(ipc_shm_is_readonly(r));
	CHECK_EQ(ipc_shm_size(r), 8192);
	CHECK_STR_EQ(ipc_shm_addr(r), "hello");
	map_perms(ipc_shm_addr(r), perms);
	CHECK_STR_EQ(perms, "r--s");
	map_perms(ipc_shm_addr(h), perms);
	CHECK_STR_EQ(perms, "rw-s");
	/* Nobody can make it writable: the descriptor is read-only. */
	CHECK_EQ(fcntl(ipc_shm_fd(r), F_GETFL) & O_ACCMODE, O_RDONLY);
	CHECK(mprotect(ipc_shm_addr(r), 8192, PROT_READ | PROT_WRITE) < 0);
	CHECK_EQ(errno, EACCES);
	CHECK(mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED,
	           ipc_shm_fd(r), 0) == MAP_FAILED);
	/* A write through it kills the writer (ASan reports and exits). */
	pid = check_fork(ro_writer, r);
	ws = check_wait(pid, 5000);
	CHECK((WIFSIGNALED(ws) && WTERMSIG(ws) == SIGSEGV) ||
	      (WIFEXITED(ws) && WEXITSTATUS(ws) != 0 && WEXITSTATUS(ws) != 3));
	CHECK_STR_EQ(ipc_shm_addr(h), "hello");
	CHECK_OK(ipc_shm_close(r));
	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_shm_unlink(name));
}

static void test_cloexec(void)
{
	const char *name = check_posix_name("cloexec");
	ipc_shm *h = create_ok(name, 100);
	ipc_shm *o = open_ok(name, 0, IPC_O_READ);

	CHECK(fcntl(ipc_shm_fd(h), F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(ipc_shm_fd(o), F_GETFD) & FD_CLOEXEC);
	CHECK_EQ(fcntl(ipc_shm_fd(h), F_GETFL) & O_ACCMODE, O_RDWR);
	CHECK_OK(ipc_shm_close(o));
	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_shm_unlink(name));
}

/* ---- ENOSPC instead of SIGBUS (RELIABILITY.md F6) ---------------------- */

static void enospc_child(void *arg)
{
	const char *name = arg;
	ipc_shm *h = (ipc_shm *)1;
	ipc_shm *small;

	if (unshare(CLONE_NEWNS) < 0) {
		fprintf(stderr, "  skipped: unshare(CLONE_NEWNS): %s\n",
		        strerror(errno));
		fflush(stderr);
		exit(SKIP_CODE);
	}
	CHECK(mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0);
	CHECK(mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
	            "size=1m,mode=1777") == 0);
	CHECK_ERR(ipc_shm_open(&h, name, 4 << 20, IPC_O_CREATE | IPC_O_EXCL, 0),
	          -ENOSPC);
	CHECK(h == NULL);
	CHECK(!exists(name)); /* the half-made object is gone */
	CHECK_ERR(ipc_shm_open(&h, name, 4 << 20, IPC_O_CREATE, 0), -ENOSPC);
	CHECK(!exists(name));
	/* What fits is really there: touching every page cannot SIGBUS. */
	small = open_ok(name, 600 << 10, IPC_O_CREATE | IPC_O_EXCL);
	memset(ipc_shm_addr(small), 0xa5, ipc_shm_size(small));
	CHECK_ERR(ipc_shm_open(&h, "/second", 600 << 10,
	                       IPC_O_CREATE | IPC_O_EXCL, 0),
	          -ENOSPC);
	CHECK(!exists("/second"));
	CHECK_OK(ipc_shm_close(small));
	CHECK_OK(ipc_shm_unlink(name));
}

static void test_enospc(void)
{
	const char *name = check_posix_name("enospc");
	pid_t pid = check_fork(enospc_child, (void *)name);
	int ws = check_wait(pid, 10000);

	if (WIFEXITED(ws) && WEXITSTATUS(ws) == SKIP_CODE) {
		fprintf(stderr, "  test_enospc skipped: no mount namespace\n");
		return;
	}
	CHECK(check_exited_ok(ws));
	CHECK(!exists(name));
}

/* ---- interop with a plain-C peer -------------------------------------- */

static void raw_reader_writer(void *arg)
{
	const char *name = arg;
	char *p;
	int fd;

	fd = shm_open(name, O_RDWR, 0);
	CHECK(fd >= 0);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	CHECK(close(fd) == 0);
	CHECK_STR_EQ(p, "from ipc");
	strcpy(p + 100, "from raw");
	CHECK(munmap(p, 4096) == 0);
}

static void raw_creator(void *arg)
{
	const char *name = arg;
	char *p;
	int fd;

	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, 12345) == 0);
	p = mmap(NULL, 12345, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	CHECK(close(fd) == 0);
	strcpy(p + 12000, "raw made me");
	CHECK(munmap(p, 12345) == 0);
}

static void test_interop(void)
{
	const char *name = check_posix_name("interop");
	const char *name2 = check_posix_name("interop2");
	ipc_shm *h = create_ok(name, 4096);
	pid_t pid;

	strcpy(ipc_shm_addr(h), "from ipc");
	pid = check_fork(raw_reader_writer, (void *)name);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_STR_EQ((char *)ipc_shm_addr(h) + 100, "from raw");
	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_shm_unlink(name));

	check_defer(unlink_quiet, (void *)name2);
	pid = check_fork(raw_creator, (void *)name2);
	CHECK_CHILD_OK(pid, 5000);
	h = open_ok(name2, 0, 0);
	CHECK_EQ(ipc_shm_size(h), 12345);
	CHECK_STR_EQ((char *)ipc_shm_addr(h) + 12000, "raw made me");
	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_shm_unlink(name2));
}

/* ---- concurrent create-or-open ---------------------------------------- */

static void race_child(void *arg)
{
	ipc_deadline d = ipc_deadline_in_ms(5000 * check_slow());
	ipc_shm *h = NULL;
	ipc_status st;

	/* A racer that opens between the winner's create and its sizing
	 * gets -EAGAIN, as documented: it tries again a moment later. */
	while ((st = ipc_shm_open(&h, arg, 4096, IPC_O_CREATE, 0)) == -EAGAIN &&
	       !ipc_deadline_expired(d))
		usleep(1000);
	CHECK_OK(st);

	__atomic_fetch_add((int *)ipc_shm_addr(h), 1, __ATOMIC_SEQ_CST);
	CHECK_OK(ipc_shm_close(h));
}

static void test_create_race(void)
{
	const char *name = check_posix_name("race");
	pid_t pids[8];
	ipc_shm *h;
	int i;

	check_defer(unlink_quiet, (void *)name);
	for (i = 0; i < 8; i++)
		pids[i] = check_fork(race_child, (void *)name);
	for (i = 0; i < 8; i++)
		CHECK_CHILD_OK(pids[i], 5000);
	h = open_ok(name, 0, 0);
	CHECK_EQ(ipc_shm_size(h), 4096);
	CHECK_EQ(*(int *)ipc_shm_addr(h), 8);
	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_shm_unlink(name));
}

/* ---- unlink ----------------------------------------------------------- */

static void test_unlink(void)
{
	const char *name = check_posix_name("unlink");
	ipc_shm *h = create_ok(name, 4096);
	ipc_shm *o = (ipc_shm *)1;

	CHECK_OK(ipc_shm_unlink(name));
	CHECK(!exists(name));
	/* The mapping stays usable after the name is gone. */
	memset(ipc_shm_addr(h), 1, 4096);
	CHECK_ERR(ipc_shm_open(&o, name, 0, 0, 0), -ENOENT);
	CHECK_ERR(ipc_shm_unlink(name), -ENOENT);
	CHECK_OK(ipc_shm_close(h));
}

/* ---- misuse ----------------------------------------------------------- */

static void test_misuse(void)
{
	const char *name = check_posix_name("misuse");
	char longname[NAME_MAX + 8];
	ipc_shm *h = (ipc_shm *)1;

	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';

	CHECK_ERR(ipc_shm_open(NULL, name, 10, IPC_O_CREATE, 0), -EINVAL);
	CHECK_ERR(ipc_shm_open(&h, NULL, 10, IPC_O_CREATE, 0), -EINVAL);
	CHECK(h == NULL);
	CHECK_ERR(ipc_shm_open(&h, "", 10, IPC_O_CREATE, 0), -EINVAL);
	CHECK_ERR(ipc_shm_open(&h, "noslash", 10, IPC_O_CREATE, 0), -EINVAL);
	CHECK_ERR(ipc_shm_open(&h, "/a/b", 10, IPC_O_CREATE, 0), -EINVAL);
	CHECK_ERR(ipc_shm_open(&h, "/", 10, IPC_O_CREATE, 0), -EINVAL);
	CHECK_ERR(ipc_shm_open(&h, "/..", 10, IPC_O_CREATE, 0), -EINVAL);
	CHECK_ERR(ipc_shm_open(&h, longname, 10, IPC_O_CREATE, 0),
	          -ENAMETOOLONG);
	CHECK_ERR(ipc_shm_open(&h, name, 0, IPC_O_CREATE, 0), -EINVAL);
	CHECK_ERR(ipc_shm_open(&h, name, 0, IPC_O_CREATE | IPC_O_EXCL, 0),
	          -EINVAL);
	CHECK_ERR(ipc_shm_open(&h, name, 10, IPC_O_EXCL, 0), -EINVAL);
	CHECK_ERR(ipc_shm_open(&h, name, 10, IPC_O_CREATE | IPC_O_READ, 0),
	          -EINVAL);
	CHECK_ERR(ipc_shm_open(&h, name, 10, IPC_O_CREATE | IPC_O_NONBLOCK, 0),
	          -EINVAL);
	CHECK_ERR(ipc_shm_open(&h, name, 10, 0x80000000u | IPC_O_CREATE, 0),
	          -EINVAL);
	CHECK_ERR(ipc_shm_open(&h, name, 10, IPC_O_CREATE, 010000), -EINVAL);
	CHECK_ERR(ipc_shm_open(&h, name, SIZE_MAX, IPC_O_CREATE, 0), -EFBIG);
	CHECK(h == NULL);
	CHECK(!exists(name));

	CHECK(ipc_shm_addr(NULL) == NULL);
	CHECK_EQ(ipc_shm_size(NULL), 0);
	CHECK_EQ(ipc_shm_fd(NULL), -1);
	CHECK(ipc_shm_name(NULL) == NULL);
	CHECK(!ipc_shm_is_readonly(NULL));
	CHECK_OK(ipc_shm_close(NULL));
	CHECK_ERR(ipc_shm_unlink(NULL), -EINVAL);
	CHECK_ERR(ipc_shm_unlink("bad"), -EINVAL);
	CHECK_ERR(ipc_shm_unlink(longname), -ENAMETOOLONG);

	/* IPC_O_WRITE and IPC_O_RDWR both mean read-write. */
	h = create_ok(name, 10);
	CHECK_OK(ipc_shm_close(h));
	h = open_ok(name, 0, IPC_O_WRITE);
	CHECK(!ipc_shm_is_readonly(h));
	CHECK_OK(ipc_shm_close(h));
	h = open_ok(name, 0, IPC_O_RDWR | IPC_O_NOFOLLOW);
	CHECK(!ipc_shm_is_readonly(h));
	CHECK_OK(ipc_shm_close(h));
	CHECK_OK(ipc_shm_unlink(name));
}

static const struct check_case cases[] = {
        CHECK_CASE(test_roundtrip),        CHECK_CASE(test_size_rules),
        CHECK_CASE(test_size_zero_object), CHECK_CASE(test_exists),
        CHECK_CASE(test_missing),          CHECK_CASE(test_mode_umask000),
        CHECK_CASE(test_mode_umask077),    CHECK_CASE(test_other_owner),
        CHECK_CASE(test_symlink),          CHECK_CASE(test_not_regular),
        CHECK_CASE(test_readonly),         CHECK_CASE(test_cloexec),
        CHECK_CASE(test_enospc),           CHECK_CASE(test_interop),
        CHECK_CASE(test_create_race),      CHECK_CASE(test_unlink),
        CHECK_CASE(test_misuse),           {NULL, NULL},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
