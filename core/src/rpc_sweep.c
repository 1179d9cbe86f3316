/* SPDX-License-Identifier: MIT */
/*
 * rpc_sweep.c - removing the reply objects of clients that died.
 *
 * A client on a message kind makes "<name>.r<pid>-<n>" next to the
 * server's object and removes it on close; a client that is killed
 * cannot. The server that opens that name removes such objects whose pid
 * is gone, so they do not pile up from one run to the next. A live pid
 * keeps its object, even if the pid was reused by another program: never
 * removing a live client's object comes first.
 *
 * Where they are: ring: and mq: names live in /dev/shm and /dev/mqueue
 * (the latter only when mounted; otherwise there is nothing to list and
 * nothing is removed); fifo: and unixgram: paths in the server path's
 * directory. Abstract unixgram names leave nothing behind.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ipc/url.h"
#include "rpc_internal.h"

/* Whether @entry is "<base>.r<pid>-<n>" with a pid that no longer exists. */
static bool dead_reply(const char *entry, const char *base, size_t blen)
{
	unsigned long pid, n;
	char tail;

	if (strncmp(entry, base, blen) != 0 ||
	    sscanf(entry + blen, ".r%lu-%lu%c", &pid, &n, &tail) != 2 ||
	    pid == 0 || pid > (unsigned long)INT32_MAX)
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* Remove the dead clients' entries "<base>.r..." of @dir, each as the
 * URL "<scheme>:<prefix><entry>". */
static void sweep_dir(const char *dir, const char *base, const char *scheme,
                      const char *prefix)
{
	size_t blen = strlen(base);
	struct dirent *e;
	char url[4096];
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!dead_reply(e->d_name, base, blen))
			continue;
		if (snprintf(url, sizeof(url), "%s:%s%s", scheme, prefix,
		             e->d_name) < (int)sizeof(url))
			(void)ipc_unlink_url(url);
	}
	closedir(d);
}

void ipc__rpc_sweep_replies(const char *url, int kind)
{
	const char *name = strchr(url, ':');
	const char *slash;
	char base[4096];
	char dir[4096];
	size_t len;

	if (name == NULL)
		return;
	name++;
	len = strcspn(name, "?");
	if (len == 0 || len >= sizeof(base))
		return;
	memcpy(base, name, len);
	base[len] = '\0';
	switch (kind) {
	case IPC_URL_RING:
		if (base[0] == '/' && strchr(base + 1, '/') == NULL)
			sweep_dir("/dev/shm", base + 1, "ring", "/");
		break;
	case IPC_URL_MQ:
		if (base[0] == '/' && strchr(base + 1, '/') == NULL)
			sweep_dir("/dev/mqueue", base + 1, "mq", "/");
		break;
	case IPC_URL_FIFO:
	case IPC_URL_UNIXGRAM:
		if (base[0] == '@')
			break; /* abstract: nothing on disk */
		slash = strrchr(base, '/');
		if (slash == NULL) {
			sweep_dir(".", base,
			          kind == IPC_URL_FIFO ? "fifo" : "unixgram",
			          "");
			break;
		}
		/* "/a/b" -> "/a/" ("/" for "/b"): the directory, and the
		 * prefix that makes an entry a path again */
		snprintf(dir, sizeof(dir), "%.*s/", (int)(slash - base), base);
		sweep_dir(dir, slash + 1,
		          kind == IPC_URL_FIFO ? "fifo" : "unixgram", dir);
		break;
	default:
		break;
	}
}
