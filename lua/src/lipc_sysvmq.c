/* SPDX-License-Identifier: MIT */
/*
 * lipc_sysvmq.c - System V message queues: ipc.sysvmq(key, opts) ->
 * ipc.SysVMQ.
 *
 *	local sq = ipc.sysvmq(0x1234, {create = true})
 *	sq:send("order", 2, 1.0)           -- data, type (>= 1), timeout
 *	local data, mtype = sq:receive(0)  -- type 0: the oldest of any type
 *	sq:remove(); sq:close()
 *
 * A key is an integer, a string ("0x1234", "4660") or {path, proj} (ftok).
 * Receive types follow msgrcv(2): 0 any type, > 0 that type, < 0 the
 * lowest type up to -type. Waiting, sizes and removal are the core's
 * (<ipc/sysvmq.h>).
 */
#include <limits.h>
#include <stdio.h>

#include "lipc.h"

#define LIPC_SYSVMQ "ipc.SysVMQ"

static ipc_sysvmq *check_sq(lua_State *L)
{
	return lipc_checkopen(L, 1, LIPC_SYSVMQ);
}

/* "0x4d2" as ipcs(1) writes keys, into @buf of 11 bytes. */
static const char *key_text(char *buf, size_t cap, int32_t key)
{
	snprintf(buf, cap, "0x%08x", (unsigned int)(uint32_t)key);
	return buf;
}

static const char *const sysvmq_opts[] = {"create", "exclusive", "mode", NULL};

/***
 * Open or create the System V queue of a key.
 * @function sysvmq
 * @param key an integer, "0x..." or decimal string, or {path, proj}
 * @tparam[opt] table opts create, exclusive, mode (default 0600)
 * @treturn[1] ipc.SysVMQ
 * @treturn[2] fail, "sysvmq 0x...: message", errno (ENOENT, EEXIST...)
 */
static int l_sysvmq(lua_State *L)
{
	int32_t key = lipc_checkkey(L, 1);
	unsigned int flags, mode;
	char kbuf[16];
	lipc_box *b;
	ipc_sysvmq *q;
	ipc_status st;

	lipc_checkopts(L, 2, sysvmq_opts);
	flags = lipc_openflags(L, 2);
	mode = lipc_optmode(L, 2);
	b = lipc_newbox(L, LIPC_SYSVMQ, 0);
	st = ipc_sysvmq_open(&q, key, flags, mode);
	if (st < 0) {
		key_text(kbuf, sizeof(kbuf), key);
		return lipc_fail(L, st, lua_pushfstring(L, "sysvmq %s", kbuf));
	}
	b->h = q;
	return 1;
}

/***
 * Queue one message.
 * @function SysVMQ:send
 * @string data the payload, at most msgmax (8192) bytes
 * @int[opt=1] mtype the message type, >= 1
 * @number[opt] timeout seconds to wait while the queue is full
 * @treturn[1] true
 * @treturn[2] fail, "send: message", errno (EAGAIN, ETIMEDOUT, EIDRM...)
 */
static int l_send(lua_State *L)
{
	ipc_sysvmq *q = check_sq(L);
	size_t len;
	const char *data = luaL_checklstring(L, 2, &len);
	lua_Integer mtype = luaL_optinteger(L, 3, 1);
	ipc_deadline d;
	ipc_status st;

	luaL_argcheck(L, mtype >= 1 && mtype <= LONG_MAX, 3,
	              "message type must be >= 1");
	d = lipc_checkdeadline(L, 4);
	do
		st = ipc_sysvmq_send(q, (long)mtype, data, len, d);
	while (lipc_interrupted(L, st));
	return lipc_result(L, st, "send");
}

/***
 * Take one message off the queue.
 * @function SysVMQ:receive
 * @int[opt=0] mtype 0 any type, > 0 that type, < 0 the lowest type up to
 *   -mtype
 * @number[opt] timeout seconds to wait while no message matches
 * @treturn[1] string data
 * @treturn[1] int the message's type
 * @treturn[2] fail, "receive: message", errno (EAGAIN, ETIMEDOUT, EIDRM...)
 */
static int l_receive(lua_State *L)
{
	ipc_sysvmq *q = check_sq(L);
	lua_Integer want = luaL_optinteger(L, 2, 0);
	/* msgmax as read at open: every message fits (E2BIG only if an
	 * administrator raised msgmax since, and the message stays queued). */
	size_t cap = ipc_sysvmq_max_message(q);
	ipc_deadline d;
	luaL_Buffer buf;
	long mtype = 0;
	size_t n = 0;
	char *p;
	ipc_status st;

	luaL_argcheck(L, want > LONG_MIN, 2, "message type out of range");
	d = lipc_checkdeadline(L, 3);
	p = luaL_buffinitsize(L, &buf, cap);
	do
		st = ipc_sysvmq_receive(q, (long)want, 0, p, cap, &n, &mtype,
		                        d);
	while (lipc_interrupted(L, st));
	if (st < 0)
		return lipc_fail(L, st, "receive");
	luaL_pushresultsize(&buf, n);
	lua_pushinteger(L, (lua_Integer)mtype);
	return 2;
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

/***
 * The queue's state (IPC_STAT).
 * @function SysVMQ:stat
 * @treturn[1] table key, mode, uid, gid, cuid, cgid, messages, bytes,
 *   max_bytes, last_send_pid, last_recv_pid, send_time, recv_time,
 *   change_time
 * @treturn[2] fail, "stat: message", errno (EIDRM...)
 */
static int l_stat(lua_State *L)
{
	struct ipc_sysvmq_stat s;
	ipc_status st = ipc_sysvmq_stat(check_sq(L), &s);

	if (st < 0)
		return lipc_fail(L, st, "stat");
	lua_createtable(L, 0, 14);
	set_int(L, "key", (lua_Integer)(uint32_t)s.key);
	set_int(L, "mode", s.mode);
	set_int(L, "uid", s.uid);
	set_int(L, "gid", s.gid);
	set_int(L, "cuid", s.cuid);
	set_int(L, "cgid", s.cgid);
	set_int(L, "messages", (lua_Integer)s.messages);
	set_int(L, "bytes", (lua_Integer)s.bytes);
	set_int(L, "max_bytes", (lua_Integer)s.max_bytes);
	set_int(L, "last_send_pid", s.last_send_pid);
	set_int(L, "last_recv_pid", s.last_recv_pid);
	set_int(L, "send_time", s.send_time);
	set_int(L, "recv_time", s.recv_time);
	set_int(L, "change_time", s.change_time);
	return 1;
}

/* The key as an unsigned 32-bit integer, as ipcs(1) shows it (0 for a
 * private queue). */
static int l_key(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)(uint32_t)ipc_sysvmq_key(check_sq(L)));
	return 1;
}

static int l_id(lua_State *L)
{
	lua_pushinteger(L, ipc_sysvmq_id(check_sq(L)));
	return 1;
}

/***
 * Destroy the queue now: queued messages are lost, blocked callers wake
 * with EIDRM. The handle stays open (every call then fails with EIDRM).
 * @function SysVMQ:remove
 * @treturn[1] true
 * @treturn[2] fail, "remove: message", errno (EIDRM, EPERM)
 */
static int l_remove(lua_State *L)
{
	return lipc_result(L, ipc_sysvmq_remove(check_sq(L)), "remove");
}

/* sq:close(): the queue and its messages stay. A second close raises. */
static ipc_status close_handle(void *h)
{
	return ipc_sysvmq_close(h);
}

static int l_close(lua_State *L)
{
	return lipc_box_close(L, LIPC_SYSVMQ, close_handle);
}

/* __gc and __close (lipc_box_gc: idempotent, never raise). */
static int l_gc(lua_State *L)
{
	return lipc_box_gc(L, LIPC_SYSVMQ, close_handle);
}

static int l_tostring(lua_State *L)
{
	lipc_box *b = lipc_checkbox(L, 1, LIPC_SYSVMQ);
	char kbuf[16];

	if (b->h == NULL)
		return lipc_pushtostring(L, LIPC_SYSVMQ, true, NULL);
	lua_pushfstring(L, "%s (key %s, id %d)", LIPC_SYSVMQ,
	                key_text(kbuf, sizeof(kbuf), ipc_sysvmq_key(b->h)),
	                ipc_sysvmq_id(b->h));
	return 1;
}

static const luaL_Reg sysvmq_meta[] = {{"__gc", l_gc},
                                       {"__close", l_gc},
                                       {"__tostring", l_tostring},
                                       {NULL, NULL}};

static const luaL_Reg sysvmq_methods[] = {
        {"send", l_send},   {"receive", l_receive},
        {"stat", l_stat},   {"key", l_key},
        {"id", l_id},       {"remove", l_remove},
        {"close", l_close}, {NULL, NULL}};

void lipc_open_sysvmq(lua_State *L)
{
	lipc_newclass(L, LIPC_SYSVMQ, sysvmq_meta, sysvmq_methods);
	lua_pushcfunction(L, l_sysvmq);
	lua_setfield(L, -2, "sysvmq");
}
