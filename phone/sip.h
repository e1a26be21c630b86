/*
 * sip: the device agent's SIP NOTIFY listener (device.md D-TRG-3, D-TRG-4;
 * reliability.md R-NOTIFY). RFC 3261 (SIP, 22.4 digest), RFC 2617 / RFC
 * 7616 (digest, qop=auth), RFC 8760 (SHA-256 digest in SIP), RFC 3581
 * (rport), RFC 6665 (489 Bad Event).
 *
 * One struct sip listens on one ADDR:PORT over UDP and TCP, on the host's
 * event loop (common/loop.h). Messages are parsed by libosip2. Only NOTIFY
 * acts (OPTIONS gets 200, ACK nothing, other methods 405 or 501). A NOTIFY
 * acts only when authenticated with line 1's credentials (Auth_ID_1_, or
 * User_ID_1_ when that is empty, and Password_1_): the first one gets a 401
 * digest challenge, the repeat with a correct Authorization gets 200 and
 * then the action. With no credentials configured every NOTIFY gets 403.
 * Nonces expire after SIP_NONCE_TTL_MS (401 stale=true); each (nonce, nc)
 * acts at most once. Token buckets: every message passes a parse budget
 * (SIP_RATE_PARSE_*) before it is parsed; then a NOTIFY whose digest
 * response is right (a request that proved the password) takes from the
 * authenticated budget (SIP_RATE_AUTH_*), and everything else from its
 * source address's bucket and from the overall unauthenticated one, which
 * is larger than a source's. So one (spoofable) address cannot silence
 * another, and no unauthenticated flood can silence the proxy once it
 * holds a nonce. Over a bucket, UDP is dropped silently and TCP answered
 * 503.
 *
 * Event: resync / check-sync with Resync_From_SIP = No is answered 403 and
 * does nothing. The rest of D-TRG-4 is the host's resync action: it calls
 * prov_engine_resync(eng, NULL), which ignores Resync_Trigger_* and refuses
 * when Provision_Enable = No; the NOTIFY has had its 200 either way.
 *
 * A retransmission of a request that was acted on (its 200 lost) is a
 * replay like any other: answered 401, nothing done twice; the sender
 * authenticates again with the fresh nonce. One address holds at most
 * SIP_TCP_PER_ADDR TCP connections (more are closed at once); with
 * SIP_TCP_MAX open, a new one closes the one silent the longest; idle ones
 * close after SIP_TCP_IDLE_MS.
 *
 * Ownership: the sip borrows loop and dev, which must outlive it; it copies
 * the actions. Threading: one thread, the loop's.
 *
 * Actions run after the answer has been sent, from inside the loop's
 * callback: they must not call sip_free (defer it to a timer). The body
 * given to xml_service is borrowed for the call only.
 */
#ifndef PROV_PHONE_SIP_H
#define PROV_PHONE_SIP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct loop;
struct prov_device;

#define SIP_UDP_MAX 65536u            /* largest datagram read (a UDP payload is smaller) */
#define SIP_HEAD_MAX (16u * 1024u)    /* largest header block (request line to blank line) */
#define SIP_BODY_MAX (64u * 1024u)    /* largest body (an XML-Service object) */
#define SIP_ANSWER_MAX (8u * 1024u)   /* largest answer; a request whose echoed headers
				       * would not fit is dropped (UDP) or closed (TCP) */
#define SIP_NONCE_TTL_MS 30000        /* a nonce older than this is stale */
#define SIP_SEEN_MAX 512u             /* nonces remembered for replay refusal: more than
				       * the authenticated rate lets through in
				       * SIP_NONCE_TTL_MS */
#define SIP_RATE_PER_S 10             /* unauthenticated messages per second, per source */
#define SIP_RATE_BURST 20             /* its token bucket depth */
#define SIP_RATE_ALL_PER_S 40         /* unauthenticated messages per second, overall:
				       * four sources' worth, so one cannot take it all */
#define SIP_RATE_ALL_BURST 80         /* its token bucket depth */
#define SIP_RATE_AUTH_PER_S 10        /* authenticated NOTIFYs per second, a budget of
				       * their own that no unauthenticated flood touches */
#define SIP_RATE_AUTH_BURST 20        /* its token bucket depth */
#define SIP_RATE_PARSE_PER_S 2000     /* messages parsed per second, whatever they are:
				       * bounds the CPU a flood of spoofed sources costs */
#define SIP_RATE_PARSE_BURST 2000     /* its token bucket depth */
#define SIP_RATE_SOURCES 256u         /* source addresses with their own bucket (LRU) */
#define SIP_TCP_MAX 64u               /* simultaneous TCP connections; a newcomer past it
				       * closes the one silent the longest */
#define SIP_TCP_PER_ADDR 8u           /* simultaneous TCP connections from one address */
#define SIP_TCP_IDLE_MS 30000         /* a TCP connection silent this long is closed */
#define SIP_TCP_OUT_MAX (64u * 1024u) /* unsent answers kept for a slow TCP reader */
#define SIP_RECV_BURST 64u            /* datagrams or accepts per readiness, so one
				       * busy socket cannot hold the loop */
#define SIP_FIELD_MAX 256u            /* longest digest parameter, realm, user or URI used */

struct sip;

/* What an authenticated NOTIFY asks for. Members may be NULL (then that
 * event is answered 200 and does nothing). */
struct sip_actions {
	void (*resync)(void *arg);      /* Event: resync / check-sync */
	void (*report)(void *arg);      /* Event: report */
	void (*reboot)(void *arg);      /* Event: reboot_now */
	void (*restart)(void *arg);     /* Event: restart_now */
	void (*xml_service)(void *arg, const char *body, size_t len); /* XML-Service */
	void *arg;
};

/* Counters, since sip_new. */
struct sip_stats {
	uint64_t received;     /* datagrams and TCP messages taken in */
	uint64_t rate_limited; /* dropped (UDP) or answered 503 (TCP) by the buckets */
	uint64_t malformed;    /* unparseable: dropped (UDP) or 400 (TCP) */
	uint64_t oversize;     /* over SIP_HEAD_MAX / SIP_BODY_MAX / SIP_ANSWER_MAX, or an
				* answer libosip2 could not format: no answer */
	uint64_t answered;     /* answers sent */
	uint64_t challenged;   /* 401 without a usable Authorization */
	uint64_t stale;        /* 401 stale=true: a nonce too old */
	uint64_t replayed;     /* 401: (nonce, nc) already used */
	uint64_t auth_failed;  /* 403: wrong user, realm, URI or response */
	uint64_t no_creds;     /* 403: line 1 has no credentials */
	uint64_t refused;      /* 403: authenticated, but the event is disabled */
	uint64_t acted;        /* actions run */
	uint64_t tcp_accepted; /* connections taken */
	uint64_t tcp_refused;  /* connections closed at once: SIP_TCP_PER_ADDR reached */
};

/* Listens on ADDR:PORT ("127.0.0.1:5060", "[::1]:0"; numeric only) over
 * UDP and TCP on the same port; port 0 picks a free one (sip_port). With
 * addr_port NULL nothing is bound and loop may be NULL: messages then come
 * only through sip_input (fuzzing). Returns 0, or -1 with err filled. */
int sip_new(struct sip **out, struct loop *loop, struct prov_device *dev,
	    const char *addr_port, const struct sip_actions *act,
	    char *err, size_t errlen) __attribute__((warn_unused_result));

/* Closes every socket and frees; NULL is allowed. */
void sip_free(struct sip *s);

/* The bound port, 0 when nothing is bound. */
int sip_port(const struct sip *s);

/* Replaces the clock used for nonce ages and the rate buckets (monotonic
 * milliseconds); NULL restores the loop's. For tests. */
void sip_set_clock(struct sip *s, int64_t (*now_ms)(void *arg), void *arg);

/* Lines saying what was refused or done ("sip: replayed NOTIFY refused"),
 * for the host's log; never a secret. NULL: none. */
void sip_set_log(struct sip *s, void (*fn)(void *arg, const char *line), void *arg);

/* Sets how long a silent TCP connection is kept (SIP_TCP_IDLE_MS by
 * default); for tests. Applies to connections accepted afterwards. */
void sip_set_tcp_idle(struct sip *s, int64_t ms);

/* Replaces the per-process random nonce key with LEN bytes of KEY (at most
 * 32 are used), so that a fuzzer's corpus can hold valid nonces. For
 * fuzzing and tests only. */
void sip_set_key(struct sip *s, const unsigned char *key, size_t len);

void sip_get_stats(const struct sip *s, struct sip_stats *st);

/* Handles one complete message of LEN bytes as if it came from SRC over
 * UDP (tcp 0) or TCP (tcp 1), without sockets: the answer, if any, is
 * copied to OUT (up to outsz bytes, NUL-terminated) and its length
 * returned (0: no answer); then the action, if any, runs. The rate buckets
 * apply as on the network. */
size_t sip_input(struct sip *s, const char *msg, size_t len,
		 const struct sockaddr *src, socklen_t srclen, int tcp,
		 char *out, size_t outsz);

/* TCP framing (RFC 3261 18.3): looks at the LEN bytes of BUF, which begin
 * a message. Returns 1 with *msglen the length of the first complete
 * message (header block and Content-Length body), 0 when more bytes are
 * needed, -1 when it can never be a valid message (no Content-Length, a
 * bad one, or over SIP_HEAD_MAX / SIP_BODY_MAX). */
int sip_frame(const char *buf, size_t len, size_t *msglen);

#endif
