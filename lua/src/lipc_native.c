/* SPDX-License-Identifier: MIT */
/*
 * lipc_native.c - C functions from shared libraries, called through the
 * core's libffi layer (<ipc/native.h>, docs/native.md):
 *
 *	local cos = assert(ipc.native("libm.so.6", "cos", "double(double)"))
 *	cos(0)                  --> 1.0
 *	cos.signature, cos.name --> "f64(f64)", "cos"
 *	cos:close()
 *
 * ipc.native(lib, name, sig) -> ipc.NativeFunction, a callable userdata;
 * lib nil looks in the program and the libraries already loaded. A
 * missing library or symbol (or libffi refusing the signature) returns
 * fail, "native: message", errno; a signature that does not parse, a
 * wrong argument count, type or range raises: those are the program's
 * mistakes.
 *
 * Arguments, by the signature's type: i8..u64 take integers (a float with
 * an integral value is fine, a fractional one raises); f32/f64 any number;
 * ptr an integer or nil (NULL); str a string without zero bytes; buf a
 * string, passed as pointer and length (read-only: the function must not
 * write through it). The core checks the ranges. Results: integers (a u64
 * above math.maxinteger comes back as a float, as in ipc.rpc), numbers,
 * strings (copied; a NULL str is nil), ptr as an integer, nothing for void.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <ipc/native.h>

#include "lipc.h"

#define NATIVE_T "ipc.NativeFunction"

/* Room for a canonical signature: 17 names of up to 4 characters, commas
 * and parentheses. */
#define SIG_TEXT 128

/* The function's name, the first user value, pushed for messages. */
static const char *push_name(lua_State *L, int idx)
{
	lua_getiuservalue(L, idx, 1);
	return lua_tostring(L, -1);
}

/* Raise "<name>: bad argument #n (<why>)". */
static int arg_error(lua_State *L, const char *fname, int argn, const char *why)
{
	return luaL_error(L, "%s: bad argument #%d (%s)", fname, argn, why);
}

static int type_error(lua_State *L, const char *fname, int argn, int idx,
                      const char *expected)
{
	return arg_error(L, fname, argn,
	                 lua_pushfstring(L, "%s expected, got %s", expected,
	                                 luaL_typename(L, idx)));
}

static bool is_unsigned(enum ipc_native_type t)
{
	return t >= IPC_NATIVE_U8 && t <= IPC_NATIVE_U64;
}

/* An integer argument: a Lua integer, or a float with an integral value.
 * Negative values for unsigned types, and floats beyond 64 bits, are out
 * of range here; the core checks the narrower types. */
static void check_integer(lua_State *L, const char *fname, int argn, int idx,
                          struct ipc_native_value *v)
{
	bool u = is_unsigned(v->type);
	lua_Number f;

	if (lua_type(L, idx) != LUA_TNUMBER)
		type_error(L, fname, argn, idx, "integer");
	if (lua_isinteger(L, idx)) {
		lua_Integer n = lua_tointeger(L, idx);

		if (u && n < 0)
			arg_error(
			        L, fname, argn,
			        lua_pushfstring(L, "%I out of range for %s",
			                        (LUAI_UACINT)n,
			                        ipc_native_type_name(v->type)));
		if (u)
			v->v.u = (uint64_t)n;
		else
			v->v.i = (int64_t)n;
		return;
	}
	f = lua_tonumber(L, idx);
	if (isnan(f) || floor(f) != f)
		arg_error(L, fname, argn,
		          "number has no integer representation");
	if (u && f >= 0 && f < 18446744073709551616.0) {
		v->v.u = (uint64_t)f;
		return;
	}
	if (!u && f >= -9223372036854775808.0 && f < 9223372036854775808.0) {
		v->v.i = (int64_t)f;
		return;
	}
	arg_error(L, fname, argn,
	          lua_pushfstring(L, "%f out of range for %s", (double)f,
	                          ipc_native_type_name(v->type)));
}

/* Translate the Lua value at @idx (argument @argn) to @t. */
static void check_arg(lua_State *L, const char *fname, int argn, int idx,
                      enum ipc_native_type t, struct ipc_native_value *v)
{
	size_t len;
	const char *s;

	memset(v, 0, sizeof(*v));
	v->type = t;
	switch (t) {
	case IPC_NATIVE_F32:
	case IPC_NATIVE_F64:
		if (lua_type(L, idx) != LUA_TNUMBER)
			type_error(L, fname, argn, idx, "number");
		v->v.f = (double)lua_tonumber(L, idx);
		break;
	case IPC_NATIVE_PTR:
		if (lua_isnil(L, idx))
			v->v.p = NULL;
		else if (lua_islightuserdata(L, idx))
			v->v.p = lua_touserdata(L, idx);
		else if (lua_isinteger(L, idx))
			v->v.p = (void *)(uintptr_t)lua_tointeger(L, idx);
		else
			type_error(L, fname, argn, idx, "integer or nil");
		break;
	case IPC_NATIVE_STR:
		if (lua_type(L, idx) != LUA_TSTRING)
			type_error(L, fname, argn, idx, "string");
		s = lua_tolstring(L, idx, &len);
		if (strlen(s) != len)
			arg_error(L, fname, argn,
			          "string contains a zero byte");
		v->v.s = s;
		break;
	case IPC_NATIVE_BUF:
		if (lua_type(L, idx) != LUA_TSTRING)
			type_error(L, fname, argn, idx, "string");
		s = lua_tolstring(L, idx, &len);
		/* Read-only by contract (docs/native.md): Lua strings are
		 * immutable, and the signature says nothing about writing. */
		v->v.buf.data = (void *)(uintptr_t)s;
		v->v.buf.len = len;
		break;
	default: /* the integer types; void is never an argument */
		check_integer(L, fname, argn, idx, v);
		break;
	}
}

static int push_result(lua_State *L, const struct ipc_native_value *r)
{
	switch (r->type) {
	case IPC_NATIVE_VOID:
		return 0;
	case IPC_NATIVE_I8:
	case IPC_NATIVE_I16:
	case IPC_NATIVE_I32:
	case IPC_NATIVE_I64:
		lua_pushinteger(L, (lua_Integer)r->v.i);
		break;
	case IPC_NATIVE_U8:
	case IPC_NATIVE_U16:
	case IPC_NATIVE_U32:
	case IPC_NATIVE_U64:
		if (r->v.u > (uint64_t)LUA_MAXINTEGER)
			lua_pushnumber(L, (lua_Number)r->v.u);
		else
			lua_pushinteger(L, (lua_Integer)r->v.u);
		break;
	case IPC_NATIVE_F32:
	case IPC_NATIVE_F64:
		lua_pushnumber(L, (lua_Number)r->v.f);
		break;
	case IPC_NATIVE_PTR:
		lua_pushinteger(L, (lua_Integer)(uintptr_t)r->v.p);
		break;
	case IPC_NATIVE_STR:
		if (r->v.s == NULL)
			lua_pushnil(L);
		else
			lua_pushstring(L, r->v.s);
		break;
	default:
		lua_pushnil(L);
		break;
	}
	return 1;
}

/* fn(...): the arguments are 2 .. top. */
static int nf_call(lua_State *L)
{
	struct ipc_native_value args[IPC_NATIVE_MAX_ARGS];
	struct ipc_native_value ret;
	ipc_native *fn = lipc_checkopen(L, 1, NATIVE_T);
	const struct ipc_native_sig *sig = ipc_native_signature(fn);
	int nargs = lua_gettop(L) - 1;
	const char *fname = push_name(L, 1);
	const char *detail;
	ipc_status st;
	int i;

	if (nargs != (int)sig->nargs)
		return luaL_error(L, "%s: %d argument%s expected, got %d",
		                  fname, (int)sig->nargs,
		                  sig->nargs == 1 ? "" : "s", nargs);
	for (i = 0; i < nargs; i++)
		check_arg(L, fname, i + 1, i + 2, sig->args[i], &args[i]);
	memset(&ret, 0, sizeof(ret));
	st = ipc_native_call(fn, args, (size_t)nargs, &ret);
	if (st < 0) {
		detail = ipc_detail();
		if (detail != NULL && detail[0] != '\0')
			return luaL_error(L, "%s: %s (%s)", fname,
			                  ipc_strerror(st), detail);
		return luaL_error(L, "%s: %s", fname, ipc_strerror(st));
	}
	return push_result(L, &ret);
}

static ipc_status close_handle(void *h)
{
	ipc_native_close(h);
	return 0;
}

static int nf_gc(lua_State *L)
{
	return lipc_box_gc(L, NATIVE_T, close_handle);
}

static int nf_close(lua_State *L)
{
	return lipc_box_close(L, NATIVE_T, close_handle);
}

static int push_signature(lua_State *L, ipc_native *fn)
{
	char text[SIG_TEXT];

	if (ipc_native_sig_format(ipc_native_signature(fn), text,
	                          sizeof(text)) < 0)
		return luaL_error(L, "native: signature too long to format");
	lua_pushstring(L, text);
	return 1;
}

static int nf_tostring(lua_State *L)
{
	lipc_box *b = lipc_checkbox(L, 1, NATIVE_T);

	if (b->h == NULL)
		return lipc_pushtostring(L, NATIVE_T, true, NULL);
	push_name(L, 1);
	push_signature(L, b->h);
	return lipc_pushtostring(L, NATIVE_T, false,
	                         lua_pushfstring(L, "%s %s",
	                                         lua_tostring(L, -2),
	                                         lua_tostring(L, -1)));
}

/* fn.signature, fn.name, fn.lib, fn:close(). The fields of a closed
 * function raise, as its methods do; name and lib stay readable. */
static int nf_index(lua_State *L)
{
	const char *key = luaL_checkstring(L, 2);

	lipc_checkbox(L, 1, NATIVE_T);
	if (strcmp(key, "signature") == 0)
		return push_signature(L, lipc_checkopen(L, 1, NATIVE_T));
	if (strcmp(key, "name") == 0) {
		lua_getiuservalue(L, 1, 1);
		return 1;
	}
	if (strcmp(key, "lib") == 0) {
		lua_getiuservalue(L, 1, 2);
		return 1;
	}
	if (strcmp(key, "close") == 0) {
		lua_pushcfunction(L, nf_close);
		return 1;
	}
	lua_pushnil(L);
	return 1;
}

/* ipc.native(lib | nil, name, sig) */
static int l_native(lua_State *L)
{
	const char *lib = luaL_optstring(L, 1, NULL);
	const char *name = luaL_checkstring(L, 2);
	const char *sig = luaL_checkstring(L, 3);
	lipc_box *b = lipc_newbox(L, NATIVE_T, 2);
	ipc_native *fn = NULL;
	const char *detail;
	ipc_status st;

	lua_pushvalue(L, 2);
	lua_setiuservalue(L, -2, 1);
	lua_pushvalue(L, 1);
	lua_setiuservalue(L, -2, 2);
	st = ipc_native_open(&fn, lib, name, sig);
	if (st == -EINVAL || st == -E2BIG) {
		detail = ipc_detail();
		return luaL_error(L, "native: bad signature '%s': %s", sig,
		                  detail != NULL && detail[0] != '\0'
		                          ? detail
		                          : ipc_strerror(st));
	}
	if (st < 0)
		return lipc_fail(L, st, "native");
	b->h = fn;
	return 1;
}

static const luaL_Reg native_meta[] = {
        {"__call", nf_call},         {"__gc", nf_gc},       {"__close", nf_gc},
        {"__tostring", nf_tostring}, {"__index", nf_index}, {NULL, NULL}};

void lipc_open_native(lua_State *L)
{
	luaL_newmetatable(L, NATIVE_T);
	luaL_setfuncs(L, native_meta, 0);
	lua_pop(L, 1);
	lua_pushcfunction(L, l_native);
	lua_setfield(L, -2, "native");
}
