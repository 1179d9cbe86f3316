/* SPDX-License-Identifier: MIT */
/* sysv.c - System V keys, and the POSIX name rule shared by mq, shm, sem. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/stat.h>

#include "internal.h"
#include "ipc/sysv.h"

ipc_status ipc_sysv_key(const char *path, int proj, int32_t *key)
{
	struct stat st;
	key_t k;

	*key = 0;
	if (path == NULL || path[0] == '\0' || proj < 1 || proj > 255)
		return -EINVAL;
	/* ftok() hides why it failed behind -1; stat first for the errno. */
	if (stat(path, &st) < 0)
		return -errno;
	k = ftok(path, proj);
	if (k == (key_t)-1)
		return -errno;
	*key = (int32_t)k;
	return 0;
}

ipc_status ipc_sysv_parse_key(const char *text, int32_t *key)
{
	char path[PATH_MAX];
	const char *colon;
	unsigned long long v;
	char *end;
	long proj;
	size_t len;

	*key = 0;
	if (text == NULL || text[0] == '\0')
		return -EINVAL;
	colon = strrchr(text, ':');
	if (colon != NULL) {
		len = (size_t)(colon - text);
		if (len == 0 || len >= sizeof(path) || colon[1] == '\0')
			return -EINVAL;
		errno = 0;
		proj = strtol(colon + 1, &end, 10);
		if (errno || *end != '\0' || colon[1] == '-' || colon[1] == '+')
			return -EINVAL;
		memcpy(path, text, len);
		path[len] = '\0';
		return ipc_sysv_key(path, (int)(proj > 255 ? 0 : proj), key);
	}
	if (text[0] == '-' || text[0] == '+' || text[0] == ' ')
		return -EINVAL;
	errno = 0;
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
		v = strtoull(text + 2, &end, 16);
	else
		v = strtoull(text, &end, 10);
	if (errno || *end != '\0' || end == text || v > 0xFFFFFFFFull)
		return -EINVAL;
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X') &&
	    text[2] == '\0')
		return -EINVAL;
	*key = (int32_t)(uint32_t)v;
	return 0;
}

ipc_status ipc__check_posix_name(const char *name)
{
	size_t len;

	if (name == NULL || name[0] != '/' || name[1] == '\0')
		return -EINVAL;
	len = strnlen(name, NAME_MAX + 2);
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	if (strchr(name + 1, '/') != NULL)
		return -EINVAL;
	/* "/." and "/.." name the directory itself in /dev/shm and
	 * /dev/mqueue. */
	if (strcmp(name, "/.") == 0 || strcmp(name, "/..") == 0)
		return -EINVAL;
	return 0;
}
