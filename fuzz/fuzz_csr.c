/*
 * Fuzz target for ca_csr_check (a renewal request POSTed to /prov/cert,
 * server/ca.h): any bytes are refused with a reason or accepted with a
 * key of at least P-256 / RSA-2048 and an L and OU that fit; never a
 * crash, a leak or an over-read. The first byte chooses whether the
 * presented certificate names a serial and product.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ca.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ca_csr r;
	char why[256] = "";
	int full = size > 0 && (data[0] & 1);

	if (ca_csr_check((const char *)data, size, "001122334455", full ? "FCH1234ABCD" : "",
			 full ? "CP-8841-3PCC" : "", &r, why, sizeof(why)) != 0) {
		if (why[0] == '\0' || r.pub != NULL)
			abort();
		return 0;
	}
	if (r.pub == NULL || EVP_PKEY_get_bits(r.pub) < 256 ||
	    memchr(r.serial, '\0', sizeof(r.serial)) == NULL ||
	    memchr(r.product, '\0', sizeof(r.product)) == NULL)
		abort();
	EVP_PKEY_free(r.pub);
	return 0;
}
