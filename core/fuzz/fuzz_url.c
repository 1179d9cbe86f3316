/* SPDX-License-Identifier: MIT */
/*
 * fuzz_url.c - fuzz target 3 (RELIABILITY.md 3.4): the URL parser.
 *
 * The input, as a NUL-terminated string, goes to:
 *
 *  1. ipc_url_parse(): 0, -EINVAL or -ENAMETOOLONG (for the ftok form
 *     of the System V kinds, also what stat(2) says of the path). A
 *     failure zeroes the struct and leaves a detail. A success formats
 *     (ipc_url_format) to a text that parses back to an identical struct
 *     and formats to the same text again; a buffer one byte short gives
 *     -ENAMETOOLONG and "", an exact one the same text.
 *  2. ipc_parse_size(), against a reference parser written here from the
 *     grammar in url.h: decimal digits without leading zeros, then nothing
 *     or K, KiB, M, MiB, G, GiB; -ERANGE past 64 bits.
 *  3. ipc_url_format() of a struct filled in from the input bytes (any
 *     kind, option bits, numbers and address): whatever it writes must
 *     parse and format back to itself.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_TEXT_MAX (IPC_URL_ADDR_MAX + 512)

#define FZ_CHECK(c)                                                            \
	do {                                                                   \
		if (!(c))                                                      \
			fz_fail(__LINE__, #c);                                 \
	} while (0)

static void fz_fail(int line, const char *what)
{
	fprintf(stderr, "fuzz_url.c:%d: check failed: %s\n", line, what);
	abort();
}

static int same_url(const struct ipc_url *a, const struct ipc_url *b)
{
	return a->kind == b->kind && strcmp(a->addr, b->addr) == 0 &&
	       a->fd == b->fd && a->key == b->key && a->has == b->has &&
	       a->capacity == b->capacity &&
	       a->max_messages == b->max_messages &&
	       a->max_message_size == b->max_message_size &&
	       a->mode == b->mode && a->create == b->create &&
	       a->exclusive == b->exclusive;
}

static int all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i])
			return 0;
	return 1;
}

/* The ftok form "sysvmq:/path:proj" and its kin may fail as stat(2). */
static int sysv_path_form(const char *text)
{
	static const char *const pre[] = {"sysvmq:/", "sysvshm:/", "semset:/"};
	size_t i;

	for (i = 0; i < 3; i++)
		if (strncmp(text, pre[i], strlen(pre[i])) == 0)
			return 1;
	return 0;
}

/* A successfully parsed URL: its fields hold what url.h promises. */
static void check_fields(const struct ipc_url *u)
{
	FZ_CHECK(u->kind >= IPC_URL_FD && u->kind <= IPC_URL_SEMSET);
	FZ_CHECK(ipc_url_kind_name(u->kind) != NULL);
	FZ_CHECK(ipc_url_is_channel(u->kind) == (u->kind <= IPC_URL_UDP));
	FZ_CHECK(memchr(u->addr, '\0', sizeof(u->addr)) != NULL);
	FZ_CHECK((u->has & ~0x3fu) == 0);
	if (u->kind == IPC_URL_FD)
		FZ_CHECK(u->fd >= 0);
	if (!(u->has & IPC_URL_HAS_CAPACITY))
		FZ_CHECK(u->capacity == 0);
	if (!(u->has & IPC_URL_HAS_MAX_MESSAGES))
		FZ_CHECK(u->max_messages == 0);
	if (!(u->has & IPC_URL_HAS_MAX_MESSAGE_SIZE))
		FZ_CHECK(u->max_message_size == 0);
}

/*
 * @u formatted to @text (@len bytes): the text parses back to the same
 * fields (when @must_match) and formats to itself; shorter buffers fail
 * cleanly.
 */
static void check_canonical(const struct ipc_url *u, const char *text,
                            size_t len, int must_match)
{
	static struct ipc_url back;
	char *again, *exact;
	ipc_status st;

	memset(&back, 0xa5, sizeof(back));
	st = ipc_url_parse(text, &back);
	/*
	 * A made-up ftok path: ftok's stat(2) may say it does not exist, or
	 * that a component is longer than NAME_MAX (-ENAMETOOLONG: the
	 * formatter checked the whole path against PATH_MAX already).
	 */
	if (st != 0 && !must_match && sysv_path_form(text) && st != -EINVAL)
		return;
	FZ_CHECK(st == 0);
	check_fields(&back);
	if (must_match)
		FZ_CHECK(same_url(u, &back));

	again = malloc(FZ_TEXT_MAX);
	FZ_CHECK(again != NULL);
	FZ_CHECK(ipc_url_format(&back, again, FZ_TEXT_MAX) == 0);
	FZ_CHECK(strcmp(again, text) == 0);
	free(again);

	/* Exactly sized buffers: one byte short, then just enough. */
	exact = malloc(len + 1);
	FZ_CHECK(exact != NULL);
	if (len > 0) {
		memset(exact, 'x', len);
		FZ_CHECK(ipc_url_format(u, exact, len) == -ENAMETOOLONG);
		FZ_CHECK(exact[0] == '\0');
	}
	FZ_CHECK(ipc_url_format(u, exact, len + 1) == 0);
	FZ_CHECK(strcmp(exact, text) == 0);
	free(exact);
}

static void fuzz_parse(const char *text)
{
	static struct ipc_url u;
	const char *detail;
	char *out;
	ipc_status st;

	memset(&u, 0xa5, sizeof(u));
	st = ipc_url_parse(text, &u);
	if (st) {
		FZ_CHECK(st == -EINVAL || st == -ENAMETOOLONG ||
		         sysv_path_form(text));
		FZ_CHECK(all_zero(&u, sizeof(u)));
		detail = ipc_detail();
		FZ_CHECK(detail != NULL && detail[0] != '\0');
		return;
	}
	check_fields(&u);
	out = malloc(FZ_TEXT_MAX);
	FZ_CHECK(out != NULL);
	st = ipc_url_format(&u, out, FZ_TEXT_MAX);
	FZ_CHECK(st == 0);
	check_canonical(&u, out, strlen(out), 1);
	free(out);
}

/* The reference size parser: url.h's grammar, nothing else. */
static ipc_status ref_size(const char *s, uint64_t *out)
{
	static const char *const sfx[] = {"",    "K", "KiB", "M",
	                                  "MiB", "G", "GiB"};
	static const unsigned int shift[] = {0, 10, 10, 20, 20, 30, 30};
	uint64_t v = 0;
	size_t n = 0, i;
	int overflow = 0;

	*out = 0;
	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 0 || (s[0] == '0' && n > 1))
		return -EINVAL;
	for (i = 0; i < 7; i++)
		if (strcmp(s + n, sfx[i]) == 0)
			break;
	if (i == 7)
		return -EINVAL;
	for (size_t j = 0; j < n; j++)
		overflow |=
		        __builtin_mul_overflow(v, 10, &v) ||
		        __builtin_add_overflow(v, (uint64_t)(s[j] - '0'), &v);
	if (overflow || v > UINT64_MAX >> shift[i])
		return -ERANGE;
	*out = v << shift[i];
	return 0;
}

static void fuzz_size(const char *text)
{
	uint64_t got = 1, want;
	ipc_status st, ref;
	char dec[32];

	st = ipc_parse_size(text, &got);
	ref = ref_size(text, &want);
	FZ_CHECK(st == ref);
	FZ_CHECK(got == want);
	if (st == 0) {
		/* The plain decimal form gives the same value. */
		(void)snprintf(dec, sizeof(dec), "%llu",
		               (unsigned long long)got);
		FZ_CHECK(ipc_parse_size(dec, &want) == 0 && want == got);
	}
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * A struct made from the bytes: kind (0 and 16 are invalid), option bits
 * (bit 6 is unknown), numbers, then the address text.
 */
static void fuzz_format(const uint8_t *d, size_t n)
{
	static struct ipc_url u;
	size_t alen;
	char *out;
	ipc_status st;

	if (n < 32)
		return;
	memset(&u, 0, sizeof(u));
	u.kind = d[0] % 17;
	u.has = d[1] & 0x7f;
	u.mode = (unsigned int)(d[2] | d[3] << 8) & (d[4] & 4 ? 0xffff : 0xfff);
	u.create = d[4] & 1;
	u.exclusive = (d[4] & 2) != 0;
	u.fd = (int)(d[5] | d[6] << 8 | d[7] << 16) - (d[4] & 8 ? 1 << 23 : 0);
	u.key = (int32_t)(uint32_t)le64(d + 8);
	u.capacity = le64(d + 8) >> (d[16] & 63);
	u.max_messages = le64(d + 16) >> (d[24] & 63);
	u.max_message_size = le64(d + 24) >> (d[31] & 63);
	alen = n - 32 < sizeof(u.addr) - 1 ? n - 32 : sizeof(u.addr) - 1;
	memcpy(u.addr, d + 32, alen);

	out = malloc(FZ_TEXT_MAX);
	FZ_CHECK(out != NULL);
	st = ipc_url_format(&u, out, FZ_TEXT_MAX);
	FZ_CHECK(st == 0 || st == -EINVAL || st == -ENAMETOOLONG);
	if (st == 0)
		check_canonical(&u, out, strlen(out), 0);
	else
		FZ_CHECK(out[0] == '\0');
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size > 4 * IPC_URL_ADDR_MAX)
		return 0;
	text = malloc(size + 1);
	FZ_CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_parse(text);
	fuzz_size(text);
	fuzz_format(data, size);
	free(text);
	return 0;
}
