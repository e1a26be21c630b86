/*
 * prov firmware, prov rollout: firmware images the server serves, and
 * staged rollouts of one to a group (issue 14 part 4; device.md D-UPG-1;
 * server/rollout.h says how a rollout offers, watches, widens and halts).
 * Like the inventory commands, each opens the database itself, and a
 * running `prov serve` sees the change on its next request.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

#include "config.h"
#include "hex.h"
#include "inventory.h"
#include "rollout.h"

static const char firmware_help[] =
"usage: prov firmware add FILE --version V (--root DIR | --config FILE) [--db URL]\n"
"       prov firmware list [--db URL]\n"
"\n"
"  add   copy FILE into the server's static tree as firmware/V.loads (the\n"
"        root of 'prov serve --root DIR', or the 'root' line of its\n"
"        --config FILE) and record its version, size and SHA-256. The\n"
"        server serves it like any static file: HTTP with Range, TFTP.\n"
"        V is letters, digits, '.', '-' and '_' (the phone's $SWVER after\n"
"        the upgrade, e.g. sip88xx.12-0-1MPP-1); a file that starts with a\n"
"        PROVIMG1 header must name V there. Adding V again replaces it\n"
"  list  one line per image: version, path, size, sha256\n"
"\n"
"Exit status: 0 done, 1 the database or the copy failed, 2 bad usage.\n";

static const char rollout_help[] =
"usage: prov rollout start V --group G [--canary N%] [--halt-on F%] [--db URL]\n"
"       prov rollout status [--json] [--devices] [--db URL]\n"
"       prov rollout stop [--db URL]\n"
"\n"
"A staged firmware rollout: the server offers version V (see 'prov\n"
"firmware add') to the devices of group G through $UPGRADE_RULE, which a\n"
"template uses as <Upgrade_Rule>$UPGRADE_RULE</Upgrade_Rule>: the URL of\n"
"the image on the server the device asked, or empty when it is not\n"
"offered V.\n"
"\n"
"  start   choose the canary, N% of the group (default 10%, at least one\n"
"          device; the same devices every time for the same V and group:\n"
"          the first by SHA-256 of 'V:MAC'), and offer V to it (0%, or\n"
"          all of the group: to everyone at once). The server\n"
"          watches the history: the phones' syslog upgrade messages\n"
"          (Requesting upgrade, Successful upgrade, Upgrade failed) and the\n"
"          version in their later User-Agents. When every canary device has\n"
"          upgraded or failed and no more than F% (default 0%) failed, V is\n"
"          offered to the whole group (widened); when every device has\n"
"          upgraded the rollout is complete. As soon as more than F% of the\n"
"          devices offered V failed, it halts: V is offered to none.\n"
"  status  the latest rollout: its state (canary, widened, complete,\n"
"          halted, stopped) and why, then the count of devices per state:\n"
"          offered, upgrading, done, failed, not offered; --devices adds\n"
"          one line per device (MAC, state, 'canary'). The state is brought\n"
"          up to date from the history first\n"
"  stop    stop offering V (the devices that upgraded keep it)\n"
"\n"
"One rollout is active at a time; a complete one gives way to the next.\n"
"\n"
"--json (status) prints one object: id, version, group, state, why,\n"
"canary_pct, halt_pct, devices, canary, started_ms, changed_ms, counts\n"
"(offered, upgrading, done, failed, not_offered).\n"
"\n"
"Exit status: 0 done, 1 the database failed, no rollout (status) or none\n"
"active (stop), 2 bad usage.\n";

struct fw_opts {
	const char *db, *root, *config, *version, *group;
	unsigned canary, halt;
	int json, devices;
};

static int
fw_pct(const char *cmd, const char *opt, const char *s, unsigned *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || (strcmp(end, "%") != 0 && *end != '\0') || v < 0 || v > 100)
		return cli_usage(cmd, "%s: '%s' is not a percentage 0..100", opt, s);
	*out = (unsigned)v;
	return 0;
}

/* Returns the index of the first operand, or minus an exit status
 * (CLI_HELPED after help). */
static int
fw_parse(const char *cmd, const char *help, int argc, char **argv, struct fw_opts *o)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' }, { "root", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "version", required_argument, NULL, 'v' },
		{ "group", required_argument, NULL, 'g' }, { "canary", required_argument, NULL, 'C' },
		{ "halt-on", required_argument, NULL, 'H' }, { "json", no_argument, NULL, 'j' },
		{ "devices", no_argument, NULL, 'D' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->db = LOG_DB_DEFAULT;
	o->canary = ROLLOUT_CANARY_DEFAULT;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o->db = optarg; break;
		case 'r': o->root = optarg; break;
		case 'c': o->config = optarg; break;
		case 'v': o->version = optarg; break;
		case 'g': o->group = optarg; break;
		case 'C':
			if ((rc = fw_pct(cmd, "--canary", optarg, &o->canary)) != 0)
				return -rc;
			break;
		case 'H':
			if ((rc = fw_pct(cmd, "--halt-on", optarg, &o->halt)) != 0)
				return -rc;
			break;
		case 'j': o->json = 1; break;
		case 'D': o->devices = 1; break;
		case 'h':
			cli_help(help);
			return CLI_HELPED;
		default:
			return -cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	return optind;
}

static int
firmware_add(const char *cmd, const char *file, const struct fw_opts *o, struct inv *inv)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdl = 0;
	char sha[65], rel[ROLLOUT_VERSION_MAX + 32], dst[4096], err[512], msg[512];
	struct srv_cfg cfg;
	const char *root = o->root;
	char *data = NULL;
	size_t len = 0;
	int rc = EXIT_FAIL;

	config_defaults(&cfg);
	if (o->version == NULL || !rollout_version_ok(o->version)) {
		rc = cli_usage(cmd, "--version: give V (letters, digits, '.', '-', '_'; at most %u)",
			       ROLLOUT_VERSION_MAX);
		goto out;
	}
	if (root == NULL && o->config != NULL) {
		if (config_load(&cfg, o->config, err, sizeof(err)) < 0) {
			cli_err("%s: %s", cmd, err);
			rc = EXIT_USAGE;
			goto out;
		}
		root = cfg.root;
	}
	if (root == NULL) {
		rc = cli_usage(cmd, "where is the server's static tree? (--root DIR or --config "
			       "FILE)");
		goto out;
	}
	if ((data = cli_read_file(file, CLI_FILE_MAX, &len)) == NULL) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (len == 0) {
		cli_err("%s: %s: empty", cmd, file);
		rc = EXIT_USAGE;
		goto out;
	}
	/* The phone refuses an image whose header names another version. */
	if (len > 9 && memcmp(data, "PROVIMG1 ", 9) == 0) {
		const char *v = strstr(data, "version=");
		const char *nl = memchr(data, '\n', len);
		size_t vl = strlen(o->version);

		if (v == NULL || nl == NULL || v > nl || strncmp(v + 8, o->version, vl) != 0 ||
		    (v[8 + vl] != ' ' && v[8 + vl] != '\n')) {
			cli_err("%s: %s: its PROVIMG1 header does not say version=%s", cmd, file,
				o->version);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (EVP_Digest(data, len, md, &mdl, EVP_sha256(), NULL) != 1) {
		cli_err("%s: sha256 failed", cmd);
		goto out;
	}
	hex_encode(md, 32, sha);
	snprintf(rel, sizeof(rel), "%s/%s.loads", ROLLOUT_FW_DIR, o->version);
	snprintf(dst, sizeof(dst), "%s/%s", root, ROLLOUT_FW_DIR);
	if (mkdir(dst, 0755) < 0 && errno != EEXIST) {
		cli_err("%s: %s: %s", cmd, dst, strerror(errno));
		goto out;
	}
	snprintf(dst, sizeof(dst), "%s/%s", root, rel);
	if (prov_file_write(dst, data, len, 0644, msg, sizeof(msg)) != PROV_OK) {
		cli_err("%s: %s", cmd, msg);
		goto out;
	}
	if (rollout_firmware_add(inv, o->version, rel, len, sha, err, sizeof(err)) < 0) {
		cli_err("%s: %s", cmd, err);
		goto out;
	}
	printf("%s /%s %zu bytes sha256 %s\n", o->version, rel, len, sha);
	rc = EXIT_OK;
out:
	free(data);
	config_fini(&cfg);
	return rc;
}

static void
firmware_row(void *arg, const char *version, const char *path, uint64_t size,
	     const char *sha256, int64_t added_ms)
{
	(void)arg;
	(void)added_ms;
	printf("%s /%s %" PRIu64 " %s\n", version, path, size, sha256);
}

/* The subcommand of prov NAME, its options and its argument count: 0 with
 * *argv (and *argc) at the subcommand's arguments, CLI_HELPED, or the exit
 * status. */
static int
fw_begin(const char *name, const struct cli_sub *subs, size_t nsubs, const char *help,
	 int *argc, char ***argv, char *cmd, size_t cmdlen, struct fw_opts *o)
{
	int rc, first, nargs;

	rc = cli_subcommand(name, subs, nsubs, help, *argc, *argv, cmd, cmdlen);
	if (rc < 0)
		return rc == CLI_HELPED ? CLI_HELPED : -rc;
	nargs = subs[rc].nargs;
	first = fw_parse(cmd, help, *argc - 1, *argv + 1, o);
	if (first == CLI_HELPED)
		return CLI_HELPED;
	if (first < 0)
		return -first;
	if (*argc - 1 - first != nargs)
		return cli_usage(cmd, "expected %d argument%s", nargs, nargs == 1 ? "" : "s");
	*argv += first + 1;
	*argc -= first + 1;
	return 0;
}

int
cmd_firmware(int argc, char **argv)
{
	static const struct cli_sub subs[] = { { "add", 1 }, { "list", 0 } };
	struct fw_opts o;
	struct inv *inv;
	char cmd[32], err[512];
	int rc;
	const char *sub;

	sub = argc > 1 ? argv[1] : "";
	if ((rc = fw_begin("firmware", subs, sizeof(subs) / sizeof(subs[0]), firmware_help, &argc,
			   &argv, cmd, sizeof(cmd), &o)) != 0)
		return rc == CLI_HELPED ? EXIT_OK : rc;
	if ((inv = cli_inv_open(cmd, o.db)) == NULL)
		return EXIT_FAIL;
	if (strcmp(sub, "add") == 0) {
		rc = firmware_add(cmd, argv[0], &o, inv);
	} else {
		rc = EXIT_OK;
		if (rollout_firmware_list(inv, firmware_row, NULL, err, sizeof(err)) < 0) {
			cli_err("%s: %s", cmd, err);
			rc = EXIT_FAIL;
		}
	}
	inv_close(inv);
	return rc;
}

static void
rollout_dev_row(void *arg, const char *mac, int canary, enum rollout_dev st)
{
	const int *mode = arg;  /* 1: every device; 2: canary only (start) */

	if (*mode == 2 && canary)
		printf("canary %s\n", mac);
	else if (*mode == 1)
		printf("%s %s%s\n", mac, rollout_dev_name(st), canary ? " canary" : "");
}

static int
rollout_show(const char *cmd, struct inv *inv, const struct fw_opts *o)
{
	static const char *const keys[ROLLOUT_NSTATES] = {
		"not_offered", "offered", "upgrading", "done", "failed",
	};
	static const enum rollout_dev order[ROLLOUT_NSTATES] = {
		ROLLOUT_OFFERED, ROLLOUT_UPGRADING, ROLLOUT_DONE, ROLLOUT_FAILED,
		ROLLOUT_NOT_OFFERED,
	};
	struct rollout_info ri;
	char err[512];
	int mode = 0, r;

	if (rollout_get(inv, &ri, NULL, NULL, err, sizeof(err)) < 0) {
		cli_err("%s: %s", cmd, err);
		return EXIT_FAIL;
	}
	if (ri.id == 0) {
		cli_err("%s: no rollout (start one with 'prov rollout start')", cmd);
		return EXIT_FAIL;
	}
	if (o->json) {
		printf("{\"id\":%" PRId64 ",\"version\":", ri.id);
		cli_json_str(ri.version);
		printf(",\"group\":");
		cli_json_str(ri.group);
		printf(",\"state\":\"%s\",\"why\":", ri.state);
		cli_json_str(ri.why);
		printf(",\"canary_pct\":%u,\"halt_pct\":%u,\"devices\":%u,\"canary\":%u,"
		       "\"started_ms\":%" PRId64 ",\"changed_ms\":%" PRId64 ",\"counts\":{",
		       ri.canary_pct, ri.halt_pct, ri.devices, ri.canary, ri.started_ms,
		       ri.changed_ms);
		for (int i = 0; i < ROLLOUT_NSTATES; i++)
			printf("%s\"%s\":%u", i ? "," : "", keys[order[i]], ri.count[order[i]]);
		printf("}}\n");
		return EXIT_OK;
	}
	printf("rollout %" PRId64 ": %s to group %s: %s (%s)\n", ri.id, ri.version, ri.group,
	       ri.state, ri.why);
	printf("canary %u%% (%u of %u devices), halt on failures over %u%%\n", ri.canary_pct,
	       ri.canary, ri.devices, ri.halt_pct);
	for (int i = 0; i < ROLLOUT_NSTATES; i++)
		printf("%-12s %u\n", rollout_dev_name(order[i]), ri.count[order[i]]);
	if (o->devices) {
		mode = 1;
		r = rollout_get(inv, &ri, rollout_dev_row, &mode, err, sizeof(err));
		if (r < 0) {
			cli_err("%s: %s", cmd, err);
			return EXIT_FAIL;
		}
	}
	return EXIT_OK;
}

int
cmd_rollout(int argc, char **argv)
{
	static const struct cli_sub subs[] = { { "start", 1 }, { "status", 0 }, { "stop", 0 } };
	struct fw_opts o;
	struct inv *inv;
	char cmd[32], err[512];
	int rc;
	const char *sub;

	sub = argc > 1 ? argv[1] : "";
	if ((rc = fw_begin("rollout", subs, sizeof(subs) / sizeof(subs[0]), rollout_help, &argc,
			   &argv, cmd, sizeof(cmd), &o)) != 0)
		return rc == CLI_HELPED ? EXIT_OK : rc;
	if (strcmp(sub, "start") == 0 && o.group == NULL)
		return cli_usage(cmd, "--group G is required");
	if ((inv = cli_inv_open(cmd, o.db)) == NULL)
		return EXIT_FAIL;
	rc = EXIT_OK;
	if (strcmp(sub, "start") == 0) {
		struct rollout_info ri;
		int mode = 2;
		int64_t id = rollout_start(inv, argv[0], o.group, o.canary, o.halt, err,
					   sizeof(err));

		if (id < 0) {
			cli_err("%s: %s", cmd, err);
			rc = EXIT_FAIL;
		} else if (rollout_get(inv, &ri, NULL, NULL, err, sizeof(err)) < 0) {
			cli_err("%s: %s", cmd, err);
			rc = EXIT_FAIL;
		} else {
			printf("rollout %" PRId64 ": %s to group %s: %s, canary %u of %u devices\n",
			       id, argv[0], o.group, ri.state, ri.canary, ri.devices);
			if (rollout_get(inv, &ri, rollout_dev_row, &mode, err, sizeof(err)) < 0) {
				cli_err("%s: %s", cmd, err);
				rc = EXIT_FAIL;
			}
		}
	} else if (strcmp(sub, "status") == 0) {
		if (rollout_tick(inv, err, sizeof(err)) < 0) {
			cli_err("%s: %s", cmd, err);
			rc = EXIT_FAIL;
		} else {
			rc = rollout_show(cmd, inv, &o);
		}
	} else {
		int r = rollout_stop(inv, err, sizeof(err));

		if (r < 0) {
			cli_err("%s: %s", cmd, err);
			rc = EXIT_FAIL;
		} else if (r == 0) {
			cli_err("%s: no active rollout", cmd);
			rc = EXIT_FAIL;
		}
	}
	inv_close(inv);
	return rc;
}
