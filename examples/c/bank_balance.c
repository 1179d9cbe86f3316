/* SPDX-License-Identifier: MIT */
/*
 * bank_balance - the classic race, and the semaphore that fixes it.
 *
 * Several processes each make many deposits into one balance kept in
 * shared memory, by read-modify-write: read the balance, yield the CPU,
 * write back the balance read plus the deposit. Run unprotected, two
 * processes read the same balance and one deposit is lost: the total comes
 * out short (usually; by chance it can come out right, which is reported
 * and is not an error). Run again with each deposit between a wait and a
 * post on a POSIX semaphore that lives in the same shared memory, and then
 * with a System V semaphore set taken with undo, the total must be exact:
 * the program exits non-zero if it is not.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <sched.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ipc/ipc.h>

#define TELLERS  4
#define DEPOSITS 2000
#define AMOUNT   10
#define WAIT_MS  5000

enum guard { NONE, POSIX_SEM, SYSV_SET };

struct bank {
	volatile long balance;
	alignas(IPC_SEM_ALIGN) unsigned char sem[IPC_SEM_SIZE];
};

static const char *const guard_names[] = {"without a semaphore",
                                          "with a POSIX semaphore",
                                          "with a System V semaphore set"};

/* One teller's deposits; returns 0, or 1 after a failed wait or post. */
static int teller(struct bank *bank, enum guard g, ipc_sem *sem,
                  ipc_semset *set)
{
	static const struct ipc_semop take = {0, -1, IPC_SEMSET_UNDO};
	static const struct ipc_semop give = {0, 1, IPC_SEMSET_UNDO};
	ipc_status st = 0;
	long seen;
	int i;

	for (i = 0; i < DEPOSITS; i++) {
		if (g == POSIX_SEM)
			st = ipc_sem_wait(sem, ipc_deadline_in_ms(WAIT_MS));
		else if (g == SYSV_SET)
			st = ipc_semset_op(set, &take, 1,
			                   ipc_deadline_in_ms(WAIT_MS));
		if (st) {
			fprintf(stderr, "teller %ld: wait: %s\n",
			        (long)getpid(), ipc_strerror(st));
			return 1;
		}
		seen = bank->balance;
		sched_yield(); /* let another teller read the same balance */
		bank->balance = seen + AMOUNT;
		if (g == POSIX_SEM)
			st = ipc_sem_post(sem);
		else if (g == SYSV_SET)
			st = ipc_semset_op(set, &give, 1, IPC_DEADLINE_NOW);
		if (st) {
			fprintf(stderr, "teller %ld: post: %s\n",
			        (long)getpid(), ipc_strerror(st));
			return 1;
		}
	}
	return 0;
}

/* Run the tellers; *@balance is the total they leave. */
static int run(struct bank *bank, enum guard g, ipc_sem *sem, ipc_semset *set,
               long *balance)
{
	int failed = 0;
	pid_t pids[TELLERS];
	int ws;
	int i;

	bank->balance = 0;
	fflush(stdout);
	for (i = 0; i < TELLERS; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			failed = 1;
			break;
		}
		if (pids[i] == 0)
			_exit(teller(bank, g, sem, set));
	}
	while (--i >= 0) {
		if (waitpid(pids[i], &ws, 0) < 0 || !WIFEXITED(ws) ||
		    WEXITSTATUS(ws) != 0)
			failed = 1;
	}
	*balance = bank->balance;
	return failed;
}

static void report(enum guard g, long balance)
{
	const long want = (long)TELLERS * DEPOSITS * AMOUNT;

	printf("%-30s balance %7ld, expected %ld", guard_names[g], balance,
	       want);
	if (balance == want)
		printf(" (exact)\n");
	else
		printf(" (%ld deposits lost)\n", (want - balance) / AMOUNT);
}

int main(void)
{
	static const unsigned short one[1] = {1};
	const long want = (long)TELLERS * DEPOSITS * AMOUNT;
	struct bank *bank;
	ipc_semset *set = NULL;
	ipc_sem *sem = NULL;
	ipc_status st;
	long balance;
	int rc = 1;

	bank = mmap(NULL, sizeof(*bank), PROT_READ | PROT_WRITE,
	            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (bank == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	printf("%d tellers, %d deposits of %d each\n", TELLERS, DEPOSITS,
	       AMOUNT);

	/* 1. The race. */
	if (run(bank, NONE, NULL, NULL, &balance))
		goto out_unmap;
	report(NONE, balance);
	if (balance == want)
		printf("  (no deposit was lost this time: the race is real "
		       "all the same)\n");

	/* 2. A POSIX semaphore, value 1, in the shared memory itself. */
	st = ipc_sem_init(&sem, bank->sem, 1);
	if (st) {
		fprintf(stderr, "ipc_sem_init: %s\n", ipc_strerror(st));
		goto out_unmap;
	}
	if (run(bank, POSIX_SEM, sem, NULL, &balance))
		goto out_destroy;
	report(POSIX_SEM, balance);
	if (balance != want)
		goto out_destroy;

	/* 3. A private System V set of one, taken with undo: a teller
	 * killed while holding it would give it back. */
	st = ipc_semset_open(&set, IPC_SYSV_PRIVATE, 1, one, IPC_O_CREATE, 0,
	                     IPC_DEADLINE_NOW);
	if (st) {
		fprintf(stderr, "ipc_semset_open: %s\n", ipc_strerror(st));
		goto out_destroy;
	}
	if (run(bank, SYSV_SET, NULL, set, &balance))
		goto out_remove;
	report(SYSV_SET, balance);
	if (balance == want)
		rc = 0;

out_remove:
	ipc_semset_remove(set);
	ipc_semset_close(set);
out_destroy:
	ipc_sem_destroy(sem);
out_unmap:
	munmap(bank, sizeof(*bank));
	return rc;
}
