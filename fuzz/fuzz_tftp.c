/*
 * Fuzz target for the TFTP packet codec (common/tftp.c): every parser sees
 * every input. What parses must hold the header's promises (strings inside
 * the packet, values in range, messages printable), and a parsed request
 * or OACK, built again from what was parsed, must parse back to the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_tftp_opts_ok(const struct tftp_opts *o)
{
	return (o->blksize == 0 || (o->blksize >= TFTP_BLKSIZE_MIN && o->blksize <= TFTP_BLKSIZE_MAX))
	    && (o->timeout == 0 || (o->timeout >= TFTP_TIMEOUT_MIN && o->timeout <= TFTP_TIMEOUT_MAX))
	    && (o->windowsize == 0 || (o->windowsize >= TFTP_WINDOW_MIN &&
				       o->windowsize <= TFTP_WINDOW_MAX))
	    && (o->has_tsize || o->tsize == 0);
}

static int
fuzz_tftp_same_opts(const struct tftp_opts *a, const struct tftp_opts *b)
{
	return a->blksize == b->blksize && a->timeout == b->timeout &&
	    a->windowsize == b->windowsize && a->has_tsize == b->has_tsize && a->tsize == b->tsize;
}

static void
fuzz_tftp_req(const uint8_t *data, size_t size)
{
	static uint8_t again[TFTP_PACKET_MAX];
	struct tftp_req r, r2;
	enum tftp_errcode code;
	char why[64];
	size_t n;

	if (tftp_parse_req_code(data, size, &r, why, sizeof(why), &code) < 0) {
		if (code != TFTP_EBADOP && code != TFTP_EOPTNEG)
			abort();
		if (memchr(why, '\0', sizeof(why)) == NULL)
			abort();
		return;
	}
	if (r.op != TFTP_RRQ && r.op != TFTP_WRQ)
		abort();
	if ((const uint8_t *)r.filename != data + 2 || r.filename_len == 0 ||
	    r.filename_len > TFTP_FILENAME_MAX || r.filename[r.filename_len] != '\0' ||
	    strlen(r.filename) != r.filename_len || !fuzz_tftp_opts_ok(&r.opts))
		abort();
	n = tftp_build_req(again, sizeof(again), r.op, r.filename, r.mode, &r.opts);
	if (n == 0 || tftp_parse_req(again, n, &r2, why, sizeof(why)) < 0)
		abort();
	if (r2.op != r.op || r2.mode != r.mode || r2.filename_len != r.filename_len ||
	    memcmp(r2.filename, r.filename, r.filename_len) != 0 ||
	    !fuzz_tftp_same_opts(&r.opts, &r2.opts))
		abort();
}

static void
fuzz_tftp_oack(const uint8_t *data, size_t size)
{
	static const struct tftp_opts asked = { .blksize = TFTP_BLKSIZE_MAX, .timeout = 5,
		.windowsize = TFTP_WINDOW_MAX, .has_tsize = 1 };
	uint8_t again[256];
	struct tftp_opts got, got2;
	size_t n;

	if (tftp_parse_oack(data, size, &asked, &got, NULL, 0) < 0)
		return;
	if (!fuzz_tftp_opts_ok(&got) || (got.timeout != 0 && got.timeout != asked.timeout))
		abort();
	n = tftp_build_oack(again, sizeof(again), &got);
	if (n == 0 || tftp_parse_oack(again, n, &asked, &got2, NULL, 0) < 0 ||
	    !fuzz_tftp_same_opts(&got, &got2))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *d;
	uint16_t block;
	unsigned code;
	size_t n;
	char msg[32];

	(void)tftp_opcode(data, size);
	fuzz_tftp_req(data, size);
	fuzz_tftp_oack(data, size);
	if (tftp_parse_data(data, size, &block, &d, &n) == 0 &&
	    (d != data + 4 || n != size - 4))
		abort();
	if (tftp_parse_ack(data, size, &block) == 0 && size != 4)
		abort();
	if (tftp_parse_error(data, size, &code, msg, sizeof(msg)) == 0) {
		if (code > 0xffff)
			abort();
		for (size_t i = 0; msg[i] != '\0'; i++)
			if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] >= 0x7f)
				abort();
	}
	return 0;
}
