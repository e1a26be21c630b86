/*
 * dhcp: how the device agent learns its provisioning server from DHCP
 * (device.md D-ONB-1, D-RUL-4). RFC 2131 (DHCP, 4.4.3 DHCPINFORM), RFC 2132
 * (options; 8.4 vendor-specific information), RFC 3396 (long options),
 * RFC 3925 (V-I vendor-specific information, option 125).
 *
 * The device already has its address, so it asks with DHCPINFORM: one
 * broadcast from port 68 to 255.255.255.255:67 on one interface
 * (SO_BINDTODEVICE), asking (option 55) for DHCP_WANTED; the server answers
 * DHCPACK to the device's address. That needs root (port 68 and binding to
 * a device). Options may also come from the command line
 * (`--dhcp-option N=VALUE`).
 *
 * Either way each option is kept in the device status as text, under the
 * key "dhcp_option_N", together with "dhcp_learned" (when) and
 * "dhcp_source" (from where); the engine reads them when a rule URL names
 * no host (lib/dhcpopt.h describes the text form of each option and how
 * the server is chosen). Text forms:
 *   66, 159, 160, 60 and other text options: the printable text, trailing
 *            NULs removed;
 *   150:     dotted IPv4 addresses separated by commas;
 *   43, 125 and other binary options: lower-case hex bytes joined by ':'.
 *
 * Everything here is synchronous and bounded: dhcp_inform waits at most
 * DHCP_INFORM_WAIT_MS in all. The packet codec (dhcp_inform_build,
 * dhcp_ack_parse, dhcp_option_text) is pure and fuzzed (fuzz/fuzz_dhcp.c).
 * Uses libprov's public API only. Threading: none; one caller at a time.
 */
#ifndef PROV_PHONE_DHCP_H
#define PROV_PHONE_DHCP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "prov/prov.h"

#define DHCP_PKT_MAX 1500          /* largest DHCP message sent or read */
#define DHCP_BOOTP_MIN 300         /* BOOTP minimum message size (RFC 1542) */
#define DHCP_OPT_MAX 1024          /* longest option kept, bytes (after RFC 3396) */
#define DHCP_TEXT_MAX 3072         /* its text form: 1024 bytes as "xx:" */
#define DHCP_OPTS_MAX 16           /* options kept from one answer or command line */
#define DHCP_INFORM_TRIES 3        /* DHCPINFORMs sent before giving up */
#define DHCP_INFORM_FIRST_MS 1000  /* wait after the first; doubles after each */
#define DHCP_INFORM_WAIT_MS 7000   /* the whole exchange at most (1 + 2 + 4 s) */
#define DHCP_REPLIES_MAX 64        /* stray datagrams read before giving up */

/* The options the agent asks for, in the order of option 55. */
#define DHCP_WANTED { 66, 150, 159, 160, 43, 125 }

struct dhcp_opt {
	unsigned code;                 /* 1..254 */
	char text[DHCP_TEXT_MAX + 1];  /* the text form (see above) */
};

struct dhcp_result {
	size_t n;
	struct dhcp_opt opt[DHCP_OPTS_MAX];
	char server[INET_ADDRSTRLEN];  /* who answered (option 54, else source) */
};

/* Builds a DHCPINFORM into pkt[0..cap) (cap >= DHCP_BOOTP_MIN) for the
 * interface with hardware address mac (6 bytes) and address ciaddr
 * (network order), transaction id xid. Returns its length, or 0 if cap is
 * too small. */
size_t dhcp_inform_build(uint8_t *pkt, size_t cap, uint32_t xid,
			 const uint8_t mac[6], struct in_addr ciaddr);

/* Parses a server's answer pkt[0..len). Returns 1 for a DHCPACK of
 * transaction xid, with r holding the options of DHCP_WANTED that it
 * carries (concatenated per RFC 3396, from the options field and from
 * file/sname when option 52 says so) in their text form; 0 for a datagram
 * that is not for us (another xid, not a reply: keep waiting); -1 with why
 * set for a malformed answer or a DHCPNAK. */
int dhcp_ack_parse(const uint8_t *pkt, size_t len, uint32_t xid,
		   struct dhcp_result *r, char *why, size_t whylen);

/* The text form of option code's value p[0..len) into out[0..cap).
 * Returns 0, or -1 with why set (empty, not printable, bad length). */
int dhcp_option_text(unsigned code, const uint8_t *p, size_t len, char *out,
		     size_t cap, char *why, size_t whylen);

/* Sends DHCPINFORM on interface ifname and waits for the DHCPACK
 * (DHCP_INFORM_TRIES, at most DHCP_INFORM_WAIT_MS). Returns 0 with r
 * filled, or -1 with why set (no such interface, no IPv4 address, not
 * root, no answer, DHCPNAK). */
int dhcp_inform(const char *ifname, struct dhcp_result *r, char *why,
		size_t whylen);

/* Adds "N=VALUE" (command-line form: VALUE as the text form above; for
 * binary options hex with or without ':') to r, replacing an earlier N.
 * Returns 0, or -1 with why set. */
int dhcp_arg(const char *arg, struct dhcp_result *r, char *why, size_t whylen);

/* Stores r in dev's status: "dhcp_option_N" for each option of r, an empty
 * value for each option of DHCP_WANTED that r lacks (it no longer names a
 * server), "dhcp_learned" = when (local wall-clock seconds, formatted
 * "YYYY-MM-DD HH:MM:SS") and "dhcp_source" = source. */
enum prov_err dhcp_store(struct prov_device *dev, const struct dhcp_result *r,
			 const char *source, int64_t when) PROV_WUR;

/* What the agent does at start (and `prov phone dhcp`): with iface, a
 * DHCPINFORM there; then the command-line options opts (may be empty)
 * over what it answered; the result stored with dhcp_store (source says
 * which). If the DHCPINFORM fails, the command-line options (if any) are
 * still stored and -1 is returned with why set; 0 otherwise. *learned, if
 * not NULL, gets what was stored; its source string in source[0..cap). */
int dhcp_learn(struct prov_device *dev, const struct dhcp_result *opts,
	       const char *iface, int64_t when, struct dhcp_result *learned,
	       char *source, size_t cap, char *why, size_t whylen);

/* The agent's DHCP options (`prov phone run`): takes every
 * "--dhcp-option N=VALUE" (repeatable) and "--dhcp-inform IFACE" (also the
 * "OPT=VALUE" spelling) out of argv, leaving the rest in order. Returns
 * the new argc, or -1 with why set (a missing or bad value). */
int dhcp_take_args(int argc, char **argv, struct dhcp_result *opts,
		   const char **iface, char *why, size_t whylen);

#endif
