/*
 * Unit tests of lib/delay.c: delay lists (device.md D-SCH-1) and
 * Resync_At__HHmm_ times (D-SCH-4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "delay.h"

static enum prov_err
parse(const char *s, struct delay_list *l, struct diag *d)
{
	diag_init(d);
	return delay_parse(s, strlen(s), l, d);
}

static void
expect_error(const char *s, enum prov_err code, unsigned col, const char *msg)
{
	struct delay_list l;
	struct diag d;

	assert_int_equal(parse(s, &l, &d), code);
	assert_int_equal(d.col, col);
	assert_int_equal(d.line, 1);
	if (msg != NULL)
		assert_string_equal(d.msg, msg);
	assert_int_equal(l.n, 0);
}

static void
test_d_sch_1_single(void **state)
{
	struct delay_list l;
	struct diag d;
	uint32_t secs = 7;

	(void)state;
	assert_int_equal(parse("3600", &l, &d), PROV_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.item[0].base, 3600);
	assert_int_equal(l.item[0].rand, 0);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(delay_at(&l, i, 12345, &secs), 1);
		assert_int_equal(secs, 3600);
	}
}

static void
test_d_sch_1_list_repeats_last(void **state)
{
	struct delay_list l;
	struct diag d;
	uint32_t secs;

	(void)state;
	assert_int_equal(parse("600 , 1200 , 300", &l, &d), PROV_OK);
	assert_int_equal(l.n, 3);
	assert_int_equal(delay_at(&l, 0, 0, &secs), 1);
	assert_int_equal(secs, 600);
	assert_int_equal(delay_at(&l, 1, 0, &secs), 1);
	assert_int_equal(secs, 1200);
	assert_int_equal(delay_at(&l, 2, 0, &secs), 1);
	assert_int_equal(secs, 300);
	assert_int_equal(delay_at(&l, 1000000, 0, &secs), 1);
	assert_int_equal(secs, 300);

	assert_int_equal(parse("60,120,240,480,960,1920,3840,7680,15360,30720,61440,86400",
			       &l, &d), PROV_OK);
	assert_int_equal(l.n, 12);
	assert_int_equal(l.item[11].base, 86400);
	assert_int_equal(delay_at(&l, 40, 0, &secs), 1);
	assert_int_equal(secs, 86400);
}

static void
test_d_sch_1_random(void **state)
{
	struct delay_list l;
	struct diag d;
	uint32_t secs;

	(void)state;
	assert_int_equal(parse("2400+30", &l, &d), PROV_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.item[0].base, 2400);
	assert_int_equal(l.item[0].rand, 30);
	assert_int_equal(delay_at(&l, 0, 0, &secs), 1);
	assert_int_equal(secs, 2400);
	assert_int_equal(delay_at(&l, 0, 30, &secs), 1);
	assert_int_equal(secs, 2430);
	assert_int_equal(delay_at(&l, 0, 31, &secs), 1);
	assert_int_equal(secs, 2400);
	assert_int_equal(delay_at(&l, 0, UINT64_MAX, &secs), 1);
	assert_true(secs >= 2400 && secs <= 2430);
	for (uint64_t r = 0; r < 1000; r++) {
		assert_int_equal(delay_at(&l, 3, r * 7919, &secs), 1);
		assert_true(secs >= 2400 && secs <= 2430);
	}

	assert_int_equal(parse(" 10 + 5 ,\t20+ 0 , 30 +1 ", &l, &d), PROV_OK);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.item[0].base, 10);
	assert_int_equal(l.item[0].rand, 5);
	assert_int_equal(l.item[1].base, 20);
	assert_int_equal(l.item[1].rand, 0);
	assert_int_equal(l.item[2].base, 30);
	assert_int_equal(l.item[2].rand, 1);
}

static void
test_d_sch_1_max_values(void **state)
{
	struct delay_list l;
	struct diag d;
	char text[64];
	uint32_t secs;

	(void)state;
	snprintf(text, sizeof(text), "%u+%u", BOUND_DELAY_VALUE, BOUND_DELAY_VALUE);
	assert_int_equal(parse(text, &l, &d), PROV_OK);
	assert_int_equal(delay_at(&l, 0, BOUND_DELAY_VALUE, &secs), 1);
	assert_int_equal(secs, 2 * BOUND_DELAY_VALUE);
	snprintf(text, sizeof(text), "%u", BOUND_DELAY_VALUE + 1);
	expect_error(text, PROV_E_SYNTAX, 1, NULL);
	snprintf(text, sizeof(text), "5+%u", BOUND_DELAY_VALUE + 1);
	expect_error(text, PROV_E_SYNTAX, 3, NULL);
	expect_error("1,99999999999999999999999999", PROV_E_SYNTAX, 3,
		     "delay too large (over 31536000 s)");
}

static void
test_d_sch_1_disabled(void **state)
{
	struct delay_list l;
	struct diag d;
	uint32_t secs = 42;

	(void)state;
	assert_int_equal(parse("0", &l, &d), PROV_OK);
	assert_int_equal(l.n, 0);
	assert_int_equal(delay_at(&l, 0, 0, &secs), 0);
	assert_int_equal(secs, 42);
	assert_int_equal(parse("", &l, &d), PROV_OK);
	assert_int_equal(l.n, 0);
	assert_int_equal(delay_parse(NULL, 0, &l, NULL), PROV_OK);
	assert_int_equal(l.n, 0);
	assert_int_equal(parse(" \t ", &l, &d), PROV_OK);
	assert_int_equal(l.n, 0);
	assert_int_equal(parse(" 0 ", &l, &d), PROV_OK);
	assert_int_equal(l.n, 0);
	assert_int_equal(parse("000", &l, &d), PROV_OK);
	assert_int_equal(l.n, 0);
	assert_int_equal(delay_at(&l, 5, 0, &secs), 0);
	assert_int_equal(secs, 42);
}

static void
test_d_sch_5_zero_element_stops(void **state)
{
	struct delay_list l;
	struct diag d;
	uint32_t secs = 0;

	(void)state;
	assert_int_equal(parse("60,120,0", &l, &d), PROV_OK);
	assert_int_equal(l.n, 3);
	assert_int_equal(delay_at(&l, 1, 0, &secs), 1);
	assert_int_equal(secs, 120);
	secs = 9;
	assert_int_equal(delay_at(&l, 2, 0, &secs), 0);
	assert_int_equal(delay_at(&l, 9, 0, &secs), 0);
	assert_int_equal(secs, 9);

	assert_int_equal(parse("0,60", &l, &d), PROV_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(delay_at(&l, 0, 0, &secs), 0);
	assert_int_equal(delay_at(&l, 1, 0, &secs), 1);
	assert_int_equal(secs, 60);

	assert_int_equal(parse("0+10", &l, &d), PROV_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(delay_at(&l, 0, 4, &secs), 1);
	assert_int_equal(secs, 4);
}

static void
test_d_sch_1_syntax_errors(void **state)
{
	(void)state;
	expect_error("60,,120", PROV_E_SYNTAX, 4, "empty delay");
	expect_error(",60", PROV_E_SYNTAX, 1, "empty delay");
	expect_error("60,", PROV_E_SYNTAX, 4, "empty delay");
	expect_error("60, ", PROV_E_SYNTAX, 5, "empty delay");
	expect_error("60 120", PROV_E_SYNTAX, 4, "expected ',' or '+'");
	expect_error("abc", PROV_E_SYNTAX, 1, "expected a number of seconds");
	expect_error("-5", PROV_E_SYNTAX, 1, "expected a number of seconds");
	expect_error("60+", PROV_E_SYNTAX, 4, "expected a number of seconds");
	expect_error("60++5", PROV_E_SYNTAX, 4, "expected a number of seconds");
	expect_error("60+5+5", PROV_E_SYNTAX, 5, "expected ',' or '+'");
	expect_error("1.5", PROV_E_SYNTAX, 2, "expected ',' or '+'");
	expect_error("60\n", PROV_E_SYNTAX, 3, "expected ',' or '+'");
}

static void
test_d_sch_1_too_many(void **state)
{
	char text[BOUND_DELAY_ITEMS * 3 + 8];
	struct delay_list l;
	struct diag d;
	size_t n = 0;

	(void)state;
	for (unsigned i = 0; i < BOUND_DELAY_ITEMS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s1", i ? "," : "");
	assert_int_equal(parse(text, &l, &d), PROV_OK);
	assert_int_equal(l.n, BOUND_DELAY_ITEMS);
	snprintf(text + n, sizeof(text) - n, ",2");
	assert_int_equal(parse(text, &l, &d), PROV_E_TOOBIG);
	assert_int_equal(d.col, n + 2);
	assert_int_equal(l.n, 0);
}

static int
hhmm(const char *s, unsigned *m)
{
	return delay_hhmm(s, strlen(s), m);
}

static void
test_d_sch_4_hhmm(void **state)
{
	unsigned m = 9999;

	(void)state;
	assert_int_equal(hhmm("0000", &m), 1);
	assert_int_equal(m, 0);
	assert_int_equal(hhmm("0330", &m), 1);
	assert_int_equal(m, 210);
	assert_int_equal(hhmm("2359", &m), 1);
	assert_int_equal(m, 1439);
	assert_int_equal(hhmm("2400", &m), 1);
	assert_int_equal(m, 1440);
	m = 7;
	assert_int_equal(hhmm("2401", &m), 0);
	assert_int_equal(hhmm("2500", &m), 0);
	assert_int_equal(hhmm("1260", &m), 0);
	assert_int_equal(hhmm("330", &m), 0);
	assert_int_equal(hhmm("03300", &m), 0);
	assert_int_equal(hhmm("", &m), 0);
	assert_int_equal(hhmm("03:3", &m), 0);
	assert_int_equal(hhmm(" 330", &m), 0);
	assert_int_equal(hhmm("-330", &m), 0);
	assert_int_equal(m, 7);
	assert_int_equal(delay_hhmm("1200xyz", 4, &m), 1);
	assert_int_equal(m, 720);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_d_sch_1_single),
		cmocka_unit_test(test_d_sch_1_list_repeats_last),
		cmocka_unit_test(test_d_sch_1_random),
		cmocka_unit_test(test_d_sch_1_max_values),
		cmocka_unit_test(test_d_sch_1_disabled),
		cmocka_unit_test(test_d_sch_5_zero_element_stops),
		cmocka_unit_test(test_d_sch_1_syntax_errors),
		cmocka_unit_test(test_d_sch_1_too_many),
		cmocka_unit_test(test_d_sch_4_hhmm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
