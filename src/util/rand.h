/* rand: the only source of randomness in portcullis.
 *
 * Every draw comes from the kernel CSPRNG through glibc's arc4random family
 * (getrandom-seeded ChaCha20, reseeded by the kernel). Bounded draws are
 * uniform: arc4random_uniform rejects the biased tail instead of taking a
 * modulo. Nothing here may ever fall back to rand(). */
#ifndef PC_UTIL_RAND_H
#define PC_UTIL_RAND_H

#include <stddef.h>
#include <stdint.h>

/* Uniform integer in [0, bound); bound 0 returns 0. */
uint32_t rand_uniform(uint32_t bound);
/* 16 uniform bits, e.g. a DNS message ID. */
uint16_t rand_u16(void);
/* Fill buf with len random bytes. */
void rand_bytes(void *buf, size_t len);

#endif
