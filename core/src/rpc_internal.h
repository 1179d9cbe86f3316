/* SPDX-License-Identifier: MIT */
/*
 * rpc_internal.h - what the RPC transport needs of the codec beyond the
 * public API: appending bytes already encoded, and skipping one value.
 */
#ifndef IPC_RPC_INTERNAL_H
#define IPC_RPC_INTERNAL_H

#include "ipc/rpc.h"

/* Envelope kinds: [1, kind, id, ...]. */
#define IPC__RPC_CALL   0
#define IPC__RPC_RESULT 1
#define IPC__RPC_ERROR  2

/* Append @len bytes that already hold encoded items. */
void ipc__rpc_put_raw(struct ipc_rpc_enc *e, const void *p, size_t len);

/*
 * Read one whole value (an item and everything it announces) and give
 * its first item and its encoded bytes. Returns 0, -ENODATA or -EPROTO.
 */
ipc_status ipc__rpc_dec_value(struct ipc_rpc_dec *d, struct ipc_rpc_item *it,
                              const unsigned char **p, size_t *len);

/* Longest error message sent, in bytes; longer ones are truncated. */
#define IPC__RPC_MESSAGE_MAX 65536

/* How long a server tries to deliver a reply before dropping it (ms). */
#define IPC__RPC_REPLY_MS 100

/* A call as the server decodes it; pointers into the message. */
struct ipc__rpc_call {
	int64_t version;
	int64_t kind;
	uint64_t id;
	bool has_id; /* id and reply_to were read: a refusal can be sent */
	const char *reply_to; /* NULL for nil */
	size_t reply_to_len;
	const char *method;
	size_t method_len;
	const unsigned char *args;
	size_t args_len;
};

/* A reply as the client decodes it. */
struct ipc__rpc_reply {
	int kind; /* IPC__RPC_RESULT or IPC__RPC_ERROR */
	uint64_t id;
	const unsigned char *value; /* the value, or the message's text */
	size_t value_len;
};

/* Decode a call; -EPROTO (with a detail) when malformed. */
ipc_status ipc__rpc_parse_call(const void *buf, size_t len,
                               struct ipc__rpc_call *c);

/* Decode a reply; -EPROTO (with a detail) when malformed. */
ipc_status ipc__rpc_parse_reply(const void *buf, size_t len,
                                struct ipc__rpc_reply *r);

/* Whether @buf is exactly one value, of kind @want (-1: any). */
ipc_status ipc__rpc_check_value(const void *buf, size_t len, int want);

/* Append [1, kind, id] of a 4-item reply; the caller adds the value. */
void ipc__rpc_put_reply(struct ipc_rpc_enc *e, int kind, uint64_t id);

/* Append @msg as text: bad UTF-8 replaced, at most IPC__RPC_MESSAGE_MAX. */
void ipc__rpc_put_message(struct ipc_rpc_enc *e, const char *msg);

struct ipc_url;
struct ipc_chan_opts;

/* Parse @url and refuse the kinds rpc does not run over. */
ipc_status ipc__rpc_check_kind(const char *url, struct ipc_url *u);

/* The channel opts that carry @o for a URL of @u's kind. */
void ipc__rpc_chan_opts(const struct ipc_url *u, const struct ipc_rpc_opts *o,
                        struct ipc_chan_opts *co);

/* Remove the reply objects "<url's name>.r<pid>-<n>" that dead clients
 * left beside the server's object of @kind (rpc_sweep.c). */
void ipc__rpc_sweep_replies(const char *url, int kind);

#endif /* IPC_RPC_INTERNAL_H */
