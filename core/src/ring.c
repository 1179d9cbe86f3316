/* SPDX-License-Identifier: MIT */
/*
 * ring.c - the message ring: open, close, and the producer and consumer
 * paths. ring_wait.c has the futex and spin policy, ring_recover.c the
 * slots, liveness and recovery. docs/ring.md describes the protocol.
 */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "internal.h"
#include "ring_internal.h"

#define RING_OPEN_FLAGS                                                        \
	(IPC_O_RDWR | IPC_O_CREATE | IPC_O_EXCL | IPC_O_SHARED | IPC_O_NOFOLLOW)
#define RING_DEFAULT_CAPACITY ((size_t)1 << 20)
#define RING_SHM_DIR          "/dev/shm"
#define RING_RACE_TRIES       100
/* A position stuck this long may belong to a dead process. */
#define RING_GRACE_NS   (20 * 1000000ll)
#define RING_SLICE_NS   (100 * 1000000ll) /* longest single futex wait */
#define RING_SUSPECT_NS (5 * 1000000ll)   /* wait slice when stuck */
/* Spin budget bounds. The floor must outlast a futex wake-up across
 * vCPUs often enough for a ping-pong to find its way back to spinning;
 * with 1 us it settled into both sides sleeping (docs/ring.md). */
#define RING_SPIN_MIN_NS 20000ll
#define RING_SPIN_MAX_NS 50000ll
/* Batching (claim_wait, reserve_wait): how long a batch may pile up. */
#define RING_BATCH_NS   1000
#define RING_ROOM_BATCH ((uint64_t)16 << 10) /* room a producer waits for */

enum { ST_UNKNOWN, ST_EMPTY, ST_INPROGRESS };

void ipc__ring_crash_now(void)
{
	(void)raise(SIGKILL);
}

/* ---------------------------------------------------------------- format */

void ipc__ring_format(void *mem, uint64_t cap)
{
	struct ring_hdr *h = mem;
	int i;

	memset(h, 0, sizeof(*h));
	h->magic = RING_MAGIC;
	h->version = RING_VERSION;
	h->hdr_size = RING_HDR_SIZE;
	h->capacity = cap;
	h->max_message = cap / 2 - IPC_RING_RECORD_HEADER;
	h->slot_off = RING_SLOT_OFF;
	h->map_off = RING_MAP_OFF;
	h->data_off = ring__data_off(cap);
	h->total_size = h->data_off + cap;
	for (i = 0; i < IPC_RING_MAX_HANDLES; i++) {
		struct ring_slot *s =
		        (struct ring_slot *)(void *)((uint8_t *)mem +
		                                     RING_SLOT_OFF +
		                                     (size_t)i *
		                                             RING_SLOT_SIZE);

		memset(s, 0, sizeof(*s));
		s->p_intent = RING_NO_INTENT;
		s->c_intent = RING_NO_INTENT;
	}
}

ipc_status ring__check_hdr(const struct ring_hdr *h, uint64_t size, bool exact)
{
	uint64_t cap = h->capacity;

	if (h->magic != RING_MAGIC || h->version != RING_VERSION ||
	    h->hdr_size != RING_HDR_SIZE)
		return -EPROTO;
	if (cap < IPC_RING_MIN_CAPACITY || cap > IPC_RING_MAX_CAPACITY ||
	    (cap & (cap - 1)) != 0)
		return -EPROTO;
	if (h->max_message > cap / 2 - IPC_RING_RECORD_HEADER)
		return -EPROTO;
	if (h->slot_off != RING_SLOT_OFF || h->map_off != RING_MAP_OFF ||
	    h->data_off != ring__data_off(cap) ||
	    h->total_size != h->data_off + cap)
		return -EPROTO;
	if (exact ? h->total_size != size : h->total_size > size)
		return -EPROTO;
	return 0;
}

/* released <= head <= tail, aligned, at most a capacity apart. */
static ipc_status check_positions(const ipc_ring *r)
{
	uint64_t rel, hd, t;
	int i;

	for (i = 0; i < 8; i++) {
		rel = RA(&r->hdr->released);
		hd = RA(&r->hdr->head);
		t = RA(&r->hdr->tail);
		if (((rel | hd | t) & (RING_CHUNK - 1)) != 0 || rel > hd ||
		    hd > t)
			return -EPROTO;
		/* Three loads are no snapshot: a busy ring may move between
		 * them, so only a gap that persists is corrupt. */
		if (t - rel <= r->cap)
			return 0;
	}
	return -EPROTO;
}

static void setup_handle(ipc_ring *r, uint8_t *base, const struct ring_hdr *h)
{
	const char *cp;

	r->base = base;
	r->hdr = (struct ring_hdr *)(void *)base;
	r->map = (uint64_t *)(void *)(base + RING_MAP_OFF);
	r->data = base + h->data_off;
	r->cap = h->capacity;
	r->mask = h->capacity - 1;
	r->nchunks = h->capacity / RING_CHUNK;
	r->msg_limit = h->capacity / 2 - IPC_RING_RECORD_HEADER;
	r->slot = &r->local_slot;
	r->slot_idx = -1;
	r->local_slot.p_intent = RING_NO_INTENT;
	r->local_slot.c_intent = RING_NO_INTENT;
	r->rel_cache = RA(&r->hdr->released);
	r->tail_cache = 0;
	r->dstuck_pos = RING_NO_INTENT;
	r->sstuck_pos = RING_NO_INTENT;
	r->spin_ns = 10000;
#if defined(__x86_64__) || defined(__i386__)
	{
		unsigned int a, b, c = 0, d;

		r->prefetch_w = __get_cpuid(0x80000001u, &a, &b, &c, &d) &&
		                (c & (1u << 8)) != 0;
	}
#endif
	/* Online CPUs, not our affinity: a side pinned to one CPU still
	 * gains from spinning while its peer runs on another. */
	r->ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	cp = getenv("IPC_TEST_CRASHPOINT");
	r->crashpoint = cp != NULL ? atoi(cp) : 0;
}

ipc_status ipc__ring_attach_mem(ipc_ring **out, void *mem, size_t size,
                                unsigned int flags)
{
	struct ring_hdr h;
	ipc_ring *r;
	ipc_status st;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (mem == NULL || ((uintptr_t)mem & (RING_LINE - 1)) != 0 ||
	    (flags & ~(unsigned int)IPC_O_RDWR) != 0 ||
	    (flags & IPC_O_RDWR) == 0)
		return -EINVAL;
	if (size < RING_HDR_SIZE)
		return -EPROTO;
	memcpy(&h, mem, RING_LINE);
	st = ring__check_hdr(&h, size, false);
	if (st)
		return st;
	r = calloc(1, sizeof(*r) + 1);
	if (r == NULL)
		return -ENOMEM;
	r->fd = -1;
	r->flags = flags;
	r->map_len = 0;
	setup_handle(r, mem, &h);
	st = check_positions(r);
	if (st) {
		free(r);
		return st;
	}
	*out = r;
	return 0;
}

/* ------------------------------------------------------------------ open */

static ipc_status check_open_args(const char *name, unsigned int flags,
                                  unsigned int mode, size_t capacity)
{
	ipc_status st = ipc__check_posix_name(name);

	if (st)
		return st;
	if ((flags & ~RING_OPEN_FLAGS) || (flags & IPC_O_RDWR) == 0 ||
	    ((flags & IPC_O_EXCL) && !(flags & IPC_O_CREATE)) || mode > 07777 ||
	    capacity > IPC_RING_MAX_CAPACITY)
		return -EINVAL;
	return 0;
}

static uint64_t round_capacity(size_t capacity)
{
	uint64_t cap = IPC_RING_MIN_CAPACITY;

	if (capacity == 0)
		return RING_DEFAULT_CAPACITY;
	while (cap < capacity)
		cap <<= 1;
	return cap;
}

/* Give the nameless file @fd the name @path; -EEXIST when taken. */
static ipc_status link_tmpfile(int fd, const char *path)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != ENOENT)
		return -errno;
	/* No /proc: needs CAP_DAC_READ_SEARCH. */
	if (linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH) == 0)
		return 0;
	return -errno;
}

/*
 * Build the whole ring in a nameless tmpfs file (O_TMPFILE) and only then
 * give it its name with linkat(2), which fails if the name exists: an
 * opener never sees a half-made ring, and a creator that dies leaves
 * nothing behind. The pages are reserved with posix_fallocate() so a full
 * /dev/shm gives -ENOSPC here rather than SIGBUS later.
 */
static ipc_status ring_create(const char *name, uint64_t cap, unsigned int mode,
                              int *fdp)
{
	char path[sizeof(RING_SHM_DIR) + NAME_MAX + 1];
	uint64_t total = ring__data_off(cap) + cap;
	ipc_status st;
	void *mem;
	int fd;

	*fdp = -1;
	snprintf(path, sizeof(path), RING_SHM_DIR "%s", name);
	fd = open(RING_SHM_DIR, O_TMPFILE | O_RDWR | O_CLOEXEC,
	          IPC_MODE_DEFAULT);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, (mode_t)mode) < 0) {
		st = -errno;
		goto err;
	}
	st = ipc__reserve(fd, 0, (off_t)total);
	if (st)
		goto err;
	mem = mmap(NULL, RING_HDR_SIZE + IPC_RING_MAX_HANDLES * RING_SLOT_SIZE,
	           PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		st = -errno;
		goto err;
	}
	ipc__ring_format(mem, cap);
	(void)munmap(mem,
	             RING_HDR_SIZE + IPC_RING_MAX_HANDLES * RING_SLOT_SIZE);
	st = link_tmpfile(fd, path);
	if (st)
		goto err;
	*fdp = fd;
	return 0;
err:
	ipc__close_quiet(fd);
	return st;
}

/* Map @fd, validate it and take a slot. */
static ipc_status ring_attach(ipc_ring *r, int fd)
{
	struct ring_hdr h;
	struct stat sb;
	ipc_status st;
	ssize_t n;
	void *mem;

	if (fstat(fd, &sb) < 0)
		return -errno;
	if (!S_ISREG(sb.st_mode))
		return -EINVAL;
	if (sb.st_uid != geteuid() && !(r->flags & IPC_O_SHARED))
		return -EPERM;
	if ((uint64_t)sb.st_size < RING_HDR_SIZE)
		return -EPROTO;
	do
		n = pread(fd, &h, RING_LINE, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n != RING_LINE)
		return -EPROTO;
	st = ring__check_hdr(&h, (uint64_t)sb.st_size, true);
	if (st)
		return st;
	mem = mmap(NULL, (size_t)h.total_size, PROT_READ | PROT_WRITE,
	           MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		return -errno;
	r->fd = fd;
	r->map_len = (size_t)h.total_size;
	setup_handle(r, mem, &h);
	/* The header we validated is the one we use: a peer that rewrites
	 * line 0 meanwhile changes nothing for this handle. */
	st = check_positions(r);
	if (st)
		goto err_unmap;
	st = ring__claim_slot(r);
	if (st)
		goto err_unmap;
	WL(&r->slot->pid, (uint32_t)getpid());
	WL(&r->slot->role, r->flags & IPC_O_RDWR);
	return 0;
err_unmap:
	(void)munmap(mem, r->map_len);
	r->fd = -1;
	return st;
}

ipc_status ipc_ring_open(ipc_ring **out, const char *name, unsigned int flags,
                         unsigned int mode, size_t capacity)
{
	ipc_status st;
	size_t namelen;
	ipc_ring *r;
	uint64_t cap;
	int tries;
	int fd = -1;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	st = check_open_args(name, flags, mode, capacity);
	if (st)
		return st;
	cap = round_capacity(capacity);
	if (mode == 0)
		mode = IPC_MODE_DEFAULT;
	for (tries = 0;; tries++) {
		if (flags & IPC_O_CREATE) {
			st = ring_create(name, cap, mode, &fd);
			if (st == 0)
				break;
			if (st != -EEXIST || (flags & IPC_O_EXCL))
				return st;
		}
		/* O_NONBLOCK: a FIFO squatting the name must not hang us. */
		fd = shm_open(name,
		              O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
		if (fd >= 0)
			break;
		st = errno == EISDIR ? -EINVAL : -errno;
		if (st == -ENOENT && (flags & IPC_O_CREATE) &&
		    tries < RING_RACE_TRIES)
			continue;
		return st;
	}
	namelen = strlen(name) + 1;
	r = calloc(1, sizeof(*r) + namelen);
	if (r == NULL) {
		ipc__close_quiet(fd);
		return -ENOMEM;
	}
	memcpy(r->name, name, namelen);
	r->flags = flags & IPC_O_RDWR;
	if (flags & IPC_O_SHARED)
		r->flags |= IPC_O_SHARED;
	st = ring_attach(r, fd);
	if (st) {
		ipc__close_quiet(fd);
		free(r);
		return st;
	}
	r->flags &= IPC_O_RDWR;
	*out = r;
	return 0;
}

/* ------------------------------------------------------------- producer */

/*
 * Try once to reserve a record of @need bytes. On success *@pos is where
 * the record starts (after a wrap pad, which is committed here). -EAGAIN
 * when full.
 */
static ipc_status try_reserve(ipc_ring *r, uint64_t need, uint64_t *pos)
{
	struct ring_hdr *h = r->hdr;
	uint64_t t, rel, off, pad, total;

	for (;;) {
		t = RA(&h->tail);
		off = t & r->mask;
		pad = off + need > r->cap ? r->cap - off : 0;
		total = pad + need;
		if (t + total - r->rel_cache > r->cap) {
			rel = RA(&h->released);
			t = RA(&h->tail); /* after released: rel <= t */
			if (rel > t || ((rel | t) & (RING_CHUNK - 1)))
				return -EPROTO;
			r->rel_cache = rel;
			/* High water, sampled where the ring fills up. */
			ring__note_high_water(r, t - rel);
			off = t & r->mask;
			pad = off + need > r->cap ? r->cap - off : 0;
			total = pad + need;
			if (t + total - rel > r->cap)
				return -EAGAIN;
		}
		if (t & (RING_CHUNK - 1))
			return -EPROTO;
		WR(&r->slot->p_intent, t);
		if (CAS(&h->tail, &t, t + total))
			break;
	}
	ring__crash(r, RING_CP_RESERVED);
	if (pad) {
		WL(ring__rec_w0(r, t), (uint32_t)pad | RING_REC_PAD);
		WL(ring__rec_len(r, t), 0u);
		WL(ring__rec_rel(r, t), (uint64_t)0);
		WS(ring__map_at(r, t), t + 1);
	}
	*pos = t + pad;
	return 0;
}

static ipc_status producer_check(ipc_ring *r, size_t len, uint64_t *max)
{
	uint64_t m;

	if (r == NULL || !(r->flags & IPC_O_WRITE))
		return -EBADF;
	if (r->reserved)
		return -EBUSY;
	m = RL(&r->hdr->max_message);
	if (m > r->msg_limit)
		m = r->msg_limit;
	*max = m;
	if ((uint64_t)len > m)
		return -EMSGSIZE;
	return 0;
}

/* Full for a while with the same front: a consumer may have died. */
static bool producer_stuck(ipc_ring *r)
{
	uint64_t rel = RA(&r->hdr->released);
	int64_t now;

	if (rel >= RA(&r->hdr->head))
		return false; /* full of unclaimed messages: nothing to do */
	now = ipc_now();
	if (r->sstuck_pos != rel) {
		r->sstuck_pos = rel;
		r->sstuck_since = now;
	}
	if (r->fd >= 0 && now - r->sstuck_since < RING_GRACE_NS)
		return false;
	return ring__recover_space(r) > 0;
}

/* Wait for room; on success the reservation is recorded in @r. */
static ipc_status reserve_wait(ipc_ring *r, size_t len, ipc_deadline d)
{
	uint64_t need = ring__rec_size(len);
	uint64_t pos = 0, rel;
	ipc_status st;
	int recovered = 0;
	int64_t now, until, end, slice;
	uint32_t seq;
	bool spin;

	for (;;) {
		st = try_reserve(r, need, &pos);
		if (st != -EAGAIN)
			break;
		/* Full. Move the front over released records first: the
		 * consumer that should have may have died. */
		(void)ring__advance(r, false);
		if (recovered < 4 && producer_stuck(r)) {
			recovered++;
			continue;
		}
		if (d == IPC_DEADLINE_NOW)
			return -EAGAIN;
		now = ipc_now();
		if (now >= d)
			return -ETIMEDOUT;
		spin = ring__should_spin(r, false);
		if (spin) {
			/* Batch the room, as consumers batch data: for a
			 * moment wait for a little more room than one record
			 * and read the front only now and then, so that the
			 * consumers do not find its line and the lines they
			 * just left taken by us after every message. */
			uint64_t more = r->cap / 8 < RING_ROOM_BATCH
			                        ? r->cap / 8
			                        : RING_ROOM_BATCH;
			/* Small records only: a large one is a batch. */
			uint64_t want = need < more ? need + more : need;
			int64_t batch_end = now + RING_BATCH_NS;

			end = now + r->spin_ns;
			for (int i = 1;; i++) {
				__builtin_ia32_pause();
				if ((i & 31) == 0) {
					now = ipc_now();
					if (now >= end)
						break;
					if (now >= batch_end)
						want = need;
				}
				if ((i & 7) != 0)
					continue;
				rel = RL(&r->hdr->released);
				if (rel == r->rel_cache ||
				    RL(&r->hdr->tail) + want - rel > r->cap)
					continue;
				st = try_reserve(r, need, &pos);
				if (st != -EAGAIN)
					break;
			}
			if (st != -EAGAIN) {
				if (r->spin_ns < RING_SPIN_MAX_NS)
					r->spin_ns *= 2;
				break;
			}
			if (r->spin_ns > RING_SPIN_MIN_NS)
				r->spin_ns /= 2;
		}
		__atomic_fetch_add(&r->hdr->space_waiters, 1, __ATOMIC_SEQ_CST);
		seq = RS(&r->hdr->space_seq);
		ring__note_sleep(&r->hdr->space_sleep, seq);
		st = try_reserve(r, need, &pos);
		if (st != -EAGAIN) {
			__atomic_fetch_sub(&r->hdr->space_waiters, 1,
			                   __ATOMIC_SEQ_CST);
			break;
		}
		now = ipc_now();
		/* Short slices only while a claimed record holds the front
		 * (its consumer may be dead): nobody wakes us then. */
		slice = RA(&r->hdr->released) < RA(&r->hdr->head)
		                ? RING_SUSPECT_NS
		                : RING_SLICE_NS;
		until = d - now > slice ? now + slice : d;
		st = ring__futex_wait(&r->hdr->space_seq, seq, until);
		__atomic_fetch_sub(&r->hdr->space_waiters, 1, __ATOMIC_SEQ_CST);
		if (st == -EINTR)
			return st;
	}
	if (st)
		return st;
	r->reserved = true;
	r->res_pos = pos;
	r->res_size = need;
	r->res_len = len;
	return 0;
}

/* Publish the reservation with payload length @len. */
static void commit(ipc_ring *r, uint64_t len, uint32_t type)
{
	uint64_t pos = r->res_pos, next;
	struct ring_slot *s = r->slot;

	WL(ring__rec_w0(r, pos), (uint32_t)r->res_size | type);
	WL(ring__rec_len(r, pos), (uint32_t)len);
	WL(ring__rec_rel(r, pos), (uint64_t)0);
	ring__crash(r, RING_CP_BEFORE_COMMIT);
	/* seq_cst: pairs with the waiter's increment (Dekker). */
	WS(ring__map_at(r, pos), pos + 1);
	WR(&s->p_intent, RING_NO_INTENT);
	r->reserved = false;
	if (type == RING_REC_DATA) {
		WL(&s->msgs_in, RL(&s->msgs_in) + 1);
		WL(&s->bytes_in, RL(&s->bytes_in) + len);
		ring__note_cpu(r, true);
	}
	ring__crash(r, RING_CP_BEFORE_WAKE);
	if (RS(&r->hdr->data_waiters) != 0)
		ring__wake_data(r);
	/* Where this handle's next record most likely goes (right after
	 * this one): ask for its lines and its commit-map line now, so
	 * that they move over while the caller prepares the message, not
	 * while the next commit's fence waits for them. */
	next = pos + r->res_size;
	ring__prefetch_w(r, ring__rec_at(r, next));
	ring__prefetch_w(r, ring__rec_at(r, next + RING_CHUNK));
	/* Not the line just committed: a consumer waiting for it is
	 * reading it now, and taking it back would make it fetch it twice. */
	if (((uintptr_t)ring__map_at(r, next) ^
	     (uintptr_t)ring__map_at(r, pos)) >= RING_LINE)
		ring__prefetch_w(r, ring__map_at(r, next));
}

ipc_status ipc_ring_send(ipc_ring *r, const void *buf, size_t len,
                         ipc_deadline d)
{
	uint64_t max;
	ipc_status st;
	uint8_t *p;

	st = producer_check(r, len, &max);
	if (st)
		return st;
	if (buf == NULL && len > 0)
		return -EINVAL;
	st = reserve_wait(r, len, d);
	if (st)
		return st;
	p = ring__rec_at(r, r->res_pos) + IPC_RING_RECORD_HEADER;
	if (__builtin_expect(r->crashpoint == RING_CP_MID_PAYLOAD, 0)) {
		memcpy(p, buf, len / 2);
		ring__crash(r, RING_CP_MID_PAYLOAD);
	}
	if (len)
		memcpy(p, buf, len);
	commit(r, len, RING_REC_DATA);
	return 0;
}

ipc_status ipc_ring_reserve(ipc_ring *r, size_t len, void **ptr, ipc_deadline d)
{
	uint64_t max;
	ipc_status st;

	if (ptr != NULL)
		*ptr = NULL;
	st = producer_check(r, len, &max);
	if (st)
		return st;
	if (ptr == NULL)
		return -EINVAL;
	st = reserve_wait(r, len, d);
	if (st)
		return st;
	*ptr = ring__rec_at(r, r->res_pos) + IPC_RING_RECORD_HEADER;
	return 0;
}

ipc_status ipc_ring_commit(ipc_ring *r, size_t len)
{
	if (r == NULL)
		return -EBADF;
	if (!r->reserved)
		return -ENOENT;
	if ((uint64_t)len > r->res_len)
		return -EINVAL;
	commit(r, len, RING_REC_DATA);
	return 0;
}

ipc_status ipc_ring_abort(ipc_ring *r)
{
	if (r == NULL)
		return -EBADF;
	if (!r->reserved)
		return -ENOENT;
	commit(r, 0, RING_REC_PAD);
	return 0;
}

/* ------------------------------------------------------------- consumer */

/* The tail, reloaded when @need_above is not below the cached value. */
static ipc_status tail_above(ipc_ring *r, uint64_t need_above, uint64_t *t)
{
	if (r->tail_cache < need_above) {
		r->tail_cache = RA(&r->hdr->tail);
		if (r->tail_cache & (RING_CHUNK - 1))
			return -EPROTO;
	}
	*t = r->tail_cache;
	return 0;
}

struct claim {
	uint64_t pos;
	uint64_t size;
	uint64_t len;
	int state;
};

static void release_record(ipc_ring *r, uint64_t pos, uint64_t size,
                           uint64_t len, bool data);

/*
 * Try once to claim the next message, skipping pads. @cap: a recv's
 * buffer size (-EMSGSIZE before claiming), or UINT64_MAX. -EAGAIN with
 * c->state ST_EMPTY or ST_INPROGRESS (a reservation not committed yet)
 * when @classify, else ST_UNKNOWN.
 */
static ipc_status try_claim(ipc_ring *r, uint64_t cap, struct claim *c,
                            bool classify)
{
	struct ring_hdr *hd = r->hdr;
	uint64_t h, t, w0, size, len, off, rel, skipped = 0;
	uint32_t type;
	ipc_status st;

	for (uint64_t loops = 0;; loops++) {
		/* Retries mean another consumer made progress; alone on an
		 * image (attach_mem) they mean the image is inconsistent. */
		if (r->fd < 0 && loops > r->nchunks + 16)
			return -EPROTO;
		h = RA(&hd->head);
		if (h & (RING_CHUNK - 1))
			return -EPROTO;
		if (RS(ring__map_at(r, h)) != h + 1) {
			c->pos = h;
			c->state = ST_UNKNOWN;
			/* The tail only tells empty from in progress: skip
			 * it on the fast path, it is the producers' line. */
			if (!classify)
				return -EAGAIN;
			st = tail_above(r, h + 1, &t);
			if (st)
				return st;
			if (RA(&hd->head) != h)
				continue;
			if (t < h)
				return -EPROTO;
			c->pos = h;
			c->state = t == h ? ST_EMPTY : ST_INPROGRESS;
			return -EAGAIN;
		}
		/* Seqlock-style: the header is the committed one only if
		 * nobody claimed h meanwhile (then it cannot be reused).
		 * Acquire loads keep the re-check after them (no fence:
		 * TSan cannot model fences). */
		w0 = RA(ring__rec_w0(r, h));
		len = RA(ring__rec_len(r, h));
		if (RL(&hd->head) != h)
			continue;
		type = (uint32_t)w0 & RING_REC_TYPE;
		size = w0 & ~(uint64_t)RING_REC_TYPE;
		off = h & r->mask;
		if (size == 0 || size > r->cap - off ||
		    (type != RING_REC_DATA && type != RING_REC_PAD) ||
		    (type == RING_REC_DATA &&
		     (size > r->cap / 2 ||
		      len + IPC_RING_RECORD_HEADER > size)))
			return -EPROTO;
		/* Bounded by the release front, which is on the consumers'
		 * line, not by the tail, which would cost a cache-line
		 * transfer from the producers per message. A record that
		 * reaches past the tail can only be forged; the next call
		 * then finds head > tail and fails with -EPROTO. */
		rel = RA(&hd->released);
		if (rel > h)
			continue; /* h was taken and released meanwhile */
		if (h + size - rel > r->cap)
			return -EPROTO;
		if (type == RING_REC_DATA && len > cap) {
			c->len = len;
			return -EMSGSIZE;
		}
		WR(&r->slot->c_intent, h);
		if (!CAS(&hd->head, &h, h + size)) {
			WR(&r->slot->c_intent, RING_NO_INTENT);
			continue;
		}
		if (type == RING_REC_PAD) {
			release_record(r, h, size, 0, false);
			/* Bounded: a hostile image cannot keep us here. */
			if (++skipped > r->nchunks) {
				c->pos = h + size;
				c->state = ST_EMPTY;
				return -EAGAIN;
			}
			continue;
		}
		c->pos = h;
		c->size = size;
		c->len = len;
		ring__note_cpu(r, false);
		return 0;
	}
}

static void release_record(ipc_ring *r, uint64_t pos, uint64_t size,
                           uint64_t len, bool data)
{
	struct ring_hdr *h = r->hdr;
	struct ring_slot *s = r->slot;
	bool moved = false;

	if (data) {
		WL(&s->msgs_out, RL(&s->msgs_out) + 1);
		WL(&s->bytes_out, RL(&s->bytes_out) + len);
	}
	/* High water, sampled here: between two releases the use only
	 * grows, so the peak is what was in use just before one. The tail
	 * is our cached copy (no extra cache-line transfer), so this is a
	 * lower bound; ipc_ring_stats() adds what is in use when read. */
	if (r->tail_cache > pos)
		ring__note_high_water(r, r->tail_cache - pos);
	if (RS(&h->released) == pos && r->crashpoint != RING_CP_RELEASED) {
		/* The front is ours: nobody else may move it past an
		 * unreleased record, so a plain store will do. */
		WS(&h->released, pos + size);
		moved = true;
	} else {
		WS(ring__rec_rel(r, pos), pos + 1);
		ring__crash(r, RING_CP_RELEASED);
	}
	/* The intent goes after the release: recovery must never see us
	 * alive without an intent while the record is still ours. */
	WR(&s->c_intent, RING_NO_INTENT);
	(void)ring__advance(r, moved);
}

/* Whether the record at the head looks committed; loads two lines. */
static bool data_probe(ipc_ring *r)
{
	uint64_t h = RL(&r->hdr->head);

	return RL(ring__map_at(r, h)) == h + 1 || RL(&r->hdr->head) != h;
}

/* Stuck at a reservation not committed: recover once it looks dead. */
static bool consumer_stuck(ipc_ring *r, uint64_t h)
{
	int64_t now = ipc_now();

	if (r->dstuck_pos != h) {
		r->dstuck_pos = h;
		r->dstuck_since = now;
	}
	if (r->fd >= 0 && now - r->dstuck_since < RING_GRACE_NS)
		return false;
	return ring__recover_data(r, h) > 0;
}

/*
 * Consumer batching. A consumer that keeps up with a stream finds the ring
 * empty after every message and takes the next one the moment it is
 * committed: each message then moves the commit-map line and the record's
 * lines between the two CPUs while the producer is writing them, and the
 * producer's commit waits for that (about half the throughput of a
 * consumer that runs a little behind). So once the data kept coming back
 * within a moment of a wait several times in a row, a waiting consumer
 * first lets a batch pile up (RING_BATCH_NS, reading nothing shared) and
 * then takes it. A delay that yields a lone message is a request/response
 * pattern, not a stream: batching stops, and starts again only after more
 * short waits each time that happens. Only when spinning (ends on
 * different CPUs) and for rings large enough to hold a batch.
 */
#define RING_STREAM_PROBES  8    /* data came back within: a stream */
#define RING_STREAM_WAITS   8    /* short waits in a row to batch */
#define RING_STREAM_PENALTY 4096 /* most extra short waits asked */
#define RING_BATCH_MIN      4    /* messages a delay must yield */
#define RING_BATCH_MIN_CAP  ((uint64_t)64 << 10)

static bool batch_first(ipc_ring *r)
{
	if (r->cap < RING_BATCH_MIN_CAP ||
	    r->c_short < RING_STREAM_WAITS + r->c_penalty)
		return false;
	if (r->c_delayed) {
		r->c_delayed = false;
		if (r->c_free + 1 < RING_BATCH_MIN) {
			r->c_short = 0;
			r->c_penalty =
			        r->c_penalty < RING_STREAM_PENALTY / 2
			                ? r->c_penalty * 2 + RING_STREAM_WAITS
			                : RING_STREAM_PENALTY;
			return false;
		}
		r->c_penalty /= 2;
	}
	return true;
}

/* Let a batch pile up: local pauses and clock reads only. */
static void batch_delay(int64_t until)
{
	do {
		for (int i = 0; i < 8; i++)
			__builtin_ia32_pause();
	} while (ipc_now() < until);
}

static ipc_status claim_wait(ipc_ring *r, uint64_t cap, struct claim *c,
                             ipc_deadline d)
{
	int64_t now, until, end, slice, start;
	int recovered = 0;
	ipc_status st;
	uint32_t seq;
	bool delayed;
	int i;

	st = try_claim(r, cap, c, false);
	if (st != -EAGAIN) {
		if (st == 0 && r->c_free < INT_MAX)
			r->c_free++;
		return st;
	}
	for (;;) {
		if (d != IPC_DEADLINE_NOW && ring__should_spin(r, true)) {
			start = ipc_now();
			delayed = batch_first(r);
			if (delayed) {
				batch_delay(start + RING_BATCH_NS);
				start = ipc_now();
			}
			end = start + r->spin_ns;
			for (i = 1;; i++) {
				__builtin_ia32_pause();
				if ((i & 31) == 0 && ipc_now() >= end)
					break;
				/* Probe the commit map only: reading the
				 * tail here would steal the producers' line
				 * while they write it. */
				if (!data_probe(r))
					continue;
				st = try_claim(r, cap, c, false);
				if (st != -EAGAIN)
					break;
			}
			if (st != -EAGAIN) {
				if (r->spin_ns < RING_SPIN_MAX_NS)
					r->spin_ns *= 2;
				/* Counted in probes, not read from the clock:
				 * a clock read here delays every message
				 * that ends a wait (measured: +50 % on the
				 * round trip across vCPUs). */
				r->c_delayed = delayed;
				r->c_free = 0;
				if (!delayed && i > RING_STREAM_PROBES)
					r->c_short = 0;
				else if (!delayed &&
				         r->c_short <
				                 RING_STREAM_WAITS +
				                         RING_STREAM_PENALTY)
					r->c_short++;
				return st;
			}
			if (r->spin_ns > RING_SPIN_MIN_NS)
				r->spin_ns /= 2;
		}
		/* Not spinning, or the spin ran out: no stream to batch. */
		r->c_short = 0;
		r->c_delayed = false;
		st = try_claim(r, cap, c, true);
		if (st != -EAGAIN)
			return st;
		if (c->state == ST_INPROGRESS && recovered < 4 &&
		    consumer_stuck(r, c->pos)) {
			recovered++;
			st = try_claim(r, cap, c, false);
			if (st != -EAGAIN)
				return st;
			continue;
		}
		if (d == IPC_DEADLINE_NOW)
			return -EAGAIN;
		now = ipc_now();
		if (now >= d)
			return -ETIMEDOUT;
		__atomic_fetch_add(&r->hdr->data_waiters, 1, __ATOMIC_SEQ_CST);
		seq = RS(&r->hdr->data_seq);
		ring__note_sleep(&r->hdr->data_sleep, seq);
		st = try_claim(r, cap, c, true);
		if (st != -EAGAIN) {
			__atomic_fetch_sub(&r->hdr->data_waiters, 1,
			                   __ATOMIC_SEQ_CST);
			return st;
		}
		slice = c->state == ST_INPROGRESS ? RING_SUSPECT_NS
		                                  : RING_SLICE_NS;
		now = ipc_now();
		until = d - now > slice ? now + slice : d;
		st = ring__futex_wait(&r->hdr->data_seq, seq, until);
		__atomic_fetch_sub(&r->hdr->data_waiters, 1, __ATOMIC_SEQ_CST);
		if (st == -EINTR)
			return st;
		st = try_claim(r, cap, c, false);
		if (st != -EAGAIN)
			return st;
	}
}

ipc_status ipc_ring_recv(ipc_ring *r, void *buf, size_t cap, size_t *nread,
                         ipc_deadline d)
{
	struct claim c = {0};
	ipc_status st;

	if (nread != NULL)
		*nread = 0;
	if (r == NULL || !(r->flags & IPC_O_READ))
		return -EBADF;
	if (nread == NULL || (buf == NULL && cap > 0))
		return -EINVAL;
	if (r->peeked)
		return -EBUSY;
	st = claim_wait(r, cap, &c, d);
	if (st == -EMSGSIZE)
		*nread = (size_t)c.len;
	if (st)
		return st;
	ring__crash(r, RING_CP_CLAIMED);
	if (c.len)
		memcpy(buf, ring__rec_at(r, c.pos) + IPC_RING_RECORD_HEADER,
		       (size_t)c.len);
	release_record(r, c.pos, c.size, c.len, true);
	*nread = (size_t)c.len;
	return 0;
}

ipc_status ipc_ring_peek(ipc_ring *r, const void **data, size_t *len,
                         ipc_deadline d)
{
	struct claim c = {0};
	ipc_status st;

	if (data != NULL)
		*data = NULL;
	if (len != NULL)
		*len = 0;
	if (r == NULL || !(r->flags & IPC_O_READ))
		return -EBADF;
	if (data == NULL || len == NULL)
		return -EINVAL;
	if (r->peeked)
		return -EBUSY;
	st = claim_wait(r, UINT64_MAX, &c, d);
	if (st)
		return st;
	ring__crash(r, RING_CP_CLAIMED);
	r->peeked = true;
	r->peek_pos = c.pos;
	r->peek_size = c.size;
	r->peek_len = c.len;
	*data = ring__rec_at(r, c.pos) + IPC_RING_RECORD_HEADER;
	*len = (size_t)c.len;
	return 0;
}

ipc_status ipc_ring_release(ipc_ring *r)
{
	if (r == NULL)
		return -EBADF;
	if (!r->peeked)
		return -ENOENT;
	r->peeked = false;
	release_record(r, r->peek_pos, r->peek_size, r->peek_len, true);
	return 0;
}

bool ipc_ring_readable(ipc_ring *r)
{
	uint64_t h, w0, size;
	int i;

	if (r == NULL)
		return false;
	h = RA(&r->hdr->head);
	/* Look past a few pads without claiming them. */
	for (i = 0; i < 4; i++) {
		if ((h & (RING_CHUNK - 1)) || RA(ring__map_at(r, h)) != h + 1)
			return false;
		w0 = RL(ring__rec_w0(r, h));
		if ((w0 & RING_REC_TYPE) != RING_REC_PAD)
			return (w0 & RING_REC_TYPE) == RING_REC_DATA;
		size = w0 & ~(uint64_t)RING_REC_TYPE;
		if (size == 0 || size > r->cap - (h & r->mask))
			return false;
		h += size;
	}
	return false;
}

/* ---------------------------------------------------------------- misc */

ipc_status ipc_ring_set_max_message(ipc_ring *r, size_t max)
{
	if (r == NULL)
		return -EBADF;
	if (max == 0 || (uint64_t)max > r->msg_limit)
		return -EINVAL;
	WS(&r->hdr->max_message, (uint64_t)max);
	return 0;
}

static void add_slot(struct ipc_ring_stats *st, const struct ring_slot *s)
{
	st->msgs_in += RL(&s->msgs_in);
	st->bytes_in += RL(&s->bytes_in);
	st->msgs_out += RL(&s->msgs_out);
	st->bytes_out += RL(&s->bytes_out);
}

ipc_status ipc_ring_stats(ipc_ring *r, struct ipc_ring_stats *st)
{
	struct ring_hdr *h;
	uint64_t rel, t, m;
	int i;

	if (r == NULL)
		return -EBADF;
	if (st == NULL)
		return -EINVAL;
	h = r->hdr;
	memset(st, 0, sizeof(*st));
	st->capacity = r->cap;
	m = RL(&h->max_message);
	st->max_message = m > r->msg_limit ? r->msg_limit : m;
	rel = RA(&h->released);
	t = RA(&h->tail);
	st->used = t >= rel ? t - rel : 0;
	ring__note_high_water(r, st->used);
	st->high_water = RL(&h->high_water);
	st->recovered = RL(&h->recovered);
	st->lost = RL(&h->lost);
	st->msgs_in = RL(&h->retired_msgs_in);
	st->bytes_in = RL(&h->retired_bytes_in);
	st->msgs_out = RL(&h->retired_msgs_out);
	st->bytes_out = RL(&h->retired_bytes_out);
	for (i = 0; i < IPC_RING_MAX_HANDLES; i++)
		add_slot(st, ring__slot(r, i));
	if (r->slot_idx < 0)
		add_slot(st, &r->local_slot);
	return 0;
}

size_t ipc_ring_capacity(const ipc_ring *r)
{
	return r != NULL ? (size_t)r->cap : 0;
}

size_t ipc_ring_max_message(const ipc_ring *r)
{
	uint64_t m;

	if (r == NULL)
		return 0;
	m = RL(&r->hdr->max_message);
	return (size_t)(m > r->msg_limit ? r->msg_limit : m);
}

const char *ipc_ring_name(const ipc_ring *r)
{
	return r != NULL ? r->name : NULL;
}

/* Fold a slot's counters into the retired ones and clear it. */
void ring__retire_slot(struct ring_hdr *h, struct ring_slot *s)
{
	uint64_t v;

	v = RL(&s->msgs_in);
	WL(&s->msgs_in, (uint64_t)0);
	__atomic_fetch_add(&h->retired_msgs_in, v, __ATOMIC_RELAXED);
	v = RL(&s->bytes_in);
	WL(&s->bytes_in, (uint64_t)0);
	__atomic_fetch_add(&h->retired_bytes_in, v, __ATOMIC_RELAXED);
	v = RL(&s->msgs_out);
	WL(&s->msgs_out, (uint64_t)0);
	__atomic_fetch_add(&h->retired_msgs_out, v, __ATOMIC_RELAXED);
	v = RL(&s->bytes_out);
	WL(&s->bytes_out, (uint64_t)0);
	__atomic_fetch_add(&h->retired_bytes_out, v, __ATOMIC_RELAXED);
}

ipc_status ipc_ring_close(ipc_ring *r)
{
	ipc_status st = 0;
	ipc_status st2;

	if (r == NULL)
		return 0;
	if (r->reserved)
		(void)ipc_ring_abort(r);
	if (r->peeked)
		(void)ipc_ring_release(r);
	if (r->slot_idx >= 0) {
		ring__retire_slot(r->hdr, r->slot);
		WL(&r->slot->role, 0u);
		WL(&r->slot->pid, 0u);
	}
	if (r->fd >= 0) {
		if (munmap(r->base, r->map_len) < 0)
			st = -errno;
		/* Closing the description drops the slot's lock. */
		st2 = ipc__close(r->fd);
		if (!st)
			st = st2;
	}
	free(r);
	return st;
}

ipc_status ipc_ring_unlink(const char *name)
{
	ipc_status st = ipc__check_posix_name(name);

	if (st)
		return st;
	if (shm_unlink(name) < 0)
		return -errno;
	return 0;
}
