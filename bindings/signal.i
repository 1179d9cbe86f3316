/* signal.i - signals: send, queue with a payload, wait through signalfd. */
IPC_BLOCKING(ipc_sigset_wait)
%include "ipc/signal.h"
%clear int32_t;
