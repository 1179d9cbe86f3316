/* fifo.i - named pipes. Opening blocks until the other side opens. */
IPC_BLOCKING(ipc_fifo_open)
IPC_BLOCKING(ipc_fifo_read)
IPC_BLOCKING_WRITE(ipc_fifo_write)
%include "ipc/fifo.h"
