/*
 * url: the URLs of profile, upgrade and report rules.
 * device.md D-RUL-4.
 *
 *     [scheme://][host[:port]]/path[?query]
 *
 * No scheme means tftp. Default ports: tftp 69, http 80, https 443.
 * host may be a name, an IPv4 address or a bracketed IPv6 address. No host
 * (the text starts with '/') leaves host empty: the caller fills in the
 * server learned from DHCP or the last successful one. A host without a path
 * ("http://example.com") gets path "/".
 * The structure is caller storage with fixed-size fields: nothing to free.
 */
#ifndef PROV_URL_H
#define PROV_URL_H

#include <stddef.h>
#include "bounds.h"
#include "buf.h"
#include "diag.h"

enum url_scheme { URL_TFTP = 0, URL_HTTP, URL_HTTPS };

struct url {
	enum url_scheme scheme;
	int scheme_given;                /* the text named a scheme */
	char host[BOUND_URL_HOST + 1];   /* "" = none; IPv6 without brackets */
	int host_ipv6;                   /* host is an IPv6 literal */
	unsigned port;                   /* given, or the scheme's default */
	int port_given;
	char path[BOUND_URL_TEXT + 1];   /* starts with '/' */
	int has_query;                   /* a '?' was present (query may be "") */
	char query[BOUND_URL_TEXT + 1];  /* after '?' */
};

/* Parses text[0..len). Refuses: unknown scheme, empty or malformed host,
 * port outside 1..65535, white space or control characters anywhere, a
 * relative path. Errors are PROV_E_SYNTAX with d->col the 1-based column;
 * text over BOUND_URL_TEXT is PROV_E_TOOBIG. */
enum prov_err url_parse(const char *text, size_t len, struct url *u,
			struct diag *d) PROV_WUR;

/* Lower-case scheme name: "tftp", "http", "https" ($SCHEME). */
const char *url_scheme_name(enum url_scheme s);

/* Default port of a scheme. */
unsigned url_default_port(enum url_scheme s);

/* Appends the canonical form "scheme://host:port/path[?query]" (IPv6 in
 * brackets; host omitted when empty: "scheme:///path"). */
enum prov_err url_format(const struct url *u, struct buf *out) PROV_WUR;

#endif
