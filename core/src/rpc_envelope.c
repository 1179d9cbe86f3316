/* SPDX-License-Identifier: MIT */
/*
 * rpc_envelope.c - the arrays around a call and its reply:
 *     call   [1, 0, id, reply_to | nil, method, args]
 *     result [1, 1, id, value]
 *     error  [1, 2, id, message]
 * Every version keeps [version, kind, id, reply_to] at the front of a
 * call, so that a reader can route its refusal of a version it does not
 * know (docs/rpc.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ipc/rpc.h"
#include "rpc_internal.h"

/* Read an id: a non-negative integer. */
static bool get_id(const struct ipc_rpc_item *it, uint64_t *id)
{
	if (it->kind == IPC_RPC_UINT) {
		*id = it->v.u;
		return true;
	}
	if (it->kind == IPC_RPC_INT && it->v.i >= 0) {
		*id = (uint64_t)it->v.i;
		return true;
	}
	return false;
}

ipc_status ipc__rpc_parse_call(const void *buf, size_t len,
                               struct ipc__rpc_call *c)
{
	struct ipc_rpc_dec d;
	struct ipc_rpc_item it;
	uint32_t count;
	ipc_status st;

	memset(c, 0, sizeof(*c));
	ipc_rpc_dec_init(&d, buf, len);
	st = ipc_rpc_dec_next(&d, &it);
	if (st)
		return st == -ENODATA ? -EPROTO : st;
	if (it.kind != IPC_RPC_LIST || it.v.count < 4)
		return ipc__detail(-EPROTO,
		                   "rpc: a call is an array of 6 items");
	count = it.v.count;
	st = ipc_rpc_dec_next(&d, &it);
	if (st)
		return st;
	if (it.kind != IPC_RPC_INT)
		return ipc__detail(-EPROTO,
		                   "rpc: the version is not an integer");
	c->version = it.v.i;
	st = ipc_rpc_dec_next(&d, &it);
	if (st)
		return st;
	if (it.kind != IPC_RPC_INT)
		return ipc__detail(-EPROTO, "rpc: the kind is not an integer");
	c->kind = it.v.i;
	st = ipc_rpc_dec_next(&d, &it);
	if (st)
		return st;
	if (!get_id(&it, &c->id))
		return ipc__detail(-EPROTO,
		                   "rpc: the id is not an unsigned integer");
	st = ipc_rpc_dec_next(&d, &it);
	if (st)
		return st;
	if (it.kind == IPC_RPC_STR) {
		c->reply_to = it.v.s.p;
		c->reply_to_len = it.v.s.len;
	} else if (it.kind != IPC_RPC_NIL) {
		return ipc__detail(-EPROTO,
		                   "rpc: reply_to is neither text nor nil");
	}
	c->has_id = true;
	if (c->version != IPC_RPC_VERSION)
		return ipc__detail(
		        -EPROTO,
		        "rpc: envelope version %lld is not supported (this reader knows %d)",
		        (long long)c->version, IPC_RPC_VERSION);
	if (c->kind != IPC__RPC_CALL || count != 6)
		return ipc__detail(-EPROTO,
		                   "rpc: not a call (kind %lld, %u items)",
		                   (long long)c->kind, count);
	st = ipc_rpc_dec_next(&d, &it);
	if (st)
		return st;
	if (it.kind != IPC_RPC_STR)
		return ipc__detail(-EPROTO, "rpc: the method name is not text");
	c->method = it.v.s.p;
	c->method_len = it.v.s.len;
	st = ipc__rpc_dec_value(&d, &it, &c->args, &c->args_len);
	if (st)
		return st;
	if (it.kind != IPC_RPC_LIST)
		return ipc__detail(-EPROTO,
		                   "rpc: the arguments are not an array");
	return ipc_rpc_dec_finish(&d);
}

ipc_status ipc__rpc_parse_reply(const void *buf, size_t len,
                                struct ipc__rpc_reply *r)
{
	struct ipc_rpc_dec d;
	struct ipc_rpc_item it;
	ipc_status st;

	memset(r, 0, sizeof(*r));
	ipc_rpc_dec_init(&d, buf, len);
	st = ipc_rpc_dec_next(&d, &it);
	if (st)
		return st == -ENODATA ? -EPROTO : st;
	if (it.kind != IPC_RPC_LIST || it.v.count != 4)
		return ipc__detail(-EPROTO,
		                   "rpc: a reply is an array of 4 items");
	st = ipc_rpc_dec_next(&d, &it);
	if (st)
		return st;
	if (it.kind != IPC_RPC_INT || it.v.i != IPC_RPC_VERSION)
		return ipc__detail(-EPROTO,
		                   "rpc: reply of an unknown envelope version");
	st = ipc_rpc_dec_next(&d, &it);
	if (st)
		return st;
	if (it.kind != IPC_RPC_INT ||
	    (it.v.i != IPC__RPC_RESULT && it.v.i != IPC__RPC_ERROR))
		return ipc__detail(-EPROTO, "rpc: not a reply");
	r->kind = (int)it.v.i;
	st = ipc_rpc_dec_next(&d, &it);
	if (st)
		return st;
	if (!get_id(&it, &r->id))
		return ipc__detail(-EPROTO,
		                   "rpc: the id is not an unsigned integer");
	st = ipc__rpc_dec_value(&d, &it, &r->value, &r->value_len);
	if (st)
		return st;
	if (r->kind == IPC__RPC_ERROR) {
		if (it.kind != IPC_RPC_STR)
			return ipc__detail(-EPROTO,
			                   "rpc: an error message is not text");
		r->value = (const unsigned char *)it.v.s.p;
		r->value_len = it.v.s.len;
	}
	return ipc_rpc_dec_finish(&d);
}

ipc_status ipc__rpc_check_value(const void *buf, size_t len, int want)
{
	struct ipc_rpc_dec d;
	struct ipc_rpc_item it;
	const unsigned char *p;
	size_t n;
	ipc_status st;

	ipc_rpc_dec_init(&d, buf, len);
	st = ipc__rpc_dec_value(&d, &it, &p, &n);
	if (st)
		return st == -ENODATA ? -EPROTO : st;
	if (want >= 0 && it.kind != (enum ipc_rpc_kind)want)
		return ipc__detail(-EPROTO,
		                   "rpc: the value is of the wrong kind");
	return ipc_rpc_dec_finish(&d);
}

void ipc__rpc_put_message(struct ipc_rpc_enc *e, const char *msg)
{
	static const char repl[] = "\xef\xbf\xbd";
	const unsigned char *p = (const unsigned char *)(msg ? msg : "");
	size_t full = strlen((const char *)p);
	size_t len = full;
	size_t out = 0;
	size_t i = 0;
	size_t run;
	char *buf;

	if (len > IPC__RPC_MESSAGE_MAX)
		len = IPC__RPC_MESSAGE_MAX;
	buf = malloc(len * 3 + 1);
	if (buf == NULL) {
		if (!e->status)
			e->status = -ENOMEM;
		return;
	}
	/* Copy the longest valid runs; each bad byte becomes U+FFFD. A
	 * sequence cut by the length limit is dropped, not replaced. */
	while (i < len) {
		run = 1;
		if (p[i] >= 0x80) {
			run = p[i] >= 0xf0 ? 4 : p[i] >= 0xe0 ? 3 : 2;
			if (run > len - i) {
				if (len < full)
					break;
				run = len - i;
			}
		}
		if (ipc_rpc_utf8_valid((const char *)p + i, run)) {
			memcpy(buf + out, p + i, run);
			out += run;
			i += run;
		} else {
			memcpy(buf + out, repl, 3);
			out += 3;
			i++;
		}
	}
	ipc_rpc_put_str(e, buf, out);
	free(buf);
}

void ipc__rpc_put_reply(struct ipc_rpc_enc *e, int kind, uint64_t id)
{
	ipc_rpc_put_list(e, 4);
	ipc_rpc_put_int(e, IPC_RPC_VERSION);
	ipc_rpc_put_int(e, kind);
	ipc_rpc_put_uint(e, id);
}
