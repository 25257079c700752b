/* privs: pidfile, chroot and the drop to an unprivileged user (privs.h). */
#include "daemon/privs.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "util/log.h"

/* Whether id has a meaning in this process's user namespace: in an
 * unprivileged namespace (tests, containers) only a few ids are mapped and
 * a change to any other fails. True when the map cannot be read. */
static bool id_mapped(const char *map, unsigned long id)
{
	FILE *f = fopen(map, "re");
	if (f == NULL)
		return true;
	unsigned long inside, outside, count;
	bool found = false;
	while (!found && fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3)
		found = id >= inside && id - inside < count;
	fclose(f);
	return found;
}

static int plan_group(const struct config *cfg, struct privs *out, char *err, size_t errlen)
{
	if (cfg->control_group[0] == '\0' || cfg->control_socket[0] == '\0')
		return 0;
	errno = 0;
	const struct group *gr = getgrnam(cfg->control_group);
	if (gr == NULL) {
		snprintf(err, errlen, "control-group: no group \"%s\" on this system%s%s",
			 cfg->control_group, errno ? ": " : "", errno ? strerror(errno) : "");
		return PC_EINVAL;
	}
	out->ctl_group = true;
	out->ctl_gid = gr->gr_gid;
	return 0;
}

int privs_control_dir(const struct config *cfg, char *err, size_t errlen)
{
	if (strcmp(cfg->control_socket, CONFIG_CONTROL_SOCKET) != 0)
		return 0;
	if (mkdir(CONFIG_CONTROL_DIR, 0755) == 0 || errno == EEXIST)
		return 0;
	snprintf(err, errlen, "control-socket: cannot make %s for %s: %s", CONFIG_CONTROL_DIR,
		 cfg->control_socket, strerror(errno));
	return PC_EIO;
}

static int plan_user(const struct config *cfg, struct privs *out, char *err, size_t errlen);

int privs_plan(const struct config *cfg, struct privs *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	int rc = plan_group(cfg, out, err, errlen);
	return rc != 0 ? rc : plan_user(cfg, out, err, errlen);
}

static int plan_user(const struct config *cfg, struct privs *out, char *err, size_t errlen)
{
	if (cfg->username[0] == '\0') {
		if (cfg->chroot_dir[0] != '\0' && geteuid() != 0) {
			snprintf(err, errlen, "chroot: %s needs the daemon to start as root",
				 cfg->chroot_dir);
			return PC_EINVAL;
		}
		return 0;
	}
	errno = 0;
	const struct passwd *pw = getpwnam(cfg->username);
	if (pw == NULL) {
		if (!cfg->username_set)
			return 0; /* the default user is optional */
		snprintf(err, errlen, "username: no user \"%s\" on this system%s%s", cfg->username,
			 errno ? ": " : "", errno ? strerror(errno) : "");
		return PC_EINVAL;
	}
	uid_t euid = geteuid();
	if (pw->pw_uid == euid && pw->pw_gid == getegid())
		return 0; /* already that user */
	if (!id_mapped("/proc/self/uid_map", pw->pw_uid) ||
	    !id_mapped("/proc/self/gid_map", pw->pw_gid)) {
		if (!cfg->username_set)
			return 0; /* the default user cannot be become here */
		snprintf(err, errlen,
			 "username: \"%s\" (uid %lu, gid %lu) does not exist in this user namespace, "
			 "so the daemon cannot become it",
			 cfg->username, (unsigned long)pw->pw_uid, (unsigned long)pw->pw_gid);
		return PC_EINVAL;
	}
	if (euid != 0) {
		if (!cfg->username_set)
			return 0;
		snprintf(err, errlen,
			 "username: the daemon runs as uid %lu and cannot become \"%s\" "
			 "(start it as root, or set username: \"\")",
			 (unsigned long)euid, cfg->username);
		return PC_EINVAL;
	}
	if (cfg->socket_pool_range.low < 1024) {
		snprintf(err, errlen,
			 "socket-pool-range: ports below 1024 (%u) cannot be bound after dropping "
			 "privileges to \"%s\"; start the range at 1024 or above",
			 cfg->socket_pool_range.low, cfg->username);
		return PC_EINVAL;
	}
	out->drop = true;
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	snprintf(out->user, sizeof(out->user), "%s", cfg->username);
	return 0;
}

int privs_pidfile_write(const char *path, char *err, size_t errlen)
{
	char tmp[CONFIG_PATH_MAX + 16];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		snprintf(err, errlen, "pidfile: path %s is too long", path);
		return PC_EINVAL;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		goto fail;
	char line[32];
	int len = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (write(fd, line, (size_t)len) != len || fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		goto fail;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "pidfile: cannot write %s: %s", path, strerror(errno));
	return PC_EIO;
}

int privs_drop(const struct config *cfg, const struct privs *pv, char *err, size_t errlen)
{
	/* control-group: its members may use the socket too. */
	if (pv->ctl_group && cfg->control_socket[0] != '\0' &&
	    (chown(cfg->control_socket, pv->drop ? pv->uid : (uid_t)-1, pv->ctl_gid) != 0 ||
	     chmod(cfg->control_socket, 0660) != 0)) {
		snprintf(err, errlen, "control-group: cannot give %s to group \"%s\": %s",
			 cfg->control_socket, cfg->control_group, strerror(errno));
		return PC_EIO;
	}
	if (pv->drop) {
		/* The socket keeps its mode 0600: only the new user (and root) may
		 * use it. A pidfile owned by that user can be removed at exit where
		 * its directory allows. */
		if (cfg->control_socket[0] != '\0' && !pv->ctl_group &&
		    chown(cfg->control_socket, pv->uid, pv->gid) != 0) {
			snprintf(err, errlen, "control-socket: cannot give %s to \"%s\": %s",
				 cfg->control_socket, pv->user, strerror(errno));
			return PC_EIO;
		}
		int logfd = log_file_fd();
		if (logfd >= 0 && fchown(logfd, pv->uid, pv->gid) != 0) {
			snprintf(err, errlen, "logfile: cannot give %s to \"%s\": %s", cfg->logfile,
				 pv->user, strerror(errno));
			return PC_EIO;
		}
		if (cfg->pidfile[0] != '\0' && chown(cfg->pidfile, pv->uid, pv->gid) != 0) {
			snprintf(err, errlen, "pidfile: cannot give %s to \"%s\": %s", cfg->pidfile,
				 pv->user, strerror(errno));
			return PC_EIO;
		}
	}
	if (cfg->chroot_dir[0] != '\0') {
		if (chroot(cfg->chroot_dir) != 0 || chdir("/") != 0) {
			snprintf(err, errlen, "chroot: cannot enter %s: %s", cfg->chroot_dir,
				 strerror(errno));
			return PC_EIO;
		}
	}
	if (!pv->drop)
		return 0;
	/* Group first: once the user is not root it may not change groups. glibc
	 * applies each change to every thread of the process. */
	if (setgroups(1, &pv->gid) != 0 || setresgid(pv->gid, pv->gid, pv->gid) != 0 ||
	    setresuid(pv->uid, pv->uid, pv->uid) != 0) {
		snprintf(err, errlen, "username: cannot become \"%s\" (uid %lu, gid %lu): %s",
			 pv->user, (unsigned long)pv->uid, (unsigned long)pv->gid, strerror(errno));
		return PC_EIO;
	}
	if (pv->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "username: \"%s\" could regain root; refusing to run",
			 pv->user);
		return PC_EIO;
	}
	return 0;
}
