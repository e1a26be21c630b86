/*
 * Unit tests of lib/rule.c: profile, upgrade and report rules (device.md
 * D-RUL-2, D-RUL-3, D-RUL-4 through url, D-REP-1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "rule.h"

/* A fixed variable set: A=GPP_A ... and the identity. SA expands only with
 * MACRO_SECRETS, as on the device. */
static const struct {
	const char *name, *value;
	int secret;
} test_vars[] = {
	{ "A", "7", 0 },
	{ "B", "Dj6Lmp23Q", 0 },
	{ "C", "", 0 },
	{ "D", " http://spaced.example.com/x ", 0 },
	{ "E", "bad host", 0 },
	{ "MA", "000e08abcdef", 0 },
	{ "PN", "CP-8841-3PCC", 0 },
	{ "PSN", "8841", 0 },
	{ "SWVER", "sip88xx.11-3-1MPP-123", 0 },
	{ "SERV", "192.168.1.200", 0 },
	{ "SA", "s3cr3t", 1 },
};

static int
test_lookup(void *arg, const char *name, size_t n, unsigned flags, struct buf *out)
{
	(void)arg;
	for (size_t i = 0; i < sizeof(test_vars) / sizeof(test_vars[0]); i++) {
		if (strlen(test_vars[i].name) != n || memcmp(test_vars[i].name, name, n) != 0)
			continue;
		if (test_vars[i].secret && !(flags & MACRO_SECRETS))
			return 0;
		return buf_adds(out, test_vars[i].value) == PROV_OK ? 1 : -(int)PROV_E_TOOBIG;
	}
	return 0;
}

static const struct macro_vars vars = { test_lookup, NULL };

static struct rule *
parse_ok(const char *s, unsigned flags)
{
	struct rule *r = NULL;
	struct diag d;

	diag_init(&d);
	if (rule_parse(s, strlen(s), flags, &r, &d) != PROV_OK)
		fail_msg("rule_parse(%s): %u:%u: %s", s, d.line, d.col, d.msg);
	assert_non_null(r);
	return r;
}

static void
parse_err(const char *s, unsigned flags, enum prov_err code, unsigned col,
	  const char *msg)
{
	struct rule *r = (struct rule *)&r; /* must be reset to NULL */
	struct diag d;

	diag_init(&d);
	assert_int_equal(rule_parse(s, strlen(s), flags, &r, &d), code);
	assert_null(r);
	assert_int_equal(d.line, 1);
	if (d.col != col || (msg != NULL && strcmp(d.msg, msg) != 0))
		fail_msg("rule_parse(%s): got %u:%u: %s, want %u: %s", s, d.line,
			 d.col, d.msg, col, msg ? msg : "(any)");
}

/* Selects and builds; returns the selected alternative's index or -1. */
static int
take(const struct rule *r, struct rule_action *act)
{
	const struct rule_alt *alt;
	struct diag d;

	diag_init(&d);
	memset(act, 0, sizeof(*act));
	assert_int_equal(rule_select(r, &vars, &alt, &d), PROV_OK);
	if (alt == NULL)
		return -1;
	if (rule_action_build(alt, &vars, act, &d) != PROV_OK)
		fail_msg("rule_action_build: %u:%u: %s", d.line, d.col, d.msg);
	return (int)(alt - r->alt);
}

static void
test_d_rul_2_single_url(void **state)
{
	struct rule *r;
	struct rule_action act;

	(void)state;
	r = parse_ok("\n  tftp://192.168.1.200/CP-8841-3PCC$MA.cfg\n", 0);
	assert_int_equal(r->nalt, 1);
	assert_null(r->alt[0].cond);
	assert_string_equal(r->alt[0].url, "tftp://192.168.1.200/CP-8841-3PCC$MA.cfg");
	assert_int_equal(r->alt[0].url_col, 4);
	assert_int_equal(take(r, &act), 0);
	assert_true(act.has_url);
	assert_string_equal(act.url_text, "tftp://192.168.1.200/CP-8841-3PCC000e08abcdef.cfg");
	assert_string_equal(act.url.host, "192.168.1.200");
	assert_string_equal(act.url.path, "/CP-8841-3PCC000e08abcdef.cfg");
	assert_null(act.key);
	rule_action_fini(&act);
	rule_free(r);
}

static void
test_d_rul_2_empty_and_comment(void **state)
{
	struct rule *r;
	struct rule_action act;

	(void)state;
	r = parse_ok("", 0);
	assert_int_equal(r->nalt, 0);
	assert_int_equal(take(r, &act), -1);
	rule_free(r);
	assert_int_equal(rule_parse(NULL, 0, 0, &r, NULL), PROV_OK);
	assert_int_equal(r->nalt, 0);
	rule_free(r);
	r = parse_ok(" \t\r\n ", 0);
	assert_int_equal(r->nalt, 0);
	rule_free(r);
	r = parse_ok("  # nothing here | ( ", 0);
	assert_int_equal(r->nalt, 0);
	rule_free(r);
	r = parse_ok("/a.cfg# comment", 0);
	assert_int_equal(r->nalt, 1);
	assert_string_equal(r->alt[0].url, "/a.cfg");
	rule_free(r);
	r = parse_ok("( \"#\" eq \"#\" )? /a.cfg # | junk", 0);
	assert_int_equal(r->nalt, 1);
	assert_string_equal(r->alt[0].cond, " \"#\" eq \"#\" ");
	rule_free(r);
}

static void
test_d_rul_2_alternatives(void **state)
{
	struct rule *r;
	struct rule_action act;

	(void)state;
	r = parse_ok("($A eq 1)? http://one/x | ($A gt 5)? http://two/$B.cfg | /fallback", 0);
	assert_int_equal(r->nalt, 3);
	assert_string_equal(r->alt[0].cond, "$A eq 1");
	assert_int_equal(r->alt[0].cond_col, 2);
	assert_string_equal(r->alt[1].cond, "$A gt 5");
	assert_int_equal(r->alt[1].cond_col, 28);
	assert_null(r->alt[2].cond);
	assert_int_equal(take(r, &act), 1);
	assert_string_equal(act.url_text, "http://two/Dj6Lmp23Q.cfg");
	rule_action_fini(&act);
	rule_free(r);

	r = parse_ok("($A eq 1)? /one | ($A eq 2)? /two", 0);
	assert_int_equal(take(r, &act), -1);
	assert_false(act.has_url);
	rule_free(r);

	/* nested parentheses and a ')' inside quotes */
	r = parse_ok("( $(MA:0:6) eq 000e08 and \"a)b\" eq \"a)b\" )?/x", 0);
	assert_string_equal(r->alt[0].cond, " $(MA:0:6) eq 000e08 and \"a)b\" eq \"a)b\" ");
	assert_int_equal(take(r, &act), 0);
	assert_string_equal(act.url.path, "/x");
	rule_action_fini(&act);
	rule_free(r);

	/* a condition-only alternative: taken, nothing to do */
	r = parse_ok("($PSN eq 8841)? | /other", 0);
	assert_int_equal(r->nalt, 2);
	assert_null(r->alt[0].url);
	assert_int_equal(take(r, &act), 0);
	assert_false(act.has_url);
	rule_action_fini(&act);
	rule_free(r);

	/* white space and newlines anywhere between the parts */
	r = parse_ok("\t(\n$SWVER ne sip88xx.11-3-1MPP-123\n)\n?\n"
		     "\thttp://up/sip88xx.11-3-1MPP-123.loads\n|\n/none", 0);
	assert_int_equal(r->nalt, 2);
	assert_int_equal(take(r, &act), 1);
	assert_string_equal(act.url.path, "/none");
	rule_action_fini(&act);
	rule_free(r);
}

static void
test_d_rul_2_assignments(void **state)
{
	struct rule *r;
	struct rule_action act;

	(void)state;
	r = parse_ok("( a = \"x\\\"y\\\\z\"; GPP_B=\"$MA\" ; Resync_Periodic = \"600\"; p=\"\")!", 0);
	assert_int_equal(r->nalt, 1);
	assert_int_equal(r->alt[0].nassign, 4);
	assert_string_equal(r->alt[0].assign[0].name, "GPP_A");
	assert_string_equal(r->alt[0].assign[0].value, "x\"y\\z");
	assert_int_equal(r->alt[0].assign[0].col, 3);
	assert_string_equal(r->alt[0].assign[1].name, "GPP_B");
	assert_string_equal(r->alt[0].assign[1].value, "$MA");
	assert_string_equal(r->alt[0].assign[2].name, "Resync_Periodic");
	assert_string_equal(r->alt[0].assign[3].name, "GPP_P");
	assert_null(r->alt[0].url);
	assert_int_equal(take(r, &act), 0);
	assert_false(act.has_url);
	assert_int_equal(act.nassign, 4);
	assert_string_equal(act.assign_name[1], "GPP_B");
	assert_string_equal(act.assign_value[1], "000e08abcdef");
	assert_string_equal(act.assign_value[3], "");
	rule_action_fini(&act);
	rule_free(r);

	/* condition, then assignments, then URL; last ';' optional; q and
	 * upper-case letters are plain names */
	r = parse_ok("($A eq 7)? (b=\"1\"; q=\"2\"; C=\"3\")! /after.cfg | (a=\"0\";)!", 0);
	assert_int_equal(r->nalt, 2);
	assert_string_equal(r->alt[0].assign[0].name, "GPP_B");
	assert_string_equal(r->alt[0].assign[1].name, "q");
	assert_string_equal(r->alt[0].assign[2].name, "C");
	assert_string_equal(r->alt[0].url, "/after.cfg");
	assert_int_equal(r->alt[1].nassign, 1);
	assert_int_equal(take(r, &act), 0);
	assert_int_equal(act.nassign, 3);
	assert_string_equal(act.url.path, "/after.cfg");
	rule_action_fini(&act);
	rule_free(r);

	/* a backslash before another character stays */
	r = parse_ok("(a=\"c:\\dir\")!", 0);
	assert_string_equal(r->alt[0].assign[0].value, "c:\\dir");
	rule_free(r);
}

static void
test_d_rul_2_assignment_errors(void **state)
{
	(void)state;
	parse_err("(a=x)!", 0, PROV_E_SYNTAX, 4, "value must be double-quoted");
	parse_err("(a \"x\")!", 0, PROV_E_SYNTAX, 4, "expected '='");
	parse_err("(=\"x\")!", 0, PROV_E_SYNTAX, 2, "expected a parameter name");
	parse_err("(a=\"x\" b=\"y\")!", 0, PROV_E_SYNTAX, 8, "expected ';' or ')'");
	parse_err("(a=\"x\";;)!", 0, PROV_E_SYNTAX, 8, "expected a parameter name");
	parse_err("( )!", 0, PROV_E_SYNTAX, 1, "empty assignment list");
	parse_err("(a=\"x)!", 0, PROV_E_SYNTAX, 4, "unterminated string");
	parse_err("(a=\"x\")", 0, PROV_E_SYNTAX, 8, "expected '?' or '!' after ')'");
	parse_err("(a=\"x\") /x", 0, PROV_E_SYNTAX, 9, "expected '?' or '!' after ')'");
	parse_err("(a=\"x\")!(b=\"y\")!", 0, PROV_E_SYNTAX, 9, "a second assignment list");
	parse_err("(a=\"x\")!(1 eq 1)?", 0, PROV_E_SYNTAX, 9,
		  "the condition must come before the assignments");
	parse_err("(a=\"x\"", 0, PROV_E_SYNTAX, 1, "missing ')'");
}

static void
test_d_rul_2_condition_errors(void **state)
{
	struct rule *r;
	const struct rule_alt *alt;
	const char *bad = "  (\"$A\" lt \"8\")? /y";
	struct diag d;

	(void)state;
	parse_err("()? /x", 0, PROV_E_SYNTAX, 1, "empty condition");
	parse_err("(  )? /x", 0, PROV_E_SYNTAX, 1, "empty condition");
	parse_err("(1 eq 1)? (2 eq 2)? /x", 0, PROV_E_SYNTAX, 11, "a second condition");
	parse_err("($A eq 1 /x", 0, PROV_E_SYNTAX, 1, "missing ')'");
	parse_err("($A eq 1 # c)? /x", 0, PROV_E_SYNTAX, 1, "missing ')'");
	parse_err("(\"a eq 1)? /x", 0, PROV_E_SYNTAX, 2, "unterminated string");
	/* cond_check's column mapped into the rule */
	diag_init(&d);
	assert_int_equal(rule_parse("  ($A eq)? /y", 13, 0, &r, &d), PROV_E_SYNTAX);
	assert_true(d.col >= 4 && d.col <= 10);
	/* quoted operands compare with eq/ne only: an evaluation-time error
	 * points into the rule */
	r = NULL;
	diag_init(&d);
	if (rule_parse(bad, strlen(bad), 0, &r, &d) == PROV_OK) {
		assert_int_equal(rule_select(r, &vars, &alt, &d), PROV_E_SYNTAX);
		assert_null(alt);
		rule_free(r);
	}
	assert_int_equal(d.code, PROV_E_SYNTAX);
	assert_true(d.col >= 4 && d.col <= 16);
}

static void
test_d_rul_2_structure_errors(void **state)
{
	(void)state;
	parse_err("|", 0, PROV_E_SYNTAX, 1, "empty alternative");
	parse_err("  | /x", 0, PROV_E_SYNTAX, 3, "empty alternative");
	parse_err("($A eq 1)? /a |", 0, PROV_E_SYNTAX, 16, "empty alternative");
	parse_err("($A eq 1)? /a | # c", 0, PROV_E_SYNTAX, 17, "empty alternative");
	parse_err("/a | /b", 0, PROV_E_SYNTAX, 1,
		  "only the last alternative may omit its condition");
	parse_err("($A eq 1)? /a | (a=\"1\")! /b | /c", 0, PROV_E_SYNTAX, 17,
		  "only the last alternative may omit its condition");
	parse_err("/a /b", 0, PROV_E_SYNTAX, 4, "expected '|' or the end of the rule");
}

static void
test_d_rul_2_nul(void **state)
{
	struct rule *r;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(rule_parse("/a\0b", 4, 0, &r, &d), PROV_E_SYNTAX);
	assert_null(r);
	assert_int_equal(d.col, 3);
	assert_string_equal(d.msg, "NUL byte in rule");
}

static void
test_d_rul_3_options(void **state)
{
	struct rule *r;
	struct rule_action act;

	(void)state;
	r = parse_ok("[--key MyOwnSecret ] tftp://192.168.1.200/basic.cfg", 0);
	assert_int_equal(r->alt[0].nopt, 1);
	assert_int_equal(r->alt[0].opt[0].kind, RULE_OPT_KEY);
	assert_string_equal(r->alt[0].opt[0].arg, "MyOwnSecret");
	assert_int_equal(r->alt[0].opt[0].col, 2);
	assert_int_equal(take(r, &act), 0);
	assert_string_equal(act.key, "MyOwnSecret");
	assert_string_equal(act.url.path, "/basic.cfg");
	rule_action_fini(&act);
	rule_free(r);

	r = parse_ok("[--uid \"my user\" --pwd $SA][--post c --alias P]"
		     "[--key \"a \\\"q\\\" b\"] https://h/p", 0);
	assert_int_equal(r->alt[0].nopt, 5);
	assert_int_equal(take(r, &act), 0);
	assert_string_equal(act.uid, "my user");
	assert_string_equal(act.pwd, "s3cr3t");
	assert_string_equal(act.post, "C");
	assert_string_equal(act.alias, "P");
	assert_string_equal(act.key, "a \"q\" b");
	rule_action_fini(&act);
	assert_null(act.key);
	assert_null(act.pwd);
	rule_free(r);

	/* the last of duplicate options wins; $SA is secret outside options */
	r = parse_ok("[--key one --key $SA] /x/$SA", 0);
	assert_int_equal(r->alt[0].nopt, 2);
	assert_int_equal(take(r, &act), 0);
	assert_string_equal(act.key, "s3cr3t");
	assert_string_equal(act.url.path, "/x/$SA");
	rule_action_fini(&act);
	rule_free(r);

	/* empty brackets and options after the assignments */
	r = parse_ok("(1 eq 1)? (a=\"1\")! [] [ --key k ]/x", 0);
	assert_int_equal(r->alt[0].nopt, 1);
	rule_free(r);
}

static void
test_d_rul_3_option_errors(void **state)
{
	(void)state;
	parse_err("[--kee x] /a", 0, PROV_E_SYNTAX, 2, "unknown option '--kee'");
	parse_err("[--key=x] /a", 0, PROV_E_SYNTAX, 2, "unknown option '--key=x'");
	parse_err("[key x] /a", 0, PROV_E_SYNTAX, 2, "expected an option or ']'");
	parse_err("[--delta] /a", 0, PROV_E_SYNTAX, 2, "unknown option '--delta'");
	parse_err("[--key] /a", 0, PROV_E_SYNTAX, 2, "option --key needs an argument");
	parse_err("[--key --uid u] /a", 0, PROV_E_SYNTAX, 2, "option --key needs an argument");
	parse_err("[--key \"x\"y] /a", 0, PROV_E_SYNTAX, 11,
		  "expected white space or ']' after string");
	parse_err("[--key \"x] /a", 0, PROV_E_SYNTAX, 8, "unterminated string");
	parse_err("[--key x /a", 0, PROV_E_SYNTAX, 10, "expected an option or ']'");
	parse_err("[--key x ", 0, PROV_E_SYNTAX, 1, "missing ']'");
	parse_err("[--key x # ] /a", 0, PROV_E_SYNTAX, 1, "missing ']'");
	parse_err("[--post q] /a", 0, PROV_E_SYNTAX, 2, "--post needs a GPP letter a..p");
	parse_err("[--post \"\"] /a", 0, PROV_E_SYNTAX, 2, "--post needs a GPP letter a..p");
	parse_err("[--alias AB] /a", 0, PROV_E_SYNTAX, 2, "--alias needs a GPP letter a..p");
	parse_err("[--key k]", 0, PROV_E_SYNTAX, 10, "expected a URL after the options");
	parse_err("[--key k] | /a", 0, PROV_E_SYNTAX, 11, "expected a URL after the options");
	parse_err("[--key k] /a", RULE_NO_OPTIONS, PROV_E_SYNTAX, 1,
		  "options are not allowed in this rule");
	parse_err("($A eq 1)? [] /a | /b", RULE_NO_OPTIONS, PROV_E_SYNTAX, 12,
		  "options are not allowed in this rule");
}

static void
test_d_rul_3_upgrade_rule(void **state)
{
	struct rule *r;
	struct rule_action act;

	(void)state;
	r = parse_ok("($SWVER ne sip88xx.11-3-1MPP-123)? (u=\"1\")! "
		     "http://$SERV/sip88xx.11-3-1MPP-123.loads", RULE_NO_OPTIONS);
	assert_int_equal(take(r, &act), -1);
	rule_free(r);
	r = parse_ok("($SWVER lt sip88xx.12-0-1MPP-1)? http://$SERV/sip88xx.12-0-1MPP-1.loads",
		     RULE_NO_OPTIONS);
	assert_int_equal(take(r, &act), 0);
	assert_string_equal(act.url_text, "http://192.168.1.200/sip88xx.12-0-1MPP-1.loads");
	rule_action_fini(&act);
	rule_free(r);
}

static void
test_d_rep_1_report_rule(void **state)
{
	struct rule *r;
	struct rule_action act;

	(void)state;
	r = parse_ok("[--key $SA] [--delta] http://rep/$MA.xml  [--status]tftp://t/s.xml",
		     RULE_REPORT);
	assert_int_equal(r->nalt, 2);
	assert_int_equal(r->alt[0].nopt, 2);
	assert_int_equal(r->alt[1].nopt, 1);
	assert_int_equal(take(r, &act), 0);
	assert_string_equal(act.key, "s3cr3t");
	assert_true(act.delta);
	assert_false(act.status);
	assert_string_equal(act.url.path, "/000e08abcdef.xml");
	rule_action_fini(&act);
	assert_int_equal(rule_action_build(&r->alt[1], &vars, &act, NULL), PROV_OK);
	assert_true(act.status);
	assert_false(act.delta);
	assert_null(act.key);
	rule_action_fini(&act);
	rule_free(r);

	r = parse_ok("  # no report", RULE_REPORT);
	assert_int_equal(r->nalt, 0);
	rule_free(r);

	parse_err("/a /b /c", RULE_REPORT, PROV_E_SYNTAX, 7, "a report rule has at most two URLs");
	parse_err("($A eq 1)? /a", RULE_REPORT, PROV_E_SYNTAX, 1,
		  "report rules take no conditions or assignments");
	parse_err("/a | /b", RULE_REPORT, PROV_E_SYNTAX, 4, "report rules have no alternatives");
	parse_err("[--uid u] /a", RULE_REPORT, PROV_E_SYNTAX, 2, "unknown option '--uid'");
	parse_err("[--delta --status] /a", RULE_REPORT, PROV_E_SYNTAX, 10,
		  "--delta and --status exclude each other");
	parse_err("[--delta] /a [--key k]", RULE_REPORT, PROV_E_SYNTAX, 23,
		  "expected a URL after the options");
}

static void
test_d_rul_2_bounds(void **state)
{
	char text[BOUND_RULE_TEXT + 2];
	struct buf b;
	struct rule *r;
	struct diag d;

	(void)state;
	memset(text, ' ', sizeof(text));
	text[0] = '/';
	assert_int_equal(rule_parse(text, BOUND_RULE_TEXT, 0, &r, &d), PROV_OK);
	rule_free(r);
	assert_int_equal(rule_parse(text, BOUND_RULE_TEXT + 1, 0, &r, &d), PROV_E_TOOBIG);
	assert_null(r);

	buf_init(&b, BOUND_RULE_TEXT);
	for (unsigned i = 0; i < BOUND_RULE_ALTS; i++)
		assert_int_equal(buf_adds(&b, "(1 eq 1)? /a | "), PROV_OK);
	assert_int_equal(buf_adds(&b, "/last"), PROV_OK);
	diag_init(&d);
	assert_int_equal(rule_parse(b.p, b.len, 0, &r, &d), PROV_E_TOOBIG);
	assert_int_equal(d.col, 15 * BOUND_RULE_ALTS + 1);
	assert_string_equal(d.msg, "more than 16 alternatives");
	buf_reset(&b);
	for (unsigned i = 0; i + 1 < BOUND_RULE_ALTS; i++)
		assert_int_equal(buf_adds(&b, "(1 eq 1)? /a | "), PROV_OK);
	assert_int_equal(buf_adds(&b, "/last"), PROV_OK);
	assert_int_equal(rule_parse(b.p, b.len, 0, &r, &d), PROV_OK);
	assert_int_equal(r->nalt, BOUND_RULE_ALTS);
	rule_free(r);

	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "("), PROV_OK);
	for (unsigned i = 0; i < BOUND_RULE_ASSIGNS; i++)
		assert_int_equal(buf_adds(&b, "a=\"1\";"), PROV_OK);
	assert_int_equal(buf_adds(&b, ")!"), PROV_OK);
	assert_int_equal(rule_parse(b.p, b.len, 0, &r, &d), PROV_OK);
	assert_int_equal(r->alt[0].nassign, BOUND_RULE_ASSIGNS);
	rule_free(r);
	b.len -= 2;
	assert_int_equal(buf_adds(&b, "b=\"2\")!"), PROV_OK);
	assert_int_equal(rule_parse(b.p, b.len, 0, &r, &d), PROV_E_TOOBIG);
	assert_int_equal(d.col, 2 + 6 * BOUND_RULE_ASSIGNS);

	buf_reset(&b);
	for (unsigned i = 0; i < BOUND_RULE_OPTIONS; i++)
		assert_int_equal(buf_adds(&b, "[--key k]"), PROV_OK);
	assert_int_equal(buf_adds(&b, "/x"), PROV_OK);
	assert_int_equal(rule_parse(b.p, b.len, 0, &r, &d), PROV_OK);
	assert_int_equal(r->alt[0].nopt, BOUND_RULE_OPTIONS);
	rule_free(r);
	buf_reset(&b);
	for (unsigned i = 0; i <= BOUND_RULE_OPTIONS; i++)
		assert_int_equal(buf_adds(&b, "[--key k]"), PROV_OK);
	assert_int_equal(buf_adds(&b, "/x"), PROV_OK);
	assert_int_equal(rule_parse(b.p, b.len, 0, &r, &d), PROV_E_TOOBIG);
	assert_int_equal(d.col, 9 * BOUND_RULE_OPTIONS + 2);
	buf_free(&b);
}

static void
test_d_rul_4_action_url(void **state)
{
	struct rule *r;
	struct rule_action act;
	struct diag d;

	(void)state;
	/* expansion is trimmed before parsing */
	r = parse_ok("$D", 0);
	assert_int_equal(take(r, &act), 0);
	assert_string_equal(act.url_text, "http://spaced.example.com/x");
	assert_int_equal(act.url.port, 80);
	rule_action_fini(&act);
	rule_free(r);

	/* a bad URL without macros: the column is exact */
	r = parse_ok("  [--key k] http://h:0/x", 0);
	diag_init(&d);
	assert_int_equal(rule_action_build(&r->alt[0], &vars, &act, &d), PROV_E_SYNTAX);
	assert_int_equal(d.col, 22);
	assert_string_equal(d.msg, "port must be 1..65535");
	assert_null(act.key);
	assert_false(act.has_url);
	rule_action_fini(&act); /* after a failed build */
	rule_free(r);

	/* with macros: the column of the URL */
	r = parse_ok(" http://$E/x", 0);
	diag_init(&d);
	assert_int_equal(rule_action_build(&r->alt[0], &vars, &act, &d), PROV_E_SYNTAX);
	assert_int_equal(d.col, 2);
	rule_free(r);

	/* a URL that expands to nothing */
	r = parse_ok("$C", 0);
	diag_init(&d);
	assert_int_equal(rule_action_build(&r->alt[0], &vars, &act, &d), PROV_E_SYNTAX);
	assert_string_equal(d.msg, "empty URL");
	rule_free(r);

	/* a malformed macro in the URL: the column of its '$' */
	r = parse_ok("(1 eq 1)? /a/$(MA", 0);
	diag_init(&d);
	assert_int_equal(rule_action_build(&r->alt[0], &vars, &act, &d), PROV_E_SYNTAX);
	assert_int_equal(d.col, 14);
	rule_free(r);
}

static void
test_d_rul_4_action_toobig(void **state)
{
	struct buf b;
	struct rule *r;
	struct rule_action act;
	struct diag d;

	(void)state;
	buf_init(&b, BOUND_RULE_TEXT);
	assert_int_equal(buf_adds(&b, "/"), PROV_OK);
	for (unsigned i = 0; i < BOUND_URL_TEXT / 12 + 1; i++)
		assert_int_equal(buf_adds(&b, "$MA"), PROV_OK);
	r = parse_ok(b.p, 0);
	diag_init(&d);
	assert_int_equal(rule_action_build(&r->alt[0], &vars, &act, &d), PROV_E_TOOBIG);
	assert_int_equal(d.col, 1);
	rule_action_fini(&act);
	rule_free(r);
	buf_free(&b);
}

static void
test_d_rul_2_action_fini_zeroed(void **state)
{
	struct rule_action act;

	(void)state;
	memset(&act, 0, sizeof(act));
	rule_action_fini(&act);
	rule_action_fini(&act);
	rule_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_d_rul_2_single_url),
		cmocka_unit_test(test_d_rul_2_empty_and_comment),
		cmocka_unit_test(test_d_rul_2_alternatives),
		cmocka_unit_test(test_d_rul_2_assignments),
		cmocka_unit_test(test_d_rul_2_assignment_errors),
		cmocka_unit_test(test_d_rul_2_condition_errors),
		cmocka_unit_test(test_d_rul_2_structure_errors),
		cmocka_unit_test(test_d_rul_2_nul),
		cmocka_unit_test(test_d_rul_3_options),
		cmocka_unit_test(test_d_rul_3_option_errors),
		cmocka_unit_test(test_d_rul_3_upgrade_rule),
		cmocka_unit_test(test_d_rep_1_report_rule),
		cmocka_unit_test(test_d_rul_2_bounds),
		cmocka_unit_test(test_d_rul_4_action_url),
		cmocka_unit_test(test_d_rul_4_action_toobig),
		cmocka_unit_test(test_d_rul_2_action_fini_zeroed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
