/* SPDX-License-Identifier: MIT */
/*
 * frame.c - whole messages on a byte stream: a 4-byte little-endian length,
 * then the payload (docs/frame.md).
 *
 * Receiving reads ahead into a buffer owned by the handle; bytes stay there
 * until a whole frame has arrived, whatever deadlines or signals cut the
 * calls short. The buffer holds at most limit + 4 bytes: an announced
 * length is checked against the limit before anything is allocated for it
 * (libzmq#1488), and it grows only to what the frame at its head needs.
 * A large payload that ipc_frame_recv() can take whole is read straight
 * into the caller's buffer instead (one copy fewer, no growing); if the
 * call ends early, what arrived is moved into the handle's buffer.
 *
 * Sending writes the header and the payload with one writev, so that a
 * frame of at most PIPE_BUF bytes is one atomic write on a pipe. A frame
 * that is part written when the deadline passes is finished from a copy
 * kept in the handle, before anything else goes out: the stream never
 * carries a torn frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "internal.h"
#include "ipc/frame.h"

/* Read-ahead buffer size, and what a large buffer shrinks back to. */
#define FRAME_READ_AHEAD ((size_t)64 << 10)
/* Payloads from this size on go straight into the caller's buffer. */
#define FRAME_DIRECT_MIN ((size_t)64 << 10)

/* Payloads up to this size are copied next to their header and sent in
 * one segment (see ipc_frame_send()). */
#define FRAME_COALESCE 1024

struct ipc_frame {
	struct ipc__io io;
	unsigned int flags;
	size_t limit;
	/* Receive side: rbuf[rstart..rend) is read and not delivered. */
	unsigned char *rbuf;
	size_t rcap;
	size_t rstart;
	size_t rend;
	ipc_status rbroken; /* sticky: -EMSGSIZE, -ECONNRESET, -ENOMEM */
	/* Send side: pend[poff..plen) is the unsent rest of a frame. */
	unsigned char *pend;
	size_t poff;
	size_t plen;
	ipc_status wbroken; /* sticky: a frame was torn (-ENOMEM) */
};

ipc_status ipc_frame_encode_header(unsigned char *hdr, size_t len)
{
	uint64_t v = len;

	if (v > UINT32_MAX)
		return -EMSGSIZE;
	hdr[0] = (unsigned char)(v & 0xff);
	hdr[1] = (unsigned char)((v >> 8) & 0xff);
	hdr[2] = (unsigned char)((v >> 16) & 0xff);
	hdr[3] = (unsigned char)((v >> 24) & 0xff);
	return 0;
}

ipc_status ipc_frame_decode_header(const unsigned char *hdr, size_t limit,
                                   size_t *len)
{
	uint64_t v = (uint64_t)hdr[0] | (uint64_t)hdr[1] << 8 |
	             (uint64_t)hdr[2] << 16 | (uint64_t)hdr[3] << 24;

	*len = 0;
	if (v > (uint64_t)limit)
		return -EMSGSIZE;
	*len = (size_t)v;
	return 0;
}

/* The read-ahead a handle starts with: never more than one frame needs. */
static size_t base_capacity(const ipc_frame *f)
{
	return f->limit < FRAME_READ_AHEAD - IPC_FRAME_HEADER_SIZE
	               ? f->limit + IPC_FRAME_HEADER_SIZE
	               : FRAME_READ_AHEAD;
}

ipc_status ipc_frame_open(ipc_frame **out, int fd, size_t limit,
                          unsigned int flags)
{
	struct ipc__io io;
	ipc_frame *f;
	ipc_status st;

	*out = NULL;
	if (flags & ~IPC_FRAME_OWN_FD)
		return -EINVAL;
	if (limit == 0)
		limit = IPC_FRAME_DEFAULT_LIMIT;
	if ((uint64_t)limit > (uint64_t)IPC_FRAME_MAX_LIMIT ||
	    (uint64_t)limit > (uint64_t)SIZE_MAX - IPC_FRAME_HEADER_SIZE)
		return -EINVAL;
	if (fd < 0)
		return -EBADF;
	st = ipc__io_init(&io, fd);
	if (st)
		return st;
	if (!(io.flags & IPC__IO_STREAM))
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	f->io = io;
	f->flags = flags;
	f->limit = limit;
	*out = f;
	return 0;
}

/*
 * Forget what was delivered. An empty buffer that grew for a large frame
 * goes back to the read-ahead size, so one big message does not pin its
 * memory for the life of the handle.
 */
static void recv_settle(ipc_frame *f)
{
	unsigned char *p;
	size_t base;

	if (f->rstart != f->rend)
		return;
	f->rstart = 0;
	f->rend = 0;
	base = base_capacity(f);
	if (f->rcap > base) {
		p = realloc(f->rbuf, base);
		if (p != NULL) {
			f->rbuf = p;
			f->rcap = base;
		}
	}
}

/*
 * Make room for @need bytes from the head of the buffer on: move the
 * undelivered bytes to the front, then grow to exactly @need if that is
 * still short. @need is at most limit + 4.
 */
static ipc_status recv_room(ipc_frame *f, size_t need)
{
	size_t avail = f->rend - f->rstart;
	size_t cap;
	unsigned char *p;

	if (f->rcap - f->rstart >= need)
		return 0;
	if (f->rstart > 0) {
		if (avail > 0)
			memmove(f->rbuf, f->rbuf + f->rstart, avail);
		f->rstart = 0;
		f->rend = avail;
	}
	if (f->rcap >= need)
		return 0;
	cap = need > base_capacity(f) ? need : base_capacity(f);
	p = realloc(f->rbuf, cap);
	if (p == NULL)
		return -ENOMEM;
	f->rbuf = p;
	f->rcap = cap;
	return 0;
}

/*
 * Have @need bytes buffered from the head on, reading until @d. End of
 * stream with nothing buffered is -EPIPE; inside a frame it breaks the
 * handle with -ECONNRESET.
 */
static ipc_status recv_fill(ipc_frame *f, size_t need, ipc_deadline d)
{
	ipc_status st;
	size_t n;

	while (f->rend - f->rstart < need) {
		st = recv_room(f, need);
		if (st)
			return st;
		st = ipc__io_read(&f->io, f->rbuf + f->rend, f->rcap - f->rend,
		                  &n, d);
		if (st)
			return st;
		if (n == 0) {
			if (f->rend == f->rstart)
				return -EPIPE;
			f->rbroken = -ECONNRESET;
			return f->rbroken;
		}
		f->rend += n;
	}
	return 0;
}

/* Wait for the header at the head of the buffer and check its length. */
static ipc_status recv_header(ipc_frame *f, size_t *len, ipc_deadline d)
{
	ipc_status st;

	*len = 0;
	if (f->rbroken)
		return f->rbroken;
	recv_settle(f);
	st = recv_fill(f, IPC_FRAME_HEADER_SIZE, d);
	if (st)
		return st;
	st = ipc_frame_decode_header(f->rbuf + f->rstart, f->limit, len);
	if (st)
		f->rbroken = st;
	return st;
}

/*
 * Read the rest of a large payload straight into the caller's @buf: no
 * copy through the handle and no growing it. If the call ends early, what
 * has arrived goes back behind the header in the handle's buffer, as if it
 * had been read there. The buffer holds part of this frame and nothing
 * after it.
 */
static ipc_status recv_direct(ipc_frame *f, unsigned char *buf, size_t len,
                              ipc_deadline d)
{
	size_t kept = f->rend - f->rstart - IPC_FRAME_HEADER_SIZE;
	size_t have = kept;
	ipc_status st = 0;
	ipc_status err;
	size_t n;

	memcpy(buf, f->rbuf + f->rstart + IPC_FRAME_HEADER_SIZE, kept);
	while (have < len) {
		st = ipc__io_read(&f->io, buf + have, len - have, &n, d);
		if (st)
			break;
		if (n == 0) {
			f->rbroken = -ECONNRESET;
			return f->rbroken;
		}
		have += n;
	}
	if (have == len) {
		f->rstart = f->rend;
		return 0;
	}
	if (have > kept) {
		err = recv_room(f, IPC_FRAME_HEADER_SIZE + have);
		if (err) {
			/* The bytes that arrived are lost: so is the stream. */
			f->rbroken = err;
			return err;
		}
		memcpy(f->rbuf + f->rend, buf + kept, have - kept);
		f->rend += have - kept;
	}
	return st;
}

ipc_status ipc_frame_recv(ipc_frame *f, void *buf, size_t cap, size_t *nread,
                          ipc_deadline d)
{
	ipc_status st;
	size_t len;

	*nread = 0;
	if (f == NULL)
		return -EBADF;
	st = recv_header(f, &len, d);
	if (st)
		return st;
	if (len > cap) {
		*nread = len;
		return -EMSGSIZE;
	}
	if (len >= FRAME_DIRECT_MIN &&
	    f->rend - f->rstart < IPC_FRAME_HEADER_SIZE + len) {
		st = recv_direct(f, buf, len, d);
		if (st)
			return st;
		recv_settle(f);
		*nread = len;
		return 0;
	}
	st = recv_fill(f, IPC_FRAME_HEADER_SIZE + len, d);
	if (st)
		return st;
	if (len > 0)
		memcpy(buf, f->rbuf + f->rstart + IPC_FRAME_HEADER_SIZE, len);
	f->rstart += IPC_FRAME_HEADER_SIZE + len;
	recv_settle(f);
	*nread = len;
	return 0;
}

ipc_status ipc_frame_recv_borrow(ipc_frame *f, const void **data, size_t *len,
                                 ipc_deadline d)
{
	ipc_status st;
	size_t n;

	*data = NULL;
	*len = 0;
	if (f == NULL)
		return -EBADF;
	st = recv_header(f, &n, d);
	if (st)
		return st;
	st = recv_fill(f, IPC_FRAME_HEADER_SIZE + n, d);
	if (st)
		return st;
	/* The bytes stay where they are until the next call settles. */
	*data = f->rbuf + f->rstart + IPC_FRAME_HEADER_SIZE;
	*len = n;
	f->rstart += IPC_FRAME_HEADER_SIZE + n;
	return 0;
}

ipc_status ipc_frame_read(ipc_frame *f, void *buf, size_t cap, size_t *nread,
                          ipc_deadline d)
{
	size_t avail;
	size_t n;

	*nread = 0;
	if (f == NULL)
		return -EBADF;
	if (buf == NULL || cap == 0)
		return -EINVAL;
	avail = f->rend - f->rstart;
	if (avail == 0)
		return ipc__io_read(&f->io, buf, cap, nread, d);
	/* Bytes read ahead come first, whatever frame they were part of. */
	n = avail < cap ? avail : cap;
	memcpy(buf, f->rbuf + f->rstart, n);
	f->rstart += n;
	recv_settle(f);
	*nread = n;
	return 0;
}

static bool send_may_retry(ipc_status st)
{
	return st == -EAGAIN || st == -ETIMEDOUT || st == -EINTR;
}

ipc_status ipc_frame_flush(ipc_frame *f, ipc_deadline d)
{
	ipc_status st;
	size_t n;

	if (f == NULL)
		return -EBADF;
	if (f->wbroken)
		return f->wbroken;
	if (f->poff == f->plen)
		return 0;
	st = ipc__io_write(&f->io, f->pend + f->poff, f->plen - f->poff, &n, d);
	f->poff += n;
	if (f->poff < f->plen)
		return st ? st : -EIO;
	free(f->pend);
	f->pend = NULL;
	f->poff = 0;
	f->plen = 0;
	return 0;
}

/*
 * Keep the unsent rest of a frame of which @done bytes went out. Without
 * memory for it the frame is torn and the stream lost: say so for good.
 */
static ipc_status send_keep_rest(ipc_frame *f, const unsigned char *hdr,
                                 const unsigned char *buf, size_t len,
                                 size_t done)
{
	size_t rest = IPC_FRAME_HEADER_SIZE + len - done;
	size_t k = 0;

	f->pend = malloc(rest);
	if (f->pend == NULL) {
		f->wbroken = -ENOMEM;
		return f->wbroken;
	}
	if (done < IPC_FRAME_HEADER_SIZE) {
		k = IPC_FRAME_HEADER_SIZE - done;
		memcpy(f->pend, hdr + done, k);
	}
	if (rest > k)
		memcpy(f->pend + k, buf + (len - (rest - k)), rest - k);
	f->poff = 0;
	f->plen = rest;
	return 0;
}

ipc_status ipc_frame_send(ipc_frame *f, const void *buf, size_t len,
                          ipc_deadline d)
{
	unsigned char small[IPC_FRAME_HEADER_SIZE + FRAME_COALESCE];
	unsigned char hdr[IPC_FRAME_HEADER_SIZE];
	struct iovec iov[2];
	ipc_status st;
	size_t n;

	if (f == NULL)
		return -EBADF;
	if ((uint64_t)len > (uint64_t)f->limit)
		return -EMSGSIZE;
	st = ipc_frame_flush(f, d);
	if (st)
		return st;
	st = ipc_frame_encode_header(hdr, len);
	if (st)
		return st;
	if (len <= FRAME_COALESCE) {
		/* A small frame is copied behind its header and written as
		 * one segment: a plain write(2) is cheaper than a two-part
		 * writev(2), and the copy costs less than the difference. */
		memcpy(small, hdr, sizeof(hdr));
		if (len > 0)
			memcpy(small + sizeof(hdr), buf, len);
		iov[0].iov_base = small;
		iov[0].iov_len = sizeof(hdr) + len;
		st = ipc__io_writev(&f->io, iov, 1, &n, d);
	} else {
		iov[0].iov_base = hdr;
		iov[0].iov_len = sizeof(hdr);
		iov[1].iov_base = (void *)buf;
		iov[1].iov_len = len;
		st = ipc__io_writev(&f->io, iov, 2, &n, d);
	}
	if (st == 0 || n == 0)
		return st;
	if (send_keep_rest(f, hdr, buf, len, n))
		return f->wbroken;
	return send_may_retry(st) ? 0 : st;
}

size_t ipc_frame_pending(const ipc_frame *f)
{
	return f != NULL ? f->plen - f->poff : 0;
}

size_t ipc_frame_buffered(const ipc_frame *f)
{
	return f != NULL ? f->rend - f->rstart : 0;
}

bool ipc_frame_ready(const ipc_frame *f)
{
	size_t have, len;

	if (f == NULL)
		return false;
	if (f->rbroken)
		return true;
	have = f->rend - f->rstart;
	if (have < IPC_FRAME_HEADER_SIZE)
		return false;
	/* An over-limit header is ready too: the receive reports it. */
	if (ipc_frame_decode_header(f->rbuf + f->rstart, f->limit, &len) != 0)
		return true;
	return have - IPC_FRAME_HEADER_SIZE >= len;
}

size_t ipc_frame_limit(const ipc_frame *f)
{
	return f != NULL ? f->limit : 0;
}

int ipc_frame_fd(const ipc_frame *f)
{
	return f != NULL ? f->io.fd : -1;
}

ipc_status ipc_frame_close(ipc_frame *f)
{
	ipc_status st = 0;

	if (f == NULL)
		return 0;
	if (f->flags & IPC_FRAME_OWN_FD)
		st = ipc__close(f->io.fd);
	free(f->rbuf);
	free(f->pend);
	free(f);
	return st;
}
