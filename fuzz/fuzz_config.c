/*
 * Fuzz target for config_parse (server.md S-OPS-1): any bytes either parse
 * or are refused with a message naming the file and line; never a crash,
 * leak or over-read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srv_cfg c;
	char err[512];

	config_defaults(&c);
	err[0] = '\0';
	if (config_parse(&c, (const char *)data, size, "f", err, sizeof(err)) < 0) {
		if (strncmp(err, "f:", 2) != 0)
			abort();
	} else {
		if (c.n_tftp > CONFIG_LISTEN_MAX || c.n_http > CONFIG_LISTEN_MAX
		    || c.workers < 1 || c.workers > 64)
			abort();
		if (config_check(&c, err, sizeof(err)) < 0 && err[0] == '\0')
			abort();
	}
	config_fini(&c);
	return 0;
}
