/*
 * diag: the detail of an error, carried beside an enum prov_err.
 *
 * Every parser fills one struct diag with the place (line and column, both
 * 1-based; 0 = unknown) and a one-line reason. Callers format it as
 * "NAME:LINE:COL: reason" (diag_format). A diag is caller storage; it owns
 * nothing and needs no cleanup.
 */
#ifndef PROV_DIAG_H
#define PROV_DIAG_H

#include <stddef.h>
#include "prov/prov.h"

struct diag {
	enum prov_err code;
	unsigned line, col;
	char msg[256];
};

void diag_init(struct diag *d);

/* Records code, place and a printf-style reason; returns code so that
 * `return diag_set(d, PROV_E_SYNTAX, 1, col, "...")` reads naturally.
 * d may be NULL (the detail is dropped). */
enum prov_err diag_set(struct diag *d, enum prov_err code, unsigned line,
		       unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Writes "NAME:LINE:COL: reason" (or "NAME: reason" without a place, or just
 * the reason when NAME is NULL) into out, truncating to outlen. */
void diag_format(const struct diag *d, const char *name, char *out, size_t outlen);

#endif
