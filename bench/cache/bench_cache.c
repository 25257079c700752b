/* Cache micro-benchmark: memory per cached RRset (as accounted and as RSS)
 * and the cost of a put and of a hit.
 *
 * Each entry is one A record whose owner is 20 bytes of wire format
 * ("h0000001.bench.lab."), the typical small RRset the Unbound comparison
 * uses. Build and run with bench/cache/run.sh. */
#include "cache/cache.h"
#include "wire/wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident set size in bytes, from /proc/self/statm. */
static long rss_bytes(void)
{
	long pages_total, pages_rss;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f || fscanf(f, "%ld %ld", &pages_total, &pages_rss) != 2) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	return pages_rss * sysconf(_SC_PAGESIZE);
}

/* Build the owner for entry i: \x08h%07u\x05bench\x03lab\x00, 20 bytes. */
static void owner_of(uint32_t i, uint8_t out[WIRE_NAME_MAX])
{
	char label[16];
	snprintf(label, sizeof label, "h%07u", i);
	out[0] = 8;
	memcpy(out + 1, label, 8);
	memcpy(out + 9, "\5bench\3lab", 11);
}

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
	const uint64_t t0 = 1000000;
	uint8_t owner[WIRE_NAME_MAX];
	owner_of(0, owner);
	if (wire_name_len(owner) != 20) {
		fprintf(stderr, "owner is %zu bytes, expected 20\n", wire_name_len(owner));
		return 1;
	}

	long rss0 = rss_bytes();
	struct cache *c = cache_new(&(struct cache_opts){ .cache_size = 8ull << 30, .cache_max_ttl = 86400, .cache_max_negative_ttl = 3600 });
	if (!c)
		return 1;
	double s = now_s();
	for (uint32_t i = 0; i < n; i++) {
		uint8_t addr[4];
		memcpy(addr, &i, 4);
		struct cache_rdata rd = { addr, 4 };
		owner_of(i, owner);
		if (cache_put_rrset(c, owner, WIRE_T_A, WIRE_C_IN, 3600, &rd, 1, CACHE_RANK_AUTH, t0)) {
			fprintf(stderr, "put %u failed\n", i);
			return 1;
		}
	}
	double put_s = now_s() - s;
	long rss1 = rss_bytes();

	struct cache_stats st;
	cache_get_stats(c, &st);

	/* Hits in a scattered order so that the table and entries miss the CPU
	 * caches as they would under real traffic. */
	uint32_t hits = 0, rounds = n < 1000000 ? 1000000 / (n ? n : 1) + 1 : 1;
	uint64_t sink = 0;
	s = now_s();
	for (uint32_t r = 0; r < rounds; r++) {
		for (uint32_t k = 0; k < n; k++) {
			uint32_t i = (uint32_t)(((uint64_t)k * 2654435761u) % n);
			owner_of(i, owner);
			struct cache_entry e;
			if (cache_get(c, owner, WIRE_T_A, WIRE_C_IN, t0 + 1, &e)) {
				hits++;
				sink += cache_entry_rdata(&e, 0).data[0];
			}
		}
	}
	double get_s = now_s() - s;

	printf("entries            %u (one A record, 20-byte owner)\n", n);
	printf("buckets            %llu\n", (unsigned long long)st.buckets);
	printf("accounted bytes    %.1f per entry (entries + table)\n", (double)st.bytes / n);
	printf("RSS growth         %.1f per entry\n", (double)(rss1 - rss0) / n);
	printf("put                %.0f ns\n", put_s * 1e9 / n);
	printf("get (hit)          %.0f ns  (%u hits, sink %llu)\n", get_s * 1e9 / ((double)n * rounds),
	       hits, (unsigned long long)sink);
	cache_free(c);
	return hits == (uint64_t)n * rounds ? 0 : 1;
}
