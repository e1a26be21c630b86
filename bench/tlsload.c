/*
 * tlsload: HTTPS load with a client certificate, for bench/serve.sh
 * (bench/README.md, "prov serve"; issue 5, HTTPS rows).
 *
 * wrk cannot present a client certificate, and a server that requires one
 * refuses it, so this generator does what wrk would: CONC connections on
 * one epoll loop, OpenSSL in non-blocking mode, each connection sending
 * `GET PATH` and reading the whole response, back to back, for SECONDS.
 *
 *   default (full handshakes): every request on a new TCP connection with
 *     a new full handshake (no session is ever offered: the client's
 *     session cache is off and it sends no ticket), presenting the client
 *     certificate, with `Connection: close`; one counted exchange is
 *     connect + handshake + request + response. A handshake alone is not
 *     counted: in TLS 1.3 the client finishes before the server has
 *     checked its certificate, and only the response shows that it did.
 *   -k (keep-alive): one full handshake per connection, then requests
 *     back to back on it; a connection the server closes (its keep-alive
 *     request limit) is reopened with a new full handshake. One counted
 *     exchange is one request and its response.
 *
 * Every response must be `200` with a Content-Length; with -f its body is
 * compared byte for byte with the local FILE, and anything else (a
 * handshake failure, another status, a different or short body, a close
 * in the middle, no progress for TL_IDLE_MS) counts as a failure, with its
 * reason on standard error (the first TC_ERRLOG_MAX). The server's
 * certificate is verified only with -A CA: the server's handshake
 * signature is checked either way, and leaving the chain out keeps the
 * client's cost per handshake below the server's, which must verify the
 * client's chain and signature (the client would otherwise be the limit).
 *
 * The result is one line of key=value pairs on standard output:
 *   ok=N failed=N seconds=S rate=X p50_ms=X p99_ms=X handshakes=N
 *   client_cpu=X all=N proto=TLSv1.3 cipher=NAME
 * (rate: counted exchanges per second; handshakes: full handshakes done
 * in the counted period; client_cpu: this process's CPU time over the
 * counted period, 1.0 = one core busy, so near 1.0 the client was the
 * limit; all: exchanges done from start to end, warm-up included, the
 * divisor for the server's CPU time over the whole run). Exit status 1
 * when anything failed, 2 on a usage or setup error.
 *
 * usage: tlsload [-k] [-c CONC] [-d SECONDS] [-w WARMUP] [-V 1.2|1.3]
 *                -C CERT -K KEY [-A CA] [-f FILE] HOST PORT PATH
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define TC_CONC_MAX 4096u         /* connections (-c) */
#define TC_FILE_MAX (1ull << 30)  /* largest local file compared against */
#define TC_HEAD_MAX 8192u         /* response status line + headers */
#define TC_REQ_MAX 1024u          /* our request */
#define TC_PATH_MAX 512u          /* longest PATH */
#define TC_LAT_MAX (1u << 22)     /* latencies kept for p50/p99 */
#define TC_IDLE_MS 10000          /* no progress for this long: failure */
#define TC_ERRLOG_MAX 10u         /* failure reasons printed */
#define TC_EVENTS 256             /* epoll events per wait */
#define TC_READ_CHUNK 65536u      /* bytes per SSL_read */

enum tc_state {
	TC_CONNECT,    /* TCP connect in progress */
	TC_HANDSHAKE,  /* SSL_connect */
	TC_WRITE,      /* sending the request */
	TC_HEAD,       /* reading status line and headers */
	TC_BODY,       /* reading Content-Length bytes */
};

struct tc_conn {
	enum tc_state state;
	int fd;
	SSL *ssl;
	char head[TC_HEAD_MAX];
	size_t headlen;
	size_t reqoff;        /* bytes of the request sent */
	uint64_t clen, got;   /* Content-Length, body bytes read */
	int64_t start;        /* counted exchange began */
	int64_t progress;     /* last byte moved */
	uint32_t events;      /* epoll interest now */
	uint64_t served;      /* responses on this connection */
};

struct tc {
	bool keepalive;
	unsigned conc;
	double seconds, warmup;
	struct sockaddr_storage srv;
	socklen_t srvlen;
	SSL_CTX *ctx;
	char req[TC_REQ_MAX];
	size_t reqlen;
	unsigned char *file;  /* -f, or NULL */
	size_t fsize;
	int ep;
	bool counting;
	uint64_t ok, failed, handshakes, errlogged;
	uint64_t all;         /* exchanges done, warm-up included */
	uint32_t *lat;
	size_t nlat;
	char proto[32], cipher[64];
	struct tc_conn *c;
};

static unsigned char tc_buf[TC_READ_CHUNK];

static int64_t
tc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double
tc_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
tc_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
tc_die(const char *fmt, ...)
{
	va_list ap;

	fputs("tlsload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ERR_print_errors_fp(stderr);
	exit(2);
}

static unsigned long
tc_num(const char *s, unsigned long min, unsigned long max, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		tc_die("%s: %s is not a number in %lu..%lu", what, s, min, max);
	return v;
}

static void
tc_watch(struct tc *t, struct tc_conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (c->events == events)
		return;
	if (epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		tc_die("epoll_ctl: %s", strerror(errno));
	c->events = events;
}

static void
tc_close(struct tc_conn *c)
{
	if (c->ssl) {
		/* close_notify, best effort: we do not wait for the server's. */
		(void)SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void
tc_open(struct tc *t, struct tc_conn *c)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	int one = 1;

	c->fd = socket(t->srv.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		tc_die("socket: %s", strerror(errno));
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(c->fd, (const struct sockaddr *)&t->srv, t->srvlen) < 0 &&
	    errno != EINPROGRESS)
		tc_die("connect: %s", strerror(errno));
	if (epoll_ctl(t->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		tc_die("epoll_ctl: %s", strerror(errno));
	c->events = EPOLLOUT;
	c->ssl = SSL_new(t->ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
		tc_die("SSL_new");
	SSL_set_connect_state(c->ssl);
	c->state = TC_CONNECT;
	c->served = 0;
	c->progress = tc_now();
	if (!t->keepalive)
		c->start = c->progress;
}

static void
tc_request(struct tc_conn *c)
{
	c->state = TC_WRITE;
	c->reqoff = 0;
	c->headlen = 0;
	c->got = 0;
}

static void
tc_fail(struct tc *t, struct tc_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Ends C's connection as a failure with a reason, and opens the next one. */
static void
tc_fail(struct tc *t, struct tc_conn *c, const char *fmt, ...)
{
	if (t->counting)
		t->failed++;
	if (t->errlogged < TC_ERRLOG_MAX) {
		va_list ap;
		unsigned long e = ERR_peek_error();

		t->errlogged++;
		fputs("tlsload: failed: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		if (e)
			fprintf(stderr, " (%s)", ERR_reason_error_string(e));
		fputc('\n', stderr);
	}
	ERR_clear_error();
	tc_close(c);
	tc_open(t, c);
}

/* An exchange ended well at time NOW. */
static void
tc_done(struct tc *t, struct tc_conn *c, int64_t now)
{
	t->all++;
	if (t->counting) {
		int64_t us = (now - c->start) / 1000;

		t->ok++;
		if (t->nlat < TC_LAT_MAX)
			t->lat[t->nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	}
}

/* Parses the response head in c->head (ending at CRLF CRLF); 0 or -1. */
static int
tc_head(struct tc *t, struct tc_conn *c, char *end, const char **why)
{
	char *line, *next;
	bool have_len = false;

	*end = 0;
	if (strncmp(c->head, "HTTP/1.1 200 ", 13) && strncmp(c->head, "HTTP/1.0 200 ", 13)) {
		*why = "status is not 200";
		return -1;
	}
	for (line = strstr(c->head, "\r\n"); line; line = next) {
		line += 2;
		next = strstr(line, "\r\n");
		if (!strncasecmp(line, "Content-Length:", 15)) {
			char *e;

			errno = 0;
			c->clen = strtoull(line + 15, &e, 10);
			if (errno || (*e != '\r' && *e != 0)) {
				*why = "bad Content-Length";
				return -1;
			}
			have_len = true;
		}
	}
	if (!have_len) {
		*why = "no Content-Length";
		return -1;
	}
	if (t->file && c->clen != t->fsize) {
		*why = "Content-Length is not the file's size";
		return -1;
	}
	return 0;
}

/* Body bytes P[0..n) at c->got: compared with the file. */
static bool
tc_body(struct tc *t, struct tc_conn *c, const unsigned char *p, size_t n)
{
	if (c->got + n > c->clen)
		return false;
	if (t->file && memcmp(t->file + c->got, p, n))
		return false;
	c->got += n;
	return true;
}

/* Runs C's state machine until it must wait for the socket. */
static void
tc_step(struct tc *t, struct tc_conn *c)
{
	for (;;) {
		int n, err;
		int64_t now;

		switch (c->state) {
		case TC_CONNECT: {
			int soerr = 0;
			socklen_t len = sizeof soerr;

			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr) {
				tc_fail(t, c, "connect: %s", strerror(soerr ? soerr : errno));
				return;
			}
			c->state = TC_HANDSHAKE;
			break;
		}
		case TC_HANDSHAKE:
			n = SSL_connect(c->ssl);
			if (n == 1) {
				if (t->counting)
					t->handshakes++;
				snprintf(t->proto, sizeof t->proto, "%s", SSL_get_version(c->ssl));
				snprintf(t->cipher, sizeof t->cipher, "%s",
					SSL_CIPHER_get_name(SSL_get_current_cipher(c->ssl)));
				c->progress = tc_now();
				if (t->keepalive)
					c->start = c->progress;
				tc_request(c);
				break;
			}
			err = SSL_get_error(c->ssl, n);
			if (err == SSL_ERROR_WANT_READ) {
				tc_watch(t, c, EPOLLIN);
				return;
			}
			if (err == SSL_ERROR_WANT_WRITE) {
				tc_watch(t, c, EPOLLOUT);
				return;
			}
			tc_fail(t, c, "handshake: SSL error %d", err);
			return;
		case TC_WRITE:
			n = SSL_write(c->ssl, t->req + c->reqoff, (int)(t->reqlen - c->reqoff));
			if (n > 0) {
				c->reqoff += (size_t)n;
				c->progress = tc_now();
				if (c->reqoff == t->reqlen)
					c->state = TC_HEAD;
				break;
			}
			err = SSL_get_error(c->ssl, n);
			if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
				tc_watch(t, c, err == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
				return;
			}
			if (t->keepalive && c->reqoff == 0 && c->served) {
				/* Closed (reset) between requests: the keep-alive limit. */
				ERR_clear_error();
				tc_close(c);
				tc_open(t, c);
				return;
			}
			tc_fail(t, c, "write: SSL error %d", err);
			return;
		case TC_HEAD:
		case TC_BODY:
			n = SSL_read(c->ssl, tc_buf, sizeof tc_buf);
			if (n <= 0) {
				err = SSL_get_error(c->ssl, n);
				if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
					tc_watch(t, c, err == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
					return;
				}
				if (t->keepalive && c->state == TC_HEAD && c->headlen == 0 &&
				    c->served) {
					/* Closed between requests: the keep-alive limit. */
					ERR_clear_error();
					tc_close(c);
					tc_open(t, c);
					return;
				}
				tc_fail(t, c, "read: connection closed after %zu head and %" PRIu64
					" body bytes (SSL error %d)", c->headlen, c->got, err);
				return;
			}
			c->progress = now = tc_now();
			if (c->state == TC_HEAD) {
				size_t take = (size_t)n, rest;
				char *end;
				const char *why = NULL;

				if (take > TC_HEAD_MAX - 1 - c->headlen)
					take = TC_HEAD_MAX - 1 - c->headlen;
				memcpy(c->head + c->headlen, tc_buf, take);
				c->headlen += take;
				c->head[c->headlen] = 0;
				end = strstr(c->head, "\r\n\r\n");
				if (!end) {
					if (c->headlen == TC_HEAD_MAX - 1) {
						tc_fail(t, c, "response head over %u bytes", TC_HEAD_MAX);
						return;
					}
					break;
				}
				/*
				 * Bytes past the head in this read belong to the body:
				 * REST of them in the head buffer, all from there on in
				 * tc_buf (also those past TAKE).
				 */
				rest = c->headlen - (size_t)(end + 4 - c->head);
				if (tc_head(t, c, end, &why) < 0) {
					tc_fail(t, c, "%s: \"%.*s\"", why,
						(int)strcspn(c->head, "\r\n") > 60 ? 60 :
						(int)strcspn(c->head, "\r\n"), c->head);
					return;
				}
				c->state = TC_BODY;
				if (!tc_body(t, c, tc_buf + (take - rest), (size_t)n - (take - rest))) {
					tc_fail(t, c, "body differs from the file");
					return;
				}
			} else if (!tc_body(t, c, tc_buf, (size_t)n)) {
				tc_fail(t, c, "body differs from the file or is too long");
				return;
			}
			if (c->state == TC_BODY && c->got == c->clen) {
				tc_done(t, c, now);
				c->served++;
				if (t->keepalive) {
					c->start = now;
					tc_request(c);
				} else {
					tc_close(c);
					tc_open(t, c);
					return;
				}
			}
			break;
		}
	}
}

static void
tc_timeouts(struct tc *t, int64_t now)
{
	unsigned i;

	for (i = 0; i < t->conc; i++)
		if (now - t->c[i].progress > (int64_t)TC_IDLE_MS * 1000000)
			tc_fail(t, &t->c[i], "no progress for %d ms", TC_IDLE_MS);
}

static int
tc_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
tc_pct(const struct tc *t, double q)
{
	size_t i;

	if (!t->nlat)
		return 0;
	i = (size_t)(q * (double)(t->nlat - 1) + 0.5);
	return t->lat[i] / 1000.0;
}

static void
tc_load(struct tc *t, const char *path)
{
	struct stat st;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		tc_die("%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size > TC_FILE_MAX)
		tc_die("%s: not a regular file of at most %llu bytes", path, TC_FILE_MAX);
	t->fsize = (size_t)st.st_size;
	t->file = malloc(t->fsize ? t->fsize : 1);
	if (!t->file)
		tc_die("out of memory");
	while (off < t->fsize) {
		ssize_t n = read(fd, t->file + off, t->fsize - off);

		if (n <= 0)
			tc_die("%s: read: %s", path, n ? strerror(errno) : "short file");
		off += (size_t)n;
	}
	close(fd);
}

static void
tc_usage(void)
{
	fputs("usage: tlsload [-k] [-c CONC] [-d SECONDS] [-w WARMUP] [-V 1.2|1.3]\n"
	      "               -C CERT -K KEY [-A CA] [-f FILE] HOST PORT PATH\n", stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	struct tc t = { .conc = 64, .seconds = 5, .ep = -1 };
	struct epoll_event ev[TC_EVENTS];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	const char *cert = NULL, *key = NULL, *ca = NULL, *ver = NULL;
	int64_t tcount, tend, now;
	double cpu0 = 0, secs;
	unsigned i;
	int o, rc;

	while ((o = getopt(argc, argv, "kc:d:w:V:C:K:A:f:")) != -1) {
		switch (o) {
		case 'k': t.keepalive = true; break;
		case 'c': t.conc = (unsigned)tc_num(optarg, 1, TC_CONC_MAX, "-c"); break;
		case 'd': t.seconds = (double)tc_num(optarg, 1, 3600, "-d"); break;
		case 'w': t.warmup = (double)tc_num(optarg, 0, 600, "-w"); break;
		case 'V': ver = optarg; break;
		case 'C': cert = optarg; break;
		case 'K': key = optarg; break;
		case 'A': ca = optarg; break;
		case 'f': tc_load(&t, optarg); break;
		default: tc_usage();
		}
	}
	if (argc - optind != 3 || !cert || !key)
		tc_usage();
	if (argv[optind + 2][0] != '/' || strlen(argv[optind + 2]) > TC_PATH_MAX)
		tc_die("PATH must start with / and have at most %u bytes", TC_PATH_MAX);
	if ((rc = getaddrinfo(argv[optind], argv[optind + 1], &hints, &ai)))
		tc_die("%s port %s: %s", argv[optind], argv[optind + 1], gai_strerror(rc));
	memcpy(&t.srv, ai->ai_addr, ai->ai_addrlen);
	t.srvlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	t.reqlen = (size_t)snprintf(t.req, sizeof t.req,
		"GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: tlsload\r\n%s\r\n",
		argv[optind + 2], argv[optind], argv[optind + 1],
		t.keepalive ? "" : "Connection: close\r\n");
	signal(SIGPIPE, SIG_IGN);

	t.ctx = SSL_CTX_new(TLS_client_method());
	if (!t.ctx)
		tc_die("SSL_CTX_new");
	if (ver && strcmp(ver, "1.2") && strcmp(ver, "1.3"))
		tc_die("-V: 1.2 or 1.3");
	if (ver) {
		int v = strcmp(ver, "1.2") ? TLS1_3_VERSION : TLS1_2_VERSION;

		if (!SSL_CTX_set_min_proto_version(t.ctx, v) ||
		    !SSL_CTX_set_max_proto_version(t.ctx, v))
			tc_die("TLS version %s", ver);
	}
	/* Never resume: every handshake is a full one. */
	SSL_CTX_set_session_cache_mode(t.ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(t.ctx, SSL_OP_NO_TICKET);
	if (SSL_CTX_use_certificate_chain_file(t.ctx, cert) != 1)
		tc_die("%s: cannot load the certificate", cert);
	if (SSL_CTX_use_PrivateKey_file(t.ctx, key, SSL_FILETYPE_PEM) != 1)
		tc_die("%s: cannot load the key", key);
	if (ca) {
		if (SSL_CTX_load_verify_locations(t.ctx, ca, NULL) != 1)
			tc_die("%s: cannot load the CA", ca);
		SSL_CTX_set_verify(t.ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(t.ctx, SSL_VERIFY_NONE, NULL);
	}

	t.c = calloc(t.conc, sizeof *t.c);
	t.lat = malloc(TC_LAT_MAX * sizeof *t.lat);
	t.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!t.c || !t.lat || t.ep < 0)
		tc_die("setup: %s", strerror(errno));
	now = tc_now();
	tcount = now + (int64_t)(t.warmup * 1e9);
	tend = tcount + (int64_t)(t.seconds * 1e9);
	t.counting = t.warmup == 0;
	if (t.counting)
		cpu0 = tc_cpu();
	for (i = 0; i < t.conc; i++) {
		t.c[i].fd = -1;
		tc_open(&t, &t.c[i]);
	}
	for (;;) {
		int n, k;

		now = tc_now();
		if (!t.counting && now >= tcount) {
			t.counting = true;
			cpu0 = tc_cpu();
		}
		if (now >= tend)
			break;
		n = epoll_wait(t.ep, ev, TC_EVENTS, 100);
		if (n < 0 && errno != EINTR)
			tc_die("epoll_wait: %s", strerror(errno));
		for (k = 0; k < n; k++)
			tc_step(&t, ev[k].data.ptr);
		tc_timeouts(&t, tc_now());
	}
	secs = (double)(tend - tcount) / 1e9;
	qsort(t.lat, t.nlat, sizeof *t.lat, tc_cmp);
	printf("ok=%" PRIu64 " failed=%" PRIu64 " seconds=%.3f rate=%.1f p50_ms=%.3f"
		" p99_ms=%.3f handshakes=%" PRIu64 " client_cpu=%.2f all=%" PRIu64
		" proto=%s cipher=%s\n",
		t.ok, t.failed, secs, (double)t.ok / secs, tc_pct(&t, 0.50),
		tc_pct(&t, 0.99), t.handshakes, (tc_cpu() - cpu0) / secs, t.all,
		t.proto[0] ? t.proto : "-", t.cipher[0] ? t.cipher : "-");
	for (i = 0; i < t.conc; i++)
		tc_close(&t.c[i]);
	close(t.ep);
	SSL_CTX_free(t.ctx);
	free(t.c);
	free(t.lat);
	free(t.file);
	return t.failed ? 1 : 0;
}
