/*
 * prov log: the server's history (server.md S-DEV-3, S-NET-4) read from
 * its database: requests answered, or syslog messages received. Reads
 * with its own read-only connection (server/store.h), so it runs beside a
 * serving `prov serve` and never creates a database.
 */
#define _GNU_SOURCE /* timegm */
#include "cli.h"

#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "timeline.h"

static const char log_help[] =
"usage: prov log [--db URL] [--syslog] [--mac MAC] [--client ADDR]\n"
"                [--since TIME] [--limit N] [--json]\n"
"\n"
"Prints the history `prov serve` keeps: every request it answered (the\n"
"default), or with --syslog every syslog message it collected. Rows print\n"
"oldest first, one per line; only the last N matching rows (default 100).\n"
"\n"
"  --db URL       the server's database: sqlite:PATH or PATH (default\n"
"                 sqlite:./prov.db), or postgresql://USER@HOST[:PORT]/DB.\n"
"                 It must exist; it is opened read-only\n"
"                 and may be in use by a running server.\n"
"  --syslog       syslog messages instead of requests\n"
"  --mac MAC      only rows naming this device: 12 hex digits, separators\n"
"                 ':' '-' '.' allowed\n"
"  --client ADDR  only rows whose client (or syslog source) \"ADDR:PORT\"\n"
"                 starts with ADDR: 192.0.2.7: for one address, 10.1. for\n"
"                 a range, [2001:db8:: for IPv6\n"
"  --since TIME   only rows at or after TIME: 2026-11-28, 2026-11-28T06:05,\n"
"                 2026-11-28T06:05:09Z (UTC), @UNIXSECONDS, or an age: 90s,\n"
"                 15m, 2h, 7d\n"
"  --limit N      the last N rows (1..1000000)\n"
"  --json         one JSON object per line instead of columns\n"
"\n"
"Request columns: time (UTC, ms), client, protocol, method, status, bytes,\n"
"duration, device MAC, path, \"User-Agent\":\n"
"\n"
"    2026-11-28T06:05:09.123Z 192.0.2.7:49152 http GET 200 1843 1.2ms\n"
"        000e08abcdef /CP-8841-3PCC000e08abcdef.xml \"Cisco-CP-8841-3PCC/11.3\"\n"
"\n"
"(one line). Syslog columns: time, source, facility.severity, device MAC,\n"
"hostname, identifier, message. An absent value prints as '-'; control\n"
"characters print as \\xHH.\n"
"\n"
"Exit status: 0 printed (even nothing), 1 the database cannot be opened\n"
"or read, 2 bad usage.\n";

static const char *const log_facilities[24] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp",
	"cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};

static const char *const log_severities[8] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* ---- output ------------------------------------------------------------------- */

/* "2026-11-28T06:05:09.123Z": server/timeline.h's form, shared with the admin API. */
void
log_time(int64_t ms, char out[LOG_TIME_MAX])
{
	timeline_time(ms, out);
}

/* A field for the columns: '-' when absent or empty, control characters
 * (and, when quoted, '"') as \xHH whoever wrote the row. */
static void
log_put(const char *s, int quoted)
{
	if (s == NULL || s[0] == '\0') {
		fputs("-", stdout);
		return;
	}
	if (quoted)
		putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || (quoted && c == '"'))
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	if (quoted)
		putchar('"');
}

static void
log_duration(uint32_t us, char out[24])
{
	if (us < 1000)
		snprintf(out, 24, "%uus", (unsigned)us);
	else if (us < 1000000)
		snprintf(out, 24, "%.1fms", us / 1000.0);
	else
		snprintf(out, 24, "%.2fs", us / 1e6);
}

static void
log_request_row(void *arg, const struct store_req *r)
{
	int json = *(const int *)arg;
	char t[LOG_TIME_MAX], d[24];

	log_time(r->time_ms, t);
	if (json) {
		printf("{\"time\":\"%s\",\"time_ms\":%" PRId64 ",\"client\":", t, r->time_ms);
		cli_json_str(r->client);
		fputs(",\"proto\":", stdout);
		cli_json_str(r->proto);
		fputs(",\"method\":", stdout);
		cli_json_str(r->method);
		printf(",\"status\":%d,\"bytes\":%" PRIu64 ",\"duration_us\":%" PRIu32
		       ",\"mac\":", r->status, r->bytes, r->duration_us);
		cli_json_str(r->mac);
		fputs(",\"path\":", stdout);
		cli_json_str(r->path);
		fputs(",\"user_agent\":", stdout);
		cli_json_str(r->user_agent);
		fputs(",\"subject\":", stdout);
		cli_json_str(r->subject);
		fputs("}\n", stdout);
		return;
	}
	log_duration(r->duration_us, d);
	printf("%s ", t);
	log_put(r->client, 0);
	putchar(' ');
	log_put(r->proto, 0);
	putchar(' ');
	log_put(r->method, 0);
	printf(" %d %" PRIu64 " %s ", r->status, r->bytes, d);
	log_put(r->mac, 0);
	putchar(' ');
	log_put(r->path, 0);
	putchar(' ');
	log_put(r->user_agent, 1);
	putchar('\n');
}

static void
log_syslog_row(void *arg, const struct store_syslog *r)
{
	int json = *(const int *)arg;
	char t[LOG_TIME_MAX];

	log_time(r->time_ms, t);
	if (json) {
		printf("{\"time\":\"%s\",\"time_ms\":%" PRId64 ",\"source\":", t, r->time_ms);
		cli_json_str(r->source);
		if (r->facility >= 0)
			printf(",\"facility\":%d,\"severity\":%d", r->facility, r->severity);
		else
			fputs(",\"facility\":null,\"severity\":null", stdout);
		fputs(",\"mac\":", stdout);
		cli_json_str(r->mac);
		fputs(",\"hostname\":", stdout);
		cli_json_str(r->hostname);
		fputs(",\"ident\":", stdout);
		cli_json_str(r->ident);
		fputs(",\"text\":", stdout);
		cli_json_str(r->text);
		fputs("}\n", stdout);
		return;
	}
	printf("%s ", t);
	log_put(r->source, 0);
	if (r->facility >= 0 && r->facility < 24 && r->severity >= 0 && r->severity < 8)
		printf(" %s.%s ", log_facilities[r->facility], log_severities[r->severity]);
	else
		fputs(" - ", stdout);
	log_put(r->mac, 0);
	putchar(' ');
	log_put(r->hostname, 0);
	putchar(' ');
	log_put(r->ident, 0);
	putchar(' ');
	log_put(r->text, 0);
	putchar('\n');
}

/* ---- options ------------------------------------------------------------------- */

/* MAC with optional ':' '-' '.' separators into 12 lower-case digits. */
static int
log_parse_mac(const char *s, char out[13])
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s == ':' || *s == '-' || *s == '.')
			continue;
		if (!isxdigit((unsigned char)*s) || n == 12)
			return -1;
		out[n++] = (char)tolower((unsigned char)*s);
	}
	out[n] = '\0';
	return n == 12 ? 0 : -1;
}

/* --since: server/timeline.h's form, shared with the admin API. */
int64_t
log_parse_since(const char *s, int64_t now_ms)
{
	return timeline_parse_since(s, now_ms);
}

int
cmd_log(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "db", required_argument, NULL, 'd' },
		{ "syslog", no_argument, NULL, 'S' },
		{ "mac", required_argument, NULL, 'm' },
		{ "client", required_argument, NULL, 'c' },
		{ "since", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = LOG_DB_DEFAULT;
	struct store_filter f = { 0 };
	char mac[13], err[512];
	int c, json = 0, want_syslog = 0, rc;
	uint64_t v;

	f.limit = LOG_LIMIT_DEFAULT;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(log_help);
		case 'd':
			db = optarg;
			break;
		case 'S':
			want_syslog = 1;
			break;
		case 'm':
			if (log_parse_mac(optarg, mac) < 0)
				return cli_usage("log", "--mac '%s': not 12 hex digits", optarg);
			f.mac = mac;
			break;
		case 'c':
			if (optarg[0] == '\0' || strlen(optarg) > LOG_CLIENT_MAX)
				return cli_usage("log", "--client takes an address of 1..%u characters",
						 LOG_CLIENT_MAX);
			f.client = optarg;
			break;
		case 's':
			f.since_ms = log_parse_since(optarg, (int64_t)time(NULL) * 1000);
			if (f.since_ms < 0)
				return cli_usage("log", "--since '%s': not a date, time or age",
						 optarg);
			break;
		case 'n':
			if (timeline_parse_u64(optarg, LOG_LIMIT_MAX, &v) < 0 || v == 0)
				return cli_usage("log", "--limit takes 1..%u", LOG_LIMIT_MAX);
			f.limit = (unsigned)v;
			break;
		case 'j':
			json = 1;
			break;
		case ':':
			return cli_usage("log", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage("log", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage("log", "unexpected argument '%s'", argv[optind]);
	if (want_syslog)
		rc = store_query_syslog(db, &f, log_syslog_row, &json, err, sizeof(err));
	else
		rc = store_query_requests(db, &f, log_request_row, &json, err, sizeof(err));
	if (rc != 0) {
		cli_err("%s", err);
		return EXIT_FAIL;
	}
	if (fflush(stdout) != 0) {
		cli_err("log: write error");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
