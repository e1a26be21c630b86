/*
 * Unit tests of the MIC renewal (mic.c): the CSR's key and subject, the
 * checks on the answer, atomic installation, when a renewal is due, the
 * status line. device.md D-NET-3, D-STA-1.
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
#include "buf.h"
#include "cert.h"
#include "device.h"
#include "mic.h"
#include "prov/prov.h"

struct ca {
	EVP_PKEY *key;
	X509 *cert;
	char path[64];   /* its certificate, PEM */
};

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX c;
	X509_EXTENSION *e;

	X509V3_set_ctx_nodb(&c);
	X509V3_set_ctx(&c, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &c, nid, value);
	assert_non_null(e);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

static void
ca_make(struct ca *ca, const char *cn)
{
	X509_NAME *n = X509_NAME_new();
	FILE *f;
	int fd;

	ca->key = EVP_EC_gen("P-256");
	ca->cert = X509_new();
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_version(ca->cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(ca->cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(ca->cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(ca->cert), 3650L * 86400);
	X509_set_subject_name(ca->cert, n);
	X509_set_issuer_name(ca->cert, n);
	X509_set_pubkey(ca->cert, ca->key);
	add_ext(ca->cert, ca->cert, NID_basic_constraints, "critical,CA:TRUE");
	add_ext(ca->cert, ca->cert, NID_key_usage, "critical,keyCertSign,cRLSign");
	assert_true(X509_sign(ca->cert, ca->key, EVP_sha256()) > 0);
	X509_NAME_free(n);
	snprintf(ca->path, sizeof(ca->path), "/tmp/prov-mic-ca-XXXXXX");
	fd = mkstemp(ca->path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_int_equal(PEM_write_X509(f, ca->cert), 1);
	fclose(f);
}

static void
ca_free(struct ca *ca)
{
	unlink(ca->path);
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
}

/* Signs the CSR's key and subject as the test PKI's [client] section
 * does (eku "clientAuth"), valid days; PEM into out. */
static void
ca_sign(struct ca *ca, const char *csr, size_t csrlen, const char *eku, long days,
	struct buf *out)
{
	BIO *in = BIO_new_mem_buf(csr, (int)csrlen), *b = BIO_new(BIO_s_mem());
	X509_REQ *req = PEM_read_bio_X509_REQ(in, NULL, NULL, NULL);
	X509 *x = X509_new();
	EVP_PKEY *pub;
	char *p;
	long l;

	assert_non_null(req);
	pub = X509_REQ_get_pubkey(req);
	assert_int_equal(X509_REQ_verify(req, pub), 1);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 2);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), days * 86400);
	X509_set_subject_name(x, X509_REQ_get_subject_name(req));
	X509_set_issuer_name(x, X509_get_subject_name(ca->cert));
	X509_set_pubkey(x, pub);
	add_ext(x, ca->cert, NID_basic_constraints, "CA:FALSE");
	add_ext(x, ca->cert, NID_ext_key_usage, eku);
	assert_true(X509_sign(x, ca->key, EVP_sha256()) > 0);
	PEM_write_bio_X509(b, x);
	l = BIO_get_mem_data(b, &p);
	buf_reset(out);
	assert_int_equal(buf_add(out, p, (size_t)l), PROV_OK);
	EVP_PKEY_free(pub);
	X509_free(x);
	X509_REQ_free(req);
	BIO_free(in);
	BIO_free(b);
}

static void
d_net_3_csr_subject_and_key(void **state)
{
	struct prov_device *dev = prov_device_new(&test_ident, NULL);
	EVP_PKEY *key = NULL, *pub;
	struct buf csr;
	char why[160], field[128];
	X509_REQ *req;
	BIO *b;
	const X509_NAME *n;
	static const struct {
		int nid;
		const char *value;
	} want[] = {
		{ NID_stateOrProvinceName, "000E08ABCDEF" },
		{ NID_localityName, "88012BA01234" },
		{ NID_organizationalUnitName, "CP-8841-3PCC" },
		{ NID_commonName, "CP-8841-3PCC SEP000E08ABCDEF" },
	};

	(void)state;
	assert_non_null(dev);
	buf_init(&csr, 4096);
	assert_int_equal(mic_csr(dev, &key, &csr, why, sizeof(why)), PROV_OK);
	assert_non_null(key);
	assert_true(EVP_PKEY_is_a(key, "EC"));
	assert_int_equal(EVP_PKEY_get_bits(key), 256);
	assert_non_null(strstr(buf_str(&csr), "-----BEGIN CERTIFICATE REQUEST-----"));
	b = BIO_new_mem_buf(csr.p, (int)csr.len);
	req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	assert_non_null(req);
	pub = X509_REQ_get_pubkey(req);
	assert_int_equal(EVP_PKEY_eq(pub, key), 1);
	assert_int_equal(X509_REQ_verify(req, pub), 1); /* signed with the new key */
	n = X509_REQ_get_subject_name(req);
	assert_int_equal(X509_NAME_entry_count(n), 4);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_true(X509_NAME_get_text_by_NID((X509_NAME *)(uintptr_t)n, want[i].nid, field,
						      sizeof(field)) > 0);
		assert_string_equal(field, want[i].value);
	}
	EVP_PKEY_free(pub);
	X509_REQ_free(req);
	BIO_free(b);
	EVP_PKEY_free(key);
	buf_free(&csr);
	prov_device_free(dev);
}

/* Two CSRs, two keys. */
static void
d_net_3_csr_new_key_each_time(void **state)
{
	struct prov_device *dev = prov_device_new(&test_ident, NULL);
	EVP_PKEY *k1 = NULL, *k2 = NULL;
	struct buf csr;
	char why[160];

	(void)state;
	buf_init(&csr, 4096);
	assert_int_equal(mic_csr(dev, &k1, &csr, why, sizeof(why)), PROV_OK);
	assert_int_equal(mic_csr(dev, &k2, &csr, why, sizeof(why)), PROV_OK);
	assert_int_not_equal(EVP_PKEY_eq(k1, k2), 1);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	buf_free(&csr);
	prov_device_free(dev);
}

static void
d_net_3_accept_checks(void **state)
{
	struct prov_device *dev = prov_device_new(&test_ident, NULL);
	struct ca ca, other;
	EVP_PKEY *key = NULL, *k2 = NULL;
	struct buf csr, csr2, cert, pair, both;
	char why[160], cn[80];

	(void)state;
	ca_make(&ca, "test CA");
	ca_make(&other, "other CA");
	buf_init(&csr, 4096);
	buf_init(&csr2, 4096);
	buf_init(&cert, BOUND_PEM);
	buf_init(&pair, 2 * BOUND_PEM);
	buf_init(&both, 2 * BOUND_PEM);
	assert_int_equal(mic_csr(dev, &key, &csr, why, sizeof(why)), PROV_OK);
	assert_int_equal(mic_csr(dev, &k2, &csr2, why, sizeof(why)), PROV_OK);

	/* the good answer: pair is the key, then the certificate */
	ca_sign(&ca, csr.p, csr.len, "clientAuth", 365, &cert);
	assert_int_equal(mic_accept(key, cert.p, cert.len, ca.path, NULL, &pair, cn, sizeof(cn),
				    why, sizeof(why)), PROV_OK);
	assert_string_equal(cn, "CP-8841-3PCC SEP000E08ABCDEF");
	assert_true(strncmp(buf_str(&pair), "-----BEGIN PRIVATE KEY-----", 27) == 0);
	assert_non_null(strstr(buf_str(&pair), cert.p));
	/* also when the CA is the custom one */
	assert_int_equal(mic_accept(key, cert.p, cert.len, other.path, ca.path, &pair, cn,
				    sizeof(cn), why, sizeof(why)), PROV_OK);

	/* not trusted */
	assert_int_equal(mic_accept(key, cert.p, cert.len, other.path, NULL, &pair, cn, sizeof(cn),
				    why, sizeof(why)), PROV_E_INVAL);
	assert_string_equal(why, "certificate not trusted: unable to get local issuer certificate");

	/* for another key */
	assert_int_equal(mic_accept(k2, cert.p, cert.len, ca.path, NULL, &pair, cn, sizeof(cn),
				    why, sizeof(why)), PROV_E_INVAL);
	assert_string_equal(why, "the certificate is not for the new key");

	/* not for TLS clients */
	ca_sign(&ca, csr.p, csr.len, "serverAuth", 365, &cert);
	assert_int_equal(mic_accept(key, cert.p, cert.len, ca.path, NULL, &pair, cn, sizeof(cn),
				    why, sizeof(why)), PROV_E_INVAL);
	assert_string_equal(why, "certificate not trusted: unsuitable certificate purpose");

	/* garbage, corrupt, empty, too large */
	assert_int_equal(mic_accept(key, "nothing", 7, ca.path, NULL, &pair, cn, sizeof(cn), why,
				    sizeof(why)), PROV_E_INVAL);
	assert_string_equal(why, "no PEM certificate in the answer");
	assert_int_equal(mic_accept(key, "-----BEGIN CERTIFICATE-----\n#\n", 30, ca.path, NULL,
				    &pair, cn, sizeof(cn), why, sizeof(why)), PROV_E_INVAL);
	assert_string_equal(why, "the answer has a corrupt PEM block");
	assert_int_equal(mic_accept(key, "", 0, ca.path, NULL, &pair, cn, sizeof(cn), why,
				    sizeof(why)), PROV_E_INVAL);
	assert_int_equal(mic_accept(key, "", BOUND_PEM + 1, ca.path, NULL, &pair, cn, sizeof(cn),
				    why, sizeof(why)), PROV_E_TOOBIG);

	/* more than MIC_CHAIN_MAX certificates */
	ca_sign(&ca, csr.p, csr.len, "clientAuth", 365, &cert);
	buf_reset(&both);
	for (int i = 0; i <= MIC_CHAIN_MAX; i++)
		assert_int_equal(buf_add(&both, cert.p, cert.len), PROV_OK);
	assert_int_equal(mic_accept(key, both.p, both.len, ca.path, NULL, &pair, cn, sizeof(cn),
				    why, sizeof(why)), PROV_E_INVAL);
	assert_string_equal(why, "more than 8 certificates in the answer");

	EVP_PKEY_free(key);
	EVP_PKEY_free(k2);
	buf_free(&csr);
	buf_free(&csr2);
	buf_free(&cert);
	buf_free(&pair);
	buf_free(&both);
	ca_free(&ca);
	ca_free(&other);
	prov_device_free(dev);
}

/* Renews once through the functions the engine's step uses; returns the
 * mic.pem written. */
static void
renew(struct prov_device *dev, struct ca *ca, long days)
{
	EVP_PKEY *key = NULL;
	struct buf csr, cert, pair;
	char why[160], cn[80];

	buf_init(&csr, 4096);
	buf_init(&cert, BOUND_PEM);
	buf_init(&pair, 2 * BOUND_PEM);
	assert_int_equal(mic_csr(dev, &key, &csr, why, sizeof(why)), PROV_OK);
	ca_sign(ca, csr.p, csr.len, "clientAuth", days, &cert);
	assert_int_equal(mic_accept(key, cert.p, cert.len, ca->path, NULL, &pair, cn, sizeof(cn),
				    why, sizeof(why)), PROV_OK);
	assert_int_equal(mic_install(dev, pair.p, pair.len, why, sizeof(why)), PROV_OK);
	EVP_PKEY_free(key);
	buf_free(&csr);
	buf_free(&cert);
	buf_free(&pair);
}

static void
d_net_3_install_and_due(void **state)
{
	char *dir = test_tmpdir(), path[600], why[160];
	struct prov_device *dev = NULL;
	struct cert_paths p;
	struct ca ca;
	struct stat sb;

	(void)state;
	ca_make(&ca, "test CA");
	assert_int_equal(prov_device_create(dir, &test_ident, &dev, NULL, 0), PROV_OK);

	/* off by default */
	assert_int_equal(mic_due(dev), 0);
	assert_int_equal(prov_device_set(dev, "MIC_Cert_Refresh_Enable", "Yes", 0), PROV_OK);
	/* on, never renewed from this rule: due */
	assert_int_equal(mic_due(dev), 1);

	renew(dev, &ca, 365);
	snprintf(path, sizeof(path), "%s/%s", dir, CERT_FILE_MIC);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	cert_paths_get(dev, &p, NULL);
	assert_string_equal(p.cert, path);
	assert_string_equal(p.key, path);
	assert_int_equal(cert_client_installed(dev), 1);

	/* the rule it was renewed from is what the status records */
	assert_int_equal(prov_device_status_set(dev, "mic_rule", "http://sudirenewal.cisco.com/"),
			 PROV_OK);
	assert_int_equal(mic_due(dev), 0);
	/* another rule: due */
	assert_int_equal(prov_device_set(dev, "MIC_Cert_Refresh_Rule", "https://127.0.0.1/x", 0),
			 PROV_OK);
	assert_int_equal(mic_due(dev), 1);
	assert_int_equal(prov_device_status_set(dev, "mic_rule", "https://127.0.0.1/x"), PROV_OK);
	assert_int_equal(mic_due(dev), 0);

	/* expiring within MIC_RENEW_DAYS: due */
	renew(dev, &ca, MIC_RENEW_DAYS - 1);
	assert_int_equal(mic_due(dev), 1);
	renew(dev, &ca, MIC_RENEW_DAYS + 2);
	assert_int_equal(mic_due(dev), 0);

	/* memory-only: nowhere to install */
	{
		struct prov_device *mem = prov_device_new(&test_ident, NULL);

		assert_int_equal(mic_install(mem, "x", 1, why, sizeof(why)), PROV_E_INVAL);
		prov_device_free(mem);
	}
	prov_device_free(dev);
	test_rmtree(dir);
	free(dir);
	ca_free(&ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(d_net_3_csr_subject_and_key),
		cmocka_unit_test(d_net_3_csr_new_key_each_time),
		cmocka_unit_test(d_net_3_accept_checks),
		cmocka_unit_test(d_net_3_install_and_due),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
