/* SPDX-License-Identifier: MIT */
/*
 * chan_internal.h - what chan.c shares with the channel families.
 *
 * A channel is a kind, a direction, a message limit, its canonical URL and
 * one of four families behind a small ops table:
 *   chan_stream.c  framed kinds (fd, fifo, unix, tcp, pipe ends): ipc_frame
 *   chan_queue.c   mq, sysvmq
 *   chan_dgram.c   unixgram, unixpacket, udp
 *   chan_ring.c    ring
 * chan.c checks the common arguments (NULL, direction, listening, size
 * against the limit, meta on kinds that take none) before calling an op,
 * so the ops only translate to the mechanism.
 */
#ifndef IPC_CHAN_INTERNAL_H
#define IPC_CHAN_INTERNAL_H

#include "internal.h"
#include "ipc/chan.h"
#include "ipc/fifo.h"
#include "ipc/frame.h"
#include "ipc/mq.h"
#include "ipc/pipe.h"
#include "ipc/ring.h"
#include "ipc/socket.h"
#include "ipc/sysvmq.h"
#include "ipc/url.h"

/* What an open asks for, from the URL, the opts and the flags merged. */
struct ipc__chan_cfg {
	unsigned int flags; /* IPC_O_*: direction, CREATE, EXCL, SHARED */
	size_t max;         /* max_message_size asked, 0 = the kind's own */
	size_t capacity;    /* 0 = default */
	size_t max_messages;
	unsigned int mode;
};

struct ipc__chan_ops {
	ipc_status (*send)(ipc_chan *c, const void *buf, size_t len,
	                   const struct ipc_chan_meta *meta, ipc_deadline d);
	/* *@nread is set on -EMSGSIZE when the kind can tell. */
	ipc_status (*recv)(ipc_chan *c, void *buf, size_t cap, size_t *nread,
	                   struct ipc_chan_meta *meta, ipc_deadline d);
	ipc_status (*borrow)(ipc_chan *c, const void **data, size_t *len,
	                     struct ipc_chan_meta *meta, ipc_deadline d);
	/* Optional (NULL: -EOPNOTSUPP). */
	ipc_status (*write)(ipc_chan *c, const void *buf, size_t len,
	                    size_t *nwritten, ipc_deadline d);
	ipc_status (*read)(ipc_chan *c, void *buf, size_t cap, size_t *nread,
	                   ipc_deadline d);
	ipc_status (*send_fds)(ipc_chan *c, const void *buf, size_t len,
	                       const int *fds, size_t nfds, ipc_deadline d);
	ipc_status (*recv_fds)(ipc_chan *c, const void **data, size_t *len,
	                       int *fds, size_t maxfds, size_t *nfds,
	                       ipc_deadline d);
	ipc_status (*accept)(ipc_chan *l, ipc_chan **out, ipc_deadline d);
	int (*fd)(const ipc_chan *c);
	bool (*readable)(ipc_chan *c);
	/* Frees what the family allocated, not @c itself. */
	ipc_status (*close)(ipc_chan *c);
};

struct ipc_chan {
	const struct ipc__chan_ops *ops;
	int kind;         /* enum ipc_url_kind */
	unsigned int dir; /* IPC_O_READ | IPC_O_WRITE */
	bool listening;   /* a stream listener: accept only */
	bool framed;
	bool meta_prio; /* takes a priority (mq) */
	bool meta_type; /* takes a type (sysvmq) */
	size_t max;     /* largest message either way */
	char *url;      /* canonical, owned */
	/* The mechanism; which fields are set depends on the family. */
	ipc_frame *frame;
	struct ipc__io io; /* the framed stream, for raw writes */
	int own_fd;        /* fd: kind: the descriptor, -1 otherwise */
	ipc_pipe *pipe;
	ipc_fifo *fifo;
	ipc_sock *sock;
	ipc_mq *mq;
	ipc_sysvmq *sysvmq;
	ipc_ring *ring;
	bool peeked; /* ring: a borrowed message to release */
	/* Queues and datagrams: the buffer of recv_borrow(). */
	unsigned char *buf;
	size_t bufcap;
	size_t held; /* mq: a message kept in buf (too long for a recv) */
	bool has_held;
	unsigned int held_prio;
	size_t accept_max; /* listener: the limit handed to accepted channels */
};

/* Allocate a channel of @kind with its URL text; NULL without memory. */
ipc_chan *ipc__chan_new(int kind, const char *url);

/* Free a channel whose family state is already released. */
void ipc__chan_free(ipc_chan *c);

/* The URL of a channel as text, from a parsed URL (canonical form). */
ipc_status ipc__chan_set_url(ipc_chan *c, const struct ipc_url *u);

/*
 * Open a named object through @open(@arg, flags) and say whether this call
 * created it, so that a channel refusing an option afterwards removes only
 * what it made. With IPC_O_CREATE but not IPC_O_EXCL it opens first, then
 * creates exclusively when the object is missing (again if someone else
 * created it in between); with IPC_O_EXCL the object is ours when it opens.
 */
ipc_status ipc__open_noting(ipc_status (*open)(void *arg, unsigned int flags),
                            void *arg, unsigned int flags, bool *created);

/* Family constructors: fill @c (kind and URL set) or return an error
 * leaving nothing of their own behind. */
ipc_status ipc__chan_stream_open(ipc_chan *c, const struct ipc_url *u,
                                 const struct ipc__chan_cfg *cfg,
                                 ipc_deadline d);
ipc_status ipc__chan_stream_listen(ipc_chan *c, const struct ipc_url *u,
                                   const struct ipc__chan_cfg *cfg);
ipc_status ipc__chan_stream_pipe(ipc_chan *rd, ipc_chan *wr);
ipc_status ipc__chan_queue_open(ipc_chan *c, const struct ipc_url *u,
                                const struct ipc__chan_cfg *cfg);
ipc_status ipc__chan_dgram_open(ipc_chan *c, const struct ipc_url *u,
                                const struct ipc__chan_cfg *cfg,
                                ipc_deadline d);
ipc_status ipc__chan_dgram_listen(ipc_chan *c, const struct ipc_url *u,
                                  const struct ipc__chan_cfg *cfg);
ipc_status ipc__chan_ring_open(ipc_chan *c, const struct ipc_url *u,
                               const struct ipc__chan_cfg *cfg);

/* The listener's URL with the port the kernel chose (tcp, udp). */
ipc_status ipc__chan_url_port(ipc_chan *c, const struct ipc_url *u,
                              ipc_sock *s);

#endif /* IPC_CHAN_INTERNAL_H */
