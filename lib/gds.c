/*
 * gds: the device side of activation-code onboarding. See gds.h.
 */
#include "gds.h"
#include <ctype.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "bounds.h"
#include "buf.h"
#include "cert.h"
#include "device.h"
#include "fetch.h"
#include "macro.h"
#include "url.h"
#include "vars.h"

struct gds_op {
	struct prov_device *dev;
	int64_t wall_s;
	void (*done)(void *arg, const char *rule, const char *why);
	void *arg;
	struct fetch_xfer *xfer;
	struct cert_paths paths;
};

int
gds_is_rule(const char *rule)
{
	size_t n;

	while (isspace((unsigned char)*rule))
		rule++;
	n = strlen(rule);
	while (n > 0 && isspace((unsigned char)rule[n - 1]))
		n--;
	return n == 6 && strncasecmp(rule, "gds://", 6) == 0;
}

static void
gds_status(struct prov_device *dev, int64_t wall_s, const char *what, const char *why)
{
	char when[32], line[GDS_WHY_MAX + 64];
	time_t t = (time_t)wall_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(line, sizeof(line), "%s %s%s%s", what, when, why != NULL ? ": " : "",
		 why != NULL ? why : "");
	if (device_status_put(dev, "activation", line) != PROV_OK)
		return; /* the status is a report; the outcome stands */
}

/* Appends name=value, value percent-encoded (RFC 3986 unreserved kept). */
static enum prov_err
form_add(struct buf *b, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	enum prov_err rc = buf_addf(b, "%s%s=", b->len > 0 ? "&" : "", name);

	for (const unsigned char *s = (const unsigned char *)value; rc == PROV_OK && *s; s++) {
		if (isalnum(*s) || *s == '-' || *s == '.' || *s == '_' || *s == '~')
			rc = buf_addc(b, (char)*s);
		else
			rc = buf_addf(b, "%%%c%c", hex[*s >> 4], hex[*s & 15]);
	}
	return rc;
}

static void
op_free(struct gds_op *op)
{
	free(op);
}

static void
op_answered(void *arg, struct fetch_result *fr)
{
	struct gds_op *op = arg;
	char why[GDS_WHY_MAX], *rule = NULL;
	size_t n = fr->body.len;

	op->xfer = NULL;
	why[0] = '\0';
	/* Used up whatever the answer: a code is tried once. */
	if (device_status_put(op->dev, "activation_code", "") != PROV_OK)
		snprintf(why, sizeof(why), "cannot forget the code");
	else if (fr->status == FETCH_HTTP_STATUS && strstr(fr->err, "403") != NULL)
		snprintf(why, sizeof(why), "invalid activation code");
	else if (fr->status != FETCH_OK)
		snprintf(why, sizeof(why), "%.150s", fr->err);
	while (why[0] == '\0' && n > 0 && isspace((unsigned char)fr->body.p[n - 1]))
		n--;
	if (why[0] == '\0' && (n == 0 || n > BOUND_RULE_TEXT ||
			       memchr(fr->body.p, '\0', n) != NULL))
		snprintf(why, sizeof(why), "the service answered no rule");
	if (why[0] == '\0') {
		rule = strndup(fr->body.p, n);
		if (rule == NULL)
			snprintf(why, sizeof(why), "out of memory");
		else if (gds_is_rule(rule))
			snprintf(why, sizeof(why), "the service answered gds:// again");
	}
	gds_status(op->dev, op->wall_s, why[0] ? "Failed" : "Activated",
			why[0] ? why : NULL);
	op->done(op->arg, why[0] ? NULL : rule, why[0] ? why : NULL);
	free(rule);
	op_free(op);
}

enum prov_err
gds_start(struct prov_device *dev, struct fetch_net *net, int64_t wall_s,
	       void (*done)(void *arg, const char *rule, const char *why), void *arg,
	       struct gds_op **out, char why[GDS_WHY_MAX])
{
	struct gds_op *op = NULL;
	struct macro_vars vars;
	struct fetch_req req;
	struct url u;
	struct buf text, body;
	struct diag d;
	char *code = NULL, *service = NULL;
	enum prov_err rc = PROV_E_INVAL;

	*out = NULL;
	buf_init(&text, BOUND_URL_TEXT);
	buf_init(&body, 1024);
	diag_init(&d);
	if (prov_device_status_get(dev, "activation_code", &code) != PROV_OK || code == NULL ||
	    code[0] == '\0') {
		snprintf(why, GDS_WHY_MAX, "activation code required");
		goto out;
	}
	if (prov_device_status_get(dev, "activation_service", &service) != PROV_OK ||
	    service == NULL || service[0] == '\0') {
		snprintf(why, GDS_WHY_MAX, "no activation service");
		goto out;
	}
	vars_init(dev, &vars);
	if (macro_expand(service, strlen(service), &vars, 0, &text, &d) != PROV_OK ||
	    url_parse(text.p != NULL ? text.p : "", text.len, &u, &d) != PROV_OK) {
		snprintf(why, GDS_WHY_MAX, "bad activation service: %.120s", d.msg);
		goto out;
	}
	if (u.scheme != URL_HTTPS || u.host[0] == '\0') {
		snprintf(why, GDS_WHY_MAX, "the activation service must be an https URL");
		goto out;
	}
	if (form_add(&body, "code", code) != PROV_OK || form_add(&body, "mac", dev->ma) != PROV_OK ||
	    form_add(&body, "serial", dev->serial != NULL ? dev->serial : "") != PROV_OK ||
	    form_add(&body, "product", dev->product != NULL ? dev->product : "") != PROV_OK) {
		snprintf(why, GDS_WHY_MAX, "activation request too long");
		goto out;
	}
	op = calloc(1, sizeof(*op));
	if (op == NULL) {
		rc = PROV_E_NOMEM;
		snprintf(why, GDS_WHY_MAX, "out of memory");
		goto out;
	}
	op->dev = dev;
	op->wall_s = wall_s;
	op->done = done;
	op->arg = arg;
	memset(&req, 0, sizeof(req));
	req.url = &u;
	cert_paths_get(dev, &op->paths, &req);
	req.post = body.p;
	req.postlen = body.len;
	req.content_type = "application/x-www-form-urlencoded";
	req.max_body = BOUND_RULE_TEXT + 64;
	req.timeout_ms = BOUND_NET_TIMEOUT_MS;
	req.connect_timeout_ms = BOUND_NET_CONNECT_MS;
	rc = fetch_start(net, &req, op_answered, op, &op->xfer, &d);
	if (rc != PROV_OK) {
		snprintf(why, GDS_WHY_MAX, "fetch failed: %.120s", d.msg);
		goto out;
	}
	*out = op;
	op = NULL;
out:
	if (rc != PROV_OK)
		gds_status(dev, wall_s, "Failed", why);
	op_free(op);
	if (code != NULL)
		OPENSSL_cleanse(code, strlen(code));
	free(code);
	free(service);
	if (body.p != NULL)
		OPENSSL_cleanse(body.p, body.alloc);
	buf_free(&body);
	buf_free(&text);
	return rc;
}

void
gds_cancel(struct gds_op *op)
{
	if (op == NULL)
		return;
	fetch_cancel(op->xfer);
	op_free(op);
}
