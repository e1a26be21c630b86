/*
 * Unit tests of cond.c: device.md D-CND-1..3. The language is covered by
 * tests/cases/cond; these tests check the contract: every operator
 * spelling, the ordering of versions as a whole, the places of errors,
 * bounds, and that values are expanded only after the whole condition has
 * been parsed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "cond.h"

struct tvars {
	int calls;
	int fail;     /* returned by every lookup when nonzero */
	size_t big;   /* length of the value of BIG */
};

/* A=5 B=-3 V=sip88xx.11-3-1MPP-123 S=a b E= BIG=x...x */
static int
tlookup(void *arg, const char *name, size_t n, unsigned flags, struct buf *out)
{
	static const char *const pairs[] = {
		"A", "5", "B", "-3", "V", "sip88xx.11-3-1MPP-123", "S", "a b",
		"E", "", NULL,
	};
	struct tvars *tv = arg;
	enum prov_err rc = PROV_OK;

	(void)flags;
	tv->calls++;
	if (tv->fail != 0)
		return tv->fail;
	if (n == 3 && memcmp(name, "BIG", 3) == 0) {
		for (size_t i = 0; i < tv->big && rc == PROV_OK; i++)
			rc = buf_addc(out, 'x');
		return rc == PROV_OK ? 1 : -(int)rc;
	}
	for (const char *const *p = pairs; *p != NULL; p += 2) {
		if (strlen(p[0]) == n && memcmp(p[0], name, n) == 0) {
			rc = buf_adds(out, p[1]);
			return rc == PROV_OK ? 1 : -(int)rc;
		}
	}
	return 0;
}

static enum prov_err
teval(const char *s, struct tvars *tv, int *result, struct diag *d)
{
	struct macro_vars vars = { tlookup, tv };

	diag_init(d);
	*result = -1;
	return cond_eval(s, strlen(s), &vars, result, d);
}

static void
want(const char *s, int expect)
{
	struct tvars tv = { 0, 0, 0 };
	struct diag d;
	int r;

	if (teval(s, &tv, &r, &d) != PROV_OK)
		fail_msg("'%s': %u:%u: %s", s, d.line, d.col, d.msg);
	if (r != expect)
		fail_msg("'%s' is %s", s, r ? "true" : "false");
	assert_int_equal(cond_check(s, strlen(s), &d), PROV_OK);
}

static void
d_cnd_1_every_operator_spelling(void **state)
{
	static const struct {
		const char *ops[4];
		int lt, eq, gt; /* result for 4 OP 5, 5 OP 5, 6 OP 5 */
	} t[] = {
		{ { "eq", "EQ", "=", "==" }, 0, 1, 0 },
		{ { "ne", "NE", "!=", NULL }, 1, 0, 1 },
		{ { "lt", "LT", "<", NULL }, 1, 0, 0 },
		{ { "le", "LE", "<=", NULL }, 1, 1, 0 },
		{ { "gt", "GT", ">", NULL }, 0, 0, 1 },
		{ { "ge", "GE", ">=", NULL }, 0, 1, 1 },
	};
	char s[64];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (size_t k = 0; k < 4 && t[i].ops[k] != NULL; k++) {
			const char *op = t[i].ops[k];

			snprintf(s, sizeof(s), "4 %s $A", op);
			want(s, t[i].lt);
			snprintf(s, sizeof(s), "$A %s 5", op);
			want(s, t[i].eq);
			snprintf(s, sizeof(s), "6 %s $A", op);
			want(s, t[i].gt);
			/* versions, and no spaces around a symbolic operator */
			snprintf(s, sizeof(s), "11-3-1MPP%s11-3-1MPP", op);
			if (op[0] == '=' || op[0] == '!' || op[0] == '<' || op[0] == '>')
				want(s, t[i].eq);
			/* strings: eq and ne only */
			if (t[i].lt == t[i].gt) {
				snprintf(s, sizeof(s), "\"$A\" %s \"5\"", op);
				want(s, t[i].eq);
			}
		}
	}
}

static void
d_cnd_1_and_joins_all(void **state)
{
	struct tvars tv = { 0, 0, 0 };
	struct diag d;
	int r;

	(void)state;
	want("1 eq 1 and 2 eq 2 AND 3 eq 3", 1);
	want("1 eq 2 and 2 eq 2", 0);
	want("1 eq 1 AND 2 eq 3", 0);
	/* No short cut: every operand is expanded. */
	assert_int_equal(teval("$A eq 0 and $B eq 0 and $A eq $B", &tv, &r, &d), PROV_OK);
	assert_int_equal(r, 0);
	assert_int_equal(tv.calls, 4);
}

static void
d_cnd_1_numbers_strings_versions(void **state)
{
	(void)state;
	want("-3 lt 2", 1);
	want("$B lt -2", 1);
	want("+7 eq 7", 1);
	want("007 eq 7", 1);
	want("\"007\" eq 7", 0);
	want("-0 eq 0", 1);
	want("999999999999999999 gt 999999999999999998", 1);
	want("-999999999999999999 lt 999999999999999999", 1);
	want("10 gt 9", 1);         /* numeric, not "10" < "9" */
	want("1.10 gt 1.9", 1);     /* version */
	want("$V lt 11-3-2MPP", 1);
	want("$V eq sip78xx.11-3-1MPP-123.loads", 1);
	want("\"$V\" ne \"11-3-1MPP-123\"", 1);
	want("\"$S\" eq \"a b\"", 1);
	want("$E lt 0", 1);          /* empty version before any */
	want("$E eq \"\"", 1);
	want("\"a\\\"b\\\\\" eq \"a\\\"b\\\\\"", 1);
	want("\"\\x\" eq \"\\\\x\"", 1); /* a lone backslash is itself */
}

static void
d_cnd_2_version_pairs(void **state)
{
	static const struct {
		const char *a, *b;
		int want;
	} t[] = {
		{ "11-3-1MPP-123", "11-3-2MPP", -1 },
		{ "sip88xx.11-3-1MPP-123", "11-3-1MPP-123", 0 },
		{ "sip78xx.14-1-1MN-366.loads", "14-1-1MN-366", 0 },
		{ "14-1-1MN-366.loads", "14-1-1MN-366", 0 },
		{ "1.0.31(b)", "1.0.31(a)", 1 },
		{ "1.0.31", "1.0.31(a)", -1 },
		{ "11-2-3MSR1-1", "11-2-3MPP", 1 },
		{ "11-3-10", "11-3-9", 1 },
		{ "0010", "9", 1 },
		{ "", "", 0 },
		{ "", "0", -1 },
		{ "..--()", "", 0 },
		{ "1..2", "1.2", 0 },
		{ "a", "1", -1 },
		{ "a", "b", -1 },
		{ "1a", "1", 1 },
		{ "1a", "1b", -1 },
		{ "1a", "2", -1 },
		{ "2", "10a", -1 },
		{ "123456789012345678901234567890", "123456789012345678901234567891", -1 },
		{ "000000000000000000000000000001", "1", 0 },
		{ "sip88xx", "sip88xx", 0 },
		{ "sip88xx.loads", "sip88xx", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int ab = cond_version_cmp(t[i].a, strlen(t[i].a), t[i].b, strlen(t[i].b));
		int ba = cond_version_cmp(t[i].b, strlen(t[i].b), t[i].a, strlen(t[i].a));

		if ((ab > 0) - (ab < 0) != t[i].want || (ba > 0) - (ba < 0) != -t[i].want)
			fail_msg("'%s' vs '%s': %d and %d", t[i].a, t[i].b, ab, ba);
	}
}

static int
tcmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	return cond_version_cmp(x, strlen(x), y, strlen(y));
}

static void
d_cnd_2_version_order_is_total(void **state)
{
	/* In ascending order. */
	static const char *const v[] = {
		"", "beta", "1", "1.0", "1.0.9", "1.0.31", "1.0.31(a)", "1.0.31(b)",
		"1.0a", "1.1", "11-2-3MPP", "11-2-3MSR1-1", "11-3-1MPP",
		"sip88xx.11-3-1MPP-123", "11-3-1MPP-124", "11-3-2MPP",
		"11-3-10MPP", "sip78xx.14-1-1MN-366.loads", "14-1-1MPP-366",
	};
	const size_t n = sizeof(v) / sizeof(v[0]);
	const char *sorted[sizeof(v) / sizeof(v[0])];

	(void)state;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < n; k++) {
			int c = tcmp(&v[i], &v[k]);

			if ((c > 0) - (c < 0) != (i > k) - (i < k))
				fail_msg("'%s' vs '%s': %d", v[i], v[k], c);
		}
	}
	memcpy(sorted, v, sizeof(v));
	qsort(sorted, n, sizeof(sorted[0]), tcmp);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(sorted[i], v[i]);
}

static void
d_cnd_3_errors_with_place(void **state)
{
	static const struct {
		const char *in;
		unsigned col;
		const char *msg;
	} t[] = {
		{ "", 1, "empty condition" },
		{ "  ", 1, "empty condition" },
		{ "$A", 3, "expected an operator after '$A'" },
		{ "$A ", 4, "expected an operator after '$A'" },
		{ "\"x\"", 4, "expected an operator after '\"x\"'" },
		{ "$A eq", 6, "expected an operand after 'eq'" },
		{ "$A>=", 5, "expected an operand after '>='" },
		{ "$A eq 1 and", 12, "expected a comparison after 'and'" },
		{ "$A eq 1 AND  ", 14, "expected a comparison after 'AND'" },
		{ "$A eq = 1", 7, "expected an operand before '='" },
		{ "$A foo 1", 4, "unknown operator 'foo'" },
		{ "$A === 1", 4, "unknown operator '==='" },
		{ "$A ! 1", 4, "unknown operator '!'" },
		{ "$A eq 1 or 1 eq 1", 9, "expected 'and' after a comparison, found 'or'" },
		{ "$A eq 1 = 1", 9, "expected 'and' after a comparison, found '='" },
		{ "$A eq 1 \"x\"", 9, "expected 'and' after a comparison, found '\"x\"'" },
		{ "($A eq 1)", 1, "unexpected '('" },
		{ "$A eq (1)", 7, "unexpected '('" },
		{ "$A eq 1)", 8, "unexpected ')'" },
		{ "$A ) 1", 4, "unexpected ')'" },
		{ "$A eq \"1", 7, "unterminated string" },
		{ "$A eq \"1\\\"", 7, "unterminated string" },
		{ "\"$A\" lt 1", 6, "operator 'lt' needs numbers or versions, not strings" },
		{ "1 > \"$A\"", 3, "operator '>' needs numbers or versions, not strings" },
		{ "$(A eq 1", 1, "unterminated '$('" },
		{ "1 eq 1 and x$(A:1:2:3) eq 1", 13, "expected ')' after the length" },
		{ "\"\\\\$(\" eq 1", 4, "unterminated '$('" },
		/* The whole condition is parsed before any macro is checked. */
		{ "$(A:x) eq 1 and", 16, "expected a comparison after 'and'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tvars tv = { 0, 0, 0 };
		struct diag d, dc;
		int r;

		if (teval(t[i].in, &tv, &r, &d) != PROV_E_SYNTAX || d.line != 1 ||
		    d.col != t[i].col || strcmp(d.msg, t[i].msg) != 0)
			fail_msg("'%s': %u:%u: %s", t[i].in, d.line, d.col, d.msg);
		assert_int_equal(r, 0);
		diag_init(&dc);
		assert_int_equal(cond_check(t[i].in, strlen(t[i].in), &dc), PROV_E_SYNTAX);
		assert_int_equal(dc.col, d.col);
		assert_string_equal(dc.msg, d.msg);
	}
}

static void
d_cnd_3_structure_before_values(void **state)
{
	struct tvars tv = { 0, 0, 0 };
	struct diag d;
	int r;

	(void)state;
	/* A syntax error anywhere: no variable is looked up. */
	assert_int_equal(teval("$A eq 5 and $B eq 1 or", &tv, &r, &d), PROV_E_SYNTAX);
	assert_int_equal(tv.calls, 0);
	/* A lookup failure is that failure, at the '$' of the operand. */
	tv.fail = -(int)PROV_E_IO;
	assert_int_equal(teval("1 eq 1 and x$A eq 5", &tv, &r, &d), PROV_E_IO);
	assert_int_equal(d.col, 13);
	assert_int_equal(r, 0);
}

static void
d_cnd_3_bounds(void **state)
{
	struct tvars tv = { 0, 0, 0 };
	struct diag d;
	char *s;
	size_t n = 0;
	int r;

	(void)state;
	s = malloc(BOUND_COND_TEXT + 2);
	assert_non_null(s);
	/* BOUND_COND_TEXT bytes are fine, one more is not. */
	memset(s, ' ', BOUND_COND_TEXT + 1);
	memcpy(s, "1 eq 1", 6);
	s[BOUND_COND_TEXT] = '\0';
	assert_int_equal(teval(s, &tv, &r, &d), PROV_OK);
	s[BOUND_COND_TEXT] = ' ';
	s[BOUND_COND_TEXT + 1] = '\0';
	assert_int_equal(teval(s, &tv, &r, &d), PROV_E_TOOBIG);
	assert_int_equal(cond_check(s, strlen(s), &d), PROV_E_TOOBIG);
	/* BOUND_COND_TERMS comparisons are fine, one more is not. */
	s[0] = '\0';
	for (unsigned i = 0; i <= BOUND_COND_TERMS; i++)
		n += (size_t)snprintf(s + n, BOUND_COND_TEXT - n, "%s1 eq 1",
				      i ? " and " : "");
	assert_int_equal(teval(s, &tv, &r, &d), PROV_E_TOOBIG);
	assert_int_equal(d.col, BOUND_COND_TERMS * 11 + 1);
	s[n - 11] = '\0';
	assert_int_equal(teval(s, &tv, &r, &d), PROV_OK);
	assert_int_equal(r, 1);
	free(s);
	/* An operand whose expansion exceeds BOUND_MACRO_OUT. */
	tv.big = BOUND_MACRO_OUT / 2 + 1;
	assert_int_equal(teval("1 eq 1 and $BIG$BIG eq 1", &tv, &r, &d), PROV_E_TOOBIG);
	assert_int_equal(d.col, 16);
	assert_int_equal(r, 0);
	tv.big = BOUND_MACRO_OUT;
	assert_int_equal(teval("$BIG eq $BIG", &tv, &r, &d), PROV_OK);
	assert_int_equal(r, 1);
}

static void
d_cnd_1_null_vars(void **state)
{
	struct diag d;
	int r = -1;

	(void)state;
	assert_int_equal(cond_eval("$A eq $A and $A lt 1", 20, NULL, &r, &d), PROV_OK);
	assert_int_equal(r, 1);
	assert_int_equal(cond_eval(NULL, 0, NULL, &r, &d), PROV_E_SYNTAX);
	assert_int_equal(r, 0);
	assert_int_equal(cond_check("1 eq 1", 6, NULL), PROV_OK);
	assert_int_equal(cond_check("1 eq", 4, NULL), PROV_E_SYNTAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(d_cnd_1_every_operator_spelling),
		cmocka_unit_test(d_cnd_1_and_joins_all),
		cmocka_unit_test(d_cnd_1_numbers_strings_versions),
		cmocka_unit_test(d_cnd_2_version_pairs),
		cmocka_unit_test(d_cnd_2_version_order_is_total),
		cmocka_unit_test(d_cnd_3_errors_with_place),
		cmocka_unit_test(d_cnd_3_structure_before_values),
		cmocka_unit_test(d_cnd_3_bounds),
		cmocka_unit_test(d_cnd_1_null_vars),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
