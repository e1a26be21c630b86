/*
 * engine: one device's resync, from rule to applied profile, and its
 * schedule. device.md D-RUL-1..7, D-SCH-2..9, D-LOG-1..3, D-STA-1.
 *
 * A resync walks Profile_Rule, _B, _C, _D in order (D-RUL-1). For each
 * non-empty rule: parse, take the first alternative whose condition holds,
 * apply its assignments, expand its URL and options, send Log_Request_Msg,
 * fetch (asynchronously, through fetch.c on the shared net), then decode
 * (codec.c: decrypt, gunzip; ece.c for aes128gcm), parse (profile.c, or
 * alias.c through the GPP_L map of `--alias L`) and apply the profile in
 * one transaction (change.c). A failing rule stops the sequence; what
 * earlier rules applied stays. Then, whatever the outcome, the certificate steps
 * run on the same net: Custom_CA_Rule (customca.c, D-NET-2) and the MIC
 * renewal when due (mic.c, D-NET-3). The outcome goes to syslog (Log_Success_Msg or
 * Log_Failure_Msg with $ERR), to the device status (D-STA-1), and to the
 * schedule (sched.c), which says when the next automatic one is due.
 *
 * The engine never blocks: it returns to its host between the steps of a
 * resync, and every callback it makes comes from prov_net_fd,
 * prov_net_timeout, prov_engine_tick or prov_engine_resync.
 */
#include "prov/prov.h"

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
#include "vars.h"

#define ENGINE_TIMEOUT_MS 60000        /* one fetch, whole (D-NET-4) */
#define ENGINE_CONNECT_TIMEOUT_MS 15000
#define ENGINE_TFTP_BLKSIZE 1428       /* asked for; the server may refuse */
#define ENGINE_RULES 4                 /* Profile_Rule, _B, _C, _D */
#define ENGINE_STATUS_MAX 16           /* status values written per resync */

/* struct prov_engine's upg_phase */
#define ENGINE_UPG_NONE 0              /* no upgrade run */
#define ENGINE_UPG_AFTER 1             /* after a resync, which ends with it */
#define ENGINE_UPG_FINISH 2            /* ... it ended: the resync finishes */
#define ENGINE_UPG_ALONE 3             /* an upgrade alone (explicit, retry) */

struct prov_net {
	struct fetch_net *fetch;
};

struct prov_engine {
	struct prov_device *dev;
	struct prov_net *net;
	struct prov_clock clock;
	struct sched sched;
	struct slog *slog;
	unsigned lines_busy;           /* bit N-1: line N is in a call */
	int booted;                    /* keeps a schedule (an agent), not a
					* one-shot explicit resync */
	uint64_t conf_sig;             /* the schedule parameters last planned with */
	char next[160];                /* prov_engine_next's text */

	/* the resync in progress */
	int running;
	int prvst;
	const char *explicit_rule;     /* rule of an explicit resync, or NULL */
	char *explicit_copy;
	int rule_i;                    /* next rule to run, 0..ENGINE_RULES */
	struct fetch_xfer *xfer;
	struct rule_action act;        /* of the rule being fetched */
	struct alias_map *alias;       /* its --alias map, read from GPP_L */
	char rule_letter;
	int rule_macros;               /* the rule text had macros (D-RUL-6) */
	struct prov_resync_result res;
	char err[160];
	int64_t last_attempt_ms;       /* for $PRVTMR */
	int64_t boot_ms;               /* for $UPGTMR before any upgrade attempt */

	/* the certificate steps after the profile rules (D-NET-2, D-NET-3) */
	int cert_step;                 /* next: 1 custom CA, 2 MIC; 0 none */
	int cert_ok;                   /* the rules' outcome, kept meanwhile */
	struct customca_op *ca_op;
	struct mic_op *mic_op;
	uint64_t ca_tried;             /* Custom_CA_Rule last looked at by tick */

	/* firmware upgrade and license (upgrade.c), run after each resync */
	struct upgrade *upg;
	int upg_phase;                 /* ENGINE_UPG_* */
	int upg_ok;                    /* the resync's outcome, kept meanwhile */
	int upg_installed;             /* the run installed an image: reboot */
	void (*on_reboot)(void *);
	void *on_reboot_arg;

	/* status values of this resync, written in one transaction at its end */
	struct {
		char key[32];
		char value[512];
	} st[ENGINE_STATUS_MAX];
	size_t nst;
	char next_saved[160];          /* next_resync as last written */

	void (*on_rule)(void *, const struct prov_rule_report *);
	void *on_rule_arg;
	void (*on_result)(void *, const struct prov_resync_result *);
	void *on_result_arg;
};

static const char *const rule_params[ENGINE_RULES] = {
	"Profile_Rule", "Profile_Rule_B", "Profile_Rule_C", "Profile_Rule_D",
};

/* Drops what the rule last run asked for. */
static void
engine_rule_fini(struct prov_engine *e)
{
	rule_action_fini(&e->act);
	alias_map_free(e->alias);
	e->alias = NULL;
}

/* ---- the net ---------------------------------------------------------- */

enum prov_err
prov_net_new(const struct prov_net_ops *ops, void *arg, struct prov_net **out)
{
	struct prov_net *net = calloc(1, sizeof(*net));
	struct fetch_net_ops fops;
	enum prov_err rc;

	*out = NULL;
	if (net == NULL)
		return PROV_E_NOMEM;
	/* The public ops have the shape of fetch.c's: PROV_IN == FETCH_IN. */
	fops.watch = ops->watch;
	fops.timer = ops->timer;
	rc = fetch_net_new(&fops, arg, &net->fetch);
	if (rc != PROV_OK) {
		free(net);
		return rc;
	}
	*out = net;
	return PROV_OK;
}

void
prov_net_free(struct prov_net *net)
{
	if (net == NULL)
		return;
	fetch_net_free(net->fetch);
	free(net);
}

void
prov_net_fd(struct prov_net *net, int fd, unsigned events)
{
	fetch_net_fd(net->fetch, fd, events);
}

void
prov_net_timeout(struct prov_net *net)
{
	fetch_net_timeout(net->fetch);
}

/* report.c uploads on the same net (report.h). */
struct fetch_net *
engine_net_fetch(struct prov_net *net)
{
	return net->fetch;
}

/* ---- the clock ---------------------------------------------------------- */

static struct sched_now
engine_now(const struct prov_engine *e)
{
	struct sched_now n;

	n.mono_ms = e->clock.mono_ms(e->clock.arg);
	n.wall_s = e->clock.wall_s(e->clock.arg);
	return n;
}

/* ---- parameters the engine reads ------------------------------------------ */

static const char *
pval(struct prov_engine *e, const char *name)
{
	return device_param(e->dev, name);
}

static int
pbool(struct prov_engine *e, const char *name)
{
	return strcmp(pval(e, name), "Yes") == 0;
}

static unsigned
puint(struct prov_engine *e, const char *name)
{
	return (unsigned)strtoul(pval(e, name), NULL, 10);
}

/* The schedule's view of the parameters; invalid lists disable (they
 * cannot be stored invalid, but a table change could make them so). */
static void
engine_conf(struct prov_engine *e, struct sched_conf *c)
{
	const char *v;

	memset(c, 0, sizeof(*c));
	c->provision_enable = pbool(e, "Provision_Enable");
	c->resync_on_reset = pbool(e, "Resync_On_Reset");
	c->random_delay = puint(e, "Resync_Random_Delay");
	v = pval(e, "Resync_At__HHmm_");
	c->daily_valid = delay_hhmm(v, strlen(v), &c->daily_minutes);
	c->daily_random = puint(e, "Resync_At_Random_Delay");
	v = pval(e, "Resync_Periodic");
	if (delay_parse(v, strlen(v), &c->periodic, NULL) != PROV_OK)
		c->periodic.n = 0;
	v = pval(e, "Resync_Error_Retry_Delay");
	if (delay_parse(v, strlen(v), &c->retry, NULL) != PROV_OK)
		c->retry.n = 0;
	c->forced_delay = puint(e, "Forced_Resync_Delay");
}

/* ---- runtime variables and messages ---------------------------------------- */

static void
rt_set(struct prov_engine *e, const char *name, const char *value)
{
	/* Out of memory here only leaves a macro empty. */
	if (vars_runtime_set(e->dev, name, value) != PROV_OK)
		return;
}

static void
rt_setf(struct prov_engine *e, const char *name, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	rt_set(e, name, buf);
}

/* $PRVTMR and $UPGTMR: seconds since the last resync attempt / upgrade. */
static void
engine_timers(struct prov_engine *e)
{
	int64_t now = e->clock.mono_ms(e->clock.arg);

	rt_setf(e, "PRVTMR", (long long)((now - e->last_attempt_ms) / 1000));
	rt_setf(e, "UPGTMR", (long long)((now - upgrade_since(e->upg, e->boot_ms)) / 1000));
}

/* Expands a parameter's text; "" on failure. Caller frees. */
static char *
engine_expand(struct prov_engine *e, const char *text, unsigned flags)
{
	struct macro_vars vars;
	struct buf b;
	char *out;

	buf_init(&b, BOUND_MACRO_OUT);
	vars_init(e->dev, &vars);
	if (macro_expand(text, strlen(text), &vars, flags, &b, NULL) != PROV_OK)
		buf_reset(&b);
	out = buf_take(&b);
	return out;
}

/* Sends one of the Log_* templates, expanded; an empty template is silent
 * (D-LOG-2). */
static void
engine_log(struct prov_engine *e, const char *param, enum slog_sev sev)
{
	const char *tmpl = pval(e, param);
	const char *idsel = pval(e, "Syslog_Identifier");
	char *msg, *ident = NULL;
	struct diag d;

	if (tmpl[0] == '\0')
		return;
	diag_init(&d);
	(void)slog_config(e->slog, pval(e, "Syslog_Server"), pval(e, "Debug_Server"), &d);
	msg = engine_expand(e, tmpl, 0);
	if (strcmp(idsel, "None") != 0)
		ident = engine_expand(e, idsel, 0);
	if (msg != NULL)
		slog_send(e->slog, sev, 0, e->clock.wall_s(e->clock.arg), ident, msg);
	free(msg);
	free(ident);
}

/* A debug line, when Debug_Level asks for that much (D-LOG-1). */
static void
engine_debug(struct prov_engine *e, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
engine_debug(struct prov_engine *e, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (param_level(pval(e, "Debug_Level")) < level || pval(e, "Debug_Server")[0] == '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	slog_send(e->slog, SLOG_DEBUG, 1, e->clock.wall_s(e->clock.arg), NULL, msg);
}

/* ---- status (D-STA-1) -------------------------------------------------------- */

/* Queues a status value for the end of the resync: one transaction, one
 * fsync, however many rules ran. A key queued twice keeps the last value. */
static void
status_put(struct prov_engine *e, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < e->nst && strcmp(e->st[i].key, key) != 0; i++)
		;
	if (i == ENGINE_STATUS_MAX)
		return; /* more keys than a resync writes: a bug, not worth a crash */
	snprintf(e->st[i].key, sizeof(e->st[i].key), "%s", key);
	snprintf(e->st[i].value, sizeof(e->st[i].value), "%s", value);
	if (i == e->nst)
		e->nst++;
}

static void
status_flush(struct prov_engine *e)
{
	const char *keys[ENGINE_STATUS_MAX], *values[ENGINE_STATUS_MAX];

	for (size_t i = 0; i < e->nst; i++) {
		keys[i] = e->st[i].key;
		values[i] = e->st[i].value;
	}
	/* Status is advice: a failed write must not fail the resync. */
	if (e->nst > 0 && device_status_put_many(e->dev, keys, values, e->nst) != PROV_OK)
		engine_debug(e, 1, "status not saved: %s", prov_device_errmsg(e->dev));
	e->nst = 0;
}

static void
status_putf(struct prov_engine *e, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
status_putf(struct prov_engine *e, const char *key, const char *fmt, ...)
{
	char v[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	status_put(e, key, v);
}

/* The next resync for the status: the kind and the local time it is due,
 * written only when it changes (never on every tick). */
static void
engine_next_update(struct prov_engine *e)
{
	struct sched_now now = engine_now(e);
	char when[64];

	sched_explain(&e->sched, &now, e->next, sizeof(e->next));
	/* Only the engine that keeps the schedule speaks for it: a one-shot
	 * `prov phone resync` beside a running agent must not overwrite it. */
	if (!e->booted)
		return;
	if (e->running) {
		snprintf(when, sizeof(when), "resync running");
	} else if (e->sched.waiting) {
		char at[32];

		cert_when(now.wall_s + (e->sched.forced_ms - now.mono_ms) / 1000, at, sizeof(at));
		snprintf(when, sizeof(when), "waiting for idle lines, forced at %.24s", at);
	} else if (e->sched.due_ms == SCHED_NEVER) {
		snprintf(when, sizeof(when), "none scheduled");
	} else {
		char at[32];

		cert_when(now.wall_s + (e->sched.due_ms - now.mono_ms) / 1000, at, sizeof(at));
		snprintf(when, sizeof(when), "%s at %s",
			 e->sched.reason == SCHED_POWERUP ? "power-up" :
			 e->sched.reason == SCHED_RETRY ? "retry" : "periodic", at);
	}
	if (strcmp(when, e->next_saved) == 0)
		return;
	snprintf(e->next_saved, sizeof(e->next_saved), "%s", when);
	status_put(e, "next_resync", when);
	if (!e->running)
		status_flush(e);
}

/* A signature of the parameters the schedule reads, to notice changes. */
static uint64_t
conf_signature(struct prov_engine *e)
{
	static const char *const names[] = {
		"Provision_Enable", "Resync_On_Reset", "Resync_At__HHmm_",
		"Resync_At_Random_Delay", "Resync_Periodic", "Resync_Error_Retry_Delay",
	};
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (const char *v = pval(e, names[i]); *v; v++)
			h = (h ^ (unsigned char)*v) * 1099511628211ull;
		h = (h ^ 0xff) * 1099511628211ull;
	}
	return h;
}

/* ---- life cycle --------------------------------------------------------------- */

static void engine_upgraded(void *arg, int installed);

enum prov_err
prov_engine_new(struct prov_device *dev, struct prov_net *net,
		const struct prov_clock *clock, struct prov_engine **out)
{
	struct prov_engine *e = calloc(1, sizeof(*e));

	*out = NULL;
	if (e == NULL)
		return PROV_E_NOMEM;
	if (slog_new(&e->slog) != PROV_OK) {
		free(e);
		return PROV_E_NOMEM;
	}
	e->dev = dev;
	e->net = net;
	if (clock != NULL)
		e->clock = *clock;
	sched_clock_defaults(&e->clock);
	e->sched.due_ms = SCHED_NEVER;
	e->boot_ms = e->last_attempt_ms = e->clock.mono_ms(e->clock.arg);
	snprintf(e->next, sizeof(e->next), "none scheduled");
	{
		struct upgrade_host uh = { dev, net->fetch, e->slog, e->clock,
					   engine_upgraded, e };

		if (upgrade_new(&uh, &e->upg) != PROV_OK) {
			slog_free(e->slog);
			free(e);
			return PROV_E_NOMEM;
		}
	}
	*out = e;
	return PROV_OK;
}

void
prov_engine_free(struct prov_engine *e)
{
	if (e == NULL)
		return;
	if (e->xfer != NULL)
		fetch_cancel(e->xfer);
	engine_rule_fini(e);
	free(e->explicit_copy);
	customca_cancel(e->ca_op);
	mic_cancel(e->mic_op);
	upgrade_free(e->upg);
	slog_free(e->slog);
	free(e);
}

void
prov_engine_on_rule(struct prov_engine *e,
		    void (*fn)(void *, const struct prov_rule_report *), void *arg)
{
	e->on_rule = fn;
	e->on_rule_arg = arg;
}

void
prov_engine_on_result(struct prov_engine *e,
		      void (*fn)(void *, const struct prov_resync_result *), void *arg)
{
	e->on_result = fn;
	e->on_result_arg = arg;
}

void
prov_engine_on_reboot(struct prov_engine *e, void (*fn)(void *), void *arg)
{
	e->on_reboot = fn;
	e->on_reboot_arg = arg;
}

int
prov_engine_running(const struct prov_engine *e)
{
	return e->running;
}

const char *
prov_engine_next(struct prov_engine *e)
{
	engine_next_update(e);
	return e->next;
}

void
prov_engine_boot(struct prov_engine *e)
{
	struct sched_conf c;
	struct sched_now now = engine_now(e);

	engine_conf(e, &c);
	e->boot_ms = now.mono_ms;
	e->booted = 1;
	e->conf_sig = conf_signature(e);
	sched_boot(&e->sched, &c, &now, e->clock.random(e->clock.arg));
	/* D-UPG-2: the boot after an installed upgrade resyncs at once. */
	if (upgrade_boot_pending(e->dev) && c.provision_enable &&
	    pbool(e, "Resync_After_Upgrade_Attempt")) {
		e->sched.due_ms = now.mono_ms;
		e->sched.reason = SCHED_POWERUP;
	}
	engine_next_update(e);
}

/* The schedule parameters changed while nothing ran (the admin set them):
 * plan again from now. A pending retry keeps its place; a periodic or
 * daily one is planned as after a success now; provisioning turned back on
 * with nothing pending plans like a boot. */
static void
engine_replan(struct prov_engine *e)
{
	struct sched_conf c;
	struct sched_now now = engine_now(e);
	uint64_t sig = conf_signature(e);

	if (!e->booted || e->running || sig == e->conf_sig)
		return;
	e->conf_sig = sig;
	engine_conf(e, &c);
	if (e->sched.due_ms != SCHED_NEVER && e->sched.reason == SCHED_RETRY)
		return;
	if (e->sched.due_ms == SCHED_NEVER && !e->sched.succeeded)
		sched_boot(&e->sched, &c, &now, e->clock.random(e->clock.arg));
	else
		sched_done(&e->sched, &c, &now, 1, e->clock.random(e->clock.arg));
}

int64_t
prov_engine_due(const struct prov_engine *e)
{
	struct sched_conf c;

	int64_t due, upg;

	engine_conf((struct prov_engine *)(uintptr_t)e, &c);
	due = sched_due(&e->sched, &c);
	upg = upgrade_due(e->upg); /* an upgrade or license retry */
	return upg < due ? upg : due;
}

void
prov_engine_line(struct prov_engine *e, unsigned line, int busy)
{
	if (line < 1 || line > 10)
		return;
	if (busy)
		e->lines_busy |= 1u << (line - 1);
	else
		e->lines_busy &= ~(1u << (line - 1));
}

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
	rt_set(e, "ERR", ok ? "" : e->err);
	if (!ok) /* successes were logged per rule */
		engine_log(e, "Log_Failure_Msg", SLOG_ERR);
	cert_when(now.wall_s, when, sizeof(when));
	status_put(e, "last_resync_time", when);
	status_put(e, "last_resync_result", ok ? "success" : "failure");
	status_put(e, "last_resync_err", ok ? "" : e->err);
	status_putf(e, "last_resync_prvst", "%d", e->prvst);
	engine_conf(e, &c);
	sched_done(&e->sched, &c, &now, ok, e->clock.random(e->clock.arg));
	engine_next_update(e);
	status_flush(e);
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
static void
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
	r.url = e->act.has_url ? e->act.url_text : "";
	r.ok = ok;
	r.err = err;
	r.bytes = bytes;
	if (ar != NULL)
		r.apply = *ar;
	snprintf(key, sizeof(key), "rule_%c", e->rule_letter);
	status_putf(e, key, "%s %s %zu bytes, %zu changed%s%s", r.url[0] ? r.url : "-",
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

	buf_init(&b, sizeof(e->act.url_text));
	if (url_format(&e->act.url, &b) == PROV_OK && b.len < sizeof(e->act.url_text))
		memcpy(e->act.url_text, buf_str(&b), b.len + 1);
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
	const char *key = e->act.key;
	int gcm = 0; /* the body is aes128gcm content (D-ENC-6) */

	e->xfer = NULL;
	rt_set(e, "SERVIP", fr->serv_ip);
	rt_setf(e, "PORT", (long long)fr->port);
	if (fr->status == FETCH_NOTFOUND && !pbool(e, "Resync_Fails_On_FNF")) {
		/* D-RUL-5: file not found counts as success, nothing applied. */
		rt_set(e, "ERR", "");
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
	status_put(e, "last_server", e->act.url.host);
	diag_init(&d);
	buf_init(&plain, PROV_PROFILE_MAX);
	if (ece_is_outer(fr->content_encoding)) {
		/* D-ENC-6: the header, not the bytes, names aes128gcm; the
		 * rule's --key is then not used, as on the phones. */
		const char *ikm = pval(e, "IKM_HTTP_Encrypt_Content");

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
		engine_debug(e, 1, "resync: %s: %s", e->act.url_text, d.msg);
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
	rt_set(e, "ERR", "");
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

	rt_set(e, "SERVIP", ip);
	rt_setf(e, "PORT", (long long)port);
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

	if (e->act.url.host[0] == '\0') {
		if (!engine_default_host(e, &e->act.url)) {
			engine_fail(e, "no server: the rule names none and none is known yet");
			return 0;
		}
		engine_resolved_text(e);
	}
	rt_set(e, "SCHEME", url_scheme_name(e->act.url.scheme));
	rt_set(e, "SERV", e->act.url.host);
	rt_set(e, "SERVIP", e->act.url.host);
	rt_setf(e, "PORT", (long long)e->act.url.port);
	rt_set(e, "PATH", e->act.url.path);
	/* Log_Request_Msg goes out from engine_connecting, once the address
	 * ($SERVIP) is known. */

	memset(&req, 0, sizeof(req));
	req.url = &e->act.url;
	req.on_connect = engine_connecting;
	req.uid = e->act.uid;
	req.pwd = e->act.pwd;
	if (e->act.post != NULL) {
		/* --post L: the body is GPP_L's value, macro-expanded (D-RUL-3). */
		char gpp[] = "GPP_X";

		gpp[4] = e->act.post[0];
		post = engine_expand(e, pval(e, gpp), 0);
		req.post = post;
		req.postlen = post != NULL ? strlen(post) : 0;
	}
	ua = engine_expand(e, pval(e, "HTTP_User_Agent_Name"), 0);
	req.user_agent = ua;
	/* The trust store (with the custom CA) and the client certificate. */
	cert_paths_get(e->dev, &paths, &req);
	req.max_body = PROV_PROFILE_MAX + 64 * 1024; /* encrypted/gzipped: checked again after */
	req.timeout_ms = ENGINE_TIMEOUT_MS;
	req.connect_timeout_ms = ENGINE_CONNECT_TIMEOUT_MS;
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

	gpp[4] = e->act.alias[0];
	text = pval(e, gpp);
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
			text = pval(e, rule_params[e->rule_i]);
			e->rule_letter = (char)('A' + e->rule_i);
		}
		e->rule_i++;
		if (text[0] == '\0')
			continue;
		diag_init(&d);
		engine_timers(e);
		vars_init(e->dev, &vars);
		rc = rule_parse(text, strlen(text), 0, &r, &d);
		if (rc == PROV_OK)
			rc = rule_select(r, &vars, &alt, &d);
		if (rc == PROV_OK && alt != NULL) {
			e->rule_macros = macro_present(text, strlen(text));
			rc = rule_action_build(alt, &vars, &e->act, &d);
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
		if (e->act.nassign > 0) {
			rc = prov_device_set_many(e->dev, (const char *const *)e->act.assign_name,
						  (const char *const *)e->act.assign_value,
						  e->act.nassign, 0);
			if (rc != PROV_OK) {
				snprintf(e->err, sizeof(e->err), "rule %c assignment: %s",
					 e->rule_letter, prov_device_errmsg(e->dev));
				rule_report(e, 0, e->err, 0, NULL);
				engine_finish(e, 0);
				return;
			}
		}
		if (!e->act.has_url)
			continue;
		if (e->act.alias != NULL && !engine_alias_load(e))
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
	rt_setf(e, "PRVST", prvst);
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
	if (!pbool(e, "Provision_Enable"))
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
		const char *t = pval(e, trig[i]);
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
	const char *rule = pval(e, "Custom_CA_Rule");
	uint64_t sig = 1469598103934665603ull;
	char *last = NULL;
	int changed;

	for (const char *v = rule; *v; v++)
		sig = (sig ^ (unsigned char)*v) * 1099511628211ull;
	if (!e->booted || rule[0] == '\0' || sig == e->ca_tried || !pbool(e, "Provision_Enable"))
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
