/*
 * Fuzz target for what the admin web interface parses from a peer
 * (phone/admin_req.c): the HTTP request (admin_req_feed, fed in two pieces
 * split where the first byte says), then the request target's query
 * (admin_decode) and the body as a form (admin_form_parse), and the HTML
 * escaping of what came in. Checks: no crash, every kept value within its
 * bound, and a decoded string never holds a control byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_FIELDS 64 /* form fields looked at */

static void
fuzz_clean(const char *s, long n)
{
	if (n < 0)
		return;
	if ((size_t)n != strlen(s))
		abort();
	for (long i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct admin_req *r;
	struct admin_field f[FUZZ_FIELDS];
	const char *in = (const char *)data + 1;
	size_t len, cut;
	char *out, *q;
	long n;

	if (size < 1)
		return 0;
	len = size - 1;
	cut = len ? data[0] % (len + 1) : 0;
	r = malloc(sizeof(*r));
	if (r == NULL || admin_req_init(r) != 0) {
		free(r);
		return 0;
	}
	if (admin_req_feed(r, in, cut) == 0)
		(void)admin_req_feed(r, in + cut, len - cut);
	if (r->error != NULL && r->status < 400)
		abort();
	if (r->urllen > ADMIN_URL_MAX || strlen(r->url) != r->urllen ||
	    strlen(r->authz) > ADMIN_HEADER_VALUE_MAX || r->bodylen > ADMIN_BODY_MAX)
		abort();
	out = malloc(ADMIN_URL_MAX * 6 + 1);
	if (out != NULL) {
		q = strchr(r->url, '?');
		if (q != NULL)
			fuzz_clean(out, admin_decode(q + 1, strlen(q + 1), 0, out, ADMIN_URL_MAX + 1));
		admin_html_escape(r->url, out, ADMIN_URL_MAX * 6 + 1);
		if (strchr(out, '<') != NULL || strchr(out, '"') != NULL)
			abort();
	}
	free(out);
	if (r->body != NULL) {
		n = admin_form_parse(r->body, r->bodylen, f, FUZZ_FIELDS);
		for (long i = 0; i < n; i++) {
			fuzz_clean(f[i].name, (long)strlen(f[i].name));
			fuzz_clean(f[i].value, (long)strlen(f[i].value));
		}
		if (n > 0)
			admin_fields_free(f, (size_t)n);
	}
	admin_req_fini(r);
	free(r);
	return 0;
}
