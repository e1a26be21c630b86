/*
 * tftpload: a TFTP load generator that checks every byte (bench/README.md,
 * "prov serve"; issue 5, TFTP rows).
 *
 * CONC clients run on one epoll loop, each doing read transfers of one
 * file back to back: RRQ in octet mode with the options asked for
 * (RFC 2347 negotiation, RFC 2348 blksize, RFC 2349 tsize, RFC 7440
 * windowsize), an ACK per window (or per block without windowsize), an
 * ACK of the last in-order block when a block arrives out of order,
 * retransmission of the last packet sent after TIMEOUT_MS without
 * progress, and failure after RETRIES of them. Block numbers roll over
 * from 65535 to 0, as the servers compared here do.
 *
 * Every DATA payload is compared with the local copy of the file at its
 * offset, and a transfer counts only if it ends exactly at the file's
 * size; anything else (an ERROR packet, a mismatch, a short or long
 * file, an OACK that grants more than was asked, a tsize that is not the
 * file's size, retries exhausted) counts as a failure, with its reason on
 * standard error (the first TL_ERRLOG_MAX of them). Each transfer uses a
 * new socket, so a new source port: a new TID, as RFC 1350 wants.
 *
 * The result is one line on standard output, key=value pairs for scripts:
 *   transfers=N failed=N seconds=S tps=X mbps=X p50_ms=X p99_ms=X
 *   retrans=N blksize=N window=N
 * (mbps: 10^6 bytes of verified file content per second; p50/p99: the
 * latency of a whole transfer, RRQ sent to last block verified; blksize and
 * window: what the server granted, 512 and 1 when it ignored the options,
 * in the last transfer that succeeded). The exit
 * status is 1 when any transfer failed, 2 on a usage or setup error.
 *
 * usage: tftpload [-c CONC] [-d SECONDS | -n TRANSFERS] [-w WARMUP]
 *                 [-b BLKSIZE] [-W WINDOWSIZE] [-t] [-T TIMEOUT_MS]
 *                 [-R RETRIES] [-r REMOTE] HOST PORT FILE
 *   FILE is the local copy; REMOTE (default: FILE's last path component)
 *   is the name asked for. -d runs for SECONDS (default 5) after WARMUP
 *   seconds (default 0) whose transfers are not counted, and abandons
 *   the transfers still running at the end; -n instead runs exactly
 *   TRANSFERS and waits for all of them.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TL_CONC_MAX 4096u          /* concurrent clients (-c) */
#define TL_FILE_MAX (1ull << 30)   /* largest local file compared against */
#define TL_BLKSIZE_MIN 8u          /* RFC 2348 */
#define TL_BLKSIZE_MAX 65464u      /* RFC 2348 */
#define TL_WINDOW_MAX 65535u       /* RFC 7440 */
#define TL_RRQ_MAX 512u            /* our RRQ: name, mode and three options */
#define TL_NAME_MAX 255u           /* longest remote name we send */
#define TL_LAT_MAX (1u << 22)      /* transfer latencies kept for p50/p99 */
#define TL_TIMEOUT_MS 1000u        /* default retransmission timeout (-T) */
#define TL_RETRIES 5u              /* default retransmissions per packet (-R) */
#define TL_ERRLOG_MAX 10u          /* failure reasons printed */
#define TL_EVENTS 256              /* epoll events per wait */
#define TL_RECV_BATCH 64u          /* datagrams read per readiness event (one recvmmsg) */

#define TL_OP_RRQ 1
#define TL_OP_DATA 3
#define TL_OP_ACK 4
#define TL_OP_ERROR 5
#define TL_OP_OACK 6

enum tl_state {
	TL_IDLE,       /* no transfer (stopped) */
	TL_FIRST,      /* RRQ sent, waiting for OACK, DATA 1 or ERROR */
	TL_DATA,       /* receiving blocks */
};

struct tl_client {
	enum tl_state state;
	int fd;
	struct sockaddr_storage peer;  /* the server's transfer TID */
	socklen_t peerlen;
	uint64_t got;        /* blocks received in order */
	uint64_t acked;      /* value of got when the last ACK was sent */
	unsigned blksize, window;
	unsigned char last[TL_RRQ_MAX]; /* last packet sent, resent on timeout */
	size_t lastlen;
	int64_t deadline;    /* next retransmission, ns monotonic */
	int64_t start;       /* RRQ first sent */
	int64_t reack;       /* last ACK sent because of disorder */
	unsigned tries;
};

struct tl {
	/* settings */
	unsigned conc, blksize, window, timeout_ms, retries;
	bool tsize;
	const char *remote;
	double seconds, warmup;
	uint64_t count;               /* -n: transfers in all; 0: timed */
	struct sockaddr_storage srv;
	socklen_t srvlen;
	unsigned char *file;
	size_t fsize;
	int ep;
	/* counters */
	uint64_t started, done, failed, retrans, errlogged;
	unsigned got_blksize, got_window; /* as granted in the last good transfer */
	uint32_t *lat;                /* microseconds, TL_LAT_MAX at most */
	unsigned char *rbuf;          /* TL_RECV_BATCH datagrams of rslot bytes */
	size_t rslot;                 /* the largest DATA asked for, + 1 to see a longer one */
	size_t nlat;
	bool counting;                /* past the warm-up */
	struct tl_client *c;
};

static int64_t
tl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
tl_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
tl_die(const char *fmt, ...)
{
	va_list ap;

	fputs("tftpload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static unsigned long
tl_num(const char *s, unsigned long min, unsigned long max, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		tl_die("%s: %s is not a number in %lu..%lu", what, s, min, max);
	return v;
}

/* Same host (address) and, unless any_port, same port. */
static bool
tl_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
	bool any_port)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;

		return x->sin_addr.s_addr == y->sin_addr.s_addr &&
			(any_port || x->sin_port == y->sin_port);
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

		return !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) &&
			(any_port || x->sin6_port == y->sin6_port);
	}
	return false;
}

static void
tl_send(struct tl *t, struct tl_client *c)
{
	const struct sockaddr *to = (const struct sockaddr *)
		(c->state == TL_FIRST ? &t->srv : &c->peer);
	socklen_t tolen = c->state == TL_FIRST ? t->srvlen : c->peerlen;

	/* A failed send is a lost packet: the timeout resends it. */
	(void)sendto(c->fd, c->last, c->lastlen, 0, to, tolen);
	c->deadline = tl_now() + (int64_t)t->timeout_ms * 1000000;
}

static void
tl_ack(struct tl *t, struct tl_client *c)
{
	uint16_t blk = (uint16_t)(c->got & 0xffff);

	c->last[0] = 0;
	c->last[1] = TL_OP_ACK;
	c->last[2] = (unsigned char)(blk >> 8);
	c->last[3] = (unsigned char)blk;
	c->lastlen = 4;
	c->acked = c->got;
	tl_send(t, c);
}

static void tl_start(struct tl *t, struct tl_client *c);

/* Ends C's transfer (ok, or failed with the reason WHY) and starts the next. */
static void
tl_end(struct tl *t, struct tl_client *c, const char *why, ...)
	__attribute__((format(printf, 3, 4)));

static void
tl_end(struct tl *t, struct tl_client *c, const char *why, ...)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = TL_IDLE;
	if (why) {
		if (t->counting)
			t->failed++;
		if (t->errlogged < TL_ERRLOG_MAX) {
			va_list ap;

			t->errlogged++;
			fputs("tftpload: transfer failed: ", stderr);
			va_start(ap, why);
			vfprintf(stderr, why, ap);
			va_end(ap);
			fputc('\n', stderr);
		}
	} else if (t->counting) {
		int64_t us = (tl_now() - c->start) / 1000;

		t->done++;
		t->got_blksize = c->blksize;
		t->got_window = c->window;
		if (t->nlat < TL_LAT_MAX)
			t->lat[t->nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	}
	if (!t->count || t->started < t->count)
		tl_start(t, c);
}

static void
tl_start(struct tl *t, struct tl_client *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	unsigned char *p = c->last;
	size_t n = 0;

	c->fd = socket(t->srv.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		tl_die("socket: %s", strerror(errno));
	if (epoll_ctl(t->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		tl_die("epoll_ctl: %s", strerror(errno));
	p[n++] = 0;
	p[n++] = TL_OP_RRQ;
	memcpy(p + n, t->remote, strlen(t->remote) + 1);
	n += strlen(t->remote) + 1;
	memcpy(p + n, "octet", 6);
	n += 6;
	/* The three options fit: TL_NAME_MAX + 2 + 6 + 3 * (at most 11 + 6) < TL_RRQ_MAX. */
	if (t->blksize) {
		memcpy(p + n, "blksize", 8);
		n += 8;
		n += (size_t)snprintf((char *)p + n, TL_RRQ_MAX - n, "%u", t->blksize) + 1;
	}
	if (t->window) {
		memcpy(p + n, "windowsize", 11);
		n += 11;
		n += (size_t)snprintf((char *)p + n, TL_RRQ_MAX - n, "%u", t->window) + 1;
	}
	if (t->tsize) {
		memcpy(p + n, "tsize", 6);
		n += 6;
		memcpy(p + n, "0", 2);
		n += 2;
	}
	c->lastlen = n;
	c->state = TL_FIRST;
	c->got = c->acked = 0;
	c->blksize = 512;
	c->window = 1;
	c->tries = 0;
	c->reack = 0;
	c->start = tl_now();
	t->started++;
	tl_send(t, c);
}

/* Reads an OACK: every option must be one we asked for, granted within what we asked. */
static const char *
tl_oack(struct tl *t, struct tl_client *c, const unsigned char *p, size_t n)
{
	static char why[128];
	size_t i = 2;

	if (!t->blksize && !t->window && !t->tsize)
		return "OACK to a request without options";
	while (i < n) {
		const char *name = (const char *)p + i, *val;
		const unsigned char *z = memchr(p + i, 0, n - i);
		unsigned long v;
		char *end;

		if (!z)
			return "OACK option name not terminated";
		i = (size_t)(z - p) + 1;
		val = (const char *)p + i;
		z = memchr(p + i, 0, n - i);
		if (!z)
			return "OACK option value not terminated";
		i = (size_t)(z - p) + 1;
		errno = 0;
		v = strtoul(val, &end, 10);
		if (errno || *val < '0' || *val > '9' || *end) {
			snprintf(why, sizeof why, "OACK %.32s value \"%.32s\" is not a number",
				name, val);
			return why;
		}
		if (!strcasecmp(name, "blksize")) {
			if (!t->blksize || v < TL_BLKSIZE_MIN || v > t->blksize)
				return "OACK blksize not within what was asked";
			c->blksize = (unsigned)v;
		} else if (!strcasecmp(name, "windowsize")) {
			if (!t->window || v < 1 || v > t->window)
				return "OACK windowsize not within what was asked";
			c->window = (unsigned)v;
		} else if (!strcasecmp(name, "tsize")) {
			if (!t->tsize || v != t->fsize) {
				snprintf(why, sizeof why, "OACK tsize %lu, the file has %zu bytes",
					v, t->fsize);
				return why;
			}
		} else {
			snprintf(why, sizeof why, "OACK option \"%.32s\" not asked for", name);
			return why;
		}
	}
	return NULL;
}

/* One DATA packet of n bytes (header included) for C in TL_DATA. */
static void
tl_data(struct tl *t, struct tl_client *c, const unsigned char *p, size_t n)
{
	uint16_t blk = (uint16_t)(p[2] << 8 | p[3]);
	size_t len = n - 4, off;

	if (blk != (uint16_t)((c->got + 1) & 0xffff)) {
		/*
		 * A duplicate or a block after a gap: ACK the last in-order block
		 * so that the server resends from there (RFC 7440), but at most
		 * once per quarter timeout, so that a retransmitted window does
		 * not draw one ACK per block.
		 */
		int64_t now = tl_now();

		if (now - c->reack >= (int64_t)t->timeout_ms * 250000) {
			c->reack = now;
			tl_ack(t, c);
		}
		return;
	}
	if (len > c->blksize) {
		tl_end(t, c, "block %" PRIu64 " has %zu bytes, blksize is %u",
			c->got + 1, len, c->blksize);
		return;
	}
	off = (size_t)c->got * c->blksize;
	if (off + len > t->fsize) {
		tl_end(t, c, "block %" PRIu64 " goes past the file's %zu bytes",
			c->got + 1, t->fsize);
		return;
	}
	if (memcmp(t->file + off, p + 4, len)) {
		tl_end(t, c, "block %" PRIu64 " differs from the file", c->got + 1);
		return;
	}
	c->got++;
	c->tries = 0;
	if (len < c->blksize) {
		if (off + len != t->fsize) {
			tl_end(t, c, "ended at %zu bytes, the file has %zu", off + len, t->fsize);
			return;
		}
		tl_ack(t, c);
		tl_end(t, c, NULL);
		return;
	}
	if (c->got - c->acked >= c->window)
		tl_ack(t, c);
	else
		c->deadline = tl_now() + (int64_t)t->timeout_ms * 1000000;
}

static void
tl_packet(struct tl *t, struct tl_client *c, const unsigned char *p, size_t n,
	const struct sockaddr_storage *from, socklen_t fromlen)
{
	unsigned op;

	if (c->state == TL_FIRST) {
		if (!tl_same(from, &t->srv, true))
			return; /* not from the server's host: ignored */
	} else if (!tl_same(from, &c->peer, false)) {
		return; /* another TID (RFC 1350 4.): ignored */
	}
	if (n < 4) {
		tl_end(t, c, "packet of %zu bytes", n);
		return;
	}
	op = (unsigned)(p[0] << 8 | p[1]);
	if (op == TL_OP_ERROR) {
		tl_end(t, c, "ERROR %u \"%.*s\"", (unsigned)(p[2] << 8 | p[3]),
			(int)strnlen((const char *)p + 4, n - 4 > 100 ? 100 : n - 4),
			(const char *)p + 4);
		return;
	}
	if (c->state == TL_FIRST) {
		memcpy(&c->peer, from, fromlen);
		c->peerlen = fromlen;
		c->state = TL_DATA;
		if (op == TL_OP_OACK) {
			const char *why = tl_oack(t, c, p, n);

			if (why) {
				tl_end(t, c, "%s", why);
				return;
			}
			c->tries = 0;
			tl_ack(t, c); /* ACK 0 */
			return;
		}
		/* DATA without OACK: options refused, RFC 1350 defaults. */
	}
	if (op == TL_OP_OACK && c->got == 0) {
		/* Our ACK 0 was lost and the server resent its OACK. */
		tl_ack(t, c);
		return;
	}
	if (op != TL_OP_DATA) {
		tl_end(t, c, "opcode %u during the transfer", op);
		return;
	}
	tl_data(t, c, p, n);
}

/* Reads what C's socket holds: one recvmmsg(2) of up to TL_RECV_BATCH
 * datagrams, which for a lock-step transfer (one datagram per round trip)
 * is one system call instead of a recvfrom and the recvfrom that fails
 * with EAGAIN. A datagram that ends the transfer ends the batch: the rest
 * belonged to the old socket. The loop is level-triggered, so what is
 * left or arrives later wakes it again. */
static void
tl_readable(struct tl *t, struct tl_client *c)
{
	static struct mmsghdr mm[TL_RECV_BATCH];
	static struct iovec iov[TL_RECV_BATCH];
	static struct sockaddr_storage from[TL_RECV_BATCH];
	int fd = c->fd, n, i;

	for (i = 0; i < (int)TL_RECV_BATCH; i++) {
		iov[i].iov_base = t->rbuf + (size_t)i * t->rslot;
		iov[i].iov_len = t->rslot;
		memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
		mm[i].msg_hdr.msg_name = &from[i];
		mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(fd, mm, TL_RECV_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		/* ICMP port unreachable and the like: the server is not there. */
		tl_end(t, c, "recvmmsg: %s", strerror(errno));
		return;
	}
	for (i = 0; i < n && c->state != TL_IDLE && c->fd == fd; i++) {
		if (mm[i].msg_len >= t->rslot) {
			tl_end(t, c, "datagram over %zu bytes", t->rslot - 1);
			return;
		}
		tl_packet(t, c, iov[i].iov_base, mm[i].msg_len, &from[i],
			  mm[i].msg_hdr.msg_namelen);
	}
}

static void
tl_timeouts(struct tl *t, int64_t now)
{
	unsigned i;

	for (i = 0; i < t->conc; i++) {
		struct tl_client *c = &t->c[i];

		if (c->state == TL_IDLE || now < c->deadline)
			continue;
		if (c->tries >= t->retries) {
			tl_end(t, c, "no answer after %u retransmissions (block %" PRIu64 ")",
				c->tries, c->got);
			continue;
		}
		c->tries++;
		if (t->counting)
			t->retrans++;
		tl_send(t, c);
	}
}

static int
tl_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
tl_pct(const struct tl *t, double q)
{
	size_t i;

	if (!t->nlat)
		return 0;
	i = (size_t)(q * (double)(t->nlat - 1) + 0.5);
	return t->lat[i] / 1000.0;
}

static void
tl_load(struct tl *t, const char *path)
{
	struct stat st;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		tl_die("%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size > TL_FILE_MAX)
		tl_die("%s: not a regular file of at most %llu bytes", path, TL_FILE_MAX);
	t->fsize = (size_t)st.st_size;
	t->file = malloc(t->fsize ? t->fsize : 1);
	if (!t->file)
		tl_die("out of memory");
	while (off < t->fsize) {
		ssize_t n = read(fd, t->file + off, t->fsize - off);

		if (n <= 0)
			tl_die("%s: read: %s", path, n ? strerror(errno) : "short file");
		off += (size_t)n;
	}
	close(fd);
}

static void
tl_usage(void)
{
	fputs("usage: tftpload [-c CONC] [-d SECONDS | -n TRANSFERS] [-w WARMUP]\n"
	      "                [-b BLKSIZE] [-W WINDOWSIZE] [-t] [-T TIMEOUT_MS]\n"
	      "                [-R RETRIES] [-r REMOTE] HOST PORT FILE\n", stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	struct tl t = {
		.conc = 1, .timeout_ms = TL_TIMEOUT_MS, .retries = TL_RETRIES,
		.seconds = 5, .ep = -1,
	};
	struct epoll_event ev[TL_EVENTS];
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
	int64_t t0, tcount, tend, now;
	double secs;
	unsigned i;
	int o, rc;

	while ((o = getopt(argc, argv, "c:d:n:w:b:W:tT:R:r:")) != -1) {
		switch (o) {
		case 'c': t.conc = (unsigned)tl_num(optarg, 1, TL_CONC_MAX, "-c"); break;
		case 'd': t.seconds = (double)tl_num(optarg, 1, 3600, "-d"); break;
		case 'n': t.count = tl_num(optarg, 1, 100000000, "-n"); break;
		case 'w': t.warmup = (double)tl_num(optarg, 0, 600, "-w"); break;
		case 'b': t.blksize = (unsigned)tl_num(optarg, TL_BLKSIZE_MIN, TL_BLKSIZE_MAX, "-b"); break;
		case 'W': t.window = (unsigned)tl_num(optarg, 1, TL_WINDOW_MAX, "-W"); break;
		case 't': t.tsize = true; break;
		case 'T': t.timeout_ms = (unsigned)tl_num(optarg, 1, 60000, "-T"); break;
		case 'R': t.retries = (unsigned)tl_num(optarg, 0, 100, "-R"); break;
		case 'r': t.remote = optarg; break;
		default: tl_usage();
		}
	}
	if (argc - optind != 3)
		tl_usage();
	tl_load(&t, argv[optind + 2]);
	if (!t.remote) {
		t.remote = strrchr(argv[optind + 2], '/');
		t.remote = t.remote ? t.remote + 1 : argv[optind + 2];
	}
	if (!*t.remote || strlen(t.remote) > TL_NAME_MAX)
		tl_die("remote name empty or over %u bytes", TL_NAME_MAX);
	if ((rc = getaddrinfo(argv[optind], argv[optind + 1], &hints, &ai)))
		tl_die("%s port %s: %s", argv[optind], argv[optind + 1], gai_strerror(rc));
	memcpy(&t.srv, ai->ai_addr, ai->ai_addrlen);
	t.srvlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	if (t.count && t.conc > t.count)
		t.conc = (unsigned)t.count;

	t.c = calloc(t.conc, sizeof *t.c);
	t.lat = malloc(TL_LAT_MAX * sizeof *t.lat);
	t.rslot = 4 + (t.blksize > 512 ? t.blksize : 512) + 1;
	t.rbuf = malloc(TL_RECV_BATCH * t.rslot);
	t.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!t.c || !t.lat || !t.rbuf || t.ep < 0)
		tl_die("setup: %s", strerror(errno));

	t0 = tl_now();
	tcount = t0 + (int64_t)(t.warmup * 1e9);
	tend = tcount + (int64_t)(t.seconds * 1e9);
	t.counting = t.count || t.warmup == 0;
	for (i = 0; i < t.conc; i++) {
		t.c[i].fd = -1;
		tl_start(&t, &t.c[i]);
	}
	for (;;) {
		int64_t next, wait;
		int n, k;
		bool busy = false;

		now = tl_now();
		if (!t.counting && now >= tcount) {
			t.counting = true;
			tcount = now;
			tend = now + (int64_t)(t.seconds * 1e9);
		}
		if (!t.count && now >= tend)
			break;
		next = t.count ? now + 1000000000 : (t.counting ? tend : tcount);
		for (i = 0; i < t.conc; i++) {
			if (t.c[i].state == TL_IDLE)
				continue;
			busy = true;
			if (t.c[i].deadline < next)
				next = t.c[i].deadline;
		}
		if (!busy)
			break; /* -n: every transfer has ended */
		wait = (next - now + 999999) / 1000000;
		n = epoll_wait(t.ep, ev, TL_EVENTS, wait < 0 ? 0 : (int)wait);
		if (n < 0 && errno != EINTR)
			tl_die("epoll_wait: %s", strerror(errno));
		for (k = 0; k < n; k++)
			tl_readable(&t, ev[k].data.ptr);
		tl_timeouts(&t, tl_now());
	}
	secs = (double)((t.count ? tl_now() : tend) - tcount) / 1e9;
	qsort(t.lat, t.nlat, sizeof *t.lat, tl_cmp);
	printf("transfers=%" PRIu64 " failed=%" PRIu64 " seconds=%.3f tps=%.1f mbps=%.2f"
		" p50_ms=%.3f p99_ms=%.3f retrans=%" PRIu64 " blksize=%u window=%u\n",
		t.done, t.failed, secs, (double)t.done / secs,
		(double)t.done * (double)t.fsize / secs / 1e6,
		tl_pct(&t, 0.50), tl_pct(&t, 0.99), t.retrans, t.got_blksize, t.got_window);
	for (i = 0; i < t.conc; i++)
		if (t.c[i].fd >= 0)
			close(t.c[i].fd);
	close(t.ep);
	free(t.c);
	free(t.lat);
	free(t.rbuf);
	free(t.file);
	return t.failed ? 1 : 0;
}
