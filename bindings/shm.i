/* shm.i - POSIX shared memory. Python maps the descriptor with the mmap
 * module (so an exported buffer blocks close); the address is not used. */
%include "ipc/shm.h"
