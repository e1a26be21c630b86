/*
 * prov pack / prov unpack: profiles to and from the layers phones read
 * (gzip, openssl-enc AES-256-CBC, RFC 8188 aes128gcm), bit-compatible with
 * the real tools.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char pack_help[] =
"usage: prov pack [--gzip] [--key KEY [--md md5|sha256]] IN [-o OUT]\n"
"       prov pack [--gzip] --aes128gcm IKM [--keyid ID] [--rs N] IN [-o OUT]\n"
"\n"
"Packs a profile the way phones read it: compressed with --gzip (as\n"
"`gzip -c` would), then, with --key, encrypted with AES-256-CBC in the\n"
"container `openssl enc -aes-256-cbc -k KEY` writes (\"Salted__\", a fresh\n"
"random salt, then the ciphertext). Compression always comes before\n"
"encryption, the order phones require.\n"
"\n"
"  --gzip         compress (gzip format, RFC 1952)\n"
"  --key KEY      encrypt with passphrase KEY (any bytes; quote spaces)\n"
"  --md DIGEST    key derivation: md5 (default: what phones, tested with\n"
"                 OpenSSL 0.9.7, expect) or sha256 (OpenSSL 1.1 and later)\n"
"  --aes128gcm IKM\n"
"                 encrypt instead as RFC 8188 aes128gcm content, the body a\n"
"                 server sends with `Content-Encoding: aes128gcm` to a phone\n"
"                 whose IKM_HTTP_Encrypt_Content is IKM (its text, as\n"
"                 written in the profile); a fresh random salt\n"
"  --keyid ID     the key id in its header (default none; at most 255 bytes)\n"
"  --rs N         its record size, 18..4294967295 (default 4096)\n"
"  -o OUT         write OUT atomically (never a partial file); default\n"
"                 standard output, refused when that is a terminal\n"
"\n"
"IN '-' reads standard input. The output reads back with\n"
"    openssl enc -d -aes-256-cbc -md md5 -k KEY -in OUT | gunzip\n"
"or, for aes128gcm, with `prov unpack --ikm IKM`.\n"
"\n"
"Exit status: 0 packed, 1 failed (I/O), 2 bad usage.\n";

static const char unpack_help[] =
"usage: prov unpack [--key KEY | --ikm IKM [--keyid ID]] [--max BYTES] IN [-o OUT]\n"
"\n"
"Reverses whatever layers IN carries, told apart by content as a phone\n"
"does: \"Salted__\" is decrypted with KEY (MD5 or SHA-256 key derivation,\n"
"found out), then gzip (1f 8b) is decompressed. A plain profile passes\n"
"through. Reads files written by gzip and by\n"
"`openssl enc -aes-256-cbc -k KEY [-md md5|sha256]`.\n"
"\n"
"  --key KEY      the passphrase of an encrypted file\n"
"  --ikm IKM      IN is RFC 8188 aes128gcm content (a body sent with\n"
"                 `Content-Encoding: aes128gcm`; it has no magic bytes, so\n"
"                 it is decoded only when this is given): decode it with\n"
"                 IKM, refusing any altered, reordered or missing byte,\n"
"                 then gunzip if it holds gzip\n"
"  --keyid ID     with --ikm: refuse a header naming another key id (RFC\n"
"                 8188 does not authenticate it)\n"
"  --max BYTES    largest result accepted (default 4194304, the profile\n"
"                 limit): a decompression bomb stops there\n"
"  -o OUT         write OUT atomically: on any failure OUT is untouched\n"
"  -v, --verbose  say on stderr which layers were removed\n"
"\n"
"Exit status: 0 unpacked; 1 failed: no key for an encrypted file, wrong key\n"
"or corrupt data, truncated file, corrupt gzip, CRC or length mismatch,\n"
"an aes128gcm record that does not authenticate, result too large (the\n"
"message says which); 2 bad usage.\n";

/* Writes data to path atomically, or to stdout. */
static int
write_out(const char *cmd, const char *path, const void *data, size_t len, int binary)
{
	char msg[512];

	if (path == NULL) {
		if (binary && isatty(STDOUT_FILENO)) {
			cli_err("%s: not writing binary data to a terminal (use -o OUT)", cmd);
			return EXIT_USAGE;
		}
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
			cli_err("%s: write error on standard output", cmd);
			return EXIT_FAIL;
		}
		return EXIT_OK;
	}
	if (prov_file_write(path, data, len, 0644, msg, sizeof(msg)) != PROV_OK) {
		cli_err("%s: %s", cmd, msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int
cmd_pack(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "gzip", no_argument, NULL, 'z' },
		{ "key", required_argument, NULL, 'k' },
		{ "md", required_argument, NULL, 'm' },
		{ "aes128gcm", required_argument, NULL, 'a' },
		{ "keyid", required_argument, NULL, 'i' },
		{ "rs", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key = NULL, *md = NULL, *outpath = NULL, *ikm = NULL, *keyid = NULL;
	unsigned long long rs = 0;
	unsigned flags = 0;
	char msg[512], *data, *end;
	void *out = NULL;
	size_t len, outlen;
	enum prov_err rc;
	int c, status;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hzk:m:o:", opts, NULL)) != -1) {
		switch (c) {
		case 'h': return cli_help(pack_help);
		case 'z': flags |= PROV_PACK_GZIP; break;
		case 'k': key = optarg; break;
		case 'm': md = optarg; break;
		case 'a': ikm = optarg; break;
		case 'i': keyid = optarg; break;
		case 'r':
			errno = 0;
			rs = strtoull(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' || errno != 0 ||
			    rs < 18 || rs > UINT32_MAX)
				return cli_usage("pack", "--rs takes 18..%lu, not '%s'",
						 (unsigned long)UINT32_MAX, optarg);
			break;
		case 'o': outpath = optarg; break;
		default: return cli_usage("pack", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (md != NULL) {
		if (key == NULL)
			return cli_usage("pack", "--md needs --key");
		if (strcmp(md, "sha256") == 0)
			flags |= PROV_PACK_SHA256;
		else if (strcmp(md, "md5") != 0)
			return cli_usage("pack", "--md takes md5 or sha256, not '%s'", md);
	}
	if (ikm != NULL && key != NULL)
		return cli_usage("pack", "--aes128gcm and --key are two encryptions: give one");
	if (ikm == NULL && (keyid != NULL || rs != 0))
		return cli_usage("pack", "--keyid and --rs need --aes128gcm");
	if (ikm != NULL && *ikm == '\0')
		return cli_usage("pack", "--aes128gcm needs a non-empty IKM");
	if (keyid != NULL && strlen(keyid) > 255)
		return cli_usage("pack", "--keyid takes at most 255 bytes");
	if (argc - optind != 1)
		return cli_usage("pack", "expected exactly one IN file");
	data = cli_read_file(argv[optind], CLI_FILE_MAX, &len);
	if (data == NULL)
		return EXIT_FAIL;
	if (ikm != NULL)
		rc = prov_pack_aes128gcm(data, len, flags, ikm, keyid, (unsigned long)rs, &out,
					 &outlen, msg, sizeof(msg));
	else
		rc = prov_pack(data, len, flags, key, &out, &outlen, msg, sizeof(msg));
	if (rc != PROV_OK) {
		cli_err("pack: %s: %s", argv[optind], msg);
		status = EXIT_FAIL;
	} else {
		status = write_out("pack", outpath, out, outlen,
				   flags != 0 || key != NULL || ikm != NULL);
	}
	free(data);
	free(out);
	return status;
}

int
cmd_unpack(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "key", required_argument, NULL, 'k' },
		{ "ikm", required_argument, NULL, 'g' },
		{ "keyid", required_argument, NULL, 'i' },
		{ "max", required_argument, NULL, 'x' },
		{ "output", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key = NULL, *outpath = NULL, *ikm = NULL, *keyid = NULL;
	unsigned long long max = PROV_PROFILE_MAX;
	unsigned layers = 0;
	int verbose = 0, c, status;
	char msg[512], *data, *end;
	void *out = NULL;
	size_t len, outlen;
	enum prov_err rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hk:x:o:v", opts, NULL)) != -1) {
		switch (c) {
		case 'h': return cli_help(unpack_help);
		case 'k': key = optarg; break;
		case 'g': ikm = optarg; break;
		case 'i': keyid = optarg; break;
		case 'o': outpath = optarg; break;
		case 'v': verbose = 1; break;
		case 'x':
			max = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || max == 0 || max > CLI_FILE_MAX)
				return cli_usage("unpack", "--max takes 1..%u bytes", CLI_FILE_MAX);
			break;
		default: return cli_usage("unpack", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (ikm != NULL && key != NULL)
		return cli_usage("unpack", "--ikm (aes128gcm) and --key (AES-256-CBC): give one");
	if (keyid != NULL && ikm == NULL)
		return cli_usage("unpack", "--keyid needs --ikm");
	if (ikm != NULL && *ikm == '\0')
		return cli_usage("unpack", "--ikm needs a non-empty IKM");
	if (argc - optind != 1)
		return cli_usage("unpack", "expected exactly one IN file");
	data = cli_read_file(argv[optind], CLI_FILE_MAX, &len);
	if (data == NULL)
		return EXIT_FAIL;
	if (ikm != NULL)
		rc = prov_unpack_aes128gcm(data, len, ikm, keyid, (size_t)max, &out, &outlen,
					   &layers, msg, sizeof(msg));
	else
		rc = prov_unpack(data, len, key, (size_t)max, &out, &outlen, &layers, msg,
				 sizeof(msg));
	if (rc != PROV_OK) {
		cli_err("unpack: %s: %s", argv[optind], msg);
		status = EXIT_FAIL;
	} else {
		if (verbose)
			fprintf(stderr, "prov: unpack: %s: %s%s%s\n", argv[optind],
				(layers & PROV_LAYER_AES128GCM) ? "decrypted (aes128gcm)" :
				(layers & PROV_LAYER_AES) ? "decrypted" : "",
				(layers & (PROV_LAYER_AES | PROV_LAYER_AES128GCM)) &&
				(layers & PROV_LAYER_GZIP) ? ", " : "",
				(layers & PROV_LAYER_GZIP) ? "decompressed" :
				(layers ? "" : "plain, nothing to do"));
		status = write_out("unpack", outpath, out, outlen, 0);
	}
	if (out != NULL)
		memset(out, 0, outlen);
	free(data);
	free(out);
	return status;
}
