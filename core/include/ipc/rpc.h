/* SPDX-License-Identifier: MIT */
/*
 * ipc/rpc.h - calling functions in another process over any channel URL.
 *
 * Two parts. The codec encodes and decodes values: nil, booleans,
 * integers, floats, UTF-8 strings, byte strings, lists and maps, as a
 * subset of MessagePack (so any MessagePack library can read and write
 * them). The transport carries calls and replies over a channel: a server
 * receives requests one at a time and answers each; a client calls and
 * waits for the answer until a deadline. docs/rpc.md has the wire format
 * (the envelope, its version, the limits) and the transports.
 *
 * The bindings walk their own values through the encoder and build them
 * back from the decoder's items; the envelope, ids, reply routing, limits
 * and validation live here, once.
 *
 * Transports by URL kind:
 *   unix:, unixpacket:, tcp:   the server listens and serves every
 *                              connection; replies go back on it.
 *   ring:, mq:, fifo:, unixgram:, sysvmq:
 *                              the server creates the object and reads
 *                              calls from it; each client makes a private
 *                              reply object named after the request URL,
 *                              its pid and a counter (sysvmq: the same
 *                              queue, with a message type of its own), and
 *                              removes it on close; a server removes those
 *                              of dead clients when it opens the name.
 *   udp:, fd:                  refused (-EPROTONOSUPPORT): UDP may lose a
 *                              call, and an fd: has no second direction.
 */
#ifndef IPC_RPC_H
#define IPC_RPC_H

#include "ipc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The envelope version this library writes and reads. */
#define IPC_RPC_VERSION 1

/* Deepest nesting of lists and maps the codec accepts. */
#define IPC_RPC_MAX_DEPTH 64

/* Largest encoded call or reply unless the opts say otherwise (16 MiB). */
#define IPC_RPC_DEFAULT_MAX ((size_t)16 << 20)

/* ---- codec ------------------------------------------------------------ */

enum ipc_rpc_kind {
	IPC_RPC_NIL,
	IPC_RPC_BOOL,
	IPC_RPC_INT,  /* fits int64_t */
	IPC_RPC_UINT, /* above INT64_MAX, fits uint64_t */
	IPC_RPC_FLOAT,
	IPC_RPC_STR, /* valid UTF-8 */
	IPC_RPC_BYTES,
	IPC_RPC_LIST, /* followed by count items */
	IPC_RPC_MAP,  /* followed by count key, value pairs */
};

/*
 * An encoder: a growing buffer with a size limit. Every put appends one
 * item; a failure is sticky (later puts do nothing) and reported by
 * ipc_rpc_enc_status(). Fields are for reading only.
 */
struct ipc_rpc_enc {
	unsigned char *data;
	size_t len;
	size_t cap;
	size_t limit;
	ipc_status status;
};

/**
 * ipc_rpc_enc_init() - Start an empty encoder.
 * @e:     the encoder.
 * @limit: largest encoding allowed, in bytes (0: IPC_RPC_DEFAULT_MAX).
 */
IPC_API void ipc_rpc_enc_init(struct ipc_rpc_enc *e, size_t limit);

/* Empty the encoder, keeping its buffer and limit. */
IPC_API void ipc_rpc_enc_reset(struct ipc_rpc_enc *e);

/* Free the encoder's buffer; the encoder may be initialised again. */
IPC_API void ipc_rpc_enc_free(struct ipc_rpc_enc *e);

/*
 * Append one item. Lists and maps are announced with their count and
 * followed by that many items (a map: key then value, count times).
 * ipc_rpc_put_str() refuses text that is not valid UTF-8 (-EILSEQ).
 */
IPC_API void ipc_rpc_put_nil(struct ipc_rpc_enc *e);
IPC_API void ipc_rpc_put_bool(struct ipc_rpc_enc *e, bool v);
IPC_API void ipc_rpc_put_int(struct ipc_rpc_enc *e, int64_t v);
IPC_API void ipc_rpc_put_uint(struct ipc_rpc_enc *e, uint64_t v);
IPC_API void ipc_rpc_put_float(struct ipc_rpc_enc *e, double v);
IPC_API void ipc_rpc_put_str(struct ipc_rpc_enc *e, const char *s, size_t len);
IPC_API void ipc_rpc_put_bytes(struct ipc_rpc_enc *e, const void *p,
                               size_t len);
IPC_API void ipc_rpc_put_list(struct ipc_rpc_enc *e, uint32_t count);
IPC_API void ipc_rpc_put_map(struct ipc_rpc_enc *e, uint32_t count);

/**
 * ipc_rpc_enc_status() - The encoder's first failure.
 * @e: the encoder.
 *
 * Return: 0, or -EMSGSIZE (the limit was reached), -ENOMEM, -EILSEQ.
 */
IPC_API ipc_status ipc_rpc_enc_status(const struct ipc_rpc_enc *e);

/* One decoded item. Strings and bytes point into the decoded buffer. */
struct ipc_rpc_item {
	enum ipc_rpc_kind kind;
	union {
		bool b;
		int64_t i;
		uint64_t u;
		double f;
		struct {
			const char *p;
			size_t len;
		} s;            /* STR and BYTES */
		uint32_t count; /* LIST and MAP */
	} v;
};

/*
 * A decoder over one buffer. It checks the nesting as it goes: no count
 * larger than the bytes left could hold, no deeper than IPC_RPC_MAX_DEPTH,
 * strings valid UTF-8. Fields are private.
 */
struct ipc_rpc_dec {
	const unsigned char *start; /* for the offsets in details */
	const unsigned char *p;
	const unsigned char *end;
	unsigned int depth;
	uint64_t left[IPC_RPC_MAX_DEPTH + 1];
};

/* Start decoding @len bytes at @data: exactly one value is expected. */
IPC_API void ipc_rpc_dec_init(struct ipc_rpc_dec *d, const void *data,
                              size_t len);

/**
 * ipc_rpc_dec_next() - The next item, in depth-first order.
 * @d:    the decoder.
 * @item: out: the item.
 *
 * Return: 0, -ENODATA (the value is complete: nothing more to read), or
 * -EPROTO (truncated, an unknown or unsupported MessagePack type, bad
 * UTF-8, too deep, a count the buffer cannot hold: ipc_detail() says
 * which and at what offset).
 */
IPC_API ipc_status ipc_rpc_dec_next(struct ipc_rpc_dec *d,
                                    struct ipc_rpc_item *item);

/**
 * ipc_rpc_dec_finish() - Check that the value ended with the buffer.
 * @d: a decoder that returned -ENODATA, or whose items were all read.
 *
 * Return: 0, or -EPROTO (an unfinished value, or bytes after it).
 */
IPC_API ipc_status ipc_rpc_dec_finish(const struct ipc_rpc_dec *d);

/* Whether @len bytes at @s are valid UTF-8 (what ipc_rpc_put_str takes). */
IPC_API bool ipc_rpc_utf8_valid(const char *s, size_t len);

/* ---- transport -------------------------------------------------------- */

typedef struct ipc_rpc_server ipc_rpc_server;
typedef struct ipc_rpc_client ipc_rpc_client;

struct ipc_rpc_opts {
	size_t max_message_size; /* 0: IPC_RPC_DEFAULT_MAX, or the channel's */
	unsigned int mode;       /* objects created; 0: IPC_MODE_DEFAULT */
};

/* One call, as the server receives it. Pointers stay valid until the
 * next ipc_rpc_server_recv() or ipc_rpc_server_close(). */
struct ipc_rpc_request {
	uint64_t id;
	const char *method; /* NUL-terminated, valid UTF-8 */
	size_t method_len;
	const void *args; /* one encoded value: the list of arguments */
	size_t args_len;
	uint64_t route; /* private: where the reply goes */
};

/**
 * ipc_rpc_server_open() - Serve calls on a URL.
 * @out:  out: the server.
 * @url:  a channel URL (see the transports above).
 * @opts: or NULL.
 *
 * Return: 0, -EPROTONOSUPPORT (udp:, fd:), what ipc_chan_listen() or
 * ipc_chan_open() returns.
 */
IPC_API ipc_status ipc_rpc_server_open(ipc_rpc_server **out, const char *url,
                                       const struct ipc_rpc_opts *opts);

/**
 * ipc_rpc_server_recv() - Wait for the next call.
 * @s:   the server.
 * @req: out: the call.
 * @d:   deadline.
 *
 * Accepts connections and drops closed ones on the way; a malformed or
 * oversized message is answered with an error where it can be (or the
 * connection dropped) and skipped, never returned.
 * Return: 0, -ETIMEDOUT, -EAGAIN (IPC_DEADLINE_NOW), -EINTR.
 */
IPC_API ipc_status ipc_rpc_server_recv(ipc_rpc_server *s,
                                       struct ipc_rpc_request *req,
                                       ipc_deadline d);

/**
 * ipc_rpc_server_reply() - Answer a call with a result.
 * @s:     the server.
 * @req:   the call, as received.
 * @value: one encoded value.
 * @len:   its length.
 *
 * A caller that went away is not an error: the reply is dropped.
 * Return: 0, -EMSGSIZE, -EPROTO (@value is not exactly one valid value).
 */
IPC_API ipc_status ipc_rpc_server_reply(ipc_rpc_server *s,
                                        const struct ipc_rpc_request *req,
                                        const void *value, size_t len);

/**
 * ipc_rpc_server_reply_error() - Answer a call with an error message.
 * @s:   the server.
 * @req: the call.
 * @msg: the message (invalid UTF-8 is replaced, long ones truncated).
 *
 * Return: as ipc_rpc_server_reply().
 */
IPC_API ipc_status ipc_rpc_server_reply_error(ipc_rpc_server *s,
                                              const struct ipc_rpc_request *req,
                                              const char *msg);

/* The server's URL, as given (tcp: with the port the kernel chose for 0). */
IPC_API const char *ipc_rpc_server_url(const ipc_rpc_server *s);

/* Close every connection; unlink what the server created. NULL is fine. */
IPC_API void ipc_rpc_server_close(ipc_rpc_server *s);

/**
 * ipc_rpc_client_open() - Connect to a server.
 * @out:  out: the client.
 * @url:  the server's URL.
 * @opts: or NULL.
 * @d:    deadline for connecting.
 *
 * Return: 0, -EPROTONOSUPPORT, what ipc_chan_open() returns
 * (-ECONNREFUSED, -ENOENT: no server, -ETIMEDOUT).
 */
IPC_API ipc_status ipc_rpc_client_open(ipc_rpc_client **out, const char *url,
                                       const struct ipc_rpc_opts *opts,
                                       ipc_deadline d);

/* What a call brought back; valid until the next call or close. */
struct ipc_rpc_reply {
	const void *data; /* the encoded result, or the error message */
	size_t len;
};

/**
 * ipc_rpc_call() - Call a remote function and wait for its answer.
 * @c:        the client.
 * @method:   the function's name (UTF-8).
 * @args:     the arguments: one encoded list.
 * @args_len: its length.
 * @rep:      out: the result (one encoded value), or the error message
 *            (UTF-8 text, NUL-terminated) when the call returns -EREMOTEIO.
 * @d:        deadline for the whole call.
 *
 * ipc_rpc_send_call() then ipc_rpc_wait_reply(). A reply that arrives
 * after its call was abandoned is recognised by its id and dropped by a
 * later call.
 * Return: 0, -EREMOTEIO (the remote function failed, or there is no such
 * function: @rep has the message), -ETIMEDOUT, -EPIPE or -ECONNRESET (the
 * server went away), -EPROTO (a malformed reply), -EMSGSIZE, -EINTR.
 * After -EINTR or -ETIMEDOUT, ipc_rpc_pending() says whether the call had
 * gone out: then do not call again (the function would run twice) but
 * resume with ipc_rpc_wait_reply().
 */
IPC_API ipc_status ipc_rpc_call(ipc_rpc_client *c, const char *method,
                                const void *args, size_t args_len,
                                struct ipc_rpc_reply *rep, ipc_deadline d);

/**
 * ipc_rpc_send_call() - Send a call without waiting for its answer.
 * @c:        the client.
 * @method:   the function's name (UTF-8).
 * @args:     the arguments: one encoded list.
 * @args_len: its length.
 * @d:        deadline for sending.
 *
 * On success the call is pending until ipc_rpc_wait_reply() gets its
 * answer or fails for good; a new call abandons a pending one.
 * Return: 0, -EINVAL (@args is not one list, the name not UTF-8),
 * -EMSGSIZE, -EPIPE, -ETIMEDOUT, -EINTR (nothing was sent).
 */
IPC_API ipc_status ipc_rpc_send_call(ipc_rpc_client *c, const char *method,
                                     const void *args, size_t args_len,
                                     ipc_deadline d);

/**
 * ipc_rpc_wait_reply() - Wait for the answer to the pending call.
 * @c:   the client.
 * @rep: out: as for ipc_rpc_call().
 * @d:   deadline.
 *
 * -ETIMEDOUT, -EAGAIN and -EINTR leave the call pending, so a caller may
 * wait in slices (to run signal handlers) and resume; every other result
 * ends it.
 * Return: as ipc_rpc_call(), and -EINVAL when no call is pending.
 */
IPC_API ipc_status ipc_rpc_wait_reply(ipc_rpc_client *c,
                                      struct ipc_rpc_reply *rep,
                                      ipc_deadline d);

/* Whether a call was sent and its answer not yet received. */
IPC_API bool ipc_rpc_pending(const ipc_rpc_client *c);

/* Close the client and remove its reply object. NULL is fine. */
IPC_API void ipc_rpc_client_close(ipc_rpc_client *c);

#ifdef __cplusplus
}
#endif

#endif /* IPC_RPC_H */
