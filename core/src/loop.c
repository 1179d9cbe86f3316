/* SPDX-License-Identifier: MIT */
/*
 * loop.c - the poller: an epoll set, level-triggered, with timers and
 * channels.
 *
 * Sources live in a slab (struct src), addressed by index. The epoll data
 * of a registration carries the index and a generation number, never a
 * pointer: an event of a source that was removed (or whose slot was reused
 * since) is recognised and dropped, whatever the kernel still reports.
 * Two open-addressing tables (linear probing, backward-shift deletion) map
 * tags and descriptor numbers to slab indices.
 *
 * Nothing the kernel reported is kept between calls: a wait asks epoll for
 * no more events than it can return, and level triggering reports the rest
 * again next time (epoll moves reported entries to the tail of its ready
 * list, so every ready source gets its turn). Removal therefore never
 * leaves stale events behind.
 *
 * Channels are scanned with ipc_chan_readable() on every wait (read-ahead
 * of framed channels, rings); while a ring is registered the epoll wait is
 * cut to IPC_LOOP_RING_POLL_NS.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "internal.h"
#include "ipc/chan.h"
#include "ipc/loop.h"

#define NONE ((uint32_t)UINT32_MAX)

/* Epoll events taken from the kernel in one call at most. */
#define EBUF 64

/* Slab indices and table sizes stay well inside uint32_t. */
#define MAX_SOURCES ((uint32_t)1 << 28)

enum src_kind {
	SRC_FREE = 0,
	SRC_FD,
	SRC_CHAN,
	SRC_TIMER,
};

struct src {
	void *tag;
	struct ipc_chan *chan;
	int fd; /* watched descriptor, the timerfd, or -1 */
	enum src_kind kind;
	unsigned int events; /* IPC_EV_READ | IPC_EV_WRITE asked */
	uint32_t gen;        /* bumped when the slot is freed */
	uint32_t next_free;  /* free list, when kind == SRC_FREE */
	uint32_t chan_pos;   /* index in ipc_loop.chans */
	uint32_t out;        /* index in the caller's array for this wait */
	uint64_t stamp;      /* the wait that stored it at .out */
};

/* Open addressing: slab indices, NONE for empty; cap is a power of 2. */
struct table {
	uint32_t *slot;
	uint32_t cap;
	uint32_t len;
};

struct ipc_loop {
	int epfd;
	struct src *srcs;
	uint32_t nsrcs; /* slab size */
	uint32_t free_head;
	uint32_t count; /* live sources */
	struct table by_tag;
	struct table by_fd;
	uint32_t *chans; /* slab indices of channel sources */
	uint32_t nchans;
	uint32_t chans_cap;
	uint32_t chan_next; /* where the next scan starts */
	uint32_t nrings;    /* channels without a descriptor */
	uint32_t nepoll;    /* registrations in the epoll set */
	uint64_t stamp;
	bool epoll_turn;
	struct epoll_event ebuf[EBUF];
};

/* ---- tables ------------------------------------------------------------ */

static uint32_t hash_key(uintptr_t key, uint32_t mask)
{
	uint64_t x = (uint64_t)key;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (uint32_t)x & mask;
}

static uintptr_t key_of(const ipc_loop *l, const struct table *t, uint32_t s)
{
	if (t == &l->by_fd)
		return (uintptr_t)(unsigned int)l->srcs[s].fd;
	return (uintptr_t)l->srcs[s].tag;
}

/* The position of @key in @t, or NONE. */
static uint32_t table_find(const ipc_loop *l, const struct table *t,
                           uintptr_t key)
{
	uint32_t mask = t->cap - 1;
	uint32_t i;

	if (t->cap == 0)
		return NONE;
	for (i = hash_key(key, mask); t->slot[i] != NONE; i = (i + 1) & mask) {
		if (key_of(l, t, t->slot[i]) == key)
			return i;
	}
	return NONE;
}

static uint32_t table_get(const ipc_loop *l, const struct table *t,
                          uintptr_t key)
{
	uint32_t i = table_find(l, t, key);

	return i == NONE ? NONE : t->slot[i];
}

/* Insert slab index @s; the table has room (table_reserve()). */
static void table_put(const ipc_loop *l, struct table *t, uint32_t s)
{
	uint32_t mask = t->cap - 1;
	uint32_t i = hash_key(key_of(l, t, s), mask);

	while (t->slot[i] != NONE)
		i = (i + 1) & mask;
	t->slot[i] = s;
	t->len++;
}

/* Remove @key, moving later entries of its cluster back into the hole. */
static void table_del(const ipc_loop *l, struct table *t, uintptr_t key)
{
	uint32_t mask = t->cap - 1;
	uint32_t i = table_find(l, t, key);
	uint32_t j;
	uint32_t home;

	if (i == NONE)
		return;
	j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (t->slot[j] == NONE)
			break;
		home = hash_key(key_of(l, t, t->slot[j]), mask);
		/* Entry j may fill hole i unless its home lies in (i, j]. */
		if (i <= j ? (home <= i || home > j)
		           : (home <= i && home > j)) {
			t->slot[i] = t->slot[j];
			i = j;
		}
	}
	t->slot[i] = NONE;
	t->len--;
}

/* Make room for one more entry (load at most one half). */
static ipc_status table_reserve(const ipc_loop *l, struct table *t)
{
	uint32_t *old = t->slot;
	uint32_t oldcap = t->cap;
	uint32_t cap = oldcap ? oldcap : 8;
	uint32_t i;

	while ((uint64_t)(t->len + 1) * 2 > cap)
		cap *= 2;
	if (cap == oldcap)
		return 0;
	t->slot = malloc((size_t)cap * sizeof(*t->slot));
	if (t->slot == NULL) {
		t->slot = old;
		return -ENOMEM;
	}
	memset(t->slot, 0xff, (size_t)cap * sizeof(*t->slot)); /* NONE */
	t->cap = cap;
	t->len = 0;
	for (i = 0; i < oldcap; i++) {
		if (old[i] != NONE)
			table_put(l, t, old[i]);
	}
	free(old);
	return 0;
}

/* ---- the slab ---------------------------------------------------------- */

/* Room for one more source in every structure an add may touch. */
static ipc_status reserve(ipc_loop *l, bool chan)
{
	struct src *srcs;
	uint32_t *chans;
	uint32_t n;
	uint32_t i;
	ipc_status st;

	if (l->count >= MAX_SOURCES)
		return -ENOMEM;
	if (l->free_head == NONE) {
		n = l->nsrcs ? l->nsrcs * 2 : 8;
		srcs = realloc(l->srcs, (size_t)n * sizeof(*srcs));
		if (srcs == NULL)
			return -ENOMEM;
		memset(srcs + l->nsrcs, 0,
		       (size_t)(n - l->nsrcs) * sizeof(*srcs));
		for (i = l->nsrcs; i < n; i++) {
			srcs[i].fd = -1;
			srcs[i].next_free = i + 1 < n ? i + 1 : NONE;
		}
		l->free_head = l->nsrcs;
		l->srcs = srcs;
		l->nsrcs = n;
	}
	st = table_reserve(l, &l->by_tag);
	if (st)
		return st;
	st = table_reserve(l, &l->by_fd);
	if (st)
		return st;
	if (chan && l->nchans == l->chans_cap) {
		n = l->chans_cap ? l->chans_cap * 2 : 4;
		chans = realloc(l->chans, (size_t)n * sizeof(*chans));
		if (chans == NULL)
			return -ENOMEM;
		l->chans = chans;
		l->chans_cap = n;
	}
	return 0;
}

/* Take a slot (reserve() made sure there is one) and fill it in. */
static uint32_t slot_take(ipc_loop *l, enum src_kind kind, int fd,
                          unsigned int events, void *tag)
{
	uint32_t s = l->free_head;
	struct src *x = &l->srcs[s];

	l->free_head = x->next_free;
	x->tag = tag;
	x->chan = NULL;
	x->fd = fd;
	x->kind = kind;
	x->events = events;
	x->stamp = 0;
	l->count++;
	return s;
}

static void slot_free(ipc_loop *l, uint32_t s)
{
	struct src *x = &l->srcs[s];

	x->kind = SRC_FREE;
	x->tag = NULL;
	x->chan = NULL;
	x->fd = -1;
	x->gen++;
	x->next_free = l->free_head;
	l->free_head = s;
	l->count--;
}

static uint64_t epoll_id(const ipc_loop *l, uint32_t s)
{
	return (uint64_t)l->srcs[s].gen << 32 | s;
}

static uint32_t epoll_mask(unsigned int events)
{
	uint32_t m = 0;

	if (events & IPC_EV_READ)
		m |= EPOLLIN | EPOLLRDHUP;
	if (events & IPC_EV_WRITE)
		m |= EPOLLOUT;
	return m;
}

static bool events_ok(unsigned int events)
{
	return events != 0 && (events & ~(IPC_EV_READ | IPC_EV_WRITE)) == 0;
}

static ipc_status epoll_change(ipc_loop *l, int op, uint32_t s)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = epoll_mask(l->srcs[s].events);
	if (l->srcs[s].kind == SRC_TIMER)
		ev.events = EPOLLIN;
	ev.data.u64 = epoll_id(l, s);
	if (epoll_ctl(l->epfd, op, l->srcs[s].fd, &ev) < 0)
		return -errno;
	return 0;
}

/* ---- the API ----------------------------------------------------------- */

ipc_status ipc_loop_open(ipc_loop **out)
{
	ipc_loop *l;
	ipc_status st;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		st = -errno;
		free(l);
		return st;
	}
	l->free_head = NONE;
	*out = l;
	return 0;
}

/* Register a descriptor-backed source (fd, or a channel's descriptor). */
static ipc_status add_watched(ipc_loop *l, enum src_kind kind, int fd,
                              struct ipc_chan *c, unsigned int events,
                              void *tag)
{
	ipc_status st;
	uint32_t s;

	st = reserve(l, kind == SRC_CHAN);
	if (st)
		return st;
	if (table_get(l, &l->by_tag, (uintptr_t)tag) != NONE)
		return -EEXIST;
	if (fd >= 0 && table_get(l, &l->by_fd, (uintptr_t)(unsigned)fd) != NONE)
		return -EEXIST;
	s = slot_take(l, kind, fd, events, tag);
	l->srcs[s].chan = c;
	if (fd >= 0) {
		st = epoll_change(l, EPOLL_CTL_ADD, s);
		if (st) {
			slot_free(l, s);
			return st;
		}
		l->nepoll++;
		table_put(l, &l->by_fd, s);
	}
	table_put(l, &l->by_tag, s);
	if (kind == SRC_CHAN) {
		l->srcs[s].chan_pos = l->nchans;
		l->chans[l->nchans++] = s;
		if (fd < 0)
			l->nrings++;
	}
	return 0;
}

ipc_status ipc_loop_add_fd(ipc_loop *l, int fd, unsigned int events, void *tag)
{
	if (l == NULL)
		return -EBADF;
	if (tag == NULL || !events_ok(events))
		return -EINVAL;
	if (fd < 0)
		return -EBADF;
	return add_watched(l, SRC_FD, fd, NULL, events, tag);
}

ipc_status ipc_loop_add_chan(ipc_loop *l, struct ipc_chan *c,
                             unsigned int events, void *tag)
{
	uint32_t i;

	if (l == NULL || c == NULL)
		return -EBADF;
	if (tag == NULL || !events_ok(events))
		return -EINVAL;
	for (i = 0; i < l->nchans; i++) {
		if (l->srcs[l->chans[i]].chan == c)
			return -EEXIST;
	}
	return add_watched(l, SRC_CHAN, ipc_chan_fd(c), c, events, tag);
}

static void timespec_of(int64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / 1000000000);
	ts->tv_nsec = (long)(ns % 1000000000);
}

/* Arm timerfd @fd: absolute @first, then every @interval ns. */
static ipc_status timer_arm(int fd, ipc_deadline first, int64_t interval)
{
	struct itimerspec its;

	/* it_value 0 would disarm: a deadline at or before the clock's
	 * origin (IPC_DEADLINE_NOW) becomes 1 ns, long past. NEVER is a
	 * valid time_t some 292 years ahead, and stays disarmed in effect;
	 * it_value 0 then disarms it for real. */
	memset(&its, 0, sizeof(its));
	if (first != IPC_DEADLINE_NEVER) {
		timespec_of(first > 0 ? first : 1, &its.it_value);
		timespec_of(interval, &its.it_interval);
	}
	if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return -errno;
	return 0;
}

ipc_status ipc_loop_add_timer(ipc_loop *l, ipc_deadline first, int64_t interval,
                              void *tag)
{
	ipc_status st;
	uint32_t s;
	int fd;

	if (l == NULL)
		return -EBADF;
	if (tag == NULL || interval < 0)
		return -EINVAL;
	st = reserve(l, false);
	if (st)
		return st;
	if (table_get(l, &l->by_tag, (uintptr_t)tag) != NONE)
		return -EEXIST;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	st = timer_arm(fd, first, interval);
	if (st)
		goto err_close;
	s = slot_take(l, SRC_TIMER, fd, IPC_EV_READ, tag);
	st = epoll_change(l, EPOLL_CTL_ADD, s);
	if (st) {
		slot_free(l, s);
		goto err_close;
	}
	l->nepoll++;
	table_put(l, &l->by_tag, s);
	return 0;

err_close:
	ipc__close_quiet(fd);
	return st;
}

ipc_status ipc_loop_set_timer(ipc_loop *l, void *tag, ipc_deadline first,
                              int64_t interval)
{
	uint32_t s;

	if (l == NULL)
		return -EBADF;
	s = table_get(l, &l->by_tag, (uintptr_t)tag);
	if (tag == NULL || s == NONE)
		return -ENOENT;
	if (l->srcs[s].kind != SRC_TIMER || interval < 0)
		return -EINVAL;
	/* Setting a timerfd clears its count of expirations. */
	return timer_arm(l->srcs[s].fd, first, interval);
}

ipc_status ipc_loop_modify(ipc_loop *l, void *tag, unsigned int events)
{
	unsigned int old;
	ipc_status st;
	uint32_t s;

	if (l == NULL)
		return -EBADF;
	s = table_get(l, &l->by_tag, (uintptr_t)tag);
	if (tag == NULL || s == NONE)
		return -ENOENT;
	if (l->srcs[s].kind == SRC_TIMER || !events_ok(events))
		return -EINVAL;
	old = l->srcs[s].events;
	l->srcs[s].events = events;
	if (l->srcs[s].fd >= 0) {
		st = epoll_change(l, EPOLL_CTL_MOD, s);
		if (st) {
			l->srcs[s].events = old;
			return st;
		}
	}
	return 0;
}

ipc_status ipc_loop_remove(ipc_loop *l, void *tag)
{
	struct src *x;
	uint32_t last;
	uint32_t s;

	if (l == NULL)
		return -EBADF;
	s = table_get(l, &l->by_tag, (uintptr_t)tag);
	if (tag == NULL || s == NONE)
		return -ENOENT;
	x = &l->srcs[s];
	if (x->fd >= 0) {
		/* Fails (EBADF) when the caller closed the descriptor first;
		 * the generation in the epoll data makes whatever the kernel
		 * still holds harmless. */
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, x->fd, NULL);
		l->nepoll--;
	}
	table_del(l, &l->by_tag, (uintptr_t)tag);
	if (x->kind == SRC_TIMER)
		ipc__close_quiet(x->fd);
	else if (x->fd >= 0)
		table_del(l, &l->by_fd, (uintptr_t)(unsigned)x->fd);
	if (x->kind == SRC_CHAN) {
		last = l->chans[--l->nchans];
		l->chans[x->chan_pos] = last;
		l->srcs[last].chan_pos = x->chan_pos;
		if (l->chan_next >= l->nchans)
			l->chan_next = 0;
		if (x->fd < 0)
			l->nrings--;
	}
	slot_free(l, s);
	return 0;
}

/* Store an event of source @s, or add @events to the one stored already. */
static void put_event(ipc_loop *l, struct ipc_loop_event *evs, size_t *cnt,
                      uint32_t s, unsigned int events, uint64_t exp)
{
	struct src *x = &l->srcs[s];
	struct ipc_loop_event *e;

	if (x->stamp == l->stamp) {
		evs[x->out].events |= events;
		return;
	}
	e = &evs[*cnt];
	e->tag = x->tag;
	e->events = events;
	e->expirations = exp;
	x->stamp = l->stamp;
	x->out = (uint32_t)*cnt;
	(*cnt)++;
}

/* What epoll said, for a source watched for @asked. */
static unsigned int events_of(uint32_t e, unsigned int asked)
{
	unsigned int ev = 0;

	if (e & (EPOLLIN | EPOLLRDHUP))
		ev |= IPC_EV_READ;
	if (e & EPOLLOUT)
		ev |= IPC_EV_WRITE;
	if (e & EPOLLHUP)
		ev |= IPC_EV_HUP | (asked & IPC_EV_READ);
	if (e & EPOLLERR)
		ev |= IPC_EV_ERR;
	return ev;
}

/*
 * One epoll_wait for at most the room left in @evs. Returns 0 (events
 * stored or none), -EINTR, or another failure of epoll_wait.
 */
static ipc_status epoll_pass(ipc_loop *l, struct ipc_loop_event *evs,
                             size_t max, size_t *cnt, int timeout_ms)
{
	size_t room = max - *cnt;
	uint64_t exp;
	uint32_t s;
	uint32_t gen;
	struct src *x;
	ssize_t r;
	int n;
	int i;

	if (room == 0 || (l->nepoll == 0 && timeout_ms == 0))
		return 0;
	n = epoll_wait(l->epfd, l->ebuf, room < EBUF ? (int)room : EBUF,
	               timeout_ms);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		s = (uint32_t)l->ebuf[i].data.u64;
		gen = (uint32_t)(l->ebuf[i].data.u64 >> 32);
		if (s >= l->nsrcs || l->srcs[s].kind == SRC_FREE ||
		    l->srcs[s].gen != gen)
			continue; /* removed: its registration outlived it */
		x = &l->srcs[s];
		if (x->kind == SRC_TIMER) {
			do {
				r = read(x->fd, &exp, sizeof(exp));
			} while (r < 0 && errno == EINTR);
			if (r != (ssize_t)sizeof(exp) || exp == 0)
				continue; /* already consumed */
			put_event(l, evs, cnt, s, IPC_EV_TIMER, exp);
			continue;
		}
		put_event(l, evs, cnt, s,
		          events_of(l->ebuf[i].events, x->events), 0);
	}
	return 0;
}

/* Channels that are ready without their descriptor: read-ahead, rings. */
static void scan_chans(ipc_loop *l, struct ipc_loop_event *evs, size_t max,
                       size_t *cnt)
{
	uint32_t k;
	uint32_t s;
	unsigned int ev;
	struct src *x;

	for (k = 0; k < l->nchans; k++) {
		s = l->chans[(l->chan_next + k) % l->nchans];
		x = &l->srcs[s];
		ev = 0;
		if ((x->events & IPC_EV_READ) && ipc_chan_readable(x->chan))
			ev |= IPC_EV_READ;
		if (x->fd < 0 && (x->events & IPC_EV_WRITE))
			ev |= IPC_EV_WRITE;
		if (ev == 0)
			continue;
		if (x->stamp != l->stamp && *cnt == max) {
			/* Full: this one goes first next time. */
			l->chan_next = (l->chan_next + k) % l->nchans;
			return;
		}
		put_event(l, evs, cnt, s, ev, 0);
	}
	if (l->nchans > 0)
		l->chan_next = (l->chan_next + 1) % l->nchans;
}

ipc_status ipc_loop_wait(ipc_loop *l, struct ipc_loop_event *evs, size_t max,
                         size_t *n, ipc_deadline d)
{
	const int ring_ms = (int)((IPC_LOOP_RING_POLL_NS + 999999) / 1000000);
	size_t cnt;
	bool epoll_first;
	ipc_status st;
	int ms;

	if (n != NULL)
		*n = 0;
	if (l == NULL)
		return -EBADF;
	if (evs == NULL || n == NULL || max == 0)
		return -EINVAL;
	for (;;) {
		l->stamp++;
		cnt = 0;
		st = 0;
		/* Channels ready by themselves would starve the descriptors
		 * when they fill @evs: every other wait, epoll goes first. */
		epoll_first = false;
		if (l->nchans > 0 && l->nepoll > 0) {
			l->epoll_turn = !l->epoll_turn;
			epoll_first = l->epoll_turn;
		}
		if (epoll_first)
			st = epoll_pass(l, evs, max, &cnt, 0);
		if (!st)
			scan_chans(l, evs, max, &cnt);
		if (!st && !epoll_first && cnt > 0)
			st = epoll_pass(l, evs, max, &cnt, 0);
		if (!st && cnt == 0) {
			ms = ipc_deadline_remaining_ms(d);
			if (l->nrings > 0 && (ms < 0 || ms > ring_ms))
				ms = ring_ms;
			st = epoll_pass(l, evs, max, &cnt, ms);
			if (!st && cnt == 0 && ipc_deadline_expired(d))
				st = ipc__timeout_status(d);
		}
		if (cnt > 0) {
			*n = cnt;
			return 0;
		}
		if (st)
			return st;
		/* Nothing for us: a ring's poll tick, a timer read empty, an
		 * event of a removed source, or poll(2)-style rounding. */
	}
}

size_t ipc_loop_count(const ipc_loop *l)
{
	return l != NULL ? l->count : 0;
}

int ipc_loop_fd(const ipc_loop *l)
{
	return l != NULL ? l->epfd : -1;
}

ipc_status ipc_loop_close(ipc_loop *l)
{
	ipc_status st;
	uint32_t i;

	if (l == NULL)
		return 0;
	for (i = 0; i < l->nsrcs; i++) {
		if (l->srcs[i].kind == SRC_TIMER)
			ipc__close_quiet(l->srcs[i].fd);
	}
	st = ipc__close(l->epfd);
	free(l->srcs);
	free(l->by_tag.slot);
	free(l->by_fd.slot);
	free(l->chans);
	free(l);
	return st;
}
