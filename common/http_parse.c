/*
 * http_parse: the request layer of the HTTP server. See http_parse.h.
 */
#include "http_parse.h"
#include "hex.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- the request layer (no sockets) ---------------------------------- */

static int
parse_fail(struct http_parse *p, int status, const char *reason)
{
	if (p->status == 0) {
		p->status = status;
		p->reason = reason;
	}
	return -1;
}

static int
parse_on_url(http_parser *hp, const char *at, size_t len)
{
	struct http_parse *p = hp->data;

	if (len > HTTP_URL_MAX - p->url_len)
		return parse_fail(p, 414, "request-target too long");
	memcpy(p->url + p->url_len, at, len);
	p->url_len += len;
	p->url[p->url_len] = '\0';
	return 0;
}

static int
parse_on_hfield(http_parser *hp, const char *at, size_t len)
{
	struct http_parse *p = hp->data;

	if (p->hlast_value) {
		p->hlast_value = 0;
		p->hname_len = 0;
		p->hcur = -1;
	}
	if (p->hname_len > HTTP_HNAME_MAX || len > HTTP_HNAME_MAX - p->hname_len) {
		p->hname_len = HTTP_HNAME_MAX + 1; /* too long for any field we use */
		return 0;
	}
	memcpy(p->hname + p->hname_len, at, len);
	p->hname_len += len;
	return 0;
}

static int
parse_on_hvalue(http_parser *hp, const char *at, size_t len)
{
	struct http_parse *p = hp->data;
	size_t room;

	if (!p->hlast_value) {
		/* First piece of this value: which field is it? */
		p->hlast_value = 1;
		p->hcur = -1;
		for (unsigned i = 0; i < p->nwant && p->hname_len <= HTTP_HNAME_MAX; i++) {
			if (strlen(p->want[i].name) == p->hname_len &&
			    strncasecmp(p->want[i].name, p->hname, p->hname_len) == 0) {
				p->hcur = (int)i;
				break;
			}
		}
		if (p->hcur < 0)
			return 0;
		if (p->field_seen[p->hcur] && p->want[p->hcur].strict)
			return parse_fail(p, 400, "header given twice");
		/* A repeated field is one list (RFC 7230 3.2.2). */
		if (p->field_seen[p->hcur]) {
			if (p->field_len[p->hcur] + 2 <= p->want[p->hcur].cap) {
				memcpy(p->field[p->hcur] + p->field_len[p->hcur], ", ", 2);
				p->field_len[p->hcur] += 2;
			} else {
				p->field_trunc[p->hcur] = 1;
			}
		}
		p->field_seen[p->hcur] = 1;
	}
	if (p->hcur < 0)
		return 0;
	room = p->want[p->hcur].cap - p->field_len[p->hcur];
	if (len > room) {
		if (p->want[p->hcur].strict)
			return parse_fail(p, 431, "header value too long");
		len = room;
		p->field_trunc[p->hcur] = 1;
	}
	memcpy(p->field[p->hcur] + p->field_len[p->hcur], at, len);
	p->field_len[p->hcur] += len;
	p->field[p->hcur][p->field_len[p->hcur]] = '\0';
	return 0;
}

static int
parse_on_headers(http_parser *hp)
{
	struct http_parse *p = hp->data;

	if (hp->http_major != 1)
		return parse_fail(p, 505, "HTTP version not supported");
	if (!(hp->flags & F_CHUNKED) && hp->content_length != ULLONG_MAX &&
	    hp->content_length > p->body_max)
		return parse_fail(p, 413, "body larger than http_body_max");
	p->phase = 1;
	http_parser_pause(hp, 1);
	return 0;
}

static int
parse_on_body(http_parser *hp, const char *at, size_t len)
{
	struct http_parse *p = hp->data;

	p->body_seen += len;
	if (p->body_seen > p->body_max)
		return parse_fail(p, 413, "body larger than http_body_max");
	if (p->on_body != NULL && p->on_body(p->arg, at, len) != 0)
		return parse_fail(p, 500, "body not stored");
	return 0;
}

static int
parse_on_complete(http_parser *hp)
{
	struct http_parse *p = hp->data;

	p->phase = 2;
	http_parser_pause(hp, 1);
	return 0;
}

static const http_parser_settings http_settings = {
	.on_url = parse_on_url,
	.on_header_field = parse_on_hfield,
	.on_header_value = parse_on_hvalue,
	.on_headers_complete = parse_on_headers,
	.on_body = parse_on_body,
	.on_message_complete = parse_on_complete,
};

/* http-parser's own header bound (process-wide, 80 KiB by default) must
 * not cut below http_header_max: raise it when a larger bound is asked. */
static size_t http_parser_hdr_max = HTTP_MAX_HEADER_SIZE;

void
http_parse_init(struct http_parse *p, size_t hdr_max, unsigned long long body_max,
		int (*on_body)(void *, const char *, size_t), void *arg)
{
	if (hdr_max >= http_parser_hdr_max && hdr_max < UINT32_MAX) {
		http_parser_hdr_max = hdr_max + 1;
		http_parser_set_max_header_size((uint32_t)http_parser_hdr_max);
	}
	memset(p, 0, sizeof(*p));
	http_parser_init(&p->hp, HTTP_REQUEST);
	p->hp.data = p;
	p->hdr_max = hdr_max;
	p->body_max = body_max;
	p->on_body = on_body;
	p->arg = arg;
	http_parse_next(p);
}

size_t
http_want_store(const struct http_want *want, unsigned n)
{
	size_t need = 0;

	for (unsigned i = 0; i < n; i++)
		need += want[i].cap + 1;
	return need;
}

int
http_parse_want(struct http_parse *p, const struct http_want *want, unsigned n, char *store,
		size_t store_len)
{
	if (n > HTTP_WANT_MAX || store_len < http_want_store(want, n))
		return -1;
	p->want = want;
	p->nwant = n;
	for (unsigned i = 0; i < n; i++) {
		p->field[i] = store;
		store += want[i].cap + 1;
	}
	http_parse_next(p);
	return 0;
}

void
http_parse_next(struct http_parse *p)
{
	if (HTTP_PARSER_ERRNO(&p->hp) == HPE_PAUSED)
		http_parser_pause(&p->hp, 0);
	p->hdr_used = 0;
	p->body_seen = 0;
	p->phase = 0;
	p->status = 0;
	p->reason = NULL;
	p->url_len = 0;
	p->url[0] = '\0';
	for (unsigned i = 0; i < p->nwant; i++) {
		p->field[i][0] = '\0';
		p->field_len[i] = 0;
		p->field_trunc[i] = 0;
		p->field_seen[i] = 0;
	}
	p->hname_len = 0;
	p->hlast_value = 1;
	p->hcur = -1;
}

enum http_parse_ev
http_parse_feed(struct http_parse *p, const char *buf, size_t len, size_t *used)
{
	size_t n = len, got;
	int phase0 = p->phase;
	enum http_errno e;

	*used = 0;
	if (p->status != 0)
		return HTTP_PARSE_ERROR;
	if (p->phase == 2)
		return HTTP_PARSE_DONE;
	if (len == 0)
		return HTTP_PARSE_MORE; /* a zero-length execute means EOF */
	if (p->phase == 0) {
		size_t room = p->hdr_max > p->hdr_used ? p->hdr_max - p->hdr_used : 0;

		if (room == 0) {
			parse_fail(p, 431, "header block larger than http_header_max");
			return HTTP_PARSE_ERROR;
		}
		if (n > room)
			n = room;
	}
	if (HTTP_PARSER_ERRNO(&p->hp) == HPE_PAUSED)
		http_parser_pause(&p->hp, 0);
	got = http_parser_execute(&p->hp, &http_settings, buf, n);
	if (got > n)
		got = n; /* http-parser reports 1 for an error at EOF: never here */
	*used = got;
	if (phase0 == 0)
		p->hdr_used += got;
	e = HTTP_PARSER_ERRNO(&p->hp);
	if (e == HPE_PAUSED) {
		if (p->phase == 2)
			return HTTP_PARSE_DONE;
		if (phase0 == 0 && p->phase == 1)
			return HTTP_PARSE_HEADERS;
		parse_fail(p, 500, "parser paused unexpectedly");
		return HTTP_PARSE_ERROR;
	}
	if (e != HPE_OK) {
		if (e == HPE_INVALID_METHOD)
			parse_fail(p, 501, "unknown method");
		else if (e == HPE_HEADER_OVERFLOW)
			parse_fail(p, 431, "header block too large");
		else if (e >= HPE_CB_message_begin && e <= HPE_CB_chunk_complete)
			parse_fail(p, 500, "request handler failed");
		else
			parse_fail(p, 400, http_errno_description(e));
		return HTTP_PARSE_ERROR;
	}
	if (got != n) {
		parse_fail(p, 400, "request not consumed");
		return HTTP_PARSE_ERROR;
	}
	if (p->phase == 0 && n < len) {
		parse_fail(p, 431, "header block larger than http_header_max");
		return HTTP_PARSE_ERROR;
	}
	return HTTP_PARSE_MORE;
}

long
http_url_path(const char *url, size_t len, char *out, size_t cap)
{
	const char *p = url;
	size_t n = len, o = 0;

	if (len == 0 || cap == 0)
		return -400;
	if (url[0] != '/') {
		/* absolute-form (RFC 7230 5.3.2): only the path matters. */
		struct http_parser_url u;

		http_parser_url_init(&u);
		if (len > UINT16_MAX || http_parser_parse_url(url, len, 0, &u) != 0 ||
		    !(u.field_set & (1u << UF_HOST)))
			return -400;
		if (u.field_set & (1u << UF_PATH)) {
			p = url + u.field_data[UF_PATH].off;
			n = u.field_data[UF_PATH].len;
		} else {
			p = "/";
			n = 1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '?' || ch == '#')
			break;
		if (ch == '%') {
			int hi, lo;

			if (n - i < 3)
				return -400;
			hi = hex_val((unsigned char)p[i + 1]);
			lo = hex_val((unsigned char)p[i + 2]);
			if (hi < 0 || lo < 0)
				return -400;
			ch = (unsigned char)(hi * 16 + lo);
			if (ch == 0)
				return -400;
			i += 2;
		} else if (ch == 0) {
			return -400;
		}
		if (o + 1 >= cap)
			return -414;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return (long)o;
}

/* Digits at v[*i..len) into *out; at least one, no overflow. */
static int
http_digits(const char *v, size_t len, size_t *i, uint64_t *out)
{
	uint64_t x = 0;
	size_t start = *i;

	while (*i < len && v[*i] >= '0' && v[*i] <= '9') {
		unsigned d = (unsigned)(v[*i] - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
		(*i)++;
	}
	*out = x;
	return *i > start ? 0 : -1;
}

static void
http_ows(const char *v, size_t len, size_t *i)
{
	while (*i < len && (v[*i] == ' ' || v[*i] == '\t'))
		(*i)++;
}

int
http_range(const char *v, size_t len, uint64_t size, uint64_t *first, uint64_t *last)
{
	size_t i = 0;
	uint64_t a, b;

	http_ows(v, len, &i);
	if (len - i < 6 || strncasecmp(v + i, "bytes=", 6) != 0)
		return 0; /* another unit: ignored (RFC 7233 3.1) */
	i += 6;
	if (memchr(v + i, ',', len - i) != NULL)
		return 416; /* several ranges: refused, see http.h */
	http_ows(v, len, &i);
	if (i < len && v[i] == '-') {
		i++;
		if (http_digits(v, len, &i, &b) != 0)
			return 416;
		http_ows(v, len, &i);
		if (i != len || b == 0 || size == 0)
			return 416;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 206;
	}
	if (http_digits(v, len, &i, &a) != 0 || i >= len || v[i] != '-')
		return 416;
	i++;
	b = UINT64_MAX;
	if (i < len && v[i] >= '0' && v[i] <= '9' && http_digits(v, len, &i, &b) != 0)
		return 416;
	http_ows(v, len, &i);
	if (i != len || b < a || a >= size)
		return 416;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return 206;
}

static const char http_days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char http_months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
http_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
http_num(const char *s, size_t n, unsigned *out)
{
	unsigned x = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (unsigned)(s[i] - '0');
	}
	*out = x;
	return 0;
}

int
http_date_parse(const char *v, size_t len, int64_t *out)
{
	unsigned day, year, hh, mm, ss, mon = 12;

	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	/* "Sun, 06 Nov 1994 08:49:37 GMT" */
	if (len != 29 || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' ||
	    v[16] != ' ' || v[19] != ':' || v[22] != ':' || memcmp(v + 25, " GMT", 4) != 0)
		return -1;
	for (unsigned i = 0; i < 12; i++)
		if (memcmp(v + 8, http_months[i], 3) == 0)
			mon = i;
	if (mon == 12 || http_num(v + 5, 2, &day) || http_num(v + 12, 4, &year) ||
	    http_num(v + 17, 2, &hh) || http_num(v + 20, 2, &mm) || http_num(v + 23, 2, &ss))
		return -1;
	if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	*out = http_days_from_civil(year, mon + 1, day) * 86400 + hh * 3600 + mm * 60 + ss;
	return 0;
}

void
http_date_format(int64_t t, char out[30])
{
	struct tm tm;
	time_t tt = (time_t)t;
	char buf[80];

	if (gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		tt = 0; /* out of range: the epoch */
		gmtime_r(&tt, &tm);
	}
	snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT",
		 http_days[tm.tm_wday % 7], tm.tm_mday, http_months[tm.tm_mon % 12],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(out, buf, 29);
	out[29] = '\0';
}

int
http_etag_match(const char *v, size_t len, const char *etag)
{
	size_t i = 0, elen = strlen(etag);

	http_ows(v, len, &i);
	if (len - i >= 1 && v[i] == '*') {
		size_t j = i + 1;

		http_ows(v, len, &j);
		if (j == len)
			return 1;
	}
	if (elen >= 2 && etag[0] == 'W' && etag[1] == '/') {
		etag += 2;
		elen -= 2;
	}
	while (i < len) {
		size_t start, end;

		http_ows(v, len, &i);
		if (len - i >= 2 && v[i] == 'W' && v[i + 1] == '/')
			i += 2;
		start = i;
		while (i < len && v[i] != ',')
			i++;
		end = i;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (end - start == elen && memcmp(v + start, etag, elen) == 0)
			return 1;
		if (i < len)
			i++; /* the comma */
	}
	return 0;
}


const char *
http_status_text(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}
