/*
 * Rule cases (tests/cases/rule/NNNN, device.md D-RUL-2..4, D-REP-1).
 *
 * @@ input (the whole section) is parsed with rule_parse; @@ flags may hold
 * the words `upgrade` (RULE_NO_OPTIONS) and `report` (RULE_REPORT).
 * @@ expect starts with the parsed structure, one line per alternative:
 *     alt N: cond=[TEXT] assign=[NAME="VALUE"; ...] opts=[--key "K" --delta] url=[TEXT]
 * where each part appears only when present (TEXT raw; in TEXT, newline,
 * CR and tab show as \n, \r, \t; quoted VALUE and option arguments also
 * escape '"' and '\'), or the single line `empty` for a rule without
 * alternatives.
 * With a @@ vars section, rule_select runs next and a line
 *     select: N        (or `select: none`)
 * follows; then, for a selected alternative, rule_action_build's result:
 *     assign NAME=VALUE        per assignment, in order
 *     url=SCHEME HOST PORT PATH[ ?QUERY]   as the url cases print it
 *     key=K  uid=U  pwd=P  post=L  alias=L  delta  status   when set
 * case_check compares the output with @@ expect, or the failure of any
 * step, as "LINE:COL: message", with @@ error.
 */
#include "case.h"

#include <string.h>

#include "rule.h"

#define CASE_RULE_OUT (1024u * 1024u)

static int
case_rule_flags(struct case_file *cf, unsigned *flags)
{
	const char *s = case_section(cf, "flags", NULL);

	*flags = 0;
	while (s != NULL && *(s += strspn(s, " \t\n")) != '\0') {
		size_t n = strcspn(s, " \t\n");

		if (n == 7 && memcmp(s, "upgrade", 7) == 0)
			*flags |= RULE_NO_OPTIONS;
		else if (n == 6 && memcmp(s, "report", 6) == 0)
			*flags |= RULE_REPORT;
		else
			return case_fail(cf, "unknown flag '%.*s'", (int)n, s);
		s += n;
	}
	return 0;
}

/* Appends s, escaping control characters (and, when quoted, '"' and '\'). */
static enum prov_err
case_rule_text(struct buf *out, const char *s, int quoted)
{
	enum prov_err rc = PROV_OK;

	if (quoted)
		rc = buf_addc(out, '"');
	for (; rc == PROV_OK && *s != '\0'; s++) {
		if (*s == '\n')
			rc = buf_adds(out, "\\n");
		else if (*s == '\r')
			rc = buf_adds(out, "\\r");
		else if (*s == '\t')
			rc = buf_adds(out, "\\t");
		else if (quoted && (*s == '"' || *s == '\\'))
			rc = buf_addf(out, "\\%c", *s);
		else
			rc = buf_addc(out, *s);
	}
	if (rc == PROV_OK && quoted)
		rc = buf_addc(out, '"');
	return rc;
}

static const char *
case_rule_optname(enum rule_opt_kind k)
{
	switch (k) {
	case RULE_OPT_KEY: return "key";
	case RULE_OPT_UID: return "uid";
	case RULE_OPT_PWD: return "pwd";
	case RULE_OPT_POST: return "post";
	case RULE_OPT_ALIAS: return "alias";
	case RULE_OPT_DELTA: return "delta";
	case RULE_OPT_STATUS: return "status";
	}
	return "?";
}

static enum prov_err
case_rule_dump(const struct rule *r, struct buf *out)
{
	enum prov_err rc = PROV_OK;

	if (r->nalt == 0)
		return buf_adds(out, "empty");
	for (size_t i = 0; rc == PROV_OK && i < r->nalt; i++) {
		const struct rule_alt *a = &r->alt[i];

		rc = buf_addf(out, "%salt %zu:", i ? "\n" : "", i + 1);
		if (rc == PROV_OK && a->cond != NULL) {
			rc = buf_adds(out, " cond=[");
			if (rc == PROV_OK)
				rc = case_rule_text(out, a->cond, 0);
			if (rc == PROV_OK)
				rc = buf_addc(out, ']');
		}
		if (rc == PROV_OK && a->nassign > 0)
			rc = buf_adds(out, " assign=[");
		for (size_t j = 0; rc == PROV_OK && j < a->nassign; j++) {
			rc = buf_addf(out, "%s%s=", j ? "; " : "", a->assign[j].name);
			if (rc == PROV_OK)
				rc = case_rule_text(out, a->assign[j].value, 1);
			if (rc == PROV_OK && j + 1 == a->nassign)
				rc = buf_addc(out, ']');
		}
		if (rc == PROV_OK && a->nopt > 0)
			rc = buf_adds(out, " opts=[");
		for (size_t j = 0; rc == PROV_OK && j < a->nopt; j++) {
			rc = buf_addf(out, "%s--%s", j ? " " : "",
				      case_rule_optname(a->opt[j].kind));
			if (rc == PROV_OK && a->opt[j].arg != NULL) {
				rc = buf_addc(out, ' ');
				if (rc == PROV_OK)
					rc = case_rule_text(out, a->opt[j].arg, 1);
			}
			if (rc == PROV_OK && j + 1 == a->nopt)
				rc = buf_addc(out, ']');
		}
		if (rc == PROV_OK && a->url != NULL) {
			rc = buf_adds(out, " url=[");
			if (rc == PROV_OK)
				rc = case_rule_text(out, a->url, 0);
			if (rc == PROV_OK)
				rc = buf_addc(out, ']');
		}
	}
	return rc;
}

static enum prov_err
case_rule_action(const struct rule_action *act, struct buf *out)
{
	const struct url *u = &act->url;
	enum prov_err rc = PROV_OK;

	for (size_t i = 0; rc == PROV_OK && i < act->nassign; i++)
		rc = buf_addf(out, "\nassign %s=%s", act->assign_name[i],
			      act->assign_value[i]);
	if (rc == PROV_OK && act->has_url) {
		rc = buf_addf(out, "\nurl=%s %s %u %s", url_scheme_name(u->scheme),
			      u->host[0] != '\0' ? u->host : "-", u->port, u->path);
		if (rc == PROV_OK && u->has_query)
			rc = buf_addf(out, " ?%s", u->query);
	}
	if (rc == PROV_OK && act->key != NULL)
		rc = buf_addf(out, "\nkey=%s", act->key);
	if (rc == PROV_OK && act->uid != NULL)
		rc = buf_addf(out, "\nuid=%s", act->uid);
	if (rc == PROV_OK && act->pwd != NULL)
		rc = buf_addf(out, "\npwd=%s", act->pwd);
	if (rc == PROV_OK && act->post != NULL)
		rc = buf_addf(out, "\npost=%s", act->post);
	if (rc == PROV_OK && act->alias != NULL)
		rc = buf_addf(out, "\nalias=%s", act->alias);
	if (rc == PROV_OK && act->delta)
		rc = buf_adds(out, "\ndelta");
	if (rc == PROV_OK && act->status)
		rc = buf_adds(out, "\nstatus");
	return rc;
}

int
case_run_rule(struct case_file *cf)
{
	const char *in;
	size_t len;
	unsigned flags;
	struct rule *r = NULL;
	const struct rule_alt *alt = NULL;
	struct rule_action act;
	struct diag d;
	struct buf out;
	enum prov_err rc;
	int fail;

	if ((in = case_section(cf, "input", &len)) == NULL)
		return case_fail(cf, "no @@ input section");
	if (case_rule_flags(cf, &flags) != 0)
		return 1;
	memset(&act, 0, sizeof(act));
	buf_init(&out, CASE_RULE_OUT);
	diag_init(&d);
	rc = rule_parse(in, len, flags, &r, &d);
	if (rc == PROV_OK)
		rc = case_rule_dump(r, &out) == PROV_OK ? PROV_OK :
		    diag_set(&d, PROV_E_TOOBIG, 0, 0, "dump too long");
	if (rc == PROV_OK && case_section(cf, "vars", NULL) != NULL) {
		const struct macro_vars *vars = case_vars(cf);

		rc = rule_select(r, vars, &alt, &d);
		if (rc == PROV_OK && alt == NULL && buf_adds(&out, "\nselect: none") != PROV_OK)
			rc = diag_set(&d, PROV_E_TOOBIG, 0, 0, "output too long");
		if (rc == PROV_OK && alt != NULL) {
			if (buf_addf(&out, "\nselect: %zu", (size_t)(alt - r->alt) + 1) != PROV_OK)
				rc = diag_set(&d, PROV_E_TOOBIG, 0, 0, "output too long");
			else
				rc = rule_action_build(alt, vars, &act, &d);
			if (rc == PROV_OK && case_rule_action(&act, &out) != PROV_OK)
				rc = diag_set(&d, PROV_E_TOOBIG, 0, 0, "output too long");
		}
	}
	fail = case_check(cf, rc, &d, 0, buf_str(&out), out.len);
	rule_action_fini(&act);
	rule_free(r);
	buf_free(&out);
	return fail;
}
