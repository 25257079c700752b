/* lathist: answer latency as a histogram (the metrics endpoint's): counts
 * per bucket (not cumulative) and the sum, in microseconds. Written by the
 * one thread that counts (worker.c), read by anyone (stats.c), as every
 * counter of struct worker_stats (daemon/request.h). */
#ifndef PC_DAEMON_LATHIST_H
#define PC_DAEMON_LATHIST_H

#include <stdatomic.h>
#include <stdint.h>

/* The last bucket has no upper bound (+Inf). */
#define LAT_BUCKETS 17
struct lat_hist {
	_Atomic uint64_t count[LAT_BUCKETS];
	_Atomic uint64_t sum_us;
};

/* The upper bounds of the buckets but the last, in microseconds. */
extern const uint64_t lat_bounds_us[LAT_BUCKETS - 1];

/* Add n answers that took us microseconds each; the histogram's one writer. */
void lat_hist_add(struct lat_hist *h, uint64_t us, uint64_t n);

#endif
