/* SPDX-License-Identifier: MIT */
/*
 * fuzz_frame.c - fuzz target 1 (RELIABILITY.md 3.4): the frame decoder.
 *
 * Input layout:
 *
 *   byte 0     mode: bit 0 a pipe (else a stream socketpair); bits 1-2 the
 *              receive call: 0 ipc_frame_recv, 1 ipc_frame_recv_borrow,
 *              2 both in turn, 3 ipc_frame_recv with a small buffer first
 *              (-EMSGSIZE, then again with room); bit 3 the rest is a
 *              stream program (below), else the stream itself; bit 4 the
 *              round trip over a pipe (else a socketpair)
 *   bytes 1-2  the limit, u16 LE: v >> 14 picks a scale for m = v & 0x3fff:
 *              0: m (0 is the default limit), 1: m << 4, 2: m << 6,
 *              3: 65528 + (m & 15) (around the read-ahead size)
 *   bytes 3-6  four chunk sizes used in turn: 0 is 65536, 255 is 4097
 *   byte 7     the small buffer of receive mode 3
 *   bytes 8-9  u16 LE: length / 4 of the long round-trip payload
 *   the rest   the byte stream
 *
 * Stream program (mode bit 3), so that short inputs reach large frames:
 * op < 0x80: op + 1 literal bytes follow; op >= 0x80: a run of
 * ((op & 0x7f) << 16 | u16 LE) bytes of the value in the byte after; the
 * stream stops at 256 KiB. Chunks grow so that a stream takes at most about
 * 256 writes.
 *
 * The stream goes into the write end chunk by chunk; after each chunk a
 * frame handle on the read end drains it with IPC_DEADLINE_NOW. A one-shot
 * reference decoder over the whole stream must agree on every delivered
 * message, on -EMSGSIZE for a length over the limit (as soon as its header
 * is in), on -ECONNRESET for a cut frame and -EPIPE at a boundary once the
 * writer is gone. Every message complete in the stream must be delivered
 * before the handle says -EAGAIN, and what the handle keeps buffered must
 * be exactly what was written and not yet delivered; ipc_frame_ready()
 * is false then, and never true before a receive that would wait. Under
 * a sanitizer, no frame call allocates more than limit + 4 bytes (or the
 * 64 KiB read-ahead), whatever length a header announces.
 *
 * Then the round trip: the rest of the input, a payload of the chosen
 * length cut from it and an empty payload go through ipc_frame_send() and
 * come back whole from ipc_frame_recv() over a second pair, everything
 * with IPC_DEADLINE_NOW so that sends stop part way and leave their rest
 * queued in the handle.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_HEADER     10
#define FZ_STREAM_MAX ((size_t)256 << 10)
/* At most about this many writes per stream: chunks grow with it. */
#define FZ_MAX_CHUNKS 256

#define FZ_CHECK(c)                                                            \
	do {                                                                   \
		if (!(c))                                                      \
			fz_fail(__LINE__, #c);                                 \
	} while (0)

static void fz_fail(int line, const char *what)
{
	fprintf(stderr, "fuzz_frame.c:%d: check failed: %s\n", line, what);
	abort();
}

static size_t le16(const uint8_t *p)
{
	return (size_t)p[0] | (size_t)p[1] << 8;
}

static size_t le32(const uint8_t *p)
{
	return le16(p) | le16(p + 2) << 16;
}

/*
 * Allocations made inside the frame calls, seen through the sanitizer's
 * malloc hook (when there is a sanitizer runtime): none may be larger
 * than the handle's limit plus a header, or the 64 KiB read-ahead.
 */
int __sanitizer_install_malloc_and_free_hooks(
        void (*malloc_hook)(const volatile void *, size_t),
        void (*free_hook)(const volatile void *)) __attribute__((weak));

static _Thread_local int fz_watching;
static _Thread_local size_t fz_largest;

static void fz_malloc_hook(const volatile void *p, size_t n)
{
	(void)p;
	if (fz_watching && n > fz_largest)
		fz_largest = n;
}

static void fz_free_hook(const volatile void *p)
{
	(void)p;
}

static void watch_begin(void)
{
	static int installed;

	if (!installed && __sanitizer_install_malloc_and_free_hooks != NULL)
		__sanitizer_install_malloc_and_free_hooks(fz_malloc_hook,
		                                          fz_free_hook);
	installed = 1;
	fz_largest = 0;
	fz_watching = 1;
}

static void watch_end(size_t limit)
{
	size_t bound = limit + IPC_FRAME_HEADER_SIZE;

	fz_watching = 0;
	if (bound < ((size_t)64 << 10))
		bound = (size_t)64 << 10;
	if (fz_largest > bound)
		fprintf(stderr, "allocated %zu bytes, limit %zu\n", fz_largest,
		        limit);
	FZ_CHECK(fz_largest <= bound);
}

static ipc_status fz_recv(ipc_frame *f, void *buf, size_t cap, size_t *n,
                          ipc_deadline d)
{
	size_t limit = ipc_frame_limit(f);
	ipc_status st;

	watch_begin();
	st = ipc_frame_recv(f, buf, cap, n, d);
	watch_end(limit);
	return st;
}

static ipc_status fz_borrow(ipc_frame *f, const void **data, size_t *n,
                            ipc_deadline d)
{
	size_t limit = ipc_frame_limit(f);
	ipc_status st;

	watch_begin();
	st = ipc_frame_recv_borrow(f, data, n, d);
	watch_end(limit);
	return st;
}

static ipc_status fz_send(ipc_frame *f, const void *buf, size_t len,
                          ipc_deadline d)
{
	size_t limit = ipc_frame_limit(f);
	ipc_status st;

	watch_begin();
	st = ipc_frame_send(f, buf, len, d);
	watch_end(limit);
	return st;
}

static ipc_status fz_flush(ipc_frame *f, ipc_deadline d)
{
	size_t limit = ipc_frame_limit(f);
	ipc_status st;

	watch_begin();
	st = ipc_frame_flush(f, d);
	watch_end(limit);
	return st;
}

/*
 * The reference decoder: the next event of @s[0..@n) from *@pos on with
 * @limit. Returns 0 with the message at *@off, *@len (and moves *@pos on),
 * or the status the stream ends with: -EPIPE (at a boundary),
 * -ECONNRESET (a cut header or payload), -EMSGSIZE (*@off is where the
 * bad header ends).
 */
static int ref_next(const uint8_t *s, size_t n, size_t limit, size_t *pos,
                    size_t *off, size_t *len)
{
	size_t p = *pos;
	uint64_t v;

	*off = 0;
	*len = 0;
	if (p == n)
		return -EPIPE;
	if (n - p < 4)
		return -ECONNRESET;
	v = (uint64_t)s[p] | (uint64_t)s[p + 1] << 8 |
	    (uint64_t)s[p + 2] << 16 | (uint64_t)s[p + 3] << 24;
	*off = p + 4;
	if (v > limit)
		return -EMSGSIZE;
	if (n - p - 4 < v)
		return -ECONNRESET;
	*len = (size_t)v;
	*pos = p + 4 + (size_t)v;
	return 0;
}

/* Expand a stream program into a buffer of at most FZ_STREAM_MAX. */
static uint8_t *expand(const uint8_t *p, size_t n, size_t *out_len)
{
	uint8_t *s = malloc(FZ_STREAM_MAX);
	size_t len = 0, i = 0, k;

	FZ_CHECK(s != NULL);
	while (i < n && len < FZ_STREAM_MAX) {
		uint8_t op = p[i++];

		if (op < 0x80) {
			k = (size_t)op + 1;
			if (k > n - i)
				k = n - i;
			if (k > FZ_STREAM_MAX - len)
				k = FZ_STREAM_MAX - len;
			memcpy(s + len, p + i, k);
			i += k;
		} else {
			if (n - i < 3)
				break;
			k = (size_t)(op & 0x7f) << 16 | le16(p + i);
			if (k > FZ_STREAM_MAX - len)
				k = FZ_STREAM_MAX - len;
			memset(s + len, p[i + 2], k);
			i += 3;
		}
		len += k;
	}
	*out_len = len;
	return s;
}

static void make_pair(int use_pipe, int fds[2])
{
	if (use_pipe)
		FZ_CHECK(pipe2(fds, O_CLOEXEC) == 0);
	else
		FZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
		                    fds) == 0);
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	FZ_CHECK(fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0);
}

struct diff {
	ipc_frame *f;
	int api;
	const uint8_t *s; /* the whole stream */
	size_t n;
	size_t limit;
	size_t pos;   /* reference: bytes delivered */
	size_t fed;   /* bytes written into the stream */
	int end;      /* the status the handle ended with, or 0 */
	size_t calls; /* receive calls so far, for mode 2 */
	unsigned char *big;
	size_t big_cap;
	unsigned char *small;
	size_t small_cap;
	int retry_big; /* mode 3: the last call said the buffer was short */
};

/* One receive call as the mode says; *@msg, *@len: what it delivered. */
static ipc_status diff_recv(struct diff *t, const void **msg, size_t *len)
{
	int borrow = t->api == 1 || (t->api == 2 && (t->calls & 1));
	unsigned char *buf = t->big;
	size_t cap = t->big_cap;
	ipc_status st;

	t->calls++;
	if (borrow) {
		st = fz_borrow(t->f, msg, len, IPC_DEADLINE_NOW);
		FZ_CHECK(st == 0 ? *msg != NULL : *msg == NULL && *len == 0);
		return st;
	}
	if (t->api == 3 && !t->retry_big) {
		buf = t->small;
		cap = t->small_cap;
	}
	t->retry_big = 0;
	st = fz_recv(t->f, buf, cap, len, IPC_DEADLINE_NOW);
	*msg = buf;
	if (st == -EMSGSIZE && *len > 0) {
		/* The buffer was short: the message stays queued. */
		FZ_CHECK(*len > cap);
		t->retry_big = 1;
		return 1;
	}
	FZ_CHECK(st == 0 || *len == 0);
	return st;
}

/*
 * Receive until the handle would wait (or for good once the writer is
 * gone, @final), checking each result against the reference.
 */
static void diff_drain(struct diff *t, int final)
{
	size_t pos, off, len, got;
	const void *msg;
	ipc_status st;
	int want, ready;

	while (!t->end) {
		/* A poller's question: a whole frame (or the end) is here. */
		ready = ipc_frame_ready(t->f);
		st = diff_recv(t, &msg, &got);
		FZ_CHECK(!ready || st != -EAGAIN);
		pos = t->pos;
		want = ref_next(t->s, t->n, t->limit, &pos, &off, &len);
		if (st == 1) {
			/* A short buffer: the message at the head is that
			 * long, and its header is in. */
			FZ_CHECK(want == 0 || want == -ECONNRESET);
			FZ_CHECK(t->fed >= t->pos + 4);
			FZ_CHECK(le32(t->s + t->pos) == got);
			continue;
		}
		if (st == -EAGAIN) {
			FZ_CHECK(!final);
			/* Nothing complete was held back, and the handle
			 * holds exactly what was written and not taken. */
			if (want == 0)
				FZ_CHECK(t->fed < pos);
			if (want == -EMSGSIZE)
				FZ_CHECK(t->fed < off);
			FZ_CHECK(ipc_frame_buffered(t->f) == t->fed - t->pos);
			FZ_CHECK(!ipc_frame_ready(t->f));
			return;
		}
		if (st == 0) {
			FZ_CHECK(want == 0);
			FZ_CHECK(pos <= t->fed);
			FZ_CHECK(got == len);
			FZ_CHECK(len == 0 || memcmp(msg, t->s + off, len) == 0);
			t->pos = pos;
			continue;
		}
		/* The end of the stream. */
		FZ_CHECK(st == want);
		if (st == -EMSGSIZE)
			FZ_CHECK(off <= t->fed);
		else
			FZ_CHECK(final && t->fed == t->n);
		t->end = st;
		/* It stays there; a broken stream says so without a read. */
		FZ_CHECK(ipc_frame_ready(t->f) == (t->end != -EPIPE));
		st = diff_recv(t, &msg, &got);
		FZ_CHECK(st == t->end);
	}
}

static void run_diff(int mode, size_t limit, const uint8_t *chunk_codes,
                     size_t small_cap, const uint8_t *s, size_t n)
{
	size_t chunks[4], k, i = 0;
	struct diff t;
	ssize_t w;
	int fds[2];

	for (k = 0; k < 4; k++) {
		chunks[k] = chunk_codes[k] == 0     ? 65536
		            : chunk_codes[k] == 255 ? 4097
		                                    : chunk_codes[k];
		if (chunks[k] < n / FZ_MAX_CHUNKS)
			chunks[k] = n / FZ_MAX_CHUNKS + chunk_codes[k];
	}
	memset(&t, 0, sizeof(t));
	t.api = (mode >> 1) & 3;
	t.s = s;
	t.n = n;
	make_pair(mode & 1, fds);
	set_nonblock(fds[1]);
	FZ_CHECK(ipc_frame_open(&t.f, fds[0], limit, IPC_FRAME_OWN_FD) == 0);
	t.limit = ipc_frame_limit(t.f);
	FZ_CHECK(t.limit == (limit ? limit : IPC_FRAME_DEFAULT_LIMIT));
	/* Exactly sized buffers, so that a write past @cap is caught. */
	t.big_cap = t.limit;
	t.big = malloc(t.big_cap);
	t.small_cap = small_cap;
	t.small = malloc(small_cap ? small_cap : 1);
	FZ_CHECK(t.big != NULL && t.small != NULL);

	while (t.fed < n && !t.end) {
		k = chunks[i++ & 3];
		if (k > n - t.fed)
			k = n - t.fed;
		if (mode & 1)
			w = write(fds[1], s + t.fed, k);
		else
			w = send(fds[1], s + t.fed, k, MSG_NOSIGNAL);
		if (w < 0)
			FZ_CHECK(errno == EAGAIN);
		else
			t.fed += (size_t)w;
		diff_drain(&t, 0);
	}
	FZ_CHECK(close(fds[1]) == 0);
	if (!t.end) {
		FZ_CHECK(t.fed == n);
		diff_drain(&t, 1);
	}
	FZ_CHECK(ipc_frame_close(t.f) == 0);
	free(t.big);
	free(t.small);
}

/*
 * The round trip: @nmsg payloads sent with ipc_frame_send() come back
 * whole and in order, with every call at IPC_DEADLINE_NOW. Payloads over
 * the limit are refused before anything goes out, and skipped.
 */
static void run_roundtrip(int use_pipe, int borrow, size_t limit,
                          const uint8_t *const *msgs, const size_t *lens,
                          size_t nmsg)
{
	size_t sent = 0, got = 0, len, prev_pend, prev_buf, spins = 0;
	const uint8_t *ok_msgs[8];
	size_t ok_lens[8], nok = 0, i;
	ipc_frame *tx, *rx;
	unsigned char *buf;
	const void *msg;
	ipc_status st;
	int fds[2], moved;

	FZ_CHECK(nmsg <= 8);
	make_pair(use_pipe, fds);
	FZ_CHECK(ipc_frame_open(&rx, fds[0], limit, IPC_FRAME_OWN_FD) == 0);
	FZ_CHECK(ipc_frame_open(&tx, fds[1], limit, IPC_FRAME_OWN_FD) == 0);
	limit = ipc_frame_limit(tx);
	buf = malloc(limit);
	FZ_CHECK(buf != NULL);

	for (i = 0; i < nmsg; i++) {
		if (lens[i] <= limit) {
			ok_msgs[nok] = msgs[i];
			ok_lens[nok++] = lens[i];
			continue;
		}
		FZ_CHECK(fz_send(tx, msgs[i], lens[i], IPC_DEADLINE_NOW) ==
		         -EMSGSIZE);
		FZ_CHECK(ipc_frame_pending(tx) == 0);
	}
	while (got < nok) {
		prev_pend = ipc_frame_pending(tx);
		prev_buf = ipc_frame_buffered(rx);
		moved = 0;
		if (sent < nok) {
			st = fz_send(tx, ok_msgs[sent], ok_lens[sent],
			             IPC_DEADLINE_NOW);
			FZ_CHECK(st == 0 || st == -EAGAIN);
			if (st == 0) {
				sent++;
				moved = 1;
			}
		} else if (prev_pend > 0) {
			st = fz_flush(tx, IPC_DEADLINE_NOW);
			FZ_CHECK(st == 0 || st == -EAGAIN);
			FZ_CHECK(st != 0 || ipc_frame_pending(tx) == 0);
			moved = ipc_frame_pending(tx) < prev_pend;
		}
		if (borrow) {
			st = fz_borrow(rx, &msg, &len, IPC_DEADLINE_NOW);
		} else {
			st = fz_recv(rx, buf, limit, &len, IPC_DEADLINE_NOW);
			msg = buf;
		}
		if (st == 0) {
			/* Only what a send has taken can arrive. */
			FZ_CHECK(got < sent);
			FZ_CHECK(len == ok_lens[got]);
			FZ_CHECK(len == 0 ||
			         memcmp(msg, ok_msgs[got], len) == 0);
			got++;
			spins = 0;
			continue;
		}
		FZ_CHECK(st == -EAGAIN);
		/* Something moved: a send, a flush or a read. */
		if (moved || ipc_frame_buffered(rx) > prev_buf)
			spins = 0;
		else
			FZ_CHECK(++spins < 3);
	}
	FZ_CHECK(ipc_frame_pending(tx) == 0);
	FZ_CHECK(ipc_frame_buffered(rx) == 0);
	FZ_CHECK(ipc_frame_close(tx) == 0);
	st = fz_recv(rx, buf, limit, &len, IPC_DEADLINE_NOW);
	FZ_CHECK(st == -EPIPE && len == 0);
	FZ_CHECK(ipc_frame_close(rx) == 0);
	free(buf);
}

/* The header API alone: encode then decode gives the length back. */
static void check_header(const uint8_t *s, size_t n, size_t limit)
{
	unsigned char hdr[IPC_FRAME_HEADER_SIZE];
	size_t len, v;

	if (n < 4)
		return;
	v = le32(s);
	FZ_CHECK(ipc_frame_encode_header(hdr, v) == 0);
	FZ_CHECK(memcmp(hdr, s, 4) == 0);
	if (v > limit) {
		FZ_CHECK(ipc_frame_decode_header(hdr, limit, &len) ==
		         -EMSGSIZE);
		FZ_CHECK(len == 0);
	} else {
		FZ_CHECK(ipc_frame_decode_header(hdr, limit, &len) == 0);
		FZ_CHECK(len == v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest, *msgs[3];
	size_t n, limit, m, lens[3], rt_len, i;
	uint8_t *stream = NULL, *cut = NULL;
	int mode;

	if (size < FZ_HEADER)
		return 0;
	mode = data[0];
	m = le16(data + 1) & 0x3fff;
	switch (le16(data + 1) >> 14) {
	case 0:
		limit = m;
		break;
	case 1:
		limit = m << 4;
		break;
	case 2:
		limit = m << 6;
		break;
	default:
		limit = 65528 + (m & 15);
		break;
	}
	rest = data + FZ_HEADER;
	n = size - FZ_HEADER;

	if (mode & 8) {
		stream = expand(rest, n, &n);
		rest = stream;
	}
	check_header(rest, n, limit ? limit : IPC_FRAME_DEFAULT_LIMIT);
	run_diff(mode, limit, data + 3, data[7], rest, n);

	/* The round trip: the input itself, a payload of the chosen length
	 * made from it, and an empty one. */
	rt_len = le16(data + 8) * 4;
	cut = malloc(rt_len ? rt_len : 1);
	FZ_CHECK(cut != NULL);
	for (i = 0; i < rt_len; i++)
		cut[i] = n ? rest[i % n] : (uint8_t)i;
	msgs[0] = rest;
	lens[0] = n;
	msgs[1] = cut;
	lens[1] = rt_len;
	msgs[2] = cut;
	lens[2] = 0;
	run_roundtrip(!!(mode & 16), ((mode >> 1) & 3) == 1, limit, msgs, lens,
	              3);
	free(cut);
	free(stream);
	return 0;
}
