/* SPDX-License-Identifier: MIT */
/* mutex.c - robust process-shared mutexes in POSIX shared memory. */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "ipc/mutex.h"
#include "ipc/shm.h"

#define MUTEX_OPEN_FLAGS (IPC_O_CREATE | IPC_O_EXCL | IPC_O_SHARED)
#define MUTEX_MAGIC      0x4d435049u /* "IPCM" in little-endian memory */
#define MUTEX_VERSION    1u
#define MUTEX_RACE_TRIES 100

enum mutex_state {
	STATE_NONE = 0, /* fresh zero pages */
	STATE_INIT = 1, /* being initialised (or its initialiser died) */
	STATE_READY = 2,
};

/*
 * The layout of the shared object, version 1. magic, version and size are
 * written before state becomes STATE_READY with a release store; readers
 * load state with acquire before reading them.
 */
struct mutex_shared {
	uint32_t magic;
	uint32_t version;
	uint32_t size; /* sizeof(struct mutex_shared): the pthread ABI */
	_Atomic uint32_t state;
	pthread_mutex_t mutex;
	pthread_cond_t cond;
};

struct ipc_mutex {
	ipc_shm *shm;
	struct mutex_shared *sh;
	bool held; /* this handle took the lock and has not released it */
};

/*
 * The initialisation lock: an OFD lock on the whole object, taken without
 * waiting. It is held only for the few non-blocking steps of
 * shared_init(), and the kernel drops it when its holder dies, so an
 * opener never waits for a dead initialiser: it finds the lock free and
 * the state not ready, and initialises the object itself.
 */
static ipc_status init_lock(int fd, short type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	while (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		if (errno == EAGAIN || errno == EACCES)
			return -EAGAIN;
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static ipc_status shared_init(struct mutex_shared *sh)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	int r;

	atomic_store(&sh->state, STATE_INIT);
	r = pthread_mutexattr_init(&ma);
	if (r)
		return -r;
	r = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	if (r)
		goto err_mattr;
	r = pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	if (r)
		goto err_mattr;
	r = pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	if (r)
		goto err_mattr;
	r = pthread_condattr_init(&ca);
	if (r)
		goto err_mattr;
	r = pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	if (r)
		goto err_cattr;
	r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (r)
		goto err_cattr;
	r = pthread_mutex_init(&sh->mutex, &ma);
	if (r)
		goto err_cattr;
	r = pthread_cond_init(&sh->cond, &ca);
	if (r)
		goto err_mutex;
	pthread_condattr_destroy(&ca);
	pthread_mutexattr_destroy(&ma);
	sh->magic = MUTEX_MAGIC;
	sh->version = MUTEX_VERSION;
	sh->size = (uint32_t)sizeof(*sh);
	atomic_store_explicit(&sh->state, STATE_READY, memory_order_release);
	return 0;

err_mutex:
	pthread_mutex_destroy(&sh->mutex);
err_cattr:
	pthread_condattr_destroy(&ca);
err_mattr:
	pthread_mutexattr_destroy(&ma);
	return -r;
}

static ipc_status shared_check(const struct mutex_shared *sh)
{
	if (sh->magic != MUTEX_MAGIC || sh->version != MUTEX_VERSION ||
	    sh->size != sizeof(*sh))
		return -EPROTO;
	return 0;
}

/* With the initialisation lock held: check a ready object, or make one. */
static ipc_status init_locked(struct mutex_shared *sh)
{
	uint32_t state = atomic_load_explicit(&sh->state, memory_order_acquire);

	if (state == STATE_READY)
		return shared_check(sh);
	if (state > STATE_READY || (sh->magic != 0 && sh->magic != MUTEX_MAGIC))
		return -EPROTO;
	return shared_init(sh);
}

/* Wait, until @d, for the object to be ready; initialise it if nobody is. */
static ipc_status attach(struct mutex_shared *sh, int fd, ipc_deadline d)
{
	struct ipc__backoff wait = IPC__BACKOFF_MS(1, 20);
	uint32_t state;
	ipc_status st;

	for (;;) {
		state = atomic_load_explicit(&sh->state, memory_order_acquire);
		if (state == STATE_READY)
			return shared_check(sh);
		if (state > STATE_READY)
			return -EPROTO;
		st = init_lock(fd, F_WRLCK);
		if (st == 0) {
			st = init_locked(sh);
			(void)init_lock(fd, F_UNLCK);
			return st;
		}
		if (st != -EAGAIN)
			return st;
		st = ipc__backoff_sleep(&wait, d);
		if (st)
			return st;
	}
}

/*
 * Create the object or open the one there. An existing object of size 0
 * is one whose creator has not sized it yet (ipc_shm_open() says -EAGAIN):
 * wait for it until @d.
 */
static ipc_status open_object(ipc_shm **shm, const char *name,
                              unsigned int flags, unsigned int mode,
                              ipc_deadline d, bool *created)
{
	unsigned int shared = flags & IPC_O_SHARED;
	struct ipc__backoff wait = IPC__BACKOFF_MS(1, 20);
	int tries = 0;
	ipc_status st;

	*created = false;
	for (;;) {
		if (flags & IPC_O_CREATE) {
			st = ipc_shm_open(
			        shm, name, sizeof(struct mutex_shared),
			        IPC_O_CREATE | IPC_O_EXCL | shared, mode);
			if (st == 0) {
				*created = true;
				return 0;
			}
			if (st != -EEXIST || (flags & IPC_O_EXCL))
				return st;
		}
		st = ipc_shm_open(shm, name, 0, shared, 0);
		if (st == -ENOENT && (flags & IPC_O_CREATE) &&
		    ++tries < MUTEX_RACE_TRIES)
			continue;
		if (st == -EINVAL)
			return -EPROTO; /* not a regular file */
		if (st != -EAGAIN)
			return st;
		st = ipc__backoff_sleep(&wait, d);
		if (st)
			return st;
	}
}

ipc_status ipc_mutex_open(ipc_mutex **out, const char *name, unsigned int flags,
                          unsigned int mode, ipc_deadline d)
{
	bool created = false;
	ipc_mutex *m;
	ipc_status st;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	st = ipc__check_posix_name(name);
	if (st)
		return st;
	if ((flags & ~MUTEX_OPEN_FLAGS) || mode > 07777 ||
	    ((flags & IPC_O_EXCL) && !(flags & IPC_O_CREATE)))
		return -EINVAL;
	m = malloc(sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	st = open_object(&m->shm, name, flags, mode, d, &created);
	if (st)
		goto err_free;
	if (ipc_shm_size(m->shm) != sizeof(struct mutex_shared)) {
		st = -EPROTO;
		goto err_close;
	}
	m->sh = ipc_shm_addr(m->shm);
	m->held = false;
	st = attach(m->sh, ipc_shm_fd(m->shm), d);
	if (st)
		goto err_close;
	*out = m;
	return 0;

err_close:
	(void)ipc_shm_close(m->shm);
	if (created)
		(void)ipc_shm_unlink(name);
err_free:
	free(m);
	return st;
}

ipc_status ipc_mutex_lock(ipc_mutex *m, ipc_deadline d)
{
	struct timespec ts;
	int r;

	if (m == NULL)
		return -EBADF;
	if (d == IPC_DEADLINE_NEVER) {
		r = pthread_mutex_lock(&m->sh->mutex);
	} else {
		/* IPC_DEADLINE_NOW becomes a deadline in the past, not a
		 * trylock: glibc 2.36's pthread_mutex_trylock() on an
		 * unrecoverable robust mutex reports ENOTRECOVERABLE but
		 * leaves the lock word owned by the caller, so that every
		 * later locker in any process waits for ever (or gets
		 * EDEADLK). The timed lock tries once, releases correctly,
		 * and answers ETIMEDOUT when the mutex is held. */
		ipc__deadline_timespec(d, &ts);
		r = pthread_mutex_clocklock(&m->sh->mutex, CLOCK_MONOTONIC,
		                            &ts);
	}
	if (r == 0 || r == EOWNERDEAD)
		m->held = true;
	if (r == ETIMEDOUT)
		return ipc__timeout_status(d);
	return -r;
}

ipc_status ipc_mutex_consistent(ipc_mutex *m)
{
	if (m == NULL)
		return -EBADF;
	if (!m->held)
		return -EINVAL;
	return -pthread_mutex_consistent(&m->sh->mutex);
}

ipc_status ipc_mutex_unlock(ipc_mutex *m)
{
	int r;

	if (m == NULL)
		return -EBADF;
	/* Unlocking through a handle that did not lock would make glibc
	 * look for this mapping's address on the thread's robust list. */
	if (!m->held)
		return -EPERM;
	r = pthread_mutex_unlock(&m->sh->mutex);
	if (r == 0)
		m->held = false;
	return -r;
}

ipc_status ipc_mutex_wait(ipc_mutex *m, ipc_deadline d)
{
	struct timespec ts;
	int r;

	if (m == NULL)
		return -EBADF;
	if (!m->held)
		return -EPERM;
	if (d == IPC_DEADLINE_NEVER) {
		r = pthread_cond_wait(&m->sh->cond, &m->sh->mutex);
	} else {
		/* The condition variable runs on CLOCK_MONOTONIC. */
		ipc__deadline_timespec(d, &ts);
		r = pthread_cond_timedwait(&m->sh->cond, &m->sh->mutex, &ts);
	}
	if (r == ENOTRECOVERABLE)
		m->held = false;
	if (r == ETIMEDOUT)
		return ipc__timeout_status(d);
	return -r;
}

ipc_status ipc_mutex_signal(ipc_mutex *m)
{
	if (m == NULL)
		return -EBADF;
	return -pthread_cond_signal(&m->sh->cond);
}

ipc_status ipc_mutex_broadcast(ipc_mutex *m)
{
	if (m == NULL)
		return -EBADF;
	return -pthread_cond_broadcast(&m->sh->cond);
}

const char *ipc_mutex_name(const ipc_mutex *m)
{
	return m != NULL ? ipc_shm_name(m->shm) : NULL;
}

ipc_status ipc_mutex_close(ipc_mutex *m)
{
	ipc_status st;

	if (m == NULL)
		return 0;
	if (m->held)
		(void)pthread_mutex_unlock(&m->sh->mutex);
	st = ipc_shm_close(m->shm);
	free(m);
	return st;
}

ipc_status ipc_mutex_unlink(const char *name)
{
	return ipc_shm_unlink(name);
}
