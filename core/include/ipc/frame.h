/* SPDX-License-Identifier: MIT */
/*
 * ipc/frame.h - whole messages on a byte stream.
 *
 * Pipes, FIFOs and stream sockets carry bytes, not messages. A frame puts
 * a message on such a stream as DESIGN.md fixes it, and nothing else, so
 * that any program in any language can speak it:
 *
 *     +----------------------------+------------------------+
 *     | length: u32, little-endian | payload: length bytes  |
 *     +----------------------------+------------------------+
 *
 * A frame handle sits on one descriptor (a pipe or FIFO end, a stream
 * socket, or any descriptor of a byte stream) and turns it into a message
 * channel. It reads ahead into a buffer of its own, so a handle must own
 * the reading side of its stream: do not mix raw reads with it.
 *
 * Limits: every handle has a maximum message length (default 16 MiB). A
 * header announcing more is refused with -EMSGSIZE before anything is
 * allocated, and so is a send of more; the stream is then unusable (the
 * payload is not skipped), so close it.
 *
 * Deadlines: a receive that runs out of time part way through a frame
 * keeps what it has and carries on with the next call. A send that runs out
 * of time before writing anything returns the timeout status; once part of
 * a frame is written, the frame is never torn: the handle keeps the unsent
 * rest (copying it) and the call succeeds. The rest goes out before any
 * later frame, on the next send or ipc_frame_flush(); ipc_frame_pending()
 * says how much is waiting. Frames of at most PIPE_BUF (4096) bytes in all
 * are written with one write, atomically on pipes and FIFOs, so several
 * writers may share one pipe with frames that small.
 *
 * End of stream: a receive at a frame boundary returns -EPIPE (the writer
 * closed); end of stream inside a frame returns -ECONNRESET (the frame was
 * cut short: never delivered as a whole message).
 */
#ifndef IPC_FRAME_H
#define IPC_FRAME_H

#include "ipc/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipc_frame ipc_frame;

#define IPC_FRAME_HEADER_SIZE   4
#define IPC_FRAME_DEFAULT_LIMIT ((size_t)16 << 20)
#define IPC_FRAME_MAX_LIMIT     ((size_t)0xFFFFFFFFu)

/* ipc_frame_open() flag: the handle owns the descriptor and closes it. */
#define IPC_FRAME_OWN_FD 0x10000u

/**
 * ipc_frame_encode_header() - Write the header of a @len-byte frame.
 * @hdr: out: IPC_FRAME_HEADER_SIZE bytes.
 * @len: the payload length.
 *
 * Return: 0, or -EMSGSIZE when @len does not fit in 32 bits.
 */
IPC_API ipc_status ipc_frame_encode_header(unsigned char *hdr, size_t len);

/**
 * ipc_frame_decode_header() - Read a frame header.
 * @hdr:   IPC_FRAME_HEADER_SIZE bytes.
 * @limit: the largest payload accepted.
 * @len:   out: the payload length.
 *
 * Return: 0, or -EMSGSIZE when the length is above @limit.
 */
IPC_API ipc_status ipc_frame_decode_header(const unsigned char *hdr,
                                           size_t limit, size_t *len);

/**
 * ipc_frame_open() - Put a frame handle on a byte-stream descriptor.
 * @out:   out: the handle; NULL on failure.
 * @fd:    the descriptor; borrowed unless @flags has IPC_FRAME_OWN_FD.
 * @limit: the largest message accepted either way, 1 to
 *         IPC_FRAME_MAX_LIMIT; 0 means IPC_FRAME_DEFAULT_LIMIT.
 * @flags: 0 or IPC_FRAME_OWN_FD.
 *
 * Return: 0, or -EBADF (@fd not open), -EINVAL (a datagram socket, a bad
 * flag or limit), -ENOMEM.
 * Ownership: the caller owns *@out. With IPC_FRAME_OWN_FD the handle owns
 * @fd from success on; on failure @fd stays the caller's.
 */
IPC_API ipc_status ipc_frame_open(ipc_frame **out, int fd, size_t limit,
                                  unsigned int flags);

/**
 * ipc_frame_send() - Send one message.
 * @f:   the handle.
 * @buf: the payload.
 * @len: its length, 0 to the handle's limit.
 * @d:   deadline.
 *
 * First finishes any frame an earlier call left part-written.
 * Return: 0 (the whole frame is written, or its unsent rest is queued in
 * the handle), or -EMSGSIZE (@len above the limit), -EAGAIN, -ETIMEDOUT,
 * -EINTR (nothing of this frame was written), -EPIPE (no reader),
 * -ECONNRESET, -EBADF.
 * Blocking: until written or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_frame_send(ipc_frame *f, const void *buf, size_t len,
                                  ipc_deadline d);

/**
 * ipc_frame_flush() - Write out what an earlier send left queued.
 * @f: the handle.
 * @d: deadline.
 *
 * Return: 0 (nothing left), or -EAGAIN, -ETIMEDOUT, -EINTR (some may
 * remain; see ipc_frame_pending()), -EPIPE, -EBADF.
 * Blocking: until flushed or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_frame_flush(ipc_frame *f, ipc_deadline d);

/**
 * ipc_frame_pending() - Bytes of a part-written frame still queued.
 * @f: the handle.
 *
 * Return: the count; 0 when nothing waits or @f is NULL.
 */
IPC_API size_t ipc_frame_pending(const ipc_frame *f);

/**
 * ipc_frame_recv() - Receive one message into @buf.
 * @f:     the handle.
 * @buf:   where to put the payload.
 * @cap:   room in @buf.
 * @nread: out: the payload length.
 * @d:     deadline.
 *
 * Return: 0, or -EMSGSIZE (the message is longer than @cap: it stays
 * queued and *@nread is its length, so a retry with a larger buffer gets
 * it, reported as soon as its header is in; or the header announced more
 * than the limit: the stream is broken and *@nread is 0),
 * -EPIPE (end of stream at a frame boundary), -ECONNRESET (end of stream
 * inside a frame), -EAGAIN, -ETIMEDOUT, -EINTR (what has arrived is kept),
 * -EBADF.
 * Blocking: until a whole message or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_frame_recv(ipc_frame *f, void *buf, size_t cap,
                                  size_t *nread, ipc_deadline d);

/**
 * ipc_frame_recv_borrow() - Receive one message without copying it out.
 * @f:    the handle.
 * @data: out: the payload, inside the handle's buffer.
 * @len:  out: its length.
 * @d:    deadline.
 *
 * Return: as ipc_frame_recv(), without the too-small-buffer case.
 * Ownership: *@data is borrowed from @f and valid until the next receive
 * on @f or its close; sends and flushes leave it alone, so an echo can
 * send it straight back.
 * Blocking: until a whole message or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_frame_recv_borrow(ipc_frame *f, const void **data,
                                         size_t *len, ipc_deadline d);

/**
 * ipc_frame_read() - Read raw bytes, the read-ahead first.
 * @f:     the handle.
 * @buf:   where to put them.
 * @cap:   room in @buf, at least 1.
 * @nread: out: how many; 0 only at end of stream.
 * @d:     deadline.
 *
 * For streams that carry frames and raw bytes both (ipc_chan_read()):
 * bytes the handle already read ahead are delivered first, then what the
 * descriptor has. Reading raw bytes in the middle of a frame loses the
 * frame boundaries: only mix the two where the protocol says so.
 * Return: 0 (also at end of stream, with *@nread 0), or -EAGAIN,
 * -ETIMEDOUT, -EINTR, -EBADF, -EINVAL (NULL @buf or @cap 0).
 * Blocking: until at least one byte or @d; may return -EINTR.
 */
IPC_API ipc_status ipc_frame_read(ipc_frame *f, void *buf, size_t cap,
                                  size_t *nread, ipc_deadline d);

/**
 * ipc_frame_buffered() - Bytes already read from the descriptor and not
 * yet delivered.
 * @f: the handle.
 *
 * A poller must not wait on the descriptor while this is non-zero: the
 * next message may be here already.
 * Return: the count; 0 when @f is NULL.
 */
IPC_API size_t ipc_frame_buffered(const ipc_frame *f);

/**
 * ipc_frame_ready() - Whether the next receive returns without reading
 * the descriptor: a whole frame is buffered, or the stream is broken.
 * @f: the handle.
 *
 * What a poller asks before it waits on the descriptor. A part of a frame
 * in the buffer does not count: the rest must come through the descriptor.
 * Return: the answer; false when @f is NULL.
 */
IPC_API bool ipc_frame_ready(const ipc_frame *f);

/**
 * ipc_frame_limit() - The handle's maximum message length.
 * @f: the handle.
 *
 * Return: the limit; 0 when @f is NULL.
 */
IPC_API size_t ipc_frame_limit(const ipc_frame *f);

/**
 * ipc_frame_fd() - The descriptor under the handle.
 * @f: the handle.
 *
 * Return: a borrowed descriptor, or -1 when @f is NULL.
 */
IPC_API int ipc_frame_fd(const ipc_frame *f);

/**
 * ipc_frame_close() - Free the handle (and close the descriptor with
 * IPC_FRAME_OWN_FD). A queued part-frame is dropped: flush first.
 * @f: the handle, or NULL.
 *
 * Return: 0, or the error close(2) reported (never -EINTR).
 */
IPC_API ipc_status ipc_frame_close(ipc_frame *f);

#ifdef __cplusplus
}
#endif

#endif /* IPC_FRAME_H */
