/*
 * Profile cases (device.md D-PRO-1..7): `@@ input` is parsed with
 * profile_parse and the change set printed one change per line as
 *     LINE:COL NAME [ua=rw] = "VALUE"
 * VALUE in double quotes with C escapes for `"`, `\` and bytes below 0x20;
 * `(keep)` instead of the quoted value when the change keeps the value
 * (`<X/>`); no [ua=..] when the profile gave none. case_check compares the
 * change set with `@@ expect`, or the failure with `@@ error`, the diag
 * printed as `LINE:COL: message` (`0:0: message` when it has no place,
 * CASE_DIAG_ZERO).
 *
 * Optional sections: `@@ maxsize` (decimal bytes), `@@ code` (the expected
 * enum prov_err, e.g. PROV_E_DENIED), `@@ flags` with `escaped` (the input
 * is written with \r \n \t \0 \\ \xHH escapes, for BOMs, CRs and
 * control bytes; real newlines stay newlines), `trailing-newline` (append
 * one newline to the input, which sections otherwise lose).
 */
#include "case.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hex.h"
#include "profile.h"

static const char *const profile_codes[] = {
	"PROV_OK", "PROV_E_NOMEM", "PROV_E_INVAL", "PROV_E_SYNTAX",
	"PROV_E_TOOBIG", "PROV_E_UNKNOWN", "PROV_E_DENIED", "PROV_E_IO",
	"PROV_E_BUSY", "PROV_E_EXISTS", "PROV_E_NOTFOUND", "PROV_E_CORRUPT",
};

/* Decodes the escapes of an `escaped` input into out. */
static int
profile_unescape(struct case_file *cf, const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\' && i + 1 < n) {
			switch (s[++i]) {
			case 'r': c = '\r'; break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case '0': c = '\0'; break;
			case '\\': c = '\\'; break;
			case 'x':
				if (i + 2 >= n || hex_val(s[i + 1]) < 0 ||
				    hex_val(s[i + 2]) < 0)
					return case_fail(cf, "bad \\x escape in input");
				c = (char)(hex_val(s[i + 1]) * 16 +
					   hex_val(s[i + 2]));
				i += 2;
				break;
			default:
				return case_fail(cf, "bad escape in input");
			}
		}
		if (buf_addc(out, c) != PROV_OK)
			return case_fail(cf, "out of memory");
	}
	return 0;
}

static enum prov_err
profile_quote(struct buf *b, const char *v, size_t n)
{
	enum prov_err rc = buf_addc(b, '"');

	for (size_t i = 0; i < n && rc == PROV_OK; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\n')
			rc = buf_adds(b, "\\n");
		else if (c == '\r')
			rc = buf_adds(b, "\\r");
		else if (c == '\t')
			rc = buf_adds(b, "\\t");
		else if (c == '"' || c == '\\')
			rc = buf_addf(b, "\\%c", c);
		else if (c < 0x20)
			rc = buf_addf(b, "\\x%02x", c);
		else
			rc = buf_addc(b, (char)c);
	}
	return rc == PROV_OK ? buf_addc(b, '"') : rc;
}

static enum prov_err
profile_print(const struct prov_profile *p, struct buf *b)
{
	static const char *const ua[] = { "na", "ro", "rw" };
	enum prov_err rc = PROV_OK;

	for (size_t i = 0; i < p->n && rc == PROV_OK; i++) {
		const struct profile_change *c = &p->chg[i];

		if (i > 0)
			rc = buf_addc(b, '\n');
		if (rc == PROV_OK)
			rc = buf_addf(b, "%u:%u %s", c->line, c->col, c->name);
		if (rc == PROV_OK && c->ua >= 0 && c->ua <= 2)
			rc = buf_addf(b, " [ua=%s]", ua[c->ua]);
		else if (rc == PROV_OK && c->ua != -1)
			rc = buf_addf(b, " [ua=%d?]", c->ua);
		if (rc == PROV_OK)
			rc = buf_adds(b, " = ");
		if (rc == PROV_OK && c->value == NULL)
			rc = buf_adds(b, "(keep)");
		else if (rc == PROV_OK)
			rc = profile_quote(b, c->value, c->valuelen);
		if (rc == PROV_OK && c->value != NULL && strlen(c->value) != c->valuelen)
			rc = buf_adds(b, " (valuelen mismatch)");
	}
	return rc;
}

int
case_run_profile(struct case_file *cf)
{
	struct prov_profile *p = NULL;
	struct diag d;
	struct buf in, got;
	const char *input, *s;
	char *copy;
	size_t len, maxsize = 0;
	enum prov_err rc;
	int fail = 1;

	buf_init(&in, 16u * 1024u * 1024u);
	buf_init(&got, 16u * 1024u * 1024u);
	diag_init(&d);
	input = case_section(cf, "input", &len);
	if (input == NULL) {
		case_fail(cf, "no @@ input section");
		goto out;
	}
	s = case_section(cf, "flags", NULL);
	if (s != NULL && strstr(s, "escaped") != NULL) {
		if (profile_unescape(cf, input, len, &in) != 0)
			goto out;
	} else if (buf_add(&in, input, len) != PROV_OK) {
		case_fail(cf, "out of memory");
		goto out;
	}
	if (s != NULL && strstr(s, "trailing-newline") != NULL &&
	    buf_addc(&in, '\n') != PROV_OK) {
		case_fail(cf, "out of memory");
		goto out;
	}
	if ((s = case_section(cf, "maxsize", NULL)) != NULL)
		maxsize = (size_t)strtoull(s, NULL, 10);

	/* An exact-size copy, so ASan sees any read past the end. */
	copy = malloc(in.len ? in.len : 1);
	if (copy == NULL) {
		case_fail(cf, "out of memory");
		goto out;
	}
	if (in.len > 0)
		memcpy(copy, in.p, in.len);
	rc = profile_parse(copy, in.len, maxsize, &p, &d);
	free(copy);

	if ((s = case_section(cf, "code", NULL)) != NULL &&
	    ((size_t)rc >= sizeof(profile_codes) / sizeof(profile_codes[0]) ||
	     strcmp(s, profile_codes[rc]) != 0)) {
		case_fail(cf, "returned %d, want %s", (int)rc, s);
		goto out;
	}
	if (rc != PROV_OK && p != NULL) {
		case_fail(cf, "failed but *out is not NULL");
		goto out;
	}
	if (rc == PROV_OK && profile_print(p, &got) != PROV_OK) {
		case_fail(cf, "out of memory");
		goto out;
	}
	fail = case_check(cf, rc, &d, CASE_DIAG_ZERO, buf_str(&got), got.len);
out:
	prov_profile_free(p);
	buf_free(&in);
	buf_free(&got);
	return fail;
}
