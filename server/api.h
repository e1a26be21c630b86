/*
 * api: the JSON admin API on the --admin listener (server.md S-OPS-4,
 * S-SEC-4; docs/API.md). The same operations as `prov device` (its
 * timeline and drift too), `prov var`, `prov template` and `prov code`,
 * through the same functions (inventory.h, activate.h, timeline.h), plus
 * the metrics and the request history.
 *
 * Authentication: every request carries "Authorization: Bearer TOKEN",
 * TOKEN being the first line of --admin-token-file (at least
 * API_TOKEN_MIN characters, the file not readable by others); compared
 * as SHA-256 digests with CRYPTO_memcmp. No cookie is ever accepted, so a
 * browser page elsewhere cannot forge a request (CSRF).
 *
 * Bodies: JSON objects parsed by json-c (Debian's libjson-c), at most
 * API_BODY_MAX bytes with a Content-Length (chunked bodies: 411), nesting
 * at most API_JSON_DEPTH; a field not in the operation's list is refused
 * with 400 {"error": "...: unknown field 'x'"}. Answers are JSON
 * (application/json) except the metrics' Prometheus text.
 *
 * Threads: as inventory.h: one worker, one connection.
 */
#ifndef PROV_SERVER_API_H
#define PROV_SERVER_API_H

#include <stddef.h>
#include <stdint.h>

#define API_PREFIX "/api/v1/"          /* every API path starts so */
#define API_BODY_MAX (4u * 1024u * 1024u) /* a request body (a template is up to 1 MiB) */
#define API_JSON_DEPTH 8               /* nesting of a request body */
#define API_TOKEN_MIN 32u              /* shortest bearer token accepted */
#define API_TOKEN_MAX 256u             /* longest */
#define API_HISTORY_DEFAULT 100u       /* history rows without limit= */
#define API_HISTORY_MAX 10000u         /* most history rows one request gets */
#define API_QUERY_MAX 512u             /* one decoded query value */
#define API_TIMELINE_DEFAULT 1000u     /* timeline requests and syslog lines without limit= */
#define API_TIMELINE_MAX (64u * 1024u * 1024u) /* a timeline or drift answer, bytes */

struct inv;
struct metrics;

/* Reads the token file into the digest the requests are checked against.
 * 0, or -1 with err. */
int api_token_load(const char *path, unsigned char digest[32], char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* 1 when the Authorization value (len bytes, or NULL) carries the token. */
int api_authorized(const unsigned char digest[32], const char *authz, size_t len);

/* The decoded value of name in a query string or a form body
 * (application/x-www-form-urlencoded; NULL: none) into out (cap bytes).
 * 1 found, 0 absent, -1 malformed (a bad escape, %00) or too long. */
int api_form_get(const char *query, const char *name, char *out, size_t cap);

/* The same for "Basic base64(user:token)" (the web page, web.h): any
 * user, the token as the password. */
int api_basic_authorized(const unsigned char digest[32], const char *authz, size_t len);

/* One answer. body is fresh (api_res_fini frees it). */
struct api_res {
	int status;
	const char *ctype;
	char *body;
	size_t len;
	const char *allow;             /* for 405: the methods the path takes */
};
void api_res_fini(struct api_res *r);

/* Answers method (GET, HEAD, POST, PUT, PATCH, DELETE) on path (decoded,
 * starting with API_PREFIX) with query (raw, without '?', or NULL) and
 * body (len bytes, not NUL-terminated). db: the history's URL (the
 * timelines and drifts; NULL: they answer 503). m may be NULL (no
 * metrics). */
void api_handle(struct inv *inv, const char *db, const struct metrics *m, const char *method,
		const char *path, const char *query, const char *body, size_t len,
		struct api_res *res);

#endif
