/* lathist: answer latency histograms (lathist.h). */
#include "daemon/lathist.h"

/* From 50 us (a cache hit) to 5 s (a slow resolution). */
const uint64_t lat_bounds_us[LAT_BUCKETS - 1] = {
	50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000,
};

static unsigned bucket_of(uint64_t us)
{
	unsigned i = 0;
	while (i < LAT_BUCKETS - 1 && us > lat_bounds_us[i])
		i++;
	return i;
}

/* A single writer: a relaxed load and store, no locked instruction (as
 * WSTAT_ADD, daemon/request.h). */
static void add(_Atomic uint64_t *v, uint64_t n)
{
	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

void lat_hist_add(struct lat_hist *h, uint64_t us, uint64_t n)
{
	add(&h->count[bucket_of(us)], n);
	add(&h->sum_us, us * n);
}
