/*
 * Unit tests of lib/dhcpopt.c (the server from DHCP options, device.md
 * D-ONB-1, D-RUL-4) and of the packet codec of phone/dhcp.c (DHCPINFORM,
 * DHCPACK, RFC 2131 / 2132 / 3396 / 3925).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "dhcpopt.h"
#include "hex.h"
#include "dhcp.h"

/* ---- lib/dhcpopt.c ------------------------------------------------------- */

static enum prov_err
server(unsigned code, const char *text, struct dhcpopt_server *s, struct diag *d)
{
	diag_init(d);
	return dhcpopt_server(code, text, strlen(text), s, d);
}

static void
expect_server(unsigned code, const char *text, const char *host, int scheme_given,
	      enum url_scheme scheme, unsigned port)
{
	struct dhcpopt_server s;
	struct diag d;

	assert_int_equal(server(code, text, &s, &d), PROV_OK);
	assert_int_equal(s.code, code);
	assert_string_equal(s.host, host);
	assert_int_equal(s.scheme_given, scheme_given);
	if (scheme_given)
		assert_int_equal(s.scheme, scheme);
	assert_int_equal(s.port, port);
}

static void
expect_refused(unsigned code, const char *text, enum prov_err rc, const char *msg)
{
	struct dhcpopt_server s;
	struct diag d;

	assert_int_equal(server(code, text, &s, &d), rc);
	if (msg != NULL)
		assert_string_equal(d.msg, msg);
}

static void
test_option_66(void **state)
{
	(void)state;
	expect_server(66, "tftp.example.com", "tftp.example.com", 0, URL_TFTP, 0);
	expect_server(66, "192.0.2.1", "192.0.2.1", 0, URL_TFTP, 0);
	expect_server(66, "192.0.2.1:6969", "192.0.2.1", 0, URL_TFTP, 6969);
	expect_server(66, "[2001:db8::1]:69", "2001:db8::1", 0, URL_TFTP, 69);
	expect_server(66, "http://192.0.2.1:8080/", "192.0.2.1", 1, URL_HTTP, 8080);
	expect_server(66, "https://prov.example.com", "prov.example.com", 1, URL_HTTPS, 0);
	expect_refused(66, "", PROV_E_NOTFOUND, "option 66 is empty");
	expect_refused(66, "bad host", PROV_E_SYNTAX, NULL);
	expect_refused(66, "bad!host", PROV_E_SYNTAX, "option 66: bad character in host");
	expect_refused(66, "/path/only", PROV_E_SYNTAX, "option 66 names no host");
	expect_refused(66, "http:///x", PROV_E_SYNTAX, "option 66 names no host");
	expect_refused(66, "192.0.2.1:0", PROV_E_SYNTAX, "option 66: port must be 1..65535");
	expect_refused(66, "gopher://x/", PROV_E_SYNTAX, "option 66: unknown scheme 'gopher'");
}

static void
test_option_159_160(void **state)
{
	(void)state;
	expect_server(160, "http://10.1.2.3:8080/prov/$MA.cfg", "10.1.2.3", 1, URL_HTTP, 8080);
	expect_server(160, "https://prov.example.com/x", "prov.example.com", 1, URL_HTTPS, 0);
	expect_server(159, "tftp://10.1.2.3/x", "10.1.2.3", 1, URL_TFTP, 0);
	expect_server(159, "10.1.2.3:1069/x", "10.1.2.3", 0, URL_TFTP, 1069);
	expect_refused(160, "http://", PROV_E_SYNTAX, NULL);
	expect_refused(159, "http://a b/", PROV_E_SYNTAX, NULL);
}

static void
test_option_150(void **state)
{
	(void)state;
	expect_server(150, "192.0.2.7", "192.0.2.7", 0, URL_TFTP, 0);
	expect_server(150, "192.0.2.7,192.0.2.8", "192.0.2.7", 0, URL_TFTP, 0);
	expect_refused(150, "", PROV_E_NOTFOUND, NULL);
	expect_refused(150, "192.0.2.7,", PROV_E_SYNTAX, "option 150: bad IPv4 address list");
	expect_refused(150, ",192.0.2.7", PROV_E_SYNTAX, NULL);
	expect_refused(150, "192.0.2.256", PROV_E_SYNTAX, "option 150: bad IPv4 address '192.0.2.256'");
	expect_refused(150, "tftp.example.com", PROV_E_SYNTAX, NULL);
	expect_refused(150, "192.0.2.7:69", PROV_E_SYNTAX, NULL);
	expect_refused(150, "2001:db8::1", PROV_E_SYNTAX, NULL);
}

static void
test_option_43(void **state)
{
	(void)state;
	/* sub-option 1 = "10.0.0.9:8069" (13 bytes) */
	expect_server(43, "01:0d:31:30:2e:30:2e:30:2e:39:3a:38:30:36:39", "10.0.0.9", 0,
		      URL_TFTP, 8069);
	/* Other sub-options, pads and the end mark around it; no colons. */
	expect_server(43, "00020201020104782e797aff", "x.yz", 0, URL_TFTP, 0);
	/* A URL in sub-option 1. */
	expect_server(43, "01:0e:68:74:74:70:3a:2f:2f:31:2e:32:2e:33:2e:34", "1.2.3.4", 1,
		      URL_HTTP, 0);
	expect_refused(43, "02:01:00", PROV_E_NOTFOUND, "option 43: no sub-option 1");
	expect_refused(43, "01:05:31:32", PROV_E_SYNTAX, "option 43: sub-option 1 runs past the end");
	expect_refused(43, "02", PROV_E_SYNTAX, "option 43: sub-option 2 without length");
	expect_refused(43, "01:02:31:0a", PROV_E_SYNTAX, "option 43: sub-option 1 is not printable");
	expect_refused(43, "01:0", PROV_E_SYNTAX, "option 43: expected hex bytes");
	expect_refused(43, "01:02:", PROV_E_SYNTAX, NULL);
	expect_refused(43, "01:02:zz", PROV_E_SYNTAX, NULL);
	expect_refused(43, "0102:31", PROV_E_SYNTAX, NULL);
	expect_refused(43, "", PROV_E_NOTFOUND, NULL);
}

static void
test_option_125(void **state)
{
	(void)state;
	/* enterprise 9, 6 bytes of sub-options: 1 = "a.b:9" */
	expect_server(125, "00:00:00:09:07:01:05:61:2e:62:3a:39", "a.b", 0, URL_TFTP, 9);
	/* another enterprise's block first (3561, 3 bytes), then Cisco's */
	expect_server(125, "00000de903010178" "0000000903010178", "x", 0, URL_TFTP, 0);
	expect_refused(125, "00000de903010178", PROV_E_NOTFOUND,
		       "option 125: no enterprise 9 block");
	expect_refused(125, "00:00:00:09", PROV_E_SYNTAX, "option 125: truncated enterprise block");
	expect_refused(125, "00:00:00:09:05:01:01:78", PROV_E_SYNTAX,
		       "option 125: enterprise 9 block runs past the end");
	/* the block's length is right but its sub-option is not */
	expect_refused(125, "00:00:00:09:02:01:05", PROV_E_SYNTAX,
		       "option 125: sub-option 1 runs past the end");
}

static void
test_no_server_kinds(void **state)
{
	(void)state;
	expect_refused(60, "Cisco IP Phone", PROV_E_NOTFOUND, "option 60 names no server");
	expect_refused(17, "x", PROV_E_NOTFOUND, NULL);
	expect_refused(254, "x", PROV_E_NOTFOUND, NULL);
}

static void
test_order(void **state)
{
	unsigned c[DHCPOPT_ORDER_MAX];
	char many[400] = "";

	(void)state;
	assert_int_equal(dhcpopt_order("66,160,159,150,60,43,125", c, DHCPOPT_ORDER_MAX), 7);
	assert_int_equal(c[0], 66);
	assert_int_equal(c[1], 160);
	assert_int_equal(c[6], 125);
	assert_int_equal(dhcpopt_order(" 150 , 66 ", c, DHCPOPT_ORDER_MAX), 2);
	assert_int_equal(c[0], 150);
	assert_int_equal(c[1], 66);
	/* malformed elements are skipped, the rest kept */
	assert_int_equal(dhcpopt_order("0,255,x,66,,1a,160,99999999999", c, DHCPOPT_ORDER_MAX), 2);
	assert_int_equal(c[0], 66);
	assert_int_equal(c[1], 160);
	assert_int_equal(dhcpopt_order("", c, DHCPOPT_ORDER_MAX), 0);
	for (int i = 0; i < 60; i++)
		strcat(many, "66,");
	assert_int_equal(dhcpopt_order(many, c, DHCPOPT_ORDER_MAX), DHCPOPT_ORDER_MAX);
	assert_int_equal(dhcpopt_order(many, c, 3), 3);
}

/* A fake status: option values by code. */
struct opts {
	const char *v[256];
	unsigned asked[16];
	size_t nasked;
};

static char *
get_opt(void *arg, unsigned code)
{
	struct opts *o = arg;

	if (o->nasked < 16)
		o->asked[o->nasked++] = code;
	return code < 256 && o->v[code] != NULL ? strdup(o->v[code]) : NULL;
}

static void
test_resolve_order(void **state)
{
	struct opts o;
	struct dhcpopt_server s;
	unsigned skipped;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.v[66] = "tftp66";
	o.v[160] = "http://h160:81/";
	o.v[150] = "192.0.2.150";
	assert_int_equal(dhcpopt_resolve("66,160,159,150,60,43,125", get_opt, &o, &s, &skipped), 1);
	assert_int_equal(s.code, 66);
	assert_string_equal(s.host, "tftp66");
	assert_int_equal(o.nasked, 1);
	assert_int_equal(skipped, 0);

	memset(o.asked, 0, sizeof(o.asked));
	o.nasked = 0;
	assert_int_equal(dhcpopt_resolve("160,66", get_opt, &o, &s, NULL), 1);
	assert_int_equal(s.code, 160);
	assert_string_equal(s.host, "h160");
	assert_int_equal(s.port, 81);

	/* absent, empty and malformed options are passed over, in order */
	o.nasked = 0;
	o.v[66] = "";
	o.v[160] = "not a url";
	o.v[159] = NULL;
	assert_int_equal(dhcpopt_resolve("66,160,159,150", get_opt, &o, &s, &skipped), 1);
	assert_int_equal(s.code, 150);
	assert_string_equal(s.host, "192.0.2.150");
	assert_int_equal(skipped, 1);
	assert_int_equal(o.nasked, 4);
	assert_int_equal(o.asked[2], 159);

	/* an option not in the order is never looked at */
	o.nasked = 0;
	assert_int_equal(dhcpopt_resolve("60,43", get_opt, &o, &s, &skipped), 0);
	assert_int_equal(o.nasked, 2);
	assert_int_equal(dhcpopt_resolve("", get_opt, &o, &s, NULL), 0);
}

static void
apply(const char *rule, unsigned code, const char *opt, const char *want)
{
	struct url *u = malloc(sizeof(*u));
	struct dhcpopt_server s;
	struct diag d;
	struct buf b;

	assert_non_null(u);
	diag_init(&d);
	assert_int_equal(url_parse(rule, strlen(rule), u, &d), PROV_OK);
	assert_string_equal(u->host, "");
	assert_int_equal(server(code, opt, &s, &d), PROV_OK);
	dhcpopt_apply(&s, u);
	buf_init(&b, 4096);
	assert_int_equal(url_format(u, &b), PROV_OK);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
	free(u);
}

static void
test_apply(void **state)
{
	(void)state;
	/* no scheme in the rule: tftp, unless the option names one */
	apply("/$PSN.xml", 66, "10.0.0.1", "tftp://10.0.0.1:69/$PSN.xml");
	apply("/p.xml", 66, "10.0.0.1:6969", "tftp://10.0.0.1:6969/p.xml");
	apply("/p.xml", 160, "http://10.0.0.1/x/y", "http://10.0.0.1:80/p.xml");
	apply("/p.xml", 160, "https://10.0.0.1:8443/", "https://10.0.0.1:8443/p.xml");
	apply("/p.xml?a=1", 150, "10.0.0.2,10.0.0.3", "tftp://10.0.0.2:69/p.xml?a=1");
	apply("/p.xml", 66, "[2001:db8::5]", "tftp://[2001:db8::5]:69/p.xml");
	/* the rule's scheme wins; the option's port only with its own scheme */
	apply("http:///p.xml", 66, "10.0.0.1:8080", "http://10.0.0.1:8080/p.xml");
	apply("http:///p.xml", 160, "http://10.0.0.1:8080/", "http://10.0.0.1:8080/p.xml");
	apply("http:///p.xml", 160, "https://10.0.0.1:8443/", "http://10.0.0.1:80/p.xml");
	apply("https:///p.xml", 160, "tftp://10.0.0.1/", "https://10.0.0.1:443/p.xml");
	apply("tftp:///p.xml", 150, "10.0.0.2", "tftp://10.0.0.2:69/p.xml");
}

static void
test_hex(void **state)
{
	unsigned char b[4];

	(void)state;
	assert_int_equal(hex_bytes("0a:FF", 5, b, sizeof(b)), 2);
	assert_int_equal(b[0], 0x0a);
	assert_int_equal(b[1], 0xff);
	assert_int_equal(hex_bytes("0aff01", 6, b, sizeof(b)), 3);
	assert_int_equal(hex_bytes("0a", 2, b, sizeof(b)), 1);
	assert_int_equal(hex_bytes("", 0, b, sizeof(b)), -1);
	assert_int_equal(hex_bytes("0", 1, b, sizeof(b)), -1);
	assert_int_equal(hex_bytes("0a:", 3, b, sizeof(b)), -1);
	assert_int_equal(hex_bytes("0a:ff01", 7, b, sizeof(b)), -1);
	assert_int_equal(hex_bytes("0aff:01", 7, b, sizeof(b)), -1);
	assert_int_equal(hex_bytes("0102030405", 10, b, sizeof(b)), -1); /* over cap */
	assert_int_equal(hex_bytes("g0", 2, b, sizeof(b)), -1);
}

/* The device glue: status options in the order of the device's
 * DHCP_Option_To_Use, then last_server. */
static void
test_default_host(void **state)
{
	static const struct prov_identity id = {
		.mac = "00:0e:08:00:00:66", .serial = "SN1", .product = "CP-8841-3PCC",
	};
	struct prov_device *dev = prov_device_new(&id, NULL);
	struct url *u = malloc(sizeof(*u));
	struct diag d;

	(void)state;
	assert_non_null(dev);
	assert_non_null(u);
	diag_init(&d);
	assert_int_equal(url_parse("/a.xml", 6, u, &d), PROV_OK);
	assert_int_equal(dhcpopt_default_host(dev, u), 0);
	assert_string_equal(u->host, "");

	assert_int_equal(prov_device_status_set(dev, "last_server", "192.0.2.9"), PROV_OK);
	assert_int_equal(dhcpopt_default_host(dev, u), 1);
	assert_string_equal(u->host, "192.0.2.9");
	assert_int_equal(u->port, 69);

	assert_int_equal(prov_device_status_set(dev, "dhcp_option_150", "192.0.2.150"), PROV_OK);
	assert_int_equal(prov_device_status_set(dev, "dhcp_option_160", "http://h160:8080/"), PROV_OK);
	assert_int_equal(url_parse("/a.xml", 6, u, &d), PROV_OK);
	assert_int_equal(dhcpopt_default_host(dev, u), 1);
	assert_string_equal(u->host, "h160");   /* 160 before 150 by default */
	assert_int_equal(u->scheme, URL_HTTP);
	assert_int_equal(u->port, 8080);

	assert_int_equal(prov_device_set(dev, "DHCP_Option_To_Use", "150,160", 0), PROV_OK);
	assert_int_equal(url_parse("/a.xml", 6, u, &d), PROV_OK);
	assert_int_equal(dhcpopt_default_host(dev, u), 1);
	assert_string_equal(u->host, "192.0.2.150");
	assert_int_equal(u->port, 69);

	/* an emptied option no longer counts; none left: last_server */
	assert_int_equal(prov_device_set(dev, "DHCP_Option_To_Use", "150", 0), PROV_OK);
	assert_int_equal(prov_device_status_set(dev, "dhcp_option_150", ""), PROV_OK);
	assert_int_equal(url_parse("/a.xml", 6, u, &d), PROV_OK);
	assert_int_equal(dhcpopt_default_host(dev, u), 1);
	assert_string_equal(u->host, "192.0.2.9");
	free(u);
	prov_device_free(dev);
}

/* ---- phone/dhcp.c: the packet codec --------------------------------------- */

#define XID 0x12345678u

/* A DHCP reply: header, cookie, then the options given (already
 * code/len/data encoded), no end mark unless given. */
static size_t
reply(uint8_t *p, size_t cap, uint32_t xid, const uint8_t *opts, size_t olen)
{
	uint32_t x = htonl(xid), magic = htonl(0x63825363u);

	assert_true(240 + olen <= cap);
	memset(p, 0, cap);
	p[0] = 2;
	p[1] = 1;
	p[2] = 6;
	memcpy(p + 4, &x, 4);
	memcpy(p + 236, &magic, 4);
	memcpy(p + 240, opts, olen);
	return 240 + olen;
}

static const char *
find(const struct dhcp_result *r, unsigned code)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->opt[i].code == code)
			return r->opt[i].text;
	return NULL;
}

static void
test_inform_build(void **state)
{
	uint8_t p[DHCP_PKT_MAX];
	const uint8_t mac[6] = { 0, 0x0e, 0x08, 1, 2, 3 };
	struct in_addr a;
	size_t n;

	(void)state;
	inet_pton(AF_INET, "10.9.0.2", &a);
	n = dhcp_inform_build(p, sizeof(p), XID, mac, a);
	assert_int_equal(n, DHCP_BOOTP_MIN);
	assert_int_equal(p[0], 1);
	assert_memory_equal(p + 4, "\x12\x34\x56\x78", 4);
	assert_memory_equal(p + 12, &a, 4);
	assert_memory_equal(p + 28, mac, 6);
	assert_memory_equal(p + 236, "\x63\x82\x53\x63", 4);
	/* 53 = DHCPINFORM, then 55 asking for what the engine reads */
	assert_memory_equal(p + 240, "\x35\x01\x08\x37\x06\x42\x96\x9f\xa0\x2b\x7d", 11);
	assert_int_equal(dhcp_inform_build(p, 100, XID, mac, a), 0);
}

static void
test_ack_parse(void **state)
{
	uint8_t p[DHCP_PKT_MAX];
	struct dhcp_result *r = malloc(sizeof(*r));
	char why[200];
	size_t n;
	static const uint8_t ack[] = {
		53, 1, 5, 54, 4, 10, 9, 0, 1,
		66, 9, '1', '0', '.', '9', '.', '0', '.', '1', 0,   /* NUL-terminated */
		150, 8, 10, 9, 0, 1, 10, 9, 0, 2,
		160, 4, 'h', 't', 't', 'p',
		160, 11, ':', '/', '/', '1', '0', '.', '9', '.', '0', '.', '1', /* RFC 3396 */
		43, 3, 1, 1, 'x',
		3, 4, 10, 9, 0, 254,   /* a router: not kept */
		255,
	};

	(void)state;
	assert_non_null(r);
	n = reply(p, sizeof(p), XID, ack, sizeof(ack));
	assert_int_equal(dhcp_ack_parse(p, n, XID, r, why, sizeof(why)), 1);
	assert_string_equal(r->server, "10.9.0.1");
	assert_int_equal(r->n, 4);
	assert_string_equal(find(r, 66), "10.9.0.1");
	assert_string_equal(find(r, 150), "10.9.0.1,10.9.0.2");
	assert_string_equal(find(r, 160), "http://10.9.0.1");
	assert_string_equal(find(r, 43), "01:01:78");
	assert_null(find(r, 3));

	/* someone else's: another xid, a request, a short datagram */
	assert_int_equal(dhcp_ack_parse(p, n, XID + 1, r, why, sizeof(why)), 0);
	p[0] = 1;
	assert_int_equal(dhcp_ack_parse(p, n, XID, r, why, sizeof(why)), 0);
	p[0] = 2;
	assert_int_equal(dhcp_ack_parse(p, 100, XID, r, why, sizeof(why)), 0);
	free(r);
}

static void
expect_bad_ack(const uint8_t *opts, size_t olen, const char *msg)
{
	uint8_t p[DHCP_PKT_MAX];
	struct dhcp_result *r = malloc(sizeof(*r));
	char why[200] = "";
	size_t n;

	assert_non_null(r);
	n = reply(p, sizeof(p), XID, opts, olen);
	assert_int_equal(dhcp_ack_parse(p, n, XID, r, why, sizeof(why)), -1);
	assert_int_equal(r->n, 0);
	assert_string_equal(why, msg);
	free(r);
}

static void
test_ack_malformed(void **state)
{
	uint8_t p[DHCP_PKT_MAX];
	struct dhcp_result *r = malloc(sizeof(*r));
	char why[200];
	size_t n;
	uint8_t big[3 + 5 * 257];
	size_t bl = 0;

	(void)state;
	assert_non_null(r);
	expect_bad_ack((const uint8_t *)"\x35\x01\x06\xff", 4, "the server answered DHCPNAK");
	expect_bad_ack((const uint8_t *)"\x35\x01\x05\x42\x09\x31", 6, "option 66 runs past the end");
	expect_bad_ack((const uint8_t *)"\x35\x01\x05\x42", 4, "option 66 without length");
	expect_bad_ack((const uint8_t *)"\x35\x02\x05\x05", 4, "option 53 of length 2");
	expect_bad_ack((const uint8_t *)"\x35\x01\x05\x34\x01\x07", 6, "bad option 52");
	expect_bad_ack((const uint8_t *)"\x35\x01\x05\x96\x03\x01\x02\x03", 8,
		       "option 150: length 3 is not a multiple of 4");
	expect_bad_ack((const uint8_t *)"\x35\x01\x05\x42\x03\x61\x0a\x62", 8,
		       "option 66: not printable text");
	expect_bad_ack((const uint8_t *)"\x35\x01\x05\x42\x02\x00\x00", 7, "option 66 is empty");
	expect_bad_ack((const uint8_t *)"\x35\x01\x05\xa0\x00", 5, "option 160 is empty");
	/* RFC 3396 concatenation past DHCP_OPT_MAX */
	big[bl++] = 53, big[bl++] = 1, big[bl++] = 5;
	for (int i = 0; i < 4; i++) {
		big[bl++] = 43;
		big[bl++] = 255;
		memset(big + bl, 1, 255);
		bl += 255;
	}
	big[bl++] = 43;
	big[bl++] = 5;
	memset(big + bl, 1, 5);
	bl += 5;
	expect_bad_ack(big, bl, "option 43 longer than 1024 bytes");

	/* no cookie */
	n = reply(p, sizeof(p), XID, (const uint8_t *)"\x35\x01\x05", 3);
	p[236] = 0;
	assert_int_equal(dhcp_ack_parse(p, n, XID, r, why, sizeof(why)), -1);
	assert_string_equal(why, "answer without the DHCP magic cookie");
	/* not an ACK (an OFFER) or no message type: not the answer */
	n = reply(p, sizeof(p), XID, (const uint8_t *)"\x35\x01\x02\xff", 4);
	assert_int_equal(dhcp_ack_parse(p, n, XID, r, why, sizeof(why)), 0);
	n = reply(p, sizeof(p), XID, (const uint8_t *)"\x42\x01\x78\xff", 4);
	assert_int_equal(dhcp_ack_parse(p, n, XID, r, why, sizeof(why)), 0);
	free(r);
}

static void
test_ack_overload(void **state)
{
	uint8_t p[DHCP_PKT_MAX];
	struct dhcp_result *r = malloc(sizeof(*r));
	char why[200];
	size_t n;

	(void)state;
	assert_non_null(r);
	/* option 52 = 3: file (108..235) then sname (44..107) carry options */
	n = reply(p, sizeof(p), XID, (const uint8_t *)"\x35\x01\x05\x34\x01\x03\xff", 7);
	memcpy(p + 108, "\xa0\x05http:\xff", 8);
	memcpy(p + 44, "\xa0\x03//h\xff", 6);
	assert_int_equal(dhcp_ack_parse(p, n, XID, r, why, sizeof(why)), 1);
	assert_string_equal(find(r, 160), "http://h");
	/* without 52 those fields are not options */
	n = reply(p, sizeof(p), XID, (const uint8_t *)"\x35\x01\x05\xff", 4);
	memcpy(p + 108, "\xa0\x05http:\xff", 8);
	assert_int_equal(dhcp_ack_parse(p, n, XID, r, why, sizeof(why)), 1);
	assert_int_equal(r->n, 0);
	/* a bad option inside file is a bad answer */
	n = reply(p, sizeof(p), XID, (const uint8_t *)"\x35\x01\x05\x34\x01\x01\xff", 7);
	p[108 + 126] = 66;
	p[108 + 127] = 9;
	memset(p + 108, 0, 126);
	assert_int_equal(dhcp_ack_parse(p, n, XID, r, why, sizeof(why)), -1);
	assert_string_equal(why, "option 66 runs past the end");
	free(r);
}

static void
test_arg(void **state)
{
	struct dhcp_result *r = calloc(1, sizeof(*r));
	char why[200];

	(void)state;
	assert_non_null(r);
	assert_int_equal(dhcp_arg("66=127.0.0.1:6969", r, why, sizeof(why)), 0);
	assert_int_equal(dhcp_arg("150=10.0.0.1,10.0.0.2", r, why, sizeof(why)), 0);
	assert_int_equal(dhcp_arg("43=01:02:41:42", r, why, sizeof(why)), 0);
	assert_int_equal(dhcp_arg("125=0000000904010241", r, why, sizeof(why)), 0);
	assert_int_equal(dhcp_arg("160=http://x/=y", r, why, sizeof(why)), 0);
	assert_int_equal(r->n, 5);
	assert_string_equal(find(r, 66), "127.0.0.1:6969");
	assert_string_equal(find(r, 150), "10.0.0.1,10.0.0.2");
	assert_string_equal(find(r, 43), "01:02:41:42");
	assert_string_equal(find(r, 125), "00:00:00:09:04:01:02:41");
	assert_string_equal(find(r, 160), "http://x/=y");
	/* a repeat replaces */
	assert_int_equal(dhcp_arg("66=other", r, why, sizeof(why)), 0);
	assert_int_equal(r->n, 5);
	assert_string_equal(find(r, 66), "other");

	assert_int_equal(dhcp_arg("66", r, why, sizeof(why)), -1);
	assert_string_equal(why, "expected N=VALUE, not '66'");
	assert_int_equal(dhcp_arg("0=x", r, why, sizeof(why)), -1);
	assert_int_equal(dhcp_arg("255=x", r, why, sizeof(why)), -1);
	assert_int_equal(dhcp_arg("x=1", r, why, sizeof(why)), -1);
	assert_int_equal(dhcp_arg("=1", r, why, sizeof(why)), -1);
	assert_int_equal(dhcp_arg("66=", r, why, sizeof(why)), -1);
	assert_string_equal(why, "option 66 is empty");
	assert_int_equal(dhcp_arg("66=a b", r, why, sizeof(why)), -1);
	assert_int_equal(dhcp_arg("150=10.0.0.1,", r, why, sizeof(why)), -1);
	assert_int_equal(dhcp_arg("150=host", r, why, sizeof(why)), -1);
	assert_int_equal(dhcp_arg("43=zz", r, why, sizeof(why)), -1);
	assert_int_equal(dhcp_arg("43=", r, why, sizeof(why)), -1);
	assert_int_equal(r->n, 5);
	for (unsigned c = 1; r->n < DHCP_OPTS_MAX; c++) {
		char a[16];

		snprintf(a, sizeof(a), "%u=01", c);
		assert_int_equal(dhcp_arg(a, r, why, sizeof(why)), 0);
	}
	assert_int_equal(dhcp_arg("200=01", r, why, sizeof(why)), -1);
	free(r);
}

static void
test_take_args(void **state)
{
	struct dhcp_result *r = calloc(1, sizeof(*r));
	char a0[] = "run", a1[] = "--dhcp-option", a2[] = "66=h", a3[] = "--state",
	    a4[] = "d", a5[] = "--dhcp-inform=eth9", a6[] = "--dhcp-option=150=10.0.0.1";
	char *argv[] = { a0, a1, a2, a3, a4, a5, a6, NULL };
	char b0[] = "run", b1[] = "--dhcp-inform";
	char *bad[] = { b0, b1, NULL };
	const char *iface = NULL;
	char why[200];

	(void)state;
	assert_non_null(r);
	assert_int_equal(dhcp_take_args(7, argv, r, &iface, why, sizeof(why)), 3);
	assert_string_equal(argv[1], "--state");
	assert_string_equal(argv[2], "d");
	assert_null(argv[3]);
	assert_string_equal(iface, "eth9");
	assert_int_equal(r->n, 2);
	assert_int_equal(dhcp_take_args(2, bad, r, &iface, why, sizeof(why)), -1);
	assert_string_equal(why, "--dhcp-inform needs a value");
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_option_66),
		cmocka_unit_test(test_option_159_160),
		cmocka_unit_test(test_option_150),
		cmocka_unit_test(test_option_43),
		cmocka_unit_test(test_option_125),
		cmocka_unit_test(test_no_server_kinds),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_resolve_order),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_default_host),
		cmocka_unit_test(test_inform_build),
		cmocka_unit_test(test_ack_parse),
		cmocka_unit_test(test_ack_malformed),
		cmocka_unit_test(test_ack_overload),
		cmocka_unit_test(test_arg),
		cmocka_unit_test(test_take_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
