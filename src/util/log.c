#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

static enum log_level current = LOG_INFO;
static const char *const names[] = { "error", "warning", "info", "debug" };

void log_set_level(enum log_level level) { current = level; }
enum log_level log_get_level(void) { return current; }

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > current)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "portcullis[%s]: %s\n", names[level], line);
}
