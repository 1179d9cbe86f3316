/* SPDX-License-Identifier: MIT */
/* semset.c - System V semaphore sets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "ipc/semset.h"

#define SEMSET_OPEN_FLAGS (IPC_O_CREATE | IPC_O_EXCL | IPC_O_SHARED)
#define SEMSET_OP_FLAGS   (IPC_SEMSET_UNDO | IPC_SEMSET_NOWAIT)
#define SEMSET_MAX_COUNT  65535u /* struct ipc_semop.num is 16 bits */
#define SEMSET_MAX_OPS    65536u /* far above any SEMOPM: -E2BIG */
#define SEMSET_STACK_OPS  16
#define SEMSET_TRIES      16

/* IPC_SEMSET_VALUE_MAX is the kernel's SEMVMX (<linux/sem.h>, which clashes
 * with <sys/sem.h>); the tests check it with SETVAL. */

/* semctl(2): the caller defines it. */
union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

struct ipc_semset {
	int id;
	unsigned int count;
	int32_t key;
};

/*
 * Our arguments are checked before every semctl()/semop(), so EINVAL from
 * the kernel means the id names no set any more: it was removed before
 * the call (a removal during a wait gives EIDRM).
 */
static ipc_status gone_status(int err)
{
	return err == EINVAL ? -EIDRM : -err;
}

static void remove_quiet(int id)
{
	int saved = errno;

	(void)semctl(id, 0, IPC_RMID);
	errno = saved;
}

/*
 * One operation that changes nothing but sets sem_otime: the signal to
 * openers that the values are in place. The order keeps counter 0 within
 * 0..SEMVMX at each step (the kernel checks every step).
 */
static ipc_status handshake(int id, unsigned short first)
{
	struct sembuf ops[2] = {
	        {0, 1, IPC_NOWAIT},
	        {0, -1, IPC_NOWAIT},
	};
	int r;

	if (first > 0) {
		ops[0].sem_op = -1;
		ops[1].sem_op = 1;
	}
	do
		r = semop(id, ops, 2);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

static ipc_status create_excl(int32_t key, unsigned int count,
                              const unsigned short *initial, unsigned int mode,
                              int *out)
{
	unsigned short *zeros = NULL;
	union semun arg;
	ipc_status st;
	int id;

	if (initial == NULL) {
		zeros = calloc(count, sizeof(*zeros));
		if (zeros == NULL)
			return -ENOMEM;
		initial = zeros;
	}
	id = semget((key_t)key, (int)count, IPC_CREAT | IPC_EXCL | (int)mode);
	if (id < 0) {
		st = -errno;
		goto out_free;
	}
	arg.array = (unsigned short *)initial; /* SETALL only reads it */
	if (semctl(id, 0, SETALL, arg) < 0) {
		st = -errno;
		goto err_remove;
	}
	st = handshake(id, initial[0]);
	if (st)
		goto err_remove;
	*out = id;
	goto out_free;

err_remove:
	remove_quiet(id);
out_free:
	free(zeros);
	return st;
}

/*
 * Open the set at @key and wait, until @d, until its creator has
 * initialised it (sem_otime != 0). A set created by semget() without the
 * handshake never qualifies: the opener times out.
 */
static ipc_status open_existing(int32_t key, unsigned int *count,
                                unsigned int flags, ipc_deadline d, int *out)
{
	struct ipc__backoff wait = IPC__BACKOFF_MS(1, 20);
	struct semid_ds ds;
	union semun arg;
	bool checked = false;
	ipc_status st;
	int id;

	id = semget((key_t)key, 0, 0);
	if (id < 0)
		return -errno;
	arg.buf = &ds;
	for (;;) {
		if (semctl(id, 0, IPC_STAT, arg) < 0)
			return gone_status(errno);
		if (!checked) {
			if (*count != 0 && ds.sem_nsems != *count)
				return -EINVAL;
			if (ds.sem_perm.uid != geteuid() &&
			    !(flags & IPC_O_SHARED))
				return -EPERM;
			checked = true;
		}
		if (ds.sem_otime != 0)
			break;
		st = ipc__backoff_sleep(&wait, d);
		if (st)
			return st;
	}
	*count = (unsigned int)ds.sem_nsems;
	*out = id;
	return 0;
}

ipc_status ipc_semset_open(ipc_semset **out, int32_t key, unsigned int count,
                           const unsigned short *initial, unsigned int flags,
                           unsigned int mode, ipc_deadline d)
{
	bool created = false;
	ipc_semset *ss;
	ipc_status st = -ENOENT;
	unsigned int i;
	int tries;
	int id = -1;

	*out = NULL;
	if ((flags & ~SEMSET_OPEN_FLAGS) || mode > 0777 ||
	    count > SEMSET_MAX_COUNT ||
	    ((flags & IPC_O_EXCL) && !(flags & IPC_O_CREATE)))
		return -EINVAL;
	if ((flags & IPC_O_CREATE) && count == 0)
		return -EINVAL;
	if (key == IPC_SYSV_PRIVATE && !(flags & IPC_O_CREATE))
		return -EINVAL;
	if (mode == 0)
		mode = IPC_MODE_DEFAULT;
	if ((flags & IPC_O_CREATE) && initial != NULL) {
		for (i = 0; i < count; i++) {
			if (initial[i] > IPC_SEMSET_VALUE_MAX)
				return -ERANGE;
		}
	}
	/* Create, or open what is there; if that is removed meanwhile (say
	 * its creator failed), try again a bounded number of times. */
	for (tries = 0; tries < SEMSET_TRIES; tries++) {
		if (flags & IPC_O_CREATE) {
			st = create_excl(key, count, initial, mode, &id);
			if (st == 0) {
				created = true;
				break;
			}
			if (st != -EEXIST || (flags & IPC_O_EXCL))
				return st;
		}
		st = open_existing(key, &count, flags, d, &id);
		if ((st != -ENOENT && st != -EIDRM) || !(flags & IPC_O_CREATE))
			break;
	}
	if (st)
		return st;
	ss = malloc(sizeof(*ss));
	if (ss == NULL) {
		if (created)
			remove_quiet(id);
		return -ENOMEM;
	}
	ss->id = id;
	ss->count = count;
	ss->key = key;
	*out = ss;
	return 0;
}

static short op_flags(unsigned int flags, bool nowait)
{
	int f = 0;

	if (flags & IPC_SEMSET_UNDO)
		f |= SEM_UNDO;
	if ((flags & IPC_SEMSET_NOWAIT) || nowait)
		f |= IPC_NOWAIT;
	return (short)f;
}

/*
 * semtimedop() takes a relative timeout: recompute it from the absolute
 * deadline before every call, so that retries never extend the wait. A
 * deadline already past still tries once (every operation IPC_NOWAIT).
 */
static ipc_status op_wait(int id, struct sembuf *sb, size_t nops,
                          ipc_deadline d, bool user_nowait)
{
	struct timespec ts;
	size_t i;
	int r;

	for (;;) {
		if (d == IPC_DEADLINE_NOW || d == IPC_DEADLINE_NEVER) {
			r = semtimedop(id, sb, nops, NULL);
		} else {
			if (!ipc__remaining_timespec(d, &ts)) {
				for (i = 0; i < nops; i++)
					sb[i].sem_flg |= IPC_NOWAIT;
				r = semtimedop(id, sb, nops, NULL);
			} else {
				r = semtimedop(id, sb, nops, &ts);
			}
		}
		if (r == 0)
			return 0;
		if (errno != EAGAIN)
			return gone_status(errno); /* EINTR, EIDRM, ... */
		if (d == IPC_DEADLINE_NOW)
			return -EAGAIN;
		if (ipc_deadline_expired(d))
			return -ETIMEDOUT;
		if (user_nowait)
			return -EAGAIN;
		/* The kernel's timer ended a hair early: go round again. */
	}
}

ipc_status ipc_semset_op(ipc_semset *ss, const struct ipc_semop *ops,
                         size_t nops, ipc_deadline d)
{
	struct sembuf stack[SEMSET_STACK_OPS];
	struct sembuf *sb = stack;
	bool user_nowait = false;
	ipc_status st;
	size_t i;

	if (ss == NULL)
		return -EBADF;
	if (ops == NULL || nops == 0)
		return -EINVAL;
	if (nops > SEMSET_MAX_OPS)
		return -E2BIG;
	for (i = 0; i < nops; i++) {
		if (ops[i].flags & ~SEMSET_OP_FLAGS)
			return -EINVAL;
		if (ops[i].num >= ss->count)
			return -EFBIG;
		if (ops[i].flags & IPC_SEMSET_NOWAIT)
			user_nowait = true;
	}
	if (nops > SEMSET_STACK_OPS) {
		sb = malloc(nops * sizeof(*sb));
		if (sb == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < nops; i++) {
		sb[i].sem_num = ops[i].num;
		sb[i].sem_op = ops[i].op;
		sb[i].sem_flg = op_flags(ops[i].flags, d == IPC_DEADLINE_NOW);
	}
	st = op_wait(ss->id, sb, nops, d, user_nowait);
	if (sb != stack)
		free(sb);
	return st;
}

ipc_status ipc_semset_get(ipc_semset *ss, unsigned int num, int *value)
{
	int r;

	if (ss == NULL)
		return -EBADF;
	if (value == NULL)
		return -EINVAL;
	if (num >= ss->count)
		return -EFBIG;
	r = semctl(ss->id, (int)num, GETVAL);
	if (r < 0)
		return gone_status(errno);
	*value = r;
	return 0;
}

ipc_status ipc_semset_set(ipc_semset *ss, unsigned int num, int value)
{
	union semun arg;

	if (ss == NULL)
		return -EBADF;
	if (num >= ss->count)
		return -EFBIG;
	if (value < 0 || value > IPC_SEMSET_VALUE_MAX)
		return -ERANGE;
	arg.val = value;
	if (semctl(ss->id, (int)num, SETVAL, arg) < 0)
		return gone_status(errno);
	return 0;
}

ipc_status ipc_semset_get_all(ipc_semset *ss, unsigned short *values, size_t n)
{
	union semun arg;

	if (ss == NULL)
		return -EBADF;
	if (values == NULL || n < ss->count)
		return -EINVAL;
	arg.array = values;
	if (semctl(ss->id, 0, GETALL, arg) < 0)
		return gone_status(errno);
	return 0;
}

ipc_status ipc_semset_set_all(ipc_semset *ss, const unsigned short *values,
                              size_t n)
{
	union semun arg;
	size_t i;

	if (ss == NULL)
		return -EBADF;
	if (values == NULL || n != ss->count)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (values[i] > IPC_SEMSET_VALUE_MAX)
			return -ERANGE;
	}
	arg.array = (unsigned short *)values; /* SETALL only reads it */
	if (semctl(ss->id, 0, SETALL, arg) < 0)
		return gone_status(errno);
	return 0;
}

unsigned int ipc_semset_count(const ipc_semset *ss)
{
	return ss != NULL ? ss->count : 0;
}

int ipc_semset_id(const ipc_semset *ss)
{
	return ss != NULL ? ss->id : -1;
}

int32_t ipc_semset_key(const ipc_semset *ss)
{
	return ss != NULL ? ss->key : 0;
}

ipc_status ipc_semset_remove(ipc_semset *ss)
{
	if (ss == NULL)
		return -EBADF;
	if (semctl(ss->id, 0, IPC_RMID) < 0)
		return gone_status(errno);
	return 0;
}

ipc_status ipc_semset_remove_key(int32_t key)
{
	int id;

	if (key == IPC_SYSV_PRIVATE)
		return -EINVAL;
	id = semget((key_t)key, 0, 0);
	if (id < 0)
		return -errno;
	if (semctl(id, 0, IPC_RMID) < 0)
		return gone_status(errno);
	return 0;
}

ipc_status ipc_semset_close(ipc_semset *ss)
{
	free(ss);
	return 0;
}
