/* SPDX-License-Identifier: MIT */
/*
 * Load and kill tests over the channel API, one table-driven harness for
 * every channel kind (RELIABILITY.md §3.2 and F1; docs/load-tests.md).
 *
 * Load: P producers x C consumers, all separate processes, move
 * 10^6 / IPC_TEST_SCALE messages through one channel of a kind. Every
 * message is {producer id u32, seq u64, len u32, payload, crc32c}, the
 * payload derived from (producer id, seq). The consumers check each one
 * (length, CRC, payload, order per producer) and mark it in a bitmap in
 * shared memory; the parent then requires every (producer, seq) exactly
 * once. UDP may drop: its losses are counted and printed, never failed.
 * A second case per kind sends the boundary sizes {0, 1, 7, 8, 63, 64, 65,
 * 4092, 4096, 4097, 65535, 65536, 65537, max} the kind can carry, in
 * order, and checks that one byte more than the maximum is refused.
 *
 * Kill (F1): a producer SIGKILLed after a random delay (0..50 ms) or at a
 * random message index while the parent reads: the parent sees a
 * gap-free, duplicate-free prefix of the sequence and then the end of the
 * stream (-EPIPE, or -ECONNRESET when the producer died inside a frame)
 * within 1 s, or, on kinds without peers, its deadline; never a partial
 * message, never a hang. And a consumer SIGKILLed the same ways while the
 * parent sends: -EPIPE (-ECONNRESET on TCP) or, without peers, the
 * deadline once the channel is full; the messages the dead consumer left
 * are then drained in order, at most the one in its hands lost.
 *
 * Environment: IPC_TEST_SCALE divides the message and kill counts (10
 * under ASan, 1000 under valgrind); IPC_TEST_SEED replays a run (every
 * case prints its seed).
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ipc/chan.h"
#include "ipc/fifo.h"
#include "ipc/loop.h"
#include "ipc/url.h"

/* GNU C predefines "unix" as 1; the case tables below need the word. */
#undef unix

/* ---------------------------------------------------------------------- */
/* The kinds                                                               */

enum share {
	SHARE_PIPE,   /* one anonymous pipe; the ends are inherited */
	SHARE_FIFO,   /* everyone opens one FIFO by URL */
	SHARE_NAME,   /* everyone opens one named object (mq, sysvmq, ring) */
	SHARE_ACCEPT, /* producers connect; consumers accept from a listener */
	SHARE_BOUND,  /* producers send to one bound socket consumers share */
};

#define KF_EOF   0x01u /* the reader sees the end of the stream (-EPIPE) */
#define KF_LOSSY 0x02u /* may drop messages: count them, do not fail */
#define KF_BYTES                                                               \
	0x04u         /* every producer writes one byte stream: frames         \
	               * <= PIPE_BUF, and one consumer only */
#define KF_KILL 0x08u /* in the kill tests */

struct kind {
	const char *name;
	enum share share;
	unsigned int flags;
};

static const struct kind kinds[] = {
        {"pipe", SHARE_PIPE, KF_EOF | KF_BYTES | KF_KILL},
        {"fifo", SHARE_FIFO, KF_EOF | KF_BYTES | KF_KILL},
        {"mq", SHARE_NAME, KF_KILL},
        {"sysvmq", SHARE_NAME, KF_KILL},
        {"ring", SHARE_NAME, KF_KILL},
        {"unix", SHARE_ACCEPT, KF_EOF | KF_KILL},
        {"unixpacket", SHARE_ACCEPT, KF_EOF | KF_KILL},
        {"tcp", SHARE_ACCEPT, KF_EOF | KF_KILL},
        {"unixgram", SHARE_BOUND, 0},
        {"udp", SHARE_BOUND, KF_LOSSY},
};

static const struct kind *find_kind(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	}
	check_fail(__FILE__, __LINE__, "no kind %s", name);
}

/* ---------------------------------------------------------------------- */
/* Scale, seeds, random numbers                                            */

#define TOTAL_MESSAGES 1000000u
#define KILLS          20

static unsigned int test_scale(void)
{
	const char *s = getenv("IPC_TEST_SCALE");
	long v = s != NULL ? strtol(s, NULL, 10) : 1;

	return v > 0 ? (unsigned int)v : 1u;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint64_t rnd(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ull;
	return mix64(*s);
}

/* Uniform in [0, n). */
static uint64_t rnd_below(uint64_t *s, uint64_t n)
{
	return n != 0 ? rnd(s) % n : 0;
}

/* Log-uniform in [lo, hi]. */
static size_t rnd_logsize(uint64_t *s, size_t lo, size_t hi)
{
	double u = (double)(rnd(s) >> 11) * 0x1p-53;
	double x = exp(u * log((double)(hi - lo) + 2.0));
	size_t v = lo + (size_t)x - 1;

	return v > hi ? hi : v;
}

/* The case's random stream: IPC_TEST_SEED or the clock, printed. */
static uint64_t case_seed(const char *name)
{
	const char *s = getenv("IPC_TEST_SEED");
	uint64_t seed;
	uint64_t h = 1469598103934665603ull;
	const char *p;

	if (s != NULL && s[0] != '\0')
		seed = strtoull(s, NULL, 0);
	else
		seed = mix64((uint64_t)ipc_now() ^ (uint64_t)getpid() << 40);
	printf("# %s: IPC_TEST_SEED=0x%016llx\n", name,
	       (unsigned long long)seed);
	fflush(stdout);
	for (p = name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return mix64(seed ^ h);
}

/* ---------------------------------------------------------------------- */
/* CRC32C (Castagnoli, reflected 0x82f63b78), slicing by 8                 */

static uint32_t crc_tab[8][256];

static void crc32c_init(void)
{
	uint32_t c;
	int i;
	int j;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (j = 0; j < 8; j++)
			c = (c & 1u) != 0 ? c >> 1 ^ 0x82f63b78u : c >> 1;
		crc_tab[0][i] = c;
	}
	for (i = 0; i < 256; i++) {
		for (j = 1; j < 8; j++)
			crc_tab[j][i] = crc_tab[j - 1][i] >> 8 ^
			                crc_tab[0][crc_tab[j - 1][i] & 0xffu];
	}
}

static uint32_t crc32c(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t crc = 0xffffffffu;
	uint64_t v;

	while (len >= 8) {
		memcpy(&v, p, 8);
		v ^= crc;
		crc = crc_tab[7][v & 0xff] ^ crc_tab[6][v >> 8 & 0xff] ^
		      crc_tab[5][v >> 16 & 0xff] ^ crc_tab[4][v >> 24 & 0xff] ^
		      crc_tab[3][v >> 32 & 0xff] ^ crc_tab[2][v >> 40 & 0xff] ^
		      crc_tab[1][v >> 48 & 0xff] ^ crc_tab[0][v >> 56];
		p += 8;
		len -= 8;
	}
	while (len-- > 0)
		crc = crc_tab[0][(crc ^ *p++) & 0xffu] ^ crc >> 8;
	return ~crc;
}

/* ---------------------------------------------------------------------- */
/* Messages                                                                */

#define MSG_HDR  16u /* producer u32, seq u64, len u32 */
#define MSG_MIN  20u /* header and CRC, no payload */
#define MAX_PROD 4
#define MAX_CONS 2

/* The payload of (producer, seq): an xorshift stream. */
static uint64_t pattern_seed(uint32_t prod, uint64_t seq)
{
	return mix64((uint64_t)prod << 56 ^ seq ^ 0x5bd1e9955bd1e995ull) | 1u;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void pattern_fill(uint32_t prod, uint64_t seq, unsigned char *p,
                         size_t len)
{
	uint64_t x = pattern_seed(prod, seq);
	uint64_t v;

	for (; len >= 8; len -= 8, p += 8) {
		v = xorshift(&x);
		memcpy(p, &v, 8);
	}
	if (len > 0) {
		v = xorshift(&x);
		memcpy(p, &v, len);
	}
}

static bool pattern_equal(uint32_t prod, uint64_t seq, const unsigned char *p,
                          size_t len)
{
	uint64_t x = pattern_seed(prod, seq);
	uint64_t v;
	uint64_t got;

	for (; len >= 8; len -= 8, p += 8) {
		v = xorshift(&x);
		memcpy(&got, p, 8);
		if (got != v)
			return false;
	}
	if (len > 0) {
		v = xorshift(&x);
		return memcmp(p, &v, len) == 0;
	}
	return true;
}

/*
 * Message @seq of producer @prod, @size bytes in all. Below MSG_MIN bytes
 * (the boundary sizes 0, 1, 7, 8) a message is only the first @size bytes
 * of the payload stream: the reader matches it by its place in the
 * sequence.
 */
static void msg_build(unsigned char *buf, uint32_t prod, uint64_t seq,
                      size_t size)
{
	uint32_t len;
	uint32_t crc;

	if (size < MSG_MIN) {
		pattern_fill(prod, seq, buf, size);
		return;
	}
	len = (uint32_t)(size - MSG_MIN);
	memcpy(buf, &prod, 4);
	memcpy(buf + 4, &seq, 8);
	memcpy(buf + 12, &len, 4);
	pattern_fill(prod, seq, buf + MSG_HDR, len);
	crc = crc32c(buf, MSG_HDR + len);
	memcpy(buf + MSG_HDR + len, &crc, 4);
}

/* NULL when @p is a whole, true message; else what is wrong with it. */
static const char *msg_parse(const unsigned char *p, size_t n, uint32_t *prod,
                             uint64_t *seq)
{
	uint32_t len;
	uint32_t crc;

	if (n < MSG_MIN)
		return "shorter than a header";
	memcpy(prod, p, 4);
	memcpy(seq, p + 4, 8);
	memcpy(&len, p + 12, 4);
	if ((size_t)len != n - MSG_MIN)
		return "length field does not match the message size";
	memcpy(&crc, p + MSG_HDR + len, 4);
	if (crc != crc32c(p, MSG_HDR + len))
		return "bad CRC";
	if (!pattern_equal(*prod, *seq, p + MSG_HDR, len))
		return "payload differs from (producer, seq)'s";
	return NULL;
}

/* The boundary sizes a channel of maximum @max carries, ascending. */
#define MAX_SIZES 14

static size_t boundary_sizes(size_t max, size_t *out)
{
	static const size_t fixed[] = {0,    1,    7,    8,     63,    64,   65,
	                               4092, 4096, 4097, 65535, 65536, 65537};
	size_t n = 0;
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (fixed[i] < max)
			out[n++] = fixed[i];
	}
	out[n++] = max;
	return n;
}

/* ---------------------------------------------------------------------- */
/* One run: the channel, the processes, the shared audit                   */

enum run_mode {
	MODE_MIX,   /* log-uniform sizes */
	MODE_SIZES, /* the boundary sizes, in order, 1 x 1 */
	MODE_KILL,  /* kill tests: 1 x 1, a small ring */
};

/* What the processes of a run share (MAP_SHARED, made before forking). */
struct shared {
	atomic_int ready;  /* producers with their channel open */
	atomic_int cready; /* consumers likewise */
	atomic_int go;
	atomic_int producers_done;
	atomic_uint accepted;
	_Atomic uint64_t max_msg; /* smallest maximum of the producers */
	_Atomic uint64_t per_prod;
	_Atomic uint64_t total;
	_Atomic uint64_t received;
	_Atomic uint64_t bytes;
	_Atomic uint64_t corrupt;
	_Atomic uint64_t dup;
	_Atomic uint64_t reorder;
	_Atomic uint64_t errors;
	_Atomic uint64_t send_drops;
	_Atomic uint64_t paced_out; /* lossy: waits for the reader gave up */
	_Atomic uint64_t skip; /* lossy boundary run: first seq to expect */
	_Atomic int64_t t_last;
	_Atomic uint64_t sent[MAX_PROD];     /* sends that returned 0 */
	_Atomic uint64_t next_seq[MAX_PROD]; /* after the last seq received */
	_Atomic uint64_t cons_msgs[MAX_CONS];
	atomic_int err_claim;
	char err[512];
	size_t words; /* bitmap words per producer */
	_Atomic uint64_t bits[];
};

struct run {
	const struct kind *k;
	enum run_mode mode;
	int nprod;
	int ncons;
	int self; /* index of the producer or consumer being forked */
	uint64_t seed;
	char url[IPC_URL_ADDR_MAX + 64];
	bool named; /* url names an object to remove */
	ipc_chan *rd;
	ipc_chan *wr;
	ipc_chan *bound;
	struct shared *sh;
	size_t sh_size;
	/* kill tests */
	bool by_index;
	uint64_t index;
};

static int64_t ms_scaled(int64_t ms)
{
	return ms * check_slow();
}

static void note(struct shared *sh, _Atomic uint64_t *counter, const char *fmt,
                 ...) __attribute__((format(printf, 3, 4)));

/* Count a problem, remember the first, print a few per process. */
static void note(struct shared *sh, _Atomic uint64_t *counter, const char *fmt,
                 ...)
{
	static int printed;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	atomic_fetch_add(counter, 1);
	if (atomic_exchange(&sh->err_claim, 1) == 0)
		memcpy(sh->err, msg, sizeof(msg));
	if (printed++ < 5)
		fprintf(stderr, "  [pid %d] %s\n", (int)getpid(), msg);
}

static void make_url(struct run *r)
{
	const char *n = r->k->name;

	switch (r->k->share) {
	case SHARE_PIPE:
		snprintf(r->url, sizeof(r->url), "(pipe)");
		break;
	case SHARE_FIFO:
		snprintf(r->url, sizeof(r->url), "fifo:%s", check_path("fifo"));
		break;
	case SHARE_NAME:
		if (strcmp(n, "sysvmq") == 0)
			snprintf(r->url, sizeof(r->url), "sysvmq:0x%08x",
			         (unsigned int)check_sysv_key());
		else
			snprintf(r->url, sizeof(r->url), "%s:%s", n,
			         check_posix_name(n));
		break;
	case SHARE_ACCEPT:
	case SHARE_BOUND:
		if (strcmp(n, "tcp") == 0 || strcmp(n, "udp") == 0)
			snprintf(r->url, sizeof(r->url), "%s://127.0.0.1:0", n);
		else
			snprintf(r->url, sizeof(r->url), "%s:%s", n,
			         check_path(n));
		break;
	}
}

static void run_teardown(void *arg)
{
	struct run *r = arg;

	(void)ipc_chan_close(r->rd);
	(void)ipc_chan_close(r->wr);
	(void)ipc_chan_close(r->bound);
	r->rd = r->wr = r->bound = NULL;
	if (r->named) {
		(void)ipc_unlink_url(r->url);
		r->named = false;
	}
	if (r->sh != NULL) {
		(void)munmap(r->sh, r->sh_size);
		r->sh = NULL;
	}
}

/* The end of a run in the case process: remove what it made. */
static void run_finish(struct run *r)
{
	if (r->named) {
		CHECK_OK(ipc_unlink_url(r->url));
		r->named = false;
	}
	CHECK_OK(ipc_chan_close(r->rd));
	CHECK_OK(ipc_chan_close(r->wr));
	CHECK_OK(ipc_chan_close(r->bound));
	r->rd = r->wr = r->bound = NULL;
	run_teardown(r);
}

/*
 * Make the channel of a run and the shared audit area. The caller
 * registers run_teardown() once per case (check_defer) for failures.
 */
static void run_setup(struct run *r, const struct kind *k, int nprod, int ncons,
                      enum run_mode mode, uint64_t per_prod)
{
	struct ipc_chan_opts opts;
	ipc_chan *c = NULL;
	size_t words;

	memset(r, 0, sizeof(*r));
	r->k = k;
	r->mode = mode;
	r->nprod = nprod;
	r->ncons = ncons;
	words = (size_t)(per_prod + 63) / 64;
	r->sh_size = sizeof(struct shared) +
	             (size_t)nprod * words * sizeof(uint64_t);
	r->sh = mmap(NULL, r->sh_size, PROT_READ | PROT_WRITE,
	             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(r->sh != MAP_FAILED);
	r->sh->words = words;
	atomic_store(&r->sh->max_msg, UINT64_MAX);
	make_url(r);

	memset(&opts, 0, sizeof(opts));
	switch (k->share) {
	case SHARE_PIPE:
		CHECK_OK(ipc_chan_pipe(&r->rd, &r->wr, 0));
		break;
	case SHARE_FIFO:
		CHECK_OK(ipc_fifo_create(r->url + 5, 0, IPC_O_EXCL));
		r->named = true;
		break;
	case SHARE_NAME:
		if (strcmp(k->name, "ring") == 0)
			opts.capacity = mode == MODE_KILL ? (size_t)64 << 10
			                                  : (size_t)1 << 20;
		CHECK_OK(ipc_chan_open(&c, r->url,
		                       IPC_O_RDWR | IPC_O_CREATE | IPC_O_EXCL,
		                       &opts, IPC_DEADLINE_NOW));
		r->named = true;
		CHECK_OK(ipc_chan_close(c));
		break;
	case SHARE_ACCEPT:
	case SHARE_BOUND:
		CHECK_OK(ipc_chan_listen(&r->bound, r->url, 0, NULL));
		CHECK(ipc_chan_url(r->bound) != NULL);
		snprintf(r->url, sizeof(r->url), "%s", ipc_chan_url(r->bound));
		r->named = r->url[0] == 'u' && strncmp(r->url, "udp:", 4) != 0;
		break;
	}
}

/* In a child: close the inherited handles other than @keep. */
static void drop_others(struct run *r, ipc_chan *keep)
{
	if (r->rd != keep)
		CHECK_OK(ipc_chan_close(r->rd));
	if (r->wr != keep)
		CHECK_OK(ipc_chan_close(r->wr));
	if (r->bound != keep)
		CHECK_OK(ipc_chan_close(r->bound));
	r->rd = r->wr = r->bound = NULL;
}

static ipc_chan *open_producer(struct run *r)
{
	ipc_deadline d = ipc_deadline_in_ms(ms_scaled(10000));
	ipc_chan *c = NULL;

	switch (r->k->share) {
	case SHARE_PIPE:
		c = r->wr;
		break;
	case SHARE_FIFO:
	case SHARE_NAME:
	case SHARE_BOUND:
		CHECK_OK(ipc_chan_open(&c, r->url, IPC_O_WRITE, NULL, d));
		break;
	case SHARE_ACCEPT:
		CHECK_OK(ipc_chan_connect(&c, r->url, NULL, d));
		break;
	}
	CHECK(c != NULL);
	drop_others(r, c);
	return c;
}

/* A consumer's channel; for SHARE_ACCEPT, the next connection. */
static ipc_chan *open_consumer(struct run *r)
{
	ipc_deadline d = ipc_deadline_in_ms(ms_scaled(10000));
	ipc_chan *c = NULL;

	switch (r->k->share) {
	case SHARE_PIPE:
		c = r->rd;
		break;
	case SHARE_FIFO:
	case SHARE_NAME:
		CHECK_OK(ipc_chan_open(&c, r->url, IPC_O_READ, NULL, d));
		break;
	case SHARE_ACCEPT:
		CHECK_OK(ipc_chan_accept(r->bound, &c, d));
		break;
	case SHARE_BOUND:
		c = r->bound;
		break;
	}
	CHECK(c != NULL);
	drop_others(r, c);
	return c;
}

static void wait_go(struct shared *sh)
{
	ipc_deadline d = ipc_deadline_in_ms(ms_scaled(30000));

	while (atomic_load(&sh->go) == 0) {
		if (ipc_deadline_expired(d)) {
			fprintf(stderr, "  [pid %d] never told to go\n",
			        (int)getpid());
			_exit(2);
		}
		usleep(200);
	}
}

/* Size of message @seq in a boundary run over a channel of maximum @max. */
static size_t sized_at(size_t max, uint64_t seq)
{
	size_t sizes[MAX_SIZES];
	size_t n = boundary_sizes(max, sizes);

	return sizes[seq % n];
}

/* Messages per producer of a boundary run: rounds over the sizes. */
static uint64_t sized_count(size_t max)
{
	size_t sizes[MAX_SIZES];
	size_t n = boundary_sizes(max, sizes);
	size_t sum = 0;
	uint64_t rounds;
	size_t i;

	for (i = 0; i < n; i++)
		sum += sizes[i];
	rounds = ((uint64_t)128 << 20) / test_scale() / (sum + 1);
	if (rounds < 1)
		rounds = 1;
	if (rounds > 50)
		rounds = 50;
	return rounds * n;
}

/* The largest message of the log-uniform mix. */
static size_t mix_hi(const struct run *r, size_t max)
{
	size_t hi = max < 65536 ? max : 65536;

	/* Several writers on one byte stream: a frame (4-byte header and
	 * the message) of at most PIPE_BUF bytes is written at once. */
	if ((r->k->flags & KF_BYTES) != 0 && r->nprod > 1 && hi > 4092)
		hi = 4092;
	return hi;
}

/*
 * One message in 16 log-uniform up to @hi, the rest up to 1 KiB, and one
 * in 512 exactly @hi (the largest a pipe writes at once, a queue takes,
 * a datagram holds).
 */
static size_t mix_size(uint64_t *rng, size_t hi)
{
	uint64_t r = rnd_below(rng, 512);
	size_t top = r % 16 == 0 || hi < 1024 ? hi : 1024;

	if (r == 0)
		return hi;
	return rnd_logsize(rng, MSG_MIN, top);
}

/* ---------------------------------------------------------------------- */
/* Producers                                                               */

/* Lossy kinds: keep at most @window messages ahead of the reader. */
static void pace(struct run *r, int id, uint64_t seq, uint64_t window,
                 int64_t give_up_ms)
{
	struct shared *sh = r->sh;
	ipc_deadline d;

	if (seq < window || atomic_load(&sh->next_seq[id]) + window > seq)
		return;
	d = ipc_deadline_in_ms(give_up_ms);
	while (atomic_load(&sh->next_seq[id]) + window <= seq) {
		if (ipc_deadline_expired(d)) {
			atomic_fetch_add(&sh->paced_out, 1);
			if (r->mode == MODE_SIZES)
				atomic_store(&sh->skip, seq);
			return;
		}
		sched_yield();
	}
}

static void producer_main(void *arg)
{
	struct run *r = arg;
	struct shared *sh = r->sh;
	uint32_t id = (uint32_t)r->self;
	uint64_t rng = r->seed ^ mix64(id + 1u);
	bool lossy = (r->k->flags & KF_LOSSY) != 0;
	ipc_chan *c = open_producer(r);
	uint64_t max = ipc_chan_max_message(c);
	uint64_t cur = atomic_load(&sh->max_msg);
	unsigned char *buf;
	uint64_t per;
	uint64_t seq;
	size_t hi;
	size_t size;
	ipc_status st;

	while (max < cur &&
	       !atomic_compare_exchange_weak(&sh->max_msg, &cur, max))
		;
	atomic_fetch_add(&sh->ready, 1);
	wait_go(sh);
	max = atomic_load(&sh->max_msg);
	per = atomic_load(&sh->per_prod);
	hi = r->mode == MODE_SIZES ? (size_t)max : mix_hi(r, (size_t)max);
	buf = malloc(hi + 1);
	CHECK(buf != NULL);
	if (r->mode == MODE_SIZES) {
		/* One byte too many is refused before anything is sent. */
		memset(buf, 0, hi + 1);
		CHECK_ERR(ipc_chan_send(c, buf, hi + 1, IPC_DEADLINE_NOW),
		          -EMSGSIZE);
	}
	for (seq = 0; seq < per; seq++) {
		size = r->mode == MODE_SIZES ? sized_at(hi, seq)
		                             : mix_size(&rng, hi);
		msg_build(buf, id, seq, size);
		if (lossy) {
			if (r->mode == MODE_SIZES)
				pace(r, (int)id, seq, 1, ms_scaled(1000));
			else
				pace(r, (int)id, seq, 64, 20);
		}
		st = ipc_chan_send(c, buf, size,
		                   ipc_deadline_in_ms(ms_scaled(20000)));
		if (st != 0 && lossy &&
		    (st == -ECONNREFUSED || st == -ENOBUFS)) {
			atomic_fetch_add(&sh->send_drops, 1);
			continue;
		}
		if (st != 0)
			check_fail(__FILE__, __LINE__,
			           "producer %u: send seq %llu (%zu bytes): %s",
			           id, (unsigned long long)seq, size,
			           check_errname(st));
		atomic_store(&sh->sent[id], seq + 1);
	}
	CHECK_OK(ipc_chan_close(c));
	free(buf);
}

/* ---------------------------------------------------------------------- */
/* Consumers                                                               */

struct cstate {
	struct run *r;
	int id;
	unsigned char *buf;
	size_t cap;
	size_t max;
	unsigned int calls;
	uint64_t expect; /* boundary run: the next seq */
	int64_t last[MAX_PROD];
	int64_t idle_since;
};

/* Receive one message, alternating the copying and the borrowing call. */
static ipc_status recv_one(struct cstate *cs, ipc_chan *c,
                           const unsigned char **p, size_t *n, ipc_deadline d)
{
	const void *data = NULL;
	ipc_status st;

	if ((cs->calls++ & 1u) != 0) {
		st = ipc_chan_recv_borrow(c, &data, n, NULL, d);
		*p = data;
	} else {
		st = ipc_chan_recv(c, cs->buf, cs->cap, n, d);
		*p = cs->buf;
	}
	return st;
}

static void consume(struct cstate *cs, const unsigned char *p, size_t n)
{
	struct run *r = cs->r;
	struct shared *sh = r->sh;
	bool lossy = (r->k->flags & KF_LOSSY) != 0;
	const char *why;
	uint32_t prod = 0;
	uint64_t seq = 0;
	uint64_t want = 0;
	uint64_t bit;
	uint64_t old;
	uint64_t skip;

	if (r->mode == MODE_SIZES) {
		want = cs->expect;
		skip = atomic_load(&sh->skip);
		if (lossy && skip > want)
			want = skip;
	}
	if (r->mode == MODE_SIZES && n < MSG_MIN) {
		/* A short boundary message: only its place names it. */
		if (n != sized_at(cs->max, want) ||
		    !pattern_equal(0, want, p, n)) {
			note(sh, &sh->corrupt,
			     "consumer %d: %zu-byte message where seq %llu of "
			     "%zu bytes was due",
			     cs->id, n, (unsigned long long)want,
			     sized_at(cs->max, want));
			return;
		}
		seq = want;
	} else {
		why = msg_parse(p, n, &prod, &seq);
		if (why == NULL && prod >= (uint32_t)r->nprod)
			why = "unknown producer";
		if (why == NULL && seq >= atomic_load(&sh->per_prod))
			why = "seq out of range";
		if (why == NULL && r->mode == MODE_SIZES &&
		    n != sized_at(cs->max, seq))
			why = "size differs from the schedule";
		if (why != NULL) {
			note(sh, &sh->corrupt,
			     "consumer %d: %zu-byte message: %s (producer %u "
			     "seq %llu)",
			     cs->id, n, why, prod, (unsigned long long)seq);
			return;
		}
		if (r->mode == MODE_SIZES && seq != want &&
		    !(lossy && seq > want)) {
			note(sh, &sh->reorder,
			     "consumer %d: seq %llu where %llu was due", cs->id,
			     (unsigned long long)seq, (unsigned long long)want);
		}
	}
	if ((int64_t)seq <= cs->last[prod])
		note(sh, &sh->reorder,
		     "consumer %d: producer %u seq %llu after seq %lld", cs->id,
		     prod, (unsigned long long)seq, (long long)cs->last[prod]);
	cs->last[prod] = (int64_t)seq;
	cs->expect = seq + 1;
	bit = 1ull << (seq % 64);
	old = atomic_fetch_or(&sh->bits[prod * sh->words + seq / 64], bit);
	if ((old & bit) != 0)
		note(sh, &sh->dup, "consumer %d: producer %u seq %llu twice",
		     cs->id, prod, (unsigned long long)seq);
	atomic_store(&sh->next_seq[prod], seq + 1);
	atomic_fetch_add(&sh->cons_msgs[cs->id], 1);
	atomic_fetch_add(&sh->bytes, n);
	atomic_store(&sh->t_last, ipc_now());
	atomic_fetch_add(&sh->received, 1);
}

/*
 * After a receive timed out: whether this consumer is done. Kinds without
 * an end of stream stop when every message has arrived; all stop when
 * nothing came for a while after the producers ended (the audit then
 * reports what is missing).
 */
static bool idle_done(struct cstate *cs)
{
	struct run *r = cs->r;
	struct shared *sh = r->sh;
	bool lossy = (r->k->flags & KF_LOSSY) != 0;
	int64_t limit = ms_scaled(lossy ? 300 : 3000) * 1000000;

	if ((r->k->flags & KF_EOF) == 0 &&
	    atomic_load(&sh->received) >= atomic_load(&sh->total))
		return true;
	if (atomic_load(&sh->producers_done) == 0) {
		cs->idle_since = 0;
		return false;
	}
	if (cs->idle_since == 0)
		cs->idle_since = ipc_now();
	if (ipc_now() - cs->idle_since < limit)
		return false;
	if (!lossy)
		note(sh, &sh->errors,
		     "consumer %d: nothing for %lld ms after the producers "
		     "ended (%s)",
		     cs->id, (long long)(limit / 1000000),
		     (r->k->flags & KF_EOF) != 0 ? "no end of stream"
		                                 : "messages missing");
	return true;
}

/* A consumer of one channel: until the end of the stream or the count. */
static void serve_one(struct cstate *cs, ipc_chan *c)
{
	struct run *r = cs->r;
	struct shared *sh = r->sh;
	const unsigned char *p;
	size_t n = 0;
	ipc_status st;

	for (;;) {
		st = recv_one(cs, c, &p, &n, ipc_deadline_in_ms(50));
		if (st == 0) {
			consume(cs, p, n);
			cs->idle_since = 0;
			if ((r->k->flags & KF_EOF) == 0 &&
			    atomic_load(&sh->received) >=
			            atomic_load(&sh->total))
				return;
			continue;
		}
		if (st == -ETIMEDOUT) {
			if (idle_done(cs))
				return;
			continue;
		}
		if (st == -EPIPE && (r->k->flags & KF_EOF) != 0)
			return;
		note(sh, &sh->errors, "consumer %d: recv: %s (%zu bytes)",
		     cs->id, check_errname(st), n);
		return;
	}
}

/* Stream sockets: accept connections and serve them with the poller. */
static void serve_accept(struct cstate *cs, ipc_chan *listener)
{
	static char listen_tag;
	struct run *r = cs->r;
	struct shared *sh = r->sh;
	ipc_chan *conns[MAX_PROD] = {NULL};
	struct ipc_loop_event evs[8];
	const unsigned char *p;
	ipc_loop *l;
	ipc_chan *c;
	ipc_status st;
	size_t nev = 0;
	size_t n = 0;
	size_t i;
	int quota = (r->nprod + r->ncons - 1) / r->ncons;
	bool listening;
	int live = 0;
	int mine = 0;
	int slot;
	int j;

	CHECK_OK(ipc_loop_open(&l));
	CHECK_OK(ipc_loop_add_chan(l, listener, IPC_EV_READ, &listen_tag));
	listening = true;
	for (;;) {
		if (live == 0 &&
		    atomic_load(&sh->accepted) >= (unsigned int)r->nprod)
			break;
		st = ipc_loop_wait(l, evs, 8, &nev, ipc_deadline_in_ms(50));
		if (st == -ETIMEDOUT) {
			if (idle_done(cs))
				break;
			continue;
		}
		if (st != 0) {
			note(sh, &sh->errors, "consumer %d: loop wait: %s",
			     cs->id, check_errname(st));
			break;
		}
		cs->idle_since = 0;
		for (i = 0; i < nev; i++) {
			if (evs[i].tag == &listen_tag) {
				st = ipc_chan_accept(listener, &c,
				                     IPC_DEADLINE_NOW);
				if (st == -EAGAIN)
					continue;
				CHECK_OK(st);
				for (slot = 0; conns[slot] != NULL; slot++)
					;
				conns[slot] = c;
				CHECK_OK(ipc_loop_add_chan(l, c, IPC_EV_READ,
				                           &conns[slot]));
				atomic_fetch_add(&sh->accepted, 1);
				live++;
				/* A fair share each, so that every consumer
				 * serves connections. */
				if (++mine == quota) {
					CHECK_OK(ipc_loop_remove(l,
					                         &listen_tag));
					listening = false;
				}
				continue;
			}
			slot = (int)((ipc_chan **)evs[i].tag - conns);
			c = conns[slot];
			/* Level-triggered: take a batch, come back later. */
			for (j = 0; j < 64; j++) {
				st = recv_one(cs, c, &p, &n, IPC_DEADLINE_NOW);
				if (st != 0)
					break;
				consume(cs, p, n);
			}
			if (st == 0 || st == -EAGAIN)
				continue;
			if (st != -EPIPE)
				note(sh, &sh->errors,
				     "consumer %d: recv: %s (%zu bytes)",
				     cs->id, check_errname(st), n);
			CHECK_OK(ipc_loop_remove(l, &conns[slot]));
			CHECK_OK(ipc_chan_close(c));
			conns[slot] = NULL;
			live--;
		}
	}
	for (slot = 0; slot < MAX_PROD; slot++) {
		if (conns[slot] != NULL) {
			CHECK_OK(ipc_loop_remove(l, &conns[slot]));
			CHECK_OK(ipc_chan_close(conns[slot]));
		}
	}
	if (listening)
		CHECK_OK(ipc_loop_remove(l, &listen_tag));
	CHECK_OK(ipc_loop_close(l));
}

static void consumer_main(void *arg)
{
	struct run *r = arg;
	struct shared *sh = r->sh;
	struct cstate cs;
	ipc_chan *c;
	int i;

	memset(&cs, 0, sizeof(cs));
	cs.r = r;
	cs.id = r->self;
	for (i = 0; i < MAX_PROD; i++)
		cs.last[i] = -1;
	if (r->k->share == SHARE_ACCEPT) {
		c = r->bound;
		drop_others(r, c);
	} else {
		c = open_consumer(r);
	}
	atomic_fetch_add(&sh->cready, 1);
	wait_go(sh);
	cs.max = (size_t)atomic_load(&sh->max_msg);
	cs.cap = r->mode == MODE_SIZES ? cs.max : mix_hi(r, cs.max);
	cs.buf = malloc(cs.cap);
	CHECK(cs.buf != NULL);
	if (r->k->share == SHARE_ACCEPT)
		serve_accept(&cs, c);
	else
		serve_one(&cs, c);
	CHECK_OK(ipc_chan_close(c));
	free(cs.buf);
}

/* ---------------------------------------------------------------------- */
/* The load cases                                                          */

/* Wait for a helper; its status, or -1 when it did not end well. */
static bool reap_ok(pid_t pid, const char *what, int idx)
{
	int ws = check_wait(pid, 60000);

	if (check_exited_ok(ws))
		return true;
	if (WIFSIGNALED(ws))
		fprintf(stderr, "  %s %d died of signal %d\n", what, idx,
		        WTERMSIG(ws));
	else
		fprintf(stderr, "  %s %d exited with %d\n", what, idx,
		        WEXITSTATUS(ws));
	return false;
}

static void wait_ready(struct shared *sh, int np, int nc)
{
	ipc_deadline d = ipc_deadline_in_ms(ms_scaled(15000));

	while (atomic_load(&sh->ready) < np || atomic_load(&sh->cready) < nc) {
		if (ipc_deadline_expired(d))
			check_fail(__FILE__, __LINE__,
			           "%d/%d producers and %d/%d consumers ready",
			           atomic_load(&sh->ready), np,
			           atomic_load(&sh->cready), nc);
		usleep(200);
	}
}

static struct run the_run;

/* Whether seq @seq of producer @prod arrived. */
static bool seen(struct shared *sh, int prod, uint64_t seq)
{
	uint64_t word = atomic_load(
	        &sh->bits[(size_t)prod * sh->words + (size_t)(seq / 64)]);

	return (word >> (seq % 64) & 1u) != 0;
}

static void run_load(const char *kind, int np, int nc, enum run_mode mode)
{
	const struct kind *k = find_kind(kind);
	struct run *r = &the_run;
	char name[64];
	uint64_t per = TOTAL_MESSAGES / test_scale() / (unsigned int)np;
	uint64_t seed;
	pid_t cons[MAX_CONS];
	pid_t prods[MAX_PROD];
	uint64_t missing = 0;
	uint64_t total;
	uint64_t recvd;
	struct shared *sh;
	ipc_deadline t0;
	double secs;
	bool ok = true;
	size_t w;
	int i;

	snprintf(name, sizeof(name), "%s %dx%d%s", kind, np, nc,
	         mode == MODE_SIZES ? " sizes" : "");
	seed = case_seed(name);
	if (per < 1)
		per = 1;
	if (mode == MODE_SIZES && per < 1024)
		per = 1024; /* bitmap room; the real count comes later */
	check_defer(run_teardown, r);
	run_setup(r, k, np, nc, mode, per);
	sh = r->sh;
	r->seed = seed;
	for (i = 0; i < nc; i++) {
		r->self = i;
		cons[i] = check_fork(consumer_main, r);
	}
	for (i = 0; i < np; i++) {
		r->self = i;
		prods[i] = check_fork(producer_main, r);
	}
	/* The children have their ends: the parent keeps none open. */
	CHECK_OK(ipc_chan_close(r->rd));
	CHECK_OK(ipc_chan_close(r->wr));
	r->rd = r->wr = NULL;
	wait_ready(sh, np, k->share == SHARE_ACCEPT ? 0 : nc);
	if (mode == MODE_SIZES)
		per = sized_count((size_t)atomic_load(&sh->max_msg));
	CHECK(per <= sh->words * 64);
	atomic_store(&sh->per_prod, per);
	atomic_store(&sh->total, per * (unsigned int)np);
	t0 = ipc_now();
	atomic_store(&sh->go, 1);
	for (i = 0; i < np; i++)
		ok &= reap_ok(prods[i], "producer", i);
	atomic_store(&sh->producers_done, 1);
	for (i = 0; i < nc; i++)
		ok &= reap_ok(cons[i], "consumer", i);

	total = per * (unsigned int)np;
	recvd = atomic_load(&sh->received);
	for (i = 0; i < np; i++) {
		for (w = 0; w < per; w++) {
			if (seen(sh, i, w))
				continue;
			if (missing++ == 0 && (k->flags & KF_LOSSY) == 0)
				fprintf(stderr,
				        "  first missing: producer %d seq %zu\n",
				        i, w);
		}
	}
	secs = (double)(atomic_load(&sh->t_last) - t0) / 1e9;
	if (secs <= 0)
		secs = 1e-9;
	printf("# %-10s %dx%d %-5s max %8llu: %8llu msgs %8.1f MB %6.2f s "
	       "%9.0f msg/s %7.1f MB/s",
	       kind, np, nc, mode == MODE_SIZES ? "sizes" : "mix",
	       (unsigned long long)atomic_load(&sh->max_msg),
	       (unsigned long long)recvd, (double)atomic_load(&sh->bytes) / 1e6,
	       secs, (double)recvd / secs,
	       (double)atomic_load(&sh->bytes) / 1e6 / secs);
	if (nc > 1)
		printf(" (consumers %llu/%llu)",
		       (unsigned long long)atomic_load(&sh->cons_msgs[0]),
		       (unsigned long long)atomic_load(&sh->cons_msgs[1]));
	if ((k->flags & KF_LOSSY) != 0)
		printf(" lost %llu (%.3f%%), send drops %llu, pacing "
		       "gave up %llu",
		       (unsigned long long)missing,
		       100.0 * (double)missing / (double)total,
		       (unsigned long long)atomic_load(&sh->send_drops),
		       (unsigned long long)atomic_load(&sh->paced_out));
	printf("\n");
	fflush(stdout);
	if (sh->err[0] != '\0')
		fprintf(stderr, "  first problem: %s\n", sh->err);
	CHECK(ok);
	CHECK_EQ(atomic_load(&sh->corrupt), 0);
	CHECK_EQ(atomic_load(&sh->dup), 0);
	CHECK_EQ(atomic_load(&sh->reorder), 0);
	if ((k->flags & KF_LOSSY) == 0) {
		CHECK_EQ(missing, 0);
		CHECK_EQ(recvd, total);
	} else {
		CHECK_EQ(recvd + missing, total);
	}
	CHECK_EQ(atomic_load(&sh->errors), 0);
	run_finish(r);
}

/* ---------------------------------------------------------------------- */
/* Kill tests                                                              */

#define KILL_HI ((size_t)256 << 10) /* messages up to 256 KiB: mid-frame */

static int kill_count(void)
{
	unsigned int n = KILLS / test_scale();

	return n < 4 ? 4 : (int)n;
}

/* Reap a helper that must have died of SIGKILL. */
static void reap_killed(pid_t pid, const char *what)
{
	int ws = check_wait(pid, 10000);

	if (!WIFSIGNALED(ws) || WTERMSIG(ws) != SIGKILL)
		check_fail(__FILE__, __LINE__,
		           "%s: status 0x%x, want death by SIGKILL", what, ws);
}

static bool dead_now(pid_t pid, const char *what)
{
	int ws = 0;
	pid_t got = waitpid(pid, &ws, WNOHANG);

	if (got != pid)
		return false;
	if (!WIFSIGNALED(ws) || WTERMSIG(ws) != SIGKILL)
		check_fail(__FILE__, __LINE__,
		           "%s: status 0x%x, want death by SIGKILL", what, ws);
	return true;
}

/*
 * Die of SIGKILL in the middle of things, the channel still open. The
 * buffer goes first: valgrind runs its leak check on a self-sent SIGKILL.
 */
static void die_now(void *buf)
{
	free(buf);
	kill(getpid(), SIGKILL);
}

/* The producer of a kill test: sends until killed, or kills itself. */
static void kill_producer_child(void *arg)
{
	struct run *r = arg;
	struct shared *sh = r->sh;
	uint64_t rng = r->seed;
	ipc_chan *c = open_producer(r);
	size_t max = ipc_chan_max_message(c);
	size_t hi = max < KILL_HI ? max : KILL_HI;
	unsigned char *buf = malloc(hi);
	uint64_t seq;
	size_t size;
	ipc_status st;

	CHECK(buf != NULL);
	atomic_store(&sh->max_msg, max);
	atomic_fetch_add(&sh->ready, 1);
	wait_go(sh);
	for (seq = 0;; seq++) {
		size = rnd_logsize(&rng, MSG_MIN, hi);
		msg_build(buf, 0, seq, size);
		st = ipc_chan_send(c, buf, size,
		                   ipc_deadline_in_ms(ms_scaled(30000)));
		if (st != 0) {
			fprintf(stderr, "  producer: send seq %llu: %s\n",
			        (unsigned long long)seq, check_errname(st));
			_exit(3);
		}
		atomic_store(&sh->sent[0], seq + 1);
		if (r->by_index && seq == r->index)
			die_now(buf);
	}
}

/* The consumer of a kill test: reads and checks until killed. */
static void kill_consumer_child(void *arg)
{
	struct run *r = arg;
	struct shared *sh = r->sh;
	ipc_chan *c = open_consumer(r);
	unsigned char *buf;
	const char *why;
	uint32_t prod;
	uint64_t seq;
	uint64_t n;
	size_t cap;
	size_t len = 0;
	ipc_status st;

	atomic_fetch_add(&sh->cready, 1);
	wait_go(sh);
	cap = (size_t)atomic_load(&sh->max_msg);
	buf = malloc(cap);
	CHECK(buf != NULL);
	for (n = 0;; n++) {
		if (r->by_index && n == r->index)
			die_now(buf);
		st = ipc_chan_recv(c, buf, cap, &len,
		                   ipc_deadline_in_ms(ms_scaled(30000)));
		if (st != 0) {
			fprintf(stderr, "  consumer: recv #%llu: %s\n",
			        (unsigned long long)n, check_errname(st));
			_exit(3);
		}
		why = msg_parse(buf, len, &prod, &seq);
		if (why == NULL && (prod != 0 || seq != n))
			why = "not the next message";
		if (why != NULL) {
			fprintf(stderr, "  consumer: message #%llu: %s\n",
			        (unsigned long long)n, why);
			_exit(4);
		}
		atomic_store(&sh->next_seq[0], seq + 1);
	}
}

struct kill_tally {
	int runs;
	int by_index;
	int eof;
	int reset;
	int deadline;
	uint64_t messages;
	uint64_t lost;
};

/* Set up one kill run, its plan drawn from @rng. */
static void kill_setup(struct run *r, const struct kind *k, uint64_t *rng,
                       uint64_t iter, int *delay_ms)
{
	run_setup(r, k, 1, 1, MODE_KILL, 1);
	r->seed = rnd(rng);
	r->by_index = (iter & 1u) != 0;
	r->index = rnd_below(rng, 200);
	*delay_ms = (int)rnd_below(rng, 51);
}

static void go_now(struct run *r)
{
	wait_ready(r->sh, 1, 1);
	atomic_store(&r->sh->go, 1);
}

/* A producer dies; the parent reads. */
static void kill_producer_once(const struct kind *k, uint64_t *rng,
                               uint64_t iter, struct kill_tally *t)
{
	struct run *r = &the_run;
	bool eof_kind = (k->flags & KF_EOF) != 0;
	unsigned char *buf;
	const unsigned char *p;
	const char *why;
	ipc_deadline kill_at;
	ipc_deadline dead_at = 0;
	ipc_deadline d;
	ipc_chan *c;
	uint64_t expect = 0;
	uint64_t sent;
	uint64_t seq;
	uint32_t prod;
	size_t cap;
	size_t n = 0;
	ipc_status st;
	bool dead = false;
	int delay_ms;
	pid_t pid;

	kill_setup(r, k, rng, iter, &delay_ms);
	pid = check_fork(kill_producer_child, r);
	if (k->share == SHARE_PIPE) {
		CHECK_OK(ipc_chan_close(r->wr));
		r->wr = NULL;
	}
	c = open_consumer(r);
	if (k->share == SHARE_PIPE)
		r->rd = c; /* closed by the teardown on a failure */
	atomic_store(&r->sh->cready, 1);
	go_now(r);
	kill_at = ipc_now() + (int64_t)delay_ms * 1000000;
	cap = (size_t)atomic_load(&r->sh->max_msg);
	buf = malloc(cap);
	CHECK(buf != NULL);
	for (;;) {
		if (!dead && !r->by_index && ipc_now() >= kill_at) {
			kill(pid, SIGKILL);
			reap_killed(pid, "producer");
			dead = true;
			dead_at = ipc_now();
		}
		if (dead)
			d = ipc_deadline_in_ms(ms_scaled(eof_kind ? 2000 : 50));
		else if (r->by_index)
			d = ipc_deadline_in_ms(20);
		else
			d = kill_at;
		st = ipc_chan_recv(c, buf, cap, &n, d);
		if (st == 0) {
			p = buf;
			why = msg_parse(p, n, &prod, &seq);
			if (why == NULL && (prod != 0 || seq != expect))
				why = "not the next message";
			if (why != NULL)
				check_fail(__FILE__, __LINE__,
				           "%s: message #%llu (%zu bytes): %s "
				           "(seq %llu)",
				           k->name, (unsigned long long)expect,
				           n, why, (unsigned long long)seq);
			expect++;
			continue;
		}
		if (st == -ETIMEDOUT) {
			if (!dead) {
				if (r->by_index && dead_now(pid, "producer")) {
					dead = true;
					dead_at = ipc_now();
				}
				continue;
			}
			if (eof_kind)
				check_fail(__FILE__, __LINE__,
				           "%s: no end of stream %lld ms after "
				           "the producer died",
				           k->name, (long long)ms_scaled(2000));
			t->deadline++;
			break;
		}
		if (eof_kind && (st == -EPIPE || st == -ECONNRESET)) {
			if (!dead) {
				/* Only a producer that killed itself ends
				 * the stream. */
				CHECK(r->by_index);
				reap_killed(pid, "producer");
				dead = true;
			} else {
				CHECK((ipc_now() - dead_at) / 1000000 <=
				      ms_scaled(1000));
			}
			if (st == -EPIPE)
				t->eof++;
			else
				t->reset++;
			break;
		}
		check_fail(__FILE__, __LINE__, "%s: recv #%llu: %s", k->name,
		           (unsigned long long)expect, check_errname(st));
	}
	sent = atomic_load(&r->sh->sent[0]);
	if (r->by_index) {
		CHECK_EQ(sent, r->index + 1);
		CHECK_EQ(expect, sent);
	} else if (expect != sent && expect != sent + 1) {
		check_fail(__FILE__, __LINE__,
		           "%s: %llu messages delivered, %llu sent", k->name,
		           (unsigned long long)expect,
		           (unsigned long long)sent);
	}
	t->runs++;
	t->by_index += r->by_index;
	t->messages += expect;
	free(buf);
	if (k->share == SHARE_PIPE)
		r->rd = NULL;
	CHECK_OK(ipc_chan_close(c));
	run_finish(r);
}

/*
 * After a consumer of a queue died: the messages left are the sequence
 * from where it stopped (or one later: the message in its hands) to the
 * last sent, in order.
 */
static void drain_after_consumer(struct run *r, uint64_t sent,
                                 struct kill_tally *t)
{
	uint64_t taken = atomic_load(&r->sh->next_seq[0]);
	unsigned char *buf;
	const char *why;
	ipc_chan *c;
	uint64_t first = UINT64_MAX;
	uint64_t expect = 0;
	uint64_t seq;
	uint32_t prod;
	size_t cap = (size_t)atomic_load(&r->sh->max_msg);
	size_t n = 0;
	ipc_status st;

	buf = malloc(cap);
	CHECK(buf != NULL);
	CHECK_OK(ipc_chan_open(&c, r->url, IPC_O_READ, NULL,
	                       ipc_deadline_in_ms(1000)));
	for (;;) {
		st = ipc_chan_recv(c, buf, cap, &n, ipc_deadline_in_ms(50));
		if (st == -ETIMEDOUT)
			break;
		if (st != 0)
			check_fail(__FILE__, __LINE__, "%s: drain: %s",
			           r->k->name, check_errname(st));
		why = msg_parse(buf, n, &prod, &seq);
		if (why != NULL)
			check_fail(__FILE__, __LINE__, "%s: drain: %s",
			           r->k->name, why);
		if (first == UINT64_MAX) {
			first = expect = seq;
			if (seq != taken && !(seq == taken + 1 && !r->by_index))
				check_fail(__FILE__, __LINE__,
				           "%s: after the dead consumer's seq "
				           "%lld comes seq %llu",
				           r->k->name, (long long)taken - 1,
				           (unsigned long long)seq);
		}
		if (seq != expect)
			check_fail(__FILE__, __LINE__,
			           "%s: drain: seq %llu where %llu was due",
			           r->k->name, (unsigned long long)seq,
			           (unsigned long long)expect);
		expect++;
	}
	if (first == UINT64_MAX) {
		/* Nothing left: the dead consumer took it all, or all but
		 * the one it died with. */
		CHECK(sent == taken || (sent == taken + 1 && !r->by_index));
		t->lost += sent - taken;
	} else {
		CHECK_EQ(expect, sent);
		t->lost += first - taken;
	}
	CHECK_OK(ipc_chan_close(c));
	free(buf);
}

/* A consumer dies; the parent sends. */
static void kill_consumer_once(const struct kind *k, uint64_t *rng,
                               uint64_t iter, struct kill_tally *t)
{
	struct run *r = &the_run;
	bool eof_kind = (k->flags & KF_EOF) != 0;
	unsigned char *buf;
	ipc_deadline kill_at;
	ipc_deadline dead_at = 0;
	ipc_deadline d;
	ipc_chan *c;
	uint64_t seq = 0;
	uint64_t built = UINT64_MAX;
	size_t max;
	size_t hi;
	size_t size = 0;
	ipc_status st;
	bool dead = false;
	int delay_ms;
	pid_t pid;

	kill_setup(r, k, rng, iter, &delay_ms);
	pid = check_fork(kill_consumer_child, r);
	if (k->share == SHARE_PIPE) {
		CHECK_OK(ipc_chan_close(r->rd));
		r->rd = NULL;
	}
	c = open_producer(r);
	if (k->share == SHARE_PIPE)
		r->wr = c;
	max = ipc_chan_max_message(c);
	hi = max < KILL_HI ? max : KILL_HI;
	atomic_store(&r->sh->max_msg, max);
	atomic_store(&r->sh->ready, 1);
	go_now(r);
	kill_at = ipc_now() + (int64_t)delay_ms * 1000000;
	buf = malloc(hi);
	CHECK(buf != NULL);
	for (;;) {
		if (!dead && !r->by_index && ipc_now() >= kill_at) {
			kill(pid, SIGKILL);
			reap_killed(pid, "consumer");
			dead = true;
			dead_at = ipc_now();
		}
		if (built != seq) {
			size = rnd_logsize(rng, MSG_MIN, hi);
			msg_build(buf, 0, seq, size);
			built = seq;
		}
		if (dead)
			d = ipc_deadline_in_ms(ms_scaled(eof_kind ? 2000 : 50));
		else if (r->by_index)
			d = ipc_deadline_in_ms(20);
		else
			d = kill_at;
		st = ipc_chan_send(c, buf, size, d);
		if (st == 0) {
			seq++;
			continue;
		}
		if (st == -ETIMEDOUT) {
			if (!dead) {
				if (r->by_index && dead_now(pid, "consumer")) {
					dead = true;
					dead_at = ipc_now();
				}
				continue;
			}
			if (eof_kind)
				check_fail(__FILE__, __LINE__,
				           "%s: send waited for its deadline "
				           "after the reader died",
				           k->name);
			t->deadline++;
			break;
		}
		if (eof_kind && (st == -EPIPE || st == -ECONNRESET)) {
			if (!dead) {
				CHECK(r->by_index);
				reap_killed(pid, "consumer");
				dead = true;
			} else {
				CHECK((ipc_now() - dead_at) / 1000000 <=
				      ms_scaled(1000));
			}
			if (st == -EPIPE)
				t->eof++;
			else
				t->reset++;
			break;
		}
		check_fail(__FILE__, __LINE__, "%s: send seq %llu: %s", k->name,
		           (unsigned long long)seq, check_errname(st));
	}
	t->runs++;
	t->by_index += r->by_index;
	t->messages += seq;
	free(buf);
	if (k->share == SHARE_PIPE)
		r->wr = NULL;
	CHECK_OK(ipc_chan_close(c));
	if (!eof_kind)
		drain_after_consumer(r, seq, t);
	run_finish(r);
}

static void run_kills(const char *kind, bool producer)
{
	const struct kind *k = find_kind(kind);
	struct kill_tally t;
	char name[64];
	uint64_t rng;
	int n = kill_count();
	int i;

	snprintf(name, sizeof(name), "kill %s %s",
	         producer ? "producer" : "consumer", kind);
	rng = case_seed(name);
	memset(&t, 0, sizeof(t));
	check_defer(run_teardown, &the_run);
	for (i = 0; i < n; i++) {
		if (producer)
			kill_producer_once(k, &rng, (uint64_t)i, &t);
		else
			kill_consumer_once(k, &rng, (uint64_t)i, &t);
	}
	printf("# %-10s kill %s: %d kills (%d at an index): %d EPIPE, %d "
	       "ECONNRESET, %d deadline; %llu messages checked, %llu lost "
	       "with a dead consumer\n",
	       kind, producer ? "producer" : "consumer", t.runs, t.by_index,
	       t.eof, t.reset, t.deadline, (unsigned long long)t.messages,
	       (unsigned long long)t.lost);
	fflush(stdout);
}

/* ---------------------------------------------------------------------- */
/* Self-tests of the checker                                               */

static void test_crc32c_known_values(void)
{
	unsigned char big[1000];
	uint32_t slow = 0xffffffffu;
	size_t i;
	int j;

	CHECK_EQ(crc32c("123456789", 9), 0xe3069283u);
	CHECK_EQ(crc32c("", 0), 0);
	check_fill(big, sizeof(big), 3, 0);
	for (i = 0; i < sizeof(big); i++) {
		slow ^= big[i];
		for (j = 0; j < 8; j++)
			slow = (slow & 1u) != 0 ? slow >> 1 ^ 0x82f63b78u
			                        : slow >> 1;
	}
	CHECK_EQ(crc32c(big, sizeof(big)), ~slow);
}

static void test_checker_catches_damage(void)
{
	unsigned char m[300];
	uint32_t prod;
	uint64_t seq;
	size_t bit;

	msg_build(m, 3, 12345, sizeof(m));
	CHECK(msg_parse(m, sizeof(m), &prod, &seq) == NULL);
	CHECK_EQ(prod, 3);
	CHECK_EQ(seq, 12345);
	for (bit = 0; bit < sizeof(m) * 8; bit++) {
		m[bit / 8] ^= (unsigned char)(1u << bit % 8);
		CHECK(msg_parse(m, sizeof(m), &prod, &seq) != NULL);
		m[bit / 8] ^= (unsigned char)(1u << bit % 8);
	}
	CHECK(msg_parse(m, sizeof(m) - 1, &prod, &seq) != NULL);
	CHECK(msg_parse(m, MSG_MIN - 1, &prod, &seq) != NULL);
	msg_build(m, 0, 7, 7);
	CHECK(pattern_equal(0, 7, m, 7));
	CHECK(!pattern_equal(0, 8, m, 7));
}

/* ---------------------------------------------------------------------- */
/* The cases: one function per (kind, topology), stamped from tables      */

/* Multi-consumer on one byte stream means nothing (who reads which
 * bytes?): pipe and fifo run with one consumer only. */
#define TOPO_ONE_READER(X, k) X(k, 1, 1) X(k, 2, 1) X(k, 4, 1)
#define TOPO_ALL(X, k)        TOPO_ONE_READER(X, k) X(k, 1, 2) X(k, 2, 2) X(k, 4, 2)

#define LOAD_TABLE(X)                                                          \
	TOPO_ONE_READER(X, pipe)                                               \
	TOPO_ONE_READER(X, fifo)                                               \
	TOPO_ALL(X, mq)                                                        \
	TOPO_ALL(X, sysvmq)                                                    \
	TOPO_ALL(X, ring)                                                      \
	TOPO_ALL(X, unix)                                                      \
	TOPO_ALL(X, unixpacket)                                                \
	TOPO_ALL(X, tcp)                                                       \
	TOPO_ALL(X, unixgram)                                                  \
	TOPO_ALL(X, udp)

#define KIND_TABLE(X)                                                          \
	X(pipe)                                                                \
	X(fifo)                                                                \
	X(mq) X(sysvmq) X(ring) X(unix) X(unixpacket) X(tcp) X(unixgram) X(udp)

#define KILL_TABLE(X)                                                          \
	X(pipe) X(fifo) X(mq) X(sysvmq) X(ring) X(unix) X(unixpacket) X(tcp)

#define DEFINE_LOAD(k, p, c)                                                   \
	static void test_load_##k##_##p##x##c(void)                            \
	{                                                                      \
		run_load(#k, p, c, MODE_MIX);                                  \
	}
#define DEFINE_SIZES(k)                                                        \
	static void test_sizes_##k(void)                                       \
	{                                                                      \
		run_load(#k, 1, 1, MODE_SIZES);                                \
	}
#define DEFINE_KILL(k)                                                         \
	static void test_kill_producer_##k(void)                               \
	{                                                                      \
		run_kills(#k, true);                                           \
	}                                                                      \
	static void test_kill_consumer_##k(void)                               \
	{                                                                      \
		run_kills(#k, false);                                          \
	}

LOAD_TABLE(DEFINE_LOAD)
KIND_TABLE(DEFINE_SIZES)
KILL_TABLE(DEFINE_KILL)

#define CASE_LOAD(k, p, c) CHECK_CASE(test_load_##k##_##p##x##c),
#define CASE_SIZES(k)      CHECK_CASE(test_sizes_##k),
#define CASE_KILL(k)                                                           \
	CHECK_CASE(test_kill_producer_##k), CHECK_CASE(test_kill_consumer_##k),

static const struct check_case cases[] = {
        CHECK_CASE(test_crc32c_known_values),
        CHECK_CASE(test_checker_catches_damage),
        LOAD_TABLE(CASE_LOAD) KIND_TABLE(CASE_SIZES)
                KILL_TABLE(CASE_KILL){NULL, NULL}};

int main(int argc, char **argv)
{
	crc32c_init();
	return check_main(argc, argv, cases);
}
