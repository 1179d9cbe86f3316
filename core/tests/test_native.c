/* SPDX-License-Identifier: MIT */
/*
 * test_native.c - native calls (ipc/native.h): the signature grammar,
 * calls into libc, libm, this program (its ipc_test_* functions are
 * exported: ENABLE_EXPORTS) and the example stage library, the checks on
 * count, type and range, and native stages over channels.
 */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ipc/chan.h"
#include "ipc/mq.h"
#include "ipc/native.h"

#ifndef IPC_TEST_STAGES_LIB
#error "IPC_TEST_STAGES_LIB: the path of libipc_stages.so"
#endif

#define EXPORT     __attribute__((visibility("default"), used, noinline))
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- functions this program exports for the calls to find ---------- */

int8_t ipc_test_echo_i8(int8_t v);
int16_t ipc_test_echo_i16(int16_t v);
int32_t ipc_test_echo_i32(int32_t v);
int64_t ipc_test_echo_i64(int64_t v);
uint8_t ipc_test_echo_u8(uint8_t v);
uint16_t ipc_test_echo_u16(uint16_t v);
uint32_t ipc_test_echo_u32(uint32_t v);
uint64_t ipc_test_echo_u64(uint64_t v);
float ipc_test_echo_f32(float v);
double ipc_test_echo_f64(double v);
void *ipc_test_echo_ptr(void *v);
int8_t ipc_test_neg_i8(void);
uint8_t ipc_test_max_u8(void);
int16_t ipc_test_neg_i16(void);
uint16_t ipc_test_max_u16(void);
int32_t ipc_test_min_i32(void);
uint32_t ipc_test_max_u32(void);
void ipc_test_count(void);
double ipc_test_mix(int8_t a, uint16_t b, const void *buf, size_t len,
                    int32_t c, float d, const char *s, int64_t e, uint8_t f,
                    double g, uint64_t h, void *p);
long ipc_test_sum16(long a1, long a2, long a3, long a4, long a5, long a6,
                    long a7, long a8, long a9, long a10, long a11, long a12,
                    long a13, long a14, long a15, long a16);
long ipc_test_stage_fail(const void *in, size_t len, void *out, size_t cap);
long ipc_test_stage_over(const void *in, size_t len, void *out, size_t cap);
long ipc_test_stage_grow(const void *in, size_t len, void *out, size_t cap);

static int count_calls;

EXPORT int8_t ipc_test_echo_i8(int8_t v)
{
	return v;
}

EXPORT int16_t ipc_test_echo_i16(int16_t v)
{
	return v;
}

EXPORT int32_t ipc_test_echo_i32(int32_t v)
{
	return v;
}

EXPORT int64_t ipc_test_echo_i64(int64_t v)
{
	return v;
}

EXPORT uint8_t ipc_test_echo_u8(uint8_t v)
{
	return v;
}

EXPORT uint16_t ipc_test_echo_u16(uint16_t v)
{
	return v;
}

EXPORT uint32_t ipc_test_echo_u32(uint32_t v)
{
	return v;
}

EXPORT uint64_t ipc_test_echo_u64(uint64_t v)
{
	return v;
}

EXPORT float ipc_test_echo_f32(float v)
{
	return v;
}

EXPORT double ipc_test_echo_f64(double v)
{
	return v;
}

EXPORT void *ipc_test_echo_ptr(void *v)
{
	return v;
}

EXPORT int8_t ipc_test_neg_i8(void)
{
	return -1;
}

EXPORT uint8_t ipc_test_max_u8(void)
{
	return UINT8_MAX;
}

EXPORT int16_t ipc_test_neg_i16(void)
{
	return -2;
}

EXPORT uint16_t ipc_test_max_u16(void)
{
	return UINT16_MAX;
}

EXPORT int32_t ipc_test_min_i32(void)
{
	return INT32_MIN;
}

EXPORT uint32_t ipc_test_max_u32(void)
{
	return UINT32_MAX;
}

EXPORT void ipc_test_count(void)
{
	count_calls++;
}

/* Every argument lands in its place: a sum with distinct weights. */
EXPORT double ipc_test_mix(int8_t a, uint16_t b, const void *buf, size_t len,
                           int32_t c, float d, const char *s, int64_t e,
                           uint8_t f, double g, uint64_t h, void *p)
{
	const unsigned char *u = buf;

	return a * 1.0 + b * 10.0 + (len > 0 ? u[len - 1] : 0) * 100.0 +
	       (double)len * 1000.0 + c * 1e4 + d * 1e5 +
	       (double)strlen(s) * 1e6 + (double)e * 1e7 + f * 1e8 + g * 1e9 +
	       (double)h * 1e10 + (p == (void *)&count_calls ? 1e11 : 0);
}

EXPORT long ipc_test_sum16(long a1, long a2, long a3, long a4, long a5, long a6,
                           long a7, long a8, long a9, long a10, long a11,
                           long a12, long a13, long a14, long a15, long a16)
{
	return a1 + 2 * a2 + 3 * a3 + 4 * a4 + 5 * a5 + 6 * a6 + 7 * a7 +
	       8 * a8 + 9 * a9 + 10 * a10 + 11 * a11 + 12 * a12 + 13 * a13 +
	       14 * a14 + 15 * a15 + 16 * a16;
}

/* Stage functions: fails on "fail" (and with its own -EINTR on "intr"),
 * claims too much on anything. */
EXPORT long ipc_test_stage_fail(const void *in, size_t len, void *out,
                                size_t cap)
{
	if (len == 4 && memcmp(in, "fail", 4) == 0)
		return -EIO;
	if (len == 4 && memcmp(in, "intr", 4) == 0)
		return -EINTR;
	if (len > cap)
		return -ENOBUFS;
	memcpy(out, in, len);
	return (long)len;
}

EXPORT long ipc_test_stage_over(const void *in, size_t len, void *out,
                                size_t cap)
{
	(void)in;
	(void)len;
	(void)out;
	return (long)cap + 1;
}

/* Wants the output to be 3 times the input (so it must grow). */
EXPORT long ipc_test_stage_grow(const void *in, size_t len, void *out,
                                size_t cap)
{
	unsigned char *d = out;
	size_t i;

	if (cap < 3 * len)
		return -ENOBUFS;
	for (i = 0; i < 3; i++)
		memcpy(d + i * len, in, len);
	return (long)(3 * len);
}

/* ---- helpers ---------------------------------------------------------- */

static void close_fn(void *p)
{
	ipc_native_close(p);
}

static ipc_native *open_fn(const char *lib, const char *name, const char *sig)
{
	ipc_native *fn = NULL;
	ipc_status st = ipc_native_open(&fn, lib, name, sig);

	if (st != 0)
		check_fail(__FILE__, __LINE__, "open %s %s: %s (%s)", name, sig,
		           check_errname(st), ipc_detail());
	check_defer(close_fn, fn);
	return fn;
}

static struct ipc_native_value vi(enum ipc_native_type t, int64_t i)
{
	struct ipc_native_value v;

	memset(&v, 0, sizeof(v));
	v.type = t;
	v.v.i = i;
	return v;
}

static struct ipc_native_value vu(enum ipc_native_type t, uint64_t u)
{
	struct ipc_native_value v;

	memset(&v, 0, sizeof(v));
	v.type = t;
	v.v.u = u;
	return v;
}

static struct ipc_native_value vf(enum ipc_native_type t, double f)
{
	struct ipc_native_value v;

	memset(&v, 0, sizeof(v));
	v.type = t;
	v.v.f = f;
	return v;
}

static struct ipc_native_value vs(const char *s)
{
	struct ipc_native_value v;

	memset(&v, 0, sizeof(v));
	v.type = IPC_NATIVE_STR;
	v.v.s = s;
	return v;
}

static struct ipc_native_value vb(const void *data, size_t len)
{
	struct ipc_native_value v;

	memset(&v, 0, sizeof(v));
	v.type = IPC_NATIVE_BUF;
	v.v.buf.data = (void *)(uintptr_t)data;
	v.v.buf.len = len;
	return v;
}

static ipc_status call1(const ipc_native *fn, struct ipc_native_value a,
                        struct ipc_native_value *ret)
{
	return ipc_native_call(fn, &a, 1, ret);
}

static bool contains(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

/* ---- libc and libm ---------------------------------------------------- */

static void test_libm_cos(void)
{
	ipc_native *fn = open_fn("libm.so.6", "cos", "double(double)");
	struct ipc_native_value ret;
	char buf[32];

	CHECK_OK(ipc_native_sig_format(ipc_native_signature(fn), buf,
	                               sizeof(buf)));
	CHECK_STR_EQ(buf, "f64(f64)");
	CHECK_OK(call1(fn, vf(IPC_NATIVE_F64, 0.0), &ret));
	CHECK_EQ(ret.type, IPC_NATIVE_F64);
	CHECK(ret.v.f == 1.0);
	CHECK_OK(call1(fn, vf(IPC_NATIVE_F64, M_PI), &ret));
	CHECK(fabs(ret.v.f + 1.0) < 1e-15);
}

static void test_libc_ints(void)
{
	ipc_native *len = open_fn(NULL, "strlen", "size_t(str)");
	ipc_native *iabs = open_fn(NULL, "abs", "int(int)");
	ipc_native *labs_fn = open_fn("libc.so.6", "labs", "long(long)");
	struct ipc_native_value ret;

	CHECK_OK(call1(len, vs("hello"), &ret));
	CHECK_EQ(ret.type, IPC_NATIVE_U64);
	CHECK_EQ(ret.v.u, 5);
	CHECK_OK(call1(len, vs(""), &ret));
	CHECK_EQ(ret.v.u, 0);
	CHECK_OK(call1(iabs, vi(IPC_NATIVE_I32, -7), &ret));
	CHECK_EQ(ret.type, IPC_NATIVE_I32);
	CHECK_EQ(ret.v.i, 7);
	CHECK_OK(call1(iabs, vi(IPC_NATIVE_I32, INT32_MAX), &ret));
	CHECK_EQ(ret.v.i, INT32_MAX);
	CHECK_OK(call1(labs_fn, vi(IPC_NATIVE_I64, -5000000000LL), &ret));
	CHECK_EQ(ret.v.i, 5000000000LL);
}

static void test_getenv_str(void)
{
	ipc_native *fn = open_fn(NULL, "getenv", "char*(char*)");
	struct ipc_native_value ret;

	CHECK(setenv("IPC_TEST_NATIVE_VAR", "some value", 1) == 0);
	CHECK_OK(call1(fn, vs("IPC_TEST_NATIVE_VAR"), &ret));
	CHECK_EQ(ret.type, IPC_NATIVE_STR);
	CHECK_STR_EQ(ret.v.s, "some value");
	/* The function's own pointer, not a copy. */
	CHECK(ret.v.s == getenv("IPC_TEST_NATIVE_VAR"));
	CHECK(unsetenv("IPC_TEST_NATIVE_VAR") == 0);
	CHECK_OK(call1(fn, vs("IPC_TEST_NATIVE_VAR"), &ret));
	CHECK(ret.v.s == NULL);
}

/* A NULL str argument passes a null pointer: getenv(NULL) is not safe, but
 * strtol's endptr is a plain pointer and a NULL one is fine. */
static void test_null_str_and_ptr(void)
{
	ipc_native *fn = open_fn(NULL, "strtol", "long(str, ptr, int)");
	ipc_native *echo = open_fn(NULL, "ipc_test_echo_ptr", "ptr(ptr)");
	struct ipc_native_value args[3];
	struct ipc_native_value ret;
	char *end = NULL;
	int x;

	args[0] = vs("  -1234xyz");
	memset(&args[1], 0, sizeof(args[1]));
	args[1].type = IPC_NATIVE_PTR;
	args[1].v.p = &end;
	args[2] = vi(IPC_NATIVE_I32, 10);
	CHECK_OK(ipc_native_call(fn, args, 3, &ret));
	CHECK_EQ(ret.v.i, -1234);
	CHECK(end == args[0].v.s + 7);
	args[0] = vs("ff");
	args[1].v.p = NULL;
	args[2] = vi(IPC_NATIVE_I32, 16);
	CHECK_OK(ipc_native_call(fn, args, 3, &ret));
	CHECK_EQ(ret.v.i, 255);

	args[0].type = IPC_NATIVE_PTR;
	args[0].v.p = &x;
	CHECK_OK(ipc_native_call(echo, args, 1, &ret));
	CHECK_EQ(ret.type, IPC_NATIVE_PTR);
	CHECK(ret.v.p == &x);
}

/* buf: pointer and length as two C arguments, in and out. */
static void test_buf_libc(void)
{
	ipc_native *nlen = open_fn(NULL, "strnlen", "size_t(buf)");
	ipc_native *wr = open_fn(NULL, "write", "long(int, buf)");
	ipc_native *rd = open_fn(NULL, "read", "long(int, buf)");
	struct ipc_native_value args[2];
	struct ipc_native_value ret;
	char got[16];
	int fds[2];

	CHECK_OK(call1(nlen, vb("abc\0def", 7), &ret));
	CHECK_EQ(ret.v.u, 3);
	CHECK_OK(call1(nlen, vb("abcdef", 4), &ret));
	CHECK_EQ(ret.v.u, 4);
	CHECK_OK(call1(nlen, vb(NULL, 0), &ret));
	CHECK_EQ(ret.v.u, 0);
	CHECK_ERR(call1(nlen, vb(NULL, 3), &ret), -EINVAL);

	CHECK(pipe(fds) == 0);
	args[0] = vi(IPC_NATIVE_I32, fds[1]);
	args[1] = vb("native!", 7);
	CHECK_OK(ipc_native_call(wr, args, 2, &ret));
	CHECK_EQ(ret.v.i, 7);
	memset(got, 0, sizeof(got));
	args[0] = vi(IPC_NATIVE_I32, fds[0]);
	args[1] = vb(got, sizeof(got));
	CHECK_OK(ipc_native_call(rd, args, 2, &ret));
	close(fds[0]);
	close(fds[1]);
	CHECK_EQ(ret.v.i, 7);
	CHECK_MEM_EQ(got, "native!", 7);
}

/* ---- types, ranges, results ------------------------------------------- */

struct range_case {
	const char *name;
	const char *sig;
	enum ipc_native_type t;
	bool is_unsigned;
	int64_t lo;
	uint64_t hi;
};

static void test_int_ranges(void)
{
	static const struct range_case cases[] = {
	        {"ipc_test_echo_i8", "i8(i8)", IPC_NATIVE_I8, false, INT8_MIN,
	         INT8_MAX},
	        {"ipc_test_echo_i16", "i16(i16)", IPC_NATIVE_I16, false,
	         INT16_MIN, INT16_MAX},
	        {"ipc_test_echo_i32", "int(int)", IPC_NATIVE_I32, false,
	         INT32_MIN, INT32_MAX},
	        {"ipc_test_echo_u8", "u8(u8)", IPC_NATIVE_U8, true, 0,
	         UINT8_MAX},
	        {"ipc_test_echo_u16", "u16(u16)", IPC_NATIVE_U16, true, 0,
	         UINT16_MAX},
	        {"ipc_test_echo_u32", "u32(u32)", IPC_NATIVE_U32, true, 0,
	         UINT32_MAX},
	};
	struct ipc_native_value ret;
	ipc_native *fn;
	size_t i;

	for (i = 0; i < N_ELEMS(cases); i++) {
		const struct range_case *c = &cases[i];

		fn = open_fn(NULL, c->name, c->sig);
		if (c->is_unsigned) {
			CHECK_OK(call1(fn, vu(c->t, 0), &ret));
			CHECK_EQ(ret.type, c->t);
			CHECK_EQ(ret.v.u, 0);
			CHECK_OK(call1(fn, vu(c->t, c->hi), &ret));
			CHECK(ret.v.u == c->hi);
			CHECK_ERR(call1(fn, vu(c->t, c->hi + 1), &ret),
			          -ERANGE);
			CHECK(contains(ipc_detail(), "argument 1"));
			CHECK_ERR(call1(fn, vu(c->t, UINT64_MAX), &ret),
			          -ERANGE);
		} else {
			CHECK_OK(call1(fn, vi(c->t, c->lo), &ret));
			CHECK_EQ(ret.type, c->t);
			CHECK_EQ(ret.v.i, c->lo);
			CHECK_OK(call1(fn, vi(c->t, (int64_t)c->hi), &ret));
			CHECK_EQ(ret.v.i, (int64_t)c->hi);
			CHECK_OK(call1(fn, vi(c->t, -1), &ret));
			CHECK_EQ(ret.v.i, -1);
			CHECK_ERR(call1(fn, vi(c->t, c->lo - 1), &ret),
			          -ERANGE);
			CHECK_ERR(call1(fn, vi(c->t, (int64_t)c->hi + 1), &ret),
			          -ERANGE);
			CHECK_ERR(call1(fn, vi(c->t, INT64_MIN), &ret),
			          -ERANGE);
		}
	}

	fn = open_fn(NULL, "ipc_test_echo_i64", "long(long)");
	CHECK_OK(call1(fn, vi(IPC_NATIVE_I64, INT64_MIN), &ret));
	CHECK(ret.v.i == INT64_MIN);
	CHECK_OK(call1(fn, vi(IPC_NATIVE_I64, INT64_MAX), &ret));
	CHECK(ret.v.i == INT64_MAX);
	fn = open_fn(NULL, "ipc_test_echo_u64", "size_t(size_t)");
	CHECK_OK(call1(fn, vu(IPC_NATIVE_U64, UINT64_MAX), &ret));
	CHECK(ret.v.u == UINT64_MAX);
	CHECK_OK(call1(fn, vu(IPC_NATIVE_U64, 0), &ret));
	CHECK(ret.v.u == 0);
}

/* Narrow results come back widened to ffi_arg: sign and zero extension. */
static void test_small_results(void)
{
	struct ipc_native_value ret;

	CHECK_OK(ipc_native_call(open_fn(NULL, "ipc_test_neg_i8", "i8()"), NULL,
	                         0, &ret));
	CHECK_EQ(ret.v.i, -1);
	CHECK_OK(ipc_native_call(open_fn(NULL, "ipc_test_max_u8", "u8(void)"),
	                         NULL, 0, &ret));
	CHECK(ret.v.u == 255);
	CHECK_OK(ipc_native_call(open_fn(NULL, "ipc_test_neg_i16", "i16()"),
	                         NULL, 0, &ret));
	CHECK_EQ(ret.v.i, -2);
	CHECK_OK(ipc_native_call(open_fn(NULL, "ipc_test_max_u16", "u16()"),
	                         NULL, 0, &ret));
	CHECK(ret.v.u == 65535);
	CHECK_OK(ipc_native_call(open_fn(NULL, "ipc_test_min_i32", "i32()"),
	                         NULL, 0, &ret));
	CHECK(ret.v.i == INT32_MIN);
	CHECK_OK(ipc_native_call(open_fn(NULL, "ipc_test_max_u32", "u32()"),
	                         NULL, 0, &ret));
	CHECK(ret.v.u == UINT32_MAX);
	count_calls = 0;
	CHECK_OK(ipc_native_call(open_fn(NULL, "ipc_test_count", "void()"),
	                         NULL, 0, &ret));
	CHECK_EQ(ret.type, IPC_NATIVE_VOID);
	CHECK_EQ(count_calls, 1);
}

static void test_float_ranges(void)
{
	ipc_native *f32 = open_fn(NULL, "ipc_test_echo_f32", "float(float)");
	ipc_native *f64 = open_fn(NULL, "ipc_test_echo_f64", "f64(f64)");
	struct ipc_native_value ret;

	CHECK_OK(call1(f32, vf(IPC_NATIVE_F32, 0.5), &ret));
	CHECK_EQ(ret.type, IPC_NATIVE_F32);
	CHECK(ret.v.f == 0.5);
	CHECK_OK(call1(f32, vf(IPC_NATIVE_F32, FLT_MAX), &ret));
	CHECK(ret.v.f == FLT_MAX);
	CHECK_OK(call1(f32, vf(IPC_NATIVE_F32, -FLT_MAX), &ret));
	CHECK(ret.v.f == -FLT_MAX);
	CHECK_OK(call1(f32, vf(IPC_NATIVE_F32, 0.1), &ret));
	CHECK(ret.v.f == (double)0.1f);
	CHECK_ERR(call1(f32, vf(IPC_NATIVE_F32, 1e39), &ret), -ERANGE);
	CHECK_ERR(call1(f32, vf(IPC_NATIVE_F32, -1e39), &ret), -ERANGE);
	CHECK_ERR(call1(f32, vf(IPC_NATIVE_F32, DBL_MAX), &ret), -ERANGE);
	CHECK_OK(call1(f32, vf(IPC_NATIVE_F32, INFINITY), &ret));
	CHECK(isinf(ret.v.f) && ret.v.f > 0);
	CHECK_OK(call1(f32, vf(IPC_NATIVE_F32, NAN), &ret));
	CHECK(isnan(ret.v.f));
	CHECK_OK(call1(f64, vf(IPC_NATIVE_F64, DBL_MAX), &ret));
	CHECK(ret.v.f == DBL_MAX);
	CHECK_OK(call1(f64, vf(IPC_NATIVE_F64, -DBL_MIN), &ret));
	CHECK(ret.v.f == -DBL_MIN);
}

/* Twelve arguments of every kind, a buf among them, each in its place. */
static void test_mixed_args(void)
{
	ipc_native *fn =
	        open_fn(NULL, "ipc_test_mix",
	                "f64(i8,u16,buf,i32,f32,str,i64,u8,f64,u64,ptr)");
	struct ipc_native_value a[11];
	struct ipc_native_value ret;
	double want;

	a[0] = vi(IPC_NATIVE_I8, -3);
	a[1] = vu(IPC_NATIVE_U16, 2);
	a[2] = vb("\x01\x02\x05", 3);
	a[3] = vi(IPC_NATIVE_I32, 4);
	a[4] = vf(IPC_NATIVE_F32, 0.5);
	a[5] = vs("abcdef");
	a[6] = vi(IPC_NATIVE_I64, 7);
	a[7] = vu(IPC_NATIVE_U8, 8);
	a[8] = vf(IPC_NATIVE_F64, 0.25);
	a[9] = vu(IPC_NATIVE_U64, 9);
	memset(&a[10], 0, sizeof(a[10]));
	a[10].type = IPC_NATIVE_PTR;
	a[10].v.p = &count_calls;
	CHECK_EQ(ipc_native_signature(fn)->nargs, 11);
	CHECK_OK(ipc_native_call(fn, a, 11, &ret));
	want = -3 + 2 * 10.0 + 5 * 100.0 + 3 * 1000.0 + 4 * 1e4 + 0.5 * 1e5 +
	       6 * 1e6 + 7 * 1e7 + 8 * 1e8 + 0.25 * 1e9 + 9 * 1e10 + 1e11;
	CHECK(ret.v.f == want);
}

static void test_sixteen_args(void)
{
	ipc_native *fn = open_fn(
	        NULL, "ipc_test_sum16",
	        "long(long,long,long,long,long,long,long,long,long,long,long,"
	        "long,long,long,long,long)");
	struct ipc_native_value a[IPC_NATIVE_MAX_ARGS];
	struct ipc_native_value ret;
	long want = 0;
	int i;

	for (i = 0; i < IPC_NATIVE_MAX_ARGS; i++) {
		a[i] = vi(IPC_NATIVE_I64, 100 + i);
		want += (i + 1) * (100 + i);
	}
	CHECK_OK(ipc_native_call(fn, a, IPC_NATIVE_MAX_ARGS, &ret));
	CHECK_EQ(ret.v.i, want);
}

/* ---- errors ------------------------------------------------------------ */

static void test_missing(void)
{
	ipc_native *fn = (ipc_native *)&fn;

	CHECK_ERR(
	        ipc_native_open(&fn, "libipc-no-such-lib.so.9", "f", "void()"),
	        -ENOENT);
	CHECK(fn == NULL);
	CHECK(contains(ipc_detail(), "libipc-no-such-lib.so.9"));
	CHECK_ERR(ipc_native_open(&fn, "libm.so.6", "ipc_no_such_symbol",
	                          "void()"),
	          -ENOENT);
	CHECK(fn == NULL);
	CHECK(contains(ipc_detail(), "ipc_no_such_symbol"));
	CHECK_ERR(ipc_native_open(&fn, NULL, "ipc_no_such_symbol", "void()"),
	          -ENOENT);
	CHECK(contains(ipc_detail(), "ipc_no_such_symbol"));
	CHECK_ERR(ipc_native_open(&fn, NULL, "", "void()"), -EINVAL);
	CHECK_ERR(ipc_native_open(&fn, NULL, NULL, "void()"), -EINVAL);
	/* A bad signature is reported before the library is looked at. */
	CHECK_ERR(ipc_native_open(&fn, "libipc-no-such-lib.so.9", "f",
	                          "void(void"),
	          -EINVAL);
	CHECK(contains(ipc_detail(), "signature"));
	CHECK(fn == NULL);
	ipc_native_close(NULL);
}

static void test_bad_signatures(void)
{
	static const char *const bad[] = {
	        "",
	        " ",
	        "(",
	        ")",
	        "int",
	        "int(",
	        "int(int",
	        "int(int,)",
	        "int(,int)",
	        "int(,)",
	        "foo(int)",
	        "int(foo)",
	        "int(void,int)",
	        "int(int,void)",
	        "buf(int)",
	        "int()x",
	        "int() ()",
	        "char(int)",
	        "int(char)",
	        "int(char **)",
	        "INT(int)",
	        "int(int int)",
	        "int((int))",
	        "int(i32 ,)",
	        "i33(i8)",
	        "int(u64x)",
	        "int[int]",
	        "void (void) ;",
	        "int(*)",
	        "int(i8",
	        "str(void void)",
	        "int(\xff)",
	        "(int)",
	        "int(int)(int)",
	        "int(int,,int)",
	        "void",
	};
	struct ipc_native_sig sig;
	size_t i;

	for (i = 0; i < N_ELEMS(bad); i++) {
		memset(&sig, 0xa5, sizeof(sig));
		ipc_detail_clear();
		if (ipc_native_sig_parse(bad[i], &sig) != -EINVAL)
			check_fail(__FILE__, __LINE__, "\"%s\" parsed", bad[i]);
		CHECK(contains(ipc_detail(), "signature"));
		CHECK_EQ(sig.nargs, 0);
		CHECK_EQ(sig.ret, IPC_NATIVE_VOID);
	}
	CHECK_ERR(ipc_native_sig_parse(NULL, &sig), -EINVAL);
}

static void test_too_many_args(void)
{
	char sig[256] = "void(";
	struct ipc_native_sig s;
	ipc_native *fn;
	int i;

	for (i = 0; i < IPC_NATIVE_MAX_ARGS; i++)
		strcat(sig, i > 0 ? ",buf" : "buf");
	strcat(sig, ")");
	CHECK_OK(ipc_native_sig_parse(sig, &s));
	CHECK_EQ(s.nargs, IPC_NATIVE_MAX_ARGS);
	sig[strlen(sig) - 1] = '\0';
	strcat(sig, ",i8)");
	CHECK_ERR(ipc_native_sig_parse(sig, &s), -E2BIG);
	CHECK_EQ(s.nargs, 0);
	CHECK_ERR(ipc_native_open(&fn, NULL, "abs", sig), -E2BIG);
	CHECK(fn == NULL);
}

static void test_wrong_count_and_type(void)
{
	ipc_native *fn = open_fn(NULL, "ipc_test_echo_i32", "int(int)");
	ipc_native *cnt = open_fn(NULL, "ipc_test_count", "void()");
	ipc_native *buf = open_fn(NULL, "strnlen", "size_t(buf)");
	struct ipc_native_value a[2];
	struct ipc_native_value ret;

	a[0] = vi(IPC_NATIVE_I32, 1);
	a[1] = vi(IPC_NATIVE_I32, 2);
	CHECK_ERR(ipc_native_call(fn, a, 2, &ret), -EINVAL);
	CHECK_STR_EQ(ipc_detail(), "expected 1 argument, got 2");
	CHECK_ERR(ipc_native_call(fn, a, 0, &ret), -EINVAL);
	CHECK_STR_EQ(ipc_detail(), "expected 1 argument, got 0");
	a[0] = vf(IPC_NATIVE_F64, 1.0);
	CHECK_ERR(ipc_native_call(fn, a, 1, &ret), -EINVAL);
	CHECK_STR_EQ(ipc_detail(), "argument 1: expected i32, got f64");
	a[0] = vi(IPC_NATIVE_I64, 1);
	CHECK_ERR(ipc_native_call(fn, a, 1, &ret), -EINVAL);
	CHECK_STR_EQ(ipc_detail(), "argument 1: expected i32, got i64");
	a[0] = vs("x");
	CHECK_ERR(ipc_native_call(buf, a, 1, &ret), -EINVAL);
	CHECK_STR_EQ(ipc_detail(), "argument 1: expected buf, got str");
	a[0] = vi((enum ipc_native_type)99, 1);
	CHECK_ERR(ipc_native_call(fn, a, 1, &ret), -EINVAL);
	CHECK_STR_EQ(ipc_detail(), "argument 1: expected i32, got ?");

	/* Nothing is called when the arguments are refused. */
	count_calls = 0;
	CHECK_ERR(ipc_native_call(cnt, a, 1, &ret), -EINVAL);
	CHECK_EQ(count_calls, 0);
	CHECK_OK(ipc_native_call(cnt, NULL, 0, &ret));
	CHECK_EQ(count_calls, 1);
}

/* ---- canonical form ---------------------------------------------------- */

static void test_format_round_trip(void)
{
	static const char *const pairs[][2] = {
	        {"double(double)", "f64(f64)"},
	        {" long ( buf , buf ) ", "i64(buf,buf)"},
	        {"void(void)", "void()"},
	        {"void()", "void()"},
	        {"void ( )", "void()"},
	        {"char *(char*, size_t)", "str(str,u64)"},
	        {"char\t*\t(\tint\t)", "str(i32)"},
	        {"float(i8,i16,i32,i64,u8,u16,u32,u64,f32,f64,ptr,str,buf)",
	         "f32(i8,i16,i32,i64,u8,u16,u32,u64,f32,f64,ptr,str,buf)"},
	        {"ptr(ptr)", "ptr(ptr)"},
	        {"u8(\nu16\n)", "u8(u16)"},
	};
	struct ipc_native_sig a;
	struct ipc_native_sig b;
	char buf[128];
	size_t i;
	size_t n;

	for (i = 0; i < N_ELEMS(pairs); i++) {
		CHECK_OK(ipc_native_sig_parse(pairs[i][0], &a));
		CHECK_OK(ipc_native_sig_format(&a, buf, sizeof(buf)));
		CHECK_STR_EQ(buf, pairs[i][1]);
		CHECK_OK(ipc_native_sig_parse(buf, &b));
		CHECK(memcmp(&a, &b, sizeof(a)) == 0);
		/* Exactly enough room, and one byte less. */
		n = strlen(buf);
		CHECK_OK(ipc_native_sig_format(&a, buf, n + 1));
		CHECK_STR_EQ(buf, pairs[i][1]);
		CHECK_ERR(ipc_native_sig_format(&a, buf, n), -ENOSPC);
		CHECK(strlen(buf) < n);
	}
	CHECK_ERR(ipc_native_sig_format(&a, buf, 0), -ENOSPC);
	a.ret = IPC_NATIVE_BUF;
	CHECK_ERR(ipc_native_sig_format(&a, buf, sizeof(buf)), -EINVAL);
	CHECK_STR_EQ(ipc_native_type_name(IPC_NATIVE_BUF), "buf");
	CHECK_STR_EQ(ipc_native_type_name(IPC_NATIVE_VOID), "void");
	CHECK_STR_EQ(ipc_native_type_name((enum ipc_native_type)99), "?");
	CHECK_STR_EQ(ipc_native_type_name((enum ipc_native_type) - 1), "?");
}

static void test_stage_check(void)
{
	static const char *const good[] = {
	        "long(buf,buf)", "int(buf,buf)", "size_t(str)", "f64(buf)",
	        "str(str)",      "i8(buf)",      "u32(str)",
	};
	static const char *const bad[] = {
	        "void(buf)",    "ptr(buf)",
	        "void(str)",    "long(buf,buf,buf)",
	        "i8(buf,buf)",  "long(str,str)",
	        "long()",       "str(ptr)",
	        "u64(buf,buf)",
	};
	struct ipc_native_sig s;
	size_t i;

	for (i = 0; i < N_ELEMS(good); i++) {
		CHECK_OK(ipc_native_sig_parse(good[i], &s));
		CHECK_OK(ipc_native_stage_check(&s));
	}
	for (i = 0; i < N_ELEMS(bad); i++) {
		CHECK_OK(ipc_native_sig_parse(bad[i], &s));
		CHECK_ERR(ipc_native_stage_check(&s), -EINVAL);
		CHECK(contains(ipc_detail(), "long(buf,buf)"));
	}
}

/* ---- the example stage library ----------------------------------------- */

static long stage_call(const ipc_native *fn, const char *in, char *out,
                       size_t cap)
{
	struct ipc_native_value a[2];
	struct ipc_native_value ret;

	a[0] = vb(in, strlen(in));
	a[1] = vb(out, cap);
	CHECK_OK(ipc_native_call(fn, a, 2, &ret));
	CHECK_EQ(ret.type, IPC_NATIVE_I64);
	return (long)ret.v.i;
}

static void test_stage_library(void)
{
	ipc_native *up = open_fn(IPC_TEST_STAGES_LIB, "ipc_stage_upper",
	                         "long(buf,buf)");
	ipc_native *crc = open_fn(IPC_TEST_STAGES_LIB, "ipc_stage_crc32c",
	                          "long(buf,buf)");
	ipc_native *rev = open_fn(IPC_TEST_STAGES_LIB, "ipc_stage_reverse",
	                          "long(buf,buf)");
	char out[32];

	CHECK_EQ(stage_call(up, "Hello, World 1!", out, sizeof(out)), 15);
	CHECK_MEM_EQ(out, "HELLO, WORLD 1!", 15);
	CHECK_EQ(stage_call(up, "abc", out, 2), -ENOBUFS);
	CHECK_EQ(stage_call(up, "", out, 0), 0);
	/* The CRC-32C check value (RFC 3720 B.4). */
	CHECK_EQ(stage_call(crc, "123456789", out, sizeof(out)), 8);
	CHECK_MEM_EQ(out, "e3069283", 8);
	CHECK_EQ(stage_call(crc, "", out, sizeof(out)), 8);
	CHECK_MEM_EQ(out, "00000000", 8);
	CHECK_EQ(stage_call(crc, "x", out, 7), -ENOBUFS);
	CHECK_EQ(stage_call(rev, "stressed", out, sizeof(out)), 8);
	CHECK_MEM_EQ(out, "desserts", 8);
}

/* ---- stages over channels ---------------------------------------------- */

struct feed {
	const char *const *msgs;
	const size_t *lens;
	size_t n;
};

struct drain {
	const char *const *want;
	const size_t *lens;
	size_t n;
};

/* The four ends of a stage's two pipes, and what each child does. */
struct pipes {
	ipc_chan *in_rd;
	ipc_chan *in_wr;
	ipc_chan *out_rd;
	ipc_chan *out_wr;
	struct feed *f;
	struct drain *d;
};

/* Sends each message, then closes (the end of the input). */
static void feeder(void *arg)
{
	struct pipes *p = arg;
	size_t i;

	ipc_chan_close(p->in_rd);
	ipc_chan_close(p->out_rd);
	ipc_chan_close(p->out_wr);
	for (i = 0; i < p->f->n; i++)
		CHECK_OK(ipc_chan_send(p->in_wr, p->f->msgs[i], p->f->lens[i],
		                       ipc_deadline_in_ms(10000)));
	CHECK_OK(ipc_chan_close(p->in_wr));
}

/* Receives exactly the expected messages, then the end of the stream. */
static void drainer(void *arg)
{
	struct pipes *p = arg;
	const void *data;
	size_t len;
	size_t i;

	ipc_chan_close(p->in_rd);
	ipc_chan_close(p->out_wr);
	for (i = 0; i < p->d->n; i++) {
		CHECK_OK(ipc_chan_recv_borrow(p->out_rd, &data, &len, NULL,
		                              ipc_deadline_in_ms(10000)));
		CHECK_EQ(len, p->d->lens[i]);
		CHECK_MEM_EQ(data, p->d->want[i], len);
	}
	CHECK_ERR(ipc_chan_recv_borrow(p->out_rd, &data, &len, NULL,
	                               ipc_deadline_in_ms(10000)),
	          -EPIPE);
	ipc_chan_close(p->out_rd);
}

/*
 * Runs @fn as a stage between two pipes: a child feeds the input, another
 * drains and checks the output. Returns the stage's status.
 */
static ipc_status run_pipes(const ipc_native *fn, struct feed *f,
                            struct drain *d, uint64_t stats[2])
{
	struct pipes p = {NULL, NULL, NULL, NULL, f, d};
	pid_t fp;
	pid_t dp;
	ipc_status st;

	CHECK_OK(ipc_chan_pipe(&p.in_rd, &p.in_wr, 0));
	CHECK_OK(ipc_chan_pipe(&p.out_rd, &p.out_wr, 0));
	fp = check_fork(feeder, &p);
	CHECK_OK(ipc_chan_close(p.in_wr));
	p.in_wr = NULL;
	dp = check_fork(drainer, &p);
	CHECK_OK(ipc_chan_close(p.out_rd));
	st = ipc_native_stage_run(fn, p.in_rd, p.out_wr, stats);
	CHECK_OK(ipc_chan_close(p.out_wr));
	CHECK_OK(ipc_chan_close(p.in_rd));
	CHECK_CHILD_OK(fp, 20000);
	CHECK_CHILD_OK(dp, 20000);
	return st;
}

/* What @fn makes of @in, as text (the CRCs the drainer expects). */
static const char *stage_text(const ipc_native *fn, const char *in)
{
	static char texts[4][16];
	static int next;
	char *t = texts[next++ % 4];
	long n = stage_call(fn, in, t, sizeof(texts[0]) - 1);

	CHECK(n >= 0 && n < 16);
	t[n] = '\0';
	return t;
}

static void test_stage_run_pipe(void)
{
	ipc_native *up = open_fn(IPC_TEST_STAGES_LIB, "ipc_stage_upper",
	                         "long(buf,buf)");
	ipc_native *crc = open_fn(IPC_TEST_STAGES_LIB, "ipc_stage_crc32c",
	                          "long(buf,buf)");
	static const char *const msgs[] = {"hello", "", "123456789", "MiXeD"};
	static const size_t lens[] = {5, 0, 9, 5};
	static const char *const upper[] = {"HELLO", "", "123456789", "MIXED"};
	static const size_t crc_lens[] = {8, 8, 8, 8};
	const char *crcs[4];
	struct feed f = {msgs, lens, 4};
	struct drain d = {upper, lens, 4};
	uint64_t stats[2] = {99, 99};
	size_t i;

	CHECK_OK(run_pipes(up, &f, &d, stats));
	CHECK_EQ(stats[0], 4);
	CHECK_EQ(stats[1], 4);

	for (i = 0; i < 4; i++)
		crcs[i] = stage_text(crc, msgs[i]);
	CHECK_STR_EQ(crcs[0], "9a71bb4c");
	CHECK_STR_EQ(crcs[2], "e3069283");
	d.want = crcs;
	d.lens = crc_lens;
	CHECK_OK(run_pipes(crc, &f, &d, NULL));
}

static void test_stage_run_text(void)
{
	ipc_native *len = open_fn(NULL, "strlen", "size_t(str)");
	ipc_native *nlen = open_fn(NULL, "strnlen", "size_t(buf)");
	ipc_native *env = open_fn(NULL, "getenv", "str(str)");
	ipc_native *atof_fn = open_fn(NULL, "atof", "double(str)");
	ipc_native *atoi_fn = open_fn(NULL, "atoi", "int(str)");
	static const char *const msgs[] = {"hello", "", "a\0bc", "0.1"};
	static const size_t lens[] = {5, 0, 4, 3};
	static const char *const by_strlen[] = {"5", "0", "1", "3"};
	static const size_t strlen_lens[] = {1, 1, 1, 1};
	static const char *const by_strnlen[] = {"5", "0", "1", "3"};
	static const char *const vars[] = {"IPC_TEST_NATIVE_A", "IPC_NO_SUCH",
	                                   "IPC_TEST_NATIVE_B"};
	static const size_t var_lens[] = {17, 11, 17};
	static const char *const vals[] = {"alpha", "", "beta"};
	static const size_t val_lens[] = {5, 0, 4};
	static const char *const nums[] = {"0.1", "-2", "1e300"};
	static const size_t num_lens[] = {3, 2, 5};
	char floats_buf[3][32];
	const char *floats[3];
	size_t float_lens[3];
	static const char *const ints[] = {"0", "-2", "1"};
	static const size_t int_lens[] = {1, 2, 1};
	struct feed f = {msgs, lens, 4};
	struct drain d = {by_strlen, strlen_lens, 4};
	uint64_t stats[2];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(floats_buf[i], sizeof(floats_buf[i]), "%.17g",
		         atof(nums[i]));
		floats[i] = floats_buf[i];
		float_lens[i] = strlen(floats[i]);
	}
	CHECK_STR_EQ(floats[0], "0.10000000000000001");
	CHECK_OK(run_pipes(len, &f, &d, stats));
	CHECK_EQ(stats[0], 4);
	CHECK_EQ(stats[1], 4);
	d.want = by_strnlen;
	CHECK_OK(run_pipes(nlen, &f, &d, NULL));

	/* A NULL str result sends an empty message. */
	CHECK(setenv("IPC_TEST_NATIVE_A", "alpha", 1) == 0);
	CHECK(setenv("IPC_TEST_NATIVE_B", "beta", 1) == 0);
	f.msgs = vars;
	f.lens = var_lens;
	f.n = 3;
	d.want = vals;
	d.lens = val_lens;
	d.n = 3;
	CHECK_OK(run_pipes(env, &f, &d, NULL));

	f.msgs = nums;
	f.lens = num_lens;
	d.want = floats;
	d.lens = float_lens;
	CHECK_OK(run_pipes(atof_fn, &f, &d, NULL));
	d.want = ints;
	d.lens = int_lens;
	CHECK_OK(run_pipes(atoi_fn, &f, &d, NULL));
}

/* The output buffer doubles on -ENOBUFS, past the 64 KiB it starts at. */
static void test_stage_run_grow(void)
{
	ipc_native *grow =
	        open_fn(NULL, "ipc_test_stage_grow", "long(buf,buf)");
	static char big[100000];
	static char big3[300000];
	static const char *msgs[] = {"ab", big, "c"};
	static const size_t lens[] = {2, sizeof(big), 1};
	static const char *want[] = {"ababab", big3, "ccc"};
	static const size_t want_lens[] = {6, sizeof(big3), 3};
	struct feed f = {msgs, lens, 3};
	struct drain d = {want, want_lens, 3};
	uint64_t stats[2];
	int i;

	check_fill(big, sizeof(big), 7, 0);
	for (i = 0; i < 3; i++)
		memcpy(big3 + (size_t)i * sizeof(big), big, sizeof(big));
	CHECK_OK(run_pipes(grow, &f, &d, stats));
	CHECK_EQ(stats[0], 3);
	CHECK_EQ(stats[1], 3);
}

/* The function's own error ends the stage; so does a lie about length. */
static void test_stage_run_errors(void)
{
	ipc_native *fail =
	        open_fn(NULL, "ipc_test_stage_fail", "long(buf,buf)");
	ipc_native *over =
	        open_fn(NULL, "ipc_test_stage_over", "long(buf,buf)");
	ipc_native *bad = open_fn(NULL, "ipc_test_count", "void()");
	static const char *const msgs[] = {"one", "fail", "never"};
	const char *msgs_intr[] = {"one", "", "never"};
	static const size_t lens[] = {3, 4, 5};
	static const char *const want[] = {"one"};
	struct feed f = {msgs, lens, 2};
	struct drain d = {want, lens, 1};
	uint64_t stats[2];
	ipc_chan *rd;
	ipc_chan *wr;

	CHECK_ERR(run_pipes(fail, &f, &d, stats), -EIO);
	CHECK_EQ(stats[0], 2);
	CHECK_EQ(stats[1], 1);
	CHECK(contains(ipc_detail(), "-5"));

	/* The function's own -EINTR must not pass for a signal (the worker
	 * would retry past it): it ends the stage as -EPROTO. */
	msgs_intr[1] = "intr";
	f.msgs = msgs_intr;
	CHECK_ERR(run_pipes(fail, &f, &d, stats), -EPROTO);
	CHECK(contains(ipc_detail(), "-4"));
	f.msgs = msgs;

	f.n = 1;
	d.n = 0;
	CHECK_ERR(run_pipes(over, &f, &d, stats), -EOVERFLOW);
	CHECK_EQ(stats[0], 1);
	CHECK_EQ(stats[1], 0);

	CHECK_OK(ipc_chan_pipe(&rd, &wr, 0));
	CHECK_ERR(ipc_native_stage_run(bad, rd, wr, NULL), -EINVAL);
	ipc_chan_close(rd);
	ipc_chan_close(wr);
}

static void close_chan(void *p)
{
	ipc_chan_close(p);
}

/* An output smaller than what the function needs: -EMSGSIZE. */
static void test_stage_run_max(void)
{
	ipc_native *grow =
	        open_fn(NULL, "ipc_test_stage_grow", "long(buf,buf)");
	static char big[40000];
	ipc_chan *in_rd;
	ipc_chan *in_wr;
	ipc_chan *out;
	char url[64];
	int fds[2];

	CHECK(pipe(fds) == 0);
	snprintf(url, sizeof(url), "fd:%d?max_message_size=100000", fds[1]);
	CHECK_OK(ipc_chan_open(&out, url, IPC_O_WRITE, NULL,
	                       ipc_deadline_in_ms(1000)));
	check_defer(close_chan, out);
	CHECK_EQ(ipc_chan_max_message(out), 100000);
	CHECK_OK(ipc_chan_pipe(&in_rd, &in_wr, 0));
	check_defer(close_chan, in_rd);
	/* 40000 bytes fit the input pipe's buffer without a reader. */
	memset(big, 'x', sizeof(big));
	CHECK_OK(ipc_chan_send(in_wr, big, sizeof(big),
	                       ipc_deadline_in_ms(1000)));
	CHECK_OK(ipc_chan_close(in_wr));
	CHECK_ERR(ipc_native_stage_run(grow, in_rd, out, NULL), -EMSGSIZE);
	CHECK(contains(ipc_detail(), "100000"));
	close(fds[0]);
}

static void unlink_mq(void *name)
{
	ipc_mq_unlink(name);
}

/*
 * Queue kinds: an empty message ends the input and is not passed on, and
 * an empty result is not sent to a queue (it would end the consumer).
 */
static void test_stage_run_queue(void)
{
	ipc_native *up = open_fn(IPC_TEST_STAGES_LIB, "ipc_stage_upper",
	                         "long(buf,buf)");
	const char *qname = check_posix_name("native");
	ipc_chan *q;
	ipc_chan *rd;
	ipc_chan *wr;
	char url[128];
	char buf[64];
	size_t n;
	uint64_t stats[2];

	snprintf(url, sizeof(url), "mq:%s", qname);
	CHECK_OK(ipc_chan_open(&q, url, IPC_O_RDWR | IPC_O_CREATE, NULL,
	                       ipc_deadline_in_ms(1000)));
	check_defer(unlink_mq, (void *)qname);
	check_defer(close_chan, q);

	/* pipe -> queue: "x", "", "y" give "X", "Y". */
	CHECK_OK(ipc_chan_pipe(&rd, &wr, 0));
	CHECK_OK(ipc_chan_send(wr, "x", 1, ipc_deadline_in_ms(1000)));
	CHECK_OK(ipc_chan_send(wr, "", 0, ipc_deadline_in_ms(1000)));
	CHECK_OK(ipc_chan_send(wr, "y", 1, ipc_deadline_in_ms(1000)));
	CHECK_OK(ipc_chan_close(wr));
	CHECK_OK(ipc_native_stage_run(up, rd, q, stats));
	CHECK_OK(ipc_chan_close(rd));
	CHECK_EQ(stats[0], 3);
	CHECK_EQ(stats[1], 2);
	CHECK_OK(ipc_chan_recv(q, buf, sizeof(buf), &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 1);
	CHECK_EQ(buf[0], 'X');
	CHECK_OK(ipc_chan_recv(q, buf, sizeof(buf), &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 1);
	CHECK_EQ(buf[0], 'Y');
	CHECK_ERR(ipc_chan_recv(q, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EAGAIN);

	/* queue -> pipe: "a", "b", "" end the input; "c" stays queued. */
	CHECK_OK(ipc_chan_send(q, "a", 1, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_chan_send(q, "b", 1, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_chan_send(q, "", 0, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_chan_send(q, "c", 1, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_chan_pipe(&rd, &wr, 0));
	CHECK_OK(ipc_native_stage_run(up, q, wr, stats));
	CHECK_OK(ipc_chan_close(wr));
	CHECK_EQ(stats[0], 2);
	CHECK_EQ(stats[1], 2);
	CHECK_OK(ipc_chan_recv(rd, buf, sizeof(buf), &n, IPC_DEADLINE_NOW));
	CHECK(n == 1 && buf[0] == 'A');
	CHECK_OK(ipc_chan_recv(rd, buf, sizeof(buf), &n, IPC_DEADLINE_NOW));
	CHECK(n == 1 && buf[0] == 'B');
	CHECK_ERR(ipc_chan_recv(rd, buf, sizeof(buf), &n, IPC_DEADLINE_NOW),
	          -EPIPE);
	CHECK_OK(ipc_chan_close(rd));
	CHECK_OK(ipc_chan_recv(q, buf, sizeof(buf), &n, IPC_DEADLINE_NOW));
	CHECK(n == 1 && buf[0] == 'c');

	/* A sink: no output channel, the calls still happen. */
	CHECK_OK(ipc_chan_send(q, "d", 1, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_chan_send(q, "", 0, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_native_stage_run(up, q, NULL, stats));
	CHECK_EQ(stats[0], 1);
	CHECK_EQ(stats[1], 0);
}

static const struct check_case cases[] = {
        CHECK_CASE(test_libm_cos),
        CHECK_CASE(test_libc_ints),
        CHECK_CASE(test_getenv_str),
        CHECK_CASE(test_null_str_and_ptr),
        CHECK_CASE(test_buf_libc),
        CHECK_CASE(test_int_ranges),
        CHECK_CASE(test_small_results),
        CHECK_CASE(test_float_ranges),
        CHECK_CASE(test_mixed_args),
        CHECK_CASE(test_sixteen_args),
        CHECK_CASE(test_missing),
        CHECK_CASE(test_bad_signatures),
        CHECK_CASE(test_too_many_args),
        CHECK_CASE(test_wrong_count_and_type),
        CHECK_CASE(test_format_round_trip),
        CHECK_CASE(test_stage_check),
        CHECK_CASE(test_stage_library),
        CHECK_CASE(test_stage_run_pipe),
        CHECK_CASE(test_stage_run_text),
        CHECK_CASE(test_stage_run_grow),
        CHECK_CASE(test_stage_run_errors),
        CHECK_CASE(test_stage_run_max),
        CHECK_CASE(test_stage_run_queue),
        {NULL, NULL},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
