/*
 * Unit tests of the admin web interface (phone/admin.c) and the reboot
 * reasons (lib/device.c), in process: a device in a temporary state
 * directory, its engine and the admin server on this test's loop at
 * 127.0.0.1:0, driven by the real curl (--digest, --basic, hand-made
 * Digest headers for replays). A tiny HTTP responder on the same loop
 * serves the profiles the resyncs fetch.
 * device.md D-TRG-1, D-TRG-2, D-TRG-4, D-PAR-1, D-PAR-5, D-STA-1.
 */
#define _GNU_SOURCE /* accept4 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "admin.h"
#include "admin_int.h"
#include "loop.h"
#include "clock.h"
#include "prov/prov.h"

extern char **environ;

#define CURL_WAIT_MS 30000  /* one curl run at most */
#define RESYNC_WAIT_MS 20000 /* one resync at most */

static const struct prov_identity ident = {
	.mac = "00:0e:08:ab:cd:ef", .serial = NULL, .product = "CP-8841-3PCC",
	.psn = NULL, .swver = "sip88xx.11-3-1MPP-123", .hwver = NULL,
};

/* ---- fixture: device, net, engine, admin, profile responder ------------------ */

struct fx {
	char dir[64];
	struct loop *loop;
	struct prov_device *dev;
	struct prov_net *net;
	struct prov_engine *eng;
	struct admin *admin;
	uint64_t net_timer;
	int reboots, changes;
	char base[64];            /* http://127.0.0.1:PORT */
	int www_fd, www_port;     /* the profile responder */
	int www_conn;
	char www_req[4096];
	size_t www_len;
	int done;                 /* a waited-for event happened */
	int timeout;              /* ... or the wait gave up */
};

static const char *profile_body;  /* what the responder serves */

static void
host_fd(void *arg, int fd, unsigned events)
{
	struct fx *f = arg;

	prov_net_fd(f->net, fd, ((events & LOOP_IN) ? PROV_IN : 0) |
			       ((events & LOOP_OUT) ? PROV_OUT : 0));
}

static void
net_watch(void *arg, int fd, unsigned events)
{
	struct fx *f = arg;

	assert_int_equal(loop_fd(f->loop, fd, ((events & PROV_IN) ? LOOP_IN : 0) |
				 ((events & PROV_OUT) ? LOOP_OUT : 0), host_fd, f), 0);
}

static void
net_fire(void *arg)
{
	struct fx *f = arg;

	f->net_timer = 0;
	prov_net_timeout(f->net);
}

static void
net_timer(void *arg, long ms)
{
	struct fx *f = arg;

	if (f->net_timer != 0)
		loop_timer_del(f->loop, f->net_timer);
	f->net_timer = ms < 0 ? 0 : loop_timer_add(f->loop, clock_mono_ms() + ms, net_fire, f);
}

static struct prov_engine *
ops_engine(void *arg)
{
	return ((struct fx *)arg)->eng;
}

static int
ops_reboot(void *arg)
{
	struct fx *f = arg;

	f->reboots++;
	prov_engine_boot(f->eng);
	return 0;
}

static void
ops_changed(void *arg)
{
	((struct fx *)arg)->changes++;
}

/* The responder: reads a request up to its blank line, answers
 * profile_body, closes. One connection at a time is all a resync makes. */
static void
www_conn_event(void *arg, int fd, unsigned events)
{
	struct fx *f = arg;
	char head[256];
	ssize_t n;

	(void)events;
	n = recv(fd, f->www_req + f->www_len, sizeof(f->www_req) - 1 - f->www_len, 0);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n > 0) {
		f->www_len += (size_t)n;
		f->www_req[f->www_len] = '\0';
		if (strstr(f->www_req, "\r\n\r\n") == NULL && f->www_len < sizeof(f->www_req) - 1)
			return;
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", strlen(profile_body));
		assert_true(send(fd, head, strlen(head), MSG_NOSIGNAL) > 0);
		assert_true(send(fd, profile_body, strlen(profile_body), MSG_NOSIGNAL) > 0);
		shutdown(fd, SHUT_WR);
	}
	loop_fd(f->loop, fd, 0, NULL, NULL);
	close(fd);
	f->www_conn = -1;
}

static void
www_accept(void *arg, int fd, unsigned events)
{
	struct fx *f = arg;
	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	(void)events;
	if (c < 0)
		return;
	f->www_len = 0;
	f->www_req[0] = '\0';
	f->www_conn = c;
	assert_int_equal(loop_fd(f->loop, c, LOOP_IN, www_conn_event, f), 0);
}

static int
listen_local(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static int
setup(void **state)
{
	static const struct prov_net_ops nops = { net_watch, net_timer };
	struct fx *f = calloc(1, sizeof(*f));
	struct admin_ops ops = { ops_engine, ops_reboot, ops_changed, NULL, NULL };
	char msg[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/prov-admin-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->loop = loop_new();
	assert_non_null(f->loop);
	assert_int_equal(prov_device_create(f->dir, &ident, &f->dev, msg, sizeof(msg)), PROV_OK);
	assert_int_equal(prov_net_new(&nops, f, &f->net), PROV_OK);
	assert_int_equal(prov_engine_new(f->dev, f->net, NULL, &f->eng), PROV_OK);
	ops.arg = f;
	ops.state_dir = f->dir;
	if (admin_new(&f->admin, f->loop, f->dev, &ops, "127.0.0.1:0", msg, sizeof(msg)) != 0)
		fail_msg("admin_new: %s", msg);
	snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%d", admin_port(f->admin));
	f->www_conn = -1;
	f->www_fd = listen_local(&f->www_port);
	assert_int_equal(loop_fd(f->loop, f->www_fd, LOOP_IN, www_accept, f), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	admin_free(f->admin);
	prov_engine_free(f->eng);
	prov_net_free(f->net);
	if (f->www_conn >= 0)
		close(f->www_conn);
	close(f->www_fd);
	loop_free(f->loop);
	prov_device_free(f->dev);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* ---- running curl while the loop serves ---------------------------------------- */

struct child {
	struct fx *f;
	pid_t pid;
	int status;
};

static void
child_poll(void *arg)
{
	struct child *c = arg;

	if (waitpid(c->pid, &c->status, WNOHANG) == c->pid) {
		c->pid = 0;
		loop_stop(c->f->loop);
		return;
	}
	loop_timer_add(c->f->loop, clock_mono_ms() + 5, child_poll, c);
}

static void
give_up(void *arg)
{
	struct fx *f = arg;

	f->timeout = 1;
	loop_stop(f->loop);
}

/* Runs curl with args (NULL-ended) on URL PATH of the admin server; the
 * body goes to f->dir/body, the headers to f->dir/head. Returns the status. */
static int
curl(struct fx *f, const char *path, const char *const *args)
{
	char *argv[64];
	char url[512], body[128], head[128], codef[128], code[16] = "";
	size_t n = 0;
	struct child c = { f, 0, 0 };
	int fd;
	posix_spawn_file_actions_t fa;

	snprintf(url, sizeof(url), "%s%s", f->base, path);
	snprintf(body, sizeof(body), "%s/body", f->dir);
	snprintf(head, sizeof(head), "%s/head", f->dir);
	snprintf(codef, sizeof(codef), "%s/code", f->dir);
	{
		const char *fixed[] = { "curl", "-sS", "--max-time", "20", "-o", body, "-D", head,
					"-w", "%{http_code}" };

		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			argv[n++] = strdup(fixed[i]);
	}
	for (size_t i = 0; args != NULL && args[i] != NULL && n < 60; i++)
		argv[n++] = strdup(args[i]);
	argv[n++] = strdup(url);
	argv[n] = NULL;
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, 1, codef, O_WRONLY | O_CREAT |
							  O_TRUNC, 0600), 0);
	assert_int_equal(posix_spawnp(&c.pid, "curl", &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	for (size_t i = 0; i < n; i++)
		free(argv[i]);
	loop_timer_add(f->loop, clock_mono_ms() + 5, child_poll, &c);
	{
		uint64_t t = loop_timer_add(f->loop, clock_mono_ms() + CURL_WAIT_MS, give_up, f);

		f->timeout = 0;
		while (c.pid != 0 && !f->timeout)
			loop_run(f->loop);
		loop_timer_del(f->loop, t);
	}
	if (c.pid != 0) {
		kill(c.pid, SIGKILL);
		waitpid(c.pid, NULL, 0);
		fail_msg("curl %s did not finish", path);
	}
	assert_true(WIFEXITED(c.status));
	fd = open(codef, O_RDONLY);
	assert_true(fd >= 0);
	assert_true(read(fd, code, sizeof(code) - 1) >= 0);
	close(fd);
	return atoi(code);
}

/* A fresh copy of a file in the state dir ("body", "head"). */
static char *
slurp(struct fx *f, const char *name)
{
	char path[128], *buf = calloc(1, 1 << 20);
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, (1 << 20) - 1);
	assert_true(n >= 0);
	close(fd);
	return buf;
}

static int
contains(struct fx *f, const char *file, const char *needle)
{
	char *b = slurp(f, file);
	int r = strstr(b, needle) != NULL;

	free(b);
	return r;
}

static char *
get(struct fx *f, const char *name)
{
	char *v = NULL;

	assert_int_equal(prov_device_get(f->dev, name, PROV_SHOW_SECRETS, &v), PROV_OK);
	return v;
}

static void
set(struct fx *f, const char *name, const char *value)
{
	assert_int_equal(prov_device_set(f->dev, name, value, 0), PROV_OK);
}

static void
assert_param(struct fx *f, const char *name, const char *want)
{
	char *v = get(f, name);

	assert_string_equal(v, want);
	free(v);
}

static void
resync_done(void *arg)
{
	struct fx *f = arg;

	if (!prov_engine_running(f->eng)) {
		f->done = 1;
		loop_stop(f->loop);
		return;
	}
	loop_timer_add(f->loop, clock_mono_ms() + 5, resync_done, f);
}

/* Runs the loop until the engine's resync has ended. */
static void
wait_resync(struct fx *f)
{
	uint64_t t = loop_timer_add(f->loop, clock_mono_ms() + RESYNC_WAIT_MS, give_up, f);

	f->done = f->timeout = 0;
	loop_timer_add(f->loop, clock_mono_ms() + 5, resync_done, f);
	while (!f->done && !f->timeout)
		loop_run(f->loop);
	loop_timer_del(f->loop, t);
	assert_true(f->done);
}

/* The CSRF token of the page last fetched into "body". */
static void
page_token(struct fx *f, char *out, size_t outsize)
{
	char *b = slurp(f, "body"), *p = strstr(b, "name=\"csrf\" value=\"");

	assert_non_null(p);
	p += strlen("name=\"csrf\" value=\"");
	snprintf(out, outsize, "%.*s", (int)strcspn(p, "\""), p);
	assert_int_equal(strlen(out), 64);
	free(b);
}

#define S(lit) lit, sizeof(lit) - 1 /* a literal and its length */
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* ---- tests ------------------------------------------------------------------------ */

/* D-TRG-1: no open default. While Admin_Password is empty nothing changes
 * and every page says how to set it. */
static void
test_no_password(void **state)
{
	struct fx *f = *state;

	assert_int_equal(curl(f, "/admin/advanced", NULL), 403);
	assert_true(contains(f, "body", "prov phone set --state "));
	assert_true(contains(f, "body", "Admin_Password="));
	assert_true(contains(f, "body", f->dir));
	assert_int_equal(curl(f, "/admin/resync", ARGS("--basic", "-u", "admin:")), 403);
	assert_false(prov_engine_running(f->eng));
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--basic", "-u", "admin:",
				    "--data", "GPP_A=x")), 403);
	assert_param(f, "GPP_A", "");
	assert_int_equal(curl(f, "/admin/reboot", NULL), 403);
	assert_int_equal(f->reboots, 0);
	assert_int_equal(curl(f, "/CGI/Execute", ARGS("--data",
		"<CiscoIPPhoneExecute><ExecuteItem URL=\"Resync:\"/></CiscoIPPhoneExecute>")), 403);
	assert_false(prov_engine_running(f->eng));
}

static void
test_auth(void **state)
{
	struct fx *f = *state;

	set(f, "Admin_Password", "s3cret");
	/* No credentials: 401 with both Digest algorithms and Basic offered. */
	assert_int_equal(curl(f, "/admin/advanced", NULL), 401);
	assert_true(contains(f, "head", "algorithm=SHA-256"));
	assert_true(contains(f, "head", "algorithm=MD5"));
	assert_true(contains(f, "head", "qop=\"auth\""));
	assert_true(contains(f, "head", "WWW-Authenticate: Basic"));
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "admin:wrong")), 401);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--basic", "-u", "admin:wrong")), 401);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--basic", "-u", "root:s3cret")), 401);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "admin:s3cret")), 200);
	assert_true(contains(f, "body", "<b id=\"who\">admin</b>"));
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--basic", "-u", "admin:s3cret")), 200);
	/* No or wrong credentials change nothing. */
	assert_int_equal(curl(f, "/admin/resync", ARGS("--digest", "-u", "admin:wrong")), 401);
	assert_int_equal(curl(f, "/admin/resync", NULL), 401);
	assert_false(prov_engine_running(f->eng));
	assert_int_equal(curl(f, "/admin/reboot", NULL), 401);
	assert_int_equal(curl(f, "/admin/reboot", ARGS("--basic", "-u", "admin:s3cre")), 401);
	assert_int_equal(f->reboots, 0);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--data", "GPP_A=x")), 401);
	assert_param(f, "GPP_A", "");
	/* The user login is closed while User_Password is empty. */
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--basic", "-u", "user:")), 401);
	/* Listening addresses: numeric ADDR:PORT or [V6]:PORT. */
	{
		struct admin_ops ops = { ops_engine, ops_reboot, ops_changed, f, NULL };
		struct admin *a2 = NULL;
		char msg[128];

		assert_int_equal(admin_new(&a2, f->loop, f->dev, &ops, "8080", msg, sizeof(msg)), -2);
		assert_int_equal(admin_new(&a2, f->loop, f->dev, &ops, "127.0.0.1:", msg,
					   sizeof(msg)), -2);
		assert_int_equal(admin_new(&a2, f->loop, f->dev, &ops, "localhost:80", msg,
					   sizeof(msg)), -2);
		assert_int_equal(admin_new(&a2, f->loop, f->dev, &ops, "[::1]:0", msg,
					   sizeof(msg)), 0);
		assert_true(admin_port(a2) > 0);
		admin_free(a2);
	}
	/* /admin/upgrade?URL: the running version is refused. */
	assert_int_equal(curl(f, "/admin/upgrade?http://x/sip88xx.11-3-1MPP-123.loads",
			      ARGS("--digest", "-u", "admin:s3cret")), 409);
}

/* The page: groups, secrets masked (D-PAR-5), ua for the user (D-PAR-1). */
static void
test_page(void **state)
{
	struct fx *f = *state;
	char *b;

	set(f, "Admin_Password", "s3cret");
	set(f, "User_Password", "upw");
	set(f, "GPP_SA", "topsecret-value");
	set(f, "GPP_A", "<script>alert(1)</script>");
	assert_int_equal(prov_device_reboot_record(f->dev, "Upgrade", 1700000000), PROV_OK);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "admin:s3cret")), 200);
	b = slurp(f, "body");
	assert_non_null(strstr(b, "Voice &gt; Provisioning"));
	assert_non_null(strstr(b, "<legend>Configuration Profile</legend>"));
	assert_non_null(strstr(b, "<legend>Firmware Upgrade</legend>"));
	assert_non_null(strstr(b, "<legend>General Purpose Parameters</legend>"));
	assert_non_null(strstr(b, "Voice &gt; System"));
	assert_non_null(strstr(b, "Info &gt; Status"));
	assert_non_null(strstr(b, "name=\"Profile_Rule\" value=\"/$PSN.xml\""));
	assert_non_null(strstr(b, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_null(strstr(b, "<script>"));
	assert_null(strstr(b, "topsecret-value"));
	assert_null(strstr(b, "s3cret"));
	assert_null(strstr(b, "upw\""));
	assert_non_null(strstr(b, "2023-11-14 22:13:20 Upgrade"));
	assert_non_null(strstr(b, "id=\"p-Admin_Password\""));
	free(b);
	/* The user sees only what ua lets it: Display_Name_N_ (rw) here. */
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "user:upw")), 200);
	b = slurp(f, "body");
	assert_non_null(strstr(b, "<b id=\"who\">user</b>"));
	assert_non_null(strstr(b, "name=\"Display_Name_1_\""));
	assert_null(strstr(b, "name=\"Profile_Rule\""));
	assert_null(strstr(b, "name=\"Admin_Password\""));
	free(b);
	/* ro: shown read-only. */
	{
		struct prov_profile *p = NULL;
		struct prov_apply_result res;
		const char *xml = "<flat-profile><GPP_B ua=\"ro\">seen</GPP_B></flat-profile>";
		char msg[128];

		assert_int_equal(prov_profile_parse("t", xml, strlen(xml), 0, &p, msg,
						    sizeof(msg)), PROV_OK);
		assert_int_equal(prov_device_apply(f->dev, p, &res, NULL, NULL), PROV_OK);
		prov_profile_free(p);
	}
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "user:upw")), 200);
	assert_true(contains(f, "body", "name=\"GPP_B\" value=\"seen\" readonly>"));
	/* The user may not resync, reboot or execute. */
	assert_int_equal(curl(f, "/admin/resync", ARGS("--digest", "-u", "user:upw")), 403);
	assert_int_equal(curl(f, "/admin/reboot", ARGS("--digest", "-u", "user:upw")), 403);
	assert_int_equal(f->reboots, 0);
}

/* Forms: CSRF token and origin, all-or-nothing through the validated
 * path, secrets unchanged when left empty. */
static void
test_form(void **state)
{
	struct fx *f = *state;
	char jar[128], tok[80], data[512], origin[128];

	set(f, "Admin_Password", "s3cret");
	set(f, "User_Password", "upw");
	set(f, "GPP_SA", "keep-me");
	snprintf(jar, sizeof(jar), "%s/jar", f->dir);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "admin:s3cret",
							 "-c", jar)), 200);
	assert_true(contains(f, "head", "Set-Cookie: prov_sid="));
	assert_true(contains(f, "head", "SameSite=Strict"));
	page_token(f, tok, sizeof(tok));
	/* No token, wrong token, no cookie, foreign origin: 403, nothing changes. */
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "admin:s3cret",
		"-b", jar, "--data", "GPP_A=x")), 403);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "admin:s3cret",
		"-b", jar, "--data", "csrf=0000000000000000000000000000000000000000000000000000000000000000&GPP_A=x")), 403);
	snprintf(data, sizeof(data), "csrf=%s&GPP_A=x", tok);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "admin:s3cret",
		"--data", data)), 403);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "admin:s3cret",
		"-b", jar, "-H", "Origin: http://evil.example", "--data", data)), 403);
	/* The user's token is not the admin's. */
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "user:upw",
		"-b", jar, "--data", data)), 403);
	assert_param(f, "GPP_A", "");
	/* An invalid value: 400, the page names it, and nothing is stored. */
	snprintf(data, sizeof(data), "csrf=%s&GPP_A=x&Resync_Periodic=soon", tok);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "admin:s3cret",
		"-b", jar, "--data", data)), 400);
	assert_true(contains(f, "body", "id=\"error\">Resync_Periodic: "));
	assert_param(f, "GPP_A", "");
	assert_param(f, "Resync_Periodic", "3600");
	/* Unknown names are errors too. */
	snprintf(data, sizeof(data), "csrf=%s&No_Such_Thing=1", tok);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "admin:s3cret",
		"-b", jar, "--data", data)), 400);
	assert_true(contains(f, "body", "No_Such_Thing: unknown parameter"));
	/* Valid: stored, bools normalised, the empty secret kept. */
	snprintf(origin, sizeof(origin), "Origin: %s", f->base);
	snprintf(data, sizeof(data), "csrf=%s&GPP_A=a+b%%26c&Resync_On_Reset=no&GPP_SA=&"
		 "Profile_Rule=%%2F%%24PSN.xml", tok);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "admin:s3cret",
		"-b", jar, "-H", origin, "--data", data)), 303);
	assert_true(contains(f, "head", "Location: /admin/advanced?saved=2"));
	assert_param(f, "GPP_A", "a b&c");
	assert_param(f, "Resync_On_Reset", "No");
	assert_param(f, "GPP_SA", "keep-me");
	assert_true(f->changes > 0);
	/* A secret is changed by a value, and cleared only explicitly. */
	snprintf(data, sizeof(data), "csrf=%s&GPP_SA=new-one", tok);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--basic", "-u", "admin:s3cret",
		"-b", jar, "--data", data)), 303);
	assert_param(f, "GPP_SA", "new-one");
	/* Expect: 100-continue is answered before the body is sent. */
	snprintf(data, sizeof(data), "csrf=%s&GPP_E=continued", tok);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--basic", "-u", "admin:s3cret",
		"-b", jar, "-H", "Expect: 100-continue", "--data", data)), 303);
	assert_true(contains(f, "head", "HTTP/1.1 100 Continue"));
	assert_param(f, "GPP_E", "continued");
	snprintf(data, sizeof(data), "csrf=%s&GPP_SA=&clear=GPP_SA", tok);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--basic", "-u", "admin:s3cret",
		"-b", jar, "--data", data)), 303);
	assert_param(f, "GPP_SA", "");
	/* The user: its own token; rw changes, na refused (all-or-nothing). */
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "user:upw",
							 "-b", jar)), 200);
	page_token(f, tok, sizeof(tok));
	snprintf(data, sizeof(data), "csrf=%s&Display_Name_1_=Alice&GPP_C=no", tok);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "user:upw",
		"-b", jar, "--data", data)), 400);
	assert_true(contains(f, "body", "GPP_C: no access"));
	assert_param(f, "Display_Name_1_", "");
	snprintf(data, sizeof(data), "csrf=%s&Display_Name_1_=Alice", tok);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "user:upw",
		"-b", jar, "--data", data)), 303);
	assert_param(f, "Display_Name_1_", "Alice");
	/* Not a form: 415. */
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "admin:s3cret",
		"-b", jar, "-H", "Content-Type: text/plain", "--data", data)), 415);
}

/* Digest by hand: replays (same nc) refused, forged nonces refused. */
static void
hexdigest(const EVP_MD *md, const char *s, char *out)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(s, strlen(s), h, &n, md, NULL), 1);
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
}

static void
digest_header(const EVP_MD *md, const char *alg, const char *nonce, const char *nc,
	      const char *uri, char *out, size_t outsize)
{
	char a1[256], a2[256], ha1[129], ha2[129], all[600], resp[129];

	snprintf(a1, sizeof(a1), "admin:prov phone:s3cret");
	snprintf(a2, sizeof(a2), "GET:%s", uri);
	hexdigest(md, a1, ha1);
	hexdigest(md, a2, ha2);
	snprintf(all, sizeof(all), "%s:%s:%s:abcdef:auth:%s", ha1, nonce, nc, ha2);
	hexdigest(md, all, resp);
	snprintf(out, outsize, "Authorization: Digest username=\"admin\", realm=\"prov phone\", "
		 "nonce=\"%s\", uri=\"%s\", algorithm=%s, qop=auth, nc=%s, cnonce=\"abcdef\", "
		 "response=\"%s\"", nonce, uri, alg, nc, resp);
}

static void
test_digest_replay(void **state)
{
	struct fx *f = *state;
	char nonce[128], hdr[1024], *h, *p;

	set(f, "Admin_Password", "s3cret");
	assert_int_equal(curl(f, "/admin/advanced", NULL), 401);
	h = slurp(f, "head");
	p = strstr(h, "nonce=\"");
	assert_non_null(p);
	snprintf(nonce, sizeof(nonce), "%.*s", (int)strcspn(p + 7, "\""), p + 7);
	free(h);
	digest_header(EVP_md5(), "MD5", nonce, "00000001", "/admin/advanced", hdr, sizeof(hdr));
	assert_int_equal(curl(f, "/admin/advanced", ARGS("-H", hdr)), 200);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("-H", hdr)), 401); /* replay */
	assert_false(contains(f, "head", "stale=true"));
	digest_header(EVP_md5(), "MD5", nonce, "00000002", "/admin/advanced", hdr, sizeof(hdr));
	assert_int_equal(curl(f, "/admin/advanced", ARGS("-H", hdr)), 200);
	digest_header(EVP_sha256(), "SHA-256", nonce, "00000003", "/admin/advanced", hdr,
		      sizeof(hdr));
	assert_int_equal(curl(f, "/admin/advanced", ARGS("-H", hdr)), 200);
	/* The uri must be the request's. */
	digest_header(EVP_md5(), "MD5", nonce, "00000004", "/admin/other", hdr, sizeof(hdr));
	assert_int_equal(curl(f, "/admin/advanced", ARGS("-H", hdr)), 401);
	/* A nonce this server did not make. */
	nonce[20] = nonce[20] == 'a' ? 'b' : 'a';
	digest_header(EVP_md5(), "MD5", nonce, "00000001", "/admin/advanced", hdr, sizeof(hdr));
	assert_int_equal(curl(f, "/admin/advanced", ARGS("-H", hdr)), 401);
}

/* D-TRG-1, D-TRG-4: /admin/resync runs the rule given (URL-encoded), or
 * the configured ones; Provision_Enable = No refuses. */
static void
test_resync(void **state)
{
	struct fx *f = *state;
	char path[256], *v = NULL;

	set(f, "Admin_Password", "s3cret");
	set(f, "Resync_Trigger_1", "\"$GPP_P\" eq \"never\""); /* D-TRG-4: ignored */
	profile_body = "<flat-profile><GPP_A>fetched</GPP_A></flat-profile>";
	snprintf(path, sizeof(path), "/admin/resync?http%%3A%%2F%%2F127.0.0.1%%3A%d%%2F%%24MA.xml",
		 f->www_port);
	assert_int_equal(curl(f, path, ARGS("--digest", "-u", "admin:s3cret")), 200);
	assert_true(contains(f, "body", "Resync started"));
	wait_resync(f);
	assert_param(f, "GPP_A", "fetched");
	assert_non_null(strstr(f->www_req, "GET /000e08abcdef.xml "));
	assert_int_equal(prov_device_status_get(f->dev, "last_resync_result", &v), PROV_OK);
	assert_string_equal(v, "success");
	free(v);
	/* From another site (a browser says so): refused, nothing runs. */
	assert_int_equal(curl(f, path, ARGS("--digest", "-u", "admin:s3cret", "-H",
					    "Sec-Fetch-Site: cross-site")), 403);
	assert_int_equal(curl(f, path, ARGS("--digest", "-u", "admin:s3cret", "-H",
					    "Referer: http://evil.example/page")), 403);
	assert_false(prov_engine_running(f->eng));
	/* The options of a rule (--key) are not echoed. */
	snprintf(path, sizeof(path), "/admin/resync?%%5B--key%%20k3y-s3cret%%5D%%20http%%3A%%2F%%2F"
		 "127.0.0.1%%3A%d%%2Fk.xml", f->www_port);
	assert_int_equal(curl(f, path, ARGS("--digest", "-u", "admin:s3cret", "-H",
					    "Sec-Fetch-Site: none")), 200);
	assert_true(contains(f, "body", "Resync started: [...] http://127.0.0.1:"));
	assert_false(contains(f, "body", "k3y-s3cret"));
	wait_resync(f);
	/* Without a rule: the configured Profile_Rule. */
	snprintf(path, sizeof(path), "http://127.0.0.1:%d/conf.xml", f->www_port);
	set(f, "Profile_Rule", path);
	profile_body = "<flat-profile><GPP_B>configured</GPP_B></flat-profile>";
	assert_int_equal(curl(f, "/admin/resync", ARGS("--digest", "-u", "admin:s3cret")), 200);
	wait_resync(f);
	assert_param(f, "GPP_B", "configured");
	/* Provision_Enable = No: refused with a clear message. */
	set(f, "Provision_Enable", "No");
	assert_int_equal(curl(f, "/admin/resync", ARGS("--digest", "-u", "admin:s3cret")), 403);
	assert_true(contains(f, "body", "Provision_Enable = No"));
	assert_false(prov_engine_running(f->eng));
	/* A bad escape in the rule. */
	set(f, "Provision_Enable", "Yes");
	assert_int_equal(curl(f, "/admin/resync?%zz", ARGS("--digest", "-u", "admin:s3cret")),
			 400);
	/* POST is not the resync method. */
	assert_int_equal(curl(f, "/admin/resync", ARGS("--digest", "-u", "admin:s3cret",
						       "--data", "x")), 405);
}

/* D-TRG-2: the execute object, posted raw or as XML=; answered with a
 * CiscoIPPhoneResponse. */
static void
test_execute(void **state)
{
	struct fx *f = *state;
	char body[512], form[700];

	set(f, "Admin_Password", "s3cret");
	profile_body = "<flat-profile><GPP_C>executed</GPP_C></flat-profile>";
	snprintf(body, sizeof(body), "<CP-8841-3PCCExecute><ExecuteItem "
		 "URL=\"Resync:http://127.0.0.1:%d/$PSN.xml\"/></CP-8841-3PCCExecute>",
		 f->www_port);
	assert_int_equal(curl(f, "/CGI/Execute", ARGS("--data", body)), 401);
	assert_false(prov_engine_running(f->eng));
	assert_int_equal(curl(f, "/CGI/Execute", ARGS("--digest", "-u", "admin:s3cret",
		"-H", "Content-Type: text/xml", "--data", body)), 200);
	assert_true(contains(f, "body", "<CiscoIPPhoneResponse>"));
	assert_true(contains(f, "body", "<ResponseItem Status=\"0\""));
	wait_resync(f);
	assert_param(f, "GPP_C", "executed");
	assert_non_null(strstr(f->www_req, "GET /8841.xml "));
	/* CiscoIPPhoneExecute posted as the form field XML=. */
	profile_body = "<flat-profile><GPP_D>form</GPP_D></flat-profile>";
	snprintf(form, sizeof(form), "XML=%%3CCiscoIPPhoneExecute%%3E%%3CExecuteItem+Priority%%3D"
		 "%%220%%22+URL%%3D%%22Resync%%3Ahttp%%3A%%2F%%2F127.0.0.1%%3A%d%%2Fx.xml%%22%%2F%%3E"
		 "%%3C%%2FCiscoIPPhoneExecute%%3E", f->www_port);
	assert_int_equal(curl(f, "/CGI/Execute", ARGS("--basic", "-u", "admin:s3cret",
							"--data", form)), 200);
	wait_resync(f);
	assert_param(f, "GPP_D", "form");
	/* Malformed, DTD, wrong root: CiscoIPPhoneError, nothing runs. */
	assert_int_equal(curl(f, "/CGI/Execute", ARGS("--basic", "-u", "admin:s3cret",
		"--data", "<CiscoIPPhoneExecute><ExecuteItem URL=Resync:x/>")), 400);
	assert_true(contains(f, "body", "<CiscoIPPhoneError Number=\"1\""));
	assert_int_equal(curl(f, "/CGI/Execute", ARGS("--basic", "-u", "admin:s3cret",
		"--data", "<!DOCTYPE a [<!ENTITY x \"y\">]><CiscoIPPhoneExecute>"
		"<ExecuteItem URL=\"Resync:&x;\"/></CiscoIPPhoneExecute>")), 400);
	assert_int_equal(curl(f, "/CGI/Execute", ARGS("--basic", "-u", "admin:s3cret",
		"--data", "<CiscoIPPhoneText><ExecuteItem URL=\"Resync:\"/></CiscoIPPhoneText>")),
		400);
	assert_false(prov_engine_running(f->eng));
	/* Provision_Enable = No: the item is refused (D-TRG-4). */
	set(f, "Provision_Enable", "No");
	assert_int_equal(curl(f, "/CGI/Execute", ARGS("--basic", "-u", "admin:s3cret",
		"--data", body)), 200);
	assert_true(contains(f, "body", "Status=\"1\""));
	assert_true(contains(f, "body", "Provision_Enable = No"));
	assert_false(prov_engine_running(f->eng));
	/* GET is not allowed. */
	assert_int_equal(curl(f, "/CGI/Execute", ARGS("--basic", "-u", "admin:s3cret")), 405);
}

/* D-STA-1: /admin/reboot records "User Triggered" and reboots. */
static void
test_reboot(void **state)
{
	struct fx *f = *state;
	char *v = NULL;

	set(f, "Admin_Password", "s3cret");
	assert_int_equal(curl(f, "/admin/reboot", ARGS("--digest", "-u", "admin:s3cret")), 200);
	assert_int_equal(f->reboots, 1);
	assert_int_equal(prov_device_status_get(f->dev, "reboot_reasons", &v), PROV_OK);
	assert_non_null(strstr(v, " User Triggered"));
	assert_null(strchr(v, '\n'));
	free(v);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "admin:s3cret")), 200);
	assert_true(contains(f, "body", " User Triggered</li>"));
}

/* The record itself: five kept, newest first, bad reasons refused; the
 * same with a memory-only device. */
static void
test_reboot_record(void **state)
{
	struct fx *f = *state;
	struct prov_device *mem = prov_device_new(&ident, NULL);
	struct prov_device *devs[2] = { f->dev, mem };
	char *v = NULL, reason[16];

	assert_non_null(mem);
	for (int d = 0; d < 2; d++) {
		for (int i = 1; i <= 7; i++) {
			snprintf(reason, sizeof(reason), "R%d", i);
			assert_int_equal(prov_device_reboot_record(devs[d], reason, 86400 * i),
					 PROV_OK);
		}
		assert_int_equal(prov_device_status_get(devs[d], "reboot_reasons", &v), PROV_OK);
		assert_string_equal(v, "1970-01-08 00:00:00 R7\n1970-01-07 00:00:00 R6\n"
				       "1970-01-06 00:00:00 R5\n1970-01-05 00:00:00 R4\n"
				       "1970-01-04 00:00:00 R3");
		free(v);
		assert_int_equal(prov_device_reboot_record(devs[d], "", 0), PROV_E_INVAL);
		assert_int_equal(prov_device_reboot_record(devs[d], "a\nb", 0), PROV_E_INVAL);
		assert_int_equal(prov_device_reboot_record(devs[d], NULL, 0), PROV_E_INVAL);
	}
	prov_device_free(mem);
	assert_string_equal(prov_param_group("GPP_A"), "Provisioning/General Purpose Parameters");
	assert_string_equal(prov_param_group("User_ID_3_"), "Ext");
	assert_null(prov_param_group("Nope"));
}

/* Bad peers: oversized headers and bodies, slowloris, garbage, and the
 * connection cap; the server keeps serving. */
static void
conns_settle(void *arg)
{
	struct fx *f = arg;

	if (admin_conn_count(f->admin) == 0) {
		f->done = 1;
		loop_stop(f->loop);
		return;
	}
	loop_timer_add(f->loop, clock_mono_ms() + 5, conns_settle, f);
}

/* A non-blocking connection to the admin server from 127.0.0.N. */
static int
connect_from(struct fx *f, int n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK + (uint32_t)n - 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)admin_port(f->admin));
	assert_true(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EINPROGRESS);
	return fd;
}

static void
test_bad_peers(void **state)
{
	struct fx *f = *state;
	char big[20000], file[128], cmd[256];
	int fds[ADMIN_CONN_MAX + 4], saved, errfd;
	uint64_t t;
	int64_t t0;

	set(f, "Admin_Password", "s3cret");
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "X-Big: ", 7);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(curl(f, "/admin/advanced", ARGS("-H", big)), 431);
	snprintf(file, sizeof(file), "%s/big", f->dir);
	snprintf(cmd, sizeof(cmd), "head -c 2000000 /dev/zero > '%s'", file);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "@%s", file);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("-H", "Expect:", "--data-binary",
		cmd, "--basic", "-u", "admin:s3cret")), 413);
	/* Issue 12, item 11: one address holds at most ADMIN_CONN_PER_ADDR
	 * connections; one more is closed at once. */
	for (int i = 0; i <= ADMIN_CONN_PER_ADDR; i++)
		fds[i] = connect_from(f, 30);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--basic", "-u", "admin:s3cret")), 200);
	for (int i = 0; i <= ADMIN_CONN_PER_ADDR; i++) {
		char b;
		ssize_t n = recv(fds[i], &b, 1, 0);

		if (i < ADMIN_CONN_PER_ADDR)
			assert_true(n < 0 && errno == EAGAIN);
		else
			assert_int_equal(n, 0);
		close(fds[i]);
	}
	/* Idle connections from several addresses fill the table: a new
	 * request is still answered at once (the longest silent connection
	 * makes room for it). */
	for (int i = 0; i < ADMIN_CONN_MAX + 4; i++)
		fds[i] = connect_from(f, 2 + i / ADMIN_CONN_PER_ADDR);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--basic", "-u", "admin:s3cret")), 200);
	assert_true(admin_conn_count(f->admin) <= ADMIN_CONN_MAX);
	/* Silent connections are closed after ADMIN_IDLE_MS, well before a
	 * request's whole time (ADMIN_REQUEST_MS). */
	snprintf(file, sizeof(file), "%s/stderr", f->dir);
	fflush(stderr);
	saved = dup(2);
	errfd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && errfd >= 0);
	assert_int_equal(dup2(errfd, 2), 2);
	f->done = f->timeout = 0;
	t0 = clock_mono_ms();
	t = loop_timer_add(f->loop, clock_mono_ms() + RESYNC_WAIT_MS, give_up, f);
	loop_timer_add(f->loop, clock_mono_ms() + 5, conns_settle, f);
	while (!f->done && !f->timeout)
		loop_run(f->loop);
	loop_timer_del(f->loop, t);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	close(errfd);
	assert_true(f->done);
	assert_true(clock_mono_ms() - t0 >= ADMIN_IDLE_MS / 2);
	assert_true(clock_mono_ms() - t0 < ADMIN_REQUEST_MS);
	/* The page says why it closed them (the close takes a reason). */
	snprintf(cmd, sizeof(cmd),
		 "grep -q '^prov: admin: connection closed: idle or request timeout$' '%s'", file);
	assert_int_equal(system(cmd), 0);
	for (int i = 0; i < ADMIN_CONN_MAX + 4; i++)
		close(fds[i]);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--digest", "-u", "admin:s3cret")), 200);
}

/* Issue 12, item 12: wrong passwords from one address are throttled
 * (429 with Retry-After, the password not even checked) after
 * ADMIN_FAIL_FREE failures; another address with the right password is
 * served. */
static void
test_auth_backoff(void **state)
{
	struct fx *f = *state;
	char *codes;
	size_t n401 = 0, n429 = 0, len;

	set(f, "Admin_Password", "s3cret");
	curl(f, "/admin/advanced?[1-300]", ARGS("--basic", "-u", "admin:wrong"));
	codes = slurp(f, "code");
	len = strlen(codes);
	assert_int_equal(len, 300 * 3);
	for (size_t i = 0; i + 3 <= len; i += 3) {
		n401 += strncmp(codes + i, "401", 3) == 0;
		n429 += strncmp(codes + i, "429", 3) == 0;
	}
	free(codes);
	assert_int_equal(n401 + n429, 300);
	/* Each backoff that ran out let one more guess through. */
	assert_true(n401 <= ADMIN_FAIL_FREE + 8);
	assert_true(contains(f, "head", "Retry-After: "));
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--interface", "127.0.0.2", "--basic",
							 "-u", "admin:s3cret")), 200);
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--interface", "127.0.0.2", "--digest",
							 "-u", "admin:s3cret")), 200);
	/* The guessing address waits out its backoff, right password or not. */
	assert_int_equal(curl(f, "/admin/advanced", ARGS("--basic", "-u", "admin:s3cret")), 429);
}

/* The backoff schedule itself, on a made-up clock: ADMIN_FAIL_FREE
 * failures free, then ADMIN_FAIL_BASE_MS doubling to ADMIN_FAIL_MAX_MS;
 * a right password or ADMIN_FAIL_FORGET_MS of quiet starts afresh; other
 * addresses never wait. */
static void
test_backoff_schedule(void **state)
{
	struct admin *a = calloc(1, sizeof(*a));
	unsigned char one[16] = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 1 };
	unsigned char two[16] = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 2 };
	int64_t now = 1000, want = ADMIN_FAIL_BASE_MS;

	(void)state;
	assert_non_null(a);
	for (int i = 0; i < ADMIN_FAIL_FREE; i++) {
		admin_fail_note(a, one, 0, now);
		assert_int_equal(admin_fail_wait(a, one, now), 0);
	}
	for (int i = 0; i < 10; i++) {
		admin_fail_note(a, one, 0, now);
		assert_int_equal(admin_fail_wait(a, one, now), want);
		assert_int_equal(admin_fail_wait(a, two, now), 0);
		now += want; /* waited it out; the next guess is wrong again */
		assert_int_equal(admin_fail_wait(a, one, now), 0);
		want = want * 2 < ADMIN_FAIL_MAX_MS ? want * 2 : ADMIN_FAIL_MAX_MS;
	}
	admin_fail_note(a, one, 1, now);
	admin_fail_note(a, one, 0, now);
	assert_int_equal(admin_fail_wait(a, one, now), 0);
	for (int i = 0; i < ADMIN_FAIL_FREE; i++)
		admin_fail_note(a, one, 0, now);
	assert_int_equal(admin_fail_wait(a, one, now), ADMIN_FAIL_BASE_MS);
	now += ADMIN_FAIL_FORGET_MS + 1;
	admin_fail_note(a, one, 0, now);
	assert_int_equal(admin_fail_wait(a, one, now), 0);
	free(a);
}

/* ---- the parsers, directly ------------------------------------------------------------- */

static void
test_parsers(void **state)
{
	char out[64];
	struct admin_field fl[4];
	struct admin_exec ex;
	struct admin_req r;
	char msg[128];

	(void)state;
	assert_int_equal(admin_decode("a%20b+c", 7, 0, out, sizeof(out)), 5);
	assert_string_equal(out, "a b+c");
	assert_int_equal(admin_decode("a%20b+c", 7, 1, out, sizeof(out)), 5);
	assert_string_equal(out, "a b c");
	assert_int_equal(admin_decode("%0a", 3, 0, out, sizeof(out)), -1);
	assert_int_equal(admin_decode("%00", 3, 0, out, sizeof(out)), -1);
	assert_int_equal(admin_decode("%4", 2, 0, out, sizeof(out)), -1);
	assert_int_equal(admin_decode("%", 1, 0, out, sizeof(out)), -1);
	assert_int_equal(admin_decode("abcdef", 6, 0, out, 4), -1);
	assert_int_equal(admin_form_parse("a=1&&b=%41&c", 12, fl, 4), 3);
	assert_string_equal(fl[1].name, "b");
	assert_string_equal(fl[1].value, "A");
	assert_string_equal(fl[2].name, "c");
	assert_string_equal(fl[2].value, "");
	admin_fields_free(fl, 3);
	assert_int_equal(admin_form_parse("a=1&b=2&c=3&d=4&e=5", 19, fl, 4), -1);
	assert_int_equal(admin_form_parse("=1", 2, fl, 4), -1);
	assert_int_equal(admin_exec_parse(S("<CP-6841-3PCCExecute><ExecuteItem URL=\"Resync:x\"/>"
		"<ExecuteItem URL=\"Key:Services\" Priority=\"1\"/></CP-6841-3PCCExecute>"),
		&ex, msg, sizeof(msg)), 0);
	assert_int_equal(ex.n, 2);
	assert_string_equal(ex.url[0], "Resync:x");
	assert_int_equal(admin_exec_parse(S("<CP--3PCCExecute/>"), &ex, msg, sizeof(msg)), -1);
	assert_int_equal(admin_exec_parse(S("<CiscoIPPhoneExecute/>"), &ex, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "no ExecuteItem");
	assert_int_equal(admin_exec_parse(S("<CiscoIPPhoneExecute><ExecuteItem URL=\"a\"/>"
		"<ExecuteItem URL=\"b\"/><ExecuteItem URL=\"c\"/><ExecuteItem URL=\"d\"/>"
		"</CiscoIPPhoneExecute>"), &ex, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "more than 3"));
	assert_int_equal(admin_html_escape("<a href='x'>&\"", out, sizeof(out)),
			 strlen("&lt;a href=&#39;x&#39;&gt;&amp;&quot;"));
	assert_string_equal(out, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;");
	/* The request parser: complete, split anywhere, bounded. */
	{
		const char *req = "POST /CGI/Execute?x HTTP/1.1\r\nHost: h\r\nAuthor"
				  "ization: Basic YTpi\r\nContent-Length: 5\r\n\r\nhello";

		for (size_t cut = 0; cut <= strlen(req); cut++) {
			assert_int_equal(admin_req_init(&r), 0);
			assert_int_equal(admin_req_feed(&r, req, cut), 0);
			assert_int_equal(admin_req_feed(&r, req + cut, strlen(req) - cut), 0);
			assert_true(r.complete);
			assert_string_equal(r.url, "/CGI/Execute?x");
			assert_string_equal(r.authz, "Basic YTpi");
			assert_string_equal(r.host, "h");
			assert_int_equal(r.bodylen, 5);
			assert_string_equal(r.body, "hello");
			admin_req_fini(&r);
		}
	}
	/* An empty header value does not glue two names together. */
	assert_int_equal(admin_req_init(&r), 0);
	assert_int_equal(admin_req_feed(&r, S("GET / HTTP/1.1\r\nX-Empty:\r\nX-Also:   \r\n"
					       "Host: h\r\n\r\n")), 0);
	assert_true(r.complete);
	assert_string_equal(r.host, "h");
	admin_req_fini(&r);
	assert_int_equal(admin_req_init(&r), 0);
	assert_int_equal(admin_req_feed(&r, S("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")), -1);
	assert_int_equal(r.status, 400);
	admin_req_fini(&r);
	assert_int_equal(admin_req_init(&r), 0);
	assert_int_equal(admin_req_feed(&r, S("POST / HTTP/1.1\r\nContent-Length: 9999999\r\n\r\n")),
			 -1);
	assert_int_equal(r.status, 413);
	admin_req_fini(&r);
	assert_int_equal(admin_req_init(&r), 0);
	assert_int_equal(admin_req_feed(&r, S("GET\0/ HTTP/1.1\r\n\r\n")), -1);
	assert_int_equal(r.status, 400);
	admin_req_fini(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_backoff_schedule),
		cmocka_unit_test_setup_teardown(test_no_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form, setup, teardown),
		cmocka_unit_test_setup_teardown(test_digest_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reboot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reboot_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_peers, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
