/* SPDX-License-Identifier: MIT */
/*
 * ipc/common.h - what every ipc header shares: status codes, deadlines,
 * open flags, error strings and the library version.
 *
 * Status: every command returns an ipc_status, 0 on success or a negated
 * errno value on failure (-ETIMEDOUT, -EAGAIN, ...), the convention of the
 * kernel and of libuv. Results travel through out-parameters.
 *
 * Time: every call that can block takes an absolute ipc_deadline, in
 * nanoseconds on CLOCK_MONOTONIC. IPC_DEADLINE_NOW tries once,
 * IPC_DEADLINE_NEVER waits for ever. Because the deadline is absolute, a
 * caller that retries after -EINTR passes the same value again and the
 * total wait never grows.
 *
 * EINTR: internal non-blocking steps retry by themselves; a blocking wait
 * interrupted by a signal handler returns -EINTR so that the caller (a
 * Python or Lua binding, or a C loop) can run its handlers and decide.
 * Close functions never return -EINTR and are never retried.
 *
 * Threads: all functions may be called concurrently on different handles.
 * One handle is not locked internally: use it from one thread at a time.
 * Closing a handle while another thread is blocked on it is undefined.
 *
 * This header, like every public ipc header, compiles as strict C11
 * (-std=c11 -pedantic) without _GNU_SOURCE and does not clash with the
 * IPC_* names of <sys/ipc.h>: our constants carry a sub-prefix.
 */
#ifndef IPC_COMMON_H
#define IPC_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define IPC_API __attribute__((visibility("default")))
#else
#define IPC_API
#endif

#define IPC_VERSION_MAJOR 0
#define IPC_VERSION_MINOR 1
#define IPC_VERSION_PATCH 0

/* 0 on success, a negated errno value on failure. */
typedef int ipc_status;

/* Absolute time in nanoseconds on CLOCK_MONOTONIC. */
typedef int64_t ipc_deadline;

#define IPC_DEADLINE_NOW   ((ipc_deadline)0)
#define IPC_DEADLINE_NEVER ((ipc_deadline)INT64_MAX)

/*
 * Open flags shared by every mechanism. A function documents which of
 * them it accepts and returns -EINVAL for any other bit.
 */
#define IPC_O_READ     0x0001u /* open for reading */
#define IPC_O_WRITE    0x0002u /* open for writing */
#define IPC_O_RDWR     (IPC_O_READ | IPC_O_WRITE)
#define IPC_O_CREATE   0x0004u /* create the named object if missing */
#define IPC_O_EXCL     0x0008u /* with IPC_O_CREATE: fail if it exists */
#define IPC_O_NONBLOCK 0x0010u /* the descriptor itself is O_NONBLOCK */
#define IPC_O_NOFOLLOW 0x0020u /* refuse a symbolic link at the path */
#define IPC_O_SHARED   0x0040u /* accept an object owned by another user */

/* Default permission bits of every named object we create. */
#define IPC_MODE_DEFAULT 0600u

/**
 * ipc_version() - The library version as "MAJOR.MINOR.PATCH".
 *
 * Return: a static string.
 */
IPC_API const char *ipc_version(void);

/**
 * ipc_version_number() - The library version as one integer.
 *
 * Return: MAJOR * 10000 + MINOR * 100 + PATCH.
 */
IPC_API unsigned int ipc_version_number(void);

/**
 * ipc_strerror() - Describe a status.
 * @st: 0 or a negated errno value.
 *
 * Thread-safe, unlike strerror(3).
 * Return: a static string, "Success" for 0, "Unknown error" for values that
 * are not errno codes.
 */
IPC_API const char *ipc_strerror(ipc_status st);

/**
 * ipc_errname() - The symbolic name of a status.
 * @st: 0 or a negated errno value (a positive errno is accepted too).
 *
 * Return: a static string such as "EAGAIN" or "ETIMEDOUT", "OK" for 0, or
 * NULL when the value is not an errno code this library knows.
 */
IPC_API const char *ipc_errname(ipc_status st);

/**
 * ipc_errno_by_name() - The errno value of a symbolic name.
 * @name: "EAGAIN", "ETIMEDOUT", ...
 *
 * Return: the positive errno value, or 0 when the name is unknown.
 */
IPC_API int ipc_errno_by_name(const char *name);

/**
 * ipc_errno_at() - Walk the table of errno names.
 * @index: 0, 1, 2, ...
 * @name:  out: the name at @index.
 *
 * Lets bindings build their errno tables (Lua's ipc.errno) without
 * repeating the list.
 * Return: the positive errno value at @index, or 0 past the end.
 */
IPC_API int ipc_errno_at(size_t index, const char **name);

/**
 * ipc_now() - The current time on CLOCK_MONOTONIC.
 *
 * Return: nanoseconds, comparable with any ipc_deadline.
 */
IPC_API ipc_deadline ipc_now(void);

/**
 * ipc_deadline_in_ms() - A deadline @ms milliseconds from now.
 * @ms: milliseconds; a negative value means never.
 *
 * Saturates at IPC_DEADLINE_NEVER instead of overflowing.
 * Return: the absolute deadline.
 */
IPC_API ipc_deadline ipc_deadline_in_ms(int64_t ms);

/**
 * ipc_deadline_in_ns() - A deadline @ns nanoseconds from now.
 * @ns: nanoseconds; a negative value means never.
 *
 * Return: the absolute deadline, saturated at IPC_DEADLINE_NEVER.
 */
IPC_API ipc_deadline ipc_deadline_in_ns(int64_t ns);

/**
 * ipc_deadline_from_seconds() - A deadline from a timeout in seconds.
 * @seconds: a timeout as the bindings take it; negative means never,
 *           0 means try once (IPC_DEADLINE_NOW), NaN is treated as never.
 *
 * The one conversion the Python and Lua bindings use, so that both round
 * and saturate alike.
 * Return: the absolute deadline.
 */
IPC_API ipc_deadline ipc_deadline_from_seconds(double seconds);

/**
 * ipc_deadline_remaining_ms() - Milliseconds left until @d, for poll(2).
 * @d: a deadline.
 *
 * Rounds up, so that a wait never ends before the deadline.
 * Return: -1 for IPC_DEADLINE_NEVER, 0 when the deadline has passed,
 * otherwise the milliseconds left, at most INT32_MAX.
 */
IPC_API int ipc_deadline_remaining_ms(ipc_deadline d);

/**
 * ipc_deadline_expired() - Whether @d has passed.
 * @d: a deadline.
 *
 * Return: true when the monotonic clock has reached @d.
 */
IPC_API bool ipc_deadline_expired(ipc_deadline d);

/**
 * ipc_detail() - The detail of the last failure in this thread.
 *
 * Some failures carry more than an errno: a malformed URL says which part
 * is wrong ("mq:/a?capacity=1MiB: option capacity does not apply to mq"),
 * a refused POSIX queue names the system limit. Calls that can record such
 * a detail (the URL parser, channels, endpoints, processes) clear it when
 * they start and set it when they fail for a reason the errno alone does
 * not say. The Python and Lua bindings put it in their error messages.
 * Return: a thread-local string, "" when the last such call recorded
 * nothing; valid until the next ipc call in this thread.
 */
IPC_API const char *ipc_detail(void);

/**
 * ipc_detail_clear() - Forget this thread's failure detail.
 *
 * Calls that never record a detail leave it alone, so a binding that puts
 * ipc_detail() in the error of any call clears it first: otherwise a
 * missing queue could be reported with the detail of an earlier bad URL.
 */
IPC_API void ipc_detail_clear(void);

#ifdef __cplusplus
}
#endif

#endif /* IPC_COMMON_H */
