/* loop.i - the poller. Tags are integers the Python layer maps back to
 * its objects. */
IPC_BLOCKING_SLICED(ipc_loop_wait, true)
/* Timer intervals are int64_t nanoseconds (the Python layer converts
 * seconds). */
%include "ipc/loop.h"
%clear int64_t interval;
