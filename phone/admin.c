/*
 * admin: the phone's web interface and /CGI/Execute. See admin.h.
 *
 * One request follows this path: admin_accept -> conn_read feeds bytes to
 * admin_req_feed (libhttp-parser, every size capped) -> conn_handle checks
 * Admin_Password, authenticates (admin_auth_check: Digest or Basic), routes to
 * one page function, which writes the whole response into the connection's
 * output buffer -> conn_flush writes it and closes the connection.
 *
 * Why the pieces are as they are:
 * - Connections are bounded three ways, so idle ones cannot lock the
 *   administrator out: ADMIN_CONN_PER_ADDR per address, ADMIN_IDLE_MS of
 *   silence, and past ADMIN_CONN_MAX the connection silent the longest
 *   makes room for the newcomer (conn_make_room).
 * - Wrong passwords: after ADMIN_FAIL_FREE in a row from one address, that
 *   address waits a doubling backoff (429, Retry-After) before its next
 *   password is even checked; other addresses are served as before.
 * - One request per connection (Connection: close): a phone's admin page
 *   sees a handful of requests, and the connection's whole life fits one
 *   timer, one buffer and one parser. After the answer the connection is
 *   read to its end (bounded) before closing, so a peer still sending a
 *   refused body gets the answer rather than a reset.
 * - Digest is common/digest.c, shared with SIP: nonces are "issue time +
 *   HMAC(key, issue time)" with a key drawn at start, so the server tells
 *   its own fresh nonces from forged or expired ones without a table; the
 *   table (ADMIN_NONCE_SLOTS) only remembers the highest nc accepted per
 *   live nonce, so a replayed request is refused. When it is full of live
 *   nonces a new one is answered with stale=true, never accepted.
 * - The CSRF token is HMAC(key, user, session cookie): a page can only
 *   submit the form if it could read the token, which the same-origin
 *   policy keeps from other sites; the cookie is SameSite=Strict too.
 * - A GET that changes state (/admin/resync, /admin/reboot) is what the
 *   phone's own API is. It needs the admin's credentials, and a browser's
 *   Sec-Fetch-Site, Origin and Referer must not name another site
 *   (admin_same_origin), so a foreign page cannot ride on cached credentials.
 */
#define _GNU_SOURCE /* accept4 */
#include "admin.h"
#include "admin_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <http_parser.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <expat.h>

#include "digest.h"
#include "hex.h"
#include "hostport.h"
#include "http_parse.h"
#include "loop.h"
#include "clock.h"

/* ---- small helpers ---------------------------------------------------------- */

void
admin_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("prov: admin: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* A secret read from the device, wiped before it is freed. */
char *
admin_secret_get(struct prov_device *dev, const char *name)
{
	char *v = NULL;

	if (prov_device_get(dev, name, PROV_SHOW_SECRETS, &v) != PROV_OK) {
		free(v);
		return NULL;
	}
	return v;
}

void
admin_secret_free(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* ---- output buffer ------------------------------------------------------------ */

void
admin_obuf_add(struct obuf *b, const char *s, size_t n)
{
	if (b->toobig)
		return;
	if (b->b.max == 0)
		buf_init(&b->b, ADMIN_OUT_MAX - 1);
	if (buf_add(&b->b, s, n) != PROV_OK)
		b->toobig = 1; /* over the cap, or out of memory */
}

void
admin_obuf_str(struct obuf *b, const char *s)
{
	admin_obuf_add(b, s, strlen(s));
}

void
admin_obuf_printf(struct obuf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->toobig = 1; /* callers format short things only */
		return;
	}
	admin_obuf_add(b, tmp, (size_t)n);
}

/* Appends s escaped for HTML text and attribute values. */
void
admin_obuf_html(struct obuf *b, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *rep;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		admin_obuf_add(b, run, (size_t)(s - run));
		admin_obuf_str(b, rep);
		run = s + 1;
	}
	admin_obuf_add(b, run, (size_t)(s - run));
}

size_t
admin_html_escape(const char *s, char *out, size_t outsize)
{
	struct obuf b = { 0 };
	size_t n = 0;

	if (outsize == 0)
		return 0;
	admin_obuf_html(&b, s);
	if (b.b.p != NULL) {
		n = b.b.len < outsize - 1 ? b.b.len : outsize - 1;
		memcpy(out, b.b.p, n);
	}
	out[n] = '\0';
	buf_free(&b.b);
	return n;
}

/* ---- routing ---------------------------------------------------------------------------- */

static void
conn_handle(struct conn *c)
{
	struct admin *a = c->a;
	struct admin_req *r = &c->req;
	char path[ADMIN_URL_MAX + 1], *query, *pw;
	enum admin_role role;
	int stale, get = r->method == HTTP_GET || r->method == HTTP_HEAD;
	int64_t now = clock_mono_ms(), wait;

	if (r->url[0] != '/') {
		admin_respond_text(c, 400, "", "Bad request target.");
		return;
	}
	snprintf(path, sizeof(path), "%s", r->url);
	query = strchr(path, '?');
	if (query != NULL)
		*query++ = '\0';
	pw = admin_secret_get(a->dev, "Admin_Password");
	if (pw == NULL) {
		admin_respond_text(c, 500, "", "Cannot read the device.");
		return;
	}
	if (pw[0] == '\0') {
		admin_secret_free(pw);
		admin_page_setup(c); /* D-TRG-1: no open default */
		return;
	}
	admin_secret_free(pw);
	wait = admin_fail_wait(a, c->addr, now);
	if (wait > 0) {
		char extra[64];

		snprintf(extra, sizeof(extra), "Retry-After: %lld\r\n",
			 (long long)(wait + 999) / 1000);
		admin_respond_text(c, 429, extra,
				   "Too many wrong passwords from this address: try again later.");
		return;
	}
	role = admin_auth_check(a, r, &stale);
	if (role == ROLE_NONE) {
		/* A request without credentials is the first step of Digest,
		 * and a stale nonce the next: neither is a wrong password. */
		if (r->authz[0] != '\0' && !stale)
			admin_fail_note(a, c->addr, 0, now);
		admin_respond_challenge(c, stale);
		return;
	}
	admin_fail_note(a, c->addr, 1, now);
	if (strcmp(path, "/") == 0 || strcmp(path, "/admin") == 0 ||
	    strcmp(path, "/admin/") == 0) {
		admin_respond_text(c, 303, "Location: /admin/advanced\r\n", "See /admin/advanced.");
	} else if (strcmp(path, "/admin/advanced") == 0) {
		if (get)
			admin_advanced_get(c, role, query);
		else if (r->method == HTTP_POST)
			admin_advanced_post(c, role);
		else
			admin_respond_text(c, 405, "Allow: GET, HEAD, POST\r\n", "Method not allowed.");
	} else if (strcmp(path, "/admin/resync") == 0 || strcmp(path, "/admin/reboot") == 0 ||
		   strcmp(path, "/admin/upgrade") == 0 || strcmp(path, "/CGI/Execute") == 0) {
		int exec = strcmp(path, "/CGI/Execute") == 0;

		if (role != ROLE_ADMIN)
			admin_respond_text(c, 403, "", "Only the admin may do this.");
		else if (!admin_same_origin(r))
			admin_refuse_foreign(c, path);
		else if (exec && r->method != HTTP_POST)
			admin_respond_text(c, 405, "Allow: POST\r\n", "Method not allowed.");
		else if (!exec && r->method != HTTP_GET)
			admin_respond_text(c, 405, "Allow: GET\r\n", "Method not allowed.");
		else if (exec)
			admin_page_execute(c);
		else if (strcmp(path, "/admin/resync") == 0)
			admin_page_resync(c, query);
		else if (strcmp(path, "/admin/upgrade") == 0)
			admin_page_upgrade(c, query);
		else
			admin_page_reboot(c);
	} else {
		admin_respond_text(c, 404, "", "Not found.");
	}
}

/* ---- connections ------------------------------------------------------------------------- */

/* Ends a connection; why (NULL: a normal end, the peer left or its
 * answer is out) is logged, like sip_conn_close's. */
static void
conn_close(struct conn *c, const char *why)
{
	struct admin *a = c->a;
	struct conn **pp;

	if (why != NULL)
		admin_log("connection closed: %s", why);

	for (pp = &a->conns; *pp != NULL && *pp != c; pp = &(*pp)->next)
		;
	if (*pp == c)
		*pp = c->next;
	a->nconns--;
	if (c->timer != 0)
		loop_timer_del(a->loop, c->timer);
	loop_fd(a->loop, c->fd, 0, NULL, NULL);
	close(c->fd);
	admin_req_fini(&c->req);
	if (c->out.b.p != NULL)
		OPENSSL_cleanse(c->out.b.p, c->out.b.len);
	buf_free(&c->out.b);
	free(c);
}

static void conn_event(void *arg, int fd, unsigned events);

/* Writes what is buffered; closes once the response is complete and sent.
 * Returns 1 if the connection was closed. */
static int
conn_flush(struct conn *c)
{
	while (c->out.off < c->out.b.len) {
		ssize_t n = send(c->fd, c->out.b.p + c->out.off, c->out.b.len - c->out.off,
				 MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			loop_fd(c->a->loop, c->fd, LOOP_OUT | (c->writing ? 0 : LOOP_IN),
				conn_event, c);
			return 0;
		}
		if (n <= 0) {
			conn_close(c, n < 0 ? strerror(errno) : "send returned 0");
			return 1;
		}
		c->out.off += (size_t)n;
	}
	if (c->writing) {
		/* Lingering close: the answer is out; reading on until the
		 * peer closes keeps the kernel from resetting the connection
		 * (and losing the answer) when the peer was still sending. */
		shutdown(c->fd, SHUT_WR);
		c->draining = 1;
		loop_fd(c->a->loop, c->fd, LOOP_IN, conn_event, c);
		return 0;
	}
	loop_fd(c->a->loop, c->fd, LOOP_IN, conn_event, c);
	return 0;
}

static void
conn_read(struct conn *c)
{
	char buf[ADMIN_READ_CHUNK];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) { /* the peer left before its request was complete */
			conn_close(c, n < 0 ? strerror(errno) : NULL);
			return;
		}
		c->last = clock_mono_ms();
		if (admin_req_feed(&c->req, buf, (size_t)n) != 0) {
			admin_respond_text(c, c->req.status, "", c->req.error);
			conn_flush(c);
			return;
		}
		if (c->req.complete) {
			conn_handle(c);
			conn_flush(c);
			return;
		}
		if (c->req.expect_continue && c->req.headers_done && !c->continued) {
			c->continued = 1;
			admin_obuf_str(&c->out, ADMIN_CONTINUE);
			if (conn_flush(c))
				return;
		}
	}
}

static void
conn_drain(struct conn *c)
{
	char buf[ADMIN_READ_CHUNK];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		c->drained += n > 0 ? (size_t)n : 0;
		c->last = clock_mono_ms();
		if (n <= 0 || c->drained > ADMIN_DRAIN_MAX) {
			conn_close(c, n > 0 ? "peer kept sending after the answer" : NULL);
			return;
		}
	}
}

static void
conn_event(void *arg, int fd, unsigned events)
{
	struct conn *c = arg;

	(void)fd;
	if (c->draining) {
		conn_drain(c);
		return;
	}
	if ((events & LOOP_OUT) && c->out.off < c->out.b.len) {
		if (conn_flush(c))
			return;
	}
	if ((events & LOOP_IN) && !c->writing)
		conn_read(c);
}

/* When c is due to close: ADMIN_REQUEST_MS after its accept, or
 * ADMIN_IDLE_MS after its last byte, whichever comes first. */
static int64_t
conn_due(const struct conn *c)
{
	int64_t life = c->born + ADMIN_REQUEST_MS, idle = c->last + ADMIN_IDLE_MS;

	return life < idle ? life : idle;
}

static void
conn_timeout(void *arg)
{
	struct conn *c = arg;
	int64_t due = conn_due(c);

	c->timer = 0;
	/* A byte since the timer was set moved the idle deadline on: the
	 * timer is re-armed then rather than at every read. */
	if (clock_mono_ms() < due) {
		c->timer = loop_timer_add(c->a->loop, due, conn_timeout, c);
		if (c->timer != 0)
			return;
	}
	conn_close(c, "idle or request timeout"); /* a slow or silent peer loses its connection */
}

/* Room for a newcomer when the table is full: the connection that has
 * been silent the longest, not in the middle of sending its answer, is
 * closed. So idle connections cannot lock the administrator out: a new
 * request's bytes come at once, and it is answered before it is the
 * oldest silent one. Returns 0, or -1 when every connection is busy. */
static int
conn_make_room(struct admin *a)
{
	struct conn *c, *victim = NULL;

	for (c = a->conns; c != NULL; c = c->next)
		if ((!c->writing || c->draining) && (victim == NULL || c->last < victim->last))
			victim = c;
	if (victim == NULL)
		return -1;
	conn_close(victim, "closed to make room for a newcomer");
	return 0;
}

/* Connections open from addr. */
static size_t
conn_count_addr(const struct admin *a, const unsigned char addr[16])
{
	size_t n = 0;

	for (const struct conn *c = a->conns; c != NULL; c = c->next)
		n += memcmp(c->addr, addr, 16) == 0;
	return n;
}

static void
admin_accept(void *arg, int fd, unsigned events)
{
	struct admin *a = arg;

	(void)events;
	for (int i = 0; i < ADMIN_ACCEPT_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		unsigned char addr[16];
		struct conn *c;

		if (cfd < 0)
			return; /* EAGAIN, or a failure that the next wake-up retries */
		hostport_addr_key((const struct sockaddr *)&ss, addr);
		if (conn_count_addr(a, addr) >= ADMIN_CONN_PER_ADDR ||
		    (a->nconns >= ADMIN_CONN_MAX && conn_make_room(a) != 0)) {
			close(cfd); /* the newcomer is turned away */
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL || admin_req_init(&c->req) != 0) {
			free(c);
			close(cfd);
			continue;
		}
		c->a = a;
		c->fd = cfd;
		memcpy(c->addr, addr, 16);
		c->born = c->last = clock_mono_ms();
		c->timer = loop_timer_add(a->loop, conn_due(c), conn_timeout, c);
		if (c->timer == 0 || loop_fd(a->loop, cfd, LOOP_IN, conn_event, c) != 0) {
			if (c->timer != 0)
				loop_timer_del(a->loop, c->timer);
			admin_req_fini(&c->req);
			free(c);
			close(cfd);
			continue;
		}
		c->next = a->conns;
		a->conns = c;
		a->nconns++;
	}
}

/* ---- life cycle ---------------------------------------------------------------------------- */

/* "HOST:PORT" or "[V6]:PORT" into host and port. */
/* ADDR:PORT or [ADDR6]:PORT, both parts required, the port numeric. */
static int
addr_split(const char *addr, char *host, size_t hostsize, char *port, size_t portsize)
{
	const char *ps;

	if (hostport_split(addr, host, hostsize, &ps) != 0 || ps == NULL ||
	    host[0] == '\0' || ps[0] == '\0' || strlen(ps) >= portsize)
		return -1;
	snprintf(port, portsize, "%s", ps);
	for (const char *p = port; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	return 0;
}

int
admin_new(struct admin **out, struct loop *loop, struct prov_device *dev,
	  const struct admin_ops *ops, const char *addr, char *msg, size_t msglen)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct admin *a;
	char host[256], port[16];
	int one = 1, e, rc = -1;

	*out = NULL;
	if (addr_split(addr, host, sizeof(host), port, sizeof(port)) != 0) {
		snprintf(msg, msglen, "%s: expected ADDR:PORT", addr);
		return -2;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	a->fd = -1;
	a->loop = loop;
	a->dev = dev;
	a->ops = *ops;
	if (RAND_bytes(a->key, sizeof(a->key)) != 1) {
		snprintf(msg, msglen, "no randomness for the nonce key");
		goto fail;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	e = getaddrinfo(host, port, &hints, &res);
	if (e != 0) {
		snprintf(msg, msglen, "%s: %s", addr, gai_strerror(e));
		rc = -2; /* not a numeric address: the caller's mistake */
		goto fail;
	}
	a->fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->fd < 0 ||
	    setsockopt(a->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(a->fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(a->fd, ADMIN_CONN_MAX) != 0 ||
	    getsockname(a->fd, (struct sockaddr *)&ss, &sl) != 0) {
		snprintf(msg, msglen, "%s: %s", addr, strerror(errno));
		goto fail;
	}
	a->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						 : ((struct sockaddr_in *)&ss)->sin_port);
	if (loop_fd(loop, a->fd, LOOP_IN, admin_accept, a) != 0) {
		snprintf(msg, msglen, "cannot watch the listener: %s", strerror(errno));
		goto fail;
	}
	freeaddrinfo(res);
	*out = a;
	return 0;
fail:
	if (res != NULL)
		freeaddrinfo(res);
	if (a->fd >= 0)
		close(a->fd);
	OPENSSL_cleanse(a->key, sizeof(a->key));
	free(a);
	return rc;
}

void
admin_free(struct admin *a)
{
	if (a == NULL)
		return;
	while (a->conns != NULL)
		conn_close(a->conns, NULL);
	loop_fd(a->loop, a->fd, 0, NULL, NULL);
	close(a->fd);
	OPENSSL_cleanse(a->key, sizeof(a->key));
	free(a);
}

int
admin_port(const struct admin *a)
{
	return a->port;
}

size_t
admin_conn_count(const struct admin *a)
{
	return a->nconns;
}
