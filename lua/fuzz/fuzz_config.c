/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config.c - fuzz target 4 (RELIABILITY.md 3.4): host configs.
 *
 * The input is the text of a pipeline config. It is written to
 * pipeline.lua in a directory of this process's own (made once, under
 * $TMPDIR or /tmp, removed at exit; it also holds a few empty stage
 * scripts, so that configs naming them can validate) and goes through
 * the host as `ipc check` takes it:
 *
 *  1. ipc_host_load_config() (the sandbox: text only, 64 MiB, 10^8
 *     instructions) returns 0 with one table pushed, or -1 with nothing
 *     pushed and an ipc_host_errmsg() (the config's own message when it
 *     raised one: error("", 0) gives ""); either way the stack is
 *     otherwise untouched and the strings' metatable indexes the host's
 *     own string table again.
 *  2. A table goes to require("ipc.host.config").validate(tbl, path,
 *     text), under lua_pcall, in the same state. It must return (never
 *     raise) either a plan {stages = non-empty list, links = list} or nil
 *     and a non-empty list of strings, each "path:..." (the config's
 *     path, then a colon). validate runs outside the sandbox, so a config
 *     that returns tables with metamethods runs code there too: the
 *     target caps validate at VALIDATE_MAX_INSNS instructions and
 *     VALIDATE_MAX_MEM bytes and fails when it gets there.
 *  3. After a full collection the host's memory is back near what it was
 *     before the first input (nothing of a config stays in the state).
 *
 * Any failed check prints what went wrong and aborts. One host serves
 * every input (IPC_FUZZ_CONFIG_FRESH=1 in the environment: a new host for
 * each input, slower, for checking that a finding does not depend on
 * what ran before).
 *
 * Coverage: libFuzzer sees ipc_host.c and this file, not the Lua VM
 * (liblua is the system's) nor config.lua. So while validate runs, a
 * line hook counts (source, previous line, line) edges into libFuzzer's
 * extra counters: the pure-Lua validator guides the search too.
 *
 * The host finds ipc/host/config.lua as the `ipc` command does in a build
 * tree (the executable is under the build directory) or through
 * IPC_HOST_LUA_PATH; IPC_FUZZ_LUA_DIR (the source tree's lua/, a compile
 * definition) is put in front when IPC_HOST_LUA_PATH is not set.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "ipc/host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* validate's budget: ten times the config's own (it does more per
 * element than a config that builds the table in a loop). */
#define VALIDATE_HOOK_EVERY 1000
#define VALIDATE_MAX_HOOKS  1000000L /* 10^9 instructions */
#define VALIDATE_MAX_MEM    ((int64_t)512 << 20)
/* What a state may keep between inputs beyond its size after the first
 * (caches, interned strings, the GC's pace). */
#define STATE_SLACK  ((int64_t)4 << 20)
#define FZ_BLOCK_MAX ((size_t)64 << 20)

#define FZ_CHECK(c, ...)                                                       \
	do {                                                                   \
		if (!(c))                                                      \
			fz_fail(__LINE__, #c, __VA_ARGS__);                    \
	} while (0)

static void fz_fail(int line, const char *what, const char *fmt, ...)
        __attribute__((noreturn, format(printf, 3, 4)));

static void fz_fail(int line, const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_config.c:%d: check failed: %s: ", line, what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* ------------------------------------------------------------------ */
/* Lua-level coverage for libFuzzer (ignored elsewhere). */

#define FZ_COUNTERS 65536
__attribute__((used, section("__libfuzzer_extra_counters"))) static uint8_t
        fz_counters[FZ_COUNTERS];

/* ------------------------------------------------------------------ */
/* The state of the process. */

static ipc_host *host;
static bool fresh;
static char dir[4096];
static char path[4096 + 32];

/* The allocator around the host's (same ud): counts, and caps validate. */
static lua_Alloc host_allocf;
static void *host_alloc_ud;
static int64_t used;
static int64_t cap = INT64_MAX;
static bool cap_hit;

/* validate's hook */
static long hooks;
static bool insn_hit;
static uintptr_t prev_edge;

static const char *const scripts[] = {
        "filter.lua", "sink.py", "produce.lua", "collect.lua",
        "work.py",    "gen.sh",  "count.lua",   "x.lua",
        "a.lua",      "w.py",    "sub/w.py",    NULL,
};

static void cleanup(void)
{
	const char *const *s;
	char p[sizeof(path)];

	if (dir[0] == '\0')
		return;
	for (s = scripts; *s; s++) {
		snprintf(p, sizeof(p), "%s/%s", dir, *s);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/sub", dir);
	rmdir(p);
	unlink(path);
	rmdir(dir);
}

static void setup_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	const char *const *s;
	char p[sizeof(path)];
	int fd;

	if (tmp == NULL || tmp[0] != '/')
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/ipc-fuzz-config-XXXXXX", tmp);
	FZ_CHECK(mkdtemp(dir) != NULL, "mkdtemp %s: %s", dir, strerror(errno));
	atexit(cleanup);
	snprintf(p, sizeof(p), "%s/sub", dir);
	FZ_CHECK(mkdir(p, 0700) == 0, "%s: %s", p, strerror(errno));
	for (s = scripts; *s; s++) {
		snprintf(p, sizeof(p), "%s/%s", dir, *s);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		FZ_CHECK(fd >= 0, "%s: %s", p, strerror(errno));
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/pipeline.lua", dir);
}

static void write_input(const uint8_t *data, size_t size)
{
	size_t done = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FZ_CHECK(fd >= 0, "%s: %s", path, strerror(errno));
	while (done < size) {
		n = write(fd, data + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		FZ_CHECK(n > 0, "write %s: %s", path, strerror(errno));
		done += (size_t)n;
	}
	close(fd);
}

static void *fz_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	int64_t old = ptr != NULL ? (int64_t)osize : 0;
	void *p;

	/* libFuzzer's -malloc_limit_mb=64 (core/fuzz/run_fuzzer.cmake) fails
	 * a single block of 64 MiB, which the sandbox's cap allows (it
	 * refuses only more): refuse it here, as the cap would the next
	 * byte. */
	if (nsize >= FZ_BLOCK_MAX && (int64_t)nsize > old) {
		if (cap != INT64_MAX)
			cap_hit = true;
		return NULL;
	}
	if ((int64_t)nsize > old && cap != INT64_MAX &&
	    (nsize > (size_t)VALIDATE_MAX_MEM ||
	     used + ((int64_t)nsize - old) > cap)) {
		cap_hit = true;
		return NULL;
	}
	p = host_allocf(ud, ptr, osize, nsize);
	if (p == NULL && nsize != 0)
		return NULL;
	used += (int64_t)nsize - old;
	return p;
}

static void new_host(void)
{
	const char *env = getenv("IPC_HOST_LUA_PATH");
	lua_State *L;

#ifdef IPC_FUZZ_LUA_DIR
	if (env == NULL || env[0] == '\0') {
		setenv("IPC_HOST_LUA_PATH",
		       IPC_FUZZ_LUA_DIR "/?.lua;" IPC_FUZZ_LUA_DIR
		                        "/?/init.lua",
		       1);
	}
#endif
	(void)env;
	host = ipc_host_new();
	FZ_CHECK(host != NULL, "ipc_host_new: %s", strerror(errno));
	L = ipc_host_lua(host);
	host_allocf = lua_getallocf(L, &host_alloc_ud);
	used = lua_gc(L, LUA_GCCOUNT, 0) * (int64_t)1024 +
	       lua_gc(L, LUA_GCCOUNTB, 0);
	/* The host finds itself through the allocator's ud (host_of() in
	 * ipc_host.c): keep it. */
	lua_setallocf(L, fz_alloc, host_alloc_ud);
}

/* ------------------------------------------------------------------ */
/* validate, under lua_pcall. */

static void validate_hook(lua_State *L, lua_Debug *ar)
{
	if (ar->event == LUA_HOOKLINE) {
		uintptr_t src = 0, edge;

		if (lua_getinfo(L, "S", ar))
			src = (uintptr_t)ar->source;
		edge = (src >> 4) * 2654435761u ^ (uintptr_t)ar->currentline;
		fz_counters[(edge ^ (prev_edge << 1)) % FZ_COUNTERS]++;
		prev_edge = edge;
		return;
	}
	if (++hooks < VALIDATE_MAX_HOOKS)
		return;
	insn_hit = true;
	lua_sethook(L, validate_hook, LUA_MASKCOUNT, 1);
	luaL_error(L, "validate ran past %d instructions",
	           (int)(VALIDATE_MAX_HOOKS * VALIDATE_HOOK_EVERY));
}

static int msghandler(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	if (msg == NULL)
		msg = lua_pushfstring(L, "(error object is a %s value)",
		                      luaL_typename(L, 1));
	luaL_traceback(L, L, msg, 1);
	return 1;
}

/* pvalidate(tbl, path, text) -> plan, errors */
static int pvalidate(lua_State *L)
{
	lua_getglobal(L, "require");
	lua_pushliteral(L, "ipc.host.config");
	lua_call(L, 1, 1);
	lua_getfield(L, -1, "validate");
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 2);
	lua_pushvalue(L, 3);
	hooks = 0;
	prev_edge = 0;
	lua_sethook(L, validate_hook, LUA_MASKCOUNT | LUA_MASKLINE,
	            VALIDATE_HOOK_EVERY);
	lua_call(L, 3, 2);
	lua_sethook(L, NULL, 0, 0);
	return 2;
}

/* The plan or the errors at -2, -1. */
static void check_result(lua_State *L)
{
	int plan = lua_gettop(L) - 1, errs = plan + 1;
	size_t plen = strlen(path);
	lua_Integer i, n;

	if (!lua_isnil(L, plan)) {
		FZ_CHECK(lua_istable(L, plan) && lua_isnil(L, errs),
		         "validate gave %s, %s", luaL_typename(L, plan),
		         luaL_typename(L, errs));
		FZ_CHECK(lua_getfield(L, plan, "stages") == LUA_TTABLE,
		         "plan.stages is %s", luaL_typename(L, -1));
		n = (lua_Integer)lua_rawlen(L, -1);
		FZ_CHECK(n >= 1, "plan.stages has %lld stages", (long long)n);
		for (i = 1; i <= n; i++) {
			FZ_CHECK(lua_rawgeti(L, -1, i) == LUA_TTABLE,
			         "plan.stages[%lld] is %s", (long long)i,
			         luaL_typename(L, -1));
			FZ_CHECK(lua_getfield(L, -1, "name") == LUA_TSTRING,
			         "plan.stages[%lld].name is %s", (long long)i,
			         luaL_typename(L, -1));
			lua_pop(L, 2);
		}
		lua_pop(L, 1);
		FZ_CHECK(lua_getfield(L, plan, "links") == LUA_TTABLE,
		         "plan.links is %s", luaL_typename(L, -1));
		lua_pop(L, 1);
		return;
	}
	FZ_CHECK(lua_istable(L, errs), "validate gave nil, %s",
	         luaL_typename(L, errs));
	n = (lua_Integer)lua_rawlen(L, errs);
	FZ_CHECK(n >= 1, "validate gave nil and no error");
	for (i = 1; i <= n; i++) {
		const char *e;

		FZ_CHECK(lua_rawgeti(L, errs, i) == LUA_TSTRING,
		         "error %lld is %s", (long long)i,
		         luaL_typename(L, -1));
		e = lua_tostring(L, -1);
		FZ_CHECK(strncmp(e, path, plen) == 0 && e[plen] == ':',
		         "error %lld does not start with the path: %s",
		         (long long)i, e);
		lua_pop(L, 1);
	}
}

/* getmetatable("").__index == string */
static void check_string_meta(lua_State *L)
{
	int top = lua_gettop(L);

	lua_pushliteral(L, "");
	FZ_CHECK(lua_getmetatable(L, -1), "strings lost their metatable%s", "");
	lua_getfield(L, -1, "__index");
	lua_getglobal(L, "string");
	FZ_CHECK(lua_rawequal(L, -1, -2),
	         "the strings' __index is not the host's string table%s", "");
	lua_settop(L, top);
}

static int64_t baseline = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lua_State *L;
	int top, rc, status;
	const char *msg;

	if (dir[0] == '\0') {
		fresh = getenv("IPC_FUZZ_CONFIG_FRESH") != NULL;
		setup_dir();
	}
	write_input(data, size);
	if (host == NULL)
		new_host();
	L = ipc_host_lua(host);
	top = lua_gettop(L);

	rc = ipc_host_load_config(host, path);
	msg = ipc_host_errmsg(host);
	check_string_meta(L);
	if (rc != 0) {
		FZ_CHECK(rc == -1, "ipc_host_load_config gave %d", rc);
		FZ_CHECK(lua_gettop(L) == top, "%d values left on the stack",
		         lua_gettop(L) - top);
		/* not necessarily non-empty: error("\0...", 0) */
		FZ_CHECK(msg != NULL, "a failed load without a message%s", "");
	} else {
		FZ_CHECK(msg == NULL, "a load that worked left a message: %s",
		         msg);
		FZ_CHECK(lua_gettop(L) == top + 1 && lua_istable(L, -1),
		         "after a load: %d values, top %s", lua_gettop(L) - top,
		         luaL_typename(L, -1));
		lua_pushcfunction(L, msghandler);
		lua_pushcfunction(L, pvalidate);
		lua_pushvalue(L, -3);
		lua_pushstring(L, path);
		lua_pushlstring(L, (const char *)data, size);
		insn_hit = false;
		cap_hit = false;
		cap = used + VALIDATE_MAX_MEM;
		status = lua_pcall(L, 3, 2, top + 2);
		cap = INT64_MAX;
		lua_sethook(L, NULL, 0, 0);
		FZ_CHECK(!insn_hit, "validate runs away: %s",
		         lua_tostring(L, -1));
		FZ_CHECK(!cap_hit && status != LUA_ERRMEM,
		         "validate used more than %d MiB",
		         (int)(VALIDATE_MAX_MEM >> 20));
		FZ_CHECK(status == LUA_OK, "validate raised: %s",
		         lua_tostring(L, -1) ? lua_tostring(L, -1)
		                             : "(not a string)");
		check_result(L);
	}
	lua_settop(L, top);
	lua_gc(L, LUA_GCCOLLECT, 0);

	if (fresh) {
		ipc_host_free(host);
		host = NULL;
		return 0;
	}
	/* The first input loaded config.lua: the state's size after it is
	 * the baseline. */
	if (baseline < 0) {
		baseline = used;
	} else {
		/* A full collection halves the strings' hash table at most (a
		 * config that made millions of short strings grew it): a few
		 * more before calling it a leak. */
		for (int i = 0; i < 16 && used > baseline + STATE_SLACK; i++)
			lua_gc(L, LUA_GCCOLLECT, 0);
		FZ_CHECK(used <= baseline + STATE_SLACK,
		         "the host grew from %lld to %lld bytes",
		         (long long)baseline, (long long)used);
	}
	return 0;
}

/* Configs allocate up to 64 MiB and free it, input after input: ASan's
 * default 256 MiB quarantine and its allocator's caches then take the
 * process past libFuzzer's -rss_limit_mb=2048. ASAN_OPTIONS overrides. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16:allocator_release_to_os_interval_ms=500";
}
