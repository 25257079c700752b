/* rand: the only source of randomness in portcullis.
 *
 * Every byte comes from the kernel CSPRNG (getrandom). glibc 2.36's
 * arc4random family makes one getrandom system call per draw, and an
 * upstream query takes several draws (ID, pool socket, 0x20 bits, server
 * choice): the calls were a measured share of a cache miss. So each thread
 * keeps a small buffer filled by one getrandom call and hands out its bytes
 * once each, wiping them as they go, so that memory read later does not
 * show past draws. Bounded draws are uniform: the biased tail is rejected,
 * never folded in with a modulo. Nothing here may ever fall back to rand().
 *
 * The buffer is per thread, so no locking; the daemon never forks after
 * drawing (a child would repeat the parent's unread bytes). If getrandom
 * fails (it cannot on Linux 3.17+ once the pool is initialised) the process
 * aborts rather than run without randomness. */
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
