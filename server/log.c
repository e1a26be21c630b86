/*
 * log: the daemon's own messages, to stderr or syslog(3) (log.h).
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int log_to_syslog;
static int log_max = LOG_INFO;

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

int
log_open(const char *dest, int level)
{
	if (dest == NULL || strcmp(dest, "stderr") == 0)
		log_to_syslog = 0;
	else if (strcmp(dest, "syslog") == 0) {
		log_to_syslog = 1;
		openlog("prov-serve", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	} else
		return -1;
	log_max = level;
	return 0;
}

int
log_level_parse(const char *name)
{
	int i;

	for (i = LOG_ERR; i <= LOG_DEBUG; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	if (strcmp(name, "error") == 0)
		return LOG_ERR;
	if (strcmp(name, "warn") == 0)
		return LOG_WARNING;
	return -1;
}

int
log_enabled(int level)
{
	return level <= log_max;
}

void
log_msg(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_to_syslog) {
		syslog(level, "%s", line);
		return;
	}
	/* One write per line, so workers sharing stderr never interleave
	 * within a line. */
	{
		char out[1200];
		int n = snprintf(out, sizeof(out), "prov serve[%ld]: %s: %s\n", (long)getpid(),
				 level >= 0 && level <= LOG_DEBUG ? level_names[level] : "?", line);
		if (n > 0) {
			size_t len = (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1;
			ssize_t w = write(STDERR_FILENO, out, len);
			(void)w;
		}
	}
}
