/*
 * http_accept: the accept and overload path of http.c's listeners:
 * accepting (HTTP_ACCEPT_BURST per readiness), a new connection counted
 * against the caps or refused, holding new connections in the accept
 * backlog at http_max_conns (http_overload_wait_ms), and shedding with
 * the listener's spare descriptor. The policy is told in http.c's
 * design comment (Caps).
 */
#define _GNU_SOURCE /* accept4 */
#include "http.h"
#include "http_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "clock.h"
#include "config.h"
#include "hostport.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "serve.h"
#include "tls.h"

static void http_accept_resume(void *arg);

/* The worker is at http_max_conns: stops accepting so that new
 * connections wait in the accept backlog, for at most
 * http_overload_wait_ms since the cap was reached (a timer resumes
 * accepting then, and what is over the cap is answered 503). Returns 1
 * when accepting was paused, 0 when the bound is spent or off. */
static int
http_hold(struct http *h)
{
	const struct config_limits *lim = &h->srv->cfg->lim;
	int64_t now = loop_now(h->srv->loop);

	if (lim->http_overload_wait_ms == 0)
		return 0;
	if (h->full_since == 0) {
		h->full_since = now != 0 ? now : 1;
		h->n_held++;
		if (h->hold_log_at == 0 || now - h->hold_log_at >= HTTP_SHED_LOG_MS) {
			log_msg(LOG_NOTICE, "http: at the cap of %u connections %u time%s: new ones "
					    "wait in the backlog (up to %u ms)", h->n_served, h->n_held,
				h->n_held == 1 ? "" : "s", lim->http_overload_wait_ms);
			h->n_held = 0;
			h->hold_log_at = now;
		}
	}
	if (now - h->full_since >= (int64_t)lim->http_overload_wait_ms)
		return 0;
	if (h->accepting)
		loop_fd(h->srv->loop, h->fd, 0, NULL, NULL);
	h->accepting = 0;
	if (h->accept_timer != 0)
		loop_timer_del(h->srv->loop, h->accept_timer);
	h->accept_timer = loop_timer_add(h->srv->loop,
					 h->full_since + (int64_t)lim->http_overload_wait_ms,
					 http_accept_resume, h);
	return 1;
}

/* Under the cap again: accepting resumes at once. */
void
http_unhold(struct http *h)
{
	h->full_since = 0;
	if (h->accepting || h->draining)
		return;
	if (h->accept_timer != 0)
		loop_timer_del(h->srv->loop, h->accept_timer);
	h->accept_timer = 0;
	http_accept_resume(h);
}

/* The answer of a shed connection: no state, no date, no body. */
static const char http_shed_answer[] =
	"HTTP/1.1 503 Service Unavailable\r\n"
	"Retry-After: " HTTP_STR(HTTP_RETRY_AFTER_S) "\r\n"
	"Content-Length: 0\r\n"
	"Connection: close\r\n\r\n";

/* Answers fd a 503 (plain HTTP) and closes it, without a connection:
 * best effort, one non-blocking send. What the client already sent is
 * read first, so that the close is a FIN and not a reset that would
 * destroy the answer before it is read. */
static void
http_shed(struct http *h, int fd, const char *why)
{
	char sink[HTTP_SHED_DRAIN];
	int64_t now = loop_now(h->srv->loop);

	METRIC_ADD(h->srv->metrics->overload[h->tls ? METRICS_HTTPS : METRICS_HTTP], 1);
	if (!h->tls) {
		(void)send(fd, http_shed_answer, sizeof(http_shed_answer) - 1,
			   MSG_NOSIGNAL | MSG_DONTWAIT);
		shutdown(fd, SHUT_WR);
		(void)recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
	}
	close(fd);
	h->n_shed++;
	if (h->shed_log_at == 0 || now - h->shed_log_at >= HTTP_SHED_LOG_MS) {
		log_msg(LOG_WARNING, "http: %u connection%s closed at once%s: %s", h->n_shed,
			h->n_shed == 1 ? "" : "s", h->tls ? "" : " after a 503", why);
		h->n_shed = 0;
		h->shed_log_at = now;
	}
}

/* accept(2) failed for want of descriptors: frees the spare one, accepts
 * and sheds one connection, and takes the spare again. Returns 1 when a
 * connection was shed, 0 when none was waiting, -1 when the spare is gone
 * (the caller pauses accepting). */
static int
http_shed_accept(struct http *h)
{
	int fd, e;

	if (h->reserve < 0 && (h->reserve = fcntl(h->fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return -1;
	close(h->reserve);
	fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	e = errno;
	if (fd >= 0)
		http_shed(h, fd, "out of descriptors");
	h->reserve = fcntl(h->fd, F_DUPFD_CLOEXEC, 0);
	if (fd >= 0)
		return 1;
	return e == EAGAIN || e == EWOULDBLOCK ? 0 : -1;
}

/* A connection's request parser: the configured bounds, http_fields kept
 * in c->fields (HTTP_FIELD_STORE bytes, which test_http checks is what
 * the table needs). */
static void
http_conn_parse_init(struct http_conn *c, const struct config_limits *lim)
{
	http_parse_init(&c->p, lim->http_header_max, lim->http_body_max, http_conn_on_body, c);
	if (http_parse_want(&c->p, http_fields, HTTP_F_N, c->fields, sizeof(c->fields)) != 0)
		log_msg(LOG_ERR, "http: header table larger than its store: headers ignored");
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
	int over;

	hostport_addr_key((const struct sockaddr *)ss, key);
	slot = http_client_slot(h, key);
	cl = *slot;
	over = h->n_served >= lim->http_max_conns ||
	    (cl != NULL && cl->count >= lim->http_max_per_client);
	if (over) {
		if (h->tls || h->n_refused >= HTTP_REFUSED_MAX) {
			http_shed(h, fd, "over the connection caps");
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
	hostport_format(ss, c->client, sizeof(c->client));
	http_conn_parse_init(c, lim);
	/* TCP_NODELAY: set by the first response that keeps the connection
	 * (http_resp.c); one that closes it is pushed out by the FIN. */
	c->next = h->conns;
	if (h->conns != NULL)
		h->conns->prev = c;
	h->conns = c;
	h->n_conns++;
	if (over) {
		c->refused = 1;
		h->n_refused++;
		c->state = CS_READ;
		c->t0_us = (uint64_t)clock_mono_us();
		c->t0_wall_ms = clock_wall_ms();
		log_msg(LOG_INFO, "http: %s: over the connection caps: 503", c->client);
		METRIC_ADD(m->overload[h->tls ? METRICS_HTTPS : METRICS_HTTP], 1);
		if (http_conn_error(c, 503, NULL, "Retry-After: " HTTP_STR(HTTP_RETRY_AFTER_S) "\r\n") < 0 ||
		    http_conn_run(c) < 0)
			http_conn_close(c, NULL);
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
			http_conn_close(c, "cannot start TLS");
			return;
		}
		SSL_set_accept_state(c->ssl);
		/* TLS: the handshake's flights must not wait on Nagle. */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
		c->nodelay = 1;
		c->state = CS_HANDSHAKE;
	} else {
		c->state = CS_READ;
		c->read_short = 1; /* no recv before the request can be there: it
				    * failed EAGAIN 7 times in 10 under load */
	}
	/* The first request's header timeout runs from the accept (and covers
	 * the TLS handshake): a client that connects and says nothing is a
	 * slow client. */
	if (http_conn_deadline(c, lim->http_header_timeout_ms, "header timeout") != 0 ||
	    http_conn_run(c) < 0)
		http_conn_close(c, NULL);
}

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

void
http_accept(void *arg, int fd, unsigned events)
{
	struct http *h = arg;

	(void)events;
	for (unsigned i = 0; i < HTTP_ACCEPT_BURST && !h->draining; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int cfd;

		if (h->n_served >= h->srv->cfg->lim.http_max_conns && http_hold(h))
			return;
		cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd >= 0) {
			http_conn_new(h, cfd, &ss);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (errno == EMFILE || errno == ENFILE) {
			int rc = http_shed_accept(h);

			if (rc > 0)
				continue;
			if (rc == 0)
				return;
		}
		/* Out of memory, or of fds without a spare: the listener stays
		 * readable, so stop watching it for a moment instead of
		 * spinning. */
		log_msg(LOG_WARNING, "http: accept: %s", strerror(errno));
		loop_fd(h->srv->loop, h->fd, 0, NULL, NULL);
		h->accepting = 0;
		h->accept_timer = loop_timer_add(h->srv->loop,
						 loop_now(h->srv->loop) + HTTP_ACCEPT_PAUSE_MS,
						 http_accept_resume, h);
		return;
	}
}
