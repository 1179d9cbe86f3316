/* SPDX-License-Identifier: MIT */
/*
 * shm_linux_programming - the textbook pair: a writer process puts
 * "Linux Programming" into a POSIX shared memory object, and a reader
 * process that opens the object by name prints it. The hand-over is
 * guarded by a robust process-shared mutex and its condition variable: the
 * reader sleeps on the condition until the writer has set the ready flag,
 * so it never reads a half-written string and never polls.
 *
 * Both objects get unique names (with the pid) and are removed at the end;
 * the program exits 0 on success and 1 on any failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ipc/ipc.h>

/* What the two processes share: the flag and the text behind it. */
struct board {
	int ready;
	char text[64];
};

static int fail(const char *who, const char *what, ipc_status st)
{
	fprintf(stderr, "%s: %s: %s\n", who, what, ipc_strerror(st));
	return 1;
}

/* The reader opens both objects by name, as an unrelated program would. */
static int reader(const char *shm_name, const char *mutex_name)
{
	ipc_deadline d = ipc_deadline_in_ms(5000);
	char text[sizeof(((struct board *)0)->text)];
	struct board *b;
	ipc_mutex *mx;
	ipc_shm *shm;
	ipc_status st;

	st = ipc_mutex_open(&mx, mutex_name, 0, 0, d);
	if (st)
		return fail("reader", "open mutex", st);
	st = ipc_shm_open(&shm, shm_name, sizeof(*b), 0, 0);
	if (st) {
		ipc_mutex_close(mx);
		return fail("reader", "open shm", st);
	}
	b = ipc_shm_addr(shm);

	st = ipc_mutex_lock(mx, d);
	if (st != 0 && st != -EOWNERDEAD) {
		ipc_shm_close(shm);
		ipc_mutex_close(mx);
		return fail("reader", "lock", st);
	}
	/* We hold the lock from here on: ipc_mutex_wait() releases it while
	 * it sleeps and takes it back before returning, even on -ETIMEDOUT. */
	for (;;) {
		if (st == -EOWNERDEAD) {
			/* A holder died; the flag is set only after the
			 * text, so there is nothing to repair. */
			fprintf(stderr, "reader: a lock holder died\n");
			st = ipc_mutex_consistent(mx);
		}
		if (st != 0 || b->ready)
			break;
		st = ipc_mutex_wait(mx, d);
	}
	if (st == 0)
		memcpy(text, b->text, sizeof(text));
	text[sizeof(text) - 1] = '\0';
	if (st != -ENOTRECOVERABLE)
		ipc_mutex_unlock(mx);
	ipc_shm_close(shm);
	ipc_mutex_close(mx);
	if (st)
		return fail("reader", "wait for the text", st);
	printf("reader %ld read from %s: %s\n", (long)getpid(), shm_name, text);
	return 0;
}

static int writer(ipc_mutex *mx, struct board *b)
{
	static const char msg[] = "Linux Programming";
	ipc_status st;

	st = ipc_mutex_lock(mx, ipc_deadline_in_ms(5000));
	if (st == -EOWNERDEAD)
		st = ipc_mutex_consistent(mx); /* nobody else writes here */
	if (st)
		return fail("writer", "lock", st);
	memcpy(b->text, msg, sizeof(msg));
	b->ready = 1;
	printf("writer %ld wrote \"%s\" (%zu bytes)\n", (long)getpid(), msg,
	       sizeof(msg));
	fflush(stdout);
	st = ipc_mutex_broadcast(mx);
	ipc_mutex_unlock(mx);
	if (st)
		return fail("writer", "broadcast", st);
	return 0;
}

int main(void)
{
	char shm_name[64];
	char mutex_name[64];
	ipc_mutex *mx = NULL;
	ipc_shm *shm = NULL;
	ipc_status st;
	int rc = 1;
	pid_t pid;
	int ws;

	snprintf(shm_name, sizeof(shm_name), "/shm-lp-%ld", (long)getpid());
	snprintf(mutex_name, sizeof(mutex_name), "/shm-lp-%ld-lock",
	         (long)getpid());

	st = ipc_mutex_open(&mx, mutex_name, IPC_O_CREATE | IPC_O_EXCL, 0600,
	                    ipc_deadline_in_ms(1000));
	if (st)
		return fail("writer", "create mutex", st);
	st = ipc_shm_open(&shm, shm_name, sizeof(struct board),
	                  IPC_O_CREATE | IPC_O_EXCL, 0600);
	if (st) {
		fail("writer", "create shm", st);
		goto out_mutex;
	}
	printf("made %s (%zu bytes) and %s\n", shm_name, ipc_shm_size(shm),
	       mutex_name);

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		goto out_shm;
	}
	if (pid == 0) {
		/* The child leaves the inherited handles alone. */
		rc = reader(shm_name, mutex_name);
		fflush(stdout);
		_exit(rc);
	}

	rc = writer(mx, ipc_shm_addr(shm));
	if (waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) ||
	    WEXITSTATUS(ws) != 0) {
		fprintf(stderr, "writer: the reader failed\n");
		rc = 1;
	}

out_shm:
	ipc_shm_close(shm);
	if (ipc_shm_unlink(shm_name) != 0)
		rc = 1;
out_mutex:
	ipc_mutex_close(mx);
	if (ipc_mutex_unlink(mutex_name) != 0)
		rc = 1;
	if (rc == 0)
		printf("removed %s and %s\n", shm_name, mutex_name);
	return rc;
}
