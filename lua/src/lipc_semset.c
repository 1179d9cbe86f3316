/* SPDX-License-Identifier: MIT */
/*
 * lipc_semset.c - System V semaphore sets: ipc.semset(key, opts) ->
 * ipc.SemSet.
 *
 *	local ss = ipc.semset(key, {count = 3, create = true,
 *	                            values = {1, 0, 0}})
 *	ss:op({{0, -1}, {2, 1}}, {undo = true, timeout = 1})   -- atomic
 *	ss:values() --> {0, 0, 1}; ss:set(1, 5); ss:get(1) --> 5
 *	ss:remove(); ss:close()
 *
 * Counters are numbered from 0, as in the kernel and the other bindings.
 * Behaviour (the creator's initialisation handshake, undo, limits) is the
 * core's (<ipc/semset.h>); this file converts arguments and results.
 */
#include <limits.h>
#include <stdio.h>

#include "lipc.h"

#define LIPC_SEMSET "ipc.SemSet"

static ipc_semset *check_ss(lua_State *L)
{
	return lipc_checkopen(L, 1, LIPC_SEMSET);
}

/* A list of counter values at @idx as a new temporary array (a userdata
 * on the stack, so a raise leaks nothing); *@n is its length. */
static unsigned short *check_values(lua_State *L, int idx, const char *what,
                                    size_t *n)
{
	unsigned short *v;
	lua_Integer i, len;

	luaL_checktype(L, idx, LUA_TTABLE);
	len = luaL_len(L, idx);
	v = lua_newuserdatauv(L, (size_t)len * sizeof(*v) + 1, 0);
	for (i = 1; i <= len; i++) {
		int isint = 0;
		lua_Integer x;

		lua_geti(L, idx, i);
		x = lua_tointegerx(L, -1, &isint);
		if (!isint || x < 0 || x > USHRT_MAX)
			luaL_error(L,
			           "bad %s (item %d: a counter value "
			           "expected)",
			           what, (int)i);
		v[i - 1] = (unsigned short)x;
		lua_pop(L, 1);
	}
	*n = (size_t)len;
	return v;
}

static const char *const open_opts[] = {
        "count", "create", "exclusive", "mode", "values", "timeout", NULL};

/***
 * Open, or create, a semaphore set.
 * @function semset
 * @tparam int|string|table key an integer, "0x1234", or {path, proj}
 * @tparam[opt] table opts count (the number of counters; default: the
 *   length of values, else 1 when creating, else any size), create,
 *   exclusive, mode (default 0600), values (the initial values when
 *   creating, default all 0), timeout (how long to wait for another
 *   creator to finish setting the initial values; default forever)
 * @treturn[1] ipc.SemSet
 * @treturn[2] fail, "semset KEY: message", errno (ENOENT, EEXIST, EINVAL
 *   for a set of another size...)
 */
static int l_semset(lua_State *L)
{
	int32_t key = lipc_checkkey(L, 1);
	unsigned short *initial = NULL;
	size_t nvalues = 0;
	lua_Integer count;
	unsigned int flags, mode;
	ipc_deadline d;
	lipc_box *b;
	ipc_semset *ss;
	ipc_status st;

	lua_settop(L, 2);
	lipc_checkopts(L, 2, open_opts);
	flags = lipc_openflags(L, 2);
	mode = lipc_optmode(L, 2);
	d = lipc_optdeadline(L, 2);
	if (!lua_isnoneornil(L, 2) &&
	    lua_getfield(L, 2, "values") != LUA_TNIL) {
		initial = check_values(L, lua_gettop(L), "option 'values'",
		                       &nvalues);
		luaL_argcheck(L, nvalues > 0, 2, "'values' is empty");
	}
	count = lipc_optint(L, 2, "count",
	                    nvalues ? (lua_Integer)nvalues
	                            : ((flags & IPC_O_CREATE) ? 1 : 0));
	if (count < 0 || count > INT_MAX)
		luaL_error(L, "bad option 'count' (out of range)");
	if (initial != NULL && (size_t)count != nvalues)
		luaL_error(L, "bad option 'values' (%d values for count %d)",
		           (int)nvalues, (int)count);
	b = lipc_newbox(L, LIPC_SEMSET, 0);
	do
		st = ipc_semset_open(&ss, key, (unsigned int)count, initial,
		                     flags, mode, d);
	while (lipc_interrupted(L, st));
	if (st < 0) {
		char op[32];

		snprintf(op, sizeof(op), "semset 0x%x", (unsigned)key);
		return lipc_fail(L, st, op);
	}
	b->h = ss;
	return 1;
}

/* One operation {num, op} of the list at @list, item @i, into @o. */
static void check_op(lua_State *L, int list, lua_Integer i, struct ipc_semop *o,
                     unsigned int flags)
{
	lua_Integer num, op;
	int ok1 = 0, ok2 = 0;

	if (lua_geti(L, list, i) != LUA_TTABLE)
		luaL_error(L, "bad operation %d ({num, op} expected, got %s)",
		           (int)i, luaL_typename(L, -1));
	lua_geti(L, -1, 1);
	lua_geti(L, -2, 2);
	num = lua_tointegerx(L, -2, &ok1);
	op = lua_tointegerx(L, -1, &ok2);
	if (!ok1 || !ok2 || num < 0 || num > UINT16_MAX || op < INT16_MIN ||
	    op > INT16_MAX)
		luaL_error(L,
		           "bad operation %d ({num, op}: integers, num >= 0, "
		           "op -32768 .. 32767)",
		           (int)i);
	o->num = (uint16_t)num;
	o->op = (int16_t)op;
	o->flags = (uint16_t)flags;
	lua_pop(L, 3);
}

static const char *const op_opts[] = {"undo", "nowait", "timeout", NULL};

/***
 * Apply operations atomically: all happen, or the call waits until all
 * can (or its timeout).
 * @function SemSet:op
 * @tparam table ops a list of {num, op}: op > 0 adds, op < 0 waits until
 *   the counter is at least -op and subtracts, op == 0 waits for zero
 * @tparam[opt] table opts undo (the kernel undoes these operations when
 *   the process exits), nowait (EAGAIN instead of waiting), timeout
 *   (seconds; nil: forever, 0: try once)
 * @treturn[1] true
 * @treturn[2] fail, "op: message", errno (ETIMEDOUT, EAGAIN, EIDRM, EFBIG
 *   for a counter out of range...)
 */
static int l_op(lua_State *L)
{
	ipc_semset *ss = check_ss(L);
	unsigned int flags = 0;
	struct ipc_semop *ops;
	lua_Integer i, n;
	ipc_deadline d;
	ipc_status st;

	lua_settop(L, 3); /* the opts stay at 3 above the temporaries */
	luaL_checktype(L, 2, LUA_TTABLE);
	lipc_checkopts(L, 3, op_opts);
	if (lipc_optbool(L, 3, "undo", false))
		flags |= IPC_SEMSET_UNDO;
	if (lipc_optbool(L, 3, "nowait", false))
		flags |= IPC_SEMSET_NOWAIT;
	n = luaL_len(L, 2);
	luaL_argcheck(L, n > 0, 2, "no operations");
	ops = lua_newuserdatauv(L, (size_t)n * sizeof(*ops), 0);
	for (i = 1; i <= n; i++)
		check_op(L, 2, i, &ops[i - 1], flags);
	d = lipc_optdeadline(L, 3);
	do
		st = ipc_semset_op(ss, ops, (size_t)n, d);
	while (lipc_interrupted(L, st));
	return lipc_result(L, st, "op");
}

/* A counter number argument. */
static unsigned int check_num(lua_State *L, int idx)
{
	lua_Integer num = luaL_checkinteger(L, idx);

	luaL_argcheck(L, num >= 0 && num <= INT_MAX, idx,
	              "counter number must be >= 0");
	return (unsigned int)num;
}

/***
 * The value of one counter.
 * @function SemSet:get
 * @int num the counter, from 0
 * @treturn[1] int
 * @treturn[2] fail, "get: message", errno (EFBIG, EIDRM...)
 */
static int l_get(lua_State *L)
{
	ipc_semset *ss = check_ss(L);
	int v = 0;
	ipc_status st = ipc_semset_get(ss, check_num(L, 2), &v);

	if (st < 0)
		return lipc_fail(L, st, "get");
	lua_pushinteger(L, v);
	return 1;
}

/***
 * Set one counter (clears every process's undo adjustment of it).
 * @function SemSet:set
 * @int num the counter, from 0
 * @int value 0 .. 32767
 * @treturn[1] true
 * @treturn[2] fail, "set: message", errno (EFBIG, ERANGE, EIDRM...)
 */
static int l_set(lua_State *L)
{
	ipc_semset *ss = check_ss(L);
	unsigned int num = check_num(L, 2);
	lua_Integer v = luaL_checkinteger(L, 3);

	luaL_argcheck(L, v >= INT_MIN && v <= INT_MAX, 3, "out of range");
	return lipc_result(L, ipc_semset_set(ss, num, (int)v), "set");
}

/* ss:values(): every counter, read atomically, as a list. */
static int l_values(lua_State *L)
{
	ipc_semset *ss = check_ss(L);
	size_t i, n = ipc_semset_count(ss);
	unsigned short *v = lua_newuserdatauv(L, n * sizeof(*v) + 1, 0);
	ipc_status st = ipc_semset_get_all(ss, v, n);

	if (st < 0)
		return lipc_fail(L, st, "values");
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		lua_pushinteger(L, v[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/***
 * Set every counter at once (clears every undo adjustment of the set).
 * @function SemSet:set_values
 * @tparam table values exactly count() integers
 * @treturn[1] true
 * @treturn[2] fail, "set_values: message", errno (ERANGE, EIDRM...)
 */
static int l_set_values(lua_State *L)
{
	ipc_semset *ss = check_ss(L);
	size_t n;
	unsigned short *v = check_values(L, 2, "argument #1 (values)", &n);

	luaL_argcheck(L, n == ipc_semset_count(ss), 2,
	              "one value per counter expected");
	return lipc_result(L, ipc_semset_set_all(ss, v, n), "set_values");
}

static int l_count(lua_State *L)
{
	lua_pushinteger(L, ipc_semset_count(check_ss(L)));
	return 1;
}

/* ss:key(): the key as a non-negative integer, as ipc.semset accepts. */
static int l_key(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)(uint32_t)ipc_semset_key(check_ss(L)));
	return 1;
}

static int l_id(lua_State *L)
{
	lua_pushinteger(L, ipc_semset_id(check_ss(L)));
	return 1;
}

/***
 * Remove the set from the system; waiters wake with EIDRM. The handle
 * stays open (close it).
 * @function SemSet:remove
 * @treturn[1] true
 * @treturn[2] fail, "remove: message", errno (EIDRM, EPERM)
 */
static int l_remove(lua_State *L)
{
	return lipc_result(L, ipc_semset_remove(check_ss(L)), "remove");
}

/* ss:close(): the set stays until removed. A second close raises. */
static ipc_status close_handle(void *h)
{
	return ipc_semset_close(h);
}

static int l_close(lua_State *L)
{
	return lipc_box_close(L, LIPC_SEMSET, close_handle);
}

/* __gc and __close (lipc_box_gc: idempotent, never raise). */
static int l_gc(lua_State *L)
{
	return lipc_box_gc(L, LIPC_SEMSET, close_handle);
}

static int l_tostring(lua_State *L)
{
	lipc_box *b = lipc_checkbox(L, 1, LIPC_SEMSET);
	char what[48];

	if (b->h != NULL)
		snprintf(what, sizeof(what), "key 0x%x, id %d",
		         (unsigned)ipc_semset_key(b->h), ipc_semset_id(b->h));
	return lipc_pushtostring(L, LIPC_SEMSET, b->h == NULL, what);
}

static const luaL_Reg ss_meta[] = {{"__gc", l_gc},
                                   {"__close", l_gc},
                                   {"__tostring", l_tostring},
                                   {NULL, NULL}};

static const luaL_Reg ss_methods[] = {{"op", l_op},
                                      {"get", l_get},
                                      {"set", l_set},
                                      {"values", l_values},
                                      {"set_values", l_set_values},
                                      {"count", l_count},
                                      {"key", l_key},
                                      {"id", l_id},
                                      {"remove", l_remove},
                                      {"close", l_close},
                                      {NULL, NULL}};

void lipc_open_semset(lua_State *L)
{
	lipc_newclass(L, LIPC_SEMSET, ss_meta, ss_methods);
	lua_pushcfunction(L, l_semset);
	lua_setfield(L, -2, "semset");
}
