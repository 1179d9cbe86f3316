/* SPDX-License-Identifier: MIT */
/* time.c - deadlines on CLOCK_MONOTONIC. */
#include <math.h>
#include <stdint.h>
#include <time.h>

#include "internal.h"

#define IPC__NS_PER_MS  INT64_C(1000000)
#define IPC__NS_PER_SEC INT64_C(1000000000)

ipc_deadline ipc_now(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ipc_deadline)ts.tv_sec * IPC__NS_PER_SEC + ts.tv_nsec;
}

ipc_deadline ipc_deadline_in_ns(int64_t ns)
{
	ipc_deadline now;

	if (ns < 0)
		return IPC_DEADLINE_NEVER;
	now = ipc_now();
	if (ns >= IPC_DEADLINE_NEVER - now)
		return IPC_DEADLINE_NEVER;
	return now + ns;
}

ipc_deadline ipc_deadline_in_ms(int64_t ms)
{
	if (ms < 0)
		return IPC_DEADLINE_NEVER;
	if (ms > INT64_MAX / IPC__NS_PER_MS)
		return IPC_DEADLINE_NEVER;
	return ipc_deadline_in_ns(ms * IPC__NS_PER_MS);
}

ipc_deadline ipc_deadline_from_seconds(double seconds)
{
	double ns;

	if (isnan(seconds) || seconds < 0)
		return IPC_DEADLINE_NEVER;
	if (seconds == 0)
		return IPC_DEADLINE_NOW;
	ns = ceil(seconds * 1e9);
	/* 2^63 ns is about 292 years: treat anything near it as never. */
	if (ns >= 9.2e18)
		return IPC_DEADLINE_NEVER;
	return ipc_deadline_in_ns((int64_t)ns);
}

int ipc_deadline_remaining_ms(ipc_deadline d)
{
	ipc_deadline now;
	int64_t left;

	if (d == IPC_DEADLINE_NEVER)
		return -1;
	now = ipc_now();
	if (d <= now)
		return 0;
	left = (d - now + IPC__NS_PER_MS - 1) / IPC__NS_PER_MS;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

bool ipc_deadline_expired(ipc_deadline d)
{
	if (d == IPC_DEADLINE_NEVER)
		return false;
	return ipc_now() >= d;
}

void ipc__deadline_timespec(ipc_deadline d, struct timespec *ts)
{
	if (d < 0)
		d = 0;
	ts->tv_sec = (time_t)(d / IPC__NS_PER_SEC);
	ts->tv_nsec = (long)(d % IPC__NS_PER_SEC);
}

bool ipc__remaining_timespec(ipc_deadline d, struct timespec *ts)
{
	ipc_deadline now = ipc_now();

	if (d <= now) {
		ts->tv_sec = 0;
		ts->tv_nsec = 0;
		return false;
	}
	ipc__deadline_timespec(d - now, ts);
	return true;
}
