/*
 * param: the one table of every device parameter, and value validation.
 * device.md D-PAR-1..6.
 *
 * Each row of param_table[] (param.c) describes one parameter: XML name,
 * type, factory default, bounds or choices, default user access, index
 * kinds, flags and web-page group. Adding a parameter is adding a row. A
 * per-line row ("User_ID_#_", PARAM_IDX_LINE) yields the instances
 * User_ID_1_ .. User_ID_16_; everything outside param.c addresses
 * instances by index 0..param_count()-1. The catalogue of every other
 * MPP/SPA parameter (lib/catalog/mpp.tsv, compiled at build time) adds its
 * rows after the engine's: the engine's table is authoritative for the
 * parameters that drive provisioning. Aliases (Admin_Passwd) find the
 * instance of the name they stand for.
 *
 * The tables are immutable; the instance list and name index are built
 * once on first use (thread-safe, pthread_once) and live until exit.
 */
#ifndef PROV_PARAM_H
#define PROV_PARAM_H

#include <stddef.h>
#include "buf.h"
#include "diag.h"

enum param_type {
	PT_BOOL,         /* Yes/No; accepts yes no 1 0 true false enable disable on, off */
	PT_INT,          /* decimal integer in [lo, hi] */
	PT_CHOICE,       /* one of choices ("A|B|C"), matched case-insensitively */
	PT_DELAY,        /* delay list (delay.h) */
	PT_HHMM,         /* "" or HHmm 0000..2400 */
	PT_STRING,       /* any text of at most hi bytes */
	PT_RULE,         /* profile rule (rule.h), at most hi bytes */
	PT_UPGRADE_RULE, /* rule without options */
	PT_REPORT_RULE,  /* report rule */
	PT_COND,         /* "" or a condition (cond.h) */
	PT_URL,          /* "" or a URL (url.h), at most hi bytes */
	PT_LEVEL,        /* 0..3 or a syslog level name */
	PT_OPTLIST,      /* comma list of DHCP option numbers 1..254 */
	PT_SERVER        /* "" or host[:port] */
};

#define PARAM_SECRET 0x01u   /* never shown: masked as ******** (D-PAR-5) */
#define PARAM_EMPTY_OK 0x02u /* PT_INT that also takes "" */

/* Index kinds of a family's '#' (1..99: a fixed count). */
#define PARAM_IDX_LINE 100    /* extension / line key: count per product */
#define PARAM_IDX_KEMUNIT 101 /* key expansion module */
#define PARAM_IDX_KEMKEY 102  /* key on a key expansion module */

#define PARAM_MAX_LINES 16    /* most extensions of any product (9861, 7861) */
#define PARAM_MAX_KEM_UNITS 3 /* most key expansion modules (88x1, 9800) */
#define PARAM_MAX_KEM_KEYS 40 /* most keys per module that profiles set (9800) */
#define PARAM_NAME_MAX 255 /* longest instance name (fits namelen) */

struct param_def {
	const char *name;    /* XML name, each index written '#': "User_ID_#_" */
	enum param_type type;
	const char *defval;  /* factory default */
	long lo, hi;         /* PT_INT range; max length for strings and rules */
	const char *const *choices; /* PT_CHOICE: canonical spellings, NULL-ended */
	unsigned char ua;    /* default user access (enum prov_ua) */
	unsigned char idx[2]; /* kind of each '#' in name: PARAM_IDX_*, 1..99; 0 none */
	unsigned char flags; /* PARAM_* */
	const char *group;   /* where the web page shows it: "Provisioning/..." */
	const char *products; /* catalogue rows: products that have it; else NULL */
};

/* A name that stands for another (SPA-era spelling of an MPP parameter). */
struct param_alias {
	const char *name, *target;
};

/* Extensions, key expansion modules and keys of a product ($PSN). */
struct param_product {
	const char *psn;
	unsigned char lines, kem_units, kem_keys;
};

/* The generated catalogue (lib/catalog/mpp.tsv): rows whose name the
 * engine's table above also has are ignored; NULL-ended aliases, products. */
extern const struct param_def catalog_table[];
extern const size_t catalog_rows;
extern const struct param_alias catalog_aliases[];
extern const struct param_product catalog_products[];

/* Number of parameter instances. */
size_t param_count(void);

/* Instance index of name[0..len), or -1 if no such parameter. */
long param_find(const char *name, size_t len);

/* The row of instance idx, and its line number (0 for a single parameter). */
const struct param_def *param_def(size_t idx, unsigned *line);

/* Nonzero if instance idx exists on a product with these counts (its
 * line, module and key numbers are within them). */
int param_on_product(size_t idx, const struct param_product *pr);

/* The counts of product psn (the largest when unknown); static storage. */
const struct param_product *param_product(const char *psn);

/* The known instance name nearest to name[0..len) by edit distance, if
 * within a typo's reach (2 edits, 1 for short names), else NULL. */
const char *param_nearest(const char *name, size_t len);

/* The XML name of instance idx ("User_ID_3_"); static storage. */
const char *param_name(size_t idx);

/* Validates value[0..len) for instance idx (D-PAR-2, D-PAR-3). On success
 * *canon is either NULL (the value is stored as given) or a static canonical
 * spelling ("Yes", "Basic Http Authentication"). On failure returns
 * PROV_E_INVAL with a message naming the parameter and the value. */
enum prov_err param_check(size_t idx, const char *value, size_t len,
			  const char **canon, struct diag *d) PROV_WUR;

/* Debug_Level as 0..3 from its stored form. */
int param_level(const char *value);

/* Nonzero if instance idx is a secret. */
int param_secret(size_t idx);

/* The mask shown in place of a set secret. */
#define PARAM_MASK "********"

#endif
