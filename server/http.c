/*
 * http: the HTTP/1.1 and HTTPS server of one worker. See http.h.
 *
 * Design. Each connection is a small state machine on srv->loop:
 *
 *   HANDSHAKE (TLS only) -> READ -> SEND -> READ ... -> LINGER -> closed
 *
 * READ feeds the input buffer to the request layer (http_parse_*), which
 * copies what the server needs (the target, a few headers) into fixed
 * fields, so the input buffer stays small whatever the header bound. The
 * parser pauses after each message: pipelined requests wait in the input
 * buffer (and then in the kernel: nothing is read while a response is
 * being sent) until the response before them is out. SEND writes the
 * response head and body (sendfile(2) for plain files, SSL_write from a
 * read buffer over TLS), at most HTTP_SEND_BURST bytes per loop turn so a
 * fast reader cannot starve the others. LINGER half-closes and drains what
 * the client still sends, so an early answer (413, 503) is read by the
 * client instead of being destroyed by a reset.
 *
 * Time: one loop timer per connection, holding the current phase's
 * deadline: the header timeout (from the accept for the first request,
 * covering the TLS handshake; from the first byte for later ones), the body
 * timeout (between body bytes), the idle timeout (keep-alive wait) and the
 * send timeout (without progress). Moving a deadline later does not touch
 * the timer: when it fires early it re-arms itself for the real deadline,
 * which keeps the per-request cost at no timer operation at all.
 *
 * Caps: http_max_conns per worker and http_max_per_client per client
 * address. Over a cap a plain connection is answered a minimal 503 with
 * Connection: close; an HTTPS connection is closed at once (answering
 * would need a handshake, the cost a cap exists to avoid). Both count as
 * overload in the metrics.
 */
#define _GNU_SOURCE /* accept4, MSG_MORE */
#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <prov/prov.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "root.h"
#include "serve.h"
#include "store.h"
#include "tls.h"

#define HTTP_INBUF 4096u                  /* input buffer per connection */
#define HTTP_HEAD_MAX 1024u               /* response head (status line + headers) */
#define HTTP_TLS_CHUNK 16384u             /* file bytes per SSL_write: one TLS record */
#define HTTP_SENDFILE_CHUNK (256u * 1024u) /* bytes asked of one sendfile call */
#define HTTP_SEND_BURST (1024u * 1024u)   /* bytes written per connection per loop turn */
#define HTTP_READ_BURST (256u * 1024u)    /* bytes read per plain connection per turn */
#define HTTP_ACCEPT_BURST 256u            /* accepts per listener readiness */
#define HTTP_ACCEPT_PAUSE_MS 100          /* pause accepting when out of fds */
#define HTTP_LINGER_MS 1000               /* drain after the last response, at most */
#define HTTP_LINGER_MAX (256u * 1024u)    /* bytes discarded while lingering */
#define HTTP_REFUSED_MAX 64u              /* 503 answers in flight per worker */
#define HTTP_CLIENT_BUCKETS 1024u         /* per-client count hash buckets (power of 2) */
#define HTTP_METRICS_MIN (16u * 1024u)    /* first /metrics render buffer */
#define HTTP_METRICS_MAX (1024u * 1024u)  /* largest /metrics body */

/* ---- connections ------------------------------------------------------ */

enum conn_state { CS_HANDSHAKE, CS_READ, CS_SEND, CS_LINGER };
enum conn_after { AFTER_BODY, AFTER_NEXT, AFTER_CLOSE };

/* I/O results besides a byte count (> 0). */
#define IO_EOF 0
#define IO_WANT_READ (-1)
#define IO_WANT_WRITE (-2)
#define IO_ERROR (-3)

struct http_client {
	struct http_client *next;
	unsigned char addr[16];        /* IPv6, or IPv4-mapped */
	unsigned count;
};

/* A connection's loop timer. Closing a connection does not search the
 * loop's heap for it (loop_timer_del is linear, and a worker keeps a timer
 * per connection): the handle is orphaned (c = NULL) and freed when it
 * fires; http_free deletes the orphans still pending. */
struct http_timer {
	struct http_conn *c;           /* NULL: orphaned */
	struct http *h;
	struct http_timer *prev, *next; /* the orphans of h */
	uint64_t id;
	int64_t at;
};

struct http_upload {
	int fd;
	int existed;                   /* the name was there before: 204, not 201 */
	char tmp[ROOT_PATH_MAX];
	char name[ROOT_PATH_MAX + 1];
};

struct http_conn {
	struct http *h;
	struct http_conn *prev, *next;
	int fd;
	SSL *ssl;                      /* HTTPS, or NULL */
	enum conn_state state;
	unsigned watch;                /* events watched on the loop */
	struct http_client *cl;        /* NULL for a refused connection */
	int refused;                   /* over a cap: 503 then close */
	char client[64];               /* "ADDR:PORT" / "[ADDR6]:PORT" */
	const char *why;               /* reason of the coming close, for the log */
	/* the one timer */
	struct http_timer *tm;         /* armed timer, or NULL */
	int64_t deadline;
	const char *deadline_why;
	/* input */
	struct http_parse p;
	char in[HTTP_INBUF];
	size_t in_off, in_len;
	size_t read_burst;             /* bytes read this loop turn */
	size_t linger_bytes;           /* bytes discarded while lingering */
	unsigned nreq;                 /* requests answered */
	int req_started;               /* bytes of the current request seen */
	uint64_t t0_us;                /* the current request's first byte, monotonic */
	int64_t t0_wall_ms;
	struct http_upload *up;
	/* output */
	char *out;                     /* head and in-memory body */
	size_t out_len, out_off, head_len;
	int file_fd;                   /* body from a file, or -1 */
	uint64_t file_off, file_left;  /* next byte to read, bytes not yet read */
	char *tbuf;                    /* TLS: file bytes read, not yet written */
	size_t tbuf_len, tbuf_off;
	uint64_t body_sent;
	enum conn_after after;
	/* history of the request being answered */
	int rec;                       /* a final response is queued: record it */
	int status;
	int method;                    /* enum http_method, or -1 */
	/* TLS identity */
	int peer_ok;
	struct tls_peer peer;
};

struct http {
	struct srv *srv;
	int fd;
	int tls;
	int draining;
	int accepting;                 /* the listen fd is on the loop */
	uint64_t accept_timer;
	struct http_conn *conns;
	unsigned n_conns, n_served, n_refused;
	uint32_t seed;                 /* per-listener hash seed: chains stay short */
	struct http_timer *orphans;    /* timers of closed connections, pending */
	struct http_client *clients[HTTP_CLIENT_BUCKETS];
};

static void conn_close(struct http_conn *c);
static int conn_run(struct http_conn *c);

static uint64_t
http_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static enum metrics_proto
conn_proto(const struct http_conn *c)
{
	return c->h->tls ? METRICS_HTTPS : METRICS_HTTP;
}

static const struct config_limits *
conn_lim(const struct http_conn *c)
{
	return &c->h->srv->cfg->lim;
}

/* -- per-client counts -- */

static void
http_client_key(const struct sockaddr_storage *ss, unsigned char key[16])
{
	memset(key, 0, 16);
	if (ss->ss_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	} else if (ss->ss_family == AF_INET) {
		key[10] = 0xff;
		key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	}
}

static struct http_client **
http_client_slot(struct http *h, const unsigned char key[16])
{
	uint32_t x = 2166136261u ^ h->seed;
	struct http_client **pp;

	for (int i = 0; i < 16; i++)
		x = (x ^ key[i]) * 16777619u;
	pp = &h->clients[x & (HTTP_CLIENT_BUCKETS - 1)];
	while (*pp != NULL && memcmp((*pp)->addr, key, 16) != 0)
		pp = &(*pp)->next;
	return pp;
}

static void
http_client_put(struct http *h, struct http_client *cl)
{
	struct http_client **pp;

	if (cl == NULL || --cl->count > 0)
		return;
	pp = http_client_slot(h, cl->addr);
	*pp = cl->next;
	free(cl);
}

/* -- the timer -- */

static void
http_timer_orphan(struct http *h, struct http_timer *tm)
{
	tm->c = NULL;
	tm->prev = NULL;
	tm->next = h->orphans;
	if (h->orphans != NULL)
		h->orphans->prev = tm;
	h->orphans = tm;
}

static void
conn_timer_fired(void *arg)
{
	struct http_timer *tm = arg;
	struct http_conn *c = tm->c;
	struct loop *l;

	if (c == NULL) {
		/* Orphaned: unlink from the listener's list (the listener is
		 * alive: http_free deletes every pending orphan). */
		if (tm->prev != NULL)
			tm->prev->next = tm->next;
		else
			tm->h->orphans = tm->next;
		if (tm->next != NULL)
			tm->next->prev = tm->prev;
		free(tm);
		return;
	}
	l = c->h->srv->loop;
	if (loop_now(l) < c->deadline) {
		tm->at = c->deadline;
		tm->id = loop_timer_add(l, tm->at, conn_timer_fired, tm);
		if (tm->id != 0)
			return;
		c->why = "out of memory (timer)";
	} else {
		c->why = c->deadline_why;
		if (c->state == CS_HANDSHAKE)
			METRIC_ADD(c->h->srv->metrics->tls_failures, 1);
	}
	c->tm = NULL;
	free(tm);
	conn_close(c);
}

/* Sets the current phase's deadline, ms from now. */
static int
conn_deadline(struct http_conn *c, unsigned ms, const char *why)
{
	struct loop *l = c->h->srv->loop;
	int64_t at = loop_now(l) + (int64_t)ms;
	struct http_timer *tm;

	c->deadline = at;
	c->deadline_why = why;
	if (c->tm != NULL && c->tm->at <= at)
		return 0; /* fires first, then re-arms for the deadline */
	if (c->tm != NULL)
		http_timer_orphan(c->h, c->tm);
	c->tm = NULL;
	tm = calloc(1, sizeof(*tm));
	if (tm != NULL) {
		tm->c = c;
		tm->h = c->h;
		tm->at = at;
		tm->id = loop_timer_add(l, at, conn_timer_fired, tm);
		if (tm->id == 0) {
			free(tm);
			tm = NULL;
		}
	}
	if (tm == NULL) {
		c->why = "out of memory (timer)";
		return -1;
	}
	c->tm = tm;
	return 0;
}

/* -- I/O -- */

static void
conn_event(void *arg, int fd, unsigned events)
{
	struct http_conn *c = arg;

	(void)fd;
	(void)events;
	c->read_burst = 0;
	if (conn_run(c) < 0)
		conn_close(c);
}

/* Waits for events; returns 0 (blocked), or -1. */
static int
conn_watch(struct http_conn *c, unsigned events)
{
	if (c->watch == events)
		return 0;
	if (loop_fd(c->h->srv->loop, c->fd, events, conn_event, c) != 0) {
		c->why = "cannot watch the socket";
		return -1;
	}
	c->watch = events;
	return 0;
}

static long
conn_ssl_result(struct http_conn *c, int n)
{
	switch (SSL_get_error(c->ssl, n)) {
	case SSL_ERROR_WANT_READ:
		return IO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return IO_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return IO_EOF;
	default:
		c->why = "TLS error";
		return IO_ERROR;
	}
}

static long
conn_recv(struct http_conn *c, char *buf, size_t len)
{
	if (c->ssl != NULL) {
		int n;

		ERR_clear_error();
		n = SSL_read(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
		return n > 0 ? n : conn_ssl_result(c, n);
	}
	for (;;) {
		ssize_t n = recv(c->fd, buf, len, 0);

		if (n >= 0)
			return (long)n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return IO_WANT_READ;
		c->why = "read error";
		return IO_ERROR;
	}
}

static long
conn_xmit(struct http_conn *c, const char *buf, size_t len, int more)
{
	if (c->ssl != NULL) {
		int n;

		ERR_clear_error();
		n = SSL_write(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
		return n > 0 ? n : conn_ssl_result(c, n);
	}
	for (;;) {
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL | (more ? MSG_MORE : 0));

		if (n >= 0)
			return (long)n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return IO_WANT_WRITE;
		c->why = "write error";
		return IO_ERROR;
	}
}

/* Blocked on a WANT: watch for it. */
static int
conn_wait(struct http_conn *c, long io)
{
	return conn_watch(c, io == IO_WANT_WRITE ? LOOP_OUT : LOOP_IN);
}

/* -- the history -- */

static const char *
conn_method_str(const struct http_conn *c)
{
	return c->method < 0 ? NULL : http_method_str((enum http_method)c->method);
}

/* Records the request answered (metrics and history), once. */
static void
conn_record(struct http_conn *c)
{
	struct srv *srv = c->h->srv;
	char dpath[ROOT_PATH_MAX + 1], path[STORE_FIELD_MAX], ua[STORE_FIELD_MAX];
	char mac[13] = "";
	const char *src = c->p.url;
	size_t srclen = c->p.url_len;
	struct store_req r;
	uint64_t us = http_mono_us() - c->t0_us;
	long n;

	if (!c->rec)
		return;
	c->rec = 0;
	metrics_request(srv->metrics, conn_proto(c), c->status, us);
	n = c->refused ? -1 : http_url_path(c->p.url, c->p.url_len, dpath, sizeof(dpath));
	if (n >= 0) {
		src = dpath;
		srclen = (size_t)n;
	}
	serve_escape(src, srclen, path, sizeof(path));
	serve_escape(c->p.field[HTTP_F_USER_AGENT], c->p.field_len[HTTP_F_USER_AGENT], ua,
		     sizeof(ua));
	if (!serve_find_mac(src, srclen, mac) &&
	    !serve_find_mac(c->p.field[HTTP_F_USER_AGENT], c->p.field_len[HTTP_F_USER_AGENT],
			    mac) && c->peer_ok && c->peer.mac[0] != '\0')
		memcpy(mac, c->peer.mac, sizeof(mac));
	memset(&r, 0, sizeof(r));
	r.time_ms = c->t0_wall_ms;
	r.client = c->client;
	r.proto = c->ssl != NULL || c->h->tls ? "https" : "http";
	r.method = conn_method_str(c);
	r.path = c->refused ? NULL : path;
	r.user_agent = c->p.field_seen[HTTP_F_USER_AGENT] ? ua : NULL;
	r.mac = mac[0] != '\0' ? mac : NULL;
	r.subject = c->peer_ok ? c->peer.subject : NULL;
	r.status = c->status;
	r.bytes = c->up != NULL || c->method == HTTP_PUT || c->method == HTTP_POST ?
		c->p.body_seen : c->body_sent;
	r.duration_us = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	store_request(srv->store, &r);
	if (log_enabled(LOG_DEBUG))
		log_msg(LOG_DEBUG, "http: %s %s %s -> %d (%llu bytes, %llu us)", c->client,
			r.method != NULL ? r.method : "-", path, c->status,
			(unsigned long long)r.bytes, (unsigned long long)us);
}

/* -- responses -- */

static const char *
http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* Whether the connection stays open after the response now being made. */
static int
conn_keep(const struct http_conn *c)
{
	const struct config_limits *lim = conn_lim(c);

	return !c->refused && c->p.phase == 2 && c->p.status == 0 &&
	    http_should_keep_alive(&c->p.hp) && !c->p.hp.upgrade &&
	    (lim->http_keepalive_max == 0 || c->nreq + 1 < lim->http_keepalive_max) &&
	    !c->h->draining && !c->h->srv->draining;
}

/* The Date header's value: formatted once a second, not per response
 * (one worker, one thread: a static cache is enough). */
static void
http_date_now(char date[30])
{
	static int64_t cached_s = -1;
	static char cached[30];
	int64_t now = serve_wall_ms() / 1000;

	if (now != cached_s) {
		http_date_format(now, cached);
		cached_s = now;
	}
	memcpy(date, cached, 30);
}

/*
 * Queues a response and switches to CS_SEND. clen is the Content-Length
 * (of body, or of the file body the caller put in c->file_*); extra is
 * more header lines, each ending in CRLF. A HEAD request gets the same
 * head and no body. Status 100 is interim: the request's body follows.
 * Returns 1 (state changed), or -1.
 */
static int
conn_respond(struct http_conn *c, int status, const char *ctype, uint64_t clen,
	     const char *extra, const char *body, size_t blen)
{
	char date[30];
	int interim = status == 100, keep = 0, n;
	int nobody = c->method == HTTP_HEAD || status == 304 || status == 204 || interim;
	size_t inline_file = 0;

	/* Over TLS a small file goes out in the same SSL_write as the head:
	 * one record and one write(2) per response instead of two. */
	if (c->ssl != NULL && !nobody && c->file_fd >= 0 && c->file_left > 0 &&
	    c->file_left <= HTTP_TLS_CHUNK && blen == 0)
		inline_file = (size_t)c->file_left;
	free(c->out);
	c->out = malloc(HTTP_HEAD_MAX + (nobody ? 0 : blen) + inline_file);
	if (c->out == NULL) {
		c->why = "out of memory (response)";
		return -1;
	}
	if (interim) {
		n = snprintf(c->out, HTTP_HEAD_MAX, "HTTP/1.1 100 Continue\r\n\r\n");
	} else {
		keep = conn_keep(c);
		http_date_now(date);
		n = snprintf(c->out, HTTP_HEAD_MAX,
			     "HTTP/1.1 %d %s\r\nServer: prov/%s\r\nDate: %s\r\n%s%s%s",
			     status, http_reason(status), prov_version(), date,
			     ctype != NULL ? "Content-Type: " : "", ctype != NULL ? ctype : "",
			     ctype != NULL ? "\r\n" : "");
		if (n > 0 && (size_t)n < HTTP_HEAD_MAX && status != 304 && status != 204)
			n += snprintf(c->out + n, HTTP_HEAD_MAX - (size_t)n,
				      "Content-Length: %llu\r\n", (unsigned long long)clen);
		if (n > 0 && (size_t)n < HTTP_HEAD_MAX)
			n += snprintf(c->out + n, HTTP_HEAD_MAX - (size_t)n,
				      "Connection: %s\r\n%s\r\n", keep ? "keep-alive" : "close",
				      extra != NULL ? extra : "");
	}
	if (n <= 0 || (size_t)n >= HTTP_HEAD_MAX) {
		c->why = "response head too long";
		return -1;
	}
	c->head_len = (size_t)n;
	c->out_len = (size_t)n;
	c->out_off = 0;
	if (!nobody && blen > 0) {
		memcpy(c->out + c->out_len, body, blen);
		c->out_len += blen;
	}
	while (inline_file > 0) {
		ssize_t r = pread(c->file_fd, c->out + c->out_len, inline_file,
				  (off_t)c->file_off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			c->why = r == 0 ? "file shrank while sending" : "read failed";
			return -1;
		}
		c->out_len += (size_t)r;
		c->file_off += (uint64_t)r;
		c->file_left -= (uint64_t)r;
		inline_file -= (size_t)r;
	}
	if (nobody && c->file_fd >= 0) {
		close(c->file_fd);
		c->file_fd = -1;
		c->file_left = 0;
	}
	c->body_sent = 0;
	if (interim) {
		c->after = AFTER_BODY;
	} else {
		c->after = keep ? AFTER_NEXT : AFTER_CLOSE;
		c->status = status;
		c->rec = 1;
	}
	c->state = CS_SEND;
	if (conn_deadline(c, conn_lim(c)->http_send_timeout_ms, "send timeout") != 0)
		return -1;
	return 1;
}

/* A short text answer ("404 Not Found\n"). */
static int
conn_error(struct http_conn *c, int status, const char *why, const char *extra)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, http_reason(status));

	if (why != NULL && log_enabled(LOG_DEBUG))
		log_msg(LOG_DEBUG, "http: %s: %d: %s", c->client, status, why);
	return conn_respond(c, status, "text/plain", (uint64_t)n, extra, body, (size_t)n);
}

static const char *
http_ctype(const char *path, size_t len)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ "xml", "application/xml" },
		{ "cfg", "text/plain" },
		{ "txt", "text/plain" },
		{ "loads", "application/octet-stream" },
		{ "bin", "application/octet-stream" },
		{ "sbn", "application/octet-stream" },
		{ "pem", "application/x-pem-file" },
	};
	size_t i = len;

	while (i > 0 && path[i - 1] != '.' && path[i - 1] != '/')
		i--;
	if (i > 0 && path[i - 1] == '.') {
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
			if (strlen(types[t].ext) == len - i &&
			    strncasecmp(types[t].ext, path + i, len - i) == 0)
				return types[t].type;
	}
	return "application/octet-stream";
}

/* The status for a root_open / root_upload_open failure. */
static int
http_root_status(struct http_conn *c, int err)
{
	switch (-err) {
	case ENOENT:
	case ENOTDIR:
		return 404;
	case EXDEV:
		METRIC_ADD(c->h->srv->metrics->traversal_refused, 1);
		log_msg(LOG_INFO, "http: %s: %s: path refused: %s", c->client,
			c->method >= 0 ? conn_method_str(c) : "-", root_strerror(err));
		return 403;
	case EACCES:
	case EPERM:
	case EISDIR:
	case ELOOP:
		return 403;
	case EINVAL:
	case ENAMETOOLONG:
		return 400;
	default:
		return 500;
	}
}

static int
conn_metrics(struct http_conn *c)
{
	size_t cap = HTTP_METRICS_MIN, n = 0;
	char *buf = NULL;
	int rc;

	while (cap <= HTTP_METRICS_MAX) {
		char *nb = realloc(buf, cap);

		if (nb == NULL)
			break;
		buf = nb;
		n = metrics_render(c->h->srv->metrics, buf, cap);
		if (n > 0)
			break;
		cap *= 2;
	}
	if (n == 0) {
		free(buf);
		return conn_error(c, 500, "metrics do not fit", NULL);
	}
	rc = conn_respond(c, 200, "text/plain; version=0.0.4", n, NULL, buf, n);
	free(buf);
	return rc;
}

/* GET and HEAD. */
static int
conn_get(struct http_conn *c)
{
	char path[ROOT_PATH_MAX + 1], etag[80], lastmod[30], extra[256];
	const struct http_parse *p = &c->p;
	struct stat st;
	uint64_t size, first = 0, last = 0, mtime_ns;
	int fd, status = 200;
	long n = http_url_path(p->url, p->url_len, path, sizeof(path));

	if (n == -414)
		return conn_error(c, 414, "path too long", NULL);
	if (n < 0)
		return conn_error(c, 400, "malformed path", NULL);
	if (strcmp(path, "/healthz") == 0) {
		const struct srv *srv = c->h->srv;
		const char *why = root_health(srv->root_fd, srv->cfg->root);
		char body[96];

		if (c->h->draining || srv->draining)
			why = "draining";
		if (why == NULL)
			return conn_respond(c, 200, "text/plain", 3, NULL, "ok\n", 3);
		n = snprintf(body, sizeof(body), "%s\n", why);
		return conn_respond(c, 503, "text/plain", (uint64_t)n, NULL, body, (size_t)n);
	}
	if (strcmp(path, "/metrics") == 0)
		return conn_metrics(c);
	if (strspn(path, "/") == (size_t)n)
		return conn_error(c, 403, "directory", NULL); /* the root itself */
	fd = root_open(c->h->srv->root_fd, path, (size_t)n, &st);
	if (fd < 0) {
		int status_err = http_root_status(c, fd);

		return conn_error(c, status_err, root_strerror(fd), NULL);
	}
	size = (uint64_t)st.st_size;
	mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	/* Strong: a file is replaced by rename (new inode) or rewritten (new
	 * mtime); the three together name one content. */
	snprintf(etag, sizeof(etag), "\"%llx-%llx-%llx\"", (unsigned long long)st.st_ino,
		 (unsigned long long)size, (unsigned long long)mtime_ns);
	http_date_format((int64_t)st.st_mtim.tv_sec, lastmod);

	/* Conditionals (RFC 7232 6): If-None-Match wins over If-Modified-Since. */
	if (p->field_seen[HTTP_F_IF_NONE_MATCH]) {
		if (!p->field_trunc[HTTP_F_IF_NONE_MATCH] &&
		    http_etag_match(p->field[HTTP_F_IF_NONE_MATCH],
				    p->field_len[HTTP_F_IF_NONE_MATCH], etag))
			status = 304;
	} else if (p->field_seen[HTTP_F_IF_MODIFIED_SINCE]) {
		int64_t ims;

		if (!p->field_trunc[HTTP_F_IF_MODIFIED_SINCE] &&
		    http_date_parse(p->field[HTTP_F_IF_MODIFIED_SINCE],
				    p->field_len[HTTP_F_IF_MODIFIED_SINCE], &ims) == 0 &&
		    (int64_t)st.st_mtim.tv_sec <= ims)
			status = 304;
	}
	if (status == 304) {
		close(fd);
		snprintf(extra, sizeof(extra), "ETag: %s\r\nLast-Modified: %s\r\n", etag, lastmod);
		return conn_respond(c, 304, NULL, 0, extra, NULL, 0);
	}

	/* One range for GET; If-Range must name this very content. */
	if (c->method == HTTP_GET && p->field_seen[HTTP_F_RANGE]) {
		int use = 1;

		if (p->field_seen[HTTP_F_IF_RANGE]) {
			const char *v = p->field[HTTP_F_IF_RANGE];

			use = !p->field_trunc[HTTP_F_IF_RANGE] &&
			    (strcmp(v, etag) == 0 || strcmp(v, lastmod) == 0);
		}
		if (use) {
			status = p->field_trunc[HTTP_F_RANGE] ? 416 :
				http_range(p->field[HTTP_F_RANGE], p->field_len[HTTP_F_RANGE],
					   size, &first, &last);
			if (status == 0)
				status = 200;
		}
		if (status == 416) {
			close(fd);
			snprintf(extra, sizeof(extra), "Content-Range: bytes */%llu\r\n",
				 (unsigned long long)size);
			return conn_error(c, 416, "range not satisfiable", extra);
		}
	}
	if (status == 206) {
		snprintf(extra, sizeof(extra),
			 "ETag: %s\r\nLast-Modified: %s\r\nAccept-Ranges: bytes\r\n"
			 "Content-Range: bytes %llu-%llu/%llu\r\n", etag, lastmod,
			 (unsigned long long)first, (unsigned long long)last,
			 (unsigned long long)size);
		c->file_off = first;
		c->file_left = last - first + 1;
	} else {
		snprintf(extra, sizeof(extra),
			 "ETag: %s\r\nLast-Modified: %s\r\nAccept-Ranges: bytes\r\n",
			 etag, lastmod);
		c->file_off = 0;
		c->file_left = size;
	}
	c->file_fd = fd;
	return conn_respond(c, status, http_ctype(path, (size_t)n), c->file_left, extra,
			    NULL, 0);
}

/* Body bytes of an upload go to its file; of any other request, nowhere. */
static int
conn_on_body(void *arg, const char *buf, size_t len)
{
	struct http_conn *c = arg;

	METRIC_ADD(c->h->srv->metrics->bytes_received[conn_proto(c)], (uint64_t)len);
	while (c->up != NULL && len > 0) {
		ssize_t n = write(c->up->fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_msg(LOG_WARNING, "http: %s: upload %s: %s", c->client, c->up->name,
				n < 0 ? strerror(errno) : "short write");
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
conn_upload_abort(struct http_conn *c)
{
	if (c->up == NULL)
		return;
	root_upload_abort(c->h->srv->upload_fd, c->up->fd, c->up->tmp);
	free(c->up);
	c->up = NULL;
}

/* PUT and POST, once the headers are in: open the upload. */
static int
conn_upload_start(struct http_conn *c)
{
	char path[ROOT_PATH_MAX + 1];
	struct srv *srv = c->h->srv;
	struct stat st;
	const char *name;
	long n;
	int fd;

	if (srv->upload_fd < 0)
		return conn_error(c, 403, "uploads are not configured", NULL);
	n = http_url_path(c->p.url, c->p.url_len, path, sizeof(path));
	if (n == -414)
		return conn_error(c, 414, "path too long", NULL);
	if (n < 0)
		return conn_error(c, 400, "malformed path", NULL);
	/* Uploads are flat: the last path component names the file. */
	name = strrchr(path, '/');
	name = name != NULL ? name + 1 : path;
	if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return conn_error(c, 400, "no file name", NULL);
	c->up = calloc(1, sizeof(*c->up));
	if (c->up == NULL)
		return conn_error(c, 500, "out of memory", NULL);
	c->up->existed = fstatat(srv->upload_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
	fd = root_upload_open(srv->upload_fd, name, strlen(name), c->up->tmp);
	if (fd < 0) {
		free(c->up);
		c->up = NULL;
		return conn_error(c, http_root_status(c, fd), root_strerror(fd), NULL);
	}
	c->up->fd = fd;
	snprintf(c->up->name, sizeof(c->up->name), "%s", name);
	if (c->p.field_seen[HTTP_F_EXPECT] &&
	    strcasecmp(c->p.field[HTTP_F_EXPECT], "100-continue") == 0)
		return conn_respond(c, 100, NULL, 0, NULL, NULL, 0);
	return 0;
}

static int
conn_upload_finish(struct http_conn *c)
{
	struct http_upload *up = c->up;
	int rc, existed;

	c->up = NULL;
	existed = up->existed;
	rc = root_upload_commit(c->h->srv->upload_fd, up->fd, up->tmp, up->name);
	if (rc != 0)
		log_msg(LOG_WARNING, "http: %s: upload %s: %s", c->client, up->name,
			strerror(-rc));
	else
		log_msg(LOG_INFO, "http: %s: stored upload %s (%llu bytes)", c->client,
			up->name, (unsigned long long)c->p.body_seen);
	free(up);
	if (rc != 0)
		return conn_error(c, 500, "upload not stored", NULL);
	return conn_respond(c, existed ? 204 : 201, NULL, 0, NULL, NULL, 0);
}

/* The header block is in: refuse early, or get ready for the body.
 * Returns 0 to go on reading, 1 when a response was queued, -1. */
static int
conn_headers(struct http_conn *c)
{
	c->method = (int)c->p.hp.method;
	switch (c->method) {
	case HTTP_GET:
	case HTTP_HEAD:
		break;
	case HTTP_PUT:
	case HTTP_POST: {
		int rc = conn_upload_start(c);

		if (rc != 0)
			return rc;
		break;
	}
	default:
		return conn_error(c, 405, "method not allowed",
				  "Allow: GET, HEAD, PUT, POST\r\n");
	}
	if (conn_deadline(c, conn_lim(c)->http_body_timeout_ms, "body timeout") != 0)
		return -1;
	return 0;
}

/* The request is complete: answer it. */
static int
conn_done(struct http_conn *c)
{
	if (c->method == HTTP_PUT || c->method == HTTP_POST)
		return conn_upload_finish(c);
	return conn_get(c);
}

/* Parses what is buffered. Returns 0 (needs input), 1 (state changed), -1. */
static int
conn_process(struct http_conn *c)
{
	while (c->in_off < c->in_len && c->state == CS_READ) {
		size_t used = 0;
		enum http_parse_ev ev;
		int rc = 0;

		if (!c->req_started) {
			c->req_started = 1;
			c->method = -1;
			c->t0_us = http_mono_us();
			c->t0_wall_ms = serve_wall_ms();
			if (c->nreq > 0 && conn_deadline(c, conn_lim(c)->http_header_timeout_ms,
							 "header timeout") != 0)
				return -1;
		}
		ev = http_parse_feed(&c->p, c->in + c->in_off, c->in_len - c->in_off, &used);
		c->in_off += used;
		switch (ev) {
		case HTTP_PARSE_MORE:
			break;
		case HTTP_PARSE_HEADERS:
			rc = conn_headers(c);
			break;
		case HTTP_PARSE_DONE:
			rc = conn_done(c);
			break;
		case HTTP_PARSE_ERROR:
			if (c->method < 0 && c->p.url_len > 0)
				c->method = (int)c->p.hp.method; /* the request line was read */
			conn_upload_abort(c);
			rc = conn_error(c, c->p.status, c->p.reason, NULL);
			break;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
conn_read(struct http_conn *c)
{
	for (;;) {
		long n;
		int rc = conn_process(c);

		if (rc != 0)
			return rc;
		if (c->in_off > 0) {
			memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
			c->in_len -= c->in_off;
			c->in_off = 0;
		}
		if (c->in_len == sizeof(c->in)) {
			c->why = "input not consumed";
			return -1;
		}
		if (c->ssl == NULL && c->read_burst >= HTTP_READ_BURST)
			return conn_watch(c, LOOP_IN); /* still readable: next turn */
		n = conn_recv(c, c->in + c->in_len, sizeof(c->in) - c->in_len);
		if (n > 0) {
			c->in_len += (size_t)n;
			c->read_burst += (size_t)n;
			if (c->p.phase == 1 &&
			    conn_deadline(c, conn_lim(c)->http_body_timeout_ms, "body timeout") != 0)
				return -1;
			continue;
		}
		if (n == IO_EOF) {
			c->why = c->req_started ? "client closed mid-request" : NULL;
			return -1;
		}
		if (n == IO_ERROR)
			return -1;
		return conn_wait(c, n);
	}
}

/* Writes the queued response. Returns 0 (blocked), 1 (sent, state
 * changed), -1. */
static int
conn_send(struct http_conn *c)
{
	struct metrics *m = c->h->srv->metrics;
	enum metrics_proto proto = conn_proto(c);
	size_t burst = 0;
	long n;

	while (c->out_off < c->out_len) {
		n = conn_xmit(c, c->out + c->out_off, c->out_len - c->out_off, c->file_left > 0);
		if (n <= 0)
			return n == IO_ERROR || n == IO_EOF ? -1 : conn_wait(c, n);
		if (c->out_off + (size_t)n > c->head_len) {
			size_t body = c->out_off + (size_t)n -
				(c->out_off > c->head_len ? c->out_off : c->head_len);

			c->body_sent += body;
			METRIC_ADD(m->bytes_sent[proto], (uint64_t)body); /* payload only */
		}
		c->out_off += (size_t)n;
		burst += (size_t)n;
		if (conn_deadline(c, conn_lim(c)->http_send_timeout_ms, "send timeout") != 0)
			return -1;
	}
	while (c->file_left > 0 || c->tbuf_off < c->tbuf_len) {
		if (burst >= HTTP_SEND_BURST)
			return conn_watch(c, LOOP_OUT); /* still writable: next turn */
		if (c->ssl == NULL) {
			off_t off = (off_t)c->file_off;
			ssize_t s = sendfile(c->fd, c->file_fd, &off,
					     c->file_left < HTTP_SENDFILE_CHUNK ?
					     (size_t)c->file_left : HTTP_SENDFILE_CHUNK);

			if (s < 0 && errno == EINTR)
				continue;
			if (s < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return conn_watch(c, LOOP_OUT);
			if (s <= 0) {
				c->why = s == 0 ? "file shrank while sending" : "sendfile failed";
				return -1;
			}
			n = s;
			c->file_off += (uint64_t)s;
			c->file_left -= (uint64_t)s;
		} else {
			if (c->tbuf_off == c->tbuf_len) {
				ssize_t r;

				if (c->tbuf == NULL && (c->tbuf = malloc(HTTP_TLS_CHUNK)) == NULL) {
					c->why = "out of memory (TLS buffer)";
					return -1;
				}
				r = pread(c->file_fd, c->tbuf, c->file_left < HTTP_TLS_CHUNK ?
					  (size_t)c->file_left : HTTP_TLS_CHUNK, (off_t)c->file_off);
				if (r < 0 && errno == EINTR)
					continue;
				if (r <= 0) {
					c->why = r == 0 ? "file shrank while sending" : "read failed";
					return -1;
				}
				c->tbuf_off = 0;
				c->tbuf_len = (size_t)r;
				c->file_off += (uint64_t)r;
				c->file_left -= (uint64_t)r;
			}
			n = conn_xmit(c, c->tbuf + c->tbuf_off, c->tbuf_len - c->tbuf_off, 0);
			if (n <= 0)
				return n == IO_ERROR || n == IO_EOF ? -1 : conn_wait(c, n);
			c->tbuf_off += (size_t)n;
		}
		c->body_sent += (uint64_t)n;
		burst += (size_t)n;
		METRIC_ADD(m->bytes_sent[proto], (uint64_t)n);
		if (conn_deadline(c, conn_lim(c)->http_send_timeout_ms, "send timeout") != 0)
			return -1;
	}

	/* All out. */
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = c->head_len = 0;
	if (c->file_fd >= 0)
		close(c->file_fd);
	c->file_fd = -1;
	free(c->tbuf);
	c->tbuf = NULL;
	c->tbuf_len = c->tbuf_off = 0;
	switch (c->after) {
	case AFTER_BODY:
		c->state = CS_READ;
		if (conn_deadline(c, conn_lim(c)->http_body_timeout_ms, "body timeout") != 0)
			return -1;
		return 1;
	case AFTER_NEXT:
		conn_record(c);
		c->nreq++;
		c->req_started = 0;
		http_parse_next(&c->p);
		c->state = CS_READ;
		if (c->in_off == c->in_len &&
		    conn_deadline(c, conn_lim(c)->http_idle_timeout_ms, NULL) != 0)
			return -1;
		return 1;
	case AFTER_CLOSE:
		break;
	}
	conn_record(c);
	/* Half-close and drain (see the top of the file). */
	if (c->ssl != NULL) {
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl); /* close_notify, best effort */
	}
	shutdown(c->fd, SHUT_WR);
	/* A lingering connection has had its answer: it no longer counts
	 * against its client's cap, or clients closing after every request
	 * would be refused while the previous ones drain. */
	if (!c->refused) {
		http_client_put(c->h, c->cl);
		c->cl = NULL;
	}
	c->state = CS_LINGER;
	c->in_len = c->in_off = 0;
	c->linger_bytes = 0;
	if (conn_deadline(c, HTTP_LINGER_MS, NULL) != 0)
		return -1;
	return 1;
}

/* Discards what the client still sends until it closes. */
static int
conn_linger(struct http_conn *c)
{
	char buf[4096];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return conn_watch(c, LOOP_IN);
		if (n <= 0)
			return -1;
		c->linger_bytes += (size_t)n;
		if (c->linger_bytes > HTTP_LINGER_MAX)
			return -1;
	}
}

static int
conn_handshake(struct http_conn *c)
{
	struct metrics *m = c->h->srv->metrics;
	int n;

	ERR_clear_error();
	n = SSL_accept(c->ssl);
	if (n == 1) {
		METRIC_ADD(m->tls_handshakes, 1);
		if (SSL_session_reused(c->ssl))
			METRIC_ADD(m->tls_resumed, 1);
		c->peer_ok = tls_peer(c->ssl, &c->peer);
		c->state = CS_READ;
		return 1;
	}
	switch (SSL_get_error(c->ssl, n)) {
	case SSL_ERROR_WANT_READ:
		return conn_watch(c, LOOP_IN);
	case SSL_ERROR_WANT_WRITE:
		return conn_watch(c, LOOP_OUT);
	default:
		METRIC_ADD(m->tls_failures, 1);
		if (log_enabled(LOG_INFO)) {
			char err[160];
			unsigned long e = ERR_peek_last_error();

			if (e != 0)
				ERR_error_string_n(e, err, sizeof(err));
			else
				snprintf(err, sizeof(err), "connection closed");
			log_msg(LOG_INFO, "http: %s: TLS handshake failed: %s", c->client, err);
		}
		c->why = NULL;
		return -1;
	}
}

static int
conn_run(struct http_conn *c)
{
	for (;;) {
		int rc;

		switch (c->state) {
		case CS_HANDSHAKE:
			rc = conn_handshake(c);
			break;
		case CS_READ:
			rc = conn_read(c);
			break;
		case CS_SEND:
			rc = conn_send(c);
			break;
		case CS_LINGER:
			rc = conn_linger(c);
			break;
		default:
			rc = -1;
			break;
		}
		if (rc <= 0)
			return rc;
	}
}

static void
conn_close(struct http_conn *c)
{
	struct http *h = c->h;
	struct loop *l = h->srv->loop;

	if (c->why != NULL && log_enabled(LOG_DEBUG))
		log_msg(LOG_DEBUG, "http: %s: closed: %s", c->client, c->why);
	conn_record(c);
	conn_upload_abort(c);
	if (c->tm != NULL)
		http_timer_orphan(h, c->tm);
	if (c->watch != 0)
		loop_fd(l, c->fd, 0, NULL, NULL);
	SSL_free(c->ssl);
	close(c->fd);
	if (c->file_fd >= 0)
		close(c->file_fd);
	free(c->out);
	free(c->tbuf);
	if (c->refused) {
		h->n_refused--;
	} else {
		h->n_served--;
		METRIC_ADD(h->srv->metrics->active[h->tls ? METRICS_HTTPS : METRICS_HTTP], -1);
		http_client_put(h, c->cl);
	}
	h->n_conns--;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	free(c);
}

static void
http_client_text(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(out, cap, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(out, cap, "%s:%u", a, ntohs(s4->sin_port));
	} else {
		snprintf(out, cap, "unknown");
	}
}

/* A new connection: counted against the caps, or refused. */
static void
http_conn_new(struct http *h, int fd, const struct sockaddr_storage *ss)
{
	const struct config_limits *lim = &h->srv->cfg->lim;
	struct metrics *m = h->srv->metrics;
	unsigned char key[16];
	struct http_client **slot, *cl;
	struct http_conn *c;
	int over, one = 1;

	http_client_key(ss, key);
	slot = http_client_slot(h, key);
	cl = *slot;
	over = h->n_served >= lim->http_max_conns ||
	    (cl != NULL && cl->count >= lim->http_max_per_client);
	if (over) {
		METRIC_ADD(m->overload[h->tls ? METRICS_HTTPS : METRICS_HTTP], 1);
		if (h->tls || h->n_refused >= HTTP_REFUSED_MAX) {
			close(fd);
			return;
		}
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (!over && cl == NULL && (cl = calloc(1, sizeof(*cl))) == NULL)) {
		log_msg(LOG_WARNING, "http: out of memory for a connection");
		free(c);
		close(fd);
		return;
	}
	c->h = h;
	c->fd = fd;
	c->file_fd = -1;
	c->method = -1;
	http_client_text(ss, c->client, sizeof(c->client));
	http_parse_init(&c->p, lim->http_header_max, lim->http_body_max, conn_on_body, c);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->next = h->conns;
	if (h->conns != NULL)
		h->conns->prev = c;
	h->conns = c;
	h->n_conns++;
	if (over) {
		c->refused = 1;
		h->n_refused++;
		c->state = CS_READ;
		c->t0_us = http_mono_us();
		c->t0_wall_ms = serve_wall_ms();
		log_msg(LOG_INFO, "http: %s: over the connection caps: 503", c->client);
		if (conn_error(c, 503, NULL, NULL) < 0 || conn_run(c) < 0)
			conn_close(c);
		return;
	}
	if (*slot == NULL) {
		memcpy(cl->addr, key, 16);
		*slot = cl;
	}
	cl->count++;
	c->cl = cl;
	h->n_served++;
	METRIC_ADD(m->active[h->tls ? METRICS_HTTPS : METRICS_HTTP], 1);
	if (h->tls) {
		if (h->srv->tls == NULL || (c->ssl = SSL_new(tls_ctx(h->srv->tls))) == NULL ||
		    SSL_set_fd(c->ssl, fd) != 1) {
			log_msg(LOG_WARNING, "http: %s: cannot start TLS", c->client);
			conn_close(c);
			return;
		}
		SSL_set_accept_state(c->ssl);
		c->state = CS_HANDSHAKE;
	} else {
		c->state = CS_READ;
	}
	/* The first request's header timeout runs from the accept (and covers
	 * the TLS handshake): a client that connects and says nothing is a
	 * slow client. */
	if (conn_deadline(c, lim->http_header_timeout_ms, "header timeout") != 0 ||
	    conn_run(c) < 0)
		conn_close(c);
}

static void http_accept(void *arg, int fd, unsigned events);

static void
http_accept_resume(void *arg)
{
	struct http *h = arg;

	h->accept_timer = 0;
	if (h->draining || h->accepting)
		return;
	if (loop_fd(h->srv->loop, h->fd, LOOP_IN, http_accept, h) == 0)
		h->accepting = 1;
	else
		h->accept_timer = loop_timer_add(h->srv->loop,
						 loop_now(h->srv->loop) + HTTP_ACCEPT_PAUSE_MS,
						 http_accept_resume, h);
}

static void
http_accept(void *arg, int fd, unsigned events)
{
	struct http *h = arg;

	(void)events;
	for (unsigned i = 0; i < HTTP_ACCEPT_BURST && !h->draining; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd >= 0) {
			http_conn_new(h, cfd, &ss);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		/* Out of fds or memory: the listener stays readable, so stop
		 * watching it for a moment instead of spinning. */
		log_msg(LOG_WARNING, "http: accept: %s", strerror(errno));
		loop_fd(h->srv->loop, h->fd, 0, NULL, NULL);
		h->accepting = 0;
		h->accept_timer = loop_timer_add(h->srv->loop,
						 loop_now(h->srv->loop) + HTTP_ACCEPT_PAUSE_MS,
						 http_accept_resume, h);
		return;
	}
}

int
http_new(struct http **out, struct srv *srv, int fd, int tls)
{
	struct http *h;

	*out = NULL;
	if (tls && srv->tls == NULL) {
		errno = EINVAL;
		return -1;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -1;
	h->srv = srv;
	h->fd = fd;
	h->tls = tls ? 1 : 0;
	if (getrandom(&h->seed, sizeof(h->seed), GRND_NONBLOCK) != (ssize_t)sizeof(h->seed))
		h->seed = (uint32_t)http_mono_us() ^ (uint32_t)(uintptr_t)h;
	if (loop_fd(srv->loop, fd, LOOP_IN, http_accept, h) != 0) {
		int e = errno;

		free(h);
		errno = e;
		return -1;
	}
	h->accepting = 1;
	*out = h;
	return 0;
}

void
http_drain(struct http *h)
{
	struct http_conn *c, *next;

	if (h == NULL)
		return;
	h->draining = 1;
	if (h->accepting)
		loop_fd(h->srv->loop, h->fd, 0, NULL, NULL);
	h->accepting = 0;
	if (h->accept_timer != 0)
		loop_timer_del(h->srv->loop, h->accept_timer);
	h->accept_timer = 0;
	/* Idle keep-alive connections go now; a connection that has not sent
	 * its first request yet gets it answered (with Connection: close). */
	for (c = h->conns; c != NULL; c = next) {
		next = c->next;
		if (c->state == CS_READ && !c->req_started && c->nreq > 0 &&
		    c->in_off == c->in_len) {
			c->why = "draining";
			conn_close(c);
		}
	}
}

unsigned
http_active(const struct http *h)
{
	return h != NULL ? h->n_conns : 0;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	while (h->conns != NULL) {
		h->conns->why = "server stopping";
		conn_close(h->conns);
	}
	if (h->accepting)
		loop_fd(h->srv->loop, h->fd, 0, NULL, NULL);
	if (h->accept_timer != 0)
		loop_timer_del(h->srv->loop, h->accept_timer);
	while (h->orphans != NULL) {
		struct http_timer *tm = h->orphans;

		h->orphans = tm->next;
		loop_timer_del(h->srv->loop, tm->id);
		free(tm);
	}
	for (unsigned i = 0; i < HTTP_CLIENT_BUCKETS; i++) {
		while (h->clients[i] != NULL) {
			struct http_client *cl = h->clients[i];

			h->clients[i] = cl->next;
			free(cl);
		}
	}
	free(h);
}
