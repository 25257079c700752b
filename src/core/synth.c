/* synth: feeding and using the RFC 8198 NSEC index (see synth.h). */
#include "core/synth.h"

#include <string.h>

#include "cache/aggr.h"
#include "core/nsec.h"
#include "wire/wire.h"

/* The SOA's TTL and minimum, the cap of negative TTLs. */
static uint32_t soa_cap(const struct core_rr *soa)
{
	uint32_t ttl = soa->ttl;
	size_t i = 0;
	/* MNAME, RNAME, then five 32-bit fields; MINIMUM is the last */
	for (int names = 0; names < 2; names++) {
		while (i < soa->rdlen && soa->rdata[i] != 0) {
			if (soa->rdata[i] > 63)
				return 0;
			i += 1 + (size_t)soa->rdata[i];
		}
		i++;
	}
	if (i + 20 != soa->rdlen)
		return 0;
	const uint8_t *m = soa->rdata + i + 16;
	uint32_t min = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
	return min < ttl ? min : ttl;
}

static uint16_t rrsig_covers(const struct core_rr *r)
{
	return r->rdlen >= 2 ? (uint16_t)(r->rdata[0] << 8 | r->rdata[1]) : 0;
}

/* The RRSIGs over (owner, type) among rr. */
static size_t sigs_over(const struct core_rr *rr, size_t n, const uint8_t *owner, uint16_t type,
			struct cache_rdata *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k < AGGR_MAX_SIGS; i++)
		if (rr[i].type == WIRE_T_RRSIG && rrsig_covers(&rr[i]) == type &&
		    wire_name_eq(rr[i].owner, owner))
			out[k++] = (struct cache_rdata){ rr[i].rdata, rr[i].rdlen };
	return k;
}

size_t synth_learn(struct aggr *a, const uint8_t *zone, const struct core_rr *rr, size_t n,
		   uint64_t now_ms)
{
	if (a == NULL)
		return 0;
	const struct core_rr *soa = NULL;
	for (size_t i = 0; i < n && soa == NULL; i++)
		if (rr[i].type == WIRE_T_SOA && wire_name_eq(rr[i].owner, zone))
			soa = &rr[i];
	/* without the SOA no answer could be made from these records */
	if (soa == NULL)
		return 0;
	uint32_t cap = soa_cap(soa);
	struct cache_rdata sigs[AGGR_MAX_SIGS];
	size_t ns = sigs_over(rr, n, soa->owner, WIRE_T_SOA, sigs);
	if (cap == 0 || ns == 0 || aggr_put_soa(a, zone, soa->rdata, soa->rdlen, sigs, ns, soa->ttl, now_ms) != 0)
		return 0;
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (rr[i].type != WIRE_T_NSEC)
			continue;
		ns = sigs_over(rr, n, rr[i].owner, WIRE_T_NSEC, sigs);
		uint32_t ttl = rr[i].ttl < cap ? rr[i].ttl : cap;
		if (ns > 0 && aggr_put(a, zone, rr[i].owner, rr[i].rdata, rr[i].rdlen, sigs, ns, ttl,
				       now_ms) == 0)
			kept++;
	}
	return kept;
}

/* Copies into buf, bounded. */
struct sink {
	uint8_t *buf;
	size_t cap, used;
	bool full;
};

static const uint8_t *keep(struct sink *s, const void *p, size_t n)
{
	if (s->full || n > s->cap - s->used) {
		s->full = true;
		return NULL;
	}
	uint8_t *at = s->buf + s->used;
	memcpy(at, p, n);
	s->used += n;
	return at;
}

/* One record and its RRSIGs into ns[*n] (at most CORE_MAX_AUTHORITY). */
static void put(struct core_rr *ns, size_t *n, struct sink *s, const struct aggr_rr *r,
		uint32_t ttl)
{
	if (CORE_MAX_AUTHORITY - *n < 1 + r->nsigs) {
		s->full = true;
		return;
	}
	const uint8_t *owner = keep(s, r->owner, wire_name_len(r->owner));
	const uint8_t *rd = keep(s, r->rdata, r->rdlen);
	if (owner == NULL || rd == NULL)
		return;
	ns[(*n)++] = (struct core_rr){ owner, r->type, 1, ttl, rd, r->rdlen };
	for (size_t i = 0; i < r->nsigs; i++) {
		const uint8_t *sig = keep(s, r->sigs[i].data, r->sigs[i].len);
		if (sig == NULL)
			return;
		ns[(*n)++] = (struct core_rr){ owner, WIRE_T_RRSIG, 1, ttl, sig, r->sigs[i].len };
	}
}

bool synth_answer(struct aggr *a, const uint8_t *qname, uint16_t qtype, uint64_t now_ms,
		  struct core_answer *out, uint8_t *buf, size_t cap)
{
	struct aggr_answer ans;
	if (a == NULL || aggr_lookup(a, qname, qtype, now_ms, &ans) == AGGR_MISS)
		return false;
	/* the validator's own proof over what the index returned */
	struct nsec_rr rr[2];
	for (size_t i = 0; i < ans.n; i++)
		rr[i] = (struct nsec_rr){ ans.nsec[i].owner, WIRE_T_NSEC, ans.nsec[i].rdata,
					  ans.nsec[i].rdlen };
	unsigned budget = 0; /* NSEC proofs hash nothing */
	struct nsec_in in = { rr, ans.n, ans.zone, &budget };
	struct nsec_verdict v;
	if (ans.kind == AGGR_NXDOMAIN)
		nsec_prove_nxdomain(&in, qname, &v);
	else
		nsec_prove_nodata(&in, qname, qtype, &v);
	if (v.result != NSEC_PROVEN)
		return false;

	struct core_rr ns[CORE_MAX_AUTHORITY];
	size_t n = 0;
	struct sink s = { buf, cap, 0, false };
	put(ns, &n, &s, &ans.soa, ans.ttl);
	for (size_t i = 0; i < ans.n; i++)
		put(ns, &n, &s, &ans.nsec[i], ans.ttl);
	if (s.full)
		return false;
	out->rcode = ans.kind == AGGR_NXDOMAIN ? WIRE_RC_NXDOMAIN : WIRE_RC_NOERROR;
	out->n_an = 0;
	memcpy(out->ns, ns, n * sizeof ns[0]);
	out->n_ns = n;
	return true;
}
