/* SPDX-License-Identifier: MIT */
/* sem.c - POSIX semaphores, named and unnamed. */
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "ipc/sem.h"

/* Where glibc keeps named semaphores: SHMDIR "sem." name-without-slash. */
#define SEM_FILE_PREFIX  "/dev/shm/sem."
#define SEM_PREFIX_LEN   4 /* "sem." */
#define SEM_OPEN_FLAGS   (IPC_O_CREATE | IPC_O_EXCL | IPC_O_SHARED)
#define SEM_CREATE_TRIES 16

_Static_assert(IPC_SEM_SIZE >= sizeof(sem_t), "IPC_SEM_SIZE < sizeof(sem_t)");
_Static_assert(IPC_SEM_ALIGN % _Alignof(sem_t) == 0,
               "IPC_SEM_ALIGN is not a multiple of _Alignof(sem_t)");
_Static_assert(IPC_SEM_VALUE_MAX == SEM_VALUE_MAX,
               "IPC_SEM_VALUE_MAX != SEM_VALUE_MAX");

struct ipc_sem {
	sem_t *sem;
	bool named;
	char name[]; /* "" when unnamed */
};

static ipc_status check_name(const char *name)
{
	ipc_status st = ipc__check_posix_name(name);

	if (st)
		return st;
	if (strlen(name + 1) + SEM_PREFIX_LEN > NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static void sem_file(const char *name, char *buf, size_t cap)
{
	snprintf(buf, cap, SEM_FILE_PREFIX "%s", name + 1);
}

static ipc_status sem_new(sem_t *sem, const char *name, ipc_sem **out)
{
	size_t len = name != NULL ? strlen(name) + 1 : 1;
	ipc_sem *s;

	s = malloc(sizeof(*s) + len);
	if (s == NULL)
		return -ENOMEM;
	s->sem = sem;
	s->named = name != NULL;
	memcpy(s->name, name != NULL ? name : "", len);
	*out = s;
	return 0;
}

/*
 * sem_open() of an existing semaphore maps the file without looking at
 * it: a file too small for a sem_t would give SIGBUS on the first wait.
 * Check what can be checked first. The file can only be swapped in
 * between by its owner or root (/dev/shm is sticky), and sem_open()
 * itself refuses a symbolic link.
 */
static ipc_status open_existing(const char *name, unsigned int flags,
                                sem_t **out)
{
	char path[sizeof(SEM_FILE_PREFIX) + NAME_MAX];
	struct stat sb;
	sem_t *sem;

	sem_file(name, path, sizeof(path));
	if (lstat(path, &sb) < 0)
		return -errno;
	if (S_ISLNK(sb.st_mode))
		return -ELOOP;
	if (!S_ISREG(sb.st_mode) || sb.st_size < (off_t)sizeof(sem_t))
		return -EINVAL;
	if (sb.st_uid != geteuid() && !(flags & IPC_O_SHARED))
		return -EPERM;
	sem = sem_open(name, 0);
	if (sem == SEM_FAILED)
		return -errno;
	*out = sem;
	return 0;
}

/*
 * Create the semaphore exclusively, then give it exactly @mode. sem_open()
 * filters the mode through the umask and hands out no descriptor, so the
 * file glibc made (/dev/shm/sem.name) is opened with O_PATH|O_NOFOLLOW,
 * checked to be a regular file of ours, and chmod'ed through that
 * descriptor (never by path, which could be a symbolic link by then). It is
 * created 0600 so that nobody else can open it before the mode is set.
 * Only our own uid or root could replace the file between sem_open() and
 * the O_PATH open (/dev/shm is sticky); we would then chmod a file of ours.
 */
static ipc_status create_excl(const char *name, unsigned int value,
                              unsigned int mode, sem_t **out)
{
	char path[sizeof(SEM_FILE_PREFIX) + NAME_MAX];
	struct stat sb;
	ipc_status st;
	sem_t *sem;
	int fd;

	sem = sem_open(name, O_CREAT | O_EXCL, (mode_t)IPC_MODE_DEFAULT, value);
	if (sem == SEM_FAILED)
		return -errno;
	sem_file(name, path, sizeof(path));
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		st = -errno;
		goto err_unlink;
	}
	if (fstat(fd, &sb) < 0) {
		st = -errno;
		goto err_close_fd;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_uid != geteuid()) {
		st = -EEXIST; /* replaced since sem_open(): not ours */
		ipc__close_quiet(fd);
		(void)sem_close(sem);
		return st;
	}
	st = ipc__chmod_opath(fd, mode);
	if (st)
		goto err_close_fd;
	ipc__close_quiet(fd);
	*out = sem;
	return 0;

err_close_fd:
	ipc__close_quiet(fd);
err_unlink:
	(void)sem_close(sem);
	(void)sem_unlink(name);
	return st;
}

ipc_status ipc_sem_open(ipc_sem **out, const char *name, unsigned int value,
                        unsigned int flags, unsigned int mode)
{
	bool created = false;
	sem_t *sem = NULL;
	ipc_status st;
	int tries;

	*out = NULL;
	st = check_name(name);
	if (st)
		return st;
	if ((flags & ~SEM_OPEN_FLAGS) || mode > 0777 ||
	    value > IPC_SEM_VALUE_MAX ||
	    ((flags & IPC_O_EXCL) && !(flags & IPC_O_CREATE)))
		return -EINVAL;
	if (mode == 0)
		mode = IPC_MODE_DEFAULT;
	if (!(flags & IPC_O_CREATE)) {
		st = open_existing(name, flags, &sem);
	} else {
		/* Create, or open what is there; if that vanishes between the
		 * two steps, try again (a bounded number of times). */
		for (tries = 0; tries < SEM_CREATE_TRIES; tries++) {
			st = create_excl(name, value, mode, &sem);
			if (st == 0) {
				created = true;
				break;
			}
			if (st != -EEXIST || (flags & IPC_O_EXCL))
				break;
			st = open_existing(name, flags, &sem);
			if (st != -ENOENT)
				break;
		}
	}
	if (st)
		return st;
	st = sem_new(sem, name, out);
	if (st) {
		(void)sem_close(sem);
		if (created)
			(void)sem_unlink(name);
	}
	return st;
}

static ipc_status check_mem(const void *mem)
{
	if (mem == NULL || (uintptr_t)mem % IPC_SEM_ALIGN != 0)
		return -EINVAL;
	return 0;
}

ipc_status ipc_sem_init(ipc_sem **out, void *mem, unsigned int value)
{
	ipc_status st;

	*out = NULL;
	st = check_mem(mem);
	if (st)
		return st;
	if (value > IPC_SEM_VALUE_MAX)
		return -EINVAL;
	st = sem_new(mem, NULL, out);
	if (st)
		return st;
	if (sem_init(mem, 1, value) < 0) {
		st = -errno;
		free(*out);
		*out = NULL;
	}
	return st;
}

ipc_status ipc_sem_attach(ipc_sem **out, void *mem)
{
	ipc_status st;

	*out = NULL;
	st = check_mem(mem);
	if (st)
		return st;
	return sem_new(mem, NULL, out);
}

ipc_status ipc_sem_destroy(ipc_sem *s)
{
	ipc_status st = 0;

	if (s == NULL)
		return 0;
	if (s->named)
		return -EINVAL;
	if (sem_destroy(s->sem) < 0)
		st = -errno;
	free(s);
	return st;
}

ipc_status ipc_sem_wait(ipc_sem *s, ipc_deadline d)
{
	struct timespec ts;
	int r;

	if (s == NULL)
		return -EBADF;
	if (d == IPC_DEADLINE_NOW) {
		do
			r = sem_trywait(s->sem);
		while (r < 0 && errno == EINTR);
	} else if (d == IPC_DEADLINE_NEVER) {
		r = sem_wait(s->sem);
	} else {
		/* Never sem_timedwait(): it measures CLOCK_REALTIME. */
		ipc__deadline_timespec(d, &ts);
		r = sem_clockwait(s->sem, CLOCK_MONOTONIC, &ts);
	}
	if (r < 0)
		return -errno; /* EAGAIN, ETIMEDOUT, EINTR */
	return 0;
}

ipc_status ipc_sem_post(ipc_sem *s)
{
	if (s == NULL)
		return -EBADF;
	if (sem_post(s->sem) < 0)
		return -errno;
	return 0;
}

ipc_status ipc_sem_value(ipc_sem *s, int *value)
{
	if (s == NULL)
		return -EBADF;
	if (value == NULL)
		return -EINVAL;
	if (sem_getvalue(s->sem, value) < 0)
		return -errno;
	return 0;
}

const char *ipc_sem_name(const ipc_sem *s)
{
	return s != NULL && s->named ? s->name : NULL;
}

ipc_status ipc_sem_close(ipc_sem *s)
{
	ipc_status st = 0;

	if (s == NULL)
		return 0;
	if (s->named && sem_close(s->sem) < 0)
		st = -errno;
	free(s);
	return st;
}

ipc_status ipc_sem_unlink(const char *name)
{
	ipc_status st = check_name(name);

	if (st)
		return st;
	if (sem_unlink(name) < 0)
		return -errno;
	return 0;
}
