/*
 * sip: SIP NOTIFY listener of the device agent (sip.h; device.md D-TRG-3,
 * D-TRG-4; reliability.md R-NOTIFY).
 *
 * One message goes through sip_take, which never touches a socket:
 *   1. the rate buckets (per source address, then overall): over them a
 *      datagram is dropped before parsing, a TCP message answered 503;
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
#include "mono.h"
#include "prov/prov.h"

#define SIP_TCP_IN_FIRST 4096u  /* first size of a connection's input buffer */
#define SIP_TCP_IN_MAX (SIP_HEAD_MAX + SIP_BODY_MAX) /* largest input buffer: one message */
#define SIP_BIND_TRIES 16       /* port 0: tries to find a port free for UDP and TCP */
#define SIP_LISTEN_BACKLOG 32   /* pending TCP connections */
#define SIP_ALLOW "Allow: NOTIFY, OPTIONS, ACK\r\n"

/* What a message asks to be done once its answer is out. */
enum sip_act {
	SIP_ACT_NONE,
	SIP_ACT_RESYNC,
	SIP_ACT_REPORT,
	SIP_ACT_REBOOT,
	SIP_ACT_RESTART,
	SIP_ACT_XML,
};

struct sip_pending {
	enum sip_act act;
	const char *body;    /* XML-Service: borrowed from the message buffer */
	size_t len;
};

/* The answer being built, in struct sip's buffer: capped. */
struct sip_out {
	char *p;
	size_t len, cap;
	int overflow;        /* over cap, or a header would not format: send nothing */
};

struct sip_bucket {
	int64_t milli;       /* tokens * 1000 */
	int64_t last;        /* clock ms of the last refill */
};

struct sip_src {
	int used;
	int family;
	unsigned char addr[16];
	int64_t seen;        /* for LRU replacement */
	struct sip_bucket b;
};

struct sip_conn {
	struct sip *s;
	struct sip_conn *prev, *next;
	int fd;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	char *in;
	size_t inlen, incap;
	char *out;           /* unsent answers, SIP_TCP_OUT_MAX bytes */
	size_t outlen;
	int closing;         /* close once out is sent */
	unsigned watching;
	uint64_t idle;       /* timer id */
};

struct sip {
	struct loop *loop;
	struct prov_device *dev;
	struct sip_actions act;
	int udp, tcp;
	int port;
	unsigned char key[DIGEST_KEY_LEN];
	int64_t (*now_fn)(void *);
	void *now_arg;
	int64_t idle_ms;     /* SIP_TCP_IDLE_MS */
	void (*log_fn)(void *, const char *);
	void *log_arg;
	struct sip_bucket all;
	struct sip_src src[SIP_RATE_SOURCES];
	struct digest_seen seen[SIP_SEEN_MAX];
	struct sip_conn *conns;
	unsigned nconns;
	struct sip_stats st;
	char ans[SIP_ANSWER_MAX];
	char rbuf[SIP_UDP_MAX];
};

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

static int64_t
sip_now(const struct sip *s)
{
	if (s->now_fn != NULL)
		return s->now_fn(s->now_arg);
	return s->loop != NULL ? loop_now(s->loop) : mono_ms();
}

static void sip_log(struct sip *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
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
sip_bucket_take(struct sip_bucket *b, int64_t now)
{
	const int64_t full = (int64_t)SIP_RATE_BURST * 1000;

	if (now > b->last) {
		int64_t add = (now - b->last) * SIP_RATE_PER_S; /* tokens/s = milli/ms */

		b->milli = add >= full - b->milli ? full : b->milli + add;
	}
	b->last = now;
	if (b->milli < 1000)
		return 0;
	b->milli -= 1000;
	return 1;
}

/* The address of sa (without port) as a bucket key. */
static void
sip_addr_key(const struct sockaddr *sa, unsigned char addr[16])
{
	memset(addr, 0, 16);
	if (sa->sa_family == AF_INET)
		memcpy(addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(addr, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
}

/* 1 if a message from src may be handled now; takes a token from the
 * source's bucket and from the overall one. */
static int
sip_rate_ok(struct sip *s, const struct sockaddr *src)
{
	unsigned char addr[16];
	int64_t now = sip_now(s);
	struct sip_src *e = NULL, *lru = NULL;
	size_t i;

	sip_addr_key(src, addr);
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
	if (!sip_bucket_take(&e->b, now))
		return 0;
	return sip_bucket_take(&s->all, now);
}

/* ---------------------------------------------------------------------
 * Framing.
 */

/* Finds the header block of the message at buf: *headlen up to and with
 * the blank line, *cl the Content-Length (-1 when absent). Returns 1, 0
 * when the block is incomplete, -1 when malformed or too long. */
static int
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
 * Answers.
 */

static void sip_out_add(struct sip_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
sip_out_add(struct sip_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->overflow = 1;
		return;
	}
	o->len += (size_t)n;
}

static void
sip_addr_str(const struct sockaddr *sa, socklen_t salen, char *host, size_t hostlen,
	     char *port, size_t portlen)
{
	if (getnameinfo(sa, salen, host, (socklen_t)hostlen, port, (socklen_t)portlen,
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(host, hostlen, "0.0.0.0");
		snprintf(port, portlen, "0");
	}
}

/* Sets (or replaces) a Via parameter. Returns 0, -1 out of memory. */
static int
sip_via_set(osip_via_t *via, const char *name, const char *value)
{
	osip_generic_param_t *p = NULL;
	char *v = osip_strdup(value);

	if (v == NULL)
		return -1;
	if (osip_via_param_get_byname(via, (char *)(uintptr_t)name, &p) == OSIP_SUCCESS &&
	    p != NULL) {
		osip_free(p->gvalue);
		p->gvalue = v;
		return 0;
	}
	if (osip_via_param_add(via, osip_strdup(name), v) != OSIP_SUCCESS) {
		osip_free(v);
		return -1;
	}
	return 0;
}

/* A bare answer for a request too broken to echo: TCP only. */
static void
sip_answer_bare(struct sip_out *o, int code, const char *reason)
{
	sip_out_add(o, "SIP/2.0 %d %s\r\nContent-Length: 0\r\n\r\n", code, reason);
}

/* The answer CODE to request m, echoing its Via, From, To, Call-ID and
 * CSeq, with EXTRA header lines (CRLF-terminated; may be NULL). */
static void
sip_answer(osip_message_t *m, const struct sockaddr *src, socklen_t srclen,
	   int code, const char *reason, const char *extra, struct sip_out *o)
{
	char host[INET6_ADDRSTRLEN + 8], port[16], *txt = NULL;
	osip_generic_param_t *tag = NULL, *rport = NULL;
	osip_via_t *via;
	int i, n = osip_list_size(&m->vias);

	o->len = 0;
	sip_out_add(o, "SIP/2.0 %d %s\r\n", code, reason);
	sip_addr_str(src, srclen, host, sizeof(host), port, sizeof(port));
	for (i = 0; i < n; i++) {
		via = osip_list_get(&m->vias, i);
		if (i == 0 && src->sa_family != AF_UNSPEC) {
			/* RFC 3581 4: rport asked for gets the source port and
			 * received; RFC 3261 18.2.1: received when the sent-by
			 * host is not the source address. */
			osip_via_param_get_byname(via, "rport", &rport);
			if (rport != NULL) {
				if (sip_via_set(via, "rport", port) != 0 ||
				    sip_via_set(via, "received", host) != 0)
					o->overflow = 1;
			} else if (via->host == NULL || strcmp(via->host, host) != 0) {
				if (sip_via_set(via, "received", host) != 0)
					o->overflow = 1;
			}
		}
		if (osip_via_to_str(via, &txt) != OSIP_SUCCESS) {
			o->overflow = 1;
			return;
		}
		sip_out_add(o, "Via: %s\r\n", txt);
		osip_free(txt);
		txt = NULL;
	}
	if (osip_from_to_str(m->from, &txt) != OSIP_SUCCESS) {
		o->overflow = 1;
		return;
	}
	sip_out_add(o, "From: %s\r\n", txt);
	osip_free(txt);
	txt = NULL;
	if (osip_to_to_str(m->to, &txt) != OSIP_SUCCESS) {
		o->overflow = 1;
		return;
	}
	osip_to_get_tag(m->to, &tag);
	if (tag == NULL) {
		unsigned char r[8];

		if (RAND_bytes(r, sizeof(r)) != 1)
			memset(r, 0, sizeof(r));
		sip_out_add(o, "To: %s;tag=%02x%02x%02x%02x%02x%02x%02x%02x\r\n", txt, r[0], r[1],
			    r[2], r[3], r[4], r[5], r[6], r[7]);
	} else {
		sip_out_add(o, "To: %s\r\n", txt);
	}
	osip_free(txt);
	txt = NULL;
	if (osip_call_id_to_str(m->call_id, &txt) != OSIP_SUCCESS) {
		o->overflow = 1;
		return;
	}
	sip_out_add(o, "Call-ID: %s\r\n", txt);
	osip_free(txt);
	sip_out_add(o, "CSeq: %s %s\r\n", m->cseq->number, m->cseq->method);
	if (extra != NULL)
		sip_out_add(o, "%s", extra);
	sip_out_add(o, "Server: prov\r\nContent-Length: 0\r\n\r\n");
}

/* ---------------------------------------------------------------------
 * Digest.
 */

/* Copies a digest parameter, without its quotes, into out (SIP_FIELD_MAX).
 * Returns 0, or -1 when absent, empty or too long. */
static int
sip_unq(const char *v, char *out)
{
	size_t n, o = 0, i;

	if (v == NULL)
		return -1;
	n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	for (i = 0; i < n; i++) {
		if (v[i] == '\\' && i + 1 < n)
			i++;
		if (o + 1 >= SIP_FIELD_MAX)
			return -1;
		out[o++] = v[i];
	}
	out[o] = '\0';
	return o > 0 ? 0 : -1;
}

/* The realm: "prov-" and the device's MAC address, stable and not secret. */
static void
sip_realm(const struct sip *s, char *out, size_t n)
{
	const char *ma = prov_device_identity(s->dev, "MA");

	snprintf(out, n, "prov-%s", ma != NULL ? ma : "device");
}

static void
sip_challenge(struct sip *s, int stale, char *out, size_t n)
{
	char realm[SIP_FIELD_MAX], nonce[DIGEST_NONCE_LEN + 1];
	const char *st = stale ? ", stale=true" : "";
	int w;

	sip_realm(s, realm, sizeof(realm));
	if (digest_nonce_make(s->key, sizeof(s->key), sip_now(s), nonce) != 0) {
		out[0] = '\0';
		return;
	}
	/* MD5 first: what phones' peers (and sipp) take; RFC 8760 SHA-256
	 * for those that prefer it. */
	w = snprintf(out, n,
		     "WWW-Authenticate: Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5, "
		     "qop=\"auth\"%s\r\n"
		     "WWW-Authenticate: Digest realm=\"%s\", nonce=\"%s\", algorithm=SHA-256, "
		     "qop=\"auth\"%s\r\n",
		     realm, nonce, st, realm, nonce, st);
	if (w < 0 || (size_t)w >= n)
		out[0] = '\0'; /* no half challenge: the caller sends none */
}

/* The raw Request-URI of the request line at msg (the digest uri must be
 * it, byte for byte). Returns 0, or -1. */
static int
sip_request_uri(const char *msg, size_t len, char *out)
{
	const char *sp1 = memchr(msg, ' ', len), *sp2;
	size_t n;

	if (sp1 == NULL)
		return -1;
	sp1++;
	sp2 = memchr(sp1, ' ', len - (size_t)(sp1 - msg));
	if (sp2 == NULL)
		return -1;
	n = (size_t)(sp2 - sp1);
	if (n == 0 || n >= SIP_FIELD_MAX)
		return -1;
	memcpy(out, sp1, n);
	out[n] = '\0';
	return 0;
}

enum sip_auth {
	SIP_AUTH_OK,
	SIP_AUTH_CHALLENGE, /* no usable Authorization: 401 */
	SIP_AUTH_STALE,     /* 401 stale=true */
	SIP_AUTH_REPLAY,    /* 401 */
	SIP_AUTH_FAIL,      /* 403 */
	SIP_AUTH_FULL,      /* replay table full of fresh nonces: 503 */
};

/* Checks the Authorization of request m (raw text msg) against user and
 * pass. */
static enum sip_auth
sip_auth_check(struct sip *s, osip_message_t *m, const char *msg, size_t len,
	       const char *user, const char *pass)
{
	char realm[SIP_FIELD_MAX], f_realm[SIP_FIELD_MAX], f_user[SIP_FIELD_MAX];
	char f_nonce[SIP_FIELD_MAX], f_uri[SIP_FIELD_MAX], f_resp[SIP_FIELD_MAX];
	char f_qop[SIP_FIELD_MAX], f_nc[SIP_FIELD_MAX], f_cnonce[SIP_FIELD_MAX];
	char f_alg[SIP_FIELD_MAX], ruri[SIP_FIELD_MAX];
	char want[DIGEST_HEX_MAX];
	osip_authorization_t *a = NULL;
	const EVP_MD *md;
	int64_t now = sip_now(s), issued = 0;
	uint32_t nc;
	size_t i;
	int pos;

	sip_realm(s, realm, sizeof(realm));
	/* The first Authorization for our realm. */
	for (pos = 0; osip_message_get_authorization(m, pos, &a) >= 0 && a != NULL; pos++) {
		if (a->auth_type != NULL && strcasecmp(a->auth_type, "Digest") == 0 &&
		    sip_unq(a->realm, f_realm) == 0 && strcmp(f_realm, realm) == 0)
			break;
		a = NULL;
	}
	if (a == NULL)
		return SIP_AUTH_CHALLENGE;
	if (sip_unq(a->nonce, f_nonce) != 0)
		return SIP_AUTH_CHALLENGE;
	switch (digest_nonce_check(s->key, sizeof(s->key), f_nonce, now, SIP_NONCE_TTL_MS,
				   &issued)) {
	case DIGEST_NONCE_BAD:
		return SIP_AUTH_CHALLENGE;
	case DIGEST_NONCE_STALE:
		return SIP_AUTH_STALE;
	case DIGEST_NONCE_FRESH:
		break;
	}
	if (a->algorithm != NULL && sip_unq(a->algorithm, f_alg) != 0)
		return SIP_AUTH_CHALLENGE;
	md = digest_md(a->algorithm != NULL ? f_alg : NULL);
	if (md == NULL)
		return SIP_AUTH_CHALLENGE;
	if (sip_unq(a->username, f_user) != 0 || sip_unq(a->uri, f_uri) != 0 ||
	    sip_unq(a->response, f_resp) != 0 || sip_unq(a->message_qop, f_qop) != 0 ||
	    sip_unq(a->nonce_count, f_nc) != 0 || sip_unq(a->cnonce, f_cnonce) != 0)
		return SIP_AUTH_FAIL;
	if (strcmp(f_qop, "auth") != 0 || digest_nc(f_nc, &nc) != 0)
		return SIP_AUTH_FAIL;
	if (strcmp(f_user, user) != 0)
		return SIP_AUTH_FAIL;
	if (sip_request_uri(msg, len, ruri) != 0 || strcmp(ruri, f_uri) != 0)
		return SIP_AUTH_FAIL;
	if (digest_response(md, user, realm, pass, m->sip_method, f_uri, f_nonce, f_nc,
			    f_cnonce, f_qop, want) != 0)
		return SIP_AUTH_CHALLENGE;
	for (i = 0; f_resp[i] != '\0'; i++)
		f_resp[i] = (char)tolower((unsigned char)f_resp[i]);
	if (!digest_equal(want, f_resp))
		return SIP_AUTH_FAIL;
	switch (digest_seen_use(s->seen, SIP_SEEN_MAX, f_nonce, issued, nc, now,
				SIP_NONCE_TTL_MS)) {
	case DIGEST_USE_OK:
		return SIP_AUTH_OK;
	case DIGEST_USE_REPLAY:
		return SIP_AUTH_REPLAY;
	case DIGEST_USE_FULL:
		break;
	}
	return SIP_AUTH_FULL;
}

/* ---------------------------------------------------------------------
 * Requests.
 */

/* A device parameter, "" when unreadable. Caller frees (and wipes secrets). */
static char *
sip_param(struct sip *s, const char *name, unsigned flags)
{
	char *v = NULL;

	if (prov_device_get(s->dev, name, flags, &v) != PROV_OK) {
		free(v);
		return NULL;
	}
	return v;
}

static void
sip_secret_free(char *v)
{
	if (v != NULL) {
		OPENSSL_cleanse(v, strlen(v));
		free(v);
	}
}

/* The Event package of m ("resync" of "resync;reboot=true"), lowercased,
 * in out (SIP_FIELD_MAX); "" when absent. */
static void
sip_event(osip_message_t *m, char *out)
{
	osip_header_t *h = NULL;
	const char *v;
	size_t n = 0;

	out[0] = '\0';
	if ((osip_message_header_get_byname(m, "event", 0, &h) < 0 || h == NULL) &&
	    (osip_message_header_get_byname(m, "o", 0, &h) < 0 || h == NULL))
		return;
	if (h->hvalue == NULL)
		return;
	for (v = h->hvalue; *v == ' ' || *v == '\t'; v++)
		;
	while (v[n] != '\0' && v[n] != ';' && v[n] != ' ' && v[n] != '\t' &&
	       n + 1 < SIP_FIELD_MAX) {
		out[n] = (char)tolower((unsigned char)v[n]);
		n++;
	}
	out[n] = '\0';
}

static int
sip_method_known(const char *m)
{
	static const char *const known[] = {
		"INVITE", "REGISTER", "SUBSCRIBE", "BYE", "CANCEL", "MESSAGE",
		"INFO", "PRACK", "UPDATE", "REFER", "PUBLISH",
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(m, known[i]) == 0)
			return 1;
	return 0;
}

/* NOTIFY: authentication, then the event. */
static void
sip_notify(struct sip *s, osip_message_t *m, const char *msg, size_t len, const char *body,
	   size_t bodylen, const struct sockaddr *src, socklen_t srclen, struct sip_out *o,
	   struct sip_pending *p)
{
	char *authid = sip_param(s, "Auth_ID_1_", 0);
	char *userid = sip_param(s, "User_ID_1_", 0);
	char *pass = sip_param(s, "Password_1_", PROV_SHOW_SECRETS);
	const char *user = authid != NULL && authid[0] != '\0' ? authid : userid;
	char extra[2 * SIP_FIELD_MAX + 256], ev[SIP_FIELD_MAX];
	char *from_sip = NULL;

	if (user == NULL || user[0] == '\0' || pass == NULL || pass[0] == '\0') {
		s->st.no_creds++;
		sip_answer(m, src, srclen, 403, "Forbidden", NULL, o);
		goto out;
	}
	switch (sip_auth_check(s, m, msg, len, user, pass)) {
	case SIP_AUTH_OK:
		break;
	case SIP_AUTH_CHALLENGE:
		s->st.challenged++;
		sip_challenge(s, 0, extra, sizeof(extra));
		sip_answer(m, src, srclen, 401, "Unauthorized", extra, o);
		goto out;
	case SIP_AUTH_STALE:
		s->st.stale++;
		sip_challenge(s, 1, extra, sizeof(extra));
		sip_answer(m, src, srclen, 401, "Unauthorized", extra, o);
		goto out;
	case SIP_AUTH_REPLAY:
		s->st.replayed++;
		sip_log(s, "sip: replayed NOTIFY refused");
		sip_challenge(s, 0, extra, sizeof(extra));
		sip_answer(m, src, srclen, 401, "Unauthorized", extra, o);
		goto out;
	case SIP_AUTH_FAIL:
		s->st.auth_failed++;
		sip_log(s, "sip: NOTIFY with wrong credentials refused");
		sip_answer(m, src, srclen, 403, "Forbidden", NULL, o);
		goto out;
	case SIP_AUTH_FULL:
		sip_answer(m, src, srclen, 503, "Service Unavailable", "Retry-After: 5\r\n", o);
		goto out;
	}
	sip_event(m, ev);
	if (strcmp(ev, "resync") == 0 || strcmp(ev, "check-sync") == 0) {
		/* The guide (provisioning-methods.md, "Resync From SIP") says
		 * only that the proxy "can request a resync" when enabled, not
		 * how a disabled phone answers. We answer 403: the request was
		 * understood and authenticated but is refused, and a 200
		 * would tell the proxy a resync is coming when none is. */
		from_sip = sip_param(s, "Resync_From_SIP", 0);
		if (from_sip == NULL || strcmp(from_sip, "Yes") != 0) {
			s->st.refused++;
			sip_answer(m, src, srclen, 403, "Resync From SIP Disabled", NULL, o);
			goto out;
		}
		p->act = SIP_ACT_RESYNC;
	} else if (strcmp(ev, "report") == 0) {
		p->act = SIP_ACT_REPORT;
	} else if (strcmp(ev, "reboot_now") == 0) {
		p->act = SIP_ACT_REBOOT;
	} else if (strcmp(ev, "restart_now") == 0) {
		p->act = SIP_ACT_RESTART;
	} else if (strcmp(ev, "xml-service") == 0) {
		p->act = SIP_ACT_XML;
		p->body = body;
		p->len = bodylen;
	} else {
		sip_answer(m, src, srclen, 489, "Bad Event",
			   "Allow-Events: resync, check-sync, report, reboot_now, restart_now, "
			   "XML-Service\r\n", o);
		goto out;
	}
	sip_answer(m, src, srclen, 200, "OK", NULL, o);
out:
	free(from_sip);
	free(authid);
	free(userid);
	sip_secret_free(pass);
}

/* Handles one message: fills o with the answer (o->len 0: none) and p with
 * the action to run once it is sent. Returns 0, or -1 when a TCP
 * connection should be closed after the answer. */
static int
sip_take(struct sip *s, const char *msg, size_t len, const struct sockaddr *src,
	 socklen_t srclen, int tcp, struct sip_out *o, struct sip_pending *p)
{
	osip_message_t *m = NULL;
	size_t head, bodylen;
	long cl;
	int rc = 0, over;

	o->p = s->ans;
	o->cap = sizeof(s->ans);
	o->len = 0;
	o->overflow = 0;
	p->act = SIP_ACT_NONE;
	p->body = NULL;
	p->len = 0;
	/* RFC 3261 7.5: CRLFs before the start line are ignored (keep-alives). */
	while (len > 0 && (msg[0] == '\r' || msg[0] == '\n')) {
		msg++;
		len--;
	}
	if (len == 0)
		return 0;
	s->st.received++;
	over = !sip_rate_ok(s, src);
	if (over) {
		s->st.rate_limited++;
		if (!tcp)
			return 0;
	}
	if (sip_head(msg, len, &head, &cl) != 1) {
		if (len >= SIP_HEAD_MAX)
			s->st.oversize++;
		else
			s->st.malformed++;
		if (tcp)
			sip_answer_bare(o, 400, "Bad Request");
		return tcp ? -1 : 0;
	}
	bodylen = cl >= 0 ? (size_t)cl : len - head;
	if (bodylen > len - head || bodylen > SIP_BODY_MAX) {
		if (bodylen > SIP_BODY_MAX)
			s->st.oversize++;
		else
			s->st.malformed++;
		if (tcp)
			sip_answer_bare(o, bodylen > SIP_BODY_MAX ? 513 : 400,
					bodylen > SIP_BODY_MAX ? "Message Too Large" : "Bad Request");
		return tcp ? -1 : 0;
	}
	if (osip_message_init(&m) != OSIP_SUCCESS)
		return tcp ? -1 : 0;
	if (osip_message_parse(m, msg, head + bodylen) != OSIP_SUCCESS) {
		s->st.malformed++;
		if (tcp)
			sip_answer_bare(o, 400, "Bad Request");
		goto out;
	}
	if (!MSG_IS_REQUEST(m) || m->sip_method == NULL)
		goto out; /* a response: we send no requests, so it is stray */
	if (osip_list_size(&m->vias) < 1 || m->from == NULL || m->to == NULL ||
	    m->call_id == NULL || m->cseq == NULL || m->cseq->number == NULL ||
	    m->cseq->method == NULL || m->req_uri == NULL) {
		s->st.malformed++;
		if (tcp)
			sip_answer_bare(o, 400, "Bad Request");
		goto out;
	}
	if (strcmp(m->sip_method, "ACK") == 0)
		goto out; /* never answered (RFC 3261 17.2.1) */
	if (over) {
		sip_answer(m, src, srclen, 503, "Service Unavailable", "Retry-After: 1\r\n", o);
		goto out;
	}
	if (strcmp(m->cseq->method, m->sip_method) != 0) {
		s->st.malformed++;
		sip_answer(m, src, srclen, 400, "CSeq Method Mismatch", NULL, o);
		goto out;
	}
	if (strcmp(m->sip_method, "NOTIFY") == 0)
		sip_notify(s, m, msg, head, msg + head, bodylen, src, srclen, o, p);
	else if (strcmp(m->sip_method, "OPTIONS") == 0)
		sip_answer(m, src, srclen, 200, "OK",
			   SIP_ALLOW "Accept: application/xml\r\n", o);
	else if (sip_method_known(m->sip_method))
		sip_answer(m, src, srclen, 405, "Method Not Allowed", SIP_ALLOW, o);
	else
		sip_answer(m, src, srclen, 501, "Not Implemented", SIP_ALLOW, o);
out:
	if (o->overflow) {
		/* Echoing this request would exceed SIP_ANSWER_MAX: no
		 * answer, and nothing done. */
		s->st.oversize++;
		o->len = 0;
		p->act = SIP_ACT_NONE;
		rc = tcp ? -1 : 0;
	}
	if (o->len > 0)
		s->st.answered++;
	osip_message_free(m);
	return rc;
}

/* Runs the action of a message whose answer has been sent. */
static void
sip_run(struct sip *s, const struct sip_pending *p)
{
	const struct sip_actions *a = &s->act;

	switch (p->act) {
	case SIP_ACT_NONE:
		return;
	case SIP_ACT_RESYNC:
		sip_log(s, "sip: NOTIFY resync");
		if (a->resync != NULL)
			a->resync(a->arg);
		break;
	case SIP_ACT_REPORT:
		sip_log(s, "sip: NOTIFY report");
		if (a->report != NULL)
			a->report(a->arg);
		break;
	case SIP_ACT_REBOOT:
		sip_log(s, "sip: NOTIFY reboot_now");
		if (a->reboot != NULL)
			a->reboot(a->arg);
		break;
	case SIP_ACT_RESTART:
		sip_log(s, "sip: NOTIFY restart_now");
		if (a->restart != NULL)
			a->restart(a->arg);
		break;
	case SIP_ACT_XML:
		sip_log(s, "sip: NOTIFY XML-Service (%zu bytes)", p->len);
		if (a->xml_service != NULL)
			a->xml_service(a->arg, p->body, p->len);
		break;
	}
	s->st.acted++;
}

size_t
sip_input(struct sip *s, const char *msg, size_t len, const struct sockaddr *src,
	  socklen_t srclen, int tcp, char *out, size_t outsz)
{
	struct sip_out o;
	struct sip_pending p;
	size_t n;

	(void)sip_take(s, msg, len, src, srclen, tcp, &o, &p);
	n = o.len;
	if (out != NULL && outsz > 0) {
		size_t c = n < outsz - 1 ? n : outsz - 1;

		memcpy(out, o.p, c);
		out[c] = '\0';
	}
	sip_run(s, &p);
	return n;
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
		if (o.len > 0 &&
		    sendto(fd, o.p, o.len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&ss,
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
			o.p = s->ans;
			o.cap = sizeof(s->ans);
			o.len = 0;
			o.overflow = 0;
			sip_answer_bare(&o, big ? 513 : 400, big ? "Message Too Large" : "Bad Request");
			c->closing = 1;
			if (sip_conn_queue(c, o.p, o.len) != 0)
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
		if (o.len > 0 && sip_conn_queue(c, o.p, o.len) != 0) {
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

static void
sip_accept_cb(void *arg, int fd, unsigned events)
{
	struct sip *s = arg;
	unsigned i;

	(void)events;
	for (i = 0; i < SIP_RECV_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct sip_conn *c;
		int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		if (s->nconns >= SIP_TCP_MAX) {
			s->st.tcp_refused++;
			close(cfd);
			continue;
		}
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
	s->all.milli = (int64_t)SIP_RATE_BURST * 1000;
	s->all.last = sip_now(s);
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
