/*
 * tftpc: a TFTP read client driven by its host's loop. The contract is in
 * tftpc.h; the packets are built and parsed by tftp.c.
 *
 * States: START (due at once) -> RESOLVE (a host name: the resolver
 * thread's eventfd is the fd) -> FIRST (RRQ sent: waiting for OACK, DATA 1
 * or ERROR) -> DATA (receiving) -> DONE. Whatever happens, a transfer
 * reaches DONE by its deadline. A write (WRQ) goes the same way, FIRST
 * waiting for OACK, ACK 0 or ERROR, and DATA meaning sending.
 *
 * The fds stay open until tftpc_free, after the host has stopped watching
 * them: closing one the host still watches could remove another's from its
 * poller once the number is reused.
 */
#include "tftpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bounds.h"
#include "tftp.h"

/* Shared by a transfer and its resolver thread; the last to let go frees
 * it and closes the eventfd. */
struct tftpc_dns {
	pthread_mutex_t mu;
	int refs;
	int efd;
	int done;
	int gai;                       /* getaddrinfo's result */
	struct sockaddr_storage addr[TFTPC_ADDRS_MAX]; /* in the resolver's order */
	socklen_t addrlen[TFTPC_ADDRS_MAX];
	unsigned n;
	char host[BOUND_URL_HOST + 1];
	char port[8];
};

enum tftpc_state { ST_START, ST_RESOLVE, ST_FIRST, ST_DATA, ST_DONE };

struct tftpc {
	enum tftpc_state st;
	char host[BOUND_URL_HOST + 1];
	char file[TFTP_FILENAME_MAX + 1];
	unsigned port;
	size_t max_body;
	void (*on_connect)(void *arg, const char *ip, unsigned port);
	void *arg;
	struct tftpc_dns *dns;
	int fd;                        /* the UDP socket, -1 before */
	struct sockaddr_storage srv;   /* where the RRQ goes */
	socklen_t srvlen;
	struct sockaddr_storage alt[TFTPC_ADDRS_MAX]; /* the name's addresses: srv */
	socklen_t altlen[TFTPC_ADDRS_MAX];            /* is alt[cur] */
	unsigned n_alt, cur;
	struct sockaddr_storage tid;   /* the server's TID, once it answered */
	socklen_t tidlen;
	int have_tid;
	struct tftp_opts asked;
	unsigned blksize, window;      /* in force */
	uint16_t expect;               /* the next block wanted */
	uint16_t lastack;              /* the last block acknowledged */
	int received;                  /* some DATA was taken */
	int gap_acked, dup_acked;      /* the ACK for a gap / duplicate went out */
	uint8_t out[TFTPC_REQ_MAX];    /* the last packet sent, to send again */
	size_t outlen;
	uint8_t *pkt;                  /* receive buffer */
	size_t pktcap;
	unsigned tries;                /* sent again without progress */
	int wrq;                       /* writing: put[0..putlen) goes out */
	uint8_t *put;
	size_t putlen;
	size_t woff;                   /* offset of the block in flight */
	size_t wlen;                   /* its payload length */
	uint16_t wblock;               /* its number; 0 before the first */
	long rto;
	long long start, deadline, rto_due;
	struct tftpc_result res;
};

/* ---- the resolver ------------------------------------------------------ */

static void
dns_release(struct tftpc_dns *q)
{
	int last;

	pthread_mutex_lock(&q->mu);
	last = --q->refs == 0;
	pthread_mutex_unlock(&q->mu);
	if (!last)
		return;
	close(q->efd);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

/* The resolver; tests put their own in (several addresses for one name
 * without touching /etc/hosts). */
static int (*tftpc_getaddrinfo)(const char *, const char *, const struct addrinfo *,
				struct addrinfo **) = getaddrinfo;

#ifdef PROV_UNITTEST
void
tftpc_set_resolver(int (*gai)(const char *, const char *, const struct addrinfo *,
			      struct addrinfo **))
{
	tftpc_getaddrinfo = gai != NULL ? gai : getaddrinfo;
}
#endif

static void *
dns_thread(void *arg)
{
	struct tftpc_dns *q = arg;
	struct addrinfo hints, *ai = NULL;
	uint64_t one = 1;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = tftpc_getaddrinfo(q->host, q->port, &hints, &ai);
	pthread_mutex_lock(&q->mu);
	for (const struct addrinfo *a = ai; rc == 0 && a != NULL && q->n < TFTPC_ADDRS_MAX;
	     a = a->ai_next) {
		if (a->ai_addrlen > sizeof(q->addr[0]) ||
		    (a->ai_family != AF_INET && a->ai_family != AF_INET6))
			continue;
		memcpy(&q->addr[q->n], a->ai_addr, a->ai_addrlen);
		q->addrlen[q->n++] = a->ai_addrlen;
	}
	if (rc == 0 && q->n == 0)
		rc = EAI_NONAME;
	q->gai = rc;
	q->done = 1;
	pthread_mutex_unlock(&q->mu);
	if (ai != NULL)
		freeaddrinfo(ai);
	if (write(q->efd, &one, sizeof(one)) < 0) {
		/* An eventfd write fails only on overflow: it is readable anyway. */
	}
	dns_release(q);
	return NULL;
}

/* Starts resolving t->host; 0, or -1 (errno-style failure, detail set). */
static int
dns_start(struct tftpc *t)
{
	struct tftpc_dns *q = calloc(1, sizeof(*q));
	pthread_attr_t attr;
	pthread_t th;
	sigset_t all, old;
	int rc;

	if (q == NULL)
		return -1;
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0 || pthread_mutex_init(&q->mu, NULL) != 0) {
		if (q->efd >= 0)
			close(q->efd);
		free(q);
		return -1;
	}
	q->refs = 2;
	snprintf(q->host, sizeof(q->host), "%s", t->host);
	snprintf(q->port, sizeof(q->port), "%u", t->port);
	if (pthread_attr_init(&attr) != 0) {
		q->refs = 1;
		dns_release(q);
		return -1;
	}
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* The thread takes no signal: a host that reads its signals from a
	 * signalfd has them blocked, and they must stay its own. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&th, &attr, dns_thread, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		q->refs = 1;
		dns_release(q);
		return -1;
	}
	t->dns = q;
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static void
finish(struct tftpc *t, enum tftpc_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
finish(struct tftpc *t, enum tftpc_status st, const char *fmt, ...)
{
	va_list ap;

	if (t->st == ST_DONE)
		return;
	t->st = ST_DONE;
	t->res.status = st;
	va_start(ap, fmt);
	vsnprintf(t->res.detail, sizeof(t->res.detail), fmt, ap);
	va_end(ap);
	if (st != TFTPC_OK)
		buf_reset(&t->res.body);
}

static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b, int port)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)(const void *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)(const void *)b;

		return x->sin_addr.s_addr == y->sin_addr.s_addr &&
		       (!port || x->sin_port == y->sin_port);
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)(const void *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)(const void *)b;

		return memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0 &&
		       (!port || x->sin6_port == y->sin6_port);
	}
	return 0;
}

/* Sends pkt to the server's TID (or, before it answered, to srv). A failed
 * send is left to the retransmission: the next try may pass. */
static void
send_to_server(struct tftpc *t, const uint8_t *pkt, size_t len)
{
	const struct sockaddr_storage *to = t->have_tid ? &t->tid : &t->srv;
	socklen_t tolen = t->have_tid ? t->tidlen : t->srvlen;

	(void)sendto(t->fd, pkt, len, MSG_NOSIGNAL, (const struct sockaddr *)to, tolen);
}

/* Sends pkt and keeps it as the packet to send again. */
static void
send_keep(struct tftpc *t, const uint8_t *pkt, size_t len, long long now)
{
	if (pkt != t->out)
		memcpy(t->out, pkt, len);
	t->outlen = len;
	send_to_server(t, t->out, len);
	t->rto_due = now + t->rto;
}

static void
send_ack(struct tftpc *t, uint16_t block, long long now)
{
	uint8_t ack[4];

	(void)tftp_build_ack(ack, sizeof(ack), block);
	t->lastack = block;
	send_keep(t, ack, sizeof(ack), now);
}

/* An ERROR packet to the server that ends the transfer from our side. */
static void
send_error(struct tftpc *t, enum tftp_errcode code, const char *msg)
{
	uint8_t e[128];
	size_t n = tftp_build_error(e, sizeof(e), code, msg);

	if (n > 0)
		send_to_server(t, e, n);
}

/* Progress: the retransmission clock starts over. */
static void
progress(struct tftpc *t)
{
	t->tries = 0;
	t->rto = TFTPC_RTO_MS;
}

/* The receive buffer for blocks of blksize bytes; ERROR packets with
 * RFC 1350-sized texts fit too. */
static int
pkt_alloc(struct tftpc *t, unsigned blksize)
{
	size_t cap = 4 + (blksize > TFTP_BLKSIZE_DEFAULT ? blksize : TFTP_BLKSIZE_DEFAULT);
	uint8_t *p;

	if (cap <= t->pktcap)
		return 0;
	p = realloc(t->pkt, cap);
	if (p == NULL)
		return -1;
	t->pkt = p;
	t->pktcap = cap;
	return 0;
}

/* The socket is open for srv: the RRQ goes out. */
static void
send_rrq(struct tftpc *t, long long now)
{
	uint8_t rrq[TFTPC_REQ_MAX];
	char ip[64] = "";
	size_t n;
	int rcvbuf;
	long want;
	socklen_t optlen;

	t->fd = socket(t->srv.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		finish(t, TFTPC_SYS, "tftp: socket: %s", strerror(errno));
		return;
	}
	/* With another address to try, the kernel reports an ICMP port
	 * unreachable to this unconnected socket (ECONNREFUSED): the next
	 * address is then asked at once (tftpc_readable). */
	if (t->cur + 1 < t->n_alt)
		(void)setsockopt(t->fd, t->srv.ss_family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
				 t->srv.ss_family == AF_INET6 ? IPV6_RECVERR : IP_RECVERR,
				 &(int){ 1 }, sizeof(int));
	/* Room for two windows of the largest blocks asked for, each datagram
	 * counted with the kernel's own overhead; never less than the
	 * system's default. */
	want = 2L * (t->asked.windowsize ? t->asked.windowsize : 1) *
	       ((t->asked.blksize ? t->asked.blksize : TFTP_BLKSIZE_DEFAULT) +
		TFTPC_SKB_OVERHEAD);
	if (want > TFTPC_RCVBUF_MAX)
		want = TFTPC_RCVBUF_MAX;
	optlen = sizeof(rcvbuf);
	if (getsockopt(t->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &optlen) == 0 && rcvbuf < want) {
		rcvbuf = (int)want;
		(void)setsockopt(t->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	}
	if (t->srv.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)(const void *)&t->srv;

		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		t->res.port = ntohs(s->sin_port);
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)(const void *)&t->srv;

		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		t->res.port = ntohs(s->sin6_port);
	}
	snprintf(t->res.ip, sizeof(t->res.ip), "%s", ip);
	if (t->on_connect != NULL)
		t->on_connect(t->arg, t->res.ip, t->res.port);
	n = tftp_build_req(rrq, sizeof(rrq), t->wrq ? TFTP_WRQ : TFTP_RRQ, t->file, TFTP_OCTET,
			   &t->asked);
	if (n == 0) {
		finish(t, TFTPC_SYS, "tftp: request does not fit");
		return;
	}
	t->st = ST_FIRST;
	progress(t);
	send_keep(t, rrq, n, now);
}

/* An address literal needs no resolver. */
static int
literal(struct tftpc *t)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&t->srv;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&t->srv;

	memset(&t->srv, 0, sizeof(t->srv));
	if (inet_pton(AF_INET, t->host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)t->port);
		t->srvlen = sizeof(*s4);
		return 1;
	}
	if (inet_pton(AF_INET6, t->host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)t->port);
		t->srvlen = sizeof(*s6);
		return 1;
	}
	return 0;
}

/* ---- packets ------------------------------------------------------------- */

static void
on_error_pkt(struct tftpc *t, const uint8_t *p, size_t n)
{
	unsigned code = 0;

	if (tftp_parse_error(p, n, &code, t->res.msg, sizeof(t->res.msg)) < 0) {
		/* Still the server's way of ending the transfer. */
		code = n >= 4 ? (unsigned)((p[2] << 8) | p[3]) : 0;
		t->res.msg[0] = '\0';
	}
	t->res.code = code;
	if (code == TFTP_ENOTFOUND)
		finish(t, TFTPC_NOTFOUND, "tftp: error 1 (%s)", t->res.msg);
	else
		finish(t, TFTPC_ERROR, "tftp: error %u (%s)", code, t->res.msg);
}

/* The server broke the protocol: tell it (code), and end. */
static void
violation(struct tftpc *t, enum tftp_errcode code, const char *why)
{
	send_error(t, code, why);
	finish(t, TFTPC_PROTO, "tftp: %s", why);
}

static void
on_oack(struct tftpc *t, const uint8_t *p, size_t n, long long now)
{
	struct tftp_opts got;
	char why[64];

	if (t->st == ST_DATA) {
		/* Our ACK 0 was lost and the server repeats its OACK. */
		if (!t->received)
			send_ack(t, 0, now);
		return;
	}
	if (tftp_parse_oack(p, n, &t->asked, &got, why, sizeof(why)) < 0) {
		char msg[96];

		snprintf(msg, sizeof(msg), "OACK refused: %s", why);
		violation(t, TFTP_EOPTNEG, msg);
		return;
	}
	if (got.has_tsize && got.tsize > t->max_body) {
		send_error(t, TFTP_EOPTNEG, "file too large");
		finish(t, TFTPC_TOOBIG, "tftp: tsize %llu over %zu",
		       (unsigned long long)got.tsize, t->max_body);
		return;
	}
	t->blksize = got.blksize ? got.blksize : TFTP_BLKSIZE_DEFAULT;
	t->window = got.windowsize ? got.windowsize : 1;
	t->res.blksize = got.blksize;
	t->res.windowsize = got.windowsize;
	if (pkt_alloc(t, t->blksize) < 0) {
		send_error(t, TFTP_ENOSPACE, "out of memory");
		finish(t, TFTPC_SYS, "tftp: out of memory");
		return;
	}
	t->st = ST_DATA;
	t->expect = 1;
	progress(t);
	send_ack(t, 0, now);
}

static void
on_data(struct tftpc *t, const uint8_t *p, size_t n, long long now)
{
	const uint8_t *data;
	size_t len;
	uint16_t block, ahead;

	if (tftp_parse_data(p, n, &block, &data, &len) < 0) {
		violation(t, TFTP_EBADOP, "malformed DATA");
		return;
	}
	if (t->st == ST_FIRST) {
		/* DATA 1 (on_packet lets no other block through first): a
		 * server without options. 512-byte blocks, one at a time. */
		t->blksize = TFTP_BLKSIZE_DEFAULT;
		t->window = 1;
		t->st = ST_DATA;
		t->expect = 1;
		t->lastack = 0;
	}
	if (len > t->blksize) {
		violation(t, TFTP_EBADOP, "DATA larger than blksize");
		return;
	}
	if (block != t->expect) {
		ahead = (uint16_t)(block - t->expect);
		if (ahead < 0x8000u) {
			/* A gap: a block was lost. Ask for the window again from
			 * the last block in order (RFC 7440), once per gap. */
			if (!t->gap_acked) {
				t->gap_acked = 1;
				send_ack(t, (uint16_t)(t->expect - 1), now);
			}
		} else if ((uint16_t)(t->lastack - block) < 0x8000u && t->received &&
			   !t->dup_acked) {
			/* A block already acknowledged: our ACK was lost and the
			 * window comes again. Say again where we are, once. A
			 * duplicate inside the current window is just dropped. */
			t->dup_acked = 1;
			send_ack(t, (uint16_t)(t->expect - 1), now);
		}
		return;
	}
	if (len > t->max_body - t->res.body.len) {
		send_error(t, TFTP_ENOSPACE, "file too large");
		finish(t, TFTPC_TOOBIG, "tftp: file over %zu bytes", t->max_body);
		return;
	}
	if (buf_add(&t->res.body, data, len) != PROV_OK) {
		send_error(t, TFTP_ENOSPACE, "out of memory");
		finish(t, TFTPC_SYS, "tftp: out of memory");
		return;
	}
	t->received = 1;
	t->gap_acked = t->dup_acked = 0;
	t->expect++;
	progress(t);
	t->rto_due = now + t->rto;
	if (len < t->blksize) {
		send_ack(t, block, now);
		finish(t, TFTPC_OK, "%s", "");
		return;
	}
	if ((uint16_t)(block - t->lastack) >= t->window)
		send_ack(t, block, now);
}

/* WRQ: sends block t->wblock (payload at t->woff, t->wlen bytes) from the
 * packet buffer, which has room for 4 + blksize. */
static void
wrq_send_block(struct tftpc *t, long long now)
{
	(void)tftp_build_data_hdr(t->pkt, t->pktcap, t->wblock);
	memcpy(t->pkt + 4, t->put + t->woff, t->wlen);
	send_to_server(t, t->pkt, 4 + t->wlen);
	t->rto_due = now + t->rto;
}

/* WRQ: the block after the one acknowledged; after the last, done. */
static void
wrq_next_block(struct tftpc *t, long long now)
{
	if (t->wblock != 0 && t->wlen < t->blksize) {
		finish(t, TFTPC_OK, "%s", "");
		return;
	}
	t->woff += t->wlen;
	t->wlen = t->putlen - t->woff < t->blksize ? t->putlen - t->woff : t->blksize;
	t->wblock++;
	progress(t);
	wrq_send_block(t, now);
}

/* WRQ: the server's OACK, or ACK of a block. */
static void
wrq_on_packet(struct tftpc *t, unsigned op, const uint8_t *p, size_t n, long long now)
{
	uint16_t block;

	if (op == TFTP_OACK) {
		struct tftp_opts got;
		char why[64], msg[96];

		if (t->st != ST_FIRST)
			return; /* a repeat: our DATA 1 answers it, when resent */
		if (tftp_parse_oack(p, n, &t->asked, &got, why, sizeof(why)) < 0) {
			snprintf(msg, sizeof(msg), "OACK refused: %s", why);
			violation(t, TFTP_EOPTNEG, msg);
			return;
		}
		t->blksize = got.blksize ? got.blksize : TFTP_BLKSIZE_DEFAULT;
		t->res.blksize = got.blksize;
	} else if (op == TFTP_ACK) {
		if (tftp_parse_ack(p, n, &block) < 0) {
			violation(t, TFTP_EBADOP, "malformed ACK");
			return;
		}
		if (t->st == ST_FIRST && block == 0) {
			t->blksize = TFTP_BLKSIZE_DEFAULT; /* a server without options */
		} else if (t->st == ST_FIRST || block != t->wblock) {
			return; /* an old or stray ACK: the timer resends */
		}
	} else {
		violation(t, TFTP_EBADOP, "unexpected packet");
		return;
	}
	if (t->st == ST_FIRST) {
		if (pkt_alloc(t, t->blksize) < 0) {
			send_error(t, TFTP_ENOSPACE, "out of memory");
			finish(t, TFTPC_SYS, "tftp: out of memory");
			return;
		}
		t->st = ST_DATA;
	}
	wrq_next_block(t, now);
}

/* One datagram of n bytes (trunc: it was longer than the buffer). */
static void
on_packet(struct tftpc *t, const uint8_t *p, size_t n, int trunc,
	  const struct sockaddr_storage *from, socklen_t fromlen, long long now)
{
	unsigned op = tftp_opcode(p, n);

	/* RFC 1350 TIDs: the first answer must come from the server's host
	 * and fixes the port; anything else gets ERROR 5 and is ignored. */
	if (t->have_tid ? !same_addr(from, &t->tid, 1) : !same_addr(from, &t->srv, 0)) {
		uint8_t e[64];
		size_t len = tftp_build_error(e, sizeof(e), TFTP_EBADID, "unknown transfer ID");

		(void)sendto(t->fd, e, len, MSG_NOSIGNAL, (const struct sockaddr *)from, fromlen);
		return;
	}
	if (!t->have_tid) {
		/* Only an answer to the RRQ may fix the TID: a stray packet
		 * from the server's host must not lock the real one out. */
		if (op != TFTP_ERROR && op != TFTP_OACK &&
		    !(!t->wrq && op == TFTP_DATA && n >= 4 && p[2] == 0 && p[3] == 1) &&
		    !(t->wrq && op == TFTP_ACK && n >= 4 && p[2] == 0 && p[3] == 0))
			return;
		memcpy(&t->tid, from, sizeof(t->tid));
		t->tidlen = fromlen;
		t->have_tid = 1;
	}
	if (op == TFTP_ERROR) {
		on_error_pkt(t, p, n);
		return;
	}
	if (trunc) {
		violation(t, TFTP_EBADOP, "packet larger than blksize");
		return;
	}
	if (t->wrq)
		wrq_on_packet(t, op, p, n, now);
	else if (op == TFTP_OACK)
		on_oack(t, p, n, now);
	else if (op == TFTP_DATA)
		on_data(t, p, n, now);
	else
		violation(t, TFTP_EBADOP, "unexpected packet");
}

/* ---- the interface ------------------------------------------------------- */

enum prov_err
tftpc_start(const struct tftpc_req *req, long long now_ms, struct tftpc **out,
	    struct diag *d)
{
	struct tftpc *t;
	size_t flen;

	*out = NULL;
	if (req == NULL || req->host == NULL || req->host[0] == '\0' ||
	    strlen(req->host) > BOUND_URL_HOST)
		return diag_set(d, PROV_E_INVAL, 0, 0, "tftp: no host, or too long");
	flen = req->file != NULL ? strlen(req->file) : 0;
	if (flen == 0 || flen > TFTP_FILENAME_MAX)
		return diag_set(d, PROV_E_INVAL, 0, 0, "tftp: file name of %zu bytes "
				"(want 1..%u)", flen, TFTP_FILENAME_MAX);
	if (req->blksize != 0 && (req->blksize < TFTP_BLKSIZE_MIN ||
				  req->blksize > TFTP_BLKSIZE_MAX))
		return diag_set(d, PROV_E_INVAL, 0, 0, "tftp: blksize %u outside %u..%u",
				req->blksize, TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX);
	if (req->windowsize > TFTP_WINDOW_MAX || req->max_body == 0 || req->port > 65535)
		return diag_set(d, PROV_E_INVAL, 0, 0, "tftp: bad windowsize, port or size cap");
	if (req->put != NULL && req->putlen > (size_t)TFTPC_PUT_MAX)
		return diag_set(d, PROV_E_TOOBIG, 0, 0, "tftp: %zu bytes to write, over %ld",
				req->putlen, TFTPC_PUT_MAX);
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return diag_set(d, PROV_E_NOMEM, 0, 0, "tftp: out of memory");
	t->st = ST_START;
	t->fd = -1;
	memcpy(t->host, req->host, strlen(req->host) + 1);
	memcpy(t->file, req->file, flen + 1);
	t->port = req->port != 0 ? req->port : TFTP_PORT;
	t->max_body = req->max_body;
	t->on_connect = req->on_connect;
	t->arg = req->arg;
	t->asked.blksize = req->blksize;
	t->asked.timeout = TFTPC_SERVER_TIMEOUT_S;
	t->asked.has_tsize = 1;
	t->asked.tsize = 0;
	t->asked.windowsize = req->windowsize != 0 ? req->windowsize : TFTPC_WINDOWSIZE;
	if (t->asked.windowsize == 1)
		t->asked.windowsize = 0; /* lockstep is the default: no option */
	if (req->put != NULL) {
		t->wrq = 1;
		t->asked.windowsize = 0;
		t->asked.tsize = req->putlen;
		t->putlen = req->putlen;
		t->put = malloc(req->putlen > 0 ? req->putlen : 1);
		if (t->put == NULL) {
			free(t);
			return diag_set(d, PROV_E_NOMEM, 0, 0, "tftp: out of memory");
		}
		if (req->putlen > 0)
			memcpy(t->put, req->put, req->putlen);
	}
	t->start = now_ms;
	t->deadline = now_ms + (req->timeout_ms > 0 ? req->timeout_ms : BOUND_NET_TIMEOUT_MS);
	t->rto = TFTPC_RTO_MS;
	t->rto_due = -1;
	buf_init(&t->res.body, req->max_body);
	if (pkt_alloc(t, req->blksize) < 0) {
		free(t->put);
		free(t);
		return diag_set(d, PROV_E_NOMEM, 0, 0, "tftp: out of memory");
	}
	*out = t;
	return PROV_OK;
}

int
tftpc_fd(const struct tftpc *t)
{
	if (t->st == ST_RESOLVE)
		return t->dns->efd;
	if (t->st == ST_FIRST || t->st == ST_DATA)
		return t->fd;
	return -1;
}

long long
tftpc_due(const struct tftpc *t)
{
	if (t->st == ST_DONE)
		return -1;
	if (t->st == ST_START)
		return t->start;
	if (t->st == ST_RESOLVE || t->rto_due < 0 || t->rto_due > t->deadline)
		return t->deadline;
	return t->rto_due;
}

/* The resolver is done (or the eventfd woke us for nothing). */
static void
resolved(struct tftpc *t, long long now)
{
	struct tftpc_dns *q = t->dns;
	uint64_t v;
	int gai;

	if (read(q->efd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
		finish(t, TFTPC_SYS, "tftp: eventfd: %s", strerror(errno));
		return;
	}
	pthread_mutex_lock(&q->mu);
	if (!q->done) {
		pthread_mutex_unlock(&q->mu);
		return;
	}
	gai = q->gai;
	if (gai == 0) {
		memcpy(t->alt, q->addr, sizeof(t->alt));
		memcpy(t->altlen, q->addrlen, sizeof(t->altlen));
		t->n_alt = q->n;
		t->cur = 0;
		t->srv = t->alt[0];
		t->srvlen = t->altlen[0];
	}
	pthread_mutex_unlock(&q->mu);
	if (gai != 0) {
		finish(t, TFTPC_DNS, "tftp: %s: %s", t->host, gai_strerror(gai));
		return;
	}
	send_rrq(t, now);
}

/* The server's address refused the request (ICMP port unreachable):
 * before any answer, the name's next address gets the request. Returns 1
 * when it did (the old socket is gone). Otherwise the error queue is
 * emptied, so the socket does not stay readable. */
static int
refused(struct tftpc *t, long long now)
{
	char buf[256];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m;

	if (t->st == ST_FIRST && !t->have_tid && t->cur + 1 < t->n_alt) {
		close(t->fd);
		t->fd = -1;
		t->cur++;
		t->srv = t->alt[t->cur];
		t->srvlen = t->altlen[t->cur];
		send_rrq(t, now);
		return 1;
	}
	for (unsigned i = 0; i < TFTPC_ADDRS_MAX; i++) {
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = buf;
		m.msg_controllen = sizeof(buf);
		if (recvmsg(t->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
	}
	return 0;
}

void
tftpc_readable(struct tftpc *t, long long now_ms)
{
	if (t->st == ST_RESOLVE) {
		resolved(t, now_ms);
		return;
	}
	for (unsigned i = 0; i < TFTPC_BURST && (t->st == ST_FIRST || t->st == ST_DATA); i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n;

		memset(&from, 0, sizeof(from));
		n = recvfrom(t->fd, t->pkt, t->pktcap, MSG_TRUNC, (struct sockaddr *)&from,
			     &fromlen);
		if (n < 0) {
			if (errno == ECONNREFUSED && refused(t, now_ms))
				return;
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				finish(t, TFTPC_SYS, "tftp: recvfrom: %s", strerror(errno));
			return;
		}
		on_packet(t, t->pkt, (size_t)n < t->pktcap ? (size_t)n : t->pktcap,
			  (size_t)n > t->pktcap, &from, fromlen, now_ms);
	}
}

void
tftpc_timeout(struct tftpc *t, long long now_ms)
{
	if (t->st == ST_DONE)
		return;
	if (t->st == ST_START) {
		if (literal(t)) {
			send_rrq(t, now_ms);
		} else if (dns_start(t) == 0) {
			t->st = ST_RESOLVE;
		} else {
			finish(t, TFTPC_SYS, "tftp: cannot start the resolver");
		}
		return;
	}
	if (now_ms >= t->deadline) {
		if (t->st == ST_RESOLVE)
			finish(t, TFTPC_DNS, "tftp: %s: no answer from the resolver in time",
			       t->host);
		else
			finish(t, TFTPC_TIMEOUT, "tftp: out of time");
		return;
	}
	if (t->st == ST_RESOLVE || t->rto_due < 0 || now_ms < t->rto_due)
		return;
	if (t->tries == TFTPC_RETRIES) {
		finish(t, TFTPC_TIMEOUT, "tftp: no answer after %u retransmissions",
		       TFTPC_RETRIES);
		return;
	}
	t->tries++;
	t->rto = t->rto * 2 > TFTPC_RTO_MAX_MS ? TFTPC_RTO_MAX_MS : t->rto * 2;
	t->gap_acked = t->dup_acked = 0;
	if (t->wrq && t->st == ST_DATA)
		wrq_send_block(t, now_ms);
	else if (t->st == ST_DATA) /* ask for what is missing: after the last in order */
		send_ack(t, (uint16_t)(t->expect - 1), now_ms);
	else
		send_keep(t, t->out, t->outlen, now_ms);
}

struct tftpc_result *
tftpc_result(struct tftpc *t)
{
	return &t->res;
}

void
tftpc_free(struct tftpc *t)
{
	if (t == NULL)
		return;
	if (t->fd >= 0)
		close(t->fd);
	if (t->dns != NULL)
		dns_release(t->dns);
	if (t->res.body.p != NULL)
		OPENSSL_cleanse(t->res.body.p, t->res.body.alloc);
	buf_free(&t->res.body);
	if (t->put != NULL) /* a report may be a secret-bearing profile */
		OPENSSL_cleanse(t->put, t->putlen);
	free(t->put);
	free(t->pkt);
	free(t);
}
