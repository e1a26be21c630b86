/*
 * Unit tests of common/http_parse's kept-header table: each listener gives
 * its own (server/http.h, the admin page's admin_req.c), and each entry is
 * strict (a longer value is 431, a repeat 400) or lenient (the value is
 * cut and marked, repeats are one list joined with ", ", RFC 9110 5.3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

static const struct http_want want[] = {
	{ "X-Strict", 8, 1 },
	{ "X-Loose", 8, 0 },
};
#define NWANT (sizeof(want) / sizeof(want[0]))

struct fx {
	struct http_parse p;
	char store[64];
};

/* Feeds req until the request is done or refused; returns that event. */
static enum http_parse_ev
feed_all(struct http_parse *p, const char *req)
{
	size_t off = 0, len = strlen(req), used;
	enum http_parse_ev ev;

	for (int i = 0; i < 8; i++) {
		used = 0;
		ev = http_parse_feed(p, req + off, len - off, &used);
		off += used;
		if (ev == HTTP_PARSE_DONE || ev == HTTP_PARSE_ERROR)
			return ev;
	}
	return ev;
}

static enum http_parse_ev
feed(struct fx *f, const char *req)
{
	http_parse_init(&f->p, 4096, 0, NULL, NULL);
	assert_int_equal(http_parse_want(&f->p, want, NWANT, f->store, sizeof(f->store)), 0);
	return feed_all(&f->p, req);
}

static void
store_size_is_checked(void **state)
{
	struct fx f;

	(void)state;
	assert_int_equal(http_want_store(want, NWANT), 9 + 9);
	http_parse_init(&f.p, 4096, 0, NULL, NULL);
	assert_int_equal(http_parse_want(&f.p, want, NWANT, f.store, 17), -1);
	assert_int_equal(http_parse_want(&f.p, want, NWANT, f.store, 18), 0);
}

static void
kept_values(void **state)
{
	struct fx f;

	(void)state;
	assert_int_equal(feed(&f, "GET / HTTP/1.1\r\nHost: h\r\nx-strict: abc\r\n"
			     "X-LOOSE: d\r\nX-Other: ignored\r\n\r\n"), HTTP_PARSE_DONE);
	assert_string_equal(f.p.field[0], "abc");
	assert_string_equal(f.p.field[1], "d");
	assert_true(f.p.field_seen[0] && f.p.field_seen[1]);
	assert_false(f.p.field_trunc[1]);
}

static void
strict_refuses(void **state)
{
	struct fx f;

	(void)state;
	assert_int_equal(feed(&f, "GET / HTTP/1.1\r\nX-Strict: 123456789\r\n\r\n"),
			 HTTP_PARSE_ERROR);
	assert_int_equal(f.p.status, 431);
	assert_int_equal(feed(&f, "GET / HTTP/1.1\r\nX-Strict: a\r\nX-Strict: b\r\n\r\n"),
			 HTTP_PARSE_ERROR);
	assert_int_equal(f.p.status, 400);
}

static void
lenient_cuts_and_joins(void **state)
{
	struct fx f;

	(void)state;
	assert_int_equal(feed(&f, "GET / HTTP/1.1\r\nX-Loose: 123456789abc\r\n\r\n"),
			 HTTP_PARSE_DONE);
	assert_string_equal(f.p.field[1], "12345678");
	assert_true(f.p.field_trunc[1]);
	assert_int_equal(feed(&f, "GET / HTTP/1.1\r\nX-Loose: a\r\nX-Loose: b\r\n\r\n"),
			 HTTP_PARSE_DONE);
	assert_string_equal(f.p.field[1], "a, b");
	assert_false(f.p.field_trunc[1]);
}

static void
no_table_keeps_nothing(void **state)
{
	struct http_parse p;

	(void)state;
	http_parse_init(&p, 4096, 0, NULL, NULL);
	assert_int_equal(feed_all(&p, "GET / HTTP/1.1\r\nX-Strict: abc\r\n\r\n"),
			 HTTP_PARSE_DONE);
	assert_int_equal(p.nwant, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(store_size_is_checked),
		cmocka_unit_test(kept_values),
		cmocka_unit_test(strict_refuses),
		cmocka_unit_test(lenient_cuts_and_joins),
		cmocka_unit_test(no_table_keeps_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
