/*
 * tftpd_pool: the worker's shared transfer sockets (tftpd_int.h; issue 17,
 * bench/README.md "Issue 17, TFTP").
 *
 * A lock-step RRQ (no windowsize, a blksize up to TFTPD_POOL_BLK_MAX) is
 * usually carried by a shared socket (tftpd_pool_pick): its datagrams
 * are read with those of the other transfers there by one recvmmsg, handed
 * to the transfer keyed by the sender's address and port (the demux
 * table), and what the transfers answer is gathered in the worker's out
 * queue and sent by one sendmmsg after the batch. A datagram from an
 * address and port with no transfer on that socket gets ERROR 5 (RFC
 * 1350), at most TFTPD_TIDERR_PER_S a second, and disturbs nothing; an
 * ERROR is never answered, nor a late datagram of a transfer that ended
 * there within TFTPD_TOMB_MS (a duplicated last ACK: a socket of its own
 * would have been closed, and said nothing either). ICMP errors come
 * from the socket's error queue (IP_RECVERR) with the client they were
 * about, whose transfer then ends as with a socket of its own ("client
 * gone"). Answers to ACKs are gathered per recvmmsg batch; a request's
 * first answer goes out at once (tftpd.c).
 *
 * Everything runs on the worker's loop thread.
 */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include "tftpd_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostport.h"
#include "log.h"
#include "loop.h"
#include "serve.h"
#include "tftp.h"

/* Whether a and b are the same address and port. */
static int
tftpd_same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return 0;
}

static socklen_t
tftpd_peer_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* FNV-1a over (socket, address, port), from a random seed: clients choose
 * their addresses and ports, and must not be able to pile transfers into
 * one chain. */
static uint32_t
tftpd_demux_hash(const struct tftpd *t, const struct tftpd_pool *p,
		 const struct sockaddr_storage *a)
{
	uint32_t h = 2166136261u ^ t->seed;
	const uint8_t *b;
	size_t n;
	uint16_t port;

	if (a->ss_family == AF_INET6) {
		b = (const uint8_t *)&((const struct sockaddr_in6 *)a)->sin6_addr;
		n = 16;
		port = ((const struct sockaddr_in6 *)a)->sin6_port;
	} else {
		b = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
		n = 4;
		port = ((const struct sockaddr_in *)a)->sin_port;
	}
	h = (h ^ (uint32_t)(p - t->pool)) * 16777619u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	h = (h ^ (port & 0xffu)) * 16777619u;
	h = (h ^ (uint32_t)(port >> 8)) * 16777619u;
	return h;
}

/* The compact key of peer on p, for a tomb. */
static void
tftpd_tomb_key(const struct tftpd *t, const struct tftpd_pool *p,
	       const struct sockaddr_storage *peer, struct tftpd_tomb *k)
{
	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)peer->ss_family;
	k->pool = (uint16_t)(p - t->pool);
	if (peer->ss_family == AF_INET6) {
		memcpy(k->addr, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
		k->port = ((const struct sockaddr_in6 *)peer)->sin6_port;
	} else {
		memcpy(k->addr, &((const struct sockaddr_in *)peer)->sin_addr, 4);
		k->port = ((const struct sockaddr_in *)peer)->sin_port;
	}
}

/* Remembers that x, on a shared socket, has ended. */
void
tftpd_tomb_add(struct tftpd_xfer *x)
{
	struct tftpd *t = x->t;
	struct tftpd_tomb *k = &t->tombs[tftpd_demux_hash(t, x->pool, &x->peer) % TFTPD_TOMBS];

	tftpd_tomb_key(t, x->pool, &x->peer, k);
	k->until = loop_now(t->srv->loop) + TFTPD_TOMB_MS;
}

/* Whether a transfer from peer ended on p within TFTPD_TOMB_MS. */
static int
tftpd_tomb_find(const struct tftpd *t, const struct tftpd_pool *p,
		const struct sockaddr_storage *peer)
{
	const struct tftpd_tomb *k = &t->tombs[tftpd_demux_hash(t, p, peer) % TFTPD_TOMBS];
	struct tftpd_tomb want;

	tftpd_tomb_key(t, p, peer, &want);
	return k->until > loop_now(t->srv->loop) && k->family == want.family &&
	    k->pool == want.pool && k->port == want.port &&
	    memcmp(k->addr, want.addr, sizeof(k->addr)) == 0;
}

struct tftpd_xfer *
tftpd_demux_find(const struct tftpd *t, const struct tftpd_pool *p,
		 const struct sockaddr_storage *peer)
{
	for (struct tftpd_xfer *x = t->demux[tftpd_demux_hash(t, p, peer) % TFTPD_DEMUX_BUCKETS];
	     x != NULL; x = x->hnext)
		if (x->pool == p && tftpd_same_peer(&x->peer, peer))
			return x;
	return NULL;
}

void
tftpd_demux_add(struct tftpd_xfer *x)
{
	unsigned h = tftpd_demux_hash(x->t, x->pool, &x->peer) % TFTPD_DEMUX_BUCKETS;

	x->hnext = x->t->demux[h];
	x->t->demux[h] = x;
}

void
tftpd_demux_del(struct tftpd_xfer *x)
{
	struct tftpd_xfer **pp =
	    &x->t->demux[tftpd_demux_hash(x->t, x->pool, &x->peer) % TFTPD_DEMUX_BUCKETS];

	while (*pp != NULL && *pp != x)
		pp = &(*pp)->hnext;
	if (*pp != NULL)
		*pp = x->hnext;
	x->hnext = NULL;
}

/* Reads a shared socket's error queue (IP_RECVERR): each ICMP error names
 * the client it was about, whose transfer, if any, is gone. */
static void
tftpd_pool_errq(struct tftpd_pool *p)
{
	for (unsigned i = 0; i < TFTPD_MMSG; i++) {
		union {
			struct cmsghdr align;
			uint8_t buf[CMSG_SPACE(sizeof(struct sock_extended_err) +
					       sizeof(struct sockaddr_in6))];
		} cbuf;
		struct sockaddr_storage dst;
		uint8_t data[64];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr mh;
		struct tftpd_xfer *x;
		int err = 0;

		memset(&mh, 0, sizeof(mh));
		memset(&dst, 0, sizeof(dst));
		mh.msg_name = &dst;
		mh.msg_namelen = sizeof(dst);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		if (recvmsg(p->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
			if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
			    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
				struct sock_extended_err ee;

				memcpy(&ee, CMSG_DATA(c), sizeof(ee));
				err = (int)ee.ee_errno;
			}
		}
		x = tftpd_demux_find(p->t, p, &dst);
		if (x != NULL && err != 0)
			tftpd_gone(x, err == ECONNREFUSED ? "client gone" : "receive error");
	}
}

/* Errors a socket reports for an earlier ICMP message (its sk_err). */
static int
tftpd_icmp_errno(int e)
{
	return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN ||
	    e == ENETDOWN || e == EPROTO || e == EMSGSIZE || e == ENOPROTOOPT;
}

/* sendmmsg on a transfer's socket. On a shared socket an ICMP error about
 * any of its clients fails the next call, which then sent nothing: the
 * error queue says whose, and the call is made once more. Returns what
 * sendmmsg returns. */
static int
tftpd_sendmmsg(struct tftpd_pool *p, int fd, struct mmsghdr *mm, unsigned n)
{
	int r = sendmmsg(fd, mm, n, MSG_DONTWAIT);

	if (r < 0 && p != NULL && tftpd_icmp_errno(errno)) {
		tftpd_pool_errq(p);
		r = sendmmsg(fd, mm, n, MSG_DONTWAIT);
	}
	return r;
}

void
tftpd_flush(struct tftpd *t)
{
	unsigned n = t->oq_n, done = 0;
	struct tftpd_pool *p = NULL;

	if (n == 0)
		return;
	for (unsigned i = 0; i < TFTPD_POOL_SLOTS; i++)
		if (t->pool[i].fd == t->oq_fd)
			p = &t->pool[i];
	/* A datagram the socket buffer has no room for is lost as the
	 * network would lose it: its transfer's timer sends it again. */
	while (done < n) {
		int r = tftpd_sendmmsg(p, t->oq_fd, t->oq_mm + done, n - done);

		if (r <= 0)
			break;
		done += (unsigned)r;
	}
	for (unsigned i = 0; i < n; i++)
		t->oq_x[i]->queued = 0;
	t->oq_n = 0;
	t->oq_fd = -1;
}

/* Sends one datagram of x: a then b (b may be empty). On a shared socket
 * it is queued while a batch is handled (defer), to go out with the
 * others in one sendmmsg; a and b must then stay as they are until
 * tftpd_flush (x->pkt, x->ctl and cached bytes do). Returns 0, or -1 when
 * the client is gone (a socket of its own told ECONNREFUSED). */
int
tftpd_xsend(struct tftpd_xfer *x, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
	    int defer)
{
	struct tftpd *t = x->t;
	struct mmsghdr one, *mm = &one;
	struct iovec iov2[2], *iov = iov2;

	if (x->pool == NULL) {
		struct msghdr mh;

		iov[0].iov_base = (void *)(uintptr_t)a;
		iov[0].iov_len = alen;
		iov[1].iov_base = (void *)(uintptr_t)b;
		iov[1].iov_len = blen;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = blen > 0 ? 2 : 1;
		if (sendmsg(x->sock, &mh, MSG_DONTWAIT) < 0 && errno == ECONNREFUSED)
			return -1;
		return 0;
	}
	if (x->queued || (t->oq_n > 0 && (t->oq_fd != x->pool->fd || t->oq_n == TFTPD_MMSG)))
		tftpd_flush(t);
	if (defer && t->deferring) {
		mm = &t->oq_mm[t->oq_n];
		iov = &t->oq_iov[2 * t->oq_n];
		t->oq_x[t->oq_n] = x;
		t->oq_fd = x->pool->fd;
		t->oq_n++;
		x->queued = 1;
	}
	iov[0].iov_base = (void *)(uintptr_t)a;
	iov[0].iov_len = alen;
	iov[1].iov_base = (void *)(uintptr_t)b;
	iov[1].iov_len = blen;
	memset(mm, 0, sizeof(*mm));
	mm->msg_hdr.msg_name = &x->peer;
	mm->msg_hdr.msg_namelen = tftpd_peer_len(&x->peer);
	mm->msg_hdr.msg_iov = iov;
	mm->msg_hdr.msg_iovlen = blen > 0 ? 2 : 1;
	if (mm == &one)
		(void)tftpd_sendmmsg(x->pool, x->pool->fd, mm, 1);
	return 0;
}

/* Whether a and b are the same local address (port ignored). */
static int
tftpd_same_local(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0 &&
		    ((const struct sockaddr_in6 *)a)->sin6_scope_id ==
		    ((const struct sockaddr_in6 *)b)->sin6_scope_id;
	return 0;
}

/* A shared socket for a lock-step RRQ from peer to local: the first one
 * of that address with room and no transfer from peer's port, or a new
 * one. NULL when none can be had (the transfer gets a socket of its own). */
struct tftpd_pool *
tftpd_pool_pick(struct tftpd *t, const struct sockaddr_storage *local,
		const struct sockaddr_storage *peer)
{
	struct tftpd_pool *p = NULL;
	int on = 1, s;

	for (unsigned i = 0; i < TFTPD_POOL_SLOTS; i++) {
		struct tftpd_pool *q = &t->pool[i];

		if (q->fd < 0) {
			if (p == NULL)
				p = q;
			continue;
		}
		if (q->retiring || q->live >= TFTPD_POOL_XFERS || !tftpd_same_local(&q->local, local) ||
		    tftpd_demux_find(t, q, peer) != NULL)
			continue;
		return q;
	}
	if (p == NULL)
		return NULL;
	s = socket(t->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return NULL;
	/* A broadcast or multicast destination cannot be bound: such a
	 * request gets a socket of its own. */
	if (bind(s, (const struct sockaddr *)local, tftpd_peer_len(local)) < 0)
		goto fail;
	/* ICMP errors about any client, read from the error queue: an
	 * unconnected socket reports none otherwise. */
	if (t->family == AF_INET6)
		(void)setsockopt(s, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on));
	(void)setsockopt(s, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
	p->t = t;
	p->fd = s;
	p->local = *local;
	p->live = 0;
	p->uses = 0;
	p->retiring = 0;
	if (loop_fd(t->srv->loop, s, LOOP_IN, tftpd_on_pool, p) < 0) {
		p->fd = -1;
		goto fail;
	}
	return p;
fail:
	close(s);
	return NULL;
}

/* A datagram on a shared socket from an address and port with no
 * transfer there: ERROR 5 (RFC 1350), which the transfers on the socket
 * never see. An ERROR is not answered (two servers would answer each
 * other forever), and the answers are bounded per second: a flood of
 * forged sources gets at most TFTPD_TIDERR_PER_S small packets. */
static void
tftpd_tid_error(struct tftpd *t, struct tftpd_pool *p, const uint8_t *pkt, size_t n,
		const struct sockaddr_storage *from)
{
	int64_t sec = loop_now(t->srv->loop) / 1000;
	uint8_t err[64];
	size_t len;

	if (tftp_opcode(pkt, n) == TFTP_ERROR || tftpd_tomb_find(t, p, from))
		return;
	if (sec != t->tiderr_at) {
		t->tiderr_at = sec;
		t->tiderr_n = 0;
	}
	if (t->tiderr_n >= TFTPD_TIDERR_PER_S)
		return;
	t->tiderr_n++;
	len = tftp_build_error(err, sizeof(err), TFTP_EBADID, "unknown transfer ID");
	if (len > 0 && sendto(p->fd, err, len, MSG_DONTWAIT, (const struct sockaddr *)from,
			      tftpd_peer_len(from)) < 0 && tftpd_icmp_errno(errno))
		tftpd_pool_errq(p);
	if (log_enabled(LOG_DEBUG)) {
		char who[TFTPD_CLIENT_MAX];

		hostport_format(from, who, sizeof(who));
		log_msg(LOG_DEBUG, "tftp: %s: datagram for no transfer on this port: ERROR 5",
			who);
	}
}

/* Readiness of a shared socket: one recvmmsg of up to TFTPD_MMSG
 * datagrams, each handed to its transfer; what they answer is queued and
 * goes out in one sendmmsg at the end. The loop is level-triggered: more
 * wakes it again. An empty read (EPOLLERR: only an ICMP error is
 * waiting) or a failed one reads the error queue. */
void
tftpd_on_pool(void *arg, int fd, unsigned events)
{
	struct tftpd_pool *p = arg;
	struct tftpd *t = p->t;
	struct mmsghdr mm[TFTPD_MMSG];
	struct iovec iov[TFTPD_MMSG];
	int n = -1;

	(void)events;
	for (int tries = 0; tries < 2 && n < 0; tries++) {
		for (unsigned i = 0; i < TFTPD_MMSG; i++) {
			iov[i].iov_base = t->rbuf[i];
			iov[i].iov_len = TFTPD_CTRL_RECV;
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_name = &t->rfrom[i];
			mm[i].msg_hdr.msg_namelen = sizeof(t->rfrom[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, mm, TFTPD_MMSG, MSG_DONTWAIT | MSG_TRUNC, NULL);
		if (n < 0 && errno == EINTR)
			return;
		if (n < 0)
			tftpd_pool_errq(p); /* then once more, if it was an ICMP error */
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
	}
	if (n <= 0)
		return;
	t->deferring = 1;
	for (int i = 0; i < n && p->fd == fd; i++) {
		const struct sockaddr_storage *from = &t->rfrom[i];
		struct tftpd_xfer *x;

		if (from->ss_family != AF_INET && from->ss_family != AF_INET6)
			continue;
		x = tftpd_demux_find(t, p, from);
		if (x == NULL) {
			size_t len = mm[i].msg_len < TFTPD_CTRL_RECV ? mm[i].msg_len : TFTPD_CTRL_RECV;

			tftpd_tid_error(t, p, t->rbuf[i], len, from);
			continue;
		}
		(void)tftpd_input(x, t->rbuf[i], mm[i].msg_len, TFTPD_CTRL_RECV);
	}
	t->deferring = 0;
	tftpd_flush(t);
}
