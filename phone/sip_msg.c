/*
 * sip_msg: one SIP message, socket-free (sip.c carries the transports):
 * the answer (Via, From, To, Call-ID, CSeq echoed), the Digest check of a
 * NOTIFY (common/digest.c with the realm, Request-URI and replay table of
 * this listener), and the requests themselves: NOTIFY mapped to an
 * action, OPTIONS, ACK. The steps are in sip.c's opening comment.
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

/* ---------------------------------------------------------------------
 * Answers.
 */

static void sip_out_add(struct sip_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
sip_out_add(struct sip_out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	if (buf_vaddf(&o->b, fmt, ap) != PROV_OK)
		o->overflow = 1;
	va_end(ap);
}

void
sip_out_init(struct sip_out *o, struct sip *s)
{
	buf_init_fixed(&o->b, s->ans, sizeof(s->ans));
	o->overflow = 0;
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
void
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

	buf_reset(&o->b);
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

/* Over a rate bucket: a datagram is dropped, a TCP message answered 503. */
static void
sip_over(struct sip *s, osip_message_t *m, const struct sockaddr *src, socklen_t srclen,
	 int tcp, struct sip_out *o)
{
	s->st.rate_limited++;
	if (tcp)
		sip_answer(m, src, srclen, 503, "Service Unavailable", "Retry-After: 1\r\n", o);
}

/* NOTIFY: authentication, the rate bucket it says, then the event. */
static void
sip_notify(struct sip *s, osip_message_t *m, const char *msg, size_t len, const char *body,
	   size_t bodylen, const struct sockaddr *src, socklen_t srclen, int tcp,
	   struct sip_out *o, struct sip_pending *p)
{
	char *authid = sip_param(s, "Auth_ID_1_", 0);
	char *userid = sip_param(s, "User_ID_1_", 0);
	char *pass = sip_param(s, "Password_1_", PROV_SHOW_SECRETS);
	const char *user = authid != NULL && authid[0] != '\0' ? authid : userid;
	char extra[2 * SIP_FIELD_MAX + 256], ev[SIP_FIELD_MAX];
	char *from_sip = NULL;
	enum sip_auth auth;

	if (user == NULL || user[0] == '\0' || pass == NULL || pass[0] == '\0') {
		if (!sip_rate_ok(s, src, 0)) {
			sip_over(s, m, src, srclen, tcp, o);
			goto out;
		}
		s->st.no_creds++;
		sip_answer(m, src, srclen, 403, "Forbidden", NULL, o);
		goto out;
	}
	/* Checked before the rate: a request whose response is right (even
	 * a replay) proved the password and has a budget of its own. */
	auth = sip_auth_check(s, m, msg, len, user, pass);
	if (!sip_rate_ok(s, src, auth == SIP_AUTH_OK || auth == SIP_AUTH_REPLAY ||
			 auth == SIP_AUTH_FULL)) {
		sip_over(s, m, src, srclen, tcp, o);
		goto out;
	}
	switch (auth) {
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
int
sip_take(struct sip *s, const char *msg, size_t len, const struct sockaddr *src,
	 socklen_t srclen, int tcp, struct sip_out *o, struct sip_pending *p)
{
	osip_message_t *m = NULL;
	size_t head, bodylen;
	long cl;
	int rc = 0, over;

	sip_out_init(o, s);
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
	over = !sip_rate_parse_ok(s);
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
	if (strcmp(m->sip_method, "NOTIFY") == 0 &&
	    strcmp(m->cseq->method, m->sip_method) == 0) {
		sip_notify(s, m, msg, head, msg + head, bodylen, src, srclen, tcp, o, p);
		goto out;
	}
	if (!sip_rate_ok(s, src, 0)) {
		sip_over(s, m, src, srclen, tcp, o);
		goto out;
	}
	if (strcmp(m->cseq->method, m->sip_method) != 0) {
		s->st.malformed++;
		sip_answer(m, src, srclen, 400, "CSeq Method Mismatch", NULL, o);
		goto out;
	}
	if (strcmp(m->sip_method, "OPTIONS") == 0)
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
		buf_reset(&o->b);
		p->act = SIP_ACT_NONE;
		rc = tcp ? -1 : 0;
	}
	if (o->b.len > 0)
		s->st.answered++;
	osip_message_free(m);
	return rc;
}

/* Runs the action of a message whose answer has been sent. */
void
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
	n = o.b.len;
	if (out != NULL && outsz > 0) {
		size_t c = n < outsz - 1 ? n : outsz - 1;

		memcpy(out, o.b.p, c);
		out[c] = '\0';
	}
	sip_run(s, &p);
	return n;
}
