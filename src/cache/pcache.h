/* pcache: finished answers to exact query packets, one table per thread.
 *
 * A client that asks a question again sends the same bytes but for the ID.
 * The packet cache keeps the answer the full path wrote for those bytes and
 * serves the next such query by copying it, putting in the query's ID and
 * lowering every TTL by the time gone by: no parse, no cache lookup and no
 * response writing. A cache hit's own work fell from about 1,700 to a few
 * hundred instructions, and at half of the peak load the p99 latency moves
 * with that work (bench/resolvers/README.md).
 *
 * The key is the query's bytes after the ID, exactly: the flags, the name as
 * the client spelled it and the EDNS record included. So queries that differ
 * in CD (a flag) or DO (in the OPT record), whose answers differ (RRSIGs and
 * proofs only with DO), never get each other's answer (tests/unit/test_pcache.c,
 * tests/integration/test_dnssec_do.py). The answer the full
 * path writes depends on those bytes, on the cache and on the configuration
 * (fixed for the process) alone, once the client is known to be allowed,
 * which the caller checks before every lookup. So an entry is served only to
 * a query that would get the same bytes, with an older TTL, the full way.
 *
 * An entry lives until the first of its records' TTLs runs out. TTLs are
 * counted down from the time of writing, rounding the time gone by up, so a
 * TTL served from here is never above the one the cache itself would give.
 * A flush of the cache (all, a name or a zone) ends every entry: the caller
 * passes the cache's flush generation, read before the lookup that made the
 * answer, and an entry of another generation is not served. Data the cache
 * replaces before it expires (a better-ranked RRset) is served from here
 * until the old TTL ends, as a cache serves what it was given for that time.
 * A hit here does not mark the cache's entries as used, so under memory
 * pressure the cache may evict one that is asked only through here; the
 * entry here still ends with its TTL, and the next full lookup asks again.
 *
 * Not thread-safe: each reader thread has its own. Memory: entries of a
 * fixed size, allocated at once but touched only when used. */
#ifndef PC_CACHE_PCACHE_H
#define PC_CACHE_PCACHE_H

#include <stddef.h>
#include <stdint.h>

/* Answers longer than this, and queries longer than PCACHE_QUERY_MAX, are
 * not kept. */
#define PCACHE_ANSWER_MAX 512
#define PCACHE_QUERY_MAX 160

struct pcache;

/* A table of about `entries` entries (rounded up to a power of two, at
 * least 4), with its own hash key; NULL when entries is 0 or memory is
 * short. */
struct pcache *pcache_new(size_t entries);
void pcache_free(struct pcache *p);

/* The answer to query q (qlen bytes) at now_ms, written to out (cap bytes):
 * its length, or 0 when none is kept for these bytes and this generation.
 * *rcode is set to the answer's RCODE. */
size_t pcache_answer(struct pcache *p, const uint8_t *q, size_t qlen, uint64_t now_ms,
		     uint64_t gen, uint8_t *out, size_t cap, unsigned *rcode);

/* Keep ans (alen bytes), the answer written at now_ms for query q with the
 * cache at flush generation gen, if it can be served again: a well-formed
 * answer, not truncated, every TTL above 0. Anything else is left out. */
void pcache_keep(struct pcache *p, const uint8_t *q, size_t qlen, const uint8_t *ans,
		 size_t alen, uint64_t now_ms, uint64_t gen);

#endif
