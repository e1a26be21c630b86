/*
 * admin: the phone's web interface and /CGI/Execute. See admin.h.
 *
 * One request follows this path: admin_accept -> conn_read feeds bytes to
 * admin_req_feed (libhttp-parser, every size capped) -> conn_handle checks
 * Admin_Password, authenticates (auth_check: Digest or Basic), routes to
 * one page function, which writes the whole response into the connection's
 * output buffer -> conn_flush writes it and closes the connection.
 *
 * Why the pieces are as they are:
 * - One request per connection (Connection: close): a phone's admin page
 *   sees a handful of requests, and the connection's whole life fits one
 *   timer, one buffer and one parser. After the answer the connection is
 *   read to its end (bounded) before closing, so a peer still sending a
 *   refused body gets the answer rather than a reset.
 * - Nonces are "issue time + HMAC(key, issue time)" with a key drawn at
 *   start, so the server tells its own fresh nonces from forged or
 *   expired ones without a table; the table (ADMIN_NONCE_SLOTS) only
 *   remembers the highest nc seen per nonce, so a replayed request is
 *   refused. A nonce that has left the table is answered with stale=true,
 *   never accepted.
 * - The CSRF token is HMAC(key, user, session cookie): a page can only
 *   submit the form if it could read the token, which the same-origin
 *   policy keeps from other sites; the cookie is SameSite=Strict too.
 * - A GET that changes state (/admin/resync, /admin/reboot) is what the
 *   phone's own API is. It needs the admin's credentials, and a browser's
 *   Sec-Fetch-Site, Origin and Referer must not name another site
 *   (same_origin), so a foreign page cannot ride on cached credentials.
 */
#define _GNU_SOURCE /* accept4 */
#include "admin.h"

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

#include "loop.h"

#define ADMIN_KEY_LEN 32          /* HMAC key for nonces and CSRF tokens, bytes */
#define ADMIN_NONCE_LEN 48        /* hex: 8 bytes of time + 16 bytes of HMAC */
#define ADMIN_SID_LEN 32          /* session cookie: 16 random bytes in hex */
#define ADMIN_TOKEN_LEN 64        /* CSRF token: HMAC-SHA256 in hex */
#define ADMIN_ACCEPT_BURST 64     /* connections accepted per wake-up */
#define ADMIN_READ_CHUNK 4096     /* bytes read per read() */
#define ADMIN_OUT_MIN 4096        /* first size of an output buffer */
#define ADMIN_CRED_MAX 256        /* decoded Basic credentials, bytes */
#define ADMIN_NAME_MAX 128        /* a form field's name, bytes */
#define ADMIN_DRAIN_MAX (256u * 1024u) /* bytes read and dropped after an early
					* answer (413), so the peer gets it rather
					* than a reset */
#define ADMIN_REALM "prov phone"  /* HTTP authentication realm */
#define ADMIN_COOKIE "prov_sid"   /* the session cookie's name */
#define ADMIN_CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"
#define ADMIN_PAGE_TABS 12        /* tabs on the page (the catalogue has 8) */
#define ADMIN_PAGE_SECTIONS 48    /* sections in one tab (the catalogue: 40) */
#define ADMIN_GROUP_MAX 64        /* a tab's or section's name, bytes */
#define ADMIN_MODEL_MAX 16        /* the xxxx of CP-xxxx-3PCCExecute, bytes */

enum admin_role { ROLE_NONE, ROLE_USER, ROLE_ADMIN };

struct nonce_slot {
	char nonce[ADMIN_NONCE_LEN + 1]; /* "" unused */
	uint32_t nc;                     /* highest nc accepted */
};

struct obuf {
	char *p;
	size_t len, cap, off;            /* off: bytes already written */
	int toobig;
};

struct conn {
	struct admin *a;
	struct conn *next;
	int fd;
	uint64_t timer;
	struct admin_req req;
	struct obuf out;
	int continued;                   /* 100 Continue sent */
	int writing;                     /* the response is complete */
	int draining;                    /* sent: reading what the peer still sends */
	size_t drained;                  /* bytes discarded so far */
};

struct admin {
	struct loop *loop;
	struct prov_device *dev;
	struct admin_ops ops;
	int fd, port;
	unsigned char key[ADMIN_KEY_LEN];
	struct nonce_slot nonces[ADMIN_NONCE_SLOTS];
	size_t nonce_next;               /* round-robin replacement */
	struct conn *conns;
	size_t nconns;
};

/* ---- small helpers ---------------------------------------------------------- */

static void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hex_val(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
admin_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
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
static char *
secret_get(struct prov_device *dev, const char *name)
{
	char *v = NULL;

	if (prov_device_get(dev, name, PROV_SHOW_SECRETS, &v) != PROV_OK) {
		free(v);
		return NULL;
	}
	return v;
}

static void
secret_free(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* ---- output buffer ------------------------------------------------------------ */

static void
obuf_add(struct obuf *b, const char *s, size_t n)
{
	if (b->toobig)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : ADMIN_OUT_MIN;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > ADMIN_OUT_MAX)
			cap = ADMIN_OUT_MAX;
		if (b->len + n + 1 > cap) {
			b->toobig = 1;
			return;
		}
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->toobig = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
obuf_str(struct obuf *b, const char *s)
{
	obuf_add(b, s, strlen(s));
}

static void obuf_printf(struct obuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
obuf_printf(struct obuf *b, const char *fmt, ...)
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
	obuf_add(b, tmp, (size_t)n);
}

/* Appends s escaped for HTML text and attribute values. */
static void
obuf_html(struct obuf *b, const char *s)
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
		obuf_add(b, run, (size_t)(s - run));
		obuf_str(b, rep);
		run = s + 1;
	}
	obuf_add(b, run, (size_t)(s - run));
}

/* The same escaping serves XML attribute values (&#39; and &quot; are XML). */
#define obuf_xml obuf_html

size_t
admin_html_escape(const char *s, char *out, size_t outsize)
{
	struct obuf b = { 0 };
	size_t n = 0;

	if (outsize == 0)
		return 0;
	obuf_html(&b, s);
	if (b.p != NULL) {
		n = b.len < outsize - 1 ? b.len : outsize - 1;
		memcpy(out, b.p, n);
	}
	out[n] = '\0';
	free(b.p);
	return n;
}

/* ---- request parsing (libhttp-parser) ------------------------------------------- */

enum { H_NONE = -1, H_AUTHZ, H_CTYPE, H_ORIGIN, H_REFERER, H_HOST, H_COOKIE,
       H_FETCH_SITE, H_EXPECT, H_COUNT };

static const char *const kept_headers[H_COUNT] = {
	"Authorization", "Content-Type", "Origin", "Referer", "Host", "Cookie",
	"Sec-Fetch-Site", "Expect",
};

static char *
req_header(struct admin_req *r, int h)
{
	switch (h) {
	case H_AUTHZ: return r->authz;
	case H_CTYPE: return r->ctype;
	case H_ORIGIN: return r->origin;
	case H_REFERER: return r->referer;
	case H_HOST: return r->host;
	case H_COOKIE: return r->cookie;
	case H_FETCH_SITE: return r->fetch_site;
	default: return NULL;
	}
}

static int
req_fail(struct admin_req *r, int status, const char *why)
{
	if (r->error == NULL) {
		r->error = why;
		r->status = status;
	}
	return -1;
}

static int
req_headbytes(struct admin_req *r, size_t n)
{
	r->headbytes += n;
	if (r->headbytes > ADMIN_HEAD_MAX)
		return req_fail(r, 431, "request headers too large");
	return 0;
}

static int
on_url(http_parser *p, const char *at, size_t n)
{
	struct admin_req *r = p->data;

	if (req_headbytes(r, n) != 0)
		return -1;
	if (r->urllen + n > ADMIN_URL_MAX)
		return req_fail(r, 414, "request target too long");
	memcpy(r->url + r->urllen, at, n);
	r->urllen += n;
	r->url[r->urllen] = '\0';
	return 0;
}

/* r->field: H_NONE while a name is being read or the header is not kept;
 * fieldlen > 0 means the last callback was for a name. */
static int
on_header_field(http_parser *p, const char *at, size_t n)
{
	struct admin_req *r = p->data;

	if (req_headbytes(r, n) != 0)
		return -1;
	if (r->field != -2) { /* a value came before: a new name starts */
		r->field = -2;
		r->fieldlen = 0;
	}
	if (r->fieldlen + n < sizeof(r->fieldname)) {
		memcpy(r->fieldname + r->fieldlen, at, n);
		r->fieldname[r->fieldlen + n] = '\0';
	} else {
		r->fieldname[0] = '\0'; /* longer than any kept name */
	}
	r->fieldlen += n;
	return 0;
}

static int
on_header_value(http_parser *p, const char *at, size_t n)
{
	struct admin_req *r = p->data;
	char *v;
	size_t have;

	if (req_headbytes(r, n) != 0)
		return -1;
	if (r->field == -2) { /* the first piece of this value: which header? */
		r->field = H_NONE;
		for (int h = 0; h < H_COUNT; h++) {
			if (r->fieldlen < sizeof(r->fieldname) &&
			    strcasecmp(r->fieldname, kept_headers[h]) == 0) {
				r->field = h;
				break;
			}
		}
		if (r->field == H_EXPECT) {
			if (n >= 12 && strncasecmp(at, "100-continue", 12) == 0)
				r->expect_continue = 1;
			r->field = H_NONE;
		} else if (r->field != H_NONE) {
			if (r->seen & (1u << r->field))
				return req_fail(r, 400, "header given twice");
			r->seen |= 1u << r->field;
		}
	}
	v = req_header(r, r->field);
	if (v == NULL)
		return 0;
	have = strlen(v);
	if (have + n > ADMIN_HEADER_VALUE_MAX)
		return req_fail(r, 431, "header value too long");
	memcpy(v + have, at, n);
	v[have + n] = '\0';
	return 0;
}

static int
on_headers_complete(http_parser *p)
{
	struct admin_req *r = p->data;

	r->method = (int)p->method;
	r->headers_done = 1;
	if ((p->flags & F_CONTENTLENGTH) && p->content_length > ADMIN_BODY_MAX)
		return req_fail(r, 413, "request body too large");
	return 0;
}

static int
on_body(http_parser *p, const char *at, size_t n)
{
	struct admin_req *r = p->data;

	if (r->bodylen + n > ADMIN_BODY_MAX)
		return req_fail(r, 413, "request body too large");
	if (r->body == NULL) {
		r->body = malloc(ADMIN_BODY_MAX + 1);
		if (r->body == NULL)
			return req_fail(r, 503, "out of memory");
	}
	memcpy(r->body + r->bodylen, at, n);
	r->bodylen += n;
	r->body[r->bodylen] = '\0';
	return 0;
}

static int
on_message_complete(http_parser *p)
{
	struct admin_req *r = p->data;

	r->complete = 1;
	http_parser_pause(p, 1); /* one request per connection: stop here */
	return 0;
}

static const http_parser_settings req_settings = {
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

int
admin_req_init(struct admin_req *r)
{
	http_parser *p;

	memset(r, 0, sizeof(*r));
	r->field = -2;
	p = malloc(sizeof(*p));
	if (p == NULL)
		return -1;
	http_parser_init(p, HTTP_REQUEST);
	p->data = r;
	r->parser = p;
	return 0;
}

void
admin_req_fini(struct admin_req *r)
{
	free(r->parser);
	free(r->body);
	r->parser = NULL;
	r->body = NULL;
}

int
admin_req_feed(struct admin_req *r, const char *data, size_t len)
{
	http_parser *p = r->parser;
	enum http_errno e;

	if (r->error != NULL)
		return -1;
	if (r->complete || len == 0)
		return 0;
	http_parser_execute(p, &req_settings, data, len);
	e = HTTP_PARSER_ERRNO(p);
	if (r->error != NULL)
		return -1;
	if (e == HPE_PAUSED && r->complete)
		return 0;
	if (e != HPE_OK)
		return req_fail(r, 400, http_errno_description(e));
	return 0;
}

/* ---- decoding: percent escapes, forms, credentials ------------------------------- */

long
admin_decode(const char *s, size_t len, int form, char *out, size_t outsize)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -1;
			hi = hex_val((unsigned char)s[i + 1]);
			lo = hex_val((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+' && form) {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (o + 1 >= outsize)
			return -1;
		out[o++] = (char)c;
	}
	if (outsize == 0)
		return -1;
	out[o] = '\0';
	return (long)o;
}

void
admin_fields_free(struct admin_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (f[i].value != NULL)
			OPENSSL_cleanse(f[i].value, strlen(f[i].value)); /* may be a password */
		free(f[i].name);
		free(f[i].value);
		f[i].name = f[i].value = NULL;
	}
}

long
admin_form_parse(const char *body, size_t len, struct admin_field *f, size_t max)
{
	size_t n = 0, i = 0;

	while (i < len) {
		size_t end = i, eq;
		long vl;

		while (end < len && body[end] != '&')
			end++;
		if (end == i) { /* "&&": an empty piece */
			i = end + 1;
			continue;
		}
		if (n == max)
			goto bad;
		for (eq = i; eq < end && body[eq] != '='; eq++)
			;
		/* calloc: on failure admin_fields_free reads both as strings */
		f[n].name = calloc(1, ADMIN_NAME_MAX + 1);
		f[n].value = calloc(1, end - i + 1);
		n++;
		if (f[n - 1].name == NULL || f[n - 1].value == NULL)
			goto bad;
		if (admin_decode(body + i, eq - i, 1, f[n - 1].name, ADMIN_NAME_MAX + 1) <= 0)
			goto bad;
		vl = eq < end ? admin_decode(body + eq + 1, end - eq - 1, 1, f[n - 1].value,
					     end - i + 1)
			      : 0;
		if (vl < 0)
			goto bad;
		if (eq == end)
			f[n - 1].value[0] = '\0';
		i = end + 1;
	}
	return (long)n;
bad:
	admin_fields_free(f, n);
	return -1;
}

static const char *
form_get(const struct admin_field *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return f[i].value;
	return NULL;
}

/* ---- the execute object (D-TRG-2), with expat ------------------------------------ */

struct exec_ctx {
	XML_Parser xp;
	struct admin_exec *out;
	int depth;
	int fail;
	char *msg;
	size_t msglen;
};

static void exec_stop(struct exec_ctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
exec_stop(struct exec_ctx *x, const char *fmt, ...)
{
	va_list ap;

	if (x->fail)
		return;
	x->fail = 1;
	va_start(ap, fmt);
	vsnprintf(x->msg, x->msglen, fmt, ap);
	va_end(ap);
	XML_StopParser(x->xp, XML_FALSE);
}

/* "CiscoIPPhoneExecute" or "CP-<model>-3PCCExecute" (model: 1 to
 * ADMIN_MODEL_MAX of [A-Za-z0-9], the guide's xxxx). */
static int
exec_root_ok(const char *name)
{
	static const char pre[] = "CP-", suf[] = "-3PCCExecute";
	size_t n = strlen(name), mid;

	if (strcmp(name, "CiscoIPPhoneExecute") == 0)
		return 1;
	if (n <= strlen(pre) + strlen(suf) || strncmp(name, pre, strlen(pre)) != 0 ||
	    strcmp(name + n - strlen(suf), suf) != 0)
		return 0;
	mid = n - strlen(pre) - strlen(suf);
	if (mid > ADMIN_MODEL_MAX)
		return 0;
	for (size_t i = 0; i < mid; i++)
		if (!isalnum((unsigned char)name[strlen(pre) + i]))
			return 0;
	return 1;
}

static void XMLCALL
exec_start(void *arg, const XML_Char *name, const XML_Char **atts)
{
	struct exec_ctx *x = arg;
	const char *url = NULL;

	if (x->fail)
		return;
	x->depth++;
	if (x->depth == 1) {
		if (!exec_root_ok(name))
			exec_stop(x, "not an execute object: <%.64s>", name);
		return;
	}
	if (x->depth > 2 || strcmp(name, "ExecuteItem") != 0) {
		exec_stop(x, "unexpected element <%.64s>", name);
		return;
	}
	for (size_t i = 0; atts[i] != NULL; i += 2) {
		if (strcmp(atts[i], "URL") == 0)
			url = atts[i + 1];
		else if (strcmp(atts[i], "Priority") != 0) {
			exec_stop(x, "unknown attribute %.64s", atts[i]);
			return;
		}
	}
	if (url == NULL)
		exec_stop(x, "ExecuteItem without URL");
	else if (strlen(url) > ADMIN_EXEC_URL_MAX)
		exec_stop(x, "ExecuteItem URL longer than %u bytes", ADMIN_EXEC_URL_MAX);
	else if (x->out->n == ADMIN_EXEC_ITEMS)
		exec_stop(x, "more than %d ExecuteItems", ADMIN_EXEC_ITEMS);
	else
		snprintf(x->out->url[x->out->n++], ADMIN_EXEC_URL_MAX + 1, "%s", url);
}

static void XMLCALL
exec_end(void *arg, const XML_Char *name)
{
	struct exec_ctx *x = arg;

	(void)name;
	x->depth--;
}

static void XMLCALL
exec_text(void *arg, const XML_Char *s, int len)
{
	struct exec_ctx *x = arg;

	for (int i = 0; i < len; i++) {
		if (!isspace((unsigned char)s[i])) {
			exec_stop(x, "unexpected text");
			return;
		}
	}
}

static void XMLCALL
exec_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
	     const XML_Char *pubid, int has_internal_subset)
{
	(void)name; (void)sysid; (void)pubid; (void)has_internal_subset;
	exec_stop(arg, "a DOCTYPE is not allowed");
}

static void XMLCALL
exec_entity(void *arg, const XML_Char *name, int is_pe, const XML_Char *value,
	    int value_len, const XML_Char *base, const XML_Char *sysid,
	    const XML_Char *pubid, const XML_Char *notation)
{
	(void)name; (void)is_pe; (void)value; (void)value_len; (void)base;
	(void)sysid; (void)pubid; (void)notation;
	exec_stop(arg, "entity declarations are not allowed");
}

static void XMLCALL
exec_skipped(void *arg, const XML_Char *name, int is_pe)
{
	(void)name; (void)is_pe;
	exec_stop(arg, "undeclared entity");
}

int
admin_exec_parse(const char *xml, size_t len, struct admin_exec *out, char *msg,
		 size_t msglen)
{
	struct exec_ctx x;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	x.out = out;
	x.msg = msg;
	x.msglen = msglen;
	if (msglen > 0)
		msg[0] = '\0';
	if (len > ADMIN_BODY_MAX) {
		snprintf(msg, msglen, "execute object too large");
		return -1;
	}
	x.xp = XML_ParserCreate("UTF-8");
	if (x.xp == NULL) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	XML_SetUserData(x.xp, &x);
	XML_SetElementHandler(x.xp, exec_start, exec_end);
	XML_SetCharacterDataHandler(x.xp, exec_text);
	XML_SetStartDoctypeDeclHandler(x.xp, exec_doctype);
	XML_SetEntityDeclHandler(x.xp, exec_entity);
	XML_SetSkippedEntityHandler(x.xp, exec_skipped);
	XML_SetParamEntityParsing(x.xp, XML_PARAM_ENTITY_PARSING_NEVER);
	if (XML_Parse(x.xp, xml, (int)len, XML_TRUE) != XML_STATUS_OK) {
		if (!x.fail)
			snprintf(msg, msglen, "line %lu: %s",
				 (unsigned long)XML_GetCurrentLineNumber(x.xp),
				 XML_ErrorString(XML_GetErrorCode(x.xp)));
		goto out;
	}
	if (x.fail)
		goto out;
	if (out->n == 0) {
		snprintf(msg, msglen, "no ExecuteItem");
		goto out;
	}
	rc = 0;
out:
	XML_ParserFree(x.xp);
	return rc;
}

/* ---- authentication --------------------------------------------------------------- */

static void
hmac_hex(const struct admin *a, const char *data, size_t n, char *out /* 65 */)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	HMAC(EVP_sha256(), a->key, sizeof(a->key), (const unsigned char *)data, n, md, &mdlen);
	hex_encode(md, mdlen, out);
}

/* nonce = 16 hex digits of the issue time (ms, monotonic) + the first 32
 * hex digits of HMAC(key, those 16). */
static void
nonce_make(struct admin *a, char *out)
{
	char mac[65];
	unsigned long long t = (unsigned long long)loop_clock();
	struct nonce_slot *s;

	snprintf(out, ADMIN_NONCE_LEN + 1, "%016llx", t);
	hmac_hex(a, out, 16, mac);
	memcpy(out + 16, mac, 32);
	out[ADMIN_NONCE_LEN] = '\0';
	s = &a->nonces[a->nonce_next];
	a->nonce_next = (a->nonce_next + 1) % ADMIN_NONCE_SLOTS;
	memcpy(s->nonce, out, ADMIN_NONCE_LEN + 1);
	s->nc = 0;
}

/* 1 genuine and fresh, 0 genuine but expired (stale), -1 forged. */
static int
nonce_check(struct admin *a, const char *nonce)
{
	char mac[65];
	unsigned long long t = 0;

	if (strlen(nonce) != ADMIN_NONCE_LEN)
		return -1;
	hmac_hex(a, nonce, 16, mac);
	if (CRYPTO_memcmp(mac, nonce + 16, 32) != 0)
		return -1;
	for (int i = 0; i < 16; i++)
		t = t * 16 + (unsigned)hex_val((unsigned char)nonce[i]);
	if ((long long)t > loop_clock() || loop_clock() - (long long)t > ADMIN_NONCE_MS)
		return 0;
	return 1;
}

static struct nonce_slot *
nonce_slot(struct admin *a, const char *nonce)
{
	for (size_t i = 0; i < ADMIN_NONCE_SLOTS; i++)
		if (strcmp(a->nonces[i].nonce, nonce) == 0)
			return &a->nonces[i];
	return NULL;
}

/* The auth-params of a Digest header we look at. */
struct digest {
	char username[64], realm[64], nonce[ADMIN_NONCE_LEN + 1], uri[ADMIN_URL_MAX + 1];
	char response[65], qop[16], nc[9], cnonce[129], algorithm[16], userhash[8];
};

/* Parses `k=v, k="v"` pairs (RFC 7616 section 3.4) into d; an over-long
 * value or a malformed list fails. Unknown keys are skipped. */
static int
digest_parse(const char *s, struct digest *d)
{
	static const struct { const char *k; size_t off, size; } keys[] = {
#define K(f) { #f, offsetof(struct digest, f), sizeof(((struct digest *)0)->f) }
		K(username), K(realm), K(nonce), K(uri), K(response), K(qop), K(nc),
		K(cnonce), K(algorithm), K(userhash),
#undef K
	};

	memset(d, 0, sizeof(*d));
	for (;;) {
		char key[32], val[ADMIN_URL_MAX + 1];
		size_t kl = 0, vl = 0;

		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (*s == '\0')
			return 0;
		while (*s && *s != '=' && *s != ' ' && *s != ',') {
			if (kl + 1 >= sizeof(key))
				return -1;
			key[kl++] = *s++;
		}
		key[kl] = '\0';
		while (*s == ' ')
			s++;
		if (*s++ != '=')
			return -1;
		while (*s == ' ')
			s++;
		if (*s == '"') {
			s++;
			while (*s && *s != '"') {
				if (*s == '\\' && s[1] != '\0')
					s++;
				if (vl + 1 >= sizeof(val))
					return -1;
				val[vl++] = *s++;
			}
			if (*s++ != '"')
				return -1;
		} else {
			while (*s && *s != ',' && *s != ' ') {
				if (vl + 1 >= sizeof(val))
					return -1;
				val[vl++] = *s++;
			}
		}
		val[vl] = '\0';
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strcasecmp(key, keys[i].k) == 0) {
				if (vl + 1 > keys[i].size)
					return -1;
				memcpy((char *)d + keys[i].off, val, vl + 1);
			}
		}
	}
}

/* hex(H(a ":" b ":" ...)) with the digest's algorithm. */
static void
digest_hash(const EVP_MD *md, char *out, const char *const *parts, size_t n)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;

	out[0] = '\0';
	if (ctx == NULL)
		return;
	if (EVP_DigestInit_ex(ctx, md, NULL) == 1) {
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				EVP_DigestUpdate(ctx, ":", 1);
			EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
		}
		if (EVP_DigestFinal_ex(ctx, h, &hl) == 1)
			hex_encode(h, hl, out);
	}
	EVP_MD_CTX_free(ctx);
}

static const char *
method_name(int m)
{
	return http_method_str((enum http_method)m);
}

/* The password of user NAME ("admin", "user"), or NULL when that login is
 * closed (user: User_Password empty). */
static char *
login_password(struct admin *a, const char *name, enum admin_role *role)
{
	char *pw;

	if (strcmp(name, "admin") == 0) {
		*role = ROLE_ADMIN;
		return secret_get(a->dev, "Admin_Password");
	}
	if (strcmp(name, "user") == 0) {
		*role = ROLE_USER;
		pw = secret_get(a->dev, "User_Password");
		if (pw != NULL && pw[0] == '\0') {
			secret_free(pw);
			return NULL;
		}
		return pw;
	}
	return NULL;
}

static enum admin_role
auth_digest(struct admin *a, const struct admin_req *r, int *stale)
{
	struct digest d;
	const EVP_MD *md;
	enum admin_role role = ROLE_NONE, who = ROLE_NONE;
	struct nonce_slot *slot;
	char ha1[129], ha2[129], want[129], *pw = NULL, *end;
	unsigned long nc;
	int fresh;

	if (digest_parse(r->authz + 7, &d) != 0)
		return ROLE_NONE;
	if (d.algorithm[0] == '\0' || strcasecmp(d.algorithm, "MD5") == 0)
		md = EVP_md5();
	else if (strcasecmp(d.algorithm, "SHA-256") == 0)
		md = EVP_sha256();
	else
		return ROLE_NONE;
	if (strcmp(d.realm, ADMIN_REALM) != 0 || strcmp(d.qop, "auth") != 0 ||
	    strcmp(d.uri, r->url) != 0 || d.cnonce[0] == '\0' || strlen(d.nc) != 8 ||
	    (d.userhash[0] != '\0' && strcasecmp(d.userhash, "false") != 0))
		return ROLE_NONE;
	nc = strtoul(d.nc, &end, 16);
	if (*end != '\0' || nc == 0)
		return ROLE_NONE;
	fresh = nonce_check(a, d.nonce);
	if (fresh < 0)
		return ROLE_NONE;
	slot = nonce_slot(a, d.nonce);
	if (fresh == 0 || slot == NULL) {
		*stale = 1; /* expired or forgotten: the client retries with a new one */
		return ROLE_NONE;
	}
	if (nc <= slot->nc)
		return ROLE_NONE; /* replay */
	pw = login_password(a, d.username, &who);
	if (pw == NULL)
		return ROLE_NONE;
	{
		const char *p1[] = { d.username, ADMIN_REALM, pw };
		const char *p2[] = { method_name(r->method), d.uri };

		digest_hash(md, ha1, p1, 3);
		digest_hash(md, ha2, p2, 2);
	}
	{
		const char *p3[] = { ha1, d.nonce, d.nc, d.cnonce, d.qop, ha2 };

		digest_hash(md, want, p3, 6);
	}
	if (want[0] != '\0' && strlen(d.response) == strlen(want) &&
	    CRYPTO_memcmp(want, d.response, strlen(want)) == 0) {
		slot->nc = (uint32_t)nc;
		role = who;
	}
	OPENSSL_cleanse(ha1, sizeof(ha1));
	secret_free(pw);
	return role;
}

static enum admin_role
auth_basic(struct admin *a, const struct admin_req *r)
{
	unsigned char dec[ADMIN_CRED_MAX + 4];
	const char *b64 = r->authz + 6;
	size_t n;
	int dl;
	char *colon, *pw;
	enum admin_role role = ROLE_NONE, who = ROLE_NONE;

	while (*b64 == ' ')
		b64++;
	n = strlen(b64);
	if (n == 0 || n % 4 != 0 || n / 4 * 3 > ADMIN_CRED_MAX)
		return ROLE_NONE;
	dl = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)n);
	if (dl < 0)
		return ROLE_NONE;
	if (n >= 1 && b64[n - 1] == '=')
		dl--;
	if (n >= 2 && b64[n - 2] == '=')
		dl--;
	dec[dl] = '\0';
	if (memchr(dec, '\0', (size_t)dl) != NULL)
		goto out;
	colon = strchr((char *)dec, ':');
	if (colon == NULL)
		goto out;
	*colon = '\0';
	pw = login_password(a, (char *)dec, &who);
	if (pw == NULL)
		goto out;
	if (strlen(pw) == strlen(colon + 1) &&
	    CRYPTO_memcmp(pw, colon + 1, strlen(pw)) == 0)
		role = who;
	secret_free(pw);
out:
	OPENSSL_cleanse(dec, sizeof(dec));
	return role;
}

/* Who sent r: ROLE_NONE when there are no valid credentials (*stale set
 * when a Digest nonce only expired). */
static enum admin_role
auth_check(struct admin *a, const struct admin_req *r, int *stale)
{
	*stale = 0;
	if (strncasecmp(r->authz, "Digest ", 7) == 0)
		return auth_digest(a, r, stale);
	if (strncasecmp(r->authz, "Basic ", 6) == 0)
		return auth_basic(a, r);
	return ROLE_NONE;
}

static const char *
role_user(enum admin_role role)
{
	return role == ROLE_ADMIN ? "admin" : "user";
}

/* ---- CSRF: session cookie and token ------------------------------------------------ */

/* The session id in the Cookie header, copied to sid; 0 if there is none. */
static int
session_get(const struct admin_req *r, char *sid /* ADMIN_SID_LEN + 1 */)
{
	const char *p = r->cookie;
	size_t nl = strlen(ADMIN_COOKIE);

	while (*p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, ADMIN_COOKIE, nl) == 0 && p[nl] == '=') {
			size_t i;

			p += nl + 1;
			for (i = 0; i < ADMIN_SID_LEN && hex_val((unsigned char)p[i]) >= 0; i++)
				sid[i] = p[i];
			if (i != ADMIN_SID_LEN || (p[i] != '\0' && p[i] != ';' && p[i] != ' '))
				return 0;
			sid[i] = '\0';
			return 1;
		}
		while (*p && *p != ';')
			p++;
	}
	return 0;
}

static void
csrf_token(const struct admin *a, enum admin_role role, const char *sid, char *out)
{
	char data[64];
	int n = snprintf(data, sizeof(data), "csrf:%s:%s", role_user(role), sid);

	hmac_hex(a, data, (size_t)n, out);
}

/* A request that changes state must not come from another site: a
 * browser says so in Sec-Fetch-Site ("none" is the user's own address bar
 * or bookmark), and Origin and Referer, when present, must be this server
 * (the Host the browser used). Without this, a page elsewhere could make a
 * logged-in browser load <img src="http://phone/admin/resync?...">. Tools
 * (curl, XML applications) send none of these headers. */
static int
same_origin(const struct admin_req *r)
{
	char want[ADMIN_HEADER_VALUE_MAX + 16];
	size_t n;

	if (r->fetch_site[0] != '\0' && strcmp(r->fetch_site, "same-origin") != 0 &&
	    strcmp(r->fetch_site, "none") != 0)
		return 0;
	if (r->host[0] == '\0')
		return r->origin[0] == '\0' && r->referer[0] == '\0';
	n = (size_t)snprintf(want, sizeof(want), "http://%s", r->host);
	if (r->origin[0] != '\0' && strcmp(r->origin, want) != 0)
		return 0;
	if (r->referer[0] != '\0' &&
	    (strncmp(r->referer, want, n) != 0 || r->referer[n] != '/'))
		return 0;
	return 1;
}

/* ---- responses ---------------------------------------------------------------------- */

static void respond_text(struct conn *c, int status, const char *extra, const char *text);

/* An authenticated request that another site made the browser send
 * (same_origin): refused, and logged, for it is an attack. */
static void
refuse_foreign(struct conn *c, const char *path)
{
	admin_log("refused %s %s: sent from another site",
		  http_method_str((enum http_method)c->req.method), path);
	respond_text(c, 403, "", "Refused: the request came from another site.");
}

static const char *
status_text(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

/* Writes the whole response: status line, the common headers, extra
 * (complete header lines or ""), and body. */
static void
respond(struct conn *c, int status, const char *ctype, const char *extra,
	const char *body, size_t bodylen)
{
	struct obuf *o = &c->out;

	obuf_printf(o, "HTTP/1.1 %d %s\r\n", status, status_text(status));
	obuf_printf(o, "Content-Type: %s\r\nContent-Length: %zu\r\n", ctype, bodylen);
	obuf_str(o, "Connection: close\r\n"
		    "Cache-Control: no-store\r\n"
		    "X-Content-Type-Options: nosniff\r\n"
		    "X-Frame-Options: DENY\r\n"
		    "Referrer-Policy: same-origin\r\n"
		    "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; "
		    "form-action 'self'; frame-ancestors 'none'\r\n");
	obuf_str(o, extra);
	obuf_str(o, "\r\n");
	if (c->req.method != HTTP_HEAD)
		obuf_add(o, body, bodylen);
	if (o->toobig) { /* never a cut answer: a short error instead */
		static const char fail[] = "HTTP/1.1 500 Internal Server Error\r\n"
			"Content-Length: 0\r\nConnection: close\r\n\r\n";

		o->len = c->continued ? strlen(ADMIN_CONTINUE) : 0; /* sent or not, it stays */
		o->toobig = 0;
		obuf_add(o, fail, sizeof(fail) - 1);
	}
	c->writing = 1;
}

static void
respond_text(struct conn *c, int status, const char *extra, const char *text)
{
	struct obuf b = { 0 };

	obuf_str(&b, text);
	obuf_str(&b, "\n");
	if (b.toobig)
		respond(c, 500, "text/plain; charset=utf-8", "", "", 0);
	else
		respond(c, status, "text/plain; charset=utf-8", extra, b.p, b.len);
	free(b.p);
}

static void
respond_challenge(struct conn *c, int stale)
{
	char nonce[ADMIN_NONCE_LEN + 1];
	struct obuf h = { 0 };

	nonce_make(c->a, nonce);
	obuf_printf(&h, "WWW-Authenticate: Digest realm=\"%s\", qop=\"auth\", "
		    "algorithm=SHA-256, nonce=\"%s\"%s\r\n", ADMIN_REALM, nonce,
		    stale ? ", stale=true" : "");
	obuf_printf(&h, "WWW-Authenticate: Digest realm=\"%s\", qop=\"auth\", "
		    "algorithm=MD5, nonce=\"%s\"%s\r\n", ADMIN_REALM, nonce,
		    stale ? ", stale=true" : "");
	obuf_printf(&h, "WWW-Authenticate: Basic realm=\"%s\", charset=\"UTF-8\"\r\n",
		    ADMIN_REALM);
	respond_text(c, 401, h.toobig ? "" : h.p, "Authentication required: user admin "
		     "and the Admin_Password.");
	free(h.p);
}

/* The head of every HTML page. */
static void
html_open(struct obuf *b, const char *title)
{
	obuf_str(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width\">\n<title>");
	obuf_html(b, title);
	obuf_str(b, "</title>\n<style>\n"
		    "body{font:14px/1.4 sans-serif;margin:0;background:#f4f5f7;color:#222}\n"
		    "header{background:#1f4e79;color:#fff;padding:.6em 1em}\n"
		    "header h1{font-size:1.2em;margin:0}\n"
		    "nav a{color:#fff;margin-right:1em}\n"
		    "main{padding:1em;max-width:70em}\n"
		    "h2{font-size:1.1em;border-bottom:2px solid #1f4e79;margin-top:1.5em}\n"
		    "fieldset{background:#fff;border:1px solid #ccd;margin:.8em 0}\n"
		    "legend{font-weight:bold}\n"
		    "table{border-collapse:collapse;width:100%}\n"
		    "th{text-align:left;font-weight:normal;width:40%;padding:.2em .5em}\n"
		    "td{padding:.2em .5em}\n"
		    "input[type=text],input[type=password]{width:95%}\n"
		    "input[readonly]{background:#eee}\n"
		    ".msg{padding:.5em;border:1px solid}\n"
		    ".ok{background:#e6f4e6;border-color:#393}\n"
		    ".err{background:#fbe9e9;border-color:#c33}\n"
		    ".note{color:#555}\n"
		    "</style></head><body>\n");
}

static void
html_close(struct obuf *b)
{
	obuf_str(b, "</body></html>\n");
}

static void
respond_html(struct conn *c, int status, const char *extra, struct obuf *b)
{
	if (b->toobig)
		respond_text(c, 500, "", "page too large");
	else
		respond(c, status, "text/html; charset=utf-8", extra, b->p, b->len);
}

/* While Admin_Password is empty: every request gets this, nothing more. */
static void
page_setup(struct conn *c)
{
	struct obuf b = { 0 };

	html_open(&b, "Set the admin password");
	obuf_str(&b, "<header><h1>Phone administration</h1></header><main>\n"
		     "<p class=\"msg err\" id=\"setup\">The admin password is not set, so this "
		     "interface changes nothing. Set it on the phone with:</p>\n<pre>prov phone "
		     "set --state ");
	obuf_html(&b, c->a->ops.state_dir != NULL ? c->a->ops.state_dir : "DIR");
	obuf_str(&b, " Admin_Password=...</pre>\n<p>then reload this page and log in as "
		     "<b>admin</b>.</p></main>\n");
	html_close(&b);
	respond_html(c, 403, "", &b);
	free(b.p);
}

/* ---- /admin/resync, /admin/reboot --------------------------------------------------- */

static struct prov_engine *
admin_engine(struct admin *a)
{
	return a->ops.engine(a->ops.arg);
}

static void
admin_changed(struct admin *a)
{
	if (a->ops.changed != NULL)
		a->ops.changed(a->ops.arg);
}

/* rule with the inside of every [...] (the options: --key is a secret)
 * shown as "...", for logs and answers. */
static void
rule_masked(const char *rule, char *out, size_t outsize)
{
	size_t o = 0;
	int in = 0;

	for (; *rule && o + 4 < outsize; rule++) {
		if (*rule == ']')
			in = 0;
		if (in)
			continue;
		out[o++] = *rule;
		if (*rule == '[') {
			memcpy(out + o, "...", 3);
			o += 3;
			in = 1;
		}
	}
	out[o] = '\0';
}

/* Starts an explicit resync of rule (NULL: the configured rules) and says
 * what happened in why; returns the HTTP status. D-TRG-4: no triggers;
 * Provision_Enable = No refuses. */
static int
resync_start(struct admin *a, const char *rule, char *why, size_t whylen)
{
	struct prov_engine *eng = admin_engine(a);
	enum prov_err rc = eng != NULL ? prov_engine_resync(eng, rule) : PROV_E_BUSY;
	char shown[ADMIN_EXEC_URL_MAX + 1];

	switch (rc) {
	case PROV_OK:
		if (rule != NULL)
			rule_masked(rule, shown, sizeof(shown));
		else
			snprintf(shown, sizeof(shown), "the configured profile rules");
		admin_log("resync started: %s", shown);
		admin_changed(a);
		snprintf(why, whylen, "Resync started: %s", shown);
		return 200;
	case PROV_E_BUSY:
		snprintf(why, whylen, "Resync refused: a resync is already running.");
		return 503;
	case PROV_E_DENIED:
		snprintf(why, whylen, "Resync refused: provisioning is disabled "
			 "(Provision_Enable = No).");
		return 403;
	default:
		snprintf(why, whylen, "Resync refused: %s: %s", prov_strerror(rc),
			 prov_device_errmsg(a->dev));
		return 500;
	}
}

static void
page_resync(struct conn *c, const char *query)
{
	char rule[ADMIN_URL_MAX + 1], why[ADMIN_URL_MAX + 128];
	int status;

	if (query != NULL && query[0] != '\0' &&
	    admin_decode(query, strlen(query), 0, rule, sizeof(rule)) < 0) {
		respond_text(c, 400, "", "Resync refused: the rule is not well URL-encoded.");
		return;
	}
	status = resync_start(c->a, query != NULL && query[0] != '\0' ? rule : NULL, why,
			      sizeof(why));
	respond_text(c, status, "", why);
}

/* /admin/upgrade?URL (D-TRG-1, D-UPG-1): the URL (or an upgrade rule)
 * URL-encoded; checked and downloaded now, outside the schedule. */
static void
page_upgrade(struct conn *c, const char *query)
{
	char rule[ADMIN_URL_MAX + 1], why[ADMIN_URL_MAX + 128];
	struct prov_engine *eng;
	char *check = NULL;
	enum prov_err rc;
	int status;

	if (query == NULL || query[0] == '\0') {
		respond_text(c, 400, "", "Upgrade refused: give the image URL: /admin/upgrade?URL");
		return;
	}
	if (admin_decode(query, strlen(query), 0, rule, sizeof(rule)) < 0) {
		respond_text(c, 400, "", "Upgrade refused: the URL is not well URL-encoded.");
		return;
	}
	eng = admin_engine(c->a);
	rc = eng != NULL ? prov_engine_upgrade(eng, rule) : PROV_E_BUSY;
	if (rc == PROV_OK) {
		admin_log("upgrade started: %s", rule);
		admin_changed(c->a);
		snprintf(why, sizeof(why), "Upgrade started: %s", rule);
		status = 200;
	} else if (rc == PROV_E_BUSY) {
		snprintf(why, sizeof(why), "Upgrade refused: a resync or upgrade is running.");
		status = 503;
	} else if (rc == PROV_E_DENIED) {
		if (prov_device_status_get(c->a->dev, "upgrade_check", &check) != PROV_OK)
			check = NULL;
		snprintf(why, sizeof(why), "No upgrade: %s", check != NULL ? check : "refused");
		free(check);
		status = 409;
	} else {
		snprintf(why, sizeof(why), "Upgrade refused: %s", prov_strerror(rc));
		status = 400;
	}
	respond_text(c, status, "", why);
}

static int64_t
local_wall_s(void)
{
	time_t t = time(NULL);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return (int64_t)t;
	return (int64_t)t + tm.tm_gmtoff;
}

static void
page_reboot(struct conn *c)
{
	struct admin *a = c->a;

	if (prov_device_reboot_record(a->dev, "User Triggered", local_wall_s()) != PROV_OK)
		admin_log("cannot record the reboot reason: %s", prov_device_errmsg(a->dev));
	if (a->ops.reboot == NULL || a->ops.reboot(a->ops.arg) != 0) {
		respond_text(c, 500, "", "Reboot failed.");
		return;
	}
	admin_log("reboot (User Triggered)");
	respond_text(c, 200, "", "Rebooting.");
}

/* ---- /admin/advanced ------------------------------------------------------------------- */

/* The page shows a parameter to role at all; *ro: read-only. */
static int
param_visible(struct admin *a, const char *name, enum admin_role role, int *ro)
{
	enum prov_ua ua = PROV_UA_NA;

	*ro = 0;
	if (prov_device_get_ua(a->dev, name, &ua) != PROV_OK)
		return 0; /* also a line or key the product does not have */
	if (role == ROLE_ADMIN)
		return 1; /* D-PAR-1: ua never restricts the admin */
	if (ua == PROV_UA_NA)
		return 0;
	*ro = ua == PROV_UA_RO;
	return 1;
}

/* "Resync_At__HHmm_" -> "Resync At HHmm": the XML name read back as a label. */
static void
param_label(const char *name, char *out, size_t outsize)
{
	size_t o = 0;

	for (; *name && o + 1 < outsize; name++) {
		if (*name == '_') {
			if (o > 0 && out[o - 1] != ' ')
				out[o++] = ' ';
		} else {
			out[o++] = *name;
		}
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

/* The tab of a group "Tab/Section", into tab. */
static void
group_tab(const char *group, char *tab, size_t tabsize)
{
	const char *slash = strchr(group, '/');
	size_t n = slash != NULL ? (size_t)(slash - group) : strlen(group);

	snprintf(tab, tabsize, "%.*s", (int)n, group);
}

static const char *
group_section(const char *group)
{
	const char *slash = strchr(group, '/');

	return slash != NULL ? slash + 1 : "Lines";
}

static void
status_row(struct obuf *b, const char *id, const char *label, const char *value)
{
	obuf_printf(b, "<tr><th>%s</th><td id=\"st-%s\">", label, id);
	obuf_html(b, value);
	obuf_str(b, "</td></tr>\n");
}

static void
status_key_row(struct admin *a, struct obuf *b, const char *key, const char *label,
	       const char *none)
{
	char *v = NULL;

	if (prov_device_status_get(a->dev, key, &v) != PROV_OK || v == NULL) {
		free(v);
		v = NULL;
	}
	status_row(b, key, label, v != NULL && v[0] != '\0' ? v : none);
	free(v);
}

/* Info > Status (D-STA-1). */
static void
page_status(struct admin *a, struct obuf *b)
{
	static const char *const rules[] = { "rule_A", "rule_B", "rule_C", "rule_D", "rule_X" };
	struct prov_engine *eng = admin_engine(a);
	char *v = NULL;

	obuf_str(b, "<h2 id=\"info-status\">Info &gt; Status</h2>\n"
		    "<fieldset><legend>Provisioning Status</legend><table>\n");
	status_key_row(a, b, "last_resync_time", "Last Resync", "never");
	status_key_row(a, b, "last_resync_result", "Result", "none");
	status_key_row(a, b, "last_resync_err", "$ERR", "");
	status_row(b, "next", "Next Resync", eng != NULL ? prov_engine_next(eng) : "");
	status_row(b, "running", "Resync Running",
		   eng != NULL && prov_engine_running(eng) ? "Yes" : "No");
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		char label[32];

		if (prov_device_status_get(a->dev, rules[i], &v) == PROV_OK && v != NULL &&
		    v[0] != '\0') {
			snprintf(label, sizeof(label), "Rule %c", rules[i][5]);
			status_row(b, rules[i], label, v);
		}
		free(v);
		v = NULL;
	}
	obuf_str(b, "</table></fieldset>\n<fieldset><legend>Custom CA Status</legend><table>\n");
	status_key_row(a, b, "custom_ca", "Custom CA", "Not Installed (no Custom_CA_Rule "
		       "result recorded)");
	obuf_str(b, "</table></fieldset>\n<fieldset><legend>MIC Cert Refresh Status</legend>"
		    "<table>\n");
	status_key_row(a, b, "mic", "MIC Cert Refresh Status",
		       "Not Installed (renewal off or not yet attempted)");
	obuf_str(b, "</table></fieldset>\n<fieldset><legend>Reboot History</legend>"
		    "<ol id=\"reboots\">\n");
	if (prov_device_status_get(a->dev, "reboot_reasons", &v) == PROV_OK && v != NULL) {
		for (char *line = v, *nl; line != NULL && *line; line = nl) {
			nl = strchr(line, '\n');
			if (nl != NULL)
				*nl++ = '\0';
			obuf_str(b, "<li>");
			obuf_html(b, line);
			obuf_str(b, "</li>\n");
		}
	}
	free(v);
	obuf_str(b, "</ol></fieldset>\n");
	if (prov_device_unknown_count(a->dev) > 0) {
		obuf_str(b, "<fieldset><legend>Unknown Parameters in Profiles</legend><p "
			    "id=\"unknown\">");
		for (size_t i = 0; i < prov_device_unknown_count(a->dev); i++) {
			const char *n = prov_device_unknown_name(a->dev, i);

			obuf_str(b, i ? ", " : "");
			obuf_html(b, n != NULL ? n : "");
		}
		obuf_str(b, "</p></fieldset>\n");
	}
}

static void
param_row(struct admin *a, struct obuf *b, const char *name, int ro)
{
	char label[128], *v = NULL;
	int secret = prov_param_is_secret(name);

	if (prov_device_get(a->dev, name, 0, &v) != PROV_OK) { /* secrets masked */
		free(v);
		return;
	}
	param_label(name, label, sizeof(label));
	obuf_printf(b, "<tr><th><label for=\"p-%s\">", name);
	obuf_html(b, label);
	obuf_str(b, "</label></th><td>");
	if (secret) {
		/* D-PAR-5: the value never goes to the browser; empty = unchanged. */
		obuf_printf(b, "<input type=\"password\" id=\"p-%s\" name=\"%s\" value=\"\" "
			    "autocomplete=\"new-password\" placeholder=\"%s\"%s>", name, name,
			    v[0] != '\0' ? "******** (set; empty keeps it)" : "(not set)",
			    ro ? " readonly" : "");
		if (v[0] != '\0' && !ro)
			obuf_printf(b, " <label><input type=\"checkbox\" name=\"clear\" "
				    "value=\"%s\"> clear</label>", name);
	} else {
		obuf_printf(b, "<input type=\"text\" id=\"p-%s\" name=\"%s\" value=\"", name, name);
		obuf_html(b, v);
		obuf_printf(b, "\"%s>", ro ? " readonly" : "");
	}
	obuf_str(b, "</td></tr>\n");
	free(v);
}

/* The page: identity, a message (ok or error), the parameters as a form
 * grouped Tab > Section in table order, and Info > Status. */
static void
page_advanced(struct conn *c, enum admin_role role, const char *sid, int status,
	      const char *ok, const char *err, const char *cookie_hdr)
{
	struct admin *a = c->a;
	struct obuf b = { 0 };
	size_t np = prov_param_count();
	char token[ADMIN_TOKEN_LEN + 1], tabs[ADMIN_PAGE_TABS][ADMIN_GROUP_MAX];
	size_t ntabs = 0;

	csrf_token(a, role, sid, token);
	html_open(&b, "Phone administration: advanced");
	obuf_str(&b, "<header><h1>");
	obuf_html(&b, prov_device_identity(a->dev, "PN"));
	obuf_str(&b, " ");
	obuf_html(&b, prov_device_identity(a->dev, "MAC"));
	obuf_str(&b, " &middot; ");
	obuf_html(&b, prov_device_identity(a->dev, "SWVER"));
	obuf_printf(&b, "</h1><nav>Logged in as <b id=\"who\">%s</b> &middot; ",
		    role_user(role));
	/* The tabs, in table order. */
	for (size_t i = 0; i < np && ntabs < ADMIN_PAGE_TABS; i++) {
		const char *g = prov_param_group(prov_param_name(i));
		char tab[ADMIN_GROUP_MAX];
		size_t k;

		if (g == NULL)
			continue;
		group_tab(g, tab, sizeof(tab));
		for (k = 0; k < ntabs && strcmp(tabs[k], tab) != 0; k++)
			;
		if (k == ntabs)
			snprintf(tabs[ntabs++], sizeof(tabs[0]), "%s", tab);
	}
	for (size_t k = 0; k < ntabs; k++) {
		obuf_printf(&b, "<a href=\"#tab-%zu\">Voice &gt; ", k);
		obuf_html(&b, tabs[k]);
		obuf_str(&b, "</a>");
	}
	obuf_str(&b, "<a href=\"#info-status\">Info &gt; Status</a></nav></header><main>\n");
	if (ok != NULL) {
		obuf_str(&b, "<p class=\"msg ok\" id=\"msg\">");
		obuf_html(&b, ok);
		obuf_str(&b, "</p>\n");
	}
	if (err != NULL) {
		obuf_str(&b, "<p class=\"msg err\" id=\"error\">");
		obuf_html(&b, err);
		obuf_str(&b, "</p>\n");
	}
	obuf_str(&b, "<form method=\"post\" action=\"/admin/advanced\" id=\"params\">\n");
	obuf_printf(&b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">\n", token);
	for (size_t k = 0; k < ntabs; k++) {
		char done[ADMIN_PAGE_SECTIONS][ADMIN_GROUP_MAX];
		size_t ndone = 0;

		obuf_printf(&b, "<h2 id=\"tab-%zu\">Voice &gt; ", k);
		obuf_html(&b, tabs[k]);
		obuf_str(&b, "</h2>\n");
		/* Each section of this tab once, its parameters in table order. */
		for (size_t i = 0; i < np; i++) {
			const char *g = prov_param_group(prov_param_name(i)), *sec;
			char tab[ADMIN_GROUP_MAX];
			size_t d, rows = 0;
			int ro;

			if (g == NULL)
				continue;
			group_tab(g, tab, sizeof(tab));
			sec = group_section(g);
			if (strcmp(tab, tabs[k]) != 0)
				continue;
			for (d = 0; d < ndone && strcmp(done[d], sec) != 0; d++)
				;
			if (d < ndone || ndone == ADMIN_PAGE_SECTIONS)
				continue;
			snprintf(done[ndone++], sizeof(done[0]), "%s", sec);
			for (size_t j = i; j < np; j++) {
				const char *nj = prov_param_name(j), *gj = prov_param_group(nj);

				if (gj == NULL || strcmp(gj, g) != 0 || !param_visible(a, nj, role, &ro))
					continue;
				if (rows++ == 0) {
					obuf_str(&b, "<fieldset><legend>");
					obuf_html(&b, sec);
					obuf_str(&b, "</legend><table>\n");
				}
				param_row(a, &b, nj, ro);
			}
			if (rows > 0)
				obuf_str(&b, "</table></fieldset>\n");
		}
	}
	obuf_str(&b, "<p><button type=\"submit\" id=\"save\">Submit All Changes</button></p>\n"
		     "</form>\n");
	page_status(a, &b);
	if (role == ROLE_ADMIN)
		obuf_str(&b, "<p class=\"note\">Resync: <code>/admin/resync?RULE</code> "
			     "(URL-encoded; without RULE the configured rules). Reboot: "
			     "<code>/admin/reboot</code>.</p>\n");
	obuf_str(&b, "</main>\n");
	html_close(&b);
	respond_html(c, status, cookie_hdr, &b);
	free(b.p);
}

/* GET: the page; a new session cookie when the browser has none. */
static void
advanced_get(struct conn *c, enum admin_role role, const char *query)
{
	char sid[ADMIN_SID_LEN + 1], hdr[128], msg[64];
	const char *ok = NULL;

	hdr[0] = '\0';
	if (!session_get(&c->req, sid)) {
		unsigned char rnd[ADMIN_SID_LEN / 2];

		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			respond_text(c, 503, "", "no randomness for a session");
			return;
		}
		hex_encode(rnd, sizeof(rnd), sid);
		snprintf(hdr, sizeof(hdr), "Set-Cookie: %s=%s; Path=/; HttpOnly; "
			 "SameSite=Strict\r\n", ADMIN_COOKIE, sid);
	}
	if (query != NULL && strncmp(query, "saved=", 6) == 0) {
		snprintf(msg, sizeof(msg), "Saved: %lu parameter(s) changed.",
			 strtoul(query + 6, NULL, 10));
		ok = msg;
	}
	page_advanced(c, role, sid, 200, ok, NULL, hdr);
}

/* POST: validates the CSRF token and origin, then applies the changed
 * fields all-or-nothing through prov_device_set_many (the path of
 * `prov phone set`). */
static void
advanced_post(struct conn *c, enum admin_role role)
{
	struct admin *a = c->a;
	struct admin_req *r = &c->req;
	struct admin_field *f = NULL;
	const char **names = NULL, **values = NULL;
	char sid[ADMIN_SID_LEN + 1], token[ADMIN_TOKEN_LEN + 1], err[700], loc[96];
	const char *given;
	long nf = 0;
	size_t n = 0;
	unsigned flags = role == ROLE_ADMIN ? 0 : PROV_AS_USER;

	if (strncasecmp(r->ctype, "application/x-www-form-urlencoded", 33) != 0) {
		respond_text(c, 415, "", "Expected an application/x-www-form-urlencoded form.");
		return;
	}
	if (!same_origin(r)) {
		refuse_foreign(c, "/admin/advanced");
		return;
	}
	f = calloc(ADMIN_FORM_FIELDS, sizeof(*f));
	if (f == NULL) {
		respond_text(c, 503, "", "out of memory");
		return;
	}
	nf = admin_form_parse(r->body != NULL ? r->body : "", r->bodylen, f, ADMIN_FORM_FIELDS);
	if (nf < 0) {
		respond_text(c, 400, "", "Malformed form.");
		goto out;
	}
	given = form_get(f, (size_t)nf, "csrf");
	if (session_get(r, sid))
		csrf_token(a, role, sid, token);
	else
		token[0] = '\0';
	if (token[0] == '\0' || given == NULL || strlen(given) != ADMIN_TOKEN_LEN ||
	    CRYPTO_memcmp(given, token, ADMIN_TOKEN_LEN) != 0) {
		respond_text(c, 403, "", "Refused: the form's session token is missing or "
			     "wrong; reload the page.");
		goto out;
	}
	names = calloc((size_t)nf + 1, sizeof(*names));
	values = calloc((size_t)nf + 1, sizeof(*values));
	if (names == NULL || values == NULL) {
		respond_text(c, 503, "", "out of memory");
		goto out;
	}
	err[0] = '\0';
	for (size_t i = 0; i < (size_t)nf && err[0] == '\0'; i++) {
		const char *name = f[i].name, *value = f[i].value;
		char *cur = NULL;
		enum prov_err rc;
		enum prov_ua ua;
		int ro;

		if (strcmp(name, "csrf") == 0)
			continue;
		if (strcmp(name, "clear") == 0) { /* a secret to empty */
			name = value;
			value = "";
			if (!prov_param_is_secret(name) ||
			    (form_get(f, (size_t)nf, name) != NULL &&
			     form_get(f, (size_t)nf, name)[0] != '\0'))
				continue;
		} else if (prov_param_is_secret(name) && value[0] == '\0') {
			continue; /* an empty secret field: unchanged */
		}
		if (prov_device_get_ua(a->dev, name, &ua) != PROV_OK) {
			snprintf(err, sizeof(err), "%s: unknown parameter", name);
			break;
		}
		if (!param_visible(a, name, role, &ro)) {
			snprintf(err, sizeof(err), "%s: no access", name);
			break;
		}
		if (!prov_param_is_secret(name) || value[0] == '\0') {
			rc = prov_device_get(a->dev, name, flags, &cur);
			if (rc != PROV_OK) {
				snprintf(err, sizeof(err), "%s", prov_device_errmsg(a->dev));
				free(cur);
				break;
			}
			if (strcmp(cur, value) == 0) { /* unchanged: do not pin defaults */
				free(cur);
				continue;
			}
			free(cur);
		}
		names[n] = name;
		values[n] = value;
		n++;
	}
	if (err[0] == '\0' && n > 0 &&
	    prov_device_set_many(a->dev, names, values, n, flags) != PROV_OK)
		snprintf(err, sizeof(err), "%s", prov_device_errmsg(a->dev));
	if (err[0] != '\0') {
		page_advanced(c, role, sid, 400, NULL, err, "");
		goto out;
	}
	if (n > 0) {
		admin_log("%zu parameter(s) changed by %s", n, role_user(role));
		admin_changed(a);
	}
	snprintf(loc, sizeof(loc), "Location: /admin/advanced?saved=%zu\r\n", n);
	respond_text(c, 303, loc, "Saved.");
out:
	free(names);
	free(values);
	if (nf > 0)
		admin_fields_free(f, (size_t)nf);
	free(f);
}

/* ---- /CGI/Execute (D-TRG-2) ----------------------------------------------------------- */

static void
respond_cisco_error(struct conn *c, int status, int number, const char *why)
{
	struct obuf b = { 0 };

	obuf_str(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
	obuf_printf(&b, "<CiscoIPPhoneError Number=\"%d\" Data=\"", number);
	obuf_xml(&b, why);
	obuf_str(&b, "\"/>\n");
	if (b.toobig)
		respond_text(c, 500, "", "response too large");
	else
		respond(c, status, "text/xml; charset=utf-8", "", b.p, b.len);
	free(b.p);
}

static void
page_execute(struct conn *c)
{
	struct admin_req *r = &c->req;
	struct admin_exec *ex = NULL;
	struct obuf b = { 0 };
	char msg[256], why[ADMIN_EXEC_URL_MAX + 128], *xml = NULL;
	const char *body = r->body != NULL ? r->body : "";
	size_t len = r->bodylen;

	/* Cisco XML applications post either the object itself or a form
	 * field XML=<url-encoded object>. */
	if (strncmp(body, "XML=", 4) == 0) {
		long n;

		xml = malloc(len + 1);
		n = xml != NULL ? admin_decode(body + 4, len - 4, 1, xml, len + 1) : -1;
		if (n < 0) {
			respond_cisco_error(c, 400, 1, "malformed XML= form field");
			goto out;
		}
		body = xml;
		len = (size_t)n;
	}
	ex = malloc(sizeof(*ex));
	if (ex == NULL) {
		respond_cisco_error(c, 503, 3, "out of memory");
		goto out;
	}
	if (admin_exec_parse(body, len, ex, msg, sizeof(msg)) != 0) {
		respond_cisco_error(c, 400, 1, msg);
		goto out;
	}
	obuf_str(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<CiscoIPPhoneResponse>\n");
	for (size_t i = 0; i < ex->n; i++) {
		const char *url = ex->url[i];
		int status;

		if (strncasecmp(url, "Resync:", 7) == 0) {
			const char *rule = url + 7;

			while (*rule == ' ')
				rule++;
			status = resync_start(c->a, rule[0] != '\0' ? rule : NULL, why, sizeof(why));
		} else {
			status = 400;
			snprintf(why, sizeof(why), "Unsupported: only Resync: is executed");
		}
		obuf_printf(&b, "<ResponseItem Status=\"%d\" Data=\"", status == 200 ? 0 : 1);
		obuf_xml(&b, why);
		obuf_str(&b, "\" URL=\"");
		rule_masked(url, why, sizeof(why));
		obuf_xml(&b, why);
		obuf_str(&b, "\"/>\n");
	}
	obuf_str(&b, "</CiscoIPPhoneResponse>\n");
	if (b.toobig)
		respond_cisco_error(c, 500, 2, "response too large");
	else
		respond(c, 200, "text/xml; charset=utf-8", "", b.p, b.len);
out:
	free(b.p);
	free(ex);
	free(xml);
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

	if (r->url[0] != '/') {
		respond_text(c, 400, "", "Bad request target.");
		return;
	}
	snprintf(path, sizeof(path), "%s", r->url);
	query = strchr(path, '?');
	if (query != NULL)
		*query++ = '\0';
	pw = secret_get(a->dev, "Admin_Password");
	if (pw == NULL) {
		respond_text(c, 500, "", "Cannot read the device.");
		return;
	}
	if (pw[0] == '\0') {
		secret_free(pw);
		page_setup(c); /* D-TRG-1: no open default */
		return;
	}
	secret_free(pw);
	role = auth_check(a, r, &stale);
	if (role == ROLE_NONE) {
		respond_challenge(c, stale);
		return;
	}
	if (strcmp(path, "/") == 0 || strcmp(path, "/admin") == 0 ||
	    strcmp(path, "/admin/") == 0) {
		respond_text(c, 303, "Location: /admin/advanced\r\n", "See /admin/advanced.");
	} else if (strcmp(path, "/admin/advanced") == 0) {
		if (get)
			advanced_get(c, role, query);
		else if (r->method == HTTP_POST)
			advanced_post(c, role);
		else
			respond_text(c, 405, "Allow: GET, HEAD, POST\r\n", "Method not allowed.");
	} else if (strcmp(path, "/admin/resync") == 0 || strcmp(path, "/admin/reboot") == 0 ||
		   strcmp(path, "/admin/upgrade") == 0 || strcmp(path, "/CGI/Execute") == 0) {
		int exec = strcmp(path, "/CGI/Execute") == 0;

		if (role != ROLE_ADMIN)
			respond_text(c, 403, "", "Only the admin may do this.");
		else if (!same_origin(r))
			refuse_foreign(c, path);
		else if (exec && r->method != HTTP_POST)
			respond_text(c, 405, "Allow: POST\r\n", "Method not allowed.");
		else if (!exec && r->method != HTTP_GET)
			respond_text(c, 405, "Allow: GET\r\n", "Method not allowed.");
		else if (exec)
			page_execute(c);
		else if (strcmp(path, "/admin/resync") == 0)
			page_resync(c, query);
		else if (strcmp(path, "/admin/upgrade") == 0)
			page_upgrade(c, query);
		else
			page_reboot(c);
	} else {
		respond_text(c, 404, "", "Not found.");
	}
}

/* ---- connections ------------------------------------------------------------------------- */

static void
conn_close(struct conn *c)
{
	struct admin *a = c->a;
	struct conn **pp;

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
	if (c->out.p != NULL)
		OPENSSL_cleanse(c->out.p, c->out.len);
	free(c->out.p);
	free(c);
}

static void conn_event(void *arg, int fd, unsigned events);

/* Writes what is buffered; closes once the response is complete and sent.
 * Returns 1 if the connection was closed. */
static int
conn_flush(struct conn *c)
{
	while (c->out.off < c->out.len) {
		ssize_t n = send(c->fd, c->out.p + c->out.off, c->out.len - c->out.off,
				 MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			loop_fd(c->a->loop, c->fd, LOOP_OUT | (c->writing ? 0 : LOOP_IN),
				conn_event, c);
			return 0;
		}
		if (n <= 0) {
			conn_close(c);
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
			conn_close(c);
			return;
		}
		if (admin_req_feed(&c->req, buf, (size_t)n) != 0) {
			respond_text(c, c->req.status, "", c->req.error);
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
			obuf_str(&c->out, ADMIN_CONTINUE);
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
		if (n <= 0 || c->drained > ADMIN_DRAIN_MAX) {
			conn_close(c);
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
	if ((events & LOOP_OUT) && c->out.off < c->out.len) {
		if (conn_flush(c))
			return;
	}
	if ((events & LOOP_IN) && !c->writing)
		conn_read(c);
}

static void
conn_timeout(void *arg)
{
	struct conn *c = arg;

	c->timer = 0;
	conn_close(c); /* ADMIN_REQUEST_MS: a slow peer loses its connection */
}

static void
admin_accept(void *arg, int fd, unsigned events)
{
	struct admin *a = arg;

	(void)events;
	for (int i = 0; i < ADMIN_ACCEPT_BURST; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (cfd < 0)
			return; /* EAGAIN, or a failure that the next wake-up retries */
		if (a->nconns >= ADMIN_CONN_MAX) {
			close(cfd); /* full: the newcomer is turned away */
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
		c->timer = loop_timer_add(a->loop, loop_clock() + ADMIN_REQUEST_MS,
					  conn_timeout, c);
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
static int
addr_split(const char *addr, char *host, size_t hostsize, char *port, size_t portsize)
{
	const char *colon;
	size_t hl;

	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		hl = (size_t)(close - addr - 1);
		addr++;
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL)
			return -1;
		hl = (size_t)(colon - addr);
	}
	if (hl == 0 || hl >= hostsize || strlen(colon + 1) == 0 ||
	    strlen(colon + 1) >= portsize)
		return -1;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	snprintf(port, portsize, "%s", colon + 1);
	for (const char *p = port; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	return 0;
}

int
admin_new(struct loop *loop, struct prov_device *dev, const struct admin_ops *ops,
	  const char *addr, struct admin **out, char *msg, size_t msglen)
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
		conn_close(a->conns);
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
