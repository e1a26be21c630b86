/*
 * prov template, prov var: the templates and the shared variables of the
 * server's inventory (interfaces.md "Inventory and rendering"; server.md
 * S-DEV-1, S-DEV-2). Templates are flat profiles in the phone's own macro
 * language; see server/render.h for how they are rendered.
 */
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inventory.h"
#include "render.h"

static const char template_help[] =
"usage: prov template set NAME FILE [--db URL]\n"
"       prov template show NAME [--db URL]\n"
"       prov template list [--json] [--db URL]\n"
"       prov template rm NAME [--db URL]\n"
"       prov template lint NAME|FILE [--db URL]\n"
"\n"
"Templates are the profiles 'prov serve' renders per device: a\n"
"<flat-profile> text with the phone's macros ($NAME, $(NAME), $(NAME:p:q);\n"
"names of letters, digits and '_'), expanded against the inventory (see\n"
"'prov device --help'). Every value is XML-escaped where it lands, so a\n"
"variable can never add or close an element. A route names the template:\n"
"'prov serve --route \"/$MA.xml template=NAME\"'.\n"
"\n"
"  set   store FILE ('-': stdin) as NAME (letters, digits, '.', '-', '_').\n"
"        An ill-formed profile is refused as FILE:LINE:COL: reason and\n"
"        nothing is stored. A running server serves it on its next request\n"
"  show  print the stored text\n"
"  list  NAME, bytes, last change (UTC)\n"
"  rm    delete NAME\n"
"  lint  check a stored template (or a file, when NAME is not stored):\n"
"        well-formed, and every macro known (a variable of some scope, or a\n"
"        name the server gives: MA MAU MAC SN PN PSN KEY KEY_ID SERVIP PORT\n"
"        SCHEME HTTP_USER HTTP_PASSWORD) and every parameter name known to\n"
"        the phone. Prints\n"
"        'NAME:LINE: unknown macro $X' and 'NAME:LINE: unknown parameter P'.\n"
"        Unknown macros are served as written; they are not errors\n"
"\n"
"Exit status: 0 done (lint: nothing to report), 1 the database failed, the\n"
"template is unknown, or lint found something, 2 bad usage or bad input.\n";

static const char var_help[] =
"usage: prov var set [--product PN | --group G | --device MAC] NAME=VALUE ...\n"
"                    [--secret]\n"
"       prov var unset [--product PN | --group G | --device MAC] NAME ...\n"
"       prov var list [--product PN | --group G | --device MAC] [--json]\n"
"                     [--show-secrets]\n"
"   (every command takes --db URL, default sqlite:./prov.db)\n"
"\n"
"Variables the server's templates expand. Without --product, --group or\n"
"--device they are global. A device's own variables win over its group's,\n"
"those over its product's, those over the global ones. Names are 1 to 32\n"
"letters, digits and '_'; the names the server gives itself (MA MAU MAC SN\n"
"PN KEY KEY_ID HTTP_USER HTTP_PASSWORD) cannot be set. All of one\n"
"command's variables change in one transaction, seen by a running server\n"
"on its next request.\n"
"\n"
"Secrets: 'set --secret' makes the variables secrets (until unset); so\n"
"are, without it, variables named as a secret parameter of the phone\n"
"(Password_1_, Admin_Password, ...) and those whose name holds PASS, PWD,\n"
"SECRET or KEY in any case. 'list' and 'prov device show' print a\n"
"secret's value only with --show-secrets ('(hidden: --show-secrets)'; in\n"
"--json null, with \"secret\":true). A secret is never logged.\n"
"\n"
"Exit status: 0 done, 1 the database failed, 2 bad usage.\n";

struct tv_opts {
	const char *db, *product, *group, *device;
	int json, secret, secrets;
};

static int
tv_parse(const char *cmd, int argc, char **argv, struct tv_opts *o)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' }, { "product", required_argument, NULL, 'p' },
		{ "group", required_argument, NULL, 'g' }, { "device", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ "secret", no_argument, NULL, 'z' }, { "show-secrets", no_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case 'h': return CLI_HELPED;
		case 'd': o->db = optarg; break;
		case 'p': o->product = optarg; break;
		case 'g': o->group = optarg; break;
		case 'm': o->device = optarg; break;
		case 'j': o->json = 1; break;
		case 'z': o->secret = 1; break;
		case 'x': o->secrets = 1; break;
		case ':': return -cli_usage(cmd, "%s needs a value", argv[optind - 1]);
		default: return -cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if ((o->product != NULL) + (o->group != NULL) + (o->device != NULL) > 1)
		return -cli_usage(cmd, "one of --product, --group, --device");
	return optind;
}

/* ---- prov var ------------------------------------------------------------------ */

int
cmd_var(int argc, char **argv)
{
	struct tv_opts o;
	struct inv *inv;
	struct inv_vars vs;
	enum inv_scope scope = INV_GLOBAL;
	const char *owner = "", *sub;
	char cmd[32], mac[13];
	int first, rc = EXIT_OK, set;

	static const struct cli_sub subs[] = { { "set", -1 }, { "unset", -1 }, { "list", 0 } };

	first = cli_subcommand("var", subs, sizeof(subs) / sizeof(subs[0]), var_help, argc, argv,
			       cmd, sizeof(cmd));
	if (first < 0)
		return first == CLI_HELPED ? EXIT_OK : -first;
	sub = argv[1];
	first = tv_parse(cmd, argc - 1, argv + 1, &o);
	if (first == CLI_HELPED)
		return cli_help(var_help);
	if (first < 0)
		return -first;
	set = strcmp(sub, "set") == 0;
	if (o.secret && !set)
		return cli_usage(cmd, "--secret is for 'prov var set'");
	if (o.secrets && strcmp(sub, "list") != 0)
		return cli_usage(cmd, "--show-secrets is for 'prov var list'");
	if (strcmp(sub, "list") == 0 ? argc - 1 != first : argc - 1 == first)
		return cli_usage(cmd, strcmp(sub, "list") == 0 ? "no arguments expected" :
				 "expected NAME%s ...", set ? "=VALUE" : "");
	if (o.product != NULL) {
		scope = INV_PRODUCT;
		owner = o.product;
	} else if (o.group != NULL) {
		scope = INV_GROUP;
		owner = o.group;
	} else if (o.device != NULL) {
		if (inv_mac_parse(o.device, mac) < 0)
			return cli_usage(cmd, "'%s' is not a MAC (12 hex digits)", o.device);
		scope = INV_DEVICE;
		owner = mac;
	}
	for (int i = first + 1; i < argc; i++) {
		const char *arg = argv[i], *eq = set ? strchr(arg, '=') : NULL, *why = NULL;
		char name[INV_NAME_MAX + 1];
		size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);

		if (set && eq == NULL)
			return cli_usage(cmd, "'%s' is not NAME=VALUE", arg);
		if (len > INV_NAME_MAX)
			return cli_usage(cmd, "variable '%.*s': longer than 32 characters", (int)len,
					 arg);
		snprintf(name, sizeof(name), "%.*s", (int)len, arg);
		if (!inv_var_name_ok(name, &why))
			return cli_usage(cmd, "variable '%s': %s", name, why);
		if (eq != NULL && strlen(eq + 1) > INV_VALUE_MAX)
			return cli_usage(cmd, "variable %s: value longer than %u bytes", name,
					 INV_VALUE_MAX);
	}
	if ((inv = cli_inv_open(cmd, o.db)) == NULL)
		return EXIT_FAIL;
	if (strcmp(sub, "list") == 0) {
		if (inv_vars_get(inv, scope, owner, &vs) < 0) {
			cli_err("%s: %s", cmd, inv_errmsg(inv));
			inv_close(inv);
			return EXIT_FAIL;
		}
		for (size_t i = 0; i < vs.n; i++) {
			int secret = inv_var_is_secret(&vs.v[i]);
			const char *v = o.secrets || !secret ? vs.v[i].value : NULL;

			if (o.json) {
				fputs("{\"name\":", stdout);
				cli_json_str(vs.v[i].name);
				fputs(",\"value\":", stdout);
				cli_json_str(v);
				printf(",\"secret\":%s}\n", secret ? "true" : "false");
			} else {
				printf("%s=%s\n", vs.v[i].name, v != NULL ? v : "(hidden: --show-secrets)");
			}
		}
		inv_vars_free(&vs);
		inv_close(inv);
		return EXIT_OK;
	}
	if (inv_begin(inv) < 0)
		goto fail;
	for (int i = first + 1; i < argc; i++) {
		const char *eq = set ? strchr(argv[i], '=') : NULL;
		char name[INV_NAME_MAX + 1];

		snprintf(name, sizeof(name), "%.*s",
			 (int)(eq != NULL ? (size_t)(eq - argv[i]) : strlen(argv[i])), argv[i]);
		if (inv_var_set_secret(inv, scope, owner, name, eq != NULL ? eq + 1 : NULL,
				       o.secret) < 0)
			goto fail;
	}
	if (inv_commit(inv) < 0)
		goto fail;
	inv_close(inv);
	return rc;
fail:
	cli_err("%s: %s", cmd, inv_errmsg(inv));
	inv_rollback(inv);
	inv_close(inv);
	return EXIT_FAIL;
}

/* ---- prov template ------------------------------------------------------------- */

static int
tpl_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= INV_FIELD_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static void
tpl_list_row(void *arg, const char *name, size_t len, int64_t updated_ms)
{
	const struct tv_opts *o = arg;

	if (o->json) {
		fputs("{\"name\":", stdout);
		cli_json_str(name);
		printf(",\"bytes\":%zu,\"updated\":%" PRId64 "}\n", len, updated_ms);
	} else {
		time_t t = (time_t)(updated_ms / 1000);
		char when[32] = "-";
		struct tm tm;

		if (gmtime_r(&t, &tm) != NULL)
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("%s %zu %s\n", name, len, when);
	}
}

struct tpl_lint {
	const char *name;
	unsigned n;
};

static void
tpl_unknown(void *arg, const char *macro, unsigned line)
{
	struct tpl_lint *tl = arg;

	printf("%s:%u: unknown macro $%s\n", tl->name, line, macro);
	tl->n++;
}

static void
tpl_param(void *arg, const char *param, unsigned line)
{
	struct tpl_lint *tl = arg;

	printf("%s:%u: unknown parameter %s\n", tl->name, line, param);
	tl->n++;
}

int
cmd_template(int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "set", 2 }, { "show", 1 }, { "list", 0 }, { "rm", 1 }, { "lint", 1 },
	};
	struct tv_opts o;
	struct inv *inv;
	const char *sub;
	char cmd[32], msg[512];
	char *text = NULL;
	size_t len = 0;
	int first, rc = EXIT_OK, nargs, r;

	r = cli_subcommand("template", subs, sizeof(subs) / sizeof(subs[0]), template_help,
			   argc, argv, cmd, sizeof(cmd));
	if (r < 0)
		return r == CLI_HELPED ? EXIT_OK : -r;
	sub = argv[1];
	nargs = subs[r].nargs;
	first = tv_parse(cmd, argc - 1, argv + 1, &o);
	if (first == CLI_HELPED)
		return cli_help(template_help);
	if (first < 0)
		return -first;
	if (o.product != NULL || o.group != NULL || o.device != NULL)
		return cli_usage(cmd, "--product, --group and --device are options of 'prov var'");
	if (argc - 1 - first != nargs)
		return cli_usage(cmd, "expected %d argument%s", nargs, nargs == 1 ? "" : "s");
	argv += first + 1;
	if (nargs > 0 && strcmp(sub, "lint") != 0 && !tpl_name_ok(argv[0]))
		return cli_usage(cmd, "'%s' is not a template name (letters, digits, '.', '-',"
				 " '_')", argv[0]);
	if ((inv = cli_inv_open(cmd, o.db)) == NULL)
		return EXIT_FAIL;
	if (strcmp(sub, "set") == 0) {
		text = cli_read_file(argv[1], INV_TEMPLATE_MAX, &len);
		if (text == NULL) {
			rc = EXIT_FAIL;
		} else if (render_lint(inv, argv[1], text, len, NULL, NULL, NULL, msg,
				       sizeof(msg)) < 0) {
			cli_err("%s", msg);
			rc = EXIT_USAGE;
		} else if (inv_template_put(inv, argv[0], text, len) < 0) {
			cli_err("%s: %s", cmd, inv_errmsg(inv));
			rc = EXIT_FAIL;
		}
	} else if (strcmp(sub, "show") == 0 || strcmp(sub, "lint") == 0) {
		const char *name = argv[0];

		r = inv_template_get(inv, name, &text, &len);
		if (r == 0 && strcmp(sub, "lint") == 0) {
			text = cli_read_file(name, INV_TEMPLATE_MAX, &len);
			r = text != NULL ? 1 : -2;
		}
		if (r <= 0) {
			if (r == 0)
				cli_err("%s: %s: no such template", cmd, name);
			else if (r == -1)
				cli_err("%s: %s", cmd, inv_errmsg(inv));
			rc = EXIT_FAIL;
		} else if (strcmp(sub, "show") == 0) {
			fwrite(text, 1, len, stdout);
		} else {
			struct tpl_lint tl = { name, 0 };

			if (render_lint(inv, name, text, len, tpl_unknown, tpl_param, &tl, msg,
					sizeof(msg)) < 0) {
				cli_err("%s", msg);
				rc = EXIT_USAGE;
			} else if (tl.n > 0) {
				rc = EXIT_FAIL;
			}
		}
	} else if (strcmp(sub, "list") == 0) {
		if (inv_template_list(inv, tpl_list_row, &o) < 0) {
			cli_err("%s: %s", cmd, inv_errmsg(inv));
			rc = EXIT_FAIL;
		}
	} else {
		r = inv_template_rm(inv, argv[0]);
		if (r <= 0) {
			if (r == 0)
				cli_err("%s: %s: no such template", cmd, argv[0]);
			else
				cli_err("%s: %s", cmd, inv_errmsg(inv));
			rc = EXIT_FAIL;
		}
	}
	free(text);
	inv_close(inv);
	return rc;
}
