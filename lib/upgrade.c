/*
 * upgrade: firmware upgrade (Upgrade_Rule) and the transition license
 * (Trans_Auth_Rule) of one device. See upgrade.h.
 */
#include "upgrade.h"

#include <ctype.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bounds.h"
#include "cert.h"
#include "cond.h"
#include "delay.h"
#include "dhcpopt.h"
#include "device.h"
#include "fetch.h"
#include "fsutil.h"
#include "hex.h"
#include "macro.h"
#include "param.h"
#include "rule.h"
#include "slog.h"
#include "state.h"
#include "vars.h"

#define UPGRADE_MAGIC "PROVIMG1 "  /* first bytes of a headered image */

enum upgrade_step { STEP_IMAGE, STEP_LICENSE, STEP_END };

struct upgrade_work;

struct upgrade {
	struct upgrade_host h;
	struct fetch_xfer *xfer;
	unsigned flags;              /* of the run in progress */
	int lines_busy;
	enum upgrade_step step;
	int installed;               /* this run installed an image */
	char *rule;                  /* explicit rule, or NULL */

	struct upgrade_work *w;      /* while a run lasts, NULL between runs */
	int upgst;                   /* 1 first attempt, 2 retry */

	/* retries (monotonic ms, INT64_MAX: none) */
	int64_t retry_ms;            /* Upgrade_Error_Retry_Delay */
	unsigned retry_i;
	int next_upgst;              /* UPGST of the run the retry timer starts */
	int64_t lic_retry_ms;        /* Transition_Authorization_Error_Retry_Delay */
	unsigned lic_retry_i;
	int64_t attempt_ms;          /* last image attempt; INT64_MIN none */

};

/* What one run needs, tens of kilobytes: allocated by upgrade_run and
 * freed when the run ends, so that an engine between runs stays small (a
 * fleet simulator holds 100,000 of them). */
struct upgrade_work {
	/* the attempt being fetched */
	char rule_text[BOUND_RULE_TEXT + 1];
	char url_text[BOUND_URL_TEXT + 1];
	struct url url;
	char version[UPGRADE_VERSION_MAX + 1];

	/* status values, written in one transaction */
	const char *sk[UPGRADE_STATUS_MAX];
	char sv[UPGRADE_STATUS_MAX][512];
	size_t ns;
};

/* ---- small helpers ---------------------------------------------------------- */

static const char *
pval(struct upgrade *u, const char *name)
{
	return device_param(u->h.dev, name);
}

static int
pbool(struct upgrade *u, const char *name)
{
	return strcmp(pval(u, name), "Yes") == 0;
}

static int64_t
now_ms(struct upgrade *u)
{
	return u->h.clock.mono_ms(u->h.clock.arg);
}

static void
rt_set(struct upgrade *u, const char *name, const char *value)
{
	/* Out of memory here only leaves a macro empty. */
	if (vars_runtime_set(u->h.dev, name, value) != PROV_OK)
		return;
}

static void
st_put(struct upgrade *u, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
st_put(struct upgrade *u, const char *key, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	for (i = 0; i < u->w->ns && strcmp(u->w->sk[i], key) != 0; i++)
		;
	if (i == UPGRADE_STATUS_MAX)
		return; /* more keys than a step writes: a bug, not worth a crash */
	u->w->sk[i] = key;
	va_start(ap, fmt);
	vsnprintf(u->w->sv[i], sizeof(u->w->sv[i]), fmt, ap);
	va_end(ap);
	if (i == u->w->ns)
		u->w->ns++;
}

static void
st_flush(struct upgrade *u)
{
	const char *v[UPGRADE_STATUS_MAX];

	for (size_t i = 0; i < u->w->ns; i++)
		v[i] = u->w->sv[i];
	/* Status is advice: a failed write must not fail the upgrade. */
	if (u->w->ns > 0) {
		enum prov_err rc = device_status_put_many(u->h.dev, u->w->sk, v, u->w->ns);

		(void)rc;
	}
	u->w->ns = 0;
}

/* A status value into out ("" when absent). */
static void
st_get(struct upgrade *u, const char *key, char *out, size_t outlen)
{
	char *v = NULL;

	out[0] = '\0';
	if (prov_device_status_get(u->h.dev, key, &v) == PROV_OK && v != NULL)
		snprintf(out, outlen, "%s", v);
	free(v);
}

static void
wall_text(struct upgrade *u, char *out, size_t outlen)
{
	cert_when(u->h.clock.wall_s(u->h.clock.arg), out, outlen);
}

/* Expands text against the device; "" on failure. Caller frees. */
static char *
expand(struct upgrade *u, const char *text)
{
	struct macro_vars vars;
	struct buf b;

	buf_init(&b, BOUND_MACRO_OUT);
	vars_init(u->h.dev, &vars);
	if (macro_expand(text, strlen(text), &vars, 0, &b, NULL) != PROV_OK)
		buf_reset(&b);
	return buf_take(&b);
}

/* One of the Log_Upgrade_* templates, expanded; an empty one is silent
 * (D-LOG-2). */
static void
upgrade_log(struct upgrade *u, const char *param, enum slog_sev sev)
{
	const char *tmpl = pval(u, param), *idsel = pval(u, "Syslog_Identifier");
	char *msg, *ident = NULL;
	struct diag d;

	if (tmpl[0] == '\0')
		return;
	diag_init(&d);
	(void)slog_config(u->h.slog, pval(u, "Syslog_Server"), pval(u, "Debug_Server"), &d);
	msg = expand(u, tmpl);
	if (strcmp(idsel, "None") != 0)
		ident = expand(u, idsel);
	if (msg != NULL)
		slog_send(u->h.slog, sev, 0, u->h.clock.wall_s(u->h.clock.arg), ident, msg);
	free(msg);
	free(ident);
}

/* The next element of a delay list parameter as a deadline, or INT64_MAX
 * when the list is off ("0", "") or says no further attempt. */
static int64_t
retry_at(struct upgrade *u, const char *param, unsigned i)
{
	const char *v = pval(u, param);
	struct delay_list l;
	uint32_t secs;

	if (delay_parse(v, strlen(v), &l, NULL) != PROV_OK ||
	    !delay_at(&l, i, u->h.clock.random(u->h.clock.arg), &secs))
		return INT64_MAX;
	return now_ms(u) + (int64_t)secs * 1000;
}

/* ---- image names, headers, decisions ----------------------------------------------- */

static int
version_ok(const char *s, size_t n)
{
	if (n == 0 || n > UPGRADE_VERSION_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)s[i]))
			return 0;
	return 1;
}

int
upgrade_version_of(const char *url_path, char *out, size_t outlen)
{
	static const char *const sfx[] = { ".loads", ".bin", ".img", ".sbn" };
	const char *end = url_path + strcspn(url_path, "?#"), *start = end;
	size_t n;

	while (start > url_path && start[-1] != '/')
		start--;
	n = (size_t)(end - start);
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		size_t k = strlen(sfx[i]);

		if (n > k && strncasecmp(start + n - k, sfx[i], k) == 0) {
			n -= k;
			break;
		}
	}
	if (!version_ok(start, n) || n + 1 > outlen)
		return 0;
	memcpy(out, start, n);
	out[n] = '\0';
	return 1;
}

/* The header's fields: "version=V size=N sha256=HEX", each once, any order,
 * single spaces. */
static enum prov_err
header_parse(const char *h, size_t n, struct upgrade_image *img, size_t *size, struct diag *d)
{
	int have_v = 0, have_s = 0, have_h = 0;
	size_t i = 0;

	while (i < n) {
		const char *f = h + i;
		size_t fl = 0;

		while (i + fl < n && f[fl] != ' ')
			fl++;
		if (fl > 8 && memcmp(f, "version=", 8) == 0 && !have_v) {
			if (!version_ok(f + 8, fl - 8))
				return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)i + 10,
						"image header: bad version");
			memcpy(img->version, f + 8, fl - 8);
			img->version[fl - 8] = '\0';
			have_v = 1;
		} else if (fl > 5 && memcmp(f, "size=", 5) == 0 && !have_s) {
			size_t v = 0;

			if (fl - 5 > 10)
				return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)i + 10,
						"image header: size too long");
			for (size_t k = 5; k < fl; k++) {
				if (!isdigit((unsigned char)f[k]))
					return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)(i + k) + 10,
							"image header: bad size");
				v = v * 10 + (size_t)(f[k] - '0');
			}
			*size = v;
			have_s = 1;
		} else if (fl == 7 + 64 && memcmp(f, "sha256=", 7) == 0 && !have_h) {
			if (hex_bytes(f + 7, 64, img->sha256, sizeof(img->sha256)) != 32)
				return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)i + 10,
						"image header: bad sha256");
			have_h = 1;
		} else {
			return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)i + 10,
					"image header: unexpected field '%.*s'",
					(int)(fl > 20 ? 20 : fl), f);
		}
		i += fl;
		if (i < n) {
			if (i + 1 == n)
				return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)i + 10,
						"image header: trailing space");
			i++;
		}
	}
	if (!have_v || !have_s || !have_h)
		return diag_set(d, PROV_E_SYNTAX, 1, 0, "image header: needs version, size and sha256");
	return PROV_OK;
}

enum prov_err
upgrade_image_check(const void *data, size_t len, struct upgrade_image *img, struct diag *d)
{
	const char *p = data;
	size_t ml = strlen(UPGRADE_MAGIC), size = 0;
	unsigned char got[32];
	const char *nl;
	enum prov_err rc;

	memset(img, 0, sizeof(*img));
	if (len > UPGRADE_IMAGE_MAX)
		return diag_set(d, PROV_E_TOOBIG, 0, 0, "image too large");
	if (len < ml || memcmp(p, UPGRADE_MAGIC, ml) != 0) {
		if (len == 0)
			return diag_set(d, PROV_E_CORRUPT, 0, 0, "empty image");
		img->payload_len = len;
		return PROV_OK;
	}
	nl = memchr(p, '\n', len < UPGRADE_HEADER_MAX ? len : UPGRADE_HEADER_MAX);
	if (nl == NULL)
		return diag_set(d, PROV_E_SYNTAX, 1, 0, "image header: no end of line");
	rc = header_parse(p + ml, (size_t)(nl - p) - ml, img, &size, d);
	if (rc != PROV_OK)
		return rc;
	img->has_header = 1;
	img->payload_off = (size_t)(nl - p) + 1;
	img->payload_len = len - img->payload_off;
	if (img->payload_len == 0)
		return diag_set(d, PROV_E_CORRUPT, 0, 0, "empty image");
	if (size != img->payload_len)
		return diag_set(d, PROV_E_CORRUPT, 0, 0, "image size mismatch: %zu bytes, header says %zu",
				img->payload_len, size);
	SHA256((const unsigned char *)p + img->payload_off, img->payload_len, got);
	if (CRYPTO_memcmp(got, img->sha256, sizeof(got)) != 0)
		return diag_set(d, PROV_E_CORRUPT, 0, 0, "sha256 mismatch");
	return PROV_OK;
}

enum upgrade_verdict
upgrade_decide(const struct upgrade_facts *f)
{
	if (!f->enabled)
		return UPGRADE_DISABLED;
	if (strcmp(f->version, f->swver) == 0)
		return UPGRADE_SAME_VERSION;
	if (f->limit[0] != '\0' &&
	    cond_version_cmp(f->version, strlen(f->version), f->limit, strlen(f->limit)) < 0)
		return UPGRADE_BELOW_LIMIT;
	if (!f->force && strcmp(f->rule, f->last_rule) == 0 && strcmp(f->url, f->last_url) == 0)
		return UPGRADE_ATTEMPTED;
	if (f->lines_busy)
		return UPGRADE_LINES_BUSY;
	return UPGRADE_GO;
}

const char *
upgrade_verdict_str(enum upgrade_verdict v)
{
	switch (v) {
	case UPGRADE_GO: return "upgrading";
	case UPGRADE_DISABLED: return "upgrades disabled (Upgrade_Enable = No)";
	case UPGRADE_SAME_VERSION: return "image is the running version";
	case UPGRADE_BELOW_LIMIT: return "image below Downgrade_Rev_Limit";
	case UPGRADE_ATTEMPTED: return "already attempted";
	case UPGRADE_LINES_BUSY: return "deferred: a line is in a call";
	}
	return "?";
}

/* ---- installing ------------------------------------------------------------------------ */

enum prov_err
upgrade_swver_set(struct prov_device *dev, const char *swver, struct diag *d)
{
	char vs[UPGRADE_VERSION_MAX + 1], *nsw = NULL, *nver = NULL;
	const char *slash = strrchr(dev->version, '/');
	size_t pre = slash != NULL ? (size_t)(slash - dev->version) : strlen(dev->version);
	enum prov_err rc;

	if (!version_ok(swver, strlen(swver)))
		return diag_set(d, PROV_E_INVAL, 0, 0, "bad software version '%.70s'", swver);
	device_version_short(swver, vs, sizeof(vs));
	nsw = strdup(swver);
	nver = malloc(pre + 1 + strlen(vs) + 1);
	if (nsw == NULL || nver == NULL) {
		rc = diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
		goto fail;
	}
	snprintf(nver, pre + 1 + strlen(vs) + 1, "%.*s/%s", (int)pre, dev->version, vs);
	if (dev->st != NULL) {
		rc = state_begin(dev->st, 1, d);
		if (rc == PROV_OK)
			rc = state_put(dev->st, "meta", "id.swver", swver, d);
		if (rc == PROV_OK)
			rc = state_commit(dev->st, d);
		if (rc != PROV_OK) {
			state_rollback(dev->st);
			goto fail;
		}
	}
	free(dev->swver);
	free(dev->version);
	dev->swver = nsw;
	dev->version = nver;
	return PROV_OK;
fail:
	free(nsw);
	free(nver);
	return rc;
}

enum prov_err
upgrade_install(struct prov_device *dev, const char *name_version, const void *data,
		size_t len, int64_t wall_s, char *err, size_t errlen)
{
	struct upgrade_image img;
	struct diag d;
	enum prov_err rc;

	diag_init(&d);
	rc = upgrade_image_check(data, len, &img, &d);
	if (rc == PROV_OK && img.has_header && strcmp(img.version, name_version) != 0)
		rc = diag_set(&d, PROV_E_CORRUPT, 0, 0, "image version mismatch: header says %s",
			      img.version);
	if (rc == PROV_OK)
		rc = upgrade_swver_set(dev, name_version, &d);
	if (rc != PROV_OK) {
		snprintf(err, errlen, "%s", d.msg);
		return rc;
	}
	/* The version is in: the reason is advice, its failure not the
	 * upgrade's. */
	rc = prov_device_reboot_record(dev, "Upgrade", wall_s);
	(void)rc;
	err[0] = '\0';
	return PROV_OK;
}

/* ---- the run ---------------------------------------------------------------------------- */

/* Ends a run's working storage; its URL may carry credentials. */
static void
work_free(struct upgrade *u)
{
	if (u->w == NULL)
		return;
	OPENSSL_cleanse(u->w, sizeof(*u->w));
	free(u->w);
	u->w = NULL;
}

enum prov_err
upgrade_new(const struct upgrade_host *h, struct upgrade **out)
{
	struct upgrade *u = calloc(1, sizeof(*u));

	*out = NULL;
	if (u == NULL)
		return PROV_E_NOMEM;
	u->h = *h;
	u->retry_ms = u->lic_retry_ms = INT64_MAX;
	u->attempt_ms = INT64_MIN;
	u->next_upgst = 1;
	*out = u;
	return PROV_OK;
}

void
upgrade_free(struct upgrade *u)
{
	if (u == NULL)
		return;
	fetch_cancel(u->xfer);
	free(u->rule);
	work_free(u);
	free(u);
}

int64_t
upgrade_due(const struct upgrade *u)
{
	return u->retry_ms < u->lic_retry_ms ? u->retry_ms : u->lic_retry_ms;
}

int64_t
upgrade_since(const struct upgrade *u, int64_t otherwise)
{
	return u->attempt_ms == INT64_MIN ? otherwise : u->attempt_ms;
}

int
upgrade_boot_pending(struct prov_device *dev)
{
	char *v = NULL;
	int pending = 0;

	if (prov_device_status_get(dev, "upgrade_reboot_pending", &v) == PROV_OK && v != NULL)
		pending = strcmp(v, "1") == 0;
	free(v);
	if (pending && device_status_put(dev, "upgrade_reboot_pending", "0") != PROV_OK)
		return pending; /* resyncing once more after a boot is harmless */
	return pending;
}

static int upgrade_continue(struct upgrade *u);

/* Evaluates rule text: 1 with u->w->url_text/url set when an alternative with
 * a URL is taken (its assignments applied), 0 when none is, -1 with err on
 * a bad rule. */
static int
rule_take(struct upgrade *u, const char *text, char *err, size_t errlen)
{
	struct rule *r = NULL;
	const struct rule_alt *alt = NULL;
	struct rule_action act;
	struct macro_vars vars;
	struct diag d;
	enum prov_err rc;
	int taken = 0;

	memset(&act, 0, sizeof(act));
	diag_init(&d);
	vars_init(u->h.dev, &vars);
	rc = rule_parse(text, strlen(text), RULE_NO_OPTIONS, &r, &d);
	if (rc == PROV_OK)
		rc = rule_select(r, &vars, &alt, &d);
	if (rc == PROV_OK && alt != NULL)
		rc = rule_action_build(alt, &vars, &act, &d);
	rule_free(r);
	if (rc != PROV_OK) {
		snprintf(err, errlen, "bad rule col %u: %.120s", d.col, d.msg);
		rule_action_fini(&act);
		return -1;
	}
	if (alt != NULL && act.nassign > 0 &&
	    prov_device_set_many(u->h.dev, (const char *const *)act.assign_name,
				 (const char *const *)act.assign_value, act.nassign, 0) != PROV_OK) {
		snprintf(err, errlen, "rule assignment: %.120s", prov_device_errmsg(u->h.dev));
		rule_action_fini(&act);
		return -1;
	}
	if (alt != NULL && act.has_url) {
		snprintf(u->w->url_text, sizeof(u->w->url_text), "%s", act.url_text);
		u->w->url = act.url;
		taken = 1;
	}
	rule_action_fini(&act);
	return taken;
}

/* The value of DHCP option code as the agent stored it (status
 * "dhcp_option_N", phone/dhcp.h), for dhcpopt_resolve. */
static char *
dhcp_option(void *arg, unsigned code)
{
	struct upgrade *u = arg;
	char key[32], *v = NULL;

	snprintf(key, sizeof(key), "dhcp_option_%u", code);
	if (prov_device_status_get(u->h.dev, key, &v) != PROV_OK) {
		free(v);
		return NULL;
	}
	return v;
}

/* The host of a URL without one (D-RUL-4), as the engine finds it for
 * profiles: the DHCP options in DHCP_Option_To_Use order, else the server
 * of the last successful fetch. */
static int
default_host(struct upgrade *u)
{
	struct dhcpopt_server ds;
	char last[BOUND_URL_HOST + 1];

	if (u->w->url.host[0] != '\0')
		return 1;
	if (dhcpopt_resolve(pval(u, "DHCP_Option_To_Use"), dhcp_option, u, &ds, NULL)) {
		dhcpopt_apply(&ds, &u->w->url);
		return 1;
	}
	st_get(u, "last_server", last, sizeof(last));
	snprintf(u->w->url.host, sizeof(u->w->url.host), "%s", last);
	u->w->url.host_ipv6 = strchr(last, ':') != NULL;
	return u->w->url.host[0] != '\0';
}

static void
on_connect(void *arg, const char *ip, unsigned port)
{
	struct upgrade *u = arg;
	char p[16];

	rt_set(u, "SERVIP", ip);
	snprintf(p, sizeof(p), "%u", port);
	rt_set(u, "PORT", p);
	if (u->step == STEP_IMAGE)
		upgrade_log(u, "Log_Upgrade_Request_Msg", SLOG_NOTICE);
}

static void fetched(void *arg, struct fetch_result *fr);

/* Starts the fetch of u->w->url. Returns 1 under way, 0 with err set. */
static int
start_fetch(struct upgrade *u, size_t max, char *err, size_t errlen)
{
	struct fetch_req req;
	struct diag d;
	struct cert_paths cp;
	char p[16], *ua;
	enum prov_err rc;

	if (!default_host(u)) {
		snprintf(err, errlen, "no server: the rule names none and none is known yet");
		return 0;
	}
	rt_set(u, "SCHEME", url_scheme_name(u->w->url.scheme));
	rt_set(u, "SERV", u->w->url.host);
	rt_set(u, "SERVIP", u->w->url.host);
	snprintf(p, sizeof(p), "%u", u->w->url.port);
	rt_set(u, "PORT", p);
	rt_set(u, "PATH", u->w->url.path);
	memset(&req, 0, sizeof(req));
	req.url = &u->w->url;
	req.on_connect = on_connect;
	ua = expand(u, pval(u, "HTTP_User_Agent_Name"));
	req.user_agent = ua;
	cert_paths_get(u->h.dev, &cp, &req); /* the trust store, custom CA, MIC */
	req.max_body = max;
	req.timeout_ms = UPGRADE_TIMEOUT_MS;
	req.connect_timeout_ms = BOUND_NET_CONNECT_MS;
	req.tftp_blksize = 1428; /* as the engine asks; the server may refuse */
	diag_init(&d);
	rc = fetch_start(u->h.net, &req, fetched, u, &u->xfer, &d);
	free(ua);
	if (rc != PROV_OK) {
		snprintf(err, errlen, "fetch failed: %.140s", d.msg);
		return 0;
	}
	return 1;
}

/* An image attempt ended without an install: status, $UPGERR, the
 * failure message, and the retry. */
static void
image_failed(struct upgrade *u, const char *err)
{
	char when[32];
	int64_t at;

	rt_set(u, "UPGERR", err);
	rt_set(u, "ERR", err);
	upgrade_log(u, "Log_Upgrade_Failure_Msg", SLOG_ERR);
	at = retry_at(u, "Upgrade_Error_Retry_Delay", u->retry_i);
	u->retry_ms = at;
	if (at != INT64_MAX) {
		u->retry_i++;
		u->next_upgst = 2;
	}
	wall_text(u, when, sizeof(when));
	st_put(u, "upgrade_last_result", "failure");
	st_put(u, "upgrade_last_err", "%s", err);
	st_put(u, "upgrade_last_time", "%s", when);
	st_put(u, "upgrade_check", "failed: %s", err);
	if (at == INT64_MAX)
		st_put(u, "upgrade_next_retry", "none");
	else
		st_put(u, "upgrade_next_retry", "in %lld s", (long long)((at - now_ms(u)) / 1000));
	st_flush(u);
}

/* The Upgrade_Rule step. Returns 1 when a fetch is under way. */
static int
step_image(struct upgrade *u)
{
	struct upgrade_facts f;
	char last_rule[BOUND_RULE_TEXT + 1], last_url[BOUND_URL_TEXT + 1], err[160];
	const char *text;
	enum upgrade_verdict v;
	int retry = (u->flags & UPGRADE_RETRY) != 0, taken;

	if (retry && u->retry_ms > now_ms(u))
		return 0; /* the retry timer fired for the license */
	text = u->rule != NULL ? u->rule : pval(u, "Upgrade_Rule");
	if (retry)
		u->retry_ms = INT64_MAX;
	if (text[0] == '\0')
		return 0;
	snprintf(u->w->rule_text, sizeof(u->w->rule_text), "%s", text);
	taken = rule_take(u, text, err, sizeof(err));
	if (taken < 0) {
		st_put(u, "upgrade_check", "%s", err);
		st_flush(u);
		return 0;
	}
	if (taken == 0) {
		st_put(u, "upgrade_check", "no alternative of the rule taken");
		st_flush(u);
		return 0;
	}
	if (!upgrade_version_of(u->w->url.path, u->w->version, sizeof(u->w->version))) {
		st_put(u, "upgrade_check", "no version in the image name %.200s", u->w->url.path);
		st_flush(u);
		return 0;
	}
	st_get(u, "upgrade_last_rule", last_rule, sizeof(last_rule));
	st_get(u, "upgrade_last_url", last_url, sizeof(last_url));
	f.enabled = pbool(u, "Upgrade_Enable");
	f.lines_busy = u->lines_busy;
	f.force = (u->flags & (UPGRADE_EXPLICIT | UPGRADE_RETRY)) != 0;
	f.swver = u->h.dev->swver;
	f.version = u->w->version;
	f.limit = pval(u, "Downgrade_Rev_Limit");
	f.rule = u->w->rule_text;
	f.url = u->w->url_text;
	f.last_rule = last_rule;
	f.last_url = last_url;
	v = upgrade_decide(&f);
	st_put(u, "upgrade_check", "%s: %s", u->w->version, upgrade_verdict_str(v));
	if (v == UPGRADE_LINES_BUSY) {
		u->retry_ms = now_ms(u) + UPGRADE_BUSY_RECHECK_S * 1000;
		st_flush(u);
		return 0;
	}
	if (v != UPGRADE_GO) {
		st_flush(u);
		return 0;
	}
	/* An attempt: recorded before the fetch, so that a crash during it
	 * does not make every resync try again. */
	u->upgst = retry && strcmp(u->w->rule_text, last_rule) == 0 &&
		   strcmp(u->w->url_text, last_url) == 0 ? u->next_upgst : 1;
	if (u->upgst == 1)
		u->retry_i = 0;
	u->attempt_ms = now_ms(u);
	snprintf(err, sizeof(err), "%d", u->upgst);
	rt_set(u, "UPGST", err);
	rt_set(u, "UPGERR", "");
	st_put(u, "upgrade_st", "%d", u->upgst);
	st_put(u, "upgrade_last_rule", "%s", u->w->rule_text);
	st_put(u, "upgrade_last_url", "%s", u->w->url_text);
	st_put(u, "upgrade_last_version", "%s", u->w->version);
	st_put(u, "upgrade_last_result", "running");
	st_put(u, "upgrade_next_retry", "none");
	st_flush(u);
	if (start_fetch(u, UPGRADE_IMAGE_MAX, err, sizeof(err)))
		return 1;
	image_failed(u, err);
	return 0;
}

static void
image_fetched(struct upgrade *u, struct fetch_result *fr)
{
	char err[160], when[32];
	enum prov_err rc;

	if (fr->status == FETCH_TOOBIG) {
		image_failed(u, "image too large");
		return;
	}
	if (fr->status != FETCH_OK) {
		image_failed(u, fr->err);
		return;
	}
	rc = upgrade_install(u->h.dev, u->w->version, fr->body.p, fr->body.len,
			     u->h.clock.wall_s(u->h.clock.arg), err, sizeof(err));
	if (rc != PROV_OK) {
		image_failed(u, err);
		return;
	}
	u->installed = 1;
	u->retry_ms = INT64_MAX;
	u->retry_i = 0;
	u->next_upgst = 1;
	rt_set(u, "UPGERR", "");
	rt_set(u, "ERR", "");
	upgrade_log(u, "Log_Upgrade_Success_Msg", SLOG_NOTICE);
	wall_text(u, when, sizeof(when));
	st_put(u, "upgrade_last_result", "success");
	st_put(u, "upgrade_last_err", "%s", "");
	st_put(u, "upgrade_last_time", "%s", when);
	st_put(u, "upgrade_check", "%s: installed, %zu bytes", u->w->version, fr->body.len);
	st_put(u, "upgrade_reboot_pending", "1");
	st_flush(u);
}

/* The Trans_Auth_Rule step (D-UPG-3). Returns 1 when a fetch is under way. */
static int
step_license(struct upgrade *u)
{
	char last[BOUND_URL_TEXT + 1], result[32], err[160];
	const char *text = pval(u, "Trans_Auth_Rule");
	int retry = (u->flags & UPGRADE_RETRY) != 0, taken;

	if (retry && u->lic_retry_ms > now_ms(u))
		return 0;
	if (!retry && u->lic_retry_ms != INT64_MAX)
		return 0; /* a failure waits for its retry delay */
	u->lic_retry_ms = INT64_MAX;
	if (text[0] == '\0' || strcmp(pval(u, "Trans_Auth_Type"), "Classic") != 0)
		return 0;
	taken = rule_take(u, text, err, sizeof(err));
	if (taken < 0) {
		st_put(u, "license_result", "failure");
		st_put(u, "license_err", "%s", err);
		st_flush(u);
	}
	if (taken <= 0)
		return 0;
	st_get(u, "license_url", last, sizeof(last));
	st_get(u, "license_result", result, sizeof(result));
	if (strcmp(last, u->w->url_text) == 0 && strcmp(result, "installed") == 0)
		return 0;
	if (start_fetch(u, UPGRADE_LICENSE_MAX, err, sizeof(err)))
		return 1;
	st_put(u, "license_url", "%s", u->w->url_text);
	st_put(u, "license_result", "failure");
	st_put(u, "license_err", "%s", err);
	st_flush(u);
	return 0;
}

static void
license_fetched(struct upgrade *u, struct fetch_result *fr)
{
	char when[32], err[160];
	struct diag d;

	err[0] = '\0';
	if (fr->status == FETCH_TOOBIG)
		snprintf(err, sizeof(err), "license too large");
	else if (fr->status != FETCH_OK)
		snprintf(err, sizeof(err), "%s", fr->err);
	else if (fr->body.len == 0)
		snprintf(err, sizeof(err), "empty license");
	else if (u->h.dev->st != NULL) {
		diag_init(&d);
		if (fsutil_write_atomic(state_dir(u->h.dev->st), UPGRADE_LICENSE_FILE, fr->body.p,
					fr->body.len, 0600, &d) != PROV_OK)
			snprintf(err, sizeof(err), "license not stored: %.120s", d.msg);
	}
	wall_text(u, when, sizeof(when));
	st_put(u, "license_url", "%s", u->w->url_text);
	st_put(u, "license_time", "%s", when);
	st_put(u, "license_result", "%s", err[0] ? "failure" : "installed");
	st_put(u, "license_err", "%s", err);
	st_put(u, "license_bytes", "%zu", err[0] ? (size_t)0 : fr->body.len);
	if (err[0] != '\0') {
		u->lic_retry_ms = retry_at(u, "Transition_Authorization_Error_Retry_Delay",
					   u->lic_retry_i);
		if (u->lic_retry_ms != INT64_MAX)
			u->lic_retry_i++;
	} else {
		u->lic_retry_i = 0;
	}
	st_flush(u);
}

static void
fetched(void *arg, struct fetch_result *fr)
{
	struct upgrade *u = arg;

	u->xfer = NULL;
	rt_set(u, "SERVIP", fr->serv_ip);
	if (u->step == STEP_IMAGE)
		image_fetched(u, fr);
	else
		license_fetched(u, fr);
	u->step++;
	if (!upgrade_continue(u))
		u->h.done(u->h.arg, u->installed);
}

/* Runs the steps from u->step on. Returns 1 when one is fetching. */
static int
upgrade_continue(struct upgrade *u)
{
	for (; u->step < STEP_END; u->step++) {
		if (u->step == STEP_IMAGE && step_image(u))
			return 1;
		/* No license after an install (the reboot comes first), nor
		 * on an explicit upgrade. */
		if (u->step == STEP_LICENSE && !u->installed && !(u->flags & UPGRADE_EXPLICIT) &&
		    step_license(u))
			return 1;
	}
	free(u->rule);
	u->rule = NULL;
	work_free(u);
	return 0;
}

int
upgrade_run(struct upgrade *u, const char *rule, unsigned flags, int lines_busy)
{
	if (u->xfer != NULL)
		return 0; /* one run at a time: the engine never asks for two */
	free(u->rule);
	u->rule = NULL;
	if ((flags & UPGRADE_EXPLICIT) && rule != NULL) {
		u->rule = strdup(rule);
		if (u->rule == NULL)
			return 0;
	}
	work_free(u);
	u->w = calloc(1, sizeof(*u->w));
	if (u->w == NULL)
		return 0;
	u->flags = flags;
	u->lines_busy = lines_busy;
	u->step = STEP_IMAGE;
	u->installed = 0;
	return upgrade_continue(u);
}
