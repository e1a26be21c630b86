/*
 * Unit test of server/serve.c's systemd notifications (Type=notify,
 * docs/PACKAGING.md): a fake NOTIFY_SOCKET, a datagram socket as systemd
 * binds it, must hear READY=1 once the server serves, RELOADING=1 (with
 * MONOTONIC_USEC) then READY=1 around each SIGHUP (a refused reload too),
 * and STOPPING=1 on SIGTERM. The server is serve_main in a forked child;
 * every wait is bounded (NOTIFY_WAIT_MS, far above any load).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "serve.h"
#include "testutil.h"

#define NOTIFY_WAIT_MS 60000

struct fixture {
	char *dir;
	char conf[256];
	int fd;
	pid_t pid;
};

static void
write_conf(const struct fixture *f, const char *extra)
{
	FILE *fp = fopen(f->conf, "w");

	assert_non_null(fp);
	fprintf(fp, "root %s/tree\ndb sqlite:%s/prov.db\nhttp 127.0.0.1:0\nlog-level err\n%s",
		f->dir, f->dir, extra);
	assert_int_equal(fclose(fp), 0);
}

/* The next datagram, NUL-terminated; fails the test after the bound. */
static void
next_msg(const struct fixture *f, char *buf, size_t cap)
{
	struct pollfd p = { .fd = f->fd, .events = POLLIN };
	ssize_t n;

	assert_int_equal(poll(&p, 1, NOTIFY_WAIT_MS), 1);
	n = recv(f->fd, buf, cap - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
}

static void
start(struct fixture *f, const char *extra)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[100], tree[200];

	f->dir = test_tmpdir();
	snprintf(tree, sizeof(tree), "%s/tree", f->dir);
	assert_int_equal(mkdir(tree, 0755), 0);
	snprintf(f->conf, sizeof(f->conf), "%s/prov.conf", f->dir);
	write_conf(f, extra);
	snprintf(path, sizeof(path), "%s/notify", f->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	f->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(f->fd >= 0);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* Run as root, the server drops to nobody before it is ready; like
	 * systemd's, the socket is writable by every user. */
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(chmod(path, 0666), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		char *argv[] = { "serve", "--config", f->conf, NULL };

		/* A failed test ends the test process: the server goes with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		setenv("NOTIFY_SOCKET", path, 1);
		_exit(serve_main(3, argv));
	}
}

static void
finish(struct fixture *f)
{
	int st;

	assert_int_equal(waitpid(f->pid, &st, 0), f->pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(f->fd);
	test_rmtree(f->dir);
	free(f->dir);
}

static void
test_notify_ready_reload_stop(void **state)
{
	struct fixture f;
	char msg[512];

	(void)state;
	start(&f, "");
	next_msg(&f, msg, sizeof(msg));
	assert_non_null(strstr(msg, "READY=1"));

	/* A reload that takes the new configuration. */
	assert_int_equal(kill(f.pid, SIGHUP), 0);
	next_msg(&f, msg, sizeof(msg));
	assert_non_null(strstr(msg, "RELOADING=1\n"));
	assert_non_null(strstr(msg, "MONOTONIC_USEC="));
	assert_true(strtoll(strstr(msg, "MONOTONIC_USEC=") + 15, NULL, 10) > 0);
	next_msg(&f, msg, sizeof(msg));
	assert_non_null(strstr(msg, "READY=1"));
	assert_non_null(strstr(msg, "STATUS=configuration reloaded"));

	/* A refused one still ends the reloading state. */
	write_conf(&f, "no-such-option 1\n");
	assert_int_equal(kill(f.pid, SIGHUP), 0);
	next_msg(&f, msg, sizeof(msg));
	assert_non_null(strstr(msg, "RELOADING=1"));
	next_msg(&f, msg, sizeof(msg));
	assert_non_null(strstr(msg, "READY=1"));
	assert_non_null(strstr(msg, "STATUS=reload refused"));

	assert_int_equal(kill(f.pid, SIGTERM), 0);
	next_msg(&f, msg, sizeof(msg));
	assert_string_equal(msg, "STOPPING=1");
	finish(&f);
}

/* Several workers: the master is systemd's main process; worker 0 says
 * READY, and the master too says STOPPING. */
static void
test_notify_workers(void **state)
{
	struct fixture f;
	char msg[512];

	(void)state;
	start(&f, "workers 2\n");
	next_msg(&f, msg, sizeof(msg));
	assert_non_null(strstr(msg, "READY=1"));
	assert_int_equal(kill(f.pid, SIGTERM), 0);
	next_msg(&f, msg, sizeof(msg));
	assert_string_equal(msg, "STOPPING=1");
	finish(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify_ready_reload_stop),
		cmocka_unit_test(test_notify_workers),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
