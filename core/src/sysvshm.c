/* SPDX-License-Identifier: MIT */
/* sysvshm.c - System V shared memory segments. */
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "internal.h"
#include "ipc/sysvshm.h"

#define SHM_ACCESS_FLAGS (IPC_O_READ | IPC_O_WRITE | IPC_O_SHARED)
#define SHM_OPEN_FLAGS   (SHM_ACCESS_FLAGS | IPC_O_CREATE | IPC_O_EXCL)
/* Rounds of "not there" / "there after all" before giving up. */
#define SHM_GET_TRIES 64

struct ipc_sysvshm {
	void *addr;
	size_t size;
	int id;
	int32_t key;
	bool readonly;
};

static bool want_readonly(unsigned int flags)
{
	return (flags & IPC_O_RDWR) == IPC_O_READ;
}

/*
 * The id of the segment with @key, created when missing if @flags ask
 * for it. *@created says whether this call made it. Looking first and
 * creating exclusively after tells the two cases apart, which the error
 * paths need (only a segment we made may be removed again) and which
 * keeps the access check of shmget(2) on an existing segment out of the
 * way: shmat(2) checks the access actually asked.
 */
static ipc_status shm_get(int32_t key, size_t size, unsigned int flags,
                          unsigned int mode, int *id, bool *created)
{
	int tries;

	*created = false;
	if (key == IPC_SYSV_PRIVATE) {
		*id = shmget(IPC_PRIVATE, size, IPC_CREAT | (int)mode);
		if (*id < 0)
			return -errno;
		*created = true;
		return 0;
	}
	for (tries = 0; tries < SHM_GET_TRIES; tries++) {
		if (!(flags & IPC_O_EXCL)) {
			*id = shmget((key_t)key, size, 0);
			if (*id >= 0)
				return 0;
			if (errno != ENOENT || !(flags & IPC_O_CREATE))
				return -errno;
		}
		*id = shmget((key_t)key, size,
		             IPC_CREAT | IPC_EXCL | (int)mode);
		if (*id >= 0) {
			*created = true;
			return 0;
		}
		if (errno != EEXIST || (flags & IPC_O_EXCL))
			return -errno;
		/* Someone else created it since we looked: open theirs. */
	}
	return -EAGAIN;
}

/* Attach segment @id and wrap it; on failure nothing is left attached. */
static ipc_status shm_attach(int id, unsigned int flags, bool created,
                             ipc_sysvshm **out)
{
	struct shmid_ds ds;
	ipc_sysvshm *h;
	ipc_status st;
	void *addr;

	if (shmctl(id, IPC_STAT, &ds) < 0)
		return -errno;
	if (!created && ds.shm_perm.uid != geteuid() && !(flags & IPC_O_SHARED))
		return -EPERM;
	addr = shmat(id, NULL, want_readonly(flags) ? SHM_RDONLY : 0);
	if (addr == (void *)-1)
		return -errno;
	h = malloc(sizeof(*h));
	if (h == NULL) {
		st = -ENOMEM;
		goto err_detach;
	}
	h->addr = addr;
	h->size = ds.shm_segsz;
	h->id = id;
	h->key = (int32_t)ds.shm_perm.__key;
	h->readonly = want_readonly(flags);
	*out = h;
	return 0;

err_detach:
	(void)shmdt(addr);
	return st;
}

ipc_status ipc_sysvshm_open(ipc_sysvshm **out, int32_t key, size_t size,
                            unsigned int flags, unsigned int mode)
{
	bool created;
	ipc_status st;
	int id;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if ((flags & ~SHM_OPEN_FLAGS) || mode > 0777 ||
	    ((flags & IPC_O_EXCL) && !(flags & IPC_O_CREATE)))
		return -EINVAL;
	if (mode == 0)
		mode = IPC_MODE_DEFAULT;
	st = shm_get(key, size, flags, mode, &id, &created);
	if (st)
		return st;
	st = shm_attach(id, flags, created, out);
	if (st && created)
		(void)shmctl(id, IPC_RMID, NULL);
	return st;
}

ipc_status ipc_sysvshm_open_id(ipc_sysvshm **out, int id, unsigned int flags)
{
	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if ((flags & ~SHM_ACCESS_FLAGS) || id < 0)
		return -EINVAL;
	return shm_attach(id, flags, false, out);
}

void *ipc_sysvshm_addr(const ipc_sysvshm *h)
{
	return h != NULL ? h->addr : NULL;
}

size_t ipc_sysvshm_size(const ipc_sysvshm *h)
{
	return h != NULL ? h->size : 0;
}

int ipc_sysvshm_id(const ipc_sysvshm *h)
{
	return h != NULL ? h->id : -1;
}

int32_t ipc_sysvshm_key(const ipc_sysvshm *h)
{
	return h != NULL ? h->key : IPC_SYSV_PRIVATE;
}

bool ipc_sysvshm_readonly(const ipc_sysvshm *h)
{
	return h != NULL && h->readonly;
}

ipc_status ipc_sysvshm_nattach(const ipc_sysvshm *h, unsigned long *n)
{
	struct shmid_ds ds;

	if (n != NULL)
		*n = 0;
	if (h == NULL)
		return -EBADF;
	if (n == NULL)
		return -EINVAL;
	if (shmctl(h->id, IPC_STAT, &ds) < 0)
		return -errno;
	*n = (unsigned long)ds.shm_nattch;
	return 0;
}

ipc_status ipc_sysvshm_remove(ipc_sysvshm *h)
{
	if (h == NULL)
		return -EBADF;
	if (shmctl(h->id, IPC_RMID, NULL) < 0)
		return -errno;
	return 0;
}

ipc_status ipc_sysvshm_remove_key(int32_t key)
{
	int id;

	if (key == IPC_SYSV_PRIVATE)
		return -EINVAL;
	id = shmget((key_t)key, 0, 0);
	if (id < 0)
		return -errno;
	if (shmctl(id, IPC_RMID, NULL) < 0)
		return -errno;
	return 0;
}

ipc_status ipc_sysvshm_close(ipc_sysvshm *h)
{
	ipc_status st = 0;

	if (h == NULL)
		return 0;
	if (shmdt(h->addr) < 0)
		st = -errno;
	free(h);
	return st;
}
