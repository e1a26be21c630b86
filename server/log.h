/*
 * log: the daemon's own messages (not the fleet's syslog, see syslogd.h),
 * to stderr or to syslog(3), filtered by level (S-OPS-2). Levels are the
 * <syslog.h> ones: LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG.
 * Process-wide; call log_open once before forking workers. Messages never
 * carry secrets (keys, passwords): callers must not pass them.
 */
#ifndef PROV_SERVER_LOG_H
#define PROV_SERVER_LOG_H

#include <syslog.h>

/* dest: "stderr" or "syslog". level: the highest level printed. Returns 0,
 * or -1 for an unknown dest. */
int log_open(const char *dest, int level);

/* "err", "warning", "notice", "info", "debug" -> level; -1 when unknown. */
int log_level_parse(const char *name);

/* Whether a message at level would be printed (to skip building it). */
int log_enabled(int level);

/* One line: "prov serve[PID]: LEVEL: message" on stderr, or syslog(3). */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
