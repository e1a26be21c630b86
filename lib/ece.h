/*
 * ece: the RFC 8188 "aes128gcm" HTTP content coding (Encrypted Content
 * Encoding), both ways. device.md D-ENC-6; reliability.md R-INTEGRITY.
 * codec.h includes this header: it is the profile's third layer, the
 * one an HTTP header names rather than the bytes (it has no magic).
 *
 * A stream is a header, then records of rs octets (the last may be
 * shorter):
 *
 *   salt (16) | rs (uint32, big-endian) | idlen (1) | keyid (idlen)
 *   record 0 | record 1 | ...     each AES-128-GCM(data | delimiter |
 *                                 zero padding) followed by its 16-octet tag
 *
 * The content-encryption key and the nonce come from HKDF-SHA-256 (RFC
 * 5869) with the salt over the input keying material (IKM), info
 * "Content-Encoding: aes128gcm\0" (16 octets) and "Content-Encoding:
 * nonce\0" (12 octets); record i uses the nonce XOR i. The delimiter is
 * 0x02 in the last record and 0x01 in every other, so truncation at a
 * record boundary, reordering and any changed octet of salt, records or
 * tags are all detected: decoding is all or nothing. The rest of the
 * header is not authenticated (RFC 8188 has no associated data): a changed
 * rs moves the record boundaries, which is refused, unless the stream is
 * one record shorter than both values, whose content it does not touch;
 * the key id is below (ece_decode's want_keyid). The IKM is bytes as given; the device's
 * IKM_HTTP_Encrypt_Content is its text as written (docs/ARCHITECTURE.md,
 * "Content encoding").
 *
 * Every output goes into a caller's buf whose cap bounds it. Keys are
 * wiped before their memory is freed. Stateless: any thread.
 */
#ifndef PROV_ECE_H
#define PROV_ECE_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "diag.h"

#define ECE_SALT_LEN 16       /* RFC 8188 s. 2.1 */
#define ECE_TAG_LEN 16        /* AES-GCM tag, the record's overhead */
#define ECE_HEADER_MIN (ECE_SALT_LEN + 4 + 1) /* salt, rs, idlen: keyid empty */
#define ECE_KEYID_MAX 255     /* idlen is one octet */
#define ECE_RS_MIN 18         /* a record holds the tag, the delimiter and at
			       * least one octet more (RFC 8188 s. 2) */
#define ECE_RS_DEFAULT 4096   /* what RFC 8188's first example uses */

/* The header of a stream; keyid points into the stream (borrowed). */
struct ece_header {
	const uint8_t *salt;
	uint32_t rs;
	const uint8_t *keyid;
	size_t keyidlen;
	size_t len; /* octets of header: where the records start */
};

/* Parses the header only (no key needed): a server can pick the IKM by
 * keyid with it. Errors: PROV_E_DECRYPT (truncated header, rs below
 * ECE_RS_MIN), with d saying which. */
enum prov_err ece_header_parse(const void *in, size_t len, struct ece_header *h,
			       struct diag *d) PROV_WUR;

/* Encodes LEN octets of IN as an aes128gcm stream, appended to out: a
 * fresh random salt, records of rs octets (ECE_RS_MIN..UINT32_MAX;
 * ECE_RS_DEFAULT is a good choice), no padding, keyid in the header
 * (keyidlen <= ECE_KEYID_MAX; it may be empty). This is what a server
 * sends with `Content-Encoding: aes128gcm`. Errors: PROV_E_INVAL (rs,
 * keyid or an empty IKM), PROV_E_TOOBIG (out's cap), PROV_E_NOMEM; out
 * is left as it was. */
enum prov_err ece_encode(const void *in, size_t len, const void *ikm, size_t ikmlen,
			 const void *keyid, size_t keyidlen, uint32_t rs,
			 struct buf *out, struct diag *d) PROV_WUR;

/* Decodes an aes128gcm stream with IKM, appending the content to out.
 * All or nothing: on any error out is left as it was. RFC 8188 does not
 * authenticate the key id (it only names the IKM; another IKM fails to
 * authenticate), so a caller that knows which key id to expect passes it
 * as want_keyid (want_keyidlen octets) and any other is refused; NULL
 * accepts any. Errors:
 * PROV_E_DECRYPT (truncated header or record, rs below ECE_RS_MIN, a
 * record that does not authenticate: wrong key, tampered octet, records
 * out of order; a bad padding delimiter; a stream cut at a record
 * boundary, whose last record lacks the final delimiter: the message says
 * which and names the record), PROV_E_INVAL (empty IKM), PROV_E_TOOBIG
 * (out's cap), PROV_E_NOMEM. */
enum prov_err ece_decode(const void *in, size_t len, const void *ikm, size_t ikmlen,
			 const void *want_keyid, size_t want_keyidlen, struct buf *out,
			 struct diag *d) PROV_WUR;

/* Whether a Content-Encoding header value has aes128gcm as its last
 * (outermost, applied last) coding, case-insensitively: "aes128gcm",
 * "gzip, aes128gcm". NULL and "" are no. */
int ece_is_outer(const char *content_encoding);

#ifdef PROV_UNITTEST
/* ece_encode with a given salt and pad octets of zero padding, spent
 * from the first record on (as RFC 8188 s. 3.2 does), for known-answer
 * tests. */
enum prov_err ece_encode_salt(const void *in, size_t len, const void *ikm, size_t ikmlen,
			      const void *keyid, size_t keyidlen, uint32_t rs, size_t pad,
			      const uint8_t salt[ECE_SALT_LEN], struct buf *out,
			      struct diag *d);
/* The content-encryption key and base nonce of a salt and IKM. */
int ece_derive(const uint8_t salt[ECE_SALT_LEN], const void *ikm, size_t ikmlen,
	       uint8_t cek[16], uint8_t nonce[12]);
#endif

#endif
