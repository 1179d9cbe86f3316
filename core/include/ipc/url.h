/* SPDX-License-Identifier: MIT */
/*
 * ipc/url.h - endpoint URLs: the one name of every channel and named object.
 *
 * The same strings work in C, Python, Lua and host configs (DESIGN.md):
 *
 *     fd:N                   an inherited descriptor        framed
 *     fifo:/path             named pipe                     framed
 *     mq:/name               POSIX message queue            native, priority
 *     sysvmq:KEY             System V queue (KEY decimal,   native, type
 *                            0x hex, or path:proj for ftok)
 *     ring:/name             message ring in shared memory  native, zero-copy
 *     unix:/path, unix:@name Unix stream socket             framed
 *     unixgram:/path         Unix datagram socket           native
 *     unixpacket:/path       Unix seqpacket socket          native
 *     tcp://host:port        TCP                            framed
 *     udp://host:port        UDP                            native
 *
 * and, for naming, listing and removal only: shm:/name, sem:/name,
 * mutex:/name, sysvshm:KEY, semset:KEY.
 *
 * Options follow a '?' as name=value pairs joined by '&':
 *     capacity=SIZE           ring bytes; pipe/FIFO kernel buffer
 *     max_messages=N          mq queue depth
 *     max_message_size=SIZE   largest message (every channel kind)
 *     mode=0600               permission bits of a created object (octal)
 *     create=0|1, exclusive=0|1
 * SIZE is a decimal count with an optional binary suffix: K, KiB, M, MiB,
 * G, GiB (1MiB = 1048576). An option that does not apply to the kind, an
 * unknown option, a repeated option, a value out of range or any stray
 * character is refused: the parser is strict, so a typo never silently
 * becomes a default. docs/urls.md has the grammar.
 *
 * URLs take no percent-encoding: '%' is refused (except in an IPv6 zone
 * id, "[fe80::1%eth0]"), and so are spaces and control characters. Paths
 * (fifo, unix sockets, ftok keys) must be absolute. Decimal numbers have
 * no sign and no leading zeros.
 *
 * Failures return -EINVAL and leave a message in ipc_detail() that quotes
 * the URL and says which part is wrong.
 */
#ifndef IPC_URL_H
#define IPC_URL_H

#include "ipc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* URL kinds. Channel kinds first; 0 is never a valid kind. */
enum ipc_url_kind {
	IPC_URL_FD = 1,
	IPC_URL_FIFO,
	IPC_URL_MQ,
	IPC_URL_SYSVMQ,
	IPC_URL_RING,
	IPC_URL_UNIX,
	IPC_URL_UNIXGRAM,
	IPC_URL_UNIXPACKET,
	IPC_URL_TCP,
	IPC_URL_UDP,
	/* Named objects that are not channels. */
	IPC_URL_SHM,
	IPC_URL_SEM,
	IPC_URL_MUTEX,
	IPC_URL_SYSVSHM,
	IPC_URL_SEMSET,
};

/* The longest address part: a Unix path or host:port fits easily. */
#define IPC_URL_ADDR_MAX 1024

/* Which options a parsed URL carries (struct ipc_url.has). */
#define IPC_URL_HAS_CAPACITY         0x01u
#define IPC_URL_HAS_MAX_MESSAGES     0x02u
#define IPC_URL_HAS_MAX_MESSAGE_SIZE 0x04u
#define IPC_URL_HAS_MODE             0x08u
#define IPC_URL_HAS_CREATE           0x10u
#define IPC_URL_HAS_EXCLUSIVE        0x20u

/*
 * A parsed URL. @addr is the address in the form the mechanism takes:
 * the path for fifo/unix*, the POSIX name with its '/' for mq/ring/shm/
 * sem/mutex, "@name" for an abstract socket, "host:port" or "[v6]:port"
 * for tcp/udp (as ipc_sock_connect() takes it), the key text for the
 * System V kinds (a numeric key in the canonical "0x%08x" form, a
 * "/path:proj" key as written), the decimal number for fd. @fd and @key
 * hold the decoded number for fd and the System V kinds (a path:proj key
 * is resolved with ftok(3) when parsed).
 */
struct ipc_url {
	int kind; /* enum ipc_url_kind */
	char addr[IPC_URL_ADDR_MAX];
	int fd;           /* IPC_URL_FD */
	int32_t key;      /* IPC_URL_SYSVMQ, IPC_URL_SYSVSHM, IPC_URL_SEMSET */
	unsigned int has; /* IPC_URL_HAS_* */
	uint64_t capacity;
	uint64_t max_messages;
	uint64_t max_message_size;
	unsigned int mode;
	bool create;
	bool exclusive;
};

/**
 * ipc_url_parse() - Parse an endpoint URL.
 * @text: the URL.
 * @url:  out: the parts; zeroed on failure.
 *
 * Return: 0, or -EINVAL (malformed: ipc_detail() says why), -ENAMETOOLONG
 * (the address does not fit IPC_URL_ADDR_MAX, or a Unix path is longer
 * than sun_path; a POSIX name longer than NAME_MAX); for a "path:proj"
 * System V key, the errors of ipc_sysv_key() on the file (-ENOENT,
 * -EACCES, -ENOTDIR, ...). Every failure leaves a detail.
 */
IPC_API ipc_status ipc_url_parse(const char *text, struct ipc_url *url);

/**
 * ipc_url_format() - Write a URL back as text.
 * @url: a parsed URL (or one filled in by hand).
 * @buf: out: the text, NUL-terminated.
 * @cap: room in @buf.
 *
 * The canonical form: the scheme as listed above, options in the order
 * of the IPC_URL_HAS_* bits, sizes in bytes, mode in octal with a leading
 * 0, create/exclusive as 0 or 1. parse(format(u)) gives u back. Only the
 * options in @url->has are written. A URL filled in by hand may leave
 * @addr empty for fd (@fd is written) and the System V kinds (@key is
 * written as 0x%08x).
 * Return: 0, or -EINVAL (bad kind or fields: the text would not parse
 * back to @url), -ENAMETOOLONG (@cap too small; @buf then holds "").
 */
IPC_API ipc_status ipc_url_format(const struct ipc_url *url, char *buf,
                                  size_t cap);

/**
 * ipc_url_kind_name() - The scheme of a kind: "mq", "unixgram", ...
 * @kind: an enum ipc_url_kind value.
 *
 * Return: a static string, or NULL for an unknown kind.
 */
IPC_API const char *ipc_url_kind_name(int kind);

/**
 * ipc_url_kind_options() - Which options a kind takes.
 * @kind: an enum ipc_url_kind value.
 *
 * The one table the URL parser and the channels both check options
 * against (channels for struct ipc_chan_opts and open flags).
 * Return: the IPC_URL_HAS_* bits that apply; 0 for an unknown kind.
 */
IPC_API unsigned int ipc_url_kind_options(int kind);

/**
 * ipc_url_is_channel() - Whether a kind can be opened as a channel.
 * @kind: an enum ipc_url_kind value.
 *
 * Return: true for IPC_URL_FD .. IPC_URL_UDP.
 */
IPC_API bool ipc_url_is_channel(int kind);

/**
 * ipc_parse_size() - Parse a size as URLs and configs write it.
 * @text:  "4096", "64K", "64KiB", "1M", "1MiB", "2G", "2GiB".
 * @bytes: out: the value.
 *
 * Digits without sign, spaces or leading zeros, then nothing or one of
 * the suffixes exactly (no "k", "KB", "T"). Leaves a detail on failure.
 * Return: 0, or -EINVAL (malformed), -ERANGE (overflows 64 bits).
 */
IPC_API ipc_status ipc_parse_size(const char *text, uint64_t *bytes);

/**
 * ipc_unlink_url() - Remove the named object behind a URL.
 * @text: fifo:, mq:, ring:, shm:, sem:, mutex:, unix:/path, unixgram:,
 *        unixpacket: (the socket file), sysvmq:, sysvshm:, semset:.
 *
 * Options in the URL are checked but otherwise ignored. Nothing but the
 * kind named is removed (a FIFO URL never removes a regular file).
 * Return: 0, or -ENOENT (nothing by that name), -EINVAL (malformed, or a
 * kind that names nothing: fd:, tcp:, udp:, an abstract socket; or the
 * object is of another type), and what the mechanism's own unlink or
 * remove returns.
 */
IPC_API ipc_status ipc_unlink_url(const char *text);

#ifdef __cplusplus
}
#endif

#endif /* IPC_URL_H */
