/* SPDX-License-Identifier: MIT */
/*
 * lipc_signal.c - sending signals and receiving them as data:
 * ipc.send_signal(pid, sig, value) and ipc.signalset(sigs) ->
 * ipc.SignalSet.
 *
 *	local sigs <close> = ipc.signalset({"USR1", "TERM"})
 *	ipc.send_signal(ipc.getpid(), "USR1", 42)
 *	local info = sigs:wait(1.0)  --> {signo = 10, name = "USR1", pid = ...,
 *	                             --    uid = ..., value = 42, code = -1}
 *
 * A set blocks its signals and reads them from a signalfd: no handler
 * runs, and the set is pollable (sigs:fd(), __fd). Closing it unblocks
 * them again, and an instance still pending is then delivered under its
 * disposition (a pending TERM ends the process): drain with sigs:wait(0)
 * first when that matters. Behaviour is the core's (<ipc/signal.h>).
 */
#include <stdio.h>

#include "lipc.h"

#define LIPC_SIGSET "ipc.SignalSet"

static ipc_sigset *check_set(lua_State *L)
{
	return lipc_checkopen(L, 1, LIPC_SIGSET);
}

/* A signal argument, where 0 (check that the process exists) is allowed. */
static int check_signal0(lua_State *L, int idx)
{
	if (lua_type(L, idx) == LUA_TNUMBER && lua_tointeger(L, idx) == 0)
		return 0;
	return lipc_checksignal(L, idx);
}

/***
 * Send a signal to a process.
 * @function send_signal
 * @int pid the process (> 0)
 * @tparam int|string sig "USR1", "SIGUSR1", "RTMIN+1", a number, or 0 (only
 *   check that the process exists and may be signalled)
 * @int[opt] value a payload: sent with sigqueue(3), the receiver's info.value;
 *   without it the signal is sent with kill(2)
 * @treturn[1] true
 * @treturn[2] fail, "send_signal: message", errno (ESRCH, EPERM, EAGAIN
 *   when the receiver's queue of real-time signals is full)
 */
static int l_send_signal(lua_State *L)
{
	lua_Integer pid = luaL_checkinteger(L, 1);
	int signo = check_signal0(L, 2);
	ipc_status st;

	luaL_argcheck(L, pid > 0 && pid <= INT32_MAX, 1,
	              "pid must be a positive process id");
	if (lua_isnoneornil(L, 3)) {
		st = ipc_sig_send((int32_t)pid, signo);
	} else {
		lua_Integer v = luaL_checkinteger(L, 3);

		luaL_argcheck(L, v >= INT32_MIN && v <= INT32_MAX, 3,
		              "value must fit a C int");
		st = ipc_sig_queue((int32_t)pid, signo, (int)v);
	}
	return lipc_result(L, st, "send_signal");
}

/***
 * Block some signals and receive them as data.
 * @function signalset
 * @tparam table sigs a list of signals (names or numbers; not KILL or STOP)
 * @treturn[1] ipc.SignalSet
 * @treturn[2] fail, "signalset: message", errno (EMFILE...)
 */
static int l_signalset(lua_State *L)
{
	lua_Integer i, n;
	int *signos;
	lipc_box *b;
	ipc_sigset *set;
	ipc_status st;

	luaL_checktype(L, 1, LUA_TTABLE);
	n = luaL_len(L, 1);
	luaL_argcheck(L, n > 0 && n <= 1024, 1,
	              "a list of 1 or more signals "
	              "expected");
	signos = lua_newuserdatauv(L, (size_t)n * sizeof(*signos), 0);
	for (i = 1; i <= n; i++) {
		lua_geti(L, 1, i);
		signos[i - 1] = lipc_checksignal(L, -1);
		lua_pop(L, 1);
	}
	b = lipc_newbox(L, LIPC_SIGSET, 0);
	st = ipc_sigset_open(&set, signos, (size_t)n, 0);
	if (st < 0)
		return lipc_fail(L, st, "signalset");
	b->h = set;
	return 1;
}

/* Push @info as {signo=, name=, pid=, uid=, value=, code=}. */
static void push_info(lua_State *L, const struct ipc_sig_info *info)
{
	const char *name = ipc_sig_name(info->signo);

	lua_createtable(L, 0, 6);
	lua_pushinteger(L, info->signo);
	lua_setfield(L, -2, "signo");
	if (name != NULL) {
		lua_pushstring(L, name);
		lua_setfield(L, -2, "name");
	}
	lua_pushinteger(L, info->pid);
	lua_setfield(L, -2, "pid");
	lua_pushinteger(L, info->uid);
	lua_setfield(L, -2, "uid");
	lua_pushinteger(L, info->value);
	lua_setfield(L, -2, "value");
	lua_pushinteger(L, info->code);
	lua_setfield(L, -2, "code");
}

/***
 * Wait for one signal of the set.
 * @function SignalSet:wait
 * @number[opt] timeout seconds (nil: forever, 0: take one already pending)
 * @treturn[1] table {signo=, name= ("USR1"), pid= and uid= (the sender),
 *   value= (the sigqueue payload, 0 for kill), code= (0 kill, -1 sigqueue,
 *   -6 tgkill/raise, > 0 sent by the kernel)}
 * @treturn[2] fail, "wait: Connection timed out", ETIMEDOUT (EAGAIN for 0)
 */
static int l_wait(lua_State *L)
{
	ipc_sigset *set = check_set(L);
	ipc_deadline d = lipc_checkdeadline(L, 2);
	struct ipc_sig_info info;
	ipc_status st;

	do
		st = ipc_sigset_wait(set, &info, d);
	while (lipc_interrupted(L, st));
	if (st < 0)
		return lipc_fail(L, st, "wait");
	push_info(L, &info);
	return 1;
}

/* sigs:fd() and __fd: the signalfd, borrowed, for polling. */
static int l_fd(lua_State *L)
{
	lua_pushinteger(L, ipc_sigset_fd(check_set(L)));
	return 1;
}

/* sigs:close(): unblocks the set's signals (pending ones are delivered).
 * A second close raises. */
static ipc_status close_handle(void *h)
{
	return ipc_sigset_close(h);
}

static int l_close(lua_State *L)
{
	return lipc_box_close(L, LIPC_SIGSET, close_handle);
}

/* __gc and __close (lipc_box_gc: idempotent, never raise). */
static int l_gc(lua_State *L)
{
	return lipc_box_gc(L, LIPC_SIGSET, close_handle);
}

static int l_tostring(lua_State *L)
{
	lipc_box *b = lipc_checkbox(L, 1, LIPC_SIGSET);
	char what[32];

	if (b->h != NULL)
		snprintf(what, sizeof(what), "fd %d", ipc_sigset_fd(b->h));
	return lipc_pushtostring(L, LIPC_SIGSET, b->h == NULL, what);
}

static const luaL_Reg sigset_meta[] = {{"__gc", l_gc},
                                       {"__close", l_gc},
                                       {"__tostring", l_tostring},
                                       {"__fd", l_fd},
                                       {NULL, NULL}};

static const luaL_Reg sigset_methods[] = {
        {"wait", l_wait}, {"fd", l_fd}, {"close", l_close}, {NULL, NULL}};

void lipc_open_signal(lua_State *L)
{
	lipc_newclass(L, LIPC_SIGSET, sigset_meta, sigset_methods);
	lua_pushcfunction(L, l_signalset);
	lua_setfield(L, -2, "signalset");
	lua_pushcfunction(L, l_send_signal);
	lua_setfield(L, -2, "send_signal");
}
