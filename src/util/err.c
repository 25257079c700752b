#include "util/err.h"

#include <stdio.h>

const char *pc_strerror(int err)
{
	switch (err) {
	case PC_OK: return "success";
	case PC_ENOMEM: return "out of memory";
	case PC_EMALFORMED: return "malformed input";
	case PC_ESPACE: return "no space left in buffer";
	case PC_EINVAL: return "invalid argument";
	case PC_ENOTFOUND: return "not found";
	case PC_EIO: return "I/O error";
	case PC_ELIMIT: return "limit reached";
	case PC_EEXIST: return "already exists";
	}
	return "unknown error";
}

void pc_errf_at(char *err, size_t errlen, const char *name, long line, const char *fmt,
		va_list ap)
{
	if (err == NULL || errlen == 0)
		return;
	int n = line > 0 ? snprintf(err, errlen, "%s:%ld: ", name, line)
			 : snprintf(err, errlen, "%s: ", name);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
}
