/* privs: giving up root once the daemon holds what it needs.
 *
 * Start-up binds the client listeners (port 53), the whole socket pool and
 * the control socket as the user that started the daemon. Then the pidfile is
 * written, the control socket is handed to the configured user (mode 0600
 * stays, or 0660 with the control-group's group), the daemon enters its chroot and becomes that user and group for
 * good. Pool rotation keeps working afterwards: it binds ports above 1023
 * only, which needs no privilege (privs_plan refuses a pool range that reaches
 * below 1024 when a drop is planned).
 *
 * Errors are PC_EINVAL (a setting that cannot work) or PC_EIO (a system call
 * failed), with one line in err naming the key and the cause. */
#ifndef PC_DAEMON_PRIVS_H
#define PC_DAEMON_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "daemon/config.h"

struct privs {
	bool drop;        /* change user and group in privs_drop */
	uid_t uid;
	gid_t gid;
	char user[33];
	bool ctl_group;   /* control-group: the socket gets this group, mode 0660 */
	gid_t ctl_gid;
};

/* Decides whom to become. cfg->username when the file sets it (the user must
 * exist, and the daemon must be able to become it); otherwise the default
 * "portcullis" when the daemon runs as root, that user exists and its ids
 * exist in the daemon's user namespace; nobody when the name is "" or the
 * daemon already runs as that user. Reads the user database, so it runs
 * before any chroot. */
int privs_plan(const struct config *cfg, struct privs *out, char *err, size_t errlen);

/* The directory of the default control socket (/run/portcullis), made
 * (mode 0755) when it is missing: systemd's RuntimeDirectory makes it under
 * the unit, a start by hand may not have it. Other paths are left alone. */
int privs_control_dir(const struct config *cfg, char *err, size_t errlen);

/* Writes "PID\n" to path through a temporary file in the same directory and
 * a rename, so a reader never sees a partial file. */
int privs_pidfile_write(const char *path, char *err, size_t errlen);

/* After start-up: gives the control socket (and the pidfile) to the user of
 * pv, enters cfg->chroot_dir when set, and changes user and group
 * irrevocably (checked: regaining root must fail). */
int privs_drop(const struct config *cfg, const struct privs *pv, char *err, size_t errlen);

#endif
