/*
 * Condition cases (tests/cases/cond/NNNN, device.md D-CND-1..3).
 *
 * Condition mode: @@ input is evaluated with the @@ vars; @@ expect holds
 * `true` or `false`, or @@ error the failure as "LINE:COL: message" (both
 * compared by case_check). Each case also checks that cond_check agrees:
 * it passes a valid condition and reports the same syntax error as
 * cond_eval.
 *
 * Version mode: @@ version holds two lines A and B; @@ expect holds `<`,
 * `=` or `>` for cond_version_cmp(A, B). The reverse comparison is checked
 * to give the opposite answer.
 */
#include "case.h"

#include <string.h>

#include "cond.h"

static const char *
case_cond_sign(int c)
{
	return c < 0 ? "<" : c > 0 ? ">" : "=";
}

static int
case_cond_version(struct case_file *cf, const char *v, size_t len)
{
	const char *nl = memchr(v, '\n', len);
	const char *b;
	size_t alen, blen;
	int ab, ba;

	if (nl == NULL)
		return case_fail(cf, "@@ version needs two lines");
	alen = (size_t)(nl - v);
	b = nl + 1;
	blen = len - alen - 1;
	ab = cond_version_cmp(v, alen, b, blen);
	ba = cond_version_cmp(b, blen, v, alen);
	if ((ab > 0) - (ab < 0) != (ba < 0) - (ba > 0))
		return case_fail(cf, "not antisymmetric: A %s B but B %s A",
				 case_cond_sign(ab), case_cond_sign(ba));
	return case_expect(cf, "expect", case_cond_sign(ab), 1);
}

int
case_run_cond(struct case_file *cf)
{
	const char *in;
	size_t len;
	struct diag d, dc;
	char msg[CASE_DIAG_MAX], cmsg[CASE_DIAG_MAX];
	enum prov_err rc, crc;
	int result = 0;

	if ((in = case_section(cf, "version", &len)) != NULL)
		return case_cond_version(cf, in, len);
	if ((in = case_section(cf, "input", &len)) == NULL)
		return case_fail(cf, "no @@ input or @@ version section");
	diag_init(&d);
	diag_init(&dc);
	rc = cond_eval(in, len, case_vars(cf), &result, &d);
	crc = cond_check(in, len, &dc);
	case_diag_format(&d, 0, msg, sizeof(msg));
	case_diag_format(&dc, 0, cmsg, sizeof(cmsg));
	if (rc == PROV_OK && crc != PROV_OK)
		return case_fail(cf, "cond_check fails a valid condition: %s", cmsg);
	if (rc == PROV_E_SYNTAX && (crc != rc || strcmp(msg, cmsg) != 0))
		return case_fail(cf, "cond_check disagrees: '%s' vs '%s'", cmsg, msg);
	return case_check(cf, rc, &d, 0, result ? "true" : "false",
			  result ? 4 : 5);
}
