/* SPDX-License-Identifier: MIT */
/*
 * url.c - endpoint URLs: a strict parser, the canonical form, sizes, and
 * removal of the named object behind a URL. docs/urls.md has the grammar.
 *
 * The parser refuses anything it does not fully understand, with -EINVAL
 * and a detail (ipc_detail()) that quotes the URL and names the wrong
 * part: a typo must never silently become a default. URLs take no
 * percent-encoding: '%' is refused outside an IPv6 zone id, and so are
 * spaces and control characters (a path that holds them cannot be written
 * as a URL).
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "internal.h"
#include "ipc/fifo.h"
#include "ipc/mq.h"
#include "ipc/mutex.h"
#include "ipc/ring.h"
#include "ipc/sem.h"
#include "ipc/semset.h"
#include "ipc/shm.h"
#include "ipc/socket.h"
#include "ipc/sysv.h"
#include "ipc/sysvmq.h"
#include "ipc/sysvshm.h"
#include "ipc/url.h"

/* The longest path or abstract name sun_path holds (108 with the NUL). */
#define URL_SUN_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
/* Longer host names are nothing getaddrinfo(3) could resolve. */
#define URL_HOST_MAX 255
/* How much of a URL a detail quotes. */
#define URL_QUOTE_MAX 160

#define OPT_ALL                                                                \
	(IPC_URL_HAS_CAPACITY | IPC_URL_HAS_MAX_MESSAGES |                     \
	 IPC_URL_HAS_MAX_MESSAGE_SIZE | IPC_URL_HAS_MODE |                     \
	 IPC_URL_HAS_CREATE | IPC_URL_HAS_EXCLUSIVE)
#define OPT_NAMED                                                              \
	(IPC_URL_HAS_MODE | IPC_URL_HAS_CREATE | IPC_URL_HAS_EXCLUSIVE)
#define OPT_MSG IPC_URL_HAS_MAX_MESSAGE_SIZE

/* How the address of a kind is written. */
enum addr_form {
	ADDR_FD,    /* decimal descriptor */
	ADDR_PATH,  /* absolute path */
	ADDR_SOCK,  /* absolute path (at most sun_path) or @abstract */
	ADDR_POSIX, /* POSIX object name */
	ADDR_SYSV,  /* System V key */
	ADDR_INET,  /* //host:port */
};

struct url_kind {
	const char *name;
	enum addr_form form;
	unsigned int opts; /* IPC_URL_HAS_* that apply */
};

/* Indexed by enum ipc_url_kind. */
static const struct url_kind kinds[] = {
        [IPC_URL_FD] = {"fd", ADDR_FD, OPT_MSG | IPC_URL_HAS_CAPACITY},
        [IPC_URL_FIFO] = {"fifo", ADDR_PATH,
                          OPT_MSG | OPT_NAMED | IPC_URL_HAS_CAPACITY},
        [IPC_URL_MQ] = {"mq", ADDR_POSIX,
                        OPT_MSG | OPT_NAMED | IPC_URL_HAS_MAX_MESSAGES},
        [IPC_URL_SYSVMQ] = {"sysvmq", ADDR_SYSV, OPT_MSG | OPT_NAMED},
        [IPC_URL_RING] = {"ring", ADDR_POSIX,
                          OPT_MSG | OPT_NAMED | IPC_URL_HAS_CAPACITY},
        [IPC_URL_UNIX] = {"unix", ADDR_SOCK, OPT_MSG | IPC_URL_HAS_MODE},
        [IPC_URL_UNIXGRAM] = {"unixgram", ADDR_SOCK,
                              OPT_MSG | IPC_URL_HAS_MODE},
        [IPC_URL_UNIXPACKET] = {"unixpacket", ADDR_SOCK,
                                OPT_MSG | IPC_URL_HAS_MODE},
        [IPC_URL_TCP] = {"tcp", ADDR_INET, OPT_MSG},
        [IPC_URL_UDP] = {"udp", ADDR_INET, OPT_MSG},
        [IPC_URL_SHM] = {"shm", ADDR_POSIX, OPT_NAMED},
        [IPC_URL_SEM] = {"sem", ADDR_POSIX, OPT_NAMED},
        [IPC_URL_MUTEX] = {"mutex", ADDR_POSIX, OPT_NAMED},
        [IPC_URL_SYSVSHM] = {"sysvshm", ADDR_SYSV, OPT_NAMED},
        [IPC_URL_SEMSET] = {"semset", ADDR_SYSV, OPT_NAMED},
};

#define KIND_MAX IPC_URL_SEMSET

/* Option names, in the order of the IPC_URL_HAS_* bits. */
static const char *const opt_names[] = {
        "capacity", "max_messages", "max_message_size",
        "mode",     "create",       "exclusive",
};

/* The URL being parsed, for details. */
struct ctx {
	const char *what; /* "URL", "size" */
	const char *text;
	bool resolve; /* compute path:proj keys with ftok */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_xdigit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * Copy @text into @out for a detail: at most URL_QUOTE_MAX bytes, '"' and
 * '\\' escaped, bytes that are not printable ASCII as \xNN, "..." when cut.
 */
static void quote(const char *text, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	size_t i;

	for (i = 0; text[i] != '\0'; i++) {
		unsigned char c = (unsigned char)text[i];

		if (o + 8 >= cap || o >= URL_QUOTE_MAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

/* Record "URL "<text>": <why>" as the detail and return @st. */
static ipc_status fail(const struct ctx *c, ipc_status st, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static ipc_status fail(const struct ctx *c, ipc_status st, const char *fmt, ...)
{
	char q[URL_QUOTE_MAX * 4 + 8];
	char why[320];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	quote(c->text, q, sizeof(q));
	return ipc__detail(st, "%s \"%s\": %s", c->what, q, why);
}

/*
 * A decimal number without sign, spaces or leading zeros ("0" itself is
 * fine), at most @max. Returns 0, -EINVAL (malformed) or -ERANGE.
 */
static ipc_status parse_dec(const char *s, size_t len, uint64_t max,
                            uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	*out = 0;
	if (len == 0 || (s[0] == '0' && len > 1))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned int d;

		if (!is_digit(s[i]))
			return -EINVAL;
		d = (unsigned int)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static ipc_status parse_size_n(const char *s, size_t len, uint64_t *bytes)
{
	static const struct {
		const char *suffix;
		unsigned int shift;
	} sfx[] = {
	        {"K", 10},   {"KiB", 10}, {"M", 20},
	        {"MiB", 20}, {"G", 30},   {"GiB", 30},
	};
	unsigned int shift = 0;
	size_t digits = 0;
	uint64_t v;
	ipc_status st;
	size_t i;

	*bytes = 0;
	while (digits < len && is_digit(s[digits]))
		digits++;
	if (digits == 0)
		return -EINVAL;
	if (digits < len) {
		size_t rest = len - digits;

		for (i = 0; i < IPC__ARRAY_SIZE(sfx); i++) {
			if (strlen(sfx[i].suffix) == rest &&
			    memcmp(sfx[i].suffix, s + digits, rest) == 0)
				break;
		}
		if (i == IPC__ARRAY_SIZE(sfx))
			return -EINVAL;
		shift = sfx[i].shift;
	}
	st = parse_dec(s, digits, UINT64_MAX, &v);
	if (st)
		return st;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = v << shift;
	return 0;
}

ipc_status ipc_parse_size(const char *text, uint64_t *bytes)
{
	struct ctx c = {"size", text, false};
	ipc_status st;

	ipc__detail_clear();
	if (bytes == NULL)
		return -EINVAL;
	*bytes = 0;
	if (text == NULL)
		return ipc__detail(-EINVAL, "size: NULL");
	st = parse_size_n(text, strlen(text), bytes);
	if (st == -ERANGE)
		return fail(&c, st, "size does not fit 64 bits");
	if (st)
		return fail(
		        &c, st,
		        "not a size: decimal digits without leading zeros, then nothing or K, KiB, M, MiB, G, GiB");
	return 0;
}

const char *ipc_url_kind_name(int kind)
{
	if (kind < IPC_URL_FD || kind > KIND_MAX)
		return NULL;
	return kinds[kind].name;
}

unsigned int ipc_url_kind_options(int kind)
{
	if (kind < IPC_URL_FD || kind > KIND_MAX)
		return 0;
	return kinds[kind].opts;
}

bool ipc_url_is_channel(int kind)
{
	return kind >= IPC_URL_FD && kind <= IPC_URL_UDP;
}

/* The kind named by @s[0..@len), or 0. */
static int kind_by_name(const char *s, size_t len)
{
	int k;

	for (k = IPC_URL_FD; k <= KIND_MAX; k++) {
		if (strlen(kinds[k].name) == len &&
		    memcmp(kinds[k].name, s, len) == 0)
			return k;
	}
	return 0;
}

/* An absolute path: fifo, unix sockets. @max: longest length allowed. */
static ipc_status check_path(const struct ctx *c, const char *kn, const char *a,
                             size_t len, size_t max)
{
	if (len == 0)
		return fail(c, -EINVAL, "%s needs a path after \"%s:\"", kn,
		            kn);
	if (a[0] != '/')
		return fail(c, -EINVAL,
		            "the %s path must be absolute (start with '/')",
		            kn);
	if (len >= 2 && a[1] == '/')
		return fail(
		        c, -EINVAL,
		        "a path starting with \"//\": write %s:/path, not %s://path",
		        kn, kn);
	if (a[len - 1] == '/')
		return fail(c, -EINVAL, "the %s path ends with '/'", kn);
	if (len > max)
		return fail(c, -ENAMETOOLONG,
		            "the %s path is %zu bytes long, at most %zu fit",
		            kn, len, max);
	return 0;
}

static ipc_status addr_sock(const struct ctx *c, const char *kn, const char *a,
                            size_t len)
{
	if (len > 0 && a[0] == '@') {
		if (len == 1)
			return fail(c, -EINVAL,
			            "abstract socket name after '@' is empty");
		if (len - 1 > URL_SUN_MAX)
			return fail(
			        c, -ENAMETOOLONG,
			        "abstract socket name is %zu bytes long, at most %zu fit",
			        len - 1, URL_SUN_MAX);
		return 0;
	}
	return check_path(c, kn, a, len, URL_SUN_MAX);
}

static ipc_status addr_posix(const struct ctx *c, const char *kn, const char *a)
{
	ipc_status st = ipc__check_posix_name(a);

	if (st == -ENAMETOOLONG)
		return fail(c, st, "the %s name is longer than %d bytes", kn,
		            NAME_MAX);
	if (st)
		return fail(
		        c, st,
		        "bad %s name: it must be '/' then at least one character, no other '/', not \"/.\" or \"/..\"",
		        kn);
	return 0;
}

static ipc_status addr_fd(const struct ctx *c, const char *a, size_t len,
                          struct ipc_url *u)
{
	uint64_t v;
	ipc_status st;

	st = parse_dec(a, len, INT_MAX, &v);
	if (st == -ERANGE)
		return fail(c, -EINVAL, "descriptor number above %d", INT_MAX);
	if (st)
		return fail(
		        c, -EINVAL,
		        "fd needs a decimal descriptor number (no sign, no leading zeros)");
	u->fd = (int)v;
	return 0;
}

/* "0x" + hex digits, or decimal digits: the syntax before the range. */
static bool key_numeric(const char *a, size_t len)
{
	size_t i = 0;

	if (len > 2 && a[0] == '0' && (a[1] == 'x' || a[1] == 'X')) {
		for (i = 2; i < len; i++)
			if (!is_xdigit(a[i]))
				return false;
		return true;
	}
	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (!is_digit(a[i]))
			return false;
	return true;
}

static ipc_status addr_sysv(const struct ctx *c, const char *kn, const char *a,
                            size_t len, struct ipc_url *u)
{
	const char *colon;
	uint64_t proj;
	int32_t key;
	ipc_status st;

	if (len == 0)
		return fail(c, -EINVAL, "%s needs a key after \"%s:\"", kn, kn);
	colon = strrchr(a, ':');
	if (colon == NULL) {
		if (!key_numeric(a, len))
			return fail(
			        c, -EINVAL,
			        "bad %s key: decimal, 0x hexadecimal, or /path:proj",
			        kn);
		st = ipc_sysv_parse_key(a, &key);
		if (st)
			return fail(c, -EINVAL,
			            "%s key out of range (at most 0xffffffff)",
			            kn);
		if (key == IPC_SYSV_PRIVATE)
			return fail(c, -EINVAL,
			            "key 0 is IPC_PRIVATE: it names nothing");
		u->key = key;
		/* Canonical: lower-case hexadecimal, as ipcs(1) shows it. */
		(void)snprintf(u->addr, sizeof(u->addr), "0x%08x",
		               (unsigned int)(uint32_t)key);
		return 0;
	}
	if (a[0] != '/')
		return fail(
		        c, -EINVAL,
		        "the ftok path of a %s key must be absolute: /path:proj",
		        kn);
	if (parse_dec(colon + 1, strlen(colon + 1), 255, &proj) != 0 ||
	    proj == 0)
		return fail(
		        c, -EINVAL,
		        "the ftok project of a %s key must be 1 to 255 in decimal",
		        kn);
	if (colon - a >= PATH_MAX)
		return fail(c, -ENAMETOOLONG, "the ftok path is too long");
	if (!c->resolve)
		return 0;
	st = ipc_sysv_parse_key(a, &key);
	if (st)
		return fail(c, st == -EINVAL ? -EINVAL : st,
		            "cannot make a key from the file \"%.*s\": %s",
		            (int)(colon - a), a, ipc_strerror(st));
	u->key = key;
	return 0;
}

/* "//host:port", "//[v6]:port", "//[v6%zone]:port". */
static ipc_status addr_inet(const struct ctx *c, const char *kn, const char *a,
                            size_t len)
{
	char host[URL_HOST_MAX + 1];
	const char *h;
	const char *e;
	const char *port;
	uint64_t v;
	size_t hl;
	size_t i;

	if (len < 2 || a[0] != '/' || a[1] != '/')
		return fail(c, -EINVAL,
		            "%s needs \"//host:port\" after \"%s:\"", kn, kn);
	h = a + 2;
	if (h[0] == '[') {
		const char *pct;

		e = strchr(h, ']');
		if (e == NULL)
			return fail(c, -EINVAL, "IPv6 address without ']'");
		hl = (size_t)(e - h - 1);
		if (hl == 0)
			return fail(c, -EINVAL, "empty IPv6 address in []");
		if (hl > URL_HOST_MAX)
			return fail(c, -EINVAL, "IPv6 address too long");
		memcpy(host, h + 1, hl);
		host[hl] = '\0';
		pct = strchr(host, '%');
		if (pct != NULL) {
			/* A zone id: an interface name or index. */
			if (pct[1] == '\0')
				return fail(c, -EINVAL,
				            "empty IPv6 zone id after '%%'");
			for (i = 1; pct[i] != '\0'; i++) {
				char z = pct[i];

				if (!(is_digit(z) || (z >= 'a' && z <= 'z') ||
				      (z >= 'A' && z <= 'Z') || z == '_' ||
				      z == '-' || z == '.'))
					return fail(
					        c, -EINVAL,
					        "bad character in the IPv6 zone id");
			}
			host[pct - host] = '\0';
		}
		{
			unsigned char buf[16];

			if (inet_pton(AF_INET6, host, buf) != 1)
				return fail(
				        c, -EINVAL,
				        "\"%s\" in [] is not an IPv6 address",
				        host);
		}
		if (e[1] != ':')
			return fail(c, -EINVAL,
			            "expected ':port' after the IPv6 address");
		port = e + 2;
	} else {
		e = strchr(h, ':');
		if (e == NULL)
			return fail(c, -EINVAL, "%s needs \"//host:port\"", kn);
		hl = (size_t)(e - h);
		if (hl == 0)
			return fail(c, -EINVAL, "empty host before ':port'");
		if (hl > URL_HOST_MAX)
			return fail(c, -EINVAL,
			            "host name longer than %d bytes",
			            URL_HOST_MAX);
		for (i = 0; i < hl; i++) {
			char z = h[i];

			if (!(is_digit(z) || (z >= 'a' && z <= 'z') ||
			      (z >= 'A' && z <= 'Z') || z == '_' || z == '-' ||
			      z == '.'))
				return fail(
				        c, -EINVAL,
				        "bad character at byte %zu of the host: letters, digits, '-', '.', '_' (an IPv6 address goes in [])",
				        i);
		}
		port = e + 1;
	}
	if (strchr(port, ':') != NULL)
		return fail(c, -EINVAL,
		            "more than one ':' (an IPv6 address goes in [])");
	if (strchr(port, '/') != NULL)
		return fail(c, -EINVAL, "a %s URL takes no path after the port",
		            kn);
	if (parse_dec(port, strlen(port), 65535, &v) != 0)
		return fail(
		        c, -EINVAL,
		        "port must be 0 to 65535 in decimal, without leading zeros");
	return 0;
}

/* Parse one option "name=value" of @o[0..@len) into @u. */
static ipc_status parse_option(const struct ctx *c, const char *o, size_t len,
                               struct ipc_url *u)
{
	const char *kn = kinds[u->kind].name;
	const char *eq = memchr(o, '=', len);
	const char *val;
	size_t nlen;
	size_t vlen;
	unsigned int bit = 0;
	uint64_t v = 0;
	ipc_status st;
	size_t i;

	if (len == 0)
		return fail(c, -EINVAL, "empty option (stray '&' or '?')");
	nlen = eq ? (size_t)(eq - o) : len;
	for (i = 0; i < IPC__ARRAY_SIZE(opt_names); i++) {
		if (strlen(opt_names[i]) == nlen &&
		    memcmp(opt_names[i], o, nlen) == 0) {
			bit = 1u << i;
			break;
		}
	}
	if (bit == 0)
		return fail(
		        c, -EINVAL,
		        "unknown option \"%.*s\" (capacity, max_messages, max_message_size, mode, create, exclusive)",
		        (int)(nlen > 64 ? 64 : nlen), o);
	if (eq == NULL)
		return fail(c, -EINVAL, "option %s has no value (%s=...)",
		            opt_names[i], opt_names[i]);
	val = eq + 1;
	vlen = len - nlen - 1;
	if (vlen == 0)
		return fail(c, -EINVAL, "option %s has an empty value",
		            opt_names[i]);
	if (u->has & bit)
		return fail(c, -EINVAL, "option %s given twice", opt_names[i]);
	if (!(kinds[u->kind].opts & bit))
		return fail(c, -EINVAL, "option %s does not apply to %s",
		            opt_names[i], kn);
	if (bit == IPC_URL_HAS_MODE && u->addr[0] == '@')
		return fail(c, -EINVAL,
		            "option mode does not apply to an abstract socket");
	if (memchr(val, '=', vlen) != NULL)
		return fail(c, -EINVAL, "option %s: value holds '='",
		            opt_names[i]);

	switch (bit) {
	case IPC_URL_HAS_CAPACITY:
	case IPC_URL_HAS_MAX_MESSAGE_SIZE:
		st = parse_size_n(val, vlen, &v);
		if (st == -ERANGE || (st == 0 && v > SIZE_MAX))
			return fail(c, -EINVAL, "option %s: size too large",
			            opt_names[i]);
		if (st)
			return fail(
			        c, -EINVAL,
			        "option %s: not a size (digits without leading zeros, then nothing or K, KiB, M, MiB, G, GiB)",
			        opt_names[i]);
		if (v == 0)
			return fail(c, -EINVAL, "option %s must be at least 1",
			            opt_names[i]);
		if (bit == IPC_URL_HAS_CAPACITY)
			u->capacity = v;
		else
			u->max_message_size = v;
		break;
	case IPC_URL_HAS_MAX_MESSAGES:
		st = parse_dec(val, vlen, INT_MAX, &v);
		if (st || v == 0)
			return fail(
			        c, -EINVAL,
			        "option max_messages must be 1 to %d in decimal",
			        INT_MAX);
		u->max_messages = v;
		break;
	case IPC_URL_HAS_MODE:
		if (vlen > 5)
			return fail(
			        c, -EINVAL,
			        "option mode: at most 5 octal digits (0600)");
		v = 0;
		for (i = 0; i < vlen; i++) {
			if (val[i] < '0' || val[i] > '7')
				return fail(
				        c, -EINVAL,
				        "option mode must be octal (0600 or 600)");
			v = v * 8 + (uint64_t)(val[i] - '0');
		}
		if (v > 07777)
			return fail(c, -EINVAL, "option mode above 07777");
		if (v == 0)
			return fail(
			        c, -EINVAL,
			        "option mode 0 would mean the default 0600: leave it out");
		u->mode = (unsigned int)v;
		break;
	case IPC_URL_HAS_CREATE:
	case IPC_URL_HAS_EXCLUSIVE:
		if (vlen != 1 || (val[0] != '0' && val[0] != '1'))
			return fail(c, -EINVAL, "option %s must be 0 or 1",
			            opt_names[i]);
		if (bit == IPC_URL_HAS_CREATE)
			u->create = val[0] == '1';
		else
			u->exclusive = val[0] == '1';
		break;
	default:
		return fail(c, -EINVAL, "internal: option bit %u", bit);
	}
	u->has |= bit;
	return 0;
}

/*
 * URLs take no percent-encoding: '%' is refused everywhere but inside the
 * brackets of a tcp/udp address (an IPv6 zone id, "[fe80::1%eth0]"; the
 * address parser checks the zone). The address is text[@off..@off+@alen).
 */
static ipc_status check_percent(const struct ctx *c, int kind, size_t off,
                                size_t alen)
{
	const char *text = c->text;
	bool bracket = false;
	size_t i;

	for (i = 0; text[i] != '\0'; i++) {
		bool in_addr = i >= off && i < off + alen;

		if (text[i] == '[' && in_addr)
			bracket = true;
		else if (text[i] == ']')
			bracket = false;
		else if (text[i] == '%' &&
		         !(kinds[kind].form == ADDR_INET && in_addr && bracket))
			return fail(
			        c, -EINVAL,
			        "'%%' at byte %zu: URLs take no percent-encoding",
			        i);
	}
	return 0;
}

static ipc_status url_parse(const struct ctx *c, struct ipc_url *u)
{
	const char *text = c->text;
	const char *colon;
	const char *q;
	const char *a;
	const char *kn;
	size_t alen;
	size_t i;
	ipc_status st;

	memset(u, 0, sizeof(*u));
	if (text[0] == '\0')
		return fail(c, -EINVAL, "empty URL");
	for (i = 0; text[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch <= 0x20 || ch == 0x7f)
			return fail(
			        c, -EINVAL,
			        "%s at byte %zu: URLs hold no spaces or control characters",
			        ch == ' ' ? "space" : "control character", i);
	}
	colon = strchr(text, ':');
	if (colon == NULL)
		return fail(
		        c, -EINVAL,
		        "no kind: expected KIND:ADDRESS (mq:/name, unix:/path, tcp://host:port, ...)");
	u->kind = kind_by_name(text, (size_t)(colon - text));
	if (u->kind == 0)
		return fail(
		        c, -EINVAL,
		        "unknown kind \"%.*s\" (fd, fifo, mq, sysvmq, ring, unix, unixgram, unixpacket, tcp, udp, shm, sem, mutex, sysvshm, semset)",
		        (int)(colon - text > 32 ? 32 : colon - text), text);
	kn = kinds[u->kind].name;
	a = colon + 1;
	q = strchr(a, '?');
	alen = q ? (size_t)(q - a) : strlen(a);
	st = check_percent(c, u->kind, (size_t)(a - text), alen);
	if (st)
		return st;
	if (alen >= sizeof(u->addr))
		return fail(c, -ENAMETOOLONG,
		            "address of %zu bytes, at most %zu fit", alen,
		            sizeof(u->addr) - 1);
	memcpy(u->addr, a, alen);
	u->addr[alen] = '\0';

	switch (kinds[u->kind].form) {
	case ADDR_FD:
		st = addr_fd(c, u->addr, alen, u);
		break;
	case ADDR_PATH:
		st = check_path(c, kn, u->addr, alen, PATH_MAX - 1);
		break;
	case ADDR_SOCK:
		st = addr_sock(c, kn, u->addr, alen);
		break;
	case ADDR_POSIX:
		if (alen == 0)
			st = fail(c, -EINVAL, "%s needs a name after \"%s:\"",
			          kn, kn);
		else
			st = addr_posix(c, kn, u->addr);
		break;
	case ADDR_SYSV:
		st = addr_sysv(c, kn, u->addr, alen, u);
		break;
	case ADDR_INET:
		st = addr_inet(c, kn, u->addr, alen);
		if (st == 0) {
			memmove(u->addr, u->addr + 2, alen - 2);
			memset(u->addr + alen - 2, 0, 2);
		}
		break;
	default:
		st = fail(c, -EINVAL, "internal: kind %d", u->kind);
		break;
	}
	if (st)
		return st;

	if (q == NULL)
		return 0;
	q++;
	if (*q == '\0')
		return fail(c, -EINVAL, "'?' without options");
	while (1) {
		const char *amp = strchr(q, '&');
		size_t olen = amp ? (size_t)(amp - q) : strlen(q);

		if (memchr(q, '?', olen) != NULL)
			return fail(c, -EINVAL, "a second '?'");
		st = parse_option(c, q, olen, u);
		if (st)
			return st;
		if (amp == NULL)
			break;
		q = amp + 1;
		if (*q == '\0')
			return fail(c, -EINVAL, "stray '&' at the end");
	}
	return 0;
}

ipc_status ipc_url_parse(const char *text, struct ipc_url *url)
{
	struct ctx c = {"URL", text, true};
	ipc_status st;

	ipc__detail_clear();
	if (url == NULL)
		return ipc__detail(-EINVAL, "URL: NULL result");
	if (text == NULL) {
		memset(url, 0, sizeof(*url));
		return ipc__detail(-EINVAL, "URL: NULL");
	}
	st = url_parse(&c, url);
	if (st)
		memset(url, 0, sizeof(*url));
	return st;
}

/* Append to @buf at *@off; false when it does not fit. */
static bool put(char *buf, size_t cap, size_t *off, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static bool put(char *buf, size_t cap, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= cap)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, cap - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *off)
		return false;
	*off += (size_t)n;
	return true;
}

/* Whether the System V address @a is the path:proj form. */
static bool sysv_is_path(const char *a)
{
	return a[0] == '/';
}

ipc_status ipc_url_format(const struct ipc_url *url, char *buf, size_t cap)
{
	/* Static: struct ipc_url is over 1 KiB, and the check below needs
	 * one more; thread-local keeps the function reentrant. */
	static _Thread_local struct ipc_url back;
	static _Thread_local char text[IPC_URL_ADDR_MAX + 256];
	const struct url_kind *k;
	const char *sep = "?";
	size_t off = 0;
	bool ok = true;
	struct ctx c = {"URL", text, false};
	ipc_status st;
	unsigned int i;

	ipc__detail_clear();
	if (buf == NULL || cap == 0)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	if (url == NULL)
		return ipc__detail(-EINVAL, "URL format: NULL");
	if (url->kind < IPC_URL_FD || url->kind > KIND_MAX)
		return ipc__detail(-EINVAL, "URL format: unknown kind %d",
		                   url->kind);
	if (memchr(url->addr, '\0', sizeof(url->addr)) == NULL)
		return ipc__detail(-EINVAL,
		                   "URL format: address not NUL-terminated");
	if (url->has & ~OPT_ALL)
		return ipc__detail(-EINVAL,
		                   "URL format: unknown option bits 0x%x",
		                   url->has);
	k = &kinds[url->kind];

	ok = put(text, sizeof(text), &off, "%s:", k->name);
	if (k->form == ADDR_FD)
		ok = ok && put(text, sizeof(text), &off, "%d", url->fd);
	else if (k->form == ADDR_SYSV && url->addr[0] == '\0')
		ok = ok && put(text, sizeof(text), &off, "0x%08x",
		               (unsigned int)(uint32_t)url->key);
	else
		ok = ok && put(text, sizeof(text), &off, "%s%s",
		               k->form == ADDR_INET ? "//" : "", url->addr);
	for (i = 0; ok && i < IPC__ARRAY_SIZE(opt_names); i++) {
		unsigned int bit = 1u << i;

		if (!(url->has & bit))
			continue;
		ok = put(text, sizeof(text), &off, "%s%s=", sep, opt_names[i]);
		sep = "&";
		switch (bit) {
		case IPC_URL_HAS_CAPACITY:
			ok = ok && put(text, sizeof(text), &off, "%llu",
			               (unsigned long long)url->capacity);
			break;
		case IPC_URL_HAS_MAX_MESSAGES:
			ok = ok && put(text, sizeof(text), &off, "%llu",
			               (unsigned long long)url->max_messages);
			break;
		case IPC_URL_HAS_MAX_MESSAGE_SIZE:
			ok = ok &&
			     put(text, sizeof(text), &off, "%llu",
			         (unsigned long long)url->max_message_size);
			break;
		case IPC_URL_HAS_MODE:
			ok = ok &&
			     put(text, sizeof(text), &off, "0%o", url->mode);
			break;
		case IPC_URL_HAS_CREATE:
			ok = ok && put(text, sizeof(text), &off, "%d",
			               url->create ? 1 : 0);
			break;
		default:
			ok = ok && put(text, sizeof(text), &off, "%d",
			               url->exclusive ? 1 : 0);
			break;
		}
	}
	if (!ok)
		return ipc__detail(-ENAMETOOLONG, "URL format: too long");

	/* What is written must parse back to the same URL. */
	st = url_parse(&c, &back);
	if (st)
		return st == -ENAMETOOLONG ? -EINVAL : st;
	if (back.has != url->has ||
	    (url->addr[0] != '\0' && strcmp(back.addr, url->addr) != 0) ||
	    (k->form == ADDR_FD && back.fd != url->fd) ||
	    (k->form == ADDR_SYSV && !sysv_is_path(back.addr) &&
	     back.key != url->key) ||
	    ((url->has & IPC_URL_HAS_CAPACITY) &&
	     back.capacity != url->capacity) ||
	    ((url->has & IPC_URL_HAS_MAX_MESSAGES) &&
	     back.max_messages != url->max_messages) ||
	    ((url->has & IPC_URL_HAS_MAX_MESSAGE_SIZE) &&
	     back.max_message_size != url->max_message_size) ||
	    ((url->has & IPC_URL_HAS_MODE) && back.mode != url->mode) ||
	    ((url->has & IPC_URL_HAS_CREATE) && back.create != url->create) ||
	    ((url->has & IPC_URL_HAS_EXCLUSIVE) &&
	     back.exclusive != url->exclusive))
		return fail(
		        &c, -EINVAL,
		        "does not match the fields it was made from (a non-canonical address?)");
	if (off + 1 > cap)
		return ipc__detail(-ENAMETOOLONG,
		                   "URL format: %zu bytes needed, %zu given",
		                   off + 1, cap);
	memcpy(buf, text, off + 1);
	return 0;
}

ipc_status ipc_unlink_url(const char *text)
{
	struct ipc_url u;
	struct ctx c = {"URL", text, true};
	ipc_status st;

	ipc__detail_clear();
	if (text == NULL)
		return ipc__detail(-EINVAL, "URL: NULL");
	st = url_parse(&c, &u);
	if (st)
		return st;
	switch (u.kind) {
	case IPC_URL_FIFO:
		st = ipc_fifo_unlink(u.addr);
		break;
	case IPC_URL_MQ:
		st = ipc_mq_unlink(u.addr);
		break;
	case IPC_URL_RING:
		st = ipc_ring_unlink(u.addr);
		break;
	case IPC_URL_SHM:
		st = ipc_shm_unlink(u.addr);
		break;
	case IPC_URL_SEM:
		st = ipc_sem_unlink(u.addr);
		break;
	case IPC_URL_MUTEX:
		st = ipc_mutex_unlink(u.addr);
		break;
	case IPC_URL_UNIX:
	case IPC_URL_UNIXGRAM:
	case IPC_URL_UNIXPACKET:
		if (u.addr[0] == '@')
			return fail(
			        &c, -EINVAL,
			        "an abstract socket has no name to remove: it goes with its last descriptor");
		st = ipc_sock_unlink(u.addr);
		break;
	case IPC_URL_SYSVMQ:
		st = ipc_sysvmq_remove_key(u.key);
		break;
	case IPC_URL_SYSVSHM:
		st = ipc_sysvshm_remove_key(u.key);
		break;
	case IPC_URL_SEMSET:
		st = ipc_semset_remove_key(u.key);
		break;
	default:
		return fail(&c, -EINVAL, "a %s URL names nothing to remove",
		            kinds[u.kind].name);
	}
	if (st == -EINVAL)
		return fail(&c, st, "%s refused to remove it (another type?)",
		            kinds[u.kind].name);
	return st;
}
