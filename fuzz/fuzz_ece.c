/*
 * libFuzzer target: the RFC 8188 aes128gcm decoder (device.md D-ENC-6;
 * reliability.md R-INTEGRITY, R-FUZZ) and the device's pipeline on it. The
 * input is a body behind one control byte: bits 0-1 choose the IKM ("device
 * key", the keys of RFC 8188 s. 3.1 and 3.2, the empty key), bit 2 whether
 * the key id "k1" is expected, bits 3-7 the record size of the round trip
 * (18 + 7 * n). Besides ASan/UBSan, the invariants below abort on
 * violation:
 *  - ece_decode fails only with DECRYPT (INVAL for the empty key, TOOBIG
 *    at the cap), with a message, leaving the output as it was; it never
 *    passes its cap; a smaller cap gives the same result or TOOBIG;
 *  - what decodes re-encodes (same salt, rs and key id, no padding) into a
 *    stream that decodes to the same content, and codec_decode_aes128gcm
 *    agrees with ece_decode followed by codec_gunzip;
 *  - round trip: ece_encode_salt of the body, with any rs and padding,
 *    decodes back to it; with one octet flipped, it is refused, or (a
 *    changed rs that moves no record boundary: RFC 8188 does not
 *    authenticate rs) decodes to the very same content.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "ece.h"

#define FUZZ_CAP (64u * 1024u)        /* the decode cap */
#define FUZZ_SMALL_CAP 64u            /* the second, smaller cap */
#define FUZZ_BIG (1024u * 1024u)      /* scratch buffers of the round trips */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char *p;
	size_t n;
} fuzz_ikms[] = {
	{ "device key", 10 },
	{ "\xca\xa7\x65\x67\xeb\x58\x7a\x67\xe8\x81\x29\xaf\xed\x6b\x39\x3d", 16 },
	{ "\x04\xed\xd9\x54\xfc\x54\x96\x72\xce\x45\xb5\x46\x32\x96\xd3\xd5", 16 },
	{ "", 0 },
};

static int
fuzz_same(const struct buf *b, const void *p, size_t n)
{
	return b->len == n && (n == 0 || memcmp(b->p, p, n) == 0);
}

static void
fuzz_decode(const uint8_t *in, size_t len, const char *ikm, size_t ikmlen, const char *kid)
{
	struct buf out, small, again, re, piped;
	struct diag d;
	struct ece_header h;
	enum prov_err rc, rs;
	size_t kidlen = kid ? strlen(kid) : 0;
	unsigned layers = 0;

	buf_init(&out, FUZZ_CAP);
	buf_init(&small, FUZZ_SMALL_CAP);
	buf_init(&again, FUZZ_CAP);
	buf_init(&re, FUZZ_BIG);
	buf_init(&piped, FUZZ_CAP);
	diag_init(&d);
	rc = ece_decode(in, len, ikm, ikmlen, kid, kidlen, &out, &d);
	if (rc != PROV_OK) {
		if (rc != PROV_E_DECRYPT && rc != PROV_E_TOOBIG &&
		    !(rc == PROV_E_INVAL && ikmlen == 0))
			abort();
		if (out.len != 0 || d.code != rc || d.msg[0] == '\0')
			abort();
	}
	rs = ece_decode(in, len, ikm, ikmlen, kid, kidlen, &small, &d);
	if (rc == PROV_OK && out.len <= FUZZ_SMALL_CAP ? rs != PROV_OK || !fuzz_same(&small, out.p, out.len)
	    : rs != rc && rs != PROV_E_TOOBIG)
		abort();
	if (rc == PROV_OK) {
		if (out.len > FUZZ_CAP || ece_header_parse(in, len, &h, &d) != PROV_OK)
			abort();
		if (ece_encode_salt(out.p, out.len, ikm, ikmlen, h.keyid, h.keyidlen, h.rs, 0,
				    h.salt, &re, &d) != PROV_OK)
			abort();
		if (ece_decode(re.p, re.len, ikm, ikmlen, kid, kidlen, &again, &d) != PROV_OK ||
		    !fuzz_same(&again, out.p, out.len))
			abort();
		/* The pipeline is the decoder, then gzip by content. */
		rs = codec_decode_aes128gcm(in, len, ikm, ikmlen, kid, kidlen, &piped, &layers, &d);
		if (codec_classify(out.p, out.len) == CODEC_PLAIN &&
		    (rs != PROV_OK || !fuzz_same(&piped, out.p, out.len) ||
		     layers != PROV_LAYER_AES128GCM))
			abort();
		if (codec_classify(out.p, out.len) == CODEC_GZIP) {
			buf_reset(&again);
			if ((codec_gunzip(out.p, out.len, &again, &d) == PROV_OK) != (rs == PROV_OK))
				abort();
			if (rs == PROV_OK && !fuzz_same(&piped, again.p, again.len))
				abort();
		}
	}
	buf_free(&piped);
	buf_free(&re);
	buf_free(&again);
	buf_free(&small);
	buf_free(&out);
}

static void
fuzz_roundtrip(const uint8_t *in, size_t len, const char *ikm, size_t ikmlen, uint32_t rs,
	       size_t pad)
{
	static const uint8_t salt[ECE_SALT_LEN] = { 'f', 'u', 'z', 'z', 0, 0xff, 1, 0x80 };
	struct buf s, out;
	struct diag d;
	enum prov_err rc;
	size_t at;

	buf_init(&s, FUZZ_BIG);
	buf_init(&out, FUZZ_BIG);
	diag_init(&d);
	if (ece_encode_salt(in, len, ikm, ikmlen, "k1", 2, rs, pad, salt, &s, &d) != PROV_OK)
		abort();
	if (ece_decode(s.p, s.len, ikm, ikmlen, "k1", 2, &out, &d) != PROV_OK ||
	    !fuzz_same(&out, in, len))
		abort();
	buf_reset(&out);
	at = (len * 31 + pad) % s.len;
	s.p[at] ^= 0x20;
	rc = ece_decode(s.p, s.len, ikm, ikmlen, "k1", 2, &out, &d);
	/* RFC 8188 leaves rs unauthenticated: a changed rs that moves no
	 * record boundary (a stream of one record, shorter than both) decodes
	 * to the same content. Anything else is refused. */
	if (rc == PROV_OK ? at < ECE_SALT_LEN || at >= ECE_SALT_LEN + 4 || !fuzz_same(&out, in, len)
	    : rc != PROV_E_DECRYPT || out.len != 0)
		abort();
	buf_free(&out);
	buf_free(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t k;

	if (size == 0)
		return 0;
	k = data[0] & 3u;
	fuzz_decode(data + 1, size - 1, fuzz_ikms[k].p, fuzz_ikms[k].n,
		    (data[0] & 4u) ? "k1" : NULL);
	if (fuzz_ikms[k].n > 0)
		fuzz_roundtrip(data + 1, size - 1, fuzz_ikms[k].p, fuzz_ikms[k].n,
			       ECE_RS_MIN + 7u * (data[0] >> 3), size % 40);
	return 0;
}
