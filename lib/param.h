/*
 * param: the one table of every device parameter, and value validation.
 * device.md D-PAR-1..6.
 *
 * Each row of param_table[] (param.c) describes one parameter: XML name,
 * type, factory default, bounds or choices, default user access, number of
 * per-line instances, flags and web-page group. Adding a parameter is
 * adding a row. A per-line row ("User_ID", lines 10) yields the instances
 * User_ID_1_ .. User_ID_10_; everything outside param.c addresses
 * instances by index 0..param_count()-1.
 *
 * The table is immutable; its name index is built once on first use
 * (thread-safe, pthread_once).
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

#define PARAM_SECRET 0x01u /* never shown: masked as ******** (D-PAR-5) */

struct param_def {
	const char *name;    /* XML name; per-line rows give the stem ("User_ID") */
	enum param_type type;
	const char *defval;  /* factory default */
	long lo, hi;         /* PT_INT range; max length for strings and rules */
	const char *const *choices; /* PT_CHOICE: canonical spellings, NULL-ended */
	unsigned char ua;    /* default user access (enum prov_ua) */
	unsigned char lines; /* 0: one instance; N: instances _1_ .. _N_ */
	unsigned char flags; /* PARAM_* */
	const char *group;   /* where the web page shows it: "Provisioning/..." */
};

/* Number of parameter instances. */
size_t param_count(void);

/* Instance index of name[0..len), or -1 if no such parameter. */
long param_find(const char *name, size_t len);

/* The row of instance idx, and its line number (0 for a single parameter). */
const struct param_def *param_def(size_t idx, unsigned *line);

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
