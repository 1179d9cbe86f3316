/* SPDX-License-Identifier: MIT */
/*
 * ipc/mq.h - POSIX message queues.
 *
 * A message queue is a kernel object with a name ("/name") that holds whole
 * messages, each with a priority: receive always takes the oldest message
 * of the highest priority. A queue has a fixed capacity, chosen when it is
 * created: at most max_messages messages of at most max_message_size bytes
 * each. The system limits (/proc/sys/fs/mqueue: msg_max, msgsize_max,
 * queues_max, and RLIMIT_MSGQUEUE per user) refuse larger queues; see
 * ipc_mq_limit_message() for an error message that names the limit.
 *
 * Lifetime: a queue and the messages in it outlive every process until
 * ipc_mq_unlink() (or a reboot); closing a handle never removes it, and
 * messages sent by a process that has since died stay in the queue.
 * Unlinking removes the name only: handles that are already open keep
 * working, and a receiver blocked on the queue is not woken (it waits
 * until its deadline or until a process that still holds the queue sends).
 *
 * Permissions: a queue is created 0600, or with the mode asked for, exactly
 * whatever the umask (set through the descriptor). Opening a queue that
 * exists checks that it belongs to the caller's effective uid
 * (IPC_O_SHARED accepts another owner).
 *
 * Blocking: send waits while the queue is full, receive while it is empty,
 * each until a deadline on CLOCK_MONOTONIC: the library polls the queue's
 * descriptor and then sends or receives without blocking, so a change of
 * the wall clock never shortens or stretches a wait. The descriptor is
 * always O_NONBLOCK and close-on-exec.
 */
#ifndef IPC_MQ_H
#define IPC_MQ_H

#include "ipc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_mq ipc_mq;

/* Priorities are 0 .. IPC_MQ_PRIO_MAX - 1; the highest is received first. */
#define IPC_MQ_PRIO_MAX 32768u

/*
 * The shape of a queue. When creating, 0 in max_messages or
 * max_message_size means the system default (/proc/sys/fs/mqueue/
 * msg_default and msgsize_default, at most msg_max and msgsize_max).
 * messages is filled by ipc_mq_attrs() and ignored on input.
 */
struct ipc_mq_attr {
	long max_messages;     /* capacity in messages */
	long max_message_size; /* the largest message, in bytes */
	long messages;         /* messages in the queue now */
};

/**
 * ipc_mq_open() - Open, or create, a message queue.
 * @out:   out: the handle; NULL on failure.
 * @name:  "/name": a leading '/', no other '/', at most NAME_MAX bytes.
 * @flags: IPC_O_READ, IPC_O_WRITE or IPC_O_RDWR (neither means RDWR);
 *         optionally IPC_O_CREATE (create it if missing), IPC_O_EXCL (with
 *         IPC_O_CREATE: it must not exist), IPC_O_SHARED (accept a queue
 *         owned by another user), IPC_O_NONBLOCK (accepted; the
 *         descriptor is O_NONBLOCK in any case).
 * @mode:  with IPC_O_CREATE, the permission bits of a queue this call
 *         creates (0 means 0600), applied exactly whatever the umask; a
 *         queue that exists keeps its mode.
 * @attr:  NULL, or the shape: when creating, the queue gets it (0 fields:
 *         the system default); when the queue exists, each non-zero field
 *         must equal the queue's (-EINVAL otherwise), so that two
 *         processes that both create-or-open agree on the message size.
 *
 * Return: 0, or -EEXIST (IPC_O_CREATE|IPC_O_EXCL and the queue exists),
 * -ENOENT (no such queue and no IPC_O_CREATE), -EINVAL (bad name, unknown
 * flag, IPC_O_EXCL without IPC_O_CREATE, mode above 0777, a negative
 * field; a size above msg_max or msgsize_max; an existing queue of another
 * shape), -ENAMETOOLONG, -EPERM (owned by another user, without
 * IPC_O_SHARED), -EACCES (the queue's mode forbids it), -EMFILE
 * (RLIMIT_MSGQUEUE of the user, or RLIMIT_NOFILE), -ENOSPC (queues_max
 * queues exist already), -ENFILE, -ENOMEM. For -EINVAL, -EMFILE and
 * -ENOSPC, ipc_mq_limit_message() says which limit was hit.
 * Ownership: on success the caller owns *@out; on failure nothing is
 * allocated, and a queue this call created is removed again.
 * Blocking: no.
 */
IPC_API ipc_status ipc_mq_open(ipc_mq **out, const char *name,
                               unsigned int flags, unsigned int mode,
                               const struct ipc_mq_attr *attr);

/**
 * ipc_mq_send() - Put one message in the queue.
 * @q:    a handle opened for writing.
 * @buf:  the message; may be NULL when @len is 0.
 * @len:  its size, at most max_message_size (0 is a valid message).
 * @prio: its priority, below IPC_MQ_PRIO_MAX.
 * @d:    how long to wait while the queue is full.
 *
 * The message goes in whole or not at all.
 * Return: 0, or -EAGAIN (full, with IPC_DEADLINE_NOW), -ETIMEDOUT, -EINTR,
 * -EMSGSIZE (@len above max_message_size), -EINVAL (@prio too high, NULL
 * @buf with a length), -EBADF (NULL, or opened read-only).
 * Blocking: while the queue is full, until @d; may return -EINTR.
 */
IPC_API ipc_status ipc_mq_send(ipc_mq *q, const void *buf, size_t len,
                               unsigned int prio, ipc_deadline d);

/**
 * ipc_mq_receive() - Take the oldest message of the highest priority.
 * @q:     a handle opened for reading.
 * @buf:   where to put the message.
 * @cap:   room in @buf; must be at least max_message_size (see
 *         ipc_mq_attrs()), whatever the size of the next message.
 * @nread: out: the size of the message; 0 on failure (0 is also the size
 *         of an empty message).
 * @prio:  out: its priority; may be NULL.
 * @d:     how long to wait while the queue is empty.
 *
 * Return: 0, or -EAGAIN (empty, with IPC_DEADLINE_NOW), -ETIMEDOUT,
 * -EINTR, -EMSGSIZE (@cap below max_message_size; nothing is taken),
 * -EINVAL (NULL @buf or @nread), -EBADF (NULL, or opened write-only).
 * Blocking: while the queue is empty, until @d; may return -EINTR.
 */
IPC_API ipc_status ipc_mq_receive(ipc_mq *q, void *buf, size_t cap,
                                  size_t *nread, unsigned int *prio,
                                  ipc_deadline d);

/**
 * ipc_mq_attrs() - The shape of the queue and how full it is.
 * @q:    the handle.
 * @attr: out: max_messages, max_message_size and messages (now).
 *
 * Return: 0, or -EBADF (NULL handle), -EINVAL (NULL @attr).
 */
IPC_API ipc_status ipc_mq_attrs(const ipc_mq *q, struct ipc_mq_attr *attr);

/**
 * ipc_mq_limit_message() - Name the system limit behind a failed open.
 * @st:   what ipc_mq_open() returned: -EINVAL, -EMFILE or -ENOSPC.
 * @attr: the shape that was asked for (NULL: the defaults).
 * @buf:  where to write a sentence, such as
 *        "max_messages=64 exceeds /proc/sys/fs/mqueue/msg_max=10".
 * @cap:  room in @buf; a longer sentence is cut, always NUL-terminated.
 *
 * Reads the limits (/proc/sys/fs/mqueue, getrlimit) at call time, so call
 * it right after the failure. -EINVAL: the request is above msg_max or
 * msgsize_max (or below 1); -EMFILE: the process is out of descriptors
 * (RLIMIT_NOFILE), otherwise the user's queues would exceed
 * RLIMIT_MSGQUEUE; -ENOSPC: queues_max. Bindings append the sentence to
 * their error message.
 * Return: 0 when it wrote a sentence, -ENOENT when no limit explains @st
 * (another -EINVAL, say), -EINVAL (NULL @buf or @cap 0).
 */
IPC_API ipc_status ipc_mq_limit_message(ipc_status st,
                                        const struct ipc_mq_attr *attr,
                                        char *buf, size_t cap);

/**
 * ipc_mq_fd() - The queue's descriptor, for poll(2).
 * @q: the handle.
 *
 * POLLIN means a message is there, POLLOUT that there is room for one.
 * The descriptor is O_NONBLOCK; do not change that.
 * Return: a borrowed descriptor, or -1 when @q is NULL.
 */
IPC_API int ipc_mq_fd(const ipc_mq *q);

/**
 * ipc_mq_name() - The name the handle was opened with.
 * @q: the handle.
 *
 * Return: a string owned by @q, valid until ipc_mq_close(); NULL when @q
 * is NULL.
 */
IPC_API const char *ipc_mq_name(const ipc_mq *q);

/**
 * ipc_mq_is_unlinked() - Whether the queue's name has been removed.
 * @q: the handle.
 *
 * The handle keeps working after ipc_mq_unlink(), by any process; this
 * tells a peer, after a timeout say, that no new process can find the
 * queue any more. (A queue created again under the same name is another
 * queue.)
 * Return: true when the queue behind @q has no name any more; false when
 * it has, or @q is NULL.
 */
IPC_API bool ipc_mq_is_unlinked(const ipc_mq *q);

/**
 * ipc_mq_close() - Close the handle. The queue and its messages stay.
 * @q: the handle, or NULL.
 *
 * Return: 0, or the error close(2) reported (never -EINTR). @q is freed
 * either way.
 */
IPC_API ipc_status ipc_mq_close(ipc_mq *q);

/**
 * ipc_mq_unlink() - Remove the queue's name.
 * @name: "/name".
 *
 * The queue is destroyed, with the messages in it, once every handle on it
 * is closed; until then those handles keep working.
 * Return: 0, or -ENOENT, -EACCES (another user's queue), -EINVAL (bad
 * name), -ENAMETOOLONG.
 */
IPC_API ipc_status ipc_mq_unlink(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* IPC_MQ_H */
