/*
 * ece: RFC 8188 aes128gcm, both ways. See ece.h.
 *
 * Why OpenSSL's EVP rather than our own: HKDF (EVP_KDF "HKDF") and
 * AES-128-GCM (EVP_CIPHER "AES-128-GCM") are the library's, constant-time and
 * well kept; this file only lays out the header and the records.
 */
#include "ece.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "unittest.h"

#define ECE_KEY_LEN 16   /* AES-128 */
#define ECE_NONCE_LEN 12 /* the GCM IV */
#define ECE_DELIM_LAST 0x02
#define ECE_DELIM_MORE 0x01

static const char ece_info_cek[] = "Content-Encoding: aes128gcm"; /* + its NUL */
static const char ece_info_nonce[] = "Content-Encoding: nonce";

/* The HKDF and AES-128-GCM implementations, fetched once per process:
 * fetching them for each stream cost more than encrypting a 4 KB profile.
 * Never freed (OpenSSL's own cleanup at exit takes them). */
static pthread_once_t ece_once = PTHREAD_ONCE_INIT;
static EVP_KDF *ece_kdf;
static EVP_CIPHER *ece_cipher;

static void
ece_fetch(void)
{
	ece_kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	ece_cipher = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
}

static int
ece_hkdf(const uint8_t salt[ECE_SALT_LEN], const void *ikm, size_t ikmlen,
	 const char *info, size_t infolen, uint8_t *out, size_t outlen)
{
	EVP_KDF_CTX *kctx = ece_kdf != NULL ? EVP_KDF_CTX_new(ece_kdf) : NULL;
	OSSL_PARAM params[5];
	int ok = 0;

	if (kctx != NULL) {
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
							     (char *)"SHA256", 0);
		params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
							      (void *)(uintptr_t)ikm, ikmlen);
		params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							      (void *)(uintptr_t)salt,
							      ECE_SALT_LEN);
		params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							      (void *)(uintptr_t)info, infolen);
		params[4] = OSSL_PARAM_construct_end();
		ok = EVP_KDF_derive(kctx, out, outlen, params) == 1;
	}
	EVP_KDF_CTX_free(kctx);
	return ok;
}

PROV_STATIC int
ece_derive(const uint8_t salt[ECE_SALT_LEN], const void *ikm, size_t ikmlen,
	   uint8_t cek[ECE_KEY_LEN], uint8_t nonce[ECE_NONCE_LEN])
{
	if (pthread_once(&ece_once, ece_fetch) != 0 || ece_kdf == NULL || ece_cipher == NULL)
		return 0;
	/* The info strings end in one zero octet (RFC 8188 s. 2.2, 2.3). */
	return ece_hkdf(salt, ikm, ikmlen, ece_info_cek, sizeof(ece_info_cek), cek,
			ECE_KEY_LEN) &&
	       ece_hkdf(salt, ikm, ikmlen, ece_info_nonce, sizeof(ece_info_nonce), nonce,
			ECE_NONCE_LEN);
}

/* The nonce of record seq: the base nonce XOR seq as a 96-bit big-endian
 * number (RFC 8188 s. 2.3). */
static void
ece_nonce(const uint8_t base[ECE_NONCE_LEN], uint64_t seq, uint8_t out[ECE_NONCE_LEN])
{
	memcpy(out, base, ECE_NONCE_LEN);
	for (int i = 0; i < 8; i++)
		out[ECE_NONCE_LEN - 1 - i] ^= (uint8_t)(seq >> (8 * i));
}

/* One AES-128-GCM operation, no associated data. Encrypting, the tag is
 * written to tag; decrypting, it is checked. Returns 1 on success (for a
 * decryption: the record authenticated). */
static int
ece_gcm(EVP_CIPHER_CTX *c, int enc, const uint8_t key[ECE_KEY_LEN],
	const uint8_t nonce[ECE_NONCE_LEN], const uint8_t *in, size_t len, uint8_t *out,
	uint8_t tag[ECE_TAG_LEN])
{
	int n = 0, fin = 0;

	if (len > INT32_MAX || !EVP_CIPHER_CTX_reset(c) ||
	    !EVP_CipherInit_ex2(c, ece_cipher, key, nonce, enc, NULL))
		return 0;
	if (!enc && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, ECE_TAG_LEN, tag))
		return 0;
	if (len > 0 && !EVP_CipherUpdate(c, out, &n, in, (int)len))
		return 0;
	if (EVP_CipherFinal_ex(c, out + n, &fin) != 1)
		return 0;
	if (enc && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, ECE_TAG_LEN, tag))
		return 0;
	return 1;
}

enum prov_err
ece_header_parse(const void *in, size_t len, struct ece_header *h, struct diag *d)
{
	const uint8_t *p = in;

	if (len < ECE_HEADER_MIN)
		return diag_set(d, PROV_E_DECRYPT, 0, 0,
				"aes128gcm: truncated header (%zu of %d octets)", len,
				ECE_HEADER_MIN);
	h->salt = p;
	h->rs = (uint32_t)p[16] << 24 | (uint32_t)p[17] << 16 | (uint32_t)p[18] << 8 | p[19];
	h->keyidlen = p[20];
	h->keyid = p + ECE_HEADER_MIN;
	h->len = ECE_HEADER_MIN + h->keyidlen;
	if (len < h->len)
		return diag_set(d, PROV_E_DECRYPT, 0, 0,
				"aes128gcm: truncated header (key id of %zu octets, %zu present)",
				h->keyidlen, len - ECE_HEADER_MIN);
	if (h->rs < ECE_RS_MIN)
		return diag_set(d, PROV_E_DECRYPT, 0, 0,
				"aes128gcm: record size %u below %d", (unsigned)h->rs, ECE_RS_MIN);
	return PROV_OK;
}

enum prov_err
ece_decode(const void *in, size_t len, const void *ikm, size_t ikmlen,
	   const void *want_keyid, size_t want_keyidlen, struct buf *out, struct diag *d)
{
	const uint8_t *p = in;
	struct ece_header h;
	EVP_CIPHER_CTX *c = NULL;
	uint8_t key[ECE_KEY_LEN], base[ECE_NONCE_LEN], nonce[ECE_NONCE_LEN];
	uint8_t tag[ECE_TAG_LEN], *rec = NULL;
	size_t start = out->len, off, reclen = 0, cap = 0;
	uint64_t seq = 0;
	enum prov_err rc;

	if (ikmlen == 0)
		return diag_set(d, PROV_E_INVAL, 0, 0, "aes128gcm: empty input keying material");
	rc = ece_header_parse(in, len, &h, d);
	if (rc != PROV_OK)
		return rc;
	if (want_keyid != NULL &&
	    (h.keyidlen != want_keyidlen || memcmp(h.keyid, want_keyid, want_keyidlen) != 0))
		return diag_set(d, PROV_E_DECRYPT, 0, 0, "aes128gcm: not the expected key id");
	if (len == h.len)
		return diag_set(d, PROV_E_DECRYPT, 0, 0, "aes128gcm: truncated: no record");
	/* The largest record's plaintext: bounded by the input, not by rs. */
	cap = len - h.len < h.rs ? len - h.len : h.rs;
	rec = malloc(cap);
	c = EVP_CIPHER_CTX_new();
	if (rec == NULL || c == NULL) {
		rc = diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
		goto out;
	}
	if (!ece_derive(h.salt, ikm, ikmlen, key, base)) {
		rc = diag_set(d, PROV_E_DECRYPT, 0, 0, "aes128gcm: key derivation failed");
		goto out;
	}
	for (off = h.len; off < len; off += reclen, seq++) {
		size_t n;
		int last;

		reclen = len - off < h.rs ? len - off : h.rs;
		last = off + reclen == len;
		if (reclen < ECE_TAG_LEN + 1) {
			rc = diag_set(d, PROV_E_DECRYPT, 0, 0,
				      "aes128gcm: record %llu truncated (%zu octets)",
				      (unsigned long long)seq, reclen);
			goto out;
		}
		n = reclen - ECE_TAG_LEN;
		memcpy(tag, p + off + n, ECE_TAG_LEN);
		ece_nonce(base, seq, nonce);
		if (!ece_gcm(c, 0, key, nonce, p + off, n, rec, tag)) {
			rc = diag_set(d, PROV_E_DECRYPT, 0, 0,
				      "aes128gcm: record %llu does not authenticate "
				      "(wrong key, or altered, reordered or truncated data)",
				      (unsigned long long)seq);
			goto out;
		}
		while (n > 0 && rec[n - 1] == 0)
			n--;
		if (n == 0) {
			rc = diag_set(d, PROV_E_DECRYPT, 0, 0,
				      "aes128gcm: record %llu has no padding delimiter",
				      (unsigned long long)seq);
			goto out;
		}
		if (rec[n - 1] != (last ? ECE_DELIM_LAST : ECE_DELIM_MORE)) {
			if (rec[n - 1] == ECE_DELIM_MORE)
				rc = diag_set(d, PROV_E_DECRYPT, 0, 0,
					      "aes128gcm: truncated: record %llu is the last "
					      "but lacks the final delimiter",
					      (unsigned long long)seq);
			else if (rec[n - 1] == ECE_DELIM_LAST)
				rc = diag_set(d, PROV_E_DECRYPT, 0, 0,
					      "aes128gcm: data after the final record %llu",
					      (unsigned long long)seq);
			else
				rc = diag_set(d, PROV_E_DECRYPT, 0, 0,
					      "aes128gcm: record %llu has a bad padding "
					      "delimiter 0x%02x", (unsigned long long)seq,
					      rec[n - 1]);
			goto out;
		}
		rc = buf_add(out, rec, n - 1);
		if (rc != PROV_OK) {
			if (rc == PROV_E_TOOBIG)
				diag_set(d, rc, 0, 0, "profile larger than %zu bytes", out->max);
			else
				diag_set(d, rc, 0, 0, "out of memory");
			goto out;
		}
	}
	rc = PROV_OK;
out:
	if (rc != PROV_OK && out->p != NULL) {
		OPENSSL_cleanse(out->p + start, out->len - start);
		out->len = start;
		out->p[start] = '\0';
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(base, sizeof(base));
	if (rec != NULL)
		OPENSSL_cleanse(rec, cap);
	free(rec);
	EVP_CIPHER_CTX_free(c);
	return rc;
}

PROV_STATIC enum prov_err
ece_encode_salt(const void *in, size_t len, const void *ikm, size_t ikmlen,
		const void *keyid, size_t keyidlen, uint32_t rs, size_t pad,
		const uint8_t salt[ECE_SALT_LEN], struct buf *out, struct diag *d)
{
	const uint8_t *p = in;
	EVP_CIPHER_CTX *c = NULL;
	uint8_t key[ECE_KEY_LEN], base[ECE_NONCE_LEN], nonce[ECE_NONCE_LEN], tag[ECE_TAG_LEN];
	uint8_t hdr[ECE_HEADER_MIN], *rec = NULL;
	size_t start = out->len, room, off = 0, recmax;
	uint64_t seq = 0;
	enum prov_err rc;
	int last = 0;

	if (rs < ECE_RS_MIN)
		return diag_set(d, PROV_E_INVAL, 0, 0, "aes128gcm: record size %u below %d",
				(unsigned)rs, ECE_RS_MIN);
	if (keyidlen > ECE_KEYID_MAX)
		return diag_set(d, PROV_E_INVAL, 0, 0, "aes128gcm: key id longer than %d octets",
				ECE_KEYID_MAX);
	if (ikmlen == 0)
		return diag_set(d, PROV_E_INVAL, 0, 0, "aes128gcm: empty input keying material");
	room = rs - ECE_TAG_LEN - 1; /* data and padding octets per record */
	/* Never more scratch than this stream's largest record needs. */
	recmax = len + pad + 1 < (size_t)rs - ECE_TAG_LEN ? len + pad + 1 : (size_t)rs - ECE_TAG_LEN;
	rec = malloc(recmax + ECE_TAG_LEN);
	c = EVP_CIPHER_CTX_new();
	if (rec == NULL || c == NULL) {
		rc = diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
		goto out;
	}
	if (!ece_derive(salt, ikm, ikmlen, key, base)) {
		rc = diag_set(d, PROV_E_INVAL, 0, 0, "aes128gcm: key derivation failed");
		goto out;
	}
	memcpy(hdr, salt, ECE_SALT_LEN);
	hdr[16] = (uint8_t)(rs >> 24);
	hdr[17] = (uint8_t)(rs >> 16);
	hdr[18] = (uint8_t)(rs >> 8);
	hdr[19] = (uint8_t)rs;
	hdr[20] = (uint8_t)keyidlen;
	rc = buf_add(out, hdr, sizeof(hdr));
	if (rc == PROV_OK && keyidlen > 0)
		rc = buf_add(out, keyid, keyidlen);
	while (rc == PROV_OK && !last) {
		size_t padn = pad < room ? pad : room;
		size_t datan = len - off < room - padn ? len - off : room - padn;

		pad -= padn;
		last = off + datan == len && pad == 0;
		memcpy(rec, p + off, datan);
		rec[datan] = last ? ECE_DELIM_LAST : ECE_DELIM_MORE;
		memset(rec + datan + 1, 0, padn);
		ece_nonce(base, seq, nonce);
		if (!ece_gcm(c, 1, key, nonce, rec, datan + 1 + padn, rec, tag)) {
			rc = diag_set(d, PROV_E_NOMEM, 0, 0, "aes128gcm: encryption failed");
			break;
		}
		memcpy(rec + datan + 1 + padn, tag, ECE_TAG_LEN);
		rc = buf_add(out, rec, datan + 1 + padn + ECE_TAG_LEN);
		off += datan;
		seq++;
	}
	if (rc == PROV_E_TOOBIG)
		diag_set(d, rc, 0, 0, "aes128gcm: output larger than %zu bytes", out->max);
	else if (rc == PROV_E_NOMEM)
		diag_set(d, rc, 0, 0, "out of memory");
out:
	if (rc != PROV_OK && out->p != NULL) {
		out->len = start;
		out->p[start] = '\0';
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(base, sizeof(base));
	if (rec != NULL)
		OPENSSL_cleanse(rec, recmax + ECE_TAG_LEN);
	free(rec);
	EVP_CIPHER_CTX_free(c);
	return rc;
}

enum prov_err
ece_encode(const void *in, size_t len, const void *ikm, size_t ikmlen, const void *keyid,
	   size_t keyidlen, uint32_t rs, struct buf *out, struct diag *d)
{
	uint8_t salt[ECE_SALT_LEN];

	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return diag_set(d, PROV_E_NOMEM, 0, 0, "aes128gcm: no random salt");
	return ece_encode_salt(in, len, ikm, ikmlen, keyid, keyidlen, rs, 0, salt, out, d);
}

int
ece_is_outer(const char *ce)
{
	const char *t, *end;

	if (ce == NULL)
		return 0;
	t = strrchr(ce, ',');
	t = t != NULL ? t + 1 : ce;
	while (*t == ' ' || *t == '\t')
		t++;
	end = t + strlen(t);
	while (end > t && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	return end - t == 9 && strncasecmp(t, "aes128gcm", 9) == 0;
}
