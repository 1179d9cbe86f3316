/* SPDX-License-Identifier: MIT */
/*
 * embed_host - a C program that embeds the ipc host (ipc/host.h): a Lua
 * state with the ipc module preloaded. It runs a chunk that sends a
 * message through a pipe and reads it back, reads the chunk's result
 * from the Lua state, and shows how an error comes back: a status and a
 * message with a traceback, and loads a config in the host's sandbox.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <lua.h>

#include <ipc/host.h>

static const char chunk[] = "local ipc = require 'ipc'\n"
                            "local r <close>, w = ipc.pipe()\n"
                            "local _w <close> = w\n"
                            "assert(w:send('hello from Lua in C', 5))\n"
                            "local msg = assert(r:recv(5))\n"
                            "assert(msg == 'hello from Lua in C', msg)\n"
                            "result = msg .. ' (ipc ' .. ipc.version .. ')'\n";

int main(void)
{
	ipc_host *h = ipc_host_new();
	lua_State *L;
	char path[64];
	FILE *f;
	int rc = 1;

	if (h == NULL) {
		fprintf(stderr, "embed_host: no memory for a host\n");
		return 1;
	}
	if (ipc_host_dostring(h, chunk) != 0) {
		fprintf(stderr, "embed_host: %s\n", ipc_host_errmsg(h));
		goto out;
	}
	L = ipc_host_lua(h);
	lua_getglobal(L, "result");
	printf("round trip: %s\n", lua_tostring(L, -1));
	lua_pop(L, 1);

	/* A failing chunk: a status, and the message with a traceback. */
	if (ipc_host_dostring(h, "error('on purpose')") == 0 ||
	    strstr(ipc_host_errmsg(h), "on purpose") == NULL) {
		fprintf(stderr, "embed_host: the error did not come back\n");
		goto out;
	}
	printf("an error comes back as: %s\n", ipc_host_errmsg(h));

	/* A config: loaded as text in its own sandbox, the table on top. */
	snprintf(path, sizeof(path), "/tmp/embed_host-%ld.lua", (long)getpid());
	f = fopen(path, "w");
	if (f == NULL || fputs("return {name = 'demo', n = 6 * 7}\n", f) < 0 ||
	    fclose(f) != 0) {
		perror(path);
		goto out;
	}
	if (ipc_host_load_config(h, path) != 0) {
		fprintf(stderr, "embed_host: %s\n", ipc_host_errmsg(h));
		remove(path);
		goto out;
	}
	remove(path);
	lua_getfield(L, -1, "name");
	lua_getfield(L, -2, "n");
	printf("config: name=%s n=%d\n", lua_tostring(L, -2),
	       (int)lua_tointeger(L, -1));
	lua_pop(L, 3);
	rc = 0;
out:
	ipc_host_free(h);
	return rc;
}
