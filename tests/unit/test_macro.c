/*
 * Unit tests of macro.c: device.md D-MAC-1, D-MAC-2, and macro_present for
 * D-RUL-6. The language itself is covered by tests/cases/macro; these tests
 * check the contract with the caller: what the lookup sees, error codes,
 * places, caps and partial results.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "macro.h"

struct tvars {
	const char *const *pairs; /* name, value, ..., NULL */
	int calls;
	size_t maxn;
	unsigned flags;
	int fail; /* returned by every lookup when nonzero */
};

static int
tlookup(void *arg, const char *name, size_t n, unsigned flags, struct buf *out)
{
	struct tvars *tv = arg;

	tv->calls++;
	tv->flags = flags;
	if (n > tv->maxn)
		tv->maxn = n;
	if (tv->fail != 0)
		return tv->fail;
	for (const char *const *p = tv->pairs; p != NULL && *p != NULL; p += 2) {
		if (strlen(p[0]) == n && memcmp(p[0], name, n) == 0) {
			enum prov_err rc = buf_adds(out, p[1]);

			return rc == PROV_OK ? 1 : -(int)rc;
		}
	}
	return 0;
}

static const char *const tpairs[] = {
	"MA", "000e08abcdef",
	"MAU", "000E08ABCDEF",
	"MAC", "00:0e:08:ab:cd:ef",
	"A", "alpha",
	"B", "$A",
	"E", "",
	NULL,
};

/* Expands s with tpairs; returns the code and leaves the text in got. */
static enum prov_err
texpand(const char *s, size_t len, unsigned flags, size_t cap, char *got,
	size_t gotlen, struct diag *d, struct tvars *tv)
{
	struct macro_vars vars = { tlookup, tv };
	struct buf out;
	enum prov_err rc;

	buf_init(&out, cap);
	diag_init(d);
	rc = macro_expand(s, len, &vars, flags, &out, d);
	snprintf(got, gotlen, "%s", buf_str(&out));
	buf_free(&out);
	return rc;
}

static void
check(const char *in, const char *want)
{
	struct tvars tv = { tpairs, 0, 0, 0, 0 };
	struct diag d;
	char got[512];

	assert_int_equal(texpand(in, strlen(in), 0, BOUND_MACRO_OUT, got,
				 sizeof(got), &d, &tv), PROV_OK);
	assert_string_equal(got, want);
}

static void
d_mac_1_dollar_name_maximal_run(void **state)
{
	(void)state;
	check("$MA", "000e08abcdef");
	check("$MAC", "00:0e:08:ab:cd:ef");
	check("$MAU", "000E08ABCDEF");
	check("$MAX", "$MAX");
	check("$MA.cfg", "000e08abcdef.cfg");
	check("$MA_x", "000e08abcdef_x");
	check("$A1", "$A1");
}

static void
d_mac_1_substring_offsets(void **state)
{
	(void)state;
	check("$(MA)", "000e08abcdef");
	check("$(MA:6)", "abcdef");
	check("$(MA:11)", "f");
	check("$(MA:12)", "");
	check("$(MA:65535)", "");
	check("$(MA:0:3)", "000");
	check("$(MA:10:5)", "ef");
	check("$(MA:12:1)", "");
	check("$(MA:3:0)", "");
	check("$(MA:00006:002)", "ab");
	check("$(E:0:1)$(E:5)", "");
}

static void
d_mac_1_dollar_dollar_and_lone_dollar(void **state)
{
	(void)state;
	check("$$", "$");
	check("$$$$", "$$");
	check("$$MA", "$MA");
	check("$", "$");
	check("a$", "a$");
	check("$ $- $) $:", "$ $- $) $:");
}

static void
d_mac_1_unknown_kept_verbatim(void **state)
{
	struct diag d;
	struct buf out;
	const char *in = "$XYZ $(XYZ) $(XYZ:1:2) $$";

	(void)state;
	check("$XYZ $(XYZ) $(XYZ:1) $(XYZ:1:2)", "$XYZ $(XYZ) $(XYZ:1) $(XYZ:1:2)");
	buf_init(&out, 100);
	assert_int_equal(macro_expand(in, strlen(in), NULL, 0, &out, &d), PROV_OK);
	assert_string_equal(buf_str(&out), "$XYZ $(XYZ) $(XYZ:1:2) $");
	buf_free(&out);
}

static void
d_mac_1_one_level(void **state)
{
	struct tvars tv = { tpairs, 0, 0, 0, 0 };
	struct diag d;
	char got[64];

	(void)state;
	assert_int_equal(texpand("$B|$(B)|$(B:1)", 14, 0, 100, got, sizeof(got),
				 &d, &tv), PROV_OK);
	assert_string_equal(got, "$A|$A|A");
	assert_int_equal(tv.calls, 3);
}

static void
d_mac_1_appends_to_out(void **state)
{
	struct tvars tv = { tpairs, 0, 0, 0, 0 };
	struct macro_vars vars = { tlookup, &tv };
	struct buf out;
	struct diag d;

	(void)state;
	buf_init(&out, 100);
	assert_int_equal(buf_adds(&out, "x="), PROV_OK);
	assert_int_equal(macro_expand("$A", 2, &vars, 0, &out, &d), PROV_OK);
	assert_string_equal(buf_str(&out), "x=alpha");
	assert_int_equal(macro_expand(NULL, 0, &vars, 0, &out, &d), PROV_OK);
	assert_string_equal(buf_str(&out), "x=alpha");
	buf_free(&out);
}

static void
d_mac_1_embedded_nul_passes(void **state)
{
	struct tvars tv = { tpairs, 0, 0, 0, 0 };
	struct macro_vars vars = { tlookup, &tv };
	struct buf out;
	struct diag d;
	const char in[] = "a\0$A\0$";

	(void)state;
	buf_init(&out, 100);
	assert_int_equal(macro_expand(in, sizeof(in) - 1, &vars, 0, &out, &d), PROV_OK);
	assert_int_equal(out.len, 9);
	assert_memory_equal(out.p, "a\0alpha\0$", 9);
	buf_free(&out);
}

static void
d_mac_1_syntax_errors(void **state)
{
	static const struct {
		const char *in;
		unsigned line, col;
		const char *msg;
	} t[] = {
		{ "$(", 1, 1, "unterminated '$('" },
		{ "ab$(MA", 1, 3, "unterminated '$('" },
		{ "$(MA:", 1, 1, "unterminated '$('" },
		{ "$(MA:1:", 1, 1, "unterminated '$('" },
		{ "$(MA:1:2", 1, 1, "unterminated '$('" },
		{ "$()", 1, 1, "expected a variable name after '$('" },
		{ "$( MA)", 1, 1, "expected a variable name after '$('" },
		{ "$(MA-1)", 1, 1, "expected ':' or ')' after the variable name" },
		{ "$(MA:)", 1, 1, "expected a number after ':'" },
		{ "$(MA:x)", 1, 1, "expected a number after ':'" },
		{ "$(MA:-1)", 1, 1, "expected a number after ':'" },
		{ "$(MA:1x)", 1, 1, "expected ':' or ')' after the offset" },
		{ "$(MA:1:)", 1, 1, "expected a number after ':'" },
		{ "$(MA:1:2:3)", 1, 1, "expected ')' after the length" },
		{ "$(MA:65536)", 1, 1, "number after ':' is larger than 65535" },
		{ "$(MA:1:99999999999999999999)", 1, 1, "number after ':' is larger than 65535" },
		{ "$(NOPE:x)", 1, 1, "expected a number after ':'" },
		{ "a\nbc\n  $(", 3, 3, "unterminated '$('" },
		{ "$MA\n$(MA:1)\n$(MA", 3, 1, "unterminated '$('" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tvars tv = { tpairs, 0, 0, 0, 0 };
		struct diag d;
		char got[128];

		assert_int_equal(texpand(t[i].in, strlen(t[i].in), 0, 1000, got,
					 sizeof(got), &d, &tv), PROV_E_SYNTAX);
		assert_int_equal(d.code, PROV_E_SYNTAX);
		assert_int_equal(d.line, t[i].line);
		assert_int_equal(d.col, t[i].col);
		assert_string_equal(d.msg, t[i].msg);
	}
}

static void
d_mac_1_syntax_error_without_diag(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out, 100);
	assert_int_equal(macro_expand("$(A", 3, NULL, 0, &out, NULL), PROV_E_SYNTAX);
	buf_free(&out);
}

static void
d_mac_1_name_bound(void **state)
{
	static const char *const pairs[] = {
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "33", /* 33 bytes */
		"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", "32",  /* 32 bytes */
		NULL,
	};
	struct tvars tv = { pairs, 0, 0, 0, 0 };
	struct diag d;
	char got[256];
	const char *in = "$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA "
			 "$(AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:1) "
			 "$BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

	(void)state;
	assert_int_equal(texpand(in, strlen(in), 0, 1000, got, sizeof(got), &d, &tv),
			 PROV_OK);
	assert_string_equal(got, "$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA "
			    "$(AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:1) 32");
	assert_int_equal(tv.calls, 1);
	assert_int_equal(tv.maxn, BOUND_MACRO_NAME);
}

static void
d_mac_2_flags_reach_lookup(void **state)
{
	struct tvars tv = { tpairs, 0, 0, 0, 0 };
	struct diag d;
	char got[64];

	(void)state;
	assert_int_equal(texpand("$(A:1)", 6, MACRO_SECRETS, 100, got, sizeof(got),
				 &d, &tv), PROV_OK);
	assert_int_equal(tv.flags, MACRO_SECRETS);
	assert_int_equal(texpand("$A", 2, 0, 100, got, sizeof(got), &d, &tv), PROV_OK);
	assert_int_equal(tv.flags, 0);
}

static void
d_mac_1_lookup_error_propagates(void **state)
{
	struct tvars tv = { tpairs, 0, 0, 0, -(int)PROV_E_IO };
	struct diag d;
	char got[64];

	(void)state;
	assert_int_equal(texpand("ab $(A:1)", 9, 0, 100, got, sizeof(got), &d, &tv),
			 PROV_E_IO);
	assert_int_equal(d.code, PROV_E_IO);
	assert_int_equal(d.line, 1);
	assert_int_equal(d.col, 4);
	assert_string_equal(got, "ab ");
	assert_int_equal(texpand("$A", 2, 0, 100, got, sizeof(got), &d, &tv), PROV_E_IO);
	tv.fail = -1000; /* not an enum prov_err */
	assert_int_equal(texpand("$A", 2, 0, 100, got, sizeof(got), &d, &tv), PROV_E_INVAL);
}

static void
d_mac_1_output_cap(void **state)
{
	struct tvars tv = { tpairs, 0, 0, 0, 0 };
	struct diag d;
	char got[64];

	(void)state;
	/* A literal run that does not fit. */
	assert_int_equal(texpand("abcdef", 6, 0, 5, got, sizeof(got), &d, &tv),
			 PROV_E_TOOBIG);
	assert_int_equal(d.col, 1);
	assert_string_equal(d.msg, "expansion longer than 5 bytes");
	/* A value that does not fit: the partial result stays. */
	assert_int_equal(texpand("x\n$MA", 5, 0, 10, got, sizeof(got), &d, &tv),
			 PROV_E_TOOBIG);
	assert_int_equal(d.line, 2);
	assert_int_equal(d.col, 1);
	assert_string_equal(got, "x\n");
	/* An unknown name kept as written, a "$$" and a substring. */
	assert_int_equal(texpand("1234$XYZ", 8, 0, 6, got, sizeof(got), &d, &tv),
			 PROV_E_TOOBIG);
	assert_int_equal(d.col, 5);
	assert_int_equal(texpand("12$$", 4, 0, 2, got, sizeof(got), &d, &tv),
			 PROV_E_TOOBIG);
	assert_int_equal(d.col, 3);
	assert_int_equal(texpand("$(MA:0:5)", 9, 0, 4, got, sizeof(got), &d, &tv),
			 PROV_E_TOOBIG);
	/* The substring is cut from the whole value: only the part must fit. */
	assert_int_equal(texpand("$(MA:0:4)", 9, 0, 4, got, sizeof(got), &d, &tv),
			 PROV_OK);
	assert_string_equal(got, "000e");
}

static void
d_rul_6_macro_present(void **state)
{
	static const struct {
		const char *in;
		int want;
	} t[] = {
		{ "", 0 },
		{ "http://x/a.cfg", 0 },
		{ "$", 0 },
		{ "$$", 0 },
		{ "a$$b$$", 0 },
		{ "$ $- $)", 0 },
		{ "$$MA", 0 },
		{ "$MA", 1 },
		{ "$1", 1 },
		{ "$NOPE", 1 },
		{ "$(", 1 },
		{ "$(MA:1:2)", 1 },
		{ "$$$MA", 1 },
		{ "x/$PSN.xml", 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(macro_present(t[i].in, strlen(t[i].in)), t[i].want);
	/* The length is honoured: the reference lies past it. */
	assert_int_equal(macro_present("ab$MA", 3), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(d_mac_1_dollar_name_maximal_run),
		cmocka_unit_test(d_mac_1_substring_offsets),
		cmocka_unit_test(d_mac_1_dollar_dollar_and_lone_dollar),
		cmocka_unit_test(d_mac_1_unknown_kept_verbatim),
		cmocka_unit_test(d_mac_1_one_level),
		cmocka_unit_test(d_mac_1_appends_to_out),
		cmocka_unit_test(d_mac_1_embedded_nul_passes),
		cmocka_unit_test(d_mac_1_syntax_errors),
		cmocka_unit_test(d_mac_1_syntax_error_without_diag),
		cmocka_unit_test(d_mac_1_name_bound),
		cmocka_unit_test(d_mac_2_flags_reach_lookup),
		cmocka_unit_test(d_mac_1_lookup_error_propagates),
		cmocka_unit_test(d_mac_1_output_cap),
		cmocka_unit_test(d_rul_6_macro_present),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
