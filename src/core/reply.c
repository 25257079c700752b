/* Reading an upstream reply: answer, CNAME, negative answer, referral or
 * lame, and which of its RRsets may be cached. A pure function of the reply
 * and of what was asked (internal.h): the iterator applies the verdict.
 *
 * Bailiwick rule: from a server asked about zone Z we keep only records
 * whose owner is Z or below it; a referral must point strictly below Z and
 * towards the name asked; glue must belong to one of the referral's name
 * servers and (harden-glue) lie inside Z. Everything else is ignored. */
#include <string.h>

#include "cache/cache.h"
#include "core/dnssec.h"
#include "core/internal.h"

static bool rr_matches(const struct wire_rr *rr, const uint8_t *owner, uint16_t type,
		       uint16_t rclass)
{
	return rr->type == type && rr->rclass == rclass && wire_name_eq(rr->owner, owner);
}

/* Does record i repeat an earlier record of the same section (owner,
 * type, class and rdata)? A set holds each record once (RFC 2181 5): a
 * server that repeats one must not make the client see it twice. */
static bool rr_repeated(const struct wire_msg *m, size_t i)
{
	const struct wire_rr *rr = &m->rr[i];
	for (size_t j = 0; j < i; j++) {
		const struct wire_rr *o = &m->rr[j];
		if (o->section == rr->section && rr_matches(o, rr->owner, rr->type, rr->rclass) &&
		    o->rdlen == rr->rdlen && memcmp(o->rdata, rr->rdata, rr->rdlen) == 0)
			return true;
	}
	return false;
}

size_t core_reply_rrset(const struct wire_msg *m, int section, const uint8_t *owner,
			uint16_t type, uint16_t qclass, const struct wire_rr **rr, size_t cap,
			uint32_t *ttl)
{
	size_t n = 0;
	*ttl = UINT32_MAX;
	for (size_t i = 0; i < m->n_rr && n < cap; i++) {
		const struct wire_rr *r = &m->rr[i];
		if (r->section != section || !rr_matches(r, owner, type, qclass) || rr_repeated(m, i))
			continue;
		rr[n++] = r;
		if (r->ttl < *ttl)
			*ttl = r->ttl;
	}
	return n;
}

uint32_t core_reply_negative_ttl(const struct wire_rr *soa)
{
	uint32_t minimum = 0;
	if (soa->rdlen >= 4) {
		/* MINIMUM is the last field: after two names and four counters */
		struct wire_rd r;
		wire_rd_init(&r, soa->rdata, soa->rdlen);
		if (wire_rd_skip(&r, soa->rdlen - 4u) != 0 || wire_rd_u32(&r, &minimum) != 0)
			minimum = 0;
	}
	return soa->ttl < minimum ? soa->ttl : minimum;
}

/* ---- DNSSEC records kept beside the data -------------------------------- */

/* The type an RRSIG covers (its first field); 0 when too short to say. */
static uint16_t sig_covers(const struct wire_rr *rr)
{
	return wire_rrsig_covered(rr->rdata, rr->rdlen);
}

static bool is_proof(uint16_t type)
{
	return type == WIRE_T_NSEC || type == WIRE_T_NSEC3;
}

/* Add rr to the verdict's extra records, as the *n-th of the group that
 * began at at (at most CACHE_EXTRA_MAX per group, as the cache keeps). */
static void extra_add(struct core_verdict *v, size_t at, uint16_t *n, const struct wire_rr *rr)
{
	if (v->n_extra == CORE_REPLY_MAX_EXTRA || v->n_extra - at >= CACHE_EXTRA_MAX)
		return;
	v->extra[v->n_extra++] = rr;
	(*n)++;
}

/* The RRSIGs over the RRset (owner, type) in one section. They are kept
 * and given to clients with it, unvalidated for now (DO passes through). */
static void find_sigs(struct core_verdict *v, size_t at, uint16_t *n, const struct wire_msg *m,
		      int section, const uint8_t *owner, uint16_t type, uint16_t qclass)
{
	for (size_t i = 0; i < m->n_rr; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr->section == section && rr_matches(rr, owner, WIRE_T_RRSIG, qclass) &&
		    sig_covers(rr) == type && !rr_repeated(m, i))
			extra_add(v, at, n, rr);
	}
}

/* An answer made from a wildcard is signed with fewer labels than its
 * owner has (RFC 4035 5.3.4), and the NSEC/NSEC3 records (with their
 * RRSIGs) in the authority section prove that no closer name exists: they
 * are kept with the set (after its own RRSIGs) and given with it. They must
 * lie in the zone that signed it. */
static void find_wildcard_proof(struct core_verdict *v, struct core_reply_set *set,
				const struct wire_msg *m, uint16_t qclass)
{
	struct dnssec_rrsig sig;
	size_t i = 0;
	for (; i < set->n_sigs; i++) {
		const struct wire_rr *x = v->extra[set->extra_at + i];
		if (dnssec_rrsig_parse(x->rdata, x->rdlen, &sig) == DNSSEC_OK &&
		    sig.labels < wire_name_labels(set->owner) && wire_name_in(set->owner, sig.signer))
			break;
	}
	if (i == set->n_sigs)
		return;
	for (size_t j = 0; j < m->n_rr; j++) {
		const struct wire_rr *rr = &m->rr[j];
		if (rr->section != WIRE_SEC_NS || rr->rclass != qclass ||
		    !wire_name_in(rr->owner, sig.signer) || rr_repeated(m, j))
			continue;
		if (is_proof(rr->type) || (rr->type == WIRE_T_RRSIG && is_proof(sig_covers(rr))))
			extra_add(v, set->extra_at, &set->n_proof, rr);
	}
}

/* A negative answer's DNSSEC records from the authority section: the
 * SOA's RRSIGs and the NSEC/NSEC3 records with theirs, inside the zone. */
static void find_proofs(struct core_verdict *v, const struct wire_msg *m, const uint8_t *zone,
			uint16_t qclass)
{
	v->neg_at = (uint16_t)v->n_extra;
	v->n_neg = 0;
	for (size_t i = 0; i < m->n_rr; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr->section != WIRE_SEC_NS || rr->rclass != qclass ||
		    !wire_name_in(rr->owner, zone) || rr_repeated(m, i))
			continue;
		uint16_t t = rr->type == WIRE_T_RRSIG ? sig_covers(rr) : rr->type;
		if ((rr->type == WIRE_T_RRSIG && t == WIRE_T_SOA) || is_proof(t))
			extra_add(v, v->neg_at, &v->n_neg, rr);
	}
}

/* Add the set (owner, type) of section to the verdict, with its RRSIGs
 * (and, in the answer section, a wildcard answer's proof). NULL when the
 * verdict is full. */
static struct core_reply_set *add_set(struct core_verdict *v, const struct wire_msg *m,
				      uint16_t qclass, const uint8_t *owner, uint16_t type,
				      int section, enum cache_rank rank, bool answer)
{
	if (v->n_sets == CORE_REPLY_MAX_SETS)
		return NULL;
	struct core_reply_set *s = &v->sets[v->n_sets++];
	s->owner = owner;
	s->link = false;
	s->target = NULL;
	s->type = type;
	s->section = (uint8_t)section;
	s->answer = answer;
	s->rank = rank;
	s->synth = false;
	s->synth_ttl = 0;
	s->extra_at = (uint16_t)v->n_extra;
	s->n_sigs = s->n_proof = 0;
	find_sigs(v, s->extra_at, &s->n_sigs, m, section, owner, type, qclass);
	if (section == WIRE_SEC_AN)
		find_wildcard_proof(v, s, m, qclass);
	return s;
}

/* Has the verdict the set (owner, type) of section already? */
static bool has_set(const struct core_verdict *v, const uint8_t *owner, uint16_t type,
		    int section)
{
	for (size_t i = 0; i < v->n_sets; i++)
		if (v->sets[i].type == type && v->sets[i].section == section &&
		    wire_name_eq(v->sets[i].owner, owner))
			return true;
	return false;
}

static const struct wire_rr *find_soa(const struct wire_msg *m, const uint8_t *zone,
				      const uint8_t *name)
{
	for (size_t i = 0; i < m->n_rr; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr->section == WIRE_SEC_NS && rr->type == WIRE_T_SOA &&
		    wire_name_in(rr->owner, zone) && wire_name_in(name, rr->owner))
			return rr;
	}
	return NULL;
}

/* An NS set in the authority section at the zone itself (ns_at), or above
 * it (ns_upward: a referral back up the tree). */
static bool ns_at(const struct wire_msg *m, const uint8_t *zone)
{
	for (size_t i = 0; i < m->n_rr; i++)
		if (m->rr[i].section == WIRE_SEC_NS && m->rr[i].type == WIRE_T_NS &&
		    wire_name_eq(m->rr[i].owner, zone))
			return true;
	return false;
}

static bool ns_upward(const struct wire_msg *m, const uint8_t *zone)
{
	for (size_t i = 0; i < m->n_rr; i++)
		if (m->rr[i].section == WIRE_SEC_NS && m->rr[i].type == WIRE_T_NS &&
		    wire_name_in(zone, m->rr[i].owner) && !wire_name_eq(zone, m->rr[i].owner))
			return true;
	return false;
}

/* Collect a referral below zone towards name: returns its cut or NULL. */
static const uint8_t *find_referral(const struct wire_msg *m, const uint8_t *zone,
				    const uint8_t *name, uint16_t qclass,
				    const uint8_t **ns, size_t *n_ns, size_t cap)
{
	const uint8_t *cut = NULL;
	*n_ns = 0;
	for (size_t i = 0; i < m->n_rr; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr->section != WIRE_SEC_NS || rr->type != WIRE_T_NS || rr->rclass != qclass)
			continue;
		if (!wire_name_in(rr->owner, zone) || wire_name_eq(rr->owner, zone) ||
		    !wire_name_in(name, rr->owner))
			continue;
		if (cut == NULL)
			cut = rr->owner;
		else if (!wire_name_eq(cut, rr->owner))
			continue; /* one cut per referral */
		if (*n_ns < cap)
			ns[(*n_ns)++] = rr->rdata;
	}
	return cut;
}

/* The glue of a referral: address sets of its name servers. */
static void add_glue(struct core_verdict *v, const struct core_asked *q, const struct wire_msg *m)
{
	for (size_t i = 0; i < m->n_rr; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr->section != WIRE_SEC_AR || (rr->type != WIRE_T_A && rr->type != WIRE_T_AAAA))
			continue;
		if (q->harden_glue && !wire_name_in(rr->owner, q->zone))
			continue;
		bool wanted = false;
		for (size_t j = 0; j < v->n_ns && !wanted; j++)
			wanted = wire_name_eq(rr->owner, v->ns[j]);
		/* each set once, from its first record */
		if (wanted && !has_set(v, rr->owner, rr->type, WIRE_SEC_AR))
			add_set(v, m, q->qclass, rr->owner, rr->type, WIRE_SEC_AR, CACHE_RANK_GLUE,
				false);
	}
}

/* ---- DNAME (RFC 6672) ---------------------------------------------------- */

/* A DNAME in the answer section whose owner lies strictly above name and
 * inside zone: it redirects name and everything else below its owner. */
static const struct wire_rr *find_dname(const struct wire_msg *m, const uint8_t *name,
					const uint8_t *zone, uint16_t qclass)
{
	for (size_t i = 0; i < m->n_an; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr->type == WIRE_T_DNAME && rr->rclass == qclass && rr->rdlen > 0 &&
		    wire_name_len(rr->rdata) == rr->rdlen && wire_name_in(rr->owner, zone) &&
		    wire_name_in(name, rr->owner) && !wire_name_eq(name, rr->owner))
			return rr;
	}
	return NULL;
}

/* Follow the DNAME for cur: the DNAME set goes into the verdict (the answer
 * and the cache), then the CNAME it stands for, made here from the DNAME
 * rather than taken from the server (RFC 6672 3.4), cached with the DNAME
 * (and its RRSIGs) beside it so that an answer from the cache has the DNAME
 * too. Returns that CNAME's set (its target in the verdict), or NULL when
 * the target would be too long or the verdict is full. */
static struct core_reply_set *follow_dname(struct core_verdict *v, const struct wire_msg *m,
					   const struct wire_rr *dname, const uint8_t *cur,
					   enum cache_rank rank)
{
	uint16_t qclass = dname->rclass;
	if (v->n_synth == sizeof(v->synth) / sizeof(v->synth[0]) ||
	    add_set(v, m, qclass, dname->owner, WIRE_T_DNAME, WIRE_SEC_AN, rank, true) == NULL)
		return NULL;
	unsigned keep = wire_name_labels(cur) - wire_name_labels(dname->owner);
	size_t plen = (size_t)(wire_name_strip(cur, keep) - cur);
	if (plen + dname->rdlen > WIRE_NAME_MAX || v->n_sets == CORE_REPLY_MAX_SETS)
		return NULL;
	uint8_t *target = v->synth[v->n_synth++];
	memcpy(target, cur, plen);
	memcpy(target + plen, dname->rdata, dname->rdlen);
	struct core_reply_set *s = &v->sets[v->n_sets++];
	s->owner = cur;
	s->link = false;
	s->target = target;
	s->type = WIRE_T_CNAME;
	s->section = WIRE_SEC_AN;
	s->answer = true;
	s->rank = rank;
	s->synth = true;
	s->synth_ttl = dname->ttl;
	s->extra_at = (uint16_t)v->n_extra;
	s->n_sigs = s->n_proof = 0;
	for (size_t i = 0; i < m->n_an; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr_matches(rr, dname->owner, WIRE_T_DNAME, qclass) && !rr_repeated(m, i)) {
			extra_add(v, s->extra_at, &s->n_sigs, rr);
			if (rr->ttl < s->synth_ttl)
				s->synth_ttl = rr->ttl;
		}
	}
	find_sigs(v, s->extra_at, &s->n_sigs, m, WIRE_SEC_AN, dname->owner, WIRE_T_DNAME, qclass);
	return s;
}

static enum core_reply_kind classify(const struct core_asked *q, const struct wire_msg *m,
				     struct core_verdict *v)
{
	unsigned rcode = wire_msg_rcode(m);
	const uint8_t *zone = q->zone;
	bool aa = (m->flags & WIRE_F_AA) != 0;
	enum cache_rank rank = aa ? CACHE_RANK_AUTH : CACHE_RANK_NONAUTH;

	v->rank = rank;
	if (!(m->flags & WIRE_F_QR) || WIRE_OPCODE(m->flags) != 0)
		return CORE_REPLY_LAME;
	if (m->flags & WIRE_F_TC) /* truncated even over TCP: lame */
		return q->last_tcp ? CORE_REPLY_LAME : CORE_REPLY_TCP;
	if (rcode != WIRE_RC_NOERROR && rcode != WIRE_RC_NXDOMAIN) {
		/* Some servers fail on a name they do not expect, such as an
		 * empty non-terminal: ask the full name before calling the server
		 * broken (RFC 9156 2.3; Unbound does so unless
		 * qname-minimisation-strict). */
		return q->minimised ? CORE_REPLY_QMIN_OFF : CORE_REPLY_LAME;
	}
	/* An answer without AA is still used when its records lie inside the
	 * zone this server was asked about (as Unbound and BIND do): many
	 * servers leave AA off. The bailiwick walk below keeps nothing else, and
	 * a reply that answers nothing (upward or sideways referral) is lame. */

	uint16_t stype = q->sent_type;
	const uint8_t *cur = q->sent_name;
	bool followed = false;
	/* The iterator counts CNAMEs per request (CORE_MAX_CNAME) and fails
	 * the request on the first link over; more links than that in one
	 * reply are never looked at. */
	for (unsigned links = 0;; links++) {
		const struct wire_rr *hit = NULL, *cname = NULL;
		for (size_t i = 0; i < m->n_an; i++) {
			const struct wire_rr *rr = &m->rr[i];
			if (rr->rclass != q->qclass || !wire_name_eq(rr->owner, cur) ||
			    !wire_name_in(rr->owner, zone))
				continue;
			if (rr->type == stype || (stype == WIRE_T_ANY && rr->type != WIRE_T_CNAME)) {
				hit = rr;
				break;
			}
			if (rr->type == WIRE_T_CNAME && cname == NULL)
				cname = rr;
		}
		/* Below a DNAME no other data can exist (RFC 6672 2.3): a CNAME
		 * there is the one made from the DNAME, which is followed here. */
		const struct wire_rr *dname = find_dname(m, cur, zone, q->qclass);
		if (dname != NULL && (hit == NULL || hit->type == WIRE_T_CNAME)) {
			if (q->minimised)
				return CORE_REPLY_QMIN_OFF;
			if (links > CORE_MAX_CNAME)
				return CORE_REPLY_SERVFAIL;
			struct core_reply_set *s = follow_dname(v, m, dname, cur, rank);
			if (s == NULL)
				return CORE_REPLY_SERVFAIL;
			if (stype == WIRE_T_CNAME)
				return CORE_REPLY_ANSWER;
			s->link = true;
			cur = s->target;
			followed = true;
			if (!wire_name_in(cur, zone))
				return CORE_REPLY_CNAME;
			continue;
		}
		if (hit != NULL) {
			if (q->minimised)
				return CORE_REPLY_QMIN_NEXT;
			add_set(v, m, q->qclass, hit->owner, hit->type, WIRE_SEC_AN, rank, true);
			return CORE_REPLY_ANSWER;
		}
		if (cname == NULL || stype == WIRE_T_CNAME)
			break;
		/* an alias above the name asked: ask the full name instead */
		if (q->minimised)
			return CORE_REPLY_QMIN_OFF;
		if (links > CORE_MAX_CNAME)
			return CORE_REPLY_SERVFAIL;
		struct core_reply_set *cs =
			add_set(v, m, q->qclass, cname->owner, WIRE_T_CNAME, WIRE_SEC_AN, rank, true);
		if (cs != NULL) {
			cs->link = true;
			cs->target = cname->rdlen ? cname->rdata : NULL;
		}
		if (cname->rdlen == 0)
			return CORE_REPLY_SERVFAIL;
		cur = cname->rdata;
		followed = true;
		if (!wire_name_in(cur, zone))
			return CORE_REPLY_CNAME;
	}

	const struct wire_rr *soa = find_soa(m, zone, cur);
	const uint8_t *cut = q->forwarding ? NULL
					   : find_referral(m, zone, cur, q->qclass, v->ns, &v->n_ns,
							   CORE_REPLY_MAX_NS);

	if (rcode == WIRE_RC_NXDOMAIN) {
		if (q->minimised)
			return CORE_REPLY_QMIN_OFF;
		v->soa = soa;
		find_proofs(v, m, zone, q->qclass);
		return CORE_REPLY_NXDOMAIN;
	}
	if (cut != NULL && v->n_ns > 0) {
		if (followed)
			return CORE_REPLY_CNAME;
		add_set(v, m, q->qclass, cut, WIRE_T_NS, WIRE_SEC_NS, CACHE_RANK_REFERRAL, false);
		/* The cut's DS set (RFC 4035 3.1.4), the parent's own signed
		 * data: kept with its RRSIGs, so that the validator's walk down
		 * finds it without a DS question of its own. */
		for (size_t i = 0; i < m->n_rr; i++)
			if (m->rr[i].section == WIRE_SEC_NS &&
			    rr_matches(&m->rr[i], cut, WIRE_T_DS, q->qclass)) {
				add_set(v, m, q->qclass, cut, WIRE_T_DS, WIRE_SEC_NS,
					CACHE_RANK_NONAUTH, false);
				break;
			}
		add_glue(v, q, m);
		wire_name_copy(v->cut, cut);
		wire_name_lower(v->cut);
		/* A referral's NSEC/NSEC3 records are the parent's proof that
		 * the cut has no DS (RFC 4035 3.1.4.1, RFC 5155 7.2.7): the
		 * validator needs them, whatever the question was. */
		find_proofs(v, m, zone, q->qclass);
		return CORE_REPLY_REFERRAL;
	}
	v->n_ns = 0;
	/* The reply gave a CNAME but neither the target's data nor a proof
	 * that it has none: some servers give one link of a chain per reply.
	 * Ask again for the target. */
	if (followed && soa == NULL)
		return CORE_REPLY_CNAME;
	/* An empty reply without SOA is still the zone's "no such data"
	 * (Unbound reads it so, AA or not), unless it is lame: an upward
	 * referral (even with AA), the zone's own NS without AA (a server
	 * answering from a cache), or a recursive server (RA without AA) that
	 * had nothing to say. An NS set beside the zone says nothing. */
	bool lame = ns_upward(m, zone) || (!aa && ns_at(m, zone)) ||
		    ((m->flags & WIRE_F_RA) != 0 && !aa);
	if (soa != NULL || q->forwarding || !lame) {
		if (q->minimised)
			return CORE_REPLY_QMIN_NEXT;
		v->soa = soa;
		find_proofs(v, m, zone, q->qclass);
		return CORE_REPLY_NODATA;
	}
	/* upward or sideways referral: lame (after a CNAME: ask the target) */
	return followed ? CORE_REPLY_CNAME : CORE_REPLY_LAME;
}

void core_reply_classify(const struct core_asked *q, const struct wire_msg *m,
			 struct core_verdict *v)
{
	v->n_sets = 0;
	v->soa = NULL;
	v->n_ns = 0;
	v->cut[0] = 0;
	v->neg_at = v->n_neg = 0;
	v->n_extra = 0;
	v->n_synth = 0;
	v->kind = classify(q, m, v);
}
