/*
 * Macro cases (tests/cases/macro/NNNN, device.md D-MAC-1..3): @@ input is
 * expanded with the @@ vars. @@ flags may hold the words `secrets`
 * (MACRO_SECRETS: $SA..$SD expand), `xml` (MACRO_XML: values XML-escaped),
 * `uscore` (MACRO_USCORE: '_' in names) and `cap=N` (the output cap, default
 * BOUND_MACRO_OUT). case_check compares the result with @@ expect, or
 * the failure, as "LINE:COL: message", with @@ error. An optional
 * @@ present holds `yes` or `no`: what macro_present says of the input.
 */
#include "case.h"

#include <stdlib.h>
#include <string.h>

#include "bounds.h"

static int
case_macro_flags(struct case_file *cf, unsigned *flags, size_t *cap)
{
	const char *s = case_section(cf, "flags", NULL);

	*flags = 0;
	*cap = BOUND_MACRO_OUT;
	while (s != NULL && *(s += strspn(s, " \t\n")) != '\0') {
		size_t n = strcspn(s, " \t\n");

		if (n == 7 && memcmp(s, "secrets", 7) == 0)
			*flags |= MACRO_SECRETS;
		else if (n == 3 && memcmp(s, "xml", 3) == 0)
			*flags |= MACRO_XML;
		else if (n == 6 && memcmp(s, "uscore", 6) == 0)
			*flags |= MACRO_USCORE;
		else if (n > 4 && memcmp(s, "cap=", 4) == 0)
			*cap = strtoul(s + 4, NULL, 10);
		else
			return case_fail(cf, "unknown flag '%.*s'", (int)n, s);
		s += n;
	}
	return 0;
}

int
case_run_macro(struct case_file *cf)
{
	const char *in, *present;
	size_t len, cap;
	unsigned flags;
	struct buf out;
	struct diag d;
	enum prov_err rc;
	int fail;

	if ((in = case_section(cf, "input", &len)) == NULL)
		return case_fail(cf, "no @@ input section");
	if (case_macro_flags(cf, &flags, &cap) != 0)
		return 1;
	if ((present = case_section(cf, "present", NULL)) != NULL &&
	    strcmp(present, macro_present(in, len) ? "yes" : "no") != 0)
		return case_fail(cf, "macro_present is not '%s'", present);
	buf_init(&out, cap);
	diag_init(&d);
	rc = macro_expand(in, len, case_vars(cf), flags, &out, &d);
	fail = case_check(cf, rc, &d, 0, buf_str(&out), out.len);
	buf_free(&out);
	return fail;
}
