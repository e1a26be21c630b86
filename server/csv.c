/*
 * csv: RFC 4180 record reader. See csv.h.
 */
#include "csv.h"

#include <stdio.h>
#include <string.h>

void
csv_init(struct csv *c, const char *text, size_t len, char *buf)
{
	memset(c, 0, sizeof(*c));
	c->p = text;
	c->end = text + len;
	c->line = 1;
	c->buf = buf;
}

static int
csv_fail(struct csv *c, unsigned line, const char *why)
{
	snprintf(c->err, sizeof(c->err), "%s", why);
	c->err_line = line;
	return -1;
}

int
csv_next(struct csv *c, unsigned *start)
{
	size_t off = 0, starts[CSV_COLS_MAX];

	c->nfield = 0;
	*start = c->line;
	if (c->p >= c->end)
		return 0;
	for (;;) {
		int quoted = 0;

		if (c->nfield == CSV_COLS_MAX)
			return csv_fail(c, *start, "more than 512 columns");
		starts[c->nfield] = off;
		if (c->p < c->end && *c->p == '"') {
			quoted = 1;
			c->p++;
		}
		for (;;) {
			char ch;

			if (c->p >= c->end) {
				if (quoted)
					return csv_fail(c, *start, "unterminated quoted field");
				break;
			}
			ch = *c->p;
			if (quoted && ch == '"') {
				if (c->p + 1 < c->end && c->p[1] == '"') {
					c->p++;
				} else {
					c->p++;
					quoted = 0;
					if (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
					    *c->p != '\r')
						return csv_fail(c, c->line, "text after a closing quote");
					continue;
				}
			} else if (!quoted && (ch == ',' || ch == '\n' || ch == '\r')) {
				break;
			}
			if (ch == '\0')
				return csv_fail(c, c->line, "NUL byte");
			if (ch == '\n')
				c->line++;
			if (off - starts[c->nfield] >= CSV_FIELD_MAX)
				return csv_fail(c, c->line, "field longer than 16384 bytes");
			c->buf[off++] = ch;
			c->p++;
		}
		c->buf[off++] = '\0';
		c->nfield++;
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == '\r')
			c->p++;
		if (c->p < c->end && *c->p == '\n')
			c->p++;
		c->line++;
		break;
	}
	for (size_t i = 0; i < c->nfield; i++)
		c->field[i] = c->buf + starts[i];
	return 1;
}
