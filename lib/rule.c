/*
 * rule: parsing, selection and expansion of profile, upgrade and report
 * rules (device.md D-RUL-2, D-RUL-3, D-REP-1).
 *
 * Parsing is structural only: condition text, URL text and option
 * arguments are kept raw, so that a macro value can never change the shape
 * of a rule. Conditions are syntax-checked (cond_check) at parse time;
 * URLs are parsed only after expansion, when an alternative is taken.
 *
 * White space is space, tab, CR and LF (a profile may wrap a rule over
 * lines). A '#' outside double quotes ends the rule. Report rules
 * (RULE_REPORT) are one or two "[options] URL" items separated by white
 * space, each stored as an alternative without a condition; they take no
 * conditions, assignments or '|'.
 */
#include "rule.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cond.h"

struct rule_parser {
	const char *s;
	size_t len;
	size_t pos;
	unsigned flags;
	struct diag *d;
};

static const struct {
	const char *name;
	enum rule_opt_kind kind;
	int arg;         /* takes an argument */
	unsigned where;  /* 1: profile rules, 2: report rules, 3: both */
} rule_opts[] = {
	{ "key", RULE_OPT_KEY, 1, 3 },
	{ "uid", RULE_OPT_UID, 1, 1 },
	{ "pwd", RULE_OPT_PWD, 1, 1 },
	{ "post", RULE_OPT_POST, 1, 1 },
	{ "alias", RULE_OPT_ALIAS, 1, 1 },
	{ "delta", RULE_OPT_DELTA, 0, 2 },
	{ "status", RULE_OPT_STATUS, 0, 2 },
};

static int
rule_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
rule_is_namec(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static unsigned
rule_col(size_t pos)
{
	return (unsigned)(pos + 1);
}

static enum prov_err
rule_err(struct rule_parser *p, enum prov_err code, size_t pos, const char *msg)
{
	return diag_set(p->d, code, 1, rule_col(pos), "%s", msg);
}

/* End of the rule: the text is over or a comment starts. */
static int
rule_at_end(const struct rule_parser *p)
{
	return p->pos >= p->len || p->s[p->pos] == '#';
}

static void
rule_skip_ws(struct rule_parser *p)
{
	while (p->pos < p->len && rule_is_ws(p->s[p->pos]))
		p->pos++;
}

static char *
rule_strndup(const char *s, size_t n)
{
	char *r = malloc(n + 1);

	if (r != NULL) {
		memcpy(r, s, n);
		r[n] = '\0';
	}
	return r;
}

/* Wipes and frees a string that may hold a secret. */
static void
rule_free_secret(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* Makes room for one more element in arr, which holds n elements of size
 * bytes and has room for n rounded up to a power of two. Returns the array
 * (moved or not), or NULL when out of memory (arr is then unchanged). */
static void *
rule_grow(void *arr, size_t n, size_t size)
{
	if (n > 0 && (n & (n - 1)) != 0)
		return arr;
	return realloc(arr, (n == 0 ? 1 : n * 2) * size);
}

/* Skips a double-quoted string starting at s[i] == '"': returns the index
 * of the closing quote, or len if there is none. */
static size_t
rule_skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len && s[i] != '"'; i++)
		if (s[i] == '\\' && i + 1 < len)
			i++;
	return i;
}

/* Reads the double-quoted string at p->pos, decoding \" and \\ (any other
 * backslash stays as written). Sized exactly: no reallocation leaves a
 * copy of a secret behind. */
static enum prov_err
rule_string(struct rule_parser *p, char **out)
{
	size_t open = p->pos, close, n = 0;
	char *r;

	close = rule_skip_string(p->s, p->len, open);
	if (close >= p->len)
		return rule_err(p, PROV_E_SYNTAX, open, "unterminated string");
	r = malloc(close - open);
	if (r == NULL)
		return PROV_E_NOMEM;
	for (size_t i = open + 1; i < close; i++) {
		if (p->s[i] == '\\' && (p->s[i + 1] == '"' || p->s[i + 1] == '\\'))
			i++;
		r[n++] = p->s[i];
	}
	r[n] = '\0';
	p->pos = close + 1;
	*out = r;
	return PROV_OK;
}

/* Finds the ')' closing the '(' at p->pos, over nested parentheses and
 * quoted strings. */
static enum prov_err
rule_group_end(struct rule_parser *p, size_t *close)
{
	size_t depth = 0;

	for (size_t i = p->pos; i < p->len; i++) {
		char c = p->s[i];

		if (c == '"') {
			size_t q = rule_skip_string(p->s, p->len, i);

			if (q >= p->len)
				return rule_err(p, PROV_E_SYNTAX, i, "unterminated string");
			i = q;
		} else if (c == '#') {
			break;
		} else if (c == '(') {
			depth++;
		} else if (c == ')' && --depth == 0) {
			*close = i;
			return PROV_OK;
		}
	}
	return rule_err(p, PROV_E_SYNTAX, p->pos, "missing ')'");
}

/* The condition between s[open] == '(' and s[close] == ')'. */
static enum prov_err
rule_parse_cond(struct rule_parser *p, struct rule_alt *a, size_t open,
		size_t close)
{
	const char *c = p->s + open + 1;
	size_t n = close - open - 1, i;
	struct diag ld;
	enum prov_err rc;

	for (i = 0; i < n && rule_is_ws(c[i]); i++)
		;
	if (i == n)
		return rule_err(p, PROV_E_SYNTAX, open, "empty condition");
	diag_init(&ld);
	rc = cond_check(c, n, &ld);
	if (rc != PROV_OK)
		return diag_set(p->d, rc, 1, ld.col > 0 ? rule_col(open) + ld.col : rule_col(open),
				"%s", ld.msg);
	a->cond = rule_strndup(c, n);
	if (a->cond == NULL)
		return PROV_E_NOMEM;
	a->cond_col = rule_col(open + 1);
	return PROV_OK;
}

/* One assignment "name = "value"" at p->pos, before the group's end. */
static enum prov_err
rule_parse_assign(struct rule_parser *p, struct rule_alt *a)
{
	struct rule_assign *as;
	size_t start = p->pos, n;

	while (p->pos < p->len && rule_is_namec(p->s[p->pos]))
		p->pos++;
	n = p->pos - start;
	if (n == 0)
		return rule_err(p, PROV_E_SYNTAX, p->pos, "expected a parameter name");
	if (n > BOUND_NAME_LEN)
		return rule_err(p, PROV_E_SYNTAX, start, "parameter name too long");
	if (a->nassign == BOUND_RULE_ASSIGNS)
		return diag_set(p->d, PROV_E_TOOBIG, 1, rule_col(start),
				"more than %u assignments", BOUND_RULE_ASSIGNS);
	rule_skip_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != '=')
		return rule_err(p, PROV_E_SYNTAX, p->pos, "expected '='");
	p->pos++;
	rule_skip_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != '"')
		return rule_err(p, PROV_E_SYNTAX, p->pos, "value must be double-quoted");
	if ((as = rule_grow(a->assign, a->nassign, sizeof(*a->assign))) == NULL)
		return PROV_E_NOMEM;
	a->assign = as;
	as = &a->assign[a->nassign];
	memset(as, 0, sizeof(*as));
	as->col = rule_col(start);
	if (n == 1 && p->s[start] >= 'a' && p->s[start] <= 'p') {
		as->name = rule_strndup("GPP_A", 5);
		if (as->name != NULL)
			as->name[4] = (char)(p->s[start] - 'a' + 'A');
	} else {
		as->name = rule_strndup(p->s + start, n);
	}
	if (as->name == NULL)
		return PROV_E_NOMEM;
	a->nassign++; /* owned by the alternative from here on */
	return rule_string(p, &as->value);
}

/* The assignments between s[open] == '(' and s[close] == ')'. */
static enum prov_err
rule_parse_assigns(struct rule_parser *p, struct rule_alt *a, size_t open,
		   size_t close)
{
	size_t len = p->len;
	enum prov_err rc = PROV_OK;

	p->len = close; /* nothing of the group may run past ')' */
	p->pos = open + 1;
	for (;;) {
		rule_skip_ws(p);
		if (p->pos == close) {
			if (a->nassign == 0)
				rc = rule_err(p, PROV_E_SYNTAX, open, "empty assignment list");
			break;
		}
		if ((rc = rule_parse_assign(p, a)) != PROV_OK)
			break;
		rule_skip_ws(p);
		if (p->pos == close)
			break;
		if (p->s[p->pos] != ';') {
			rc = rule_err(p, PROV_E_SYNTAX, p->pos, "expected ';' or ')'");
			break;
		}
		p->pos++;
	}
	p->len = len;
	return rc;
}

/* A '(' group at p->pos: a condition when ')' is followed by '?',
 * assignments when by '!'. Leaves p->pos after the '?' or '!'. */
static enum prov_err
rule_group(struct rule_parser *p, struct rule_alt *a)
{
	size_t open = p->pos, close = 0;
	enum prov_err rc;

	if ((rc = rule_group_end(p, &close)) != PROV_OK)
		return rc;
	p->pos = close + 1;
	rule_skip_ws(p);
	if (p->pos >= p->len || (p->s[p->pos] != '?' && p->s[p->pos] != '!'))
		return rule_err(p, PROV_E_SYNTAX, p->pos, "expected '?' or '!' after ')'");
	if (p->s[p->pos] == '?') {
		if (a->cond != NULL)
			return rule_err(p, PROV_E_SYNTAX, open, "a second condition");
		if (a->nassign > 0)
			return rule_err(p, PROV_E_SYNTAX, open,
					"the condition must come before the assignments");
		rc = rule_parse_cond(p, a, open, close);
	} else {
		if (a->nassign > 0)
			return rule_err(p, PROV_E_SYNTAX, open, "a second assignment list");
		rc = rule_parse_assigns(p, a, open, close);
	}
	p->pos = close + 1;
	rule_skip_ws(p);
	p->pos++; /* '?' or '!' */
	return rc;
}

/* The argument of an option at p->pos: a quoted string or a bare word up
 * to white space, ']' or '#'. */
static enum prov_err
rule_opt_arg(struct rule_parser *p, const char *name, unsigned col, char **out)
{
	size_t start = p->pos;
	enum prov_err rc;

	if (p->pos < p->len && p->s[p->pos] == '"') {
		if ((rc = rule_string(p, out)) != PROV_OK)
			return rc;
		if (p->pos < p->len && !rule_is_ws(p->s[p->pos]) && p->s[p->pos] != ']')
			return rule_err(p, PROV_E_SYNTAX, p->pos,
					"expected white space or ']' after string");
		return PROV_OK;
	}
	while (p->pos < p->len && !rule_is_ws(p->s[p->pos]) &&
	    p->s[p->pos] != ']' && p->s[p->pos] != '#')
		p->pos++;
	if (p->pos == start || (p->pos - start >= 2 && p->s[start] == '-' &&
	    p->s[start + 1] == '-'))
		return diag_set(p->d, PROV_E_SYNTAX, 1, col,
				"option --%s needs an argument", name);
	*out = rule_strndup(p->s + start, p->pos - start);
	return *out != NULL ? PROV_OK : PROV_E_NOMEM;
}

/* One option at p->pos ("--name [arg]"). */
static enum prov_err
rule_parse_opt(struct rule_parser *p, struct rule_alt *a)
{
	size_t start = p->pos, n, k;
	unsigned where = p->flags & RULE_REPORT ? 2 : 1;
	struct rule_opt *o;
	enum prov_err rc;

	if (p->len - p->pos < 2 || p->s[p->pos] != '-' || p->s[p->pos + 1] != '-')
		return rule_err(p, PROV_E_SYNTAX, p->pos, "expected an option or ']'");
	p->pos += 2;
	while (p->pos < p->len && !rule_is_ws(p->s[p->pos]) &&
	    p->s[p->pos] != ']' && p->s[p->pos] != '#' && p->s[p->pos] != '"')
		p->pos++;
	n = p->pos - start - 2;
	for (k = 0; k < sizeof(rule_opts) / sizeof(rule_opts[0]); k++)
		if (strlen(rule_opts[k].name) == n &&
		    memcmp(rule_opts[k].name, p->s + start + 2, n) == 0 &&
		    (rule_opts[k].where & where))
			break;
	if (k == sizeof(rule_opts) / sizeof(rule_opts[0]))
		return diag_set(p->d, PROV_E_SYNTAX, 1, rule_col(start),
				"unknown option '--%.*s'", (int)(n > 32 ? 32 : n),
				p->s + start + 2);
	if (a->nopt == BOUND_RULE_OPTIONS)
		return diag_set(p->d, PROV_E_TOOBIG, 1, rule_col(start),
				"more than %u options", BOUND_RULE_OPTIONS);
	if ((o = rule_grow(a->opt, a->nopt, sizeof(*a->opt))) == NULL)
		return PROV_E_NOMEM;
	a->opt = o;
	o = &a->opt[a->nopt];
	memset(o, 0, sizeof(*o));
	o->kind = rule_opts[k].kind;
	o->col = rule_col(start);
	a->nopt++;
	if (!rule_opts[k].arg) {
		enum rule_opt_kind other = o->kind == RULE_OPT_DELTA ?
		    RULE_OPT_STATUS : RULE_OPT_DELTA;

		for (size_t i = 0; i + 1 < a->nopt; i++)
			if (a->opt[i].kind == other)
				return rule_err(p, PROV_E_SYNTAX, start,
						"--delta and --status exclude each other");
		return PROV_OK;
	}
	rule_skip_ws(p);
	if ((rc = rule_opt_arg(p, rule_opts[k].name, o->col, &o->arg)) != PROV_OK)
		return rc;
	if (o->kind == RULE_OPT_POST || o->kind == RULE_OPT_ALIAS) {
		char c = o->arg[0];

		if (!((c >= 'a' && c <= 'p') || (c >= 'A' && c <= 'P')) || o->arg[1] != '\0')
			return diag_set(p->d, PROV_E_SYNTAX, 1, o->col,
					"--%s needs a GPP letter a..p", rule_opts[k].name);
		if (c >= 'a')
			o->arg[0] = (char)(c - 'a' + 'A');
	}
	return PROV_OK;
}

/* An option bracket at p->pos ('['). */
static enum prov_err
rule_parse_opts(struct rule_parser *p, struct rule_alt *a)
{
	size_t open = p->pos;
	enum prov_err rc;

	if (p->flags & RULE_NO_OPTIONS)
		return rule_err(p, PROV_E_SYNTAX, open, "options are not allowed in this rule");
	p->pos++;
	for (;;) {
		rule_skip_ws(p);
		if (rule_at_end(p))
			return rule_err(p, PROV_E_SYNTAX, open, "missing ']'");
		if (p->s[p->pos] == ']') {
			p->pos++;
			return PROV_OK;
		}
		if ((rc = rule_parse_opt(p, a)) != PROV_OK)
			return rc;
	}
}

/* One alternative from p->pos up to (not including) '|', the end or a
 * comment. */
static enum prov_err
rule_parse_alt(struct rule_parser *p, struct rule_alt *a)
{
	size_t start;
	int opts = 0;
	enum prov_err rc;

	rule_skip_ws(p);
	while (!rule_at_end(p) && p->s[p->pos] == '(') {
		if (p->flags & RULE_REPORT)
			return rule_err(p, PROV_E_SYNTAX, p->pos,
					"report rules take no conditions or assignments");
		if ((rc = rule_group(p, a)) != PROV_OK)
			return rc;
		rule_skip_ws(p);
	}
	while (!rule_at_end(p) && p->s[p->pos] == '[') {
		if ((rc = rule_parse_opts(p, a)) != PROV_OK)
			return rc;
		opts = 1;
		rule_skip_ws(p);
	}
	start = p->pos;
	while (p->pos < p->len && !rule_is_ws(p->s[p->pos]) &&
	    p->s[p->pos] != '|' && p->s[p->pos] != '#')
		p->pos++;
	if (p->pos == start) {
		if (opts)
			return rule_err(p, PROV_E_SYNTAX, start, "expected a URL after the options");
		return PROV_OK;
	}
	a->url = rule_strndup(p->s + start, p->pos - start);
	if (a->url == NULL)
		return PROV_E_NOMEM;
	a->url_col = rule_col(start);
	return PROV_OK;
}

/* Adds an empty alternative to r. */
static enum prov_err
rule_new_alt(struct rule_parser *p, struct rule *r, struct rule_alt **a)
{
	if (r->nalt == BOUND_RULE_ALTS)
		return diag_set(p->d, PROV_E_TOOBIG, 1, rule_col(p->pos),
				"more than %u alternatives", BOUND_RULE_ALTS);
	if ((*a = rule_grow(r->alt, r->nalt, sizeof(*r->alt))) == NULL)
		return PROV_E_NOMEM;
	r->alt = *a;
	*a = &r->alt[r->nalt++];
	memset(*a, 0, sizeof(**a));
	return PROV_OK;
}

static enum prov_err
rule_parse_report(struct rule_parser *p, struct rule *r)
{
	struct rule_alt *a;
	enum prov_err rc;

	while (!rule_at_end(p)) {
		if (p->s[p->pos] == '|')
			return rule_err(p, PROV_E_SYNTAX, p->pos,
					"report rules have no alternatives");
		if (r->nalt == 2)
			return rule_err(p, PROV_E_SYNTAX, p->pos,
					"a report rule has at most two URLs");
		if ((rc = rule_new_alt(p, r, &a)) != PROV_OK)
			return rc;
		if ((rc = rule_parse_alt(p, a)) != PROV_OK)
			return rc;
		rule_skip_ws(p);
	}
	return PROV_OK;
}

static enum prov_err
rule_parse_alts(struct rule_parser *p, struct rule *r)
{
	struct rule_alt *a;
	size_t start;
	enum prov_err rc;

	for (;;) {
		start = p->pos;
		if ((rc = rule_new_alt(p, r, &a)) != PROV_OK)
			return rc;
		if ((rc = rule_parse_alt(p, a)) != PROV_OK)
			return rc;
		if (a->cond == NULL && a->nassign == 0 && a->url == NULL)
			return rule_err(p, PROV_E_SYNTAX, start, "empty alternative");
		rule_skip_ws(p);
		if (rule_at_end(p))
			return PROV_OK;
		if (p->s[p->pos] != '|')
			return rule_err(p, PROV_E_SYNTAX, p->pos, "expected '|' or the end of the rule");
		if (a->cond == NULL)
			return rule_err(p, PROV_E_SYNTAX, start,
					"only the last alternative may omit its condition");
		p->pos++;
		rule_skip_ws(p);
	}
}

enum prov_err
rule_parse(const char *text, size_t len, unsigned flags, struct rule **out,
	   struct diag *d)
{
	struct rule_parser p;
	struct rule *r;
	const char *nul;
	enum prov_err rc;

	*out = NULL;
	if (len > BOUND_RULE_TEXT)
		return diag_set(d, PROV_E_TOOBIG, 1, BOUND_RULE_TEXT + 1,
				"rule longer than %u bytes", BOUND_RULE_TEXT);
	if (len > 0 && (nul = memchr(text, '\0', len)) != NULL)
		return diag_set(d, PROV_E_SYNTAX, 1, rule_col((size_t)(nul - text)),
				"NUL byte in rule");
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return PROV_E_NOMEM;
	p.s = text;
	p.len = len;
	p.pos = 0;
	p.flags = flags;
	p.d = d;
	rule_skip_ws(&p);
	if (rule_at_end(&p))
		rc = PROV_OK;
	else if (flags & RULE_REPORT)
		rc = rule_parse_report(&p, r);
	else
		rc = rule_parse_alts(&p, r);
	if (rc != PROV_OK) {
		if (rc == PROV_E_NOMEM)
			diag_set(d, rc, 0, 0, "out of memory");
		rule_free(r);
		return rc;
	}
	*out = r;
	return PROV_OK;
}

void
rule_free(struct rule *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nalt; i++) {
		struct rule_alt *a = &r->alt[i];

		free(a->cond);
		for (size_t j = 0; j < a->nassign; j++) {
			free(a->assign[j].name);
			free(a->assign[j].value);
		}
		free(a->assign);
		for (size_t j = 0; j < a->nopt; j++)
			rule_free_secret(a->opt[j].arg);
		free(a->opt);
		free(a->url);
	}
	free(r->alt);
	free(r);
}

enum prov_err
rule_select(const struct rule *r, const struct macro_vars *vars,
	    const struct rule_alt **alt, struct diag *d)
{
	struct diag ld;
	enum prov_err rc;
	int res;

	*alt = NULL;
	for (size_t i = 0; i < r->nalt; i++) {
		const struct rule_alt *a = &r->alt[i];

		if (a->cond == NULL) {
			*alt = a;
			return PROV_OK;
		}
		diag_init(&ld);
		res = 0;
		rc = cond_eval(a->cond, strlen(a->cond), vars, &res, &ld);
		if (rc != PROV_OK)
			return diag_set(d, rc, 1,
					ld.col > 0 ? a->cond_col + ld.col - 1 : a->cond_col,
					"%s", ld.msg);
		if (res) {
			*alt = a;
			return PROV_OK;
		}
	}
	return PROV_OK;
}

/* Expands raw into a fresh string in *out. col: where raw starts, for
 * messages (exact when colexact, else the column of the whole item). */
static enum prov_err
rule_expand(const char *raw, const struct macro_vars *vars, unsigned flags,
	    size_t max, unsigned col, int colexact, char **out, struct diag *d)
{
	static const char zero[RULE_SECRET_RESERVE];
	struct buf b;
	struct diag ld;
	enum prov_err rc;

	*out = NULL;
	buf_init(&b, max);
	if (flags & MACRO_SECRETS) {
		if ((rc = buf_add(&b, zero, sizeof(zero))) != PROV_OK)
			goto out;
		buf_reset(&b);
	}
	diag_init(&ld);
	rc = macro_expand(raw, strlen(raw), vars, flags, &b, &ld);
	if (rc == PROV_E_TOOBIG)
		diag_set(d, rc, 1, col, "longer than %zu bytes after expansion", max);
	else if (rc != PROV_OK)
		diag_set(d, rc, 1, colexact && ld.col > 0 ? col + ld.col - 1 : col,
			 "%s", ld.msg);
	if (rc != PROV_OK)
		goto out;
	*out = buf_take(&b);
	if (*out == NULL)
		rc = PROV_E_NOMEM;
out:
	if (b.p != NULL)
		OPENSSL_cleanse(b.p, b.alloc);
	buf_free(&b);
	return rc;
}

static int
rule_is_space(char c)
{
	return rule_is_ws(c) || c == '\f' || c == '\v';
}

static enum prov_err
rule_action_url(const struct rule_alt *alt, const struct macro_vars *vars,
		struct rule_action *act, struct diag *d)
{
	char *x = NULL;
	size_t s = 0, e;
	struct diag ld;
	enum prov_err rc;

	rc = rule_expand(alt->url, vars, 0, BOUND_URL_TEXT, alt->url_col, 1, &x, d);
	if (rc != PROV_OK)
		return rc;
	e = strlen(x);
	while (s < e && rule_is_space(x[s]))
		s++;
	while (e > s && rule_is_space(x[e - 1]))
		e--;
	memcpy(act->url_text, x + s, e - s);
	act->url_text[e - s] = '\0';
	act->has_url = 1;
	diag_init(&ld);
	rc = url_parse(act->url_text, e - s, &act->url, &ld);
	if (rc != PROV_OK) {
		/* Columns are exact when expansion changed nothing. */
		int same = strcmp(x, alt->url) == 0;

		diag_set(d, rc, 1, same && ld.col > 0 ? alt->url_col + ld.col - 1 :
			 alt->url_col, "%s", ld.msg);
	}
	free(x);
	return rc;
}

enum prov_err
rule_action_build(const struct rule_alt *alt, const struct macro_vars *vars,
		  struct rule_action *act, struct diag *d)
{
	enum prov_err rc = PROV_OK;

	memset(act, 0, sizeof(*act));
	if (alt->url != NULL && (rc = rule_action_url(alt, vars, act, d)) != PROV_OK)
		goto out;
	for (size_t i = 0; i < alt->nopt; i++) {
		const struct rule_opt *o = &alt->opt[i];
		char **dst = NULL;

		switch (o->kind) {
		case RULE_OPT_KEY: dst = &act->key; break;
		case RULE_OPT_UID: dst = &act->uid; break;
		case RULE_OPT_PWD: dst = &act->pwd; break;
		case RULE_OPT_POST: dst = &act->post; break;
		case RULE_OPT_ALIAS: dst = &act->alias; break;
		case RULE_OPT_DELTA: act->delta = 1; break;
		case RULE_OPT_STATUS: act->status = 1; break;
		}
		if (dst == NULL || o->arg == NULL)
			continue;
		rule_free_secret(*dst); /* a later duplicate wins */
		*dst = NULL;
		if (o->kind == RULE_OPT_POST || o->kind == RULE_OPT_ALIAS) {
			if ((*dst = rule_strndup(o->arg, strlen(o->arg))) == NULL)
				rc = PROV_E_NOMEM;
		} else {
			rc = rule_expand(o->arg, vars, MACRO_SECRETS, BOUND_MACRO_OUT,
					 o->col, 0, dst, d);
		}
		if (rc != PROV_OK)
			goto out;
	}
	if (alt->nassign > 0) {
		act->assign_name = calloc(alt->nassign, sizeof(char *));
		act->assign_value = calloc(alt->nassign, sizeof(char *));
		if (act->assign_name == NULL || act->assign_value == NULL) {
			rc = PROV_E_NOMEM;
			goto out;
		}
		act->nassign = alt->nassign;
		for (size_t i = 0; i < alt->nassign; i++) {
			const struct rule_assign *as = &alt->assign[i];

			act->assign_name[i] = rule_strndup(as->name, strlen(as->name));
			if (act->assign_name[i] == NULL) {
				rc = PROV_E_NOMEM;
				goto out;
			}
			rc = rule_expand(as->value, vars, 0, BOUND_VALUE_LEN, as->col, 0,
					 &act->assign_value[i], d);
			if (rc != PROV_OK)
				goto out;
		}
	}
out:
	if (rc == PROV_E_NOMEM)
		diag_set(d, rc, 0, 0, "out of memory");
	if (rc != PROV_OK)
		rule_action_fini(act);
	return rc;
}

void
rule_action_fini(struct rule_action *act)
{
	rule_free_secret(act->key);
	rule_free_secret(act->uid);
	rule_free_secret(act->pwd);
	free(act->post);
	free(act->alias);
	for (size_t i = 0; i < act->nassign; i++) {
		if (act->assign_name != NULL)
			free(act->assign_name[i]);
		if (act->assign_value != NULL)
			free(act->assign_value[i]);
	}
	free(act->assign_name);
	free(act->assign_value);
	memset(act, 0, sizeof(*act));
}
