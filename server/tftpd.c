/*
 * tftpd: the TFTP server of `prov serve` (tftpd.h, S-NET-1, S-SEC-5,
 * reliability.md R-TFTP).
 *
 * The listening socket only takes requests. Each accepted request becomes
 * a struct tftpd_xfer whose datagrams leave from the address the request
 * arrived on (IP_PKTINFO / IPV6_PKTINFO) and a port of the server's (its
 * TID, RFC 1350) that is not the listening one:
 *   - a lock-step RRQ (no windowsize, blksize at most TFTPD_POOL_BLK_MAX)
 *     goes on a shared socket (tftpd_pool): bound to that address with a
 *     port of its own, not connected, carrying up to TFTPD_POOL_XFERS
 *     transfers told apart by the client's address and port. A client
 *     port never has two transfers on one shared socket: a second request
 *     from it takes another (or a socket of its own), so the client tells
 *     them apart by our port, as RFC 1350 wants. A shared socket is
 *     retired after TFTPD_POOL_USES transfers for one with a fresh port.
 *     What this saves is a socket's set-up and teardown per transfer
 *     (socket, bind, connect, two epoll_ctl, two close), and it lets one
 *     recvmmsg and one sendmmsg carry the datagrams of many transfers
 *     (tftpd_xfer.c);
 *   - any other (a WRQ, whose upload is better guarded by a port nobody
 *     saw before; a windowed RRQ, whose set-up is small against its
 *     blocks; one past the shared sockets' bounds, or to an address one
 *     cannot be bound to) gets a socket of its own, bound there with a
 *     fresh port and connect()ed to the client, so the kernel drops
 *     datagrams from any other TID.
 * Octet files up to TFTPD_CACHE_FILE_MAX are served from the worker's
 * cache (tftpd_cache.c) after root_open, which every request still does.
 *
 * What happens after, the transfer engine, is tftpd_xfer.c; what both
 * files share is tftpd_int.h.
 */
#define _GNU_SOURCE /* struct in6_pktinfo, IPV6_RECVPKTINFO */
#include "tftpd.h"
#include "tftpd_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "hostport.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "clock.h"
#include "guard.h"
#include "render.h"
#include "reportd.h"
#include "root.h"
#include "serve.h"
#include "store.h"
#include "tftp.h"

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
void
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
	int fd = -1, oack, rendered = 0;

	memset(&who, 0, sizeof(who));
	who.wall_ms = clock_wall_ms();
	who.t0_us = clock_mono_us();
	hostport_format(peer, who.client, sizeof(who.client));
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

	/* Over a cap the request is dropped, not refused (reliability.md
	 * R-LOAD): a phone told "server busy" counts a failed resync and waits
	 * Resync_Error_Retry_Delay (60 s, then 120 s, ...), while an unanswered
	 * RRQ is sent again within seconds (TFTPC_RTO_MS), by when a transfer
	 * may have ended. Counted as overload. */
	if (t->n_active >= cfg->lim.tftp_max_transfers ||
	    tftpd_per_client(t, peer) >= cfg->lim.tftp_max_per_client) {
		METRIC_ADD(t->srv->metrics->overload[METRICS_TFTP], 1);
		log_msg(LOG_DEBUG, "tftp: %s: %s: over the transfer caps, dropped (it is sent again)",
			who.client, who.path);
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
		else if (fd >= 0 && (rendered = 1))
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
	} else if (cfg->n_reports > 0 &&
		   reportd_match(cfg->reports, cfg->n_reports, req.filename, req.filename_len,
				 x->rep_mac, &x->rep_cert)) {
		/* A device report (reportd.h): kept in memory, taken at the end. */
		if (req.opts.has_tsize && req.opts.tsize > REPORTD_BODY_MAX) {
			METRIC_ADD(t->srv->metrics->reports_bad, 1);
			code = TFTP_ENOSPACE;
			msg = "report too large";
			goto refuse;
		}
		fd = memfd_create("report", MFD_CLOEXEC);
		if (fd < 0) {
			code = TFTP_EUNDEF;
			msg = "out of memory";
			goto refuse;
		}
		x->report = 1;
		x->tmpname[0] = '\0';
		memcpy(x->name, req.filename, req.filename_len);
		x->name[req.filename_len] = '\0';
		x->expect = 1;
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
	/* A file of the root (not a rendered one) in octet mode: from the
	 * cache when it may be, and its fd is not needed any more. */
	if (req.op == TFTP_RRQ && req.mode == TFTP_OCTET && rendered == 0) {
		x->ce = tftpd_cache_get(&t->cache, req.filename, req.filename_len, x->fd, &st,
					who.wall_ms / 1000);
		if (x->ce != NULL) {
			close(x->fd);
			x->fd = -1;
		}
	}

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
	if (req.op == TFTP_RRQ && x->window == 1 && x->blksize <= TFTPD_POOL_BLK_MAX)
		x->pool = tftpd_pool_pick(t, local, peer);
	if (x->pool != NULL) {
		/* nothing can fail from here to the transfer being live */
		x->pool->live++;
		if (++x->pool->uses >= TFTPD_POOL_USES)
			x->pool->retiring = 1;
		tftpd_demux_add(x);
	} else {
		x->sock = tftpd_xfer_socket(t, local, peer);
		if (x->sock < 0) {
			log_msg(LOG_DEBUG, "tftp: %s: transfer socket: %s", who.client,
				strerror(errno));
			code = TFTP_EUNDEF;
			msg = "no socket";
			goto refuse;
		}
		if (loop_fd(t->srv->loop, x->sock, LOOP_IN, tftpd_on_sock, x) < 0) {
			code = TFTP_EUNDEF;
			msg = "out of memory";
			goto refuse;
		}
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
	tftpd_cache_put(&t->cache, x->ce);
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

/* Readiness of the listening socket: requests are read TFTPD_REQ_BATCH
 * at a time with recvmmsg, at most TFTPD_RECV_BURST per readiness; a batch
 * that comes back short means the queue is empty, so no call is spent on
 * EAGAIN. */
static void
tftpd_on_listen(void *arg, int fd, unsigned events)
{
	struct tftpd *t = arg;
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			    CMSG_SPACE(sizeof(struct in_pktinfo))];
	} cbuf[TFTPD_REQ_BATCH];
	struct sockaddr_storage peer[TFTPD_REQ_BATCH];
	struct iovec iov[TFTPD_REQ_BATCH];
	struct mmsghdr mm[TFTPD_REQ_BATCH];

	(void)events;
	/* Each request's first answer (OACK or DATA 1) goes out at once, not
	 * gathered to the end of the burst: under a boot storm the client's
	 * ACK then comes back, and frees its transfer's slot, while the rest
	 * of the burst is read, as before shared sockets (over the caps a
	 * request is dropped, so a slot freed later is a phone more sent
	 * into its backoff: tests/cli/fleet.t). */
	for (unsigned got = 0; got < TFTPD_RECV_BURST && !t->draining;) {
		int n;

		for (unsigned i = 0; i < TFTPD_REQ_BATCH; i++) {
			iov[i].iov_base = t->req[i];
			iov[i].iov_len = TFTPD_REQ_MAX;
			memset(&mm[i], 0, sizeof(mm[i]));
			memset(&peer[i], 0, sizeof(peer[i]));
			mm[i].msg_hdr.msg_name = &peer[i];
			mm[i].msg_hdr.msg_namelen = sizeof(peer[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = cbuf[i].buf;
			mm[i].msg_hdr.msg_controllen = sizeof(cbuf[i].buf);
		}
		n = recvmmsg(fd, mm, TFTPD_REQ_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			got++; /* a transient error: the burst bounds the retries */
			continue;
		}
		for (int i = 0; i < n && !t->draining; i++) {
			struct sockaddr_storage local;

			if (peer[i].ss_family != AF_INET && peer[i].ss_family != AF_INET6)
				continue;
			tftpd_local(t, &mm[i].msg_hdr, &local);
			tftpd_request(t, t->req[i], mm[i].msg_len,
				      (mm[i].msg_hdr.msg_flags & MSG_TRUNC) != 0, &peer[i], &local);
		}
		got += (unsigned)n;
		if (n < (int)TFTPD_REQ_BATCH)
			break;
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
	t->oq_fd = -1;
	for (unsigned i = 0; i < TFTPD_POOL_SLOTS; i++)
		t->pool[i].fd = -1;
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != (ssize_t)sizeof(t->seed))
		t->seed = (uint32_t)clock_mono_us();
	tftpd_cache_init(&t->cache, TFTPD_CACHE_BYTES, TFTPD_CACHE_FILE_MAX, TFTPD_CACHE_SETTLE_S);
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
	for (unsigned i = 0; i < TFTPD_POOL_SLOTS; i++) {
		if (t->pool[i].fd >= 0) {
			loop_fd(t->srv->loop, t->pool[i].fd, 0, NULL, NULL);
			close(t->pool[i].fd);
		}
	}
	tftpd_cache_fini(&t->cache);
	free(t);
}
