/* SPDX-License-Identifier: MIT */
/*
 * fuzz_native_sig.c - the signature parser of native calls (ipc/native.h):
 * text from configs and scripts ("native = {sig = ...}", ipc.native()).
 *
 * The input, as a NUL-terminated string (it ends at its first NUL), goes
 * to:
 *
 *  1. ipc_native_sig_parse(): 0, -EINVAL or -E2BIG, nothing else. A
 *     failure zeroes the struct and leaves a detail. A success gives a
 *     well-formed signature (a return type that is not buf, at most
 *     IPC_NATIVE_MAX_ARGS arguments, none void), which formats
 *     (ipc_native_sig_format) to a canonical text that parses back to an
 *     identical struct and formats to the same text again; a buffer one
 *     byte short gives -ENOSPC, an exact one the same text.
 *     ipc_native_stage_check() agrees with the rule written out here.
 *  2. ipc_native_sig_format() of a struct filled in from the input bytes:
 *     whatever it accepts parses back to the same struct.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/native.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The longest canonical form: 17 names of at most 4 bytes, 15 commas. */
#define FZ_FORMAT_MAX 128

#define FZ_CHECK(c)                                                            \
	do {                                                                   \
		if (!(c))                                                      \
			fz_fail(__LINE__, #c);                                 \
	} while (0)

static void fz_fail(int line, const char *what)
{
	fprintf(stderr, "fuzz_native_sig.c:%d: check failed: %s\n", line, what);
	abort();
}

static int all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i] != 0)
			return 0;
	return 1;
}

static int same_sig(const struct ipc_native_sig *a,
                    const struct ipc_native_sig *b)
{
	unsigned int i;

	if (a->ret != b->ret || a->nargs != b->nargs)
		return 0;
	for (i = 0; i < a->nargs; i++)
		if (a->args[i] != b->args[i])
			return 0;
	return 1;
}

static int stage_rule(const struct ipc_native_sig *s)
{
	int num = s->ret >= IPC_NATIVE_I8 && s->ret <= IPC_NATIVE_F64;

	if (s->nargs == 2)
		return s->args[0] == IPC_NATIVE_BUF &&
		       s->args[1] == IPC_NATIVE_BUF &&
		       (s->ret == IPC_NATIVE_I32 || s->ret == IPC_NATIVE_I64);
	if (s->nargs == 1)
		return (s->args[0] == IPC_NATIVE_BUF ||
		        s->args[0] == IPC_NATIVE_STR) &&
		       (num || s->ret == IPC_NATIVE_STR);
	return 0;
}

/* Format @s, check the canonical text, and parse it back. */
static void round_trip(const struct ipc_native_sig *s)
{
	char buf[FZ_FORMAT_MAX];
	char again[FZ_FORMAT_MAX];
	struct ipc_native_sig back;
	size_t n;

	FZ_CHECK(ipc_native_sig_format(s, buf, sizeof(buf)) == 0);
	n = strlen(buf);
	FZ_CHECK(n >= 3 && buf[n - 1] == ')');
	FZ_CHECK(strpbrk(buf, " \t\r\n") == NULL);
	FZ_CHECK(ipc_native_sig_parse(buf, &back) == 0);
	FZ_CHECK(same_sig(s, &back));
	FZ_CHECK(ipc_native_sig_format(&back, again, sizeof(again)) == 0);
	FZ_CHECK(strcmp(buf, again) == 0);
	FZ_CHECK(ipc_native_sig_format(s, again, n + 1) == 0);
	FZ_CHECK(strcmp(buf, again) == 0);
	FZ_CHECK(ipc_native_sig_format(s, again, n) == -ENOSPC);
	FZ_CHECK(strlen(again) < n);
}

static void check_parse(const char *text)
{
	struct ipc_native_sig s;
	unsigned int i;
	ipc_status st;

	memset(&s, 0x5a, sizeof(s));
	st = ipc_native_sig_parse(text, &s);
	FZ_CHECK(st == 0 || st == -EINVAL || st == -E2BIG);
	if (st != 0) {
		FZ_CHECK(all_zero(&s, sizeof(s)));
		FZ_CHECK(ipc_detail()[0] != '\0');
		return;
	}
	FZ_CHECK(s.ret >= IPC_NATIVE_VOID && s.ret < IPC_NATIVE_BUF);
	FZ_CHECK(s.nargs <= IPC_NATIVE_MAX_ARGS);
	for (i = 0; i < s.nargs; i++)
		FZ_CHECK(s.args[i] > IPC_NATIVE_VOID &&
		         s.args[i] <= IPC_NATIVE_BUF);
	for (; i < IPC_NATIVE_MAX_ARGS; i++)
		FZ_CHECK(s.args[i] == IPC_NATIVE_VOID);
	round_trip(&s);
	st = ipc_native_stage_check(&s);
	FZ_CHECK(st == 0 || st == -EINVAL);
	FZ_CHECK((st == 0) == stage_rule(&s));
}

/* A struct from raw bytes: format refuses it or round-trips it. */
static void check_format(const uint8_t *data, size_t size)
{
	struct ipc_native_sig s;
	char buf[FZ_FORMAT_MAX];
	unsigned int i;
	ipc_status st;

	if (size < 2)
		return;
	memset(&s, 0, sizeof(s));
	s.ret = (enum ipc_native_type)(data[0] % 16);
	s.nargs = data[1] % (IPC_NATIVE_MAX_ARGS + 2);
	for (i = 0; i < s.nargs && i < IPC_NATIVE_MAX_ARGS; i++)
		s.args[i] = (enum ipc_native_type)(
		        2 + i < size ? data[2 + i] % 16 : IPC_NATIVE_I32);
	st = ipc_native_sig_format(&s, buf, sizeof(buf));
	FZ_CHECK(st == 0 || st == -EINVAL);
	if (st == 0)
		round_trip(&s);
	FZ_CHECK(ipc_native_type_name(s.ret)[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	if (size > 0)
		memcpy(text, data, size);
	text[size] = '\0';
	check_parse(text);
	free(text);
	check_format(data, size);
	return 0;
}
