/* SPDX-License-Identifier: MIT */
/*
 * lipc_chan.c - channels in Lua: one type, ipc.Channel, over every channel
 * kind of the core (pipe ends, fd:, fifo:, mq:, sysvmq:, ring:, unix:,
 * unixgram:, unixpacket:, tcp:, udp:), and ipc.Listener for stream
 * sockets. The core parses URLs, frames, waits and retries; this file only
 * turns Lua values into core calls and statuses into Lua results.
 *
 * Module functions (timeouts in seconds, nil = forever, 0 = try once):
 *   ipc.pipe() -> r, w                an anonymous pipe, two framed ends.
 *       One local statement takes one <close> variable, so close both
 *       ends on scope exit with two lines:
 *           local r <close>, w = ipc.pipe()
 *           local _w <close> = w
 *   ipc.fifo(path, "r"|"w", {create, exclusive, mode, timeout, capacity,
 *            max_message_size})  -> the channel "fifo:<path>".
 *   ipc.open(url, ["r"|"w"|"rw"], {create, exclusive, mode, capacity,
 *            max_messages, max_message_size, timeout})
 *       nil direction = what the kind allows (fd:N's access mode, both
 *       ways for the others; a FIFO needs "r" or "w").
 *   ipc.listen(url, {exclusive, mode, max_message_size})
 *       -> ipc.Listener for unix, unixpacket, tcp; a bound receiving
 *          ipc.Channel for unixgram and udp.
 *   ipc.connect(url, timeout, {max_message_size})
 *   ipc.endpoint(name, timeout, ["r"|"w"|"rw"])
 *   ipc.ring(name, {capacity, create, exclusive, mode, max_message_size})
 *       -> the channel "ring:<name>", both directions.
 *
 * ipc.Channel methods:
 *   ch:send(data, timeout, {priority=, type=}) -> true
 *       (priority: mq; type: sysvmq; other kinds refuse non-zero values)
 *   ch:recv(timeout, {type=}) -> data       (type selects, sysvmq only)
 *   ch:recv_meta(timeout, {type=}) -> data, priority, type
 *   ch:messages(timeout) -> iterator of messages; it ends at the end of
 *       the stream (EPIPE, ECONNRESET) and raises on any other failure
 *   ch:write(s, timeout) -> n; on failure fail, msg, errno, bytes written
 *   ch:read(n, timeout) -> up to n raw bytes; "" at end of stream
 *   ch:send_fds(data, {fd | pollable object, ...}, timeout) -> true
 *   ch:recv_fds(timeout) -> data, {fd, ...}: the caller owns the
 *       descriptors; ipc.open("fd:" .. fd):close() closes one
 *   ch:peer_credentials() -> pid, uid, gid
 *   ch:fd() -> descriptor to poll, or nil (ring, sysvmq)
 *   ch:readable(), ch:url(), ch:kind() ("fd", "ring", ...),
 *   ch:max_message(), ch:close(); ch:unlink() removes the named object
 *   behind the channel's URL (fifo, mq, sysvmq, ring, a socket file), also
 *   after close; rings also have ch:stats() -> table and ch:name().
 * ipc.Listener: l:accept(timeout), l:fd(), l:url() (the real port after
 * port 0), l:kind(), l:unlink() (the socket file), l:close().
 * A received message is borrowed from the core (ipc_chan_recv_borrow) and
 * copied once into the Lua string. For a ring that means the record's
 * room goes back to the producers at the next receive or at close.
 *
 * Every failure the core reports (-EINVAL for a malformed URL included,
 * with ipc_detail() in the message) returns fail, "op: message", errno;
 * bad Lua arguments and closed handles raise.
 */
#include <errno.h>
#include <string.h>

#include "lipc.h"

#define CHAN_T     "ipc.Channel"
#define LISTENER_T "ipc.Listener"

static ipc_chan *check_chan(lua_State *L, int idx)
{
	return lipc_checkopen(L, idx, CHAN_T);
}

static ipc_chan *check_listener(lua_State *L, int idx)
{
	return lipc_checkopen(L, idx, LISTENER_T);
}

/* Store @c in the box at the top of the stack, with its URL as the box's
 * user value: unlink() needs the name after close too. */
static void adopt(lua_State *L, lipc_box *b, ipc_chan *c)
{
	b->h = c;
	lua_pushstring(L, ipc_chan_url(c));
	lua_setiuservalue(L, -2, 1);
}

void lipc_pushchan(lua_State *L, ipc_chan *c)
{
	adopt(L, lipc_newbox(L, CHAN_T, 1), c);
}

ipc_chan *lipc_tochan(lua_State *L, int idx)
{
	lipc_box *b = luaL_testudata(L, idx, CHAN_T);

	return b != NULL ? b->h : NULL;
}

/* --- arguments ------------------------------------------------------------ */

/* An optional direction: nil gives 0 (what the kind allows). */
static unsigned int opt_direction(lua_State *L, int idx)
{
	if (lua_isnoneornil(L, idx))
		return 0;
	return lipc_checkrw(L, idx, NULL);
}

static bool has_opt(lua_State *L, int idx, const char *key)
{
	bool has;

	if (lua_isnoneornil(L, idx))
		return false;
	has = lua_getfield(L, idx, key) != LUA_TNIL;
	lua_pop(L, 1);
	return has;
}

/* The overrides of the options table at @idx. Absent words stay 0, which
 * leaves the URL's option (or the default) alone; an option the kind does
 * not take is the core's -EINVAL. */
static void read_chan_opts(lua_State *L, int idx, struct ipc_chan_opts *o)
{
	lua_Integer n;

	memset(o, 0, sizeof(*o));
	o->max_message_size =
	        (size_t)lipc_optsize(L, idx, "max_message_size", 0);
	o->capacity = (size_t)lipc_optsize(L, idx, "capacity", 0);
	n = lipc_optint(L, idx, "max_messages", 0);
	if (n < 0 || (n == 0 && has_opt(L, idx, "max_messages")))
		luaL_error(L, "bad option 'max_messages' (must be >= 1)");
	o->max_messages = (size_t)n;
	/* mode 0 means "not given" to the core; lipc_optmode's default
	 * would override a URL's ?mode=. */
	if (has_opt(L, idx, "mode")) {
		o->mode = lipc_optmode(L, idx);
		if (o->mode == 0)
			luaL_error(L,
			           "bad option 'mode' (0 is refused: leave it "
			           "out for the default 0600)");
	}
}

/* A name or path that becomes "<scheme>:<s>": a '?' would start the URL's
 * options, so such a string cannot be written as a URL. */
static const char *check_addr(lua_State *L, int idx)
{
	const char *s = luaL_checkstring(L, idx);

	luaL_argcheck(L, strchr(s, '?') == NULL, idx,
	              "'?' cannot appear in a channel address");
	return s;
}

/* --- opening -------------------------------------------------------------- */

static const char *const open_words[] = {
        "create",       "exclusive",        "mode",    "capacity",
        "max_messages", "max_message_size", "timeout", NULL};

/* Open @url into a new ipc.Channel left on the stack: 1 result, or the
 * fail triple. */
static int open_chan(lua_State *L, const char *url, unsigned int flags,
                     const struct ipc_chan_opts *o, ipc_deadline d,
                     const char *op)
{
	lipc_box *b = lipc_newbox(L, CHAN_T, 1);
	ipc_chan *c = NULL;
	ipc_status st;

	do
		st = ipc_chan_open(&c, url, flags, o, d);
	while (lipc_interrupted(L, st));
	if (st < 0)
		return lipc_fail(L, st, op);
	adopt(L, b, c);
	return 1;
}

/* ipc.pipe() -> r, w */
static int l_pipe(lua_State *L)
{
	lipc_box *r = lipc_newbox(L, CHAN_T, 1);
	lipc_box *w = lipc_newbox(L, CHAN_T, 1);
	ipc_chan *rc, *wc;
	ipc_status st = ipc_chan_pipe(&rc, &wc, 0);

	if (st < 0)
		return lipc_fail(L, st, "pipe");
	w->h = wc; /* both owned before anything may raise */
	r->h = rc;
	adopt(L, w, wc);
	lua_pushvalue(L, -2);
	adopt(L, r, rc);
	lua_pop(L, 1);
	return 2;
}

/* ipc.fifo(path, "r"|"w", opts): create defaults to true, as Python's
 * Fifo; {create = false} opens only an existing FIFO. */
static int l_fifo(lua_State *L)
{
	static const char *const words[] = {
	        "create",           "exclusive", "mode", "capacity",
	        "max_message_size", "timeout",   NULL};
	const char *path = check_addr(L, 1);
	const char *dir = luaL_checkstring(L, 2);
	struct ipc_chan_opts o;
	unsigned int flags;
	ipc_deadline d;

	luaL_argcheck(L, strcmp(dir, "r") == 0 || strcmp(dir, "w") == 0, 2,
	              "a FIFO is opened \"r\" or \"w\"");
	lipc_checkopts(L, 3, words);
	flags = lipc_checkrw(L, 2, NULL) | lipc_openflags(L, 3);
	if (lipc_optbool(L, 3, "create", true))
		flags |= IPC_O_CREATE;
	read_chan_opts(L, 3, &o);
	d = lipc_optdeadline(L, 3);
	lua_pushfstring(L, "fifo:%s", path);
	return open_chan(L, lua_tostring(L, -1), flags, &o, d, "fifo");
}

/* ipc.open(url, ["r"|"w"|"rw"], opts) */
static int l_open(lua_State *L)
{
	const char *url = luaL_checkstring(L, 1);
	unsigned int flags = opt_direction(L, 2);
	struct ipc_chan_opts o;
	ipc_deadline d;

	lipc_checkopts(L, 3, open_words);
	flags |= lipc_openflags(L, 3);
	read_chan_opts(L, 3, &o);
	d = lipc_optdeadline(L, 3);
	return open_chan(L, url, flags, &o, d, "open");
}

/* ipc.connect(url, timeout, opts) */
static int l_connect(lua_State *L)
{
	static const char *const words[] = {"max_message_size", NULL};
	const char *url = luaL_checkstring(L, 1);
	ipc_deadline d = lipc_checkdeadline(L, 2);
	struct ipc_chan_opts o;

	lipc_checkopts(L, 3, words);
	read_chan_opts(L, 3, &o);
	return open_chan(L, url, IPC_O_RDWR, &o, d, "connect");
}

/* ipc.ring(name, opts): both directions. */
static int l_ring(lua_State *L)
{
	static const char *const words[] = {"capacity",         "create",
	                                    "exclusive",        "mode",
	                                    "max_message_size", NULL};
	const char *name = check_addr(L, 1);
	struct ipc_chan_opts o;
	unsigned int flags;

	lipc_checkopts(L, 2, words);
	flags = IPC_O_RDWR | lipc_openflags(L, 2);
	read_chan_opts(L, 2, &o);
	lua_pushfstring(L, "ring:%s", name);
	return open_chan(L, lua_tostring(L, -1), flags, &o, IPC_DEADLINE_NOW,
	                 "ring");
}

/* ipc.endpoint(name, timeout, ["r"|"w"|"rw"]) */
static int l_endpoint(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	ipc_deadline d = lipc_checkdeadline(L, 2);
	unsigned int flags = opt_direction(L, 3);
	lipc_box *b = lipc_newbox(L, CHAN_T, 1);
	ipc_chan *c = NULL;
	ipc_status st;

	do
		st = ipc_endpoint_open(&c, name, flags, d);
	while (lipc_interrupted(L, st));
	if (st < 0)
		return lipc_fail(L, st, "endpoint");
	adopt(L, b, c);
	return 1;
}

/* ipc.listen(url, opts): a Listener, or a Channel for datagram kinds,
 * which receive on the bound socket itself. */
static int l_listen(lua_State *L)
{
	static const char *const words[] = {"exclusive", "mode",
	                                    "max_message_size", NULL};
	const char *url = luaL_checkstring(L, 1);
	struct ipc_chan_opts o;
	unsigned int flags = 0;
	lipc_box *b;
	ipc_chan *c = NULL;
	ipc_status st;
	int kind;

	lipc_checkopts(L, 2, words);
	if (lipc_optbool(L, 2, "exclusive", false))
		flags |= IPC_O_EXCL;
	read_chan_opts(L, 2, &o);
	b = lipc_newbox(L, LISTENER_T, 1);
	st = ipc_chan_listen(&c, url, flags, &o);
	if (st < 0)
		return lipc_fail(L, st, "listen");
	adopt(L, b, c);
	kind = ipc_chan_kind(c);
	if (kind == IPC_URL_UNIXGRAM || kind == IPC_URL_UDP)
		luaL_setmetatable(L, CHAN_T);
	return 1;
}

/* --- methods shared by both types ----------------------------------------- */

static int gc_any(lua_State *L, const char *tname)
{
	lipc_box *b = lipc_checkbox(L, 1, tname);

	if (b->h != NULL) {
		(void)ipc_chan_close(b->h);
		b->h = NULL;
	}
	return 0;
}

static int close_any(lua_State *L, const char *tname)
{
	lipc_box *b = lipc_checkbox(L, 1, tname);
	ipc_chan *c = lipc_checkopen(L, 1, tname);

	b->h = NULL;
	return lipc_result(L, ipc_chan_close(c), "close");
}

static int tostring_any(lua_State *L, const char *tname)
{
	lipc_box *b = lipc_checkbox(L, 1, tname);

	return lipc_pushtostring(L, tname, b->h == NULL,
	                         b->h != NULL ? ipc_chan_url(b->h) : NULL);
}

/* The descriptor for lipc_tofd: an integer, -1 when closed or none. */
static int fd_any(lua_State *L, const char *tname)
{
	lipc_box *b = lipc_checkbox(L, 1, tname);

	lua_pushinteger(L, b->h != NULL ? ipc_chan_fd(b->h) : -1);
	return 1;
}

static int pushfd(lua_State *L, ipc_chan *c)
{
	int fd = ipc_chan_fd(c);

	if (fd < 0)
		luaL_pushfail(L);
	else
		lua_pushinteger(L, fd);
	return 1;
}

static int pushkind(lua_State *L, ipc_chan *c)
{
	lua_pushstring(L, ipc_url_kind_name(ipc_chan_kind(c)));
	return 1;
}

/* ch:unlink(): remove the named object behind the URL the channel was
 * opened with (works after close too). */
static int unlink_any(lua_State *L, const char *tname)
{
	lipc_checkbox(L, 1, tname);
	lua_getiuservalue(L, 1, 1);
	return lipc_result(L, ipc_unlink_url(lua_tostring(L, -1)), "unlink");
}

/* --- ipc.Channel ---------------------------------------------------------- */

static int ch_gc(lua_State *L)
{
	return gc_any(L, CHAN_T);
}

static int ch_close(lua_State *L)
{
	return close_any(L, CHAN_T);
}

static int ch_tostring(lua_State *L)
{
	return tostring_any(L, CHAN_T);
}

static int ch_fdmeta(lua_State *L)
{
	return fd_any(L, CHAN_T);
}

static int ch_fd(lua_State *L)
{
	return pushfd(L, check_chan(L, 1));
}

static int ch_kind(lua_State *L)
{
	return pushkind(L, check_chan(L, 1));
}

static int ch_url(lua_State *L)
{
	lua_pushstring(L, ipc_chan_url(check_chan(L, 1)));
	return 1;
}

static int ch_readable(lua_State *L)
{
	lua_pushboolean(L, ipc_chan_readable(check_chan(L, 1)));
	return 1;
}

static int ch_max_message(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)ipc_chan_max_message(check_chan(L, 1)));
	return 1;
}

static int ch_unlink(lua_State *L)
{
	return unlink_any(L, CHAN_T);
}

/* The {priority=, type=} table at @idx; false when there is none. */
static bool check_meta(lua_State *L, int idx, struct ipc_chan_meta *m)
{
	static const char *const words[] = {"priority", "type", NULL};
	lua_Integer prio;

	memset(m, 0, sizeof(*m));
	if (lua_isnoneornil(L, idx))
		return false;
	lipc_checkopts(L, idx, words);
	prio = lipc_optint(L, idx, "priority", 0);
	if (prio < 0 || prio > (lua_Integer)UINT32_MAX)
		luaL_error(L, "bad option 'priority' (must be >= 0)");
	m->priority = (unsigned int)prio;
	m->type = (long)lipc_optint(L, idx, "type", 0);
	return true;
}

/* Kinds whose waits are the core's timed sleeps: waited on in slices
 * (lipc_slice), so a Ctrl+C is never lost. */
static bool sliced(const ipc_chan *c)
{
	int k = ipc_chan_kind(c);

	return k == IPC_URL_RING || k == IPC_URL_SYSVMQ;
}

/* ch:send(data, timeout, {priority=, type=}) */
static int ch_send(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 2, &len);
	ipc_deadline d = lipc_checkdeadline(L, 3);
	struct ipc_chan_meta m;
	bool meta = check_meta(L, 4, &m);
	ipc_deadline slice;
	ipc_status st;

	/* Look the handle up on every attempt: the interrupt hook runs Lua
	 * code, which may have closed it. */
	do {
		ipc_chan *c = check_chan(L, 1);

		slice = sliced(c) ? lipc_slice(d) : d;
		st = ipc_chan_send_meta(c, s, len, meta ? &m : NULL, slice);
	} while (lipc_interrupted(L, st) ||
	         lipc_slice_expired(L, st, slice, d));
	return lipc_result(L, st, "send");
}

/* Receive one message of the channel at 1 and push it; @m selects (type)
 * and gets the metadata. Returns 0 with the string pushed, or the status. */
static ipc_status recv_push(lua_State *L, ipc_deadline d,
                            struct ipc_chan_meta *m)
{
	const void *data;
	size_t len;
	ipc_status st;

	ipc_deadline slice;

	do {
		ipc_chan *c = check_chan(L, 1);

		slice = sliced(c) ? lipc_slice(d) : d;
		st = ipc_chan_recv_borrow(c, &data, &len, m, slice);
	} while (lipc_interrupted(L, st) ||
	         lipc_slice_expired(L, st, slice, d));
	if (st == 0)
		lua_pushlstring(L, (const char *)data, len);
	return st;
}

/* The receive selection {type=} at @idx (type 0 = any). */
static void check_select(lua_State *L, int idx, struct ipc_chan_meta *m)
{
	static const char *const words[] = {"type", NULL};

	memset(m, 0, sizeof(*m));
	lipc_checkopts(L, idx, words);
	m->type = (long)lipc_optint(L, idx, "type", 0);
}

/* ch:recv(timeout, {type=}) -> data */
static int ch_recv(lua_State *L)
{
	ipc_deadline d = lipc_checkdeadline(L, 2);
	struct ipc_chan_meta m;
	ipc_status st;

	check_select(L, 3, &m);
	st = recv_push(L, d, &m);
	return st < 0 ? lipc_fail(L, st, "recv") : 1;
}

/* ch:recv_meta(timeout, {type=}) -> data, priority, type */
static int ch_recv_meta(lua_State *L)
{
	ipc_deadline d = lipc_checkdeadline(L, 2);
	struct ipc_chan_meta m;
	ipc_status st;

	check_select(L, 3, &m);
	st = recv_push(L, d, &m);
	if (st < 0)
		return lipc_fail(L, st, "recv");
	lua_pushinteger(L, (lua_Integer)m.priority);
	lua_pushinteger(L, (lua_Integer)m.type);
	return 3;
}

/* The iterator of ch:messages(): upvalue 1 the channel, 2 the timeout.
 * Each message gets the whole timeout, from when it is asked for. */
static int messages_next(lua_State *L)
{
	ipc_deadline d;
	ipc_status st;

	lua_settop(L, 0);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, lua_upvalueindex(2));
	d = lipc_checkdeadline(L, 2);
	st = recv_push(L, d, NULL);
	if (st == 0)
		return 1;
	if (st == -EPIPE || st == -ECONNRESET)
		return 0; /* the end of the stream ends the loop */
	lipc_fail(L, st, "recv");
	lua_pop(L, 1); /* the errno: raise the message */
	return lua_error(L);
}

/* ch:messages(timeout) -> iterator */
static int ch_messages(lua_State *L)
{
	check_chan(L, 1);
	(void)lipc_checkdeadline(L, 2); /* a bad timeout raises here */
	lua_settop(L, 2);
	lua_pushcclosure(L, messages_next, 2);
	return 1;
}

/* ch:write(s, timeout) -> n; on failure fail, msg, errno, n */
static int ch_write(lua_State *L)
{
	size_t len, done = 0, n;
	const char *s = luaL_checklstring(L, 2, &len);
	ipc_deadline d = lipc_checkdeadline(L, 3);
	ipc_status st;

	/* A write interrupted part way resumes after what went out. */
	do {
		n = 0;
		st = ipc_chan_write(check_chan(L, 1), s + done, len - done, &n,
		                    d);
		done += n;
	} while (lipc_interrupted(L, st));
	if (st < 0) {
		lipc_fail(L, st, "write");
		lua_pushinteger(L, (lua_Integer)done);
		return 4;
	}
	lua_pushinteger(L, (lua_Integer)done);
	return 1;
}

/* ch:read(n, timeout) -> up to n bytes; "" at end of stream */
static int ch_read(lua_State *L)
{
	lua_Integer want = luaL_checkinteger(L, 2);
	ipc_deadline d = lipc_checkdeadline(L, 3);
	luaL_Buffer b;
	size_t got = 0;
	ipc_status st;
	char *p;

	check_chan(L, 1);
	luaL_argcheck(L, want >= 1, 2, "must be at least 1");
	p = luaL_buffinitsize(L, &b, (size_t)want);
	do
		st = ipc_chan_read(check_chan(L, 1), p, (size_t)want, &got, d);
	while (lipc_interrupted(L, st));
	if (st < 0)
		return lipc_fail(L, st, "read");
	luaL_pushresultsize(&b, got);
	return 1;
}

/* The descriptors of the list at @idx: integers or pollable objects. */
static size_t check_fds(lua_State *L, int idx, int *fds)
{
	lua_Integer n, i;

	luaL_checktype(L, idx, LUA_TTABLE);
	n = luaL_len(L, idx);
	luaL_argcheck(L, n >= 1 && n <= IPC_SOCK_MAX_FDS, idx,
	              "1 to 253 descriptors expected");
	for (i = 1; i <= n; i++) {
		int fd;

		lua_geti(L, idx, i);
		if (lua_isinteger(L, -1))
			fd = (int)lua_tointeger(L, -1);
		else
			fd = lipc_tofd(L, -1);
		if (fd < 0)
			luaL_argerror(L, idx,
			              lua_pushfstring(
			                      L, "item %d is not a descriptor",
			                      (int)i));
		fds[i - 1] = fd;
		lua_pop(L, 1);
	}
	return (size_t)n;
}

/* ch:send_fds(data, {fd, ...}, timeout) */
static int ch_send_fds(lua_State *L)
{
	int fds[IPC_SOCK_MAX_FDS];
	size_t len, nfds;
	const char *s = luaL_checklstring(L, 2, &len);
	ipc_deadline d = lipc_checkdeadline(L, 4);
	ipc_status st;

	check_chan(L, 1);
	nfds = check_fds(L, 3, fds);
	do
		st = ipc_chan_send_fds(check_chan(L, 1), s, len, fds, nfds, d);
	while (lipc_interrupted(L, st));
	return lipc_result(L, st, "send_fds");
}

/* ch:recv_fds(timeout) -> data, {fd, ...} (the caller owns them) */
static int ch_recv_fds(lua_State *L)
{
	int fds[IPC_SOCK_MAX_FDS];
	ipc_deadline d = lipc_checkdeadline(L, 2);
	const void *data;
	size_t len, nfds = 0, i;
	ipc_status st;

	/* Room for the results first: the received descriptors must not
	 * leak on a stack overflow. */
	luaL_checkstack(L, 3, NULL);
	do
		st = ipc_chan_recv_fds(check_chan(L, 1), &data, &len, fds,
		                       IPC_SOCK_MAX_FDS, &nfds, d);
	while (lipc_interrupted(L, st));
	if (st < 0)
		return lipc_fail(L, st, "recv_fds");
	lua_pushlstring(L, (const char *)data, len);
	lua_createtable(L, (int)nfds, 0);
	for (i = 0; i < nfds; i++) {
		lua_pushinteger(L, fds[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 2;
}

/* ch:peer_credentials() -> pid, uid, gid */
static int ch_peer_credentials(lua_State *L)
{
	struct ipc_sock_cred cred;
	ipc_status st = ipc_chan_peer_cred(check_chan(L, 1), &cred);

	if (st < 0)
		return lipc_fail(L, st, "peer_credentials");
	lua_pushinteger(L, cred.pid);
	lua_pushinteger(L, cred.uid);
	lua_pushinteger(L, cred.gid);
	return 3;
}

/* The ring of a ring channel; raises for other kinds. */
static ipc_ring *check_ring(lua_State *L)
{
	ipc_ring *r = ipc_chan_ring(check_chan(L, 1));

	if (r == NULL)
		luaL_error(L, "not a ring channel");
	return r;
}

/* ring:stats() -> {capacity=, max_message=, used=, high_water=, msgs_in=,
 * bytes_in=, msgs_out=, bytes_out=, recovered=, lost=} */
static int ch_stats(lua_State *L)
{
	struct ipc_ring_stats s;
	ipc_status st = ipc_ring_stats(check_ring(L), &s);

	if (st < 0)
		return lipc_fail(L, st, "stats");
	lua_createtable(L, 0, 10);
#define FIELD(f)                                                               \
	do {                                                                   \
		lua_pushinteger(L, (lua_Integer)s.f);                          \
		lua_setfield(L, -2, #f);                                       \
	} while (0)
	FIELD(capacity);
	FIELD(max_message);
	FIELD(used);
	FIELD(high_water);
	FIELD(msgs_in);
	FIELD(bytes_in);
	FIELD(msgs_out);
	FIELD(bytes_out);
	FIELD(recovered);
	FIELD(lost);
#undef FIELD
	return 1;
}

/* ring:name() -> "/name" */
static int ch_name(lua_State *L)
{
	lua_pushstring(L, ipc_ring_name(check_ring(L)));
	return 1;
}

/* --- ipc.Listener ----------------------------------------------------------
 */

static int li_gc(lua_State *L)
{
	return gc_any(L, LISTENER_T);
}

static int li_close(lua_State *L)
{
	return close_any(L, LISTENER_T);
}

static int li_tostring(lua_State *L)
{
	return tostring_any(L, LISTENER_T);
}

static int li_fdmeta(lua_State *L)
{
	return fd_any(L, LISTENER_T);
}

static int li_fd(lua_State *L)
{
	return pushfd(L, check_listener(L, 1));
}

static int li_kind(lua_State *L)
{
	return pushkind(L, check_listener(L, 1));
}

static int li_url(lua_State *L)
{
	lua_pushstring(L, ipc_chan_url(check_listener(L, 1)));
	return 1;
}

static int li_unlink(lua_State *L)
{
	return unlink_any(L, LISTENER_T);
}

/* listener:accept(timeout) -> channel */
static int li_accept(lua_State *L)
{
	ipc_deadline d = lipc_checkdeadline(L, 2);
	lipc_box *b;
	ipc_chan *c = NULL;
	ipc_status st;

	check_listener(L, 1);
	b = lipc_newbox(L, CHAN_T, 1);
	do
		st = ipc_chan_accept(check_listener(L, 1), &c, d);
	while (lipc_interrupted(L, st));
	if (st < 0)
		return lipc_fail(L, st, "accept");
	adopt(L, b, c);
	return 1;
}

/* --- registration -----------------------------------------------------------
 */

static const luaL_Reg chan_meta[] = {{"__gc", ch_gc},
                                     {"__close", ch_gc},
                                     {"__tostring", ch_tostring},
                                     {"__fd", ch_fdmeta},
                                     {NULL, NULL}};

static const luaL_Reg chan_methods[] = {
        {"send", ch_send},
        {"recv", ch_recv},
        {"recv_meta", ch_recv_meta},
        {"messages", ch_messages},
        {"write", ch_write},
        {"read", ch_read},
        {"send_fds", ch_send_fds},
        {"recv_fds", ch_recv_fds},
        {"peer_credentials", ch_peer_credentials},
        {"fd", ch_fd},
        {"readable", ch_readable},
        {"url", ch_url},
        {"kind", ch_kind},
        {"max_message", ch_max_message},
        {"unlink", ch_unlink},
        {"stats", ch_stats},
        {"name", ch_name},
        {"close", ch_close},
        {NULL, NULL}};

static const luaL_Reg listener_meta[] = {{"__gc", li_gc},
                                         {"__close", li_gc},
                                         {"__tostring", li_tostring},
                                         {"__fd", li_fdmeta},
                                         {NULL, NULL}};

static const luaL_Reg listener_methods[] = {
        {"accept", li_accept}, {"fd", li_fd},         {"url", li_url},
        {"kind", li_kind},     {"unlink", li_unlink}, {"close", li_close},
        {NULL, NULL}};

static const luaL_Reg chan_funcs[] = {
        {"pipe", l_pipe},       {"fifo", l_fifo},
        {"open", l_open},       {"listen", l_listen},
        {"connect", l_connect}, {"endpoint", l_endpoint},
        {"ring", l_ring},       {NULL, NULL}};

void lipc_open_chan(lua_State *L)
{
	lipc_newclass(L, CHAN_T, chan_meta, chan_methods);
	lipc_newclass(L, LISTENER_T, listener_meta, listener_methods);
	luaL_setfuncs(L, chan_funcs, 0);
}
