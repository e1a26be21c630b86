/*
 * cond: conditional expressions of rules and resync triggers.
 * device.md D-CND-1..3.
 *
 * A condition is one or more comparisons joined by `and` / `AND`:
 *     OPERAND OP OPERAND [and OPERAND OP OPERAND ...]
 * OP is one of eq ne lt le gt ge = != < <= > >= (also == as eq).
 * An operand is a double-quoted string ("..." with \" and \\ escapes) or a
 * bare word (no white space, no quote, no operator character). Macros are
 * expanded inside each operand after the structure has been parsed, so a
 * value can never change the shape of a condition.
 *
 * Comparison, after expansion:
 *  - either operand quoted: plain byte-string comparison, eq/ne only
 *    (another operator is a syntax error);
 *  - both operands integers (optional sign, digits): numeric;
 *  - otherwise: version comparison (cond_version_cmp).
 */
#ifndef PROV_COND_H
#define PROV_COND_H

#include <stddef.h>
#include "diag.h"
#include "macro.h"

#define COND_INT_DIGITS 18 /* longest integer compared as int64 */
#define COND_SHOW 40       /* longest token quoted in a message */

/* Evaluates text[0..len); *result is 1 (true) or 0 (false). A malformed
 * condition is PROV_E_SYNTAX with d->line = 1 and d->col the 1-based column
 * of the fault; never "true". An empty condition is a syntax error. */
enum prov_err cond_eval(const char *text, size_t len,
			const struct macro_vars *vars, int *result,
			struct diag *d) PROV_WUR;

/* Syntax check only (no expansion, no evaluation), for validation and lint. */
enum prov_err cond_check(const char *text, size_t len, struct diag *d) PROV_WUR;

/* Compares two firmware versions (D-CND-2); returns <0, 0 or >0.
 * Accepts "sip88xx.11-3-1MPP-123", "11-3-1MPP-123", "sip78xx.14-1-1MN-366.loads",
 * "1.0.31(b)". A leading model prefix (letters first, up to the first '.')
 * and a ".loads" suffix are ignored. Fields split at '.', '-', '(', ')'
 * compare left to right: an all-digit field numerically, a mixed field by
 * its leading number and then the rest as a string; a missing field is less
 * than any present one. */
int cond_version_cmp(const char *a, size_t alen, const char *b, size_t blen);

#endif
