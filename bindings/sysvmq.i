/* sysvmq.i - System V message queues. */
IPC_BLOCKING(ipc_sysvmq_send)
IPC_BLOCKING(ipc_sysvmq_receive)
%include "ipc/sysvmq.h"
%clear int32_t;
