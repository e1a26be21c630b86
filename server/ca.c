#define _GNU_SOURCE /* asprintf */
/*
 * ca: the devices' certificate authority. See ca.h.
 */
#include "ca.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include "db.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hex.h"
#include "log.h"

struct ca {
	X509 *cert;
	EVP_PKEY *key;
};

__attribute__((format(printf, 3, 4)))
static int
ca_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int64_t
ca_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The key is strong enough: EC of at least 256 bits, RSA of at least 2048.
 * NULL, or what is wrong with it. */
static const char *
ca_key_weak(EVP_PKEY *k)
{
	int bits = EVP_PKEY_get_bits(k);

	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_EC:
		return bits >= 256 ? NULL : "EC key under 256 bits";
	case EVP_PKEY_RSA:
		return bits >= 2048 ? NULL : "RSA key under 2048 bits";
	default:
		return "key type not accepted (EC P-256 or better, RSA 2048 or better)";
	}
}

static char *
ca_path(const char *dir, const char *file)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, file) < 0)
		return NULL;
	return p;
}

/* Reads a PEM file (bounded). */
static BIO *
ca_read(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	BIO *b = NULL;

	if (f == NULL) {
		ca_fail(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(CA_PEM_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		ca_fail(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	n = fread(buf, 1, CA_PEM_MAX + 1, f);
	fclose(f);
	if (n > CA_PEM_MAX)
		ca_fail(err, errlen, "%s: larger than %u bytes", path, CA_PEM_MAX);
	else if ((b = BIO_new(BIO_s_mem())) == NULL || BIO_write(b, buf, (int)n) != (int)n) {
		BIO_free(b);
		b = NULL;
		ca_fail(err, errlen, "%s: out of memory", path);
	}
	OPENSSL_cleanse(buf, CA_PEM_MAX + 1);
	free(buf);
	return b;
}

static int
ca_pair_load(const char *certpath, const char *keypath, X509 **cert, EVP_PKEY **key, char *err,
	     size_t errlen)
{
	BIO *b = ca_read(certpath, err, errlen);
	const char *weak;

	*cert = NULL;
	*key = NULL;
	if (b == NULL)
		return -1;
	*cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (*cert == NULL)
		return ca_fail(err, errlen, "%s: not a PEM certificate", certpath);
	if ((b = ca_read(keypath, err, errlen)) == NULL)
		return -1;
	*key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (*key == NULL)
		return ca_fail(err, errlen, "%s: not a PEM private key (or encrypted)", keypath);
	if (X509_check_private_key(*cert, *key) != 1)
		return ca_fail(err, errlen, "%s: not the key of %s", keypath, certpath);
	if (X509_check_ca(*cert) < 1)
		return ca_fail(err, errlen, "%s: not a CA certificate", certpath);
	if ((weak = ca_key_weak(*key)) != NULL)
		return ca_fail(err, errlen, "%s: %s", keypath, weak);
	return 0;
}

int
ca_load(struct ca **out, const char *dir, char *err, size_t errlen)
{
	char *cp = ca_path(dir, CA_CERT_FILE), *kp = ca_path(dir, CA_KEY_FILE);
	struct ca *ca = calloc(1, sizeof(*ca));
	struct stat st;
	int rc = -1;

	*out = NULL;
	if (cp == NULL || kp == NULL || ca == NULL) {
		ca_fail(err, errlen, "device CA: out of memory");
		goto out;
	}
	if (stat(kp, &st) == 0 && (st.st_mode & 077) != 0) {
		ca_fail(err, errlen, "%s: readable by others (mode %03o): chmod 600 it", kp,
			(unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (ca_pair_load(cp, kp, &ca->cert, &ca->key, err, errlen) < 0)
		goto out;
	*out = ca;
	ca = NULL;
	rc = 0;
out:
	ca_free(ca);
	free(cp);
	free(kp);
	return rc;
}

void
ca_free(struct ca *ca)
{
	if (ca == NULL)
		return;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key); /* OpenSSL clears key material when it frees */
	free(ca);
}

static int
ca_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = e != NULL && X509_add_ext(x, e, -1) == 1;

	X509_EXTENSION_free(e);
	return ok;
}

/* A random positive 128-bit serial; its hex in hex[33]. */
static int
ca_serial(X509 *x, char hex[33])
{
	unsigned char r[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return 0;
	r[0] &= 0x7f;
	r[0] |= 0x40; /* positive, and always 16 bytes long */
	hex_encode(r, sizeof(r), hex);
	bn = BN_bin2bn(r, sizeof(r), NULL);
	ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

/* A certificate for pub with subject, signed by issuer_key (issuer
 * issuer, or itself when NULL). device: a device's extensions, else a
 * CA's. */
static X509 *
ca_make(X509 *issuer, EVP_PKEY *issuer_key, const X509_NAME *subject, EVP_PKEY *pub,
	unsigned days, int device, char serial[33])
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	int ok;

	if (x == NULL)
		return NULL;
	ok = X509_set_version(x, 2) && ca_serial(x, serial) &&
	    X509_gmtime_adj(X509_getm_notBefore(x), -300) != NULL &&
	    X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) != NULL &&
	    X509_set_subject_name(x, subject) &&
	    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : subject) &&
	    X509_set_pubkey(x, pub);
	if (ok) {
		X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
		if (device)
			ok = ca_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
			    ca_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") &&
			    ca_ext(x, &ctx, NID_ext_key_usage, "clientAuth") &&
			    ca_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
			    ca_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
		else
			ok = ca_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
			    ca_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") &&
			    ca_ext(x, &ctx, NID_subject_key_identifier, "hash");
	}
	if (ok)
		ok = X509_sign(x, issuer_key, EVP_sha256()) > 0;
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Writes data to path, created with mode (refusing an existing file). */
static int
ca_write(const char *path, const char *data, size_t len, mode_t mode, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	size_t off = 0;

	if (fd < 0)
		return ca_fail(err, errlen, "%s: %s", path, strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			unlink(path);
			return ca_fail(err, errlen, "%s: %s", path, strerror(errno));
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		unlink(path);
		return ca_fail(err, errlen, "%s: %s", path, strerror(errno));
	}
	return 0;
}

/* The PEM text of a BIO (borrowed from it). */
static size_t
ca_bio_text(BIO *b, char **p)
{
	char *q = NULL;
	long n = BIO_get_mem_data(b, &q);

	*p = q;
	return n > 0 ? (size_t)n : 0;
}

int
ca_init(const char *dir, const char *cn, unsigned days, const char *import_cert,
	const char *import_key, char *err, size_t errlen)
{
	char *cp = ca_path(dir, CA_CERT_FILE), *kp = ca_path(dir, CA_KEY_FILE);
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	X509_NAME *name = NULL;
	BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
	char serial[33], *text;
	size_t len;
	int rc = -1;

	if (cp == NULL || kp == NULL || kb == NULL || cb == NULL) {
		ca_fail(err, errlen, "out of memory");
		goto out;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		ca_fail(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (access(kp, F_OK) == 0 || access(cp, F_OK) == 0) {
		ca_fail(err, errlen, "%s: there is a CA already (%s, %s)", dir, CA_CERT_FILE,
			CA_KEY_FILE);
		goto out;
	}
	if (import_cert != NULL) {
		if (ca_pair_load(import_cert, import_key, &cert, &key, err, errlen) < 0)
			goto out;
	} else {
		key = EVP_EC_gen("P-256");
		name = X509_NAME_new();
		if (key == NULL || name == NULL ||
		    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
						(const unsigned char *)cn, -1, -1, 0) ||
		    (cert = ca_make(NULL, key, name, key, days, 0, serial)) == NULL) {
			ca_fail(err, errlen, "cannot make the CA: %s",
				ERR_reason_error_string(ERR_peek_last_error()) != NULL ?
				ERR_reason_error_string(ERR_peek_last_error()) : "OpenSSL failed");
			goto out;
		}
	}
	if (PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_X509(cb, cert) != 1) {
		ca_fail(err, errlen, "cannot write the CA: out of memory");
		goto out;
	}
	len = ca_bio_text(kb, &text);
	if (ca_write(kp, text, len, 0600, err, errlen) < 0)
		goto out;
	len = ca_bio_text(cb, &text);
	if (ca_write(cp, text, len, 0644, err, errlen) < 0) {
		unlink(kp);
		goto out;
	}
	rc = 0;
out:
	if (kb != NULL) {
		char *t;
		size_t n = ca_bio_text(kb, &t);

		OPENSSL_cleanse(t, n);
	}
	BIO_free(kb);
	BIO_free(cb);
	X509_NAME_free(name);
	X509_free(cert);
	EVP_PKEY_free(key);
	free(cp);
	free(kp);
	return rc;
}

/* The MIC subject of a device (lib/mic.h). */
static X509_NAME *
ca_subject(const char *mac, const char *serial, const char *product)
{
	X509_NAME *n = X509_NAME_new();
	char mau[13], cn[INV_FIELD_MAX + 20];
	int ok;

	for (size_t i = 0; i < 13; i++)
		mau[i] = (char)(mac[i] >= 'a' && mac[i] <= 'f' ? mac[i] - 32 : mac[i]);
	snprintf(cn, sizeof(cn), "%s SEP%s", product, mau);
	ok = n != NULL &&
	    X509_NAME_add_entry_by_txt(n, "ST", MBSTRING_UTF8, (const unsigned char *)mau, -1, -1, 0);
	if (ok && serial[0] != '\0')
		ok = X509_NAME_add_entry_by_txt(n, "L", MBSTRING_UTF8,
						(const unsigned char *)serial, -1, -1, 0);
	if (ok && product[0] != '\0')
		ok = X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8,
						(const unsigned char *)product, -1, -1, 0);
	if (ok)
		ok = X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
						-1, -1, 0);
	if (!ok) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

static int
ca_record(struct inv *inv, const char *serial, const char *mac, X509 *x, const char *how)
{
	struct db_stmt *st = NULL;
	int step;
	int pday = 0, psec = 0;
	int64_t not_after;

	/* not after, as ms since the epoch */
	if (ASN1_TIME_diff(&pday, &psec, NULL, X509_get0_notAfter(x)) != 1)
		return -1;
	not_after = ca_now_ms() + ((int64_t)pday * 86400 + psec) * 1000;
	step = db_prepare(inv_db(inv), "INSERT INTO device_cert (serial, mac,"
				  " not_after_ms, created_ms, how) VALUES (?1, ?2, ?3, ?4, ?5)", &st);
	if (step != DB_OK)
		return inv_sqlfail(inv, step);
	db_bind_text(st, 1, serial, -1, DB_STATIC);
	db_bind_text(st, 2, mac, -1, DB_STATIC);
	db_bind_int64(st, 3, not_after);
	db_bind_int64(st, 4, ca_now_ms());
	db_bind_text(st, 5, how, -1, DB_STATIC);
	step = db_step(st);
	db_finalize(st);
	return step == DB_DONE ? 0 : inv_sqlfail(inv, step);
}

/* PEM of x (and of the CA when chain), in a fresh buffer. */
static char *
ca_pem(X509 *x, X509 *chain, EVP_PKEY *key, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *t, *out = NULL;
	size_t n;

	if (b != NULL && (key == NULL || PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL,
								  NULL) == 1) &&
	    PEM_write_bio_X509(b, x) == 1 && (chain == NULL || PEM_write_bio_X509(b, chain) == 1)) {
		n = ca_bio_text(b, &t);
		out = malloc(n + 1);
		if (out != NULL) {
			memcpy(out, t, n);
			out[n] = '\0';
			*len = n;
		}
		OPENSSL_cleanse(t, n);
	}
	BIO_free(b);
	return out;
}

int
ca_issue(struct ca *ca, struct inv *inv, const char *mac, const char *serial, const char *product,
	 unsigned days, char **pem, size_t *len, char *err, size_t errlen)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509_NAME *name = ca_subject(mac, serial, product);
	X509 *x = NULL;
	char sn[33];
	int rc = -1;

	*pem = NULL;
	if (key == NULL || name == NULL ||
	    (x = ca_make(ca->cert, ca->key, name, key, days, 1, sn)) == NULL) {
		ca_fail(err, errlen, "cannot make the certificate (OpenSSL failed)");
		goto out;
	}
	if (ca_record(inv, sn, mac, x, "issue") < 0) {
		ca_fail(err, errlen, "%s", inv_errmsg(inv));
		goto out;
	}
	if ((*pem = ca_pem(x, NULL, key, len)) == NULL) {
		ca_fail(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	X509_free(x);
	X509_NAME_free(name);
	EVP_PKEY_free(key);
	return rc;
}

/* The text of the last entry nid of name into out; 0 when absent. */
static int
ca_name_get(const X509_NAME *name, int nid, char *out, size_t cap)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1), last = -1;
	const ASN1_STRING *s;
	unsigned char *u = NULL;
	int n;

	while (i >= 0) {
		last = i;
		i = X509_NAME_get_index_by_NID(name, nid, i);
	}
	out[0] = '\0';
	if (last < 0)
		return 0;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last));
	n = ASN1_STRING_to_UTF8(&u, s);
	if (n < 0)
		return 0;
	snprintf(out, cap, "%.*s", n, (const char *)u);
	OPENSSL_free(u);
	return 1;
}

/* Frees what X509V3_EXT_d2i made of e. */
static void
ca_ext_free(X509_EXTENSION *e, void *v)
{
	const X509V3_EXT_METHOD *m = X509V3_EXT_get(e);

	if (m == NULL)
		return;
	if (m->it != NULL)
		ASN1_item_free(v, ASN1_ITEM_ptr(m->it));
	else if (m->ext_free != NULL)
		m->ext_free(v);
}

/* What a request's extensions ask for that a device may not have, or
 * NULL. */
static const char *
ca_csr_exts_bad(X509_REQ *req)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	const char *why = NULL;

	for (int i = 0; exts != NULL && why == NULL && i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(e));
		void *v = X509V3_EXT_d2i(e);

		if (nid == NID_basic_constraints) {
			BASIC_CONSTRAINTS *bc = v;

			if (bc == NULL || bc->ca)
				why = "the request asks to be a CA (basicConstraints)";
			BASIC_CONSTRAINTS_free(bc);
		} else if (nid == NID_key_usage) {
			ASN1_BIT_STRING *ku = v;

			if (ku == NULL || ASN1_BIT_STRING_get_bit(ku, 5) || ASN1_BIT_STRING_get_bit(ku, 6))
				why = "the request asks to sign certificates (keyUsage)";
			ASN1_BIT_STRING_free(ku);
		} else if (nid == NID_ext_key_usage) {
			EXTENDED_KEY_USAGE *eku = v;

			for (int j = 0; eku != NULL && j < sk_ASN1_OBJECT_num(eku); j++) {
				int u = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, j));

				if (u == NID_server_auth || u == NID_anyExtendedKeyUsage ||
				    u == NID_code_sign)
					why = "the request asks for server or any use (extendedKeyUsage)";
			}
			if (eku == NULL)
				why = "the request's extendedKeyUsage does not parse";
			sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
		} else {
			if (nid == NID_name_constraints || nid == NID_policy_constraints)
				why = "the request asks for CA extensions";
			if (v != NULL)
				ca_ext_free(e, v);
		}
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return why;
}

int
ca_csr_check(const char *csr, size_t csrlen, const char *mac, const char *serial,
	     const char *product, struct ca_csr *out, char *why, size_t whylen)
{
	BIO *b = NULL;
	X509_REQ *req = NULL;
	EVP_PKEY *pub = NULL;
	const X509_NAME *subj;
	char st[64], csrmac[13];
	const char *bad;
	int rc = 1;

	memset(out, 0, sizeof(*out));
	if (csrlen > CA_CSR_MAX || (b = BIO_new_mem_buf(csr, (int)csrlen)) == NULL) {
		snprintf(why, whylen, "request too large or out of memory");
		goto out;
	}
	req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	if (req == NULL) {
		snprintf(why, whylen, "not a PEM certificate request");
		goto out;
	}
	pub = X509_REQ_get_pubkey(req);
	if (pub == NULL || X509_REQ_verify(req, pub) != 1) {
		snprintf(why, whylen, "the request's signature does not verify");
		goto out;
	}
	if ((bad = ca_key_weak(pub)) != NULL) {
		snprintf(why, whylen, "%s", bad);
		goto out;
	}
	subj = X509_REQ_get_subject_name(req);
	if (!ca_name_get(subj, NID_stateOrProvinceName, st, sizeof(st)) ||
	    inv_mac_parse(st, csrmac) < 0 || strcmp(csrmac, mac) != 0) {
		snprintf(why, whylen, "the request's ST is not the MAC of the certificate presented"
			 " (%s)", mac);
		goto out;
	}
	ca_name_get(subj, NID_localityName, out->serial, sizeof(out->serial));
	ca_name_get(subj, NID_organizationalUnitName, out->product, sizeof(out->product));
	if ((serial[0] != '\0' && strcmp(out->serial, serial) != 0) ||
	    (product[0] != '\0' && strcmp(out->product, product) != 0)) {
		snprintf(why, whylen, "the request's L/OU are not the serial/product of the"
			 " certificate presented");
		goto out;
	}
	if ((bad = ca_csr_exts_bad(req)) != NULL) {
		snprintf(why, whylen, "%s", bad);
		goto out;
	}
	out->pub = pub;
	pub = NULL;
	rc = 0;
out:
	EVP_PKEY_free(pub);
	X509_REQ_free(req);
	BIO_free(b);
	return rc;
}

int
ca_sign_csr(struct ca *ca, struct inv *inv, const char *mac, const char *serial,
	    const char *product, const char *csr, size_t csrlen, unsigned days, char **pem,
	    size_t *len, char *why, size_t whylen)
{
	struct ca_csr r;
	X509_NAME *name = NULL;
	X509 *x = NULL;
	char sn[33];
	int rc;

	*pem = NULL;
	if ((rc = ca_csr_check(csr, csrlen, mac, serial, product, &r, why, whylen)) != 0)
		return rc;
	rc = -1;
	name = ca_subject(mac, r.serial, r.product);
	if (name == NULL || (x = ca_make(ca->cert, ca->key, name, r.pub, days, 1, sn)) == NULL) {
		snprintf(why, whylen, "cannot make the certificate (OpenSSL failed)");
		goto out;
	}
	if (ca_record(inv, sn, mac, x, "renew") < 0) {
		snprintf(why, whylen, "%s", inv_errmsg(inv));
		goto out;
	}
	if ((*pem = ca_pem(x, ca->cert, NULL, len)) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	snprintf(why, whylen, "%s", sn);
	rc = 0;
out:
	X509_free(x);
	X509_NAME_free(name);
	EVP_PKEY_free(r.pub);
	return rc;
}

int
ca_revoke_mac(struct inv *inv, const char *mac)
{
	struct db_stmt *st = NULL;
	int step = db_prepare(inv_db(inv), "UPDATE device_cert SET revoked_ms = ?2"
				      " WHERE mac = ?1 AND revoked_ms IS NULL", &st);

	if (step != DB_OK)
		return inv_sqlfail(inv, step);
	db_bind_text(st, 1, mac, -1, DB_STATIC);
	db_bind_int64(st, 2, ca_now_ms());
	step = db_step(st);
	db_finalize(st);
	if (step != DB_DONE)
		return inv_sqlfail(inv, step);
	return db_changes(inv_db(inv));
}

int
ca_list(struct inv *inv, const char *mac, void (*fn)(void *arg, const struct ca_cert *c),
	void *arg)
{
	struct db_stmt *st = NULL;
	int step = db_prepare(inv_db(inv), "SELECT serial, mac, how, not_after_ms,"
				      " created_ms, revoked_ms FROM device_cert"
				      " WHERE CAST(?1 AS TEXT) IS NULL OR mac = ?1 ORDER BY created_ms, serial", &st);

	if (step != DB_OK)
		return inv_sqlfail(inv, step);
	if (mac != NULL)
		db_bind_text(st, 1, mac, -1, DB_STATIC);
	while ((step = db_step(st)) == DB_ROW) {
		struct ca_cert c;
		const unsigned char *t;

		memset(&c, 0, sizeof(c));
		t = db_column_text(st, 0);
		snprintf(c.serial, sizeof(c.serial), "%s", t != NULL ? (const char *)t : "");
		t = db_column_text(st, 1);
		snprintf(c.mac, sizeof(c.mac), "%s", t != NULL ? (const char *)t : "");
		t = db_column_text(st, 2);
		snprintf(c.how, sizeof(c.how), "%s", t != NULL ? (const char *)t : "");
		c.not_after_ms = db_column_int64(st, 3);
		c.created_ms = db_column_int64(st, 4);
		c.revoked_ms = db_column_int64(st, 5);
		fn(arg, &c);
	}
	db_finalize(st);
	return step == DB_DONE ? 0 : inv_sqlfail(inv, step);
}

int
ca_peer_refused(struct inv *inv, SSL *ssl)
{
	X509 *peer = SSL_get0_peer_certificate(ssl);
	const ASN1_INTEGER *ai;
	BIGNUM *bn = NULL;
	unsigned char raw[16];
	char hex[33];
	struct db_stmt *st = NULL;
	int step, refused = 0;

	if (peer == NULL || inv == NULL)
		return 0;
	ai = X509_get0_serialNumber(peer);
	bn = ASN1_INTEGER_to_BN(ai, NULL);
	if (bn == NULL || BN_num_bytes(bn) != (int)sizeof(raw) ||
	    BN_bn2bin(bn, raw) != (int)sizeof(raw)) {
		BN_free(bn);
		return 0; /* not a serial of ours */
	}
	BN_free(bn);
	hex_encode(raw, sizeof(raw), hex);
	step = db_prepare(inv_db(inv), "SELECT revoked_ms FROM device_cert"
				  " WHERE serial = ?1", &st);
	if (step == DB_OK) {
		db_bind_text(st, 1, hex, 32, DB_STATIC);
		step = db_step(st);
		if (step == DB_ROW)
			refused = db_column_type(st, 0) != DB_NULL;
		else if (step != DB_DONE)
			log_msg(LOG_WARNING, "device CA: cannot check certificate %s: %s", hex,
				db_errstr(step));
	} else {
		log_msg(LOG_WARNING, "device CA: cannot check certificate %s: %s", hex,
			db_errstr(step));
	}
	db_finalize(st);
	return refused;
}
