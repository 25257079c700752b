#include "util/rand.h"

#include <stdlib.h>

uint32_t rand_uniform(uint32_t bound)
{
	return bound ? arc4random_uniform(bound) : 0;
}

uint16_t rand_u16(void)
{
	return (uint16_t)arc4random_uniform(65536);
}

void rand_bytes(void *buf, size_t len)
{
	arc4random_buf(buf, len);
}
