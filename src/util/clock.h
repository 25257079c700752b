/* clock: monotonic milliseconds for timers and TTL arithmetic.
 * Only the daemon reads the clock; core/ and cache/ receive "now" as an
 * argument so tests can drive them with a fake clock. */
#ifndef PC_UTIL_CLOCK_H
#define PC_UTIL_CLOCK_H

#include <stdint.h>

uint64_t clock_now_ms(void);

#endif
