/* mq.i - POSIX message queues. */

/* The shape given to mq_open and mq_limit_message is input only. Without
 * this, SWIG strips the const and applies the output typemap of
 * ipc_mq_attrs() to it as well: the call would return [handle, attr] and
 * dereference NULL when attr is None. */
%typemap(argout) const struct ipc_mq_attr *attr "";

IPC_BLOCKING(ipc_mq_send)
IPC_BLOCKING(ipc_mq_receive)
%include "ipc/mq.h"
