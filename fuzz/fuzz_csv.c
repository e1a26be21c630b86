/*
 * Fuzz target for csv_next (prov device import): any bytes give records
 * or an error with a line; every field is NUL-terminated inside the
 * caller's buffer; the reader always advances; never a crash or over-read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(csv_buf_size(size));
	struct csv c;
	unsigned start, records = 0;
	int r;

	if (buf == NULL)
		return 0;
	csv_init(&c, (const char *)data, size, buf);
	while ((r = csv_next(&c, &start)) > 0) {
		if (c.nfield == 0 || c.nfield > CSV_COLS_MAX || ++records > size)
			abort();
		for (size_t i = 0; i < c.nfield; i++)
			if (c.field[i] < buf || c.field[i] + strlen(c.field[i]) >=
			    buf + csv_buf_size(size))
				abort();
	}
	if (r < 0 && (c.err[0] == '\0' || c.err_line == 0))
		abort();
	free(buf);
	return 0;
}
