/*
 * Fuzz target for the PEM checks of the custom CA and the MIC renewal
 * (device.md D-NET-2, D-NET-3): customca_validate on a bundle, mic_accept
 * on a signing server's answer. OpenSSL parses the PEM and DER; what is
 * ours is the walk over the blocks, the bounds and the CN shown in the
 * status, which must be printable ASCII of bounded length, and the same
 * answer every time.
 */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "bounds.h"
#include "customca.h"
#include "mic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_pem_printable(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *key;
	char cn[CUSTOMCA_CN_MAX + 1], cn2[CUSTOMCA_CN_MAX + 1], why[160], why2[160];
	enum prov_err rc, rc2;
	struct buf pair;

	if (key == NULL && (key = EVP_EC_gen("P-256")) == NULL)
		return 0;
	rc = customca_validate((const char *)data, size, cn, sizeof(cn), why, sizeof(why));
	rc2 = customca_validate((const char *)data, size, cn2, sizeof(cn2), why2, sizeof(why2));
	if (rc != rc2 || strcmp(cn, cn2) != 0 || (rc != PROV_OK && strcmp(why, why2) != 0))
		abort();
	if (rc == PROV_OK)
		fuzz_pem_printable(cn, CUSTOMCA_CN_MAX);
	else if (why[0] == '\0')
		abort(); /* a refusal always says why */

	/* No answer can be for a key made here: mic_accept must refuse. */
	buf_init(&pair, 2 * BOUND_PEM);
	if (mic_accept(key, (const char *)data, size, NULL, NULL, &pair, cn, sizeof(cn), why,
		       sizeof(why)) == PROV_OK || why[0] == '\0')
		abort();
	buf_free(&pair);
	return 0;
}
