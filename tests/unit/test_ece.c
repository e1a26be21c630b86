/*
 * Unit tests of ece (RFC 8188 aes128gcm, device.md D-ENC-6) and of the
 * device's pipeline and public functions built on it: the exact examples
 * of RFC 8188 s. 3.1 and 3.2 both ways, each refusal the decoder owes,
 * and the mutation test of reliability.md R-INTEGRITY (every octet of a
 * small encoded profile flipped, every truncation: each refused, nothing
 * output). Interop with an independent implementation (python3's
 * cryptography) is tests/cli/ece.t.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "diag.h"
#include "ece.h"

#define CAP (1024u * 1024u) /* cap of scratch buffers */

static const char walrus[] = "I am the walrus";

/* RFC 8188 s. 3.1 */
static const char ikm1_b64[] = "yqdlZ-tYemfogSmv7Ws5PQ";
static const char salt1_b64[] = "I1BsxtFttlv3u_Oo94xnmw";
static const char cek1_b64[] = "_wniytB-ofscZDh4tbSjHw";
static const char nonce1_b64[] = "Bcs8gkIRKLI8GeI8";
static const char body1_b64[] =
	"I1BsxtFttlv3u_Oo94xnmwAAEAAA-NAVub2qFgBEuQKRapoZu-IxkIva3MEB1PD-ly8Thjg";
/* RFC 8188 s. 3.2: key id "a1", rs 25, two records, one octet of padding */
static const char ikm2_b64[] = "BO3ZVPxUlnLORbVGMpbT1Q";
static const char body2_b64[] =
	"uNCkWiNYzKTnBN9ji3-qWAAAABkCYTHOG8chz_gnvgOqdGYovxyjuqRyJFjEDyoF"
	"1Fvkj6hQPdPHI51OEUKEpgz3SsLWIqS_uA";

static const char profile[] =
	"<flat-profile>\n"
	"  <GPP_A>12345678</GPP_A>\n"
	"  <SIP_Password_1_>hunter2</SIP_Password_1_>\n"
	"</flat-profile>\n";

/* base64url without padding (RFC 4648 s. 5), as the RFC prints its values. */
static size_t
b64u(const char *s, uint8_t *out)
{
	static const char al[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t acc = 0;
	size_t n = 0;
	int bits = 0;

	for (; *s; s++) {
		const char *p = strchr(al, *s);

		assert_non_null(p);
		acc = acc << 6 | (uint32_t)(p - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n;
}

static void
assert_refused(const uint8_t *in, size_t len, const void *ikm, size_t ikmlen,
	       const char *keyid, const char *why)
{
	struct buf out;
	struct diag d;
	enum prov_err rc;

	buf_init(&out, CAP);
	diag_init(&d);
	assert_int_equal(buf_add(&out, "kept", 4), PROV_OK);
	rc = ece_decode(in, len, ikm, ikmlen, keyid, keyid ? strlen(keyid) : 0, &out, &d);
	if (rc != PROV_E_DECRYPT)
		fail_msg("expected refusal (%s), got %d: %s", why, rc, d.msg);
	assert_int_equal(out.len, 4); /* all or nothing: nothing appended */
	assert_memory_equal(out.p, "kept", 5);
	if (why != NULL && strstr(d.msg, why) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", d.msg, why);
	buf_free(&out);
}

static void
d_enc_6_rfc8188_3_1(void **state)
{
	uint8_t ikm[16], salt[16], cek[16], nonce[12], want_cek[16], want_nonce[12], body[64];
	size_t n;
	struct buf out;
	struct diag d;

	(void)state;
	assert_int_equal(b64u(ikm1_b64, ikm), 16);
	assert_int_equal(b64u(salt1_b64, salt), 16);
	assert_int_equal(b64u(cek1_b64, want_cek), 16);
	assert_int_equal(b64u(nonce1_b64, want_nonce), 12);
	n = b64u(body1_b64, body);
	assert_int_equal(n, 53);
	assert_true(ece_derive(salt, ikm, 16, cek, nonce));
	assert_memory_equal(cek, want_cek, 16);
	assert_memory_equal(nonce, want_nonce, 12);

	buf_init(&out, CAP);
	diag_init(&d);
	assert_int_equal(ece_encode_salt(walrus, strlen(walrus), ikm, 16, "", 0, 4096, 0, salt,
					 &out, &d), PROV_OK);
	assert_int_equal(out.len, n);
	assert_memory_equal(out.p, body, n);
	buf_reset(&out);
	assert_int_equal(ece_decode(body, n, ikm, 16, NULL, 0, &out, &d), PROV_OK);
	assert_int_equal(out.len, strlen(walrus));
	assert_memory_equal(out.p, walrus, out.len);
	buf_free(&out);
}

static void
d_enc_6_rfc8188_3_2(void **state)
{
	uint8_t ikm[16], body[96];
	size_t n;
	struct ece_header h;
	struct buf out;
	struct diag d;

	(void)state;
	assert_int_equal(b64u(ikm2_b64, ikm), 16);
	n = b64u(body2_b64, body);
	assert_int_equal(n, 73);
	diag_init(&d);
	assert_int_equal(ece_header_parse(body, n, &h, &d), PROV_OK);
	assert_int_equal(h.rs, 25);
	assert_int_equal(h.keyidlen, 2);
	assert_memory_equal(h.keyid, "a1", 2);
	assert_int_equal(h.len, 23);

	buf_init(&out, CAP);
	assert_int_equal(ece_encode_salt(walrus, strlen(walrus), ikm, 16, "a1", 2, 25, 1, body,
					 &out, &d), PROV_OK);
	assert_int_equal(out.len, n);
	assert_memory_equal(out.p, body, n);
	buf_reset(&out);
	assert_int_equal(ece_decode(body, n, ikm, 16, "a1", 2, &out, &d), PROV_OK);
	assert_int_equal(out.len, strlen(walrus));
	assert_memory_equal(out.p, walrus, out.len);
	buf_free(&out);
	/* The key id the caller expects must be the one in the header. */
	assert_refused(body, n, ikm, 16, "a2", "key id");
	assert_refused(body, n, ikm, 16, "", "key id");
}

/* A stream of the profile in records of 40 octets (four records), keyed
 * by text as the device's IKM_HTTP_Encrypt_Content is. */
static void
encode_profile(struct buf *out, uint32_t rs)
{
	static const uint8_t salt[16] = { 's', 'a', 'l', 't', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	struct diag d;

	buf_init(out, CAP);
	diag_init(&d);
	assert_int_equal(ece_encode_salt(profile, strlen(profile), "device key", 10, "k1", 2, rs,
					 0, salt, out, &d), PROV_OK);
}

static void
d_enc_6_refusals(void **state)
{
	struct buf s, t;
	struct diag d;
	uint8_t *p;
	size_t rs = 40, hdr = ECE_HEADER_MIN + 2, nrec;

	(void)state;
	encode_profile(&s, (uint32_t)rs);
	p = (uint8_t *)s.p;
	nrec = (s.len - hdr + rs - 1) / rs;
	assert_true(nrec >= 3);

	assert_refused(p, s.len, "other key", 9, NULL, "does not authenticate");
	assert_refused(p, s.len, "device key", 10, "k2", "key id");
	assert_refused(p, 10, "device key", 10, NULL, "truncated header");
	assert_refused(p, ECE_HEADER_MIN + 1, "device key", 10, NULL, "truncated header");
	assert_refused(p, hdr, "device key", 10, NULL, "no record");
	/* Cut at a record boundary: every record authenticates, the last
	 * lacks the final delimiter. */
	assert_refused(p, hdr + rs, "device key", 10, NULL, "lacks the final delimiter");
	assert_refused(p, hdr + 2 * rs, "device key", 10, NULL, "lacks the final delimiter");
	/* A last record of fewer octets than a tag and a delimiter. */
	assert_refused(p, hdr + rs + 10, "device key", 10, NULL, "record 1 truncated");
	/* Records out of order: the first two swapped, then a middle one
	 * dropped (the stream one record shorter, every record still whole). */
	buf_init(&t, CAP);
	assert_int_equal(buf_add(&t, p, hdr), PROV_OK);
	assert_int_equal(buf_add(&t, p + hdr + rs, rs), PROV_OK);
	assert_int_equal(buf_add(&t, p + hdr, rs), PROV_OK);
	assert_int_equal(buf_add(&t, p + hdr + 2 * rs, s.len - hdr - 2 * rs), PROV_OK);
	assert_refused((uint8_t *)t.p, t.len, "device key", 10, NULL, "record 0 does not");
	buf_reset(&t);
	assert_int_equal(buf_add(&t, p, hdr + rs), PROV_OK);
	assert_int_equal(buf_add(&t, p + hdr + 2 * rs, s.len - hdr - 2 * rs), PROV_OK);
	assert_refused((uint8_t *)t.p, t.len, "device key", 10, NULL, "record 1 does not");
	/* Appended data: an extra copy of the last record. */
	buf_reset(&t);
	assert_int_equal(buf_add(&t, p, s.len), PROV_OK);
	assert_int_equal(buf_add(&t, p + hdr + (nrec - 1) * rs, s.len - hdr - (nrec - 1) * rs),
			 PROV_OK);
	assert_refused((uint8_t *)t.p, t.len, "device key", 10, NULL, NULL);
	/* rs below 18 in the header. */
	buf_reset(&t);
	assert_int_equal(buf_add(&t, p, s.len), PROV_OK);
	t.p[16] = t.p[17] = t.p[18] = 0;
	t.p[19] = 17;
	assert_refused((uint8_t *)t.p, t.len, "device key", 10, NULL, "record size 17 below 18");
	buf_free(&t);

	/* Encoding refuses what could not be decoded. */
	diag_init(&d);
	buf_init(&t, CAP);
	assert_int_equal(ece_encode("x", 1, "k", 1, NULL, 0, 17, &t, &d), PROV_E_INVAL);
	assert_int_equal(ece_encode("x", 1, "", 0, NULL, 0, 4096, &t, &d), PROV_E_INVAL);
	{
		char id[ECE_KEYID_MAX + 1];

		memset(id, 'i', sizeof(id));
		assert_int_equal(ece_encode("x", 1, "k", 1, id, sizeof(id), 4096, &t, &d),
				 PROV_E_INVAL);
		assert_int_equal(ece_encode("x", 1, "k", 1, id, ECE_KEYID_MAX, 4096, &t, &d),
				 PROV_OK);
	}
	buf_free(&t);
	assert_int_equal(ece_decode(p, s.len, "", 0, NULL, 0, &t, &d), PROV_E_INVAL);
	buf_free(&s);
}

/* Padding delimiters other than the last record's 0x02 and the others'
 * 0x01, and records holding only padding, are refused; padding itself is
 * fine (RFC 8188 s. 2). Built with ece_encode_salt's padding. */
static void
d_enc_6_padding(void **state)
{
	static const uint8_t salt[16] = { 0 };
	struct buf s, out;
	struct diag d;

	(void)state;
	buf_init(&s, CAP);
	buf_init(&out, CAP);
	diag_init(&d);
	/* 50 octets of padding over records of 20 (3 octets each): many
	 * records of padding only, then the data. */
	assert_int_equal(ece_encode_salt("abc", 3, "k", 1, NULL, 0, 20, 50, salt, &s, &d), PROV_OK);
	assert_int_equal(ece_decode(s.p, s.len, "k", 1, NULL, 0, &out, &d), PROV_OK);
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.p, "abc", 3);
	buf_reset(&s);
	buf_reset(&out);
	/* Empty content: one record holding the delimiter alone. */
	assert_int_equal(ece_encode_salt("", 0, "k", 1, NULL, 0, 18, 0, salt, &s, &d), PROV_OK);
	assert_int_equal(s.len, ECE_HEADER_MIN + 17);
	assert_int_equal(ece_decode(s.p, s.len, "k", 1, NULL, 0, &out, &d), PROV_OK);
	assert_int_equal(out.len, 0);
	/* Content that fills its records exactly: the last one is whole. */
	buf_reset(&s);
	assert_int_equal(ece_encode_salt("abcdef", 6, "k", 1, NULL, 0, 19, 0, salt, &s, &d),
			 PROV_OK);
	assert_int_equal(s.len, ECE_HEADER_MIN + 3 * 19);
	assert_int_equal(ece_decode(s.p, s.len, "k", 1, NULL, 0, &out, &d), PROV_OK);
	assert_int_equal(out.len, 6);
	assert_memory_equal(out.p, "abcdef", 6);
	buf_free(&out);
	buf_free(&s);
}

/* reliability.md R-INTEGRITY: every octet of the stream flipped (each of
 * 0x01, 0x80 and 0xff), and every truncation, is refused and outputs
 * nothing, the key id included when the caller expects one. Without an
 * expected key id, an altered key id is the one change that decodes (RFC
 * 8188 does not authenticate it), and then to the same, authentic content. */
static void
r_integrity_mutations(void **state)
{
	static const uint8_t flips[] = { 0x01, 0x80, 0xff };
	struct buf s, out;
	struct diag d;
	size_t i, f, refused = 0;

	(void)state;
	encode_profile(&s, 40);
	buf_init(&out, CAP);
	diag_init(&d);
	assert_int_equal(ece_decode(s.p, s.len, "device key", 10, "k1", 2, &out, &d), PROV_OK);
	assert_string_equal(out.p, profile);
	for (i = 0; i < s.len; i++) {
		for (f = 0; f < sizeof(flips); f++) {
			enum prov_err rc;

			s.p[i] ^= (char)flips[f];
			buf_reset(&out);
			rc = ece_decode(s.p, s.len, "device key", 10, "k1", 2, &out, &d);
			if (rc != PROV_E_DECRYPT || out.len != 0)
				fail_msg("octet %zu ^ 0x%02x accepted (%d)", i, flips[f], rc);
			if (i >= ECE_HEADER_MIN && i < ECE_HEADER_MIN + 2) {
				rc = ece_decode(s.p, s.len, "device key", 10, NULL, 0, &out, &d);
				assert_int_equal(rc, PROV_OK);
				assert_string_equal(out.p, profile);
			}
			s.p[i] ^= (char)flips[f];
			refused++;
		}
	}
	for (i = 0; i < s.len; i++) {
		buf_reset(&out);
		if (ece_decode(s.p, i, "device key", 10, NULL, 0, &out, &d) != PROV_E_DECRYPT ||
		    out.len != 0)
			fail_msg("truncation to %zu of %zu octets accepted", i, s.len);
		refused++;
	}
	assert_int_equal(refused, 4 * s.len);
	buf_free(&out);
	buf_free(&s);
}

/* The cap is on the content, and a refusal on it leaves nothing. */
static void
d_enc_6_cap(void **state)
{
	struct buf s, out;
	struct diag d;

	(void)state;
	encode_profile(&s, 40);
	buf_init(&out, strlen(profile) - 1);
	diag_init(&d);
	assert_int_equal(ece_decode(s.p, s.len, "device key", 10, NULL, 0, &out, &d),
			 PROV_E_TOOBIG);
	assert_int_equal(out.len, 0);
	buf_free(&out);
	buf_init(&out, strlen(profile));
	assert_int_equal(ece_decode(s.p, s.len, "device key", 10, NULL, 0, &out, &d), PROV_OK);
	buf_free(&out);
	buf_init(&out, ECE_HEADER_MIN + 10);
	assert_int_equal(ece_encode(profile, strlen(profile), "k", 1, NULL, 0, 4096, &out, &d),
			 PROV_E_TOOBIG);
	assert_int_equal(out.len, 0);
	buf_free(&out);
	buf_free(&s);
}

/* The device's pipeline: aes128gcm, then gzip by content; no openssl-enc
 * inside; an empty IKM is "no key". The public pack/unpack agree. */
static void
d_enc_6_pipeline_and_public(void **state)
{
	struct buf gz, s, out;
	struct diag d;
	unsigned layers = 0;
	void *packed = NULL, *back = NULL;
	size_t plen = 0, blen = 0;
	char msg[256];

	(void)state;
	buf_init(&gz, CAP);
	buf_init(&s, CAP);
	buf_init(&out, CAP);
	diag_init(&d);
	assert_int_equal(codec_gzip(profile, strlen(profile), &gz, &d), PROV_OK);
	assert_int_equal(ece_encode(gz.p, gz.len, "ikm", 3, "7", 1, 4096, &s, &d), PROV_OK);
	assert_int_equal(codec_decode_aes128gcm(s.p, s.len, "ikm", 3, NULL, 0, &out, &layers, &d),
			 PROV_OK);
	assert_int_equal(layers, PROV_LAYER_AES128GCM | PROV_LAYER_GZIP);
	assert_string_equal(out.p, profile);
	buf_reset(&out);
	assert_int_equal(codec_decode_aes128gcm(s.p, s.len, "", 0, NULL, 0, &out, &layers, &d),
			 PROV_E_NOKEY);
	buf_reset(&s);
	buf_reset(&gz);
	assert_int_equal(codec_encrypt(profile, strlen(profile), "k", 1, CODEC_MD_MD5, &gz, &d),
			 PROV_OK);
	assert_int_equal(ece_encode(gz.p, gz.len, "ikm", 3, NULL, 0, 4096, &s, &d), PROV_OK);
	assert_int_equal(codec_decode_aes128gcm(s.p, s.len, "ikm", 3, NULL, 0, &out, &layers, &d),
			 PROV_E_DECRYPT);
	assert_int_equal(out.len, 0);

	assert_int_equal(prov_pack_aes128gcm(profile, strlen(profile), PROV_PACK_GZIP, "ikm",
					     "key-7", 100, &packed, &plen, msg, sizeof(msg)),
			 PROV_OK);
	assert_int_equal(((uint8_t *)packed)[19], 100);
	assert_int_equal(((uint8_t *)packed)[20], 5);
	assert_int_equal(prov_unpack_aes128gcm(packed, plen, "ikm", "key-7", 0, &back, &blen,
					       &layers, msg, sizeof(msg)), PROV_OK);
	assert_int_equal(blen, strlen(profile));
	assert_memory_equal(back, profile, blen);
	free(back);
	assert_int_equal(prov_unpack_aes128gcm(packed, plen, "ikx", NULL, 0, &back, &blen,
					       &layers, msg, sizeof(msg)), PROV_E_DECRYPT);
	assert_non_null(strstr(msg, "does not authenticate"));
	assert_int_equal(prov_pack_aes128gcm(profile, 1, 0, "ikm", NULL, 17, &back, &blen, msg,
					     sizeof(msg)), PROV_E_INVAL);
	assert_non_null(strstr(msg, "below 18"));
	free(packed);
	buf_free(&out);
	buf_free(&s);
	buf_free(&gz);
}

static void
d_enc_6_outer_coding(void **state)
{
	(void)state;
	assert_true(ece_is_outer("aes128gcm"));
	assert_true(ece_is_outer(" AES128GCM \r\n"));
	assert_true(ece_is_outer("gzip, aes128gcm"));
	assert_false(ece_is_outer("aes128gcm, gzip"));
	assert_false(ece_is_outer("aesgcm"));
	assert_false(ece_is_outer("aes128gcmx"));
	assert_false(ece_is_outer(""));
	assert_false(ece_is_outer(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(d_enc_6_rfc8188_3_1),
		cmocka_unit_test(d_enc_6_rfc8188_3_2),
		cmocka_unit_test(d_enc_6_refusals),
		cmocka_unit_test(d_enc_6_padding),
		cmocka_unit_test(r_integrity_mutations),
		cmocka_unit_test(d_enc_6_cap),
		cmocka_unit_test(d_enc_6_pipeline_and_public),
		cmocka_unit_test(d_enc_6_outer_coding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
