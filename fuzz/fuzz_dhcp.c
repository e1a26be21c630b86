/*
 * Fuzz target for the DHCP option parsers (device.md D-ONB-1): the DHCPACK
 * codec of phone/dhcp.c and the option-to-server parser of lib/dhcpopt.c.
 *
 * The first byte picks the mode:
 *   even: the rest is a DHCP answer, parsed with the transaction id it
 *         carries (so that it is taken as ours); every option it yields is
 *         passed to dhcpopt_server as the engine would.
 *   odd:  the second byte is an option code and the rest the stored text
 *         of that option.
 * Invariants (abort otherwise): kept option texts are NUL-terminated within
 * their buffer; a server has a host that fits a URL's; applied to a URL
 * without host it formats to a URL that parses back with that host.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"
#include "dhcpopt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_server(unsigned code, const char *text, size_t len)
{
	struct dhcpopt_server s;
	struct url *u = NULL, *v = NULL;
	struct diag d;
	struct buf b;

	diag_init(&d);
	if (dhcpopt_server(code, text, len, &s, &d) != PROV_OK)
		return;
	if (s.host[0] == '\0' || strlen(s.host) > BOUND_URL_HOST || s.port > 65535)
		abort();
	u = malloc(sizeof(*u));
	v = malloc(sizeof(*v));
	if (u == NULL || v == NULL)
		goto out;
	if (url_parse("/f.cfg", 6, u, &d) != PROV_OK)
		abort();
	dhcpopt_apply(&s, u);
	buf_init(&b, 4 * BOUND_URL_TEXT);
	if (url_format(u, &b) != PROV_OK)
		abort();
	if (url_parse(buf_str(&b), b.len, v, &d) != PROV_OK || strcmp(v->host, s.host) != 0 ||
	    v->port != u->port)
		abort();
	buf_free(&b);
out:
	free(u);
	free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_result *r;
	char why[200];
	uint32_t xid;

	if (size < 2)
		return 0;
	if (data[0] & 1) {
		fuzz_server(data[1], (const char *)data + 2, size - 2);
		return 0;
	}
	data++;
	size--;
	if (size > DHCP_PKT_MAX)
		return 0;
	r = malloc(sizeof(*r));
	if (r == NULL)
		return 0;
	xid = size >= 8 ? (uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 |
	    (uint32_t)data[6] << 8 | data[7] : 0;
	if (dhcp_ack_parse(data, size, xid, r, why, sizeof(why)) == 1) {
		if (r->n > DHCP_OPTS_MAX)
			abort();
		for (size_t i = 0; i < r->n; i++) {
			size_t len = strnlen(r->opt[i].text, sizeof(r->opt[i].text));

			if (len == sizeof(r->opt[i].text))
				abort();
			fuzz_server(r->opt[i].code, r->opt[i].text, len);
		}
	}
	free(r);
	return 0;
}
