/*
 * http: the HTTP/1.1 server (S-NET-2), plain or over TLS (S-NET-3): GET and
 * HEAD of the static tree (root.h), Range (one range) for firmware, ETag
 * and Last-Modified with conditional GET (If-None-Match,
 * If-Modified-Since), PUT and POST of device reports into the upload
 * directory, keep-alive, /metrics (Prometheus text) and /healthz. Bounded:
 * header block, body, connections per worker and per client address;
 * header, body, idle and send timeouts against slow clients. Over a cap a
 * connection gets 503 and is closed (S-SEC-5).
 *
 * Parsing: the request line and headers are parsed by Debian's
 * libhttp-parser (nodejs http-parser 2.9). A file up to 16 KB goes out
 * in the head's write; larger plain files with sendfile(2), over TLS
 * through SSL_write from a read buffer.
 *
 * Every answered request is recorded in the history (store_request) and
 * the metrics, with the device identity when one is known (MAC in the
 * path, in the User-Agent "($MA)", or the verified client certificate).
 */
#ifndef PROV_SERVER_HTTP_H
#define PROV_SERVER_HTTP_H

#include "http_parse.h"

#define HTTP_FIELD_MAX 256u   /* bytes kept of one header value the server acts on */
#define HTTP_AUTHZ_MAX 1024u  /* ... of Authorization (auth=digest routes; longer: none) */

/* The request headers the server acts on, indexes into http_fields (its
 * table for common/http_parse) and into struct http_parse's field[]. */
enum http_field {
	HTTP_F_USER_AGENT, HTTP_F_IF_NONE_MATCH, HTTP_F_IF_MODIFIED_SINCE,
	HTTP_F_RANGE, HTTP_F_IF_RANGE, HTTP_F_EXPECT, HTTP_F_AUTHORIZATION, HTTP_F_N
};
#define HTTP_FIELD_STORE ((size_t)(HTTP_F_N - 1) * (HTTP_FIELD_MAX + 1u) + \
			  HTTP_AUTHZ_MAX + 1u) /* their values */

extern const struct http_want http_fields[HTTP_F_N];

struct srv;
struct http;

/* Starts accepting connections on fd (a listening TCP socket the caller
 * owns). tls: 0 for HTTP, 1 for HTTPS (uses srv->tls at each accept).
 * Returns 0, or -1 with errno. */
int http_new(struct http **out, struct srv *srv, int fd, int tls)
	__attribute__((warn_unused_result));

/* The same, for the admin listener (--admin): every request is the JSON
 * API's or the web page's (api.h, web.h), never the served tree's; over
 * TLS with --admin-tls. */
int http_new_admin(struct http **out, struct srv *srv, int fd, int tls)
	__attribute__((warn_unused_result));

/* Stops accepting; idle keep-alive connections are closed, requests in
 * flight finish (SIGTERM). */
void http_drain(struct http *h);

/* Open connections. */
unsigned http_active(const struct http *h);

/* Closes every connection and frees. NULL-safe. */
void http_free(struct http *h);

#endif
