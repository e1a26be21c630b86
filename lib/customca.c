/*
 * customca: Custom_CA_Rule, validation and installation of the custom CA
 * bundle, and its status line. The contract is in customca.h.
 */
#include "customca.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "buf.h"
#include "cert.h"
#include "device.h"
#include "dhcpopt.h"
#include "fetch.h"
#include "fsutil.h"
#include "macro.h"
#include "param.h"
#include "rule.h"
#include "state.h"
#include "vars.h"

struct customca_op {
	struct prov_device *dev;
	struct fetch_xfer *xfer;
	int64_t wall_s;
	char rule[BOUND_RULE_TEXT + 1];
	void (*done)(void *arg);
	void *arg;
};

/* The rule's text now (borrowed from dev). */
static const char *
ca_rule(const struct prov_device *dev)
{
	return device_param(dev, "Custom_CA_Rule");
}

/* Printable ASCII of s (others as '?'), cut to CUSTOMCA_CN_MAX. */
static void
cn_copy(const unsigned char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < outlen && o < CUSTOMCA_CN_MAX; i++)
		out[o++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	out[o] = '\0';
}

/* The CN of x's subject, or the whole subject (RFC 2253) without one. */
static void
cert_cn(X509 *x, char *out, size_t outlen)
{
	const X509_NAME *name = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	unsigned char *u = NULL;
	int n;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (i >= 0) {
		ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));

		n = ASN1_STRING_to_UTF8(&u, s);
		if (n >= 0)
			cn_copy(u, (size_t)n, out, outlen);
		OPENSSL_free(u);
	} else {
		BIO *b = BIO_new(BIO_s_mem());
		char *p = NULL;
		long len;

		if (b == NULL)
			return;
		if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0 &&
		    (len = BIO_get_mem_data(b, &p)) > 0)
			cn_copy((const unsigned char *)p, (size_t)len, out, outlen);
		BIO_free(b);
	}
}

enum prov_err
customca_validate(const char *pem, size_t len, char *cn, size_t cnlen, char *why,
		  size_t whylen)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long dlen;
	size_t n = 0;
	enum prov_err rc = PROV_E_INVAL;

	if (cnlen > 0)
		cn[0] = '\0';
	if (len > BOUND_PEM) {
		snprintf(why, whylen, "bundle too large (over %u bytes)", BOUND_PEM);
		return PROV_E_TOOBIG;
	}
	ERR_clear_error();
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL) {
		snprintf(why, whylen, "out of memory");
		return PROV_E_NOMEM;
	}
	while (PEM_read_bio(bio, &name, &header, &data, &dlen) == 1) {
		const unsigned char *q = data;
		X509 *x = NULL;

		n++;
		if (strcmp(name, "CERTIFICATE") != 0) {
			snprintf(why, whylen, "block %zu is a %.40s, not a CERTIFICATE", n, name);
			goto out;
		}
		if (n > CUSTOMCA_MAX_CERTS) {
			snprintf(why, whylen, "more than %u certificates", CUSTOMCA_MAX_CERTS);
			goto out;
		}
		x = d2i_X509(NULL, &q, dlen);
		if (x == NULL || q != data + dlen) {
			X509_free(x);
			snprintf(why, whylen, "certificate %zu is malformed", n);
			goto out;
		}
		/* basicConstraints CA:TRUE, as X509_check_ca reads it (a v1
		 * root without extensions does not count: it cannot say). */
		if (!(X509_get_extension_flags(x) & EXFLAG_CA)) {
			X509_free(x);
			snprintf(why, whylen, "certificate %zu is not a CA (no basicConstraints CA:TRUE)",
				 n);
			goto out;
		}
		if (n == 1 && cnlen > 0)
			cert_cn(x, cn, cnlen);
		X509_free(x);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		name = header = NULL;
		data = NULL;
	}
	/* The loop ends at the end of the input (no more start lines) or at a
	 * block that does not decode. */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE) {
		snprintf(why, whylen, "PEM block %zu is corrupt", n + 1);
		goto out;
	}
	if (n == 0) {
		snprintf(why, whylen, "no PEM certificate in the file");
		goto out;
	}
	rc = PROV_OK;
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

/* Writes the status line for an attempt at wall_s ("" result: none yet). */
static void
status_record(struct prov_device *dev, int64_t wall_s, const char *result, const char *rule)
{
	char line[CUSTOMCA_CN_MAX + CUSTOMCA_WHY_MAX + 96], when[32], cn[CUSTOMCA_CN_MAX + 1];
	char path[PATH_MAX];
	struct buf b;
	struct diag d;
	const char *keys[2] = { "custom_ca", "custom_ca_rule" };
	const char *values[2];
	int installed = 0;

	cn[0] = '\0';
	if (dev->st != NULL) {
		snprintf(path, sizeof(path), "%s/%s", state_dir(dev->st), CERT_FILE_CUSTOM);
		buf_init(&b, BOUND_PEM);
		diag_init(&d);
		if (fsutil_exists(path) && fsutil_read(path, &b, &d) == PROV_OK) {
			char why[CUSTOMCA_WHY_MAX];

			installed = customca_validate(b.p != NULL ? b.p : "", b.len, cn,
						      sizeof(cn), why, sizeof(why)) == PROV_OK;
		}
		buf_free(&b);
	}
	cert_when(wall_s, when, sizeof(when));
	if (installed)
		snprintf(line, sizeof(line), "Installed (CN=%s); last attempt %s: %s", cn, when,
			 result);
	else
		snprintf(line, sizeof(line), "Not Installed; last attempt %s: %s", when, result);
	values[0] = line;
	values[1] = rule;
	/* Status is advice: a failed write leaves the old line. */
	if (device_status_put_many(dev, keys, values, 2) != PROV_OK)
		return;
}

/* A failed attempt at rule. */
static void
ca_failed(struct prov_device *dev, int64_t wall_s, const char *why, const char *rule)
{
	char result[CUSTOMCA_WHY_MAX + 16];

	snprintf(result, sizeof(result), "Failed: %.*s", CUSTOMCA_WHY_MAX, why);
	status_record(dev, wall_s, result, rule);
}

void
customca_failed(struct prov_device *dev, int64_t wall_s, const char *why)
{
	ca_failed(dev, wall_s, why, ca_rule(dev));
}

/* customca_install for the bundle rule named (the status records it: an
 * agent compares it with the rule of the moment). */
static enum prov_err
ca_install(struct prov_device *dev, const char *pem, size_t len, int64_t wall_s,
	   const char *rule)
{
	char why[CUSTOMCA_WHY_MAX], cn[CUSTOMCA_CN_MAX + 1];
	struct diag d;
	enum prov_err rc;

	if (dev->st == NULL) {
		ca_failed(dev, wall_s, "a memory-only device has no trust store", rule);
		return PROV_E_INVAL;
	}
	rc = customca_validate(pem, len, cn, sizeof(cn), why, sizeof(why));
	if (rc != PROV_OK) {
		ca_failed(dev, wall_s, why, rule);
		return rc;
	}
	diag_init(&d);
	rc = fsutil_write_atomic(state_dir(dev->st), CERT_FILE_CUSTOM, pem, len, 0644, &d);
	if (rc != PROV_OK) {
		snprintf(why, sizeof(why), "not saved: %.120s", d.msg);
		ca_failed(dev, wall_s, why, rule);
		return rc;
	}
	status_record(dev, wall_s, "Success", rule);
	return PROV_OK;
}

enum prov_err
customca_install(struct prov_device *dev, const char *pem, size_t len, int64_t wall_s)
{
	return ca_install(dev, pem, len, wall_s, ca_rule(dev));
}

void
customca_status(struct prov_device *dev, char *out, size_t outlen)
{
	char *v = NULL;

	if (prov_device_status_get(dev, "custom_ca", &v) == PROV_OK && v != NULL && v[0])
		snprintf(out, outlen, "%s", v);
	else
		snprintf(out, outlen, "Not Installed");
	free(v);
}

static void
op_free(struct customca_op *op)
{
	free(op);
}

static void
op_fetched(void *arg, struct fetch_result *fr)
{
	struct customca_op *op = arg;

	op->xfer = NULL;
	if (fr->status == FETCH_TOOBIG) {
		char why[64];

		snprintf(why, sizeof(why), "bundle too large (over %u bytes)", BOUND_PEM);
		ca_failed(op->dev, op->wall_s, why, op->rule);
	} else if (fr->status != FETCH_OK) {
		ca_failed(op->dev, op->wall_s, fr->err, op->rule);
	} else {
		/* A failure is in the status; the resync goes on either way. */
		enum prov_err rc = ca_install(op->dev, fr->body.p != NULL ? fr->body.p : "",
					      fr->body.len, op->wall_s, op->rule);

		(void)rc;
	}
	op->done(op->arg);
	op_free(op);
}

/* The rule's URL, expanded, into act; 0 after recording why not. The host
 * of a URL without one is the last server a resync used (D-RUL-4). */
static int
op_url(struct customca_op *op, struct rule_action *act)
{
	struct rule *r = NULL;
	const struct rule_alt *alt = NULL;
	struct macro_vars vars;
	struct diag d;
	char why[CUSTOMCA_WHY_MAX];
	enum prov_err rc;

	diag_init(&d);
	vars_init(op->dev, &vars);
	rc = rule_parse(op->rule, strlen(op->rule), RULE_NO_OPTIONS, &r, &d);
	if (rc == PROV_OK)
		rc = rule_select(r, &vars, &alt, &d);
	if (rc == PROV_OK && alt != NULL)
		rc = rule_action_build(alt, &vars, act, &d);
	rule_free(r);
	if (rc != PROV_OK) {
		snprintf(why, sizeof(why), "bad rule col %u: %.100s", d.col, d.msg);
		ca_failed(op->dev, op->wall_s, why, op->rule);
		return 0;
	}
	if (alt == NULL || !act->has_url)
		return 0; /* no alternative taken: nothing to do, nothing said */
	/* D-RUL-4: a hostless URL takes the DHCP-provided server, else the
	 * last provisioning server. */
	if (act->url.host[0] == '\0' && !dhcpopt_default_host(op->dev, &act->url)) {
		ca_failed(op->dev, op->wall_s, "no server: the rule names none", op->rule);
		return 0;
	}
	return 1;
}

enum prov_err
customca_start(struct prov_device *dev, struct fetch_net *net, int64_t wall_s,
	       void (*done)(void *arg), void *arg, struct customca_op **out)
{
	struct customca_op *op = NULL;
	struct rule_action act;
	struct cert_paths paths;
	struct fetch_req req;
	struct diag d;
	struct buf ua;
	const char *rule = ca_rule(dev);
	enum prov_err rc = PROV_OK;
	long uaidx = param_find("HTTP_User_Agent_Name", strlen("HTTP_User_Agent_Name"));
	struct macro_vars vars;

	*out = NULL;
	memset(&act, 0, sizeof(act));
	buf_init(&ua, BOUND_MACRO_OUT);
	if (rule[0] == '\0' || strlen(rule) > BOUND_RULE_TEXT)
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
	memcpy(op->rule, rule, strlen(rule) + 1);
	if (!op_url(op, &act))
		goto out;
	memset(&req, 0, sizeof(req));
	req.url = &act.url;
	cert_paths_get(dev, &paths, &req);
	if (uaidx >= 0) {
		const char *t = device_value(dev, (size_t)uaidx);

		vars_init(dev, &vars);
		if (macro_expand(t, strlen(t), &vars, 0, &ua, NULL) == PROV_OK && ua.len > 0)
			req.user_agent = buf_str(&ua);
	}
	req.max_body = BOUND_PEM;
	req.timeout_ms = BOUND_NET_TIMEOUT_MS;
	req.connect_timeout_ms = BOUND_NET_CONNECT_MS;
	diag_init(&d);
	rc = fetch_start(net, &req, op_fetched, op, &op->xfer, &d);
	if (rc != PROV_OK) {
		char why[CUSTOMCA_WHY_MAX];

		snprintf(why, sizeof(why), "fetch failed: %.120s", d.msg);
		ca_failed(dev, wall_s, why, op->rule);
		goto out;
	}
	*out = op;
	op = NULL;
out:
	rule_action_fini(&act);
	buf_free(&ua);
	op_free(op);
	return rc;
}

void
customca_cancel(struct customca_op *op)
{
	if (op == NULL)
		return;
	fetch_cancel(op->xfer);
	op_free(op);
}
