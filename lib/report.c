/*
 * report: building and uploading the device's reports (device.md D-REP-1).
 * The contract is in report.h and prov.h.
 *
 * A report is a walk over the items of Report_Rule: for each, the URL and
 * --key are expanded (rule_action_build, $SA..$SD allowed in --key), the
 * document built and, with a key, encrypted (prov_pack), then uploaded
 * through fetch.c; its done callback starts the next item. The schedule
 * is three deadlines on the injected clock (local change, periodic,
 * retry), looked at by prov_report_tick.
 */
#include "report.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "cert.h"
#include "device.h"
#include "dhcpopt.h"
#include "fetch.h"
#include "macro.h"
#include "param.h"
#include "rule.h"
#include "sched.h"
#include "slog.h"
#include "vars.h"

#define REPORT_NEVER INT64_MAX

struct prov_report {
	struct prov_device *dev;
	struct prov_net *net;
	struct prov_clock clock;
	struct slog *slog;

	/* the report in progress */
	int running;
	struct rule *rule;           /* parsed Report_Rule (or the given rule) */
	size_t item;                 /* next item of rule to send */
	int failed;                  /* an item of this report failed */
	char err[160];               /* the first failure's reason */
	int is_retry;
	int explicit_rule;           /* a rule given to prov_report_send, not
				      * Report_Rule: never retried */
	char why[32];
	struct fetch_xfer *xfer;
	struct rule_action act;      /* of the item being sent */
	unsigned kind;
	size_t bytes;

	/* the schedule (device clock, monotonic ms) */
	uint64_t sig;                /* the parameters as last seen */
	int have_sig;
	int64_t due_change, due_periodic, due_retry;
	long period_s;               /* Periodic_Upload_To_Server planned with */

	void (*on_result)(void *, const struct prov_report_result *);
	void *on_result_arg;
};

/* ---- the document -------------------------------------------------------- */

static enum prov_err
xml_text(struct buf *b, const char *s)
{
	enum prov_err rc = PROV_OK;

	for (; *s != '\0' && rc == PROV_OK; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': rc = buf_adds(b, "&amp;"); break;
		case '<': rc = buf_adds(b, "&lt;"); break;
		case '>': rc = buf_adds(b, "&gt;"); break;
		case '"': rc = buf_adds(b, "&quot;"); break;
		case '\t': case '\n': case '\r':
			rc = buf_addf(b, "&#%u;", c);
			break;
		default:
			/* Other control bytes cannot appear in XML 1.0 at all;
			 * stored values never hold them (param_check). */
			if (c >= 0x20)
				rc = buf_addc(b, (char)c);
			break;
		}
	}
	return rc;
}

static const char *const report_ua[] = { "na", "ro", "rw" };

/* <flat-profile>: every instance, or (delta) those whose value or access
 * level is not the factory default. */
static enum prov_err
report_profile(struct prov_device *dev, int delta, struct buf *b)
{
	enum prov_err rc;
	size_t n = param_count();

	rc = buf_addf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<!-- prov %s report of %s %s %s; secrets are not reported -->\n"
		      "<flat-profile>\n", delta ? "delta" : "full", dev->macc,
		      dev->product ? dev->product : "", dev->swver ? dev->swver : "");
	for (size_t i = 0; i < n && rc == PROV_OK; i++) {
		const struct param_def *def = param_def(i, NULL);
		const char *v = device_value(dev, i);
		int ua = device_ua(dev, i);

		if (!device_has(dev, i) ||
		    (delta && strcmp(v, def->defval) == 0 && ua == def->ua))
			continue;
		if (ua < 0 || ua > 2)
			ua = 0;
		rc = buf_addf(b, "  <%s ua=\"%s\"", param_name(i), report_ua[ua]);
		if (rc != PROV_OK)
			break;
		if (param_secret(i)) {
			/* D-PAR-5; self-closing keeps the value if served back. */
			rc = buf_adds(b, "/>\n");
			continue;
		}
		if ((rc = buf_addc(b, '>')) == PROV_OK && (rc = xml_text(b, v)) == PROV_OK)
			rc = buf_addf(b, "</%s>\n", param_name(i));
	}
	if (rc == PROV_OK)
		rc = buf_adds(b, "</flat-profile>\n");
	return rc;
}

/* Status keys written by the engine, the agent and the reporter itself
 * (D-STA-1), in report order. */
static const char *const report_status_keys[] = {
	"last_resync_time", "last_resync_result", "last_resync_err", "last_resync_prvst",
	"rule_A", "rule_B", "rule_C", "rule_D", "rule_X", "next_resync", "last_server",
	"reboot_reasons", "custom_ca", "mic", "upgrade_check", "upgrade_st",
	"upgrade_last_url", "upgrade_last_version", "upgrade_last_result",
	"upgrade_last_err", "upgrade_last_time", "upgrade_next_retry", "license_url",
	"license_result", "license_err", "dhcp_source", "dhcp_learned",
	"last_report_time", "last_report_result", "last_report_err",
};

/* Runtime macros worth reporting, when the engine set them in this process. */
static const char *const report_status_vars[] = {
	"PRVST", "PRVTMR", "UPGST", "UPGTMR", "UPGERR", "CCERT",
};

static enum prov_err
report_element(struct buf *b, const char *name, const char *value)
{
	enum prov_err rc = buf_addf(b, "  <%s>", name);

	if (rc == PROV_OK)
		rc = xml_text(b, value);
	if (rc == PROV_OK)
		rc = buf_addf(b, "</%s>\n", name);
	return rc;
}

static enum prov_err
report_status(struct prov_device *dev, struct buf *b)
{
	static const char *const ids[] = { "MAC", "SN", "PN", "PSN", "SWVER", "HWVER" };
	struct macro_vars vars;
	struct buf v;
	enum prov_err rc;

	rc = buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<status>\n");
	for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]) && rc == PROV_OK; k++) {
		const char *id = prov_device_identity(dev, ids[k]);

		rc = report_element(b, ids[k], id != NULL ? id : "");
	}
	vars_init(dev, &vars);
	buf_init(&v, BOUND_MACRO_OUT);
	for (size_t k = 0; k < sizeof(report_status_vars) / sizeof(report_status_vars[0]) &&
	     rc == PROV_OK; k++) {
		const char *name = report_status_vars[k];

		buf_reset(&v);
		if (vars.lookup(vars.arg, name, strlen(name), 0, &v) == 1 && v.len > 0)
			rc = report_element(b, name, buf_str(&v));
	}
	buf_free(&v);
	for (size_t k = 0; k < sizeof(report_status_keys) / sizeof(report_status_keys[0]) &&
	     rc == PROV_OK; k++) {
		char *s = NULL;

		if (prov_device_status_get(dev, report_status_keys[k], &s) == PROV_OK &&
		    s != NULL)
			rc = report_element(b, report_status_keys[k], s);
		free(s);
	}
	if (rc == PROV_OK)
		rc = buf_adds(b, "</status>\n");
	return rc;
}

enum prov_err
report_build(struct prov_device *dev, unsigned kind, struct buf *out)
{
	switch (kind) {
	case PROV_REPORT_FULL: return report_profile(dev, 0, out);
	case PROV_REPORT_DELTA: return report_profile(dev, 1, out);
	case PROV_REPORT_STATUS: return report_status(dev, out);
	default: return PROV_E_INVAL;
	}
}

enum prov_err
prov_report_build(struct prov_device *dev, unsigned kind, char **out, size_t *len)
{
	struct buf b;
	enum prov_err rc;

	*out = NULL;
	*len = 0;
	buf_init(&b, REPORT_MAX);
	rc = report_build(dev, kind, &b);
	if (rc == PROV_OK && b.len == 0)
		rc = PROV_E_INVAL;
	if (rc != PROV_OK) {
		buf_free(&b);
		return rc;
	}
	*len = b.len;
	*out = buf_take(&b);
	return *out != NULL ? PROV_OK : PROV_E_NOMEM;
}

/* ---- the clock and the parameters ---------------------------------------- */

static int64_t
now_ms(const struct prov_report *r)
{
	return r->clock.mono_ms(r->clock.arg);
}

static const char *
pval(struct prov_report *r, const char *name)
{
	return device_param(r->dev, name);
}

/* A signature of every value and access level, to notice local changes. */
static uint64_t
report_signature(struct prov_device *dev)
{
	uint64_t h = 1469598103934665603ull;
	size_t n = param_count();

	for (size_t i = 0; i < n; i++) {
		for (const char *v = device_value(dev, i); *v; v++)
			h = (h ^ (unsigned char)*v) * 1099511628211ull;
		h = (h ^ (0x100u + (unsigned)device_ua(dev, i))) * 1099511628211ull;
	}
	return h;
}

/* Expands a parameter's text; NULL on failure. Caller frees. */
static char *
report_expand(struct prov_report *r, const char *text)
{
	struct macro_vars vars;
	struct buf b;

	buf_init(&b, BOUND_MACRO_OUT);
	vars_init(r->dev, &vars);
	if (macro_expand(text, strlen(text), &vars, 0, &b, NULL) != PROV_OK)
		buf_reset(&b);
	return buf_take(&b);
}

/* A syslog line (D-LOG-1), "$PN $MAC -- MSG", when Syslog_Server is set. */
static void
report_log(struct prov_report *r, enum slog_sev sev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
report_log(struct prov_report *r, enum slog_sev sev, const char *fmt, ...)
{
	const char *idsel = pval(r, "Syslog_Identifier");
	char msg[512], line[600], *ident = NULL;
	struct diag d;
	va_list ap;

	if (pval(r, "Syslog_Server")[0] == '\0' && pval(r, "Debug_Server")[0] == '\0')
		return;
	diag_init(&d);
	(void)slog_config(r->slog, pval(r, "Syslog_Server"), pval(r, "Debug_Server"), &d);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s %s -- %s", r->dev->product ? r->dev->product : "",
		 r->dev->macc, msg);
	if (strcmp(idsel, "None") != 0)
		ident = report_expand(r, idsel);
	(void)slog_send(r->slog, sev, 0, r->clock.wall_s(r->clock.arg), ident, line);
	free(ident);
}

/* ---- life cycle -------------------------------------------------------------- */

enum prov_err
prov_report_new(struct prov_device *dev, struct prov_net *net,
		const struct prov_clock *clock, struct prov_report **out)
{
	struct prov_report *r;

	*out = NULL;
	if (dev == NULL || net == NULL)
		return PROV_E_INVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return PROV_E_NOMEM;
	if (slog_new(&r->slog) != PROV_OK) {
		free(r);
		return PROV_E_NOMEM;
	}
	r->dev = dev;
	r->net = net;
	if (clock != NULL)
		r->clock = *clock;
	sched_clock_defaults(&r->clock);
	r->due_change = r->due_periodic = r->due_retry = REPORT_NEVER;
	*out = r;
	return PROV_OK;
}

static void
report_end_items(struct prov_report *r)
{
	rule_action_fini(&r->act);
	rule_free(r->rule);
	r->rule = NULL;
}

void
prov_report_free(struct prov_report *r)
{
	if (r == NULL)
		return;
	fetch_cancel(r->xfer);
	report_end_items(r);
	slog_free(r->slog);
	free(r);
}

void
prov_report_on_result(struct prov_report *r,
		      void (*fn)(void *, const struct prov_report_result *), void *arg)
{
	r->on_result = fn;
	r->on_result_arg = arg;
}

int
prov_report_running(const struct prov_report *r)
{
	return r->running;
}

/* ---- one report ---------------------------------------------------------------- */

static void report_next(struct prov_report *r);

/* The report is over: status, schedule (one retry of a failure). */
static void
report_finish(struct prov_report *r)
{
	const char *keys[3] = { "last_report_time", "last_report_result", "last_report_err" };
	const char *values[3];
	char when[32], err[160];
	time_t t = (time_t)r->clock.wall_s(r->clock.arg);
	struct tm tm;

	r->running = 0;
	report_end_items(r);
	if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)t);
	values[0] = when;
	values[1] = r->failed ? "failure" : "success";
	snprintf(err, sizeof(err), "%s", r->failed ? r->err : "");
	values[2] = err;
	/* Status is advice: a failed write must not fail the report. */
	if (device_status_put_many(r->dev, keys, values, 3) != PROV_OK)
		report_log(r, SLOG_ERR, "report status not saved");
	if (r->failed && !r->is_retry && !r->explicit_rule)
		r->due_retry = now_ms(r) + REPORT_RETRY_MS;
	else
		r->due_retry = REPORT_NEVER;
}

/* Tells the host about one item; ends the report after the last. */
static void
report_item_done(struct prov_report *r, const char *url, int ok, const char *err)
{
	struct prov_report_result res;
	int last;

	if (!ok) {
		if (!r->failed)
			snprintf(r->err, sizeof(r->err), "%s", err);
		r->failed = 1;
		report_log(r, SLOG_ERR, "Report failed: %s: %s", url[0] ? url : "-", err);
	} else {
		report_log(r, SLOG_NOTICE, "Report sent: %s", url);
	}
	last = r->rule == NULL || r->item >= r->rule->nalt;
	memset(&res, 0, sizeof(res));
	res.why = r->why;
	res.url = url;
	res.kind = r->kind;
	res.encrypted = r->act.key != NULL;
	res.ok = ok;
	res.err = ok ? "" : err;
	res.bytes = ok ? r->bytes : 0;
	res.last = last;
	if (last)
		report_finish(r);
	if (r->on_result != NULL)
		r->on_result(r->on_result_arg, &res);
}

static void
report_uploaded(void *arg, struct fetch_result *fr)
{
	struct prov_report *r = arg;
	char url[BOUND_URL_TEXT + 1];

	r->xfer = NULL;
	snprintf(url, sizeof(url), "%s", r->act.url_text);
	report_item_done(r, url, fr->status == FETCH_OK, fr->err);
	if (r->running)
		report_next(r);
}

/* The host of a URL without one (D-RUL-4): the DHCP-provided server, else
 * the last provisioning server (lib/dhcpopt.h). */
static int
report_default_host(struct prov_report *r, struct url *u)
{
	return dhcpopt_default_host(r->dev, u);
}

/* Builds, encrypts and starts the upload of the current action. Returns 1
 * when under way; 0 after reporting the item failed. */
static int
report_upload(struct prov_report *r)
{
	struct fetch_req req;
	struct buf doc;
	struct diag d;
	struct cert_paths paths;
	char msg[160], err[200];
	void *sealed = NULL;
	size_t sealedlen = 0;
	char *ua = NULL;
	enum prov_err rc;
	int started = 0;

	err[0] = '\0';
	r->kind = r->act.status ? PROV_REPORT_STATUS :
		  r->act.delta ? PROV_REPORT_DELTA : PROV_REPORT_FULL;
	buf_init(&doc, REPORT_MAX);
	if (r->act.url.host[0] == '\0' && !report_default_host(r, &r->act.url)) {
		snprintf(err, sizeof(err), "no server: the rule names none and none is known yet");
		goto out;
	}
	if (report_build(r->dev, r->kind, &doc) != PROV_OK) {
		snprintf(err, sizeof(err), "report too large");
		goto out;
	}
	if (r->act.key != NULL) {
		/* Exactly what `prov pack --key K` writes (D-ENC-2). */
		rc = prov_pack(doc.p, doc.len, 0, r->act.key, &sealed, &sealedlen, msg,
			       sizeof(msg));
		if (rc != PROV_OK) {
			snprintf(err, sizeof(err), "encrypt failed: %s", msg);
			goto out;
		}
	}
	memset(&req, 0, sizeof(req));
	req.url = &r->act.url;
	req.upload = 1;
	req.put = strcmp(pval(r, "HTTP_Report_Method"), "PUT") == 0;
	req.post = sealed != NULL ? sealed : (const void *)doc.p;
	req.postlen = sealed != NULL ? sealedlen : doc.len;
	req.content_type = sealed != NULL ? "application/octet-stream" : "application/xml";
	ua = report_expand(r, pval(r, "HTTP_User_Agent_Name"));
	req.user_agent = ua;
	/* The trust store (with the custom CA) and the client certificate,
	 * as the engine's fetches have them. */
	cert_paths_get(r->dev, &paths, &req);
	req.max_body = REPORT_REPLY_MAX;
	req.timeout_ms = BOUND_NET_TIMEOUT_MS;
	req.connect_timeout_ms = BOUND_NET_CONNECT_MS;
	req.tftp_blksize = REPORT_TFTP_BLKSIZE;
	r->bytes = req.postlen;
	diag_init(&d);
	rc = fetch_start(engine_net_fetch(r->net), &req, report_uploaded, r, &r->xfer, &d);
	if (rc != PROV_OK)
		snprintf(err, sizeof(err), "upload failed: %.150s", d.msg);
	else
		started = 1;
out:
	free(ua);
	if (sealed != NULL)
		OPENSSL_cleanse(sealed, sealedlen);
	free(sealed);
	buf_free(&doc);
	if (!started) {
		char url[BOUND_URL_TEXT + 1];

		snprintf(url, sizeof(url), "%s", r->act.url_text);
		report_item_done(r, url, 0, err);
	}
	return started;
}

/* Sends items until one is under way (it continues in report_uploaded) or
 * none is left. */
static void
report_next(struct prov_report *r)
{
	while (r->running && r->rule != NULL && r->item < r->rule->nalt) {
		const struct rule_alt *alt = &r->rule->alt[r->item++];
		struct macro_vars vars;
		struct diag d;
		char err[200];

		rule_action_fini(&r->act);
		vars_init(r->dev, &vars);
		diag_init(&d);
		if (rule_action_build(alt, &vars, &r->act, &d) != PROV_OK || !r->act.has_url) {
			snprintf(err, sizeof(err), "bad report rule col %u: %.120s", d.col, d.msg);
			r->kind = PROV_REPORT_FULL;
			report_item_done(r, alt->url != NULL ? alt->url : "", 0, err);
			continue;
		}
		if (report_upload(r))
			return;
	}
}

/* Starts a report of rule text (Report_Rule or an explicit one). */
static void
report_start(struct prov_report *r, const char *text, const char *why, int retry,
	     int explicit_rule)
{
	struct diag d;
	char err[200];

	r->running = 1;
	r->failed = 0;
	r->err[0] = '\0';
	r->is_retry = retry;
	r->explicit_rule = explicit_rule;
	r->item = 0;
	r->kind = PROV_REPORT_FULL;
	snprintf(r->why, sizeof(r->why), "%s", why != NULL ? why : "request");
	diag_init(&d);
	if (rule_parse(text, strlen(text), RULE_REPORT, &r->rule, &d) != PROV_OK) {
		snprintf(err, sizeof(err), "bad report rule col %u: %.120s", d.col, d.msg);
		r->rule = NULL;
		report_item_done(r, "", 0, err);
		return;
	}
	if (r->rule->nalt == 0) {
		report_item_done(r, "", 0, "no report rule");
		return;
	}
	report_next(r);
}

enum prov_err
prov_report_send(struct prov_report *r, const char *rule, const char *why)
{
	enum prov_err rc = device_refresh(r->dev);
	const char *text;

	if (rc != PROV_OK)
		return rc;
	if (r->running)
		return PROV_E_BUSY;
	text = rule != NULL ? rule : pval(r, "Report_Rule");
	if (text[strspn(text, " \t\r\n")] == '\0')
		return PROV_E_INVAL;
	report_start(r, text, why, 0, rule != NULL);
	return PROV_OK;
}

/* ---- the schedule ------------------------------------------------------------------ */

int64_t
prov_report_due(const struct prov_report *r)
{
	int64_t due = r->due_change;

	if (r->due_periodic < due)
		due = r->due_periodic;
	if (r->due_retry < due)
		due = r->due_retry;
	return due;
}

void
prov_report_tick(struct prov_report *r)
{
	const char *mode, *rule;
	int64_t now;
	uint64_t sig;

	if (r->running || device_refresh(r->dev) != PROV_OK)
		return;
	now = now_ms(r);
	mode = pval(r, "Report_To_Server");
	rule = pval(r, "Report_Rule");

	/* Local change: noticed by signature, whoever made it; the first
	 * look only takes the baseline. */
	sig = report_signature(r->dev);
	if (r->have_sig && sig != r->sig && strcmp(mode, "On Local Change") == 0 &&
	    r->due_change == REPORT_NEVER)
		r->due_change = now + REPORT_BATCH_MS;
	r->sig = sig;
	r->have_sig = 1;
	if (strcmp(mode, "On Local Change") != 0)
		r->due_change = REPORT_NEVER;

	if (strcmp(mode, "Periodically") == 0) {
		long period = strtol(pval(r, "Periodic_Upload_To_Server"), NULL, 10);

		if (period <= 0)
			period = 3600;
		if (r->due_periodic == REPORT_NEVER || period != r->period_s)
			r->due_periodic = now + (int64_t)period * 1000;
		r->period_s = period;
	} else {
		r->due_periodic = REPORT_NEVER;
	}

	if (rule[0] == '\0') {
		/* Nothing to send to: the deadlines stay planned, empty. */
		r->due_change = REPORT_NEVER;
		r->due_retry = REPORT_NEVER;
		return;
	}
	if (r->due_retry <= now) {
		r->due_retry = REPORT_NEVER;
		r->due_change = REPORT_NEVER; /* the retry carries the changes too */
		report_start(r, rule, "retry", 1, 0);
	} else if (r->due_change <= now) {
		r->due_change = REPORT_NEVER;
		report_start(r, rule, "local change", 0, 0);
	} else if (r->due_periodic <= now) {
		r->due_periodic = now + (int64_t)r->period_s * 1000;
		report_start(r, rule, "periodic", 0, 0);
	}
}
