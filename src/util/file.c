#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"

int file_read_bounded(const char *path, size_t max, char **buf_own, size_t *len, char *err,
		      size_t errlen)
{
	*buf_own = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return PC_EIO;
	}
	char *buf = malloc(max + 1);
	if (!buf) {
		close(fd);
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return PC_ENOMEM;
	}
	size_t got = 0;
	while (got < max + 1) {
		ssize_t n = read(fd, buf + got, max + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			free(buf);
			if (err && errlen)
				snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
			return PC_EIO;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*buf_own = buf;
	*len = got;
	return 0;
}
