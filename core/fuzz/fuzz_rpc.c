/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rpc.c - fuzz target: the RPC value decoder (ipc/rpc.h).
 *
 * The input is one encoded value (any bytes). The target decodes it item
 * by item until -ENODATA or a failure, and checks:
 *  - only 0, -ENODATA and -EPROTO come back, a failure leaves a detail,
 *    and a decoder that failed keeps failing (never -ENODATA after);
 *  - strings and bytes point inside the input, strings are valid UTF-8;
 *  - when the input decodes and ipc_rpc_dec_finish() accepts it, the
 *    items re-encode (ipc_rpc_put_*) to bytes that decode to the same
 *    item sequence (floats compared bit for bit), that are no longer
 *    than the input (the encoder picks the smallest forms) unless a
 *    float32 became a float64, and that encode again to themselves;
 *  - the envelope parsers see the same input and return 0 or -EPROTO.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/common.h"
#include "ipc/rpc.h"
#include "rpc_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(c)                                                            \
	do {                                                                   \
		if (!(c))                                                      \
			fz_fail(__LINE__, #c);                                 \
	} while (0)

static void fz_fail(int line, const char *what)
{
	fprintf(stderr, "fuzz_rpc.c:%d: check failed: %s\n", line, what);
	abort();
}

/* Decode all of @p into @items (grown); returns the status that ended. */
static ipc_status decode(const uint8_t *p, size_t n,
                         struct ipc_rpc_item **items, size_t *count, int *f32)
{
	struct ipc_rpc_dec d;
	struct ipc_rpc_item it;
	struct ipc_rpc_item *grown;
	size_t cap = 0;
	ipc_status st;

	*items = NULL;
	*count = 0;
	*f32 = 0;
	ipc_rpc_dec_init(&d, p, n);
	for (;;) {
		const uint8_t *at = d.p;

		st = ipc_rpc_dec_next(&d, &it);
		if (st)
			break;
		if (at < p + n && *at == 0xca)
			(*f32)++;
		if (it.kind == IPC_RPC_STR || it.kind == IPC_RPC_BYTES) {
			FZ_CHECK(it.v.s.len <= n);
			FZ_CHECK(it.v.s.len == 0 ||
			         ((const uint8_t *)it.v.s.p >= p &&
			          (const uint8_t *)it.v.s.p + it.v.s.len <=
			                  p + n));
		}
		if (it.kind == IPC_RPC_STR)
			FZ_CHECK(ipc_rpc_utf8_valid(it.v.s.p, it.v.s.len));
		if (*count == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(*items, cap * sizeof(**items));
			if (grown == NULL)
				abort();
			*items = grown;
		}
		(*items)[(*count)++] = it;
	}
	FZ_CHECK(st == -ENODATA || st == -EPROTO);
	if (st == -EPROTO) {
		FZ_CHECK(ipc_detail()[0] != '\0');
		FZ_CHECK(ipc_rpc_dec_next(&d, &it) == -EPROTO);
		return st;
	}
	FZ_CHECK(ipc_rpc_dec_next(&d, &it) == -ENODATA);
	return ipc_rpc_dec_finish(&d);
}

static void encode(struct ipc_rpc_enc *e, const struct ipc_rpc_item *items,
                   size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		const struct ipc_rpc_item *it = &items[i];

		switch (it->kind) {
		case IPC_RPC_NIL:
			ipc_rpc_put_nil(e);
			break;
		case IPC_RPC_BOOL:
			ipc_rpc_put_bool(e, it->v.b);
			break;
		case IPC_RPC_INT:
			ipc_rpc_put_int(e, it->v.i);
			break;
		case IPC_RPC_UINT:
			ipc_rpc_put_uint(e, it->v.u);
			break;
		case IPC_RPC_FLOAT:
			ipc_rpc_put_float(e, it->v.f);
			break;
		case IPC_RPC_STR:
			ipc_rpc_put_str(e, it->v.s.p, it->v.s.len);
			break;
		case IPC_RPC_BYTES:
			ipc_rpc_put_bytes(e, it->v.s.p, it->v.s.len);
			break;
		case IPC_RPC_LIST:
			ipc_rpc_put_list(e, it->v.count);
			break;
		case IPC_RPC_MAP:
			ipc_rpc_put_map(e, it->v.count);
			break;
		}
	}
}

static int same(const struct ipc_rpc_item *a, const struct ipc_rpc_item *b)
{
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case IPC_RPC_NIL:
		return 1;
	case IPC_RPC_BOOL:
		return a->v.b == b->v.b;
	case IPC_RPC_INT:
		return a->v.i == b->v.i;
	case IPC_RPC_UINT:
		return a->v.u == b->v.u;
	case IPC_RPC_FLOAT:
		return memcmp(&a->v.f, &b->v.f, sizeof(double)) == 0;
	case IPC_RPC_STR:
	case IPC_RPC_BYTES:
		return a->v.s.len == b->v.s.len &&
		       (a->v.s.len == 0 ||
		        memcmp(a->v.s.p, b->v.s.p, a->v.s.len) == 0);
	default:
		return a->v.count == b->v.count;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_rpc_item *a;
	struct ipc_rpc_item *b;
	struct ipc__rpc_call call;
	struct ipc__rpc_reply reply;
	struct ipc_rpc_enc e;
	struct ipc_rpc_enc e2;
	size_t na;
	size_t nb;
	size_t i;
	int f32;
	int f32b;
	ipc_status st;

	st = decode(data, size, &a, &na, &f32);
	FZ_CHECK(st == 0 || st == -EPROTO);
	if (st == 0) {
		ipc_rpc_enc_init(&e, 0);
		encode(&e, a, na);
		FZ_CHECK(ipc_rpc_enc_status(&e) == 0);
		FZ_CHECK(e.len <= size + 4 * (size_t)f32);
		FZ_CHECK(decode(e.data, e.len, &b, &nb, &f32b) == 0);
		FZ_CHECK(f32b == 0);
		FZ_CHECK(na == nb);
		for (i = 0; i < na; i++)
			FZ_CHECK(same(&a[i], &b[i]));
		ipc_rpc_enc_init(&e2, 0);
		encode(&e2, b, nb);
		FZ_CHECK(e2.len == e.len &&
		         memcmp(e2.data, e.data, e.len) == 0);
		ipc_rpc_enc_free(&e2);
		ipc_rpc_enc_free(&e);
		free(b);
		FZ_CHECK(ipc__rpc_check_value(data, size, -1) == 0);
	} else {
		FZ_CHECK(ipc__rpc_check_value(data, size, -1) == -EPROTO);
	}
	free(a);
	st = ipc__rpc_parse_call(data, size, &call);
	FZ_CHECK(st == 0 || st == -EPROTO);
	if (st == 0)
		FZ_CHECK(call.has_id && call.args >= data &&
		         call.args + call.args_len <= data + size);
	st = ipc__rpc_parse_reply(data, size, &reply);
	FZ_CHECK(st == 0 || st == -EPROTO);
	return 0;
}
