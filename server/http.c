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
 * response head and body (a file up to 16 KB in the head's write;
 * larger, sendfile(2) for plain files, SSL_write from a read buffer over
 * TLS), at most HTTP_SEND_BURST bytes per loop turn so a fast reader
 * cannot starve the others. LINGER half-closes and drains what
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
 * address (a lingering connection counts until it is closed). At
 * http_max_conns the worker first stops accepting, for at most
 * http_overload_wait_ms: new connections wait in the kernel's accept
 * backlog (their requests are answered as soon as a connection closes)
 * rather than get a 503, which a phone counts as a failed resync and
 * retries only after Resync_Error_Retry_Delay (60 s, then 120 s, ...)
 * (reliability.md R-LOAD). Past that bound, and over the per-client cap
 * (which a NAT full of phones must not reach: its default is high),
 * a plain connection is answered a minimal 503 with Retry-After and
 * Connection: close; an HTTPS connection is closed at once (answering
 * would need a handshake, the cost a cap exists to avoid). Both count as
 * overload in the metrics. Past HTTP_REFUSED_MAX such answers in flight,
 * and when accept(2) fails for want of descriptors, a connection is shed:
 * answered the same 503 in one non-blocking send and closed at once. Out
 * of descriptors, the listener's spare descriptor (a dup of the listening
 * socket) is closed to make room for that accept and taken again after,
 * so a full table still gets every client an answer instead of silence.
 */
#define _GNU_SOURCE /* MSG_MORE */
#include "http.h"
#include "http_int.h"

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

#include "ca.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "clock.h"
#include "hostport.h"
#include "root.h"
#include "serve.h"
#include "store.h"
#include "tls.h"

/* The request headers the server acts on (http.h enum http_field). */
const struct http_want http_fields[HTTP_F_N] = {
	[HTTP_F_USER_AGENT] = { "user-agent", HTTP_FIELD_MAX, 0 },
	[HTTP_F_IF_NONE_MATCH] = { "if-none-match", HTTP_FIELD_MAX, 0 },
	[HTTP_F_IF_MODIFIED_SINCE] = { "if-modified-since", HTTP_FIELD_MAX, 0 },
	[HTTP_F_RANGE] = { "range", HTTP_FIELD_MAX, 0 },
	[HTTP_F_IF_RANGE] = { "if-range", HTTP_FIELD_MAX, 0 },
	[HTTP_F_EXPECT] = { "expect", HTTP_FIELD_MAX, 0 },
	[HTTP_F_AUTHORIZATION] = { "authorization", HTTP_AUTHZ_MAX, 0 },
};

enum metrics_proto
http_conn_proto(const struct http_conn *c)
{
	return c->h->tls ? METRICS_HTTPS : METRICS_HTTP;
}

const struct config_limits *
http_conn_lim(const struct http_conn *c)
{
	return &c->h->srv->cfg->lim;
}

/* -- per-client counts -- */

struct http_client **
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
conn_timer_fired(void *arg)
{
	struct http_conn *c = arg;
	struct loop *l = c->h->srv->loop;

	c->tm_id = 0;
	if (loop_now(l) < c->deadline) {
		c->tm_at = c->deadline;
		c->tm_id = loop_timer_add(l, c->tm_at, conn_timer_fired, c);
		if (c->tm_id != 0)
			return;
		c->why = "out of memory (timer)";
	} else {
		c->why = c->deadline_why;
		if (c->state == CS_HANDSHAKE)
			METRIC_ADD(c->h->srv->metrics->tls_failures, 1);
	}
	http_conn_close(c, NULL);
}

/* Sets the current phase's deadline, ms from now. */
int
http_conn_deadline(struct http_conn *c, unsigned ms, const char *why)
{
	struct loop *l = c->h->srv->loop;
	int64_t at = loop_now(l) + (int64_t)ms;

	c->deadline = at;
	c->deadline_why = why;
	if (c->tm_id != 0 && c->tm_at <= at)
		return 0; /* fires first, then re-arms for the deadline */
	loop_timer_del(l, c->tm_id);
	c->tm_at = at;
	c->tm_id = loop_timer_add(l, at, conn_timer_fired, c);
	if (c->tm_id == 0) {
		c->why = "out of memory (timer)";
		return -1;
	}
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
	c->read_short = 0;
	if (http_conn_run(c) < 0)
		http_conn_close(c, NULL);
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
			c->t0_us = (uint64_t)clock_mono_us();
			c->t0_wall_ms = clock_wall_ms();
			if (c->nreq > 0 && http_conn_deadline(c, http_conn_lim(c)->http_header_timeout_ms,
							 "header timeout") != 0)
				return -1;
		}
		ev = http_parse_feed(&c->p, c->in + c->in_off, c->in_len - c->in_off, &used);
		c->in_off += used;
		switch (ev) {
		case HTTP_PARSE_MORE:
			break;
		case HTTP_PARSE_HEADERS:
			rc = http_conn_headers(c);
			break;
		case HTTP_PARSE_DONE:
			rc = http_conn_done(c);
			break;
		case HTTP_PARSE_ERROR:
			if (c->method < 0 && c->p.url_len > 0)
				c->method = (int)c->p.hp.method; /* the request line was read */
			http_conn_upload_abort(c);
			rc = http_conn_error(c, c->p.status, c->p.reason, NULL);
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
		/* A recv that got less than asked emptied the socket: another
		 * would most likely say EAGAIN (a third of all recv calls under
		 * keep-alive load). The loop is level-triggered, so anything that
		 * arrived since wakes this connection next turn (nginx does the
		 * same: ngx_unix_recv clears rev->ready). Over TLS the same holds
		 * for an SSL_read that got less than asked once OpenSSL holds
		 * nothing more: it reads ahead (tls.c), and what it has read from
		 * the socket would wake nothing. */
		if (c->read_short && (c->ssl == NULL || !SSL_has_pending(c->ssl)))
			return conn_watch(c, LOOP_IN);
		n = conn_recv(c, c->in + c->in_len, sizeof(c->in) - c->in_len);
		if (n > 0) {
			c->read_short = (size_t)n < sizeof(c->in) - c->in_len;
			c->in_len += (size_t)n;
			c->read_burst += (size_t)n;
			if (c->p.phase == 1 &&
			    http_conn_deadline(c, http_conn_lim(c)->http_body_timeout_ms, "body timeout") != 0)
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
	enum metrics_proto proto = http_conn_proto(c);
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
		if (http_conn_deadline(c, http_conn_lim(c)->http_send_timeout_ms, "send timeout") != 0)
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
		if (http_conn_deadline(c, http_conn_lim(c)->http_send_timeout_ms, "send timeout") != 0)
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
		if (http_conn_deadline(c, http_conn_lim(c)->http_body_timeout_ms, "body timeout") != 0)
			return -1;
		return 1;
	case AFTER_NEXT:
		http_conn_record(c);
		c->nreq++;
		c->req_started = 0;
		http_parse_next(&c->p);
		c->state = CS_READ;
		if (c->in_off == c->in_len &&
		    http_conn_deadline(c, http_conn_lim(c)->http_idle_timeout_ms, NULL) != 0)
			return -1;
		return 1;
	case AFTER_CLOSE:
		break;
	}
	http_conn_record(c);
	/* Half-close and drain (see the top of the file). */
	if (c->ssl != NULL) {
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl); /* close_notify, best effort */
	}
	shutdown(c->fd, SHUT_WR);
	/* A lingering connection still counts against its client's cap until
	 * it is closed: otherwise one address that leaves every answered
	 * connection open holds any number of them (issue 12, item 9). A
	 * client that closes its side ends the linger at once. */
	c->state = CS_LINGER;
	c->in_len = c->in_off = 0;
	c->linger_bytes = 0;
	if (http_conn_deadline(c, HTTP_LINGER_MS, NULL) != 0)
		return -1;
	/* Nothing to drain yet, most likely (the client has just been sent
	 * its answer): wait for its FIN or data rather than a recv that says
	 * EAGAIN. Level-triggered: what is already there wakes it at once. */
	return conn_watch(c, LOOP_IN);
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
		/* A certificate the device CA revoked ends the connection
		 * (prov device revoke-cert, ca.h). */
		if (c->peer_ok && c->h->srv->ca != NULL &&
		    ca_peer_refused(c->h->srv->inv, c->ssl)) {
			log_msg(LOG_NOTICE, "http: %s: client certificate of %s revoked: closed",
				c->client, c->peer.mac[0] ? c->peer.mac : "?");
			c->why = NULL;
			return -1;
		}
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

int
http_conn_run(struct http_conn *c)
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

/* Closes c and says why in the debug log (OpenBSD httpd's server_close):
 * why, or when NULL the reason recorded in c->why where the failure was
 * found (a deadline, a bad request, a write error). */
void
http_conn_close(struct http_conn *c, const char *why)
{
	struct http *h = c->h;
	struct loop *l = h->srv->loop;

	if (why != NULL)
		c->why = why;
	if (c->why != NULL && log_enabled(LOG_DEBUG))
		log_msg(LOG_DEBUG, "http: %s: closed: %s", c->client, c->why);
	http_conn_record(c);
	http_conn_upload_abort(c);
	loop_timer_del(l, c->tm_id);
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
		if (h->full_since != 0 && h->n_served < h->srv->cfg->lim.http_max_conns)
			http_unhold(h);
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
	h->reserve = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (h->reserve < 0) {
		free(h);
		return -1;
	}
	if (getrandom(&h->seed, sizeof(h->seed), GRND_NONBLOCK) != (ssize_t)sizeof(h->seed))
		h->seed = (uint32_t)(uint64_t)clock_mono_us() ^ (uint32_t)(uintptr_t)h;
	if (loop_fd(srv->loop, fd, LOOP_IN, http_accept, h) != 0) {
		int e = errno;

		close(h->reserve);
		free(h);
		errno = e;
		return -1;
	}
	h->accepting = 1;
	*out = h;
	return 0;
}

int
http_new_admin(struct http **out, struct srv *srv, int fd, int tls)
{
	if (http_new(out, srv, fd, tls) != 0)
		return -1;
	(*out)->admin = 1;
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
			http_conn_close(c, "draining");
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
		http_conn_close(h->conns, "server stopping");
	}
	if (h->accepting)
		loop_fd(h->srv->loop, h->fd, 0, NULL, NULL);
	if (h->accept_timer != 0)
		loop_timer_del(h->srv->loop, h->accept_timer);
	for (unsigned i = 0; i < HTTP_CLIENT_BUCKETS; i++) {
		while (h->clients[i] != NULL) {
			struct http_client *cl = h->clients[i];

			h->clients[i] = cl->next;
			free(cl);
		}
	}
	if (h->reserve >= 0)
		close(h->reserve);
	free(h);
}
