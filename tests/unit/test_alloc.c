/*
 * Allocation-failure runs (STYLE.md; curl's runtests -t, SQLite's malloc
 * tests): every allocation libprov makes in a parse, an apply, a set and an
 * expansion is made to fail in turn. Each run must end in success or
 * PROV_E_NOMEM, never a crash or a leak (ASan checks), and a failed apply
 * or set must leave the device exactly as it was.
 *
 * The test executable is linked with -Wl,--wrap for malloc, calloc,
 * realloc and strdup (tests/CMakeLists.txt), which redirects the calls made
 * by libprov's own objects; allocations inside shared libraries (expat,
 * SQLite, libc) are not counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov/prov.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static long alloc_countdown = -1; /* -1: never fail; 0: fail this one */
static long alloc_seen;

static int
alloc_fails(void)
{
	alloc_seen++;
	if (alloc_countdown < 0)
		return 0;
	return alloc_countdown-- == 0;
}

void *
__wrap_malloc(size_t n)
{
	return alloc_fails() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t m)
{
	return alloc_fails() ? NULL : __real_calloc(n, m);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : __real_realloc(p, n);
}

char *
__wrap_strdup(const char *s)
{
	return alloc_fails() ? NULL : __real_strdup(s);
}

static const struct prov_identity ident = { .mac = "000e08abcdef" };

static const char profile_xml[] =
	"<?xml version=\"1.0\"?>\n<flat-profile>\n"
	"<GPP_A ua=\"rw\">12345678</GPP_A>\n<GPP_B>ABCD</GPP_B>\n"
	"<Resync_Periodic>600, 1200 ,300</Resync_Periodic>\n"
	"<Profile_Rule>( $SWVER lt 12 )? [--key \"k $SA\"] tftp://192.0.2.1/$MA.cfg</Profile_Rule>\n"
	"<Resync_Trigger_1>$UPGTMR gt 300 and $PRVTMR ge 600</Resync_Trigger_1>\n"
	"<Unknown_One>1</Unknown_One><Resync_On_Reset>bogus</Resync_On_Reset>\n"
	"</flat-profile>\n";

static const char profile_txt[] =
	"# legacy\nGPP_C ! \"c\" ;\nLine_Enable[2] ? \"no\" ;\nTypo_Name \"x\" ;\n";

/* A fingerprint of everything apply may change. */
static char *
snapshot(struct prov_device *dev)
{
	static const char *const names[] = {
		"GPP_A", "GPP_B", "GPP_C", "Resync_Periodic", "Profile_Rule",
		"Resync_Trigger_1", "Line_Enable_2_", "Resync_On_Reset",
	};
	char *out = __real_malloc(8192);
	size_t k = 0;

	assert_non_null(out);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *v = NULL;
		enum prov_ua ua;
		long saved = alloc_countdown;

		alloc_countdown = -1;
		assert_int_equal(prov_device_get(dev, names[i], PROV_SHOW_SECRETS, &v), PROV_OK);
		assert_int_equal(prov_device_get_ua(dev, names[i], &ua), PROV_OK);
		k += (size_t)snprintf(out + k, 8192 - k, "%s=%s/%d;", names[i], v, (int)ua);
		free(v);
		alloc_countdown = saved;
	}
	k += (size_t)snprintf(out + k, 8192 - k, "unknown=%zu", prov_device_unknown_count(dev));
	return out;
}

/* Runs op with the n-th allocation failing, for n = 0, 1, ... until an
 * op completes without an injected failure. A run that reports success
 * must have done exactly what a run without failures does. */
static void
each_failure(enum prov_err (*op)(struct prov_device *, const char *), const char *text)
{
	struct prov_device *ref = prov_device_new(&ident, NULL);
	char *want;

	assert_non_null(ref);
	assert_int_equal(prov_device_set(ref, "GPP_B", "before", 0), PROV_OK);
	assert_int_equal(op(ref, text), PROV_OK);
	want = snapshot(ref);
	prov_device_free(ref);
	for (long n = 0;; n++) {
		struct prov_device *dev;
		enum prov_err rc;
		char *before, *after;

		alloc_countdown = -1;
		dev = prov_device_new(&ident, NULL);
		assert_non_null(dev);
		assert_int_equal(prov_device_set(dev, "GPP_B", "before", 0), PROV_OK);
		before = snapshot(dev);
		alloc_seen = 0;
		alloc_countdown = n;
		rc = op(dev, text);
		alloc_countdown = -1;
		if (rc != PROV_OK && rc != PROV_E_NOMEM)
			fail_msg("allocation %ld failing gave %s", n, prov_strerror(rc));
		after = snapshot(dev);
		if (rc == PROV_E_NOMEM && strcmp(before, after) != 0)
			fail_msg("allocation %ld failing changed the device:\n%s\n%s", n, before, after);
		if (rc == PROV_OK && strcmp(want, after) != 0)
			fail_msg("allocation %ld failing, yet success, gave:\n%s\nnot:\n%s", n, after, want);
		free(before);
		free(after);
		prov_device_free(dev);
		if (alloc_seen <= n) /* no allocation was failed: done */
			break;
	}
	free(want);
}

static enum prov_err
op_parse_apply(struct prov_device *dev, const char *text)
{
	struct prov_profile *p = NULL;
	struct prov_apply_result r;
	char msg[256];
	enum prov_err rc = prov_profile_parse("t", text, strlen(text), 0, &p, msg, sizeof(msg));

	if (rc != PROV_OK)
		return rc;
	rc = prov_device_apply(dev, p, &r, NULL, NULL);
	prov_profile_free(p);
	return rc;
}

static enum prov_err
op_set_many(struct prov_device *dev, const char *text)
{
	const char *names[] = { "GPP_A", "Profile_Rule", "Resync_Trigger_2", "GPP_B" };
	const char *values[] = { text, "[--uid u --pwd p] https://h/$MA", "$A eq \"x\"", "after" };

	return prov_device_set_many(dev, names, values, 4, 0);
}

static enum prov_err
op_expand_eval(struct prov_device *dev, const char *text)
{
	char *out = NULL;
	int result;
	enum prov_err rc = prov_expand(dev, text, PROV_EXPAND_SECRETS, &out);

	free(out);
	if (rc != PROV_OK)
		return rc;
	return prov_eval(dev, "$(MA:0:6) eq \"000e08\" and $SWVER ge 11-3-1MPP", &result);
}

/* The same with a state directory: after a failed apply, a fresh open of
 * the directory shows the old state; after a successful one, the new. */
static void
alloc_parse_apply_persistent(void **state)
{
	char tmpl[] = "/tmp/prov-alloc-XXXXXX";
	char *dir = mkdtemp(tmpl), sub[256], cmd[300], msg[256];
	char *want = NULL;

	(void)state;
	assert_non_null(dir);
	for (long n = -1;; n++) {
		struct prov_device *dev = NULL, *again = NULL;
		enum prov_err rc;
		char *before, *after;

		alloc_countdown = -1;
		snprintf(sub, sizeof(sub), "%s/%ld", dir, n + 1);
		assert_int_equal(prov_device_create(sub, &ident, &dev, msg, sizeof(msg)), PROV_OK);
		assert_int_equal(prov_device_set(dev, "GPP_B", "before", 0), PROV_OK);
		before = snapshot(dev);
		alloc_seen = 0;
		alloc_countdown = n; /* n = -1: the reference run, no failure */
		rc = op_parse_apply(dev, profile_xml);
		alloc_countdown = -1;
		prov_device_free(dev);
		assert_int_equal(prov_device_open(sub, &again, msg, sizeof(msg)), PROV_OK);
		after = snapshot(again);
		prov_device_free(again);
		if (n < 0) {
			assert_int_equal(rc, PROV_OK);
			want = after;
			free(before);
			continue;
		}
		if (rc != PROV_OK && rc != PROV_E_NOMEM)
			fail_msg("allocation %ld failing gave %s", n, prov_strerror(rc));
		if (rc == PROV_E_NOMEM && strcmp(before, after) != 0)
			fail_msg("allocation %ld failing changed the stored state:\n%s\n%s", n, before, after);
		if (rc == PROV_OK && strcmp(want, after) != 0)
			fail_msg("allocation %ld failing, yet success, stored:\n%s\nnot:\n%s", n, after, want);
		free(before);
		free(after);
		if (alloc_seen <= n)
			break;
	}
	free(want);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
alloc_parse_apply_xml(void **state)
{
	(void)state;
	each_failure(op_parse_apply, profile_xml);
}

static void
alloc_parse_apply_legacy(void **state)
{
	(void)state;
	each_failure(op_parse_apply, profile_txt);
}

static void
alloc_set_many(void **state)
{
	(void)state;
	each_failure(op_set_many, "value-a");
}

static void
alloc_expand_eval(void **state)
{
	(void)state;
	each_failure(op_expand_eval, "$MA/$(MAC:3:5)/$SA/$VERSION/$NOPE/$$");
}

/* RFC 8188 aes128gcm (D-ENC-6) packed and unpacked with each allocation
 * failing in turn: success (then the right bytes) or PROV_E_NOMEM. */
static void
alloc_aes128gcm(void **state)
{
	void *packed = NULL;
	size_t plen = 0;
	char msg[256];

	(void)state;
	alloc_countdown = -1;
	assert_int_equal(prov_pack_aes128gcm(profile_xml, strlen(profile_xml), PROV_PACK_GZIP,
					     "ikm", "k1", 64, &packed, &plen, msg, sizeof(msg)),
			 PROV_OK);
	for (long n = 0;; n++) {
		void *p2 = NULL, *out = NULL;
		size_t l2 = 0, olen = 0;
		unsigned layers = 0;
		enum prov_err rp, ru;

		alloc_seen = 0;
		alloc_countdown = n;
		rp = prov_pack_aes128gcm(profile_xml, strlen(profile_xml), PROV_PACK_GZIP, "ikm",
					 "k1", 64, &p2, &l2, msg, sizeof(msg));
		ru = prov_unpack_aes128gcm(packed, plen, "ikm", "k1", 0, &out, &olen, &layers, msg,
					   sizeof(msg));
		alloc_countdown = -1;
		if ((rp != PROV_OK && rp != PROV_E_NOMEM) || (ru != PROV_OK && ru != PROV_E_NOMEM))
			fail_msg("allocation %ld failing gave %s / %s", n, prov_strerror(rp),
				 prov_strerror(ru));
		if (ru == PROV_OK) {
			assert_int_equal(olen, strlen(profile_xml));
			assert_memory_equal(out, profile_xml, olen);
		} else {
			assert_null(out);
		}
		if (rp == PROV_OK) {
			free(out);
			out = NULL;
			assert_int_equal(prov_unpack_aes128gcm(p2, l2, "ikm", "k1", 0, &out, &olen,
							       &layers, msg, sizeof(msg)), PROV_OK);
			assert_memory_equal(out, profile_xml, olen);
		}
		free(out);
		free(p2);
		if (alloc_seen <= n)
			break;
	}
	free(packed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alloc_parse_apply_xml),
		cmocka_unit_test(alloc_parse_apply_legacy),
		cmocka_unit_test(alloc_parse_apply_persistent),
		cmocka_unit_test(alloc_set_many),
		cmocka_unit_test(alloc_expand_eval),
		cmocka_unit_test(alloc_aes128gcm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
