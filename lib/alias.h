/*
 * alias: the `--alias L` rule option (device.md D-RUL-3): a profile that is
 * arbitrary XML, mapped onto parameters by the alias entries held in
 * GPP_L.
 *
 * The map (the value of GPP_L) is up to ALIAS_MAX_ENTRIES entries
 * separated by ';', white space anywhere between the tokens:
 *     /customer-account/SIP-number = /flat-profile/User_ID_1_ ;
 *     /customer-account/name = /flat-profile/Display_Name_1_
 * The left side is an element path. It matches an element whose path from
 * the document root *ends with* it, compared component by component from
 * the right: /customer-account/SIP-number matches the element SIP-number
 * inside customer-account anywhere in the document. The right side's last
 * component names the parameter that the matching element's text sets
 * (User_ID_1_). Empty entries (";;", a trailing ';') are ignored.
 *
 * The document is walked once with expat under the same rules as a
 * profile (profile.h: size, element count and depth bounds, entity
 * declarations and external DTDs refused). Every element under a
 * <flat-profile> is a parameter as usual (profile.c); every element that
 * an entry matches sets that entry's parameter. Changes come in the order
 * the elements end (document order, except that a matched element holding
 * another comes after it), and the last change of a name wins (D-PRO-4).
 * The result is one ordinary change set, struct prov_profile, applied
 * all-or-nothing like any other, with the line and column of each element
 * in the fetched document.
 *
 * Decisions the SPA guide leaves open:
 * - The value of a matched element is its own character data (the text of
 *   child elements is not part of it), trimmed and with line ends turned
 *   into spaces as every profile value is (D-PRO-2). A self-closing match
 *   (<x/>) sets nothing, as <x/> under <flat-profile> keeps the value.
 * - One element may match several entries: each sets its parameter. An
 *   element under <flat-profile> that an entry also matches sets both.
 * - A document that is not XML (the legacy text format) is parsed as a
 *   plain profile: the map has nothing to match in it.
 * - An XML document with no <flat-profile> and no element any entry
 *   matches is an error (PROV_E_SYNTAX at 1:1): an HTML error page must
 *   not count as a successful resync.
 * - The map is taken as written: no macro expansion.
 *
 * Ownership: a struct alias_map is one allocation, freed by alias_map_free
 * (NULL-safe); the profile is freed by prov_profile_free. No global state;
 * any number of threads may use distinct maps and documents.
 */
#ifndef PROV_ALIAS_H
#define PROV_ALIAS_H

#include <stddef.h>
#include <stdint.h>
#include "bounds.h"
#include "diag.h"
#include "profile.h"

#define ALIAS_MAX_ENTRIES 30u          /* entries in one map (the SPA guide's limit) */
#define ALIAS_MAX_TEXT BOUND_RULE_TEXT /* longest map text: a GPP value */
#define ALIAS_MAX_COMPONENTS PROV_PROFILE_MAX_DEPTH /* components of a left side:
						     * a deeper path never matches */
#define ALIAS_MAX_LEVELS (2 * PROV_PROFILE_MAX_DEPTH) /* open elements: the depth
						       * limit counts from <flat-profile>
						       * once it is open, as profile.c's */
#define ALIAS_SHOW 64                  /* bytes of a name or path quoted in a message */
#define ALIAS_AMPLIFICATION 2.0f       /* expat: output/input bytes allowed (profile.c) */
#define ALIAS_AMPLIFICATION_START (256u * 1024u) /* ... checked from here on */
#define ALIAS_DOC_SLACK (64u * 1024u)  /* the written document: room over 2 x maxsize */
/* The cap of the written document and of the text being collected: twice
 * the fetched one, which is what expat's UTF-8 makes of a one-byte
 * charset, so through an empty map every profile fits. */
#define ALIAS_DOC_MAX(maxsize) ((maxsize) > (SIZE_MAX - ALIAS_DOC_SLACK) / 2 ? \
				SIZE_MAX - 1 : 2 * (maxsize) + ALIAS_DOC_SLACK)

/* One entry: the left side's components, root first, and the parameter. */
struct alias_entry {
	const char *comp[ALIAS_MAX_COMPONENTS]; /* NUL-terminated, in the map's pool */
	unsigned ncomp;                         /* 1..ALIAS_MAX_COMPONENTS */
	const char *name;                       /* the parameter, in the pool */
};

struct alias_map {
	size_t n;                                  /* entries, 0..ALIAS_MAX_ENTRIES */
	struct alias_entry e[ALIAS_MAX_ENTRIES];
	char pool[ALIAS_MAX_TEXT + 1];             /* the strings of the entries */
};

/* Parses a map from text[0..len). Errors: PROV_E_SYNTAX (d->msg names the
 * entry by its number, 1-based, and what is wrong; d->line = 1 and d->col
 * the column of the fault), PROV_E_TOOBIG (more than ALIAS_MAX_ENTRIES
 * entries, text over ALIAS_MAX_TEXT, a path over ALIAS_MAX_COMPONENTS, a
 * component or name over BOUND_NAME_LEN), PROV_E_NOMEM. On error *out is
 * NULL. A map of no entries is valid (an empty GPP). */
enum prov_err alias_parse(const char *text, size_t len, struct alias_map **out,
			  struct diag *d) PROV_WUR;
void alias_map_free(struct alias_map *m);

/* Parses the fetched document data[0..len) through map m into a change
 * set. maxsize 0 = PROV_PROFILE_MAX. Errors as profile_parse (profile.h),
 * with d->line/d->col in data; also PROV_E_TOOBIG when what the map makes
 * of the document (one element may feed several entries) exceeds
 * PROV_PROFILE_MAX_ELEMENTS - 1 changes or about twice maxsize bytes
 * (alias.c, ALIAS_DOC_MAX). On error *out is NULL. */
enum prov_err alias_profile(const struct alias_map *m, const char *data, size_t len,
			    size_t maxsize, struct prov_profile **out,
			    struct diag *d) PROV_WUR;

#endif
