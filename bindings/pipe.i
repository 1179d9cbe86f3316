/* pipe.i - anonymous pipes (Python's ipc.pipe() uses channel pipes; these
 * are the raw ends). */
IPC_BLOCKING(ipc_pipe_read)
IPC_BLOCKING_WRITE(ipc_pipe_write)
%include "ipc/pipe.h"
