/* pcache: finished answers to exact query packets (pcache.h). */
#include "cache/pcache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/rand.h"
#include "wire/wire.h"

#define WAYS 4      /* entries per set */
#define TTLS 16     /* records with a TTL per answer, at most */

struct pentry {
	uint64_t base_ms; /* when the answer was written */
	uint64_t exp_ms;  /* when its first TTL runs out; 0: empty */
	uint64_t gen;
	uint16_t klen, alen;
	uint8_t n_ttl, rcode;
	uint16_t ttl_off[TTLS]; /* where each record's TTL is in ans */
	uint32_t ttl[TTLS];     /* as written */
	uint8_t key[PCACHE_QUERY_MAX]; /* the query after its ID */
	uint8_t ans[PCACHE_ANSWER_MAX];
};

struct pcache {
	size_t mask; /* sets - 1 */
	struct hash_key hkey;
	uint32_t *tag;  /* per set, WAYS hashes of the keys held (0: none) */
	struct pentry *e;
};

struct pcache *pcache_new(size_t entries)
{
	if (entries == 0)
		return NULL;
	size_t sets = 1;
	while (sets * WAYS < entries && sets < ((size_t)1 << 24))
		sets <<= 1;
	struct pcache *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->mask = sets - 1;
	hash_key_new(&p->hkey);
	/* calloc: the entries' block is big enough to come from mmap, so its
	 * pages cost memory only once an answer is kept in them. */
	p->tag = calloc(sets * WAYS, sizeof(*p->tag));
	p->e = calloc(sets * WAYS, sizeof(*p->e));
	if (p->tag == NULL || p->e == NULL) {
		pcache_free(p);
		return NULL;
	}
	return p;
}

void pcache_free(struct pcache *p)
{
	if (p == NULL)
		return;
	free(p->tag);
	free(p->e);
	free(p);
}

/* Never 0, which marks an empty way. Its low bits pick the set.
 *
 * Not the keyed hash of util/hash.h, on purpose: this runs on every packet
 * cache hit, where SipHash-1-3 of a query (some 45 bytes) cost 138 more
 * instructions than this, a third of the hit (callgrind). A table of fixed
 * 4-way sets with the whole key compared needs no protection from chosen
 * collisions: queries made to share a set can only evict each other and
 * the few entries of that set, never lengthen a walk. The key still keeps
 * the set of a query unpredictable. One multiply and xor-shift per word. */
static uint32_t key_hash(const struct pcache *p, const uint8_t *k, size_t len)
{
	uint64_t h = p->hkey.k0 ^ ((uint64_t)len * 0x9e3779b97f4a7c15u);
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, k + i, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9u;
		h ^= h >> 29;
	}
	h = (h ^ wire_tail_word(k, len)) * 0xbf58476d1ce4e5b9u;
	h ^= h >> 29;
	uint32_t v = (uint32_t)((h * 0x94d049bb133111ebu) >> 32);
	return v != 0 ? v : 1;
}

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

size_t pcache_answer(struct pcache *p, const uint8_t *q, size_t qlen, uint64_t now_ms,
		     uint64_t gen, uint8_t *out, size_t cap, unsigned *rcode)
{
	if (p == NULL || qlen <= 2 || qlen - 2 > PCACHE_QUERY_MAX)
		return 0;
	const uint8_t *k = q + 2;
	size_t klen = qlen - 2;
	uint32_t h = key_hash(p, k, klen);
	size_t set = h & p->mask;
	const uint32_t *tag = p->tag + set * WAYS;
	for (unsigned w = 0; w < WAYS; w++) {
		if (tag[w] != h)
			continue;
		const struct pentry *e = &p->e[set * WAYS + w];
		if (e->klen != klen || e->gen != gen || now_ms >= e->exp_ms ||
		    e->alen > cap || memcmp(e->key, k, klen) != 0)
			continue;
		memcpy(out, e->ans, e->alen);
		out[0] = q[0];
		out[1] = q[1];
		/* Rounding the time gone by up keeps every TTL at or below the
		 * cache's own; exp_ms bounds it to the smallest TTL. */
		uint64_t d = now_ms > e->base_ms ? now_ms - e->base_ms : 0;
		uint32_t gone = (uint32_t)((d + 999) / 1000);
		for (unsigned i = 0; i < e->n_ttl; i++)
			put32(out + e->ttl_off[i], e->ttl[i] - gone);
		*rcode = e->rcode;
		return e->alen;
	}
	return 0;
}

void pcache_keep(struct pcache *p, const uint8_t *q, size_t qlen, const uint8_t *ans,
		 size_t alen, uint64_t now_ms, uint64_t gen)
{
	if (p == NULL || qlen <= 2 || qlen - 2 > PCACHE_QUERY_MAX || alen < WIRE_HDR_LEN ||
	    alen > PCACHE_ANSWER_MAX)
		return;
	/* Walk the answer with the message reader; note every record's TTL. The
	 * OPT record's "TTL" is flags, kept as is. */
	struct wire_rd r;
	uint8_t nm[WIRE_NAME_MAX];
	uint16_t flags, qd, an, ns, ar, type, rdlen;
	wire_rd_init(&r, ans, alen);
	if (wire_rd_skip(&r, 2) != 0 || wire_rd_u16(&r, &flags) != 0 ||
	    (flags & (WIRE_F_QR | WIRE_F_TC)) != WIRE_F_QR)
		return; /* not a response, or truncated */
	if (wire_rd_u16(&r, &qd) != 0 || wire_rd_u16(&r, &an) != 0 ||
	    wire_rd_u16(&r, &ns) != 0 || wire_rd_u16(&r, &ar) != 0 || qd != 1 ||
	    wire_rd_name(&r, nm) < 0 || wire_rd_skip(&r, 4) != 0)
		return;
	uint16_t off[TTLS];
	uint32_t ttl[TTLS];
	unsigned n = 0;
	uint32_t min = UINT32_MAX;
	for (unsigned i = 0, records = (unsigned)an + ns + ar; i < records; i++) {
		uint32_t t;
		if (wire_rd_name(&r, nm) < 0 || wire_rd_u16(&r, &type) != 0 ||
		    wire_rd_skip(&r, 2) != 0)
			return;
		size_t at = r.pos;
		if (wire_rd_u32(&r, &t) != 0 || wire_rd_u16(&r, &rdlen) != 0 ||
		    wire_rd_skip(&r, rdlen) != 0)
			return;
		if (type == WIRE_T_OPT)
			continue;
		if (n == TTLS || t == 0 || t > 0x7fffffffu)
			return;
		off[n] = (uint16_t)at;
		ttl[n++] = t;
		if (t < min)
			min = t;
	}
	if (r.pos != alen || n == 0)
		return; /* trailing bytes, or nothing that expires */

	const uint8_t *k = q + 2;
	size_t klen = qlen - 2;
	uint32_t h = key_hash(p, k, klen);
	size_t set = h & p->mask;
	uint32_t *tag = p->tag + set * WAYS;
	/* The way already holding these bytes, else an empty or expired one,
	 * else one at random: when more questions than ways keep coming back
	 * in turn, replacing the oldest would make every one of them miss. */
	unsigned way = WAYS;
	for (unsigned w = 0; w < WAYS && way == WAYS; w++) {
		const struct pentry *e = &p->e[set * WAYS + w];
		if (tag[w] == h && e->klen == klen && memcmp(e->key, k, klen) == 0)
			way = w;
	}
	for (unsigned w = 0; w < WAYS && way == WAYS; w++)
		if (tag[w] == 0 || now_ms >= p->e[set * WAYS + w].exp_ms)
			way = w;
	if (way == WAYS)
		way = rand_uniform(WAYS);
	struct pentry *e = &p->e[set * WAYS + way];
	e->base_ms = now_ms;
	e->exp_ms = now_ms + (uint64_t)min * 1000u;
	e->gen = gen;
	e->klen = (uint16_t)klen;
	e->alen = (uint16_t)alen;
	e->n_ttl = (uint8_t)n;
	e->rcode = (uint8_t)WIRE_RCODE(flags);
	memcpy(e->ttl_off, off, n * sizeof(off[0]));
	memcpy(e->ttl, ttl, n * sizeof(ttl[0]));
	memcpy(e->key, k, klen);
	memcpy(e->ans, ans, alen);
	tag[way] = h;
}
