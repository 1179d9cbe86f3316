/* SPDX-License-Identifier: MIT */
/*
 * native.c - calling a C function by name through libffi (ipc/native.h).
 *
 * The library is opened RTLD_NOW, so that a missing dependency fails the
 * open rather than a later call, and RTLD_LOCAL, so that its symbols never
 * satisfy anyone else's. The call interface is prepared once, at open; a
 * call only checks and converts the values. A buf argument is two C
 * arguments, pointer and size_t, so the C argument list can be up to twice
 * as long as the signature's.
 */
#include <dlfcn.h>
#include <ffi.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ipc/native.h"

#define NATIVE_MAX_CARGS (2 * IPC_NATIVE_MAX_ARGS)

struct ipc_native {
	void *lib;
	void *sym;
	struct ipc_native_sig sig;
	unsigned int ncargs;
	ffi_cif cif;
	ffi_type *ctypes[NATIVE_MAX_CARGS];
};

/* One C argument as libffi reads it: the value in its own C type. */
union native_slot {
	int8_t i8;
	int16_t i16;
	int32_t i32;
	int64_t i64;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	float f32;
	double f64;
	const void *p;
	size_t size;
};

/*
 * Where libffi writes a result: integer results narrower than a register
 * come back widened to ffi_arg (sign- or zero-extended as their type
 * says), so the storage is at least an ffi_arg.
 */
union native_result {
	ffi_arg a;
	ffi_sarg s;
	uint64_t u64;
	int64_t i64;
	float f32;
	double f64;
	void *p;
};

static ffi_type *ffi_type_of(enum ipc_native_type t)
{
	switch (t) {
	case IPC_NATIVE_VOID:
		return &ffi_type_void;
	case IPC_NATIVE_I8:
		return &ffi_type_sint8;
	case IPC_NATIVE_I16:
		return &ffi_type_sint16;
	case IPC_NATIVE_I32:
		return &ffi_type_sint32;
	case IPC_NATIVE_I64:
		return &ffi_type_sint64;
	case IPC_NATIVE_U8:
		return &ffi_type_uint8;
	case IPC_NATIVE_U16:
		return &ffi_type_uint16;
	case IPC_NATIVE_U32:
		return &ffi_type_uint32;
	case IPC_NATIVE_U64:
		return &ffi_type_uint64;
	case IPC_NATIVE_F32:
		return &ffi_type_float;
	case IPC_NATIVE_F64:
		return &ffi_type_double;
	case IPC_NATIVE_PTR:
	case IPC_NATIVE_STR:
	case IPC_NATIVE_BUF:
		return &ffi_type_pointer;
	}
	return NULL;
}

/* dlerror()'s text, or @fallback when it has none. */
static const char *dl_text(const char *fallback)
{
	const char *e = dlerror();

	return e != NULL ? e : fallback;
}

ipc_status ipc_native_open(ipc_native **out, const char *lib, const char *name,
                           const char *sig)
{
	ipc_native *fn;
	unsigned int i;
	ipc_status st;

	*out = NULL;
	ipc__detail_clear();
	if (name == NULL || name[0] == '\0')
		return ipc__detail(-EINVAL, "native: no function name");
	fn = calloc(1, sizeof(*fn));
	if (fn == NULL)
		return -ENOMEM;
	st = ipc_native_sig_parse(sig, &fn->sig);
	if (st < 0)
		goto err_free;
	for (i = 0; i < fn->sig.nargs; i++) {
		fn->ctypes[fn->ncargs++] = ffi_type_of(fn->sig.args[i]);
		if (fn->sig.args[i] == IPC_NATIVE_BUF)
			fn->ctypes[fn->ncargs++] = sizeof(size_t) == 8
			                                   ? &ffi_type_uint64
			                                   : &ffi_type_uint32;
	}
	if (ffi_prep_cif(&fn->cif, FFI_DEFAULT_ABI, fn->ncargs,
	                 ffi_type_of(fn->sig.ret), fn->ctypes) != FFI_OK) {
		st = ipc__detail(-ENOTSUP, "native: libffi cannot prepare %s",
		                 name);
		goto err_free;
	}
	(void)dlerror();
	fn->lib = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (fn->lib == NULL) {
		st = ipc__detail(-ENOENT, "native: %s",
		                 dl_text("dlopen failed"));
		goto err_free;
	}
	(void)dlerror();
	fn->sym = dlsym(fn->lib, name);
	if (fn->sym == NULL) {
		st = ipc__detail(-ENOENT, "native: %s",
		                 dl_text("symbol is NULL"));
		goto err_close;
	}
	*out = fn;
	return 0;

err_close:
	dlclose(fn->lib);
err_free:
	free(fn);
	return st;
}

const struct ipc_native_sig *ipc_native_signature(const ipc_native *fn)
{
	return &fn->sig;
}

void ipc_native_close(ipc_native *fn)
{
	if (fn == NULL)
		return;
	dlclose(fn->lib);
	free(fn);
}

static ipc_status range_error(unsigned int argno, enum ipc_native_type t)
{
	return ipc__detail(-ERANGE, "argument %u: out of range for %s", argno,
	                   ipc_native_type_name(t));
}

static bool fits_signed(int64_t v, int bits)
{
	int64_t max = (int64_t)(((uint64_t)1 << (bits - 1)) - 1);

	return v >= -max - 1 && v <= max;
}

/* Check one value against its declared type and store it in @slot. */
static ipc_status convert_arg(unsigned int argno, enum ipc_native_type t,
                              const struct ipc_native_value *v,
                              union native_slot *slot)
{
	if (v->type != t)
		return ipc__detail(-EINVAL, "argument %u: expected %s, got %s",
		                   argno, ipc_native_type_name(t),
		                   ipc_native_type_name(v->type));
	switch (t) {
	case IPC_NATIVE_I8:
		if (!fits_signed(v->v.i, 8))
			return range_error(argno, t);
		slot->i8 = (int8_t)v->v.i;
		break;
	case IPC_NATIVE_I16:
		if (!fits_signed(v->v.i, 16))
			return range_error(argno, t);
		slot->i16 = (int16_t)v->v.i;
		break;
	case IPC_NATIVE_I32:
		if (!fits_signed(v->v.i, 32))
			return range_error(argno, t);
		slot->i32 = (int32_t)v->v.i;
		break;
	case IPC_NATIVE_I64:
		slot->i64 = v->v.i;
		break;
	case IPC_NATIVE_U8:
		if (v->v.u > UINT8_MAX)
			return range_error(argno, t);
		slot->u8 = (uint8_t)v->v.u;
		break;
	case IPC_NATIVE_U16:
		if (v->v.u > UINT16_MAX)
			return range_error(argno, t);
		slot->u16 = (uint16_t)v->v.u;
		break;
	case IPC_NATIVE_U32:
		if (v->v.u > UINT32_MAX)
			return range_error(argno, t);
		slot->u32 = (uint32_t)v->v.u;
		break;
	case IPC_NATIVE_U64:
		slot->u64 = v->v.u;
		break;
	case IPC_NATIVE_F32:
		/* Infinities and NaN convert; only finite overflow is refused.
		 */
		if (isfinite(v->v.f) && fabs(v->v.f) > FLT_MAX)
			return range_error(argno, t);
		slot->f32 = (float)v->v.f;
		break;
	case IPC_NATIVE_F64:
		slot->f64 = v->v.f;
		break;
	case IPC_NATIVE_PTR:
		slot->p = v->v.p;
		break;
	case IPC_NATIVE_STR:
		slot->p = v->v.s;
		break;
	case IPC_NATIVE_BUF:
	case IPC_NATIVE_VOID:
		/* buf takes two slots (native_call); void never is an argument.
		 */
		return -EINVAL;
	}
	return 0;
}

static void convert_result(enum ipc_native_type t, const union native_result *r,
                           struct ipc_native_value *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->type = t;
	switch (t) {
	case IPC_NATIVE_I8:
		ret->v.i = (int8_t)r->s;
		break;
	case IPC_NATIVE_I16:
		ret->v.i = (int16_t)r->s;
		break;
	case IPC_NATIVE_I32:
		ret->v.i = (int32_t)r->s;
		break;
	case IPC_NATIVE_I64:
		ret->v.i = r->i64;
		break;
	case IPC_NATIVE_U8:
		ret->v.u = (uint8_t)r->a;
		break;
	case IPC_NATIVE_U16:
		ret->v.u = (uint16_t)r->a;
		break;
	case IPC_NATIVE_U32:
		ret->v.u = (uint32_t)r->a;
		break;
	case IPC_NATIVE_U64:
		ret->v.u = r->u64;
		break;
	case IPC_NATIVE_F32:
		ret->v.f = r->f32;
		break;
	case IPC_NATIVE_F64:
		ret->v.f = r->f64;
		break;
	case IPC_NATIVE_PTR:
		ret->v.p = r->p;
		break;
	case IPC_NATIVE_STR:
		ret->v.s = r->p;
		break;
	case IPC_NATIVE_VOID:
	case IPC_NATIVE_BUF:
		break;
	}
}

ipc_status ipc_native_call(const ipc_native *fn,
                           const struct ipc_native_value *args, size_t nargs,
                           struct ipc_native_value *ret)
{
	union native_slot slots[NATIVE_MAX_CARGS];
	void *cargs[NATIVE_MAX_CARGS];
	union native_result r;
	const struct ipc_native_value *v;
	unsigned int c = 0;
	unsigned int i;
	ipc_status st;

	ipc__detail_clear();
	memset(ret, 0, sizeof(*ret));
	if (nargs != fn->sig.nargs)
		return ipc__detail(-EINVAL, "expected %u argument%s, got %zu",
		                   fn->sig.nargs, fn->sig.nargs == 1 ? "" : "s",
		                   nargs);
	for (i = 0; i < fn->sig.nargs; i++) {
		v = &args[i];
		if (fn->sig.args[i] != IPC_NATIVE_BUF) {
			st = convert_arg(i + 1, fn->sig.args[i], v, &slots[c]);
			if (st < 0)
				return st;
			cargs[c] = &slots[c];
			c++;
			continue;
		}
		if (v->type != IPC_NATIVE_BUF)
			return ipc__detail(
			        -EINVAL, "argument %u: expected buf, got %s",
			        i + 1, ipc_native_type_name(v->type));
		if (v->v.buf.data == NULL && v->v.buf.len != 0)
			return ipc__detail(
			        -EINVAL, "argument %u: NULL buf of length %zu",
			        i + 1, v->v.buf.len);
		slots[c].p = v->v.buf.data;
		cargs[c] = &slots[c];
		c++;
		slots[c].size = v->v.buf.len;
		cargs[c] = &slots[c];
		c++;
	}
	memset(&r, 0, sizeof(r));
	ffi_call((ffi_cif *)&fn->cif, FFI_FN(fn->sym), &r, cargs);
	convert_result(fn->sig.ret, &r, ret);
	return 0;
}
