/*
 * Unit tests of server/activate.c (S-OPS-5): the code's check digit, the
 * expiry forms, the exchange's form body, and redemption: single use, the
 * same refusal for unknown, used, revoked and expired codes, the code's
 * group and product over the device's word.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "activate.h"
#include "inventory.h"

static void
test_s_ops_5_check_digit(void **state)
{
	char d[ACT_DIGITS + 1];

	(void)state;
	assert_int_equal(act_code_norm("4111111111111111", d), 0);
	assert_string_equal(d, "4111111111111111");
	assert_int_equal(act_code_norm("4111-1111 1111-1111", d), 0);
	assert_string_equal(d, "4111111111111111");
	assert_int_equal(act_code_norm("4111111111111112", d), -1); /* check digit */
	assert_int_equal(act_code_norm("4111111111111121", d), -1); /* one digit changed */
	assert_int_equal(act_code_norm("1411111111111111", d), -1); /* two swapped */
	assert_int_equal(act_code_norm("411111111111111", d), -1);  /* 15 digits */
	assert_int_equal(act_code_norm("41111111111111110", d), -1);
	assert_int_equal(act_code_norm("4111x11111111111", d), -1);
	assert_int_equal(act_code_norm("", d), -1);
}

static void
test_s_ops_5_expiry(void **state)
{
	const int64_t now = 1796600000000; /* 2026-12-07 */

	(void)state;
	assert_true(act_expiry("7", now) == now + 7 * 86400000LL);
	assert_true(act_expiry("7d", now) == now + 7 * 86400000LL);
	assert_true(act_expiry("12h", now) == now + 12 * 3600000LL);
	assert_true(act_expiry("30m", now) == now + 30 * 60000LL);
	assert_true(act_expiry("2026-12-31", now) == 1798761600000LL); /* through that day */
	assert_true(act_expiry("2020-01-01", now) == -1);             /* past */
	assert_true(act_expiry("0", now) == -1);
	assert_true(act_expiry("3661d", now) == -1);
	assert_true(act_expiry("5w", now) == -1);
	assert_true(act_expiry("-1", now) == -1);
	assert_true(act_expiry("2026-13-01", now) == -1);
}

static void
test_s_ops_5_form(void **state)
{
	struct act_identity id;
	char code[64];
	const char *why = NULL;
	int has_mac;
	const char *ok = "code=4111+1111%2D1111-1111&mac=00%3A11%3A22%3A33%3A44%3A55&serial=F%20X"
		"&product=CP-8841-3PCC";

	(void)state;
	assert_int_equal(act_form_parse(ok, strlen(ok), code, &id, &has_mac, &why), 0);
	assert_string_equal(code, "4111 1111-1111-1111");
	assert_string_equal(id.mac, "001122334455");
	assert_string_equal(id.serial, "F X");
	assert_string_equal(id.product, "CP-8841-3PCC");
	assert_int_equal(has_mac, 1);
	assert_int_equal(act_form_parse("code=1", 6, code, &id, &has_mac, &why), 0);
	assert_int_equal(has_mac, 0);
	assert_int_equal(act_form_parse("mac=001122334455", 16, code, &id, &has_mac, &why), -1);
	assert_string_equal(why, "no code");
	assert_int_equal(act_form_parse("code=1&pin=2", 12, code, &id, &has_mac, &why), -1);
	assert_string_equal(why, "unknown field (expected code, mac, serial, product)");
	assert_int_equal(act_form_parse("code=1&code=2", 13, code, &id, &has_mac, &why), -1);
	assert_string_equal(why, "a field given twice");
	assert_int_equal(act_form_parse("code=%4", 7, code, &id, &has_mac, &why), -1);
	assert_string_equal(why, "truncated %-escape");
	assert_int_equal(act_form_parse("code=%0a", 8, code, &id, &has_mac, &why), -1);
	assert_string_equal(why, "control character in a value");
	assert_int_equal(act_form_parse("code", 4, code, &id, &has_mac, &why), -1);
	assert_string_equal(why, "a field without '='");
	assert_int_equal(act_form_parse("code=1&mac=xyz", 14, code, &id, &has_mac, &why), -1);
	assert_string_equal(why, "mac is not a MAC");
}

struct seen {
	unsigned n, used, revoked;
	char used_by[13];
};

static void
count_code(void *arg, const struct act_code *c)
{
	struct seen *s = arg;

	s->n++;
	s->used += c->used_ms != 0;
	s->revoked += c->revoked;
	if (c->used_ms != 0)
		memcpy(s->used_by, c->used_by, sizeof(s->used_by));
}

static void
test_s_ops_5_redeem(void **state)
{
	char path[] = "/tmp/test_activate.XXXXXX", err[256], c1[ACT_DIGITS + 1],
	     c2[ACT_DIGITS + 1], c3[ACT_DIGITS + 1], id3[16];
	struct inv *inv;
	struct inv_device d;
	struct act_identity who = { "001122334455", "FCH1", "CP-7841-3PCC" };
	struct act_identity other = { "000e08abcdef", "", "" };
	struct seen s = { 0 };
	int64_t now = act_now();
	unsigned id;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	assert_int_equal(inv_open(&inv, path, 0, err, sizeof(err)), 0);
	assert_int_equal(act_code_new(inv, "sales", "CP-8841-3PCC", now + 60000, c1, &id), 0);
	assert_int_equal(act_code_norm(c1, c2), 0); /* its own check digit holds */
	assert_int_equal(act_code_new(inv, NULL, NULL, now + 60000, c2, &id), 0);
	assert_int_equal(act_code_new(inv, NULL, NULL, now + 60000, c3, &id), 0);
	assert_string_not_equal(c1, c2);

	/* The first use enrols, in the code's group and product. */
	assert_int_equal(act_redeem(inv, c1, &who, now, &d), ACT_OK);
	assert_int_equal(inv_device_get(inv, "001122334455", &d), 1);
	assert_string_equal(d.group, "sales");
	assert_string_equal(d.product, "CP-8841-3PCC");
	assert_string_equal(d.serial, "FCH1");
	assert_int_equal(d.key_id, 1);
	/* Used, unknown, revoked and expired are the same refusal. */
	assert_int_equal(act_redeem(inv, c1, &other, now, &d), ACT_REFUSED);
	assert_int_equal(act_redeem(inv, "4111111111111111", &other, now, &d), ACT_REFUSED);
	assert_int_equal(act_redeem(inv, "1234", &other, now, &d), ACT_REFUSED);
	snprintf(id3, sizeof(id3), "%u", id);
	assert_int_equal(act_code_revoke(inv, id3), 1);
	assert_int_equal(act_code_revoke(inv, id3), 0);
	assert_int_equal(act_redeem(inv, c3, &other, now, &d), ACT_REFUSED);
	assert_int_equal(act_redeem(inv, c2, &other, now + 60000, &d), ACT_REFUSED);
	assert_int_equal(inv_device_get(inv, "000e08abcdef", &d), 0);
	/* Still valid before its expiry; the device's own product then. */
	assert_int_equal(act_redeem(inv, c2, &other, now + 59999, &d), ACT_OK);
	assert_int_equal(inv_device_get(inv, "000e08abcdef", &d), 1);
	assert_string_equal(d.group, "");
	assert_int_equal(act_code_list(inv, count_code, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.used, 2);
	assert_int_equal(s.revoked, 1);
	inv_close(inv);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s_ops_5_check_digit),
		cmocka_unit_test(test_s_ops_5_expiry),
		cmocka_unit_test(test_s_ops_5_form),
		cmocka_unit_test(test_s_ops_5_redeem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
