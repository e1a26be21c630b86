/*
 * slog: syslog messages over UDP (RFC 3164). See slog.h.
 */
#include "slog.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "hostport.h"

#define SLOG_FACILITY 16 /* local0 */

struct slog_dest {
	char spec[SLOG_SPEC_MAX]; /* the parameter value it was resolved from */
	struct sockaddr_storage addr[SLOG_ADDRS_MAX]; /* in the resolver's order */
	socklen_t addrlen[SLOG_ADDRS_MAX];
	unsigned n;               /* addresses; 0: no destination */
	unsigned cur;             /* the one in use */
	int fd;                   /* connected to addr[cur], or -1 */
};

struct slog {
	struct slog_dest dest[2]; /* 0: Syslog_Server, 1: Debug_Server */
	uint64_t dropped;
};

enum prov_err
slog_new(struct slog **out)
{
	struct slog *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return PROV_E_NOMEM;
	s->dest[0].fd = s->dest[1].fd = -1;
	*out = s;
	return PROV_OK;
}

void
slog_free(struct slog *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < 2; i++)
		if (s->dest[i].fd >= 0)
			close(s->dest[i].fd);
	free(s);
}

/* Forgets dst's addresses (and its socket). */
static void
slog_dest_clear(struct slog_dest *dst)
{
	if (dst->fd >= 0)
		close(dst->fd);
	dst->fd = -1;
	dst->n = dst->cur = 0;
}

/* Takes up to SLOG_ADDRS_MAX addresses of the list ai as dst's. */
static void
slog_dest_set(struct slog_dest *dst, const struct addrinfo *ai)
{
	slog_dest_clear(dst);
	for (; ai != NULL && dst->n < SLOG_ADDRS_MAX; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(dst->addr[0]))
			continue;
		memcpy(&dst->addr[dst->n], ai->ai_addr, ai->ai_addrlen);
		dst->addrlen[dst->n++] = ai->ai_addrlen;
	}
}

#ifdef PROV_UNITTEST
void
slog_set_addrs(struct slog *s, int debug, const struct addrinfo *ai)
{
	struct slog_dest *dst = &s->dest[debug ? 1 : 0];

	snprintf(dst->spec, sizeof(dst->spec), "(set)");
	slog_dest_set(dst, ai);
}
#endif

/* "host[:port]" or "[v6]:port" into dst's addresses: every address the
 * resolver gives ("localhost" is ::1 and 127.0.0.1 on a stock Debian),
 * in its order; slog_send moves to the next when one refuses. */
static enum prov_err
slog_resolve(const char *spec, struct slog_dest *dst, struct diag *d)
{
	char host[SLOG_SPEC_MAX], port[8] = "514";
	const char *pstr;
	struct addrinfo hints, *res = NULL;
	int gai;

	slog_dest_clear(dst);
	if (hostport_split(spec, host, sizeof(host), &pstr) != 0)
		return diag_set(d, PROV_E_INVAL, 0, 0, "%s: expected HOST[:PORT] or [HOST]:PORT",
				spec);
	if (pstr != NULL)
		snprintf(port, sizeof(port), "%.7s", pstr);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	/* Numeric first: no resolver round trip for the usual IP address. */
	hints.ai_flags |= AI_NUMERICHOST;
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai == EAI_NONAME) {
		hints.ai_flags &= ~AI_NUMERICHOST;
		gai = getaddrinfo(host, port, &hints, &res);
	}
	if (gai != 0 || res == NULL)
		return diag_set(d, PROV_E_INVAL, 0, 0, "syslog server %s: %s", spec,
				gai_strerror(gai));
	slog_dest_set(dst, res);
	freeaddrinfo(res);
	return PROV_OK;
}

enum prov_err
slog_config(struct slog *s, const char *syslog_server, const char *debug_server,
	    struct diag *d)
{
	const char *spec[2] = { syslog_server, debug_server };
	enum prov_err rc = PROV_OK;

	for (int i = 0; i < 2; i++) {
		struct slog_dest *dst = &s->dest[i];
		const char *v = spec[i] ? spec[i] : "";

		if (strcmp(dst->spec, v) == 0)
			continue;
		snprintf(dst->spec, sizeof(dst->spec), "%s", v);
		slog_dest_clear(dst);
		if (v[0] != '\0') {
			enum prov_err r = slog_resolve(v, dst, d);

			if (r != PROV_OK) {
				dst->spec[0] = '\0'; /* try again next time */
				rc = r;
			}
		}
	}
	return rc;
}

size_t
slog_format(char *out, size_t outlen, enum slog_sev sev, int64_t wall_s,
	    const char *ident, const char *msg)
{
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)wall_s;
	struct tm tm;
	int n;

	if (outlen == 0)
		return 0;
	/* wall_s is already local time: format it without another offset. */
	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	n = snprintf(out, outlen, "<%d>%s %2d %02d:%02d:%02d %s%s%s",
		     SLOG_FACILITY * 8 + (int)sev, mon[tm.tm_mon % 12], tm.tm_mday,
		     tm.tm_hour, tm.tm_min, tm.tm_sec,
		     ident && *ident ? ident : "", ident && *ident ? " " : "", msg);
	if (n < 0) {
		out[0] = '\0';
		return 0;
	}
	if ((size_t)n >= outlen)
		n = (int)outlen - 1;
	if ((size_t)n > SLOG_MAX)
		n = SLOG_MAX;
	out[n] = '\0';
	/* Control characters would forge lines in a collector's file. */
	for (int i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = ' ';
	return (size_t)n;
}

/* Sends one datagram to dst over a socket connected to its current
 * address. A connected UDP socket learns of an ICMP port unreachable
 * (ECONNREFUSED): then the next address is tried, at once for this
 * datagram, so a name with several addresses reaches the one where a
 * collector listens (on loopback the refusal is known before send
 * returns; elsewhere it moves on with the next message). Returns 0 when
 * sent. */
static int
slog_dest_send(struct slog_dest *dst, const char *dgram, size_t n)
{
	for (unsigned tries = 0; tries < dst->n; tries++) {
		int err = 0;
		socklen_t el = sizeof(err);

		if (dst->fd < 0) {
			const struct sockaddr_storage *a = &dst->addr[dst->cur];

			dst->fd = socket(a->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (dst->fd < 0)
				return -1;
			if (connect(dst->fd, (const struct sockaddr *)a, dst->addrlen[dst->cur]) < 0)
				err = errno;
		}
		if (err == 0 && send(dst->fd, dgram, n, MSG_DONTWAIT) < 0)
			err = errno;
		if (err == 0 && getsockopt(dst->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = 0;
		if (err == 0)
			return 0;
		if (err != ECONNREFUSED && err != ENETUNREACH && err != EHOSTUNREACH
		    && err != EADDRNOTAVAIL && err != EAFNOSUPPORT)
			return -1;      /* EAGAIN and the like: this address is fine */
		close(dst->fd);
		dst->fd = -1;
		dst->cur = (dst->cur + 1) % dst->n;
	}
	return -1;
}

/* Whether a and b hold the same addresses. */
static int
slog_same(const struct slog_dest *a, const struct slog_dest *b)
{
	if (a->n != b->n)
		return 0;
	for (unsigned k = 0; k < a->n; k++)
		if (a->addrlen[k] != b->addrlen[k] || memcmp(&a->addr[k], &b->addr[k], a->addrlen[k]) != 0)
			return 0;
	return 1;
}

int
slog_send(struct slog *s, enum slog_sev sev, int debug, int64_t wall_s,
	  const char *ident, const char *msg)
{
	char dgram[SLOG_MAX + 1];
	size_t n = slog_format(dgram, sizeof(dgram), sev, wall_s, ident, msg);
	int sent = 0;

	for (int i = debug ? 1 : 0; i < 2; i++) {
		struct slog_dest *dst = &s->dest[i];

		if (dst->n == 0)
			continue;
		/* The same server as both: one copy is enough. */
		if (i == 1 && !debug && slog_same(&s->dest[0], dst))
			continue;
		if (slog_dest_send(dst, dgram, n) < 0) {
			s->dropped++;
			continue;
		}
		sent++;
	}
	return sent;
}

uint64_t
slog_dropped(const struct slog *s)
{
	return s->dropped;
}
