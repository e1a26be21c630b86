/*
 * admin: the phone's web interface (device.md D-TRG-1, D-TRG-2, D-TRG-4,
 * D-PAR-1, D-PAR-5, D-STA-1), an HTTP/1.1 server on the host's event loop
 * (common/loop.h), requests parsed by common/http_parse (libhttp-parser).
 *
 *   GET  /admin/resync[?RULE]   explicit resync, RULE URL-encoded
 *   GET  /admin/reboot          reboot (reason "User Triggered")
 *   GET  /admin/advanced        the parameters and Info > Status, as HTML
 *   POST /admin/advanced        change parameters (form, CSRF token)
 *   GET  /admin/upgrade?URL     firmware upgrade now (D-UPG-1; 409 when refused)
 *   POST /CGI/Execute           CiscoIPPhoneExecute / CP-xxxx-3PCCExecute
 *
 * Authentication: user "admin" with Admin_Password (everything), user
 * "user" with User_Password (the advanced page, limited by `ua`), by HTTP
 * Digest (RFC 7616: SHA-256 and MD5, qop=auth, nonces that carry their
 * issue time and an HMAC and expire, nc replays refused) or Basic. While
 * Admin_Password is empty every request gets a page saying how to set it
 * and nothing changes.
 *
 * Each connection carries one request and is closed after the answer
 * (Connection: close); sizes, time and the number of connections are
 * bounded below. A bad peer loses its connection, never the process.
 *
 * Ownership: struct admin borrows the loop and the device given to
 * admin_new, which must outlive it; the engine is asked of the host each
 * time (a reboot replaces it). Single-threaded, on the loop's thread.
 */
#ifndef PROV_ADMIN_H
#define PROV_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "prov/prov.h"
#include "http_parse.h"

#define ADMIN_CONN_MAX 16              /* connections at once; a newcomer past it closes
				       * the one silent the longest */
#define ADMIN_CONN_PER_ADDR 8          /* connections at once from one address: a
				       * browser opens up to 6 */
#define ADMIN_IDLE_MS 3000             /* a connection silent this long is closed, ms */
#define ADMIN_FAIL_FREE 5              /* wrong passwords from one address before backoff */
#define ADMIN_FAIL_BASE_MS 1000        /* the first backoff, doubled at each failure, ms */
#define ADMIN_FAIL_MAX_MS 60000        /* the longest backoff, ms */
#define ADMIN_FAIL_FORGET_MS (15 * 60 * 1000) /* failures older than this are forgotten */
#define ADMIN_FAIL_SLOTS 64            /* addresses whose failures are remembered (LRU) */
#define ADMIN_HEAD_MAX (16u * 1024u)   /* request line + headers, bytes */
#define ADMIN_URL_MAX HTTP_URL_MAX     /* request target, bytes (the parser's bound) */
#define ADMIN_HEADER_VALUE_MAX 2048u   /* one kept header's value, bytes */
#define ADMIN_EXPECT_MAX 32u           /* bytes of Expect kept (only 100-continue counts) */
#define ADMIN_FIELD_STORE (7u * (ADMIN_HEADER_VALUE_MAX + 1u) + ADMIN_EXPECT_MAX + 1u)
					/* the kept headers' values */
#define ADMIN_BODY_MAX (1024u * 1024u) /* request body (form of every parameter, execute XML) */
#define ADMIN_OUT_MAX (8u * 1024u * 1024u) /* one response (the catalogue page), bytes */
#define ADMIN_REQUEST_MS 10000         /* a connection's whole life, ms */
#define ADMIN_NONCE_MS (5 * 60 * 1000) /* a digest nonce's life, ms */
#define ADMIN_NONCE_SLOTS 64           /* nonces remembered for nc replay checks */
#define ADMIN_FORM_FIELDS 8192         /* fields in one POSTed form (every parameter) */
#define ADMIN_EXEC_ITEMS 3             /* ExecuteItems in one object (Cisco: 3) */
#define ADMIN_EXEC_URL_MAX 2048u       /* one ExecuteItem URL, bytes */

struct loop;
struct admin;

/* What the host gives the admin server. */
struct admin_ops {
	/* The device's engine now (a reboot may replace it). */
	struct prov_engine *(*engine)(void *arg);
	/* Reboots: cancels a resync in progress and boots the engine again
	 * (the reason is already recorded). Returns 0, or -1. */
	int (*reboot)(void *arg);
	/* Something the schedule depends on may have changed (parameters
	 * set, a resync started): the host re-arms its engine timer. */
	void (*changed)(void *arg);
	void *arg;
	/* The state directory, only for the hint shown while Admin_Password
	 * is empty; may be NULL. */
	const char *state_dir;
};

/* Listens on ADDR:PORT ("127.0.0.1:8080", "[::1]:0"; numeric only; port 0
 * picks one). Returns 0 with *out set, or with msg saying why: -2 when
 * addr is malformed, -1 when listening failed. */
int admin_new(struct admin **out, struct loop *loop, struct prov_device *dev,
	      const struct admin_ops *ops, const char *addr, char *msg, size_t msglen)
	__attribute__((warn_unused_result));

/* Closes the listener and every connection; NULL is allowed. */
void admin_free(struct admin *a);

/* The port listened on (what port 0 became). */
int admin_port(const struct admin *a);

/* Connections open now (tests wait for it to fall). */
size_t admin_conn_count(const struct admin *a);

/* ---- parsers, exposed for the fuzz targets and unit tests ---------------- */

/* One parsed request, over common/http_parse. Strings are NUL-terminated,
 * "" when absent, and live in the request, which must not be copied
 * after admin_req_init (they point into it). */
struct admin_req {
	int method;               /* enum http_method */
	const char *url;          /* the request-target, at most ADMIN_URL_MAX */
	size_t urllen;
	const char *authz;        /* Authorization */
	const char *ctype;        /* Content-Type */
	const char *origin;       /* Origin */
	const char *referer;      /* Referer */
	const char *host;         /* Host */
	const char *cookie;       /* Cookie */
	const char *fetch_site;   /* Sec-Fetch-Site */
	char *body;               /* NUL-terminated, at most ADMIN_BODY_MAX */
	size_t bodylen;
	int headers_done;         /* the header section has been read */
	int expect_continue;      /* Expect: 100-continue */
	int complete;             /* the whole request has arrived */
	const char *error;        /* why the request is refused, NULL if fine */
	int status;               /* the status for error (400, 413, 431, ...) */
	struct http_parse p;      /* the parser; its header values are in fields */
	char fields[ADMIN_FIELD_STORE];
};

/* Starts / ends a request. admin_req_init returns 0 or -1 (no memory). */
int admin_req_init(struct admin_req *r) __attribute__((warn_unused_result));
void admin_req_fini(struct admin_req *r);

/* Feeds len bytes. Returns 0 while more is wanted or when the request is
 * complete (r->complete), -1 when it is refused (r->error, r->status). */
int admin_req_feed(struct admin_req *r, const char *data, size_t len);

/* Percent-decodes s[0..len) into out (outsize bytes, NUL-terminated);
 * plus becomes a space when form is nonzero. Returns the decoded length,
 * or -1 for a bad escape, a NUL or control byte, or no room. */
long admin_decode(const char *s, size_t len, int form, char *out, size_t outsize);

/* One form field, decoded. */
struct admin_field {
	char *name;
	char *value;
};

/* Parses an application/x-www-form-urlencoded body into at most max
 * fields (fresh strings; admin_fields_free frees them). Returns the number
 * of fields, or -1 when malformed or too many. */
long admin_form_parse(const char *body, size_t len, struct admin_field *f, size_t max);
void admin_fields_free(struct admin_field *f, size_t n);

/* The items of an execute object (D-TRG-2). */
struct admin_exec {
	size_t n;
	char url[ADMIN_EXEC_ITEMS][ADMIN_EXEC_URL_MAX + 1];
};

/* Parses an execute object: root CiscoIPPhoneExecute or CP-...Execute,
 * ExecuteItem elements with a URL attribute; no DTD, no entities. Returns
 * 0, or -1 with msg saying why. */
int admin_exec_parse(const char *xml, size_t len, struct admin_exec *out,
		     char *msg, size_t msglen);

/* Writes s HTML-escaped into out (outsize bytes, NUL-terminated, cut if
 * short). Returns the length written. */
size_t admin_html_escape(const char *s, char *out, size_t outsize);

#endif
