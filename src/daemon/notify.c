/* notify: sd_notify messages for systemd (notify.h). */
#include "daemon/notify.h"

#include <stdarg.h>
#include <stdio.h>

#ifdef PC_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

bool notify_available(void)
{
#ifdef PC_HAVE_SYSTEMD
	return true;
#else
	return false;
#endif
}

static void send_with_status(const char *head, const char *fmt, va_list ap)
{
#ifdef PC_HAVE_SYSTEMD
	char status[256];
	vsnprintf(status, sizeof(status), fmt, ap);
	sd_notifyf(0, "%sSTATUS=%s", head, status);
#else
	(void)head;
	(void)fmt;
	(void)ap;
#endif
}

void notify_ready(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	send_with_status("READY=1\n", fmt, ap);
	va_end(ap);
}

void notify_reloading(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	send_with_status("RELOADING=1\n", fmt, ap);
	va_end(ap);
}

void notify_status(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	send_with_status("", fmt, ap);
	va_end(ap);
}

void notify_stopping(void)
{
#ifdef PC_HAVE_SYSTEMD
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
#endif
}
