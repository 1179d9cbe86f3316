/* SPDX-License-Identifier: MIT */
/*
 * native_stage.c - a native function as a pipeline stage: one call per
 * message of the input channel, one message out per call (ipc/native.h,
 * docs/native.md "Native stages").
 *
 * Messages are received borrowed, so the input needs no buffer of ours;
 * the output buffer of the "long(buf,buf)" convention starts small and
 * doubles when the function asks (-ENOBUFS), up to the output channel's
 * largest message, and keeps its size for the next messages.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ipc/chan.h"
#include "ipc/native.h"
#include "ipc/url.h"

/* The first output buffer of the buf convention (capped by the output). */
#define STAGE_OUT_START ((size_t)64 << 10)

struct stage {
	const ipc_native *fn;
	const struct ipc_native_sig *sig;
	ipc_chan *out;
	bool out_queue; /* an empty message would end the consumer's input */
	size_t max;     /* largest message the output takes */
	unsigned char *obuf;
	size_t ocap;
	char *sbuf; /* the message as a C string, for "T(str)" */
	size_t scap;
};

static bool is_queue_kind(int kind)
{
	return kind == IPC_URL_MQ || kind == IPC_URL_SYSVMQ ||
	       kind == IPC_URL_RING;
}

static ipc_status grow(void **buf, size_t *cap, size_t want)
{
	void *p;

	if (want <= *cap)
		return 0;
	p = realloc(*buf, want);
	if (p == NULL)
		return ipc__detail(-ENOMEM,
		                   "native stage: no memory for %zu "
		                   "bytes",
		                   want);
	*buf = p;
	*cap = want;
	return 0;
}

static ipc_status emit(struct stage *s, const void *data, size_t len,
                       uint64_t *nout)
{
	ipc_status st;

	if (s->out == NULL)
		return 0;
	/* On a queue kind an empty message means end of input downstream. */
	if (len == 0 && s->out_queue)
		return 0;
	/* The message is in flight: a signal must not lose it, so an
	 * interrupted send is made again (only the receive reports -EINTR). */
	do
		st = ipc_chan_send(s->out, data, len, IPC_DEADLINE_NEVER);
	while (st == -EINTR);
	if (st < 0)
		return st;
	(*nout)++;
	return 0;
}

/* A negative result of the function as the status that ends the stage. */
static ipc_status function_error(int64_t r)
{
	/* -EINTR from the function itself is a failure, not a signal the
	 * caller would retry past. */
	if (r < -4095 || r == -EINTR)
		return ipc__detail(-EPROTO,
		                   "native stage: the function "
		                   "returned %" PRId64 ", not -errno",
		                   r);
	return ipc__detail((ipc_status)r,
	                   "native stage: the function "
	                   "returned %" PRId64,
	                   r);
}

/* The "long(buf,buf)" convention. */
static ipc_status run_buf(struct stage *s, const void *in, size_t len,
                          uint64_t *nout)
{
	struct ipc_native_value args[2];
	struct ipc_native_value ret;
	size_t want;
	ipc_status st;

	if (s->obuf == NULL) {
		st = grow((void **)&s->obuf, &s->ocap,
		          s->max < STAGE_OUT_START ? s->max : STAGE_OUT_START);
		if (st < 0)
			return st;
	}
	for (;;) {
		memset(args, 0, sizeof(args));
		args[0].type = IPC_NATIVE_BUF;
		/* The convention's input is const: the function must not
		 * write to it (for a ring it is the shared mapping). */
		args[0].v.buf.data = (void *)(uintptr_t)in;
		args[0].v.buf.len = len;
		args[1].type = IPC_NATIVE_BUF;
		args[1].v.buf.data = s->obuf;
		args[1].v.buf.len = s->ocap;
		st = ipc_native_call(s->fn, args, 2, &ret);
		if (st < 0)
			return st;
		if (ret.v.i >= 0)
			break;
		if (ret.v.i != -ENOBUFS)
			return function_error(ret.v.i);
		if (s->ocap >= s->max)
			return ipc__detail(-EMSGSIZE,
			                   "native stage: the output of one "
			                   "message needs more than %zu bytes, "
			                   "the output's largest message",
			                   s->max);
		want = s->ocap > s->max / 2 ? s->max : s->ocap * 2;
		st = grow((void **)&s->obuf, &s->ocap, want);
		if (st < 0)
			return st;
	}
	if ((uint64_t)ret.v.i > s->ocap)
		return ipc__detail(
		        -EOVERFLOW,
		        "native stage: the function returned %" PRId64
		        ", more than the %zu bytes it was given",
		        ret.v.i, s->ocap);
	return emit(s, s->obuf, (size_t)ret.v.i, nout);
}

/* The one-argument signatures: the result goes out as text. */
static ipc_status run_text(struct stage *s, const void *in, size_t len,
                           uint64_t *nout)
{
	struct ipc_native_value arg;
	struct ipc_native_value ret;
	char text[64];
	const char *out = text;
	size_t outlen;
	int n;
	ipc_status st;

	memset(&arg, 0, sizeof(arg));
	arg.type = s->sig->args[0];
	if (arg.type == IPC_NATIVE_STR) {
		/* A message is bytes: the C string ends at its first NUL. */
		st = grow((void **)&s->sbuf, &s->scap, len + 1);
		if (st < 0)
			return st;
		if (len > 0)
			memcpy(s->sbuf, in, len);
		s->sbuf[len] = '\0';
		arg.v.s = s->sbuf;
	} else {
		arg.v.buf.data = (void *)(uintptr_t)in;
		arg.v.buf.len = len;
	}
	st = ipc_native_call(s->fn, &arg, 1, &ret);
	if (st < 0)
		return st;
	switch (ret.type) {
	case IPC_NATIVE_I8:
	case IPC_NATIVE_I16:
	case IPC_NATIVE_I32:
	case IPC_NATIVE_I64:
		n = snprintf(text, sizeof(text), "%" PRId64, ret.v.i);
		break;
	case IPC_NATIVE_U8:
	case IPC_NATIVE_U16:
	case IPC_NATIVE_U32:
	case IPC_NATIVE_U64:
		n = snprintf(text, sizeof(text), "%" PRIu64, ret.v.u);
		break;
	case IPC_NATIVE_F32:
	case IPC_NATIVE_F64:
		n = snprintf(text, sizeof(text), "%.17g", ret.v.f);
		break;
	case IPC_NATIVE_STR:
		/* A NULL string sends what an empty one does. */
		out = ret.v.s != NULL ? ret.v.s : "";
		n = 0;
		break;
	default:
		return -EINVAL;
	}
	if (n < 0)
		return -EINVAL;
	outlen = out == text ? (size_t)n : strlen(out);
	return emit(s, out, outlen, nout);
}

ipc_status ipc_native_stage_run(const ipc_native *fn, struct ipc_chan *in,
                                struct ipc_chan *out, uint64_t stats[2])
{
	struct stage s;
	uint64_t nin = 0;
	uint64_t nout = 0;
	const void *data;
	size_t len;
	bool in_queue;
	bool buf_conv;
	ipc_status st;

	memset(&s, 0, sizeof(s));
	s.fn = fn;
	s.sig = ipc_native_signature(fn);
	st = ipc_native_stage_check(s.sig);
	if (st < 0)
		return st;
	buf_conv = s.sig->nargs == 2;
	s.out = out;
	s.out_queue = out != NULL && is_queue_kind(ipc_chan_kind(out));
	s.max = out != NULL ? ipc_chan_max_message(out) : IPC_CHAN_DEFAULT_MAX;
	in_queue = is_queue_kind(ipc_chan_kind(in));
	for (;;) {
		st = ipc_chan_recv_borrow(in, &data, &len, NULL,
		                          IPC_DEADLINE_NEVER);
		if (st == -EPIPE) {
			st = 0;
			break;
		}
		if (st < 0)
			break;
		if (len == 0 && in_queue)
			break;
		nin++;
		st = buf_conv ? run_buf(&s, data, len, &nout)
		              : run_text(&s, data, len, &nout);
		if (st < 0)
			break;
	}
	if (stats != NULL) {
		stats[0] = nin;
		stats[1] = nout;
	}
	free(s.obuf);
	free(s.sbuf);
	return st;
}
