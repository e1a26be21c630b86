/*
 * profile: flat-profile XML (expat) and the legacy text format, parsed into
 * one change set. device.md D-PRO-1..7; the contract is in profile.h.
 *
 * Memory: every string of a profile lives in an arena of a few large chunks
 * (the first sized from the input, so one chunk is the common case) and the
 * changes in one array grown geometrically. There is no allocation per
 * element: parsing costs little more than expat itself (bench/).
 *
 * Decisions the spec leaves open:
 * - A document without <flat-profile> fails at 1:1.
 * - A UTF-8 byte order mark is stripped before expat sees the bytes, so
 *   columns on line 1 do not count it. Columns count characters (UTF-8 code
 *   points) in both formats, as expat does.
 * - An external DTD (<!DOCTYPE x SYSTEM "...">) and a reference to an
 *   entity nobody declared (expat lets one through when the DTD has a
 *   parameter entity reference) are refused like entity declarations:
 *   PROV_E_DENIED. Other DTD content (ELEMENT, ATTLIST) is allowed.
 * - Legacy values must be valid UTF-8 without NUL bytes, as XML values are.
 */
#include "profile.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * expat.h declares the billion-laughs limits only under XML_DTD, a macro of
 * expat's own build (Debian's libexpat has it). Entity declarations are
 * refused anyway; the limits are defence in depth.
 */
#ifndef XML_DTD
#define XML_DTD 1
#endif
#include <expat.h>

#include "bounds.h"


/* One arena chunk; the profile points at the newest, which links back. */
struct profile_chunk {
	struct profile_chunk *prev;
	size_t size; /* bytes in data */
	size_t used; /* bytes committed */
	char data[];
};

/* What both parsers share while filling a profile. */
struct pctx {
	struct prov_profile *p;
	struct diag *d;
	size_t hint; /* size of the first arena chunk */
};

static void
profile_arena_free(struct profile_chunk *c)
{
	while (c != NULL) {
		struct profile_chunk *prev = c->prev;

		free(c);
		c = prev;
	}
}

/*
 * Makes room, in the newest chunk, for n more bytes and a NUL after the
 * `open` bytes already written past used (a string being built). A new
 * chunk takes the open bytes along. Returns where the open string starts,
 * or NULL when out of memory. The arena never holds more than the input
 * re-encoded as UTF-8 (at most twice its size, for a one-byte charset).
 */
static char *
profile_reserve(struct pctx *pc, size_t open, size_t n)
{
	struct profile_chunk *c = pc->p->arena, *nc;
	size_t need = open + n + 1, size;

	if (c != NULL && c->size - c->used >= need)
		return c->data + c->used;
	if (c == NULL)
		size = pc->hint;
	else
		size = c->size;
	if (size < 2 * need)
		size = 2 * need;
	if (size < PROFILE_CHUNK_MIN)
		size = PROFILE_CHUNK_MIN;
	nc = malloc(sizeof(*nc) + size);
	if (nc == NULL)
		return NULL;
	nc->prev = c;
	nc->size = size;
	nc->used = 0;
	if (open > 0)
		memcpy(nc->data, c->data + c->used, open);
	pc->p->arena = nc;
	return nc->data;
}

/* Ends the open string of len bytes (room was reserved) and returns it. */
static const char *
profile_commit(struct pctx *pc, size_t len)
{
	struct profile_chunk *c = pc->p->arena;
	char *s = c->data + c->used;

	s[len] = '\0';
	c->used += len + 1;
	return s;
}

static const char *
profile_strdup(struct pctx *pc, const char *s, size_t len)
{
	char *t = profile_reserve(pc, 0, len);

	if (t == NULL)
		return NULL;
	memcpy(t, s, len);
	return profile_commit(pc, len);
}

/* A new change at the end of the array; NULL when out of memory. */
static struct profile_change *
profile_add(struct prov_profile *p)
{
	struct profile_change *c;

	if (p->n == p->alloc) {
		size_t na = p->alloc ? p->alloc * 2 : PROFILE_CHG_MIN;
		struct profile_change *nc;

		if (na > SIZE_MAX / sizeof(*nc))
			return NULL;
		nc = realloc(p->chg, na * sizeof(*nc));
		if (nc == NULL)
			return NULL;
		p->chg = nc;
		p->alloc = na;
	}
	c = &p->chg[p->n++];
	c->name = NULL;
	c->value = NULL;
	c->valuelen = 0;
	c->ua = -1;
	c->line = c->col = 0;
	return c;
}

static int
profile_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * D-PRO-2 in place: trims white space at both ends, then turns each CR LF,
 * lone CR or lone LF into one space. Returns the new length.
 */
static size_t
profile_norm(char *s, size_t n)
{
	size_t i = 0, j = 0;

	while (n > 0 && profile_space((unsigned char)s[n - 1]))
		n--;
	while (i < n && profile_space((unsigned char)s[i]))
		i++;
	for (; i < n; i++) {
		char c = s[i];

		if (c == '\r') {
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
			c = ' ';
		} else if (c == '\n') {
			c = ' ';
		}
		s[j++] = c;
	}
	return j;
}

static unsigned
profile_uint(XML_Size v)
{
	return v > UINT_MAX ? UINT_MAX : (unsigned)v;
}

/* ------------------------------------------------------------------------
 * XML
 */
struct xml_ctx {
	struct pctx pc;
	XML_Parser xp;
	const char *data; /* the bytes given to expat */
	size_t len;
	int fastpos;      /* positions from xml_where's own scan */
	size_t posoff;    /* xml_where's cursor: data + posoff is at */
	unsigned posline, poscol; /* posline:poscol */
	enum prov_err rc;
	unsigned depth;    /* open elements */
	unsigned fpdepth;  /* depth of the open <flat-profile>; 0: none */
	size_t nelem;      /* elements seen */
	int seen;          /* a <flat-profile> was found */
	int inparam;       /* the last change is open: collecting its value */
	int hasatts;       /* the open parameter has attributes */
	size_t vlen;       /* bytes of the open value */
};

static unsigned
xml_line(const struct xml_ctx *x)
{
	return profile_uint(XML_GetCurrentLineNumber(x->xp));
}

static unsigned
xml_col(const struct xml_ctx *x)
{
	return profile_uint(XML_GetCurrentColumnNumber(x->xp) + 1);
}

/*
 * The place of the current event for a change. expat's own line and column
 * rescan every byte through its encoding tables, about a tenth of the
 * parse; for UTF-8 without CR (the usual profile) the same numbers come
 * from the byte index: memchr finds the newlines, and only the bytes of the
 * last line are counted (characters: bytes that are not UTF-8
 * continuation bytes, as expat counts). Everything else asks expat. The
 * unit tests and fuzz_profile compare both against plain expat.
 */
static void
xml_where(struct xml_ctx *x, unsigned *line, unsigned *col)
{
	XML_Index off;
	const char *p, *e, *nl;

	if (x->fastpos) {
		off = XML_GetCurrentByteIndex(x->xp);
		if (off >= 0 && (size_t)off >= x->posoff && (size_t)off <= x->len) {
			p = x->data + x->posoff;
			e = x->data + off;
			while ((nl = memchr(p, '\n', (size_t)(e - p))) != NULL) {
				x->posline++;
				x->poscol = 1;
				p = nl + 1;
			}
			for (; p < e; p++)
				x->poscol += ((unsigned char)*p & 0xc0) != 0x80;
			x->posoff = (size_t)off;
			*line = x->posline;
			*col = x->poscol;
			return;
		}
		x->fastpos = 0;
	}
	*line = xml_line(x);
	*col = xml_col(x);
}

/* The declared encoding decides whether xml_where may count bytes. */
static void XMLCALL
xml_decl(void *arg, const XML_Char *version, const XML_Char *encoding,
	 int standalone)
{
	struct xml_ctx *x = arg;

	(void)version; (void)standalone;
	if (encoding != NULL && strcasecmp(encoding, "UTF-8") != 0 &&
	    strcasecmp(encoding, "US-ASCII") != 0)
		x->fastpos = 0;
}

/* Keeps the first error (already in the diag) and stops expat; expat may
 * still deliver a few events, which every handler ignores. */
static void
xml_stop(struct xml_ctx *x, enum prov_err rc)
{
	x->rc = rc;
	XML_StopParser(x->xp, XML_FALSE);
}

static void
xml_nomem(struct xml_ctx *x)
{
	xml_stop(x, diag_set(x->pc.d, PROV_E_NOMEM, 0, 0, "out of memory"));
}

/* "na", "ro", "rw" in any case; -1 otherwise. */
static int
xml_ua(const char *v)
{
	char a, b;

	if (v[0] == '\0' || v[1] == '\0' || v[2] != '\0')
		return -1;
	a = (char)(v[0] | 0x20);
	b = (char)(v[1] | 0x20);
	if (a == 'n' && b == 'a')
		return PROV_UA_NA;
	if (a == 'r' && b == 'o')
		return PROV_UA_RO;
	if (a == 'r' && b == 'w')
		return PROV_UA_RW;
	return -1;
}

/* A child element of <flat-profile>: opens a change (D-PRO-3). */
static void
xml_param(struct xml_ctx *x, const XML_Char *name, const XML_Char **atts)
{
	struct profile_change *c;
	size_t nlen = strlen(name);
	int ua = -1;

	if (nlen > BOUND_NAME_LEN) {
		xml_stop(x, diag_set(x->pc.d, PROV_E_SYNTAX, xml_line(x), xml_col(x),
				     "parameter name '%.*s...' longer than %u bytes",
				     PROFILE_NAME_SHOW, name, BOUND_NAME_LEN));
		return;
	}
	for (size_t i = 0; atts[i] != NULL; i += 2) {
		if (strcmp(atts[i], "ua") != 0)
			continue;
		ua = xml_ua(atts[i + 1]);
		if (ua < 0) {
			xml_stop(x, diag_set(x->pc.d, PROV_E_SYNTAX, xml_line(x),
					     xml_col(x), "bad ua value '%.*s' on '%.*s'",
					     PROFILE_NAME_SHOW, atts[i + 1],
					     PROFILE_NAME_SHOW, name));
			return;
		}
	}
	c = profile_add(x->pc.p);
	if (c == NULL || (c->name = profile_strdup(&x->pc, name, nlen)) == NULL) {
		xml_nomem(x);
		return;
	}
	c->ua = ua;
	xml_where(x, &c->line, &c->col);
	x->inparam = 1;
	x->hasatts = atts[0] != NULL;
	x->vlen = 0;
}

/*
 * Depth counts from <flat-profile> (level 1) once it is open, and from the
 * document's root before: wrappers around <flat-profile> do not take levels
 * from the parameters, and nothing nests deeper than PROV_PROFILE_MAX_DEPTH.
 */
static unsigned
xml_level(const struct xml_ctx *x)
{
	return x->fpdepth != 0 ? x->depth - x->fpdepth + 1 : x->depth;
}

static void XMLCALL
xml_start(void *arg, const XML_Char *name, const XML_Char **atts)
{
	struct xml_ctx *x = arg;

	if (x->rc != PROV_OK)
		return;
	x->depth++;
	if (++x->nelem > PROV_PROFILE_MAX_ELEMENTS) {
		xml_stop(x, diag_set(x->pc.d, PROV_E_TOOBIG, xml_line(x), xml_col(x),
				     "more than %u elements",
				     PROV_PROFILE_MAX_ELEMENTS));
		return;
	}
	if (xml_level(x) > PROV_PROFILE_MAX_DEPTH) {
		xml_stop(x, diag_set(x->pc.d, PROV_E_TOOBIG, xml_line(x), xml_col(x),
				     "elements nested deeper than %u levels",
				     PROV_PROFILE_MAX_DEPTH));
		return;
	}
	/* D-PRO-3a: an element that holds elements is a group, not a
	 * parameter: its change is dropped (its text too) and its leaves are
	 * taken as parameters. Its name stays in the arena, unused. */
	if (x->inparam) {
		x->pc.p->n--;
		x->inparam = 0;
	}
	if (x->fpdepth != 0)
		xml_param(x, name, atts);
	else if (strcmp(name, "flat-profile") == 0) {
		x->fpdepth = x->depth;
		x->seen = 1;
	}
}

static void XMLCALL
xml_end(void *arg, const XML_Char *name)
{
	struct xml_ctx *x = arg;
	struct profile_change *c;
	char *v;

	(void)name;
	if (x->rc != PROV_OK)
		return;
	/*
	 * D-PRO-2: expat reports no bytes for the end of a self-closing
	 * element. <X ua="rw"/> (any attribute) keeps the value and changes
	 * only the access; a bare <X/>, like <X></X>, sets "".
	 */
	if (x->inparam && x->vlen == 0 && XML_GetCurrentByteCount(x->xp) == 0 &&
	    x->hasatts) {
		/* value stays NULL: keep */
	} else if (x->inparam) {
		c = &x->pc.p->chg[x->pc.p->n - 1];
		v = profile_reserve(&x->pc, x->vlen, 0);
		if (v == NULL) {
			xml_nomem(x);
			return;
		}
		c->valuelen = profile_norm(v, x->vlen);
		c->value = profile_commit(&x->pc, c->valuelen);
	} else if (x->depth == x->fpdepth) {
		x->fpdepth = 0;
	}
	x->inparam = 0;
	x->depth--;
}

static void XMLCALL
xml_text(void *arg, const XML_Char *s, int len)
{
	struct xml_ctx *x = arg;
	char *v;

	if (!x->inparam || x->rc != PROV_OK)
		return;
	v = profile_reserve(&x->pc, x->vlen, (size_t)len);
	if (v == NULL) {
		xml_nomem(x);
		return;
	}
	memcpy(v + x->vlen, s, (size_t)len);
	x->vlen += (size_t)len;
}

/* D-PRO-7: no entity may be declared (billion laughs, XXE). */
static void XMLCALL
xml_entity_decl(void *arg, const XML_Char *name, int is_pe, const XML_Char *value,
		int value_len, const XML_Char *base, const XML_Char *sysid,
		const XML_Char *pubid, const XML_Char *notation)
{
	struct xml_ctx *x = arg;

	(void)name; (void)is_pe; (void)value; (void)value_len; (void)base;
	(void)sysid; (void)pubid; (void)notation;
	if (x->rc == PROV_OK)
		xml_stop(x, diag_set(x->pc.d, PROV_E_DENIED, xml_line(x), xml_col(x),
				     "entity declarations are not allowed"));
}

static void XMLCALL
xml_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
	    const XML_Char *pubid, int has_internal_subset)
{
	struct xml_ctx *x = arg;

	(void)name; (void)pubid; (void)has_internal_subset;
	if (x->rc == PROV_OK && sysid != NULL)
		xml_stop(x, diag_set(x->pc.d, PROV_E_DENIED, xml_line(x), xml_col(x),
				     "external DTD is not allowed"));
}

/* Only reached when the DTD could have declared the entity elsewhere. */
static void XMLCALL
xml_skipped(void *arg, const XML_Char *name, int is_pe)
{
	struct xml_ctx *x = arg;

	if (x->rc == PROV_OK)
		xml_stop(x, diag_set(x->pc.d, PROV_E_DENIED, xml_line(x), xml_col(x),
				     "undeclared entity '%s%.*s'", is_pe ? "%" : "",
				     PROFILE_NAME_SHOW, name));
}

static enum prov_err
xml_parse(struct pctx *pc, const char *data, size_t len)
{
	struct xml_ctx x;
	enum XML_Error e;
	enum prov_err rc;

	if (len > INT_MAX)
		return diag_set(pc->d, PROV_E_TOOBIG, 0, 0, "profile too big for expat");
	memset(&x, 0, sizeof(x));
	x.pc = *pc;
	x.rc = PROV_OK;
	x.data = data;
	x.len = len;
	x.posline = x.poscol = 1;
	/* UTF-8 unless expat sees UTF-16 ("<\0") or a declaration says
	 * otherwise (xml_decl); CR line ends are left to expat. */
	x.fastpos = !(len >= 2 && data[1] == '\0') &&
		    memchr(data, '\r', len) == NULL;
	x.xp = XML_ParserCreate(NULL);
	if (x.xp == NULL)
		return diag_set(pc->d, PROV_E_NOMEM, 0, 0, "out of memory");
	XML_SetUserData(x.xp, &x);
	XML_SetElementHandler(x.xp, xml_start, xml_end);
	XML_SetCharacterDataHandler(x.xp, xml_text);
	XML_SetEntityDeclHandler(x.xp, xml_entity_decl);
	XML_SetStartDoctypeDeclHandler(x.xp, xml_doctype);
	XML_SetSkippedEntityHandler(x.xp, xml_skipped);
	XML_SetXmlDeclHandler(x.xp, xml_decl);
	XML_SetParamEntityParsing(x.xp, XML_PARAM_ENTITY_PARSING_NEVER);
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 4)
	XML_SetBillionLaughsAttackProtectionMaximumAmplification(x.xp,
								 PROFILE_AMPLIFICATION);
	XML_SetBillionLaughsAttackProtectionActivationThreshold(x.xp,
								PROFILE_AMPLIFICATION_START);
#endif
	if (XML_Parse(x.xp, data, (int)len, XML_TRUE) == XML_STATUS_OK) {
		if (x.seen)
			rc = PROV_OK;
		else
			rc = diag_set(pc->d, PROV_E_SYNTAX, 1, 1,
				      "no <flat-profile> element");
	} else if (x.rc != PROV_OK) {
		rc = x.rc;
	} else {
		e = XML_GetErrorCode(x.xp);
		if (e == XML_ERROR_NO_MEMORY)
			rc = PROV_E_NOMEM;
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 4)
		else if (e == XML_ERROR_AMPLIFICATION_LIMIT_BREACH)
			rc = PROV_E_DENIED;
#endif
		else
			rc = PROV_E_SYNTAX;
		diag_set(pc->d, rc, xml_line(&x), xml_col(&x), "%s",
			 XML_ErrorString(e));
	}
	XML_ParserFree(x.xp);
	return rc;
}

/* ------------------------------------------------------------------------
 * Legacy text (D-PRO-6):  Name [!|?] "value" ;   # comment
 */
struct lx {
	struct pctx pc;
	const char *p, *end;
	const char *at;   /* position cache: at is line:col */
	unsigned line, col;
};

/* Moves the position cache to s (never backwards): lx->line, lx->col. */
static void
lx_where(struct lx *lx, const char *s)
{
	const char *q = lx->at;

	while (q < s) {
		unsigned char c = (unsigned char)*q++;

		if (c == '\n' || c == '\r') {
			if (c == '\r' && q < s && *q == '\n')
				q++;
			lx->line++;
			lx->col = 1;
		} else if ((c & 0xc0) != 0x80) {
			lx->col++;
		}
	}
	lx->at = q;
}

/* An error at s; a macro so that each format string stays a literal that
 * the compiler checks. */
#define LX_FAIL(lx, code, s, ...) \
	(lx_where((lx), (s)), \
	 diag_set((lx)->pc.d, (code), (lx)->line, (lx)->col, __VA_ARGS__))

/* Skips white space and comments. */
static void
lx_skip(struct lx *lx)
{
	const char *p = lx->p;

	while (p < lx->end) {
		if (profile_space((unsigned char)*p)) {
			p++;
		} else if (*p == '#') {
			while (p < lx->end && *p != '\n' && *p != '\r')
				p++;
		} else {
			break;
		}
	}
	lx->p = p;
}

static int
lx_namechar(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Length of the valid UTF-8 prefix of s[0..n) without NUL bytes. */
static size_t
lx_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t k;
		unsigned min, cp;

		if (c >= 0x01 && c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1; min = 0x80; cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2; min = 0x800; cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3; min = 0x10000; cp = c & 0x07;
		} else {
			return i;
		}
		if (n - i <= k)
			return i;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += k + 1;
	}
	return i;
}

/* Name or Name[N] -> the name, with [N] written as _N_ (N = 1..99). */
static enum prov_err
lx_name(struct lx *lx, struct profile_change *c)
{
	const char *s = lx->p, *p = s;
	char buf[BOUND_NAME_LEN + 1];
	size_t n;

	while (p < lx->end && lx_namechar((unsigned char)*p))
		p++;
	n = (size_t)(p - s);
	if (n > BOUND_NAME_LEN)
		return LX_FAIL(lx, PROV_E_SYNTAX, s, "parameter name '%.*s...' "
			       "longer than %u bytes", PROFILE_NAME_SHOW, s,
			       BOUND_NAME_LEN);
	memcpy(buf, s, n);
	if (p < lx->end && *p == '[') {
		const char *q = p + 1;
		unsigned idx = 0;

		while (q < lx->end && *q >= '0' && *q <= '9' && q - p <= 3)
			idx = idx * 10 + (unsigned)(*q++ - '0');
		if (q == p + 1 || q - p > 3 || p[1] == '0' || q == lx->end ||
		    *q != ']')
			return LX_FAIL(lx, PROV_E_SYNTAX, p, "bad index after "
				       "'%.*s' (want [1] to [99])",
				       (int)(n < PROFILE_NAME_SHOW ? n : PROFILE_NAME_SHOW),
				       s);
		if (n + (size_t)(q - p) + 1 > BOUND_NAME_LEN)
			return LX_FAIL(lx, PROV_E_SYNTAX, s, "parameter name "
				       "'%.*s...' longer than %u bytes",
				       PROFILE_NAME_SHOW, s, BOUND_NAME_LEN);
		buf[n++] = '_';
		memcpy(buf + n, p + 1, (size_t)(q - p - 1));
		n += (size_t)(q - p - 1);
		buf[n++] = '_';
		p = q + 1;
	}
	c->name = profile_strdup(&lx->pc, buf, n);
	if (c->name == NULL)
		return diag_set(lx->pc.d, PROV_E_NOMEM, 0, 0, "out of memory");
	lx->p = p;
	return PROV_OK;
}

/* The quoted value at lx->p ('"'), unescaped and normalised. */
static enum prov_err
lx_value(struct lx *lx, struct profile_change *c)
{
	const char *q = lx->p, *s = q + 1, *e;
	size_t raw, ok, n = 0;
	char *v;

	for (e = s; e < lx->end && *e != '"'; e++)
		if (*e == '\\' && e + 1 < lx->end)
			e++;
	if (e >= lx->end)
		return LX_FAIL(lx, PROV_E_SYNTAX, q, "unterminated string");
	raw = (size_t)(e - s);
	ok = lx_utf8((const unsigned char *)s, raw);
	if (ok < raw)
		return LX_FAIL(lx, PROV_E_SYNTAX, s + ok, "%s", s[ok] == '\0' ?
			       "NUL byte in value" : "value is not valid UTF-8");
	v = profile_reserve(&lx->pc, 0, raw);
	if (v == NULL)
		return diag_set(lx->pc.d, PROV_E_NOMEM, 0, 0, "out of memory");
	for (const char *p = s; p < e; p++) {
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		v[n++] = *p;
	}
	c->valuelen = profile_norm(v, n);
	c->value = profile_commit(&lx->pc, c->valuelen);
	lx->p = e + 1;
	return PROV_OK;
}

static enum prov_err
lx_parse(struct pctx *pc, const char *data, size_t len)
{
	struct lx lx;
	enum prov_err rc;

	lx.pc = *pc;
	lx.p = lx.at = data;
	lx.end = data + len;
	lx.line = lx.col = 1;
	for (;;) {
		struct profile_change *c;
		const char *start;
		int namelen;

		lx_skip(&lx);
		if (lx.p == lx.end)
			return PROV_OK;
		start = lx.p;
		if (!lx_namechar((unsigned char)*start))
			return LX_FAIL(&lx, PROV_E_SYNTAX, start,
				       "expected a parameter name");
		if (pc->p->n >= PROV_PROFILE_MAX_ELEMENTS)
			return LX_FAIL(&lx, PROV_E_TOOBIG, start,
				       "more than %u parameters",
				       PROV_PROFILE_MAX_ELEMENTS);
		c = profile_add(pc->p);
		if (c == NULL)
			return diag_set(pc->d, PROV_E_NOMEM, 0, 0, "out of memory");
		lx_where(&lx, start);
		c->line = lx.line;
		c->col = lx.col;
		c->ua = PROV_UA_NA;
		if ((rc = lx_name(&lx, c)) != PROV_OK)
			return rc;
		namelen = (int)(lx.p - start);
		if (namelen > PROFILE_NAME_SHOW)
			namelen = PROFILE_NAME_SHOW;
		lx_skip(&lx);
		if (lx.p < lx.end && (*lx.p == '!' || *lx.p == '?')) {
			c->ua = *lx.p == '!' ? PROV_UA_RW : PROV_UA_RO;
			lx.p++;
			lx_skip(&lx);
		}
		if (lx.p == lx.end || *lx.p != '"')
			return LX_FAIL(&lx, PROV_E_SYNTAX, lx.p,
				       "expected '\"' after '%.*s'", namelen, start);
		if ((rc = lx_value(&lx, c)) != PROV_OK)
			return rc;
		lx_skip(&lx);
		if (lx.p == lx.end || *lx.p != ';')
			return LX_FAIL(&lx, PROV_E_SYNTAX, lx.p, "missing ';'");
		lx.p++;
	}
}

/* ------------------------------------------------------------------------
 * Entry points
 */
enum prov_err
profile_parse(const char *data, size_t len, size_t maxsize,
	      struct prov_profile **out, struct diag *d)
{
	struct prov_profile *p = NULL;
	struct pctx pc;
	enum prov_err rc;
	size_t skip = 0, i;

	if (out == NULL || (data == NULL && len > 0))
		return diag_set(d, PROV_E_INVAL, 0, 0, "bad arguments");
	*out = NULL;
	if (data == NULL)
		data = "";
	if (maxsize == 0)
		maxsize = PROV_PROFILE_MAX;
	if (len > maxsize)
		return diag_set(d, PROV_E_TOOBIG, 0, 0, "profile is %zu bytes, "
				"over the limit of %zu", len, maxsize);
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
	pc.p = p;
	pc.d = d;
	pc.hint = len + 1;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		skip = 3;
	for (i = skip; i < len && profile_space((unsigned char)data[i]); i++)
		;
	if (i < len && data[i] == '<') {
		p->format = PROFILE_XML;
		rc = xml_parse(&pc, data + skip, len - skip);
	} else {
		p->format = PROFILE_LEGACY;
		rc = lx_parse(&pc, data + skip, len - skip);
	}
	if (rc != PROV_OK)
		goto out;
	*out = p;
	p = NULL;
out:
	prov_profile_free(p);
	return rc;
}

enum prov_err
prov_profile_parse(const char *name, const char *data, size_t len,
		   size_t maxsize, struct prov_profile **out, char *msg,
		   size_t msglen)
{
	struct diag d;
	enum prov_err rc;

	diag_init(&d);
	rc = profile_parse(data, len, maxsize, out, &d);
	if (msg != NULL && msglen > 0) {
		if (rc == PROV_OK)
			msg[0] = '\0';
		else
			diag_format(&d, name != NULL ? name : "profile", msg, msglen);
	}
	return rc;
}

void
prov_profile_free(struct prov_profile *p)
{
	if (p == NULL)
		return;
	profile_arena_free(p->arena);
	free(p->chg);
	free(p);
}

size_t
prov_profile_count(const struct prov_profile *p)
{
	return p != NULL ? p->n : 0;
}

enum prov_err
prov_profile_entry(const struct prov_profile *p, size_t i, const char **name,
		   const char **value, unsigned *line)
{
	if (p == NULL || i >= p->n)
		return PROV_E_INVAL;
	*name = p->chg[i].name;
	*value = p->chg[i].value;
	if (line != NULL)
		*line = p->chg[i].line;
	return PROV_OK;
}
