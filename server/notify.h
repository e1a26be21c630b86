/*
 * notify: the server's side of a SIP NOTIFY push (device.md D-TRG-3;
 * RFC 3261 8.1.1, 17.1.2, 20, 22.2; RFC 6665 Event): the text of the
 * request `prov device resync` sends, and a bounded parser of the answers
 * it gets back. Socket-free and clock-free: cli/push.c carries the
 * transport, the timers and the digest answer (common/digest.c).
 *
 * The parser reads only what a UAC needs: the status line, the top Via's
 * branch, Call-ID, CSeq, and the Digest challenges of WWW-Authenticate /
 * Proxy-Authenticate. It never allocates; a message over NOTIFY_RESP_MAX,
 * a header line over NOTIFY_LINE_MAX or more than NOTIFY_HEADERS_MAX
 * header lines is refused, never truncated into a different meaning.
 *
 * Threading: none of its own; pure functions over caller storage.
 */
#ifndef PROV_SERVER_NOTIFY_H
#define PROV_SERVER_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

#define NOTIFY_MSG_MAX 4096u       /* largest request built */
#define NOTIFY_RESP_MAX 65536u     /* largest answer parsed: one UDP datagram */
#define NOTIFY_LINE_MAX 2048u      /* longest header line of an answer */
#define NOTIFY_HEADERS_MAX 128u    /* header lines of an answer */
#define NOTIFY_FIELD_MAX 256u      /* longest reason phrase, Call-ID, branch kept */
#define NOTIFY_CHALS_MAX 4u        /* Digest challenges kept from one answer */

/* A NOTIFY to build. Every string is inserted as is: the caller makes
 * them, and notify_build refuses a CR or LF in any of them. */
struct notify_req {
	const char *ruri;          /* Request-URI and To: "sip:1001@127.0.0.1:5060" */
	const char *event;         /* "check-sync", "report", "reboot_now" */
	const char *local;         /* Via sent-by and Contact: "127.0.0.1:40000" */
	const char *call_id, *from_tag, *branch; /* branch without "z9hG4bK" */
	unsigned cseq;
	const char *auth_name;     /* "Authorization", "Proxy-Authorization" or NULL */
	const char *auth;          /* its value */
	const char *user_agent;    /* "prov/1.0" */
};

/* Writes the request into out[outsz]. Returns its length, or -1 when it
 * does not fit or a field holds CR or LF. */
int notify_build(const struct notify_req *r, char *out, size_t outsz);

/* What an answer says. */
struct notify_resp {
	int code;                         /* 100..699 */
	char reason[NOTIFY_FIELD_MAX];
	char call_id[NOTIFY_FIELD_MAX];
	char branch[NOTIFY_FIELD_MAX];    /* the top Via's, with its "z9hG4bK" */
	unsigned long cseq;
	char cseq_method[16];
	struct digest_chal chal[NOTIFY_CHALS_MAX]; /* usable Digest challenges */
	unsigned nchal;
	int proxy;                        /* the challenges came in Proxy-Authenticate */
};

/* Parses LEN bytes of MSG as a SIP response. Returns 0, or -1 with a
 * reason in *why (static text) when it is not one: a request, a bad status
 * line, no Call-ID or CSeq, over a bound. */
int notify_parse(const char *msg, size_t len, struct notify_resp *r, const char **why);

/* Records one push in the inventory's database (table push: time_ms,
 * mac, event, dest, result, detail), for the device's timeline. result is
 * "accepted", "refused", "no answer" or "not sent"; detail never holds a
 * secret. Returns 0, or -1 with err. */
struct inv;
int notify_record(struct inv *inv, int64_t time_ms, const char *mac, const char *event,
		  const char *dest, const char *result, const char *detail,
		  char *err, size_t errlen) __attribute__((warn_unused_result));

#endif
