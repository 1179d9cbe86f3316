/* SPDX-License-Identifier: MIT */
/*
 * ipc/loop.h - a poller over every pollable handle, with timers.
 *
 * An epoll set, level-triggered: a source stays ready until it is drained,
 * so a handler that reads one message per wake-up never loses the rest.
 * Sources are descriptors (pipes, FIFOs, sockets, POSIX queues, signal
 * sets, process pidfds: every ipc_X_fd()), channels, and timers. Each
 * source carries a tag of the caller's, given back with its events.
 *
 * Channels: a framed channel may hold a message it read ahead, and a ring
 * has no descriptor at all (nor has a System V queue).
 * ipc_loop_add_chan() handles both: the loop
 * reports such a channel ready without waiting when ipc_chan_readable()
 * says so, and while a ring is registered it wakes every
 * IPC_LOOP_RING_POLL_NS to look at it (a ring's futex cannot sit in an
 * epoll set).
 *
 * Timers fire at an absolute time and then, when they have an interval,
 * every interval after; a late loop reports a timer once and counts the
 * missed expirations.
 *
 * Events: one wait returns each ready source at most once, with all its
 * events in one entry. A source ready beyond @max is reported by a later
 * wait (level triggering keeps it ready; epoll rotates ready sources so
 * that each gets its turn). Nothing is buffered between waits: a source
 * removed after a wait is never reported again, also when the kernel still
 * held an event for it. docs/loop.md has the details.
 *
 * The loop is a handle like any other: one thread at a time. A forked
 * child shares the epoll set with its parent (changes show in both): make
 * a loop of its own there. Descriptors are close-on-exec.
 */
#ifndef IPC_LOOP_H
#define IPC_LOOP_H

#include "ipc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_loop ipc_loop;
struct ipc_chan;

#define IPC_EV_READ  0x01u /* readable, or end of stream */
#define IPC_EV_WRITE 0x02u /* writable */
#define IPC_EV_HUP   0x04u /* peer gone (reported, never asked for) */
#define IPC_EV_ERR   0x08u /* error condition (reported, never asked for) */
#define IPC_EV_TIMER 0x10u /* a timer fired (reported) */

/* How often the loop looks at registered rings when nothing else wakes it. */
#define IPC_LOOP_RING_POLL_NS ((int64_t)1000000)

/* One ready source. */
struct ipc_loop_event {
	void *tag;            /* as registered */
	unsigned int events;  /* IPC_EV_* */
	uint64_t expirations; /* timers: how many times it fired (>= 1) */
};

/**
 * ipc_loop_open() - Make a poller.
 * @out: out: the loop; NULL on failure.
 *
 * Return: 0, or -EMFILE, -ENFILE, -ENOMEM.
 */
IPC_API ipc_status ipc_loop_open(ipc_loop **out);

/**
 * ipc_loop_add_fd() - Watch a descriptor.
 * @l:      the loop.
 * @fd:     the descriptor, borrowed: remove it before closing it.
 * @events: IPC_EV_READ and/or IPC_EV_WRITE.
 * @tag:    given back with its events; must be unique in the loop (it
 *          names the source for ipc_loop_modify() / ipc_loop_remove()).
 *
 * A descriptor whose peer is gone is reported with IPC_EV_HUP (and
 * IPC_EV_READ when watched for reading, so that the read finds the end of
 * the stream); a pipe whose readers are gone gives IPC_EV_ERR to a writer.
 * Return: 0, or -EEXIST (@fd or @tag already registered), -EINVAL (bad
 * events: 0 or bits other than READ/WRITE; NULL tag), -EPERM (a regular
 * file or directory: always ready, epoll refuses it), -EBADF (@l NULL,
 * @fd negative or not open), -ENOMEM, -ENOSPC (fs.epoll.max_user_watches).
 */
IPC_API ipc_status ipc_loop_add_fd(ipc_loop *l, int fd, unsigned int events,
                                   void *tag);

/**
 * ipc_loop_add_chan() - Watch a channel (read ahead and rings included).
 * @l:      the loop.
 * @c:      the channel, borrowed.
 * @events: IPC_EV_READ and/or IPC_EV_WRITE (a ring is always writable
 *          as far as the loop knows).
 * @tag:    as ipc_loop_add_fd().
 *
 * Return: as ipc_loop_add_fd().
 */
IPC_API ipc_status ipc_loop_add_chan(ipc_loop *l, struct ipc_chan *c,
                                     unsigned int events, void *tag);

/**
 * ipc_loop_add_timer() - Add a timer.
 * @l:        the loop.
 * @first:    when it first fires (absolute, as a deadline; a time past,
 *            IPC_DEADLINE_NOW included, fires at once; IPC_DEADLINE_NEVER
 *            never fires).
 * @interval: nanoseconds between later firings; 0 fires once.
 * @tag:      as ipc_loop_add_fd().
 *
 * A timer is reported with IPC_EV_TIMER and the number of expirations
 * since it was last reported. A one-shot timer stays registered after it
 * fired; remove it, or arm it again with ipc_loop_set_timer().
 * Return: 0, or -EEXIST (@tag registered), -EINVAL (NULL tag, negative
 * interval), -EBADF (@l NULL), -EMFILE, -ENFILE, -ENOMEM, -ENOSPC.
 */
IPC_API ipc_status ipc_loop_add_timer(ipc_loop *l, ipc_deadline first,
                                      int64_t interval, void *tag);

/**
 * ipc_loop_set_timer() - Arm a timer again, or disarm it.
 * @l:        the loop.
 * @tag:      a timer of the loop.
 * @first:    as ipc_loop_add_timer(); IPC_DEADLINE_NEVER disarms.
 * @interval: as ipc_loop_add_timer().
 *
 * Expirations not yet reported are dropped.
 * Return: 0, or -ENOENT (no such tag), -EINVAL (not a timer, negative
 * interval), -EBADF (@l NULL).
 */
IPC_API ipc_status ipc_loop_set_timer(ipc_loop *l, void *tag,
                                      ipc_deadline first, int64_t interval);

/**
 * ipc_loop_modify() - Change what a descriptor or channel is watched for.
 * @l:      the loop.
 * @tag:    the source.
 * @events: the new set.
 *
 * Return: 0, or -ENOENT (no such tag), -EINVAL (a timer, bad events),
 * -EBADF (@l NULL).
 */
IPC_API ipc_status ipc_loop_modify(ipc_loop *l, void *tag, unsigned int events);

/**
 * ipc_loop_remove() - Stop watching a source.
 * @l:   the loop.
 * @tag: the source.
 *
 * Events of the source not yet returned are dropped. A timer's own
 * descriptor is closed; a watched descriptor stays open (remove it before
 * closing it: epoll keeps watching a closed descriptor whose file is still
 * open elsewhere, a dup or a child's copy, and the loop then drops those
 * events itself, at the price of waking up for them).
 * Return: 0, or -ENOENT (no such tag), -EBADF (@l NULL).
 */
IPC_API ipc_status ipc_loop_remove(ipc_loop *l, void *tag);

/**
 * ipc_loop_wait() - Wait until sources are ready.
 * @l:   the loop.
 * @evs: out: the ready sources.
 * @max: room in @evs (at least 1).
 * @n:   out: how many were stored.
 * @d:   deadline.
 *
 * Channels ready without their descriptor (ipc_chan_readable()) make the
 * wait return at once. A loop with no source waits for @d.
 * Return: 0 with *@n >= 1, or -EAGAIN / -ETIMEDOUT (nothing ready by @d;
 * *@n is 0), -EINTR (a signal handler ran; *@n is 0: call again with the
 * same deadline), -EINVAL (@evs or @n NULL, @max 0), -EBADF (@l NULL).
 * Blocking: until a source is ready or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_loop_wait(ipc_loop *l, struct ipc_loop_event *evs,
                                 size_t max, size_t *n, ipc_deadline d);

/**
 * ipc_loop_count() - How many sources are registered.
 * @l: the loop.
 *
 * Return: the count; 0 when @l is NULL.
 */
IPC_API size_t ipc_loop_count(const ipc_loop *l);

/**
 * ipc_loop_fd() - The epoll descriptor, to nest this loop in another.
 * @l: the loop.
 *
 * Rings and read-ahead are invisible through it: nesting loses them.
 * Return: a borrowed descriptor, or -1.
 */
IPC_API int ipc_loop_fd(const ipc_loop *l);

/**
 * ipc_loop_close() - Free the loop. Watched descriptors stay open.
 * @l: the loop, or NULL.
 *
 * Return: 0, or the error close(2) reported.
 */
IPC_API ipc_status ipc_loop_close(ipc_loop *l);

#ifdef __cplusplus
}
#endif

#endif /* IPC_LOOP_H */
