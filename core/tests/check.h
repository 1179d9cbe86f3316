/* SPDX-License-Identifier: MIT */
/*
 * check.h - the in-house test harness (nothing can be downloaded here).
 *
 * Each test case runs in a forked process of its own, as libuv's runner
 * does: a crash or a hang fails that case only, the watchdog kills a case
 * that runs past its time (CHECK_TIMEOUT_MS, multiplied by the environment
 * variable IPC_TEST_SLOW for sanitizer and valgrind builds), and the
 * process-level checks run per case:
 *  - the open descriptors at the end must be exactly those at the start;
 *  - named objects go in a private 0700 directory made for the binary
 *    (check_path()); whatever is left there after a case fails it, and is
 *    removed;
 *  - cleanups registered with check_defer() run on success and on failure.
 *
 * Usage:
 *     static void test_roundtrip(void) { ... CHECK_OK(st); ... }
 *     static const struct check_case cases[] = {
 *             CHECK_CASE(test_roundtrip), {NULL, NULL}};
 *     int main(int argc, char **argv) { return check_main(argc, argv, cases); }
 *
 * Run one or more cases by name: ./test_pipe test_roundtrip.
 */
#ifndef IPC_TEST_CHECK_H
#define IPC_TEST_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc/common.h"

struct check_case {
	const char *name;
	void (*fn)(void);
};

#define CHECK_CASE(fn)                                                         \
	{                                                                      \
#fn, fn                                                        \
	}

/* Per-case watchdog before IPC_TEST_SLOW scaling. */
#define CHECK_TIMEOUT_MS 20000

int check_main(int argc, char **argv, const struct check_case *cases);

/* Report a failure and end the case (runs the deferred cleanups). */
void check_fail(const char *file, int line, const char *fmt, ...)
        __attribute__((noreturn, format(printf, 3, 4)));

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			check_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);    \
	} while (0)

#define CHECK_OK(expr)                                                         \
	do {                                                                   \
		ipc_status check_st_ = (expr);                                 \
		if (check_st_ != 0)                                            \
			check_fail(__FILE__, __LINE__, "%s: %s (%d)", #expr,   \
			           check_errname(check_st_), check_st_);       \
	} while (0)

#define CHECK_ERR(expr, want)                                                  \
	do {                                                                   \
		ipc_status check_st_ = (expr);                                 \
		ipc_status check_want_ = (want);                               \
		if (check_st_ != check_want_)                                  \
			check_fail(__FILE__, __LINE__,                         \
			           "%s: got %s (%d), want %s", #expr,          \
			           check_errname(check_st_), check_st_,        \
			           check_errname(check_want_));                \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long check_a_ = (long long)(a);                           \
		long long check_b_ = (long long)(b);                           \
		if (check_a_ != check_b_)                                      \
			check_fail(__FILE__, __LINE__,                         \
			           "%s == %s: %lld != %lld", #a, #b, check_a_, \
			           check_b_);                                  \
	} while (0)

#define CHECK_STR_EQ(a, b)                                                     \
	do {                                                                   \
		const char *check_a_ = (a);                                    \
		const char *check_b_ = (b);                                    \
		if (!check_streq(check_a_, check_b_))                          \
			check_fail(__FILE__, __LINE__,                         \
			           "%s == %s: \"%s\" != \"%s\"", #a, #b,       \
			           check_a_ ? check_a_ : "(null)",             \
			           check_b_ ? check_b_ : "(null)");            \
	} while (0)

#define CHECK_MEM_EQ(a, b, n)                                                  \
	do {                                                                   \
		if (!check_memeq((a), (b), (n)))                               \
			check_fail(__FILE__, __LINE__,                         \
			           "%s and %s differ in %zu bytes", #a, #b,    \
			           (size_t)(n));                               \
	} while (0)

/*
 * A timed wait must end no earlier than @want_ms after @start and not much
 * later: the slack is generous (the machines are shared and noisy) and
 * scaled by IPC_TEST_SLOW. Timing targets belong in bench/, not here.
 */
#define CHECK_ELAPSED(start, want_ms)                                          \
	check_elapsed(__FILE__, __LINE__, (start), (want_ms))

const char *check_errname(ipc_status st);
bool check_streq(const char *a, const char *b);
bool check_memeq(const void *a, const void *b, size_t n);
void check_elapsed(const char *file, int line, ipc_deadline start,
                   int64_t want_ms);

/* IPC_TEST_SLOW (1 when unset): the factor for timeouts and slack. */
int check_slow(void);

/*
 * A unique path for a named object in the binary's private directory:
 * "<dir>/<tag>-<pid>-<counter>". It is removed after the case whatever
 * happens (a leftover fails the case all the same).
 */
const char *check_path(const char *tag);

/*
 * A unique name for a POSIX named object (message queue, shared memory,
 * semaphore, mutex): "/ipc-test-<case pid>-<counter>-<tag>". After the case,
 * whatever of that name is left in /dev/shm (also as "sem.<name>") or
 * /dev/mqueue fails the case and is removed. Make names in the case process
 * and hand them to helpers.
 */
const char *check_posix_name(const char *tag);

/*
 * A unique System V key for the case: 0x49 in the top byte, the case's pid
 * and a counter below. After the case, a message queue, segment or
 * semaphore set left with such a key fails the case and is removed.
 */
int32_t check_sysv_key(void);

/* A unique abstract socket name, "@ipc-test-<pid>-<counter>-<tag>". */
const char *check_abstract(const char *tag);

/* The binary's private directory. */
const char *check_dir(void);

/* Run @fn(@arg) when the case ends, passed or failed (LIFO). */
void check_defer(void (*fn)(void *), void *arg);

/*
 * Fork a helper process that runs @fn(@arg) and exits 0, or non-zero when
 * a CHECK fails in it. The helper is in the case's process group, so the
 * watchdog kills it too.
 */
pid_t check_fork(void (*fn)(void *), void *arg);

/*
 * Wait for a helper; kill it (SIGKILL) if it is still running after
 * @timeout_ms (scaled by IPC_TEST_SLOW). Returns the wait status.
 */
int check_wait(pid_t pid, int timeout_ms);

/* check_wait() and CHECK that the helper exited 0. */
#define CHECK_CHILD_OK(pid, timeout_ms)                                        \
	do {                                                                   \
		int check_ws_ = check_wait((pid), (timeout_ms));               \
		if (!check_exited_ok(check_ws_))                               \
			check_fail(__FILE__, __LINE__,                         \
			           "helper %d ended badly (status 0x%x)",      \
			           (int)(pid), check_ws_);                     \
	} while (0)
bool check_exited_ok(int wstatus);

/*
 * Wait for a helper that must die of @sig (a read-only mapping written, a
 * truncated file touched); fail the case otherwise. Valgrind and the
 * sanitizers report such a death but keep its signal.
 */
#define CHECK_KILLED_BY(pid, sig)                                              \
	check_killed_by(__FILE__, __LINE__, (pid), (sig))
void check_killed_by(const char *file, int line, pid_t pid, int sig);

/* The number of open descriptors of this process. */
int check_fd_count(void);

/*
 * Interrupt this thread's next wait: send @sig to it after @delay_ms, and
 * again every 20 ms until check_signal_stop(). One signal is not enough on
 * a loaded machine: it can land in the short non-blocking steps between
 * waits, where it only runs the handler, and the call then waits out its
 * deadline (the race every EINTR design has). The handler is installed
 * without SA_RESTART. Call check_signal_stop() right after the interrupted
 * call returns; the harness stops the sender at the end of a case anyway.
 */
void check_signal_after(int sig, int delay_ms);
void check_signal_stop(void);

/* A pattern byte stream: byte i of stream @seed. */
void check_fill(void *buf, size_t len, unsigned int seed, size_t offset);

#endif /* IPC_TEST_CHECK_H */
