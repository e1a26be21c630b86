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
#define SLOG_SPEC_MAX 256 /* longest Syslog_Server value remembered */

struct slog_dest {
	char spec[SLOG_SPEC_MAX]; /* the parameter value it was resolved from */
	struct sockaddr_storage addr;
	socklen_t addrlen;        /* 0: no destination */
};

struct slog {
	struct slog_dest dest[2]; /* 0: Syslog_Server, 1: Debug_Server */
	int fd4, fd6;             /* -1 until first needed */
	uint64_t dropped;
};

enum prov_err
slog_new(struct slog **out)
{
	struct slog *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return PROV_E_NOMEM;
	s->fd4 = s->fd6 = -1;
	*out = s;
	return PROV_OK;
}

void
slog_free(struct slog *s)
{
	if (s == NULL)
		return;
	if (s->fd4 >= 0)
		close(s->fd4);
	if (s->fd6 >= 0)
		close(s->fd6);
	free(s);
}

/* "host[:port]" or "[v6]:port" into a socket address. */
static enum prov_err
slog_resolve(const char *spec, struct slog_dest *dst, struct diag *d)
{
	char host[SLOG_SPEC_MAX], port[8] = "514";
	const char *pstr;
	struct addrinfo hints, *res = NULL;
	int gai;

	dst->addrlen = 0;
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
	memcpy(&dst->addr, res->ai_addr, res->ai_addrlen);
	dst->addrlen = res->ai_addrlen;
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
		dst->addrlen = 0;
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

static int
slog_fd(struct slog *s, int family)
{
	int *fd = family == AF_INET6 ? &s->fd6 : &s->fd4;

	if (*fd < 0) {
		*fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	return *fd;
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
		int fd;

		if (dst->addrlen == 0)
			continue;
		/* The same server as both: one copy is enough. */
		if (i == 1 && !debug && s->dest[0].addrlen == dst->addrlen &&
		    memcmp(&s->dest[0].addr, &dst->addr, dst->addrlen) == 0)
			continue;
		fd = slog_fd(s, dst->addr.ss_family);
		if (fd < 0 || sendto(fd, dgram, n, MSG_DONTWAIT,
				     (const struct sockaddr *)&dst->addr, dst->addrlen) < 0) {
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
