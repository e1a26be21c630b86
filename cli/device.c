/*
 * prov device, prov var: the server's inventory from the command line
 * (interfaces.md "Inventory and rendering"; server.md S-DEV-1, S-DEV-5,
 * S-SEC-3). Every command opens the database itself (server/inventory.h)
 * and is done when it exits: a running `prov serve` reads the change on
 * its next request.
 */
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "config.h"
#include "inventory.h"
#include "render.h"

#define DEVICE_SETS_MAX 256u                 /* --set / --unset per command */
#define DEVICE_CSV_COLS_MAX 512u             /* columns of an import file */

static const char device_help[] =
"usage: prov device add MAC [--product PN] [--group G] [--serial SN]\n"
"                           [--set NAME=VALUE ...] [--secret-set NAME=VALUE ...]\n"
"                           [--notes TEXT] [--disabled]\n"
"                           [--http-user U --http-password P]\n"
"       prov device set MAC [--product PN] [--group G] [--serial SN]\n"
"                           [--set NAME=VALUE ...] [--secret-set NAME=VALUE ...]\n"
"                           [--unset NAME ...] [--notes TEXT] [--enable | --disable]\n"
"                           [--http-user U] [--http-password P]\n"
"       prov device show MAC [--json] [--show-secrets]\n"
"       prov device list [--group G] [--json]\n"
"       prov device rm MAC\n"
"       prov device import FILE.csv\n"
"       prov device key MAC [--rotate]\n"
"       prov device render MAC PATH [--config FILE] [--route ROUTE ...]\n"
"                                   [--template NAME]\n"
"       prov device drift MAC [--json] [--template NAME]\n"
"       prov device timeline MAC [--since T] [--limit N] [--json]\n"
"       prov device resync MAC | --group G [--event E] [--to ADDR:PORT]\n"
"                          [--rate N/s] [--wait S]\n"
"       prov device revoke-cert MAC   (see 'prov ca --help')\n"
"   (every command takes --db URL: sqlite:PATH, default sqlite:./prov.db, or\n"
"    postgresql://USER@HOST[:PORT]/DB: the database of 'prov serve --db')\n"
"\n"
"The devices 'prov serve' renders profiles for. A change is seen by a\n"
"running server on its next request: no restart, no reload.\n"
"\n"
"  add      a new device, with a fresh random 256-bit key (key id 1).\n"
"           MAC is 12 hex digits; ':' '-' '.' separators are allowed.\n"
"  set      change fields; --set NAME=VALUE sets a device variable,\n"
"           --unset NAME removes one; --disable makes the server answer\n"
"           for the device exactly as for an unknown one\n"
"  --secret-set NAME=VALUE\n"
"           --set, and the variable is a secret from then on (until unset):\n"
"           its value is shown only with --show-secrets. Variables named as\n"
"           a secret parameter of the phone (Password_1_, Admin_Password,\n"
"           ...) or whose name holds PASS, PWD, SECRET or KEY (any case)\n"
"           are secrets without it. A secret is never logged\n"
"  --http-user U --http-password P\n"
"           the device's HTTP Digest credentials, asked on 'prov serve'\n"
"           routes with auth=digest: the phone's rule gives them as\n"
"           [--uid U --pwd P]URL. Both or neither: '' for both removes\n"
"           them (the device is then never served on such routes). U has\n"
"           no ':' or '\"'. The password is a secret: never logged, shown\n"
"           only by show --show-secrets; --http-password - reads it from\n"
"           the first line of standard input (not in the process list)\n"
"  show     fields, variables, key id, and what the history says: the last\n"
"           request, the User-Agent (firmware) it carried, and the last\n"
"           resync result the device logged to the server's syslog. The key,\n"
"           the HTTP password and secret variables are printed only with\n"
"           --show-secrets (as '(hidden: --show-secrets)', in JSON null)\n"
"  list     one device per line: MAC, product, group, serial, enabled,\n"
"           and 'drift N': parameters its last report differs in from its\n"
"           rendering ('drift -' before its first report)\n"
"  rm       forget the device, its variables and its keys\n"
"  import   add every row of a CSV file in one transaction: the header is\n"
"           mac,product,group,serial,VAR,... (columns in any order; mac\n"
"           required; notes, enabled, http_user and http_password are\n"
"           fields too; any other column is a device variable, an empty\n"
"           cell sets nothing). A bad MAC, a\n"
"           duplicate or a device already known is reported as FILE:LINE and\n"
"           nothing is imported\n"
"  key      print the device's current key (64 hex digits, the passphrase of\n"
"           'openssl enc -d -aes-256-cbc -md md5 -k KEY'); --rotate makes a\n"
"           new current key first. The old key stays valid until the device\n"
"           has fetched a path naming the new key id ($KEY_ID)\n"
"  render   the profile the server sends for PATH, before gzip and\n"
"           encryption: the first route matching PATH (from --config FILE's\n"
"           'route' lines and --route) names the template, or --template\n"
"           NAME does. $SERVIP, $PORT and $SCHEME stay as written\n"
"  drift, timeline  what the device reported and did: see\n"
"           'prov device drift --help'\n"
"  resync   ask the device (or group) to resync now by SIP NOTIFY,\n"
"           authenticated with its line 1 credentials: see\n"
"           'prov device resync --help'\n"
"\n"
"Variables resolve device > group > product > global ('prov var'), then\n"
"the identity ($MA $MAU $MAC $SN $PN $PSN $HTTP_USER $HTTP_PASSWORD: the\n"
"latter two as written when the device has none, so a bootstrap profile\n"
"can give the phone a rule [--uid $HTTP_USER --pwd $HTTP_PASSWORD]URL) and\n"
"the server's ($KEY $KEY_ID $SERVIP $PORT $SCHEME, and $UPGRADE_RULE:\n"
"the firmware a rollout offers the device, see 'prov rollout --help');\n"
"variable names are letters, digits and '_'.\n"
"\n"
"--json prints one JSON object (show, key) or one per line (list), with\n"
"the keys mac, product, group, serial, enabled, notes, vars, key (null\n"
"without --show-secrets), key_id, http_user (null when none),\n"
"http_password (null when none or without --show-secrets), last_seen\n"
"(unix ms, or null),\n"
"last_status, user_agent, last_result (the device's last resync result\n"
"as its syslog to the server said it).\n"
"\n"
"Exit status: 0 done, 1 the database failed or the device is unknown,\n"
"2 bad usage or bad input (nothing changed).\n";

struct inv *
cli_inv_open(const char *cmd, const char *db)
{
	struct inv *inv;
	char err[512];

	if (inv_open(&inv, db != NULL ? db : DEVICE_DB_DEFAULT, 0, err, sizeof(err)) < 0) {
		cli_err("%s: %s", cmd, err);
		return NULL;
	}
	return inv;
}

/* The options every device command may take. */
struct dev_opts {
	const char *db, *product, *group, *serial, *notes, *config, *tmpl;
	const char *http_user, *http_password;
	const char *set[DEVICE_SETS_MAX], *unset[DEVICE_SETS_MAX];
	unsigned char set_secret[DEVICE_SETS_MAX]; /* set[i] came from --secret-set */
	char *route[DEVICE_SETS_MAX];
	unsigned nset, nunset, nroute;
	int json, secrets, rotate, enable;   /* enable: -1 keep, 0, 1 */
};

static int
dev_parse(const char *cmd, int argc, char **argv, struct dev_opts *o)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' }, { "product", required_argument, NULL, 'p' },
		{ "group", required_argument, NULL, 'g' }, { "serial", required_argument, NULL, 's' },
		{ "set", required_argument, NULL, 'S' }, { "unset", required_argument, NULL, 'U' },
		{ "secret-set", required_argument, NULL, 'Z' },
		{ "notes", required_argument, NULL, 'n' }, { "json", no_argument, NULL, 'j' },
		{ "show-secrets", no_argument, NULL, 'x' }, { "rotate", no_argument, NULL, 'r' },
		{ "enable", no_argument, NULL, 'E' }, { "disable", no_argument, NULL, 'D' },
		{ "disabled", no_argument, NULL, 'D' }, { "config", required_argument, NULL, 'c' },
		{ "route", required_argument, NULL, 'R' }, { "template", required_argument, NULL, 't' },
		{ "http-user", required_argument, NULL, 'u' },
		{ "http-password", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->enable = -1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case 'h': return CLI_HELPED;
		case 'd': o->db = optarg; break;
		case 'p': o->product = optarg; break;
		case 'g': o->group = optarg; break;
		case 's': o->serial = optarg; break;
		case 'n': o->notes = optarg; break;
		case 'j': o->json = 1; break;
		case 'x': o->secrets = 1; break;
		case 'r': o->rotate = 1; break;
		case 'E': o->enable = 1; break;
		case 'D': o->enable = 0; break;
		case 'c': o->config = optarg; break;
		case 't': o->tmpl = optarg; break;
		case 'u': o->http_user = optarg; break;
		case 'P': o->http_password = optarg; break;
		case 'S':
		case 'Z':
		case 'U':
		case 'R':
			if (o->nset >= DEVICE_SETS_MAX || o->nunset >= DEVICE_SETS_MAX ||
			    o->nroute >= DEVICE_SETS_MAX)
				return -cli_usage(cmd, "more than %u --set/--unset/--route",
						  DEVICE_SETS_MAX);
			if (c == 'S' || c == 'Z') {
				o->set_secret[o->nset] = c == 'Z';
				o->set[o->nset++] = optarg;
			}
			else if (c == 'U')
				o->unset[o->nunset++] = optarg;
			else
				o->route[o->nroute++] = optarg;
			break;
		case ':': return -cli_usage(cmd, "%s needs a value", argv[optind - 1]);
		default: return -cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	return optind;
}

/* Checks "NAME=VALUE" / "NAME" arguments before anything is written. */
static int
dev_check_sets(const char *cmd, const char *const *set, unsigned n, int with_value)
{
	for (unsigned i = 0; i < n; i++) {
		const char *eq = with_value ? strchr(set[i], '=') : NULL;
		char name[INV_NAME_MAX + 2];
		size_t len = eq != NULL ? (size_t)(eq - set[i]) : strlen(set[i]);
		const char *why;

		if (with_value && eq == NULL)
			return cli_usage(cmd, "'%s' is not NAME=VALUE", set[i]);
		snprintf(name, sizeof(name), "%.*s", (int)(len > INV_NAME_MAX + 1 ?
							    INV_NAME_MAX + 1 : len), set[i]);
		if (len > INV_NAME_MAX || !inv_var_name_ok(name, &why))
			return cli_usage(cmd, "variable '%.*s': %s", (int)len, set[i],
					 len > INV_NAME_MAX ? "longer than 32 characters" : why);
		if (eq != NULL && strlen(eq + 1) > INV_VALUE_MAX)
			return cli_usage(cmd, "variable %s: value longer than %u bytes", name,
					 INV_VALUE_MAX);
	}
	return EXIT_OK;
}

static int
dev_apply_sets(struct inv *inv, const char *mac, const struct dev_opts *o)
{
	for (unsigned i = 0; i < o->nset; i++) {
		char name[INV_NAME_MAX + 1];
		const char *eq = strchr(o->set[i], '=');

		snprintf(name, sizeof(name), "%.*s", (int)(eq - o->set[i]), o->set[i]);
		if (inv_var_set_secret(inv, INV_DEVICE, mac, name, eq + 1, o->set_secret[i]) < 0)
			return -1;
	}
	for (unsigned i = 0; i < o->nunset; i++)
		if (inv_var_set(inv, INV_DEVICE, mac, o->unset[i], NULL) < 0)
			return -1;
	return 0;
}

static int
dev_field(const char *cmd, const char *what, const char *v, char *dst, size_t cap)
{
	if (v == NULL)
		return EXIT_OK;
	if (strlen(v) >= cap)
		return cli_usage(cmd, "%s longer than %zu bytes", what, cap - 1);
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20)
			return cli_usage(cmd, "%s: control character", what);
	strcpy(dst, v);
	return EXIT_OK;
}

static int
dev_fields(const char *cmd, const struct dev_opts *o, struct inv_device *d)
{
	int rc;

	if ((rc = dev_field(cmd, "product", o->product, d->product, sizeof(d->product))) ||
	    (rc = dev_field(cmd, "group", o->group, d->group, sizeof(d->group))) ||
	    (rc = dev_field(cmd, "serial", o->serial, d->serial, sizeof(d->serial))))
		return rc;
	if (o->notes != NULL) {
		if (strlen(o->notes) >= sizeof(d->notes))
			return cli_usage(cmd, "notes longer than %zu bytes", sizeof(d->notes) - 1);
		strcpy(d->notes, o->notes);
	}
	if (o->enable >= 0)
		d->enabled = o->enable;
	if ((rc = dev_field(cmd, "--http-user", o->http_user, d->http_user,
			    sizeof(d->http_user))) ||
	    (rc = dev_field(cmd, "--http-password", o->http_password, d->http_password,
			    sizeof(d->http_password))))
		return rc;
	if (strpbrk(d->http_user, ":\"\\") != NULL)
		return cli_usage(cmd, "--http-user: no ':', '\"' or '\\' in a Digest user name");
	if ((d->http_user[0] == '\0') != (d->http_password[0] == '\0'))
		return cli_usage(cmd, "--http-user and --http-password go together (both '' to"
				 " remove them)");
	return EXIT_OK;
}

/* A failed write inside a transaction: say why, undo all of it. */
static int
dev_txn_fail(struct inv *inv, const char *cmd)
{
	cli_err("%s: %s", cmd, inv_errmsg(inv));
	inv_rollback(inv);
	return EXIT_FAIL;
}

static int
device_add_set(const char *cmd, int add, const char *macarg, const struct dev_opts *o,
	       struct inv *inv)
{
	struct inv_device d;
	int rc, r;

	memset(&d, 0, sizeof(d));
	if (inv_mac_parse(macarg, d.mac) < 0)
		return cli_usage(cmd, "'%s' is not a MAC (12 hex digits)", macarg);
	if ((rc = dev_check_sets(cmd, o->set, o->nset, 1)) != EXIT_OK ||
	    (rc = dev_check_sets(cmd, o->unset, o->nunset, 0)) != EXIT_OK)
		return rc;
	if (inv_begin(inv) < 0)
		return dev_txn_fail(inv, cmd);
	if (add) {
		d.enabled = 1;
		if ((rc = dev_fields(cmd, o, &d)) != EXIT_OK) {
			inv_rollback(inv);
			return rc;
		}
		if (inv_device_add(inv, &d) < 0) {
			cli_err("%s: %s", cmd, inv_errmsg(inv));
			inv_rollback(inv);
			return EXIT_FAIL;
		}
	} else {
		r = inv_device_get(inv, d.mac, &d);
		if (r <= 0) {
			if (r == 0)
				cli_err("%s: %s: not in the inventory", cmd, d.mac);
			else
				cli_err("%s: %s", cmd, inv_errmsg(inv));
			inv_rollback(inv);
			return EXIT_FAIL;
		}
		if ((rc = dev_fields(cmd, o, &d)) != EXIT_OK) {
			inv_rollback(inv);
			return rc;
		}
		if (inv_device_update(inv, &d) < 0)
			return dev_txn_fail(inv, cmd);
	}
	rc = dev_apply_sets(inv, d.mac, o) < 0 || inv_commit(inv) < 0 ?
		dev_txn_fail(inv, cmd) : EXIT_OK;
	OPENSSL_cleanse(d.http_password, sizeof(d.http_password));
	return rc;
}

static void
dev_print_vars_json(const struct inv_vars *vs, int secrets)
{
	putchar('{');
	for (size_t i = 0; i < vs->n; i++) {
		if (i > 0)
			putchar(',');
		cli_json_str(vs->v[i].name);
		putchar(':');
		cli_json_str(secrets || !inv_var_is_secret(&vs->v[i]) ? vs->v[i].value : NULL);
	}
	putchar('}');
}

static void
dev_json(const struct inv_device *d, const struct inv_vars *vs, const char *key,
	 const struct inv_seen *seen, int secrets, const long *drift)
{
	printf("{\"mac\":\"%s\",\"product\":", d->mac);
	cli_json_str(d->product[0] ? d->product : NULL);
	fputs(",\"group\":", stdout);
	cli_json_str(d->group[0] ? d->group : NULL);
	fputs(",\"serial\":", stdout);
	cli_json_str(d->serial[0] ? d->serial : NULL);
	printf(",\"enabled\":%s,\"notes\":", d->enabled ? "true" : "false");
	cli_json_str(d->notes[0] ? d->notes : NULL);
	if (vs != NULL) {
		fputs(",\"vars\":", stdout);
		dev_print_vars_json(vs, secrets);
	}
	fputs(",\"key\":", stdout);
	cli_json_str(key);
	printf(",\"key_id\":%u,\"http_user\":", d->key_id);
	cli_json_str(d->http_user[0] ? d->http_user : NULL);
	fputs(",\"http_password\":", stdout);
	cli_json_str(secrets && d->http_password[0] ? d->http_password : NULL);
	if (seen != NULL) {
		if (seen->last_ms > 0)
			printf(",\"last_seen\":%" PRId64 ",\"last_status\":%d,\"user_agent\":",
			       seen->last_ms, seen->last_status);
		else
			fputs(",\"last_seen\":null,\"last_status\":null,\"user_agent\":", stdout);
		cli_json_str(seen->user_agent[0] ? seen->user_agent : NULL);
		fputs(",\"last_result\":", stdout);
		cli_json_str(seen->last_result[0] ? seen->last_result : NULL);
	}
	if (drift != NULL && *drift >= 0)
		printf(",\"drift\":%ld", *drift);
	else if (drift != NULL)
		fputs(",\"drift\":null", stdout);
	fputs("}\n", stdout);
}

static const char *
dev_or_dash(const char *s)
{
	return s[0] != '\0' ? s : "-";
}

static int
device_show(const char *cmd, const char *macarg, const struct dev_opts *o, struct inv *inv)
{
	struct inv_device d;
	struct inv_vars vs = { NULL, 0 };
	struct inv_seen seen;
	char mac[13], key[INV_KEY_HEX + 1] = "";
	unsigned id = 0;
	int r;

	if (inv_mac_parse(macarg, mac) < 0)
		return cli_usage(cmd, "'%s' is not a MAC (12 hex digits)", macarg);
	r = inv_device_get(inv, mac, &d);
	if (r == 0) {
		cli_err("%s: %s: not in the inventory", cmd, mac);
		return EXIT_FAIL;
	}
	if (r < 0 || inv_vars_get(inv, INV_DEVICE, mac, &vs) < 0 ||
	    inv_device_seen(inv, mac, &seen) < 0 ||
	    (o->secrets && inv_key_get(inv, mac, &id, key) < 0)) {
		cli_err("%s: %s", cmd, inv_errmsg(inv));
		inv_vars_free(&vs);
		return EXIT_FAIL;
	}
	if (o->json) {
		dev_json(&d, &vs, o->secrets ? key : NULL, &seen, o->secrets, NULL);
	} else {
		char when[32] = "never", status[16] = "-";

		if (seen.last_ms > 0) {
			time_t t = (time_t)(seen.last_ms / 1000);
			struct tm tm;

			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			snprintf(status, sizeof(status), "%d", seen.last_status);
		}
		printf("mac        %s\nproduct    %s\ngroup      %s\nserial     %s\n"
		       "enabled    %s\nnotes      %s\nkey_id     %u\nkey        %s\n"
		       "http_user  %s\nhttp_pass  %s\n"
		       "last_seen  %s\nstatus     %s\nuser_agent %s\nresult     %s\n",
		       d.mac, dev_or_dash(d.product), dev_or_dash(d.group), dev_or_dash(d.serial),
		       d.enabled ? "yes" : "no", dev_or_dash(d.notes), d.key_id,
		       o->secrets ? key : "(hidden: --show-secrets)", dev_or_dash(d.http_user),
		       d.http_password[0] == '\0' ? "-" : o->secrets ? d.http_password :
		       "(hidden: --show-secrets)", when, status,
		       dev_or_dash(seen.user_agent), dev_or_dash(seen.last_result));
		for (size_t i = 0; i < vs.n; i++)
			printf("var        %s=%s\n", vs.v[i].name,
			       o->secrets || !inv_var_is_secret(&vs.v[i]) ? vs.v[i].value :
			       "(hidden: --show-secrets)");
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(d.http_password, sizeof(d.http_password));
	inv_vars_free(&vs);
	return EXIT_OK;
}

static struct inv *dev_list_inv;    /* device_list_row's inventory, for the drift */

static void
device_list_row(void *arg, const struct inv_device *d)
{
	const struct dev_opts *o = arg;
	long drift = feedback_drift_count(dev_list_inv, o->db, d->mac);

	if (o->json)
		dev_json(d, NULL, NULL, NULL, 0, &drift);
	else if (drift >= 0)
		printf("%s %s %s %s %s drift %ld\n", d->mac, dev_or_dash(d->product),
		       dev_or_dash(d->group), dev_or_dash(d->serial),
		       d->enabled ? "enabled" : "disabled", drift);
	else
		printf("%s %s %s %s %s drift -\n", d->mac, dev_or_dash(d->product),
		       dev_or_dash(d->group), dev_or_dash(d->serial),
		       d->enabled ? "enabled" : "disabled");
}

static int
device_key(const char *cmd, const char *macarg, const struct dev_opts *o, struct inv *inv)
{
	char mac[13], key[INV_KEY_HEX + 1];
	unsigned id = 0;
	int r;

	if (inv_mac_parse(macarg, mac) < 0)
		return cli_usage(cmd, "'%s' is not a MAC (12 hex digits)", macarg);
	if (o->rotate) {
		if (inv_begin(inv) < 0)
			return dev_txn_fail(inv, cmd);
		r = inv_key_rotate(inv, mac, &id);
		if (r <= 0) {
			if (r == 0)
				cli_err("%s: %s: not in the inventory", cmd, mac);
			return r == 0 ? (inv_rollback(inv), EXIT_FAIL) : dev_txn_fail(inv, cmd);
		}
		if (inv_commit(inv) < 0)
			return dev_txn_fail(inv, cmd);
		id = 0;
	}
	r = inv_key_get(inv, mac, &id, key);
	if (r <= 0) {
		if (r == 0)
			cli_err("%s: %s: not in the inventory", cmd, mac);
		else
			cli_err("%s: %s", cmd, inv_errmsg(inv));
		return EXIT_FAIL;
	}
	if (o->json)
		printf("{\"mac\":\"%s\",\"key_id\":%u,\"key\":\"%s\"}\n", mac, id, key);
	else
		printf("%s\n", key);
	OPENSSL_cleanse(key, sizeof(key));
	return EXIT_OK;
}

static int
device_render(const char *cmd, const char *macarg, const char *path,
	      const struct dev_opts *o, struct inv *inv)
{
	struct render_env env = { NULL, NULL, NULL, NULL, NULL };
	struct srv_cfg cfg;
	char mac[13], pmac[13], why[256], err[512];
	const char *tmpl = o->tmpl;
	struct route r;
	char *out = NULL;
	size_t len;
	unsigned kid, i;
	enum render_status st;
	int rc = EXIT_FAIL;

	if (inv_mac_parse(macarg, mac) < 0)
		return cli_usage(cmd, "'%s' is not a MAC (12 hex digits)", macarg);
	config_defaults(&cfg);
	if (o->config != NULL && config_load(&cfg, o->config, err, sizeof(err)) < 0) {
		cli_err("%s: %s", cmd, err);
		config_fini(&cfg);
		return EXIT_USAGE;
	}
	for (i = 0; i < o->nroute; i++)
		if (config_set(&cfg, "route", o->route[i], err, sizeof(err)) < 0) {
			config_fini(&cfg);
			return cli_usage(cmd, "--%s", err);
		}
	for (i = 0; tmpl == NULL && i < cfg.n_routes; i++)
		if (route_parse(cfg.routes[i], &r, err, sizeof(err)) == 0 &&
		    route_match(&r, path, strlen(path), pmac, &kid))
			tmpl = r.tmpl;
	if (tmpl == NULL) {
		cli_err("%s: no route matches '%s' (give --config, --route or --template)", cmd,
			path);
		config_fini(&cfg);
		return EXIT_USAGE;
	}
	st = render_device(inv, mac, tmpl, &env, &out, &len, why, sizeof(why));
	if (st == RENDER_OK) {
		fwrite(out, 1, len, stdout);
		rc = EXIT_OK;
	} else {
		cli_err("%s: %s", cmd, why);
	}
	free(out);
	config_fini(&cfg);
	return rc;
}

int
cmd_device(int argc, char **argv)
{
	struct dev_opts o;
	struct inv *inv;
	const char *sub;
	char cmd[32], pw[INV_FIELD_MAX + 2] = "";
	int first, rc, nargs;
	static const struct cli_sub subs[] = {
		{ "add", 1 }, { "set", 1 }, { "show", 1 }, { "list", 0 }, { "rm", 1 },
		{ "import", 1 }, { "key", 1 }, { "render", 2 }, { "revoke-cert", 1 },
		{ "drift", 1 }, { "timeline", 1 },
	};

	if (argc >= 2 && strcmp(argv[1], "resync") == 0)
		return device_resync(argc - 1, argv + 1);
	rc = cli_subcommand("device", subs, sizeof(subs) / sizeof(subs[0]), device_help, argc,
			    argv, cmd, sizeof(cmd));
	if (rc < 0)
		return rc == CLI_HELPED ? EXIT_OK : -rc;
	sub = argv[1];
	if (strcmp(sub, "drift") == 0 || strcmp(sub, "timeline") == 0)
		return feedback_main(cmd, argc - 1, argv + 1);
	nargs = subs[rc].nargs;
	first = dev_parse(cmd, argc - 1, argv + 1, &o);
	if (first == CLI_HELPED)
		return cli_help(device_help);
	if (first < 0)
		return -first;
	if (argc - 1 - first != nargs)
		return cli_usage(cmd, "expected %d argument%s", nargs, nargs == 1 ? "" : "s");
	argv += first + 1;
	if (o.http_password != NULL && strcmp(o.http_password, "-") == 0) {
		/* Read before the database is opened: no lock is held while
		 * standard input is waited for. */
		if (fgets(pw, sizeof(pw), stdin) == NULL)
			pw[0] = '\0';
		pw[strcspn(pw, "\r\n")] = '\0';
		o.http_password = pw;
	}
	if ((inv = cli_inv_open(cmd, o.db)) == NULL) {
		OPENSSL_cleanse(pw, sizeof(pw));
		return EXIT_FAIL;
	}
	if (strcmp(sub, "add") == 0 || strcmp(sub, "set") == 0) {
		rc = device_add_set(cmd, strcmp(sub, "add") == 0, argv[0], &o, inv);
	} else if (strcmp(sub, "show") == 0) {
		rc = device_show(cmd, argv[0], &o, inv);
	} else if (strcmp(sub, "list") == 0) {
		dev_list_inv = inv;
		rc = inv_device_list(inv, o.group, device_list_row, &o) < 0 ? EXIT_FAIL : EXIT_OK;
		if (rc != EXIT_OK)
			cli_err("%s: %s", cmd, inv_errmsg(inv));
	} else if (strcmp(sub, "rm") == 0) {
		char mac[13];

		if (inv_mac_parse(argv[0], mac) < 0) {
			rc = cli_usage(cmd, "'%s' is not a MAC (12 hex digits)", argv[0]);
		} else if ((rc = inv_device_rm(inv, mac)) <= 0) {
			if (rc == 0)
				cli_err("%s: %s: not in the inventory", cmd, mac);
			else
				cli_err("%s: %s", cmd, inv_errmsg(inv));
			rc = EXIT_FAIL;
		} else {
			rc = EXIT_OK;
		}
	} else if (strcmp(sub, "import") == 0) {
		rc = device_import(cmd, argv[0], inv);
	} else if (strcmp(sub, "revoke-cert") == 0) {
		rc = device_revoke_cert(cmd, argv[0], inv);
	} else if (strcmp(sub, "key") == 0) {
		rc = device_key(cmd, argv[0], &o, inv);
	} else {
		rc = device_render(cmd, argv[0], argv[1], &o, inv);
	}
	inv_close(inv);
	OPENSSL_cleanse(pw, sizeof(pw));
	return rc;
}
