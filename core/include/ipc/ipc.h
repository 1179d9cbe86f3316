/* SPDX-License-Identifier: MIT */
/*
 * ipc/ipc.h - the whole ipc library: one C core for every classic Unix IPC
 * mechanism. Include this, or only the mechanism headers you use.
 */
#ifndef IPC_IPC_H
#define IPC_IPC_H

#include "ipc/common.h"
#include "ipc/pipe.h"
#include "ipc/fifo.h"
#include "ipc/socket.h"
#include "ipc/frame.h"
#include "ipc/sysv.h"
#include "ipc/mq.h"
#include "ipc/sysvmq.h"
#include "ipc/sysvshm.h"
#include "ipc/mmap.h"
#include "ipc/signal.h"
#include "ipc/sem.h"
#include "ipc/semset.h"
#include "ipc/shm.h"
#include "ipc/mutex.h"
#include "ipc/ring.h"
#include "ipc/url.h"
#include "ipc/chan.h"
#include "ipc/proc.h"
#include "ipc/loop.h"
#include "ipc/native.h"
#include "ipc/rpc.h"

#endif /* IPC_IPC_H */
