/* SPDX-License-Identifier: MIT */
/* sockaddr.c - socket address strings to and from struct sockaddr. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "sockaddr.h"

/* Longer host parts are not names getaddrinfo(3) could resolve. */
#define IPC__HOST_MAX 255

ipc_status ipc__sockaddr_unix(const char *addr, struct sockaddr_un *un,
                              socklen_t *len, bool *abstract)
{
	size_t n;

	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	*len = 0;
	*abstract = false;
	if (addr == NULL || addr[0] == '\0')
		return -EINVAL;
	if (addr[0] == '@') {
		/* The name is exactly the bytes after '@': no NUL counted,
		 * as other programs name it ("\0name" with its length). */
		n = strlen(addr + 1);
		if (n == 0)
			return -EINVAL;
		if (n > IPC__SUN_PATH_MAX)
			return -ENAMETOOLONG;
		memcpy(un->sun_path + 1, addr + 1, n);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		                   n);
		*abstract = true;
		return 0;
	}
	n = strlen(addr);
	if (n > IPC__SUN_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(un->sun_path, addr, n);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

/* Strict decimal 0..65535: digits only, no sign, no space, no empty. */
static bool parse_port(const char *s)
{
	unsigned long v = 0;
	size_t i;

	if (s[0] == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v <= 65535;
}

static ipc_status gai_status(int rc, bool numeric)
{
	switch (rc) {
	case EAI_NONAME:
	case EAI_NODATA:
	case EAI_ADDRFAMILY:
		return numeric ? -EINVAL : -ENOENT;
	case EAI_AGAIN:
	case EAI_FAIL:
		return -EHOSTUNREACH;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_FAMILY:
		return -EAFNOSUPPORT;
	default:
		return -EINVAL;
	}
}

ipc_status ipc__sockaddr_inet(const char *addr, int socktype, int family,
                              bool passive, struct addrinfo **res)
{
	struct addrinfo hints;
	char host[IPC__HOST_MAX + 1];
	const char *hs;
	const char *he;
	const char *port;
	bool bracket;
	size_t n;
	int rc;

	*res = NULL;
	if (addr == NULL)
		return -EINVAL;
	bracket = addr[0] == '[';
	if (bracket) {
		hs = addr + 1;
		he = strchr(hs, ']');
		if (he == NULL || he[1] != ':')
			return -EINVAL;
		port = he + 2;
	} else {
		hs = addr;
		he = strrchr(addr, ':');
		if (he == NULL)
			return -EINVAL;
		port = he + 1;
	}
	n = (size_t)(he - hs);
	if (n == 0 || n > IPC__HOST_MAX || !parse_port(port))
		return -EINVAL;
	memcpy(host, hs, n);
	host[n] = '\0';
	/* An IPv6 address goes in brackets, so that "::1:80" is never
	 * guessed at; a bracket holds nothing else. */
	if (!bracket &&
	    (memchr(host, ':', n) != NULL || memchr(host, '[', n) != NULL))
		return -EINVAL;
	if (bracket && memchr(host, '[', n) != NULL)
		return -EINVAL;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = bracket ? AF_INET6 : family;
	if (bracket && family != AF_UNSPEC && family != AF_INET6)
		return -EAFNOSUPPORT;
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_NUMERICSERV | (bracket ? AI_NUMERICHOST : 0) |
	                 (passive ? AI_PASSIVE : 0);
	rc = getaddrinfo(host, port, &hints, res);
	if (rc == EAI_SYSTEM)
		return errno != 0 ? -errno : -EINVAL;
	if (rc != 0) {
		*res = NULL;
		return gai_status(rc, bracket);
	}
	return 0;
}

static ipc_status format_unix(const struct sockaddr_un *un, socklen_t len,
                              char *out, size_t cap)
{
	size_t off = offsetof(struct sockaddr_un, sun_path);
	size_t n;

	if (len <= off) {
		out[0] = '\0';
		return 0;
	}
	n = len - off;
	if (n > sizeof(un->sun_path))
		n = sizeof(un->sun_path);
	if (un->sun_path[0] == '\0') {
		/* Abstract: every byte of the name counts. A name with a NUL
		 * inside cannot be written as a string; it ends there. */
		n = strnlen(un->sun_path + 1, n - 1);
		if (n + 2 > cap)
			return -ENAMETOOLONG;
		out[0] = '@';
		memcpy(out + 1, un->sun_path + 1, n);
		out[n + 1] = '\0';
		return 0;
	}
	n = strnlen(un->sun_path, n);
	if (n + 1 > cap)
		return -ENAMETOOLONG;
	memcpy(out, un->sun_path, n);
	out[n] = '\0';
	return 0;
}

ipc_status ipc__sockaddr_format(const struct sockaddr *sa, socklen_t len,
                                char *out, size_t cap)
{
	const struct sockaddr_in *in4;
	const struct sockaddr_in6 *in6;
	char host[INET6_ADDRSTRLEN];
	char scope[16];
	int n;

	if (cap == 0)
		return -ENAMETOOLONG;
	out[0] = '\0';
	if (len < sizeof(sa_family_t))
		return format_unix((const struct sockaddr_un *)sa, len, out,
		                   cap);
	switch (sa->sa_family) {
	case AF_UNIX:
		return format_unix((const struct sockaddr_un *)sa, len, out,
		                   cap);
	case AF_INET:
		in4 = (const struct sockaddr_in *)sa;
		if (inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host)) ==
		    NULL)
			return -EAFNOSUPPORT;
		n = snprintf(out, cap, "%s:%u", host,
		             (unsigned int)ntohs(in4->sin_port));
		break;
	case AF_INET6:
		in6 = (const struct sockaddr_in6 *)sa;
		if (inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host)) ==
		    NULL)
			return -EAFNOSUPPORT;
		scope[0] = '\0';
		if (in6->sin6_scope_id != 0)
			snprintf(scope, sizeof(scope), "%%%u",
			         (unsigned int)in6->sin6_scope_id);
		n = snprintf(out, cap, "[%s%s]:%u", host, scope,
		             (unsigned int)ntohs(in6->sin6_port));
		break;
	default:
		return -EAFNOSUPPORT;
	}
	if (n < 0 || (size_t)n >= cap) {
		out[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}
