/*
 * enum_timing: latency of each kind of answer on one HTTP(S) keep-alive
 * connection, for bench/enum_timing.sh (bench/README.md, "Timing of
 * misses"; issue 13 item 5: a miss must not tell by its timing what kind
 * of miss it is).
 *
 * The paths given are requested in rounds, one request at a time on one
 * connection (so every kind sees the same load, cache and scheduling
 * state), ROUNDS times each after WARMUP rounds; each round takes the paths
 * in a new random order (a fixed seed), since a request right after a
 * large response is slower than others whatever it asks. Each request is
 * timed alone, from the first byte written to the last byte of the body
 * read.
 * With -C/-K the connection is TLS with that client certificate (the
 * server's is not verified: timing only).
 *
 * Output: one line per path, in the order given:
 *   LABEL status=NNN n=N median_us=X p90_us=X
 * where LABEL is the text before '=' in the argument LABEL=PATH. Exit 1
 * when a connection fails, 2 on bad usage.
 *
 * usage: enum_timing [-n ROUNDS] [-w WARMUP] [-C CERT -K KEY] HOST PORT
 *                    LABEL=PATH ...
 */
#define _GNU_SOURCE
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define ET_PATHS_MAX 16       /* paths per run */
#define ET_RESP_MAX 65536     /* largest response read */
#define ET_TIMEOUT_S 10       /* a request slower than this fails the run */

struct et_conn {
	int fd;
	SSL *ssl;
};

static int
et_write(struct et_conn *c, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = c->ssl != NULL ? SSL_write(c->ssl, buf, (int)len) :
			write(c->fd, buf, len);

		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

static ssize_t
et_read(struct et_conn *c, char *buf, size_t cap)
{
	return c->ssl != NULL ? SSL_read(c->ssl, buf, (int)cap) : read(c->fd, buf, cap);
}

/* Reads one response; returns its status, or -1. */
static int
et_response(struct et_conn *c, char *buf)
{
	size_t have = 0, need = 0;
	char *end = NULL;
	int status = -1;

	for (;;) {
		ssize_t r;

		if (end != NULL && have >= need)
			return status;
		if (have == ET_RESP_MAX)
			return -1;
		r = et_read(c, buf + have, ET_RESP_MAX - have);
		if (r <= 0)
			return -1;
		have += (size_t)r;
		if (end == NULL && have >= 4 && (end = memmem(buf, have, "\r\n\r\n", 4)) != NULL) {
			const char *cl = memmem(buf, (size_t)(end - buf), "\r\nContent-Length:", 17);

			if (cl == NULL || sscanf(buf, "HTTP/1.1 %d", &status) != 1)
				return -1;
			need = (size_t)(end + 4 - buf) + strtoul(cl + 17, NULL, 10);
		}
	}
}

static int
et_connect(const char *host, const char *port, SSL_CTX *ctx, struct et_conn *c)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	struct timeval tv = { ET_TIMEOUT_S, 0 };
	int one = 1;

	c->ssl = NULL;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	c->fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (c->fd < 0 || connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (ctx == NULL)
		return 0;
	if ((c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_connect(c->ssl) != 1)
		return -1;
	return 0;
}

static int
et_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL, *label[ET_PATHS_MAX], *path[ET_PATHS_MAX];
	int rounds = 2000, warmup = 200, n, opt, status[ET_PATHS_MAX] = { 0 };
	double *t[ET_PATHS_MAX];
	SSL_CTX *ctx = NULL;
	struct et_conn c;
	static char buf[ET_RESP_MAX];

	while ((opt = getopt(argc, argv, "n:w:C:K:")) != -1) {
		switch (opt) {
		case 'n': rounds = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'C': cert = optarg; break;
		case 'K': key = optarg; break;
		default: goto usage;
		}
	}
	n = argc - optind - 2;
	if (n < 1 || n > ET_PATHS_MAX || rounds < 1 || warmup < 0 || (cert == NULL) != (key == NULL))
		goto usage;
	for (int i = 0; i < n; i++) {
		char *a = argv[optind + 2 + i], *eq = strchr(a, '=');

		if (eq == NULL)
			goto usage;
		*eq = '\0';
		label[i] = a;
		path[i] = eq + 1;
		if ((t[i] = calloc((size_t)rounds, sizeof(double))) == NULL)
			return 1;
	}
	if (cert != NULL) {
		if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
		    SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
			ERR_print_errors_fp(stderr);
			return 2;
		}
	}
	if (et_connect(argv[optind], argv[optind + 1], ctx, &c) < 0) {
		fprintf(stderr, "enum_timing: cannot connect to %s:%s\n", argv[optind],
			argv[optind + 1]);
		return 1;
	}
	srand(13);
	for (int r = 0; r < warmup + rounds; r++) {
		int order[ET_PATHS_MAX];

		for (int i = 0; i < n; i++)
			order[i] = i;
		for (int i = n - 1; i > 0; i--) {
			int j = rand() % (i + 1), x = order[i];

			order[i] = order[j];
			order[j] = x;
		}
		for (int o = 0; o < n; o++) {
			int i = order[o];
			char req[1024];
			int len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
					   "User-Agent: enum_timing\r\n\r\n", path[i], argv[optind]);
			struct timespec a, b;
			int st;

			clock_gettime(CLOCK_MONOTONIC, &a);
			if (len < 0 || (size_t)len >= sizeof(req) ||
			    et_write(&c, req, (size_t)len) < 0 || (st = et_response(&c, buf)) < 0) {
				fprintf(stderr, "enum_timing: %s: the connection failed\n", path[i]);
				return 1;
			}
			clock_gettime(CLOCK_MONOTONIC, &b);
			status[i] = st;
			if (r >= warmup)
				t[i][r - warmup] = (double)(b.tv_sec - a.tv_sec) * 1e6 +
					(double)(b.tv_nsec - a.tv_nsec) / 1e3;
		}
	}
	for (int i = 0; i < n; i++) {
		qsort(t[i], (size_t)rounds, sizeof(double), et_cmp);
		printf("%s status=%d n=%d median_us=%.1f p90_us=%.1f\n", label[i], status[i], rounds,
		       t[i][rounds / 2], t[i][rounds * 9 / 10]);
		free(t[i]);
	}
	if (c.ssl != NULL)
		SSL_free(c.ssl);
	close(c.fd);
	SSL_CTX_free(ctx);
	return 0;
usage:
	fprintf(stderr, "usage: enum_timing [-n ROUNDS] [-w WARMUP] [-C CERT -K KEY] HOST PORT"
		" LABEL=PATH ...\n");
	return 2;
}
