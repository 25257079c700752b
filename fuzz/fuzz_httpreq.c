/* libFuzzer target: the metrics endpoint's request reader (httpreq_parse)
 * on arbitrary bytes, fed whole and in every prefix the way a connection
 * delivers them.
 *
 * Checks: a verdict is one of the documented ones; HTTPREQ_MORE only below
 * HTTPREQ_MAX bytes; a final verdict for a prefix stays final, the same for
 * the longer input (the reader never changes its mind once the head is
 * complete); on success the head's length lies within the input and ends
 * with an empty line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/httpreq.h"

static int known(enum httpreq_verdict v)
{
	switch (v) {
	case HTTPREQ_MORE: case HTTPREQ_OK: case HTTPREQ_BAD: case HTTPREQ_NOT_FOUND:
	case HTTPREQ_METHOD: case HTTPREQ_TOO_LARGE: case HTTPREQ_VERSION:
		return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so ASan sees any read past the end */
	char *buf = malloc(size ? size : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	struct httpreq r;
	enum httpreq_verdict whole = httpreq_parse(buf, size, &r);
	if (!known(whole) || (whole == HTTPREQ_MORE && size >= HTTPREQ_MAX))
		abort();
	if (whole == HTTPREQ_OK) {
		if (r.used == 0 || r.used > size || buf[r.used - 1] != '\n')
			abort();
		struct httpreq again;
		if (httpreq_parse(buf, r.used, &again) != HTTPREQ_OK || again.used != r.used)
			abort();
	}
	/* the first final verdict over growing prefixes is the whole input's,
	 * unless the prefix ran into the size bound */
	size_t step = size > 512 ? size / 64 : 1;
	for (size_t n = 0; n <= size; n += step) {
		struct httpreq p;
		enum httpreq_verdict v = httpreq_parse(buf, n, &p);
		if (!known(v))
			abort();
		if (v != HTTPREQ_MORE) {
			if (v != whole && v != HTTPREQ_TOO_LARGE)
				abort();
			break;
		}
	}
	free(buf);
	return 0;
}
