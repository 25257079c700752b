/* Fuzz target: the configuration parser on arbitrary bytes. Any input must
 * give 0 or an error with a one-line message, never a crash or overrun. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	char err[256];
	config_defaults(&cfg);
	int rc = config_parse(&cfg, "fuzz.conf", (const char *)data, size, err, sizeof(err));
	if (rc == 0)
		return 0;
	/* Messages are NUL-terminated single lines with no control bytes:
	 * whatever the input, they are safe to print on a terminal or log. */
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	for (const char *q = err; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			abort();
	return 0;
}
