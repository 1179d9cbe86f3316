/* SPDX-License-Identifier: MIT */
/*
 * ipc/host.h - the ipc host, embeddable: a Lua 5.4 state with the ipc
 * module preloaded, the host's pure-Lua parts on its package.path, and the
 * sandboxed config loader.
 *
 * The `ipc` command is ipc_host_main() and nothing else; a C program that
 * wants the same runtime makes a host, runs scripts or chunks in it, and
 * frees it:
 *
 *	ipc_host *h = ipc_host_new();
 *	if (h == NULL || ipc_host_dostring(h, "require 'ipc' ...") != 0)
 *		fprintf(stderr, "%s\n", h ? ipc_host_errmsg(h) : "no memory");
 *	ipc_host_free(h);
 *
 * Like lua.c, every chunk runs under lua_pcall with a message handler that
 * adds a traceback, and a SIGINT handler is installed for the length of
 * the call (the previous disposition is restored afterwards) that only
 * asks the state to raise "interrupted!" (a blocking call of the module
 * that the signal interrupts raises it at once).
 *
 * In a host, require "ipc" gives the module (package.preload, no ipc.so
 * needed) and require "ipc.host.native" gives the host's own functions
 * (load_config, pid, exe). package.path starts with $IPC_HOST_LUA_PATH when
 * set; then share/lua/5.4 under the prefix of the running executable
 * (/proc/self/exe, one directory up from bin/); then, for executables in
 * the build tree, the source tree's lua/ directory.
 *
 * A host is one Lua state: use it from one thread at a time. Link the
 * program with the Lua 5.4 library (the host does not bundle it).
 */
#ifndef IPC_HOST_H
#define IPC_HOST_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_host ipc_host;
struct lua_State;

/**
 * ipc_host_new() - Make a host: a Lua state with the standard libraries,
 * the module preloaded and the host's package.path.
 *
 * Return: the host, or NULL when memory ran out (errno ENOMEM).
 */
ipc_host *ipc_host_new(void);

/**
 * ipc_host_free() - Close the host's Lua state (every pending __gc and
 * __close runs) and free the host.
 * @h: the host, or NULL (nothing happens).
 */
void ipc_host_free(ipc_host *h);

/**
 * ipc_host_dofile() - Run a Lua script, as `lua path args...` would.
 * @h:    the host.
 * @path: the script; NULL or "-" reads standard input.
 * @argc: how many strings @argv holds.
 * @argv: the script's arguments: arg[1] .. arg[argc] (arg[0] is @path),
 *        also passed to the chunk as `...`. May be NULL when @argc is 0.
 *
 * Return: 0 when the script ran to its end, otherwise the Lua status
 * (LUA_ERRSYNTAX, LUA_ERRRUN, LUA_ERRMEM, LUA_ERRFILE...); the message,
 * with a traceback for run-time errors, is in ipc_host_errmsg().
 */
int ipc_host_dofile(ipc_host *h, const char *path, int argc, char **argv);

/**
 * ipc_host_dostring() - Run a chunk of Lua source (never bytecode).
 * @h:    the host.
 * @code: the chunk, named "=(string)" in messages.
 *
 * Return: 0 when the chunk ran to its end, otherwise the Lua status; the
 * message is in ipc_host_errmsg().
 */
int ipc_host_dostring(ipc_host *h, const char *code);

/**
 * ipc_host_load_config() - Load a host config in the sandbox and leave the
 * table it returns on top of the stack of ipc_host_lua(@h).
 * @h:    the host.
 * @path: the config file.
 *
 * The config is loaded as text only (bytecode is refused), in an
 * environment of its own that has no io, no os other than getenv, time,
 * clock and date, no require, dofile, loadfile, collectgarbage, debug or
 * string.dump, and a load() that takes text only. It may allocate at most
 * 64 MiB and run at most 10^8 VM instructions. This is what
 * require("ipc.host.native").load_config(path) does on the Lua side.
 *
 * Return: 0 with the table pushed, or -1 with nothing pushed and the
 * message ("path:line: message") in ipc_host_errmsg().
 */
int ipc_host_load_config(ipc_host *h, const char *path);

/**
 * ipc_host_errmsg() - The message of the last call that failed.
 * @h: the host.
 *
 * Return: the message (valid until the next call on @h), or NULL when the
 * last ipc_host_dofile(), ipc_host_dostring() or ipc_host_load_config()
 * succeeded.
 */
const char *ipc_host_errmsg(const ipc_host *h);

/**
 * ipc_host_lua() - The host's Lua state, borrowed: to add globals, read
 * results or set package.path before running code.
 * @h: the host.
 *
 * Return: the state, which lives until ipc_host_free().
 */
struct lua_State *ipc_host_lua(ipc_host *h);

/**
 * ipc_host_main() - The `ipc` command line, in a host of its own.
 * @argc: as main()'s.
 * @argv: as main()'s: argv[0] is the program, then the command:
 *        `SCRIPT.lua args...` (or `-` for standard input), `-e CODE
 *        args...`, `--version`, `help`, or a host command (`run CONFIG`,
 *        `check`, `graph`, `ls`, `gc`...) that the pure-Lua module
 *        ipc.host.cli carries out.
 *
 * Errors are reported on standard error as "ipc: message".
 *
 * Return: the exit status: 0 on success, 1 when a script or command
 * failed, 2 on a usage error, or what the command asked for.
 */
int ipc_host_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif /* IPC_HOST_H */
