/* SPDX-License-Identifier: MIT */
/*
 * native_sig.c - the signature grammar of native calls (docs/native.md):
 * parsing, the canonical form, and which signatures a native stage takes.
 *
 * Nothing here loads or calls anything, so the fuzz target for the parser
 * needs neither libdl nor libffi.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "ipc/native.h"

/* How much of a signature a failure detail quotes. */
#define SIG_QUOTE 40

static const char *const type_names[] = {
        [IPC_NATIVE_VOID] = "void", [IPC_NATIVE_I8] = "i8",
        [IPC_NATIVE_I16] = "i16",   [IPC_NATIVE_I32] = "i32",
        [IPC_NATIVE_I64] = "i64",   [IPC_NATIVE_U8] = "u8",
        [IPC_NATIVE_U16] = "u16",   [IPC_NATIVE_U32] = "u32",
        [IPC_NATIVE_U64] = "u64",   [IPC_NATIVE_F32] = "f32",
        [IPC_NATIVE_F64] = "f64",   [IPC_NATIVE_PTR] = "ptr",
        [IPC_NATIVE_STR] = "str",   [IPC_NATIVE_BUF] = "buf",
};

/* The C names the grammar accepts besides its own ("char*" is special). */
static const struct {
	const char *name;
	enum ipc_native_type type;
} type_aliases[] = {
        {"int", IPC_NATIVE_I32},    {"long", IPC_NATIVE_I64},
        {"size_t", IPC_NATIVE_U64}, {"float", IPC_NATIVE_F32},
        {"double", IPC_NATIVE_F64},
};

const char *ipc_native_type_name(enum ipc_native_type t)
{
	if ((unsigned int)t >= IPC__ARRAY_SIZE(type_names))
		return "?";
	return type_names[t];
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

static const char *skip_blanks(const char *p)
{
	while (is_blank(*p))
		p++;
	return p;
}

static ipc_status sig_error(const char *sig, const char *at, const char *what)
{
	return ipc__detail(-EINVAL, "signature \"%.*s%s\": %s at offset %zu",
	                   SIG_QUOTE, sig, strlen(sig) > SIG_QUOTE ? "..." : "",
	                   what, (size_t)(at - sig));
}

/*
 * Read one type name at *@pp (blanks already skipped) and move past it,
 * "char *" included. Returns 0 or -EINVAL.
 */
static ipc_status read_type(const char *sig, const char **pp,
                            enum ipc_native_type *out)
{
	const char *p = *pp;
	const char *end = p;
	size_t len;
	size_t i;

	while (is_word(*end))
		end++;
	len = (size_t)(end - p);
	if (len == 0)
		return sig_error(sig, p, "expected a type");
	if (len == 4 && memcmp(p, "char", 4) == 0) {
		end = skip_blanks(end);
		if (*end != '*')
			return sig_error(sig, end,
			                 "\"char\" must be \"char*\"");
		*out = IPC_NATIVE_STR;
		*pp = end + 1;
		return 0;
	}
	for (i = 0; i < IPC__ARRAY_SIZE(type_names); i++) {
		if (strlen(type_names[i]) == len &&
		    memcmp(p, type_names[i], len) == 0) {
			*out = (enum ipc_native_type)i;
			*pp = end;
			return 0;
		}
	}
	for (i = 0; i < IPC__ARRAY_SIZE(type_aliases); i++) {
		if (strlen(type_aliases[i].name) == len &&
		    memcmp(p, type_aliases[i].name, len) == 0) {
			*out = type_aliases[i].type;
			*pp = end;
			return 0;
		}
	}
	return sig_error(sig, p, "unknown type");
}

/* The argument list after '(' up to and past ')'. */
static ipc_status parse_args(const char *sig, const char **pp,
                             struct ipc_native_sig *out)
{
	const char *p = skip_blanks(*pp);
	const char *at;
	enum ipc_native_type t;
	ipc_status st;

	if (*p == ')') {
		*pp = p + 1;
		return 0;
	}
	for (;;) {
		at = p;
		st = read_type(sig, &p, &t);
		if (st < 0)
			return st;
		p = skip_blanks(p);
		if (t == IPC_NATIVE_VOID) {
			/* "(void)" alone means no argument. */
			if (out->nargs == 0 && *p == ')') {
				*pp = p + 1;
				return 0;
			}
			return sig_error(sig, at, "void is a return type only");
		}
		if (out->nargs == IPC_NATIVE_MAX_ARGS)
			return ipc__detail(-E2BIG,
			                   "signature: more than %d arguments",
			                   IPC_NATIVE_MAX_ARGS);
		out->args[out->nargs++] = t;
		if (*p == ')') {
			*pp = p + 1;
			return 0;
		}
		if (*p != ',')
			return sig_error(sig, p, "expected ',' or ')'");
		p = skip_blanks(p + 1);
	}
}

ipc_status ipc_native_sig_parse(const char *sig, struct ipc_native_sig *out)
{
	const char *p;
	const char *at;
	ipc_status st;

	ipc__detail_clear();
	memset(out, 0, sizeof(*out));
	if (sig == NULL)
		return ipc__detail(-EINVAL, "signature: NULL");
	p = skip_blanks(sig);
	at = p;
	st = read_type(sig, &p, &out->ret);
	if (st < 0)
		goto fail;
	if (out->ret == IPC_NATIVE_BUF) {
		st = sig_error(sig, at, "buf is an argument type only");
		goto fail;
	}
	p = skip_blanks(p);
	if (*p != '(') {
		st = sig_error(sig, p, "expected '('");
		goto fail;
	}
	p++;
	st = parse_args(sig, &p, out);
	if (st < 0)
		goto fail;
	p = skip_blanks(p);
	if (*p != '\0') {
		st = sig_error(sig, p, "unexpected text after ')'");
		goto fail;
	}
	return 0;

fail:
	memset(out, 0, sizeof(*out));
	return st;
}

static bool sig_valid(const struct ipc_native_sig *sig)
{
	unsigned int i;

	if ((unsigned int)sig->ret >= IPC_NATIVE_BUF ||
	    sig->nargs > IPC_NATIVE_MAX_ARGS)
		return false;
	for (i = 0; i < sig->nargs; i++) {
		if (sig->args[i] == IPC_NATIVE_VOID ||
		    (unsigned int)sig->args[i] > IPC_NATIVE_BUF)
			return false;
	}
	return true;
}

ipc_status ipc_native_sig_format(const struct ipc_native_sig *sig, char *buf,
                                 size_t cap)
{
	size_t used = 0;
	unsigned int i;
	int n;

	if (cap == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (!sig_valid(sig))
		return -EINVAL;
	n = snprintf(buf, cap, "%s(", ipc_native_type_name(sig->ret));
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	used = (size_t)n;
	for (i = 0; i < sig->nargs; i++) {
		n = snprintf(buf + used, cap - used, "%s%s", i > 0 ? "," : "",
		             ipc_native_type_name(sig->args[i]));
		if (n < 0 || (size_t)n >= cap - used)
			return -ENOSPC;
		used += (size_t)n;
	}
	if (used + 1 >= cap)
		return -ENOSPC;
	buf[used] = ')';
	buf[used + 1] = '\0';
	return 0;
}

static bool is_number(enum ipc_native_type t)
{
	return t >= IPC_NATIVE_I8 && t <= IPC_NATIVE_F64;
}

ipc_status ipc_native_stage_check(const struct ipc_native_sig *sig)
{
	ipc__detail_clear();
	if (sig->nargs == 2 && sig->args[0] == IPC_NATIVE_BUF &&
	    sig->args[1] == IPC_NATIVE_BUF &&
	    (sig->ret == IPC_NATIVE_I32 || sig->ret == IPC_NATIVE_I64))
		return 0;
	if (sig->nargs == 1 &&
	    (sig->args[0] == IPC_NATIVE_BUF ||
	     sig->args[0] == IPC_NATIVE_STR) &&
	    (is_number(sig->ret) || sig->ret == IPC_NATIVE_STR))
		return 0;
	return ipc__detail(-EINVAL,
	                   "a native stage takes \"long(buf,buf)\" (or "
	                   "\"int(buf,buf)\"), or one buf or str argument "
	                   "returning a number or a str");
}
