/* cache: RRsets and negative answers with TTLs, LRU eviction under a byte
 * budget. Knows nothing of sockets or clocks: every call takes "now" (ms,
 * monotonic) from the caller.
 *
 * Names are uncompressed wire format; lookups are case-insensitive (the
 * cache stores owner names lowercased). Rdata is stored as given: the caller
 * has already expanded compressed names inside it.
 *
 * Entries returned by cache_get() are borrowed: valid until the next call
 * that modifies this cache (put, flush, or a get that expires entries).
 *
 * Threads: one thread, the writer, makes every call except cache_get_copy
 * (puts, flushes, cache_get, stats). Any number of threads may call
 * cache_get_copy at the same time: it copies the entry out under a lock
 * striped by hash bucket (one lock per stripe and reader set, so readers do
 * not share lock words), so a reader never holds a pointer into the cache
 * and the writer stays free to replace or evict the entry at once.
 *
 * TTLs: an entry expires at now_ms + ttl * 1000 and is live while now_ms is
 * before that. The TTL reported is the floor of the remaining seconds (a get
 * 2.4 s after a put with TTL 60 reports 57; the last second reports 0).
 * TTLs with the top bit set count as 0 (RFC 2181 section 8).
 *
 * Contradicting entries: positive/NODATA data proves the owner exists, an
 * NXDOMAIN says it does not. A positive/NODATA put is refused (PC_EEXIST)
 * while a live NXDOMAIN of higher rank is held for the owner and class, and
 * otherwise removes that NXDOMAIN; an NXDOMAIN put removes the owner's
 * entries (same class) of equal or lower rank. A lookup prefers the exact
 * entry, which then always outranks a coexisting NXDOMAIN.
 *
 * Serve-expired (cache_set_serve_expired): an expired entry is no longer
 * returned by cache_get or cache_get_copy, but it is kept (within the byte
 * budget, LRU as any other) for a while after its expiry, so that
 * cache_get_stale can still give it when the upstream servers fail. An
 * expired entry never blocks a put, whatever its rank.
 *
 * Prefetch (cache_set_prefetch): entries stored while it is on know their
 * original TTL; in the last tenth of it, the first cache_get_copy that finds
 * the entry claims its refresh (entry.prefetch), once per entry: the
 * refreshed data replaces the entry, which then starts anew.
 *
 * Memory: every entry is one allocation; stats.bytes counts what malloc
 * really uses for entries and the hash table, and the cache evicts least
 * recently used entries to keep it within the budget. */
#ifndef PC_CACHE_CACHE_H
#define PC_CACHE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How much the data is trusted (RFC 2181 section 5.4.1, simplified).
 * A put never replaces a live entry of higher rank. */
enum cache_rank {
	CACHE_RANK_GLUE = 1,       /* additional-section addresses, in bailiwick */
	CACHE_RANK_REFERRAL = 2,   /* NS from a referral's authority section */
	CACHE_RANK_NONAUTH = 3,    /* answers from a forwarder (RD, no AA) */
	CACHE_RANK_AUTH = 4,       /* authoritative answers (AA) */
};

enum cache_kind {
	CACHE_RRSET = 1,    /* positive RRset */
	CACHE_NODATA = 2,   /* the name exists, this type does not */
	CACHE_NXDOMAIN = 3, /* the name does not exist (matches any type) */
};

/* The DNSSEC security status of an entry (RFC 4035 4.3), set by the
 * validator once it has judged the data (cache_set_sec). A put stores
 * CACHE_SEC_UNCHECKED: data nobody has validated yet. The bogus statuses
 * say why (they become the Extended DNS Error of a SERVFAIL, RFC 8914):
 * CACHE_SEC_BOGUS_NOSIG is "RRSIGs missing" for an RRset and "NSEC missing"
 * for a negative entry. Three bits in the entry's header. */
enum cache_sec {
	CACHE_SEC_UNCHECKED = 0,
	CACHE_SEC_INSECURE = 1,      /* no chain of trust covers it (or none is configured) */
	CACHE_SEC_SECURE = 2,        /* validated */
	CACHE_SEC_BOGUS = 3,         /* failed validation (EDE 6) */
	CACHE_SEC_BOGUS_EXPIRED = 4, /* every signature expired (EDE 7) */
	CACHE_SEC_BOGUS_NOT_YET = 5, /* signatures not yet valid (EDE 8) */
	CACHE_SEC_BOGUS_NOKEY = 6,   /* no DNSKEY matched the DS (EDE 9) */
	CACHE_SEC_BOGUS_NOSIG = 7,   /* RRSIGs missing / NSEC missing (EDE 10 / 12) */
};

static inline bool cache_sec_bogus(unsigned sec)
{
	return sec >= CACHE_SEC_BOGUS;
}

/* Type used to store an NXDOMAIN entry; cache_get() finds it for every type. */
#define CACHE_TYPE_NXDOMAIN 0

struct cache_rdata {
	const uint8_t *data;
	uint16_t len;
};

/* A record stored beside an entry's own data (cache_put_rrset_ex,
 * cache_put_negative_ex): an RRset's RRSIGs, a negative answer's SOA RRSIG
 * and NSEC/NSEC3 records with their RRSIGs, the DNAME a CNAME was made
 * from. Its class is the entry's and its TTL counts down with the entry. */
struct cache_rr {
	const uint8_t *owner; /* uncompressed wire name (stored lowercased) */
	uint16_t type;
	const uint8_t *rdata;
	uint16_t rdlen;
};

#define CACHE_EXTRA_MAX 64 /* extra records per entry */

/* A read-only view of one entry. */
struct cache_entry {
	enum cache_kind kind;
	enum cache_rank rank;
	enum cache_sec sec;        /* DNSSEC security status */
	const uint8_t *owner;      /* lowercased wire name */
	uint16_t type, rclass;
	uint32_t ttl;              /* remaining seconds, counted down from insertion */
	size_t n_rdata;
	/* Negative entries carry the SOA that proves them (may be absent: n_soa 0). */
	const uint8_t *soa_owner;
	size_t n_soa;
	uint32_t soa_ttl;          /* remaining */
	size_t n_extra;            /* records stored beside the data (cache_entry_extra) */
	/* Prefetch (cache_set_prefetch; cache_get_copy only, else UINT64_MAX and
	 * false): when the entry's prefetch window begins (UINT64_MAX: never),
	 * and whether this lookup claimed its one refresh. */
	uint64_t pf_ms;
	bool prefetch;
	/* private: use cache_entry_rdata() / cache_entry_soa() */
	const void *priv;
};

struct cache_stats {
	uint64_t bytes;      /* bytes accounted (entries + overhead) */
	uint64_t budget;
	uint64_t entries;
	uint64_t evictions;  /* LRU evictions for space */
	uint64_t expired;    /* removed at expiry */
	uint64_t buckets;    /* hash table size (grows with the entry count) */
};

struct cache;

/* The cache's part of the configuration (named as the keys are; filled by
 * daemon/options.c). */
struct cache_opts {
	uint64_t cache_size;             /* budget, bytes */
	uint32_t cache_min_ttl, cache_max_ttl, cache_max_negative_ttl;
	bool serve_expired;              /* keep expired entries (cache_set_serve_expired) */
	uint32_t serve_expired_ttl;      /* for so many seconds, 0 = no limit */
	bool prefetch;                   /* cache_set_prefetch */
};

/* cache_size: bytes; cache_min_ttl/cache_max_ttl clamp every positive TTL stored (raised to
 * min_ttl first, then capped at max_ttl, so max_ttl wins if they conflict);
 * cache_max_negative_ttl caps negative TTLs, which min_ttl never raises (that would hide
 * a newly created name). The hash key is drawn here (hash_key_new).
 * Returns NULL on allocation failure. */
struct cache *cache_new(const struct cache_opts *opts);
void cache_free(struct cache *c);

/* Store an RRset (owner, type, class) of n rdatas with one TTL (seconds).
 * Replaces any existing entry for the key unless that entry is live and of
 * higher rank. Returns 0, PC_EEXIST when a higher-rank entry was kept, PC_ENOMEM
 * or PC_EINVAL (n == 0, or one entry larger than the budget, invalid name,
 * rdata totalling over 65535 bytes, type CACHE_TYPE_NXDOMAIN).
 * A TTL that is 0 after clamping is not stored (returns 0, nothing changes).
 * rdata is copied; the caller keeps ownership of its buffers. */
int cache_put_rrset(struct cache *c, const uint8_t *owner, uint16_t type, uint16_t rclass,
		    uint32_t ttl, const struct cache_rdata *rdata, size_t n,
		    enum cache_rank rank, uint64_t now_ms);

/* cache_put_rrset with n_extra (at most CACHE_EXTRA_MAX) records kept
 * beside the set, copied like the rdata. */
int cache_put_rrset_ex(struct cache *c, const uint8_t *owner, uint16_t type, uint16_t rclass,
		       uint32_t ttl, const struct cache_rdata *rdata, size_t n,
		       const struct cache_rr *extra, size_t n_extra, enum cache_rank rank,
		       uint64_t now_ms);

/* Store a negative answer (RFC 2308). kind is CACHE_NODATA (for this type) or
 * CACHE_NXDOMAIN (type is ignored and stored as CACHE_TYPE_NXDOMAIN).
 * soa_owner/soa may be NULL/0; ttl is already min(SOA TTL, SOA MINIMUM).
 * At most 255 SOA rdatas. A TTL of 0 (after the max_neg_ttl cap) is not
 * stored. On lookup soa_ttl is the remaining negative TTL (RFC 2308 section 5:
 * the SOA's TTL counts down with the negative answer). */
int cache_put_negative(struct cache *c, enum cache_kind kind, const uint8_t *owner,
		       uint16_t type, uint16_t rclass, uint32_t ttl,
		       const uint8_t *soa_owner, const struct cache_rdata *soa, size_t n_soa,
		       enum cache_rank rank, uint64_t now_ms);

/* cache_put_negative with extra records (the proofs of a signed zone). */
int cache_put_negative_ex(struct cache *c, enum cache_kind kind, const uint8_t *owner,
			  uint16_t type, uint16_t rclass, uint32_t ttl,
			  const uint8_t *soa_owner, const struct cache_rdata *soa, size_t n_soa,
			  const struct cache_rr *extra, size_t n_extra, enum cache_rank rank,
			  uint64_t now_ms);

/* The puts above store an entry unchecked. An entry whose status is
 * already known (load_cache reads it with the data) is stored with it in
 * the same step instead, so that the status can never land on another
 * entry; when ttl_cap is below the entry's TTL (after the cache-min-ttl /
 * cache-max-ttl clamps) the entry is kept ttl_cap seconds (val-bogus-ttl
 * for bogus data), as cache_set_sec does. PC_EINVAL for an unknown sec. */
struct cache_judged {
	enum cache_sec sec;
	uint32_t ttl_cap;
};
int cache_put_rrset_judged(struct cache *c, const uint8_t *owner, uint16_t type, uint16_t rclass,
			   uint32_t ttl, const struct cache_rdata *rdata, size_t n,
			   const struct cache_rr *extra, size_t n_extra, enum cache_rank rank,
			   const struct cache_judged *j, uint64_t now_ms);
int cache_put_negative_judged(struct cache *c, enum cache_kind kind, const uint8_t *owner,
			      uint16_t type, uint16_t rclass, uint32_t ttl,
			      const uint8_t *soa_owner, const struct cache_rdata *soa,
			      size_t n_soa, const struct cache_rr *extra, size_t n_extra,
			      enum cache_rank rank, const struct cache_judged *j, uint64_t now_ms);

/* Look up (owner, type, class). An NXDOMAIN entry for owner answers any type.
 * Expired entries are removed and not returned. A hit moves the entry to the
 * front of the LRU. Returns true and fills *out on a hit (an NXDOMAIN hit has
 * out->type == CACHE_TYPE_NXDOMAIN). No allocation, no copy: out points into
 * the stored entry. */
bool cache_get(struct cache *c, const uint8_t *owner, uint16_t type, uint16_t rclass,
	       uint64_t now_ms, struct cache_entry *out);

/* Any thread (see the top). Look up like cache_get, but copy the entry into
 * buf (cap bytes, 8-byte aligned) and point *out into the copy, which stays
 * valid as long as buf does. Expired entries are skipped, not removed, and
 * the LRU order is not changed: the hit is remembered for eviction (which
 * then spares the entry once). Returns the bytes of buf used, rounded up
 * to a multiple of 8, or 0 on a miss or when the entry does not fit. */
size_t cache_get_copy(struct cache *c, const uint8_t *owner, uint16_t type, uint16_t rclass,
		      uint64_t now_ms, struct cache_entry *out, void *buf, size_t cap);

/* Keep expired entries for max_stale_s seconds after their expiry (0: until
 * the budget evicts them) when on; off (the default) removes them at expiry.
 * Writer thread. */
void cache_set_serve_expired(struct cache *c, bool on, uint32_t max_stale_s);
/* Prefetch windows for the entries stored from now on (default off). */
void cache_set_prefetch(struct cache *c, bool on);

/* Writer thread. Like cache_get, but an expired entry still kept (see
 * serve-expired) answers too when nothing fresh does; *stale tells which
 * (an expired entry's ttl and soa_ttl read 0). With reset, an expired entry
 * found has its keeping time start again from now (serve-expired-ttl-reset).
 * The LRU order is not changed. */
bool cache_get_stale(struct cache *c, const uint8_t *owner, uint16_t type, uint16_t rclass,
		     uint64_t now_ms, bool reset, struct cache_entry *out, bool *stale);

/* Writer thread. Walk the fresh entries from position *pos (0 to begin),
 * calling fn for each, bucket by bucket until at least max were seen or
 * the table's end; *pos is then where to resume. Returns true when the
 * walk is over. The cache may change between calls: an entry present for
 * the whole walk is seen exactly once (positions survive the table's
 * growth). The views are valid during the call; fn must not change the
 * cache. */
typedef void (*cache_walk_fn)(void *ud, const struct cache_entry *e);
bool cache_walk(struct cache *c, uint64_t now_ms, uint64_t *pos, size_t max, cache_walk_fn fn,
		void *ud);

/* The i-th rdata (i < n_rdata) / SOA rdata (i < n_soa) of an entry. */
struct cache_rdata cache_entry_rdata(const struct cache_entry *e, size_t i);
struct cache_rdata cache_entry_soa(const struct cache_entry *e, size_t i);
/* The i-th extra record (i < n_extra); its owner is lowercase. */
struct cache_rr cache_entry_extra(const struct cache_entry *e, size_t i);

/* Set the security status of the live entry (owner, type, class): for an
 * NXDOMAIN entry, type is CACHE_TYPE_NXDOMAIN. When ttl_cap is below the
 * entry's remaining TTL, the entry now expires after ttl_cap seconds (an
 * RRSIG's original TTL or expiration, val-bogus-ttl); it is never made
 * to live longer. Writer thread. Returns 0 or PC_ENOTFOUND. */
int cache_set_sec(struct cache *c, const uint8_t *owner, uint16_t type, uint16_t rclass,
		  enum cache_sec sec, uint32_t ttl_cap, uint64_t now_ms);

/* Remove every entry whose owner is name (all types and classes). Returns count. */
size_t cache_flush_name(struct cache *c, const uint8_t *name);
/* Remove the entries of one type whose owner is name (every class), and
 * an NXDOMAIN for name (it answers that type too). Returns count. */
size_t cache_flush_type(struct cache *c, const uint8_t *name, uint16_t type);
/* Remove every entry at or below name. Returns count. */
size_t cache_flush_zone(struct cache *c, const uint8_t *name);
void cache_flush_all(struct cache *c);
/* Remove every entry whose status is bogus (expired ones kept for
 * serve-expired too). Returns count. */
size_t cache_flush_bogus(struct cache *c);

/* A count of the flushes above, raised after each has removed its entries:
 * a copy of an answer made after reading it (pcache.h) holds no data that
 * a later flush removed while the count still reads the same. Any thread. */
uint64_t cache_flush_gen(const struct cache *c);

void cache_get_stats(const struct cache *c, struct cache_stats *out);

/* New TTL bounds (a reload): those of opts (its cache_size is not used:
 * the size needs a restart). Entries stored from now on are clamped to
 * them; entries already cached keep theirs. The thread that stores. */
void cache_set_ttl_bounds(struct cache *c, const struct cache_opts *opts);

/* Raise the flush count without removing anything: every copy of an answer
 * made before (the packet caches) stops being served. Any thread. */
void cache_bump_flush_gen(struct cache *c);

#endif
