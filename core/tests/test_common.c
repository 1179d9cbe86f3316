/* SPDX-License-Identifier: MIT */
/* Error strings, errno names, deadlines, and the harness's own checks. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <pthread.h>

#include "check.h"
#include "internal.h"
#include "ipc/ipc.h"

static void test_errname_roundtrip(void)
{
	const char *name;
	size_t i;
	int e;

	CHECK_STR_EQ(ipc_errname(-EAGAIN), "EAGAIN");
	CHECK_STR_EQ(ipc_errname(-ETIMEDOUT), "ETIMEDOUT");
	CHECK_STR_EQ(ipc_errname(EPIPE), "EPIPE");
	CHECK_STR_EQ(ipc_errname(0), "OK");
	CHECK(ipc_errname(-100000) == NULL);
	CHECK_EQ(ipc_errno_by_name("EMSGSIZE"), EMSGSIZE);
	CHECK_EQ(ipc_errno_by_name("ENOTANERRNO"), 0);
	CHECK_EQ(ipc_errno_by_name(NULL), 0);
	/* Every entry of the table maps back to itself: no alias makes the
	 * reverse lookup ambiguous. */
	for (i = 0; (e = ipc_errno_at(i, &name)) != 0; i++) {
		CHECK(name != NULL);
		CHECK_STR_EQ(ipc_errname(-e), name);
		CHECK_EQ(ipc_errno_by_name(name), e);
	}
	CHECK(i > 100);
	CHECK(ipc_errno_at(i, &name) == 0 && name == NULL);
}

static void test_strerror(void)
{
	CHECK_STR_EQ(ipc_strerror(0), "Success");
	CHECK_STR_EQ(ipc_strerror(-ETIMEDOUT), "Connection timed out");
	CHECK_STR_EQ(ipc_strerror(EPIPE), "Broken pipe");
	CHECK_STR_EQ(ipc_strerror(-99999), "Unknown error");
}

static void test_version(void)
{
	char want[32];

	snprintf(want, sizeof(want), "%d.%d.%d", IPC_VERSION_MAJOR,
	         IPC_VERSION_MINOR, IPC_VERSION_PATCH);
	CHECK_STR_EQ(ipc_version(), want);
	CHECK_EQ(ipc_version_number(), IPC_VERSION_MAJOR * 10000 +
	                                       IPC_VERSION_MINOR * 100 +
	                                       IPC_VERSION_PATCH);
}

static void test_deadline_helpers(void)
{
	ipc_deadline now = ipc_now();
	ipc_deadline d;

	CHECK(now > 0);
	CHECK(ipc_deadline_expired(IPC_DEADLINE_NOW));
	CHECK(!ipc_deadline_expired(IPC_DEADLINE_NEVER));
	CHECK_EQ(ipc_deadline_in_ms(-1), IPC_DEADLINE_NEVER);
	CHECK_EQ(ipc_deadline_in_ms(INT64_MAX), IPC_DEADLINE_NEVER);
	CHECK_EQ(ipc_deadline_in_ns(INT64_MAX - 1), IPC_DEADLINE_NEVER);
	CHECK_EQ(ipc_deadline_remaining_ms(IPC_DEADLINE_NEVER), -1);
	CHECK_EQ(ipc_deadline_remaining_ms(IPC_DEADLINE_NOW), 0);

	d = ipc_deadline_in_ms(1000);
	CHECK(d >= now + 1000 * 1000000LL);
	CHECK(ipc_deadline_remaining_ms(d) > 900);
	CHECK(ipc_deadline_remaining_ms(d) <= 1000);
	/* Remaining time rounds up, so a wait never ends early: whatever
	 * the speed of the machine (valgrind), the milliseconds reported
	 * cover what was truly left when they were computed. */
	for (int i = 0; i < 1000; i++) {
		ipc_deadline soon = ipc_now() + 1000 * i;
		int64_t ms = ipc_deadline_remaining_ms(soon);
		ipc_deadline after = ipc_now();

		CHECK(ms * 1000000 >= soon - after);
		CHECK(ms <= 1);
	}
	CHECK(!ipc_deadline_expired(d));
}

static void test_deadline_from_seconds(void)
{
	ipc_deadline before = ipc_now();
	ipc_deadline d = ipc_deadline_from_seconds(0.25);

	CHECK_EQ(ipc_deadline_from_seconds(0), IPC_DEADLINE_NOW);
	CHECK_EQ(ipc_deadline_from_seconds(-1), IPC_DEADLINE_NEVER);
	CHECK_EQ(ipc_deadline_from_seconds(NAN), IPC_DEADLINE_NEVER);
	CHECK_EQ(ipc_deadline_from_seconds(INFINITY), IPC_DEADLINE_NEVER);
	CHECK_EQ(ipc_deadline_from_seconds(1e300), IPC_DEADLINE_NEVER);
	CHECK(d >= before + 250000000LL);
	CHECK(d <= ipc_now() + 250000000LL);
	/* The smallest positive timeout is still a real (tiny) wait. */
	CHECK(ipc_deadline_from_seconds(1e-12) > IPC_DEADLINE_NOW);
}

static void test_monotonic(void)
{
	ipc_deadline a = ipc_now();
	ipc_deadline b = ipc_now();

	CHECK(b >= a);
}

static void test_sysv_keys(void)
{
	const char *path = check_path("keyfile");
	int32_t a;
	int32_t b;
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	fclose(f);
	CHECK_OK(ipc_sysv_key(path, 1, &a));
	CHECK(a != 0 && a != -1);
	CHECK_OK(ipc_sysv_key(path, 2, &b));
	CHECK(a != b);
	CHECK_ERR(ipc_sysv_key(path, 0, &a), -EINVAL);
	CHECK_ERR(ipc_sysv_key(path, 256, &a), -EINVAL);
	CHECK_ERR(ipc_sysv_key("", 1, &a), -EINVAL);
	CHECK_ERR(ipc_sysv_key("/nonexistent/ipc-key", 1, &a), -ENOENT);

	CHECK_OK(ipc_sysv_parse_key("1234", &a));
	CHECK_EQ(a, 1234);
	CHECK_OK(ipc_sysv_parse_key("0x4d2", &a));
	CHECK_EQ(a, 1234);
	CHECK_OK(ipc_sysv_parse_key("0xFFFFFFFF", &a));
	CHECK_EQ(a, -1);
	CHECK_OK(ipc_sysv_parse_key("0", &a));
	CHECK_EQ(a, IPC_SYSV_PRIVATE);
	CHECK_OK(ipc_sysv_key(path, 7, &b));
	{
		char text[300];

		snprintf(text, sizeof(text), "%s:7", path);
		CHECK_OK(ipc_sysv_parse_key(text, &a));
		CHECK_EQ(a, b);
		snprintf(text, sizeof(text), "%s:0", path);
		CHECK_ERR(ipc_sysv_parse_key(text, &a), -EINVAL);
		snprintf(text, sizeof(text), "%s:", path);
		CHECK_ERR(ipc_sysv_parse_key(text, &a), -EINVAL);
		snprintf(text, sizeof(text), "%s:x", path);
		CHECK_ERR(ipc_sysv_parse_key(text, &a), -EINVAL);
	}
	CHECK_ERR(ipc_sysv_parse_key("", &a), -EINVAL);
	CHECK_ERR(ipc_sysv_parse_key("-1", &a), -EINVAL);
	CHECK_ERR(ipc_sysv_parse_key("0x", &a), -EINVAL);
	CHECK_ERR(ipc_sysv_parse_key("0x100000000", &a), -EINVAL);
	CHECK_ERR(ipc_sysv_parse_key("12ab", &a), -EINVAL);
	CHECK_ERR(ipc_sysv_parse_key(" 12", &a), -EINVAL);
	CHECK_ERR(ipc_sysv_parse_key(":3", &a), -EINVAL);
	CHECK_ERR(ipc_sysv_parse_key("/nonexistent/x:3", &a), -ENOENT);
}

/* The failure detail is per thread: one thread's message never shows up
 * in another, and clearing it leaves "". */
static void *detail_thread(void *arg)
{
	(void)arg;
	if (ipc_detail()[0] != '\0')
		return (void *)1;
	(void)ipc__detail(-EINVAL, "thread %d", 2);
	return strcmp(ipc_detail(), "thread 2") == 0 ? NULL : (void *)2;
}

static void test_detail_thread_local(void)
{
	pthread_t t;
	void *res = (void *)3;

	CHECK_STR_EQ(ipc_detail(), "");
	CHECK_EQ(ipc__detail(-EPROTO, "main %s", "thread"), -EPROTO);
	CHECK_STR_EQ(ipc_detail(), "main thread");
	CHECK_EQ(pthread_create(&t, NULL, detail_thread, NULL), 0);
	CHECK_EQ(pthread_join(t, &res), 0);
	CHECK(res == NULL);
	CHECK_STR_EQ(ipc_detail(), "main thread");
	ipc__detail_clear();
	CHECK_STR_EQ(ipc_detail(), "");
	/* The public clear, which bindings call before each call. */
	CHECK_EQ(ipc__detail(-EINVAL, "stale"), -EINVAL);
	ipc_detail_clear();
	CHECK_STR_EQ(ipc_detail(), "");
}

static const struct check_case cases[] = {
        CHECK_CASE(test_errname_roundtrip),
        CHECK_CASE(test_strerror),
        CHECK_CASE(test_version),
        CHECK_CASE(test_deadline_helpers),
        CHECK_CASE(test_deadline_from_seconds),
        CHECK_CASE(test_monotonic),
        CHECK_CASE(test_sysv_keys),
        CHECK_CASE(test_detail_thread_local),
        {NULL, NULL},
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
