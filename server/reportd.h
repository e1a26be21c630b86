/*
 * reportd: device reports received by the server (server.md S-SRV-4,
 * S-SEC-1, S-SEC-2; interfaces.md "Inventory and rendering"). Named
 * reportd, not report, because libprov's lib/report.h (the device side)
 * shares the tests' include path.
 *
 * A route with the word `report` instead of a template,
 * `PATTERN report [require=cert]`, takes the uploads of the devices'
 * Report_Rule (HTTP PUT or POST, TFTP write) for paths matching PATTERN
 * (`$MA`, as in render.h). The device is the path's MAC, else the verified
 * client certificate's; a path naming another MAC than the certificate is
 * refused (403, TFTP access violation). An unknown or disabled device gets
 * the answer of a missing file (404, TFTP file not found) and the miss is
 * counted by guard.c like any enumeration miss.
 *
 * The body (at most REPORTD_BODY_MAX bytes, refused past it) is decoded
 * with libprov's codec: openssl-enc AES-256-CBC (as `prov pack --key` and
 * Report_Rule's --key make it) and gzip are told by content
 * (prov_unpack); RFC 8188 aes128gcm has no magic, so a body that is no
 * profile in clear is tried as aes128gcm, whose authentication tells it
 * apart (the listeners keep no Content-Encoding header: reportd_in.gcm is
 * for callers that know). Keys are the device's current one, then the one
 * before it. The plain text is
 * parsed by libprov's guarded profile parser (prov_profile_parse: size,
 * element and depth bounds, no entities) and never applied anywhere: its
 * parameters are stored as the device's reported configuration
 * (device_reported, replacing the previous report's) with a row in
 * device_report (time, client, protocol, size, count, layers, the
 * template the device's profile route names, the server address and port
 * it reported to). Anything undecodable or ill-formed is 400 (TFTP
 * illegal operation) and stores nothing.
 *
 * The drift (reportd_drift) compares a rendered profile with the stored
 * report: one call for `prov device drift`, `prov device list` and tests.
 *
 * One struct reportd per worker (it holds the worker's write connection,
 * opened on the first report); single-threaded.
 */
#ifndef PROV_SERVER_REPORTD_H
#define PROV_SERVER_REPORTD_H

#include <stddef.h>
#include <stdint.h>

#define REPORTD_BODY_MAX (2u * 1024u * 1024u) /* largest report upload: the
						 device side's REPORT_MAX */
#define REPORTD_PLAIN_MAX (4u * 1024u * 1024u) /* largest decoded report:
						  PROV_PROFILE_MAX */
#define REPORTD_BUSY_MS 200        /* longest wait for the database lock: then 503 */
#define REPORTD_WHY_MAX 256u       /* reason kept for the log and the answer */

struct inv;
struct reportd;
struct srv_cfg;

/* Whether a route line is a report route: its words after PATTERN include
 * `report`. reportd_route_check: 0, or -1 with the reason in err (the
 * line has other words than `report` and `require=cert`, or a pattern
 * without $MA and without require=cert). */
int reportd_route_is(const char *line);
int reportd_route_check(const char *line, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* The first of the n report route lines matching path (len bytes, no
 * leading '/' needed): 1 with its MAC in mac ("" when the pattern has no
 * $MA) and *need_cert, 0 when none matches. */
int reportd_match(char *const *routes, unsigned n, const char *path, size_t len,
		  char mac[13], int *need_cert);

/* One received upload. */
struct reportd_in {
	const char *path_mac;          /* from reportd_match, "" when none */
	int need_cert;
	const char *cert_mac;          /* verified client certificate's MAC, or NULL */
	const void *body;
	size_t len;
	int gcm;                       /* Content-Encoding: aes128gcm */
	const char *client;            /* "ADDR:PORT" */
	const char *proto;             /* "http", "https", "tftp" */
	const char *servip, *port;     /* where it arrived (for $SERVIP, $PORT) */
	int64_t time_ms;               /* wall clock, when it arrived */
};

enum reportd_status {
	REPORTD_OK,                    /* stored */
	REPORTD_MISS,                  /* unknown or disabled device: as a missing file */
	REPORTD_REFUSED,               /* another MAC than the certificate's, no certificate */
	REPORTD_BAD,                   /* undecodable, ill-formed: 400 */
	REPORTD_BUSY,                  /* database busy: 503 */
	REPORTD_FAIL,                  /* the server's fault: 500 */
};

/* The worker's receiver; db is the database URL. NULL when out of memory.
 * reportd_connect opens its connection now (before privileges are
 * dropped); else the first report opens it. 0, or -1 with err. */
struct reportd *reportd_new(const char *db);
int reportd_connect(struct reportd *r, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void reportd_free(struct reportd *r);

/* Checks, decodes, parses and stores one report. routes (n lines) are the
 * server's template routes: the device's last successful fetch through
 * one of them names the template its drift is rendered from. mac gets the
 * device ("" when none was named), why the reason of anything but OK. */
enum reportd_status reportd_take(struct reportd *r, struct inv **inv,
				 char *const *routes, unsigned n,
				 const struct reportd_in *in, char mac[13],
				 char *why, size_t whylen);

/* Decodes and parses a report body without a database (the fuzz target
 * and reportd_take): keys (NULL-ended, may be empty) are tried in order.
 * Returns the number of parameters (fn called for each, value NULL for one
 * kept back) or -1 with the reason in why; *layers names what was removed
 * ("aes", "gzip", "aes128gcm", "" for none). */
long reportd_parse(const void *body, size_t len, int gcm, const char *const *keys,
		   void (*fn)(void *arg, const char *name, const char *value), void *arg,
		   char layers[32], char *why, size_t whylen);

/* The CLI's side: db is the database URL, read through a connection of
 * each call's own. A stored report: */
struct reportd_last {
	int64_t time_ms;               /* 0: no report yet */
	char client[64], proto[8], layers[32];
	char tmpl[256];                /* the template its route names, "" unknown */
	char servip[64], port[8];
	long params;
};

/* One parameter where the rendering and the report differ. Secrets carry
 * no values (NULL): compare, never print. */
struct reportd_diff {
	const char *name;
	const char *server;            /* rendered value */
	const char *device;            /* reported value, or NULL: not reported */
	int secret;
};

/* The drift of device mac: renders its profile from tmpl (NULL: the
 * template recorded with its last report) with the server address its
 * report came to, and compares every parameter the profile sets with the
 * last report. A parameter the report leaves out (a --delta report) is
 * compared with its factory default; one kept back (a secret) is not
 * compared. fn gets each difference; *last the report. Returns the
 * number of differences, or with the reason in why: REPORTD_DRIFT_FAIL
 * (the database, memory), REPORTD_DRIFT_NO_REPORT, or
 * REPORTD_DRIFT_NO_TEMPLATE (no template known for the device, an unknown
 * one, or a profile that does not render: the inventory's state). */
#define REPORTD_DRIFT_FAIL (-1L)
#define REPORTD_DRIFT_NO_REPORT (-2L)
#define REPORTD_DRIFT_NO_TEMPLATE (-3L)
long reportd_drift(struct inv *inv, const char *db, const char *mac, const char *tmpl,
		   struct reportd_last *last,
		   void (*fn)(void *arg, const struct reportd_diff *d), void *arg,
		   char *why, size_t whylen);

/* The reports of mac since since_ms (0: all), oldest first. */
int reportd_history(const char *db, const char *mac, int64_t since_ms,
		    void (*fn)(void *arg, const struct reportd_last *r), void *arg,
		    char *why, size_t whylen) __attribute__((warn_unused_result));

/* The inventory changes that concern mac (its own row, its variables and
 * keys, its group's and product's variables, global variables, templates)
 * since since_ms, oldest first. */
struct reportd_change {
	int64_t time_ms;
	const char *kind;              /* "device", "var", "template", "key" */
	const char *scope, *owner, *name; /* NULL when not applicable */
	const char *action;            /* "add", "set", "rm" */
};
int reportd_changes(struct inv *inv, const char *db, const char *mac, int64_t since_ms,
		    void (*fn)(void *arg, const struct reportd_change *c), void *arg,
		    char *why, size_t whylen) __attribute__((warn_unused_result));

/* The device's SIP NOTIFY pushes since since_ms (the push table that
 * `prov device resync` keeps, server/notify.h), oldest first. */
struct reportd_push {
	int64_t time_ms;
	const char *event;             /* "check-sync", "report", "reboot_now" */
	const char *dest;              /* ADDR:PORT it was sent to */
	const char *result;            /* "accepted", "refused", "no answer", ... */
	const char *detail;
};
int reportd_pushes(const char *db, const char *mac, int64_t since_ms,
		   void (*fn)(void *arg, const struct reportd_push *p), void *arg, char *why,
		   size_t whylen) __attribute__((warn_unused_result));

#endif
