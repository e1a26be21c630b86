/*
 * Profile tools: prov lint, prov expand, prov eval.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char lint_help[] =
"usage: prov lint [--quiet-unknown] [--key KEY] FILE ...\n"
"\n"
"Checks configuration profiles (flat-profile XML or the legacy text format,\n"
"told apart by content) without a device: the file must be well-formed and\n"
"not empty, every parameter name must be known (the engine's parameters and\n"
"the MPP/SPA catalogue, docs/CATALOGUE.md), and every value must be valid\n"
"for its parameter (Yes/No, ranges, choices, delay lists, HHmm, rules,\n"
"conditions). Each problem is one line on stderr:\n"
"\n"
"    prov: FILE:LINE:COL: unknown parameter 'Resync_Periodc' (did you mean 'Resync_Periodic'?)\n"
"    prov: FILE:LINE:COL: Resync_Periodic: invalid value 'x': ...\n"
"\n"
"Compressed (gzip) and encrypted (openssl-enc AES-256-CBC) files are read\n"
"as a phone reads them, by content; --key opens encrypted ones.\n"
"FILE '-' reads standard input. Quiet when every file is clean.\n"
"\n"
"Options:\n"
"  --quiet-unknown  do not report unknown names (only errors count)\n"
"  --key KEY        passphrase of encrypted files\n"
"  -h, --help       show this help\n"
"\n"
"Exit status: 0 all clean, 2 a problem was found (or bad usage), 1 a file\n"
"could not be read.\n";

struct lint_ctx {
	const char *file;
	int quiet_unknown;
	size_t reported;
};

static void
lint_issue(void *arg, const struct prov_issue *is)
{
	struct lint_ctx *lc = arg;

	if (!is->error && lc->quiet_unknown)
		return;
	lc->reported++;
	cli_err("%s:%u:%u: %s", lc->file, is->line, is->col, is->message);
}

int
cmd_lint(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "quiet-unknown", no_argument, NULL, 'u' },
		{ "key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key = NULL;
	int quiet_unknown = 0, status = EXIT_OK, c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hk:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(lint_help);
		case 'u':
			quiet_unknown = 1;
			break;
		case 'k':
			key = optarg;
			break;
		default:
			return cli_usage("lint", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return cli_usage("lint", "no FILE given");
	for (int i = optind; i < argc; i++) {
		struct lint_ctx lc = { argv[i], quiet_unknown, 0 };
		struct prov_profile *p;
		int st = cli_load_profile(argv[i], key, &p);

		if (st != EXIT_OK) {
			/* an unreadable file outranks findings in the others */
			if (status == EXIT_OK || st == EXIT_FAIL)
				status = st;
			continue;
		}
		prov_profile_lint(p, lint_issue, &lc);
		prov_profile_free(p);
		if (lc.reported > 0 && status == EXIT_OK)
			status = EXIT_USAGE;
	}
	return status;
}

static const char expand_help[] =
"usage: prov expand --state DIR [--] TEXT\n"
"\n"
"Prints TEXT after macro expansion against the device in DIR, exactly as\n"
"the device expands its profile rules, triggers and syslog messages:\n"
"$NAME, $(NAME), $(NAME:p), $(NAME:p:q), $$. Variables: $A..$P (GPP_A..P),\n"
"$MA $MAU $MAC $SN $PN $PSN $SWVER $HWVER $VERSION $UID1..$UID10 $CCERT,\n"
"and the runtime ones ($PRVST, $SERVIP, $ERR, ...), empty until a resync\n"
"sets them. Unknown names are kept as written. $SA..$SD (secrets) expand\n"
"only inside --key/--uid/--pwd arguments of a rule, never here.\n"
"\n"
"Example:\n"
"    prov expand --state ./phone 'tftp://prov.example.com/cisco/$B/$MA.cfg'\n"
"\n"
"Exit status: 0 expanded, 2 malformed text (prov: text:1:COL: ...) or no\n"
"device in DIR.\n";

static const char eval_help[] =
"usage: prov eval --state DIR [--] CONDITION\n"
"\n"
"Evaluates CONDITION against the device in DIR and prints 'true' or\n"
"'false', as the device evaluates the conditions of its rules and\n"
"Resync_Trigger_N. A condition is comparisons joined by 'and':\n"
"\n"
"    OPERAND OP OPERAND [and ...]\n"
"\n"
"OP: eq ne lt le gt ge (or = != < <= > >=). Operands are integers,\n"
"firmware versions (sip88xx.11-3-1MPP-123, 1.0.31(b)) or \"quoted strings\"\n"
"(eq/ne only); macros expand inside operands. Example:\n"
"\n"
"    prov eval --state ./phone '$SWVER lt sip88xx.12-0-1MPP-1 and $PRVTMR ge 600'\n"
"\n"
"Exit status: 0 evaluated (whatever the result), 2 malformed condition\n"
"(prov: condition:1:COL: ...) or no device in DIR.\n";

/* Shared option parsing of expand and eval: --state DIR and one TEXT.
 * Returns 0, -1 after --help, or an exit status. */
static int
state_and_text(const char *cmd, const char *help, int argc, char **argv,
	       const char **dir, const char **text)
{
	int i = cli_state_opts(cmd, help, argc, argv, dir, NULL, NULL);

	if (i == CLI_HELPED)
		return -1;
	if (i < 0)
		return -i;
	if (argc - i != 1)
		return cli_usage(cmd, "expected exactly one %s argument",
				 strcmp(cmd, "eval") == 0 ? "CONDITION" : "TEXT");
	*text = argv[i];
	return 0;
}

int
cmd_expand(int argc, char **argv)
{
	const char *dir = NULL, *text = NULL;
	struct prov_device *dev;
	char *out = NULL;
	int status = state_and_text("expand", expand_help, argc, argv, &dir, &text);
	enum prov_err rc;

	if (status != 0)
		return status < 0 ? EXIT_OK : status;
	dev = cli_open("expand", dir, &status);
	if (dev == NULL)
		return status;
	rc = prov_expand(dev, text, 0, &out);
	if (rc != PROV_OK) {
		cli_err("%s", prov_device_errmsg(dev));
		status = cli_exit_for(rc);
	} else {
		printf("%s\n", out);
	}
	free(out);
	prov_device_free(dev);
	return status;
}

int
cmd_eval(int argc, char **argv)
{
	const char *dir = NULL, *text = NULL;
	struct prov_device *dev;
	int result = 0;
	int status = state_and_text("eval", eval_help, argc, argv, &dir, &text);
	enum prov_err rc;

	if (status != 0)
		return status < 0 ? EXIT_OK : status;
	dev = cli_open("eval", dir, &status);
	if (dev == NULL)
		return status;
	rc = prov_eval(dev, text, &result);
	if (rc != PROV_OK) {
		cli_err("%s", prov_device_errmsg(dev));
		status = cli_exit_for(rc);
	} else {
		puts(result ? "true" : "false");
	}
	prov_device_free(dev);
	return status;
}
