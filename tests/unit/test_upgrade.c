/*
 * Unit tests of the firmware upgrade's pieces (upgrade.c): the version an
 * image name gives, the image header and its SHA-256, the decision of
 * D-UPG-1 (Upgrade_Enable, same version, Downgrade_Rev_Limit, the same
 * rule/URL not attempted twice, busy lines), and installing (D-UPG-2): a
 * failed verification changes nothing, a good image records $SWVER
 * (persisted), $VERSION and the reboot reason. The download itself is
 * exercised end to end by tests/cli/upgrade.t.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device.h"
#include "upgrade.h"
#include "prov/prov.h"

/* A headered image of payload with version ver; sha256 of the payload
 * unless bad, then one bit off. Caller frees. */
static char *
image(const char *ver, const char *payload, int bad, size_t *len)
{
	unsigned char md[32];
	char hex[65], *out;
	size_t n = strlen(payload), cap = n + 256;

	SHA256((const unsigned char *)payload, n, md);
	if (bad)
		md[0] ^= 1;
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	out = malloc(cap);
	assert_non_null(out);
	*len = (size_t)snprintf(out, cap, "PROVIMG1 version=%s size=%zu sha256=%s\n%s", ver, n,
				hex, payload);
	return out;
}

static void
version_from_name(void **state)
{
	char v[UPGRADE_VERSION_MAX + 1];

	(void)state;
	assert_true(upgrade_version_of("/sip88xx.12-0-1MPP-1.loads", v, sizeof(v)));
	assert_string_equal(v, "sip88xx.12-0-1MPP-1");
	assert_true(upgrade_version_of("/img/dir/sip78xx.14-1-1MN-366.LOADS", v, sizeof(v)));
	assert_string_equal(v, "sip78xx.14-1-1MN-366");
	assert_true(upgrade_version_of("/fw/cp-8841.2-0.bin?mac=00", v, sizeof(v)));
	assert_string_equal(v, "cp-8841.2-0");
	assert_true(upgrade_version_of("/sip88xx.12-0-1MPP-1", v, sizeof(v)));
	assert_string_equal(v, "sip88xx.12-0-1MPP-1");
	/* No name, or one that cannot be a version. */
	assert_false(upgrade_version_of("/", v, sizeof(v)));
	assert_false(upgrade_version_of("/dir/", v, sizeof(v)));
	assert_false(upgrade_version_of("/a%20b\x01.loads", v, sizeof(v)));
	assert_false(upgrade_version_of("/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
					 "xxxxxxxx.loads", v, sizeof(v)));
	/* Too small an output. */
	assert_false(upgrade_version_of("/sip88xx.12-0-1MPP-1.loads", v, 8));
}

static void
image_header(void **state)
{
	struct upgrade_image img;
	struct diag d;
	size_t len;
	char *im;

	(void)state;
	diag_init(&d);
	/* No header: any non-empty bytes. */
	assert_int_equal(upgrade_image_check("raw image", 9, &img, &d), PROV_OK);
	assert_false(img.has_header);
	assert_int_equal(img.payload_len, 9);
	assert_int_equal(upgrade_image_check("", 0, &img, &d), PROV_E_CORRUPT);
	assert_string_equal(d.msg, "empty image");

	im = image("sip88xx.12-0-1MPP-1", "the payload\n", 0, &len);
	assert_int_equal(upgrade_image_check(im, len, &img, &d), PROV_OK);
	assert_true(img.has_header);
	assert_string_equal(img.version, "sip88xx.12-0-1MPP-1");
	assert_int_equal(img.payload_len, 12);
	assert_memory_equal(im + img.payload_off, "the payload\n", 12);
	/* One byte of the payload changed: the digest no longer matches. */
	im[len - 2] ^= 0x20;
	assert_int_equal(upgrade_image_check(im, len, &img, &d), PROV_E_CORRUPT);
	assert_string_equal(d.msg, "sha256 mismatch");
	free(im);

	im = image("v1", "payload", 1, &len);
	assert_int_equal(upgrade_image_check(im, len, &img, &d), PROV_E_CORRUPT);
	assert_string_equal(d.msg, "sha256 mismatch");
	/* Truncated: the size says more than there is. */
	assert_int_equal(upgrade_image_check(im, len - 1, &img, &d), PROV_E_CORRUPT);
	assert_non_null(strstr(d.msg, "size mismatch"));
	free(im);

	/* Malformed headers. */
	static const char *const bad[] = {
		"PROVIMG1 version=v size=1\nx",
		"PROVIMG1 version=v size=1 sha256=00\nx",
		"PROVIMG1 version=v size=x1 sha256=0000000000000000000000000000000000000000000000000000000000000000\nx",
		"PROVIMG1 version=v version=w size=1 sha256=0000000000000000000000000000000000000000000000000000000000000000\nx",
		"PROVIMG1 version=v size=1 sha256=000000000000000000000000000000000000000000000000000000000000000g\nx",
		"PROVIMG1 version=v size=1 sha256=0000000000000000000000000000000000000000000000000000000000000000 \nx",
		"PROVIMG1 version=v size=1 colour=blue\nx",
		"PROVIMG1 version=v size=1 no end of line",
		"PROVIMG1 version= size=1 sha256=0000000000000000000000000000000000000000000000000000000000000000\nx",
		"PROVIMG1 size=99999999999 version=v sha256=0000000000000000000000000000000000000000000000000000000000000000\nx",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		diag_init(&d);
		assert_int_equal(upgrade_image_check(bad[i], strlen(bad[i]), &img, &d), PROV_E_SYNTAX);
		assert_non_null(strstr(d.msg, "image header"));
	}
	/* A header with nothing after it. */
	im = image("v1", "", 0, &len);
	assert_int_equal(upgrade_image_check(im, len, &img, &d), PROV_E_CORRUPT);
	assert_string_equal(d.msg, "empty image");
	free(im);
}

static struct upgrade_facts
facts(void)
{
	struct upgrade_facts f;

	memset(&f, 0, sizeof(f));
	f.enabled = 1;
	f.swver = "sip88xx.11-3-1MPP-123";
	f.version = "sip88xx.12-0-1MPP-1";
	f.limit = "";
	f.rule = "http://s/sip88xx.12-0-1MPP-1.loads";
	f.url = "http://s/sip88xx.12-0-1MPP-1.loads";
	f.last_rule = "";
	f.last_url = "";
	return f;
}

static void
decide(void **state)
{
	struct upgrade_facts f = facts();

	(void)state;
	assert_int_equal(upgrade_decide(&f), UPGRADE_GO);
	f.enabled = 0;
	assert_int_equal(upgrade_decide(&f), UPGRADE_DISABLED);
	f = facts();
	f.version = f.swver;
	assert_int_equal(upgrade_decide(&f), UPGRADE_SAME_VERSION);
}

static void
downgrade_limit(void **state)
{
	struct upgrade_facts f = facts();

	(void)state;
	/* A downgrade is allowed down to the limit, not below it; versions
	 * compare field by field (cond_version_cmp), the model prefix aside. */
	f.version = "sip88xx.11-2-3MSR1-1";
	assert_int_equal(upgrade_decide(&f), UPGRADE_GO);
	f.limit = "sip88xx.11-2-3MSR1-1";
	assert_int_equal(upgrade_decide(&f), UPGRADE_GO);
	f.limit = "11-3-1MPP-1";
	assert_int_equal(upgrade_decide(&f), UPGRADE_BELOW_LIMIT);
	f.version = "sip88xx.11-10-1MPP-1"; /* 10 > 3: numeric, not textual */
	assert_int_equal(upgrade_decide(&f), UPGRADE_GO);
	f.version = "sip88xx.9-0-1MPP-1";
	assert_int_equal(upgrade_decide(&f), UPGRADE_BELOW_LIMIT);
	f.limit = "";
	assert_int_equal(upgrade_decide(&f), UPGRADE_GO);
}

static void
same_url_not_retried(void **state)
{
	struct upgrade_facts f = facts();

	(void)state;
	f.last_rule = f.rule;
	f.last_url = f.url;
	assert_int_equal(upgrade_decide(&f), UPGRADE_ATTEMPTED);
	/* The retry timer and an explicit request may; a changed URL (the
	 * rule's macros) or a changed rule text are a new attempt. */
	f.force = 1;
	assert_int_equal(upgrade_decide(&f), UPGRADE_GO);
	f.force = 0;
	f.last_url = "http://s/other.loads";
	assert_int_equal(upgrade_decide(&f), UPGRADE_GO);
	f.last_url = f.url;
	f.last_rule = "( $SWVER ne x )? http://s/sip88xx.12-0-1MPP-1.loads";
	assert_int_equal(upgrade_decide(&f), UPGRADE_GO);
}

static void
lines_busy_defers(void **state)
{
	struct upgrade_facts f = facts();

	(void)state;
	f.lines_busy = 1;
	assert_int_equal(upgrade_decide(&f), UPGRADE_LINES_BUSY);
	f.force = 1; /* even a retry or an explicit request waits */
	assert_int_equal(upgrade_decide(&f), UPGRADE_LINES_BUSY);
	/* What would not happen anyway is not deferred. */
	f.version = f.swver;
	assert_int_equal(upgrade_decide(&f), UPGRADE_SAME_VERSION);
	assert_string_equal(upgrade_verdict_str(UPGRADE_LINES_BUSY), "deferred: a line is in a call");
}

static void
install_checks_then_records(void **state)
{
	char *dir = test_tmpdir(), msg[256], err[160], *v = NULL;
	struct prov_device *dev = NULL;
	size_t len;
	char *im;

	(void)state;
	assert_int_equal(prov_device_create(dir, &test_ident, &dev, msg, sizeof(msg)), PROV_OK);

	/* A SHA-256 mismatch installs nothing: same $SWVER, no reboot reason. */
	im = image("sip88xx.12-0-1MPP-1", "payload", 1, &len);
	assert_int_equal(upgrade_install(dev, "sip88xx.12-0-1MPP-1", im, len, 1700000000, err,
					 sizeof(err)), PROV_E_CORRUPT);
	assert_string_equal(err, "sha256 mismatch");
	free(im);
	/* A good image whose header names another version than its file name. */
	im = image("sip88xx.12-0-2MPP-1", "payload", 0, &len);
	assert_int_equal(upgrade_install(dev, "sip88xx.12-0-1MPP-1", im, len, 1700000000, err,
					 sizeof(err)), PROV_E_CORRUPT);
	assert_non_null(strstr(err, "version mismatch"));
	free(im);
	assert_int_equal(upgrade_install(dev, "sip88xx.12-0-1MPP-1", "", 0, 1700000000, err,
					 sizeof(err)), PROV_E_CORRUPT);
	assert_string_equal(prov_device_identity(dev, "SWVER"), "sip88xx.11-3-1MPP-123");
	assert_int_not_equal(prov_device_status_get(dev, "reboot_reasons", &v), PROV_OK);
	free(v);
	v = NULL;

	/* A good one: $SWVER and $VERSION change, the reason is Upgrade. */
	im = image("sip88xx.12-0-1MPP-1", "payload", 0, &len);
	assert_int_equal(upgrade_install(dev, "sip88xx.12-0-1MPP-1", im, len, 1700000000, err,
					 sizeof(err)), PROV_OK);
	free(im);
	assert_string_equal(prov_device_identity(dev, "SWVER"), "sip88xx.12-0-1MPP-1");
	assert_string_equal(prov_device_identity(dev, "VERSION"), "Cisco-CP-8841-3PCC/12.0.1");
	assert_int_equal(prov_device_status_get(dev, "reboot_reasons", &v), PROV_OK);
	assert_non_null(strstr(v, "Upgrade"));
	free(v);
	prov_device_free(dev);

	/* Persisted: another open sees the new version. */
	assert_int_equal(prov_device_open(dir, &dev, msg, sizeof(msg)), PROV_OK);
	assert_string_equal(prov_device_identity(dev, "SWVER"), "sip88xx.12-0-1MPP-1");
	prov_device_free(dev);
	test_rmtree(dir);
	free(dir);
}

static void
swver_memory_device(void **state)
{
	struct prov_device *dev = prov_device_new(&test_ident, NULL);
	struct diag d;
	char *out = NULL;

	(void)state;
	assert_non_null(dev);
	diag_init(&d);
	assert_int_equal(upgrade_swver_set(dev, "bad version", &d), PROV_E_INVAL);
	assert_int_equal(upgrade_swver_set(dev, "sip88xx.12-5-1MPP-9", &d), PROV_OK);
	assert_int_equal(prov_expand(dev, "$SWVER $VERSION", 0, &out), PROV_OK);
	assert_string_equal(out, "sip88xx.12-5-1MPP-9 Cisco-CP-8841-3PCC/12.5.1");
	free(out);
	/* $UPGERR and $UPGST come from the status until an engine sets them. */
	assert_int_equal(prov_device_status_set(dev, "upgrade_last_err", "sha256 mismatch"), PROV_OK);
	assert_int_equal(prov_device_status_set(dev, "upgrade_st", "2"), PROV_OK);
	assert_int_equal(prov_expand(dev, "[$UPGST] [$UPGERR]", 0, &out), PROV_OK);
	assert_string_equal(out, "[2] [sha256 mismatch]");
	free(out);
	prov_device_free(dev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version_from_name),
		cmocka_unit_test(image_header),
		cmocka_unit_test(decide),
		cmocka_unit_test(downgrade_limit),
		cmocka_unit_test(same_url_not_retried),
		cmocka_unit_test(lines_busy_defers),
		cmocka_unit_test(install_checks_then_records),
		cmocka_unit_test(swver_memory_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
