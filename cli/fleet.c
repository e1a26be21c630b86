/*
 * `prov fleet`: N simulated phones in one process, on one event loop, each
 * a real in-memory libprov device (prov_device_new) with its own engine
 * (prov_engine_new) on one shared struct prov_net: the real rules with
 * their macros ($MA differs per phone), conditions, fetch over TFTP, HTTP
 * and HTTPS, decryption, gunzip, apply, Log_*_Msg to syslog and, with
 * --boot-storm, the real schedule (Resync_On_Reset, Resync_Random_Delay,
 * Resync_Error_Retry_Delay). server.md S-SCL-3.
 *
 * libprov owns no loop: the fleet is the host. Every fd the net asks for
 * goes to the loop (one epoll for all phones); the net's one timer is a
 * loop timer; each phone's schedule is one loop timer (a min-heap slot, a
 * few bytes), armed for prov_engine_due.
 *
 * Two modes:
 *   explicit (default): --concurrency resyncs are kept in flight, each an
 *     explicit resync (prov_engine_resync, PRVST -1) of the next phone in
 *     turn; without --duration every phone resyncs once, with it the
 *     phones go round until the time is up. This is the throughput run.
 *   --boot-storm: every phone powers on at once (prov_engine_boot) and
 *     from then on follows its own schedule; a phone whose resync is due
 *     while --concurrency are in flight waits its turn (a bound of the load
 *     generator, not of a phone: set it above what the server can hold).
 *     Without --duration the storm ends when every phone is provisioned or
 *     sent into a long retry (a failed resync whose next attempt is over
 *     FLEET_LONG_RETRY_S away: Resync_Error_Retry_Delay is 3600 s by
 *     default), which is what a server must never do under load.
 */
#include "cli.h"
#include "fleet.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"

static const char fleet_help[] =
"usage: prov fleet --count N --rule RULE [--mac-base MAC] [--concurrency C]\n"
"                  [--duration S] [--boot-storm] [--report FILE]\n"
"                  [--set NAME=VALUE ...] [--product PN] [--progress S]\n"
"\n"
"Runs N simulated phones in this process, each a real device with the real\n"
"resync engine (rules, macros, TFTP/HTTP/HTTPS, decryption, syslog), against\n"
"any provisioning server, and prints what happened.\n"
"\n"
"  --count N          phones to simulate (1..1000000)\n"
"  --rule RULE        every phone's Profile_Rule, e.g.\n"
"                     'http://127.0.0.1:8080/$MA.xml' ($MA differs per phone)\n"
"  --mac-base MAC     MAC of the first phone; phone i has MAC + i\n"
"                     (default 02:00:00:00:00:00, locally administered)\n"
"  --concurrency C    resyncs in flight at most (default 256; each holds one\n"
"                     socket)\n"
"  --duration S       run for S seconds: without --boot-storm the phones\n"
"                     resync in turn until then; with it the phones keep\n"
"                     their schedule until then. Without --duration every\n"
"                     phone resyncs once (explicit) or the storm runs until\n"
"                     every phone is provisioned or in a long retry.\n"
"  --boot-storm       power every phone on at once (they finish booting within\n"
"                     a second of each other): each resyncs after its own\n"
"                     random delay (0..Resync_Random_Delay x 20 s) and\n"
"                     retries as a phone does\n"
"  --report FILE      write the results as JSON to FILE and a chart of\n"
"                     resyncs/s and p99 latency over time to FILE's name\n"
"                     without .json, plus .svg\n"
"  --set NAME=VALUE   set a parameter on every phone before it starts\n"
"                     (repeatable), e.g. Resync_Random_Delay=60,\n"
"                     Syslog_Server=HOST:PORT (one socket per phone)\n"
"  --product PN       every phone's product ($PN, $PSN)\n"
"  --progress S       print a progress line every S seconds (default: on a\n"
"                     terminal, one line redrawn every second; otherwise none)\n"
"\n"
"The summary gives attempts, successes, failures by $ERR, latency\n"
"percentiles (from the start of a resync to its end), resyncs/s over time,\n"
"CPU time and peak memory. With --boot-storm, a failed resync whose next\n"
"attempt is over 10 s away (Resync_Error_Retry_Delay: 60 s, 120 s, ... up\n"
"to a day by default) counts as a long retry: a server under a boot storm\n"
"should answer so that there are none.\n"
"\n"
"Exit status: 0 when every phone was provisioned, 1 otherwise, 2 on bad\n"
"usage.\n";

enum phone_state { PH_IDLE, PH_QUEUED, PH_RUNNING };

struct fleet;

/* One simulated phone: a device, its engine, and the host's bookkeeping. */
struct phone {
	struct prov_device *dev;
	struct prov_engine *eng;
	struct fleet *f;
	uint64_t timer;            /* its schedule's loop timer, 0 none */
	int64_t start_us;          /* the resync in flight began */
	uint32_t next;             /* in the queue of phones waiting a slot */
	uint8_t state;             /* enum phone_state */
	uint8_t provisioned;       /* had a successful resync */
	uint8_t long_retry;        /* its last resync failed into a long retry */
};

#define NO_PHONE UINT32_MAX

/* One shard of the network: a prov_net (one libcurl multi handle) with
 * its timer. libcurl's multi handle does work linear in its transfers on
 * every removal (and more), so thousands of transfers in one get slow
 * quadratically; phones are spread over nets of about
 * FLEET_NET_TRANSFERS transfers in flight each. */
struct fleet_net {
	struct fleet *f;
	struct prov_net *net;
	uint64_t timer;
};

struct fleet {
	struct loop *loop;
	struct fleet_net *nets;
	size_t nnets;
	struct phone *ph;
	unsigned long count, concurrency, inflight;
	unsigned long cursor;       /* explicit: the next phone to resync */
	unsigned long started;      /* explicit: resyncs started */
	unsigned long settled;      /* storm: phones provisioned or in long retry */
	uint32_t qhead, qtail;      /* phones waiting for a slot */
	uint64_t pump_timer;
	int storm, stopping, drain_armed;
	long duration_s;
	int progress_tty;           /* redraw a line on stderr */
	long progress_s;            /* or a line every progress_s */
	int64_t last_progress_ms;
	struct fleet_stats st;
	int failed_start;           /* a resync could not start: a fleet error */
};

/* ---- the host side of libprov's net ---------------------------------------- */

static void
host_fd(void *arg, int fd, unsigned events)
{
	struct fleet_net *n = arg;

	prov_net_fd(n->net, fd, ((events & LOOP_IN) ? PROV_IN : 0) |
			       ((events & LOOP_OUT) ? PROV_OUT : 0));
}

static void
net_watch(void *arg, int fd, unsigned events)
{
	struct fleet_net *n = arg;

	if (loop_fd(n->f->loop, fd, ((events & PROV_IN) ? LOOP_IN : 0) |
			       ((events & PROV_OUT) ? LOOP_OUT : 0), host_fd, n) != 0)
		cli_err("fleet: cannot watch fd %d: %s", fd, strerror(errno));
}

static void
net_fire(void *arg)
{
	struct fleet_net *n = arg;

	n->timer = 0;
	prov_net_timeout(n->net);
}

static void
net_timer(void *arg, long ms)
{
	struct fleet_net *n = arg;

	if (n->timer != 0)
		loop_timer_del(n->f->loop, n->timer);
	n->timer = ms < 0 ? 0 : loop_timer_add(n->f->loop, clock_mono_ms() + ms, net_fire, n);
}

/* ---- phones -------------------------------------------------------------------- */

static void phone_fire(void *arg);
static void pump_soon(struct fleet *f);

static void
phone_arm(struct phone *p)
{
	int64_t due = prov_engine_due(p->eng);

	if (p->timer != 0)
		loop_timer_del(p->f->loop, p->timer);
	p->timer = 0;
	if (due != INT64_MAX)
		p->timer = loop_timer_add(p->f->loop, due, phone_fire, p);
}

static void
queue_push(struct fleet *f, struct phone *p)
{
	uint32_t i = (uint32_t)(p - f->ph);

	p->state = PH_QUEUED;
	p->next = NO_PHONE;
	if (f->qtail == NO_PHONE)
		f->qhead = i;
	else
		f->ph[f->qtail].next = i;
	f->qtail = i;
}

static struct phone *
queue_pop(struct fleet *f)
{
	struct phone *p;

	if (f->qhead == NO_PHONE)
		return NULL;
	p = &f->ph[f->qhead];
	f->qhead = p->next;
	if (f->qhead == NO_PHONE)
		f->qtail = NO_PHONE;
	p->state = PH_IDLE;
	return p;
}

/* The resync of p has started (or not: the engine found nothing due). */
static void
phone_started(struct phone *p, int64_t t_us)
{
	struct fleet *f = p->f;

	if (!prov_engine_running(p->eng)) {
		if (f->storm)
			phone_arm(p);
		return;
	}
	p->state = PH_RUNNING;
	p->start_us = t_us;
	f->inflight++;
	f->st.attempts++;
}

/* Storm: the schedule of p is due. */
static void
storm_start(struct phone *p)
{
	int64_t t = clock_mono_us();

	prov_engine_tick(p->eng);
	phone_started(p, t);
}

/* Storm: power is back and p has booted. */
static void
phone_boot(void *arg)
{
	struct phone *p = arg;

	p->timer = 0;
	if (p->f->stopping)
		return;
	prov_engine_boot(p->eng);
	phone_arm(p);
}

static void
phone_fire(void *arg)
{
	struct phone *p = arg;
	struct fleet *f = p->f;

	p->timer = 0;
	if (f->stopping || p->state != PH_IDLE)
		return;
	if (f->inflight >= f->concurrency) {
		queue_push(f, p);
		return;
	}
	storm_start(p);
}

/* Explicit: starts resyncs until concurrency are in flight. */
static void
explicit_pump(struct fleet *f)
{
	unsigned long tries = 0;

	while (!f->stopping && f->inflight < f->concurrency && tries < f->count &&
	       (f->duration_s > 0 || f->started < f->count)) {
		struct phone *p = &f->ph[f->cursor];
		int64_t t = clock_mono_us();
		enum prov_err rc;

		f->cursor = (f->cursor + 1) % f->count;
		tries++;
		if (p->state != PH_IDLE)
			continue;
		rc = prov_engine_resync(p->eng, NULL);
		if (rc != PROV_OK) {
			cli_err("fleet: phone %lu: resync refused: %s: %s",
				(unsigned long)(p - f->ph), prov_strerror(rc),
				prov_device_errmsg(p->dev));
			f->failed_start = 1;
			f->stopping = 1;
			break;
		}
		f->started++;
		tries = 0;
		phone_started(p, t);
	}
}

static void
storm_pump(struct fleet *f)
{
	struct phone *p;

	while (!f->stopping && f->inflight < f->concurrency && (p = queue_pop(f)) != NULL)
		storm_start(p);
}

static void
pump_fire(void *arg)
{
	struct fleet *f = arg;

	f->pump_timer = 0;
	if (f->storm)
		storm_pump(f);
	else
		explicit_pump(f);
	if (f->inflight == 0 && (f->stopping || (!f->storm && f->duration_s == 0 &&
						 f->started >= f->count)))
		loop_stop(f->loop);
}

/* Starts more resyncs from the loop, not from inside an engine's callback. */
static void
pump_soon(struct fleet *f)
{
	if (f->pump_timer == 0)
		f->pump_timer = loop_timer_add(f->loop, loop_now(f->loop), pump_fire, f);
}

static int
settled(const struct phone *p)
{
	return p->provisioned || p->long_retry;
}

static void
on_result(void *arg, const struct prov_resync_result *r)
{
	struct phone *p = arg;
	struct fleet *f = p->f;
	int64_t now = clock_mono_us();
	int was = settled(p);

	if (p->state != PH_RUNNING)
		return; /* not a resync the fleet started: cannot happen, but count nothing */
	p->state = PH_IDLE;
	f->inflight--;
	fleet_stats_add(&f->st, now, r->ok, r->err, now - p->start_us);
	if (r->ok) {
		p->long_retry = 0;
		if (!p->provisioned) {
			p->provisioned = 1;
			f->st.provisioned++;
			f->st.last_provisioned_us = now - f->st.t0_us;
		}
	} else if (f->storm) {
		int64_t due = prov_engine_due(p->eng);

		p->long_retry = due != INT64_MAX &&
				due - clock_mono_ms() > (int64_t)FLEET_LONG_RETRY_S * 1000;
		f->st.long_retries += p->long_retry;
	}
	if (f->storm) {
		f->settled += (unsigned long)(settled(p) - was);
		if (!f->stopping)
			phone_arm(p);
		if (f->duration_s == 0 && f->settled == f->count)
			f->stopping = 1;
	}
	pump_soon(f);
}

/* ---- progress, deadline, signals ---------------------------------------------- */

static void
progress_line(struct fleet *f, int final)
{
	double el = (double)(clock_mono_us() - f->st.t0_us) / 1e6;

	fprintf(stderr, "%s%8.1f s  phones %lu  in flight %lu  ok %llu  failed %llu  "
			"provisioned %llu  long retries %llu  %.0f resyncs/s%s",
		f->progress_tty ? "\r" : "", el, f->count, f->inflight,
		(unsigned long long)f->st.ok, (unsigned long long)f->st.failed,
		(unsigned long long)f->st.provisioned, (unsigned long long)f->st.long_retries,
		el > 0 ? (double)(f->st.ok + f->st.failed) / el : 0.0,
		f->progress_tty && !final ? "   " : "\n");
	fflush(stderr);
}

static void
progress_fire(void *arg)
{
	struct fleet *f = arg;
	int64_t every = f->progress_s > 0 ? f->progress_s * 1000 : 1000;

	progress_line(f, 0);
	if (loop_timer_add(f->loop, loop_now(f->loop) + every, progress_fire, f) == 0)
		cli_err("fleet: out of memory");
}

static void
drain_fire(void *arg)
{
	struct fleet *f = arg;

	loop_stop(f->loop); /* what is still in flight is cancelled and counted */
}

static void
stop_now(struct fleet *f)
{
	f->stopping = 1;
	if (f->inflight == 0) {
		loop_stop(f->loop);
	} else if (!f->drain_armed) {
		f->drain_armed = 1;
		(void)loop_timer_add(f->loop, loop_now(f->loop) + FLEET_DRAIN_MS, drain_fire, f);
	}
}

static void
deadline_fire(void *arg)
{
	stop_now(arg);
}

static void
on_signal(void *arg, int signo)
{
	struct fleet *f = arg;

	(void)signo;
	if (f->stopping) {
		loop_stop(f->loop); /* a second ^C: now */
		return;
	}
	stop_now(f);
}

/* ---- setup ------------------------------------------------------------------------ */

static int
parse_ulong(const char *opt, const char *s, unsigned long lo, unsigned long hi,
	    unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v < lo || v > hi)
		return cli_usage("fleet", "%s takes %lu..%lu, not '%s'", opt, lo, hi, s);
	*out = v;
	return 0;
}

/* 12 hex digits, with or without ':' or '-' between pairs. */
static int
parse_mac(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0;

	for (const char *c = s; *c != '\0'; c++) {
		int d;

		if ((*c == ':' || *c == '-') && n > 0 && n % 2 == 0)
			continue;
		if (*c >= '0' && *c <= '9')
			d = *c - '0';
		else if (*c >= 'a' && *c <= 'f')
			d = *c - 'a' + 10;
		else if (*c >= 'A' && *c <= 'F')
			d = *c - 'A' + 10;
		else
			return -1;
		if (++n > 12)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	if (n != 12)
		return -1;
	*out = v;
	return 0;
}

static double
cpu_now(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long
proc_kb(const char *key)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	size_t n = strlen(key);
	long v = 0;

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, key, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(fp);
	return v;
}

/* Room for the sockets: the soft fd limit raised to the hard one. */
static unsigned long
fds_available(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? FLEET_CONCURRENCY_MAX * 2ul : (unsigned long)rl.rlim_cur;
}

struct fleet_opts {
	unsigned long count, concurrency, duration, progress;
	const char *rule, *product, *report;
	uint64_t mac;
	int storm;
	const char *set_name[FLEET_SETS_MAX];
	const char *set_value[FLEET_SETS_MAX];
	size_t nset;
	char set_buf[FLEET_SETS_MAX][256];
};

static int
phones_new(struct fleet *f, const struct fleet_opts *o)
{
	for (unsigned long i = 0; i < f->count; i++) {
		struct phone *p = &f->ph[i];
		struct prov_identity id;
		char mac[13];
		enum prov_err rc;

		memset(&id, 0, sizeof(id));
		snprintf(mac, sizeof(mac), "%012llx", (unsigned long long)(o->mac + i));
		id.mac = mac;
		id.product = o->product;
		p->f = f;
		p->next = NO_PHONE;
		p->dev = prov_device_new(&id, &rc);
		if (p->dev == NULL) {
			cli_err("fleet: phone %lu (%s): %s", i, mac, prov_strerror(rc));
			return cli_exit_for(rc);
		}
		rc = prov_device_set(p->dev, "Profile_Rule", o->rule, 0);
		if (rc == PROV_OK && o->nset > 0)
			rc = prov_device_set_many(p->dev, o->set_name, o->set_value, o->nset, 0);
		if (rc != PROV_OK) {
			cli_err("fleet: %s", prov_device_errmsg(p->dev));
			return cli_exit_for(rc);
		}
		rc = prov_engine_new(p->dev, f->nets[i % f->nnets].net, NULL, &p->eng);
		if (rc != PROV_OK) {
			cli_err("fleet: phone %lu: %s", i, prov_strerror(rc));
			return EXIT_FAIL;
		}
		prov_engine_on_result(p->eng, on_result, p);
	}
	return EXIT_OK;
}

static void
fleet_free(struct fleet *f)
{
	if (f->ph != NULL) {
		for (unsigned long i = 0; i < f->count; i++) {
			prov_engine_free(f->ph[i].eng);
			prov_device_free(f->ph[i].dev);
		}
		free(f->ph);
	}
	for (size_t i = 0; f->nets != NULL && i < f->nnets; i++)
		prov_net_free(f->nets[i].net);
	free(f->nets);
	loop_free(f->loop);
	fleet_stats_fini(&f->st);
}

static int
fleet_opts_parse(int argc, char **argv, struct fleet_opts *o)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "count", required_argument, NULL, 'n' },
		{ "rule", required_argument, NULL, 'r' },
		{ "mac-base", required_argument, NULL, 'm' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "boot-storm", no_argument, NULL, 'b' },
		{ "report", required_argument, NULL, 'o' },
		{ "set", required_argument, NULL, 's' },
		{ "product", required_argument, NULL, 'p' },
		{ "progress", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	int c, have_count = 0;
	char msg[256];

	memset(o, 0, sizeof(*o));
	o->concurrency = FLEET_CONCURRENCY_DEFAULT;
	o->mac = 0x020000000000ull;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return CLI_HELPED;
		case 'n':
			if (parse_ulong("--count", optarg, 1, FLEET_COUNT_MAX, &o->count) != 0)
				return -EXIT_USAGE;
			have_count = 1;
			break;
		case 'r':
			o->rule = optarg;
			break;
		case 'm':
			if (parse_mac(optarg, &o->mac) != 0) {
				cli_usage("fleet", "--mac-base takes 12 hex digits, not '%s'", optarg);
				return -EXIT_USAGE;
			}
			break;
		case 'c':
			if (parse_ulong("--concurrency", optarg, 1, FLEET_CONCURRENCY_MAX,
					&o->concurrency) != 0)
				return -EXIT_USAGE;
			break;
		case 'd':
			if (parse_ulong("--duration", optarg, 1, FLEET_DURATION_MAX, &o->duration) != 0)
				return -EXIT_USAGE;
			break;
		case 'b':
			o->storm = 1;
			break;
		case 'o':
			o->report = optarg;
			break;
		case 'p':
			o->product = optarg;
			break;
		case 'P':
			if (parse_ulong("--progress", optarg, 1, 86400, &o->progress) != 0)
				return -EXIT_USAGE;
			break;
		case 's': {
			const char *eq = strchr(optarg, '=');
			size_t n = eq != NULL ? (size_t)(eq - optarg) : 0;

			if (eq == NULL || n == 0 || n >= sizeof(o->set_buf[0])) {
				cli_usage("fleet", "--set takes NAME=VALUE, not '%s'", optarg);
				return -EXIT_USAGE;
			}
			if (o->nset == FLEET_SETS_MAX) {
				cli_usage("fleet", "at most %d --set options", FLEET_SETS_MAX);
				return -EXIT_USAGE;
			}
			memcpy(o->set_buf[o->nset], optarg, n);
			o->set_buf[o->nset][n] = '\0';
			if (prov_param_check(o->set_buf[o->nset], eq + 1, msg, sizeof(msg)) != PROV_OK) {
				cli_usage("fleet", "--set %s: %s", optarg, msg);
				return -EXIT_USAGE;
			}
			o->set_name[o->nset] = o->set_buf[o->nset];
			o->set_value[o->nset] = eq + 1;
			o->nset++;
			break;
		}
		case ':':
			cli_usage("fleet", "%s needs a value", argv[optind - 1]);
			return -EXIT_USAGE;
		default:
			cli_usage("fleet", "unknown option '%s'", argv[optind - 1]);
			return -EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_usage("fleet", "unexpected operand '%s'", argv[optind]);
		return -EXIT_USAGE;
	}
	if (!have_count || o->rule == NULL) {
		cli_usage("fleet", "--count and --rule are required");
		return -EXIT_USAGE;
	}
	if (prov_param_check("Profile_Rule", o->rule, msg, sizeof(msg)) != PROV_OK) {
		cli_usage("fleet", "--rule: %s", msg);
		return -EXIT_USAGE;
	}
	if (o->mac + o->count - 1 > 0xffffffffffffull) {
		cli_usage("fleet", "--mac-base plus --count runs past ff:ff:ff:ff:ff:ff");
		return -EXIT_USAGE;
	}
	return 0;
}

int
cmd_fleet(int argc, char **argv)
{
	static const struct prov_net_ops ops = { net_watch, net_timer };
	static struct fleet_opts o; /* large (--set buffers): not on the stack */
	struct fleet f;
	struct fleet_info info;
	double load[1] = { 0 }, cpu0;
	unsigned long fds;
	int rc, status = EXIT_OK;

	rc = fleet_opts_parse(argc, argv, &o);
	if (rc == CLI_HELPED)
		return cli_help(fleet_help);
	if (rc < 0)
		return -rc;
	fds = fds_available();
	if (o.concurrency + FLEET_FDS_SPARE > fds) {
		cli_err("fleet: --concurrency %lu needs %lu file descriptors, the limit is %lu",
			o.concurrency, o.concurrency + FLEET_FDS_SPARE, fds);
		return EXIT_USAGE;
	}

	memset(&f, 0, sizeof(f));
	f.count = o.count;
	f.concurrency = o.concurrency;
	f.storm = o.storm;
	f.duration_s = (long)o.duration;
	f.qhead = f.qtail = NO_PHONE;
	f.progress_s = (long)o.progress;
	f.progress_tty = o.progress == 0 && isatty(STDERR_FILENO);
	if (fleet_stats_init(&f.st, clock_mono_us()) != 0 ||
	    (f.loop = loop_new()) == NULL ||
	    (f.ph = calloc(f.count, sizeof(*f.ph))) == NULL) {
		cli_err("fleet: out of memory");
		status = EXIT_FAIL;
		goto out;
	}
	f.nnets = (f.concurrency + FLEET_NET_TRANSFERS - 1) / FLEET_NET_TRANSFERS;
	if (f.nnets > f.count)
		f.nnets = f.count;
	if ((f.nets = calloc(f.nnets, sizeof(*f.nets))) == NULL) {
		cli_err("fleet: out of memory");
		status = EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < f.nnets; i++) {
		f.nets[i].f = &f;
		if (prov_net_new(&ops, &f.nets[i], &f.nets[i].net) != PROV_OK) {
			cli_err("fleet: cannot set up the network (libcurl)");
			status = EXIT_FAIL;
			goto out;
		}
	}
	if (loop_signal(f.loop, SIGINT, on_signal, &f) != 0 ||
	    loop_signal(f.loop, SIGTERM, on_signal, &f) != 0) {
		cli_err("fleet: cannot handle signals: %s", strerror(errno));
		status = EXIT_FAIL;
		goto out;
	}
	/* A full socket buffer or a closed peer is an error return, not death. */
	(void)signal(SIGPIPE, SIG_IGN);
	if ((status = phones_new(&f, &o)) != EXIT_OK)
		goto out;

	f.st.t0_us = clock_mono_us();
	cpu0 = cpu_now(); /* setting the phones up is not the run's */
	if (f.storm) {
		/* Power returns at one instant; phones finish booting within
		 * FLEET_BOOT_JITTER_MS of each other, as real ones do (their
		 * random delays are whole seconds: without it, every phone due
		 * in the same second would ask in the same millisecond). */
		srandom((unsigned)clock_mono_us());
		for (unsigned long i = 0; i < f.count; i++) {
			struct phone *p = &f.ph[i];

			p->timer = loop_timer_add(f.loop, clock_mono_ms() + random() % FLEET_BOOT_JITTER_MS,
						  phone_boot, p);
			if (p->timer == 0) {
				cli_err("fleet: out of memory");
				status = EXIT_FAIL;
				goto out;
			}
		}
	} else {
		pump_soon(&f);
	}
	if (f.duration_s > 0)
		(void)loop_timer_add(f.loop, clock_mono_ms() + f.duration_s * 1000, deadline_fire, &f);
	if (f.progress_tty || f.progress_s > 0)
		(void)loop_timer_add(f.loop, clock_mono_ms() + (f.progress_s > 0 ? f.progress_s * 1000 : 1000),
				     progress_fire, &f);
	if (loop_run(f.loop) != 0) {
		cli_err("fleet: event loop failed: %s", strerror(errno));
		status = EXIT_FAIL;
	}
	f.st.end_us = clock_mono_us();
	if (f.progress_tty)
		progress_line(&f, 1);

	memset(&info, 0, sizeof(info));
	info.count = f.count;
	info.rule = o.rule;
	info.storm = f.storm;
	info.concurrency = f.concurrency;
	info.rss_kb = proc_kb("VmRSS");
	info.rss_peak_kb = proc_kb("VmHWM");
	info.cpu_s = cpu_now() - cpu0;
	if (getloadavg(load, 1) == 1)
		info.load1 = load[0];
	/* Resyncs cut off by the end of the run are counted before the summary. */
	for (unsigned long i = 0; i < f.count; i++)
		if (f.ph[i].state == PH_RUNNING) {
			f.st.cancelled++;
			f.ph[i].state = PH_IDLE;
		}
	fleet_summary(stdout, &f.st, &info);
	if (o.report != NULL && fleet_report(o.report, &f.st, &info) != 0)
		status = EXIT_FAIL;
	if (status == EXIT_OK && (f.failed_start || f.st.provisioned < f.count))
		status = EXIT_FAIL;
out:
	fleet_free(&f);
	return status;
}
