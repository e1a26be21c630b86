#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

enum prov_err
diag_set(struct diag *d, enum prov_err code, unsigned line, unsigned col,
	 const char *fmt, ...)
{
	va_list ap;

	if (d == NULL)
		return code;
	d->code = code;
	d->line = line;
	d->col = col;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	return code;
}

void
diag_format(const struct diag *d, const char *name, char *out, size_t outlen)
{
	if (out == NULL || outlen == 0)
		return;
	if (name == NULL)
		snprintf(out, outlen, "%s", d->msg);
	else if (d->line > 0 && d->col > 0)
		snprintf(out, outlen, "%s:%u:%u: %s", name, d->line, d->col, d->msg);
	else if (d->line > 0)
		snprintf(out, outlen, "%s:%u: %s", name, d->line, d->msg);
	else
		snprintf(out, outlen, "%s: %s", name, d->msg);
}
