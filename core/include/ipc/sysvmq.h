/* SPDX-License-Identifier: MIT */
/*
 * ipc/sysvmq.h - System V message queues (msgget, msgsnd, msgrcv, msgctl).
 *
 * A queue of typed messages in the kernel, found by a 32-bit key (see
 * ipc/sysv.h for keys and ftok collisions) or, for IPC_SYSV_PRIVATE queues,
 * by the id the kernel gave it. Every message carries a type >= 1 chosen by
 * the sender; a receiver takes the oldest message of any type, of one type,
 * of the lowest type up to a bound, or of any type but one.
 *
 * Lifetime: a queue outlives every process, with the messages in it, until
 * ipc_sysvmq_remove() (or ipcrm). Closing a handle never removes it.
 * Removal is immediate: callers blocked on the queue wake with -EIDRM and
 * the messages still queued are lost.
 *
 * Limits (per system, /proc/sys/kernel/msgmax, msgmnb, msgmni): a message
 * holds at most msgmax bytes (8192 by default) and a queue at most msgmnb
 * bytes (16384 by default: two full-size messages).
 *
 * Blocking: the kernel has no timed msgsnd/msgrcv. With a real deadline the
 * calls try without blocking and sleep between tries with a bounded
 * back-off (50 us doubling to 10 ms), so a message that arrives during a
 * wait is seen up to 10 ms late; IPC_DEADLINE_NEVER uses the kernel's own
 * blocking call and wakes at once. A signal handler interrupts either wait
 * with -EINTR (the calls never restart).
 *
 * Permission bits are applied exactly as given: System V ignores the umask.
 */
#ifndef IPC_SYSVMQ_H
#define IPC_SYSVMQ_H

#include "ipc/common.h"
#include "ipc/sysv.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_sysvmq ipc_sysvmq;

/* Receive flags. */
#define IPC_SYSVMQ_NOERROR 0x1u /* truncate a long message (discouraged) */
#define IPC_SYSVMQ_EXCEPT  0x2u /* with type > 0: any type but @type */

/* What ipc_sysvmq_stat() reports (msqid_ds without the kernel's types). */
struct ipc_sysvmq_stat {
	int32_t key;       /* the key; 0 for a private queue */
	unsigned int mode; /* permission bits */
	uint32_t uid;      /* owner */
	uint32_t gid;
	uint32_t cuid; /* creator */
	uint32_t cgid;
	size_t messages;       /* messages queued */
	size_t bytes;          /* payload bytes queued */
	size_t max_bytes;      /* capacity in payload bytes (msg_qbytes) */
	int32_t last_send_pid; /* 0 until someone sends */
	int32_t last_recv_pid; /* 0 until someone receives */
	int64_t send_time;     /* last msgsnd, seconds since the epoch, or 0 */
	int64_t recv_time;     /* last msgrcv, or 0 */
	int64_t change_time;   /* creation or last IPC_SET */
};

/**
 * ipc_sysvmq_open() - Open or create the queue of @key.
 * @out:   out: the handle; NULL on failure.
 * @key:   a key (a number, or from ipc_sysv_key()); IPC_SYSV_PRIVATE
 *         always makes a new queue, whatever @flags say.
 * @flags: 0 to open an existing queue, IPC_O_CREATE to create it if
 *         missing, IPC_O_CREATE | IPC_O_EXCL to fail if it exists;
 *         IPC_O_SHARED to accept a queue owned by another user.
 * @mode:  with IPC_O_CREATE, the permission bits (at most 0777; 0 means
 *         0600), applied exactly whatever the umask. Ignored when the
 *         queue already exists (its mode is not changed).
 *
 * An existing queue must be owned (or created) by the caller's effective
 * uid unless IPC_O_SHARED is given: another user could have made it first
 * under the key we meant to use. Access itself is checked by the kernel on
 * each send and receive (-EACCES there).
 * Return: 0, or -ENOENT (no queue with @key and no IPC_O_CREATE), -EEXIST
 * (IPC_O_EXCL and it exists), -EPERM (owned by another user, without
 * IPC_O_SHARED), -EACCES (creating over a queue whose mode forbids us),
 * -ENOSPC (msgmni queues exist already), -ENOMEM, -EINVAL (unknown flag,
 * IPC_O_EXCL without IPC_O_CREATE, mode above 0777).
 * Ownership: on success the caller owns *@out (free it with
 * ipc_sysvmq_close()); on failure nothing is allocated and a queue this
 * call created is removed again.
 * Blocking: no.
 */
IPC_API ipc_status ipc_sysvmq_open(ipc_sysvmq **out, int32_t key,
                                   unsigned int flags, unsigned int mode);

/**
 * ipc_sysvmq_open_id() - Open a queue by its id, as ipc_sysvmq_id() gave it.
 * @out:   out: the handle; NULL on failure.
 * @id:    the queue id (how unrelated processes reach a private queue).
 * @flags: 0, or IPC_O_SHARED to accept a queue owned by another user.
 *
 * Return: 0, or -ENOENT (no queue has that id, or it was removed), -EPERM
 * (owned by another user, without IPC_O_SHARED), -EACCES (no read
 * permission: the id is checked with IPC_STAT), -EINVAL (@id negative,
 * unknown flag), -ENOMEM.
 * Ownership: as ipc_sysvmq_open().
 * Blocking: no.
 */
IPC_API ipc_status ipc_sysvmq_open_id(ipc_sysvmq **out, int id,
                                      unsigned int flags);

/**
 * ipc_sysvmq_send() - Queue one message.
 * @q:    the handle.
 * @type: the message type, at least 1.
 * @buf:  the payload (may be NULL when @len is 0).
 * @len:  payload bytes, 0 to msgmax (ipc_sysvmq_max_message()).
 * @d:    deadline while the queue is full.
 *
 * The message goes in whole or not at all.
 * Return: 0, or -EAGAIN (IPC_DEADLINE_NOW and the queue is full),
 * -ETIMEDOUT, -EINTR, -EIDRM (the queue was removed, before or during the
 * call), -EMSGSIZE (@len above msgmax, or above the queue's whole capacity
 * so that it could never fit), -EACCES (no write permission), -ENOMEM,
 * -EBADF (NULL handle), -EINVAL (@type below 1, NULL @buf with @len > 0).
 * Blocking: while the queue is full, until @d; may return -EINTR.
 */
IPC_API ipc_status ipc_sysvmq_send(ipc_sysvmq *q, long type, const void *buf,
                                   size_t len, ipc_deadline d);

/**
 * ipc_sysvmq_receive() - Take one message off the queue.
 * @q:     the handle.
 * @type:  which message: 0 the oldest of any type; > 0 the oldest of that
 *         type (with IPC_SYSVMQ_EXCEPT: of any other type); < 0 the oldest
 *         of the lowest type that is at most -@type.
 * @flags: 0, IPC_SYSVMQ_EXCEPT (only with @type > 0), IPC_SYSVMQ_NOERROR
 *         (a message longer than @cap is cut to @cap bytes and the rest is
 *         lost without any report: discouraged, size @cap for msgmax
 *         instead).
 * @buf:   where the payload goes (may be NULL when @cap is 0).
 * @cap:   room in @buf.
 * @nread: out: payload bytes received (may be NULL).
 * @mtype: out: the type of the message received (may be NULL).
 * @d:     deadline while no matching message is queued.
 *
 * Without IPC_SYSVMQ_NOERROR a message longer than @cap is not taken: the
 * call fails with -E2BIG and the message stays first in the queue.
 * Return: 0, or -EAGAIN (IPC_DEADLINE_NOW and no matching message),
 * -ETIMEDOUT, -EINTR, -EIDRM (the queue was removed, before or during the
 * call), -E2BIG (the message is longer than @cap), -EACCES (no read
 * permission), -ENOMEM, -EBADF (NULL handle), -EINVAL (unknown flag,
 * IPC_SYSVMQ_EXCEPT with @type <= 0, @type LONG_MIN, NULL @buf with
 * @cap > 0).
 * Blocking: until a matching message arrives or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_sysvmq_receive(ipc_sysvmq *q, long type,
                                      unsigned int flags, void *buf, size_t cap,
                                      size_t *nread, long *mtype,
                                      ipc_deadline d);

/**
 * ipc_sysvmq_stat() - Counters, owner and limits of the queue (IPC_STAT).
 * @q:  the handle.
 * @st: out: the state.
 *
 * Return: 0, or -EIDRM (removed), -EACCES (no read permission), -EBADF
 * (NULL handle), -EINVAL (NULL @st).
 * Blocking: no.
 */
IPC_API ipc_status ipc_sysvmq_stat(ipc_sysvmq *q, struct ipc_sysvmq_stat *st);

/**
 * ipc_sysvmq_set_max_bytes() - Change the capacity of the queue (IPC_SET).
 * @q:     the handle.
 * @bytes: the new msg_qbytes, at least 1. It also bounds the number of
 *         messages queued. Raising it above msgmnb needs CAP_SYS_RESOURCE.
 *
 * Return: 0, or -EPERM (not the owner or creator, or above msgmnb without
 * CAP_SYS_RESOURCE), -EIDRM, -EBADF (NULL handle), -EINVAL (@bytes 0 or
 * too large).
 * Blocking: no.
 */
IPC_API ipc_status ipc_sysvmq_set_max_bytes(ipc_sysvmq *q, size_t bytes);

/**
 * ipc_sysvmq_id() - The kernel's id of the queue, as ipcs(1) shows it.
 * @q: the handle.
 *
 * Return: the id, or -1 when @q is NULL.
 */
IPC_API int ipc_sysvmq_id(const ipc_sysvmq *q);

/**
 * ipc_sysvmq_key() - The key the handle was opened with.
 * @q: the handle.
 *
 * Return: the key; IPC_SYSV_PRIVATE for a private queue, for a handle from
 * ipc_sysvmq_open_id() and for NULL.
 */
IPC_API int32_t ipc_sysvmq_key(const ipc_sysvmq *q);

/**
 * ipc_sysvmq_max_message() - The largest payload a message can carry.
 * @q: the handle.
 *
 * Return: msgmax as read when the handle was opened (8192 by default), for
 * sizing receive buffers; 0 when @q is NULL.
 */
IPC_API size_t ipc_sysvmq_max_message(const ipc_sysvmq *q);

/**
 * ipc_sysvmq_remove() - Destroy the queue now (IPC_RMID).
 * @q: the handle.
 *
 * Queued messages are lost and callers blocked on the queue, in any
 * process, wake with -EIDRM. The handle stays allocated: every later call
 * on it returns -EIDRM until ipc_sysvmq_close().
 * Return: 0, or -EIDRM (already removed), -EPERM (not the owner or creator
 * of the queue), -EBADF (NULL handle).
 * Blocking: no.
 */
IPC_API ipc_status ipc_sysvmq_remove(ipc_sysvmq *q);

/**
 * ipc_sysvmq_remove_key() - Destroy the queue of @key, without a handle.
 * @key: the key (not IPC_SYSV_PRIVATE).
 *
 * Return: 0, or -ENOENT (no such queue), -EPERM, -EIDRM, -EINVAL
 * (IPC_SYSV_PRIVATE).
 * Blocking: no.
 */
IPC_API ipc_status ipc_sysvmq_remove_key(int32_t key);

/**
 * ipc_sysvmq_close() - Free the handle. The queue and its messages stay.
 * @q: the handle, or NULL.
 *
 * Return: 0.
 */
IPC_API ipc_status ipc_sysvmq_close(ipc_sysvmq *q);

#ifdef __cplusplus
}
#endif

#endif /* IPC_SYSVMQ_H */
