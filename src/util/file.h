/* file: read a whole (small) file into memory with an upper bound. */
#ifndef PC_UTIL_FILE_H
#define PC_UTIL_FILE_H

#include <stddef.h>

/* Read at most max + 1 bytes of path into a new buffer (*buf_own, freed by
 * the caller), so a caller can tell "exactly max" from "more than max".
 * Returns 0, PC_EIO or PC_ENOMEM with "PATH: what" in err. */
int file_read_bounded(const char *path, size_t max, char **buf_own, size_t *len, char *err,
		      size_t errlen);

#endif
