/*
 * Fuzz target: the legacy text format of profile_parse (device.md D-PRO-6).
 * Every input gets a "#\n" comment line in front, so detection always picks
 * the legacy parser whatever the bytes are. A parsed change set is written
 * back as legacy text, parsed again and compared.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "buf.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "check failed: %s\n", #x); \
	abort(); } } while (0)

/* Writes a change set back as legacy text. */
static int
fzt_text(const struct prov_profile *p, struct buf *b)
{
	static const char *const mark[] = { "", " !", " ?" };
	static const int ua2mark[] = { 0, 2, 1 }; /* na, ro ('?'), rw ('!') */

	for (size_t i = 0; i < p->n; i++) {
		const struct profile_change *c = &p->chg[i];

		if (buf_addf(b, "%s%s \"", c->name, mark[ua2mark[c->ua]]) != PROV_OK)
			return -1;
		for (size_t j = 0; j < c->valuelen; j++) {
			char ch = c->value[j];

			if ((ch == '"' || ch == '\\') && buf_addc(b, '\\') != PROV_OK)
				return -1;
			if (buf_addc(b, ch) != PROV_OK)
				return -1;
		}
		if (buf_adds(b, "\" ;\n") != PROV_OK)
			return -1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prov_profile *p = NULL, *q = NULL;
	struct diag d;
	struct buf in, out;
	enum prov_err rc;

	buf_init(&in, (size_t)PROV_PROFILE_MAX);
	buf_init(&out, 2 * (size_t)PROV_PROFILE_MAX);
	if (buf_add(&in, "#\n", 2) != PROV_OK || buf_add(&in, data, size) != PROV_OK)
		goto out;
	diag_init(&d);
	rc = profile_parse(in.p, in.len, 0, &p, &d);
	if (rc != PROV_OK) {
		CHECK(p == NULL);
		CHECK(d.msg[0] != '\0');
		CHECK(rc == PROV_E_SYNTAX || rc == PROV_E_TOOBIG || rc == PROV_E_NOMEM);
		CHECK(rc == PROV_E_NOMEM || d.line >= 2);
		goto out;
	}
	CHECK(p->format == PROFILE_LEGACY);
	for (size_t i = 0; i < p->n; i++) {
		const struct profile_change *c = &p->chg[i];

		CHECK(c->value != NULL && strlen(c->value) == c->valuelen);
		CHECK(c->ua >= PROV_UA_NA && c->ua <= PROV_UA_RW);
		CHECK(strlen(c->name) <= BOUND_NAME_LEN && c->line >= 2);
		CHECK(strspn(c->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			     "0123456789_.-") == strlen(c->name));
	}
	if (fzt_text(p, &out) != 0)
		goto out;
	diag_init(&d);
	rc = profile_parse(out.p, out.len, out.len, &q, &d);
	if (rc != PROV_OK)
		fprintf(stderr, "reparse: %u:%u: %s\n%s\n", d.line, d.col, d.msg,
			buf_str(&out));
	CHECK(rc == PROV_OK);
	CHECK(q->n == p->n);
	for (size_t i = 0; i < p->n; i++) {
		CHECK(strcmp(p->chg[i].name, q->chg[i].name) == 0);
		CHECK(p->chg[i].ua == q->chg[i].ua);
		CHECK(p->chg[i].valuelen == q->chg[i].valuelen);
		CHECK(memcmp(p->chg[i].value, q->chg[i].value, p->chg[i].valuelen) == 0);
	}
out:
	prov_profile_free(p);
	prov_profile_free(q);
	buf_free(&in);
	buf_free(&out);
	return 0;
}
