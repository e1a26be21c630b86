/*
 * Unit tests of server/rollout: whose upgrade message a syslog record is
 * (rollout_attribute: the collector's column, the MAC in the text, the
 * source address only when it is one device's alone; never a hex run that
 * is not one of the rollout's devices), and which versions an image may
 * carry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "rollout.h"

static char macs[3][13] = { "0011223344c1", "0011223344c2", "00aabbccddee" };

static void
attribute_by_text_and_column(void **state)
{
	char addrs[3][64] = { "", "", "" };

	(void)state;
	assert_int_equal(rollout_attribute(NULL, "CP-8841-3PCC 00:11:22:33:44:c2 -- Upgrade "
					   "failed: sha256 mismatch", "10.0.0.9:514", macs, addrs,
					   3), 1);
	assert_int_equal(rollout_attribute("", "x 00-AA-BB-CC-DD-EE y", NULL, macs, addrs, 3), 2);
	assert_int_equal(rollout_attribute(NULL, "mac=0011223344C1:", NULL, macs, addrs, 3), 0);
	/* Inside a longer hex run, or separators mixed: not that MAC. */
	assert_int_equal(rollout_attribute(NULL, "a0011223344c1", NULL, macs, addrs, 3), -1);
	assert_int_equal(rollout_attribute(NULL, "0011223344c1f", NULL, macs, addrs, 3), -1);
	assert_int_equal(rollout_attribute(NULL, "00:11-22:33:44:c1", NULL, macs, addrs, 3), -1);
	/* A MAC that is not one of the rollout's devices is nobody's. */
	assert_int_equal(rollout_attribute(NULL, "00:11:22:33:44:c9 -- Successful upgrade", NULL,
					   macs, addrs, 3), -1);
	/* The collector's attribution wins, and may name another device. */
	assert_int_equal(rollout_attribute("0011223344c2", "00:11:22:33:44:c1", NULL, macs, addrs,
					   3), 1);
	assert_int_equal(rollout_attribute("001122334499", "00:11:22:33:44:c1", NULL, macs, addrs,
					   3), -1);
}

static void
attribute_by_address(void **state)
{
	char addrs[3][64] = { "10.0.0.1", "10.0.0.2", "10.0.0.2" };

	(void)state;
	assert_int_equal(rollout_attribute(NULL, "Successful upgrade", "10.0.0.1:514", macs, addrs,
					   3), 0);
	/* Two devices behind one address (NAT): nobody's. */
	assert_int_equal(rollout_attribute(NULL, "Successful upgrade", "10.0.0.2:514", macs, addrs,
					   3), -1);
	assert_int_equal(rollout_attribute(NULL, "Successful upgrade", "10.0.0.3:514", macs, addrs,
					   3), -1);
	assert_int_equal(rollout_attribute(NULL, "Successful upgrade", "[::1]:514", macs, addrs,
					   3), -1);
}

static void
versions(void **state)
{
	(void)state;
	assert_true(rollout_version_ok("sip88xx.12-0-1MPP-1"));
	assert_true(rollout_version_ok("v_1"));
	assert_false(rollout_version_ok(""));
	assert_false(rollout_version_ok("../x"));
	assert_false(rollout_version_ok(".hidden"));
	assert_false(rollout_version_ok("-rf"));
	assert_false(rollout_version_ok("a/b"));
	assert_false(rollout_version_ok("a b"));
	assert_false(rollout_version_ok("12345678901234567890123456789012345678901234567890"
					"123456789012345"));
	assert_string_equal(rollout_dev_name(ROLLOUT_NOT_OFFERED), "not offered");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(attribute_by_text_and_column),
		cmocka_unit_test(attribute_by_address),
		cmocka_unit_test(versions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
