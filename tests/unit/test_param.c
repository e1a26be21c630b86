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

/* The catalogue: at least 1,000 families, the engine's rows win, each
 * catalogue row has a Tab/Section group and its products. */
static void
catalogue_rows(void **state)
{
	long idx;

	(void)state;
	assert_true(catalog_rows >= 1000);
	for (size_t r = 0; r < catalog_rows; r++) {
		assert_non_null(strchr(catalog_table[r].group, '/'));
		assert_non_null(catalog_table[r].products);
	}
	/* Profile_Rule is in both: the engine's row (a rule, not a string). */
	idx = find("Profile_Rule");
	assert_true(idx >= 0);
	assert_int_equal(param_def((size_t)idx, NULL)->type, PT_RULE);
	assert_null(param_def((size_t)idx, NULL)->products);
	/* Catalogue names, indexed per line, per key expansion module and key. */
	assert_true(find("Enable_Web_Server") >= 0);
	assert_true(find("SIP_Port_16_") >= 0);
	assert_int_equal(find("SIP_Port_17_"), -1);
	assert_true(find("Unit_3_Key_40_") >= 0);
	assert_int_equal(find("Unit_4_Key_1_"), -1);
	/* Numbers that are part of a name are not indexes. */
	assert_true(find("TR_069_ACS_URL") >= 0);
	assert_true(find("RFC_2543_Call_Hold") >= 0);
}

/* SPA-era names are aliases: the same instance as the MPP name. */
static void
aliases_are_the_same_instance(void **state)
{
	(void)state;
	assert_true(find("Admin_Password") >= 0);
	assert_int_equal(find("Admin_Passwd"), find("Admin_Password"));
	assert_int_equal(find("Log_Resync_Request_Msg"), find("Log_Request_Msg"));
	assert_int_equal(find("Log_Resync_Success_Msg"), find("Log_Success_Msg"));
	assert_int_equal(find("Log_Resync_Failure_Msg"), find("Log_Failure_Msg"));
	assert_string_equal(param_name((size_t)find("Admin_Passwd")), "Admin_Password");
	assert_true(param_secret((size_t)find("Admin_Passwd")));
}

/* Lines and keys per product; an unknown product gets the largest. */
static void
lines_per_product(void **state)
{
	const struct param_product *p8841 = param_product("8841");
	const struct param_product *p9861 = param_product("9861");
	const struct param_product *other = param_product("0000");

	(void)state;
	assert_int_equal(p8841->lines, 10);
	assert_int_equal(p8841->kem_units, 0);
	assert_int_equal(p9861->lines, 16);
	assert_int_equal(other->lines, PARAM_MAX_LINES);
	assert_true(param_on_product((size_t)find("User_ID_10_"), p8841));
	assert_false(param_on_product((size_t)find("User_ID_11_"), p8841));
	assert_true(param_on_product((size_t)find("User_ID_16_"), p9861));
	assert_false(param_on_product((size_t)find("Unit_1_Key_1_"), p8841));
	assert_true(param_on_product((size_t)find("Unit_3_Key_40_"), p9861));
	assert_true(param_on_product((size_t)find("GPP_A"), p8841));
	assert_true(param_on_product((size_t)find("Unit_3_Key_40_"), other));
}

/* "Did you mean": the nearest name within two edits (one for short
 * names), a swap of neighbours being one edit. */
static void
nearest_names(void **state)
{
	static const struct {
		const char *typo, *want;
	} cases[] = {
		{ "Resync_Periodc", "Resync_Periodic" },
		{ "Resync_Peroidic", "Resync_Periodic" },
		{ "Profile_Rule_E", "Profile_Rule_B" },
		{ "Enable_Web_Sever", "Enable_Web_Server" },
		{ "user_id_1_", NULL },
		{ "Totally_Unheard_Of_Name", NULL },
		{ "GPP", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = param_nearest(cases[i].typo, strlen(cases[i].typo));

		if (cases[i].want == NULL)
			assert_null(got);
		else
			assert_string_equal(got, cases[i].want);
	}
}

/* Catalogue types: ranges and choices are checked; int? takes "". */
static void
catalogue_values(void **state)
{
	const char *canon;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(param_check((size_t)find("SIP_Port_1_"), "5061", 4, &canon, &d), PROV_OK);
	assert_int_equal(param_check((size_t)find("SIP_Port_1_"), "", 0, &canon, &d), PROV_OK);
	assert_int_equal(param_check((size_t)find("SIP_Port_1_"), "65536", 5, &canon, &d),
			 PROV_E_INVAL);
	assert_int_equal(param_check((size_t)find("Enable_Web_Server"), "", 0, &canon, &d),
			 PROV_E_INVAL);
	assert_int_equal(param_check((size_t)find("IP_Mode"), "dual mode", 9, &canon, &d),
			 PROV_OK);
	assert_string_equal(canon, "Dual Mode");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(d_par_1_every_instance_is_indexed),
		cmocka_unit_test(catalogue_rows),
		cmocka_unit_test(aliases_are_the_same_instance),
		cmocka_unit_test(lines_per_product),
		cmocka_unit_test(nearest_names),
		cmocka_unit_test(catalogue_values),
		cmocka_unit_test(d_par_6_defaults),
		cmocka_unit_test(d_par_2_defaults_are_valid),
		cmocka_unit_test(d_par_5_secrets),
		cmocka_unit_test(d_par_3_message_names_parameter_and_value),
		cmocka_unit_test(d_par_6_level_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
