/*
 * Every bound libprov enforces, in one place (STYLE.md: "every limit is one
 * commented #define"). Public bounds live in include/prov/prov.h and are
 * repeated here by reference only.
 */
#ifndef PROV_BOUNDS_H
#define PROV_BOUNDS_H

#include "prov/prov.h"

#define BOUND_MACRO_OUT (64u * 1024u)   /* largest result of one macro expansion */
#define BOUND_MACRO_NAME 32u            /* longest variable name in $NAME / $(NAME) */
#define BOUND_COND_TEXT 4096u           /* longest condition text */
#define BOUND_COND_TERMS 32u            /* comparisons joined by `and` */
#define BOUND_RULE_TEXT 8192u           /* longest rule text (a parameter value) */
#define BOUND_RULE_ALTS 16u             /* alternatives separated by `|` */
#define BOUND_RULE_ASSIGNS 64u          /* assignments in one `( ... )!` */
#define BOUND_RULE_OPTIONS 16u          /* options in the brackets of one alternative */
#define BOUND_URL_TEXT 2048u            /* longest URL after expansion */
#define BOUND_URL_HOST 253u             /* longest host name (RFC 1035) */
#define BOUND_DELAY_ITEMS 64u           /* elements of a delay list */
#define BOUND_DELAY_VALUE 31536000u     /* largest delay element: one year, seconds */
#define BOUND_VALUE_LEN 8192u           /* longest parameter value of any type */
#define BOUND_NAME_LEN 128u             /* longest parameter (element) name */
#define BOUND_UNKNOWN 4096u             /* unknown names a device remembers (D-PAR-4) */
#define BOUND_ISSUES_MSG 256u           /* longest message of one lint/apply issue */
#define BOUND_STATE_BUSY_MS 10000       /* wait for another process's transaction */
#define BOUND_PEM 65536u                /* largest certificate/key/CA file installed */
#define BOUND_NET_TIMEOUT_MS 60000L     /* one network transfer, whole (D-NET-4): profile,
					 * report, CA, MIC; fetch and TFTP default */
#define BOUND_NET_CONNECT_MS 15000L     /* the connect part of it (profile, image, CA, MIC) */

#endif
