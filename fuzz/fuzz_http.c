/*
 * Fuzz target for the HTTP request layer of `prov serve` (server.md
 * S-NET-2, S-SEC-5): arbitrary bytes as one connection's input, through
 * the same http_parse_feed the server uses, split at a point the first
 * byte chooses (to exercise requests arriving in pieces), then each
 * complete header block through the target, Range, date and entity-tag
 * interpreters; then again with a strict header table like the admin
 * page's. Checked: the bounds hold (header block, body, fields),
 * every byte is consumed exactly once, and an error names an HTTP status.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "root.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_HDR_MAX 1024u   /* small bounds so the fuzzer reaches them */
#define FUZZ_BODY_MAX 4096u

static int
fuzz_body(void *arg, const char *buf, size_t len)
{
	unsigned long long *total = arg;

	(void)buf;
	*total += len;
	return 0;
}

static void
fuzz_request(const struct http_parse *p)
{
	char path[ROOT_PATH_MAX + 1];
	uint64_t first, last;
	int64_t t;
	long n;
	int r;

	if (p->url_len > HTTP_URL_MAX || strlen(p->url) != p->url_len)
		abort();
	n = http_url_path(p->url, p->url_len, path, sizeof(path));
	if (n >= 0 && ((size_t)n != strlen(path) || (size_t)n > ROOT_PATH_MAX))
		abort(); /* no NUL inside a decoded path, ever */
	if (n < 0 && n != -400 && n != -414)
		abort();
	for (uint64_t size = 0; size < 3000; size += 1000) {
		r = http_range(p->field[HTTP_F_RANGE], p->field_len[HTTP_F_RANGE], size,
			       &first, &last);
		if (r != 0 && r != 206 && r != 416)
			abort();
		if (r == 206 && (first > last || last >= size))
			abort();
	}
	if (http_date_parse(p->field[HTTP_F_IF_MODIFIED_SINCE],
			    p->field_len[HTTP_F_IF_MODIFIED_SINCE], &t) == 0) {
		char back[30];

		http_date_format(t, back);
		if (strlen(back) != 29)
			abort();
	}
	(void)http_etag_match(p->field[HTTP_F_IF_NONE_MATCH],
			      p->field_len[HTTP_F_IF_NONE_MATCH], "\"1-2-3\"");
}

/* A strict table like the admin page's (phone/admin_req.c): a longer
 * value is 431 and a repeat 400. Small caps so the fuzzer reaches them. */
static const struct http_want fuzz_strict[] = {
	{ "authorization", 64, 1 }, { "host", 16, 1 }, { "cookie", 32, 1 },
	{ "content-type", 32, 1 }, { "expect", 16, 0 },
};
#define FUZZ_NSTRICT (sizeof(fuzz_strict) / sizeof(fuzz_strict[0]))

/* Every kept value within its cap and NUL-terminated there. */
static void
fuzz_fields(const struct http_parse *p)
{
	for (unsigned i = 0; i < p->nwant; i++)
		if (p->field_len[i] > p->want[i].cap || strlen(p->field[i]) != p->field_len[i])
			abort();
}

/* One connection's input through p, split every `split` bytes; server:
 * the header block goes through the server's interpreters too. */
static void
fuzz_conn(struct http_parse *p, const uint8_t *data, size_t size, size_t split, int server)
{
	size_t off = 0;

	while (off < size) {
		size_t len = size - off < split ? size - off : split, used = 0;
		enum http_parse_ev ev = http_parse_feed(p, (const char *)data + off, len, &used);

		if (used > len)
			abort();
		off += used;
		if (p->hdr_used > FUZZ_HDR_MAX || p->body_seen > FUZZ_BODY_MAX + split)
			abort();
		if (ev == HTTP_PARSE_ERROR) {
			if (p->status < 400 || p->status > 599)
				abort();
			break;
		}
		if (ev == HTTP_PARSE_HEADERS || ev == HTTP_PARSE_DONE) {
			fuzz_fields(p);
			if (server)
				fuzz_request(p);
		}
		if (ev == HTTP_PARSE_DONE)
			http_parse_next(p);
		if (ev == HTTP_PARSE_MORE && used != len)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char fields[HTTP_FIELD_STORE], strict[256];
	struct http_parse *p;
	unsigned long long body = 0;
	size_t split;

	if (size == 0)
		return 0;
	split = 1 + data[0] % 64;
	data++;
	size--;
	/* struct http_parse is several KiB: keep it off the stack. */
	p = malloc(sizeof(*p));
	if (p == NULL)
		return 0;
	/* The server's table, then a strict one like the admin page's. */
	http_parse_init(p, FUZZ_HDR_MAX, FUZZ_BODY_MAX, fuzz_body, &body);
	if (http_parse_want(p, http_fields, HTTP_F_N, fields, sizeof(fields)) != 0)
		abort();
	fuzz_conn(p, data, size, split, 1);
	http_parse_init(p, FUZZ_HDR_MAX, FUZZ_BODY_MAX, fuzz_body, &body);
	if (http_parse_want(p, fuzz_strict, FUZZ_NSTRICT, strict, sizeof(strict)) != 0)
		abort();
	fuzz_conn(p, data, size, split, 0);
	free(p);
	return 0;
}
