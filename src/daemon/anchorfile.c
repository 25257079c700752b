/* anchorfile: atomic rewrite of auto-trust-anchor-file (see anchorfile.h). */
#include "daemon/anchorfile.h"

#include "core/anchor.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int io_fail(char *err, size_t errlen, const char *path, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s: %s", path, what, strerror(errno));
	return PC_EIO;
}

/* The directory part of path ("." when there is none). */
static void dir_of(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		snprintf(dir, cap, ".");
	} else if (slash == path) {
		snprintf(dir, cap, "/");
	} else {
		snprintf(dir, cap, "%.*s", (int)(slash - path), path);
	}
}

int anchorfile_write(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s%s", path, ANCHORFILE_TMP_SUFFIX) >= (int)sizeof(tmp)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: path too long", path);
		return PC_EINVAL;
	}
	dir_of(path, dir, sizeof(dir));
	/* Keep the old file's mode; a new file gets 0644 (anchors are public). */
	mode_t mode = 0644;
	struct stat st;
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return io_fail(err, errlen, tmp, "cannot create");
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int rc = io_fail(err, errlen, tmp, "write");
			close(fd);
			unlink(tmp);
			return rc;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
		int rc = io_fail(err, errlen, tmp, "fsync");
		close(fd);
		unlink(tmp);
		return rc;
	}
	if (close(fd) != 0) {
		int rc = io_fail(err, errlen, tmp, "close");
		unlink(tmp);
		return rc;
	}
	if (rename(tmp, path) != 0) {
		int rc = io_fail(err, errlen, path, "rename");
		unlink(tmp);
		return rc;
	}
	/* The rename is durable once the directory is on disk. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return io_fail(err, errlen, dir, "open directory");
	int rc = 0;
	if (fsync(dfd) != 0 && errno != EINVAL)
		rc = io_fail(err, errlen, dir, "fsync directory");
	close(dfd);
	return rc;
}

int anchorfile_sync(struct anchor_set *set, uint64_t *written, char *err, size_t errlen)
{
	uint64_t gen = anchor_set_generation(set);
	if (gen == *written)
		return 0;
	int first = 0;
	uint64_t low = gen;
	size_t n = anchor_autotrust_files(set);
	for (size_t i = 0; i < n; i++) {
		const char *path;
		char *text;
		size_t len;
		uint64_t g;
		int rc = anchor_autotrust_text(set, i, &path, &text, &len, &g);
		if (rc == 0) {
			rc = anchorfile_write(path, text, len, err, errlen);
			free(text);
			if (g < low)
				low = g;
		} else if (err && errlen) {
			snprintf(err, errlen, "autotrust file %zu: %s", i, pc_strerror(rc));
		}
		if (rc != 0 && first == 0)
			first = rc;
	}
	if (first == 0)
		*written = low;
	return first;
}
