/*
 * timeline: what a device says back, as `prov device timeline`, `prov
 * device drift --json` and the admin API (api.h) print it, one code path
 * for all three (server.md S-DEV-3, S-SRV-4).
 *
 * The timeline joins, in time order, the device's requests and syslog
 * messages (store.h: at most limit of each), its reports, the SIP NOTIFY
 * pushes sent to it and the inventory changes that concern it
 * (reportd.h). Syslog lines are classified by the phone's default wording
 * (resync-request, resync-success, resync-failure, upgrade, else
 * syslog). Each event is written either as a text line
 *     TIME KIND DETAIL\n
 * (control characters and, in quoted fields, '"' as \xHH) or as a JSON
 * object {"time", "time_ms", "kind", ...the kind's members}. JSON strings
 * escape '"', '\\', control characters and bytes >= 0x7f (as \u00XX).
 *
 * Threads: none of its own; as store.h's queries (each opens the database).
 */
#ifndef PROV_SERVER_TIMELINE_H
#define PROV_SERVER_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define TIMELINE_TIME_MAX 64u          /* a formatted time, any year */
#define TIMELINE_LIMIT_MAX 1000000u    /* most rows of each source */

struct inv;

enum timeline_form {
	TIMELINE_TEXT,                 /* one "TIME KIND DETAIL" line per event */
	TIMELINE_JSON_LINES,           /* one JSON object per line */
	TIMELINE_JSON_ARRAY,           /* one JSON array of the objects, no newline */
};

/* Appends mac's timeline since since_ms (0: all) to out in form: the last
 * limit (1..TIMELINE_LIMIT_MAX) requests and syslog messages, every
 * report, push and change. db: the history's URL (sqlite:PATH); inv: the
 * inventory for the changes. 0, or -1 with err (the database failed, out
 * of memory, out over its cap). */
int timeline_write(struct inv *inv, const char *db, const char *mac, int64_t since_ms,
		   unsigned limit, enum timeline_form form, struct buf *out, char *err,
		   size_t errlen) __attribute__((warn_unused_result));

/* Appends mac's drift against its last report (reportd_drift; tmpl NULL:
 * the template of the report's fetch) to out as one JSON object
 * {"mac", "report_ms", "template", "drift": [{"name", "server", "device",
 * "secret"}]}, the values of a secret null. Returns the number of
 * differences, or -1 with why (no report, no template, rendering failed,
 * out of memory). */
long timeline_drift_json(struct inv *inv, const char *db, const char *mac, const char *tmpl,
			 struct buf *out, char *why, size_t whylen)
	__attribute__((warn_unused_result));

/* A JSON string of s into b ("null" for NULL), escaped as above. */
enum prov_err timeline_json_str(struct buf *b, const char *s) PROV_WUR;

/* "2026-11-28T06:05:09.123Z" (UTC), or "@MS" when out of gmtime's range. */
void timeline_time(int64_t ms, char out[TIMELINE_TIME_MAX]);

/* A --since / since= value: an age (90s 15m 2h 7d, from now_ms; before
 * 1970 is 0), @UNIXSECONDS, or a UTC date and time
 * YYYY-MM-DD[(T| )HH:MM[:SS]][Z]. Unix ms, or -1 when it is none of them. */
int64_t timeline_parse_since(const char *s, int64_t now_ms);

/* Digits only (no sign, no space), at most max, into *v: 0, or -1. */
int timeline_parse_u64(const char *s, uint64_t max, uint64_t *v);

#endif
