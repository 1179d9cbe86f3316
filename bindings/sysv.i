/* sysv.i - System V keys (ftok and the key syntax of URLs). */
%include "ipc/sysv.h"
