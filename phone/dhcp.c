/*
 * dhcp: DHCPINFORM on one interface, the DHCPACK's options, and keeping
 * them in the device status (device.md D-ONB-1). The packet codec trusts
 * nothing in the answer: every length is checked against what is left of
 * the field it sits in, every kept option against its kind, and a bad
 * answer changes nothing.
 */
#include "dhcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hex.h"
#include "clock.h"

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_HDR_LEN 236           /* BOOTP fixed fields, up to the cookie */
#define DHCP_OPTIONS_OFF 240       /* after the magic cookie */
#define DHCP_SNAME_OFF 44
#define DHCP_SNAME_LEN 64
#define DHCP_FILE_OFF 108
#define DHCP_FILE_LEN 128
#define DHCP_MAGIC 0x63825363u     /* RFC 2131 3: 99.130.83.99 */

/* Option codes (RFC 2132). */
#define DHCP_OPT_PAD 0
#define DHCP_OPT_OVERLOAD 52
#define DHCP_OPT_MSGTYPE 53
#define DHCP_OPT_SERVERID 54
#define DHCP_OPT_PARAMS 55
#define DHCP_OPT_MAXSIZE 57
#define DHCP_OPT_END 255

#define DHCP_ACK 5
#define DHCP_NAK 6
#define DHCP_INFORM 8

static const unsigned dhcp_wanted[] = DHCP_WANTED;
#define DHCP_NWANTED (sizeof(dhcp_wanted) / sizeof(dhcp_wanted[0]))

static int
dhcp_fail(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
dhcp_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- the packet codec ---------------------------------------------------- */

size_t
dhcp_inform_build(uint8_t *pkt, size_t cap, uint32_t xid, const uint8_t mac[6],
		  struct in_addr ciaddr)
{
	size_t o = DHCP_OPTIONS_OFF;
	uint32_t magic = htonl(DHCP_MAGIC), x = htonl(xid);
	uint16_t maxsize = htons(DHCP_PKT_MAX);

	if (cap < DHCP_BOOTP_MIN)
		return 0;
	memset(pkt, 0, DHCP_BOOTP_MIN);
	pkt[0] = 1;            /* BOOTREQUEST */
	pkt[1] = 1;            /* htype: Ethernet */
	pkt[2] = 6;            /* hlen */
	memcpy(pkt + 4, &x, 4);
	memcpy(pkt + 12, &ciaddr, 4); /* RFC 2131 4.4.3: ciaddr, no flags */
	memcpy(pkt + 28, mac, 6);
	memcpy(pkt + DHCP_HDR_LEN, &magic, 4);
	pkt[o++] = DHCP_OPT_MSGTYPE;
	pkt[o++] = 1;
	pkt[o++] = DHCP_INFORM;
	pkt[o++] = DHCP_OPT_PARAMS;
	pkt[o++] = (uint8_t)DHCP_NWANTED;
	for (size_t i = 0; i < DHCP_NWANTED; i++)
		pkt[o++] = (uint8_t)dhcp_wanted[i];
	pkt[o++] = DHCP_OPT_MAXSIZE;
	pkt[o++] = 2;
	memcpy(pkt + o, &maxsize, 2);
	o += 2;
	pkt[o++] = DHCP_OPT_END;
	return o < DHCP_BOOTP_MIN ? DHCP_BOOTP_MIN : o;
}

static int
dhcp_is_text(unsigned code)
{
	return code == 66 || code == 159 || code == 160 || code == 60;
}

int
dhcp_option_text(unsigned code, const uint8_t *p, size_t len, char *out,
		 size_t cap, char *why, size_t whylen)
{
	size_t o = 0;

	if (cap == 0)
		return dhcp_fail(why, whylen, "option %u: no room", code);
	out[0] = '\0';
	if (dhcp_is_text(code)) {
		/* Some servers count a terminating NUL in the length. */
		while (len > 0 && p[len - 1] == '\0')
			len--;
		if (len == 0)
			return dhcp_fail(why, whylen, "option %u is empty", code);
		if (len >= cap)
			return dhcp_fail(why, whylen, "option %u is too long", code);
		for (size_t i = 0; i < len; i++) {
			int ok = code == 60 ? p[i] >= 0x20 && p[i] < 0x7f :
			    p[i] > 0x20 && p[i] < 0x7f;

			if (!ok)
				return dhcp_fail(why, whylen,
						 "option %u: not printable text", code);
		}
		memcpy(out, p, len);
		out[len] = '\0';
		return 0;
	}
	if (len == 0)
		return dhcp_fail(why, whylen, "option %u is empty", code);
	if (code == 150) {
		if (len % 4 != 0)
			return dhcp_fail(why, whylen,
					 "option 150: length %zu is not a multiple of 4", len);
		for (size_t i = 0; i < len; i += 4) {
			char a[INET_ADDRSTRLEN];

			if (inet_ntop(AF_INET, p + i, a, sizeof(a)) == NULL ||
			    o + strlen(a) + 2 > cap)
				return dhcp_fail(why, whylen, "option 150 is too long");
			o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "," : "", a);
		}
		return 0;
	}
	if (len * 3 > cap)
		return dhcp_fail(why, whylen, "option %u is too long", code);
	for (size_t i = 0; i < len; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%02x", i ? ":" : "", p[i]);
	return 0;
}

/* What one answer carries, gathered over its option areas. */
struct dhcp_acc {
	int msgtype;                       /* -1: none */
	int overload;                      /* option 52, 0 if none */
	int have_server;
	uint8_t server[4];
	size_t len[DHCP_NWANTED];
	int seen[DHCP_NWANTED];
	uint8_t val[DHCP_NWANTED][DHCP_OPT_MAX];
};

/* Walks one option area p[0..len). main: the options field (the only place
 * where option 52 counts). */
static int
dhcp_walk(struct dhcp_acc *a, const uint8_t *p, size_t len, int main,
	  char *why, size_t whylen)
{
	size_t i = 0;

	while (i < len) {
		unsigned code = p[i], n;

		if (code == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (code == DHCP_OPT_END)
			return 0;
		if (i + 2 > len)
			return dhcp_fail(why, whylen, "option %u without length", code);
		n = p[i + 1];
		if (i + 2 + n > len)
			return dhcp_fail(why, whylen, "option %u runs past the end", code);
		if (code == DHCP_OPT_MSGTYPE) {
			if (n != 1)
				return dhcp_fail(why, whylen, "option 53 of length %u", n);
			a->msgtype = p[i + 2];
		} else if (code == DHCP_OPT_SERVERID && n == 4) {
			memcpy(a->server, p + i + 2, 4);
			a->have_server = 1;
		} else if (code == DHCP_OPT_OVERLOAD && main) {
			if (n != 1 || p[i + 2] < 1 || p[i + 2] > 3)
				return dhcp_fail(why, whylen, "bad option 52");
			a->overload = p[i + 2];
		}
		for (size_t k = 0; k < DHCP_NWANTED; k++) {
			if (dhcp_wanted[k] != code)
				continue;
			/* RFC 3396: repeated instances concatenate. */
			if (a->len[k] + n > DHCP_OPT_MAX)
				return dhcp_fail(why, whylen,
						 "option %u longer than %u bytes", code,
						 DHCP_OPT_MAX);
			memcpy(a->val[k] + a->len[k], p + i + 2, n);
			a->len[k] += n;
			a->seen[k] = 1;
		}
		i += 2 + n;
	}
	return 0;
}

int
dhcp_ack_parse(const uint8_t *pkt, size_t len, uint32_t xid,
	       struct dhcp_result *r, char *why, size_t whylen)
{
	struct dhcp_acc *a;
	uint32_t x, magic;
	int rc = -1;

	r->n = 0;
	r->server[0] = '\0';
	if (len < DHCP_OPTIONS_OFF)
		return 0;  /* not a DHCP message: someone else's datagram */
	memcpy(&x, pkt + 4, 4);
	if (pkt[0] != 2 || ntohl(x) != xid)
		return 0;
	memcpy(&magic, pkt + DHCP_HDR_LEN, 4);
	if (ntohl(magic) != DHCP_MAGIC)
		return dhcp_fail(why, whylen, "answer without the DHCP magic cookie");
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return dhcp_fail(why, whylen, "out of memory");
	a->msgtype = -1;
	if (dhcp_walk(a, pkt + DHCP_OPTIONS_OFF, len - DHCP_OPTIONS_OFF, 1, why, whylen) != 0)
		goto out;
	if ((a->overload & 1) &&
	    dhcp_walk(a, pkt + DHCP_FILE_OFF, DHCP_FILE_LEN, 0, why, whylen) != 0)
		goto out;
	if ((a->overload & 2) &&
	    dhcp_walk(a, pkt + DHCP_SNAME_OFF, DHCP_SNAME_LEN, 0, why, whylen) != 0)
		goto out;
	if (a->msgtype == DHCP_NAK) {
		dhcp_fail(why, whylen, "the server answered DHCPNAK");
		goto out;
	}
	if (a->msgtype != DHCP_ACK) {
		rc = 0;  /* not the answer to an INFORM */
		goto out;
	}
	if (a->have_server)
		inet_ntop(AF_INET, a->server, r->server, sizeof(r->server));
	for (size_t k = 0; k < DHCP_NWANTED; k++) {
		struct dhcp_opt *o;

		if (!a->seen[k])
			continue;
		o = &r->opt[r->n];
		o->code = dhcp_wanted[k];
		if (dhcp_option_text(o->code, a->val[k], a->len[k], o->text,
				     sizeof(o->text), why, whylen) != 0) {
			r->n = 0;
			goto out;
		}
		r->n++;
	}
	rc = 1;
out:
	free(a);
	return rc;
}

/* ---- the command line ------------------------------------------------------ */

/* "a.b.c.d,..." into raw; returns the length or -1. */
static long
dhcp_unaddrs(const char *s, uint8_t *raw, size_t cap)
{
	size_t n = 0;

	for (;;) {
		const char *comma = strchr(s, ',');
		size_t l = comma != NULL ? (size_t)(comma - s) : strlen(s);
		char tmp[INET_ADDRSTRLEN];

		if (l == 0 || l >= sizeof(tmp) || n + 4 > cap)
			return -1;
		memcpy(tmp, s, l);
		tmp[l] = '\0';
		if (inet_pton(AF_INET, tmp, raw + n) != 1)
			return -1;
		n += 4;
		if (comma == NULL)
			return (long)n;
		s = comma + 1;
	}
}

int
dhcp_arg(const char *arg, struct dhcp_result *r, char *why, size_t whylen)
{
	const char *eq = strchr(arg, '='), *v;
	unsigned long code;
	char *end;
	uint8_t *raw;
	long n;
	size_t k;
	int rc = -1;

	if (eq == NULL || eq == arg)
		return dhcp_fail(why, whylen, "expected N=VALUE, not '%s'", arg);
	code = strtoul(arg, &end, 10);
	if (end != eq || code < 1 || code > 254)
		return dhcp_fail(why, whylen, "option number must be 1..254 in '%s'", arg);
	v = eq + 1;
	raw = malloc(DHCP_OPT_MAX);
	if (raw == NULL)
		return dhcp_fail(why, whylen, "out of memory");
	if (dhcp_is_text((unsigned)code)) {
		n = (long)strlen(v);
		if ((size_t)n > DHCP_OPT_MAX) {
			dhcp_fail(why, whylen, "option %lu is too long", code);
			goto out;
		}
		memcpy(raw, v, (size_t)n);
	} else if (code == 150) {
		n = dhcp_unaddrs(v, raw, DHCP_OPT_MAX);
		if (n < 0) {
			dhcp_fail(why, whylen, "option 150: expected IPv4 addresses separated by commas");
			goto out;
		}
	} else {
		n = hex_bytes(v, strlen(v), raw, DHCP_OPT_MAX);
		if (n < 0) {
			dhcp_fail(why, whylen, "option %lu: expected hex bytes (01:02:... or 0102...)", code);
			goto out;
		}
	}
	for (k = 0; k < r->n && r->opt[k].code != code; k++)
		;
	if (k == DHCP_OPTS_MAX) {
		dhcp_fail(why, whylen, "more than %d DHCP options", DHCP_OPTS_MAX);
		goto out;
	}
	if (dhcp_option_text((unsigned)code, raw, (size_t)n, r->opt[k].text,
			     sizeof(r->opt[k].text), why, whylen) != 0)
		goto out;
	r->opt[k].code = (unsigned)code;
	if (k == r->n)
		r->n++;
	rc = 0;
out:
	free(raw);
	return rc;
}

int
dhcp_take_args(int argc, char **argv, struct dhcp_result *opts,
	       const char **iface, char *why, size_t whylen)
{
	static const char o_opt[] = "--dhcp-option", o_if[] = "--dhcp-inform";
	int n = 0;

	for (int i = 0; i < argc; i++) {
		const char *val = NULL;
		int is_opt = 0;

		if (i > 0 && (strcmp(argv[i], o_opt) == 0 || strcmp(argv[i], o_if) == 0)) {
			is_opt = strcmp(argv[i], o_opt) == 0;
			if (i + 1 >= argc)
				return dhcp_fail(why, whylen, "%s needs a value", argv[i]);
			val = argv[++i];
		} else if (i > 0 && strncmp(argv[i], o_opt, sizeof(o_opt) - 1) == 0 &&
			   argv[i][sizeof(o_opt) - 1] == '=') {
			is_opt = 1;
			val = argv[i] + sizeof(o_opt);
		} else if (i > 0 && strncmp(argv[i], o_if, sizeof(o_if) - 1) == 0 &&
			   argv[i][sizeof(o_if) - 1] == '=') {
			val = argv[i] + sizeof(o_if);
		} else {
			argv[n++] = argv[i];
			continue;
		}
		if (is_opt) {
			char w[200];

			if (dhcp_arg(val, opts, w, sizeof(w)) != 0)
				return dhcp_fail(why, whylen, "--dhcp-option: %s", w);
		} else {
			if (val[0] == '\0' || strlen(val) >= IFNAMSIZ)
				return dhcp_fail(why, whylen, "--dhcp-inform: bad interface name '%s'", val);
			*iface = val;
		}
	}
	argv[n] = NULL;
	return n;
}

/* ---- the status -------------------------------------------------------------- */

enum prov_err
dhcp_store(struct prov_device *dev, const struct dhcp_result *r,
	   const char *source, int64_t when)
{
	char key[32], stamp[32];
	time_t t = (time_t)when;
	struct tm tm;
	enum prov_err rc;

	for (size_t k = 0; k < DHCP_NWANTED; k++) {
		size_t i;

		for (i = 0; i < r->n && r->opt[i].code != dhcp_wanted[k]; i++)
			;
		if (i < r->n)
			continue;
		snprintf(key, sizeof(key), "dhcp_option_%u", dhcp_wanted[k]);
		rc = prov_device_status_set(dev, key, "");
		if (rc != PROV_OK)
			return rc;
	}
	for (size_t i = 0; i < r->n; i++) {
		snprintf(key, sizeof(key), "dhcp_option_%u", r->opt[i].code);
		rc = prov_device_status_set(dev, key, r->opt[i].text);
		if (rc != PROV_OK)
			return rc;
	}
	if (localtime_r(&t, &tm) == NULL || strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "%lld", (long long)when);
	rc = prov_device_status_set(dev, "dhcp_learned", stamp);
	if (rc == PROV_OK)
		rc = prov_device_status_set(dev, "dhcp_source", source);
	return rc;
}

/* ---- the exchange ----------------------------------------------------------- */

/* The interface's IPv4 address and hardware address. */
static int
dhcp_iface(int fd, const char *ifname, struct in_addr *addr, uint8_t mac[6],
	   char *why, size_t whylen)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0)
		return dhcp_fail(why, whylen, "interface %s: %s", ifname, strerror(errno));
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_addr.sa_family = AF_INET;
	if (ioctl(fd, SIOCGIFADDR, &ifr) != 0)
		return dhcp_fail(why, whylen, "interface %s has no IPv4 address", ifname);
	memcpy(addr, &((struct sockaddr_in *)(void *)&ifr.ifr_addr)->sin_addr, sizeof(*addr));
	return 0;
}

int
dhcp_inform(const char *ifname, struct dhcp_result *r, char *why, size_t whylen)
{
	struct sockaddr_in sin;
	struct in_addr ciaddr;
	uint8_t mac[6], *pkt = NULL, *rx;
	uint32_t xid;
	int fd = -1, one = 1, rc = -1, replies = 0;
	int64_t wait = DHCP_INFORM_FIRST_MS, end_all;
	size_t plen;
	char last[200] = "";

	r->n = 0;
	if (ifname[0] == '\0' || strlen(ifname) >= IFNAMSIZ)
		return dhcp_fail(why, whylen, "bad interface name '%s'", ifname);
	/* The request, then room for one answer. */
	pkt = malloc(2 * DHCP_PKT_MAX);
	if (pkt == NULL)
		return dhcp_fail(why, whylen, "out of memory");
	rx = pkt + DHCP_PKT_MAX;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		dhcp_fail(why, whylen, "socket: %s", strerror(errno));
		goto out;
	}
	if (dhcp_iface(fd, ifname, &ciaddr, mac, why, whylen) != 0)
		goto out;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) != 0) {
		dhcp_fail(why, whylen, "interface %s: %s%s", ifname, strerror(errno),
			  errno == EPERM ? " (DHCPINFORM needs root)" : "");
		goto out;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(DHCP_CLIENT_PORT);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		dhcp_fail(why, whylen, "port %d: %s%s", DHCP_CLIENT_PORT, strerror(errno),
			  errno == EACCES ? " (DHCPINFORM needs root)" : "");
		goto out;
	}
	if (getrandom(&xid, sizeof(xid), GRND_NONBLOCK) != (ssize_t)sizeof(xid))
		xid = (uint32_t)clock_mono_ms() ^ (uint32_t)getpid();
	plen = dhcp_inform_build(pkt, DHCP_PKT_MAX, xid, mac, ciaddr);
	sin.sin_port = htons(DHCP_SERVER_PORT);
	sin.sin_addr.s_addr = htonl(INADDR_BROADCAST);
	end_all = clock_mono_ms() + DHCP_INFORM_WAIT_MS;
	for (int t = 0; t < DHCP_INFORM_TRIES; t++, wait *= 2) {
		int64_t end = clock_mono_ms() + wait, now;

		if (end > end_all)
			end = end_all;
		if (sendto(fd, pkt, plen, 0, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
			dhcp_fail(why, whylen, "send on %s: %s", ifname, strerror(errno));
			goto out;
		}
		while ((now = clock_mono_ms()) < end && replies < DHCP_REPLIES_MAX) {
			struct pollfd pfd = { fd, POLLIN, 0 };
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t got;
			int p;

			if (poll(&pfd, 1, (int)(end - now)) <= 0)
				continue;
			got = recvfrom(fd, rx, DHCP_PKT_MAX, 0, (struct sockaddr *)&from, &fl);
			if (got < 0)
				continue;
			replies++;
			p = dhcp_ack_parse(rx, (size_t)got, xid, r, last, sizeof(last));
			if (p == 1) {
				if (r->server[0] == '\0')
					inet_ntop(AF_INET, &from.sin_addr, r->server, sizeof(r->server));
				rc = 0;
				goto out;
			}
			/* 0: not ours; -1: that answer was bad (last says
			 * why), another server's may not be. Keep waiting. */
		}
	}
	if (last[0] != '\0')
		dhcp_fail(why, whylen, "no usable DHCPACK on %s: %s", ifname, last);
	else
		dhcp_fail(why, whylen, "no DHCPACK on %s after %d DHCPINFORMs", ifname,
			  DHCP_INFORM_TRIES);
out:
	if (fd >= 0)
		close(fd);
	free(pkt);
	return rc;
}

int
dhcp_learn(struct prov_device *dev, const struct dhcp_result *opts,
	   const char *iface, int64_t when, struct dhcp_result *learned,
	   char *source, size_t cap, char *why, size_t whylen)
{
	struct dhcp_result *r;
	int rc = 0, informed = 0;
	char src[128];

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return dhcp_fail(why, whylen, "out of memory");
	if (iface != NULL) {
		if (dhcp_inform(iface, r, why, whylen) == 0)
			informed = 1;
		else
			rc = -1;
	}
	for (size_t i = 0; i < opts->n; i++) {
		size_t k;

		for (k = 0; k < r->n && r->opt[k].code != opts->opt[i].code; k++)
			;
		if (k == DHCP_OPTS_MAX)
			break;  /* r holds DHCP_WANTED at most: cannot happen */
		r->opt[k] = opts->opt[i];
		if (k == r->n)
			r->n++;
	}
	if (informed)
		snprintf(src, sizeof(src), "DHCPINFORM on %s from %s%s", iface,
			 r->server, opts->n > 0 ? " and the command line" : "");
	else
		snprintf(src, sizeof(src), "command line");
	if (informed || opts->n > 0) {
		enum prov_err e = dhcp_store(dev, r, src, when);

		if (e != PROV_OK) {
			rc = dhcp_fail(why, whylen, "status not stored: %s",
				       prov_device_errmsg(dev));
			goto out;
		}
	}
	if (learned != NULL)
		*learned = *r;
	if (source != NULL && cap > 0)
		snprintf(source, cap, "%s", src);
out:
	free(r);
	return rc;
}
