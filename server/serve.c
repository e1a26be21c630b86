/*
 * serve: the `prov serve` daemon: options, binding, privileges, worker
 * processes, signals (serve.h, S-NET-5, S-OPS-1, S-OPS-2, R-PRIV).
 *
 * Start-up, in order:
 *   1. options: --config FILE is read first, then every other --NAME VALUE
 *      overrides the file (config.c has the one option table);
 *   2. config_check, and the TLS context is built once to prove the
 *      certificate and key load (--check stops here);
 *   3. the master binds every listener once per worker (SO_REUSEPORT: the
 *      kernel spreads connections and datagrams over the workers), so
 *      ports below 1024 need root only for this step;
 *   4. each worker (forked; or the master itself with --workers 1) opens
 *      the root, the history store and the TLS context, drops root (to
 *      --user, default nobody), then runs its event loop.
 * Signals: SIGHUP reloads the configuration file and certificates and
 * reopens the root in every worker (listeners and the upload directory are
 * kept: a changed address needs a restart); SIGTERM
 * and SIGINT drain: no new requests, transfers in flight finish (at most
 * SERVE_DRAIN_MS), then exit. The master restarts a worker that dies.
 * systemd (Type=notify, docs/PACKAGING.md) hears READY=1 when worker 0
 * serves, RELOADING=1 then READY=1 around a reload and STOPPING=1 at
 * drain; sd_notify does nothing when NOTIFY_SOCKET is unset.
 */
#define _GNU_SOURCE /* SO_REUSEPORT, initgroups */
#include "serve.h"

#include "api.h"
#include "ca.h"
#include "config.h"
#include "guard.h"
#include "render.h"
#include "reportd.h"
#include "http.h"
#include "inventory.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "root.h"
#include "store.h"
#include "syslogd.h"
#include "tftpd.h"
#include "tls.h"
#include "clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <openssl/crypto.h>

static const char usage[] =
"usage: prov serve [--config FILE] [--root DIR] [--db URL]\n"
"                  [--tftp ADDR:PORT] [--http ADDR:PORT]\n"
"                  [--https ADDR:PORT --cert PEM --key PEM [--client-ca PEM]\n"
"                   [--require-client-cert]]\n"
"                  [--syslog ADDR:PORT] [--upload DIR] [--workers N] [--user NAME]\n"
"                  [--log stderr|syslog] [--log-level LEVEL] [--check]\n"
"                  [--route 'PATTERN template=NAME [gzip] [encrypt=openssl]\n"
"                           [require=cert] [auth=digest]' ...]\n"
"                  [--route 'PATTERN report [require=cert]' ...]\n"
"\n"
"The provisioning server: serves the tree DIR to phones over TFTP, HTTP and\n"
"HTTPS, collects their syslog, and records every request and message in the\n"
"history database (read it with 'prov log'). Runs in the foreground until\n"
"SIGTERM; one event loop per worker process, never a process per request.\n"
"\n"
"Options (each can also be written in the configuration file as 'NAME VALUE';\n"
"the command line wins; see examples/prov-serve.conf for all of them):\n"
"  --config FILE        read options from FILE first\n"
"  --root DIR           the served tree (required). Every path is confined to\n"
"                       DIR by the kernel: '..', absolute paths and symlinks\n"
"                       leading out are refused\n"
"  --db URL             the inventory and history database: sqlite:PATH (default\n"
"                       sqlite:./prov.db), or postgresql://USER@HOST[:PORT]/DB,\n"
"                       which N servers can share (docs/SIZING.md); an older\n"
"                       PostgreSQL schema needs 'prov db migrate' first. When\n"
"                       the database is unreachable, static files are still\n"
"                       served, rendered routes answer 503 (TFTP: server\n"
"                       busy), and the server reconnects by itself\n"
"  --tftp ADDR:PORT     TFTP (RFC 1350, 2347-2349, 7440) on UDP ADDR:PORT\n"
"  --http ADDR:PORT     HTTP/1.1\n"
"  --https ADDR:PORT    HTTPS, TLS 1.2 and 1.3; needs --cert and --key\n"
"  --cert PEM           server certificate chain\n"
"  --key PEM            server private key\n"
"  --client-ca PEM      verify client certificates against these CAs; the\n"
"                       verified subject identifies the device\n"
"  --require-client-cert\n"
"                       refuse HTTPS clients without a valid certificate\n"
"  --syslog ADDR:PORT   collect syslog (RFC 3164 and 5424) on UDP ADDR:PORT\n"
"  --upload DIR         accept device reports (HTTP PUT/POST, TFTP write) into\n"
"                       DIR; without it uploads are refused\n"
"  --workers N          worker processes (default 1)\n"
"  --user NAME          when started as root, run as NAME after binding\n"
"                       (default nobody; 'root' keeps root, with a warning)\n"
"  --log stderr|syslog  where the server's own messages go (default stderr)\n"
"  --log-level LEVEL    err, warning, notice, info (default) or debug\n"
"  --route 'PATTERN template=NAME [gzip] [encrypt=openssl|aes128gcm]\n"
"         [require=cert] [auth=digest]'\n"
"                       answer a path matching PATTERN with the device's own\n"
"                       profile, rendered from template NAME of the inventory\n"
"                       ('prov device', 'prov var', 'prov template'; read on\n"
"                       every request, so changes need no reload). $MA in\n"
"                       PATTERN is the MAC, $KEY_ID a key number; without $MA\n"
"                       the verified client certificate names the device\n"
"                       (require=cert). gzip, then encrypt=openssl: AES-256-CBC\n"
"                       with the device's key, as 'openssl enc -md md5'.\n"
"                       require=cert: only over HTTPS with a client\n"
"                       certificate. Unknown and disabled devices, and MACs\n"
"                       not the certificate's, get a missing file's 404.\n"
"                       auth=digest: HTTP Digest (MD5 or SHA-256, qop=auth)\n"
"                       with the device's own credentials ('prov device set\n"
"                       --http-user U --http-password P'; the phone's rule\n"
"                       [--uid U --pwd P]URL), realm \"prov\". Asked before\n"
"                       anything else: every request without credentials\n"
"                       gets the same 401 whatever device its path names;\n"
"                       wrong ones get the 404 of a missing file and count\n"
"                       as misses (--enum-miss-burst). Never over TFTP\n"
"                       Repeatable; the first matching route wins\n"
"  --route 'PATTERN report [require=cert]'\n"
"                       take the device reports (Report_Rule: HTTP PUT or\n"
"                       POST, TFTP write) for paths matching PATTERN, named\n"
"                       by $MA or the client certificate (another MAC than\n"
"                       the certificate's: 403). Decrypted with the device's\n"
"                       key, parsed (at most 2 MiB), never applied, stored as\n"
"                       its reported configuration: 'prov device drift',\n"
"                       'prov device timeline'. Needs no --upload. Unknown\n"
"                       devices get a missing file's 404\n"
"  --activation-rule RULE  answer RULE (a Profile_Rule, macros left for the\n"
"                       phone) to a device redeeming an activation code\n"
"                       ('prov code new') with POST /prov/activate over\n"
"                       HTTPS (docs/ONBOARDING.md); without it the path is\n"
"                       an upload like any other\n"
"  --device-ca DIR       the devices' CA ('prov ca init'): sign the renewal\n"
"                       CSR a phone POSTs to /prov/cert over HTTPS with its\n"
"                       current certificate (MIC_Cert_Refresh_Rule), and\n"
"                       close connections presenting a certificate revoked\n"
"                       with 'prov device revoke-cert'. --client-ca must\n"
"                       hold DIR/ca.pem. The key is read at start, before\n"
"                       privileges are dropped (a new CA needs a restart)\n"
"  --device-cert-days N  life of a certificate it signs (default 365)\n"
"  --admin ADDR:PORT    the JSON admin API (docs/API.md): devices, variables,\n"
"                       templates, activation codes, history, metrics under\n"
"                       /api/v1/, and the fleet's web page at /ui/. Every\n"
"                       request needs the token of --admin-token-file. A\n"
"                       loopback address, or --admin-tls\n"
"  --admin-tls          the admin listener over TLS, with --cert and --key\n"
"  --admin-token-file FILE  the API's bearer token: the first line of FILE\n"
"                       (32 to 256 characters; FILE not readable by others),\n"
"                       read at start, before privileges are dropped\n"
"  --check              validate the configuration (and load the\n"
"                       certificates), print 'configuration ok', exit\n"
"Limits (defaults in brackets): --tftp-max-transfers [4096]\n"
"  --tftp-max-per-client [4096] --tftp-timeout-ms [1000] --tftp-retries [5]\n"
"  --tftp-max-timeout-s [5] (a longer RFC 2349 timeout is not granted)\n"
"  --tftp-max-transfer-ms [900000] (the longest one transfer may take)\n"
"  --tftp-max-window [64] --tftp-max-blksize [65464] --http-max-conns [10000]\n"
"  --http-max-per-client [10000] --http-header-max [16384]\n"
"  --http-body-max [16777216] --http-header-timeout-ms [10000]\n"
"  --http-body-timeout-ms [10000] --http-idle-timeout-ms [30000]\n"
"  --http-send-timeout-ms [30000] --http-keepalive-max [1000]\n"
"  --syslog-msg-max [4096]\n"
"  --syslog-rate [20] messages stored per second per source address (0: all),\n"
"  --syslog-burst [200] of them at once; the rest are counted, not stored\n"
"Overload (reliability.md R-LOAD): over a TFTP cap the RRQ is dropped (the\n"
"  phone sends it again in seconds), never answered 'server busy'; at\n"
"  --http-max-conns new connections wait in the accept backlog for\n"
"  --http-overload-wait-ms [10000] (0: not at all), then get 503 with\n"
"  Retry-After. A phone told 'busy' or 503 waits Resync_Error_Retry_Delay\n"
"  (60 s, then 120 s, ... by default); the per-client caps are high for NATs.\n"
"History retention: --history-max-age-days [90] (0: forever) and\n"
"  --history-max-mb [1024] (0: no cap): older rows, then the oldest rows\n"
"  past the size, are deleted as the server writes; both are counted.\n"
"  The size cap is SQLite's: on PostgreSQL only the age limit applies\n"
"Enumeration defence (S-SEC-2): an address (IPv6: its /64) with more than\n"
"  --enum-miss-burst [1000] misses (404s, TFTP file not found), forgiven at\n"
"  --enum-miss-rate [600] per minute, is refused (HTTP 429, TFTP error) for\n"
"  --enum-cooldown-s [300] seconds; logged, counted in /metrics. 0 burst: off\n"
"ADDR:PORT is 127.0.0.1:69, [::1]:69 or :69 (all IPv4 addresses); give an\n"
"option several times (or several addresses in the file) to listen on more.\n"
"Port 0 picks a free port; the chosen ports are logged at notice level as\n"
"'listening: PROTO ADDR:PORT'.\n"
"\n"
"Signals: SIGHUP reloads the configuration file, reopens the root (a symlink\n"
"deploy or a changed 'root' is served from then on) and reloads the\n"
"certificates, without dropping transfers; TLS sessions from before a change\n"
"of certificates or client-ca do not resume. SIGTERM drains (requests in\n"
"flight finish) and exits. HTTP paths /metrics (Prometheus text) and /healthz\n"
"(503 while draining or when the root is missing or replaced on disk) are\n"
"answered by the server itself.\n"
"\n"
"Exit status: 0 after SIGTERM or a good --check, 1 when the server cannot\n"
"start (a port in use, a certificate that does not load), 2 for bad options\n"
"or a bad configuration file.\n";

struct opts {
	const char *config;
	int check;
	unsigned n;
	const char *name[SERVE_OVERRIDES_MAX];
	const char *value[SERVE_OVERRIDES_MAX];
};

/* Sockets of one listener for every worker. */
struct lsock {
	enum { L_TFTP, L_HTTP, L_HTTPS, L_SYSLOG, L_ADMIN } kind;
	int *fd;                     /* [workers] */
	char text[80];
};

static const char *const kind_names[] = { "tftp", "http", "https", "syslog", "admin" };

struct master {
	struct opts opt;
	struct srv_cfg cfg;
	struct metrics *metrics;
	struct guard *guard;         /* enumeration defence, shared by the workers */
	struct lsock ls[4 * CONFIG_LISTEN_MAX];
	unsigned n_ls;
	pid_t *pids;                 /* [workers] */
	volatile sig_atomic_t got_term, got_hup, got_chld;
};

struct worker {
	struct srv srv;
	struct master *m;
	struct tftpd *tftpd[CONFIG_LISTEN_MAX];
	struct http *http[3 * CONFIG_LISTEN_MAX];
	struct syslogd *syslogd[CONFIG_LISTEN_MAX];
	unsigned n_tftpd, n_http, n_syslogd;
	struct srv_cfg *cfg;         /* the configuration of the last reload
					(NULL: still the master's); exchanges
					in flight copy what they need when
					they start, so the old one is freed */
	int64_t drain_deadline;
};

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int flag;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 1;
		}
		if (strcmp(a, "--check") == 0) {
			o->check = 1;
			continue;
		}
		if (strncmp(a, "--", 2) != 0) {
			fprintf(stderr, "prov: serve: unexpected argument '%s' (see 'prov serve --help')\n", a);
			return -1;
		}
		if (strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "prov: serve: --config needs a FILE\n");
				return -1;
			}
			o->config = argv[++i];
			continue;
		}
		flag = config_is_flag(a + 2);
		if (flag < 0) {
			fprintf(stderr, "prov: serve: unknown option '%s' (see 'prov serve --help')\n", a);
			return -1;
		}
		if (o->n >= SERVE_OVERRIDES_MAX) {
			fprintf(stderr, "prov: serve: more than %d options\n", SERVE_OVERRIDES_MAX);
			return -1;
		}
		o->name[o->n] = a + 2;
		if (flag) {
			o->value[o->n++] = "yes";
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "prov: serve: %s needs a value\n", a);
			return -1;
		}
		o->value[o->n++] = argv[++i];
	}
	return 0;
}

/* The configuration: defaults, then the file, then the command line. A
 * listener option on the command line replaces the file's addresses for
 * that protocol rather than adding to them. */
static int
build_cfg(const struct opts *o, struct srv_cfg *c, char *err, size_t errlen)
{
	static const char *const listen_names[] = { "tftp", "http", "https", "syslog", "admin" };
	unsigned i, k;

	config_defaults(c);
	if (o->config != NULL && config_load(c, o->config, err, errlen) < 0)
		return -1;
	for (k = 0; k < sizeof(listen_names) / sizeof(listen_names[0]); k++)
		for (i = 0; i < o->n; i++)
			if (strcmp(o->name[i], listen_names[k]) == 0) {
				unsigned *cnt[] = { &c->n_tftp, &c->n_http, &c->n_https, &c->n_syslog,
						    &c->n_admin };
				*cnt[k] = 0;
				break;
			}
	for (i = 0; i < o->n; i++) {
		char why[256];

		if (config_set(c, o->name[i], o->value[i], why, sizeof(why)) < 0) {
			snprintf(err, errlen, "--%s", why);
			return -1;
		}
	}
	if (c->db == NULL && (c->db = strdup(SERVE_DEFAULT_DB)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return config_check(c, err, errlen);
}

static int
bind_one(const struct config_listen *l, int type, struct sockaddr_storage *bound,
	 socklen_t *blen, char *err, size_t errlen)
{
	int fd, one = 1;
	struct sockaddr_storage sa = l->addr;

	if (*blen != 0)
		sa = *bound;            /* the same port for every worker */
	fd = socket(sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0
	    || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	if (sa.ss_family == AF_INET6
	    && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sa, l->addrlen) < 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, SERVE_BACKLOG) < 0)
		goto fail;
	if (*blen == 0) {
		*blen = sizeof(*bound);
		if (getsockname(fd, (struct sockaddr *)bound, blen) < 0)
			goto fail;
	}
	return fd;
fail:
	snprintf(err, errlen, "%s: %s", l->text, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static void
addr_text(const struct sockaddr_storage *sa, char *out, size_t cap)
{
	char host[64] = "?";

	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(out, cap, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(out, cap, "%s:%u", host, ntohs(s4->sin_port));
	}
}

static int
bind_all(struct master *m, char *err, size_t errlen)
{
	const struct srv_cfg *c = &m->cfg;
	const struct { int kind; const struct config_listen *l; unsigned n; int type; } groups[] = {
		{ L_TFTP, c->tftp, c->n_tftp, SOCK_DGRAM },
		{ L_HTTP, c->http, c->n_http, SOCK_STREAM },
		{ L_HTTPS, c->https, c->n_https, SOCK_STREAM },
		{ L_SYSLOG, c->syslog, c->n_syslog, SOCK_DGRAM },
		{ L_ADMIN, c->admin, c->n_admin, SOCK_STREAM },
	};
	unsigned g, i, w;

	for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		for (i = 0; i < groups[g].n; i++) {
			struct lsock *ls = &m->ls[m->n_ls++];
			struct sockaddr_storage bound;
			socklen_t blen = 0;
			char at[72];

			ls->kind = groups[g].kind;
			ls->fd = calloc(c->workers, sizeof(int));
			if (ls->fd == NULL) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			for (w = 0; w < c->workers; w++) {
				ls->fd[w] = bind_one(&groups[g].l[i], groups[g].type, &bound, &blen,
						     err, errlen);
				if (ls->fd[w] < 0)
					return -1;
			}
			addr_text(&bound, at, sizeof(at));
			snprintf(ls->text, sizeof(ls->text), "%s %s", kind_names[ls->kind], at);
			log_msg(LOG_NOTICE, "listening: %s", ls->text);
		}
	return 0;
}

/* R-PRIV: nothing serves as root. */
static int
drop_privileges(const struct srv_cfg *c, char *err, size_t errlen)
{
	const char *user = c->user != NULL ? c->user : "nobody";
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (strcmp(user, "root") == 0) {
		log_msg(LOG_WARNING, "running as root (user root): privileges are not dropped");
		return 0;
	}
	pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(err, errlen, "user %s: no such user", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0
	    || setuid(pw->pw_uid) < 0) {
		snprintf(err, errlen, "user %s: %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		snprintf(err, errlen, "user %s: root could be regained", user);
		return -1;
	}
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	return 0;
}

static unsigned
worker_active(const struct worker *w)
{
	unsigned i, n = 0;

	for (i = 0; i < w->n_tftpd; i++)
		n += tftpd_active(w->tftpd[i]);
	for (i = 0; i < w->n_http; i++)
		n += http_active(w->http[i]);
	return n;
}

static void
drain_check(void *arg)
{
	struct worker *w = arg;
	unsigned n = worker_active(w);

	if (n == 0 || loop_now(w->srv.loop) >= w->drain_deadline) {
		if (n > 0)
			log_msg(LOG_WARNING, "drain: %u exchanges still open after %d ms, closing",
				n, SERVE_DRAIN_MS);
		loop_stop(w->srv.loop);
		return;
	}
	loop_timer_add(w->srv.loop, loop_now(w->srv.loop) + SERVE_DRAIN_POLL_MS, drain_check, w);
}

static void
on_term(void *arg, int signo)
{
	struct worker *w = arg;
	unsigned i;

	if (w->srv.draining)
		return;
	log_msg(LOG_NOTICE, "signal %d: draining", signo);
	if (w->srv.worker == 0)
		sd_notify(0, "STOPPING=1");
	w->srv.draining = 1;
	for (i = 0; i < w->n_tftpd; i++)
		tftpd_drain(w->tftpd[i]);
	for (i = 0; i < w->n_http; i++)
		http_drain(w->http[i]);
	w->drain_deadline = loop_now(w->srv.loop) + SERVE_DRAIN_MS;
	drain_check(w);
}

/* The history's retention from the configuration (at start and reload). */
static void
serve_retention(const struct srv *srv)
{
	const struct config_limits *lim = &srv->cfg->lim;

	store_retention(srv->store, (int64_t)lim->history_max_age_days * 86400000,
			(uint64_t)lim->history_max_mb * 1024 * 1024);
}

static void
on_hup(void *arg, int signo)
{
	struct worker *w = arg;
	struct srv_cfg *c;
	struct tls *t = NULL;
	char err[512];
	int root_fd = -1;

	(void)signo;
	/* systemd's reload state lasts until READY=1, said whether the new
	 * configuration was taken or refused (MONOTONIC_USEC: when it began). */
	if (w->srv.worker == 0)
		sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%lld", (long long)clock_mono_us());
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		log_msg(LOG_ERR, "reload: out of memory");
		goto refused;
	}
	if (build_cfg(&w->m->opt, c, err, sizeof(err)) < 0
	    || ((c->n_https > 0 || c->admin_tls) && tls_new(&t, c, err, sizeof(err)) < 0)) {
		log_msg(LOG_ERR, "reload refused, keeping the running configuration: %s", err);
		goto refused;
	}
	/* The root again, by name: an atomic symlink deploy or a recreated
	 * tree is served from now on (transfers in flight keep their files). */
	root_fd = root_dir_open(c->root);
	if (root_fd < 0) {
		log_msg(LOG_ERR, "reload refused, keeping the running configuration: root %s: %s",
			c->root, strerror(-root_fd));
		goto refused;
	}
	if (c->n_tftp != w->srv.cfg->n_tftp || c->n_http != w->srv.cfg->n_http
	    || c->n_https != w->srv.cfg->n_https || c->n_syslog != w->srv.cfg->n_syslog)
		log_msg(LOG_WARNING, "reload: listener changes take effect at restart");
	if ((c->upload == NULL) != (w->srv.cfg->upload == NULL)
	    || (c->upload != NULL && strcmp(c->upload, w->srv.cfg->upload) != 0))
		log_msg(LOG_WARNING, "reload: a changed upload directory takes effect at restart");
	log_open(c->log, c->log_level);
	close(w->srv.root_fd);
	w->srv.root_fd = root_fd;
	w->srv.cfg = c;
	if (w->cfg != NULL) {
		config_fini(w->cfg);
		free(w->cfg);
	}
	w->cfg = c;
	if (t != NULL) {
		tls_free(w->srv.tls);   /* connections keep their SSL_CTX reference */
		w->srv.tls = t;
	}
	serve_retention(&w->srv);
	log_msg(LOG_NOTICE, "configuration reloaded");
	if (w->srv.worker == 0)
		sd_notify(0, "READY=1\nSTATUS=configuration reloaded");
	return;
refused:
	tls_free(t);
	if (c != NULL)
		config_fini(c);
	free(c);
	if (w->srv.worker == 0)
		sd_notify(0, "READY=1\nSTATUS=reload refused, running configuration kept");
}

/* One worker's life: open, drop root, serve, drain. Returns an exit status. */
static int
worker_run(struct master *m, unsigned idx)
{
	struct worker w;
	char err[512];
	unsigned i;
	int rc = 1;

	/* Signals are taken through the loop's signalfd: block them before
	 * any thread (the store's writer) starts, since threads inherit the
	 * mask and the kernel would deliver a process signal to one that has
	 * it unblocked. */
	{
		sigset_t s;

		sigemptyset(&s);
		sigaddset(&s, SIGTERM);
		sigaddset(&s, SIGINT);
		sigaddset(&s, SIGHUP);
		sigprocmask(SIG_BLOCK, &s, NULL);
	}
	memset(&w, 0, sizeof(w));
	w.m = m;
	w.srv.worker = idx;
	w.srv.metrics = m->metrics;
	w.srv.root_fd = w.srv.upload_fd = -1;
	w.srv.cfg = &m->cfg;
	w.srv.loop = loop_new();
	w.srv.guard = m->guard;      /* the master's, one for all workers */
	if (w.srv.loop == NULL) {
		log_msg(LOG_ERR, "worker %u: out of memory", idx);
		return 1;
	}
	w.srv.root_fd = root_dir_open(m->cfg.root);
	if (w.srv.root_fd < 0) {
		log_msg(LOG_ERR, "root %s: %s", m->cfg.root, strerror(-w.srv.root_fd));
		goto out;
	}
	if (m->cfg.upload != NULL) {
		w.srv.upload_fd = root_dir_open(m->cfg.upload);
		if (w.srv.upload_fd < 0) {
			log_msg(LOG_ERR, "upload %s: %s", m->cfg.upload, strerror(-w.srv.upload_fd));
			goto out;
		}
	}
	if ((m->cfg.n_https > 0 || m->cfg.admin_tls) &&
	    tls_new(&w.srv.tls, &m->cfg, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		goto out;
	}
	if (store_open(&w.srv.store, m->cfg.db, m->metrics, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		goto out;
	}
	serve_retention(&w.srv);
	/* Every worker reads the inventory itself, on each rendered request:
	 * a change made by `prov device` is served next (S-DEV-5). Without
	 * it static files are still served; render.c retries the open. */
	if ((m->cfg.n_routes > 0 || m->cfg.activation_rule != NULL || m->cfg.device_ca != NULL ||
	     m->cfg.n_admin > 0) &&
	    inv_open(&w.srv.inv, m->cfg.db, 1, err, sizeof(err)) != 0)
		log_msg(LOG_ERR, "inventory: %s (rendered routes answer busy)", err);
	/* Report routes write the database (reportd.h) and the syslog
	 * collector reads the inventory (store_lookup_*): their connections
	 * open here, while the database files are still ours to open. */
	if (m->cfg.n_reports > 0) {
		if (w.srv.inv == NULL && inv_open(&w.srv.inv, m->cfg.db, 1, err, sizeof(err)) != 0)
			log_msg(LOG_ERR, "inventory: %s (reports answer busy)", err);
		if ((w.srv.reportd = reportd_new(m->cfg.db)) == NULL ||
		    reportd_connect(w.srv.reportd, err, sizeof(err)) < 0)
			log_msg(LOG_ERR, "reports: %s (reports answer busy)",
				w.srv.reportd == NULL ? "out of memory" : err);
	}
	if (m->cfg.n_syslog > 0 && (w.srv.lookup = store_lookup_new(m->cfg.db)) != NULL)
		store_lookup_device(w.srv.lookup, "000000000000");
	if (m->cfg.n_admin > 0 && api_token_load(m->cfg.admin_token_file, w.srv.admin_token, err,
						 sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		goto out;
	}
	if (m->cfg.device_ca != NULL && ca_load(&w.srv.ca, m->cfg.device_ca, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "device-ca: %s", err);
		goto out;
	}
	if (drop_privileges(&m->cfg, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		goto out;
	}
	for (i = 0; i < m->n_ls; i++) {
		int fd = m->ls[i].fd[idx], r = 0;

		switch (m->ls[i].kind) {
		case L_TFTP:
			r = tftpd_new(&w.tftpd[w.n_tftpd++], &w.srv, fd);
			break;
		case L_HTTP:
		case L_HTTPS:
			r = http_new(&w.http[w.n_http++], &w.srv, fd, m->ls[i].kind == L_HTTPS);
			break;
		case L_SYSLOG:
			r = syslogd_new(&w.syslogd[w.n_syslogd++], &w.srv, fd);
			break;
		case L_ADMIN:
			r = http_new_admin(&w.http[w.n_http++], &w.srv, fd, m->cfg.admin_tls);
			break;
		}
		if (r < 0) {
			log_msg(LOG_ERR, "%s: %s", m->ls[i].text, strerror(errno));
			goto out;
		}
	}
	if (loop_signal(w.srv.loop, SIGTERM, on_term, &w) < 0
	    || loop_signal(w.srv.loop, SIGINT, on_term, &w) < 0
	    || loop_signal(w.srv.loop, SIGHUP, on_hup, &w) < 0) {
		log_msg(LOG_ERR, "signals: %s", strerror(errno));
		goto out;
	}
	if (idx == 0) {
		log_msg(LOG_NOTICE, "ready: %u worker%s, root %s", m->cfg.workers,
			m->cfg.workers == 1 ? "" : "s", m->cfg.root);
		sd_notifyf(0, "READY=1\nSTATUS=serving %s", m->cfg.root);
	}
	rc = loop_run(w.srv.loop) < 0 ? 1 : 0;
out:
	for (i = 0; i < w.n_tftpd; i++)
		tftpd_free(w.tftpd[i]);
	for (i = 0; i < w.n_http; i++)
		http_free(w.http[i]);
	for (i = 0; i < w.n_syslogd; i++)
		syslogd_free(w.syslogd[i]);
	store_close(w.srv.store);
	inv_close(w.srv.inv);
	reportd_free(w.srv.reportd);
	store_lookup_free(w.srv.lookup);
	ca_free(w.srv.ca);
	tls_free(w.srv.tls);
	if (w.srv.root_fd >= 0)
		close(w.srv.root_fd);
	if (w.srv.upload_fd >= 0)
		close(w.srv.upload_fd);
	loop_free(w.srv.loop);
	if (w.cfg != NULL) {
		config_fini(w.cfg);
		free(w.cfg);
	}
	return rc;
}

static struct master *the_master;

static void
master_signal(int signo)
{
	if (signo == SIGCHLD)
		the_master->got_chld = 1;
	else if (signo == SIGHUP)
		the_master->got_hup = 1;
	else
		the_master->got_term = 1;
}

static pid_t
spawn(struct master *m, unsigned idx)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct sigaction sa;
		sigset_t none;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(SIGCHLD, &sa, NULL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
		_exit(worker_run(m, idx));
	}
	if (pid < 0)
		log_msg(LOG_ERR, "fork: %s", strerror(errno));
	return pid;
}

/* The master of several workers: holds the sockets, relays signals,
 * restarts a worker that dies, exits when all have drained. */
static int
master_run(struct master *m)
{
	struct sigaction sa;
	sigset_t block, old;
	unsigned i, alive = 0;
	int rc = 0;

	the_master = m;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = master_signal;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < m->cfg.workers; i++) {
		m->pids[i] = spawn(m, i);
		if (m->pids[i] > 0)
			alive++;
	}
	while (alive > 0) {
		pid_t pid;
		int st;

		sigsuspend(&old);
		if (m->got_hup) {
			m->got_hup = 0;
			for (i = 0; i < m->cfg.workers; i++)
				if (m->pids[i] > 0)
					kill(m->pids[i], SIGHUP);
		}
		if (m->got_term == 1) {
			m->got_term = 2;
			sd_notify(0, "STOPPING=1");
			for (i = 0; i < m->cfg.workers; i++)
				if (m->pids[i] > 0)
					kill(m->pids[i], SIGTERM);
		}
		if (!m->got_chld)
			continue;
		m->got_chld = 0;
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			for (i = 0; i < m->cfg.workers; i++) {
				if (m->pids[i] != pid)
					continue;
				m->pids[i] = 0;
				alive--;
				if (m->got_term)
					break;
				log_msg(LOG_ERR, "worker %u (pid %ld) %s %d; restarting", i, (long)pid,
					WIFSIGNALED(st) ? "killed by signal" : "exited with",
					WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
				if (WIFEXITED(st) && WEXITSTATUS(st) != 0 && !WIFSIGNALED(st)) {
					/* A worker that fails at start-up would fail again. */
					rc = 1;
					m->got_term = 2;
					for (unsigned k = 0; k < m->cfg.workers; k++)
						if (m->pids[k] > 0)
							kill(m->pids[k], SIGTERM);
					break;
				}
				usleep(SERVE_RESPAWN_MS * 1000);
				m->pids[i] = spawn(m, i);
				if (m->pids[i] > 0)
					alive++;
			}
	}
	return rc;
}

/* Raises the soft limit of open files to the hard one: the common soft
 * limit of 1,024 is far below what http-max-conns allows, and the server
 * uses no select(2). Said in the log, as is a failure (the server then
 * sheds with 503 sooner, see http.c). */
static void
serve_raise_nofile(void)
{
	struct rlimit rl;
	unsigned long long was;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	was = (unsigned long long)rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_msg(LOG_WARNING, "open files: soft limit %llu not raised to %llu: %s", was,
			(unsigned long long)rl.rlim_max, strerror(errno));
	else
		log_msg(LOG_INFO, "open files: soft limit %llu raised to the hard limit %llu", was,
			(unsigned long long)rl.rlim_max);
}

int
serve_main(int argc, char **argv)
{
	struct master *m;
	char err[512];
	unsigned i;
	int rc;

	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		fprintf(stderr, "prov: serve: out of memory\n");
		return 1;
	}
	rc = parse_opts(argc, argv, &m->opt);
	if (rc != 0) {
		free(m);
		return rc > 0 ? 0 : 2;
	}
	if (build_cfg(&m->opt, &m->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "prov: serve: %s\n", err);
		rc = 2;
		goto out;
	}
	if (m->cfg.n_https > 0 || m->cfg.admin_tls) {
		struct tls *t;

		if (tls_new(&t, &m->cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "prov: serve: %s\n", err);
			rc = m->opt.check ? 2 : 1;
			goto out;
		}
		tls_free(t);
	}
	if (m->cfg.n_admin > 0) {
		unsigned char d[32];

		if (api_token_load(m->cfg.admin_token_file, d, err, sizeof(err)) < 0) {
			fprintf(stderr, "prov: serve: %s\n", err);
			rc = m->opt.check ? 2 : 1;
			goto out;
		}
		OPENSSL_cleanse(d, sizeof(d));
	}
	if (m->cfg.device_ca != NULL) {
		struct ca *ca;

		if (ca_load(&ca, m->cfg.device_ca, err, sizeof(err)) < 0) {
			fprintf(stderr, "prov: serve: device-ca: %s\n", err);
			rc = m->opt.check ? 2 : 1;
			goto out;
		}
		ca_free(ca);
	}
	if (m->opt.check) {
		printf("configuration ok\n");
		rc = 0;
		goto out;
	}
	if (log_open(m->cfg.log, m->cfg.log_level) < 0) {
		fprintf(stderr, "prov: serve: log: '%s' is not stderr or syslog\n", m->cfg.log);
		rc = 2;
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	serve_raise_nofile();
	m->metrics = metrics_new();
	m->guard = m->metrics != NULL ? guard_new(m->metrics) : NULL;
	m->pids = calloc(m->cfg.workers, sizeof(pid_t));
	if (m->metrics == NULL || m->guard == NULL || m->pids == NULL ||
	    render_digest_shared() < 0) {
		fprintf(stderr, "prov: serve: out of memory\n");
		rc = 1;
		goto out;
	}
	if (bind_all(m, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "cannot listen: %s", err);
		rc = 1;
		goto out;
	}
	rc = m->cfg.workers == 1 ? worker_run(m, 0) : master_run(m);
	log_msg(LOG_NOTICE, "stopped");
out:
	for (i = 0; i < m->n_ls; i++) {
		for (unsigned w = 0; m->ls[i].fd != NULL && w < m->cfg.workers; w++)
			if (m->ls[i].fd[w] > 0)
				close(m->ls[i].fd[w]);
		free(m->ls[i].fd);
	}
	free(m->pids);
	guard_free(m->guard);
	metrics_free(m->metrics);
	config_fini(&m->cfg);
	free(m);
	return rc;
}
