/*
 * Delay cases (tests/cases/delay/NNNN, device.md D-SCH-1, D-SCH-4, D-SCH-5).
 *
 * List mode: @@ input (the whole section) is parsed with delay_parse.
 * @@ expect holds one line per element, `BASE+RAND` (`60+0` when there is
 * no random part), or the single word `disabled` (n == 0). An optional @@ at
 * section holds lines `I RANDOM`; for each, a line `at I RANDOM: SECS`, or
 * `at I RANDOM: stop` when delay_at refuses, follows the elements in the
 * expected output. case_check compares a failure, as "LINE:COL: message",
 * with @@ error.
 *
 * HHmm mode: @@ hhmm holds one time per line (Resync_At__HHmm_); @@ expect
 * holds, per line, the minutes after midnight or `invalid`.
 */
#include "case.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delay.h"

static int
case_delay_hhmm(struct case_file *cf, const char *s, size_t len)
{
	const char *end = s + len;
	struct buf out;
	int fail;

	buf_init(&out, 1024 * 1024);
	while (s <= end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eol = nl ? nl : end;
		unsigned m;
		enum prov_err rc;

		if (delay_hhmm(s, (size_t)(eol - s), &m))
			rc = buf_addf(&out, "%s%u", out.len ? "\n" : "", m);
		else
			rc = buf_addf(&out, "%sinvalid", out.len ? "\n" : "");
		if (rc != PROV_OK) {
			buf_free(&out);
			return case_fail(cf, "output too long");
		}
		s = eol + 1;
	}
	fail = case_expect(cf, "expect", buf_str(&out), out.len);
	buf_free(&out);
	return fail;
}

/* Appends "at I RANDOM: SECS|stop" for each line of @@ at. */
static int
case_delay_at(struct case_file *cf, const struct delay_list *l, struct buf *out)
{
	size_t len;
	const char *s = case_section(cf, "at", &len), *end;

	if (s == NULL)
		return 0;
	end = s + len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eol = nl ? nl : end;
		unsigned long i;
		unsigned long long r;
		uint32_t secs = 0;
		char line[128];
		int n;
		enum prov_err rc;

		n = snprintf(line, sizeof(line), "%.*s", (int)(eol - s), s);
		if (n < 0 || (size_t)n >= sizeof(line) ||
		    sscanf(line, "%lu %llu", &i, &r) != 2)
			return case_fail(cf, "bad @@ at line '%s'", line);
		if (delay_at(l, (unsigned)i, (uint64_t)r, &secs))
			rc = buf_addf(out, "\nat %lu %llu: %" PRIu32, i, r, secs);
		else
			rc = buf_addf(out, "\nat %lu %llu: stop", i, r);
		if (rc != PROV_OK)
			return case_fail(cf, "output too long");
		s = eol + 1;
	}
	return 0;
}

/* Prints the elements of l, then the @@ at lines. */
static int
case_delay_print(struct case_file *cf, const struct delay_list *l, struct buf *out)
{
	enum prov_err rc = l->n == 0 ? buf_adds(out, "disabled") : PROV_OK;

	for (unsigned i = 0; rc == PROV_OK && i < l->n; i++)
		rc = buf_addf(out, "%s%" PRIu32 "+%" PRIu32, i ? "\n" : "",
			      l->item[i].base, l->item[i].rand);
	if (rc != PROV_OK)
		return case_fail(cf, "output too long");
	return case_delay_at(cf, l, out);
}

int
case_run_delay(struct case_file *cf)
{
	const char *in;
	size_t len;
	struct delay_list l;
	struct diag d;
	struct buf out;
	enum prov_err rc;
	int fail = 1;

	if ((in = case_section(cf, "hhmm", &len)) != NULL)
		return case_delay_hhmm(cf, in, len);
	if ((in = case_section(cf, "input", &len)) == NULL)
		return case_fail(cf, "no @@ input or @@ hhmm section");
	buf_init(&out, 1024 * 1024);
	diag_init(&d);
	rc = delay_parse(in, len, &l, &d);
	if (rc == PROV_OK && case_delay_print(cf, &l, &out) != 0)
		goto out;
	fail = case_check(cf, rc, &d, 0, buf_str(&out), out.len);
out:
	buf_free(&out);
	return fail;
}
