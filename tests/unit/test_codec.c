/*
 * Unit tests of codec (gzip and openssl-enc AES-256-CBC, device.md
 * D-ENC-1..5) and of the public prov_pack / prov_unpack built on it.
 * Known-answer vectors against the real tools are case files
 * (tests/cases/codec/); interop with the installed binaries is
 * tests/cli/codec.t. Everything random here comes from a seeded generator,
 * so a failure reproduces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "codec.h"
#include "diag.h"

#define BIG (8u * 1024u * 1024u) /* cap of scratch buffers */

static const uint8_t salt1[CODEC_SALT_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static const char profile[] =
	"<flat-profile>\n"
	"  <GPP_A>12345678</GPP_A>\n"
	"  <Profile_Rule>[--key \"My Secret\"] tftp://192.168.1.200/$MA.cfg</Profile_Rule>\n"
	"  <Resync_Periodic>3600</Resync_Periodic>\n"
	"</flat-profile>\n";

static uint64_t rng_state;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* n printable characters and newlines: text that could be a profile. */
static void
fill_text(char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (rng() % 40 == 0) ? '\n' : (char)(' ' + rng() % 95);
}

static void
fill_bytes(char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (char)rng();
}

/* in encrypted with key and salt1 into a fresh out (cap BIG). */
static void
encrypt_fixed(const void *in, size_t n, const char *key, enum codec_md md, struct buf *out)
{
	struct diag d;

	buf_init(out, BIG);
	diag_init(&d);
	assert_int_equal(codec_encrypt_salt(in, n, key, strlen(key), md, salt1, out, &d), PROV_OK);
}

static void
gzip_into(const void *in, size_t n, struct buf *out)
{
	struct diag d;

	buf_init(out, BIG);
	diag_init(&d);
	assert_int_equal(codec_gzip(in, n, out, &d), PROV_OK);
}

/* total zero bytes gzipped by zlib itself, without holding them. */
static void
gzip_zeros(size_t total, struct buf *out)
{
	static const unsigned char zeros[65536];
	unsigned char chunk[65536];
	z_stream z;
	int zr;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	buf_init(out, BIG);
	do {
		size_t take = total < sizeof(zeros) ? total : sizeof(zeros);

		z.next_in = (Bytef *)(uintptr_t)zeros;
		z.avail_in = (uInt)take;
		total -= take;
		do {
			z.next_out = chunk;
			z.avail_out = sizeof(chunk);
			zr = deflate(&z, total == 0 ? Z_FINISH : Z_NO_FLUSH);
			assert_true(zr == Z_OK || zr == Z_STREAM_END || zr == Z_BUF_ERROR);
			assert_int_equal(buf_add(out, chunk, sizeof(chunk) - z.avail_out), PROV_OK);
		} while (z.avail_out == 0);
	} while (total > 0 || zr != Z_STREAM_END);
	deflateEnd(&z);
}

/* The message of d contains want, and d agrees with rc. */
static void
assert_diag(enum prov_err rc, const struct diag *d, enum prov_err code, const char *want)
{
	if (rc != code || d->code != code || strstr(d->msg, want) == NULL)
		fail_msg("got %s \"%s\", want %s \"...%s...\"", prov_strerror(rc), d->msg,
			 prov_strerror(code), want);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
d_enc_1_classify_by_content(void **state)
{
	(void)state;
	assert_int_equal(codec_classify("", 0), CODEC_PLAIN);
	assert_int_equal(codec_classify("Salted__", 8), CODEC_AES);
	assert_int_equal(codec_classify("Salted__\x1f\x8b", 10), CODEC_AES);
	assert_int_equal(codec_classify("Salted_", 7), CODEC_PLAIN);
	assert_int_equal(codec_classify("Salted__", 7), CODEC_PLAIN); /* length counts */
	assert_int_equal(codec_classify("salted__xxxxxxxx", 16), CODEC_PLAIN);
	assert_int_equal(codec_classify("\x1f\x8b", 2), CODEC_GZIP);
	assert_int_equal(codec_classify("\x1f\x8b\x08", 3), CODEC_GZIP);
	assert_int_equal(codec_classify("\x1f", 1), CODEC_PLAIN);
	assert_int_equal(codec_classify("\x8b\x1f", 2), CODEC_PLAIN);
	assert_int_equal(codec_classify(" \x1f\x8b", 3), CODEC_PLAIN);
	assert_int_equal(codec_classify("<flat-profile/>", 15), CODEC_PLAIN);
	assert_int_equal(codec_classify("profile.xml.gz", 14), CODEC_PLAIN); /* not by name */
}

/* Both derivations, told apart by AUTO, which says which one worked. */
static void
d_enc_2_decrypt_md5_sha256_auto(void **state)
{
	static const enum codec_md mds[] = { CODEC_MD_MD5, CODEC_MD_SHA256 };
	struct buf ct, out;
	struct diag d;
	enum codec_md used;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		enum codec_md other = mds[1 - i];

		encrypt_fixed(profile, strlen(profile), "secret", mds[i], &ct);
		assert_int_equal(ct.len, CODEC_HEADER_LEN + (strlen(profile) / 16 + 1) * 16);
		assert_memory_equal(ct.p, "Salted__", 8);
		assert_memory_equal(ct.p + 8, salt1, 8);
		buf_init(&out, BIG);
		diag_init(&d);
		used = CODEC_MD_AUTO;
		assert_int_equal(codec_decrypt(ct.p, ct.len, "secret", 6, CODEC_MD_AUTO, &out,
					       &used, &d), PROV_OK);
		assert_int_equal(used, mds[i]);
		assert_int_equal(out.len, strlen(profile));
		assert_memory_equal(out.p, profile, out.len);
		buf_reset(&out);
		used = CODEC_MD_AUTO;
		assert_int_equal(codec_decrypt(ct.p, ct.len, "secret", 6, mds[i], &out, &used, &d),
				 PROV_OK);
		assert_int_equal(used, mds[i]);
		buf_reset(&out);
		used = CODEC_MD_AUTO;
		assert_diag(codec_decrypt(ct.p, ct.len, "secret", 6, other, &out, &used, &d), &d,
			    PROV_E_DECRYPT, "wrong key or corrupt data");
		assert_int_equal(used, CODEC_MD_AUTO); /* untouched on failure */
		assert_int_equal(out.len, 0);
		/* used may be NULL */
		assert_int_equal(codec_decrypt(ct.p, ct.len, "secret", 6, CODEC_MD_AUTO, &out,
					       NULL, &d), PROV_OK);
		buf_free(&out);
		buf_free(&ct);
	}
	/* codec_encrypt: AUTO writes MD5, what phones read (D-ENC-2). */
	buf_init(&ct, BIG);
	assert_int_equal(codec_encrypt(profile, 10, "k", 1, CODEC_MD_AUTO, &ct, &d), PROV_OK);
	buf_init(&out, BIG);
	assert_int_equal(codec_decrypt(ct.p, ct.len, "k", 1, CODEC_MD_AUTO, &out, &used, &d),
			 PROV_OK);
	assert_int_equal(used, CODEC_MD_MD5);
	buf_free(&out);
	buf_free(&ct);
}

/* The key is bytes, used as given: spaces, quotes, NUL inside, empty. */
static void
d_enc_3_key_is_exact_bytes(void **state)
{
	static const struct {
		const char *key;
		size_t len;
	} keys[] = {
		{ "", 0 },
		{ "My Secret Key", 13 },
		{ "\"quoted\"", 8 },
		{ " lead and trail ", 16 },
		{ "a\0b", 3 },
		{ "a", 1 },
		{ "caf\xc3\xa9", 5 },
	};
	size_t n = sizeof(keys) / sizeof(keys[0]);
	struct buf ct, out;
	struct diag d;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		buf_init(&ct, BIG);
		diag_init(&d);
		assert_int_equal(codec_encrypt_salt(profile, strlen(profile), keys[i].key,
						    keys[i].len, CODEC_MD_SHA256, salt1, &ct, &d),
				 PROV_OK);
		for (size_t j = 0; j < n; j++) {
			enum prov_err rc;

			buf_init(&out, BIG);
			rc = codec_decrypt(ct.p, ct.len, keys[j].key, keys[j].len, CODEC_MD_AUTO,
					   &out, NULL, &d);
			assert_int_equal(rc, i == j ? PROV_OK : PROV_E_DECRYPT);
			buf_free(&out);
		}
		buf_free(&ct);
	}
}

/* A wrong key is refused, never turned into "plaintext" (D-ENC-3): many
 * random keys against a one-block text, a larger text and gzip, through
 * codec_decrypt and the whole pipeline. */
static void
d_enc_3_wrong_key_never_accepted(void **state)
{
	enum { NKEYS = 2000 };
	char big[3000];
	struct buf ct[3], gz, out;
	struct diag d;

	(void)state;
	rng_state = 0x9e3779b97f4a7c15u;
	fill_text(big, sizeof(big));
	encrypt_fixed("GPP_A 1 ;", 9, "right key", CODEC_MD_MD5, &ct[0]);
	encrypt_fixed(big, sizeof(big), "right key", CODEC_MD_SHA256, &ct[1]);
	gzip_into(big, sizeof(big), &gz);
	encrypt_fixed(gz.p, gz.len, "right key", CODEC_MD_MD5, &ct[2]);
	buf_init(&out, BIG);
	for (int k = 0; k < NKEYS; k++) {
		char key[33];
		size_t klen = 1 + rng() % 32;

		fill_bytes(key, klen);
		if (k % 4 == 0) { /* near misses: the right key with one byte changed */
			memcpy(key, "right key", 9);
			klen = 9;
			key[rng() % 9] ^= (char)(1u << (rng() % 8));
		}
		key[klen] = '\0';
		for (int c = 0; c < 3; c++) {
			enum prov_err rc;

			diag_init(&d);
			rc = codec_decrypt(ct[c].p, ct[c].len, key, klen, CODEC_MD_AUTO, &out, NULL, &d);
			if (rc != PROV_E_DECRYPT || out.len != 0)
				fail_msg("key %d accepted on file %d", k, c);
			rc = codec_decode(ct[c].p, ct[c].len, key, klen, &out, NULL, &d);
			if (rc == PROV_OK || out.len != 0)
				fail_msg("key %d decoded file %d", k, c);
			assert_non_null(strstr(d.msg, "decrypt failed"));
		}
	}
	buf_free(&out);
	buf_free(&gz);
	for (int c = 0; c < 3; c++)
		buf_free(&ct[c]);
}

/* Every way decrypting fails has its own message; out is left as it was. */
static void
d_enc_2_decrypt_errors_have_distinct_messages(void **state)
{
	char msgs[8][256];
	size_t nm = 0;
	struct buf ct, out;
	struct diag d;

	(void)state;
	encrypt_fixed(profile, strlen(profile), "k", CODEC_MD_MD5, &ct);
	buf_init(&out, BIG);
	assert_int_equal(buf_adds(&out, "kept"), PROV_OK);

	diag_init(&d);
	assert_diag(codec_decrypt("<flat-profile/>.", 16, "k", 1, CODEC_MD_AUTO, &out, NULL, &d),
		    &d, PROV_E_DECRYPT, "not an openssl-enc container");
	snprintf(msgs[nm++], 256, "%s", d.msg);
	assert_diag(codec_decrypt(ct.p, 12, "k", 1, CODEC_MD_AUTO, &out, NULL, &d), &d,
		    PROV_E_DECRYPT, "truncated container (12 bytes, no salt)");
	snprintf(msgs[nm++], 256, "%s", d.msg);
	assert_diag(codec_decrypt(ct.p, 16, "k", 1, CODEC_MD_AUTO, &out, NULL, &d), &d,
		    PROV_E_DECRYPT, "no ciphertext after the salt");
	snprintf(msgs[nm++], 256, "%s", d.msg);
	assert_diag(codec_decrypt(ct.p, ct.len - 1, "k", 1, CODEC_MD_AUTO, &out, NULL, &d), &d,
		    PROV_E_DECRYPT, "not a multiple of 16");
	snprintf(msgs[nm++], 256, "%s", d.msg);
	assert_diag(codec_decrypt(ct.p, ct.len, "K", 1, CODEC_MD_AUTO, &out, NULL, &d), &d,
		    PROV_E_DECRYPT, "decrypt failed: wrong key or corrupt data");
	snprintf(msgs[nm++], 256, "%s", d.msg);
	{
		struct buf small;

		buf_init(&small, 10);
		assert_diag(codec_decrypt(ct.p, ct.len, "k", 1, CODEC_MD_AUTO, &small, NULL, &d),
			    &d, PROV_E_TOOBIG, "decrypted profile larger than 10 bytes");
		assert_int_equal(small.len, 0);
		snprintf(msgs[nm++], 256, "%s", d.msg);
		buf_free(&small);
	}
	assert_diag(codec_decode(ct.p, ct.len, NULL, 0, &out, NULL, &d), &d, PROV_E_NOKEY,
		    "encrypted profile, and no key given (--key)");
	snprintf(msgs[nm++], 256, "%s", d.msg);
	/* "Salted__" alone: classified as encrypted, then too short. */
	assert_diag(codec_decode("Salted__", 8, "k", 1, &out, NULL, &d), &d, PROV_E_DECRYPT,
		    "truncated container (8 bytes, no salt)");
	assert_string_equal(buf_str(&out), "kept");
	for (size_t i = 0; i < nm; i++)
		for (size_t j = i + 1; j < nm; j++)
			assert_string_not_equal(msgs[i], msgs[j]);
	/* A corrupted ciphertext block: refused as corrupt. */
	ct.p[CODEC_HEADER_LEN + 20] ^= 0x40;
	ct.p[ct.len - 1] ^= 0x40;
	assert_diag(codec_decrypt(ct.p, ct.len, "k", 1, CODEC_MD_AUTO, &out, NULL, &d), &d,
		    PROV_E_DECRYPT, "wrong key or corrupt data");
	assert_string_equal(buf_str(&out), "kept");
	buf_free(&out);
	buf_free(&ct);
}

/* gunzip's failures: each its own message, out left as it was. */
static void
d_enc_4_gunzip_errors_have_distinct_messages(void **state)
{
	static const struct {
		const char *what;
		const char *msg;
	} want[] = {
		{ "empty", "gzip: truncated stream" },
		{ "zlib wrapper", "gzip: incorrect header check" },
		{ "bad method", "gzip: unknown compression method" },
		{ "corrupt", "gzip: invalid" },
		{ "crc", "gzip: CRC mismatch" },
		{ "length", "gzip: length mismatch" },
		{ "garbage", "gzip: 4 bytes of trailing garbage" },
		{ "bomb", "decompressed profile larger than 100 bytes" },
	};
	struct buf gz, bad, out;
	struct diag d;
	char msgs[8][256];

	(void)state;
	gzip_into(profile, strlen(profile), &gz);
	buf_init(&out, 100);
	buf_init(&bad, BIG);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		enum prov_err rc;

		buf_reset(&bad);
		assert_int_equal(buf_add(&bad, gz.p, gz.len), PROV_OK);
		switch (i) {
		case 0: bad.len = 0; break;
		case 1: bad.p[0] = 0x78; bad.p[1] = (char)0x9c; break;
		case 2: bad.p[2] = 7; break;
		case 3: memset(bad.p + 10, 0xff, 3); break;
		case 4: bad.p[gz.len - 8] ^= 1; break;
		case 5: bad.p[gz.len - 1] ^= 0x80; break;
		case 6: assert_int_equal(buf_add(&bad, "junk", 4), PROV_OK); break;
		default: break;
		}
		diag_init(&d);
		if (i == 7) {
			struct buf zeros;

			gzip_zeros(101, &zeros);
			rc = codec_gunzip(zeros.p, zeros.len, &out, &d);
			buf_free(&zeros);
			assert_diag(rc, &d, PROV_E_TOOBIG, want[i].msg);
		} else {
			struct buf big;

			buf_init(&big, BIG);
			rc = codec_gunzip(bad.p, bad.len, &big, &d);
			assert_diag(rc, &d, PROV_E_GZIP, want[i].msg);
			assert_int_equal(big.len, 0);
			buf_free(&big);
		}
		assert_int_equal(out.len, 0);
		snprintf(msgs[i], sizeof(msgs[i]), "%s", d.msg);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(msgs[i], msgs[j]);
	}
	/* Exactly at the cap is fine, a byte over is not. */
	{
		char text[100];
		struct buf g;

		fill_text(text, sizeof(text));
		gzip_into(text, 100, &g);
		assert_int_equal(codec_gunzip(g.p, g.len, &out, &d), PROV_OK);
		assert_int_equal(out.len, 100);
		assert_memory_equal(out.p, text, 100);
		buf_reset(&out);
		buf_free(&g);
		gzip_into(text, 99, &g);
		assert_int_equal(codec_gunzip(g.p, g.len, &out, &d), PROV_OK);
		assert_int_equal(out.len, 99);
		buf_free(&g);
		/* out already holds 99 bytes: one more member of 2 passes the cap */
		gzip_into("ab", 2, &g);
		assert_diag(codec_gunzip(g.p, g.len, &out, &d), &d, PROV_E_TOOBIG,
			    "larger than 100 bytes");
		assert_int_equal(out.len, 99); /* appended nothing */
		assert_memory_equal(out.p, text, 99);
		buf_free(&g);
	}
	buf_free(&bad);
	buf_free(&out);
	buf_free(&gz);
}

/* A decompression bomb stops at the cap, quickly, and the buffer never
 * grows past it (D-ENC-4, D-PRO-7): 100 MB of zeros at a 4 MiB cap, alone,
 * inside AES, and through prov_unpack. */
static void
d_enc_4_bomb_is_bounded(void **state)
{
	struct buf bomb, ct, out;
	struct diag d;
	void *res = (void *)1;
	size_t reslen = 1;
	char msg[256];
	double t0;

	(void)state;
	gzip_zeros(100u * 1000u * 1000u, &bomb);
	assert_true(bomb.len < 200000);
	buf_init(&out, PROV_PROFILE_MAX);
	diag_init(&d);
	t0 = now();
	assert_diag(codec_gunzip(bomb.p, bomb.len, &out, &d), &d, PROV_E_TOOBIG,
		    "decompressed profile larger than 4194304 bytes");
	assert_true(now() - t0 < 2.0);
	assert_int_equal(out.len, 0);
	assert_true(out.alloc <= PROV_PROFILE_MAX + 1);
	buf_free(&out);

	encrypt_fixed(bomb.p, bomb.len, "k", CODEC_MD_SHA256, &ct);
	buf_init(&out, PROV_PROFILE_MAX);
	assert_diag(codec_decode(ct.p, ct.len, "k", 1, &out, NULL, &d), &d, PROV_E_TOOBIG,
		    "larger than 4194304 bytes");
	assert_int_equal(out.len, 0);
	assert_true(out.alloc <= PROV_PROFILE_MAX + 1);
	buf_free(&out);

	assert_int_equal(prov_unpack(ct.p, ct.len, "k", 0, &res, &reslen, NULL, msg, sizeof(msg)),
			 PROV_E_TOOBIG);
	assert_null(res);
	assert_int_equal(reslen, 0);
	assert_non_null(strstr(msg, "larger than 4194304 bytes"));
	assert_int_equal(prov_unpack(bomb.p, bomb.len, NULL, 1000, &res, &reslen, NULL, msg,
				     sizeof(msg)), PROV_E_TOOBIG);
	assert_non_null(strstr(msg, "larger than 1000 bytes"));
	buf_free(&ct);
	buf_free(&bomb);
}

/* The cap bounds the decoded profile, not the gzip bytes between the
 * layers, which are larger than a tiny or incompressible profile
 * (regression: gzip+AES of 9 bytes failed under a 9-byte cap with
 * "decrypted profile larger than 9 bytes"). */
static void
d_enc_4_cap_is_on_the_decoded_profile(void **state)
{
	struct buf gz, ct, out;
	struct diag d;
	unsigned layers = 0;

	(void)state;
	gzip_into("GPP_A 1 ;", 9, &gz);
	assert_true(gz.len > 9);
	encrypt_fixed(gz.p, gz.len, "k", CODEC_MD_MD5, &ct);
	buf_init(&out, 9);
	diag_init(&d);
	assert_int_equal(codec_decode(ct.p, ct.len, "k", 1, &out, &layers, &d), PROV_OK);
	assert_int_equal(layers, PROV_LAYER_AES | PROV_LAYER_GZIP);
	assert_string_equal(buf_str(&out), "GPP_A 1 ;");
	buf_free(&out);
	buf_init(&out, 8);
	assert_diag(codec_decode(ct.p, ct.len, "k", 1, &out, NULL, &d), &d, PROV_E_TOOBIG,
		    "decompressed profile larger than 8 bytes");
	assert_int_equal(out.len, 0);
	buf_free(&out);
	buf_free(&ct);
	/* an encrypted plain profile over the cap */
	encrypt_fixed("GPP_A 1 ;", 9, "k", CODEC_MD_MD5, &ct);
	buf_init(&out, 8);
	assert_diag(codec_decode(ct.p, ct.len, "k", 1, &out, NULL, &d), &d, PROV_E_TOOBIG,
		    "profile larger than 8 bytes");
	assert_int_equal(out.len, 0);
	buf_free(&out);
	buf_free(&ct);
	buf_free(&gz);
}

/* Several members in a row, as `gzip a b` or `cat a.gz b.gz` write. */
static void
d_enc_4_multi_member(void **state)
{
	struct buf a, b, e, all, out;
	struct diag d;

	(void)state;
	gzip_into("first,", 6, &a);
	gzip_into("", 0, &e);
	gzip_into("second", 6, &b);
	buf_init(&all, BIG);
	assert_int_equal(buf_add(&all, a.p, a.len), PROV_OK);
	assert_int_equal(buf_add(&all, e.p, e.len), PROV_OK);
	assert_int_equal(buf_add(&all, b.p, b.len), PROV_OK);
	buf_init(&out, BIG);
	diag_init(&d);
	assert_int_equal(codec_gunzip(all.p, all.len, &out, &d), PROV_OK);
	assert_string_equal(buf_str(&out), "first,second");
	/* The second member corrupt: the whole stream fails, nothing kept. */
	buf_reset(&out);
	all.p[all.len - 1] ^= 1;
	assert_diag(codec_gunzip(all.p, all.len, &out, &d), &d, PROV_E_GZIP, "length mismatch");
	assert_int_equal(out.len, 0);
	/* The second member cut short. */
	assert_diag(codec_gunzip(all.p, a.len + 5, &out, &d), &d, PROV_E_GZIP, "truncated stream");
	assert_int_equal(out.len, 0);
	buf_free(&out);
	buf_free(&all);
	buf_free(&b);
	buf_free(&e);
	buf_free(&a);
}

/* After the last member only another member may follow: trailing zeros
 * (which gzip -d tolerates with a warning) or junk are refused, and a
 * lone 1f or 1f 8b is a member cut short or garbage. */
/* Zero padding after the stream is accepted, as gzip does (with a
 * warning): tape and block devices write it. */
static void
d_enc_4_trailing_zeros_accepted(void **state)
{
	struct buf gz, in, out;
	struct diag d;

	(void)state;
	gzip_into(profile, strlen(profile), &gz);
	for (size_t pad = 1; pad <= 512; pad *= 8) {
		buf_init(&in, BIG);
		buf_init(&out, BIG);
		assert_int_equal(buf_add(&in, gz.p, gz.len), PROV_OK);
		for (size_t k = 0; k < pad; k++)
			assert_int_equal(buf_addc(&in, '\0'), PROV_OK);
		diag_init(&d);
		assert_int_equal(codec_gunzip(in.p, in.len, &out, &d), PROV_OK);
		assert_int_equal(out.len, strlen(profile));
		assert_memory_equal(out.p, profile, out.len);
		buf_free(&in);
		buf_free(&out);
	}
	buf_free(&gz);
}

static void
d_enc_4_trailing_garbage(void **state)
{
	static const struct {
		const char *tail;
		size_t len;
		const char *msg;
	} t[] = {
		{ "\0\0x", 3, "gzip: 3 bytes of trailing garbage" },
		{ "\n", 1, "gzip: 1 bytes of trailing garbage" },
		{ "\x1f", 1, "gzip: 1 bytes of trailing garbage" },
		{ "\x1f\x8c", 2, "gzip: 2 bytes of trailing garbage" },
		{ "\x1f\x8b", 2, "gzip: truncated stream" },
		{ "\x1f\x8b\x08\x00", 4, "gzip: truncated stream" },
	};
	struct buf gz, in, out;
	struct diag d;

	(void)state;
	gzip_into(profile, strlen(profile), &gz);
	buf_init(&out, BIG);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_init(&in, BIG);
		assert_int_equal(buf_add(&in, gz.p, gz.len), PROV_OK);
		assert_int_equal(buf_add(&in, t[i].tail, t[i].len), PROV_OK);
		diag_init(&d);
		assert_diag(codec_gunzip(in.p, in.len, &out, &d), &d, PROV_E_GZIP, t[i].msg);
		assert_int_equal(out.len, 0);
		assert_diag(codec_decode(in.p, in.len, NULL, 0, &out, NULL, &d), &d, PROV_E_GZIP,
			    t[i].msg);
		buf_free(&in);
	}
	buf_free(&out);
	buf_free(&gz);
}

/* Each byte of the trailer flipped: CRC-32 for the first four, ISIZE for
 * the last four; every bit of the first CRC byte too. */
static void
d_enc_4_crc_and_length_mismatch(void **state)
{
	struct buf gz, out;
	struct diag d;

	(void)state;
	gzip_into(profile, strlen(profile), &gz);
	buf_init(&out, BIG);
	for (size_t i = 0; i < 8; i++) {
		for (unsigned bit = 0; bit < (i == 0 ? 8u : 1u); bit++) {
			gz.p[gz.len - 8 + i] ^= (char)(1u << bit);
			diag_init(&d);
			assert_diag(codec_gunzip(gz.p, gz.len, &out, &d), &d, PROV_E_GZIP,
				    i < 4 ? "gzip: CRC mismatch" : "gzip: length mismatch");
			assert_int_equal(out.len, 0);
			gz.p[gz.len - 8 + i] ^= (char)(1u << bit);
		}
	}
	assert_int_equal(codec_gunzip(gz.p, gz.len, &out, &d), PROV_OK);
	buf_free(&out);
	buf_free(&gz);
}

/* Cut at every byte offset, a file never decodes to part of its content:
 * gzip, AES, and gzip inside AES. A prefix too short to be classified
 * ("", "\x1f", "Salted_") is a plain profile, passed through as is. */
static void
d_enc_4_truncated_at_every_offset(void **state)
{
	struct buf gz, aes, both, out;
	struct diag d;
	const struct buf *files[3];

	(void)state;
	gzip_into(profile, strlen(profile), &gz);
	encrypt_fixed(profile, strlen(profile), "k", CODEC_MD_MD5, &aes);
	encrypt_fixed(gz.p, gz.len, "k", CODEC_MD_SHA256, &both);
	files[0] = &gz;
	files[1] = &aes;
	files[2] = &both;
	buf_init(&out, BIG);
	for (int f = 0; f < 3; f++) {
		const struct buf *b = files[f];
		size_t magic = f == 0 ? 2 : 8;

		for (size_t n = 0; n < b->len; n++) {
			enum prov_err rc;

			diag_init(&d);
			rc = codec_decode(b->p, n, "k", 1, &out, NULL, &d);
			if (n < magic) {
				assert_int_equal(rc, PROV_OK);
				assert_int_equal(out.len, n);
				buf_reset(&out);
				continue;
			}
			if (rc == PROV_OK || out.len != 0 || d.msg[0] == '\0')
				fail_msg("file %d cut at %zu: %s", f, n, prov_strerror(rc));
			rc = f == 0 ? codec_gunzip(b->p, n, &out, &d)
				    : codec_decrypt(b->p, n, "k", 1, CODEC_MD_AUTO, &out, NULL, &d);
			if (f != 2 && (rc == PROV_OK || out.len != 0))
				fail_msg("file %d cut at %zu accepted by the layer", f, n);
			buf_reset(&out);
		}
		assert_int_equal(codec_decode(b->p, b->len, "k", 1, &out, NULL, &d), PROV_OK);
		assert_int_equal(out.len, strlen(profile));
		buf_reset(&out);
	}
	buf_free(&out);
	buf_free(&both);
	buf_free(&aes);
	buf_free(&gz);
}

static void
check_roundtrip(const char *data, size_t n, int text)
{
	static const enum codec_md mds[] = { CODEC_MD_MD5, CODEC_MD_SHA256 };
	struct buf gz, ct, out;
	struct diag d;
	enum codec_md used;
	unsigned layers;

	diag_init(&d);
	gzip_into(data, n, &gz);
	buf_init(&out, n);
	assert_int_equal(codec_gunzip(gz.p, gz.len, &out, &d), PROV_OK);
	assert_int_equal(out.len, n);
	assert_memory_equal(buf_str(&out), n ? data : "", n);
	buf_free(&out);
	for (int m = 0; m < 2; m++) {
		char key[16];

		snprintf(key, sizeof(key), "k %zu\"", n);
		if (text) {
			buf_init(&ct, BIG);
			assert_int_equal(codec_encrypt(data, n, key, strlen(key), mds[m], &ct, &d),
					 PROV_OK);
			assert_int_equal(ct.len, CODEC_HEADER_LEN + (n / 16 + 1) * 16);
			buf_init(&out, n);
			used = CODEC_MD_AUTO;
			assert_int_equal(codec_decrypt(ct.p, ct.len, key, strlen(key),
						       CODEC_MD_AUTO, &out, &used, &d), PROV_OK);
			assert_int_equal(used, mds[m]);
			assert_int_equal(out.len, n);
			assert_memory_equal(buf_str(&out), n ? data : "", n);
			buf_free(&out);
			buf_free(&ct);
		}
		/* gzip then AES: any bytes, through the whole pipeline */
		buf_init(&ct, BIG);
		assert_int_equal(codec_encrypt(gz.p, gz.len, key, strlen(key), mds[m], &ct, &d),
				 PROV_OK);
		buf_init(&out, n);
		assert_int_equal(codec_decode(ct.p, ct.len, key, strlen(key), &out, &layers, &d),
				 PROV_OK);
		assert_int_equal(layers, PROV_LAYER_AES | PROV_LAYER_GZIP);
		assert_int_equal(out.len, n);
		assert_memory_equal(buf_str(&out), n ? data : "", n);
		buf_free(&out);
		buf_free(&ct);
	}
	buf_free(&gz);
}

/* encrypt -> decrypt and gzip -> gunzip give the input back, for every
 * size around the block size and a few large ones. */
static void
d_enc_2_roundtrip_sizes(void **state)
{
	static const size_t large[] = { 1000, 65535, 65536, 65537, 300000, 4u << 20 };
	char *p = malloc(4u << 20);

	(void)state;
	assert_non_null(p);
	rng_state = 42;
	for (size_t n = 0; n <= 70; n++) {
		fill_text(p, n);
		check_roundtrip(p, n, 1);
		fill_bytes(p, n);
		check_roundtrip(p, n, 0);
	}
	for (size_t i = 0; i < sizeof(large) / sizeof(large[0]); i++) {
		fill_text(p, large[i]);
		check_roundtrip(p, large[i], 1);
	}
	fill_bytes(p, 300000);
	check_roundtrip(p, 300000, 0);
	free(p);
}

/* prov_pack / prov_unpack for every flag combination, with and without a
 * key; the layers come back, and packing writes what the flags say. */
static void
d_enc_5_pack_unpack_every_flag(void **state)
{
	static const char *const keys[] = { NULL, "secret", "My \"quoted\" key", "" };
	char msg[256];

	(void)state;
	for (unsigned flags = 0; flags <= (PROV_PACK_GZIP | PROV_PACK_SHA256); flags++) {
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			const char *key = keys[k];
			void *packed, *plain;
			size_t plen, len;
			unsigned layers = 99, want = 0;
			enum codec_md used;
			struct buf out;
			struct diag d;

			assert_int_equal(prov_pack(profile, strlen(profile), flags, key, &packed, &plen,
						   msg, sizeof(msg)), PROV_OK);
			assert_string_equal(msg, "");
			if (key != NULL) {
				want |= PROV_LAYER_AES;
				assert_int_equal(codec_classify(packed, plen), CODEC_AES);
				/* the derivation is the one asked for (MD5 by default) */
				buf_init(&out, BIG);
				diag_init(&d);
				assert_int_equal(codec_decrypt(packed, plen, key, strlen(key),
							       CODEC_MD_AUTO, &out, &used, &d), PROV_OK);
				assert_int_equal(used, (flags & PROV_PACK_SHA256) ? CODEC_MD_SHA256
										  : CODEC_MD_MD5);
				assert_int_equal(codec_classify(out.p, out.len),
						 (flags & PROV_PACK_GZIP) ? CODEC_GZIP : CODEC_PLAIN);
				buf_free(&out);
			} else if (flags & PROV_PACK_GZIP) {
				assert_int_equal(codec_classify(packed, plen), CODEC_GZIP);
			} else {
				assert_int_equal(plen, strlen(profile));
				assert_memory_equal(packed, profile, plen);
			}
			if (flags & PROV_PACK_GZIP)
				want |= PROV_LAYER_GZIP;
			assert_int_equal(prov_unpack(packed, plen, key, 0, &plain, &len, &layers, msg,
						     sizeof(msg)), PROV_OK);
			assert_string_equal(msg, "");
			assert_int_equal(layers, want);
			assert_int_equal(len, strlen(profile));
			assert_memory_equal(plain, profile, len);
			free(plain);
			if (key != NULL) {
				plain = (void *)1;
				assert_int_equal(prov_unpack(packed, plen, NULL, 0, &plain, &len, NULL,
							     msg, sizeof(msg)), PROV_E_NOKEY);
				assert_null(plain);
				assert_string_equal(msg, "encrypted profile, and no key given (--key)");
				assert_int_equal(prov_unpack(packed, plen, "wrong", 0, &plain, &len,
							     NULL, msg, sizeof(msg)), PROV_E_DECRYPT);
				assert_non_null(strstr(msg, "decrypt failed"));
			}
			assert_int_equal(prov_unpack(packed, plen, key, 10, &plain, &len, NULL, msg,
						     sizeof(msg)), PROV_E_TOOBIG);
			assert_null(plain);
			assert_non_null(strstr(msg, "larger than 10 bytes"));
			free(packed);
		}
	}
	/* The empty profile, every way, and a NULL msg. */
	for (unsigned flags = 0; flags <= (PROV_PACK_GZIP | PROV_PACK_SHA256); flags++) {
		void *packed, *plain;
		size_t plen, len;

		assert_int_equal(prov_pack("", 0, flags, "k", &packed, &plen, NULL, 0), PROV_OK);
		assert_int_equal(prov_unpack(packed, plen, "k", 0, &plain, &len, NULL, NULL, 0),
				 PROV_OK);
		assert_int_equal(len, 0);
		assert_string_equal(plain, "");
		free(plain);
		free(packed);
	}
}

/* Every encryption draws a fresh salt: the same input and key never give
 * the same file twice. */
static void
d_enc_2_fresh_salt(void **state)
{
	void *a, *b;
	size_t alen, blen;
	struct buf c1, c2;
	struct diag d;

	(void)state;
	assert_int_equal(prov_pack(profile, strlen(profile), PROV_PACK_GZIP, "k", &a, &alen,
				   NULL, 0), PROV_OK);
	assert_int_equal(prov_pack(profile, strlen(profile), PROV_PACK_GZIP, "k", &b, &blen,
				   NULL, 0), PROV_OK);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, 8);
	assert_memory_not_equal((char *)a + 8, (char *)b + 8, 8);
	assert_memory_not_equal((char *)a + 16, (char *)b + 16, alen - 16);
	free(a);
	free(b);
	buf_init(&c1, BIG);
	buf_init(&c2, BIG);
	assert_int_equal(codec_encrypt("x", 1, "k", 1, CODEC_MD_SHA256, &c1, &d), PROV_OK);
	assert_int_equal(codec_encrypt("x", 1, "k", 1, CODEC_MD_SHA256, &c2, &d), PROV_OK);
	assert_memory_not_equal(c1.p + 8, c2.p + 8, 8);
	buf_free(&c2);
	buf_free(&c1);
}

/* Encoding into a buf too small fails whole: nothing appended. */
static void
d_enc_2_encode_respects_cap(void **state)
{
	struct buf out;
	struct diag d;

	(void)state;
	buf_init(&out, 40);
	assert_int_equal(buf_adds(&out, "pre"), PROV_OK);
	diag_init(&d);
	assert_diag(codec_gzip(profile, strlen(profile), &out, &d), &d, PROV_E_TOOBIG, "gzip: ");
	assert_string_equal(buf_str(&out), "pre");
	assert_diag(codec_encrypt(profile, strlen(profile), "k", 1, CODEC_MD_MD5, &out, &d), &d,
		    PROV_E_TOOBIG, "encrypt: ");
	assert_string_equal(buf_str(&out), "pre");
	/* exactly enough room: header and two blocks for 16 bytes */
	buf_reset(&out);
	out.max = CODEC_HEADER_LEN + 32;
	assert_int_equal(codec_encrypt_salt(profile, 16, "k", 1, CODEC_MD_MD5, salt1, &out, &d),
			 PROV_OK);
	assert_int_equal(out.len, CODEC_HEADER_LEN + 32);
	buf_free(&out);
}

/* Non-UTF-8 XML that the profile parser reads is accepted when encrypted
 * without gzip (regression: it was refused as a wrong key). */
static void
d_enc_2_plausible_xml_charsets(void **state)
{
	static const char latin1[] =
		"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
		"<flat-profile><Display_Name_1_>Ren\xe9</Display_Name_1_></flat-profile>";
	static const char utf16[] = "<\0f\0l\0a\0t\0-\0p\0r\0o\0f\0i\0l\0e\0/\0>\0";
	static const char ctl[] = "<?xml version=\"1.0\"?>\x01<flat-profile/>";
	struct buf ct, out;
	struct diag d;
	struct prov_profile *p;
	char msg[256];

	(void)state;
	assert_int_equal(prov_profile_parse("l1", latin1, sizeof(latin1) - 1, 0, &p, msg,
					    sizeof(msg)), PROV_OK);
	prov_profile_free(p);
	assert_int_equal(prov_profile_parse("u16", utf16, sizeof(utf16) - 1, 0, &p, msg,
					    sizeof(msg)), PROV_OK);
	prov_profile_free(p);
	encrypt_fixed(latin1, sizeof(latin1) - 1, "k", CODEC_MD_MD5, &ct);
	buf_init(&out, BIG);
	diag_init(&d);
	assert_int_equal(codec_decode(ct.p, ct.len, "k", 1, &out, NULL, &d), PROV_OK);
	assert_int_equal(out.len, sizeof(latin1) - 1);
	buf_free(&ct);
	buf_reset(&out);
	encrypt_fixed(utf16, sizeof(utf16) - 1, "k", CODEC_MD_SHA256, &ct);
	assert_int_equal(codec_decode(ct.p, ct.len, "k", 1, &out, NULL, &d), PROV_OK);
	assert_int_equal(out.len, sizeof(utf16) - 1);
	buf_free(&ct);
	buf_reset(&out);
	/* a declaration does not let control characters through */
	encrypt_fixed(ctl, sizeof(ctl) - 1, "k", CODEC_MD_MD5, &ct);
	assert_diag(codec_decode(ct.p, ct.len, "k", 1, &out, NULL, &d), &d, PROV_E_DECRYPT,
		    "wrong key or corrupt data");
	buf_free(&ct);
	buf_free(&out);
}

/* prov_file_write, which `prov pack/unpack -o` use: all or nothing. */
static void
d_enc_5_file_write_atomic(void **state)
{
	char dir[] = "/tmp/test_codec.XXXXXX", path[64], msg[256], got[16];
	FILE *f;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out", dir);
	assert_int_equal(prov_file_write(path, "packed", 6, 0644, msg, sizeof(msg)), PROV_OK);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(got, 1, sizeof(got), f);
	fclose(f);
	assert_int_equal(n, 6);
	assert_memory_equal(got, "packed", 6);
	snprintf(path, sizeof(path), "%s/no/such/out", dir);
	assert_int_not_equal(prov_file_write(path, "x", 1, 0644, msg, sizeof(msg)), PROV_OK);
	assert_string_not_equal(msg, "");
	snprintf(path, sizeof(path), "%s/out", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(d_enc_1_classify_by_content),
		cmocka_unit_test(d_enc_2_decrypt_md5_sha256_auto),
		cmocka_unit_test(d_enc_3_key_is_exact_bytes),
		cmocka_unit_test(d_enc_3_wrong_key_never_accepted),
		cmocka_unit_test(d_enc_2_decrypt_errors_have_distinct_messages),
		cmocka_unit_test(d_enc_4_gunzip_errors_have_distinct_messages),
		cmocka_unit_test(d_enc_4_bomb_is_bounded),
		cmocka_unit_test(d_enc_4_cap_is_on_the_decoded_profile),
		cmocka_unit_test(d_enc_4_multi_member),
		cmocka_unit_test(d_enc_4_trailing_garbage),
		cmocka_unit_test(d_enc_4_trailing_zeros_accepted),
		cmocka_unit_test(d_enc_4_crc_and_length_mismatch),
		cmocka_unit_test(d_enc_4_truncated_at_every_offset),
		cmocka_unit_test(d_enc_2_roundtrip_sizes),
		cmocka_unit_test(d_enc_5_pack_unpack_every_flag),
		cmocka_unit_test(d_enc_2_fresh_salt),
		cmocka_unit_test(d_enc_2_encode_respects_cap),
		cmocka_unit_test(d_enc_2_plausible_xml_charsets),
		cmocka_unit_test(d_enc_5_file_write_atomic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
