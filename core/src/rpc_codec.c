/* SPDX-License-Identifier: MIT */
/*
 * rpc_codec.c - the MessagePack subset of ipc/rpc.h: nil, booleans,
 * integers, floats, UTF-8 strings, byte strings, arrays and maps.
 * docs/rpc.md has the table of type bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ipc/rpc.h"
#include "rpc_internal.h"

/* ---- encoder ---------------------------------------------------------- */

void ipc_rpc_enc_init(struct ipc_rpc_enc *e, size_t limit)
{
	e->data = NULL;
	e->len = 0;
	e->cap = 0;
	e->limit = limit ? limit : IPC_RPC_DEFAULT_MAX;
	e->status = 0;
}

void ipc_rpc_enc_reset(struct ipc_rpc_enc *e)
{
	e->len = 0;
	e->status = 0;
}

void ipc_rpc_enc_free(struct ipc_rpc_enc *e)
{
	free(e->data);
	e->data = NULL;
	e->len = 0;
	e->cap = 0;
	e->status = 0;
}

ipc_status ipc_rpc_enc_status(const struct ipc_rpc_enc *e)
{
	return e->status;
}

/* Room for @n more bytes, or a sticky failure; returns where they go. */
static unsigned char *reserve(struct ipc_rpc_enc *e, size_t n)
{
	size_t want;
	size_t cap;
	unsigned char *p;

	if (e->status)
		return NULL;
	if (n > e->limit || e->len > e->limit - n) {
		e->status = -EMSGSIZE;
		return NULL;
	}
	want = e->len + n;
	if (want > e->cap) {
		cap = e->cap ? e->cap : 64;
		while (cap < want)
			cap = cap > SIZE_MAX / 2 ? want : cap * 2;
		if (cap > e->limit)
			cap = e->limit;
		p = realloc(e->data, cap);
		if (p == NULL) {
			e->status = -ENOMEM;
			return NULL;
		}
		e->data = p;
		e->cap = cap;
	}
	p = e->data + e->len;
	e->len += n;
	return p;
}

static void put_be(unsigned char *p, uint64_t v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

/* One type byte followed by @n big-endian bytes of @v. */
static void put_typed(struct ipc_rpc_enc *e, unsigned char type, uint64_t v,
                      int n)
{
	unsigned char *p = reserve(e, 1 + (size_t)n);

	if (p == NULL)
		return;
	p[0] = type;
	put_be(p + 1, v, n);
}

void ipc_rpc_put_nil(struct ipc_rpc_enc *e)
{
	put_typed(e, 0xc0, 0, 0);
}

void ipc_rpc_put_bool(struct ipc_rpc_enc *e, bool v)
{
	put_typed(e, v ? 0xc3 : 0xc2, 0, 0);
}

void ipc_rpc_put_uint(struct ipc_rpc_enc *e, uint64_t v)
{
	if (v <= 0x7f)
		put_typed(e, (unsigned char)v, 0, 0);
	else if (v <= 0xff)
		put_typed(e, 0xcc, v, 1);
	else if (v <= 0xffff)
		put_typed(e, 0xcd, v, 2);
	else if (v <= 0xffffffffu)
		put_typed(e, 0xce, v, 4);
	else
		put_typed(e, 0xcf, v, 8);
}

void ipc_rpc_put_int(struct ipc_rpc_enc *e, int64_t v)
{
	if (v >= 0)
		ipc_rpc_put_uint(e, (uint64_t)v);
	else if (v >= -32)
		put_typed(e, (unsigned char)(0xe0 | (v & 0x1f)), 0, 0);
	else if (v >= INT8_MIN)
		put_typed(e, 0xd0, (uint64_t)v, 1);
	else if (v >= INT16_MIN)
		put_typed(e, 0xd1, (uint64_t)v, 2);
	else if (v >= INT32_MIN)
		put_typed(e, 0xd2, (uint64_t)v, 4);
	else
		put_typed(e, 0xd3, (uint64_t)v, 8);
}

void ipc_rpc_put_float(struct ipc_rpc_enc *e, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	put_typed(e, 0xcb, bits, 8);
}

/* A length-prefixed header: the fix form (when @fix), then 8, 16, 32. */
static void put_header(struct ipc_rpc_enc *e, size_t len, unsigned int fix,
                       size_t fixmax, unsigned char t8, unsigned char t16,
                       unsigned char t32)
{
	if (e->status)
		return;
	if (len > 0xffffffffu) {
		e->status = -EMSGSIZE;
		return;
	}
	if (fixmax && len <= fixmax)
		put_typed(e, (unsigned char)(fix | len), 0, 0);
	else if (t8 && len <= 0xff)
		put_typed(e, t8, len, 1);
	else if (len <= 0xffff)
		put_typed(e, t16, len, 2);
	else
		put_typed(e, t32, len, 4);
}

static void put_body(struct ipc_rpc_enc *e, const void *p, size_t len)
{
	unsigned char *dst;

	if (len == 0 || e->status)
		return;
	dst = reserve(e, len);
	if (dst != NULL)
		memcpy(dst, p, len);
}

void ipc_rpc_put_str(struct ipc_rpc_enc *e, const char *s, size_t len)
{
	if (e->status)
		return;
	if (!ipc_rpc_utf8_valid(s, len)) {
		e->status = -EILSEQ;
		return;
	}
	put_header(e, len, 0xa0, 31, 0xd9, 0xda, 0xdb);
	put_body(e, s, len);
}

void ipc_rpc_put_bytes(struct ipc_rpc_enc *e, const void *p, size_t len)
{
	put_header(e, len, 0, 0, 0xc4, 0xc5, 0xc6);
	put_body(e, p, len);
}

void ipc_rpc_put_list(struct ipc_rpc_enc *e, uint32_t count)
{
	put_header(e, count, 0x90, 15, 0, 0xdc, 0xdd);
}

void ipc_rpc_put_map(struct ipc_rpc_enc *e, uint32_t count)
{
	put_header(e, count, 0x80, 15, 0, 0xde, 0xdf);
}

void ipc__rpc_put_raw(struct ipc_rpc_enc *e, const void *p, size_t len)
{
	put_body(e, p, len);
}

/* ---- UTF-8 ------------------------------------------------------------ */

bool ipc_rpc_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;
	unsigned char lo;
	unsigned char hi;
	size_t n;
	size_t i;

	if (len == 0)
		return true;
	if (s == NULL)
		return false;
	while (p < end) {
		if (p[0] < 0x80) {
			p++;
			continue;
		}
		/* Table 3-7 of the Unicode standard: the second byte's range
		 * rules out overlongs, surrogates and values past U+10FFFF. */
		lo = 0x80;
		hi = 0xbf;
		if (p[0] >= 0xc2 && p[0] <= 0xdf) {
			n = 2;
		} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
			n = 3;
			if (p[0] == 0xe0)
				lo = 0xa0;
			else if (p[0] == 0xed)
				hi = 0x9f;
		} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
			n = 4;
			if (p[0] == 0xf0)
				lo = 0x90;
			else if (p[0] == 0xf4)
				hi = 0x8f;
		} else {
			return false;
		}
		if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
			return false;
		for (i = 2; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

/* ---- decoder ---------------------------------------------------------- */

void ipc_rpc_dec_init(struct ipc_rpc_dec *d, const void *data, size_t len)
{
	d->start = data;
	d->p = data;
	d->end = d->p + len;
	d->depth = 0;
	d->left[0] = 1;
}

static uint64_t get_be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static ipc_status bad(const struct ipc_rpc_dec *d, const unsigned char *at,
                      const char *what)
{
	return ipc__detail(-EPROTO, "rpc: %s at offset %zu", what,
	                   (size_t)(at - d->start));
}

/* Which family a type byte belongs to, and how many length bytes follow. */
enum fam {
	F_BAD,
	F_NIL,
	F_FALSE,
	F_TRUE,
	F_UINT,
	F_INT,
	F_F32,
	F_F64,
	F_STR,
	F_BIN,
	F_LIST,
	F_MAP
};

static enum fam classify(unsigned char t, int *n, uint64_t *fixv)
{
	*n = 0;
	*fixv = 0;
	if (t <= 0x7f) {
		*fixv = t;
		return F_UINT;
	}
	if (t >= 0xe0) {
		*fixv = (uint64_t)(int64_t)(int8_t)t;
		return F_INT;
	}
	if (t >= 0x80 && t <= 0x8f) {
		*fixv = t & 0x0f;
		return F_MAP;
	}
	if (t >= 0x90 && t <= 0x9f) {
		*fixv = t & 0x0f;
		return F_LIST;
	}
	if (t >= 0xa0 && t <= 0xbf) {
		*fixv = t & 0x1f;
		return F_STR;
	}
	switch (t) {
	case 0xc0:
		return F_NIL;
	case 0xc2:
		return F_FALSE;
	case 0xc3:
		return F_TRUE;
	case 0xc4:
		*n = 1;
		return F_BIN;
	case 0xc5:
		*n = 2;
		return F_BIN;
	case 0xc6:
		*n = 4;
		return F_BIN;
	case 0xca:
		*n = 4;
		return F_F32;
	case 0xcb:
		*n = 8;
		return F_F64;
	case 0xcc:
		*n = 1;
		return F_UINT;
	case 0xcd:
		*n = 2;
		return F_UINT;
	case 0xce:
		*n = 4;
		return F_UINT;
	case 0xcf:
		*n = 8;
		return F_UINT;
	case 0xd0:
		*n = 1;
		return F_INT;
	case 0xd1:
		*n = 2;
		return F_INT;
	case 0xd2:
		*n = 4;
		return F_INT;
	case 0xd3:
		*n = 8;
		return F_INT;
	case 0xd9:
		*n = 1;
		return F_STR;
	case 0xda:
		*n = 2;
		return F_STR;
	case 0xdb:
		*n = 4;
		return F_STR;
	case 0xdc:
		*n = 2;
		return F_LIST;
	case 0xdd:
		*n = 4;
		return F_LIST;
	case 0xde:
		*n = 2;
		return F_MAP;
	case 0xdf:
		*n = 4;
		return F_MAP;
	default:
		return F_BAD; /* 0xc1, ext, fixext */
	}
}

/* Sign-extend the low @n bytes of @v. */
static int64_t sext(uint64_t v, int n)
{
	int shift = 64 - 8 * n;

	if (n == 8)
		return (int64_t)v;
	return (int64_t)(v << shift) >> shift;
}

ipc_status ipc_rpc_dec_next(struct ipc_rpc_dec *d, struct ipc_rpc_item *item)
{
	const unsigned char *at = d->p;
	unsigned char t;
	uint64_t v;
	uint64_t count;
	enum fam f;
	int n;
	float f32;
	double f64;

	while (d->depth > 0 && d->left[d->depth] == 0)
		d->depth--;
	if (d->left[d->depth] == 0)
		return -ENODATA;
	if (at >= d->end)
		return bad(d, at, "truncated value");
	t = *at;
	f = classify(t, &n, &v);
	if (f == F_BAD)
		return ipc__detail(
		        -EPROTO,
		        "rpc: unsupported MessagePack type 0x%02x at offset %zu",
		        t, (size_t)(at - d->start));
	if ((size_t)(d->end - at - 1) < (size_t)n)
		return bad(d, at, "truncated value");
	if (n)
		v = get_be(at + 1, n);
	d->p = at + 1 + n;
	memset(item, 0, sizeof(*item));
	switch (f) {
	case F_NIL:
		item->kind = IPC_RPC_NIL;
		break;
	case F_FALSE:
	case F_TRUE:
		item->kind = IPC_RPC_BOOL;
		item->v.b = f == F_TRUE;
		break;
	case F_UINT:
		item->kind = v > INT64_MAX ? IPC_RPC_UINT : IPC_RPC_INT;
		item->v.u = v;
		break;
	case F_INT:
		item->kind = IPC_RPC_INT;
		item->v.i = n ? sext(v, n) : (int64_t)v;
		break;
	case F_F32:
		memcpy(&f32, &(uint32_t){(uint32_t)v}, sizeof(f32));
		item->kind = IPC_RPC_FLOAT;
		item->v.f = f32;
		break;
	case F_F64:
		memcpy(&f64, &v, sizeof(f64));
		item->kind = IPC_RPC_FLOAT;
		item->v.f = f64;
		break;
	case F_STR:
	case F_BIN:
		if ((uint64_t)(d->end - d->p) < v) {
			d->p = at;
			return bad(d, at, "truncated string");
		}
		item->kind = f == F_STR ? IPC_RPC_STR : IPC_RPC_BYTES;
		item->v.s.p = (const char *)d->p;
		item->v.s.len = (size_t)v;
		if (f == F_STR && !ipc_rpc_utf8_valid(item->v.s.p, (size_t)v)) {
			d->p = at;
			return bad(d, at, "invalid UTF-8 in a string");
		}
		d->p += v;
		break;
	case F_LIST:
	case F_MAP:
		count = f == F_MAP ? 2 * v : v;
		if (count > (uint64_t)(d->end - d->p)) {
			d->p = at;
			return bad(d, at, "count larger than the bytes left");
		}
		if (d->depth + 1 > IPC_RPC_MAX_DEPTH) {
			d->p = at;
			return bad(d, at, "nesting deeper than 64");
		}
		item->kind = f == F_MAP ? IPC_RPC_MAP : IPC_RPC_LIST;
		item->v.count = (uint32_t)v;
		d->left[d->depth]--;
		if (count) {
			d->depth++;
			d->left[d->depth] = count;
		}
		return 0;
	default:
		break;
	}
	d->left[d->depth]--;
	return 0;
}

ipc_status ipc_rpc_dec_finish(const struct ipc_rpc_dec *d)
{
	unsigned int i;

	for (i = 0; i <= d->depth; i++)
		if (d->left[i])
			return bad(d, d->p, "unfinished value");
	if (d->p != d->end)
		return bad(d, d->p, "bytes after the value");
	return 0;
}

ipc_status ipc__rpc_dec_value(struct ipc_rpc_dec *d, struct ipc_rpc_item *it,
                              const unsigned char **p, size_t *len)
{
	struct ipc_rpc_item sub;
	unsigned int base;
	ipc_status st;

	while (d->depth > 0 && d->left[d->depth] == 0)
		d->depth--;
	base = d->depth;
	*p = d->p;
	st = ipc_rpc_dec_next(d, it);
	if (st)
		return st;
	while (d->depth > base) {
		if (d->left[d->depth] == 0) {
			d->depth--;
			continue;
		}
		st = ipc_rpc_dec_next(d, &sub);
		if (st)
			return st;
	}
	*len = (size_t)(d->p - *p);
	return 0;
}
