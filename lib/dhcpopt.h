/*
 * dhcpopt: the provisioning server from DHCP options (device.md D-ONB-1,
 * D-RUL-4). Pure: option values in, a server out; no sockets, no state.
 *
 * A rule URL without a host ("/$PSN.xml", "http:///x.cfg") takes its server
 * from the DHCP options named in DHCP_Option_To_Use, in that order; the
 * first option that is present and well-formed wins. Options arrive as the
 * text the agent stores in the device status (key "dhcp_option_N", see
 * phone/dhcp.h), one form per kind:
 *
 *   66       TFTP server name: a host name or address, optionally with a
 *            port ("tftp.example.com", "192.0.2.1:6969", "[2001:db8::1]:69"),
 *            or a whole URL ("http://192.0.2.1:8080/"), of which scheme,
 *            host and port are used. A port is this project's extension
 *            (the DHCP option names a host only): it lets a server on a
 *            non-standard port be announced.
 *   150      TFTP server address list (Cisco): dotted IPv4 addresses
 *            separated by commas ("192.0.2.1,192.0.2.2"); the first is used.
 *   159, 160 provisioning URL: "[scheme://]host[:port][/path]"; its scheme,
 *            host and port are used, its path is not (the rule names the file).
 *   43       vendor-specific information as hex bytes ("01:0b:74:66:..."):
 *            RFC 2132 8.4 encapsulated sub-options; sub-option 1 holds a
 *            server in the form of option 66.
 *   125      V-I vendor-specific information (RFC 3925) as hex bytes: the
 *            block of enterprise number 9 (Cisco) holds sub-options;
 *            sub-option 1 holds a server in the form of option 66.
 *   60 and any other code carry no server and are passed over.
 *
 * The guide names the options and their order but not the layout of the
 * vendor options (43, 125): the sub-option 1 layout above is this project's
 * choice, documented in docs and in `prov phone dhcp --help`.
 *
 * The server replaces the URL's empty host. Its scheme applies when the rule
 * named none (then that scheme's default port too); its port applies when
 * it came without a scheme or with the URL's final scheme.
 */
#ifndef PROV_DHCPOPT_H
#define PROV_DHCPOPT_H

#include <stddef.h>
#include "bounds.h"
#include "diag.h"
#include "url.h"

#define DHCPOPT_ORDER_MAX 32      /* codes read from DHCP_Option_To_Use */
#define DHCPOPT_RAW_MAX 1024      /* longest binary option (43, 125), bytes */
#define DHCPOPT_TEXT_MAX 3072     /* longest option text: 1024 bytes as "xx:" */
#define DHCPOPT_CISCO_ENTERPRISE 9u /* IANA enterprise number read in option 125 */
#define DHCPOPT_SUB_SERVER 1u     /* sub-option of 43 / 125 that names a server */

struct dhcpopt_server {
	unsigned code;                   /* the option it came from */
	char host[BOUND_URL_HOST + 1];   /* IPv6 without brackets */
	int host_ipv6;
	int scheme_given;
	enum url_scheme scheme;          /* valid when scheme_given */
	unsigned port;                   /* 0: none given */
};

/* The server in option CODE whose stored text is text[0..len).
 * PROV_E_NOTFOUND: this kind of option names no server (60, unknown codes,
 * a vendor option without sub-option 1 or enterprise 9); PROV_E_SYNTAX:
 * malformed, d->msg says how. */
enum prov_err dhcpopt_server(unsigned code, const char *text, size_t len,
			     struct dhcpopt_server *s, struct diag *d) PROV_WUR;

/* Parses DHCP_Option_To_Use ("66,160,159,150,60,43,125"): codes 1..254
 * separated by commas, white space around them allowed. Malformed elements
 * are skipped; at most DHCPOPT_ORDER_MAX codes. Returns how many. */
size_t dhcpopt_order(const char *text, unsigned *codes, size_t max);

/* Walks ORDER (DHCP_Option_To_Use) and returns 1 with *s set from the first
 * option present with a server, 0 if none. get(arg, code) returns the value
 * of option code, fresh (malloc; dhcpopt_resolve frees it), or NULL when it
 * is absent. Empty and malformed options are passed over; *skipped (if not
 * NULL) counts the malformed ones. */
int dhcpopt_resolve(const char *order, char *(*get)(void *arg, unsigned code),
		    void *arg, struct dhcpopt_server *s, unsigned *skipped);

/* Puts server s into URL u, which has no host (see the header comment). */
void dhcpopt_apply(const struct dhcpopt_server *s, struct url *u);

/* D-RUL-4 for any rule URL of dev without a host (profile, upgrade,
 * report, custom CA): the server of dev's DHCP options (status
 * "dhcp_option_N", in the order of its DHCP_Option_To_Use), else the server
 * of its last successful fetch (status "last_server", default port).
 * Returns 1 with u's host filled in, 0 if neither is known. The only
 * function here that reads the device. */
int dhcpopt_default_host(struct prov_device *dev, struct url *u);

#endif
