/* SPDX-License-Identifier: MIT */
/*
 * lipc.c - luaopen_ipc and the helpers every part of the module shares:
 * boxes, errors, deadlines, the interrupt hook, options tables.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lipc.h"

/* The registry key of the interrupt hook: the address of this variable. */
static const char interrupt_key = 0;

lipc_box *lipc_newbox(lua_State *L, const char *tname, int nuv)
{
	lipc_box *b = lua_newuserdatauv(L, sizeof(*b), nuv);

	/* Every constructor starts here and every method in lipc_checkopen:
	 * the detail lipc_fail reports must be this call's. */
	ipc_detail_clear();
	b->h = NULL;
	luaL_setmetatable(L, tname);
	return b;
}

lipc_box *lipc_checkbox(lua_State *L, int idx, const char *tname)
{
	return luaL_checkudata(L, idx, tname);
}

void *lipc_checkopen(lua_State *L, int idx, const char *tname)
{
	lipc_box *b = luaL_checkudata(L, idx, tname);

	if (b->h == NULL)
		luaL_error(L, "attempt to use a closed %s", tname);
	ipc_detail_clear();
	return b->h;
}

int lipc_box_close(lua_State *L, const char *tname, lipc_closer close)
{
	void *h = lipc_checkopen(L, 1, tname);

	lipc_checkbox(L, 1, tname)->h = NULL;
	return lipc_result(L, close(h), "close");
}

int lipc_box_gc(lua_State *L, const char *tname, lipc_closer close)
{
	lipc_box *b = lipc_checkbox(L, 1, tname);

	if (b->h != NULL) {
		(void)close(b->h);
		b->h = NULL;
	}
	return 0;
}

void lipc_newclass(lua_State *L, const char *tname, const luaL_Reg *meta,
                   const luaL_Reg *methods)
{
	luaL_newmetatable(L, tname);
	luaL_setfuncs(L, meta, 0);
	lua_newtable(L);
	luaL_setfuncs(L, methods, 0);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
}

int lipc_pushtostring(lua_State *L, const char *tname, bool closed,
                      const char *what)
{
	if (closed)
		lua_pushfstring(L, "%s (closed)", tname);
	else if (what != NULL)
		lua_pushfstring(L, "%s (%s)", tname, what);
	else
		lua_pushstring(L, tname);
	return 1;
}

int lipc_fail(lua_State *L, ipc_status st, const char *op)
{
	const char *detail = ipc_detail();

	luaL_pushfail(L);
	if (detail != NULL && detail[0] != '\0')
		lua_pushfstring(L, "%s: %s (%s)", op, ipc_strerror(st), detail);
	else
		lua_pushfstring(L, "%s: %s", op, ipc_strerror(st));
	/* st is a value, not errno: nothing between can clobber it. */
	lua_pushinteger(L, st < 0 ? -st : st);
	/* Reported once: a later failure that records nothing must not
	 * repeat it (constructors and lipc_checkopen also clear it). */
	ipc_detail_clear();
	return 3;
}

int lipc_result(lua_State *L, ipc_status st, const char *op)
{
	if (st < 0)
		return lipc_fail(L, st, op);
	lua_pushboolean(L, 1);
	return 1;
}

/* @what names the value in errors; @argn > 0 names argument #argn
 * instead (formatted only on the error path: this runs on every call). */
static ipc_deadline deadline_of(lua_State *L, int idx, const char *what,
                                int argn)
{
	lua_Number s;

	if (lua_isnoneornil(L, idx))
		return IPC_DEADLINE_NEVER;
	if (lua_type(L, idx) == LUA_TNUMBER) {
		s = lua_tonumber(L, idx);
		if (!isnan(s) && s >= 0)
			return isinf(s) ? IPC_DEADLINE_NEVER
			                : ipc_deadline_from_seconds((double)s);
	}
	if (argn > 0)
		what = lua_pushfstring(L, "argument #%d (timeout)", argn);
	if (lua_type(L, idx) != LUA_TNUMBER)
		luaL_error(L,
		           "bad %s (number of seconds or nil expected, got %s)",
		           what, luaL_typename(L, idx));
	luaL_error(L, "bad %s (must be >= 0 seconds, or nil for never)", what);
	return IPC_DEADLINE_NEVER;
}

ipc_deadline lipc_checkdeadline(lua_State *L, int idx)
{
	return deadline_of(L, idx, NULL, idx);
}

/* lua.c's SIGINT handler (and the host's) asks for an interrupt by
 * installing a count hook with a count of 1 (lstop, which raises
 * "interrupted!"). A hook with no count mask pending is a debugger's,
 * which is left alone. */
bool lipc_interrupt_pending(lua_State *L)
{
	return lua_gethook(L) != NULL && (lua_gethookmask(L) & LUA_MASKCOUNT) &&
	       lua_gethookcount(L) == 1;
}

/* Run the pending interrupt hook now: control may not return to Lua code,
 * where it would run, before the blocking call ends. */
static void run_debug_hook(lua_State *L)
{
	lua_Hook hook = lua_gethook(L);
	lua_Debug ar;

	if (!lipc_interrupt_pending(L))
		return;
	memset(&ar, 0, sizeof(ar));
	ar.event = LUA_HOOKCOUNT;
	hook(L, &ar);
}

bool lipc_interrupted(lua_State *L, ipc_status st)
{
	if (st != -EINTR)
		return false;
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &interrupt_key) != LUA_TNIL) {
		/* The registered hook decides. A pending count hook would fire
		 * at its first instruction, so it is set aside meanwhile and
		 * put back if the hook returns: the interrupt is then seen
		 * when control is back in Lua code. A hook that raises
		 * propagates. */
		lua_Hook h = lua_gethook(L);
		int mask = lua_gethookmask(L);
		int count = lua_gethookcount(L);

		lua_sethook(L, NULL, 0, 0);
		lua_call(L, 0, 0);
		lua_sethook(L, h, mask, count);
	} else {
		lua_pop(L, 1);
		run_debug_hook(L);
	}
	return true;
}

/* 50 ms: the longest a Ctrl+C that lands on a slice boundary waits. */
#define LIPC_SLICE_NS ((int64_t)50 * 1000000)

ipc_deadline lipc_slice(ipc_deadline d)
{
	ipc_deadline now;

	if (d == IPC_DEADLINE_NOW)
		return d;
	now = ipc_now();
	return d - now > LIPC_SLICE_NS ? now + LIPC_SLICE_NS : d;
}

bool lipc_slice_expired(lua_State *L, ipc_status st, ipc_deadline slice,
                        ipc_deadline d)
{
	if (st != -ETIMEDOUT || slice == d)
		return false;
	/* A Ctrl+C whose EINTR was lost to the timeout left its hook
	 * pending: run it now (it raises). */
	run_debug_hook(L);
	return true;
}

/* ipc.set_interrupt_hook(fn | nil): fn() runs when a blocking call is
 * interrupted by a signal; it raises to abandon the call, or returns to
 * retry it with the same deadline. */
static int l_set_interrupt_hook(lua_State *L)
{
	if (!lua_isnoneornil(L, 1))
		luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_settop(L, 1);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &interrupt_key);
	return 0;
}

void lipc_checkopts(lua_State *L, int idx, const char *const *allowed)
{
	size_t i;

	if (lua_isnoneornil(L, idx))
		return;
	luaL_checktype(L, idx, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		const char *k;

		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L,
			           "bad option (string keys expected, got %s)",
			           luaL_typename(L, -1));
		k = lua_tostring(L, -1);
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			luaL_error(L, "unknown option '%s'", k);
	}
}

/* Push field @key of the options table at @idx (nil when absent). */
static int getopt_field(lua_State *L, int idx, const char *key)
{
	if (lua_isnoneornil(L, idx)) {
		lua_pushnil(L);
		return LUA_TNIL;
	}
	return lua_getfield(L, idx, key);
}

bool lipc_optbool(lua_State *L, int idx, const char *key, bool def)
{
	int t = getopt_field(L, idx, key);
	bool v = def;

	if (t == LUA_TBOOLEAN)
		v = lua_toboolean(L, -1);
	else if (t == LUA_TNUMBER) /* 1/0, as in URLs */
		v = lua_tonumber(L, -1) != 0;
	else if (t != LUA_TNIL)
		luaL_error(L, "bad option '%s' (boolean expected, got %s)", key,
		           luaL_typename(L, -1));
	lua_pop(L, 1);
	return v;
}

lua_Integer lipc_optint(lua_State *L, int idx, const char *key, lua_Integer def)
{
	int t = getopt_field(L, idx, key);
	lua_Integer v = def;
	int isint = 0;

	if (t != LUA_TNIL) {
		v = lua_tointegerx(L, -1, &isint);
		if (!isint)
			luaL_error(L,
			           "bad option '%s' (integer expected, got %s)",
			           key, luaL_typename(L, -1));
	}
	lua_pop(L, 1);
	return v;
}

uint64_t lipc_optsize(lua_State *L, int idx, const char *key, uint64_t def)
{
	int t = getopt_field(L, idx, key);
	uint64_t v = def;

	if (t == LUA_TSTRING) {
		if (ipc_parse_size(lua_tostring(L, -1), &v) < 0)
			luaL_error(L, "bad option '%s' (not a size: '%s')", key,
			           lua_tostring(L, -1));
	} else if (t == LUA_TNUMBER) {
		int isint = 0;
		lua_Integer i = lua_tointegerx(L, -1, &isint);

		if (!isint || i < 0)
			luaL_error(L,
			           "bad option '%s' (size must be a "
			           "non-negative integer)",
			           key);
		v = (uint64_t)i;
	} else if (t != LUA_TNIL) {
		luaL_error(L, "bad option '%s' (size expected, got %s)", key,
		           luaL_typename(L, -1));
	}
	lua_pop(L, 1);
	return v;
}

unsigned int lipc_optmode(lua_State *L, int idx)
{
	lua_Integer m = lipc_optint(L, idx, "mode", IPC_MODE_DEFAULT);

	if (m < 0 || m > 0777)
		luaL_error(L,
		           "bad option 'mode' (permission bits 0 .. 0777 "
		           "expected, got %d)",
		           (int)m);
	return (unsigned int)m;
}

const char *lipc_optstring(lua_State *L, int idx, const char *key,
                           const char *def)
{
	int t = getopt_field(L, idx, key);
	const char *v = def;

	if (t == LUA_TSTRING)
		v = lua_tostring(L, -1); /* the table keeps it alive */
	else if (t != LUA_TNIL)
		luaL_error(L, "bad option '%s' (string expected, got %s)", key,
		           luaL_typename(L, -1));
	lua_pop(L, 1);
	return v;
}

ipc_deadline lipc_optdeadline(lua_State *L, int idx)
{
	ipc_deadline d;

	getopt_field(L, idx, "timeout");
	d = deadline_of(L, -1, "option 'timeout'", 0);
	lua_pop(L, 1);
	return d;
}

unsigned int lipc_openflags(lua_State *L, int opts_idx)
{
	unsigned int fl = 0;

	if (lipc_optbool(L, opts_idx, "create", false))
		fl |= IPC_O_CREATE;
	if (lipc_optbool(L, opts_idx, "exclusive", false))
		fl |= IPC_O_CREATE | IPC_O_EXCL;
	return fl;
}

unsigned int lipc_checkrw(lua_State *L, int idx, const char *def)
{
	const char *m = luaL_optstring(L, idx, def);

	if (strcmp(m, "r") == 0)
		return IPC_O_READ;
	if (strcmp(m, "w") == 0)
		return IPC_O_WRITE;
	if (strcmp(m, "rw") == 0)
		return IPC_O_RDWR;
	return (unsigned int)luaL_argerror(
	        L, idx, "mode must be \"r\", \"w\" or \"rw\"");
}

int lipc_checksignal(lua_State *L, int idx)
{
	int signo;

	if (lua_type(L, idx) == LUA_TNUMBER) {
		lua_Integer n = luaL_checkinteger(L, idx);

		luaL_argcheck(L, n > 0 && n < 65, idx, "no such signal");
		return (int)n;
	}
	if (ipc_sig_number(luaL_checkstring(L, idx), &signo) < 0)
		luaL_argerror(L, idx,
		              lua_pushfstring(L, "unknown signal '%s'",
		                              lua_tostring(L, idx)));
	return signo;
}

int32_t lipc_checkkey(lua_State *L, int idx)
{
	int32_t key = 0;
	ipc_status st;

	switch (lua_type(L, idx)) {
	case LUA_TNUMBER: {
		lua_Integer k = luaL_checkinteger(L, idx);

		luaL_argcheck(L, k >= INT32_MIN && k <= UINT32_MAX, idx,
		              "key out of range");
		return (int32_t)(uint32_t)k;
	}
	case LUA_TSTRING:
		if (ipc_sysv_parse_key(lua_tostring(L, idx), &key) < 0)
			luaL_argerror(L, idx, "not a System V key");
		return key;
	case LUA_TTABLE:
		lua_geti(L, idx, 1);
		lua_geti(L, idx, 2);
		if (lua_type(L, -2) != LUA_TSTRING || !lua_isinteger(L, -1))
			luaL_argerror(L, idx, "key table must be {path, proj}");
		st = ipc_sysv_key(lua_tostring(L, -2),
		                  (int)lua_tointeger(L, -1), &key);
		lua_pop(L, 2);
		if (st < 0)
			luaL_argerror(L, idx,
			              lua_pushfstring(L, "ftok: %s",
			                              ipc_strerror(st)));
		return key;
	default:
		luaL_typeerror(L, idx, "System V key");
		return 0;
	}
}

int lipc_tofd(lua_State *L, int idx)
{
	int fd = -1;

	idx = lua_absindex(L, idx);
	if (luaL_getmetafield(L, idx, "__fd") == LUA_TNIL)
		return -1;
	lua_pushvalue(L, idx);
	lua_call(L, 1, 1);
	if (lua_isinteger(L, -1))
		fd = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);
	return fd;
}

/* ipc.errno: name -> number, built from the core's table; ipc.errname(n). */
void lipc_open_errno(lua_State *L)
{
	const char *name;
	size_t i;
	int e;

	lua_newtable(L);
	for (i = 0; (e = ipc_errno_at(i, &name)) != 0; i++) {
		lua_pushinteger(L, e);
		lua_setfield(L, -2, name);
	}
	lua_setfield(L, -2, "errno");
}

static int l_errname(lua_State *L)
{
	lua_Integer e = luaL_checkinteger(L, 1);
	const char *n = ipc_errname((ipc_status)(e < 0 ? e : -e));

	if (n == NULL)
		luaL_pushfail(L);
	else
		lua_pushstring(L, n);
	return 1;
}

static int l_strerror(lua_State *L)
{
	lua_Integer e = luaL_checkinteger(L, 1);

	lua_pushstring(L, ipc_strerror((ipc_status)(e < 0 ? e : -e)));
	return 1;
}

static int l_getpid(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)getpid());
	return 1;
}

static int l_unlink(lua_State *L)
{
	const char *url = luaL_checkstring(L, 1);

	ipc_detail_clear();
	return lipc_result(L, ipc_unlink_url(url), "unlink");
}

/* ipc.parse_size("4MiB") -> 4194304: the size grammar of URLs and options
 * (ipc_parse_size), for Lua code that reads sizes itself (host configs). */
static int l_parse_size(lua_State *L)
{
	const char *text = luaL_checkstring(L, 1);
	uint64_t v;
	ipc_status st = ipc_parse_size(text, &v);

	if (st == 0 && v > (uint64_t)LUA_MAXINTEGER)
		st = -ERANGE;
	if (st < 0)
		return lipc_fail(L, st, "parse_size");
	lua_pushinteger(L, (lua_Integer)v);
	return 1;
}

static int l_now(lua_State *L)
{
	lua_pushnumber(L, (lua_Number)ipc_now() / 1e9);
	return 1;
}

static const luaL_Reg base_funcs[] = {
        {"errname", l_errname},
        {"strerror", l_strerror},
        {"getpid", l_getpid},
        {"unlink", l_unlink},
        {"now", l_now},
        {"parse_size", l_parse_size},
        {"set_interrupt_hook", l_set_interrupt_hook},
        {NULL, NULL}};

/* Lua 5.4's LUAMOD_API is plain extern and would be hidden under
 * -fvisibility=hidden: the one exported symbol says so itself. */
__attribute__((visibility("default"))) int luaopen_ipc(lua_State *L);

int luaopen_ipc(lua_State *L)
{
	luaL_newlib(L, base_funcs);
	lua_pushstring(L, ipc_version());
	lua_setfield(L, -2, "version");
	lipc_open_errno(L);
	lipc_open_chan(L);
	lipc_open_mq(L);
	lipc_open_sysvmq(L);
	lipc_open_shm(L);
	lipc_open_sem(L);
	lipc_open_semset(L);
	lipc_open_mutex(L);
	lipc_open_signal(L);
	lipc_open_proc(L);
	lipc_open_poller(L);
	lipc_open_native(L);
	lipc_open_rpc(L);
	return 1;
}
