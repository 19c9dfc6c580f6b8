/* log.c - leveled logging to stderr with a timestamp; libevent's own
 * messages come through here too. */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"

enum log_level log_threshold = LOG_LEVEL_INFO;
static const char *log_progname = "svcdns";

static void log_from_libevent(int severity, const char *msg);

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void log_init(const char *progname, enum log_level threshold)
{
	log_progname = progname;
	log_threshold = threshold;
	event_set_log_callback(log_from_libevent);
}

void log_write(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	char stamp[32];
	struct timespec now;
	struct tm tm;
	va_list ap;

	if (level > log_threshold)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line keeps lines from different threads whole. */
	fprintf(stderr, "%s.%03ldZ %s[%s]: %s\n", stamp, now.tv_nsec / 1000000L,
	        log_progname, level_names[level], line);
}

static void log_from_libevent(int severity, const char *msg)
{
	enum log_level level = LOG_LEVEL_DEBUG;

	if (severity == EVENT_LOG_ERR)
		level = LOG_LEVEL_ERROR;
	else if (severity == EVENT_LOG_WARN)
		level = LOG_LEVEL_WARN;
	else if (severity == EVENT_LOG_MSG)
		level = LOG_LEVEL_INFO;
	if (level <= log_threshold)
		log_write(level, "libevent: %s", msg);
}
