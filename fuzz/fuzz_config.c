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
	if (rc != 0 && (memchr(err, '\0', sizeof(err)) == NULL || strchr(err, '\n')))
		abort(); /* messages are NUL-terminated single lines */
	return 0;
}
