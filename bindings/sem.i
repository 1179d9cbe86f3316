/* sem.i - POSIX semaphores. The unnamed ones live in caller memory, which
 * Python does not hand out: named semaphores only. */
%ignore ipc_sem_init;
%ignore ipc_sem_attach;
%ignore ipc_sem_destroy;
IPC_BLOCKING(ipc_sem_wait)
%include "ipc/sem.h"
