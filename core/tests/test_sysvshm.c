/* SPDX-License-Identifier: MIT */
/* System V shared memory: attach, lifetime, modes, sizes, raw peers. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ipc/sysvshm.h"

#define NOBODY 65534
#define SEG    8192

/* Remove whatever segment has the key (a cleanup for failed cases). */
static void rm_key(void *arg)
{
	(void)ipc_sysvshm_remove_key((int32_t)(intptr_t)arg);
}

/* Remove segment @arg by id (private segments have no key to sweep). */
static void rm_id(void *arg)
{
	(void)shmctl((int)(intptr_t)arg, IPC_RMID, NULL);
}

/* A new key, removed again when the case ends however it ends. */
static int32_t new_key(void)
{
	int32_t key = check_sysv_key();

	check_defer(rm_key, (void *)(intptr_t)key);
	return key;
}

static ipc_sysvshm *open_ok(int32_t key, size_t size, unsigned int flags,
                            unsigned int mode)
{
	ipc_sysvshm *h = NULL;

	CHECK_OK(ipc_sysvshm_open(&h, key, size, flags, mode));
	CHECK(h != NULL);
	CHECK(ipc_sysvshm_addr(h) != NULL);
	return h;
}

static ipc_sysvshm *create_ok(int32_t key, size_t size)
{
	return open_ok(key, size, IPC_O_CREATE | IPC_O_EXCL, 0);
}

/* Whether /proc/sysvipc/shm lists segment @id. */
static bool seg_listed(int id)
{
	char line[512];
	long long key;
	int sid;
	bool found = false;
	FILE *f = fopen("/proc/sysvipc/shm", "re");

	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lld %d", &key, &sid) == 2 && sid == id)
			found = true;
	}
	fclose(f);
	return found;
}

static unsigned long nattach(const ipc_sysvshm *h)
{
	unsigned long n = 0;

	CHECK_OK(ipc_sysvshm_nattach(h, &n));
	return n;
}

static unsigned int seg_mode(int id)
{
	struct shmid_ds ds;

	CHECK(shmctl(id, IPC_STAT, &ds) == 0);
	return ds.shm_perm.mode & 0777;
}

/* ---- round trip across processes -------------------------------------- */

static void rt_child(void *arg)
{
	int32_t key = (int32_t)(intptr_t)arg;
	unsigned char want[SEG / 2];
	ipc_sysvshm *h = NULL;
	unsigned char *p;

	CHECK_OK(ipc_sysvshm_open(&h, key, 0, 0, 0));
	CHECK_EQ(ipc_sysvshm_size(h), SEG);
	p = ipc_sysvshm_addr(h);
	check_fill(want, sizeof(want), 1, 0);
	CHECK_MEM_EQ(p, want, sizeof(want));
	check_fill(p + SEG / 2, SEG / 2, 2, 0);
	CHECK_OK(ipc_sysvshm_close(h));
}

static void test_roundtrip(void)
{
	int32_t key = new_key();
	unsigned char want[SEG / 2];
	ipc_sysvshm *h = create_ok(key, SEG);
	unsigned char *p = ipc_sysvshm_addr(h);
	pid_t pid;

	CHECK_EQ(ipc_sysvshm_size(h), SEG);
	CHECK_EQ(ipc_sysvshm_key(h), key);
	CHECK(ipc_sysvshm_id(h) >= 0);
	CHECK(!ipc_sysvshm_readonly(h));
	check_fill(p, SEG / 2, 1, 0);
	pid = check_fork(rt_child, (void *)(intptr_t)key);
	CHECK_CHILD_OK(pid, 5000);
	check_fill(want, sizeof(want), 2, 0);
	CHECK_MEM_EQ(p + SEG / 2, want, sizeof(want));
	CHECK_OK(ipc_sysvshm_remove(h));
	CHECK_OK(ipc_sysvshm_close(h));
}

/* ---- read-only attach ------------------------------------------------- */

static void ro_writer(void *arg)
{
	volatile unsigned char *p = arg;

	signal(SIGSEGV, SIG_DFL); /* not the sanitizer's report */
	p[0] = 1;
}

static void test_readonly(void)
{
	int32_t key = new_key();
	ipc_sysvshm *rw = create_ok(key, SEG);
	ipc_sysvshm *ro = open_ok(key, 0, IPC_O_READ, 0);
	unsigned char *p = ipc_sysvshm_addr(ro);
	pid_t pid;

	CHECK(ipc_sysvshm_readonly(ro));
	CHECK_EQ(ipc_sysvshm_size(ro), SEG);
	memcpy(ipc_sysvshm_addr(rw), "seen", 4);
	CHECK_MEM_EQ(p, "seen", 4);
	pid = check_fork(ro_writer, p);
	CHECK_KILLED_BY(pid, SIGSEGV);
	CHECK_MEM_EQ(p, "seen", 4);
	CHECK_OK(ipc_sysvshm_close(ro));
	CHECK_OK(ipc_sysvshm_remove(rw));
	CHECK_OK(ipc_sysvshm_close(rw));
}

/* ---- attach counts ---------------------------------------------------- */

static void nattach_child(void *arg)
{
	/* The fork inherited the parent's attachment: two now. */
	CHECK_EQ(nattach(arg), 2);
}

static void test_nattach(void)
{
	int32_t key = new_key();
	ipc_sysvshm *a = create_ok(key, SEG);
	ipc_sysvshm *b;
	pid_t pid;

	CHECK_EQ(nattach(a), 1);
	b = open_ok(key, 0, 0, 0);
	CHECK(ipc_sysvshm_addr(b) != ipc_sysvshm_addr(a));
	CHECK_EQ(ipc_sysvshm_id(b), ipc_sysvshm_id(a));
	CHECK_EQ(nattach(a), 2);
	CHECK_EQ(nattach(b), 2);
	CHECK_OK(ipc_sysvshm_close(b));
	CHECK_EQ(nattach(a), 1);
	pid = check_fork(nattach_child, a);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_EQ(nattach(a), 1);
	CHECK_OK(ipc_sysvshm_remove(a));
	CHECK_OK(ipc_sysvshm_close(a));
}

/* ---- remove while attached -------------------------------------------- */

static void by_id_child(void *arg)
{
	int id = (int)(intptr_t)arg;
	ipc_sysvshm *h = NULL;

	CHECK_OK(ipc_sysvshm_open_id(&h, id, 0));
	CHECK_MEM_EQ(ipc_sysvshm_addr(h), "before", 6);
	memcpy(ipc_sysvshm_addr(h), "after!", 6);
	CHECK_OK(ipc_sysvshm_close(h));
}

static void test_remove_while_attached(void)
{
	int32_t key = new_key();
	ipc_sysvshm *h = create_ok(key, SEG);
	ipc_sysvshm *again = NULL;
	int id = ipc_sysvshm_id(h);
	pid_t pid;

	memcpy(ipc_sysvshm_addr(h), "before", 6);
	CHECK_OK(ipc_sysvshm_remove(h));
	/* The key is free at once, the segment lives on. */
	CHECK_ERR(ipc_sysvshm_open(&again, key, 0, 0, 0), -ENOENT);
	CHECK(again == NULL);
	CHECK(seg_listed(id));
	CHECK_EQ(nattach(h), 1);
	pid = check_fork(by_id_child, (void *)(intptr_t)id);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_MEM_EQ(ipc_sysvshm_addr(h), "after!", 6);
	CHECK_OK(ipc_sysvshm_remove(h)); /* twice: harmless */
	CHECK(seg_listed(id));
	CHECK_OK(ipc_sysvshm_close(h));
	CHECK(!seg_listed(id));
}

/* The idiom: a private segment, removed as soon as it is attached. */
static void private_child(void *arg)
{
	memcpy(ipc_sysvshm_addr(arg), "child", 5);
	CHECK_OK(ipc_sysvshm_close(arg));
}

static void test_private_rmid_idiom(void)
{
	ipc_sysvshm *h = open_ok(IPC_SYSV_PRIVATE, 100, 0, 0);
	int id = ipc_sysvshm_id(h);
	pid_t pid;

	check_defer(rm_id, (void *)(intptr_t)id);
	CHECK_EQ(ipc_sysvshm_key(h), IPC_SYSV_PRIVATE);
	CHECK_OK(ipc_sysvshm_remove(h));
	CHECK(seg_listed(id));
	pid = check_fork(private_child, h);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_MEM_EQ(ipc_sysvshm_addr(h), "child", 5);
	CHECK_OK(ipc_sysvshm_close(h));
	CHECK(!seg_listed(id));
}

/* ---- EEXIST, ENOENT --------------------------------------------------- */

static void test_exist_noent(void)
{
	int32_t key = new_key();
	ipc_sysvshm *h = (ipc_sysvshm *)&key; /* must be reset to NULL */
	ipc_sysvshm *a;
	ipc_sysvshm *b;

	CHECK_ERR(ipc_sysvshm_open(&h, key, SEG, 0, 0), -ENOENT);
	CHECK(h == NULL);
	CHECK_ERR(ipc_sysvshm_remove_key(key), -ENOENT);
	a = create_ok(key, SEG);
	h = (ipc_sysvshm *)&key;
	CHECK_ERR(ipc_sysvshm_open(&h, key, SEG, IPC_O_CREATE | IPC_O_EXCL, 0),
	          -EEXIST);
	CHECK(h == NULL);
	/* Create without exclusive: the existing one. */
	b = open_ok(key, SEG, IPC_O_CREATE, 0);
	CHECK_EQ(ipc_sysvshm_id(b), ipc_sysvshm_id(a));
	CHECK_OK(ipc_sysvshm_close(b));
	CHECK_OK(ipc_sysvshm_close(a));
	/* Closing never removes: still there. */
	a = open_ok(key, 0, 0, 0);
	CHECK_OK(ipc_sysvshm_close(a));
	CHECK_OK(ipc_sysvshm_remove_key(key));
	CHECK_ERR(ipc_sysvshm_open(&h, key, 0, 0, 0), -ENOENT);
}

/* ---- modes ignore the umask ------------------------------------------- */

static void mode_case(unsigned int mask)
{
	static const unsigned int modes[] = {0, 0600, 0640, 0604, 0666, 0400};
	size_t i;

	umask((mode_t)mask);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		int32_t key = new_key();
		ipc_sysvshm *h = NULL;
		unsigned int want = modes[i] ? modes[i] : 0600;

		CHECK_OK(ipc_sysvshm_open(&h, key, 64,
		                          IPC_O_CREATE | IPC_O_EXCL, modes[i]));
		CHECK_EQ(seg_mode(ipc_sysvshm_id(h)), want);
		CHECK_OK(ipc_sysvshm_remove(h));
		CHECK_OK(ipc_sysvshm_close(h));
	}
}

static void test_mode_umask000(void)
{
	mode_case(0);
}

static void test_mode_umask077(void)
{
	mode_case(077);
}

/* ---- sizes ------------------------------------------------------------ */

static void test_size(void)
{
	int32_t key = new_key();
	ipc_sysvshm *h = create_ok(key, 100);
	ipc_sysvshm *o = NULL;
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p = ipc_sysvshm_addr(h);

	/* The kernel keeps the size as asked, not rounded up to pages. */
	CHECK_EQ(ipc_sysvshm_size(h), 100);
	CHECK((uintptr_t)p % (uintptr_t)page == 0);
	p[99] = 0x5a;
	/* Size 0 adopts the segment's size. */
	o = open_ok(key, 0, 0, 0);
	CHECK_EQ(ipc_sysvshm_size(o), 100);
	CHECK_EQ(((unsigned char *)ipc_sysvshm_addr(o))[99], 0x5a);
	CHECK_OK(ipc_sysvshm_close(o));
	/* Smaller is accepted; the real size is reported. */
	o = open_ok(key, 10, IPC_O_CREATE, 0);
	CHECK_EQ(ipc_sysvshm_size(o), 100);
	CHECK_OK(ipc_sysvshm_close(o));
	/* Larger is refused by the kernel, with or without IPC_O_CREATE. */
	CHECK_ERR(ipc_sysvshm_open(&o, key, 101, 0, 0), -EINVAL);
	CHECK_ERR(ipc_sysvshm_open(&o, key, 101, IPC_O_CREATE, 0), -EINVAL);
	CHECK(o == NULL);
	CHECK_OK(ipc_sysvshm_remove(h));
	CHECK_OK(ipc_sysvshm_close(h));
	/* Creating needs a size, and a possible one. */
	key = new_key();
	CHECK_ERR(ipc_sysvshm_open(&o, key, 0, IPC_O_CREATE, 0), -EINVAL);
	CHECK_ERR(ipc_sysvshm_open(&o, key, SIZE_MAX, IPC_O_CREATE, 0),
	          -EINVAL);
	CHECK_ERR(ipc_sysvshm_open(&o, IPC_SYSV_PRIVATE, 0, 0, 0), -EINVAL);
	CHECK(o == NULL);
}

/* ---- interop with raw shmget/shmat ------------------------------------ */

static void raw_reader(void *arg)
{
	int32_t key = (int32_t)(intptr_t)arg;
	unsigned char want[SEG];
	struct shmid_ds ds;
	unsigned char *p;
	int id;

	id = shmget((key_t)key, 0, 0);
	CHECK(id >= 0);
	CHECK(shmctl(id, IPC_STAT, &ds) == 0);
	CHECK_EQ(ds.shm_segsz, SEG);
	CHECK_EQ(ds.shm_perm.mode & 0777, 0640);
	p = shmat(id, NULL, 0);
	CHECK(p != (void *)-1);
	check_fill(want, SEG, 3, 0);
	CHECK_MEM_EQ(p, want, SEG);
	memcpy(p, "raw reply", 9);
	CHECK(shmdt(p) == 0);
}

static void raw_creator(void *arg)
{
	int32_t key = (int32_t)(intptr_t)arg;
	unsigned char *p;
	int id;

	id = shmget((key_t)key, 5000, IPC_CREAT | IPC_EXCL | 0600);
	CHECK(id >= 0);
	p = shmat(id, NULL, 0);
	CHECK(p != (void *)-1);
	check_fill(p, 5000, 4, 0);
	CHECK(shmdt(p) == 0);
}

static void test_interop_raw_peer(void)
{
	int32_t key = new_key();
	unsigned char want[5000];
	ipc_sysvshm *h = open_ok(key, SEG, IPC_O_CREATE | IPC_O_EXCL, 0640);
	pid_t pid;

	/* We create and write, a raw peer reads and answers. */
	check_fill(ipc_sysvshm_addr(h), SEG, 3, 0);
	pid = check_fork(raw_reader, (void *)(intptr_t)key);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_MEM_EQ(ipc_sysvshm_addr(h), "raw reply", 9);
	CHECK_OK(ipc_sysvshm_remove(h));
	CHECK_OK(ipc_sysvshm_close(h));

	/* A raw peer creates and writes, we find it by key. */
	key = new_key();
	pid = check_fork(raw_creator, (void *)(intptr_t)key);
	CHECK_CHILD_OK(pid, 5000);
	h = open_ok(key, 0, IPC_O_READ, 0);
	CHECK_EQ(ipc_sysvshm_size(h), 5000);
	check_fill(want, sizeof(want), 4, 0);
	CHECK_MEM_EQ(ipc_sysvshm_addr(h), want, sizeof(want));
	CHECK_OK(ipc_sysvshm_remove(h));
	CHECK_OK(ipc_sysvshm_close(h));
}

/* ---- removal by another process while attached ------------------------ */

static void raw_remover(void *arg)
{
	int id = shmget((key_t)(int32_t)(intptr_t)arg, 0, 0);

	CHECK(id >= 0);
	CHECK(shmctl(id, IPC_RMID, NULL) == 0);
}

static void test_external_removal(void)
{
	int32_t key = new_key();
	ipc_sysvshm *h = create_ok(key, SEG);
	ipc_sysvshm *o = NULL;
	unsigned char *p = ipc_sysvshm_addr(h);
	int id = ipc_sysvshm_id(h);
	pid_t pid;

	memcpy(p, "kept", 4);
	pid = check_fork(raw_remover, (void *)(intptr_t)key);
	CHECK_CHILD_OK(pid, 5000);
	/* Our mapping keeps working; the key is gone. */
	CHECK_MEM_EQ(p, "kept", 4);
	memcpy(p + SEG - 4, "more", 4);
	CHECK_MEM_EQ(p + SEG - 4, "more", 4);
	CHECK_EQ(nattach(h), 1);
	CHECK(seg_listed(id));
	CHECK_ERR(ipc_sysvshm_open(&o, key, 0, 0, 0), -ENOENT);
	/* A new segment can take the key meanwhile; it is another one. */
	o = create_ok(key, 64);
	CHECK(ipc_sysvshm_id(o) != id);
	CHECK_OK(ipc_sysvshm_remove(o));
	CHECK_OK(ipc_sysvshm_close(o));
	CHECK_OK(ipc_sysvshm_close(h));
	CHECK(!seg_listed(id));
}

/* ---- another user's segment ------------------------------------------- */

static void test_other_owner(void)
{
	int32_t key = new_key();
	ipc_sysvshm *h = open_ok(key, SEG, IPC_O_CREATE | IPC_O_EXCL, 0666);
	ipc_sysvshm *o = NULL;
	struct shmid_ds ds;

	if (geteuid() != 0) {
		fprintf(stderr, "skipped: needs root to give a segment away\n");
		CHECK_OK(ipc_sysvshm_remove(h));
		CHECK_OK(ipc_sysvshm_close(h));
		return;
	}
	CHECK(shmctl(ipc_sysvshm_id(h), IPC_STAT, &ds) == 0);
	ds.shm_perm.uid = NOBODY;
	CHECK(shmctl(ipc_sysvshm_id(h), IPC_SET, &ds) == 0);
	/* A squatter's segment is refused unless asked for. */
	CHECK_ERR(ipc_sysvshm_open(&o, key, 0, 0, 0), -EPERM);
	CHECK_ERR(ipc_sysvshm_open(&o, key, 0, IPC_O_CREATE, 0), -EPERM);
	CHECK_ERR(ipc_sysvshm_open_id(&o, ipc_sysvshm_id(h), 0), -EPERM);
	CHECK(o == NULL);
	o = open_ok(key, 0, IPC_O_SHARED, 0);
	CHECK_OK(ipc_sysvshm_close(o));
	CHECK_OK(ipc_sysvshm_open_id(&o, ipc_sysvshm_id(h), IPC_O_SHARED));
	CHECK_OK(ipc_sysvshm_close(o));
	CHECK_OK(ipc_sysvshm_remove(h));
	CHECK_OK(ipc_sysvshm_close(h));
}

/* ---- a failed attach removes the segment it created --------------------- */

static void nobody_child(void *arg)
{
	int32_t key = (int32_t)(intptr_t)arg;
	ipc_sysvshm *h = NULL;

	CHECK(setgid(NOBODY) == 0 && setuid(NOBODY) == 0);
	/* Made 0400 by us, so attaching it read-write is refused. */
	CHECK_ERR(
	        ipc_sysvshm_open(&h, key, SEG, IPC_O_CREATE | IPC_O_EXCL, 0400),
	        -EACCES);
	CHECK(h == NULL);
	CHECK_ERR(ipc_sysvshm_open(&h, key, 0, IPC_O_READ, 0), -ENOENT);
	/* Read-only is allowed. */
	CHECK_OK(ipc_sysvshm_open(&h, key, SEG, IPC_O_CREATE | IPC_O_READ,
	                          0400));
	CHECK_OK(ipc_sysvshm_remove(h));
	CHECK_OK(ipc_sysvshm_close(h));
}

static void test_failed_attach_cleans_up(void)
{
	int32_t key = new_key();
	pid_t pid;

	if (geteuid() != 0) {
		fprintf(stderr, "skipped: needs root to become nobody\n");
		return;
	}
	pid = check_fork(nobody_child, (void *)(intptr_t)key);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_ERR(ipc_sysvshm_remove_key(key), -ENOENT);
}

/* ---- misuse ----------------------------------------------------------- */

static void test_misuse(void)
{
	int32_t key = new_key();
	ipc_sysvshm *h = (ipc_sysvshm *)&key;
	unsigned long n = 7;

	CHECK_ERR(ipc_sysvshm_open(NULL, key, SEG, IPC_O_CREATE, 0), -EINVAL);
	CHECK_ERR(ipc_sysvshm_open(&h, key, SEG, IPC_O_CREATE | IPC_O_NONBLOCK,
	                           0),
	          -EINVAL);
	CHECK(h == NULL);
	CHECK_ERR(ipc_sysvshm_open(&h, key, SEG, IPC_O_CREATE | IPC_O_NOFOLLOW,
	                           0),
	          -EINVAL);
	CHECK_ERR(ipc_sysvshm_open(&h, key, SEG, IPC_O_EXCL, 0), -EINVAL);
	CHECK_ERR(ipc_sysvshm_open(&h, key, SEG, IPC_O_CREATE, 01000), -EINVAL);
	CHECK_ERR(ipc_sysvshm_open(&h, key, SEG, 0x10000u, 0), -EINVAL);
	CHECK_ERR(ipc_sysvshm_open_id(NULL, 0, 0), -EINVAL);
	CHECK_ERR(ipc_sysvshm_open_id(&h, -1, 0), -EINVAL);
	CHECK_ERR(ipc_sysvshm_open_id(&h, 0, IPC_O_CREATE), -EINVAL);
	CHECK_ERR(ipc_sysvshm_open_id(&h, INT32_MAX, 0), -EINVAL);
	CHECK(h == NULL);
	CHECK_ERR(ipc_sysvshm_remove_key(IPC_SYSV_PRIVATE), -EINVAL);
	/* NULL handles. */
	CHECK_ERR(ipc_sysvshm_nattach(NULL, &n), -EBADF);
	CHECK_EQ(n, 0);
	CHECK_ERR(ipc_sysvshm_remove(NULL), -EBADF);
	CHECK_OK(ipc_sysvshm_close(NULL));
	CHECK(ipc_sysvshm_addr(NULL) == NULL);
	CHECK_EQ(ipc_sysvshm_size(NULL), 0);
	CHECK_EQ(ipc_sysvshm_id(NULL), -1);
	CHECK_EQ(ipc_sysvshm_key(NULL), IPC_SYSV_PRIVATE);
	CHECK(!ipc_sysvshm_readonly(NULL));
	/* A real handle, a NULL out-parameter. */
	h = create_ok(key, SEG);
	CHECK_ERR(ipc_sysvshm_nattach(h, NULL), -EINVAL);
	CHECK_OK(ipc_sysvshm_remove(h));
	CHECK_OK(ipc_sysvshm_close(h));
	/* Nothing was left by any failed call. */
	CHECK_ERR(ipc_sysvshm_remove_key(key), -ENOENT);
}

static const struct check_case cases[] = {
        CHECK_CASE(test_roundtrip),
        CHECK_CASE(test_readonly),
        CHECK_CASE(test_nattach),
        CHECK_CASE(test_remove_while_attached),
        CHECK_CASE(test_private_rmid_idiom),
        CHECK_CASE(test_exist_noent),
        CHECK_CASE(test_mode_umask000),
        CHECK_CASE(test_mode_umask077),
        CHECK_CASE(test_size),
        CHECK_CASE(test_interop_raw_peer),
        CHECK_CASE(test_external_removal),
        CHECK_CASE(test_other_owner),
        CHECK_CASE(test_failed_attach_cleans_up),
        CHECK_CASE(test_misuse),
        {NULL, NULL}};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
