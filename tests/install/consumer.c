/* SPDX-License-Identifier: MIT */
/*
 * A user's program against an installed ipc: strict C11, no _GNU_SOURCE,
 * built with the flags pkg-config (or find_package(ipc)) gives.
 */
#include <stdio.h>
#include <string.h>

#include <ipc/ipc.h>

int main(void)
{
	ipc_pipe *rd;
	ipc_pipe *wr;
	ipc_status st;
	char buf[32];
	size_t n;

	st = ipc_pipe_open(&rd, &wr, 0);
	if (st) {
		fprintf(stderr, "ipc_pipe_open: %s\n", ipc_strerror(st));
		return 1;
	}
	st = ipc_pipe_write(wr, "installed", 9, &n, ipc_deadline_in_ms(1000));
	if (!st)
		st = ipc_pipe_read(rd, buf, sizeof(buf) - 1, &n,
		                   ipc_deadline_in_ms(1000));
	ipc_pipe_close(rd);
	ipc_pipe_close(wr);
	if (st) {
		fprintf(stderr, "pipe: %s (%s)\n", ipc_strerror(st),
		        ipc_errname(st));
		return 1;
	}
	buf[n] = '\0';
	if (strcmp(buf, "installed") != 0)
		return 1;
	printf("libipc %s: pipe round trip ok\n", ipc_version());
	return 0;
}
