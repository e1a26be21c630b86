/*
 * macro: expansion of $NAME, $(NAME), $(NAME:p), $(NAME:p:q) and $$.
 * device.md D-MAC-1..3; the forms and the contract are in macro.h.
 *
 * Decisions the spec leaves open:
 *  - a '$' followed by anything but a letter, a digit, '(' or '$' (or at
 *    the end of the text) is a literal '$';
 *  - a name longer than BOUND_MACRO_NAME is unknown (kept as written), so
 *    the lookup never sees one;
 *  - p and q are decimal, at most MACRO_NUM_MAX; the substring counts bytes
 *    and is clamped to the value (an offset past the end gives "");
 *  - an unknown name in the parenthesised form keeps the whole "$(...)";
 *  - a malformed "$(" is an error even when the name is unknown: the syntax
 *    of a text never depends on the values of its variables.
 * The substring forms look the value up into a scratch buffer, wiped before
 * it is freed since the value may be a secret ($SA..$SD).
 */
#include "macro.h"

#include <limits.h>
#include <stdio.h>
#include <openssl/crypto.h>
#include <string.h>

#include "bounds.h"

/* A parsed "$(NAME[:p[:q]])". */
struct macro_ref {
	const char *name;
	size_t n;
	unsigned long num[2]; /* p, q */
	int nnum;             /* how many of num are given: 0, 1 or 2 */
	size_t end;           /* offset just past the ')' */
};

static int
macro_isalnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* A character of a name: letters and digits, and '_' under MACRO_USCORE. */
static int
macro_isname(char c, unsigned flags)
{
	return macro_isalnum(c) || (c == '_' && (flags & MACRO_USCORE));
}

static int
macro_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

static unsigned
macro_clamp(size_t v)
{
	return v > UINT_MAX ? UINT_MAX : (unsigned)v;
}

/* The 1-based line and column of text[off]. */
static void
macro_place(const char *text, size_t off, unsigned *line, unsigned *col)
{
	size_t l = 1, bol = 0;

	for (size_t k = 0; k < off; k++) {
		if (text[k] == '\n') {
			l++;
			bol = k + 1;
		}
	}
	*line = macro_clamp(l);
	*col = macro_clamp(off - bol + 1);
}

/* Parses the reference starting at text[i] == '$', text[i + 1] == '('.
 * Returns NULL, or the reason it is malformed. */
static const char *
macro_paren(const char *text, size_t len, size_t i, unsigned flags, struct macro_ref *r)
{
	static const char *const after[] = {
		"expected ':' or ')' after the variable name",
		"expected ':' or ')' after the offset",
		"expected ')' after the length",
	};
	size_t j = i + 2;

	memset(r, 0, sizeof(*r));
	r->name = text + j;
	while (j < len && macro_isname(text[j], flags))
		j++;
	r->n = (size_t)(text + j - r->name);
	if (j == len)
		return "unterminated '$('";
	if (r->n == 0)
		return "expected a variable name after '$('";
	for (;;) {
		unsigned long v = 0;
		size_t start;

		if (text[j] == ')')
			break;
		if (text[j] != ':' || r->nnum == 2)
			return after[r->nnum];
		start = ++j;
		while (j < len && macro_isdigit(text[j])) {
			v = v * 10 + (unsigned long)(text[j] - '0');
			if (v > MACRO_NUM_MAX)
				return "number after ':' is larger than 65535";
			j++;
		}
		if (j == len)
			return "unterminated '$('";
		if (j == start)
			return "expected a number after ':'";
		r->num[r->nnum++] = v;
	}
	r->end = j + 1;
	return NULL;
}

/* 1 known (value appended), 0 unknown, or -(enum prov_err). */
static int
macro_lookup(const struct macro_vars *vars, const char *name, size_t n,
	     unsigned flags, struct buf *out)
{
	int r;

	if (vars == NULL || vars->lookup == NULL || n > BOUND_MACRO_NAME)
		return 0;
	r = vars->lookup(vars->arg, name, n, flags, out);
	if (r < -(int)PROV_E_CORRUPT)
		return -(int)PROV_E_INVAL; /* not an enum prov_err */
	return r < 0 ? r : r > 0;
}

/* Appends n bytes of a value, XML-escaped under MACRO_XML: the escape is
 * valid in element text and in attribute values alike, so no value can
 * open or close an element wherever it lands. */
static enum prov_err PROV_WUR
macro_put(struct buf *out, const char *s, size_t n, unsigned flags)
{
	enum prov_err rc = PROV_OK;
	size_t k, run = 0;

	if (!(flags & MACRO_XML))
		return buf_add(out, s, n);
	for (k = 0; k < n && rc == PROV_OK; k++) {
		const char *e = NULL;

		switch (s[k]) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&apos;"; break;
		default: continue;
		}
		if (k > run)
			rc = buf_add(out, s + run, k - run);
		if (rc == PROV_OK)
			rc = buf_adds(out, e);
		run = k + 1;
	}
	if (rc == PROV_OK && n > run)
		rc = buf_add(out, s + run, n - run);
	return rc;
}

/* Expands the reference at text[i..*end); *end is set past it. A syntax
 * error leaves its reason in *why. */
static enum prov_err PROV_WUR
macro_ref(const char *text, size_t len, size_t i, size_t *end,
	  const struct macro_vars *vars, unsigned flags, struct buf *out,
	  const char **why)
{
	struct macro_ref r;
	struct buf tmp;
	size_t off, cnt;
	int known;
	enum prov_err rc;

	*why = NULL;
	if (text[i + 1] != '(') {
		size_t j = i + 1;

		while (j < len && macro_isname(text[j], flags))
			j++;
		memset(&r, 0, sizeof(r));
		r.name = text + i + 1;
		r.n = j - i - 1;
		r.end = j;
	} else if ((*why = macro_paren(text, len, i, flags, &r)) != NULL) {
		return PROV_E_SYNTAX;
	}
	*end = r.end;
	if (r.nnum == 0) {
		size_t start = out->len;

		known = macro_lookup(vars, r.name, r.n, flags, out);
		if (known < 0)
			return (enum prov_err)-known;
		if (!known)
			return buf_add(out, text + i, r.end - i);
		if (!(flags & MACRO_XML) || out->len == start ||
		    strcspn(out->p + start, "&<>\"'") >= out->len - start)
			return PROV_OK;
		/* Something to escape (rare): take the value back out and put
		 * it again, escaped. */
		buf_init(&tmp, BOUND_MACRO_OUT);
		rc = buf_add(&tmp, out->p + start, out->len - start);
		OPENSSL_cleanse(out->p + start, out->len - start);
		out->len = start;
		out->p[start] = '\0';
		if (rc == PROV_OK)
			rc = macro_put(out, buf_str(&tmp), tmp.len, flags);
		if (tmp.p != NULL)
			OPENSSL_cleanse(tmp.p, tmp.alloc);
		buf_free(&tmp);
		return rc;
	}
	buf_init(&tmp, BOUND_MACRO_OUT);
	known = macro_lookup(vars, r.name, r.n, flags, &tmp);
	if (known < 0) {
		rc = (enum prov_err)-known;
	} else if (known == 0) {
		rc = buf_add(out, text + i, r.end - i);
	} else {
		off = r.num[0] < tmp.len ? r.num[0] : tmp.len;
		cnt = tmp.len - off;
		if (r.nnum == 2 && r.num[1] < cnt)
			cnt = r.num[1];
		rc = macro_put(out, buf_str(&tmp) + off, cnt, flags);
	}
	if (tmp.p != NULL)
		OPENSSL_cleanse(tmp.p, tmp.alloc);
	buf_free(&tmp);
	return rc;
}

enum prov_err
macro_expand(const char *text, size_t len, const struct macro_vars *vars,
	     unsigned flags, struct buf *out, struct diag *d)
{
	size_t i = 0, stop, end;
	unsigned line, col;
	const char *why = NULL;
	enum prov_err rc;

	while (i < len) {
		const char *dollar = memchr(text + i, '$', len - i);

		stop = dollar != NULL ? (size_t)(dollar - text) : len;
		if (stop > i && (rc = buf_add(out, text + i, stop - i)) != PROV_OK)
			goto fail;
		i = stop;
		if (i == len)
			break;
		if (i + 1 == len || text[i + 1] == '$' ||
		    !(macro_isalnum(text[i + 1]) || text[i + 1] == '(')) {
			if ((rc = buf_addc(out, '$')) != PROV_OK)
				goto fail;
			i += (i + 1 < len && text[i + 1] == '$') ? 2 : 1;
			continue;
		}
		rc = macro_ref(text, len, i, &end, vars, flags, out, &why);
		if (rc != PROV_OK)
			goto fail;
		i = end;
	}
	return PROV_OK;

fail:
	/* i is the start of the piece that failed: a literal run or a '$'. */
	macro_place(text, i, &line, &col);
	if (rc == PROV_E_SYNTAX && why != NULL)
		return diag_set(d, rc, line, col, "%s", why);
	if (rc == PROV_E_TOOBIG)
		return diag_set(d, rc, line, col, "expansion longer than %zu bytes",
				out->max);
	return diag_set(d, rc, line, col, "cannot expand: %s", prov_strerror(rc));
}

int
macro_present(const char *text, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (text[i] != '$')
			continue;
		if (text[i + 1] == '$')
			i++;
		else if (macro_isalnum(text[i + 1]) || text[i + 1] == '(')
			return 1;
	}
	return 0;
}

/* A host's own variables behind the public lookup (prov_macro_expand). */
struct macro_host {
	const char *(*lookup)(void *arg, const char *name, size_t n, size_t *vlen);
	void *arg;
};

static int
macro_host_lookup(void *arg, const char *name, size_t n, unsigned flags, struct buf *out)
{
	const struct macro_host *h = arg;
	size_t vlen = 0;
	const char *v = h->lookup(h->arg, name, n, &vlen);
	enum prov_err rc;

	(void)flags;
	if (v == NULL)
		return 0;
	rc = buf_add(out, v, vlen);
	return rc == PROV_OK ? 1 : -(int)rc;
}

enum prov_err
prov_macro_expand(const char *text, size_t len, size_t maxsize, unsigned flags,
		  const char *(*lookup)(void *arg, const char *name, size_t n, size_t *vlen),
		  void *arg, char **out, size_t *outlen, char *msg, size_t msglen)
{
	struct macro_host h = { lookup, arg };
	struct macro_vars vars = { macro_host_lookup, &h };
	struct buf b;
	struct diag d;
	enum prov_err rc;

	*out = NULL;
	*outlen = 0;
	diag_init(&d);
	buf_init(&b, maxsize != 0 ? maxsize : PROV_PROFILE_MAX);
	rc = macro_expand(text, len, lookup != NULL ? &vars : NULL,
			  ((flags & PROV_MACRO_XML) ? MACRO_XML : 0) |
			  ((flags & PROV_MACRO_USCORE) ? MACRO_USCORE : 0), &b, &d);
	if (rc != PROV_OK) {
		if (msg != NULL && msglen > 0)
			diag_format(&d, NULL, msg, msglen);
		buf_free(&b);
		return rc;
	}
	*outlen = b.len;
	*out = buf_take(&b);
	if (*out == NULL) {
		if (msg != NULL && msglen > 0)
			snprintf(msg, msglen, "out of memory");
		return PROV_E_NOMEM;
	}
	return PROV_OK;
}
