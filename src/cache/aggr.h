/* aggr: aggressive use of the DNSSEC-validated cache (RFC 8198). An index,
 * per signed zone, of the NSEC records the validator found secure, kept in
 * canonical order (RFC 4034 6.1) so that the record covering any name is one
 * binary search away. A lookup for a name and type returns the records (with
 * their RRSIGs and the zone's SOA) that prove an NXDOMAIN or a NODATA,
 * so the resolver can answer it without asking upstream.
 *
 * NSEC only. RFC 8198 allows NSEC3 too, but: a lookup would hash the name
 * and its ancestors (per cache miss, with the zone's iterations), much of
 * the NSEC3 deployed is opt-out, whose spans can only give insecure answers
 * (RFC 8198 4.1 leaves them out), and NSEC3 zones are mostly those that do
 * not want to be walked. Unbound makes the same choice. NSEC3 records passed
 * to aggr_put are refused.
 *
 * The index applies the NSEC rules itself (the cache layer sits below the
 * core): a record at a delegation point (NS without SOA) or with DNAME
 * proves nothing below its owner, an NSEC whose next name lies below the
 * name proves an empty non-terminal, the last NSEC of a zone wraps around to
 * the apex, and DS is answered from the parent's side of a cut only. The
 * caller confirms a hit with the proofs of core/nsec.h (nsec_prove_nxdomain
 * or nsec_prove_nodata over the records returned, with the zone as signer:
 * no hashing for NSEC, so it costs little) before answering.
 *
 * Memory: each record is one allocation; the index keeps within the byte
 * budget given to aggr_new by evicting the least recently used records;
 * expired records are dropped when met. The zone table's hash is keyed
 * (util/hash.h, a fresh key per index) so names cannot be aimed at a bucket.
 * Threads: none inside; one thread (the one that writes the cache) makes
 * every call. Pointers returned by aggr_lookup are borrowed until the next
 * call that changes the index (put, lookup, flush). Time: now_ms from the
 * caller (monotonic ms), as in cache.h.
 *
 * Who calls it: the validator, after it has found an NSEC RRset secure
 * (its RRSIGs verified, its signer the zone), calls aggr_put for each, and
 * aggr_put_soa for the zone's secure SOA; before sending a query upstream
 * for a name in a signed zone, it calls aggr_lookup and, on a hit, answers
 * with the SOA and the returned records (and sets AD as for any secure
 * answer). */
#ifndef PC_CACHE_AGGR_H
#define PC_CACHE_AGGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"

struct aggr;

/* An index that stays within max_bytes (records, their RRSIGs and the
 * tables). NULL on allocation failure. */
struct aggr *aggr_new(size_t max_bytes);
void aggr_free(struct aggr *a);

/* Keep one validated NSEC record (owner, rdata) of zone with its RRSIGs
 * (at most AGGR_MAX_SIGS; more are dropped) for ttl seconds - the caller
 * caps it as RFC 9077 asks (the SOA's TTL and minimum) and by the RRSIG's
 * original TTL and expiry. A record for an owner already held replaces it.
 * 0, PC_EINVAL (not an NSEC at or below zone, malformed, ttl 0) or
 * PC_ENOMEM. */
#define AGGR_MAX_SIGS 4
int aggr_put(struct aggr *a, const uint8_t *zone, const uint8_t *owner, const uint8_t *rdata,
	     uint16_t rdlen, const struct cache_rdata *sigs, size_t nsigs, uint32_t ttl,
	     uint64_t now_ms);

/* Keep the zone's validated SOA (rdata and RRSIGs); a synthesised negative
 * answer carries it, so a zone without a live SOA gives no answers. */
int aggr_put_soa(struct aggr *a, const uint8_t *zone, const uint8_t *rdata, uint16_t rdlen,
		 const struct cache_rdata *sigs, size_t nsigs, uint32_t ttl, uint64_t now_ms);

/* One record of an answer, borrowed. */
struct aggr_rr {
	const uint8_t *owner;
	uint16_t type; /* WIRE_T_NSEC or WIRE_T_SOA */
	const uint8_t *rdata;
	uint16_t rdlen;
	struct cache_rdata sigs[AGGR_MAX_SIGS];
	size_t nsigs;
};

enum aggr_kind {
	AGGR_MISS = 0,
	AGGR_NXDOMAIN,
	AGGR_NODATA,  /* the name (or an ENT, or the wildcard that would answer) lacks the type */
};

struct aggr_answer {
	enum aggr_kind kind;
	const uint8_t *zone;
	struct aggr_rr soa;      /* owner is the zone */
	struct aggr_rr nsec[2];  /* the proof: one or two NSEC records */
	size_t n;
	uint32_t ttl;            /* the smallest remaining TTL of the records used */
};

/* Is there a proof in the index that qname/qtype has no data? Looks in the
 * deepest zone held that encloses qname. AGGR_MISS when not (or qtype is DS
 * at a zone apex held, whose answer lives in the parent). */
enum aggr_kind aggr_lookup(struct aggr *a, const uint8_t *qname, uint16_t qtype, uint64_t now_ms,
			   struct aggr_answer *out);

/* Forget every record (e.g. when trust anchors change), or those of one
 * zone and below it. */
void aggr_flush(struct aggr *a);
void aggr_flush_zone(struct aggr *a, const uint8_t *zone);

/* What the cache flushes must not come back by synthesis (portcullis-ctl
 * flush, flush_zone, flush_type). aggr_flush_name forgets everything that
 * could answer for name or a name below it: the zones held at or below
 * it, and in each zone held above it the records at or below name and the
 * one whose span holds name. aggr_flush_at forgets what could answer for
 * name itself: in each zone held at or above it, the record at name or
 * whose span holds it (an NXDOMAIN's or a NODATA's proof needs it). A NULL
 * index is a no-op. */
void aggr_flush_name(struct aggr *a, const uint8_t *name);
void aggr_flush_at(struct aggr *a, const uint8_t *name);

struct aggr_stats {
	size_t zones, records, bytes;
	uint64_t hits_nxdomain, hits_nodata, misses, evictions;
};
void aggr_stats(const struct aggr *a, struct aggr_stats *out);

#endif
