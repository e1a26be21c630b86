/*
 * tftpc: the device's TFTP client, reading (RRQ) and, for reports
 * (device.md D-REP-1), writing (WRQ). RFC 1350 (the protocol), RFC 2347
 * (options, OACK), RFC 2348 (blksize), RFC 2349 (timeout, tsize), RFC 7440
 * (windowsize); device.md D-NET-1, D-NET-4. libcurl's TFTP has no
 * windowsize, hence this client; fetch.c runs it for tftp:// URLs.
 *
 * Loop-agnostic, like fetch.c's use of libcurl: a transfer owns at most
 * one fd (the resolver's eventfd while a host name resolves, then its UDP
 * socket) and one deadline, and the host watches them. After every tftpc_*
 * call the host reads tftpc_fd() (watch it for reading; -1: none) and
 * tftpc_due() (call tftpc_timeout at that monotonic millisecond; -1:
 * never), and calls tftpc_readable when the fd is readable. Time is passed
 * in, never read, so tests drive retransmission without waiting. Nothing
 * blocks: the socket is non-blocking, and a host name resolves in a
 * detached thread (getaddrinfo), which a transfer freed early leaves to
 * finish and clean up on its own (as libcurl's threaded resolver does).
 * Every address of the name is kept (up to TFTPC_ADDRS_MAX): the request
 * goes to the first, and when that one refuses it (ICMP port unreachable,
 * as ::1 does where "localhost" is ::1 and 127.0.0.1 and the server
 * listens on 127.0.0.1 only) before any answer, to the next.
 *
 * What a transfer does: one RRQ in octet mode asking for blksize (when
 * given), tsize=0, timeout (TFTPC_SERVER_TIMEOUT_S) and windowsize (when
 * over 1); it takes an OACK (refusing options it did not ask for, and a
 * tsize over max_body before any data) or DATA 1 from a server without
 * options; the first answer (OACK, DATA 1 or ERROR, from the server's
 * host) fixes the server's TID, and packets from any other TID are
 * answered ERROR 5 and ignored. Data is acknowledged once per window
 * (the window's last block, or the last in-order block when a gap shows a
 * loss); a block already acknowledged (the server repeating a window
 * whose ACK was lost) gets the ACK again, once. With no progress for
 * TFTPC_RTO_MS (doubling up to TFTPC_RTO_MAX_MS) the RRQ, or the ACK of
 * the last in-order block, is sent again, at most TFTPC_RETRIES times in
 * a row; block numbers roll over from 65535 to 0; the body is capped at
 * max_body. There is no dallying after the last ACK: if it is lost, the
 * server times out on its own.
 *
 * Writing (req.put set): one WRQ in octet mode asking for blksize (when
 * given), tsize (the length sent) and timeout, never windowsize (servers
 * acknowledge uploads block by block); an OACK or ACK 0 fixes the TID as
 * above, then DATA blocks go out one at a time, each sent again on
 * TFTPC_RTO_MS as above until its ACK comes; an ACK for an older block is
 * ignored (no Sorcerer's Apprentice resend). A length that is a multiple
 * of the block size ends with an empty block. The transfer is TFTPC_OK
 * when the last block is acknowledged.
 *
 * Threading: a transfer is used by one thread at a time.
 */
#ifndef PROV_TFTPC_H
#define PROV_TFTPC_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "diag.h"

#define TFTPC_WINDOWSIZE 8u        /* windowsize asked for when the caller gives 0:
				    * 8 x 1428 bytes stays under a default socket
				    * buffer and gets most of the gain (RFC 7440 s. 5) */
#define TFTPC_SERVER_TIMEOUT_S 1u  /* RFC 2349 timeout asked for: the server's
				    * retransmission interval, seconds */
#define TFTPC_RTO_MS 1000L         /* first wait before sending again */
#define TFTPC_RTO_MAX_MS 4000L     /* the wait doubles up to this */
#define TFTPC_RETRIES 6u           /* sends again in a row without progress */
#define TFTPC_BURST 64u            /* datagrams read per tftpc_readable call */
#define TFTPC_ERRMSG 64u           /* bytes kept of a server's error text, NUL included */
#define TFTPC_PUT_MAX (16L * 1024 * 1024) /* largest WRQ payload: 65535 blocks
				    * of 512 would be 32 MiB; a report is far less */
#define TFTPC_RCVBUF_MAX (4L * 1024 * 1024) /* socket buffer asked for, at most */
#define TFTPC_REQ_MAX 512u               /* an RRQ: 2 + 256 name + mode + 4 options */
#define TFTPC_SKB_OVERHEAD 1024L         /* what the kernel charges a datagram
					  * beyond its payload, about */
#define TFTPC_ADDRS_MAX 4u               /* addresses of a host name tried in turn */

enum tftpc_status {
	TFTPC_RUNNING = 0,
	TFTPC_OK,
	TFTPC_NOTFOUND,  /* ERROR 1 */
	TFTPC_ERROR,     /* any other ERROR packet: code and msg say which */
	TFTPC_TIMEOUT,   /* no answer, or no progress, in time */
	TFTPC_DNS,       /* the host name did not resolve (in time) */
	TFTPC_TOOBIG,    /* tsize or the data over max_body */
	TFTPC_PROTO,     /* the server broke the protocol (detail says how) */
	TFTPC_SYS        /* socket or thread failure, out of memory */
};

struct tftpc_req {
	const char *host;     /* name or address (IPv6 without brackets) */
	unsigned port;        /* 0: 69 */
	const char *file;     /* the file name to ask for, as sent (1..255 bytes) */
	unsigned blksize;     /* RFC 2348 blksize to ask for; 0: none (512) */
	unsigned windowsize;  /* RFC 7440; 0: TFTPC_WINDOWSIZE; 1: none (lockstep) */
	size_t max_body;      /* larger files fail: TFTPC_TOOBIG (must be > 0) */
	long timeout_ms;      /* the whole transfer, name resolution included */
	const void *put;      /* not NULL: write these putlen bytes (WRQ), copied
			       * at start; max_body then only bounds replies */
	size_t putlen;        /* at most TFTPC_PUT_MAX */
	/* Called once, when the socket is opened, with the server's address
	 * and port (where the RRQ goes). May be NULL. Must not call tftpc. */
	void (*on_connect)(void *arg, const char *ip, unsigned port);
	void *arg;
};

struct tftpc_result {
	enum tftpc_status status;
	unsigned code;            /* TFTPC_ERROR/NOTFOUND: the server's code */
	char msg[TFTPC_ERRMSG];   /* its text, printable ASCII ("" if none) */
	char detail[160];         /* what went wrong, for debug logs; "" */
	struct buf body;          /* the file; owned by the transfer */
	unsigned blksize;         /* acknowledged in the OACK; 0: none (512) */
	unsigned windowsize;      /* acknowledged; 0: none (1) */
	char ip[64];              /* the server's address ("" before resolution) */
	unsigned port;            /* the port the RRQ went to */
};

struct tftpc;

/* Starts a transfer: nothing is sent and no callback runs before the first
 * tftpc_timeout, which is due at once. Fails with PROV_E_INVAL (no host,
 * no file or one over 255 bytes, blksize outside 8..65464, max_body 0) or
 * PROV_E_NOMEM, with d saying why. */
enum prov_err tftpc_start(const struct tftpc_req *req, long long now_ms,
			  struct tftpc **out, struct diag *d) PROV_WUR;

int tftpc_fd(const struct tftpc *t);
long long tftpc_due(const struct tftpc *t);
void tftpc_readable(struct tftpc *t, long long now_ms);
void tftpc_timeout(struct tftpc *t, long long now_ms);

/* The outcome so far: status TFTPC_RUNNING until the transfer ends; then
 * fd and due are -1 and nothing changes any more. The body may be taken
 * (buf_take) once the transfer ended. Borrowed until tftpc_free. */
struct tftpc_result *tftpc_result(struct tftpc *t);

/* Closes the socket and frees (NULL-safe); a resolver still running
 * finishes on its own. Wipes the body (a profile holds passwords). */
void tftpc_free(struct tftpc *t);

#ifdef PROV_UNITTEST
struct addrinfo;
/* Replaces getaddrinfo for host names (NULL: getaddrinfo again). */
void tftpc_set_resolver(int (*gai)(const char *, const char *, const struct addrinfo *,
				   struct addrinfo **));
#endif

#endif
