/* SPDX-License-Identifier: MIT */
/*
 * ring_wait.c - the ring's wake-ups and spin policy.
 *
 * Each direction has an event count (data_seq, space_seq) and a count of
 * sleepers (data_waiters, space_waiters) on a line of its own. A sleeper
 * increments the sleeper count, reads the event count, checks its
 * condition once more, then sleeps on the event count. A waker publishes
 * its change with a seq_cst store or RMW, then reads the sleeper count and
 * only if it is not zero bumps the event count and calls FUTEX_WAKE. The
 * futexes are shared (no FUTEX_PRIVATE_FLAG): they live in a mapping that
 * other processes share. An event count, not a flag, so that a waker can
 * never consume the flag of a later sleep (PERFORMANCE.md, finding 3).
 */
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "ring_internal.h"

ipc_status ring__futex_wait(uint32_t *addr, uint32_t val, ipc_deadline until)
{
	struct timespec ts;
	long rc;

	ipc__deadline_timespec(until, &ts);
	/* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time. */
	rc = syscall(SYS_futex, addr, FUTEX_WAIT_BITSET, val, &ts, NULL,
	             FUTEX_BITSET_MATCH_ANY);
	if (rc == 0)
		return 0;
	switch (errno) {
	case EINTR:
		return -EINTR;
	case ETIMEDOUT:
		return -ETIMEDOUT;
	default: /* EAGAIN: the count moved before we slept */
		return 0;
	}
}

void ring__futex_wake(uint32_t *addr)
{
	(void)syscall(SYS_futex, addr, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

void ring__note_sleep(uint32_t *sleep, uint32_t s)
{
	uint32_t cur = RS(sleep);

	while ((int32_t)(s - cur) > 0 &&
	       !__atomic_compare_exchange_n(sleep, &cur, s, false,
	                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
}

/*
 * Bump the event count and wake, but only if a sleeper may be waiting on
 * its current value: once bumped, every sleeper on an older value has
 * been woken (or will not sleep: the value changed), so a waker that
 * finds @sleep behind @seq has nothing to do. Without this, every commit
 * between a wake and the moment the woken side runs would make another
 * system call (on one CPU: all of them, for a whole time slice).
 */
static void wake(uint32_t *seq, uint32_t *sleep)
{
	uint32_t cur = RS(seq);

	if (RS(sleep) != cur)
		return;
	if (__atomic_compare_exchange_n(seq, &cur, cur + 1, false,
	                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		ring__futex_wake(seq);
}

void ring__wake_data(ipc_ring *r)
{
	wake(&r->hdr->data_seq, &r->hdr->data_sleep);
}

void ring__wake_space(ipc_ring *r)
{
	wake(&r->hdr->space_seq, &r->hdr->space_sleep);
}

void ring__note_high_water(ipc_ring *r, uint64_t used)
{
	uint64_t hw = RL(&r->hdr->high_water);

	while (used > hw && used <= r->cap &&
	       !__atomic_compare_exchange_n(&r->hdr->high_water, &hw, used,
	                                    false, __ATOMIC_RELAXED,
	                                    __ATOMIC_RELAXED))
		;
}

/*
 * Spin only when it can help: this thread may run on more than one CPU
 * and the other side last ran on a CPU other than ours. Two ends on one
 * CPU spinning at each other only burn the time slice the peer needs
 * (PERFORMANCE.md: 46 us per round trip instead of 3).
 */
bool ring__should_spin(ipc_ring *r, bool for_data)
{
	uint32_t peer;
	int me;

	if (r->ncpus < 2)
		return false;
	peer = RL(for_data ? &r->hdr->producer_cpu : &r->hdr->consumer_cpu);
	if (peer == 0)
		return false;
	me = sched_getcpu();
	return me >= 0 && peer != (uint32_t)me + 1;
}

/* Record where this side runs; written only when it changes. */
void ring__note_cpu(ipc_ring *r, bool producer)
{
	uint32_t *mine = producer ? &r->my_pcpu : &r->my_ccpu;
	uint32_t *shared =
	        producer ? &r->hdr->producer_cpu : &r->hdr->consumer_cpu;
	int cpu = sched_getcpu();
	uint32_t v;

	if (cpu < 0)
		return;
	v = (uint32_t)cpu + 1;
	if (v != *mine) {
		*mine = v;
		WL(shared, v);
	}
}
