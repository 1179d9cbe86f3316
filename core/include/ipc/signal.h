/* SPDX-License-Identifier: MIT */
/*
 * ipc/signal.h - sending signals, and receiving them as data.
 *
 * Sending: ipc_sig_send() is kill(2), ipc_sig_queue() is sigqueue(3) with
 * one int of payload. Signals are notifications, not a data channel:
 * standard signals (1-31) coalesce (five USR1 sent while one is pending
 * arrive as one), and queued real-time signals are bounded by
 * RLIMIT_SIGPENDING (ulimit -i), beyond which ipc_sig_queue() fails with
 * -EAGAIN.
 *
 * Receiving: a signal set (ipc_sigset) blocks its signals in the calling
 * thread and reads them from a signalfd(2): a pollable descriptor and a
 * wait with a deadline that returns the signal, the sender's pid and uid
 * and the payload. No handler runs; the library never runs user code
 * inside a signal handler, and installs none.
 *
 * Threads: the mask is per thread. A process-directed signal goes to any
 * thread that does not block it, and a handler there takes it before the
 * set can read it: block the set's signals in every thread. Open the set
 * before creating threads (new threads inherit the mask), or call
 * ipc_sig_block() in each thread.
 *
 * fork/exec: the mask is inherited across fork and exec, so a child starts
 * with the set's signals blocked, and ignored signals stay ignored. Call
 * ipc_sig_reset_child() in the child between fork and exec. The library
 * keeps no signal state outside the handles, so there is no atfork hook to
 * call: a set inherited through fork keeps working in the child (it reads
 * the child's signals). Its descriptor is close-on-exec.
 *
 * Signal numbers are ints; 1-31 and SIGRTMIN..SIGRTMAX are valid (glibc
 * keeps 32 and 33 for itself). Names are "USR1" or "SIGUSR1", "RTMIN+3".
 */
#ifndef IPC_SIGNAL_H
#define IPC_SIGNAL_H

#include "ipc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_sigset ipc_sigset;

/* Values of ipc_sig_info.code, the si_code of siginfo_t(2). */
#define IPC_SIG_CODE_USER  0  /* kill(2), ipc_sig_send() */
#define IPC_SIG_CODE_QUEUE -1 /* sigqueue(3), ipc_sig_queue() */
#define IPC_SIG_CODE_TKILL -6 /* tgkill(2), raise(3), pthread_kill(3) */
/* Positive codes: sent by the kernel (a child's exit, a fault, ...). */

/* One received signal. */
struct ipc_sig_info {
	int32_t signo; /* the signal number */
	int32_t pid;   /* the sender's pid (SIGCHLD: the child's) */
	uint32_t uid;  /* the sender's real uid */
	int32_t value; /* the sigqueue payload; 0 for kill(2) */
	int32_t code;  /* IPC_SIG_CODE_* or a kernel si_code */
};

/**
 * ipc_sig_number() - The number of a signal name.
 * @name:  "USR1", "SIGUSR1", "RTMIN", "RTMIN+3", "RTMAX-2" (upper case);
 *         the aliases "IOT", "CLD" and "POLL" are accepted too.
 * @signo: out: the signal number.
 *
 * Return: 0, or -EINVAL (NULL, unknown name, real-time offset out of
 * range).
 */
IPC_API ipc_status ipc_sig_number(const char *name, int *signo);

/**
 * ipc_sig_name() - The name of a signal number.
 * @signo: a signal number.
 *
 * Real-time signals are named like kill -l does: "RTMIN", "RTMIN+1", ...
 * up to the middle, then "RTMAX-14", ..., "RTMAX".
 * Return: a static string without the "SIG" prefix ("USR1"), or NULL when
 * @signo is not a valid signal.
 */
IPC_API const char *ipc_sig_name(int signo);

/**
 * ipc_sig_send() - Send a signal to a process: kill(2).
 * @pid:   the process, > 0 (process groups belong to the process API).
 * @signo: the signal, or 0 to check that @pid exists and may be signalled.
 *
 * A pid can be reused once its process has been reaped: signal children
 * through the process API, which holds a pidfd, rather than by number.
 * Return: 0, or -EINVAL (@pid <= 0, bad @signo), -ESRCH (no such process),
 * -EPERM (not allowed to signal it).
 * Blocking: no.
 */
IPC_API ipc_status ipc_sig_send(int32_t pid, int signo);

/**
 * ipc_sig_queue() - Send a signal with an int payload: sigqueue(3).
 * @pid:   the process, > 0.
 * @signo: the signal, or 0 to check that @pid exists.
 * @value: the payload, ipc_sig_info.value at the receiver.
 *
 * Real-time signals queue, each with its payload, in order; a standard
 * signal already pending is dropped and its payload lost. Queued signals
 * are counted per user against the receiver's RLIMIT_SIGPENDING.
 * Return: 0, or -EAGAIN (the receiver's queue limit is reached: a
 * real-time signal was not sent; a standard signal is still sent beyond the
 * limit, but arrives without sender, uid or payload), -EINVAL, -ESRCH,
 * -EPERM.
 * Blocking: no.
 */
IPC_API ipc_status ipc_sig_queue(int32_t pid, int signo, int value);

/**
 * ipc_sig_ignore() - Ignore a signal, process-wide (SIG_IGN).
 * @signo: any valid signal but SIGKILL and SIGSTOP.
 *
 * Discards instances of @signo already pending, even in an open set.
 * Ignoring SIGCHLD also makes children reap themselves (no wait status).
 * Ignored signals stay ignored across exec.
 * Return: 0, or -EINVAL.
 */
IPC_API ipc_status ipc_sig_ignore(int signo);

/**
 * ipc_sig_default() - Restore the default action of a signal (SIG_DFL).
 * @signo: any valid signal but SIGKILL and SIGSTOP.
 *
 * Process-wide; replaces whatever handler was installed.
 * Return: 0, or -EINVAL.
 */
IPC_API ipc_status ipc_sig_default(int signo);

/**
 * ipc_sig_block() - Block a signal in the calling thread.
 * @signo: any valid signal but SIGKILL and SIGSTOP.
 *
 * A blocked signal stays pending until it is unblocked or read from a set.
 * Return: 0, or -EINVAL.
 */
IPC_API ipc_status ipc_sig_block(int signo);

/**
 * ipc_sig_unblock() - Unblock a signal in the calling thread.
 * @signo: any valid signal but SIGKILL and SIGSTOP.
 *
 * A pending instance is delivered at once, under its disposition.
 * Return: 0, or -EINVAL.
 */
IPC_API ipc_status ipc_sig_unblock(int signo);

/**
 * ipc_sig_reset_child() - Give a child about to exec a clean signal state.
 *
 * Sets the disposition of signals 1-31 (but SIGKILL and SIGSTOP) and of
 * the real-time signals to the default, then unblocks every signal in the
 * calling thread, as libuv does before exec. Call it in a child between
 * fork(2) and exec: it is async-signal-safe (sigaction and sigprocmask
 * only; no locks, no memory allocation). Calling it anywhere else removes
 * every handler of the process.
 * Return: 0, or the negated errno of a failing sigprocmask (none expected).
 */
IPC_API ipc_status ipc_sig_reset_child(void);

/**
 * ipc_sigset_open() - Receive some signals as data.
 * @out:    out: the set; NULL on failure.
 * @signos: the signals, any valid ones but SIGKILL and SIGSTOP;
 *          duplicates are allowed.
 * @n:      how many, at least 1.
 * @flags:  0.
 *
 * Blocks the signals in the calling thread (only: see the preamble on
 * threads) and opens a signalfd for them, non-blocking and close-on-exec.
 * Several sets may hold the same signal; each instance goes to the set that
 * reads it first.
 * Return: 0, or -EINVAL (NULL @out or @signos, @n 0, a bad signal, an
 * unknown flag), -EMFILE, -ENFILE, -ENOMEM. On failure the mask is as it
 * was.
 * Ownership: the caller owns *@out and releases it with ipc_sigset_close().
 * Blocking: no.
 */
IPC_API ipc_status ipc_sigset_open(ipc_sigset **out, const int *signos,
                                   size_t n, unsigned int flags);

/**
 * ipc_sigset_wait() - Wait for one signal of the set.
 * @set:  the set.
 * @info: out: the signal, who sent it, the payload; zeroed on failure.
 * @d:    deadline.
 *
 * Takes signals sent to the process and those sent to the calling thread.
 * Of several pending signals the lowest number comes first; instances of
 * one real-time signal come in the order they were sent.
 * Return: 0, or -EAGAIN (@d was IPC_DEADLINE_NOW and none was pending),
 * -ETIMEDOUT, -EINTR (a handler of a signal outside the set ran; call
 * again with the same deadline), -EBADF (@set is NULL), -EINVAL (@info is
 * NULL).
 * Blocking: until a signal of the set is pending or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_sigset_wait(ipc_sigset *set, struct ipc_sig_info *info,
                                   ipc_deadline d);

/**
 * ipc_sigset_fd() - The signalfd, for poll(2): readable when a signal of
 *                   the set is pending for the polling thread.
 * @set: the set.
 *
 * Read it with ipc_sigset_wait(IPC_DEADLINE_NOW), not read(2).
 * Return: a borrowed descriptor (owned by @set), or -1 when @set is NULL.
 */
IPC_API int ipc_sigset_fd(const ipc_sigset *set);

/**
 * ipc_sigset_close() - Close the set and restore the mask.
 * @set: the set, or NULL (a no-op).
 *
 * Unblocks, in the calling thread, the signals of the set that were not
 * blocked there before ipc_sigset_open(): close in the thread that opened,
 * and close overlapping sets in the reverse order of opening. Instances
 * still pending are then delivered under their disposition (a pending
 * TERM at its default ends the process): drain the set with
 * IPC_DEADLINE_NOW first if that matters.
 * The handle is freed even when an error is returned; never call it twice.
 * Return: 0, or the error close(2) reported (never -EINTR).
 */
IPC_API ipc_status ipc_sigset_close(ipc_sigset *set);

#ifdef __cplusplus
}
#endif

#endif /* IPC_SIGNAL_H */
