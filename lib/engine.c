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
#include "gds.h"
#include "param.h"
#include "profile.h"
#include "report.h"
#include "rule.h"
#include "sched.h"
#include "slog.h"
#include "state.h"
#include "upgrade.h"
#include "vars.h"


/* Drops what the rule last run asked for. */
void
engine_rule_fini(struct prov_engine *e)
{
	if (e->act != NULL) {
		rule_action_fini(e->act);
		free(e->act);
		e->act = NULL;
	}
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

struct sched_now
engine_now(const struct prov_engine *e)
{
	struct sched_now n;

	n.mono_ms = e->clock.mono_ms(e->clock.arg);
	n.wall_s = e->clock.wall_s(e->clock.arg);
	return n;
}

/* ---- parameters the engine reads ------------------------------------------ */

const char *
engine_pval(struct prov_engine *e, const char *name)
{
	return device_param(e->dev, name);
}

int
engine_pbool(struct prov_engine *e, const char *name)
{
	return strcmp(engine_pval(e, name), "Yes") == 0;
}

static unsigned
puint(struct prov_engine *e, const char *name)
{
	return (unsigned)strtoul(engine_pval(e, name), NULL, 10);
}

/* The schedule's view of the parameters; invalid lists disable (they
 * cannot be stored invalid, but a table change could make them so). */
void
engine_conf(struct prov_engine *e, struct sched_conf *c)
{
	const char *v;

	memset(c, 0, sizeof(*c));
	c->provision_enable = engine_pbool(e, "Provision_Enable");
	c->resync_on_reset = engine_pbool(e, "Resync_On_Reset");
	c->random_delay = puint(e, "Resync_Random_Delay");
	v = engine_pval(e, "Resync_At__HHmm_");
	c->daily_valid = delay_hhmm(v, strlen(v), &c->daily_minutes);
	c->daily_random = puint(e, "Resync_At_Random_Delay");
	v = engine_pval(e, "Resync_Periodic");
	if (delay_parse(v, strlen(v), &c->periodic, NULL) != PROV_OK)
		c->periodic.n = 0;
	v = engine_pval(e, "Resync_Error_Retry_Delay");
	if (delay_parse(v, strlen(v), &c->retry, NULL) != PROV_OK)
		c->retry.n = 0;
	c->forced_delay = puint(e, "Forced_Resync_Delay");
}

/* ---- runtime variables and messages ---------------------------------------- */

void
engine_rt_set(struct prov_engine *e, const char *name, const char *value)
{
	/* Out of memory here only leaves a macro empty. */
	if (vars_runtime_set(e->dev, name, value) != PROV_OK)
		return;
}

void
engine_rt_setf(struct prov_engine *e, const char *name, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	engine_rt_set(e, name, buf);
}

/* $PRVTMR and $UPGTMR: seconds since the last resync attempt / upgrade. */
void
engine_timers(struct prov_engine *e)
{
	int64_t now = e->clock.mono_ms(e->clock.arg);

	engine_rt_setf(e, "PRVTMR", (long long)((now - e->last_attempt_ms) / 1000));
	engine_rt_setf(e, "UPGTMR", (long long)((now - upgrade_since(e->upg, e->boot_ms)) / 1000));
}

/* Expands a parameter's text; "" on failure. Caller frees. */
char *
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
void
engine_log(struct prov_engine *e, const char *param, enum slog_sev sev)
{
	const char *tmpl = engine_pval(e, param);
	const char *idsel = engine_pval(e, "Syslog_Identifier");
	char *msg, *ident = NULL;
	struct diag d;

	if (tmpl[0] == '\0')
		return;
	diag_init(&d);
	(void)slog_config(e->slog, engine_pval(e, "Syslog_Server"), engine_pval(e, "Debug_Server"), &d);
	msg = engine_expand(e, tmpl, 0);
	if (strcmp(idsel, "None") != 0)
		ident = engine_expand(e, idsel, 0);
	if (msg != NULL)
		slog_send(e->slog, sev, 0, e->clock.wall_s(e->clock.arg), ident, msg);
	free(msg);
	free(ident);
}

/* A debug line, when Debug_Level asks for that much (D-LOG-1). */
void
engine_debug(struct prov_engine *e, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (param_level(engine_pval(e, "Debug_Level")) < level || engine_pval(e, "Debug_Server")[0] == '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	slog_send(e->slog, SLOG_DEBUG, 1, e->clock.wall_s(e->clock.arg), NULL, msg);
}

/* ---- status (D-STA-1) -------------------------------------------------------- */

/* Queues a status value for the end of the resync: one transaction, one
 * fsync, however many rules ran. A key queued twice keeps the last value. */
void
engine_status_put(struct prov_engine *e, const char *key, const char *value)
{
	size_t i;

	if (e->st == NULL && (e->st = calloc(ENGINE_STATUS_MAX, sizeof(*e->st))) == NULL)
		return; /* status is advice (engine_status_flush) */
	for (i = 0; i < e->nst && strcmp(e->st[i].key, key) != 0; i++)
		;
	if (i == ENGINE_STATUS_MAX)
		return; /* more keys than a resync writes: a bug, not worth a crash */
	snprintf(e->st[i].key, sizeof(e->st[i].key), "%s", key);
	snprintf(e->st[i].value, sizeof(e->st[i].value), "%s", value);
	if (i == e->nst)
		e->nst++;
}

void
engine_status_flush(struct prov_engine *e)
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
	free(e->st); /* the engine between resyncs is small (a fleet holds many) */
	e->st = NULL;
}

void
engine_status_putf(struct prov_engine *e, const char *key, const char *fmt, ...)
{
	char v[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	engine_status_put(e, key, v);
}

/* The next resync for the status: the kind and the local time it is due,
 * written only when it changes (never on every tick). */
void
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
	engine_status_put(e, "next_resync", when);
	if (!e->running)
		engine_status_flush(e);
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
		for (const char *v = engine_pval(e, names[i]); *v; v++)
			h = (h ^ (unsigned char)*v) * 1099511628211ull;
		h = (h ^ 0xff) * 1099511628211ull;
	}
	return h;
}

/* ---- life cycle --------------------------------------------------------------- */

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
	free(e->st);
	free(e->explicit_copy);
	customca_cancel(e->ca_op);
	mic_cancel(e->mic_op);
	gds_cancel(e->act_op);
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
	    engine_pbool(e, "Resync_After_Upgrade_Attempt")) {
		e->sched.due_ms = now.mono_ms;
		e->sched.reason = SCHED_POWERUP;
	}
	engine_next_update(e);
}

/* The schedule parameters changed while nothing ran (the admin set them):
 * plan again from now. A pending retry keeps its place; a periodic or
 * daily one is planned as after a success now; provisioning turned back on
 * with nothing pending plans like a boot. */
void
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
