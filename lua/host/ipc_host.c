/* SPDX-License-Identifier: MIT */
/*
 * ipc_host.c - the ipc host (ipc/host.h): a Lua state with the module
 * preloaded, the `ipc` command line, and the sandboxed config loader.
 *
 * It copies lua.c (Lua 5.4) on every point (STYLE.md 2.7): the setup runs
 * inside lua_pcall; chunks run under a message handler that adds a
 * traceback; errors are reported as "ipc: msg"; the SIGINT handler only
 * installs a count-1 hook that raises "interrupted!" (a blocking call of
 * the module that the signal interrupts runs that pending hook at once:
 * lipc_interrupted in lua/src/lipc.c); `arg` is set for scripts.
 *
 * The contract with the pure-Lua parts (lua/ipc/host/):
 *
 *   require "ipc.host.native" -> a table, only in a host:
 *     native.load_config(path) -> config table | nil, "path:line: message"
 *         Text only (bytecode is refused), in an environment of its own
 *         (safe base functions, copies of string (no dump), table, math,
 *         utf8, coroutine, and os with getenv/time/clock/date/difftime
 *         only; load() takes text only, setmetatable refuses __gc), at
 *         most 64 MiB of memory and 10^8 VM instructions.
 *     native.pid() -> the host's pid
 *     native.exe() -> the `ipc` executable, or nil: the build tree's
 *         bin/ipc, or <prefix>/bin/ipc next to where this code is
 *         installed (the executable itself, or libipc_host.so's lib/),
 *         else /proc/self/exe; run a `lua` stage as
 *         {native.exe(), script, args...}
 *     native.getcwd() -> the current directory | nil, msg, errno
 *     native.stage_signature(sig) -> the canonical signature | nil, msg:
 *         whether sig parses and suits a native stage (ipc/native.h)
 *     native.version -> "ipc 0.1.0 (Lua 5.4.x)"
 *
 *   `ipc __native-stage LIB FN SIG` (hidden, handled before any Lua state
 *   exists) is the worker of a native stage: run.lua starts it with the
 *   stage's endpoints "in" and "out" in IPC_ENDPOINTS (docs/native.md).
 *
 *   require("ipc.host.cli").main(args) runs the commands, and `ipc help`:
 *     args = {[0] = argv[0], "run", "config.lua", ...} (argv[1..]);
 *     it returns the exit status: an integer, or true/nil (0) or false
 *     (1); an error it raises is reported as "ipc: message" (exit 1).
 *     When no ipc.host.cli is on package.path, a command is reported as
 *     "ipc: unknown command 'x'" (exit 2).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <dlfcn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "ipc/chan.h"
#include "ipc/common.h"
#include "ipc/host.h"
#include "ipc/native.h"

/* The module's opener (lua/src/lipc.c), linked in from ipc_lua_objects. */
int luaopen_ipc(lua_State *L);

#define PROGNAME "ipc"

/* Config limits (RELIABILITY.md 2.13). */
#define CONFIG_MEM_LIMIT  ((int64_t)64 << 20)
#define CONFIG_HOOK_EVERY 1000    /* instructions per count hook */
#define CONFIG_MAX_HOOKS  100000L /* 10^8 instructions */

/* Where the pure-Lua parts are (CMake passes these; defaults for a
 * compile outside the project's build). */
#ifndef IPC_HOST_SHAREDIR
#define IPC_HOST_SHAREDIR "share/lua/5.4"
#endif
#ifndef IPC_HOST_BINDIR
#define IPC_HOST_BINDIR "bin"
#endif

struct ipc_host {
	lua_State *L;
	lua_Alloc alloc; /* Lua's own allocator, which host_alloc wraps */
	void *alloc_ud;
	int64_t used;       /* bytes allocated since host_alloc took over */
	int64_t limit;      /* the most 'used' may reach (INT64_MAX: none) */
	bool mem_refused;   /* the limit refused an allocation */
	bool config_active; /* a config is being evaluated */
	long config_hooks;  /* count hooks so far in this evaluation */
	char *errmsg;       /* the last failure's message, or NULL */
};

/* ------------------------------------------------------------------ */
/* The allocator: Lua's, counting bytes, with a cap while a config runs. */

static void *host_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	ipc_host *h = ud;
	int64_t old = ptr != NULL ? (int64_t)osize : 0;
	void *p;

	if ((int64_t)nsize > old && h->limit != INT64_MAX &&
	    (nsize > (size_t)CONFIG_MEM_LIMIT ||
	     h->used + ((int64_t)nsize - old) > h->limit)) {
		h->mem_refused = true;
		return NULL;
	}
	p = h->alloc(h->alloc_ud, ptr, osize, nsize);
	if (p == NULL && nsize != 0)
		return NULL;
	h->used += (int64_t)nsize - old;
	return p;
}

static ipc_host *host_of(lua_State *L)
{
	void *ud;

	(void)lua_getallocf(L, &ud);
	return ud;
}

/* ------------------------------------------------------------------ */
/* lua.c: signals, the message handler, reports, protected calls. */

static lua_State *globalL = NULL;

/* Hook set by the SIGINT handler: stops the interpreter. */
static void lstop(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	lua_sethook(L, NULL, 0, 0);
	luaL_error(L, "interrupted!");
}

static void setsignal(int sig, void (*handler)(int), struct sigaction *old)
{
	struct sigaction sa;

	sa.sa_handler = handler;
	sa.sa_flags = 0; /* no SA_RESTART: blocking calls see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, old);
}

/* SIGINT: only ask the state to stop (lua_sethook is async-signal-safe
 * for this use); a second SIGINT kills the process. */
static void laction(int sig)
{
	int flag = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;

	setsignal(sig, SIG_DFL, NULL);
	lua_sethook(globalL, lstop, flag, 1);
}

static void l_message(const char *pname, const char *msg)
{
	if (pname)
		lua_writestringerror("%s: ", pname);
	lua_writestringerror("%s\n", msg);
}

/* Print the error on top of the stack, if any, and pop it. */
static int report(lua_State *L, int status)
{
	if (status != LUA_OK) {
		const char *msg = lua_tostring(L, -1);

		l_message(PROGNAME,
		          msg ? msg : "(error object is not a string)");
		lua_pop(L, 1);
	}
	return status;
}

/* Message handler for the chunks: a traceback under the message. */
static int msghandler(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	if (msg == NULL) {
		if (luaL_callmeta(L, 1, "__tostring") &&
		    lua_type(L, -1) == LUA_TSTRING)
			return 1;
		msg = lua_pushfstring(L, "(error object is a %s value)",
		                      luaL_typename(L, 1));
	}
	luaL_traceback(L, L, msg, 1);
	return 1;
}

/* Call the function under its @narg arguments with the message handler
 * and the SIGINT handler; the previous disposition comes back after. */
static int docall(lua_State *L, int narg, int nres)
{
	int base = lua_gettop(L) - narg;
	lua_State *prevL = globalL;
	struct sigaction old;
	int status;

	lua_pushcfunction(L, msghandler);
	lua_insert(L, base);
	globalL = L;
	setsignal(SIGINT, laction, &old);
	status = lua_pcall(L, narg, nres, base);
	sigaction(SIGINT, &old, NULL);
	globalL = prevL;
	/* a Ctrl+C that came as the chunk ended does not stop the next one */
	if (lua_gethook(L) == lstop)
		lua_sethook(L, NULL, 0, 0);
	lua_remove(L, base);
	return status;
}

/* arg = {[-1] = progname, [0] = script, args...} */
static void createargtable(lua_State *L, const char *progname,
                           const char *script, int argc, char **argv)
{
	int i;

	lua_createtable(L, argc, 2);
	if (progname) {
		lua_pushstring(L, progname);
		lua_rawseti(L, -2, -1);
	}
	lua_pushstring(L, script);
	lua_rawseti(L, -2, 0);
	for (i = 0; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setglobal(L, "arg");
}

static int pushargs(lua_State *L, int argc, char **argv)
{
	int i;

	luaL_checkstack(L, argc + 3, "too many arguments to script");
	for (i = 0; i < argc; i++)
		lua_pushstring(L, argv[i]);
	return argc;
}

/* ------------------------------------------------------------------ */
/* The config sandbox. */

static const char *const safe_base[] = {
        "assert",   "error",  "ipairs", "next",     "pairs",  "pcall",
        "rawequal", "rawget", "rawlen", "rawset",   "select", "tonumber",
        "tostring", "type",   "xpcall", "_VERSION", NULL,
};

static const char *const safe_libs[] = {
        "string", "table", "math", "utf8", "coroutine", NULL,
};

static const char *const safe_os[] = {
        "getenv", "time", "clock", "date", "difftime", NULL,
};

/* setmetatable without __gc: a finalizer would run later, in the host,
 * outside the limits. */
static int sandbox_setmetatable(lua_State *L)
{
	int t = lua_type(L, 2);

	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2,
	                 "nil or table");
	if (t == LUA_TTABLE && lua_getfield(L, 2, "__gc") != LUA_TNIL)
		return luaL_error(
		        L, "__gc metamethods are not allowed in a config");
	lua_settop(L, 2);
	if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
		return luaL_error(L, "cannot change a protected metatable");
	lua_setmetatable(L, 1);
	return 1;
}

/* getmetatable, but not the strings' (shared with the host). */
static int sandbox_getmetatable(lua_State *L)
{
	luaL_checkany(L, 1);
	if (lua_type(L, 1) == LUA_TSTRING || !lua_getmetatable(L, 1)) {
		lua_pushnil(L);
		return 1;
	}
	luaL_getmetafield(L, 1, "__metatable");
	return 1;
}

/* load(chunk [, chunkname [, mode [, env]]]): a string of source only;
 * the environment defaults to the config's (upvalue 1). */
static int sandbox_load(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	const char *name = luaL_optstring(L, 2, s);
	const char *mode = luaL_optstring(L, 3, "t");
	int envidx = lua_isnone(L, 4) ? lua_upvalueindex(1) : 4;

	if (strchr(mode, 'b') != NULL) {
		luaL_pushfail(L);
		lua_pushliteral(L, "binary chunks are not allowed in a config");
		return 2;
	}
	if (luaL_loadbufferx(L, s, len, name, "t") != LUA_OK) {
		luaL_pushfail(L);
		lua_insert(L, -2);
		return 2;
	}
	lua_pushvalue(L, envidx);
	if (lua_setupvalue(L, -2, 1) == NULL)
		lua_pop(L, 1);
	return 1;
}

/* Copy the fields of the table at -1 (all, or @only) into a new table. */
static void copy_table(lua_State *L, const char *const *only, const char *skip)
{
	int src = lua_gettop(L);

	lua_newtable(L);
	if (only != NULL) {
		for (; *only; only++) {
			lua_getfield(L, src, *only);
			lua_setfield(L, -2, *only);
		}
	} else {
		lua_pushnil(L);
		while (lua_next(L, src)) {
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_settable(L, -4);
		}
		if (skip != NULL) {
			lua_pushnil(L);
			lua_setfield(L, -2, skip);
		}
	}
	lua_remove(L, src);
}

/* Push a new config environment. */
static void push_sandbox(lua_State *L)
{
	const char *const *p;
	int env;

	lua_newtable(L);
	env = lua_gettop(L);
	lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
	for (p = safe_base; *p; p++) {
		lua_getfield(L, -1, *p);
		lua_setfield(L, env, *p);
	}
	lua_pop(L, 1);
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	for (p = safe_libs; *p; p++) {
		lua_getfield(L, -1, *p);
		if (lua_istable(L, -1)) {
			copy_table(L, NULL,
			           strcmp(*p, "string") == 0 ? "dump" : NULL);
			lua_setfield(L, env, *p);
		} else {
			lua_pop(L, 1);
		}
	}
	lua_getfield(L, -1, "os");
	if (lua_istable(L, -1)) {
		copy_table(L, safe_os, NULL);
		lua_setfield(L, env, "os");
	} else {
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	lua_pushcfunction(L, sandbox_setmetatable);
	lua_setfield(L, env, "setmetatable");
	lua_pushcfunction(L, sandbox_getmetatable);
	lua_setfield(L, env, "getmetatable");
	lua_pushvalue(L, env);
	lua_pushcclosure(L, sandbox_load, 1);
	lua_setfield(L, env, "load");
	lua_pushvalue(L, env);
	lua_setfield(L, env, "_G");
}

/* The count hook while a config runs: "config takes too long" once past
 * the budget, and from then on at every instruction, so a pcall in the
 * config cannot swallow it for long. */
static void config_hook(lua_State *L, lua_Debug *ar)
{
	ipc_host *h = host_of(L);

	if (!h->config_active) {
		/* a coroutine of a config that outlived it */
		lua_sethook(L, NULL, 0, 0);
		return;
	}
	if (++h->config_hooks < CONFIG_MAX_HOOKS)
		return;
	lua_sethook(L, config_hook, LUA_MASKCOUNT, 1);
	if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
		lua_pushfstring(L, "%s:%d: ", ar->short_src, ar->currentline);
	else
		lua_pushliteral(L, "");
	lua_pushfstring(L, "config takes too long (more than %d instructions)",
	                (int)(CONFIG_MAX_HOOKS * CONFIG_HOOK_EVERY));
	lua_concat(L, 2);
	lua_error(L);
}

/* The deepest table nesting a config may have. */
#define CONFIG_MAX_DEPTH 32

/*
 * Push a copy of the table at @idx made with raw access only: tables,
 * strings, numbers and booleans, no metatables. What the validator (and
 * everything after it) reads is then plain data: a config cannot run code
 * outside the sandbox through __index, __pairs or __tostring. @seen (an
 * absolute index) holds the tables on the current path, to refuse cycles.
 * Returns NULL, or the reason the table was refused (nothing pushed).
 */
static const char *plain_copy(lua_State *L, int idx, int seen, int depth)
{
	const char *why = NULL;

	idx = lua_absindex(L, idx);
	if (depth > CONFIG_MAX_DEPTH)
		return "tables nested too deep";
	lua_pushvalue(L, idx);
	if (lua_rawget(L, seen) != LUA_TNIL) {
		lua_pop(L, 1);
		return "a table that contains itself";
	}
	lua_pop(L, 1);
	lua_pushvalue(L, idx);
	lua_pushboolean(L, 1);
	lua_rawset(L, seen);
	lua_newtable(L);
	lua_pushnil(L);
	while (why == NULL && lua_next(L, idx) != 0) {
		int i;

		/* stack: copy, key, value */
		for (i = -2; i <= -1 && why == NULL; i++) {
			switch (lua_type(L, i)) {
			case LUA_TSTRING:
			case LUA_TNUMBER:
			case LUA_TBOOLEAN:
				break;
			case LUA_TTABLE:
				if (i == -2)
					why = "a table used as a key";
				break;
			case LUA_TFUNCTION:
				why = "a function";
				break;
			case LUA_TTHREAD:
				why = "a coroutine";
				break;
			default:
				why = "a userdata";
			}
		}
		if (why != NULL) {
			lua_pop(L, 2);
			break;
		}
		lua_pushvalue(L, -2); /* key */
		if (lua_type(L, -2) == LUA_TTABLE) {
			why = plain_copy(L, -2, seen, depth + 1);
			if (why != NULL) {
				lua_pop(L, 3);
				break;
			}
		} else {
			lua_pushvalue(L, -2);
		}
		/* stack: copy, key, value, key, value-copy */
		lua_rawset(L, -5);
		lua_pop(L, 1);
	}
	lua_pushvalue(L, idx);
	lua_pushnil(L);
	lua_rawset(L, seen);
	if (why != NULL)
		lua_pop(L, 1); /* the partial copy */
	return why;
}

/* Load and run the config at @path in the sandbox; push the table and
 * return 1, or push nil and the message and return 2. Raises only when
 * memory runs out outside the config. */
static int config_load(lua_State *L, const char *path)
{
	ipc_host *h = host_of(L);
	lua_Hook oldhook;
	int oldmask, oldcount, status, strmeta;
	bool refused;

	status = luaL_loadfilex(L, path, "t");
	if (status != LUA_OK) {
		const char *msg = lua_tostring(L, -1);

		if (msg && strstr(msg, "attempt to load a binary chunk")) {
			lua_pop(L, 1);
			lua_pushfstring(L,
			                "%s: bytecode is refused: a config "
			                "is loaded as text only",
			                path);
		}
		luaL_pushfail(L);
		lua_insert(L, -2);
		return 2;
	}
	push_sandbox(L);
	/* strings index the sandbox's string table meanwhile: ("").dump
	 * is not string.dump there */
	lua_pushliteral(L, "");
	if (!lua_getmetatable(L, -1))
		lua_newtable(L); /* no string metatable: a stand-in */
	lua_remove(L, -2);
	strmeta = lua_gettop(L);
	lua_getfield(L, strmeta, "__index"); /* the host's string */
	lua_getfield(L, strmeta - 1, "string");
	lua_setfield(L, strmeta, "__index");
	lua_pushvalue(L, strmeta - 1);
	lua_setupvalue(L, strmeta - 2, 1); /* _ENV = the sandbox */
	lua_pushvalue(L, strmeta - 2);     /* the chunk */

	oldhook = lua_gethook(L);
	oldmask = lua_gethookmask(L);
	oldcount = lua_gethookcount(L);
	h->config_active = true;
	h->config_hooks = 0;
	h->mem_refused = false;
	lua_sethook(L, config_hook, LUA_MASKCOUNT, CONFIG_HOOK_EVERY);
	h->limit = h->used + CONFIG_MEM_LIMIT;
	status = lua_pcall(L, 0, 1, 0);
	h->limit = INT64_MAX;
	refused = h->mem_refused;
	h->config_active = false;
	/* a SIGINT meanwhile put its own hook in: that one stays */
	if (lua_gethook(L) == config_hook)
		lua_sethook(L, oldhook, oldmask, oldcount);

	lua_pushvalue(L, strmeta + 1);
	lua_setfield(L, strmeta, "__index"); /* back to the host's */
	/* stack: chunk, sandbox, strmeta, string, result */
	if (status != LUA_OK) {
		if (status == LUA_ERRMEM || refused) {
			lua_pop(L, 1);
			lua_pushfstring(L,
			                "%s: config uses too much memory "
			                "(more than %d MiB)",
			                path, (int)(CONFIG_MEM_LIMIT >> 20));
		} else if (lua_type(L, -1) != LUA_TSTRING) {
			const char *tn = luaL_typename(L, -1);

			lua_pushfstring(L, "%s: config raised a %s value", path,
			                tn);
			lua_remove(L, -2);
		}
	} else if (!lua_istable(L, -1)) {
		const char *tn = luaL_typename(L, -1);

		lua_pushfstring(L, "%s: a config must return a table (got %s)",
		                path, tn);
		lua_remove(L, -2);
		status = LUA_ERRRUN;
	} else {
		const char *why;

		lua_newtable(L); /* seen */
		why = plain_copy(L, -2, lua_gettop(L), 0);
		if (why != NULL) {
			lua_pop(L, 2); /* seen, result */
			lua_pushfstring(
			        L,
			        "%s: a config holds only tables, strings, "
			        "numbers and booleans (found %s)",
			        path, why);
			status = LUA_ERRRUN;
		} else {
			lua_remove(L, -2); /* seen */
			lua_remove(L, -2); /* the original */
		}
	}
	lua_replace(L, strmeta - 2);
	lua_settop(L, strmeta - 2);
	if (status != LUA_OK) {
		luaL_pushfail(L);
		lua_insert(L, -2);
		return 2;
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* require "ipc.host.native" */

static int native_load_config(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);

	lua_settop(L, 1);
	return config_load(L, path);
}

static int native_pid(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)getpid());
	return 1;
}

/* Our executable's path into @buf, or false. */
static bool self_exe(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);

	if (n <= 0 || (size_t)n >= size - 1)
		return false;
	buf[n] = '\0';
	return true;
}

static bool in_build_tree(const char *exe);
static bool exe_to_prefix(char *exe);

/* The file this code was loaded from, resolved: the executable when the
 * host is linked in statically, libipc_host.so when it is shared. The
 * install prefix is two levels above either (bin/ipc, lib/libipc_host.so),
 * which /proc/self/exe alone cannot tell for a program that embeds the
 * shared library from elsewhere. */
static bool self_object(char *buf, size_t size)
{
	char resolved[PATH_MAX];
	Dl_info info;

	if (dladdr((void *)ipc_host_new, &info) == 0 ||
	    info.dli_fname == NULL || info.dli_fname[0] != '/' ||
	    realpath(info.dli_fname, resolved) == NULL)
		return self_exe(buf, size); /* the main program's entry */
	if (strlen(resolved) >= size)
		return false;
	strcpy(buf, resolved);
	return true;
}

static int native_exe(lua_State *L)
{
	char buf[PATH_MAX], bin[PATH_MAX + 64];

	if (self_object(buf, sizeof(buf))) {
		if (in_build_tree(buf)) {
#ifdef IPC_HOST_BUILD_DIR
			snprintf(bin, sizeof(bin), "%s/bin/ipc",
			         IPC_HOST_BUILD_DIR);
			if (access(bin, X_OK) == 0)
				goto found;
#endif
		} else if (exe_to_prefix(buf)) {
			snprintf(bin, sizeof(bin), "%s/" IPC_HOST_BINDIR "/ipc",
			         buf);
			if (access(bin, X_OK) == 0)
				goto found;
		}
	}
	if (!self_exe(bin, sizeof(bin))) {
		luaL_pushfail(L);
		return 1;
	}
found:
	lua_pushstring(L, bin);
	return 1;
}

static int native_getcwd(lua_State *L)
{
	char buf[PATH_MAX];

	if (getcwd(buf, sizeof(buf)) != NULL) {
		lua_pushstring(L, buf);
		return 1;
	}
	luaL_pushfail(L);
	lua_pushfstring(L, "getcwd: %s", strerror(errno));
	lua_pushinteger(L, errno);
	return 3;
}

/* subreaper(): orphans of the stages (a daemonised grandchild, the
 * background job of a shell stage) become the host's children rather
 * than init's, so the host can reap them and end them with the run. */
static int native_subreaper(lua_State *L)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
		luaL_pushfail(L);
		lua_pushfstring(L, "prctl: %s", strerror(errno));
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* children() -> {pid, ...}: our children now, read from every thread's
 * /proc children list (what adoption as a subreaper adds shows there). */
static int native_children(lua_State *L)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	lua_Integer n = 0;

	lua_newtable(L);
	if (d == NULL)
		return 1;
	while ((e = readdir(d)) != NULL) {
		char path[64];
		FILE *f;
		long pid;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.20s/children",
		         e->d_name);
		f = fopen(path, "re");
		if (f == NULL)
			continue;
		while (fscanf(f, "%ld", &pid) == 1) {
			lua_pushinteger(L, (lua_Integer)pid);
			lua_rawseti(L, -2, ++n);
		}
		fclose(f);
	}
	closedir(d);
	return 1;
}

/* reap(pid) -> true when @pid had ended and is now reaped; never waits. */
static int native_reap(lua_State *L)
{
	lua_Integer pid = luaL_checkinteger(L, 1);
	pid_t r;

	luaL_argcheck(L, pid > 0, 1, "a pid");
	do
		r = waitpid((pid_t)pid, NULL, WNOHANG);
	while (r < 0 && errno == EINTR);
	lua_pushboolean(L, r == (pid_t)pid);
	return 1;
}

/* stage_signature(sig) -> the canonical signature | nil, message: whether
 * @sig parses and suits a native stage (ipc_native_stage_check), for
 * config.lua, which has no other way to ask the core. */
static int native_stage_signature(lua_State *L)
{
	const char *sig = luaL_checkstring(L, 1);
	struct ipc_native_sig parsed;
	char canon[128]; /* 16 arguments of at most 4 letters, commas */
	ipc_status st;

	ipc_detail_clear();
	st = ipc_native_sig_parse(sig, &parsed);
	if (st == 0)
		st = ipc_native_stage_check(&parsed);
	if (st == 0)
		st = ipc_native_sig_format(&parsed, canon, sizeof(canon));
	if (st < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, ipc_detail()[0] != '\0' ? ipc_detail()
		                                          : ipc_strerror(st));
		return 2;
	}
	lua_pushstring(L, canon);
	return 1;
}

static const luaL_Reg native_funcs[] = {
        {"stage_signature", native_stage_signature},
        {"load_config", native_load_config},
        {"subreaper", native_subreaper},
        {"children", native_children},
        {"reap", native_reap},
        {"pid", native_pid},
        {"exe", native_exe},
        {"getcwd", native_getcwd},
        {NULL, NULL},
};

static int luaopen_native(lua_State *L)
{
	luaL_newlib(L, native_funcs);
	lua_pushfstring(L, "%s %s (%s)", PROGNAME, ipc_version(), LUA_RELEASE);
	lua_setfield(L, -2, "version");
	return 1;
}

/* ------------------------------------------------------------------ */
/* The state. */

/* Whether the executable at @exe is the one in the build tree (which then
 * takes its pure-Lua parts and Python package from the source and build
 * trees rather than from an install). */
static bool in_build_tree(const char *exe)
{
#ifdef IPC_HOST_BUILD_DIR
	char build[PATH_MAX];
	size_t n;

	return realpath(IPC_HOST_BUILD_DIR, build) != NULL &&
	       (n = strlen(build), strncmp(exe, build, n) == 0) &&
	       exe[n] == '/';
#else
	(void)exe;
	return false;
#endif
}

/* <prefix>/bin/ipc -> <prefix>, in place; false for a path too short. */
static bool exe_to_prefix(char *exe)
{
	int i;

	for (i = 0; i < 2; i++) {
		char *slash = strrchr(exe, '/');

		if (slash == NULL)
			return false;
		*slash = '\0';
	}
	return true;
}

/* package.path = [IPC_HOST_LUA_PATH | the source tree, for executables in
 * the build tree]; <prefix>/share/lua/5.4; the default. */
static void set_path(lua_State *L)
{
	const char *env = getenv("IPC_HOST_LUA_PATH");
	char exe[PATH_MAX];
	luaL_Buffer b;
	bool have_exe = self_object(exe, sizeof(exe));
	int pkg;

	lua_getglobal(L, LUA_LOADLIBNAME); /* below the buffer's slot */
	pkg = lua_gettop(L);
	luaL_buffinit(L, &b);
	if (env != NULL && env[0] != '\0') {
		luaL_addstring(&b, env);
		luaL_addchar(&b, ';');
	}
#ifdef IPC_HOST_SOURCE_LUA_DIR
	else if (have_exe && in_build_tree(exe)) {
		luaL_addstring(&b, IPC_HOST_SOURCE_LUA_DIR
		               "/?.lua;" IPC_HOST_SOURCE_LUA_DIR
		               "/?/init.lua;");
	}
#endif
	if (IPC_HOST_SHAREDIR[0] == '/') {
		luaL_addstring(&b, IPC_HOST_SHAREDIR "/?.lua;" IPC_HOST_SHAREDIR
		                                     "/?/init.lua;");
	} else if (have_exe && exe_to_prefix(exe)) {
		luaL_addstring(&b, exe);
		luaL_addstring(&b, "/" IPC_HOST_SHAREDIR "/?.lua;");
		luaL_addstring(&b, exe);
		luaL_addstring(&b, "/" IPC_HOST_SHAREDIR "/?/init.lua;");
	}
	lua_getfield(L, pkg, "path");
	luaL_addvalue(&b);
	luaL_pushresult(&b);
	lua_setfield(L, pkg, "path");
	lua_pop(L, 1);
}

/* Python stages run the interpreter the project was built for, with the
 * package on their path: from the build tree, or from the site directory
 * under the prefix when installed. The environment (IPC_HOST_PYTHON,
 * IPC_HOST_PYTHONPATH) overrides both; run.lua reads it. */
static void set_python_env(void)
{
#ifdef IPC_HOST_PYTHON_EXE
	char exe[PATH_MAX], path[PATH_MAX * 2];

	if (IPC_HOST_PYTHON_EXE[0] != '\0')
		setenv("IPC_HOST_PYTHON", IPC_HOST_PYTHON_EXE, 0);
	if (getenv("IPC_HOST_PYTHONPATH") != NULL ||
	    !self_object(exe, sizeof(exe)))
		return;
	if (in_build_tree(exe))
		snprintf(path, sizeof(path), "%s/python", IPC_HOST_BUILD_DIR);
	else if (exe_to_prefix(exe))
		snprintf(path, sizeof(path), "%s/%s", exe,
		         IPC_HOST_PYTHON_SITEDIR);
	else
		return;
	setenv("IPC_HOST_PYTHONPATH", path, 0);
#endif
}

static int pinit(lua_State *L)
{
	luaL_checkversion(L);
	luaL_openlibs(L);
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	lua_pushcfunction(L, luaopen_ipc);
	lua_setfield(L, -2, "ipc");
	lua_pushcfunction(L, luaopen_native);
	lua_setfield(L, -2, "ipc.host.native");
	lua_pop(L, 1);
	set_path(L);
	set_python_env();
	lua_gc(L, LUA_GCGEN, 0, 0);
	return 0;
}

static void set_errmsg(ipc_host *h, const char *msg)
{
	free(h->errmsg);
	h->errmsg = NULL;
	if (msg != NULL) {
		h->errmsg = strdup(msg);
		if (h->errmsg == NULL)
			h->errmsg = strdup("not enough memory");
	}
}

ipc_host *ipc_host_new(void)
{
	ipc_host *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->L = luaL_newstate();
	if (h->L == NULL) {
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	h->limit = INT64_MAX;
	h->alloc = lua_getallocf(h->L, &h->alloc_ud);
	lua_setallocf(h->L, host_alloc, h);
	lua_pushcfunction(h->L, pinit);
	if (lua_pcall(h->L, 0, 0, 0) != LUA_OK) {
		lua_close(h->L);
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	return h;
}

void ipc_host_free(ipc_host *h)
{
	if (h == NULL)
		return;
	lua_close(h->L);
	free(h->errmsg);
	free(h);
}

struct lua_State *ipc_host_lua(ipc_host *h)
{
	return h->L;
}

const char *ipc_host_errmsg(const ipc_host *h)
{
	return h->errmsg;
}

/* What prun does: a script (code == NULL) or a chunk. */
struct run {
	const char *progname; /* arg[-1], or NULL */
	const char *script;   /* NULL or "-": stdin */
	const char *code;     /* a chunk instead of a script */
	const char *chunkname;
	int argc;
	char **argv;
	int status; /* out */
};

/* In lua_pcall: load the script or chunk and run it with docall. Returns
 * the message on failure. */
static int prun(lua_State *L)
{
	struct run *r = lua_touserdata(L, 1);
	const char *fname = r->script;
	int n;

	lua_settop(L, 0);
	if (r->code != NULL) {
		r->status = luaL_loadbufferx(L, r->code, strlen(r->code),
		                             r->chunkname, "t");
	} else {
		if (fname != NULL && strcmp(fname, "-") == 0)
			fname = NULL;
		r->status = luaL_loadfile(L, fname);
	}
	if (r->status != LUA_OK)
		return 1;
	if (r->script != NULL || r->argc > 0 || r->progname != NULL)
		createargtable(L, r->progname, r->script ? r->script : "-e",
		               r->argc, r->argv);
	n = pushargs(L, r->argc, r->argv);
	r->status = docall(L, n, 0);
	return r->status == LUA_OK ? 0 : 1;
}

static int host_run(ipc_host *h, struct run *r)
{
	lua_State *L = h->L;
	int status;

	set_errmsg(h, NULL);
	r->status = LUA_OK;
	lua_pushcfunction(L, prun);
	lua_pushlightuserdata(L, r);
	status = lua_pcall(L, 1, 1, 0);
	if (status == LUA_OK)
		status = r->status;
	if (status != LUA_OK) {
		const char *msg = lua_tostring(L, -1);

		set_errmsg(h, msg ? msg : "(error object is not a string)");
	}
	lua_pop(L, 1);
	return status;
}

int ipc_host_dofile(ipc_host *h, const char *path, int argc, char **argv)
{
	struct run r = {
	        .script = path ? path : "-",
	        .argc = argc,
	        .argv = argv,
	};

	return host_run(h, &r);
}

int ipc_host_dostring(ipc_host *h, const char *code)
{
	struct run r = {.code = code, .chunkname = "=(string)"};

	return host_run(h, &r);
}

static int pload_config(lua_State *L)
{
	const char *path = lua_touserdata(L, 1);

	lua_settop(L, 0);
	return config_load(L, path);
}

int ipc_host_load_config(ipc_host *h, const char *path)
{
	lua_State *L = h->L;
	int status;

	set_errmsg(h, NULL);
	lua_pushcfunction(L, pload_config);
	lua_pushlightuserdata(L, (void *)path);
	status = lua_pcall(L, 1, 2, 0);
	if (status == LUA_OK && lua_istable(L, -2)) {
		lua_pop(L, 1);
		return 0;
	}
	set_errmsg(h, lua_tostring(L, -1) ? lua_tostring(L, -1)
	                                  : "not enough memory");
	lua_pop(L, status == LUA_OK ? 2 : 1);
	return -1;
}

/* ------------------------------------------------------------------ */
/* The worker of a native stage: `ipc __native-stage LIB FN SIG`. */

/* How long the worker waits to open an endpoint (a socket link connects
 * to the host's relay, which listens before any stage starts). */
#define NATIVE_OPEN_TIMEOUT_MS 30000

/* "ipc: native stage FN: what failed: strerror (detail)" on stderr. */
static int native_stage_fail(const char *fn, const char *what, ipc_status st)
{
	const char *detail = ipc_detail();

	fprintf(stderr, PROGNAME ": native stage %s: %s: %s%s%s%s\n", fn, what,
	        ipc_strerror(st), detail[0] != '\0' ? " (" : "", detail,
	        detail[0] != '\0' ? ")" : "");
	return EXIT_FAILURE;
}

/* A stage with ready = true gets IPC_READY_FD (run.lua, "Readiness"):
 * with the library loaded and the endpoints open, the worker is ready, and
 * closing the descriptor says so. */
static void native_stage_ready(void)
{
	const char *v = getenv("IPC_READY_FD");
	char *end;
	long fd;

	if (v == NULL || v[0] == '\0')
		return;
	errno = 0;
	fd = strtol(v, &end, 10);
	if (errno == 0 && *end == '\0' && fd > 2 && fd <= INT_MAX)
		close((int)fd);
}

/*
 * The whole worker, before any Lua state exists: the host (run.lua) runs
 * it as a stage of its own, so a function that crashes takes down this
 * process only, and the host reports the signal as for any stage. The
 * endpoints "in" (required) and "out" (absent for a sink) come from
 * IPC_ENDPOINTS, as for lua and python stages.
 */
static int native_stage_main(int argc, char **argv)
{
	const char *lib, *fn, *sig;
	char url[4096];
	ipc_native *f = NULL;
	ipc_chan *in = NULL, *out = NULL;
	uint64_t stats[2];
	ipc_status st;
	int code;

	if (argc != 5) {
		fprintf(stderr, "usage: " PROGNAME " __native-stage LIB FN SIG "
		                "(run by the host for a native stage)\n");
		return 2;
	}
	lib = argv[2];
	fn = argv[3];
	sig = argv[4];
	/* The library first: a missing one fails before any wait. */
	ipc_detail_clear();
	st = ipc_native_open(&f, lib, fn, sig);
	if (st < 0)
		return native_stage_fail(fn, lib, st);
	ipc_detail_clear();
	st = ipc_endpoint_open(&in, "in", IPC_O_READ,
	                       ipc_deadline_in_ms(NATIVE_OPEN_TIMEOUT_MS));
	if (st < 0) {
		code = native_stage_fail(fn, "endpoint \"in\"", st);
		goto out;
	}
	ipc_detail_clear();
	st = ipc_endpoint_lookup(NULL, "out", url, sizeof(url));
	if (st != -ENOENT) {
		ipc_detail_clear();
		st = ipc_endpoint_open(
		        &out, "out", IPC_O_WRITE,
		        ipc_deadline_in_ms(NATIVE_OPEN_TIMEOUT_MS));
		if (st < 0) {
			code = native_stage_fail(fn, "endpoint \"out\"", st);
			goto out;
		}
	}
	native_stage_ready();
	/* A signal that does not end us (SIGCONT after a stop) only
	 * interrupts a wait: go on. */
	do {
		ipc_detail_clear();
		st = ipc_native_stage_run(f, in, out, stats);
	} while (st == -EINTR);
	code = st < 0 ? native_stage_fail(fn, "run", st) : EXIT_SUCCESS;
out:
	ipc_chan_close(out);
	ipc_chan_close(in);
	ipc_native_close(f);
	return code;
}

/* ------------------------------------------------------------------ */
/* The command line. */

static void print_usage(FILE *f)
{
	fprintf(f,
	        "usage: " PROGNAME " COMMAND [ARGS...]\n"
	        "  " PROGNAME " run CONFIG       run a pipeline config\n"
	        "  " PROGNAME " check CONFIG     validate a config\n"
	        "  " PROGNAME " graph CONFIG     print the pipeline as DOT\n"
	        "  " PROGNAME " ls               list live IPC objects\n"
	        "  " PROGNAME " gc               remove what dead hosts left\n"
	        "  " PROGNAME
	        " SCRIPT.lua ARGS  run a Lua script (ipc preloaded;"
	        " - reads stdin)\n"
	        "  " PROGNAME " -e CODE ARGS     run a chunk of Lua\n"
	        "  " PROGNAME " --version        print the version\n"
	        "  " PROGNAME " help             this text\n");
	fflush(f);
}

static bool is_script(const char *w)
{
	size_t n = strlen(w);

	return strchr(w, '/') != NULL ||
	       (n > 4 && strcmp(w + n - 4, ".lua") == 0);
}

/* Whether ipc.host.cli is on package.path. */
static bool have_cli(lua_State *L)
{
	bool found;

	lua_getglobal(L, LUA_LOADLIBNAME);
	lua_getfield(L, -1, "searchpath");
	lua_pushliteral(L, "ipc.host.cli");
	lua_getfield(L, -3, "path");
	lua_call(L, 2, 1);
	found = !lua_isnil(L, -1);
	lua_pop(L, 2);
	return found;
}

/* A host command: require("ipc.host.cli").main(args). Returns the exit
 * status. */
static int run_command(lua_State *L, int argc, char **argv)
{
	int i, status, code;

	if (!have_cli(L)) {
		lua_pushfstring(
		        L, "unknown command '%s' (try '" PROGNAME " help')",
		        argv[1]);
		l_message(PROGNAME, lua_tostring(L, -1));
		lua_pop(L, 1);
		return 2;
	}
	createargtable(L, NULL, argv[0], argc - 1, argv + 1);
	/* require("ipc.host.cli").main(args), all under docall */
	lua_getglobal(L, "require");
	lua_pushliteral(L, "ipc.host.cli");
	status = docall(L, 1, 1);
	if (status == LUA_OK) {
		if (lua_getfield(L, -1, "main") != LUA_TFUNCTION) {
			lua_pop(L, 2);
			l_message(PROGNAME,
			          "ipc.host.cli has no main function");
			return 1;
		}
		lua_remove(L, -2);
		lua_createtable(L, argc - 1, 1);
		for (i = 0; i < argc; i++) {
			lua_pushstring(L, argv[i]);
			lua_rawseti(L, -2, i);
		}
		status = docall(L, 1, 1);
	}
	if (report(L, status) != LUA_OK)
		return 1;
	if (lua_isinteger(L, -1))
		code = (int)lua_tointeger(L, -1);
	else if (lua_isnil(L, -1))
		code = 0;
	else if (lua_isboolean(L, -1))
		code = lua_toboolean(L, -1) ? 0 : 1;
	else
		code = 1;
	lua_pop(L, 1);
	return code;
}

/* Run a script (code == NULL) or a chunk, reporting errors; the exit
 * status. */
static int run_chunk(lua_State *L, const char *script, const char *code,
                     int argc, char **argv, const char *progname)
{
	struct run r = {
	        .progname = progname,
	        .script = script,
	        .code = code,
	        .chunkname = "=(command line)",
	        .argc = argc,
	        .argv = argv,
	};

	lua_pushcfunction(L, prun);
	lua_pushlightuserdata(L, &r);
	lua_call(L, 1, 1);
	if (report(L, r.status) != LUA_OK)
		return 1;
	lua_pop(L, 1);
	return 0;
}

/* In lua_pcall: the whole CLI. Returns the exit status. */
static int pmain(lua_State *L)
{
	int argc = (int)lua_tointeger(L, 1);
	char **argv = lua_touserdata(L, 2);
	const char *a1 = argc > 1 ? argv[1] : NULL;
	int code;

	lua_settop(L, 0);
	if (a1 == NULL) {
		print_usage(stderr);
		code = 2;
	} else if (strcmp(a1, "--version") == 0 || strcmp(a1, "-v") == 0) {
		lua_writestring(PROGNAME " ", strlen(PROGNAME) + 1);
		lua_writestring(ipc_version(), strlen(ipc_version()));
		lua_writestring(" (" LUA_RELEASE ")\n",
		                strlen(" (" LUA_RELEASE ")\n"));
		fflush(stdout);
		code = 0;
	} else if (strcmp(a1, "help") == 0 || strcmp(a1, "--help") == 0 ||
	           strcmp(a1, "-h") == 0) {
		/* the commands' own help when they are there */
		if (have_cli(L)) {
			code = run_command(L, argc, argv);
		} else {
			print_usage(stdout);
			code = 0;
		}
	} else if (strcmp(a1, "-e") == 0) {
		if (argc < 3) {
			l_message(PROGNAME, "'-e' needs an argument");
			print_usage(stderr);
			code = 2;
		} else {
			code = run_chunk(L, NULL, argv[2], argc - 3, argv + 3,
			                 argv[0]);
		}
	} else if (strcmp(a1, "-") == 0 || is_script(a1)) {
		code = run_chunk(L, a1, NULL, argc - 2, argv + 2, argv[0]);
	} else if (a1[0] == '-') {
		lua_pushfstring(L, "unrecognized option '%s'", a1);
		l_message(PROGNAME, lua_tostring(L, -1));
		print_usage(stderr);
		code = 2;
	} else {
		code = run_command(L, argc, argv);
	}
	lua_pushinteger(L, code);
	return 1;
}

int ipc_host_main(int argc, char **argv)
{
	ipc_host *h;
	lua_State *L;
	int status, code = 1;

	/* Hidden: no Lua state, nothing but the stage loop in the worker. */
	if (argc > 1 && strcmp(argv[1], "__native-stage") == 0)
		return native_stage_main(argc, argv);
	h = ipc_host_new();
	if (h == NULL) {
		l_message(PROGNAME, "cannot create state: not enough memory");
		return EXIT_FAILURE;
	}
	L = h->L;
	lua_pushcfunction(L, pmain);
	lua_pushinteger(L, argc);
	lua_pushlightuserdata(L, argv);
	status = lua_pcall(L, 2, 1, 0);
	if (status == LUA_OK)
		code = (int)lua_tointeger(L, -1);
	else
		report(L, status);
	ipc_host_free(h);
	return code;
}
