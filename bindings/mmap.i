/* mmap.i - mapped files. msync may wait on the disk: the GIL is released. */
IPC_SLOW(ipc_mmap_flush)
%include "ipc/mmap.h"
%clear uint64_t;
