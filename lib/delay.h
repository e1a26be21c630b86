/*
 * delay: delay lists and HHmm times of the resync schedule.
 * device.md D-SCH-1 (delay lists), D-SCH-4 (Resync_At__HHmm_).
 *
 * A delay list is an integer, or a comma-separated list (white space around
 * elements allowed) whose i-th element is the i-th delay and whose last
 * element repeats forever. An element is BASE or BASE+RAND: BASE seconds plus
 * a uniform random 0..RAND. The whole value "0" or "" disables (n == 0).
 */
#ifndef PROV_DELAY_H
#define PROV_DELAY_H

#include <stddef.h>
#include <stdint.h>
#include "bounds.h"
#include "diag.h"

struct delay_item {
	uint32_t base;
	uint32_t rand;
};

struct delay_list {
	unsigned n; /* 0: disabled */
	struct delay_item item[BOUND_DELAY_ITEMS];
};

/* Parses text[0..len). Refuses empty elements ("60,,120"), non-digits,
 * values over BOUND_DELAY_VALUE, more than BOUND_DELAY_ITEMS elements.
 * PROV_E_SYNTAX with d->col the 1-based column of the fault. */
enum prov_err delay_parse(const char *text, size_t len, struct delay_list *out,
			  struct diag *d) PROV_WUR;

/* The delay for use number i (0-based: the first retry is i = 0): element
 * min(i, n-1), plus random % (rand + 1). Returns 0 and leaves *secs alone
 * when the list is disabled or that element is 0 ("no further attempt");
 * returns 1 with *secs set otherwise. */
int delay_at(const struct delay_list *l, unsigned i, uint64_t random,
	     uint32_t *secs);

/* Parses an HHmm time "0000".."2400" (exactly four digits, HH <= 24,
 * mm <= 59, and 24 only with 00). Returns 1 and sets *minutes (0..1440) if
 * valid, 0 otherwise. */
int delay_hhmm(const char *text, size_t len, unsigned *minutes);

#endif
