/*
 * Integration tests of fetch (lib/fetch.c) against real, independent
 * servers on loopback: nginx (HTTP, HTTPS, HTTPS with a required client
 * certificate, Basic auth), in.tftpd (tftpd-hpa), a test PKI made with
 * openssl, and small python3 servers for what those cannot do (silence,
 * slowness, a truncated body, Digest auth). servers.sh starts them all;
 * here a tiny poll(2) loop plays the host of fetch_net_ops.
 * device.md D-NET-1..4, D-RUL-5..7, D-LOG-3.
 *
 * The servers (servers.sh's prov_fixture) run under a bash driver (DRIVER
 * below) whose stdin is a pipe from this process: when the tests end, or
 * crash, the pipe closes, and the driver's EXIT trap stops every server and
 * removes the temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "url.h"

#define MAX_FDS 1024
#define WAIT_MS 20000 /* longest a test waits for its transfers */

/* ---- the servers -------------------------------------------------------- */

static const char DRIVER[] =
	"set -euo pipefail\n"
	"trap '' PIPE\n"
	"source \"$PROV_SERVERS_SH\"\n"
	"prov_servers_init\n"
	"prov_fixture\n"
	"echo READY\n"
	"read -r _ || true\n";

static struct {
	char tmp[PATH_MAX];
	unsigned http, https, wrongname, expired, otherca, client, tftp;
	unsigned silent, slow, trunc, digest, lossy, closed;
	pid_t pid;
	int ctl;    /* the driver's stdin: closing it stops the servers */
	FILE *out;  /* the driver's stdout */
} S = { .pid = -1, .ctl = -1 };

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
env_line(const char *line)
{
	static const struct {
		const char *key;
		unsigned *port;
	} keys[] = {
		{ "HTTP=", &S.http }, { "HTTPS=", &S.https }, { "WRONGNAME=", &S.wrongname },
		{ "EXPIRED=", &S.expired }, { "OTHERCA=", &S.otherca }, { "CLIENT=", &S.client },
		{ "TFTP=", &S.tftp }, { "SILENT=", &S.silent }, { "SLOW=", &S.slow },
		{ "TRUNC=", &S.trunc }, { "DIGEST=", &S.digest }, { "LOSSY=", &S.lossy },
		{ "CLOSED=", &S.closed },
	};

	if (strncmp(line, "TMP=", 4) == 0) {
		size_t n = strcspn(line + 4, "\n");

		if (n < sizeof(S.tmp)) {
			memcpy(S.tmp, line + 4, n);
			S.tmp[n] = '\0';
		}
		return;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strncmp(line, keys[i].key, strlen(keys[i].key)) == 0)
			*keys[i].port = (unsigned)strtoul(line + strlen(keys[i].key), NULL, 10);
}

static int
servers_stop(void **state)
{
	int st;

	(void)state;
	if (S.ctl >= 0)
		close(S.ctl);
	S.ctl = -1;
	if (S.pid > 0) {
		long long end = now_ms() + 15000;

		while (waitpid(S.pid, &st, WNOHANG) == 0) {
			if (now_ms() > end) {
				kill(S.pid, SIGKILL);
				waitpid(S.pid, &st, 0);
				break;
			}
			usleep(20000);
		}
	}
	S.pid = -1;
	if (S.out != NULL)
		fclose(S.out);
	S.out = NULL;
	return 0;
}

static int
servers_start(void **state)
{
	int in[2], out[2];
	char line[PATH_MAX + 32];
	char here[PATH_MAX];
	int ready = 0;

	(void)state;
	/* CTest sets PROV_SERVERS_SH; by hand, servers.sh beside this file. */
	if (getenv("PROV_SERVERS_SH") == NULL) {
		snprintf(here, sizeof(here), "%s", __FILE__);
		if (strrchr(here, '/') != NULL)
			strrchr(here, '/')[1] = '\0';
		else
			here[0] = '\0';
		if (strlen(here) + sizeof("servers.sh") > sizeof(here))
			return -1;
		strcat(here, "servers.sh");
		setenv("PROV_SERVERS_SH", here, 1);
	}
	if (pipe(in) != 0 || pipe(out) != 0)
		return -1;
	S.pid = fork();
	if (S.pid < 0)
		return -1;
	if (S.pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execl("/bin/bash", "bash", "-c", DRIVER, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	S.ctl = in[1];
	S.out = fdopen(out[0], "r");
	if (S.out == NULL)
		return -1;
	while (fgets(line, sizeof(line), S.out) != NULL) {
		if (strcmp(line, "READY\n") == 0) {
			ready = 1;
			break;
		}
		env_line(line);
	}
	if (!ready || S.tmp[0] == '\0' || S.http == 0) {
		fprintf(stderr, "test_fetch: the servers did not start\n");
		servers_stop(state);
		return -1;
	}
	return 0;
}

static char *
slurp(const char *rel, size_t *len)
{
	char path[PATH_MAX + 64];
	FILE *f;
	char *p;
	long n;

	snprintf(path, sizeof(path), "%s/%s", S.tmp, rel);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	if (p != NULL && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	if (p != NULL)
		p[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return p;
}

/* The access log of the nginx on port. */
static char *
access_log(unsigned port)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "nginx-%u/access.log", port);
	return slurp(rel, NULL);
}

/* nginx writes the access log line after the response has gone out: give
 * it up to two seconds to appear. */
static int
log_has(unsigned port, const char *needle)
{
	for (int i = 0; i < 100; i++) {
		char *log = access_log(port);
		int found = log != NULL && strstr(log, needle) != NULL;

		free(log);
		if (found)
			return 1;
		usleep(20000);
	}
	return 0;
}

static const char *
pki(const char *name)
{
	static char path[8][PATH_MAX + 64];
	static unsigned next;
	char *p = path[next++ % 8];

	snprintf(p, PATH_MAX + 64, "%s/pki/%s", S.tmp, name);
	return p;
}

/* ---- the host loop ------------------------------------------------------- */

struct host {
	struct pollfd fds[MAX_FDS];
	int nfds;
	long long due;        /* the net's timer, monotonic ms; -1: none */
	struct fetch_net *net;
	int net_freed;        /* a done callback freed the net */
	struct fetch_xfer *cancel_on_watch; /* cancelled from inside the ops */
};

static long long max_call_ms; /* longest fetch_* call seen: never blocks */

static int
host_find(struct host *h, int fd)
{
	for (int i = 0; i < h->nfds; i++)
		if (h->fds[i].fd == fd)
			return i;
	return -1;
}

static void
host_watch(void *arg, int fd, unsigned events)
{
	struct host *h = arg;
	int i = host_find(h, fd);

	if (h->cancel_on_watch != NULL) {
		struct fetch_xfer *x = h->cancel_on_watch;

		h->cancel_on_watch = NULL;
		fetch_cancel(x);
	}
	if (events == 0) {
		if (i >= 0)
			h->fds[i] = h->fds[--h->nfds];
		return;
	}
	if (i < 0) {
		assert_true(h->nfds < MAX_FDS);
		i = h->nfds++;
		h->fds[i].fd = fd;
	}
	h->fds[i].events = (short)(((events & FETCH_IN) ? POLLIN : 0) |
				   ((events & FETCH_OUT) ? POLLOUT : 0));
	h->fds[i].revents = 0;
}

static void
host_timer(void *arg, long ms)
{
	struct host *h = arg;

	h->due = ms < 0 ? -1 : now_ms() + ms;
}

static const struct fetch_net_ops host_ops = { host_watch, host_timer };

static void
host_init(struct host *h)
{
	memset(h, 0, sizeof(*h));
	h->due = -1;
	assert_int_equal(fetch_net_new(&host_ops, h, &h->net), PROV_OK);
}

/* Milliseconds this thread has waited for a CPU while runnable (the
 * second field of /proc/self/schedstat), or 0 where the kernel does not
 * say: a call's time minus this is its own, however loaded the machine. */
static long long
run_wait_ms(void)
{
	unsigned long long run = 0, wait = 0;
	FILE *f = fopen("/proc/self/schedstat", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &run, &wait) != 2)
		wait = 0;
	fclose(f);
	return (long long)(wait / 1000000u);
}

static long long mark_wait; /* run_wait_ms() when the timed call began */

/* The start of a timed fetch_* call. */
static long long
mark(void)
{
	mark_wait = run_wait_ms();
	return now_ms();
}

static void
timed(long long t0)
{
	long long t = now_ms() - t0 - (run_wait_ms() - mark_wait);

	if (t > max_call_ms)
		max_call_ms = t;
}

/* One iteration: poll, then the fds, then the timer. */
static void
host_once(struct host *h, long max_wait)
{
	struct pollfd ready[MAX_FDS];
	int n = h->nfds, timeout = (int)max_wait;
	long long t0;

	if (h->due >= 0) {
		long long left = h->due - now_ms();

		timeout = left < 0 ? 0 : left < max_wait ? (int)left : (int)max_wait;
	}
	memcpy(ready, h->fds, sizeof(ready[0]) * (size_t)n);
	if (poll(ready, (nfds_t)n, timeout) < 0)
		assert_int_equal(errno, EINTR);
	for (int i = 0; i < n && !h->net_freed; i++) {
		unsigned ev = 0;

		if (ready[i].revents == 0 || host_find(h, ready[i].fd) < 0)
			continue;
		if (ready[i].revents & (POLLIN | POLLHUP | POLLERR))
			ev |= FETCH_IN;
		if (ready[i].revents & (POLLOUT | POLLERR))
			ev |= FETCH_OUT;
		t0 = mark();
		fetch_net_fd(h->net, ready[i].fd, ev);
		timed(t0);
	}
	if (!h->net_freed && h->due >= 0 && now_ms() >= h->due) {
		h->due = -1;
		t0 = mark();
		fetch_net_timeout(h->net);
		timed(t0);
	}
}

/* Runs until no transfer is left (or the net was freed), at most limit ms. */
static void
host_run(struct host *h, long limit)
{
	long long end = now_ms() + limit;

	while (!h->net_freed && fetch_net_active(h->net) > 0) {
		assert_true(now_ms() < end);
		host_once(h, 100);
	}
}

/* Frees the net; nothing may stay watched or armed. */
static void
host_fini(struct host *h)
{
	long long t0 = mark();

	if (!h->net_freed)
		fetch_net_free(h->net);
	timed(t0);
	h->net = NULL;
	assert_int_equal(h->nfds, 0);
	assert_int_equal(h->due, -1);
}

/* ---- transfers ---------------------------------------------------------- */

struct got {
	int done;
	struct fetch_result r;   /* body moved to body/len */
	char *body;
	size_t len;
	struct host *h;
	struct fetch_xfer *cancel;  /* cancelled from this done callback */
	int free_net;               /* free the net from this done callback */
};

static void
got_done(void *arg, struct fetch_result *res)
{
	struct got *g = arg;

	g->done++;
	g->len = res->body.len;
	g->body = buf_take(&res->body);
	g->r = *res;
	memset(&g->r.body, 0, sizeof(g->r.body));
	fetch_cancel(g->cancel);
	if (g->free_net) {
		fetch_net_free(g->h->net);
		g->h->net_freed = 1;
	}
}

static void
got_fini(struct got *g)
{
	free(g->body);
	memset(g, 0, sizeof(*g));
}

static struct url u_storage[64];

static const struct url *
mkurl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const struct url *
mkurl(const char *fmt, ...)
{
	static unsigned next;
	struct url *u = &u_storage[next++ % 64];
	char text[BOUND_URL_TEXT + 1];
	struct diag d;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	diag_init(&d);
	assert_int_equal(url_parse(text, strlen(text), u, &d), PROV_OK);
	return u;
}

static struct fetch_req
req_for(const struct url *u)
{
	struct fetch_req r;

	memset(&r, 0, sizeof(r));
	r.url = u;
	r.max_body = 1u << 20;
	r.timeout_ms = 10000;
	r.connect_timeout_ms = 5000;
	r.user_agent = "Cisco-CP-8841-3PCC/11.3.1 (001122334455)";
	return r;
}

static void
start(struct host *h, const struct fetch_req *req, struct got *g, struct fetch_xfer **xp)
{
	struct fetch_xfer *x;
	struct diag d;
	long long t0 = mark();

	diag_init(&d);
	g->h = h;
	assert_int_equal(fetch_start(h->net, req, got_done, g, &x, &d), PROV_OK);
	timed(t0);
	assert_int_equal(g->done, 0); /* never from fetch_start */
	if (xp != NULL)
		*xp = x;
}

/* One transfer on a net of its own, run to its end. */
static void
fetch1(const struct fetch_req *req, struct got *g)
{
	struct host h;

	host_init(&h);
	start(&h, req, g, NULL);
	host_run(&h, WAIT_MS);
	assert_int_equal(g->done, 1);
	assert_int_equal(fetch_net_active(h.net), 0);
	/* Idle: no fd watched, no timer armed. */
	assert_int_equal(h.nfds, 0);
	assert_int_equal(h.due, -1);
	host_fini(&h);
}

/* Fetches url (printf-style) with the defaults; expects status and err. */
static void
expect(const struct fetch_req *tmpl, enum fetch_status st, const char *err,
       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
expect(const struct fetch_req *tmpl, enum fetch_status st, const char *err,
       const char *fmt, ...)
{
	char text[BOUND_URL_TEXT + 1];
	struct fetch_req req;
	struct got g;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (tmpl != NULL)
		req = *tmpl;
	else
		req = req_for(NULL);
	req.url = mkurl("%s", text);
	memset(&g, 0, sizeof(g));
	fetch1(&req, &g);
	if (g.r.status != st || strcmp(g.r.err, err) != 0)
		fail_msg("%s: got %d \"%s\" (%s), want %d \"%s\"", text, g.r.status,
			 g.r.err, g.r.detail, st, err);
	if (st != FETCH_OK)
		assert_int_equal(g.len, 0);
	got_fini(&g);
}

static void
assert_body_is(const struct got *g, const char *rel)
{
	size_t len;
	char *want = slurp(rel, &len);

	assert_non_null(want);
	assert_int_equal(g->len, len);
	assert_memory_equal(g->body, want, len);
	free(want);
}

static void
skip_without_tftp(void)
{
	if (S.tftp == 0) {
		fprintf(stderr, "test_fetch: no in.tftpd (not root?): TFTP skipped\n");
		skip();
	}
}

/* ---- TFTP (D-NET-1) ------------------------------------------------------ */

static void
tftp_get_default_blksize(void **state)
{
	const char *files[] = { "small.txt", "big.bin" };

	(void)state;
	skip_without_tftp();
	for (size_t i = 0; i < 2; i++) {
		struct fetch_req req = req_for(mkurl("tftp://127.0.0.1:%u/%s", S.tftp, files[i]));
		struct got g = { 0 };
		char rel[64];

		fetch1(&req, &g);
		assert_int_equal(g.r.status, FETCH_OK);
		assert_string_equal(g.r.err, "");
		assert_int_equal(g.r.http_code, 0);
		assert_string_equal(g.r.serv_ip, "127.0.0.1");
		assert_int_equal(g.r.port, S.tftp);
		assert_true(g.r.tftp_blksize == 0 || g.r.tftp_blksize == 512);
		snprintf(rel, sizeof(rel), "tftp/%s", files[i]);
		assert_body_is(&g, rel);
		got_fini(&g);
	}
}

static void
tftp_get_blksize_1428(void **state)
{
	const char *files[] = { "small.txt", "big.bin" };

	(void)state;
	skip_without_tftp();
	for (size_t i = 0; i < 2; i++) {
		struct fetch_req req = req_for(mkurl("tftp://127.0.0.1:%u/%s", S.tftp, files[i]));
		struct got g = { 0 };
		char rel[64];

		req.tftp_blksize = 1428;
		fetch1(&req, &g);
		assert_int_equal(g.r.status, FETCH_OK);
		assert_int_equal(g.r.tftp_blksize, 1428); /* the OACK said so */
		snprintf(rel, sizeof(rel), "tftp/%s", files[i]);
		assert_body_is(&g, rel);
		got_fini(&g);
	}
}

static void
tftp_failures(void **state)
{
	struct fetch_req req = req_for(NULL);
	struct got g = { 0 };
	long long t0;

	(void)state;
	skip_without_tftp();
	expect(NULL, FETCH_NOTFOUND, "tftp file not found", "tftp://127.0.0.1:%u/nothere.cfg",
	       S.tftp);
	/* A file in.tftpd refuses: an error packet other than 1. */
	req.url = mkurl("tftp://127.0.0.1:%u/noaccess.txt", S.tftp);
	fetch1(&req, &g);
	assert_int_equal(g.r.status, FETCH_TFTP);
	assert_true(strncmp(g.r.err, "tftp error ", 11) == 0);
	got_fini(&g);
	/* Too big, announced by tsize or found while reading. */
	req.url = mkurl("tftp://127.0.0.1:%u/big.bin", S.tftp);
	req.max_body = 1000;
	fetch1(&req, &g);
	assert_int_equal(g.r.status, FETCH_TOOBIG);
	assert_string_equal(g.r.err, "profile too large");
	got_fini(&g);
	/* Nothing listens: no answer, ended by timeout_ms (not before it;
	 * the upper bound only catches a hang, whatever the machine's load). */
	req = req_for(mkurl("tftp://127.0.0.1:%u/small.txt", S.closed));
	req.timeout_ms = 1500;
	t0 = now_ms();
	fetch1(&req, &g);
	assert_int_equal(g.r.status, FETCH_TIMEOUT);
	assert_string_equal(g.r.err, "tftp server not responding");
	assert_true(now_ms() - t0 >= 1500 - 10 && now_ms() - t0 < 30000);
	got_fini(&g);
	/* A name that does not resolve (in tftpc's resolver thread), or not
	 * in time: a DNS failure either way. */
	req = req_for(mkurl("tftp://prov-test.invalid/small.txt"));
	req.timeout_ms = 3000;
	fetch1(&req, &g);
	assert_int_equal(g.r.status, FETCH_DNS);
	assert_string_equal(g.r.err, "dns lookup failed");
	got_fini(&g);
}

/* A lost request is sent again, from the transfer's own timer. */
static void
tftp_retransmits(void **state)
{
	struct fetch_req req = req_for(mkurl("tftp://127.0.0.1:%u/x.cfg", S.lossy));
	struct got g = { 0 };

	(void)state;
	req.timeout_ms = 6000;
	fetch1(&req, &g);
	if (g.r.status != FETCH_OK)
		fail_msg("%s (%s)", g.r.err, g.r.detail);
	assert_int_equal(g.len, 9);
	assert_memory_equal(g.body, "lossy ok\n", 9);
	assert_int_equal(g.r.port, S.lossy);
	got_fini(&g);
}

/* ---- HTTP (D-RUL-5..7) --------------------------------------------------- */

static void
http_get(void **state)
{
	struct fetch_req req = req_for(NULL);
	struct got g = { 0 };
	char want[128];

	(void)state;
	req.url = mkurl("http://127.0.0.1:%u/small.txt", S.http);
	fetch1(&req, &g);
	assert_int_equal(g.r.status, FETCH_OK);
	assert_int_equal(g.r.http_code, 200);
	assert_string_equal(g.r.serv_ip, "127.0.0.1");
	assert_int_equal(g.r.port, S.http);
	assert_int_equal(g.r.redirected_permanently, 0);
	snprintf(want, sizeof(want), "http://127.0.0.1:%u/small.txt", S.http);
	assert_string_equal(g.r.final_url, want);
	assert_body_is(&g, "www/small.txt");
	got_fini(&g);

	req.url = mkurl("http://127.0.0.1:%u/big.bin", S.http);
	fetch1(&req, &g);
	assert_int_equal(g.r.status, FETCH_OK);
	assert_body_is(&g, "www/big.bin");
	got_fini(&g);

	/* D-RUL-7: the server saw the User-Agent. */
	assert_true(log_has(S.http, "\"GET /small.txt HTTP/1.1\" 200 16 "
				    "\"Cisco-CP-8841-3PCC/11.3.1 (001122334455)\""));
}

static void
http_status_table(void **state)
{
	struct fetch_req req = req_for(NULL);
	struct got g = { 0 };

	(void)state;
	expect(NULL, FETCH_NOTFOUND, "http file not found", "http://127.0.0.1:%u/nothere.cfg",
	       S.http);
	expect(NULL, FETCH_HTTP_STATUS, "http_get failed: 500", "http://127.0.0.1:%u/status/500",
	       S.http);
	expect(NULL, FETCH_HTTP_STATUS, "http_get failed: 503", "http://127.0.0.1:%u/status/503",
	       S.http);
	expect(NULL, FETCH_HTTP_STATUS, "http_get failed: 403", "http://127.0.0.1:%u/status/403",
	       S.http);
	/* An error page over max_body still reports its status. */
	req.max_body = 10;
	expect(&req, FETCH_NOTFOUND, "http file not found", "http://127.0.0.1:%u/nothere.cfg",
	       S.http);
	/* Exactly max_body fits; one byte less does not. */
	req.max_body = 16;
	req.url = mkurl("http://127.0.0.1:%u/small.txt", S.http);
	fetch1(&req, &g);
	assert_int_equal(g.r.status, FETCH_OK);
	got_fini(&g);
	req.max_body = 15;
	expect(&req, FETCH_TOOBIG, "profile too large", "http://127.0.0.1:%u/small.txt", S.http);
	req.max_body = 1000;
	expect(&req, FETCH_TOOBIG, "profile too large", "http://127.0.0.1:%u/big.bin", S.http);
}

static void
http_post(void **state)
{
	static const char body[] = "mac=001122334455&csr=-----BEGIN";
	struct fetch_req req = req_for(NULL);
	struct got g = { 0 };

	(void)state;
	req.url = mkurl("http://127.0.0.1:%u/post", S.http);
	req.post = body;
	req.postlen = strlen(body);
	fetch1(&req, &g);
	assert_int_equal(g.r.status, FETCH_OK);
	assert_int_equal(g.len, 7);
	assert_memory_equal(g.body, "posted\n", 7);
	got_fini(&g);
	assert_true(log_has(S.http, "\"POST /post HTTP/1.1\" 200 7 \"Cisco-CP-8841-3PCC/11.3.1 "
				    "(001122334455)\" \"-\" \"mac=001122334455&csr=-----BEGIN\""));
	expect(&req, FETCH_HTTP_STATUS, "http_post failed: 500", "http://127.0.0.1:%u/status/500",
	       S.http);
}

static void
http_basic_auth(void **state)
{
	struct fetch_req req = req_for(NULL);
	struct got g = { 0 };

	(void)state;
	req.url = mkurl("http://127.0.0.1:%u/private/secret.txt", S.http);
	req.uid = "prov";
	req.pwd = "s3cret";
	fetch1(&req, &g);
	assert_int_equal(g.r.status, FETCH_OK);
	assert_body_is(&g, "www/private/secret.txt");
	got_fini(&g);
	req.pwd = "wrong";
	expect(&req, FETCH_AUTH, "auth failed: 401", "http://127.0.0.1:%u/private/secret.txt",
	       S.http);
	expect(NULL, FETCH_AUTH, "auth failed: 401", "http://127.0.0.1:%u/private/secret.txt",
	       S.http);
}

static void
http_digest_auth(void **state)
{
	struct fetch_req req = req_for(NULL);
	struct got g = { 0 };

	(void)state;
	req.url = mkurl("http://127.0.0.1:%u/profile.cfg", S.digest);
	req.uid = "phone";
	req.pwd = "s3cret";
	fetch1(&req, &g);
	assert_int_equal(g.r.status, FETCH_OK);
	assert_int_equal(g.len, 10);
	assert_memory_equal(g.body, "digest ok\n", 10);
	got_fini(&g);
	req.pwd = "wrong";
	expect(&req, FETCH_AUTH, "auth failed: 401", "http://127.0.0.1:%u/profile.cfg", S.digest);
}

static void
http_redirects(void **state)
{
	struct fetch_req req = req_for(NULL);
	struct got g = { 0 };
	char want[128];
	static const struct {
		const char *path;
		int permanent;
	} hops[] = {
		{ "redirect", 0 }, { "redirect301", 1 }, { "redirect307", 0 }, { "redirect308", 1 },
	};

	(void)state;
	snprintf(want, sizeof(want), "http://127.0.0.1:%u/small.txt", S.http);
	for (size_t i = 0; i < sizeof(hops) / sizeof(hops[0]); i++) {
		req.url = mkurl("http://127.0.0.1:%u/%s?to=%s", S.http, hops[i].path, want);
		fetch1(&req, &g);
		assert_int_equal(g.r.status, FETCH_OK);
		assert_int_equal(g.r.redirected_permanently, hops[i].permanent);
		assert_string_equal(g.r.final_url, want);
		assert_body_is(&g, "www/small.txt");
		got_fini(&g);
	}
	/* A 302 then a 301: not every hop was permanent. */
	req.url = mkurl("http://127.0.0.1:%u/redirect?to=http://127.0.0.1:%u/redirect301?to=%s",
			S.http, S.http, want);
	fetch1(&req, &g);
	assert_int_equal(g.r.status, FETCH_OK);
	assert_int_equal(g.r.redirected_permanently, 0);
	got_fini(&g);
	expect(NULL, FETCH_REDIRECT, "too many redirects", "http://127.0.0.1:%u/loop", S.http);
	/* http may go up to https ... */
	req.ca_file = pki("ca.pem");
	req.url = mkurl("http://127.0.0.1:%u/redirect?to=https://127.0.0.1:%u/small.txt", S.http,
			S.https);
	fetch1(&req, &g);
	assert_int_equal(g.r.status, FETCH_OK);
	assert_int_equal(g.r.port, S.https);
	assert_body_is(&g, "www/small.txt");
	got_fini(&g);
	/* ... but https never down to http, and nothing goes to tftp. */
	expect(&req, FETCH_REDIRECT, "redirect refused",
	       "https://127.0.0.1:%u/redirect301?to=http://127.0.0.1:%u/small.txt", S.https, S.http);
	expect(&req, FETCH_REDIRECT, "redirect refused",
	       "http://127.0.0.1:%u/redirect?to=tftp://127.0.0.1:%u/small.txt", S.http,
	       S.tftp ? S.tftp : 69);
}

/* ---- HTTPS (D-NET-1..3) -------------------------------------------------- */

static void
https_ok(void **state)
{
	struct fetch_req req = req_for(NULL);
	struct got g = { 0 };

	(void)state;
	req.ca_file = pki("ca.pem");
	req.url = mkurl("https://127.0.0.1:%u/small.txt", S.https);
	fetch1(&req, &g);
	assert_int_equal(g.r.status, FETCH_OK);
	assert_string_equal(g.r.serv_ip, "127.0.0.1");
	assert_int_equal(g.r.port, S.https);
	assert_body_is(&g, "www/small.txt");
	got_fini(&g);
	req.url = mkurl("https://localhost:%u/big.bin", S.https);
	fetch1(&req, &g);
	assert_int_equal(g.r.status, FETCH_OK);
	assert_body_is(&g, "www/big.bin");
	got_fini(&g);
}

static void
https_verify_failures(void **state)
{
	struct fetch_req req = req_for(NULL);
	struct got g = { 0 };

	(void)state;
	req.ca_file = pki("ca.pem");
	/* A certificate from a CA the device does not trust. */
	expect(&req, FETCH_TLS, "tls verify failed", "https://127.0.0.1:%u/small.txt", S.otherca);
	/* The right server, the wrong trust store; or the system's. */
	req.ca_file = pki("ca2.pem");
	expect(&req, FETCH_TLS, "tls verify failed", "https://127.0.0.1:%u/small.txt", S.https);
	req.ca_file = NULL;
	expect(&req, FETCH_TLS, "tls verify failed", "https://127.0.0.1:%u/small.txt", S.https);
	req.ca_file = pki("ca.pem");
	/* Wrong host name, expired: the detail says which. */
	req.url = mkurl("https://127.0.0.1:%u/small.txt", S.wrongname);
	fetch1(&req, &g);
	assert_int_equal(g.r.status, FETCH_TLS);
	assert_string_equal(g.r.err, "tls verify failed");
	assert_non_null(strstr(g.r.detail, "127.0.0.1"));
	got_fini(&g);
	req.url = mkurl("https://127.0.0.1:%u/small.txt", S.expired);
	fetch1(&req, &g);
	assert_int_equal(g.r.status, FETCH_TLS);
	assert_string_equal(g.r.err, "tls verify failed");
	assert_non_null(strstr(g.r.detail, "expired"));
	got_fini(&g);
	/* TLS spoken to a plain HTTP server. */
	expect(&req, FETCH_TLS, "tls handshake failed", "https://127.0.0.1:%u/small.txt", S.http);
	/* Local files that do not work. */
	req.ca_file = pki("missing.pem");
	expect(&req, FETCH_TLS, "tls trust store unusable", "https://127.0.0.1:%u/small.txt",
	       S.https);
	req.ca_file = pki("ca.pem");
	req.cert_file = pki("missing.pem");
	req.key_file = pki("missing.key");
	expect(&req, FETCH_TLS, "tls client cert unusable", "https://127.0.0.1:%u/small.txt",
	       S.https);
}

static void
https_client_cert(void **state)
{
	struct fetch_req req = req_for(NULL);
	struct got g = { 0 };

	(void)state;
	req.ca_file = pki("ca.pem");
	req.cert_file = pki("client.pem");
	req.key_file = pki("client.key");
	req.url = mkurl("https://127.0.0.1:%u/small.txt", S.client);
	fetch1(&req, &g);
	assert_int_equal(g.r.status, FETCH_OK);
	assert_body_is(&g, "www/small.txt");
	got_fini(&g);
	/* D-NET-3: the server saw the MIC's subject. */
	assert_true(log_has(S.client, "OU=CP-8841-3PCC,O=Cisco Systems\\x5C, Inc.,"
				      "L=FCH1234ABCD,ST=001122334455,C=US"));
	/* nginx answers a missing or untrusted client certificate with 400. */
	req.cert_file = req.key_file = NULL;
	expect(&req, FETCH_HTTP_STATUS, "http_get failed: 400", "https://127.0.0.1:%u/small.txt",
	       S.client);
	req.cert_file = pki("client2.pem");
	req.key_file = pki("client2.key");
	expect(&req, FETCH_HTTP_STATUS, "http_get failed: 400", "https://127.0.0.1:%u/small.txt",
	       S.client);
}

/* ---- faults (D-NET-4) ---------------------------------------------------- */

static void
net_faults(void **state)
{
	struct fetch_req req = req_for(NULL);
	long long t0;

	(void)state;
	expect(NULL, FETCH_DNS, "dns lookup failed", "http://prov-test.invalid/x.cfg");
	expect(NULL, FETCH_CONNECT, "connection refused", "http://127.0.0.1:%u/x.cfg", S.closed);
	expect(NULL, FETCH_ERROR, "transfer truncated", "http://127.0.0.1:%u/x.cfg", S.trunc);
	req.timeout_ms = 800;
	t0 = now_ms();
	expect(&req, FETCH_TIMEOUT, "timeout", "http://127.0.0.1:%u/x.cfg", S.silent);
	expect(&req, FETCH_TIMEOUT, "timeout", "http://127.0.0.1:%u/x.cfg", S.slow);
	/* Each ended by its timeout: not before; the upper bound catches a hang. */
	assert_true(now_ms() - t0 >= 2 * 800 - 20 && now_ms() - t0 < 30000);
}

static void
bad_requests(void **state)
{
	struct host h;
	struct url u;
	struct fetch_req req;
	struct fetch_xfer *x = (struct fetch_xfer *)(void *)&u; /* must become NULL */
	struct got g = { 0 };
	struct diag d;

	(void)state;
	host_init(&h);
	memset(&u, 0, sizeof(u));
	u.scheme = URL_HTTP;
	u.port = 80;
	snprintf(u.path, sizeof(u.path), "/x");
	req = req_for(&u);
	diag_init(&d);
	assert_int_equal(fetch_start(h.net, &req, got_done, &g, &x, &d), PROV_E_INVAL);
	assert_null(x);
	req.url = mkurl("tftp://127.0.0.1:%u/small.txt", S.closed);
	req.tftp_blksize = 4;
	assert_int_equal(fetch_start(h.net, &req, got_done, &g, &x, &d), PROV_E_INVAL);
	assert_non_null(strstr(d.msg, "blksize"));
	assert_int_equal(fetch_net_active(h.net), 0);
	fetch_cancel(NULL);
	host_fini(&h);
	fetch_net_free(NULL);
}

/* ---- many at once, cancel, free ----------------------------------------- */

static void
many_concurrent(void **state)
{
	enum { N = 60 };
	static struct got g[N];
	struct host h;
	char rel[64];

	(void)state;
	host_init(&h);
	for (int i = 0; i < N; i++) {
		struct fetch_req req;
		int tftp = S.tftp != 0 && i % 6 == 5;

		if (tftp)
			req = req_for(mkurl("tftp://127.0.0.1:%u/%s", S.tftp,
					    i % 12 == 5 ? "big.bin" : "small.txt"));
		else if (i % 3 == 1)
			req = req_for(mkurl("https://127.0.0.1:%u/%s", S.https,
					    i % 2 ? "big.bin" : "small.txt"));
		else
			req = req_for(mkurl("http://127.0.0.1:%u/%s", S.http,
					    i % 2 ? "big.bin" : "small.txt"));
		req.ca_file = pki("ca.pem");
		memset(&g[i], 0, sizeof(g[i]));
		start(&h, &req, &g[i], NULL);
	}
	assert_int_equal(fetch_net_active(h.net), N);
	host_run(&h, WAIT_MS);
	for (int i = 0; i < N; i++) {
		int tftp = S.tftp != 0 && i % 6 == 5;
		const char *file = tftp ? (i % 12 == 5 ? "big.bin" : "small.txt")
					: (i % 2 ? "big.bin" : "small.txt");

		assert_int_equal(g[i].done, 1);
		if (g[i].r.status != FETCH_OK)
			fail_msg("transfer %d: %s (%s)", i, g[i].r.err, g[i].r.detail);
		snprintf(rel, sizeof(rel), "www/%s", file);
		assert_body_is(&g[i], rel);
		got_fini(&g[i]);
	}
	host_fini(&h);
}

/* Cancel from a done callback, from inside the ops, and directly; free the
 * net with transfers under way (ASan checks that nothing leaks). */
static void
cancel_and_free(void **state)
{
	struct host h;
	struct got a = { 0 }, b = { 0 }, c = { 0 }, e = { 0 }, f = { 0 };
	struct fetch_req req;
	struct fetch_xfer *xb, *xc, *xe;

	(void)state;
	host_init(&h);
	req = req_for(mkurl("http://127.0.0.1:%u/x.cfg", S.silent));
	start(&h, &req, &b, &xb);
	start(&h, &req, &c, &xc);
	start(&h, &req, &e, &xe);
	a.cancel = xb; /* a's done cancels b */
	req = req_for(mkurl("http://127.0.0.1:%u/small.txt", S.http));
	start(&h, &req, &a, NULL);
	h.cancel_on_watch = xc; /* the next watch call cancels c */
	fetch_cancel(xe);
	assert_int_equal(fetch_net_active(h.net), 3);
	while (a.done == 0)
		host_once(&h, 100);
	assert_int_equal(a.r.status, FETCH_OK);
	assert_null(h.cancel_on_watch);
	assert_int_equal(fetch_net_active(h.net), 0);
	assert_int_equal(b.done + c.done + e.done, 0);
	host_fini(&h);
	got_fini(&a);

	/* Free with transfers in every state: resolving, connecting, waiting
	 * for an answer, TFTP retransmitting. */
	host_init(&h);
	req = req_for(mkurl("http://127.0.0.1:%u/x.cfg", S.silent));
	start(&h, &req, &b, NULL);
	req = req_for(mkurl("tftp://127.0.0.1:%u/x.cfg", S.closed));
	start(&h, &req, &c, NULL);
	req = req_for(mkurl("http://prov-test.invalid/x.cfg"));
	start(&h, &req, &e, NULL);
	req = req_for(mkurl("https://127.0.0.1:%u/big.bin", S.https));
	req.ca_file = pki("ca.pem");
	start(&h, &req, &f, NULL);
	for (int i = 0; i < 5; i++)
		host_once(&h, 20);
	host_fini(&h);
	assert_int_equal(b.done + c.done, 0); /* e may have failed already */
	got_fini(&e);

	/* Free from inside a done callback. */
	host_init(&h);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	req = req_for(mkurl("http://127.0.0.1:%u/x.cfg", S.silent));
	start(&h, &req, &b, NULL);
	req = req_for(mkurl("http://127.0.0.1:%u/small.txt", S.http));
	a.free_net = 1;
	start(&h, &req, &a, NULL);
	host_run(&h, WAIT_MS);
	assert_int_equal(a.done, 1);
	assert_int_equal(b.done, 0);
	assert_true(h.net_freed);
	host_fini(&h);
	got_fini(&a);
	got_fini(&f);
}

/* Runs last: no fetch_* call took long, whatever the server did; the time
 * the thread waited for a CPU does not count (timed()), so a loaded
 * machine does not fail this. */
static void
never_blocks(void **state)
{
	(void)state;
	fprintf(stderr, "test_fetch: the longest fetch_* call took %lld ms\n", max_call_ms);
	if (max_call_ms > 1000)
		fail_msg("a fetch_* call took %lld ms", max_call_ms);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tftp_get_default_blksize),
		cmocka_unit_test(tftp_get_blksize_1428),
		cmocka_unit_test(tftp_failures),
		cmocka_unit_test(tftp_retransmits),
		cmocka_unit_test(http_get),
		cmocka_unit_test(http_status_table),
		cmocka_unit_test(http_post),
		cmocka_unit_test(http_basic_auth),
		cmocka_unit_test(http_digest_auth),
		cmocka_unit_test(http_redirects),
		cmocka_unit_test(https_ok),
		cmocka_unit_test(https_verify_failures),
		cmocka_unit_test(https_client_cert),
		cmocka_unit_test(net_faults),
		cmocka_unit_test(bad_requests),
		cmocka_unit_test(many_concurrent),
		cmocka_unit_test(cancel_and_free),
		cmocka_unit_test(never_blocks),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, servers_start, servers_stop);
}
