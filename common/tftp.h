/*
 * tftp: the TFTP packet codec shared by the device's client (lib/tftpc.c)
 * and the server (server/tftpd.c). Pure functions over caller buffers: no
 * allocation, no I/O, no state. RFC 1350 (packets, modes), RFC 2347
 * (option extension, OACK), RFC 2348 (blksize), RFC 2349 (timeout, tsize),
 * RFC 7440 (windowsize).
 *
 * Every parser takes (bytes, length) exactly as received and validates all
 * of it: NUL-terminated strings inside the packet, option names and values
 * bounded, numbers in range. A refusal returns -1 and writes one short
 * reason into the caller's why buffer (suitable for an ERROR packet text
 * and for the log).
 */
#ifndef PROV_TFTP_H
#define PROV_TFTP_H

#include <stddef.h>
#include <stdint.h>

#define TFTP_PORT 69
#define TFTP_BLKSIZE_DEFAULT 512u
#define TFTP_BLKSIZE_MIN 8u         /* RFC 2348 */
#define TFTP_BLKSIZE_MAX 65464u     /* RFC 2348 */
#define TFTP_WINDOW_MIN 1u          /* RFC 7440 */
#define TFTP_WINDOW_MAX 65535u      /* RFC 7440 */
#define TFTP_TIMEOUT_MIN 1u         /* RFC 2349, seconds */
#define TFTP_TIMEOUT_MAX 255u       /* RFC 2349, seconds */
#define TFTP_FILENAME_MAX 255u      /* longest file name accepted in a request */
#define TFTP_OPTIONS_MAX 16u        /* options in one request; more is refused */
#define TFTP_OPTSTR_MAX 64u         /* longest option name or value */
#define TFTP_PACKET_MAX (4u + TFTP_BLKSIZE_MAX) /* largest packet either side */

enum tftp_op {
	TFTP_RRQ = 1, TFTP_WRQ = 2, TFTP_DATA = 3, TFTP_ACK = 4,
	TFTP_ERROR = 5, TFTP_OACK = 6,
};

/* RFC 1350 / RFC 2347 error codes. */
enum tftp_errcode {
	TFTP_EUNDEF = 0, TFTP_ENOTFOUND = 1, TFTP_EACCESS = 2, TFTP_ENOSPACE = 3,
	TFTP_EBADOP = 4, TFTP_EBADID = 5, TFTP_EEXISTS = 6, TFTP_ENOUSER = 7,
	TFTP_EOPTNEG = 8,
};

enum tftp_mode { TFTP_OCTET, TFTP_NETASCII };

/* The options of a request or an OACK. A field is 0 when the option was
 * absent; has_tsize tells tsize=0 (a request asking for the size) from no
 * tsize. Unknown options are skipped, as RFC 2347 requires. */
struct tftp_opts {
	unsigned blksize;   /* 0, or TFTP_BLKSIZE_MIN..TFTP_BLKSIZE_MAX */
	unsigned timeout;   /* 0, or TFTP_TIMEOUT_MIN..TFTP_TIMEOUT_MAX seconds */
	unsigned windowsize;/* 0, or TFTP_WINDOW_MIN..TFTP_WINDOW_MAX */
	int has_tsize;
	uint64_t tsize;
};

/* A parsed RRQ or WRQ. filename points into the caller's packet buffer
 * (borrowed: valid while that buffer is) and is NUL-terminated there. */
struct tftp_req {
	enum tftp_op op;    /* TFTP_RRQ or TFTP_WRQ */
	const char *filename;
	size_t filename_len;
	enum tftp_mode mode;
	struct tftp_opts opts;
};

/* The opcode of a packet, or 0 when it is shorter than 2 bytes or the
 * opcode is not 1..6. */
unsigned tftp_opcode(const uint8_t *pkt, size_t len);

/* Parses an RRQ/WRQ. Options out of range are refused (a server answers
 * TFTP_EOPTNEG); "mail" mode and unknown modes are refused. */
int tftp_parse_req(const uint8_t *pkt, size_t len, struct tftp_req *req,
		   char *why, size_t whylen) __attribute__((warn_unused_result));
/* The same, also telling which error code a server answers a refused
 * request with (code may be NULL): TFTP_EBADOP for a malformed packet
 * or mode, TFTP_EOPTNEG for well-formed options that cannot be accepted
 * (out of range, duplicate, too many). */
int tftp_parse_req_code(const uint8_t *pkt, size_t len, struct tftp_req *req,
			char *why, size_t whylen, enum tftp_errcode *code)
	__attribute__((warn_unused_result));

/* Parses an OACK (client side). Options the client did not ask for are
 * refused (RFC 2347: the server may not add options). asked is the set sent. */
int tftp_parse_oack(const uint8_t *pkt, size_t len, const struct tftp_opts *asked,
		    struct tftp_opts *got, char *why, size_t whylen)
	__attribute__((warn_unused_result));

/* DATA: block number and payload (points into pkt). ACK: block number.
 * ERROR: code and message (message copied, sanitised to printable ASCII,
 * into msg). Each returns 0, or -1 when the packet is malformed. */
int tftp_parse_data(const uint8_t *pkt, size_t len, uint16_t *block,
		    const uint8_t **data, size_t *datalen) __attribute__((warn_unused_result));
int tftp_parse_ack(const uint8_t *pkt, size_t len, uint16_t *block)
	__attribute__((warn_unused_result));
int tftp_parse_error(const uint8_t *pkt, size_t len, unsigned *code,
		     char *msg, size_t msglen) __attribute__((warn_unused_result));

/* Builders: write one packet into out (capacity cap) and return its
 * length, or 0 when it does not fit. */
size_t tftp_build_req(uint8_t *out, size_t cap, enum tftp_op op, const char *filename,
		      enum tftp_mode mode, const struct tftp_opts *opts);
size_t tftp_build_oack(uint8_t *out, size_t cap, const struct tftp_opts *opts);
size_t tftp_build_ack(uint8_t *out, size_t cap, uint16_t block);
/* The DATA header only (4 bytes); the caller reads the payload at out + 4. */
size_t tftp_build_data_hdr(uint8_t *out, size_t cap, uint16_t block);
size_t tftp_build_error(uint8_t *out, size_t cap, enum tftp_errcode code, const char *msg);

#endif
