/*
 * Fuzz target for syslogd_parse (server.md S-NET-4): any datagram parses
 * without reading outside it or writing outside the scratch buffer, and
 * every field it returns is safe to log: no control characters, no bytes
 * >= 0x7f, no '"', and '\' only as the start of a "\xHH" escape.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syslogd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SMALL_SCRATCH 7 /* a scratch far too small, to check truncation */

static int
fuzz_is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static void
fuzz_check_field(const char *s, const char *scratch, size_t cap)
{
	size_t len;

	if (s == NULL)
		return;
	if (s[0] != '\0' && (s < scratch || s >= scratch + cap))
		abort();
	len = strlen(s);
	if (s[0] != '\0' && s + len >= scratch + cap)
		abort();
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"')
			abort();
		if (c == '\\') {
			if (i + 3 >= len)
				abort();
			if (s[i + 1] != 'x' || !fuzz_is_hex((unsigned char)s[i + 2]) ||
			    !fuzz_is_hex((unsigned char)s[i + 3]))
				abort();
			i += 3;
		}
	}
}

static void
fuzz_check(const struct syslogd_msg *m, int rc, const char *scratch, size_t cap)
{
	if (rc != 0 && rc != -1)
		abort();
	if (m->facility < -1 || m->facility > 23 || m->severity < -1 || m->severity > 7 ||
	    (m->facility < 0) != (m->severity < 0))
		abort();
	if (m->text == NULL)
		abort();
	fuzz_check_field(m->timestamp, scratch, cap);
	fuzz_check_field(m->hostname, scratch, cap);
	fuzz_check_field(m->ident, scratch, cap);
	fuzz_check_field(m->text, scratch, cap);
	if (m->mac[0] != '\0') {
		for (int i = 0; i < 12; i++)
			if (!fuzz_is_hex((unsigned char)m->mac[i]))
				abort();
		if (m->mac[12] != '\0')
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct syslogd_msg m;
	size_t cap = 4 * size + 8;
	char *dgram = malloc(size ? size : 1);
	char *scratch = malloc(cap);
	char *small = malloc(FUZZ_SMALL_SCRATCH);
	int rc;

	if (dgram == NULL || scratch == NULL || small == NULL)
		goto out;
	/* An exact-size copy: a read past the datagram is caught by ASan. */
	if (size > 0)
		memcpy(dgram, data, size);
	rc = syslogd_parse(dgram, size, &m, scratch, cap);
	fuzz_check(&m, rc, scratch, cap);
	rc = syslogd_parse(dgram, size, &m, small, FUZZ_SMALL_SCRATCH);
	fuzz_check(&m, rc, small, FUZZ_SMALL_SCRATCH);
out:
	free(dgram);
	free(scratch);
	free(small);
	return 0;
}
