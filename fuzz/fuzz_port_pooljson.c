/* libFuzzer target: the pool JSON reader, through the same entry point
 * the tool uses for a control-channel reply (status line, then JSON). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "port/port_pool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Sink for values read back, so the reads cannot be optimised away. */
static volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct port_pool p;
	char err[64];
	/* Exact-size heap copy: the reader must never look past size. */
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (port_pool_parse_reply(buf, size, &p, err, sizeof(err)) == 0) {
		/* Read every entry back so ASan checks the array's extent. */
		for (size_t i = 0; i < p.n; i++)
			sink += p.socks[i].port + p.socks[i].sent + p.socks[i].dropped;
		port_pool_free(&p);
	}
	free(buf);
	return 0;
}
