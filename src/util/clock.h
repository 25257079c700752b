/* clock: monotonic milliseconds for timers and TTL arithmetic.
 * Only the daemon reads the clock; core/ and cache/ receive "now" as an
 * argument so tests can drive them with a fake clock. */
#ifndef PC_UTIL_CLOCK_H
#define PC_UTIL_CLOCK_H

#include <stdint.h>

uint64_t clock_now_ms(void);

/* The same clock read from the kernel's last tick (CLOCK_MONOTONIC_COARSE):
 * at most one tick (1-10 ms) behind clock_now_ms and never ahead of it, for
 * about a sixth of the cost. For time stamps that tolerate a tick, such as a
 * received batch's TTL arithmetic. */
uint64_t clock_coarse_ms(void);

#endif
