/*
 * fetch: downloads for the engine, HTTP and HTTPS through libcurl, TFTP
 * through tftpc.c (libcurl's TFTP has no windowsize), all driven
 * loop-agnostically (libcurl's multi_socket model): libprov owns no loop;
 * the host is told which file descriptors to watch and when to call back,
 * so one process can run thousands of phones on one event loop.
 * device.md D-NET-1..4, D-RUL-5, D-RUL-6, D-RUL-7, D-LOG-3 (the $ERR
 * strings of transfer failures).
 *
 * One struct fetch_net per host loop (a CURLM); any number of transfers on
 * it. A transfer reports exactly once, through its done callback, from
 * inside fetch_net_fd() or fetch_net_timeout() (never from fetch_start()),
 * unless it is cancelled first.
 *
 * The host's ops may be called from any fetch_* call (fetch_start arms the
 * timer, fetch_cancel and fetch_net_free stop watching fds). From inside
 * its ops the host may only call fetch_cancel and fetch_net_active. From
 * inside a done callback it may start, cancel (any transfer, the finishing
 * one included: a no-op) and even free the net (the free then happens when
 * the outermost fetch_net_fd/fetch_net_timeout returns).
 *
 * What every transfer gets (none of it configurable, on purpose):
 *   protocols tftp, http, https only; redirects (at most FETCH_MAX_REDIRS)
 *   to http or https from http, to https only from https; HTTP/1.1; TLS
 *   1.2 or later with chain and host-name verification; no proxy from the
 *   environment, no .netrc, no cookies, no connection reuse (a phone
 *   resyncs rarely; idle sockets would only cost fds); a whole-transfer
 *   timeout, a connect timeout and a stall timeout (D-NET-4).
 *
 * TFTP transfers ask for blksize (tftp_blksize), tsize, timeout and
 * windowsize (TFTPC_WINDOWSIZE); tftpc.h has the protocol's details.
 *
 * Nothing blocks: host names resolve in libcurl's threaded resolver (TFTP:
 * in tftpc's resolver thread), and a transfer cancelled while its name is
 * resolving leaves the resolver thread to finish and clean up on its own
 * (CURLOPT_QUICK_EXIT).
 *
 * Threading: one thread at a time per fetch_net. curl_global_init runs
 * once per process (pthread_once) on the first fetch_net_new.
 *
 * $ERR (D-LOG-3): the stable strings a result's err holds.
 *
 *   status             err
 *   FETCH_NOTFOUND     "tftp file not found"          TFTP error 1
 *                      "http file not found"          HTTP 404
 *   FETCH_HTTP_STATUS  "http_get failed: CODE"        any other final non-2xx
 *                      "http_post failed: CODE"       the same, for --post
 *                                                     and POST uploads
 *                      "http_put failed: CODE"        the same, for PUT uploads
 *   FETCH_AUTH         "auth failed: 401" (or 407)    credentials refused
 *                                                     or none given
 *   FETCH_DNS          "dns lookup failed"            no such name, or no
 *                                                     answer in time
 *   FETCH_CONNECT      "connection refused"           nothing listening
 *                      "connect failed"               unreachable, ...
 *   FETCH_TLS          "tls verify failed"            unknown CA, expired,
 *                                                     wrong host name
 *                      "tls handshake failed"         any other TLS failure
 *                      "tls client cert unusable"     cert_file/key_file bad
 *                      "tls trust store unusable"     ca_file unreadable
 *   FETCH_TIMEOUT      "tftp server not responding"   TFTP, out of time
 *                      "timeout"                      HTTP(S), out of time
 *                                                     or stalled
 *   FETCH_TOOBIG       "profile too large"            body over max_body (TFTP:
 *                                                     also a tsize over it,
 *                                                     refused before data)
 *   FETCH_REDIRECT     "too many redirects"           over FETCH_MAX_REDIRS
 *                      "redirect refused"             to a refused protocol
 *   FETCH_TFTP         "tftp error N: MSG"            other TFTP errors: N is
 *                                                     the server's code, MSG
 *                                                     its text (printable
 *                                                     ASCII, cut to 63 bytes)
 *                                                     or the RFC 1350/2347
 *                                                     name of the code
 *   FETCH_ERROR        "transfer truncated"           body shorter than
 *                                                     announced
 *                      "empty reply"                  closed without answer
 *                      "connection lost"              reset while talking
 *                      "bad server reply"             not HTTP, bad framing;
 *                                                     a TFTP server breaking
 *                                                     the protocol (an OACK
 *                                                     with options not asked
 *                                                     for, a block over
 *                                                     blksize)
 *                      "out of memory"
 *                      "fetch failed"                 anything else
 */
#ifndef PROV_FETCH_H
#define PROV_FETCH_H

#include <stddef.h>
#include "buf.h"
#include "diag.h"
#include "url.h"

#define FETCH_IN  0x1u /* readable (a poller's error or hang-up counts too) */
#define FETCH_OUT 0x2u /* writable */

#define FETCH_DEFAULT_CONNECT_MS 10000L /* req.connect_timeout_ms 0 */
#define FETCH_MAX_REDIRS 5              /* redirects followed (D-RUL-6) */
#define FETCH_STALL_S 20L               /* under 1 byte/s this long: timeout */
#define FETCH_TFTP_BLKSIZE_MIN 8u       /* RFC 2348 */
#define FETCH_TFTP_BLKSIZE_MAX 65464u
#define FETCH_CODING_MAX 64             /* Content-Encoding list kept, NUL included */
#define FETCH_CODING_UNKNOWN "(too long)" /* content_encoding of a longer list */

struct fetch_net_ops {
	/* Watch fd for events (FETCH_IN | FETCH_OUT), or stop watching it
	 * (events == 0). A new call for the same fd replaces the events.
	 * Stop is called before libcurl closes the fd. */
	void (*watch)(void *arg, int fd, unsigned events);
	/* Arm the net's single one-shot timer to fire after ms milliseconds
	 * (0: as soon as possible), replacing any armed one, or cancel it
	 * (ms < 0). */
	void (*timer)(void *arg, long ms);
};

struct fetch_net;
struct fetch_xfer;

enum prov_err fetch_net_new(const struct fetch_net_ops *ops, void *arg,
			    struct fetch_net **out) PROV_WUR;
/* Cancels every transfer (their callbacks are not called), tells the host
 * to stop watching their fds and to cancel the timer, and frees. NULL is
 * allowed. Not from inside the ops. */
void fetch_net_free(struct fetch_net *net);
/* The host saw events on fd, or its timer fired. Callbacks run in here. */
void fetch_net_fd(struct fetch_net *net, int fd, unsigned events);
void fetch_net_timeout(struct fetch_net *net);
/* Transfers in progress. */
size_t fetch_net_active(const struct fetch_net *net);

struct fetch_req {
	const struct url *url;     /* what to fetch (host must be set) */
	const char *uid, *pwd;     /* HTTP credentials: Basic or Digest, as the
				    * server asks (D-RUL-6: sent only after a
				    * 401; never to another host) */
	const void *post;          /* --post: HTTP POST this body; NULL: GET */
	size_t postlen;
	int upload;                /* post is an upload (reports, D-REP-1): HTTP
				    * POST, or PUT when put is set; over TFTP a
				    * write (WRQ). Without it a tftp URL reads. */
	int put;                   /* with upload: HTTP PUT instead of POST */
	const char *content_type;  /* Content-Type of the body; NULL: libcurl's */
	const char *user_agent;    /* HTTP_User_Agent_Name, expanded (D-RUL-7);
				    * NULL: no User-Agent header */
	const char *ca_file;       /* trust store for HTTPS (PEM bundle), the
				    * only one used; NULL: the system's */
	const char *ca_extra_file; /* the custom CA (Custom_CA_Rule, D-NET-2),
				    * PEM: trusted in addition to ca_file (or
				    * the system's); unreadable: "tls trust
				    * store unusable"; NULL: none. Needs a
				    * libcurl built on OpenSSL (Debian's
				    * libcurl4-openssl-dev): elsewhere
				    * fetch_start fails with PROV_E_INVAL */
	const char *cert_file;     /* client certificate (the MIC), PEM, or NULL */
	const char *key_file;      /* its private key */
	size_t max_body;           /* larger bodies fail: FETCH_TOOBIG (also
				    * bounds discarded error pages);
				    * 0: PROV_PROFILE_MAX */
	long timeout_ms;           /* whole transfer (D-NET-4); 0: BOUND_NET_TIMEOUT_MS */
	long connect_timeout_ms;   /* 0: default (never above timeout_ms) */
	unsigned tftp_blksize;     /* RFC 2348 blksize to ask for; 0: none (512) */
	/* Called once, when the first socket of the transfer is opened, with
	 * the address it is for ($SERVIP, $PORT): the engine sends
	 * Log_Request_Msg from here. Must not call into fetch. May be NULL;
	 * its argument is the done callback's. */
	void (*on_connect)(void *arg, const char *ip, unsigned port);
};

enum fetch_status {
	FETCH_OK = 0,
	FETCH_NOTFOUND,     /* TFTP error 1, HTTP 404 (D-RUL-5) */
	FETCH_HTTP_STATUS,  /* any other non-2xx final status */
	FETCH_DNS,          /* name did not resolve */
	FETCH_CONNECT,      /* refused, unreachable */
	FETCH_TLS,          /* handshake or verification failed */
	FETCH_TIMEOUT,      /* no answer in time, or too slow */
	FETCH_TOOBIG,       /* body over max_body */
	FETCH_REDIRECT,     /* too many redirects, or to a refused protocol */
	FETCH_TFTP,         /* a TFTP error other than file not found */
	FETCH_AUTH,         /* 401/407 after the credentials were tried */
	FETCH_ERROR         /* anything else (truncated body, ...) */
};

struct fetch_result {
	enum fetch_status status;
	long http_code;           /* final HTTP status, 0 for TFTP */
	char err[128];            /* $ERR (D-LOG-3), "" on success: "tftp file
				   * not found", "http_get failed: 500", ... */
	char detail[256];         /* libcurl's or tftpc's words, for debug logs only
				   * (not stable); "" when none */
	char serv_ip[64];         /* $SERVIP: the address used ("" if none) */
	unsigned port;            /* $PORT (0 if no connection was made) */
	struct buf body;          /* owned by the result; valid in the callback
				   * only, unless taken with buf_take */
	int redirected_permanently; /* redirects were followed and every one
				   * was a 301 or 308 (D-RUL-6); never set when
				   * final_url had to be cut */
	char final_url[BOUND_URL_TEXT + 1]; /* after redirects */
	unsigned tftp_blksize;    /* blksize the server acknowledged; 0: none
				   * (512-byte blocks) or not TFTP */
	/* The final response's Content-Encoding, trimmed, several headers
	 * joined by ", "; FETCH_CODING_UNKNOWN when too long to keep; "" when
	 * none or not HTTP. The body is as sent: libcurl decodes no coding. */
	char content_encoding[FETCH_CODING_MAX];
};

/* Starts a transfer. done(arg, result) is called exactly once, later,
 * unless the transfer is cancelled; the transfer is freed when done
 * returns. The request and its strings are copied. Fails with
 * PROV_E_INVAL (no host, blksize out of range) or PROV_E_NOMEM, with d
 * saying why. */
enum prov_err fetch_start(struct fetch_net *net, const struct fetch_req *req,
			  void (*done)(void *arg, struct fetch_result *res),
			  void *arg, struct fetch_xfer **out, struct diag *d) PROV_WUR;

/* Cancels a transfer in progress; its callback is not called. NULL, and a
 * transfer whose done callback is running, are no-ops. Safe from inside
 * another transfer's done callback and from inside the ops (the removal
 * from libcurl is then deferred until libcurl returns). */
void fetch_cancel(struct fetch_xfer *x);

#endif
