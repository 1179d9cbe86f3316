/* SPDX-License-Identifier: MIT */
/*
 * lipc_poller.c - a poller over every pollable ipc object: ipc.poller() ->
 * ipc.Poller.
 *
 *	local poller <close> = ipc.poller()
 *	poller:register(r, "r")            -- a channel, queue, signal set...
 *	local tick = poller:add_timer(0.5) -- every 0.5 s
 *	for _, ev in ipairs(poller:poll(1.0)) do
 *		local obj, events = ev[1], ev[2]   -- "r", "w", "rw", ... "t"
 *	end
 *
 * Level-triggered (an object stays ready until drained). Channels go
 * through the core's channel support, so rings (no descriptor), System V
 * queues and messages a framed channel read ahead are reported too; other
 * objects through their __fd method (ipc.MQueue, ipc.SignalSet,
 * ipc.Process, another ipc.Poller...), or an integer descriptor.
 *
 * poll() returns a list of {obj, events[, expirations]}, one per ready
 * object, and an empty list when nothing was ready by the timeout.
 * events is a string of letters: "r" readable (or end of stream), "w"
 * writable, "h" the peer hung up, "e" an error condition, "t" a timer
 * fired (then expirations counts how many times since it was last
 * reported). "h" and "e" are reported without being asked for.
 *
 * The poller keeps every registered object alive (it never closes them)
 * until it is unregistered or the poller closes. An ipc object closed
 * while registered is dropped by the next poll(); unregister it before
 * closing it anyway, since its descriptor number can be reused at once.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "lipc.h"

#define LIPC_POLLER "ipc.Poller"

/* User values of the box: tag -> object and object -> tag. */
enum { UV_BYTAG = 1, UV_BYOBJ, UV_COUNT = UV_BYOBJ };

typedef struct poller_box {
	ipc_loop *h;
	lua_Integer next_tag; /* tags are 1, 2, 3...: never NULL */
} poller_box;

static poller_box *check_box(lua_State *L)
{
	return luaL_checkudata(L, 1, LIPC_POLLER);
}

static poller_box *check_open(lua_State *L)
{
	poller_box *b = check_box(L);

	if (b->h == NULL)
		luaL_error(L, "attempt to use a closed %s", LIPC_POLLER);
	return b;
}

static void *tag_ptr(lua_Integer tag)
{
	return (void *)(uintptr_t)tag;
}

/* Fresh, empty registration tables (also how close lets go of them). */
static void reset_tables(lua_State *L, int box)
{
	int uv;

	for (uv = 1; uv <= UV_COUNT; uv++) {
		lua_newtable(L);
		lua_setiuservalue(L, box, uv);
	}
}

/***
 * Make a poller.
 * @function poller
 * @treturn[1] ipc.Poller
 * @treturn[2] fail, "poller: message", errno (EMFILE...)
 */
static int l_poller(lua_State *L)
{
	poller_box *b = lua_newuserdatauv(L, sizeof(*b), UV_COUNT);
	ipc_loop *l;
	ipc_status st;

	b->h = NULL;
	b->next_tag = 0;
	luaL_setmetatable(L, LIPC_POLLER);
	reset_tables(L, lua_gettop(L));
	st = ipc_loop_open(&l);
	if (st < 0)
		return lipc_fail(L, st, "poller");
	b->h = l;
	return 1;
}

/* The events argument at @idx ("r", "w" or "rw") as IPC_EV_*. */
static unsigned int check_events(lua_State *L, int idx)
{
	unsigned int rw = lipc_checkrw(L, idx, "r"), ev = 0;

	if (rw & IPC_O_READ)
		ev |= IPC_EV_READ;
	if (rw & IPC_O_WRITE)
		ev |= IPC_EV_WRITE;
	return ev;
}

/* The tag of the object at @idx, or 0 when it is not registered. */
static lua_Integer tag_of(lua_State *L, int idx)
{
	lua_Integer tag;

	idx = lua_absindex(L, idx);
	lua_getiuservalue(L, 1, UV_BYOBJ);
	lua_pushvalue(L, idx);
	lua_rawget(L, -2);
	tag = lua_tointeger(L, -1);
	lua_pop(L, 2);
	return tag;
}

/* Set t[k] = v in user value @uv, k and v taken from the stack top (v on
 * top); pops both. */
static void uv_set(lua_State *L, int uv)
{
	lua_getiuservalue(L, 1, uv);
	lua_insert(L, -3);
	lua_rawset(L, -3);
	lua_pop(L, 1);
}

/* Record @tag for the object at @idx. */
static void remember(lua_State *L, int idx, lua_Integer tag)
{
	idx = lua_absindex(L, idx);
	lua_pushinteger(L, tag);
	lua_pushvalue(L, idx);
	uv_set(L, UV_BYTAG);
	lua_pushvalue(L, idx);
	lua_pushinteger(L, tag);
	uv_set(L, UV_BYOBJ);
}

/* Drop the records of @tag and of the object it names. */
static void forget(lua_State *L, lua_Integer tag)
{
	lua_getiuservalue(L, 1, UV_BYTAG);
	if (lua_rawgeti(L, -1, tag) != LUA_TNIL) {
		lua_pushnil(L);
		uv_set(L, UV_BYOBJ);
	} else {
		lua_pop(L, 1);
	}
	lua_pushnil(L);
	lua_rawseti(L, -2, tag);
	lua_pop(L, 1);
}

/***
 * Watch an object.
 * @function Poller:register
 * @param obj an ipc.Channel, an object with __fd (ipc.MQueue,
 *   ipc.SignalSet, ipc.Process, ipc.Poller...), or an integer descriptor
 * @string[opt="r"] events "r", "w" or "rw"
 * @treturn[1] true
 * @treturn[2] fail, "register: message", errno (EEXIST when registered
 *   already, EPERM for a regular file...)
 */
static int l_register(lua_State *L)
{
	poller_box *b = check_open(L);
	unsigned int ev = check_events(L, 3);
	lua_Integer tag;
	ipc_chan *chan;
	ipc_status st;

	luaL_argcheck(L, !lua_isnoneornil(L, 2), 2, "pollable object expected");
	if (tag_of(L, 2) != 0)
		return lipc_fail(L, -EEXIST, "register");
	tag = b->next_tag + 1;
	chan = lipc_tochan(L, 2);
	if (chan != NULL) {
		st = ipc_loop_add_chan(b->h, chan, ev, tag_ptr(tag));
	} else {
		int fd = lua_isinteger(L, 2) ? (int)lua_tointeger(L, 2)
		                             : lipc_tofd(L, 2);

		if (fd < 0 && !lua_isinteger(L, 2))
			luaL_argerror(L, 2, "pollable object expected");
		st = ipc_loop_add_fd(b->h, fd, ev, tag_ptr(tag));
	}
	if (st < 0)
		return lipc_fail(L, st, "register");
	b->next_tag = tag;
	remember(L, 2, tag);
	lua_pushboolean(L, 1);
	return 1;
}

/***
 * Change what a registered object is watched for.
 * @function Poller:modify
 * @param obj the object
 * @string events "r", "w" or "rw"
 * @treturn[1] true
 * @treturn[2] fail, "modify: message", errno (ENOENT when not registered,
 *   EINVAL for a timer)
 */
static int l_modify(lua_State *L)
{
	poller_box *b = check_open(L);
	unsigned int ev = check_events(L, 3);
	lua_Integer tag = tag_of(L, 2);

	if (tag == 0)
		return lipc_fail(L, -ENOENT, "modify");
	return lipc_result(L, ipc_loop_modify(b->h, tag_ptr(tag), ev),
	                   "modify");
}

/***
 * Stop watching an object (or remove a timer).
 * @function Poller:unregister
 * @param obj the object, or a timer from add_timer
 * @treturn[1] true
 * @treturn[2] fail, "unregister: message", errno (ENOENT when not
 *   registered)
 */
static int l_unregister(lua_State *L)
{
	poller_box *b = check_open(L);
	lua_Integer tag = tag_of(L, 2);
	ipc_status st;

	if (tag == 0)
		return lipc_fail(L, -ENOENT, "unregister");
	st = ipc_loop_remove(b->h, tag_ptr(tag));
	forget(L, tag);
	return lipc_result(L, st, "unregister");
}

/* A number of seconds >= 0 at @idx as nanoseconds. */
static int64_t check_ns(lua_State *L, int idx, lua_Number def)
{
	lua_Number s = luaL_optnumber(L, idx, def);

	luaL_argcheck(L, s >= 0 && s < 9e9, idx, "seconds >= 0 expected");
	return (int64_t)llround(s * 1e9);
}

/***
 * Add a timer; poll() reports it as {timer, "t", expirations}.
 * @function Poller:add_timer
 * @number interval seconds between firings; 0 fires once
 * @number[opt] first seconds until the first firing (default: interval)
 * @treturn[1] table the timer: {interval=, expirations=} (expirations: of
 *   its last report), a token for unregister
 * @treturn[2] fail, "add_timer: message", errno (EMFILE...)
 */
static int l_add_timer(lua_State *L)
{
	poller_box *b = check_open(L);
	lua_Number secs = luaL_checknumber(L, 2);
	int64_t interval = check_ns(L, 2, secs);
	int64_t first = check_ns(L, 3, (lua_Number)interval / 1e9);
	lua_Integer tag = b->next_tag + 1;
	ipc_status st;

	st = ipc_loop_add_timer(b->h, ipc_now() + first, interval,
	                        tag_ptr(tag));
	if (st < 0)
		return lipc_fail(L, st, "add_timer");
	b->next_tag = tag;
	lua_createtable(L, 0, 2);
	lua_pushnumber(L, secs);
	lua_setfield(L, -2, "interval");
	lua_pushinteger(L, 0);
	lua_setfield(L, -2, "expirations");
	remember(L, -1, tag);
	return 1;
}

/* Whether the value at @idx is an ipc object that has been closed: every
 * ipc type's box starts with its handle, NULL once closed (lipc.h). */
static bool closed_ipc_object(lua_State *L, int idx)
{
	bool ours = false;
	int t;

	idx = lua_absindex(L, idx);
	if (lua_type(L, idx) != LUA_TUSERDATA)
		return false;
	t = luaL_getmetafield(L, idx, "__name"); /* pushes nothing for nil */
	if (t == LUA_TSTRING)
		ours = strncmp(lua_tostring(L, -1), "ipc.", 4) == 0;
	if (t != LUA_TNIL)
		lua_pop(L, 1);
	return ours && ((lipc_box *)lua_touserdata(L, idx))->h == NULL;
}

/* Remove the objects closed since they were registered: the loop may hold
 * a channel that closing freed, or a descriptor number now reused. */
static void drop_closed(lua_State *L, poller_box *b)
{
	int bytag;

	lua_getiuservalue(L, 1, UV_BYTAG);
	bytag = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, bytag) != 0) {
		if (closed_ipc_object(L, -1)) {
			lua_Integer tag = lua_tointeger(L, -2);

			(void)ipc_loop_remove(b->h, tag_ptr(tag));
			forget(L,
			       tag); /* clearing fields is fine in lua_next */
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

/* Push the letters of @ev. */
static void push_events(lua_State *L, unsigned int ev)
{
	char s[8];
	size_t n = 0;

	if (ev & IPC_EV_READ)
		s[n++] = 'r';
	if (ev & IPC_EV_WRITE)
		s[n++] = 'w';
	if (ev & IPC_EV_HUP)
		s[n++] = 'h';
	if (ev & IPC_EV_ERR)
		s[n++] = 'e';
	if (ev & IPC_EV_TIMER)
		s[n++] = 't';
	lua_pushlstring(L, s, n);
}

/***
 * Wait until registered objects are ready.
 * @function Poller:poll
 * @number[opt] timeout seconds (nil: forever, 0: only look)
 * @treturn[1] table a list of {obj, events[, expirations]}; empty when
 *   nothing was ready by the timeout
 * @treturn[2] fail, "poll: message", errno
 */
static int l_poll(lua_State *L)
{
	poller_box *b = check_open(L);
	ipc_deadline d = lipc_checkdeadline(L, 2), slice;
	struct ipc_loop_event *evs;
	size_t i, n = 0, max;
	int bytag;
	ipc_status st;

	drop_closed(L, b);
	max = ipc_loop_count(b->h);
	if (max == 0)
		max = 1;
	evs = lua_newuserdatauv(L, max * sizeof(*evs), 0);
	/* The loop polls rings with timed sleeps: wait in slices. */
	do {
		slice = lipc_slice(d);
		st = ipc_loop_wait(b->h, evs, max, &n, slice);
	} while (lipc_interrupted(L, st) ||
	         lipc_slice_expired(L, st, slice, d));
	if (st < 0 && st != -ETIMEDOUT && st != -EAGAIN)
		return lipc_fail(L, st, "poll");
	lua_getiuservalue(L, 1, UV_BYTAG);
	bytag = lua_gettop(L);
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		lua_createtable(L, 3, 0);
		lua_rawgeti(L, bytag, (lua_Integer)(uintptr_t)evs[i].tag);
		lua_rawseti(L, -2, 1);
		push_events(L, evs[i].events);
		lua_rawseti(L, -2, 2);
		if (evs[i].events & IPC_EV_TIMER) {
			lua_pushinteger(L, (lua_Integer)evs[i].expirations);
			lua_rawseti(L, -2, 3);
			lua_rawgeti(L, -1, 1); /* the timer's own table */
			lua_pushinteger(L, (lua_Integer)evs[i].expirations);
			lua_setfield(L, -2, "expirations");
			lua_pop(L, 1);
		}
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* poller:count(): how many objects and timers are registered. */
static int l_count(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)ipc_loop_count(check_open(L)->h));
	return 1;
}

/* poller:fd() and __fd: the epoll descriptor, to nest this poller in
 * another (rings and read-ahead are not visible through it). */
static int l_fd(lua_State *L)
{
	lua_pushinteger(L, ipc_loop_fd(check_open(L)->h));
	return 1;
}

/* poller:close(): lets go of every registered object; they stay open.
 * A second close raises. */
static int l_close(lua_State *L)
{
	poller_box *b = check_open(L);
	ipc_loop *l = b->h;

	b->h = NULL;
	reset_tables(L, 1);
	return lipc_result(L, ipc_loop_close(l), "close");
}

/* __gc and __close: idempotent, never raise. */
static int l_gc(lua_State *L)
{
	poller_box *b = check_box(L);

	if (b->h != NULL) {
		(void)ipc_loop_close(b->h);
		b->h = NULL;
	}
	return 0;
}

static int l_tostring(lua_State *L)
{
	poller_box *b = check_box(L);

	if (b->h == NULL)
		return lipc_pushtostring(L, LIPC_POLLER, true, NULL);
	lua_pushfstring(L, "%s (fd %d, %d registered)", LIPC_POLLER,
	                ipc_loop_fd(b->h), (int)ipc_loop_count(b->h));
	return 1;
}

static const luaL_Reg poller_meta[] = {{"__gc", l_gc},
                                       {"__close", l_gc},
                                       {"__tostring", l_tostring},
                                       {"__fd", l_fd},
                                       {NULL, NULL}};

static const luaL_Reg poller_methods[] = {{"register", l_register},
                                          {"modify", l_modify},
                                          {"unregister", l_unregister},
                                          {"add_timer", l_add_timer},
                                          {"poll", l_poll},
                                          {"count", l_count},
                                          {"fd", l_fd},
                                          {"close", l_close},
                                          {NULL, NULL}};

void lipc_open_poller(lua_State *L)
{
	lipc_newclass(L, LIPC_POLLER, poller_meta, poller_methods);
	lua_pushcfunction(L, l_poller);
	lua_setfield(L, -2, "poller");
}
