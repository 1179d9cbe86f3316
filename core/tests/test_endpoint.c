/* SPDX-License-Identifier: MIT */
/*
 * Endpoints in the environment: IPC_ENDPOINTS built with
 * ipc_endpoint_append(), read with ipc_endpoint_lookup(), its escapes and
 * errors, and children that open the endpoints their parent handed down.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ipc/chan.h"
#include "ipc/mq.h"
#include "ipc/ring.h"
#include "ipc/url.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void lookup_is(const char *env, const char *name, const char *want)
{
	char buf[1024];
	ipc_status st;

	st = ipc_endpoint_lookup(env, name, buf, sizeof(buf));
	if (st)
		check_fail(__FILE__, __LINE__, "lookup(\"%s\", \"%s\"): %s: %s",
		           env ? env : "(env)", name, check_errname(st),
		           ipc_detail());
	CHECK_STR_EQ(buf, want);
	CHECK_STR_EQ(ipc_detail(), "");
}

static void test_append_lookup(void)
{
	char v[256] = "";

	CHECK_OK(ipc_endpoint_append(v, sizeof(v), "in", "ring:/a"));
	CHECK_STR_EQ(v, "in=ring:/a");
	CHECK_OK(ipc_endpoint_append(v, sizeof(v), "out",
	                             "mq:/b?max_messages=4&create=1"));
	CHECK_OK(ipc_endpoint_append(v, sizeof(v), "log.v2-x_Y", "unix:@log"));
	CHECK_STR_EQ(v, "in=ring:/a;out=mq:/b?max_messages=4&create=1;"
	                "log.v2-x_Y=unix:@log");
	lookup_is(v, "in", "ring:/a");
	lookup_is(v, "out", "mq:/b?max_messages=4&create=1");
	lookup_is(v, "log.v2-x_Y", "unix:@log");
	/* Names are exact and case-sensitive. */
	CHECK_ERR(ipc_endpoint_lookup(v, "IN", v + 200, 50), -ENOENT);
	CHECK_ERR(ipc_endpoint_lookup(v, "i", v + 200, 50), -ENOENT);
	CHECK_ERR(ipc_endpoint_lookup(v, "log", v + 200, 50), -ENOENT);
	CHECK(strstr(ipc_detail(), "not in IPC_ENDPOINTS") != NULL);
	CHECK_ERR(ipc_endpoint_lookup("", "in", v + 200, 50), -ENOENT);
	/* A URL may hold '=': the name ends at the first one. */
	lookup_is("a=fifo:/x=y?mode=0600", "a", "fifo:/x=y?mode=0600");
}

static void test_encoding(void)
{
	char v[256] = "";

	/* ';' and '%' are escaped, nothing else. */
	CHECK_OK(ipc_endpoint_append(v, sizeof(v), "a", "fifo:/t;1%2?x=&y"));
	CHECK_STR_EQ(v, "a=fifo:/t%3B1%252?x=&y");
	CHECK_OK(ipc_endpoint_append(v, sizeof(v), "b", ";%;"));
	CHECK_STR_EQ(v, "a=fifo:/t%3B1%252?x=&y;b=%3B%25%3B");
	lookup_is(v, "a", "fifo:/t;1%2?x=&y");
	lookup_is(v, "b", ";%;");
	/* Escapes decode case-insensitively; "%253B" is "%3B" literally. */
	lookup_is("x=a%3bb", "x", "a;b");
	lookup_is("x=%253B", "x", "%3B");
	lookup_is("x=tcp://[fe80::1%25eth0]:1", "x", "tcp://[fe80::1%eth0]:1");
}

static void test_append_errors(void)
{
	static const char *const bad_names[] = {
	        "", "a b", "a=b", "a;b", "a%b", "\xc3\xa9", "a/b", "a:b", "a\n",
	};
	char v[64] = "in=fd:3";
	char small[16];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_names); i++) {
		CHECK_ERR(
		        ipc_endpoint_append(v, sizeof(v), bad_names[i], "fd:4"),
		        -EINVAL);
		CHECK(ipc_detail()[0] != '\0');
	}
	CHECK_ERR(ipc_endpoint_append(v, sizeof(v), NULL, "fd:4"), -EINVAL);
	CHECK_ERR(ipc_endpoint_append(v, sizeof(v), "x", NULL), -EINVAL);
	CHECK_ERR(ipc_endpoint_append(v, sizeof(v), "x", ""), -EINVAL);
	CHECK_ERR(ipc_endpoint_append(NULL, 10, "x", "fd:4"), -EINVAL);
	/* Duplicates. */
	CHECK_ERR(ipc_endpoint_append(v, sizeof(v), "in", "fd:4"), -EINVAL);
	CHECK(strstr(ipc_detail(), "already") != NULL);
	CHECK_STR_EQ(v, "in=fd:3");
	/* A malformed value is not extended. */
	strcpy(small, "in=fd:3;");
	CHECK_ERR(ipc_endpoint_append(small, sizeof(small), "x", "fd:4"),
	          -EINVAL);
	CHECK_STR_EQ(small, "in=fd:3;");
	/* Not terminated within cap. */
	memset(small, 'a', sizeof(small));
	CHECK_ERR(ipc_endpoint_append(small, sizeof(small), "x", "fd:4"),
	          -EINVAL);

	/* Too small: -ENAMETOOLONG and the value unchanged; the exact
	 * fit works. "in=fd:3;x=a%3B" is 14 bytes and its NUL. */
	strcpy(small, "in=fd:3");
	CHECK_ERR(ipc_endpoint_append(small, 14, "x", "a;"), -ENAMETOOLONG);
	CHECK_STR_EQ(small, "in=fd:3");
	CHECK_OK(ipc_endpoint_append(small, 15, "x", "a;"));
	CHECK_STR_EQ(small, "in=fd:3;x=a%3B");
	small[0] = '\0';
	CHECK_ERR(ipc_endpoint_append(small, 6, "ab", "c:d"), -ENAMETOOLONG);
	CHECK_STR_EQ(small, "");
	CHECK_OK(ipc_endpoint_append(small, 7, "ab", "c:d"));
	CHECK_STR_EQ(small, "ab=c:d");
}

static const char *const bad_values[] = {
        ";",
        "in=fd:3;",
        ";in=fd:3",
        "in=fd:3;;b=fd:4",
        "in",
        "in=fd:3;b",
        "=fd:3",
        "in=",
        "in=fd:3;b=",
        "in=fd:3;in=fd:4",
        "b=x;in=fd:3;b=y",
        "in=%",
        "in=%3",
        "in=%41",
        "in=%3C",
        "in=%2",
        "in=a%2",
        "in=%%",
        "in=%3B%",
        "in=%25%",
        "i n=fd:3",
        "in =fd:3",
        "\xc3\xa9=fd:3",
        "in=fd:3;%=x",
        "in=fd:3;b;c=fd:4",
};

static void test_lookup_errors(void)
{
	char buf[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_values); i++) {
		ipc_status st;

		/* The whole value is checked, whatever the name asked. */
		st = ipc_endpoint_lookup(bad_values[i], "in", buf, sizeof(buf));
		if (st != -EINVAL)
			check_fail(__FILE__, __LINE__,
			           "lookup(\"%s\"): %s, want EINVAL",
			           bad_values[i], check_errname(st));
		CHECK(strncmp(ipc_detail(), "IPC_ENDPOINTS", 13) == 0);
		CHECK_ERR(ipc_endpoint_lookup(bad_values[i], "zz", buf,
		                              sizeof(buf)),
		          -EINVAL);
	}
	/* Bad names asked for. */
	CHECK_ERR(ipc_endpoint_lookup("in=fd:3", "", buf, sizeof(buf)),
	          -EINVAL);
	CHECK_ERR(ipc_endpoint_lookup("in=fd:3", "in=", buf, sizeof(buf)),
	          -EINVAL);
	CHECK_ERR(ipc_endpoint_lookup("in=fd:3", NULL, buf, sizeof(buf)),
	          -EINVAL);
	/* Room for the decoded URL, exactly. */
	CHECK_OK(ipc_endpoint_lookup("in=fd:3%3B", "in", buf, 6));
	CHECK_STR_EQ(buf, "fd:3;");
	CHECK_ERR(ipc_endpoint_lookup("in=fd:3%3B", "in", buf, 5),
	          -ENAMETOOLONG);
	CHECK_STR_EQ(buf, "");
	CHECK_ERR(ipc_endpoint_lookup("in=fd:3", "in", buf, 0), -ENAMETOOLONG);
	CHECK_ERR(ipc_endpoint_lookup("in=fd:3", "in", NULL, 10),
	          -ENAMETOOLONG);
}

static void test_lookup_environ(void)
{
	char buf[64];

	CHECK(unsetenv(IPC_ENDPOINTS_ENV) == 0);
	CHECK_ERR(ipc_endpoint_lookup(NULL, "in", buf, sizeof(buf)), -ENOENT);
	CHECK(strstr(ipc_detail(), "not set") != NULL);
	CHECK(setenv(IPC_ENDPOINTS_ENV, "in=mq:/x;out=fd:1", 1) == 0);
	lookup_is(NULL, "out", "fd:1");
	CHECK_ERR(ipc_endpoint_lookup(NULL, "err", buf, sizeof(buf)), -ENOENT);
	CHECK(setenv(IPC_ENDPOINTS_ENV, "", 1) == 0);
	CHECK_ERR(ipc_endpoint_lookup(NULL, "in", buf, sizeof(buf)), -ENOENT);
}

/* Many entries, found whichever the position. */
static void test_many(void)
{
	static char v[20000];
	char name[16];
	char url[32];
	char buf[64];
	int i;

	v[0] = '\0';
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "e%d", i);
		snprintf(url, sizeof(url), "fd:%d", i);
		CHECK_OK(ipc_endpoint_append(v, sizeof(v), name, url));
	}
	for (i = 0; i < 300; i += 37) {
		snprintf(name, sizeof(name), "e%d", i);
		snprintf(url, sizeof(url), "fd:%d", i);
		CHECK_OK(ipc_endpoint_lookup(v, name, buf, sizeof(buf)));
		CHECK_STR_EQ(buf, url);
	}
	CHECK_ERR(ipc_endpoint_append(v, sizeof(v), "e299", "fd:1"), -EINVAL);
}

/* ---- opening endpoints (needs the channels) ------------------------- */

struct child_arg {
	const char *env;
	const char *name;
	unsigned int flags;
	const char *want;
};

/* A child that opens @name from its environment and expects @want. */
static void child_recv(void *p)
{
	const struct child_arg *a = p;
	ipc_chan *c = NULL;
	char buf[64];
	size_t n = 0;
	ipc_status st;

	CHECK(setenv(IPC_ENDPOINTS_ENV, a->env, 1) == 0);
	st = ipc_endpoint_open(&c, a->name, a->flags, ipc_deadline_in_ms(5000));
	if (st)
		check_fail(__FILE__, __LINE__, "endpoint_open: %s: %s",
		           check_errname(st), ipc_detail());
	CHECK_OK(ipc_chan_recv(c, buf, sizeof(buf), &n,
	                       ipc_deadline_in_ms(5000)));
	CHECK_EQ(n, strlen(a->want));
	CHECK_MEM_EQ(buf, a->want, n);
	CHECK_OK(ipc_chan_close(c));
}

static void unlink_mq(void *name)
{
	(void)ipc_mq_unlink(name);
}

static void test_open_mq(void)
{
	const char *name = check_posix_name("ep");
	char url[256];
	char env[512] = "";
	struct child_arg a;
	ipc_chan *c;
	pid_t pid;

	snprintf(url, sizeof(url), "mq:%s?create=1&max_messages=4", name);
	CHECK_OK(ipc_chan_open(&c, url, IPC_O_WRITE, NULL, IPC_DEADLINE_NOW));
	check_defer(unlink_mq, (void *)name);
	CHECK_OK(ipc_chan_send(c, "hello", 5, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_endpoint_append(env, sizeof(env), "other", "fd:99"));
	snprintf(url, sizeof(url), "mq:%s", name);
	CHECK_OK(ipc_endpoint_append(env, sizeof(env), "in", url));
	a.env = env;
	a.name = "in";
	a.flags = 0;
	a.want = "hello";
	pid = check_fork(child_recv, &a);
	CHECK_CHILD_OK(pid, 10000);
	CHECK_OK(ipc_chan_close(c));
}

static void unlink_url(void *url)
{
	(void)ipc_unlink_url(url);
}

static void test_open_ring(void)
{
	const char *name = check_posix_name("epring");
	static char url[256];
	char env[512] = "";
	struct child_arg a;
	ipc_chan *c;
	pid_t pid;

	snprintf(url, sizeof(url), "ring:%s?create=1&capacity=64K", name);
	CHECK_OK(ipc_chan_open(&c, url, IPC_O_WRITE, NULL, IPC_DEADLINE_NOW));
	snprintf(url, sizeof(url), "ring:%s", name);
	check_defer(unlink_url, url);
	CHECK_OK(ipc_chan_send(c, "ring msg", 8, IPC_DEADLINE_NOW));
	CHECK_OK(ipc_endpoint_append(env, sizeof(env), "in", url));
	a.env = env;
	a.name = "in";
	a.flags = IPC_O_READ;
	a.want = "ring msg";
	pid = check_fork(child_recv, &a);
	CHECK_CHILD_OK(pid, 10000);
	CHECK_OK(ipc_chan_close(c));
	CHECK_OK(ipc_unlink_url(url));
}

static void test_open_fd(void)
{
	char env[128] = "";
	char url[32];
	struct child_arg a;
	ipc_chan *rd;
	ipc_chan *wr;
	pid_t pid;

	CHECK_OK(ipc_chan_pipe(&rd, &wr, 0));
	CHECK_OK(ipc_chan_send(wr, "via fd", 6, IPC_DEADLINE_NOW));
	snprintf(url, sizeof(url), "fd:%d", ipc_chan_fd(rd));
	CHECK_OK(ipc_endpoint_append(env, sizeof(env), "in", url));
	a.env = env;
	a.name = "in";
	a.flags = IPC_O_READ;
	a.want = "via fd";
	pid = check_fork(child_recv, &a);
	CHECK_CHILD_OK(pid, 10000);
	CHECK_OK(ipc_chan_close(rd));
	CHECK_OK(ipc_chan_close(wr));
}

/* This binary, for test_open_exec (/proc/self/exe is valgrind under it). */
static char self_path[PATH_MAX];

/* Through exec: the variable as a real child process sees it. */
static void test_open_exec(void)
{
	char env[128] = "";
	char url[32];
	char var[160];
	ipc_chan *rd;
	int fds[2];
	pid_t pid;
	int ws;

	CHECK(pipe(fds) == 0); /* inherited: no close-on-exec */
	snprintf(url, sizeof(url), "fd:%d", fds[1]);
	CHECK_OK(ipc_endpoint_append(env, sizeof(env), "out", url));
	snprintf(var, sizeof(var), "%s=%s", IPC_ENDPOINTS_ENV, env);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char *argv[] = {self_path, (char *)"--endpoint-child", NULL};
		char *envp[] = {var, NULL};

		close(fds[0]);
		execve(self_path, argv, envp);
		_exit(127);
	}
	CHECK(close(fds[1]) == 0);
	snprintf(url, sizeof(url), "fd:%d", fds[0]);
	CHECK_OK(ipc_chan_open(&rd, url, IPC_O_READ, NULL, IPC_DEADLINE_NOW));
	{
		char buf[64];
		size_t n = 0;

		CHECK_OK(ipc_chan_recv(rd, buf, sizeof(buf), &n,
		                       ipc_deadline_in_ms(10000)));
		CHECK_EQ(n, 9);
		CHECK_MEM_EQ(buf, "from exec", 9);
	}
	CHECK(waitpid(pid, &ws, 0) == pid);
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	CHECK_OK(ipc_chan_close(rd));
}

/* The exec'd child of test_open_exec. */
static int endpoint_child(void)
{
	ipc_chan *c;

	if (ipc_endpoint_open(&c, "out", 0, ipc_deadline_in_ms(5000)) != 0)
		return 1;
	if (ipc_chan_send(c, "from exec", 9, ipc_deadline_in_ms(5000)) != 0)
		return 2;
	return ipc_chan_close(c) == 0 ? 0 : 3;
}

static void test_open_errors(void)
{
	ipc_chan *c = (ipc_chan *)1;

	CHECK(unsetenv(IPC_ENDPOINTS_ENV) == 0);
	CHECK_ERR(ipc_endpoint_open(&c, "in", 0, IPC_DEADLINE_NOW), -ENOENT);
	CHECK(c == NULL);
	CHECK(strstr(ipc_detail(), "not set") != NULL);
	CHECK(setenv(IPC_ENDPOINTS_ENV, "in=mq:nope;out=shm:/x", 1) == 0);
	CHECK_ERR(ipc_endpoint_open(&c, "err", 0, IPC_DEADLINE_NOW), -ENOENT);
	/* A malformed URL: its detail, prefixed with the endpoint. */
	CHECK_ERR(ipc_endpoint_open(&c, "in", 0, IPC_DEADLINE_NOW), -EINVAL);
	CHECK(strstr(ipc_detail(), "endpoint \"in\"") != NULL);
	CHECK(strstr(ipc_detail(), "mq:nope") != NULL);
	/* Not a channel kind. */
	CHECK_ERR(ipc_endpoint_open(&c, "out", 0, IPC_DEADLINE_NOW), -EINVAL);
	CHECK(ipc_detail()[0] != '\0');
	/* A FIFO is one direction: flags 0 cannot choose. */
	CHECK(setenv(IPC_ENDPOINTS_ENV, "f=fifo:/nonexistent/f", 1) == 0);
	CHECK_ERR(ipc_endpoint_open(&c, "f", 0, IPC_DEADLINE_NOW), -EINVAL);
	CHECK(strstr(ipc_detail(), "endpoint \"f\"") != NULL);
	/* A malformed variable. */
	CHECK(setenv(IPC_ENDPOINTS_ENV, "in=fd:0;;", 1) == 0);
	CHECK_ERR(ipc_endpoint_open(&c, "in", 0, IPC_DEADLINE_NOW), -EINVAL);
	CHECK(strstr(ipc_detail(), "empty") != NULL);
	CHECK_ERR(ipc_endpoint_open(NULL, "in", 0, IPC_DEADLINE_NOW), -EINVAL);
	CHECK_ERR(ipc_endpoint_open(&c, NULL, 0, IPC_DEADLINE_NOW), -EINVAL);
	/* Nothing open at the descriptor: the channel's error. */
	CHECK(setenv(IPC_ENDPOINTS_ENV, "in=fd:987", 1) == 0);
	CHECK_ERR(ipc_endpoint_open(&c, "in", 0, IPC_DEADLINE_NOW), -EBADF);
	CHECK(c == NULL);
}

static const struct check_case cases[] = {
        CHECK_CASE(test_append_lookup),  CHECK_CASE(test_encoding),
        CHECK_CASE(test_append_errors),  CHECK_CASE(test_lookup_errors),
        CHECK_CASE(test_lookup_environ), CHECK_CASE(test_many),
        CHECK_CASE(test_open_mq),        CHECK_CASE(test_open_ring),
        CHECK_CASE(test_open_fd),        CHECK_CASE(test_open_exec),
        CHECK_CASE(test_open_errors),    {NULL, NULL},
};

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--endpoint-child") == 0)
		return endpoint_child();
	if (realpath(argv[0], self_path) == NULL)
		return 2;
	return check_main(argc, argv, cases);
}
