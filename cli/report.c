/*
 * prov phone report: one report now (device.md D-REP-1), like prov phone
 * resync for profiles. Drives libprov's net and reporter on the shared
 * event loop (common/loop.h); uses only the public API.
 */
#include "cli.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "clock.h"

/* The dispatch in phone.c calls this. */

static const char report_help[] =
"usage: prov phone report --state DIR [RULE]\n"
"\n"
"Sends one report now, as a SIP NOTIFY with Event: report would: with\n"
"RULE, that report rule alone; without, Report_Rule. A report rule is one\n"
"or two items separated by white space:\n"
"\n"
"    [--key K] [--delta|--status] URL\n"
"\n"
"Each item uploads one document to its URL:\n"
"  (no option)  every parameter, as a <flat-profile>\n"
"  --delta      only the parameters whose value or access level differs\n"
"               from the factory default\n"
"  --status     the status (identity, last resync and its $ERR, what each\n"
"               rule fetched, next resync, reboot reasons) under <status>\n"
"Secrets (passwords, GPP_SA..GPP_SD) never leave the device: they appear\n"
"as self-closing elements (<Password_1_ ua=\"na\"/>), which keep the value\n"
"if the report is ever served back as a profile. With --key K (macros\n"
"and $SA..$SD expand in K) the document is encrypted as `prov pack --key\n"
"K` does (AES-256-CBC, openssl enc format); `prov unpack --key K` reads\n"
"it back. http and https URLs are uploaded with HTTP_Report_Method (POST\n"
"or PUT), tftp URLs with a TFTP write request. Prints one line per item:\n"
"\n"
"    report: http://192.0.2.1/rep/000e08abcdef.xml: ok, 41305 bytes (full)\n"
"\n"
"Report_To_Server (On Request, On Local Change, Periodically) is obeyed\n"
"by `prov phone run`, not here: this command always sends.\n"
"\n"
"Exit status: 0 every item was uploaded; 1 one failed (its line gives\n"
"the reason: `report: URL: failed: http_put failed: 403`) or there is no\n"
"report rule; 2 bad usage or no device.\n";

struct rhost {
	struct loop *loop;
	struct prov_net *net;
	struct prov_report *rep;
	uint64_t net_timer;
	int result; /* -1 running, 0 ok, 1 failed */
};

static void
rhost_fd(void *arg, int fd, unsigned events)
{
	struct rhost *h = arg;

	prov_net_fd(h->net, fd, ((events & LOOP_IN) ? PROV_IN : 0) |
			       ((events & LOOP_OUT) ? PROV_OUT : 0));
}

static void
rhost_watch(void *arg, int fd, unsigned events)
{
	struct rhost *h = arg;

	if (loop_fd(h->loop, fd, ((events & PROV_IN) ? LOOP_IN : 0) |
			       ((events & PROV_OUT) ? LOOP_OUT : 0), rhost_fd, h) != 0)
		cli_err("cannot watch fd %d", fd);
}

static void
rhost_fire(void *arg)
{
	struct rhost *h = arg;

	h->net_timer = 0;
	prov_net_timeout(h->net);
}

static void
rhost_timer(void *arg, long ms)
{
	struct rhost *h = arg;

	if (h->net_timer != 0)
		loop_timer_del(h->loop, h->net_timer);
	h->net_timer = ms < 0 ? 0 : loop_timer_add(h->loop, clock_mono_ms() + ms, rhost_fire, h);
}

static const char *
kind_name(unsigned kind)
{
	return kind == PROV_REPORT_STATUS ? "status" :
	       kind == PROV_REPORT_DELTA ? "delta" : "full";
}

static void
rhost_result(void *arg, const struct prov_report_result *r)
{
	struct rhost *h = arg;

	if (r->ok)
		printf("report: %s: ok, %zu bytes (%s%s)\n", r->url, r->bytes,
		       kind_name(r->kind), r->encrypted ? ", encrypted" : "");
	else
		printf("report: %s: failed: %s\n", r->url[0] ? r->url : "-", r->err);
	if (!r->ok)
		h->result = 1;
	if (r->last) {
		if (h->result < 0)
			h->result = 0;
		loop_stop(h->loop);
	}
	fflush(stdout);
}

static void
rhost_deadline(void *arg)
{
	struct rhost *h = arg;

	printf("report failed: timeout\n");
	h->result = 1;
	loop_stop(h->loop);
}

int
phone_report(int argc, char **argv)
{
	static const struct prov_net_ops ops = { rhost_watch, rhost_timer };
	struct rhost h;
	struct prov_device *dev;
	const char *dir;
	int status, i = cli_state_opts("phone report", report_help, argc, argv, &dir, NULL, NULL);
	enum prov_err rc;

	if (i < 0)
		return i == CLI_HELPED ? EXIT_OK : -i;
	if (argc - i > 1)
		return cli_usage("phone report", "expected at most one RULE");
	dev = cli_open("phone report", dir, &status);
	if (dev == NULL)
		return status;
	memset(&h, 0, sizeof(h));
	h.result = -1;
	status = EXIT_FAIL;
	h.loop = loop_new();
	if (h.loop == NULL || prov_net_new(&ops, &h, &h.net) != PROV_OK ||
	    prov_report_new(dev, h.net, NULL, &h.rep) != PROV_OK) {
		cli_err("phone report: cannot set up the network");
		goto out;
	}
	prov_report_on_result(h.rep, rhost_result, &h);
	rc = prov_report_send(h.rep, i < argc ? argv[i] : NULL, "request");
	if (rc == PROV_E_INVAL) {
		printf("report failed: no report rule (Report_Rule is empty)\n");
		goto out;
	}
	if (rc != PROV_OK) {
		cli_err("phone report: %s", prov_strerror(rc));
		goto out;
	}
	if (h.result < 0 || prov_report_running(h.rep)) {
		loop_timer_add(h.loop, clock_mono_ms() + REPORT_DEADLINE_MS, rhost_deadline, &h);
		loop_run(h.loop);
	}
	status = h.result == 0 ? EXIT_OK : EXIT_FAIL;
out:
	prov_report_free(h.rep);
	prov_net_free(h.net);
	loop_free(h.loop);
	prov_device_free(dev);
	return status;
}
