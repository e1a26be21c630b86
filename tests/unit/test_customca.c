/*
 * Unit tests of the custom CA (customca.c) and the certificate files
 * (cert.c): bundle validation, atomic installation, the status line,
 * $CCERT. device.md D-NET-2, D-NET-3, D-STA-1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "cert.h"
#include "customca.h"
#include "device.h"
#include "fetch.h"
#include "prov/prov.h"

/* A self-signed certificate named cn (NULL: subject O=only, no CN); ca
 * adds basicConstraints CA:TRUE, else CA:FALSE; ext 0 makes a v1
 * certificate without extensions. PEM, caller frees. */
static char *
make_cert(const char *cn, int ca, int ext, size_t *len)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long l;

	assert_non_null(k);
	assert_non_null(x);
	if (cn != NULL)
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
					   -1, 0);
	else
		X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"only", -1,
					   -1, 0);
	X509_set_version(x, ext ? 2 : 0);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	if (ext) {
		X509V3_CTX c;
		X509_EXTENSION *e;

		X509V3_set_ctx_nodb(&c);
		X509V3_set_ctx(&c, x, x, NULL, NULL, 0);
		e = X509V3_EXT_conf_nid(NULL, &c, NID_basic_constraints,
					ca ? "critical,CA:TRUE" : "CA:FALSE");
		assert_non_null(e);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	l = BIO_get_mem_data(b, &p);
	out = malloc((size_t)l + 1);
	memcpy(out, p, (size_t)l);
	out[l] = '\0';
	*len = (size_t)l;
	BIO_free(b);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
	return out;
}

static enum prov_err
check(const char *pem, char *cn, char *why)
{
	return customca_validate(pem, strlen(pem), cn, CUSTOMCA_CN_MAX + 1, why, 160);
}

static void
d_net_2_one_ca_with_cn(void **state)
{
	size_t len;
	char *pem = make_cert("My Root CA", 1, 1, &len);
	char cn[CUSTOMCA_CN_MAX + 1], why[160];

	(void)state;
	assert_int_equal(check(pem, cn, why), PROV_OK);
	assert_string_equal(cn, "My Root CA");
	free(pem);
}

static void
d_net_2_bundle_with_text_between(void **state)
{
	size_t l1, l2;
	char *a = make_cert("First CA", 1, 1, &l1), *b = make_cert("Second CA", 1, 1, &l2);
	char bundle[8192], cn[CUSTOMCA_CN_MAX + 1], why[160];

	(void)state;
	snprintf(bundle, sizeof(bundle), "# a comment\n%s\nSecond CA\n=========\n%s\n", a, b);
	assert_int_equal(check(bundle, cn, why), PROV_OK);
	assert_string_equal(cn, "First CA");
	free(a);
	free(b);
}

static void
d_net_2_refuses_non_ca(void **state)
{
	size_t l1, l2, l3;
	char *leaf = make_cert("leaf", 0, 1, &l1), *v1 = make_cert("v1", 1, 0, &l2);
	char *ca = make_cert("ok", 1, 1, &l3);
	char bundle[8192], cn[CUSTOMCA_CN_MAX + 1], why[160];

	(void)state;
	assert_int_equal(check(leaf, cn, why), PROV_E_INVAL);
	assert_string_equal(why, "certificate 1 is not a CA (no basicConstraints CA:TRUE)");
	assert_int_equal(check(v1, cn, why), PROV_E_INVAL);
	assert_non_null(strstr(why, "not a CA"));
	/* every certificate counts, not only the first */
	snprintf(bundle, sizeof(bundle), "%s%s", ca, leaf);
	assert_int_equal(check(bundle, cn, why), PROV_E_INVAL);
	assert_string_equal(why, "certificate 2 is not a CA (no basicConstraints CA:TRUE)");
	free(leaf);
	free(v1);
	free(ca);
}

static void
d_net_2_refuses_other_blocks_and_garbage(void **state)
{
	size_t len;
	char *ca = make_cert("CA", 1, 1, &len);
	char bundle[8192], cn[CUSTOMCA_CN_MAX + 1], why[160];
	char *p;

	(void)state;
	snprintf(bundle, sizeof(bundle), "%s-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		 ca);
	assert_int_equal(check(bundle, cn, why), PROV_E_INVAL);
	assert_string_equal(why, "block 2 is a PRIVATE KEY, not a CERTIFICATE");

	assert_int_equal(check("", cn, why), PROV_E_INVAL);
	assert_string_equal(why, "no PEM certificate in the file");
	assert_int_equal(check("hello\n", cn, why), PROV_E_INVAL);
	assert_string_equal(why, "no PEM certificate in the file");

	/* a base64 character replaced: the block does not decode */
	snprintf(bundle, sizeof(bundle), "%s", ca);
	p = strchr(bundle, '\n') + 1;
	*p = '#';
	assert_int_equal(check(bundle, cn, why), PROV_E_INVAL);
	assert_string_equal(why, "PEM block 1 is corrupt");

	/* an unterminated block */
	snprintf(bundle, sizeof(bundle), "%s", ca);
	*strstr(bundle, "-----END") = '\0';
	assert_int_equal(check(bundle, cn, why), PROV_E_INVAL);
	assert_string_equal(why, "PEM block 1 is corrupt");

	/* base64 of something that is not a certificate */
	assert_int_equal(check("-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n"
			       "-----END CERTIFICATE-----\n", cn, why), PROV_E_INVAL);
	assert_string_equal(why, "certificate 1 is malformed");
	free(ca);
}

static void
d_net_2_bounds(void **state)
{
	size_t len;
	char *ca = make_cert("CA", 1, 1, &len);
	char *big = malloc(BOUND_PEM + 2);
	char cn[CUSTOMCA_CN_MAX + 1], why[160];
	size_t n = 0;

	(void)state;
	memset(big, 'A', BOUND_PEM + 1);
	big[BOUND_PEM + 1] = '\0';
	assert_int_equal(customca_validate(big, BOUND_PEM + 1, cn, sizeof(cn), why, sizeof(why)),
			 PROV_E_TOOBIG);
	/* CUSTOMCA_MAX_CERTS + 1 certificates (within BOUND_PEM) */
	big[0] = '\0';
	for (unsigned i = 0; i <= CUSTOMCA_MAX_CERTS && n + len < BOUND_PEM; i++) {
		memcpy(big + n, ca, len + 1);
		n += len;
	}
	assert_true(n / len > CUSTOMCA_MAX_CERTS);
	assert_int_equal(customca_validate(big, n, cn, sizeof(cn), why, sizeof(why)), PROV_E_INVAL);
	assert_string_equal(why, "more than 64 certificates");
	free(big);
	free(ca);
}

static void
d_net_2_cn_printable_or_subject(void **state)
{
	size_t l1, l2;
	char *odd = make_cert("tab\there", 1, 1, &l1), *nocn = make_cert(NULL, 1, 1, &l2);
	char cn[CUSTOMCA_CN_MAX + 1], why[160];

	(void)state;
	assert_int_equal(check(odd, cn, why), PROV_OK);
	assert_string_equal(cn, "tab?here");
	assert_int_equal(check(nocn, cn, why), PROV_OK);
	assert_string_equal(cn, "O=only");
	free(odd);
	free(nocn);
}

static char *
status(struct prov_device *dev, const char *key)
{
	char *v = NULL;

	assert_int_equal(prov_device_status_get(dev, key, &v), PROV_OK);
	return v;
}

static void
d_net_2_install_atomic_and_status(void **state)
{
	char *dir = test_tmpdir(), path[600], *v;
	struct prov_device *dev = NULL;
	size_t l1, l2, l3;
	char *a = make_cert("Alpha CA", 1, 1, &l1), *leaf = make_cert("leaf", 0, 1, &l2);
	char *b = make_cert("Beta CA", 1, 1, &l3);
	char buf[8192];
	FILE *f;
	size_t n;

	(void)state;
	assert_int_equal(prov_device_create(dir, &test_ident, &dev, NULL, 0), PROV_OK);
	assert_int_equal(prov_device_set(dev, "Custom_CA_Rule", "http://ca.example/ca.pem", 0),
			 PROV_OK);
	snprintf(path, sizeof(path), "%s/%s", dir, CERT_FILE_CUSTOM);

	/* a bad bundle first: nothing installed, the reason said */
	assert_int_equal(customca_install(dev, leaf, l2, 0), PROV_E_INVAL);
	assert_int_equal(access(path, F_OK), -1);
	v = status(dev, "custom_ca");
	assert_string_equal(v, "Not Installed; last attempt 1970-01-01 00:00:00: Failed: "
			       "certificate 1 is not a CA (no basicConstraints CA:TRUE)");
	free(v);
	v = status(dev, "custom_ca_rule");
	assert_string_equal(v, "http://ca.example/ca.pem");
	free(v);

	assert_int_equal(customca_install(dev, a, l1, 86400), PROV_OK);
	v = status(dev, "custom_ca");
	assert_string_equal(v, "Installed (CN=Alpha CA); last attempt 1970-01-02 00:00:00: Success");
	free(v);

	/* a later bad one leaves the file byte for byte */
	assert_int_equal(customca_install(dev, "junk", 4, 2 * 86400), PROV_E_INVAL);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(n, l1);
	assert_memory_equal(buf, a, l1);
	v = status(dev, "custom_ca");
	assert_string_equal(v, "Installed (CN=Alpha CA); last attempt 1970-01-03 00:00:00: Failed: "
			       "no PEM certificate in the file");
	free(v);
	customca_status(dev, buf, sizeof(buf));
	assert_string_equal(buf, "Installed (CN=Alpha CA); last attempt 1970-01-03 00:00:00: "
				 "Failed: no PEM certificate in the file");

	/* a good one replaces it; no temporary file is left behind */
	assert_int_equal(customca_install(dev, b, l3, 3 * 86400), PROV_OK);
	v = status(dev, "custom_ca");
	assert_string_equal(v, "Installed (CN=Beta CA); last attempt 1970-01-04 00:00:00: Success");
	free(v);
	snprintf(buf, sizeof(buf), "ls -A '%s' | grep -v -E '^(state\\.db.*|customca\\.pem)$' | "
		 "grep -q .", dir);
	assert_int_not_equal(system(buf), 0);

	prov_device_free(dev);
	test_rmtree(dir);
	free(dir);
	free(a);
	free(b);
	free(leaf);
}

static void
d_net_2_memory_device_and_paths(void **state)
{
	struct prov_device *dev = prov_device_new(&test_ident, NULL);
	struct cert_paths p;
	struct fetch_req req;
	size_t len;
	char *a = make_cert("A", 1, 1, &len), buf[256];

	(void)state;
	assert_non_null(dev);
	customca_status(dev, buf, sizeof(buf));
	assert_string_equal(buf, "Not Installed");
	assert_int_equal(customca_install(dev, a, len, 0), PROV_E_INVAL);
	customca_status(dev, buf, sizeof(buf));
	assert_string_equal(buf, "Not Installed; last attempt 1970-01-01 00:00:00: Failed: "
				 "a memory-only device has no trust store");
	memset(&req, 0, sizeof(req));
	req.ca_file = "x";
	cert_paths_get(dev, &p, &req);
	assert_null(req.ca_file);
	assert_null(req.ca_extra_file);
	assert_null(req.cert_file);
	assert_null(req.key_file);
	prov_device_free(dev);
	free(a);
}

/* $CCERT and the files a transfer gets: cert.pem + certkey.pem, or a
 * renewed mic.pem for both, which an installed certificate removes. */
static void
d_net_3_ccert_and_paths(void **state)
{
	char *dir = test_tmpdir(), path[600], *v = NULL;
	struct prov_device *dev = NULL;
	struct cert_paths p;
	struct fetch_req req;
	size_t len;
	char *ca = make_cert("CA", 1, 1, &len);
	FILE *f;

	(void)state;
	assert_int_equal(prov_device_create(dir, &test_ident, &dev, NULL, 0), PROV_OK);
	assert_int_equal(prov_expand(dev, "$CCERT", 0, &v), PROV_OK);
	assert_string_equal(v, "Not Installed");
	free(v);

	assert_int_equal(prov_device_install_pem(dev, "ca", ca, len), PROV_OK);
	assert_int_equal(customca_install(dev, ca, len, 0), PROV_OK);
	memset(&req, 0, sizeof(req));
	cert_paths_get(dev, &p, &req);
	assert_non_null(req.ca_file);
	assert_non_null(strstr(req.ca_file, "/ca.pem"));
	assert_non_null(strstr(req.ca_extra_file, "/customca.pem"));
	assert_null(req.cert_file);

	/* a certificate without its key is no client certificate */
	assert_int_equal(prov_device_install_pem(dev, "cert", ca, len), PROV_OK);
	assert_int_equal(cert_client_installed(dev), 0);

	snprintf(path, sizeof(path), "%s/%s", dir, CERT_FILE_MIC);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("placeholder\n", f);
	fclose(f);
	assert_int_equal(prov_expand(dev, "$CCERT", 0, &v), PROV_OK);
	assert_string_equal(v, "Installed");
	free(v);
	cert_paths_get(dev, &p, &req);
	assert_string_equal(req.cert_file, path);
	assert_string_equal(req.key_file, path);

	/* the operator's certificate replaces the renewed one */
	assert_int_equal(prov_device_install_pem(dev, "cert", ca, len), PROV_OK);
	assert_int_equal(access(path, F_OK), -1);

	prov_device_free(dev);
	test_rmtree(dir);
	free(dir);
	free(ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(d_net_2_one_ca_with_cn),
		cmocka_unit_test(d_net_2_bundle_with_text_between),
		cmocka_unit_test(d_net_2_refuses_non_ca),
		cmocka_unit_test(d_net_2_refuses_other_blocks_and_garbage),
		cmocka_unit_test(d_net_2_bounds),
		cmocka_unit_test(d_net_2_cn_printable_or_subject),
		cmocka_unit_test(d_net_2_install_atomic_and_status),
		cmocka_unit_test(d_net_2_memory_device_and_paths),
		cmocka_unit_test(d_net_3_ccert_and_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
