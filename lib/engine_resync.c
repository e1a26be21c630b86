/*
 * engine_resync: one resync of the engine (engine.c): the rules in order,
 * each fetched, decoded, parsed and applied, then the certificate steps
 * and the outcome (status, syslog, schedule), then the upgrade check. See
 * engine.c's opening comment and docs/ARCHITECTURE.md "Following one
 * resync".
 */
#include "prov/prov.h"
#include "engine_int.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alias.h"
#include "bounds.h"
#include "codec.h"
#include "cert.h"
#include "cond.h"
#include "customca.h"
#include "delay.h"
#include "dhcpopt.h"
#include "device.h"
#include "fetch.h"
#include "fsutil.h"
#include "macro.h"
#include "mic.h"
#include "param.h"
#include "profile.h"
#include "report.h"
#include "rule.h"
#include "sched.h"
#include "slog.h"
#include "state.h"
#include "upgrade.h"
#include "gds.h"
#include "vars.h"

static const char *const rule_params[ENGINE_RULES] = {
	"Profile_Rule", "Profile_Rule_B", "Profile_Rule_C", "Profile_Rule_D",
};

/* ---- one resync ---------------------------------------------------------------- */

static void engine_next_rule(struct prov_engine *e);
static void engine_finish(struct prov_engine *e, int ok);

static void
engine_cert_done(void *arg)
{
	struct prov_engine *e = arg;

	e->ca_op = NULL;
	e->mic_op = NULL;
	engine_finish(e, e->cert_ok);
}

/* After the profile rules, whatever their outcome (a failing HTTPS resync
 * may be what the custom CA fixes), before the upgrade rule: Custom_CA_Rule,
 * then the MIC renewal when due (customca.h, mic.h). They have their own
 * status and leave the resync's result alone. Returns 1 while a step
 * runs: its end calls engine_finish again. */
static int
engine_certs(struct prov_engine *e, int ok)
{
	int64_t wall = e->clock.wall_s(e->clock.arg);

	e->cert_ok = ok;
	while (e->cert_step > 0) {
		if (e->cert_step == 1) {
			e->cert_step = 2;
			if (customca_start(e->dev, e->net->fetch, wall, engine_cert_done, e,
					   &e->ca_op) == PROV_OK && e->ca_op != NULL)
				return 1;
		} else {
			e->cert_step = 0;
			if (mic_start(e->dev, e->net->fetch, wall, engine_cert_done, e,
				      &e->mic_op) == PROV_OK && e->mic_op != NULL)
				return 1;
		}
	}
	return 0;
}

static void
engine_finish(struct prov_engine *e, int ok)
{
	struct sched_conf c;
	struct sched_now now;
	char when[32];

	if (engine_certs(e, ok))
		return;
	/* The phone checks the upgrade rule after the profile rules (D-UPG-1):
	 * the resync ends when that run does (engine_upgraded). */
	if (e->upg_phase == ENGINE_UPG_NONE) {
		e->upg_ok = ok;
		e->upg_installed = 0;
		e->upg_phase = ENGINE_UPG_AFTER;
		if (upgrade_run(e->upg, NULL, 0, e->lines_busy != 0))
			return;
	}
	e->upg_phase = ENGINE_UPG_NONE;
	now = engine_now(e);
	e->running = 0;
	alias_map_free(e->alias); /* no later rule of this resync needs it */
	e->alias = NULL;
	e->res.ok = ok;
	e->res.err = ok ? "" : e->err;
	engine_rt_set(e, "ERR", ok ? "" : e->err);
	if (!ok) /* successes were logged per rule */
		engine_log(e, "Log_Failure_Msg", SLOG_ERR);
	cert_when(now.wall_s, when, sizeof(when));
	engine_status_put(e, "last_resync_time", when);
	engine_status_put(e, "last_resync_result", ok ? "success" : "failure");
	engine_status_put(e, "last_resync_err", ok ? "" : e->err);
	engine_status_putf(e, "last_resync_prvst", "%d", e->prvst);
	engine_conf(e, &c);
	sched_done(&e->sched, &c, &now, ok, e->clock.random(e->clock.arg));
	engine_next_update(e);
	engine_status_flush(e);
	free(e->explicit_copy);
	e->explicit_copy = NULL;
	e->explicit_rule = NULL;
	if (e->on_result != NULL)
		e->on_result(e->on_result_arg, &e->res);
	if (e->upg_installed && e->on_reboot != NULL)
		e->on_reboot(e->on_reboot_arg); /* D-UPG-2; the reason is recorded */
}

/* upgrade.c's run ended: after a resync, the resync ends now; alone, the
 * engine is free again. An installed image asks the host for a reboot. */
void
engine_upgraded(void *arg, int installed)
{
	struct prov_engine *e = arg;

	e->upg_installed = installed;
	if (e->upg_phase == ENGINE_UPG_AFTER) {
		e->upg_phase = ENGINE_UPG_FINISH;
		engine_finish(e, e->upg_ok);
		return;
	}
	e->upg_phase = ENGINE_UPG_NONE;
	e->running = 0;
	engine_next_update(e);
	if (installed && e->on_reboot != NULL)
		e->on_reboot(e->on_reboot_arg);
}

/* Starts an upgrade run alone; returns 1 when it is under way. */
static int
engine_upgrade_alone(struct prov_engine *e, const char *rule, unsigned flags)
{
	e->running = 1;
	e->upg_installed = 0;
	e->upg_phase = ENGINE_UPG_ALONE;
	if (upgrade_run(e->upg, rule, flags, e->lines_busy != 0))
		return 1;
	e->upg_phase = ENGINE_UPG_NONE;
	e->running = 0;
	return 0;
}

enum prov_err
prov_engine_upgrade(struct prov_engine *e, const char *rule)
{
	enum prov_err rc = device_refresh(e->dev);

	if (rc != PROV_OK)
		return rc;
	if (e->running)
		return PROV_E_BUSY;
	if (rule == NULL || rule[0] == '\0')
		return PROV_E_INVAL;
	return engine_upgrade_alone(e, rule, UPGRADE_EXPLICIT) ? PROV_OK : PROV_E_DENIED;
}

static void
engine_fail(struct prov_engine *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
engine_fail(struct prov_engine *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->err, sizeof(e->err), fmt, ap);
	va_end(ap);
	engine_finish(e, 0);
}

static void
rule_report(struct prov_engine *e, int ok, const char *err, size_t bytes,
	    const struct prov_apply_result *ar)
{
	struct prov_rule_report r;
	char key[32];

	memset(&r, 0, sizeof(r));
	r.rule = e->rule_letter;
	r.url = e->act != NULL && e->act->has_url ? e->act->url_text : "";
	r.ok = ok;
	r.err = err;
	r.bytes = bytes;
	if (ar != NULL)
		r.apply = *ar;
	snprintf(key, sizeof(key), "rule_%c", e->rule_letter);
	engine_status_putf(e, key, "%s %s %zu bytes, %zu changed%s%s", r.url[0] ? r.url : "-",
		    ok ? "ok" : "failed", bytes, r.apply.changed, ok ? "" : ": ", err);
	if (e->on_rule != NULL)
		e->on_rule(e->on_rule_arg, &r);
}

/* The host of a URL without one (D-RUL-4, D-ONB-1): the server named by the
 * DHCP options in the order of DHCP_Option_To_Use, else the server of the
 * last successful fetch (lib/dhcpopt.h). */
static int
engine_default_host(struct prov_engine *e, struct url *u)
{
	return dhcpopt_default_host(e->dev, u);
}

/* The rule's URL as fetched, its server filled in, for the reports and the
 * status ("rule A: tftp://192.0.2.1:69/8841.xml"); left as written if the
 * result would not fit. */
static void
engine_resolved_text(struct prov_engine *e)
{
	struct buf b;

	buf_init(&b, sizeof(e->act->url_text));
	if (url_format(&e->act->url, &b) == PROV_OK && b.len < sizeof(e->act->url_text))
		memcpy(e->act->url_text, buf_str(&b), b.len + 1);
	buf_free(&b);
}

static void
engine_fetched(void *arg, struct fetch_result *fr)
{
	struct prov_engine *e = arg;
	struct prov_profile *p = NULL;
	struct prov_apply_result ar;
	struct buf plain;
	struct diag d;
	enum prov_err rc;
	size_t bytes = fr->body.len;
	const char *key = e->act->key;
	int gcm = 0; /* the body is aes128gcm content (D-ENC-6) */

	e->xfer = NULL;
	engine_rt_set(e, "SERVIP", fr->serv_ip);
	engine_rt_setf(e, "PORT", (long long)fr->port);
	if (fr->status == FETCH_NOTFOUND && !engine_pbool(e, "Resync_Fails_On_FNF")) {
		/* D-RUL-5: file not found counts as success, nothing applied. */
		engine_rt_set(e, "ERR", "");
		engine_log(e, "Log_Success_Msg", SLOG_NOTICE);
		rule_report(e, 1, "", 0, NULL);
		engine_next_rule(e);
		return;
	}
	if (fr->status != FETCH_OK) {
		snprintf(e->err, sizeof(e->err), "%s", fr->err);
		rule_report(e, 0, e->err, bytes, NULL);
		engine_finish(e, 0);
		return;
	}
	engine_status_put(e, "last_server", e->act->url.host);
	diag_init(&d);
	buf_init(&plain, PROV_PROFILE_MAX);
	if (ece_is_outer(fr->content_encoding)) {
		/* D-ENC-6: the header, not the bytes, names aes128gcm; the
		 * rule's --key is then not used, as on the phones. */
		const char *ikm = engine_pval(e, "IKM_HTTP_Encrypt_Content");

		gcm = 1;
		rc = codec_decode_aes128gcm(fr->body.p, fr->body.len, ikm, strlen(ikm), NULL, 0,
					    &plain, NULL, &d);
	} else if (strstr(fr->content_encoding, "aes128gcm") != NULL ||
		   strcmp(fr->content_encoding, FETCH_CODING_UNKNOWN) == 0) {
		gcm = 1;
		rc = diag_set(&d, PROV_E_DECRYPT, 0, 0, "unsupported Content-Encoding \"%.60s\"",
			      fr->content_encoding);
	} else {
		rc = codec_decode(fr->body.p, fr->body.len, key, key ? strlen(key) : 0, &plain,
				  NULL, &d);
	}
	if (rc == PROV_OK && e->alias != NULL)
		rc = alias_profile(e->alias, plain.p, plain.len, 0, &p, &d);
	else if (rc == PROV_OK)
		rc = profile_parse(plain.p, plain.len, 0, &p, &d);
	if (plain.p != NULL)
		OPENSSL_cleanse(plain.p, plain.alloc);
	buf_free(&plain);
	if (rc != PROV_OK) {
		/* $ERR strings (D-LOG-3). */
		if (gcm && (rc == PROV_E_NOKEY || rc == PROV_E_DECRYPT || rc == PROV_E_INVAL))
			snprintf(e->err, sizeof(e->err), "decrypt failed: %.140s", d.msg);
		else if (rc == PROV_E_NOKEY || rc == PROV_E_DECRYPT)
			snprintf(e->err, sizeof(e->err), "decrypt failed");
		else if (rc == PROV_E_GZIP)
			snprintf(e->err, sizeof(e->err), "%.150s", d.msg);
		else if (rc == PROV_E_TOOBIG)
			snprintf(e->err, sizeof(e->err), "profile too large");
		else if (d.line > 0)
			snprintf(e->err, sizeof(e->err), "bad profile at line %u col %u", d.line, d.col);
		else
			snprintf(e->err, sizeof(e->err), "bad profile: %.140s", d.msg);
		engine_debug(e, 1, "resync: %s: %s", e->act->url_text, d.msg);
		rule_report(e, 0, e->err, bytes, NULL);
		engine_finish(e, 0);
		return;
	}
	rc = prov_device_apply(e->dev, p, &ar, NULL, NULL);
	prov_profile_free(p);
	if (rc != PROV_OK) {
		snprintf(e->err, sizeof(e->err), "apply failed: %s", prov_strerror(rc));
		rule_report(e, 0, e->err, bytes, NULL);
		engine_finish(e, 0);
		return;
	}
	e->res.rules_run++;
	e->res.changed += ar.changed;
	e->res.rejected += ar.rejected;
	/* D-RUL-6: a permanent redirect replaces a macro-free rule's URL. */
	if (fr->redirected_permanently && !e->rule_macros && e->explicit_rule == NULL &&
	    e->rule_letter >= 'A' && e->rule_letter <= 'D') {
		const char *name = rule_params[e->rule_letter - 'A'];

		if (prov_device_set(e->dev, name, fr->final_url, 0) != PROV_OK)
			engine_debug(e, 1, "resync: could not keep redirect for %s", name);
	}
	/* One outcome message per fetched profile, pairing its request
	 * message (D-LOG-2; the seed's partitioned exercise logs a pair per
	 * profile). A failure is logged once, when it ends the resync. */
	engine_rt_set(e, "ERR", "");
	engine_log(e, "Log_Success_Msg", SLOG_NOTICE);
	rule_report(e, 1, "", bytes, &ar);
	engine_next_rule(e);
}

/* The transfer's socket is open: $SERVIP is the address used (D-RUL-4),
 * and the request message can say so (D-LOG-2). */
static void
engine_connecting(void *arg, const char *ip, unsigned port)
{
	struct prov_engine *e = arg;

	engine_rt_set(e, "SERVIP", ip);
	engine_rt_setf(e, "PORT", (long long)port);
	engine_log(e, "Log_Request_Msg", SLOG_NOTICE);
}

/* Starts the fetch of the action's URL. Returns 0 when the resync ended
 * (failure), 1 when the fetch is under way. */
static int
engine_fetch(struct prov_engine *e)
{
	struct fetch_req req;
	struct diag d;
	struct cert_paths paths;
	char *ua, *post = NULL;
	enum prov_err rc;

	if (e->act->url.host[0] == '\0') {
		if (!engine_default_host(e, &e->act->url)) {
			engine_fail(e, "no server: the rule names none and none is known yet");
			return 0;
		}
		engine_resolved_text(e);
	}
	engine_rt_set(e, "SCHEME", url_scheme_name(e->act->url.scheme));
	engine_rt_set(e, "SERV", e->act->url.host);
	engine_rt_set(e, "SERVIP", e->act->url.host);
	engine_rt_setf(e, "PORT", (long long)e->act->url.port);
	engine_rt_set(e, "PATH", e->act->url.path);
	/* Log_Request_Msg goes out from engine_connecting, once the address
	 * ($SERVIP) is known. */

	memset(&req, 0, sizeof(req));
	req.url = &e->act->url;
	req.on_connect = engine_connecting;
	req.uid = e->act->uid;
	req.pwd = e->act->pwd;
	if (e->act->post != NULL) {
		/* --post L: the body is GPP_L's value, macro-expanded (D-RUL-3). */
		char gpp[] = "GPP_X";

		gpp[4] = e->act->post[0];
		post = engine_expand(e, engine_pval(e, gpp), 0);
		req.post = post;
		req.postlen = post != NULL ? strlen(post) : 0;
	}
	ua = engine_expand(e, engine_pval(e, "HTTP_User_Agent_Name"), 0);
	req.user_agent = ua;
	/* The trust store (with the custom CA) and the client certificate. */
	cert_paths_get(e->dev, &paths, &req);
	req.max_body = PROV_PROFILE_MAX + 64 * 1024; /* encrypted/gzipped: checked again after */
	req.timeout_ms = BOUND_NET_TIMEOUT_MS;
	req.connect_timeout_ms = BOUND_NET_CONNECT_MS;
	req.tftp_blksize = ENGINE_TFTP_BLKSIZE;
	diag_init(&d);
	rc = fetch_start(e->net->fetch, &req, engine_fetched, e, &e->xfer, &d);
	free(ua);
	free(post); /* fetch_start copied it */
	if (rc != PROV_OK) {
		snprintf(e->err, sizeof(e->err), "fetch failed: %.140s", d.msg);
		rule_report(e, 0, e->err, 0, NULL);
		engine_finish(e, 0);
		return 0;
	}
	return 1;
}

/* --alias L (D-RUL-3): the map in GPP_L as it is now, after the rule's
 * assignments, which may have set it. Returns 0 when the map is malformed:
 * the resync then ended with an $ERR that names the GPP and the entry. */
static int
engine_alias_load(struct prov_engine *e)
{
	char gpp[] = "GPP_X";
	const char *text;
	struct diag d;

	gpp[4] = e->act->alias[0];
	text = engine_pval(e, gpp);
	diag_init(&d);
	if (alias_parse(text, strlen(text), &e->alias, &d) == PROV_OK)
		return 1;
	if (d.col > 0)
		snprintf(e->err, sizeof(e->err), "bad alias map %s col %u: %.120s", gpp, d.col,
			 d.msg);
	else
		snprintf(e->err, sizeof(e->err), "bad alias map %s: %.120s", gpp, d.msg);
	rule_report(e, 0, e->err, 0, NULL);
	engine_finish(e, 0);
	return 0;
}

/* The activation service answered a gds:// rule (gds.h): the rule
 * it gave replaces gds:// and runs now. */
static void
engine_activated(void *arg, const char *rule, const char *why)
{
	struct prov_engine *e = arg;
	char *copy;

	e->act_op = NULL;
	if (rule == NULL) {
		snprintf(e->err, sizeof(e->err), "activation failed: %.130s", why);
		rule_report(e, 0, e->err, 0, NULL);
		engine_finish(e, 0);
		return;
	}
	e->rule_i--; /* the same rule again, with its new text */
	if (e->explicit_rule != NULL) {
		copy = strdup(rule);
		if (copy == NULL) {
			engine_fail(e, "out of memory");
			return;
		}
		free(e->explicit_copy);
		e->explicit_copy = copy;
		e->explicit_rule = copy;
	} else if (prov_device_set(e->dev, rule_params[e->rule_i], rule, 0) != PROV_OK) {
		snprintf(e->err, sizeof(e->err), "activation: cannot set %s: %.100s",
			 rule_params[e->rule_i], prov_device_errmsg(e->dev));
		rule_report(e, 0, e->err, 0, NULL);
		engine_finish(e, 0);
		return;
	}
	engine_next_rule(e);
}

/* A gds:// rule: starts the activation exchange. 1 when under way. */
static int
engine_activate(struct prov_engine *e)
{
	char why[GDS_WHY_MAX];

	if (gds_start(e->dev, e->net->fetch, e->clock.wall_s(e->clock.arg), engine_activated,
			   e, &e->act_op, why) == PROV_OK)
		return 1;
	snprintf(e->err, sizeof(e->err), "activation failed: %.130s", why);
	rule_report(e, 0, e->err, 0, NULL);
	engine_finish(e, 0);
	return 0;
}

/* Runs rules until one fetches (then returns, to continue in
 * engine_fetched) or all are done. */
static void
engine_next_rule(struct prov_engine *e)
{
	for (;;) {
		const char *text;
		struct rule *r = NULL;
		const struct rule_alt *alt = NULL;
		struct macro_vars vars;
		struct diag d;
		enum prov_err rc;

		engine_rule_fini(e);
		if (e->explicit_rule != NULL) {
			if (e->rule_i > 0)
				break;
			text = e->explicit_rule;
			e->rule_letter = 'X';
		} else {
			if (e->rule_i >= ENGINE_RULES)
				break;
			text = engine_pval(e, rule_params[e->rule_i]);
			e->rule_letter = (char)('A' + e->rule_i);
		}
		e->rule_i++;
		if (text[0] == '\0')
			continue;
		if (gds_is_rule(text)) {
			engine_activate(e);
			return;
		}
		diag_init(&d);
		engine_timers(e);
		vars_init(e->dev, &vars);
		rc = rule_parse(text, strlen(text), 0, &r, &d);
		if (rc == PROV_OK)
			rc = rule_select(r, &vars, &alt, &d);
		/* What a rule asks for (its URL, parsed, is kilobytes) is held
		 * only while the rule runs: a fleet holds 100,000 engines. */
		if (rc == PROV_OK && alt != NULL && (e->act = calloc(1, sizeof(*e->act))) == NULL)
			rc = diag_set(&d, PROV_E_NOMEM, 0, 0, "out of memory");
		if (rc == PROV_OK && alt != NULL) {
			e->rule_macros = macro_present(text, strlen(text));
			rc = rule_action_build(alt, &vars, e->act, &d);
		}
		rule_free(r);
		if (rc != PROV_OK) {
			snprintf(e->err, sizeof(e->err), "bad rule %c col %u: %.120s",
				 e->rule_letter, d.col, d.msg);
			rule_report(e, 0, e->err, 0, NULL);
			engine_finish(e, 0);
			return;
		}
		if (alt == NULL)
			continue; /* no alternative taken: the rule is skipped */
		if (e->act->nassign > 0) {
			rc = prov_device_set_many(e->dev, (const char *const *)e->act->assign_name,
						  (const char *const *)e->act->assign_value,
						  e->act->nassign, 0);
			if (rc != PROV_OK) {
				snprintf(e->err, sizeof(e->err), "rule %c assignment: %s",
					 e->rule_letter, prov_device_errmsg(e->dev));
				rule_report(e, 0, e->err, 0, NULL);
				engine_finish(e, 0);
				return;
			}
		}
		if (!e->act->has_url)
			continue;
		if (e->act->alias != NULL && !engine_alias_load(e))
			return; /* a bad map ended the resync, before any fetch */
		if (engine_fetch(e))
			return;
		return; /* engine_fetch ended the resync */
	}
	engine_rule_fini(e);
	engine_finish(e, 1);
}

static void
engine_start(struct prov_engine *e, int prvst)
{
	e->running = 1;
	e->prvst = prvst;
	e->rule_i = 0;
	e->cert_step = 1;
	memset(&e->res, 0, sizeof(e->res));
	e->res.prvst = prvst;
	e->err[0] = '\0';
	engine_rt_setf(e, "PRVST", prvst);
	engine_timers(e);
	e->last_attempt_ms = e->clock.mono_ms(e->clock.arg);
	engine_next_rule(e);
}

enum prov_err
prov_engine_resync(struct prov_engine *e, const char *rule)
{
	enum prov_err rc = device_refresh(e->dev);

	if (rc != PROV_OK)
		return rc;
	if (e->running)
		return PROV_E_BUSY;
	if (!engine_pbool(e, "Provision_Enable"))
		return PROV_E_DENIED; /* D-SCH-8 */
	if (rule != NULL) {
		e->explicit_copy = strdup(rule);
		if (e->explicit_copy == NULL)
			return PROV_E_NOMEM;
		e->explicit_rule = e->explicit_copy;
	}
	engine_start(e, SCHED_EXPLICIT);
	return PROV_OK;
}

/* Every non-empty Resync_Trigger_N holds (D-SCH-6); one that does not
 * evaluate counts as false. */
static int
engine_triggers(void *arg)
{
	struct prov_engine *e = arg;
	static const char *const trig[] = { "Resync_Trigger_1", "Resync_Trigger_2" };
	struct macro_vars vars;

	engine_timers(e);
	vars_init(e->dev, &vars);
	for (size_t i = 0; i < 2; i++) {
		const char *t = engine_pval(e, trig[i]);
		int result = 0;

		if (t[0] == '\0')
			continue;
		if (cond_eval(t, strlen(t), &vars, &result, NULL) != PROV_OK || !result) {
			engine_debug(e, 1, "resync skipped: %s is false", trig[i]);
			return 0;
		}
	}
	return 1;
}

static void
engine_ca_alone_done(void *arg)
{
	struct prov_engine *e = arg;

	e->ca_op = NULL;
	e->running = 0;
	engine_next_update(e);
}

/* An agent does not wait for the next resync to act on a changed
 * Custom_CA_Rule (the admin set it): when the rule differs from the one
 * last attempted (status custom_ca_rule), the custom CA step runs on its
 * own, as a run of the engine (running) that is no resync. Each rule text
 * is looked at once, so a status that cannot be written does not loop. */
static int
engine_ca_changed(struct prov_engine *e)
{
	const char *rule = engine_pval(e, "Custom_CA_Rule");
	uint64_t sig = 1469598103934665603ull;
	char *last = NULL;
	int changed;

	for (const char *v = rule; *v; v++)
		sig = (sig ^ (unsigned char)*v) * 1099511628211ull;
	if (!e->booted || rule[0] == '\0' || sig == e->ca_tried || !engine_pbool(e, "Provision_Enable"))
		return 0;
	e->ca_tried = sig;
	if (prov_device_status_get(e->dev, "custom_ca_rule", &last) != PROV_OK) {
		free(last);
		last = NULL;
	}
	changed = last == NULL || strcmp(last, rule) != 0;
	free(last);
	if (!changed || customca_start(e->dev, e->net->fetch, e->clock.wall_s(e->clock.arg),
				       engine_ca_alone_done, e, &e->ca_op) != PROV_OK ||
	    e->ca_op == NULL)
		return 0;
	e->running = 1;
	return 1;
}

void
prov_engine_tick(struct prov_engine *e)
{
	struct sched_conf c;
	struct sched_now now;
	enum sched_reason reason = SCHED_PERIODIC;
	enum sched_action a;

	if (e->running || device_refresh(e->dev) != PROV_OK)
		return;
	if (engine_ca_changed(e))
		return; /* Custom_CA_Rule changed: fetched on its own */
	if (upgrade_due(e->upg) <= e->clock.mono_ms(e->clock.arg) &&
	    engine_upgrade_alone(e, NULL, UPGRADE_RETRY))
		return; /* an upgrade or license retry (D-UPG-1, D-UPG-3) */
	engine_replan(e);
	engine_conf(e, &c);
	now = engine_now(e);
	a = sched_poll(&e->sched, &c, &now, e->lines_busy != 0, engine_triggers, e,
		       e->clock.random(e->clock.arg), &reason);
	if (a == SCHED_RUN)
		engine_start(e, (int)reason);
	else
		engine_next_update(e);
}
