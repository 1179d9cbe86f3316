/* SPDX-License-Identifier: MIT */
/* mq.c - POSIX message queues. */
#include <fcntl.h>
#include <inttypes.h>
#include <mqueue.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "ipc/mq.h"

#define MQ_OPEN_FLAGS                                                          \
	(IPC_O_READ | IPC_O_WRITE | IPC_O_CREATE | IPC_O_EXCL | IPC_O_SHARED | \
	 IPC_O_NONBLOCK)
#define MQ_SYSCTL_DIR     "/proc/sys/fs/mqueue/"
#define MQ_OPEN_RETRIES   16
#define MQ_DEFAULT_MSGS   10L   /* the kernel's DFLT_MSG */
#define MQ_DEFAULT_MSGLEN 8192L /* the kernel's DFLT_MSGSIZE */

struct ipc_mq {
	int fd;           /* an mqd_t: a descriptor on Linux */
	unsigned int dir; /* IPC_O_READ, IPC_O_WRITE or both */
	char name[];
};

/* A number from /proc/sys/fs/mqueue/@what, or -1 when it cannot be read. */
static long read_sysctl(const char *what)
{
	char path[64];
	char line[32];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), MQ_SYSCTL_DIR "%s", what);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) != NULL)
		v = strtol(line, NULL, 10);
	fclose(f);
	return v;
}

/* What the kernel would take for a 0 field: the default, at most the max. */
static long default_of(const char *def, const char *max, long fallback)
{
	long v = read_sysctl(def);
	long m = read_sysctl(max);

	if (v <= 0)
		v = fallback;
	if (m > 0 && v > m)
		v = m;
	return v;
}

/*
 * The mq_attr to create with: NULL (the kernel's defaults) when @attr asks
 * for nothing, otherwise both fields, a 0 one filled with the default, as
 * mq_open(3) wants both or none.
 */
static struct mq_attr *create_attr(const struct ipc_mq_attr *attr,
                                   struct mq_attr *ma)
{
	if (attr == NULL ||
	    (attr->max_messages == 0 && attr->max_message_size == 0))
		return NULL;
	memset(ma, 0, sizeof(*ma));
	ma->mq_maxmsg = attr->max_messages;
	ma->mq_msgsize = attr->max_message_size;
	if (ma->mq_maxmsg == 0)
		ma->mq_maxmsg =
		        default_of("msg_default", "msg_max", MQ_DEFAULT_MSGS);
	if (ma->mq_msgsize == 0)
		ma->mq_msgsize = default_of("msgsize_default", "msgsize_max",
		                            MQ_DEFAULT_MSGLEN);
	return ma;
}

/* An existing queue must have the shape asked for, field by field. */
static ipc_status check_shape(int fd, const struct ipc_mq_attr *attr)
{
	struct mq_attr ma;

	if (attr == NULL)
		return 0;
	if (mq_getattr(fd, &ma) < 0)
		return -errno;
	if ((attr->max_messages != 0 && attr->max_messages != ma.mq_maxmsg) ||
	    (attr->max_message_size != 0 &&
	     attr->max_message_size != ma.mq_msgsize))
		return -EINVAL;
	return 0;
}

/*
 * Open @name, creating it when @flags has IPC_O_CREATE. The create is
 * always exclusive, so that *@created says whether this call made the
 * queue (only then is its mode ours to set); without IPC_O_EXCL an
 * existing queue is then opened as it is. A queue removed between the two
 * steps is created again, a bounded number of times.
 */
static ipc_status mq_open_fd(const char *name, unsigned int flags,
                             const struct ipc_mq_attr *attr, int *out,
                             bool *created)
{
	int oflag = O_NONBLOCK;
	struct mq_attr ma;
	struct mq_attr *pma = NULL;
	int tries;
	mqd_t fd;

	*out = -1;
	*created = false;
	if (flags & IPC_O_CREATE)
		pma = create_attr(attr, &ma);
	switch (flags & IPC_O_RDWR) {
	case IPC_O_READ:
		oflag |= O_RDONLY;
		break;
	case IPC_O_WRITE:
		oflag |= O_WRONLY;
		break;
	default:
		oflag |= O_RDWR;
		break;
	}
	for (tries = 0; tries < MQ_OPEN_RETRIES; tries++) {
		if (flags & IPC_O_CREATE) {
			fd = mq_open(name, oflag | O_CREAT | O_EXCL,
			             (mode_t)IPC_MODE_DEFAULT, pma);
			if (fd >= 0) {
				*created = true;
				*out = fd;
				return 0;
			}
			if (errno != EEXIST || (flags & IPC_O_EXCL))
				return -errno;
		}
		fd = mq_open(name, oflag);
		if (fd >= 0) {
			*out = fd;
			return 0;
		}
		if (errno != ENOENT || !(flags & IPC_O_CREATE))
			return -errno;
	}
	return -ENOENT;
}

/*
 * Remove the queue this call created, after a later step failed. Another
 * process could in theory have unlinked it and made a new one of the same
 * name meanwhile; /dev/mqueue may not be mounted to tell them apart, so
 * that hostile case is not handled. errno is kept.
 */
static void unlink_made(const char *name)
{
	int saved = errno;

	(void)mq_unlink(name);
	errno = saved;
}

ipc_status ipc_mq_open(ipc_mq **out, const char *name, unsigned int flags,
                       unsigned int mode, const struct ipc_mq_attr *attr)
{
	bool created = false;
	struct stat sb;
	ipc_status st;
	size_t len;
	ipc_mq *q;
	int fd;

	*out = NULL;
	st = ipc__check_posix_name(name);
	if (st)
		return st;
	if ((flags & ~MQ_OPEN_FLAGS) || mode > 0777 ||
	    ((flags & IPC_O_EXCL) && !(flags & IPC_O_CREATE)))
		return -EINVAL;
	if (attr != NULL &&
	    (attr->max_messages < 0 || attr->max_message_size < 0))
		return -EINVAL;
	if (mode == 0)
		mode = IPC_MODE_DEFAULT;
	len = strlen(name) + 1;
	q = malloc(sizeof(*q) + len);
	if (q == NULL)
		return -ENOMEM;
	memcpy(q->name, name, len);
	q->dir = flags & IPC_O_RDWR ? flags & IPC_O_RDWR : IPC_O_RDWR;

	st = mq_open_fd(name, flags, attr, &fd, &created);
	if (st)
		goto err_free;
	if (created) {
		if (fchmod(fd, (mode_t)mode) < 0) {
			st = -errno;
			goto err_close;
		}
	} else {
		if (fstat(fd, &sb) < 0) {
			st = -errno;
			goto err_close;
		}
		if (sb.st_uid != geteuid() && !(flags & IPC_O_SHARED)) {
			st = -EPERM;
			goto err_close;
		}
		st = check_shape(fd, attr);
		if (st)
			goto err_close;
	}
	q->fd = fd;
	*out = q;
	return 0;

err_close:
	ipc__close_quiet(fd);
	if (created)
		unlink_made(name);
err_free:
	free(q);
	return st;
}

ipc_status ipc_mq_send(ipc_mq *q, const void *buf, size_t len,
                       unsigned int prio, ipc_deadline d)
{
	ipc_status st;

	if (q == NULL || !(q->dir & IPC_O_WRITE))
		return -EBADF;
	if ((buf == NULL && len > 0) || prio >= IPC_MQ_PRIO_MAX)
		return -EINVAL;
	if (buf == NULL)
		buf = ""; /* mq_send(3) is declared nonnull even for 0 bytes */
	for (;;) {
		if (mq_send(q->fd, buf, len, prio) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		st = ipc__wait_fd(q->fd, POLLOUT, d, NULL);
		if (st)
			return st;
	}
}

ipc_status ipc_mq_receive(ipc_mq *q, void *buf, size_t cap, size_t *nread,
                          unsigned int *prio, ipc_deadline d)
{
	unsigned int p;
	ipc_status st;
	ssize_t n;

	if (nread != NULL)
		*nread = 0;
	if (prio != NULL)
		*prio = 0;
	if (q == NULL || !(q->dir & IPC_O_READ))
		return -EBADF;
	if (buf == NULL || nread == NULL)
		return -EINVAL;
	for (;;) {
		n = mq_receive(q->fd, buf, cap, &p);
		if (n >= 0) {
			*nread = (size_t)n;
			if (prio != NULL)
				*prio = p;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		st = ipc__wait_fd(q->fd, POLLIN, d, NULL);
		if (st)
			return st;
	}
}

ipc_status ipc_mq_attrs(const ipc_mq *q, struct ipc_mq_attr *attr)
{
	struct mq_attr ma;

	if (q == NULL)
		return -EBADF;
	if (attr == NULL)
		return -EINVAL;
	if (mq_getattr(q->fd, &ma) < 0)
		return -errno;
	attr->max_messages = ma.mq_maxmsg;
	attr->max_message_size = ma.mq_msgsize;
	attr->messages = ma.mq_curmsgs;
	return 0;
}

/* Append to @buf (of @cap bytes, holding a string), cutting if needed. */
static void append(char *buf, size_t cap, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t cap, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, cap - used, fmt, ap);
	va_end(ap);
}

/* One field against its sysctl; appends a sentence and returns true if over. */
static bool over_sysctl(char *buf, size_t cap, const char *field, long v,
                        const char *sysctl)
{
	long max = read_sysctl(sysctl);

	if (v < 0) {
		append(buf, cap, "%s%s=%ld is negative", buf[0] ? "; " : "",
		       field, v);
		return true;
	}
	if (max < 0 || v <= max)
		return false;
	append(buf, cap, "%s%s=%ld exceeds " MQ_SYSCTL_DIR "%s=%ld",
	       buf[0] ? "; " : "", field, v, sysctl, max);
	return true;
}

/* Whether this process is out of descriptors (RLIMIT_NOFILE) right now. */
static bool out_of_fds(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == EMFILE;
	ipc__close_quiet(fd);
	return false;
}

static const char *rlim_str(rlim_t v, char *tmp, size_t cap)
{
	if (v == RLIM_INFINITY)
		return "unlimited";
	snprintf(tmp, cap, "%" PRIuMAX, (uintmax_t)v);
	return tmp;
}

ipc_status ipc_mq_limit_message(ipc_status st, const struct ipc_mq_attr *attr,
                                char *buf, size_t cap)
{
	struct ipc_mq_attr zero = {0, 0, 0};
	struct mq_attr ma;
	struct rlimit rl;
	char tmp[32];
	long n;

	if (buf == NULL || cap == 0)
		return -EINVAL;
	buf[0] = '\0';
	if (attr == NULL)
		attr = &zero;
	switch (st) {
	case -EINVAL:
		over_sysctl(buf, cap, "max_messages", attr->max_messages,
		            "msg_max");
		over_sysctl(buf, cap, "max_message_size",
		            attr->max_message_size, "msgsize_max");
		break;
	case -EMFILE:
		if (out_of_fds()) {
			if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
				break;
			append(buf, cap,
			       "the process has RLIMIT_NOFILE=%s descriptors open (ulimit -n)",
			       rlim_str(rl.rlim_cur, tmp, sizeof(tmp)));
			break;
		}
		if (getrlimit(RLIMIT_MSGQUEUE, &rl) < 0)
			break;
		if (create_attr(attr, &ma) == NULL) {
			ma.mq_maxmsg = default_of("msg_default", "msg_max",
			                          MQ_DEFAULT_MSGS);
			ma.mq_msgsize =
			        default_of("msgsize_default", "msgsize_max",
			                   MQ_DEFAULT_MSGLEN);
		}
		append(buf, cap,
		       "max_messages=%ld x max_message_size=%ld bytes (plus bookkeeping) would exceed RLIMIT_MSGQUEUE=%s bytes (ulimit -q), shared by all the queues of this user",
		       (long)ma.mq_maxmsg, (long)ma.mq_msgsize,
		       rlim_str(rl.rlim_cur, tmp, sizeof(tmp)));
		break;
	case -ENOSPC:
		n = read_sysctl("queues_max");
		if (n < 0)
			break;
		append(buf, cap,
		       "the system has " MQ_SYSCTL_DIR
		       "queues_max=%ld message queues already",
		       n);
		break;
	default:
		break;
	}
	return buf[0] != '\0' ? 0 : -ENOENT;
}

int ipc_mq_fd(const ipc_mq *q)
{
	return q != NULL ? q->fd : -1;
}

const char *ipc_mq_name(const ipc_mq *q)
{
	return q != NULL ? q->name : NULL;
}

bool ipc_mq_is_unlinked(const ipc_mq *q)
{
	struct stat sb;

	if (q == NULL || fstat(q->fd, &sb) < 0)
		return false;
	return sb.st_nlink == 0;
}

ipc_status ipc_mq_close(ipc_mq *q)
{
	ipc_status st;

	if (q == NULL)
		return 0;
	st = ipc__close(q->fd);
	free(q);
	return st;
}

ipc_status ipc_mq_unlink(const char *name)
{
	ipc_status st = ipc__check_posix_name(name);

	if (st)
		return st;
	if (mq_unlink(name) < 0)
		return -errno;
	return 0;
}
