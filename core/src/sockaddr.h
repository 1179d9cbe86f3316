/* SPDX-License-Identifier: MIT */
/*
 * sockaddr.h - socket address strings to and from struct sockaddr, for
 * socket.c. Kept apart so that the parser can be fuzzed on its own.
 *
 * Syntax: Unix kinds take a path ("/run/x.sock") or "@name" (the Linux
 * abstract namespace; the name is the bytes after '@', without a trailing
 * NUL). TCP and UDP take "host:port" or "[ipv6]:port", the port in strict
 * decimal 0..65535.
 */
#ifndef IPC_SOCKADDR_H
#define IPC_SOCKADDR_H

#include <stdbool.h>
#include <netdb.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "ipc/common.h"

/* The longest path or abstract name sun_path holds with our syntax. */
#define IPC__SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/*
 * Fill @un and *@len for the Unix address @addr; *@abstract tells an
 * "@name". Returns 0, -EINVAL (NULL, "" or "@"), or -ENAMETOOLONG (a path
 * or name longer than IPC__SUN_PATH_MAX bytes: never truncated).
 */
ipc_status ipc__sockaddr_unix(const char *addr, struct sockaddr_un *un,
                              socklen_t *len, bool *abstract);

/*
 * Resolve the TCP/UDP address @addr with getaddrinfo(3) for @socktype
 * (SOCK_STREAM or SOCK_DGRAM); @family is AF_UNSPEC or the one family
 * wanted; @passive for an address to bind. On success *@res is a list to free
 * with freeaddrinfo(3). Returns 0, -EINVAL (malformed), -ENOENT (a name that
 * does not resolve), -EHOSTUNREACH (the resolver failed), -EAFNOSUPPORT,
 * -ENOMEM.
 */
ipc_status ipc__sockaddr_inet(const char *addr, int socktype, int family,
                              bool passive, struct addrinfo **res);

/*
 * Write @sa (of @len bytes, as recvfrom(2) reported it) into @out in the
 * syntax above, NUL-terminated: "" for an unbound Unix socket. Returns 0,
 * -ENAMETOOLONG (@cap too small), or -EAFNOSUPPORT.
 */
ipc_status ipc__sockaddr_format(const struct sockaddr *sa, socklen_t len,
                                char *out, size_t cap);

#endif /* IPC_SOCKADDR_H */
