/*
 * digest: HTTP Digest authentication (RFC 7616, RFC 2617 3.2.2; for SIP
 * RFC 3261 22.4 and RFC 8760), the one implementation behind the agent's
 * admin page (phone/admin.c) and SIP NOTIFY (phone/sip.c): the
 * Authorization parameters, the hashes, the nonce scheme and the nc
 * replay table. Pure functions over caller storage; no I/O, no clock (the
 * caller passes "now", so tests and fuzzers drive time).
 *
 * The nonce is "TTTTTTTTTTTTTTTT" (16 hex digits: the caller's monotonic
 * ms when issued) then the first 16 bytes of HMAC-SHA256(key, T as 8
 * big-endian bytes) in hex, with a random key per listener: nothing is
 * kept per challenge, a forged nonce fails the HMAC and an old one is
 * stale. The replay table keeps the highest nc accepted per nonce for as
 * long as the nonce lives; a request whose nc is not above it is a
 * replay.
 */
#ifndef PROV_COMMON_DIGEST_H
#define PROV_COMMON_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define DIGEST_KEY_LEN 32u      /* bytes of a listener's nonce key */
#define DIGEST_NONCE_LEN 48u    /* 16 hex digits of time + 32 of HMAC */
#define DIGEST_HEX_MAX (2 * EVP_MAX_MD_SIZE + 1) /* a hash in hex, with its NUL */
#define DIGEST_VALUE_MAX 4096u  /* longest auth-param value digest_parse reads */

/* The auth-params of an Authorization: Digest header that are looked at;
 * "" when absent. */
struct digest_cred {
	char username[128], realm[128], nonce[DIGEST_NONCE_LEN + 1], uri[DIGEST_VALUE_MAX + 1];
	char response[DIGEST_HEX_MAX], qop[16], nc[9], cnonce[129], algorithm[16], userhash[8];
};

/* Parses the `k=v, k="v"` list after "Digest " (RFC 7616 3.4) into d.
 * Unknown keys are skipped; returns -1 when the list is malformed or a
 * known key's value does not fit its field. */
int digest_parse(const char *s, struct digest_cred *d);

/* The hash named by an algorithm parameter: MD5 when NULL or "", MD5 or
 * SHA-256 (either case); NULL for any other. */
const EVP_MD *digest_md(const char *algorithm);

/* nc: exactly 8 hex digits, not zero. Returns 0 with *out set, or -1. */
int digest_nc(const char *nc, uint32_t *out);

/* The expected response (qop=auth) in lower-case hex into out:
 * H(H(user:realm:pass):nonce:nc:cnonce:qop:H(method:uri)). Returns 0, or
 * -1 when the hash fails (out is then ""). Intermediate values are wiped. */
int digest_response(const EVP_MD *md, const char *user, const char *realm,
		    const char *pass, const char *method, const char *uri, const char *nonce,
		    const char *nc, const char *cnonce, const char *qop,
		    char out[DIGEST_HEX_MAX]);

/* Whether response equals want (same length, constant-time compare). */
int digest_equal(const char *want, const char *response);

/* The nonce for time t (ms) into out (DIGEST_NONCE_LEN + 1 bytes).
 * Returns 0, or -1 when HMAC fails. */
int digest_nonce_make(const unsigned char *key, size_t keylen, int64_t t, char *out);

enum digest_nonce { DIGEST_NONCE_BAD, DIGEST_NONCE_STALE, DIGEST_NONCE_FRESH };

/* Checks a nonce against key: BAD when not one of ours, STALE when issued
 * in the future or more than ttl ms before now, else FRESH; *issued is set
 * for STALE and FRESH. */
enum digest_nonce digest_nonce_check(const unsigned char *key, size_t keylen,
				     const char *nonce, int64_t now, int64_t ttl,
				     int64_t *issued);

/* One row of a replay table: caller storage, zeroed = empty. */
struct digest_seen {
	char nonce[DIGEST_NONCE_LEN + 1]; /* "" when free */
	int64_t issued;
	uint32_t nc;                      /* highest nc accepted */
};

enum digest_use { DIGEST_USE_OK, DIGEST_USE_REPLAY, DIGEST_USE_FULL };

/* Records nc for a verified request with nonce (issued at issued) in
 * table[0..n): REPLAY when nc is not above the last one accepted, FULL
 * when the nonce is new and every row holds a nonce younger than ttl.
 * A nonce that is not DIGEST_NONCE_LEN long is never recorded: REPLAY. */
enum digest_use digest_seen_use(struct digest_seen *table, size_t n, const char *nonce,
				int64_t issued, uint32_t nc, int64_t now, int64_t ttl);

/* ---- The client side (RFC 3261 22.2, RFC 7616 3.3-3.4): answering a
 * challenge, for `prov device resync` (a UAC answering the phone's 401). */

#define DIGEST_CHAL_FIELD_MAX 256u  /* longest realm, nonce or opaque taken */

/* The auth-params of a WWW-Authenticate / Proxy-Authenticate: Digest
 * challenge that are used; "" when absent. */
struct digest_chal {
	char realm[DIGEST_CHAL_FIELD_MAX + 1], nonce[DIGEST_CHAL_FIELD_MAX + 1];
	char opaque[DIGEST_CHAL_FIELD_MAX + 1], algorithm[16], qop[64];
	int stale;                  /* stale=true */
	int qop_auth;               /* "auth" is one of the qop options */
};

/* Parses the list after "Digest " of a challenge into c. Unknown keys are
 * skipped; returns -1 when the list is malformed, a used value does not
 * fit, or there is no nonce. */
int digest_chal_parse(const char *s, struct digest_chal *c);

/* The value of an Authorization (or Proxy-Authorization) header answering
 * c for method and uri ("Digest username=..., response=..."), into
 * out[outsz]. With qop=auth offered it uses nc and cnonce (hex, at most
 * 64 characters); without qop, RFC 2069's H(HA1:nonce:HA2). Returns 0,
 * or -1 when c's algorithm is not MD5 or SHA-256, a value holds '"' or
 * '\' or a control character, the hash fails, or out is too small (out is
 * then ""). The password is used for the hash only and never copied. */
int digest_answer(const struct digest_chal *c, const char *user, const char *pass,
		  const char *method, const char *uri, uint32_t nc, const char *cnonce,
		  char *out, size_t outsz);

#endif
