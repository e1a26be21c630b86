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
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "inventory.h"
#include "reportd.h"
#include "store.h"

#define FEEDBACK_DB_DEFAULT "sqlite:./prov.db" /* as prov serve */
#define FEEDBACK_LIMIT_DEFAULT 1000u           /* timeline rows of each source */
#define FEEDBACK_LIMIT_MAX 1000000u

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
			o->since_ms = log_parse_since(optarg, (int64_t)time(NULL) * 1000);
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
	int json;
	unsigned n;
};

static void
fb_diff(void *arg, const struct reportd_diff *d)
{
	struct fb_drift *f = arg;

	if (f->json) {
		fputs(f->n++ ? "," : "", stdout);
		fputs("{\"name\":", stdout);
		cli_json_str(d->name);
		fputs(",\"server\":", stdout);
		cli_json_str(d->secret ? NULL : d->server);
		fputs(",\"device\":", stdout);
		cli_json_str(d->secret ? NULL : d->device);
		printf(",\"secret\":%s}", d->secret ? "true" : "false");
		return;
	}
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
	struct fb_drift f = { o->json, 0 };
	struct reportd_last last;
	char why[512], t[LOG_TIME_MAX];
	char *buf = NULL;
	size_t blen = 0;
	FILE *save = stdout, *mem;
	long n;

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
	log_time(last.time_ms, t);
	if (o->json) {
		printf("{\"mac\":\"%s\",\"report_ms\":%" PRId64 ",\"template\":", mac, last.time_ms);
		cli_json_str(o->tmpl != NULL ? o->tmpl : last.tmpl);
		printf(",\"drift\":[%s]}\n", buf != NULL ? buf : "");
	} else {
		printf("%s: report of %s (%s, %ld parameter%s), template %s: %ld differ%s\n", mac,
		       t, last.proto, last.params, last.params == 1 ? "" : "s",
		       o->tmpl != NULL ? o->tmpl : last.tmpl, n, n == 1 ? "s" : "");
		fputs(buf != NULL ? buf : "", stdout);
	}
	free(buf);
	return EXIT_OK;
}

/* ---- timeline ------------------------------------------------------------------ */

struct fb_event {
	int64_t time_ms;
	unsigned seq;                  /* ties keep the order they were read in */
	char *text, *json;             /* DETAIL and the JSON object's other members */
	const char *kind;
};

struct fb_line {
	struct fb_event *ev;
	size_t n, cap;
	int failed;
};

__attribute__((format(printf, 4, 5)))
static void
fb_add(struct fb_line *l, int64_t t, const char *kind, const char *fmt, ...)
{
	struct fb_event *e;
	va_list ap;

	if (l->failed)
		return;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? 2 * l->cap : 256;
		struct fb_event *ne = realloc(l->ev, ncap * sizeof(*ne));

		if (ne == NULL) {
			l->failed = 1;
			return;
		}
		l->ev = ne;
		l->cap = ncap;
	}
	e = &l->ev[l->n];
	e->time_ms = t;
	e->seq = (unsigned)l->n;
	e->kind = kind;
	e->json = NULL;
	va_start(ap, fmt);
	if (vasprintf(&e->text, fmt, ap) < 0) {
		l->failed = 1;
		va_end(ap);
		return;
	}
	va_end(ap);
	l->n++;
}

/* The JSON members of the last event added: captured from cli_json_str's
 * output. */
static FILE *
fb_json_begin(char **buf, size_t *len, FILE **save)
{
	FILE *mem = open_memstream(buf, len);

	*save = stdout;
	if (mem != NULL)
		stdout = mem;
	return mem;
}

static void
fb_json_end(struct fb_line *l, FILE *mem, FILE *save, char **buf)
{
	stdout = save;
	if (mem == NULL) {
		l->failed = 1;
		return;
	}
	fclose(mem); /* sets *buf */
	if (l->n > 0 && !l->failed)
		l->ev[l->n - 1].json = *buf;
	else
		free(*buf);
	*buf = NULL;
}

/* A text field for the DETAIL column: control characters and '"' as
 * \xHH, '-' when absent. Fresh. */
static char *
fb_esc(const char *s, int quoted)
{
	size_t n = s != NULL ? strlen(s) : 0;
	char *out = malloc(4 * n + 4), *o = out;

	if (out == NULL)
		return NULL;
	if (s == NULL || *s == '\0') {
		strcpy(out, "-");
		return out;
	}
	if (quoted)
		*o++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || (quoted && c == '"'))
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = (char)c;
	}
	if (quoted)
		*o++ = '"';
	*o = '\0';
	return out;
}

static void
fb_req(void *arg, const struct store_req *r)
{
	struct fb_line *l = arg;
	char *path = fb_esc(r->path, 0), *ua = fb_esc(r->user_agent, 1);
	char *buf = NULL;
	size_t len = 0;
	FILE *save, *mem;

	if (path == NULL || ua == NULL) {
		l->failed = 1;
	} else {
		fb_add(l, r->time_ms, "request", "%s %s %s %d %" PRIu64 " B from %s %s",
		       r->proto ? r->proto : "-", r->method ? r->method : "-", path, r->status,
		       r->bytes, r->client ? r->client : "-", ua);
		mem = fb_json_begin(&buf, &len, &save);
		fputs("\"proto\":", stdout);
		cli_json_str(r->proto);
		fputs(",\"method\":", stdout);
		cli_json_str(r->method);
		fputs(",\"path\":", stdout);
		cli_json_str(r->path);
		printf(",\"status\":%d,\"bytes\":%" PRIu64 ",\"client\":", r->status, r->bytes);
		cli_json_str(r->client);
		fputs(",\"user_agent\":", stdout);
		cli_json_str(r->user_agent);
		fb_json_end(l, mem, save, &buf);
	}
	free(path);
	free(ua);
}

/* What a phone's syslog line says, by its default wording (Log_*_Msg:
 * "Requesting resync", "Successful resync", "Resync failed",
 * "... upgrade ..."). */
static const char *
fb_syslog_kind(const char *text)
{
	if (text == NULL)
		return "syslog";
	if (strcasestr(text, "upgrade") != NULL)
		return "upgrade";
	if (strcasestr(text, "resync") == NULL)
		return "syslog";
	if (strcasestr(text, "requesting") != NULL)
		return "resync-request";
	if (strcasestr(text, "fail") != NULL)
		return "resync-failure";
	return "resync-success";
}

static void
fb_sys(void *arg, const struct store_syslog *r)
{
	struct fb_line *l = arg;
	char *text = fb_esc(r->text, 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *save, *mem;

	if (text == NULL) {
		l->failed = 1;
		return;
	}
	fb_add(l, r->time_ms, fb_syslog_kind(r->text), "%s (from %s)", text,
	       r->source ? r->source : "-");
	mem = fb_json_begin(&buf, &len, &save);
	fputs("\"text\":", stdout);
	cli_json_str(r->text);
	fputs(",\"source\":", stdout);
	cli_json_str(r->source);
	fputs(",\"ident\":", stdout);
	cli_json_str(r->ident);
	fb_json_end(l, mem, save, &buf);
	free(text);
}

static void
fb_rep(void *arg, const struct reportd_last *r)
{
	struct fb_line *l = arg;
	char *buf = NULL;
	size_t len = 0;
	FILE *save, *mem;

	fb_add(l, r->time_ms, "report", "%s %ld parameter%s%s%s from %s", r->proto, r->params,
	       r->params == 1 ? "" : "s", r->layers[0] ? ", " : "", r->layers,
	       r->client[0] ? r->client : "-");
	mem = fb_json_begin(&buf, &len, &save);
	fputs("\"proto\":", stdout);
	cli_json_str(r->proto);
	printf(",\"params\":%ld,\"layers\":", r->params);
	cli_json_str(r->layers[0] ? r->layers : NULL);
	fputs(",\"client\":", stdout);
	cli_json_str(r->client[0] ? r->client : NULL);
	fputs(",\"template\":", stdout);
	cli_json_str(r->tmpl[0] ? r->tmpl : NULL);
	fb_json_end(l, mem, save, &buf);
}

static void
fb_chg(void *arg, const struct reportd_change *c)
{
	struct fb_line *l = arg;
	char *buf = NULL;
	size_t len = 0;
	FILE *save, *mem;

	if (strcmp(c->kind, "var") == 0)
		fb_add(l, c->time_ms, "change", "var %s %s%s%s %s", c->scope ? c->scope : "-",
		       c->owner && c->owner[0] ? c->owner : "", c->owner && c->owner[0] ? " " : "",
		       c->name ? c->name : "-", c->action);
	else if (strcmp(c->kind, "template") == 0)
		fb_add(l, c->time_ms, "change", "template %s %s", c->name ? c->name : "-",
		       c->action);
	else if (strcmp(c->kind, "key") == 0)
		fb_add(l, c->time_ms, "change", "key %s %s", c->name ? c->name : "-", c->action);
	else
		fb_add(l, c->time_ms, "change", "device %s", c->action);
	mem = fb_json_begin(&buf, &len, &save);
	fputs("\"what\":", stdout);
	cli_json_str(c->kind);
	fputs(",\"scope\":", stdout);
	cli_json_str(c->scope);
	fputs(",\"owner\":", stdout);
	cli_json_str(c->owner);
	fputs(",\"name\":", stdout);
	cli_json_str(c->name);
	fputs(",\"action\":", stdout);
	cli_json_str(c->action);
	fb_json_end(l, mem, save, &buf);
}

static void
fb_push(void *arg, const struct reportd_push *p)
{
	struct fb_line *l = arg;
	char *buf = NULL;
	size_t len = 0;
	FILE *save, *mem;

	fb_add(l, p->time_ms, "push", "NOTIFY %s to %s: %s (%s)", p->event ? p->event : "-",
	       p->dest ? p->dest : "-", p->result ? p->result : "-", p->detail ? p->detail : "");
	mem = fb_json_begin(&buf, &len, &save);
	fputs("\"event\":", stdout);
	cli_json_str(p->event);
	fputs(",\"dest\":", stdout);
	cli_json_str(p->dest);
	fputs(",\"result\":", stdout);
	cli_json_str(p->result);
	fputs(",\"detail\":", stdout);
	cli_json_str(p->detail);
	fb_json_end(l, mem, save, &buf);
}

static int
fb_cmp(const void *a, const void *b)
{
	const struct fb_event *x = a, *y = b;

	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
fb_timeline(const char *cmd, const char *mac, const struct fb_opts *o, struct inv *inv)
{
	struct store_filter f = { mac, NULL, o->since_ms, o->limit };
	struct fb_line l = { NULL, 0, 0, 0 };
	char err[512], t[LOG_TIME_MAX];
	int rc = EXIT_FAIL;

	if (store_query_requests(o->db, &f, fb_req, &l, err, sizeof(err)) < 0 ||
	    store_query_syslog(o->db, &f, fb_sys, &l, err, sizeof(err)) < 0 ||
	    reportd_history(o->db, mac, o->since_ms, fb_rep, &l, err, sizeof(err)) < 0 ||
	    reportd_changes(inv, o->db, mac, o->since_ms, fb_chg, &l, err, sizeof(err)) < 0 ||
	    reportd_pushes(o->db, mac, o->since_ms, fb_push, &l, err, sizeof(err)) < 0) {
		cli_err("%s: %s", cmd, err);
		goto out;
	}
	if (l.failed) {
		cli_err("%s: out of memory", cmd);
		goto out;
	}
	if (l.n > 0)
		qsort(l.ev, l.n, sizeof(*l.ev), fb_cmp);
	for (size_t i = 0; i < l.n; i++) {
		log_time(l.ev[i].time_ms, t);
		if (o->json)
			printf("{\"time\":\"%s\",\"time_ms\":%" PRId64 ",\"kind\":\"%s\",%s}\n", t,
			       l.ev[i].time_ms, l.ev[i].kind, l.ev[i].json ? l.ev[i].json : "");
		else
			printf("%s %-14s %s\n", t, l.ev[i].kind, l.ev[i].text);
	}
	rc = EXIT_OK;
out:
	for (size_t i = 0; i < l.n; i++) {
		free(l.ev[i].text);
		free(l.ev[i].json);
	}
	free(l.ev);
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
