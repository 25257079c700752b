#include "util/rand.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* getrandom returns up to 256 bytes whole, without being interrupted. */
#define RAND_BUF 256

struct rand_buf {
	uint8_t b[RAND_BUF];
	size_t pos; /* bytes before pos are used (and wiped) */
};

static _Thread_local struct rand_buf rb = { .pos = RAND_BUF };

static void fill(uint8_t *dst, size_t len)
{
	while (len > 0) {
		ssize_t n = getrandom(dst, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			abort();
		}
		dst += n;
		len -= (size_t)n;
	}
}

/* Take len (<= RAND_BUF) bytes from the thread's buffer. */
static void take(void *out, size_t len)
{
	if (RAND_BUF - rb.pos < len) {
		fill(rb.b, RAND_BUF);
		rb.pos = 0;
	}
	memcpy(out, rb.b + rb.pos, len);
	memset(rb.b + rb.pos, 0, len);
	rb.pos += len;
}

static uint32_t u32(void)
{
	uint32_t x;
	take(&x, sizeof(x));
	return x;
}

/* Multiply-and-shift maps a 32-bit draw onto [0, bound); the draws whose low
 * product half falls below 2^32 mod bound are the ones that would make some
 * results likelier, and are drawn again (Lemire's method). */
uint32_t rand_uniform(uint32_t bound)
{
	if (bound == 0)
		return 0;
	uint64_t m = (uint64_t)u32() * bound;
	if ((uint32_t)m < bound) {
		uint32_t reject_below = (uint32_t)-bound % bound;
		while ((uint32_t)m < reject_below)
			m = (uint64_t)u32() * bound;
	}
	return (uint32_t)(m >> 32);
}

uint16_t rand_u16(void)
{
	uint16_t x;
	take(&x, sizeof(x));
	return x;
}

void rand_bytes(void *buf, size_t len)
{
	if (len > RAND_BUF / 2) {
		fill(buf, len); /* big draws (keys, seeds) straight from the kernel */
		return;
	}
	take(buf, len);
}
