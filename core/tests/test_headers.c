/* SPDX-License-Identifier: MIT */
/*
 * The public headers as a user's strict C11 program sees them: built with
 * -std=c11 -Wpedantic -Werror, no _GNU_SOURCE, next to <sys/ipc.h>, whose
 * IPC_CREAT, IPC_EXCL, IPC_RMID and struct ipc_perm must not clash with
 * anything of ours.
 */
#include <sys/ipc.h>
#include <stdio.h>
#include <string.h>

#include <ipc/ipc.h>

int main(void)
{
	struct ipc_perm perm;
	int glibc_flags = IPC_CREAT | IPC_EXCL | IPC_RMID;
	unsigned int ours = IPC_O_CREATE | IPC_O_EXCL;

	memset(&perm, 0, sizeof(perm));
	if (ours == 0 || glibc_flags == 0 || perm.mode != 0)
		return 1;
	if (strcmp(ipc_version(), "0.1.0") != 0 &&
	    ipc_version_number() != IPC_VERSION_MAJOR * 10000u +
	                                    IPC_VERSION_MINOR * 100u +
	                                    IPC_VERSION_PATCH)
		return 1;
	printf("ipc %s: headers are strict C11\n", ipc_version());
	return 0;
}
