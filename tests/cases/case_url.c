/*
 * URL cases (tests/cases/url/NNNN, device.md D-RUL-4): @@ input (the whole
 * section, as one text) is parsed with url_parse. @@ expect holds one line
 *     SCHEME HOST PORT PATH
 * followed by " ?QUERY" when a '?' was present (" ?" for an empty query);
 * HOST is `-` when there is none, an IPv6 host is shown without brackets
 * and PORT is always shown (given or the scheme's default). An optional
 * @@ format holds url_format's canonical text. A failure is compared, as
 * "LINE:COL: message", with @@ error.
 */
#include "case.h"

#include <stdio.h>
#include <string.h>

#include "url.h"

static void
case_url_diag(const struct diag *d, char *out, size_t outlen)
{
	if (d->line > 0)
		snprintf(out, outlen, "%u:%u: %s", d->line, d->col, d->msg);
	else
		snprintf(out, outlen, "%s", d->msg);
}

int
case_run_url(struct case_file *cf)
{
	const char *in;
	size_t len;
	struct url u;
	struct diag d;
	struct buf out;
	char msg[512];
	enum prov_err rc;
	int fail = 1;

	if ((in = case_section(cf, "input", &len)) == NULL)
		return case_fail(cf, "no @@ input section");
	buf_init(&out, 4 * BOUND_URL_TEXT);
	diag_init(&d);
	rc = url_parse(in, len, &u, &d);
	if (case_section(cf, "error", NULL) != NULL) {
		if (rc == PROV_OK) {
			case_fail(cf, "expected an error, got a URL");
			goto out;
		}
		case_url_diag(&d, msg, sizeof(msg));
		fail = case_expect(cf, "error", msg, strlen(msg));
		goto out;
	}
	if (rc != PROV_OK) {
		case_url_diag(&d, msg, sizeof(msg));
		case_fail(cf, "unexpected error (%s): %s", prov_strerror(rc), msg);
		goto out;
	}
	if (buf_addf(&out, "%s %s %u %s", url_scheme_name(u.scheme),
		     u.host[0] != '\0' ? u.host : "-", u.port, u.path) != PROV_OK ||
	    (u.has_query && buf_addf(&out, " ?%s", u.query) != PROV_OK)) {
		case_fail(cf, "output too long");
		goto out;
	}
	if ((fail = case_expect(cf, "expect", buf_str(&out), out.len)) != 0)
		goto out;
	if (case_section(cf, "format", NULL) != NULL) {
		buf_reset(&out);
		if (url_format(&u, &out) != PROV_OK) {
			fail = case_fail(cf, "url_format failed");
			goto out;
		}
		fail = case_expect(cf, "format", buf_str(&out), out.len);
	}
out:
	buf_free(&out);
	return fail;
}
