/* SPDX-License-Identifier: MIT */
/*
 * native_call - call C functions by name and signature (ipc/native.h):
 * cos from libm, then ipc_stage_upper from the example stage library,
 * whose path is the first argument (default: "libipc_stages.so", found
 * the way dlopen(3) searches).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ipc/ipc.h>

static int fail(const char *what, ipc_status st)
{
	fprintf(stderr, "native_call: %s: %s (%s)\n", what, ipc_strerror(st),
	        ipc_detail());
	return 1;
}

int main(int argc, char **argv)
{
	const char *stages = argc > 1 ? argv[1] : "libipc_stages.so";
	static const char msg[] = "hello, native stage";
	char out[64];
	char sig[64];
	struct ipc_native_value args[2];
	struct ipc_native_value ret;
	ipc_native *fn;
	ipc_status st;

	/* "double" is an alias: the canonical signature says f64. */
	st = ipc_native_open(&fn, "libm.so.6", "cos", "double(double)");
	if (st)
		return fail("open cos", st);
	memset(args, 0, sizeof(args));
	args[0].type = IPC_NATIVE_F64;
	args[0].v.f = 0.0;
	st = ipc_native_call(fn, args, 1, &ret);
	if (st) {
		ipc_native_close(fn);
		return fail("call cos", st);
	}
	(void)ipc_native_sig_format(ipc_native_signature(fn), sig, sizeof(sig));
	printf("cos %s: cos(0) = %g\n", sig, ret.v.f);
	ipc_native_close(fn);
	if (ret.v.f != 1.0)
		return 1;

	/* A stage function: long fn(const void *in, size_t in_len,
	 * void *out, size_t out_cap), each buf being pointer and length. */
	st = ipc_native_open(&fn, stages, "ipc_stage_upper", "long(buf, buf)");
	if (st)
		return fail("open ipc_stage_upper", st);
	args[0].type = IPC_NATIVE_BUF;
	args[0].v.buf.data = (void *)msg;
	args[0].v.buf.len = strlen(msg);
	args[1].type = IPC_NATIVE_BUF;
	args[1].v.buf.data = out;
	args[1].v.buf.len = sizeof(out);
	st = ipc_native_call(fn, args, 2, &ret);
	ipc_native_close(fn);
	if (st)
		return fail("call ipc_stage_upper", st);
	if (ret.v.i < 0 || (size_t)ret.v.i != strlen(msg))
		return fail("ipc_stage_upper", (ipc_status)-EPROTO);
	printf("ipc_stage_upper(\"%s\") = \"%.*s\"\n", msg, (int)ret.v.i, out);
	return memcmp(out, "HELLO, NATIVE STAGE", (size_t)ret.v.i) == 0 ? 0 : 1;
}
