/*
 * syslogd: the syslog collector. See syslogd.h.
 *
 * Parsing takes the datagram as untrusted bytes: every field is found by
 * bounded scanning, never by sscanf, and what does not fit a framing is
 * kept as text rather than lost. The forms recognised, after "<PRI>":
 *
 *   RFC 5424   1 TIMESTAMP HOST APP PROCID MSGID SD [MSG]
 *   RFC 3164   Mmm dd hh:mm:ss HOST [TAG[pid]: |TAG: ]text
 *   prov/Cisco Mmm dd hh:mm:ss IDENT text   (lib/slog.c: Syslog_Identifier
 *              in HOST's place, no TAG)
 *   bare       [TAG[pid]: |TAG: |IDENT ]text  (no timestamp; IDENT only
 *              when it names a MAC, as "00:0e:08:ab:cd:ef text")
 *
 * In the 3164 forms without a TAG, the word after the timestamp is both
 * the hostname and the ident: phones put their identity there.
 */
#define _GNU_SOURCE /* recvmmsg, struct mmsghdr */
#include "syslogd.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "clock.h"
#include "config.h"
#include "hostport.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "serve.h"
#include "store.h"

/* A count of events logged as one line at most every SYSLOGD_REPORT_MS. */
struct syslogd_report {
	uint64_t unlogged;        /* events since the last line */
	int64_t at;               /* loop time the next line may be logged */
};

/* A token bucket for one source address: tokens in thousandths, so that
 * any rate of whole messages per second refills in whole milliseconds. */
struct syslogd_bucket {
	unsigned char addr[16];   /* IPv4 as v4-mapped IPv6 */
	int used;
	uint64_t milli;           /* tokens * 1000 */
	int64_t at_ms;            /* loop time of the last refill */
};

struct syslogd {
	struct srv *srv;
	int fd;
	size_t bufcap;            /* bytes per datagram buffer (the config's cap) */
	char *bufs;               /* SYSLOGD_BATCH buffers of bufcap + 1 */
	char *scratch;            /* escaped fields of one message */
	size_t scratch_cap;
	struct mmsghdr msgs[SYSLOGD_BATCH];
	struct iovec iov[SYSLOGD_BATCH];
	struct sockaddr_storage from[SYSLOGD_BATCH];
	/* SO_RXQ_OVFL: the socket's drop count, delivered with each datagram */
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(uint32_t))];
	} ctl[SYSLOGD_BATCH];
	struct syslogd_bucket buckets[SYSLOGD_SOURCES];
	struct syslogd_report limited; /* messages not stored: over syslog-rate */
	uint32_t drops_seen;      /* the last count the kernel reported */
	struct syslogd_report drops; /* datagrams dropped by the kernel */
};

/* ---- parsing ------------------------------------------------------------------ */

static int
syslogd_is_tag_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		c == '_' || c == '.' || c == '-';
}

static int
syslogd_is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* serve_find_mac, or the separated form "00:0e:08:ab:cd:ef" (also with
 * '-') that $MAC and many logs write, not part of a longer such run. */
static int
syslogd_find_mac(const char *s, size_t len, char mac[13])
{
	if (serve_find_mac(s, len, mac))
		return 1;
	for (size_t i = 0; i + 17 <= len; i++) {
		char sep = s[i + 2];
		size_t k;

		if (sep != ':' && sep != '-')
			continue;
		if (i > 0 && (syslogd_is_hex((unsigned char)s[i - 1]) || s[i - 1] == sep))
			continue;
		for (k = 0; k < 6; k++) {
			const char *g = s + i + 3 * k;

			if (!syslogd_is_hex((unsigned char)g[0]) || !syslogd_is_hex((unsigned char)g[1]))
				break;
			if (k < 5 && g[2] != sep)
				break;
		}
		if (k < 6)
			continue;
		if (i + 17 < len && (syslogd_is_hex((unsigned char)s[i + 17]) ||
				     (s[i + 17] == sep && i + 18 < len &&
				      syslogd_is_hex((unsigned char)s[i + 18]))))
			continue;
		for (k = 0; k < 6; k++) {
			for (size_t h = 0; h < 2; h++) {
				int c = (unsigned char)s[i + 3 * k + h];

				mac[2 * k + h] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
			}
		}
		mac[12] = '\0';
		return 1;
	}
	mac[0] = '\0';
	return 0;
}

/* Every MAC named in s, in order, appended to m's candidates: runs of 12
 * or more hex digits (the last 12, as serve_find_mac) and the separated
 * form of syslogd_find_mac. */
static void
syslogd_find_macs(const char *s, size_t len, struct syslogd_msg *m)
{
	size_t i = 0;

	while (i < len && m->ncand < SYSLOGD_MAC_CANDS) {
		char mac[13];
		size_t j;

		if (!syslogd_is_hex((unsigned char)s[i])) {
			i++;
			continue;
		}
		if (i + 17 <= len && (s[i + 2] == ':' || s[i + 2] == '-') &&
		    syslogd_find_mac(s + i, 17, mac) &&
		    !(i > 0 && s[i - 1] == s[i + 2]) &&
		    !(i + 17 < len && (syslogd_is_hex((unsigned char)s[i + 17]) ||
				       (s[i + 17] == s[i + 2] && i + 18 < len &&
					syslogd_is_hex((unsigned char)s[i + 18]))))) {
			memcpy(m->cand[m->ncand++], mac, 13);
			i += 17;
			continue;
		}
		for (j = i; j < len && syslogd_is_hex((unsigned char)s[j]); j++)
			;
		if (j - i >= 12) {
			for (size_t k = 0; k < 12; k++) {
				int c = (unsigned char)s[j - 12 + k];

				mac[k] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
			}
			mac[12] = '\0';
			memcpy(m->cand[m->ncand++], mac, 13);
		}
		i = j;
	}
}

void
syslogd_attribute(const struct syslogd_msg *m, const char *addr,
		  int (*known)(void *arg, const char *mac),
		  int (*byaddr)(void *arg, const char *addr, char mac[13]), void *arg,
		  char mac[13])
{
	mac[0] = '\0';
	for (unsigned i = 0; i < m->ncand; i++) {
		int r = known(arg, m->cand[i]);

		if (r < 0) {
			memcpy(mac, m->mac, 13);
			return;
		}
		if (r == 1) {
			memcpy(mac, m->cand[i], 13);
			return;
		}
	}
	if (addr != NULL && byaddr(arg, addr, mac) != 1)
		mac[0] = '\0';
}

/* A span of the datagram, before escaping. */
struct syslogd_span {
	const char *p;
	size_t len;
};

/* "<PRI>" with PRI 0..191 (at most 3 digits). Returns the bytes taken, or
 * 0 when there is no valid PRI (the datagram is then all text). */
static size_t
syslogd_pri(const char *s, size_t len, int *pri)
{
	size_t i = 1;
	int v = 0;

	if (len < 3 || s[0] != '<')
		return 0;
	while (i < len && i <= 3 && s[i] >= '0' && s[i] <= '9')
		v = v * 10 + (s[i++] - '0');
	if (i == 1 || i >= len || s[i] != '>' || v > 191)
		return 0;
	*pri = v;
	return i + 1;
}

/* The next space-delimited token of 1..max bytes at s[*i], with the space
 * after it consumed. Returns 0 when there is none (end, empty, too long). */
static int
syslogd_token(const char *s, size_t len, size_t *i, size_t max, struct syslogd_span *tok)
{
	size_t j = *i;

	while (j < len && s[j] != ' ' && j - *i <= max)
		j++;
	if (j == *i || j - *i > max)
		return 0;
	tok->p = s + *i;
	tok->len = j - *i;
	*i = j < len ? j + 1 : j;
	return 1;
}

/* RFC 3164 "Mmm dd hh:mm:ss " (day space-padded, or one digit after one
 * space as some senders write it). Returns the bytes taken, or 0. */
static size_t
syslogd_3164_time(const char *s, size_t len)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	size_t i;
	int ok = 0;

	if (len < 15)
		return 0;
	for (int m = 0; m < 12; m++)
		if (memcmp(s, months + 3 * m, 3) == 0)
			ok = 1;
	if (!ok || s[3] != ' ')
		return 0;
	i = 4;
	if (s[i] == ' ')
		i++;
	if (s[i] < '0' || s[i] > '9')
		return 0;
	i++;
	if (s[i] >= '0' && s[i] <= '9')
		i++;
	if (i + 9 > len || s[i] != ' ')
		return 0;
	i++;
	for (int k = 0; k < 8; k++) {
		int digit = s[i + k] >= '0' && s[i + k] <= '9';

		if ((k == 2 || k == 5) ? s[i + k] != ':' : !digit)
			return 0;
	}
	i += 8;
	if (i < len && s[i] != ' ')
		return 0;
	return i < len ? i + 1 : i;
}

/* "TAG: " or "TAG[pid]: " at the start of s (or "TAG:" ending it). Returns
 * the bytes taken (the one space after ':' included) and sets tag, or 0. */
static size_t
syslogd_tag(const char *s, size_t len, struct syslogd_span *tag)
{
	size_t i = 0, n;

	while (i < len && i <= SYSLOGD_TAG_MAX && syslogd_is_tag_char((unsigned char)s[i]))
		i++;
	if (i == 0 || i > SYSLOGD_TAG_MAX || i >= len)
		return 0;
	n = i;
	if (s[i] == '[') {
		size_t j = i + 1;

		while (j < len && s[j] != ']' && s[j] != ' ' && j - i <= SYSLOGD_PID_MAX)
			j++;
		if (j >= len || s[j] != ']' || j == i + 1)
			return 0;
		i = j + 1;
	}
	/* ':' then a space or the end: "00:0e:08:..." is not TAG "00". */
	if (i >= len || s[i] != ':' || (i + 1 < len && s[i + 1] != ' '))
		return 0;
	tag->p = s;
	tag->len = n;
	return i + 1 < len ? i + 2 : i + 1;
}

/* A first word naming a MAC (the phone's identity without a timestamp),
 * with an optional ':' after it. Returns the bytes taken, or 0. */
static size_t
syslogd_mac_ident(const char *s, size_t len, struct syslogd_span *id)
{
	char mac[13];
	size_t j = 0;

	while (j < len && s[j] != ' ' && j <= SYSLOGD_HOST_MAX)
		j++;
	if (j == 0 || j >= len || j > SYSLOGD_HOST_MAX || !syslogd_find_mac(s, j, mac))
		return 0;
	id->p = s;
	id->len = s[j - 1] == ':' && j > 1 ? j - 1 : j;
	return j + 1;
}

/* RFC 5424 STRUCTURED-DATA: "-" or "[...]"...; quoted values may hold
 * escaped '"', '\' and ']'. Returns the bytes taken (the space before MSG
 * included), or 0 when malformed. */
static size_t
syslogd_sd(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0)
		return 0;
	if (s[0] == '-') {
		i = 1;
	} else {
		while (i < len && s[i] == '[') {
			int quoted = 0, closed = 0;

			for (i++; i < len; i++) {
				if (quoted) {
					if (s[i] == '\\' && i + 1 < len)
						i++;
					else if (s[i] == '"')
						quoted = 0;
				} else if (s[i] == '"') {
					quoted = 1;
				} else if (s[i] == ']') {
					closed = 1;
					i++;
					break;
				}
			}
			if (!closed)
				return 0;
		}
		if (i == 0)
			return 0;
	}
	if (i < len && s[i] != ' ')
		return 0;
	return i < len ? i + 1 : i;
}

/* RFC 5424 after "<PRI>1 ". Returns 0 and fills the spans, or -1 (spans
 * untouched) when the header is malformed: the caller keeps it as text. */
static int
syslogd_5424(const char *s, size_t len, struct syslogd_span *ts, struct syslogd_span *host,
	     struct syslogd_span *app, struct syslogd_span *text)
{
	struct syslogd_span t, h, a, procid, msgid;
	size_t i = 0, sd;

	if (!syslogd_token(s, len, &i, SYSLOGD_FIELD_MAX, &t) ||
	    !syslogd_token(s, len, &i, SYSLOGD_HOST_MAX, &h) ||
	    !syslogd_token(s, len, &i, SYSLOGD_FIELD_MAX, &a) ||
	    !syslogd_token(s, len, &i, SYSLOGD_FIELD_MAX, &procid) ||
	    !syslogd_token(s, len, &i, SYSLOGD_FIELD_MAX, &msgid))
		return -1;
	sd = syslogd_sd(s + i, len - i);
	if (sd == 0)
		return -1;
	i += sd;
	/* MSG may start with a UTF-8 BOM saying it is UTF-8: not part of it. */
	if (len - i >= 3 && memcmp(s + i, "\xef\xbb\xbf", 3) == 0)
		i += 3;
	*ts = t;
	*host = h;
	*app = a;
	text->p = s + i;
	text->len = len - i;
	return 0;
}

/* Escapes a span into the scratch buffer; NULL for an absent or NILVALUE
 * ("-") field when nil is set. */
static const char *
syslogd_put(const struct syslogd_span *sp, int nil, char *scratch, size_t cap, size_t *used)
{
	char *out;

	if (sp->p == NULL || (nil && sp->len == 1 && sp->p[0] == '-'))
		return NULL;
	if (*used >= cap)
		return "";
	out = scratch + *used;
	serve_escape(sp->p, sp->len, out, cap - *used);
	*used += strlen(out) + 1;
	return out;
}

/* RFC 3164 after "<PRI>": "Mmm dd hh:mm:ss HOST [TAG: ]text". Returns -1
 * (spans untouched) when there is no timestamp. */
static int
syslogd_3164(const char *s, size_t len, struct syslogd_span *ts, struct syslogd_span *host,
	     struct syslogd_span *ident, struct syslogd_span *text)
{
	size_t i = syslogd_3164_time(s, len), t;

	if (i == 0)
		return -1;
	ts->p = s;
	ts->len = i;
	while (ts->len > 0 && s[ts->len - 1] == ' ')
		ts->len--;
	/* HOST, unless the rest is one word (then that is the text). */
	t = i;
	if (syslogd_token(s, len, &t, SYSLOGD_HOST_MAX, host) && t < len) {
		i = t;
		if ((t = syslogd_tag(s + i, len - i, ident)) > 0)
			i += t;
		else
			*ident = *host; /* the phone's identity, see the top */
	} else {
		host->p = NULL;
	}
	text->p = s + i;
	text->len = len - i;
	return 0;
}

/* The bare form after "<PRI>": an identity naming a MAC, or a TAG, or
 * neither, then the text. */
static void
syslogd_bare(const char *s, size_t len, struct syslogd_span *ident, struct syslogd_span *text)
{
	size_t i;

	if ((i = syslogd_mac_ident(s, len, ident)) == 0)
		i = syslogd_tag(s, len, ident);
	text->p = s + i;
	text->len = len - i;
}

int
syslogd_parse(const char *dgram, size_t len, struct syslogd_msg *m, char *scratch, size_t cap)
{
	struct syslogd_span ts = { 0 }, host = { 0 }, ident = { 0 }, text = { 0 };
	size_t i, used = 0;
	int pri = -1, is5424 = 0;

	memset(m, 0, sizeof(*m));
	m->facility = m->severity = -1;
	m->text = "";
	/* Senders end lines with "\n", "\r\n" or a NUL: not part of the message. */
	while (len > 0 && (dgram[len - 1] == '\n' || dgram[len - 1] == '\r' ||
			   dgram[len - 1] == '\0'))
		len--;
	i = syslogd_pri(dgram, len, &pri);
	if (i == len)
		return -1; /* empty, or a PRI and nothing else */
	if (pri < 0) {
		/* Not syslog framing: all of it is the text. */
		text.p = dgram;
		text.len = len;
	} else {
		m->facility = pri >> 3;
		m->severity = pri & 7;
		if (len - i >= 2 && dgram[i] == '1' && dgram[i + 1] == ' ')
			is5424 = syslogd_5424(dgram + i + 2, len - i - 2, &ts, &host, &ident,
					      &text) == 0;
		if (!is5424 && syslogd_3164(dgram + i, len - i, &ts, &host, &ident, &text) < 0)
			syslogd_bare(dgram + i, len - i, &ident, &text);
	}

	/* 5424's NILVALUE "-" means absent; in 3164 a "-" is just a word. */
	m->timestamp = syslogd_put(&ts, is5424, scratch, cap, &used);
	m->hostname = syslogd_put(&host, is5424, scratch, cap, &used);
	m->ident = syslogd_put(&ident, is5424, scratch, cap, &used);
	m->text = syslogd_put(&text, 0, scratch, cap, &used);
	if (m->text == NULL)
		m->text = "";
	/* The device it names: its identity first, then the text. */
	if (!(ident.p && syslogd_find_mac(ident.p, ident.len, m->mac)) &&
	    !(host.p && syslogd_find_mac(host.p, host.len, m->mac)))
		syslogd_find_mac(text.p, text.len, m->mac);
	if (ident.p)
		syslogd_find_macs(ident.p, ident.len, m);
	if (host.p && !(ident.p == host.p && ident.len == host.len))
		syslogd_find_macs(host.p, host.len, m);
	syslogd_find_macs(text.p, text.len, m);
	return 0;
}

/* ---- the collector ---------------------------------------------------------------- */

/* Buffers sized for the current configuration's cap (a reload may change
 * it). Returns 0, or -1 when out of memory (the old buffers are kept). */
static int
syslogd_buffers(struct syslogd *s)
{
	size_t want = s->srv->cfg ? s->srv->cfg->lim.syslog_msg_max : 0;
	char *bufs, *scratch;

	if (want < SYSLOGD_DGRAM_MIN)
		want = SYSLOGD_DGRAM_MIN;
	if (want > SYSLOGD_DGRAM_HARD_MAX)
		want = SYSLOGD_DGRAM_HARD_MAX;
	if (want == s->bufcap)
		return 0;
	bufs = malloc(SYSLOGD_BATCH * (want + 1));
	scratch = malloc(4 * want + 8);
	if (bufs == NULL || scratch == NULL) {
		free(bufs);
		free(scratch);
		return s->bufs ? 0 : -1;
	}
	free(s->bufs);
	free(s->scratch);
	s->bufs = bufs;
	s->scratch = scratch;
	s->scratch_cap = 4 * want + 8;
	s->bufcap = want;
	for (unsigned k = 0; k < SYSLOGD_BATCH; k++) {
		s->iov[k].iov_base = s->bufs + k * (want + 1);
		s->iov[k].iov_len = want;
	}
	return 0;
}

/* Whether a message from this address may be stored now (syslog-rate
 * per second, syslog-burst at once; a rate of 0 stores all). A source
 * sharing a slot with another takes it over with a full bucket: the cap
 * holds for every source that keeps its slot, and the table stays fixed.
 * Per worker: with SO_REUSEPORT one source's datagrams reach one worker. */
static int
syslogd_admit(struct syslogd *s, const struct sockaddr_storage *from)
{
	const struct config_limits *lim = &s->srv->cfg->lim;
	unsigned char addr[16] = { 0 };
	struct syslogd_bucket *b;
	uint64_t cap = (uint64_t)lim->syslog_burst * 1000, h = 14695981039346656037ull;
	int64_t now = loop_now(s->srv->loop);

	if (lim->syslog_rate == 0)
		return 1;
	if (from->ss_family == AF_INET6) {
		memcpy(addr, &((const struct sockaddr_in6 *)from)->sin6_addr, 16);
	} else {
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, &((const struct sockaddr_in *)from)->sin_addr, 4);
	}
	for (unsigned i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 1099511628211ull; /* FNV-1a */
	b = &s->buckets[h % SYSLOGD_SOURCES];
	if (!b->used || memcmp(b->addr, addr, 16) != 0) {
		memcpy(b->addr, addr, 16);
		b->used = 1;
		b->milli = cap;
		b->at_ms = now;
	}
	if (now > b->at_ms) {
		b->milli += (uint64_t)(now - b->at_ms) * lim->syslog_rate;
		b->at_ms = now;
	}
	if (b->milli > cap)
		b->milli = cap;
	if (b->milli < 1000)
		return 0;
	b->milli -= 1000;
	return 1;
}

static int
syslogd_known(void *arg, const char *mac)
{
	return store_lookup_device(arg, mac);
}

static int
syslogd_byaddr(void *arg, const char *addr, char mac[13])
{
	return store_lookup_addr(arg, addr, mac);
}

static void
syslogd_one(struct syslogd *s, const char *dgram, size_t len,
	    const struct sockaddr_storage *from)
{
	struct metrics *m = s->srv->metrics;
	struct syslogd_msg msg;
	struct store_syslog rec;
	char source[INET6_ADDRSTRLEN + 16], mac[13];

	if (syslogd_parse(dgram, len, &msg, s->scratch, s->scratch_cap) < 0) {
		if (m != NULL)
			METRIC_ADD(m->syslog_dropped, 1);
		return;
	}
	if (m != NULL)
		METRIC_ADD(m->syslog_messages, 1);
	if (!syslogd_admit(s, from)) {
		if (m != NULL)
			METRIC_ADD(m->syslog_rate_limited, 1);
		s->limited.unlogged++;
		return;
	}
	hostport_format(from, source, sizeof(source));
	{
		char addr[sizeof(source)], *colon;

		/* "ADDR:PORT" / "[ADDR6]:PORT" without the port */
		memcpy(addr, source, sizeof(addr));
		if ((colon = strrchr(addr, ':')) != NULL)
			*colon = '\0';
		syslogd_attribute(&msg, addr, syslogd_known, syslogd_byaddr, s->srv->lookup, mac);
	}
	rec.time_ms = clock_wall_ms();
	rec.source = source;
	rec.facility = msg.facility;
	rec.severity = msg.severity;
	rec.hostname = msg.hostname;
	rec.ident = msg.ident;
	rec.mac = mac[0] ? mac : NULL;
	rec.text = msg.text;
	store_syslog(s->srv->store, &rec);
}

/* The kernel's count of datagrams dropped on this socket (its receive
 * buffer was full), as stamped on a received datagram: the new drops go to
 * the metrics at once and to the log at most every SYSLOGD_REPORT_MS. */
static void
syslogd_kernel_drops(struct syslogd *s, struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
		uint32_t count, delta;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL)
			continue;
		memcpy(&count, CMSG_DATA(c), sizeof(count));
		delta = count - s->drops_seen; /* modulo 2^32, as the kernel counts */
		s->drops_seen = count;
		if (delta > 0 && s->srv->metrics != NULL)
			METRIC_ADD(s->srv->metrics->syslog_kernel_dropped, delta);
		s->drops.unlogged += delta;
	}
}

static void
syslogd_report(struct syslogd *s, struct syslogd_report *r, int level, const char *what)
{
	int64_t now = loop_now(s->srv->loop);

	if (r->unlogged == 0 || now < r->at)
		return;
	log_msg(level, "syslog: %llu %s", (unsigned long long)r->unlogged, what);
	r->unlogged = 0;
	r->at = now + SYSLOGD_REPORT_MS;
}

static void
syslogd_read(void *arg, int fd, unsigned events)
{
	struct syslogd *s = arg;
	unsigned total = 0;

	(void)events;
	if (syslogd_buffers(s) < 0)
		return;
	/* Level-triggered: what is left after SYSLOGD_WAKEUP_MAX is read on
	 * the next iteration, after the other listeners had their turn. */
	while (total < SYSLOGD_WAKEUP_MAX) {
		int n;

		for (unsigned k = 0; k < SYSLOGD_BATCH; k++) {
			memset(&s->msgs[k].msg_hdr, 0, sizeof(s->msgs[k].msg_hdr));
			s->msgs[k].msg_hdr.msg_name = &s->from[k];
			s->msgs[k].msg_hdr.msg_namelen = sizeof(s->from[k]);
			s->msgs[k].msg_hdr.msg_iov = &s->iov[k];
			s->msgs[k].msg_hdr.msg_iovlen = 1;
			s->msgs[k].msg_hdr.msg_control = s->ctl[k].buf;
			s->msgs[k].msg_hdr.msg_controllen = sizeof(s->ctl[k].buf);
		}
		n = recvmmsg(fd, s->msgs, SYSLOGD_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_msg(LOG_WARNING, "syslog: recvmmsg: %s", strerror(errno));
			break;
		}
		for (int k = 0; k < n; k++) {
			size_t len = s->msgs[k].msg_len;

			syslogd_kernel_drops(s, &s->msgs[k].msg_hdr);
			/* MSG_TRUNC: the datagram was longer than the cap; the
			 * kernel kept the first bufcap bytes. */
			if (len > s->bufcap)
				len = s->bufcap;
			syslogd_one(s, s->iov[k].iov_base, len, &s->from[k]);
		}
		total += (unsigned)n;
		if (n < SYSLOGD_BATCH)
			break;
	}
	syslogd_report(s, &s->drops, LOG_WARNING, "datagrams dropped by the kernel (receive "
		       "buffer full; see prov_syslog_kernel_dropped_total)");
	syslogd_report(s, &s->limited, LOG_NOTICE, "messages not stored: their source sent "
		       "more than syslog-rate (see prov_syslog_rate_limited_total)");
}

int
syslogd_new(struct syslogd **out, struct srv *srv, int fd)
{
	struct syslogd *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return -1;
	s->srv = srv;
	s->fd = fd;
	if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &(int){ 1 }, sizeof(int)) < 0)
		log_msg(LOG_WARNING, "syslog: SO_RXQ_OVFL: %s: kernel drops will not be counted",
			strerror(errno));
	if (syslogd_buffers(s) < 0 ||
	    loop_fd(srv->loop, fd, LOOP_IN, syslogd_read, s) < 0) {
		free(s->bufs);
		free(s->scratch);
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

void
syslogd_free(struct syslogd *s)
{
	if (s == NULL)
		return;
	loop_fd(s->srv->loop, s->fd, 0, NULL, NULL);
	free(s->bufs);
	free(s->scratch);
	free(s);
}
