/* SPDX-License-Identifier: MIT */
/*
 * lipc_proc.c - child processes: ipc.spawn(argv, opts) -> ipc.Process.
 *
 *	local p = ipc.spawn({"sort"}, {stdin = "pipe", stdout = "pipe"})
 *	p.stdin:write("b\na\n"); p.stdin:close()
 *	local out = p.stdout:read(4096)       --> "a\nb\n"
 *	p:wait(5)                             --> 0 (exit code)
 *
 * A child runs a program (posix_spawn, never a copy of this process) with
 * the descriptors it is given at 0, 1, 2 (and any others through `fds`)
 * and nothing else, a clean signal state, and optionally its own
 * environment, directory, process group and ipc endpoints. The handle
 * holds a pidfd: p:kill() never hits a recycled pid, and p is pollable.
 * Behaviour is the core's (<ipc/proc.h>, docs/proc.md).
 *
 * stdin / stdout / stderr (and each value of `fds`) may be:
 *   nil or "inherit"  ours (the child shares our descriptor);
 *   "pipe"            a new pipe: the child gets one end, and the other is
 *                     p.stdin / p.stdout / p.stderr, an ipc.Channel (raw
 *                     bytes with read/write, or framed messages);
 *   "null"            /dev/null;
 *   "stdout"          (stderr only) the same as the child's stdout, 2>&1;
 *   an ipc.Channel, an integer descriptor, or any object with __fd (its
 *   descriptor is shared with the child and stays ours).
 * p.stdin, p.stdout and p.stderr are fields; p:close() frees the handle
 * only (the child runs on, and the pipe channels are objects of their
 * own).
 */
#include <string.h>

#include "lipc.h"

#define LIPC_PROC   "ipc.Process"
#define SPAWN_GUARD "ipc.spawn guard"

/* The three standard streams, the names of their fields. */
static const char *const std_names[3] = {"stdin", "stdout", "stderr"};

/* The most descriptors one child may be given (the core's child_fd
 * range). */
#define MAX_WIRES 1024

/* How one child descriptor is set up, decided before anything opens. */
enum wire_kind { W_INHERIT, W_NULL, W_PIPE, W_FD, W_STDOUT };

struct wire {
	int child_fd;
	enum wire_kind kind;
	int fd; /* W_FD: ours, borrowed */
};

/* The pipes a spawn is making, both ends, until each is handed over: a
 * raise in between (out of memory) closes them through __gc. */
struct spawn_guard {
	ipc_chan *child[3];
	ipc_chan *parent[3];
};

static void guard_release(struct spawn_guard *g)
{
	int i;

	for (i = 0; i < 3; i++) {
		(void)ipc_chan_close(g->child[i]);
		(void)ipc_chan_close(g->parent[i]);
		g->child[i] = NULL;
		g->parent[i] = NULL;
	}
}

static int guard_gc(lua_State *L)
{
	guard_release(luaL_checkudata(L, 1, SPAWN_GUARD));
	return 0;
}

static ipc_proc *check_proc(lua_State *L)
{
	return lipc_checkopen(L, 1, LIPC_PROC);
}

/* argv at @idx as a NULL-terminated array (a userdata on the stack; the
 * strings stay in the table, which the caller keeps). */
static const char **check_argv(lua_State *L, int idx)
{
	lua_Integer i, n;
	const char **argv;

	luaL_checktype(L, idx, LUA_TTABLE);
	n = luaL_len(L, idx);
	luaL_argcheck(L, n > 0 && n < 65536, idx,
	              "argv must be a non-empty list of strings");
	argv = lua_newuserdatauv(L, ((size_t)n + 1) * sizeof(*argv), 0);
	for (i = 1; i <= n; i++) {
		if (lua_geti(L, idx, i) != LUA_TSTRING)
			luaL_argerror(L, idx,
			              lua_pushfstring(L,
			                              "argv[%d] is a %s, "
			                              "not a string",
			                              (int)i,
			                              luaL_typename(L, -1)));
		argv[i - 1] = lua_tostring(L, -1); /* argv[idx] keeps it */
		lua_pop(L, 1);
	}
	argv[n] = NULL;
	return argv;
}

/* The env option (the table at the top) as an environment array: string
 * keys become "KEY=value", list items are taken as "KEY=value" strings.
 * The strings are kept in a table pushed below the array. */
static const char **check_env(lua_State *L)
{
	int env = lua_gettop(L), keep;
	size_t n = 0;
	const char **envp;

	luaL_checktype(L, env, LUA_TTABLE);
	lua_newtable(L);
	keep = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, env) != 0) {
		if (lua_type(L, -2) == LUA_TSTRING) {
			const char *k = lua_tostring(L, -2);

			if (k[0] == '\0' || strchr(k, '=') != NULL ||
			    lua_type(L, -1) != LUA_TSTRING)
				luaL_error(L,
				           "bad option 'env' (NAME = \"value\" "
				           "strings expected at '%s')",
				           k);
			lua_pushfstring(L, "%s=%s", k, lua_tostring(L, -1));
		} else if (lua_type(L, -1) == LUA_TSTRING &&
		           strchr(lua_tostring(L, -1), '=') != NULL) {
			lua_pushvalue(L, -1);
		} else {
			luaL_error(L, "bad option 'env' (NAME = \"value\" or "
			              "\"NAME=value\" items expected)");
		}
		lua_rawseti(L, keep, (lua_Integer)++n);
		lua_pop(L, 1);
	}
	envp = lua_newuserdatauv(L, (n + 1) * sizeof(*envp), 0);
	for (size_t i = 0; i < n; i++) {
		lua_rawgeti(L, keep, (lua_Integer)i + 1);
		envp[i] = lua_tostring(L, -1); /* keep holds it */
		lua_pop(L, 1);
	}
	envp[n] = NULL;
	return envp;
}

/* The endpoints option (the table at the top) as an IPC_ENDPOINTS value
 * built by the core, pushed as a string. */
static const char *check_endpoints(lua_State *L)
{
	int t = lua_gettop(L);
	size_t cap = 1;
	char *buf;

	luaL_checktype(L, t, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, t) != 0) {
		if (lua_type(L, -2) != LUA_TSTRING ||
		    lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "bad option 'endpoints' (name = \"URL\" "
			              "strings expected)");
		/* The core writes ';' and '%' in a URL as three bytes. */
		cap += lua_rawlen(L, -2) + 1 + 3 * lua_rawlen(L, -1) + 1;
		lua_pop(L, 1);
	}
	buf = lua_newuserdatauv(L, cap, 0);
	buf[0] = '\0';
	lua_pushnil(L);
	while (lua_next(L, t) != 0) {
		const char *name = lua_tostring(L, -2);
		ipc_status st = ipc_endpoint_append(buf, cap, name,
		                                    lua_tostring(L, -1));

		if (st < 0)
			luaL_error(L, "bad option 'endpoints' (%s: %s)", name,
			           ipc_detail() ? ipc_detail()
			                        : ipc_strerror(st));
		lua_pop(L, 1);
	}
	lua_pushstring(L, buf);
	return lua_tostring(L, -1);
}

/* One wiring spec at @idx for child descriptor @child_fd; @what names it
 * in errors. */
static void check_wire(lua_State *L, int idx, int child_fd, const char *what,
                       struct wire *w)
{
	w->child_fd = child_fd;
	w->fd = -1;
	if (lua_isnil(L, idx)) {
		w->kind = W_INHERIT;
	} else if (lua_type(L, idx) == LUA_TSTRING) {
		const char *s = lua_tostring(L, idx);

		if (strcmp(s, "inherit") == 0)
			w->kind = W_INHERIT;
		else if (strcmp(s, "null") == 0)
			w->kind = W_NULL;
		else if (strcmp(s, "pipe") == 0 && child_fd <= 2)
			w->kind = W_PIPE;
		else if (strcmp(s, "stdout") == 0 && child_fd == 2)
			w->kind = W_STDOUT;
		else
			luaL_error(L, "bad option '%s' (unknown word '%s')",
			           what, s);
	} else if (lua_isinteger(L, idx)) {
		lua_Integer fd = lua_tointeger(L, idx);

		if (fd < 0 || fd > INT32_MAX)
			luaL_error(L, "bad option '%s' (not a descriptor)",
			           what);
		w->kind = W_FD;
		w->fd = (int)fd;
	} else {
		ipc_chan *c = lipc_tochan(L, idx);

		w->kind = W_FD;
		w->fd = c != NULL ? ipc_chan_fd(c) : lipc_tofd(L, idx);
		if (w->fd < 0)
			luaL_error(L, "bad option '%s' (%s has no descriptor)",
			           what, luaL_typename(L, idx));
	}
}

/* The fds option (the table at the top): {[child_fd] = spec, ...}, for
 * descriptors 3 and up. Appends to @w from *@n. */
static void check_fds(lua_State *L, struct wire *w, size_t *n)
{
	int t = lua_gettop(L);

	luaL_checktype(L, t, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, t) != 0) {
		lua_Integer k =
		        lua_isinteger(L, -2) ? lua_tointeger(L, -2) : -1;

		if (k < 3 || k >= MAX_WIRES)
			luaL_error(L,
			           "bad option 'fds' (keys must be child "
			           "descriptors 3 .. %d)",
			           MAX_WIRES - 1);
		check_wire(L, lua_gettop(L), (int)k, "fds", &w[*n]);
		if (w[*n].kind == W_INHERIT)
			luaL_error(L,
			           "bad option 'fds' (descriptor %d: "
			           "\"inherit\" is for 0, 1, 2 only)",
			           (int)k);
		(*n)++;
		lua_pop(L, 1);
	}
}

static const char *const spawn_opts[] = {
        "stdin",     "stdout",    "stderr",      "fds",       "env", "cwd",
        "endpoints", "new_group", "search_path", "pdeathsig", NULL};

/* The fail triple of @st, pushed before closing the pipes can replace the
 * core's detail (which names the program). */
static int spawn_fail(lua_State *L, ipc_status st, struct spawn_guard *g)
{
	int n = lipc_fail(L, st, "spawn");

	guard_release(g);
	return n;
}

/* The spawn call proper, once every argument is checked: @w has @nw
 * wires, @opts the rest. Pushes the process or the fail triple. */
static int do_spawn(lua_State *L, struct ipc_proc_opts *opts,
                    const struct wire *w, size_t nw)
{
	struct spawn_guard *g;
	struct ipc_proc_fd *fds;
	lipc_box *b;
	ipc_proc *p;
	size_t i, nfds = 0;
	int fields, out_fd = 1; /* the child's 1 when inherited: ours */
	ipc_status st;

	fds = lua_newuserdatauv(L, (nw + 1) * sizeof(*fds), 0);
	b = lipc_newbox(L, LIPC_PROC, 1);
	lua_createtable(L, 0, 3);
	lua_pushvalue(L, -1);
	lua_setiuservalue(L, -3, 1);
	fields = lua_gettop(L);
	g = lua_newuserdatauv(L, sizeof(*g), 0);
	memset(g, 0, sizeof(*g));
	luaL_setmetatable(L, SPAWN_GUARD);

	for (i = 0; i < nw; i++) {
		struct ipc_proc_fd *f = &fds[nfds];
		int s = w[i].child_fd;

		f->child_fd = s;
		switch (w[i].kind) {
		case W_INHERIT:
			continue;
		case W_NULL:
			f->parent_fd = -1;
			break;
		case W_FD:
			f->parent_fd = w[i].fd;
			break;
		case W_STDOUT: /* whatever the child's 1 is (0 and 1 come
		                  first) */
			f->parent_fd = out_fd;
			break;
		case W_PIPE: {
			ipc_chan *rd, *wr;

			st = ipc_chan_pipe(&rd, &wr, 0);
			if (st < 0)
				return spawn_fail(L, st, g);
			g->child[s] = s == 0 ? rd : wr;
			g->parent[s] = s == 0 ? wr : rd;
			f->parent_fd = ipc_chan_fd(g->child[s]);
			break;
		}
		}
		if (s == 1)
			out_fd = f->parent_fd;
		nfds++;
	}
	opts->fds = fds;
	opts->nfds = nfds;
	st = ipc_proc_spawn(&p, opts);
	if (st < 0)
		return spawn_fail(L, st, g);
	/* Our copies of the child's ends go at once, so that end of stream
	 * works when the child exits. */
	for (i = 0; i < 3; i++) {
		(void)ipc_chan_close(g->child[i]);
		g->child[i] = NULL;
	}
	b->h = p;
	for (i = 0; i < 3; i++) {
		if (g->parent[i] == NULL)
			continue;
		lipc_pushchan(L, g->parent[i]);
		g->parent[i] = NULL;
		lua_setfield(L, fields, std_names[i]);
	}
	lua_pushvalue(L, fields - 1);
	return 1;
}

/***
 * Start a child process.
 * @function spawn
 * @tparam table argv the program and its arguments, strings
 * @tparam[opt] table opts stdin, stdout, stderr (see the file comment),
 *   fds ({[3] = spec, ...}: more descriptors), env (the whole environment:
 *   {NAME = "value"} and/or {"NAME=value"}; default ours), cwd,
 *   endpoints ({name = "URL"}: IPC_ENDPOINTS for ipc.endpoint(name) in the
 *   child), new_group (the child leads a new process group), search_path
 *   (look argv[1] up in PATH; default true), pdeathsig (SIGKILL the child
 *   when we exit)
 * @treturn[1] ipc.Process
 * @treturn[2] fail, "spawn: message (program)", errno (ENOENT, EACCES...)
 */
static int l_spawn(lua_State *L)
{
	struct ipc_proc_opts opts;
	struct wire *w;
	size_t nw = 3;
	int i;

	memset(&opts, 0, sizeof(opts));
	lua_settop(L, 2);
	opts.argv = check_argv(L, 1);
	lipc_checkopts(L, 2, spawn_opts);
	if (lipc_optbool(L, 2, "search_path", true))
		opts.flags |= IPC_PROC_SEARCH_PATH;
	if (lipc_optbool(L, 2, "new_group", false))
		opts.flags |= IPC_PROC_NEW_PGROUP;
	if (lipc_optbool(L, 2, "pdeathsig", false))
		opts.flags |= IPC_PROC_PDEATHSIG;
	opts.flags |= IPC_PROC_KEEP_STDIO; /* an unwired 0, 1, 2 is ours */
	opts.cwd = lipc_optstring(L, 2, "cwd", NULL);
	w = lua_newuserdatauv(L, MAX_WIRES * sizeof(*w), 0);
	for (i = 0; i < 3; i++) {
		if (lua_isnoneornil(L, 2))
			lua_pushnil(L);
		else
			lua_getfield(L, 2, std_names[i]);
		check_wire(L, lua_gettop(L), i, std_names[i], &w[i]);
	}
	if (!lua_isnoneornil(L, 2)) {
		if (lua_getfield(L, 2, "fds") != LUA_TNIL)
			check_fds(L, w, &nw);
		if (lua_getfield(L, 2, "env") != LUA_TNIL)
			opts.envp = check_env(L);
		if (lua_getfield(L, 2, "endpoints") != LUA_TNIL)
			opts.endpoints = check_endpoints(L);
	}
	return do_spawn(L, &opts, w, nw);
}

/***
 * Wait for the child to end (and reap it).
 * @function Process:wait
 * @number[opt] timeout seconds (nil: forever, 0: only look)
 * @treturn[1] int the exit code, or minus the signal that killed it
 * @treturn[2] fail, "wait: message", errno (ETIMEDOUT; EAGAIN for 0)
 */
static int l_wait(lua_State *L)
{
	ipc_proc *p = check_proc(L);
	ipc_deadline d = lipc_checkdeadline(L, 2);
	struct ipc_proc_status ps;
	ipc_status st;

	do
		st = ipc_proc_wait(p, &ps, d);
	while (lipc_interrupted(L, st));
	if (st < 0)
		return lipc_fail(L, st, "wait");
	lua_pushinteger(L, ipc_proc_returncode(&ps));
	return 1;
}

/***
 * Send the child a signal, through its pidfd.
 * @function Process:kill
 * @tparam[opt="TERM"] int|string sig a name, a number, or 0 (only check
 *   that it has not ended)
 * @treturn[1] true
 * @treturn[2] fail, "kill: message", errno (ESRCH once it has ended)
 */
static int l_kill(lua_State *L)
{
	ipc_proc *p = check_proc(L);
	int signo = 15;

	if (lua_type(L, 2) == LUA_TNUMBER && lua_tointeger(L, 2) == 0)
		signo = 0;
	else if (!lua_isnoneornil(L, 2))
		signo = lipc_checksignal(L, 2);
	return lipc_result(L, ipc_proc_kill(p, signo), "kill");
}

/* p:kill_group(sig): signal the child's process group (new_group only). */
static int l_kill_group(lua_State *L)
{
	ipc_proc *p = check_proc(L);
	int signo = lua_isnoneornil(L, 2) ? 15 : lipc_checksignal(L, 2);

	return lipc_result(L, ipc_proc_kill_group(p, signo), "kill_group");
}

static int l_pid(lua_State *L)
{
	lua_pushinteger(L, ipc_proc_pid(check_proc(L)));
	return 1;
}

/* p:fd() and __fd: the pidfd (readable once the child has ended), or -1
 * where the system has no pidfds. */
static int l_fd(lua_State *L)
{
	lua_pushinteger(L, ipc_proc_fd(check_proc(L)));
	return 1;
}

/* p:close(): frees the handle; the child runs on. A second close raises. */
static ipc_status close_handle(void *h)
{
	return ipc_proc_close(h);
}

static int l_close(lua_State *L)
{
	return lipc_box_close(L, LIPC_PROC, close_handle);
}

/* __gc and __close (lipc_box_gc: idempotent, never raise). */
static int l_gc(lua_State *L)
{
	return lipc_box_gc(L, LIPC_PROC, close_handle);
}

static int l_tostring(lua_State *L)
{
	lipc_box *b = lipc_checkbox(L, 1, LIPC_PROC);

	if (b->h == NULL)
		return lipc_pushtostring(L, LIPC_PROC, true, NULL);
	lua_pushfstring(L, "%s (pid %d)", LIPC_PROC, (int)ipc_proc_pid(b->h));
	return 1;
}

/* __index: a method, else a field (stdin, stdout, stderr) of the user
 * value. */
static int l_index(lua_State *L)
{
	lipc_checkbox(L, 1, LIPC_PROC);
	lua_settop(L, 2);
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
		return 1;
	lua_getiuservalue(L, 1, 1);
	lua_pushvalue(L, 2);
	lua_rawget(L, -2);
	return 1;
}

static const luaL_Reg proc_meta[] = {{"__gc", l_gc},
                                     {"__close", l_gc},
                                     {"__tostring", l_tostring},
                                     {"__fd", l_fd},
                                     {NULL, NULL}};

static const luaL_Reg proc_methods[] = {
        {"wait", l_wait}, {"kill", l_kill}, {"kill_group", l_kill_group},
        {"pid", l_pid},   {"fd", l_fd},     {"close", l_close},
        {NULL, NULL}};

void lipc_open_proc(lua_State *L)
{
	luaL_newmetatable(L, SPAWN_GUARD);
	lua_pushcfunction(L, guard_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);

	luaL_newmetatable(L, LIPC_PROC);
	luaL_setfuncs(L, proc_meta, 0);
	lua_newtable(L);
	luaL_setfuncs(L, proc_methods, 0);
	lua_pushcclosure(L, l_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);

	lua_pushcfunction(L, l_spawn);
	lua_setfield(L, -2, "spawn");
}
