/*
 * The case runner: numbered case files for the languages of libprov
 * (tests/cases/README.md describes the file format). Each KIND has one
 * handler, case_run_KIND(), in case_KIND.c; runner.c reads the file and
 * dispatches. A handler returns 0 when the case passes, 1 when it fails
 * (after explaining why through case_fail, case_expect or case_check).
 */
#ifndef PROV_CASE_H
#define PROV_CASE_H

#include <stddef.h>
#include "diag.h"
#include "macro.h"

struct case_file;

/* The text of section NAME (lines between "@@ NAME" and the next "@@",
 * joined with '\n', without the final newline), or NULL if absent. *len
 * (if not NULL) receives its length. Borrowed for the run. */
const char *case_section(const struct case_file *cf, const char *name, size_t *len);

/* Macro variables from section "vars" (NAME=VALUE lines). SA..SD expand
 * only with MACRO_SECRETS, as on the device. */
const struct macro_vars *case_vars(struct case_file *cf);

/* Reports a failure ("FILE: message") and returns 1. */
int case_fail(struct case_file *cf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Compares got[0..len) with section SECTION; on mismatch prints both and
 * returns 1, else 0. A missing section is a failure. */
int case_expect(struct case_file *cf, const char *section, const char *got, size_t len);

/* Room for a formatted diag: two unsigned places, ":" and ": ", the
 * message and its NUL. */
#define CASE_DIAG_MAX (2 * 10 + 3 + sizeof(((struct diag *)0)->msg))

/* case_diag_format flags. */
#define CASE_DIAG_ZERO	0x1	/* "0:0: message" when d has no place (profile) */

/* Writes d as "LINE:COL: message" into out, truncating to outlen. Without
 * a place (line 0) it writes the message alone, or "0:0: message" with
 * CASE_DIAG_ZERO. */
void case_diag_format(const struct diag *d, unsigned flags, char *out, size_t outlen);

/* The error-or-expect decision shared by the kinds: with an @@ error
 * section, rc must be a failure and d, formatted by case_diag_format with
 * flags, must equal it; otherwise rc must be PROV_OK and got[0..len) must
 * equal @@ expect. got is only read when rc is PROV_OK. Returns 0 when the
 * case passes, else explains why and returns 1. */
int case_check(struct case_file *cf, enum prov_err rc, const struct diag *d,
	       unsigned flags, const char *got, size_t len);

/* The file's path, for messages. */
const char *case_path(const struct case_file *cf);

int case_run_macro(struct case_file *cf);
int case_run_cond(struct case_file *cf);
int case_run_url(struct case_file *cf);
int case_run_delay(struct case_file *cf);
int case_run_rule(struct case_file *cf);
int case_run_profile(struct case_file *cf);
int case_run_param(struct case_file *cf);
int case_run_codec(struct case_file *cf);

#endif
