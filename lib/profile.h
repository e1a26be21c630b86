/*
 * profile: configuration profiles, parsed into a change set.
 * device.md D-PRO-1..7.
 *
 * Two formats, told apart by content: flat-profile XML (first non-blank
 * byte '<', after an optional UTF-8 BOM), parsed with expat; otherwise the
 * legacy text format:
 *     # comment
 *     Name "value" ;          no mark: user access na
 *     Name ! "value" ;        rw
 *     Name ? "value" ;        ro
 *     Name[3] "value" ;       per-line parameter, same as Name_3_
 * An element of <flat-profile> that holds elements is a group: its leaves
 * are parameters as if they stood in <flat-profile> (D-PRO-3a).
 * Both produce the same struct prov_profile. Parsing is bounded (size,
 * element count, depth) and refuses DTD entity declarations and external
 * entities (billion laughs, XXE). The profile owns all its strings (an
 * arena); prov_profile_free releases everything.
 */
#ifndef PROV_PROFILE_H
#define PROV_PROFILE_H

#include <stddef.h>
#include "diag.h"

#define PROFILE_CHUNK_MIN 256u  /* smallest arena chunk, bytes */
#define PROFILE_CHG_MIN 64u     /* first size of the change array */
#define PROFILE_AMPLIFICATION 2.0f /* expat: output/input bytes allowed */
#define PROFILE_AMPLIFICATION_START (256u * 1024u) /* ... checked from here on
						    * (expat: 8 MiB, over our cap) */
#define PROFILE_NAME_SHOW 64    /* bytes of a name or value quoted in a message */
struct profile_change {
	const char *name;   /* NUL-terminated, as written (legacy [N] -> _N_) */
	const char *value;  /* NUL-terminated, decoded and trimmed; NULL: keep the
			     * value (a self-closing element with attributes,
			     * <X ua="rw"/>: D-PRO-2) */
	size_t valuelen;
	int ua;             /* -1: not given; else enum prov_ua */
	unsigned line, col; /* where the element (or line) starts, 1-based */
};

enum profile_format { PROFILE_XML = 0, PROFILE_LEGACY };

struct prov_profile {
	enum profile_format format;
	struct profile_change *chg;
	size_t n;
	/* arena and capacity: private to profile.c */
	void *arena;
	size_t alloc;
};

/* Parses data[0..len). maxsize 0 = PROV_PROFILE_MAX. Errors: PROV_E_SYNTAX
 * (not well-formed, no <flat-profile>, bad ua value, bad legacy line),
 * PROV_E_TOOBIG (size, PROV_PROFILE_MAX_ELEMENTS, PROV_PROFILE_MAX_DEPTH),
 * PROV_E_DENIED (entity declarations, external entities), PROV_E_NOMEM;
 * d->line/d->col give the place. On error *out is NULL. */
enum prov_err profile_parse(const char *data, size_t len, size_t maxsize,
			    struct prov_profile **out, struct diag *d) PROV_WUR;

#endif
