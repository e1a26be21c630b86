/*
 * tftpd_int: what tftpd.c (the listening socket, requests, option
 * negotiation) and tftpd_xfer.c (the transfer engine: window, timers,
 * retransmission, uploads) share. Not for use outside server/tftpd*.c:
 * tftpd.h is the API. Everything runs on the worker's loop thread.
 */
#ifndef PROV_SERVER_TFTPD_INT_H
#define PROV_SERVER_TFTPD_INT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "root.h"
#include "store.h"
#include "tftp.h"
#include "tftpd.h"

#define TFTPD_REQ_MAX 4096u        /* largest request datagram read; bigger ones are refused
				      (the largest the codec accepts is about 2.4 KB) */
#define TFTPD_RECV_BURST 64u       /* datagrams read per readiness, so one busy socket
				      cannot hold the loop */
#define TFTPD_RTO_MAX_MS 60000u    /* the longest retransmission interval (unless the
				      negotiated timeout is longer) */
#define TFTPD_CTL_MAX 128u         /* an ACK or OACK kept for resending: 4 options fit */
#define TFTPD_CLIENT_MAX (INET6_ADDRSTRLEN + 10u) /* "[ADDR6]:PORT" */
#define TFTPD_CTRL_RECV 512u       /* a client's ERROR or ACK packet read during a RRQ */
#define TFTPD_BATCH_MAX 16u        /* DATA packets per sendmmsg(2) when a window is sent */
#define TFTPD_BATCH_BYTES 65536u   /* the worker's buffer for them (blocks that big or
				      bigger go one per send) */

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
	int report;              /* a report route's upload (reportd.h), in a memfd */
	int rep_cert;            /* its route requires a client certificate */
	char rep_mac[13];        /* the MAC its path names, "" when none */
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
	uint8_t batch[TFTPD_BATCH_BYTES]; /* a window's packets, or in octet mode its
					   * file bytes (tftpd_send_window) */
	uint8_t hdrs[TFTPD_BATCH_MAX][4]; /* octet mode: their DATA headers */
};

/* tftpd.c */

/* Records one answered request: metrics, history, the INFO log line.
 * status is 200, or 400 + the TFTP error code sent (or received). */
void tftpd_record(struct tftpd *t, const struct tftpd_who *w, int status, uint64_t bytes,
		  const char *reason);

/* tftpd_xfer.c */

/* Readiness of a transfer's socket (loop_fd callback, arg is the transfer). */
void tftpd_on_sock(void *arg, int fd, unsigned events);

/* Sets the transfer's timeout to now + the current rto. Returns 0, or -1
 * when no timer could be added. */
int tftpd_arm(struct tftpd_xfer *x);

/* Unlinks, closes (an upload not committed is removed) and frees. */
void tftpd_xfer_free(struct tftpd_xfer *x);

/* Sends an ERROR to the client (code < 0: none), records the transfer's
 * end unless already recorded, and frees it: the transfer's close with
 * its reason. */
void tftpd_end(struct tftpd_xfer *x, int code, const char *reason);

/* Sends the ACK or OACK kept in ctl. Returns 0, or -1 when the client is
 * gone. */
int tftpd_send_ctl(struct tftpd_xfer *x);

/* Sends blocks from `from` to the end of the window (or the last block).
 * Returns 0, or -1 with *why set. */
int tftpd_send_window(struct tftpd_xfer *x, uint64_t from, const char **why);

#endif
