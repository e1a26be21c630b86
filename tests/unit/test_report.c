/*
 * Unit tests of lib/report.c (device.md D-REP-1, D-PAR-5, D-ENC-2) and of
 * the TFTP write path it adds to lib/tftpc.c.
 *
 * Content: full, --delta and --status documents of a memory-only device;
 * secrets never appear and a report served back as a profile keeps the
 * receiver's secrets. Transport and schedule: a fake TFTP server in this
 * process (one UDP socket on 127.0.0.1, answering WRQ with OACK or ACK 0,
 * acknowledging DATA, or refusing with ERROR), and the reporter on a real
 * struct prov_net driven by a small poll loop here, with an injected
 * clock, so batching, the periodic report and the one retry are checked
 * without waiting for them.
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "param.h"
#include "prov/prov.h"
#include "report.h"
#include "tftp.h"
#include "tftpc.h"

static const struct prov_identity ident = {
	.mac = "00:0e:08:ab:cd:ef", .serial = "88012BA01234", .product = "CP-8841-3PCC",
	.psn = NULL, .swver = "sip88xx.11-3-1MPP-123", .hwver = NULL,
};

static struct prov_device *
newdev(void)
{
	enum prov_err err;
	struct prov_device *dev = prov_device_new(&ident, &err);

	assert_non_null(dev);
	return dev;
}

static void
set(struct prov_device *dev, const char *name, const char *value)
{
	if (prov_device_set(dev, name, value, 0) != PROV_OK)
		fail_msg("set %s: %s", name, prov_device_errmsg(dev));
}

static char *
build(struct prov_device *dev, unsigned kind)
{
	char *doc = NULL;
	size_t len = 0;

	assert_int_equal(prov_report_build(dev, kind, &doc, &len), PROV_OK);
	assert_int_equal(strlen(doc), len);
	return doc;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static struct prov_profile *
parse(const char *text)
{
	struct prov_profile *p = NULL;
	char msg[256];

	if (prov_profile_parse("report", text, strlen(text), 0, &p, msg, sizeof(msg)) != PROV_OK)
		fail_msg("parse: %s", msg);
	return p;
}

static void
count_issue(void *arg, const struct prov_issue *is)
{
	(*(size_t *)arg)++;
	print_message("issue: %s: %s\n", is->name, is->message);
}

/* The instances dev's product has. */
static size_t
instances_on(struct prov_device *dev)
{
	size_t n = 0;
	enum prov_ua ua;

	for (size_t i = 0; i < prov_param_count(); i++)
		n += prov_device_get_ua(dev, prov_param_name(i), &ua) == PROV_OK;
	return n;
}

/* D-REP-1 full: every parameter, escaped; D-PAR-5: no secret's value. */
static void
full_has_every_parameter_and_no_secret(void **state)
{
	struct prov_device *dev = newdev(), *peer = newdev();
	struct prov_profile *p;
	struct prov_apply_result ar;
	char *doc, *v = NULL;
	size_t issues = 0;

	(void)state;
	set(dev, "GPP_A", "a&b<c>\"d\"");
	set(dev, "Password_1_", "s3cret-pw");
	set(dev, "GPP_SA", "topsecret-sa");
	set(dev, "Admin_Password", "adm1n-pw");
	doc = build(dev, PROV_REPORT_FULL);
	assert_null(strstr(doc, "s3cret-pw"));
	assert_null(strstr(doc, "topsecret-sa"));
	assert_null(strstr(doc, "adm1n-pw"));
	assert_non_null(strstr(doc, "<Password_1_ ua=\"na\"/>"));
	assert_non_null(strstr(doc, "<GPP_SA ua=\"na\"/>"));
	assert_non_null(strstr(doc, "<GPP_A ua=\"na\">a&amp;b&lt;c&gt;&quot;d&quot;</GPP_A>"));
	assert_non_null(strstr(doc, "<Profile_Rule ua=\"na\">/$PSN.xml</Profile_Rule>"));
	/* A well-formed flat-profile with one element per instance the
	 * product has (its lines and keys), all valid. */
	p = parse(doc);
	assert_int_equal(prov_profile_count(p), instances_on(dev));
	assert_true(instances_on(dev) < prov_param_count());
	assert_int_equal(prov_profile_lint(p, count_issue, &issues), 0);
	/* Served back: the values arrive, the receiver's secrets stay. */
	set(peer, "Password_1_", "peer-pw");
	assert_int_equal(prov_device_apply(peer, p, &ar, NULL, NULL), PROV_OK);
	assert_int_equal(ar.rejected, 0);
	assert_int_equal(prov_device_get(peer, "Password_1_", PROV_SHOW_SECRETS, &v), PROV_OK);
	assert_string_equal(v, "peer-pw");
	free(v);
	assert_int_equal(prov_device_get(peer, "GPP_A", 0, &v), PROV_OK);
	assert_string_equal(v, "a&b<c>\"d\"");
	free(v);
	prov_profile_free(p);
	free(doc);
	prov_device_free(peer);
	prov_device_free(dev);
}

/* --delta: only what differs from the factory default, value or ua. */
static void
delta_has_only_changes(void **state)
{
	struct prov_device *dev = newdev();
	struct prov_profile *p;
	char *doc;

	(void)state;
	doc = build(dev, PROV_REPORT_DELTA);
	p = parse(doc);
	assert_int_equal(prov_profile_count(p), 0);
	prov_profile_free(p);
	free(doc);

	set(dev, "Resync_Periodic", "7200");
	set(dev, "GPP_B", "");                 /* set, but to the default: not a change */
	set(dev, "Password_2_", "pw2");        /* a change, reported without its value */
	set(dev, "Provision_Enable", "yes");   /* normalised to the default "Yes" */
	{
		/* An access-level change alone counts. */
		struct prov_profile *ua = parse("<flat-profile><GPP_C ua=\"rw\"/></flat-profile>");
		struct prov_apply_result ar;

		assert_int_equal(prov_device_apply(dev, ua, &ar, NULL, NULL), PROV_OK);
		prov_profile_free(ua);
	}
	doc = build(dev, PROV_REPORT_DELTA);
	p = parse(doc);
	assert_int_equal(prov_profile_count(p), 3);
	assert_non_null(strstr(doc, "<Resync_Periodic ua=\"na\">7200</Resync_Periodic>"));
	assert_non_null(strstr(doc, "<Password_2_ ua=\"na\"/>"));
	assert_non_null(strstr(doc, "<GPP_C ua=\"rw\"></GPP_C>"));
	assert_null(strstr(doc, "pw2"));
	assert_null(strstr(doc, "GPP_B"));
	assert_null(strstr(doc, "Provision_Enable"));
	prov_profile_free(p);
	free(doc);
	prov_device_free(dev);
}

/* --status: identity and the D-STA-1 values as elements. */
static void
status_has_identity_and_status(void **state)
{
	struct prov_device *dev = newdev();
	char *doc;

	(void)state;
	set(dev, "Password_1_", "s3cret-pw");
	assert_int_equal(prov_device_status_set(dev, "last_resync_result", "failure"), PROV_OK);
	assert_int_equal(prov_device_status_set(dev, "last_resync_err", "http_get failed: 500 <x>"),
			 PROV_OK);
	doc = build(dev, PROV_REPORT_STATUS);
	assert_true(strncmp(doc, "<?xml", 5) == 0);
	assert_non_null(strstr(doc, "<status>\n"));
	assert_non_null(strstr(doc, "<MAC>00:0e:08:ab:cd:ef</MAC>"));
	assert_non_null(strstr(doc, "<PN>CP-8841-3PCC</PN>"));
	assert_non_null(strstr(doc, "<SWVER>sip88xx.11-3-1MPP-123</SWVER>"));
	assert_non_null(strstr(doc, "<last_resync_result>failure</last_resync_result>"));
	assert_non_null(strstr(doc, "<last_resync_err>http_get failed: 500 &lt;x&gt;</last_resync_err>"));
	assert_null(strstr(doc, "s3cret"));
	assert_null(strstr(doc, "flat-profile"));
	assert_int_equal(count(doc, "</status>"), 1);
	free(doc);
	prov_device_free(dev);
}

/* ---- a fake TFTP server and a poll loop for the net ------------------------ */

#define FAKE_MAX (4u * 1024u * 1024u)

enum fake_mode { FAKE_OACK, FAKE_PLAIN, FAKE_REFUSE, FAKE_DROP_FIRST_DATA };

struct fake {
	int fd;
	unsigned port;
	enum fake_mode mode;
	unsigned blksize;          /* granted (OACK mode) */
	char file[256];
	struct buf got;
	int done;                  /* the last block came */
	unsigned wrqs;             /* requests seen */
	unsigned datas;            /* DATA packets seen (duplicates too) */
	int dropped;
};

static void
fake_open(struct fake *f, enum fake_mode mode)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(f->fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(f->fd, (struct sockaddr *)&a, &alen), 0);
	f->port = ntohs(a.sin_port);
	buf_init(&f->got, FAKE_MAX);
}

static void
fake_close(struct fake *f)
{
	close(f->fd);
	buf_free(&f->got);
}

/* A fresh transfer on the same server (next report). */
static void
fake_reset(struct fake *f)
{
	buf_reset(&f->got);
	f->done = 0;
	f->file[0] = '\0';
}

static void
fake_send(struct fake *f, const uint8_t *p, size_t n, const struct sockaddr_storage *to,
	  socklen_t tolen)
{
	assert_int_equal(sendto(f->fd, p, n, 0, (const struct sockaddr *)to, tolen), (ssize_t)n);
}

/* Answers every datagram waiting. */
static void
fake_step(struct fake *f)
{
	uint8_t pkt[70000], out[600];
	struct sockaddr_storage from;
	socklen_t fromlen;
	ssize_t n;

	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(f->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0)
			return;
		if (tftp_opcode(pkt, (size_t)n) == TFTP_WRQ) {
			struct tftp_req req;
			char why[64];
			size_t len;

			assert_int_equal(tftp_parse_req(pkt, (size_t)n, &req, why, sizeof(why)), 0);
			snprintf(f->file, sizeof(f->file), "%s", req.filename);
			f->wrqs++;
			buf_reset(&f->got);
			f->done = 0;
			if (f->mode == FAKE_REFUSE) {
				len = tftp_build_error(out, sizeof(out), TFTP_EACCESS,
						       "uploads not accepted");
			} else if (f->mode == FAKE_PLAIN) {
				f->blksize = 512;
				len = tftp_build_ack(out, sizeof(out), 0);
			} else {
				struct tftp_opts o;

				/* The client asks for blksize and tsize, never windowsize. */
				assert_int_equal(req.opts.windowsize, 0);
				assert_true(req.opts.has_tsize);
				memset(&o, 0, sizeof(o));
				o.blksize = f->blksize = 600;
				o.has_tsize = 1;
				o.tsize = req.opts.tsize;
				len = tftp_build_oack(out, sizeof(out), &o);
			}
			fake_send(f, out, len, &from, fromlen);
		} else if (tftp_opcode(pkt, (size_t)n) == TFTP_DATA) {
			uint16_t block;
			const uint8_t *data;
			size_t dlen, len;

			assert_int_equal(tftp_parse_data(pkt, (size_t)n, &block, &data, &dlen), 0);
			f->datas++;
			if (f->mode == FAKE_DROP_FIRST_DATA && !f->dropped) {
				f->dropped = 1; /* as if lost: the client must send it again */
				continue;
			}
			assert_true(dlen <= f->blksize);
			/* Expected block: the next one; a repeat is acknowledged again. */
			if ((size_t)block == f->got.len / f->blksize + 1 && !f->done) {
				assert_int_equal(buf_add(&f->got, data, dlen), PROV_OK);
				if (dlen < f->blksize)
					f->done = 1;
			}
			len = tftp_build_ack(out, sizeof(out), block);
			fake_send(f, out, len, &from, fromlen);
		}
	}
}

/* A host for one net, with a clock the test moves. */
#define HOST_FDS 16

struct host {
	struct prov_net *net;
	struct {
		int fd;
		unsigned ev;
	} w[HOST_FDS];
	size_t nw;
	long long timer_at;        /* real monotonic ms; -1 none */
	int64_t dev_now;           /* the device's clock */
	int results, oks;
	char last_err[200], last_why[32];
	unsigned last_kind;
	int last_encrypted;
};

static long long
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
h_watch(void *arg, int fd, unsigned events)
{
	struct host *h = arg;
	size_t i;

	for (i = 0; i < h->nw && h->w[i].fd != fd; i++)
		;
	if (events == 0) {
		if (i < h->nw)
			h->w[i] = h->w[--h->nw];
		return;
	}
	if (i == h->nw) {
		assert_true(h->nw < HOST_FDS);
		h->nw++;
	}
	h->w[i].fd = fd;
	h->w[i].ev = events;
}

static void
h_timer(void *arg, long ms)
{
	struct host *h = arg;

	h->timer_at = ms < 0 ? -1 : real_ms() + ms;
}

static int64_t
h_mono(void *arg)
{
	return ((struct host *)arg)->dev_now;
}

static int64_t
h_wall(void *arg)
{
	return 1767225600 + ((struct host *)arg)->dev_now / 1000;
}

static void
h_result(void *arg, const struct prov_report_result *r)
{
	struct host *h = arg;

	h->results++;
	h->oks += r->ok;
	snprintf(h->last_err, sizeof(h->last_err), "%s", r->err);
	snprintf(h->last_why, sizeof(h->last_why), "%s", r->why);
	h->last_kind = r->kind;
	h->last_encrypted = r->encrypted;
}

/* Runs the net and the fake server until the reporter is idle (at most
 * 20 s of real time: the fake answers at once, retransmissions take 1 s). */
static void
run(struct host *h, struct prov_report *rep, struct fake *f)
{
	long long end = real_ms() + 20000;

	while (prov_report_running(rep)) {
		struct pollfd pf[HOST_FDS + 1];
		long long now = real_ms();
		int wait = 50;

		assert_true(now < end);
		for (size_t i = 0; i < h->nw; i++) {
			pf[i].fd = h->w[i].fd;
			pf[i].events = (short)(((h->w[i].ev & PROV_IN) ? POLLIN : 0) |
					       ((h->w[i].ev & PROV_OUT) ? POLLOUT : 0));
			pf[i].revents = 0;
		}
		pf[h->nw].fd = f->fd;
		pf[h->nw].events = POLLIN;
		pf[h->nw].revents = 0;
		if (h->timer_at >= 0 && h->timer_at - now < wait)
			wait = h->timer_at > now ? (int)(h->timer_at - now) : 0;
		size_t n = h->nw;
		int rc = poll(pf, n + 1, wait);

		assert_true(rc >= 0 || errno == EINTR);
		if (pf[n].revents)
			fake_step(f);
		for (size_t i = 0; i < n; i++) {
			unsigned ev = ((pf[i].revents & (POLLIN | POLLERR | POLLHUP)) ? PROV_IN : 0) |
				      ((pf[i].revents & POLLOUT) ? PROV_OUT : 0);

			if (ev != 0)
				prov_net_fd(h->net, pf[i].fd, ev);
		}
		if (h->timer_at >= 0 && real_ms() >= h->timer_at) {
			h->timer_at = -1;
			prov_net_timeout(h->net);
		}
	}
}

static struct prov_report *
host_init(struct host *h, struct prov_device *dev)
{
	static const struct prov_net_ops ops = { h_watch, h_timer };
	struct prov_clock clk = { h_mono, h_wall, NULL, h };
	struct prov_report *rep = NULL;

	memset(h, 0, sizeof(*h));
	h->timer_at = -1;
	h->dev_now = 1000000;
	assert_int_equal(prov_net_new(&ops, h, &h->net), PROV_OK);
	assert_int_equal(prov_report_new(dev, h->net, &clk, &rep), PROV_OK);
	prov_report_on_result(rep, h_result, h);
	return rep;
}

static void
host_fini(struct host *h, struct prov_report *rep)
{
	prov_report_free(rep);
	prov_net_free(h->net);
}

static void
rule_set(struct prov_device *dev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
rule_set(struct prov_device *dev, const char *fmt, ...)
{
	char rule[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rule, sizeof(rule), fmt, ap);
	va_end(ap);
	set(dev, "Report_Rule", rule);
}

/* D-REP-1 + D-ENC-2: a full report, encrypted with --key $SB (a secret
 * macro), written over TFTP, decrypts with prov_unpack to exactly the
 * document prov_report_build gives. Then a --status item after it. */
static void
encrypted_round_trip_over_tftp(void **state)
{
	struct prov_device *dev = newdev();
	struct fake f;
	struct host h;
	struct prov_report *rep;
	char *doc, msg[128];
	void *plain = NULL;
	size_t plainlen = 0, doclen = 0;
	unsigned layers = 0;

	(void)state;
	fake_open(&f, FAKE_OACK);
	rep = host_init(&h, dev);
	set(dev, "GPP_SB", "report key");
	set(dev, "Password_1_", "s3cret-pw");
	rule_set(dev, "[--key $SB] tftp://127.0.0.1:%u/r-$MA.xml", f.port);
	assert_int_equal(prov_report_send(rep, NULL, "request"), PROV_OK);
	run(&h, rep, &f);
	assert_int_equal(h.results, 1);
	assert_int_equal(h.oks, 1);
	assert_string_equal(h.last_why, "request");
	assert_true(h.last_encrypted);
	assert_string_equal(f.file, "r-000e08abcdef.xml");
	assert_true(f.done);
	assert_memory_equal(f.got.p, "Salted__", 8);
	assert_int_equal(prov_unpack(f.got.p, f.got.len, "report key", 0, &plain, &plainlen,
				     &layers, msg, sizeof(msg)), PROV_OK);
	assert_int_equal(layers, PROV_LAYER_AES);
	assert_int_equal(prov_report_build(dev, PROV_REPORT_FULL, &doc, &doclen), PROV_OK);
	/* The status keys the report wrote (last_report_*) are not in a
	 * full report, so the two are the same bytes. */
	assert_int_equal(plainlen, doclen);
	assert_memory_equal(plain, doc, doclen);
	assert_null(memmem(plain, plainlen, "s3cret-pw", 9));
	free(plain);
	free(doc);
	/* The wrong key does not open it. */
	assert_int_equal(prov_unpack(f.got.p, f.got.len, "wrong", 0, &plain, &plainlen,
				     &layers, msg, sizeof(msg)), PROV_E_DECRYPT);

	/* Two items: each goes, in order; the second is a status report. */
	fake_reset(&f);
	rule_set(dev, "[--delta] tftp://127.0.0.1:%u/d.xml [--status] tftp://127.0.0.1:%u/s.xml",
		 f.port, f.port);
	h.results = h.oks = 0;
	assert_int_equal(prov_report_send(rep, NULL, "sip"), PROV_OK);
	run(&h, rep, &f);
	assert_int_equal(h.results, 2);
	assert_int_equal(h.oks, 2);
	assert_int_equal(h.last_kind, PROV_REPORT_STATUS);
	assert_string_equal(f.file, "s.xml");
	assert_non_null(memmem(f.got.p, f.got.len, "<last_report_result>success</last_report_result>",
			       48));
	host_fini(&h, rep);
	fake_close(&f);
	prov_device_free(dev);
}

/* tftpc's write path: a server without options (512-byte blocks, a
 * length that is a multiple of it, so an empty last block), and a lost
 * DATA sent again on the client's timer. */
static void
tftpc_write_plain_and_lost_block(void **state)
{
	enum fake_mode modes[] = { FAKE_PLAIN, FAKE_DROP_FIRST_DATA };

	(void)state;
	for (size_t m = 0; m < 2; m++) {
		struct fake f;
		struct tftpc *t = NULL;
		struct tftpc_req req;
		struct diag d;
		uint8_t data[1024];
		long long now = 0;

		for (size_t i = 0; i < sizeof(data); i++)
			data[i] = (uint8_t)(i * 7 + 1);
		fake_open(&f, modes[m]);
		if (modes[m] == FAKE_DROP_FIRST_DATA)
			f.mode = FAKE_DROP_FIRST_DATA; /* with OACK: blksize 600 */
		memset(&req, 0, sizeof(req));
		req.host = "127.0.0.1";
		req.port = f.port;
		req.file = "w.bin";
		req.max_body = 4096;
		req.put = data;
		req.putlen = sizeof(data);
		req.blksize = modes[m] == FAKE_PLAIN ? 0 : 1428;
		diag_init(&d);
		assert_int_equal(tftpc_start(&req, now, &t, &d), PROV_OK);
		tftpc_timeout(t, now); /* the WRQ */
		for (int round = 0; round < 200 && tftpc_result(t)->status == TFTPC_RUNNING;
		     round++) {
			struct pollfd pf = { f.fd, POLLIN, 0 };

			if (poll(&pf, 1, 200) > 0)
				fake_step(&f);
			pf.fd = tftpc_fd(t);
			pf.revents = 0;
			if (poll(&pf, 1, 200) > 0)
				tftpc_readable(t, now);
			else if (tftpc_due(t) >= 0) /* nothing came: move the clock */
				tftpc_timeout(t, now = tftpc_due(t));
		}
		assert_int_equal(tftpc_result(t)->status, TFTPC_OK);
		assert_true(f.done);
		assert_int_equal(f.got.len, sizeof(data));
		assert_memory_equal(f.got.p, data, sizeof(data));
		if (modes[m] == FAKE_PLAIN)
			assert_int_equal(f.datas, 3); /* 512 + 512 + the empty block */
		else
			assert_int_equal(f.datas, 3); /* 600, 600 again, 424 */
		tftpc_free(t);
		fake_close(&f);
	}
}

/* A refusing server: the item fails with the TFTP error, a retry is
 * planned once REPORT_RETRY_MS later, and a failed retry plans no more. */
static void
refused_then_retried_once(void **state)
{
	struct prov_device *dev = newdev();
	struct fake f;
	struct host h;
	struct prov_report *rep;

	(void)state;
	fake_open(&f, FAKE_REFUSE);
	rep = host_init(&h, dev);
	rule_set(dev, "tftp://127.0.0.1:%u/x.xml", f.port);
	assert_int_equal(prov_report_send(rep, NULL, "request"), PROV_OK);
	run(&h, rep, &f);
	assert_int_equal(h.results, 1);
	assert_int_equal(h.oks, 0);
	assert_string_equal(h.last_err, "tftp error 2: uploads not accepted");
	assert_int_equal(prov_report_due(rep), h.dev_now + REPORT_RETRY_MS);
	prov_report_tick(rep);
	assert_false(prov_report_running(rep));
	h.dev_now += REPORT_RETRY_MS;
	prov_report_tick(rep);
	assert_true(prov_report_running(rep));
	run(&h, rep, &f);
	assert_int_equal(h.results, 2);
	assert_string_equal(h.last_why, "retry");
	assert_int_equal(f.wrqs, 2);
	assert_int_equal(prov_report_due(rep), INT64_MAX);
	/* Busy and empty rule. */
	set(dev, "Report_Rule", "");
	assert_int_equal(prov_report_send(rep, NULL, "request"), PROV_E_INVAL);
	assert_int_equal(prov_report_send(rep, "  ", "request"), PROV_E_INVAL);
	/* A bad rule is reported through the callback; nothing is sent. */
	assert_int_equal(prov_report_send(rep, "[--uid u] http://h/x", "request"), PROV_OK);
	assert_false(prov_report_running(rep));
	assert_int_equal(h.results, 3);
	assert_non_null(strstr(h.last_err, "unknown option '--uid'"));
	/* A rule given explicitly is not retried. */
	assert_int_equal(prov_report_due(rep), INT64_MAX);
	host_fini(&h, rep);
	fake_close(&f);
	prov_device_free(dev);
}

/* Report_To_Server = On Local Change: changes are batched REPORT_BATCH_MS;
 * = Periodically: every Periodic_Upload_To_Server seconds; = On Request:
 * nothing automatic. */
static void
schedule_local_change_and_periodic(void **state)
{
	struct prov_device *dev = newdev();
	struct fake f;
	struct host h;
	struct prov_report *rep;

	(void)state;
	fake_open(&f, FAKE_OACK);
	rep = host_init(&h, dev);
	rule_set(dev, "[--delta] tftp://127.0.0.1:%u/c.xml", f.port);
	prov_report_tick(rep);                      /* On Request: baseline only */
	set(dev, "GPP_D", "one");
	prov_report_tick(rep);
	assert_int_equal(prov_report_due(rep), INT64_MAX);

	set(dev, "Report_To_Server", "On Local Change");
	prov_report_tick(rep);
	assert_int_equal(prov_report_due(rep), h.dev_now + REPORT_BATCH_MS);
	h.dev_now += 1000;
	set(dev, "GPP_E", "two");                   /* rides along, no new wait */
	prov_report_tick(rep);
	assert_int_equal(prov_report_due(rep), h.dev_now - 1000 + REPORT_BATCH_MS);
	assert_false(prov_report_running(rep));
	h.dev_now += REPORT_BATCH_MS;
	prov_report_tick(rep);
	assert_true(prov_report_running(rep));
	run(&h, rep, &f);
	assert_int_equal(h.oks, 1);
	assert_string_equal(h.last_why, "local change");
	assert_non_null(memmem(f.got.p, f.got.len, "<GPP_D ua=\"na\">one</GPP_D>", 26));
	assert_non_null(memmem(f.got.p, f.got.len, "<GPP_E ua=\"na\">two</GPP_E>", 26));
	/* The report's own status writes are no parameter change. */
	prov_report_tick(rep);
	assert_int_equal(prov_report_due(rep), INT64_MAX);

	set(dev, "Periodic_Upload_To_Server", "600");
	set(dev, "Report_To_Server", "Periodically");
	prov_report_tick(rep);
	assert_int_equal(prov_report_due(rep), h.dev_now + 600000);
	h.dev_now += 600000;
	prov_report_tick(rep);
	assert_true(prov_report_running(rep));
	run(&h, rep, &f);
	assert_int_equal(h.oks, 2);
	assert_string_equal(h.last_why, "periodic");
	assert_int_equal(prov_report_due(rep), h.dev_now + 600000);
	host_fini(&h, rep);
	fake_close(&f);
	prov_device_free(dev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_has_every_parameter_and_no_secret),
		cmocka_unit_test(delta_has_only_changes),
		cmocka_unit_test(status_has_identity_and_status),
		cmocka_unit_test(encrypted_round_trip_over_tftp),
		cmocka_unit_test(tftpc_write_plain_and_lost_block),
		cmocka_unit_test(refused_then_retried_once),
		cmocka_unit_test(schedule_local_change_and_periodic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
