/* err: the project's error codes. Functions return 0 on success and one of
 * these (negative) on failure; pc_strerror() names them.
 *
 * Out-of-memory policy: allocation failures on start-up paths are reported
 * as PC_ENOMEM and stop the daemon; on request paths the request is answered
 * SERVFAIL (or dropped) and counted, and the daemon carries on. */
#ifndef PC_UTIL_ERR_H
#define PC_UTIL_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum pc_err {
	PC_OK = 0,
	PC_ENOMEM = -1,     /* allocation failed */
	PC_EMALFORMED = -2, /* input is not well-formed */
	PC_ESPACE = -3,     /* output buffer or fixed table too small */
	PC_EINVAL = -4,     /* bad argument or value */
	PC_ENOTFOUND = -5,  /* no such entry */
	PC_EIO = -6,        /* system call failed; errno tells more */
	PC_ELIMIT = -7,     /* a configured bound was reached */
	PC_EEXIST = -8,     /* already present */
};

const char *pc_strerror(int err);

/* "NAME:LINE: " (or "NAME: " when line <= 0) and the formatted text into
 * err (errlen bytes, always terminated; nothing when err is NULL or errlen
 * is 0): the one form every file reader's messages take. */
void pc_errf_at(char *err, size_t errlen, const char *name, long line, const char *fmt,
		va_list ap);

#endif
