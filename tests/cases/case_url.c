/*
 * URL cases (tests/cases/url/NNNN, device.md D-RUL-4): @@ input (the whole
 * section, as one text) is parsed with url_parse. @@ expect holds one line
 *     SCHEME HOST PORT PATH
 * followed by " ?QUERY" when a '?' was present (" ?" for an empty query);
 * HOST is `-` when there is none, an IPv6 host is shown without brackets
 * and PORT is always shown (given or the scheme's default). An optional
 * @@ format holds url_format's canonical text, checked when @@ expect
 * passes. case_check compares a failure, as "LINE:COL: message", with
 * @@ error.
 */
#include "case.h"

#include "url.h"

static enum prov_err
case_url_print(const struct url *u, struct buf *out)
{
	enum prov_err rc;

	rc = buf_addf(out, "%s %s %u %s", url_scheme_name(u->scheme),
		      u->host[0] != '\0' ? u->host : "-", u->port, u->path);
	if (rc == PROV_OK && u->has_query)
		rc = buf_addf(out, " ?%s", u->query);
	return rc;
}

int
case_run_url(struct case_file *cf)
{
	const char *in;
	size_t len;
	struct url u;
	struct diag d;
	struct buf out;
	enum prov_err rc;
	int fail = 1;

	if ((in = case_section(cf, "input", &len)) == NULL)
		return case_fail(cf, "no @@ input section");
	buf_init(&out, 4 * BOUND_URL_TEXT);
	diag_init(&d);
	rc = url_parse(in, len, &u, &d);
	if (rc == PROV_OK && case_url_print(&u, &out) != PROV_OK) {
		case_fail(cf, "output too long");
		goto out;
	}
	if ((fail = case_check(cf, rc, &d, 0, buf_str(&out), out.len)) != 0 ||
	    rc != PROV_OK)
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
