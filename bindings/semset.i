/* semset.i - System V semaphore sets. */
IPC_BLOCKING(ipc_semset_open)
IPC_BLOCKING(ipc_semset_op)
%include "ipc/semset.h"
%clear int32_t;
