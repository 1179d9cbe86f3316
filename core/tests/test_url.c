/* SPDX-License-Identifier: MIT */
/*
 * Endpoint URLs: every kind and option, the canonical form and round
 * trips, a table of malformed URLs, sizes, long names, IPv6, ftok keys,
 * and removal of every named kind by URL.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
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

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct ipc_url url_buf;

static struct ipc_url *parse_ok(const char *text)
{
	ipc_status st = ipc_url_parse(text, &url_buf);

	if (st != 0)
		check_fail(__FILE__, __LINE__, "parse(\"%s\"): %s: %s", text,
		           check_errname(st), ipc_detail());
	CHECK_STR_EQ(ipc_detail(), "");
	return &url_buf;
}

/* A failing parse: @want, a detail that quotes the URL, a zeroed result. */
static void parse_bad(const char *text, ipc_status want, int line)
{
	static const struct ipc_url zero;
	struct ipc_url u;
	ipc_status st;

	memset(&u, 0x5a, sizeof(u));
	st = ipc_url_parse(text, &u);
	if (st != want)
		check_fail(__FILE__, line,
		           "parse(\"%s\"): got %s, want %s (%s)", text,
		           check_errname(st), check_errname(want),
		           ipc_detail());
	if (ipc_detail()[0] == '\0')
		check_fail(__FILE__, line, "parse(\"%s\"): no detail", text);
	if (strncmp(ipc_detail(), "URL \"", 5) != 0)
		check_fail(__FILE__, line, "parse(\"%s\"): detail \"%s\"", text,
		           ipc_detail());
	if (memcmp(&u, &zero, sizeof(u)) != 0)
		check_fail(__FILE__, line, "parse(\"%s\"): result not zeroed",
		           text);
}

static bool url_eq(const struct ipc_url *a, const struct ipc_url *b)
{
	return a->kind == b->kind && strcmp(a->addr, b->addr) == 0 &&
	       a->fd == b->fd && a->key == b->key && a->has == b->has &&
	       a->capacity == b->capacity &&
	       a->max_messages == b->max_messages &&
	       a->max_message_size == b->max_message_size &&
	       a->mode == b->mode && a->create == b->create &&
	       a->exclusive == b->exclusive;
}

/* format(parse(@in)) == @canon, and parse(@canon) == parse(@in). */
static void roundtrip(const char *in, const char *canon)
{
	struct ipc_url a;
	struct ipc_url b;
	char buf[2048];
	ipc_status st;

	st = ipc_url_parse(in, &a);
	if (st)
		check_fail(__FILE__, __LINE__, "parse(\"%s\"): %s: %s", in,
		           check_errname(st), ipc_detail());
	st = ipc_url_format(&a, buf, sizeof(buf));
	if (st)
		check_fail(__FILE__, __LINE__, "format(\"%s\"): %s: %s", in,
		           check_errname(st), ipc_detail());
	if (strcmp(buf, canon) != 0)
		check_fail(__FILE__, __LINE__,
		           "format(\"%s\") = \"%s\", want \"%s\"", in, buf,
		           canon);
	CHECK_OK(ipc_url_parse(buf, &b));
	CHECK(url_eq(&a, &b));
}

/* ---- every kind ----------------------------------------------------- */

static void test_kinds(void)
{
	struct ipc_url *u;

	u = parse_ok("fd:0");
	CHECK_EQ(u->kind, IPC_URL_FD);
	CHECK_EQ(u->fd, 0);
	CHECK_STR_EQ(u->addr, "0");
	u = parse_ok("fd:2147483647");
	CHECK_EQ(u->fd, INT_MAX);

	u = parse_ok("fifo:/tmp/x.fifo");
	CHECK_EQ(u->kind, IPC_URL_FIFO);
	CHECK_STR_EQ(u->addr, "/tmp/x.fifo");

	u = parse_ok("mq:/q1");
	CHECK_EQ(u->kind, IPC_URL_MQ);
	CHECK_STR_EQ(u->addr, "/q1");

	u = parse_ok("sysvmq:1234");
	CHECK_EQ(u->kind, IPC_URL_SYSVMQ);
	CHECK_EQ(u->key, 1234);
	CHECK_STR_EQ(u->addr, "0x000004d2");
	u = parse_ok("sysvmq:0x4D2");
	CHECK_EQ(u->key, 1234);
	u = parse_ok("sysvmq:0xffffffff");
	CHECK_EQ(u->key, -1);
	CHECK_STR_EQ(u->addr, "0xffffffff");

	u = parse_ok("ring:/r");
	CHECK_EQ(u->kind, IPC_URL_RING);
	CHECK_STR_EQ(u->addr, "/r");

	u = parse_ok("unix:/run/x.sock");
	CHECK_EQ(u->kind, IPC_URL_UNIX);
	CHECK_STR_EQ(u->addr, "/run/x.sock");
	u = parse_ok("unix:@abstract");
	CHECK_STR_EQ(u->addr, "@abstract");
	u = parse_ok("unixgram:/tmp/g");
	CHECK_EQ(u->kind, IPC_URL_UNIXGRAM);
	u = parse_ok("unixgram:@g");
	CHECK_STR_EQ(u->addr, "@g");
	u = parse_ok("unixpacket:/tmp/p");
	CHECK_EQ(u->kind, IPC_URL_UNIXPACKET);
	u = parse_ok("unixpacket:@p");
	CHECK_STR_EQ(u->addr, "@p");

	u = parse_ok("tcp://127.0.0.1:8080");
	CHECK_EQ(u->kind, IPC_URL_TCP);
	CHECK_STR_EQ(u->addr, "127.0.0.1:8080");
	u = parse_ok("tcp://localhost:0");
	CHECK_STR_EQ(u->addr, "localhost:0");
	u = parse_ok("udp://example.org:65535");
	CHECK_EQ(u->kind, IPC_URL_UDP);
	CHECK_STR_EQ(u->addr, "example.org:65535");

	u = parse_ok("shm:/s");
	CHECK_EQ(u->kind, IPC_URL_SHM);
	u = parse_ok("sem:/s");
	CHECK_EQ(u->kind, IPC_URL_SEM);
	u = parse_ok("mutex:/m");
	CHECK_EQ(u->kind, IPC_URL_MUTEX);
	u = parse_ok("sysvshm:42");
	CHECK_EQ(u->kind, IPC_URL_SYSVSHM);
	CHECK_EQ(u->key, 42);
	u = parse_ok("semset:0x49000001");
	CHECK_EQ(u->kind, IPC_URL_SEMSET);
	CHECK_EQ(u->key, 0x49000001);
	CHECK_EQ(u->has, 0);
}

static void test_kind_names(void)
{
	static const char *const names[] = {
	        NULL,   "fd",       "fifo",       "mq",     "sysvmq", "ring",
	        "unix", "unixgram", "unixpacket", "tcp",    "udp",    "shm",
	        "sem",  "mutex",    "sysvshm",    "semset",
	};
	int k;

	for (k = 1; k < (int)ARRAY_SIZE(names); k++) {
		CHECK_STR_EQ(ipc_url_kind_name(k), names[k]);
		CHECK_EQ(ipc_url_is_channel(k), k <= IPC_URL_UDP);
	}
	CHECK(ipc_url_kind_name(0) == NULL);
	CHECK(ipc_url_kind_name(-1) == NULL);
	CHECK(ipc_url_kind_name(IPC_URL_SEMSET + 1) == NULL);
	CHECK(!ipc_url_is_channel(0));
	CHECK(!ipc_url_is_channel(IPC_URL_SHM));
	CHECK(!ipc_url_is_channel(IPC_URL_SEMSET + 1));
	/* The option table channels check their opts against too. */
	CHECK_EQ(ipc_url_kind_options(IPC_URL_MQ),
	         IPC_URL_HAS_MAX_MESSAGE_SIZE | IPC_URL_HAS_MAX_MESSAGES |
	                 IPC_URL_HAS_MODE | IPC_URL_HAS_CREATE |
	                 IPC_URL_HAS_EXCLUSIVE);
	CHECK_EQ(ipc_url_kind_options(IPC_URL_TCP),
	         IPC_URL_HAS_MAX_MESSAGE_SIZE);
	CHECK_EQ(ipc_url_kind_options(IPC_URL_SHM) & IPC_URL_HAS_CAPACITY, 0);
	CHECK_EQ(ipc_url_kind_options(0), 0);
	CHECK_EQ(ipc_url_kind_options(IPC_URL_SEMSET + 1), 0);
}

/* ---- options -------------------------------------------------------- */

static void test_options(void)
{
	struct ipc_url *u;

	u = parse_ok("ring:/r?capacity=1MiB");
	CHECK_EQ(u->has, IPC_URL_HAS_CAPACITY);
	CHECK_EQ(u->capacity, 1 << 20);
	u = parse_ok("mq:/q?max_messages=64&max_message_size=8K&mode=0640&"
	             "create=1&exclusive=0");
	CHECK_EQ(u->has, IPC_URL_HAS_MAX_MESSAGES |
	                         IPC_URL_HAS_MAX_MESSAGE_SIZE |
	                         IPC_URL_HAS_MODE | IPC_URL_HAS_CREATE |
	                         IPC_URL_HAS_EXCLUSIVE);
	CHECK_EQ(u->max_messages, 64);
	CHECK_EQ(u->max_message_size, 8192);
	CHECK_EQ(u->mode, 0640);
	CHECK(u->create);
	CHECK(!u->exclusive);
	/* Any order. */
	u = parse_ok("fifo:/tmp/f?exclusive=1&capacity=65536&mode=600");
	CHECK(u->exclusive);
	CHECK(!u->create);
	CHECK_EQ(u->capacity, 65536);
	CHECK_EQ(u->mode, 0600);
	u = parse_ok("fd:3?capacity=1M&max_message_size=2GiB");
	CHECK_EQ(u->capacity, 1 << 20);
	CHECK_EQ(u->max_message_size, 2ull << 30);
	u = parse_ok("unix:/tmp/s?mode=0660&max_message_size=1");
	CHECK_EQ(u->mode, 0660);
	CHECK_EQ(u->max_message_size, 1);
	u = parse_ok("sysvmq:7?mode=07777&create=0");
	CHECK_EQ(u->mode, 07777);
	u = parse_ok("semset:7?mode=1&exclusive=1&create=1");
	CHECK_EQ(u->mode, 1);
	u = parse_ok("tcp://[::1]:1?max_message_size=16MiB");
	CHECK_EQ(u->max_message_size, 16 << 20);
}

/* Which options each kind takes: the table of url.h, checked both ways. */
static void test_option_matrix(void)
{
	static const struct {
		const char *base;
		unsigned int allowed;
	} kinds[] = {
	        {"fd:3", 0x01 | 0x04},
	        {"fifo:/tmp/f", 0x01 | 0x04 | 0x08 | 0x10 | 0x20},
	        {"mq:/q", 0x02 | 0x04 | 0x08 | 0x10 | 0x20},
	        {"sysvmq:5", 0x04 | 0x08 | 0x10 | 0x20},
	        {"ring:/r", 0x01 | 0x04 | 0x08 | 0x10 | 0x20},
	        {"unix:/tmp/s", 0x04 | 0x08},
	        {"unix:@s", 0x04},
	        {"unixgram:/tmp/s", 0x04 | 0x08},
	        {"unixgram:@s", 0x04},
	        {"unixpacket:/tmp/s", 0x04 | 0x08},
	        {"unixpacket:@s", 0x04},
	        {"tcp://h:1", 0x04},
	        {"udp://h:1", 0x04},
	        {"shm:/s", 0x08 | 0x10 | 0x20},
	        {"sem:/s", 0x08 | 0x10 | 0x20},
	        {"mutex:/m", 0x08 | 0x10 | 0x20},
	        {"sysvshm:5", 0x08 | 0x10 | 0x20},
	        {"semset:5", 0x08 | 0x10 | 0x20},
	};
	static const char *const opts[] = {
	        "capacity=4K", "max_messages=8", "max_message_size=100",
	        "mode=0600",   "create=1",       "exclusive=1",
	};
	char text[256];
	struct ipc_url u;
	size_t k;
	size_t o;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		for (o = 0; o < ARRAY_SIZE(opts); o++) {
			ipc_status st;

			snprintf(text, sizeof(text), "%s?%s", kinds[k].base,
			         opts[o]);
			st = ipc_url_parse(text, &u);
			if (kinds[k].allowed & (1u << o)) {
				if (st != 0)
					check_fail(__FILE__, __LINE__,
					           "%s: %s (%s)", text,
					           check_errname(st),
					           ipc_detail());
				CHECK_EQ(u.has, 1u << o);
			} else {
				if (st != -EINVAL)
					check_fail(__FILE__, __LINE__,
					           "%s accepted", text);
				CHECK(strstr(ipc_detail(), "does not apply") !=
				      NULL);
			}
		}
	}
}

/* ---- canonical form ------------------------------------------------- */

static void test_roundtrip(void)
{
	roundtrip("fd:5", "fd:5");
	roundtrip("fd:5?max_message_size=1K&capacity=64KiB",
	          "fd:5?capacity=65536&max_message_size=1024");
	roundtrip("fifo:/tmp/a?mode=600&create=1",
	          "fifo:/tmp/a?mode=0600&create=1");
	roundtrip("mq:/q?exclusive=1&create=1&mode=0644&max_message_size=1M&"
	          "max_messages=10",
	          "mq:/q?max_messages=10&max_message_size=1048576&mode=0644&"
	          "create=1&exclusive=1");
	roundtrip("sysvmq:1234", "sysvmq:0x000004d2");
	roundtrip("sysvmq:0X4D2?create=0", "sysvmq:0x000004d2?create=0");
	roundtrip("ring:/r?capacity=4MiB", "ring:/r?capacity=4194304");
	roundtrip("ring:/r?capacity=1G", "ring:/r?capacity=1073741824");
	roundtrip("unix:/tmp/s?mode=4755", "unix:/tmp/s?mode=04755");
	roundtrip("unix:@name", "unix:@name");
	roundtrip("unixgram:@g?max_message_size=10",
	          "unixgram:@g?max_message_size=10");
	roundtrip("unixpacket:/p", "unixpacket:/p");
	roundtrip("tcp://[::1]:80", "tcp://[::1]:80");
	roundtrip("udp://10.0.0.1:53", "udp://10.0.0.1:53");
	roundtrip("shm:/s?mode=0600", "shm:/s?mode=0600");
	roundtrip("sem:/s?create=1&exclusive=1", "sem:/s?create=1&exclusive=1");
	roundtrip("mutex:/m", "mutex:/m");
	roundtrip("sysvshm:99", "sysvshm:0x00000063");
	roundtrip("semset:0x49000000?mode=0666", "semset:0x49000000?mode=0666");
	/* Paths keep what URLs may hold, '&' and '=' too. */
	roundtrip("fifo:/tmp/a&b=c?create=1", "fifo:/tmp/a&b=c?create=1");
	roundtrip("fifo:/tmp/\xc3\xa9t\xc3\xa9", "fifo:/tmp/\xc3\xa9t\xc3\xa9");
}

static void test_format(void)
{
	struct ipc_url u;
	char buf[64];
	char small[8];

	/* Filled in by hand: fd and key need no address text. */
	memset(&u, 0, sizeof(u));
	u.kind = IPC_URL_FD;
	u.fd = 7;
	CHECK_OK(ipc_url_format(&u, buf, sizeof(buf)));
	CHECK_STR_EQ(buf, "fd:7");
	memset(&u, 0, sizeof(u));
	u.kind = IPC_URL_SEMSET;
	u.key = 0x1234;
	u.has = IPC_URL_HAS_MODE | IPC_URL_HAS_CREATE;
	u.mode = 0640;
	u.create = true;
	CHECK_OK(ipc_url_format(&u, buf, sizeof(buf)));
	CHECK_STR_EQ(buf, "semset:0x00001234?mode=0640&create=1");
	memset(&u, 0, sizeof(u));
	u.kind = IPC_URL_MQ;
	strcpy(u.addr, "/q");
	u.mode = 0644; /* without its has bit: not written */
	CHECK_OK(ipc_url_format(&u, buf, sizeof(buf)));
	CHECK_STR_EQ(buf, "mq:/q");

	/* Too small: -ENAMETOOLONG and "". */
	CHECK_ERR(ipc_url_format(&u, small, 5), -ENAMETOOLONG);
	CHECK_STR_EQ(small, "");
	CHECK_OK(ipc_url_format(&u, small, 6));
	CHECK_STR_EQ(small, "mq:/q");
	CHECK_ERR(ipc_url_format(&u, small, 0), -ENAMETOOLONG);

	/* Fields the parser would refuse. */
	u.kind = 0;
	CHECK_ERR(ipc_url_format(&u, buf, sizeof(buf)), -EINVAL);
	CHECK(ipc_detail()[0] != '\0');
	u.kind = 99;
	CHECK_ERR(ipc_url_format(&u, buf, sizeof(buf)), -EINVAL);
	CHECK_STR_EQ(buf, "");
	u.kind = IPC_URL_MQ;
	strcpy(u.addr, "q");
	CHECK_ERR(ipc_url_format(&u, buf, sizeof(buf)), -EINVAL);
	strcpy(u.addr, "/q");
	u.has = IPC_URL_HAS_CAPACITY;
	u.capacity = 10;
	CHECK_ERR(ipc_url_format(&u, buf, sizeof(buf)), -EINVAL);
	u.has = IPC_URL_HAS_MODE;
	u.mode = 010000;
	CHECK_ERR(ipc_url_format(&u, buf, sizeof(buf)), -EINVAL);
	u.has = 0x40;
	CHECK_ERR(ipc_url_format(&u, buf, sizeof(buf)), -EINVAL);
	memset(&u, 0, sizeof(u));
	u.kind = IPC_URL_FD;
	u.fd = -1;
	CHECK_ERR(ipc_url_format(&u, buf, sizeof(buf)), -EINVAL);
	u.fd = 3;
	strcpy(u.addr, "4"); /* disagrees with fd */
	CHECK_ERR(ipc_url_format(&u, buf, sizeof(buf)), -EINVAL);
	memset(&u, 0, sizeof(u));
	u.kind = IPC_URL_SYSVMQ; /* key 0: IPC_PRIVATE names nothing */
	CHECK_ERR(ipc_url_format(&u, buf, sizeof(buf)), -EINVAL);
	strcpy(u.addr, "1234"); /* not canonical */
	u.key = 1234;
	CHECK_ERR(ipc_url_format(&u, buf, sizeof(buf)), -EINVAL);
	memset(u.addr, 'a', sizeof(u.addr)); /* no NUL */
	CHECK_ERR(ipc_url_format(&u, buf, sizeof(buf)), -EINVAL);
	CHECK_ERR(ipc_url_format(NULL, buf, sizeof(buf)), -EINVAL);
	CHECK_ERR(ipc_url_format(&u, NULL, 10), -ENAMETOOLONG);
}

/* ---- malformed URLs ------------------------------------------------- */

static const char *const bad_urls[] = {
        "",
        "mq",
        ":",
        ":/q",
        "MQ:/q",
        "Mq:/q",
        "foo:/x",
        "file:/x",
        "http://h:1",
        " mq:/q",
        "mq:/q ",
        "mq:/a b",
        "mq:/q\t",
        "mq:/q\n",
        "fifo:/tmp/\x7f",
        "mq:",
        "mq:q",
        "mq:/",
        "mq:/a/b",
        "mq:/.",
        "mq:/..",
        "mq://q",
        "ring:",
        "ring:r",
        "shm:/a/",
        "sem:x",
        "mutex:",
        "fd:",
        "fd:-1",
        "fd:+1",
        "fd:01",
        "fd:1x",
        "fd:x",
        "fd:2147483648",
        "fd:99999999999999999999999",
        "fd:0x1",
        "fifo:",
        "fifo:relative",
        "fifo:./x",
        "fifo://tmp/x",
        "fifo:/tmp/x/",
        "fifo:/tmp/%20x",
        "fifo:/tmp/a%2Fb",
        "fifo:/tmp/[a%b]",
        "unix:@[%]",
        "tcp://h:1?max_message_size=[%]",
        "tcp://[::1]:1?max_message_size=[%]",
        "udp://[::1%]:1",
        "unix:",
        "unix:@",
        "unix:rel.sock",
        "unix:/tmp/s/",
        "unix:///tmp/s",
        "unixgram:",
        "unixpacket:x",
        "tcp:",
        "tcp:host:80",
        "tcp:/host:80",
        "tcp://",
        "tcp://host",
        "tcp://host:",
        "tcp://:80",
        "tcp://host:65536",
        "tcp://host:99999",
        "tcp://host:-1",
        "tcp://host:+80",
        "tcp://host:080",
        "tcp://host:8x",
        "tcp://host:80/path",
        "tcp://::1:80",
        "tcp://[::1]",
        "tcp://[::1]80",
        "tcp://[::1:80",
        "tcp://[]:80",
        "tcp://[zz]:80",
        "tcp://[127.0.0.1]:80",
        "tcp://[fe80::1%]:80",
        "tcp://[fe80::1%a/b]:80",
        "tcp://ho st:80",
        "tcp://h%41:80",
        "tcp://user@host:80",
        "udp://host",
        "udp:host:53",
        "sysvmq:",
        "sysvmq:0",
        "sysvmq:0x0",
        "sysvmq:0x",
        "sysvmq:-5",
        "sysvmq:+5",
        "sysvmq:0x100000000",
        "sysvmq:4294967296",
        "sysvmq:12ab",
        "sysvmq:0xg",
        "sysvmq:0x 5",
        "sysvmq:key",
        "sysvmq:/tmp:0",
        "sysvmq:/tmp:256",
        "sysvmq:/tmp:",
        "sysvmq:/tmp:x",
        "sysvmq:/tmp:+1",
        "sysvmq:/tmp:01",
        "sysvmq:tmp:1",
        "sysvmq::1",
        "sysvshm:x",
        "semset:0",
        "mq:/q?",
        "mq:/q??",
        "mq:/q?&",
        "mq:/q?create=1&",
        "mq:/q?&create=1",
        "mq:/q?create=1&&mode=0600",
        "mq:/q?create",
        "mq:/q?create=",
        "mq:/q?=1",
        "mq:/q?create=2",
        "mq:/q?create=yes",
        "mq:/q?create=01",
        "mq:/q?create=1?mode=0600",
        "mq:/q?create=1=1",
        "mq:/q?Create=1",
        "mq:/q?bogus=1",
        "mq:/q?create=1&create=1",
        "mq:/q?create=1&create=0",
        "mq:/q?mode=0800",
        "mq:/q?mode=8",
        "mq:/q?mode=010000",
        "mq:/q?mode=17777",
        "mq:/q?mode=77777",
        "mq:/q?mode=0",
        "mq:/q?mode=000000600",
        "mq:/q?mode=0x1ff",
        "mq:/q?mode=-1",
        "mq:/q?max_messages=0",
        "mq:/q?max_messages=-1",
        "mq:/q?max_messages=1K",
        "mq:/q?max_messages=010",
        "mq:/q?max_messages=2147483648",
        "mq:/q?max_message_size=0",
        "mq:/q?max_message_size=1k",
        "mq:/q?max_message_size=1KB",
        "mq:/q?max_message_size=1 K",
        "mq:/q?max_message_size=1T",
        "mq:/q?max_message_size=K",
        "mq:/q?max_message_size=1.5M",
        "mq:/q?max_message_size=-1",
        "mq:/q?max_message_size=0x10",
        "mq:/q?max_message_size=01",
        "ring:/r?capacity=18446744073709551616",
        "ring:/r?capacity=17179869184G",
        "ring:/r?capacity=99999999999999999999999999",
        "ring:/r?max_messages=4",
        "mq:/q?capacity=1MiB",
        "sysvmq:5?capacity=1",
        "tcp://h:1?mode=0600",
        "unix:@a?mode=0600",
        "shm:/s?max_message_size=1",
        "unix:/s?create=1",
        "fd:3?mode=0600",
        "fd:3?create=1",
        "mq:/100%",
        "fifo:/tmp/x?mode=0600%26create=1",
};

static void test_malformed(void)
{
	size_t i;

	CHECK(ARRAY_SIZE(bad_urls) >= 60);
	for (i = 0; i < ARRAY_SIZE(bad_urls); i++)
		parse_bad(bad_urls[i], -EINVAL, __LINE__);
	/* '#' has no special meaning: it is part of the name or value. */
	parse_ok("mq:/q#frag");
	CHECK_STR_EQ(url_buf.addr, "/q#frag");
	parse_bad("mq:/q?create=1#x", -EINVAL, __LINE__);
}

static void test_details(void)
{
	struct ipc_url u;
	char big[3000];

	/* The detail quotes the URL and names the part. */
	CHECK_ERR(ipc_url_parse("mq:/a?capacity=1MiB", &u), -EINVAL);
	CHECK_STR_EQ(ipc_detail(), "URL \"mq:/a?capacity=1MiB\": option "
	                           "capacity does not apply to mq");
	CHECK_ERR(ipc_url_parse("mq:/a?mode=0600&mode=0600", &u), -EINVAL);
	CHECK(strstr(ipc_detail(), "given twice") != NULL);
	CHECK_ERR(ipc_url_parse("fifo:/tmp/%41", &u), -EINVAL);
	CHECK(strstr(ipc_detail(), "percent-encoding") != NULL);
	CHECK_ERR(ipc_url_parse("bogus:/x", &u), -EINVAL);
	CHECK(strstr(ipc_detail(), "unknown kind \"bogus\"") != NULL);
	/* Control characters are shown escaped, quotes too. */
	CHECK_ERR(ipc_url_parse("mq:/a\x01\"b", &u), -EINVAL);
	CHECK(strstr(ipc_detail(), "mq:/a\\x01\\\"b") != NULL);
	/* A long URL is cut in the detail, which stays a valid string. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "mq:/", 4);
	CHECK_ERR(ipc_url_parse(big, &u), -ENAMETOOLONG);
	CHECK(strstr(ipc_detail(), "...") != NULL);
	CHECK(strlen(ipc_detail()) < 512);
	/* Success clears it. */
	CHECK_OK(ipc_url_parse("mq:/a", &u));
	CHECK_STR_EQ(ipc_detail(), "");
	/* NULL arguments. */
	CHECK_ERR(ipc_url_parse(NULL, &u), -EINVAL);
	CHECK(ipc_detail()[0] != '\0');
	CHECK_ERR(ipc_url_parse("mq:/a", NULL), -EINVAL);
}

/* ---- sizes ---------------------------------------------------------- */

static void test_parse_size(void)
{
	static const struct {
		const char *text;
		uint64_t want;
	} good[] = {
	        {"0", 0},
	        {"1", 1},
	        {"4096", 4096},
	        {"64K", 65536},
	        {"64KiB", 65536},
	        {"1M", 1 << 20},
	        {"1MiB", 1 << 20},
	        {"2G", 2ull << 30},
	        {"2GiB", 2ull << 30},
	        {"0K", 0},
	        {"18446744073709551615", UINT64_MAX},
	        {"17179869183G", 17179869183ull << 30},
	};
	static const char *const bad[] = {
	        "",     "K",   "-1",   "+1",    " 1",    "1 ",  "01",
	        "0x10", "1k",  "1KB",  "1Ki",   "1T",    "1MB", "1.5M",
	        "1e6",  "1 K", "1Kib", "1KiBs", "1GiB1",
	};
	static const char *const range[] = {
	        "18446744073709551616", "99999999999999999999999",
	        "17179869184G",         "18014398509481984K",
	        "17592186044416M",
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		v = 12345;
		CHECK_OK(ipc_parse_size(good[i].text, &v));
		CHECK(v == good[i].want);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		v = 12345;
		CHECK_ERR(ipc_parse_size(bad[i], &v), -EINVAL);
		CHECK_EQ(v, 0);
		CHECK(ipc_detail()[0] != '\0');
	}
	for (i = 0; i < ARRAY_SIZE(range); i++) {
		CHECK_ERR(ipc_parse_size(range[i], &v), -ERANGE);
		CHECK(strstr(ipc_detail(), "64 bits") != NULL);
	}
	CHECK_ERR(ipc_parse_size(NULL, &v), -EINVAL);
	CHECK_ERR(ipc_parse_size("1", NULL), -EINVAL);

	/* In a URL the same overflow is -EINVAL with a detail. */
	parse_bad("ring:/r?capacity=18446744073709551616", -EINVAL, __LINE__);
	CHECK(strstr(ipc_detail(), "too large") != NULL);
	parse_bad("ring:/r?capacity=17179869184G", -EINVAL, __LINE__);
	parse_ok("ring:/r?capacity=17179869183G");
	CHECK(url_buf.capacity == 17179869183ull << 30);
}

/* ---- lengths -------------------------------------------------------- */

static void test_long_names(void)
{
	char text[5000];
	char name[300];
	struct ipc_url u;

	/* A Unix path holds 107 bytes and its NUL. */
	memset(name, 'p', sizeof(name));
	name[0] = '/';
	name[107] = '\0';
	snprintf(text, sizeof(text), "unix:%s", name);
	CHECK_OK(ipc_url_parse(text, &u));
	CHECK_EQ(strlen(u.addr), 107);
	snprintf(text, sizeof(text), "unixgram:%sp", name);
	parse_bad(text, -ENAMETOOLONG, __LINE__);
	snprintf(text, sizeof(text), "unixpacket:%sp?mode=0600", name);
	parse_bad(text, -ENAMETOOLONG, __LINE__);
	/* Abstract names: 107 bytes after the '@'. */
	name[0] = '@';
	snprintf(text, sizeof(text), "unix:%sp", name);
	CHECK_OK(ipc_url_parse(text, &u));
	CHECK_EQ(strlen(u.addr), 108);
	snprintf(text, sizeof(text), "unix:%spp", name);
	parse_bad(text, -ENAMETOOLONG, __LINE__);

	/* POSIX names: NAME_MAX bytes with the '/'. */
	memset(name, 'n', sizeof(name));
	name[0] = '/';
	name[NAME_MAX] = '\0';
	snprintf(text, sizeof(text), "mq:%s", name);
	CHECK_OK(ipc_url_parse(text, &u));
	name[NAME_MAX] = 'n';
	name[NAME_MAX + 1] = '\0';
	snprintf(text, sizeof(text), "ring:%s", name);
	parse_bad(text, -ENAMETOOLONG, __LINE__);

	/* Other paths: up to IPC_URL_ADDR_MAX - 1 bytes. */
	memset(text, 'f', sizeof(text));
	memcpy(text, "fifo:/", 6);
	text[5 + IPC_URL_ADDR_MAX - 1] = '\0';
	CHECK_OK(ipc_url_parse(text, &u));
	CHECK_EQ(strlen(u.addr), IPC_URL_ADDR_MAX - 1);
	text[5 + IPC_URL_ADDR_MAX - 1] = 'f';
	text[5 + IPC_URL_ADDR_MAX] = '\0';
	parse_bad(text, -ENAMETOOLONG, __LINE__);
	/* Long option values are still just malformed. */
	memset(text, '1', sizeof(text));
	memcpy(text, "ring:/r?capacity=", 17);
	text[sizeof(text) - 1] = '\0';
	parse_bad(text, -EINVAL, __LINE__);
	/* Host names: 255 bytes. */
	memset(text, 'h', sizeof(text));
	memcpy(text, "tcp://", 6);
	strcpy(text + 6 + 255, ":1");
	CHECK_OK(ipc_url_parse(text, &u));
	strcpy(text + 6 + 256, ":1");
	parse_bad(text, -EINVAL, __LINE__);
}

static void test_ipv6(void)
{
	struct ipc_url *u;

	u = parse_ok("tcp://[::1]:8080");
	CHECK_STR_EQ(u->addr, "[::1]:8080");
	u = parse_ok("udp://[::]:0");
	CHECK_STR_EQ(u->addr, "[::]:0");
	u = parse_ok("tcp://[2001:db8::1]:443");
	CHECK_STR_EQ(u->addr, "[2001:db8::1]:443");
	u = parse_ok("tcp://[::ffff:192.0.2.1]:1");
	CHECK_STR_EQ(u->addr, "[::ffff:192.0.2.1]:1");
	u = parse_ok("tcp://[fe80::1%eth0]:22");
	CHECK_STR_EQ(u->addr, "[fe80::1%eth0]:22");
	u = parse_ok("udp://[fe80::1%2]:22?max_message_size=512");
	CHECK_STR_EQ(u->addr, "[fe80::1%2]:22");
	roundtrip("tcp://[fe80::1%eth0]:22", "tcp://[fe80::1%eth0]:22");
	/* '%' is allowed nowhere else. */
	parse_bad("tcp://[::1]:80?max_message_size=1%30", -EINVAL, __LINE__);
	parse_bad("tcp://[::1]%:80", -EINVAL, __LINE__);
	parse_bad("tcp://[::1]]:80", -EINVAL, __LINE__);
	parse_bad("tcp://[[::1]]:80", -EINVAL, __LINE__);
	parse_bad("tcp://[1:2:3:4:5:6:7:8:9]:80", -EINVAL, __LINE__);
	parse_bad("tcp://[::1]:80:80", -EINVAL, __LINE__);
	parse_bad("tcp://2001:db8::1:80", -EINVAL, __LINE__);
}

/* ---- System V keys from files --------------------------------------- */

static void make_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	CHECK(fd >= 0);
	CHECK(close(fd) == 0);
}

static void test_ftok_keys(void)
{
	const char *path = check_path("key");
	char text[512];
	char buf[512];
	struct ipc_url u;
	int32_t want;

	make_file(path);
	CHECK_OK(ipc_sysv_key(path, 7, &want));
	snprintf(text, sizeof(text), "sysvmq:%s:7?create=1", path);
	CHECK_OK(ipc_url_parse(text, &u));
	CHECK_EQ(u.key, want);
	CHECK(u.key != 0);
	/* The path form is kept, so that the key is derived where used. */
	snprintf(text, sizeof(text), "%s:7", path);
	CHECK_STR_EQ(u.addr, text);
	CHECK_OK(ipc_url_format(&u, buf, sizeof(buf)));
	snprintf(text, sizeof(text), "sysvmq:%s:7?create=1", path);
	CHECK_STR_EQ(buf, text);

	snprintf(text, sizeof(text), "semset:%s:255", path);
	CHECK_OK(ipc_url_parse(text, &u));
	CHECK_OK(ipc_sysv_key(path, 255, &want));
	CHECK_EQ(u.key, want);
	snprintf(text, sizeof(text), "sysvshm:%s:1", path);
	CHECK_OK(ipc_url_parse(text, &u));
	CHECK_OK(ipc_sysv_key(path, 1, &want));
	CHECK_EQ(u.key, want);

	/* A path holding ':' uses the last one. */
	snprintf(text, sizeof(text), "sysvmq:%s:x:1", path);
	CHECK_ERR(ipc_url_parse(text, &u), -ENOENT);
	CHECK(strstr(ipc_detail(), "cannot make a key") != NULL);

	/* A missing file is the file's error, with a detail. */
	CHECK(unlink(path) == 0);
	snprintf(text, sizeof(text), "sysvmq:%s:7", path);
	CHECK_ERR(ipc_url_parse(text, &u), -ENOENT);
	CHECK(ipc_detail()[0] != '\0');
	CHECK_EQ(u.kind, 0);
	CHECK_ERR(ipc_unlink_url(text), -ENOENT);
	parse_bad("sysvmq:/nonexistent-dir/x:0", -EINVAL, __LINE__);
}

/* ---- removal by URL ------------------------------------------------- */

static void unlink_twice(const char *text)
{
	ipc_status st = ipc_unlink_url(text);

	if (st != 0)
		check_fail(__FILE__, __LINE__, "unlink(\"%s\"): %s: %s", text,
		           check_errname(st), ipc_detail());
	CHECK_ERR(ipc_unlink_url(text), -ENOENT);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void test_unlink_posix(void)
{
	char text[512];
	const char *name;
	ipc_mq *q;
	ipc_shm *m;
	ipc_sem *s;
	ipc_mutex *mx;

	name = check_posix_name("mq");
	CHECK_OK(ipc_mq_open(&q, name, IPC_O_RDWR | IPC_O_CREATE, 0, NULL));
	CHECK_OK(ipc_mq_close(q));
	snprintf(text, sizeof(text), "mq:%s?max_messages=4", name);
	unlink_twice(text);
	CHECK_ERR(ipc_mq_open(&q, name, IPC_O_RDWR, 0, NULL), -ENOENT);

	name = check_posix_name("shm");
	CHECK_OK(ipc_shm_open(&m, name, 4096, IPC_O_RDWR | IPC_O_CREATE, 0));
	CHECK_OK(ipc_shm_close(m));
	snprintf(text, sizeof(text), "shm:%s", name);
	unlink_twice(text);

	name = check_posix_name("sem");
	CHECK_OK(ipc_sem_open(&s, name, 1, IPC_O_CREATE, 0));
	CHECK_OK(ipc_sem_close(s));
	snprintf(text, sizeof(text), "sem:%s", name);
	unlink_twice(text);

	name = check_posix_name("mutex");
	CHECK_OK(ipc_mutex_open(&mx, name, IPC_O_CREATE, 0,
	                        ipc_deadline_in_ms(1000)));
	CHECK_OK(ipc_mutex_close(mx));
	snprintf(text, sizeof(text), "mutex:%s", name);
	unlink_twice(text);
}

static void test_unlink_files(void)
{
	static const int kinds[] = {IPC_SOCK_UNIX, IPC_SOCK_UNIXGRAM,
	                            IPC_SOCK_UNIXPACKET};
	static const char *const schemes[] = {"unix", "unixgram", "unixpacket"};
	char text[512];
	const char *path;
	ipc_sock *s;
	size_t i;

	path = check_path("fifo");
	CHECK_OK(ipc_fifo_create(path, 0, 0));
	snprintf(text, sizeof(text), "fifo:%s", path);
	unlink_twice(text);
	CHECK(!exists(path));

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		path = check_path("sock");
		CHECK_OK(ipc_sock_listen(&s, kinds[i], path, 0, 0));
		CHECK_OK(ipc_sock_close(s));
		CHECK(exists(path));
		snprintf(text, sizeof(text), "%s:%s", schemes[i], path);
		unlink_twice(text);
		CHECK(!exists(path));
	}

	/* The wrong type of file is refused and stays. */
	path = check_path("plain");
	make_file(path);
	snprintf(text, sizeof(text), "fifo:%s", path);
	CHECK_ERR(ipc_unlink_url(text), -EINVAL);
	CHECK(ipc_detail()[0] != '\0');
	snprintf(text, sizeof(text), "unix:%s", path);
	CHECK_ERR(ipc_unlink_url(text), -EINVAL);
	CHECK(exists(path));
	CHECK(unlink(path) == 0);
}

static void test_unlink_sysv(void)
{
	char text[512];
	int32_t key;
	ipc_sysvmq *q;
	ipc_sysvshm *m;
	ipc_semset *ss;
	const char *path;

	key = check_sysv_key();
	CHECK_OK(ipc_sysvmq_open(&q, key, IPC_O_CREATE, 0));
	CHECK_OK(ipc_sysvmq_close(q));
	snprintf(text, sizeof(text), "sysvmq:%d", (int)key);
	unlink_twice(text);

	key = check_sysv_key();
	CHECK_OK(ipc_sysvshm_open(&m, key, 4096, IPC_O_CREATE, 0));
	CHECK_OK(ipc_sysvshm_close(m));
	snprintf(text, sizeof(text), "sysvshm:0x%x", (unsigned int)key);
	unlink_twice(text);

	key = check_sysv_key();
	CHECK_OK(ipc_semset_open(&ss, key, 2, NULL, IPC_O_CREATE, 0,
	                         ipc_deadline_in_ms(1000)));
	CHECK_OK(ipc_semset_close(ss));
	snprintf(text, sizeof(text), "semset:0x%X?mode=0600",
	         (unsigned int)key);
	unlink_twice(text);

	/* An ftok key: the object goes, the file stays. It is not one of
	 * check_sysv_key()'s, so remove it on failure too. */
	path = check_path("ftok");
	make_file(path);
	CHECK_OK(ipc_sysv_key(path, 3, &key));
	CHECK_OK(ipc_sysvmq_open(&q, key, IPC_O_CREATE | IPC_O_EXCL, 0));
	CHECK_OK(ipc_sysvmq_close(q));
	snprintf(text, sizeof(text), "sysvmq:%s:3", path);
	if (ipc_unlink_url(text) != 0) {
		(void)ipc_sysvmq_remove_key(key);
		check_fail(__FILE__, __LINE__, "unlink by ftok key failed");
	}
	CHECK_ERR(ipc_unlink_url(text), -ENOENT);
	CHECK(exists(path));
	CHECK(unlink(path) == 0);
}

static void test_unlink_refused(void)
{
	static const char *const nothing[] = {
	        "fd:0",    "tcp://127.0.0.1:1", "udp://[::1]:1",
	        "unix:@x", "unixgram:@x",       "unixpacket:@x",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(nothing); i++) {
		CHECK_ERR(ipc_unlink_url(nothing[i]), -EINVAL);
		CHECK(ipc_detail()[0] != '\0');
	}
	CHECK_ERR(ipc_unlink_url("mq:nope"), -EINVAL);
	CHECK(strstr(ipc_detail(), "URL \"mq:nope\"") != NULL);
	CHECK_ERR(ipc_unlink_url(NULL), -EINVAL);
	CHECK_ERR(ipc_unlink_url("mq:/ipc-test-url-never-made"), -ENOENT);
	CHECK_ERR(ipc_unlink_url("sysvmq:0x49ffffff"), -ENOENT);
}

/* Last: the ring is another helper's file. */
static void test_unlink_ring(void)
{
	char text[512];
	const char *name = check_posix_name("ring");
	ipc_ring *r;

	CHECK_OK(ipc_ring_open(&r, name, IPC_O_RDWR | IPC_O_CREATE, 0, 4096));
	CHECK_OK(ipc_ring_close(r));
	snprintf(text, sizeof(text), "ring:%s?capacity=4K", name);
	unlink_twice(text);
}

static const struct check_case cases[] = {
        CHECK_CASE(test_kinds),        CHECK_CASE(test_kind_names),
        CHECK_CASE(test_options),      CHECK_CASE(test_option_matrix),
        CHECK_CASE(test_roundtrip),    CHECK_CASE(test_format),
        CHECK_CASE(test_malformed),    CHECK_CASE(test_details),
        CHECK_CASE(test_parse_size),   CHECK_CASE(test_long_names),
        CHECK_CASE(test_ipv6),         CHECK_CASE(test_ftok_keys),
        CHECK_CASE(test_unlink_posix), CHECK_CASE(test_unlink_files),
        CHECK_CASE(test_unlink_sysv),  CHECK_CASE(test_unlink_refused),
        CHECK_CASE(test_unlink_ring),  {NULL, NULL},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
