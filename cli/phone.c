/*
 * prov phone: the device side of the command line. The agent (run),
 * resync and status arrive with the device engine; this file holds the
 * commands on a device's state directory: init, get, set, apply, unknown.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char phone_help[] =
"usage: prov phone COMMAND --state DIR [ARGS]\n"
"\n"
"Commands on a phone's state directory (identity, parameters, status):\n"
"  init     create a device: identity, factory defaults, certificates\n"
"  get      print parameters as NAME=VALUE, secrets masked\n"
"  set      set parameters as the admin would on the web page\n"
"  apply    apply profile files, as a resync applies what it fetched\n"
"  unknown  list parameter names seen in applied profiles but not known\n"
"  resync   resync now (TFTP, HTTP, HTTPS), print each rule and the result\n"
"  run      the device agent: boot, keep the resync schedule until SIGTERM\n"
"  report   send a report now (Report_Rule: parameters or status)\n"
"  status   identity and provisioning status (--json)\n"
"  line     set a line busy or idle (Forced_Resync_Delay)\n"
"  dhcp     learn the provisioning server from DHCP (DHCPINFORM)\n"
"\n"
"Run 'prov phone COMMAND --help' for details.\n";

static const char init_help[] =
"usage: prov phone init --state DIR --mac MAC [--serial SN]\n"
"                       [--product CP-8841-3PCC] [--psn 8841]\n"
"                       [--swver sip88xx.11-3-1MPP-123] [--hwver V]\n"
"                       [--cert PEM --certkey PEM] [--ca PEM]\n"
"\n"
"Creates a device in state directory DIR (created if missing) with every\n"
"parameter at its factory default. The identity is read-only afterwards:\n"
"  --mac MAC        12 hex digits, separators ':' '-' '.' allowed ($MA, $MAC)\n"
"  --serial SN      serial number ($SN); default PRV + last 8 MAC digits\n"
"  --product NAME   product name ($PN); default CP-8841-3PCC\n"
"  --psn N          product series number ($PSN); default: the digits of\n"
"                   the product name (8841)\n"
"  --swver V        software version ($SWVER); default sipNNxx.11-3-1MPP-123\n"
"  --hwver V        hardware version ($HWVER); default 1\n"
"  --cert PEM       the device's client certificate (its MIC), with\n"
"  --certkey PEM    its private key (must match the certificate)\n"
"  --ca PEM         CA bundle the device trusts for HTTPS\n"
"\n"
"Certificates are validated before anything is created. Every file in DIR\n"
"is written atomically; DIR can be shared by several prov processes.\n"
"\n"
"Exit status: 0 created, 1 DIR already holds a device or cannot be\n"
"written, 2 bad usage or an invalid identity or certificate.\n";

static const char get_help[] =
"usage: prov phone get --state DIR [--user] [NAME ...]\n"
"\n"
"Prints NAME=VALUE for each NAME, or for every parameter when none is\n"
"given, in table order. Secrets (passwords, GPP_SA..GPP_SD, keys) print as\n"
"******** when set. With --user, only what the phone's user may see\n"
"(access level ro or rw) is printed, and asking for anything else fails.\n"
"\n"
"Exit status: 0 printed, 2 unknown NAME or no device in DIR.\n";

static const char set_help[] =
"usage: prov phone set --state DIR [--user] NAME=VALUE ...\n"
"\n"
"Sets parameters as the admin would on the phone's web page: each value is\n"
"validated against its parameter's type (Yes/No, ranges, choices, delay\n"
"lists, HHmm, rules, conditions) and normalised (yes -> Yes). All values\n"
"are checked first and stored in one transaction: either every one is set\n"
"or none is. With --user, act as the phone's user: only parameters whose\n"
"access level is rw may change.\n"
"\n"
"Example:\n"
"    prov phone set --state ./phone 'Profile_Rule=tftp://192.0.2.1/$MA.cfg' \\\n"
"        Resync_Periodic=30\n"
"\n"
"Exit status: 0 set, 1 the state could not be written, 2 an unknown name,\n"
"an invalid value, or access denied (nothing was changed).\n";

static const char apply_help[] =
"usage: prov phone apply --state DIR [--key KEY] [-v] FILE ...\n"
"\n"
"Applies profile files to the device in order, exactly as a resync applies\n"
"the profiles it fetched: a file that is not well-formed changes nothing\n"
"(and stops the sequence; earlier files stay applied); invalid values are\n"
"rejected one by one, keeping their previous value; unknown names are\n"
"remembered (see 'prov phone unknown'); the last occurrence of a name\n"
"wins. Each file prints one summary line:\n"
"\n"
"    FILE: 3 changed, 1 unchanged, 0 rejected, 2 unknown\n"
"\n"
"and each rejected value one line on stderr (prov: FILE:LINE:COL: ...);\n"
"unknown names (a typo, or a line or key this product does not have) the\n"
"first few, all with -v (--verbose). An empty file is an error.\n"
"Files may be gzip-compressed and/or encrypted (openssl-enc AES-256-CBC),\n"
"told apart by content as a phone does; --key opens encrypted ones.\n"
"FILE '-' reads standard input.\n"
"\n"
"Exit status: 0 every file applied (even with rejected values), 1 the state\n"
"could not be written, 2 a file was empty, malformed or unreadable.\n";

static const char unknown_help[] =
"usage: prov phone unknown --state DIR\n"
"\n"
"Lists, one per line, the parameter names that applied profiles carried\n"
"but this device does not know (an operator's typo stays visible).\n";

enum {
	OPT_HELP = 'h', OPT_STATE = 's', OPT_MAC = 256, OPT_SERIAL, OPT_PRODUCT,
	OPT_PSN, OPT_SWVER, OPT_HWVER, OPT_CERT, OPT_CERTKEY, OPT_CA, OPT_USER, OPT_KEY,
	OPT_VERBOSE
};

#define APPLY_UNKNOWN_SHOW 5 /* unknown names phone apply lists without -v */

static const struct option phone_opts[] = {
	{ "help", no_argument, NULL, OPT_HELP },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "mac", required_argument, NULL, OPT_MAC },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "product", required_argument, NULL, OPT_PRODUCT },
	{ "psn", required_argument, NULL, OPT_PSN },
	{ "swver", required_argument, NULL, OPT_SWVER },
	{ "hwver", required_argument, NULL, OPT_HWVER },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "certkey", required_argument, NULL, OPT_CERTKEY },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "user", no_argument, NULL, OPT_USER },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ NULL, 0, NULL, 0 },
};

struct phone_args {
	const char *state;
	struct prov_identity id;
	const char *cert, *certkey, *ca;
	const char *key;
	int user;
	int verbose;
	int help;
};

/* Parses the options every phone command shares; each command then
 * refuses the ones it does not take. */
static int
phone_parse(const char *cmd, int argc, char **argv, unsigned allowed,
	    struct phone_args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hs:v", phone_opts, NULL)) != -1) {
		if (c == 'v')
			c = OPT_VERBOSE;
		if (c != OPT_HELP && c != OPT_STATE && c >= OPT_MAC &&
		    !(allowed & (1u << (c - OPT_MAC))))
			return cli_usage(cmd, "option '%s' does not apply here", argv[optind - 1]);
		switch (c) {
		case OPT_HELP: a->help = 1; return 0;
		case OPT_STATE: a->state = optarg; break;
		case OPT_MAC: a->id.mac = optarg; break;
		case OPT_SERIAL: a->id.serial = optarg; break;
		case OPT_PRODUCT: a->id.product = optarg; break;
		case OPT_PSN: a->id.psn = optarg; break;
		case OPT_SWVER: a->id.swver = optarg; break;
		case OPT_HWVER: a->id.hwver = optarg; break;
		case OPT_CERT: a->cert = optarg; break;
		case OPT_CERTKEY: a->certkey = optarg; break;
		case OPT_CA: a->ca = optarg; break;
		case OPT_USER: a->user = 1; break;
		case OPT_KEY: a->key = optarg; break;
		case OPT_VERBOSE: a->verbose = 1; break;
		default: return cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (a->state == NULL)
		return cli_usage(cmd, "--state DIR is required");
	return 0;
}

#define ALLOW(o) (1u << ((o) - OPT_MAC))

struct pem_file {
	const char *kind;
	const char *path;
	char *data;
	size_t len;
};

static int
phone_init(int argc, char **argv)
{
	struct phone_args a;
	struct prov_device *dev = NULL;
	struct pem_file pem[3] = { { "cert", NULL, NULL, 0 }, { "certkey", NULL, NULL, 0 },
				   { "ca", NULL, NULL, 0 } };
	char msg[512];
	int status;
	enum prov_err rc;

	status = phone_parse("phone init", argc, argv,
			     ALLOW(OPT_MAC) | ALLOW(OPT_SERIAL) | ALLOW(OPT_PRODUCT) |
			     ALLOW(OPT_PSN) | ALLOW(OPT_SWVER) | ALLOW(OPT_HWVER) |
			     ALLOW(OPT_CERT) | ALLOW(OPT_CERTKEY) | ALLOW(OPT_CA), &a);
	if (status != 0 || a.help)
		return a.help ? cli_help(init_help) : status;
	if (a.id.mac == NULL)
		return cli_usage("phone init", "--mac MAC is required");
	if (optind != argc)
		return cli_usage("phone init", "unexpected argument '%s'", argv[optind]);
	if ((a.cert == NULL) != (a.certkey == NULL))
		return cli_usage("phone init", "--cert and --certkey go together");
	pem[0].path = a.cert;
	pem[1].path = a.certkey;
	pem[2].path = a.ca;
	/* Validate every file before creating anything. */
	for (int i = 0; i < 3; i++) {
		if (pem[i].path == NULL)
			continue;
		pem[i].data = cli_read_file(pem[i].path, 1024 * 1024, &pem[i].len);
		if (pem[i].data == NULL) {
			status = EXIT_USAGE;
			goto out;
		}
		rc = prov_pem_check(pem[i].kind, pem[i].data, pem[i].len,
				    i == 1 ? pem[0].data : NULL, pem[0].len, msg, sizeof(msg));
		if (rc != PROV_OK) {
			cli_err("phone init: %s: %s", pem[i].path, msg);
			status = EXIT_USAGE;
			goto out;
		}
	}
	rc = prov_device_create(a.state, &a.id, &dev, msg, sizeof(msg));
	if (rc != PROV_OK) {
		cli_err("phone init: %s", msg);
		status = rc == PROV_E_INVAL ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	for (int i = 0; i < 3; i++) {
		if (pem[i].data == NULL)
			continue;
		rc = prov_device_install_pem(dev, pem[i].kind, pem[i].data, pem[i].len);
		if (rc != PROV_OK) {
			cli_err("phone init: %s: %s", pem[i].path, prov_device_errmsg(dev));
			status = EXIT_FAIL;
			goto out;
		}
	}
	status = EXIT_OK;
out:
	for (int i = 0; i < 3; i++)
		free(pem[i].data);
	prov_device_free(dev);
	return status;
}

static int
print_param(struct prov_device *dev, const char *name, unsigned flags)
{
	char *v = NULL;
	enum prov_err rc = prov_device_get(dev, name, flags, &v);

	if (rc != PROV_OK) {
		cli_err("phone get: %s", prov_device_errmsg(dev));
		return cli_exit_for(rc);
	}
	printf("%s=%s\n", name, v);
	free(v);
	return EXIT_OK;
}

static int
phone_get(int argc, char **argv)
{
	struct phone_args a;
	struct prov_device *dev;
	unsigned flags;
	int status = phone_parse("phone get", argc, argv, ALLOW(OPT_USER), &a);

	if (status != 0 || a.help)
		return a.help ? cli_help(get_help) : status;
	dev = cli_open("phone get", a.state, &status);
	if (dev == NULL)
		return status;
	flags = a.user ? PROV_AS_USER : 0;
	if (optind == argc) {
		for (size_t i = 0; i < prov_param_count(); i++) {
			enum prov_ua ua;
			enum prov_err rc = prov_device_get_ua(dev, prov_param_name(i), &ua);

			/* unknown: a line or key this product does not have */
			if (rc == PROV_E_UNKNOWN || (a.user && rc == PROV_OK && ua == PROV_UA_NA))
				continue;
			status = print_param(dev, prov_param_name(i), flags);
			if (status != EXIT_OK)
				break;
		}
	}
	for (int i = optind; i < argc && status == EXIT_OK; i++)
		status = print_param(dev, argv[i], flags);
	prov_device_free(dev);
	return status;
}

static int
phone_set(int argc, char **argv)
{
	struct phone_args a;
	struct prov_device *dev = NULL;
	char **names = NULL, **values = NULL;
	size_t n = 0;
	int status = phone_parse("phone set", argc, argv, ALLOW(OPT_USER), &a);
	enum prov_err rc;

	if (status != 0 || a.help)
		return a.help ? cli_help(set_help) : status;
	if (optind == argc)
		return cli_usage("phone set", "no NAME=VALUE given");
	names = calloc((size_t)(argc - optind), sizeof(*names));
	values = calloc((size_t)(argc - optind), sizeof(*values));
	if (names == NULL || values == NULL) {
		cli_err("phone set: out of memory");
		status = EXIT_FAIL;
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (eq == NULL || eq == argv[i]) {
			status = cli_usage("phone set", "expected NAME=VALUE, got '%s'", argv[i]);
			goto out;
		}
		*eq = '\0';
		names[n] = argv[i];
		values[n] = eq + 1;
		n++;
	}
	dev = cli_open("phone set", a.state, &status);
	if (dev == NULL)
		goto out;
	rc = prov_device_set_many(dev, (const char *const *)names,
				  (const char *const *)values, n, a.user ? PROV_AS_USER : 0);
	if (rc != PROV_OK) {
		cli_err("phone set: %s", prov_device_errmsg(dev));
		status = cli_exit_for(rc);
	}
out:
	free(names);
	free(values);
	prov_device_free(dev);
	return status;
}

struct apply_ctx {
	const char *file;
	int verbose;
	size_t unknown; /* unknown names seen in this file */
};

/* Rejected values always; unknown names the first few, all with -v (a
 * real profile for a bigger model names lines this one lacks). */
static void
apply_issue(void *arg, const struct prov_issue *is)
{
	struct apply_ctx *ac = arg;

	if (!is->error && ++ac->unknown > APPLY_UNKNOWN_SHOW && !ac->verbose)
		return;
	cli_err("%s:%u:%u: %s%s", ac->file, is->line, is->col,
		is->error ? "rejected: " : "", is->message);
}

static int
phone_apply(int argc, char **argv)
{
	struct phone_args a;
	struct prov_device *dev;
	int status = phone_parse("phone apply", argc, argv, ALLOW(OPT_KEY) | ALLOW(OPT_VERBOSE),
				 &a);

	if (status != 0 || a.help)
		return a.help ? cli_help(apply_help) : status;
	if (optind == argc)
		return cli_usage("phone apply", "no FILE given");
	dev = cli_open("phone apply", a.state, &status);
	if (dev == NULL)
		return status;
	for (int i = optind; i < argc && status == EXIT_OK; i++) {
		struct apply_ctx ac = { argv[i], a.verbose, 0 };
		struct prov_apply_result r;
		struct prov_profile *p;
		enum prov_err rc;

		status = cli_load_profile(argv[i], a.key, &p);
		if (status != EXIT_OK) {
			if (status == EXIT_FAIL)
				status = EXIT_USAGE; /* an unreadable file is bad input here */
			break;
		}
		rc = prov_device_apply(dev, p, &r, apply_issue, &ac);
		prov_profile_free(p);
		if (rc != PROV_OK) {
			cli_err("phone apply: %s: %s", argv[i], prov_device_errmsg(dev));
			status = EXIT_FAIL;
			break;
		}
		if (ac.unknown > APPLY_UNKNOWN_SHOW && !ac.verbose)
			cli_err("%s: %zu more unknown names not shown (-v shows all)",
				argv[i], ac.unknown - APPLY_UNKNOWN_SHOW);
		printf("%s: %zu changed, %zu unchanged, %zu rejected, %zu unknown\n",
		       argv[i], r.changed, r.unchanged, r.rejected, r.unknown);
	}
	prov_device_free(dev);
	return status;
}

static int
phone_unknown(int argc, char **argv)
{
	struct phone_args a;
	struct prov_device *dev;
	int status = phone_parse("phone unknown", argc, argv, 0, &a);

	if (status != 0 || a.help)
		return a.help ? cli_help(unknown_help) : status;
	if (optind != argc)
		return cli_usage("phone unknown", "unexpected argument '%s'", argv[optind]);
	dev = cli_open("phone unknown", a.state, &status);
	if (dev == NULL)
		return status;
	for (size_t i = 0; i < prov_device_unknown_count(dev); i++)
		puts(prov_device_unknown_name(dev, i));
	prov_device_free(dev);
	return EXIT_OK;
}


int
cmd_phone(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "init", phone_init },
		{ "get", phone_get },
		{ "set", phone_set },
		{ "apply", phone_apply },
		{ "unknown", phone_unknown },
		{ "resync", phone_resync },
		{ "run", phone_run },
		{ "status", phone_status },
		{ "line", phone_line },
		{ "report", phone_report },
		{ "dhcp", phone_dhcp },
	};

	if (argc < 2) {
		fputs(phone_help, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cli_help(phone_help);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	cli_err("phone: unknown command '%s' (see 'prov phone --help')", argv[1]);
	return EXIT_USAGE;
}
