/*
 * libFuzzer target: cond_eval, cond_check and cond_version_cmp (device.md
 * D-CND-1..3; reliability.md R-FUZZ). The whole input is a condition,
 * evaluated against a fixed variable set (one value looks like a condition,
 * one is long enough to hit BOUND_MACRO_OUT, one lookup fails) and checked.
 * Then the input is cut at NUL or newline bytes into up to three versions
 * a, b, c. Besides ASan/UBSan, the invariants below abort on violation:
 *  - cond_check passes what cond_eval evaluates, cond_eval fails what
 *    cond_check rejects, and they report the same syntax error;
 *  - a failed evaluation leaves *result 0 and a place within the text;
 *  - cond_version_cmp is reflexive, antisymmetric and transitive.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "cond.h"

#define FUZZ_BIG 20000 /* length of $BIG: four of them exceed BOUND_MACRO_OUT */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_pairs[] = {
	"A", "5",
	"B", "-3",
	"V", "sip88xx.11-3-1MPP-123",
	"HW", "1.0.31(a)",
	"S", "hello world",
	"Q", "1 and 1 eq 2 \"",
	"D", "$A",
	"E", "",
	NULL,
};

static int
fuzz_lookup(void *arg, const char *name, size_t n, unsigned flags, struct buf *out)
{
	enum prov_err rc = PROV_OK;

	(void)arg;
	(void)flags;
	if (n == 4 && memcmp(name, "FAIL", 4) == 0)
		return -(int)PROV_E_IO;
	if (n == 3 && memcmp(name, "BIG", 3) == 0) {
		static char big[FUZZ_BIG];

		if (big[0] == '\0')
			memset(big, 'x', sizeof(big));
		rc = buf_add(out, big, sizeof(big));
		return rc == PROV_OK ? 1 : -(int)rc;
	}
	for (const char *const *p = fuzz_pairs; *p != NULL; p += 2) {
		if (strlen(p[0]) == n && memcmp(p[0], name, n) == 0) {
			rc = buf_adds(out, p[1]);
			return rc == PROV_OK ? 1 : -(int)rc;
		}
	}
	return 0;
}

static int
fuzz_sign(int c)
{
	return (c > 0) - (c < 0);
}

static int
fuzz_vcmp(const char *a, size_t an, const char *b, size_t bn)
{
	return fuzz_sign(cond_version_cmp(a, an, b, bn));
}

/* The next version of data[*i..size), cut at NUL or newline. */
static void
fuzz_cut(const char *s, size_t size, size_t *i, const char **v, size_t *n)
{
	size_t k = *i;

	*v = s + k;
	while (k < size && s[k] != '\0' && s[k] != '\n')
		k++;
	*n = k - *i;
	*i = k < size ? k + 1 : k;
}

static void
fuzz_versions(const char *s, size_t size)
{
	const char *v[3];
	size_t n[3], i = 0;
	int ab, bc, ac;

	for (int k = 0; k < 3; k++)
		fuzz_cut(s, size, &i, &v[k], &n[k]);
	for (int k = 0; k < 3; k++) {
		if (fuzz_vcmp(v[k], n[k], v[k], n[k]) != 0)
			abort();
	}
	ab = fuzz_vcmp(v[0], n[0], v[1], n[1]);
	bc = fuzz_vcmp(v[1], n[1], v[2], n[2]);
	ac = fuzz_vcmp(v[0], n[0], v[2], n[2]);
	if (ab != -fuzz_vcmp(v[1], n[1], v[0], n[0]))
		abort();
	if (ab <= 0 && bc <= 0 && ac > 0)
		abort();
	if (ab >= 0 && bc >= 0 && ac < 0)
		abort();
	if (ab == 0 && bc == 0 && ac != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct macro_vars vars = { fuzz_lookup, NULL };
	const char *text = (const char *)data;
	struct diag de, dc;
	enum prov_err re, rc;
	int result = -1;

	diag_init(&de);
	diag_init(&dc);
	re = cond_eval(text, size, &vars, &result, &de);
	rc = cond_check(text, size, &dc);
	if (re == PROV_OK && (rc != PROV_OK || (result != 0 && result != 1)))
		abort();
	if (re != PROV_OK && (result != 0 || de.code != re))
		abort();
	if (rc != PROV_OK && re == PROV_OK)
		abort();
	if (re == PROV_E_SYNTAX &&
	    (rc != PROV_E_SYNTAX || dc.col != de.col || strcmp(dc.msg, de.msg) != 0))
		abort();
	if (rc == PROV_E_SYNTAX && (dc.line != 1 || dc.col < 1 || dc.col > size + 1))
		abort();
	fuzz_versions(text, size);
	return 0;
}
