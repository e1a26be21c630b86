/*
 * Unit tests of lib/profile.c (device.md D-PRO-1..7). The language itself
 * is covered by tests/cases/profile/; these cover the public wrapper, the
 * bounds at full scale and the arena.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "bounds.h"
#include "buf.h"
#include "profile.h"

static struct prov_profile *
parse_ok(const char *s)
{
	struct prov_profile *p = NULL;
	struct diag d;

	diag_init(&d);
	assert_int_equal(profile_parse(s, strlen(s), 0, &p, &d), PROV_OK);
	assert_non_null(p);
	return p;
}

static enum prov_err
parse_err(const char *s, size_t len, size_t maxsize, struct diag *d)
{
	struct prov_profile *p = (struct prov_profile *)1;
	enum prov_err rc;

	diag_init(d);
	rc = profile_parse(s, len, maxsize, &p, d);
	assert_int_not_equal(rc, PROV_OK);
	assert_null(p);
	return rc;
}

/* A buffer of n parameters: XML inside <flat-profile>, or legacy lines. */
static char *
make_params(size_t n, int xml, size_t *len)
{
	struct buf b;

	buf_init(&b, 64u * 1024u * 1024u);
	if (xml)
		assert_int_equal(buf_adds(&b, "<flat-profile>"), PROV_OK);
	for (size_t i = 0; i < n; i++) {
		if (xml)
			assert_int_equal(buf_addf(&b, "<P%zu>%zu</P%zu>", i % 97, i,
						  i % 97), PROV_OK);
		else
			assert_int_equal(buf_addf(&b, "P%zu \"%zu\";\n", i % 97, i),
					 PROV_OK);
	}
	if (xml)
		assert_int_equal(buf_adds(&b, "</flat-profile>"), PROV_OK);
	*len = b.len;
	return buf_take(&b);
}

/* D-PRO-5: the public wrapper formats "NAME:LINE:COL: reason". */
static void
d_pro_5_public_message(void **state)
{
	static const char bad[] = "<flat-profile>\n  <GPP_A>1</GPP_B>\n</flat-profile>";
	struct prov_profile *p = NULL;
	char msg[128];

	(void)state;
	assert_int_equal(prov_profile_parse("basic.txt", bad, strlen(bad), 0, &p,
					    msg, sizeof(msg)), PROV_E_SYNTAX);
	assert_null(p);
	assert_string_equal(msg, "basic.txt:2:13: mismatched tag");

	assert_int_equal(prov_profile_parse(NULL, bad, strlen(bad), 0, &p,
					    msg, sizeof(msg)), PROV_E_SYNTAX);
	assert_string_equal(msg, "profile:2:13: mismatched tag");

	/* truncated, never overrun */
	memset(msg, 'x', sizeof(msg));
	assert_int_equal(prov_profile_parse("basic.txt", bad, strlen(bad), 0, &p,
					    msg, 8), PROV_E_SYNTAX);
	assert_string_equal(msg, "basic.t");
	assert_int_equal(msg[8], 'x');
}

/* D-PRO-7: a bound without a place reads "NAME: reason". */
static void
d_pro_7_public_toobig_message(void **state)
{
	struct prov_profile *p = NULL;
	char msg[128];

	(void)state;
	assert_int_equal(prov_profile_parse("big.xml", "<flat-profile/>", 15, 10,
					    &p, msg, sizeof(msg)), PROV_E_TOOBIG);
	assert_null(p);
	assert_string_equal(msg, "big.xml: profile is 15 bytes, over the limit of 10");
}

/* D-PRO-1, D-PRO-6: success clears msg; count and free are NULL-safe. */
static void
d_pro_1_public_ok(void **state)
{
	static const char xml[] = "<flat-profile><A>1</A><B/></flat-profile>";
	static const char txt[] = "A \"1\"; B ! \"2\"; C ? \"3\";";
	struct prov_profile *p = NULL;
	char msg[64] = "stale";

	(void)state;
	assert_int_equal(prov_profile_parse("x", xml, strlen(xml), 0, &p, msg,
					    sizeof(msg)), PROV_OK);
	assert_string_equal(msg, "");
	assert_int_equal(prov_profile_count(p), 2);
	assert_int_equal(p->format, PROFILE_XML);
	prov_profile_free(p);

	assert_int_equal(prov_profile_parse("x", txt, strlen(txt), 0, &p, NULL, 0),
			 PROV_OK);
	assert_int_equal(prov_profile_count(p), 3);
	assert_int_equal(p->format, PROFILE_LEGACY);
	assert_int_equal(p->chg[1].ua, PROV_UA_RW);
	assert_int_equal(p->chg[2].ua, PROV_UA_RO);
	prov_profile_free(p);

	assert_int_equal(prov_profile_count(NULL), 0);
	prov_profile_free(NULL);
}

static void
d_pro_1_bad_arguments(void **state)
{
	struct prov_profile *p = NULL;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(profile_parse("x", 1, 0, NULL, &d), PROV_E_INVAL);
	assert_int_equal(profile_parse(NULL, 1, 0, &p, &d), PROV_E_INVAL);
	assert_null(p);
	/* no data at all is an empty legacy profile */
	assert_int_equal(profile_parse(NULL, 0, 0, &p, NULL), PROV_OK);
	assert_int_equal(prov_profile_count(p), 0);
	prov_profile_free(p);
}

/* D-PRO-2: strings are NUL-terminated, valuelen matches, a bare <X/> is
 * "", <X ua=".."/> is NULL (keep the value). */
static void
d_pro_2_value_shapes(void **state)
{
	struct prov_profile *p;

	(void)state;
	p = parse_ok("<flat-profile><A> a \n b </A><B></B><C/><D ua='ro'/>"
		     "</flat-profile>");
	assert_int_equal(p->n, 4);
	assert_string_equal(p->chg[0].name, "A");
	assert_string_equal(p->chg[0].value, "a   b");
	assert_int_equal(p->chg[0].valuelen, 5);
	assert_int_equal(p->chg[0].ua, -1);
	assert_string_equal(p->chg[1].value, "");
	assert_int_equal(p->chg[1].valuelen, 0);
	assert_string_equal(p->chg[2].value, "");
	assert_int_equal(p->chg[2].valuelen, 0);
	assert_null(p->chg[3].value);
	assert_int_equal(p->chg[3].ua, PROV_UA_RO);
	assert_int_equal(p->chg[3].line, 2);
	prov_profile_free(p);
}

/* D-PRO-7: 100,000 elements (the <flat-profile> counts) pass; one more fails. */
static void
d_pro_7_element_bound_xml(void **state)
{
	struct prov_profile *p = NULL;
	struct diag d;
	size_t len;
	char *s;

	(void)state;
	s = make_params(PROV_PROFILE_MAX_ELEMENTS - 1, 1, &len);
	diag_init(&d);
	assert_int_equal(profile_parse(s, len, 0, &p, &d), PROV_OK);
	assert_int_equal(p->n, PROV_PROFILE_MAX_ELEMENTS - 1);
	assert_string_equal(p->chg[p->n - 1].value, "99998");
	prov_profile_free(p);
	free(s);

	s = make_params(PROV_PROFILE_MAX_ELEMENTS, 1, &len);
	assert_int_equal(parse_err(s, len, 0, &d), PROV_E_TOOBIG);
	assert_string_equal(d.msg, "more than 100000 elements");
	assert_int_equal(d.line, 1);
	free(s);
}

static void
d_pro_7_element_bound_legacy(void **state)
{
	struct prov_profile *p = NULL;
	struct diag d;
	size_t len;
	char *s;

	(void)state;
	s = make_params(PROV_PROFILE_MAX_ELEMENTS, 0, &len);
	diag_init(&d);
	assert_int_equal(profile_parse(s, len, 0, &p, &d), PROV_OK);
	assert_int_equal(p->n, PROV_PROFILE_MAX_ELEMENTS);
	prov_profile_free(p);
	free(s);

	s = make_params(PROV_PROFILE_MAX_ELEMENTS + 1, 0, &len);
	assert_int_equal(parse_err(s, len, 0, &d), PROV_E_TOOBIG);
	assert_string_equal(d.msg, "more than 100000 parameters");
	assert_int_equal(d.line, PROV_PROFILE_MAX_ELEMENTS + 1);
	assert_int_equal(d.col, 1);
	free(s);
}

/* D-PRO-7: maxsize 0 is PROV_PROFILE_MAX; a profile of exactly that size
 * (one 4 MiB value) parses. */
static void
d_pro_7_default_size_bound(void **state)
{
	static const char head[] = "<flat-profile><GPP_A>", tail[] = "</GPP_A></flat-profile>";
	struct prov_profile *p = NULL;
	struct diag d;
	size_t len = PROV_PROFILE_MAX;
	char *s = malloc(len + 1);

	(void)state;
	assert_non_null(s);
	memset(s, 'v', len + 1);
	memcpy(s, head, strlen(head));
	memcpy(s + len - strlen(tail), tail, strlen(tail));
	diag_init(&d);
	assert_int_equal(profile_parse(s, len, 0, &p, &d), PROV_OK);
	assert_int_equal(p->chg[0].valuelen, len - strlen(head) - strlen(tail));
	assert_int_equal(strlen(p->chg[0].value), p->chg[0].valuelen);
	prov_profile_free(p);

	memcpy(s + len + 1 - strlen(tail), tail, strlen(tail));
	assert_int_equal(parse_err(s, len + 1, 0, &d), PROV_E_TOOBIG);
	assert_int_equal(d.line, 0);
	free(s);
}

/* The arena grows past its first chunk: Latin-1 doubles in UTF-8, so a
 * value being collected has to move to a new chunk. */
static void
d_pro_2_arena_growth_latin1(void **state)
{
	static const char head[] = "<?xml version='1.0' encoding='ISO-8859-1'?>"
				   "<flat-profile><A>x</A><B>";
	static const char tail[] = "</B><C>after</C></flat-profile>";
	size_t nv = 300000, len = strlen(head) + nv + strlen(tail);
	struct prov_profile *p;
	struct diag d;
	char *s = malloc(len);

	(void)state;
	assert_non_null(s);
	memcpy(s, head, strlen(head));
	memset(s + strlen(head), '\xe9', nv);
	memcpy(s + strlen(head) + nv, tail, strlen(tail));
	diag_init(&d);
	assert_int_equal(profile_parse(s, len, 0, &p, &d), PROV_OK);
	assert_int_equal(p->n, 3);
	assert_string_equal(p->chg[0].value, "x");
	assert_int_equal(p->chg[1].valuelen, 2 * nv);
	for (size_t i = 0; i < 2 * nv; i += 2)
		assert_true(memcmp(p->chg[1].value + i, "\xc3\xa9", 2) == 0);
	assert_string_equal(p->chg[2].value, "after");
	assert_string_equal(p->chg[2].name, "C");
	prov_profile_free(p);
	free(s);
}

/* D-PRO-4: duplicates are all kept, in order (the applier keeps the last). */
static void
d_pro_4_duplicates_kept(void **state)
{
	struct prov_profile *p;

	(void)state;
	p = parse_ok("<flat-profile><A>1</A><A>2</A><A ua='rw'/></flat-profile>");
	assert_int_equal(p->n, 3);
	assert_string_equal(p->chg[0].value, "1");
	assert_string_equal(p->chg[1].value, "2");
	assert_null(p->chg[2].value);
	prov_profile_free(p);
}

/* D-PRO-7: nesting is bounded even where no parameter is involved. */
static void
d_pro_7_depth_outside_flat_profile(void **state)
{
	struct buf b;
	struct diag d;

	(void)state;
	buf_init(&b, 1u << 20);
	for (int i = 0; i < 40; i++)
		assert_int_equal(buf_adds(&b, "<a>"), PROV_OK);
	for (int i = 0; i < 40; i++)
		assert_int_equal(buf_adds(&b, "</a>"), PROV_OK);
	assert_int_equal(parse_err(b.p, b.len, 0, &d), PROV_E_TOOBIG);
	assert_int_equal(d.col, 3 * 32 + 1);
	buf_free(&b);
}

/* D-PRO-7: the billion laughs attack fails fast and allocates nothing big. */
static void
d_pro_7_billion_laughs(void **state)
{
	static const char s[] =
		"<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
		"<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
		"<flat-profile><A>&c;&c;&c;</A></flat-profile>";
	struct diag d;

	(void)state;
	assert_int_equal(parse_err(s, strlen(s), 0, &d), PROV_E_DENIED);
	assert_string_equal(d.msg, "entity declarations are not allowed");
}

/* D-PRO-6: the legacy index may push a name over the bound. */
static void
d_pro_6_index_name_bound(void **state)
{
	char s[BOUND_NAME_LEN + 32];
	struct prov_profile *p;
	struct diag d;
	size_t n = BOUND_NAME_LEN - 3;

	(void)state;
	memset(s, 'N', n);
	memcpy(s + n, "[9] \"v\";", 9);
	p = parse_ok(s); /* N..N_9_ is exactly 128 bytes */
	assert_int_equal(strlen(p->chg[0].name), BOUND_NAME_LEN);
	prov_profile_free(p);
	memcpy(s + n, "[10] \"v\";", 10);
	assert_int_equal(parse_err(s, strlen(s), 0, &d), PROV_E_SYNTAX);
	assert_int_equal(d.col, 1);
}

/* D-PRO-5: after an error, nothing of the profile is returned, even when
 * the error comes after valid parameters (all-or-nothing). */
static void
d_pro_5_all_or_nothing(void **state)
{
	static const char xml[] = "<flat-profile><A>1</A><B>2</B><C></flat-profile>";
	static const char txt[] = "A \"1\"; B \"2\"; C \"3\"";
	struct diag d;

	(void)state;
	assert_int_equal(parse_err(xml, strlen(xml), 0, &d), PROV_E_SYNTAX);
	assert_int_equal(parse_err(txt, strlen(txt), 0, &d), PROV_E_SYNTAX);
	assert_string_equal(d.msg, "missing ';'");
}

/* The oracle for positions: plain expat's line and column of every start
 * tag of a parameter, i.e. at depth (depth of <flat-profile>) + 1. */
struct oracle {
	XML_Parser xp;
	int depth, fpdepth;
	unsigned line[64], col[64];
	size_t n;
};

static void XMLCALL
oracle_start(void *arg, const XML_Char *name, const XML_Char **atts)
{
	struct oracle *o = arg;

	(void)atts;
	o->depth++;
	if (o->fpdepth != 0 && o->depth == o->fpdepth + 1 && o->n < 64) {
		o->line[o->n] = (unsigned)XML_GetCurrentLineNumber(o->xp);
		o->col[o->n] = (unsigned)XML_GetCurrentColumnNumber(o->xp) + 1;
		o->n++;
	} else if (o->fpdepth == 0 && strcmp(name, "flat-profile") == 0) {
		o->fpdepth = o->depth;
	}
}

static void XMLCALL
oracle_end(void *arg, const XML_Char *name)
{
	struct oracle *o = arg;

	(void)name;
	if (o->depth == o->fpdepth)
		o->fpdepth = 0;
	o->depth--;
}

/* D-PRO-5: the line and column of every change (xml_where's own count in
 * UTF-8 documents without CR) are expat's. */
static void
d_pro_5_positions_match_expat(void **state)
{
	static const struct { const char *s; size_t len; } docs[] = {
#define DOC(x) { x, sizeof(x) - 1 }
		DOC("<flat-profile>\n  <A>1</A> <B/>\n\t<C>\n\n</C><D>x</D></flat-profile>"),
		DOC("<flat-profile><A>\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80</A>"
		    "<B>\xf0\x9f\x98\x80</B>\xf0\x9f\x98\x80<C/></flat-profile>"),
		DOC("<flat-profile>\r\n<A>a\rb</A>\r<B/>\r\n\r\n  <C/></flat-profile>"),
		DOC("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<flat-profile>"
		    "<A>\xe9\xe9</A>\xe9<B>\n</B>\xe9\xe9<C/></flat-profile>"),
		DOC("<?xml version='1.0' encoding='utf-8'?><flat-profile><A/>\xc3\xa9"
		    "<B/></flat-profile>"),
		DOC("<!DOCTYPE flat-profile [\n<!ELEMENT flat-profile ANY>\n]>\n"
		    "<flat-profile><!-- \xc3\xa9\n --><A/><![CDATA[\n\xc3\xa9]]><B/>"
		    "</flat-profile>"),
		DOC("<\0f\0l\0a\0t\0-\0p\0r\0o\0f\0i\0l\0e\0>\0\n\0 \0<\0A\0/\0>\0"
		    "<\0/\0f\0l\0a\0t\0-\0p\0r\0o\0f\0i\0l\0e\0>\0"),
		DOC("\n\n   <w><flat-profile a='\n'\n><A\nua='ro'\n/><B>&#10;</B>"
		    "</flat-profile></w>"),
#undef DOC
	};

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct oracle o;
		struct prov_profile *p = NULL;
		struct diag d;

		memset(&o, 0, sizeof(o));
		o.xp = XML_ParserCreate(NULL);
		assert_non_null(o.xp);
		XML_SetUserData(o.xp, &o);
		XML_SetElementHandler(o.xp, oracle_start, oracle_end);
		assert_int_equal(XML_Parse(o.xp, docs[i].s, (int)docs[i].len, 1),
				 XML_STATUS_OK);
		XML_ParserFree(o.xp);
		diag_init(&d);
		assert_int_equal(profile_parse(docs[i].s, docs[i].len, 0, &p, &d), PROV_OK);
		assert_int_equal(p->n, o.n);
		for (size_t j = 0; j < o.n; j++) {
			assert_int_equal(p->chg[j].line, o.line[j]);
			assert_int_equal(p->chg[j].col, o.col[j]);
		}
		prov_profile_free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(d_pro_1_public_ok),
		cmocka_unit_test(d_pro_1_bad_arguments),
		cmocka_unit_test(d_pro_2_value_shapes),
		cmocka_unit_test(d_pro_2_arena_growth_latin1),
		cmocka_unit_test(d_pro_4_duplicates_kept),
		cmocka_unit_test(d_pro_5_public_message),
		cmocka_unit_test(d_pro_5_all_or_nothing),
		cmocka_unit_test(d_pro_5_positions_match_expat),
		cmocka_unit_test(d_pro_6_index_name_bound),
		cmocka_unit_test(d_pro_7_public_toobig_message),
		cmocka_unit_test(d_pro_7_element_bound_xml),
		cmocka_unit_test(d_pro_7_element_bound_legacy),
		cmocka_unit_test(d_pro_7_default_size_bound),
		cmocka_unit_test(d_pro_7_depth_outside_flat_profile),
		cmocka_unit_test(d_pro_7_billion_laughs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
