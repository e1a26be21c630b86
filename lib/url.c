/*
 * url: parsing and formatting of rule URLs (device.md D-RUL-4).
 *
 * The text has already been macro-expanded and trimmed by the caller; this
 * module sees bytes only. It is strict: anything a fetch could misread
 * (white space, control characters, '#', a host with odd characters, a
 * port out of range) is refused with the column of the fault.
 */
#include "url.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

static const char *const url_names[] = { "tftp", "http", "https" };
static const unsigned url_ports[] = { 69, 80, 443 };

const char *
url_scheme_name(enum url_scheme s)
{
	if ((unsigned)s >= sizeof(url_names) / sizeof(url_names[0]))
		return "tftp";
	return url_names[s];
}

unsigned
url_default_port(enum url_scheme s)
{
	if ((unsigned)s >= sizeof(url_ports) / sizeof(url_ports[0]))
		return 69;
	return url_ports[s];
}

static int
url_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
url_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
url_is_hostc(unsigned char c)
{
	return url_is_alpha(c) || url_is_digit(c) || c == '-' || c == '.' ||
	    c == '_';
}

/* Ends the host (or the port): the start of the path or of the query. */
static int
url_is_hostend(unsigned char c)
{
	return c == '/' || c == '?';
}

/* Matches a scheme at the start of s: letters followed by "://". Returns
 * the length of the scheme name (0: no scheme). */
static size_t
url_scheme_len(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && url_is_alpha((unsigned char)s[i]))
		i++;
	if (i == 0 || len - i < 3 || memcmp(s + i, "://", 3) != 0)
		return 0;
	return i;
}

static int
url_scheme_lookup(const char *s, size_t n, enum url_scheme *out)
{
	for (size_t i = 0; i < sizeof(url_names) / sizeof(url_names[0]); i++) {
		if (strlen(url_names[i]) == n && strncasecmp(s, url_names[i], n) == 0) {
			*out = (enum url_scheme)i;
			return 1;
		}
	}
	return 0;
}

/* An IPv6 literal between brackets; s[0] is '['. Sets *used to the bytes
 * consumed, brackets included. */
static enum prov_err
url_parse_ipv6(const char *s, size_t len, size_t base, struct url *u,
	       size_t *used, struct diag *d)
{
	const char *close = memchr(s, ']', len);
	unsigned char addr[16];
	char tmp[64];
	size_t n;

	if (close == NULL)
		return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)(base + 1),
				"unterminated IPv6 address");
	n = (size_t)(close - s - 1);
	if (n == 0 || n >= sizeof(tmp))
		return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)(base + 1),
				"bad IPv6 address");
	memcpy(tmp, s + 1, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET6, tmp, addr) != 1)
		return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)(base + 2),
				"bad IPv6 address");
	memcpy(u->host, tmp, n + 1);
	u->host_ipv6 = 1;
	*used = n + 2;
	return PROV_OK;
}

enum prov_err
url_parse(const char *text, size_t len, struct url *u, struct diag *d)
{
	size_t i, n, pos = 0;

	memset(u, 0, sizeof(*u));
	u->scheme = URL_TFTP;
	if (len == 0)
		return diag_set(d, PROV_E_SYNTAX, 1, 1, "empty URL");
	if (len > BOUND_URL_TEXT)
		return diag_set(d, PROV_E_TOOBIG, 1, BOUND_URL_TEXT + 1,
				"URL longer than %u bytes", BOUND_URL_TEXT);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c <= 0x20 || c == 0x7f)
			return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)(i + 1),
					"white space or control character in URL");
		if (c == '#')
			return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)(i + 1),
					"'#' in URL");
	}

	/* scheme */
	n = url_scheme_len(text, len);
	if (n > 0) {
		if (!url_scheme_lookup(text, n, &u->scheme))
			return diag_set(d, PROV_E_SYNTAX, 1, 1,
					"unknown scheme '%.*s'", (int)(n > 16 ? 16 : n), text);
		u->scheme_given = 1;
		pos = n + 3;
	}
	u->port = url_default_port(u->scheme);

	/* host and port, unless the path starts right away */
	if (pos == len || text[pos] != '/') {
		if (pos < len && text[pos] == '[') {
			enum prov_err rc = url_parse_ipv6(text + pos, len - pos, pos,
							  u, &n, d);

			if (rc != PROV_OK)
				return rc;
			pos += n;
			if (pos < len && text[pos] != ':' && !url_is_hostend((unsigned char)text[pos]))
				return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)(pos + 1),
						"unexpected character after IPv6 address");
		} else {
			size_t start = pos;

			while (pos < len && text[pos] != ':' &&
			    !url_is_hostend((unsigned char)text[pos])) {
				if (!url_is_hostc((unsigned char)text[pos]))
					return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)(pos + 1),
							text[pos] == '$' ?
							"unexpanded macro in host" :
							"bad character in host");
				pos++;
			}
			n = pos - start;
			if (n == 0)
				return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)(start + 1),
						"empty host");
			if (n > BOUND_URL_HOST)
				return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)(start + 1),
						"host longer than %u bytes", BOUND_URL_HOST);
			memcpy(u->host, text + start, n);
			u->host[n] = '\0';
		}
		if (pos < len && text[pos] == ':') {
			size_t start = ++pos;
			unsigned long port = 0;

			while (pos < len && url_is_digit((unsigned char)text[pos])) {
				if (port <= 65535)
					port = port * 10 + (unsigned)(text[pos] - '0');
				pos++;
			}
			if (pos < len && !url_is_hostend((unsigned char)text[pos]))
				return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)(pos + 1),
						"bad character in port");
			if (pos == start || port < 1 || port > 65535)
				return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)(start + 1),
						"port must be 1..65535");
			u->port = (unsigned)port;
			u->port_given = 1;
		}
	}

	/* path */
	if (pos < len && text[pos] == '/') {
		const char *q = memchr(text + pos, '?', len - pos);

		n = (q != NULL ? (size_t)(q - text) : len) - pos;
		memcpy(u->path, text + pos, n);
		u->path[n] = '\0';
		pos += n;
	} else {
		strcpy(u->path, "/");
	}

	/* query */
	if (pos < len) {
		/* Only '?' can be left: every other byte was taken above. */
		pos++;
		n = len - pos;
		memcpy(u->query, text + pos, n);
		u->query[n] = '\0';
		u->has_query = 1;
	}
	return PROV_OK;
}

enum prov_err
url_format(const struct url *u, struct buf *out)
{
	enum prov_err rc;

	rc = buf_addf(out, "%s://", url_scheme_name(u->scheme));
	if (rc == PROV_OK && u->host[0] != '\0')
		rc = buf_addf(out, u->host_ipv6 ? "[%s]:%u" : "%s:%u", u->host,
			      u->port);
	if (rc == PROV_OK)
		rc = buf_adds(out, u->path[0] != '\0' ? u->path : "/");
	if (rc == PROV_OK && u->has_query)
		rc = buf_addf(out, "?%s", u->query);
	return rc;
}
