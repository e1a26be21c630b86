/*
 * Fuzz target for common/digest.c, the Digest code of the admin page and
 * SIP: the input is the value of an Authorization header after "Digest ".
 * It is parsed (digest_parse), and what it names goes through the rest as
 * a peer's would: algorithm, nc, the nonce against a fixed key and clock,
 * the expected response, the replay table. Checks: no crash, every field
 * within its bound, a nonce made here checks FRESH, a nonce from the
 * input is FRESH only if it is byte for byte one made here, and the
 * replay table never accepts the same (nonce, nc) twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1000000        /* the clock, ms */
#define FUZZ_TTL 30000          /* nonce life, ms */
#define FUZZ_SEEN 4             /* replay table rows */

static const unsigned char fuzz_key[DIGEST_KEY_LEN] = "prov-fuzz-digest-key-32-bytes!!";

#define FIT(f) (strlen(d.f) < sizeof(d.f))

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest_cred d;
	struct digest_seen seen[FUZZ_SEEN];
	char *s, mine[DIGEST_NONCE_LEN + 1], want[DIGEST_HEX_MAX];
	const EVP_MD *md;
	int64_t issued = 0;
	uint32_t nc;
	enum digest_nonce st;

	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (digest_parse(s, &d) != 0)
		goto out;
	if (!FIT(username) || !FIT(realm) || !FIT(nonce) || !FIT(uri) || !FIT(response) ||
	    !FIT(qop) || !FIT(nc) || !FIT(cnonce) || !FIT(algorithm) || !FIT(userhash))
		abort();
	if (digest_nonce_make(fuzz_key, sizeof(fuzz_key), FUZZ_NOW - 5, mine) != 0 ||
	    digest_nonce_check(fuzz_key, sizeof(fuzz_key), mine, FUZZ_NOW, FUZZ_TTL,
			       &issued) != DIGEST_NONCE_FRESH || issued != FUZZ_NOW - 5)
		abort();
	st = digest_nonce_check(fuzz_key, sizeof(fuzz_key), d.nonce, FUZZ_NOW, FUZZ_TTL, &issued);
	if (st == DIGEST_NONCE_FRESH && issued == FUZZ_NOW - 5 && strcmp(d.nonce, mine) != 0)
		abort();
	md = digest_md(d.algorithm);
	if (md == NULL || digest_nc(d.nc, &nc) != 0 || nc == 0)
		goto out;
	if (digest_response(md, d.username, d.realm, "secret", "GET", d.uri, d.nonce, d.nc,
			    d.cnonce, d.qop, want) != 0)
		abort();
	(void)digest_equal(want, d.response);
	memset(seen, 0, sizeof(seen));
	if (strlen(d.nonce) != DIGEST_NONCE_LEN)
		goto out;
	if (digest_seen_use(seen, FUZZ_SEEN, d.nonce, FUZZ_NOW, nc, FUZZ_NOW, FUZZ_TTL) !=
	    DIGEST_USE_OK ||
	    digest_seen_use(seen, FUZZ_SEEN, d.nonce, FUZZ_NOW, nc, FUZZ_NOW, FUZZ_TTL) !=
	    DIGEST_USE_REPLAY)
		abort();
out:
	free(s);
	return 0;
}
