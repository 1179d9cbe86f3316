/* SPDX-License-Identifier: MIT */
/*
 * lipc.h - helpers shared by the parts of the Lua module (hidden).
 *
 * The module is one luaopen_ipc() built from one file per mechanism
 * (lipc_<mechanism>.c). Each part has an opener, lipc_open_<part>(L), that
 * registers its metatables and adds its constructors to the module table
 * on top of the stack. The conventions (STYLE.md 2.7):
 *   - a handle is a userdata box created closed (h == NULL) before the OS
 *     object opens, so an error during setup leaks nothing;
 *   - __gc and __close are one idempotent function that never raises;
 *   - misuse (a bad argument, a closed handle) raises; OS failures return
 *     fail, "op: message", errno (an integer);
 *   - timeouts are seconds (nil = forever, 0 = try once), options are
 *     tables with DESIGN.md's words;
 *   - -EINTR from a blocking call goes through lipc_interrupted(), which
 *     runs the interrupt hook and says whether to retry with the same
 *     deadline.
 */
#ifndef LIPC_H
#define LIPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>

#include <ipc/ipc.h>

#define LIPC_HIDDEN __attribute__((visibility("hidden")))

/* A handle box: every handle type is one pointer that is NULL once closed.
 * Types that must keep another Lua value alive use a user value. */
typedef struct lipc_box {
	void *h;
} lipc_box;

/*
 * lipc_newbox() - Push a new closed box of metatable @tname (nuv user
 * values). Open the OS object after this, then store it in box->h.
 */
LIPC_HIDDEN lipc_box *lipc_newbox(lua_State *L, const char *tname, int nuv);

/* The box at @idx, which must be of type @tname (raises otherwise). */
LIPC_HIDDEN lipc_box *lipc_checkbox(lua_State *L, int idx, const char *tname);

/* The open handle in the box at @idx; raises "attempt to use a closed
 * <tname>" when it is closed. */
LIPC_HIDDEN void *lipc_checkopen(lua_State *L, int idx, const char *tname);

/* A handle kind's close function, as the core has it (ipc_mq_close...),
 * through a one-line adapter taking void *. */
typedef ipc_status (*lipc_closer)(void *h);

/*
 * The close protocol every plain box follows, once:
 * lipc_box_close() is obj:close() on the box at 1: it frees the handle
 * and returns true, or fail, "close: ...", errno; a closed box raises.
 * lipc_box_gc() is __gc and __close: idempotent, never raises.
 */
LIPC_HIDDEN int lipc_box_close(lua_State *L, const char *tname,
                               lipc_closer close);
LIPC_HIDDEN int lipc_box_gc(lua_State *L, const char *tname, lipc_closer close);

/*
 * lipc_newclass() - Register metatable @tname: @meta holds the
 * metamethods (__gc, __close, __tostring...), @methods the methods, which
 * become __index. Leaves nothing on the stack.
 */
LIPC_HIDDEN void lipc_newclass(lua_State *L, const char *tname,
                               const luaL_Reg *meta, const luaL_Reg *methods);

/* "ipc.Pipe (fd 5)" / "ipc.Pipe (closed)" / "ipc.Ring (/name)". @what may
 * be NULL (the type name alone). */
LIPC_HIDDEN int lipc_pushtostring(lua_State *L, const char *tname, bool closed,
                                  const char *what);

/*
 * lipc_fail() - Push the fail triple for @st and return 3:
 * fail, "<op>: <strerror>[ (<detail>)]", <errno as an integer>.
 * The detail is ipc_detail() when the core left one.
 */
LIPC_HIDDEN int lipc_fail(lua_State *L, ipc_status st, const char *op);

/* Return @st's fail triple, or push true and return 1 when @st is 0. */
LIPC_HIDDEN int lipc_result(lua_State *L, ipc_status st, const char *op);

/*
 * lipc_checkdeadline() - The deadline for the timeout argument at @idx:
 * none or nil = IPC_DEADLINE_NEVER, a number of seconds >= 0 (0 = try
 * once). A negative or non-number timeout raises. Compute it once per call,
 * before the first attempt, so a retry never lengthens the wait.
 */
LIPC_HIDDEN ipc_deadline lipc_checkdeadline(lua_State *L, int idx);

/*
 * lipc_interrupted() - Called with a blocking call's status. Returns true
 * when @st is -EINTR and the caller should retry with the same deadline.
 * First runs the interrupt hook: the function set with
 * ipc.set_interrupt_hook(fn) (registry, static-address key), or, when none
 * is set, a pending Lua debug hook (the stock lua5.4 interpreter's Ctrl+C
 * installs one that raises "interrupted!"). A hook that raises propagates
 * the error out of the blocking call. Usage:
 *
 *	do
 *		st = ipc_x_recv(h, ..., d);
 *	while (lipc_interrupted(L, st));
 */
LIPC_HIDDEN bool lipc_interrupted(lua_State *L, ipc_status st);

/*
 * Sliced waits. Where the core waits as a loop of timed sleeps (a ring's
 * futex, a System V queue, the poller with rings registered), a signal
 * that lands just as a sleep times out is missed: the kernel reports the
 * timeout, the handler has run, and the core sleeps again. Such calls are
 * made in slices: lipc_slice(d) is the deadline of the next one, and
 * lipc_slice_expired() says whether the call must be made again (a slice,
 * not @d, ran out), running a pending interrupt first (it may raise):
 *
 *	do {
 *		s = lipc_slice(d);
 *		st = ipc_x_recv(h, ..., s);
 *	} while (lipc_interrupted(L, st) || lipc_slice_expired(L, st, s, d));
 */
LIPC_HIDDEN ipc_deadline lipc_slice(ipc_deadline d);
LIPC_HIDDEN bool lipc_slice_expired(lua_State *L, ipc_status st,
                                    ipc_deadline slice, ipc_deadline d);

/* True when an interrupt is pending: lua.c's (or the host's) SIGINT handler
 * installed its count-1 hook. For waits that signals do not interrupt
 * (a robust mutex), checked between slices. */
LIPC_HIDDEN bool lipc_interrupt_pending(lua_State *L);

/*
 * Options tables (the same words as Python: create, exclusive, mode, size,
 * capacity, max_messages, max_message_size, timeout, value, count, undo...).
 * @idx is the table's index, which may be none or nil (all defaults).
 * lipc_checkopts() raises on a key that is not in @allowed (NULL-ended) or
 * on a non-table: a typo must not be silently ignored.
 */
LIPC_HIDDEN void lipc_checkopts(lua_State *L, int idx,
                                const char *const *allowed);
LIPC_HIDDEN bool lipc_optbool(lua_State *L, int idx, const char *key, bool def);
LIPC_HIDDEN lua_Integer lipc_optint(lua_State *L, int idx, const char *key,
                                    lua_Integer def);
/* An integer or a size string such as "4MiB" (ipc_parse_size). */
LIPC_HIDDEN uint64_t lipc_optsize(lua_State *L, int idx, const char *key,
                                  uint64_t def);
/* Permission bits, 0 .. 0777; default IPC_MODE_DEFAULT. */
LIPC_HIDDEN unsigned int lipc_optmode(lua_State *L, int idx);
/* A string field, or @def. */
LIPC_HIDDEN const char *lipc_optstring(lua_State *L, int idx, const char *key,
                                       const char *def);
/* The "timeout" field as a deadline (nil = never). */
LIPC_HIDDEN ipc_deadline lipc_optdeadline(lua_State *L, int idx);

/* create/exclusive (and "r"/"w"/"rw" when @mode_arg > 0) as IPC_O_*. */
LIPC_HIDDEN unsigned int lipc_openflags(lua_State *L, int opts_idx);
LIPC_HIDDEN unsigned int lipc_checkrw(lua_State *L, int idx, const char *def);

/* A signal given as a number or a name ("USR1", "SIGUSR1"); raises when
 * unknown. */
LIPC_HIDDEN int lipc_checksignal(lua_State *L, int idx);

/* A System V key: an integer, "0x1234", "1234", or {path, proj}. */
LIPC_HIDDEN int32_t lipc_checkkey(lua_State *L, int idx);

/* Openers of the parts, called by luaopen_ipc in this order. */
LIPC_HIDDEN void lipc_open_errno(lua_State *L);
LIPC_HIDDEN void lipc_open_chan(lua_State *L);   /* pipe, fifo, open,
                                                    listen, connect,
                                                    endpoint, ring */
LIPC_HIDDEN void lipc_open_mq(lua_State *L);     /* mqueue */
LIPC_HIDDEN void lipc_open_sysvmq(lua_State *L); /* sysvmq */
LIPC_HIDDEN void lipc_open_shm(lua_State *L);    /* shm, sysvshm,
                                                    mapped_file */
LIPC_HIDDEN void lipc_open_sem(lua_State *L);    /* semaphore */
LIPC_HIDDEN void lipc_open_semset(lua_State *L); /* semset */
LIPC_HIDDEN void lipc_open_mutex(lua_State *L);  /* mutex */
LIPC_HIDDEN void lipc_open_signal(lua_State *L); /* send_signal,
                                                    signalset */
LIPC_HIDDEN void lipc_open_proc(lua_State *L);   /* spawn */
LIPC_HIDDEN void lipc_open_poller(lua_State *L); /* poller */
LIPC_HIDDEN void lipc_open_native(lua_State *L); /* native */
LIPC_HIDDEN void lipc_open_rpc(lua_State *L);    /* rpc */

/* For the poller and spawn: the descriptor of any pollable ipc object at
 * @idx (a channel, mqueue, signalset, process...), or -1. Each part that
 * owns a pollable type registers a "__fd" method; this calls it. */
LIPC_HIDDEN int lipc_tofd(lua_State *L, int idx);

/* The channel in an open ipc.Channel at @idx, or NULL when the value is not
 * a channel (defined in lipc_chan.c). The poller registers channels through
 * ipc_loop_add_chan so rings, System V queues and framed read-ahead work. */
LIPC_HIDDEN ipc_chan *lipc_tochan(lua_State *L, int idx);

/* Push a new ipc.Channel that owns @c (defined in lipc_chan.c): spawn hands
 * the parent's ends of "pipe" wirings out this way. */
LIPC_HIDDEN void lipc_pushchan(lua_State *L, ipc_chan *c);

#endif /* LIPC_H */
