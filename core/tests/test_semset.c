/* SPDX-License-Identifier: MIT */
/* System V semaphore sets: atomic operations, undo, the init handshake. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ipc/semset.h"

#define NOBODY        65534
#define PINGS         50
#define RACERS        4
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

/* ---- helpers -------------------------------------------------------- */

static void remove_key(void *arg)
{
	int id = semget((key_t)(intptr_t)arg, 0, 0);

	if (id >= 0)
		(void)semctl(id, 0, IPC_RMID);
}

static void remove_id(void *arg)
{
	(void)semctl((int)(intptr_t)arg, 0, IPC_RMID);
}

/* A unique key whose set is removed when the case ends. */
static int32_t semset_key(void)
{
	int32_t key = check_sysv_key();

	check_defer(remove_key, (void *)(intptr_t)key);
	return key;
}

static ipc_semset *open_ok(int32_t key, unsigned int count,
                           const unsigned short *initial, unsigned int flags,
                           unsigned int mode)
{
	ipc_semset *ss = NULL;

	CHECK_OK(ipc_semset_open(&ss, key, count, initial, flags, mode,
	                         ipc_deadline_in_ms(5000)));
	CHECK(ss != NULL);
	return ss;
}

static ipc_semset *create_ok(int32_t key, unsigned int count,
                             const unsigned short *initial)
{
	return open_ok(key, count, initial, IPC_O_CREATE | IPC_O_EXCL, 0);
}

static void remove_close(ipc_semset *ss)
{
	CHECK_OK(ipc_semset_remove(ss));
	CHECK_OK(ipc_semset_close(ss));
}

static int value_of(ipc_semset *ss, unsigned int num)
{
	int v = -1;

	CHECK_OK(ipc_semset_get(ss, num, &v));
	return v;
}

static ipc_status op1(ipc_semset *ss, unsigned int num, int op,
                      unsigned int flags, ipc_deadline d)
{
	struct ipc_semop o = {(uint16_t)num, (int16_t)op, (uint16_t)flags};

	return ipc_semset_op(ss, &o, 1, d);
}

static void await_value(ipc_semset *ss, unsigned int num, int want)
{
	ipc_deadline d = ipc_deadline_in_ms(5000 * (int64_t)check_slow());

	while (value_of(ss, num) != want) {
		CHECK(!ipc_deadline_expired(d));
		usleep(1000);
	}
}

static void kill_and_reap(pid_t pid)
{
	int ws;

	CHECK(kill(pid, SIGKILL) == 0);
	ws = check_wait(pid, 5000);
	CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
}

static unsigned int mode_of_key(int32_t key)
{
	struct semid_ds ds;
	union semun arg;
	int id = semget((key_t)key, 0, 0);

	CHECK(id >= 0);
	arg.buf = &ds;
	CHECK(semctl(id, 0, IPC_STAT, arg) == 0);
	return ds.sem_perm.mode & 0777;
}

static int sysv_limit(int index)
{
	int v[4];
	FILE *f = fopen("/proc/sys/kernel/sem", "re");

	CHECK(f != NULL);
	CHECK(fscanf(f, "%d %d %d %d", &v[0], &v[1], &v[2], &v[3]) == 4);
	fclose(f);
	return v[index];
}

/* ---- round trip across processes ------------------------------------ */

static void pong_peer(void *arg)
{
	int32_t key = (int32_t)(intptr_t)arg;
	ipc_semset *ss = open_ok(key, 2, NULL, 0, 0);
	int i;

	for (i = 0; i < PINGS; i++) {
		CHECK_OK(op1(ss, 0, 1, 0, IPC_DEADLINE_NOW));
		CHECK_OK(op1(ss, 1, -1, 0,
		             i % 2 ? IPC_DEADLINE_NEVER
		                   : ipc_deadline_in_ms(5000)));
	}
	CHECK_OK(ipc_semset_close(ss));
}

static void test_roundtrip(void)
{
	int32_t key = semset_key();
	ipc_semset *ss;
	pid_t pid;
	int i;

	ss = create_ok(key, 2, NULL);
	CHECK_EQ(ipc_semset_count(ss), 2);
	CHECK_EQ(ipc_semset_key(ss), key);
	CHECK_EQ(ipc_semset_id(ss), semget((key_t)key, 0, 0));
	pid = check_fork(pong_peer, (void *)(intptr_t)key);
	for (i = 0; i < PINGS; i++) {
		CHECK_OK(op1(ss, 0, -1, 0, ipc_deadline_in_ms(5000)));
		CHECK_OK(op1(ss, 1, 1, 0, IPC_DEADLINE_NOW));
	}
	CHECK_CHILD_OK(pid, 5000);
	CHECK_EQ(value_of(ss, 0), 0);
	CHECK_EQ(value_of(ss, 1), 0);
	remove_close(ss);
	CHECK(semget((key_t)key, 0, 0) < 0 && errno == ENOENT);
}

/* ---- atomicity ------------------------------------------------------ */

static void check_values(ipc_semset *ss, const unsigned short *want, size_t n)
{
	unsigned short got[8];

	CHECK(n <= ARRAY_SIZE(got));
	CHECK_OK(ipc_semset_get_all(ss, got, ARRAY_SIZE(got)));
	CHECK_MEM_EQ(got, want, n * sizeof(*want));
}

static void test_atomic(void)
{
	static const unsigned short init[3] = {0, 0, 5};
	static const unsigned short after[3] = {0, 0, 6};
	const struct ipc_semop take_give[2] = {{0, -1, 0}, {2, 1, 0}};
	/* The first operation could happen alone; the second cannot. */
	const struct ipc_semop give_take[2] = {{2, 1, 0}, {0, -1, 0}};
	int32_t key = semset_key();
	ipc_deadline start;
	ipc_semset *ss;

	ss = create_ok(key, 3, init);
	check_values(ss, init, 3);
	CHECK_ERR(ipc_semset_op(ss, take_give, 2, IPC_DEADLINE_NOW), -EAGAIN);
	check_values(ss, init, 3);
	CHECK_ERR(ipc_semset_op(ss, give_take, 2, IPC_DEADLINE_NOW), -EAGAIN);
	check_values(ss, init, 3);
	start = ipc_now();
	CHECK_ERR(ipc_semset_op(ss, give_take, 2, ipc_deadline_in_ms(100)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 100);
	check_values(ss, init, 3);

	/* Once counter 0 can be taken, both happen together. */
	CHECK_OK(ipc_semset_set(ss, 0, 1));
	CHECK_OK(ipc_semset_op(ss, take_give, 2, IPC_DEADLINE_NOW));
	check_values(ss, after, 3);

	/* Wait-for-zero, and a counter that would pass the maximum. */
	CHECK_OK(op1(ss, 0, 0, 0, IPC_DEADLINE_NOW));
	CHECK_ERR(op1(ss, 2, 0, 0, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_OK(ipc_semset_set(ss, 1, IPC_SEMSET_VALUE_MAX));
	CHECK_ERR(op1(ss, 1, 1, 0, IPC_DEADLINE_NOW), -ERANGE);
	CHECK_EQ(value_of(ss, 1), IPC_SEMSET_VALUE_MAX);
	remove_close(ss);
}

/* ---- waiting, timeouts, EINTR --------------------------------------- */

static void late_give(void *arg)
{
	int32_t key = (int32_t)(intptr_t)arg;
	ipc_semset *ss = open_ok(key, 1, NULL, 0, 0);

	usleep(100 * 1000);
	CHECK_OK(op1(ss, 0, 2, 0, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_semset_close(ss));
}

static void test_wait_across_processes(void)
{
	int32_t key = semset_key();
	const struct ipc_semop take2 = {0, -2, 0};
	ipc_deadline start;
	ipc_semset *ss;
	pid_t pid;

	ss = create_ok(key, 1, NULL);
	start = ipc_now();
	pid = check_fork(late_give, (void *)(intptr_t)key);
	CHECK_OK(ipc_semset_op(ss, &take2, 1, ipc_deadline_in_ms(5000)));
	CHECK_ELAPSED(start, 100);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_EQ(value_of(ss, 0), 0);

	/* The plain blocking path too. */
	start = ipc_now();
	pid = check_fork(late_give, (void *)(intptr_t)key);
	CHECK_OK(ipc_semset_op(ss, &take2, 1, IPC_DEADLINE_NEVER));
	CHECK_ELAPSED(start, 100);
	CHECK_CHILD_OK(pid, 5000);
	remove_close(ss);
}

static void test_would_block(void)
{
	static const unsigned short one[1] = {1};
	int32_t key = semset_key();
	ipc_deadline start;
	ipc_semset *ss;

	ss = create_ok(key, 1, one);
	CHECK_OK(op1(ss, 0, -1, 0, IPC_DEADLINE_NOW));
	CHECK_ERR(op1(ss, 0, -1, 0, IPC_DEADLINE_NOW), -EAGAIN);
	/* IPC_SEMSET_NOWAIT on one operation: -EAGAIN whatever the
	 * deadline. */
	start = ipc_now();
	CHECK_ERR(op1(ss, 0, -1, IPC_SEMSET_NOWAIT, ipc_deadline_in_ms(5000)),
	          -EAGAIN);
	CHECK_ELAPSED(start, 0);
	CHECK_ERR(op1(ss, 0, -1, IPC_SEMSET_NOWAIT, IPC_DEADLINE_NEVER),
	          -EAGAIN);
	CHECK_OK(op1(ss, 0, 1, IPC_SEMSET_NOWAIT, IPC_DEADLINE_NEVER));
	CHECK_EQ(value_of(ss, 0), 1);
	remove_close(ss);
}

static void test_timeout(void)
{
	static const unsigned short one[1] = {1};
	int32_t key = semset_key();
	ipc_deadline start;
	ipc_semset *ss;

	ss = create_ok(key, 1, NULL);
	start = ipc_now();
	CHECK_ERR(op1(ss, 0, -1, 0, ipc_deadline_in_ms(150)), -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	start = ipc_now();
	CHECK_ERR(op1(ss, 0, -1, IPC_SEMSET_UNDO, ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);

	/* A deadline already past fails at once, but what can happen
	 * still does. */
	start = ipc_now();
	CHECK_ERR(op1(ss, 0, -1, 0, ipc_now() - 1), -ETIMEDOUT);
	CHECK_ELAPSED(start, 0);
	CHECK_OK(ipc_semset_set_all(ss, one, 1));
	CHECK_OK(op1(ss, 0, -1, 0, ipc_now() - 1));
	CHECK_EQ(value_of(ss, 0), 0);
	remove_close(ss);
}

static void test_eintr(void)
{
	int32_t key = semset_key();
	ipc_deadline start = ipc_now();
	ipc_deadline d = start + 400 * INT64_C(1000000);
	ipc_semset *ss;

	ss = create_ok(key, 1, NULL);
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(op1(ss, 0, -1, 0, d), -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
	/* The same deadline again: the total wait does not grow. */
	CHECK_ERR(op1(ss, 0, -1, 0, d), -ETIMEDOUT);
	CHECK_ELAPSED(start, 400);

	start = ipc_now();
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(op1(ss, 0, -1, 0, IPC_DEADLINE_NEVER), -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
	CHECK_EQ(value_of(ss, 0), 0);
	remove_close(ss);
}

/* ---- F3: the holder dies -------------------------------------------- */

struct holder {
	int32_t key;
	unsigned int flags;
};

static void holder_main(void *arg)
{
	struct holder *h = arg;
	ipc_semset *ss = open_ok(h->key, 1, NULL, 0, 0);

	CHECK_OK(op1(ss, 0, -1, h->flags, ipc_deadline_in_ms(5000)));
	for (;;)
		pause();
}

static void test_holder_killed_undo(void)
{
	static const unsigned short one[1] = {1};
	struct holder h = {semset_key(), IPC_SEMSET_UNDO};
	ipc_semset *ss;
	pid_t pid;

	ss = create_ok(h.key, 1, one);
	pid = check_fork(holder_main, &h);
	await_value(ss, 0, 0);
	kill_and_reap(pid);
	/* The kernel gave the dead holder's unit back at its exit. */
	CHECK_EQ(value_of(ss, 0), 1);
	CHECK_OK(op1(ss, 0, -1, IPC_SEMSET_UNDO, ipc_deadline_in_ms(2000)));
	CHECK_EQ(value_of(ss, 0), 0);
	remove_close(ss);
}

/* The waiter is blocked when the holder dies, and wakes. */
static void test_holder_killed_undo_wakes_waiter(void)
{
	static const unsigned short one[1] = {1};
	struct holder h = {semset_key(), IPC_SEMSET_UNDO};
	ipc_deadline start;
	ipc_semset *ss;
	pid_t pid;

	ss = create_ok(h.key, 1, one);
	pid = check_fork(holder_main, &h);
	await_value(ss, 0, 0);
	CHECK_ERR(op1(ss, 0, -1, 0, ipc_deadline_in_ms(100)), -ETIMEDOUT);
	start = ipc_now();
	CHECK(kill(pid, SIGKILL) == 0);
	CHECK_OK(op1(ss, 0, -1, 0, ipc_deadline_in_ms(5000)));
	CHECK_ELAPSED(start, 0);
	(void)check_wait(pid, 5000);
	remove_close(ss);
}

static void test_holder_killed_no_undo(void)
{
	static const unsigned short one[1] = {1};
	struct holder h = {semset_key(), 0};
	ipc_deadline start;
	ipc_semset *ss;
	pid_t pid;

	ss = create_ok(h.key, 1, one);
	pid = check_fork(holder_main, &h);
	await_value(ss, 0, 0);
	kill_and_reap(pid);
	CHECK_EQ(value_of(ss, 0), 0);
	start = ipc_now();
	CHECK_ERR(op1(ss, 0, -1, 0, ipc_deadline_in_ms(150)), -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	remove_close(ss);
}

/* ---- values --------------------------------------------------------- */

static void test_get_set_all(void)
{
	static const unsigned short init[4] = {1, 2, 3, 4};
	static const unsigned short next[4] = {9, 0, IPC_SEMSET_VALUE_MAX, 7};
	const unsigned short too_big[4] = {0, 0, IPC_SEMSET_VALUE_MAX + 1, 0};
	int32_t key = semset_key();
	unsigned short got[5] = {0};
	ipc_semset *ss;
	unsigned int i;

	ss = create_ok(key, 4, init);
	CHECK_OK(ipc_semset_get_all(ss, got, 4));
	CHECK_MEM_EQ(got, init, sizeof(init));
	for (i = 0; i < 4; i++)
		CHECK_EQ(value_of(ss, i), init[i]);
	CHECK_OK(ipc_semset_set_all(ss, next, 4));
	CHECK_OK(ipc_semset_get_all(ss, got, 5));
	CHECK_MEM_EQ(got, next, sizeof(next));
	CHECK_OK(ipc_semset_set(ss, 1, 42));
	CHECK_EQ(value_of(ss, 1), 42);

	/* Limits: the kernel's SEMVMX is ours. */
	CHECK_ERR(ipc_semset_set(ss, 1, IPC_SEMSET_VALUE_MAX + 1), -ERANGE);
	CHECK_ERR(ipc_semset_set(ss, 1, -1), -ERANGE);
	CHECK_ERR(ipc_semset_set_all(ss, too_big, 4), -ERANGE);
	CHECK_EQ(value_of(ss, 1), 42);
	CHECK_ERR(ipc_semset_set_all(ss, next, 3), -EINVAL);
	CHECK_ERR(ipc_semset_set_all(ss, next, 5), -EINVAL);
	CHECK_ERR(ipc_semset_get_all(ss, got, 3), -EINVAL);
	CHECK_ERR(ipc_semset_get_all(ss, NULL, 4), -EINVAL);
	CHECK_ERR(ipc_semset_set_all(ss, NULL, 4), -EINVAL);
	{
		union semun arg;

		/* The kernel agrees on the maximum. */
		arg.val = IPC_SEMSET_VALUE_MAX + 1;
		CHECK(semctl(ipc_semset_id(ss), 0, SETVAL, arg) < 0 &&
		      errno == ERANGE);
		arg.val = IPC_SEMSET_VALUE_MAX;
		CHECK(semctl(ipc_semset_id(ss), 0, SETVAL, arg) == 0);
	}
	remove_close(ss);

	/* An initial value too large: nothing is created. */
	CHECK_ERR(ipc_semset_open(&ss, key, 4, too_big,
	                          IPC_O_CREATE | IPC_O_EXCL, 0,
	                          IPC_DEADLINE_NOW),
	          -ERANGE);
	CHECK(ss == NULL);
	CHECK(semget((key_t)key, 0, 0) < 0 && errno == ENOENT);
}

/* ---- F14: removal while waiting ------------------------------------- */

static void raw_remove_later(void *arg)
{
	int id = semget((key_t)(intptr_t)arg, 0, 0);

	CHECK(id >= 0);
	usleep(100 * 1000);
	CHECK(semctl(id, 0, IPC_RMID) == 0);
}

static void test_external_removal(void)
{
	int32_t key = semset_key();
	ipc_deadline start;
	ipc_semset *ss;
	pid_t pid;
	int v;

	ss = create_ok(key, 2, NULL);
	start = ipc_now();
	pid = check_fork(raw_remove_later, (void *)(intptr_t)key);
	CHECK_ERR(op1(ss, 1, -1, 0, ipc_deadline_in_ms(5000)), -EIDRM);
	CHECK_ELAPSED(start, 100);
	CHECK_CHILD_OK(pid, 5000);

	/* Everything after the removal says so too. */
	CHECK_ERR(op1(ss, 0, 1, 0, IPC_DEADLINE_NOW), -EIDRM);
	CHECK_ERR(op1(ss, 0, -1, 0, IPC_DEADLINE_NEVER), -EIDRM);
	CHECK_ERR(ipc_semset_get(ss, 0, &v), -EIDRM);
	CHECK_ERR(ipc_semset_set(ss, 0, 1), -EIDRM);
	CHECK_ERR(ipc_semset_remove(ss), -EIDRM);
	CHECK_OK(ipc_semset_close(ss));

	/* The blocking path without a deadline wakes too. */
	ss = create_ok(key, 1, NULL);
	start = ipc_now();
	pid = check_fork(raw_remove_later, (void *)(intptr_t)key);
	CHECK_ERR(op1(ss, 0, -1, 0, IPC_DEADLINE_NEVER), -EIDRM);
	CHECK_ELAPSED(start, 100);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_semset_close(ss));
}

/* ---- the initialisation handshake ----------------------------------- */

/* A plain-C creator that initialises late: SETALL, then one semop. */
static void raw_late_init(void *arg)
{
	unsigned short vals[2] = {3, 4};
	struct sembuf touch[2] = {{0, -1, IPC_NOWAIT}, {0, 1, IPC_NOWAIT}};
	union semun a;
	int id = semget((key_t)(intptr_t)arg, 0, 0);

	CHECK(id >= 0);
	usleep(100 * 1000);
	a.array = vals;
	CHECK(semctl(id, 0, SETALL, a) == 0);
	usleep(20 * 1000); /* values set, but sem_otime still 0 */
	CHECK(semop(id, touch, 2) == 0);
}

static void test_init_handshake(void)
{
	static const unsigned short want[2] = {3, 4};
	int32_t key = semset_key();
	ipc_deadline start;
	ipc_semset *ss;
	pid_t pid;
	int id;

	/* Created, never initialised: openers wait, then give up. */
	id = semget((key_t)key, 2, IPC_CREAT | IPC_EXCL | 0600);
	CHECK(id >= 0);
	CHECK_ERR(ipc_semset_open(&ss, key, 2, NULL, 0, 0, IPC_DEADLINE_NOW),
	          -EAGAIN);
	CHECK(ss == NULL);
	start = ipc_now();
	CHECK_ERR(ipc_semset_open(&ss, key, 2, NULL, 0, 0,
	                          ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	/* A signal handler interrupts the wait. */
	start = ipc_now();
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_semset_open(&ss, key, 2, NULL, 0, 0,
	                          ipc_deadline_in_ms(5000)),
	          -EINTR);
	check_signal_stop();
	CHECK_ELAPSED(start, 50);
	/* With IPC_O_CREATE too: the set exists, so it is not ours to
	 * initialise. */
	start = ipc_now();
	CHECK_ERR(ipc_semset_open(&ss, key, 2, NULL, IPC_O_CREATE, 0,
	                          ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);

	/* The creator initialises late: the opener waits for it and sees
	 * its values, never the zeros before. */
	start = ipc_now();
	pid = check_fork(raw_late_init, (void *)(intptr_t)key);
	ss = open_ok(key, 2, NULL, IPC_O_CREATE, 0);
	CHECK_ELAPSED(start, 120);
	check_values(ss, want, 2);
	CHECK_CHILD_OK(pid, 5000);
	remove_close(ss);
}

/* Racing creators: whoever creates, everyone sees the initial values. */
static void racer(void *arg)
{
	static const unsigned short init[3] = {5, 6, 7};
	int32_t key = (int32_t)(intptr_t)arg;
	ipc_semset *ss = open_ok(key, 3, init, IPC_O_CREATE, 0);

	check_values(ss, init, 3);
	CHECK_OK(ipc_semset_close(ss));
}

static void test_init_race(void)
{
	static const unsigned short init[3] = {5, 6, 7};
	pid_t pids[RACERS];
	int32_t key;
	int round;
	int i;

	for (round = 0; round < 10; round++) {
		key = semset_key();
		for (i = 0; i < RACERS; i++)
			pids[i] = check_fork(racer, (void *)(intptr_t)key);
		for (i = 0; i < RACERS; i++)
			CHECK_CHILD_OK(pids[i], 5000);
		remove_close(open_ok(key, 3, init, 0, 0));
	}
}

/* ---- existence and ownership ---------------------------------------- */

static void test_exists(void)
{
	static const unsigned short init[2] = {1, 2};
	static const unsigned short other[2] = {8, 9};
	int32_t key = semset_key();
	int32_t missing = semset_key();
	ipc_semset *ss;
	ipc_semset *t;
	char c;
	int v;

	ss = create_ok(key, 2, init);
	t = (ipc_semset *)&c;
	CHECK_ERR(ipc_semset_open(&t, key, 2, init, IPC_O_CREATE | IPC_O_EXCL,
	                          0, IPC_DEADLINE_NOW),
	          -EEXIST);
	CHECK(t == NULL);

	/* Without IPC_O_EXCL the set is opened as it is. */
	t = open_ok(key, 2, other, IPC_O_CREATE, 0);
	check_values(t, init, 2);
	CHECK_OK(ipc_semset_close(t));
	t = open_ok(key, 0, NULL, 0, 0);
	CHECK_EQ(ipc_semset_count(t), 2);
	CHECK_EQ(ipc_semset_id(t), ipc_semset_id(ss));
	CHECK_OK(ipc_semset_close(t));
	CHECK_ERR(ipc_semset_open(&t, key, 3, NULL, 0, 0, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_semset_open(&t, key, 1, NULL, IPC_O_CREATE, 0,
	                          IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_OK(ipc_semset_close(ss)); /* closing does not remove */
	CHECK(semget((key_t)key, 0, 0) >= 0);
	ss = open_ok(key, 2, NULL, 0, 0);
	remove_close(ss);

	/* Removal by key, without a handle. */
	ss = create_ok(key, 1, NULL);
	CHECK_OK(ipc_semset_remove_key(key));
	CHECK_ERR(ipc_semset_get(ss, 0, &v), -EIDRM);
	CHECK_OK(ipc_semset_close(ss));
	CHECK_ERR(ipc_semset_remove_key(key), -ENOENT);
	CHECK_ERR(ipc_semset_remove_key(IPC_SYSV_PRIVATE), -EINVAL);

	CHECK_ERR(ipc_semset_open(&t, missing, 1, NULL, 0, 0,
	                          ipc_deadline_in_ms(1000)),
	          -ENOENT);
	CHECK(t == NULL);
	CHECK_ERR(ipc_semset_open(&t, key, 2, NULL, 0, 0, IPC_DEADLINE_NOW),
	          -ENOENT);
}

static void test_private(void)
{
	static const unsigned short init[1] = {1};
	ipc_semset *a;
	ipc_semset *b;

	/* Private sets have no key the harness could sweep. */
	a = open_ok(IPC_SYSV_PRIVATE, 1, init, IPC_O_CREATE, 0);
	check_defer(remove_id, (void *)(intptr_t)ipc_semset_id(a));
	b = open_ok(IPC_SYSV_PRIVATE, 1, init, IPC_O_CREATE, 0);
	check_defer(remove_id, (void *)(intptr_t)ipc_semset_id(b));
	CHECK(ipc_semset_id(a) != ipc_semset_id(b));
	CHECK_EQ(ipc_semset_key(a), IPC_SYSV_PRIVATE);
	CHECK_OK(op1(a, 0, -1, 0, IPC_DEADLINE_NOW));
	CHECK_EQ(value_of(b, 0), 1);
	remove_close(a);
	remove_close(b);
	CHECK_ERR(ipc_semset_open(&a, IPC_SYSV_PRIVATE, 1, NULL, 0, 0,
	                          IPC_DEADLINE_NOW),
	          -EINVAL);
}

static void test_other_owner(void)
{
	int32_t key = semset_key();
	struct semid_ds ds;
	union semun arg;
	ipc_semset *ss;
	ipc_semset *t;

	if (geteuid() != 0) {
		printf("# skipped: needs root to change the owner\n");
		return;
	}
	ss = create_ok(key, 1, NULL);
	arg.buf = &ds;
	CHECK(semctl(ipc_semset_id(ss), 0, IPC_STAT, arg) == 0);
	ds.sem_perm.uid = NOBODY;
	CHECK(semctl(ipc_semset_id(ss), 0, IPC_SET, arg) == 0);
	CHECK_ERR(ipc_semset_open(&t, key, 1, NULL, 0, 0, IPC_DEADLINE_NOW),
	          -EPERM);
	CHECK(t == NULL);
	CHECK_ERR(ipc_semset_open(&t, key, 1, NULL, IPC_O_CREATE, 0,
	                          IPC_DEADLINE_NOW),
	          -EPERM);
	t = open_ok(key, 1, NULL, IPC_O_SHARED, 0);
	CHECK_OK(ipc_semset_close(t));
	remove_close(ss);
}

/* ---- permission bits ------------------------------------------------ */

static void check_modes(void)
{
	static const unsigned int modes[] = {0, 0600, 0640, 0666, 0604, 0400};
	static const unsigned int want[] = {0600, 0600, 0640, 0666, 0604, 0400};
	ipc_semset *ss;
	int32_t key;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		key = semset_key();
		ss = open_ok(key, 1, NULL,
		             IPC_O_CREATE | (i % 2 ? IPC_O_EXCL : 0), modes[i]);
		CHECK_EQ(mode_of_key(key), want[i]);
		remove_close(ss);
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
	umask(0377);
	check_modes();
}

/* ---- interop with semget/semop called directly ---------------------- */

static void raw_peer(void *arg)
{
	struct sembuf give = {0, 1, 0};
	struct sembuf take = {1, -1, 0};
	struct timespec ts = {5 * check_slow(), 0};
	int id = semget((key_t)(intptr_t)arg, 0, 0);

	CHECK(id >= 0);
	CHECK(semop(id, &give, 1) == 0);
	CHECK(semtimedop(id, &take, 1, &ts) == 0);
}

static void test_interop(void)
{
	int32_t key = semset_key();
	const struct ipc_semop ops[2] = {{0, -1, 0}, {1, 1, 0}};
	ipc_semset *ss;
	pid_t pid;

	ss = create_ok(key, 2, NULL);
	pid = check_fork(raw_peer, (void *)(intptr_t)key);
	CHECK_OK(ipc_semset_op(ss, ops, 2, ipc_deadline_in_ms(5000)));
	CHECK_CHILD_OK(pid, 5000);
	CHECK_EQ(value_of(ss, 0), 0);
	CHECK_EQ(value_of(ss, 1), 0);
	remove_close(ss);
}

/* A set made entirely by plain C with the handshake, opened by us. */
static void test_interop_raw_creator(void)
{
	unsigned short vals[3] = {2, 0, 1};
	struct sembuf touch[2] = {{0, -1, IPC_NOWAIT}, {0, 1, IPC_NOWAIT}};
	int32_t key = semset_key();
	union semun a;
	ipc_semset *ss;
	int id;

	id = semget((key_t)key, 3, IPC_CREAT | IPC_EXCL | 0600);
	CHECK(id >= 0);
	a.array = vals;
	CHECK(semctl(id, 0, SETALL, a) == 0);
	CHECK(semop(id, touch, 2) == 0);
	ss = open_ok(key, 3, NULL, 0, 0);
	check_values(ss, vals, 3);
	CHECK_OK(op1(ss, 0, -2, 0, IPC_DEADLINE_NOW));
	CHECK(semctl(id, 0, GETVAL) == 0);
	remove_close(ss);
}

/* ---- misuse --------------------------------------------------------- */

static void test_misuse(void)
{
	int32_t key = semset_key();
	const struct ipc_semop ok = {0, 1, 0};
	const struct ipc_semop bad_num = {2, 1, 0};
	const struct ipc_semop bad_flag = {0, 1, 0x80};
	struct ipc_semop *many;
	unsigned short vals[2];
	ipc_semset *ss;
	size_t nmany;
	size_t i;
	int v;

	/* NULL handles. */
	CHECK_ERR(ipc_semset_op(NULL, &ok, 1, IPC_DEADLINE_NOW), -EBADF);
	CHECK_ERR(ipc_semset_get(NULL, 0, &v), -EBADF);
	CHECK_ERR(ipc_semset_set(NULL, 0, 1), -EBADF);
	CHECK_ERR(ipc_semset_get_all(NULL, vals, 2), -EBADF);
	CHECK_ERR(ipc_semset_set_all(NULL, vals, 2), -EBADF);
	CHECK_ERR(ipc_semset_remove(NULL), -EBADF);
	CHECK_EQ(ipc_semset_count(NULL), 0);
	CHECK_EQ(ipc_semset_id(NULL), -1);
	CHECK_OK(ipc_semset_close(NULL));

	/* Bad open arguments: nothing is created. */
	ss = (ipc_semset *)&v;
	CHECK_ERR(ipc_semset_open(&ss, key, 0, NULL, IPC_O_CREATE, 0,
	                          IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK(ss == NULL);
	CHECK_ERR(ipc_semset_open(&ss, key, 1, NULL, IPC_O_EXCL, 0,
	                          IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_semset_open(&ss, key, 1, NULL,
	                          IPC_O_CREATE | IPC_O_NONBLOCK, 0,
	                          IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_semset_open(&ss, key, 1, NULL, IPC_O_CREATE, 01000,
	                          IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK_ERR(ipc_semset_open(&ss, key, 70000, NULL, IPC_O_CREATE, 0,
	                          IPC_DEADLINE_NOW),
	          -EINVAL);
	/* More counters than SEMMSL: the kernel says -EINVAL. */
	CHECK_ERR(ipc_semset_open(&ss, key, (unsigned int)sysv_limit(0) + 1,
	                          NULL, IPC_O_CREATE, 0, IPC_DEADLINE_NOW),
	          -EINVAL);
	CHECK(semget((key_t)key, 0, 0) < 0 && errno == ENOENT);

	/* Bad operations. */
	ss = create_ok(key, 2, NULL);
	CHECK_ERR(ipc_semset_op(ss, &ok, 0, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_ERR(ipc_semset_op(ss, NULL, 1, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_ERR(ipc_semset_op(ss, &bad_num, 1, IPC_DEADLINE_NOW), -EFBIG);
	CHECK_ERR(ipc_semset_op(ss, &bad_flag, 1, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_ERR(ipc_semset_get(ss, 2, &v), -EFBIG);
	CHECK_ERR(ipc_semset_get(ss, 0, NULL), -EINVAL);
	CHECK_ERR(ipc_semset_set(ss, 2, 1), -EFBIG);
	CHECK_EQ(value_of(ss, 0), 0);

	/* More than SEMOPM operations in one call: the kernel's -E2BIG.
	 * The heap path (more than 16) works below that. */
	nmany = (size_t)sysv_limit(2) + 1;
	many = calloc(nmany, sizeof(*many));
	CHECK(many != NULL);
	for (i = 0; i < nmany; i++)
		many[i] = ok;
	CHECK_ERR(ipc_semset_op(ss, many, nmany, IPC_DEADLINE_NOW), -E2BIG);
	CHECK_OK(ipc_semset_op(ss, many, 40, IPC_DEADLINE_NOW));
	CHECK_EQ(value_of(ss, 0), 40);
	free(many);
	remove_close(ss);
}

static const struct check_case cases[] = {
        CHECK_CASE(test_roundtrip),
        CHECK_CASE(test_atomic),
        CHECK_CASE(test_wait_across_processes),
        CHECK_CASE(test_would_block),
        CHECK_CASE(test_timeout),
        CHECK_CASE(test_eintr),
        CHECK_CASE(test_holder_killed_undo),
        CHECK_CASE(test_holder_killed_undo_wakes_waiter),
        CHECK_CASE(test_holder_killed_no_undo),
        CHECK_CASE(test_get_set_all),
        CHECK_CASE(test_external_removal),
        CHECK_CASE(test_init_handshake),
        CHECK_CASE(test_init_race),
        CHECK_CASE(test_exists),
        CHECK_CASE(test_private),
        CHECK_CASE(test_other_owner),
        CHECK_CASE(test_mode_umask000),
        CHECK_CASE(test_mode_umask077),
        CHECK_CASE(test_interop),
        CHECK_CASE(test_interop_raw_creator),
        CHECK_CASE(test_misuse),
        {NULL, NULL},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
