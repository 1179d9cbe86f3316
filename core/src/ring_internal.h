/* SPDX-License-Identifier: MIT */
/*
 * ring_internal.h - the shared-memory layout of ipc_ring and what ring.c,
 * ring_wait.c and ring_recover.c share. docs/ring.md describes the same
 * format for other implementers; keep the two in step.
 *
 * Object layout (all integers little-endian, naturally aligned):
 *
 *   0                 header page (RING_HDR_SIZE), one group per cache line
 *   RING_SLOT_OFF     IPC_RING_MAX_HANDLES slots of 64 bytes
 *   RING_MAP_OFF      commit map: capacity / 64 entries of u64
 *   data_off          data area, capacity bytes (page aligned)
 *
 * Positions (tail, head, released, intents) are absolute byte counts that
 * only grow; the offset in the data area is pos & (capacity - 1). Records
 * start on 64-byte boundaries; map[(pos / 64) & (nchunks - 1)] == pos + 1
 * says "the record starting at pos is committed".
 */
#ifndef IPC_RING_INTERNAL_H
#define IPC_RING_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc/ring.h"

#define RING_MAGIC     0x31474e4952435049ull /* "IPCRING1" in memory */
#define RING_VERSION   1u
#define RING_HDR_SIZE  4096u
#define RING_LINE      64u
#define RING_SLOT_SIZE 64u
#define RING_SLOT_OFF  RING_HDR_SIZE
#define RING_MAP_OFF   (RING_SLOT_OFF + IPC_RING_MAX_HANDLES * RING_SLOT_SIZE)
#define RING_CHUNK     64u /* record alignment; one map entry per chunk */
#define RING_NO_INTENT UINT64_MAX

/* Record header, 16 bytes at the start of every record. */
#define RING_REC_DATA    1u /* word0 low bits: a message */
#define RING_REC_PAD     2u /* word0 low bits: room nobody delivers */
#define RING_REC_TYPE    63u
#define RING_REC_OFF_W0  0 /* u32: record size (multiple of 64) | type */
#define RING_REC_OFF_LEN 4 /* u32: payload length */
#define RING_REC_OFF_REL 8 /* u64: pos + 1 once released by its consumer */

/* OFD lock bytes (beyond EOF; never data): per slot and for recovery. */
#define RING_LOCK_BASE     ((int64_t)1 << 40)
#define RING_LOCK_RECOVERY (RING_LOCK_BASE - 1)

/* Line 0: immutable after creation (max_message may be lowered once). */
struct ring_hdr {
	uint64_t magic;       /* 0 */
	uint32_t version;     /* 8 */
	uint32_t hdr_size;    /* 12: RING_HDR_SIZE */
	uint64_t capacity;    /* 16 */
	uint64_t max_message; /* 24: atomic */
	uint64_t slot_off;    /* 32: RING_SLOT_OFF */
	uint64_t map_off;     /* 40: RING_MAP_OFF */
	uint64_t data_off;    /* 48 */
	uint64_t total_size;  /* 56 */
	/* line 1 (64): producers */
	uint64_t tail;
	uint8_t pad1[56];
	/* line 2 (128): consumers */
	uint64_t head;
	uint8_t pad2[56];
	/* line 3 (192): release front */
	uint64_t released;
	uint8_t pad3[56];
	/* line 4 (256): data wake-ups */
	uint32_t data_seq;
	uint32_t data_waiters;
	uint32_t data_sleep; /* newest data_seq a consumer slept on */
	uint8_t pad4[52];
	/* line 5 (320): space wake-ups */
	uint32_t space_seq;
	uint32_t space_waiters;
	uint32_t space_sleep; /* newest space_seq a producer slept on */
	uint8_t pad5[52];
	/* line 6 (384): rarely written counters and hints */
	uint64_t high_water;
	uint64_t recovered;
	uint64_t lost;
	uint32_t producer_cpu; /* last CPU a producer ran on, + 1 */
	uint32_t consumer_cpu; /* last CPU a consumer ran on, + 1 */
	uint8_t pad6[32];
	/* line 7 (448): counters of closed and dead handles */
	uint64_t retired_msgs_in;
	uint64_t retired_bytes_in;
	uint64_t retired_msgs_out;
	uint64_t retired_bytes_out;
	uint8_t pad7[32];
};

/* One handle's slot, 64 bytes; owned while its OFD lock byte is held. */
struct ring_slot {
	uint64_t p_intent;  /* 0: record start being reserved, or ~0 */
	uint64_t c_intent;  /* 8: record start being claimed/held, or ~0 */
	uint64_t msgs_in;   /* 16 */
	uint64_t bytes_in;  /* 24 */
	uint64_t msgs_out;  /* 32 */
	uint64_t bytes_out; /* 40 */
	uint32_t pid;       /* 48: owner, for diagnostics */
	uint32_t role;      /* 52: IPC_O_READ | IPC_O_WRITE of the owner */
	uint8_t pad[8];
};

_Static_assert(sizeof(struct ring_hdr) == 512, "ring header lines");
_Static_assert(sizeof(struct ring_slot) == RING_SLOT_SIZE, "ring slot");

struct ipc_ring {
	uint8_t *base; /* the mapping (or the caller's memory) */
	size_t map_len;
	struct ring_hdr *hdr;
	struct ring_slot *slot; /* ours, or &local_slot */
	uint64_t *map;
	uint8_t *data;
	uint64_t cap; /* validated copies, never re-read */
	uint64_t mask;
	uint64_t nchunks;
	uint64_t msg_limit; /* capacity / 2 - 16 */
	int fd;             /* -1 for ipc__ring_attach_mem() */
	int slot_idx;       /* -1 when there is no slot */
	unsigned int flags;
	int crashpoint; /* IPC_TEST_CRASHPOINT, 0 when unset */
	int ncpus;      /* CPUs online, at open */
	/* producer side */
	uint64_t rel_cache; /* a past value of released */
	bool reserved;
	uint64_t res_pos; /* record start (after any wrap pad) */
	uint64_t res_size;
	uint64_t res_len;
	uint32_t my_pcpu; /* what we last wrote in producer_cpu */
	/* consumer side */
	uint64_t tail_cache;
	bool peeked;
	uint64_t peek_pos;
	uint64_t peek_size;
	uint64_t peek_len;
	uint32_t my_ccpu;
	/* stuck detection for recovery */
	uint64_t dstuck_pos;
	int64_t dstuck_since;
	uint64_t sstuck_pos;
	int64_t sstuck_since;
	int64_t spin_ns; /* adaptive spin budget */
	/* consumer batching (ring.c, claim_wait) */
	int c_short;     /* waits in a row that data ended within a moment */
	int c_penalty;   /* more of them needed after a false start */
	int c_free;      /* messages claimed without waiting since a wait */
	bool c_delayed;  /* the last wait let a batch pile up first */
	bool prefetch_w; /* the CPU has PREFETCHW (CPUID 0x80000001 ECX.8) */
	struct ring_slot local_slot;
	char name[];
};

/* Crash points of the test hook (docs/ring.md). */
enum {
	RING_CP_RESERVED = 1,  /* producer: after the tail CAS */
	RING_CP_MID_PAYLOAD,   /* producer: half the payload copied */
	RING_CP_BEFORE_COMMIT, /* producer: payload written, not committed */
	RING_CP_BEFORE_WAKE,   /* producer: committed, waiters not woken */
	RING_CP_CLAIMED,       /* consumer: claimed (peeked), not released */
	RING_CP_RELEASED,      /* consumer: marked released, front not moved */
};

/* raise(SIGKILL): the test hook's crash, out of line. */
void ipc__ring_crash_now(void);

/* Atomics on shared memory: always through these, never plain accesses. */
#define RL(p)    __atomic_load_n((p), __ATOMIC_RELAXED)
#define RA(p)    __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define RS(p)    __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define WL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define WR(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define WS(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define CAS(p, expp, v)                                                        \
	__atomic_compare_exchange_n((p), (expp), (v), false, __ATOMIC_SEQ_CST, \
	                            __ATOMIC_SEQ_CST)

/*
 * Ask for a line in exclusive state ahead of writing it (PREFETCHW, only
 * where the CPU has it: ipc_ring.prefetch_w), so the store that follows
 * does not wait for the other CPU to give the line up.
 */
static inline void ring__prefetch_w(const ipc_ring *r, const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
	if (r->prefetch_w)
		__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
#else
	(void)r;
	__builtin_prefetch(p, 1, 3);
#endif
}

static inline uint64_t *ring__map_at(const struct ipc_ring *r, uint64_t pos)
{
	return &r->map[(pos / RING_CHUNK) & (r->nchunks - 1)];
}

static inline uint8_t *ring__rec_at(const struct ipc_ring *r, uint64_t pos)
{
	return r->data + (pos & r->mask);
}

static inline uint32_t *ring__rec_w0(const struct ipc_ring *r, uint64_t pos)
{
	return (uint32_t *)(void *)(ring__rec_at(r, pos) + RING_REC_OFF_W0);
}

static inline uint32_t *ring__rec_len(const struct ipc_ring *r, uint64_t pos)
{
	return (uint32_t *)(void *)(ring__rec_at(r, pos) + RING_REC_OFF_LEN);
}

static inline uint64_t *ring__rec_rel(const struct ipc_ring *r, uint64_t pos)
{
	return (uint64_t *)(void *)(ring__rec_at(r, pos) + RING_REC_OFF_REL);
}

static inline struct ring_slot *ring__slot(const struct ipc_ring *r, int i)
{
	return (struct ring_slot *)(void *)(r->base + RING_SLOT_OFF +
	                                    (size_t)i * RING_SLOT_SIZE);
}

static inline void ring__crash(const struct ipc_ring *r, int point)
{
	if (__builtin_expect(r->crashpoint == point, 0))
		ipc__ring_crash_now();
}

/* Data area bytes for a record carrying @len payload bytes. */
static inline uint64_t ring__rec_size(uint64_t len)
{
	return (len + IPC_RING_RECORD_HEADER + RING_CHUNK - 1) &
	       ~(uint64_t)(RING_CHUNK - 1);
}

/* Offset of the data area for @cap bytes of data. */
static inline uint64_t ring__data_off(uint64_t cap)
{
	uint64_t end = RING_MAP_OFF + cap / RING_CHUNK * 8;

	return (end + 4095) & ~(uint64_t)4095;
}

/*
 * ipc__ring_attach_mem() - A handle on a ring image in caller memory.
 * @out:   out: the handle; NULL on failure.
 * @mem:   the image: a whole ring object, header first, 64-byte aligned.
 * @size:  bytes at @mem; the header's total size must not exceed it.
 * @flags: IPC_O_READ, IPC_O_WRITE or IPC_O_RDWR.
 *
 * For the fuzz target and for tests: no shared-memory object, no locks,
 * no slot (the handle's counters and intents live in the handle), and
 * every slot of the image counts as belonging to a dead process, so the
 * recovery of a stuck position happens at once instead of after a grace
 * period. The header is validated exactly as ipc_ring_open() validates
 * it (-EPROTO). Whatever the image holds, the handle never reads or
 * writes outside [@mem, @mem + @size), no call loops without bound, and
 * no record whose bounds fail is delivered. ipc_ring_close() frees the
 * handle and leaves @mem alone; the caller keeps it valid until then.
 * Return: 0, -EINVAL (NULL, bad flags, @mem misaligned), -EPROTO, -ENOMEM.
 */
ipc_status ipc__ring_attach_mem(ipc_ring **out, void *mem, size_t size,
                                unsigned int flags);

/*
 * ipc__ring_format() - Write a fresh ring header for @cap (a valid power
 * of two) into @mem, which holds ring__data_off(@cap) + @cap zeroed bytes.
 * For the creator and for tests and fuzz seeds.
 */
void ipc__ring_format(void *mem, uint64_t cap);

/* Validate a copy of line 0 against an object of @size bytes. */
ipc_status ring__check_hdr(const struct ring_hdr *h, uint64_t size, bool exact);

/* ring_wait.c */
ipc_status ring__futex_wait(uint32_t *addr, uint32_t val, ipc_deadline until);
/* Before sleeping on @seq value @s: note it in @sleep (serial max). */
void ring__note_sleep(uint32_t *sleep, uint32_t s);
void ring__note_high_water(ipc_ring *r, uint64_t used);
void ring__futex_wake(uint32_t *addr);
void ring__wake_data(ipc_ring *r);
void ring__wake_space(ipc_ring *r);
/* Whether spinning before sleeping can help: the peer ran elsewhere. */
bool ring__should_spin(ipc_ring *r, bool for_data);
void ring__note_cpu(ipc_ring *r, bool producer);

/* ring_recover.c */
ipc_status ring__claim_slot(ipc_ring *r);
void ring__retire_slot(struct ring_hdr *h, struct ring_slot *s);
bool ring__slot_live(const ipc_ring *r, int i);
/* A consumer stuck at @h: pad a dead reservation. 1 when it did. */
int ring__recover_data(ipc_ring *r, uint64_t h);
/* A producer stuck on space: release a dead consumer's record. */
int ring__recover_space(ipc_ring *r);
/* Move the release front over released records; wakes producers. */
ipc_status ring__advance(ipc_ring *r, bool moved);

#endif /* IPC_RING_INTERNAL_H */
