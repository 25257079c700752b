/* log: one line per event, to stderr (the default), a file or syslog.
 *
 * Every line on stderr or in a file starts with the time (UTC, ISO 8601 with
 * milliseconds), the program and its PID, and the level; syslog gets the
 * message with the matching priority (LOG_ERR, LOG_WARNING, LOG_NOTICE,
 * LOG_INFO, LOG_DEBUG) and adds its own time. Notices (start-up complete,
 * stopped) show at the default verbosity, which is warnings. Safe to call
 * from any thread. */
#ifndef PC_UTIL_LOG_H
#define PC_UTIL_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* An operational event worth a line at the default verbosity: shown from
 * LOG_WARN up, labelled "notice". */
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A line at level whatever the verbosity: for what the operator turned on
 * by itself (log-queries, log-replies). */
void log_always(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Where lines go from now on: syslog (facility daemon) when use_syslog,
 * else the file at path (opened for appending, created with mode 0640) when
 * path is not empty, else stderr. Returns 0, or a negative PC_E* code with a
 * one-line reason in err when the file cannot be opened (the destination
 * is then unchanged). */
int log_open(const char *path, bool use_syslog, char *err, unsigned long errlen);

/* The file descriptor of the log file, or -1 (for handing it to another
 * user before a privilege drop). */
int log_file_fd(void);

/* True while lines go to syslog. */
bool log_to_syslog(void);

/* Back to stderr, closing a file or syslog. */
void log_close(void);

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) \
	do { if (log_get_level() >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
