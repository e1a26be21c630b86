/*
 * codec: the layers a profile travels in, both ways, bit-compatible with
 * `gzip` and `openssl enc -aes-256-cbc -k KEY [-md md5|sha256]`.
 * device.md D-ENC-1..5.
 *
 * Decoding classifies by content, never by name (D-ENC-1): "Salted__" is
 * the openssl-enc container, 1f 8b is gzip, anything else is the profile.
 * Order is encrypt-after-compress, so decoding decrypts first, then
 * gunzips. The key derivation of the container is EVP_BytesToKey with one
 * iteration: MD5 (OpenSSL 0.9.7, what phones were tested with) or SHA-256
 * (OpenSSL 1.1.0 and later). Decryption tries MD5 first and accepts a
 * derivation only if the padding is valid and the plaintext is plausible
 * (gzip, or text that could be a profile), so the two are told apart
 * reliably and a wrong key is refused (D-ENC-2).
 *
 * The third layer, RFC 8188 aes128gcm (D-ENC-6), has no magic: an HTTP
 * header (Content-Encoding) names it. Its encoder and decoder are in ece.h,
 * included here: ece_encode(in, len, ikm, ikmlen, keyid, keyidlen, rs, out,
 * d) is what a server calls to serve `Content-Encoding: aes128gcm`, and
 * codec_decode_aes128gcm below is the device's pipeline for such a body.
 *
 * Every output goes into a caller's buf whose cap bounds it: a
 * decompression bomb stops at the cap (D-ENC-4, D-PRO-7). Key material is
 * wiped before it is freed.
 */
#ifndef PROV_CODEC_H
#define PROV_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "diag.h"
#include "ece.h"

#define CODEC_CHUNK (64u * 1024u)    /* inflate/deflate output step */
#define CODEC_SNIFF 512              /* plaintext bytes judged for plausibility */

enum codec_kind { CODEC_PLAIN = 0, CODEC_GZIP, CODEC_AES };

/* Key derivation digests of the openssl-enc container. */
enum codec_md { CODEC_MD_AUTO = 0, CODEC_MD_MD5, CODEC_MD_SHA256 };

#define CODEC_MAGIC "Salted__"
#define CODEC_SALT_LEN 8
#define CODEC_HEADER_LEN (8 + CODEC_SALT_LEN)

/* What the bytes are, by content. */
enum codec_kind codec_classify(const void *data, size_t len);

/* Decrypts an openssl-enc container with KEY (keylen bytes; may contain
 * spaces, quotes, anything but is used as given). md AUTO tries MD5 then
 * SHA-256; *used (if not NULL) says which succeeded. Errors: PROV_E_DECRYPT
 * (truncated container, length not a multiple of 16, bad padding, wrong
 * key: the message says which), PROV_E_TOOBIG (out's cap). */
enum prov_err codec_decrypt(const void *in, size_t len, const char *key,
			    size_t keylen, enum codec_md md, struct buf *out,
			    enum codec_md *used, struct diag *d) PROV_WUR;

/* Decompresses a gzip stream (RFC 1952; several members in a row are
 * allowed, as gzip writes them). Errors: PROV_E_GZIP (bad header, corrupt
 * data, truncated stream, CRC or length mismatch, trailing garbage),
 * PROV_E_TOOBIG (out's cap: a bomb stops there). */
enum prov_err codec_gunzip(const void *in, size_t len, struct buf *out,
			   struct diag *d) PROV_WUR;

/* The whole decode pipeline: decrypt if encrypted (key required), then
 * gunzip if compressed, leaving the profile bytes in out. *layers (if not
 * NULL) gets PROV_LAYER_* bits of what was removed. */
enum prov_err codec_decode(const void *in, size_t len, const char *key,
			   size_t keylen, struct buf *out, unsigned *layers,
			   struct diag *d) PROV_WUR;

/* The pipeline for a body sent with `Content-Encoding: aes128gcm` (D-ENC-6):
 * ece_decode with the IKM, then gunzip if what it gives is gzip. The
 * openssl-enc layer is not looked for inside (a rule's --key applies only
 * without the header, as the phones do), so "Salted__" inside is refused
 * with PROV_E_DECRYPT. keyid (NULL: any) is the key id expected, as
 * ece_decode's want_keyid. Errors: those of ece_decode and codec_gunzip;
 * an empty IKM is PROV_E_NOKEY. *layers gets PROV_LAYER_AES128GCM and
 * PROV_LAYER_GZIP bits. */
enum prov_err codec_decode_aes128gcm(const void *in, size_t len, const void *ikm,
				     size_t ikmlen, const char *keyid, size_t keyidlen,
				     struct buf *out, unsigned *layers, struct diag *d) PROV_WUR;

/* gzip as `gzip -c` would write it (no name, mtime 0). */
enum prov_err codec_gzip(const void *in, size_t len, struct buf *out,
			 struct diag *d) PROV_WUR;

/* Encrypts into an openssl-enc container with a fresh random salt. */
enum prov_err codec_encrypt(const void *in, size_t len, const char *key,
			    size_t keylen, enum codec_md md, struct buf *out,
			    struct diag *d) PROV_WUR;

#ifdef PROV_UNITTEST
/* codec_encrypt with a given salt, for known-answer tests. */
enum prov_err codec_encrypt_salt(const void *in, size_t len, const char *key,
				 size_t keylen, enum codec_md md,
				 const uint8_t salt[CODEC_SALT_LEN],
				 struct buf *out, struct diag *d);
#endif

#endif
