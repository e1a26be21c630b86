/*
 * tftpd_int: what tftpd.c (the listening socket, requests, option
 * negotiation), tftpd_xfer.c (the transfer engine: window, timers,
 * retransmission, uploads), tftpd_pool.c (the shared transfer sockets)
 * and tftpd_cache.c share. Not for use outside server/tftpd*.c
 * (which define _GNU_SOURCE first, for struct mmsghdr):
 * tftpd.h is the API. Everything runs on the worker's loop thread.
 */
#ifndef PROV_SERVER_TFTPD_INT_H
#define PROV_SERVER_TFTPD_INT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "root.h"
#include "store.h"
#include "tftp.h"
#include "tftpd.h"

#define TFTPD_REQ_MAX 4096u        /* largest request datagram read; bigger ones are refused
				      (the largest the codec accepts is about 2.4 KB) */
#define TFTPD_RECV_BURST 64u       /* datagrams read per readiness, so one busy socket
				      cannot hold the loop */
#define TFTPD_REQ_BATCH 16u        /* requests per recvmmsg on the listening socket */
#define TFTPD_RTO_MAX_MS 60000u    /* the longest retransmission interval (unless the
				      negotiated timeout is longer) */
#define TFTPD_CTL_MAX 128u         /* an ACK or OACK kept for resending: 4 options fit */
#define TFTPD_CLIENT_MAX (INET6_ADDRSTRLEN + 10u) /* "[ADDR6]:PORT" */
#define TFTPD_CTRL_RECV 512u       /* a client's ERROR or ACK packet read during a RRQ */
#define TFTPD_BATCH_MAX 16u        /* DATA packets per sendmmsg(2) when a window is sent */
#define TFTPD_BATCH_BYTES 65536u   /* the worker's buffer for them (blocks that big or
				      bigger go one per send) */
#define TFTPD_POOL_SLOTS 128u      /* shared transfer sockets per worker, over every
				      local address; past them a transfer gets a socket
				      of its own, as a WRQ or windowed RRQ always does */
#define TFTPD_POOL_XFERS 32u       /* transfers at once on one shared socket: with one
				      block in flight each, its buffers hold them all */
#define TFTPD_POOL_BLK_MAX 1468u   /* largest blksize a shared socket carries (an
				      Ethernet frame) */
#define TFTPD_POOL_USES 4096u      /* transfers a shared socket takes before it is
				      retired for one with a fresh port */
#define TFTPD_DEMUX_BUCKETS 4096u  /* hash buckets of the shared sockets' transfers,
				      keyed by (socket, client address, client port) */
#define TFTPD_MMSG 64u             /* datagrams per recvmmsg/sendmmsg on a shared socket */
#define TFTPD_TOMBS 1024u          /* recently ended transfers on shared sockets kept
				      (direct-mapped): their late datagrams (a
				      duplicated last ACK) are dropped, not answered
				      with ERROR 5 */
#define TFTPD_TOMB_MS 5000         /* how long an ended transfer is kept so */
#define TFTPD_TIDERR_PER_S 64u     /* ERROR 5 (unknown transfer ID) answers per second
				      and worker; more unknown datagrams are dropped */
#define TFTPD_CACHE_BYTES (8u * 1024u * 1024u) /* file bytes cached per worker */
#define TFTPD_CACHE_FILE_MAX (1024u * 1024u)   /* largest file cached */
#define TFTPD_CACHE_ENTRIES 64u    /* files cached per worker */
#define TFTPD_CACHE_SETTLE_S 2     /* a file modified (mtime or ctime) less than this
				      long ago is served from disk, not cached: a
				      write within the same timestamp tick would
				      otherwise go unseen */

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

/* A file's bytes, shared by the transfers of it (tftpd_cache.c). */
struct tftpd_centry {
	char path[STORE_FIELD_MAX]; /* the request's name, as given */
	size_t pathlen;
	dev_t dev;
	ino_t ino;
	uint64_t size;
	struct timespec mtim, ctim;
	uint8_t *data;           /* size bytes */
	unsigned refs;           /* transfers reading it */
	int linked;              /* in the table (else freed with its last reference) */
	uint64_t used;           /* last use, for LRU eviction */
};

struct tftpd_cache {
	struct tftpd_centry *e[TFTPD_CACHE_ENTRIES]; /* the table, NULL slots free */
	size_t bytes;            /* data of every entry alive, in the table or not */
	size_t max_bytes, max_file; /* the bounds (TFTPD_CACHE_*; tests lower them) */
	int settle_s;
	uint64_t tick;
	uint64_t hits, misses;   /* for the tests and the bench */
};

/* A transfer that ended on a shared socket, for TFTPD_TOMB_MS. */
struct tftpd_tomb {
	int64_t until;           /* loop ms; 0: empty */
	uint8_t addr[16];        /* the client's address (IPv4: the first 4 bytes) */
	uint16_t port;           /* and port, network order */
	uint16_t pool;           /* the shared socket's slot */
	uint8_t family;
};

/* A shared transfer socket: bound to one local address with a port of its
 * own (the server's TID of every transfer on it), not connected; its
 * datagrams go to the transfer keyed by the sender's address and port. */
struct tftpd_pool {
	struct tftpd *t;
	int fd;                  /* -1: slot free */
	struct sockaddr_storage local;
	unsigned live;           /* transfers on it */
	unsigned uses;           /* transfers it has taken */
	int retiring;            /* takes no more; closed with its last transfer */
};

struct tftpd_xfer {
	struct tftpd *t;
	struct tftpd_xfer *lprev, *lnext; /* the worker's list of transfers */
	struct tftpd_xfer *hnext; /* the demux bucket's chain (pooled transfers) */
	struct tftpd_who who;
	struct sockaddr_storage peer;
	struct tftpd_pool *pool; /* the shared socket carrying the transfer, or NULL */
	int sock;                /* without a pool: connected to the client, our TID */
	int queued;              /* a datagram of ours waits in the worker's out queue */
	int nogso;               /* UDP GSO refused once: windows go out by sendmmsg */
	const char *gone;        /* the client went away (ICMP): why, ended by the timer */
	struct tftpd_centry *ce; /* the file's bytes when cached (octet RRQ), else NULL */
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
	struct tftpd_pool pool[TFTPD_POOL_SLOTS];
	uint32_t seed;           /* of the demux hash, random per worker */
	struct tftpd_xfer *demux[TFTPD_DEMUX_BUCKETS];
	struct tftpd_tomb tombs[TFTPD_TOMBS];
	int64_t tiderr_at;       /* the second (loop ms / 1000) tiderr_n counts */
	unsigned tiderr_n;
	struct tftpd_cache cache;
	/* Datagrams read from a shared socket in one recvmmsg. */
	uint8_t rbuf[TFTPD_MMSG][TFTPD_CTRL_RECV];
	struct sockaddr_storage rfrom[TFTPD_MMSG];
	/* The out queue: single datagrams of transfers on one shared socket
	 * (oq_fd), gathered while a recvmmsg batch is handled and sent in one
	 * sendmmsg after it (tftpd_flush). */
	int deferring;
	int oq_fd;
	unsigned oq_n;
	struct mmsghdr oq_mm[TFTPD_MMSG];
	struct iovec oq_iov[2 * TFTPD_MMSG];
	struct tftpd_xfer *oq_x[TFTPD_MMSG];
	uint8_t req[TFTPD_REQ_BATCH][TFTPD_REQ_MAX];
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

/* tftpd_pool.c */

/* A shared socket for a lock-step RRQ from peer to local (the first of
 * that address with room and no transfer from peer's port, or a new one),
 * or NULL: the transfer then gets a socket of its own. */
struct tftpd_pool *tftpd_pool_pick(struct tftpd *t, const struct sockaddr_storage *local,
				   const struct sockaddr_storage *peer);

/* Readiness of a shared socket (loop_fd callback, arg is the pool slot). */
void tftpd_on_pool(void *arg, int fd, unsigned events);

/* The transfer on pool p from peer, or NULL. */
struct tftpd_xfer *tftpd_demux_find(const struct tftpd *t, const struct tftpd_pool *p,
				    const struct sockaddr_storage *peer);

/* Adds x (x->pool and x->peer set) to the demux table / takes it out. */
void tftpd_demux_add(struct tftpd_xfer *x);
void tftpd_demux_del(struct tftpd_xfer *x);

/* Remembers that x, on a shared socket, has ended (TFTPD_TOMB_MS). */
void tftpd_tomb_add(struct tftpd_xfer *x);

/* Sends what the out queue holds. */
void tftpd_flush(struct tftpd *t);

/* Sends one datagram of x: a then b (b may be empty); on a shared socket
 * queued while a batch is handled (defer), a and b then unchanged until
 * tftpd_flush. Returns 0, or -1 when the client is gone (a socket of its
 * own told ECONNREFUSED). */
int tftpd_xsend(struct tftpd_xfer *x, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
		int defer);

/* tftpd_xfer.c, for tftpd_pool.c */

/* One datagram from x's client (n > cap: it was longer than read).
 * Returns 1 when the transfer ended (x is freed). */
int tftpd_input(struct tftpd_xfer *x, const uint8_t *buf, size_t n, size_t cap);

/* x's client went away (an ICMP error about it): ends from its timer. */
void tftpd_gone(struct tftpd_xfer *x, const char *why);

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

/* tftpd_cache.c: the worker's cache of small files (octet RRQs). */

/* Sets the bounds (TFTPD_CACHE_* by default). */
void tftpd_cache_init(struct tftpd_cache *c, size_t max_bytes, size_t max_file, int settle_s);

/* The cached bytes of the file open as fd (fstat()ed into st, named path
 * in the request), with a reference the caller drops with
 * tftpd_cache_put; reads and inserts the file when it may be cached.
 * NULL when it is not cached (too big, changed too recently, over the
 * bounds, a read error): serve it from fd. now_s: the wall clock, seconds. */
struct tftpd_centry *tftpd_cache_get(struct tftpd_cache *c, const char *path, size_t pathlen,
				     int fd, const struct stat *st, int64_t now_s);
void tftpd_cache_put(struct tftpd_cache *c, struct tftpd_centry *e);

/* Frees every entry not referenced (at shutdown: all of them). */
void tftpd_cache_fini(struct tftpd_cache *c);

#endif
