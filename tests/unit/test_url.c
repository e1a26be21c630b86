/*
 * Unit tests of lib/url.c: rule URLs (device.md D-RUL-4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "url.h"

static enum prov_err
parse(const char *s, struct url *u, struct diag *d)
{
	diag_init(d);
	return url_parse(s, strlen(s), u, d);
}

static void
expect_error(const char *s, enum prov_err code, unsigned col, const char *msg)
{
	struct url u;
	struct diag d;

	assert_int_equal(parse(s, &u, &d), code);
	assert_int_equal(d.code, code);
	assert_int_equal(d.line, 1);
	assert_int_equal(d.col, col);
	if (msg != NULL)
		assert_string_equal(d.msg, msg);
}

static void
test_d_rul_4_full(void **state)
{
	struct url u;
	struct diag d;

	(void)state;
	assert_int_equal(parse("http://prov.example.com:8080/cfg/$x.xml?a=1&b", &u, &d),
			 PROV_OK);
	assert_int_equal(u.scheme, URL_HTTP);
	assert_true(u.scheme_given);
	assert_string_equal(u.host, "prov.example.com");
	assert_false(u.host_ipv6);
	assert_int_equal(u.port, 8080);
	assert_true(u.port_given);
	assert_string_equal(u.path, "/cfg/$x.xml");
	assert_true(u.has_query);
	assert_string_equal(u.query, "a=1&b");
}

static void
test_d_rul_4_default_scheme_and_ports(void **state)
{
	struct url u;
	struct diag d;

	(void)state;
	assert_int_equal(parse("192.168.1.200/basic.txt", &u, &d), PROV_OK);
	assert_int_equal(u.scheme, URL_TFTP);
	assert_false(u.scheme_given);
	assert_string_equal(u.host, "192.168.1.200");
	assert_int_equal(u.port, 69);
	assert_false(u.port_given);

	assert_int_equal(parse("HTTPS://my.server.com/basic.txt", &u, &d), PROV_OK);
	assert_int_equal(u.scheme, URL_HTTPS);
	assert_int_equal(u.port, 443);
	assert_int_equal(parse("Http://h/x", &u, &d), PROV_OK);
	assert_int_equal(u.port, 80);

	assert_int_equal(url_default_port(URL_TFTP), 69);
	assert_int_equal(url_default_port(URL_HTTP), 80);
	assert_int_equal(url_default_port(URL_HTTPS), 443);
	assert_string_equal(url_scheme_name(URL_TFTP), "tftp");
	assert_string_equal(url_scheme_name(URL_HTTP), "http");
	assert_string_equal(url_scheme_name(URL_HTTPS), "https");
}

static void
test_d_rul_4_no_host(void **state)
{
	struct url u;
	struct diag d;

	(void)state;
	assert_int_equal(parse("/$PSN.xml", &u, &d), PROV_OK);
	assert_string_equal(u.host, "");
	assert_string_equal(u.path, "/$PSN.xml");
	assert_false(u.has_query);

	assert_int_equal(parse("tftp:///x/y.cfg", &u, &d), PROV_OK);
	assert_true(u.scheme_given);
	assert_string_equal(u.host, "");
	assert_string_equal(u.path, "/x/y.cfg");
}

static void
test_d_rul_4_host_only(void **state)
{
	struct url u;
	struct diag d;

	(void)state;
	assert_int_equal(parse("http://example.com", &u, &d), PROV_OK);
	assert_string_equal(u.path, "/");
	assert_int_equal(parse("http://example.com:81", &u, &d), PROV_OK);
	assert_int_equal(u.port, 81);
	assert_string_equal(u.path, "/");
	assert_int_equal(parse("https://prov.server.com/cgi-bin/reflect.pl?", &u, &d),
			 PROV_OK);
	assert_true(u.has_query);
	assert_string_equal(u.query, "");
	assert_int_equal(parse("h?q", &u, &d), PROV_OK);
	assert_string_equal(u.host, "h");
	assert_string_equal(u.path, "/");
	assert_string_equal(u.query, "q");
}

static void
test_d_rul_4_ipv6(void **state)
{
	struct url u;
	struct diag d;

	(void)state;
	assert_int_equal(parse("http://[2001:db8::1]:8080/p", &u, &d), PROV_OK);
	assert_string_equal(u.host, "2001:db8::1");
	assert_true(u.host_ipv6);
	assert_int_equal(u.port, 8080);
	assert_int_equal(parse("[::1]/p", &u, &d), PROV_OK);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 69);
	expect_error("http://[::1/p", PROV_E_SYNTAX, 8, "unterminated IPv6 address");
	expect_error("http://[zz::1]/p", PROV_E_SYNTAX, 9, "bad IPv6 address");
	expect_error("http://[]/p", PROV_E_SYNTAX, 8, "bad IPv6 address");
	expect_error("http://[::1]x/p", PROV_E_SYNTAX, 13,
		     "unexpected character after IPv6 address");
}

static void
test_d_rul_4_port(void **state)
{
	struct url u;
	struct diag d;

	(void)state;
	assert_int_equal(parse("h:65535/x", &u, &d), PROV_OK);
	assert_int_equal(u.port, 65535);
	assert_int_equal(parse("h:1", &u, &d), PROV_OK);
	assert_int_equal(u.port, 1);
	expect_error("h:0/x", PROV_E_SYNTAX, 3, "port must be 1..65535");
	expect_error("h:65536/x", PROV_E_SYNTAX, 3, "port must be 1..65535");
	expect_error("h:99999999999999999999/x", PROV_E_SYNTAX, 3, NULL);
	expect_error("h:/x", PROV_E_SYNTAX, 3, "port must be 1..65535");
	expect_error("h:8a/x", PROV_E_SYNTAX, 4, "bad character in port");
	expect_error("h:-1/x", PROV_E_SYNTAX, 3, "bad character in port");
}

static void
test_d_rul_4_refused(void **state)
{
	struct url u;

	(void)state;
	expect_error("", PROV_E_SYNTAX, 1, "empty URL");
	assert_int_equal(url_parse(NULL, 0, &u, NULL), PROV_E_SYNTAX);
	expect_error("ftp://h/x", PROV_E_SYNTAX, 1, "unknown scheme 'ftp'");
	expect_error("gds://", PROV_E_SYNTAX, 1, "unknown scheme 'gds'");
	expect_error("http://", PROV_E_SYNTAX, 8, "empty host");
	expect_error("http://:80/x", PROV_E_SYNTAX, 8, "empty host");
	expect_error("http://$A/x", PROV_E_SYNTAX, 8, "unexpanded macro in host");
	expect_error("http://a@b/x", PROV_E_SYNTAX, 9, "bad character in host");
	expect_error("http://h/a b", PROV_E_SYNTAX, 11,
		     "white space or control character in URL");
	expect_error("http://h/a\tb", PROV_E_SYNTAX, 11, NULL);
	expect_error("/a\x7f", PROV_E_SYNTAX, 3, NULL);
	expect_error("/a#frag", PROV_E_SYNTAX, 3, "'#' in URL");
	expect_error("tftp:/x", PROV_E_SYNTAX, 6, "port must be 1..65535");
}

static void
test_d_rul_4_bounds(void **state)
{
	char big[BOUND_URL_TEXT + 2];
	char host[BOUND_URL_HOST + 3];
	struct url u;
	struct diag d;

	(void)state;
	big[0] = '/';
	memset(big + 1, 'a', BOUND_URL_TEXT - 1);
	big[BOUND_URL_TEXT] = '\0';
	assert_int_equal(parse(big, &u, &d), PROV_OK);
	assert_int_equal(strlen(u.path), BOUND_URL_TEXT);
	big[BOUND_URL_TEXT] = 'a';
	big[BOUND_URL_TEXT + 1] = '\0';
	assert_int_equal(parse(big, &u, &d), PROV_E_TOOBIG);

	memset(host, 'h', BOUND_URL_HOST);
	host[BOUND_URL_HOST] = '\0';
	assert_int_equal(parse(host, &u, &d), PROV_OK);
	assert_int_equal(strlen(u.host), BOUND_URL_HOST);
	host[BOUND_URL_HOST] = 'h';
	host[BOUND_URL_HOST + 1] = '\0';
	expect_error(host, PROV_E_SYNTAX, 1, "host longer than 253 bytes");
}

static void
check_format(const char *in, const char *want)
{
	struct url u;
	struct diag d;
	struct buf b;

	assert_int_equal(parse(in, &u, &d), PROV_OK);
	buf_init(&b, 4096);
	assert_int_equal(url_format(&u, &b), PROV_OK);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
}

static void
test_d_rul_4_format(void **state)
{
	(void)state;
	check_format("192.168.1.200/basic.txt", "tftp://192.168.1.200:69/basic.txt");
	check_format("HTTP://h/x?y", "http://h:80/x?y");
	check_format("http://h/x?", "http://h:80/x?");
	check_format("https://[fe80::1]:8443", "https://[fe80::1]:8443/");
	check_format("/p.cfg", "tftp:///p.cfg");
	check_format("http:///p?q=1", "http:///p?q=1");
}

static void
test_d_rul_4_format_toobig(void **state)
{
	struct url u;
	struct diag d;
	struct buf b;

	(void)state;
	assert_int_equal(parse("http://h/x", &u, &d), PROV_OK);
	buf_init(&b, 8);
	assert_int_equal(url_format(&u, &b), PROV_E_TOOBIG);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_d_rul_4_full),
		cmocka_unit_test(test_d_rul_4_default_scheme_and_ports),
		cmocka_unit_test(test_d_rul_4_no_host),
		cmocka_unit_test(test_d_rul_4_host_only),
		cmocka_unit_test(test_d_rul_4_ipv6),
		cmocka_unit_test(test_d_rul_4_port),
		cmocka_unit_test(test_d_rul_4_refused),
		cmocka_unit_test(test_d_rul_4_bounds),
		cmocka_unit_test(test_d_rul_4_format),
		cmocka_unit_test(test_d_rul_4_format_toobig),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
