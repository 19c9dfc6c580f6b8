/* log.h - leveled, printf-checked logging to stderr; libevent's messages
 * are routed through it. Costs one comparison when a level is off. */
#ifndef SVCDNS_LOG_H
#define SVCDNS_LOG_H

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

extern enum log_level log_threshold;

void log_init(const char *progname, enum log_level threshold);

void log_write(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)                                                     \
	do {                                                              \
		if (log_threshold >= LOG_LEVEL_WARN)                      \
			log_write(LOG_LEVEL_WARN, __VA_ARGS__);           \
	} while (0)
#define log_info(...)                                                     \
	do {                                                              \
		if (log_threshold >= LOG_LEVEL_INFO)                      \
			log_write(LOG_LEVEL_INFO, __VA_ARGS__);           \
	} while (0)
#define log_debug(...)                                                    \
	do {                                                              \
		if (log_threshold >= LOG_LEVEL_DEBUG)                     \
			log_write(LOG_LEVEL_DEBUG, __VA_ARGS__);          \
	} while (0)

#endif
