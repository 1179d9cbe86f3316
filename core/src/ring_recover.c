/* SPDX-License-Identifier: MIT */
/*
 * ring_recover.c - handle slots, liveness, the release front and the
 * recovery from dead processes.
 *
 * Every handle opens its own file description of the object and holds an
 * OFD write lock on byte RING_LOCK_BASE + slot (past the end of the file,
 * where locks are allowed and data never is). The kernel drops the lock
 * when the description goes, with the process; F_OFD_GETLK from another
 * description then reports the byte free. Recovery runs under an OFD lock
 * on RING_LOCK_RECOVERY, taken without waiting (whoever holds it is doing
 * the work already); a recoverer that dies drops it too.
 */
#include <fcntl.h>
#include <unistd.h>

#include "internal.h"
#include "ring_internal.h"

void ring__retire_slot(struct ring_hdr *h, struct ring_slot *s);

static int ofd_lock(int fd, int64_t byte, short type, int cmd)
{
	struct flock fl = {0};

	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)byte;
	fl.l_len = 1;
	return fcntl(fd, cmd, &fl);
}

ipc_status ring__claim_slot(ipc_ring *r)
{
	struct ring_slot *s;
	int i;

	for (i = 0; i < IPC_RING_MAX_HANDLES; i++) {
		if (ofd_lock(r->fd, RING_LOCK_BASE + i, F_WRLCK, F_OFD_SETLK) ==
		    0)
			break;
		if (errno != EAGAIN && errno != EACCES)
			return -errno;
	}
	if (i == IPC_RING_MAX_HANDLES)
		return -EUSERS;
	s = ring__slot(r, i);
	/* Whatever the previous owner left: its counters go to the retired
	 * totals, its intents die with it. */
	WR(&s->p_intent, RING_NO_INTENT);
	WR(&s->c_intent, RING_NO_INTENT);
	ring__retire_slot(r->hdr, s);
	r->slot_idx = i;
	r->slot = s;
	return 0;
}

bool ring__slot_live(const ipc_ring *r, int i)
{
	struct flock fl = {0};

	if (i == r->slot_idx)
		return true;
	if (r->fd < 0)
		return false; /* attach_mem: every slot counts as dead */
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)(RING_LOCK_BASE + i);
	fl.l_len = 1;
	if (fcntl(r->fd, F_OFD_GETLK, &fl) < 0)
		return true; /* cannot tell: never recover a live one */
	return fl.l_type != F_UNLCK;
}

static bool recovery_lock(ipc_ring *r)
{
	if (r->fd < 0)
		return true;
	return ofd_lock(r->fd, RING_LOCK_RECOVERY, F_WRLCK, F_OFD_SETLK) == 0;
}

static void recovery_unlock(ipc_ring *r)
{
	if (r->fd >= 0)
		(void)ofd_lock(r->fd, RING_LOCK_RECOVERY, F_UNLCK, F_OFD_SETLK);
}

ipc_status ring__advance(ipc_ring *r, bool moved)
{
	struct ring_hdr *h = r->hdr;
	uint64_t rel, hd, w0, size, i;
	ipc_status st = 0;

	for (i = 0; i <= r->nchunks; i++) {
		rel = RS(&h->released);
		hd = RA(&h->head);
		if (rel >= hd)
			break;
		if (rel & (RING_CHUNK - 1)) {
			st = -EPROTO;
			break;
		}
		/* seq_cst: pairs with the marker store of release_record(). */
		if (RS(ring__rec_rel(r, rel)) != rel + 1)
			break;
		w0 = RA(ring__rec_w0(r, rel));
		if (RL(&h->released) != rel)
			continue; /* someone moved it: w0 may be stale */
		size = w0 & ~(uint64_t)RING_REC_TYPE;
		if (size == 0 || size > r->cap - (rel & r->mask) ||
		    rel + size > hd) {
			st = -EPROTO;
			break;
		}
		if (CAS(&h->released, &rel, rel + size))
			moved = true;
	}
	if (moved && RS(&h->space_waiters) != 0)
		ring__wake_space(r);
	return st;
}

/*
 * A consumer is stuck at @h: tail > h but the record at h is not committed.
 * If no live producer can be working on it, the room from h up to the
 * next record somebody can still finish is padding: write a pad header
 * there and commit it. Every value tail ever held is a record boundary,
 * and so is every producer's intent, so the pad never cuts a live record.
 */
int ring__recover_data(ipc_ring *r, uint64_t h)
{
	struct ring_hdr *hd = r->hdr;
	uint64_t t, x, lap_end, pi, p;
	int ret = 0;
	int i;

	if (!recovery_lock(r))
		return 0;
	if (RA(&hd->head) != h || RS(ring__map_at(r, h)) == h + 1) {
		ret = 1; /* moved on meanwhile */
		goto out;
	}
	t = RA(&hd->tail);
	if (t <= h || (t & (RING_CHUNK - 1)))
		goto out;
	lap_end = (h & ~r->mask) + r->cap;
	x = t < lap_end ? t : lap_end;
	if (r->fd >= 0) {
		for (i = 0; i < IPC_RING_MAX_HANDLES; i++) {
			pi = RA(&ring__slot(r, i)->p_intent);
			if (pi == RING_NO_INTENT || (pi > h && pi >= x))
				continue;
			if (!ring__slot_live(r, i))
				continue;
			if (pi <= h)
				goto out; /* a live producer owns it: wait */
			x = pi;
		}
	}
	for (p = h + RING_CHUNK; p < x; p += RING_CHUNK) {
		if (RS(ring__map_at(r, p)) == p + 1) {
			x = p;
			break;
		}
	}
	if (RS(&hd->head) != h || RS(ring__map_at(r, h)) == h + 1) {
		ret = 1;
		goto out;
	}
	WL(ring__rec_w0(r, h), (uint32_t)(x - h) | RING_REC_PAD);
	WL(ring__rec_len(r, h), 0u);
	WL(ring__rec_rel(r, h), (uint64_t)0);
	WS(ring__map_at(r, h), h + 1);
	__atomic_fetch_add(&hd->recovered, 1, __ATOMIC_RELAXED);
	ret = 1;
	if (RS(&hd->data_waiters) != 0)
		ring__wake_data(r);
out:
	recovery_unlock(r);
	return ret;
}

/*
 * The release front is stuck at a claimed record that nobody releases. If
 * no live consumer holds it, its consumer died: mark it released (the
 * message is lost) and move the front.
 */
int ring__recover_space(ipc_ring *r)
{
	struct ring_hdr *hd = r->hdr;
	uint64_t rel, head, ci, w0, size;
	int ret = 0;
	int i;

	if (!recovery_lock(r))
		return 0;
	rel = RS(&hd->released);
	head = RA(&hd->head);
	if (rel >= head || (rel & (RING_CHUNK - 1)))
		goto out;
	if (RS(ring__rec_rel(r, rel)) != rel + 1) {
		if (r->fd >= 0) {
			for (i = 0; i < IPC_RING_MAX_HANDLES; i++) {
				ci = RA(&ring__slot(r, i)->c_intent);
				if (ci == RING_NO_INTENT || ci > rel)
					continue;
				if (ring__slot_live(r, i))
					goto out; /* still being read */
			}
		}
		w0 = RA(ring__rec_w0(r, rel));
		if (RS(&hd->released) != rel)
			goto out;
		size = w0 & ~(uint64_t)RING_REC_TYPE;
		if (size == 0 || size > r->cap - (rel & r->mask) ||
		    rel + size > head)
			goto out;
		WS(ring__rec_rel(r, rel), rel + 1);
		if ((w0 & RING_REC_TYPE) == RING_REC_DATA)
			__atomic_fetch_add(&hd->lost, 1, __ATOMIC_RELAXED);
	}
	(void)ring__advance(r, false);
	ret = RS(&hd->released) != rel;
out:
	recovery_unlock(r);
	return ret;
}
