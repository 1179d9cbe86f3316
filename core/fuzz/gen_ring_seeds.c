/* SPDX-License-Identifier: MIT */
/*
 * gen_ring_seeds.c - write the seed corpus of fuzz_ring.
 *
 * Run by hand from the repository root after a change to the ring format;
 * the output is committed (core/fuzz/corpus/ring/):
 *
 *     cc -std=gnu11 -D_GNU_SOURCE -Icore/include -Icore/src \
 *        core/fuzz/gen_ring_seeds.c <the core sources> -lpthread -lm \
 *        -o /tmp/gen_ring_seeds
 *     /tmp/gen_ring_seeds core/fuzz/corpus/ring
 *
 * Two kinds of seed (fuzz_ring.c describes the input): raw images of a
 * 4 KiB ring in interesting states, made with the real producer and
 * consumer code through ipc__ring_attach_mem(), and their corruptions;
 * and compact patch-mode inputs (a formatted ring, messages sent into it,
 * then bytes written over it) that reach rings of every capacity.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/ring.h"
#include "ring_internal.h"

#define CAP ((uint64_t)4096)

static const char *outdir;
static int nseeds;

static void die(const char *what, int st)
{
	fprintf(stderr, "gen_ring_seeds: %s: %d\n", what, st);
	exit(1);
}

static void write_seed(const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", outdir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		die(path, errno);
	nseeds++;
}

/* A raw seed: flag byte (bit 0: RDWR), then the image. */
static void write_raw(const char *name, const uint8_t *img, size_t n, int rdwr)
{
	uint8_t *p = malloc(n + 1);

	if (p == NULL)
		die("malloc", -ENOMEM);
	p[0] = rdwr ? 1 : 0;
	memcpy(p + 1, img, n);
	write_seed(name, p, n + 1);
	free(p);
}

static size_t image_size(void)
{
	return ring__data_off(CAP) + CAP;
}

static uint8_t *fresh(void)
{
	size_t n = image_size();
	uint8_t *m;

	if (posix_memalign((void **)&m, 64, n))
		die("posix_memalign", -ENOMEM);
	memset(m, 0, n);
	ipc__ring_format(m, CAP);
	return m;
}

static ipc_ring *attach(uint8_t *m, unsigned int flags)
{
	ipc_ring *r;
	ipc_status st = ipc__ring_attach_mem(&r, m, image_size(), flags);

	if (st)
		die("ipc__ring_attach_mem", st);
	return r;
}

static void send_n(ipc_ring *p, int n, size_t len0, size_t step)
{
	uint8_t buf[2048];
	ipc_status st;
	int i;

	for (i = 0; i < n; i++) {
		size_t len = (len0 + (size_t)i * step) % sizeof(buf);

		memset(buf, 'a' + i % 26, len);
		st = ipc_ring_send(p, buf, len, IPC_DEADLINE_NOW);
		if (st && st != -EAGAIN)
			die("ipc_ring_send", st);
	}
}

static void recv_n(ipc_ring *c, int n)
{
	uint8_t buf[4096];
	size_t len;
	int i;

	for (i = 0; i < n; i++)
		if (ipc_ring_recv(c, buf, sizeof(buf), &len, IPC_DEADLINE_NOW))
			break;
}

static void put64(uint8_t *m, size_t off, uint64_t v)
{
	memcpy(m + off, &v, sizeof(v));
}

static void put32(uint8_t *m, size_t off, uint32_t v)
{
	memcpy(m + off, &v, sizeof(v));
}

static void raw_seeds(void)
{
	size_t n = image_size(), d = ring__data_off(CAP);
	uint8_t *m, *copy;
	ipc_ring *p, *c;
	void *ptr;
	const void *data;
	size_t len;

	m = fresh();
	write_raw("raw-empty", m, n, 0);

	p = attach(m, IPC_O_WRITE);
	send_n(p, 5, 0, 100);
	write_raw("raw-five", m, n, 0);

	/* Corruptions of the five-message ring. */
	copy = malloc(n);
	if (copy == NULL)
		die("malloc", -ENOMEM);
#define CORRUPT(name, stmt)                                                    \
	do {                                                                   \
		memcpy(copy, m, n);                                            \
		stmt;                                                          \
		write_raw(name, copy, n, 0);                                   \
	} while (0)
	CORRUPT("raw-bad-magic", copy[0] ^= 1);
	CORRUPT("raw-bad-version", put32(copy, 8, 2));
	CORRUPT("raw-capacity-8192", put64(copy, 16, 8192));
	CORRUPT("raw-tail-far", put64(copy, 64, (uint64_t)1 << 62));
	CORRUPT("raw-record-huge", put32(copy, d, 0x7fffffc0u | RING_REC_DATA));
	CORRUPT("raw-record-len-huge", put32(copy, d + 4, 0xffffffffu));
	CORRUPT("raw-record-size-zero", put32(copy, d, RING_REC_DATA));
#undef CORRUPT

	/* Wrapped: positions past the capacity, records straddling. */
	c = attach(m, IPC_O_READ);
	recv_n(c, 5);
	send_n(p, 6, 600, 0);
	recv_n(c, 4);
	send_n(p, 3, 700, 0);
	write_raw("raw-wrapped", m, n, 1);

	/* Full. */
	send_n(p, 20, 100, 0);
	write_raw("raw-full", m, n, 0);

	/* A record taken by a consumer and never released. */
	if (ipc_ring_peek(c, &data, &len, IPC_DEADLINE_NOW) == 0) {
		write_raw("raw-peeked", m, n, 0);
		(void)ipc_ring_release(c);
	}
	recv_n(c, 100);

	/* A reservation never committed: its producer is dead. */
	send_n(p, 2, 50, 0);
	if (ipc_ring_reserve(p, 300, &ptr, IPC_DEADLINE_NOW) == 0) {
		memset(ptr, 'R', 150);
		write_raw("raw-reserved", m, n, 1);
		(void)ipc_ring_abort(p);
	}
	send_n(p, 1, 10, 0);
	write_raw("raw-after-abort", m, n, 0);

	ipc_ring_close(c);
	ipc_ring_close(p);
	free(copy);
	free(m);
}

/* A patch-mode seed: header bytes, then [u24 offset][u8 len][bytes]... */
struct patch_seed {
	uint8_t b[4096];
	size_t n;
};

static void ps_start(struct patch_seed *s, uint8_t flags, int caplog,
                     int8_t adjust, uint8_t nsend, uint8_t l0, uint8_t mult,
                     uint8_t every, const uint8_t ops[8])
{
	s->b[0] = (uint8_t)(flags | 2);
	s->b[1] = (uint8_t)caplog;
	s->b[2] = (uint8_t)adjust;
	s->b[3] = nsend;
	s->b[4] = l0;
	s->b[5] = mult;
	s->b[6] = every;
	memcpy(s->b + 7, ops, 8);
	s->n = 15;
}

/* @len < 128; @late: written during the drain, not before attaching. */
static void ps_patch_at(struct patch_seed *s, size_t off, const void *p,
                        size_t len, int late)
{
	s->b[s->n++] = (uint8_t)off;
	s->b[s->n++] = (uint8_t)(off >> 8);
	s->b[s->n++] = (uint8_t)(off >> 16);
	s->b[s->n++] = (uint8_t)(len | (late ? 0x80 : 0));
	memcpy(s->b + s->n, p, len);
	s->n += len;
}

static void ps_patch(struct patch_seed *s, size_t off, const void *p,
                     size_t len)
{
	ps_patch_at(s, off, p, len, 0);
}

static void ps_late64(struct patch_seed *s, size_t off, uint64_t v)
{
	ps_patch_at(s, off, &v, sizeof(v), 1);
}

static void ps_late32(struct patch_seed *s, size_t off, uint32_t v)
{
	ps_patch_at(s, off, &v, sizeof(v), 1);
}

static void ps_patch64(struct patch_seed *s, size_t off, uint64_t v)
{
	ps_patch(s, off, &v, sizeof(v));
}

static void ps_patch32(struct patch_seed *s, size_t off, uint32_t v)
{
	ps_patch(s, off, &v, sizeof(v));
}

static void patch_seeds(void)
{
	static const uint8_t recv_ops[8] = {0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t mixed_ops[8] = {0, 2, 3, 1 | 16 << 2, 2, 0, 3, 2};
	static const uint8_t send_ops[8] = {0x83, 2, 0xff, 0, 0x93, 1, 2, 3};
	/* receives and peeks with a passed deadline (bit 7) */
	static const uint8_t timed_ops[8] = {0x80, 0x82, 0x81 | 3 << 2, 3,
	                                     0x80, 2,    0x82,          0};
	/* reserve + commit, reserve + abort, send, with receives between */
	static const uint8_t rsv_ops[8] = {0xc3 | 7 << 2, 0, 0xe3, 2,
	                                   0x83 | 3 << 2, 0, 0xc3, 1 | 2 << 2};
	size_t d1 = ring__data_off(CAP);
	size_t d2 = ring__data_off(CAP << 1);
	struct patch_seed s;
	struct ring_hdr h;

	/* Clean rings: every capacity, lengths, wrap-around. */
	ps_start(&s, 4, 0, 0, 10, 3, 17, 0, recv_ops);
	write_seed("patch-clean-4k", s.b, s.n);
	ps_start(&s, 4, 1, 0, 40, 1, 97, 3, mixed_ops);
	write_seed("patch-clean-8k-wrapped", s.b, s.n);
	ps_start(&s, 4 | 1, 2, 0, 200, 9, 251, 2, mixed_ops);
	write_seed("patch-clean-16k-wrapped", s.b, s.n);
	ps_start(&s, 4 | 1 | 8, 3, 0, 255, 0, 255, 1, send_ops);
	write_seed("patch-clean-32k-sends", s.b, s.n);
	ps_start(&s, 4, 0, 0, 100, 255, 255, 0, recv_ops);
	write_seed("patch-full-4k", s.b, s.n);
	ps_start(&s, 4, 0, 0, 0, 0, 0, 0, mixed_ops);
	write_seed("patch-empty-4k", s.b, s.n);

	/* Sizes that do not match the header. */
	ps_start(&s, 4, 0, -8, 5, 1, 50, 0, recv_ops);
	write_seed("patch-image-short", s.b, s.n);
	ps_start(&s, 4, 1, 8, 5, 1, 50, 0, recv_ops);
	write_seed("patch-image-long", s.b, s.n);
	ps_start(&s, 4, 0, -128, 5, 1, 50, 0, recv_ops);
	write_seed("patch-image-cut-data", s.b, s.n);

	/* Header fields out of range. */
	ps_start(&s, 4, 0, 0, 5, 1, 50, 0, mixed_ops);
	ps_patch64(&s, offsetof(struct ring_hdr, max_message), CAP);
	write_seed("patch-max-message-cap", s.b, s.n);
	ps_start(&s, 4, 0, 0, 5, 1, 50, 0, mixed_ops);
	ps_patch64(&s, offsetof(struct ring_hdr, capacity), CAP + 64);
	write_seed("patch-capacity-not-pow2", s.b, s.n);
	ps_start(&s, 4, 0, 0, 5, 1, 50, 0, mixed_ops);
	ps_patch64(&s, offsetof(struct ring_hdr, data_off), d1 - 64);
	write_seed("patch-data-off", s.b, s.n);
	ps_start(&s, 4, 0, 0, 5, 1, 50, 0, mixed_ops);
	ps_patch64(&s, offsetof(struct ring_hdr, head), 64 * 3 + 8);
	write_seed("patch-head-misaligned", s.b, s.n);
	ps_start(&s, 4, 0, 0, 5, 1, 50, 0, mixed_ops);
	ps_patch64(&s, offsetof(struct ring_hdr, head), 1u << 20);
	write_seed("patch-head-past-tail", s.b, s.n);
	ps_start(&s, 4, 1, 0, 30, 7, 77, 2, mixed_ops);
	ps_patch64(&s, offsetof(struct ring_hdr, released), 0);
	write_seed("patch-released-behind", s.b, s.n);
	ps_start(&s, 4 | 1 | 8, 0, 0, 8, 1, 130, 0, send_ops);
	ps_patch64(&s, offsetof(struct ring_hdr, tail), 2 * CAP);
	write_seed("patch-tail-ahead-sends", s.b, s.n);

	/* Records: sizes, lengths, types, commit map. */
	ps_start(&s, 4, 0, 0, 5, 1, 50, 0, mixed_ops);
	ps_patch32(&s, d1, 0xffffffc0u | RING_REC_DATA);
	write_seed("patch-record-size-huge", s.b, s.n);
	ps_start(&s, 4, 0, 0, 5, 1, 50, 0, mixed_ops);
	ps_patch32(&s, d1 + 4, (uint32_t)CAP);
	write_seed("patch-record-len-cap", s.b, s.n);
	ps_start(&s, 4, 0, 0, 5, 1, 50, 0, mixed_ops);
	ps_patch32(&s, d1, 64 | RING_REC_TYPE);
	write_seed("patch-record-type", s.b, s.n);
	ps_start(&s, 4, 0, 0, 5, 1, 50, 0, mixed_ops);
	ps_patch32(&s, d1, 64 | RING_REC_PAD);
	write_seed("patch-record-pad", s.b, s.n);
	ps_start(&s, 4, 0, 0, 3, 1, 50, 0, mixed_ops);
	ps_patch64(&s, RING_MAP_OFF + 8, 12345);
	ps_patch64(&s, RING_MAP_OFF + 16, 64 * 2 + 1);
	write_seed("patch-map-garbage", s.b, s.n);
	ps_start(&s, 4, 1, 0, 12, 1, 90, 0, mixed_ops);
	ps_patch64(&s, d2 + 8, 1);
	write_seed("patch-record-released-mark", s.b, s.n);

	/* Slots: intents of dead handles. */
	ps_start(&s, 4, 0, 0, 5, 1, 50, 0, mixed_ops);
	ps_patch64(&s, RING_SLOT_OFF, 64);
	ps_patch64(&s, RING_SLOT_OFF + 8, 0);
	write_seed("patch-slot-intents", s.b, s.n);

	/* Reservations, commits and aborts in the drain. */
	ps_start(&s, 4 | 1 | 8, 0, 0, 3, 5, 40, 0, rsv_ops);
	write_seed("patch-reserve-commit-abort", s.b, s.n);
	ps_start(&s, 4 | 1 | 8, 0, 0, 100, 255, 255, 0, rsv_ops);
	write_seed("patch-reserve-full", s.b, s.n);

	/* Receives and peeks with a real deadline that has passed. */
	ps_start(&s, 4, 1, 0, 20, 3, 70, 0, timed_ops);
	write_seed("patch-timed-ops", s.b, s.n);
	ps_start(&s, 4, 0, 0, 6, 1, 50, 0, timed_ops);
	ps_patch64(&s, RING_MAP_OFF, 0);
	write_seed("patch-timed-uncommitted", s.b, s.n);

	/* A hostile peer writing while the consumer drains. */
	ps_start(&s, 4, 0, 0, 8, 1, 50, 0, mixed_ops);
	ps_late64(&s, offsetof(struct ring_hdr, tail), 1u << 30);
	write_seed("late-tail-far", s.b, s.n);
	ps_start(&s, 4, 0, 0, 8, 1, 50, 0, mixed_ops);
	ps_late64(&s, offsetof(struct ring_hdr, head), 0);
	ps_late64(&s, offsetof(struct ring_hdr, released), 0);
	write_seed("late-head-back", s.b, s.n);
	ps_start(&s, 4, 0, 0, 8, 1, 50, 0, recv_ops);
	ps_late32(&s, d1 + 64, 0xffffffc0u | RING_REC_DATA);
	ps_late32(&s, d1 + 128 + 4, 0xfffffff0u);
	write_seed("late-records", s.b, s.n);
	ps_start(&s, 4 | 1 | 8, 0, 0, 4, 1, 200, 0, rsv_ops);
	ps_late64(&s, offsetof(struct ring_hdr, capacity), 1u << 20);
	ps_late64(&s, offsetof(struct ring_hdr, max_message), 1u << 20);
	ps_late64(&s, RING_MAP_OFF + 8, 65);
	write_seed("late-header-and-map", s.b, s.n);

	/* A header written from scratch over zeros. */
	memset(&h, 0, sizeof(h));
	h.magic = RING_MAGIC;
	h.version = RING_VERSION;
	h.hdr_size = RING_HDR_SIZE;
	h.capacity = CAP;
	h.max_message = CAP / 2 - IPC_RING_RECORD_HEADER;
	h.slot_off = RING_SLOT_OFF;
	h.map_off = RING_MAP_OFF;
	h.data_off = d1;
	h.total_size = d1 + CAP;
	ps_start(&s, 0, 0, 0, 0, 0, 0, 0, mixed_ops);
	ps_patch(&s, 0, &h, 64);
	ps_patch64(&s, offsetof(struct ring_hdr, tail), 64);
	ps_patch64(&s, RING_MAP_OFF, 1);
	ps_patch32(&s, d1, 64 | RING_REC_DATA);
	ps_patch32(&s, d1 + 4, 5);
	ps_patch(&s, d1 + 16, "hello", 5);
	write_seed("patch-handmade", s.b, s.n);
}

int main(int argc, char **argv)
{
	outdir = argc > 1 ? argv[1] : "core/fuzz/corpus/ring";
	raw_seeds();
	patch_seeds();
	printf("gen_ring_seeds: %d seeds in %s\n", nseeds, outdir);
	return 0;
}
