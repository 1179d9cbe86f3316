/* SPDX-License-Identifier: MIT */
/*
 * sysvmq.c - System V message queues.
 *
 * The one place that builds the kernel's message buffer: a long mtype
 * followed by the payload, allocated as exactly sizeof(long) + payload
 * bytes, with msgsz counting the payload only, in both directions
 * (STYLE.md anti-pattern 7: luaposix passes the size with the mtype and the
 * kernel then reads and writes 8 bytes past the buffer).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "ipc/sysvmq.h"

#ifndef MSG_EXCEPT
#define MSG_EXCEPT 020000
#endif

/* Payloads up to this size are staged on the stack, larger ones on the heap. */
#define SYSVMQ_STACK_BYTES 2048
#define SYSVMQ_STACK_LONGS (1 + SYSVMQ_STACK_BYTES / sizeof(long))

/* The kernel's default msgmax, if /proc cannot be read. */
#define SYSVMQ_DEFAULT_MSGMAX 8192

/* Back-off between non-blocking tries while waiting with a deadline. */
#define SYSVMQ_BACKOFF_MIN_NS INT64_C(50000)    /* 50 us */
#define SYSVMQ_BACKOFF_MAX_NS INT64_C(10000000) /* 10 ms */

#define SYSVMQ_OPEN_FLAGS (IPC_O_CREATE | IPC_O_EXCL | IPC_O_SHARED)
#define SYSVMQ_RECV_FLAGS (IPC_SYSVMQ_NOERROR | IPC_SYSVMQ_EXCEPT)

struct ipc_sysvmq {
	int id;
	int32_t key;
	size_t msgmax; /* /proc/sys/kernel/msgmax when opened */
	bool removed;  /* ipc_sysvmq_remove() succeeded: the id is dead */
	/* The staging buffer {long mtype; payload} of large messages, kept
	 * between calls: a malloc per message cost more than the copy. */
	long *stage;
	size_t stage_room; /* payload bytes it holds */
};

/* A staging buffer with room for @room payload bytes, grown as needed. */
static long *sysvmq_stage(ipc_sysvmq *q, size_t room)
{
	long *mb;

	if (q->stage != NULL && q->stage_room >= room)
		return q->stage;
	mb = malloc(sizeof(long) + room);
	if (mb == NULL)
		return NULL;
	free(q->stage);
	q->stage = mb;
	q->stage_room = room;
	return mb;
}

/* The current msgmax, or the kernel's default if /proc says nothing. */
static size_t sysvmq_read_msgmax(void)
{
	char text[32];
	ssize_t n;
	long v;
	int fd;

	fd = open("/proc/sys/kernel/msgmax", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return SYSVMQ_DEFAULT_MSGMAX;
	do
		n = read(fd, text, sizeof(text) - 1);
	while (n < 0 && errno == EINTR);
	ipc__close_quiet(fd);
	if (n <= 0)
		return SYSVMQ_DEFAULT_MSGMAX;
	text[n] = '\0';
	v = strtol(text, NULL, 10);
	return v > 0 ? (size_t)v : SYSVMQ_DEFAULT_MSGMAX;
}

/*
 * The largest payload allowed now: the handle's msgmax, or, for a request
 * above it, a fresh read (someone may have raised kernel.msgmax since).
 */
static size_t sysvmq_msgmax(const ipc_sysvmq *q, size_t want)
{
	return want > q->msgmax ? sysvmq_read_msgmax() : q->msgmax;
}

/*
 * Map an errno from msgsnd/msgrcv/msgctl on @q. The kernel answers EINVAL
 * for an id that no longer names a queue (removed before the call; EIDRM
 * only reaches callers that were already waiting): report both as -EIDRM.
 * @einval is what a genuine EINVAL from a live queue means for the caller.
 */
static ipc_status sysvmq_error(const ipc_sysvmq *q, int err, ipc_status einval)
{
	struct msqid_ds ds;

	if (err != EINVAL)
		return -err;
	if (msgctl(q->id, IPC_STAT, &ds) < 0 && errno == EINVAL)
		return -EIDRM;
	return einval;
}

/* A message of @len bytes can never fit a queue smaller than itself. */
static ipc_status sysvmq_check_fits(const ipc_sysvmq *q, size_t len)
{
	struct msqid_ds ds;

	if (msgctl(q->id, IPC_STAT, &ds) < 0)
		return sysvmq_error(q, errno, -EINVAL);
	if (len > ds.msg_qbytes)
		return -EMSGSIZE;
	return 0;
}

static ipc_status sysvmq_owner_ok(int id, unsigned int flags)
{
	struct msqid_ds ds;
	uid_t me;

	if (flags & IPC_O_SHARED)
		return 0;
	if (msgctl(id, IPC_STAT, &ds) < 0)
		return errno == EINVAL ? -EIDRM : -errno;
	me = geteuid();
	if (ds.msg_perm.uid != me && ds.msg_perm.cuid != me)
		return -EPERM;
	return 0;
}

static ipc_status sysvmq_new(ipc_sysvmq **out, int id, int32_t key)
{
	ipc_sysvmq *q;

	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	q->id = id;
	q->key = key;
	q->msgmax = sysvmq_read_msgmax();
	*out = q;
	return 0;
}

ipc_status ipc_sysvmq_open(ipc_sysvmq **out, int32_t key, unsigned int flags,
                           unsigned int mode)
{
	bool created = false;
	ipc_status st;
	int tries;
	int err;
	int id;

	*out = NULL;
	if (flags & ~SYSVMQ_OPEN_FLAGS)
		return -EINVAL;
	if ((flags & IPC_O_EXCL) && !(flags & IPC_O_CREATE))
		return -EINVAL;
	if (mode > 0777)
		return -EINVAL;
	if (mode == 0)
		mode = IPC_MODE_DEFAULT;

	if (key == IPC_SYSV_PRIVATE) {
		id = msgget(IPC_PRIVATE, IPC_CREAT | (int)mode);
		if (id < 0)
			return -errno;
		created = true;
		goto wrap;
	}
	/*
	 * Create exclusively first, so that we know whether the queue is
	 * ours (then its mode is exactly @mode) or was there already (then
	 * its owner is checked). A queue removed between the two msgget
	 * calls sends us round again.
	 */
	for (tries = 0;; tries++) {
		if (flags & IPC_O_CREATE) {
			id = msgget((key_t)key,
			            IPC_CREAT | IPC_EXCL | (int)mode);
			if (id >= 0) {
				created = true;
				break;
			}
			err = errno;
			if (err != EEXIST || (flags & IPC_O_EXCL))
				return -err;
		}
		id = msgget((key_t)key, 0);
		if (id >= 0)
			break;
		err = errno;
		if (err != ENOENT || !(flags & IPC_O_CREATE) || tries >= 16)
			return -err;
	}
	if (!created) {
		st = sysvmq_owner_ok(id, flags);
		if (st)
			return st;
	}
wrap:
	st = sysvmq_new(out, id, key);
	if (st && created)
		(void)msgctl(id, IPC_RMID, NULL);
	return st;
}

ipc_status ipc_sysvmq_open_id(ipc_sysvmq **out, int id, unsigned int flags)
{
	struct msqid_ds ds;
	ipc_status st;

	*out = NULL;
	if (id < 0 || (flags & ~IPC_O_SHARED))
		return -EINVAL;
	/* IPC_STAT proves that the id names a live queue. */
	if (msgctl(id, IPC_STAT, &ds) < 0)
		return errno == EINVAL ? -ENOENT : -errno;
	st = sysvmq_owner_ok(id, flags);
	if (st)
		return st == -EIDRM ? -ENOENT : st;
	return sysvmq_new(out, id, (int32_t)ds.msg_perm.__key);
}

/* Send the staged message @mb (payload @len bytes), waiting until @d. */
static ipc_status sysvmq_send_wait(const ipc_sysvmq *q, const long *mb,
                                   size_t len, ipc_deadline d)
{
	struct ipc__backoff wait = {SYSVMQ_BACKOFF_MIN_NS,
	                            SYSVMQ_BACKOFF_MAX_NS};
	bool checked = false;
	ipc_status st;
	int err;

	for (;;) {
		if (msgsnd(q->id, mb, len, IPC_NOWAIT) == 0)
			return 0;
		err = errno;
		if (err == EINTR)
			continue; /* a non-blocking step */
		if (err != EAGAIN)
			return sysvmq_error(q, err, -EMSGSIZE);
		if (!checked) {
			/* Else a message larger than msg_qbytes waits for
			 * ever: the kernel never refuses it. */
			st = sysvmq_check_fits(q, len);
			if (st)
				return st;
			checked = true;
		}
		if (d == IPC_DEADLINE_NEVER)
			break;
		st = ipc__backoff_sleep(&wait, d);
		if (st)
			return st;
	}
	/* No deadline: the kernel's own wait, which never restarts. */
	if (msgsnd(q->id, mb, len, 0) == 0)
		return 0;
	return sysvmq_error(q, errno, -EMSGSIZE);
}

ipc_status ipc_sysvmq_send(ipc_sysvmq *q, long type, const void *buf,
                           size_t len, ipc_deadline d)
{
	long stackbuf[SYSVMQ_STACK_LONGS];
	long *mb = stackbuf;

	if (q == NULL)
		return -EBADF;
	if (type < 1 || (buf == NULL && len > 0))
		return -EINVAL;
	if (q->removed)
		return -EIDRM;
	if (len > sysvmq_msgmax(q, len))
		return -EMSGSIZE;
	if (len > SYSVMQ_STACK_BYTES) {
		mb = sysvmq_stage(q, len);
		if (mb == NULL)
			return -ENOMEM;
	}
	mb[0] = type;
	if (len > 0)
		memcpy(mb + 1, buf, len);
	/* msgsz is the payload only: the kernel adds sizeof(long) itself. */
	return sysvmq_send_wait(q, mb, len, d);
}

/*
 * Receive into the staged buffer @mb, which has room for sizeof(long) +
 * @room bytes, waiting until @d. *@n is the payload length on success.
 */
static ipc_status sysvmq_recv_wait(const ipc_sysvmq *q, long *mb, size_t room,
                                   long type, int kflags, ipc_deadline d,
                                   size_t *n)
{
	struct ipc__backoff wait = {SYSVMQ_BACKOFF_MIN_NS,
	                            SYSVMQ_BACKOFF_MAX_NS};
	ipc_status st;
	ssize_t got;
	int err;

	if (d == IPC_DEADLINE_NEVER) {
		/* The kernel's own wait: EINTR is returned, never restarted. */
		got = msgrcv(q->id, mb, room, type, kflags);
		if (got < 0)
			return sysvmq_error(q, errno, -EINVAL);
		*n = (size_t)got;
		return 0;
	}
	for (;;) {
		got = msgrcv(q->id, mb, room, type, kflags | IPC_NOWAIT);
		if (got >= 0) {
			*n = (size_t)got;
			return 0;
		}
		err = errno;
		if (err == EINTR)
			continue; /* a non-blocking step */
		if (err != ENOMSG && err != EAGAIN)
			return sysvmq_error(q, err, -EINVAL);
		st = ipc__backoff_sleep(&wait, d);
		if (st)
			return st;
	}
}

ipc_status ipc_sysvmq_receive(ipc_sysvmq *q, long type, unsigned int flags,
                              void *buf, size_t cap, size_t *nread, long *mtype,
                              ipc_deadline d)
{
	long stackbuf[SYSVMQ_STACK_LONGS];
	long *mb = stackbuf;
	ipc_status st;
	size_t room, newmax;
	size_t n = 0;
	int kflags = 0;

	if (nread != NULL)
		*nread = 0;
	if (mtype != NULL)
		*mtype = 0;
	if (q == NULL)
		return -EBADF;
	if ((flags & ~SYSVMQ_RECV_FLAGS) || type == LONG_MIN ||
	    ((flags & IPC_SYSVMQ_EXCEPT) && type <= 0) ||
	    (buf == NULL && cap > 0))
		return -EINVAL;
	if (q->removed)
		return -EIDRM;
	if (flags & IPC_SYSVMQ_NOERROR)
		kflags |= MSG_NOERROR;
	if (flags & IPC_SYSVMQ_EXCEPT)
		kflags |= MSG_EXCEPT;

	/*
	 * No message is longer than msgmax: no need for more room. The
	 * handle's msgmax is read at open; if a message does not fit a
	 * buffer larger than that, kernel.msgmax was raised since: read it
	 * again and retry once (reading /proc on every call cost more than
	 * the message).
	 */
	for (;;) {
		room = cap < q->msgmax ? cap : q->msgmax;
		mb = stackbuf;
		if (room > SYSVMQ_STACK_BYTES) {
			mb = sysvmq_stage(q, room);
			if (mb == NULL)
				return -ENOMEM;
		}
		/* msgsz is the room for the payload, without the mtype. */
		st = sysvmq_recv_wait(q, mb, room, type, kflags, d, &n);
		if (st != -E2BIG || cap <= q->msgmax)
			break;
		newmax = sysvmq_read_msgmax();
		if (newmax <= q->msgmax)
			break;
		q->msgmax = newmax;
	}
	if (st == 0) {
		if (n > 0)
			memcpy(buf, mb + 1, n);
		if (nread != NULL)
			*nread = n;
		if (mtype != NULL)
			*mtype = mb[0];
	}
	return st;
}

ipc_status ipc_sysvmq_stat(ipc_sysvmq *q, struct ipc_sysvmq_stat *st)
{
	struct msqid_ds ds;

	if (st != NULL)
		memset(st, 0, sizeof(*st));
	if (q == NULL)
		return -EBADF;
	if (st == NULL)
		return -EINVAL;
	if (q->removed)
		return -EIDRM;
	if (msgctl(q->id, IPC_STAT, &ds) < 0)
		return errno == EINVAL ? -EIDRM : -errno;
	st->key = (int32_t)ds.msg_perm.__key;
	st->mode = ds.msg_perm.mode & 0777u;
	st->uid = ds.msg_perm.uid;
	st->gid = ds.msg_perm.gid;
	st->cuid = ds.msg_perm.cuid;
	st->cgid = ds.msg_perm.cgid;
	st->messages = ds.msg_qnum;
	st->bytes = ds.msg_cbytes;
	st->max_bytes = ds.msg_qbytes;
	st->last_send_pid = (int32_t)ds.msg_lspid;
	st->last_recv_pid = (int32_t)ds.msg_lrpid;
	st->send_time = (int64_t)ds.msg_stime;
	st->recv_time = (int64_t)ds.msg_rtime;
	st->change_time = (int64_t)ds.msg_ctime;
	return 0;
}

ipc_status ipc_sysvmq_set_max_bytes(ipc_sysvmq *q, size_t bytes)
{
	struct msqid_ds ds;

	if (q == NULL)
		return -EBADF;
	if (bytes == 0 || bytes > (size_t)LONG_MAX)
		return -EINVAL;
	if (q->removed)
		return -EIDRM;
	/* IPC_SET also writes uid, gid and mode: start from their values. */
	if (msgctl(q->id, IPC_STAT, &ds) < 0)
		return errno == EINVAL ? -EIDRM : -errno;
	ds.msg_qbytes = (msglen_t)bytes;
	if (msgctl(q->id, IPC_SET, &ds) < 0)
		return sysvmq_error(q, errno, -EINVAL);
	return 0;
}

int ipc_sysvmq_id(const ipc_sysvmq *q)
{
	return q != NULL ? q->id : -1;
}

int32_t ipc_sysvmq_key(const ipc_sysvmq *q)
{
	return q != NULL ? q->key : IPC_SYSV_PRIVATE;
}

size_t ipc_sysvmq_max_message(const ipc_sysvmq *q)
{
	return q != NULL ? q->msgmax : 0;
}

ipc_status ipc_sysvmq_remove(ipc_sysvmq *q)
{
	int err;

	if (q == NULL)
		return -EBADF;
	if (q->removed)
		return -EIDRM;
	if (msgctl(q->id, IPC_RMID, NULL) < 0) {
		err = errno;
		if (err != EINVAL && err != EIDRM)
			return -err;
		q->removed = true; /* someone else removed it */
		return -EIDRM;
	}
	q->removed = true;
	return 0;
}

ipc_status ipc_sysvmq_remove_key(int32_t key)
{
	int id;

	if (key == IPC_SYSV_PRIVATE)
		return -EINVAL;
	id = msgget((key_t)key, 0);
	if (id < 0)
		return -errno;
	if (msgctl(id, IPC_RMID, NULL) < 0)
		return errno == EINVAL ? -EIDRM : -errno;
	return 0;
}

ipc_status ipc_sysvmq_close(ipc_sysvmq *q)
{
	if (q != NULL)
		free(q->stage);
	free(q);
	return 0;
}
