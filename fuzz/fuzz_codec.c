/*
 * libFuzzer target: the decode pipeline of codec, gzip and openssl-enc
 * AES-256-CBC (device.md D-ENC-1..5; reliability.md R-FUZZ). The input is
 * a downloaded file behind one control byte: its low bits choose the key
 * (none, "k", "secret", "My Secret Key", the empty key), its top bit the
 * digest of the round trips. Besides ASan/UBSan, the invariants below
 * abort on violation:
 *  - codec_decode fails only with NOKEY, DECRYPT, GZIP or TOOBIG, with a
 *    message, leaving the output empty; without a key an encrypted file is
 *    NOKEY; it never passes its cap;
 *  - on success the layers are what the content says (D-ENC-1), a plain
 *    file comes out unchanged, and decoding the layers one by one
 *    (codec_decrypt, codec_gunzip) gives the same bytes;
 *  - a smaller cap gives the same result or TOOBIG;
 *  - round trips: codec_gunzip(codec_gzip(x)) == x; codec_decrypt of
 *    codec_encrypt_salt(codec_gzip(x)) is that gzip, and codec_decode of it
 *    is x; codec_encrypt_salt(x) decrypts to x, or is refused only when x
 *    is not text, and then decodes exactly as x itself does (so the
 *    fuzzer reaches, through the AES layer, what it cannot forge).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

#define FUZZ_CAP (64u * 1024u)        /* the decode cap */
#define FUZZ_SMALL_CAP 256u           /* the second, smaller cap */
#define FUZZ_BIG (4u * 1024u * 1024u) /* scratch buffers of the round trips */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_keys[] = { NULL, "k", "secret", "My Secret Key", "" };

static int
fuzz_same(const struct buf *b, const void *p, size_t n)
{
	return b->len == n && (n == 0 || memcmp(b->p, p, n) == 0);
}

/* Printable ASCII, tab, CR and LF only: certainly plausible plaintext. */
static int
fuzz_ascii(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') || p[i] >= 0x7f)
			return 0;
	return 1;
}

static void
fuzz_failed_cleanly(enum prov_err rc, const struct buf *out, const struct diag *d)
{
	if (rc != PROV_E_NOKEY && rc != PROV_E_DECRYPT && rc != PROV_E_GZIP &&
	    rc != PROV_E_TOOBIG)
		abort();
	if (out->len != 0 || d->code != rc || d->msg[0] == '\0')
		abort();
}

/* Decodes layer by layer and checks the result equals whole. */
static void
fuzz_layers(const uint8_t *in, size_t len, const char *key, const struct buf *whole,
	    unsigned layers)
{
	struct buf plain, out;
	struct diag d;
	const void *p = in;
	size_t n = len;

	buf_init(&plain, len);
	buf_init(&out, FUZZ_CAP);
	diag_init(&d);
	if (layers & PROV_LAYER_AES) {
		if (codec_decrypt(in, len, key, strlen(key), CODEC_MD_AUTO, &plain, NULL, &d) != PROV_OK)
			abort();
		p = plain.p;
		n = plain.len;
	}
	if (((layers & PROV_LAYER_GZIP) != 0) != (codec_classify(p, n) == CODEC_GZIP))
		abort();
	if (layers & PROV_LAYER_GZIP) {
		if (codec_gunzip(p, n, &out, &d) != PROV_OK || !fuzz_same(&out, whole->p, whole->len))
			abort();
	} else if (!fuzz_same(whole, p, n)) {
		abort();
	}
	buf_free(&out);
	buf_free(&plain);
}

static void
fuzz_decode(const uint8_t *in, size_t len, const char *key)
{
	struct buf out, small;
	struct diag d, ds;
	enum prov_err rc, rs;
	unsigned layers = 0, ls = 0;
	size_t keylen = key ? strlen(key) : 0;
	enum codec_kind kind = codec_classify(in, len);

	buf_init(&out, FUZZ_CAP);
	buf_init(&small, FUZZ_SMALL_CAP);
	diag_init(&d);
	diag_init(&ds);
	rc = codec_decode(in, len, key, keylen, &out, &layers, &d);
	rs = codec_decode(in, len, key, keylen, &small, &ls, &ds);
	if (kind == CODEC_AES && key == NULL && rc != PROV_E_NOKEY)
		abort();
	if (rc != PROV_OK) {
		fuzz_failed_cleanly(rc, &out, &d);
		fuzz_failed_cleanly(rs, &small, &ds);
		if (rs != rc && rs != PROV_E_TOOBIG)
			abort();
	} else {
		if (out.len > FUZZ_CAP)
			abort();
		if (((layers & PROV_LAYER_AES) != 0) != (kind == CODEC_AES))
			abort();
		if (kind == CODEC_GZIP && layers != PROV_LAYER_GZIP)
			abort();
		if (kind == CODEC_PLAIN && (layers != 0 || !fuzz_same(&out, in, len)))
			abort();
		fuzz_layers(in, len, key, &out, layers);
		if (out.len <= FUZZ_SMALL_CAP) {
			if (rs != PROV_OK || ls != layers || !fuzz_same(&small, out.p, out.len))
				abort();
		} else if (rs != PROV_E_TOOBIG || small.len != 0) {
			abort();
		}
	}
	buf_free(&small);
	buf_free(&out);
}

static void
fuzz_roundtrip(const uint8_t *in, size_t len, const char *key, enum codec_md md)
{
	static const uint8_t salt[CODEC_SALT_LEN] = { 's', 'a', 'l', 't', 0, 0xff, 1, 0x80 };
	struct buf gz, ct, out;
	struct diag d;
	enum codec_md used = CODEC_MD_AUTO;
	unsigned layers = 0;
	size_t keylen = strlen(key);
	enum prov_err rc;

	buf_init(&gz, FUZZ_BIG);
	buf_init(&ct, FUZZ_BIG);
	buf_init(&out, FUZZ_BIG);
	diag_init(&d);
	if (codec_gzip(in, len, &gz, &d) != PROV_OK || codec_classify(gz.p, gz.len) != CODEC_GZIP)
		abort();
	if (codec_gunzip(gz.p, gz.len, &out, &d) != PROV_OK || !fuzz_same(&out, in, len))
		abort();

	buf_reset(&out);
	if (codec_encrypt_salt(gz.p, gz.len, key, keylen, md, salt, &ct, &d) != PROV_OK ||
	    ct.len != CODEC_HEADER_LEN + (gz.len / 16 + 1) * 16)
		abort();
	if (codec_decrypt(ct.p, ct.len, key, keylen, CODEC_MD_AUTO, &out, &used, &d) != PROV_OK ||
	    used != md || !fuzz_same(&out, gz.p, gz.len))
		abort();
	buf_reset(&out);
	if (codec_decode(ct.p, ct.len, key, keylen, &out, &layers, &d) != PROV_OK ||
	    layers != (PROV_LAYER_AES | PROV_LAYER_GZIP) || !fuzz_same(&out, in, len))
		abort();

	buf_reset(&ct);
	buf_reset(&out);
	if (codec_encrypt_salt(in, len, key, keylen, md, salt, &ct, &d) != PROV_OK)
		abort();
	rc = codec_decrypt(ct.p, ct.len, key, keylen, md, &out, &used, &d);
	if (rc == PROV_OK ? !fuzz_same(&out, in, len) || used != md
			  : rc != PROV_E_DECRYPT || fuzz_ascii(in, len) || out.len != 0)
		abort();
	/* The AES layer is transparent: what decrypts decodes as its plaintext
	 * would (which is not itself encrypted: that is passed through). */
	fuzz_decode((const uint8_t *)ct.p, ct.len, key);
	if (rc == PROV_OK && codec_classify(in, len) != CODEC_AES) {
		struct buf a, b;
		enum prov_err ra, rb;

		buf_init(&a, FUZZ_CAP);
		buf_init(&b, FUZZ_CAP);
		ra = codec_decode(in, len, NULL, 0, &a, NULL, &d);
		rb = codec_decode(ct.p, ct.len, key, keylen, &b, NULL, &d);
		if (ra != rb || !fuzz_same(&b, a.p, a.len))
			abort();
		buf_free(&b);
		buf_free(&a);
	}
	buf_free(&out);
	buf_free(&ct);
	buf_free(&gz);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *key;
	enum codec_md md;

	if (size == 0)
		return 0;
	key = fuzz_keys[(data[0] & 0x7f) % (sizeof(fuzz_keys) / sizeof(fuzz_keys[0]))];
	md = (data[0] & 0x80) ? CODEC_MD_SHA256 : CODEC_MD_MD5;
	fuzz_decode(data + 1, size - 1, key);
	if (key == NULL)
		fuzz_decode(data + 1, size - 1, "k");
	fuzz_roundtrip(data + 1, size - 1, key ? key : "k", md);
	return 0;
}
