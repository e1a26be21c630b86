/*
 * tftpd: the TFTP server (S-NET-1): RFC 1350 RRQ (octet, netascii) and WRQ
 * into the upload directory only, RFC 2347 option negotiation, RFC 2348
 * blksize, RFC 2349 timeout and tsize, RFC 7440 windowsize, block-number
 * rollover past 65,535 blocks, retransmission with exponential backoff and
 * a retry bound, no Sorcerer's Apprentice (RFC 1123 4.2.3.1: a duplicate
 * ACK never causes a second transmission of the window). Every transfer
 * is a small state (a socket, the file or its cached bytes, offset,
 * window, one timer) on the worker's loop. A lock-step RRQ shares one of
 * the worker's transfer sockets (its port is the transfer's TID) with
 * other clients' transfers, told apart by the client's address and port;
 * a datagram from an unknown TID there gets ERROR 5 (RFC 1350) and
 * disturbs nothing. A WRQ or a windowed RRQ has its own socket, connected
 * to the client, so the kernel drops another TID's datagrams. Small octet
 * files are served from a per-worker cache that a change to the file
 * invalidates (tftpd_cache.c). Caps on transfers per worker and per
 * client address (S-SEC-5); over a cap the request is dropped
 * unanswered, so the client sends it again within seconds instead of
 * entering its long error-retry delay (reliability.md R-LOAD). IPv4 and
 * IPv6.
 * A requested timeout above tftp-max-timeout-s is left out of the OACK
 * (RFC 2349 lets a server drop an option, not change its value), and no
 * transfer lives longer than tftp-max-transfer-ms (then ERROR 0 "transfer
 * took too long"), so no datagram holds a slot for long.
 *
 * Each finished transfer (complete, failed or abandoned) and each refused
 * request is recorded in the history (store_request: status 200, or 400 +
 * the TFTP error code) and the metrics (requests, bytes_sent counting each
 * payload byte once, retransmissions in tftp_retransmits, abandoned
 * transfers in tftp_timeouts, overload). The end of each is logged at
 * LOG_INFO, everything else at LOG_DEBUG.
 */
#ifndef PROV_SERVER_TFTPD_H
#define PROV_SERVER_TFTPD_H

#define TFTPD_UPLOAD_MAX (16u * 1024u * 1024u) /* largest WRQ upload (device reports);
						  more is refused with ERROR 3 */

struct srv;
struct tftpd;

/* Starts serving requests arriving on fd (a bound UDP socket, either
 * family, that the caller owns and keeps open until tftpd_free; its
 * IP_PKTINFO / IPV6_RECVPKTINFO option is turned on, so that transfers
 * answer from the address a request was sent to). srv->loop, srv->cfg and
 * srv->metrics must be set; srv->store may be NULL. Returns 0, or -1 with
 * errno. */
int tftpd_new(struct tftpd **out, struct srv *srv, int fd) __attribute__((warn_unused_result));

/* Stops taking new requests (SIGTERM); transfers in flight continue. */
void tftpd_drain(struct tftpd *t);

/* Transfers in flight. */
unsigned tftpd_active(const struct tftpd *t);

/* Aborts every transfer and frees. NULL-safe. */
void tftpd_free(struct tftpd *t);

#endif
