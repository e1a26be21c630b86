/*
 * Unit tests of lib/tftpc.c, the device's TFTP read client (device.md
 * D-NET-1, D-NET-4; RFC 1350, 2347-2349, 7440).
 *
 * Against real, independent servers on 127.0.0.1 with ephemeral ports:
 * tftpd-hpa (in.tftpd; PROV_TFTPD_HPA names it when the in.tftpd on PATH
 * is another server) and atftpd, which grants windowsize. And against a
 * fake server in this process, a UDP socket the test scripts packet by
 * packet, for what real servers do not do on request: silence, ERROR
 * packets, a stranger's TID, duplicated and reordered DATA, options not
 * asked for, a tsize over the cap, and block numbers rolling over. Fake
 * server tests drive the client's clock themselves: retransmissions are
 * checked without waiting for them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tftp.h"
#include "tftpc.h"

#define BIG_SIZE (40u * 1024u * 1024u) /* over 65535 blocks of 512: rollover */
#define MID_SIZE (2u * 1024u * 1024u)
#define RUN_MS 60000                   /* longest a real transfer may take */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the host loop: poll(2) on the client's fd until its due time ------ */

static void
run(struct tftpc *t)
{
	long long end = now_ms() + RUN_MS;

	while (tftpc_result(t)->status == TFTPC_RUNNING) {
		long long due = tftpc_due(t), now = now_ms();
		struct pollfd p = { .fd = tftpc_fd(t), .events = POLLIN };
		int ms = due < 0 ? 1000 : due <= now ? 0 : (int)(due - now);

		assert_true(now < end);
		if (poll(&p, p.fd >= 0 ? 1 : 0, ms) > 0)
			tftpc_readable(t, now_ms());
		else if (tftpc_due(t) >= 0 && tftpc_due(t) <= now_ms())
			tftpc_timeout(t, now_ms());
	}
	assert_int_equal(tftpc_fd(t), -1);
	assert_true(tftpc_due(t) == -1);
}

struct conn {
	int calls;
	char ip[64];
	unsigned port;
};

static void
on_connect(void *arg, const char *ip, unsigned port)
{
	struct conn *c = arg;

	c->calls++;
	snprintf(c->ip, sizeof(c->ip), "%s", ip);
	c->port = port;
}

static struct tftpc *
start(const char *host, unsigned port, const char *file, unsigned blksize,
      unsigned window, size_t max, struct conn *c)
{
	struct tftpc_req req;
	struct tftpc *t = NULL;
	struct diag d;

	memset(&req, 0, sizeof(req));
	req.host = host;
	req.port = port;
	req.file = file;
	req.blksize = blksize;
	req.windowsize = window;
	req.max_body = max;
	req.timeout_ms = RUN_MS;
	req.on_connect = c != NULL ? on_connect : NULL;
	req.arg = c;
	diag_init(&d);
	if (tftpc_start(&req, now_ms(), &t, &d) != PROV_OK)
		fail_msg("tftpc_start: %s", d.msg);
	return t;
}

/* ---- files and real servers ------------------------------------------- */

static struct {
	char dir[PATH_MAX];
	unsigned char *big;   /* BIG_SIZE random bytes, also in dir/big.bin */
	pid_t hpa, atftpd;
	unsigned hpa_port, atftpd_port;
	int guard;     /* the watchdog's pipe: it cleans up when this closes */
	pid_t guard_pid;
} S = { .hpa = -1, .atftpd = -1, .guard = -1, .guard_pid = -1 };

static void
put_file(const char *name, const void *data, size_t len, mode_t mode)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", S.dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static unsigned
free_udp_port(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
		return 0;
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static pid_t
spawn(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		setsid();
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void
stop(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(-*pid, SIGTERM);
	kill(*pid, SIGTERM);
	waitpid(*pid, NULL, 0);
	*pid = -1;
}

/* A server is up when it serves small.txt; not while it lives no more. */
static int
serves(pid_t pid, unsigned port)
{
	for (int i = 0; i < 25; i++) {
		struct tftpc_req req;
		struct tftpc *t = NULL;
		int ok;

		if (waitpid(pid, NULL, WNOHANG) != 0)
			return 0;
		memset(&req, 0, sizeof(req));
		req.host = "127.0.0.1";
		req.port = port;
		req.file = "small.txt";
		req.windowsize = 1;
		req.max_body = 4096;
		req.timeout_ms = 200;
		if (tftpc_start(&req, now_ms(), &t, NULL) != PROV_OK)
			return 0;
		run(t);
		ok = tftpc_result(t)->status == TFTPC_OK;
		tftpc_free(t);
		if (ok)
			return 1;
	}
	return 0;
}

/* A server's binary: $ENV, else NAME on PATH, if `BIN -V` says it is the
 * one wanted (in.tftpd is tftpd-hpa's or atftpd's, whichever package is
 * installed: the two conflict). out is "" when there is none. */
static void
server_binary(const char *env, const char *name, const char *want, char *out, size_t outlen)
{
	const char *e = getenv(env);
	char cmd[PATH_MAX + 32], line[256] = "";
	FILE *p;

	snprintf(out, outlen, "%s", e != NULL && e[0] != '\0' ? e : name);
	snprintf(cmd, sizeof(cmd), "'%s' -V 2>&1", out);
	p = popen(cmd, "r");
	if (p != NULL) {
		if (fgets(line, sizeof(line), p) == NULL)
			line[0] = '\0';
		pclose(p);
	}
	if (strncmp(line, want, strlen(want)) != 0)
		out[0] = '\0';
}

/* A watchdog: when this process ends, however it ends (a crash, a
 * timeout's SIGKILL), the pipe closes and the watchdog stops the servers
 * and removes the directory. */
static void
guard_start(void)
{
	int p[2];
	char c;

	if (pipe(p) != 0)
		return;
	S.guard_pid = fork();
	if (S.guard_pid == 0) {
		close(p[1]);
		setsid();
		while (read(p[0], &c, 1) != 0)
			;
		if (S.hpa > 0)
			kill(-S.hpa, SIGKILL);
		if (S.atftpd > 0)
			kill(-S.atftpd, SIGKILL);
		execlp("rm", "rm", "-rf", S.dir, (char *)NULL);
		_exit(1);
	}
	close(p[0]);
	S.guard = S.guard_pid > 0 ? p[1] : -1;
	if (S.guard < 0)
		close(p[1]);
}

static int
servers_start(void **state)
{
	static const char small[] = "hello from prov\n";
	char tmpl[] = "/tmp/prov-tftpc.XXXXXX";
	char hpa[PATH_MAX], atftpd[PATH_MAX];
	FILE *r;

	(void)state;
	if (mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(S.dir, sizeof(S.dir), "%s", tmpl);
	chmod(S.dir, 0755); /* both servers drop to nobody */
	S.big = malloc(BIG_SIZE);
	r = fopen("/dev/urandom", "rb");
	if (S.big == NULL || r == NULL || fread(S.big, 1, BIG_SIZE, r) != BIG_SIZE)
		return -1;
	fclose(r);
	put_file("small.txt", small, sizeof(small) - 1, 0644);
	put_file("big.bin", S.big, BIG_SIZE, 0644);
	put_file("block.bin", S.big, 1024, 0644);  /* a multiple of 512 */
	put_file("mid.bin", S.big, MID_SIZE, 0644);
	put_file("noaccess.txt", small, sizeof(small) - 1, 0600);
	server_binary("PROV_TFTPD_HPA", "in.tftpd", "tftp-hpa", hpa, sizeof(hpa));
	server_binary("PROV_ATFTPD", "atftpd", "atftp", atftpd, sizeof(atftpd));
	for (int try = 0; try < 5 && hpa[0] != '\0' && geteuid() == 0 && S.hpa < 0; try++) {
		char addr[32];
		char *argv[] = { hpa, "-L", "-a", addr, "-s", S.dir, NULL };

		S.hpa_port = free_udp_port();
		snprintf(addr, sizeof(addr), "127.0.0.1:%u", S.hpa_port);
		S.hpa = spawn(argv);
		if (!serves(S.hpa, S.hpa_port))
			stop(&S.hpa);
	}
	for (int try = 0; try < 5 && atftpd[0] != '\0' && S.atftpd < 0; try++) {
		char port[16];
		char *argv[] = { atftpd, "--daemon", "--no-fork", "--port", port,
				 "--bind-address", "127.0.0.1", "--logfile", "/dev/null",
				 S.dir, NULL };

		S.atftpd_port = free_udp_port();
		snprintf(port, sizeof(port), "%u", S.atftpd_port);
		S.atftpd = spawn(argv);
		if (!serves(S.atftpd, S.atftpd_port))
			stop(&S.atftpd);
	}
	guard_start();
	if (S.hpa < 0)
		fprintf(stderr, "test_tftpc: no tftpd-hpa (set PROV_TFTPD_HPA): its tests skip\n");
	if (S.atftpd < 0)
		fprintf(stderr, "test_tftpc: no atftpd (set PROV_ATFTPD): its tests skip\n");
	return 0;
}

static int
servers_stop(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	stop(&S.hpa);
	stop(&S.atftpd);
	if (S.guard >= 0) {
		/* The watchdog removes the directory. */
		close(S.guard);
		waitpid(S.guard_pid, NULL, 0);
	} else if (S.dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", S.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "test_tftpc: could not remove %s\n", S.dir);
	}
	free(S.big);
	return 0;
}

static void
need(pid_t pid)
{
	if (pid < 0)
		skip();
}

/* ---- against tftpd-hpa and atftpd ------------------------------------------ */

/* D-NET-1: small and large files, default and 1428-byte blocks; hpa has no
 * windowsize, so the client runs lockstep with it. */
static void
hpa_get(void **state)
{
	struct conn c = { 0 };
	struct tftpc *t;
	struct tftpc_result *r;

	(void)state;
	need(S.hpa);
	t = start("127.0.0.1", S.hpa_port, "small.txt", 0, 0, 1u << 20, &c);
	run(t);
	r = tftpc_result(t);
	assert_int_equal(r->status, TFTPC_OK);
	assert_int_equal(r->body.len, 16);
	assert_memory_equal(r->body.p, "hello from prov\n", 16);
	assert_int_equal(r->blksize, 0);
	assert_int_equal(r->windowsize, 0); /* asked 8, not granted */
	assert_int_equal(c.calls, 1);
	assert_string_equal(c.ip, "127.0.0.1");
	assert_int_equal(c.port, S.hpa_port);
	assert_string_equal(r->ip, "127.0.0.1");
	tftpc_free(t);

	/* A file of whole blocks ends with an empty block. */
	t = start("127.0.0.1", S.hpa_port, "/block.bin", 512, 0, 1u << 20, NULL);
	run(t);
	r = tftpc_result(t);
	assert_int_equal(r->status, TFTPC_OK);
	assert_int_equal(r->blksize, 512);
	assert_int_equal(r->body.len, 1024);
	assert_memory_equal(r->body.p, S.big, 1024);
	tftpc_free(t);
}

/* 40 MB in 512-byte blocks: 81920 blocks, the numbers roll over. */
static void
hpa_big_rollover(void **state)
{
	struct tftpc *t;
	struct tftpc_result *r;

	(void)state;
	need(S.hpa);
	t = start("127.0.0.1", S.hpa_port, "big.bin", 0, 1, BIG_SIZE, NULL);
	run(t);
	r = tftpc_result(t);
	if (r->status != TFTPC_OK)
		fail_msg("%s", r->detail);
	assert_int_equal(r->body.len, BIG_SIZE);
	assert_memory_equal(r->body.p, S.big, BIG_SIZE);
	tftpc_free(t);
}

static void
hpa_errors(void **state)
{
	struct tftpc *t;
	struct tftpc_result *r;

	(void)state;
	need(S.hpa);
	t = start("127.0.0.1", S.hpa_port, "nothere.cfg", 1428, 0, 1u << 20, NULL);
	run(t);
	r = tftpc_result(t);
	assert_int_equal(r->status, TFTPC_NOTFOUND);
	assert_int_equal(r->code, 1);
	tftpc_free(t);
	/* in.tftpd runs as nobody: the file is refused (code 0, errno text). */
	t = start("127.0.0.1", S.hpa_port, "noaccess.txt", 1428, 0, 1u << 20, NULL);
	run(t);
	r = tftpc_result(t);
	assert_int_equal(r->status, TFTPC_ERROR);
	assert_int_equal(r->code, 0);
	assert_string_equal(r->msg, "Permission denied");
	tftpc_free(t);
	/* tsize over the cap: refused before any data. */
	t = start("127.0.0.1", S.hpa_port, "big.bin", 1428, 0, 100000, NULL);
	run(t);
	r = tftpc_result(t);
	assert_int_equal(r->status, TFTPC_TOOBIG);
	assert_non_null(strstr(r->detail, "tsize 41943040 over 100000"));
	assert_int_equal(r->body.len, 0);
	tftpc_free(t);
}

/* RFC 7440 with a server that grants it: windowsize 16, 40 MB, rollover,
 * byte-identical; and windows of other sizes on a small file. */
static void
atftpd_windowsize(void **state)
{
	static const unsigned windows[] = { 1, 2, 8, 16, 64 };
	struct tftpc *t;
	struct tftpc_result *r;

	(void)state;
	need(S.atftpd);
	t = start("127.0.0.1", S.atftpd_port, "big.bin", 512, 16, BIG_SIZE, NULL);
	run(t);
	r = tftpc_result(t);
	if (r->status != TFTPC_OK)
		fail_msg("%s", r->detail);
	assert_int_equal(r->windowsize, 16);
	assert_int_equal(r->blksize, 512);
	assert_int_equal(r->body.len, BIG_SIZE);
	assert_memory_equal(r->body.p, S.big, BIG_SIZE);
	tftpc_free(t);
	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		t = start("127.0.0.1", S.atftpd_port, "mid.bin", 1428, windows[i], BIG_SIZE,
			  NULL);
		run(t);
		r = tftpc_result(t);
		if (r->status != TFTPC_OK)
			fail_msg("window %u: %s", windows[i], r->detail);
		assert_int_equal(r->windowsize, windows[i] == 1 ? 0 : windows[i]);
		assert_int_equal(r->blksize, 1428);
		assert_int_equal(r->body.len, MID_SIZE);
		assert_memory_equal(r->body.p, S.big, MID_SIZE);
		tftpc_free(t);
	}
	t = start("127.0.0.1", S.atftpd_port, "nothere.cfg", 1428, 0, 1u << 20, NULL);
	run(t);
	assert_int_equal(tftpc_result(t)->status, TFTPC_NOTFOUND);
	tftpc_free(t);
	t = start("127.0.0.1", S.atftpd_port, "big.bin", 1428, 0, 4096, NULL);
	run(t);
	assert_int_equal(tftpc_result(t)->status, TFTPC_TOOBIG);
	tftpc_free(t);
}

/* ---- the fake server --------------------------------------------------------- */

struct fake {
	int lfd;           /* where requests come (the server's port 69) */
	unsigned port;
	int tfd;           /* the server's TID: its answers come from here */
	int xfd;           /* a stranger */
	struct sockaddr_storage cli;
	socklen_t clilen;
	long long vnow;    /* the client's clock, driven by the test */
	uint8_t pkt[TFTP_PACKET_MAX + 1];
	size_t len;
};

static int
udp_socket(unsigned *port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	if (port != NULL)
		*port = ntohs(a.sin_port);
	return fd;
}

static void
fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->lfd = udp_socket(&f->port);
	f->tfd = udp_socket(NULL);
	f->xfd = udp_socket(NULL);
	f->vnow = 1000000;
}

static void
fake_fini(struct fake *f)
{
	close(f->lfd);
	close(f->tfd);
	close(f->xfd);
}

/* The next datagram on fd, within a second; 0 if none. */
static int
fake_recv(struct fake *f, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 1000) != 1)
		return 0;
	f->clilen = sizeof(f->cli);
	n = recvfrom(fd, f->pkt, sizeof(f->pkt), 0, (struct sockaddr *)&f->cli, &f->clilen);
	assert_true(n >= 0);
	f->len = (size_t)n;
	return 1;
}

/* A datagram already waiting on fd, if any. */
static int
fake_recv_now(struct fake *f, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 0) != 1)
		return 0;
	f->clilen = sizeof(f->cli);
	n = recvfrom(fd, f->pkt, sizeof(f->pkt), 0, (struct sockaddr *)&f->cli, &f->clilen);
	return n >= 0;
}

/* Nothing more is waiting on fd (after a moment for loopback delivery). */
static void
fake_quiet(struct fake *f, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	(void)f;
	assert_int_equal(poll(&p, 1, 50), 0);
}

/* The next packet on fd is ACK block (line: the caller's, for messages). */
static void
fake_ack_at(struct fake *f, int fd, uint16_t block, int line)
{
	uint16_t got;

	if (!fake_recv(f, fd))
		fail_msg("line %d: no ACK %u", line, block);
	if (tftp_parse_ack(f->pkt, f->len, &got) != 0)
		fail_msg("line %d: opcode %u, wanted ACK %u", line,
			 tftp_opcode(f->pkt, f->len), block);
	if (got != block)
		fail_msg("line %d: ACK %u, wanted %u", line, got, block);
}

#define fake_expect_ack(f, fd, block) fake_ack_at((f), (fd), (block), __LINE__)

static void
fake_expect_error(struct fake *f, int fd, unsigned code)
{
	unsigned got;
	char msg[64];

	if (!fake_recv(f, fd))
		fail_msg("no ERROR %u", code);
	assert_int_equal(tftp_parse_error(f->pkt, f->len, &got, msg, sizeof(msg)), 0);
	assert_int_equal(got, code);
}

static void
fake_send(struct fake *f, int fd, const void *pkt, size_t len)
{
	assert_int_equal(sendto(fd, pkt, len, 0, (struct sockaddr *)&f->cli, f->clilen),
			 (ssize_t)len);
}

static void
fake_data(struct fake *f, int fd, uint16_t block, const void *data, size_t len)
{
	uint8_t p[TFTP_PACKET_MAX];

	assert_int_equal(tftp_build_data_hdr(p, sizeof(p), block), 4);
	memcpy(p + 4, data, len);
	fake_send(f, fd, p, 4 + len);
}

static void
fake_oack(struct fake *f, const struct tftp_opts *o)
{
	uint8_t p[512];
	size_t n = tftp_build_oack(p, sizeof(p), o);

	assert_true(n > 0);
	fake_send(f, f->tfd, p, n);
}

static void
fake_error(struct fake *f, unsigned code, const char *msg)
{
	uint8_t p[512];
	size_t n = tftp_build_error(p, sizeof(p), (enum tftp_errcode)code, msg);

	assert_true(n > 0);
	fake_send(f, f->tfd, p, n);
}

/* Lets the client read everything sent to it so far (its clock: f->vnow).
 * Loopback delivers a datagram before sendto returns, so one read drains
 * all the fake sent; the wait is only for a slow machine's first one. */
static void
client_pump(struct fake *f, struct tftpc *t)
{
	struct pollfd p = { .fd = tftpc_fd(t), .events = POLLIN };

	if (p.fd >= 0 && poll(&p, 1, 1000) == 1)
		tftpc_readable(t, f->vnow);
}

/* The client starts on the fake clock and sends its RRQ; the fake reads
 * it and checks what was asked. */
static struct tftpc *
fake_start(struct fake *f, unsigned blksize, unsigned window, size_t max)
{
	struct tftpc_req req;
	struct tftpc *t = NULL;
	struct tftp_req rq;
	char why[64];

	memset(&req, 0, sizeof(req));
	req.host = "127.0.0.1";
	req.port = f->port;
	req.file = "x.cfg";
	req.blksize = blksize;
	req.windowsize = window;
	req.max_body = max;
	req.timeout_ms = 60000;
	assert_int_equal(tftpc_start(&req, f->vnow, &t, NULL), PROV_OK);
	assert_true(tftpc_due(t) == f->vnow);
	tftpc_timeout(t, f->vnow);
	assert_true(fake_recv(f, f->lfd));
	assert_int_equal(tftp_parse_req(f->pkt, f->len, &rq, why, sizeof(why)), 0);
	assert_int_equal(rq.op, TFTP_RRQ);
	assert_string_equal(rq.filename, "x.cfg");
	assert_int_equal(rq.mode, TFTP_OCTET);
	assert_int_equal(rq.opts.blksize, blksize);
	assert_true(rq.opts.has_tsize && rq.opts.tsize == 0);
	assert_int_equal(rq.opts.timeout, TFTPC_SERVER_TIMEOUT_S);
	assert_int_equal(rq.opts.windowsize, window == 1 ? 0 : window);
	return t;
}

/* Nothing answers: the RRQ goes out again TFTPC_RETRIES times, each wait
 * longer (up to TFTPC_RTO_MAX_MS), then the transfer ends. */
static void
fake_no_answer(void **state)
{
	struct fake f;
	struct tftpc *t;
	long long last, wait = TFTPC_RTO_MS;

	(void)state;
	fake_init(&f);
	t = fake_start(&f, 1428, 8, 1000);
	last = f.vnow;
	for (unsigned i = 0; i < TFTPC_RETRIES; i++) {
		assert_true(tftpc_due(t) == last + wait);
		tftpc_timeout(t, tftpc_due(t) - 1); /* not yet: nothing */
		fake_quiet(&f, f.lfd);
		f.vnow = last = tftpc_due(t);
		tftpc_timeout(t, f.vnow);
		assert_true(fake_recv(&f, f.lfd)); /* the RRQ again */
		assert_int_equal(tftp_opcode(f.pkt, f.len), TFTP_RRQ);
		wait = wait * 2 > TFTPC_RTO_MAX_MS ? TFTPC_RTO_MAX_MS : wait * 2;
	}
	f.vnow = tftpc_due(t);
	tftpc_timeout(t, f.vnow);
	assert_int_equal(tftpc_result(t)->status, TFTPC_TIMEOUT);
	fake_quiet(&f, f.lfd);
	tftpc_free(t);

	/* The whole-transfer deadline ends it too. */
	t = fake_start(&f, 0, 1, 1000);
	tftpc_timeout(t, f.vnow + 60000);
	assert_int_equal(tftpc_result(t)->status, TFTPC_TIMEOUT);
	tftpc_free(t);
	fake_fini(&f);
}

static void
fake_error_packets(void **state)
{
	struct fake f;
	struct tftpc *t;
	struct tftpc_result *r;

	(void)state;
	fake_init(&f);
	t = fake_start(&f, 1428, 8, 1000);
	fake_error(&f, 1, "File not found");
	client_pump(&f, t);
	r = tftpc_result(t);
	assert_int_equal(r->status, TFTPC_NOTFOUND);
	assert_int_equal(r->code, 1);
	tftpc_free(t);

	t = fake_start(&f, 1428, 8, 1000);
	fake_error(&f, 2, "no \x01way\x7f");
	client_pump(&f, t);
	r = tftpc_result(t);
	assert_int_equal(r->status, TFTPC_ERROR);
	assert_int_equal(r->code, 2);
	assert_string_equal(r->msg, "no ?way?"); /* printable only */
	tftpc_free(t);

	/* Mid-transfer, after data, with a long text kept to 63 bytes. */
	t = fake_start(&f, 0, 1, 100000);
	fake_data(&f, f.tfd, 1, S.big, 512);
	client_pump(&f, t);
	fake_expect_ack(&f, f.tfd, 1);
	fake_error(&f, 9, "a very long complaint from a server that has a lot to say about it");
	client_pump(&f, t);
	r = tftpc_result(t);
	assert_int_equal(r->status, TFTPC_ERROR);
	assert_int_equal(r->code, 9);
	assert_int_equal(strlen(r->msg), 63);
	assert_int_equal(r->body.len, 0); /* nothing of a failed transfer */
	tftpc_free(t);
	fake_fini(&f);
}

/* RFC 1350 TIDs: a stranger gets ERROR 5 and changes nothing. */
static void
fake_wrong_tid(void **state)
{
	struct tftp_opts o = { .blksize = 8, .windowsize = 2 };
	struct fake f;
	struct tftpc *t;
	struct tftpc_result *r;

	(void)state;
	fake_init(&f);
	t = fake_start(&f, 8, 2, 1000);
	/* A stray packet from the server's host, not an answer to the RRQ:
	 * ignored, and it does not take the TID. */
	fake_data(&f, f.xfd, 7, "STRAYING", 8);
	client_pump(&f, t);
	fake_quiet(&f, f.xfd);
	fake_oack(&f, &o);
	client_pump(&f, t);
	fake_expect_ack(&f, f.tfd, 0);
	fake_data(&f, f.xfd, 1, "STRANGER", 8);   /* another port */
	client_pump(&f, t);
	fake_expect_error(&f, f.xfd, TFTP_EBADID);
	fake_data(&f, f.tfd, 1, "01234567", 8);
	fake_data(&f, f.tfd, 2, "89abcdef", 8);
	client_pump(&f, t);
	fake_expect_ack(&f, f.tfd, 2);
	fake_data(&f, f.tfd, 3, "end", 3);
	client_pump(&f, t);
	fake_expect_ack(&f, f.tfd, 3);
	r = tftpc_result(t);
	assert_int_equal(r->status, TFTPC_OK);
	assert_int_equal(r->body.len, 19);
	assert_memory_equal(r->body.p, "0123456789abcdefend", 19);
	assert_int_equal(r->blksize, 8);
	assert_int_equal(r->windowsize, 2);
	tftpc_free(t);
	fake_fini(&f);
}

/* Duplicated and reordered DATA in a window of 4 (RFC 7440): a gap is
 * acknowledged once at the last block in order, duplicates inside the
 * window are dropped, a repeated old window gets the last ACK again. */
static void
fake_dup_reorder(void **state)
{
	struct tftp_opts o = { .blksize = 8, .windowsize = 4, .has_tsize = 1, .tsize = 44 };
	static const char data[] = "AAAAAAAABBBBBBBBCCCCCCCCDDDDDDDDEEEEEEEEFFFF";
	struct fake f;
	struct tftpc *t;
	struct tftpc_result *r;

	(void)state;
	fake_init(&f);
	t = fake_start(&f, 8, 4, 1000);
	fake_oack(&f, &o);
	client_pump(&f, t);
	fake_expect_ack(&f, f.tfd, 0);
	fake_oack(&f, &o);                       /* as if our ACK 0 was lost */
	client_pump(&f, t);
	fake_expect_ack(&f, f.tfd, 0);
	fake_data(&f, f.tfd, 1, data, 8);
	fake_data(&f, f.tfd, 2, data + 8, 8);
	fake_data(&f, f.tfd, 2, data + 8, 8);    /* duplicate: dropped */
	fake_data(&f, f.tfd, 4, data + 24, 8);   /* 3 is late: a gap */
	fake_data(&f, f.tfd, 3, data + 16, 8);   /* ... and here it is */
	client_pump(&f, t);
	fake_expect_ack(&f, f.tfd, 2);           /* the gap, once */
	fake_quiet(&f, f.tfd);
	/* The sender goes on from 3, as RFC 7440 says. */
	fake_data(&f, f.tfd, 3, data + 16, 8);   /* have it: dropped */
	fake_data(&f, f.tfd, 4, data + 24, 8);
	fake_data(&f, f.tfd, 5, data + 32, 8);
	fake_data(&f, f.tfd, 6, data + 40, 4);   /* the last, short */
	client_pump(&f, t);
	fake_expect_ack(&f, f.tfd, 6);
	r = tftpc_result(t);
	assert_int_equal(r->status, TFTPC_OK);
	assert_int_equal(r->body.len, 44);
	assert_memory_equal(r->body.p, data, 44);
	tftpc_free(t);

	/* A whole window again (our ACK lost): the ACK goes again, once. */
	t = fake_start(&f, 8, 2, 1000);
	fake_oack(&f, &o);
	client_pump(&f, t);
	assert_int_equal(tftpc_result(t)->status, TFTPC_PROTO); /* windowsize 4 > 2 */
	fake_expect_error(&f, f.tfd, TFTP_EOPTNEG);
	tftpc_free(t);
	o.windowsize = 2;
	t = fake_start(&f, 8, 2, 1000);
	fake_oack(&f, &o);
	client_pump(&f, t);
	fake_expect_ack(&f, f.tfd, 0);
	fake_data(&f, f.tfd, 1, data, 8);
	fake_data(&f, f.tfd, 2, data + 8, 8);
	client_pump(&f, t);
	fake_expect_ack(&f, f.tfd, 2);
	fake_data(&f, f.tfd, 1, data, 8);
	fake_data(&f, f.tfd, 2, data + 8, 8);
	client_pump(&f, t);
	fake_expect_ack(&f, f.tfd, 2);
	fake_quiet(&f, f.tfd);
	/* No progress: on time-out the client asks from the last block in
	 * order. */
	f.vnow = tftpc_due(t);
	tftpc_timeout(t, f.vnow);
	fake_expect_ack(&f, f.tfd, 2);
	tftpc_free(t);
	fake_fini(&f);
}

/* OACK with an option not asked for, or a larger blksize: refused with
 * ERROR 8; a tsize over the cap: refused before any data. */
static void
fake_oack_refused(void **state)
{
	struct tftp_opts o;
	struct fake f;
	struct tftpc *t;
	struct tftpc_result *r;
	static const uint8_t foo[] = "\0\6foo\0001\0";

	(void)state;
	fake_init(&f);
	t = fake_start(&f, 0, 1, 1000);          /* asked: tsize, timeout */
	memset(&o, 0, sizeof(o));
	o.blksize = 1428;
	fake_oack(&f, &o);
	client_pump(&f, t);
	r = tftpc_result(t);
	assert_int_equal(r->status, TFTPC_PROTO);
	assert_non_null(strstr(r->detail, "OACK refused"));
	fake_expect_error(&f, f.tfd, TFTP_EOPTNEG);
	tftpc_free(t);

	t = fake_start(&f, 512, 1, 1000);
	fake_send(&f, f.tfd, foo, sizeof(foo) - 1); /* OACK foo=1 */
	client_pump(&f, t);
	assert_int_equal(tftpc_result(t)->status, TFTPC_PROTO);
	fake_expect_error(&f, f.tfd, TFTP_EOPTNEG);
	tftpc_free(t);

	t = fake_start(&f, 512, 1, 1000);
	memset(&o, 0, sizeof(o));
	o.has_tsize = 1;
	o.tsize = 1001;
	fake_oack(&f, &o);
	client_pump(&f, t);
	r = tftpc_result(t);
	assert_int_equal(r->status, TFTPC_TOOBIG);
	fake_expect_error(&f, f.tfd, TFTP_EOPTNEG);
	fake_quiet(&f, f.tfd);                   /* no ACK 0 */
	tftpc_free(t);

	/* Found too big while reading (no tsize), and a block over blksize. */
	t = fake_start(&f, 0, 1, 1000);
	fake_data(&f, f.tfd, 1, S.big, 512);
	client_pump(&f, t);
	fake_expect_ack(&f, f.tfd, 1);
	fake_data(&f, f.tfd, 2, S.big, 512);
	client_pump(&f, t);
	assert_int_equal(tftpc_result(t)->status, TFTPC_TOOBIG);
	fake_expect_error(&f, f.tfd, TFTP_ENOSPACE);
	tftpc_free(t);
	t = fake_start(&f, 0, 1, 100000);
	fake_data(&f, f.tfd, 1, S.big, 513);
	client_pump(&f, t);
	assert_int_equal(tftpc_result(t)->status, TFTPC_PROTO);
	fake_expect_error(&f, f.tfd, TFTP_EBADOP);
	tftpc_free(t);
	fake_fini(&f);
}

/* A server without options answers DATA 1: 512-byte lockstep, and block
 * numbers roll over from 65535 to 0 (RFC 1350 has no rule; 0 is what
 * servers do). 8-byte blocks keep it small. */
static void
fake_lockstep_rollover(void **state)
{
	enum { N = 65540 };
	struct tftp_opts o = { .blksize = 8 };
	struct fake f;
	struct tftpc *t;
	struct tftpc_result *r;

	(void)state;
	fake_init(&f);
	t = fake_start(&f, 0, 1, 100000);
	fake_data(&f, f.tfd, 1, S.big, 512);
	client_pump(&f, t);
	fake_expect_ack(&f, f.tfd, 1);
	fake_data(&f, f.tfd, 2, "tail", 4);
	client_pump(&f, t);
	fake_expect_ack(&f, f.tfd, 2);
	r = tftpc_result(t);
	assert_int_equal(r->status, TFTPC_OK);
	assert_int_equal(r->body.len, 516);
	assert_int_equal(r->blksize, 0);
	tftpc_free(t);

	t = fake_start(&f, 8, 1, (size_t)N * 8);
	fake_oack(&f, &o);
	client_pump(&f, t);
	fake_expect_ack(&f, f.tfd, 0);
	for (unsigned i = 1; i <= N; i++) {
		fake_data(&f, f.tfd, (uint16_t)i, S.big + (size_t)(i - 1) * 8, i == N ? 0 : 8);
		client_pump(&f, t);
		fake_expect_ack(&f, f.tfd, (uint16_t)i);
	}
	r = tftpc_result(t);
	assert_int_equal(r->status, TFTPC_OK);
	assert_int_equal(r->body.len, (size_t)(N - 1) * 8);
	assert_memory_equal(r->body.p, S.big, (size_t)(N - 1) * 8);
	tftpc_free(t);
	fake_fini(&f);
}

/* A lossy network, by seed: a windowed fake sender (RFC 7440 as a server
 * does it: on ACK n, blocks n+1..n+W; on its own time-out, the window
 * again) whose packets are dropped, duplicated and swapped, and whose
 * client's ACKs are dropped too. Whatever happens, the file arrives
 * byte-identical. The clocks of both ends move only when nothing is in
 * flight, so each seed replays exactly. */
struct lossy {
	struct fake *f;
	uint64_t rng;
	unsigned blocks, window, blksize;
	unsigned base;          /* blocks acknowledged */
	int held;               /* a DATA held back to swap with the next */
	uint8_t hold[TFTP_PACKET_MAX];
	size_t holdlen;
	unsigned sent;
};

static unsigned
lossy_rand(struct lossy *l, unsigned n)
{
	l->rng = l->rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((l->rng >> 33) % n);
}

/* One datagram from the server's TID, through the bad network. */
static void
lossy_send(struct lossy *l, const uint8_t *p, size_t len)
{
	unsigned r = lossy_rand(l, 100);

	l->sent++;
	if (r < 6)
		return; /* lost */
	if (r < 10 && !l->held) {
		memcpy(l->hold, p, len); /* goes after the next one */
		l->holdlen = len;
		l->held = 1;
		return;
	}
	fake_send(l->f, l->f->tfd, p, len);
	if (r < 14)
		fake_send(l->f, l->f->tfd, p, len); /* duplicated */
	if (l->held) {
		l->held = 0;
		fake_send(l->f, l->f->tfd, l->hold, l->holdlen);
	}
}

static void
lossy_window(struct lossy *l)
{
	uint8_t p[4 + 64];

	for (unsigned b = l->base + 1; b <= l->base + l->window && b <= l->blocks; b++) {
		size_t len = b == l->blocks ? l->blksize / 2 : l->blksize;

		assert_int_equal(tftp_build_data_hdr(p, sizeof(p), (uint16_t)b), 4);
		memcpy(p + 4, S.big + (size_t)(b - 1) * l->blksize, len);
		lossy_send(l, p, 4 + len);
	}
	if (l->held) { /* nothing came after it: it goes now */
		l->held = 0;
		fake_send(l->f, l->f->tfd, l->hold, l->holdlen);
	}
}

static void
lossy_network(void **state)
{
	struct tftp_opts o = { .blksize = 64, .windowsize = 8 };
	struct fake f;

	(void)state;
	fake_init(&f);
	for (unsigned seed = 1; seed <= 40; seed++) {
		struct lossy l = { .f = &f, .rng = seed, .blocks = 300, .window = 8,
				   .blksize = 64 };
		struct tftpc *t = fake_start(&f, 64, 8, 1u << 20);
		uint8_t oack[64];
		size_t oacklen = tftp_build_oack(oack, sizeof(oack), &o);
		size_t want = (size_t)(l.blocks - 1) * l.blksize + l.blksize / 2;
		struct tftpc_result *r;
		int rounds = 0;

		lossy_send(&l, oack, oacklen);
		while (tftpc_result(t)->status == TFTPC_RUNNING) {
			struct pollfd p[2] = { { .fd = f.lfd, .events = POLLIN },
					       { .fd = f.tfd, .events = POLLIN } };
			int moved = 0;

			assert_true(++rounds < 100000);
			if (tftpc_fd(t) >= 0) {
				struct pollfd c = { .fd = tftpc_fd(t), .events = POLLIN };

				if (poll(&c, 1, 0) == 1) {
					tftpc_readable(t, f.vnow);
					moved = 1;
				}
			}
			while (poll(p, 2, 0) > 0) {
				uint16_t a;

				moved = 1;
				if (p[0].revents) { /* the RRQ again: the OACK again */
					assert_true(fake_recv(&f, f.lfd));
					lossy_send(&l, oack, oacklen);
				}
				if (p[1].revents) {
					assert_true(fake_recv(&f, f.tfd));
					assert_int_equal(tftp_parse_ack(f.pkt, f.len, &a), 0);
					if (lossy_rand(&l, 100) < 6)
						continue; /* the ACK is lost */
					if (a >= l.base) {
						l.base = a;
						lossy_window(&l);
					}
				}
			}
			if (!moved && tftpc_result(t)->status == TFTPC_RUNNING) {
				/* Quiet: time passes. The server's time-out first,
				 * sometimes, then the client's. */
				if (l.base > 0 && lossy_rand(&l, 2))
					lossy_window(&l);
				else if (l.base == 0 && lossy_rand(&l, 2))
					lossy_send(&l, oack, oacklen);
				else
					tftpc_timeout(t, f.vnow = tftpc_due(t));
			}
		}
		r = tftpc_result(t);
		if (r->status != TFTPC_OK)
			fail_msg("seed %u: %s", seed, r->detail);
		assert_int_equal(r->body.len, want);
		assert_memory_equal(r->body.p, S.big, want);
		tftpc_free(t);
		/* What the last ACK left behind is not the next seed's. */
		while (fake_recv_now(&f, f.tfd) || fake_recv_now(&f, f.lfd))
			;
	}
	fake_fini(&f);
}

/* Names resolve in a thread; a name that does not ends as a DNS failure,
 * and freeing while resolving leaves the thread to finish alone. */
static void
names(void **state)
{
	struct tftpc_req req;
	struct tftpc *t = NULL;
	struct conn c = { 0 };

	(void)state;
	memset(&req, 0, sizeof(req));
	req.host = "prov-test.invalid";
	req.file = "x.cfg";
	req.max_body = 1000;
	req.timeout_ms = 3000; /* no answer from a resolver in time: DNS too */
	req.on_connect = on_connect;
	req.arg = &c;
	assert_int_equal(tftpc_start(&req, now_ms(), &t, NULL), PROV_OK);
	run(t);
	assert_int_equal(tftpc_result(t)->status, TFTPC_DNS);
	assert_int_equal(c.calls, 0);
	tftpc_free(t);
	assert_int_equal(tftpc_start(&req, now_ms(), &t, NULL), PROV_OK);
	tftpc_timeout(t, now_ms());
	assert_true(tftpc_fd(t) >= 0);
	tftpc_free(t);
}

/* A resolver giving ::1 then 127.0.0.1 for any name, as a stock Debian's
 * /etc/hosts does for "localhost". */
static int
two_families(const char *host, const char *port, const struct addrinfo *hints,
	     struct addrinfo **res)
{
	struct addrinfo *a6 = NULL, *a4 = NULL, h = *hints;

	(void)host;
	h.ai_flags |= AI_NUMERICHOST;
	if (getaddrinfo("::1", port, &h, &a6) != 0)
		a6 = NULL;
	if (getaddrinfo("127.0.0.1", port, &h, &a4) != 0)
		return EAI_NONAME;
	if (a6 == NULL) {
		*res = a4;
		return 0;
	}
	a6->ai_next = a4;  /* glibc's freeaddrinfo frees node by node */
	*res = a6;
	return 0;
}

/* Every address of a name is tried: the server listens on 127.0.0.1
 * only, the name gives ::1 first; ::1 refuses and the request goes to
 * 127.0.0.1 at once, without waiting for a retransmission. */
static void
names_every_address(void **state)
{
	struct fake f;
	struct tftpc_req req;
	struct tftpc *t = NULL;
	struct conn c = { 0 };
	long long end;
	int got = 0;

	(void)state;
	fake_init(&f);
	tftpc_set_resolver(two_families);
	memset(&req, 0, sizeof(req));
	req.host = "localhost.test";
	req.port = f.port;
	req.file = "x.cfg";
	req.max_body = 1000;
	req.timeout_ms = 60000;
	req.on_connect = on_connect;
	req.arg = &c;
	assert_int_equal(tftpc_start(&req, now_ms(), &t, NULL), PROV_OK);
	tftpc_timeout(t, now_ms());
	/* Well before the first retransmission (TFTPC_RTO_MS), by the
	 * client's clock, which stays put: only the refusal can move it. */
	end = now_ms() + 20000;
	while (!got && now_ms() < end && tftpc_result(t)->status == TFTPC_RUNNING) {
		struct pollfd p = { .fd = tftpc_fd(t), .events = POLLIN };

		if (poll(&p, 1, 100) == 1)
			tftpc_readable(t, f.vnow);
		p = (struct pollfd){ .fd = f.lfd, .events = POLLIN };
		got = poll(&p, 1, 0) == 1 && fake_recv(&f, f.lfd);
	}
	tftpc_set_resolver(NULL);
	if (!got)
		fail_msg("no request; %d connects, last %s, status %d: %s", c.calls, c.ip,
			 tftpc_result(t)->status, tftpc_result(t)->detail);
	assert_int_equal(tftp_opcode(f.pkt, f.len), TFTP_RRQ);
	assert_string_equal(c.ip, "127.0.0.1");
	assert_int_equal(c.calls, 2);      /* ::1 first, then 127.0.0.1 */
	fake_data(&f, f.tfd, 1, "hi", 2);
	client_pump(&f, t);
	assert_int_equal(tftpc_result(t)->status, TFTPC_OK);
	assert_int_equal(tftpc_result(t)->body.len, 2);
	tftpc_free(t);
	fake_fini(&f);
}

static void
bad_requests(void **state)
{
	struct tftpc_req req;
	struct tftpc *t = (struct tftpc *)1;
	char longname[300];
	struct diag d;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.host = "127.0.0.1";
	req.file = "x";
	req.max_body = 10;
	diag_init(&d);
	req.blksize = 7;
	assert_int_equal(tftpc_start(&req, 0, &t, &d), PROV_E_INVAL);
	assert_null(t);
	assert_non_null(strstr(d.msg, "blksize"));
	req.blksize = 0;
	memset(longname, 'a', sizeof(longname));
	longname[256] = '\0';
	req.file = longname;
	assert_int_equal(tftpc_start(&req, 0, &t, &d), PROV_E_INVAL);
	req.file = "";
	assert_int_equal(tftpc_start(&req, 0, &t, &d), PROV_E_INVAL);
	req.file = "x";
	req.max_body = 0;
	assert_int_equal(tftpc_start(&req, 0, &t, &d), PROV_E_INVAL);
	req.max_body = 10;
	req.host = "";
	assert_int_equal(tftpc_start(&req, 0, &t, &d), PROV_E_INVAL);
	tftpc_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hpa_get),
		cmocka_unit_test(hpa_big_rollover),
		cmocka_unit_test(hpa_errors),
		cmocka_unit_test(atftpd_windowsize),
		cmocka_unit_test(fake_no_answer),
		cmocka_unit_test(fake_error_packets),
		cmocka_unit_test(fake_wrong_tid),
		cmocka_unit_test(fake_dup_reorder),
		cmocka_unit_test(fake_oack_refused),
		cmocka_unit_test(fake_lockstep_rollover),
		cmocka_unit_test(lossy_network),
		cmocka_unit_test(names),
		cmocka_unit_test(names_every_address),
		cmocka_unit_test(bad_requests),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, servers_start, servers_stop);
}
