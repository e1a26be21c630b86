/*
 * libFuzzer target: macro_expand and macro_present (device.md D-MAC-1,
 * D-MAC-2; reliability.md R-FUZZ). The input is the text. It is expanded
 * with a fixed variable set (one value holds macro references, one is a
 * secret, one lookup fails) and with none, with and without MACRO_SECRETS,
 * under a large and a small cap. Besides ASan/UBSan, the invariants below
 * abort on violation:
 *  - syntax does not depend on values: with or without variables the same
 *    text fails at the same place with the same message;
 *  - without variables the result is never longer than the text, and a
 *    text without references (macro_present) only turns "$$" into "$";
 *  - under a small cap the result is the full one or a prefix of it;
 *  - without MACRO_SECRETS the secret's marker byte never appears in the
 *    result unless the text had it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "macro.h"

#define FUZZ_SMALL_CAP 16 /* the cap of the second expansion */
#define FUZZ_SECRET '\x01' /* only the secret's value holds this byte */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_pairs[] = {
	"MA", "000e08abcdef",
	"MAC", "00:0e:08:ab:cd:ef",
	"PN", "CP-8841-3PCC",
	"A", "alpha",
	"B", "$A $(A:1) $$ $(A",
	"E", "",
	"SA", "\x01s3cr3t\x01",
	"L", "0123456789012345678901234567890123456789012345678901234567890123"
	     "4567890123456789012345678901234567890123456789012345678901234567",
	NULL,
};

static int
fuzz_lookup(void *arg, const char *name, size_t n, unsigned flags, struct buf *out)
{
	enum prov_err rc;

	(void)arg;
	if (n == 4 && memcmp(name, "FAIL", 4) == 0)
		return -(int)PROV_E_IO;
	if (n == 2 && name[0] == 'S' && name[1] >= 'A' && name[1] <= 'D' &&
	    !(flags & MACRO_SECRETS))
		return 0;
	for (const char *const *p = fuzz_pairs; *p != NULL; p += 2) {
		if (strlen(p[0]) == n && memcmp(p[0], name, n) == 0) {
			rc = buf_adds(out, p[1]);
			return rc == PROV_OK ? 1 : -(int)rc;
		}
	}
	return 0;
}

static int
fuzz_samediag(const struct diag *a, const struct diag *b)
{
	return a->line == b->line && a->col == b->col && strcmp(a->msg, b->msg) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct macro_vars vars = { fuzz_lookup, NULL };
	const char *text = (const char *)data;
	struct buf full, none, small;
	struct diag dfull, dnone, dsmall;
	enum prov_err rfull, rnone, rsmall;
	int present;

	if (size > BOUND_MACRO_OUT)
		size = BOUND_MACRO_OUT; /* so the text always fits, unexpanded */
	present = macro_present(text, size);
	buf_init(&full, BOUND_MACRO_OUT);
	buf_init(&none, BOUND_MACRO_OUT);
	buf_init(&small, FUZZ_SMALL_CAP);
	diag_init(&dfull);
	diag_init(&dnone);
	diag_init(&dsmall);
	rnone = macro_expand(text, size, NULL, 0, &none, &dnone);
	if (rnone != PROV_OK && rnone != PROV_E_SYNTAX)
		abort();
	if (rnone == PROV_OK && none.len > size)
		abort();
	if (!present) {
		size_t k = 0;

		if (rnone != PROV_OK)
			abort();
		for (size_t i = 0; i < size; i++, k++) {
			if (text[i] == '$' && i + 1 < size && text[i + 1] == '$')
				i++;
			if (k >= none.len || none.p[k] != text[i])
				abort();
		}
		if (k != none.len)
			abort();
	}

	for (unsigned flags = 0; flags <= MACRO_SECRETS; flags += MACRO_SECRETS) {
		buf_reset(&full);
		buf_reset(&small);
		rfull = macro_expand(text, size, &vars, flags, &full, &dfull);
		rsmall = macro_expand(text, size, &vars, flags, &small, &dsmall);
		if (rfull == PROV_E_SYNTAX &&
		    (rnone != PROV_E_SYNTAX || !fuzz_samediag(&dfull, &dnone)))
			abort();
		if (rnone == PROV_E_SYNTAX && rfull == PROV_OK)
			abort();
		if (!present && (rfull != PROV_OK || full.len != none.len ||
				 memcmp(buf_str(&full), buf_str(&none), none.len) != 0))
			abort();
		if (rfull == PROV_OK) {
			if (small.len > full.len ||
			    memcmp(buf_str(&small), buf_str(&full), small.len) != 0)
				abort();
			if (rsmall != (full.len <= FUZZ_SMALL_CAP ? PROV_OK : PROV_E_TOOBIG))
				abort();
			if (!(flags & MACRO_SECRETS) &&
			    memchr(text, FUZZ_SECRET, size) == NULL &&
			    memchr(buf_str(&full), FUZZ_SECRET, full.len) != NULL)
				abort();
		}
		if (rfull != PROV_OK && dfull.code != rfull)
			abort();
	}
	buf_free(&small);
	buf_free(&none);
	buf_free(&full);
	return 0;
}
