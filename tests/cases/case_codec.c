/*
 * Codec cases (tests/cases/codec/NNNN, device.md D-ENC-1..5): known-answer
 * vectors made with the real `openssl enc` and `gzip`. @@ op says which
 * function runs:
 *
 *   decode (default)  codec_decode of @@ input (the whole pipeline);
 *                     @@ layers: `none`, or the words `aes` and/or `gzip`
 *   decrypt           codec_decrypt of @@ input with @@ md (default auto);
 *                     @@ used: the digest that worked, md5 or sha256
 *   gunzip            codec_gunzip of @@ input
 *   encrypt           codec_encrypt_salt of the plaintext with @@ md
 *                     (default md5) and @@ salt (16 hex digits)
 *   gzip              codec_gzip of the plaintext
 *
 * @@ input, @@ plain-hex and @@ expect-hex are hex, white space ignored;
 * @@ plain and @@ expect are the bytes as written (no final newline).
 * @@ key is the passphrase exactly as written (absent: no key; an empty
 * section: the empty key). @@ cap is the output buf's cap (default
 * PROV_PROFILE_MAX). @@ error is the diag's message, exactly; @@ code, if
 * given, the enum prov_err name. A failure must leave the output empty.
 * encrypt and gzip cases are also decoded back to the plaintext.
 */
#include "case.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "hex.h"

#define CASE_CODEC_MAX (8u * 1024u * 1024u) /* a case file's bytes at most */

static const char *const case_codec_errs[] = {
	"PROV_OK", "PROV_E_NOMEM", "PROV_E_INVAL", "PROV_E_SYNTAX",
	"PROV_E_TOOBIG", "PROV_E_UNKNOWN", "PROV_E_DENIED", "PROV_E_IO",
	"PROV_E_BUSY", "PROV_E_EXISTS", "PROV_E_NOTFOUND", "PROV_E_CORRUPT",
	"PROV_E_NOKEY", "PROV_E_DECRYPT", "PROV_E_GZIP",
};

/* Appends the bytes of hex section NAME to out. */
static int
case_hex(struct case_file *cf, const char *name, struct buf *out)
{
	size_t len;
	const char *s = case_section(cf, name, &len);
	int hi = -1;

	for (size_t i = 0; i < len; i++) {
		int v;

		if (strchr(" \t\r\n", s[i]) != NULL)
			continue;
		if ((v = hex_val(s[i])) < 0)
			return case_fail(cf, "@@ %s: not a hex digit: '%c'", name, s[i]);
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (buf_addc(out, (char)(hi << 4 | v)) != PROV_OK)
			return case_fail(cf, "@@ %s: too long", name);
		hi = -1;
	}
	if (hi >= 0)
		return case_fail(cf, "@@ %s: odd number of hex digits", name);
	return 0;
}

/* Text section TEXT, or else hex section HEX, into out; 1 if neither. */
static int
case_bytes(struct case_file *cf, const char *text, const char *hex, struct buf *out)
{
	size_t len;
	const char *s = case_section(cf, text, &len);

	if (s != NULL)
		return buf_add(out, s, len) == PROV_OK ? 0 : case_fail(cf, "@@ %s: too long", text);
	if (case_section(cf, hex, NULL) != NULL)
		return case_hex(cf, hex, out);
	return case_fail(cf, "no @@ %s or @@ %s section", text, hex);
}

static void
case_dump(const char *what, const char *p, size_t n)
{
	fprintf(stderr, "--- %s (%zu bytes)\n", what, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%02x%s", (unsigned char)p[i], i % 30 == 29 || i + 1 == n ? "\n" : "");
}

static int
case_md(struct case_file *cf, const char *name, enum codec_md dflt, enum codec_md *md)
{
	const char *s = case_section(cf, name, NULL);

	*md = dflt;
	if (s == NULL)
		return 0;
	if (strcmp(s, "auto") == 0)
		*md = CODEC_MD_AUTO;
	else if (strcmp(s, "md5") == 0)
		*md = CODEC_MD_MD5;
	else if (strcmp(s, "sha256") == 0)
		*md = CODEC_MD_SHA256;
	else
		return case_fail(cf, "@@ %s: want auto, md5 or sha256, not '%s'", name, s);
	return 0;
}

/* The PROV_LAYER_* bits named in @@ layers. */
static int
case_layers(struct case_file *cf, unsigned *want)
{
	const char *s = case_section(cf, "layers", NULL);

	*want = 0;
	while (*(s += strspn(s, " \t\n")) != '\0') {
		size_t n = strcspn(s, " \t\n");

		if (n == 3 && memcmp(s, "aes", 3) == 0)
			*want |= PROV_LAYER_AES;
		else if (n == 4 && memcmp(s, "gzip", 4) == 0)
			*want |= PROV_LAYER_GZIP;
		else if (!(n == 4 && memcmp(s, "none", 4) == 0))
			return case_fail(cf, "@@ layers: unknown word '%.*s'", (int)n, s);
		s += n;
	}
	return 0;
}

/* Decodes what encrypt or gzip wrote back to the plaintext. */
static int
case_roundtrip(struct case_file *cf, const char *op, const struct buf *packed,
	       const struct buf *plain, const char *key, size_t keylen, enum codec_md md)
{
	struct buf back;
	struct diag d;
	enum codec_md used = CODEC_MD_AUTO;
	enum prov_err rc;
	int fail = 0;

	buf_init(&back, plain->len);
	diag_init(&d);
	if (strcmp(op, "encrypt") == 0)
		rc = codec_decrypt(packed->p, packed->len, key, keylen, CODEC_MD_AUTO,
				   &back, &used, &d);
	else
		rc = codec_gunzip(packed->p, packed->len, &back, &d);
	if (rc != PROV_OK)
		fail = case_fail(cf, "%s output does not decode back: %s", op, d.msg);
	else if (back.len != plain->len || memcmp(buf_str(&back), buf_str(plain), back.len) != 0)
		fail = case_fail(cf, "%s output decodes to other bytes", op);
	else if (strcmp(op, "encrypt") == 0 &&
		 used != (md == CODEC_MD_SHA256 ? CODEC_MD_SHA256 : CODEC_MD_MD5))
		fail = case_fail(cf, "encrypted with one digest, decrypted with the other");
	buf_free(&back);
	return fail;
}

int
case_run_codec(struct case_file *cf)
{
	const char *op = case_section(cf, "op", NULL);
	const char *key, *s;
	size_t keylen = 0, cap = PROV_PROFILE_MAX;
	struct buf in, out, want;
	struct diag d;
	enum codec_md md, used = CODEC_MD_AUTO, wantmd;
	enum prov_err rc;
	unsigned layers = 0, wantlayers;
	uint8_t salt[CODEC_SALT_LEN];
	int fail = 1, encode;

	if (op == NULL)
		op = "decode";
	encode = strcmp(op, "encrypt") == 0 || strcmp(op, "gzip") == 0;
	key = case_section(cf, "key", &keylen);
	if ((s = case_section(cf, "cap", NULL)) != NULL)
		cap = strtoul(s, NULL, 10);
	buf_init(&in, CASE_CODEC_MAX);
	buf_init(&out, cap);
	buf_init(&want, CASE_CODEC_MAX);
	diag_init(&d);
	if (encode ? case_bytes(cf, "plain", "plain-hex", &in) : case_hex(cf, "input", &in))
		goto out;
	if (case_md(cf, "md", encode ? CODEC_MD_MD5 : CODEC_MD_AUTO, &md) != 0)
		goto out;
	if (strcmp(op, "decode") == 0) {
		rc = codec_decode(in.p, in.len, key, keylen, &out, &layers, &d);
	} else if (strcmp(op, "decrypt") == 0) {
		rc = codec_decrypt(in.p, in.len, key, keylen, md, &out, &used, &d);
	} else if (strcmp(op, "gunzip") == 0) {
		rc = codec_gunzip(in.p, in.len, &out, &d);
	} else if (strcmp(op, "encrypt") == 0) {
		struct buf sb;

		buf_init(&sb, CODEC_SALT_LEN);
		if (key == NULL || case_section(cf, "salt", NULL) == NULL) {
			buf_free(&sb);
			fail = case_fail(cf, "encrypt needs @@ key and @@ salt");
			goto out;
		}
		if (case_hex(cf, "salt", &sb) != 0 || sb.len != CODEC_SALT_LEN) {
			buf_free(&sb);
			fail = case_fail(cf, "@@ salt: want 16 hex digits");
			goto out;
		}
		memcpy(salt, sb.p, CODEC_SALT_LEN);
		buf_free(&sb);
		rc = codec_encrypt_salt(in.p, in.len, key, keylen, md, salt, &out, &d);
	} else if (strcmp(op, "gzip") == 0) {
		rc = codec_gzip(in.p, in.len, &out, &d);
	} else {
		fail = case_fail(cf, "@@ op: unknown '%s'", op);
		goto out;
	}

	if ((s = case_section(cf, "code", NULL)) != NULL &&
	    ((size_t)rc >= sizeof(case_codec_errs) / sizeof(case_codec_errs[0]) ||
	     strcmp(s, case_codec_errs[rc]) != 0)) {
		fail = case_fail(cf, "code %d, want %s", (int)rc, s);
		goto out;
	}
	if (rc != PROV_OK && out.len != 0) {
		fail = case_fail(cf, "failed, yet left %zu bytes of output", out.len);
		goto out;
	}
	if (rc != PROV_OK && d.code != rc) {
		fail = case_fail(cf, "the diag holds code %d, the call returned %d",
				 (int)d.code, (int)rc);
		goto out;
	}
	if (case_section(cf, "expect-hex", NULL) == NULL || case_section(cf, "error", NULL)) {
		fail = case_check(cf, rc, &d, 0, buf_str(&out), out.len);
		if (fail)
			goto out;
	} else {
		if (rc != PROV_OK) {
			fail = case_fail(cf, "unexpected error (%s): %s", prov_strerror(rc), d.msg);
			goto out;
		}
		if (case_hex(cf, "expect-hex", &want) != 0)
			goto out;
		if (want.len != out.len || memcmp(buf_str(&want), buf_str(&out), out.len) != 0) {
			fail = case_fail(cf, "@@ expect-hex differs");
			case_dump("want", buf_str(&want), want.len);
			case_dump("got", buf_str(&out), out.len);
			goto out;
		}
	}
	if (rc != PROV_OK) {
		fail = 0;
		goto out;
	}
	if (case_section(cf, "layers", NULL) != NULL) {
		if (case_layers(cf, &wantlayers) != 0)
			goto out;
		if (layers != wantlayers) {
			fail = case_fail(cf, "layers %#x, want %#x", layers, wantlayers);
			goto out;
		}
	}
	if (case_section(cf, "used", NULL) != NULL) {
		if (case_md(cf, "used", CODEC_MD_AUTO, &wantmd) != 0)
			goto out;
		if (used != wantmd) {
			fail = case_fail(cf, "digest used: %s", used == CODEC_MD_MD5 ? "md5" :
					 used == CODEC_MD_SHA256 ? "sha256" : "none");
			goto out;
		}
	}
	fail = encode ? case_roundtrip(cf, op, &out, &in, key, keylen, md) : 0;
out:
	buf_free(&want);
	buf_free(&out);
	buf_free(&in);
	return fail;
}
