/* SPDX-License-Identifier: MIT */
/*
 * embed_consumer - a C program that embeds the installed ipc host
 * (libipc_host.so through pkg-config ipc-host), built outside the prefix:
 * the module is preloaded, and `ipc run` works from the library, with a
 * `lua` stage (which needs the prefix's bin/ipc) feeding a `cmd` stage.
 * Usage: embed_consumer CONFIG
 */
#include <stdio.h>
#include <string.h>

#include <lua.h>

#include <ipc/host.h>

int main(int argc, char **argv)
{
	char *run[] = {"ipc", "run", "--quiet", NULL, NULL};
	ipc_host *h;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: embed_consumer CONFIG\n");
		return 2;
	}
	h = ipc_host_new();
	if (h == NULL)
		return 1;
	if (ipc_host_dostring(h, "local ipc = require 'ipc'\n"
	                         "local r <close>, w = ipc.pipe()\n"
	                         "assert(w:send('embedded', 5))\n"
	                         "assert(r:recv(5) == 'embedded')\n"
	                         "w:close()\n") != 0) {
		fprintf(stderr, "embed_consumer: %s\n", ipc_host_errmsg(h));
		ipc_host_free(h);
		return 1;
	}
	ipc_host_free(h);
	run[3] = argv[1];
	rc = ipc_host_main(4, run);
	printf("embed_consumer: ipc run exited %d\n", rc);
	return rc;
}
