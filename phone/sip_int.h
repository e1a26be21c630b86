/*
 * sip_int: what sip.c (transports, rate limits, framing, setup) and
 * sip_msg.c (answers, Digest, requests) share. Not for use outside
 * phone/sip*.c: sip.h is the API.
 */
#ifndef PROV_PHONE_SIP_INT_H
#define PROV_PHONE_SIP_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "digest.h"
#include "sip.h"

#define SIP_TCP_IN_FIRST 4096u  /* first size of a connection's input buffer */
#define SIP_TCP_IN_MAX (SIP_HEAD_MAX + SIP_BODY_MAX) /* largest input buffer: one message */
#define SIP_BIND_TRIES 16       /* port 0: tries to find a port free for UDP and TCP */
#define SIP_LISTEN_BACKLOG 32   /* pending TCP connections */
#define SIP_ALLOW "Allow: NOTIFY, OPTIONS, ACK\r\n"

/* What a message asks to be done once its answer is out. */
enum sip_act {
	SIP_ACT_NONE,
	SIP_ACT_RESYNC,
	SIP_ACT_REPORT,
	SIP_ACT_REBOOT,
	SIP_ACT_RESTART,
	SIP_ACT_XML,
};

struct sip_pending {
	enum sip_act act;
	const char *body;    /* XML-Service: borrowed from the message buffer */
	size_t len;
};

/* The answer being built, in struct sip's buffer (sip_out_init): capped. */
struct sip_out {
	struct buf b;        /* fixed mode over s->ans */
	int overflow;        /* over cap, or a header would not format: send nothing */
};

struct sip_bucket {
	int64_t milli;       /* tokens * 1000 */
	int64_t last;        /* clock ms of the last refill */
};

struct sip_src {
	int used;
	int family;
	unsigned char addr[16];
	int64_t seen;        /* for LRU replacement */
	struct sip_bucket b;
};

struct sip_conn {
	struct sip *s;
	struct sip_conn *prev, *next;
	int fd;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	unsigned char addr[16];  /* the peer (hostport_addr_key), for SIP_TCP_PER_ADDR */
	int64_t last;        /* loop ms of the last byte read (or the accept) */
	char *in;
	size_t inlen, incap;
	char *out;           /* unsent answers, SIP_TCP_OUT_MAX bytes */
	size_t outlen;
	int closing;         /* close once out is sent */
	unsigned watching;
	uint64_t idle;       /* timer id */
};

struct sip {
	struct loop *loop;
	struct prov_device *dev;
	struct sip_actions act;
	int udp, tcp;
	int port;
	unsigned char key[DIGEST_KEY_LEN];
	int64_t (*now_fn)(void *);
	void *now_arg;
	int64_t idle_ms;     /* SIP_TCP_IDLE_MS */
	void (*log_fn)(void *, const char *);
	void *log_arg;
	struct sip_bucket parse;      /* every message, before parsing */
	struct sip_bucket all;        /* unauthenticated messages, overall */
	struct sip_bucket authd;      /* NOTIFYs that proved the password */
	struct sip_src src[SIP_RATE_SOURCES];
	struct digest_seen seen[SIP_SEEN_MAX];
	struct sip_conn *conns;
	unsigned nconns;
	struct sip_stats st;
	char ans[SIP_ANSWER_MAX];
	char rbuf[SIP_UDP_MAX];
};

/* sip.c */
int64_t sip_now(const struct sip *s);
int sip_rate_parse_ok(struct sip *s);
int sip_rate_ok(struct sip *s, const struct sockaddr *src, int authd);
int sip_head(const char *buf, size_t len, size_t *headlen, long *cl);

/* sip_msg.c */
/* Starts an empty answer in s's answer buffer. */
void sip_out_init(struct sip_out *o, struct sip *s);
void sip_answer_bare(struct sip_out *o, int code, const char *reason);
int sip_take(struct sip *s, const char *msg, size_t len, const struct sockaddr *src,
	 socklen_t srclen, int tcp, struct sip_out *o, struct sip_pending *p);
void sip_run(struct sip *s, const struct sip_pending *p);

void sip_log(struct sip *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
