/*
 * Unit tests of the TFTP packet codec (common/tftp.c): hand-made packets for
 * every branch of the parsers (RFC 1350, 2347, 2348, 2349, 7440), and
 * round trips of every builder through its parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "tftp.h"

/* A packet from a string literal, without the literal's own final NUL. */
#define PKT(s) (const uint8_t *)(s), (sizeof(s) - 1)

static void
opcode_bounds(void **state)
{
	(void)state;
	assert_int_equal(tftp_opcode(NULL, 0), 0);
	assert_int_equal(tftp_opcode(PKT("\0")), 0);
	assert_int_equal(tftp_opcode(PKT("\0\0")), 0);
	assert_int_equal(tftp_opcode(PKT("\0\7")), 0);
	assert_int_equal(tftp_opcode(PKT("\1\1")), 0);
	for (unsigned op = 1; op <= 6; op++) {
		uint8_t p[2] = { 0, (uint8_t)op };

		assert_int_equal(tftp_opcode(p, 2), op);
	}
}

static void
req_plain(void **state)
{
	static const uint8_t p[] = "\0\1dir/SEP001122aabbcc.cnf.xml\0octet\0";
	struct tftp_req r;
	char why[64];

	(void)state;
	assert_int_equal(tftp_parse_req(p, sizeof(p) - 1, &r, why, sizeof(why)), 0);
	assert_int_equal(r.op, TFTP_RRQ);
	assert_int_equal(r.mode, TFTP_OCTET);
	assert_string_equal(r.filename, "dir/SEP001122aabbcc.cnf.xml");
	assert_int_equal(r.filename_len, strlen("dir/SEP001122aabbcc.cnf.xml"));
	/* borrowed from the packet */
	assert_ptr_equal(r.filename, (const char *)p + 2);
	assert_int_equal(r.opts.blksize, 0);
	assert_int_equal(r.opts.timeout, 0);
	assert_int_equal(r.opts.windowsize, 0);
	assert_int_equal(r.opts.has_tsize, 0);
}

static void
req_modes(void **state)
{
	struct tftp_req r;
	enum tftp_errcode code;
	char why[64];

	(void)state;
	assert_int_equal(tftp_parse_req(PKT("\0\2up.xml\0NetAscii\0"), &r, why, sizeof(why)), 0);
	assert_int_equal(r.op, TFTP_WRQ);
	assert_int_equal(r.mode, TFTP_NETASCII);
	assert_int_equal(tftp_parse_req(PKT("\0\1f\0OCTET\0"), &r, why, sizeof(why)), 0);
	assert_int_equal(r.mode, TFTP_OCTET);

	assert_int_equal(tftp_parse_req_code(PKT("\0\1f\0mail\0"), &r, why, sizeof(why), &code), -1);
	assert_int_equal(code, TFTP_EBADOP);
	assert_string_equal(why, "unsupported mode");
	assert_int_equal(tftp_parse_req(PKT("\0\1f\0binary\0"), &r, why, sizeof(why)), -1);
	assert_int_equal(tftp_parse_req(PKT("\0\1f\0octe\0"), &r, why, sizeof(why)), -1);
	/* mode longer than any known one, missing, or not terminated */
	assert_int_equal(tftp_parse_req(PKT("\0\1f\0netasciii\0"), &r, why, sizeof(why)), -1);
	assert_string_equal(why, "bad mode");
	assert_int_equal(tftp_parse_req(PKT("\0\1f\0"), &r, why, sizeof(why)), -1);
	assert_string_equal(why, "bad mode");
	assert_int_equal(tftp_parse_req(PKT("\0\1f\0octet"), &r, why, sizeof(why)), -1);
	assert_string_equal(why, "bad mode");
}

static void
req_filename(void **state)
{
	uint8_t p[2 + 300 + 7];
	struct tftp_req r;
	char why[64];

	(void)state;
	assert_int_equal(tftp_parse_req(PKT("\0\1\0octet\0"), &r, why, sizeof(why)), -1);
	assert_string_equal(why, "empty file name");
	assert_int_equal(tftp_parse_req(PKT("\0\1"), &r, why, sizeof(why)), -1);
	assert_int_equal(tftp_parse_req(PKT("\0\1file"), &r, why, sizeof(why)), -1);
	assert_string_equal(why, "file name too long or not terminated");
	/* why may be absent */
	assert_int_equal(tftp_parse_req(PKT("\0\1file"), &r, NULL, 0), -1);

	/* exactly TFTP_FILENAME_MAX bytes: accepted; one more: refused */
	p[0] = 0;
	p[1] = 1;
	memset(p + 2, 'a', TFTP_FILENAME_MAX);
	memcpy(p + 2 + TFTP_FILENAME_MAX, "\0octet\0", 7);
	assert_int_equal(tftp_parse_req(p, 2 + TFTP_FILENAME_MAX + 7, &r, why, sizeof(why)), 0);
	assert_int_equal(r.filename_len, TFTP_FILENAME_MAX);
	memset(p + 2, 'a', TFTP_FILENAME_MAX + 1);
	memcpy(p + 3 + TFTP_FILENAME_MAX, "\0octet\0", 7);
	assert_int_equal(tftp_parse_req(p, 3 + TFTP_FILENAME_MAX + 7, &r, why, sizeof(why)), -1);
	assert_string_equal(why, "file name too long or not terminated");
}

static void
req_not_a_request(void **state)
{
	struct tftp_req r;
	char why[64];

	(void)state;
	assert_int_equal(tftp_parse_req(PKT("\0\4\0\1"), &r, why, sizeof(why)), -1);
	assert_string_equal(why, "not a request");
	assert_int_equal(tftp_parse_req(PKT("\0\6blksize\0512\0"), &r, why, sizeof(why)), -1);
	assert_int_equal(tftp_parse_req(PKT("\0"), &r, why, sizeof(why)), -1);
}

static void
req_options(void **state)
{
	struct tftp_req r;
	char why[64];

	(void)state;
	assert_int_equal(tftp_parse_req(PKT("\0\1f\0octet\0blksize\0001428\0tsize\0000\0"
					    "timeout\0003\0windowsize\00016\0"),
				     &r, why, sizeof(why)), 0);
	assert_int_equal(r.opts.blksize, 1428);
	assert_int_equal(r.opts.timeout, 3);
	assert_int_equal(r.opts.windowsize, 16);
	assert_int_equal(r.opts.has_tsize, 1);
	assert_int_equal(r.opts.tsize, 0);

	/* names without case; unknown options skipped (RFC 2347) */
	assert_int_equal(tftp_parse_req(PKT("\0\1f\0octet\0BlkSize\00008\0multicast\0\0"
					    "TSIZE\00018446744073709551615\0"),
				     &r, why, sizeof(why)), 0);
	assert_int_equal(r.opts.blksize, 8);
	assert_true(r.opts.tsize == UINT64_MAX);
	assert_int_equal(r.opts.windowsize, 0);

	/* the extremes of every range */
	assert_int_equal(tftp_parse_req(PKT("\0\1f\0octet\0blksize\00065464\0timeout\000255\0"
					    "windowsize\00065535\0"),
				     &r, why, sizeof(why)), 0);
	assert_int_equal(r.opts.blksize, 65464);
	assert_int_equal(r.opts.timeout, 255);
	assert_int_equal(r.opts.windowsize, 65535);
	assert_int_equal(tftp_parse_req(PKT("\0\1f\0octet\0timeout\0001\0windowsize\0001\0"),
				     &r, why, sizeof(why)), 0);
	assert_int_equal(r.opts.timeout, 1);
	assert_int_equal(r.opts.windowsize, 1);
	/* leading zeros are still decimal */
	assert_int_equal(tftp_parse_req(PKT("\0\1f\0octet\0blksize\0000512\0"), &r, why,
				     sizeof(why)), 0);
	assert_int_equal(r.opts.blksize, 512);
}

/* One request with one option, expecting a refusal with code and why. */
static void
refused(const uint8_t *p, size_t len, enum tftp_errcode want, const char *want_why)
{
	struct tftp_req r;
	enum tftp_errcode code = TFTP_EUNDEF;
	char why[64] = "";

	assert_int_equal(tftp_parse_req_code(p, len, &r, why, sizeof(why), &code), -1);
	assert_int_equal(code, want);
	assert_string_equal(why, want_why);
}

static void
req_option_values_refused(void **state)
{
	(void)state;
	refused(PKT("\0\1f\0octet\0blksize\0007\0"), TFTP_EOPTNEG, "bad blksize");
	refused(PKT("\0\1f\0octet\0blksize\00065465\0"), TFTP_EOPTNEG, "bad blksize");
	refused(PKT("\0\1f\0octet\0blksize\0\0"), TFTP_EOPTNEG, "bad blksize");
	refused(PKT("\0\1f\0octet\0blksize\0+512\0"), TFTP_EOPTNEG, "bad blksize");
	refused(PKT("\0\1f\0octet\0blksize\000512 \0"), TFTP_EOPTNEG, "bad blksize");
	refused(PKT("\0\1f\0octet\0blksize\0-1\0"), TFTP_EOPTNEG, "bad blksize");
	refused(PKT("\0\1f\0octet\0timeout\0000\0"), TFTP_EOPTNEG, "bad timeout");
	refused(PKT("\0\1f\0octet\0timeout\000256\0"), TFTP_EOPTNEG, "bad timeout");
	refused(PKT("\0\1f\0octet\0windowsize\0000\0"), TFTP_EOPTNEG, "bad windowsize");
	refused(PKT("\0\1f\0octet\0windowsize\00065536\0"), TFTP_EOPTNEG, "bad windowsize");
	refused(PKT("\0\1f\0octet\0tsize\0x\0"), TFTP_EOPTNEG, "bad tsize");
	/* one past UINT64_MAX, and far past it */
	refused(PKT("\0\1f\0octet\0tsize\00018446744073709551616\0"), TFTP_EOPTNEG, "bad tsize");
	refused(PKT("\0\1f\0octet\0tsize\0099999999999999999999999\0"), TFTP_EOPTNEG,
		"bad tsize");
}

static void
req_option_framing_refused(void **state)
{
	uint8_t p[200];
	size_t n;

	(void)state;
	refused(PKT("\0\1f\0octet\0blksize\0"), TFTP_EBADOP, "option without a value");
	refused(PKT("\0\1f\0octet\0blksize\0001428"), TFTP_EBADOP,
		"option value too long or not terminated");
	refused(PKT("\0\1f\0octet\0blksize"), TFTP_EBADOP,
		"option name too long or not terminated");
	refused(PKT("\0\1f\0octet\0\0001428\0"), TFTP_EBADOP, "empty option name");
	/* trailing padding is an empty option name, refused */
	refused(PKT("\0\1f\0octet\0\0"), TFTP_EBADOP, "empty option name");

	/* option name of TFTP_OPTSTR_MAX bytes: skipped as unknown; one more:
	 * refused. Same for a value. */
	memcpy(p, "\0\1f\0octet\0", 10);
	n = 10;
	memset(p + n, 'x', TFTP_OPTSTR_MAX);
	n += TFTP_OPTSTR_MAX;
	memcpy(p + n, "\0001\0", 3);
	n += 3;
	{
		struct tftp_req r;

		assert_int_equal(tftp_parse_req(p, n, &r, NULL, 0), 0);
	}
	n = 10;
	memset(p + n, 'x', TFTP_OPTSTR_MAX + 1);
	n += TFTP_OPTSTR_MAX + 1;
	memcpy(p + n, "\0001\0", 3);
	n += 3;
	refused(p, n, TFTP_EBADOP, "option name too long or not terminated");

	n = 10;
	memcpy(p + n, "tsize\0", 6);
	n += 6;
	memset(p + n, '0', TFTP_OPTSTR_MAX);
	n += TFTP_OPTSTR_MAX;
	p[n++] = 0;
	{
		struct tftp_req r;

		assert_int_equal(tftp_parse_req(p, n, &r, NULL, 0), 0);
		assert_int_equal(r.opts.has_tsize, 1);
	}
	n = 10;
	memcpy(p + n, "tsize\0", 6);
	n += 6;
	memset(p + n, '0', TFTP_OPTSTR_MAX + 1);
	n += TFTP_OPTSTR_MAX + 1;
	p[n++] = 0;
	refused(p, n, TFTP_EBADOP, "option value too long or not terminated");
}

static void
req_duplicates_refused(void **state)
{
	(void)state;
	refused(PKT("\0\1f\0octet\0blksize\000512\0blksize\0001024\0"), TFTP_EOPTNEG,
		"duplicate option");
	refused(PKT("\0\1f\0octet\0blksize\000512\0BLKSIZE\000512\0"), TFTP_EOPTNEG,
		"duplicate option");
	/* unknown options too: two readers must never disagree */
	refused(PKT("\0\1f\0octet\0foo\0001\0tsize\0000\0FOO\0002\0"), TFTP_EOPTNEG,
		"duplicate option");
}

static void
req_too_many_options(void **state)
{
	uint8_t p[512];
	struct tftp_req r;
	size_t n = 10, n16 = 0;

	(void)state;
	memcpy(p, "\0\1f\0octet\0", 10);
	for (unsigned i = 0; i <= TFTP_OPTIONS_MAX; i++) {
		if (i == TFTP_OPTIONS_MAX)
			n16 = n;
		n += (size_t)snprintf((char *)p + n, sizeof(p) - n, "o%u", i) + 1;
		p[n++] = '1';
		p[n++] = 0;
	}
	assert_int_equal(tftp_parse_req(p, n16, &r, NULL, 0), 0);
	refused(p, n, TFTP_EOPTNEG, "too many options");
}

static void
oack_parse(void **state)
{
	struct tftp_opts asked = { .blksize = 1428, .timeout = 3, .windowsize = 16,
				   .has_tsize = 1, .tsize = 0 };
	struct tftp_opts got;
	char why[64];

	(void)state;
	assert_int_equal(tftp_parse_oack(PKT("\0\6blksize\0001024\0timeout\0003\0tsize\000"
					     "1048576\0windowsize\0008\0"),
				      &asked, &got, why, sizeof(why)), 0);
	assert_int_equal(got.blksize, 1024);
	assert_int_equal(got.timeout, 3);
	assert_int_equal(got.windowsize, 8);
	assert_int_equal(got.has_tsize, 1);
	assert_int_equal(got.tsize, 1048576);
	/* a subset is fine */
	assert_int_equal(tftp_parse_oack(PKT("\0\6BLKSIZE\0001428\0"), &asked, &got, why,
				      sizeof(why)), 0);
	assert_int_equal(got.blksize, 1428);
	assert_int_equal(got.windowsize, 0);

	/* more than asked, a timeout changed, options not asked, unknown */
	assert_int_equal(tftp_parse_oack(PKT("\0\6blksize\0001429\0"), &asked, &got, why,
				      sizeof(why)), -1);
	assert_string_equal(why, "bad blksize");
	assert_int_equal(tftp_parse_oack(PKT("\0\6windowsize\00017\0"), &asked, &got, why,
				      sizeof(why)), -1);
	assert_string_equal(why, "bad windowsize");
	assert_int_equal(tftp_parse_oack(PKT("\0\6timeout\0004\0"), &asked, &got, why,
				      sizeof(why)), -1);
	assert_string_equal(why, "bad timeout");
	assert_int_equal(tftp_parse_oack(PKT("\0\6foo\0001\0"), &asked, &got, why, sizeof(why)),
			 -1);
	assert_string_equal(why, "OACK has an option not asked for");
	{
		struct tftp_opts none = { 0 };

		assert_int_equal(tftp_parse_oack(PKT("\0\6tsize\0005\0"), &none, &got, why,
					      sizeof(why)), -1);
		assert_int_equal(tftp_parse_oack(PKT("\0\6blksize\000512\0"), &none, &got, why,
					      sizeof(why)), -1);
		assert_int_equal(tftp_parse_oack(PKT("\0\6timeout\0001\0"), &none, &got, why,
					      sizeof(why)), -1);
		assert_int_equal(tftp_parse_oack(PKT("\0\6windowsize\0001\0"), &none, &got, why,
					      sizeof(why)), -1);
	}
	/* empty, wrong opcode, broken framing, duplicate */
	assert_int_equal(tftp_parse_oack(PKT("\0\6"), &asked, &got, why, sizeof(why)), -1);
	assert_string_equal(why, "empty OACK");
	assert_int_equal(tftp_parse_oack(PKT("\0\4\0\0"), &asked, &got, why, sizeof(why)), -1);
	assert_string_equal(why, "not an OACK");
	assert_int_equal(tftp_parse_oack(PKT("\0\6blksize\0001024"), &asked, &got, why,
				      sizeof(why)), -1);
	assert_int_equal(tftp_parse_oack(PKT("\0\6blksize\0001024\0blksize\0001024\0"), &asked,
				      &got, why, sizeof(why)), -1);
	assert_string_equal(why, "duplicate option");
}

static void
data_ack_parse(void **state)
{
	static uint8_t big[TFTP_PACKET_MAX + 1];
	const uint8_t *d;
	uint16_t block;
	size_t n;

	(void)state;
	assert_int_equal(tftp_parse_data(PKT("\0\3\0\1abc"), &block, &d, &n), 0);
	assert_int_equal(block, 1);
	assert_int_equal(n, 3);
	assert_memory_equal(d, "abc", 3);
	assert_int_equal(tftp_parse_data(PKT("\0\3\377\377"), &block, &d, &n), 0);
	assert_int_equal(block, 65535);
	assert_int_equal(n, 0);
	assert_int_equal(tftp_parse_data(PKT("\0\3\0"), &block, &d, &n), -1);
	assert_int_equal(tftp_parse_data(PKT("\0\4\0\1abc"), &block, &d, &n), -1);
	big[1] = TFTP_DATA;
	assert_int_equal(tftp_parse_data(big, TFTP_PACKET_MAX, &block, &d, &n), 0);
	assert_int_equal(n, TFTP_BLKSIZE_MAX);
	assert_int_equal(tftp_parse_data(big, TFTP_PACKET_MAX + 1, &block, &d, &n), -1);

	assert_int_equal(tftp_parse_ack(PKT("\0\4\1\0"), &block), 0);
	assert_int_equal(block, 256);
	assert_int_equal(tftp_parse_ack(PKT("\0\4\0\0"), &block), 0);
	assert_int_equal(block, 0);
	assert_int_equal(tftp_parse_ack(PKT("\0\4\0"), &block), -1);
	assert_int_equal(tftp_parse_ack(PKT("\0\4\0\0\0"), &block), -1);
	assert_int_equal(tftp_parse_ack(PKT("\0\3\0\0"), &block), -1);
}

static void
error_parse(void **state)
{
	unsigned code = 99;
	char msg[16];

	(void)state;
	assert_int_equal(tftp_parse_error(PKT("\0\5\0\1File not found\0"), &code, msg,
				       sizeof(msg)), 0);
	assert_int_equal(code, 1);
	assert_string_equal(msg, "File not found");
	/* control and 8-bit bytes sanitised; truncated to the buffer */
	assert_int_equal(tftp_parse_error(PKT("\0\5\0\10a\nb\033c\377d and a long tail\0"),
				       &code, msg, sizeof(msg)), 0);
	assert_int_equal(code, 8);
	assert_string_equal(msg, "a?b?c?d and a l");
	assert_int_equal(tftp_parse_error(PKT("\0\5\1\0\0"), &code, msg, sizeof(msg)), 0);
	assert_int_equal(code, 256);
	assert_string_equal(msg, "");
	assert_int_equal(tftp_parse_error(PKT("\0\5\0\0x\0"), &code, NULL, 0), 0);

	assert_int_equal(tftp_parse_error(PKT("\0\5\0\1"), &code, msg, sizeof(msg)), -1);
	assert_int_equal(tftp_parse_error(PKT("\0\5\0\1oops"), &code, msg, sizeof(msg)), -1);
	assert_int_equal(tftp_parse_error(PKT("\0\5\0\1oops\0x"), &code, msg, sizeof(msg)), -1);
	assert_int_equal(tftp_parse_error(PKT("\0\4\0\1oops\0"), &code, msg, sizeof(msg)), -1);
}

static void
build_req_round_trip(void **state)
{
	struct tftp_opts o = { .blksize = 1428, .timeout = 5, .windowsize = 32, .has_tsize = 1,
			       .tsize = 123456789012ull };
	uint8_t p[TFTP_PACKET_MAX];
	struct tftp_req r;
	char why[64];
	size_t n;

	(void)state;
	n = tftp_build_req(p, sizeof(p), TFTP_RRQ, "SEP001122334455.cnf.xml", TFTP_OCTET, &o);
	assert_true(n > 0);
	assert_int_equal(tftp_parse_req(p, n, &r, why, sizeof(why)), 0);
	assert_int_equal(r.op, TFTP_RRQ);
	assert_string_equal(r.filename, "SEP001122334455.cnf.xml");
	assert_int_equal(r.mode, TFTP_OCTET);
	assert_memory_equal(&r.opts, &o, sizeof(o));

	n = tftp_build_req(p, sizeof(p), TFTP_WRQ, "r.xml", TFTP_NETASCII, NULL);
	assert_int_equal(n, 2 + 6 + 9);
	assert_memory_equal(p, "\0\2r.xml\0netascii\0", n);
	assert_int_equal(tftp_parse_req(p, n, &r, why, sizeof(why)), 0);
	assert_int_equal(r.op, TFTP_WRQ);
	assert_int_equal(r.mode, TFTP_NETASCII);

	/* every prefix of the buffer too small: 0, never a partial packet */
	n = tftp_build_req(p, sizeof(p), TFTP_RRQ, "f", TFTP_OCTET, &o);
	for (size_t cap = 0; cap < n; cap++)
		assert_int_equal(tftp_build_req(p, cap, TFTP_RRQ, "f", TFTP_OCTET, &o), 0);
	assert_int_equal(tftp_build_req(p, n, TFTP_RRQ, "f", TFTP_OCTET, &o), n);

	/* what cannot parse back is not built */
	assert_int_equal(tftp_build_req(p, sizeof(p), TFTP_ACK, "f", TFTP_OCTET, NULL), 0);
	assert_int_equal(tftp_build_req(p, sizeof(p), TFTP_RRQ, "", TFTP_OCTET, NULL), 0);
	{
		char longname[TFTP_FILENAME_MAX + 2];

		memset(longname, 'n', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		assert_int_equal(tftp_build_req(p, sizeof(p), TFTP_RRQ, longname, TFTP_OCTET,
						NULL), 0);
		longname[TFTP_FILENAME_MAX] = '\0';
		assert_true(tftp_build_req(p, sizeof(p), TFTP_RRQ, longname, TFTP_OCTET, NULL) > 0);
	}
	{
		struct tftp_opts bad = { .blksize = 7 };

		assert_int_equal(tftp_build_req(p, sizeof(p), TFTP_RRQ, "f", TFTP_OCTET, &bad), 0);
		bad.blksize = 0;
		bad.timeout = 256;
		assert_int_equal(tftp_build_req(p, sizeof(p), TFTP_RRQ, "f", TFTP_OCTET, &bad), 0);
		bad.timeout = 0;
		bad.windowsize = 65536;
		assert_int_equal(tftp_build_req(p, sizeof(p), TFTP_RRQ, "f", TFTP_OCTET, &bad), 0);
	}
}

static void
build_oack_round_trip(void **state)
{
	struct tftp_opts asked = { .blksize = 65464, .timeout = 1, .windowsize = 65535,
				   .has_tsize = 1 };
	struct tftp_opts g = { .blksize = 1428, .timeout = 1, .windowsize = 64, .has_tsize = 1,
			       .tsize = UINT64_MAX };
	struct tftp_opts got, none = { 0 };
	uint8_t p[256];
	size_t n;

	(void)state;
	n = tftp_build_oack(p, sizeof(p), &g);
	assert_true(n > 2);
	assert_int_equal(tftp_parse_oack(p, n, &asked, &got, NULL, 0), 0);
	assert_memory_equal(&got, &g, sizeof(g));
	/* tsize 0 is an option too (has_tsize) */
	none.has_tsize = 1;
	n = tftp_build_oack(p, sizeof(p), &none);
	assert_memory_equal(p, "\0\6tsize\0000\0", n);
	none.has_tsize = 0;
	assert_int_equal(tftp_build_oack(p, sizeof(p), &none), 0);
	assert_int_equal(tftp_build_oack(p, sizeof(p), NULL), 0);
	assert_int_equal(tftp_build_oack(p, 10, &g), 0);
}

static void
build_small_round_trips(void **state)
{
	uint8_t p[64];
	uint16_t block;
	const uint8_t *d;
	unsigned code;
	char msg[32];
	size_t n;

	(void)state;
	assert_int_equal(tftp_build_ack(p, 4, 65535), 4);
	assert_int_equal(tftp_parse_ack(p, 4, &block), 0);
	assert_int_equal(block, 65535);
	assert_int_equal(tftp_build_ack(p, 3, 1), 0);

	assert_int_equal(tftp_build_data_hdr(p, sizeof(p), 258), 4);
	memcpy(p + 4, "xyz", 3);
	assert_int_equal(tftp_parse_data(p, 7, &block, &d, &n), 0);
	assert_int_equal(block, 258);
	assert_int_equal(n, 3);
	assert_int_equal(tftp_build_data_hdr(p, 3, 1), 0);

	n = tftp_build_error(p, sizeof(p), TFTP_EOPTNEG, "no");
	assert_int_equal(n, 7);
	assert_memory_equal(p, "\0\5\0\10no\0", 7);
	assert_int_equal(tftp_parse_error(p, n, &code, msg, sizeof(msg)), 0);
	assert_int_equal(code, TFTP_EOPTNEG);
	assert_string_equal(msg, "no");
	n = tftp_build_error(p, sizeof(p), TFTP_EUNDEF, NULL);
	assert_int_equal(n, 5);
	assert_int_equal(tftp_parse_error(p, n, &code, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_int_equal(tftp_build_error(p, 6, TFTP_EUNDEF, "ab"), 0);
	assert_int_equal(tftp_build_error(p, 7, TFTP_EUNDEF, "ab"), 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opcode_bounds),
		cmocka_unit_test(req_plain),
		cmocka_unit_test(req_modes),
		cmocka_unit_test(req_filename),
		cmocka_unit_test(req_not_a_request),
		cmocka_unit_test(req_options),
		cmocka_unit_test(req_option_values_refused),
		cmocka_unit_test(req_option_framing_refused),
		cmocka_unit_test(req_duplicates_refused),
		cmocka_unit_test(req_too_many_options),
		cmocka_unit_test(oack_parse),
		cmocka_unit_test(data_ack_parse),
		cmocka_unit_test(error_parse),
		cmocka_unit_test(build_req_round_trip),
		cmocka_unit_test(build_oack_round_trip),
		cmocka_unit_test(build_small_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
