/*
 * tftp: the TFTP packet codec (RFC 1350, RFC 2347-2349, RFC 7440).
 *
 * Parsers read exactly the bytes received and nothing past them: every
 * string must end with a NUL inside the packet, and a request or OACK must
 * end exactly at the NUL of its last string. Numbers are plain decimal
 * (no sign, no blanks) and range-checked before use. Option names are
 * compared without case (RFC 2347); a name seen twice is refused, known or
 * not, so that two readers of the same packet can never disagree on which
 * value counts.
 */
#include "tftp.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The options this codec knows, in the order builders write them. */
enum tftp_optid { TFTP_OPT_BLKSIZE, TFTP_OPT_TIMEOUT, TFTP_OPT_TSIZE, TFTP_OPT_WINDOWSIZE,
	TFTP_OPT_UNKNOWN };

static const char *const tftp_optnames[] = { "blksize", "timeout", "tsize", "windowsize" };

/* One string of a packet: where it starts and its length without the NUL. */
struct tftp_str {
	const char *s;
	size_t len;
};

static void
tftp_why(char *why, size_t whylen, const char *msg)
{
	if (why == NULL || whylen == 0)
		return;
	snprintf(why, whylen, "%s", msg);
}

static uint16_t
tftp_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void
tftp_put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

unsigned
tftp_opcode(const uint8_t *pkt, size_t len)
{
	unsigned op;

	if (pkt == NULL || len < 2)
		return 0;
	op = tftp_get16(pkt);
	return op >= TFTP_RRQ && op <= TFTP_OACK ? op : 0;
}

/* The NUL-terminated string at *pos, at most max bytes long. Advances *pos
 * past its NUL. Returns 0, or -1 when there is no NUL inside the packet
 * or the string is longer than max. */
static int
tftp_take_str(const uint8_t *pkt, size_t len, size_t *pos, size_t max, struct tftp_str *out)
{
	const uint8_t *start = pkt + *pos;
	const uint8_t *nul;
	size_t rest = len - *pos;

	/* Looking at most max + 1 bytes bounds the scan and tells an over-long
	 * string from a missing NUL only by position, which is enough. */
	nul = memchr(start, '\0', rest < max + 1 ? rest : max + 1);
	if (nul == NULL)
		return -1;
	out->s = (const char *)start;
	out->len = (size_t)(nul - start);
	*pos += out->len + 1;
	return 0;
}

/* Decimal digits only, at most max. Returns 0, or -1. */
static int
tftp_number(const struct tftp_str *v, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;

	if (v->len == 0)
		return -1;
	for (size_t i = 0; i < v->len; i++) {
		unsigned d = (unsigned char)v->s[i] - '0';

		if (d > 9)
			return -1;
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	if (n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static enum tftp_optid
tftp_optid(const struct tftp_str *name)
{
	for (size_t i = 0; i < sizeof(tftp_optnames) / sizeof(tftp_optnames[0]); i++)
		if (strlen(tftp_optnames[i]) == name->len &&
		    strncasecmp(name->s, tftp_optnames[i], name->len) == 0)
			return (enum tftp_optid)i;
	return TFTP_OPT_UNKNOWN;
}

/* Reads the option pairs from pos to the end of the packet into opts.
 * With asked non-NULL (an OACK) unknown options and options not asked for
 * are refused, and granted values are checked against the asked ones.
 * Returns 0, or -1 with why and *code set. */
static int
tftp_parse_opts(const uint8_t *pkt, size_t len, size_t pos, const struct tftp_opts *asked,
		struct tftp_opts *opts, char *why, size_t whylen, enum tftp_errcode *code)
{
	struct tftp_str names[TFTP_OPTIONS_MAX];
	unsigned n = 0;

	memset(opts, 0, sizeof(*opts));
	/* Broken framing is an illegal packet; a well-formed option the
	 * server cannot accept is a failed negotiation (RFC 2347 code 8). */
	*code = TFTP_EBADOP;
	while (pos < len) {
		struct tftp_str name, val;
		enum tftp_optid id;
		uint64_t v;

		if (n == TFTP_OPTIONS_MAX) {
			*code = TFTP_EOPTNEG;
			tftp_why(why, whylen, "too many options");
			return -1;
		}
		*code = TFTP_EBADOP;
		if (tftp_take_str(pkt, len, &pos, TFTP_OPTSTR_MAX, &name) < 0) {
			tftp_why(why, whylen, "option name too long or not terminated");
			return -1;
		}
		if (name.len == 0) {
			tftp_why(why, whylen, "empty option name");
			return -1;
		}
		if (pos >= len) {
			tftp_why(why, whylen, "option without a value");
			return -1;
		}
		if (tftp_take_str(pkt, len, &pos, TFTP_OPTSTR_MAX, &val) < 0) {
			tftp_why(why, whylen, "option value too long or not terminated");
			return -1;
		}
		*code = TFTP_EOPTNEG;
		for (unsigned i = 0; i < n; i++)
			if (names[i].len == name.len &&
			    strncasecmp(names[i].s, name.s, name.len) == 0) {
				tftp_why(why, whylen, "duplicate option");
				return -1;
			}
		names[n++] = name;

		id = tftp_optid(&name);
		if (asked != NULL) {
			int was_asked = (id == TFTP_OPT_BLKSIZE && asked->blksize != 0) ||
			    (id == TFTP_OPT_TIMEOUT && asked->timeout != 0) ||
			    (id == TFTP_OPT_TSIZE && asked->has_tsize) ||
			    (id == TFTP_OPT_WINDOWSIZE && asked->windowsize != 0);

			if (!was_asked) {
				tftp_why(why, whylen, "OACK has an option not asked for");
				return -1;
			}
		}
		switch (id) {
		case TFTP_OPT_BLKSIZE:
			if (tftp_number(&val, TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX, &v) < 0 ||
			    (asked != NULL && v > asked->blksize)) {
				tftp_why(why, whylen, "bad blksize");
				return -1;
			}
			opts->blksize = (unsigned)v;
			break;
		case TFTP_OPT_TIMEOUT:
			/* RFC 2349: the server must answer the value asked. */
			if (tftp_number(&val, TFTP_TIMEOUT_MIN, TFTP_TIMEOUT_MAX, &v) < 0 ||
			    (asked != NULL && v != asked->timeout)) {
				tftp_why(why, whylen, "bad timeout");
				return -1;
			}
			opts->timeout = (unsigned)v;
			break;
		case TFTP_OPT_TSIZE:
			if (tftp_number(&val, 0, UINT64_MAX, &v) < 0) {
				tftp_why(why, whylen, "bad tsize");
				return -1;
			}
			opts->has_tsize = 1;
			opts->tsize = v;
			break;
		case TFTP_OPT_WINDOWSIZE:
			if (tftp_number(&val, TFTP_WINDOW_MIN, TFTP_WINDOW_MAX, &v) < 0 ||
			    (asked != NULL && v > asked->windowsize)) {
				tftp_why(why, whylen, "bad windowsize");
				return -1;
			}
			opts->windowsize = (unsigned)v;
			break;
		case TFTP_OPT_UNKNOWN:
			/* RFC 2347: options not understood are ignored. */
			break;
		}
	}
	return 0;
}

int
tftp_parse_req_code(const uint8_t *pkt, size_t len, struct tftp_req *req,
		    char *why, size_t whylen, enum tftp_errcode *code)
{
	struct tftp_str name, mode;
	enum tftp_errcode dummy;
	size_t pos = 2;
	unsigned op;

	if (code == NULL)
		code = &dummy;
	*code = TFTP_EBADOP;
	memset(req, 0, sizeof(*req));
	op = tftp_opcode(pkt, len);
	if (op != TFTP_RRQ && op != TFTP_WRQ) {
		tftp_why(why, whylen, "not a request");
		return -1;
	}
	if (tftp_take_str(pkt, len, &pos, TFTP_FILENAME_MAX, &name) < 0) {
		tftp_why(why, whylen, "file name too long or not terminated");
		return -1;
	}
	if (name.len == 0) {
		tftp_why(why, whylen, "empty file name");
		return -1;
	}
	/* Mode names are short: "netascii" is the longest. */
	if (pos >= len || tftp_take_str(pkt, len, &pos, 8, &mode) < 0) {
		tftp_why(why, whylen, "bad mode");
		return -1;
	}
	if (mode.len == 5 && strncasecmp(mode.s, "octet", 5) == 0) {
		req->mode = TFTP_OCTET;
	} else if (mode.len == 8 && strncasecmp(mode.s, "netascii", 8) == 0) {
		req->mode = TFTP_NETASCII;
	} else {
		tftp_why(why, whylen, "unsupported mode");
		return -1;
	}
	if (tftp_parse_opts(pkt, len, pos, NULL, &req->opts, why, whylen, code) < 0)
		return -1;
	req->op = (enum tftp_op)op;
	req->filename = name.s;
	req->filename_len = name.len;
	return 0;
}

int
tftp_parse_req(const uint8_t *pkt, size_t len, struct tftp_req *req, char *why, size_t whylen)
{
	return tftp_parse_req_code(pkt, len, req, why, whylen, NULL);
}

int
tftp_parse_oack(const uint8_t *pkt, size_t len, const struct tftp_opts *asked,
		struct tftp_opts *got, char *why, size_t whylen)
{
	enum tftp_errcode code;

	memset(got, 0, sizeof(*got));
	if (tftp_opcode(pkt, len) != TFTP_OACK) {
		tftp_why(why, whylen, "not an OACK");
		return -1;
	}
	/* An OACK acknowledges options; with none to acknowledge the server
	 * must start with DATA (or ACK 0) instead. */
	if (len == 2) {
		tftp_why(why, whylen, "empty OACK");
		return -1;
	}
	return tftp_parse_opts(pkt, len, 2, asked, got, why, whylen, &code);
}

int
tftp_parse_data(const uint8_t *pkt, size_t len, uint16_t *block, const uint8_t **data,
		size_t *datalen)
{
	if (tftp_opcode(pkt, len) != TFTP_DATA || len < 4 || len > TFTP_PACKET_MAX)
		return -1;
	*block = tftp_get16(pkt + 2);
	*data = pkt + 4;
	*datalen = len - 4;
	return 0;
}

int
tftp_parse_ack(const uint8_t *pkt, size_t len, uint16_t *block)
{
	if (tftp_opcode(pkt, len) != TFTP_ACK || len != 4)
		return -1;
	*block = tftp_get16(pkt + 2);
	return 0;
}

int
tftp_parse_error(const uint8_t *pkt, size_t len, unsigned *code, char *msg, size_t msglen)
{
	const uint8_t *nul;
	size_t n, o = 0;

	if (tftp_opcode(pkt, len) != TFTP_ERROR || len < 5 || len > TFTP_PACKET_MAX)
		return -1;
	nul = memchr(pkt + 4, '\0', len - 4);
	if (nul == NULL || nul != pkt + len - 1)
		return -1;
	*code = tftp_get16(pkt + 2);
	if (msg == NULL || msglen == 0)
		return 0;
	n = (size_t)(nul - (pkt + 4));
	for (size_t i = 0; i < n && o + 1 < msglen; i++) {
		uint8_t c = pkt[4 + i];

		msg[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	msg[o] = '\0';
	return 0;
}

/* Appends s and its NUL at *pos. Returns 0, or -1 when it does not fit. */
static int
tftp_put_str(uint8_t *out, size_t cap, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (n >= cap - *pos)
		return -1;
	memcpy(out + *pos, s, n + 1);
	*pos += n + 1;
	return 0;
}

static int
tftp_put_opt(uint8_t *out, size_t cap, size_t *pos, enum tftp_optid id, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	if (tftp_put_str(out, cap, pos, tftp_optnames[id]) < 0 ||
	    tftp_put_str(out, cap, pos, num) < 0)
		return -1;
	return 0;
}

/* Writes the options set in opts. Values out of range make the build fail
 * (-1), so that every packet built parses back. *count gets the number of
 * options written. */
static int
tftp_put_opts(uint8_t *out, size_t cap, size_t *pos, const struct tftp_opts *o, unsigned *count)
{
	*count = 0;
	if (o == NULL)
		return 0;
	if (o->blksize != 0) {
		if (o->blksize < TFTP_BLKSIZE_MIN || o->blksize > TFTP_BLKSIZE_MAX ||
		    tftp_put_opt(out, cap, pos, TFTP_OPT_BLKSIZE, o->blksize) < 0)
			return -1;
		++*count;
	}
	if (o->timeout != 0) {
		if (o->timeout < TFTP_TIMEOUT_MIN || o->timeout > TFTP_TIMEOUT_MAX ||
		    tftp_put_opt(out, cap, pos, TFTP_OPT_TIMEOUT, o->timeout) < 0)
			return -1;
		++*count;
	}
	if (o->has_tsize) {
		if (tftp_put_opt(out, cap, pos, TFTP_OPT_TSIZE, o->tsize) < 0)
			return -1;
		++*count;
	}
	if (o->windowsize != 0) {
		if (o->windowsize < TFTP_WINDOW_MIN || o->windowsize > TFTP_WINDOW_MAX ||
		    tftp_put_opt(out, cap, pos, TFTP_OPT_WINDOWSIZE, o->windowsize) < 0)
			return -1;
		++*count;
	}
	return 0;
}

size_t
tftp_build_req(uint8_t *out, size_t cap, enum tftp_op op, const char *filename,
	       enum tftp_mode mode, const struct tftp_opts *opts)
{
	size_t pos = 2, n;
	unsigned count;

	if (out == NULL || cap < 2 || filename == NULL || (op != TFTP_RRQ && op != TFTP_WRQ))
		return 0;
	n = strlen(filename);
	if (n == 0 || n > TFTP_FILENAME_MAX)
		return 0;
	tftp_put16(out, op);
	if (tftp_put_str(out, cap, &pos, filename) < 0 ||
	    tftp_put_str(out, cap, &pos, mode == TFTP_NETASCII ? "netascii" : "octet") < 0 ||
	    tftp_put_opts(out, cap, &pos, opts, &count) < 0)
		return 0;
	return pos;
}

size_t
tftp_build_oack(uint8_t *out, size_t cap, const struct tftp_opts *opts)
{
	size_t pos = 2;
	unsigned count;

	if (out == NULL || cap < 2)
		return 0;
	tftp_put16(out, TFTP_OACK);
	if (tftp_put_opts(out, cap, &pos, opts, &count) < 0 || count == 0)
		return 0;
	return pos;
}

size_t
tftp_build_ack(uint8_t *out, size_t cap, uint16_t block)
{
	if (out == NULL || cap < 4)
		return 0;
	tftp_put16(out, TFTP_ACK);
	tftp_put16(out + 2, block);
	return 4;
}

size_t
tftp_build_data_hdr(uint8_t *out, size_t cap, uint16_t block)
{
	if (out == NULL || cap < 4)
		return 0;
	tftp_put16(out, TFTP_DATA);
	tftp_put16(out + 2, block);
	return 4;
}

size_t
tftp_build_error(uint8_t *out, size_t cap, enum tftp_errcode code, const char *msg)
{
	size_t pos = 4;

	if (out == NULL || cap < 5)
		return 0;
	tftp_put16(out, TFTP_ERROR);
	tftp_put16(out + 2, code);
	if (tftp_put_str(out, cap, &pos, msg != NULL ? msg : "") < 0)
		return 0;
	return pos;
}
