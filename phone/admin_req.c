/*
 * admin_req: the admin page's request layer (admin.h "parsers"): the
 * request over libhttp-parser with every size capped, percent-decoding,
 * forms. Socket-free: fuzz/fuzz_admin.c drives it directly.
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

const char *
admin_form_get(const struct admin_field *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return f[i].value;
	return NULL;
}
