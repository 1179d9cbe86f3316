/* mutex.i - robust process-shared mutexes. A robust lock wait is not
 * interrupted by signals: the Python layer waits in short slices so that
 * Ctrl+C is seen between them. */
IPC_BLOCKING(ipc_mutex_open)
IPC_SLOW(ipc_mutex_lock)
IPC_SLOW(ipc_mutex_wait)
%include "ipc/mutex.h"
