/*
 * Fuzz target for reportd_parse (server.md S-SRV-4): a device report body
 * as the server receives it, untrusted, decoded with the device's keys
 * (openssl-enc, gzip, aes128gcm labelled or not) and parsed by libprov's
 * guarded parser. The first byte says whether the request was labelled
 * aes128gcm (bit 0) and how many keys are offered (bits 1-2: none, "k1",
 * "k1" and "k2"). Every body is either counted or refused with a reason;
 * never a crash, a leak or an over-read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reportd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_param(void *arg, const char *name, const char *value)
{
	size_t *n = arg;

	if (name == NULL || name[0] == '\0')
		abort();
	(void)value;
	(*n)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *keys0[] = { NULL }, *keys1[] = { "k1", NULL }, *keys2[] = { "k2", "k1", NULL };
	const char *const *keys;
	char layers[32], why[REPORTD_WHY_MAX];
	size_t seen = 0;
	long n;

	if (size == 0)
		return 0;
	keys = (data[0] >> 1 & 3) == 0 ? keys0 : (data[0] >> 1 & 3) == 1 ? keys1 : keys2;
	why[0] = '\0';
	n = reportd_parse(data + 1, size - 1, data[0] & 1, keys, fz_param, &seen, layers, why,
			  sizeof(why));
	if (n < 0 ? why[0] == '\0' : (size_t)n != seen)
		abort();
	return 0;
}
