/*
 * macro: macro expansion of rule, trigger and message text.
 * device.md D-MAC-1, D-MAC-2 (the variable set lives with its owner: the
 * device supplies a lookup function), D-MAC-3.
 *
 * Forms: $NAME (NAME = the maximal run of ASCII letters and digits),
 * $(NAME), $(NAME:p) (substring from offset p), $(NAME:p:q) (q bytes from
 * offset p), and $$ for a literal $. Unknown names stay exactly as written.
 * Expansion is one level: the values substituted are never expanded again.
 * No global state: output goes into the caller's buf; the substring forms
 * use a temporary buffer, wiped before it is freed (it may hold a secret).
 */
#ifndef PROV_MACRO_H
#define PROV_MACRO_H

#include <stddef.h>
#include "buf.h"
#include "diag.h"

#define MACRO_NUM_MAX 65535u /* largest p or q in $(NAME:p:q) */

/* Flags passed through to lookup. */
#define MACRO_SECRETS 0x01u /* $SA..$SD may expand (inside --key/--uid/--pwd) */
#define MACRO_USCORE 0x04u  /* names may hold '_' too (server templates: $KEY_ID) */
#define MACRO_XML 0x02u     /* XML-escape every substituted value (& < > " ') */

struct macro_vars {
	/* Appends the value of variable NAME (n bytes, not NUL-terminated) to
	 * out. Returns 1 if NAME is known, 0 if unknown (nothing appended; the
	 * text stays as written), or -(enum prov_err) on failure. */
	int (*lookup)(void *arg, const char *name, size_t n, unsigned flags,
		      struct buf *out);
	void *arg;
};

/* Appends the expansion of text[0..len) to out. vars may be NULL (nothing is
 * known). Errors: PROV_E_SYNTAX for an unterminated "$(" or a malformed
 * offset/length (d->col is the 1-based column of the '$'), PROV_E_TOOBIG
 * when out would exceed its cap. On error out may hold a partial result. */
enum prov_err macro_expand(const char *text, size_t len,
			   const struct macro_vars *vars, unsigned flags,
			   struct buf *out, struct diag *d) PROV_WUR;

/* Nonzero if text contains at least one macro reference (for D-RUL-6: a 301
 * replaces the URL only when the rule had no macros). `$$` does not count. */
int macro_present(const char *text, size_t len);

#endif
