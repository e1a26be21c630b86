/*
 * Tests of the TFTP server (server/tftpd.c), in process: a struct srv on
 * its own loop running in a thread, a UDP socket on 127.0.0.1 (or ::1)
 * port 0, and real, independent clients fetching from it: tftp-hpa's
 * `tftp`, `curl` and `atftp` (windowsize), compared byte for byte. Raw
 * UDP clients written here drive what the tools cannot: duplicate ACKs
 * (Sorcerer's Apprentice), a client that never acknowledges, partial
 * window ACKs, caps, refusals. tests/integration/udp_impair.py sits
 * between curl/atftp and the server for transfers under loss,
 * duplication and reordering (reliability.md R-TFTP).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "root.h"
#include "serve.h"
#include "store.h"
#include "tftp.h"
#include "tftpd.h"

#define BIG_SIZE (40u * 1024u * 1024u) /* 81,920 blocks of 512: the block number rolls over */
#define CLIENT_TIMEOUT "60"           /* seconds any client tool may run */

/* A packet from a string literal, without the literal's own final NUL. */
#define PKT(s) (const uint8_t *)(s), (sizeof(s) - 1)

/* 22,848 and 28,560: exactly 16 and 20 blocks of 1428, so a window with
 * blksize 1428 ends on an empty block (sent by UDP GSO behind full ones). */
static const size_t sizes[] = { 0, 511, 512, 1024, 22848, 28560, 65536, 1048576 };

static char dir[64], rootdir[96], updir[96], outfile[96];

/* One server under test: its loop runs in a thread; the test thread talks
 * to it through a pipe ('s' stop, 'd' drain) and reads only atomics. */
struct server {
	struct loop *loop;
	struct srv_cfg cfg;
	struct srv srv;
	struct tftpd *t;
	int fd;
	int ctl[2];
	pthread_t th;
	unsigned port;
	int family;
	char db[160];            /* "sqlite:PATH" to keep history, or "" */
	int v4mapped;            /* AF_INET6 socket bound to ::ffff:127.0.0.1 */
	int running;
};

/* The server of the test running. File scope, not on a test's stack: a
 * failed assertion leaves the test function at once, and the teardown
 * then stops the server thread before anything else reuses that memory. */
static struct server sv;
static pid_t impair_pid;     /* udp_impair.py running, or 0 */

static uint64_t
counter(_Atomic uint64_t *c)
{
	return atomic_load(c);
}

/* Waits (at most 5 s) until *c reaches want: the server thread may still
 * be handling a client's last packet when the client tool exits. */
static uint64_t
wait_counter(_Atomic uint64_t *c, uint64_t want)
{
	for (int i = 0; i < 500 && atomic_load(c) < want; i++)
		usleep(10000);
	return atomic_load(c);
}

static int64_t
wait_active(struct metrics *m, int64_t want)
{
	for (int i = 0; i < 500 && atomic_load(&m->active[METRICS_TFTP]) != want; i++)
		usleep(10000);
	return atomic_load(&m->active[METRICS_TFTP]);
}

static void
server_ctl(void *arg, int fd, unsigned events)
{
	struct server *s = arg;
	char c;

	(void)events;
	if (read(fd, &c, 1) != 1)
		return;
	if (c == 'd')
		tftpd_drain(s->t);
	else
		loop_stop(s->loop);
}

static void *
server_thread(void *arg)
{
	struct server *s = arg;

	loop_run(s->loop);
	return NULL;
}

/* Defaults; a test changes s->cfg.lim before server_start. */
static void
server_init(struct server *s)
{
	memset(s, 0, sizeof(*s));
	config_defaults(&s->cfg);
	s->cfg.lim.tftp_timeout_ms = 3000;
}

static int
server_start(struct server *s, int family, int upload)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	s->family = family;
	s->loop = loop_new();
	assert_non_null(s->loop);
	s->srv.loop = s->loop;
	s->srv.cfg = &s->cfg;
	s->srv.root_fd = root_dir_open(rootdir);
	assert_true(s->srv.root_fd >= 0);
	s->srv.upload_fd = upload ? open(updir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	s->srv.metrics = metrics_new();
	assert_non_null(s->srv.metrics);
	s->srv.store = NULL;
	if (s->db[0] != '\0') {
		char err[256];

		if (store_open(&s->srv.store, s->db, s->srv.metrics, err, sizeof(err)) < 0)
			fail_msg("store_open: %s", err);
	}
	s->fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(s->fd >= 0);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		if (s->v4mapped)
			inet_pton(AF_INET6, "::ffff:127.0.0.1", &a->sin6_addr);
		if (bind(s->fd, (struct sockaddr *)a, sizeof(*a)) < 0)
			return -1;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(bind(s->fd, (struct sockaddr *)a, sizeof(*a)), 0);
	}
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&ss, &len), 0);
	s->port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
			((struct sockaddr_in *)&ss)->sin_port);
	assert_int_equal(tftpd_new(&s->t, &s->srv, s->fd), 0);
	assert_int_equal(pipe2(s->ctl, O_CLOEXEC), 0);
	assert_int_equal(loop_fd(s->loop, s->ctl[0], LOOP_IN, server_ctl, s), 0);
	assert_int_equal(pthread_create(&s->th, NULL, server_thread, s), 0);
	s->running = 1;
	return 0;
}

static void
server_send(struct server *s, char c)
{
	assert_int_equal(write(s->ctl[1], &c, 1), 1);
}

static void
server_stop(struct server *s)
{
	s->running = 0;
	server_send(s, 's');
	assert_int_equal(pthread_join(s->th, NULL), 0);
	tftpd_free(s->t);
	close(s->ctl[0]);
	close(s->ctl[1]);
	close(s->fd);
	close(s->srv.root_fd);
	if (s->srv.upload_fd >= 0)
		close(s->srv.upload_fd);
	loop_free(s->loop);
	store_close(s->srv.store);
	metrics_free(s->srv.metrics);
	config_fini(&s->cfg);
}

/* execvp with the const argv the tests build (execvp never writes it). */
static void
exec_argv(const char *const argv[])
{
	char *const *v;

	memcpy(&v, &argv, sizeof(v));
	execvp(argv[0], v);
}

/* Runs argv (stdin, stdout and stderr on /dev/null unless PROV_TEST_DEBUG
 * is set); returns its exit status, or -1. */
static int
run(const char *const argv[])
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		if (getenv("PROV_TEST_DEBUG") == NULL) {
			dup2(null, 1);
			dup2(null, 2);
		}
		exec_argv(argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
make_file(const char *name, size_t size)
{
	char path[160];
	uint8_t buf[65536];
	uint64_t x = 0x9e3779b97f4a7c15ull ^ size;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", rootdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	for (size_t done = 0; done < size;) {
		size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);

		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (uint8_t)x;
		}
		assert_int_equal(fwrite(buf, 1, n, f), n);
		done += n;
	}
	assert_int_equal(fclose(f), 0);
}

/* Whether two files have the same bytes. */
static int
same_file(const char *a, const char *b)
{
	static uint8_t ba[65536], bb[65536];
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int same = fa != NULL && fb != NULL;

	while (same) {
		size_t na = fread(ba, 1, sizeof(ba), fa), nb = fread(bb, 1, sizeof(bb), fb);

		if (na != nb || memcmp(ba, bb, na) != 0)
			same = 0;
		if (na == 0 || na < sizeof(ba))
			break;
	}
	if (fa != NULL)
		fclose(fa);
	if (fb != NULL)
		fclose(fb);
	return same;
}

static void
root_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", rootdir, name);
}

/* The text file for netascii: LF, CR LF, bare CR, CR at the very end, and
 * enough of them that pairs fall across every block boundary. */
static size_t
text_content(char *buf, size_t cap)
{
	size_t n = 0;

	n += (size_t)snprintf(buf + n, cap - n, "line one\nline two\r\nbare\rcr\n\n\r\r\n");
	for (unsigned i = 0; n + 64 < cap && i < 300; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%u%s", i,
				      i % 3 == 0 ? "\n" : i % 3 == 1 ? "\r" : "\r\n");
	buf[n++] = '\r';
	return n;
}

static int
group_setup(void **state)
{
	char text[4096], path[160];
	size_t n;
	FILE *f;

	(void)state;
	log_open("stderr", getenv("PROV_TEST_DEBUG") != NULL ? LOG_DEBUG : LOG_WARNING);
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/test_tftpd.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(rootdir, sizeof(rootdir), "%s/root", dir);
	snprintf(updir, sizeof(updir), "%s/upload", dir);
	snprintf(outfile, sizeof(outfile), "%s/out", dir);
	if (mkdir(rootdir, 0755) < 0 || mkdir(updir, 0755) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[32];

		snprintf(name, sizeof(name), "f%zu", sizes[i]);
		make_file(name, sizes[i]);
	}
	make_file("big", BIG_SIZE);
	make_file("q256k", 256 * 1024);
	make_file("SEP001122AABBCC.cnf.xml", 700);
	n = text_content(text, sizeof(text));
	root_path(path, sizeof(path), "text.txt");
	f = fopen(path, "wb");
	if (f == NULL || fwrite(text, 1, n, f) != n || fclose(f) != 0)
		return -1;
	root_path(path, sizeof(path), "sub");
	if (mkdir(path, 0755) < 0)
		return -1;
	root_path(path, sizeof(path), "etc");
	if (symlink("/etc", path) < 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	if (dir[0] == '\0')
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A raw UDP client. */
struct raw {
	int s;
	struct sockaddr_storage srv, tid;
	socklen_t srvlen, tidlen;
};

static void
raw_open(struct raw *r, const struct server *s)
{
	memset(r, 0, sizeof(*r));
	r->s = socket(s->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(r->s >= 0);
	if (s->family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&r->srv;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons((uint16_t)s->port);
		r->srvlen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&r->srv;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons((uint16_t)s->port);
		r->srvlen = sizeof(*a);
	}
}

static void
raw_close(struct raw *r)
{
	close(r->s);
}

static void
raw_req(struct raw *r, const uint8_t *p, size_t n)
{
	assert_int_equal(sendto(r->s, p, n, 0, (struct sockaddr *)&r->srv, r->srvlen), (ssize_t)n);
}

static void
raw_rrq(struct raw *r, const char *name, enum tftp_mode mode, const struct tftp_opts *o)
{
	uint8_t p[512];
	size_t n = tftp_build_req(p, sizeof(p), TFTP_RRQ, name, mode, o);

	assert_true(n > 0);
	raw_req(r, p, n);
}

/* The next datagram within ms, or -1. Remembers its source as the TID. */
static ssize_t
raw_recv(struct raw *r, uint8_t *buf, size_t cap, int ms)
{
	struct pollfd pfd = { r->s, POLLIN, 0 };
	ssize_t n;

	if (poll(&pfd, 1, ms) <= 0)
		return -1;
	r->tidlen = sizeof(r->tid);
	n = recvfrom(r->s, buf, cap, 0, (struct sockaddr *)&r->tid, &r->tidlen);
	return n;
}

static void
raw_send(struct raw *r, const uint8_t *p, size_t n)
{
	assert_int_equal(sendto(r->s, p, n, 0, (struct sockaddr *)&r->tid, r->tidlen), (ssize_t)n);
}

static void
raw_ack(struct raw *r, uint16_t block)
{
	uint8_t p[4];

	tftp_build_ack(p, sizeof(p), block);
	raw_send(r, p, 4);
}

static void
raw_abort(struct raw *r)
{
	uint8_t p[32];

	raw_send(r, p, tftp_build_error(p, sizeof(p), TFTP_EUNDEF, "test done"));
}

/* Expects an ERROR packet within 2 s; returns its code. */
static unsigned
raw_expect_error(struct raw *r, char *msg, size_t msglen)
{
	uint8_t p[600];
	unsigned code = 999;
	ssize_t n = raw_recv(r, p, sizeof(p), 2000);

	assert_true(n > 0);
	assert_int_equal(tftp_opcode(p, (size_t)n), TFTP_ERROR);
	assert_int_equal(tftp_parse_error(p, (size_t)n, &code, msg, msglen), 0);
	return code;
}

static void
fetch_all_with(const struct server *s, const char *client)
{
	char port[16], url[128], name[32], path[160];

	snprintf(port, sizeof(port), "%u", s->port);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int rc;

		snprintf(name, sizeof(name), "f%zu", sizes[i]);
		unlink(outfile);
		if (strcmp(client, "tftp") == 0) {
			const char *argv[] = { "timeout", CLIENT_TIMEOUT, "tftp", "-m", "binary",
				"127.0.0.1", port, "-c", "get", name, outfile, NULL };

			rc = run(argv);
		} else if (strcmp(client, "curl") == 0) {
			const char *argv[] = { "timeout", CLIENT_TIMEOUT, "curl", "-sS",
				"--tftp-blksize", "1428", "-o", outfile, url, NULL };

			snprintf(url, sizeof(url), "tftp://127.0.0.1:%u/%s", s->port, name);
			rc = run(argv);
		} else {
			const char *argv[] = { "timeout", CLIENT_TIMEOUT, "atftp", "--option",
				"windowsize 16", "--option", "blksize 1428", "-g", "-r", name, "-l",
				outfile, "127.0.0.1", port, NULL };

			rc = run(argv);
		}
		root_path(path, sizeof(path), name);
		if (rc != 0 || !same_file(path, outfile))
			fail_msg("%s get %s: exit %d, %s", client, name, rc,
				 same_file(path, outfile) ? "same bytes" : "different bytes");
	}
}

/* S-NET-1: every size, with each independent client. */
static void
rrq_tftp_hpa_sizes(void **state)
{
	uint64_t total = 0;

	(void)state;
	server_init(&sv);
	server_start(&sv, AF_INET, 0);
	fetch_all_with(&sv, "tftp");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		total += sizes[i];
	assert_int_equal(wait_counter(&sv.srv.metrics->requests[METRICS_TFTP][1],
				      sizeof(sizes) / sizeof(sizes[0])),
			 sizeof(sizes) / sizeof(sizes[0]));
	assert_true(counter(&sv.srv.metrics->bytes_sent[METRICS_TFTP]) == total);
	server_stop(&sv);
}

static void
rrq_curl_blksize_sizes(void **state)
{

	(void)state;
	server_init(&sv);
	server_start(&sv, AF_INET, 0);
	fetch_all_with(&sv, "curl");
	server_stop(&sv);
}

/* RFC 7440 with atftp 0.8, which negotiates windowsize. */
static void
rrq_atftp_windowsize_sizes(void **state)
{

	(void)state;
	server_init(&sv);
	server_start(&sv, AF_INET, 0);
	fetch_all_with(&sv, "atftp");
	server_stop(&sv);
}

/* 81,920 blocks of 512: block numbers roll over to 0 past 65,535. */
static void
rrq_rollover_40m(void **state)
{
	char port[16], path[160];
	const char *argv[] = { "timeout", "120", "tftp", "-m", "binary", "127.0.0.1", port,
		"-c", "get", "big", outfile, NULL };

	(void)state;
	server_init(&sv);
	server_start(&sv, AF_INET, 0);
	snprintf(port, sizeof(port), "%u", sv.port);
	unlink(outfile);
	assert_int_equal(run(argv), 0);
	root_path(path, sizeof(path), "big");
	assert_true(same_file(path, outfile));
	assert_true(counter(&sv.srv.metrics->bytes_sent[METRICS_TFTP]) == BIG_SIZE);
	server_stop(&sv);
}

/* netascii through tftp-hpa (which converts back: the same bytes), and
 * on the wire with blksize 8, where CR pairs are cut by block ends. */
static void
rrq_netascii(void **state)
{
	char port[16], path[160], text[4096];
	uint8_t want[8192], got[8192], p[600];
	size_t tn, wn = 0, gn = 0;
	struct tftp_opts o = { .blksize = 8, .has_tsize = 1 }, g;
	struct raw r;
	const char *argv[] = { "timeout", CLIENT_TIMEOUT, "tftp", "-m", "netascii", "127.0.0.1",
		port, "-c", "get", "text.txt", outfile, NULL };
	uint16_t expect = 1;

	(void)state;
	server_init(&sv);
	server_start(&sv, AF_INET, 0);
	snprintf(port, sizeof(port), "%u", sv.port);
	unlink(outfile);
	assert_int_equal(run(argv), 0);
	root_path(path, sizeof(path), "text.txt");
	assert_true(same_file(path, outfile));

	tn = text_content(text, sizeof(text));
	for (size_t i = 0; i < tn; i++) {
		want[wn++] = text[i] == '\n' ? '\r' : (uint8_t)text[i];
		if (text[i] == '\n')
			want[wn++] = '\n';
		else if (text[i] == '\r')
			want[wn++] = '\0';
	}
	raw_open(&r, &sv);
	raw_rrq(&r, "text.txt", TFTP_NETASCII, &o);
	{
		ssize_t n = raw_recv(&r, p, sizeof(p), 2000);

		/* tsize is not offered in netascii: the size is not known */
		assert_true(n > 0);
		assert_int_equal(tftp_parse_oack(p, (size_t)n, &o, &g, NULL, 0), 0);
		assert_int_equal(g.blksize, 8);
		assert_int_equal(g.has_tsize, 0);
	}
	raw_ack(&r, 0);
	for (;;) {
		const uint8_t *d;
		uint16_t block;
		size_t dn;
		ssize_t n = raw_recv(&r, p, sizeof(p), 2000);

		assert_true(n > 0);
		assert_int_equal(tftp_parse_data(p, (size_t)n, &block, &d, &dn), 0);
		assert_int_equal(block, expect);
		assert_true(dn <= 8 && gn + dn <= sizeof(got));
		memcpy(got + gn, d, dn);
		gn += dn;
		raw_ack(&r, block);
		expect++;
		if (dn < 8)
			break;
	}
	assert_int_equal(gn, wn);
	assert_memory_equal(got, want, wn);
	raw_close(&r);
	server_stop(&sv);
}

/* Asks for name and expects an ERROR with code, and no DATA. */
static void
expect_refused(struct server *s, const char *name, unsigned code)
{
	struct raw r;
	char msg[128];
	unsigned got;

	raw_open(&r, s);
	raw_rrq(&r, name, TFTP_OCTET, NULL);
	got = raw_expect_error(&r, msg, sizeof(msg));
	if (got != code)
		fail_msg("%s: error %u \"%s\", wanted %u", name, got, msg, code);
	raw_close(&r);
}

/* S-SRV-1: not found, not a file, outside the root. */
static void
rrq_refusals(void **state)
{
	struct raw r;
	char url[128];
	const char *argv[] = { "timeout", CLIENT_TIMEOUT, "curl", "-sS", "-o", outfile, url, NULL };
	char msg[128];
	uint8_t p[64];

	(void)state;
	server_init(&sv);
	server_start(&sv, AF_INET, 0);
	expect_refused(&sv, "nope", TFTP_ENOTFOUND);
	expect_refused(&sv, "sub/nope", TFTP_ENOTFOUND);
	expect_refused(&sv, "sub", TFTP_EACCESS);
	expect_refused(&sv, "../etc/passwd", TFTP_EACCESS);
	expect_refused(&sv, "sub/../../etc/passwd", TFTP_EACCESS);
	expect_refused(&sv, "etc/passwd", TFTP_EACCESS); /* a symlink to /etc */
	expect_refused(&sv, "etc", TFTP_EACCESS);
	/* absolute: relative to the root, where there is no etc/hostname */
	expect_refused(&sv, "/etc/hostname", TFTP_EACCESS);
	expect_refused(&sv, "/nope", TFTP_ENOTFOUND);
	assert_true(counter(&sv.srv.metrics->traversal_refused) >= 4);
	/* curl reports "file not found" as its error 68 */
	snprintf(url, sizeof(url), "tftp://127.0.0.1:%u/nope", sv.port);
	assert_int_equal(run(argv), 68);

	/* malformed requests and refused options */
	raw_open(&r, &sv);
	raw_req(&r, PKT("\0\1f65536\0mail\0"));
	assert_int_equal(raw_expect_error(&r, msg, sizeof(msg)), TFTP_EBADOP);
	raw_req(&r, PKT("\0\1f65536\0octet\0blksize\0007\0"));
	assert_int_equal(raw_expect_error(&r, msg, sizeof(msg)), TFTP_EOPTNEG);
	assert_string_equal(msg, "bad blksize");
	/* not a request: no answer at all */
	raw_req(&r, PKT("\0\4\0\1"));
	assert_true(raw_recv(&r, p, sizeof(p), 200) < 0);
	raw_close(&r);
	/* 4xx only for not found; the rest counts as 5xx */
	assert_int_equal(counter(&sv.srv.metrics->requests[METRICS_TFTP][3]), 4);
	server_stop(&sv);
}

/* S-NET-1: WRQ refused without an upload directory; with one, written
 * there, never over a served file; netascii decoded. */
static void
wrq_upload(void **state)
{
	struct raw r;
	char port[16], src[160], dst[160], path[160], msg[128];
	uint8_t p[64];
	const char *put_bin[] = { "timeout", CLIENT_TIMEOUT, "tftp", "-m", "binary", "127.0.0.1",
		port, "-c", "put", src, "f1024", NULL };
	const char *put_txt[] = { "timeout", CLIENT_TIMEOUT, "tftp", "-m", "netascii",
		"127.0.0.1", port, "-c", "put", src, "report.txt", NULL };
	const char *put_big[] = { "timeout", CLIENT_TIMEOUT, "tftp", "-m", "binary", "127.0.0.1",
		port, "-c", "put", src, "report.bin", NULL };

	(void)state;
	server_init(&sv);
	server_start(&sv, AF_INET, 0);
	raw_open(&r, &sv);
	raw_req(&r, p, tftp_build_req(p, sizeof(p), TFTP_WRQ, "report.xml", TFTP_OCTET, NULL));
	assert_int_equal(raw_expect_error(&r, msg, sizeof(msg)), TFTP_EACCESS);
	raw_close(&r);
	server_stop(&sv);

	server_init(&sv);
	server_start(&sv, AF_INET, 1);
	snprintf(port, sizeof(port), "%u", sv.port);
	/* the name of a served file: lands in the upload directory only */
	root_path(src, sizeof(src), "f65536");
	assert_int_equal(run(put_bin), 0);
	snprintf(dst, sizeof(dst), "%s/f1024", updir);
	assert_true(same_file(src, dst));
	{
		struct stat st;

		root_path(path, sizeof(path), "f1024");
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_size, 1024);
	}
	root_path(src, sizeof(src), "text.txt");
	assert_int_equal(run(put_txt), 0);
	snprintf(dst, sizeof(dst), "%s/report.txt", updir);
	assert_true(same_file(src, dst));
	root_path(src, sizeof(src), "f1048576");
	assert_int_equal(run(put_big), 0);
	snprintf(dst, sizeof(dst), "%s/report.bin", updir);
	assert_true(same_file(src, dst));
	assert_true(counter(&sv.srv.metrics->bytes_received[METRICS_TFTP]) >= 1048576 + 65536);

	/* uploads are flat: no directories, no way out */
	raw_open(&r, &sv);
	raw_req(&r, p, tftp_build_req(p, sizeof(p), TFTP_WRQ, "../x", TFTP_OCTET, NULL));
	assert_int_equal(raw_expect_error(&r, msg, sizeof(msg)), TFTP_EACCESS);
	raw_req(&r, p, tftp_build_req(p, sizeof(p), TFTP_WRQ, "a/b", TFTP_OCTET, NULL));
	assert_int_equal(raw_expect_error(&r, msg, sizeof(msg)), TFTP_EACCESS);
	raw_close(&r);
	server_stop(&sv);
}

/* Waits until the overload counter reaches want (a hang-only bound). */
static uint64_t
wait_overload(struct metrics *m, uint64_t want)
{
	for (int i = 0; i < 500 && counter(&m->overload[METRICS_TFTP]) < want; i++)
		usleep(10000);
	return counter(&m->overload[METRICS_TFTP]);
}

/* S-SEC-5 and reliability.md R-LOAD: over the per-client cap, and over the
 * worker cap, the RRQ is dropped and counted, never answered "server
 * busy" (which would send a phone into its hour-long error retry); the
 * client's retransmission is served once a transfer has ended. */
static void
caps_busy(void **state)
{
	struct raw r[3];
	uint8_t p[600];

	(void)state;
	server_init(&sv);
	sv.cfg.lim.tftp_max_per_client = 2;
	server_start(&sv, AF_INET, 0);
	for (int i = 0; i < 3; i++) {
		raw_open(&r[i], &sv);
		raw_rrq(&r[i], "f1048576", TFTP_OCTET, NULL);
	}
	for (int i = 0; i < 2; i++) {
		ssize_t n = raw_recv(&r[i], p, sizeof(p), 2000);

		assert_true(n > 4);
		assert_int_equal(tftp_opcode(p, (size_t)n), TFTP_DATA);
	}
	assert_int_equal(wait_overload(sv.srv.metrics, 1), 1);
	assert_true(raw_recv(&r[2], p, sizeof(p), 200) < 0); /* no ERROR, nothing */
	assert_int_equal(atomic_load(&sv.srv.metrics->active[METRICS_TFTP]), 2);
	/* one transfer ends: the retransmitted RRQ is served */
	raw_abort(&r[0]);
	assert_int_equal(wait_active(sv.srv.metrics, 1), 1);
	raw_rrq(&r[2], "f512", TFTP_OCTET, NULL);
	{
		ssize_t n = raw_recv(&r[2], p, sizeof(p), 2000);

		assert_true(n > 0);
		assert_int_equal(tftp_opcode(p, (size_t)n), TFTP_DATA);
	}
	for (int i = 0; i < 3; i++)
		raw_close(&r[i]);
	server_stop(&sv);

	server_init(&sv);
	sv.cfg.lim.tftp_max_transfers = 1;
	server_start(&sv, AF_INET, 0);
	for (int i = 0; i < 2; i++) {
		raw_open(&r[i], &sv);
		raw_rrq(&r[i], "f1048576", TFTP_OCTET, NULL);
		if (i == 0)
			assert_true(raw_recv(&r[0], p, sizeof(p), 2000) > 4);
	}
	assert_int_equal(wait_overload(sv.srv.metrics, 1), 1);
	assert_true(raw_recv(&r[1], p, sizeof(p), 200) < 0);
	/* the first one ends (client error): room again */
	raw_abort(&r[0]);
	assert_int_equal(wait_active(sv.srv.metrics, 0), 0);
	raw_rrq(&r[1], "f512", TFTP_OCTET, NULL);
	{
		ssize_t n = raw_recv(&r[1], p, sizeof(p), 2000);

		assert_true(n > 0);
		assert_int_equal(tftp_opcode(p, (size_t)n), TFTP_DATA);
	}
	for (int i = 0; i < 2; i++)
		raw_close(&r[i]);
	server_stop(&sv);
}

/* RFC 1123 4.2.3.1: a client acknowledging every block twice gets every
 * block exactly once (a server answering duplicate ACKs would double
 * every packet from then on). */
static void
sorcerers_apprentice(void **state)
{
	struct raw r;
	unsigned count[140] = { 0 };
	uint8_t p[600];
	unsigned blocks = 65536 / 512 + 1, total = 0;

	(void)state;
	server_init(&sv);
	server_start(&sv, AF_INET, 0);
	raw_open(&r, &sv);
	raw_rrq(&r, "f65536", TFTP_OCTET, NULL);
	for (;;) {
		const uint8_t *d;
		uint16_t block;
		size_t dn;
		ssize_t n = raw_recv(&r, p, sizeof(p), 500);

		if (n < 0)
			break; /* quiet for 500 ms: done */
		assert_int_equal(tftp_parse_data(p, (size_t)n, &block, &d, &dn), 0);
		assert_true(block >= 1 && block <= blocks);
		count[block]++;
		total++;
		raw_ack(&r, block);
		raw_ack(&r, block);
	}
	for (unsigned b = 1; b <= blocks; b++)
		if (count[b] != 1)
			fail_msg("block %u sent %u times", b, count[b]);
	assert_int_equal(total, blocks);
	assert_int_equal(counter(&sv.srv.metrics->tftp_retransmits), 0);
	assert_int_equal(wait_counter(&sv.srv.metrics->requests[METRICS_TFTP][1], 1), 1);
	raw_close(&r);
	server_stop(&sv);
}

/* R-TFTP: a client that never acknowledges gets block 1 at most
 * 1 + tftp_retries times, then an ERROR, and the transfer is gone. */
static void
never_acknowledged(void **state)
{
	struct raw r;
	uint8_t p[600];
	unsigned data = 0, errors = 0;

	(void)state;
	server_init(&sv);
	sv.cfg.lim.tftp_timeout_ms = 20;
	sv.cfg.lim.tftp_retries = 3;
	server_start(&sv, AF_INET, 0);
	raw_open(&r, &sv);
	raw_rrq(&r, "f1048576", TFTP_OCTET, NULL);
	for (;;) {
		ssize_t n = raw_recv(&r, p, sizeof(p), 1500);

		if (n < 0)
			break;
		if (tftp_opcode(p, (size_t)n) == TFTP_DATA) {
			assert_int_equal(p[2] << 8 | p[3], 1);
			data++;
		} else {
			assert_int_equal(tftp_opcode(p, (size_t)n), TFTP_ERROR);
			errors++;
		}
	}
	assert_int_equal(data, 1 + 3);
	assert_int_equal(errors, 1);
	assert_int_equal(counter(&sv.srv.metrics->tftp_timeouts), 1);
	assert_int_equal(counter(&sv.srv.metrics->tftp_retransmits), 3);
	assert_int_equal(atomic_load(&sv.srv.metrics->active[METRICS_TFTP]), 0);
	raw_close(&r);
	server_stop(&sv);
}

/* RFC 2349 timeout: a value above tftp-max-timeout-s is left out of the
 * OACK (the RFC lets a server drop an option, not change it) and the
 * server keeps its own; one within is granted. A spoofed RRQ with
 * "timeout 255" thus holds no slot for 25 minutes. */
static void
timeout_option_capped(void **state)
{
	struct tftp_opts g;

	(void)state;
	server_init(&sv);
	sv.cfg.lim.tftp_max_timeout_s = 5;
	server_start(&sv, AF_INET, 0);
	for (unsigned asked = 4; asked <= 255; asked = asked < 6 ? asked + 1 : 255) {
		struct tftp_opts ask = { .blksize = 512, .timeout = asked };
		struct raw r;
		uint8_t p[600];
		ssize_t n;

		raw_open(&r, &sv);
		raw_rrq(&r, "f65536", TFTP_OCTET, &ask);
		n = raw_recv(&r, p, sizeof(p), 5000);
		assert_true(n > 0);
		assert_int_equal(tftp_parse_oack(p, (size_t)n, &ask, &g, NULL, 0), 0);
		assert_int_equal(g.blksize, 512);
		assert_int_equal(g.timeout, asked <= 5 ? asked : 0);
		raw_abort(&r);
		raw_close(&r);
		if (asked == 255)
			break;
	}
	server_stop(&sv);
}

/* tftp-max-transfer-ms bounds a transfer's whole life: a client that
 * keeps acknowledging, one block at a time and slowly, is ended with an
 * ERROR long before its 2,048 blocks are through. */
static void
transfer_lifetime_bounded(void **state)
{
	struct raw r;
	uint8_t p[600];
	unsigned blocks = 0, errors = 0;

	(void)state;
	server_init(&sv);
	sv.cfg.lim.tftp_max_transfer_ms = 300;
	server_start(&sv, AF_INET, 0);
	raw_open(&r, &sv);
	raw_rrq(&r, "f1048576", TFTP_OCTET, NULL);
	while (blocks < 2048) {
		ssize_t n = raw_recv(&r, p, sizeof(p), 10000);

		assert_true(n >= 4);
		if (tftp_opcode(p, (size_t)n) == TFTP_ERROR) {
			errors++;
			assert_non_null(memmem(p, (size_t)n, "too long", 8));
			break;
		}
		assert_int_equal(tftp_opcode(p, (size_t)n), TFTP_DATA);
		blocks = p[2] << 8 | p[3];
		usleep(50 * 1000);
		raw_ack(&r, (uint16_t)blocks);
	}
	assert_int_equal(errors, 1);
	assert_true(blocks < 2048);
	assert_int_equal(counter(&sv.srv.metrics->tftp_timeouts), 1);
	assert_int_equal(wait_counter(&sv.srv.metrics->requests[METRICS_TFTP][4], 1), 1);
	raw_close(&r);
	server_stop(&sv);
}

/* Expects the next DATA packets to be blocks first..first+n-1. */
static void
expect_blocks(struct raw *r, unsigned first, unsigned n)
{
	uint8_t p[600];

	for (unsigned i = 0; i < n; i++) {
		ssize_t len = raw_recv(r, p, sizeof(p), 2000);

		assert_true(len >= 4);
		assert_int_equal(tftp_opcode(p, (size_t)len), TFTP_DATA);
		assert_int_equal(p[2] << 8 | p[3], first + i);
	}
}

/* RFC 2347-2349, 7440: options granted within the configured limits; an
 * ACK inside the window resends from the block after it; a duplicate
 * ACK sends nothing. */
static void
options_and_window(void **state)
{
	struct raw r;
	struct tftp_opts ask = { .blksize = 65464, .windowsize = 1000, .timeout = 5,
				 .has_tsize = 1 }, g;
	uint8_t p[600];
	ssize_t n;

	(void)state;
	server_init(&sv);
	sv.cfg.lim.tftp_max_blksize = 1428;
	sv.cfg.lim.tftp_max_window = 64;
	server_start(&sv, AF_INET, 0);
	raw_open(&r, &sv);
	raw_rrq(&r, "f65536", TFTP_OCTET, &ask);
	n = raw_recv(&r, p, sizeof(p), 2000);
	assert_true(n > 0);
	assert_int_equal(tftp_parse_oack(p, (size_t)n, &ask, &g, NULL, 0), 0);
	assert_int_equal(g.blksize, 1428);
	assert_int_equal(g.windowsize, 64);
	assert_int_equal(g.timeout, 5);
	assert_int_equal(g.has_tsize, 1);
	assert_true(g.tsize == 65536);
	raw_abort(&r);
	raw_close(&r);

	ask = (struct tftp_opts){ .blksize = 512, .windowsize = 4 };
	raw_open(&r, &sv);
	raw_rrq(&r, "f65536", TFTP_OCTET, &ask);
	n = raw_recv(&r, p, sizeof(p), 2000);
	assert_true(n > 0);
	assert_int_equal(tftp_parse_oack(p, (size_t)n, &ask, &g, NULL, 0), 0);
	raw_ack(&r, 0);
	expect_blocks(&r, 1, 4);
	raw_ack(&r, 2);         /* 3 "lost": resend from 3 */
	expect_blocks(&r, 3, 4);
	raw_ack(&r, 6);
	expect_blocks(&r, 7, 4);
	raw_ack(&r, 6);         /* duplicate: nothing */
	assert_true(raw_recv(&r, p, sizeof(p), 300) < 0);
	raw_ack(&r, 10);
	expect_blocks(&r, 11, 4);
	assert_true(counter(&sv.srv.metrics->tftp_retransmits) == 2);
	raw_abort(&r);
	raw_close(&r);

	/* no options: no OACK, DATA 1 at once */
	raw_open(&r, &sv);
	raw_rrq(&r, "f512", TFTP_OCTET, NULL);
	expect_blocks(&r, 1, 1);
	raw_close(&r);
	server_stop(&sv);
}

/* R-TFTP: a client that negotiates a window but acknowledges every block
 * (not what RFC 7440 asks) makes each ACK look like a report of a gap.
 * Going back on each would send every block up to windowsize times; the
 * server goes back once per window, so each block goes out at most twice. */
static void
window_acked_block_by_block(void **state)
{
	struct tftp_opts ask = { .blksize = 512, .windowsize = 8 }, g;
	unsigned count[140] = { 0 };
	unsigned blocks = 65536 / 512 + 1, total = 0;
	struct raw r;
	uint8_t p[600];
	ssize_t n;

	(void)state;
	server_init(&sv);
	server_start(&sv, AF_INET, 0);
	raw_open(&r, &sv);
	raw_rrq(&r, "f65536", TFTP_OCTET, &ask);
	n = raw_recv(&r, p, sizeof(p), 2000);
	assert_true(n > 0);
	assert_int_equal(tftp_parse_oack(p, (size_t)n, &ask, &g, NULL, 0), 0);
	raw_ack(&r, 0);
	for (;;) {
		const uint8_t *d;
		uint16_t block;
		size_t dn;

		n = raw_recv(&r, p, sizeof(p), 500);
		if (n < 0)
			break;
		assert_int_equal(tftp_parse_data(p, (size_t)n, &block, &d, &dn), 0);
		assert_true(block >= 1 && block <= blocks);
		count[block]++;
		total++;
		raw_ack(&r, block);
	}
	for (unsigned b = 1; b <= blocks; b++)
		if (count[b] < 1 || count[b] > 2)
			fail_msg("block %u sent %u times", b, count[b]);
	assert_true(total <= 2 * blocks);
	assert_int_equal(wait_counter(&sv.srv.metrics->requests[METRICS_TFTP][1], 1), 1);
	raw_close(&r);
	server_stop(&sv);
}

/* SIGTERM: no new requests, transfers in flight finish. */
static void
drain(void **state)
{
	struct raw r, late;
	uint8_t p[600];

	(void)state;
	server_init(&sv);
	server_start(&sv, AF_INET, 0);
	raw_open(&r, &sv);
	raw_rrq(&r, "f1024", TFTP_OCTET, NULL);
	expect_blocks(&r, 1, 1);
	server_send(&sv, 'd');
	raw_ack(&r, 1);
	expect_blocks(&r, 2, 1);
	raw_open(&late, &sv);
	raw_rrq(&late, "f512", TFTP_OCTET, NULL);
	assert_true(raw_recv(&late, p, sizeof(p), 300) < 0);
	raw_ack(&r, 2);
	expect_blocks(&r, 3, 1); /* the empty last block */
	raw_ack(&r, 3);
	assert_int_equal(wait_counter(&sv.srv.metrics->requests[METRICS_TFTP][1], 1), 1);
	assert_int_equal(wait_active(sv.srv.metrics, 0), 0);
	/* the late request was never answered nor counted */
	assert_int_equal(counter(&sv.srv.metrics->requests[METRICS_TFTP][4]), 0);
	raw_close(&late);
	raw_close(&r);
	server_stop(&sv);
}

/* Expects an ACK for block within 2 s. */
static void
expect_ack(struct raw *r, uint16_t block)
{
	uint8_t p[64];
	uint16_t got;
	ssize_t n = raw_recv(r, p, sizeof(p), 2000);

	assert_true(n > 0);
	assert_int_equal(tftp_parse_ack(p, (size_t)n, &got), 0);
	assert_int_equal(got, block);
}

static void
raw_data(struct raw *r, uint16_t block, const char *d, size_t n)
{
	uint8_t p[64];

	assert_true(n <= sizeof(p) - 4);
	tftp_build_data_hdr(p, sizeof(p), block);
	memcpy(p + 4, d, n);
	raw_send(r, p, 4 + n);
}

/* WRQ on the wire: OACK, netascii pairs cut by block ends, a DATA block
 * sent twice (ACKed again, written once), the last ACK repeated while
 * dallying, and the upload size cap. */
static void
wrq_raw(void **state)
{
	struct raw r;
	struct tftp_opts ask = { .blksize = 8, .has_tsize = 1, .tsize = 20, .windowsize = 4 }, g;
	uint8_t p[128];
	char path[160], buf[64], msg[128];
	ssize_t n;
	FILE *f;

	(void)state;
	server_init(&sv);
	server_start(&sv, AF_INET, 1);
	raw_open(&r, &sv);
	raw_req(&r, p, tftp_build_req(p, sizeof(p), TFTP_WRQ, "up.txt", TFTP_NETASCII, &ask));
	n = raw_recv(&r, p, sizeof(p), 2000);
	assert_true(n > 0);
	assert_int_equal(tftp_parse_oack(p, (size_t)n, &ask, &g, NULL, 0), 0);
	assert_int_equal(g.blksize, 8);
	assert_int_equal(g.has_tsize, 1);
	assert_true(g.tsize == 20);
	assert_int_equal(g.windowsize, 0); /* uploads are acknowledged block by block */
	/* "ab\ncde\rf\nghi\n" in netascii, a CR NUL and a CR LF cut by
	 * block ends */
	raw_data(&r, 1, "ab\r\ncde\r", 8);
	expect_ack(&r, 1);
	raw_data(&r, 1, "ab\r\ncde\r", 8); /* our ACK "lost": the block again */
	expect_ack(&r, 1);
	raw_data(&r, 2, "\0f\r\nghi\r", 8);
	expect_ack(&r, 2);
	raw_data(&r, 3, "\n", 1);        /* the last block */
	expect_ack(&r, 3);
	raw_data(&r, 3, "\n", 1);        /* dally: the last ACK again */
	expect_ack(&r, 3);
	snprintf(path, sizeof(path), "%s/up.txt", updir);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = (ssize_t)fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(n, 13);
	assert_memory_equal(buf, "ab\ncde\rf\nghi\n", 13);
	raw_close(&r);

	/* announced too large: refused before anything is written */
	raw_open(&r, &sv);
	ask = (struct tftp_opts){ .has_tsize = 1, .tsize = 1ull << 40 };
	raw_req(&r, p, tftp_build_req(p, sizeof(p), TFTP_WRQ, "huge", TFTP_OCTET, &ask));
	assert_int_equal(raw_expect_error(&r, msg, sizeof(msg)), TFTP_ENOSPACE);
	raw_close(&r);
	server_stop(&sv);
}

struct rows {
	unsigned n;
	char path[4][64], mac[4][16], client[4][64], method[4][8];
	int status[4];
	uint64_t bytes[4];
};

static void
history_row(void *arg, const struct store_req *q)
{
	struct rows *w = arg;

	if (w->n >= 4 || strcmp(q->proto, "tftp") != 0)
		return;
	snprintf(w->path[w->n], sizeof(w->path[0]), "%s", q->path != NULL ? q->path : "");
	snprintf(w->mac[w->n], sizeof(w->mac[0]), "%s", q->mac != NULL ? q->mac : "");
	snprintf(w->client[w->n], sizeof(w->client[0]), "%s", q->client);
	snprintf(w->method[w->n], sizeof(w->method[0]), "%s", q->method);
	w->status[w->n] = q->status;
	w->bytes[w->n] = q->bytes;
	w->n++;
}

/* S-DEV-3: each transfer and refusal is a history record: client, path
 * (escaped), the MAC it names, status 200 or 400 + error code, bytes. */
static void
history(void **state)
{
	struct raw r;
	struct rows w;
	struct store_filter flt;
	char msg[128], err[256];
	uint8_t p[600];
	uint16_t expect = 1;

	(void)state;
	server_init(&sv);
	snprintf(sv.db, sizeof(sv.db), "sqlite:%s/history.db", dir);
	server_start(&sv, AF_INET, 0);
	raw_open(&r, &sv);
	raw_rrq(&r, "SEP001122AABBCC.cnf.xml", TFTP_OCTET, NULL);
	for (;;) {
		ssize_t n = raw_recv(&r, p, sizeof(p), 2000);

		assert_true(n >= 4);
		assert_int_equal(tftp_opcode(p, (size_t)n), TFTP_DATA);
		assert_int_equal(p[2] << 8 | p[3], expect);
		raw_ack(&r, expect++);
		if (n < 4 + 512)
			break;
	}
	raw_rrq(&r, "no\001pe", TFTP_OCTET, NULL);
	assert_int_equal(raw_expect_error(&r, msg, sizeof(msg)), TFTP_ENOTFOUND);
	raw_req(&r, p, tftp_build_req(p, sizeof(p), TFTP_WRQ, "r.xml", TFTP_OCTET, NULL));
	assert_int_equal(raw_expect_error(&r, msg, sizeof(msg)), TFTP_EACCESS);
	raw_close(&r);
	assert_int_equal(wait_counter(&sv.srv.metrics->requests[METRICS_TFTP][1], 1), 1);
	server_stop(&sv); /* commits the queue */

	memset(&w, 0, sizeof(w));
	memset(&flt, 0, sizeof(flt));
	if (store_query_requests(sv.db, &flt, history_row, &w, err, sizeof(err)) < 0)
		fail_msg("store_query_requests: %s", err);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.method[0], "RRQ");
	assert_string_equal(w.path[0], "SEP001122AABBCC.cnf.xml");
	assert_string_equal(w.mac[0], "001122aabbcc");
	assert_int_equal(w.status[0], 200);
	assert_true(w.bytes[0] == 700);
	assert_true(strncmp(w.client[0], "127.0.0.1:", 10) == 0);
	assert_string_equal(w.path[1], "no\\x01pe");
	assert_string_equal(w.mac[1], "");
	assert_int_equal(w.status[1], 401);
	assert_string_equal(w.method[2], "WRQ");
	assert_int_equal(w.status[2], 402);
}

/* IPv6: the same server code on ::1, fetched by curl. */
static void
rrq_ipv6(void **state)
{
	char url[128], path[160];
	const char *argv[] = { "timeout", CLIENT_TIMEOUT, "curl", "-sS", "-g", "-o", outfile, url,
		NULL };

	(void)state;
	server_init(&sv);
	if (server_start(&sv, AF_INET6, 0) < 0) {
		close(sv.fd);
		close(sv.srv.root_fd);
		loop_free(sv.loop);
		metrics_free(sv.srv.metrics);
		config_fini(&sv.cfg);
		skip();
	}
	snprintf(url, sizeof(url), "tftp://[::1]:%u/f65536", sv.port);
	unlink(outfile);
	assert_int_equal(run(argv), 0);
	root_path(path, sizeof(path), "f65536");
	assert_true(same_file(path, outfile));
	server_stop(&sv);
}

/* An IPv6 socket serving IPv4 clients (v4-mapped addresses, as a dual-
 * stack listener sees them), bound to ::ffff:127.0.0.1 so that only
 * loopback is used; tftp-hpa over IPv4. */
static void
rrq_v4mapped(void **state)
{
	char port[16], path[160];
	const char *argv[] = { "timeout", CLIENT_TIMEOUT, "tftp", "-4", "-m", "binary",
		"127.0.0.1", port, "-c", "get", "f65536", outfile, NULL };

	(void)state;
	server_init(&sv);
	sv.v4mapped = 1;
	assert_int_equal(server_start(&sv, AF_INET6, 0), 0);
	snprintf(port, sizeof(port), "%u", sv.port);
	unlink(outfile);
	assert_int_equal(run(argv), 0);
	root_path(path, sizeof(path), "f65536");
	assert_true(same_file(path, outfile));
	assert_int_equal(wait_counter(&sv.srv.metrics->requests[METRICS_TFTP][1], 1), 1);
	server_stop(&sv);
}

/* Starts udp_impair.py in front of the server; returns its pid and port. */
static pid_t
impair_start(const struct server *s, const char *loss, unsigned *port)
{
	const char *data = getenv("PROV_TEST_DATA");
	char script[512], target[64], line[32];
	int pfd[2];
	pid_t pid;
	ssize_t n;
	struct pollfd p;

	snprintf(script, sizeof(script), "%s/integration/udp_impair.py",
		 data != NULL ? data : "tests");
	snprintf(target, sizeof(target), "127.0.0.1:%u", s->port);
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid > 0)
		impair_pid = pid;
	if (pid == 0) {
		const char *argv[] = { "python3", script, "--server", target, "--loss", loss,
			"--dup", "5", "--reorder", "5", "--delay-ms", "8", "--seed", "7", "--idle",
			"60", NULL };

		dup2(pfd[1], 1);
		if (getenv("PROV_TEST_DEBUG") == NULL) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, 2);
		}
		exec_argv(argv);
		_exit(127);
	}
	close(pfd[1]);
	p.fd = pfd[0];
	p.events = POLLIN;
	/* up to the newline: the port may come in pieces */
	for (size_t got = 0; memchr(line, '\n', got) == NULL;) {
		assert_int_equal(poll(&p, 1, 10000), 1);
		n = read(pfd[0], line + got, sizeof(line) - 1 - got);
		assert_true(n > 0);
		got += (size_t)n;
		line[got] = '\0';
		assert_true(got < sizeof(line) - 1);
	}
	*port = (unsigned)strtoul(line, NULL, 10);
	if (getenv("PROV_TEST_DEBUG") != NULL)
		fprintf(stderr, "udp_impair.py pid %d listens on port %u\n", (int)pid, *port);
	assert_true(*port > 0 && *port < 65536);
	close(pfd[0]);
	return pid;
}

static void
impair_stop(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	impair_pid = 0;
}

/* The file's bytes at off (at most n), for checking payloads. */
static size_t
file_bytes(const char *name, uint64_t off, uint8_t *out, size_t n)
{
	char path[160];
	FILE *f;
	size_t got;

	root_path(path, sizeof(path), name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, (long)off, SEEK_SET), 0);
	got = fread(out, 1, n, f);
	fclose(f);
	return got;
}

static uint16_t
sa_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port :
		     ((const struct sockaddr_in *)ss)->sin_port);
}

/* One lock-step transfer seen from the client: the server's TID and the
 * next block expected. */
struct lock {
	const char *name;
	struct sockaddr_storage tid;
	socklen_t tidlen;
	uint16_t next;
	int done;
};

/* Checks a DATA packet of l and acknowledges it from r's socket. */
static void
lock_data(struct raw *r, struct lock *l, const uint8_t *p, size_t n)
{
	uint8_t want[512];
	const uint8_t *d;
	uint16_t block;
	size_t dn, wn;

	assert_int_equal(tftp_parse_data(p, n, &block, &d, &dn), 0);
	assert_int_equal(block, l->next);
	wn = file_bytes(l->name, (uint64_t)(block - 1) * 512, want, sizeof(want));
	assert_int_equal(dn, wn);
	assert_memory_equal(d, want, dn);
	tftp_build_ack(want, sizeof(want), block);
	assert_int_equal(sendto(r->s, want, 4, 0, (struct sockaddr *)&l->tid, l->tidlen), 4);
	l->next++;
	l->done = dn < 512;
}

/* RFC 1350: two transfers from one client port at once are told apart by
 * the server's TIDs, which differ; each gets its own file, interleaved. */
static void
tid_same_client_port(void **state)
{
	struct raw r;
	struct lock l[2] = { { .name = "f65536" }, { .name = "f1024" } };
	uint8_t p[600], first[2][600];
	ssize_t got[2];

	(void)state;
	server_init(&sv);
	server_start(&sv, AF_INET, 0);
	raw_open(&r, &sv);
	/* both requests before any ACK: both transfers are live at once */
	for (int i = 0; i < 2; i++) {
		raw_rrq(&r, l[i].name, TFTP_OCTET, NULL);
		got[i] = raw_recv(&r, first[i], sizeof(first[i]), 2000);
		assert_true(got[i] >= 4);
		l[i].tid = r.tid;
		l[i].tidlen = r.tidlen;
		l[i].next = 1;
	}
	assert_int_equal(atomic_load(&sv.srv.metrics->active[METRICS_TFTP]), 2);
	for (int i = 0; i < 2; i++)
		lock_data(&r, &l[i], first[i], (size_t)got[i]);
	assert_true(sa_port(&l[0].tid) != sa_port(&l[1].tid));
	assert_true(sa_port(&l[0].tid) != sv.port && sa_port(&l[1].tid) != sv.port);
	while (!l[0].done || !l[1].done) {
		ssize_t n = raw_recv(&r, p, sizeof(p), 2000);
		int i;

		assert_true(n >= 4);
		i = sa_port(&r.tid) == sa_port(&l[0].tid) ? 0 : 1;
		assert_int_equal(sa_port(&r.tid), sa_port(&l[i].tid));
		assert_false(l[i].done);
		lock_data(&r, &l[i], p, (size_t)n);
	}
	assert_int_equal(wait_counter(&sv.srv.metrics->requests[METRICS_TFTP][1], 2), 2);
	assert_int_equal(counter(&sv.srv.metrics->tftp_retransmits), 0);
	raw_close(&r);
	server_stop(&sv);
}

/* RFC 1350: a datagram from an unknown TID gets ERROR 5 and disturbs
 * nothing: the transfer it was sent into completes, unrepeated. An ERROR
 * from an unknown TID is not answered. */
static void
tid_unknown_error5(void **state)
{
	struct raw r, stray;
	struct lock l = { .name = "f65536", .next = 1 };
	uint8_t p[600];
	char msg[128];
	ssize_t n;

	(void)state;
	server_init(&sv);
	server_start(&sv, AF_INET, 0);
	raw_open(&r, &sv);
	raw_open(&stray, &sv);
	raw_rrq(&r, l.name, TFTP_OCTET, NULL);
	n = raw_recv(&r, p, sizeof(p), 2000);
	assert_true(n >= 4);
	l.tid = r.tid;
	l.tidlen = r.tidlen;
	lock_data(&r, &l, p, (size_t)n);
	/* the stray client speaks to the transfer's port */
	stray.tid = l.tid;
	stray.tidlen = l.tidlen;
	raw_ack(&stray, 2);
	assert_int_equal(raw_expect_error(&stray, msg, sizeof(msg)), TFTP_EBADID);
	assert_int_equal(sa_port(&stray.tid), sa_port(&l.tid));
	stray.tid = l.tid;
	raw_abort(&stray);
	assert_true(raw_recv(&stray, p, sizeof(p), 300) < 0);
	while (!l.done) {
		n = raw_recv(&r, p, sizeof(p), 2000);
		assert_true(n >= 4);
		assert_int_equal(sa_port(&r.tid), sa_port(&l.tid));
		lock_data(&r, &l, p, (size_t)n);
	}
	assert_int_equal(l.next, 65536 / 512 + 2);
	assert_int_equal(wait_counter(&sv.srv.metrics->requests[METRICS_TFTP][1], 1), 1);
	assert_int_equal(counter(&sv.srv.metrics->tftp_retransmits), 0);
	/* a late duplicate of the last ACK: the transfer has ended, nothing
	 * answers (as from a closed socket) */
	raw_ack(&r, (uint16_t)(l.next - 1));
	assert_true(raw_recv(&r, p, sizeof(p), 300) < 0);
	raw_close(&stray);
	raw_close(&r);
	server_stop(&sv);
}

/* A client that goes away (its port closed: ICMP port unreachable) ends
 * its transfer at the next packet sent to it, not after every retry. */
static void
client_gone_icmp(void **state)
{
	struct raw r;
	uint8_t p[600];

	(void)state;
	server_init(&sv);
	sv.cfg.lim.tftp_timeout_ms = 200;
	sv.cfg.lim.tftp_retries = 5; /* 200 ms doubling: 12.6 s of retries */
	server_start(&sv, AF_INET, 0);
	raw_open(&r, &sv);
	raw_rrq(&r, "f65536", TFTP_OCTET, NULL);
	assert_true(raw_recv(&r, p, sizeof(p), 2000) > 4);
	raw_close(&r);
	assert_int_equal(wait_active(sv.srv.metrics, 0), 0);
	assert_int_equal(counter(&sv.srv.metrics->tftp_timeouts), 0);
	server_stop(&sv);
}

/* After each test, also a failed one: nothing keeps running. */
static int
test_teardown(void **state)
{
	(void)state;
	if (impair_pid > 0)
		impair_stop(impair_pid);
	if (sv.running)
		server_stop(&sv);
	return 0;
}

/* R-TFTP: through 10% loss, 5% duplication and 5% reordering, byte-
 * identical: 1 MB with atftp (windowsize 8, blksize 1428), and 256 KB with
 * curl (lock-step, 512-byte blocks: each of its 512 exchanges fails one
 * time in five, at 10 to 20 ms a repair). The client's last ACK may be lost after it has
 * everything: the server then gives up on its side, which is right. */
static void
rrq_impaired(void **state)
{
	char port[16], url[128], path[160];
	unsigned pport;
	pid_t pid;
	const char *atftp[] = { "timeout", CLIENT_TIMEOUT, "atftp", "--tftp-timeout", "1",
		"--option", "windowsize 8", "--option", "blksize 1428", "-g", "-r", "f1048576", "-l",
		outfile, "127.0.0.1", port, NULL };
	/* Without options: curl would negotiate its own timeout (5 s or
	 * more), which the server then uses too, so each loss would cost
	 * seconds. Plain RFC 1350 leaves the server's short timer in charge. */
	const char *curl[] = { "timeout", CLIENT_TIMEOUT, "curl", "-sS", "--tftp-no-options",
		"-o", outfile, url, NULL };

	(void)state;
	server_init(&sv);
	sv.cfg.lim.tftp_timeout_ms = 10;
	sv.cfg.lim.tftp_retries = 12;
	server_start(&sv, AF_INET, 0);
	root_path(path, sizeof(path), "f1048576");

	pid = impair_start(&sv, "10", &pport);
	snprintf(port, sizeof(port), "%u", pport);
	unlink(outfile);
	assert_int_equal(run(atftp), 0);
	assert_true(same_file(path, outfile));
	impair_stop(pid);

	pid = impair_start(&sv, "10", &pport);
	snprintf(url, sizeof(url), "tftp://127.0.0.1:%u/q256k", pport);
	unlink(outfile);
	assert_int_equal(run(curl), 0);
	root_path(path, sizeof(path), "q256k");
	assert_true(same_file(path, outfile));
	impair_stop(pid);
	/* the loss was real and repaired by the server's timer */
	assert_true(counter(&sv.srv.metrics->tftp_retransmits) > 0);
	server_stop(&sv);
}

/* R-TFTP: 30% loss (each way: about half of all exchanges fail), 5%
 * duplication, 5% reordering; atftp with windowsize 4. */
static void
rrq_impaired_30(void **state)
{
	char port[16], path[160];
	unsigned pport;
	pid_t pid;
	const char *atftp[] = { "timeout", CLIENT_TIMEOUT, "atftp", "--tftp-timeout", "1",
		"--option", "windowsize 4", "--option", "blksize 1428", "-g", "-r", "f65536", "-l",
		outfile, "127.0.0.1", port, NULL };

	(void)state;
	server_init(&sv);
	sv.cfg.lim.tftp_timeout_ms = 10;
	sv.cfg.lim.tftp_retries = 12;
	server_start(&sv, AF_INET, 0);
	root_path(path, sizeof(path), "f65536");
	pid = impair_start(&sv, "30", &pport);
	snprintf(port, sizeof(port), "%u", pport);
	unlink(outfile);
	assert_int_equal(run(atftp), 0);
	assert_true(same_file(path, outfile));
	impair_stop(pid);
	assert_true(counter(&sv.srv.metrics->tftp_retransmits) > 0);
	server_stop(&sv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(rrq_tftp_hpa_sizes, test_teardown),
		cmocka_unit_test_teardown(rrq_curl_blksize_sizes, test_teardown),
		cmocka_unit_test_teardown(rrq_atftp_windowsize_sizes, test_teardown),
		cmocka_unit_test_teardown(rrq_rollover_40m, test_teardown),
		cmocka_unit_test_teardown(rrq_netascii, test_teardown),
		cmocka_unit_test_teardown(rrq_refusals, test_teardown),
		cmocka_unit_test_teardown(wrq_upload, test_teardown),
		cmocka_unit_test_teardown(caps_busy, test_teardown),
		cmocka_unit_test_teardown(sorcerers_apprentice, test_teardown),
		cmocka_unit_test_teardown(never_acknowledged, test_teardown),
		cmocka_unit_test_teardown(options_and_window, test_teardown),
		cmocka_unit_test_teardown(timeout_option_capped, test_teardown),
		cmocka_unit_test_teardown(transfer_lifetime_bounded, test_teardown),
		cmocka_unit_test_teardown(window_acked_block_by_block, test_teardown),
		cmocka_unit_test_teardown(drain, test_teardown),
		cmocka_unit_test_teardown(wrq_raw, test_teardown),
		cmocka_unit_test_teardown(history, test_teardown),
		cmocka_unit_test_teardown(rrq_ipv6, test_teardown),
		cmocka_unit_test_teardown(rrq_v4mapped, test_teardown),
		cmocka_unit_test_teardown(rrq_impaired, test_teardown),
		cmocka_unit_test_teardown(rrq_impaired_30, test_teardown),
		cmocka_unit_test_teardown(tid_same_client_port, test_teardown),
		cmocka_unit_test_teardown(tid_unknown_error5, test_teardown),
		cmocka_unit_test_teardown(client_gone_icmp, test_teardown),
	};

	/* PROV_TEST_FILTER=NAME runs one test (cmocka's glob pattern). */
	if (getenv("PROV_TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("PROV_TEST_FILTER"));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
