/*
 * http_resp: what the HTTP server answers (http.c runs the connections):
 * the history record of each request, the response head, error answers,
 * GET and HEAD from the served tree (root.c), /metrics, and uploads (PUT,
 * POST) into the tree.
 */
#define _GNU_SOURCE /* accept4, MSG_MORE */
#include "http.h"
#include "http_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <prov/prov.h>

#include "config.h"
#include "activate.h"
#include "guard.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "clock.h"
#include "render.h"
#include "reportd.h"
#include "root.h"
#include "serve.h"
#include "store.h"
#include "tls.h"

/* -- the history -- */

static const char *
conn_method_str(const struct http_conn *c)
{
	return c->method < 0 ? NULL : http_method_str((enum http_method)c->method);
}

/* Records the request answered (metrics and history), once. */
void
http_conn_record(struct http_conn *c)
{
	struct srv *srv = c->h->srv;
	char dpath[ROOT_PATH_MAX + 1], path[STORE_FIELD_MAX], ua[STORE_FIELD_MAX];
	char mac[13] = "";
	const char *src = c->p.url;
	size_t srclen = c->p.url_len;
	struct store_req r;
	uint64_t us = (uint64_t)clock_mono_us() - c->t0_us;
	long n;

	if (!c->rec)
		return;
	c->rec = 0;
	metrics_request(srv->metrics, http_conn_proto(c), c->status, us);
	if (c->h->admin)
		return; /* the API's requests are no device's history */
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
	if (c->status == 404 && c->cl != NULL) {
		struct guard_limits gl = { http_conn_lim(c)->enum_miss_burst,
					   http_conn_lim(c)->enum_miss_rate,
					   http_conn_lim(c)->enum_cooldown_s };

		guard_miss(srv->guard, c->cl->addr, loop_now(srv->loop), &gl, c->client);
	}
	if (log_enabled(LOG_DEBUG))
		log_msg(LOG_DEBUG, "http: %s %s %s -> %d (%llu bytes, %llu us)", c->client,
			r.method != NULL ? r.method : "-", path, c->status,
			(unsigned long long)r.bytes, (unsigned long long)us);
}

/* -- responses -- */

/* Whether the connection stays open after the response now being made. */
static int
conn_keep(const struct http_conn *c)
{
	const struct config_limits *lim = http_conn_lim(c);

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
	int64_t now = clock_wall_ms() / 1000;

	if (now != cached_s) {
		http_date_format(now, cached);
		cached_s = now;
	}
	memcpy(date, cached, 30);
}

/* A file's Last-Modified: formatted when it differs from the last one
 * asked (a root's files share few mtimes), as the Date is. */
static void
http_lastmod(int64_t t, char out[30])
{
	static int64_t cached_t = INT64_MIN;
	static char cached[30];

	if (t != cached_t) {
		http_date_format(t, cached);
		cached_t = t;
	}
	memcpy(out, cached, 30);
}

/* Appends "%llx" of v at p; returns the end. */
static char *
etag_hex(char *p, unsigned long long v)
{
	char t[16];
	size_t i = sizeof(t);

	do {
		t[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v != 0);
	memcpy(p, t + i, sizeof(t) - i);
	return p + (sizeof(t) - i);
}

/* Appends len bytes to a response head of n bytes; HTTP_HEAD_MAX when
 * they do not fit (with room for a NUL, as snprintf's bound was). The head
 * is built by hand: snprintf's format parsing was a tenth of the worker's
 * user time per 4 KB response (issue 17, bench/README.md). */
static size_t
head_put(char *b, size_t n, const char *s, size_t len)
{
	if (n >= HTTP_HEAD_MAX || len >= HTTP_HEAD_MAX - n)
		return HTTP_HEAD_MAX;
	memcpy(b + n, s, len);
	return n + len;
}

static size_t
head_puts(char *b, size_t n, const char *s)
{
	return head_put(b, n, s, strlen(s));
}

static size_t
head_put_u64(char *b, size_t n, unsigned long long v)
{
	char t[24];
	size_t i = sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return head_put(b, n, t + i, sizeof(t) - i);
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
	int interim = status == 100, keep = 0;
	size_t n;
	int nobody = c->method == HTTP_HEAD || status == 304 || status == 204 || interim;
	size_t inline_file = 0;

	/* A small file goes out in the same write as the head: over TLS one
	 * record and one write(2) per response instead of two; in the clear
	 * one pread and one send instead of a send and a sendfile, whose
	 * splice costs more than copying 16 KB (issue 17, bench/README.md). */
	if (!nobody && c->file_fd >= 0 && c->file_left > 0 &&
	    c->file_left <= HTTP_TLS_CHUNK && blen == 0)
		inline_file = (size_t)c->file_left;
	free(c->out);
	c->out = malloc(HTTP_HEAD_MAX + (nobody ? 0 : blen) + inline_file);
	if (c->out == NULL) {
		c->why = "out of memory (response)";
		return -1;
	}
	if (interim) {
		n = head_puts(c->out, 0, "HTTP/1.1 100 Continue\r\n\r\n");
	} else {
		keep = conn_keep(c);
		if (keep && !c->nodelay) {
			int one = 1;

			/* Kept: the next answer must not wait on Nagle for the
			 * ACK of this one's tail. A closing answer needs no
			 * syscall for it: shutdown's FIN pushes the tail. */
			(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			c->nodelay = 1;
		}
		http_date_now(date);
		n = head_puts(c->out, 0, "HTTP/1.1 ");
		n = head_put_u64(c->out, n, (unsigned long long)(status < 0 ? 0 : status));
		n = head_puts(c->out, n, " ");
		n = head_puts(c->out, n, http_status_text(status));
		n = head_puts(c->out, n, "\r\nServer: prov/");
		n = head_puts(c->out, n, prov_version());
		n = head_puts(c->out, n, "\r\nDate: ");
		n = head_puts(c->out, n, date);
		n = head_puts(c->out, n, "\r\n");
		if (ctype != NULL) {
			n = head_puts(c->out, n, "Content-Type: ");
			n = head_puts(c->out, n, ctype);
			n = head_puts(c->out, n, "\r\n");
		}
		if (status != 304 && status != 204) {
			n = head_puts(c->out, n, "Content-Length: ");
			n = head_put_u64(c->out, n, (unsigned long long)clen);
			n = head_puts(c->out, n, "\r\n");
		}
		n = head_puts(c->out, n, keep ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
		if (extra != NULL)
			n = head_puts(c->out, n, extra);
		n = head_puts(c->out, n, "\r\n");
	}
	if (n == 0 || n >= HTTP_HEAD_MAX) {
		c->why = "response head too long";
		return -1;
	}
	c->head_len = n;
	c->out_len = n;
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
	if (http_conn_deadline(c, http_conn_lim(c)->http_send_timeout_ms, "send timeout") != 0)
		return -1;
	return 1;
}

/* A whole answer from memory (activate.c). */
int
http_conn_reply(struct http_conn *c, int status, const char *ctype, const char *extra,
		const char *body, size_t len)
{
	return conn_respond(c, status, ctype, (uint64_t)len, extra, body, len);
}

/* A short text answer ("404 Not Found\n"). */
int
http_conn_error(struct http_conn *c, int status, const char *why, const char *extra)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, http_status_text(status));

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
		return http_conn_error(c, 500, "metrics do not fit", NULL);
	}
	rc = conn_respond(c, 200, "text/plain; version=0.0.4", n, NULL, buf, n);
	free(buf);
	return rc;
}

/* A rendered profile when a route matches the path (render.h); 2 when
 * none does. A miss gets the very answer of a missing file (S-SEC-2). */
static int
conn_render(struct http_conn *c, const char *path, size_t n)
{
	struct srv *srv = c->h->srv;
	struct sockaddr_storage local;
	socklen_t sl = sizeof(local);
	struct render_res res;
	struct render_auth auth;
	const char *ctype;
	int rc;

	if (srv->cfg->n_routes == 0)
		return 2;
	memset(&local, 0, sizeof(local));
	if (getsockname(c->fd, (struct sockaddr *)&local, &sl) < 0)
		local.ss_family = AF_UNSPEC;
	/* For auth=digest routes; a cut Authorization is no credentials. */
	auth.authz = c->p.field_seen[HTTP_F_AUTHORIZATION] &&
		!c->p.field_trunc[HTTP_F_AUTHORIZATION] ? c->p.field[HTTP_F_AUTHORIZATION] : NULL;
	auth.method = conn_method_str(c) != NULL ? conn_method_str(c) : "GET";
	auth.uri = c->p.url;
	auth.uri_len = c->p.url_len;
	/* The wall clock: N servers share the nonce key (the database's),
	 * so a nonce one of them made must read the same on another behind
	 * the same load balancer (their clocks kept by NTP). */
	auth.now_ms = clock_wall_ms();
	switch (render_request(&srv->inv, srv->cfg->db, srv->cfg->routes, srv->cfg->n_routes,
			       path, n,
			       c->ssl != NULL ? "https" : "http", &local,
			       c->peer_ok ? c->peer.mac : NULL, &auth, c->client, &res)) {
	case RENDER_NONE:
		return 2;
	case RENDER_MISS:
		return http_conn_error(c, 404, res.why, NULL);
	case RENDER_AUTH:
		return http_conn_error(c, 401, res.why, res.challenge);
	case RENDER_BUSY:
		return http_conn_error(c, 503, "server busy", "Retry-After: 5\r\n");
	case RENDER_FAIL:
		return http_conn_error(c, 500, res.why, NULL);
	case RENDER_OK:
		break;
	}
	/* aes128gcm is a content coding (RFC 8188, D-ENC-6): the type stays
	 * the profile's own and the header names the coding. */
	ctype = res.flags & (ROUTE_GZIP | ROUTE_ENC_OPENSSL) && !(res.flags & ROUTE_ENC_GCM) ?
		"application/octet-stream" : http_ctype(path, n);
	rc = conn_respond(c, 200, ctype, res.len,
			  res.flags & ROUTE_ENC_GCM ?
			  "Cache-Control: no-store\r\nContent-Encoding: aes128gcm\r\n" :
			  "Cache-Control: no-store\r\n", res.body, res.len);
	OPENSSL_cleanse(res.body, res.len);
	free(res.body);
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
	int fd, status = 200, rc;
	long n = http_url_path(p->url, p->url_len, path, sizeof(path));

	if (n == -414)
		return http_conn_error(c, 414, "path too long", NULL);
	if (n < 0)
		return http_conn_error(c, 400, "malformed path", NULL);
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
	if (c->cl != NULL) {
		const struct config_limits *lim = http_conn_lim(c);
		struct guard_limits gl = { lim->enum_miss_burst, lim->enum_miss_rate,
					   lim->enum_cooldown_s };

		if (guard_blocked(c->h->srv->guard, c->cl->addr, loop_now(c->h->srv->loop), &gl))
			return http_conn_error(c, 429, "too many misses", NULL);
	}
	if ((rc = conn_render(c, path, (size_t)n)) != 2)
		return rc;
	if (strspn(path, "/") == (size_t)n)
		return http_conn_error(c, 403, "directory", NULL); /* the root itself */
	fd = root_open(c->h->srv->root_fd, path, (size_t)n, &st);
	if (fd < 0) {
		int status_err = http_root_status(c, fd);

		if (status_err == 404 && c->h->srv->cfg->n_routes > 0)
			render_miss_pad(c->h->srv->inv); /* as long as a device's miss */

		return http_conn_error(c, status_err, root_strerror(fd), NULL);
	}
	size = (uint64_t)st.st_size;
	mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	/* Strong: a file is replaced by rename (new inode) or rewritten (new
	 * mtime); the three together name one content. */
	{ /* "%llx-%llx-%llx" in quotes: at most 3 x 16 + 4 bytes of etag's 80 */
		char *e = etag;

		*e++ = '"';
		e = etag_hex(e, (unsigned long long)st.st_ino);
		*e++ = '-';
		e = etag_hex(e, (unsigned long long)size);
		*e++ = '-';
		e = etag_hex(e, (unsigned long long)mtime_ns);
		*e++ = '"';
		*e = '\0';
	}
	http_lastmod((int64_t)st.st_mtim.tv_sec, lastmod);

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
			return http_conn_error(c, 416, "range not satisfiable", extra);
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

/* Body bytes of an upload go to its file, of a report to memory; of any
 * other request, nowhere. */
int
http_conn_on_body(void *arg, const char *buf, size_t len)
{
	struct http_conn *c = arg;

	METRIC_ADD(c->h->srv->metrics->bytes_received[http_conn_proto(c)], (uint64_t)len);
	if (c->rep != NULL) {
		struct http_report *rp = c->rep;

		/* Past the cap (a body without Content-Length) the rest is
		 * read and dropped, bounded by http_body_max; 413 at the end. */
		if (rp->over || len > REPORTD_BODY_MAX - rp->len) {
			rp->over = 1;
			return 0;
		}
		if (rp->len + len > rp->cap) {
			size_t ncap = rp->cap ? rp->cap : 16384;
			char *nb;

			while (ncap < rp->len + len)
				ncap *= 2;
			if (ncap > REPORTD_BODY_MAX)
				ncap = REPORTD_BODY_MAX;
			if ((nb = realloc(rp->buf, ncap)) == NULL)
				return -1;
			rp->buf = nb;
			rp->cap = ncap;
		}
		memcpy(rp->buf + rp->len, buf, len);
		rp->len += len;
		return 0;
	}
	if (c->act_body != NULL) {
		size_t room = c->act_cap - c->act_len;

		c->act_over |= len > room;
		memcpy(c->act_body + c->act_len, buf, len > room ? room : len);
		c->act_len += len > room ? room : len;
		return 0;
	}
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

/* Also drops a report's body. */
void
http_conn_upload_abort(struct http_conn *c)
{
	if (c->rep != NULL) {
		free(c->rep->buf);
		free(c->rep);
		c->rep = NULL;
	}
	activate_http_free(c);
	if (c->up == NULL)
		return;
	root_upload_abort(c->h->srv->upload_fd, c->up->fd, c->up->tmp);
	free(c->up);
	c->up = NULL;
}

/* PUT and POST to a report route (reportd.h): refused at once when the
 * body is announced too large; else the body goes to memory. 2 when no
 * report route matches. */
static int
conn_report_start(struct http_conn *c)
{
	char path[ROOT_PATH_MAX + 1], mac[13];
	struct srv *srv = c->h->srv;
	int need_cert = 0;
	long n;

	if (srv->cfg->n_reports == 0)
		return 2;
	n = http_url_path(c->p.url, c->p.url_len, path, sizeof(path));
	if (n < 0 || !reportd_match(srv->cfg->reports, srv->cfg->n_reports, path, (size_t)n, mac,
				    &need_cert))
		return 2;
	if (c->cl != NULL) {
		const struct config_limits *lim = http_conn_lim(c);
		struct guard_limits gl = { lim->enum_miss_burst, lim->enum_miss_rate,
					   lim->enum_cooldown_s };

		if (guard_blocked(srv->guard, c->cl->addr, loop_now(srv->loop), &gl))
			return http_conn_error(c, 429, "too many misses", NULL);
	}
	if (c->p.hp.content_length != ULLONG_MAX && c->p.hp.content_length > REPORTD_BODY_MAX) {
		METRIC_ADD(srv->metrics->reports_bad, 1);
		return http_conn_error(c, 413, "report too large", NULL);
	}
	if ((c->rep = calloc(1, sizeof(*c->rep))) == NULL)
		return http_conn_error(c, 500, "out of memory", NULL);
	memcpy(c->rep->mac, mac, sizeof(mac));
	c->rep->need_cert = need_cert;
	if (c->p.field_seen[HTTP_F_EXPECT] &&
	    strcasecmp(c->p.field[HTTP_F_EXPECT], "100-continue") == 0)
		return conn_respond(c, 100, NULL, 0, NULL, NULL, 0);
	return 0;
}

/* The report's body is in: take it (reportd_take) and answer. */
static int
conn_report_finish(struct http_conn *c)
{
	struct http_report *rp = c->rep;
	struct srv *srv = c->h->srv;
	struct sockaddr_storage local;
	socklen_t sl = sizeof(local);
	char ip[INET6_ADDRSTRLEN] = "", port[8] = "", mac[13], why[REPORTD_WHY_MAX];
	struct reportd_in in;
	enum reportd_status st;
	int rc;

	if (rp->over) {
		METRIC_ADD(srv->metrics->reports_bad, 1);
		http_conn_upload_abort(c);
		return http_conn_error(c, 413, "report too large", NULL);
	}
	memset(&in, 0, sizeof(in));
	memset(&local, 0, sizeof(local));
	if (getsockname(c->fd, (struct sockaddr *)&local, &sl) == 0) {
		if (local.ss_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&local;

			inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
			snprintf(port, sizeof(port), "%u", ntohs(s6->sin6_port));
		} else if (local.ss_family == AF_INET) {
			const struct sockaddr_in *s4 = (const struct sockaddr_in *)&local;

			inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
			snprintf(port, sizeof(port), "%u", ntohs(s4->sin_port));
		}
	}
	in.path_mac = rp->mac;
	in.need_cert = rp->need_cert;
	in.cert_mac = c->peer_ok ? c->peer.mac : NULL;
	in.body = rp->buf != NULL ? rp->buf : "";
	in.len = rp->len;
	in.client = c->client;
	in.proto = c->ssl != NULL ? "https" : "http";
	in.servip = ip[0] ? ip : NULL;
	in.port = port[0] ? port : NULL;
	in.time_ms = c->t0_wall_ms;
	if (srv->reportd == NULL)
		srv->reportd = reportd_new(srv->cfg->db);
	st = srv->reportd == NULL ? REPORTD_FAIL :
		reportd_take(srv->reportd, &srv->inv, srv->cfg->routes, srv->cfg->n_routes, &in,
			     mac, why, sizeof(why));
	if (srv->reportd == NULL)
		snprintf(why, sizeof(why), "out of memory");
	free(rp->buf);
	free(rp);
	c->rep = NULL;
	switch (st) {
	case REPORTD_OK:
		METRIC_ADD(srv->metrics->reports_stored, 1);
		log_msg(LOG_INFO, "%s: %s: report of %s stored: %s", in.proto, c->client, mac, why);
		rc = conn_respond(c, 204, NULL, 0, NULL, NULL, 0);
		break;
	case REPORTD_MISS:
		METRIC_ADD(srv->metrics->reports_unknown, 1);
		rc = http_conn_error(c, 404, why, NULL); /* counted by guard_miss */
		break;
	case REPORTD_REFUSED:
		METRIC_ADD(srv->metrics->reports_refused, 1);
		log_msg(LOG_NOTICE, "%s: %s: report refused: %s", in.proto, c->client, why);
		rc = http_conn_error(c, 403, why, NULL);
		break;
	case REPORTD_BAD:
		METRIC_ADD(srv->metrics->reports_bad, 1);
		log_msg(LOG_NOTICE, "%s: %s: report of %s refused: %s", in.proto, c->client, mac,
			why);
		rc = http_conn_error(c, 400, why, NULL);
		break;
	case REPORTD_BUSY:
		log_msg(LOG_WARNING, "%s: %s: report: server busy: %s", in.proto, c->client, why);
		rc = http_conn_error(c, 503, "server busy", "Retry-After: 5\r\n");
		break;
	default:
		log_msg(LOG_ERR, "%s: %s: report: %s", in.proto, c->client, why);
		rc = http_conn_error(c, 500, "report not stored", NULL);
		break;
	}
	return rc;
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
		return http_conn_error(c, 403, "uploads are not configured", NULL);
	n = http_url_path(c->p.url, c->p.url_len, path, sizeof(path));
	if (n == -414)
		return http_conn_error(c, 414, "path too long", NULL);
	if (n < 0)
		return http_conn_error(c, 400, "malformed path", NULL);
	/* Uploads are flat: the last path component names the file. */
	name = strrchr(path, '/');
	name = name != NULL ? name + 1 : path;
	if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return http_conn_error(c, 400, "no file name", NULL);
	/* Checked before the body is asked for or written: a name the
	 * directory cannot hold would fail only at the final rename. */
	if (strlen(name) > HTTP_UPLOAD_NAME_MAX)
		return http_conn_error(c, 414, "file name too long", NULL);
	for (const char *s = name; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '\\')
			return http_conn_error(c, 400, "control byte or backslash in the file name",
					       NULL);
	c->up = calloc(1, sizeof(*c->up));
	if (c->up == NULL)
		return http_conn_error(c, 500, "out of memory", NULL);
	c->up->existed = fstatat(srv->upload_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
	fd = root_upload_open(srv->upload_fd, name, strlen(name), c->up->tmp);
	if (fd < 0) {
		free(c->up);
		c->up = NULL;
		return http_conn_error(c, http_root_status(c, fd), root_strerror(fd), NULL);
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
		return http_conn_error(c, 500, "upload not stored", NULL);
	return conn_respond(c, existed ? 204 : 201, NULL, 0, NULL, NULL, 0);
}

/* The header block is in: refuse early, or get ready for the body.
 * Returns 0 to go on reading, 1 when a response was queued, -1. */
int
http_conn_headers(struct http_conn *c)
{
	c->method = (int)c->p.hp.method;
	if (c->h->admin) {
		int rc = api_http_start(c);

		if (rc != 0)
			return rc;
		return http_conn_deadline(c, http_conn_lim(c)->http_body_timeout_ms,
					  "body timeout") != 0 ? -1 : 0;
	}
	switch (c->method) {
	case HTTP_GET:
	case HTTP_HEAD:
		break;
	case HTTP_PUT:
	case HTTP_POST: {
		int rc = conn_report_start(c);

		if (rc == 2 && c->method == HTTP_POST)
			rc = activate_http_start(c);

		if (rc == 2)
			rc = conn_upload_start(c);

		if (rc != 0)
			return rc;
		break;
	}
	default:
		return http_conn_error(c, 405, "method not allowed",
				  "Allow: GET, HEAD, PUT, POST\r\n");
	}
	if (http_conn_deadline(c, http_conn_lim(c)->http_body_timeout_ms, "body timeout") != 0)
		return -1;
	return 0;
}

/* The request is complete: answer it. */
int
http_conn_done(struct http_conn *c)
{
	if (c->h->admin)
		return api_http_done(c);
	if (c->rep != NULL)
		return conn_report_finish(c);
	if (c->act_body != NULL)
		return activate_http_done(c);
	if (c->method == HTTP_PUT || c->method == HTTP_POST)
		return conn_upload_finish(c);
	return conn_get(c);
}
