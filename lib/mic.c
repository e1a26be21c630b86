/*
 * mic: MIC renewal: key, CSR, request, checks on the answer, atomic
 * installation, status. The contract is in mic.h.
 */
#include "mic.h"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "cert.h"
#include "device.h"
#include "fetch.h"
#include "fsutil.h"
#include "macro.h"
#include "param.h"
#include "state.h"
#include "url.h"
#include "vars.h"

struct mic_op {
	struct prov_device *dev;
	struct fetch_xfer *xfer;
	EVP_PKEY *key;         /* the new key, until installed or dropped */
	char rule[BOUND_URL_TEXT + 1];
	struct cert_paths paths;
	int64_t wall_s;
	void (*done)(void *arg);
	void *arg;
};

static const char *
pval(const struct prov_device *dev, const char *name)
{
	return device_param(dev, name);
}

/* Printable ASCII of the CN of x (others '?'), or "" without one. */
static void
mic_cn(X509 *x, char *out, size_t outlen)
{
	const X509_NAME *name = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	unsigned char *u = NULL;
	int n;
	size_t o = 0;

	if (outlen == 0)
		return;
	if (i >= 0) {
		n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
		for (int k = 0; k < n && o + 1 < outlen && o < MIC_CN_MAX; k++)
			out[o++] = u[k] >= 0x20 && u[k] < 0x7f ? (char)u[k] : '?';
		OPENSSL_free(u);
	}
	out[o] = '\0';
}

/* The installed client certificate (mic.pem, else cert.pem), or NULL;
 * *renewed says which. Caller frees. */
static X509 *
mic_current(const struct prov_device *dev, int *renewed)
{
	struct cert_paths p;
	struct buf b;
	struct diag d;
	X509 *x = NULL;

	*renewed = 0;
	cert_paths_get(dev, &p, NULL);
	if (p.cert[0] == '\0' || dev->st == NULL)
		return NULL;
	*renewed = strcmp(p.cert, p.key) == 0;
	buf_init(&b, BOUND_PEM);
	diag_init(&d);
	if (fsutil_read(p.cert, &b, &d) == PROV_OK && b.len > 0) {
		BIO *bio = BIO_new_mem_buf(b.p, (int)b.len);

		if (bio != NULL)
			x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	if (b.p != NULL)
		OPENSSL_cleanse(b.p, b.alloc); /* mic.pem holds the key */
	buf_free(&b);
	ERR_clear_error();
	return x;
}

int
mic_due(struct prov_device *dev)
{
	char *last = NULL;
	int due, renewed;
	X509 *x;

	if (strcmp(pval(dev, "MIC_Cert_Refresh_Enable"), "Yes") != 0)
		return 0;
	if (prov_device_status_get(dev, "mic_rule", &last) != PROV_OK)
		last = NULL;
	due = last == NULL || strcmp(last, pval(dev, "MIC_Cert_Refresh_Rule")) != 0;
	free(last);
	if (due)
		return 1;
	x = mic_current(dev, &renewed);
	if (x == NULL)
		return 1;
	{
		time_t horizon = time(NULL) + (time_t)MIC_RENEW_DAYS * 86400;

		due = X509_cmp_time(X509_get0_notAfter(x), &horizon) <= 0;
	}
	X509_free(x);
	return due;
}

/* Adds NAME=value to the subject when value is not empty. */
static int
subject_add(X509_NAME *n, const char *field, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return 1;
	return X509_NAME_add_entry_by_txt(n, field, MBSTRING_UTF8, (const unsigned char *)value,
					  -1, -1, 0) == 1;
}

enum prov_err
mic_csr(const struct prov_device *dev, EVP_PKEY **key, struct buf *csr, char *why,
	size_t whylen)
{
	X509_REQ *req = NULL;
	X509_NAME *name = NULL;
	BIO *bio = NULL;
	char cn[160];
	char *p = NULL;
	long len;
	enum prov_err rc = PROV_E_NOMEM;

	*key = EVP_EC_gen("P-256");
	if (*key == NULL) {
		snprintf(why, whylen, "key generation failed");
		goto out;
	}
	req = X509_REQ_new();
	name = X509_NAME_new();
	bio = BIO_new(BIO_s_mem());
	if (req == NULL || name == NULL || bio == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	snprintf(cn, sizeof(cn), "%s SEP%s", dev->product != NULL ? dev->product : "", dev->mau);
	if (!subject_add(name, "ST", dev->mau) || !subject_add(name, "L", dev->serial) ||
	    !subject_add(name, "OU", dev->product) || !subject_add(name, "CN", cn) ||
	    X509_REQ_set_version(req, 0) != 1 || X509_REQ_set_subject_name(req, name) != 1 ||
	    X509_REQ_set_pubkey(req, *key) != 1 || X509_REQ_sign(req, *key, EVP_sha256()) <= 0 ||
	    PEM_write_bio_X509_REQ(bio, req) != 1 || (len = BIO_get_mem_data(bio, &p)) <= 0) {
		snprintf(why, whylen, "CSR not made");
		rc = PROV_E_INVAL;
		goto out;
	}
	buf_reset(csr);
	rc = buf_add(csr, p, (size_t)len);
	if (rc != PROV_OK)
		snprintf(why, whylen, "CSR too large");
out:
	if (rc != PROV_OK) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	X509_REQ_free(req);
	X509_NAME_free(name);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

/* The trust store of the checks: the device's files, or the system's. */
static X509_STORE *
mic_store(const char *ca_file, const char *ca_extra)
{
	X509_STORE *st = X509_STORE_new();

	if (st == NULL)
		return NULL;
	if (ca_file != NULL ? X509_STORE_load_file(st, ca_file) != 1 :
			      X509_STORE_set_default_paths(st) != 1)
		goto fail;
	if (ca_extra != NULL && X509_STORE_load_file(st, ca_extra) != 1)
		goto fail;
	return st;
fail:
	X509_STORE_free(st);
	return NULL;
}

enum prov_err
mic_accept(EVP_PKEY *key, const char *resp, size_t len, const char *ca_file,
	   const char *ca_extra, struct buf *pair, char *cn, size_t cnlen, char *why,
	   size_t whylen)
{
	BIO *in = NULL, *out = NULL;
	STACK_OF(X509) *chain = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509 *x = NULL, *leaf;
	char *p = NULL;
	long plen;
	enum prov_err rc = PROV_E_INVAL;

	if (cnlen > 0)
		cn[0] = '\0';
	if (len > BOUND_PEM) {
		snprintf(why, whylen, "answer too large");
		return PROV_E_TOOBIG;
	}
	ERR_clear_error();
	in = BIO_new_mem_buf(resp, (int)len);
	out = BIO_new(BIO_s_mem());
	chain = sk_X509_new_null();
	if (in == NULL || out == NULL || chain == NULL) {
		snprintf(why, whylen, "out of memory");
		rc = PROV_E_NOMEM;
		goto out;
	}
	while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_num(chain) >= MIC_CHAIN_MAX || !sk_X509_push(chain, x)) {
			X509_free(x);
			snprintf(why, whylen, "more than %u certificates in the answer",
				 MIC_CHAIN_MAX);
			goto out;
		}
	}
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE) {
		snprintf(why, whylen, "the answer has a corrupt PEM block");
		goto out;
	}
	if (sk_X509_num(chain) == 0) {
		snprintf(why, whylen, "no PEM certificate in the answer");
		goto out;
	}
	leaf = sk_X509_value(chain, 0);
	if (X509_check_private_key(leaf, key) != 1) {
		snprintf(why, whylen, "the certificate is not for the new key");
		goto out;
	}
	store = mic_store(ca_file, ca_extra);
	ctx = X509_STORE_CTX_new();
	if (store == NULL || ctx == NULL ||
	    X509_STORE_CTX_init(ctx, store, leaf, chain) != 1 ||
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1) {
		snprintf(why, whylen, "trust store unusable");
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		snprintf(why, whylen, "certificate not trusted: %s",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	/* key first, then the chain: curl reads the first of each kind. */
	if (PEM_write_bio_PrivateKey(out, key, NULL, NULL, 0, NULL, NULL) != 1) {
		snprintf(why, whylen, "key not written");
		goto out;
	}
	for (int i = 0; i < sk_X509_num(chain); i++)
		if (PEM_write_bio_X509(out, sk_X509_value(chain, i)) != 1) {
			snprintf(why, whylen, "certificate not written");
			goto out;
		}
	plen = BIO_get_mem_data(out, &p);
	buf_reset(pair);
	if (plen <= 0 || buf_add(pair, p, (size_t)plen) != PROV_OK) {
		snprintf(why, whylen, "answer too large");
		rc = PROV_E_TOOBIG;
		goto out;
	}
	mic_cn(leaf, cn, cnlen);
	rc = PROV_OK;
out:
	if (out != NULL && (plen = BIO_get_mem_data(out, &p)) > 0)
		OPENSSL_cleanse(p, (size_t)plen); /* it held the key */
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(chain, X509_free);
	BIO_free(in);
	BIO_free(out);
	ERR_clear_error();
	return rc;
}

enum prov_err
mic_install(struct prov_device *dev, const char *pair, size_t len, char *why, size_t whylen)
{
	struct diag d;
	enum prov_err rc;

	if (dev->st == NULL) {
		snprintf(why, whylen, "a memory-only device has no certificate store");
		return PROV_E_INVAL;
	}
	diag_init(&d);
	rc = fsutil_write_atomic(state_dir(dev->st), CERT_FILE_MIC, pair, len, 0600, &d);
	if (rc != PROV_OK)
		snprintf(why, whylen, "not saved: %.120s", d.msg);
	return rc;
}

/* Writes the status line for an attempt at wall_s; on success also the
 * rule renewed from (mic.h). */
static void
mic_status(struct prov_device *dev, int64_t wall_s, const char *result, const char *rule_ok)
{
	char line[MIC_WHY_MAX + MIC_CN_MAX + 160], when[32], cn[MIC_CN_MAX + 1], exp[40];
	const char *keys[2] = { "mic", "mic_rule" };
	const char *values[2];
	int renewed;
	X509 *x = mic_current(dev, &renewed);

	cert_when(wall_s, when, sizeof(when));
	if (x != NULL) {
		struct tm tm;

		mic_cn(x, cn, sizeof(cn));
		if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1 ||
		    strftime(exp, sizeof(exp), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
			snprintf(exp, sizeof(exp), "?");
		snprintf(line, sizeof(line), "%s (CN=%s, expires %s); last attempt %s: %s",
			 renewed ? "Renewed" : "Installed", cn, exp, when, result);
		X509_free(x);
	} else {
		snprintf(line, sizeof(line), "Not Installed; last attempt %s: %s", when, result);
	}
	values[0] = line;
	values[1] = rule_ok;
	/* Status is advice: a failed write leaves the old line. */
	if (device_status_put_many(dev, keys, values, rule_ok != NULL ? 2 : 1) != PROV_OK)
		return;
}

static void
mic_failed(struct prov_device *dev, int64_t wall_s, const char *why)
{
	char result[MIC_WHY_MAX + 16];

	snprintf(result, sizeof(result), "Failed: %.*s", MIC_WHY_MAX, why);
	mic_status(dev, wall_s, result, NULL);
}

static void
op_free(struct mic_op *op)
{
	if (op == NULL)
		return;
	EVP_PKEY_free(op->key);
	free(op);
}

static void
op_answered(void *arg, struct fetch_result *fr)
{
	struct mic_op *op = arg;
	struct buf pair;
	char why[MIC_WHY_MAX], cn[MIC_CN_MAX + 1];
	struct cert_paths *p = &op->paths;

	op->xfer = NULL;
	buf_init(&pair, 2 * BOUND_PEM);
	if (fr->status != FETCH_OK)
		mic_failed(op->dev, op->wall_s, fr->err);
	else if (mic_accept(op->key, fr->body.p != NULL ? fr->body.p : "", fr->body.len,
			    p->ca[0] ? p->ca : NULL, p->custom[0] ? p->custom : NULL, &pair, cn,
			    sizeof(cn), why, sizeof(why)) != PROV_OK)
		mic_failed(op->dev, op->wall_s, why);
	else if (mic_install(op->dev, pair.p, pair.len, why, sizeof(why)) != PROV_OK)
		mic_failed(op->dev, op->wall_s, why);
	else
		mic_status(op->dev, op->wall_s, "Success", op->rule);
	if (pair.p != NULL)
		OPENSSL_cleanse(pair.p, pair.alloc);
	buf_free(&pair);
	op->done(op->arg);
	op_free(op);
}

enum prov_err
mic_start(struct prov_device *dev, struct fetch_net *net, int64_t wall_s,
	  void (*done)(void *arg), void *arg, struct mic_op **out)
{
	struct mic_op *op = NULL;
	struct macro_vars vars;
	struct fetch_req req;
	struct url u;
	struct buf text, csr, ua;
	struct diag d;
	char why[MIC_WHY_MAX];
	const char *rule = pval(dev, "MIC_Cert_Refresh_Rule");
	const char *uat = pval(dev, "HTTP_User_Agent_Name");
	enum prov_err rc = PROV_OK;

	*out = NULL;
	buf_init(&text, BOUND_URL_TEXT);
	buf_init(&csr, MIC_CSR_MAX);
	buf_init(&ua, BOUND_MACRO_OUT);
	if (!mic_due(dev))
		goto out;
	op = calloc(1, sizeof(*op));
	if (op == NULL) {
		rc = PROV_E_NOMEM;
		goto out;
	}
	op->dev = dev;
	op->wall_s = wall_s;
	op->done = done;
	op->arg = arg;
	snprintf(op->rule, sizeof(op->rule), "%s", rule);
	diag_init(&d);
	vars_init(dev, &vars);
	if (rule[0] == '\0') {
		mic_failed(dev, wall_s, "no MIC_Cert_Refresh_Rule");
		goto out;
	}
	if (macro_expand(rule, strlen(rule), &vars, 0, &text, &d) != PROV_OK ||
	    url_parse(text.p != NULL ? text.p : "", text.len, &u, &d) != PROV_OK) {
		snprintf(why, sizeof(why), "bad MIC_Cert_Refresh_Rule: %.120s", d.msg);
		mic_failed(dev, wall_s, why);
		goto out;
	}
	if (u.scheme != URL_HTTP && u.scheme != URL_HTTPS) {
		mic_failed(dev, wall_s, "MIC_Cert_Refresh_Rule must be http or https");
		goto out;
	}
	if (u.host[0] == '\0') {
		mic_failed(dev, wall_s, "MIC_Cert_Refresh_Rule names no server");
		goto out;
	}
	if (mic_csr(dev, &op->key, &csr, why, sizeof(why)) != PROV_OK) {
		mic_failed(dev, wall_s, why);
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.url = &u;
	cert_paths_get(dev, &op->paths, &req);
	if (macro_expand(uat, strlen(uat), &vars, 0, &ua, NULL) == PROV_OK && ua.len > 0)
		req.user_agent = buf_str(&ua);
	req.post = csr.p;
	req.postlen = csr.len;
	req.content_type = "application/pkcs10";
	req.max_body = BOUND_PEM;
	req.timeout_ms = BOUND_NET_TIMEOUT_MS;
	req.connect_timeout_ms = BOUND_NET_CONNECT_MS;
	rc = fetch_start(net, &req, op_answered, op, &op->xfer, &d);
	if (rc != PROV_OK) {
		snprintf(why, sizeof(why), "fetch failed: %.120s", d.msg);
		mic_failed(dev, wall_s, why);
		goto out;
	}
	*out = op;
	op = NULL;
out:
	op_free(op);
	buf_free(&text);
	buf_free(&csr);
	buf_free(&ua);
	return rc;
}

void
mic_cancel(struct mic_op *op)
{
	if (op == NULL)
		return;
	fetch_cancel(op->xfer);
	op_free(op);
}
