/* SPDX-License-Identifier: MIT */
/*
 * ipc/chan.h - channels: one send/recv API over every mechanism, by URL.
 *
 * A channel moves whole messages, whatever carries them: frames on byte
 * streams (fd:, fifo:, unix:, tcp:, pipes), native messages elsewhere
 * (mq:, sysvmq:, ring:, unixgram:, unixpacket:, udp:). The same calls,
 * the same deadlines and the same errors for all of them, so that a
 * pipeline can swap a pipe for a ring by changing one word of a URL.
 * ipc/url.h lists the URL kinds and their options.
 *
 * Opening: ipc_chan_open() opens any channel URL: it creates the named
 * object with IPC_O_CREATE (or ?create=1), opens FIFOs and queues for the
 * directions asked, and *connects* socket URLs. ipc_chan_listen() binds a
 * socket URL: stream kinds (unix, unixpacket, tcp) then give connections
 * through ipc_chan_accept(); datagram kinds (unixgram, udp) give a bound
 * channel that receives from anyone. ipc_chan_pipe() makes an anonymous
 * pipe pair, and ipc_endpoint_open() opens an endpoint a parent handed
 * down (docs/endpoints.md).
 *
 * Messages: ipc_chan_send() sends one message or nothing; ipc_chan_recv()
 * receives one whole message or nothing (never part of one). Every channel
 * has a maximum message size (IPC_CHAN_DEFAULT_MAX for framed kinds, the
 * mechanism's own limit for native ones, lowered by ?max_message_size=):
 * a longer send is refused with -EMSGSIZE before anything is written.
 * Priority (mq) and type (sysvmq) travel in struct ipc_chan_meta.
 *
 * End of stream: when the peer is gone, receives return -EPIPE (a stream
 * closed at a message boundary, a FIFO's last writer gone, a socket shut
 * down), -ECONNRESET (cut inside a message); sends return -EPIPE, or
 * -ECONNRESET where the kernel reports a reset (a TCP or seqpacket peer
 * that died with data unread).
 * Kinds without a notion of peers (mq, sysvmq, ring, udp) wait for their
 * deadline instead.
 *
 * Polling: ipc_chan_fd() gives the descriptor that becomes readable when a
 * message may be waiting, -1 for a ring (no descriptor: see ipc/loop.h)
 * and for a System V queue (none exists).
 * Framed channels read ahead: check ipc_chan_readable() before waiting.
 */
#ifndef IPC_CHAN_H
#define IPC_CHAN_H

#include "ipc/common.h"
#include "ipc/socket.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_chan ipc_chan;

/* Largest message of a framed channel unless told otherwise (16 MiB). */
#define IPC_CHAN_DEFAULT_MAX ((size_t)16 << 20)

/* The environment variable that carries endpoints to a child. */
#define IPC_ENDPOINTS_ENV "IPC_ENDPOINTS"

/*
 * Settings that override a URL's options (ipc_chan_open() and friends).
 * Zero fields leave the URL's option, or the default, alone.
 */
struct ipc_chan_opts {
	size_t max_message_size; /* every kind */
	size_t capacity;         /* ring bytes; pipe/FIFO kernel buffer */
	size_t max_messages;     /* mq depth */
	unsigned int mode;       /* permission bits of a created object */
};

/*
 * What travels beside a message on the kinds that carry it: the priority
 * of a POSIX queue message, the type of a System V one (0 on send means
 * type 1; on receive, 0 takes any type and a positive value only that
 * type). Other kinds refuse non-zero values with -EINVAL and give zeros.
 */
struct ipc_chan_meta {
	unsigned int priority;
	long type;
};

/**
 * ipc_chan_open() - Open a channel by URL.
 * @out:   out: the channel; NULL on failure.
 * @url:   any channel URL (ipc/url.h).
 * @flags: IPC_O_READ, IPC_O_WRITE or IPC_O_RDWR (what the kind allows:
 *         a FIFO is one direction, a socket both; no direction means what
 *         the kind allows: fd:N's access mode, both for the others, and
 *         -EINVAL for a FIFO), with IPC_O_CREATE, IPC_O_EXCL (named kinds
 *         only: fifo, mq, sysvmq, ring), IPC_O_SHARED.
 * @opts:  overrides, or NULL.
 * @d:     deadline for the open itself (a FIFO waiting for its peer, a
 *         socket connecting).
 *
 * Return: 0, or -EINVAL (malformed URL, an option or direction the kind
 * does not take: ipc_detail() says which), and what the mechanism's open
 * returns (-ENOENT, -EEXIST, -ECONNREFUSED, -ETIMEDOUT, -EINTR, ...).
 * Ownership: the caller owns *@out. fd:N passes descriptor N to the
 * channel, which marks it close-on-exec and closes it; on failure N stays
 * the caller's.
 * Blocking: FIFO opens and connects wait until @d; may return -EINTR.
 */
IPC_API ipc_status ipc_chan_open(ipc_chan **out, const char *url,
                                 unsigned int flags,
                                 const struct ipc_chan_opts *opts,
                                 ipc_deadline d);

/**
 * ipc_chan_connect() - Open a channel for both directions.
 * @out:  out: the channel.
 * @url:  a socket URL (or any channel URL that takes IPC_O_RDWR).
 * @opts: overrides, or NULL.
 * @d:    deadline.
 *
 * Same as ipc_chan_open(out, url, IPC_O_RDWR, opts, d).
 */
IPC_API ipc_status ipc_chan_connect(ipc_chan **out, const char *url,
                                    const struct ipc_chan_opts *opts,
                                    ipc_deadline d);

/**
 * ipc_chan_listen() - Bind a socket URL.
 * @out:   out: a listening channel (stream kinds) or a bound receiving
 *         channel (unixgram, udp).
 * @url:   unix:, unixgram:, unixpacket:, tcp:, udp: (port 0 picks one).
 * @flags: 0, or IPC_O_EXCL (refuse to replace a stale socket file).
 * @opts:  overrides (mode of the socket file, max_message_size handed to
 *         accepted channels), or NULL.
 *
 * Return: 0, or -EINVAL (not a socket URL), -EADDRINUSE, and what
 * ipc_sock_listen() returns.
 */
IPC_API ipc_status ipc_chan_listen(ipc_chan **out, const char *url,
                                   unsigned int flags,
                                   const struct ipc_chan_opts *opts);

/**
 * ipc_chan_accept() - Take the next connection of a listening channel.
 * @l:   a listening stream channel.
 * @out: out: the connected channel.
 * @d:   deadline.
 *
 * Return: 0, or -EINVAL (@l does not listen), -EAGAIN, -ETIMEDOUT, -EINTR,
 * -EMFILE, -EBADF.
 * Blocking: until a peer connects or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_chan_accept(ipc_chan *l, ipc_chan **out, ipc_deadline d);

/**
 * ipc_chan_pipe() - An anonymous pipe as a pair of framed channels.
 * @rd:    out: the read end.
 * @wr:    out: the write end.
 * @flags: 0.
 *
 * Return: 0, or -EMFILE, -ENFILE, -ENOMEM, -EINVAL.
 */
IPC_API ipc_status ipc_chan_pipe(ipc_chan **rd, ipc_chan **wr,
                                 unsigned int flags);

/**
 * ipc_chan_send() - Send one message.
 * @c:   a channel open for writing.
 * @buf: the payload.
 * @len: 0 to ipc_chan_max_message().
 * @d:   deadline.
 *
 * Return: 0, or -EMSGSIZE, -EAGAIN (would block, IPC_DEADLINE_NOW),
 * -ETIMEDOUT, -EINTR (nothing of the message was sent), -EPIPE (no
 * reader), -ECONNRESET, -EBADF, -EINVAL (a listening channel, or a
 * read-only one).
 * Blocking: until sent or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_chan_send(ipc_chan *c, const void *buf, size_t len,
                                 ipc_deadline d);

/**
 * ipc_chan_send_meta() - Send one message with a priority or type.
 * @c:    a channel open for writing.
 * @buf:  the payload.
 * @len:  its length.
 * @meta: priority (mq) or type (sysvmq), or NULL for zeros.
 * @d:    deadline.
 *
 * Return: as ipc_chan_send().
 */
IPC_API ipc_status ipc_chan_send_meta(ipc_chan *c, const void *buf, size_t len,
                                      const struct ipc_chan_meta *meta,
                                      ipc_deadline d);

/**
 * ipc_chan_recv() - Receive one message into @buf.
 * @c:     a channel open for reading.
 * @buf:   where to put it.
 * @cap:   room in @buf.
 * @nread: out: the payload length.
 * @d:     deadline.
 *
 * On unixpacket: a record of length 0 and the end of the stream both
 * read as 0 bytes; the peer's shutdown tells them apart, so an empty
 * record sent just before the peer closes reads as -EPIPE.
 * Return: 0, or -EMSGSIZE (longer than @cap: the message stays and
 * *@nread is its length when the kind can tell, 0 otherwise), -EAGAIN,
 * -ETIMEDOUT, -EINTR (nothing was consumed), -EPIPE (end of stream),
 * -ECONNRESET (cut inside a message), -EBADF, -EINVAL.
 * Blocking: until a message or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_chan_recv(ipc_chan *c, void *buf, size_t cap,
                                 size_t *nread, ipc_deadline d);

/**
 * ipc_chan_recv_meta() - Receive one message, with its priority or type.
 * @c:     a channel open for reading.
 * @buf:   where to put it.
 * @cap:   room in @buf.
 * @nread: out: the payload length.
 * @meta:  in: the type to take (sysvmq; 0 = any); out: the message's
 *         priority and type. NULL takes any message.
 * @d:     deadline.
 *
 * Return: as ipc_chan_recv().
 */
IPC_API ipc_status ipc_chan_recv_meta(ipc_chan *c, void *buf, size_t cap,
                                      size_t *nread, struct ipc_chan_meta *meta,
                                      ipc_deadline d);

/**
 * ipc_chan_recv_borrow() - Receive one message without a buffer of your own.
 * @c:    a channel open for reading.
 * @data: out: the payload, in memory the channel owns (for a ring, the
 *        shared mapping itself).
 * @len:  out: its length.
 * @meta: as ipc_chan_recv_meta(), or NULL.
 * @d:    deadline.
 *
 * For callers that cannot know the size beforehand (the bindings).
 * Return: as ipc_chan_recv() without the too-small-buffer case.
 * Ownership: *@data is valid until the next receive on @c or its close.
 * Blocking: until a message or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_chan_recv_borrow(ipc_chan *c, const void **data,
                                        size_t *len, struct ipc_chan_meta *meta,
                                        ipc_deadline d);

/**
 * ipc_chan_write() - Write raw bytes on a byte-stream channel.
 * @c:        a framed channel open for writing (fd, fifo, unix, tcp, pipe).
 * @buf:      the bytes.
 * @len:      how many.
 * @nwritten: out: how many were written.
 * @d:        deadline.
 *
 * For talking to programs that do not speak frames. Do not mix with
 * ipc_chan_send() on one stream unless the reader expects both.
 * Return: 0, or -EOPNOTSUPP (a message kind), and what a pipe write
 * returns.
 */
IPC_API ipc_status ipc_chan_write(ipc_chan *c, const void *buf, size_t len,
                                  size_t *nwritten, ipc_deadline d);

/**
 * ipc_chan_read() - Read what raw bytes are available on a byte stream.
 * @c:     a framed channel open for reading.
 * @buf:   where to put them.
 * @cap:   room in @buf (at least 1).
 * @nread: out: how many; 0 only at end of stream.
 * @d:     deadline.
 *
 * Bytes the channel already read ahead come first.
 * Return: 0 (also at end of stream, with *@nread 0), or -EOPNOTSUPP
 * (a message kind), -EAGAIN, -ETIMEDOUT, -EINTR, -EBADF.
 */
IPC_API ipc_status ipc_chan_read(ipc_chan *c, void *buf, size_t cap,
                                 size_t *nread, ipc_deadline d);

/**
 * ipc_chan_send_fds() - Send a message with descriptors (Unix sockets).
 * @c:    a unix:, unixpacket: or unixgram: channel.
 * @buf:  the payload: at least one byte (the descriptors ride on it).
 * @len:  its length, 1 to ipc_chan_max_message().
 * @fds:  descriptors to pass, borrowed.
 * @nfds: 1 to IPC_SOCK_MAX_FDS.
 * @d:    deadline.
 *
 * unix: (stream) channels do not carry descriptors: their frame decoder
 * reads ahead with plain reads, which make the kernel discard (close) any
 * descriptors that arrive; use unixpacket: to pass them.
 * Return: as ipc_chan_send(), and -EOPNOTSUPP for other kinds (unix:
 * included), -EINVAL (@nfds 0 or above IPC_SOCK_MAX_FDS, @len 0).
 */
IPC_API ipc_status ipc_chan_send_fds(ipc_chan *c, const void *buf, size_t len,
                                     const int *fds, size_t nfds,
                                     ipc_deadline d);

/**
 * ipc_chan_recv_fds() - Receive a message and the descriptors it carries.
 * @c:      a unix:, unixpacket: or unixgram: channel.
 * @data:   out: the payload, borrowed as ipc_chan_recv_borrow() does.
 * @len:    out: its length.
 * @fds:    out: received descriptors, close-on-exec, owned by the caller.
 * @maxfds: room in @fds; when more arrive, every descriptor that came is
 *          closed, *@nfds is 0, and the call returns -EMSGSIZE with the
 *          message delivered in *@data and *@len all the same.
 * @nfds:   out: how many were stored.
 * @d:      deadline.
 *
 * Return: as ipc_chan_recv(), and -EOPNOTSUPP for other kinds.
 */
IPC_API ipc_status ipc_chan_recv_fds(ipc_chan *c, const void **data,
                                     size_t *len, int *fds, size_t maxfds,
                                     size_t *nfds, ipc_deadline d);

/**
 * ipc_chan_peer_cred() - Credentials of a Unix socket channel's peer.
 * @c:    a connected unix:/unixpacket: channel.
 * @cred: out: pid, uid, gid as the kernel saw them at connect time.
 *
 * Return: 0, or -EOPNOTSUPP (another kind), -ENOTCONN, -EBADF.
 */
IPC_API ipc_status ipc_chan_peer_cred(ipc_chan *c, struct ipc_sock_cred *cred);

/**
 * ipc_chan_fd() - The descriptor to poll for readability.
 * @c: a channel.
 *
 * Return: a borrowed descriptor, or -1 (a ring, or @c NULL).
 */
IPC_API int ipc_chan_fd(const ipc_chan *c);

/**
 * ipc_chan_readable() - Whether a receive would find a message (or the
 * end of the stream) without waiting for the descriptor.
 * @c: a channel.
 *
 * True when a framed channel holds read-ahead bytes, a ring has a
 * message, or an mq channel holds a message a too-small receive left;
 * false means: wait on ipc_chan_fd() (or poll the ring again).
 * Return: the answer; false for NULL.
 */
IPC_API bool ipc_chan_readable(ipc_chan *c);

/**
 * ipc_chan_max_message() - The largest message the channel sends or takes.
 * @c: a channel.
 *
 * Return: bytes; 0 when @c is NULL.
 */
IPC_API size_t ipc_chan_max_message(const ipc_chan *c);

/**
 * ipc_chan_ring() - The ring under a ring: channel.
 * @c: a channel.
 *
 * For what only the ring has: ipc_ring_stats(), ipc_ring_name(). The ring
 * belongs to the channel: do not close it, and do not peek or release on
 * it while the channel has a message lent by ipc_chan_recv_borrow().
 * Return: the ring, borrowed; NULL when @c is not a ring channel or NULL.
 */
IPC_API struct ipc_ring *ipc_chan_ring(const ipc_chan *c);

/**
 * ipc_chan_kind() - The URL kind of a channel (enum ipc_url_kind).
 * @c: a channel.
 *
 * Return: the kind; IPC_URL_FD for pipe ends; 0 when @c is NULL.
 */
IPC_API int ipc_chan_kind(const ipc_chan *c);

/**
 * ipc_chan_url() - The URL the channel was opened with, canonical.
 * @c: a channel.
 *
 * For a listener on port 0 it carries the port the kernel chose.
 * Return: a string owned by @c; NULL when @c is NULL.
 */
IPC_API const char *ipc_chan_url(const ipc_chan *c);

/**
 * ipc_chan_is_framed() - Whether the kind carries frames on a byte stream.
 * @c: a channel.
 *
 * Return: true for fd, fifo, unix, tcp and pipe ends.
 */
IPC_API bool ipc_chan_is_framed(const ipc_chan *c);

/**
 * ipc_chan_close() - Close the channel and free it. Named objects stay.
 * @c: the channel, or NULL.
 *
 * A framed channel first tries to send what a timed-out send left queued,
 * without waiting.
 * Return: 0, or the error close(2) reported (never -EINTR).
 */
IPC_API ipc_status ipc_chan_close(ipc_chan *c);

/**
 * ipc_endpoint_open() - Open an endpoint a parent handed down.
 * @out:   out: the channel.
 * @name:  the endpoint's name ("in", "out", ...).
 * @flags: 0 for the direction the kind allows (IPC_O_RDWR where it can),
 *         or IPC_O_READ / IPC_O_WRITE.
 * @d:     deadline for the open.
 *
 * Looks @name up in the environment variable IPC_ENDPOINTS
 * ("name=URL;name=URL", ';' and '%' inside a URL written %3B and %25:
 * docs/endpoints.md) and opens its URL.
 * Return: 0, or -ENOENT (no such endpoint, or no IPC_ENDPOINTS), -EINVAL
 * (malformed variable or URL: ipc_detail() says where), and what
 * ipc_chan_open() returns.
 */
IPC_API ipc_status ipc_endpoint_open(ipc_chan **out, const char *name,
                                     unsigned int flags, ipc_deadline d);

/**
 * ipc_endpoint_lookup() - Find an endpoint's URL without opening it.
 * @env:  the variable's value, or NULL to read IPC_ENDPOINTS.
 * @name: the endpoint.
 * @buf:  out: the URL, decoded.
 * @cap:  room in @buf.
 *
 * Return: 0, or -ENOENT, -EINVAL (malformed), -ENAMETOOLONG.
 */
IPC_API ipc_status ipc_endpoint_lookup(const char *env, const char *name,
                                       char *buf, size_t cap);

/**
 * ipc_endpoint_append() - Add "name=URL" to an IPC_ENDPOINTS value.
 * @buf:  in/out: a NUL-terminated value ("" to start).
 * @cap:  room in @buf.
 * @name: the endpoint name: letters, digits, '_', '-', '.'.
 * @url:  its URL (encoded as needed).
 *
 * Return: 0, or -EINVAL (bad name, or a name already present),
 * -ENAMETOOLONG (@buf unchanged).
 */
IPC_API ipc_status ipc_endpoint_append(char *buf, size_t cap, const char *name,
                                       const char *url);

#ifdef __cplusplus
}
#endif

#endif /* IPC_CHAN_H */
