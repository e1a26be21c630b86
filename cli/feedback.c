/*
 * prov device drift, prov device timeline: what the devices say back
 * (server.md S-SRV-4, S-DEV-3; interfaces.md "Feedback, push,
 * onboarding"). drift compares the server's current rendering of a device
 * with the last report it uploaded (server/reportd.h); timeline joins, in
 * time order, the device's requests and syslog messages (server/store.h),
 * its reports, the NOTIFY pushes sent to it and the inventory changes
 * that concern it.
 */
#define _GNU_SOURCE /* open_memstream */
#include "cli.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inventory.h"
#include "reportd.h"
#include "timeline.h"

#define FEEDBACK_DB_DEFAULT "sqlite:./prov.db" /* as prov serve */
#define FEEDBACK_LIMIT_DEFAULT 1000u           /* timeline rows of each source */
#define FEEDBACK_LIMIT_MAX TIMELINE_LIMIT_MAX

static const char feedback_help[] =
"usage: prov device drift MAC [--json] [--template NAME] [--db URL]\n"
"       prov device timeline MAC [--since T] [--limit N] [--json] [--db URL]\n"
"\n"
"What a device says back to 'prov serve'.\n"
"\n"
"  drift     every parameter whose value in the device's last report\n"
"            differs from what the server's current rendering of that\n"
"            device would set (the rendering of 'prov device render'),\n"
"            one per line:\n"
"                NAME: server \"VALUE\", device \"VALUE\"\n"
"            A secret parameter is compared but never printed:\n"
"                NAME: (secret differs)\n"
"            A parameter the report leaves out (a --delta report) is\n"
"            compared with its factory default; a secret the device keeps\n"
"            back (as prov phone does: <Password_1_ ua=\"na\"/>) is not\n"
"            compared. Values compare as the device stores them (\"yes\"\n"
"            and \"Yes\" are one value). The template is the one the\n"
"            server's route named for the device's last profile fetch\n"
"            before the report, or --template NAME; $SERVIP, $PORT and\n"
"            $SCHEME are those the report came to. The first line says\n"
"            which report was compared. Reports come in through a\n"
"            report route: prov serve --route '/report/$MA.xml report'.\n"
"  timeline  one time-ordered view of the device: its requests (the\n"
"            server's history), its syslog messages (resync request,\n"
"            success, failure, upgrade: attributed by the MAC they name or\n"
"            the device's last address), its reports, the SIP NOTIFY\n"
"            pushes sent to it (prov device resync), and the inventory\n"
"            changes that concern it (its own fields, variables and keys,\n"
"            its group's, product's and global variables, templates;\n"
"            names only, never values). One line per event:\n"
"                TIME KIND DETAIL\n"
"            KIND is request, syslog, resync-request, resync-success,\n"
"            resync-failure, upgrade, report, push or change.\n"
"\n"
"  --since T      events at or after T: an age (90s, 15m, 2h, 7d), a UTC\n"
"                 date and time (2026-11-28, 2026-11-28T06:05,\n"
"                 2026-11-28T06:05:09Z) or @UNIXSECONDS\n"
"  --limit N      at most the last N requests and N syslog messages\n"
"                 (default 1000)\n"
"  --template NAME  render this template for the drift instead\n"
"  --json         drift: one JSON object {mac, report_ms, template,\n"
"                 drift: [{name, server, device, secret}]} (values null\n"
"                 for secrets); timeline: one object per line {time,\n"
"                 time_ms, kind, ...}\n"
"  --db URL       the server's database (default sqlite:./prov.db)\n"
"\n"
"Exit status: 0 printed (drift: even when there is drift), 1 no such\n"
"device, no report, or the database failed, 2 bad usage.\n";

struct fb_opts {
	const char *db, *tmpl;
	int json;
	int64_t since_ms;
	unsigned limit;
};

static int
fb_parse(const char *cmd, int argc, char **argv, struct fb_opts *o)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' }, { "json", no_argument, NULL, 'j' },
		{ "since", required_argument, NULL, 's' }, { "limit", required_argument, NULL, 'l' },
		{ "template", required_argument, NULL, 't' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->db = FEEDBACK_DB_DEFAULT;
	o->limit = FEEDBACK_LIMIT_DEFAULT;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case 'h': return CLI_HELPED;
		case 'd': o->db = optarg; break;
		case 'j': o->json = 1; break;
		case 't': o->tmpl = optarg; break;
		case 's':
			o->since_ms = timeline_parse_since(optarg, (int64_t)time(NULL) * 1000);
			if (o->since_ms < 0)
				return -cli_usage(cmd, "--since '%s': not a date, time or age (2h, "
						  "2026-11-28T06:05Z)", optarg);
			break;
		case 'l': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || v == 0 ||
			    v > FEEDBACK_LIMIT_MAX)
				return -cli_usage(cmd, "--limit '%s': not a number 1..%u", optarg,
						  FEEDBACK_LIMIT_MAX);
			o->limit = (unsigned)v;
			break;
		}
		case ':': return -cli_usage(cmd, "%s needs a value", argv[optind - 1]);
		default: return -cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	return optind;
}

/* ---- drift --------------------------------------------------------------------- */

struct fb_drift {
	unsigned n;
};

static void
fb_diff(void *arg, const struct reportd_diff *d)
{
	struct fb_drift *f = arg;

	f->n++;
	if (d->secret) {
		printf("%s: (secret differs)\n", d->name);
		return;
	}
	printf("%s: server ", d->name);
	cli_json_str(d->server);
	fputs(", device ", stdout);
	if (d->device != NULL)
		cli_json_str(d->device);
	else
		fputs("(not reported)", stdout);
	putchar('\n');
}

static void
fb_nodiff(void *arg, const struct reportd_diff *d)
{
	(void)d;
	(*(long *)arg)++;
}

long
feedback_drift_count(struct inv *inv, const char *db, const char *mac)
{
	struct reportd_last last;
	char why[256];
	long n = 0;

	if (reportd_drift(inv, db != NULL ? db : FEEDBACK_DB_DEFAULT, mac, NULL, &last,
			  fb_nodiff, &n, why, sizeof(why)) < 0)
		return -1;
	return n;
}

static int
fb_drift(const char *cmd, const char *mac, const struct fb_opts *o, struct inv *inv)
{
	struct fb_drift f = { 0 };
	struct reportd_last last;
	char why[512], t[TIMELINE_TIME_MAX];
	char *buf = NULL;
	size_t blen = 0;
	FILE *save = stdout, *mem;
	long n;

	if (o->json) {
		struct buf out;

		buf_init(&out, SIZE_MAX - 1);
		n = timeline_drift_json(inv, o->db, mac, o->tmpl, &out, why, sizeof(why));
		if (n >= 0)
			printf("%s\n", buf_str(&out));
		buf_free(&out);
		if (n < 0) {
			cli_err("%s: %s", cmd, why);
			return EXIT_FAIL;
		}
		return EXIT_OK;
	}
	/* The differences go to memory first: the head line names the report,
	 * which the comparison reads. */
	if ((mem = open_memstream(&buf, &blen)) == NULL) {
		cli_err("%s: out of memory", cmd);
		return EXIT_FAIL;
	}
	stdout = mem;
	n = reportd_drift(inv, o->db, mac, o->tmpl, &last, fb_diff, &f, why, sizeof(why));
	stdout = save;
	fclose(mem);
	if (n < 0) {
		free(buf);
		cli_err("%s: %s", cmd, why);
		return EXIT_FAIL;
	}
	timeline_time(last.time_ms, t);
	printf("%s: report of %s (%s, %ld parameter%s), template %s: %ld differ%s\n", mac, t,
	       last.proto, last.params, last.params == 1 ? "" : "s",
	       o->tmpl != NULL ? o->tmpl : last.tmpl, n, n == 1 ? "s" : "");
	fputs(buf != NULL ? buf : "", stdout);
	free(buf);
	return EXIT_OK;
}

/* ---- timeline ------------------------------------------------------------------ */

static int
fb_timeline(const char *cmd, const char *mac, const struct fb_opts *o, struct inv *inv)
{
	struct buf out;
	char err[512];
	int rc = EXIT_OK;

	buf_init(&out, SIZE_MAX - 1);
	if (timeline_write(inv, o->db, mac, o->since_ms, o->limit,
			   o->json ? TIMELINE_JSON_LINES : TIMELINE_TEXT, &out, err,
			   sizeof(err)) < 0) {
		cli_err("%s: %s", cmd, err);
		rc = EXIT_FAIL;
	} else {
		fwrite(buf_str(&out), 1, out.len, stdout);
	}
	buf_free(&out);
	return rc;
}

int
feedback_main(const char *cmd, int argc, char **argv)
{
	struct fb_opts o;
	struct inv_device d;
	struct inv *inv;
	char mac[13];
	int first, rc, r;

	first = fb_parse(cmd, argc, argv, &o);
	if (first == CLI_HELPED)
		return cli_help(feedback_help);
	if (first < 0)
		return -first;
	if (argc - first != 1)
		return cli_usage(cmd, "expected 1 argument (MAC)");
	if (inv_mac_parse(argv[first], mac) < 0)
		return cli_usage(cmd, "'%s' is not a MAC (12 hex digits)", argv[first]);
	if ((inv = cli_inv_open(cmd, o.db)) == NULL)
		return EXIT_FAIL;
	r = inv_device_get(inv, mac, &d);
	if (r <= 0) {
		if (r == 0)
			cli_err("%s: %s: not in the inventory", cmd, mac);
		else
			cli_err("%s: %s", cmd, inv_errmsg(inv));
		inv_close(inv);
		return EXIT_FAIL;
	}
	if (strcmp(argv[0], "drift") == 0)
		rc = fb_drift(cmd, mac, &o, inv);
	else
		rc = fb_timeline(cmd, mac, &o, inv);
	inv_close(inv);
	return rc;
}
