/*
 * prov ca: the server as the devices' certificate authority
 * (interfaces.md "prov ca init|issue ..."; server.md S-OPS-6, device.md
 * D-NET-3; server/ca.h), and `prov device revoke-cert`.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ca.h"
#include "inventory.h"

#define CA_DIR_DEFAULT "./prov-ca"     /* the same default as prov serve --device-ca */
#define CA_CN_DEFAULT "prov device CA" /* a new CA's subject */

static const char ca_help[] =
"usage: prov ca init [--ca DIR] [--cn NAME] [--days N] [--import CERT KEY]\n"
"       prov ca issue MAC [--ca DIR] [--db URL] [--out FILE] [--days N]\n"
"                         [--serial SN] [--product PN]\n"
"       prov ca list [MAC] [--db URL]\n"
"       prov device revoke-cert MAC [--db URL]\n"
"\n"
"The server as the devices' certificate authority: it issues their client\n"
"certificates (MICs, for HTTPS with require=cert routes and activation) and\n"
"renews them from the CSR a phone POSTs to 'prov serve --device-ca DIR' at\n"
"/prov/cert (its MIC_Cert_Refresh_Rule), presenting its current one.\n"
"\n"
"  init     make a CA in DIR (default ./prov-ca, made 0700): ca.pem, the\n"
"           certificate to give phones and 'prov serve --client-ca', and\n"
"           ca.key, its EC P-256 private key, mode 0600. Never overwrites.\n"
"  --cn NAME        its subject's CN (default \"prov device CA\")\n"
"  --days N         its life (default 3650)\n"
"  --import CERT KEY  take an existing CA instead (PEM, unencrypted key):\n"
"                   they must match, CERT must be a CA, and the key at\n"
"                   least P-256 or RSA-2048\n"
"  issue    a new P-256 key and certificate for MAC (staging a phone):\n"
"           subject ST=MAC, L=serial, OU=product, CN=\"product SEPMAC\",\n"
"           client use only; key then certificate in PEM, to FILE (made\n"
"           0600) or standard output. Serial and product are the\n"
"           inventory's, or --serial / --product (which win). Recorded\n"
"  --days N         its life (default 365)\n"
"  list     the certificates issued (of MAC): serial, MAC, issue or renew,\n"
"           expiry, revoked or valid\n"
"  revoke-cert  (prov device) every certificate issued to MAC is revoked:\n"
"           'prov serve' closes an HTTPS connection presenting one right\n"
"           after its handshake, so the phone can no longer renew nor\n"
"           fetch require=cert routes with it\n"
"\n"
"The CA key is read only by 'prov ca' and 'prov serve' (before it drops\n"
"privileges) and is never logged.\n"
"\n"
"Exit status: 0 success, 1 failed, 2 bad usage.\n";

struct ca_opts {
	const char *dir, *db, *cn, *import_cert, *import_key, *out, *serial, *product;
	unsigned days;
};

static void
ca_time(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
ca_list_row(void *arg, const struct ca_cert *c)
{
	char exp[32], rev[32];

	(void)arg;
	ca_time(c->not_after_ms, exp);
	if (c->revoked_ms != 0)
		ca_time(c->revoked_ms, rev);
	printf("%s %s %s %s %s%s\n", c->serial, c->mac, c->how, exp,
	       c->revoked_ms != 0 ? "revoked-" : "valid", c->revoked_ms != 0 ? rev : "");
}

static int
ca_issue_cmd(const char *cmd, const char *macarg, const struct ca_opts *o)
{
	struct ca *ca = NULL;
	struct inv *inv = NULL;
	struct inv_device d;
	char mac[13], err[512], *pem = NULL;
	const char *serial, *product;
	size_t len = 0;
	int rc = EXIT_FAIL, found;

	if (inv_mac_parse(macarg, mac) < 0)
		return cli_usage(cmd, "'%s' is not a MAC (12 hex digits)", macarg);
	if ((o->serial != NULL && strlen(o->serial) >= INV_FIELD_MAX) ||
	    (o->product != NULL && strlen(o->product) >= INV_FIELD_MAX))
		return cli_usage(cmd, "--serial and --product take at most %u bytes",
				 INV_FIELD_MAX - 1);
	if (ca_load(&ca, o->dir != NULL ? o->dir : CA_DIR_DEFAULT, err, sizeof(err)) < 0) {
		cli_err("%s: %s", cmd, err);
		return EXIT_FAIL;
	}
	if ((inv = cli_inv_open(cmd, o->db)) == NULL)
		goto out;
	memset(&d, 0, sizeof(d));
	found = inv_device_get(inv, mac, &d);
	OPENSSL_cleanse(d.http_password, sizeof(d.http_password));
	if (found < 0) {
		cli_err("%s: %s", cmd, inv_errmsg(inv));
		goto out;
	}
	serial = o->serial != NULL ? o->serial : d.serial;
	product = o->product != NULL ? o->product : d.product;
	if (serial[0] == '\0' || product[0] == '\0') {
		rc = cli_usage(cmd, "%s: no serial or product: add the device to the inventory, "
			       "or give --serial and --product", mac);
		goto out;
	}
	if (ca_issue(ca, inv, mac, serial, product, o->days ? o->days : CA_DEVICE_DAYS_DEFAULT,
		     &pem, &len, err, sizeof(err)) < 0) {
		cli_err("%s: %s", cmd, err);
		goto out;
	}
	if (o->out != NULL) {
		int fd = open(o->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		ssize_t n = -1;

		if (fd >= 0 && fchmod(fd, 0600) == 0)
			n = write(fd, pem, len);
		if (fd < 0 || n != (ssize_t)len || close(fd) != 0) {
			cli_err("%s: %s: %s", cmd, o->out, strerror(errno));
			goto out;
		}
	} else {
		fwrite(pem, 1, len, stdout);
	}
	rc = EXIT_OK;
out:
	if (pem != NULL)
		OPENSSL_cleanse(pem, len);
	free(pem);
	inv_close(inv);
	ca_free(ca);
	return rc;
}

int
device_revoke_cert(const char *cmd, const char *macarg, struct inv *inv)
{
	char mac[13];
	int n;

	if (inv_mac_parse(macarg, mac) < 0)
		return cli_usage(cmd, "'%s' is not a MAC (12 hex digits)", macarg);
	n = ca_revoke_mac(inv, mac);
	if (n < 0) {
		cli_err("%s: %s", cmd, inv_errmsg(inv));
		return EXIT_FAIL;
	}
	if (n == 0) {
		cli_err("%s: %s: no certificate to revoke", cmd, mac);
		return EXIT_FAIL;
	}
	printf("%s: %d certificate%s revoked\n", mac, n, n == 1 ? "" : "s");
	return EXIT_OK;
}

int
cmd_ca(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ca", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "cn", required_argument, NULL, 'n' }, { "days", required_argument, NULL, 'D' },
		{ "import", required_argument, NULL, 'i' }, { "out", required_argument, NULL, 'o' },
		{ "serial", required_argument, NULL, 's' },
		{ "product", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	static const struct cli_sub subs[] = { { "init", 0 }, { "issue", 1 }, { "list", -1 } };
	struct ca_opts o;
	char cmd[32], err[512], *end;
	const char *sub;
	unsigned long v;
	int c, rc;

	rc = cli_subcommand("ca", subs, sizeof(subs) / sizeof(subs[0]), ca_help, argc, argv, cmd,
			    sizeof(cmd));
	if (rc < 0)
		return rc == CLI_HELPED ? EXIT_OK : -rc;
	sub = argv[1];
	memset(&o, 0, sizeof(o));
	argc--;
	argv++;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case 'h': return cli_help(ca_help);
		case 'c': o.dir = optarg; break;
		case 'd': o.db = optarg; break;
		case 'n': o.cn = optarg; break;
		case 'o': o.out = optarg; break;
		case 's': o.serial = optarg; break;
		case 'p': o.product = optarg; break;
		case 'i':
			o.import_cert = optarg;
			if (optind >= argc || argv[optind][0] == '-')
				return cli_usage(cmd, "--import needs CERT and KEY");
			o.import_key = argv[optind++];
			break;
		case 'D':
			v = strtoul(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || v == 0 ||
			    v > CA_DAYS_MAX)
				return cli_usage(cmd, "--days '%s': expected 1..%u", optarg, CA_DAYS_MAX);
			o.days = (unsigned)v;
			break;
		case ':': return cli_usage(cmd, "%s needs a value", argv[optind - 1]);
		default: return cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (strcmp(sub, "init") == 0) {
		if (argc != optind)
			return cli_usage(cmd, "expected no argument");
		if (o.db || o.out || o.serial || o.product)
			return cli_usage(cmd, "--db, --out, --serial and --product are for 'ca issue'");
		if (o.import_cert != NULL && (o.cn != NULL || o.days != 0))
			return cli_usage(cmd, "--cn and --days make a new CA: not with --import");
		if (ca_init(o.dir != NULL ? o.dir : CA_DIR_DEFAULT,
			    o.cn != NULL ? o.cn : CA_CN_DEFAULT, o.days ? o.days : CA_DAYS_DEFAULT,
			    o.import_cert, o.import_key, err, sizeof(err)) < 0) {
			cli_err("%s: %s", cmd, err);
			return EXIT_FAIL;
		}
		printf("%s/%s %s/%s\n", o.dir != NULL ? o.dir : CA_DIR_DEFAULT, CA_CERT_FILE,
		       o.dir != NULL ? o.dir : CA_DIR_DEFAULT, CA_KEY_FILE);
		return EXIT_OK;
	}
	if (o.cn != NULL || o.import_cert != NULL)
		return cli_usage(cmd, "--cn and --import are for 'ca init'");
	if (strcmp(sub, "issue") == 0) {
		if (argc - optind != 1)
			return cli_usage(cmd, "expected MAC");
		return ca_issue_cmd(cmd, argv[optind], &o);
	}
	/* list */
	{
		struct inv *inv;
		char mac[13];

		if (argc - optind > 1 || o.out || o.serial || o.product || o.days || o.dir)
			return cli_usage(cmd, "expected at most MAC, and --db");
		if (argc - optind == 1 && inv_mac_parse(argv[optind], mac) < 0)
			return cli_usage(cmd, "'%s' is not a MAC (12 hex digits)", argv[optind]);
		if ((inv = cli_inv_open(cmd, o.db)) == NULL)
			return EXIT_FAIL;
		rc = ca_list(inv, argc - optind == 1 ? mac : NULL, ca_list_row, NULL) < 0 ?
			EXIT_FAIL : EXIT_OK;
		if (rc != EXIT_OK)
			cli_err("%s: %s", cmd, inv_errmsg(inv));
		inv_close(inv);
		return rc;
	}
}
