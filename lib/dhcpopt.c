/*
 * dhcpopt: the provisioning server from DHCP options (device.md D-ONB-1,
 * D-RUL-4). Every option value is untrusted (it came off the network or
 * the command line through the device status): each kind is checked for
 * its form and length before anything is taken from it.
 */
#include "dhcpopt.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "hex.h"
#include "param.h"

/* A server named as in option 66: "[scheme://]host[:port][/path]". The
 * path, if any, is ignored; a host is required. */
static enum prov_err
dhcpopt_name(unsigned code, const char *text, size_t len,
	     struct dhcpopt_server *s, struct diag *d)
{
	struct url *u;
	enum prov_err rc;

	if (len == 0)
		return diag_set(d, PROV_E_NOTFOUND, 1, 1, "option %u is empty", code);
	if (len > BOUND_URL_TEXT)
		return diag_set(d, PROV_E_SYNTAX, 1, 1,
				"option %u: longer than %u bytes", code, BOUND_URL_TEXT);
	/* struct url is over 4 KiB: keep it off the engine's stack. */
	u = malloc(sizeof(*u));
	if (u == NULL)
		return diag_set(d, PROV_E_NOMEM, 1, 1, "out of memory");
	if (text[0] == '/') {
		rc = diag_set(d, PROV_E_SYNTAX, 1, 1, "option %u names no host", code);
		goto out;
	}
	rc = url_parse(text, len, u, d);
	if (rc != PROV_OK) {
		/* Keep url_parse's column; say which option it was. */
		char why[sizeof(d->msg)];

		memcpy(why, d->msg, sizeof(why));
		rc = diag_set(d, PROV_E_SYNTAX, 1, d->col, "option %u: %.200s", code, why);
		goto out;
	}
	if (u->host[0] == '\0') {
		rc = diag_set(d, PROV_E_SYNTAX, 1, 1, "option %u names no host", code);
		goto out;
	}
	memcpy(s->host, u->host, sizeof(s->host));
	s->host_ipv6 = u->host_ipv6;
	s->scheme_given = u->scheme_given;
	s->scheme = u->scheme;
	s->port = u->port_given ? u->port : 0;
	rc = PROV_OK;
out:
	free(u);
	return rc;
}

/* Option 150: "a.b.c.d[,a.b.c.d...]", every element a dotted IPv4 address;
 * the first is the server. */
static enum prov_err
dhcpopt_addrs(const char *text, size_t len, struct dhcpopt_server *s,
	      struct diag *d)
{
	size_t i = 0;
	int first = 1;

	if (len == 0)
		return diag_set(d, PROV_E_NOTFOUND, 1, 1, "option 150 is empty");
	while (i <= len) {
		const char *comma = memchr(text + i, ',', len - i);
		size_t n = (comma != NULL ? (size_t)(comma - text) : len) - i;
		char tmp[INET_ADDRSTRLEN];
		struct in_addr a;

		if (n == 0 || n >= sizeof(tmp))
			return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)(i + 1),
					"option 150: bad IPv4 address list");
		memcpy(tmp, text + i, n);
		tmp[n] = '\0';
		if (inet_pton(AF_INET, tmp, &a) != 1)
			return diag_set(d, PROV_E_SYNTAX, 1, (unsigned)(i + 1),
					"option 150: bad IPv4 address '%s'", tmp);
		if (first)
			memcpy(s->host, tmp, n + 1);
		first = 0;
		if (comma == NULL)
			break;
		i += n + 1;
	}
	return PROV_OK;
}

/* Sub-options (code, length, data; 0 pads, 255 ends) in p[0..len): the
 * server in sub-option DHCPOPT_SUB_SERVER. */
static enum prov_err
dhcpopt_subopts(unsigned code, const unsigned char *p, size_t len,
		struct dhcpopt_server *s, struct diag *d)
{
	size_t i = 0;

	while (i < len) {
		unsigned sub = p[i], n;

		if (sub == 0) {
			i++;
			continue;
		}
		if (sub == 255)
			break;
		if (i + 2 > len)
			return diag_set(d, PROV_E_SYNTAX, 1, 1,
					"option %u: sub-option %u without length", code, sub);
		n = p[i + 1];
		if (i + 2 + n > len)
			return diag_set(d, PROV_E_SYNTAX, 1, 1,
					"option %u: sub-option %u runs past the end", code, sub);
		if (sub == DHCPOPT_SUB_SERVER) {
			for (unsigned k = 0; k < n; k++)
				if (p[i + 2 + k] <= 0x20 || p[i + 2 + k] >= 0x7f)
					return diag_set(d, PROV_E_SYNTAX, 1, 1,
							"option %u: sub-option %u is not printable",
							code, sub);
			return dhcpopt_name(code, (const char *)p + i + 2, n, s, d);
		}
		i += 2 + n;
	}
	return diag_set(d, PROV_E_NOTFOUND, 1, 1, "option %u: no sub-option %u",
			code, DHCPOPT_SUB_SERVER);
}

/* Option 125 (RFC 3925 4): blocks of enterprise number (4 bytes), data
 * length (1), data; the Cisco block's data are sub-options. */
static enum prov_err
dhcpopt_vivso(const unsigned char *p, size_t len, struct dhcpopt_server *s,
	      struct diag *d)
{
	size_t i = 0;

	while (i < len) {
		uint32_t ent;
		unsigned n;

		if (i + 5 > len)
			return diag_set(d, PROV_E_SYNTAX, 1, 1,
					"option 125: truncated enterprise block");
		ent = (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 |
		    (uint32_t)p[i + 2] << 8 | p[i + 3];
		n = p[i + 4];
		if (i + 5 + n > len)
			return diag_set(d, PROV_E_SYNTAX, 1, 1,
					"option 125: enterprise %u block runs past the end",
					(unsigned)ent);
		if (ent == DHCPOPT_CISCO_ENTERPRISE)
			return dhcpopt_subopts(125, p + i + 5, n, s, d);
		i += 5 + n;
	}
	return diag_set(d, PROV_E_NOTFOUND, 1, 1, "option 125: no enterprise %u block",
			DHCPOPT_CISCO_ENTERPRISE);
}

enum prov_err
dhcpopt_server(unsigned code, const char *text, size_t len,
	       struct dhcpopt_server *s, struct diag *d)
{
	unsigned char *raw = NULL;
	enum prov_err rc;
	long n;

	memset(s, 0, sizeof(*s));
	s->code = code;
	switch (code) {
	case 66:
	case 159:
	case 160:
		return dhcpopt_name(code, text, len, s, d);
	case 150:
		return dhcpopt_addrs(text, len, s, d);
	case 43:
	case 125:
		break;
	default:
		return diag_set(d, PROV_E_NOTFOUND, 1, 1, "option %u names no server", code);
	}
	if (len == 0)
		return diag_set(d, PROV_E_NOTFOUND, 1, 1, "option %u is empty", code);
	raw = malloc(DHCPOPT_RAW_MAX);
	if (raw == NULL)
		return diag_set(d, PROV_E_NOMEM, 1, 1, "out of memory");
	n = hex_bytes(text, len, raw, DHCPOPT_RAW_MAX);
	if (n < 0)
		rc = diag_set(d, PROV_E_SYNTAX, 1, 1, "option %u: expected hex bytes", code);
	else if (code == 43)
		rc = dhcpopt_subopts(43, raw, (size_t)n, s, d);
	else
		rc = dhcpopt_vivso(raw, (size_t)n, s, d);
	free(raw);
	if (rc != PROV_OK)
		memset(s->host, 0, sizeof(s->host));
	s->code = code;
	return rc;
}

size_t
dhcpopt_order(const char *text, unsigned *codes, size_t max)
{
	size_t n = 0;
	const char *p = text;

	if (max > DHCPOPT_ORDER_MAX)
		max = DHCPOPT_ORDER_MAX;
	while (*p != '\0' && n < max) {
		unsigned long v = 0;
		int digits = 0, bad = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		while (*p >= '0' && *p <= '9') {
			if (v <= 1000)
				v = v * 10 + (unsigned)(*p - '0');
			digits++;
			p++;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ',' && *p != '\0')
			bad = 1;
		while (*p != ',' && *p != '\0')
			p++;
		if (*p == ',')
			p++;
		if (!bad && digits > 0 && v >= 1 && v <= 254)
			codes[n++] = (unsigned)v;
	}
	return n;
}

int
dhcpopt_resolve(const char *order, char *(*get)(void *arg, unsigned code),
		void *arg, struct dhcpopt_server *s, unsigned *skipped)
{
	unsigned codes[DHCPOPT_ORDER_MAX];
	size_t n = dhcpopt_order(order, codes, DHCPOPT_ORDER_MAX);
	struct diag d;

	if (skipped != NULL)
		*skipped = 0;
	for (size_t i = 0; i < n; i++) {
		char *v = get(arg, codes[i]);
		enum prov_err rc;

		if (v == NULL)
			continue;
		diag_init(&d);
		rc = dhcpopt_server(codes[i], v, strlen(v), s, &d);
		free(v);
		if (rc == PROV_OK)
			return 1;
		if (rc != PROV_E_NOTFOUND && skipped != NULL)
			(*skipped)++;
	}
	return 0;
}

void
dhcpopt_apply(const struct dhcpopt_server *s, struct url *u)
{
	memcpy(u->host, s->host, sizeof(u->host));
	u->host_ipv6 = s->host_ipv6;
	if (!u->scheme_given && s->scheme_given) {
		u->scheme = s->scheme;
		u->port = url_default_port(s->scheme);
	}
	if (s->port != 0 && (!s->scheme_given || s->scheme == u->scheme))
		u->port = s->port;
}

/* The value of DHCP option code as the agent stored it (phone/dhcp.h). */
static char *
dhcpopt_status(void *arg, unsigned code)
{
	struct prov_device *dev = arg;
	char key[32], *v = NULL;

	snprintf(key, sizeof(key), "dhcp_option_%u", code);
	if (prov_device_status_get(dev, key, &v) != PROV_OK) {
		free(v);
		return NULL;
	}
	return v;
}

int
dhcpopt_default_host(struct prov_device *dev, struct url *u)
{
	struct dhcpopt_server s;
	long idx = param_find("DHCP_Option_To_Use", strlen("DHCP_Option_To_Use"));
	char *last = NULL;

	if (idx >= 0 && dhcpopt_resolve(device_value(dev, (size_t)idx), dhcpopt_status,
					dev, &s, NULL)) {
		dhcpopt_apply(&s, u);
		return 1;
	}
	if (prov_device_status_get(dev, "last_server", &last) != PROV_OK || last == NULL) {
		free(last);
		return 0;
	}
	snprintf(u->host, sizeof(u->host), "%s", last);
	u->host_ipv6 = strchr(last, ':') != NULL;
	free(last);
	return u->host[0] != '\0';
}
