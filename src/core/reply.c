/* Reading an upstream reply: answer, CNAME, negative answer, referral or
 * lame, and what of it may be cached.
 *
 * Bailiwick rule: from a server asked about zone Z we keep only records
 * whose owner is Z or below it; a referral must point strictly below Z and
 * towards the name asked; glue must belong to one of the referral's name
 * servers and (harden-glue) lie inside Z. Everything else is ignored. */
#include <string.h>

#include "cache/cache.h"
#include "core/dnssec.h"
#include "core/internal.h"
#include "daemon/config.h"

#define MAX_SET 256

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

/* ---- DNSSEC records kept beside the data -------------------------------- */

/* The type an RRSIG covers (its first field); 0 when too short to say. */
static uint16_t sig_covers(const struct wire_rr *rr)
{
	return rr->rdlen >= 2 ? (uint16_t)(rr->rdata[0] << 8 | rr->rdata[1]) : 0;
}

static bool is_proof(uint16_t type)
{
	return type == WIRE_T_NSEC || type == WIRE_T_NSEC3;
}

static void extra_add(struct cache_rr *x, size_t *n, const struct wire_rr *rr)
{
	if (*n == CACHE_EXTRA_MAX)
		return;
	x[*n].owner = rr->owner;
	x[*n].type = rr->type;
	x[*n].rdata = rr->rdata;
	x[*n].rdlen = rr->rdlen;
	(*n)++;
}

/* The RRSIGs over the RRset (owner, type) in one section. They are kept
 * and given to clients with it, unvalidated for now (DO passes through). */
static size_t find_sigs(const struct wire_msg *m, int section, const uint8_t *owner,
			uint16_t type, uint16_t qclass, struct cache_rr *x, size_t n)
{
	for (size_t i = 0; i < m->n_rr; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr->section == section && rr_matches(rr, owner, WIRE_T_RRSIG, qclass) &&
		    sig_covers(rr) == type && !rr_repeated(m, i))
			extra_add(x, &n, rr);
	}
	return n;
}

/* An answer made from a wildcard is signed with fewer labels than its
 * owner has (RFC 4035 5.3.4), and the NSEC/NSEC3 records (with their
 * RRSIGs) in the authority section prove that no closer name exists: they
 * are kept with the set (after its own RRSIGs, x[0..n)) and given with it.
 * They must lie in the zone that signed it. */
static size_t find_wildcard_proof(const struct wire_msg *m, const uint8_t *owner,
				  uint16_t qclass, struct cache_rr *x, size_t n)
{
	struct dnssec_rrsig s;
	size_t i = 0;
	for (; i < n; i++)
		if (dnssec_rrsig_parse(x[i].rdata, x[i].rdlen, &s) == DNSSEC_OK &&
		    s.labels < wire_name_labels(owner) && wire_name_in(owner, s.signer))
			break;
	if (i == n)
		return n;
	for (size_t j = 0; j < m->n_rr; j++) {
		const struct wire_rr *rr = &m->rr[j];
		if (rr->section != WIRE_SEC_NS || rr->rclass != qclass ||
		    !wire_name_in(rr->owner, s.signer) || rr_repeated(m, j))
			continue;
		if (is_proof(rr->type) || (rr->type == WIRE_T_RRSIG && is_proof(sig_covers(rr))))
			extra_add(x, &n, rr);
	}
	return n;
}

/* Cache every record of the RRset (owner, type) found in one section; add
 * them to the answer when add_section is nonzero. */
static void keep_rrset(struct core_req *req, const struct wire_msg *m, int section,
		       const uint8_t *owner, uint16_t type, enum cache_rank rank, uint64_t now,
		       bool add_answer)
{
	const struct core_env *env = core_iter_env(req);
	uint16_t qclass = core_iter_qclass(req);
	struct cache_rdata rd[MAX_SET];
	size_t n = 0;
	uint32_t ttl = UINT32_MAX;
	for (size_t i = 0; i < m->n_rr && n < MAX_SET; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr->section != section || !rr_matches(rr, owner, type, qclass) ||
		    rr_repeated(m, i))
			continue;
		rd[n].data = rr->rdata;
		rd[n].len = rr->rdlen;
		n++;
		if (rr->ttl < ttl)
			ttl = rr->ttl;
	}
	if (n == 0)
		return;
	struct cache_rr sig[CACHE_EXTRA_MAX];
	size_t n_sig = find_sigs(m, section, owner, type, qclass, sig, 0), n_own = n_sig;
	if (section == WIRE_SEC_AN)
		n_sig = find_wildcard_proof(m, owner, qclass, sig, n_sig);
	uint8_t lower[WIRE_NAME_MAX];
	wire_name_copy(lower, owner);
	wire_name_lower(lower);
	cache_put_rrset_ex(env->cache, lower, type, qclass, ttl, rd, n, sig, n_sig, rank, now);
	if (!add_answer)
		return;
	for (size_t i = 0; i < m->n_rr; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr->section == section && rr_matches(rr, owner, type, qclass) &&
		    !rr_repeated(m, i))
			core_iter_answer_add(req, false, rr, core_iter_clamp_ttl(req, ttl));
	}
	for (size_t i = 0; i < m->n_rr; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr->section == section && rr_matches(rr, owner, WIRE_T_RRSIG, qclass) &&
		    sig_covers(rr) == type && !rr_repeated(m, i))
			core_iter_answer_add(req, false, rr, core_iter_clamp_ttl(req, ttl));
	}
	for (size_t i = n_own; i < n_sig; i++) {
		struct wire_rr rr = { .owner = sig[i].owner, .type = sig[i].type, .rclass = qclass,
				      .rdata = sig[i].rdata, .rdlen = sig[i].rdlen };
		core_iter_answer_add(req, true, &rr, core_iter_clamp_ttl(req, ttl));
	}
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

static uint32_t soa_negative_ttl(const struct wire_rr *soa)
{
	uint32_t minimum = 0;
	if (soa->rdlen >= 4) {
		const uint8_t *p = soa->rdata + soa->rdlen - 4;
		minimum = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	}
	return soa->ttl < minimum ? soa->ttl : minimum;
}

/* A negative answer's DNSSEC records from the authority section: the
 * SOA's RRSIGs and the NSEC/NSEC3 records with theirs, inside the zone. */
static size_t find_proofs(const struct wire_msg *m, const uint8_t *zone, uint16_t qclass,
			  struct cache_rr *x)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n_rr; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr->section != WIRE_SEC_NS || rr->rclass != qclass ||
		    !wire_name_in(rr->owner, zone) || rr_repeated(m, i))
			continue;
		uint16_t t = rr->type == WIRE_T_RRSIG ? sig_covers(rr) : rr->type;
		if ((rr->type == WIRE_T_RRSIG && t == WIRE_T_SOA) || is_proof(t))
			extra_add(x, &n, rr);
	}
	return n;
}

static void keep_negative(struct core_req *req, struct frame *f, const struct wire_msg *m,
			  const struct wire_rr *soa, enum cache_kind kind, enum cache_rank rank,
			  uint64_t now)
{
	const struct core_env *env = core_iter_env(req);
	uint32_t ttl = soa ? soa_negative_ttl(soa) : 0;
	uint8_t owner[WIRE_NAME_MAX], soa_owner[WIRE_NAME_MAX];
	wire_name_copy(owner, core_iter_qname(f));
	wire_name_lower(owner);
	if (soa != NULL) {
		struct cache_rdata rd = { soa->rdata, soa->rdlen };
		wire_name_copy(soa_owner, soa->owner);
		wire_name_lower(soa_owner);
		struct cache_rr proof[CACHE_EXTRA_MAX];
		size_t n_proof = find_proofs(m, core_iter_zone(f), core_iter_qclass(req), proof);
		if (ttl > 0)
			cache_put_negative_ex(env->cache, kind, owner, core_iter_qtype(f),
					      core_iter_qclass(req), ttl, soa_owner, &rd, 1, proof,
					      n_proof, rank, now);
		if (core_iter_is_top(req, f)) {
			core_iter_answer_add(req, true, soa, ttl);
			for (size_t i = 0; i < n_proof; i++) {
				struct wire_rr rr = { .owner = proof[i].owner, .type = proof[i].type,
						      .rclass = soa->rclass, .rdata = proof[i].rdata,
						      .rdlen = proof[i].rdlen };
				core_iter_answer_add(req, true, &rr, ttl);
			}
		}
	}
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

static void keep_glue(struct core_req *req, const struct wire_msg *m, const uint8_t *zone,
		      const uint8_t *const *ns, size_t n_ns, uint64_t now)
{
	const struct core_env *env = core_iter_env(req);
	for (size_t i = 0; i < m->n_rr; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr->section != WIRE_SEC_AR || (rr->type != WIRE_T_A && rr->type != WIRE_T_AAAA))
			continue;
		if (env->cfg->harden_glue && !wire_name_in(rr->owner, zone))
			continue;
		bool wanted = false;
		for (size_t j = 0; j < n_ns && !wanted; j++)
			wanted = wire_name_eq(rr->owner, ns[j]);
		/* the first record of each RRset stores the whole set */
		bool first = true;
		for (size_t j = 0; j < i && first; j++)
			first = !(m->rr[j].section == WIRE_SEC_AR &&
				  rr_matches(&m->rr[j], rr->owner, rr->type, rr->rclass));
		if (wanted && first)
			keep_rrset(req, m, WIRE_SEC_AR, rr->owner, rr->type, CACHE_RANK_GLUE, now,
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

/* Follow the DNAME for cur: the DNAME set goes into the answer (and the
 * cache), then the CNAME it stands for, made here from the DNAME rather
 * than taken from the server (RFC 6672 3.4), and cur becomes its target.
 * False when the target would be too long or the chain too long. */
static bool follow_dname(struct core_req *req, struct frame *f, const struct wire_msg *m,
			 const struct wire_rr *dname, uint8_t *cur, enum cache_rank rank,
			 uint64_t now, bool top)
{
	keep_rrset(req, m, WIRE_SEC_AN, dname->owner, WIRE_T_DNAME, rank, now, top);
	unsigned keep = wire_name_labels(cur) - wire_name_labels(dname->owner);
	size_t plen = (size_t)(wire_name_strip(cur, keep) - cur);
	if (plen + dname->rdlen > WIRE_NAME_MAX)
		return false;
	uint8_t target[WIRE_NAME_MAX];
	memcpy(target, cur, plen);
	memcpy(target + plen, dname->rdata, dname->rdlen);
	/* The CNAME is cached with its DNAME (and the DNAME's RRSIGs) beside
	 * it, so that an answer from the cache has the DNAME too. */
	struct cache_rr x[CACHE_EXTRA_MAX];
	size_t n_x = 0;
	uint16_t qclass = dname->rclass;
	uint32_t ttl = dname->ttl;
	for (size_t i = 0; i < m->n_an; i++) {
		const struct wire_rr *rr = &m->rr[i];
		if (rr_matches(rr, dname->owner, WIRE_T_DNAME, qclass) && !rr_repeated(m, i)) {
			extra_add(x, &n_x, rr);
			if (rr->ttl < ttl)
				ttl = rr->ttl;
		}
	}
	n_x = find_sigs(m, WIRE_SEC_AN, dname->owner, WIRE_T_DNAME, qclass, x, n_x);
	struct cache_rdata rd = { target, (uint16_t)(plen + dname->rdlen) };
	cache_put_rrset_ex(core_iter_env(req)->cache, cur, WIRE_T_CNAME, qclass, ttl, &rd, 1, x,
			   n_x, rank, now);
	if (top) {
		struct wire_rr cname = { .owner = cur, .type = WIRE_T_CNAME,
					 .rclass = dname->rclass, .rdata = target,
					 .rdlen = (uint16_t)(plen + dname->rdlen) };
		core_iter_answer_add(req, false, &cname, core_iter_clamp_ttl(req, ttl));
	}
	if (!core_iter_follow_cname(req, f, target))
		return false;
	wire_name_copy(cur, target);
	return true;
}

void core_iter_reply(struct core_req *req, struct frame *f, const struct wire_msg *m, uint64_t now)
{
	unsigned rcode = wire_msg_rcode(m);
	uint16_t qclass = core_iter_qclass(req);
	const uint8_t *zone = core_iter_zone(f);
	bool fwd = core_iter_forwarding(f);
	bool aa = (m->flags & WIRE_F_AA) != 0;
	bool top = core_iter_is_top(req, f);
	enum cache_rank rank = aa ? CACHE_RANK_AUTH : CACHE_RANK_NONAUTH;

	if (!(m->flags & WIRE_F_QR) || WIRE_OPCODE(m->flags) != 0) {
		core_iter_mark_bad(req, f);
		return;
	}
	if (m->flags & WIRE_F_TC) {
		if (core_iter_last_tcp(f))
			core_iter_mark_bad(req, f); /* truncated even over TCP */
		else
			core_iter_retry_tcp(req, f);
		return;
	}
	if (rcode != WIRE_RC_NOERROR && rcode != WIRE_RC_NXDOMAIN) {
		if (core_iter_minimised(f)) {
			/* Some servers fail on a name they do not expect, such as
			 * an empty non-terminal: ask the full name before calling
			 * the server broken (RFC 9156 2.3; Unbound does so unless
			 * qname-minimisation-strict). */
			core_iter_qmin_next(req, f, true);
			return;
		}
		core_iter_mark_bad(req, f);
		return;
	}
	/* An answer without AA is still used when its records lie inside the
	 * zone this server was asked about (as Unbound and BIND do): many
	 * servers leave AA off. The bailiwick walk below keeps nothing else, and
	 * a reply that answers nothing (upward or sideways referral) is lame. */

	bool minimised = core_iter_minimised(f);
	uint16_t stype = core_iter_sent_type(f);
	uint8_t cur[WIRE_NAME_MAX];
	bool followed = false;
	wire_name_copy(cur, core_iter_sent_name(f));

	for (;;) {
		const struct wire_rr *hit = NULL, *cname = NULL;
		for (size_t i = 0; i < m->n_an; i++) {
			const struct wire_rr *rr = &m->rr[i];
			if (rr->rclass != qclass || !wire_name_eq(rr->owner, cur) ||
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
		const struct wire_rr *dname = find_dname(m, cur, zone, qclass);
		if (dname != NULL && (hit == NULL || hit->type == WIRE_T_CNAME)) {
			if (minimised) {
				core_iter_qmin_next(req, f, true);
				return;
			}
			if (!follow_dname(req, f, m, dname, cur, rank, now, top)) {
				core_iter_finish(req, WIRE_RC_SERVFAIL);
				return;
			}
			if (stype == WIRE_T_CNAME) {
				core_iter_finish(req, WIRE_RC_NOERROR);
				return;
			}
			followed = true;
			if (!wire_name_in(cur, zone)) {
				core_iter_restart(req, f);
				return;
			}
			continue;
		}
		if (hit != NULL) {
			if (minimised) {
				core_iter_qmin_next(req, f, false);
				return;
			}
			keep_rrset(req, m, WIRE_SEC_AN, hit->owner, hit->type, rank, now, top);
			core_iter_finish(req, WIRE_RC_NOERROR);
			return;
		}
		if (cname == NULL || stype == WIRE_T_CNAME)
			break;
		if (minimised) {
			/* an alias above the name asked: ask the full name instead */
			core_iter_qmin_next(req, f, true);
			return;
		}
		keep_rrset(req, m, WIRE_SEC_AN, cname->owner, WIRE_T_CNAME, rank, now, top);
		if (cname->rdlen == 0 || !core_iter_follow_cname(req, f, cname->rdata)) {
			core_iter_finish(req, WIRE_RC_SERVFAIL);
			return;
		}
		wire_name_copy(cur, cname->rdata);
		followed = true;
		if (!wire_name_in(cur, zone)) {
			core_iter_restart(req, f);
			return;
		}
	}

	const struct wire_rr *soa = find_soa(m, zone, cur);
	const uint8_t *ns[16];
	size_t n_ns = 0;
	const uint8_t *cut = fwd ? NULL : find_referral(m, zone, cur, qclass, ns, &n_ns, 16);

	if (rcode == WIRE_RC_NXDOMAIN) {
		if (minimised) {
			core_iter_qmin_next(req, f, true);
			return;
		}
		keep_negative(req, f, m, soa, CACHE_NXDOMAIN, rank, now);
		core_iter_finish(req, WIRE_RC_NXDOMAIN);
		return;
	}
	if (cut != NULL && n_ns > 0) {
		if (followed) {
			core_iter_restart(req, f);
			return;
		}
		keep_rrset(req, m, WIRE_SEC_NS, cut, WIRE_T_NS, CACHE_RANK_REFERRAL, now, false);
		keep_glue(req, m, zone, ns, n_ns, now);
		uint8_t cutname[WIRE_NAME_MAX];
		wire_name_copy(cutname, cut);
		wire_name_lower(cutname);
		if (!core_iter_referral(req, f, cutname, ns, n_ns))
			core_iter_finish(req, WIRE_RC_SERVFAIL);
		return;
	}
	if (followed && soa == NULL) {
		/* The reply gave a CNAME but neither the target's data nor a
		 * proof that it has none: some servers give one link of a chain
		 * per reply. Ask again for the target. */
		core_iter_restart(req, f);
		return;
	}
	/* An empty reply without SOA is still the zone's "no such data"
	 * (Unbound reads it so, AA or not), unless it is lame: an upward
	 * referral (even with AA), the zone's own NS without AA (a server
	 * answering from a cache), or a recursive server (RA without AA) that
	 * had nothing to say. An NS set beside the zone says nothing. */
	bool lame = ns_upward(m, zone) || (!aa && ns_at(m, zone)) ||
		    ((m->flags & WIRE_F_RA) != 0 && !aa);
	if (soa != NULL || fwd || !lame) {
		if (minimised) {
			core_iter_qmin_next(req, f, false);
			return;
		}
		keep_negative(req, f, m, soa, CACHE_NODATA, rank, now);
		core_iter_finish(req, WIRE_RC_NOERROR);
		return;
	}
	if (followed) {
		core_iter_restart(req, f);
		return;
	}
	core_iter_mark_bad(req, f); /* upward or sideways referral: lame */
}
