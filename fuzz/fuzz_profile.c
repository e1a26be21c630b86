/*
 * Fuzz target: profile_parse on arbitrary bytes (device.md D-PRO-1..7).
 * Both formats, since detection is by content. Besides memory errors it
 * checks the contract of profile.h on every result, and that an XML
 * change set written back out as XML parses to the same changes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "bounds.h"
#include "buf.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "check failed: %s\n", #x); \
	abort(); } } while (0)

static int
fz_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], k, cp;

		if (c < 0x80) { i++; continue; }
		if (c >= 0xc2 && c <= 0xdf) { k = 1; cp = c & 0x1f; }
		else if (c >= 0xe0 && c <= 0xef) { k = 2; cp = c & 0x0f; }
		else if (c >= 0xf0 && c <= 0xf4) { k = 3; cp = c & 0x07; }
		else return 0;
		if (n - i <= k)
			return 0;
		for (unsigned j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

static void
fz_check(const struct prov_profile *p)
{
	CHECK(p->n <= PROV_PROFILE_MAX_ELEMENTS);
	for (size_t i = 0; i < p->n; i++) {
		const struct profile_change *c = &p->chg[i];
		size_t nl;

		CHECK(c->name != NULL);
		nl = strlen(c->name);
		CHECK(nl > 0 && nl <= BOUND_NAME_LEN);
		CHECK(fz_utf8((const unsigned char *)c->name, nl));
		CHECK(c->ua >= -1 && c->ua <= PROV_UA_RW);
		CHECK(c->line >= 1 && c->col >= 1);
		if (i > 0)
			CHECK(c->line > p->chg[i - 1].line ||
			      (c->line == p->chg[i - 1].line && c->col > p->chg[i - 1].col));
		if (c->value == NULL) {
			CHECK(c->valuelen == 0);
			CHECK(p->format == PROFILE_XML);
			continue;
		}
		CHECK(strlen(c->value) == c->valuelen);
		CHECK(fz_utf8((const unsigned char *)c->value, c->valuelen));
		CHECK(memchr(c->value, '\n', c->valuelen) == NULL);
		CHECK(memchr(c->value, '\r', c->valuelen) == NULL);
		if (c->valuelen > 0) {
			CHECK(c->value[0] != ' ' && c->value[0] != '\t');
			CHECK(c->value[c->valuelen - 1] != ' ' &&
			      c->value[c->valuelen - 1] != '\t');
		}
		if (p->format == PROFILE_LEGACY)
			CHECK(c->ua >= PROV_UA_NA);
	}
}

/* Plain expat's line and column of every start tag: each change must be at
 * one of them, in order (profile.c counts positions itself when it can). */
struct fz_tags {
	XML_Parser xp;
	unsigned *line, *col;
	size_t n;
};

static void XMLCALL
fz_tag(void *arg, const XML_Char *name, const XML_Char **atts)
{
	struct fz_tags *t = arg;

	(void)name; (void)atts;
	if (t->n < PROV_PROFILE_MAX_ELEMENTS) {
		t->line[t->n] = (unsigned)XML_GetCurrentLineNumber(t->xp);
		t->col[t->n] = (unsigned)XML_GetCurrentColumnNumber(t->xp) + 1;
		t->n++;
	}
}

static void
fz_positions(const struct prov_profile *p, const uint8_t *data, size_t size)
{
	struct fz_tags t;
	size_t j = 0;

	if (size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		size -= 3;
	}
	t.n = 0;
	t.line = malloc(PROV_PROFILE_MAX_ELEMENTS * sizeof(unsigned));
	t.col = malloc(PROV_PROFILE_MAX_ELEMENTS * sizeof(unsigned));
	t.xp = XML_ParserCreate(NULL);
	CHECK(t.line != NULL && t.col != NULL && t.xp != NULL);
	XML_SetUserData(t.xp, &t);
	XML_SetStartElementHandler(t.xp, fz_tag);
	CHECK(XML_Parse(t.xp, (const char *)data, (int)size, 1) == XML_STATUS_OK);
	for (size_t i = 0; i < p->n; i++) {
		while (j < t.n && (t.line[j] != p->chg[i].line || t.col[j] != p->chg[i].col))
			j++;
		if (j == t.n)
			fprintf(stderr, "change %zu at %u:%u is no start tag\n", i,
				p->chg[i].line, p->chg[i].col);
		CHECK(j < t.n);
		j++;
	}
	XML_ParserFree(t.xp);
	free(t.line);
	free(t.col);
}

/* Writes an XML change set back as XML. */
static int
fz_xml(const struct prov_profile *p, struct buf *b)
{
	static const char *const ua[] = { "na", "ro", "rw" };

	if (buf_adds(b, "<flat-profile>") != PROV_OK)
		return -1;
	for (size_t i = 0; i < p->n; i++) {
		const struct profile_change *c = &p->chg[i];

		if (buf_addf(b, "<%s", c->name) != PROV_OK ||
		    (c->ua >= 0 && buf_addf(b, " ua=\"%s\"", ua[c->ua]) != PROV_OK))
			return -1;
		if (c->value == NULL) {
			/* keeping the value takes an attribute (D-PRO-2): a
			 * bare <X/> would set "" */
			if ((c->ua < 0 && buf_adds(b, " keep=\"\"") != PROV_OK) ||
			    buf_adds(b, "/>\n") != PROV_OK)
				return -1;
			continue;
		}
		if (buf_addc(b, '>') != PROV_OK)
			return -1;
		for (size_t j = 0; j < c->valuelen; j++) {
			char ch = c->value[j];
			enum prov_err rc;

			if (ch == '&')
				rc = buf_adds(b, "&amp;");
			else if (ch == '<')
				rc = buf_adds(b, "&lt;");
			else if (ch == '>')
				rc = buf_adds(b, "&gt;");
			else
				rc = buf_addc(b, ch);
			if (rc != PROV_OK)
				return -1;
		}
		if (buf_addf(b, "</%s>\n", c->name) != PROV_OK)
			return -1;
	}
	return buf_adds(b, "</flat-profile>") == PROV_OK ? 0 : -1;
}

static void
fz_same(const struct prov_profile *a, const struct prov_profile *b)
{
	CHECK(a->n == b->n);
	for (size_t i = 0; i < a->n; i++) {
		CHECK(strcmp(a->chg[i].name, b->chg[i].name) == 0);
		CHECK(a->chg[i].ua == b->chg[i].ua);
		CHECK((a->chg[i].value == NULL) == (b->chg[i].value == NULL));
		if (a->chg[i].value != NULL) {
			CHECK(a->chg[i].valuelen == b->chg[i].valuelen);
			CHECK(memcmp(a->chg[i].value, b->chg[i].value,
				     a->chg[i].valuelen) == 0);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prov_profile *p = (struct prov_profile *)1, *q = NULL;
	struct diag d;
	struct buf b;
	enum prov_err rc;
	char msg[64];

	diag_init(&d);
	rc = profile_parse((const char *)data, size, 0, &p, &d);
	if (rc != PROV_OK) {
		CHECK(p == NULL);
		CHECK(d.code == rc && d.msg[0] != '\0');
		CHECK(rc == PROV_E_SYNTAX || rc == PROV_E_TOOBIG ||
		      rc == PROV_E_DENIED || rc == PROV_E_NOMEM);
		CHECK(prov_profile_parse("f", (const char *)data, size, 0, &q, msg,
					 sizeof(msg)) == rc);
		CHECK(q == NULL && strncmp(msg, "f:", 2) == 0);
		return 0;
	}
	fz_check(p);
	if (p->format == PROFILE_XML) {
		fz_positions(p, data, size);
		buf_init(&b, 4 * (size_t)PROV_PROFILE_MAX);
		if (fz_xml(p, &b) == 0) {
			diag_init(&d);
			rc = profile_parse(b.p, b.len, b.len, &q, &d);
			if (rc != PROV_OK)
				fprintf(stderr, "reparse: %u:%u: %s\n%s\n", d.line,
					d.col, d.msg, b.p);
			CHECK(rc == PROV_OK);
			fz_same(p, q);
			prov_profile_free(q);
		}
		buf_free(&b);
	}
	prov_profile_free(p);
	return 0;
}
