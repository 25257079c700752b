/* log: lines to stderr, a file or syslog (log.h). */
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"

/* The level is read on every call from every thread and changed rarely:
 * an int read is atomic enough for a threshold. */
static volatile enum log_level current = LOG_INFO;
static int file_fd = -1;      /* a log file, or -1 */
static bool to_syslog;

void log_set_level(enum log_level level) { current = level; }
enum log_level log_get_level(void) { return current; }

/* One whole line with a single write(2): lines of different threads never
 * interleave, and nothing is buffered that a crash could lose. */
static void emit(int syslog_prio, const char *label, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (to_syslog) {
		syslog(syslog_prio, "%s: %s", label, msg);
		return;
	}
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char line[1200];
	int n = snprintf(line, sizeof(line),
			 "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ portcullis[%ld] %s: %s\n",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, ts.tv_nsec / 1000000, (long)getpid(), label, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	int fd = file_fd >= 0 ? file_fd : STDERR_FILENO;
	ssize_t w;
	do
		w = write(fd, line, (size_t)n);
	while (w < 0 && errno == EINTR);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	static const int prios[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	if (level > current)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(prios[level], names[level], fmt, ap);
	va_end(ap);
}

void log_always(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	static const int prios[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	va_list ap;
	va_start(ap, fmt);
	emit(prios[level], names[level], fmt, ap);
	va_end(ap);
}

void log_notice(const char *fmt, ...)
{
	if (current < LOG_WARN)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(LOG_NOTICE, "notice", fmt, ap);
	va_end(ap);
}

int log_open(const char *path, bool use_syslog, char *err, unsigned long errlen)
{
	if (use_syslog) {
		log_close();
		openlog("portcullis", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		to_syslog = true;
		return 0;
	}
	if (path == NULL || path[0] == '\0') {
		log_close();
		return 0;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0) {
		snprintf(err, errlen, "logfile: cannot open %s: %s", path, strerror(errno));
		return PC_EIO;
	}
	log_close();
	file_fd = fd;
	return 0;
}

int log_file_fd(void) { return file_fd; }
bool log_to_syslog(void) { return to_syslog; }

void log_close(void)
{
	if (to_syslog)
		closelog();
	to_syslog = false;
	if (file_fd >= 0)
		close(file_fd);
	file_fd = -1;
}
