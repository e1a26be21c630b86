/*
 * tftpd: the TFTP server of `prov serve` (tftpd.h, S-NET-1, S-SEC-5,
 * reliability.md R-TFTP).
 *
 * The listening socket only takes requests. Each accepted request becomes
 * a struct tftpd_xfer with its own UDP socket, bound to the address the
 * request arrived on (IP_PKTINFO / IPV6_PKTINFO) with a fresh port (the
 * server's TID, RFC 1350) and connect()ed to the client's address and
 * port. RFC 1350 asks a server to answer packets from a wrong TID with
 * ERROR 5; a connected UDP socket never sees them, as the kernel drops
 * them, which serves the same purpose (the transfer is not disturbed) and
 * sends nothing to a third party.
 *
 * Sending (RRQ) keeps a window of blocks [base, next) sent and not yet
 * acknowledged, numbered with 64-bit absolute block numbers; the wire
 * carries them modulo 65536, so block 65536 goes out as 0 (rollover, as
 * curl and tftp-hpa expect). Only two things send a block again:
 *   - the transfer's timer, after rto = timeout << tries without progress
 *     (exponential backoff, at most cfg tftp_retries times, then the
 *     transfer is abandoned); and
 *   - an ACK for a block inside the window but before its end (RFC 7440:
 *     the client saw a gap), which moves the window start to that block +1
 *     and sends the window from there, unless those blocks were already
 *     sent a second time (by the timer or an earlier such ACK), so no ACK
 *     pattern gets a block sent more than twice before a timeout.
 * An ACK for the block before the window (a duplicate) sends nothing: this
 * is what prevents the Sorcerer's Apprentice syndrome (RFC 1123 4.2.3.1).
 *
 * Blocks are read again with pread() when sent again, so nothing but the
 * packet being sent is buffered. In netascii mode (LF -> CR LF, CR -> CR
 * NUL, converted on the fly) a block's start in the file is not a
 * multiple of blksize, so the window keeps each sent block's start
 * (file offset, and the second half of a CR pair cut by the block end).
 *
 * Receiving (WRQ, only into the upload directory through
 * root_upload_open/commit, so never over a served file) acknowledges each
 * DATA block in order; the timer resends the last ACK (or OACK).
 */
#define _GNU_SOURCE /* struct in6_pktinfo, IPV6_RECVPKTINFO */
#include "tftpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "clock.h"
#include "guard.h"
#include "render.h"
#include "root.h"
#include "serve.h"
#include "store.h"
#include "tftp.h"

#define TFTPD_REQ_MAX 4096u        /* largest request datagram read; bigger ones are refused
				      (the largest the codec accepts is about 2.4 KB) */
#define TFTPD_RECV_BURST 64u       /* datagrams read per readiness, so one busy socket
				      cannot hold the loop */
#define TFTPD_RTO_MAX_MS 60000u    /* the longest retransmission interval (unless the
				      negotiated timeout is longer) */
#define TFTPD_CTL_MAX 128u         /* an ACK or OACK kept for resending: 4 options fit */
#define TFTPD_CLIENT_MAX (INET6_ADDRSTRLEN + 10u) /* "[ADDR6]:PORT" */
#define TFTPD_CTRL_RECV 512u       /* a client's ERROR or ACK packet read during a RRQ */

enum tftpd_state {
	TFTPD_OACK,     /* RRQ: OACK sent, waiting for ACK 0 */
	TFTPD_SEND,     /* RRQ: sending the window */
	TFTPD_RECV,     /* WRQ: ACK/OACK sent, waiting for the next DATA */
	TFTPD_DALLY,    /* WRQ: complete; the last ACK is resent if the last DATA comes again */
};

/* Where a block starts in the file: offset, and in netascii mode the
 * second byte of a CR LF / CR NUL pair the previous block could not hold
 * (-1: none). */
struct tftpd_pos {
	uint64_t off;
	int pend;
};

/* What a transfer (or a refused request) is recorded as. */
struct tftpd_who {
	char client[TFTPD_CLIENT_MAX];
	char path[STORE_FIELD_MAX];
	char mac[13];
	int has_mac;
	int wrq;
	int64_t wall_ms;         /* when the request arrived */
	int64_t t0_us;           /* monotonic, same instant */
};

struct tftpd_xfer {
	struct tftpd *t;
	struct tftpd_xfer *lprev, *lnext; /* the worker's list of transfers */
	struct tftpd_who who;
	struct sockaddr_storage peer;
	int sock;                /* connected to the client: our TID */
	int fd;                  /* the file served, or the upload being written */
	enum tftpd_state state;
	enum tftp_mode mode;
	unsigned blksize, window;
	unsigned rto0_ms;        /* first retransmission timeout */
	unsigned retries, tries; /* bound from cfg; retransmissions since progress */
	uint64_t timer;          /* loop timer id, 0 when none pending */
	int64_t timer_at;        /* when that timer fires */
	int64_t deadline;        /* when the timeout really is (see tftpd_arm) */
	int64_t end_at;          /* the transfer's life ends (tftp-max-transfer-ms) */
	uint8_t ctl[TFTPD_CTL_MAX]; /* the OACK or last ACK, for resending */
	size_t ctl_len;
	/* RRQ */
	uint64_t base, next;     /* window: sent and unacknowledged blocks [base, next) */
	uint64_t last;           /* the last block's number once read (short block), or 0 */
	uint64_t resent_end;     /* blocks below were already sent again (go-back or timer) */
	struct tftpd_pos *ring;  /* start of block b at ring[b % window], b in [base, next) */
	struct tftpd_pos npos;   /* start of block next */
	/* WRQ */
	uint64_t expect;         /* the next DATA block wanted */
	int cr;                  /* netascii: a CR ended the previous block */
	char name[TFTP_FILENAME_MAX + 1];
	char tmpname[ROOT_PATH_MAX];
	int committed;
	uint64_t bytes;          /* payload sent (first transmissions) or written */
	uint8_t *pkt;            /* one DATA packet: 4 + blksize (+1 on WRQ, to see oversize) */
	size_t pktcap;
	uint8_t *scratch;        /* netascii: raw file bytes of one block */
};

struct tftpd {
	struct srv *srv;
	int fd;
	int family;
	int draining;
	unsigned n_active;
	struct tftpd_xfer *xfers;
	uint8_t req[TFTPD_REQ_MAX];
};

/* "ADDR:PORT" or "[ADDR6]:PORT"; IPv4-mapped IPv6 addresses as IPv4. */
static void
tftpd_addr_text(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(out, cap, "%s:%u", a, ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], a, sizeof(a));
			snprintf(out, cap, "%s:%u", a, ntohs(s6->sin6_port));
		} else {
			inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
			snprintf(out, cap, "[%s]:%u", a, ntohs(s6->sin6_port));
		}
	} else {
		snprintf(out, cap, "?");
	}
}

/* Whether a and b are the same client address (ports ignored). */
static int
tftpd_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return 0;
}

static socklen_t
tftpd_addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* Records one answered request: metrics, history, the INFO log line.
 * status is 200, or 400 + the TFTP error code sent (or received). */
static void
tftpd_record(struct tftpd *t, const struct tftpd_who *w, int status, uint64_t bytes,
	     const char *reason)
{
	struct store_req r;
	int64_t dur = clock_mono_us() - w->t0_us;
	const char *method = w->wrq ? "WRQ" : "RRQ";

	if (dur < 0)
		dur = 0;
	metrics_request(t->srv->metrics, METRICS_TFTP,
			status == 200 ? 200 : status == 400 + TFTP_ENOTFOUND ? 404 : 500,
			(uint64_t)dur);
	memset(&r, 0, sizeof(r));
	r.time_ms = w->wall_ms;
	r.client = w->client;
	r.proto = "tftp";
	r.method = method;
	r.path = w->path;
	r.mac = w->has_mac ? w->mac : NULL;
	r.status = status;
	r.bytes = bytes;
	r.duration_us = dur > UINT32_MAX ? UINT32_MAX : (uint32_t)dur;
	store_request(t->srv->store, &r);
	log_msg(LOG_INFO, "tftp: %s %s \"%s\" %d %llu bytes %lld ms%s%s", w->client, method,
		w->path, status, (unsigned long long)bytes, (long long)(dur / 1000),
		reason != NULL ? ": " : "", reason != NULL ? reason : "");
}

/* Answers a request with an ERROR packet from the listening socket and
 * records it. */
static void
tftpd_refuse(struct tftpd *t, const struct sockaddr_storage *peer, const struct tftpd_who *w,
	     enum tftp_errcode code, const char *msg)
{
	uint8_t pkt[TFTPD_CTL_MAX + 64];
	size_t n = tftp_build_error(pkt, sizeof(pkt), code, msg);

	if (n > 0 && sendto(t->fd, pkt, n, MSG_DONTWAIT, (const struct sockaddr *)peer,
			    tftpd_addr_len(peer)) < 0)
		log_msg(LOG_DEBUG, "tftp: %s: error packet not sent: %s", w->client, strerror(errno));
	tftpd_record(t, w, 400 + (int)code, 0, msg);
}

static void tftpd_on_sock(void *arg, int fd, unsigned events);
static void tftpd_on_timer(void *arg);

static unsigned
tftpd_rto(const struct tftpd_xfer *x)
{
	/* Doubling without a lower cap matters: a windowed client that
	 * ignores blocks it already has (atftp) only speaks again after its
	 * own timeout, which a fast, steady retransmission would keep
	 * resetting. */
	uint64_t rto = (uint64_t)x->rto0_ms << (x->tries < 20 ? x->tries : 20);
	uint64_t cap = x->rto0_ms > TFTPD_RTO_MAX_MS ? x->rto0_ms : TFTPD_RTO_MAX_MS;

	return (unsigned)(rto < cap ? rto : cap);
}

/* Sets the transfer's timeout to now + the current rto. One loop timer is
 * kept per transfer: progress only moves the deadline later, and the timer,
 * when it fires early, re-arms itself for the deadline. That keeps timer
 * additions to about one per timeout instead of one per ACK. Returns 0, or
 * -1 when no timer could be added. */
static int
tftpd_arm(struct tftpd_xfer *x)
{
	struct loop *l = x->t->srv->loop;

	x->deadline = loop_now(l) + tftpd_rto(x);
	if (x->deadline > x->end_at)
		x->deadline = x->end_at;
	if (x->timer != 0 && x->timer_at <= x->deadline)
		return 0;
	if (x->timer != 0)
		loop_timer_del(l, x->timer);
	x->timer_at = x->deadline;
	x->timer = loop_timer_add(l, x->timer_at, tftpd_on_timer, x);
	return x->timer != 0 ? 0 : -1;
}

static void
tftpd_xfer_free(struct tftpd_xfer *x)
{
	struct tftpd *t = x->t;

	if (x->timer != 0)
		loop_timer_del(t->srv->loop, x->timer);
	if (x->sock >= 0) {
		loop_fd(t->srv->loop, x->sock, 0, NULL, NULL);
		close(x->sock);
	}
	if (x->fd >= 0) {
		if (x->who.wrq && !x->committed)
			root_upload_abort(t->srv->upload_fd, x->fd, x->tmpname);
		else
			close(x->fd);
	}
	if (x->lprev != NULL)
		x->lprev->lnext = x->lnext;
	else
		t->xfers = x->lnext;
	if (x->lnext != NULL)
		x->lnext->lprev = x->lprev;
	t->n_active--;
	METRIC_ADD(t->srv->metrics->active[METRICS_TFTP], -1);
	free(x->ring);
	free(x->pkt);
	free(x->scratch);
	free(x);
}

/* Sends an ERROR to the client (code < 0: none), records the transfer's
 * end unless already recorded, and frees it. */
static void
tftpd_end(struct tftpd_xfer *x, int code, const char *reason)
{
	if (code >= 0) {
		uint8_t pkt[TFTPD_CTL_MAX + 64];
		size_t n = tftp_build_error(pkt, sizeof(pkt), (enum tftp_errcode)code, reason);

		if (n > 0 && send(x->sock, pkt, n, MSG_DONTWAIT) < 0)
			log_msg(LOG_DEBUG, "tftp: %s: error packet not sent: %s", x->who.client,
				strerror(errno));
	}
	if (x->state != TFTPD_DALLY)
		tftpd_record(x->t, &x->who, 400 + (code >= 0 ? code : TFTP_EUNDEF), x->bytes, reason);
	tftpd_xfer_free(x);
}

/* Sends the ACK or OACK kept in ctl. Returns 0, or -1 when the client is
 * gone (ICMP port unreachable reported on the connected socket). */
static int
tftpd_send_ctl(struct tftpd_xfer *x)
{
	if (send(x->sock, x->ctl, x->ctl_len, MSG_DONTWAIT) < 0 && errno == ECONNREFUSED)
		return -1;
	return 0;
}

/* Reads the payload of the block starting at *p into out (blksize bytes
 * at most) and sets *after to the next block's start. Returns the payload
 * length, or -1 on a read error. */
static ssize_t
tftpd_fill(struct tftpd_xfer *x, const struct tftpd_pos *p, uint8_t *out, struct tftpd_pos *after)
{
	size_t n = 0;
	uint64_t off = p->off;
	int pend = p->pend;

	if (x->mode == TFTP_OCTET) {
		while (n < x->blksize) {
			ssize_t r = pread(x->fd, out + n, x->blksize - n, (off_t)(off + n));

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -1;
			if (r == 0)
				break;
			n += (size_t)r;
		}
		after->off = off + n;
		after->pend = -1;
		return (ssize_t)n;
	}
	if (pend >= 0) {
		out[n++] = (uint8_t)pend;
		pend = -1;
	}
	while (n < x->blksize) {
		/* Each file byte yields one or two bytes: reading as many as
		 * there is room left never reads past what can be used. */
		ssize_t r = pread(x->fd, x->scratch, x->blksize - n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		for (ssize_t i = 0; i < r && n < x->blksize; i++) {
			uint8_t c = x->scratch[i], second;

			off++;
			if (c == '\n')
				second = '\n';
			else if (c == '\r')
				second = '\0';
			else {
				out[n++] = c;
				continue;
			}
			out[n++] = '\r';
			if (n < x->blksize)
				out[n++] = second;
			else
				pend = second;
		}
	}
	after->off = off;
	after->pend = pend;
	return (ssize_t)n;
}

/* Sends block b (base <= b <= next). Returns 0, or -1 with *why set. */
static int
tftpd_send_block(struct tftpd_xfer *x, uint64_t b, const char **why)
{
	struct metrics *m = x->t->srv->metrics;
	struct tftpd_pos start, after;
	ssize_t len;

	start = b == x->next ? x->npos : x->ring[b % x->window];
	len = tftpd_fill(x, &start, x->pkt + 4, &after);
	if (len < 0) {
		*why = "read error";
		log_msg(LOG_DEBUG, "tftp: %s: pread: %s", x->who.client, strerror(errno));
		return -1;
	}
	tftp_build_data_hdr(x->pkt, x->pktcap, (uint16_t)b);
	/* A full socket buffer loses the block like the network would: the
	 * timer sends it again. */
	if (send(x->sock, x->pkt, 4 + (size_t)len, MSG_DONTWAIT) < 0 && errno == ECONNREFUSED) {
		*why = "client gone";
		return -1;
	}
	if ((size_t)len < x->blksize)
		x->last = b;
	if (b == x->next) {
		x->ring[b % x->window] = start;
		x->npos = after;
		x->next++;
		x->bytes += (uint64_t)len;
		METRIC_ADD(m->bytes_sent[METRICS_TFTP], (uint64_t)len);
	} else {
		METRIC_ADD(m->tftp_retransmits, 1);
	}
	return 0;
}

/* Sends blocks from `from` to the end of the window (or the last block). */
static int
tftpd_send_window(struct tftpd_xfer *x, uint64_t from, const char **why)
{
	for (uint64_t b = from; b < x->base + x->window && (x->last == 0 || b <= x->last); b++)
		if (tftpd_send_block(x, b, why) < 0)
			return -1;
	return 0;
}

static void
tftpd_on_timer(void *arg)
{
	struct tftpd_xfer *x = arg;
	const char *why = "transfer timed out";
	struct loop *l = x->t->srv->loop;

	x->timer = 0;
	if (loop_now(l) < x->deadline) {
		x->timer_at = x->deadline;
		x->timer = loop_timer_add(l, x->timer_at, tftpd_on_timer, x);
		if (x->timer == 0)
			tftpd_end(x, TFTP_EUNDEF, "out of memory");
		return;
	}
	if (x->state == TFTPD_DALLY) {
		tftpd_xfer_free(x);
		return;
	}
	if (loop_now(l) >= x->end_at) {
		METRIC_ADD(x->t->srv->metrics->tftp_timeouts, 1);
		tftpd_end(x, TFTP_EUNDEF, "transfer took too long");
		return;
	}
	if (x->tries >= x->retries) {
		METRIC_ADD(x->t->srv->metrics->tftp_timeouts, 1);
		tftpd_end(x, TFTP_EUNDEF, why);
		return;
	}
	x->tries++;
	log_msg(LOG_DEBUG, "tftp: %s: timeout, resending (try %u of %u)", x->who.client,
		x->tries, x->retries);
	if (x->state == TFTPD_SEND) {
		if (tftpd_send_window(x, x->base, &why) < 0) {
			tftpd_end(x, TFTP_EUNDEF, why);
			return;
		}
		x->resent_end = x->next;
	} else if (tftpd_send_ctl(x) < 0) {
		tftpd_end(x, -1, "client gone");
		return;
	}
	if (tftpd_arm(x) < 0)
		tftpd_end(x, TFTP_EUNDEF, "out of memory");
}

/* An ACK during a RRQ. Returns 1 when the transfer ended (x is freed). */
static int
tftpd_on_ack(struct tftpd_xfer *x, uint16_t ack)
{
	const char *why = NULL;
	uint64_t top, diff, abs, from;
	int goback;

	if (x->state == TFTPD_OACK) {
		if (ack != 0)
			return 0;
		x->state = TFTPD_SEND;
		x->base = x->next = 1;
	} else {
		/* Map the 16-bit number onto [base - 1, next - 1], the only ACKs
		 * that mean anything; the window is at most 65535 blocks, so the
		 * mapping is unique. */
		top = x->next - 1;
		diff = (uint16_t)((uint16_t)top - ack);
		if (diff > top - (x->base - 1)) {
			log_msg(LOG_DEBUG, "tftp: %s: ACK %u outside the window, ignored",
				x->who.client, ack);
			return 0;
		}
		abs = top - diff;
		if (abs == x->base - 1)
			return 0; /* duplicate: never a retransmission */
		x->base = abs + 1;
		if (x->last != 0 && x->base > x->last) {
			tftpd_record(x->t, &x->who, 200, x->bytes, NULL);
			tftpd_xfer_free(x);
			return 1;
		}
	}
	x->tries = 0;
	/* After a partial ACK the window is sent from its new start (RFC 7440:
	 * the client saw a gap); after a full one only the new blocks go out.
	 * A block already sent again is not sent a third time on an ACK: a
	 * client acknowledging every block of a window would otherwise have
	 * each sent windowsize times. Losses among resent blocks wait for the
	 * timer. */
	from = x->next;
	goback = x->base < x->next && x->base >= x->resent_end;
	if (goback) {
		log_msg(LOG_DEBUG, "tftp: %s: ACK %u inside the window, resending from %u",
			x->who.client, ack, (unsigned)(uint16_t)x->base);
		from = x->base;
	}
	if (tftpd_send_window(x, from, &why) < 0) {
		tftpd_end(x, TFTP_EUNDEF, why);
		return 1;
	}
	if (goback)
		x->resent_end = x->next;
	if (tftpd_arm(x) < 0) {
		tftpd_end(x, TFTP_EUNDEF, "out of memory");
		return 1;
	}
	return 0;
}


static int
tftpd_write_all(int fd, const uint8_t *p, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

/* Writes one DATA payload to the upload, decoding netascii (CR LF -> LF,
 * CR NUL -> CR; a pair may be cut by a block end). final: the last block.
 * Returns 0, or -1 with errno. */
static int
tftpd_write(struct tftpd_xfer *x, const uint8_t *data, size_t len, int final)
{
	uint8_t out[1024];
	size_t o = 0;

	if (x->mode == TFTP_OCTET)
		return tftpd_write_all(x->fd, data, len);
	for (size_t i = 0; i < len; i++) {
		uint8_t c = data[i];

		/* room for this byte's two and a final CR */
		if (o + 3 > sizeof(out)) {
			if (tftpd_write_all(x->fd, out, o) < 0)
				return -1;
			o = 0;
		}
		if (x->cr) {
			x->cr = 0;
			if (c == '\n' || c == '\0') {
				out[o++] = c == '\n' ? '\n' : '\r';
				continue;
			}
			out[o++] = '\r'; /* a bare CR, not RFC 1350 netascii: kept */
		}
		if (c == '\r')
			x->cr = 1;
		else
			out[o++] = c;
	}
	if (final && x->cr) {
		x->cr = 0;
		out[o++] = '\r';
	}
	return tftpd_write_all(x->fd, out, o);
}

/* A DATA packet during a WRQ. Returns 1 when the transfer ended. */
static int
tftpd_on_data(struct tftpd_xfer *x, const uint8_t *pkt, size_t n)
{
	const uint8_t *data;
	uint16_t block;
	size_t len;
	int rc;

	if (tftp_parse_data(pkt, n, &block, &data, &len) < 0 || len > x->blksize) {
		tftpd_end(x, TFTP_EBADOP, "malformed DATA");
		return 1;
	}
	if (block != (uint16_t)x->expect) {
		/* The previous block again: our ACK was lost, send it again.
		 * Anything else is stale and ignored. */
		if (block == (uint16_t)(x->expect - 1) && tftpd_send_ctl(x) < 0) {
			tftpd_end(x, -1, "client gone");
			return 1;
		}
		return 0;
	}
	if (x->state == TFTPD_DALLY)
		return 0;
	if (x->bytes + len > TFTPD_UPLOAD_MAX) {
		tftpd_end(x, TFTP_ENOSPACE, "upload too large");
		return 1;
	}
	if (tftpd_write(x, data, len, len < x->blksize) < 0) {
		log_msg(LOG_DEBUG, "tftp: %s: write: %s", x->who.client, strerror(errno));
		tftpd_end(x, TFTP_ENOSPACE, "write failed");
		return 1;
	}
	x->bytes += len;
	METRIC_ADD(x->t->srv->metrics->bytes_received[METRICS_TFTP], len);
	x->ctl_len = tftp_build_ack(x->ctl, sizeof(x->ctl), block);
	x->expect++;
	x->tries = 0;
	if (len == x->blksize) {
		if (tftpd_send_ctl(x) < 0) {
			tftpd_end(x, -1, "client gone");
			return 1;
		}
		if (tftpd_arm(x) < 0) {
			tftpd_end(x, TFTP_EUNDEF, "out of memory");
			return 1;
		}
		return 0;
	}
	/* The last block: the upload becomes visible before the client hears
	 * it is complete, and never when it is not. */
	rc = root_upload_commit(x->t->srv->upload_fd, x->fd, x->tmpname, x->name);
	x->fd = -1;
	x->committed = 1;
	if (rc < 0) {
		log_msg(LOG_DEBUG, "tftp: %s: commit: %s", x->who.client, strerror(-rc));
		tftpd_end(x, TFTP_ENOSPACE, "could not store the upload");
		return 1;
	}
	tftpd_record(x->t, &x->who, 200, x->bytes, NULL);
	x->state = TFTPD_DALLY;
	/* Dally (RFC 1350): if our last ACK is lost the client sends its last
	 * block again; answer it for two timeouts, then forget the transfer. */
	x->tries = 1;
	if (tftpd_send_ctl(x) < 0 || tftpd_arm(x) < 0) {
		tftpd_xfer_free(x);
		return 1;
	}
	return 0;
}

/* Readiness of a transfer's socket: every datagram comes from its client
 * (the socket is connected). */
static void
tftpd_on_sock(void *arg, int fd, unsigned events)
{
	struct tftpd_xfer *x = arg;
	uint8_t small[TFTPD_CTRL_RECV];

	(void)events;
	for (unsigned i = 0; i < TFTPD_RECV_BURST; i++) {
		uint8_t *buf = x->who.wrq ? x->pkt : small;
		size_t cap = x->who.wrq ? x->pktcap : sizeof(small);
		char msg[128];
		unsigned code;
		uint16_t block;
		ssize_t n;

		n = recv(fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			/* ECONNREFUSED: an ICMP port unreachable answered our
			 * last packet: the client has gone away. */
			tftpd_end(x, -1, errno == ECONNREFUSED ? "client gone" : "receive error");
			return;
		}
		if ((size_t)n > cap) {
			tftpd_end(x, TFTP_EBADOP, "packet too long");
			return;
		}
		switch (tftp_opcode(buf, (size_t)n)) {
		case TFTP_ERROR:
			if (tftp_parse_error(buf, (size_t)n, &code, msg, sizeof(msg)) < 0)
				snprintf(msg, sizeof(msg), "malformed ERROR");
			else if (x->state != TFTPD_DALLY)
				log_msg(LOG_DEBUG, "tftp: %s: client error %u: %s", x->who.client,
					code, msg);
			/* An ERROR ends the transfer and is never answered. */
			if (x->state == TFTPD_DALLY) {
				tftpd_xfer_free(x);
			} else {
				char why[160];

				snprintf(why, sizeof(why), "client sent error: %s", msg);
				tftpd_end(x, -1, why);
			}
			return;
		case TFTP_ACK:
			if (x->who.wrq || tftp_parse_ack(buf, (size_t)n, &block) < 0) {
				tftpd_end(x, TFTP_EBADOP, "unexpected or malformed ACK");
				return;
			}
			if (tftpd_on_ack(x, block))
				return;
			break;
		case TFTP_DATA:
			if (!x->who.wrq) {
				tftpd_end(x, TFTP_EBADOP, "DATA during a read");
				return;
			}
			if (tftpd_on_data(x, buf, (size_t)n))
				return;
			break;
		default:
			tftpd_end(x, TFTP_EBADOP, "illegal TFTP operation");
			return;
		}
	}
}

/* A socket for one transfer: bound to the local address the request came
 * to (port 0: a new TID), connected to the client. Returns the fd or -1. */
static int
tftpd_xfer_socket(const struct tftpd *t, const struct sockaddr_storage *local,
		  const struct sockaddr_storage *peer)
{
	struct sockaddr_storage any;
	int s;

	s = socket(t->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (bind(s, (const struct sockaddr *)local, tftpd_addr_len(local)) < 0) {
		/* A broadcast or multicast destination cannot be bound: let the
		 * kernel choose the source address. */
		memset(&any, 0, sizeof(any));
		any.ss_family = (sa_family_t)t->family;
		if (bind(s, (const struct sockaddr *)&any, tftpd_addr_len(&any)) < 0)
			goto fail;
	}
	if (connect(s, (const struct sockaddr *)peer, tftpd_addr_len(peer)) < 0)
		goto fail;
	return s;
fail:
	close(s);
	return -1;
}

/* Options granted for a request (RFC 2347: only options understood, each
 * within our limits). Returns whether any was granted (an OACK is due). */
static int
tftpd_grant(const struct srv_cfg *cfg, const struct tftp_req *req, const struct stat *st,
	    struct tftp_opts *g)
{
	unsigned maxblk = cfg->lim.tftp_max_blksize, maxwin = cfg->lim.tftp_max_window;

	if (maxblk < TFTP_BLKSIZE_MIN)
		maxblk = TFTP_BLKSIZE_MIN;
	if (maxblk > TFTP_BLKSIZE_MAX)
		maxblk = TFTP_BLKSIZE_MAX;
	if (maxwin < TFTP_WINDOW_MIN)
		maxwin = TFTP_WINDOW_MIN;
	if (maxwin > TFTP_WINDOW_MAX)
		maxwin = TFTP_WINDOW_MAX;
	memset(g, 0, sizeof(*g));
	if (req->opts.blksize != 0)
		g->blksize = req->opts.blksize < maxblk ? req->opts.blksize : maxblk;
	/* RFC 2349 lets the server drop the option, not change it: a longer
	 * timeout would let one (spoofable) datagram hold a slot for minutes. */
	if (req->opts.timeout <= cfg->lim.tftp_max_timeout_s)
		g->timeout = req->opts.timeout;
	if (req->op == TFTP_RRQ) {
		/* netascii grows the file by an amount known only at the end.
		 * An empty file's tsize is not offered either: curl refuses an
		 * OACK with tsize 0 (and RFC 2347 lets a server leave out any
		 * option). */
		if (req->opts.has_tsize && req->mode == TFTP_OCTET && st->st_size > 0) {
			g->has_tsize = 1;
			g->tsize = (uint64_t)st->st_size;
		}
		if (req->opts.windowsize != 0)
			g->windowsize = req->opts.windowsize < maxwin ? req->opts.windowsize : maxwin;
	} else if (req->opts.has_tsize) {
		/* WRQ: the size the client will send, acknowledged as is. The
		 * upload side acknowledges every block, so no windowsize. */
		g->has_tsize = 1;
		g->tsize = req->opts.tsize;
	}
	return g->blksize != 0 || g->timeout != 0 || g->has_tsize || g->windowsize != 0;
}

/* Counts transfers from the client's address. */
static unsigned
tftpd_per_client(const struct tftpd *t, const struct sockaddr_storage *peer)
{
	unsigned n = 0;

	for (const struct tftpd_xfer *x = t->xfers; x != NULL; x = x->lnext)
		n += tftpd_same_host(&x->peer, peer);
	return n;
}

/* One request datagram from the listening socket. */
static void
tftpd_request(struct tftpd *t, const uint8_t *pkt, size_t n, int truncated,
	      const struct sockaddr_storage *peer, const struct sockaddr_storage *local)
{
	const struct srv_cfg *cfg = t->srv->cfg;
	struct tftpd_who who;
	struct tftpd_xfer *x = NULL;
	struct tftp_req req;
	struct tftp_opts g;
	struct guard_limits gl = { 0, 0, 0 };
	unsigned char addr16[16] = { 0 };
	struct stat st;
	enum tftp_errcode code;
	char why[96];
	const char *msg;
	int fd = -1, oack;

	memset(&who, 0, sizeof(who));
	who.wall_ms = clock_wall_ms();
	who.t0_us = clock_mono_us();
	tftpd_addr_text(peer, who.client, sizeof(who.client));
	if (truncated || tftp_parse_req_code(pkt, n, &req, why, sizeof(why), &code) < 0) {
		unsigned op = tftp_opcode(pkt, n);

		if (op != TFTP_RRQ && op != TFTP_WRQ) {
			/* Not a request (a stray ACK, garbage): RFC 1350 answers
			 * nothing to what is not a transfer; a reflector would. */
			log_msg(LOG_DEBUG, "tftp: %s: not a request, ignored", who.client);
			return;
		}
		if (truncated) {
			code = TFTP_EBADOP;
			snprintf(why, sizeof(why), "request too long");
		}
		who.wrq = op == TFTP_WRQ;
		snprintf(who.path, sizeof(who.path), "-");
		tftpd_refuse(t, peer, &who, code, why);
		return;
	}
	who.wrq = req.op == TFTP_WRQ;
	serve_escape(req.filename, req.filename_len, who.path, sizeof(who.path));
	who.has_mac = serve_find_mac(req.filename, req.filename_len, who.mac);

	if (t->n_active >= cfg->lim.tftp_max_transfers ||
	    tftpd_per_client(t, peer) >= cfg->lim.tftp_max_per_client) {
		METRIC_ADD(t->srv->metrics->overload[METRICS_TFTP], 1);
		tftpd_refuse(t, peer, &who, TFTP_EUNDEF, "server busy");
		return;
	}

	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		tftpd_refuse(t, peer, &who, TFTP_EUNDEF, "out of memory");
		return;
	}
	x->t = t;
	x->who = who;
	x->peer = *peer;
	x->sock = -1;
	x->fd = -1;
	x->mode = req.mode;
	memset(&st, 0, sizeof(st));
	guard_key_sa(peer, addr16);
	gl.burst = cfg->lim.enum_miss_burst;
	gl.per_min = cfg->lim.enum_miss_rate;
	gl.cooldown_s = cfg->lim.enum_cooldown_s;
	if (guard_blocked(t->srv->guard, addr16, loop_now(t->srv->loop), &gl)) {
		code = TFTP_EUNDEF;
		msg = "too many misses";
		goto refuse;
	}
	if (req.op == TFTP_RRQ) {
		/* A rendered profile (render.h) when a route matches; a miss is
		 * answered exactly as a missing file. */
		fd = render_fd(&t->srv->inv, cfg->db, cfg->routes, cfg->n_routes,
			       req.filename, req.filename_len, "tftp", local, who.client);
		if (fd == -EBUSY) {
			code = TFTP_EUNDEF;
			msg = "server busy";
			goto refuse;
		}
		if (fd == -ENOSYS)
			fd = root_open(t->srv->root_fd, req.filename, req.filename_len, &st);
		else if (fd >= 0)
			fstat(fd, &st);
		if (fd < 0) {
			msg = root_strerror(fd);
			if (fd == -EXDEV)
				METRIC_ADD(t->srv->metrics->traversal_refused, 1);
			code = fd == -ENOENT ? TFTP_ENOTFOUND :
			    fd == -EXDEV || fd == -EACCES || fd == -EISDIR || fd == -EINVAL ||
			    fd == -ELOOP || fd == -ENAMETOOLONG ? TFTP_EACCESS : TFTP_EUNDEF;
			goto refuse;
		}
	} else {
		if (t->srv->upload_fd < 0) {
			code = TFTP_EACCESS;
			msg = "uploads not accepted";
			goto refuse;
		}
		if (req.opts.has_tsize && req.opts.tsize > TFTPD_UPLOAD_MAX) {
			code = TFTP_ENOSPACE;
			msg = "upload too large";
			goto refuse;
		}
		fd = root_upload_open(t->srv->upload_fd, req.filename, req.filename_len,
				      x->tmpname);
		if (fd < 0) {
			msg = root_strerror(fd);
			code = fd == -EINVAL || fd == -EACCES || fd == -EXDEV ? TFTP_EACCESS :
			    TFTP_EUNDEF;
			goto refuse;
		}
		memcpy(x->name, req.filename, req.filename_len);
		x->name[req.filename_len] = '\0';
		x->expect = 1;
	}
	x->fd = fd;
	fd = -1;

	oack = tftpd_grant(cfg, &req, &st, &g);
	x->blksize = g.blksize != 0 ? g.blksize : TFTP_BLKSIZE_DEFAULT;
	x->window = g.windowsize != 0 ? g.windowsize : 1;
	x->rto0_ms = g.timeout != 0 ? g.timeout * 1000u : cfg->lim.tftp_timeout_ms;
	if (x->rto0_ms == 0)
		x->rto0_ms = 1;
	x->retries = cfg->lim.tftp_retries;
	x->end_at = loop_now(t->srv->loop) + cfg->lim.tftp_max_transfer_ms;
	x->pktcap = 4 + x->blksize + (req.op == TFTP_WRQ);
	x->pkt = malloc(x->pktcap);
	if (req.op == TFTP_RRQ) {
		x->ring = calloc(x->window, sizeof(*x->ring));
		x->npos.pend = -1;
		if (req.mode == TFTP_NETASCII)
			x->scratch = malloc(x->blksize);
	}
	if (x->pkt == NULL || (req.op == TFTP_RRQ && x->ring == NULL) ||
	    (req.mode == TFTP_NETASCII && req.op == TFTP_RRQ && x->scratch == NULL)) {
		code = TFTP_EUNDEF;
		msg = "out of memory";
		goto refuse;
	}
	x->sock = tftpd_xfer_socket(t, local, peer);
	if (x->sock < 0) {
		log_msg(LOG_DEBUG, "tftp: %s: transfer socket: %s", who.client, strerror(errno));
		code = TFTP_EUNDEF;
		msg = "no socket";
		goto refuse;
	}
	if (loop_fd(t->srv->loop, x->sock, LOOP_IN, tftpd_on_sock, x) < 0) {
		code = TFTP_EUNDEF;
		msg = "out of memory";
		goto refuse;
	}
	/* From here the transfer is live: tftpd_end records and frees it. */
	x->lnext = t->xfers;
	if (t->xfers != NULL)
		t->xfers->lprev = x;
	t->xfers = x;
	t->n_active++;
	METRIC_ADD(t->srv->metrics->active[METRICS_TFTP], 1);
	log_msg(LOG_DEBUG, "tftp: %s %s \"%s\" %s blksize %u window %u timeout %u ms%s",
		who.client, who.wrq ? "WRQ" : "RRQ", who.path,
		req.mode == TFTP_OCTET ? "octet" : "netascii", x->blksize, x->window,
		x->rto0_ms, oack ? " (OACK)" : "");

	if (oack) {
		x->ctl_len = tftp_build_oack(x->ctl, sizeof(x->ctl), &g);
		x->state = req.op == TFTP_RRQ ? TFTPD_OACK : TFTPD_RECV;
	} else if (req.op == TFTP_WRQ) {
		x->ctl_len = tftp_build_ack(x->ctl, sizeof(x->ctl), 0);
		x->state = TFTPD_RECV;
	} else {
		x->state = TFTPD_SEND;
		x->base = x->next = 1;
	}
	if (x->state == TFTPD_SEND) {
		const char *err = NULL;

		if (tftpd_send_window(x, 1, &err) < 0) {
			tftpd_end(x, TFTP_EUNDEF, err);
			return;
		}
	} else if (x->ctl_len == 0 || tftpd_send_ctl(x) < 0) {
		tftpd_end(x, TFTP_EUNDEF, "could not answer");
		return;
	}
	if (tftpd_arm(x) < 0)
		tftpd_end(x, TFTP_EUNDEF, "out of memory");
	return;

refuse:
	if (code == TFTP_ENOTFOUND)
		guard_miss(t->srv->guard, addr16, loop_now(t->srv->loop), &gl, who.client);
	if (fd >= 0)
		close(fd);
	if (x->fd >= 0) {
		if (req.op == TFTP_WRQ)
			root_upload_abort(t->srv->upload_fd, x->fd, x->tmpname);
		else
			close(x->fd);
	}
	if (x->sock >= 0)
		close(x->sock);
	free(x->ring);
	free(x->pkt);
	free(x->scratch);
	free(x);
	tftpd_refuse(t, peer, &who, code, msg);
}

/* The local address a request was sent to, from its IP_PKTINFO /
 * IPV6_PKTINFO, with port 0; without one, the listening socket's address. */
static void
tftpd_local(const struct tftpd *t, struct msghdr *mh, struct sockaddr_storage *local)
{
	socklen_t len = sizeof(*local);

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    t->family == AF_INET) {
			struct in_pktinfo pi;
			struct sockaddr_in *s4 = (struct sockaddr_in *)local;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memset(local, 0, sizeof(*local));
			s4->sin_family = AF_INET;
			/* spec_dst: our address on that interface, also for a
			 * request sent to a broadcast address */
			s4->sin_addr = pi.ipi_spec_dst;
			return;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		    t->family == AF_INET6) {
			struct in6_pktinfo pi;
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)local;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memset(local, 0, sizeof(*local));
			s6->sin6_family = AF_INET6;
			s6->sin6_addr = pi.ipi6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
				s6->sin6_scope_id = (uint32_t)pi.ipi6_ifindex;
			return;
		}
	}
	memset(local, 0, sizeof(*local));
	if (getsockname(t->fd, (struct sockaddr *)local, &len) < 0)
		local->ss_family = (sa_family_t)t->family;
	if (local->ss_family == AF_INET)
		((struct sockaddr_in *)local)->sin_port = 0;
	else if (local->ss_family == AF_INET6)
		((struct sockaddr_in6 *)local)->sin6_port = 0;
}

static void
tftpd_on_listen(void *arg, int fd, unsigned events)
{
	struct tftpd *t = arg;

	(void)events;
	for (unsigned i = 0; i < TFTPD_RECV_BURST && !t->draining; i++) {
		union {
			struct cmsghdr align;
			uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
				    CMSG_SPACE(sizeof(struct in_pktinfo))];
		} cbuf;
		struct sockaddr_storage peer, local;
		struct iovec iov = { t->req, TFTPD_REQ_MAX };
		struct msghdr mh;
		ssize_t n;

		memset(&mh, 0, sizeof(mh));
		memset(&peer, 0, sizeof(peer));
		mh.msg_name = &peer;
		mh.msg_namelen = sizeof(peer);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0)
			continue; /* a transient error: the burst bounds the retries */
		if (peer.ss_family != AF_INET && peer.ss_family != AF_INET6)
			continue;
		tftpd_local(t, &mh, &local);
		tftpd_request(t, t->req, (size_t)n, (mh.msg_flags & MSG_TRUNC) != 0, &peer, &local);
	}
}

int
tftpd_new(struct tftpd **out, struct srv *srv, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct tftpd *t;
	int on = 1;

	*out = NULL;
	if (srv == NULL || srv->loop == NULL || srv->cfg == NULL || srv->metrics == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -1;
	t->srv = srv;
	t->fd = fd;
	t->family = ss.ss_family;
	/* Learn each request's destination address, so that a transfer
	 * answers from the address the client spoke to (multi-homed hosts). */
	if (t->family == AF_INET)
		(void)setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
	else
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
	if (loop_fd(srv->loop, fd, LOOP_IN, tftpd_on_listen, t) < 0) {
		free(t);
		return -1;
	}
	*out = t;
	return 0;
}

void
tftpd_drain(struct tftpd *t)
{
	if (t == NULL || t->draining)
		return;
	t->draining = 1;
	loop_fd(t->srv->loop, t->fd, 0, NULL, NULL);
}

unsigned
tftpd_active(const struct tftpd *t)
{
	return t != NULL ? t->n_active : 0;
}

void
tftpd_free(struct tftpd *t)
{
	if (t == NULL)
		return;
	if (!t->draining)
		loop_fd(t->srv->loop, t->fd, 0, NULL, NULL);
	while (t->xfers != NULL) {
		log_msg(LOG_DEBUG, "tftp: %s: transfer aborted at shutdown", t->xfers->who.client);
		tftpd_xfer_free(t->xfers);
	}
	free(t);
}
