/*
 * Fuzz target for url_parse (device.md D-RUL-4). A parsed URL must format
 * (url_format) to text that parses back to the same URL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_url_same(const struct url *a, const struct url *b)
{
	return a->scheme == b->scheme && a->host_ipv6 == b->host_ipv6 &&
	    a->port == b->port && a->has_query == b->has_query &&
	    strcmp(a->host, b->host) == 0 && strcmp(a->path, b->path) == 0 &&
	    strcmp(a->query, b->query) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct url *u, *v;
	struct diag d;
	struct buf b;

	/* Two struct url are over 12 KiB: keep them off the stack. */
	u = malloc(sizeof(*u));
	v = malloc(sizeof(*v));
	if (u == NULL || v == NULL)
		goto out;
	diag_init(&d);
	if (url_parse((const char *)data, size, u, &d) != PROV_OK)
		goto out;
	if (u->path[0] != '/' || u->port < 1 || u->port > 65535)
		abort();
	buf_init(&b, 4 * BOUND_URL_TEXT);
	if (url_format(u, &b) != PROV_OK)
		abort();
	if (b.len <= BOUND_URL_TEXT &&
	    (url_parse(buf_str(&b), b.len, v, &d) != PROV_OK || !fuzz_url_same(u, v)))
		abort();
	buf_free(&b);
out:
	free(u);
	free(v);
	return 0;
}
