/* SPDX-License-Identifier: MIT */
/*
 * lipc_mq.c - POSIX message queues: ipc.mqueue(name, opts) -> ipc.MQueue.
 *
 *	local q = ipc.mqueue("/jobs", {create = true, max_messages = 8,
 *	                               max_message_size = 1024})
 *	q:send("job 1", 5, 1.0)          -- data, priority, timeout
 *	local data, prio = q:receive(1.0)
 *	q:unlink(); q:close()
 *
 * The queue is opened read-write. Messages are binary-safe strings; the
 * highest priority (0 .. 32767) is received first, oldest first within a
 * priority. Every behaviour (deadlines, shape checks, limits) is the
 * core's (<ipc/mq.h>); this file converts arguments and results.
 */
#include <limits.h>

#include "lipc.h"

#define LIPC_MQUEUE "ipc.MQueue"

static ipc_mq *check_mq(lua_State *L)
{
	return lipc_checkopen(L, 1, LIPC_MQUEUE);
}

/* The fail triple of a refused open; when a system limit explains it
 * (-EINVAL, -EMFILE, -ENOSPC), the message names that limit. */
static int open_fail(lua_State *L, ipc_status st, const char *name,
                     const struct ipc_mq_attr *want)
{
	char why[160];

	if (ipc_mq_limit_message(st, want, why, sizeof(why)) < 0)
		return lipc_fail(L, st, lua_pushfstring(L, "mqueue %s", name));
	luaL_pushfail(L);
	lua_pushfstring(L, "mqueue %s: %s (%s)", name, ipc_strerror(st), why);
	lua_pushinteger(L, -st);
	return 3;
}

/* A non-negative option that fits a long (the core's field type). */
static long opt_long(lua_State *L, int idx, const char *key, bool size)
{
	uint64_t v;

	if (size) {
		v = lipc_optsize(L, idx, key, 0);
	} else {
		lua_Integer i = lipc_optint(L, idx, key, 0);

		if (i < 0)
			luaL_error(L, "bad option '%s' (must be >= 0)", key);
		v = (uint64_t)i;
	}
	if (v > LONG_MAX)
		luaL_error(L, "bad option '%s' (too large)", key);
	return (long)v;
}

static const char *const mq_opts[] = {
        "create",       "exclusive",        "mode",
        "max_messages", "max_message_size", NULL};

/***
 * Open, or create, a POSIX message queue.
 * @function mqueue
 * @string name "/name"
 * @tparam[opt] table opts create, exclusive, mode (default 0600),
 *   max_messages, max_message_size (an integer or a size string such as
 *   "8KiB"; 0 or absent: the system default when creating, any shape when
 *   opening)
 * @treturn[1] ipc.MQueue
 * @treturn[2] fail, "mqueue /name: message", errno
 */
static int l_mqueue(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	struct ipc_mq_attr want = {0, 0, 0};
	unsigned int flags, mode;
	lipc_box *b;
	ipc_mq *q;
	ipc_status st;

	lipc_checkopts(L, 2, mq_opts);
	flags = lipc_openflags(L, 2) | IPC_O_RDWR;
	mode = lipc_optmode(L, 2);
	want.max_messages = opt_long(L, 2, "max_messages", false);
	want.max_message_size = opt_long(L, 2, "max_message_size", true);
	b = lipc_newbox(L, LIPC_MQUEUE, 0);
	st = ipc_mq_open(&q, name, flags, mode, &want);
	if (st < 0)
		return open_fail(L, st, name, &want);
	b->h = q;
	return 1;
}

/***
 * Send one message.
 * @function MQueue:send
 * @string data the message, at most max_message_size bytes
 * @int[opt=0] prio priority, 0 .. 32767
 * @number[opt] timeout seconds to wait while the queue is full (nil:
 *   forever, 0: try once)
 * @treturn[1] true
 * @treturn[2] fail, "send: message", errno (EAGAIN, ETIMEDOUT, EMSGSIZE...)
 */
static int l_send(lua_State *L)
{
	ipc_mq *q = check_mq(L);
	size_t len;
	const char *data = luaL_checklstring(L, 2, &len);
	lua_Integer prio = luaL_optinteger(L, 3, 0);
	ipc_deadline d;
	ipc_status st;

	luaL_argcheck(L, prio >= 0 && prio < (lua_Integer)IPC_MQ_PRIO_MAX, 3,
	              "priority must be 0 .. 32767");
	d = lipc_checkdeadline(L, 4);
	do
		st = ipc_mq_send(q, data, len, (unsigned int)prio, d);
	while (lipc_interrupted(L, st));
	return lipc_result(L, st, "send");
}

/***
 * Take the oldest message of the highest priority.
 * @function MQueue:receive
 * @number[opt] timeout seconds to wait while the queue is empty
 * @treturn[1] string data
 * @treturn[1] int priority
 * @treturn[2] fail, "receive: message", errno (EAGAIN, ETIMEDOUT...)
 */
static int l_receive(lua_State *L)
{
	ipc_mq *q = check_mq(L);
	ipc_deadline d = lipc_checkdeadline(L, 2);
	struct ipc_mq_attr a;
	unsigned int prio = 0;
	size_t n = 0;
	luaL_Buffer buf;
	char *p;
	ipc_status st;

	/* The core wants room for the largest message whatever the next
	 * one's size: ask the queue, which another process may have made. */
	st = ipc_mq_attrs(q, &a);
	if (st < 0)
		return lipc_fail(L, st, "receive");
	p = luaL_buffinitsize(L, &buf, (size_t)a.max_message_size);
	do
		st = ipc_mq_receive(q, p, (size_t)a.max_message_size, &n, &prio,
		                    d);
	while (lipc_interrupted(L, st));
	if (st < 0)
		return lipc_fail(L, st, "receive");
	luaL_pushresultsize(&buf, n);
	lua_pushinteger(L, (lua_Integer)prio);
	return 2;
}

/***
 * The shape of the queue and how full it is.
 * @function MQueue:attributes
 * @treturn[1] table {max_messages=, max_message_size=, messages=}
 * @treturn[2] fail, "attributes: message", errno
 */
static int l_attributes(lua_State *L)
{
	struct ipc_mq_attr a;
	ipc_status st = ipc_mq_attrs(check_mq(L), &a);

	if (st < 0)
		return lipc_fail(L, st, "attributes");
	lua_createtable(L, 0, 3);
	lua_pushinteger(L, a.max_messages);
	lua_setfield(L, -2, "max_messages");
	lua_pushinteger(L, a.max_message_size);
	lua_setfield(L, -2, "max_message_size");
	lua_pushinteger(L, a.messages);
	lua_setfield(L, -2, "messages");
	return 1;
}

/* q:fd() and the __fd metamethod: the descriptor, borrowed, for polling. */
static int l_fd(lua_State *L)
{
	lua_pushinteger(L, ipc_mq_fd(check_mq(L)));
	return 1;
}

static int l_name(lua_State *L)
{
	lua_pushstring(L, ipc_mq_name(check_mq(L)));
	return 1;
}

/***
 * Remove the queue's name; open handles keep working.
 * @function MQueue:unlink
 * @treturn[1] true
 * @treturn[2] fail, "unlink: message", errno (ENOENT...)
 */
static int l_unlink(lua_State *L)
{
	return lipc_result(L, ipc_mq_unlink(ipc_mq_name(check_mq(L))),
	                   "unlink");
}

/* q:close(): the queue and its messages stay. A second close raises. */
static ipc_status close_handle(void *h)
{
	return ipc_mq_close(h);
}

static int l_close(lua_State *L)
{
	return lipc_box_close(L, LIPC_MQUEUE, close_handle);
}

/* __gc and __close (lipc_box_gc: idempotent, never raise). */
static int l_gc(lua_State *L)
{
	return lipc_box_gc(L, LIPC_MQUEUE, close_handle);
}

static int l_tostring(lua_State *L)
{
	lipc_box *b = lipc_checkbox(L, 1, LIPC_MQUEUE);

	return lipc_pushtostring(L, LIPC_MQUEUE, b->h == NULL,
	                         b->h ? ipc_mq_name(b->h) : NULL);
}

static const luaL_Reg mq_meta[] = {{"__gc", l_gc},
                                   {"__close", l_gc},
                                   {"__tostring", l_tostring},
                                   {"__fd", l_fd},
                                   {NULL, NULL}};

static const luaL_Reg mq_methods[] = {{"send", l_send},
                                      {"receive", l_receive},
                                      {"attributes", l_attributes},
                                      {"fd", l_fd},
                                      {"name", l_name},
                                      {"unlink", l_unlink},
                                      {"close", l_close},
                                      {NULL, NULL}};

void lipc_open_mq(lua_State *L)
{
	lipc_newclass(L, LIPC_MQUEUE, mq_meta, mq_methods);
	lua_pushcfunction(L, l_mqueue);
	lua_setfield(L, -2, "mqueue");
}
