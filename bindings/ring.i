/* ring.i - the message ring. Python's Ring is a ring: channel (chan.i);
 * these are the ring's own calls (stats, limits, zero-copy). */
IPC_BLOCKING_SLICED(ipc_ring_send, true)
%ignore ipc_ring_recv;
IPC_BLOCKING_SLICED(ipc_ring_recv_into, true)
IPC_BLOCKING(ipc_ring_reserve)
IPC_BLOCKING(ipc_ring_peek)
%ignore ipc_ring_reserve; /* a raw pointer: see ring_send / recv_into */
%ignore ipc_ring_commit;
%ignore ipc_ring_abort;
%ignore ipc_ring_peek;
%ignore ipc_ring_release;
%include "ipc/ring.h"
%inline %{
static ipc_status ipc_ring_recv_into(ipc_ring *r, void *dst, size_t cap,
                                     size_t *nread, ipc_deadline d)
{
	return ipc_ring_recv(r, dst, cap, nread, d);
}
%}
