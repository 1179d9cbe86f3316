/* SPDX-License-Identifier: MIT */
/*
 * lipc_sem.c - named POSIX semaphores: ipc.semaphore(name, opts) -> ipc.Sem.
 *
 *	local s = ipc.semaphore("/slots", {value = 2, create = true})
 *	if s:acquire(1.0) then ... s:release() end
 *	s:value(); s:unlink(); s:close()
 *
 * A counter shared by name (glibc keeps it as /dev/shm/sem.<name>): acquire
 * takes one or waits until its timeout, release adds one. Nobody owns a
 * POSIX semaphore: a holder that dies never gives its count back (use
 * ipc.mutex or a semset with undo for that). Behaviour is the core's
 * (<ipc/sem.h>); this file converts arguments and results.
 */
#include "lipc.h"

#define LIPC_SEM "ipc.Sem"

static ipc_sem *check_sem(lua_State *L)
{
	return lipc_checkopen(L, 1, LIPC_SEM);
}

static const char *const sem_opts[] = {"value", "create", "exclusive", "mode",
                                       NULL};

/***
 * Open, or create, a named semaphore.
 * @function semaphore
 * @string name "/name"
 * @tparam[opt] table opts value (the initial value when creating, default
 *   1), create, exclusive, mode (default 0600)
 * @treturn[1] ipc.Sem
 * @treturn[2] fail, "semaphore /name: message", errno (ENOENT, EEXIST...)
 */
static int l_semaphore(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	lua_Integer value;
	unsigned int flags, mode;
	lipc_box *b;
	ipc_sem *s;
	ipc_status st;

	lipc_checkopts(L, 2, sem_opts);
	value = lipc_optint(L, 2, "value", 1);
	if (value < 0 || value > (lua_Integer)IPC_SEM_VALUE_MAX)
		luaL_error(L, "bad option 'value' (0 .. %d expected)",
		           (int)IPC_SEM_VALUE_MAX);
	flags = lipc_openflags(L, 2);
	mode = lipc_optmode(L, 2);
	b = lipc_newbox(L, LIPC_SEM, 0);
	st = ipc_sem_open(&s, name, (unsigned int)value, flags, mode);
	if (st < 0)
		return lipc_fail(L, st,
		                 lua_pushfstring(L, "semaphore %s", name));
	b->h = s;
	return 1;
}

/***
 * Take one, waiting while the value is 0.
 * @function Sem:acquire
 * @number[opt] timeout seconds (nil: forever, 0: try once)
 * @treturn[1] true
 * @treturn[2] fail, "acquire: message", errno (ETIMEDOUT; EAGAIN for 0)
 */
static int l_acquire(lua_State *L)
{
	ipc_sem *s = check_sem(L);
	ipc_deadline d = lipc_checkdeadline(L, 2);
	ipc_status st;

	do
		st = ipc_sem_wait(s, d);
	while (lipc_interrupted(L, st));
	return lipc_result(L, st, "acquire");
}

/***
 * Add one, waking one waiter.
 * @function Sem:release
 * @treturn[1] true
 * @treturn[2] fail, "release: message", errno (EOVERFLOW)
 */
static int l_release(lua_State *L)
{
	return lipc_result(L, ipc_sem_post(check_sem(L)), "release");
}

/* s:value(): the current value (stale as soon as read). */
static int l_value(lua_State *L)
{
	int v = 0;
	ipc_status st = ipc_sem_value(check_sem(L), &v);

	if (st < 0)
		return lipc_fail(L, st, "value");
	lua_pushinteger(L, v);
	return 1;
}

static int l_name(lua_State *L)
{
	lua_pushstring(L, ipc_sem_name(check_sem(L)));
	return 1;
}

/***
 * Remove the name; handles already open keep working.
 * @function Sem:unlink
 * @treturn[1] true
 * @treturn[2] fail, "unlink: message", errno (ENOENT...)
 */
static int l_unlink(lua_State *L)
{
	return lipc_result(L, ipc_sem_unlink(ipc_sem_name(check_sem(L))),
	                   "unlink");
}

/* s:close(): the semaphore stays until unlinked. A second close raises. */
static ipc_status close_handle(void *h)
{
	return ipc_sem_close(h);
}

static int l_close(lua_State *L)
{
	return lipc_box_close(L, LIPC_SEM, close_handle);
}

/* __gc and __close (lipc_box_gc: idempotent, never raise). */
static int l_gc(lua_State *L)
{
	return lipc_box_gc(L, LIPC_SEM, close_handle);
}

static int l_tostring(lua_State *L)
{
	lipc_box *b = lipc_checkbox(L, 1, LIPC_SEM);

	return lipc_pushtostring(L, LIPC_SEM, b->h == NULL,
	                         b->h ? ipc_sem_name(b->h) : NULL);
}

static const luaL_Reg sem_meta[] = {{"__gc", l_gc},
                                    {"__close", l_gc},
                                    {"__tostring", l_tostring},
                                    {NULL, NULL}};

static const luaL_Reg sem_methods[] = {{"acquire", l_acquire},
                                       {"release", l_release},
                                       {"value", l_value},
                                       {"name", l_name},
                                       {"unlink", l_unlink},
                                       {"close", l_close},
                                       {NULL, NULL}};

void lipc_open_sem(lua_State *L)
{
	lipc_newclass(L, LIPC_SEM, sem_meta, sem_methods);
	lua_pushcfunction(L, l_semaphore);
	lua_setfield(L, -2, "semaphore");
}
