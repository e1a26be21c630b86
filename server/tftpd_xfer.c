/*
 * tftpd_xfer: the transfer engine of tftpd (tftpd_int.h): one accepted
 * request, RRQ or WRQ, from its first packet to its end.
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
 * A lock-step RRQ usually rides a shared socket: tftpd_pool.c reads its
 * datagrams, hands each to tftpd_input and sends what tftpd_xsend queued.
 *
 * Receiving (WRQ, only into the upload directory through
 * root_upload_open/commit, so never over a served file) acknowledges each
 * DATA block in order; the timer resends the last ACK (or OACK).
 */
#define _GNU_SOURCE /* sendmmsg */
#include "tftpd_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
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
#include "reportd.h"
#include "root.h"
#include "serve.h"
#include "store.h"
#include "tftp.h"

static void tftpd_on_timer(void *arg);

/* The client of a transfer on a shared socket went away (an ICMP error
 * about it): the transfer ends from its timer, now, and never in the
 * middle of a send or of a batch that may still use it. */
void
tftpd_gone(struct tftpd_xfer *x, const char *why)
{
	struct loop *l = x->t->srv->loop;
	uint64_t id;

	if (x->gone != NULL)
		return;
	x->gone = why;
	id = loop_timer_add(l, loop_now(l), tftpd_on_timer, x);
	if (id == 0)
		return; /* the pending timer ends it later */
	if (x->timer != 0)
		loop_timer_del(l, x->timer);
	x->timer = id;
	x->timer_at = loop_now(l);
}

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
int
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

void
tftpd_xfer_free(struct tftpd_xfer *x)
{
	struct tftpd *t = x->t;

	if (x->queued)
		tftpd_flush(t); /* the queue points into x */
	if (x->timer != 0)
		loop_timer_del(t->srv->loop, x->timer);
	if (x->sock >= 0) {
		loop_fd(t->srv->loop, x->sock, 0, NULL, NULL);
		close(x->sock);
	}
	if (x->pool != NULL) {
		struct tftpd_pool *p = x->pool;

		tftpd_demux_del(x);
		tftpd_tomb_add(x);
		p->live--;
		if (p->retiring && p->live == 0) {
			loop_fd(t->srv->loop, p->fd, 0, NULL, NULL);
			close(p->fd);
			p->fd = -1;
		}
	}
	tftpd_cache_put(&t->cache, x->ce);
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
void
tftpd_end(struct tftpd_xfer *x, int code, const char *reason)
{
	if (code >= 0) {
		uint8_t pkt[TFTPD_CTL_MAX + 64];
		size_t n = tftp_build_error(pkt, sizeof(pkt), (enum tftp_errcode)code, reason);

		if (n > 0)
			(void)tftpd_xsend(x, pkt, n, NULL, 0, 0);
	}
	if (x->state != TFTPD_DALLY)
		tftpd_record(x->t, &x->who, 400 + (code >= 0 ? code : TFTP_EUNDEF), x->bytes, reason);
	tftpd_xfer_free(x);
}

/* Sends the ACK or OACK kept in ctl. Returns 0, or -1 when the client is
 * gone (ICMP port unreachable reported on the connected socket). */
int
tftpd_send_ctl(struct tftpd_xfer *x)
{
	return tftpd_xsend(x, x->ctl, x->ctl_len, NULL, 0, 1);
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

/* Block b of len bytes, read from start up to after, has gone out: the
 * window moves on for a new block, a resent one is counted. */
static void
tftpd_block_sent(struct tftpd_xfer *x, struct metrics *m, uint64_t b, ssize_t len,
		 const struct tftpd_pos *start, const struct tftpd_pos *after)
{
	if ((size_t)len < x->blksize)
		x->last = b;
	if (b == x->next) {
		x->ring[b % x->window] = *start;
		x->npos = *after;
		x->next++;
		x->bytes += (uint64_t)len;
		METRIC_ADD(m->bytes_sent[METRICS_TFTP], (uint64_t)len);
	} else {
		METRIC_ADD(m->tftp_retransmits, 1);
	}
}

/* Sends block b (base <= b <= next). Returns 0, or -1 with *why set. */
static int
tftpd_send_block(struct tftpd_xfer *x, uint64_t b, const char **why)
{
	struct metrics *m = x->t->srv->metrics;
	struct tftpd_pos start, after;
	ssize_t len;

	const uint8_t *data = x->pkt + 4;

	if (x->queued)
		tftpd_flush(x->t); /* x->pkt is about to change */
	start = b == x->next ? x->npos : x->ring[b % x->window];
	if (x->ce != NULL) {
		/* cached (octet): the block is a slice of the file's bytes */
		uint64_t left = start.off < x->ce->size ? x->ce->size - start.off : 0;

		len = (ssize_t)(left < x->blksize ? left : x->blksize);
		data = x->ce->data + (left > 0 ? start.off : 0);
		after.off = start.off + (uint64_t)len;
		after.pend = -1;
	} else {
		len = tftpd_fill(x, &start, x->pkt + 4, &after);
	}
	if (len < 0) {
		*why = "read error";
		log_msg(LOG_DEBUG, "tftp: %s: pread: %s", x->who.client, strerror(errno));
		return -1;
	}
	tftp_build_data_hdr(x->pkt, x->pktcap, (uint16_t)b);
	/* A full socket buffer loses the block like the network would: the
	 * timer sends it again. */
	if (tftpd_xsend(x, x->pkt, 4, data, (size_t)len, 1) < 0) {
		*why = "client gone";
		return -1;
	}
	tftpd_block_sent(x, m, b, len, &start, &after);
	return 0;
}

/* Sends k octet DATA packets of a window (iov: header and payload of
 * each) as one UDP GSO send (UDP_SEGMENT, Linux 4.18): the stack handles
 * one buffer of k segments of 4 + blksize bytes and cuts it into the same
 * k datagrams at the end (the NIC, or the receiving socket on loopback),
 * instead of k trips through it. Only every packet but the last full can
 * be cut so. Returns 0 when sent (or lost to a full buffer, as the
 * network would lose it), -1 when the client is gone, 1 when it cannot be
 * sent so (the caller sends the packets one by one; a kernel, route or
 * device that refuses GSO, e.g. a segment over the path MTU, is not asked
 * again for this transfer). */
static int
tftpd_send_gso(struct tftpd_xfer *x, struct iovec *iov, unsigned k)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(uint16_t))];
	} cbuf;
	uint16_t seg = (uint16_t)(4 + x->blksize);
	struct msghdr mh;
	struct cmsghdr *c;

	if (x->nogso || x->sock < 0 || (size_t)seg * k > TFTPD_BATCH_BYTES)
		return 1;
	for (unsigned j = 0; j + 1 < k; j++)
		if (iov[2 * j + 1].iov_len != x->blksize)
			return 1;
	memset(&mh, 0, sizeof(mh));
	memset(&cbuf, 0, sizeof(cbuf));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2 * (size_t)k;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof(cbuf.buf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	if (sendmsg(x->sock, &mh, MSG_DONTWAIT) >= 0)
		return 0;
	if (errno == ECONNREFUSED)
		return -1;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR)
		return 0;
	log_msg(LOG_DEBUG, "tftp: %s: UDP GSO refused (%s): one send per block", x->who.client,
		strerror(errno));
	x->nogso = 1;
	return 1;
}

/* Sends blocks from `from` to the end of the window (or the last block).
 * With a window, up to TFTPD_BATCH_MAX blocks are read into the worker's
 * batch buffer and go out in one sendmmsg(2): a 16-block window costs 17
 * system calls instead of 32 (issue 17, bench/README.md). Each block's
 * bookkeeping is tftpd_send_block's; a packet the socket buffer has no
 * room for is lost as the network would lose it (the timer sends it
 * again), and a refused one ends the transfer, as there. */
int
tftpd_send_window(struct tftpd_xfer *x, uint64_t from, const char **why)
{
	struct metrics *m = x->t->srv->metrics;
	size_t slot = 4 + (size_t)x->blksize;
	size_t per = TFTPD_BATCH_BYTES / slot;
	uint64_t b = from;

	if (per > TFTPD_BATCH_MAX)
		per = TFTPD_BATCH_MAX;
	if (x->window == 1 || per < 2) {
		for (; b < x->base + x->window && (x->last == 0 || b <= x->last); b++)
			if (tftpd_send_block(x, b, why) < 0)
				return -1;
		return 0;
	}
	while (b < x->base + x->window && (x->last == 0 || b <= x->last)) {
		struct mmsghdr mm[TFTPD_BATCH_MAX];
		struct iovec iov[2 * TFTPD_BATCH_MAX];
		unsigned k = 0;
		size_t got = 0;

		const uint8_t *src = x->t->batch;

		if (x->mode == TFTP_OCTET) {
			/* Octet blocks are contiguous in the file (block b + 1
			 * starts where b ends): one pread for the batch, each
			 * block's payload a slice of it behind its header; a
			 * cached file's bytes are that slice already. */
			struct tftpd_pos first = b == x->next ? x->npos : x->ring[b % x->window];
			size_t want = 0;

			for (uint64_t c = b; want / x->blksize < per && c < x->base + x->window &&
			     (x->last == 0 || c <= x->last); c++)
				want += x->blksize;
			if (x->ce != NULL) {
				uint64_t left = first.off < x->ce->size ? x->ce->size - first.off : 0;

				got = (size_t)(left < want ? left : want);
				src = x->ce->data + (left > 0 ? first.off : 0);
			}
			while (x->ce == NULL && got < want) {
				ssize_t r = pread(x->fd, x->t->batch + got, want - got,
						  (off_t)(first.off + got));

				if (r < 0 && errno == EINTR)
					continue;
				if (r < 0) {
					*why = "read error";
					log_msg(LOG_DEBUG, "tftp: %s: pread: %s", x->who.client,
						strerror(errno));
					return -1;
				}
				if (r == 0)
					break;
				got += (size_t)r;
			}
		}
		while (k < per && b < x->base + x->window && (x->last == 0 || b <= x->last)) {
			uint8_t *pkt = x->t->batch + k * slot;
			struct tftpd_pos start, after;
			ssize_t len;

			start = b == x->next ? x->npos : x->ring[b % x->window];
			if (x->mode == TFTP_OCTET) {
				size_t at = (size_t)k * x->blksize;

				len = (ssize_t)(got > at ? got - at : 0);
				if ((size_t)len > x->blksize)
					len = (ssize_t)x->blksize;
				pkt = x->t->hdrs[k];
				after.off = start.off + (size_t)len;
				after.pend = -1;
				tftp_build_data_hdr(pkt, 4, (uint16_t)b);
				iov[2 * k].iov_base = pkt;
				iov[2 * k].iov_len = 4;
				iov[2 * k + 1].iov_base = (void *)(uintptr_t)(src + at);
				iov[2 * k + 1].iov_len = (size_t)len;
				memset(&mm[k], 0, sizeof(mm[k]));
				mm[k].msg_hdr.msg_iov = &iov[2 * k];
				mm[k].msg_hdr.msg_iovlen = 2;
				goto account;
			}
			len = tftpd_fill(x, &start, pkt + 4, &after);
			if (len < 0) {
				*why = "read error";
				log_msg(LOG_DEBUG, "tftp: %s: pread: %s", x->who.client,
					strerror(errno));
				return -1;
			}
			tftp_build_data_hdr(pkt, slot, (uint16_t)b);
			iov[2 * k].iov_base = pkt;
			iov[2 * k].iov_len = 4 + (size_t)len;
			memset(&mm[k], 0, sizeof(mm[k]));
			mm[k].msg_hdr.msg_iov = &iov[2 * k];
			mm[k].msg_hdr.msg_iovlen = 1;
account:
			tftpd_block_sent(x, m, b, len, &start, &after);
			k++;
			b++;
		}
		if (x->mode == TFTP_OCTET && k > 1) {
			int r = tftpd_send_gso(x, iov, k);

			if (r < 0) {
				*why = "client gone";
				return -1;
			}
			if (r == 0)
				continue;
		}
		if (sendmmsg(x->sock, mm, k, MSG_DONTWAIT) < 0 && errno == ECONNREFUSED) {
			*why = "client gone";
			return -1;
		}
	}
	return 0;
}

static void
tftpd_on_timer(void *arg)
{
	struct tftpd_xfer *x = arg;
	const char *why = "transfer timed out";
	struct loop *l = x->t->srv->loop;

	x->timer = 0;
	if (x->gone != NULL) {
		tftpd_end(x, -1, x->gone);
		return;
	}
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

/* The last block of a report is in: reportd_take decides, and the final
 * ACK goes out only when it was stored (else an ERROR saying why). Returns
 * 1 when the transfer ended, 0 when it dallies. */
static int
tftpd_report_done(struct tftpd_xfer *x)
{
	struct srv *srv = x->t->srv;
	struct sockaddr_storage local;
	socklen_t sl = sizeof(local);
	char ip[INET6_ADDRSTRLEN] = "", mac[13], why[REPORTD_WHY_MAX];
	struct reportd_in in;
	enum reportd_status st = REPORTD_FAIL;
	struct stat sb;
	char *body = NULL;
	size_t len = 0;
	int code;

	snprintf(why, sizeof(why), "report not read");
	mac[0] = '\0';
	if (fstat(x->fd, &sb) == 0 && (uint64_t)sb.st_size <= REPORTD_BODY_MAX &&
	    (body = malloc((size_t)sb.st_size + 1)) != NULL &&
	    pread(x->fd, body, (size_t)sb.st_size, 0) == (ssize_t)sb.st_size) {
		len = (size_t)sb.st_size;
		memset(&in, 0, sizeof(in));
		memset(&local, 0, sizeof(local));
		if (getsockname(x->sock, (struct sockaddr *)&local, &sl) == 0) {
			if (local.ss_family == AF_INET6) {
				const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&local;

				inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
			} else if (local.ss_family == AF_INET) {
				const struct sockaddr_in *s4 = (const struct sockaddr_in *)&local;

				inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
			}
		}
		/* TFTP has no port to give: $PORT stays as written, as render.c
		 * leaves it in a profile served over TFTP. */
		in.path_mac = x->rep_mac;
		in.need_cert = x->rep_cert;
		in.body = body;
		in.len = len;
		in.client = x->who.client;
		in.proto = "tftp";
		in.servip = ip[0] ? ip : NULL;
		in.port = NULL;
		in.time_ms = x->who.wall_ms;
		if (srv->reportd == NULL)
			srv->reportd = reportd_new(srv->cfg->db);
		if (srv->reportd != NULL)
			st = reportd_take(srv->reportd, &srv->inv, srv->cfg->routes,
					  srv->cfg->n_routes, &in, mac, why, sizeof(why));
	}
	free(body);
	close(x->fd);
	x->fd = -1;
	x->committed = 1;
	switch (st) {
	case REPORTD_OK:
		METRIC_ADD(srv->metrics->reports_stored, 1);
		log_msg(LOG_INFO, "tftp: %s: report of %s stored: %s", x->who.client, mac, why);
		break;
	case REPORTD_MISS: {
		unsigned char addr16[16];
		struct guard_limits gl = { srv->cfg->lim.enum_miss_burst,
					   srv->cfg->lim.enum_miss_rate,
					   srv->cfg->lim.enum_cooldown_s };

		METRIC_ADD(srv->metrics->reports_unknown, 1);
		guard_key_sa(&x->peer, addr16);
		guard_miss(srv->guard, addr16, loop_now(srv->loop), &gl, x->who.client);
		tftpd_end(x, TFTP_ENOTFOUND, "no such file");
		return 1;
	}
	default:
		code = st == REPORTD_REFUSED ? TFTP_EACCESS : st == REPORTD_BAD ? TFTP_EBADOP :
			TFTP_EUNDEF;
		if (st == REPORTD_REFUSED)
			METRIC_ADD(srv->metrics->reports_refused, 1);
		else if (st == REPORTD_BAD)
			METRIC_ADD(srv->metrics->reports_bad, 1);
		log_msg(st == REPORTD_FAIL ? LOG_ERR : LOG_NOTICE, "tftp: %s: report refused: %s",
			x->who.client, why);
		tftpd_end(x, code, st == REPORTD_BUSY ? "server busy" : why);
		return 1;
	}
	tftpd_record(x->t, &x->who, 200, x->bytes, NULL);
	x->state = TFTPD_DALLY;
	x->tries = 1;
	if (tftpd_send_ctl(x) < 0 || tftpd_arm(x) < 0) {
		tftpd_xfer_free(x);
		return 1;
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
	if (x->bytes + len > (x->report ? REPORTD_BODY_MAX : TFTPD_UPLOAD_MAX)) {
		if (x->report)
			METRIC_ADD(x->t->srv->metrics->reports_bad, 1);
		tftpd_end(x, TFTP_ENOSPACE, x->report ? "report too large" : "upload too large");
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
	if (x->report)
		return tftpd_report_done(x);
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

/* One datagram from the transfer's client, n bytes in buf (cap bytes
 * read at most: n > cap means it was longer). Returns 1 when the transfer
 * ended (x is freed). */
int
tftpd_input(struct tftpd_xfer *x, const uint8_t *buf, size_t n, size_t cap)
{
	char msg[128];
	unsigned code;
	uint16_t block;

	if (n > cap) {
		tftpd_end(x, TFTP_EBADOP, "packet too long");
		return 1;
	}
	switch (tftp_opcode(buf, n)) {
	case TFTP_ERROR:
		if (tftp_parse_error(buf, n, &code, msg, sizeof(msg)) < 0)
			snprintf(msg, sizeof(msg), "malformed ERROR");
		else if (x->state != TFTPD_DALLY)
			log_msg(LOG_DEBUG, "tftp: %s: client error %u: %s", x->who.client, code, msg);
		/* An ERROR ends the transfer and is never answered. */
		if (x->state == TFTPD_DALLY) {
			tftpd_xfer_free(x);
		} else {
			char why[160];

			snprintf(why, sizeof(why), "client sent error: %s", msg);
			tftpd_end(x, -1, why);
		}
		return 1;
	case TFTP_ACK:
		if (x->who.wrq || tftp_parse_ack(buf, n, &block) < 0) {
			tftpd_end(x, TFTP_EBADOP, "unexpected or malformed ACK");
			return 1;
		}
		return tftpd_on_ack(x, block);
	case TFTP_DATA:
		if (!x->who.wrq) {
			tftpd_end(x, TFTP_EBADOP, "DATA during a read");
			return 1;
		}
		return tftpd_on_data(x, buf, n);
	default:
		tftpd_end(x, TFTP_EBADOP, "illegal TFTP operation");
		return 1;
	}
}

/* Readiness of a transfer's socket of its own: every datagram comes from
 * its client (the socket is connected). */
void
tftpd_on_sock(void *arg, int fd, unsigned events)
{
	struct tftpd_xfer *x = arg;
	uint8_t small[TFTPD_CTRL_RECV];

	(void)events;
	for (unsigned i = 0; i < TFTPD_RECV_BURST; i++) {
		uint8_t *buf = x->who.wrq ? x->pkt : small;
		size_t cap = x->who.wrq ? x->pktcap : sizeof(small);
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
		if (tftpd_input(x, buf, (size_t)n, cap))
			return;
	}
}
