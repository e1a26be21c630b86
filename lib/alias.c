/*
 * alias: `--alias L` maps, and arbitrary XML turned into a change set
 * through one. device.md D-RUL-3; the contract is in alias.h.
 *
 * How a document becomes a change set: one expat walk (the same guards as
 * profile.c) keeps the path of open elements and, for each element that is
 * a <flat-profile> child or that some entry matches, its own character
 * data. Each value found is written, in document order, into a plain
 * <flat-profile> document, and that document goes through profile_parse:
 * the change set, its arena and its value rules (trimming, line ends,
 * ua) stay profile.c's alone. The positions are then put back to those of
 * the fetched document. The written document is bounded
 * (ALIAS_DOC_MAX): one element feeding thirty entries cannot make it grow
 * without limit.
 */
#include "alias.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* As in profile.c: expat declares the billion-laughs limits only under
 * XML_DTD (Debian's libexpat has it); entities are refused anyway. */
#ifndef XML_DTD
#define XML_DTD 1
#endif
#include <expat.h>

#include "buf.h"

/* ------------------------------------------------------------------------
 * The map
 */

static int
alias_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A byte that may be part of a path component. */
static int
alias_compchar(int c)
{
	return !alias_space(c) && c != '/' && c != '=' && c != ';' && c != '\0';
}

/* A byte of a parameter name (the legacy format's set, profile.c). */
static int
alias_namechar(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

struct mp {
	const char *text;
	size_t len, pos;
	struct alias_map *m;
	size_t used;      /* bytes of m->pool taken */
	size_t entry;     /* number of the entry being read, 1-based */
	struct diag *d;
};

#define MP_FAIL(p, code, at, fmt, ...) \
	diag_set((p)->d, (code), 1, (unsigned)(at) + 1, "alias entry %zu: " fmt, \
		 (p)->entry, __VA_ARGS__)

static void
mp_skip(struct mp *p)
{
	while (p->pos < p->len && alias_space((unsigned char)p->text[p->pos]))
		p->pos++;
}

/* Copies text[s..s+n) into the pool, NUL-terminated. The pool cannot run
 * out: every component is preceded by its '/' in the text, so the copies
 * and their NULs take no more bytes than the text. */
static const char *
mp_keep(struct mp *p, size_t s, size_t n)
{
	char *t = p->m->pool + p->used;

	memcpy(t, p->text + s, n);
	t[n] = '\0';
	p->used += n + 1;
	return t;
}

/* A path at p->pos: '/' component ('/' component)*. what is "left side"
 * or "right side", for the messages. The components go to comp[] (at most
 * max of them) and their number to *n. */
static enum prov_err
mp_path(struct mp *p, const char *what, const char **comp, unsigned max, unsigned *n)
{
	*n = 0;
	if (p->pos >= p->len || p->text[p->pos] != '/') {
		if (p->pos >= p->len || p->text[p->pos] == ';' || p->text[p->pos] == '=')
			return MP_FAIL(p, PROV_E_SYNTAX, p->pos, "the %s is missing", what);
		return MP_FAIL(p, PROV_E_SYNTAX, p->pos, "the %s must start with '/'", what);
	}
	while (p->pos < p->len && p->text[p->pos] == '/') {
		size_t s = ++p->pos;

		while (p->pos < p->len && alias_compchar((unsigned char)p->text[p->pos]))
			p->pos++;
		if (p->pos == s)
			return MP_FAIL(p, PROV_E_SYNTAX, s, "empty path component in the %s",
				       what);
		if (p->pos - s > BOUND_NAME_LEN)
			return MP_FAIL(p, PROV_E_TOOBIG, s, "path component '%.*s...' "
				       "longer than %u bytes", ALIAS_SHOW, p->text + s,
				       BOUND_NAME_LEN);
		if (*n == max)
			return MP_FAIL(p, PROV_E_TOOBIG, s, "the %s has more than %u "
				       "components", what, max);
		comp[(*n)++] = mp_keep(p, s, p->pos - s);
	}
	return PROV_OK;
}

/* One entry at p->pos (not at ';' or the end). */
static enum prov_err
mp_entry(struct mp *p, struct alias_entry *e)
{
	const char *rhs[ALIAS_MAX_COMPONENTS];
	unsigned nrhs;
	size_t at;
	enum prov_err rc;

	if ((rc = mp_path(p, "left side", e->comp, ALIAS_MAX_COMPONENTS, &e->ncomp)) != PROV_OK)
		return rc;
	mp_skip(p);
	if (p->pos >= p->len || p->text[p->pos] != '=')
		return MP_FAIL(p, PROV_E_SYNTAX, p->pos, "expected '=' after '%.*s'",
			       ALIAS_SHOW, e->comp[e->ncomp - 1]);
	p->pos++;
	mp_skip(p);
	at = p->pos;
	if ((rc = mp_path(p, "right side", rhs, ALIAS_MAX_COMPONENTS, &nrhs)) != PROV_OK)
		return rc;
	e->name = rhs[nrhs - 1];
	for (const char *c = e->name; *c != '\0'; c++)
		if (!alias_namechar((unsigned char)*c))
			return MP_FAIL(p, PROV_E_SYNTAX, at, "'%.*s' is not a parameter name",
				       ALIAS_SHOW, e->name);
	mp_skip(p);
	if (p->pos < p->len && p->text[p->pos] != ';')
		return MP_FAIL(p, PROV_E_SYNTAX, p->pos, "unexpected '%c' after the right "
			       "side (entries end with ';')", p->text[p->pos]);
	return PROV_OK;
}

enum prov_err
alias_parse(const char *text, size_t len, struct alias_map **out, struct diag *d)
{
	struct alias_map *m = NULL;
	struct mp p;
	enum prov_err rc = PROV_OK;

	if (out == NULL || (text == NULL && len > 0))
		return diag_set(d, PROV_E_INVAL, 0, 0, "bad arguments");
	*out = NULL;
	if (len > ALIAS_MAX_TEXT)
		return diag_set(d, PROV_E_TOOBIG, 0, 0, "alias map is %zu bytes, over "
				"the limit of %u", len, ALIAS_MAX_TEXT);
	if (text != NULL && memchr(text, '\0', len) != NULL)
		return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)((const char *)memchr(text, '\0',
				len) - text) + 1, "NUL byte in the alias map");
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
	memset(&p, 0, sizeof(p));
	p.text = text != NULL ? text : "";
	p.len = len;
	p.m = m;
	p.d = d;
	for (;;) {
		mp_skip(&p);
		if (p.pos >= p.len)
			break;
		if (p.text[p.pos] == ';') {
			p.pos++; /* an empty entry */
			continue;
		}
		p.entry = m->n + 1;
		if (m->n == ALIAS_MAX_ENTRIES) {
			rc = MP_FAIL(&p, PROV_E_TOOBIG, p.pos, "more than %u entries",
				     ALIAS_MAX_ENTRIES);
			goto out;
		}
		if ((rc = mp_entry(&p, &m->e[m->n])) != PROV_OK)
			goto out;
		m->n++;
	}
	*out = m;
	m = NULL;
out:
	alias_map_free(m);
	return rc;
}

void
alias_map_free(struct alias_map *m)
{
	free(m);
}

/* ------------------------------------------------------------------------
 * The walk
 */

/* One open element. */
struct level {
	const char *name;   /* in names[]; NULL when over BOUND_NAME_LEN (it then
			     * matches no component) */
	uint32_t match;     /* bit i: entry i matches this element */
	int param;          /* a child of <flat-profile> */
	int ua;             /* its ua attribute, -1: none */
	int hasatts;        /* it has attributes: <X ua="rw"/> keeps the value */
	size_t start;       /* its text starts here in text */
	unsigned line, col; /* where it starts */
};

struct aw {
	const struct alias_map *m;
	struct diag *d;
	XML_Parser xp;
	enum prov_err rc;
	unsigned depth;       /* open elements */
	unsigned fpdepth;     /* depth of the open <flat-profile>; 0: none */
	size_t nelem;         /* elements seen */
	int seen;             /* a <flat-profile> was found */
	size_t nmatched;      /* elements some entry matched */
	struct level lv[ALIAS_MAX_LEVELS];
	char names[ALIAS_MAX_LEVELS][BOUND_NAME_LEN + 1];
	struct buf text;      /* character data of the open collecting elements */
	struct buf doc;       /* the <flat-profile> being written */
	unsigned *pos;        /* line, col of each change written */
	size_t nchg, achg;
};

static unsigned
aw_uint(XML_Size v)
{
	return v > UINT_MAX ? UINT_MAX : (unsigned)v;
}

static unsigned
aw_line(const struct aw *w)
{
	return aw_uint(XML_GetCurrentLineNumber(w->xp));
}

static unsigned
aw_col(const struct aw *w)
{
	return aw_uint(XML_GetCurrentColumnNumber(w->xp) + 1);
}

/* Keeps the first error (already in the diag) and stops expat. */
static void
aw_stop(struct aw *w, enum prov_err rc)
{
	w->rc = rc;
	XML_StopParser(w->xp, XML_FALSE);
}

static void
aw_fail_add(struct aw *w, enum prov_err rc)
{
	if (rc == PROV_E_NOMEM)
		aw_stop(w, diag_set(w->d, rc, 0, 0, "out of memory"));
	else
		aw_stop(w, diag_set(w->d, PROV_E_TOOBIG, aw_line(w), aw_col(w),
				    "profile too large once aliased (over %zu bytes)",
				    w->doc.max));
}

/* "na", "ro", "rw" in any case; -1 otherwise (profile.c's rule). */
static int
aw_ua(const char *v)
{
	static const char *const names[] = { "na", "ro", "rw" };
	static const int ua[] = { PROV_UA_NA, PROV_UA_RO, PROV_UA_RW };

	if (v[0] == '\0' || v[1] == '\0' || v[2] != '\0')
		return -1;
	for (size_t i = 0; i < 3; i++)
		if ((v[0] | 0x20) == names[i][0] && (v[1] | 0x20) == names[i][1])
			return ua[i];
	return -1;
}

/* Entries whose left side is the end of the open path. */
static uint32_t
aw_match(const struct aw *w)
{
	uint32_t mask = 0;

	for (size_t i = 0; i < w->m->n; i++) {
		const struct alias_entry *e = &w->m->e[i];
		unsigned k;

		if (e->ncomp > w->depth)
			continue;
		for (k = 0; k < e->ncomp; k++) {
			const char *have = w->lv[w->depth - 1 - k].name;

			if (have == NULL || strcmp(have, e->comp[e->ncomp - 1 - k]) != 0)
				break;
		}
		if (k == e->ncomp)
			mask |= (uint32_t)1 << i;
	}
	return mask;
}

/* Records the position of the change about to be written. */
static int
aw_pos(struct aw *w, const struct level *l)
{
	if (w->nchg + 1 >= PROV_PROFILE_MAX_ELEMENTS) {
		/* +1: the written document's <flat-profile> is an element too */
		aw_stop(w, diag_set(w->d, PROV_E_TOOBIG, l->line, l->col,
				    "more than %u changes once aliased",
				    PROV_PROFILE_MAX_ELEMENTS - 1));
		return -1;
	}
	if (w->nchg == w->achg) {
		size_t na = w->achg ? w->achg * 2 : 64;
		unsigned *np = realloc(w->pos, na * 2 * sizeof(*np));

		if (np == NULL) {
			aw_fail_add(w, PROV_E_NOMEM);
			return -1;
		}
		w->pos = np;
		w->achg = na;
	}
	w->pos[2 * w->nchg] = l->line;
	w->pos[2 * w->nchg + 1] = l->col;
	w->nchg++;
	return 0;
}

/* A byte of a value that must be written as a reference: & and <, > only
 * where it would end "]]>", and CR, so that expat gives it back as CR and
 * not as a line end. Nothing else grows, so a value written takes no more
 * room than it took in the fetched document (after expat's decoding). */
static int
aw_special(const char *v, size_t i)
{
	return v[i] == '&' || v[i] == '<' || v[i] == '\r' ||
	       (v[i] == '>' && i >= 2 && v[i - 1] == ']' && v[i - 2] == ']');
}

/* Writes value v[0..n) as element content. */
static enum prov_err
aw_text(struct buf *b, const char *v, size_t n)
{
	enum prov_err rc = PROV_OK;
	size_t i = 0, run;

	while (rc == PROV_OK && i < n) {
		for (run = i; run < n && !aw_special(v, run); run++)
			;
		rc = buf_add(b, v + i, run - i);
		if (rc != PROV_OK || run == n)
			break;
		switch (v[run]) {
		case '&': rc = buf_adds(b, "&amp;"); break;
		case '<': rc = buf_adds(b, "&lt;"); break;
		case '>': rc = buf_adds(b, "&gt;"); break;
		default: rc = buf_adds(b, "&#13;"); break;
		}
		i = run + 1;
	}
	return rc;
}

/* One change: <name ua="..">value</name>, or <name/> when value is NULL. */
static void
aw_emit(struct aw *w, const struct level *l, const char *name, int ua, const char *v,
	size_t n)
{
	static const char *const uaname[] = { "na", "ro", "rw" };
	enum prov_err rc;

	if (w->rc != PROV_OK || aw_pos(w, l) != 0)
		return;
	rc = buf_addf(&w->doc, "<%s", name);
	if (rc == PROV_OK && ua >= PROV_UA_NA && ua <= PROV_UA_RW)
		rc = buf_addf(&w->doc, " ua=\"%s\"", uaname[ua - PROV_UA_NA]);
	if (rc == PROV_OK && v == NULL)
		rc = buf_adds(&w->doc, "/>");
	else if (rc == PROV_OK)
		rc = buf_addc(&w->doc, '>');
	if (rc == PROV_OK && v != NULL)
		rc = aw_text(&w->doc, v, n);
	if (rc == PROV_OK && v != NULL)
		rc = buf_addf(&w->doc, "</%s>", name);
	if (rc != PROV_OK)
		aw_fail_add(w, rc);
}

static void XMLCALL
aw_start(void *arg, const XML_Char *name, const XML_Char **atts)
{
	struct aw *w = arg;
	struct level *l;
	size_t nlen = strlen(name);

	if (w->rc != PROV_OK)
		return;
	if (++w->nelem > PROV_PROFILE_MAX_ELEMENTS) {
		aw_stop(w, diag_set(w->d, PROV_E_TOOBIG, aw_line(w), aw_col(w),
				    "more than %u elements", PROV_PROFILE_MAX_ELEMENTS));
		return;
	}
	/* The new element's level: from <flat-profile> (level 1) once it is
	 * open, else from the root; below ALIAS_MAX_LEVELS either way. */
	if ((w->fpdepth != 0 ? w->depth + 2 - w->fpdepth : w->depth + 1) >
	    PROV_PROFILE_MAX_DEPTH) {
		aw_stop(w, diag_set(w->d, PROV_E_TOOBIG, aw_line(w), aw_col(w),
				    "elements nested deeper than %u levels",
				    PROV_PROFILE_MAX_DEPTH));
		return;
	}
	/* D-PRO-3a: a parameter that holds an element is a group; its leaves
	 * are the parameters, its own text is dropped. */
	if (w->depth > 0 && w->lv[w->depth - 1].param) {
		l = &w->lv[w->depth - 1];
		l->param = 0;
		if (l->match == 0) {
			w->text.len = l->start;
			if (w->text.p != NULL)
				w->text.p[w->text.len] = '\0';
		}
	}
	l = &w->lv[w->depth];
	memset(l, 0, sizeof(*l));
	l->ua = -1;
	l->line = aw_line(w);
	l->col = aw_col(w);
	l->start = w->text.len;
	if (nlen <= BOUND_NAME_LEN) {
		memcpy(w->names[w->depth], name, nlen + 1);
		l->name = w->names[w->depth];
	}
	w->depth++;
	l->param = w->fpdepth != 0;
	l->hasatts = atts[0] != NULL;
	if (l->param) {
		if (l->name == NULL) {
			aw_stop(w, diag_set(w->d, PROV_E_SYNTAX, l->line, l->col,
					    "parameter name '%.*s...' longer than %u bytes",
					    ALIAS_SHOW, name, BOUND_NAME_LEN));
			return;
		}
		for (size_t i = 0; atts[i] != NULL; i += 2) {
			if (strcmp(atts[i], "ua") != 0)
				continue;
			l->ua = aw_ua(atts[i + 1]);
			if (l->ua < 0) {
				aw_stop(w, diag_set(w->d, PROV_E_SYNTAX, l->line, l->col,
						    "bad ua value '%.*s' on '%.*s'",
						    ALIAS_SHOW, atts[i + 1], ALIAS_SHOW,
						    name));
				return;
			}
		}
	} else if (strcmp(name, "flat-profile") == 0) {
		w->fpdepth = w->depth;
		w->seen = 1;
	}
	l->match = aw_match(w);
	if (l->match != 0)
		w->nmatched++;
}

static void XMLCALL
aw_end(void *arg, const XML_Char *name)
{
	struct aw *w = arg;
	struct level *l;
	const char *v = NULL;
	size_t n = 0;

	(void)name;
	if (w->rc != PROV_OK || w->depth == 0)
		return;
	l = &w->lv[w->depth - 1];
	if (l->param || l->match != 0) {
		/* expat reports no bytes for the end of <X/>: no value. A
		 * parameter written so sets "" unless it has attributes
		 * (<X ua="rw"/> keeps the value, D-PRO-2). */
		if (w->text.len > l->start || XML_GetCurrentByteCount(w->xp) != 0) {
			v = buf_str(&w->text) + l->start;
			n = w->text.len - l->start;
		}
		if (l->param)
			aw_emit(w, l, l->name, l->ua,
				v == NULL && !l->hasatts ? "" : v, n);
		for (size_t i = 0; v != NULL && i < w->m->n; i++)
			if (l->match & ((uint32_t)1 << i))
				aw_emit(w, l, w->m->e[i].name, -1, v, n);
		w->text.len = l->start;
		if (w->text.p != NULL)
			w->text.p[w->text.len] = '\0';
	}
	if (!l->param && w->depth == w->fpdepth)
		w->fpdepth = 0;
	w->depth--;
}

static void XMLCALL
aw_chars(void *arg, const XML_Char *s, int len)
{
	struct aw *w = arg;
	const struct level *l;
	enum prov_err rc;

	if (w->rc != PROV_OK || w->depth == 0)
		return;
	l = &w->lv[w->depth - 1];
	if (!l->param && l->match == 0)
		return;
	if ((rc = buf_add(&w->text, s, (size_t)len)) != PROV_OK)
		aw_stop(w, diag_set(w->d, rc, aw_line(w), aw_col(w), "%s",
				    rc == PROV_E_NOMEM ? "out of memory" : "value too long"));
}

/* D-PRO-7: no entity may be declared (billion laughs, XXE). */
static void XMLCALL
aw_entity_decl(void *arg, const XML_Char *name, int is_pe, const XML_Char *value,
	       int value_len, const XML_Char *base, const XML_Char *sysid,
	       const XML_Char *pubid, const XML_Char *notation)
{
	struct aw *w = arg;

	(void)name; (void)is_pe; (void)value; (void)value_len; (void)base;
	(void)sysid; (void)pubid; (void)notation;
	if (w->rc == PROV_OK)
		aw_stop(w, diag_set(w->d, PROV_E_DENIED, aw_line(w), aw_col(w),
				    "entity declarations are not allowed"));
}

static void XMLCALL
aw_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
	   const XML_Char *pubid, int has_internal_subset)
{
	struct aw *w = arg;

	(void)name; (void)pubid; (void)has_internal_subset;
	if (w->rc == PROV_OK && sysid != NULL)
		aw_stop(w, diag_set(w->d, PROV_E_DENIED, aw_line(w), aw_col(w),
				    "external DTD is not allowed"));
}

static void XMLCALL
aw_skipped(void *arg, const XML_Char *name, int is_pe)
{
	struct aw *w = arg;

	if (w->rc == PROV_OK)
		aw_stop(w, diag_set(w->d, PROV_E_DENIED, aw_line(w), aw_col(w),
				    "undeclared entity '%s%.*s'", is_pe ? "%" : "",
				    ALIAS_SHOW, name));
}

/* The walk over data[0..len) (XML, BOM already skipped); on success
 * w->doc holds the written <flat-profile> and w->pos the positions. */
static enum prov_err
aw_walk(struct aw *w, const char *data, size_t len)
{
	enum XML_Error e;
	enum prov_err rc;

	if (len > INT_MAX)
		return diag_set(w->d, PROV_E_TOOBIG, 0, 0, "profile too big for expat");
	w->xp = XML_ParserCreate(NULL);
	if (w->xp == NULL)
		return diag_set(w->d, PROV_E_NOMEM, 0, 0, "out of memory");
	XML_SetUserData(w->xp, w);
	XML_SetElementHandler(w->xp, aw_start, aw_end);
	XML_SetCharacterDataHandler(w->xp, aw_chars);
	XML_SetEntityDeclHandler(w->xp, aw_entity_decl);
	XML_SetStartDoctypeDeclHandler(w->xp, aw_doctype);
	XML_SetSkippedEntityHandler(w->xp, aw_skipped);
	XML_SetParamEntityParsing(w->xp, XML_PARAM_ENTITY_PARSING_NEVER);
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 4)
	XML_SetBillionLaughsAttackProtectionMaximumAmplification(w->xp,
								 ALIAS_AMPLIFICATION);
	XML_SetBillionLaughsAttackProtectionActivationThreshold(w->xp,
								ALIAS_AMPLIFICATION_START);
#endif
	if (buf_adds(&w->doc, "<flat-profile>") != PROV_OK) {
		rc = diag_set(w->d, PROV_E_NOMEM, 0, 0, "out of memory");
	} else if (XML_Parse(w->xp, data, (int)len, XML_TRUE) == XML_STATUS_OK) {
		if (w->seen || w->nmatched > 0)
			rc = PROV_OK;
		else
			rc = diag_set(w->d, PROV_E_SYNTAX, 1, 1, "no <flat-profile> element "
				      "and no element the alias map names");
	} else if (w->rc != PROV_OK) {
		rc = w->rc;
	} else {
		e = XML_GetErrorCode(w->xp);
		if (e == XML_ERROR_NO_MEMORY)
			rc = PROV_E_NOMEM;
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 4)
		else if (e == XML_ERROR_AMPLIFICATION_LIMIT_BREACH)
			rc = PROV_E_DENIED;
#endif
		else
			rc = PROV_E_SYNTAX;
		diag_set(w->d, rc, aw_line(w), aw_col(w), "%s", XML_ErrorString(e));
	}
	if (rc == PROV_OK && buf_adds(&w->doc, "</flat-profile>") != PROV_OK)
		rc = diag_set(w->d, PROV_E_TOOBIG, 0, 0, "profile too large once aliased");
	XML_ParserFree(w->xp);
	w->xp = NULL;
	return rc;
}

enum prov_err
alias_profile(const struct alias_map *m, const char *data, size_t len, size_t maxsize,
	      struct prov_profile **out, struct diag *d)
{
	struct aw *w = NULL;
	struct prov_profile *p = NULL;
	enum prov_err rc;
	size_t skip = 0, i;

	if (m == NULL || out == NULL || (data == NULL && len > 0))
		return diag_set(d, PROV_E_INVAL, 0, 0, "bad arguments");
	*out = NULL;
	if (data == NULL)
		data = "";
	if (maxsize == 0)
		maxsize = PROV_PROFILE_MAX;
	if (len > maxsize)
		return diag_set(d, PROV_E_TOOBIG, 0, 0, "profile is %zu bytes, "
				"over the limit of %zu", len, maxsize);
	/* Told apart as profile_parse does: XML or the legacy format, which
	 * has no paths for the map to match. */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		skip = 3;
	for (i = skip; i < len && alias_space((unsigned char)data[i]); i++)
		;
	if (i == len || data[i] != '<')
		return profile_parse(data, len, maxsize, out, d);

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
	w->m = m;
	w->d = d;
	w->rc = PROV_OK;
	buf_init(&w->text, ALIAS_DOC_MAX(maxsize));
	buf_init(&w->doc, ALIAS_DOC_MAX(maxsize));
	rc = aw_walk(w, data + skip, len - skip);
	if (rc != PROV_OK)
		goto out;
	{
		struct diag d2;

		/* The written document is well-formed, flat and within every
		 * bound by construction; a failure here is memory. */
		diag_init(&d2);
		rc = profile_parse(w->doc.p, w->doc.len, w->doc.max, &p, &d2);
		if (rc != PROV_OK) {
			rc = diag_set(d, rc, 0, 0, "aliased profile: %s", d2.msg);
			goto out;
		}
	}
	if (p->n != w->nchg) {
		rc = diag_set(d, PROV_E_SYNTAX, 0, 0, "aliased profile: %zu changes "
			      "written, %zu read back", w->nchg, p->n);
		goto out;
	}
	for (i = 0; i < p->n; i++) {
		p->chg[i].line = w->pos[2 * i];
		p->chg[i].col = w->pos[2 * i + 1];
	}
	*out = p;
	p = NULL;
out:
	prov_profile_free(p);
	if (w != NULL) {
		buf_free(&w->text);
		buf_free(&w->doc);
		free(w->pos);
		free(w);
	}
	return rc;
}
