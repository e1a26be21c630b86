/*
 * csv: RFC 4180 records, for `prov device import`. Fields are separated by
 * ',' and may be quoted with '"' ("" inside quotes is one '"'; a quoted
 * field may span lines); records end in CRLF or LF. A record's fields are
 * NUL-terminated copies in the caller's buffer, valid until the next call.
 * Pure: no I/O, no allocation.
 */
#ifndef PROV_SERVER_CSV_H
#define PROV_SERVER_CSV_H

#include <stddef.h>

#define CSV_COLS_MAX 512u            /* fields of one record */
#define CSV_FIELD_MAX (16u * 1024u)  /* bytes of one field: INV_VALUE_MAX */

struct csv {
	const char *p, *end;
	unsigned line;                 /* line of the next character, 1-based */
	char *buf;                     /* field bytes: csv_buf_size(len) bytes */
	char *field[CSV_COLS_MAX];
	size_t nfield;
	char err[96];                  /* why csv_next failed */
	unsigned err_line;
};

/* Bytes the caller gives as buf for a text of len bytes. */
#define csv_buf_size(len) ((len) + CSV_COLS_MAX + 1)

void csv_init(struct csv *c, const char *text, size_t len, char *buf);

/* Reads the next record into c->field[0..nfield). *start is the line it
 * starts on. Returns 1, 0 at the end of the text, or -1 with c->err and
 * c->err_line. */
int csv_next(struct csv *c, unsigned *start);

#endif
