/*
 * Unit tests of the device and its persistence (device.c, state.c,
 * fsutil.c). device.md D-PAR-3..5, D-PRO-4, D-MAC-2, D-PER-1;
 * reliability.md R-CRASH.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "device.h"
#include "vars.h"
#include "fsutil.h"
#include "param.h"
#include "profile.h"
#include "prov/prov.h"

static struct prov_profile *
parse(const char *text)
{
	struct prov_profile *p = NULL;
	char msg[256];

	if (prov_profile_parse("test", text, strlen(text), 0, &p, msg, sizeof(msg)) != PROV_OK)
		fail_msg("parse: %s", msg);
	return p;
}

static char *
get(struct prov_device *dev, const char *name)
{
	char *v = NULL;

	assert_int_equal(prov_device_get(dev, name, PROV_SHOW_SECRETS, &v), PROV_OK);
	return v;
}

static void
assert_value(struct prov_device *dev, const char *name, const char *want)
{
	char *v = get(dev, name);

	if (strcmp(v, want) != 0)
		fail_msg("%s: got '%s', want '%s'", name, v, want);
	free(v);
}

static void
expand_is(struct prov_device *dev, const char *text, const char *want)
{
	char *out = NULL;

	assert_int_equal(prov_expand(dev, text, 0, &out), PROV_OK);
	if (strcmp(out, want) != 0)
		fail_msg("expand '%s': got '%s', want '%s'", text, out, want);
	free(out);
}

/* D-MAC-2: identity variables, derived defaults and $VERSION (D-RUL-7). */
static void
d_mac_2_identity_variables(void **state)
{
	enum prov_err err;
	struct prov_device *dev = prov_device_new(&test_ident, &err);

	(void)state;
	assert_non_null(dev);
	expand_is(dev, "$MA|$MAU|$MAC", "000e08abcdef|000E08ABCDEF|00:0e:08:ab:cd:ef");
	expand_is(dev, "$PN $PSN $SN", "CP-8841-3PCC 8841 88012BA01234");
	expand_is(dev, "$SWVER $HWVER", "sip88xx.11-3-1MPP-123 1");
	expand_is(dev, "$VERSION ($MA)", "Cisco-CP-8841-3PCC/11.3.1 (000e08abcdef)");
	expand_is(dev, "$CCERT", "Not Installed");
	expand_is(dev, "[$PRVST][$ERR]", "[][]");
	expand_is(dev, "$NOSUCH", "$NOSUCH");
	assert_int_equal(vars_runtime_set(dev, "SCHEME", "tftp"), PROV_OK);
	expand_is(dev, "$METH $SCHEME", "tftp tftp");
	prov_device_free(dev);
}

static void
d_mac_2_gpp_and_uid(void **state)
{
	struct prov_device *dev = prov_device_new(&test_ident, NULL);
	char *out = NULL;

	(void)state;
	assert_int_equal(prov_device_set(dev, "GPP_B", "Dj6Lmp23Q", 0), PROV_OK);
	assert_int_equal(prov_device_set(dev, "GPP_SA", "topsecret", 0), PROV_OK);
	assert_int_equal(prov_device_set(dev, "User_ID_2_", "1002", 0), PROV_OK);
	/* The seed's example URL. */
	expand_is(dev, "tftp://prov.telco.com/cisco/$B/$MA.cfg",
		  "tftp://prov.telco.com/cisco/Dj6Lmp23Q/000e08abcdef.cfg");
	expand_is(dev, "$UID2/$UID1/$UID11", "1002//$UID11");
	/* $SA only inside option arguments. */
	expand_is(dev, "$SA", "$SA");
	assert_int_equal(prov_expand(dev, "$SA", PROV_EXPAND_SECRETS, &out), PROV_OK);
	assert_string_equal(out, "topsecret");
	free(out);
	prov_device_free(dev);
}

static void
d_par_2_identity_validation(void **state)
{
	struct prov_identity bad = test_ident;
	enum prov_err err;

	(void)state;
	bad.mac = "00:0e:08:ab:cd";
	assert_null(prov_device_new(&bad, &err));
	assert_int_equal(err, PROV_E_INVAL);
	bad.mac = "00:0e:08:ab:cd:eg";
	assert_null(prov_device_new(&bad, &err));
	bad = test_ident;
	bad.product = "CP 8841";
	assert_null(prov_device_new(&bad, &err));
	assert_int_equal(err, PROV_E_INVAL);
}

/* D-PAR-3: a bad value is refused and the old value stays. */
static void
d_par_3_set_rejects_and_keeps(void **state)
{
	struct prov_device *dev = prov_device_new(&test_ident, NULL);

	(void)state;
	assert_int_equal(prov_device_set(dev, "Resync_Periodic", "30", 0), PROV_OK);
	assert_int_equal(prov_device_set(dev, "Resync_Periodic", "soon", 0), PROV_E_INVAL);
	assert_non_null(strstr(prov_device_errmsg(dev), "Resync_Periodic"));
	assert_value(dev, "Resync_Periodic", "30");
	assert_int_equal(prov_device_set(dev, "Provision_Enable", "no", 0), PROV_OK);
	assert_value(dev, "Provision_Enable", "No");
	assert_int_equal(prov_device_set(dev, "No_Such", "1", 0), PROV_E_UNKNOWN);
	prov_device_free(dev);
}

/* Several values: all or none. */
static void
d_par_3_set_many_all_or_nothing(void **state)
{
	struct prov_device *dev = prov_device_new(&test_ident, NULL);
	const char *names[] = { "GPP_A", "Resync_Random_Delay", "GPP_B" };
	const char *good[] = { "a", "5", "b" };
	const char *bad[] = { "x", "99999999", "y" };

	(void)state;
	assert_int_equal(prov_device_set_many(dev, names, good, 3, 0), PROV_OK);
	assert_int_equal(prov_device_set_many(dev, names, bad, 3, 0), PROV_E_INVAL);
	assert_value(dev, "GPP_A", "a");
	assert_value(dev, "GPP_B", "b");
	prov_device_free(dev);
}

/* D-PAR-5: secrets are masked unless explicitly asked for. */
static void
d_par_5_secrets_masked(void **state)
{
	struct prov_device *dev = prov_device_new(&test_ident, NULL);
	char *v = NULL;

	(void)state;
	assert_int_equal(prov_device_get(dev, "Password_1_", 0, &v), PROV_OK);
	assert_string_equal(v, "");
	free(v);
	assert_int_equal(prov_device_set(dev, "Password_1_", "hunter2", 0), PROV_OK);
	assert_int_equal(prov_device_get(dev, "Password_1_", 0, &v), PROV_OK);
	assert_string_equal(v, "********");
	free(v);
	assert_value(dev, "Password_1_", "hunter2");
	assert_true(prov_param_is_secret("GPP_SD"));
	prov_device_free(dev);
}

/* D-PAR-1: ua restricts the user, never the admin. */
static void
d_par_1_user_access(void **state)
{
	struct prov_device *dev = prov_device_new(&test_ident, NULL);
	struct prov_profile *p;
	struct prov_apply_result r;
	enum prov_ua ua;
	char *v = NULL;

	(void)state;
	p = parse("<flat-profile><GPP_A ua=\"rw\">1</GPP_A><GPP_B ua=\"ro\">2</GPP_B>"
		  "<GPP_C ua=\"na\">3</GPP_C></flat-profile>");
	assert_int_equal(prov_device_apply(dev, p, &r, NULL, NULL), PROV_OK);
	prov_profile_free(p);
	assert_int_equal(prov_device_set(dev, "GPP_A", "u", PROV_AS_USER), PROV_OK);
	assert_int_equal(prov_device_set(dev, "GPP_B", "u", PROV_AS_USER), PROV_E_DENIED);
	assert_int_equal(prov_device_get(dev, "GPP_B", PROV_AS_USER, &v), PROV_OK);
	free(v);
	assert_int_equal(prov_device_get(dev, "GPP_C", PROV_AS_USER, &v), PROV_E_DENIED);
	assert_int_equal(prov_device_set(dev, "GPP_C", "admin", 0), PROV_OK);
	assert_int_equal(prov_device_get_ua(dev, "GPP_B", &ua), PROV_OK);
	assert_int_equal(ua, PROV_UA_RO);
	prov_device_free(dev);
}

struct issues {
	int unknown, rejected;
	char last[256];
};

static void
collect(void *arg, const struct prov_issue *is)
{
	struct issues *c = arg;

	if (is->error)
		c->rejected++;
	else
		c->unknown++;
	snprintf(c->last, sizeof(c->last), "%u:%u %s", is->line, is->col, is->message);
}

/* D-PRO-4 (last wins, untouched stay), D-PRO-2 (self-closing keeps the
 * value), D-PAR-3 (rejected counted), D-PAR-4 (unknown kept). */
static void
d_pro_4_apply_semantics(void **state)
{
	struct prov_device *dev = prov_device_new(&test_ident, NULL);
	struct prov_apply_result r;
	struct issues is = { 0, 0, "" };
	struct prov_profile *p;
	enum prov_ua ua;

	(void)state;
	assert_int_equal(prov_device_set(dev, "GPP_D", "untouched", 0), PROV_OK);
	assert_int_equal(prov_device_set(dev, "GPP_E", "keep", 0), PROV_OK);
	p = parse("<flat-profile>\n"
		  "<GPP_A>first</GPP_A>\n"
		  "<GPP_A>second</GPP_A>\n"
		  "<GPP_E ua=\"rw\"/>\n"
		  "<Resync_On_Reset>perhaps</Resync_On_Reset>\n"
		  "<Resync_Periodc>30</Resync_Periodc>\n"
		  "<Provision_Enable>yes</Provision_Enable>\n"
		  "</flat-profile>");
	assert_int_equal(prov_device_apply(dev, p, &r, collect, &is), PROV_OK);
	prov_profile_free(p);
	assert_value(dev, "GPP_A", "second");
	assert_value(dev, "GPP_D", "untouched");
	assert_value(dev, "GPP_E", "keep");
	assert_value(dev, "Resync_On_Reset", "Yes");
	assert_int_equal(prov_device_get_ua(dev, "GPP_E", &ua), PROV_OK);
	assert_int_equal(ua, PROV_UA_RW);
	assert_int_equal(r.rejected, 1);
	assert_int_equal(r.unknown, 1);
	assert_int_equal(r.changed, 2); /* GPP_A, and GPP_E's access level */
	assert_int_equal(r.unchanged, 1); /* Provision_Enable: Yes already */
	assert_int_equal(is.rejected, 1);
	assert_int_equal(is.unknown, 1);
	assert_string_equal(is.last, "6:1 unknown parameter 'Resync_Periodc' (did you mean 'Resync_Periodic'?)");
	assert_int_equal(prov_device_unknown_count(dev), 1);
	assert_string_equal(prov_device_unknown_name(dev, 0), "Resync_Periodc");
	prov_device_free(dev);
}

static void
d_pro_lint_reports_without_device(void **state)
{
	struct issues is = { 0, 0, "" };
	struct prov_profile *p;

	(void)state;
	p = parse("<flat-profile><GPP_A>1</GPP_A><Bogus>1</Bogus>"
		  "<Resync_Random_Delay>-3</Resync_Random_Delay></flat-profile>");
	assert_int_equal(prov_profile_lint(p, collect, &is), 2);
	assert_int_equal(is.unknown, 1);
	assert_int_equal(is.rejected, 1);
	prov_profile_free(p);
}

/* D-PER-1: values, access levels, unknown names and identity survive a
 * reopen; a second device cannot be created over the first. */
static void
d_per_1_persists(void **state)
{
	char *dir = test_tmpdir(), sub[512];
	struct prov_device *dev = NULL, *again = NULL;
	struct prov_profile *p;
	enum prov_ua ua;
	char msg[256];

	(void)state;
	snprintf(sub, sizeof(sub), "%s/phone", dir);
	assert_int_equal(prov_device_create(sub, &test_ident, &dev, msg, sizeof(msg)), PROV_OK);
	p = parse("<flat-profile><GPP_A ua=\"ro\">12345678</GPP_A><Typo_Name>1</Typo_Name>"
		  "<Password_2_>pw</Password_2_></flat-profile>");
	assert_int_equal(prov_device_apply(dev, p, NULL, NULL, NULL), PROV_OK);
	prov_profile_free(p);
	prov_device_free(dev);

	assert_int_equal(prov_device_create(sub, &test_ident, &again, msg, sizeof(msg)), PROV_E_EXISTS);
	assert_null(again);
	assert_int_equal(prov_device_open(sub, &dev, msg, sizeof(msg)), PROV_OK);
	assert_value(dev, "GPP_A", "12345678");
	assert_value(dev, "Password_2_", "pw");
	assert_value(dev, "Resync_Periodic", "3600");
	assert_int_equal(prov_device_get_ua(dev, "GPP_A", &ua), PROV_OK);
	assert_int_equal(ua, PROV_UA_RO);
	assert_int_equal(prov_device_unknown_count(dev), 1);
	assert_string_equal(prov_device_identity(dev, "MAC"), "00:0e:08:ab:cd:ef");
	assert_string_equal(prov_device_identity(dev, "SN"), "88012BA01234");
	prov_device_free(dev);

	snprintf(sub, sizeof(sub), "%s/none", dir);
	assert_int_equal(prov_device_open(sub, &dev, msg, sizeof(msg)), PROV_E_NOTFOUND);
	test_rmtree(dir);
	free(dir);
}

/* A process sees another process's committed change (D-PER-1, locking). */
static void
d_per_1_two_handles_see_each_other(void **state)
{
	char *dir = test_tmpdir();
	struct prov_device *a = NULL, *b = NULL;
	char msg[256];

	(void)state;
	assert_int_equal(prov_device_create(dir, &test_ident, &a, msg, sizeof(msg)), PROV_OK);
	assert_int_equal(prov_device_open(dir, &b, msg, sizeof(msg)), PROV_OK);
	assert_int_equal(prov_device_set(a, "GPP_A", "from-a", 0), PROV_OK);
	assert_value(b, "GPP_A", "from-a");
	assert_int_equal(prov_device_set(b, "GPP_B", "from-b", 0), PROV_OK);
	assert_value(a, "GPP_B", "from-b");
	assert_value(a, "GPP_A", "from-a");
	prov_device_free(a);
	prov_device_free(b);
	test_rmtree(dir);
	free(dir);
}

/* A profile that sets GPP_A..GPP_P all to the same generation number. */
static struct prov_profile *
generation(unsigned long gen)
{
	char text[2048];
	size_t k = (size_t)snprintf(text, sizeof(text), "<flat-profile>");

	for (char c = 'A'; c <= 'P'; c++)
		k += (size_t)snprintf(text + k, sizeof(text) - k, "<GPP_%c>%lu</GPP_%c>", c, gen, c);
	snprintf(text + k, sizeof(text) - k, "</flat-profile>");
	return parse(text);
}

/* All sixteen values equal: the state holds one whole generation. */
static unsigned long
generation_of(const char *dir)
{
	struct prov_device *dev = NULL;
	char msg[256], name[] = "GPP_A";
	unsigned long gen = 0;

	assert_int_equal(prov_device_open(dir, &dev, msg, sizeof(msg)), PROV_OK);
	for (char c = 'A'; c <= 'P'; c++) {
		char *v;
		unsigned long g;

		name[4] = c;
		v = get(dev, name);
		g = strtoul(v, NULL, 10);
		if (c == 'A')
			gen = g;
		else if (g != gen)
			fail_msg("mixed state: GPP_A=%lu but %s=%lu", gen, name, g);
		free(v);
	}
	prov_device_free(dev);
	return gen;
}

static void
apply_forever(const char *dir, unsigned long start, unsigned long step)
{
	struct prov_device *dev = NULL;
	char msg[256];

	if (prov_device_open(dir, &dev, msg, sizeof(msg)) != PROV_OK)
		_exit(3);
	for (unsigned long g = start;; g += step) {
		struct prov_profile *p = generation(g);

		if (prov_device_apply(dev, p, NULL, NULL, NULL) != PROV_OK)
			_exit(4);
		prov_profile_free(p);
	}
}

/* R-CRASH: kill -9 at random instants during applies; the state is always
 * one whole generation, never a mix, never older than one seen before. */
static void
d_per_1_kill9_leaves_old_or_new(void **state)
{
	char *dir = test_tmpdir();
	struct prov_device *dev = NULL;
	struct prov_profile *p;
	unsigned long last = 0;
	char msg[256];

	(void)state;
	srand((unsigned)time(NULL));
	assert_int_equal(prov_device_create(dir, &test_ident, &dev, msg, sizeof(msg)), PROV_OK);
	p = generation(0);
	assert_int_equal(prov_device_apply(dev, p, NULL, NULL, NULL), PROV_OK);
	prov_profile_free(p);
	prov_device_free(dev);
	/* 25 kills at least, and on until a writer got through (a loaded
	 * machine may need longer than the first sleeps). */
	for (int round = 0; round < 25 || (last == 0 && round < 100); round++) {
		pid_t pid = fork();
		int st;
		unsigned long g;

		assert_true(pid >= 0);
		if (pid == 0)
			apply_forever(dir, last + 1, 1);
		usleep((useconds_t)(2000 + rand() % (30000 + 5000 * round)));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFSIGNALED(st));
		g = generation_of(dir);
		assert_true(g >= last);
		last = g;
	}
	assert_true(last > 0);
	test_rmtree(dir);
	free(dir);
}

/* Two writers at once on one directory: both succeed, nothing is mixed. */
static void
d_per_1_concurrent_writers(void **state)
{
	char *dir = test_tmpdir();
	struct prov_device *dev = NULL;
	char msg[256];
	pid_t pid[2];

	(void)state;
	assert_int_equal(prov_device_create(dir, &test_ident, &dev, msg, sizeof(msg)), PROV_OK);
	prov_device_free(dev);
	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			struct prov_device *d = NULL;

			if (prov_device_open(dir, &d, msg, sizeof(msg)) != PROV_OK)
				_exit(3);
			for (unsigned long g = 0; g < 40; g++) {
				struct prov_profile *p = generation(1000 * (unsigned long)(i + 1) + g);

				if (prov_device_apply(d, p, NULL, NULL, NULL) != PROV_OK)
					_exit(4);
				prov_profile_free(p);
			}
			prov_device_free(d);
			_exit(0);
		}
	}
	for (int i = 0; i < 2; i++) {
		int st;

		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	assert_true(generation_of(dir) % 1000 == 39);
	test_rmtree(dir);
	free(dir);
}

/* D-PER-1: atomic file replacement leaves no temporary behind. */
static void
d_per_1_atomic_file_write(void **state)
{
	char *dir = test_tmpdir(), path[512];
	struct buf b;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(fsutil_write_atomic(dir, "x.pem", "old", 3, 0600, &d), PROV_OK);
	assert_int_equal(fsutil_write_atomic(dir, "x.pem", "new!", 4, 0600, &d), PROV_OK);
	snprintf(path, sizeof(path), "%s/x.pem", dir);
	buf_init(&b, 16);
	assert_int_equal(fsutil_read(path, &b, &d), PROV_OK);
	assert_string_equal(buf_str(&b), "new!");
	buf_free(&b);
	buf_init(&b, 2);
	assert_int_equal(fsutil_read(path, &b, &d), PROV_E_TOOBIG);
	buf_free(&b);
	snprintf(path, sizeof(path), "%s/.x.pem.tmp.%ld", dir, (long)getpid());
	assert_false(fsutil_exists(path));
	test_rmtree(dir);
	free(dir);
}

/* A corrupt state file is reported as such, not as a crash or as empty. */
static void
d_per_1_corrupt_state_detected(void **state)
{
	char *dir = test_tmpdir(), path[512];
	struct prov_device *dev = NULL;
	char msg[256];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/state.db", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not a database, but it is long enough to look like a header......"
	      "................................................................", f);
	fclose(f);
	assert_int_equal(prov_device_open(dir, &dev, msg, sizeof(msg)), PROV_E_CORRUPT);
	assert_null(dev);
	test_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(d_mac_2_identity_variables),
		cmocka_unit_test(d_mac_2_gpp_and_uid),
		cmocka_unit_test(d_par_2_identity_validation),
		cmocka_unit_test(d_par_3_set_rejects_and_keeps),
		cmocka_unit_test(d_par_3_set_many_all_or_nothing),
		cmocka_unit_test(d_par_5_secrets_masked),
		cmocka_unit_test(d_par_1_user_access),
		cmocka_unit_test(d_pro_4_apply_semantics),
		cmocka_unit_test(d_pro_lint_reports_without_device),
		cmocka_unit_test(d_per_1_persists),
		cmocka_unit_test(d_per_1_two_handles_see_each_other),
		cmocka_unit_test(d_per_1_kill9_leaves_old_or_new),
		cmocka_unit_test(d_per_1_concurrent_writers),
		cmocka_unit_test(d_per_1_atomic_file_write),
		cmocka_unit_test(d_per_1_corrupt_state_detected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
