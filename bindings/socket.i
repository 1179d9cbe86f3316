/* socket.i - Unix and TCP/UDP sockets. */
/* recv_from's sender address -> str */
%typemap(in, numinputs=0) (char *from, size_t fromcap) (char tmp[256]) {
	tmp[0] = '\0';
	$1 = tmp;
	$2 = sizeof(tmp);
}
%typemap(argout) (char *from, size_t fromcap) {
	$result = ipc_py_append($result, PyUnicode_DecodeFSDefault($1));
}
IPC_BLOCKING(ipc_sock_connect)
IPC_BLOCKING(ipc_sock_accept)
IPC_BLOCKING_WRITE(ipc_sock_send)
IPC_BLOCKING(ipc_sock_recv)
IPC_BLOCKING(ipc_sock_peek_size)
IPC_BLOCKING(ipc_sock_send_to)
IPC_BLOCKING(ipc_sock_recv_from)
IPC_BLOCKING(ipc_sock_send_fds)
IPC_BLOCKING(ipc_sock_recv_fds)
%include "ipc/socket.h"
