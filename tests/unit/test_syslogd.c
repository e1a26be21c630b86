/*
 * Unit tests of syslogd: RFC 3164 / RFC 5424 / phone framings parsed from
 * a table of datagrams, and the collector on a loopback UDP socket fed by
 * this test and by util-linux logger(1), stored and read back. server.md
 * S-NET-4.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "loop.h"
#include "clock.h"
#include "metrics.h"
#include "serve.h"
#include "slog.h"
#include "store.h"
#include "syslogd.h"

#define WALL 1795845909 /* 2026-11-28 06:05:09 */
#define NUL_TEXT "<13>prov: a\0b\tc\x1b[31m"

struct pcase {
	const char *name;
	const char *dgram;
	size_t len;              /* 0: strlen(dgram) */
	int rc;
	int facility, severity;
	const char *timestamp, *hostname, *ident, *text, *mac; /* NULL: absent */
};

static const struct pcase pcases[] = {
	{ "3164 full (RFC 3164 5.4)",
	  "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", 0,
	  0, 4, 2, "Oct 11 22:14:15", "mymachine", "su",
	  "'su root' failed for lonvick on /dev/pts/8", "" },
	{ "3164 TAG[pid], padded day",
	  "<13>Feb  5 17:32:18 10.0.0.99 sshd[1234]: Accepted publickey\n", 0,
	  0, 1, 5, "Feb  5 17:32:18", "10.0.0.99", "sshd", "Accepted publickey", "" },
	{ "3164 one-digit day after one space",
	  "<13>Feb 5 17:32:18 host tag: x", 0,
	  0, 1, 5, "Feb 5 17:32:18", "host", "tag", "x", "" },
	{ "3164 bare TAG",
	  "<13>prov: hello", 0, 0, 1, 5, NULL, NULL, "prov", "hello", "" },
	{ "3164 bare TAG[pid]",
	  "<30>dhcpd[77]: DHCPACK on 10.0.0.5", 0, 0, 3, 6, NULL, NULL, "dhcpd",
	  "DHCPACK on 10.0.0.5", "" },
	{ "3164 bare, no TAG",
	  "<13>just words here", 0, 0, 1, 5, NULL, NULL, NULL, "just words here", "" },
	{ "3164 bare, TAG too long",
	  "<13>abcdefghijabcdefghijabcdefghijabc: x", 0, 0, 1, 5, NULL, NULL, NULL,
	  "abcdefghijabcdefghijabcdefghijabc: x", "" },
	{ "phone: identity in HOST's place (slog, $MA)",
	  "<133>Nov 28 06:05:09 000e08abcdef CP-8841-3PCC -- Requesting resync", 0,
	  0, 16, 5, "Nov 28 06:05:09", "000e08abcdef", "000e08abcdef",
	  "CP-8841-3PCC -- Requesting resync", "000e08abcdef" },
	{ "phone: no identity, MAC in text (slog, None)",
	  "<134>Nov 28 06:05:09 CP-8841-3PCC 00:0E:08:AB:CD:EF -- Requesting", 0,
	  0, 16, 6, "Nov 28 06:05:09", "CP-8841-3PCC", "CP-8841-3PCC",
	  "00:0E:08:AB:CD:EF -- Requesting", "000e08abcdef" },
	{ "phone: one word after the timestamp is text",
	  "<134>Nov 28 06:05:09 y", 0, 0, 16, 6, "Nov 28 06:05:09", NULL, NULL, "y", "" },
	{ "phone: bare identity, no timestamp",
	  "<134>00:0e:08:ab:cd:ef booted", 0, 0, 16, 6, NULL, NULL, "00:0e:08:ab:cd:ef",
	  "booted", "000e08abcdef" },
	{ "MAC in the TAG",
	  "<13>001122AABBCC: config applied", 0, 0, 1, 5, NULL, NULL, "001122AABBCC",
	  "config applied", "001122aabbcc" },
	{ "identity wins over a MAC in the text",
	  "<13>Nov 28 06:05:09 001122334455 peer aabbccddeeff", 0, 0, 1, 5,
	  "Nov 28 06:05:09", "001122334455", "001122334455", "peer aabbccddeeff",
	  "001122334455" },
	{ "MAC with dashes in the text",
	  "<13>prov: device 00-11-22-AA-BB-CC up", 0, 0, 1, 5, NULL, NULL, "prov",
	  "device 00-11-22-AA-BB-CC up", "001122aabbcc" },
	{ "no MAC: an 11-digit run, a 7-group run",
	  "<13>prov: serial 00112233445 id 00:11:22:33:44:55:66", 0, 0, 1, 5, NULL,
	  NULL, "prov", "serial 00112233445 id 00:11:22:33:44:55:66", "" },
	{ "5424 with SD and BOM (RFC 5424 6.5 example 3)",
	  "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
	  "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] "
	  "\xef\xbb\xbf" "An application event log entry...", 0,
	  0, 20, 5, "2003-10-11T22:14:15.003Z", "mymachine.example.com", "evntslog",
	  "An application event log entry...", "" },
	{ "5424 without SD (RFC 5424 6.5 example 1)",
	  "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
	  "\xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8", 0,
	  0, 4, 2, "2003-10-11T22:14:15.003Z", "mymachine.example.com", "su",
	  "'su root' failed for lonvick on /dev/pts/8", "" },
	{ "5424 two SD elements, escaped ] and \" in values",
	  "<14>1 - host app - - [a@1 x=\"v\\]al\\\"ue ] [\" y=\"z\"][b@2] msg ] here", 0,
	  0, 1, 6, NULL, "host", "app", "msg ] here", "" },
	{ "5424 all NILVALUE, no MSG",
	  "<34>1 - - - - - -", 0, 0, 4, 2, NULL, NULL, NULL, "", "" },
	{ "5424 MAC in APP-NAME",
	  "<134>1 2026-11-28T06:05:09Z - 001122334455 - - - hello aabbccddeeff", 0,
	  0, 16, 6, "2026-11-28T06:05:09Z", NULL, "001122334455", "hello aabbccddeeff",
	  "001122334455" },
	{ "5424 unterminated SD: all kept as text",
	  "<14>1 - h a - - [x y=\"z] msg", 0, 0, 1, 6, NULL, NULL, NULL,
	  "1 - h a - - [x y=\\x22z] msg", "" },
	{ "5424 header cut short: text",
	  "<14>1 2003-10-11T22:14:15Z host", 0, 0, 1, 6, NULL, NULL, NULL,
	  "1 2003-10-11T22:14:15Z host", "" },
	{ "no PRI", "hello world", 0, 0, -1, -1, NULL, NULL, NULL, "hello world", "" },
	{ "no PRI, no TAG parsing", "prov: x", 0, 0, -1, -1, NULL, NULL, NULL,
	  "prov: x", "" },
	{ "PRI 192 is not a PRI", "<192>hello", 0, 0, -1, -1, NULL, NULL, NULL,
	  "<192>hello", "" },
	{ "PRI 191 is", "<191>hello", 0, 0, 23, 7, NULL, NULL, NULL, "hello", "" },
	{ "PRI of four digits", "<0013>x", 0, 0, -1, -1, NULL, NULL, NULL, "<0013>x", "" },
	{ "PRI empty", "<>x", 0, 0, -1, -1, NULL, NULL, NULL, "<>x", "" },
	{ "PRI unterminated", "<13", 0, 0, -1, -1, NULL, NULL, NULL, "<13", "" },
	{ "PRI 0", "<0>kernel: x", 0, 0, 0, 0, NULL, NULL, "kernel", "x", "" },
	{ "empty", "", 0, -1, -1, -1, NULL, NULL, NULL, "", "" },
	{ "only a newline", "\r\n", 0, -1, -1, -1, NULL, NULL, NULL, "", "" },
	{ "only a PRI", "<13>\n", 0, -1, -1, -1, NULL, NULL, NULL, "", "" },
	{ "NULs only", "\0\0\0", 3, -1, -1, -1, NULL, NULL, NULL, "", "" },
	{ "embedded NUL and control characters escaped",
	  NUL_TEXT, sizeof(NUL_TEXT) - 1, 0, 1, 5, NULL, NULL, "prov",
	  "a\\x00b\\x09c\\x1b[31m", "" },
	{ "bytes >= 0x7f, quotes and backslashes escaped",
	  "<13>prov: caf\xc3\xa9 \"q\" \\ \x7f", 0, 0, 1, 5, NULL, NULL, "prov",
	  "caf\\xc3\\xa9 \\x22q\\x22 \\x5c \\x7f", "" },
	{ "a forged second line stays on one",
	  "<13>prov: one\n<13>prov: two", 0, 0, 1, 5, NULL, NULL, "prov",
	  "one\\x0a<13>prov: two", "" },
	{ "control characters in the hostname",
	  "<13>Nov 28 06:05:09 h\x01st tag: x", 0, 0, 1, 5, "Nov 28 06:05:09",
	  "h\\x01st", "tag", "x", "" },
};

static void
check_str(const char *what, const char *name, const char *want, const char *got)
{
	if (want == NULL && got == NULL)
		return;
	if (want == NULL || got == NULL || strcmp(want, got) != 0)
		fail_msg("%s: %s: want [%s] got [%s]", name, what, want ? want : "(null)",
			 got ? got : "(null)");
}

static void
s_net_4_parse_table(void **state)
{
	char scratch[4096];

	(void)state;
	for (size_t i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *c = &pcases[i];
		struct syslogd_msg m;
		size_t len = c->len ? c->len : strlen(c->dgram);
		int rc = syslogd_parse(c->dgram, len, &m, scratch, sizeof(scratch));

		if (rc != c->rc)
			fail_msg("%s: rc %d, want %d", c->name, rc, c->rc);
		if (m.facility != c->facility || m.severity != c->severity)
			fail_msg("%s: PRI %d.%d, want %d.%d", c->name, m.facility, m.severity,
				 c->facility, c->severity);
		if (rc < 0)
			continue;
		check_str("timestamp", c->name, c->timestamp, m.timestamp);
		check_str("hostname", c->name, c->hostname, m.hostname);
		check_str("ident", c->name, c->ident, m.ident);
		check_str("text", c->name, c->text, m.text);
		check_str("mac", c->name, c->mac, m.mac);
	}
}

/* What lib/slog.c (our own phones) sends parses into identity, MAC and
 * text, for each Syslog_Identifier choice. */
static void
s_net_4_what_our_phones_send(void **state)
{
	static const struct {
		const char *ident, *want_ident;
	} ids[] = {
		{ "000e08abcdef", "000e08abcdef" },       /* $MA */
		{ "000E08ABCDEF", "000E08ABCDEF" },       /* $MAU */
		{ "00:0e:08:ab:cd:ef", "00:0e:08:ab:cd:ef" }, /* $MAC */
	};
	char dgram[SLOG_MAX + 1], scratch[4 * SLOG_MAX + 8];
	struct syslogd_msg m;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		n = slog_format(dgram, sizeof(dgram), SLOG_NOTICE, WALL, ids[i].ident,
				"CP-8841-3PCC -- Requesting resync tftp://192.0.2.200:69/basic.txt");
		assert_int_equal(syslogd_parse(dgram, n, &m, scratch, sizeof(scratch)), 0);
		assert_int_equal(m.facility, 16);
		assert_int_equal(m.severity, SLOG_NOTICE);
		assert_string_equal(m.timestamp, "Nov 28 06:05:09");
		assert_string_equal(m.ident, ids[i].want_ident);
		assert_string_equal(m.mac, "000e08abcdef");
		assert_string_equal(m.text,
				    "CP-8841-3PCC -- Requesting resync tftp://192.0.2.200:69/basic.txt");
	}
	/* Syslog_Identifier None with the default Log_Request_Msg
	 * ("$PN $MAC -- Requesting resync ..."): the MAC comes from the text. */
	n = slog_format(dgram, sizeof(dgram), SLOG_INFO, WALL, NULL,
			"CP-8841-3PCC 00:0e:08:ab:cd:ef -- Requesting resync");
	assert_int_equal(syslogd_parse(dgram, n, &m, scratch, sizeof(scratch)), 0);
	assert_string_equal(m.mac, "000e08abcdef");
	assert_string_equal(m.text, "00:0e:08:ab:cd:ef -- Requesting resync");
	/* Serial number identity: no MAC anywhere. */
	n = slog_format(dgram, sizeof(dgram), SLOG_ERR, WALL, "FCH1234ABCD", "resync failed");
	assert_int_equal(syslogd_parse(dgram, n, &m, scratch, sizeof(scratch)), 0);
	assert_string_equal(m.ident, "FCH1234ABCD");
	assert_string_equal(m.mac, "");
	assert_int_equal(m.severity, SLOG_ERR);
}

/* Any length, any scratch size: bounded, NUL-terminated, never overrun. */
static void
s_net_4_long_and_small_scratch(void **state)
{
	char big[70000], scratch[4 * 70000 + 8], tiny[24];
	struct syslogd_msg m;

	(void)state;
	memcpy(big, "<13>prov: ", 10);
	memset(big + 10, '\x01', sizeof(big) - 10);
	assert_int_equal(syslogd_parse(big, sizeof(big), &m, scratch, sizeof(scratch)), 0);
	assert_int_equal(strlen(m.text), 4 * (sizeof(big) - 10));
	memset(tiny, 'Z', sizeof(tiny));
	assert_int_equal(syslogd_parse(big, sizeof(big), &m, tiny, sizeof(tiny) - 4), 0);
	assert_string_equal(m.ident, "prov");
	assert_true(strlen(m.text) < sizeof(tiny) - 4);
	assert_memory_equal(tiny + sizeof(tiny) - 4, "ZZZZ", 4);
	/* No room at all: empty strings, not garbage. */
	assert_int_equal(syslogd_parse(big, sizeof(big), &m, tiny, 0), 0);
	assert_string_equal(m.text, "");
}

/* ---- the collector on loopback ------------------------------------------------- */

struct rig {
	struct loop *loop;
	struct srv_cfg cfg;
	struct metrics m;
	struct srv srv;
	struct syslogd *sd;
	int fd;
	unsigned short port;
	uint64_t expect;          /* messages + dropped to wait for */
	int timed_out;
	char dir[64], path[96], url[128];
};

static void
rig_poll(void *arg)
{
	struct rig *r = arg;

	if (atomic_load(&r->m.syslog_messages) + atomic_load(&r->m.syslog_dropped) +
	    atomic_load(&r->m.syslog_kernel_dropped) >= r->expect)
		loop_stop(r->loop);
	else
		loop_timer_add(r->loop, loop_now(r->loop) + 5, rig_poll, r);
}

static void
rig_deadline(void *arg)
{
	struct rig *r = arg;

	r->timed_out = 1;
	loop_stop(r->loop);
}

/* Runs the loop until expect datagrams were handled (the deadline only
 * keeps a broken build from hanging). */
static void
rig_run(struct rig *r, uint64_t expect)
{
	uint64_t dl;

	r->expect = expect;
	r->timed_out = 0;
	loop_timer_add(r->loop, clock_mono_ms() + 1, rig_poll, r);
	dl = loop_timer_add(r->loop, clock_mono_ms() + 20000, rig_deadline, r);
	assert_int_equal(loop_run(r->loop), 0);
	loop_timer_del(r->loop, dl);
	if (r->timed_out)
		fail_msg("timed out: %llu of %llu datagrams handled",
			 (unsigned long long)(atomic_load(&r->m.syslog_messages) +
					      atomic_load(&r->m.syslog_dropped)),
			 (unsigned long long)expect);
}

static void
rig_setup(struct rig *r, unsigned msg_max)
{
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);
	char err[256];

	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/test_syslogd.XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	snprintf(r->path, sizeof(r->path), "%s/h.db", r->dir);
	snprintf(r->url, sizeof(r->url), "sqlite:%s", r->path);
	config_defaults(&r->cfg);
	r->cfg.lim.syslog_msg_max = msg_max;
	r->loop = loop_new();
	assert_non_null(r->loop);
	r->srv.loop = r->loop;
	r->srv.cfg = &r->cfg;
	r->srv.metrics = &r->m;
	r->srv.root_fd = r->srv.upload_fd = -1;
	if (store_open(&r->srv.store, r->url, &r->m, err, sizeof(err)) != 0)
		fail_msg("store_open: %s", err);
	r->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(r->fd >= 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(r->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(r->fd, (struct sockaddr *)&a, &alen), 0);
	r->port = ntohs(a.sin_port);
	assert_int_equal(syslogd_new(&r->sd, &r->srv, r->fd), 0);
}

static void
rig_teardown(struct rig *r)
{
	char p[160];
	static const char *const suffix[] = { "", "-wal", "-shm" };

	syslogd_free(r->sd);
	close(r->fd);
	store_close(r->srv.store);
	loop_free(r->loop);
	config_fini(&r->cfg);
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", r->path, suffix[i]);
		unlink(p);
	}
	rmdir(r->dir);
}

static void
send_dgram(int s, unsigned short port, const char *data, size_t len)
{
	struct sockaddr_in a = { 0 };

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	assert_int_equal(sendto(s, data, len, 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)len);
}

#define ROWS_MAX 200
struct rows {
	unsigned n;
	char *text[ROWS_MAX], *ident[ROWS_MAX], *mac[ROWS_MAX], *source[ROWS_MAX],
		*hostname[ROWS_MAX];
	int facility[ROWS_MAX], severity[ROWS_MAX];
};

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void
rows_sys(void *arg, const struct store_syslog *y)
{
	struct rows *w = arg;

	assert_true(w->n < ROWS_MAX);
	w->text[w->n] = dup_or_null(y->text);
	w->ident[w->n] = dup_or_null(y->ident);
	w->mac[w->n] = dup_or_null(y->mac);
	w->source[w->n] = dup_or_null(y->source);
	w->hostname[w->n] = dup_or_null(y->hostname);
	w->facility[w->n] = y->facility;
	w->severity[w->n] = y->severity;
	w->n++;
}

static void
rows_free(struct rows *w)
{
	for (unsigned i = 0; i < w->n; i++) {
		free(w->text[i]);
		free(w->ident[i]);
		free(w->mac[i]);
		free(w->source[i]);
		free(w->hostname[i]);
	}
	w->n = 0;
}

/* The row whose text is text, or -1. */
static int
rows_find(const struct rows *w, const char *text)
{
	for (unsigned i = 0; i < w->n; i++)
		if (w->text[i] != NULL && strcmp(w->text[i], text) == 0)
			return (int)i;
	return -1;
}

static void
s_net_4_collector_stores_what_it_receives(void **state)
{
	struct rig r;
	struct rows w = { 0 };
	struct store_filter f = { .limit = ROWS_MAX };
	char dgram[SLOG_MAX + 1], big[600], err[256], want_src[32];
	struct sockaddr_in me = { 0 };
	socklen_t mlen = sizeof(me);
	int s, i;
	size_t n;

	(void)state;
	rig_setup(&r, 100);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	/* What our phones send. */
	n = slog_format(dgram, sizeof(dgram), SLOG_NOTICE, WALL, "000e08abcdef",
			"Requesting resync");
	send_dgram(s, r.port, dgram, n);
	assert_int_equal(getsockname(s, (struct sockaddr *)&me, &mlen), 0);
	snprintf(want_src, sizeof(want_src), "127.0.0.1:%u", ntohs(me.sin_port));
	/* Empty and PRI-only: counted as dropped, not stored. */
	send_dgram(s, r.port, "", 0);
	send_dgram(s, r.port, "<13>", 4);
	/* Longer than syslog-msg-max (100): cut to 100 bytes. */
	memcpy(big, "<13>prov: ", 10);
	memset(big + 10, 'x', sizeof(big) - 10);
	send_dgram(s, r.port, big, sizeof(big));
	/* More than one recvmmsg batch in a row. */
	for (i = 0; i < 70; i++) {
		char one[64];
		int len = snprintf(one, sizeof(one), "<14>batch: n=%d", i);

		send_dgram(s, r.port, one, (size_t)len);
	}
	rig_run(&r, 1 + 2 + 1 + 70);
	assert_int_equal(atomic_load(&r.m.syslog_messages), 72);
	assert_int_equal(atomic_load(&r.m.syslog_dropped), 2);

	store_flush(r.srv.store);
	if (store_query_syslog(r.url, &f, rows_sys, &w, err, sizeof(err)) != 0)
		fail_msg("query: %s", err);
	assert_int_equal(w.n, 72);
	i = rows_find(&w, "Requesting resync");
	assert_true(i >= 0);
	assert_string_equal(w.ident[i], "000e08abcdef");
	assert_string_equal(w.mac[i], "000e08abcdef");
	assert_string_equal(w.source[i], want_src);
	assert_int_equal(w.facility[i], 16);
	assert_int_equal(w.severity[i], 5);
	i = rows_find(&w, "n=69");
	assert_true(i >= 0);
	assert_string_equal(w.ident[i], "batch");
	assert_null(w.mac[i]);
	/* The cut one: 100 bytes of datagram, 90 of them text. */
	for (i = 0; i < (int)w.n; i++)
		if (w.text[i][0] == 'x')
			break;
	assert_true(i < (int)w.n);
	assert_int_equal(strlen(w.text[i]), 90);
	rows_free(&w);

	/* Filter by the MAC it named. */
	f.mac = "000e08abcdef";
	if (store_query_syslog(r.url, &f, rows_sys, &w, err, sizeof(err)) != 0)
		fail_msg("query: %s", err);
	assert_int_equal(w.n, 1);
	rows_free(&w);
	close(s);
	rig_teardown(&r);
}

/* Datagrams the kernel drops because the receive buffer is full are
 * counted (SO_RXQ_OVFL): a burst into a tiny buffer while the loop does
 * not run, then one more datagram once the queue is drained (the kernel
 * reports the drop count with the next datagram it delivers). Every
 * datagram sent is then either a message or a kernel drop. */
static void
s_net_4_kernel_drops_counted(void **state)
{
	struct rig r;
	char one[200];
	int s, small = 1;
	unsigned burst = 500;

	(void)state;
	rig_setup(&r, 4096);
	assert_int_equal(setsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	memset(one, 'x', sizeof(one));
	memcpy(one, "<14>burst: ", 11);
	for (unsigned i = 0; i < burst; i++)
		send_dgram(s, r.port, one, sizeof(one));
	rig_run(&r, 1);            /* drains the queue: well under one wakeup */
	assert_true(atomic_load(&r.m.syslog_messages) < burst);
	send_dgram(s, r.port, "<14>after: the burst", 20);
	rig_run(&r, burst + 1);
	assert_true(atomic_load(&r.m.syslog_kernel_dropped) > 0);
	assert_int_equal(atomic_load(&r.m.syslog_messages) + atomic_load(&r.m.syslog_kernel_dropped),
			 burst + 1);
	close(s);
	rig_teardown(&r);
}

/* The per-source rate cap: a source sending 200 messages at once has
 * syslog-burst of them stored, plus syslog-rate per second of the time
 * it took (measured, so the bound holds on a loaded machine); the rest
 * are counted, not stored. */
static void
s_net_4_rate_per_source(void **state)
{
	struct rig r;
	struct rows w = { 0 };
	struct store_filter f = { .limit = ROWS_MAX };
	char err[256];
	int s;
	unsigned sent = 200, burst = 10;
	int64_t t0, took_ms;
	uint64_t limited;

	(void)state;
	rig_setup(&r, 4096);
	r.cfg.lim.syslog_rate = 1;
	r.cfg.lim.syslog_burst = burst;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	t0 = clock_mono_ms();
	for (unsigned i = 0; i < sent; i++) {
		char one[64];
		int len = snprintf(one, sizeof(one), "<14>flood: n=%u", i);

		send_dgram(s, r.port, one, (size_t)len);
	}
	rig_run(&r, sent);
	took_ms = clock_mono_ms() - t0;
	limited = atomic_load(&r.m.syslog_rate_limited);
	assert_int_equal(atomic_load(&r.m.syslog_messages), sent);
	assert_true(limited >= sent - burst - (uint64_t)(took_ms / 1000 + 1));
	assert_true(limited <= sent - burst);
	store_flush(r.srv.store);
	if (store_query_syslog(r.url, &f, rows_sys, &w, err, sizeof(err)) != 0)
		fail_msg("query: %s", err);
	assert_int_equal(w.n, sent - limited);
	assert_true(rows_find(&w, "n=0") >= 0);        /* the burst is the first ones */
	assert_true(rows_find(&w, "n=9") >= 0);
	rows_free(&w);
	close(s);
	rig_teardown(&r);
}

/* An IPv6 source is stored as "[ADDR]:PORT" (skipped without ::1). */
static void
s_net_4_ipv6_source(void **state)
{
	struct rig r;
	struct rows w = { 0 };
	struct store_filter f = { .limit = ROWS_MAX };
	struct sockaddr_in6 a = { 0 }, me = { 0 };
	socklen_t alen = sizeof(a), mlen = sizeof(me);
	struct syslogd *sd6 = NULL;
	char err[256], want[64];
	int fd6, s;

	(void)state;
	fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	a.sin6_family = AF_INET6;
	a.sin6_addr = in6addr_loopback;
	if (fd6 < 0 || bind(fd6, (struct sockaddr *)&a, sizeof(a)) != 0) {
		if (fd6 >= 0)
			close(fd6);
		skip();
	}
	rig_setup(&r, 4096);
	assert_int_equal(getsockname(fd6, (struct sockaddr *)&a, &alen), 0);
	assert_int_equal(syslogd_new(&sd6, &r.srv, fd6), 0);
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	assert_int_equal(sendto(s, "<13>v6: from ::1", 16, 0, (struct sockaddr *)&a, alen), 16);
	assert_int_equal(getsockname(s, (struct sockaddr *)&me, &mlen), 0);
	snprintf(want, sizeof(want), "[::1]:%u", ntohs(me.sin6_port));
	rig_run(&r, 1);
	store_flush(r.srv.store);
	if (store_query_syslog(r.url, &f, rows_sys, &w, err, sizeof(err)) != 0)
		fail_msg("query: %s", err);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.source[0], want);
	assert_string_equal(w.ident[0], "v6");
	rows_free(&w);
	close(s);
	syslogd_free(sd6);
	close(fd6);
	rig_teardown(&r);
}

/* util-linux logger(1) as an independent sender, in both framings. */
static void
s_net_4_logger_rfc5424_and_rfc3164(void **state)
{
	struct rig r;
	struct rows w = { 0 };
	struct store_filter f = { .limit = ROWS_MAX };
	char cmd[512], err[256];
	int i;

	(void)state;
	if (system("logger --version >/dev/null 2>&1") != 0)
		skip();
	rig_setup(&r, 4096);
	snprintf(cmd, sizeof(cmd),
		 "logger -n 127.0.0.1 -P %u -d --rfc5424 -p local0.notice -t provtest "
		 "--sd-id 'origin@32473' --sd-param 'x=\"a\\]b\"' "
		 "'resync 00:11:22:aa:bb:cc ok' && "
		 "logger -n 127.0.0.1 -P %u -d --rfc3164 -p user.err -t prov3164 "
		 "'from 3164 \"quoted\"'", r.port, r.port);
	assert_int_equal(system(cmd), 0);
	rig_run(&r, 2);
	assert_int_equal(atomic_load(&r.m.syslog_messages), 2);
	store_flush(r.srv.store);
	if (store_query_syslog(r.url, &f, rows_sys, &w, err, sizeof(err)) != 0)
		fail_msg("query: %s", err);
	assert_int_equal(w.n, 2);
	i = rows_find(&w, "resync 00:11:22:aa:bb:cc ok");
	if (i < 0)
		fail_msg("5424 text not found; got [%s] [%s]", w.text[0], w.text[1]);
	assert_string_equal(w.ident[i], "provtest");
	assert_string_equal(w.mac[i], "001122aabbcc");
	assert_int_equal(w.facility[i], 16);
	assert_int_equal(w.severity[i], 5);
	assert_non_null(w.hostname[i]);
	assert_memory_equal(w.source[i], "127.0.0.1:", 10);
	i = rows_find(&w, "from 3164 \\x22quoted\\x22");
	if (i < 0)
		fail_msg("3164 text not found; got [%s] [%s]", w.text[0], w.text[1]);
	assert_string_equal(w.ident[i], "prov3164");
	assert_null(w.mac[i]);
	assert_int_equal(w.facility[i], 1);
	assert_int_equal(w.severity[i], 3);
	assert_non_null(w.hostname[i]);
	rows_free(&w);
	rig_teardown(&r);
}

/* Attribution (syslogd_attribute): an inventory of two devices, one of
 * which last fetched from 192.0.2.7. */
static int
attr_known(void *arg, const char *mac)
{
	(void)arg;
	return strcmp(mac, "000e08000001") == 0 || strcmp(mac, "000e08000002") == 0;
}

static int
attr_none(void *arg, const char *mac)
{
	(void)arg;
	(void)mac;
	return -1; /* no inventory */
}

static int
attr_byaddr(void *arg, const char *addr, char mac[13])
{
	(void)arg;
	if (strcmp(addr, "192.0.2.7") != 0)
		return 0;
	memcpy(mac, "000e08000001", 13);
	return 1;
}

static void
attr_one(const char *dgram, const char *addr, int (*known)(void *, const char *),
	 const char *want)
{
	char scratch[1024], mac[13];
	struct syslogd_msg m;

	assert_int_equal(syslogd_parse(dgram, strlen(dgram), &m, scratch, sizeof(scratch)), 0);
	syslogd_attribute(&m, addr, known, attr_byaddr, NULL, mac);
	if (strcmp(mac, want) != 0)
		fail_msg("%s from %s: got '%s', want '%s'", dgram, addr, mac, want);
}

static void
s_dev_3_attribution_only_known_devices(void **state)
{
	char scratch[1024];
	struct syslogd_msg m;
	const char *d = "<14>token cafe00112233 for 00:0e:08:00:00:02 and 000E08000001";

	(void)state;
	/* every MAC named, in order */
	assert_int_equal(syslogd_parse(d, strlen(d), &m, scratch, sizeof(scratch)), 0);
	assert_int_equal(m.ncand, 3);
	assert_string_equal(m.cand[0], "cafe00112233");
	assert_string_equal(m.cand[1], "000e08000002");
	assert_string_equal(m.cand[2], "000e08000001");
	/* a 12-hex run that is not a device is never taken */
	attr_one("<14>token cafe00112233 accepted", "198.51.100.1", attr_known, "");
	attr_one("<14>token cafe00112233 for 00:0e:08:00:00:02", "198.51.100.1", attr_known,
		 "000e08000002");
	attr_one("<14>Dec  7 21:50:00 000e08000002 CP-8841-3PCC -- ok", "192.0.2.7",
		 attr_known, "000e08000002");
	/* else the device last seen at the source address */
	attr_one("<14>token cafe00112233 accepted", "192.0.2.7", attr_known, "000e08000001");
	attr_one("<14>nothing named", "192.0.2.7", attr_known, "000e08000001");
	attr_one("<14>nothing named", "192.0.2.8", attr_known, "");
	/* a longer separated run is no MAC */
	attr_one("<14>id 00:0e:08:00:00:02:03", "198.51.100.1", attr_known, "");
	/* no inventory to ask: the first MAC named, as before */
	attr_one("<14>token cafe00112233 for 00:0e:08:00:00:02", "198.51.100.1", attr_none,
		 "cafe00112233");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(s_net_4_parse_table),
		cmocka_unit_test(s_net_4_what_our_phones_send),
		cmocka_unit_test(s_net_4_long_and_small_scratch),
		cmocka_unit_test(s_net_4_collector_stores_what_it_receives),
		cmocka_unit_test(s_net_4_kernel_drops_counted),
		cmocka_unit_test(s_net_4_rate_per_source),
		cmocka_unit_test(s_net_4_ipv6_source),
		cmocka_unit_test(s_net_4_logger_rfc5424_and_rfc3164),
		cmocka_unit_test(s_dev_3_attribution_only_known_devices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
