/*
 * rule: profile, upgrade and report rules.
 * device.md D-RUL-2, D-RUL-3 (D-RUL-4 through url.h), D-REP-1 syntax.
 *
 * A rule is alternatives separated by '|':
 *     [ (condition)? ] [ (Name = "value"; ...)! ] [ [options] URL ]
 * Every alternative but the last needs a condition. '#' outside quotes
 * starts a comment to the end of the text. Options sit in square brackets
 * before the URL, several per bracket and possibly several brackets:
 *     --key K   --uid U   --pwd P   --post L   --alias L
 * (report rules: --key K, --delta, --status). An argument may be
 * double-quoted ("my secret"). In assignments, the names a..p mean
 * GPP_A..GPP_P; values are double-quoted. Parsing keeps the text raw; macros
 * are expanded only when an alternative is taken (rule_action_build).
 */
#ifndef PROV_RULE_H
#define PROV_RULE_H

#include <stddef.h>
#include "buf.h"
#include "diag.h"
#include "macro.h"
#include "url.h"

/* Room reserved in the buffer a secret is expanded into, so that growing it
 * (realloc) does not leave copies of the secret in freed memory. */
#define RULE_SECRET_RESERVE 1024u

/* rule_parse flags */
#define RULE_NO_OPTIONS 0x01u /* Upgrade_Rule: options are an error (D-RUL-3) */
#define RULE_REPORT     0x02u /* Report_Rule: --key, --delta, --status only */

enum rule_opt_kind {
	RULE_OPT_KEY, RULE_OPT_UID, RULE_OPT_PWD, RULE_OPT_POST, RULE_OPT_ALIAS,
	RULE_OPT_DELTA, RULE_OPT_STATUS
};

struct rule_assign {
	char *name;   /* parameter name with a..p already mapped to GPP_A..GPP_P */
	char *value;  /* raw value, quotes removed, escapes decoded, unexpanded */
	unsigned col;
};

struct rule_opt {
	enum rule_opt_kind kind;
	char *arg;    /* raw argument, quotes removed; NULL for flags */
	unsigned col;
};

struct rule_alt {
	char *cond;       /* raw condition text; NULL: no condition */
	unsigned cond_col;
	struct rule_assign *assign;
	size_t nassign;
	struct rule_opt *opt;
	size_t nopt;
	char *url;        /* raw URL text; NULL: no URL (assignments only) */
	unsigned url_col;
};

struct rule {
	struct rule_alt *alt;
	size_t nalt;      /* 0 for an empty (or comment-only) rule */
};

/* Parses text[0..len). PROV_E_SYNTAX with d->line = 1 and d->col the column
 * of the fault; PROV_E_TOOBIG over the BOUND_RULE_* bounds. */
enum prov_err rule_parse(const char *text, size_t len, unsigned flags,
			 struct rule **out, struct diag *d) PROV_WUR;
void rule_free(struct rule *r);

/* Takes the first alternative whose condition holds (or has none). *alt is
 * NULL when none is taken (the rule is skipped). A condition that fails to
 * evaluate is an error, never "true". */
enum prov_err rule_select(const struct rule *r, const struct macro_vars *vars,
			  const struct rule_alt **alt, struct diag *d) PROV_WUR;

/* What an alternative asks for, expanded and ready to act on. */
struct rule_action {
	int has_url;
	char url_text[BOUND_URL_TEXT + 1]; /* expanded URL text */
	struct url url;                    /* parsed from url_text */
	char *key, *uid, *pwd;             /* expanded with MACRO_SECRETS; NULL if absent */
	char *post, *alias;                /* the GPP letter names as written ("L") */
	int delta, status;                 /* report rules */
	size_t nassign;
	char **assign_name;                /* parameter names (GPP_A ...) */
	char **assign_value;               /* expanded values */
};

/* Expands the alternative's URL, options and assignment values and parses
 * the URL. Secrets in act are wiped by rule_action_fini. */
enum prov_err rule_action_build(const struct rule_alt *alt,
				const struct macro_vars *vars,
				struct rule_action *act, struct diag *d) PROV_WUR;
void rule_action_fini(struct rule_action *act);

#endif
