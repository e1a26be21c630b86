/*
 * Unit tests of the SIP NOTIFY listener (phone/sip.c): device.md D-TRG-3,
 * D-TRG-4; reliability.md R-NOTIFY. A device in a temporary state
 * directory, sip_new on 127.0.0.1:0 on a loop the test runs, and a client
 * socket on the same loop; the listener's clock is the test's, so nonce
 * expiry and the rate buckets need no waiting. The last test uses sipp
 * (Debian sip-tester) as the peer. T_SIP_LOG=1 prints the listener's log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "loop.h"
#include "clock.h"
#include "prov/prov.h"
#include "sip.h"

extern char **environ;

#define T_DEADLINE_MS 10000   /* a step that takes longer fails the test */
#define T_REPLY_MAX 8192

struct t {
	char *dir;
	struct prov_device *dev;
	struct loop *loop;
	struct sip *sip;
	int port;
	int64_t now;          /* the listener's clock */
	int auto_tick;        /* advance the clock 100 ms per request */
	int udp, tcp;         /* client sockets */
	char reply[T_REPLY_MAX];
	size_t replylen;
	int got;              /* a reply arrived */
	int closed;           /* the TCP connection was closed by the listener */
	int timed_out;
	int (*until)(struct t *);
	uint64_t poll_timer;
	unsigned cseq;
	/* actions seen */
	int resync, report, reboot, restart, xml;
	char xmlbody[256];
	size_t xmllen;
	pid_t child;
	int child_status, child_done;
};

static int64_t
t_clock(void *arg)
{
	return ((struct t *)arg)->now;
}

static void
a_resync(void *arg)
{
	((struct t *)arg)->resync++;
}

static void
a_report(void *arg)
{
	((struct t *)arg)->report++;
}

static void
a_reboot(void *arg)
{
	((struct t *)arg)->reboot++;
}

static void
a_restart(void *arg)
{
	((struct t *)arg)->restart++;
}

static void
a_xml(void *arg, const char *body, size_t len)
{
	struct t *t = arg;

	t->xml++;
	t->xmllen = len < sizeof(t->xmlbody) - 1 ? len : sizeof(t->xmlbody) - 1;
	memcpy(t->xmlbody, body, t->xmllen);
	t->xmlbody[t->xmllen] = '\0';
}

static void
t_log(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "# %s\n", line);
}

static void
set(struct t *t, const char *name, const char *value)
{
	assert_int_equal(prov_device_set(t->dev, name, value, 0), PROV_OK);
}

static void
client_cb(void *arg, int fd, unsigned events)
{
	struct t *t = arg;
	ssize_t n;

	(void)events;
	if (fd == t->udp)
		t->replylen = 0; /* a datagram is a whole answer */
	n = recv(fd, t->reply + t->replylen, sizeof(t->reply) - 1 - t->replylen, MSG_DONTWAIT);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			loop_fd(t->loop, fd, 0, NULL, NULL);
			t->got = 1; /* closed: what came is the reply */
			t->closed = 1;
		}
		return;
	}
	t->replylen += (size_t)n;
	t->reply[t->replylen] = '\0';
	/* A whole answer (they carry no body) ends with a blank line. */
	if (fd == t->udp || strstr(t->reply, "\r\n\r\n") != NULL)
		t->got = 1;
}

static int
setup_with(void **state, int creds)
{
	struct t *t = calloc(1, sizeof(*t));
	struct sip_actions act = {
		.resync = a_resync, .report = a_report, .reboot = a_reboot,
		.restart = a_restart, .xml_service = a_xml,
	};
	char tmpl[] = "/tmp/prov-sip-XXXXXX", err[256], msg[256];
	struct sockaddr_in sa;

	assert_non_null(t);
	assert_non_null(mkdtemp(tmpl));
	t->dir = strdup(tmpl);
	if (prov_device_create(t->dir, &test_ident, &t->dev, msg, sizeof(msg)) != PROV_OK)
		fail_msg("create: %s", msg);
	if (creds) {
		set(t, "User_ID_1_", "4085551234");
		set(t, "Password_1_", "s3cret");
	}
	t->loop = loop_new();
	assert_non_null(t->loop);
	act.arg = t;
	if (sip_new(&t->sip, t->loop, t->dev, "127.0.0.1:0", &act, err, sizeof(err)) != 0)
		fail_msg("sip_new: %s", err);
	t->now = 1000000;
	t->auto_tick = 1;
	sip_set_clock(t->sip, t_clock, t);
	if (getenv("T_SIP_LOG") != NULL)
		sip_set_log(t->sip, t_log, t);
	t->port = sip_port(t->sip);
	assert_true(t->port > 0);

	t->udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(t->udp >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)t->port);
	assert_int_equal(connect(t->udp, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(loop_fd(t->loop, t->udp, LOOP_IN, client_cb, t), 0);
	t->tcp = -1;
	*state = t;
	return 0;
}

static int
setup(void **state)
{
	return setup_with(state, 1);
}

static int
setup_nocreds(void **state)
{
	return setup_with(state, 0);
}

static int
teardown(void **state)
{
	struct t *t = *state;
	char cmd[512];

	if (t->tcp >= 0) {
		loop_fd(t->loop, t->tcp, 0, NULL, NULL);
		close(t->tcp);
	}
	loop_fd(t->loop, t->udp, 0, NULL, NULL);
	close(t->udp);
	sip_free(t->sip);
	loop_free(t->loop);
	prov_device_free(t->dev);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
	free(t->dir);
	free(t);
	return 0;
}

/* Runs the loop until t->until(t) holds (checked every ms) or the deadline. */
static void
poll_cb(void *arg)
{
	struct t *t = arg;

	t->poll_timer = 0;
	if (t->until(t)) {
		loop_stop(t->loop);
		return;
	}
	t->poll_timer = loop_timer_add(t->loop, loop_now(t->loop) + 1, poll_cb, t);
}

static void
deadline_cb(void *arg)
{
	struct t *t = arg;

	t->timed_out = 1;
	loop_stop(t->loop);
}

static void
pump(struct t *t, int (*until)(struct t *))
{
	uint64_t dl;

	t->until = until;
	t->timed_out = 0;
	dl = loop_timer_add(t->loop, clock_mono_ms() + T_DEADLINE_MS, deadline_cb, t);
	t->poll_timer = loop_timer_add(t->loop, clock_mono_ms(), poll_cb, t);
	assert_int_equal(loop_run(t->loop), 0);
	loop_timer_del(t->loop, dl);
	loop_timer_del(t->loop, t->poll_timer);
	t->poll_timer = 0;
	if (t->timed_out) {
		struct sip_stats st;

		sip_get_stats(t->sip, &st);
		fail_msg("timed out waiting; listener took %llu messages (%llu answered, %llu "
			 "rate-limited); have %zu bytes: %.300s",
			 (unsigned long long)st.received, (unsigned long long)st.answered,
			 (unsigned long long)st.rate_limited, t->replylen, t->reply);
	}
}

static int
until_reply(struct t *t)
{
	return t->got;
}

static int
until_closed(struct t *t)
{
	return t->closed;
}

/* The target of until_received. */
static uint64_t want_received;

static int
until_received(struct t *t)
{
	struct sip_stats st;

	sip_get_stats(t->sip, &st);
	return st.received >= want_received;
}

static void
tcp_connect(struct t *t)
{
	struct sockaddr_in sa;

	t->tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(t->tcp >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)t->port);
	assert_int_equal(connect(t->tcp, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(fcntl(t->tcp, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(loop_fd(t->loop, t->tcp, LOOP_IN, client_cb, t), 0);
	t->closed = 0;
}

/* Sends raw bytes (UDP, or TCP when tcp) and waits for the answer. */
static const char *
exchange_raw(struct t *t, int tcp, const char *msg, size_t len)
{
	int fd = tcp ? t->tcp : t->udp;

	if (t->auto_tick)
		t->now += 100;
	t->got = 0;
	t->replylen = 0;
	t->reply[0] = '\0';
	assert_int_equal(send(fd, msg, len, MSG_NOSIGNAL), (ssize_t)len);
	pump(t, until_reply);
	return t->reply;
}

/* Sends raw bytes that get no answer, and waits until the listener has
 * taken them in. */
static void
send_silent(struct t *t, const char *msg, size_t len)
{
	struct sip_stats st;

	sip_get_stats(t->sip, &st);
	want_received = st.received + 1;
	t->got = 0;
	assert_int_equal(send(t->udp, msg, len, 0), (ssize_t)len);
	pump(t, until_received);
	assert_false(t->got);
}

/* A request; auth (may be NULL) is a whole Authorization line. */
static size_t
request(struct t *t, char *buf, size_t n, const char *method, int tcp, const char *event,
	const char *auth, const char *body)
{
	int w;

	t->cseq++;
	w = snprintf(buf, n,
		     "%s sip:4085551234@127.0.0.1:%d SIP/2.0\r\n"
		     "Via: SIP/2.0/%s 127.0.0.1:5099;branch=z9hG4bK-t%u;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:proxy@127.0.0.1>;tag=from%u\r\n"
		     "To: <sip:4085551234@127.0.0.1>\r\n"
		     "Call-ID: call%u@test\r\n"
		     "CSeq: %u %s\r\n"
		     "%s%s%s"
		     "%s%s"
		     "Content-Length: %zu\r\n\r\n%s",
		     method, t->port, tcp ? "TCP" : "UDP", t->cseq, t->cseq, t->cseq, t->cseq,
		     method, event != NULL ? "Event: " : "", event != NULL ? event : "",
		     event != NULL ? "\r\n" : "", auth != NULL ? auth : "", auth != NULL ? "\r\n" : "",
		     body != NULL ? strlen(body) : 0, body != NULL ? body : "");
	assert_true(w > 0 && (size_t)w < n);
	return (size_t)w;
}

static const char *
notify(struct t *t, int tcp, const char *event, const char *auth, const char *body)
{
	char buf[4096];
	size_t n = request(t, buf, sizeof(buf), "NOTIFY", tcp, event, auth, body);

	return exchange_raw(t, tcp, buf, n);
}

/* Copies the quoted parameter NAME of the first WWW-Authenticate. */
static void
challenge_param(const char *reply, const char *name, char *out, size_t n)
{
	const char *h = strstr(reply, "WWW-Authenticate: Digest ");
	char key[64];
	const char *p, *e;

	assert_non_null(h);
	snprintf(key, sizeof(key), "%s=\"", name);
	p = strstr(h, key);
	assert_non_null(p);
	p += strlen(key);
	e = strchr(p, '"');
	assert_non_null(e);
	assert_true((size_t)(e - p) < n);
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
}

static void
hash_hex(const EVP_MD *md, const char *in, char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl = 0, i;

	assert_int_equal(EVP_Digest(in, strlen(in), d, &dl, md, NULL), 1);
	for (i = 0; i < dl; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* An Authorization line answering the challenge in reply. */
static void
digest(struct t *t, const char *reply, const char *user, const char *pass, unsigned nc,
       const EVP_MD *md, char *out, size_t n)
{
	char realm[128], nonce[128], a[512], ha1[129], ha2[129], resp[129], uri[128],
	    ncs[16];

	challenge_param(reply, "realm", realm, sizeof(realm));
	challenge_param(reply, "nonce", nonce, sizeof(nonce));
	snprintf(uri, sizeof(uri), "sip:4085551234@127.0.0.1:%d", t->port);
	snprintf(ncs, sizeof(ncs), "%08x", nc);
	snprintf(a, sizeof(a), "%s:%s:%s", user, realm, pass);
	hash_hex(md, a, ha1);
	snprintf(a, sizeof(a), "NOTIFY:%s", uri);
	hash_hex(md, a, ha2);
	snprintf(a, sizeof(a), "%s:%s:%s:0a4f113b:auth:%s", ha1, nonce, ncs, ha2);
	hash_hex(md, a, resp);
	snprintf(out, n,
		 "Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
		 "uri=\"%s\", response=\"%s\", algorithm=%s, qop=auth, nc=%s, "
		 "cnonce=\"0a4f113b\"",
		 user, realm, nonce, uri, resp, md == EVP_md5() ? "MD5" : "SHA-256", ncs);
}

static void
assert_status(const char *reply, int code)
{
	char want[32];

	snprintf(want, sizeof(want), "SIP/2.0 %d ", code);
	if (strncmp(reply, want, strlen(want)) != 0)
		fail_msg("want %d, got: %.200s", code, reply);
}

/* Challenge, then the authorized repeat: returns the final answer. */
static const char *
authorized(struct t *t, int tcp, const char *event, const char *body)
{
	char auth[1024];
	const char *r = notify(t, tcp, event, NULL, body);

	assert_status(r, 401);
	digest(t, r, "4085551234", "s3cret", 1, EVP_md5(), auth, sizeof(auth));
	return notify(t, tcp, event, auth, body);
}

static int
actions(const struct t *t)
{
	return t->resync + t->report + t->reboot + t->restart + t->xml;
}

/* D-TRG-3: no credentials on line 1, 403 and nothing done. */
static void
d_trg_3_no_credentials_403(void **state)
{
	struct t *t = *state;
	const char *r = notify(t, 0, "check-sync", NULL, NULL);

	assert_status(r, 403);
	r = notify(t, 0, "resync",
		   "Authorization: Digest username=\"\", realm=\"x\", nonce=\"y\", "
		   "uri=\"sip:x\", response=\"00\"", NULL);
	assert_status(r, 403);
	/* A user without a password is no credential either. */
	set(t, "User_ID_1_", "4085551234");
	assert_status(notify(t, 0, "resync", NULL, NULL), 403);
	assert_int_equal(actions(t), 0);
}

/* D-TRG-3: 401 challenge, then the correct digest gets 200 and the action
 * once; the answer echoes the request (RFC 3261 8.2.6, RFC 3581). */
static void
d_trg_3_challenge_then_digest_acts_once(void **state)
{
	struct t *t = *state;
	struct sip_stats st;
	char auth[1024];
	const char *r = notify(t, 0, "check-sync", NULL, NULL);

	assert_status(r, 401);
	assert_non_null(strstr(r, "qop=\"auth\""));
	assert_non_null(strstr(r, "algorithm=MD5"));
	assert_non_null(strstr(r, "algorithm=SHA-256"));
	assert_non_null(strstr(r, "realm=\"prov-000e08abcdef\""));
	assert_int_equal(actions(t), 0);
	digest(t, r, "4085551234", "s3cret", 1, EVP_md5(), auth, sizeof(auth));
	r = notify(t, 0, "check-sync", auth, NULL);
	assert_status(r, 200);
	assert_non_null(strstr(r, "Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-t2;"));
	assert_non_null(strstr(r, "rport="));
	assert_non_null(strstr(r, "received=127.0.0.1"));
	assert_non_null(strstr(r, "From: <sip:proxy@127.0.0.1>;tag=from2\r\n"));
	assert_non_null(strstr(r, "To: <sip:4085551234@127.0.0.1>;tag="));
	assert_non_null(strstr(r, "Call-ID: call2@test\r\n"));
	assert_non_null(strstr(r, "CSeq: 2 NOTIFY\r\n"));
	assert_non_null(strstr(r, "Content-Length: 0\r\n\r\n"));
	assert_int_equal(t->resync, 1);
	assert_int_equal(actions(t), 1);
	sip_get_stats(t->sip, &st);
	assert_int_equal(st.acted, 1);
	assert_int_equal(st.challenged, 1);
}

/* RFC 8760: SHA-256 digest accepted too; the same nonce with a higher nc
 * is a new request (RFC 2617 3.2.2), acted on. */
static void
d_trg_3_sha256_and_next_nc(void **state)
{
	struct t *t = *state;
	char auth[1024], chal[T_REPLY_MAX];

	strcpy(chal, notify(t, 0, "report", NULL, NULL));
	assert_status(chal, 401);
	digest(t, chal, "4085551234", "s3cret", 1, EVP_sha256(), auth, sizeof(auth));
	assert_status(notify(t, 0, "report", auth, NULL), 200);
	digest(t, chal, "4085551234", "s3cret", 2, EVP_md5(), auth, sizeof(auth));
	assert_status(notify(t, 0, "report", auth, NULL), 200);
	assert_int_equal(t->report, 2);
}

/* R-NOTIFY: wrong password, wrong user: 403, nothing done. Auth_ID_1_,
 * when set, is the user name. */
static void
r_notify_wrong_credentials_no_action(void **state)
{
	struct t *t = *state;
	char auth[1024], chal[T_REPLY_MAX];

	strcpy(chal, notify(t, 0, "reboot_now", NULL, NULL));
	assert_status(chal, 401);
	digest(t, chal, "4085551234", "wrong", 1, EVP_md5(), auth, sizeof(auth));
	assert_status(notify(t, 0, "reboot_now", auth, NULL), 403);
	digest(t, chal, "someone", "s3cret", 2, EVP_md5(), auth, sizeof(auth));
	assert_status(notify(t, 0, "reboot_now", auth, NULL), 403);
	/* A tampered nonce is no nonce of ours: challenged again. */
	digest(t, chal, "4085551234", "s3cret", 3, EVP_md5(), auth, sizeof(auth));
	{
		char *p = strstr(auth, "nonce=\"") + 7 + 20;

		*p = *p == 'a' ? 'b' : 'a';
	}
	assert_status(notify(t, 0, "reboot_now", auth, NULL), 401);
	assert_int_equal(actions(t), 0);

	set(t, "Auth_ID_1_", "authuser");
	digest(t, chal, "4085551234", "s3cret", 4, EVP_md5(), auth, sizeof(auth));
	assert_status(notify(t, 0, "reboot_now", auth, NULL), 403);
	digest(t, chal, "authuser", "s3cret", 5, EVP_md5(), auth, sizeof(auth));
	assert_status(notify(t, 0, "reboot_now", auth, NULL), 200);
	assert_int_equal(t->reboot, 1);
	assert_int_equal(actions(t), 1);
}

/* R-NOTIFY: the same authorized request again (same nonce and nc) does
 * nothing. */
static void
r_notify_replay_no_action(void **state)
{
	struct t *t = *state;
	struct sip_stats st;
	char buf[4096], auth[1024];
	const char *r = notify(t, 0, "check-sync", NULL, NULL);
	size_t n;

	assert_status(r, 401);
	digest(t, r, "4085551234", "s3cret", 1, EVP_md5(), auth, sizeof(auth));
	n = request(t, buf, sizeof(buf), "NOTIFY", 0, "check-sync", auth, NULL);
	assert_status(exchange_raw(t, 0, buf, n), 200);
	assert_int_equal(t->resync, 1);
	r = exchange_raw(t, 0, buf, n);
	assert_status(r, 401);
	/* Over TCP too. */
	tcp_connect(t);
	r = exchange_raw(t, 1, buf, n);
	assert_status(r, 401);
	assert_int_equal(t->resync, 1);
	sip_get_stats(t->sip, &st);
	assert_int_equal(st.replayed, 2);
}

/* R-NOTIFY: a nonce older than SIP_NONCE_TTL_MS is stale. */
static void
r_notify_expired_nonce_stale(void **state)
{
	struct t *t = *state;
	char auth[1024];
	const char *r = notify(t, 0, "check-sync", NULL, NULL);

	assert_status(r, 401);
	assert_null(strstr(r, "stale=true"));
	digest(t, r, "4085551234", "s3cret", 1, EVP_md5(), auth, sizeof(auth));
	t->now += SIP_NONCE_TTL_MS + 1;
	r = notify(t, 0, "check-sync", auth, NULL);
	assert_status(r, 401);
	assert_non_null(strstr(r, "stale=true"));
	assert_int_equal(actions(t), 0);
	/* The fresh nonce of that answer works. */
	digest(t, r, "4085551234", "s3cret", 1, EVP_md5(), auth, sizeof(auth));
	assert_status(notify(t, 0, "check-sync", auth, NULL), 200);
	assert_int_equal(t->resync, 1);
}

/* D-TRG-3: resync needs Resync_From_SIP = Yes; the other events do not. */
static void
d_trg_3_resync_from_sip_no(void **state)
{
	struct t *t = *state;
	struct sip_stats st;

	set(t, "Resync_From_SIP", "No");
	assert_status(authorized(t, 0, "resync", NULL), 403);
	assert_status(authorized(t, 0, "check-sync", NULL), 403);
	assert_int_equal(t->resync, 0);
	assert_status(authorized(t, 0, "report", NULL), 200);
	assert_int_equal(t->report, 1);
	sip_get_stats(t->sip, &st);
	assert_int_equal(st.refused, 2);
	set(t, "Resync_From_SIP", "Yes");
	assert_status(authorized(t, 0, "resync", NULL), 200);
	assert_int_equal(t->resync, 1);
}

/* D-TRG-3: each event and its action; an unknown one is 489. */
static void
d_trg_3_each_event(void **state)
{
	struct t *t = *state;
	const char *xml = "<CP-8841-3PCCExecute><ExecuteItem URL=\"Resync:http://x/a.xml\"/>"
			  "</CP-8841-3PCCExecute>";

	assert_status(authorized(t, 0, "resync", NULL), 200);
	assert_status(authorized(t, 0, "check-sync;reboot=false", NULL), 200);
	assert_int_equal(t->resync, 2);
	assert_status(authorized(t, 0, "report", NULL), 200);
	assert_int_equal(t->report, 1);
	assert_status(authorized(t, 0, "reboot_now", NULL), 200);
	assert_int_equal(t->reboot, 1);
	assert_status(authorized(t, 0, "restart_now", NULL), 200);
	assert_int_equal(t->restart, 1);
	assert_status(authorized(t, 0, "XML-Service", xml), 200);
	assert_int_equal(t->xml, 1);
	assert_string_equal(t->xmlbody, xml);
	assert_status(authorized(t, 0, "dialog", NULL), 489);
	assert_int_equal(actions(t), 6);
	{
		/* RFC 3265 7.2.1: the compact form of Event is "o". */
		char auth[1200];
		const char *r = notify(t, 0, NULL, NULL, NULL);

		assert_status(r, 401);
		digest(t, r, "4085551234", "s3cret", 1, EVP_md5(), auth, sizeof(auth) - 16);
		strcat(auth, "\r\no: report");
		assert_status(notify(t, 0, NULL, auth, NULL), 200);
		assert_int_equal(t->report, 2);
	}
	/* No Event at all: 489 too, after authentication. */
	assert_status(authorized(t, 0, NULL, NULL), 489);
	assert_int_equal(actions(t), 7);
}

/* D-TRG-3 over TCP: challenge, digest, action; two messages in one
 * segment; a message without Content-Length is 400 and the end. */
static void
d_trg_3_tcp(void **state)
{
	struct t *t = *state;
	char two[8192], auth[1024], chal[T_REPLY_MAX];
	size_t n;
	const char *r;

	tcp_connect(t);
	r = authorized(t, 1, "XML-Service", "<x/>");
	assert_status(r, 200);
	assert_non_null(strstr(r, "Via: SIP/2.0/TCP 127.0.0.1:5099"));
	assert_int_equal(t->xml, 1);
	assert_string_equal(t->xmlbody, "<x/>");

	strcpy(chal, notify(t, 1, "report", NULL, NULL));
	assert_status(chal, 401);
	digest(t, chal, "4085551234", "s3cret", 1, EVP_md5(), auth, sizeof(auth));
	n = request(t, two, sizeof(two), "NOTIFY", 1, "report", auth, NULL);
	n += request(t, two + n, sizeof(two) - n, "OPTIONS", 1, NULL, NULL, NULL);
	t->replylen = 0;
	t->reply[0] = '\0';
	t->got = 0;
	assert_int_equal(send(t->tcp, two, n, MSG_NOSIGNAL), (ssize_t)n);
	/* Wait for both answers. */
	while (strstr(t->reply, "OPTIONS") == NULL) {
		t->got = 0;
		pump(t, until_reply);
	}
	assert_status(t->reply, 200);
	assert_int_equal(t->report, 1);

	{
		static const char nolen[] = "NOTIFY sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP a\r\n\r\n";

		r = exchange_raw(t, 1, nolen, sizeof(nolen) - 1);
	}
	assert_status(r, 400);
	/* Then the connection is closed: recv sees the end. */
	pump(t, until_closed);
	assert_int_equal(actions(t), 2);
}

/* Other methods: OPTIONS 200, known ones 405, unknown 501, ACK nothing. */
static void
methods(void **state)
{
	struct t *t = *state;
	char buf[4096];
	size_t n;

	n = request(t, buf, sizeof(buf), "OPTIONS", 0, NULL, NULL, NULL);
	assert_status(exchange_raw(t, 0, buf, n), 200);
	assert_non_null(strstr(t->reply, "Allow: NOTIFY"));
	n = request(t, buf, sizeof(buf), "INVITE", 0, NULL, NULL, NULL);
	assert_status(exchange_raw(t, 0, buf, n), 405);
	n = request(t, buf, sizeof(buf), "FROB", 0, NULL, NULL, NULL);
	assert_status(exchange_raw(t, 0, buf, n), 501);
	n = request(t, buf, sizeof(buf), "ACK", 0, NULL, NULL, NULL);
	send_silent(t, buf, n);
	assert_int_equal(actions(t), 0);
}

/* R-NOTIFY: 1,000 NOTIFYs at once from one address: the bucket lets
 * SIP_RATE_BURST through and drops the rest, counted; a legitimate NOTIFY
 * later (the clock moved on) is answered and acted on. Over TCP, the
 * excess is answered 503. */
static void
r_notify_flood_rate_limited(void **state)
{
	struct t *t = *state;
	struct sip_stats st;
	char buf[4096];
	unsigned i, j;
	size_t n;

	t->auto_tick = 0;
	n = request(t, buf, sizeof(buf), "NOTIFY", 0, "check-sync", NULL, NULL);
	for (i = 0; i < 1000; i += 50) {
		sip_get_stats(t->sip, &st);
		want_received = st.received + 50;
		/* Batches the socket buffer holds; the answers are drained
		 * by client_cb. */
		for (j = 0; j < 50; j++)
			assert_int_equal(send(t->udp, buf, n, 0), (ssize_t)n);
		pump(t, until_received);
	}
	sip_get_stats(t->sip, &st);
	assert_int_equal(st.received, 1000);
	assert_int_equal(st.answered, SIP_RATE_BURST);
	assert_int_equal(st.rate_limited, 1000 - SIP_RATE_BURST);
	assert_int_equal(actions(t), 0);

	/* The answers the listener sent are all in the socket (loopback
	 * delivers at once): drop those the loop has not read yet, so the
	 * next reply is the TCP one. */
	while (recv(t->udp, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	/* Still over the limit over TCP: 503. */
	tcp_connect(t);
	assert_status(notify(t, 1, "check-sync", NULL, NULL), 503);

	t->now += 5000;
	t->auto_tick = 1;
	assert_status(authorized(t, 0, "check-sync", NULL), 200);
	assert_int_equal(t->resync, 1);
}

/* A non-blocking socket of type (SOCK_DGRAM, SOCK_STREAM) bound to
 * 127.0.0.N and connected to the listener: another (spoofable) source.
 * The answers of a UDP one are never read. */
static int
sock_from(struct t *t, int type, int n)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK + (uint32_t)n - 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)t->port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		assert_int_equal(errno, EINPROGRESS);
	return fd;
}

/* ms of the listener's clock of unauthenticated NOTIFYs at 50/s from each
 * of the n sockets fds, each taken in before the clock moves on. */
static void
flood(struct t *t, const int *fds, size_t n, int64_t ms)
{
	char buf[4096];
	size_t len = request(t, buf, sizeof(buf), "NOTIFY", 0, "check-sync", NULL, NULL);
	struct sip_stats st;

	for (int64_t at = 0; at < ms; at += 20) {
		t->now += 20;
		sip_get_stats(t->sip, &st);
		want_received = st.received + n;
		for (size_t i = 0; i < n; i++)
			assert_int_equal(send(fds[i], buf, len, 0), (ssize_t)len);
		pump(t, until_received);
	}
}

/* Issue 12, item 13: one source flooding unauthenticated NOTIFYs at 50/s
 * (five times its own rate) cannot silence another: the proxy is
 * challenged and its authenticated NOTIFY acts. And eight sources that
 * together exhaust the unauthenticated budget cannot silence an
 * authenticated NOTIFY, which has a budget of its own. */
static void
r_notify_flood_spares_authenticated(void **state)
{
	struct t *t = *state;
	char auth[1024], r401[T_REPLY_MAX];
	struct sip_stats st0, st;
	int fds[8];
	const char *r;

	t->auto_tick = 0;
	for (int i = 0; i < 8; i++)
		fds[i] = sock_from(t, SOCK_DGRAM, 2 + i);
	flood(t, fds, 1, 3000);
	r = notify(t, 0, "check-sync", NULL, NULL);
	assert_status(r, 401);
	snprintf(r401, sizeof(r401), "%s", r);
	flood(t, fds, 1, 1000);
	digest(t, r401, "4085551234", "s3cret", 1, EVP_md5(), auth, sizeof(auth));
	assert_status(notify(t, 0, "check-sync", auth, NULL), 200);
	assert_int_equal(t->resync, 1);

	/* Eight sources, 400 NOTIFYs/s between them: the unauthenticated
	 * budget is gone, an authenticated NOTIFY still acts. */
	sip_get_stats(t->sip, &st0);
	flood(t, fds, 8, 3000);
	sip_get_stats(t->sip, &st);
	/* 1,200 sent: the unauthenticated budget let through at most its
	 * burst and its rate (80 + 40/s), the rest was dropped. */
	assert_true(st.rate_limited - st0.rate_limited >=
		    1200 - SIP_RATE_ALL_BURST - 3 * SIP_RATE_ALL_PER_S);
	digest(t, r401, "4085551234", "s3cret", 2, EVP_md5(), auth, sizeof(auth));
	assert_status(notify(t, 0, "check-sync", auth, NULL), 200);
	assert_int_equal(t->resync, 2);
	for (int i = 0; i < 8; i++)
		close(fds[i]);
}

/* Garbage, truncated and oversized messages: dropped (UDP) or 400 (TCP),
 * counted, and the listener still answers. */
static void
malformed_no_crash(void **state)
{
	struct t *t = *state;
	static const char *const bad[] = {
		"\x01\x02\x03garbage",
		"NOTIFY\r\n\r\n",
		"NOTIFY sip:a@b SIP/2.0\r\n\r\n",
		"NOTIFY sip:a@b SIP/2.0\r\nVia: nonsense\r\nFrom: <<<\r\nTo: x\r\n"
		"Call-ID: 1\r\nCSeq: x\r\n\r\n",
		"NOTIFY sip:a@b SIP/2.0\r\nContent-Length: 99\r\n\r\nshort",
		"NOTIFY sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n",
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
		"To: <sip:a@b>\r\nCall-ID: 1\r\nCSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n",
		"NOTIFY sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n"
		"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\nCSeq: 1 NOTIFY\r\n"
		"Authorization: Digest nonce=\"\",,,,=\"\r\nContent-Length: 0\r\n\r\n",
		"\r\n\r\n",
	};
	struct sip_stats st;
	char *big;
	size_t i;
	char buf[4096];

	t->auto_tick = 0;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t->now += 1000;
		if (strcmp(bad[i], "\r\n\r\n") == 0) {
			/* a keep-alive: not even counted */
			assert_int_equal(send(t->udp, bad[i], 4, 0), 4);
			continue;
		}
		if (strstr(bad[i], "Authorization") != NULL) {
			/* Parses: challenged, not acted on. */
			assert_status(exchange_raw(t, 0, bad[i], strlen(bad[i])), 401);
			continue;
		}
		send_silent(t, bad[i], strlen(bad[i]));
	}
	/* A header block over SIP_HEAD_MAX. */
	big = malloc(SIP_HEAD_MAX + 64);
	assert_non_null(big);
	memset(big, 'a', SIP_HEAD_MAX + 63);
	memcpy(big, "NOTIFY sip:a@b SIP/2.0\r\nX: ", 27);
	big[SIP_HEAD_MAX + 63] = '\0';
	t->now += 1000;
	send_silent(t, big, strlen(big));
	sip_get_stats(t->sip, &st);
	assert_int_equal(st.malformed, 6);
	assert_int_equal(st.oversize, 1);

	/* TCP: an oversized header block is 513 and the end. */
	tcp_connect(t);
	t->now += 1000;
	assert_status(exchange_raw(t, 1, big, strlen(big)), 513);
	sip_get_stats(t->sip, &st);
	assert_int_equal(st.oversize, 2);
	free(big);
	loop_fd(t->loop, t->tcp, 0, NULL, NULL);
	close(t->tcp);
	t->tcp = -1;

	t->auto_tick = 1;
	i = request(t, buf, sizeof(buf), "OPTIONS", 0, NULL, NULL, NULL);
	assert_status(exchange_raw(t, 0, buf, i), 200);
	assert_int_equal(actions(t), 0);
}

/* The target of until_taken. */
static uint64_t want_taken;

static int
until_taken(struct t *t)
{
	struct sip_stats st;

	sip_get_stats(t->sip, &st);
	return st.tcp_accepted + st.tcp_refused >= want_taken;
}

/* Issue 12, item 11: SIP_TCP_MAX idle connections (SIP_TCP_PER_ADDR from
 * each of several addresses) do not keep a new one out: the connection
 * silent the longest makes room. One more from an address at its cap is
 * closed at once. UDP still answers. */
static void
tcp_connection_cap(void **state)
{
	struct t *t = *state;
	struct sip_stats st;
	int fds[SIP_TCP_MAX + 1];
	char buf[4096];
	size_t i, n;

	for (i = 0; i < SIP_TCP_MAX; i++) {
		fds[i] = sock_from(t, SOCK_STREAM, 2 + (int)(i / SIP_TCP_PER_ADDR));
		/* In batches the listen backlog holds. */
		if (i % 16 == 15) {
			want_taken = i + 1;
			pump(t, until_taken);
		}
	}
	fds[SIP_TCP_MAX] = sock_from(t, SOCK_STREAM, 2);
	want_taken = SIP_TCP_MAX + 1;
	pump(t, until_taken);
	sip_get_stats(t->sip, &st);
	assert_int_equal(st.tcp_accepted, SIP_TCP_MAX);
	assert_int_equal(st.tcp_refused, 1);
	tcp_connect(t);
	n = request(t, buf, sizeof(buf), "OPTIONS", 1, NULL, NULL, NULL);
	assert_status(exchange_raw(t, 1, buf, n), 200);
	sip_get_stats(t->sip, &st);
	assert_int_equal(st.tcp_accepted, SIP_TCP_MAX + 1);
	for (i = 0; i < SIP_TCP_MAX + 1; i++)
		close(fds[i]);
	n = request(t, buf, sizeof(buf), "OPTIONS", 0, NULL, NULL, NULL);
	assert_status(exchange_raw(t, 0, buf, n), 200);
}

/* A silent TCP connection is closed after the idle time (shortened here). */
static void
tcp_idle_closed(void **state)
{
	struct t *t = *state;

	sip_set_tcp_idle(t->sip, 20);
	tcp_connect(t);
	pump(t, until_closed);
	assert_int_equal(t->replylen, 0);
}

/* The same over IPv6 loopback, when the host has it. */
static void
ipv6_udp(void **state)
{
	struct t *t = *state;
	struct sip_actions act = { .resync = a_resync, .arg = t };
	struct sockaddr_in6 sa;
	struct sip *s6 = NULL;
	char err[256], buf[4096];
	int fd, udp4 = t->udp;
	size_t n;

	if (sip_new(&s6, t->loop, t->dev, "[::1]:0", &act, err, sizeof(err)) != 0)
		skip(); /* no IPv6 here */
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	sa.sin6_addr = in6addr_loopback;
	sa.sin6_port = htons((uint16_t)sip_port(s6));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(loop_fd(t->loop, fd, LOOP_IN, client_cb, t), 0);
	t->udp = fd;
	n = request(t, buf, sizeof(buf), "NOTIFY", 0, "resync", NULL, NULL);
	assert_status(exchange_raw(t, 0, buf, n), 401);
	assert_non_null(strstr(t->reply, "received=::1"));
	loop_fd(t->loop, fd, 0, NULL, NULL);
	close(fd);
	t->udp = udp4;
	sip_free(s6);
}

/* sip_frame: TCP framing by Content-Length. */
static void
framing(void **state)
{
	const char *m = "NOTIFY sip:a@b SIP/2.0\r\nl: 3\r\n\r\nabcNEXT";
	size_t ml = 0;

	(void)state;
	assert_int_equal(sip_frame(m, strlen(m), &ml), 1);
	assert_int_equal(ml, strlen(m) - 4);
	assert_int_equal(sip_frame(m, 20, &ml), 0);
	assert_int_equal(sip_frame(m, strlen(m) - 6, &ml), 0);
	assert_int_equal(sip_frame("A\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 44,
				   &ml), -1);
	assert_int_equal(sip_frame("A\r\nX: 1\r\n\r\n", 11, &ml), -1);
	assert_int_equal(sip_frame("A\r\nContent-Length: 99999999\r\n\r\n", 31, &ml), -1);
}

/* sip_input without sockets, on the fuzz corpus's authorized seeds (fixed
 * key and clock, see fuzz/fuzz_sip.c): they must act, so the fuzzer
 * reaches the whole digest check. */
static void
sip_input_corpus_seeds(void **state)
{
	static const unsigned char key[32];
	static const char *const seeds[] = {
		"notify-authorized-md5", "notify-authorized-sha256", "notify-authorized-xml",
	};
	struct t *t = *state;
	struct sip_actions act = {
		.resync = a_resync, .report = a_report, .reboot = a_reboot,
		.restart = a_restart, .xml_service = a_xml, .arg = t,
	};
	const char *data = getenv("PROV_TEST_DATA");
	struct sockaddr_in src;
	struct sip *s = NULL;
	char err[256], path[1024], buf[4096], out[SIP_ANSWER_MAX + 1];
	size_t i, n;

	assert_non_null(data);
	t->now = 1000000;
	t->auto_tick = 0;
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	src.sin_port = htons(5070);
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		FILE *f;

		/* A fresh listener each: the seeds share their nonce and nc. */
		assert_int_equal(sip_new(&s, NULL, t->dev, NULL, &act, err, sizeof(err)), 0);
		assert_int_equal(sip_port(s), 0);
		sip_set_clock(s, t_clock, t);
		sip_set_key(s, key, sizeof(key));
		snprintf(path, sizeof(path), "%s/../fuzz/corpus/sip/%s", data, seeds[i]);
		f = fopen(path, "rb");
		assert_non_null(f);
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		assert_true(n > 0 && n < sizeof(buf));
		assert_true(sip_input(s, buf, n, (struct sockaddr *)&src, sizeof(src), 0, out,
				      sizeof(out)) > 0);
		assert_status(out, 200);
		/* The same again: a replay. */
		assert_true(sip_input(s, buf, n, (struct sockaddr *)&src, sizeof(src), 0, out,
				      sizeof(out)) > 0);
		assert_status(out, 401);
		sip_free(s);
	}
	assert_int_equal(t->resync, 1);
	assert_int_equal(t->report, 1);
	assert_int_equal(t->xml, 1);
}

static int
until_child(struct t *t)
{
	if (!t->child_done && waitpid(t->child, &t->child_status, WNOHANG) == t->child)
		t->child_done = 1;
	return t->child_done;
}

/* A loopback port free for UDP and (type SOCK_STREAM) TCP, with port + also
 * free for UDP when also > 0. */
static int
free_port(int type, int also)
{
	int tries;

	for (tries = 0; tries < 50; tries++) {
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);
		int u = socket(AF_INET, SOCK_DGRAM, 0), o = -1, port, ok;

		assert_true(u >= 0);
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(bind(u, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(getsockname(u, (struct sockaddr *)&sa, &sl), 0);
		port = ntohs(sa.sin_port);
		if (port + also > 65535) {
			close(u);
			continue;
		}
		o = socket(AF_INET, also > 0 ? SOCK_DGRAM : type, 0);
		assert_true(o >= 0);
		sa.sin_port = htons((uint16_t)(port + also));
		ok = bind(o, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(o);
		close(u);
		if (ok)
			return port;
	}
	fail_msg("no free port");
	return 0;
}

/* Runs sipp with the scenario tests/integration/sipp/SCENARIO and the
 * password PASS; sipp must succeed (its scenario says which answers). */
static void
run_sipp(struct t *t, int tcp, const char *scenario, const char *pass)
{
	const char *data = getenv("PROV_TEST_DATA");
	char sf[1024], dest[64], log[1024], sport[16], mport[16];
	char *argv[40];
	int argc = 0, attempt;
	posix_spawn_file_actions_t fa;

	if (access("/usr/bin/sipp", X_OK) != 0)
		skip();
	assert_non_null(data);
	snprintf(sf, sizeof(sf), "%s/integration/sipp/%s", data, scenario);
	snprintf(dest, sizeof(dest), "127.0.0.1:%d", t->port);
	snprintf(log, sizeof(log), "%s/sipp.out", t->dir);
	argv[argc++] = "/usr/bin/sipp";
	argv[argc++] = "-sf";
	argv[argc++] = sf;
	argv[argc++] = "-m";
	argv[argc++] = "1";
	argv[argc++] = "-s";
	argv[argc++] = "4085551234";
	argv[argc++] = "-au";
	argv[argc++] = "4085551234";
	argv[argc++] = "-ap";
	argv[argc++] = (char *)(uintptr_t)pass;
	argv[argc++] = dest;
	argv[argc++] = "-i";
	argv[argc++] = "127.0.0.1";
	/* sipp's defaults are fixed ports (5060, 6000 and 6002 for media)
	 * and a control socket on every address: give it free loopback
	 * ones (-p 0 also means 5060 to sipp 3.6). */
	argv[argc++] = "-p";
	argv[argc++] = sport;
	argv[argc++] = "-mi";
	argv[argc++] = "127.0.0.1";
	argv[argc++] = "-mp";
	argv[argc++] = mport;
	argv[argc++] = "-ci";
	argv[argc++] = "127.0.0.1";
	argv[argc++] = "-nostdin";
	argv[argc++] = "-timeout";
	argv[argc++] = "8s"; /* before T_DEADLINE_MS */
	if (tcp) {
		argv[argc++] = "-t";
		argv[argc++] = "t1";
	}
	argv[argc] = NULL;
	for (attempt = 0; attempt < 5; attempt++) {
		snprintf(sport, sizeof(sport), "%d", free_port(SOCK_STREAM, 0));
		snprintf(mport, sizeof(mport), "%d", free_port(SOCK_DGRAM, 2));
		assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
		assert_int_equal(posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
								  0), 0);
		assert_int_equal(posix_spawn_file_actions_addopen(&fa, 1, log,
								  O_WRONLY | O_CREAT | O_TRUNC,
								  0600), 0);
		assert_int_equal(posix_spawn_file_actions_adddup2(&fa, 1, 2), 0);
		assert_int_equal(posix_spawn(&t->child, argv[0], &fa, NULL, argv, environ), 0);
		posix_spawn_file_actions_destroy(&fa);
		t->child_done = 0;
		pump(t, until_child);
		/* Exit -2: a port was taken between free_port and sipp. */
		if (!WIFEXITED(t->child_status) || WEXITSTATUS(t->child_status) != 254)
			break;
	}
	if (!WIFEXITED(t->child_status) || WEXITSTATUS(t->child_status) != 0) {
		char cmd[1200];
		int rc;

		snprintf(cmd, sizeof(cmd), "head -n 60 '%s' >&2", log);
		rc = system(cmd);
		(void)rc;
		fail_msg("sipp failed (status %d)", t->child_status);
	}
}

/* R-NOTIFY with sipp as the peer, over UDP then TCP. */
static void
r_notify_sipp_udp(void **state)
{
	struct t *t = *state;

	sip_set_clock(t->sip, NULL, NULL);
	run_sipp(t, 0, "notify.xml", "s3cret");
	assert_int_equal(t->resync, 1);
	assert_int_equal(actions(t), 1);
}

static void
r_notify_sipp_tcp(void **state)
{
	struct t *t = *state;

	sip_set_clock(t->sip, NULL, NULL);
	run_sipp(t, 1, "notify.xml", "s3cret");
	assert_int_equal(t->resync, 1);
	assert_int_equal(actions(t), 1);
}

/* R-NOTIFY with sipp: the wrong password gets 403 and nothing is done. */
static void
r_notify_sipp_wrong_password(void **state)
{
	struct t *t = *state;
	struct sip_stats st;

	sip_set_clock(t->sip, NULL, NULL);
	run_sipp(t, 0, "notify-wrong-password.xml", "not-the-password");
	assert_int_equal(actions(t), 0);
	sip_get_stats(t->sip, &st);
	assert_int_equal(st.auth_failed, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(d_trg_3_no_credentials_403, setup_nocreds,
						teardown),
		cmocka_unit_test_setup_teardown(d_trg_3_challenge_then_digest_acts_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(d_trg_3_sha256_and_next_nc, setup, teardown),
		cmocka_unit_test_setup_teardown(r_notify_wrong_credentials_no_action, setup,
						teardown),
		cmocka_unit_test_setup_teardown(r_notify_replay_no_action, setup, teardown),
		cmocka_unit_test_setup_teardown(r_notify_expired_nonce_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(d_trg_3_resync_from_sip_no, setup, teardown),
		cmocka_unit_test_setup_teardown(d_trg_3_each_event, setup, teardown),
		cmocka_unit_test_setup_teardown(d_trg_3_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(methods, setup, teardown),
		cmocka_unit_test_setup_teardown(r_notify_flood_rate_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(r_notify_flood_spares_authenticated, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_no_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(tcp_connection_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(tcp_idle_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(ipv6_udp, setup, teardown),
		cmocka_unit_test(framing),
		cmocka_unit_test_setup_teardown(sip_input_corpus_seeds, setup, teardown),
		cmocka_unit_test_setup_teardown(r_notify_sipp_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(r_notify_sipp_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(r_notify_sipp_wrong_password, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
