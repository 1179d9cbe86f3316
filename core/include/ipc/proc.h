/* SPDX-License-Identifier: MIT */
/*
 * ipc/proc.h - processes: spawn with any descriptor wiring, wait, kill.
 *
 * A child is started with posix_spawn(3) (a vfork-style clone, never a
 * copy of a large parent), with the descriptors the caller wires to any
 * numbers in the child, its argv, environment, working directory, the
 * endpoints it should open (IPC_ENDPOINTS) and, when asked, a process
 * group of its own. Nothing else is inherited: every descriptor not wired
 * is closed in the child, and its signal mask and dispositions are reset.
 *
 * The handle holds a pidfd taken at spawn, before anything could reap the
 * child, and every signal goes through it: a recycled pid is never
 * signalled. Do not reap our children behind our back (waitpid(-1, ...),
 * SIGCHLD set to SIG_IGN): the exit status would be lost, reported as
 * -ECHILD.
 *
 * The pidfd is pollable: it becomes readable when the child exits
 * (ipc_proc_fd(), ipc/loop.h).
 *
 * A close-on-exec temporary copy of every wired parent descriptor is made
 * (above the highest child number) for the length of the spawn call. For
 * the pipes of stdin=PIPE / stdout=PIPE, make them with ipc_pipe_open()
 * (close-on-exec) and wire the child's end; close it in the parent after
 * the spawn so that end of stream works.
 */
#ifndef IPC_PROC_H
#define IPC_PROC_H

#include "ipc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_proc ipc_proc;

/* One descriptor of the child: @parent_fd becomes @child_fd there. */
struct ipc_proc_fd {
	int child_fd;  /* 0 .. 1023 */
	int parent_fd; /* ours (borrowed), or -1 for /dev/null */
};

/* ipc_proc_opts.flags */
#define IPC_PROC_NEW_PGROUP  0x01u /* the child leads a new process group */
#define IPC_PROC_SEARCH_PATH 0x02u /* look argv[0] up in PATH (execvp) */
#define IPC_PROC_KEEP_STDIO  0x04u /* 0, 1, 2 not wired are inherited */
/* SIGKILL the child when the calling *thread* exits (PR_SET_PDEATHSIG: spawn
 * from a thread that lives as long as the process). Spawned through clone()
 * instead of posix_spawn, since prctl() must run in the child. */
#define IPC_PROC_PDEATHSIG 0x08u

struct ipc_proc_opts {
	/* argv[0] is the program (a relative path is relative to @cwd);
	 * NULL-terminated */
	const char *const *argv;
	const char *const *envp;       /* NULL: our environment (environ) */
	const char *cwd;               /* NULL: ours */
	const struct ipc_proc_fd *fds; /* the wiring, any order */
	size_t nfds;
	/* IPC_ENDPOINTS for the child ("name=URL;..."), added to its
	 * environment; NULL to leave the variable as it is. */
	const char *endpoints;
	unsigned int flags; /* IPC_PROC_* */
};

/* How a child ended. */
struct ipc_proc_status {
	bool exited; /* exited on its own: see code */
	int code;    /* exit code, 0-255 */
	int signo;   /* the signal that killed it, when !exited */
	bool core;   /* it dumped core */
};

/**
 * ipc_proc_spawn() - Start a child.
 * @out:  out: the handle; NULL on failure.
 * @opts: what to run and how.
 *
 * Without IPC_PROC_KEEP_STDIO, 0, 1 and 2 that are not wired are
 * /dev/null. A wiring may map one parent descriptor to several child
 * numbers, and may name child numbers that are our own descriptors too
 * (swaps and cycles are fine). Every other descriptor is closed in the
 * child, the signal mask is empty and every disposition is the default
 * (but glibc's internal signals 32 and 33, left ignored by posix_spawn).
 * IPC_PROC_SEARCH_PATH looks argv[0] up in *our* PATH, as posix_spawnp
 * does, never running /bin/sh on ENOEXEC.
 * Return: 0, or -ENOENT / -EACCES / -ENOEXEC / -ENOTDIR / -E2BIG (the
 * program could not be executed, or @cwd could not be entered),
 * -EINVAL (NULL @out, no argv, a child_fd out of range or twice, bad
 * flags), -EBADF (a parent_fd that is not open), -EMFILE (no room for the
 * temporary copies above the highest child number), -ECHILD (the child
 * was reaped elsewhere before we took its pidfd: SIGCHLD ignored),
 * -EAGAIN, -ENOMEM.
 * ipc_detail() names the program (and @cwd) on failure. Under valgrind,
 * glibc's posix_spawn cannot report exec failures (the child exits 127).
 * Ownership: the caller owns *@out; the wired descriptors stay the
 * caller's.
 */
IPC_API ipc_status ipc_proc_spawn(ipc_proc **out,
                                  const struct ipc_proc_opts *opts);

/**
 * ipc_proc_wait() - Wait for the child to end and reap it.
 * @p:  the handle.
 * @st: out: how it ended (also after an earlier successful wait).
 * @d:  deadline.
 *
 * Only an exit or a killing signal ends the wait (not a stop). The
 * status is kept: later waits return it at once.
 * Return: 0, or -EAGAIN / -ETIMEDOUT (still running), -EINTR, -ECHILD
 * (someone else reaped it), -EBADF.
 * Blocking: until the child ends or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_proc_wait(ipc_proc *p, struct ipc_proc_status *st,
                                 ipc_deadline d);

/**
 * ipc_proc_returncode() - The Python-style return code of an ended child.
 * @st: a status from ipc_proc_wait().
 *
 * Return: the exit code, or minus the signal number.
 */
IPC_API int ipc_proc_returncode(const struct ipc_proc_status *st);

/**
 * ipc_proc_kill() - Send a signal to the child, through its pidfd.
 * @p:     the handle.
 * @signo: the signal (0 checks it is still there).
 *
 * Return: 0, or -ESRCH (the child has ended, reaped or not), -EINVAL
 * (a bad signal number), -EBADF.
 */
IPC_API ipc_status ipc_proc_kill(ipc_proc *p, int signo);

/**
 * ipc_proc_kill_group() - Signal the child's process group.
 * @p:     a child spawned with IPC_PROC_NEW_PGROUP.
 * @signo: the signal.
 *
 * Only while the child is unreaped, so that the group id cannot have been
 * recycled.
 * Return: 0, or -ESRCH (reaped already, or the group is empty), -EINVAL
 * (not a group leader), -EBADF.
 */
IPC_API ipc_status ipc_proc_kill_group(ipc_proc *p, int signo);

/**
 * ipc_proc_pid() - The child's process id (for display; signal through
 * the handle).
 * @p: the handle.
 *
 * Return: the pid, or -1 when @p is NULL.
 */
IPC_API int32_t ipc_proc_pid(const ipc_proc *p);

/**
 * ipc_proc_fd() - The pidfd: readable once the child has ended.
 * @p: the handle.
 *
 * Without pidfds (Linux before 5.3, or under valgrind 3.19, which does not
 * know pidfd_open) the handle holds the pid alone: waits poll with a
 * backoff, kill() signals the pid, which stays ours until we reap it, but
 * a child reaped behind our back can then no longer be told apart from a
 * new process of ours that got its pid.
 * Return: a borrowed descriptor, or -1 (NULL @p, or no pidfd).
 */
IPC_API int ipc_proc_fd(const ipc_proc *p);

/**
 * ipc_proc_close() - Free the handle.
 * @p: the handle, or NULL.
 *
 * A child still running keeps running and is not waited for; wait first
 * to reap it.
 * Return: 0, or the error close(2) reported.
 */
IPC_API ipc_status ipc_proc_close(ipc_proc *p);

#ifdef __cplusplus
}
#endif

#endif /* IPC_PROC_H */
