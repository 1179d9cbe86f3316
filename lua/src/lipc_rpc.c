/* SPDX-License-Identifier: MIT */
/*
 * lipc_rpc.c - ipc.rpc: serving Lua functions on a channel URL and calling
 * functions served anywhere (<ipc/rpc.h>, docs/rpc.md).
 *
 *	ipc.rpc.serve("unix:/tmp/calc.sock", {add = function(a, b)
 *		return a + b end})                  -- until SIGINT/SIGTERM
 *	local calc = assert(ipc.rpc.connect("unix:/tmp/calc.sock", 5))
 *	calc.add(2, 3)                              --> 5
 *	ipc.rpc.close(calc)
 *
 * The core owns the wire format, the envelope, ids, routing and limits;
 * this file walks Lua values through the codec and back:
 *   nil, booleans, integers, floats; a string is a MessagePack str when it
 *   is valid UTF-8, else bin, and both decode to Lua strings; a table whose
 *   keys are exactly 1..n is a list (an empty table is an empty list),
 *   any other table a map (keys any encodable value). ipc.rpc.null (a
 *   light userdata) encodes as nil, and stands for nil where a Lua table
 *   cannot hold one: in decoded lists, map values and keys. A uint above
 *   math.maxinteger decodes to a float. Deeper nesting than
 *   IPC_RPC_MAX_DEPTH, a table that contains itself, functions, userdata
 *   and threads raise. Metatables are ignored (raw access).
 *
 * Module table ipc.rpc:
 *   encode(v) -> string, decode(s) -> v   (both raise on bad input: nil
 *       is a valid value, so a fail return would be ambiguous)
 *   null
 *   server(url, {max_message_size, mode}) -> ipc.rpc.Server, or fail
 *   serve(url, funcs, {max_message_size, mode, ready}) -> true, or fail
 *       server + :serve + :close; ready(server) runs once it listens
 *   connect(url, timeout, {max_message_size, mode}) -> proxy, or fail
 *   close(proxy) -> true
 * ipc.rpc.Server: s:serve(funcs) -> true (or fail when the transport
 * fails), s:close(), s:url().
 *
 * Serving: calls are taken one at a time, each in a protected call: a Lua
 * error becomes the remote error message (tostring of the error value),
 * an unknown name "no such function: name", and the loop goes on. It
 * ends when a handler calls s:close() (after that call is answered), or
 * on SIGINT or SIGTERM: while it runs, both are blocked and read from a
 * signal set (ipc_sigset), polled between 50 ms waits, so a signal ends
 * the loop after the current call and serve returns true (the process
 * exits normally, 0). The mask is restored on the way out, errors
 * included. This keeps Ctrl+C working under the stock interpreter too,
 * whose own SIGINT handler would otherwise raise "interrupted!" in a
 * handler and be sent to the caller as its error.
 *
 * A proxy is a table whose fields are callers made on first use: calls
 * raise "rpc: name: message" on any failure (a remote error, a timeout,
 * the server gone), since nil is a valid result. The proxy's metatable
 * holds the client; ipc.rpc.close(proxy) closes it (a method would be a
 * remote name), and so does <close> or the collector.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include <ipc/rpc.h>

#include "lipc.h"

#define SERVER_T "ipc.rpc.Server"
#define CLIENT_T "ipc.rpc.Client"
#define PROXY_T  "ipc.rpc.Proxy"
#define ENC_T    "ipc.rpc.Encoder"

/* ipc.rpc.null is the address of this variable. */
static const char null_sentinel = 0;
/* The key of the client in a proxy's metatable. */
static const char client_key = 0;

#define NULL_P ((void *)(uintptr_t)&null_sentinel)

/* ---- encoder boxes ------------------------------------------------------ */

/* An encoder whose buffer the collector frees when a raise skips the
 * explicit free. */
struct enc_box {
	struct ipc_rpc_enc e;
	bool live;
};

static int enc_gc(lua_State *L)
{
	struct enc_box *b = luaL_checkudata(L, 1, ENC_T);

	if (b->live) {
		b->live = false;
		ipc_rpc_enc_free(&b->e);
	}
	return 0;
}

/* Push a new encoder box. */
static struct ipc_rpc_enc *push_encoder(lua_State *L, size_t limit)
{
	struct enc_box *b = lua_newuserdatauv(L, sizeof(*b), 0);

	b->live = false;
	luaL_setmetatable(L, ENC_T);
	ipc_rpc_enc_init(&b->e, limit);
	b->live = true;
	return &b->e;
}

/* Raise "<prefix><strerror> (<detail>)". */
static int raise_status(lua_State *L, const char *prefix, ipc_status st)
{
	const char *detail = ipc_detail();

	if (detail != NULL && detail[0] != '\0')
		return luaL_error(L, "%s%s (%s)", prefix, ipc_strerror(st),
		                  detail);
	return luaL_error(L, "%s%s", prefix, ipc_strerror(st));
}

/* ---- Lua -> codec ------------------------------------------------------- */

/* Whether the table at @idx is a list: its keys are exactly 1..n. Sets
 * *@count to its number of entries. */
static bool is_list(lua_State *L, int idx, lua_Integer *count)
{
	lua_Integer n = 0;
	bool list = true;

	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		lua_pop(L, 1);
		n++;
		if (list && !lua_isinteger(L, -1))
			list = false;
		else if (list && lua_tointeger(L, -1) < 1)
			list = false;
	}
	/* n distinct integer keys all >= 1: they are 1..n exactly when none
	 * exceeds n, i.e. when t[n] is present. */
	if (list && n > 0)
		list = lua_rawgeti(L, idx, n) != LUA_TNIL;
	if (list && n > 0)
		lua_pop(L, 1);
	*count = n;
	return list;
}

/* One walk: the encoder, the stack index of the table of tables being
 * walked (cycle detection), the prefix of error messages. */
struct walk {
	struct ipc_rpc_enc *e;
	int seen;
	const char *what;
};

static void put_value(lua_State *L, const struct walk *w, int idx, int depth);

static void put_table(lua_State *L, const struct walk *w, int idx, int depth)
{
	struct ipc_rpc_enc *e = w->e;
	lua_Integer n, i;

	if (depth >= IPC_RPC_MAX_DEPTH)
		luaL_error(L, "%snesting deeper than %d", w->what,
		           IPC_RPC_MAX_DEPTH);
	luaL_checkstack(L, 8, "rpc: nesting too deep");
	lua_pushvalue(L, idx);
	if (lua_rawget(L, w->seen) != LUA_TNIL)
		luaL_error(L, "%sa table contains itself", w->what);
	lua_pop(L, 1);
	lua_pushvalue(L, idx);
	lua_pushboolean(L, 1);
	lua_rawset(L, w->seen);
	if (is_list(L, idx, &n)) {
		if ((uint64_t)n > UINT32_MAX)
			luaL_error(L, "%slist too long", w->what);
		ipc_rpc_put_list(e, (uint32_t)n);
		for (i = 1; i <= n; i++) {
			lua_rawgeti(L, idx, i);
			put_value(L, w, lua_gettop(L), depth + 1);
			lua_pop(L, 1);
		}
	} else {
		if ((uint64_t)n > UINT32_MAX)
			luaL_error(L, "%smap too large", w->what);
		ipc_rpc_put_map(e, (uint32_t)n);
		lua_pushnil(L);
		while (lua_next(L, idx) != 0) {
			put_value(L, w, lua_gettop(L) - 1, depth + 1);
			put_value(L, w, lua_gettop(L), depth + 1);
			lua_pop(L, 1);
		}
	}
	lua_pushvalue(L, idx);
	lua_pushnil(L);
	lua_rawset(L, w->seen);
}

/* Append the value at @idx, which @depth containers enclose. */
static void put_value(lua_State *L, const struct walk *w, int idx, int depth)
{
	struct ipc_rpc_enc *e = w->e;
	size_t len;
	const char *s;

	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		ipc_rpc_put_nil(e);
		break;
	case LUA_TBOOLEAN:
		ipc_rpc_put_bool(e, lua_toboolean(L, idx));
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			ipc_rpc_put_int(e, (int64_t)lua_tointeger(L, idx));
		else
			ipc_rpc_put_float(e, (double)lua_tonumber(L, idx));
		break;
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		if (ipc_rpc_utf8_valid(s, len))
			ipc_rpc_put_str(e, s, len);
		else
			ipc_rpc_put_bytes(e, s, len);
		break;
	case LUA_TTABLE:
		put_table(L, w, idx, depth);
		break;
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, idx) == NULL_P) {
			ipc_rpc_put_nil(e);
			break;
		}
		/* fall through */
	default:
		luaL_error(L, "%scannot encode a %s value", w->what,
		           luaL_typename(L, idx));
	}
}

/* Encode the values at @first .. @last into @e, as a list when @list
 * (a call's arguments), else the one value at @first. Raises
 * "<what>message" on an unsupported value; the encoder's own failure
 * (the size limit) is returned. */
static ipc_status encode_values(lua_State *L, struct ipc_rpc_enc *e, int first,
                                int last, bool list, const char *what)
{
	struct walk w = {e, 0, what};
	int i;

	lua_newtable(L);
	w.seen = lua_gettop(L);
	if (list) {
		ipc_rpc_put_list(e, (uint32_t)(last - first + 1));
		for (i = first; i <= last; i++)
			put_value(L, &w, i, 1);
	} else {
		put_value(L, &w, first, 0);
	}
	lua_pop(L, 1);
	return ipc_rpc_enc_status(e);
}

/* ---- codec -> Lua ------------------------------------------------------- */

/* Push the next value of @d. @top: a nil is nil; inside a list or a map
 * it is ipc.rpc.null. Raises "<what>: ..." on malformed input. */
static void push_value(lua_State *L, struct ipc_rpc_dec *d, bool top,
                       const char *what)
{
	struct ipc_rpc_item it;
	ipc_status st = ipc_rpc_dec_next(d, &it);
	uint32_t i;

	if (st == -ENODATA)
		st = -EPROTO; /* an item was announced */
	if (st < 0)
		raise_status(L, lua_pushfstring(L, "%s: ", what), st);
	luaL_checkstack(L, 4, "rpc: nesting too deep");
	switch (it.kind) {
	case IPC_RPC_NIL:
		if (top)
			lua_pushnil(L);
		else
			lua_pushlightuserdata(L, NULL_P);
		break;
	case IPC_RPC_BOOL:
		lua_pushboolean(L, it.v.b);
		break;
	case IPC_RPC_INT:
		lua_pushinteger(L, (lua_Integer)it.v.i);
		break;
	case IPC_RPC_UINT:
		lua_pushnumber(L, (lua_Number)it.v.u);
		break;
	case IPC_RPC_FLOAT:
		lua_pushnumber(L, (lua_Number)it.v.f);
		break;
	case IPC_RPC_STR:
	case IPC_RPC_BYTES:
		lua_pushlstring(L, it.v.s.p, it.v.s.len);
		break;
	case IPC_RPC_LIST:
		lua_createtable(L, (int)(it.v.count > 1024 ? 1024 : it.v.count),
		                0);
		for (i = 1; i <= it.v.count; i++) {
			push_value(L, d, false, what);
			lua_rawseti(L, -2, (lua_Integer)i);
		}
		break;
	case IPC_RPC_MAP:
		lua_createtable(L, 0,
		                (int)(it.v.count > 1024 ? 1024 : it.v.count));
		for (i = 0; i < it.v.count; i++) {
			push_value(L, d, false, what);
			if (lua_type(L, -1) == LUA_TNUMBER &&
			    isnan(lua_tonumber(L, -1)))
				luaL_error(L, "%s: a map key is NaN", what);
			push_value(L, d, false, what);
			lua_rawset(L, -3);
		}
		break;
	default:
		luaL_error(L, "%s: unknown item kind %d", what, (int)it.kind);
	}
}

/* Check that @d is used up. */
static void finish(lua_State *L, struct ipc_rpc_dec *d, const char *what)
{
	ipc_status st = ipc_rpc_dec_finish(d);

	if (st < 0)
		raise_status(L, lua_pushfstring(L, "%s: ", what), st);
}

/* ---- ipc.rpc.encode / decode -------------------------------------------- */

/* ipc.rpc.encode(v) -> string */
static int l_encode(lua_State *L)
{
	struct ipc_rpc_enc *e;
	ipc_status st;

	lua_settop(L, 1);
	ipc_detail_clear();
	e = push_encoder(L, 0);
	st = encode_values(L, e, 1, 1, false, "rpc: encode: ");
	if (st < 0)
		return raise_status(L, "rpc: encode: ", st);
	lua_pushlstring(L, (const char *)e->data, e->len);
	return 1;
}

/* ipc.rpc.decode(s) -> v */
static int l_decode(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	struct ipc_rpc_dec d;

	ipc_detail_clear();
	ipc_rpc_dec_init(&d, s, len);
	push_value(L, &d, true, "rpc: decode");
	finish(L, &d, "rpc: decode");
	return 1;
}

/* ---- options -------------------------------------------------------------
 */

static const char *const conn_words[] = {"max_message_size", "mode", NULL};
static const char *const serve_words[] = {"max_message_size", "mode", "ready",
                                          NULL};

static void read_opts(lua_State *L, int idx, struct ipc_rpc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_message_size =
	        (size_t)lipc_optsize(L, idx, "max_message_size", 0);
	if (!lua_isnoneornil(L, idx)) {
		bool has = lua_getfield(L, idx, "mode") != LUA_TNIL;

		lua_pop(L, 1);
		if (has)
			o->mode = lipc_optmode(L, idx);
	}
}

/* ---- server ------------------------------------------------------------- */

struct server_box {
	ipc_rpc_server *h; /* first, as in every lipc_box */
	struct ipc_rpc_enc enc;
	bool enc_live;
	bool serving;
	bool stop; /* closed by a handler: end the loop, then close */
};

static struct server_box *check_server(lua_State *L, int idx)
{
	struct server_box *b = luaL_checkudata(L, idx, SERVER_T);

	if (b->h == NULL || (b->serving && b->stop))
		luaL_error(L, "attempt to use a closed %s", SERVER_T);
	ipc_detail_clear();
	return b;
}

static void server_release(struct server_box *b)
{
	if (b->h != NULL) {
		ipc_rpc_server_close(b->h);
		b->h = NULL;
	}
	if (b->enc_live) {
		b->enc_live = false;
		ipc_rpc_enc_free(&b->enc);
	}
}

static int server_gc(lua_State *L)
{
	struct server_box *b = luaL_checkudata(L, 1, SERVER_T);

	if (!b->serving)
		server_release(b);
	return 0;
}

/* s:close(): from a handler, the loop ends once this call is answered. */
static int server_close(lua_State *L)
{
	struct server_box *b = check_server(L, 1);

	if (b->serving)
		b->stop = true;
	else
		server_release(b);
	lua_pushboolean(L, 1);
	return 1;
}

static int server_url(lua_State *L)
{
	lua_pushstring(L, ipc_rpc_server_url(check_server(L, 1)->h));
	return 1;
}

static int server_tostring(lua_State *L)
{
	struct server_box *b = luaL_checkudata(L, 1, SERVER_T);

	return lipc_pushtostring(L, SERVER_T, b->h == NULL,
	                         b->h != NULL ? ipc_rpc_server_url(b->h)
	                                      : NULL);
}

/* Push a new server on @url (opts at @opts), or the fail triple. */
static int open_server(lua_State *L, const char *url, int opts)
{
	struct server_box *b;
	struct ipc_rpc_opts o;
	ipc_rpc_server *s = NULL;
	ipc_status st;

	read_opts(L, opts, &o);
	b = lua_newuserdatauv(L, sizeof(*b), 0);
	memset(b, 0, sizeof(*b));
	luaL_setmetatable(L, SERVER_T);
	ipc_detail_clear();
	st = ipc_rpc_server_open(&s, url, &o);
	if (st < 0)
		return lipc_fail(L, st, "rpc.server");
	b->h = s;
	ipc_rpc_enc_init(&b->enc, o.max_message_size);
	b->enc_live = true;
	return 1;
}

/* ipc.rpc.server(url, opts) */
static int l_server(lua_State *L)
{
	const char *url = luaL_checkstring(L, 1);

	lipc_checkopts(L, 2, conn_words);
	return open_server(L, url, 2);
}

/*
 * One call, in protected mode: [1] the server box, [2] the request (both
 * light userdata), [3] the functions. Finds the handler, decodes the
 * arguments, calls it and encodes its first result into the server's
 * encoder. Returns the encoder's status as an integer; a raise is the
 * call's error message.
 */
static int dispatch(lua_State *L)
{
	struct server_box *b = lua_touserdata(L, 1);
	const struct ipc_rpc_request *req = lua_touserdata(L, 2);
	struct ipc_rpc_dec d;
	struct ipc_rpc_item it;
	ipc_status st;
	uint32_t i;

	lua_settop(L, 3);
	lua_pushlstring(L, req->method, req->method_len);
	if (lua_gettable(L, 3) == LUA_TNIL) /* 4: the handler */
		return luaL_error(L, "no such function: %s", req->method);
	ipc_rpc_dec_init(&d, req->args, req->args_len);
	st = ipc_rpc_dec_next(&d, &it);
	if (st == 0 && it.kind != IPC_RPC_LIST)
		luaL_error(L, "arguments: not a list");
	if (st < 0)
		raise_status(L, "arguments: ", st);
	luaL_checkstack(L,
	                (int)(it.v.count > 1000000 ? 1000000 : it.v.count) + 4,
	                "too many arguments");
	for (i = 0; i < it.v.count; i++)
		push_value(L, &d, true, "arguments");
	finish(L, &d, "arguments");
	lua_call(L, (int)it.v.count, 1); /* 4: the result */
	ipc_rpc_enc_reset(&b->enc);
	lua_pushinteger(L, encode_values(L, &b->enc, 4, 4, false, "result: "));
	return 1;
}

/* Answer @req; the functions table is at @funcs. */
static void handle(lua_State *L, struct server_box *b,
                   const struct ipc_rpc_request *req, int funcs)
{
	const char *detail;
	int top = lua_gettop(L);
	ipc_status st;

	lua_pushcfunction(L, dispatch);
	lua_pushlightuserdata(L, b);
	lua_pushlightuserdata(L, (void *)(uintptr_t)req);
	lua_pushvalue(L, funcs);
	ipc_detail_clear();
	if (lua_pcall(L, 3, 1, 0) != LUA_OK) {
		(void)ipc_rpc_server_reply_error(b->h, req,
		                                 luaL_tolstring(L, -1, NULL));
		lua_settop(L, top);
		return;
	}
	st = (ipc_status)lua_tointeger(L, -1);
	if (st == 0)
		st = ipc_rpc_server_reply(b->h, req, b->enc.data, b->enc.len);
	if (st < 0) {
		detail = ipc_detail();
		if (detail != NULL && detail[0] != '\0')
			lua_pushfstring(L, "result: %s (%s)", ipc_strerror(st),
			                detail);
		else
			lua_pushfstring(L, "result: %s", ipc_strerror(st));
		(void)ipc_rpc_server_reply_error(b->h, req,
		                                 lua_tostring(L, -1));
	}
	lua_settop(L, top);
}

/* Whether SIGINT or SIGTERM came (reading every pending one). */
static bool signalled(ipc_sigset *set)
{
	struct ipc_sig_info info;
	bool got = false;

	while (ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW) == 0)
		got = true;
	return got;
}

/* The loop, in protected mode: [1] the server, [2] the funcs table,
 * [3] the signal set (light userdata). Returns true, or the fail triple
 * of a transport failure. */
static int serve_loop(lua_State *L)
{
	struct server_box *b = lua_touserdata(L, 1);
	ipc_sigset *set = lua_touserdata(L, 3);
	struct ipc_rpc_request req;
	ipc_deadline slice;
	ipc_status st;

	for (;;) {
		if (b->stop || signalled(set))
			break;
		slice = lipc_slice(IPC_DEADLINE_NEVER);
		ipc_detail_clear();
		st = ipc_rpc_server_recv(b->h, &req, slice);
		if (st == -ETIMEDOUT || lipc_interrupted(L, st))
			continue;
		if (st < 0)
			return lipc_fail(L, st, "rpc.serve");
		handle(L, b, &req, 2);
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* s:serve(funcs) */
static int server_serve(lua_State *L)
{
	struct server_box *b = check_server(L, 1);
	static const int sigs[] = {SIGINT, SIGTERM};
	ipc_sigset *set = NULL;
	ipc_status st;
	int n, ok;

	luaL_checktype(L, 2, LUA_TTABLE);
	if (b->serving)
		return luaL_error(L, "%s: already serving", SERVER_T);
	lua_settop(L, 2);
	st = ipc_sigset_open(&set, sigs, 2, 0);
	if (st < 0)
		return lipc_fail(L, st, "rpc.serve");
	b->serving = true;
	b->stop = false;
	/* The box goes as light userdata: it stays alive on our stack. */
	lua_pushcfunction(L, serve_loop);
	lua_pushlightuserdata(L, b);
	lua_pushvalue(L, 2);
	lua_pushlightuserdata(L, set);
	ok = lua_pcall(L, 3, LUA_MULTRET, 0);
	/* Signals that came during the last call end nothing more: read
	 * them, or closing the set would deliver them (a TERM kills). */
	(void)signalled(set);
	(void)ipc_sigset_close(set);
	b->serving = false;
	if (b->stop) {
		b->stop = false;
		server_release(b);
	}
	if (ok != LUA_OK)
		return lua_error(L);
	n = lua_gettop(L) - 2;
	return n;
}

/* ipc.rpc.serve's protected part: [1] the server, [2] the functions,
 * [3] ready or nil. */
static int serve_body(lua_State *L)
{
	if (!lua_isnil(L, 3)) {
		lua_pushvalue(L, 3);
		lua_pushvalue(L, 1);
		lua_call(L, 1, 0);
	}
	lua_settop(L, 2);
	return server_serve(L);
}

/* ipc.rpc.serve(url, funcs, opts) */
static int l_serve(lua_State *L)
{
	const char *url = luaL_checkstring(L, 1);
	int st;

	luaL_checktype(L, 2, LUA_TTABLE);
	lipc_checkopts(L, 3, serve_words);
	lua_settop(L, 3);
	if (!lua_isnil(L, 3)) {
		int t = lua_getfield(L, 3, "ready");

		if (t != LUA_TNIL && t != LUA_TFUNCTION)
			luaL_error(L,
			           "bad option 'ready' (function expected, "
			           "got %s)",
			           luaL_typename(L, -1));
		lua_pop(L, 1);
	}
	if (open_server(L, url, 3) != 1)
		return 3;
	/* 4: the server, closed on every way out, errors included. */
	lua_pushcfunction(L, serve_body);
	lua_pushvalue(L, 4);
	lua_pushvalue(L, 2);
	if (lua_isnil(L, 3))
		lua_pushnil(L);
	else
		lua_getfield(L, 3, "ready");
	st = lua_pcall(L, 3, LUA_MULTRET, 0);
	server_release(luaL_checkudata(L, 4, SERVER_T));
	if (st != LUA_OK)
		return lua_error(L);
	return lua_gettop(L) - 4;
}

/* ---- client and proxy --------------------------------------------------- */

struct client_box {
	ipc_rpc_client *h; /* first, as in every lipc_box */
	struct ipc_rpc_enc enc;
	bool enc_live;
	bool never;     /* no timeout */
	double timeout; /* seconds, per call */
};

static void client_release(struct client_box *b)
{
	if (b->h != NULL) {
		ipc_rpc_client_close(b->h);
		b->h = NULL;
	}
	if (b->enc_live) {
		b->enc_live = false;
		ipc_rpc_enc_free(&b->enc);
	}
}

static int client_gc(lua_State *L)
{
	client_release(luaL_checkudata(L, 1, CLIENT_T));
	return 0;
}

/* A caller: upvalue 1 the client box, 2 the name, 3 "rpc: name: " and 4
 * "rpc: name: result", the contexts of its error messages (made once, in
 * proxy_index, not on every call). */
static int proxy_call(lua_State *L)
{
	struct client_box *b = lua_touserdata(L, lua_upvalueindex(1));
	const char *name = lua_tostring(L, lua_upvalueindex(2));
	const char *prefix = lua_tostring(L, lua_upvalueindex(3));
	int nargs = lua_gettop(L);
	struct ipc_rpc_reply rep;
	struct ipc_rpc_dec d;
	ipc_deadline dl;
	ipc_status st;

	if (b->h == NULL)
		return luaL_error(L, "%sthe proxy is closed", prefix);
	ipc_detail_clear();
	ipc_rpc_enc_reset(&b->enc);
	st = encode_values(L, &b->enc, 1, nargs, true, prefix);
	if (st < 0)
		return raise_status(L, prefix, st);
	dl = b->never ? IPC_DEADLINE_NEVER
	              : ipc_deadline_from_seconds(b->timeout);
	do {
		/* The interrupt hook runs Lua code, which may close. */
		if (b->h == NULL)
			return luaL_error(L, "%sthe proxy is closed", prefix);
		st = ipc_rpc_send_call(b->h, name, b->enc.data, b->enc.len, dl);
	} while (lipc_interrupted(L, st));
	/* Sent: wait in slices (a ring or System V reply queue is a loop of
	 * timed sleeps), never sending again, so the function runs once. */
	if (st == 0) {
		ipc_deadline s;

		do {
			if (b->h == NULL)
				return luaL_error(L, "%sthe proxy is closed",
				                  prefix);
			s = lipc_slice(dl);
			st = ipc_rpc_wait_reply(b->h, &rep, s);
		} while (lipc_interrupted(L, st) ||
		         lipc_slice_expired(L, st, s, dl));
	}
	if (st == -EREMOTEIO)
		return luaL_error(L, "%s%s", prefix, (const char *)rep.data);
	if (st < 0)
		return raise_status(L, prefix, st);
	ipc_rpc_dec_init(&d, rep.data, rep.len);
	push_value(L, &d, true, lua_tostring(L, lua_upvalueindex(4)));
	finish(L, &d, lua_tostring(L, lua_upvalueindex(4)));
	return 1;
}

/* The proxy's __index: make the caller for @name and keep it. */
static int proxy_index(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	if (lua_type(L, 2) != LUA_TSTRING)
		return luaL_error(L, "rpc: function names are strings, got %s",
		                  luaL_typename(L, 2));
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 2);
	lua_pushfstring(L, "rpc: %s: ", lua_tostring(L, 2));
	lua_pushfstring(L, "rpc: %s: result", lua_tostring(L, 2));
	lua_pushcclosure(L, proxy_call, 4);
	lua_pushvalue(L, 2);
	lua_pushvalue(L, -2);
	lua_rawset(L, 1);
	return 1;
}

/* The client box of the proxy at @idx; raises when it is not one. */
static struct client_box *check_proxy(lua_State *L, int idx)
{
	struct client_box *b = NULL;

	if (lua_type(L, idx) == LUA_TTABLE && lua_getmetatable(L, idx)) {
		lua_rawgetp(L, -1, &client_key);
		b = luaL_testudata(L, -1, CLIENT_T);
		lua_pop(L, 2);
	}
	if (b == NULL)
		luaL_typeerror(L, idx, PROXY_T);
	return b;
}

/* ipc.rpc.close(proxy) -> true; a second close raises */
static int l_close(lua_State *L)
{
	struct client_box *b = check_proxy(L, 1);

	if (b->h == NULL)
		return luaL_error(L, "attempt to use a closed %s", PROXY_T);
	client_release(b);
	lua_pushboolean(L, 1);
	return 1;
}

/* __close and __gc of a proxy: idempotent, never raises. */
static int proxy_gc(lua_State *L)
{
	struct client_box *b = check_proxy(L, 1);

	client_release(b);
	return 0;
}

static int proxy_tostring(lua_State *L)
{
	struct client_box *b = check_proxy(L, 1);

	lua_getmetatable(L, 1);
	lua_getfield(L, -1, "url");
	return lipc_pushtostring(L, PROXY_T, b->h == NULL, lua_tostring(L, -1));
}

/* ipc.rpc.connect(url, timeout, opts) -> proxy */
static int l_connect(lua_State *L)
{
	const char *url = luaL_checkstring(L, 1);
	ipc_deadline d = lipc_checkdeadline(L, 2);
	struct client_box *b;
	struct ipc_rpc_opts o;
	ipc_rpc_client *c = NULL;
	ipc_status st;

	lipc_checkopts(L, 3, conn_words);
	read_opts(L, 3, &o);
	lua_settop(L, 3);
	b = lua_newuserdatauv(L, sizeof(*b), 0); /* 4 */
	memset(b, 0, sizeof(*b));
	luaL_setmetatable(L, CLIENT_T);
	if (lua_isnoneornil(L, 2)) {
		b->never = true;
	} else {
		lua_Number t = lua_tonumber(L, 2);

		b->never = isinf(t);
		b->timeout = (double)t;
	}
	ipc_detail_clear();
	do
		st = ipc_rpc_client_open(&c, url, &o, d);
	while (lipc_interrupted(L, st));
	if (st < 0)
		return lipc_fail(L, st, "rpc.connect");
	b->h = c;
	ipc_rpc_enc_init(&b->enc, o.max_message_size);
	b->enc_live = true;

	lua_newtable(L);          /* 5: the proxy */
	lua_createtable(L, 0, 6); /* its metatable */
	lua_pushvalue(L, 4);
	lua_rawsetp(L, -2, &client_key);
	lua_pushvalue(L, 4);
	lua_pushcclosure(L, proxy_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, proxy_gc);
	lua_setfield(L, -2, "__close");
	lua_pushcfunction(L, proxy_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pushstring(L, PROXY_T);
	lua_setfield(L, -2, "__name");
	lua_pushvalue(L, 1);
	lua_setfield(L, -2, "url");
	lua_setmetatable(L, 5);
	return 1;
}

/* ---- registration ------------------------------------------------------- */

static const luaL_Reg enc_meta[] = {{"__gc", enc_gc}, {NULL, NULL}};

static const luaL_Reg server_meta[] = {{"__gc", server_gc},
                                       {"__close", server_gc},
                                       {"__tostring", server_tostring},
                                       {NULL, NULL}};

static const luaL_Reg server_methods[] = {{"serve", server_serve},
                                          {"close", server_close},
                                          {"url", server_url},
                                          {NULL, NULL}};

static const luaL_Reg client_meta[] = {{"__gc", client_gc}, {NULL, NULL}};

static const luaL_Reg rpc_funcs[] = {
        {"encode", l_encode}, {"decode", l_decode},   {"server", l_server},
        {"serve", l_serve},   {"connect", l_connect}, {"close", l_close},
        {NULL, NULL}};

void lipc_open_rpc(lua_State *L)
{
	luaL_newmetatable(L, ENC_T);
	luaL_setfuncs(L, enc_meta, 0);
	lua_pop(L, 1);
	luaL_newmetatable(L, CLIENT_T);
	luaL_setfuncs(L, client_meta, 0);
	lua_pop(L, 1);
	lipc_newclass(L, SERVER_T, server_meta, server_methods);
	luaL_newlib(L, rpc_funcs);
	lua_pushlightuserdata(L, NULL_P);
	lua_setfield(L, -2, "null");
	lua_setfield(L, -2, "rpc");
}
