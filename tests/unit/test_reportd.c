/*
 * Unit tests of reportd without sockets: report routes (reportd_route_is,
 * _check, _match) and the decoding and parsing of report bodies
 * (reportd_parse) in every form a device sends them. server.md S-SRV-4.
 * The listeners, the storage and the drift are driven end to end in
 * tests/cli/drift.t.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov/prov.h"
#include "reportd.h"

static const char prof[] =
	"<flat-profile>\n"
	"  <Display_Name_1_ ua=\"na\">Alice</Display_Name_1_>\n"
	"  <Password_1_ ua=\"na\"/>\n"
	"  <User_ID_1_>1001</User_ID_1_>\n"
	"</flat-profile>\n";

struct seen {
	char text[512];
	unsigned n;
};

static void
collect(void *arg, const char *name, const char *value)
{
	struct seen *s = arg;
	size_t l = strlen(s->text);

	snprintf(s->text + l, sizeof(s->text) - l, "%s=%s;", name, value ? value : "(kept)");
	s->n++;
}

static long
parse(const void *body, size_t len, int gcm, const char *const *keys, struct seen *s,
      char layers[32], char *why)
{
	memset(s, 0, sizeof(*s));
	why[0] = '\0';
	return reportd_parse(body, len, gcm, keys, collect, s, layers, why, REPORTD_WHY_MAX);
}

static void
s_srv_4_report_routes(void **state)
{
	char err[600], mac[13];
	char *routes[] = { "/p/$MA.xml template=x", "/report/$MA.xml report",
			   "/mine.xml report require=cert" };
	int cert = -1;

	(void)state;
	assert_true(reportd_route_is("/report/$MA.xml report"));
	assert_true(reportd_route_is("/r.xml  report\trequire=cert"));
	assert_false(reportd_route_is("/$MA.xml template=report"));
	assert_false(reportd_route_is("report"));       /* the pattern itself */
	assert_int_equal(reportd_route_check("/r/$MA.xml report", err, sizeof(err)), 0);
	assert_int_equal(reportd_route_check("/r.xml report", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "add require=cert"));
	assert_int_equal(reportd_route_check("/r/$MA report gzip", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown word 'gzip'"));
	/* the first report route matching; template routes are not report routes */
	assert_int_equal(reportd_match(routes + 1, 2, "/report/000E08ABCDEF.xml", 24, mac, &cert), 1);
	assert_string_equal(mac, "000e08abcdef");
	assert_int_equal(cert, 0);
	assert_int_equal(reportd_match(routes + 1, 2, "mine.xml", 8, mac, &cert), 1);
	assert_string_equal(mac, "");
	assert_int_equal(cert, 1);
	assert_int_equal(reportd_match(routes + 1, 2, "/report/nothex.xml", 18, mac, &cert), 0);
	assert_int_equal(reportd_match(routes, 1, "/p/000e08abcdef.xml", 19, mac, &cert), 0);
}

static void
s_srv_4_report_bodies(void **state)
{
	const char *k1[] = { "key-one", NULL }, *k21[] = { "key-two", "key-one", NULL };
	const char *none[] = { NULL };
	char layers[32], why[REPORTD_WHY_MAX], msg[256];
	struct seen s;
	void *enc = NULL;
	size_t elen;

	(void)state;
	/* plain: secrets kept back arrive as NULL values */
	assert_int_equal(parse(prof, strlen(prof), 0, none, &s, layers, why), 3);
	assert_string_equal(s.text, "Display_Name_1_=Alice;Password_1_=(kept);User_ID_1_=1001;");
	assert_string_equal(layers, "");
	/* gzip + openssl-enc with the current key, or the one before it */
	assert_int_equal(prov_pack(prof, strlen(prof), PROV_PACK_GZIP, "key-one", &enc, &elen,
				   msg, sizeof(msg)), PROV_OK);
	assert_int_equal(parse(enc, elen, 0, k1, &s, layers, why), 3);
	assert_string_equal(layers, "aes+gzip");
	assert_int_equal(parse(enc, elen, 0, k21, &s, layers, why), 3);
	/* the wrong key, no key */
	{
		const char *wrong[] = { "nope", NULL };

		assert_int_equal(parse(enc, elen, 0, wrong, &s, layers, why), -1);
		assert_non_null(strstr(why, "cannot decode"));
		assert_int_equal(s.n, 0);
	}
	assert_int_equal(parse(enc, elen, 0, none, &s, layers, why), -1);
	free(enc);
	/* aes128gcm, labelled or not: its authentication tells it apart */
	assert_int_equal(prov_pack_aes128gcm(prof, strlen(prof), 0, "key-one", "1", 0, &enc,
					     &elen, msg, sizeof(msg)), PROV_OK);
	assert_int_equal(parse(enc, elen, 1, k1, &s, layers, why), 3);
	assert_string_equal(layers, "aes128gcm");
	assert_int_equal(parse(enc, elen, 0, k21, &s, layers, why), 3);
	assert_string_equal(layers, "aes128gcm");
	/* one byte changed: refused, nothing seen */
	((unsigned char *)enc)[elen - 3] ^= 1;
	assert_int_equal(parse(enc, elen, 1, k1, &s, layers, why), -1);
	assert_int_equal(s.n, 0);
	free(enc);
	/* not a profile: the parser's reason; too large: refused unread */
	assert_int_equal(parse("<status><a>1</a></status>", 25, 0, none, &s, layers, why), -1);
	assert_non_null(strstr(why, "not a flat profile"));
	assert_int_equal(parse("<flat-profile><A>", 17, 0, k1, &s, layers, why), -1);
	assert_non_null(strstr(why, "report:1:"));
	{
		size_t big = REPORTD_BODY_MAX + 1;
		char *b = calloc(1, big);

		assert_non_null(b);
		assert_int_equal(parse(b, big, 0, none, &s, layers, why), -1);
		assert_non_null(strstr(why, "larger than"));
		free(b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(s_srv_4_report_routes),
		cmocka_unit_test(s_srv_4_report_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
