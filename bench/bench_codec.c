/*
 * bench_codec: what decoding a gzip + AES-256-CBC profile costs
 * (prov_unpack, D-ENC), against its two parts done alone on the same bytes
 * in the same run (bench/README.md).
 *
 *   (a) AES-256-CBC decryption alone: EVP_DecryptInit_ex, Update, Final on
 *       the ciphertext, with the key and IV already derived
 *   (b) inflate alone: inflateInit2, one inflate into a buffer of the
 *       right size, inflateEnd, on the gzip stream the decryption yields
 *   (c) prov_unpack on the whole container, and free
 *
 * (a) + (b) is the floor: a decoder that allocates nothing, copies nothing
 * and checks nothing would cost that. The profiles are generated, realistic
 * flat-profiles of about 40 KB and 1 MB (a fixed seed keeps them identical
 * across runs), packed with prov_pack(PROV_PACK_GZIP, key): gzip, then the
 * openssl-enc container with MD5 key derivation, what phones read. The
 * three are run round-robin, each iteration timed alone; the tables show
 * medians, MB/s (10^6 bytes, as `openssl speed` counts) of profile bytes
 * and of ciphertext bytes, and the ratio to the floor.
 *
 * With OUTDIR, the profiles and their packed forms are written there as
 * codec-40k.xml, codec-40k.enc, codec-1m.xml, codec-1m.enc, for codec.sh
 * to time `prov unpack` against `openssl enc -d | gunzip`.
 *
 * usage: bench_codec [-n ITERATIONS] [-k KEY] [OUTDIR]
 *        ITERATIONS for the 40 KB profile (default 4000); the 1 MB one
 *        runs a twentieth of that, at least 50.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "prov/prov.h"

#define BENCH_ITER 4000          /* default iterations, 40 KB profile */
#define BENCH_ITER_DIV 20        /* the 1 MB profile runs ITER / this ... */
#define BENCH_ITER_MIN 50        /* ... but at least this many */
#define BENCH_WARMUP 20          /* untimed iterations first */
#define BENCH_KEY "prov-bench-key" /* default passphrase (-k) */
#define BENCH_SLACK 4096u        /* room past the target for the last element */
#define BENCH_KEY_LEN 32         /* AES-256 */
#define BENCH_IV_LEN 16
#define BENCH_HEADER_LEN 16      /* "Salted__" + 8 bytes of salt */

struct bench_gen {
	char *p;
	size_t len, cap;
	uint64_t rng;
};

static uint64_t
bench_rand(struct bench_gen *g)
{
	/* xorshift64: a fixed seed keeps the profile identical across runs */
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return g->rng;
}

static void
bench_add(struct bench_gen *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
bench_add(struct bench_gen *g, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(g->p + g->len, g->cap - g->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= g->cap - g->len) {
		fprintf(stderr, "bench_codec: profile buffer too small\n");
		exit(1);
	}
	g->len += (size_t)n;
}

/* n random characters of an alphabet: passwords and the like, the part of
 * a profile that does not compress. */
static const char *
bench_token(struct bench_gen *g, char *s, size_t n)
{
	static const char alnum[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	for (size_t i = 0; i < n; i++)
		s[i] = alnum[bench_rand(g) % (sizeof(alnum) - 1)];
	s[n] = '\0';
	return s;
}

/* What every profile has once: provisioning, time, logging, admin. */
static void
bench_system(struct bench_gen *g)
{
	char pw[24];

	bench_add(g,
		  "<Provision_Enable ua=\"na\">Yes</Provision_Enable>\n"
		  "<Resync_On_Reset ua=\"na\">Yes</Resync_On_Reset>\n"
		  "<Resync_Random_Delay ua=\"na\">2</Resync_Random_Delay>\n"
		  "<Resync_At__HHmm_ ua=\"na\">0300</Resync_At__HHmm_>\n"
		  "<Resync_Periodic ua=\"na\">3600</Resync_Periodic>\n"
		  "<Resync_Error_Retry_Delay ua=\"na\">600</Resync_Error_Retry_Delay>\n"
		  "<Profile_Rule ua=\"na\">[--key $B]https://prov.example.net/cfg/$PSN/$MA.xml.gz.enc</Profile_Rule>\n"
		  "<Profile_Rule_B ua=\"na\">https://prov.example.net/cfg/common.xml</Profile_Rule_B>\n"
		  "<Upgrade_Rule ua=\"na\">($SWVER ne sip88xx.11-3-1MPP-123)? https://fw.example.net/sip88xx.11-3-1MPP-123.loads</Upgrade_Rule>\n"
		  "<Primary_NTP_Server ua=\"na\">0.pool.ntp.org</Primary_NTP_Server>\n"
		  "<Secondary_NTP_Server ua=\"na\">1.pool.ntp.org</Secondary_NTP_Server>\n"
		  "<Time_Zone ua=\"rw\">GMT+01:00</Time_Zone>\n"
		  "<Syslog_Server ua=\"na\">10.20.0.5:514</Syslog_Server>\n"
		  "<Debug_Level ua=\"na\">NOTICE</Debug_Level>\n"
		  "<Station_Name ua=\"ro\">Reception desk, building 4</Station_Name>\n");
	bench_add(g, "<Admin_Password ua=\"na\">%s</Admin_Password>\n",
		  bench_token(g, pw, 16));
	bench_add(g, "<GPP_B ua=\"na\">%s</GPP_B>\n", bench_token(g, pw, 20));
	for (unsigned k = 0; k < 16; k++)
		bench_add(g, "<GPP_%c ua=\"na\">%u</GPP_%c>\n", 'C' + k % 14,
			  (unsigned)(bench_rand(g) % 100000), 'C' + k % 14);
}

/* One line's registration (the parameters of D-PAR that carry _N_). */
static void
bench_line(struct bench_gen *g, unsigned n)
{
	static const char *const codec[] = { "G711u", "G711a", "G722", "OPUS", "G729a" };
	char pw[24];
	unsigned ext = 2000 + (unsigned)(bench_rand(g) % 8000);

	bench_add(g,
		  "<Line_Enable_%u_ ua=\"na\">Yes</Line_Enable_%u_>\n"
		  "<Proxy_%u_ ua=\"na\">sip.example.net</Proxy_%u_>\n"
		  "<Outbound_Proxy_%u_ ua=\"na\">sbc%u.example.net:5061</Outbound_Proxy_%u_>\n"
		  "<Display_Name_%u_ ua=\"rw\">Extension %u</Display_Name_%u_>\n"
		  "<User_ID_%u_ ua=\"na\">%u</User_ID_%u_>\n"
		  "<Auth_ID_%u_ ua=\"na\">%u-auth</Auth_ID_%u_>\n",
		  n, n, n, n, n, n % 3 + 1, n, n, ext, n, n, ext, n, n, ext, n);
	bench_add(g, "<Password_%u_ ua=\"na\">%s</Password_%u_>\n", n,
		  bench_token(g, pw, 20), n);
	bench_add(g,
		  "<SIP_Port_%u_ ua=\"na\">%u</SIP_Port_%u_>\n"
		  "<Register_Expires_%u_ ua=\"na\">3600</Register_Expires_%u_>\n"
		  "<Preferred_Codec_%u_ ua=\"rw\">%s</Preferred_Codec_%u_>\n"
		  "<Voice_Mail_Server_%u_ ua=\"na\">vm.example.net</Voice_Mail_Server_%u_>\n"
		  "<Dial_Plan_%u_ ua=\"na\">(*xx|[3469]11|0|00|[2-9]xxxxxx|1xxx[2-9]xxxxxxS0|"
		  "xxxxxxxxxxxx.|8[1-4]xx|9,:1xxx[2-9]xxxxxx)</Dial_Plan_%u_>\n",
		  n, 5060 + n, n, n, n, n, codec[bench_rand(g) % 5], n, n, n, n, n);
}

/* One entry of the long lists that make a profile large: personal
 * directory, speed dials, line keys, BLF. */
static void
bench_entry(struct bench_gen *g, unsigned n)
{
	static const char *const first[] = {
		"Anna", "Bruno", "Chloe", "Dmitri", "Elena", "Farid", "Greta", "Hiro",
		"Ines", "Jonas", "Kofi", "Lena", "Marco", "Nadia", "Oskar", "Priya",
	};
	static const char *const last[] = {
		"Andersen", "Bianchi", "Castillo", "Dubois", "Eriksson", "Fischer",
		"Garcia", "Horvath", "Ivanova", "Jansen", "Kowalski", "Lindqvist",
		"Moreau", "Novak", "Okafor", "Petrov",
	};
	uint64_t r = bench_rand(g);
	const char *f = first[r % 16], *l = last[(r >> 4) % 16];
	unsigned num = (unsigned)((r >> 8) % 10000000u), ext = (unsigned)((r >> 32) % 9000) + 1000;

	switch ((r >> 48) % 4) {
	case 0:
		bench_add(g, "<Directory_Entry_%u_ ua=\"rw\">n=%s %s;p=+1408%07u;r=%u</Directory_Entry_%u_>\n",
			  n, f, l, num, (unsigned)(r >> 60) % 4, n);
		break;
	case 1:
		bench_add(g, "<Speed_Dial_%u_Name_ ua=\"rw\">%s %s</Speed_Dial_%u_Name_>\n"
			  "<Speed_Dial_%u_Number_ ua=\"rw\">%u</Speed_Dial_%u_Number_>\n",
			  n, f, l, n, n, ext, n);
		break;
	case 2:
		bench_add(g, "<Extended_Function_%u_ ua=\"na\">fnc=blf+sd+cp;sub=%u@sip.example.net;nme=%s %.1s.</Extended_Function_%u_>\n",
			  n, ext, f, l, n);
		break;
	default:
		bench_add(g, "<Line_Key_%u_Label_ ua=\"rw\">%s</Line_Key_%u_Label_>\n"
			  "<Line_Key_%u_Extension_ ua=\"na\">Disabled</Line_Key_%u_Extension_>\n",
			  n, l, n, n, n);
		break;
	}
}

/* A flat-profile of about target bytes: the system part, ten lines, then
 * list entries until the size is reached. */
static char *
bench_profile(size_t target, size_t *len)
{
	struct bench_gen g = { NULL, 0, target + BENCH_SLACK, 0x9e3779b97f4a7c15ull };
	static const char tail[] = "</flat-profile>\n</device>\n";

	g.p = malloc(g.cap);
	if (g.p == NULL)
		return NULL;
	bench_add(&g, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<device>\n"
		  "<!-- generated by bench_codec -->\n<flat-profile>\n");
	bench_system(&g);
	for (unsigned n = 1; n <= 10; n++)
		bench_line(&g, n);
	for (unsigned n = 1; g.len + sizeof(tail) - 1 < target; n++)
		bench_entry(&g, n);
	bench_add(&g, "%s", tail);
	*len = g.len;
	return g.p;
}

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One packed profile and what its parts need. */
struct bench_case {
	const char *label, *file; /* "40 KB", "codec-40k" */
	size_t target;            /* profile size asked for */
	char *plain;              /* the profile */
	size_t plainlen;
	void *packed;             /* prov_pack's container */
	size_t packedlen;
	unsigned char kiv[BENCH_KEY_LEN + BENCH_IV_LEN]; /* derived from the salt */
	unsigned char *gz;        /* the decrypted gzip stream */
	size_t gzlen;
	unsigned char *scratch;   /* output of (a) and (b) */
	size_t scratchlen;
};

/* (a): decryption of the ciphertext, key and IV given. Returns the
 * plaintext length, or 0 on failure. */
static size_t
bench_decrypt(EVP_CIPHER_CTX *ctx, const struct bench_case *c, unsigned char *out)
{
	const unsigned char *ct = (const unsigned char *)c->packed + BENCH_HEADER_LEN;
	int n1 = 0, n2 = 0;

	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, c->kiv, c->kiv + BENCH_KEY_LEN) != 1 ||
	    EVP_DecryptUpdate(ctx, out, &n1, ct, (int)(c->packedlen - BENCH_HEADER_LEN)) != 1 ||
	    EVP_DecryptFinal_ex(ctx, out + n1, &n2) != 1)
		return 0;
	return (size_t)(n1 + n2);
}

/* (b): inflate of the gzip stream into out (room bytes). Returns the
 * profile length, or 0 on failure. */
static size_t
bench_inflate(const struct bench_case *c, unsigned char *out, size_t room)
{
	z_stream z;
	size_t n;
	int zr;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return 0;
	z.next_in = c->gz;
	z.avail_in = (uInt)c->gzlen;
	z.next_out = out;
	z.avail_out = (uInt)room;
	zr = inflate(&z, Z_FINISH);
	n = room - z.avail_out;
	inflateEnd(&z);
	return zr == Z_STREAM_END ? n : 0;
}

/* (c): returns 0 when prov_unpack gave back the profile. */
static int
bench_unpack(const struct bench_case *c, const char *key, int check)
{
	char msg[256];
	void *out;
	size_t outlen;
	unsigned layers;
	int bad;

	if (prov_unpack(c->packed, c->packedlen, key, 0, &out, &outlen, &layers,
			msg, sizeof(msg)) != PROV_OK) {
		fprintf(stderr, "bench_codec: prov_unpack: %s\n", msg);
		return -1;
	}
	bad = check && (outlen != c->plainlen || memcmp(out, c->plain, outlen) != 0 ||
			layers != (PROV_LAYER_AES | PROV_LAYER_GZIP));
	free(out);
	if (bad)
		fprintf(stderr, "bench_codec: prov_unpack: wrong result\n");
	return bad ? -1 : 0;
}

/* Generates, packs, and prepares (a) and (b) by decrypting the container
 * the way `openssl enc -d -md md5` does; checks that every path gives the
 * profile back. */
static int
bench_setup(struct bench_case *c, const char *key, EVP_CIPHER_CTX *ctx)
{
	char msg[256];
	const unsigned char *salt;

	c->plain = bench_profile(c->target, &c->plainlen);
	if (c->plain == NULL)
		return -1;
	if (prov_pack(c->plain, c->plainlen, PROV_PACK_GZIP, key, &c->packed, &c->packedlen,
		      msg, sizeof(msg)) != PROV_OK) {
		fprintf(stderr, "bench_codec: prov_pack: %s\n", msg);
		return -1;
	}
	salt = (const unsigned char *)c->packed + 8;
	if (EVP_BytesToKey(EVP_aes_256_cbc(), EVP_md5(), salt, (const unsigned char *)key,
			   (int)strlen(key), 1, c->kiv, c->kiv + BENCH_KEY_LEN) != BENCH_KEY_LEN)
		return -1;
	c->gz = malloc(c->packedlen + 16);
	c->scratchlen = c->plainlen + c->packedlen;
	c->scratch = malloc(c->scratchlen);
	if (c->gz == NULL || c->scratch == NULL)
		return -1;
	c->gzlen = bench_decrypt(ctx, c, c->gz);
	if (c->gzlen < 18 || c->gz[0] != 0x1f || c->gz[1] != 0x8b) {
		fprintf(stderr, "bench_codec: %s: decryption did not give gzip\n", c->label);
		return -1;
	}
	if (bench_inflate(c, c->scratch, c->scratchlen) != c->plainlen ||
	    memcmp(c->scratch, c->plain, c->plainlen) != 0) {
		fprintf(stderr, "bench_codec: %s: inflate did not give the profile\n", c->label);
		return -1;
	}
	return bench_unpack(c, key, 1);
}

static int
bench_write(const char *dir, const char *name, const char *ext, const void *data,
	    size_t len)
{
	char path[4096], msg[512];

	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	if (prov_file_write(path, data, len, 0644, msg, sizeof(msg)) != PROV_OK) {
		fprintf(stderr, "bench_codec: %s\n", msg);
		return -1;
	}
	return 0;
}

static void
bench_row(const char *name, double us, const struct bench_case *c, double floor)
{
	size_t ct = c->packedlen - BENCH_HEADER_LEN;

	printf("%-34s %12.1f %13.1f %12.1f", name, us, (double)c->plainlen / us,
	       (double)ct / us);
	if (floor > 0)
		printf(" %9.2fx", us / floor);
	printf("\n");
}

/* Times (a), (b), (c) round-robin and prints the table. */
static int
bench_run(struct bench_case *c, const char *key, EVP_CIPHER_CTX *ctx, size_t iter)
{
	double *t[3] = { NULL, NULL, NULL }, m[3], t0;
	int rc = -1;

	for (int k = 0; k < 3; k++)
		if ((t[k] = malloc(iter * sizeof(double))) == NULL)
			goto out;
	for (size_t i = 0; i < BENCH_WARMUP + iter; i++) {
		double d[3];

		t0 = bench_now();
		if (bench_decrypt(ctx, c, c->scratch) != c->gzlen)
			goto out;
		d[0] = bench_now() - t0;
		t0 = bench_now();
		if (bench_inflate(c, c->scratch, c->scratchlen) != c->plainlen)
			goto out;
		d[1] = bench_now() - t0;
		t0 = bench_now();
		if (bench_unpack(c, key, 0) != 0)
			goto out;
		d[2] = bench_now() - t0;
		if (i >= BENCH_WARMUP)
			for (int k = 0; k < 3; k++)
				t[k][i - BENCH_WARMUP] = d[k];
	}
	for (int k = 0; k < 3; k++)
		m[k] = bench_median(t[k], iter);
	printf("\n%s profile: %zu bytes, gzip %zu (%.1fx smaller), container %zu; "
	       "%zu iterations\n", c->label, c->plainlen, c->gzlen,
	       (double)c->plainlen / (double)c->gzlen, c->packedlen, iter);
	printf("%-34s %12s %13s %12s %10s\n", "operation", "median us/op", "profile MB/s",
	       "cipher MB/s", "vs floor");
	bench_row("(a) AES-256-CBC decrypt, EVP", m[0], c, 0);
	bench_row("(b) inflate, zlib", m[1], c, 0);
	bench_row("(a)+(b) floor", m[0] + m[1], c, m[0] + m[1]);
	bench_row("(c) prov_unpack", m[2], c, m[0] + m[1]);
	/* One line for codec.sh. */
	printf("result %s unpack_us=%.1f unpack_mbs=%.1f aes_cipher_mbs=%.1f "
	       "floor_us=%.1f\n", c->file, m[2], (double)c->plainlen / m[2],
	       (double)(c->packedlen - BENCH_HEADER_LEN) / m[0], m[0] + m[1]);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "bench_codec: %s: a timed iteration failed\n", c->label);
	for (int k = 0; k < 3; k++)
		free(t[k]);
	return rc;
}

int
main(int argc, char **argv)
{
	struct bench_case cases[2] = {
		{ .label = "40 KB", .file = "codec-40k", .target = 40u * 1024u },
		{ .label = "1 MB", .file = "codec-1m", .target = 1024u * 1024u },
	};
	const char *key = BENCH_KEY, *dir = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	size_t iter = BENCH_ITER;
	int c, rc = 1;

	while ((c = getopt(argc, argv, "n:k:")) != -1) {
		switch (c) {
		case 'n': iter = (size_t)strtoul(optarg, NULL, 10); break;
		case 'k': key = optarg; break;
		default:
			fprintf(stderr, "usage: bench_codec [-n ITERATIONS] [-k KEY] [OUTDIR]\n");
			return 2;
		}
	}
	if (optind < argc)
		dir = argv[optind];
	if (iter == 0)
		iter = 1;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		goto out;
	printf("%s; zlib %s; MD5 key derivation; MB = 10^6 bytes\n",
	       OpenSSL_version(OPENSSL_VERSION), zlibVersion());
	for (int k = 0; k < 2; k++) {
		size_t n = k == 0 ? iter : iter / BENCH_ITER_DIV;

		if (bench_setup(&cases[k], key, ctx) != 0)
			goto out;
		if (dir != NULL &&
		    (bench_write(dir, cases[k].file, "xml", cases[k].plain, cases[k].plainlen) != 0 ||
		     bench_write(dir, cases[k].file, "enc", cases[k].packed,
				 cases[k].packedlen) != 0))
			goto out;
		if (bench_run(&cases[k], key, ctx, n < BENCH_ITER_MIN ? BENCH_ITER_MIN : n) != 0)
			goto out;
	}
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	for (int k = 0; k < 2; k++) {
		free(cases[k].plain);
		free(cases[k].packed);
		free(cases[k].gz);
		free(cases[k].scratch);
	}
	return rc;
}
