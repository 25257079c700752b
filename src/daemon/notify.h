/* notify: tells a service manager (systemd, Type=notify) how the daemon is.
 *
 * Each call sends one message to $NOTIFY_SOCKET through libsystemd's
 * sd_notify; without that variable (not started by systemd), or in a build
 * without libsystemd, each is a no-op. Failures are ignored: the manager's
 * own timeouts cover a message that did not arrive. */
#ifndef PC_DAEMON_NOTIFY_H
#define PC_DAEMON_NOTIFY_H

#include <stdbool.h>

/* True when this build talks to systemd (libsystemd was found). */
bool notify_available(void);

/* READY=1 with a status line (printf-style), once start-up is complete. */
void notify_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* STATUS=... alone. */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* RELOADING=1 with a status line, when a reload begins; READY=1 (notify_ready)
 * follows when it is over, whether it was applied or refused. */
void notify_reloading(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* STOPPING=1, when shutdown begins. */
void notify_stopping(void);

#endif
