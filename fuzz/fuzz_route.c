/*
 * Fuzz target for route_parse and route_match (server.md S-SRV-2): the
 * first line is a route, the rest a request path. Any bytes either parse
 * or are refused with a message; a match names a MAC of 12 lower-case hex
 * digits (or none) and a key number; never a crash or over-read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nl = memchr(text, '\n', size);
	size_t rlen = nl != NULL ? (size_t)(nl - text) : size;
	char line[ROUTE_TEXT_MAX + 2], err[ROUTE_TEXT_MAX + 128], mac[13];
	struct route r;
	unsigned key_id;

	if (rlen > ROUTE_TEXT_MAX + 1 || memchr(text, '\0', rlen) != NULL)
		return 0;
	memcpy(line, text, rlen);
	line[rlen] = '\0';
	err[0] = '\0';
	if (route_parse(line, &r, err, sizeof(err)) < 0) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	if (r.tmpl[0] == '\0')
		abort();
	if (nl == NULL)
		return 0;
	if (route_match(&r, nl + 1, size - rlen - 1, mac, &key_id)) {
		size_t n = strlen(mac);

		if (n != 0 && n != 12)
			abort();
		for (size_t i = 0; i < n; i++)
			if (!((mac[i] >= '0' && mac[i] <= '9') || (mac[i] >= 'a' && mac[i] <= 'f')))
				abort();
		if (n == 0 && strstr(r.pattern, "$MA") != NULL)
			abort();
	}
	return 0;
}
