/* SPDX-License-Identifier: MIT */
/* common.c - version and error strings. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define IPC__STR2(x) #x
#define IPC__STR(x)  IPC__STR2(x)

const char *ipc_version(void)
{
	return IPC__STR(IPC_VERSION_MAJOR) "." IPC__STR(
	        IPC_VERSION_MINOR) "." IPC__STR(IPC_VERSION_PATCH);
}

unsigned int ipc_version_number(void)
{
	return IPC_VERSION_MAJOR * 10000u + IPC_VERSION_MINOR * 100u +
	       IPC_VERSION_PATCH;
}

/*
 * The errno names the bindings expose (Lua's ipc.errno, ipc_errname()).
 * Linux values, in numeric order: every name errno(3) documents, without
 * the aliases (EWOULDBLOCK == EAGAIN, EDEADLOCK == EDEADLK, ENOTSUP ==
 * EOPNOTSUPP), which would make the reverse lookup ambiguous.
 */
struct ipc__errno_entry {
	int value;
	const char *name;
};

/* clang-format off */
#define IPC__E(e) {e, #e}
static const struct ipc__errno_entry ipc__errnos[] = {
	IPC__E(EPERM), IPC__E(ENOENT), IPC__E(ESRCH), IPC__E(EINTR), IPC__E(EIO),
	IPC__E(ENXIO), IPC__E(E2BIG), IPC__E(ENOEXEC), IPC__E(EBADF), IPC__E(ECHILD),
	IPC__E(EAGAIN), IPC__E(ENOMEM), IPC__E(EACCES), IPC__E(EFAULT),
	IPC__E(ENOTBLK), IPC__E(EBUSY), IPC__E(EEXIST), IPC__E(EXDEV), IPC__E(ENODEV),
	IPC__E(ENOTDIR), IPC__E(EISDIR), IPC__E(EINVAL), IPC__E(ENFILE),
	IPC__E(EMFILE), IPC__E(ENOTTY), IPC__E(ETXTBSY), IPC__E(EFBIG),
	IPC__E(ENOSPC), IPC__E(ESPIPE), IPC__E(EROFS), IPC__E(EMLINK), IPC__E(EPIPE),
	IPC__E(EDOM), IPC__E(ERANGE), IPC__E(EDEADLK), IPC__E(ENAMETOOLONG),
	IPC__E(ENOLCK), IPC__E(ENOSYS), IPC__E(ENOTEMPTY), IPC__E(ELOOP),
	IPC__E(ENOMSG), IPC__E(EIDRM), IPC__E(ECHRNG), IPC__E(EL2NSYNC),
	IPC__E(EL3HLT), IPC__E(EL3RST), IPC__E(ELNRNG), IPC__E(EUNATCH),
	IPC__E(ENOCSI), IPC__E(EL2HLT), IPC__E(EBADE), IPC__E(EBADR), IPC__E(EXFULL),
	IPC__E(ENOANO), IPC__E(EBADRQC), IPC__E(EBADSLT), IPC__E(EBFONT),
	IPC__E(ENOSTR), IPC__E(ENODATA), IPC__E(ETIME), IPC__E(ENOSR), IPC__E(ENONET),
	IPC__E(ENOPKG), IPC__E(EREMOTE), IPC__E(ENOLINK), IPC__E(EADV),
	IPC__E(ESRMNT), IPC__E(ECOMM), IPC__E(EPROTO), IPC__E(EMULTIHOP),
	IPC__E(EDOTDOT), IPC__E(EBADMSG), IPC__E(EOVERFLOW), IPC__E(ENOTUNIQ),
	IPC__E(EBADFD), IPC__E(EREMCHG), IPC__E(ELIBACC), IPC__E(ELIBBAD),
	IPC__E(ELIBSCN), IPC__E(ELIBMAX), IPC__E(ELIBEXEC), IPC__E(EILSEQ),
	IPC__E(ERESTART), IPC__E(ESTRPIPE), IPC__E(EUSERS), IPC__E(ENOTSOCK),
	IPC__E(EDESTADDRREQ), IPC__E(EMSGSIZE), IPC__E(EPROTOTYPE), IPC__E(ENOPROTOOPT),
	IPC__E(EPROTONOSUPPORT), IPC__E(ESOCKTNOSUPPORT), IPC__E(EOPNOTSUPP),
	IPC__E(EPFNOSUPPORT), IPC__E(EAFNOSUPPORT), IPC__E(EADDRINUSE),
	IPC__E(EADDRNOTAVAIL), IPC__E(ENETDOWN), IPC__E(ENETUNREACH), IPC__E(ENETRESET),
	IPC__E(ECONNABORTED), IPC__E(ECONNRESET), IPC__E(ENOBUFS), IPC__E(EISCONN),
	IPC__E(ENOTCONN), IPC__E(ESHUTDOWN), IPC__E(ETOOMANYREFS), IPC__E(ETIMEDOUT),
	IPC__E(ECONNREFUSED), IPC__E(EHOSTDOWN), IPC__E(EHOSTUNREACH), IPC__E(EALREADY),
	IPC__E(EINPROGRESS), IPC__E(ESTALE), IPC__E(EUCLEAN), IPC__E(ENOTNAM),
	IPC__E(ENAVAIL), IPC__E(EISNAM), IPC__E(EREMOTEIO), IPC__E(EDQUOT),
	IPC__E(ENOMEDIUM), IPC__E(EMEDIUMTYPE), IPC__E(ECANCELED), IPC__E(ENOKEY),
	IPC__E(EKEYEXPIRED), IPC__E(EKEYREVOKED), IPC__E(EKEYREJECTED),
	IPC__E(EOWNERDEAD), IPC__E(ENOTRECOVERABLE), IPC__E(ERFKILL),
};
/* clang-format on */
#undef IPC__E

const char *ipc_strerror(ipc_status st)
{
	const char *s;

	if (st == 0)
		return "Success";
	if (st < 0)
		st = -st;
	/* strerrordesc_np() returns a static string: thread-safe, unlike
	 * strerror(), and no buffer to own. */
	s = strerrordesc_np(st);
	return s != NULL ? s : "Unknown error";
}

const char *ipc_errname(ipc_status st)
{
	size_t i;

	if (st == 0)
		return "OK";
	if (st < 0)
		st = -st;
	for (i = 0; i < IPC__ARRAY_SIZE(ipc__errnos); i++) {
		if (ipc__errnos[i].value == st)
			return ipc__errnos[i].name;
	}
	return NULL;
}

int ipc_errno_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; i < IPC__ARRAY_SIZE(ipc__errnos); i++) {
		if (strcmp(ipc__errnos[i].name, name) == 0)
			return ipc__errnos[i].value;
	}
	return 0;
}

int ipc_errno_at(size_t index, const char **name)
{
	if (index >= IPC__ARRAY_SIZE(ipc__errnos)) {
		if (name != NULL)
			*name = NULL;
		return 0;
	}
	if (name != NULL)
		*name = ipc__errnos[index].name;
	return ipc__errnos[index].value;
}

/*
 * The detail of the last failure (ipc_detail()). Thread-local, like
 * dlerror(3): one buffer per thread, so concurrent callers never see each
 * other's messages, and no lock.
 */
static _Thread_local char ipc__detail_buf[512];

const char *ipc_detail(void)
{
	return ipc__detail_buf;
}

void ipc__detail_clear(void)
{
	ipc__detail_buf[0] = '\0';
}

void ipc_detail_clear(void)
{
	ipc__detail_clear();
}

ipc_status ipc__detail(ipc_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(ipc__detail_buf, sizeof(ipc__detail_buf), fmt, ap);
	va_end(ap);
	return st;
}
