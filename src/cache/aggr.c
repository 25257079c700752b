/* aggr: validated NSEC records per zone in canonical order (see aggr.h). */
#include "cache/aggr.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/hash.h"
#include "wire/wire.h"

struct alink {
	struct alink *prev, *next; /* LRU, most recent first */
};

/* One kept record: an NSEC in its zone's sorted vector, or the zone's SOA. */
struct arec {
	struct alink l; /* first: a link is its record */
	struct azone *zone;
	uint64_t expire_ms;
	size_t bytes;
	uint16_t type, rdlen;
	uint8_t nsigs;
	uint16_t siglen[AGGR_MAX_SIGS];
	const uint8_t *owner, *rdata, *sig[AGGR_MAX_SIGS];
	uint8_t data[]; /* owner (lowercased), rdata, signatures */
};

struct azone {
	struct azone *hnext;
	uint64_t hash;
	uint8_t name[WIRE_NAME_MAX];
	struct arec **v; /* NSEC records sorted by owner, canonical order */
	size_t n, cap;
	struct arec *soa;
	size_t bytes;
};

struct aggr {
	struct hash_key key;
	struct azone **bucket;
	size_t nbucket, nzones, nrec;
	struct alink lru; /* sentinel */
	size_t bytes, max;
	uint64_t hits_nxdomain, hits_nodata, misses, evictions;
};

static size_t zone_bytes(const struct azone *z)
{
	return sizeof *z + z->cap * sizeof z->v[0];
}

static uint64_t name_hash(const struct aggr *a, const uint8_t *name)
{
	uint8_t lo[WIRE_NAME_MAX];
	size_t len = wire_name_copy(lo, name);
	wire_name_lower(lo);
	return hash_bytes(&a->key, lo, len);
}

struct aggr *aggr_new(size_t max_bytes)
{
	struct aggr *a = calloc(1, sizeof *a);
	if (a == NULL)
		return NULL;
	a->nbucket = 64;
	a->bucket = calloc(a->nbucket, sizeof a->bucket[0]);
	if (a->bucket == NULL) {
		free(a);
		return NULL;
	}
	hash_key_new(&a->key);
	a->lru.prev = a->lru.next = &a->lru;
	a->max = max_bytes;
	a->bytes = sizeof *a + a->nbucket * sizeof a->bucket[0];
	return a;
}

/* ---- LRU and removal ------------------------------------------------- */

static void lru_unlink(struct arec *r)
{
	r->l.prev->next = r->l.next;
	r->l.next->prev = r->l.prev;
}

static void lru_front(struct aggr *a, struct arec *r)
{
	r->l.next = a->lru.next;
	r->l.prev = &a->lru;
	a->lru.next->prev = &r->l;
	a->lru.next = &r->l;
}

static struct arec *rec_of(struct alink *l)
{
	return (struct arec *)l;
}

/* Index in z->v of the last owner <= name (canonical order), or -1. */
static long find_le(const struct azone *z, const uint8_t *name)
{
	size_t lo = 0, hi = z->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (wire_name_canon_cmp(z->v[mid]->owner, name) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

static void zone_unlink(struct aggr *a, struct azone *z)
{
	struct azone **pp = &a->bucket[z->hash & (a->nbucket - 1)];
	while (*pp != z)
		pp = &(*pp)->hnext;
	*pp = z->hnext;
	a->nzones--;
	a->bytes -= zone_bytes(z);
	free(z->v);
	free(z);
}

/* Take r out of everything and free it; its zone stays. */
static void rec_detach(struct aggr *a, struct arec *r)
{
	struct azone *z = r->zone;
	lru_unlink(r);
	if (z->soa == r) {
		z->soa = NULL;
	} else {
		long i = find_le(z, r->owner);
		if (i >= 0 && z->v[i] == r) {
			memmove(&z->v[i], &z->v[i + 1], (z->n - (size_t)i - 1) * sizeof z->v[0]);
			z->n--;
		}
		a->nrec--;
	}
	a->bytes -= r->bytes;
	free(r);
}

/* The same; the zone goes with its last record. */
static void rec_remove(struct aggr *a, struct arec *r)
{
	struct azone *z = r->zone;
	rec_detach(a, r);
	if (z->n == 0 && z->soa == NULL)
		zone_unlink(a, z);
}

static void evict(struct aggr *a)
{
	while (a->bytes > a->max && a->lru.prev != &a->lru) {
		rec_remove(a, rec_of(a->lru.prev));
		a->evictions++;
	}
}

void aggr_flush(struct aggr *a)
{
	while (a->lru.next != &a->lru)
		rec_remove(a, rec_of(a->lru.next));
}

void aggr_flush_zone(struct aggr *a, const uint8_t *zone)
{
	struct alink *l = a->lru.next;
	while (l != &a->lru) {
		struct alink *nx = l->next;
		struct arec *r = rec_of(l);
		/* a zone goes with its last record, so nx's zone (holding nx)
		 * outlives this removal */
		if (wire_name_in(r->zone->name, zone))
			rec_remove(a, r);
		l = nx;
	}
}

void aggr_free(struct aggr *a)
{
	if (a == NULL)
		return;
	aggr_flush(a);
	free(a->bucket);
	free(a);
}

void aggr_stats(const struct aggr *a, struct aggr_stats *out)
{
	*out = (struct aggr_stats){ a->nzones, a->nrec, a->bytes, a->hits_nxdomain,
				    a->hits_nodata, a->misses, a->evictions };
}

/* ---- zones ----------------------------------------------------------- */

static struct azone *zone_find(const struct aggr *a, const uint8_t *name, uint64_t h)
{
	for (struct azone *z = a->bucket[h & (a->nbucket - 1)]; z; z = z->hnext)
		if (z->hash == h && wire_name_eq(z->name, name))
			return z;
	return NULL;
}

static void grow_buckets(struct aggr *a)
{
	size_t nb = a->nbucket * 2;
	struct azone **b = calloc(nb, sizeof b[0]);
	if (b == NULL)
		return; /* chains get longer; still correct */
	for (size_t i = 0; i < a->nbucket; i++)
		for (struct azone *z = a->bucket[i], *nx; z; z = nx) {
			nx = z->hnext;
			z->hnext = b[z->hash & (nb - 1)];
			b[z->hash & (nb - 1)] = z;
		}
	free(a->bucket);
	a->bytes += (nb - a->nbucket) * sizeof b[0];
	a->bucket = b;
	a->nbucket = nb;
}

static struct azone *zone_get(struct aggr *a, const uint8_t *name)
{
	uint64_t h = name_hash(a, name);
	struct azone *z = zone_find(a, name, h);
	if (z != NULL)
		return z;
	z = calloc(1, sizeof *z);
	if (z == NULL)
		return NULL;
	z->hash = h;
	wire_name_copy(z->name, name);
	wire_name_lower(z->name);
	z->hnext = a->bucket[h & (a->nbucket - 1)];
	a->bucket[h & (a->nbucket - 1)] = z;
	a->nzones++;
	a->bytes += zone_bytes(z);
	if (a->nzones > a->nbucket)
		grow_buckets(a);
	return z;
}

/* ---- records --------------------------------------------------------- */

/* Length of the uncompressed name at the start of rdata, or 0. */
static size_t rdata_name_len(const uint8_t *p, size_t len)
{
	size_t i = 0;
	while (i < len) {
		uint8_t l = p[i];
		if (l > 63 || i + 1 + l > WIRE_NAME_MAX)
			return 0;
		if (l == 0)
			return i + 1;
		i += 1 + (size_t)l;
	}
	return 0;
}

/* Is type set in the NSEC's bit map? False when malformed. */
static bool nsec_has(const struct arec *r, uint16_t type)
{
	size_t i = rdata_name_len(r->rdata, r->rdlen);
	if (i == 0)
		return false;
	while (i + 2 <= r->rdlen) {
		uint8_t win = r->rdata[i], n = r->rdata[i + 1];
		if (n == 0 || n > 32 || i + 2 + n > r->rdlen)
			return false;
		if (win == type >> 8) {
			unsigned bit = type & 0xffu;
			return bit / 8 < n && (r->rdata[i + 2 + bit / 8] & (0x80u >> (bit % 8)));
		}
		i += 2 + (size_t)n;
	}
	return false;
}

/* Is the type bit map after the next name well formed (RFC 4034 4.1.2:
 * windows in increasing order, 1 to 32 bytes each, filling the rdata)? A
 * malformed map must not read as "no types". */
static bool bitmap_ok(const uint8_t *rdata, size_t len, size_t i)
{
	int last = -1;
	while (i < len) {
		if (i + 2 > len)
			return false;
		uint8_t win = rdata[i], n = rdata[i + 1];
		if (n == 0 || n > 32 || (int)win <= last || i + 2 + n > len)
			return false;
		last = win;
		i += 2 + (size_t)n;
	}
	return true;
}

static struct arec *rec_new(uint16_t type, const uint8_t *owner, const uint8_t *rdata,
			    uint16_t rdlen, const struct cache_rdata *sigs, size_t nsigs)
{
	size_t olen = wire_name_len(owner), total = olen + rdlen;
	if (nsigs > AGGR_MAX_SIGS)
		nsigs = AGGR_MAX_SIGS;
	for (size_t i = 0; i < nsigs; i++)
		total += sigs[i].len;
	struct arec *r = malloc(sizeof *r + total);
	if (r == NULL)
		return NULL;
	memset(r, 0, sizeof *r);
	uint8_t *p = r->data;
	memcpy(p, owner, olen);
	wire_name_lower(p);
	r->owner = p;
	p += olen;
	memcpy(p, rdata, rdlen);
	r->rdata = p;
	r->rdlen = rdlen;
	p += rdlen;
	for (size_t i = 0; i < nsigs; i++) {
		memcpy(p, sigs[i].data, sigs[i].len);
		r->sig[i] = p;
		r->siglen[i] = sigs[i].len;
		p += sigs[i].len;
	}
	r->nsigs = (uint8_t)nsigs;
	r->type = type;
	r->bytes = malloc_usable_size(r);
	return r;
}

static bool sigs_ok(const struct cache_rdata *sigs, size_t nsigs)
{
	for (size_t i = 0; i < nsigs && i < AGGR_MAX_SIGS; i++)
		if (sigs[i].data == NULL && sigs[i].len > 0)
			return false;
	return true;
}

/* Is name strictly inside r's span: owner < name < next, or after the
 * owner for the last record of the zone (next wraps to the apex)? */
static bool span_holds(const struct arec *r, const uint8_t *name)
{
	const uint8_t *next = r->rdata; /* checked at put */
	if (wire_name_canon_cmp(r->owner, name) >= 0)
		return false;
	if (wire_name_canon_cmp(next, r->owner) <= 0)
		return true;
	return wire_name_canon_cmp(name, next) < 0;
}

/* The index keeps one invariant: no record's owner lies inside another
 * record's span. Then the only record that can cover a name is the one
 * just before it, which is what aggr_lookup looks at. Records of two
 * versions of a zone can break it (a name added since the older NSEC was
 * signed): the record just put, v[at], is the newer data, so the records it
 * contradicts go. */
static void drop_contradicted(struct aggr *a, struct azone *z, size_t at)
{
	struct arec *r = z->v[at];
	while (at + 1 < z->n && span_holds(r, z->v[at + 1]->owner))
		rec_detach(a, z->v[at + 1]);
	if (at > 0 && span_holds(z->v[at - 1], r->owner))
		rec_detach(a, z->v[at - 1]);
}

int aggr_put(struct aggr *a, const uint8_t *zone, const uint8_t *owner, const uint8_t *rdata,
	     uint16_t rdlen, const struct cache_rdata *sigs, size_t nsigs, uint32_t ttl,
	     uint64_t now_ms)
{
	if (ttl == 0 || ttl >= 0x80000000u || !wire_name_in(owner, zone) ||
	    (nsigs && !sigs_ok(sigs, nsigs)))
		return PC_EINVAL;
	/* the next name must be in the zone too (the last one names the apex) */
	size_t nl = rdata_name_len(rdata, rdlen);
	if (nl == 0 || !wire_name_in(rdata, zone) || !bitmap_ok(rdata, rdlen, nl))
		return PC_EINVAL;
	struct azone *z = zone_get(a, zone);
	if (z == NULL)
		return PC_ENOMEM;
	struct arec *r = rec_new(WIRE_T_NSEC, owner, rdata, rdlen, sigs, nsigs);
	if (r == NULL) {
		if (z->n == 0 && z->soa == NULL)
			zone_unlink(a, z);
		return PC_ENOMEM;
	}
	r->zone = z;
	r->expire_ms = now_ms + (uint64_t)ttl * 1000;
	long i = find_le(z, owner);
	if (i >= 0 && wire_name_eq(z->v[i]->owner, owner)) {
		struct arec *old = z->v[i];
		lru_unlink(old);
		a->bytes -= old->bytes;
		free(old);
		z->v[i] = r;
		drop_contradicted(a, z, (size_t)i);
	} else {
		if (z->n == z->cap) {
			size_t cap = z->cap ? z->cap * 2 : 8;
			struct arec **v = realloc(z->v, cap * sizeof v[0]);
			if (v == NULL) {
				free(r);
				if (z->n == 0 && z->soa == NULL)
					zone_unlink(a, z);
				return PC_ENOMEM;
			}
			a->bytes += (cap - z->cap) * sizeof v[0];
			z->v = v;
			z->cap = cap;
		}
		size_t at = (size_t)(i + 1);
		memmove(&z->v[at + 1], &z->v[at], (z->n - at) * sizeof z->v[0]);
		z->v[at] = r;
		z->n++;
		a->nrec++;
		drop_contradicted(a, z, at);
	}
	a->bytes += r->bytes;
	lru_front(a, r);
	evict(a);
	return 0;
}

int aggr_put_soa(struct aggr *a, const uint8_t *zone, const uint8_t *rdata, uint16_t rdlen,
		 const struct cache_rdata *sigs, size_t nsigs, uint32_t ttl, uint64_t now_ms)
{
	if (ttl == 0 || ttl >= 0x80000000u || rdlen == 0 || (nsigs && !sigs_ok(sigs, nsigs)))
		return PC_EINVAL;
	struct azone *z = zone_get(a, zone);
	if (z == NULL)
		return PC_ENOMEM;
	struct arec *r = rec_new(WIRE_T_SOA, zone, rdata, rdlen, sigs, nsigs);
	if (r == NULL) {
		if (z->n == 0 && z->soa == NULL)
			zone_unlink(a, z);
		return PC_ENOMEM;
	}
	r->zone = z;
	r->expire_ms = now_ms + (uint64_t)ttl * 1000;
	if (z->soa != NULL) {
		lru_unlink(z->soa);
		a->bytes -= z->soa->bytes;
		free(z->soa);
	}
	z->soa = r;
	a->bytes += r->bytes;
	lru_front(a, r);
	evict(a);
	return 0;
}

/* ---- lookup ---------------------------------------------------------- */

static bool next_of(const struct arec *r, const uint8_t **next)
{
	if (rdata_name_len(r->rdata, r->rdlen) == 0)
		return false;
	*next = r->rdata;
	return true;
}

static bool below(const uint8_t *name, const uint8_t *anc)
{
	return wire_name_labels(name) > wire_name_labels(anc) && wire_name_in(name, anc);
}

/* The live record at or before name; expired ones met are dropped. The
 * zone may go away when its last record does: *gone is set then. */
static struct arec *pred(struct aggr *a, struct azone *z, const uint8_t *name, uint64_t now_ms,
			 bool *gone)
{
	for (;;) {
		long i = find_le(z, name);
		if (i < 0)
			return NULL;
		struct arec *r = z->v[i];
		if (r->expire_ms > now_ms)
			return r;
		bool last = z->n == 1 && z->soa == NULL;
		rec_remove(a, r);
		if (last) {
			*gone = true;
			return NULL;
		}
	}
}

/* r (owner < name) covers name, and may speak about it? */
static bool covers(const struct arec *r, const uint8_t *name)
{
	const uint8_t *next;
	if (!next_of(r, &next))
		return false;
	if (wire_name_canon_cmp(r->owner, name) >= 0)
		return false;
	/* the last NSEC of the zone wraps to the apex: it covers all after it */
	if (wire_name_canon_cmp(next, r->owner) > 0 && wire_name_canon_cmp(name, next) >= 0)
		return false;
	/* a cut or a DNAME above name: what lies below is not this zone's */
	if (below(name, r->owner) &&
	    ((nsec_has(r, WIRE_T_NS) && !nsec_has(r, WIRE_T_SOA)) || nsec_has(r, WIRE_T_DNAME)))
		return false;
	return true;
}

static unsigned common_labels(const uint8_t *a, const uint8_t *b)
{
	unsigned la = wire_name_labels(a), lb = wire_name_labels(b), k = 0;
	unsigned m = la < lb ? la : lb;
	while (k < m && wire_name_eq(wire_name_strip(a, la - k - 1), wire_name_strip(b, lb - k - 1)))
		k++;
	return k;
}

/* Does the matching record r deny qtype at its owner? */
static bool denies(const struct arec *r, const uint8_t *owner, uint16_t qtype)
{
	if (nsec_has(r, qtype) || nsec_has(r, WIRE_T_CNAME))
		return false;
	bool cut = nsec_has(r, WIRE_T_NS) && !nsec_has(r, WIRE_T_SOA);
	if (qtype == WIRE_T_DS)
		return !nsec_has(r, WIRE_T_SOA) || owner[0] == 0;
	return !cut;
}

static void fill(struct aggr_rr *o, const struct arec *r)
{
	o->owner = r->owner;
	o->type = r->type;
	o->rdata = r->rdata;
	o->rdlen = r->rdlen;
	o->nsigs = r->nsigs;
	for (size_t i = 0; i < r->nsigs; i++)
		o->sigs[i] = (struct cache_rdata){ r->sig[i], r->siglen[i] };
}

static uint32_t remaining(const struct arec *r, uint64_t now_ms)
{
	return (uint32_t)((r->expire_ms - now_ms) / 1000);
}

/* The answer from zone z, or AGGR_MISS. */
static enum aggr_kind lookup_zone(struct aggr *a, struct azone *z, const uint8_t *qname,
				  uint16_t qtype, uint64_t now_ms, struct aggr_answer *out)
{
	bool gone = false;
	const struct arec *used[2] = { NULL, NULL };
	enum aggr_kind kind = AGGR_MISS;
	if (z->soa == NULL)
		return AGGR_MISS;
	if (z->soa->expire_ms <= now_ms) {
		rec_remove(a, z->soa); /* may take the zone with it */
		return AGGR_MISS;
	}
	struct arec *p = pred(a, z, qname, now_ms, &gone);
	if (gone || p == NULL)
		return AGGR_MISS;
	if (wire_name_eq(p->owner, qname)) {
		if (!denies(p, qname, qtype))
			return AGGR_MISS;
		used[0] = p;
		kind = AGGR_NODATA;
	} else {
		const uint8_t *next;
		if (!covers(p, qname) || !next_of(p, &next))
			return AGGR_MISS;
		used[0] = p;
		if (below(next, qname)) {
			kind = AGGR_NODATA; /* an empty non-terminal */
		} else {
			/* the closest encloser, and the wildcard there */
			unsigned k = common_labels(qname, p->owner), k2 = common_labels(qname, next);
			unsigned nl = wire_name_labels(qname);
			if (k2 > k)
				k = k2;
			if (k < wire_name_labels(z->name))
				return AGGR_MISS;
			const uint8_t *ce = wire_name_strip(qname, nl - k);
			uint8_t wc[WIRE_NAME_MAX];
			size_t cl = wire_name_len(ce);
			if (cl + 2 > WIRE_NAME_MAX)
				return AGGR_MISS;
			wc[0] = 1;
			wc[1] = '*';
			memcpy(wc + 2, ce, cl);
			struct arec *w = pred(a, z, wc, now_ms, &gone);
			if (gone || w == NULL)
				return AGGR_MISS;
			if (wire_name_eq(w->owner, wc)) {
				/* the wildcard exists: a NODATA from it, or a
				 * positive answer this index does not make */
				if (!denies(w, wc, qtype) || qtype == WIRE_T_DS)
					return AGGR_MISS;
				kind = AGGR_NODATA;
			} else {
				if (!covers(w, wc))
					return AGGR_MISS;
				kind = AGGR_NXDOMAIN;
			}
			if (w != p)
				used[1] = w;
		}
	}
	memset(out, 0, sizeof *out);
	out->kind = kind;
	out->zone = z->name;
	fill(&out->soa, z->soa);
	out->ttl = remaining(z->soa, now_ms);
	for (size_t i = 0; i < 2 && used[i]; i++) {
		fill(&out->nsec[out->n++], used[i]);
		uint32_t t = remaining(used[i], now_ms);
		if (t < out->ttl)
			out->ttl = t;
		lru_unlink((struct arec *)used[i]);
		lru_front(a, (struct arec *)used[i]);
	}
	return kind;
}

enum aggr_kind aggr_lookup(struct aggr *a, const uint8_t *qname, uint16_t qtype, uint64_t now_ms,
			   struct aggr_answer *out)
{
	memset(out, 0, sizeof *out);
	if (a == NULL || a->nzones == 0) {
		if (a)
			a->misses++;
		return AGGR_MISS;
	}
	unsigned nl = wire_name_labels(qname);
	for (unsigned k = 0; k <= nl; k++) {
		const uint8_t *name = wire_name_strip(qname, k);
		/* DS at an apex is the parent's to deny */
		if (k == 0 && qtype == WIRE_T_DS && nl > 0)
			continue;
		struct azone *z = zone_find(a, name, name_hash(a, name));
		if (z == NULL)
			continue;
		/* the deepest zone held is the one to ask, hit or miss */
		enum aggr_kind kind = lookup_zone(a, z, qname, qtype, now_ms, out);
		if (kind == AGGR_NXDOMAIN)
			a->hits_nxdomain++;
		else if (kind == AGGR_NODATA)
			a->hits_nodata++;
		else
			a->misses++;
		if (kind == AGGR_MISS)
			memset(out, 0, sizeof *out);
		return kind;
	}
	a->misses++;
	return AGGR_MISS;
}

/* Remove the records of z at indexes [lo, hi); false when z went with
 * them (its last record). */
static bool remove_range(struct aggr *a, struct azone *z, size_t lo, size_t hi)
{
	for (size_t k = lo; k < hi; k++) {
		bool last = z->n == 1 && z->soa == NULL;
		rec_remove(a, z->v[lo]);
		if (last)
			return false;
	}
	return true;
}

/* ---- flushes for the control verbs (aggr.h) ---------------------------- */

/* Canonical order puts a name's descendants right after it: the records
 * at or below name are one run of z->v, and the one just before the run
 * may be a record whose span holds name (when name has none of its own).
 * below: name's whole subtree (the zones held under it are flushed first,
 * so the walk meets only zones at or above it); otherwise name alone. */
static void flush_names(struct aggr *a, const uint8_t *name, bool below)
{
	if (a == NULL)
		return;
	uint8_t lo[WIRE_NAME_MAX];
	wire_name_copy(lo, name);
	wire_name_lower(lo);
	if (below)
		aggr_flush_zone(a, lo);
	unsigned nl = wire_name_labels(lo);
	for (unsigned k = 0; k <= nl; k++) {
		const uint8_t *anc = wire_name_strip(lo, k);
		struct azone *z = zone_find(a, anc, name_hash(a, anc));
		if (z == NULL)
			continue;
		long i = find_le(z, lo);
		bool at = i >= 0 && wire_name_eq(z->v[i]->owner, lo);
		size_t first = at ? (size_t)i : (size_t)(i + 1);
		size_t end = at ? first + 1 : first;
		while (below && end < z->n && wire_name_in(z->v[end]->owner, lo))
			end++;
		bool before = i >= 0 && !at && span_holds(z->v[i], lo);
		remove_range(a, z, before ? (size_t)i : first, end);
	}
}

void aggr_flush_name(struct aggr *a, const uint8_t *name)
{
	flush_names(a, name, true);
}

void aggr_flush_at(struct aggr *a, const uint8_t *name)
{
	flush_names(a, name, false);
}
