/* SPDX-License-Identifier: MIT */
/*
 * endpoint.c - endpoints a parent hands down in the environment.
 *
 * IPC_ENDPOINTS="name=URL;name=URL" (docs/endpoints.md): entries split at
 * ';', the name ends at the first '=', names are [A-Za-z0-9_.-]+ and
 * appear once, no entry is empty, and inside a URL ';' is written %3B and
 * '%' %25 (the only escapes; any other '%' is an error). The whole value
 * is checked on every lookup, so a malformed variable is reported whichever
 * entry is asked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ipc/chan.h"

/* How much of an entry a detail shows. */
#define EP_SHOW_MAX 80

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* Whether @s[0..@len) is a valid endpoint name. */
static bool name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

/* The escape at @p ("%3B", "%3b" or "%25"): the byte it stands for, or 0. */
static char unescape(const char *p)
{
	if (p[0] != '%')
		return 0;
	if (p[1] == '3' && (p[2] == 'B' || p[2] == 'b'))
		return ';';
	if (p[1] == '2' && p[2] == '5')
		return '%';
	return 0;
}

struct entry {
	const char *name;
	size_t nlen;
	const char *url; /* encoded */
	size_t ulen;
};

/* Split and check the entry at @s[0..@len) (entry @idx, at byte @off). */
static ipc_status parse_entry(const char *s, size_t len, size_t idx, size_t off,
                              struct entry *e)
{
	const char *eq;
	size_t i;
	int show = (int)(len > EP_SHOW_MAX ? EP_SHOW_MAX : len);

	if (len == 0)
		return ipc__detail(
		        -EINVAL,
		        "IPC_ENDPOINTS: entry %zu (byte %zu) is empty (stray ';')",
		        idx + 1, off);
	eq = memchr(s, '=', len);
	if (eq == NULL)
		return ipc__detail(
		        -EINVAL,
		        "IPC_ENDPOINTS: entry %zu \"%.*s\" has no '=' (name=URL)",
		        idx + 1, show, s);
	e->name = s;
	e->nlen = (size_t)(eq - s);
	e->url = eq + 1;
	e->ulen = len - e->nlen - 1;
	if (!name_ok(e->name, e->nlen))
		return ipc__detail(
		        -EINVAL,
		        "IPC_ENDPOINTS: entry %zu \"%.*s\": the name must be letters, digits, '_', '-', '.'",
		        idx + 1, show, s);
	if (e->ulen == 0)
		return ipc__detail(
		        -EINVAL,
		        "IPC_ENDPOINTS: entry %zu \"%.*s\" has an empty URL",
		        idx + 1, show, s);
	for (i = 0; i < e->ulen; i++) {
		if (e->url[i] != '%')
			continue;
		if (e->ulen - i < 3 || unescape(e->url + i) == 0)
			return ipc__detail(
			        -EINVAL,
			        "IPC_ENDPOINTS: entry %zu \"%.*s\": bad escape at URL byte %zu (only %%3B for ';' and %%25 for '%%')",
			        idx + 1, show, s, i);
		i += 2;
	}
	return 0;
}

/*
 * Check the whole of @env and find @name in it: 0 with *@found set,
 * -ENOENT, or -EINVAL (malformed, or a name given twice).
 */
static ipc_status scan(const char *env, const char *name, struct entry *found)
{
	size_t nlen = strlen(name);
	const char *p = env;
	bool have = false;
	size_t idx = 0;
	ipc_status st;

	if (*p == '\0')
		return -ENOENT;
	for (;;) {
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);
		struct entry e;
		const char *q;

		st = parse_entry(p, len, idx, (size_t)(p - env), &e);
		if (st)
			return st;
		/* A later entry of the same name. */
		for (q = semi; q != NULL;) {
			const char *n = q + 1;

			if (strncmp(n, e.name, e.nlen) == 0 && n[e.nlen] == '=')
				return ipc__detail(
				        -EINVAL,
				        "IPC_ENDPOINTS: endpoint \"%.*s\" is given twice",
				        (int)(e.nlen > EP_SHOW_MAX ? EP_SHOW_MAX
				                                   : e.nlen),
				        e.name);
			q = strchr(n, ';');
		}
		if (e.nlen == nlen && memcmp(e.name, name, nlen) == 0) {
			*found = e;
			have = true;
		}
		if (semi == NULL)
			break;
		p = semi + 1;
		idx++;
	}
	return have ? 0 : -ENOENT;
}

static ipc_status check_name(const char *name)
{
	if (name == NULL)
		return ipc__detail(-EINVAL, "endpoint name: NULL");
	if (!name_ok(name, strlen(name)))
		return ipc__detail(
		        -EINVAL,
		        "endpoint name \"%.*s\": letters, digits, '_', '-', '.' only, not empty",
		        EP_SHOW_MAX, name);
	return 0;
}

static ipc_status lookup(const char *env, const char *name, char *buf,
                         size_t cap)
{
	struct entry e;
	size_t i;
	size_t o = 0;
	ipc_status st;

	if (buf != NULL && cap > 0)
		buf[0] = '\0';
	st = check_name(name);
	if (st)
		return st;
	if (buf == NULL || cap == 0)
		return -ENAMETOOLONG;
	if (env == NULL)
		env = getenv(IPC_ENDPOINTS_ENV);
	if (env == NULL)
		return ipc__detail(-ENOENT, "endpoint \"%s\": %s is not set",
		                   name, IPC_ENDPOINTS_ENV);
	st = scan(env, name, &e);
	if (st == -ENOENT)
		return ipc__detail(st, "endpoint \"%s\": not in %s", name,
		                   IPC_ENDPOINTS_ENV);
	if (st)
		return st;
	for (i = 0; i < e.ulen; i++) {
		char c = e.url[i];

		if (c == '%') {
			c = unescape(e.url + i);
			i += 2;
		}
		if (o + 1 >= cap) {
			buf[0] = '\0';
			return ipc__detail(
			        -ENAMETOOLONG,
			        "endpoint \"%s\": the URL needs more than %zu bytes",
			        name, cap);
		}
		buf[o++] = c;
	}
	buf[o] = '\0';
	return 0;
}

ipc_status ipc_endpoint_lookup(const char *env, const char *name, char *buf,
                               size_t cap)
{
	ipc__detail_clear();
	return lookup(env, name, buf, cap);
}

ipc_status ipc_endpoint_append(char *buf, size_t cap, const char *name,
                               const char *url)
{
	struct entry e;
	size_t have;
	size_t need;
	size_t ulen;
	size_t i;
	char *p;
	ipc_status st;

	ipc__detail_clear();
	st = check_name(name);
	if (st)
		return st;
	if (buf == NULL)
		return ipc__detail(-EINVAL, "IPC_ENDPOINTS value: NULL");
	if (url == NULL || url[0] == '\0')
		return ipc__detail(-EINVAL, "endpoint \"%s\": empty URL", name);
	have = strnlen(buf, cap);
	if (have == cap)
		return ipc__detail(
		        -EINVAL,
		        "IPC_ENDPOINTS value: not NUL-terminated within %zu bytes",
		        cap);
	st = scan(buf, name, &e);
	if (st == 0)
		return ipc__detail(-EINVAL,
		                   "endpoint \"%s\" is already in the value",
		                   name);
	if (st != -ENOENT)
		return st;
	ipc__detail_clear();

	ulen = strlen(url);
	need = have + (have ? 1 : 0) + strlen(name) + 1;
	for (i = 0; i < ulen; i++)
		need += url[i] == ';' || url[i] == '%' ? 3 : 1;
	if (need + 1 > cap)
		return ipc__detail(
		        -ENAMETOOLONG,
		        "IPC_ENDPOINTS value: %zu bytes needed, %zu given",
		        need + 1, cap);
	p = buf + have;
	if (have)
		*p++ = ';';
	p += sprintf(p, "%s=", name);
	for (i = 0; i < ulen; i++) {
		if (url[i] == ';') {
			memcpy(p, "%3B", 3);
			p += 3;
		} else if (url[i] == '%') {
			memcpy(p, "%25", 3);
			p += 3;
		} else {
			*p++ = url[i];
		}
	}
	*p = '\0';
	return 0;
}

ipc_status ipc_endpoint_open(ipc_chan **out, const char *name,
                             unsigned int flags, ipc_deadline d)
{
	char saved[480];
	const char *env;
	char *url;
	size_t cap;
	ipc_status st;

	ipc__detail_clear();
	if (out == NULL)
		return ipc__detail(-EINVAL, "ipc_endpoint_open: NULL out");
	*out = NULL;
	env = getenv(IPC_ENDPOINTS_ENV);
	cap = (env != NULL ? strlen(env) : 0) + 1;
	url = malloc(cap);
	if (url == NULL)
		return -ENOMEM;
	st = lookup(env, name, url, cap);
	if (st)
		goto out;
	st = ipc_chan_open(out, url, flags, NULL, d);
	if (st && ipc_detail()[0] != '\0') {
		(void)snprintf(saved, sizeof(saved), "%s", ipc_detail());
		(void)ipc__detail(st, "endpoint \"%s\": %s", name, saved);
	}
out:
	free(url);
	return st;
}
