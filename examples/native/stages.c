/* SPDX-License-Identifier: MIT */
/*
 * stages.c - libipc_stages.so, example native stage functions for the
 * host's "native = {lib, fn, sig}" stages and for ipc.native().
 *
 * Each follows the stage convention "long(buf,buf)" (docs/native.md):
 *
 *     long fn(const void *in, size_t in_len, void *out, size_t out_cap);
 *
 * returning the bytes written to @out, or -ENOBUFS when @out is too small
 * (the caller doubles it and calls again). They keep no state, so any
 * number of stages and threads may call them.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define STAGE_API __attribute__((visibility("default")))

long ipc_stage_upper(const void *in, size_t in_len, void *out, size_t out_cap);
long ipc_stage_crc32c(const void *in, size_t in_len, void *out, size_t out_cap);
long ipc_stage_reverse(const void *in, size_t in_len, void *out,
                       size_t out_cap);

/* ASCII letters to upper case; other bytes pass unchanged. */
STAGE_API long ipc_stage_upper(const void *in, size_t in_len, void *out,
                               size_t out_cap)
{
	const unsigned char *s = in;
	unsigned char *d = out;
	size_t i;

	if (in_len > out_cap)
		return -ENOBUFS;
	for (i = 0; i < in_len; i++)
		d[i] = (s[i] >= 'a' && s[i] <= 'z') ? (unsigned char)(s[i] - 32)
		                                    : s[i];
	return (long)in_len;
}

/* CRC-32C (Castagnoli, reflected 0x82F63B78), bit by bit: an example,
 * not a fast one. */
static uint32_t crc32c(const unsigned char *p, size_t n)
{
	uint32_t crc = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* The CRC-32C of the message as 8 lower-case hex digits. */
STAGE_API long ipc_stage_crc32c(const void *in, size_t in_len, void *out,
                                size_t out_cap)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t crc = crc32c(in, in_len);
	char *d = out;
	int i;

	if (out_cap < 8)
		return -ENOBUFS;
	for (i = 7; i >= 0; i--) {
		d[i] = hex[crc & 0xfu];
		crc >>= 4;
	}
	return 8;
}

/* The message's bytes in reverse order. */
STAGE_API long ipc_stage_reverse(const void *in, size_t in_len, void *out,
                                 size_t out_cap)
{
	const unsigned char *s = in;
	unsigned char *d = out;
	size_t i;

	if (in_len > out_cap)
		return -ENOBUFS;
	for (i = 0; i < in_len; i++)
		d[i] = s[in_len - 1 - i];
	return (long)in_len;
}
