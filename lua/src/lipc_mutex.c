/* SPDX-License-Identifier: MIT */
/*
 * lipc_mutex.c - robust process-shared mutexes: ipc.mutex(name, opts) ->
 * ipc.Mutex.
 *
 *	local mx = ipc.mutex("/lock", {create = true})
 *	assert(mx:acquire(5))
 *	if mx:owner_died() then repair() end   -- the last holder died
 *	mx:release()                           -- marks it consistent first
 *
 * A lock that unrelated processes share and that survives the death of
 * its holder: the next acquire succeeds and owner_died() says so; the
 * protected state may be half updated. The release that follows marks
 * the lock consistent, so it keeps working. Behaviour is the core's
 * (<ipc/mutex.h>).
 *
 * Interruption: a robust lock wait is never interrupted by a signal
 * handler, so acquire waits in slices of SLICE_NS and, between slices,
 * runs the interrupt path when a signal has left a Lua hook pending (the
 * stock interpreter's Ctrl+C does): Ctrl+C reaches a script blocked here
 * within a slice.
 */
#include <errno.h>

#include "lipc.h"

#define LIPC_MUTEX "ipc.Mutex"

/* How long one lock attempt waits before looking for an interrupt. */
#define SLICE_NS ((int64_t)50000000)

/* The box: the handle, and whether the lock held now came from a dead
 * owner (so that release marks it consistent first). */
typedef struct mutex_box {
	ipc_mutex *h;
	bool owner_died;
} mutex_box;

static mutex_box *check_box(lua_State *L)
{
	return luaL_checkudata(L, 1, LIPC_MUTEX);
}

static mutex_box *check_open(lua_State *L)
{
	mutex_box *b = check_box(L);

	if (b->h == NULL)
		luaL_error(L, "attempt to use a closed %s", LIPC_MUTEX);
	return b;
}

static const char *const mutex_opts[] = {"create", "exclusive", "mode",
                                         "timeout", NULL};

/***
 * Open, or create, a named robust mutex.
 * @function mutex
 * @string name "/name"
 * @tparam[opt] table opts create, exclusive, mode (default 0600), timeout
 *   (how long to wait for a peer still initialising a new mutex; default
 *   forever)
 * @treturn[1] ipc.Mutex
 * @treturn[2] fail, "mutex /name: message", errno (ENOENT, EEXIST, EPROTO
 *   for an object that is not a mutex...)
 */
static int l_mutex(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	unsigned int flags, mode;
	ipc_deadline d;
	mutex_box *b;
	ipc_mutex *m;
	ipc_status st;

	lipc_checkopts(L, 2, mutex_opts);
	flags = lipc_openflags(L, 2);
	mode = lipc_optmode(L, 2);
	d = lipc_optdeadline(L, 2);
	b = lua_newuserdatauv(L, sizeof(*b), 0);
	b->h = NULL;
	b->owner_died = false;
	ipc_detail_clear(); /* what lipc_fail reports must be this call's */
	luaL_setmetatable(L, LIPC_MUTEX);
	do
		st = ipc_mutex_open(&m, name, flags, mode, d);
	while (lipc_interrupted(L, st));
	if (st < 0)
		return lipc_fail(L, st, lua_pushfstring(L, "mutex %s", name));
	b->h = m;
	return 1;
}

/* Lock with deadline @d in slices, running the interrupt path between
 * slices when one is pending (it may raise). */
static ipc_status lock_sliced(lua_State *L, ipc_mutex *m, ipc_deadline d)
{
	for (;;) {
		ipc_deadline slice = d;
		ipc_status st;

		if (d != IPC_DEADLINE_NOW) {
			ipc_deadline next = ipc_deadline_in_ns(SLICE_NS);

			if (next < d)
				slice = next;
		}
		st = ipc_mutex_lock(m, slice);
		if (st != -ETIMEDOUT || slice == d)
			return st;
		if (lipc_interrupt_pending(L))
			(void)lipc_interrupted(L, -EINTR);
	}
}

/***
 * Take the lock, waiting until the timeout. Also succeeds when the last
 * holder died holding it: owner_died() then returns true.
 * @function Mutex:acquire
 * @number[opt] timeout seconds (nil: forever, 0: try once)
 * @treturn[1] true
 * @treturn[2] fail, "acquire: message", errno (ETIMEDOUT; EAGAIN for 0;
 *   EDEADLK when this process holds it already; ENOTRECOVERABLE when an
 *   earlier owner-died lock was not marked consistent)
 */
static int l_acquire(lua_State *L)
{
	mutex_box *b = check_open(L);
	ipc_deadline d = lipc_checkdeadline(L, 2);
	ipc_status st = lock_sliced(L, b->h, d);

	if (st == -EOWNERDEAD) {
		b->owner_died = true;
		st = 0;
	} else if (st == 0) {
		b->owner_died = false;
	}
	return lipc_result(L, st, "acquire");
}

/***
 * Release the lock; after an acquire from a dead owner, mark it
 * consistent first.
 * @function Mutex:release
 * @treturn[1] true
 * @treturn[2] fail, "release: message", errno (EPERM when not held)
 */
static int l_release(lua_State *L)
{
	mutex_box *b = check_open(L);
	ipc_status st;

	if (b->owner_died) {
		st = ipc_mutex_consistent(b->h);
		if (st < 0)
			return lipc_fail(L, st, "release");
		b->owner_died = false;
	}
	return lipc_result(L, ipc_mutex_unlock(b->h), "release");
}

/* mx:owner_died(): the lock held now was taken from a holder that died. */
static int l_owner_died(lua_State *L)
{
	lua_pushboolean(L, check_open(L)->owner_died);
	return 1;
}

static int l_name(lua_State *L)
{
	lua_pushstring(L, ipc_mutex_name(check_open(L)->h));
	return 1;
}

/***
 * Remove the name; handles already open keep working.
 * @function Mutex:unlink
 * @treturn[1] true
 * @treturn[2] fail, "unlink: message", errno (ENOENT...)
 */
static int l_unlink(lua_State *L)
{
	return lipc_result(L,
	                   ipc_mutex_unlink(ipc_mutex_name(check_open(L)->h)),
	                   "unlink");
}

/* mx:close(): releases the lock if held (an owner-died lock not marked
 * consistent then becomes unrecoverable). A second close raises. */
static int l_close(lua_State *L)
{
	mutex_box *b = check_open(L);
	ipc_mutex *m = b->h;

	b->h = NULL;
	return lipc_result(L, ipc_mutex_close(m), "close");
}

/* __gc and __close: idempotent, never raise. */
static int l_gc(lua_State *L)
{
	mutex_box *b = check_box(L);

	if (b->h != NULL) {
		(void)ipc_mutex_close(b->h);
		b->h = NULL;
	}
	return 0;
}

static int l_tostring(lua_State *L)
{
	mutex_box *b = check_box(L);

	return lipc_pushtostring(L, LIPC_MUTEX, b->h == NULL,
	                         b->h ? ipc_mutex_name(b->h) : NULL);
}

static const luaL_Reg mutex_meta[] = {{"__gc", l_gc},
                                      {"__close", l_gc},
                                      {"__tostring", l_tostring},
                                      {NULL, NULL}};

static const luaL_Reg mutex_methods[] = {{"acquire", l_acquire},
                                         {"release", l_release},
                                         {"owner_died", l_owner_died},
                                         {"name", l_name},
                                         {"unlink", l_unlink},
                                         {"close", l_close},
                                         {NULL, NULL}};

void lipc_open_mutex(lua_State *L)
{
	lipc_newclass(L, LIPC_MUTEX, mutex_meta, mutex_methods);
	lua_pushcfunction(L, l_mutex);
	lua_setfield(L, -2, "mutex");
}
