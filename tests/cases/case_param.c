/*
 * param cases: `@@ input` holds NAME=VALUE lines; each prints one line in
 * the result compared with `@@ expect`:
 *     NAME=VALUE            accepted, VALUE as stored (normalised)
 *     NAME: MESSAGE         rejected, with the validation message
 * or, with `@@ expect-prefix`, the result must start with that text.
 * D-PAR-2, D-PAR-3.
 */
#include <stdio.h>
#include <string.h>

#include "case.h"
#include "param.h"

int
case_run_param(struct case_file *cf)
{
	size_t len;
	const char *s = case_section(cf, "input", &len);
	const char *end;
	struct buf out;
	int rc;

	if (s == NULL)
		return case_fail(cf, "no @@ input");
	end = s + len;
	buf_init(&out, 1u << 20);
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eol = nl ? nl : end;
		const char *eq = memchr(s, '=', (size_t)(eol - s));
		long idx;

		if (eq == NULL) {
			buf_free(&out);
			return case_fail(cf, "input line without '='");
		}
		idx = param_find(s, (size_t)(eq - s));
		if (idx < 0) {
			if (buf_addf(&out, "%.*s: unknown\n", (int)(eq - s), s) != PROV_OK)
				goto nomem;
		} else {
			struct diag d;
			const char *canon;

			diag_init(&d);
			if (param_check((size_t)idx, eq + 1, (size_t)(eol - eq - 1), &canon, &d) == PROV_OK) {
				if (canon != NULL)
					rc = buf_addf(&out, "%s=%s\n", param_name((size_t)idx), canon);
				else
					rc = buf_addf(&out, "%s=%.*s\n", param_name((size_t)idx),
						      (int)(eol - eq - 1), eq + 1);
			} else {
				rc = buf_addf(&out, "%s\n", d.msg);
			}
			if (rc != PROV_OK)
				goto nomem;
		}
		s = eol + 1;
	}
	if (out.len > 0)
		out.len--; /* the last newline */
	{
		size_t plen;
		const char *prefix = case_section(cf, "expect-prefix", &plen);

		/* expect-prefix: the result starts with it (for messages that
		 * end in another module's wording). */
		if (prefix != NULL)
			rc = out.len >= plen && memcmp(buf_str(&out), prefix, plen) == 0 ? 0 :
			     case_expect(cf, "expect-prefix", buf_str(&out), out.len);
		else
			rc = case_expect(cf, "expect", buf_str(&out), out.len);
	}
	buf_free(&out);
	return rc;
nomem:
	buf_free(&out);
	return case_fail(cf, "out of memory");
}
