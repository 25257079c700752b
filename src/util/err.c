#include "util/err.h"

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
