/*
 * prov code: activation codes (interfaces.md "prov code new|list|revoke";
 * server.md S-OPS-5, device.md D-ONB-2). The codes live in the inventory's
 * database (server/activate.h): only their keyed hash is kept, so a code
 * is printed once, by `code new`, and never again.
 */
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "activate.h"
#include "inventory.h"

#define CODE_EXPIRES_DEFAULT "7d"            /* a code's life without --expires */

static const char code_help[] =
"usage: prov code new [--group G] [--product PN] [--expires D] [--count N]\n"
"       prov code list [--json]\n"
"       prov code revoke ID|CODE\n"
"   (every command takes --db URL: sqlite:PATH, default sqlite:./prov.db, or\n"
"    postgresql://USER@HOST[:PORT]/DB: the database of 'prov serve --db')\n"
"\n"
"Activation codes (device.md D-ONB-2): a phone whose Profile_Rule is gds://\n"
"asks its user for a 16-digit code and exchanges it once, over HTTPS, with\n"
"'prov serve --activation-rule RULE' (POST /prov/activate) for its profile\n"
"rule. The server then enrols the phone: a device record is made from its\n"
"identity (its client certificate's, or what it sent), in the code's group\n"
"and product, and the code is used up. docs/ONBOARDING.md has the details.\n"
"\n"
"  new      make N codes (--count, default 1, at most 10000), one per line\n"
"           on standard output. 15 random digits (OpenSSL's DRBG) and a\n"
"           Luhn check digit. Only a keyed hash is stored: the code is\n"
"           shown here once and cannot be shown again\n"
"  --group G     the group the enrolled device joins\n"
"  --product PN  its product (else the one it presents)\n"
"  --expires D   how long the code is valid: N (days), Nd, Nh, Nm, or a\n"
"                date YYYY-MM-DD (valid through that day, UTC); default 7d\n"
"  list     one code per line: ID, last 4 digits, state (unused, used by\n"
"           MAC at TIME, revoked, expired), group, product, expiry (UTC)\n"
"  revoke   make an unused code unusable, named by its ID or given whole\n"
"\n"
"A wrong, expired, used or revoked code gets one and the same refusal from\n"
"the server, and counts as a miss of the enumeration defence\n"
"(--enum-miss-burst): a guesser is refused after a burst.\n"
"\n"
"Exit status: 0 success, 1 failed (no such code, database error), 2 bad\n"
"usage.\n";

struct code_opts {
	const char *db, *group, *product, *expires;
	unsigned long count;
	int json;
};

static void
code_time(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct code_list {
	const struct code_opts *o;
	int64_t now_ms;
	unsigned n;
};

static void
code_list_row(void *arg, const struct act_code *c)
{
	struct code_list *l = arg;
	char exp[32], used[32] = "", state[64];

	code_time(c->expires_ms, exp);
	if (c->used_ms != 0)
		code_time(c->used_ms, used);
	if (c->used_ms != 0)
		snprintf(state, sizeof(state), "used");
	else if (c->revoked)
		snprintf(state, sizeof(state), "revoked");
	else if (c->expires_ms <= l->now_ms)
		snprintf(state, sizeof(state), "expired");
	else
		snprintf(state, sizeof(state), "unused");
	if (l->o->json) {
		printf("%s{\"id\":%u,\"last4\":\"%s\",\"state\":\"%s\",\"group\":", l->n ? "," : "[",
		       c->id, c->tail, state);
		cli_json_str(c->group);
		printf(",\"product\":");
		cli_json_str(c->product);
		printf(",\"expires\":\"%s\",\"used_by\":", exp);
		if (c->used_ms != 0) {
			cli_json_str(c->used_by);
			printf(",\"used\":\"%s\"}", used);
		} else {
			printf("null,\"used\":null}");
		}
	} else {
		char st[96];

		if (c->used_ms != 0)
			snprintf(st, sizeof(st), "used-by-%s-at-%s", c->used_by, used);
		else
			snprintf(st, sizeof(st), "%s", state);
		printf("%u ...%s %s %s %s %s\n", c->id, c->tail, st, c->group[0] ? c->group : "-",
		       c->product[0] ? c->product : "-", exp);
	}
	l->n++;
}

static int
code_new(const char *cmd, const struct code_opts *o, struct inv *inv)
{
	int64_t exp = act_expiry(o->expires != NULL ? o->expires : CODE_EXPIRES_DEFAULT,
				  act_now());
	char digits[ACT_DIGITS + 1];
	unsigned id;

	if (exp < 0)
		return cli_usage(cmd, "--expires '%s': expected N, Nd, Nh, Nm or YYYY-MM-DD, "
				 "in the future and at most %d days", o->expires,
				 ACT_EXPIRES_MAX_DAYS);
	if (inv_begin(inv) < 0) {
		cli_err("%s: %s", cmd, inv_errmsg(inv));
		return EXIT_FAIL;
	}
	/* All or none: the codes are printed once the transaction holds. */
	char *out = malloc((size_t)o->count * (ACT_DIGITS + 1));

	if (out == NULL) {
		inv_rollback(inv);
		cli_err("%s: out of memory", cmd);
		return EXIT_FAIL;
	}
	for (unsigned long i = 0; i < o->count; i++) {
		if (act_code_new(inv, o->group, o->product, exp, digits, &id) < 0) {
			cli_err("%s: %s", cmd, inv_errmsg(inv));
			inv_rollback(inv);
			OPENSSL_cleanse(out, (size_t)o->count * (ACT_DIGITS + 1));
			free(out);
			return EXIT_FAIL;
		}
		memcpy(out + i * (ACT_DIGITS + 1), digits, ACT_DIGITS);
		out[i * (ACT_DIGITS + 1) + ACT_DIGITS] = '\n';
	}
	OPENSSL_cleanse(digits, sizeof(digits));
	if (inv_commit(inv) < 0) {
		cli_err("%s: %s", cmd, inv_errmsg(inv));
		OPENSSL_cleanse(out, (size_t)o->count * (ACT_DIGITS + 1));
		free(out);
		return EXIT_FAIL;
	}
	fwrite(out, ACT_DIGITS + 1, o->count, stdout);
	OPENSSL_cleanse(out, (size_t)o->count * (ACT_DIGITS + 1));
	free(out);
	return EXIT_OK;
}

int
cmd_code(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' }, { "group", required_argument, NULL, 'g' },
		{ "product", required_argument, NULL, 'p' },
		{ "expires", required_argument, NULL, 'e' },
		{ "count", required_argument, NULL, 'n' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	static const struct cli_sub subs[] = { { "new", 0 }, { "list", 0 }, { "revoke", 1 } };
	struct code_opts o;
	struct inv *inv;
	char cmd[32], *end;
	const char *sub;
	int c, rc, nargs;

	rc = cli_subcommand("code", subs, sizeof(subs) / sizeof(subs[0]), code_help, argc, argv,
			    cmd, sizeof(cmd));
	if (rc < 0)
		return rc == CLI_HELPED ? EXIT_OK : -rc;
	sub = argv[1];
	nargs = subs[rc].nargs;
	memset(&o, 0, sizeof(o));
	o.count = 1;
	argc--;
	argv++;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case 'h': return cli_help(code_help);
		case 'd': o.db = optarg; break;
		case 'g': o.group = optarg; break;
		case 'p': o.product = optarg; break;
		case 'e': o.expires = optarg; break;
		case 'j': o.json = 1; break;
		case 'n':
			o.count = strtoul(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || o.count == 0 ||
			    o.count > ACT_NEW_MAX)
				return cli_usage(cmd, "--count '%s': expected 1..%u", optarg,
						 ACT_NEW_MAX);
			break;
		case ':': return cli_usage(cmd, "%s needs a value", argv[optind - 1]);
		default: return cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != nargs)
		return cli_usage(cmd, "expected %d argument%s", nargs, nargs == 1 ? "" : "s");
	if (strcmp(sub, "new") != 0 && (o.group || o.product || o.expires || o.count != 1))
		return cli_usage(cmd, "--group, --product, --expires and --count are for 'code new'");
	if (strcmp(sub, "list") != 0 && o.json)
		return cli_usage(cmd, "--json is for 'code list'");
	if ((o.group != NULL && strlen(o.group) >= INV_FIELD_MAX) ||
	    (o.product != NULL && strlen(o.product) >= INV_FIELD_MAX))
		return cli_usage(cmd, "--group and --product take at most %u bytes",
				 INV_FIELD_MAX - 1);
	if ((inv = cli_inv_open(cmd, o.db)) == NULL)
		return EXIT_FAIL;
	if (strcmp(sub, "new") == 0) {
		rc = code_new(cmd, &o, inv);
	} else if (strcmp(sub, "list") == 0) {
		struct code_list l = { &o, act_now(), 0 };

		rc = act_code_list(inv, code_list_row, &l) < 0 ? EXIT_FAIL : EXIT_OK;
		if (rc != EXIT_OK)
			cli_err("%s: %s", cmd, inv_errmsg(inv));
		else if (o.json)
			printf("%s]\n", l.n ? "" : "[");
	} else {
		const char *what = argv[optind];
		char digits[ACT_DIGITS + 1];
		size_t n = strspn(what, "0123456789");

		if (n == 0 || what[n] != '\0' || (n >= ACT_DIGITS && act_code_norm(what, digits) < 0))
			rc = cli_usage(cmd, "'%s' is neither a code's ID nor a 16-digit code", what);
		else if ((rc = act_code_revoke(inv, what)) <= 0) {
			if (rc == 0)
				cli_err("%s: %s: no such unused code", cmd, n >= ACT_DIGITS ? "code" : what);
			else
				cli_err("%s: %s", cmd, inv_errmsg(inv));
			rc = EXIT_FAIL;
		} else {
			rc = EXIT_OK;
		}
		OPENSSL_cleanse(digits, sizeof(digits));
	}
	inv_close(inv);
	return rc;
}
