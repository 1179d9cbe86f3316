/* SPDX-License-Identifier: MIT */
/*
 * proc.c - child processes: spawn with any descriptor wiring, wait and kill
 * through pidfds.
 *
 * Spawning never copies the parent: posix_spawn(3) in glibc is a
 * clone(CLONE_VM | CLONE_VFORK) running the file actions on a small stack
 * of its own, and the IPC_PROC_PDEATHSIG path, which must call prctl(2) in
 * the child and so cannot use posix_spawn, does the same clone itself.
 *
 * Both paths execute one plan built in the parent: every parent descriptor
 * the caller wires is first duplicated to a close-on-exec temporary above
 * the highest child number, so that the child's dup2() calls can never
 * overwrite a source another wiring still needs (swaps and cycles), and
 * then, for each child number 0..top, the child either dup2()s a temporary
 * there, opens /dev/null there, keeps it (stdio with IPC_PROC_KEEP_STDIO)
 * or closes it. Everything above top (the temporaries too) is closed.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "ipc/proc.h"

extern char **environ;

#define PROC_MAX_FD 1023
#define PROC_FLAGS                                                             \
	(IPC_PROC_NEW_PGROUP | IPC_PROC_SEARCH_PATH | IPC_PROC_KEEP_STDIO |    \
	 IPC_PROC_PDEATHSIG)
#define PROC_ENV_NAME "IPC_ENDPOINTS"
/* The stack of the IPC_PROC_PDEATHSIG child: it only makes system calls
 * and builds PATH candidates in a PATH_MAX buffer. Generous for ASan. */
#define PROC_STACK_SIZE (256u * 1024u)

#if defined(__clang__) || defined(__GNUC__)
#define PROC_NO_ASAN __attribute__((no_sanitize_address))
#else
#define PROC_NO_ASAN
#endif

struct ipc_proc {
	pid_t pid;
	int pidfd;
	unsigned int flags;
	bool reaped;
	struct ipc_proc_status status;
};

/* What the child does with its descriptor n, 0 <= n <= top. */
enum step_kind {
	STEP_UNSET = 0,
	STEP_CLOSE, /* not wired: closed */
	STEP_KEEP,  /* stdio with IPC_PROC_KEEP_STDIO: inherited */
	STEP_DUP,   /* dup2(src, n) */
	STEP_NULL,  /* /dev/null */
};

struct step {
	enum step_kind kind;
	int src; /* STEP_DUP: the parent's temporary */
};

struct plan {
	int top;            /* highest child number handled one by one */
	struct step *steps; /* [top + 1] */
	int *tmps;          /* close-on-exec temporaries, all above top */
	int *tmp_of;        /* the parent descriptor each one copies */
	size_t ntmps;
	char **envp;      /* the child's environment */
	char **env_array; /* allocated when the environment was rebuilt */
	char *env_var;    /* "IPC_ENDPOINTS=..." */
};

static void plan_free(struct plan *pl)
{
	size_t i;

	for (i = 0; i < pl->ntmps; i++)
		ipc__close_quiet(pl->tmps[i]);
	free(pl->steps);
	free(pl->tmps);
	free(pl->tmp_of);
	free(pl->env_array);
	free(pl->env_var);
	memset(pl, 0, sizeof(*pl));
}

/* A close-on-exec copy of @fd above pl->top, shared by wirings of @fd. */
static ipc_status plan_temporary(struct plan *pl, int fd, int *tmp)
{
	size_t i;
	int t;
	int err;

	for (i = 0; i < pl->ntmps; i++) {
		if (pl->tmp_of[i] == fd) {
			*tmp = pl->tmps[i];
			return 0;
		}
	}
	t = fcntl(fd, F_DUPFD_CLOEXEC, pl->top + 1);
	if (t < 0) {
		err = errno;
		if (err == EBADF)
			return ipc__detail(
			        -EBADF, "parent descriptor %d is not open", fd);
		/* EINVAL: RLIMIT_NOFILE is at or below top + 1. */
		if (err == EINVAL)
			err = EMFILE;
		return ipc__detail(-err,
		                   "no descriptor free above %d for wiring "
		                   "descriptor %d",
		                   pl->top, fd);
	}
	pl->tmps[pl->ntmps] = t;
	pl->tmp_of[pl->ntmps] = fd;
	pl->ntmps++;
	*tmp = t;
	return 0;
}

static ipc_status plan_fds(struct plan *pl, const struct ipc_proc_opts *o)
{
	ipc_status st;
	size_t i;
	int n;
	int c;

	pl->top = 2;
	for (i = 0; i < o->nfds; i++) {
		c = o->fds[i].child_fd;
		if (c < 0 || c > PROC_MAX_FD)
			return ipc__detail(-EINVAL,
			                   "child descriptor %d out of 0..%d",
			                   c, PROC_MAX_FD);
		if (o->fds[i].parent_fd < -1)
			return ipc__detail(-EBADF,
			                   "parent descriptor %d for child "
			                   "descriptor %d",
			                   o->fds[i].parent_fd, c);
		if (c > pl->top)
			pl->top = c;
	}
	pl->steps = calloc((size_t)pl->top + 1, sizeof(*pl->steps));
	pl->tmps = calloc(o->nfds + 1, sizeof(*pl->tmps));
	pl->tmp_of = calloc(o->nfds + 1, sizeof(*pl->tmp_of));
	if (pl->steps == NULL || pl->tmps == NULL || pl->tmp_of == NULL)
		return -ENOMEM;
	for (i = 0; i < o->nfds; i++) {
		c = o->fds[i].child_fd;
		if (pl->steps[c].kind != STEP_UNSET)
			return ipc__detail(
			        -EINVAL, "child descriptor %d wired twice", c);
		if (o->fds[i].parent_fd == -1) {
			pl->steps[c].kind = STEP_NULL;
			continue;
		}
		st = plan_temporary(pl, o->fds[i].parent_fd, &pl->steps[c].src);
		if (st)
			return st;
		pl->steps[c].kind = STEP_DUP;
	}
	for (n = 0; n <= pl->top; n++) {
		if (pl->steps[n].kind != STEP_UNSET)
			continue;
		if (n > 2)
			pl->steps[n].kind = STEP_CLOSE;
		else if (o->flags & IPC_PROC_KEEP_STDIO)
			pl->steps[n].kind = STEP_KEEP;
		else
			pl->steps[n].kind = STEP_NULL;
	}
	return 0;
}

/*
 * The child's environment: @o->envp or ours, with IPC_ENDPOINTS replaced
 * or added when @o->endpoints is set. Our own environ is never modified.
 */
static ipc_status plan_env(struct plan *pl, const struct ipc_proc_opts *o)
{
	char *const *src = o->envp != NULL ? (char *const *)o->envp : environ;
	const size_t plen = sizeof(PROC_ENV_NAME); /* with the '=' */
	size_t n = 0;
	size_t k = 0;
	size_t len;

	if (o->endpoints == NULL) {
		pl->envp = (char **)src;
		return 0;
	}
	len = strlen(o->endpoints);
	pl->env_var = malloc(plen + len + 1);
	if (pl->env_var == NULL)
		return -ENOMEM;
	memcpy(pl->env_var, PROC_ENV_NAME "=", plen);
	memcpy(pl->env_var + plen, o->endpoints, len + 1);
	while (src != NULL && src[n] != NULL)
		n++;
	pl->env_array = calloc(n + 2, sizeof(*pl->env_array));
	if (pl->env_array == NULL)
		return -ENOMEM;
	for (n = 0; src != NULL && src[n] != NULL; n++) {
		if (strncmp(src[n], PROC_ENV_NAME "=", plen) != 0)
			pl->env_array[k++] = src[n];
	}
	pl->env_array[k++] = pl->env_var;
	pl->env_array[k] = NULL;
	pl->envp = pl->env_array;
	return 0;
}

/* ---- the posix_spawn path ---------------------------------------------- */

static int spawn_posix(const struct plan *pl, const struct ipc_proc_opts *o,
                       pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	sigset_t all;
	short aflags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	int rc;
	int n;

	rc = posix_spawn_file_actions_init(&fa);
	if (rc)
		return rc;
	rc = posix_spawnattr_init(&at);
	if (rc) {
		(void)posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	for (n = 0; n <= pl->top && rc == 0; n++) {
		switch (pl->steps[n].kind) {
		case STEP_DUP:
			rc = posix_spawn_file_actions_adddup2(
			        &fa, pl->steps[n].src, n);
			break;
		case STEP_NULL:
			rc = posix_spawn_file_actions_addopen(
			        &fa, n, "/dev/null", O_RDWR, 0);
			break;
		case STEP_CLOSE:
			/* glibc ignores EBADF from a close action. */
			rc = posix_spawn_file_actions_addclose(&fa, n);
			break;
		default:
			break;
		}
	}
	if (rc == 0)
		rc = posix_spawn_file_actions_addclosefrom_np(&fa, pl->top + 1);
	if (rc == 0 && o->cwd != NULL)
		rc = posix_spawn_file_actions_addchdir_np(&fa, o->cwd);

	/* Handlers become SIG_DFL in any case (the child shares our memory
	 * until exec); SETSIGDEF resets ignored signals too, as
	 * ipc_sig_reset_child() does. glibc's sigfillset() leaves out its
	 * internal signals. */
	sigemptyset(&none);
	sigfillset(&all);
	if (o->flags & IPC_PROC_NEW_PGROUP)
		aflags |= POSIX_SPAWN_SETPGROUP;
	if (rc == 0)
		rc = posix_spawnattr_setsigmask(&at, &none);
	if (rc == 0)
		rc = posix_spawnattr_setsigdefault(&at, &all);
	if (rc == 0)
		rc = posix_spawnattr_setpgroup(&at, 0);
	if (rc == 0)
		rc = posix_spawnattr_setflags(&at, aflags);
	if (rc == 0) {
		if (o->flags & IPC_PROC_SEARCH_PATH)
			rc = posix_spawnp(pid, o->argv[0], &fa, &at,
			                  (char *const *)o->argv, pl->envp);
		else
			rc = posix_spawn(pid, o->argv[0], &fa, &at,
			                 (char *const *)o->argv, pl->envp);
	}
	(void)posix_spawnattr_destroy(&at);
	(void)posix_spawn_file_actions_destroy(&fa);
	return rc;
}

/* ---- the IPC_PROC_PDEATHSIG path: clone(CLONE_VM | CLONE_VFORK) -------- */

struct child_ctx {
	const struct plan *pl;
	const struct ipc_proc_opts *o;
	const char *path; /* PATH for IPC_PROC_SEARCH_PATH */
	pid_t ppid;
	int errfd; /* close-on-exec, above top: the exec error goes here */
};

/* execvpe(3) without its /bin/sh fallback, as posix_spawnp() does. */
PROC_NO_ASAN static void child_exec(const struct child_ctx *c)
{
	const char *prog = c->o->argv[0];
	char *const *argv = (char *const *)c->o->argv;
	char buf[PATH_MAX];
	const char *p = c->path;
	const char *e;
	bool eacces = false;
	size_t alen = strlen(prog);
	size_t dlen;

	if (!(c->o->flags & IPC_PROC_SEARCH_PATH) || prog[0] == '\0' ||
	    strchr(prog, '/') != NULL) {
		(void)execve(prog, argv, c->pl->envp);
		return;
	}
	for (;;) {
		e = strchrnul(p, ':');
		dlen = (size_t)(e - p);
		if (dlen + alen + 2 <= sizeof(buf)) {
			if (dlen == 0) {
				memcpy(buf, prog, alen + 1); /* "" is "." */
			} else {
				memcpy(buf, p, dlen);
				buf[dlen] = '/';
				memcpy(buf + dlen + 1, prog, alen + 1);
			}
			(void)execve(buf, argv, c->pl->envp);
			switch (errno) {
			case EACCES:
				eacces = true;
				break;
			case ENOENT:
			case ENOTDIR:
			case ESTALE:
			case ENODEV:
			case ETIMEDOUT:
				break;
			default:
				return;
			}
		}
		if (*e == '\0')
			break;
		p = e + 1;
	}
	errno = eacces ? EACCES : ENOENT;
}

/*
 * The child. It shares our memory and runs on its own stack while our
 * thread is suspended (CLONE_VFORK): system calls only, no allocation, no
 * locks. Every signal is blocked on entry (the parent blocked them), so no
 * handler of ours runs here before the dispositions are reset.
 */
PROC_NO_ASAN static int child_main(void *arg)
{
	const struct child_ctx *c = arg;
	const struct plan *pl = c->pl;
	struct sigaction sa;
	sigset_t none;
	int err;
	int fd;
	int s;
	int n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (s = 1; s < NSIG; s++)
		(void)sigaction(s, &sa,
		                NULL); /* EINVAL for KILL, STOP, 32, 33 */
	if ((c->o->flags & IPC_PROC_NEW_PGROUP) && setpgid(0, 0) < 0)
		goto fail;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		goto fail;
	if (getppid() != c->ppid)
		_exit(127); /* the parent died before the prctl */
	for (n = 0; n <= pl->top; n++) {
		switch (pl->steps[n].kind) {
		case STEP_DUP:
			if (dup2(pl->steps[n].src, n) < 0)
				goto fail;
			break;
		case STEP_NULL:
			fd = open("/dev/null", O_RDWR);
			if (fd < 0)
				goto fail;
			if (fd != n) {
				if (dup2(fd, n) < 0)
					goto fail;
				(void)close(fd);
			}
			break;
		case STEP_CLOSE:
			(void)close(n);
			break;
		default:
			break;
		}
	}
	/* Close-on-exec rather than closed: the error pipe must live until
	 * the exec. */
	if (close_range((unsigned int)pl->top + 1, ~0u, CLOSE_RANGE_CLOEXEC) <
	    0)
		goto fail;
	if (c->o->cwd != NULL && chdir(c->o->cwd) < 0)
		goto fail;
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		goto fail;
	child_exec(c);
fail:
	err = errno;
	(void)!write(c->errfd, &err, sizeof(err));
	_exit(127);
}

static int spawn_clone(const struct plan *pl, const struct ipc_proc_opts *o,
                       pid_t *pid)
{
	struct child_ctx ctx;
	sigset_t all;
	sigset_t old;
	void *stack;
	ssize_t got;
	int pfd[2];
	int cerr = 0;
	int err = 0;
	int wfd;

	memset(&ctx, 0, sizeof(ctx));
	ctx.pl = pl;
	ctx.o = o;
	ctx.ppid = getpid();
	ctx.path = getenv("PATH");
	if (ctx.path == NULL)
		ctx.path = "/bin:/usr/bin"; /* glibc's default */

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return errno;
	/* Above top, where no step of the child touches it. */
	wfd = fcntl(pfd[1], F_DUPFD_CLOEXEC, pl->top + 1);
	if (wfd < 0) {
		err = errno == EINVAL ? EMFILE : errno;
		goto out_pipe;
	}
	ipc__close_quiet(pfd[1]);
	pfd[1] = wfd;
	ctx.errfd = wfd;

	stack = mmap(NULL, PROC_STACK_SIZE, PROT_READ | PROT_WRITE,
	             MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		err = errno;
		goto out_pipe;
	}
	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	*pid = clone(child_main, (char *)stack + PROC_STACK_SIZE,
	             CLONE_VM | CLONE_VFORK | SIGCHLD, &ctx);
	if (*pid < 0)
		err = errno;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	(void)munmap(stack, PROC_STACK_SIZE);
	if (err)
		goto out_pipe;

	/* EOF: the exec succeeded. (Valgrind runs a CLONE_VFORK as a fork:
	 * then this read is what waits for the child.) */
	ipc__close_quiet(pfd[1]);
	pfd[1] = -1;
	do {
		got = read(pfd[0], &cerr, sizeof(cerr));
	} while (got < 0 && errno == EINTR);
	if (got == (ssize_t)sizeof(cerr)) {
		err = cerr > 0 ? cerr : EIO;
		while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
out_pipe:
	ipc__close_quiet(pfd[0]);
	ipc__close_quiet(pfd[1]);
	return err;
}

/* ---- the handle -------------------------------------------------------- */

ipc_status ipc_proc_spawn(ipc_proc **out, const struct ipc_proc_opts *opts)
{
	struct plan pl;
	siginfo_t si;
	ipc_proc *p = NULL;
	ipc_status st;
	pid_t pid = -1;
	int pidfd = -1;
	int rc;

	ipc__detail_clear();
	memset(&pl, 0, sizeof(pl));
	if (out == NULL)
		return ipc__detail(-EINVAL, "spawn: out is NULL");
	*out = NULL;
	if (opts == NULL || opts->argv == NULL || opts->argv[0] == NULL)
		return ipc__detail(-EINVAL, "spawn: no argv");
	if (opts->flags & ~PROC_FLAGS)
		return ipc__detail(-EINVAL, "spawn %s: unknown flags 0x%x",
		                   opts->argv[0], opts->flags & ~PROC_FLAGS);
	if (opts->nfds > 0 && opts->fds == NULL)
		return ipc__detail(-EINVAL, "spawn %s: fds is NULL",
		                   opts->argv[0]);
	if (opts->nfds > PROC_MAX_FD + 1)
		return ipc__detail(-EINVAL, "spawn %s: %zu descriptors",
		                   opts->argv[0], opts->nfds);

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		st = -ENOMEM;
		goto fail;
	}
	st = plan_fds(&pl, opts);
	if (!st)
		st = plan_env(&pl, opts);
	if (st)
		goto fail;

	if (opts->flags & IPC_PROC_PDEATHSIG)
		rc = spawn_clone(&pl, opts, &pid);
	else
		rc = spawn_posix(&pl, opts, &pid);
	if (rc) {
		st = -rc;
		if (opts->cwd != NULL)
			(void)ipc__detail(st, "cannot execute \"%s\" in %s: %s",
			                  opts->argv[0], opts->cwd,
			                  ipc_strerror(st));
		else
			(void)ipc__detail(st, "cannot execute \"%s\": %s",
			                  opts->argv[0], ipc_strerror(st));
		goto fail;
	}
	plan_free(&pl);

	/* Our child cannot be reaped but by us: its pid is still its own
	 * (unless another part of the program reaps children behind our
	 * back, which the check below catches). */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 && errno == ENOSYS) {
		/* Linux before 5.3, or valgrind 3.19: the pid alone, safe for
		 * as long as nobody but us reaps our children. */
		goto done;
	}
	if (pidfd < 0) {
		st = -errno;
		/* ESRCH: reaped behind our back, the pid may be another
		 * process's already: leave it alone. */
		if (st != -ESRCH) {
			(void)kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		(void)ipc__detail(st, "pidfd_open for \"%s\": %s",
		                  opts->argv[0], ipc_strerror(st));
		goto fail;
	}
	/* waitid(P_PIDFD) only knows our own children: ECHILD means the pid
	 * was reaped elsewhere and maybe reused already. */
	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG | WNOWAIT) <
	            0 &&
	    errno == ECHILD) {
		st = ipc__detail(-ECHILD,
		                 "child \"%s\" was reaped behind our back "
		                 "(SIGCHLD ignored?)",
		                 opts->argv[0]);
		goto fail;
	}
done:
	p->pid = pid;
	p->pidfd = pidfd;
	p->flags = opts->flags;
	*out = p;
	return 0;

fail:
	ipc__close_quiet(pidfd);
	plan_free(&pl);
	free(p);
	return st;
}

/* waitid() on our child, through the pidfd when there is one. */
static int proc_waitid(const ipc_proc *p, siginfo_t *si, int options)
{
	if (p->pidfd >= 0)
		return waitid(P_PIDFD, (id_t)p->pidfd, si, options);
	return waitid(P_PID, (id_t)p->pid, si, options);
}

static void status_from(struct ipc_proc_status *s, const siginfo_t *si)
{
	memset(s, 0, sizeof(*s));
	switch (si->si_code) {
	case CLD_EXITED:
		s->exited = true;
		s->code = si->si_status & 0xff;
		break;
	case CLD_DUMPED:
		s->core = true;
		s->signo = si->si_status;
		break;
	default: /* CLD_KILLED */
		s->signo = si->si_status;
		break;
	}
}

ipc_status ipc_proc_wait(ipc_proc *p, struct ipc_proc_status *st,
                         ipc_deadline d)
{
	struct ipc__backoff b = IPC__BACKOFF_MS(1, 50);
	siginfo_t si;
	ipc_status r;

	if (st != NULL)
		memset(st, 0, sizeof(*st));
	if (p == NULL)
		return -EBADF;
	for (;;) {
		if (p->reaped) {
			if (st != NULL)
				*st = p->status;
			return 0;
		}
		memset(&si, 0, sizeof(si));
		if (proc_waitid(p, &si, WEXITED | WNOHANG) < 0) {
			if (errno == EINTR)
				continue; /* WNOHANG: a step, not a wait */
			return -errno;
		}
		if (si.si_pid != 0) {
			status_from(&p->status, &si);
			p->reaped = true;
			continue;
		}
		if (p->pidfd >= 0)
			r = ipc__wait_fd(p->pidfd, POLLIN, d, NULL);
		else
			r = ipc__backoff_sleep(&b, d);
		if (r)
			return r;
	}
}

int ipc_proc_returncode(const struct ipc_proc_status *st)
{
	if (st == NULL)
		return 0;
	return st->exited ? st->code : -st->signo;
}

/*
 * Whether the child has ended: its pidfd polls readable. Without a pidfd,
 * it is a zombie of ours or no child of ours any more (reaped elsewhere).
 */
static bool proc_ended(const ipc_proc *p)
{
	struct pollfd pfd = {.fd = p->pidfd, .events = POLLIN};
	siginfo_t si;

	if (p->reaped)
		return true;
	if (p->pidfd >= 0)
		return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
	memset(&si, 0, sizeof(si));
	if (proc_waitid(p, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return true;
	return si.si_pid != 0;
}

ipc_status ipc_proc_kill(ipc_proc *p, int signo)
{
	if (p == NULL)
		return -EBADF;
	if (signo < 0 || signo >= NSIG)
		return -EINVAL;
	/* A zombie would take the signal and drop it: report it as gone. */
	if (proc_ended(p))
		return -ESRCH;
	if (p->pidfd < 0) {
		/* No pidfd: our unreaped child still holds its pid. */
		if (kill(p->pid, signo) < 0)
			return -errno;
		return 0;
	}
	if (syscall(SYS_pidfd_send_signal, p->pidfd, signo, NULL, 0) < 0)
		return -errno;
	return 0;
}

ipc_status ipc_proc_kill_group(ipc_proc *p, int signo)
{
	siginfo_t si;

	if (p == NULL)
		return -EBADF;
	if (!(p->flags & IPC_PROC_NEW_PGROUP) || signo < 0 || signo >= NSIG)
		return -EINVAL;
	if (p->reaped)
		return -ESRCH;
	/* The group id is the child's pid, held while the child is
	 * unreaped: make sure nobody reaped it behind our back. */
	memset(&si, 0, sizeof(si));
	if (proc_waitid(p, &si, WEXITED | WNOHANG | WNOWAIT) < 0 &&
	    errno == ECHILD)
		return -ESRCH;
	if (kill(-p->pid, signo) < 0)
		return -errno;
	return 0;
}

int32_t ipc_proc_pid(const ipc_proc *p)
{
	return p != NULL ? (int32_t)p->pid : -1;
}

int ipc_proc_fd(const ipc_proc *p)
{
	return p != NULL ? p->pidfd : -1;
}

ipc_status ipc_proc_close(ipc_proc *p)
{
	ipc_status st;

	if (p == NULL)
		return 0;
	st = p->pidfd >= 0 ? ipc__close(p->pidfd) : 0;
	free(p);
	return st;
}
