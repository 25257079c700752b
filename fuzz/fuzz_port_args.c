/* libFuzzer target: portcullis-port's command line and spec parsers.
 * The input is split on NUL bytes into argv words; the same bytes also go
 * through the sysctl parsers, which see untrusted-looking files. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "port/port_spec.h"

#define MAX_ARGS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t bits[8192];
	char *copy = malloc(size + 1);
	char *argv[MAX_ARGS + 1];
	int argc = 1;
	struct port_args a;
	char err[128];
	uint16_t lo, hi;
	static struct port_spec sp;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[0] = "portcullis-port";
	for (size_t i = 0; i <= size && argc < MAX_ARGS;) {
		argv[argc++] = copy + i;
		i += strlen(copy + i) + 1;
	}
	argv[argc] = NULL;
	if (port_args_parse(argc, argv, &a, err, sizeof(err)) == 0 && a.word)
		(void)strlen(a.word);
	if (port_spec_parse(copy, &sp, err, sizeof(err)) == 0 && sp.n > PORT_MAX_ITEMS)
		abort();
	(void)port_sysctl_range_parse((const char *)data, size, &lo, &hi);
	memset(bits, 0, sizeof(bits));
	(void)port_reserved_parse((const char *)data, size, bits);
	free(copy);
	return 0;
}
