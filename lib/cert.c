/*
 * cert: the device's certificates and trust store: PEM validation with
 * OpenSSL and atomic installation into the state directory (D-NET-2,
 * D-NET-3, D-PER-1).
 */
#include "cert.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "device.h"
#include "fsutil.h"
#include "state.h"

/* ---- certificates ---------------------------------------------------------------------- */

static int
pem_valid(const char *kind, const char *pem, size_t len, char *why, size_t whylen)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	int ok = 0;

	if (bio == NULL) {
		snprintf(why, whylen, "out of memory");
		return 0;
	}
	if (strcmp(kind, "certkey") == 0) {
		EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

		ok = k != NULL;
		EVP_PKEY_free(k);
		if (!ok)
			snprintf(why, whylen, "not a PEM private key (unencrypted)");
	} else {
		X509 *x;
		int n = 0;

		while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
			n++;
			X509_free(x);
		}
		ok = n > 0;
		if (!ok)
			snprintf(why, whylen, "not a PEM certificate");
	}
	ERR_clear_error();
	BIO_free(bio);
	return ok;
}

enum prov_err
prov_pem_check(const char *kind, const char *pem, size_t len, const char *cert,
	       size_t certlen, char *msg, size_t msglen)
{
	char why[128];

	if (strcmp(kind, "cert") != 0 && strcmp(kind, "certkey") != 0 &&
	    strcmp(kind, "ca") != 0) {
		snprintf(msg, msglen, "unknown PEM kind '%s'", kind);
		return PROV_E_INVAL;
	}
	if (len > BOUND_PEM) {
		snprintf(msg, msglen, "%s: PEM file too large", kind);
		return PROV_E_TOOBIG;
	}
	if (!pem_valid(kind, pem, len, why, sizeof(why))) {
		snprintf(msg, msglen, "%s: %s", kind, why);
		return PROV_E_INVAL;
	}
	if (strcmp(kind, "certkey") == 0 && cert != NULL) {
		BIO *cb = BIO_new_mem_buf(cert, (int)certlen);
		BIO *kb = BIO_new_mem_buf(pem, (int)len);
		X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
		EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
		int ok = x != NULL && k != NULL && X509_check_private_key(x, k) == 1;

		X509_free(x);
		EVP_PKEY_free(k);
		BIO_free(cb);
		BIO_free(kb);
		ERR_clear_error();
		if (!ok) {
			snprintf(msg, msglen, "certkey: the key does not match the certificate");
			return PROV_E_INVAL;
		}
	}
	return PROV_OK;
}

enum prov_err
prov_device_install_pem(struct prov_device *dev, const char *kind, const char *pem,
			size_t len)
{
	struct diag d;
	char why[128], name[32];
	enum prov_err rc;

	diag_init(&d);
	if (strcmp(kind, "cert") != 0 && strcmp(kind, "certkey") != 0 &&
	    strcmp(kind, "ca") != 0)
		return device_failf(dev, PROV_E_INVAL, "unknown PEM kind '%s'", kind);
	if (dev->st == NULL)
		return device_failf(dev, PROV_E_INVAL, "%s", "a memory-only device has no trust store");
	if (len > BOUND_PEM)
		return device_failf(dev, PROV_E_TOOBIG, "%s: PEM file too large", kind);
	if (!pem_valid(kind, pem, len, why, sizeof(why))) {
		snprintf(dev->errmsg, sizeof(dev->errmsg), "%s: %s", kind, why);
		return PROV_E_INVAL;
	}
	snprintf(name, sizeof(name), "%s.pem", kind);
	rc = fsutil_write_atomic(state_dir(dev->st), name, pem, len,
				 strcmp(kind, "certkey") == 0 ? 0600 : 0644, &d);
	if (rc != PROV_OK)
		return device_fail(dev, &d, NULL);
	if (strcmp(kind, "ca") != 0) {
		/* The operator's certificate replaces a renewed MIC, which
		 * would otherwise take precedence (cert.h). */
		char mic[PATH_MAX];

		snprintf(mic, sizeof(mic), "%s/%s", state_dir(dev->st), CERT_FILE_MIC);
		if (unlink(mic) != 0 && errno != ENOENT)
			return device_failf(dev, PROV_E_IO, "%s: %s", mic, strerror(errno));
	}
	return PROV_OK;
}

/* ---- the files of one transfer -------------------------------------------------------------- */

/* DIR/NAME into out when the file exists, else "". */
static void
cert_path(const char *dir, const char *name, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= outlen || !fsutil_exists(out))
		out[0] = '\0';
}

void
cert_paths_get(const struct prov_device *dev, struct cert_paths *p, struct fetch_req *req)
{
	const char *dir;

	memset(p, 0, sizeof(*p));
	if (dev->st != NULL) {
		dir = state_dir(dev->st);
		cert_path(dir, CERT_FILE_CA, p->ca, sizeof(p->ca));
		cert_path(dir, CERT_FILE_CUSTOM, p->custom, sizeof(p->custom));
		cert_path(dir, CERT_FILE_MIC, p->cert, sizeof(p->cert));
		if (p->cert[0] != '\0') {
			memcpy(p->key, p->cert, sizeof(p->key));
		} else {
			cert_path(dir, CERT_FILE_CERT, p->cert, sizeof(p->cert));
			cert_path(dir, CERT_FILE_KEY, p->key, sizeof(p->key));
			if (p->cert[0] == '\0' || p->key[0] == '\0')
				p->cert[0] = p->key[0] = '\0';
		}
	}
	if (req == NULL)
		return;
	req->ca_file = p->ca[0] ? p->ca : NULL;
	req->ca_extra_file = p->custom[0] ? p->custom : NULL;
	req->cert_file = p->cert[0] ? p->cert : NULL;
	req->key_file = p->key[0] ? p->key : NULL;
}

void
cert_when(int64_t wall_s, char *out, size_t outlen)
{
	time_t t = (time_t)wall_s;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, outlen, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(out, outlen, "%lld", (long long)wall_s);
}

int
cert_client_installed(const struct prov_device *dev)
{
	struct cert_paths p;

	cert_paths_get(dev, &p, NULL);
	return p.cert[0] != '\0';
}

