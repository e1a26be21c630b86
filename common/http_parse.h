/*
 * http_parse: the socket-free HTTP request layer of every HTTP listener
 * (server/http.c, the agent's admin page phone/admin.c), also driven by
 * fuzz/fuzz_http.c and tests/unit/test_http.c: request parsing over
 * Debian's libhttp-parser with the caller's bounds, the request-target's
 * path, Range, dates, entity tags and status text (RFC 9110, 9112).
 * Pure functions and one struct per connection; no I/O, no allocation.
 */
#ifndef PROV_COMMON_HTTP_PARSE_H
#define PROV_COMMON_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <http_parser.h>

/*
 * One struct http_parse per connection parses its requests one at a time
 * (pipelined requests wait: the parser pauses after each message).
 * http_parse_feed consumes input and reports one event:
 *   HTTP_PARSE_MORE     every byte given was consumed, more is needed;
 *   HTTP_PARSE_HEADERS  the header block is complete (method, url and the
 *                       fields below are final); feed again for the body;
 *   HTTP_PARSE_DONE     the message is complete; call http_parse_next
 *                       before feeding the next pipelined request;
 *   HTTP_PARSE_ERROR    malformed or over a bound: status holds the answer
 *                       (400, 413, 414, 431, 500, 501, 505); the
 *                       connection must be closed after answering.
 * *used says how many bytes were consumed; the rest is fed again later.
 * The header block (request line and headers, from the first byte of the
 * request) is bounded by hdr_max bytes (431), the body by body_max (413,
 * also when Content-Length announces more). Header values are kept as
 * the caller's table says (http_parse_want). Body bytes go to on_body
 * (NULL: discarded); it returns 0, or sets p->status and returns -1.
 */
#define HTTP_URL_MAX 4096u    /* request-target bytes (414 beyond) */
#define HTTP_HNAME_MAX 32u    /* longest header name matched (longer: ignored) */
#define HTTP_WANT_MAX 16u     /* headers one parser keeps */

/* One request header a listener acts on; the others are parsed and
 * dropped. Each listener has its own table (server/http.h, the admin page's
 * admin_req.c) saying which headers it keeps and how much of each; the
 * table outlives every parser that uses it. */
struct http_want {
	const char *name;     /* matched case-insensitively; at most HTTP_HNAME_MAX bytes */
	size_t cap;           /* bytes kept of the value */
	int strict;           /* 1: a longer value is 431 and a repeat 400; 0: the value is
				 cut (field_trunc) and repeats are one list joined with
				 ", " (RFC 9110 5.3) */
};

enum http_parse_ev { HTTP_PARSE_MORE, HTTP_PARSE_HEADERS, HTTP_PARSE_DONE, HTTP_PARSE_ERROR };

struct http_parse {
	http_parser hp;
	size_t hdr_max, hdr_used;             /* header block bound and bytes so far */
	unsigned long long body_max, body_seen;
	int phase;                            /* 0 header block, 1 body, 2 done */
	int status;                           /* HTTP_PARSE_ERROR: the status to answer */
	const char *reason;                   /* and why, for the log */
	char url[HTTP_URL_MAX + 1];
	size_t url_len;
	const struct http_want *want;         /* the kept headers (http_parse_want) */
	unsigned nwant;
	char *field[HTTP_WANT_MAX];           /* value of want[i], NUL-terminated, in the
						 caller's store */
	size_t field_len[HTTP_WANT_MAX];
	unsigned char field_trunc[HTTP_WANT_MAX]; /* value was longer than kept */
	unsigned char field_seen[HTTP_WANT_MAX];
	char hname[HTTP_HNAME_MAX];
	size_t hname_len;                     /* > HTTP_HNAME_MAX: too long, ignored */
	int hlast_value;                      /* last callback was a header value */
	int hcur;                             /* field of the current value, or -1 */
	int (*on_body)(void *arg, const char *buf, size_t len);
	void *arg;
};

void http_parse_init(struct http_parse *p, size_t hdr_max, unsigned long long body_max,
		     int (*on_body)(void *arg, const char *buf, size_t len), void *arg);
/* Which headers p keeps: want[0..n) (n <= HTTP_WANT_MAX), their values
 * laid out in store, which the caller owns for p's life and which holds
 * at least http_want_store(want, n) bytes. Called after http_parse_init,
 * before the first feed; without it no header is kept. Returns 0, or -1
 * when n or store_len is too small for the table. */
int http_parse_want(struct http_parse *p, const struct http_want *want, unsigned n,
		    char *store, size_t store_len) __attribute__((warn_unused_result));
/* The store a table needs: each value's cap + 1 (its NUL). */
size_t http_want_store(const struct http_want *want, unsigned n);
/* After HTTP_PARSE_DONE: ready for the next request on the connection. */
void http_parse_next(struct http_parse *p);
enum http_parse_ev http_parse_feed(struct http_parse *p, const char *buf, size_t len,
				   size_t *used);

/* The request-target's path (origin-form "/p?q" or absolute-form
 * "http://h/p"), percent-decoded into out (cap bytes, NUL-terminated);
 * the query and fragment are dropped. Returns the length, or -400 for a
 * malformed target, a malformed escape or %00, -414 when longer than cap. */
long http_url_path(const char *url, size_t len, char *out, size_t cap);

/* A Range header value against a file of size bytes: returns 0 when the
 * header is to be ignored (not "bytes=" units), 206 with [*first, *last]
 * for one satisfiable range, 416 otherwise (unsatisfiable, malformed, or
 * several ranges, which this server refuses rather than answering
 * multipart/byteranges). */
int http_range(const char *v, size_t len, uint64_t size, uint64_t *first, uint64_t *last);

/* An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into unix seconds.
 * Returns 0, or -1 when v is not one (the header is then ignored). */
int http_date_parse(const char *v, size_t len, int64_t *out);
/* Formats unix seconds as an IMF-fixdate into out[30]. */
void http_date_format(int64_t t, char out[30]);

/* Whether an If-None-Match value ("*" or a list of entity tags, weak or
 * strong) matches etag (weak comparison, RFC 7232 3.2). */
int http_etag_match(const char *v, size_t len, const char *etag);

/* The reason phrase of a status code (RFC 9110 15), "Unknown" for one
 * no listener here sends. */
const char *http_status_text(int status);

#endif
