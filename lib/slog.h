/*
 * slog: the device's log messages over UDP, RFC 3164 framing.
 * device.md D-LOG-1, D-LOG-2.
 *
 *     <PRI>Mmm dd hh:mm:ss [IDENT ]MESSAGE
 *
 * PRI is facility local0 (16) * 8 + severity. IDENT is the identity chosen
 * by Syslog_Identifier ($MA, $MAU, $MAC, $SN; none for None), placed after
 * the timestamp as the phones do. Messages go to Syslog_Server and, when
 * set, Debug_Server (which also gets the debug-level ones). Sending never
 * blocks: one non-blocking UDP socket per destination, connected to it;
 * datagrams that cannot be sent at once are dropped (and counted), as UDP
 * syslog may. Server names are resolved numerically, or through the
 * resolver once per change of the parameter (cached); every address of a
 * name is kept, and a destination that refuses (ICMP port unreachable, as
 * ::1 does for a collector listening on 127.0.0.1 only, when "localhost"
 * resolves to both) moves the server to its next address.
 */
#ifndef PROV_SLOG_H
#define PROV_SLOG_H

#include <stddef.h>
#include <stdint.h>
#include "diag.h"

#define SLOG_PORT 514
#define SLOG_MAX 1024       /* longest datagram sent (RFC 3164 4.1) */
#define SLOG_ADDRS_MAX 4    /* addresses kept per server name */
#define SLOG_SPEC_MAX 256 /* longest Syslog_Server value remembered */

/* Severities used (RFC 5424 numbers). */
enum slog_sev { SLOG_ERR = 3, SLOG_NOTICE = 5, SLOG_INFO = 6, SLOG_DEBUG = 7 };

struct slog;

enum prov_err slog_new(struct slog **out) PROV_WUR;
void slog_free(struct slog *s);

/* (Re)configures the destinations from Syslog_Server and Debug_Server
 * values ("host[:port]", "" = none). Unresolvable names leave that
 * destination empty and return PROV_E_INVAL with the reason in d; the
 * other destination still works. Unchanged values cost nothing. */
enum prov_err slog_config(struct slog *s, const char *syslog_server,
			    const char *debug_server, struct diag *d);

/* Formats one RFC 3164 datagram into out (outlen >= SLOG_MAX + 1):
 * wall_s is the local wall-clock time, ident may be NULL or "". Returns the
 * length (the message is cut to fit). */
size_t slog_format(char *out, size_t outlen, enum slog_sev sev,
		     int64_t wall_s, const char *ident, const char *msg);

/* Sends msg to the syslog server and the debug server; debug-only
 * messages (debug = 1) go to the debug server alone. Returns the number
 * of datagrams sent. */
int slog_send(struct slog *s, enum slog_sev sev, int debug,
		int64_t wall_s, const char *ident, const char *msg);

/* Datagrams dropped because a send would have blocked or failed. */
uint64_t slog_dropped(const struct slog *s);

#ifdef PROV_UNITTEST
struct addrinfo;
/* Sets the syslog (debug 0) or debug server's addresses from a list, as
 * resolving a name would. */
void slog_set_addrs(struct slog *s, int debug, const struct addrinfo *ai);
#endif

#endif
