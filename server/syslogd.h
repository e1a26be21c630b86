/*
 * syslogd: the syslog collector (S-NET-4). UDP datagrams in RFC 3164
 * ("<PRI>Mmm dd hh:mm:ss HOST TAG: text", and the bare "<PRI>text" phones
 * send) or RFC 5424 ("<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG")
 * framing; capped at cfg->lim.syslog_msg_max bytes; control characters
 * escaped; each stored (store_syslog) with the receive time, the source,
 * and the device it is attributed to (syslogd_attribute). Datagrams
 * the kernel drops because the socket's receive buffer is full are counted
 * from SO_RXQ_OVFL (metrics syslog_kernel_dropped, and a warning in the log
 * at most every SYSLOGD_REPORT_MS).
 */
#ifndef PROV_SERVER_SYSLOGD_H
#define PROV_SERVER_SYSLOGD_H

#include <stddef.h>

#define SYSLOGD_BATCH 32          /* datagrams per recvmmsg */
#define SYSLOGD_WAKEUP_MAX 256    /* datagrams per readiness, then other fds get a turn */
#define SYSLOGD_DGRAM_HARD_MAX 65507u /* largest UDP payload over IPv4 */
#define SYSLOGD_DGRAM_MIN 64u     /* smallest buffer kept, whatever the config says */
#define SYSLOGD_TAG_MAX 32        /* RFC 3164 4.1.3: TAG is at most 32 characters */
#define SYSLOGD_PID_MAX 128       /* "[pid]" contents (RFC 5424 PROCID length) */
#define SYSLOGD_HOST_MAX 255      /* RFC 5424 HOSTNAME length */
#define SYSLOGD_FIELD_MAX 255     /* other 5424 header fields (APP-NAME is 48) */
#define SYSLOGD_REPORT_MS 10000   /* kernel drops, rate-limited messages: logged at
				     most this often */
#define SYSLOGD_SOURCES 1024      /* per-source rate buckets (direct-mapped by address) */
#define SYSLOGD_MAC_CANDS 8       /* MACs named in one message that are looked up */

struct srv;
struct syslogd;

/* One parsed message; pointers into the caller's scratch buffer. */
struct syslogd_msg {
	int facility, severity;  /* -1 when there is no valid PRI */
	const char *timestamp;   /* as written, or NULL */
	const char *hostname;    /* or NULL */
	const char *ident;       /* TAG / APP-NAME, or NULL */
	const char *text;        /* the message, escaped */
	char mac[13];            /* the first MAC named, "" when none */
	char cand[SYSLOGD_MAC_CANDS][13]; /* every MAC named (identifier, hostname,
				    text, in that order), the first ncand */
	unsigned ncand;
};

/* Parses one datagram (len bytes, any content) into m, using scratch
 * (cap bytes; 4 * len + 4 holds every field escaped, less truncates) for
 * the escaped strings. Never fails: what cannot be parsed is kept as text.
 * Trailing CR, LF and NUL bytes are not part of the message. Returns 0, or
 * -1 when the datagram is empty or holds nothing after its PRI. */
int syslogd_parse(const char *dgram, size_t len, struct syslogd_msg *m,
		  char *scratch, size_t cap);

/* The device a message is about (its MAC into mac, "" when none):
 *   1. the first MAC the message names (m->cand) that known() says is a
 *      device of the inventory; a 12-hex run that is not a device (a
 *      serial, a hash, a token) is never taken;
 *   2. else the device whose newest request came from the message's
 *      source address (byaddr: addr without its port), its last known
 *      address;
 *   3. known() answering -1 means there is no inventory to ask: the first
 *      MAC named is taken as is (the history without an inventory).
 * Behind one NAT, 2 names the device that fetched last: 1 decides
 * whenever the message names its device, as phones' default messages do
 * ($MAC in Log_Request_Msg and the others). */
void syslogd_attribute(const struct syslogd_msg *m, const char *addr,
		       int (*known)(void *arg, const char *mac),
		       int (*byaddr)(void *arg, const char *addr, char mac[13]), void *arg,
		       char mac[13]);

/* Starts collecting on fd (a bound UDP socket the caller owns). */
int syslogd_new(struct syslogd **out, struct srv *srv, int fd)
	__attribute__((warn_unused_result));
void syslogd_free(struct syslogd *s);

#endif
