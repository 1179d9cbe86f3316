/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ring.c - fuzz target 2 (RELIABILITY.md 3.4): the ring header and
 * records as a consumer finds them in shared memory.
 *
 * The input becomes a ring image in a heap buffer of exactly the image's
 * size (so AddressSanitizer sees any access outside it), which a handle
 * attaches with ipc__ring_attach_mem() and drains with IPC_DEADLINE_NOW
 * receives, peeks, readable and stats. Every delivered message must lie
 * inside the image and within the ring's limits, and the drain must end:
 * a ring of capacity C holds at most C / 64 records.
 *
 * byte 0   flags: bit 0 attach IPC_O_RDWR (else IPC_O_READ); bit 1 patch
 *          mode (else the rest is the raw image); bit 2 (patch mode)
 *          start from a freshly formatted ring (else zeros); bit 3 the
 *          drain also sends (with IPC_O_RDWR)
 *
 * Patch mode, so that short inputs make large, mostly valid images:
 * byte 1   capacity 4096 << (b & 3)
 * byte 2   size adjustment: (int8_t)b * 8 bytes added to the image size
 * byte 3   messages a producer handle sends into the fresh ring first
 * byte 4-5 their lengths: ((b4 + 61 i) * b5) % (max_message + 1)
 * byte 6   a consumer takes one message after every (b & 15)-th send, so
 *          that the positions move on and records wrap (0: never)
 * byte 7-14 eight drain operations, used in turn
 * the rest patches: [u24 LE offset (mod size)][u8 length][bytes], written
 *          over the image after the sends; a length with bit 7 set
 *          (length & 0x7f bytes) is a late patch, written during the
 *          drain, one after each operation, as a hostile peer would
 *
 * Drain operations (op & 3): 0 receive into a buffer of the largest
 * message + 1, 1 receive into a short buffer ((op >> 2) bytes), 2 peek,
 * check, release (for these three, op & 0x80 gives a real deadline that
 * has passed instead of IPC_DEADLINE_NOW); 3 readable and stats, and with bit 3
 * of the flags and op & 0x80 a send of (op >> 2) & 31 bytes (op & 0x40: through
 * reserve, then commit, or abort when op & 0x20).
 *
 * Without patches and with the exact size, the drain must deliver exactly
 * the messages sent and not yet taken, in order, and end empty.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/ring.h"
#include "ring_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_PATCH_HEADER 15

#define FZ_CHECK(c)                                                            \
	do {                                                                   \
		if (!(c))                                                      \
			fz_fail(__LINE__, #c);                                 \
	} while (0)

static void fz_fail(int line, const char *what)
{
	fprintf(stderr, "fuzz_ring.c:%d: check failed: %s\n", line, what);
	abort();
}

/* The messages a clean image must deliver, in order. */
struct expect {
	int active;   /* patch mode without patches, exact size */
	size_t first; /* the next one due */
	size_t count; /* sent */
	size_t lens[256];
};

static uint8_t payload_byte(size_t i, size_t j)
{
	return (uint8_t)(i * 31 + j);
}

static int in_image(const uint8_t *mem, size_t size, const void *p, size_t len)
{
	const uint8_t *q = p;

	return q >= mem && q <= mem + size && len <= (size_t)(mem + size - q);
}

static void check_message(const struct expect *e, const uint8_t *msg,
                          size_t len, size_t max)
{
	size_t i = e->first, j;

	FZ_CHECK(len <= max);
	if (!e->active)
		return;
	FZ_CHECK(i < e->count);
	FZ_CHECK(len == e->lens[i]);
	for (j = 0; j < len; j++)
		FZ_CHECK(msg[j] == payload_byte(i, j));
}

/* Patches in the input: early ones before attaching, late ones during. */
struct patches {
	uint8_t *mem;
	size_t img;
	const uint8_t *next; /* the next late patch to look at */
	const uint8_t *end;
	size_t late_done;
};

/*
 * Apply the first patch of the kind @late at or after *@p; moves *@p past
 * it. Returns 0 when there is none left.
 */
static int apply_patch(uint8_t *mem, size_t img, const uint8_t **p,
                       const uint8_t *end, int late)
{
	size_t off, len;

	while (end - *p >= 4) {
		const uint8_t *q = *p;

		off = ((size_t)q[0] | (size_t)q[1] << 8 | (size_t)q[2] << 16) %
		      img;
		len = q[3] & 0x7f;
		q += 4;
		if (len > (size_t)(end - q))
			len = (size_t)(end - q);
		*p = q + len;
		if (!!(q[-1] & 0x80) != late)
			continue;
		if (len > img - off)
			len = img - off;
		memcpy(mem + off, q, len);
		return 1;
	}
	return 0;
}

/* Fill a fresh ring: sends, with a consumer taking some on the way. */
static void prefill(uint8_t *mem, size_t size, const uint8_t *h,
                    struct expect *e)
{
	ipc_ring *p, *c;
	size_t n = h[3], every = h[6] & 15, i, j, len, max, got;
	uint8_t *buf;
	ipc_status st;

	FZ_CHECK(ipc__ring_attach_mem(&p, mem, size, IPC_O_WRITE) == 0);
	FZ_CHECK(ipc__ring_attach_mem(&c, mem, size, IPC_O_READ) == 0);
	max = ipc_ring_max_message(p);
	buf = malloc(max + 1);
	FZ_CHECK(buf != NULL);
	for (i = 0; i < n; i++) {
		len = ((h[4] + 61 * i) * h[5]) % (max + 1);
		for (j = 0; j < len; j++)
			buf[j] = payload_byte(e->count, j);
		st = ipc_ring_send(p, buf, len, IPC_DEADLINE_NOW);
		FZ_CHECK(st == 0 || st == -EAGAIN);
		if (st == 0)
			e->lens[e->count++] = len;
		if (every && i % every == every - 1 && e->first < e->count) {
			st = ipc_ring_recv(c, buf, max + 1, &got,
			                   IPC_DEADLINE_NOW);
			FZ_CHECK(st == 0);
			check_message(e, buf, got, max);
			e->first++;
		}
	}
	free(buf);
	FZ_CHECK(ipc_ring_close(c) == 0);
	FZ_CHECK(ipc_ring_close(p) == 0);
}

/* Receive or peek until the ring says it is empty or broken. */
static void drain(ipc_ring *r, uint8_t *mem, size_t size, const uint8_t *ops,
                  int sends, struct expect *e, struct patches *pt)
{
	int late = 1;
	void *ptr;
	size_t max = ipc_ring_max_message(r), cap = ipc_ring_capacity(r);
	size_t bound, delivered = 0, sent = 0, iter, len, bcap;
	struct ipc_ring_stats stats;
	int empty = 0, k;
	const void *msg;
	uint8_t *buf;
	ipc_status st;

	FZ_CHECK(cap >= IPC_RING_MIN_CAPACITY && cap <= IPC_RING_MAX_CAPACITY);
	FZ_CHECK((cap & (cap - 1)) == 0);
	FZ_CHECK(max <= cap / 2 - IPC_RING_RECORD_HEADER);
	/*
	 * Messages are bounded by the capacity: max_message limits sends, and
	 * messages committed before it was lowered (or before a hostile
	 * peer wrote it) may be longer.
	 */
	max = cap / 2 - IPC_RING_RECORD_HEADER;
	/* What the ring can hold, plus what the drain itself sends. */
	bound = cap / RING_CHUNK + 2;
	buf = malloc(max + 1);
	FZ_CHECK(buf != NULL);
	for (iter = 0; (empty < 2 || late) && iter < 4 * bound + 64; iter++) {
		uint8_t op = ops[iter & 7];
		/* Bit 7 of a receive or peek: a real deadline, already
		 * passed (-ETIMEDOUT, through the waiting code). */
		ipc_deadline d = op & 0x80 ? ipc_now() : IPC_DEADLINE_NOW;

		switch (op & 3) {
		case 0:
		case 1:
			/* A buffer of max + 1, or a short one. */
			bcap = (op & 3) == 0 ? max + 1
			                     : (size_t)(op >> 2) % (max + 1);
			st = ipc_ring_recv(r, buf, bcap, &len, d);
			if (st == -EMSGSIZE) {
				FZ_CHECK(len > bcap && len <= max);
				if (e->active)
					FZ_CHECK(len == e->lens[e->first]);
				break;
			}
			if (st == 0) {
				FZ_CHECK(len <= bcap);
				check_message(e, buf, len, max);
				e->first++;
				delivered++;
				empty = 0;
				break;
			}
			FZ_CHECK(st == -EAGAIN || st == -ETIMEDOUT ||
			         st == -EPROTO);
			FZ_CHECK(len == 0);
			empty++;
			break;
		case 2:
			st = ipc_ring_peek(r, &msg, &len, d);
			if (st == 0) {
				FZ_CHECK(in_image(mem, size, msg, len));
				check_message(e, msg, len, max);
				e->first++;
				delivered++;
				empty = 0;
				/* One peek at a time. */
				FZ_CHECK(ipc_ring_peek(r, &msg, &len,
				                       IPC_DEADLINE_NOW) ==
				         -EBUSY);
				st = ipc_ring_release(r);
				FZ_CHECK(st == 0 || st == -EPROTO);
				break;
			}
			FZ_CHECK(st == -EAGAIN || st == -ETIMEDOUT ||
			         st == -EPROTO);
			empty++;
			break;
		default:
			(void)ipc_ring_readable(r);
			FZ_CHECK(ipc_ring_stats(r, &stats) == 0);
			FZ_CHECK(stats.capacity == cap);
			if (!sends || !(op & 0x80))
				break;
			len = (size_t)(op >> 2 & 31) %
			      (ipc_ring_max_message(r) + 1);
			if (op & 0x40) {
				st = ipc_ring_reserve(r, len, &ptr,
				                      IPC_DEADLINE_NOW);
				FZ_CHECK(st == 0 || st == -EAGAIN ||
				         st == -EPROTO);
				if (st)
					break;
				FZ_CHECK(in_image(mem, size, ptr, len));
				memset(ptr, 0x5b, len);
				if (op & 0x20) {
					FZ_CHECK(ipc_ring_abort(r) == 0);
					break;
				}
				FZ_CHECK(ipc_ring_commit(r, len + 1) ==
				         -EINVAL);
				st = ipc_ring_commit(r, len / 2);
			} else {
				memset(buf, 0x5a, len);
				st = ipc_ring_send(r, buf, len,
				                   IPC_DEADLINE_NOW);
			}
			FZ_CHECK(st == 0 || st == -EAGAIN || st == -EPROTO);
			if (st == 0) {
				sent++;
				/* Not a message the check expects. */
				e->active = 0;
			}
			break;
		}
		if (late) {
			late = apply_patch(pt->mem, pt->img, &pt->next, pt->end,
			                   1);
			pt->late_done += (size_t)late;
			if (late) {
				/* The ring is no longer what was sent. */
				e->active = 0;
				empty = 0;
			}
		}
		FZ_CHECK(delivered <= (pt->late_done + 1) * bound + sent);
	}
	/* Whatever the ops were, plain receives must come to an end. */
	for (k = 0;; k++) {
		FZ_CHECK((size_t)k <= bound + sent);
		st = ipc_ring_recv(r, buf, max + 1, &len, IPC_DEADLINE_NOW);
		if (st != 0)
			break;
		check_message(e, buf, len, max);
		e->first++;
		delivered++;
	}
	FZ_CHECK(st == -EAGAIN || st == -EPROTO);
	if (e->active) {
		FZ_CHECK(st == -EAGAIN);
		FZ_CHECK(e->first == e->count);
		FZ_CHECK(!ipc_ring_readable(r));
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t raw_ops[8] = {0, 2, 3, 1 | 4 << 2, 2, 0, 3, 2};
	struct patches pt = {NULL, 0, NULL, NULL, 0};
	const uint8_t *ops = raw_ops, *p;
	struct expect *e;
	uint8_t *mem = NULL, *full;
	unsigned int flags;
	size_t img, exact, cap;
	ipc_ring *r;
	ipc_status st;
	int patched = 0;

	if (size < 1 || ((data[0] & 2) && size < FZ_PATCH_HEADER))
		return 0;
	flags = data[0] & 1 ? IPC_O_RDWR : IPC_O_READ;
	e = calloc(1, sizeof(*e));
	FZ_CHECK(e != NULL);
	if (!(data[0] & 2)) {
		/* The raw image. */
		img = size - 1;
		if (img == 0 || posix_memalign((void **)&mem, 64, img))
			goto out;
		memcpy(mem, data + 1, img);
	} else {
		cap = (size_t)4096 << (data[1] & 3);
		exact = ring__data_off(cap) + cap;
		img = exact + (size_t)((int8_t)data[2] * 8);
		if (posix_memalign((void **)&mem, 64, img))
			goto out;
		memset(mem, 0, img);
		ops = data + 7;
		if (data[0] & 4) {
			/* Formatted at the exact size, then maybe cut short. */
			FZ_CHECK(posix_memalign((void **)&full, 64, exact) ==
			         0);
			memset(full, 0, exact);
			ipc__ring_format(full, cap);
			prefill(full, exact, data, e);
			memcpy(mem, full, img < exact ? img : exact);
			free(full);
		}
		p = data + FZ_PATCH_HEADER;
		while (apply_patch(mem, img, &p, data + size, 0))
			patched = 1;
		pt.next = data + FZ_PATCH_HEADER;
		pt.end = data + size;
		e->active = (data[0] & 4) && !patched && img == exact;
	}
	pt.mem = mem;
	pt.img = img;

	st = ipc__ring_attach_mem(&r, mem, img, flags);
	if (st) {
		FZ_CHECK(r == NULL);
		FZ_CHECK(st == -EPROTO || st == -ENOMEM);
		FZ_CHECK(!e->active);
		goto out;
	}
	drain(r, mem, img, ops, (data[0] & 8) && flags == IPC_O_RDWR, e, &pt);
	FZ_CHECK(ipc_ring_close(r) == 0);
out:
	free(mem);
	free(e);
	return 0;
}
