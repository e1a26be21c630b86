/*
 * Unit tests of the parameter table (param.c). device.md D-PAR-1, -2, -5, -6.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "param.h"

static long
find(const char *name)
{
	return param_find(name, strlen(name));
}

/* D-PAR-1: every instance is found under its own name, per-line
 * parameters end _N_ for N = 1..16. */
static void
d_par_1_every_instance_is_indexed(void **state)
{
	(void)state;
	assert_true(param_count() > 100);
	for (size_t i = 0; i < param_count(); i++) {
		const char *n = param_name(i);

		assert_non_null(n);
		assert_int_equal(find(n), (long)i);
	}
	assert_true(find("User_ID_1_") >= 0);
	assert_true(find("User_ID_16_") >= 0);
	assert_int_equal(find("User_ID_17_"), -1);
	assert_int_equal(find("User_ID"), -1);
	assert_true(find("Resync_At__HHmm_") >= 0);
	assert_int_equal(find(""), -1);
}

/* D-PAR-6: the defaults of the seed's tables. */
static void
d_par_6_defaults(void **state)
{
	static const struct {
		const char *name, *def;
	} want[] = {
		{ "Provision_Enable", "Yes" },
		{ "Resync_On_Reset", "Yes" },
		{ "Resync_Random_Delay", "2" },
		{ "Resync_At__HHmm_", "" },
		{ "Resync_At_Random_Delay", "600" },
		{ "Resync_Periodic", "3600" },
		{ "Resync_Error_Retry_Delay",
		  "60,120,240,480,960,1920,3840,7680,15360,30720,61440,86400" },
		{ "Forced_Resync_Delay", "14400" },
		{ "Profile_Rule", "/$PSN.xml" },
		{ "Profile_Authentication_Type", "Basic Http Authentication" },
		{ "DHCP_Option_To_Use", "66,160,159,150,60,43,125" },
		{ "DHCPv6_Option_To_Use", "17,160,159" },
		{ "Log_Failure_Msg", "$PN $MAC -- Resync failed: $ERR" },
		{ "Upgrade_Error_Retry_Delay", "3600" },
		{ "Transition_Authorization_Error_Retry_Delay", "1800" },
		{ "MIC_Cert_Refresh_Enable", "No" },
		{ "MIC_Cert_Refresh_Rule", "http://sudirenewal.cisco.com/" },
		{ "Privacy_Header_7_", "Disabled" },
		{ "HTTP_User_Agent_Name", "$VERSION ($MA)" },
		{ "Syslog_Identifier", "None" },
		{ "Periodic_Upload_To_Server", "3600" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		long idx = find(want[i].name);

		assert_true(idx >= 0);
		assert_string_equal(param_def((size_t)idx, NULL)->defval, want[i].def);
	}
}

/* Every default passes its own validation: a factory device is valid. */
static void
d_par_2_defaults_are_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < param_count(); i++) {
		const struct param_def *p = param_def(i, NULL);
		const char *canon;
		struct diag d;

		diag_init(&d);
		if (param_check(i, p->defval, strlen(p->defval), &canon, &d) != PROV_OK)
			fail_msg("default of %s invalid: %s", param_name(i), d.msg);
	}
}

/* D-PAR-5: the secrets. */
static void
d_par_5_secrets(void **state)
{
	static const char *const secret[] = {
		"GPP_SA", "GPP_SB", "GPP_SC", "GPP_SD", "Admin_Password",
		"User_Password", "Password_1_", "Password_10_", "IKM_HTTP_Encrypt_Content",
	};
	static const char *const plain[] = { "GPP_A", "User_ID_1_", "Auth_ID_2_", "Profile_Rule" };

	(void)state;
	for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
		assert_true(param_secret((size_t)find(secret[i])));
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		assert_false(param_secret((size_t)find(plain[i])));
}

/* D-PAR-3: the message names the parameter and the value. */
static void
d_par_3_message_names_parameter_and_value(void **state)
{
	struct diag d;
	const char *canon;
	long idx = find("Forced_Resync_Delay");

	(void)state;
	diag_init(&d);
	assert_int_equal(param_check((size_t)idx, "70000", 5, &canon, &d), PROV_E_INVAL);
	assert_non_null(strstr(d.msg, "Forced_Resync_Delay"));
	assert_non_null(strstr(d.msg, "70000"));
	/* a NUL inside a value is never accepted */
	assert_int_equal(param_check((size_t)find("GPP_A"), "a\0b", 3, &canon, &d), PROV_E_INVAL);
}

static void
d_par_6_level_names(void **state)
{
	(void)state;
	assert_int_equal(param_level("0"), 0);
	assert_int_equal(param_level("3"), 3);
	assert_int_equal(param_level("NOTICE"), 1);
	assert_int_equal(param_level("INFO"), 2);
	assert_int_equal(param_level("DEBUG"), 3);
	assert_int_equal(param_level("ERROR"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(d_par_1_every_instance_is_indexed),
		cmocka_unit_test(d_par_6_defaults),
		cmocka_unit_test(d_par_2_defaults_are_valid),
		cmocka_unit_test(d_par_5_secrets),
		cmocka_unit_test(d_par_3_message_names_parameter_and_value),
		cmocka_unit_test(d_par_6_level_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
