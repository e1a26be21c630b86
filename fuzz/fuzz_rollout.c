/*
 * Fuzz target for server/rollout.c's reading of syslog records, which
 * are untrusted network input: rollout_attribute over a record whose
 * text, source and mac column come from the input (split at the first two
 * NUL bytes). Checks: no crash, the index is -1 or one of the devices, and
 * a record without a column whose text is too short to name a MAC is
 * nobody's unless its source is the one address that is one device's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rollout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char macs[3][13] = { "0011223344c1", "0011223344c2", "00aabbccddee" };
	static char addrs[3][64] = { "127.0.0.1", "10.0.0.2", "10.0.0.2" };
	char *buf = malloc(size + 3), *text, *source, *col;
	long i;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = buf[size + 2] = '\0';
	text = buf;
	source = text + strlen(text) + 1;
	col = source <= buf + size ? source + strlen(source) + 1 : buf + size + 2;
	if (source > buf + size)
		source = buf + size + 1;
	i = rollout_attribute(col, text, source, macs, addrs, 3);
	if (i < -1 || i >= 3)
		abort();
	/* Without a column or a MAC in the text, only the one address that
	 * is a single device's can name it (10.0.0.2 is two devices'). */
	if (col[0] == '\0' && strlen(text) < 12 && i != -1 &&
	    (i != 0 || strstr(source, "127.0.0.1") == NULL))
		abort();
	free(buf);
	return 0;
}
