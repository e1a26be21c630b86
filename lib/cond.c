/*
 * cond: conditions of rules and resync triggers (device.md D-CND-1..3);
 * the grammar and the comparison rules are in cond.h.
 *
 * A condition is parsed whole before anything is expanded, and each operand
 * is expanded on its own afterwards, so a value can change neither the shape
 * of the condition nor where it fails. Every comparison is evaluated (there
 * are no side effects to skip); the result is their AND.
 *
 * Tokens. White space (space, tab, CR, LF, VT, FF) separates tokens. A
 * condition is one line: d->line is 1 and d->col counts bytes from 1.
 *  - An operator is one of the words eq ne lt le gt ge (or EQ ... GE), or
 *    a run of the characters = ! < > that must be = == != < <= > >=. The
 *    symbolic ones need no white space around them: $A>=3.
 *  - A quoted operand is "..." with the escapes \" and \\; any other
 *    backslash stands for itself.
 *  - A bare operand is a run of bytes other than white space, '"', = ! < >
 *    and parentheses, except that a '(' inside the operand opens a group
 *    that the next ')' closes: $(NAME:p:q) and versions such as 1.0.31(b)
 *    are single operands. An operand never starts with a parenthesis
 *    (there is no grouping in conditions).
 *  - Macro syntax errors inside an operand ("$(A:x)") are syntax errors of
 *    the condition, found by cond_check as well, at the column of the '$'.
 *
 * Values. After expansion (into a buffer capped at BOUND_MACRO_OUT): if an
 * operand was quoted the comparison is of byte strings (eq and ne only,
 * which the parser enforces); else if both are integers (an optional sign
 * and 1..COND_INT_DIGITS digits) they compare as int64; else as versions.
 * Integers longer than that compare as versions, which for unsigned
 * numbers gives the same order.
 *
 * Versions (cond_version_cmp, D-CND-2):
 *  - a trailing ".loads" is dropped; then if the text starts with a letter
 *    and contains a '.', everything up to and including the first '.' is
 *    dropped: "sip78xx.14-1-1MN-366.loads" is "14-1-1MN-366";
 *  - fields are split at '.', '-', '(' and ')'; empty fields are skipped;
 *  - fields compare left to right: first by their leading numbers (any
 *    length, leading zeros ignored; a field without leading digits sorts
 *    before any field with them), then by the rest as bytes, an empty rest
 *    first: 3 < 3MPP < 3MSR1 < 4, and "" sorts before any field;
 *  - when all shared fields are equal, more fields is greater:
 *    1.0.31 < 1.0.31(a) < 1.0.31(b), 11-3-1MPP-123 < 11-3-2MPP,
 *    11-2-3MPP < 11-2-3MSR1-1; "" is less than any version with a field.
 */
#include "cond.h"

#include <stdint.h>
#include <string.h>

#include "bounds.h"

enum cond_op { COND_EQ, COND_NE, COND_LT, COND_LE, COND_GT, COND_GE };

static const struct {
	const char *name;
	enum cond_op op;
} cond_ops[] = {
	{ "eq", COND_EQ }, { "EQ", COND_EQ }, { "=", COND_EQ }, { "==", COND_EQ },
	{ "ne", COND_NE }, { "NE", COND_NE }, { "!=", COND_NE },
	{ "lt", COND_LT }, { "LT", COND_LT }, { "<", COND_LT },
	{ "le", COND_LE }, { "LE", COND_LE }, { "<=", COND_LE },
	{ "gt", COND_GT }, { "GT", COND_GT }, { ">", COND_GT },
	{ "ge", COND_GE }, { "GE", COND_GE }, { ">=", COND_GE },
};

enum cond_kind { COND_END, COND_WORD, COND_QUOTED, COND_SYMBOL, COND_PAREN };

/* An operand as written: text[off..off+len), quotes included. */
struct cond_operand {
	size_t off, len;
	int quoted;
};

struct cond_term {
	struct cond_operand lhs, rhs;
	size_t opoff, oplen; /* the operator as written */
	enum cond_op op;
};

struct cond_parse {
	const char *text;
	size_t len;
	size_t pos;
	struct cond_term term[BOUND_COND_TERMS];
	size_t nterm;
	struct diag *d;
};

static int
cond_isspace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

static int
cond_isopchar(char c)
{
	return c == '=' || c == '!' || c == '<' || c == '>';
}

static int
cond_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* The 1-based column of text[off]; conditions are at most BOUND_COND_TEXT. */
static unsigned
cond_col(size_t off)
{
	return (unsigned)off + 1;
}

/* How much of an n-byte token a message shows. */
static int
cond_show(size_t n)
{
	return n > COND_SHOW ? COND_SHOW : (int)n;
}

static void
cond_skipws(struct cond_parse *cp)
{
	while (cp->pos < cp->len && cond_isspace(cp->text[cp->pos]))
		cp->pos++;
}

/* Classifies the token at cp->pos; *n is its length. */
static enum prov_err PROV_WUR
cond_token(struct cond_parse *cp, enum cond_kind *kind, size_t *n)
{
	const char *t = cp->text;
	size_t i = cp->pos, j, depth = 0;

	*n = 0;
	if (i == cp->len) {
		*kind = COND_END;
		return PROV_OK;
	}
	if (t[i] == '"') {
		for (j = i + 1; j < cp->len; j++) {
			if (t[j] == '\\' && j + 1 < cp->len &&
			    (t[j + 1] == '"' || t[j + 1] == '\\')) {
				j++;
			} else if (t[j] == '"') {
				*kind = COND_QUOTED;
				*n = j + 1 - i;
				return PROV_OK;
			}
		}
		return diag_set(cp->d, PROV_E_SYNTAX, 1, cond_col(i),
				"unterminated string");
	}
	if (cond_isopchar(t[i])) {
		for (j = i; j < cp->len && cond_isopchar(t[j]); j++)
			;
		*kind = COND_SYMBOL;
		*n = j - i;
		return PROV_OK;
	}
	if (t[i] == '(' || t[i] == ')') {
		*kind = COND_PAREN;
		*n = 1;
		return PROV_OK;
	}
	for (j = i; j < cp->len; j++) {
		if (cond_isspace(t[j]) || t[j] == '"' || cond_isopchar(t[j]))
			break;
		if (t[j] == '(') {
			depth++;
		} else if (t[j] == ')') {
			if (depth == 0)
				break;
			depth--;
		}
	}
	*kind = COND_WORD;
	*n = j - i;
	return PROV_OK;
}

/* Parses an operand at cp->pos. prev[0..prevlen) is the token before it
 * (the operator, or `and`); first says whether it starts a comparison. */
static enum prov_err PROV_WUR
cond_operand(struct cond_parse *cp, struct cond_operand *o, int first,
	     const char *prev, size_t prevlen)
{
	const char *t = cp->text;
	enum cond_kind kind;
	size_t n;
	enum prov_err rc;

	cond_skipws(cp);
	if ((rc = cond_token(cp, &kind, &n)) != PROV_OK)
		return rc;
	switch (kind) {
	case COND_END:
		if (first && cp->nterm == 0)
			return diag_set(cp->d, PROV_E_SYNTAX, 1, 1, "empty condition");
		return diag_set(cp->d, PROV_E_SYNTAX, 1, cond_col(cp->len),
				first ? "expected a comparison after '%.*s'" :
				"expected an operand after '%.*s'",
				cond_show(prevlen), prev);
	case COND_SYMBOL:
		return diag_set(cp->d, PROV_E_SYNTAX, 1, cond_col(cp->pos),
				"expected an operand before '%.*s'",
				cond_show(n), t + cp->pos);
	case COND_PAREN:
		return diag_set(cp->d, PROV_E_SYNTAX, 1, cond_col(cp->pos),
				"unexpected '%c'", t[cp->pos]);
	case COND_WORD:
	case COND_QUOTED:
		break;
	}
	o->off = cp->pos;
	o->len = n;
	o->quoted = kind == COND_QUOTED;
	cp->pos += n;
	return PROV_OK;
}

/* Parses the operator after tm->lhs. */
static enum prov_err PROV_WUR
cond_operator(struct cond_parse *cp, struct cond_term *tm)
{
	const char *t = cp->text;
	enum cond_kind kind;
	size_t n;
	enum prov_err rc;

	cond_skipws(cp);
	if ((rc = cond_token(cp, &kind, &n)) != PROV_OK)
		return rc;
	switch (kind) {
	case COND_END:
	case COND_QUOTED:
		return diag_set(cp->d, PROV_E_SYNTAX, 1, cond_col(cp->pos),
				"expected an operator after '%.*s'",
				cond_show(tm->lhs.len), t + tm->lhs.off);
	case COND_PAREN:
		return diag_set(cp->d, PROV_E_SYNTAX, 1, cond_col(cp->pos),
				"unexpected '%c'", t[cp->pos]);
	case COND_WORD:
	case COND_SYMBOL:
		break;
	}
	for (size_t i = 0; i < sizeof(cond_ops) / sizeof(cond_ops[0]); i++) {
		if (strlen(cond_ops[i].name) == n &&
		    memcmp(cond_ops[i].name, t + cp->pos, n) == 0) {
			tm->op = cond_ops[i].op;
			tm->opoff = cp->pos;
			tm->oplen = n;
			cp->pos += n;
			return PROV_OK;
		}
	}
	return diag_set(cp->d, PROV_E_SYNTAX, 1, cond_col(cp->pos),
			"unknown operator '%.*s'", cond_show(n), t + cp->pos);
}

/* Parses the whole condition into cp->term. */
static enum prov_err PROV_WUR
cond_parse(struct cond_parse *cp)
{
	const char *t = cp->text;
	const char *and = NULL;
	size_t andlen = 0, n;
	enum cond_kind kind;
	enum prov_err rc;

	if (cp->len > BOUND_COND_TEXT)
		return diag_set(cp->d, PROV_E_TOOBIG, 1, cond_col(BOUND_COND_TEXT),
				"condition longer than %u bytes", BOUND_COND_TEXT);
	for (;;) {
		struct cond_term tm;

		if ((rc = cond_operand(cp, &tm.lhs, 1, and, andlen)) != PROV_OK)
			return rc;
		if (cp->nterm == BOUND_COND_TERMS)
			return diag_set(cp->d, PROV_E_TOOBIG, 1, cond_col(tm.lhs.off),
					"more than %u comparisons", BOUND_COND_TERMS);
		if ((rc = cond_operator(cp, &tm)) != PROV_OK)
			return rc;
		if ((rc = cond_operand(cp, &tm.rhs, 0, t + tm.opoff,
				       tm.oplen)) != PROV_OK)
			return rc;
		if ((tm.lhs.quoted || tm.rhs.quoted) &&
		    tm.op != COND_EQ && tm.op != COND_NE)
			return diag_set(cp->d, PROV_E_SYNTAX, 1, cond_col(tm.opoff),
					"operator '%.*s' needs numbers or versions, not strings",
					(int)tm.oplen, t + tm.opoff);
		cp->term[cp->nterm++] = tm;

		cond_skipws(cp);
		if ((rc = cond_token(cp, &kind, &n)) != PROV_OK)
			return rc;
		if (kind == COND_END)
			return PROV_OK;
		if (kind == COND_PAREN)
			return diag_set(cp->d, PROV_E_SYNTAX, 1, cond_col(cp->pos),
					"unexpected '%c'", t[cp->pos]);
		if (kind != COND_WORD || n != 3 ||
		    (memcmp(t + cp->pos, "and", 3) != 0 &&
		     memcmp(t + cp->pos, "AND", 3) != 0))
			return diag_set(cp->d, PROV_E_SYNTAX, 1, cond_col(cp->pos),
					"expected 'and' after a comparison, found '%.*s'",
					cond_show(n), t + cp->pos);
		and = t + cp->pos;
		andlen = n;
		cp->pos += n;
	}
}

/* Removes the escapes of the quoted text p[0..n) into out. */
static enum prov_err PROV_WUR
cond_unescape(const char *p, size_t n, struct buf *out)
{
	enum prov_err rc = PROV_OK;

	for (size_t k = 0; k < n && rc == PROV_OK; k++) {
		if (p[k] == '\\' && k + 1 < n && (p[k + 1] == '"' || p[k + 1] == '\\'))
			k++;
		rc = buf_addc(out, p[k]);
	}
	return rc;
}

/* The offset in the quoted text p[0..n) of byte u of its unescaped form. */
static size_t
cond_rawoff(const char *p, size_t n, size_t u)
{
	size_t k = 0;

	for (; k < n && u > 0; k++, u--) {
		if (p[k] == '\\' && k + 1 < n && (p[k + 1] == '"' || p[k + 1] == '\\'))
			k++;
	}
	return k;
}

/* The offset in s[0..n) of (line, col), both 1-based. */
static size_t
cond_lineoff(const char *s, size_t n, unsigned line, unsigned col)
{
	size_t k = 0;

	for (; k < n && line > 1; k++) {
		if (s[k] == '\n')
			line--;
	}
	if (col > 0)
		k += col - 1;
	return k < n ? k : n;
}

/* Expands operand o into out; on failure the diag points into the
 * condition. raw is scratch space for the unescaped quoted text. */
static enum prov_err PROV_WUR
cond_expand(const struct cond_parse *cp, const struct cond_operand *o,
	    const struct macro_vars *vars, struct buf *raw, struct buf *out)
{
	const char *p = cp->text + o->off, *src = p;
	size_t n = o->len, srclen = n, off = 0;
	struct diag md;
	enum prov_err rc;

	buf_reset(out);
	if (o->quoted) {
		p++;
		n -= 2;
		buf_reset(raw);
		if ((rc = cond_unescape(p, n, raw)) != PROV_OK)
			return diag_set(cp->d, rc, 1, cond_col(o->off), "%s",
					prov_strerror(rc));
		src = buf_str(raw);
		srclen = raw->len;
	}
	diag_init(&md);
	rc = macro_expand(src, srclen, vars, 0, out, &md);
	if (rc == PROV_OK)
		return PROV_OK;
	if (md.line > 0)
		off = cond_lineoff(src, srclen, md.line, md.col);
	if (o->quoted)
		off = 1 + cond_rawoff(p, n, off);
	return diag_set(cp->d, rc, 1, cond_col(o->off + off), "%s", md.msg);
}

/* 1 if s[0..n) is an integer of at most COND_INT_DIGITS digits. */
static int
cond_int(const char *s, size_t n, int64_t *v)
{
	size_t i = 0;
	int64_t x = 0;

	if (n > 0 && (s[0] == '-' || s[0] == '+'))
		i = 1;
	if (n == i || n - i > COND_INT_DIGITS)
		return 0;
	for (size_t k = i; k < n; k++) {
		if (!cond_isdigit(s[k]))
			return 0;
		x = x * 10 + (s[k] - '0');
	}
	*v = s[0] == '-' ? -x : x;
	return 1;
}

static int
cond_sign(int c)
{
	return (c > 0) - (c < 0);
}

/* <0, 0, >0 for the expanded operands of tm. */
static int
cond_cmp(const struct cond_term *tm, const struct buf *a, const struct buf *b)
{
	int64_t x, y;

	if (tm->lhs.quoted || tm->rhs.quoted)
		return !(a->len == b->len && memcmp(buf_str(a), buf_str(b), a->len) == 0);
	if (cond_int(buf_str(a), a->len, &x) && cond_int(buf_str(b), b->len, &y))
		return (x > y) - (x < y);
	return cond_version_cmp(buf_str(a), a->len, buf_str(b), b->len);
}

static int
cond_holds(enum cond_op op, int c)
{
	switch (op) {
	case COND_EQ: return c == 0;
	case COND_NE: return c != 0;
	case COND_LT: return c < 0;
	case COND_LE: return c <= 0;
	case COND_GT: return c > 0;
	case COND_GE: return c >= 0;
	}
	return 0;
}

/* Parses, then expands every operand; with result, also evaluates. */
static enum prov_err PROV_WUR
cond_run(const char *text, size_t len, const struct macro_vars *vars,
	 int *result, struct diag *d)
{
	struct cond_parse cp;
	struct buf raw, a, b;
	int all = 1;
	enum prov_err rc;

	memset(&cp, 0, sizeof(cp));
	cp.text = text;
	cp.len = len;
	cp.d = d;
	buf_init(&raw, BOUND_COND_TEXT);
	buf_init(&a, BOUND_MACRO_OUT);
	buf_init(&b, BOUND_MACRO_OUT);
	if ((rc = cond_parse(&cp)) != PROV_OK)
		goto out;
	for (size_t i = 0; i < cp.nterm; i++) {
		const struct cond_term *tm = &cp.term[i];

		if ((rc = cond_expand(&cp, &tm->lhs, vars, &raw, &a)) != PROV_OK ||
		    (rc = cond_expand(&cp, &tm->rhs, vars, &raw, &b)) != PROV_OK)
			goto out;
		if (result != NULL && !cond_holds(tm->op, cond_cmp(tm, &a, &b)))
			all = 0;
	}
	if (result != NULL)
		*result = all;
out:
	buf_free(&b);
	buf_free(&a);
	buf_free(&raw);
	return rc;
}

enum prov_err
cond_eval(const char *text, size_t len, const struct macro_vars *vars,
	  int *result, struct diag *d)
{
	int r = 0;
	enum prov_err rc = cond_run(text, len, vars, &r, d);

	if (result != NULL)
		*result = rc == PROV_OK ? r : 0;
	return rc;
}

enum prov_err
cond_check(const char *text, size_t len, struct diag *d)
{
	return cond_run(text, len, NULL, NULL, d);
}

static int
cond_isalpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
cond_issep(char c)
{
	return c == '.' || c == '-' || c == '(' || c == ')';
}

/* Drops the ".loads" suffix and the model prefix. */
static void
cond_version_trim(const char **s, size_t *n)
{
	const char *dot;

	if (*n >= 6 && memcmp(*s + *n - 6, ".loads", 6) == 0)
		*n -= 6;
	if (*n > 0 && cond_isalpha((*s)[0]) &&
	    (dot = memchr(*s, '.', *n)) != NULL) {
		*n -= (size_t)(dot + 1 - *s);
		*s = dot + 1;
	}
}

/* The next field of s[*i..n) in *f, *fn; 0 when there is none left. */
static int
cond_field(const char *s, size_t n, size_t *i, const char **f, size_t *fn)
{
	size_t k = *i;

	while (k < n && cond_issep(s[k]))
		k++;
	if (k == n) {
		*i = k;
		return 0;
	}
	*f = s + k;
	while (k < n && !cond_issep(s[k]))
		k++;
	*fn = (size_t)(s + k - *f);
	*i = k;
	return 1;
}

/* Compares the digit strings a[0..an) and b[0..bn) as numbers. */
static int
cond_numcmp(const char *a, size_t an, const char *b, size_t bn)
{
	while (an > 0 && *a == '0') {
		a++;
		an--;
	}
	while (bn > 0 && *b == '0') {
		b++;
		bn--;
	}
	if (an != bn)
		return an < bn ? -1 : 1;
	return an > 0 ? cond_sign(memcmp(a, b, an)) : 0;
}

static int
cond_bytecmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t m = an < bn ? an : bn;
	int c = m > 0 ? memcmp(a, b, m) : 0;

	if (c != 0)
		return cond_sign(c);
	return (an > bn) - (an < bn);
}

static int
cond_fieldcmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t da = 0, db = 0;
	int c;

	while (da < an && cond_isdigit(a[da]))
		da++;
	while (db < bn && cond_isdigit(b[db]))
		db++;
	if (da == 0 || db == 0) {
		if (da != db)
			return da == 0 ? -1 : 1;
	} else if ((c = cond_numcmp(a, da, b, db)) != 0) {
		return c;
	}
	return cond_bytecmp(a + da, an - da, b + db, bn - db);
}

int
cond_version_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t ia = 0, ib = 0, fan = 0, fbn = 0;
	const char *fa = NULL, *fb = NULL;

	cond_version_trim(&a, &alen);
	cond_version_trim(&b, &blen);
	for (;;) {
		int ha = cond_field(a, alen, &ia, &fa, &fan);
		int hb = cond_field(b, blen, &ib, &fb, &fbn);
		int c;

		if (!ha || !hb)
			return ha - hb;
		if ((c = cond_fieldcmp(fa, fan, fb, fbn)) != 0)
			return c;
	}
}
