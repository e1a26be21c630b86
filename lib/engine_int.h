/*
 *engine_int: what engine.c (the net, the clock, parameters, status, life
 * cycle) and engine_resync.c (one resync) share. Not for use outside
 * lib/engine*.c: the engine's API is prov_engine_* in include/prov/prov.h.
 */
#ifndef PROV_ENGINE_INT_H
#define PROV_ENGINE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "prov/prov.h"
#include "buf.h"
#include "customca.h"
#include "device.h"
#include "fetch.h"
#include "mic.h"
#include "report.h"
#include "rule.h"
#include "sched.h"
#include "slog.h"
#include "upgrade.h"

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
	struct rule_action *act;       /* of the rule being fetched; NULL between rules */
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
	struct gds_op *act_op;    /* a gds:// rule's exchange (gds.h) */
	uint64_t ca_tried;             /* Custom_CA_Rule last looked at by tick */

	/* firmware upgrade and license (upgrade.c), run after each resync */
	struct upgrade *upg;
	int upg_phase;                 /* ENGINE_UPG_* */
	int upg_ok;                    /* the resync's outcome, kept meanwhile */
	int upg_installed;             /* the run installed an image: reboot */
	void (*on_reboot)(void *);
	void *on_reboot_arg;

	/* status values of this resync, written in one transaction at its end */
	struct engine_status {
		char key[32];
		char value[512];
	} *st;                         /* ENGINE_STATUS_MAX of them, allocated by the
					* first put and freed by the flush */
	size_t nst;
	char next_saved[160];          /* next_resync as last written */

	void (*on_rule)(void *, const struct prov_rule_report *);
	void *on_rule_arg;
	void (*on_result)(void *, const struct prov_resync_result *);
	void *on_result_arg;
};

/* engine.c */
void engine_rule_fini(struct prov_engine *e);
struct sched_now engine_now(const struct prov_engine *e);
const char *engine_pval(struct prov_engine *e, const char *name);
int engine_pbool(struct prov_engine *e, const char *name);
void engine_conf(struct prov_engine *e, struct sched_conf *c);
void engine_rt_set(struct prov_engine *e, const char *name, const char *value);
void engine_rt_setf(struct prov_engine *e, const char *name, long long v);
void engine_timers(struct prov_engine *e);
char *engine_expand(struct prov_engine *e, const char *text, unsigned flags);
void engine_log(struct prov_engine *e, const char *param, enum slog_sev sev);
void engine_status_put(struct prov_engine *e, const char *key, const char *value);
void engine_status_flush(struct prov_engine *e);
void engine_next_update(struct prov_engine *e);
void engine_replan(struct prov_engine *e);

/* engine_resync.c */
void engine_upgraded(void *arg, int installed);

void engine_debug(struct prov_engine *e, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void engine_status_putf(struct prov_engine *e, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void engine_upgraded(void *arg, int installed);

#endif
