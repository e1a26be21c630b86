/*
 * Unit tests of lib/alias.c: the `--alias L` map and arbitrary XML turned
 * into a change set through it (device.md D-RUL-3, with D-PRO-2..7 for
 * what every profile obeys).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alias.h"
#include "bounds.h"
#include "buf.h"
#include "profile.h"

static struct alias_map *
map_ok(const char *s)
{
	struct alias_map *m = NULL;
	struct diag d;

	diag_init(&d);
	if (alias_parse(s, strlen(s), &m, &d) != PROV_OK)
		fail_msg("map '%s': %s", s, d.msg);
	assert_non_null(m);
	return m;
}

#define NT ((size_t)-1) /* map_bad: the length is strlen */

/* A map that must fail with code, at column col (0: any), with a message
 * containing want. */
static void
map_bad(const char *s, size_t len, enum prov_err code, unsigned col, const char *want)
{
	struct alias_map *m = (struct alias_map *)1;
	struct diag d;

	if (len == NT)
		len = strlen(s);
	diag_init(&d);
	assert_int_equal(alias_parse(s, len, &m, &d), code);
	assert_null(m);
	if (strstr(d.msg, want) == NULL)
		fail_msg("map '%.60s': got '%s', want '%s'", s, d.msg, want);
	if (col != 0)
		assert_int_equal(d.col, col);
}

static struct prov_profile *
doc_ok(const struct alias_map *m, const char *doc)
{
	struct prov_profile *p = NULL;
	struct diag d;

	diag_init(&d);
	if (alias_profile(m, doc, strlen(doc), 0, &p, &d) != PROV_OK)
		fail_msg("doc: %s at %u:%u", d.msg, d.line, d.col);
	assert_non_null(p);
	return p;
}

static enum prov_err
doc_bad(const struct alias_map *m, const char *doc, size_t len, size_t maxsize,
	struct diag *d)
{
	struct prov_profile *p = (struct prov_profile *)1;
	enum prov_err rc;

	diag_init(d);
	rc = alias_profile(m, doc, len, maxsize, &p, d);
	assert_int_not_equal(rc, PROV_OK);
	assert_null(p);
	return rc;
}

static void
chg_is(const struct prov_profile *p, size_t i, const char *name, const char *value)
{
	assert_true(i < p->n);
	assert_string_equal(p->chg[i].name, name);
	if (value == NULL) {
		assert_null(p->chg[i].value);
	} else {
		assert_non_null(p->chg[i].value);
		assert_string_equal(p->chg[i].value, value);
		assert_int_equal(p->chg[i].valuelen, strlen(value));
	}
}

/* ---- the map ---------------------------------------------------------------- */

static void
map_entries(void **state)
{
	struct alias_map *m;

	(void)state;
	m = map_ok("/customer-account/SIP-number = /flat-profile/User_ID_1_ ;\n"
		   "  /a/b/c=/flat-profile/GPP_A;;\t;"
		   "/name   =   /x/y/Display_Name_1_");
	assert_int_equal(m->n, 3);
	assert_int_equal(m->e[0].ncomp, 2);
	assert_string_equal(m->e[0].comp[0], "customer-account");
	assert_string_equal(m->e[0].comp[1], "SIP-number");
	assert_string_equal(m->e[0].name, "User_ID_1_");
	assert_int_equal(m->e[1].ncomp, 3);
	assert_string_equal(m->e[1].comp[2], "c");
	assert_string_equal(m->e[1].name, "GPP_A");
	assert_int_equal(m->e[2].ncomp, 1);
	assert_string_equal(m->e[2].comp[0], "name");
	assert_string_equal(m->e[2].name, "Display_Name_1_"); /* the last component */
	alias_map_free(m);

	/* Empty and blank maps are valid and map nothing. */
	m = map_ok("");
	assert_int_equal(m->n, 0);
	alias_map_free(m);
	m = map_ok(" ; ;\n");
	assert_int_equal(m->n, 0);
	alias_map_free(m);
	alias_map_free(NULL);
}

static void
map_errors(void **state)
{
	char big[ALIAS_MAX_TEXT + 2];
	struct buf b;
	char *s;

	(void)state;
	map_bad("/a = /flat-profile/GPP_A; /b /flat-profile/GPP_B", NT, PROV_E_SYNTAX, 30,
		"alias entry 2: expected '=' after 'b'");
	map_bad("a = /flat-profile/GPP_A", NT, PROV_E_SYNTAX, 1,
		"alias entry 1: the left side must start with '/'");
	map_bad("= /flat-profile/GPP_A", NT, PROV_E_SYNTAX, 1,
		"alias entry 1: the left side is missing");
	map_bad("/a = ;", NT, PROV_E_SYNTAX, 6,
		"alias entry 1: the right side is missing");
	map_bad("/a = flat-profile/GPP_A", NT, PROV_E_SYNTAX, 6,
		"the right side must start with '/'");
	map_bad("/a//b = /flat-profile/GPP_A", NT, PROV_E_SYNTAX, 4,
		"empty path component in the left side");
	map_bad("/a/ = /flat-profile/GPP_A", NT, PROV_E_SYNTAX, 4,
		"empty path component in the left side");
	map_bad("/a = /flat-profile/", NT, PROV_E_SYNTAX, 20,
		"empty path component in the right side");
	map_bad("/a = /flat-profile/GPP:A", NT, PROV_E_SYNTAX, 6,
		"'GPP:A' is not a parameter name");
	map_bad("/a = /flat-profile/GPP_A /b = /flat-profile/GPP_B", NT, PROV_E_SYNTAX, 26,
		"unexpected '/' after the right side (entries end with ';')");
	map_bad("/a = /flat-profile/GPP_A = x", NT, PROV_E_SYNTAX, 26, "unexpected '='");
	map_bad("/a\0 = /f/G", 10, PROV_E_SYNTAX, 3, "NUL byte");

	/* Bounds: entries, text, components, component length. */
	buf_init(&b, 1u << 20);
	for (unsigned i = 0; i <= ALIAS_MAX_ENTRIES; i++)
		assert_int_equal(buf_addf(&b, "/e%u = /flat-profile/GPP_A;", i), PROV_OK);
	s = buf_take(&b);
	map_bad(s, strlen(s), PROV_E_TOOBIG, 0, "alias entry 31: more than 30 entries");
	s[strlen(s) - strlen("/e30 = /flat-profile/GPP_A;")] = '\0';
	alias_map_free(map_ok(s)); /* exactly 30 */
	free(s);
	memset(big, ' ', sizeof(big));
	map_bad(big, ALIAS_MAX_TEXT + 1, PROV_E_TOOBIG, 0, "over the limit");
	for (unsigned i = 0; i <= ALIAS_MAX_COMPONENTS; i++)
		assert_int_equal(buf_adds(&b, "/c"), PROV_OK);
	assert_int_equal(buf_adds(&b, " = /flat-profile/GPP_A"), PROV_OK);
	map_bad(b.p, b.len, PROV_E_TOOBIG, 0, "the left side has more than 32 components");
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "/"), PROV_OK);
	for (unsigned i = 0; i <= BOUND_NAME_LEN; i++)
		assert_int_equal(buf_addc(&b, 'x'), PROV_OK);
	assert_int_equal(buf_adds(&b, " = /flat-profile/GPP_A"), PROV_OK);
	map_bad(b.p, b.len, PROV_E_TOOBIG, 2, "longer than 128 bytes");
	buf_free(&b);
}

/* ---- documents ------------------------------------------------------------ */

/* The SPA guide's case: a customer-account document, no <flat-profile>. */
static void
doc_customer_account(void **state)
{
	struct alias_map *m;
	struct prov_profile *p;

	(void)state;
	m = map_ok("/customer-account/SIP-number = /flat-profile/User_ID_1_ ;"
		   "/customer-account/display = /flat-profile/Display_Name_1_;"
		   "/nowhere/SIP-number = /flat-profile/GPP_P;");
	p = doc_ok(m, "<?xml version=\"1.0\"?>\n"
		      "<customer-account>\n"
		      "  <SIP-number> 4085551234 </SIP-number>\n"
		      "  <display>Ann\n  Smith</display>\n"
		      "  <other>x</other>\n"
		      "</customer-account>\n");
	assert_int_equal(p->n, 2);
	chg_is(p, 0, "User_ID_1_", "4085551234");
	assert_int_equal(p->chg[0].line, 3);
	assert_int_equal(p->chg[0].col, 3);
	assert_int_equal(p->chg[0].ua, -1);
	chg_is(p, 1, "Display_Name_1_", "Ann   Smith"); /* D-PRO-2 line ends */
	assert_int_equal(p->chg[1].line, 4);
	prov_profile_free(p);
	alias_map_free(m);
}

/* Matching is from the right, component by component. */
static void
doc_suffix_match(void **state)
{
	struct alias_map *m;
	struct prov_profile *p;

	(void)state;
	m = map_ok("/customer-account/SIP-number = /flat-profile/GPP_A;"
		   "/SIP-number = /flat-profile/GPP_B;"
		   "/a/customer-account/SIP-number = /flat-profile/GPP_C;"
		   "/b/customer-account/SIP-number = /flat-profile/GPP_D;"
		   "/SIP = /flat-profile/GPP_E;"
		   "/root/a/customer-account/SIP-number/deeper = /flat-profile/GPP_F;");
	p = doc_ok(m, "<root><a><customer-account><SIP-number>1</SIP-number>"
		      "</customer-account></a>"
		      "<customer-accountX><SIP-number>2</SIP-number></customer-accountX>"
		      "</root>");
	/* Element 1 matches entries 1, 2, 3, in entry order; element 2 only
	 * entry 2. */
	assert_int_equal(p->n, 4);
	chg_is(p, 0, "GPP_A", "1");
	chg_is(p, 1, "GPP_B", "1");
	chg_is(p, 2, "GPP_C", "1");
	chg_is(p, 3, "GPP_B", "2");
	assert_int_equal(p->chg[3].col, 96);
	prov_profile_free(p);
	alias_map_free(m);
}

/* <flat-profile> children apply as usual, beside the aliases, in document
 * order; ua and <X/> keep their meaning. */
static void
doc_with_flat_profile(void **state)
{
	struct alias_map *m;
	struct prov_profile *p;

	(void)state;
	m = map_ok("/acct/id = /flat-profile/User_ID_1_;"
		   "/flat-profile/GPP_C = /flat-profile/GPP_D");
	p = doc_ok(m, "<doc>\n<acct><id>100</id></acct>\n"
		      "<flat-profile>\n"
		      "  <GPP_A ua=\"RW\">a</GPP_A>\n"
		      "  <GPP_B/>\n"
		      "  <GPP_C>c</GPP_C>\n"
		      "</flat-profile>\n"
		      "<acct><id>200</id></acct>\n"
		      "</doc>\n");
	assert_int_equal(p->n, 6);
	chg_is(p, 0, "User_ID_1_", "100");
	assert_int_equal(p->chg[0].line, 2);
	assert_int_equal(p->chg[0].col, 7);
	chg_is(p, 1, "GPP_A", "a");
	assert_int_equal(p->chg[1].ua, PROV_UA_RW);
	assert_int_equal(p->chg[1].line, 4);
	assert_int_equal(p->chg[1].col, 3);
	chg_is(p, 2, "GPP_B", "");
	chg_is(p, 3, "GPP_C", "c");
	chg_is(p, 4, "GPP_D", "c"); /* also aliased */
	chg_is(p, 5, "User_ID_1_", "200"); /* the later one wins when applied */
	assert_int_equal(p->chg[5].line, 8);
	prov_profile_free(p);
	alias_map_free(m);

	/* A plain profile through an empty map is the plain profile. */
	m = map_ok("");
	p = doc_ok(m, "<flat-profile><GPP_A>1</GPP_A></flat-profile>");
	assert_int_equal(p->n, 1);
	chg_is(p, 0, "GPP_A", "1");
	prov_profile_free(p);
	alias_map_free(m);
}

/* Values: own text only, <x/> sets nothing, <x></x> sets "", and every
 * character comes through as profile_parse gives it. */
static void
doc_values(void **state)
{
	static const char *const vals[] = {
		"plain", " padded\t", "a &amp; b", "&lt;tag&gt;", "x&#13;y", "x&#13;&#10;y",
		"l1\nl2\r\nl3", "caf\xc3\xa9 \xe2\x82\xac", "]]&gt;", "&quot;q&apos;", "",
		"&#9;&#32;",
	};
	struct alias_map *m;
	struct prov_profile *p, *q;
	struct diag d;
	char doc[256];

	(void)state;
	m = map_ok("/v = /flat-profile/GPP_A");
	p = doc_ok(m, "<r><v>before<c>child</c> after</v><v/><v></v></r>");
	assert_int_equal(p->n, 2);
	chg_is(p, 0, "GPP_A", "before after");
	chg_is(p, 1, "GPP_A", "");
	prov_profile_free(p);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		snprintf(doc, sizeof(doc), "<r><v>%s</v></r>", vals[i]);
		p = doc_ok(m, doc);
		snprintf(doc, sizeof(doc), "<flat-profile><GPP_A>%s</GPP_A></flat-profile>",
			 vals[i]);
		diag_init(&d);
		assert_int_equal(profile_parse(doc, strlen(doc), 0, &q, &d), PROV_OK);
		assert_int_equal(p->n, 1);
		chg_is(p, 0, "GPP_A", q->chg[0].value);
		prov_profile_free(p);
		prov_profile_free(q);
	}
	/* A declared encoding is decoded; the byte order mark is skipped. */
	p = doc_ok(m, "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><v>caf\xe9</v>");
	chg_is(p, 0, "GPP_A", "caf\xc3\xa9");
	assert_int_equal(p->chg[0].line, 1);
	assert_int_equal(p->chg[0].col, 44);
	prov_profile_free(p);
	alias_map_free(m);
}

static void
doc_not_xml(void **state)
{
	struct alias_map *m;
	struct prov_profile *p;
	struct diag d;

	(void)state;
	m = map_ok("/v = /flat-profile/GPP_A");
	/* The legacy format has no paths: parsed as a plain profile. */
	p = doc_ok(m, "GPP_B \"legacy\" ;\n");
	assert_int_equal(p->format, PROFILE_LEGACY);
	chg_is(p, 0, "GPP_B", "legacy");
	prov_profile_free(p);
	/* XML that is neither a profile nor mapped: an error, not an empty
	 * success (an HTML error page). */
	assert_int_equal(doc_bad(m, "<html><body><p>v</p></body></html>", 34, 0, &d),
			 PROV_E_SYNTAX);
	assert_int_equal(d.line, 1);
	assert_int_equal(d.col, 1);
	assert_non_null(strstr(d.msg, "no <flat-profile> element and no element"));
	/* A match with nothing to set still counts as mapped. */
	p = doc_ok(m, "<r><v/></r>");
	assert_int_equal(p->n, 0);
	prov_profile_free(p);
	alias_map_free(m);
}

static void
doc_errors(void **state)
{
	struct alias_map *m;
	struct prov_profile *p;
	struct diag d;
	struct buf b;
	const char *s;

	(void)state;
	m = map_ok("/v = /flat-profile/GPP_A");
	s = "<r>\n<v>1</v>\n<w>2</x>\n</r>";
	assert_int_equal(doc_bad(m, s, strlen(s), 0, &d), PROV_E_SYNTAX);
	assert_int_equal(d.line, 3);
	assert_int_equal(d.col, 7);
	assert_string_equal(d.msg, "mismatched tag");
	s = "<!DOCTYPE r [<!ENTITY e \"x\">]><r><v>&e;</v></r>";
	assert_int_equal(doc_bad(m, s, strlen(s), 0, &d), PROV_E_DENIED);
	s = "<!DOCTYPE r SYSTEM \"file:///etc/passwd\"><r><v>1</v></r>";
	assert_int_equal(doc_bad(m, s, strlen(s), 0, &d), PROV_E_DENIED);
	/* D-PRO-3a: a parameter holding an element is a group: its leaf is
	 * a parameter (and here also matched by the map). */
	s = "<flat-profile><GPP_A>x<v>1</v></GPP_A></flat-profile>";
	p = doc_ok(m, s);
	assert_int_equal(p->n, 2);
	chg_is(p, 0, "v", "1");
	chg_is(p, 1, "GPP_A", "1");
	prov_profile_free(p);
	s = "<flat-profile><GPP_A ua=\"xx\">1</GPP_A></flat-profile>";
	assert_int_equal(doc_bad(m, s, strlen(s), 0, &d), PROV_E_SYNTAX);
	assert_non_null(strstr(d.msg, "bad ua value 'xx'"));
	s = "<r><v>1</v></r>";
	assert_int_equal(doc_bad(m, s, strlen(s), 10, &d), PROV_E_TOOBIG);

	/* Depth and element bounds, as profile_parse's. */
	buf_init(&b, 16u * 1024u * 1024u);
	for (unsigned i = 0; i <= PROV_PROFILE_MAX_DEPTH; i++)
		assert_int_equal(buf_adds(&b, "<v>"), PROV_OK);
	assert_int_equal(doc_bad(m, b.p, b.len, 0, &d), PROV_E_TOOBIG);
	assert_non_null(strstr(d.msg, "nested deeper"));
	/* Inside <flat-profile> levels count from it: 31 wrappers and 31
	 * levels inside pass; one more level inside does not. */
	buf_reset(&b);
	for (unsigned i = 1; i < PROV_PROFILE_MAX_DEPTH; i++)
		assert_int_equal(buf_adds(&b, "<w>"), PROV_OK);
	assert_int_equal(buf_adds(&b, "<flat-profile>"), PROV_OK);
	for (unsigned i = 2; i < PROV_PROFILE_MAX_DEPTH; i++)
		assert_int_equal(buf_adds(&b, "<g>"), PROV_OK);
	assert_int_equal(buf_adds(&b, "<GPP_B>deep</GPP_B>"), PROV_OK);
	for (unsigned i = 2; i < PROV_PROFILE_MAX_DEPTH; i++)
		assert_int_equal(buf_adds(&b, "</g>"), PROV_OK);
	assert_int_equal(buf_adds(&b, "</flat-profile>"), PROV_OK);
	for (unsigned i = 1; i < PROV_PROFILE_MAX_DEPTH; i++)
		assert_int_equal(buf_adds(&b, "</w>"), PROV_OK);
	p = doc_ok(m, buf_str(&b));
	chg_is(p, 0, "GPP_B", "deep");
	prov_profile_free(p);
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "<flat-profile>"), PROV_OK);
	for (unsigned i = 1; i <= PROV_PROFILE_MAX_DEPTH; i++)
		assert_int_equal(buf_adds(&b, "<g>"), PROV_OK);
	assert_int_equal(doc_bad(m, b.p, b.len, 0, &d), PROV_E_TOOBIG);
	assert_non_null(strstr(d.msg, "nested deeper"));
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "<r>"), PROV_OK);
	for (unsigned i = 0; i < PROV_PROFILE_MAX_ELEMENTS; i++)
		assert_int_equal(buf_adds(&b, "<x/>"), PROV_OK);
	assert_int_equal(buf_adds(&b, "</r>"), PROV_OK);
	assert_int_equal(doc_bad(m, b.p, b.len, 0, &d), PROV_E_TOOBIG);
	assert_non_null(strstr(d.msg, "more than 100000 elements"));
	buf_free(&b);
	alias_map_free(m);
}

/* One element may feed thirty entries: what it produces is bounded too. */
static void
doc_amplification_bounded(void **state)
{
	struct alias_map *m;
	struct prov_profile *p;
	struct diag d;
	struct buf b;

	(void)state;
	buf_init(&b, 16u * 1024u * 1024u);
	for (unsigned i = 0; i < ALIAS_MAX_ENTRIES; i++)
		assert_int_equal(buf_addf(&b, "/v = /flat-profile/GPP_%c;", 'A' + i % 16),
				 PROV_OK);
	m = map_ok(b.p);
	/* 30 x 200 KB of values from a 200 KB document: over the cap that a
	 * 1 MB document gets. */
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "<v>"), PROV_OK);
	for (unsigned i = 0; i < 200000; i++)
		assert_int_equal(buf_addc(&b, (char)('a' + i % 26)), PROV_OK);
	assert_int_equal(buf_adds(&b, "</v>"), PROV_OK);
	assert_int_equal(doc_bad(m, b.p, b.len, 1024u * 1024u, &d), PROV_E_TOOBIG);
	assert_non_null(strstr(d.msg, "once aliased"));
	/* ... and fine under a cap that holds them. */
	diag_init(&d);
	assert_int_equal(alias_profile(m, b.p, b.len, 8u * 1024u * 1024u, &p, &d), PROV_OK);
	assert_int_equal(p->n, ALIAS_MAX_ENTRIES);
	assert_int_equal(p->chg[29].valuelen, 200000);
	prov_profile_free(p);
	/* Changes: 30 per element, 4000 elements = 120000 changes. */
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "<r>"), PROV_OK);
	for (unsigned i = 0; i < 4000; i++)
		assert_int_equal(buf_adds(&b, "<v>1</v>"), PROV_OK);
	assert_int_equal(buf_adds(&b, "</r>"), PROV_OK);
	assert_int_equal(doc_bad(m, b.p, b.len, 0, &d), PROV_E_TOOBIG);
	assert_non_null(strstr(d.msg, "changes once aliased"));
	/* The escapes of a value cannot blow the written document up past
	 * its cap: & is five bytes once written. */
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "<v>"), PROV_OK);
	for (unsigned i = 0; i < 100000; i++)
		assert_int_equal(buf_adds(&b, "&amp;"), PROV_OK);
	assert_int_equal(buf_adds(&b, "</v>"), PROV_OK);
	assert_int_equal(doc_bad(m, b.p, b.len, 0, &d), PROV_E_TOOBIG);
	buf_free(&b);
	alias_map_free(m);
}

static void
bad_arguments(void **state)
{
	struct alias_map *m = NULL;
	struct prov_profile *p = NULL;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(alias_parse(NULL, 3, &m, &d), PROV_E_INVAL);
	assert_int_equal(alias_parse("", 0, NULL, &d), PROV_E_INVAL);
	m = map_ok("/v = /f/GPP_A");
	assert_int_equal(alias_profile(NULL, "<v/>", 4, 0, &p, &d), PROV_E_INVAL);
	assert_int_equal(alias_profile(m, NULL, 4, 0, &p, &d), PROV_E_INVAL);
	/* Nothing at all is an empty legacy profile, as for profile_parse. */
	assert_int_equal(alias_profile(m, NULL, 0, 0, &p, &d), PROV_OK);
	assert_int_equal(prov_profile_count(p), 0);
	prov_profile_free(p);
	alias_map_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(map_entries),
		cmocka_unit_test(map_errors),
		cmocka_unit_test(doc_customer_account),
		cmocka_unit_test(doc_suffix_match),
		cmocka_unit_test(doc_with_flat_profile),
		cmocka_unit_test(doc_values),
		cmocka_unit_test(doc_not_xml),
		cmocka_unit_test(doc_errors),
		cmocka_unit_test(doc_amplification_bounded),
		cmocka_unit_test(bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
