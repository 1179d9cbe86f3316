/* SPDX-License-Identifier: MIT */
/*
 * ipc/socket.h - Unix-domain and TCP/UDP sockets.
 *
 * Kinds, named like the URL schemes of DESIGN.md:
 *   IPC_SOCK_UNIX        Unix stream       (a byte stream, like a pipe)
 *   IPC_SOCK_UNIXGRAM    Unix datagram     (messages, unordered w.r.t. peers)
 *   IPC_SOCK_UNIXPACKET  Unix seqpacket    (messages over a connection)
 *   IPC_SOCK_TCP         TCP, IPv4 or IPv6 (a byte stream)
 *   IPC_SOCK_UDP         UDP, IPv4 or IPv6 (datagrams, may be lost)
 *
 * Addresses are strings. Unix kinds: a file system path ("/run/x.sock"),
 * or "@name" for the Linux abstract namespace. TCP and UDP: "host:port",
 * with IPv6 hosts in brackets ("[::1]:8080"); the host is a numeric
 * address or a name getaddrinfo(3) resolves (a name lookup can block
 * outside the deadline: use numeric addresses where that matters). Port 0
 * asks the kernel for a free port; ipc_sock_port() tells which.
 *
 * Lifetime: a socket file made by listening stays until ipc_sock_unlink();
 * closing never removes it. Socket files are created 0600 (or the mode
 * asked for, whatever the umask). Abstract names vanish with their last
 * descriptor, but anyone in the network namespace can connect to them or
 * take a free name first (containerd CVE-2020-15257): by default both ends
 * of an abstract connection must have the same effective uid, checked with
 * SO_PEERCRED, unless IPC_O_SHARED is given. Abstract datagram sockets
 * drop datagrams whose sender (SCM_CREDENTIALS, its real uid) is another
 * user; a datagram sender cannot check who bound the name.
 *
 * Blocking: connect, accept, send and receive take deadlines. Descriptors
 * are close-on-exec and stay in blocking mode (unless IPC_O_NONBLOCK):
 * deadlines are kept with MSG_DONTWAIT and poll(2). Sends use MSG_NOSIGNAL,
 * so a vanished peer gives -EPIPE, never SIGPIPE. TCP connections set
 * TCP_NODELAY; TCP listeners set SO_REUSEADDR.
 *
 * Descriptor passing (Unix kinds): ipc_sock_send_fds() sends up to
 * IPC_SOCK_MAX_FDS descriptors with a message; ipc_sock_recv_fds() takes
 * them close-on-exec, and when more arrive than the caller has room for,
 * or the kernel truncated them, closes every one that arrived and reports
 * -EMSGSIZE: a receiver never holds descriptors it did not ask for.
 */
#ifndef IPC_SOCKET_H
#define IPC_SOCKET_H

#include "ipc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_sock ipc_sock;

enum ipc_sock_kind {
	IPC_SOCK_UNIX = 1,
	IPC_SOCK_UNIXGRAM = 2,
	IPC_SOCK_UNIXPACKET = 3,
	IPC_SOCK_TCP = 4,
	IPC_SOCK_UDP = 5,
};

/* The kernel's SCM_MAX_FD: the most descriptors one message can carry. */
#define IPC_SOCK_MAX_FDS 253

/* ipc_sock_listen() flag: replace a stale socket file nobody listens on. */
#define IPC_SOCK_REPLACE 0x10000u

/* Credentials of the peer process, as the kernel saw it at connect time. */
struct ipc_sock_cred {
	int32_t pid;
	uint32_t uid;
	uint32_t gid;
};

/**
 * ipc_sock_listen() - Bind a socket to @addr (and listen, for streams).
 * @out:   out: the socket; NULL on failure.
 * @kind:  an enum ipc_sock_kind.
 * @addr:  the address (see the preamble).
 * @mode:  Unix path kinds: permission bits of the socket file (0 means
 *         0600), applied whatever the umask. Ignored otherwise.
 * @flags: 0 or a combination of IPC_SOCK_REPLACE (Unix paths: remove an
 *         existing socket file if nothing accepts on it), IPC_O_SHARED
 *         (abstract names: accept peers of any uid), IPC_O_NONBLOCK.
 *
 * Stream and seqpacket kinds listen with a backlog of SOMAXCONN; datagram
 * kinds are bound and ready to receive.
 * Return: 0, or -EADDRINUSE (the address is taken: for a path, a file
 * exists there), -EINVAL (bad kind, flag or address), -ENAMETOOLONG (a path
 * longer than sun_path, 107 bytes: never truncated), -EACCES, -ENOENT,
 * -EADDRNOTAVAIL, -EAFNOSUPPORT, -EMFILE, -ENOMEM.
 * Blocking: no (except a host name lookup).
 */
IPC_API ipc_status ipc_sock_listen(ipc_sock **out, int kind, const char *addr,
                                   unsigned int mode, unsigned int flags);

/**
 * ipc_sock_connect() - Connect to @addr.
 * @out:   out: the connected socket; NULL on failure.
 * @kind:  an enum ipc_sock_kind.
 * @addr:  the address.
 * @flags: 0, IPC_O_SHARED (abstract names: accept a listener of another
 *         uid), IPC_O_NONBLOCK.
 * @d:     deadline for the connection to be established.
 *
 * UDP and Unix datagram sockets are connected in the datagram sense: sends
 * go to @addr and only its datagrams are received.
 * Return: 0, or -ECONNREFUSED (nobody listens), -ENOENT (no such path),
 * -ETIMEDOUT, -EAGAIN (IPC_DEADLINE_NOW and not yet connected), -EINTR,
 * -EPERM (an abstract listener of another uid), -EINVAL, -ENAMETOOLONG,
 * -EACCES, -ENETUNREACH, -EHOSTUNREACH, -EMFILE, -ENOMEM.
 * Blocking: until connected or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_sock_connect(ipc_sock **out, int kind, const char *addr,
                                    unsigned int flags, ipc_deadline d);

/**
 * ipc_sock_pair() - A connected pair of Unix sockets (socketpair(2)).
 * @a:    out: one end.
 * @b:    out: the other end.
 * @kind: IPC_SOCK_UNIX, IPC_SOCK_UNIXGRAM or IPC_SOCK_UNIXPACKET.
 *
 * Return: 0, or -EINVAL, -EMFILE, -ENFILE, -ENOMEM.
 */
IPC_API ipc_status ipc_sock_pair(ipc_sock **a, ipc_sock **b, int kind);

/**
 * ipc_sock_accept() - Take the next connection of a listening socket.
 * @l:   a socket from ipc_sock_listen() of a stream or seqpacket kind.
 * @out: out: the connection; NULL on failure.
 * @d:   deadline.
 *
 * An abstract listener without IPC_O_SHARED closes connections from other
 * uids and keeps waiting.
 * Return: 0, or -EAGAIN, -ETIMEDOUT, -EINTR, -EINVAL (not listening),
 * -EBADF, -EMFILE, -ENOMEM.
 * Blocking: until a connection or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_sock_accept(ipc_sock *l, ipc_sock **out, ipc_deadline d);

/**
 * ipc_sock_send() - Send bytes or one message.
 * @s:     a connected socket.
 * @buf:   the data.
 * @len:   its length.
 * @nsent: out: bytes sent. Streams: all of @len on success, the part sent
 *         when an error stopped it. Message kinds: @len or 0.
 * @d:     deadline.
 *
 * Return: 0, or -EAGAIN, -ETIMEDOUT, -EINTR, -EPIPE (peer gone),
 * -ECONNRESET, -EMSGSIZE (a message larger than the socket allows),
 * -ENOTCONN, -EBADF.
 * Blocking: until sent or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_sock_send(ipc_sock *s, const void *buf, size_t len,
                                 size_t *nsent, ipc_deadline d);

/**
 * ipc_sock_recv() - Receive bytes or one message.
 * @s:     a socket.
 * @buf:   where to put the data.
 * @cap:   room in @buf (streams: at least 1).
 * @nread: out: bytes received. Streams: 0 means end of stream. Message
 *         kinds: the message's length (0 is a valid empty message).
 * @d:     deadline.
 *
 * Return: 0, or -EMSGSIZE (message kinds: the message was longer than
 * @cap; it is discarded and *@nread is its real length), -EAGAIN,
 * -ETIMEDOUT, -EINTR, -ECONNRESET, -EBADF, -EINVAL.
 * Blocking: until data or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_sock_recv(ipc_sock *s, void *buf, size_t cap,
                                 size_t *nread, ipc_deadline d);

/**
 * ipc_sock_peek_size() - The length of the next message, left queued.
 * @s:   a socket of a message kind (UNIXGRAM, UNIXPACKET, UDP).
 * @len: out: the length.
 * @d:   deadline for a message to arrive.
 *
 * Return: 0, or -EINVAL (a stream kind), -EAGAIN, -ETIMEDOUT, -EINTR,
 * -EBADF.
 * Blocking: until a message or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_sock_peek_size(ipc_sock *s, size_t *len, ipc_deadline d);

/**
 * ipc_sock_send_to() - Send one datagram to @addr.
 * @s:    a UNIXGRAM or UDP socket (bound or not).
 * @buf:  the data.
 * @len:  its length.
 * @addr: the destination, in the socket's address syntax.
 * @d:    deadline.
 *
 * Return: 0, or -EINVAL (a stream kind, bad address), -EAGAIN, -ETIMEDOUT,
 * -EINTR, -EMSGSIZE, -ECONNREFUSED, -ENOENT, -EBADF.
 * Blocking: until sent or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_sock_send_to(ipc_sock *s, const void *buf, size_t len,
                                    const char *addr, ipc_deadline d);

/**
 * ipc_sock_recv_from() - Receive one datagram and say who sent it.
 * @s:       a UNIXGRAM or UDP socket.
 * @buf:     where to put the data.
 * @cap:     room in @buf.
 * @nread:   out: the datagram's length.
 * @from:    out: the sender's address as a NUL-terminated string ("" for
 *           an unbound Unix sender), usable with ipc_sock_send_to().
 * @fromcap: room in @from; 109 covers every Unix and IPv6 address.
 * @d:       deadline.
 *
 * Return: as ipc_sock_recv(); -ENAMETOOLONG when @from is too small (the
 * datagram is consumed).
 * Blocking: until a datagram or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_sock_recv_from(ipc_sock *s, void *buf, size_t cap,
                                      size_t *nread, char *from, size_t fromcap,
                                      ipc_deadline d);

/**
 * ipc_sock_send_fds() - Send data with descriptors (SCM_RIGHTS).
 * @s:    a connected Unix socket of any kind.
 * @buf:  the data; at least one byte (the descriptors ride on it).
 * @len:  its length, at least 1.
 * @fds:  the descriptors; the caller keeps its own copies open.
 * @nfds: how many, 1 to IPC_SOCK_MAX_FDS.
 * @nsent: out: bytes of @buf sent, as ipc_sock_send() reports them: all of
 *        @len on success, the part sent when an error stopped a stream
 *        (the descriptors went with the first byte if it is > 0).
 * @d:    deadline.
 *
 * On a stream the descriptors travel with the first byte of @buf, and the
 * rest of @buf follows as ipc_sock_send() would send it.
 * Return: 0, or -EINVAL (not a Unix socket, @len or @nfds out of range),
 * -EBADF (a descriptor in @fds is not open), -EAGAIN, -ETIMEDOUT, -EINTR,
 * -EPIPE, -ETOOMANYREFS (the kernel's limit on descriptors in flight).
 * Blocking: until sent or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_sock_send_fds(ipc_sock *s, const void *buf, size_t len,
                                     const int *fds, size_t nfds, size_t *nsent,
                                     ipc_deadline d);

/**
 * ipc_sock_recv_fds() - Receive data and the descriptors sent with it.
 * @s:      a Unix socket.
 * @buf:    where to put the data.
 * @cap:    room in @buf, at least 1.
 * @nread:  out: bytes received (streams: 0 is end of stream).
 * @fds:    out: the descriptors received, close-on-exec, now the caller's.
 * @maxfds: room in @fds; the most descriptors the caller accepts.
 * @nfds:   out: how many were stored in @fds.
 * @d:      deadline.
 *
 * Return: 0, or -EMSGSIZE (more descriptors arrived than @maxfds, the
 * kernel truncated them (MSG_CTRUNC), or a message kind's message did not
 * fit in @cap: every descriptor that arrived is closed, *@nfds is 0), and
 * the errors of ipc_sock_recv().
 * Blocking: until data or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_sock_recv_fds(ipc_sock *s, void *buf, size_t cap,
                                     size_t *nread, int *fds, size_t maxfds,
                                     size_t *nfds, ipc_deadline d);

/**
 * ipc_sock_peer_cred() - Who is at the other end (SO_PEERCRED).
 * @s:    a connected Unix socket.
 * @cred: out: pid, uid and gid, as of connect(). Authorize by uid and
 *        gid: the pid may since have been reused.
 *
 * Return: 0, or -EINVAL (not a Unix socket), -ENOTCONN, -EBADF.
 */
IPC_API ipc_status ipc_sock_peer_cred(ipc_sock *s, struct ipc_sock_cred *cred);

/**
 * ipc_sock_port() - The local port of a TCP or UDP socket.
 * @s:    the socket.
 * @port: out: the port, in host byte order.
 *
 * Return: 0, or -EINVAL (a Unix socket), -EBADF.
 */
IPC_API ipc_status ipc_sock_port(ipc_sock *s, uint16_t *port);

/**
 * ipc_sock_shutdown() - Shut down one or both directions.
 * @s:   a connected socket.
 * @how: IPC_O_READ, IPC_O_WRITE or IPC_O_RDWR.
 *
 * Shutting down writing sends end of stream to the peer while reading
 * goes on.
 * Return: 0, or -EINVAL, -ENOTCONN, -EBADF.
 */
IPC_API ipc_status ipc_sock_shutdown(ipc_sock *s, unsigned int how);

/**
 * ipc_sock_fd() - The descriptor, for poll(2).
 * @s: the socket.
 *
 * Return: a borrowed descriptor, or -1 when @s is NULL.
 */
IPC_API int ipc_sock_fd(const ipc_sock *s);

/**
 * ipc_sock_kind() - The kind the socket was made with.
 * @s: the socket.
 *
 * Return: an enum ipc_sock_kind, or 0 when @s is NULL.
 */
IPC_API int ipc_sock_kind(const ipc_sock *s);

/**
 * ipc_sock_close() - Close the socket and free the handle.
 * @s: the socket, or NULL.
 *
 * A listening socket's file stays: remove it with ipc_sock_unlink().
 * Return: 0, or the error close(2) reported (never -EINTR).
 */
IPC_API ipc_status ipc_sock_close(ipc_sock *s);

/**
 * ipc_sock_unlink() - Remove the socket file at @path.
 * @path: a file system path (not an abstract "@name").
 *
 * Refuses to remove anything that is not a socket.
 * Return: 0, or -ENOENT, -EINVAL (not a socket, or an abstract name),
 * -EACCES, -EPERM.
 */
IPC_API ipc_status ipc_sock_unlink(const char *path);

#ifdef __cplusplus
}
#endif

#endif /* IPC_SOCKET_H */
