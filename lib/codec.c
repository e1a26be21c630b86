/*
 * codec: gzip and openssl-enc AES-256-CBC, both ways. See codec.h.
 *
 * Why OpenSSL and zlib rather than our own: they are what `openssl enc`
 * and `gzip` are built on, so bit-compatibility comes for free, and both
 * are well-kept Debian libraries (STYLE.md).
 */
#include "codec.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bounds.h"
#include "unittest.h"

#define CODEC_BLOCK 16               /* AES block size */
#define CODEC_KEY_LEN 32             /* AES-256 */
#define CODEC_IV_LEN 16

enum codec_kind
codec_classify(const void *data, size_t len)
{
	const unsigned char *p = data;

	if (len >= 8 && memcmp(p, CODEC_MAGIC, 8) == 0)
		return CODEC_AES;
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return CODEC_GZIP;
	return CODEC_PLAIN;
}

static const EVP_MD *
codec_md(enum codec_md md)
{
	return md == CODEC_MD_SHA256 ? EVP_sha256() : EVP_md5();
}

/* Key and IV from the passphrase, as `openssl enc -k` (EVP_BytesToKey, one
 * iteration). kiv holds 32 key bytes then 16 IV bytes. */
static int
codec_derive(const char *key, size_t keylen, enum codec_md md,
	     const uint8_t salt[CODEC_SALT_LEN], unsigned char kiv[CODEC_KEY_LEN + CODEC_IV_LEN])
{
	if (keylen > INT32_MAX)
		return 0;
	return EVP_BytesToKey(EVP_aes_256_cbc(), codec_md(md), salt,
			      (const unsigned char *)key, (int)keylen, 1, kiv,
			      kiv + CODEC_KEY_LEN) == CODEC_KEY_LEN;
}

/* Valid UTF-8 without NUL and without control characters other than tab,
 * CR, LF and form feed: text that could be a profile. */
static int
codec_text_plausible(const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	while (i < n) {
		unsigned char c = p[i];
		size_t k, more;

		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f')
				return 0;
			if (c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			more = 1;
		else if (c >= 0xe0 && c <= 0xef)
			more = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			more = 3;
		else
			return 0;
		/* A sequence cut by the sniff window is given the benefit. */
		for (k = 1; k <= more && i + k < n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
		i += more + 1;
	}
	return 1;
}

/* XML that is not UTF-8 but that the profile parser reads, expat decoding
 * it: a declaration naming another charset (`<?xml version="1.0"
 * encoding="ISO-8859-1"?>`), or UTF-16LE without a BOM ("<\0" and a name
 * start). Control characters other than white space are still refused. */
static int
codec_xml_plausible(const unsigned char *p, size_t n)
{
	size_t i;

	if (n >= 5 && memcmp(p, "<?xml", 5) == 0) {
		for (i = 5; i < n; i++)
			if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') ||
			    p[i] == 0x7f)
				return 0;
		return 1;
	}
	if (n >= 4 && p[0] == '<' && p[1] == 0 && p[3] == 0 &&
	    (p[2] == '?' || p[2] == '!' || ((p[2] | 0x20) >= 'a' && (p[2] | 0x20) <= 'z'))) {
		for (i = 0; i + 1 < n; i += 2) {
			unsigned u = p[i] | (unsigned)p[i + 1] << 8;

			if (u < 0x20 && u != '\t' && u != '\n' && u != '\r')
				return 0;
		}
		return 1;
	}
	return 0;
}

/* Plaintext that a phone could be handed: gzip, or profile text. Empty
 * counts (an encrypted empty profile). */
static int
codec_plausible(const unsigned char *p, size_t n)
{
	size_t m = n < CODEC_SNIFF ? n : CODEC_SNIFF;

	if (n == 0)
		return 1;
	if (codec_classify(p, n) == CODEC_GZIP)
		/* header + trailer at least; method deflate; no reserved flags */
		return n >= 18 && p[2] == 8 && (p[3] & 0xe0) == 0;
	return codec_text_plausible(p, m) || codec_xml_plausible(p, m);
}

/* One decryption attempt with one digest. Returns PROV_OK with the
 * plaintext appended to out, PROV_E_DECRYPT when padding or plausibility
 * fails, or PROV_E_TOOBIG / PROV_E_NOMEM; out is unchanged on failure. */
static enum prov_err
codec_try(const unsigned char *ct, size_t ctlen, const char *key, size_t keylen,
	  enum codec_md md, const uint8_t *salt, struct buf *out)
{
	unsigned char kiv[CODEC_KEY_LEN + CODEC_IV_LEN];
	EVP_CIPHER_CTX *ctx = NULL;
	struct buf tmp;
	enum prov_err rc;
	int n1 = 0, n2 = 0;

	buf_init(&tmp, ctlen + CODEC_BLOCK);
	rc = buf_reserve(&tmp, ctlen + CODEC_BLOCK);
	if (rc != PROV_OK)
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL) {
		rc = PROV_E_NOMEM;
		goto out;
	}
	rc = PROV_E_DECRYPT;
	if (ctlen > INT32_MAX || !codec_derive(key, keylen, md, salt, kiv))
		goto out;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, kiv, kiv + CODEC_KEY_LEN) != 1 ||
	    EVP_DecryptUpdate(ctx, (unsigned char *)tmp.p, &n1, ct, (int)ctlen) != 1)
		goto out;
	if (EVP_DecryptFinal_ex(ctx, (unsigned char *)tmp.p + n1, &n2) != 1)
		goto out; /* bad padding */
	buf_commit(&tmp, (size_t)(n1 + n2));
	if (!codec_plausible((unsigned char *)tmp.p, tmp.len))
		goto out;
	rc = buf_add(out, tmp.p, tmp.len);
out:
	if (tmp.p != NULL)
		OPENSSL_cleanse(tmp.p, tmp.alloc);
	buf_free(&tmp);
	OPENSSL_cleanse(kiv, sizeof(kiv));
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

enum prov_err
codec_decrypt(const void *in, size_t len, const char *key, size_t keylen,
	      enum codec_md md, struct buf *out, enum codec_md *used, struct diag *d)
{
	const unsigned char *p = in;
	const unsigned char *ct = p + CODEC_HEADER_LEN;
	size_t ctlen;
	static const enum codec_md order[] = { CODEC_MD_MD5, CODEC_MD_SHA256 };

	if (len < 8 || memcmp(p, CODEC_MAGIC, 8) != 0)
		return diag_set(d, PROV_E_DECRYPT, 0, 0,
				"decrypt failed: not an openssl-enc container (no \"Salted__\")");
	if (len < CODEC_HEADER_LEN)
		return diag_set(d, PROV_E_DECRYPT, 0, 0,
				"decrypt failed: truncated container (%zu bytes, no salt)", len);
	ctlen = len - CODEC_HEADER_LEN;
	if (ctlen == 0)
		return diag_set(d, PROV_E_DECRYPT, 0, 0,
				"decrypt failed: truncated container (no ciphertext after the salt)");
	if (ctlen % CODEC_BLOCK != 0)
		return diag_set(d, PROV_E_DECRYPT, 0, 0,
				"decrypt failed: truncated (%zu bytes of ciphertext, "
				"not a multiple of 16)", ctlen);
	for (size_t i = 0; i < 2; i++) {
		enum prov_err rc;

		if (md != CODEC_MD_AUTO && md != order[i])
			continue;
		rc = codec_try(ct, ctlen, key, keylen, order[i], p + 8, out);
		if (rc == PROV_OK) {
			if (used != NULL)
				*used = order[i];
			return PROV_OK;
		}
		if (rc == PROV_E_TOOBIG)
			return diag_set(d, rc, 0, 0, "decrypted profile larger than %zu bytes",
					out->max);
		if (rc != PROV_E_DECRYPT)
			return diag_set(d, rc, 0, 0, "decrypt: %s", prov_strerror(rc));
	}
	return diag_set(d, PROV_E_DECRYPT, 0, 0,
			"decrypt failed: wrong key or corrupt data (bad padding or garbage)");
}

enum prov_err
codec_gunzip(const void *in, size_t len, struct buf *out, struct diag *d)
{
	z_stream z;
	enum prov_err rc = PROV_OK;
	int zr;
	size_t start = out->len;

	memset(&z, 0, sizeof(z));
	/* 16 + 15: gzip wrapper only (D-ENC-4: a zlib or raw stream is refused). */
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return diag_set(d, PROV_E_NOMEM, 0, 0, "gzip: out of memory");
	z.next_in = (Bytef *)(uintptr_t)in;
	for (;;) {
		size_t room;
		uInt avail;

		/* Feed input in pieces zlib's 32-bit counters can hold. */
		if (z.avail_in == 0) {
			size_t used = (size_t)(z.next_in - (const Bytef *)in);
			size_t left = len - used;

			z.avail_in = (uInt)(left > UINT32_MAX ? UINT32_MAX : left);
		}
		if (out->len == out->max) {
			/* Full: one more byte of output means the cap is passed. */
			unsigned char probe;

			z.next_out = &probe;
			z.avail_out = 1;
			zr = inflate(&z, Z_NO_FLUSH);
			if (z.avail_out == 0) {
				rc = diag_set(d, PROV_E_TOOBIG, 0, 0,
					      "decompressed profile larger than %zu bytes", out->max);
				goto out;
			}
		} else {
			room = out->max - out->len;
			if (room > CODEC_CHUNK)
				room = CODEC_CHUNK;
			rc = buf_reserve(out, room);
			if (rc != PROV_OK) {
				diag_set(d, rc, 0, 0, "gzip: out of memory");
				goto out;
			}
			avail = (uInt)room;
			z.next_out = (Bytef *)out->p + out->len;
			z.avail_out = avail;
			zr = inflate(&z, Z_NO_FLUSH);
			buf_commit(out, avail - z.avail_out);
		}
		if (zr == Z_STREAM_END) {
			size_t used = (size_t)(z.next_in - (const Bytef *)in);

			if (used == len)
				break;
			/* Zero padding after the stream (tape and block devices
			 * write it; gzip ignores it with a warning): accepted. */
			{
				const unsigned char *rest = (const unsigned char *)in + used;
				size_t k = 0;

				while (k < len - used && rest[k] == 0)
					k++;
				if (k == len - used)
					break;
			}
			/* Another member follows (gzip a b > ab.gz), or garbage. */
			if (len - used < 2 || ((const unsigned char *)in)[used] != 0x1f ||
			    ((const unsigned char *)in)[used + 1] != 0x8b) {
				rc = diag_set(d, PROV_E_GZIP, 0, 0,
					      "gzip: %zu bytes of trailing garbage", len - used);
				goto out;
			}
			if (inflateReset(&z) != Z_OK) {
				rc = diag_set(d, PROV_E_GZIP, 0, 0, "gzip: cannot restart");
				goto out;
			}
			continue;
		}
		if (zr == Z_DATA_ERROR) {
			const char *m = z.msg ? z.msg : "corrupt data";

			if (strcmp(m, "incorrect data check") == 0)
				m = "CRC mismatch";
			else if (strcmp(m, "incorrect length check") == 0)
				m = "length mismatch";
			rc = diag_set(d, PROV_E_GZIP, 0, 0, "gzip: %s", m);
			goto out;
		}
		if (zr == Z_MEM_ERROR) {
			rc = diag_set(d, PROV_E_NOMEM, 0, 0, "gzip: out of memory");
			goto out;
		}
		if (zr == Z_BUF_ERROR || (zr == Z_OK && z.avail_in == 0 &&
					   (size_t)(z.next_in - (const Bytef *)in) == len &&
					   z.avail_out != 0)) {
			rc = diag_set(d, PROV_E_GZIP, 0, 0, "gzip: truncated stream");
			goto out;
		}
		if (zr != Z_OK) {
			rc = diag_set(d, PROV_E_GZIP, 0, 0, "gzip: %s", z.msg ? z.msg : "error");
			goto out;
		}
	}
out:
	inflateEnd(&z);
	if (rc != PROV_OK) {
		out->len = start;
		if (out->p != NULL)
			out->p[start] = '\0';
	}
	return rc;
}

enum prov_err
codec_decode(const void *in, size_t len, const char *key, size_t keylen,
	     struct buf *out, unsigned *layers, struct diag *d)
{
	struct buf plain;
	enum prov_err rc;
	unsigned got = 0;

	/* The cap is on the decoded profile, not on the compressed bytes
	 * between the layers (they may be larger); those are bounded by the
	 * input, as no plaintext is longer than its ciphertext. */
	buf_init(&plain, len);
	if (codec_classify(in, len) == CODEC_AES) {
		enum codec_md used = CODEC_MD_MD5;

		if (key == NULL)
			return diag_set(d, PROV_E_NOKEY, 0, 0,
					"encrypted profile, and no key given (--key)");
		rc = codec_decrypt(in, len, key, keylen, CODEC_MD_AUTO, &plain, &used, d);
		if (rc != PROV_OK)
			goto out;
		got |= PROV_LAYER_AES;
		if (codec_classify(plain.p, plain.len) == CODEC_GZIP) {
			size_t start = out->len;

			rc = codec_gunzip(plain.p, plain.len, out, d);
			if (rc == PROV_E_GZIP && used == CODEC_MD_MD5) {
				/* A SHA-256 file whose MD5 decryption happened to pad
				 * well and start like gzip (about 1 in 10^10): try
				 * the other derivation before blaming the data. */
				struct diag d2;
				struct buf alt;

				diag_init(&d2);
				buf_init(&alt, len);
				if (codec_decrypt(in, len, key, keylen, CODEC_MD_SHA256, &alt, NULL,
						  &d2) == PROV_OK &&
				    codec_classify(alt.p, alt.len) == CODEC_GZIP &&
				    codec_gunzip(alt.p, alt.len, out, &d2) == PROV_OK)
					rc = PROV_OK;
				else
					out->len = start;
				if (alt.p != NULL)
					OPENSSL_cleanse(alt.p, alt.alloc);
				buf_free(&alt);
			}
			if (rc != PROV_OK)
				goto out;
			got |= PROV_LAYER_GZIP;
		} else {
			rc = buf_add(out, plain.p, plain.len);
		}
	} else if (codec_classify(in, len) == CODEC_GZIP) {
		rc = codec_gunzip(in, len, out, d);
		if (rc != PROV_OK)
			goto out;
		got |= PROV_LAYER_GZIP;
	} else {
		rc = buf_add(out, in, len);
	}
	if (rc == PROV_E_TOOBIG)
		diag_set(d, rc, 0, 0, "profile larger than %zu bytes", out->max);
	else if (rc != PROV_OK && rc != PROV_E_GZIP)
		diag_set(d, rc, 0, 0, "out of memory");
	if (rc == PROV_OK && layers != NULL)
		*layers = got;
out:
	if (plain.p != NULL)
		OPENSSL_cleanse(plain.p, plain.alloc);
	buf_free(&plain);
	return rc;
}

enum prov_err
codec_decode_aes128gcm(const void *in, size_t len, const void *ikm, size_t ikmlen,
		       const char *keyid, size_t keyidlen, struct buf *out, unsigned *layers,
		       struct diag *d)
{
	struct buf plain;
	enum prov_err rc;
	unsigned inner = 0;

	if (ikmlen == 0)
		return diag_set(d, PROV_E_NOKEY, 0, 0,
				"aes128gcm content, and no input keying material");
	/* No plaintext is longer than its stream: the input bounds it. */
	buf_init(&plain, len);
	rc = ece_decode(in, len, ikm, ikmlen, keyid, keyidlen, &plain, d);
	if (rc != PROV_OK)
		goto out;
	/* What is inside goes on as a body without the header would, but
	 * without a key: the openssl-enc layer is not looked for. */
	if (codec_classify(plain.p, plain.len) == CODEC_AES)
		rc = diag_set(d, PROV_E_DECRYPT, 0, 0,
			      "aes128gcm content holds an openssl-enc container");
	else
		rc = codec_decode(plain.p, plain.len, NULL, 0, out, &inner, d);
	if (rc == PROV_OK && layers != NULL)
		*layers = PROV_LAYER_AES128GCM | inner;
out:
	if (plain.p != NULL)
		OPENSSL_cleanse(plain.p, plain.alloc);
	buf_free(&plain);
	return rc;
}

enum prov_err
codec_gzip(const void *in, size_t len, struct buf *out, struct diag *d)
{
	z_stream z;
	enum prov_err rc = PROV_OK;
	size_t start = out->len;
	int zr;

	memset(&z, 0, sizeof(z));
	/* 16 + 15: a gzip wrapper; zlib writes mtime 0 and OS 3 (Unix). */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return diag_set(d, PROV_E_NOMEM, 0, 0, "gzip: out of memory");
	z.next_in = (Bytef *)(uintptr_t)in;
	do {
		size_t bound = deflateBound(&z, (uLong)len) + 64;
		size_t used = (size_t)(z.next_in - (const Bytef *)in);
		size_t left = len - used;

		z.avail_in = (uInt)(left > UINT32_MAX ? UINT32_MAX : left);
		if (bound > out->max - out->len)
			bound = out->max - out->len;
		if (bound == 0) {
			rc = PROV_E_TOOBIG;
			break;
		}
		rc = buf_reserve(out, bound);
		if (rc != PROV_OK)
			break;
		z.next_out = (Bytef *)out->p + out->len;
		z.avail_out = (uInt)(bound > UINT32_MAX ? UINT32_MAX : bound);
		{
			uInt before = z.avail_out;

			zr = deflate(&z, used + z.avail_in == len ? Z_FINISH : Z_NO_FLUSH);
			buf_commit(out, before - z.avail_out);
		}
		if (zr == Z_STREAM_ERROR) {
			rc = PROV_E_INVAL;
			break;
		}
	} while (zr != Z_STREAM_END);
	deflateEnd(&z);
	if (rc != PROV_OK) {
		out->len = start;
		if (out->p != NULL)
			out->p[start] = '\0';
		return diag_set(d, rc, 0, 0, "gzip: %s", prov_strerror(rc));
	}
	return PROV_OK;
}

PROV_STATIC enum prov_err
codec_encrypt_salt(const void *in, size_t len, const char *key, size_t keylen,
		   enum codec_md md, const uint8_t salt[CODEC_SALT_LEN],
		   struct buf *out, struct diag *d)
{
	unsigned char kiv[CODEC_KEY_LEN + CODEC_IV_LEN];
	EVP_CIPHER_CTX *ctx = NULL;
	enum prov_err rc;
	size_t start = out->len, need;
	int n1 = 0, n2 = 0;

	if (len > INT32_MAX - CODEC_BLOCK)
		return diag_set(d, PROV_E_TOOBIG, 0, 0, "encrypt: input too large");
	need = CODEC_HEADER_LEN + len + CODEC_BLOCK;
	rc = buf_reserve(out, need);
	if (rc == PROV_OK)
		rc = buf_add(out, CODEC_MAGIC, 8);
	if (rc == PROV_OK)
		rc = buf_add(out, salt, CODEC_SALT_LEN);
	if (rc != PROV_OK)
		goto out;
	rc = PROV_E_INVAL;
	if (!codec_derive(key, keylen, md, salt, kiv))
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL) {
		rc = PROV_E_NOMEM;
		goto out;
	}
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, kiv, kiv + CODEC_KEY_LEN) != 1 ||
	    EVP_EncryptUpdate(ctx, (unsigned char *)out->p + out->len, &n1, in, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, (unsigned char *)out->p + out->len + n1, &n2) != 1)
		goto out;
	buf_commit(out, (size_t)(n1 + n2));
	rc = PROV_OK;
out:
	OPENSSL_cleanse(kiv, sizeof(kiv));
	EVP_CIPHER_CTX_free(ctx);
	if (rc != PROV_OK) {
		out->len = start;
		if (out->p != NULL)
			out->p[start] = '\0';
		return diag_set(d, rc, 0, 0, "encrypt: %s", prov_strerror(rc));
	}
	return PROV_OK;
}

enum prov_err
codec_encrypt(const void *in, size_t len, const char *key, size_t keylen,
	      enum codec_md md, struct buf *out, struct diag *d)
{
	uint8_t salt[CODEC_SALT_LEN];

	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return diag_set(d, PROV_E_IO, 0, 0, "encrypt: no random salt");
	return codec_encrypt_salt(in, len, key, keylen,
				  md == CODEC_MD_SHA256 ? CODEC_MD_SHA256 : CODEC_MD_MD5,
				  salt, out, d);
}

/* ---- the public API ---------------------------------------------------- */

static enum prov_err
codec_finish(enum prov_err rc, struct buf *b, void **out, size_t *outlen,
	     const struct diag *d, char *msg, size_t msglen)
{
	if (rc != PROV_OK) {
		if (b->p != NULL)
			OPENSSL_cleanse(b->p, b->alloc);
		buf_free(b);
		if (msg != NULL && msglen > 0)
			diag_format(d, NULL, msg, msglen);
		return rc;
	}
	*outlen = b->len;
	*out = buf_take(b);
	if (*out == NULL) {
		if (msg != NULL && msglen > 0)
			snprintf(msg, msglen, "out of memory");
		return PROV_E_NOMEM;
	}
	if (msg != NULL && msglen > 0)
		msg[0] = '\0';
	return PROV_OK;
}

/* prov_pack and prov_pack_aes128gcm: gzip if asked, then AES-256-CBC with
 * key, or aes128gcm with ikm (rs already checked), or nothing. */
static enum prov_err
codec_pack(const void *in, size_t len, unsigned flags, const char *key, const char *ikm,
	   const char *keyid, uint32_t rs, void **out, size_t *outlen, char *msg,
	   size_t msglen)
{
	struct buf z, b;
	struct diag d;
	enum prov_err rc = PROV_OK;
	const void *src = in;
	size_t srclen = len;

	*out = NULL;
	*outlen = 0;
	diag_init(&d);
	buf_init(&z, SIZE_MAX / 2);
	buf_init(&b, SIZE_MAX / 2);
	if (flags & PROV_PACK_GZIP) {
		rc = codec_gzip(in, len, &z, &d);
		src = z.p;
		srclen = z.len;
	}
	if (rc == PROV_OK) {
		if (key != NULL)
			rc = codec_encrypt(src, srclen, key, strlen(key),
					   (flags & PROV_PACK_SHA256) ? CODEC_MD_SHA256 : CODEC_MD_MD5,
					   &b, &d);
		else if (ikm != NULL)
			rc = ece_encode(src, srclen, ikm, strlen(ikm), keyid,
					keyid != NULL ? strlen(keyid) : 0, rs, &b, &d);
		else
			rc = buf_add(&b, src, srclen);
	}
	if (z.p != NULL)
		OPENSSL_cleanse(z.p, z.alloc); /* the compressed profile: secrets */
	buf_free(&z);
	return codec_finish(rc, &b, out, outlen, &d, msg, msglen);
}

enum prov_err
prov_pack(const void *in, size_t len, unsigned flags, const char *key,
	  void **out, size_t *outlen, char *msg, size_t msglen)
{
	return codec_pack(in, len, flags, key, NULL, NULL, 0, out, outlen, msg, msglen);
}

enum prov_err
prov_unpack(const void *in, size_t len, const char *key, size_t maxsize,
	    void **out, size_t *outlen, unsigned *layers, char *msg, size_t msglen)
{
	struct buf b;
	struct diag d;
	enum prov_err rc;

	*out = NULL;
	*outlen = 0;
	diag_init(&d);
	buf_init(&b, maxsize ? maxsize : PROV_PROFILE_MAX);
	rc = codec_decode(in, len, key, key ? strlen(key) : 0, &b, layers, &d);
	return codec_finish(rc, &b, out, outlen, &d, msg, msglen);
}

enum prov_err
prov_pack_aes128gcm(const void *in, size_t len, unsigned flags, const char *ikm,
		    const char *keyid, unsigned long rs, void **out, size_t *outlen,
		    char *msg, size_t msglen)
{
	if (rs == 0)
		rs = ECE_RS_DEFAULT;
	if (rs > UINT32_MAX || ikm == NULL) {
		*out = NULL;
		*outlen = 0;
		if (msg != NULL && msglen > 0)
			snprintf(msg, msglen, ikm == NULL ? "aes128gcm: no input keying material"
				 : "aes128gcm: record size above 4294967295");
		return PROV_E_INVAL;
	}
	return codec_pack(in, len, flags & PROV_PACK_GZIP, NULL, ikm, keyid, (uint32_t)rs, out,
			  outlen, msg, msglen);
}

enum prov_err
prov_unpack_aes128gcm(const void *in, size_t len, const char *ikm, const char *keyid,
		      size_t maxsize, void **out, size_t *outlen, unsigned *layers, char *msg,
		      size_t msglen)
{
	struct buf b;
	struct diag d;
	enum prov_err rc;

	*out = NULL;
	*outlen = 0;
	diag_init(&d);
	buf_init(&b, maxsize ? maxsize : PROV_PROFILE_MAX);
	rc = codec_decode_aes128gcm(in, len, ikm, ikm != NULL ? strlen(ikm) : 0, keyid,
				    keyid != NULL ? strlen(keyid) : 0, &b, layers, &d);
	return codec_finish(rc, &b, out, outlen, &d, msg, msglen);
}
