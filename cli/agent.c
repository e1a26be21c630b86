/*
 * The device engine on the command line: prov phone resync (one explicit
 * resync, then exit), prov phone run (the agent: boots, keeps the schedule
 * until SIGTERM), prov phone status, prov phone line. Drives libprov's net
 * and engine on the shared event loop (common/loop.h).
 */
#include "cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "sip.h"
#include "dhcp.h"
#include "loop.h"
#include "clock.h"

/* The activation options of resync and run (lib/gds.h). */
#define ACTIVATION_HELP \
"Activation codes (D-ONB-2): a rule that is gds:// (Profile_Rule = gds://)\n" \
"exchanges the user's 16-digit code once at the activation service for the\n" \
"profile rule, which replaces gds:// and runs at once:\n" \
"  --activation-code C     the code the user entered ('-' and spaces are\n" \
"                          ignored); kept until the service answered it\n" \
"  --activation-service URL  the service, an https URL such as\n" \
"                          https://prov.example.com/prov/activate ('prov\n" \
"                          serve --activation-rule'); kept in the state\n" \
"The device presents its client certificate (MIC) and sends its MAC,\n" \
"serial and product. `prov phone status` shows the outcome (activation).\n"
#define ACTIVATION_CODE_DIGITS 16     /* an activation code's length */

static int take_addr_opt(int argc, char **argv, const char *opt, const char **addr);

/* Takes --activation-code and --activation-service out of argv. Returns
 * the new argc, or -1 (usage error printed). */
static int
activation_opts(const char *cmd, int argc, char **argv, const char **code, const char **service)
{
	argc = take_addr_opt(argc, argv, "--activation-code", code);
	if (argc < 0) {
		cli_usage(cmd, "--activation-code needs a code");
		return -1;
	}
	argc = take_addr_opt(argc, argv, "--activation-service", service);
	if (argc < 0)
		cli_usage(cmd, "--activation-service needs an https URL");
	return argc;
}

/* Stores them as the device's status (lib/gds.h). Returns 0, or the
 * exit status. */
static int
activation_store(const char *cmd, struct prov_device *dev, const char *code,
		 const char *service)
{
	char digits[ACTIVATION_CODE_DIGITS + 1];
	size_t n = 0;
	enum prov_err rc = PROV_OK;

	if (code != NULL) {
		for (const char *s = code; *s != '\0'; s++) {
			if (*s == '-' || *s == ' ')
				continue;
			if (*s < '0' || *s > '9' || n >= ACTIVATION_CODE_DIGITS)
				return cli_usage(cmd, "--activation-code: expected %d digits",
						 ACTIVATION_CODE_DIGITS);
			digits[n++] = *s;
		}
		digits[n] = '\0';
		if (n != ACTIVATION_CODE_DIGITS)
			return cli_usage(cmd, "--activation-code: expected %d digits",
					 ACTIVATION_CODE_DIGITS);
		rc = prov_device_status_set(dev, "activation_code", digits);
	}
	if (rc == PROV_OK && service != NULL) {
		if (strncmp(service, "https://", 8) != 0)
			return cli_usage(cmd, "--activation-service: expected an https:// URL");
		rc = prov_device_status_set(dev, "activation_service", service);
	}
	if (rc != PROV_OK) {
		cli_err("%s: cannot store the activation code: %s", cmd, prov_strerror(rc));
		return EXIT_FAIL;
	}
	return 0;
}

static const char resync_help[] =
"usage: prov phone resync --state DIR [--activation-code C]\n"
"                         [--activation-service URL] [RULE]\n"
"\n"
"Runs one explicit resync now ($PRVST = -1), as the web page's\n"
"/admin/resync would: with RULE, that rule alone (same syntax as\n"
"Profile_Rule, e.g. '[--key K] tftp://192.0.2.1/$MA.cfg'); without, the\n"
"configured Profile_Rule, _B, _C and _D in order. Triggers do not apply;\n"
"Provision_Enable = No refuses it. Fetches over TFTP, HTTP or HTTPS,\n"
"decrypts and gunzips by content, applies each profile all-or-nothing,\n"
"sends the Log_* syslog messages, and records the status. Prints one line\n"
"per rule and the result:\n"
"\n"
"    rule A: tftp://192.0.2.1:69/basic.txt: ok, 75 bytes, 1 changed\n"
"    resync: ok\n"
"\n"
"Then Upgrade_Rule and Trans_Auth_Rule are checked (a failed upgrade does\n"
"not fail the resync; `prov phone status` shows it). An image installed\n"
"adds `upgrade: installed VERSION, rebooting`; the next `prov phone run`\n"
"boots it.\n"
"\n"
ACTIVATION_HELP
"\n"
"It works whether or not `prov phone run` is running on the same DIR.\n"
"\n"
"Exit status: 0 the resync succeeded; 1 it failed (the last line gives\n"
"$ERR: `resync failed: tftp file not found`); 2 bad usage or no device.\n";

static const char run_help[] =
"usage: prov phone run --state DIR [--time-scale N] [--admin ADDR:PORT]\n"
"                      [--sip ADDR:PORT] [--dhcp-inform IFACE]\n"
"                      [--dhcp-option N=VALUE ...]\n"
"                      [--activation-code C] [--activation-service URL]\n"
"\n"
"The device agent: boots the device (the power-up resync after\n"
"Resync_Random_Delay), then keeps its schedule (periodic, daily,\n"
"error-retry, triggers, Forced_Resync_Delay) until SIGTERM or SIGINT.\n"
"Changes made with `prov phone set` and line activity set with\n"
"`prov phone line` are picked up within a second. Syslog goes where\n"
"Syslog_Server and Debug_Server say. One line per resync on stderr.\n"
"\n"
"  --time-scale N  run the device's clock N times faster (tests and\n"
"                  demos: with N = 3600 an hour of schedule takes a second;\n"
"                  network timeouts stay real)\n"
"  --admin ADDR:PORT  serve the phone's web interface there (port 0 picks\n"
"                  one; it is printed on stderr): /admin/advanced (the\n"
"                  parameters and status), /admin/resync?RULE,\n"
"                  /admin/upgrade?URL, /admin/reboot and POST\n"
"                  /CGI/Execute, behind user admin\n"
"                  and Admin_Password (Digest or Basic). While\n"
"                  Admin_Password is empty it only says how to set it.\n"
"  --sip ADDR:PORT  listen for SIP NOTIFY there, over UDP and TCP (port 0\n"
"                  picks one; it is printed on stderr). Event: resync and\n"
"                  check-sync (when Resync_From_SIP = Yes), reboot_now,\n"
"                  restart_now, report (sends Report_Rule now, see\n"
"                  `prov phone report --help`); XML-Service is answered\n"
"                  and logged (no XML service here). Every NOTIFY must\n"
"                  carry a digest of line 1's\n"
"                  credentials (Auth_ID_1_ or User_ID_1_, Password_1_):\n"
"                  the first gets 401, a correct repeat acts once; without\n"
"                  credentials configured every NOTIFY gets 403.\n"
"  --dhcp-inform IFACE  before booting, ask the DHCP server on IFACE\n"
"                  (DHCPINFORM; needs root) for the provisioning server\n"
"                  options; a rule URL without a host uses them in the\n"
"                  order of DHCP_Option_To_Use. No answer is a warning.\n"
"  --dhcp-option N=VALUE  such an option given here (repeatable; wins\n"
"                  over DHCP): 66=HOST[:PORT], 150=A.B.C.D,...,\n"
"                  159=URL, 160=URL, 43=HEX, 125=HEX. See\n"
"                  `prov phone dhcp --help` for the forms.\n"
"\n"
ACTIVATION_HELP
"\n"
"Exit status: 0 after SIGTERM/SIGINT, 1 on a fatal error, 2 bad usage.\n";

static const char status_help[] =
"usage: prov phone status --state DIR [--json]\n"
"\n"
"Shows the device's identity and provisioning status (D-STA-1): last\n"
"resync time, result and $ERR, what each rule fetched, the next resync\n"
"and why, the client certificate, the custom CA (custom_ca) and the MIC\n"
"renewal (mic), and unknown parameter names. --json prints one JSON\n"
"object instead.\n";

static const char line_help[] =
"usage: prov phone line --state DIR N busy|idle\n"
"\n"
"Sets line N (1..10) in a call or idle, for Forced_Resync_Delay: a due\n"
"resync waits while any line is busy, up to that delay. A running agent\n"
"picks the change up within a second.\n";

/* ---- the host side of libprov's net, on the loop ------------------------ */

struct host {
	struct loop *loop;
	struct prov_net *net;
	struct prov_engine *eng;
	struct prov_report *rep;  /* the agent's reports (D-REP-1); NULL otherwise */
	struct prov_device *dev;
	struct prov_clock clk;   /* the device's clock (engines keep a copy) */
	uint64_t net_timer;      /* the net's one timer */
	uint64_t eng_timer;      /* the engine's schedule */
	double scale;            /* device clock speed */
	int64_t base_real;       /* real monotonic ms at start */
	int64_t base_wall;       /* local wall-clock s at start */
	int result;              /* resync: -1 running, 0 ok, 1 failed */
	unsigned lines;          /* last line_busy seen */
	int agent;
};

static void
host_fd(void *arg, int fd, unsigned events)
{
	struct host *h = arg;

	prov_net_fd(h->net, fd, ((events & LOOP_IN) ? PROV_IN : 0) |
			       ((events & LOOP_OUT) ? PROV_OUT : 0));
}

static void
net_watch(void *arg, int fd, unsigned events)
{
	struct host *h = arg;

	if (loop_fd(h->loop, fd, ((events & PROV_IN) ? LOOP_IN : 0) |
			       ((events & PROV_OUT) ? LOOP_OUT : 0), host_fd, h) != 0)
		cli_err("cannot watch fd %d", fd);
}

static void
net_fire(void *arg)
{
	struct host *h = arg;

	h->net_timer = 0;
	prov_net_timeout(h->net);
}

static void
net_timer(void *arg, long ms)
{
	struct host *h = arg;

	if (h->net_timer != 0)
		loop_timer_del(h->loop, h->net_timer);
	h->net_timer = ms < 0 ? 0 : loop_timer_add(h->loop, clock_mono_ms() + ms, net_fire, h);
}

/* The device's clock: real time, sped up by scale. */
static int64_t
dev_mono_ms(void *arg)
{
	struct host *h = arg;

	return h->base_real + (int64_t)((double)(clock_mono_ms() - h->base_real) * h->scale);
}

static int64_t
dev_wall_s(void *arg)
{
	struct host *h = arg;

	return h->base_wall + (int64_t)((double)(clock_mono_ms() - h->base_real) * h->scale / 1000.0);
}

static void eng_fire(void *arg);

/* Arms the loop timer for the engine's next due time, in real time. */
static void
eng_arm(struct host *h)
{
	int64_t due = prov_engine_due(h->eng), now, real;

	if (h->eng_timer != 0)
		loop_timer_del(h->loop, h->eng_timer);
	h->eng_timer = 0;
	if (due == INT64_MAX)
		return;
	now = dev_mono_ms(h);
	real = clock_mono_ms() + (due > now ? (int64_t)((double)(due - now) / h->scale) : 0);
	h->eng_timer = loop_timer_add(h->loop, real, eng_fire, h);
}

static void
eng_fire(void *arg)
{
	struct host *h = arg;

	h->eng_timer = 0;
	prov_engine_tick(h->eng);
	eng_arm(h);
}

static void
on_rule(void *arg, const struct prov_rule_report *r)
{
	struct host *h = arg;
	FILE *out = h->agent ? stderr : stdout;

	if (r->ok)
		fprintf(out, "rule %c: %s: ok, %zu bytes, %zu changed%s%s\n", r->rule,
			r->url[0] ? r->url : "(no fetch)", r->bytes, r->apply.changed,
			r->apply.rejected ? ", rejected " : "",
			r->apply.rejected ? "some values" : "");
	else
		fprintf(out, "rule %c: %s: failed: %s\n", r->rule,
			r->url[0] ? r->url : "(no fetch)", r->err);
}

static void
on_result(void *arg, const struct prov_resync_result *r)
{
	struct host *h = arg;
	FILE *out = h->agent ? stderr : stdout;

	if (r->ok)
		fprintf(out, "resync: ok\n");
	else
		fprintf(out, "resync failed: %s\n", r->err);
	fflush(out);
	h->result = r->ok ? 0 : 1;
	if (!h->agent)
		loop_stop(h->loop);
	else
		eng_arm(h);
}

static void
on_stop(void *arg, int signo)
{
	struct host *h = arg;

	(void)signo;
	loop_stop(h->loop);
}

static void
on_deadline(void *arg)
{
	struct host *h = arg;

	fprintf(stdout, "resync failed: timeout\n");
	h->result = 1;
	loop_stop(h->loop);
}

static int admin_reboot_of(void *arg);

static void
upgrade_reboot_fire(void *arg)
{
	struct host *h = arg;

	if (admin_reboot_of(h) != 0)
		fprintf(stderr, "prov: phone run: reboot after upgrade failed\n");
}

/* An upgrade was installed (D-UPG-2; the reason Upgrade is recorded). The
 * agent reboots its engine from the loop, outside the engine's call; a
 * one-shot resync only says so: the next `prov phone run` boots it. */
static void
on_reboot(void *arg)
{
	struct host *h = arg;
	FILE *out = h->agent ? stderr : stdout;

	fprintf(out, "upgrade: installed %s, rebooting\n", prov_device_identity(h->dev, "SWVER"));
	fflush(out);
	if (h->agent)
		loop_timer_add(h->loop, clock_mono_ms(), upgrade_reboot_fire, h);
}

/* One line per report item on stderr (failures are also sent to syslog
 * by libprov and retried once). */
static void
on_report(void *arg, const struct prov_report_result *r)
{
	(void)arg;
	if (r->ok)
		fprintf(stderr, "prov: phone run: report (%s): %s: ok, %zu bytes\n", r->why,
			r->url, r->bytes);
	else
		fprintf(stderr, "prov: phone run: report (%s): %s: failed: %s\n", r->why,
			r->url[0] ? r->url : "-", r->err);
}

static int
host_init(struct host *h, struct prov_device *dev, double scale, int agent)
{
	static const struct prov_net_ops ops = { net_watch, net_timer };

	memset(h, 0, sizeof(*h));
	h->clk.mono_ms = dev_mono_ms;
	h->clk.wall_s = dev_wall_s;
	h->clk.arg = h;
	h->dev = dev;
	h->scale = scale;
	h->agent = agent;
	h->result = -1;
	h->loop = loop_new();
	if (h->loop == NULL)
		return -1;
	h->base_real = clock_mono_ms();
	h->base_wall = clock_local_s();
	if (prov_net_new(&ops, h, &h->net) != PROV_OK)
		return -1;
	if (prov_engine_new(dev, h->net, &h->clk, &h->eng) != PROV_OK)
		return -1;
	prov_engine_on_rule(h->eng, on_rule, h);
	prov_engine_on_result(h->eng, on_result, h);
	prov_engine_on_reboot(h->eng, on_reboot, h);
	if (agent) {
		if (prov_report_new(dev, h->net, &h->clk, &h->rep) != PROV_OK)
			return -1;
		prov_report_on_result(h->rep, on_report, h);
	}
	if (loop_signal(h->loop, SIGTERM, on_stop, h) != 0 ||
	    loop_signal(h->loop, SIGINT, on_stop, h) != 0)
		return -1;
	return 0;
}

static void
host_fini(struct host *h)
{
	prov_report_free(h->rep);
	prov_engine_free(h->eng);
	prov_net_free(h->net);
	loop_free(h->loop);
}

/* ---- commands -------------------------------------------------------------- */

int
phone_resync(int argc, char **argv)
{
	struct host h;
	struct prov_device *dev;
	const char *dir, *code, *service;
	int status, i;
	enum prov_err rc;

	argc = activation_opts("phone resync", argc, argv, &code, &service);
	if (argc < 0)
		return EXIT_USAGE;
	i = cli_state_opts("phone resync", resync_help, argc, argv, &dir, NULL, NULL);
	if (i < 0)
		return i == CLI_HELPED ? EXIT_OK : -i;
	if (argc - i > 1)
		return cli_usage("phone resync", "expected at most one RULE");
	dev = cli_open("phone resync", dir, &status);
	if (dev == NULL)
		return status;
	if ((status = activation_store("phone resync", dev, code, service)) != 0) {
		prov_device_free(dev);
		return status;
	}
	if (host_init(&h, dev, 1.0, 0) != 0) {
		cli_err("phone resync: cannot set up the network");
		status = EXIT_FAIL;
		goto out;
	}
	rc = prov_engine_resync(h.eng, i < argc ? argv[i] : NULL);
	if (rc == PROV_E_DENIED) {
		printf("resync failed: provisioning disabled (Provision_Enable = No)\n");
		status = EXIT_FAIL;
		goto out;
	}
	if (rc != PROV_OK) {
		cli_err("phone resync: %s", prov_strerror(rc));
		status = EXIT_FAIL;
		goto out;
	}
	if (h.result < 0) {
		loop_timer_add(h.loop, clock_mono_ms() + RESYNC_DEADLINE_MS, on_deadline, &h);
		loop_run(h.loop);
	}
	status = h.result == 0 ? EXIT_OK : EXIT_FAIL;
out:
	host_fini(&h);
	prov_device_free(dev);
	return status;
}

/* The agent's once-a-second look at its state: line activity set by
 * `prov phone line`, and parameters changed by others (the engine reloads
 * them itself; the schedule's timer is re-armed here). */
static void
housekeeping(void *arg)
{
	struct host *h = arg;
	char *v = NULL;
	unsigned lines = 0;

	if (prov_device_status_get(h->dev, "line_busy", &v) == PROV_OK && v != NULL)
		lines = (unsigned)strtoul(v, NULL, 10);
	free(v);
	if (lines != h->lines) {
		for (unsigned n = 1; n <= 10; n++)
			prov_engine_line(h->eng, n, (lines >> (n - 1)) & 1);
		h->lines = lines;
	}
	if (!prov_engine_running(h->eng)) {
		prov_engine_tick(h->eng); /* also re-plans after parameter changes */
		eng_arm(h);
	}
	/* Reports: local changes, the periodic one, a retry (D-REP-1); a
	 * second of lateness is within what Report_To_Server promises. */
	if (h->rep != NULL)
		prov_report_tick(h->rep);
	loop_timer_add(h->loop, clock_mono_ms() + AGENT_HOUSEKEEPING_MS, housekeeping, h);
}

/* The admin web interface's view of the host (phone/admin.h). */
static struct prov_engine *
admin_engine_of(void *arg)
{
	return ((struct host *)arg)->eng;
}

static void
admin_changed_of(void *arg)
{
	eng_arm(arg);
}

/* /admin/reboot: a new engine replaces the old one (which cancels a resync
 * in progress) and boots; on failure the old one stays. */
static int
admin_reboot_of(void *arg)
{
	struct host *h = arg;
	struct prov_engine *eng;

	if (prov_engine_new(h->dev, h->net, &h->clk, &eng) != PROV_OK)
		return -1;
	prov_engine_free(h->eng);
	h->eng = eng;
	prov_engine_on_rule(eng, on_rule, h);
	prov_engine_on_result(eng, on_result, h);
	prov_engine_on_reboot(eng, on_reboot, h);
	fprintf(stderr, "prov: phone run: rebooting\n");
	prov_engine_boot(eng);
	eng_arm(h);
	return 0;
}

/* Takes OPT ADDR:PORT (or OPT=ADDR:PORT) out of argv, which
 * cli_state_opts then parses. Returns the new argc, or -1 if OPT lacks its
 * value. */
static int
take_addr_opt(int argc, char **argv, const char *opt, const char **addr)
{
	size_t ol = strlen(opt);
	int n = 0;

	*addr = NULL;
	for (int i = 0; i < argc; i++) {
		if (i > 0 && strcmp(argv[i], opt) == 0) {
			if (i + 1 >= argc)
				return -1;
			*addr = argv[++i];
		} else if (i > 0 && strncmp(argv[i], opt, ol) == 0 && argv[i][ol] == '=') {
			*addr = argv[i] + ol + 1;
		} else {
			argv[n++] = argv[i];
		}
	}
	argv[n] = NULL;
	return n;
}

/* SIP NOTIFY's view of the host (phone/sip.h). Actions run after the
 * answer is sent; reboot and restart replace the engine, which the SIP
 * listener does not hold, so they may run right away. */
static void
sip_resync_of(void *arg)
{
	struct host *h = arg;
	enum prov_err e = prov_engine_resync(h->eng, NULL);

	if (e != PROV_OK)
		fprintf(stderr, "prov: phone run: SIP resync refused: %s\n", prov_strerror(e));
	else
		fprintf(stderr, "prov: phone run: SIP resync\n");
	eng_arm(h);
}

static void
sip_reboot_of(void *arg)
{
	struct host *h = arg;

	if (prov_device_reboot_record(h->dev, "SIP Triggered", h->clk.wall_s(h)) != PROV_OK)
		fprintf(stderr, "prov: phone run: reboot reason not recorded: %s\n",
			prov_device_errmsg(h->dev));
	if (admin_reboot_of(h) != 0)
		fprintf(stderr, "prov: phone run: SIP reboot failed\n");
}

static void
sip_restart_of(void *arg)
{
	if (admin_reboot_of(arg) != 0)
		fprintf(stderr, "prov: phone run: SIP restart failed\n");
}

static void
sip_report_of(void *arg)
{
	struct host *h = arg;
	enum prov_err e = prov_report_send(h->rep, NULL, "sip");

	if (e == PROV_E_INVAL)
		fprintf(stderr, "prov: phone run: SIP report: Report_Rule is empty\n");
	else if (e != PROV_OK)
		fprintf(stderr, "prov: phone run: SIP report refused: %s\n", prov_strerror(e));
	else
		fprintf(stderr, "prov: phone run: SIP report\n");
}

static void
sip_xml_of(void *arg, const char *body, size_t len)
{
	(void)arg;
	(void)body;
	fprintf(stderr, "prov: phone run: SIP XML-Service (%zu bytes): no XML service here\n", len);
}

static void
sip_log_of(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "prov: phone run: %s\n", line);
}

int
phone_run(int argc, char **argv)
{
	struct host h;
	struct prov_device *dev;
	struct admin *admin = NULL;
	struct sip *sip = NULL;
	struct dhcp_result dhcp;
	const char *dir, *admin_addr, *sip_addr, *dhcp_if = NULL, *code, *service;
	double scale = 1.0;
	int status, i;
	char msg[256], dhcp_src[128];

	argc = activation_opts("phone run", argc, argv, &code, &service);
	if (argc < 0)
		return EXIT_USAGE;
	argc = take_addr_opt(argc, argv, "--admin", &admin_addr);
	if (argc < 0)
		return cli_usage("phone run", "--admin needs ADDR:PORT");
	argc = take_addr_opt(argc, argv, "--sip", &sip_addr);
	if (argc < 0)
		return cli_usage("phone run", "--sip needs ADDR:PORT");
	memset(&dhcp, 0, sizeof(dhcp));
	argc = dhcp_take_args(argc, argv, &dhcp, &dhcp_if, msg, sizeof(msg));
	if (argc < 0)
		return cli_usage("phone run", "%s", msg);
	i = cli_state_opts("phone run", run_help, argc, argv, &dir, &scale, NULL);
	if (i < 0)
		return i == CLI_HELPED ? EXIT_OK : -i;
	if (i != argc)
		return cli_usage("phone run", "unexpected argument '%s'", argv[i]);
	dev = cli_open("phone run", dir, &status);
	if (dev == NULL)
		return status;
	if ((status = activation_store("phone run", dev, code, service)) != 0) {
		prov_device_free(dev);
		return status;
	}
	/* DHCP (phone/dhcp.h): stored before the engine's first resync. */
	if ((dhcp_if != NULL || dhcp.n > 0) &&
	    dhcp_learn(dev, &dhcp, dhcp_if, (int64_t)time(NULL), NULL, dhcp_src,
		       sizeof(dhcp_src), msg, sizeof(msg)) != 0)
		cli_err("phone run: DHCP: %s", msg);
	else if (dhcp_if != NULL || dhcp.n > 0)
		fprintf(stderr, "prov: phone run: DHCP options from %s\n", dhcp_src);
	if (host_init(&h, dev, scale, 1) != 0) {
		cli_err("phone run: cannot set up the loop and network");
		status = EXIT_FAIL;
		goto out;
	}
	if (admin_addr != NULL) {
		struct admin_ops ops = { admin_engine_of, admin_reboot_of, admin_changed_of, &h, dir };

		int rc = admin_new(&admin, h.loop, dev, &ops, admin_addr, msg, sizeof(msg));

		if (rc != 0) {
			cli_err("phone run: --admin %s", msg);
			status = rc == -2 ? EXIT_USAGE : EXIT_FAIL;
			goto out;
		}
		fprintf(stderr, "prov: phone run: admin web on port %d\n", admin_port(admin));
	}
	if (sip_addr != NULL) {
		struct sip_actions act = { sip_resync_of, sip_report_of, sip_reboot_of,
					   sip_restart_of, sip_xml_of, &h };

		if (sip_new(&sip, h.loop, dev, sip_addr, &act, msg, sizeof(msg)) != 0) {
			cli_err("phone run: --sip %s", msg);
			status = EXIT_USAGE;
			goto out;
		}
		sip_set_log(sip, sip_log_of, &h);
		fprintf(stderr, "prov: phone run: SIP on port %d\n", sip_port(sip));
	}
	fprintf(stderr, "prov: phone run: %s booting%s\n", dir,
		scale != 1.0 ? " (accelerated clock)" : "");
	prov_engine_boot(h.eng);
	fprintf(stderr, "prov: phone run: next: %s\n", prov_engine_next(h.eng));
	eng_arm(&h);
	housekeeping(&h);
	status = loop_run(h.loop) == 0 ? EXIT_OK : EXIT_FAIL;
	fprintf(stderr, "prov: phone run: stopping\n");
out:
	sip_free(sip);
	admin_free(admin);
	host_fini(&h);
	prov_device_free(dev);
	return status;
}

static const char *const status_keys[] = {
	"last_resync_time", "last_resync_result", "last_resync_err", "rule_A",
	"rule_B", "rule_C", "rule_D", "rule_X", "next_resync", "last_server",
	"line_busy", "reboot_reasons", "custom_ca", "mic",
	"upgrade_check", "upgrade_st", "upgrade_last_url",
	"upgrade_last_version", "upgrade_last_result", "upgrade_last_err",
	"upgrade_last_time", "upgrade_next_retry", "license_url", "license_result",
	"license_err", "license_bytes", "last_report_time", "last_report_result",
	"last_report_err", "dhcp_learned", "dhcp_source",
	"activation", "activation_service",
};

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

int
phone_status(int argc, char **argv)
{
	static const char *const ids[] = { "MAC", "SN", "PN", "PSN", "SWVER", "HWVER" };
	struct prov_device *dev;
	const char *dir;
	int json = 0, status, i = cli_state_opts("phone status", status_help, argc, argv, &dir, NULL, &json);
	char *ccert = NULL;

	if (i < 0)
		return i == CLI_HELPED ? EXIT_OK : -i;
	if (i != argc)
		return cli_usage("phone status", "unexpected argument '%s'", argv[i]);
	dev = cli_open("phone status", dir, &status);
	if (dev == NULL)
		return status;
	if (prov_expand(dev, "$CCERT", 0, &ccert) != PROV_OK)
		ccert = NULL;
	if (json)
		printf("{");
	for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
		const char *v = prov_device_identity(dev, ids[k]);

		if (json) {
			printf("%s", k ? "," : "");
			json_str(ids[k]);
			putchar(':');
			json_str(v);
		} else {
			printf("%-20s %s\n", ids[k], v);
		}
	}
	if (json) {
		printf(",\"CCERT\":");
		json_str(ccert ? ccert : "");
	} else {
		printf("%-20s %s\n", "client certificate", ccert ? ccert : "");
	}
	for (size_t k = 0; k < sizeof(status_keys) / sizeof(status_keys[0]); k++) {
		char *v = NULL;

		if (prov_device_status_get(dev, status_keys[k], &v) != PROV_OK) {
			free(v);
			continue;
		}
		if (json) {
			putchar(',');
			json_str(status_keys[k]);
			putchar(':');
			json_str(v);
		} else {
			/* Multi-line values (reboot_reasons): one line each,
			 * aligned under the first. */
			char *line = v, *nl;

			printf("%-20s", status_keys[k]);
			for (; (nl = strchr(line, '\n')) != NULL; line = nl + 1)
				printf(" %.*s\n%-20s", (int)(nl - line), line, "");
			printf(" %s\n", line);
		}
		free(v);
	}
	if (json) {
		printf(",\"unknown\":[");
		for (size_t k = 0; k < prov_device_unknown_count(dev); k++) {
			printf("%s", k ? "," : "");
			json_str(prov_device_unknown_name(dev, k));
		}
		printf("]}\n");
	} else {
		printf("%-20s %zu\n", "unknown parameters", prov_device_unknown_count(dev));
	}
	free(ccert);
	prov_device_free(dev);
	return EXIT_OK;
}

int
phone_line(int argc, char **argv)
{
	struct prov_device *dev;
	const char *dir;
	int status, i = cli_state_opts("phone line", line_help, argc, argv, &dir, NULL, NULL);
	unsigned long n;
	unsigned lines = 0;
	char *v = NULL, *end, buf[16];

	if (i < 0)
		return i == CLI_HELPED ? EXIT_OK : -i;
	if (argc - i != 2)
		return cli_usage("phone line", "expected N busy|idle");
	n = strtoul(argv[i], &end, 10);
	if (*end != '\0' || n < 1 || n > 10)
		return cli_usage("phone line", "line must be 1..10, not '%s'", argv[i]);
	if (strcmp(argv[i + 1], "busy") != 0 && strcmp(argv[i + 1], "idle") != 0)
		return cli_usage("phone line", "expected busy or idle, not '%s'", argv[i + 1]);
	dev = cli_open("phone line", dir, &status);
	if (dev == NULL)
		return status;
	if (prov_device_status_get(dev, "line_busy", &v) == PROV_OK && v != NULL)
		lines = (unsigned)strtoul(v, NULL, 10);
	free(v);
	if (strcmp(argv[i + 1], "busy") == 0)
		lines |= 1u << (n - 1);
	else
		lines &= ~(1u << (n - 1));
	snprintf(buf, sizeof(buf), "%u", lines);
	status = EXIT_OK;
	if (prov_device_status_set(dev, "line_busy", buf) != PROV_OK) {
		cli_err("phone line: %s", prov_device_errmsg(dev));
		status = EXIT_FAIL;
	}
	prov_device_free(dev);
	return status;
}
