/*
 * prov device resync: an authenticated SIP NOTIFY push (issue 14 part 3;
 * device.md D-TRG-3; interfaces.md "Feedback, push, onboarding"; RFC 3261
 * 17.1.2, 22.2; RFC 6665).
 *
 * For each device (one MAC, or every device of --group): line 1's
 * credentials and SIP port come from the server's own rendering of the
 * device (render_device with the template --template names, or the first
 * route of --route / --config that names one, or else the template named
 * like the device's product, or the only one), applied with libprov to a
 * device held in memory, exactly as the phone would read them: the digest
 * user is Auth_ID_1_, or User_ID_1_ when that is empty, the password
 * Password_1_, the port SIP_Port_1_ (default 5060). The address is --to
 * ADDR:PORT, or else the host of the device's last request in the
 * server's history (the address it provisions from, with the port its
 * rendering sets).
 *
 * Transport: UDP, one connected non-blocking socket per push (so ICMP
 * "port unreachable" is seen, and an answer is matched to its push by the
 * socket and then by Call-ID, CSeq and branch), all on one event loop
 * (common/loop.h). Pushes start at --rate per second, at most
 * PUSH_INFLIGHT_MAX at a time; a silent device holds only its own slot.
 * A NOTIFY is a non-INVITE client transaction (RFC 3261 17.1.2): it is
 * retransmitted after T1, 2*T1, ... capped at T2 (timer E, the non-INVITE
 * form of timer A), and given up after 64*T1 (timer F, the form of timer
 * B); a provisional answer moves retransmissions to T2. A 401 or 407 with
 * a Digest challenge is answered with credentials in a new request (at
 * most PUSH_AUTH_MAX times: a phone answers a retransmitted, already
 * authenticated NOTIFY as a replay, with a fresh challenge); a 2xx to any
 * of the push's requests is "accepted", any other final answer to the
 * latest one "refused".
 *
 * --wait S then reads the server's history (the same database) until each
 * accepted device's next request after its push is there, or S seconds
 * have passed: "resynced" with that request, or "no resync seen".
 *
 * Secrets: the rendered profile and the password are wiped once read; the
 * password is never printed, only hashed into the Authorization.
 */
#define _GNU_SOURCE /* SOCK_NONBLOCK, SOCK_CLOEXEC */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "clock.h"
#include "config.h"
#include "digest.h"
#include "hex.h"
#include "hostport.h"
#include "inventory.h"
#include "loop.h"
#include "notify.h"
#include "render.h"
#include "rollout.h"
#include "store.h"

static const char push_help[] =
"usage: prov device resync MAC | --group G [--event check-sync|report|reboot_now]\n"
"                          [--to ADDR:PORT] [--rate N/s] [--wait S]\n"
"                          [--template NAME | --route ROUTE ... | --config FILE]\n"
"                          [--t1 MS] [--db URL]\n"
"\n"
"Asks phones to act now by SIP NOTIFY over UDP (device.md D-TRG-3):\n"
"Event: check-sync (resync, the default), report (upload a report) or\n"
"reboot_now. The phone challenges the NOTIFY (401, Digest); the push\n"
"answers with line 1's credentials as the server's rendering of that\n"
"device sets them: Auth_ID_1_ (or User_ID_1_ when empty) and Password_1_.\n"
"The password is never printed.\n"
"\n"
"  MAC | --group G  one device, or every device of group G\n"
"  --event E        check-sync (default), report or reboot_now\n"
"  --to ADDR:PORT   send there (one device only). Without it the address\n"
"                   is the host of the device's last request in the\n"
"                   server's history, with the port its rendering sets in\n"
"                   SIP_Port_1_ (default 5060); a device never seen is\n"
"                   reported 'not sent'\n"
"  --rate N[/s]     start at most N pushes per second (default 50); at most\n"
"                   256 are in flight, and a device that does not answer\n"
"                   holds only its own slot\n"
"  --wait S         then watch the history up to S seconds for each\n"
"                   accepted device's next request (its resync)\n"
"  --template NAME  the template that renders line 1 (else the first route\n"
"  --route ROUTE    of --route or of --config FILE's 'route' lines with a\n"
"  --config FILE    $MA in its pattern, else the first route; with none of\n"
"                   them, the template named like the device's product, else\n"
"                   the inventory's only template)\n"
"  --t1 MS          RFC 3261 T1, the first retransmission interval (default\n"
"                   500, 10..5000): retransmissions double up to 4 s, and\n"
"                   a device silent for 64*T1 is 'no answer'\n"
"  --db URL         the inventory and history (default sqlite:./prov.db)\n"
"\n"
"Output: one line per device, 'MAC ADDR:PORT RESULT (DETAIL)', where RESULT\n"
"is accepted (a 2xx), refused (another final answer: 403 for wrong\n"
"credentials or a disabled event), no answer, or not sent (no address or\n"
"no rendering); DETAIL says whether the phone challenged and its answer.\n"
"Then one summary line: devices, sent, challenged, accepted, refused, no\n"
"answer, not sent. With --wait, one line per accepted device: 'MAC\n"
"resynced: METHOD PATH STATUS' or 'MAC no resync seen in S s'.\n"
"\n"
"Exit status: 0 every device accepted (and, with --wait, resynced), 1 any\n"
"other result or a database failure, 2 bad usage.\n";

enum push_state { PUSH_QUEUED, PUSH_FLIGHT, PUSH_ACCEPTED, PUSH_REFUSED, PUSH_SILENT,
		  PUSH_UNSENT };

struct pushrun;

struct push {
	struct pushrun *run;
	char mac[13];
	char dest[INET6_ADDRSTRLEN + 16]; /* ADDR:PORT as printed */
	struct sockaddr_storage sa;
	socklen_t salen;
	char user[PUSH_CRED_MAX + 1];     /* digest user: Auth_ID_1_ or User_ID_1_ */
	char pass[PUSH_CRED_MAX + 1];     /* wiped at the end */
	char ruri[PUSH_CRED_MAX + INET6_ADDRSTRLEN + 32];
	char local[INET6_ADDRSTRLEN + 16];
	char call_id[40], tag[20], branch[36];
	unsigned cseq;
	int fd;
	enum push_state st;
	int challenged;                   /* challenges answered */
	int sends;                        /* datagrams sent */
	int code;                         /* the final answer */
	char reason[NOTIFY_FIELD_MAX + 64];
	char why[NOTIFY_FIELD_MAX + INV_FIELD_MAX + 64]; /* not sent / no answer: why */
	char msg[NOTIFY_MSG_MAX];
	size_t msglen;
	int64_t interval, deadline;       /* timer E's next interval, timer F */
	uint64_t tmr;
	int64_t wall_ms;                  /* wall clock of the first send */
	char seen[STORE_FIELD_MAX + 64];  /* --wait: the request seen, "" none */
};

struct pushrun {
	struct loop *loop;
	struct push *p;
	size_t n, next, inflight, active;
	int64_t t1, gap_ms;
	const char *event;
	uint64_t pace;
};

/* Random hex into out (2 * nbytes + 1). */
static void
push_rand_hex(char *out, size_t nbytes)
{
	unsigned char r[32];

	if (nbytes > sizeof(r))
		nbytes = sizeof(r);
	if (RAND_bytes(r, (int)nbytes) != 1)
		for (size_t i = 0; i < nbytes; i++)
			r[i] = (unsigned char)rand();
	hex_encode(r, nbytes, out);
}

static void push_timer(void *arg);

static void
push_finish(struct push *p, enum push_state st)
{
	struct pushrun *run = p->run;

	p->st = st;
	if (p->tmr != 0)
		loop_timer_del(run->loop, p->tmr);
	p->tmr = 0;
	if (p->fd >= 0) {
		(void)loop_fd(run->loop, p->fd, 0, NULL, NULL);
		close(p->fd);
		p->fd = -1;
	}
	OPENSSL_cleanse(p->msg, sizeof(p->msg));
	run->inflight--;
	if (--run->active == 0 && run->next == run->n)
		loop_stop(run->loop);
}

/* Sends the current request; a local error ends the push. */
static void
push_send(struct push *p)
{
	if (send(p->fd, p->msg, p->msglen, 0) < 0 && errno != EAGAIN && errno != EINTR) {
		if (errno == ECONNREFUSED) {
			snprintf(p->why, sizeof(p->why), "port unreachable");
			push_finish(p, PUSH_SILENT);
		} else {
			snprintf(p->why, sizeof(p->why), "send: %s", strerror(errno));
			push_finish(p, PUSH_UNSENT);
		}
		return;
	}
	p->sends++;
}

/* Builds the request for the current CSeq with auth (NULL: none), sends
 * it and arms timers E and F. */
static void
push_request(struct push *p, const char *auth_name, const char *auth)
{
	struct pushrun *run = p->run;
	struct notify_req r = {
		.ruri = p->ruri, .event = run->event, .local = p->local,
		.call_id = p->call_id, .from_tag = p->tag, .branch = p->branch,
		.cseq = p->cseq, .auth_name = auth_name, .auth = auth,
	};
	char ua[64];
	int n;

	snprintf(ua, sizeof(ua), "prov/%s", prov_version());
	r.user_agent = ua;
	push_rand_hex(p->branch, 16); /* a new transaction, a new branch */
	n = notify_build(&r, p->msg, sizeof(p->msg));
	if (n < 0) {
		snprintf(p->why, sizeof(p->why), "request does not fit %u bytes", NOTIFY_MSG_MAX);
		push_finish(p, PUSH_UNSENT);
		return;
	}
	p->msglen = (size_t)n;
	if (p->tmr != 0)
		loop_timer_del(run->loop, p->tmr);
	p->interval = run->t1;
	p->deadline = loop_now(run->loop) + 64 * run->t1;
	p->tmr = loop_timer_add(run->loop, loop_now(run->loop) + p->interval, push_timer, p);
	push_send(p);
}

static void
push_timer(void *arg)
{
	struct push *p = arg;
	struct pushrun *run = p->run;
	int64_t now = loop_now(run->loop), at;

	p->tmr = 0;
	if (now >= p->deadline) {
		snprintf(p->why, sizeof(p->why), "silent for %.1f s, %d sends",
			 (double)(64 * run->t1) / 1000.0, p->sends);
		push_finish(p, PUSH_SILENT);
		return;
	}
	push_send(p);
	if (p->st != PUSH_FLIGHT)
		return;
	p->interval = p->interval * 2 < PUSH_T2_MS ? p->interval * 2 : PUSH_T2_MS;
	at = now + p->interval < p->deadline ? now + p->interval : p->deadline;
	p->tmr = loop_timer_add(run->loop, at, push_timer, p);
}

/* An answer to the challenge in r, or refusal when it cannot be given. */
static void
push_challenge(struct push *p, const struct notify_resp *r)
{
	const struct digest_chal *c = NULL;
	char auth[NOTIFY_MSG_MAX / 2], cnonce[17];

	for (unsigned i = 0; i < r->nchal && c == NULL; i++)
		if (digest_md(r->chal[i].algorithm) != NULL)
			c = &r->chal[i];
	if (c == NULL || p->challenged >= PUSH_AUTH_MAX || p->user[0] == '\0' ||
	    p->pass[0] == '\0') {
		p->code = r->code;
		snprintf(p->reason, sizeof(p->reason), "%s%s", r->reason,
			 c == NULL ? ", no usable Digest challenge" :
			 p->challenged >= PUSH_AUTH_MAX ? ", challenged again" :
			 ", no line 1 credentials in the rendering");
		push_finish(p, PUSH_REFUSED);
		return;
	}
	push_rand_hex(cnonce, 8);
	if (digest_answer(c, p->user, p->pass, "NOTIFY", p->ruri, 1, cnonce, auth,
			  sizeof(auth)) != 0) {
		p->code = r->code;
		snprintf(p->reason, sizeof(p->reason), "%s, cannot answer its challenge",
			 r->reason);
		push_finish(p, PUSH_REFUSED);
		return;
	}
	p->challenged++;
	p->cseq++;
	push_request(p, r->proxy ? "Proxy-Authorization" : "Authorization", auth);
	OPENSSL_cleanse(auth, sizeof(auth));
}

static void
push_readable(void *arg, int fd, unsigned events)
{
	struct push *p = arg;
	char buf[NOTIFY_RESP_MAX + 1], want[48];
	struct notify_resp r;
	const char *why;
	ssize_t n;

	(void)events;
	for (int i = 0; i < 16 && p->st == PUSH_FLIGHT; i++) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == ECONNREFUSED) {
				snprintf(p->why, sizeof(p->why), "port unreachable");
				push_finish(p, PUSH_SILENT);
			}
			return;
		}
		/* Not one of ours, or not a response: ignored, as a UAC's
		 * transport layer does (RFC 3261 18.1.2). */
		if ((size_t)n > NOTIFY_RESP_MAX || notify_parse(buf, (size_t)n, &r, &why) != 0)
			continue;
		snprintf(want, sizeof(want), "z9hG4bK%s", p->branch);
		if (strcmp(r.call_id, p->call_id) != 0 || strcmp(r.cseq_method, "NOTIFY") != 0)
			continue;
		/* A 2xx to an earlier request of this push (its answer late, or
		 * lost and its retransmission answered as a replay) is the
		 * phone saying it acted: accepted. Anything else of an earlier
		 * request is stale. */
		if (r.cseq < p->cseq && r.cseq >= 1 && r.code >= 200 && r.code < 300) {
			p->code = r.code;
			snprintf(p->reason, sizeof(p->reason), "%s", r.reason);
			push_finish(p, PUSH_ACCEPTED);
			continue;
		}
		if (r.cseq != p->cseq || (r.branch[0] != '\0' && strcmp(r.branch, want) != 0))
			continue;
		if (r.code < 200) {
			p->interval = PUSH_T2_MS; /* RFC 3261 17.1.2.2: Proceeding */
			continue;
		}
		if ((r.code == 401 || r.code == 407)) {
			push_challenge(p, &r);
			continue;
		}
		p->code = r.code;
		snprintf(p->reason, sizeof(p->reason), "%s", r.reason);
		push_finish(p, r.code < 300 ? PUSH_ACCEPTED : PUSH_REFUSED);
	}
}

static void
push_start(struct push *p)
{
	struct pushrun *run = p->run;
	struct sockaddr_storage loc;
	socklen_t ll = sizeof(loc);

	p->st = PUSH_FLIGHT;
	run->inflight++;
	run->active++;
	p->fd = socket(p->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || connect(p->fd, (struct sockaddr *)&p->sa, p->salen) < 0 ||
	    getsockname(p->fd, (struct sockaddr *)&loc, &ll) < 0 ||
	    loop_fd(run->loop, p->fd, LOOP_IN, push_readable, p) < 0) {
		snprintf(p->why, sizeof(p->why), "socket: %s", strerror(errno));
		push_finish(p, PUSH_UNSENT);
		return;
	}
	hostport_format(&loc, p->local, sizeof(p->local));
	push_rand_hex(p->call_id, 16);
	push_rand_hex(p->tag, 8);
	p->cseq = 1;
	p->wall_ms = clock_wall_ms();
	push_request(p, NULL, NULL);
}

/* The pacing timer: one more push every gap_ms while slots are free. */
static void
push_pace(void *arg)
{
	struct pushrun *run = arg;

	run->pace = 0;
	while (run->next < run->n && run->p[run->next].st != PUSH_QUEUED)
		run->next++;
	if (run->next < run->n && run->inflight < PUSH_INFLIGHT_MAX)
		push_start(&run->p[run->next++]);
	while (run->next < run->n && run->p[run->next].st != PUSH_QUEUED)
		run->next++;
	if (run->next < run->n)
		run->pace = loop_timer_add(run->loop, loop_now(run->loop) + run->gap_ms,
					   push_pace, run);
	else if (run->active == 0)
		loop_stop(run->loop);
}

/* ---- what the server knows of a device ------------------------------------------ */

struct push_last {
	char client[STORE_FIELD_MAX + 1];
	char line[STORE_FIELD_MAX + 64];
	int found;
};

static void
push_last_row(void *arg, const struct store_req *r)
{
	struct push_last *l = arg;

	l->found = 1;
	snprintf(l->client, sizeof(l->client), "%s", r->client != NULL ? r->client : "");
	snprintf(l->line, sizeof(l->line), "%s %s %d", r->method != NULL ? r->method : "-",
		 r->path != NULL ? r->path : "-", r->status);
}

/* Reads one value of the in-memory device into out; "" when unset. */
static void
push_param(struct prov_device *dev, const char *name, char *out, size_t cap)
{
	char *v = NULL;

	out[0] = '\0';
	if (prov_device_get(dev, name, PROV_SHOW_SECRETS, &v) == PROV_OK && v != NULL &&
	    strlen(v) < cap)
		memcpy(out, v, strlen(v) + 1);
	if (v != NULL) {
		OPENSSL_cleanse(v, strlen(v));
		free(v);
	}
}

/* Line 1's credentials and SIP port as the rendering of p->mac with tmpl
 * sets them. Returns 0, or -1 with p->why. */
static int
push_creds(struct push *p, struct inv *inv, const char *tmpl, char *port, size_t portcap,
	   char *uid, size_t uidcap)
{
	struct render_env env = { NULL, NULL, NULL, NULL, NULL };
	struct prov_identity id = { .mac = p->mac };
	struct prov_profile *prof = NULL;
	struct prov_apply_result res;
	struct prov_device *dev = NULL;
	char *out = NULL, why[256], authid[PUSH_CRED_MAX + 1];
	size_t len = 0;
	int rc = -1;

	if (render_device(inv, p->mac, tmpl, &env, &out, &len, why, sizeof(why)) != RENDER_OK) {
		snprintf(p->why, sizeof(p->why), "render: %s", why);
		goto out;
	}
	if ((dev = prov_device_new(&id, NULL)) == NULL) {
		snprintf(p->why, sizeof(p->why), "out of memory");
		goto out;
	}
	if (prov_profile_parse(tmpl, out, len, 0, &prof, why, sizeof(why)) != PROV_OK ||
	    prov_device_apply(dev, prof, &res, NULL, NULL) != PROV_OK) {
		snprintf(p->why, sizeof(p->why), "rendered profile: %s",
			 prof == NULL ? why : prov_device_errmsg(dev));
		goto out;
	}
	push_param(dev, "User_ID_1_", uid, uidcap);
	push_param(dev, "Auth_ID_1_", authid, sizeof(authid));
	push_param(dev, "Password_1_", p->pass, sizeof(p->pass));
	push_param(dev, "SIP_Port_1_", port, portcap);
	snprintf(p->user, sizeof(p->user), "%s", authid[0] != '\0' ? authid : uid);
	if (port[0] == '\0')
		snprintf(port, portcap, "%d", PUSH_SIP_PORT);
	rc = 0;
out:
	if (out != NULL) {
		OPENSSL_cleanse(out, len);
		free(out);
	}
	prov_profile_free(prof);
	prov_device_free(dev);
	return rc;
}

/* A user part that can go in a SIP URI as is (RFC 3261 25.1 unreserved and
 * the user-unreserved marks). */
static int
push_user_ok(const char *u)
{
	if (*u == '\0')
		return 0;
	for (; *u != '\0'; u++)
		if (!((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') ||
		      (*u >= '0' && *u <= '9') || strchr("-_.!~*'()&=+$,;?/", *u) != NULL))
			return 0;
	return 1;
}

struct push_tpls {
	unsigned n;
	char first[INV_FIELD_MAX];
};

static void
push_tpl_row(void *arg, const char *name, size_t len, int64_t updated_ms)
{
	struct push_tpls *t = arg;

	(void)len;
	(void)updated_ms;
	if (t->n++ == 0)
		snprintf(t->first, sizeof(t->first), "%s", name);
}

/* Without --template, --route or --config: the template named like the
 * device's product (the usual `template=$PN` route), else the
 * inventory's only template. Returns 0 with out, 1 (p->why) when neither
 * exists, -1 when the database failed (p->why). */
static int
push_default_template(struct push *p, struct inv *inv, char *out, size_t cap)
{
	struct inv_device d;
	struct push_tpls t = { 0, "" };
	char *body = NULL;
	size_t len;
	int r;

	if ((r = inv_device_get(inv, p->mac, &d)) <= 0) {
		snprintf(p->why, sizeof(p->why), "%s",
			 r == 0 ? "not in the inventory" : inv_errmsg(inv));
		return r == 0 ? 1 : -1;
	}
	if (d.product[0] != '\0') {
		r = inv_template_get(inv, d.product, &body, &len);
		free(body);
		if (r < 0) {
			snprintf(p->why, sizeof(p->why), "%s", inv_errmsg(inv));
			return -1;
		}
		if (r == 1) {
			snprintf(out, cap, "%s", d.product);
			return 0;
		}
	}
	if (inv_template_list(inv, push_tpl_row, &t) < 0) {
		snprintf(p->why, sizeof(p->why), "%s", inv_errmsg(inv));
		return -1;
	}
	if (t.n == 1) {
		snprintf(out, cap, "%s", t.first);
		return 0;
	}
	snprintf(p->why, sizeof(p->why), "which template sets line 1? no template is named "
		 "like its product, and the inventory has %u (give --template, --route or "
		 "--config)", t.n);
	return 1;
}

/* Fills p's address and credentials. Returns 0, or -1 with p->why (not
 * sent), or -2 when the database failed (message printed). */
static int
push_prepare(const char *cmd, struct push *p, struct inv *inv, const char *db,
	     const char *tmpl, const char *to)
{
	char host[INET6_ADDRSTRLEN + 8], port[16], uid[PUSH_CRED_MAX + 1], err[512];
	const char *pp = NULL;
	struct addrinfo hints = { 0 }, *ai = NULL;
	struct push_last last = { "", "", 0 };
	struct store_filter f = { 0 };
	int g;

	char own[INV_FIELD_MAX];
	int dr;

	if (tmpl == NULL) {
		if ((dr = push_default_template(p, inv, own, sizeof(own))) != 0) {
			if (dr < 0)
				cli_err("%s: %s", cmd, p->why);
			return dr < 0 ? -2 : -1;
		}
		tmpl = own;
	}
	if (push_creds(p, inv, tmpl, port, sizeof(port), uid, sizeof(uid)) < 0)
		return -1;
	if (to != NULL) {
		if (hostport_split(to, host, sizeof(host), &pp) < 0 || pp == NULL) {
			snprintf(p->why, sizeof(p->why), "--to %s: not ADDR:PORT", to);
			return -1;
		}
		snprintf(port, sizeof(port), "%s", pp);
	} else {
		f.mac = p->mac;
		f.limit = 1;
		if (rollout_history(inv) &&
		    store_query_requests(db, &f, push_last_row, &last, err, sizeof(err)) != 0) {
			cli_err("%s: %s", cmd, err);
			return -2;
		}
		if (!last.found || hostport_split(last.client, host, sizeof(host), &pp) < 0) {
			snprintf(p->why, sizeof(p->why),
				 "no address: never seen by the server (give --to)");
			return -1;
		}
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if ((g = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(p->why, sizeof(p->why), "%s port %s: %s", host, port, gai_strerror(g));
		return -1;
	}
	memcpy(&p->sa, ai->ai_addr, ai->ai_addrlen);
	p->salen = ai->ai_addrlen;
	freeaddrinfo(ai);
	hostport_format(&p->sa, p->dest, sizeof(p->dest));
	if (push_user_ok(uid))
		snprintf(p->ruri, sizeof(p->ruri), "sip:%s@%s", uid, p->dest);
	else
		snprintf(p->ruri, sizeof(p->ruri), "sip:%s", p->dest);
	return 0;
}

/* The template that renders line 1: --template, else a route's. */
static const char *
push_template(const char *cmd, const char *tmpl, const char *config, char **routes,
	      unsigned nroutes, struct srv_cfg *cfg, struct route *r, int *status)
{
	char err[512];
	const char *first = NULL;

	*status = EXIT_OK;
	if (tmpl != NULL)
		return tmpl;
	if (config != NULL && config_load(cfg, config, err, sizeof(err)) < 0) {
		cli_err("%s: %s", cmd, err);
		*status = EXIT_USAGE;
		return NULL;
	}
	for (unsigned i = 0; i < nroutes; i++)
		if (config_set(cfg, "route", routes[i], err, sizeof(err)) < 0) {
			*status = cli_usage(cmd, "--%s", err);
			return NULL;
		}
	for (unsigned i = 0; i < cfg->n_routes; i++) {
		if (route_parse(cfg->routes[i], r, err, sizeof(err)) < 0 || r->tmpl[0] == '\0')
			continue;
		if (strstr(r->pattern, "$MA") != NULL)
			return r->tmpl;
		if (first == NULL)
			first = cfg->routes[i];
	}
	if (first != NULL && route_parse(first, r, err, sizeof(err)) == 0)
		return r->tmpl;
	if (config != NULL || nroutes > 0)
		*status = cli_usage(cmd, "no route names a template (give --template)");
	return NULL; /* none given: each device's own (push_default_template) */
}


struct push_collect {
	struct push *p;
	size_t n, cap;
	int failed;
};

static void
push_collect_dev(void *arg, const struct inv_device *d)
{
	struct push_collect *c = arg;

	if (c->failed || !d->enabled)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap == 0 ? 16 : c->cap * 2;
		struct push *np;

		if (cap > PUSH_DEVICES_MAX || (np = realloc(c->p, cap * sizeof(*np))) == NULL) {
			c->failed = 1;
			return;
		}
		c->p = np;
		c->cap = cap;
	}
	memset(&c->p[c->n], 0, sizeof(c->p[c->n]));
	memcpy(c->p[c->n].mac, d->mac, sizeof(d->mac));
	c->n++;
}

/* --wait: each accepted device's next request after its push. */
static int
push_wait(const char *cmd, const char *db, struct inv *inv, struct pushrun *run, long wait_s)
{
	int64_t end = clock_mono_ms() + (int64_t)wait_s * 1000;
	size_t pending;
	char err[512];

	for (;;) {
		pending = 0;
		for (size_t i = 0; i < run->n; i++) {
			struct push *p = &run->p[i];
			struct push_last last = { "", "", 0 };
			struct store_filter f = { 0 };

			if (p->st != PUSH_ACCEPTED || p->seen[0] != '\0')
				continue;
			if (!rollout_history(inv)) { /* no server has used this database yet */
				pending++;
				continue;
			}
			f.mac = p->mac;
			f.since_ms = p->wall_ms;
			f.limit = 1;
			if (store_query_requests(db, &f, push_last_row, &last, err,
						 sizeof(err)) != 0) {
				cli_err("%s: %s", cmd, err);
				return -1;
			}
			if (last.found)
				snprintf(p->seen, sizeof(p->seen), "%s", last.line);
			else
				pending++;
		}
		if (pending == 0 || clock_mono_ms() >= end)
			break;
		struct timespec ts = { 0, PUSH_WAIT_POLL_MS * 1000000L };
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Prints one device's result, and records it in the push history (for
 * the device's timeline; a failure to record is said, not fatal). */
static void
push_report(const char *cmd, const struct push *p, struct inv *inv, const char *event)
{
	static const char *const names[] = {
		[PUSH_QUEUED] = "not sent", [PUSH_FLIGHT] = "not sent",
		[PUSH_ACCEPTED] = "accepted", [PUSH_REFUSED] = "refused",
		[PUSH_SILENT] = "no answer", [PUSH_UNSENT] = "not sent",
	};
	const char *ch = p->challenged ? "challenged, " : "";
	char detail[sizeof(p->why) + sizeof(p->reason) + 32], err[512];

	if (p->st == PUSH_ACCEPTED || p->st == PUSH_REFUSED)
		snprintf(detail, sizeof(detail), "%s%d %s", ch, p->code, p->reason);
	else if (p->st == PUSH_SILENT)
		snprintf(detail, sizeof(detail), "%s%s", ch, p->why);
	else
		snprintf(detail, sizeof(detail), "%s", p->why);
	printf("%s %s %s (%s)\n", p->mac, p->dest[0] != '\0' ? p->dest : "-", names[p->st],
	       detail);
	if (notify_record(inv, p->wall_ms != 0 ? p->wall_ms : clock_wall_ms(), p->mac, event,
			  p->dest[0] != '\0' ? p->dest : "-", names[p->st], detail, err,
			  sizeof(err)) < 0)
		cli_err("%s: %s", cmd, err);
}

static int
push_parse_rate(const char *s, int64_t *gap_ms)
{
	char *end;
	double r = strtod(s, &end);

	if (end == s || (strcmp(end, "") != 0 && strcmp(end, "/s") != 0) || !(r > 0) ||
	    r > PUSH_RATE_MAX)
		return -1;
	*gap_ms = (int64_t)(1000.0 / r);
	return 0;
}

int
device_resync(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "group", required_argument, NULL, 'g' }, { "event", required_argument, NULL, 'e' },
		{ "to", required_argument, NULL, 'T' }, { "rate", required_argument, NULL, 'r' },
		{ "wait", required_argument, NULL, 'w' }, { "template", required_argument, NULL, 't' },
		{ "route", required_argument, NULL, 'R' }, { "config", required_argument, NULL, 'c' },
		{ "t1", required_argument, NULL, '1' }, { "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	static const char cmd[] = "device resync";
	const char *group = NULL, *to = NULL, *tmpl = NULL, *config = NULL;
	const char *db = LOG_DB_DEFAULT, *event = "check-sync";
	char *routes[CONFIG_ROUTE_MAX];
	unsigned nroutes = 0;
	long wait_s = -1, t1 = PUSH_T1_MS;
	int64_t gap_ms = 1000 / PUSH_RATE_DEFAULT;
	struct push_collect col = { NULL, 0, 0, 0 };
	struct pushrun run = { 0 };
	struct srv_cfg cfg;
	struct route r;
	struct inv *inv = NULL;
	size_t cnt[PUSH_UNSENT + 1] = { 0 }, sent = 0, chal = 0;
	int c, rc = EXIT_FAIL, st;
	char *end;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'g': group = optarg; break;
		case 'e':
			if (strcmp(optarg, "check-sync") != 0 && strcmp(optarg, "report") != 0 &&
			    strcmp(optarg, "reboot_now") != 0)
				return cli_usage(cmd, "--event: '%s' is not check-sync, report "
						 "or reboot_now", optarg);
			event = optarg;
			break;
		case 'T': to = optarg; break;
		case 'r':
			if (push_parse_rate(optarg, &gap_ms) < 0)
				return cli_usage(cmd, "--rate: '%s' is not N or N/s (0 < N <= %d)",
						 optarg, PUSH_RATE_MAX);
			break;
		case 'w':
			wait_s = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || wait_s < 0 || wait_s > PUSH_WAIT_MAX)
				return cli_usage(cmd, "--wait: '%s' is not 0..%d seconds", optarg,
						 PUSH_WAIT_MAX);
			break;
		case 't': tmpl = optarg; break;
		case 'R':
			if (nroutes == CONFIG_ROUTE_MAX)
				return cli_usage(cmd, "more than %u --route", CONFIG_ROUTE_MAX);
			routes[nroutes++] = optarg;
			break;
		case 'c': config = optarg; break;
		case '1':
			t1 = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || t1 < PUSH_T1_MIN_MS || t1 > PUSH_T1_MAX_MS)
				return cli_usage(cmd, "--t1: '%s' is not %d..%d ms", optarg,
						 PUSH_T1_MIN_MS, PUSH_T1_MAX_MS);
			break;
		case 'd': db = optarg; break;
		case 'h': return cli_help(push_help);
		default:
			return cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if ((group == NULL) == (optind + 1 != argc) || optind + 1 < argc)
		return cli_usage(cmd, "give one MAC or --group G");
	if (to != NULL && group != NULL)
		return cli_usage(cmd, "--to takes one device, not a group");
	config_defaults(&cfg);
	tmpl = push_template(cmd, tmpl, config, routes, nroutes, &cfg, &r, &st);
	if (st != EXIT_OK) {
		config_fini(&cfg);
		return st;
	}
	if ((inv = cli_inv_open(cmd, db)) == NULL)
		goto out;
	if (group == NULL) {
		struct inv_device d = { 0 };

		if (inv_mac_parse(argv[optind], d.mac) < 0) {
			rc = cli_usage(cmd, "'%s' is not a MAC (12 hex digits)", argv[optind]);
			goto out;
		}
		d.enabled = 1;
		push_collect_dev(&col, &d);
	} else if (inv_device_list(inv, group, push_collect_dev, &col) < 0) {
		cli_err("%s: %s", cmd, inv_errmsg(inv));
		goto out;
	}
	if (col.failed) {
		cli_err("%s: more than %u devices, or out of memory", cmd, PUSH_DEVICES_MAX);
		goto out;
	}
	if (col.n == 0) {
		cli_err("%s: group '%s' has no enabled device", cmd, group);
		goto out;
	}
	for (size_t i = 0; i < col.n; i++) {
		struct push *p = &col.p[i];

		p->fd = -1;
		p->run = &run;
		st = push_prepare(cmd, p, inv, db, tmpl, to);
		if (st == -2)
			goto out;
		p->st = st == 0 ? PUSH_QUEUED : PUSH_UNSENT;
	}
	run.p = col.p;
	run.n = col.n;
	run.t1 = t1;
	run.gap_ms = gap_ms;
	run.event = event;
	if ((run.loop = loop_new()) == NULL) {
		cli_err("%s: out of memory", cmd);
		goto out;
	}
	push_pace(&run);
	if (run.next < run.n || run.active > 0)
		if (loop_run(run.loop) < 0) {
			cli_err("%s: event loop: %s", cmd, strerror(errno));
			goto out;
		}
	for (size_t i = 0; i < run.n; i++) {
		struct push *p = &run.p[i];

		OPENSSL_cleanse(p->pass, sizeof(p->pass));
		cnt[p->st]++;
		sent += p->sends > 0;
		chal += p->challenged > 0;
		push_report(cmd, p, inv, event);
	}
	printf("%zu device%s: %zu sent, %zu challenged, %zu accepted, %zu refused, "
	       "%zu no answer, %zu not sent\n", run.n, run.n == 1 ? "" : "s", sent, chal,
	       cnt[PUSH_ACCEPTED], cnt[PUSH_REFUSED], cnt[PUSH_SILENT], cnt[PUSH_UNSENT]);
	rc = cnt[PUSH_ACCEPTED] == run.n ? EXIT_OK : EXIT_FAIL;
	if (wait_s >= 0 && cnt[PUSH_ACCEPTED] > 0) {
		if (push_wait(cmd, db, inv, &run, wait_s) < 0) {
			rc = EXIT_FAIL;
			goto out;
		}
		for (size_t i = 0; i < run.n; i++) {
			struct push *p = &run.p[i];

			if (p->st != PUSH_ACCEPTED)
				continue;
			if (p->seen[0] != '\0') {
				printf("%s resynced: %s\n", p->mac, p->seen);
			} else {
				printf("%s no resync seen in %ld s\n", p->mac, wait_s);
				rc = EXIT_FAIL;
			}
		}
	}
out:
	if (col.p != NULL) {
		for (size_t i = 0; i < col.n; i++)
			OPENSSL_cleanse(col.p[i].pass, sizeof(col.p[i].pass));
		free(col.p);
	}
	loop_free(run.loop);
	inv_close(inv);
	config_fini(&cfg);
	return rc;
}
