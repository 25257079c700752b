/* chunk.h: how the fuzz targets that take several variable-length parts
 * (fuzz_dnssec, fuzz_nsec, fuzz_val) cut their input. Each part is a
 * 16-bit big-endian length and that many bytes; a length past the end is
 * cut to what is left, and a lone last byte is dropped, so a loop on
 * "left > 0" always ends. A part the input does not have is { NULL, 0 }. */
#ifndef PC_FUZZ_CHUNK_H
#define PC_FUZZ_CHUNK_H

#include <stddef.h>
#include <stdint.h>

struct chunk {
	const uint8_t *p;
	size_t n;
};

static inline struct chunk take(const uint8_t **d, size_t *left)
{
	struct chunk c = { NULL, 0 };
	if (*left < 2) {
		*d += *left;
		*left = 0;
		return c;
	}
	size_t n = (size_t)(*d)[0] << 8 | (*d)[1];
	*d += 2;
	*left -= 2;
	if (n > *left)
		n = *left;
	c.p = *d;
	c.n = n;
	*d += n;
	*left -= n;
	return c;
}

#endif
