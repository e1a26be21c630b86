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

/* ---- request parsing (common/http_parse) ------------------------------------------ */

/* The headers the page acts on: each at most once and ADMIN_HEADER_VALUE_MAX
 * bytes (else 400 or 431); Expect only for its 100-continue. */
enum { H_AUTHZ, H_CTYPE, H_ORIGIN, H_REFERER, H_HOST, H_COOKIE, H_FETCH_SITE, H_EXPECT,
       H_COUNT };

static const struct http_want admin_want[H_COUNT] = {
	[H_AUTHZ] = { "Authorization", ADMIN_HEADER_VALUE_MAX, 1 },
	[H_CTYPE] = { "Content-Type", ADMIN_HEADER_VALUE_MAX, 1 },
	[H_ORIGIN] = { "Origin", ADMIN_HEADER_VALUE_MAX, 1 },
	[H_REFERER] = { "Referer", ADMIN_HEADER_VALUE_MAX, 1 },
	[H_HOST] = { "Host", ADMIN_HEADER_VALUE_MAX, 1 },
	[H_COOKIE] = { "Cookie", ADMIN_HEADER_VALUE_MAX, 1 },
	[H_FETCH_SITE] = { "Sec-Fetch-Site", ADMIN_HEADER_VALUE_MAX, 1 },
	[H_EXPECT] = { "Expect", ADMIN_EXPECT_MAX, 0 },
};

_Static_assert((H_COUNT - 1) * (ADMIN_HEADER_VALUE_MAX + 1) + ADMIN_EXPECT_MAX + 1 <=
	       ADMIN_FIELD_STORE,
	       "admin_want's values fit the request's store");

static int
on_body(void *arg, const char *at, size_t n)
{
	struct admin_req *r = arg;

	if (r->body == NULL) {
		r->body = malloc(ADMIN_BODY_MAX + 1);
		if (r->body == NULL) {
			r->p.status = 503;
			r->p.reason = "out of memory";
			return -1;
		}
	}
	/* the parser holds the body to ADMIN_BODY_MAX (413) */
	memcpy(r->body + r->bodylen, at, n);
	r->bodylen += n;
	r->body[r->bodylen] = '\0';
	return 0;
}

int
admin_req_init(struct admin_req *r)
{
	memset(r, 0, sizeof(*r));
	http_parse_init(&r->p, ADMIN_HEAD_MAX, ADMIN_BODY_MAX, on_body, r);
	if (http_parse_want(&r->p, admin_want, H_COUNT, r->fields, sizeof(r->fields)) != 0)
		return -1;
	r->url = r->p.url;
	r->authz = r->p.field[H_AUTHZ];
	r->ctype = r->p.field[H_CTYPE];
	r->origin = r->p.field[H_ORIGIN];
	r->referer = r->p.field[H_REFERER];
	r->host = r->p.field[H_HOST];
	r->cookie = r->p.field[H_COOKIE];
	r->fetch_site = r->p.field[H_FETCH_SITE];
	return 0;
}

void
admin_req_fini(struct admin_req *r)
{
	free(r->body);
	r->body = NULL;
}

int
admin_req_feed(struct admin_req *r, const char *data, size_t len)
{
	while (r->error == NULL && !r->complete && len > 0) {
		size_t used = 0;
		enum http_parse_ev ev = http_parse_feed(&r->p, data, len, &used);

		data += used;
		len -= used;
		r->urllen = r->p.url_len;
		if (ev == HTTP_PARSE_ERROR) {
			r->error = r->p.reason != NULL ? r->p.reason : "bad request";
			/* a method libhttp-parser does not know is a bad request
			 * here: the page serves GET, HEAD and POST alone */
			r->status = r->p.status == 501 ? 400 : r->p.status;
		} else if (ev == HTTP_PARSE_HEADERS || ev == HTTP_PARSE_DONE) {
			r->method = (int)r->p.hp.method;
			r->headers_done = 1;
			r->expect_continue = r->p.field_seen[H_EXPECT] &&
			    strncasecmp(r->p.field[H_EXPECT], "100-continue", 12) == 0;
			/* one request per connection: what follows is ignored */
			r->complete = ev == HTTP_PARSE_DONE;
		} else if (used == 0) {
			break;
		}
	}
	return r->error != NULL ? -1 : 0;
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
