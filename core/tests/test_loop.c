/* SPDX-License-Identifier: MIT */
/* The poller: readiness of pipes, sockets, queues, signal sets and pidfds,
 * level triggering, more ready sources than room, timers, removal with
 * events pending, modify, deadlines, EINTR, nesting, threads, and
 * channels (read-ahead of framed channels, rings across processes). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ipc/chan.h"
#include "ipc/loop.h"
#include "ipc/mq.h"
#include "ipc/proc.h"
#include "ipc/ring.h"
#include "ipc/signal.h"
#include "ipc/socket.h"

/* Tags: the addresses of these bytes. */
static char tag_a, tag_b, tag_c, tag_t;
static char tags[64];

static ipc_loop *open_loop(void)
{
	ipc_loop *l = NULL;

	CHECK_OK(ipc_loop_open(&l));
	CHECK(l != NULL);
	CHECK(ipc_loop_fd(l) >= 0);
	CHECK((fcntl(ipc_loop_fd(l), F_GETFD) & FD_CLOEXEC) != 0);
	CHECK_EQ(ipc_loop_count(l), 0);
	return l;
}

static void make_pipe(int fds[2])
{
	CHECK_EQ(pipe2(fds, O_CLOEXEC), 0);
}

static void put_byte(int fd)
{
	CHECK_EQ(write(fd, "x", 1), 1);
}

static void take_byte(int fd)
{
	char c;

	CHECK_EQ(read(fd, &c, 1), 1);
}

static void close_fd(int fd)
{
	CHECK_EQ(close(fd), 0);
}

/* One wait that must report exactly one source; its event. */
static struct ipc_loop_event wait_one(ipc_loop *l, int ms)
{
	struct ipc_loop_event ev[8];
	size_t n = 99;

	memset(ev, 0, sizeof(ev));
	CHECK_OK(ipc_loop_wait(l, ev, 8, &n, ipc_deadline_in_ms(ms)));
	CHECK_EQ(n, 1);
	return ev[0];
}

/* The wait reports nothing: -EAGAIN with IPC_DEADLINE_NOW. */
static void check_idle(ipc_loop *l)
{
	struct ipc_loop_event ev[4];
	size_t n = 99;

	CHECK_ERR(ipc_loop_wait(l, ev, 4, &n, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_EQ(n, 0);
}

/* ---- descriptors ---------------------------------------------------- */

static void test_pipe_readable_writable(void)
{
	struct ipc_loop_event ev[8];
	ipc_loop *l = open_loop();
	int p[2];
	size_t n;
	size_t i;

	make_pipe(p);
	CHECK_OK(ipc_loop_add_fd(l, p[0], IPC_EV_READ, &tag_a));
	CHECK_OK(ipc_loop_add_fd(l, p[1], IPC_EV_WRITE, &tag_b));
	CHECK_EQ(ipc_loop_count(l), 2);
	/* Only the write end is ready. */
	ev[0] = wait_one(l, 1000);
	CHECK(ev[0].tag == &tag_b);
	CHECK_EQ(ev[0].events, IPC_EV_WRITE);
	CHECK_EQ(ev[0].expirations, 0);
	put_byte(p[1]);
	CHECK_OK(ipc_loop_wait(l, ev, 8, &n, ipc_deadline_in_ms(1000)));
	CHECK_EQ(n, 2);
	CHECK(ev[0].tag != ev[1].tag);
	for (i = 0; i < n; i++) {
		if (ev[i].tag == &tag_a)
			CHECK_EQ(ev[i].events, IPC_EV_READ);
		else
			CHECK(ev[i].tag == &tag_b &&
			      ev[i].events == IPC_EV_WRITE);
	}
	take_byte(p[0]);
	CHECK_OK(ipc_loop_remove(l, &tag_a));
	CHECK_OK(ipc_loop_remove(l, &tag_b));
	CHECK_EQ(ipc_loop_count(l), 0);
	CHECK_OK(ipc_loop_close(l));
	close_fd(p[0]);
	close_fd(p[1]);
}

static void test_hup_when_writer_closes(void)
{
	struct ipc_loop_event e;
	ipc_loop *l = open_loop();
	int p[2];
	char c;

	make_pipe(p);
	CHECK_OK(ipc_loop_add_fd(l, p[0], IPC_EV_READ, &tag_a));
	check_idle(l);
	close_fd(p[1]);
	e = wait_one(l, 1000);
	CHECK(e.tag == &tag_a);
	CHECK_EQ(e.events, IPC_EV_READ | IPC_EV_HUP);
	CHECK_EQ(read(p[0], &c, 1), 0); /* the end of the stream */
	CHECK_OK(ipc_loop_close(l));    /* with the source still in it */
	close_fd(p[0]);
}

/* A writer whose reader is gone: EPOLLERR (and still writable). */
static void test_err_when_reader_closes(void)
{
	struct ipc_loop_event e;
	ipc_loop *l = open_loop();
	int p[2];

	make_pipe(p);
	CHECK_OK(ipc_loop_add_fd(l, p[1], IPC_EV_WRITE, &tag_a));
	close_fd(p[0]);
	e = wait_one(l, 1000);
	CHECK(e.tag == &tag_a);
	CHECK(e.events & IPC_EV_ERR);
	CHECK(!(e.events & IPC_EV_READ)); /* not asked for */
	CHECK_OK(ipc_loop_remove(l, &tag_a));
	CHECK_OK(ipc_loop_close(l));
	close_fd(p[1]);
}

static void test_level_triggered(void)
{
	struct ipc_loop_event e;
	ipc_loop *l = open_loop();
	int p[2];
	int i;

	make_pipe(p);
	CHECK_OK(ipc_loop_add_fd(l, p[0], IPC_EV_READ, &tag_a));
	put_byte(p[1]);
	put_byte(p[1]);
	/* Not drained: reported again, and again. */
	for (i = 0; i < 3; i++) {
		e = wait_one(l, 1000);
		CHECK(e.tag == &tag_a && e.events == IPC_EV_READ);
	}
	take_byte(p[0]);
	e = wait_one(l, 1000);
	CHECK(e.tag == &tag_a);
	take_byte(p[0]);
	check_idle(l);
	CHECK_OK(ipc_loop_close(l));
	close_fd(p[0]);
	close_fd(p[1]);
}

#define NPIPES 5

/* Five ready, room for two: every wait unique, all five within three
 * waits, and the rest keep coming (level triggering, rotation). */
static void test_more_ready_than_room(void)
{
	struct ipc_loop_event ev[2];
	ipc_loop *l = open_loop();
	int p[NPIPES][2];
	int seen[NPIPES] = {0};
	size_t n;
	int round;
	int i;
	int k;

	for (i = 0; i < NPIPES; i++) {
		make_pipe(p[i]);
		put_byte(p[i][1]);
		CHECK_OK(ipc_loop_add_fd(l, p[i][0], IPC_EV_READ, &tags[i]));
	}
	for (round = 0; round < 3; round++) {
		CHECK_OK(ipc_loop_wait(l, ev, 2, &n, IPC_DEADLINE_NOW));
		CHECK_EQ(n, 2);
		CHECK(ev[0].tag != ev[1].tag);
		for (k = 0; k < 2; k++) {
			i = (int)((char *)ev[k].tag - tags);
			CHECK(i >= 0 && i < NPIPES);
			CHECK_EQ(ev[k].events, IPC_EV_READ);
			seen[i]++;
		}
	}
	for (i = 0; i < NPIPES; i++)
		CHECK(seen[i] >= 1);
	/* max 1: one at a time, still all of them in turn. */
	memset(seen, 0, sizeof(seen));
	for (round = 0; round < NPIPES; round++) {
		CHECK_OK(ipc_loop_wait(l, ev, 1, &n, IPC_DEADLINE_NOW));
		CHECK_EQ(n, 1);
		seen[(char *)ev[0].tag - tags]++;
	}
	for (i = 0; i < NPIPES; i++)
		CHECK_EQ(seen[i], 1);
	CHECK_OK(ipc_loop_close(l));
	for (i = 0; i < NPIPES; i++) {
		close_fd(p[i][0]);
		close_fd(p[i][1]);
	}
}

/* ---- timers --------------------------------------------------------- */

static void test_timer_one_shot(void)
{
	ipc_deadline start = ipc_now();
	struct ipc_loop_event e;
	struct ipc_loop_event ev[2];
	ipc_loop *l = open_loop();
	size_t n;

	CHECK_OK(ipc_loop_add_timer(l, start + 100 * 1000000LL, 0, &tag_t));
	check_idle(l);
	e = wait_one(l, 5000);
	CHECK_ELAPSED(start, 100);
	CHECK(e.tag == &tag_t);
	CHECK_EQ(e.events, IPC_EV_TIMER);
	CHECK_EQ(e.expirations, 1);
	/* Fired once: registered still, never again. */
	CHECK_EQ(ipc_loop_count(l), 1);
	start = ipc_now();
	CHECK_ERR(ipc_loop_wait(l, ev, 2, &n, ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	/* Armed again. */
	start = ipc_now();
	CHECK_OK(ipc_loop_set_timer(l, &tag_t, ipc_deadline_in_ms(50), 0));
	e = wait_one(l, 5000);
	CHECK_ELAPSED(start, 50);
	CHECK(e.tag == &tag_t && e.expirations == 1);
	CHECK_OK(ipc_loop_remove(l, &tag_t));
	CHECK_OK(ipc_loop_close(l));
}

static void test_timer_periodic(void)
{
	ipc_deadline start = ipc_now();
	struct ipc_loop_event e;
	ipc_loop *l = open_loop();
	uint64_t total = 0;
	int i;

	CHECK_OK(ipc_loop_add_timer(l, start + 40 * 1000000LL, 40 * 1000000LL,
	                            &tag_t));
	for (i = 0; i < 3; i++) {
		e = wait_one(l, 5000);
		CHECK(e.tag == &tag_t && e.events == IPC_EV_TIMER);
		CHECK(e.expirations >= 1);
		total += e.expirations;
	}
	/* Three reports cover at least three expirations: never early. */
	CHECK(total >= 3);
	CHECK_ELAPSED(start, (int64_t)(40 * total));
	/* Disarmed: quiet. */
	CHECK_OK(ipc_loop_set_timer(l, &tag_t, IPC_DEADLINE_NEVER, 0));
	check_idle(l);
	CHECK_OK(ipc_loop_close(l)); /* closes the timer too */
}

/* A loop that comes late sees the timer once, with the missed count. */
static void test_timer_late_wait_counts(void)
{
	struct timespec nap = {0, 230 * 1000000L};
	struct ipc_loop_event e;
	ipc_loop *l = open_loop();

	CHECK_OK(ipc_loop_add_timer(l, ipc_deadline_in_ms(20), 20 * 1000000LL,
	                            &tag_t));
	while (nanosleep(&nap, &nap) < 0 && errno == EINTR)
		;
	e = wait_one(l, 1000);
	CHECK(e.tag == &tag_t);
	CHECK(e.expirations >= 10);
	/* Consumed: the next report is one period away at most, and the
	 * count starts again. */
	e = wait_one(l, 1000);
	CHECK(e.expirations >= 1 && e.expirations < 10);
	CHECK_OK(ipc_loop_close(l));
}

/* A deadline already past (NOW included) fires at once; NEVER never. */
static void test_timer_now_and_never(void)
{
	struct ipc_loop_event ev[4];
	ipc_loop *l = open_loop();
	size_t n;

	CHECK_OK(ipc_loop_add_timer(l, IPC_DEADLINE_NEVER, 0, &tag_b));
	CHECK_OK(ipc_loop_add_timer(l, IPC_DEADLINE_NOW, 0, &tag_a));
	CHECK_OK(ipc_loop_wait(l, ev, 4, &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 1);
	CHECK(ev[0].tag == &tag_a && ev[0].expirations == 1);
	CHECK_OK(ipc_loop_add_timer(l, ipc_now() - 1000000000LL, 0, &tag_c));
	CHECK_OK(ipc_loop_wait(l, ev, 4, &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 1);
	CHECK(ev[0].tag == &tag_c);
	check_idle(l);
	CHECK_EQ(ipc_loop_count(l), 3);
	CHECK_OK(ipc_loop_close(l));
}

/* A timer and a descriptor ready at once: both, once each. */
static void test_timer_with_fd(void)
{
	struct ipc_loop_event ev[4];
	ipc_loop *l = open_loop();
	int p[2];
	size_t n;

	make_pipe(p);
	put_byte(p[1]);
	CHECK_OK(ipc_loop_add_fd(l, p[0], IPC_EV_READ, &tag_a));
	CHECK_OK(ipc_loop_add_timer(l, IPC_DEADLINE_NOW, 0, &tag_t));
	CHECK_OK(ipc_loop_wait(l, ev, 4, &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 2);
	CHECK(ev[0].tag != ev[1].tag);
	CHECK(ev[0].tag == &tag_t || ev[1].tag == &tag_t);
	/* The timer is consumed, the pipe is not. */
	CHECK_OK(ipc_loop_wait(l, ev, 4, &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 1);
	CHECK(ev[0].tag == &tag_a);
	CHECK_OK(ipc_loop_close(l));
	close_fd(p[0]);
	close_fd(p[1]);
}

/* ---- registration --------------------------------------------------- */

static void test_remove_with_pending_events(void)
{
	struct ipc_loop_event ev[4];
	ipc_loop *l = open_loop();
	int p[2];
	int q[2];
	size_t n;

	make_pipe(p);
	make_pipe(q);
	put_byte(p[1]);
	put_byte(q[1]);
	CHECK_OK(ipc_loop_add_fd(l, p[0], IPC_EV_READ, &tag_a));
	CHECK_OK(ipc_loop_add_fd(l, q[0], IPC_EV_READ, &tag_b));
	CHECK_OK(ipc_loop_add_timer(l, IPC_DEADLINE_NOW, 0, &tag_t));
	/* Room for one: the other two stay pending; remove them. */
	CHECK_OK(ipc_loop_wait(l, ev, 1, &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 1);
	if (ev[0].tag != &tag_a)
		CHECK_OK(ipc_loop_remove(l, &tag_a));
	if (ev[0].tag != &tag_b)
		CHECK_OK(ipc_loop_remove(l, &tag_b));
	if (ev[0].tag != &tag_t)
		CHECK_OK(ipc_loop_remove(l, &tag_t));
	CHECK_EQ(ipc_loop_count(l), 1);
	if (ev[0].tag == &tag_t) {
		check_idle(l);
	} else {
		void *kept = ev[0].tag;

		CHECK_OK(ipc_loop_wait(l, ev, 4, &n, IPC_DEADLINE_NOW));
		CHECK_EQ(n, 1);
		CHECK(ev[0].tag == kept);
	}
	CHECK_ERR(ipc_loop_remove(l, &tag_c), -ENOENT);
	/* A removed tag can be used again, for another source. */
	if (ipc_loop_remove(l, &tag_a) == -ENOENT)
		CHECK_OK(ipc_loop_add_fd(l, p[1], IPC_EV_WRITE, &tag_a));
	CHECK_OK(ipc_loop_close(l));
	close_fd(p[0]);
	close_fd(p[1]);
	close_fd(q[0]);
	close_fd(q[1]);
}

/*
 * The caller closed a watched descriptor before removing it while a dup
 * kept its file open: epoll still holds the registration, the loop cannot
 * delete it, and must drop its events rather than report a stale tag, also
 * once the slot of the removed source is reused.
 */
static void test_stale_registration_dropped(void)
{
	struct ipc_loop_event ev[4];
	ipc_loop *l = open_loop();
	ipc_deadline start;
	int p[2];
	int q[2];
	int keep;
	size_t n;

	make_pipe(p);
	make_pipe(q);
	keep = fcntl(p[0], F_DUPFD_CLOEXEC, 0);
	CHECK(keep >= 0);
	CHECK_OK(ipc_loop_add_fd(l, p[0], IPC_EV_READ, &tag_a));
	close_fd(p[0]); /* wrong order, on purpose */
	CHECK_OK(ipc_loop_remove(l, &tag_a));
	put_byte(p[1]);
	start = ipc_now();
	CHECK_ERR(ipc_loop_wait(l, ev, 4, &n, ipc_deadline_in_ms(100)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 100);
	/* The slot is reused by another source: still nothing stale. */
	CHECK_OK(ipc_loop_add_fd(l, q[0], IPC_EV_READ, &tag_b));
	CHECK_ERR(ipc_loop_wait(l, ev, 4, &n, ipc_deadline_in_ms(50)),
	          -ETIMEDOUT);
	put_byte(q[1]);
	CHECK_OK(ipc_loop_wait(l, ev, 4, &n, ipc_deadline_in_ms(1000)));
	CHECK_EQ(n, 1);
	CHECK(ev[0].tag == &tag_b);
	CHECK_OK(ipc_loop_close(l));
	close_fd(keep);
	close_fd(p[1]);
	close_fd(q[0]);
	close_fd(q[1]);
}

static void test_modify(void)
{
	struct ipc_loop_event e;
	ipc_loop *l = open_loop();
	int sv[2];

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_OK(ipc_loop_add_fd(l, sv[0], IPC_EV_READ, &tag_a));
	check_idle(l);
	CHECK_OK(ipc_loop_modify(l, &tag_a, IPC_EV_READ | IPC_EV_WRITE));
	e = wait_one(l, 1000);
	CHECK(e.tag == &tag_a && e.events == IPC_EV_WRITE);
	CHECK_EQ(write(sv[1], "x", 1), 1);
	e = wait_one(l, 1000);
	CHECK_EQ(e.events, IPC_EV_READ | IPC_EV_WRITE);
	CHECK_OK(ipc_loop_modify(l, &tag_a, IPC_EV_WRITE));
	e = wait_one(l, 1000);
	CHECK_EQ(e.events, IPC_EV_WRITE);
	CHECK_OK(ipc_loop_modify(l, &tag_a, IPC_EV_READ));
	e = wait_one(l, 1000);
	CHECK_EQ(e.events, IPC_EV_READ);
	/* Peer shut down: READ (RDHUP) so that the read sees the end. */
	take_byte(sv[0]);
	CHECK_EQ(shutdown(sv[1], SHUT_WR), 0);
	e = wait_one(l, 1000);
	CHECK(e.events & IPC_EV_READ);
	/* Misuse. */
	CHECK_ERR(ipc_loop_modify(l, &tag_a, 0), -EINVAL);
	CHECK_ERR(ipc_loop_modify(l, &tag_a, IPC_EV_HUP), -EINVAL);
	CHECK_ERR(ipc_loop_modify(l, &tag_b, IPC_EV_READ), -ENOENT);
	CHECK_ERR(ipc_loop_modify(l, NULL, IPC_EV_READ), -ENOENT);
	CHECK_OK(ipc_loop_add_timer(l, IPC_DEADLINE_NEVER, 0, &tag_t));
	CHECK_ERR(ipc_loop_modify(l, &tag_t, IPC_EV_READ), -EINVAL);
	CHECK_ERR(ipc_loop_set_timer(l, &tag_a, IPC_DEADLINE_NOW, 0), -EINVAL);
	CHECK_ERR(ipc_loop_set_timer(l, &tag_b, IPC_DEADLINE_NOW, 0), -ENOENT);
	CHECK_ERR(ipc_loop_set_timer(l, &tag_t, IPC_DEADLINE_NOW, -1), -EINVAL);
	CHECK_OK(ipc_loop_close(l));
	close_fd(sv[0]);
	close_fd(sv[1]);
}

static void test_duplicates_refused(void)
{
	ipc_loop *l = open_loop();
	int p[2];
	int dup_fd;

	make_pipe(p);
	CHECK_OK(ipc_loop_add_fd(l, p[0], IPC_EV_READ, &tag_a));
	CHECK_ERR(ipc_loop_add_fd(l, p[0], IPC_EV_READ, &tag_b), -EEXIST);
	CHECK_ERR(ipc_loop_add_fd(l, p[1], IPC_EV_WRITE, &tag_a), -EEXIST);
	CHECK_ERR(ipc_loop_add_timer(l, IPC_DEADLINE_NEVER, 0, &tag_a),
	          -EEXIST);
	CHECK_OK(ipc_loop_add_timer(l, IPC_DEADLINE_NEVER, 0, &tag_t));
	CHECK_ERR(ipc_loop_add_fd(l, p[1], IPC_EV_WRITE, &tag_t), -EEXIST);
	CHECK_ERR(ipc_loop_add_timer(l, IPC_DEADLINE_NEVER, 0, &tag_t),
	          -EEXIST);
	/* A dup is another descriptor: fine. */
	dup_fd = fcntl(p[0], F_DUPFD_CLOEXEC, 0);
	CHECK(dup_fd >= 0);
	CHECK_OK(ipc_loop_add_fd(l, dup_fd, IPC_EV_READ, &tag_b));
	CHECK_EQ(ipc_loop_count(l), 3);
	CHECK_OK(ipc_loop_close(l));
	close_fd(dup_fd);
	close_fd(p[0]);
	close_fd(p[1]);
}

static void test_regular_file_refused(void)
{
	ipc_loop *l = open_loop();
	int fd = open(check_path("file"), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	int dir = open(check_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	CHECK(fd >= 0 && dir >= 0);
	CHECK_ERR(ipc_loop_add_fd(l, fd, IPC_EV_READ, &tag_a), -EPERM);
	CHECK_ERR(ipc_loop_add_fd(l, dir, IPC_EV_READ, &tag_a), -EPERM);
	CHECK_EQ(ipc_loop_count(l), 0);
	/* Nothing of the failed add stays behind. */
	CHECK_ERR(ipc_loop_remove(l, &tag_a), -ENOENT);
	CHECK_OK(ipc_loop_add_timer(l, IPC_DEADLINE_NEVER, 0, &tag_a));
	CHECK_OK(ipc_loop_close(l));
	close_fd(fd);
	close_fd(dir);
}

static void test_misuse(void)
{
	struct ipc_loop_event ev[2];
	ipc_loop *l = open_loop();
	int p[2];
	size_t n = 7;

	make_pipe(p);
	CHECK_ERR(ipc_loop_add_fd(NULL, p[0], IPC_EV_READ, &tag_a), -EBADF);
	CHECK_ERR(ipc_loop_add_fd(l, -1, IPC_EV_READ, &tag_a), -EBADF);
	CHECK_ERR(ipc_loop_add_fd(l, 1000, IPC_EV_READ, &tag_a), -EBADF);
	CHECK_ERR(ipc_loop_add_fd(l, p[0], IPC_EV_READ, NULL), -EINVAL);
	CHECK_ERR(ipc_loop_add_fd(l, p[0], 0, &tag_a), -EINVAL);
	CHECK_ERR(ipc_loop_add_fd(l, p[0], IPC_EV_TIMER, &tag_a), -EINVAL);
	CHECK_ERR(ipc_loop_add_fd(l, p[0], IPC_EV_READ | 0x100, &tag_a),
	          -EINVAL);
	CHECK_ERR(ipc_loop_add_chan(NULL, NULL, IPC_EV_READ, &tag_a), -EBADF);
	CHECK_ERR(ipc_loop_add_chan(l, NULL, IPC_EV_READ, &tag_a), -EBADF);
	CHECK_ERR(ipc_loop_add_timer(NULL, IPC_DEADLINE_NOW, 0, &tag_a),
	          -EBADF);
	CHECK_ERR(ipc_loop_add_timer(l, IPC_DEADLINE_NOW, -1, &tag_a), -EINVAL);
	CHECK_ERR(ipc_loop_add_timer(l, IPC_DEADLINE_NOW, 0, NULL), -EINVAL);
	CHECK_ERR(ipc_loop_modify(NULL, &tag_a, IPC_EV_READ), -EBADF);
	CHECK_ERR(ipc_loop_remove(NULL, &tag_a), -EBADF);
	CHECK_ERR(ipc_loop_remove(l, NULL), -ENOENT);
	CHECK_ERR(ipc_loop_set_timer(NULL, &tag_a, 0, 0), -EBADF);
	CHECK_ERR(ipc_loop_wait(NULL, ev, 2, &n, IPC_DEADLINE_NOW), -EBADF);
	CHECK_EQ(n, 0);
	CHECK_ERR(ipc_loop_wait(l, NULL, 2, &n, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_ERR(ipc_loop_wait(l, ev, 0, &n, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_ERR(ipc_loop_wait(l, ev, 2, NULL, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_EQ(ipc_loop_count(NULL), 0);
	CHECK_EQ(ipc_loop_fd(NULL), -1);
	CHECK_OK(ipc_loop_close(NULL));
	CHECK_EQ(ipc_loop_count(l), 0);
	CHECK_OK(ipc_loop_close(l));
	close_fd(p[0]);
	close_fd(p[1]);
}

/* Hundreds of sources, half removed in a scattered order: the tables
 * (tags, descriptors) find every survivor and none of the removed. */
static void test_many_sources(void)
{
	enum { N = 300 };
	static char many[N];
	static bool live[N];
	static int seen[N];
	struct ipc_loop_event ev[N];
	int nseen = 0;
	int round;
	int k;
	ipc_loop *l = open_loop();
	int p[2];
	int *fds = malloc(N * sizeof(*fds));
	size_t n;
	int i;

	CHECK(fds != NULL);
	make_pipe(p);
	for (i = 0; i < N; i++) {
		fds[i] = fcntl(p[1], F_DUPFD_CLOEXEC, 0);
		CHECK(fds[i] >= 0);
		CHECK_OK(ipc_loop_add_fd(l, fds[i], IPC_EV_WRITE, &many[i]));
	}
	CHECK_EQ(ipc_loop_count(l), N);
	for (i = 0; i < N; i++) {
		if (i % 3 != 1)
			CHECK_OK(ipc_loop_remove(l, &many[(i * 7) % N]));
	}
	for (i = 0; i < N; i++) {
		k = (i * 7) % N;
		if (i % 3 == 1) {
			CHECK_OK(ipc_loop_modify(l, &many[k], IPC_EV_WRITE));
			CHECK_ERR(ipc_loop_add_fd(l, fds[k], IPC_EV_WRITE,
			                          &tag_a),
			          -EEXIST);
		} else {
			CHECK_ERR(ipc_loop_modify(l, &many[k], IPC_EV_WRITE),
			          -ENOENT);
		}
	}
	CHECK_EQ(ipc_loop_count(l), N / 3);
	for (i = 0; i < N; i++)
		live[(i * 7) % N] = i % 3 == 1;
	/* A wait may return fewer than are ready (it takes the kernel's
	 * events in batches): a few waits see every survivor, only them. */
	for (round = 0; round < 10 && nseen < N / 3; round++) {
		CHECK_OK(ipc_loop_wait(l, ev, N, &n, IPC_DEADLINE_NOW));
		for (i = 0; i < (int)n; i++) {
			k = (int)((char *)ev[i].tag - many);
			CHECK(k >= 0 && k < N && live[k]);
			CHECK_EQ(ev[i].events, IPC_EV_WRITE);
			if (!seen[k]++)
				nseen++;
		}
	}
	CHECK_EQ(nseen, N / 3);
	CHECK_OK(ipc_loop_close(l));
	for (i = 0; i < N; i++)
		close_fd(fds[i]);
	free(fds);
	close_fd(p[0]);
	close_fd(p[1]);
}

static int test_scale(void)
{
	const char *s = getenv("IPC_TEST_SCALE");
	int v = s != NULL ? atoi(s) : 1;

	return v > 0 ? v : 1;
}

/* Random adds and removes against a model: the open-addressing tables
 * keep every entry findable through deletions and growth. */
static void test_churn_against_model(void)
{
	enum { NTAGS = 512, NFDS = 48 };
	static char tagspace[NTAGS];
	static int fd_of[NTAGS];    /* the model: tag -> fd, or -1 */
	static int tag_of_fd[NFDS]; /* fd index -> tag, or -1 */
	struct ipc_loop_event ev[NFDS];
	ipc_loop *l = open_loop();
	unsigned int seed = 12345;
	int fds[NFDS];
	int p[2];
	int ops = 60000 / test_scale();
	size_t live = 0;
	size_t n;
	int i;
	int t;
	int f;

	make_pipe(p);
	for (i = 0; i < NFDS; i++) {
		fds[i] = fcntl(p[1], F_DUPFD_CLOEXEC, 0);
		CHECK(fds[i] >= 0);
		tag_of_fd[i] = -1;
	}
	for (i = 0; i < NTAGS; i++)
		fd_of[i] = -1;
	for (i = 0; i < ops; i++) {
		seed = seed * 1103515245u + 12345u;
		t = (int)((seed >> 8) % NTAGS);
		f = (int)((seed >> 20) % NFDS);
		if (fd_of[t] >= 0) {
			CHECK_OK(ipc_loop_remove(l, &tagspace[t]));
			tag_of_fd[fd_of[t]] = -1;
			fd_of[t] = -1;
			live--;
		} else if (tag_of_fd[f] >= 0) {
			CHECK_ERR(ipc_loop_add_fd(l, fds[f], IPC_EV_WRITE,
			                          &tagspace[t]),
			          -EEXIST);
			CHECK_ERR(ipc_loop_remove(l, &tagspace[t]), -ENOENT);
		} else {
			CHECK_OK(ipc_loop_add_fd(l, fds[f], IPC_EV_WRITE,
			                         &tagspace[t]));
			fd_of[t] = f;
			tag_of_fd[f] = t;
			live++;
		}
		CHECK_EQ(ipc_loop_count(l), live);
	}
	for (t = 0; t < NTAGS; t++) {
		if (fd_of[t] >= 0)
			CHECK_OK(
			        ipc_loop_modify(l, &tagspace[t], IPC_EV_WRITE));
		else
			CHECK_ERR(
			        ipc_loop_modify(l, &tagspace[t], IPC_EV_WRITE),
			        -ENOENT);
	}
	if (live > 0) {
		CHECK_OK(ipc_loop_wait(l, ev, NFDS, &n, IPC_DEADLINE_NOW));
		CHECK_EQ(n, live);
		for (i = 0; i < (int)n; i++) {
			t = (int)((char *)ev[i].tag - tagspace);
			CHECK(t >= 0 && t < NTAGS && fd_of[t] >= 0);
		}
	}
	CHECK_OK(ipc_loop_close(l));
	for (i = 0; i < NFDS; i++)
		close_fd(fds[i]);
	close_fd(p[0]);
	close_fd(p[1]);
}

/* ---- deadlines ------------------------------------------------------ */

static void test_now_and_timeout(void)
{
	struct ipc_loop_event ev[2];
	ipc_loop *l = open_loop();
	ipc_deadline start;
	int p[2];
	size_t n = 5;

	/* An empty loop waits for its deadline too. */
	start = ipc_now();
	CHECK_ERR(ipc_loop_wait(l, ev, 2, &n, ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	CHECK_ERR(ipc_loop_wait(l, ev, 2, &n, IPC_DEADLINE_NOW), -EAGAIN);
	make_pipe(p);
	CHECK_OK(ipc_loop_add_fd(l, p[0], IPC_EV_READ, &tag_a));
	n = 5;
	CHECK_ERR(ipc_loop_wait(l, ev, 2, &n, IPC_DEADLINE_NOW), -EAGAIN);
	CHECK_EQ(n, 0);
	start = ipc_now();
	CHECK_ERR(ipc_loop_wait(l, ev, 2, &n, ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	/* A deadline already past: one try, then -ETIMEDOUT. */
	CHECK_ERR(ipc_loop_wait(l, ev, 2, &n, ipc_now() - 1000000), -ETIMEDOUT);
	put_byte(p[1]);
	CHECK_OK(ipc_loop_wait(l, ev, 2, &n, ipc_now() - 1000000));
	CHECK_EQ(n, 1);
	CHECK_OK(ipc_loop_close(l));
	close_fd(p[0]);
	close_fd(p[1]);
}

static void test_eintr_then_retry(void)
{
	struct ipc_loop_event ev[2];
	ipc_loop *l = open_loop();
	ipc_deadline start = ipc_now();
	ipc_deadline d = start + 400 * 1000000LL;
	int p[2];
	size_t n = 5;

	make_pipe(p);
	CHECK_OK(ipc_loop_add_fd(l, p[0], IPC_EV_READ, &tag_a));
	check_signal_after(SIGUSR1, 50);
	CHECK_ERR(ipc_loop_wait(l, ev, 2, &n, d), -EINTR);
	check_signal_stop();
	CHECK_EQ(n, 0);
	CHECK(ipc_now() < d);
	/* The same deadline: it ends on time, not later. */
	CHECK_ERR(ipc_loop_wait(l, ev, 2, &n, d), -ETIMEDOUT);
	CHECK_ELAPSED(start, 400);
	CHECK_OK(ipc_loop_close(l));
	close_fd(p[0]);
	close_fd(p[1]);
}

/* ---- across processes and threads ----------------------------------- */

static void slow_writer(void *arg)
{
	int *p = arg;
	struct timespec nap = {0, 100 * 1000000L};

	close_fd(p[0]);
	nanosleep(&nap, NULL);
	put_byte(p[1]);
	close_fd(p[1]);
}

/* A child writes after a while; a timer ticks meanwhile. */
static void test_pipe_across_processes(void)
{
	struct ipc_loop_event ev[4];
	ipc_loop *l = open_loop();
	int p[2];
	size_t n;
	pid_t pid;
	bool got_data = false;
	bool got_hup = false;
	int ticks = 0;
	size_t i;

	make_pipe(p);
	CHECK_OK(ipc_loop_add_fd(l, p[0], IPC_EV_READ, &tag_a));
	CHECK_OK(ipc_loop_add_timer(l, ipc_deadline_in_ms(20), 20 * 1000000LL,
	                            &tag_t));
	pid = check_fork(slow_writer, p);
	close_fd(p[1]);
	while (!got_hup) {
		CHECK_OK(ipc_loop_wait(l, ev, 4, &n, ipc_deadline_in_ms(5000)));
		for (i = 0; i < n; i++) {
			if (ev[i].tag == &tag_t) {
				ticks++;
				continue;
			}
			CHECK(ev[i].tag == &tag_a);
			CHECK(ev[i].events & IPC_EV_READ);
			if (!got_data) {
				take_byte(p[0]);
				got_data = true;
			} else if (ev[i].events & IPC_EV_HUP) {
				char c;

				CHECK_EQ(read(p[0], &c, 1), 0);
				got_hup = true;
			}
		}
	}
	CHECK(ticks >= 2); /* 100 ms of 20 ms ticks, at least some */
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_loop_close(l));
	close_fd(p[0]);
}

struct waiter {
	ipc_loop *l;
	struct ipc_loop_event ev;
	size_t n;
	ipc_status st;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	w->st = ipc_loop_wait(w->l, &w->ev, 1, &w->n,
	                      ipc_deadline_in_ms(10000));
	return NULL;
}

/* One thread waits, another writes (the TSan case). */
static void test_threaded_wait(void)
{
	struct timespec nap = {0, 50 * 1000000L};
	struct waiter w;
	pthread_t th;
	int p[2];

	memset(&w, 0, sizeof(w));
	w.l = open_loop();
	make_pipe(p);
	CHECK_OK(ipc_loop_add_fd(w.l, p[0], IPC_EV_READ, &tag_a));
	CHECK_EQ(pthread_create(&th, NULL, waiter_main, &w), 0);
	nanosleep(&nap, NULL);
	put_byte(p[1]);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_OK(w.st);
	CHECK_EQ(w.n, 1);
	CHECK(w.ev.tag == &tag_a && w.ev.events == IPC_EV_READ);
	CHECK_OK(ipc_loop_close(w.l));
	close_fd(p[0]);
	close_fd(p[1]);
}

/* A loop inside another through ipc_loop_fd(). */
static void test_nested(void)
{
	ipc_loop *outer = open_loop();
	ipc_loop *inner = open_loop();
	struct ipc_loop_event e;
	int p[2];

	make_pipe(p);
	CHECK_OK(ipc_loop_add_fd(inner, p[0], IPC_EV_READ, &tag_a));
	CHECK_OK(ipc_loop_add_fd(outer, ipc_loop_fd(inner), IPC_EV_READ,
	                         &tag_b));
	check_idle(outer);
	put_byte(p[1]);
	e = wait_one(outer, 1000);
	CHECK(e.tag == &tag_b && e.events == IPC_EV_READ);
	e = wait_one(inner, 0);
	CHECK(e.tag == &tag_a);
	take_byte(p[0]);
	check_idle(outer);
	CHECK_OK(ipc_loop_close(outer));
	CHECK_OK(ipc_loop_close(inner));
	close_fd(p[0]);
	close_fd(p[1]);
}

/* ---- other handles -------------------------------------------------- */

static void unlink_mq(void *name)
{
	(void)ipc_mq_unlink(name);
}

static void test_mq_descriptor(void)
{
	const char *name = check_posix_name("loopmq");
	struct ipc_mq_attr attr;
	ipc_loop *l = open_loop();
	struct ipc_loop_event e;
	ipc_mq *q = NULL;
	char buf[8192];
	size_t n;

	memset(&attr, 0, sizeof(attr));
	CHECK_OK(ipc_mq_open(&q, name, IPC_O_RDWR | IPC_O_CREATE | IPC_O_EXCL,
	                     0, NULL));
	check_defer(unlink_mq, (void *)name);
	CHECK_OK(ipc_mq_attrs(q, &attr));
	CHECK(attr.max_message_size > 0 &&
	      (size_t)attr.max_message_size <= sizeof(buf));
	CHECK_OK(ipc_loop_add_fd(l, ipc_mq_fd(q), IPC_EV_READ, &tag_a));
	check_idle(l);
	CHECK_OK(ipc_mq_send(q, "hi", 2, 0, IPC_DEADLINE_NOW));
	e = wait_one(l, 1000);
	CHECK(e.tag == &tag_a && e.events == IPC_EV_READ);
	CHECK_OK(ipc_mq_receive(q, buf, sizeof(buf), &n, NULL,
	                        IPC_DEADLINE_NOW));
	CHECK_EQ(n, 2);
	check_idle(l);
	/* Writable while not full. */
	CHECK_OK(ipc_loop_modify(l, &tag_a, IPC_EV_WRITE));
	e = wait_one(l, 1000);
	CHECK_EQ(e.events, IPC_EV_WRITE);
	CHECK_OK(ipc_loop_remove(l, &tag_a));
	CHECK_OK(ipc_loop_close(l));
	CHECK_OK(ipc_mq_close(q));
	CHECK_OK(ipc_mq_unlink(name));
}

static void test_signal_set(void)
{
	struct ipc_sig_info info;
	ipc_loop *l = open_loop();
	struct ipc_loop_event e;
	ipc_sigset *set = NULL;
	int signo = SIGUSR2;

	CHECK_OK(ipc_sigset_open(&set, &signo, 1, 0));
	CHECK_OK(ipc_loop_add_fd(l, ipc_sigset_fd(set), IPC_EV_READ, &tag_a));
	check_idle(l);
	CHECK_EQ(kill(getpid(), SIGUSR2), 0);
	e = wait_one(l, 1000);
	CHECK(e.tag == &tag_a && e.events == IPC_EV_READ);
	CHECK_OK(ipc_sigset_wait(set, &info, IPC_DEADLINE_NOW));
	CHECK_EQ(info.signo, SIGUSR2);
	check_idle(l);
	CHECK_OK(ipc_loop_remove(l, &tag_a));
	CHECK_OK(ipc_loop_close(l));
	CHECK_OK(ipc_sigset_close(set));
}

static void short_life(void *arg)
{
	struct timespec nap = {0, 100 * 1000000L};

	(void)arg;
	nanosleep(&nap, NULL);
}

/* A process handle: the pidfd becomes readable when the child exits. */
static void test_process_pidfd(void)
{
	ipc_loop *l = open_loop();
	struct ipc_loop_event e;
	ipc_deadline start = ipc_now();
	pid_t pid = check_fork(short_life, NULL);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (pidfd < 0 && errno == ENOSYS) {
		/* valgrind 3.19 does not know pidfd_open: nothing to test. */
		fprintf(stderr, "pidfd_open: ENOSYS, case skipped\n");
		CHECK_CHILD_OK(pid, 5000);
		CHECK_OK(ipc_loop_close(l));
		return;
	}
	CHECK(pidfd >= 0);
	CHECK_EQ(fcntl(pidfd, F_SETFD, FD_CLOEXEC), 0);
	CHECK_OK(ipc_loop_add_fd(l, pidfd, IPC_EV_READ, &tag_a));
	check_idle(l);
	e = wait_one(l, 5000);
	CHECK(e.tag == &tag_a && (e.events & IPC_EV_READ));
	CHECK_ELAPSED(start, 100);
	CHECK_CHILD_OK(pid, 5000);
	CHECK_OK(ipc_loop_remove(l, &tag_a));
	CHECK_OK(ipc_loop_close(l));
	close_fd(pidfd);
}

static void connector(void *arg)
{
	ipc_sock *s = NULL;
	struct timespec nap = {0, 50 * 1000000L};
	size_t n;

	nanosleep(&nap, NULL);
	CHECK_OK(ipc_sock_connect(&s, IPC_SOCK_UNIX, arg, 0,
	                          ipc_deadline_in_ms(5000)));
	CHECK_OK(ipc_sock_send(s, "hey", 3, &n, ipc_deadline_in_ms(5000)));
	CHECK_EQ(n, 3);
	CHECK_OK(ipc_sock_close(s));
}

/* A listening socket is readable when a connection waits in accept. */
static void test_socket_accept(void)
{
	const char *path = check_path("sock");
	ipc_loop *l = open_loop();
	struct ipc_loop_event e;
	ipc_sock *lis = NULL;
	ipc_sock *conn = NULL;
	char buf[8];
	size_t n;
	pid_t pid;

	CHECK_OK(ipc_sock_listen(&lis, IPC_SOCK_UNIX, path, 0, 0));
	CHECK_OK(ipc_loop_add_fd(l, ipc_sock_fd(lis), IPC_EV_READ, &tag_a));
	check_idle(l);
	pid = check_fork(connector, (void *)path);
	e = wait_one(l, 5000);
	CHECK(e.tag == &tag_a && e.events == IPC_EV_READ);
	CHECK_OK(ipc_sock_accept(lis, &conn, IPC_DEADLINE_NOW));
	check_idle(l);
	CHECK_OK(ipc_loop_add_fd(l, ipc_sock_fd(conn), IPC_EV_READ, &tag_b));
	e = wait_one(l, 5000);
	CHECK(e.tag == &tag_b);
	CHECK_OK(ipc_sock_recv(conn, buf, sizeof(buf), &n,
	                       ipc_deadline_in_ms(1000)));
	CHECK_EQ(n, 3);
	CHECK_CHILD_OK(pid, 5000);
	/* The peer is gone: READ with the hang-up (RDHUP at least). */
	e = wait_one(l, 5000);
	CHECK(e.tag == &tag_b && (e.events & IPC_EV_READ));
	CHECK_OK(ipc_loop_close(l));
	CHECK_OK(ipc_sock_close(conn));
	CHECK_OK(ipc_sock_close(lis));
	CHECK_OK(ipc_sock_unlink(path));
}

/* ---- channels ------------------------------------------------------- */

static bool fd_readable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	CHECK(poll(&pfd, 1, 0) >= 0);
	return (pfd.revents & POLLIN) != 0;
}

static void recv_expect(ipc_chan *c, const char *want)
{
	char buf[64];
	size_t n;

	CHECK_OK(ipc_chan_recv(c, buf, sizeof(buf), &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, strlen(want));
	CHECK_MEM_EQ(buf, want, n);
}

/*
 * Two messages sent at once: the first receive reads both off the pipe,
 * the descriptor is then empty, and the loop still reports the second at
 * once, from the channel's buffer; with the descriptor readable as well,
 * still one event.
 */
static void test_chan_framed_read_ahead(void)
{
	struct ipc_loop_event e;
	ipc_loop *l = open_loop();
	ipc_chan *rd = NULL;
	ipc_chan *wr = NULL;
	ipc_deadline start;
	size_t n;
	char c;

	CHECK_OK(ipc_chan_pipe(&rd, &wr, 0));
	CHECK(ipc_chan_fd(rd) >= 0);
	CHECK_OK(ipc_loop_add_chan(l, rd, IPC_EV_READ, &tag_a));
	CHECK_OK(ipc_loop_add_chan(l, wr, IPC_EV_WRITE, &tag_b));
	CHECK_ERR(ipc_loop_add_chan(l, rd, IPC_EV_READ, &tag_c), -EEXIST);
	CHECK_ERR(ipc_loop_add_fd(l, ipc_chan_fd(rd), IPC_EV_READ, &tag_c),
	          -EEXIST);
	e = wait_one(l, 1000);
	CHECK(e.tag == &tag_b && e.events == IPC_EV_WRITE);
	CHECK_OK(ipc_loop_remove(l, &tag_b));

	CHECK_OK(ipc_chan_send(wr, "one", 3, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_chan_send(wr, "two", 3, IPC_DEADLINE_NOW));
	e = wait_one(l, 1000);
	CHECK(e.tag == &tag_a && e.events == IPC_EV_READ);
	recv_expect(rd, "one");
	CHECK(!fd_readable(ipc_chan_fd(rd))); /* "two" was read ahead */
	CHECK(ipc_chan_readable(rd));
	e = wait_one(l, 0);
	CHECK(e.tag == &tag_a && e.events == IPC_EV_READ);
	/* Level-triggered for the buffer too. */
	e = wait_one(l, 0);
	CHECK(e.tag == &tag_a);
	/* Buffer and descriptor both ready: one event. */
	CHECK_OK(ipc_chan_send(wr, "three", 5, IPC_DEADLINE_NOW));
	CHECK(fd_readable(ipc_chan_fd(rd)));
	e = wait_one(l, 0);
	CHECK(e.tag == &tag_a && e.events == IPC_EV_READ);
	recv_expect(rd, "two");
	recv_expect(rd, "three");
	check_idle(l);
	start = ipc_now();
	CHECK_ERR(ipc_loop_wait(l, &e, 1, &n, ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	/* The writer goes: READ and HUP, and the receive sees the end. */
	CHECK_OK(ipc_chan_close(wr));
	e = wait_one(l, 1000);
	CHECK(e.tag == &tag_a && e.events == (IPC_EV_READ | IPC_EV_HUP));
	CHECK_ERR(ipc_chan_recv(rd, &c, 1, &n, IPC_DEADLINE_NOW), -EPIPE);
	CHECK_OK(ipc_loop_remove(l, &tag_a));
	CHECK_EQ(ipc_loop_count(l), 0);
	CHECK_OK(ipc_loop_close(l));
	CHECK_OK(ipc_chan_close(rd));
}

/* A channel that stays readable from its buffer must not starve a
 * descriptor when there is room for one event only, nor the reverse. */
static void test_chan_and_fd_take_turns(void)
{
	struct ipc_loop_event e;
	ipc_loop *l = open_loop();
	ipc_chan *rd = NULL;
	ipc_chan *wr = NULL;
	int seen_a = 0;
	int seen_b = 0;
	int p[2];
	size_t n;
	int i;

	CHECK_OK(ipc_chan_pipe(&rd, &wr, 0));
	make_pipe(p);
	put_byte(p[1]);
	CHECK_OK(ipc_loop_add_chan(l, rd, IPC_EV_READ, &tag_a));
	CHECK_OK(ipc_loop_add_fd(l, p[0], IPC_EV_READ, &tag_b));
	CHECK_OK(ipc_chan_send(wr, "one", 3, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_chan_send(wr, "two", 3, IPC_DEADLINE_NOW));
	recv_expect(rd, "one"); /* "two" now waits in the buffer */
	CHECK(ipc_chan_readable(rd));
	for (i = 0; i < 6; i++) {
		CHECK_OK(ipc_loop_wait(l, &e, 1, &n, IPC_DEADLINE_NOW));
		CHECK_EQ(n, 1);
		if (e.tag == &tag_a)
			seen_a++;
		else if (e.tag == &tag_b)
			seen_b++;
	}
	CHECK(seen_a >= 2 && seen_b >= 2);
	CHECK_OK(ipc_loop_close(l));
	CHECK_OK(ipc_chan_close(rd));
	CHECK_OK(ipc_chan_close(wr));
	close_fd(p[0]);
	close_fd(p[1]);
}

/* A child spawned by ipc_proc_spawn(): its pidfd says when it ended. */
static void test_proc_handle(void)
{
	const char *const argv[] = {"/bin/sh", "-c", "sleep 0.1; exit 3", NULL};
	struct ipc_proc_opts opts;
	struct ipc_proc_status ps;
	ipc_deadline start = ipc_now();
	ipc_loop *l = open_loop();
	struct ipc_loop_event e;
	ipc_proc *p = NULL;

	memset(&opts, 0, sizeof(opts));
	opts.argv = argv;
	CHECK_OK(ipc_proc_spawn(&p, &opts));
	if (ipc_proc_fd(p) < 0) {
		/* No pidfd_open (valgrind 3.19): nothing to poll. */
		fprintf(stderr, "no pidfd, case skipped\n");
		CHECK_OK(ipc_proc_wait(p, &ps, ipc_deadline_in_ms(5000)));
		CHECK_OK(ipc_proc_close(p));
		CHECK_OK(ipc_loop_close(l));
		return;
	}
	CHECK_OK(ipc_loop_add_fd(l, ipc_proc_fd(p), IPC_EV_READ, &tag_a));
	check_idle(l);
	e = wait_one(l, 5000);
	CHECK(e.tag == &tag_a && (e.events & IPC_EV_READ));
	CHECK_ELAPSED(start, 100);
	CHECK_OK(ipc_proc_wait(p, &ps, IPC_DEADLINE_NOW));
	CHECK(ps.exited && ps.code == 3);
	CHECK_OK(ipc_loop_remove(l, &tag_a));
	CHECK_OK(ipc_loop_close(l));
	CHECK_OK(ipc_proc_close(p));
}

static void unlink_ring(void *name)
{
	(void)ipc_ring_unlink(name);
}

static char ring_url[128];

static void ring_producer(void *arg)
{
	struct timespec nap = {0, 60 * 1000000L};
	ipc_chan *c = NULL;

	(void)arg;
	CHECK_OK(ipc_chan_open(&c, ring_url, IPC_O_WRITE, NULL,
	                       ipc_deadline_in_ms(5000)));
	nanosleep(&nap, NULL);
	CHECK_OK(ipc_chan_send(c, "a", 1, ipc_deadline_in_ms(5000)));
	nanosleep(&nap, NULL);
	CHECK_OK(ipc_chan_send(c, "b", 1, ipc_deadline_in_ms(5000)));
	CHECK_OK(ipc_chan_send(c, "c", 1, ipc_deadline_in_ms(5000)));
	CHECK_OK(ipc_chan_close(c));
}

/* A ring has no descriptor: the loop looks at it while it waits. */
static void test_chan_ring_across_processes(void)
{
	const char *name = check_posix_name("loopring");
	struct ipc_loop_event ev[4];
	const char *want[] = {"a", "b", "c"};
	ipc_deadline start = ipc_now();
	ipc_loop *l = open_loop();
	ipc_chan *c = NULL;
	ipc_chan *w = NULL;
	int got = 0;
	size_t n;
	pid_t pid;

	snprintf(ring_url, sizeof(ring_url), "ring:%s", name);
	CHECK_OK(ipc_chan_open(&c, ring_url,
	                       IPC_O_READ | IPC_O_CREATE | IPC_O_EXCL, NULL,
	                       IPC_DEADLINE_NOW));
	check_defer(unlink_ring, (void *)name);
	CHECK_EQ(ipc_chan_fd(c), -1);
	CHECK_OK(ipc_loop_add_chan(l, c, IPC_EV_READ, &tag_a));
	CHECK_ERR(ipc_loop_add_chan(l, c, IPC_EV_READ, &tag_b), -EEXIST);
	/* Nothing yet: the deadline holds, polling or not. */
	check_idle(l);
	CHECK_ERR(ipc_loop_wait(l, ev, 4, &n, ipc_deadline_in_ms(30)),
	          -ETIMEDOUT);
	pid = check_fork(ring_producer, NULL);
	while (got < 3) {
		CHECK_OK(ipc_loop_wait(l, ev, 4, &n, ipc_deadline_in_ms(5000)));
		CHECK_EQ(n, 1);
		CHECK(ev[0].tag == &tag_a && ev[0].events == IPC_EV_READ);
		recv_expect(c, want[got++]);
	}
	CHECK_ELAPSED(start, 120);
	CHECK_CHILD_OK(pid, 5000);
	check_idle(l);
	/* Writable as far as the loop knows, once asked. */
	CHECK_OK(ipc_chan_open(&w, ring_url, IPC_O_WRITE, NULL,
	                       IPC_DEADLINE_NOW));
	CHECK_OK(ipc_loop_add_chan(l, w, IPC_EV_WRITE, &tag_b));
	CHECK_OK(ipc_loop_wait(l, ev, 4, &n, IPC_DEADLINE_NOW));
	CHECK_EQ(n, 1);
	CHECK(ev[0].tag == &tag_b && ev[0].events == IPC_EV_WRITE);
	CHECK_OK(ipc_loop_remove(l, &tag_b));
	CHECK_OK(ipc_chan_send(w, "d", 1, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_loop_wait(l, ev, 4, &n, ipc_deadline_in_ms(1000)));
	CHECK_EQ(n, 1);
	CHECK(ev[0].tag == &tag_a);
	recv_expect(c, "d");
	start = ipc_now();
	CHECK_ERR(ipc_loop_wait(l, ev, 4, &n, ipc_deadline_in_ms(150)),
	          -ETIMEDOUT);
	CHECK_ELAPSED(start, 150);
	CHECK_OK(ipc_loop_remove(l, &tag_a));
	CHECK_OK(ipc_loop_close(l));
	CHECK_OK(ipc_chan_close(w));
	CHECK_OK(ipc_chan_close(c));
	CHECK_OK(ipc_ring_unlink(name));
}

static const struct check_case cases[] = {
        CHECK_CASE(test_pipe_readable_writable),
        CHECK_CASE(test_hup_when_writer_closes),
        CHECK_CASE(test_err_when_reader_closes),
        CHECK_CASE(test_level_triggered),
        CHECK_CASE(test_more_ready_than_room),
        CHECK_CASE(test_timer_one_shot),
        CHECK_CASE(test_timer_periodic),
        CHECK_CASE(test_timer_late_wait_counts),
        CHECK_CASE(test_timer_now_and_never),
        CHECK_CASE(test_timer_with_fd),
        CHECK_CASE(test_remove_with_pending_events),
        CHECK_CASE(test_stale_registration_dropped),
        CHECK_CASE(test_modify),
        CHECK_CASE(test_duplicates_refused),
        CHECK_CASE(test_regular_file_refused),
        CHECK_CASE(test_misuse),
        CHECK_CASE(test_many_sources),
        CHECK_CASE(test_churn_against_model),
        CHECK_CASE(test_now_and_timeout),
        CHECK_CASE(test_eintr_then_retry),
        CHECK_CASE(test_pipe_across_processes),
        CHECK_CASE(test_threaded_wait),
        CHECK_CASE(test_nested),
        CHECK_CASE(test_mq_descriptor),
        CHECK_CASE(test_signal_set),
        CHECK_CASE(test_process_pidfd),
        CHECK_CASE(test_socket_accept),
        CHECK_CASE(test_chan_framed_read_ahead),
        CHECK_CASE(test_chan_and_fd_take_turns),
        CHECK_CASE(test_proc_handle),
        CHECK_CASE(test_chan_ring_across_processes),
        {NULL, NULL}};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
