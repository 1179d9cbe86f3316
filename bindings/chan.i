/* chan.i - channels over any URL, and endpoints. */
IPC_BLOCKING(ipc_chan_open)
IPC_BLOCKING(ipc_chan_connect)
IPC_BLOCKING(ipc_chan_accept)
IPC_BLOCKING_SLICED(ipc_chan_send, ipc_py_chan_sliced(arg1))
IPC_BLOCKING_SLICED(ipc_chan_send_meta, ipc_py_chan_sliced(arg1))
IPC_BLOCKING(ipc_chan_recv)
IPC_BLOCKING_SLICED(ipc_chan_recv_meta, ipc_py_chan_sliced(arg1))
IPC_BLOCKING_SLICED(ipc_chan_recv_borrow, ipc_py_chan_sliced(arg1))
IPC_BLOCKING_WRITE(ipc_chan_write)
IPC_BLOCKING(ipc_chan_read)
IPC_BLOCKING(ipc_chan_send_fds)
IPC_BLOCKING(ipc_chan_recv_fds)
IPC_BLOCKING(ipc_endpoint_open)
/* Messages come out as bytes through recv_borrow (one copy, any size);
 * recv_into fills the caller's writable buffer instead. */
%ignore ipc_chan_recv;
IPC_BLOCKING_SLICED(ipc_chan_recv_into, ipc_py_chan_sliced(arg1))
IPC_BLOCKING_SLICED(ipc_chan_recv_bytes, ipc_py_chan_sliced(arg1))
%inline %{
/* The common receive: one message as bytes, without its metadata. */
static ipc_status ipc_chan_recv_bytes(ipc_chan *c, const void **data,
                                      size_t *len, ipc_deadline d)
{
	return ipc_chan_recv_borrow(c, data, len, NULL, d);
}

static ipc_status ipc_chan_recv_into(ipc_chan *c, void *dst, size_t cap,
                                     size_t *nread, ipc_deadline d)
{
	return ipc_chan_recv(c, dst, cap, nread, d);
}
%}
/* Appending to IPC_ENDPOINTS needs the existing text in the buffer. */
%ignore ipc_endpoint_append;
%inline %{
/* Append name=URL to @env (escaped as the core escapes it). */
static ipc_status ipc_endpoints_add(const char *env, const char *name,
                                    const char *url, char *buf, size_t cap)
{
	size_t n = strlen(env);

	if (n >= cap)
		return -ENAMETOOLONG;
	memcpy(buf, env, n + 1);
	return ipc_endpoint_append(buf, cap, name, url);
}
%}
%include "ipc/chan.h"
