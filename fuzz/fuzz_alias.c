/*
 * Fuzz target: alias_parse and alias_profile (device.md D-RUL-3, D-PRO-7).
 * The input is MAP NUL DOCUMENT (no NUL: all of it is the map, and the
 * document is a fixed sample). Besides memory errors it checks the
 * contract of alias.h on every map and change set, and one oracle: through
 * an empty map, a document gives exactly what profile_parse gives (same
 * success, same changes and positions).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alias.h"
#include "bounds.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "check failed: %s\n", #x); \
	abort(); } } while (0)

#define FZ_MAXSIZE (256u * 1024u) /* document cap: keeps each run fast */

static const char fz_sample[] =
	"<?xml version=\"1.0\"?>\n<customer-account>\n"
	"  <SIP-number>4085551234</SIP-number>\n  <a><b>x &amp; y</b></a>\n"
	"  <flat-profile><GPP_A ua=\"rw\">1</GPP_A><GPP_B/></flat-profile>\n"
	"</customer-account>\n";

static int
fz_namechar(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static void
fz_check_map(const struct alias_map *m)
{
	CHECK(m->n <= ALIAS_MAX_ENTRIES);
	for (size_t i = 0; i < m->n; i++) {
		const struct alias_entry *e = &m->e[i];
		size_t nl = strlen(e->name);

		CHECK(e->ncomp >= 1 && e->ncomp <= ALIAS_MAX_COMPONENTS);
		for (unsigned k = 0; k < e->ncomp; k++) {
			size_t cl = strlen(e->comp[k]);

			CHECK(cl >= 1 && cl <= BOUND_NAME_LEN);
			CHECK(strpbrk(e->comp[k], "/=; \t\r\n") == NULL);
			CHECK(e->comp[k] >= m->pool && e->comp[k] < m->pool + sizeof(m->pool));
		}
		CHECK(nl >= 1 && nl <= BOUND_NAME_LEN);
		for (size_t k = 0; k < nl; k++)
			CHECK(fz_namechar((unsigned char)e->name[k]));
	}
}

static void
fz_check_profile(const struct prov_profile *p)
{
	CHECK(p->n < PROV_PROFILE_MAX_ELEMENTS);
	for (size_t i = 0; i < p->n; i++) {
		const struct profile_change *c = &p->chg[i];
		size_t nl;

		CHECK(c->name != NULL);
		nl = strlen(c->name);
		CHECK(nl > 0 && nl <= BOUND_NAME_LEN);
		CHECK(c->ua >= -1 && c->ua <= PROV_UA_RW);
		CHECK(c->line >= 1 && c->col >= 1);
		if (c->value == NULL) {
			CHECK(c->valuelen == 0);
			continue;
		}
		CHECK(strlen(c->value) == c->valuelen);
		CHECK(memchr(c->value, '\n', c->valuelen) == NULL);
		CHECK(memchr(c->value, '\r', c->valuelen) == NULL);
	}
}

/* Through an empty map a document is a plain profile. */
static void
fz_oracle(const char *doc, size_t len)
{
	struct alias_map *empty = NULL;
	struct prov_profile *a = NULL, *b = NULL;
	struct diag d;
	enum prov_err ra, rb;

	diag_init(&d);
	CHECK(alias_parse("", 0, &empty, &d) == PROV_OK);
	ra = alias_profile(empty, doc, len, FZ_MAXSIZE, &a, &d);
	rb = profile_parse(doc, len, FZ_MAXSIZE, &b, &d);
	CHECK((ra == PROV_OK) == (rb == PROV_OK));
	if (ra == PROV_OK) {
		CHECK(a->n == b->n);
		for (size_t i = 0; i < a->n; i++) {
			const struct profile_change *x = &a->chg[i], *y = &b->chg[i];

			CHECK(strcmp(x->name, y->name) == 0);
			CHECK(x->ua == y->ua);
			CHECK(x->line == y->line && x->col == y->col);
			CHECK((x->value == NULL) == (y->value == NULL));
			if (x->value != NULL)
				CHECK(x->valuelen == y->valuelen &&
				      memcmp(x->value, y->value, x->valuelen) == 0);
		}
	}
	prov_profile_free(a);
	prov_profile_free(b);
	alias_map_free(empty);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *nul = memchr(in, '\0', size);
	size_t maplen = nul != NULL ? (size_t)(nul - in) : size;
	const char *doc = nul != NULL ? nul + 1 : fz_sample;
	size_t doclen = nul != NULL ? size - maplen - 1 : sizeof(fz_sample) - 1;
	struct alias_map *m = NULL;
	struct prov_profile *p = NULL;
	struct diag d;

	diag_init(&d);
	if (alias_parse(in, maplen, &m, &d) != PROV_OK) {
		CHECK(m == NULL);
		CHECK(d.msg[0] != '\0');
	} else {
		fz_check_map(m);
		if (alias_profile(m, doc, doclen, FZ_MAXSIZE, &p, &d) == PROV_OK)
			fz_check_profile(p);
		else
			CHECK(p == NULL && d.msg[0] != '\0');
		prov_profile_free(p);
		alias_map_free(m);
	}
	if (nul != NULL)
		fz_oracle(doc, doclen);
	return 0;
}
