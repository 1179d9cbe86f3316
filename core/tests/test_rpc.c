/* SPDX-License-Identifier: MIT */
/*
 * test_rpc.c - ipc/rpc.h: the codec (forms, known MessagePack bytes,
 * malformed input, limits) and the transport over every URL kind it
 * takes, with a server in a forked child.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ipc/chan.h"
#include "ipc/rpc.h"
#include "ipc/url.h"

/* ---- codec helpers ----------------------------------------------------- */

static void enc_bytes(struct ipc_rpc_enc *e, const void *want, size_t n)
{
	CHECK_OK(ipc_rpc_enc_status(e));
	CHECK_EQ(e->len, n);
	CHECK_MEM_EQ(e->data, want, n);
}

/* Decode exactly one item (a scalar) from @buf. */
static struct ipc_rpc_item dec_one(const void *buf, size_t len)
{
	struct ipc_rpc_dec d;
	struct ipc_rpc_item it;
	struct ipc_rpc_item end;

	ipc_rpc_dec_init(&d, buf, len);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK_ERR(ipc_rpc_dec_next(&d, &end), -ENODATA);
	CHECK_OK(ipc_rpc_dec_finish(&d));
	return it;
}

static void check_int_form(int64_t v, const char *hex)
{
	unsigned char want[16];
	struct ipc_rpc_enc e;
	struct ipc_rpc_item it;
	size_t n = strlen(hex) / 2;
	size_t i;

	for (i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &want[i]);
	ipc_rpc_enc_init(&e, 0);
	ipc_rpc_put_int(&e, v);
	enc_bytes(&e, want, n);
	it = dec_one(e.data, e.len);
	CHECK_EQ(it.kind, IPC_RPC_INT);
	CHECK(it.v.i == v);
	ipc_rpc_enc_free(&e);
}

static void test_int_forms(void)
{
	check_int_form(0, "00");
	check_int_form(31, "1f");
	check_int_form(32, "20");
	check_int_form(127, "7f");
	check_int_form(128, "cc80");
	check_int_form(255, "ccff");
	check_int_form(256, "cd0100");
	check_int_form(65535, "cdffff");
	check_int_form(65536, "ce00010000");
	check_int_form(4294967295LL, "ceffffffff");
	check_int_form(4294967296LL, "cf0000000100000000");
	check_int_form(INT64_MAX, "cf7fffffffffffffff");
	check_int_form(-1, "ff");
	check_int_form(-32, "e0");
	check_int_form(-33, "d0df");
	check_int_form(-128, "d080");
	check_int_form(-129, "d1ff7f");
	check_int_form(-32768, "d18000");
	check_int_form(-32769, "d2ffff7fff");
	check_int_form(INT32_MIN, "d280000000");
	check_int_form((int64_t)INT32_MIN - 1, "d3ffffffff7fffffff");
	check_int_form(INT64_MIN, "d38000000000000000");
}

static void test_uint_and_float(void)
{
	static const unsigned char umax[] = {0xcf, 0xff, 0xff, 0xff, 0xff,
	                                     0xff, 0xff, 0xff, 0xff};
	static const unsigned char mzero[] = {0xcb, 0x80, 0, 0, 0, 0, 0, 0, 0};
	static const unsigned char onehalf[] = {0xcb, 0x3f, 0xf8, 0, 0,
	                                        0,    0,    0,    0};
	double vals[] = {-0.0, NAN, INFINITY, -INFINITY, 1e308, 5e-324};
	struct ipc_rpc_enc e;
	struct ipc_rpc_item it;
	size_t i;

	ipc_rpc_enc_init(&e, 0);
	ipc_rpc_put_uint(&e, UINT64_MAX);
	enc_bytes(&e, umax, sizeof(umax));
	it = dec_one(e.data, e.len);
	CHECK_EQ(it.kind, IPC_RPC_UINT);
	CHECK(it.v.u == UINT64_MAX);
	ipc_rpc_enc_reset(&e);
	ipc_rpc_put_uint(&e, (uint64_t)INT64_MAX + 1);
	it = dec_one(e.data, e.len);
	CHECK_EQ(it.kind, IPC_RPC_UINT);
	ipc_rpc_enc_reset(&e);
	ipc_rpc_put_uint(&e, 5);
	it = dec_one(e.data, e.len);
	CHECK_EQ(it.kind, IPC_RPC_INT);
	CHECK_EQ(it.v.i, 5);
	ipc_rpc_enc_reset(&e);
	ipc_rpc_put_float(&e, -0.0);
	enc_bytes(&e, mzero, sizeof(mzero));
	ipc_rpc_enc_reset(&e);
	ipc_rpc_put_float(&e, 1.5);
	enc_bytes(&e, onehalf, sizeof(onehalf));
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		ipc_rpc_enc_reset(&e);
		ipc_rpc_put_float(&e, vals[i]);
		it = dec_one(e.data, e.len);
		CHECK_EQ(it.kind, IPC_RPC_FLOAT);
		CHECK(memcmp(&it.v.f, &vals[i], sizeof(double)) == 0);
	}
	ipc_rpc_enc_free(&e);
}

/* A header of a sized form: @n bytes of big-endian length after @t. */
static void check_header(const unsigned char *p, unsigned char t, int n,
                         size_t len)
{
	size_t got = 0;
	int i;

	CHECK_EQ(p[0], t);
	for (i = 0; i < n; i++)
		got = got << 8 | p[1 + i];
	if (n)
		CHECK_EQ(got, len);
}

static void test_sized_forms(void)
{
	static const size_t lens[] = {0,   15,  16,    31,   32,
	                              255, 256, 65535, 65536};
	struct ipc_rpc_enc e;
	struct ipc_rpc_dec d;
	struct ipc_rpc_item it;
	char *text;
	size_t len;
	size_t i;
	size_t k;

	text = malloc(65536);
	CHECK(text != NULL);
	memset(text, 'x', 65536);
	ipc_rpc_enc_init(&e, 0);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		len = lens[i];
		/* str */
		ipc_rpc_enc_reset(&e);
		ipc_rpc_put_str(&e, text, len);
		CHECK_OK(ipc_rpc_enc_status(&e));
		if (len <= 31)
			check_header(e.data, (unsigned char)(0xa0 | len), 0,
			             len);
		else if (len <= 255)
			check_header(e.data, 0xd9, 1, len);
		else if (len <= 65535)
			check_header(e.data, 0xda, 2, len);
		else
			check_header(e.data, 0xdb, 4, len);
		it = dec_one(e.data, e.len);
		CHECK_EQ(it.kind, IPC_RPC_STR);
		CHECK_EQ(it.v.s.len, len);
		/* bin */
		ipc_rpc_enc_reset(&e);
		ipc_rpc_put_bytes(&e, text, len);
		check_header(e.data,
		             len <= 255     ? 0xc4
		             : len <= 65535 ? 0xc5
		                            : 0xc6,
		             len <= 255     ? 1
		             : len <= 65535 ? 2
		                            : 4,
		             len);
		it = dec_one(e.data, e.len);
		CHECK_EQ(it.kind, IPC_RPC_BYTES);
		CHECK_EQ(it.v.s.len, len);
		CHECK(len == 0 || memcmp(it.v.s.p, text, len) == 0);
		/* array and map of nils */
		for (k = 0; k < 2; k++) {
			ipc_rpc_enc_reset(&e);
			if (k)
				ipc_rpc_put_map(&e, (uint32_t)len);
			else
				ipc_rpc_put_list(&e, (uint32_t)len);
			for (size_t j = 0; j < len * (k + 1); j++)
				ipc_rpc_put_nil(&e);
			CHECK_OK(ipc_rpc_enc_status(&e));
			if (len <= 15)
				check_header(e.data,
				             (unsigned char)((k ? 0x80 : 0x90) |
				                             len),
				             0, len);
			else if (len <= 65535)
				check_header(e.data, k ? 0xde : 0xdc, 2, len);
			else
				check_header(e.data, k ? 0xdf : 0xdd, 4, len);
			ipc_rpc_dec_init(&d, e.data, e.len);
			CHECK_OK(ipc_rpc_dec_next(&d, &it));
			CHECK_EQ(it.kind, k ? IPC_RPC_MAP : IPC_RPC_LIST);
			CHECK_EQ(it.v.count, len);
			for (size_t j = 0; j < len * (k + 1); j++) {
				CHECK_OK(ipc_rpc_dec_next(&d, &it));
				CHECK_EQ(it.kind, IPC_RPC_NIL);
			}
			CHECK_ERR(ipc_rpc_dec_next(&d, &it), -ENODATA);
			CHECK_OK(ipc_rpc_dec_finish(&d));
		}
	}
	ipc_rpc_enc_free(&e);
	free(text);
}

/* Every kind in one nested value, and back. */
static void test_roundtrip_all_kinds(void)
{
	static const char utf[] = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80";
	struct ipc_rpc_enc e;
	struct ipc_rpc_dec d;
	struct ipc_rpc_item it;

	ipc_rpc_enc_init(&e, 0);
	ipc_rpc_put_map(&e, 2);
	ipc_rpc_put_str(&e, "k", 1);
	ipc_rpc_put_list(&e, 9);
	ipc_rpc_put_nil(&e);
	ipc_rpc_put_bool(&e, true);
	ipc_rpc_put_bool(&e, false);
	ipc_rpc_put_int(&e, -7);
	ipc_rpc_put_uint(&e, UINT64_MAX);
	ipc_rpc_put_float(&e, 2.25);
	ipc_rpc_put_str(&e, utf, strlen(utf));
	ipc_rpc_put_bytes(&e, "\0\xff", 2);
	ipc_rpc_put_list(&e, 0);
	ipc_rpc_put_int(&e, 1); /* a non-string key */
	ipc_rpc_put_map(&e, 0);
	CHECK_OK(ipc_rpc_enc_status(&e));

	ipc_rpc_dec_init(&d, e.data, e.len);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK(it.kind == IPC_RPC_MAP && it.v.count == 2);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK(it.kind == IPC_RPC_STR && it.v.s.len == 1 && it.v.s.p[0] == 'k');
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK(it.kind == IPC_RPC_LIST && it.v.count == 9);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK_EQ(it.kind, IPC_RPC_NIL);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK(it.kind == IPC_RPC_BOOL && it.v.b);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK(it.kind == IPC_RPC_BOOL && !it.v.b);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK(it.kind == IPC_RPC_INT && it.v.i == -7);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK(it.kind == IPC_RPC_UINT && it.v.u == UINT64_MAX);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK(it.kind == IPC_RPC_FLOAT && it.v.f == 2.25);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK(it.kind == IPC_RPC_STR && it.v.s.len == strlen(utf));
	CHECK_MEM_EQ(it.v.s.p, utf, strlen(utf));
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK(it.kind == IPC_RPC_BYTES && it.v.s.len == 2);
	CHECK_MEM_EQ(it.v.s.p, "\0\xff", 2);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK(it.kind == IPC_RPC_LIST && it.v.count == 0);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK(it.kind == IPC_RPC_INT && it.v.i == 1);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK(it.kind == IPC_RPC_MAP && it.v.count == 0);
	CHECK_ERR(ipc_rpc_dec_next(&d, &it), -ENODATA);
	CHECK_ERR(ipc_rpc_dec_next(&d, &it), -ENODATA);
	CHECK_OK(ipc_rpc_dec_finish(&d));
	ipc_rpc_enc_free(&e);
}

/* Known MessagePack bytes, written from the specification by hand. */
static void test_known_vectors(void)
{
	static const unsigned char map_a1[] = {0x81, 0xa1, 0x61, 0x01};
	static const unsigned char list[] = {0x95, 0x01, 0xa1, 0x78,
	                                     0xc0, 0xc3, 0xc2};
	static const unsigned char f32[] = {0xca, 0x3f, 0xc0, 0x00, 0x00};
	static const unsigned char i16[] = {0xd1, 0x00, 0x05};
	static const unsigned char u8[] = {0xcc, 0x05};
	static const unsigned char i64[] = {0xd3, 0, 0, 0, 0, 0, 0, 0, 0x2a};
	static const unsigned char str32[] = {0xdb, 0, 0, 0, 2, 'h', 'i'};
	static const unsigned char str8[] = {0xd9, 0x01, 'z'};
	static const unsigned char arr16[] = {0xdc, 0x00, 0x01, 0x07};
	static const unsigned char map32[] = {0xdf, 0, 0, 0, 1, 0xc0, 0xc0};
	struct ipc_rpc_enc e;
	struct ipc_rpc_dec d;
	struct ipc_rpc_item it;

	ipc_rpc_enc_init(&e, 0);
	ipc_rpc_put_map(&e, 1);
	ipc_rpc_put_str(&e, "a", 1);
	ipc_rpc_put_int(&e, 1);
	enc_bytes(&e, map_a1, sizeof(map_a1));
	ipc_rpc_enc_reset(&e);
	ipc_rpc_put_list(&e, 5);
	ipc_rpc_put_int(&e, 1);
	ipc_rpc_put_str(&e, "x", 1);
	ipc_rpc_put_nil(&e);
	ipc_rpc_put_bool(&e, true);
	ipc_rpc_put_bool(&e, false);
	enc_bytes(&e, list, sizeof(list));
	ipc_rpc_enc_free(&e);

	/* Forms the encoder never emits still decode. */
	it = dec_one(f32, sizeof(f32));
	CHECK(it.kind == IPC_RPC_FLOAT && it.v.f == 1.5);
	it = dec_one(i16, sizeof(i16));
	CHECK(it.kind == IPC_RPC_INT && it.v.i == 5);
	it = dec_one(u8, sizeof(u8));
	CHECK(it.kind == IPC_RPC_INT && it.v.i == 5);
	it = dec_one(i64, sizeof(i64));
	CHECK(it.kind == IPC_RPC_INT && it.v.i == 42);
	it = dec_one(str32, sizeof(str32));
	CHECK(it.kind == IPC_RPC_STR && it.v.s.len == 2);
	CHECK_MEM_EQ(it.v.s.p, "hi", 2);
	it = dec_one(str8, sizeof(str8));
	CHECK(it.kind == IPC_RPC_STR && it.v.s.len == 1);
	ipc_rpc_dec_init(&d, arr16, sizeof(arr16));
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK(it.kind == IPC_RPC_LIST && it.v.count == 1);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK(it.kind == IPC_RPC_INT && it.v.i == 7);
	CHECK_ERR(ipc_rpc_dec_next(&d, &it), -ENODATA);
	ipc_rpc_dec_init(&d, map32, sizeof(map32));
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK(it.kind == IPC_RPC_MAP && it.v.count == 1);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK_ERR(ipc_rpc_dec_next(&d, &it), -ENODATA);
	CHECK_OK(ipc_rpc_dec_finish(&d));
}

/* Decode all of @buf: the first failure, or 0 when it is one value. */
static ipc_status dec_all(const void *buf, size_t len)
{
	struct ipc_rpc_dec d;
	struct ipc_rpc_item it;
	ipc_status st;

	ipc_rpc_dec_init(&d, buf, len);
	while ((st = ipc_rpc_dec_next(&d, &it)) == 0)
		;
	if (st != -ENODATA)
		return st;
	return ipc_rpc_dec_finish(&d);
}

static void test_malformed(void)
{
	static const unsigned char ok[] = {
	        0x82, 0xa1, 0x61, 0x92, 0x01, 0xcd, 0x01, 0x00, 0xc4, 0x01,
	        0x00, 0xcb, 0x3f, 0xf8, 0,    0,    0,    0,    0,    0};
	static const unsigned char *bad[] = {
	        (const unsigned char *)"\x01\xc1",
	        (const unsigned char *)"\x01\xc7", /* ext 8 */
	        (const unsigned char *)"\x01\xc8",
	        (const unsigned char *)"\x01\xc9",
	        (const unsigned char *)"\x01\xd4", /* fixext */
	        (const unsigned char *)"\x01\xd5",
	        (const unsigned char *)"\x01\xd6",
	        (const unsigned char *)"\x01\xd7",
	        (const unsigned char *)"\x01\xd8",
	        (const unsigned char *)"\x05\xdd\xff\xff\xff\xff", /* count */
	        (const unsigned char *)"\x05\xdf\x00\x00\x00\x03",
	        (const unsigned char *)"\x05\xdb\xff\xff\xff\xff",
	        (const unsigned char *)"\x03\xa2\xc0\x80", /* overlong */
	        (const unsigned char *)"\x04\xa3\xe0\x80\x80",
	        (const unsigned char *)"\x04\xa3\xed\xa0\x80", /* surrogate */
	        (const unsigned char *)"\x05\xa4\xf4\x90\x80\x80",
	        (const unsigned char *)"\x02\xa1\x80", /* lone continuation */
	        (const unsigned char *)"\x03\xa2\xe2\x82", /* cut sequence */
	        (const unsigned char *)"\x02\xa1\xff",
	        (const unsigned char *)"\x05\xa4\xf8\x88\x80\x80",
	        (const unsigned char *)"\x02\x01\x01", /* bytes after */
	};
	unsigned char deep[IPC_RPC_MAX_DEPTH + 2];
	struct ipc_rpc_dec d;
	struct ipc_rpc_item it;
	size_t i;

	CHECK_OK(dec_all(ok, sizeof(ok)));
	for (i = 0; i < sizeof(ok); i++)
		CHECK_ERR(dec_all(ok, i), -EPROTO);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dec_all(bad[i] + 1, bad[i][0]) != -EPROTO)
			check_fail(__FILE__, __LINE__, "bad input %zu accepted",
			           i);
	}
	CHECK(strstr(ipc_detail(), "offset") != NULL);
	/* An empty buffer, and the type byte in the detail. */
	CHECK_ERR(dec_all("", 0), -EPROTO);
	CHECK_ERR(dec_all("\xc1", 1), -EPROTO);
	CHECK(strstr(ipc_detail(), "0xc1") != NULL);
	CHECK(strstr(ipc_detail(), "offset 0") != NULL);

	/* 64 nested lists decode; 65 do not. */
	memset(deep, 0x91, sizeof(deep));
	deep[IPC_RPC_MAX_DEPTH] = 0xc0;
	CHECK_OK(dec_all(deep, IPC_RPC_MAX_DEPTH + 1));
	memset(deep, 0x91, sizeof(deep));
	deep[IPC_RPC_MAX_DEPTH + 1] = 0xc0;
	CHECK_ERR(dec_all(deep, IPC_RPC_MAX_DEPTH + 2), -EPROTO);
	deep[IPC_RPC_MAX_DEPTH] = 0x90; /* empty, but the 65th */
	CHECK_ERR(dec_all(deep, IPC_RPC_MAX_DEPTH + 1), -EPROTO);

	/* finish before the value ended. */
	ipc_rpc_dec_init(&d, ok, sizeof(ok));
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK_ERR(ipc_rpc_dec_finish(&d), -EPROTO);
}

static void test_utf8(void)
{
	CHECK(ipc_rpc_utf8_valid("", 0));
	CHECK(ipc_rpc_utf8_valid("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
	CHECK(ipc_rpc_utf8_valid("\xef\xbf\xbf", 3));     /* U+FFFF */
	CHECK(ipc_rpc_utf8_valid("\xed\x9f\xbf", 3));     /* U+D7FF */
	CHECK(ipc_rpc_utf8_valid("\xee\x80\x80", 3));     /* U+E000 */
	CHECK(ipc_rpc_utf8_valid("a\0b", 3));
	CHECK(!ipc_rpc_utf8_valid("\xc1\xbf", 2));
	CHECK(!ipc_rpc_utf8_valid("\xf0\x8f\xbf\xbf", 4));
	CHECK(!ipc_rpc_utf8_valid("\xed\xbf\xbf", 3));
	CHECK(!ipc_rpc_utf8_valid("\xf4\x90\x80\x80", 4));
	CHECK(!ipc_rpc_utf8_valid("\xe2\x28\xa1", 3));
}

static void test_encoder_limit_and_errors(void)
{
	struct ipc_rpc_enc e;
	unsigned char big[64] = {0};
	size_t i;

	ipc_rpc_enc_init(&e, 10);
	ipc_rpc_put_bytes(&e, big, 8); /* 10 bytes: exactly the limit */
	CHECK_OK(ipc_rpc_enc_status(&e));
	CHECK_EQ(e.len, 10);
	ipc_rpc_put_nil(&e);
	CHECK_ERR(ipc_rpc_enc_status(&e), -EMSGSIZE);
	ipc_rpc_put_nil(&e); /* sticky: nothing more */
	CHECK_EQ(e.len, 10);
	CHECK_ERR(ipc_rpc_enc_status(&e), -EMSGSIZE);
	ipc_rpc_enc_reset(&e);
	CHECK_OK(ipc_rpc_enc_status(&e));
	ipc_rpc_put_str(&e, "\xff", 1);
	CHECK_ERR(ipc_rpc_enc_status(&e), -EILSEQ);
	ipc_rpc_put_int(&e, 1);
	CHECK_EQ(e.len, 0);
	ipc_rpc_enc_free(&e);

	/* Growth: a million one-byte puts. */
	ipc_rpc_enc_init(&e, 0);
	CHECK_EQ(e.limit, IPC_RPC_DEFAULT_MAX);
	for (i = 0; i < 1000000; i++)
		ipc_rpc_put_int(&e, (int64_t)(i & 0x7f));
	CHECK_OK(ipc_rpc_enc_status(&e));
	CHECK_EQ(e.len, 1000000);
	CHECK(e.cap < 4 * 1000000);
	ipc_rpc_enc_free(&e);
	ipc_rpc_enc_free(&e); /* twice is fine */
}

/* ---- transport --------------------------------------------------------- */

struct srv {
	char url[512];
	int ready; /* write end of a pipe: the server's URL goes there */
	struct ipc_rpc_opts opts;
};

static void enc_int_list(struct ipc_rpc_enc *e, int n, const int64_t *v)
{
	int i;

	ipc_rpc_enc_reset(e);
	ipc_rpc_put_list(e, (uint32_t)n);
	for (i = 0; i < n; i++)
		ipc_rpc_put_int(e, v[i]);
	CHECK_OK(ipc_rpc_enc_status(e));
}

/* The args as integers (at most 4). */
static int args_ints(const struct ipc_rpc_request *r, int64_t *v)
{
	struct ipc_rpc_dec d;
	struct ipc_rpc_item it;
	int n = 0;

	ipc_rpc_dec_init(&d, r->args, r->args_len);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK_EQ(it.kind, IPC_RPC_LIST);
	while (ipc_rpc_dec_next(&d, &it) == 0 && n < 4)
		v[n++] = it.kind == IPC_RPC_INT ? it.v.i : 0;
	return n;
}

/*
 * The test server: add, echo (the first argument back), fail, sleep
 * (ms, then the second argument), never (no answer), exit (no answer:
 * the process ends), quit (answers nil, then closes). Anything else is
 * "no such function: NAME".
 */
static void serve(void *arg)
{
	struct srv *sv = arg;
	struct ipc_rpc_request req;
	struct ipc_rpc_server *s;
	struct ipc_rpc_enc e;
	struct ipc_rpc_dec d;
	struct ipc_rpc_item it;
	const unsigned char *p;
	char msg[300];
	int64_t v[4];
	bool quit = false;
	ipc_status st;

	CHECK_OK(ipc_rpc_server_open(&s, sv->url, &sv->opts));
	snprintf(msg, sizeof(msg), "%s", ipc_rpc_server_url(s));
	CHECK(write(sv->ready, msg, strlen(msg) + 1) > 0);
	close(sv->ready);
	ipc_rpc_enc_init(&e, 0);
	while (!quit) {
		st = ipc_rpc_server_recv(s, &req, ipc_deadline_in_ms(20000));
		CHECK_OK(st);
		CHECK_EQ(strlen(req.method), req.method_len);
		if (strcmp(req.method, "add") == 0) {
			CHECK_EQ(args_ints(&req, v), 2);
			ipc_rpc_enc_reset(&e);
			ipc_rpc_put_int(&e, v[0] + v[1]);
			/* Not one value: refused, then the real answer. */
			CHECK_ERR(ipc_rpc_server_reply(s, &req, "\xc1", 1),
			          -EPROTO);
			CHECK_ERR(ipc_rpc_server_reply(s, &req, "\x01\x01", 2),
			          -EPROTO);
			CHECK_OK(ipc_rpc_server_reply(s, &req, e.data, e.len));
		} else if (strcmp(req.method, "echo") == 0) {
			ipc_rpc_dec_init(&d, req.args, req.args_len);
			CHECK_OK(ipc_rpc_dec_next(&d, &it));
			p = (const unsigned char *)req.args + 1;
			CHECK(it.v.count == 1 && req.args_len > 1);
			CHECK_OK(ipc_rpc_server_reply(s, &req, p,
			                              req.args_len - 1));
		} else if (strcmp(req.method, "fail") == 0) {
			CHECK_OK(ipc_rpc_server_reply_error(
			        s, &req, "boom: \xff bad byte"));
		} else if (strcmp(req.method, "sleep") == 0) {
			CHECK_EQ(args_ints(&req, v), 2);
			usleep((useconds_t)v[0] * 1000);
			ipc_rpc_enc_reset(&e);
			ipc_rpc_put_int(&e, v[1]);
			CHECK_OK(ipc_rpc_server_reply(s, &req, e.data, e.len));
		} else if (strcmp(req.method, "never") == 0) {
			continue;
		} else if (strcmp(req.method, "exit") == 0) {
			ipc_rpc_enc_free(&e);
			ipc_rpc_server_close(s);
			_exit(0);
		} else if (strcmp(req.method, "quit") == 0) {
			CHECK_OK(ipc_rpc_server_reply(s, &req, "\xc0", 1));
			quit = true;
		} else {
			snprintf(msg, sizeof(msg), "no such function: %s",
			         req.method);
			CHECK_OK(ipc_rpc_server_reply_error(s, &req, msg));
		}
	}
	ipc_rpc_enc_free(&e);
	ipc_rpc_server_close(s);
}

enum kind {
	K_UNIX,
	K_UNIXPACKET,
	K_TCP,
	K_RING,
	K_MQ,
	K_FIFO,
	K_SYSVMQ,
	K_UNIXGRAM
};

static void make_url(enum kind k, char *url, size_t cap)
{
	switch (k) {
	case K_UNIX:
		snprintf(url, cap, "unix:%s", check_path("u"));
		break;
	case K_UNIXPACKET:
		snprintf(url, cap, "unixpacket:%s", check_path("p"));
		break;
	case K_TCP:
		snprintf(url, cap, "tcp://127.0.0.1:0");
		break;
	case K_RING:
		snprintf(url, cap, "ring:%s", check_posix_name("r"));
		break;
	case K_MQ:
		snprintf(url, cap, "mq:%s", check_posix_name("m"));
		break;
	case K_FIFO:
		snprintf(url, cap, "fifo:%s", check_path("f"));
		break;
	case K_SYSVMQ:
		snprintf(url, cap, "sysvmq:%d", (int)check_sysv_key());
		break;
	case K_UNIXGRAM:
		snprintf(url, cap, "unixgram:%s", check_path("g"));
		break;
	}
}

/* Start a server in a child; *@url becomes the URL to connect to. */
static pid_t start_server(const char *want, char *url, size_t cap,
                          const struct ipc_rpc_opts *opts)
{
	struct srv sv;
	struct pollfd pfd;
	int fds[2];
	ssize_t n;
	pid_t pid;

	memset(&sv, 0, sizeof(sv));
	snprintf(sv.url, sizeof(sv.url), "%s", want);
	if (opts)
		sv.opts = *opts;
	CHECK(pipe(fds) == 0);
	sv.ready = fds[1];
	pid = check_fork(serve, &sv);
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	CHECK(poll(&pfd, 1, 10000 * check_slow()) == 1);
	n = read(fds[0], url, cap - 1);
	close(fds[0]);
	CHECK(n > 0);
	url[n] = '\0';
	return pid;
}

static ipc_status call_ints(ipc_rpc_client *c, const char *m, int n,
                            const int64_t *v, struct ipc_rpc_reply *rep, int ms)
{
	struct ipc_rpc_enc e;
	ipc_status st;

	ipc_rpc_enc_init(&e, 0);
	enc_int_list(&e, n, v);
	st = ipc_rpc_call(c, m, e.data, e.len, rep, ipc_deadline_in_ms(ms));
	ipc_rpc_enc_free(&e);
	return st;
}

static int64_t result_int(const struct ipc_rpc_reply *rep)
{
	struct ipc_rpc_item it = dec_one(rep->data, rep->len);

	CHECK_EQ(it.kind, IPC_RPC_INT);
	return it.v.i;
}

/*
 * A System V server removes the queue its reply is in when it closes:
 * the reply may be gone before we read it (the call says -EPIPE then).
 */
static void quit_server(ipc_rpc_client *c, pid_t pid)
{
	struct ipc_rpc_reply rep;
	ipc_status st;

	st = call_ints(c, "quit", 0, NULL, &rep, 5000);
	if (st == 0)
		CHECK_EQ(rep.len, 1);
	else if (st != -EPIPE)
		check_fail(__FILE__, __LINE__, "quit: %s", check_errname(st));
	CHECK_CHILD_OK(pid, 10000);
}

static void basic(enum kind k)
{
	static const int64_t two_three[] = {2, 3};
	char want[512];
	char url[512];
	struct ipc_rpc_reply rep;
	struct ipc_rpc_enc e;
	ipc_rpc_client *c;
	struct ipc_rpc_item it;
	struct ipc_rpc_dec d;
	pid_t pid;
	int i;

	make_url(k, want, sizeof(want));
	pid = start_server(want, url, sizeof(url), NULL);
	CHECK_OK(ipc_rpc_client_open(&c, url, NULL, ipc_deadline_in_ms(5000)));
	for (i = 0; i < 20; i++) {
		CHECK_OK(call_ints(c, "add", 2, two_three, &rep, 5000));
		CHECK_EQ(result_int(&rep), 5);
	}
	/* A nested value there and back. */
	ipc_rpc_enc_init(&e, 0);
	ipc_rpc_put_list(&e, 1);
	ipc_rpc_put_map(&e, 1);
	ipc_rpc_put_str(&e, "k", 1);
	ipc_rpc_put_list(&e, 3);
	ipc_rpc_put_float(&e, 0.5);
	ipc_rpc_put_bytes(&e, "\0", 1);
	ipc_rpc_put_nil(&e);
	CHECK_OK(ipc_rpc_call(c, "echo", e.data, e.len, &rep,
	                      ipc_deadline_in_ms(5000)));
	CHECK_EQ(rep.len, e.len - 1);
	CHECK_MEM_EQ(rep.data, e.data + 1, rep.len);
	ipc_rpc_dec_init(&d, rep.data, rep.len);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK_EQ(it.kind, IPC_RPC_MAP);
	ipc_rpc_enc_free(&e);
	/* Remote errors: the message, NUL-terminated, bad UTF-8 replaced. */
	CHECK_ERR(call_ints(c, "fail", 0, NULL, &rep, 5000), -EREMOTEIO);
	CHECK_STR_EQ(rep.data, "boom: \xef\xbf\xbd bad byte");
	CHECK_ERR(call_ints(c, "nope", 0, NULL, &rep, 5000), -EREMOTEIO);
	CHECK_STR_EQ(rep.data, "no such function: nope");
	CHECK_OK(call_ints(c, "add", 2, two_three, &rep, 5000));
	CHECK_EQ(result_int(&rep), 5);
	quit_server(c, pid);
	ipc_rpc_client_close(c);
	/* The server removed its object. */
	if (k != K_TCP)
		CHECK_ERR(ipc_unlink_url(want), -ENOENT);
}

static void test_unix(void)
{
	basic(K_UNIX);
}
static void test_unixpacket(void)
{
	basic(K_UNIXPACKET);
}
static void test_tcp(void)
{
	basic(K_TCP);
}
static void test_ring(void)
{
	basic(K_RING);
}
static void test_mq(void)
{
	basic(K_MQ);
}
static void test_fifo(void)
{
	basic(K_FIFO);
}
static void test_sysvmq(void)
{
	basic(K_SYSVMQ);
}
static void test_unixgram(void)
{
	basic(K_UNIXGRAM);
}

static void timeouts(enum kind k)
{
	static const int64_t slow[] = {400, 7};
	static const int64_t two_three[] = {2, 3};
	char want[512];
	char url[512];
	struct ipc_rpc_reply rep;
	ipc_rpc_client *c;
	ipc_deadline start;
	pid_t pid;

	make_url(k, want, sizeof(want));
	pid = start_server(want, url, sizeof(url), NULL);
	CHECK_OK(ipc_rpc_client_open(&c, url, NULL, ipc_deadline_in_ms(5000)));
	start = ipc_now();
	CHECK_ERR(call_ints(c, "never", 0, NULL, &rep, 200), -ETIMEDOUT);
	CHECK_ELAPSED(start, 200);
	/* A late reply, then ours: the late one is dropped by its id. */
	CHECK_ERR(call_ints(c, "sleep", 2, slow, &rep, 100), -ETIMEDOUT);
	CHECK_OK(call_ints(c, "add", 2, two_three, &rep, 5000));
	CHECK_EQ(result_int(&rep), 5);
	quit_server(c, pid);
	ipc_rpc_client_close(c);
}

static void test_timeout_unix(void)
{
	timeouts(K_UNIX);
}
static void test_timeout_ring(void)
{
	timeouts(K_RING);
}
static void test_timeout_sysvmq(void)
{
	timeouts(K_SYSVMQ);
}

static void gone(enum kind k, ipc_status a, ipc_status b)
{
	char want[512];
	char url[512];
	struct ipc_rpc_reply rep;
	ipc_rpc_client *c;
	ipc_status st;
	pid_t pid;

	make_url(k, want, sizeof(want));
	pid = start_server(want, url, sizeof(url), NULL);
	CHECK_OK(ipc_rpc_client_open(&c, url, NULL, ipc_deadline_in_ms(5000)));
	st = call_ints(c, "exit", 0, NULL, &rep, 500);
	if (st != a && st != b)
		check_fail(__FILE__, __LINE__, "server gone: got %s",
		           check_errname(st));
	CHECK_CHILD_OK(pid, 10000);
	st = call_ints(c, "add", 0, NULL, &rep, 300);
	if (st != a && st != b)
		check_fail(__FILE__, __LINE__, "after: got %s",
		           check_errname(st));
	ipc_rpc_client_close(c);
}

static void test_gone_unix(void)
{
	gone(K_UNIX, -EPIPE, -ECONNRESET);
}
static void test_gone_tcp(void)
{
	gone(K_TCP, -EPIPE, -ECONNRESET);
}
static void test_gone_ring(void)
{
	gone(K_RING, -ETIMEDOUT, -ETIMEDOUT);
}
static void test_gone_mq(void)
{
	gone(K_MQ, -ETIMEDOUT, -ETIMEDOUT);
}
/* The queue itself is gone: said at once. */
static void test_gone_sysvmq(void)
{
	gone(K_SYSVMQ, -EPIPE, -EPIPE);
}

struct cl {
	char url[512];
	int64_t base;
};

static void client_child(void *arg)
{
	struct cl *a = arg;
	struct ipc_rpc_reply rep;
	ipc_rpc_client *c;
	int64_t v[2];
	int i;

	CHECK_OK(ipc_rpc_client_open(&c, a->url, NULL,
	                             ipc_deadline_in_ms(5000)));
	for (i = 0; i < 200; i++) {
		v[0] = a->base;
		v[1] = i;
		CHECK_OK(call_ints(c, "add", 2, v, &rep, 5000));
		CHECK_EQ(result_int(&rep), a->base + i);
	}
	ipc_rpc_client_close(c);
}

static void two_clients(enum kind k)
{
	char want[512];
	struct cl a;
	struct cl b;
	ipc_rpc_client *c;
	pid_t pa;
	pid_t pb;
	pid_t pid;

	make_url(k, want, sizeof(want));
	pid = start_server(want, a.url, sizeof(a.url), NULL);
	memcpy(b.url, a.url, sizeof(b.url));
	a.base = 1000;
	b.base = 5000000;
	pa = check_fork(client_child, &a);
	pb = check_fork(client_child, &b);
	CHECK_CHILD_OK(pa, 20000);
	CHECK_CHILD_OK(pb, 20000);
	CHECK_OK(
	        ipc_rpc_client_open(&c, a.url, NULL, ipc_deadline_in_ms(5000)));
	quit_server(c, pid);
	ipc_rpc_client_close(c);
}

static void test_two_clients_unix(void)
{
	two_clients(K_UNIX);
}
static void test_two_clients_ring(void)
{
	two_clients(K_RING);
}

/* Raw calls a client library would not send. */
static void put_call_head(struct ipc_rpc_enc *e, int64_t version, uint64_t id)
{
	ipc_rpc_enc_reset(e);
	ipc_rpc_put_list(e, 6);
	ipc_rpc_put_int(e, version);
	ipc_rpc_put_int(e, 0);
	ipc_rpc_put_uint(e, id);
	ipc_rpc_put_nil(e);
	ipc_rpc_put_str(e, "add", 3);
}

static void expect_error_reply(ipc_chan *raw, uint64_t id, const char *part)
{
	struct ipc_rpc_dec d;
	struct ipc_rpc_item it;
	const void *data;
	size_t len;

	CHECK_OK(ipc_chan_recv_borrow(raw, &data, &len, NULL,
	                              ipc_deadline_in_ms(5000)));
	ipc_rpc_dec_init(&d, data, len);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK(it.kind == IPC_RPC_LIST && it.v.count == 4);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK_EQ(it.v.i, 1);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK_EQ(it.v.i, 2);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK_EQ(it.v.i, (int64_t)id);
	CHECK_OK(ipc_rpc_dec_next(&d, &it));
	CHECK_EQ(it.kind, IPC_RPC_STR);
	if (memmem(it.v.s.p, it.v.s.len, part, strlen(part)) == NULL)
		check_fail(__FILE__, __LINE__, "error reply \"%.*s\" lacks %s",
		           (int)it.v.s.len, it.v.s.p, part);
}

static void test_malformed_calls_stream(void)
{
	static const int64_t two_three[] = {2, 3};
	char want[512];
	char url[512];
	struct ipc_rpc_reply rep;
	struct ipc_rpc_enc e;
	ipc_rpc_client *c;
	ipc_chan *raw;
	const void *data;
	size_t len;
	size_t n;
	pid_t pid;

	make_url(K_UNIX, want, sizeof(want));
	pid = start_server(want, url, sizeof(url), NULL);
	CHECK_OK(ipc_chan_connect(&raw, url, NULL, ipc_deadline_in_ms(5000)));
	ipc_rpc_enc_init(&e, 0);
	/* Not MessagePack, and no id: skipped silently. */
	CHECK_OK(ipc_chan_send(raw, "\xc1\xc1", 2, ipc_deadline_in_ms(1000)));
	/* An unknown version: refused with an error reply. */
	put_call_head(&e, 2, 7);
	ipc_rpc_put_list(&e, 0);
	CHECK_OK(ipc_chan_send(raw, e.data, e.len, ipc_deadline_in_ms(1000)));
	expect_error_reply(raw, 7, "version 2");
	/* Args not a list. */
	put_call_head(&e, 1, 8);
	ipc_rpc_put_int(&e, 1);
	CHECK_OK(ipc_chan_send(raw, e.data, e.len, ipc_deadline_in_ms(1000)));
	expect_error_reply(raw, 8, "not an array");
	/* Bytes after the call. */
	put_call_head(&e, 1, 9);
	ipc_rpc_put_list(&e, 0);
	ipc_rpc_put_nil(&e);
	CHECK_OK(ipc_chan_send(raw, e.data, e.len, ipc_deadline_in_ms(1000)));
	expect_error_reply(raw, 9, "after");
	/* Garbage framing: the server drops the connection. */
	CHECK_OK(ipc_chan_write(raw, "\xff\xff\xff\xff\xff\xff\xff\xff", 8, &n,
	                        ipc_deadline_in_ms(1000)));
	ipc_status st = ipc_chan_recv_borrow(raw, &data, &len, NULL,
	                                     ipc_deadline_in_ms(5000));
	CHECK(st == -EPIPE || st == -ECONNRESET);
	CHECK_OK(ipc_chan_close(raw));
	ipc_rpc_enc_free(&e);
	/* And still serves. */
	CHECK_OK(ipc_rpc_client_open(&c, url, NULL, ipc_deadline_in_ms(5000)));
	CHECK_OK(call_ints(c, "add", 2, two_three, &rep, 5000));
	CHECK_EQ(result_int(&rep), 5);
	quit_server(c, pid);
	ipc_rpc_client_close(c);
}

static void test_malformed_calls_ring(void)
{
	static const int64_t two_three[] = {2, 3};
	char want[512];
	char url[512];
	char bad_reply[600];
	struct ipc_rpc_reply rep;
	struct ipc_rpc_enc e;
	ipc_rpc_client *c;
	ipc_chan *raw;
	pid_t pid;

	make_url(K_RING, want, sizeof(want));
	pid = start_server(want, url, sizeof(url), NULL);
	CHECK_OK(ipc_chan_open(&raw, url, IPC_O_WRITE, NULL,
	                       ipc_deadline_in_ms(1000)));
	ipc_rpc_enc_init(&e, 0);
	CHECK_OK(ipc_chan_send(raw, "\xc1", 1, ipc_deadline_in_ms(1000)));
	CHECK_OK(ipc_chan_send(raw, "", 0, ipc_deadline_in_ms(1000)));
	/* No reply_to, and one of another kind: nowhere to answer. */
	put_call_head(&e, 1, 3);
	ipc_rpc_put_list(&e, 0);
	CHECK_OK(ipc_chan_send(raw, e.data, e.len, ipc_deadline_in_ms(1000)));
	ipc_rpc_enc_reset(&e);
	ipc_rpc_put_list(&e, 6);
	ipc_rpc_put_int(&e, 1);
	ipc_rpc_put_int(&e, 0);
	ipc_rpc_put_int(&e, 4);
	snprintf(bad_reply, sizeof(bad_reply), "fifo:%s", check_path("x"));
	ipc_rpc_put_str(&e, bad_reply, strlen(bad_reply));
	ipc_rpc_put_str(&e, "add", 3);
	ipc_rpc_put_list(&e, 0);
	CHECK_OK(ipc_chan_send(raw, e.data, e.len, ipc_deadline_in_ms(1000)));
	CHECK_OK(ipc_chan_close(raw));
	ipc_rpc_enc_free(&e);
	CHECK_OK(ipc_rpc_client_open(&c, url, NULL, ipc_deadline_in_ms(5000)));
	CHECK_OK(call_ints(c, "add", 2, two_three, &rep, 5000));
	CHECK_EQ(result_int(&rep), 5);
	quit_server(c, pid);
	ipc_rpc_client_close(c);
}

static void test_unsupported_and_absent(void)
{
	ipc_rpc_server *s = NULL;
	ipc_rpc_client *c = NULL;
	char url[512];
	ipc_status st;

	CHECK_ERR(ipc_rpc_server_open(&s, "udp://127.0.0.1:0", NULL),
	          -EPROTONOSUPPORT);
	CHECK(s == NULL);
	CHECK_ERR(ipc_rpc_server_open(&s, "fd:0", NULL), -EPROTONOSUPPORT);
	CHECK_ERR(ipc_rpc_client_open(&c, "udp://127.0.0.1:9", NULL,
	                              ipc_deadline_in_ms(100)),
	          -EPROTONOSUPPORT);
	CHECK(c == NULL);
	CHECK_ERR(
	        ipc_rpc_client_open(&c, "fd:1", NULL, ipc_deadline_in_ms(100)),
	        -EPROTONOSUPPORT);
	CHECK_ERR(ipc_rpc_server_open(&s, "shm:/x", NULL), -EINVAL);
	CHECK_ERR(ipc_rpc_server_open(&s, "nonsense", NULL), -EINVAL);
	snprintf(url, sizeof(url), "unix:%s", check_path("none"));
	st = ipc_rpc_client_open(&c, url, NULL, ipc_deadline_in_ms(100));
	CHECK(st == -ENOENT || st == -ECONNREFUSED);
	snprintf(url, sizeof(url), "ring:%s", check_posix_name("none"));
	CHECK_ERR(ipc_rpc_client_open(&c, url, NULL, ipc_deadline_in_ms(100)),
	          -ENOENT);
	snprintf(url, sizeof(url), "mq:%s", check_posix_name("none"));
	CHECK_ERR(ipc_rpc_client_open(&c, url, NULL, ipc_deadline_in_ms(100)),
	          -ENOENT);
	ipc_rpc_server_close(NULL);
	ipc_rpc_client_close(NULL);
	CHECK(ipc_rpc_server_url(NULL) == NULL);
}

static void test_limits(void)
{
	char want[512];
	char url[512];
	struct ipc_rpc_opts o = {256, 0};
	struct ipc_rpc_reply rep;
	struct ipc_rpc_enc e;
	ipc_rpc_client *c;
	char big[400];
	pid_t pid;

	memset(big, 'a', sizeof(big));
	make_url(K_UNIX, want, sizeof(want));
	pid = start_server(want, url, sizeof(url), NULL);
	CHECK_OK(ipc_rpc_client_open(&c, url, &o, ipc_deadline_in_ms(5000)));
	ipc_rpc_enc_init(&e, 0);
	ipc_rpc_put_list(&e, 1);
	ipc_rpc_put_str(&e, big, sizeof(big));
	CHECK_ERR(ipc_rpc_call(c, "echo", e.data, e.len, &rep,
	                       ipc_deadline_in_ms(1000)),
	          -EMSGSIZE);
	/* Arguments that are not one list, a method that is not UTF-8. */
	CHECK_ERR(ipc_rpc_call(c, "echo", "\x01", 1, &rep,
	                       ipc_deadline_in_ms(1000)),
	          -EINVAL);
	CHECK_ERR(ipc_rpc_call(c, "\xff", "\x90", 1, &rep,
	                       ipc_deadline_in_ms(1000)),
	          -EINVAL);
	ipc_rpc_enc_free(&e);
	quit_server(c, pid);
	ipc_rpc_client_close(c);
}

/* A call above the server's limit ends that connection, not the server. */
static void test_server_limit(void)
{
	char want[512];
	char url[512];
	struct ipc_rpc_opts o = {300, 0};
	struct ipc_rpc_reply rep;
	struct ipc_rpc_enc e;
	ipc_rpc_client *c;
	char big[290];
	ipc_status st;
	pid_t pid;

	memset(big, 'a', sizeof(big));
	make_url(K_UNIX, want, sizeof(want));
	pid = start_server(want, url, sizeof(url), &o);
	CHECK_OK(ipc_rpc_client_open(&c, url, NULL, ipc_deadline_in_ms(5000)));
	ipc_rpc_enc_init(&e, 0);
	ipc_rpc_put_list(&e, 1);
	ipc_rpc_put_bytes(&e, big, 200);
	CHECK_OK(ipc_rpc_call(c, "echo", e.data, e.len, &rep,
	                      ipc_deadline_in_ms(5000)));
	CHECK_EQ(rep.len, 202);
	ipc_rpc_enc_reset(&e);
	ipc_rpc_put_list(&e, 1);
	ipc_rpc_put_bytes(&e, big, 290); /* the call is over 300 bytes */
	st = ipc_rpc_call(c, "echo", e.data, e.len, &rep,
	                  ipc_deadline_in_ms(5000));
	if (st != -EPIPE && st != -ECONNRESET)
		check_fail(__FILE__, __LINE__, "got %s", check_errname(st));
	ipc_rpc_client_close(c);
	CHECK_OK(ipc_rpc_client_open(&c, url, NULL, ipc_deadline_in_ms(5000)));
	ipc_rpc_enc_free(&e);
	quit_server(c, pid);
	ipc_rpc_client_close(c);
}

/* ---- dead clients' reply objects ----------------------------------------- */

/* statfs' f_type of the POSIX message queue file system (not in
 * <linux/magic.h> on every version). */
#define MQUEUE_FS_MAGIC 0x19800202

static void exit_at_once(void *arg)
{
	(void)arg;
}

/* A pid that existed and is gone: a child that exited and was reaped. */
static pid_t dead_pid(void)
{
	pid_t pid = check_fork(exit_at_once, NULL);
	int status;

	CHECK(waitpid(pid, &status, 0) == pid);
	return pid;
}

/* Make the object of a reply URL as a client would (ring, mq, fifo). */
static void make_reply(enum kind k, const char *url)
{
	ipc_chan *c;

	if (k == K_FIFO) {
		CHECK(mkfifo(strchr(url, ':') + 1, 0600) == 0);
		return;
	}
	CHECK_OK(ipc_chan_open(&c, url, IPC_O_READ | IPC_O_CREATE, NULL,
	                       IPC_DEADLINE_NOW));
	CHECK_OK(ipc_chan_close(c));
}

/* Where a reply URL's object is in the file system. */
static void object_path(enum kind k, const char *url, char *path, size_t cap)
{
	const char *name = strchr(url, ':') + 1;

	if (k == K_RING)
		snprintf(path, cap, "/dev/shm%s", name);
	else if (k == K_MQ)
		snprintf(path, cap, "/dev/mqueue%s", name);
	else
		snprintf(path, cap, "%s", name);
}

/* A server that opens a name removes the reply objects of clients that
 * died (their pid is gone), and keeps a live client's. */
static void sweep(enum kind k)
{
	char url[512], dead[600], live[600], path[700];
	ipc_rpc_server *s;

	make_url(k, url, sizeof(url));
	snprintf(dead, sizeof(dead), "%s.r%ld-7", url, (long)dead_pid());
	snprintf(live, sizeof(live), "%s.r%ld-7", url, (long)getpid());
	make_reply(k, dead);
	make_reply(k, live);
	CHECK_OK(ipc_rpc_server_open(&s, url, NULL));
	object_path(k, dead, path, sizeof(path));
	CHECK(access(path, F_OK) < 0 && errno == ENOENT);
	object_path(k, live, path, sizeof(path));
	CHECK(access(path, F_OK) == 0);
	CHECK_OK(ipc_unlink_url(live));
	ipc_rpc_server_close(s);
}

static void test_sweep_ring(void)
{
	sweep(K_RING);
}

static void test_sweep_fifo(void)
{
	sweep(K_FIFO);
}

static void test_sweep_mq(void)
{
	/* Listing queues needs the mqueue file system (the suite mounts it
	 * when it runs as root); without it the server cannot see them. */
	struct statfs fs;

	if (statfs("/dev/mqueue", &fs) < 0 || fs.f_type != MQUEUE_FS_MAGIC) {
		printf("# skip test_sweep_mq: /dev/mqueue is not mounted\n");
		return;
	}
	sweep(K_MQ);
}

/* clang-format off */
static const struct check_case cases[] = {
	CHECK_CASE(test_int_forms),
	CHECK_CASE(test_uint_and_float),
	CHECK_CASE(test_sized_forms),
	CHECK_CASE(test_roundtrip_all_kinds),
	CHECK_CASE(test_known_vectors),
	CHECK_CASE(test_malformed),
	CHECK_CASE(test_utf8),
	CHECK_CASE(test_encoder_limit_and_errors),
	CHECK_CASE(test_unix),
	CHECK_CASE(test_unixpacket),
	CHECK_CASE(test_tcp),
	CHECK_CASE(test_ring),
	CHECK_CASE(test_mq),
	CHECK_CASE(test_fifo),
	CHECK_CASE(test_sysvmq),
	CHECK_CASE(test_unixgram),
	CHECK_CASE(test_timeout_unix),
	CHECK_CASE(test_timeout_ring),
	CHECK_CASE(test_timeout_sysvmq),
	CHECK_CASE(test_gone_unix),
	CHECK_CASE(test_gone_tcp),
	CHECK_CASE(test_gone_ring),
	CHECK_CASE(test_gone_mq),
	CHECK_CASE(test_gone_sysvmq),
	CHECK_CASE(test_two_clients_unix),
	CHECK_CASE(test_two_clients_ring),
	CHECK_CASE(test_malformed_calls_stream),
	CHECK_CASE(test_malformed_calls_ring),
	CHECK_CASE(test_unsupported_and_absent),
	CHECK_CASE(test_limits),
	CHECK_CASE(test_server_limit),
	CHECK_CASE(test_sweep_ring),
	CHECK_CASE(test_sweep_fifo),
	CHECK_CASE(test_sweep_mq),
	{NULL, NULL},
};
/* clang-format on */

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
