/* cache: RRsets and negative answers, one malloc per entry, chained hash
 * table keyed by the owner name, intrusive LRU list, byte budget.
 *
 * Layout of one entry (a single allocation, see struct centry):
 *
 *   header (48 bytes) | owner | soa owner | u16 end offsets | rdata... soa rdata... extra...
 *
 * The extra records (DNSSEC: the RRset's RRSIGs, a negative answer's
 * NSEC/NSEC3 proofs and their RRSIGs; the DNAME a CNAME was made from) are
 * blobs of their own: lowercased owner name, type, rdata. Unsigned data
 * has none and pays nothing for them.
 *
 * The owner follows the header directly so that walking a chain and comparing
 * a key touches the first cache line or so of each candidate. The offsets are
 * "end of the i-th rdata" relative to the start of the rdata area, which gives
 * O(1) access to any rdata; they may be unaligned and are read with memcpy.
 *
 * The bucket is chosen from the hash of the owner only, never the type: every
 * entry of one owner lives in one chain, so a lookup finds the exact entry and
 * an NXDOMAIN entry for the owner in a single walk, and flushing a name is one
 * chain walk.
 *
 * The price of owner-only buckets: anyone can ask for many types at a popular
 * name, and each NODATA answer would lengthen that name's chain. So an owner
 * holds at most OWNER_MAX entries; a put beyond that drops the owner's least
 * valuable entry (a negative one first, then the one expiring soonest), and a
 * hit found deeper than a few steps moves its entry to the front of the
 * chain so hot entries are found first whatever else shares the bucket.
 *
 * Rank rules beyond "same key": a positive or NODATA entry proves the owner
 * exists, an NXDOMAIN entry says it does not, so they contradict each other.
 *  - Putting a positive/NODATA entry is refused (PC_EEXIST) while a live
 *    NXDOMAIN of higher rank is held for the owner; otherwise it removes the
 *    NXDOMAIN entry.
 *  - Putting an NXDOMAIN removes every entry at the owner (same class) of
 *    equal or lower rank; higher-rank entries stay.
 * Hence when an exact entry and an NXDOMAIN entry are both live, the exact
 * one has the higher rank, and a lookup prefers it.
 *
 * Threads: one writer thread, any number of readers (see cache.h). The
 * chains are guarded by locks striped by bucket: a stripe is chosen by the
 * same top hash bits as the bucket, so each bucket lies in exactly one
 * stripe whatever the table size, and an entry never changes stripe when
 * the table grows. Each stripe has one lock per reader set (readers are
 * spread over N_SETS sets by thread): a reader takes only its own set's
 * lock, the writer takes the stripe's lock in every set. So two readers
 * never write the same lock word, and a cache hit writes no memory another
 * worker reads (a shared lock word would bounce between the cores on every
 * hit). Readers therefore only read chains and entries; the one thing a
 * reader writes is an entry's "referenced" byte, atomically, and only when
 * it was clear. The LRU list and the counters belong to the writer alone.
 * Only the writer frees entries and resizes the table (holding every lock),
 * which is why the writer's borrowed views stay valid while readers come
 * and go. Eviction gives a referenced tail entry a second chance (CLOCK),
 * so the LRU order stays close to real use without readers moving entries. */
#include "cache/cache.h"

#include "util/err.h"
#include "util/list.h"
#include "util/rand.h"
#include "wire/wire.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define TAB_MIN_BITS 4
/* 8 stripes in each of 4 reader sets: 32 locks, which the writer takes
 * all at once to resize the table (a few dozen at most keeps lock checkers
 * such as TSan's usable). More than 4 reader threads share sets, which
 * costs some lock traffic between them, never correctness. */
#define STRIPE_BITS 3 /* at most TAB_MIN_BITS, see the top */
#define N_STRIPES (1u << STRIPE_BITS)
#define N_SETS 4

_Static_assert(STRIPE_BITS <= TAB_MIN_BITS, "a bucket must lie in one stripe");
#define OWNER_MAX 32 /* entries per owner name, all types and classes */
#define TTL_MAX_RFC2181 0x7fffffffu /* RFC 2181 section 8: larger means 0 */

struct centry {
	struct centry *hnext;         /* hash chain */
	uint32_t hash;                /* keyed hash of the lowercased owner */
	uint16_t type, rclass;
	uint64_t exp_ms;              /* absolute expiry; live while now < exp_ms */
	struct list_node lru;         /* in the cache's lru; prev towards the most recent end */
	/* Two bytes that readers change (atomically, under the stripe lock):
	 * cache_get_copy copies neither (see there). */
	_Atomic uint8_t ref;          /* a reader hit it since it was last at the tail */
	_Atomic uint8_t pf;           /* prefetch: the TTL it was stored with (pf_code), and
				       * PF_CLAIMED once a lookup has asked for its refresh */
	uint16_t n_rdata;
	uint8_t n_extra;              /* extra records (RRSIGs, proofs) beside the data */
	uint8_t flags;                /* kind in bits 0-1, rank in bits 2-4, sec in 5-7 */
	uint8_t owner_len;
	uint8_t n_soa;
	uint8_t soa_owner_len;        /* 0: no SOA owner stored */
	uint8_t data[];
};

/* The allocation stops at the data, not at sizeof (which pads to 56): a
 * byte or two decide the malloc size class of many small entries. The
 * header is 49 bytes: the prefetch byte and the extra records' count each
 * fitted the one byte of padding there was, together they take one more. */
_Static_assert(offsetof(struct centry, data) == 49, "the entry header grew");
#define CENTRY_HDR offsetof(struct centry, data)

/* One lock per stripe, each on its own cache line so that two threads
 * using different stripes do not share a line. */
union stripe {
	pthread_mutex_t mu;
	uint8_t pad[64];
};

struct cache {
	union stripe locks[N_SETS][N_STRIPES]; /* first: the struct is 64-byte aligned */
	struct centry **tab;
	unsigned tab_bits; /* buckets = 1 << tab_bits */
	size_t tab_bytes;
	struct list lru; /* struct centry: first most recently used, last next to evict */
	uint64_t bytes, budget;
	uint64_t entries, evictions, expired;
	struct hash_key hkey;
	uint32_t min_ttl, max_ttl, max_neg_ttl;
	uint64_t keep_ms; /* how long an expired entry is kept (serve-expired) */
	bool prefetch;
	/* Read by every reader on each packet-cache hit: a line of its own, so
	 * the writer's updates to the fields above do not move it. */
	_Alignas(64) _Atomic uint64_t flush_gen;
	uint8_t flush_gen_pad[64 - sizeof(uint64_t)];
};

/* A new entry's fields before it is laid out. */
struct newent {
	enum cache_kind kind;
	enum cache_rank rank;
	enum cache_sec sec;
	const uint8_t *owner; /* lowercased */
	size_t owner_len;
	uint32_t hash;
	uint16_t type, rclass;
	uint64_t exp_ms;
	uint8_t pf;
	const struct cache_rdata *rdata;
	size_t n_rdata;
	const uint8_t *soa_owner; /* lowercased, or NULL */
	size_t soa_owner_len;
	const struct cache_rdata *soa;
	size_t n_soa;
	const struct cache_rr *extra;
	size_t n_extra;
};

/* ---- small helpers ---------------------------------------------------- */

/* What an allocation really costs: glibc rounds to its size classes and keeps
 * one size_t of chunk header. Counting that keeps the budget close to RSS. */
static size_t real_size(void *p)
{
	return malloc_usable_size(p) + sizeof(size_t);
}

/* A hit this many steps or fewer down its chain is not moved to the front. */
#define CHAIN_KEEP 2

/* Key buffers: a name plus room to lowercase its last bytes eight at a time. */
#define KEY_MAX (WIRE_NAME_MAX + 8)

/* Copy a wire name lowercased, checking it first: the cache must not trust
 * a name's label lengths to stay inside 255 bytes. Returns the length, or
 * 0 when the name is invalid (compression pointer, overlong). The copy is
 * zero-padded to a multiple of eight bytes (key_hash reads whole words).
 * This runs on every lookup, hence eight bytes per step for both the copy
 * and the lowering: a memcpy of a length known only at run time became a
 * "rep movs", whose start-up cost was most of this function's time. */
static size_t name_lower_copy(uint8_t out[KEY_MAX], const uint8_t *name)
{
	size_t len = 0;
	for (;;) {
		uint8_t l = name[len];
		if (l > WIRE_LABEL_MAX || len + 1 + l > WIRE_NAME_MAX)
			return 0;
		len += 1u + l;
		if (l == 0)
			break;
	}
	size_t i = 0;
	uint64_t x;
	for (; i + 8 <= len; i += 8) {
		memcpy(&x, name + i, 8);
		x = wire_lower8(x);
		memcpy(out + i, &x, 8);
	}
	/* The tail and the zero padding after it: one word either way (the name
	 * may end its buffer, so nothing past it is read). */
	x = wire_lower8(wire_tail_word(name, len));
	memcpy(out + i, &x, 8);
	return len;
}

/* The keyed hash (util/hash.h) of a key from name_lower_copy: the key is
 * already lowercased and zero-padded to a multiple of eight. */
static uint32_t key_hash(const uint8_t *key, size_t len, const struct hash_key *hk)
{
	return (uint32_t)hash_bytes(hk, key, len);
}

/* Fibonacci hashing takes the top bits of a multiply, so buckets depend on
 * every bit of the (keyed) name hash, not only its low bits. */
static size_t bucket_of(uint32_t hash, unsigned bits)
{
	return (uint32_t)(hash * 0x9e3779b9u) >> (32 - bits);
}

static enum cache_kind e_kind(const struct centry *e)
{
	return (enum cache_kind)(e->flags & 3u);
}

static enum cache_rank e_rank(const struct centry *e)
{
	return (enum cache_rank)((e->flags >> 2) & 7u);
}

static enum cache_sec e_sec(const struct centry *e)
{
	return (enum cache_sec)(e->flags >> 5);
}

/* Fresh: before its TTL ran out. Only fresh entries answer cache_get and
 * cache_get_copy. */
static bool e_live(const struct centry *e, uint64_t now_ms)
{
	return now_ms < e->exp_ms;
}

/* Past the time an expired entry is kept for serve-expired (at once when
 * that is off): only then is it removed. */
static bool e_dead(const struct cache *c, const struct centry *e, uint64_t now_ms)
{
	return now_ms >= e->exp_ms && now_ms - e->exp_ms >= c->keep_ms;
}

/* Prefetch (cache.h): an entry remembers the TTL it was stored with in
 * seven bits, three of mantissa and four of exponent, rounded down (so the
 * window is between 8.75 and 10 % of the TTL, never more), which fits the
 * header's one spare byte; TTLs from 245,760 s up share the largest code.
 * 0 means no prefetch. The eighth bit is set by the lookup that claims the
 * refresh, so an entry asks for one refresh in its life. */
#define PF_CLAIMED 0x80u
#define PF_CODE 0x7fu
#define KEEP_FOREVER ((uint64_t)1 << 62)

static uint8_t pf_code(uint32_t ttl)
{
	if (ttl < 8)
		return (uint8_t)ttl;
	unsigned e = (unsigned)(32 - __builtin_clz(ttl)) - 4; /* ttl >> e is 8..15 */
	if (e > 14)
		return PF_CODE;
	return (uint8_t)(((e + 1) << 3) | ((ttl >> e) - 8));
}

/* The prefetch window of a code, in ms: a tenth of the TTL. */
static uint64_t pf_window_ms(unsigned code)
{
	unsigned hi = code >> 3;
	uint64_t ttl = hi == 0 ? code : (uint64_t)(8 + (code & 7)) << (hi - 1);
	return ttl * 100u;
}

static const uint8_t *e_offs(const struct centry *e)
{
	return e->data + e->owner_len + e->soa_owner_len;
}

static size_t e_blobs(const struct centry *e)
{
	return (size_t)e->n_rdata + e->n_soa + e->n_extra;
}

static const uint8_t *e_payload(const struct centry *e)
{
	return e_offs(e) + 2u * e_blobs(e);
}

static uint16_t e_off(const struct centry *e, size_t i)
{
	uint16_t v;
	memcpy(&v, e_offs(e) + 2 * i, sizeof v);
	return v;
}

/* The idx-th blob (rdata first, then SOA rdata) of an entry. */
static struct cache_rdata e_blob(const struct centry *e, size_t idx)
{
	uint16_t start = idx ? e_off(e, idx - 1) : 0;
	struct cache_rdata r = { e_payload(e) + start, (uint16_t)(e_off(e, idx) - start) };
	return r;
}

/* Which of two entries of one owner to give up first when it is full. */
static bool cheaper(const struct centry *a, const struct centry *b)
{
	bool a_neg = e_kind(a) != CACHE_RRSET, b_neg = e_kind(b) != CACHE_RRSET;
	if (a_neg != b_neg)
		return a_neg;
	return a->exp_ms < b->exp_ms;
}

static bool e_owner_is(const struct centry *e, uint32_t hash, const uint8_t *owner, size_t len)
{
	return e->hash == hash && e->owner_len == len && memcmp(e->data, owner, len) == 0;
}

/* Bytes of the entry's allocation that hold data (header to last blob). */
static size_t e_size(const struct centry *e)
{
	size_t n_blobs = e_blobs(e);
	return (size_t)(e_payload(e) - (const uint8_t *)e) + (n_blobs ? e_off(e, n_blobs - 1) : 0);
}

/* ---- locks ------------------------------------------------------------ */

static unsigned stripe_of(uint32_t hash)
{
	return (unsigned)bucket_of(hash, STRIPE_BITS);
}

/* This thread's reader set, handed out round robin on first use. */
static _Atomic unsigned sets_handed;
static _Thread_local unsigned my_set_plus1;

static pthread_mutex_t *reader_lock(struct cache *c, uint32_t hash)
{
	if (my_set_plus1 == 0)
		my_set_plus1 = 1 + atomic_fetch_add_explicit(&sets_handed, 1, memory_order_relaxed) % N_SETS;
	return &c->locks[my_set_plus1 - 1][stripe_of(hash)].mu;
}

/* The writer excludes every reader of the stripe. Readers hold one lock at
 * a time and the writer is one thread, so the order cannot deadlock. */
static void writer_lock(struct cache *c, uint32_t hash)
{
	unsigned st = stripe_of(hash);
	for (unsigned i = 0; i < N_SETS; i++)
		pthread_mutex_lock(&c->locks[i][st].mu);
}

static void writer_unlock(struct cache *c, uint32_t hash)
{
	unsigned st = stripe_of(hash);
	for (unsigned i = N_SETS; i-- > 0;)
		pthread_mutex_unlock(&c->locks[i][st].mu);
}

static void lock_all(struct cache *c)
{
	for (unsigned st = 0; st < N_STRIPES; st++)
		for (unsigned i = 0; i < N_SETS; i++)
			pthread_mutex_lock(&c->locks[i][st].mu);
}

static void unlock_all(struct cache *c)
{
	for (unsigned st = N_STRIPES; st-- > 0;)
		for (unsigned i = N_SETS; i-- > 0;)
			pthread_mutex_unlock(&c->locks[i][st].mu);
}

/* ---- LRU and removal -------------------------------------------------- */

static struct centry *lru_entry(struct list_node *n)
{
	return list_item_or_null(n, struct centry, lru);
}

/* Free an entry already taken out of its hash chain. */
static void entry_free_unchained(struct cache *c, struct centry *e)
{
	list_remove(&c->lru, &e->lru);
	c->bytes -= real_size(e);
	c->entries--;
	free(e);
}

/* Remove an entry found by other means than a chain walk (LRU tail, zone
 * flush): find the link that points at it in its chain first. */
static void entry_drop(struct cache *c, struct centry *e)
{
	struct centry **link = &c->tab[bucket_of(e->hash, c->tab_bits)];
	while (*link != e)
		link = &(*link)->hnext;
	*link = e->hnext;
	entry_free_unchained(c, e);
}

/* Evict from the cold end until the budget holds. keep (the entry just
 * stored) is never evicted: the put checked that it fits on its own. A
 * live tail entry that readers used gets a second chance, once per entry
 * and call, so the walk ends. */
static void evict(struct cache *c, const struct centry *keep, uint64_t now_ms)
{
	uint64_t chances = c->entries;
	struct centry *v;
	while (c->bytes > c->budget && (v = lru_entry(c->lru.last)) != NULL && v != keep) {
		uint32_t h = v->hash; /* v may be freed before the unlock */
		writer_lock(c, h);
		if (atomic_load_explicit(&v->ref, memory_order_relaxed) && chances > 0 &&
		    e_live(v, now_ms)) {
			atomic_store_explicit(&v->ref, 0, memory_order_relaxed);
			writer_unlock(c, h);
			chances--;
			list_move_front(&c->lru, &v->lru);
			continue;
		}
		if (e_live(v, now_ms))
			c->evictions++;
		else
			c->expired++;
		entry_drop(c, v);
		writer_unlock(c, h);
	}
}

/* ---- the table -------------------------------------------------------- */

/* Install a fresh zeroed table of 1 << bits buckets and count it. The caller
 * frees the previous one; on failure nothing changes. */
static int tab_alloc(struct cache *c, unsigned bits)
{
	struct centry **t = calloc((size_t)1 << bits, sizeof *t);
	if (!t)
		return PC_ENOMEM;
	c->tab = t;
	c->tab_bits = bits;
	c->tab_bytes = real_size(t);
	c->bytes += c->tab_bytes;
	return 0;
}

/* Chaining keeps working at any load, so growth is an optimisation: it is
 * skipped when memory is short, and the table may never take more than a
 * quarter of the budget (with a tiny budget, entries matter more than short
 * chains). Load stays <= 1 otherwise: a hit costs about 1.5 probes. */
static void tab_maybe_grow(struct cache *c)
{
	size_t n = (size_t)1 << c->tab_bits;
	if (c->entries <= n || c->tab_bits >= 31)
		return;
	if ((uint64_t)n * 2 * sizeof(struct centry *) > c->budget / 4)
		return;
	struct centry **old = c->tab;
	size_t old_bytes = c->tab_bytes;
	lock_all(c);
	if (tab_alloc(c, c->tab_bits + 1) != 0) {
		unlock_all(c);
		return; /* the old table is still in place and correct */
	}
	for (size_t i = 0; i < n; i++) {
		struct centry *e = old[i], *next;
		for (; e; e = next) {
			next = e->hnext;
			size_t b = bucket_of(e->hash, c->tab_bits);
			e->hnext = c->tab[b];
			c->tab[b] = e;
		}
	}
	unlock_all(c);
	c->bytes -= old_bytes;
	free(old);
}

/* ---- lifecycle -------------------------------------------------------- */

struct cache *cache_new(const struct cache_opts *opts)
{
	void *mem = NULL;
	if (posix_memalign(&mem, 64, sizeof(struct cache)) != 0)
		return NULL;
	struct cache *c = memset(mem, 0, sizeof(struct cache));
	for (unsigned i = 0; i < N_SETS; i++)
		for (unsigned st = 0; st < N_STRIPES; st++)
			pthread_mutex_init(&c->locks[i][st].mu, NULL);
	c->budget = opts->cache_size;
	c->min_ttl = opts->cache_min_ttl;
	c->max_ttl = opts->cache_max_ttl;
	c->max_neg_ttl = opts->cache_max_negative_ttl;
	cache_set_serve_expired(c, opts->serve_expired, opts->serve_expired_ttl);
	cache_set_prefetch(c, opts->prefetch);
	atomic_init(&c->flush_gen, 0);
	/* A secret key: without it, names chosen to share a bucket would turn
	 * every lookup into a long chain walk. */
	hash_key_new(&c->hkey);
	if (tab_alloc(c, TAB_MIN_BITS) != 0) {
		cache_free(c);
		return NULL;
	}
	return c;
}

static void free_all_entries(struct cache *c)
{
	list_each(n, &c->lru) {
		struct centry *e = lru_entry(n);
		c->bytes -= real_size(e);
		free(e);
	}
	list_init(&c->lru);
	c->entries = 0;
	memset(c->tab, 0, ((size_t)1 << c->tab_bits) * sizeof *c->tab);
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	if (c->tab)
		free_all_entries(c);
	free(c->tab);
	for (unsigned i = 0; i < N_SETS; i++)
		for (unsigned st = 0; st < N_STRIPES; st++)
			pthread_mutex_destroy(&c->locks[i][st].mu);
	free(c);
}

static void flushed(struct cache *c)
{
	atomic_fetch_add_explicit(&c->flush_gen, 1, memory_order_release);
}

void cache_set_ttl_bounds(struct cache *c, const struct cache_opts *opts)
{
	c->min_ttl = opts->cache_min_ttl;
	c->max_ttl = opts->cache_max_ttl;
	c->max_neg_ttl = opts->cache_max_negative_ttl;
}

void cache_bump_flush_gen(struct cache *c)
{
	atomic_fetch_add_explicit(&c->flush_gen, 1, memory_order_release);
}

uint64_t cache_flush_gen(const struct cache *c)
{
	return atomic_load_explicit(&c->flush_gen, memory_order_acquire);
}

void cache_flush_all(struct cache *c)
{
	struct centry **old = NULL;
	size_t old_bytes = 0;
	lock_all(c);
	free_all_entries(c);
	/* Give the grown table back too, so a flush really frees memory; if the
	 * small one cannot be had, the empty big one is still correct. */
	if (c->tab_bits > TAB_MIN_BITS) {
		old = c->tab;
		old_bytes = c->tab_bytes;
		if (tab_alloc(c, TAB_MIN_BITS) != 0)
			old = NULL;
	}
	unlock_all(c);
	if (old != NULL) {
		c->bytes -= old_bytes;
		free(old);
	}
	flushed(c);
}

void cache_get_stats(const struct cache *c, struct cache_stats *out)
{
	memset(out, 0, sizeof *out);
	out->bytes = c->bytes;
	out->budget = c->budget;
	out->entries = c->entries;
	out->evictions = c->evictions;
	out->expired = c->expired;
	out->buckets = (uint64_t)1 << c->tab_bits;
}

/* ---- put -------------------------------------------------------------- */

/* Lay the entry out in one allocation. PC_EINVAL when the blobs do not fit
 * 16-bit offsets: an RRset from one DNS message never does. */
static int entry_build(const struct newent *ne, struct centry **out)
{
	size_t n_blobs = ne->n_rdata + ne->n_soa + ne->n_extra;
	size_t payload = 0;
	for (size_t i = 0; i < ne->n_rdata; i++)
		payload += ne->rdata[i].len;
	for (size_t i = 0; i < ne->n_soa; i++)
		payload += ne->soa[i].len;
	for (size_t i = 0; i < ne->n_extra; i++)
		payload += wire_name_len(ne->extra[i].owner) + 2u + ne->extra[i].rdlen;
	if (payload > UINT16_MAX)
		return PC_EINVAL;

	size_t size = CENTRY_HDR + ne->owner_len + ne->soa_owner_len + 2 * n_blobs + payload;
	struct centry *e = malloc(size);
	if (!e)
		return PC_ENOMEM;
	e->hnext = NULL;
	e->hash = ne->hash;
	e->type = ne->type;
	e->rclass = ne->rclass;
	e->exp_ms = ne->exp_ms;
	e->lru.prev = e->lru.next = NULL;
	atomic_init(&e->ref, 0);
	atomic_init(&e->pf, ne->pf);
	e->n_rdata = (uint16_t)ne->n_rdata;
	e->n_extra = (uint8_t)ne->n_extra;
	e->flags = (uint8_t)((unsigned)ne->kind | ((unsigned)ne->rank << 2) |
			     ((unsigned)ne->sec << 5));
	e->owner_len = (uint8_t)ne->owner_len;
	e->n_soa = (uint8_t)ne->n_soa;
	e->soa_owner_len = (uint8_t)ne->soa_owner_len;

	uint8_t *p = e->data;
	memcpy(p, ne->owner, ne->owner_len);
	p += ne->owner_len;
	if (ne->soa_owner_len) {
		memcpy(p, ne->soa_owner, ne->soa_owner_len);
		p += ne->soa_owner_len;
	}
	uint8_t *offs = p;
	uint8_t *blob = offs + 2 * n_blobs;
	uint16_t end = 0;
	size_t n_plain = ne->n_rdata + ne->n_soa;
	for (size_t i = 0; i < n_blobs; i++) {
		if (i >= n_plain) {
			const struct cache_rr *x = &ne->extra[i - n_plain];
			uint8_t key[KEY_MAX];
			size_t ol = name_lower_copy(key, x->owner);
			memcpy(blob + end, key, ol);
			blob[end + ol] = (uint8_t)(x->type >> 8);
			blob[end + ol + 1] = (uint8_t)x->type;
			if (x->rdlen)
				memcpy(blob + end + ol + 2, x->rdata, x->rdlen);
			end = (uint16_t)(end + ol + 2 + x->rdlen);
			memcpy(offs + 2 * i, &end, sizeof end);
			continue;
		}
		const struct cache_rdata *r = i < ne->n_rdata ? &ne->rdata[i] : &ne->soa[i - ne->n_rdata];
		if (r->len)
			memcpy(blob + end, r->data, r->len);
		end = (uint16_t)(end + r->len);
		memcpy(offs + 2 * i, &end, sizeof end);
	}
	*out = e;
	return 0;
}

static int put_entry(struct cache *c, const struct newent *ne, uint64_t now_ms)
{
	struct centry *e;
	int rc = entry_build(ne, &e);
	if (rc)
		return rc;
	size_t esize = real_size(e);
	if (esize + c->tab_bytes > c->budget) {
		free(e);
		return PC_EINVAL;
	}

	/* One walk of the owner's chain: drop what has expired, find the entry
	 * with our key and the owner's NXDOMAIN entry. */
	writer_lock(c, ne->hash);
	struct centry **link = &c->tab[bucket_of(ne->hash, c->tab_bits)];
	struct centry *p, *same = NULL, *nx = NULL, *cheapest = NULL;
	size_t at_owner = 0;
	while ((p = *link)) {
		if (e_dead(c, p, now_ms)) {
			*link = p->hnext;
			entry_free_unchained(c, p);
			c->expired++;
			continue;
		}
		if (e_owner_is(p, ne->hash, ne->owner, ne->owner_len)) {
			at_owner++;
			if (p->rclass == ne->rclass && p->type == ne->type)
				same = p;
			else if (p->rclass == ne->rclass && p->type == CACHE_TYPE_NXDOMAIN)
				nx = p;
			else if (!cheapest || cheaper(p, cheapest))
				cheapest = p;
		}
		link = &p->hnext;
	}
	/* An expired entry kept for serve-expired never stands in the way. */
	if ((same && e_live(same, now_ms) && e_rank(same) > ne->rank) ||
	    (nx && e_live(nx, now_ms) && e_rank(nx) > ne->rank)) {
		writer_unlock(c, ne->hash);
		free(e);
		return PC_EEXIST;
	}
	/* Adding a key to a full owner: make room (see the top of the file). */
	if (!same && at_owner >= OWNER_MAX && cheapest) {
		entry_drop(c, cheapest);
		c->evictions++;
	}

	/* Remove what the new entry replaces: the same key, an NXDOMAIN that
	 * the new data contradicts, or (for a new NXDOMAIN) all the owner's
	 * entries that do not outrank it. */
	link = &c->tab[bucket_of(ne->hash, c->tab_bits)];
	while ((p = *link)) {
		bool drop = p == same || p == nx;
		if (!drop && ne->kind == CACHE_NXDOMAIN && p->rclass == ne->rclass &&
		    (e_rank(p) <= ne->rank || !e_live(p, now_ms)) &&
		    e_owner_is(p, ne->hash, ne->owner, ne->owner_len))
			drop = true;
		if (drop) {
			*link = p->hnext;
			entry_free_unchained(c, p);
		} else {
			link = &p->hnext;
		}
	}

	size_t b = bucket_of(ne->hash, c->tab_bits);
	e->hnext = c->tab[b];
	c->tab[b] = e;
	writer_unlock(c, ne->hash);
	list_push_front(&c->lru, &e->lru);
	c->bytes += esize;
	c->entries++;
	tab_maybe_grow(c);
	evict(c, e, now_ms);
	return 0;
}

static bool rank_ok(enum cache_rank rank)
{
	return rank >= CACHE_RANK_GLUE && rank <= CACHE_RANK_AUTH;
}

/* The extra records must be valid names and rdata the caller owns. */
static bool extra_ok(const struct cache_rr *x, size_t n)
{
	if (n > CACHE_EXTRA_MAX || (n && !x))
		return false;
	uint8_t key[KEY_MAX];
	for (size_t i = 0; i < n; i++)
		if (!x[i].owner || !name_lower_copy(key, x[i].owner) || (x[i].rdlen && !x[i].rdata))
			return false;
	return true;
}

int cache_put_rrset(struct cache *c, const uint8_t *owner, uint16_t type, uint16_t rclass,
		    uint32_t ttl, const struct cache_rdata *rdata, size_t n,
		    enum cache_rank rank, uint64_t now_ms)
{
	return cache_put_rrset_ex(c, owner, type, rclass, ttl, rdata, n, NULL, 0, rank, now_ms);
}

/* The status a put stores: unchecked, or the judged one (a load), whose
 * ttl_cap applies after the TTL clamps. */
static enum cache_sec judged_ttl(const struct cache_judged *j, uint32_t *ttl)
{
	if (j == NULL)
		return CACHE_SEC_UNCHECKED;
	if (j->ttl_cap < *ttl)
		*ttl = j->ttl_cap;
	return j->sec;
}

static int put_rrset(struct cache *c, const uint8_t *owner, uint16_t type, uint16_t rclass,
		     uint32_t ttl, const struct cache_rdata *rdata, size_t n,
		     const struct cache_rr *extra, size_t n_extra, enum cache_rank rank,
		     const struct cache_judged *j, uint64_t now_ms)
{
	uint8_t key[KEY_MAX];
	size_t len = owner ? name_lower_copy(key, owner) : 0;
	if (!len || n == 0 || n > UINT16_MAX || !rdata || !rank_ok(rank) ||
	    type == CACHE_TYPE_NXDOMAIN || !extra_ok(extra, n_extra))
		return PC_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (rdata[i].len && !rdata[i].data)
			return PC_EINVAL;

	if (ttl > TTL_MAX_RFC2181)
		ttl = 0;
	if (ttl < c->min_ttl)
		ttl = c->min_ttl;
	if (ttl > c->max_ttl)
		ttl = c->max_ttl;
	enum cache_sec sec = judged_ttl(j, &ttl);
	/* A zero TTL means "use once, do not cache": storing it would only cost
	 * memory for an entry that is dead on arrival. */
	if (ttl == 0)
		return 0;

	struct newent ne = {
		.kind = CACHE_RRSET, .rank = rank, .sec = sec, .owner = key, .owner_len = len,
		.hash = key_hash(key, len, &c->hkey), .type = type, .rclass = rclass,
		.exp_ms = now_ms + (uint64_t)ttl * 1000u, .rdata = rdata, .n_rdata = n,
		.pf = c->prefetch ? pf_code(ttl) : 0,
		.extra = extra, .n_extra = n_extra,
	};
	return put_entry(c, &ne, now_ms);
}

int cache_put_rrset_ex(struct cache *c, const uint8_t *owner, uint16_t type, uint16_t rclass,
		       uint32_t ttl, const struct cache_rdata *rdata, size_t n,
		       const struct cache_rr *extra, size_t n_extra, enum cache_rank rank,
		       uint64_t now_ms)
{
	return put_rrset(c, owner, type, rclass, ttl, rdata, n, extra, n_extra, rank, NULL, now_ms);
}

int cache_put_rrset_judged(struct cache *c, const uint8_t *owner, uint16_t type, uint16_t rclass,
			   uint32_t ttl, const struct cache_rdata *rdata, size_t n,
			   const struct cache_rr *extra, size_t n_extra, enum cache_rank rank,
			   const struct cache_judged *j, uint64_t now_ms)
{
	if (j == NULL || (unsigned)j->sec > CACHE_SEC_BOGUS_NOSIG)
		return PC_EINVAL;
	return put_rrset(c, owner, type, rclass, ttl, rdata, n, extra, n_extra, rank, j, now_ms);
}

int cache_put_negative(struct cache *c, enum cache_kind kind, const uint8_t *owner,
		       uint16_t type, uint16_t rclass, uint32_t ttl,
		       const uint8_t *soa_owner, const struct cache_rdata *soa, size_t n_soa,
		       enum cache_rank rank, uint64_t now_ms)
{
	return cache_put_negative_ex(c, kind, owner, type, rclass, ttl, soa_owner, soa, n_soa,
				     NULL, 0, rank, now_ms);
}

static int put_negative(struct cache *c, enum cache_kind kind, const uint8_t *owner,
			uint16_t type, uint16_t rclass, uint32_t ttl, const uint8_t *soa_owner,
			const struct cache_rdata *soa, size_t n_soa, const struct cache_rr *extra,
			size_t n_extra, enum cache_rank rank, const struct cache_judged *j,
			uint64_t now_ms)
{
	uint8_t key[KEY_MAX], soa_key[KEY_MAX];
	size_t len = owner ? name_lower_copy(key, owner) : 0;
	size_t soa_len = 0;
	if (!len || !rank_ok(rank) || (kind != CACHE_NODATA && kind != CACHE_NXDOMAIN) ||
	    n_soa > UINT8_MAX || (n_soa && !soa) || !extra_ok(extra, n_extra))
		return PC_EINVAL;
	if (kind == CACHE_NODATA && type == CACHE_TYPE_NXDOMAIN)
		return PC_EINVAL;
	if (soa_owner && !(soa_len = name_lower_copy(soa_key, soa_owner)))
		return PC_EINVAL;
	for (size_t i = 0; i < n_soa; i++)
		if (soa[i].len && !soa[i].data)
			return PC_EINVAL;

	/* Negative TTLs ignore min_ttl on purpose: raising how long we believe
	 * a name does not exist would hide it after it is created. */
	if (ttl > TTL_MAX_RFC2181)
		ttl = 0;
	if (ttl > c->max_neg_ttl)
		ttl = c->max_neg_ttl;
	enum cache_sec sec = judged_ttl(j, &ttl);
	if (ttl == 0)
		return 0;

	struct newent ne = {
		.kind = kind, .rank = rank, .sec = sec, .owner = key, .owner_len = len,
		.hash = key_hash(key, len, &c->hkey),
		.type = kind == CACHE_NXDOMAIN ? CACHE_TYPE_NXDOMAIN : type, .rclass = rclass,
		.exp_ms = now_ms + (uint64_t)ttl * 1000u, .pf = c->prefetch ? pf_code(ttl) : 0,
		.soa_owner = soa_len ? soa_key : NULL, .soa_owner_len = soa_len,
		.soa = soa, .n_soa = n_soa, .extra = extra, .n_extra = n_extra,
	};
	return put_entry(c, &ne, now_ms);
}

int cache_put_negative_ex(struct cache *c, enum cache_kind kind, const uint8_t *owner,
			  uint16_t type, uint16_t rclass, uint32_t ttl,
			  const uint8_t *soa_owner, const struct cache_rdata *soa, size_t n_soa,
			  const struct cache_rr *extra, size_t n_extra, enum cache_rank rank,
			  uint64_t now_ms)
{
	return put_negative(c, kind, owner, type, rclass, ttl, soa_owner, soa, n_soa, extra,
			    n_extra, rank, NULL, now_ms);
}

int cache_put_negative_judged(struct cache *c, enum cache_kind kind, const uint8_t *owner,
			      uint16_t type, uint16_t rclass, uint32_t ttl,
			      const uint8_t *soa_owner, const struct cache_rdata *soa,
			      size_t n_soa, const struct cache_rr *extra, size_t n_extra,
			      enum cache_rank rank, const struct cache_judged *j, uint64_t now_ms)
{
	if (j == NULL || (unsigned)j->sec > CACHE_SEC_BOGUS_NOSIG)
		return PC_EINVAL;
	return put_negative(c, kind, owner, type, rclass, ttl, soa_owner, soa, n_soa, extra,
			    n_extra, rank, j, now_ms);
}

/* A view of an entry (the writer's, or a reader's copy) with ttl; the
 * expired one's TTL reads 0 (view_of). Inlined: it is on every hit. */
static inline __attribute__((always_inline)) void
view_ttl(const struct centry *e, uint32_t ttl, struct cache_entry *out)
{
	out->kind = e_kind(e);
	out->rank = e_rank(e);
	out->sec = e_sec(e);
	out->owner = e->data;
	out->type = e->type;
	out->rclass = e->rclass;
	out->ttl = ttl;
	out->n_rdata = e->n_rdata;
	out->soa_owner = e->soa_owner_len ? e->data + e->owner_len : NULL;
	out->n_soa = e->n_soa;
	out->soa_ttl = ttl;
	out->n_extra = e->n_extra;
	out->priv = e;
	out->pf_ms = UINT64_MAX;
	out->prefetch = false;
}

static void view_of(const struct centry *e, uint64_t now_ms, struct cache_entry *out)
{
	view_ttl(e, e_live(e, now_ms) ? (uint32_t)((e->exp_ms - now_ms) / 1000u) : 0, out);
}

/* ---- get -------------------------------------------------------------- */

/* The one lookup walk of a chain, for the writer's cache_get and the
 * readers' cache_get_copy: from e, the live entry with the key (owner,
 * type, class), else the owner's live NXDOMAIN entry of that class (see the
 * top: when both are live the exact one outranks it), else NULL. When
 * where is not NULL it says how deep the hit lies and whether an expired
 * entry was passed on the way (the writer then tidies the chain; readers
 * pass NULL and leave expired entries alone). Inline, so the readers' copy
 * pays nothing for what only the writer asks. */
struct walk {
	unsigned hit_depth;
	bool expired;
};

static inline struct centry *chain_find(const struct cache *c, struct centry *e, uint32_t h,
					const uint8_t *key, size_t len, uint16_t type,
					uint16_t rclass, uint64_t now_ms, struct walk *where)
{
	struct centry *hit = NULL;
	for (unsigned depth = 0; e; e = e->hnext, depth++) {
		if (!e_live(e, now_ms)) {
			/* kept for serve-expired until e_dead */
			if (where != NULL && e_dead(c, e, now_ms))
				where->expired = true;
			continue;
		}
		if (e->rclass != rclass || !e_owner_is(e, h, key, len))
			continue;
		if (e->type == type || e->type == CACHE_TYPE_NXDOMAIN) {
			hit = e;
			if (where != NULL)
				where->hit_depth = depth;
			if (e->type == type)
				break;
		}
	}
	return hit;
}

int cache_set_sec(struct cache *c, const uint8_t *owner, uint16_t type, uint16_t rclass,
		  enum cache_sec sec, uint32_t ttl_cap, uint64_t now_ms)
{
	uint8_t key[KEY_MAX];
	size_t len = owner ? name_lower_copy(key, owner) : 0;
	if (!len)
		return PC_ENOTFOUND;
	uint32_t h = key_hash(key, len, &c->hkey);
	struct centry *e = chain_find(c, c->tab[bucket_of(h, c->tab_bits)], h, key, len, type,
				      rclass, now_ms, NULL);
	if (e == NULL || e->type != type)
		return PC_ENOTFOUND;
	/* Readers copy entries under their stripe lock: change one under all. */
	uint64_t cap_ms = now_ms + (uint64_t)ttl_cap * 1000u;
	writer_lock(c, h);
	e->flags = (uint8_t)((e->flags & 0x1fu) | ((unsigned)sec << 5));
	if (cap_ms < e->exp_ms)
		e->exp_ms = cap_ms;
	writer_unlock(c, h);
	return 0;
}

bool cache_get(struct cache *c, const uint8_t *owner, uint16_t type, uint16_t rclass,
	       uint64_t now_ms, struct cache_entry *out)
{
	uint8_t key[KEY_MAX];
	size_t len = owner ? name_lower_copy(key, owner) : 0;
	if (!len)
		return false;
	uint32_t h = key_hash(key, len, &c->hkey);

	/* Only this thread changes chains (see the top), so it reads them
	 * without a lock; it takes the readers' locks only to change one. */
	struct centry **head = &c->tab[bucket_of(h, c->tab_bits)];
	struct centry *e;
	struct walk where = { 0, false };
	struct centry *hit = chain_find(c, *head, h, key, len, type, rclass, now_ms, &where);
	/* A hit deep in the chain moves to the front; one among the first
	 * few stays (moving it would cost the locks for a step or two). */
	if (where.expired || where.hit_depth > CHAIN_KEEP) {
		writer_lock(c, h);
		struct centry **link = head;
		while ((e = *link)) {
			if (e_dead(c, e, now_ms)) {
				*link = e->hnext;
				entry_free_unchained(c, e);
				c->expired++;
				continue;
			}
			if (e == hit && link != head) {
				*link = e->hnext;
				e->hnext = *head;
				*head = e;
				continue; /* *link is now the entry after the hit */
			}
			link = &e->hnext;
		}
		writer_unlock(c, h);
	}
	if (!hit)
		return false;

	list_move_front(&c->lru, &hit->lru);
	view_ttl(hit, (uint32_t)((hit->exp_ms - now_ms) / 1000u), out);
	return true;
}

size_t cache_get_copy(struct cache *c, const uint8_t *owner, uint16_t type, uint16_t rclass,
		      uint64_t now_ms, struct cache_entry *out, void *buf, size_t cap)
{
	uint8_t key[KEY_MAX];
	size_t len = owner ? name_lower_copy(key, owner) : 0;
	if (!len)
		return 0;
	uint32_t h = key_hash(key, len, &c->hkey);
	pthread_mutex_t *mu = reader_lock(c, h);
	pthread_mutex_lock(mu);

	/* Like cache_get, but read-only (see the top): expired entries are left
	 * for the writer to remove, and neither the chain nor the LRU moves. */
	struct centry *hit =
		chain_find(c, c->tab[bucket_of(h, c->tab_bits)], h, key, len, type, rclass, now_ms,
			   NULL);
	size_t size = hit ? e_size(hit) : 0;
	if (!hit || size > cap) {
		pthread_mutex_unlock(mu);
		return 0;
	}
	/* Test first: a hot entry then stays a read-only cache line for all. */
	if (!atomic_load_explicit(&hit->ref, memory_order_relaxed))
		atomic_store_explicit(&hit->ref, 1, memory_order_relaxed);
	/* Prefetch: the TTL was computed here anyway; the entry's line is
	 * already read. Past the window's start the first lookup claims the
	 * refresh (one atomic step, once per entry). */
	uint64_t pf_ms = UINT64_MAX;
	bool claim = false;
	unsigned pf = atomic_load_explicit(&hit->pf, memory_order_relaxed);
	if (pf & PF_CODE) {
		pf_ms = hit->exp_ms - pf_window_ms(pf & PF_CODE);
		if (now_ms >= pf_ms && !(pf & PF_CLAIMED))
			claim = !(atomic_fetch_or_explicit(&hit->pf, PF_CLAIMED, memory_order_relaxed) &
				  PF_CLAIMED);
	}
	/* Everything but the LRU links, which the writer changes without the
	 * stripe lock (they are its own), and the referenced and prefetch
	 * bytes, which other readers may be setting: the copy has no use for
	 * them (pf was read above). */
	const size_t links = offsetof(struct centry, lru), rest = offsetof(struct centry, n_rdata);
	memcpy(buf, hit, links);
	memcpy((uint8_t *)buf + rest, (const uint8_t *)hit + rest, size - rest);
	pthread_mutex_unlock(mu);

	const struct centry *cp = buf;
	view_ttl(cp, (uint32_t)((cp->exp_ms - now_ms) / 1000u), out);
	out->pf_ms = pf_ms;
	out->prefetch = claim;
	return (size + 7) & ~(size_t)7;
}

/* ---- serve-expired, prefetch, walks ------------------------------------ */

void cache_set_serve_expired(struct cache *c, bool on, uint32_t max_stale_s)
{
	c->keep_ms = !on ? 0 : max_stale_s == 0 ? KEEP_FOREVER : (uint64_t)max_stale_s * 1000u;
}

void cache_set_prefetch(struct cache *c, bool on)
{
	c->prefetch = on;
}

bool cache_get_stale(struct cache *c, const uint8_t *owner, uint16_t type, uint16_t rclass,
		     uint64_t now_ms, bool reset, struct cache_entry *out, bool *stale)
{
	uint8_t key[KEY_MAX];
	size_t len = owner ? name_lower_copy(key, owner) : 0;
	if (!len)
		return false;
	uint32_t h = key_hash(key, len, &c->hkey);
	/* Best first: fresh before expired, the exact key before an NXDOMAIN. */
	struct centry *e, *best = NULL;
	unsigned best_score = 0;
	for (e = c->tab[bucket_of(h, c->tab_bits)]; e; e = e->hnext) {
		if (e_dead(c, e, now_ms) || e->rclass != rclass || !e_owner_is(e, h, key, len) ||
		    (e->type != type && e->type != CACHE_TYPE_NXDOMAIN))
			continue;
		unsigned score = (e_live(e, now_ms) ? 2u : 0u) + (e->type == type ? 1u : 0u) + 1u;
		if (score > best_score) {
			best = e;
			best_score = score;
		}
	}
	if (!best)
		return false;
	*stale = !e_live(best, now_ms);
	if (*stale && reset) {
		/* serve-expired-ttl-reset: the failed refresh starts the time an
		 * expired entry is kept afresh. */
		writer_lock(c, h);
		best->exp_ms = now_ms;
		writer_unlock(c, h);
	}
	view_of(best, now_ms, out);
	return true;
}

bool cache_walk(struct cache *c, uint64_t now_ms, uint64_t *pos, size_t max, cache_walk_fn fn,
		void *ud)
{
	/* An entry's place is the top of its bucket hash, x; bucket b holds
	 * the x from b << (32 - bits) on, whatever the table size, so the walk
	 * resumes at x = *pos after the table has grown, and skips what it saw
	 * when a flush shrank it. */
	size_t n = 0;
	while (*pos < ((uint64_t)1 << 32)) {
		unsigned shift = 32 - c->tab_bits;
		size_t b = (size_t)(*pos >> shift);
		for (struct centry *e = c->tab[b]; e; e = e->hnext) {
			uint32_t x = e->hash * 0x9e3779b9u;
			if (x < *pos || !e_live(e, now_ms))
				continue;
			struct cache_entry v;
			view_of(e, now_ms, &v);
			fn(ud, &v);
			n++;
		}
		*pos = ((uint64_t)b + 1) << shift;
		if (n >= max)
			break;
	}
	return *pos >= ((uint64_t)1 << 32);
}

struct cache_rdata cache_entry_rdata(const struct cache_entry *e, size_t i)
{
	const struct centry *ce = e->priv;
	if (i >= ce->n_rdata) {
		struct cache_rdata none = { NULL, 0 };
		return none;
	}
	return e_blob(ce, i);
}

struct cache_rdata cache_entry_soa(const struct cache_entry *e, size_t i)
{
	const struct centry *ce = e->priv;
	if (i >= ce->n_soa) {
		struct cache_rdata none = { NULL, 0 };
		return none;
	}
	return e_blob(ce, ce->n_rdata + i);
}

struct cache_rr cache_entry_extra(const struct cache_entry *e, size_t i)
{
	const struct centry *ce = e->priv;
	struct cache_rr x = { NULL, 0, NULL, 0 };
	if (i >= ce->n_extra)
		return x;
	struct cache_rdata b = e_blob(ce, (size_t)ce->n_rdata + ce->n_soa + i);
	size_t ol = wire_name_len(b.data); /* written by entry_build: valid */
	x.owner = b.data;
	x.type = (uint16_t)(b.data[ol] << 8 | b.data[ol + 1]);
	x.rdata = b.data + ol + 2;
	x.rdlen = (uint16_t)(b.len - ol - 2);
	return x;
}

/* ---- flush ------------------------------------------------------------ */

/* Remove the entries whose owner is name: of every type when all_types,
 * else of that type, and an NXDOMAIN for name, which answers every type
 * (this one too). One bucket holds every entry of an owner. */
static size_t flush_owner(struct cache *c, const uint8_t *name, bool all_types, uint16_t type)
{
	uint8_t key[KEY_MAX];
	size_t len = name ? name_lower_copy(key, name) : 0;
	if (!len)
		return 0;
	uint32_t h = key_hash(key, len, &c->hkey);
	writer_lock(c, h);
	struct centry **link = &c->tab[bucket_of(h, c->tab_bits)];
	struct centry *e;
	size_t n = 0;
	while ((e = *link)) {
		if (e_owner_is(e, h, key, len) &&
		    (all_types || e->type == type || e_kind(e) == CACHE_NXDOMAIN)) {
			*link = e->hnext;
			entry_free_unchained(c, e);
			n++;
		} else {
			link = &e->hnext;
		}
	}
	writer_unlock(c, h);
	flushed(c);
	return n;
}

size_t cache_flush_name(struct cache *c, const uint8_t *name)
{
	return flush_owner(c, name, true, 0);
}

size_t cache_flush_type(struct cache *c, const uint8_t *name, uint16_t type)
{
	return flush_owner(c, name, false, type);
}

/* Drop every entry match() picks: an operator's flush, rare enough to
 * visit every entry. */
static size_t flush_matching(struct cache *c, bool (*match)(const struct centry *, const void *),
			     const void *arg)
{
	size_t n = 0;
	list_each(node, &c->lru) {
		struct centry *e = lru_entry(node);
		if (match(e, arg)) {
			uint32_t h = e->hash;
			writer_lock(c, h);
			entry_drop(c, e);
			writer_unlock(c, h);
			n++;
		}
	}
	flushed(c);
	return n;
}

static bool entry_bogus(const struct centry *e, const void *unused)
{
	(void)unused;
	return cache_sec_bogus(e_sec(e));
}

static bool entry_below(const struct centry *e, const void *name)
{
	return wire_name_in(e->data, name);
}

size_t cache_flush_bogus(struct cache *c)
{
	return flush_matching(c, entry_bogus, NULL);
}

size_t cache_flush_zone(struct cache *c, const uint8_t *name)
{
	uint8_t key[KEY_MAX];
	if (!name || !name_lower_copy(key, name))
		return 0;
	return flush_matching(c, entry_below, key);
}
