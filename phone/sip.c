/*
 * sip: SIP NOTIFY listener of the device agent (sip.h; device.md D-TRG-3,
 * D-TRG-4; reliability.md R-NOTIFY).
 *
 * One message goes through sip_take, which never touches a socket:
 *   1. the parse budget: over it a datagram is dropped before parsing,
 *      a TCP message answered 503 (the other buckets, below, once it is
 *      known whether the message proved the password);
 *   2. framing: the header block ends at the first CRLF CRLF within
 *      SIP_HEAD_MAX, the body is Content-Length bytes (TCP: required; UDP:
 *      the rest of the datagram when absent) and at most SIP_BODY_MAX;
 *   3. libosip2 parses the message; a response is ignored; a request must
 *      carry Via, From, To, Call-ID and a CSeq naming its method;
 *   4. NOTIFY: line 1's credentials are read from the device on every
 *      request (another process may change them), the Authorization is
 *      checked (below), then the Event is mapped to an action;
 *   5. the answer echoes Via (the top one with received and rport, RFC
 *      3581), From, To (with our tag), Call-ID and CSeq.
 * The transport sends the answer and only then runs the action, so a
 * reboot action never loses its 200.
 *
 * Digest (RFC 3261 22.4, RFC 2617 3.2.2, RFC 7616, RFC 8760): the nonce
 * is "TTTTTTTTTTTTTTTT" (16 hex digits: the clock's ms when issued) then
 * the first 16 bytes of HMAC-SHA256(key, T) in hex, with a random key
 * per process: no state is kept per challenge, a forged nonce fails the
 * HMAC and an old one is stale (401 stale=true). qop=auth is required
 * (we offer only that), so every request carries nc and cnonce; the
 * highest nc accepted per nonce is kept (SIP_SEEN_MAX nonces, dropped when
 * stale), and a request whose nc is not above it is a replay: no action,
 * 401 with a fresh nonce. The digest uri must be the Request-URI as sent.
 *
 * Answers go to the packet's source address and port, never to the
 * address a Via names (RFC 3581 behaviour for everyone): an unauthenticated
 * sender cannot aim our answers at a third party.
 */
#define _GNU_SOURCE /* accept4 */
#include "sip.h"
#include "sip_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <osipparser2/osip_message.h>
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>

#include "digest.h"
#include "hex.h"
#include "hostport.h"
#include "loop.h"
#include "clock.h"
#include "prov/prov.h"

static pthread_once_t sip_osip_once = PTHREAD_ONCE_INIT;

static void
sip_osip_trace(const char *file, int line, osip_trace_level_t level, const char *fmt,
	       va_list ap)
{
	(void)file;
	(void)line;
	(void)level;
	(void)fmt;
	(void)ap;
}

static void
sip_osip_init(void)
{
	int l;

	parser_init();
	/* libosip2 prints its parse errors to stdout unless given a trace
	 * function (Debian builds it with tracing): a peer must not be able
	 * to write to our output. Our counters say what was refused. */
	osip_trace_initialize_func(TRACE_LEVEL0, sip_osip_trace);
	for (l = 0; l < END_TRACE_LEVEL; l++)
		osip_trace_disable_level((osip_trace_level_t)l);
}

int64_t
sip_now(const struct sip *s)
{
	if (s->now_fn != NULL)
		return s->now_fn(s->now_arg);
	return s->loop != NULL ? loop_now(s->loop) : clock_mono_ms();
}

void
sip_log(struct sip *s, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (s->log_fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->log_fn(s->log_arg, line);
}

/* ---------------------------------------------------------------------
 * Rate limiting.
 */

static int
sip_bucket_take(struct sip_bucket *b, int64_t now, int64_t per_s, int64_t burst)
{
	const int64_t full = burst * 1000;

	if (now > b->last) {
		int64_t add = (now - b->last) * per_s; /* tokens/s = milli/ms */

		b->milli = add >= full - b->milli ? full : b->milli + add;
	}
	b->last = now;
	if (b->milli < 1000)
		return 0;
	b->milli -= 1000;
	return 1;
}

/* 1 if a message may be parsed now; takes a token from the parse budget. */
int
sip_rate_parse_ok(struct sip *s)
{
	return sip_bucket_take(&s->parse, sip_now(s), SIP_RATE_PARSE_PER_S,
			       SIP_RATE_PARSE_BURST);
}

/* 1 if a parsed message from src may be handled now. authd: a NOTIFY that
 * proved the password takes from the authenticated budget only; anything
 * else takes from the source's bucket and from the overall one. */
int
sip_rate_ok(struct sip *s, const struct sockaddr *src, int authd)
{
	unsigned char addr[16];
	int64_t now = sip_now(s);
	struct sip_src *e = NULL, *lru = NULL;
	size_t i;

	if (authd)
		return sip_bucket_take(&s->authd, now, SIP_RATE_AUTH_PER_S, SIP_RATE_AUTH_BURST);
	hostport_addr_key(src, addr);
	for (i = 0; i < SIP_RATE_SOURCES; i++) {
		struct sip_src *c = &s->src[i];

		if (c->used && c->family == src->sa_family &&
		    memcmp(c->addr, addr, sizeof(addr)) == 0) {
			e = c;
			break;
		}
		if (lru == NULL || !c->used || (lru->used && c->seen < lru->seen))
			lru = c;
	}
	if (e == NULL) {
		e = lru;
		e->used = 1;
		e->family = src->sa_family;
		memcpy(e->addr, addr, sizeof(addr));
		e->b.milli = (int64_t)SIP_RATE_BURST * 1000;
		e->b.last = now;
	}
	e->seen = now;
	if (!sip_bucket_take(&e->b, now, SIP_RATE_PER_S, SIP_RATE_BURST))
		return 0;
	return sip_bucket_take(&s->all, now, SIP_RATE_ALL_PER_S, SIP_RATE_ALL_BURST);
}

/* ---------------------------------------------------------------------
 * Framing.
 */

/* Finds the header block of the message at buf: *headlen up to and with
 * the blank line, *cl the Content-Length (-1 when absent). Returns 1, 0
 * when the block is incomplete, -1 when malformed or too long. */
int
sip_head(const char *buf, size_t len, size_t *headlen, long *cl)
{
	size_t lim = len < SIP_HEAD_MAX ? len : SIP_HEAD_MAX;
	size_t i, end = 0, line;
	long found = -1;

	for (i = 0; i + 3 < lim; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' &&
		    buf[i + 3] == '\n') {
			end = i + 4;
			break;
		}
	}
	if (end == 0)
		return len >= SIP_HEAD_MAX ? -1 : 0;
	/* Header lines: after the start line, each begins after a CRLF. */
	for (line = 0; line < end - 2;) {
		const char *p = buf + line, *nl = memchr(p, '\n', end - line);
		size_t n = (size_t)(nl - p), k = 0;

		if (line > 0 && n > 0 && p[0] != ' ' && p[0] != '\t') {
			while (k < n && (isalnum((unsigned char)p[k]) || p[k] == '-'))
				k++;
			if ((k == 14 && strncasecmp(p, "Content-Length", 14) == 0) ||
			    (k == 1 && (p[0] == 'l' || p[0] == 'L'))) {
				long v = 0;
				size_t d = 0;

				while (k < n && (p[k] == ' ' || p[k] == '\t'))
					k++;
				if (k >= n || p[k] != ':')
					return -1;
				k++;
				while (k < n && (p[k] == ' ' || p[k] == '\t'))
					k++;
				while (k < n && isdigit((unsigned char)p[k]) && d < 9) {
					v = v * 10 + (p[k] - '0');
					k++;
					d++;
				}
				while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'))
					k++;
				if (d == 0 || k != n)
					return -1;
				if (found >= 0 && found != v)
					return -1;
				found = v;
			}
		}
		line += n + 1;
	}
	*headlen = end;
	*cl = found;
	return 1;
}

int
sip_frame(const char *buf, size_t len, size_t *msglen)
{
	size_t head;
	long cl;
	int r = sip_head(buf, len, &head, &cl);

	if (r <= 0)
		return r;
	if (cl < 0 || (unsigned long)cl > SIP_BODY_MAX)
		return -1;
	if (len - head < (size_t)cl)
		return 0;
	*msglen = head + (size_t)cl;
	return 1;
}

/* ---------------------------------------------------------------------
 * UDP.
 */

static void
sip_udp_cb(void *arg, int fd, unsigned events)
{
	struct sip *s = arg;
	unsigned i;

	(void)events;
	for (i = 0; i < SIP_RECV_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct sip_out o;
		struct sip_pending p;
		ssize_t n = recvfrom(fd, s->rbuf, sizeof(s->rbuf), MSG_TRUNC | MSG_DONTWAIT,
				     (struct sockaddr *)&ss, &sl);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((size_t)n > sizeof(s->rbuf)) {
			s->st.oversize++;
			continue;
		}
		(void)sip_take(s, s->rbuf, (size_t)n, (struct sockaddr *)&ss, sl, 0, &o, &p);
		if (o.b.len > 0 &&
		    sendto(fd, o.b.p, o.b.len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&ss,
			   sl) < 0)
			sip_log(s, "sip: udp send: %s", strerror(errno));
		sip_run(s, &p);
	}
}

/* ---------------------------------------------------------------------
 * TCP.
 */

static void
sip_conn_close(struct sip_conn *c, const char *why)
{
	struct sip *s = c->s;

	if (why != NULL)
		sip_log(s, "sip: tcp connection closed: %s", why);
	loop_fd(s->loop, c->fd, 0, NULL, NULL);
	close(c->fd);
	loop_timer_del(s->loop, c->idle);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nconns--;
	free(c->in);
	free(c->out);
	free(c);
}

static void sip_conn_cb(void *arg, int fd, unsigned events);

static void
sip_conn_idle(void *arg)
{
	struct sip_conn *c = arg;

	c->idle = 0;
	sip_conn_close(c, "idle timeout");
}

/* Sends what is queued. Returns 0, or -1 when the connection was closed. */
static int
sip_conn_flush(struct sip_conn *c)
{
	unsigned want;

	while (c->outlen > 0) {
		ssize_t n = send(c->fd, c->out, c->outlen, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			sip_conn_close(c, strerror(errno));
			return -1;
		}
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	if (c->outlen == 0 && c->closing) {
		sip_conn_close(c, NULL);
		return -1;
	}
	want = c->closing ? 0 : LOOP_IN;
	if (c->outlen > 0)
		want |= LOOP_OUT;
	if (want != c->watching) {
		if (loop_fd(c->s->loop, c->fd, want, sip_conn_cb, c) != 0) {
			sip_conn_close(c, "cannot watch");
			return -1;
		}
		c->watching = want;
	}
	return 0;
}

static int
sip_conn_queue(struct sip_conn *c, const char *p, size_t n)
{
	if (n > SIP_TCP_OUT_MAX - c->outlen) {
		sip_conn_close(c, "peer does not read its answers");
		return -1;
	}
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
	return 0;
}

/* Handles the complete messages in c->in. Returns -1 if c was closed. */
static int
sip_conn_process(struct sip_conn *c)
{
	struct sip *s = c->s;

	while (!c->closing) {
		struct sip_out o;
		struct sip_pending p;
		size_t skip = 0, ml = 0;
		int r, gone;

		while (skip < c->inlen && (c->in[skip] == '\r' || c->in[skip] == '\n'))
			skip++;
		if (skip > 0) {
			memmove(c->in, c->in + skip, c->inlen - skip);
			c->inlen -= skip;
		}
		r = sip_frame(c->in, c->inlen, &ml);
		if (r == 0)
			break;
		if (r < 0) {
			/* Framing lost: answer and close, the stream cannot
			 * be resynchronised. */
			size_t head;
			long cl;
			int hr = sip_head(c->in, c->inlen, &head, &cl);
			int big = hr < 0 ? c->inlen >= SIP_HEAD_MAX : cl > (long)SIP_BODY_MAX;

			s->st.received++;
			if (big)
				s->st.oversize++;
			else
				s->st.malformed++;
			sip_out_init(&o, s);
			sip_answer_bare(&o, big ? 513 : 400, big ? "Message Too Large" : "Bad Request");
			c->closing = 1;
			if (sip_conn_queue(c, o.b.p, o.b.len) != 0)
				return -1;
			sip_log(s, "sip: tcp framing error (Content-Length missing or bad, "
				   "or message too large)");
			break;
		}
		if (sip_take(s, c->in, ml, (struct sockaddr *)&c->peer, c->peerlen, 1, &o,
			     &p) != 0)
			c->closing = 1;
		if (p.act == SIP_ACT_XML) {
			/* The body outlives c->in (moved below, freed if
			 * the connection closes): the UDP buffer is free
			 * while a TCP message is handled. */
			memcpy(s->rbuf, p.body, p.len);
			p.body = s->rbuf;
		}
		if (o.b.len > 0 && sip_conn_queue(c, o.b.p, o.b.len) != 0) {
			sip_run(s, &p);
			return -1;
		}
		memmove(c->in, c->in + ml, c->inlen - ml);
		c->inlen -= ml;
		gone = sip_conn_flush(c);
		sip_run(s, &p);
		if (gone != 0)
			return -1;
	}
	return sip_conn_flush(c);
}

static void
sip_conn_cb(void *arg, int fd, unsigned events)
{
	struct sip_conn *c = arg;
	struct sip *s = c->s;

	if (events & LOOP_OUT) {
		if (sip_conn_flush(c) != 0)
			return;
	}
	if (!(events & LOOP_IN) || c->closing)
		return;
	if (c->inlen == c->incap) {
		size_t ncap = c->incap * 2 > SIP_TCP_IN_MAX ? SIP_TCP_IN_MAX : c->incap * 2;
		char *n;

		if (ncap == c->incap) {
			/* Cannot happen: sip_frame refuses anything longer. */
			sip_conn_close(c, "input buffer full");
			return;
		}
		n = realloc(c->in, ncap);
		if (n == NULL) {
			sip_conn_close(c, "out of memory");
			return;
		}
		c->in = n;
		c->incap = ncap;
	}
	for (;;) {
		ssize_t n = recv(fd, c->in + c->inlen, c->incap - c->inlen, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				sip_conn_close(c, strerror(errno));
			return;
		}
		if (n == 0) {
			sip_conn_close(c, NULL);
			return;
		}
		c->inlen += (size_t)n;
		c->last = loop_now(s->loop);
		break;
	}
	loop_timer_del(s->loop, c->idle);
	c->idle = loop_timer_add(s->loop, loop_now(s->loop) + s->idle_ms, sip_conn_idle, c);
	if (c->idle == 0) {
		sip_conn_close(c, "out of memory");
		return;
	}
	(void)sip_conn_process(c);
}

/* Room for a newcomer at SIP_TCP_MAX: the connection silent the longest
 * is closed, so idle connections cannot keep the proxy out (it connects
 * and sends at once). */
static void
sip_conn_make_room(struct sip *s)
{
	struct sip_conn *c, *victim = NULL;

	for (c = s->conns; c != NULL; c = c->next)
		if (victim == NULL || c->last < victim->last)
			victim = c;
	if (victim != NULL)
		sip_conn_close(victim, "room for a new connection");
}

/* TCP connections open from addr. */
static unsigned
sip_conn_count_addr(const struct sip *s, const unsigned char addr[16])
{
	unsigned n = 0;

	for (const struct sip_conn *c = s->conns; c != NULL; c = c->next)
		n += memcmp(c->addr, addr, 16) == 0;
	return n;
}

static void
sip_accept_cb(void *arg, int fd, unsigned events)
{
	struct sip *s = arg;
	unsigned i;

	(void)events;
	for (i = 0; i < SIP_RECV_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		unsigned char addr[16];
		struct sip_conn *c;
		int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		hostport_addr_key((const struct sockaddr *)&ss, addr);
		if (sip_conn_count_addr(s, addr) >= SIP_TCP_PER_ADDR) {
			s->st.tcp_refused++;
			close(cfd);
			continue;
		}
		if (s->nconns >= SIP_TCP_MAX)
			sip_conn_make_room(s);
		c = calloc(1, sizeof(*c));
		if (c != NULL) {
			c->in = malloc(SIP_TCP_IN_FIRST);
			c->out = malloc(SIP_TCP_OUT_MAX);
		}
		if (c == NULL || c->in == NULL || c->out == NULL) {
			if (c != NULL) {
				free(c->in);
				free(c->out);
			}
			free(c);
			close(cfd);
			continue;
		}
		s->st.tcp_accepted++;
		c->s = s;
		c->fd = cfd;
		c->incap = SIP_TCP_IN_FIRST;
		memcpy(&c->peer, &ss, sl);
		c->peerlen = sl;
		memcpy(c->addr, addr, 16);
		c->last = loop_now(s->loop);
		c->next = s->conns;
		if (s->conns != NULL)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
		c->idle = loop_timer_add(s->loop, loop_now(s->loop) + s->idle_ms,
					 sip_conn_idle, c);
		if (c->idle == 0 || loop_fd(s->loop, cfd, LOOP_IN, sip_conn_cb, c) != 0) {
			sip_conn_close(c, "cannot watch");
			continue;
		}
		c->watching = LOOP_IN;
	}
}

/* ---------------------------------------------------------------------
 * Setup.
 */

/* Parses "ADDR:PORT" / "[ADDR6]:PORT" (numeric) into ss. */
static int
sip_parse_addr(const char *ap, struct sockaddr_storage *ss, socklen_t *sl, char *err,
	       size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port;
	struct addrinfo hints, *res = NULL;
	int r;

	if (hostport_split(ap, host, sizeof(host), &port) != 0 || port == NULL) {
		snprintf(err, errlen, "sip: %s: expected %s", ap,
			 ap[0] == '[' ? "[ADDR]:PORT" : "ADDR:PORT");
		return -1;
	}
	if (host[0] == '\0' || port[0] == '\0') {
		snprintf(err, errlen, "sip: bad address");
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_DGRAM;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0 || res == NULL) {
		snprintf(err, errlen, "sip: %s:%s: %s", host, port, gai_strerror(r));
		if (res != NULL)
			freeaddrinfo(res);
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sl = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void
sip_set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)(void *)ss)->sin6_port = htons((uint16_t)port);
}

static int
sip_get_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)(void *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
}

static int
sip_socket(int family, int type)
{
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd >= 0 && type == SOCK_STREAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd >= 0 && family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	return fd;
}

/* Binds UDP and TCP on the same port (with port 0: one both have free). */
static int
sip_bind(struct sip *s, const char *ap, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int tries, want, port;

	if (sip_parse_addr(ap, &ss, &sl, err, errlen) != 0)
		return -1;
	want = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)(void *)&ss)->sin_port)
				       : ntohs(((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
	for (tries = 0; tries < SIP_BIND_TRIES; tries++) {
		s->udp = sip_socket(ss.ss_family, SOCK_DGRAM);
		s->tcp = sip_socket(ss.ss_family, SOCK_STREAM);
		if (s->udp < 0 || s->tcp < 0) {
			snprintf(err, errlen, "sip: socket: %s", strerror(errno));
			return -1;
		}
		sip_set_port(&ss, want);
		if (bind(s->udp, (struct sockaddr *)&ss, sl) != 0) {
			snprintf(err, errlen, "sip: udp %s: %s", ap, strerror(errno));
			return -1;
		}
		port = sip_get_port(s->udp);
		sip_set_port(&ss, port);
		if (port > 0 && bind(s->tcp, (struct sockaddr *)&ss, sl) == 0 &&
		    listen(s->tcp, SIP_LISTEN_BACKLOG) == 0) {
			s->port = port;
			return 0;
		}
		snprintf(err, errlen, "sip: tcp %s: %s", ap, strerror(errno));
		close(s->udp);
		close(s->tcp);
		s->udp = s->tcp = -1;
		if (want != 0)
			return -1;
	}
	return -1;
}

int
sip_new(struct sip **out, struct loop *loop, struct prov_device *dev, const char *addr_port,
	const struct sip_actions *act, char *err, size_t errlen)
{
	struct sip *s;
	int rc = -1;

	*out = NULL;
	pthread_once(&sip_osip_once, sip_osip_init);
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "sip: out of memory");
		return -1;
	}
	s->loop = loop;
	s->dev = dev;
	s->udp = s->tcp = -1;
	s->idle_ms = SIP_TCP_IDLE_MS;
	if (act != NULL)
		s->act = *act;
	if (RAND_bytes(s->key, sizeof(s->key)) != 1) {
		snprintf(err, errlen, "sip: no randomness for the nonce key");
		goto out;
	}
	s->parse.milli = (int64_t)SIP_RATE_PARSE_BURST * 1000;
	s->all.milli = (int64_t)SIP_RATE_ALL_BURST * 1000;
	s->authd.milli = (int64_t)SIP_RATE_AUTH_BURST * 1000;
	s->parse.last = s->all.last = s->authd.last = sip_now(s);
	if (addr_port != NULL) {
		if (loop == NULL) {
			snprintf(err, errlen, "sip: no loop");
			goto out;
		}
		if (sip_bind(s, addr_port, err, errlen) != 0)
			goto out;
		if (loop_fd(loop, s->udp, LOOP_IN, sip_udp_cb, s) != 0 ||
		    loop_fd(loop, s->tcp, LOOP_IN, sip_accept_cb, s) != 0) {
			snprintf(err, errlen, "sip: loop: %s", strerror(errno));
			goto out;
		}
	}
	*out = s;
	s = NULL;
	rc = 0;
out:
	sip_free(s);
	return rc;
}

void
sip_free(struct sip *s)
{
	if (s == NULL)
		return;
	while (s->conns != NULL)
		sip_conn_close(s->conns, NULL);
	if (s->udp >= 0) {
		if (s->loop != NULL)
			loop_fd(s->loop, s->udp, 0, NULL, NULL);
		close(s->udp);
	}
	if (s->tcp >= 0) {
		if (s->loop != NULL)
			loop_fd(s->loop, s->tcp, 0, NULL, NULL);
		close(s->tcp);
	}
	OPENSSL_cleanse(s->key, sizeof(s->key));
	free(s);
}

int
sip_port(const struct sip *s)
{
	return s->port;
}

void
sip_set_clock(struct sip *s, int64_t (*now_ms)(void *arg), void *arg)
{
	s->now_fn = now_ms;
	s->now_arg = arg;
}

void
sip_set_log(struct sip *s, void (*fn)(void *arg, const char *line), void *arg)
{
	s->log_fn = fn;
	s->log_arg = arg;
}

void
sip_set_tcp_idle(struct sip *s, int64_t ms)
{
	s->idle_ms = ms;
}

void
sip_set_key(struct sip *s, const unsigned char *key, size_t len)
{
	memset(s->key, 0, sizeof(s->key));
	memcpy(s->key, key, len < sizeof(s->key) ? len : sizeof(s->key));
}

void
sip_get_stats(const struct sip *s, struct sip_stats *st)
{
	*st = s->st;
}
