/* The validator: chain of trust, RRset signatures, denial proofs (val.h). */
#include <string.h>

#include "core/anchor.h"
#include "core/internal.h"
#include "core/nsec.h"
#include "core/synth.h"
#include "core/val.h"

/* ---- small helpers ---------------------------------------------------- */

void val_req_init(struct val_req *vr)
{
	vr->verifies = 0;
	vr->hash_budget = NSEC_HASH_BUDGET;
	vr->n_fetched = 0;
}

static bool alg_supported(uint8_t alg)
{
	switch (alg) {
	case 5: case 7: case 8: case 10: case 13: case 14: case 15: case 16:
		return true;
	default:
		return false;
	}
}

static bool digest_supported(uint8_t d)
{
	return d == 1 || d == 2 || d == 4;
}

/* Is rdata (len bytes) exactly one uncompressed name? Read within len. */
static bool rdata_is_name(const uint8_t *rd, size_t len)
{
	size_t at = 0;
	if (len == 0 || len > WIRE_NAME_MAX)
		return false;
	while (at < len && rd[at] != 0) {
		if (rd[at] > 63)
			return false;
		at += rd[at] + 1u;
	}
	return at == len - 1;
}

static uint16_t rrsig_covered(const uint8_t *rd, uint16_t len)
{
	return len >= 2 ? (uint16_t)(rd[0] << 8 | rd[1]) : 0;
}

uint16_t val_sec_ede(enum cache_sec sec, bool negative)
{
	switch (sec) {
	case CACHE_SEC_BOGUS_EXPIRED:
		return VAL_EDE_SIG_EXPIRED;
	case CACHE_SEC_BOGUS_NOT_YET:
		return VAL_EDE_SIG_NOT_YET;
	case CACHE_SEC_BOGUS_NOKEY:
		return VAL_EDE_DNSKEY_MISSING;
	case CACHE_SEC_BOGUS_NOSIG:
		return negative ? VAL_EDE_NSEC_MISSING : VAL_EDE_RRSIGS_MISSING;
	default:
		return VAL_EDE_BOGUS;
	}
}

static enum cache_sec status_sec(enum dnssec_status st)
{
	switch (st) {
	case DNSSEC_EXPIRED:
		return CACHE_SEC_BOGUS_EXPIRED;
	case DNSSEC_NOT_YET_VALID:
		return CACHE_SEC_BOGUS_NOT_YET;
	default:
		return CACHE_SEC_BOGUS;
	}
}

/* ---- one RRset's signatures -------------------------------------------- */

enum dnssec_status val_verify_set(const struct val_rrset *set, const uint8_t *signer,
				  const struct dnssec_rdata *keys, size_t n_keys, uint64_t now,
				  unsigned *verifies, uint32_t *ttl_cap)
{
	enum dnssec_status why = DNSSEC_MISMATCH;
	bool saw_supported = false, saw_unsupported = false;
	unsigned tried = 0;
	for (size_t s = 0; s < set->n_sig; s++) {
		struct dnssec_rrsig sig;
		if (dnssec_rrsig_parse(set->sig[s].data, set->sig[s].len, &sig) != DNSSEC_OK ||
		    sig.type_covered != set->type || !wire_name_eq(sig.signer, signer))
			continue;
		if (!alg_supported(sig.algorithm)) {
			saw_unsupported = true;
			continue;
		}
		saw_supported = true;
		enum dnssec_status t = dnssec_time_check(sig.inception, sig.expiration, now, VAL_SKEW);
		if (t != DNSSEC_OK) {
			/* Expired (or early) beats "no key": it is the better reason. */
			if (why == DNSSEC_MISMATCH || why == DNSSEC_BAD_SIG)
				why = t;
			continue;
		}
		unsigned same_tag = 0;
		for (size_t k = 0; k < n_keys; k++) {
			if (keys[k].len < 4 || keys[k].data[3] != sig.algorithm ||
			    dnssec_key_tag(keys[k].data, keys[k].len) != sig.key_tag)
				continue;
			/* KeyTrap: colliding tags, many signatures, many sets. */
			if (++same_tag > VAL_MAX_TAG_KEYS || tried >= VAL_MAX_SET_VERIFY ||
			    *verifies >= VAL_MAX_REQ_VERIFY)
				return DNSSEC_BAD_SIG;
			tried++;
			(*verifies)++;
			enum dnssec_status v = dnssec_verify_rrset(set->owner, set->type, set->rclass,
								   set->rd, set->n, set->sig[s].data,
								   set->sig[s].len, signer, keys[k].data,
								   keys[k].len);
			if (v == DNSSEC_OK) {
				uint32_t cap = sig.original_ttl;
				uint32_t left = sig.expiration - (uint32_t)now;
				if (dnssec_serial_lt((uint32_t)now, sig.expiration) && left < cap)
					cap = left;
				*ttl_cap = cap;
				return DNSSEC_OK;
			}
			if (v == DNSSEC_BAD_SIG || v == DNSSEC_MALFORMED)
				why = DNSSEC_BAD_SIG;
		}
	}
	if (!saw_supported && saw_unsupported)
		return DNSSEC_UNSUPPORTED;
	return why;
}

/* ---- the validation of one answer -------------------------------------- */

/* A zone's DNSKEY set, copied out of the cache. */
struct keyset {
	uint8_t zone[WIRE_NAME_MAX];
	size_t n;
	struct dnssec_rdata key[VAL_MAX_KEYS];
	uint8_t buf[16384];
};

enum kres { K_SECURE, K_INSECURE, K_BOGUS, K_FETCH };

struct vctx {
	const struct core_env *env;
	struct val_req *vr;
	uint16_t qclass;
	uint64_t now_ms, wall;
	uint8_t *fetch_name;
	uint16_t *fetch_type;
	enum cache_sec bogus; /* K_BOGUS: why */
	const char *why;
	uint16_t insecure_ede; /* an unsupported algorithm or digest made it insecure */
};

/* Ask for (name, type) unless it was asked already: then it is not to be
 * had (K_BOGUS with sec). */
static enum kres need(struct vctx *v, const uint8_t *name, uint16_t type, enum cache_sec sec,
		      const char *why)
{
	struct val_req *vr = v->vr;
	for (size_t i = 0; i < vr->n_fetched; i++)
		if (vr->fetched[i].type == type && wire_name_eq(vr->fetched[i].name, name)) {
			v->bogus = sec;
			v->why = why;
			return K_BOGUS;
		}
	if (vr->n_fetched == VAL_MAX_FETCH) {
		v->bogus = CACHE_SEC_BOGUS;
		v->why = "too many DS/DNSKEY lookups";
		return K_BOGUS;
	}
	wire_name_copy(vr->fetched[vr->n_fetched].name, name);
	wire_name_lower(vr->fetched[vr->n_fetched].name);
	vr->fetched[vr->n_fetched].type = type;
	vr->n_fetched++;
	wire_name_copy(v->fetch_name, name);
	wire_name_lower(v->fetch_name);
	*v->fetch_type = type;
	return K_FETCH;
}

static enum kres bogus(struct vctx *v, enum cache_sec sec, const char *why)
{
	v->bogus = sec;
	v->why = why;
	return K_BOGUS;
}

/* Copy an RRSET entry's rdata and its own RRSIGs into set, with the bytes
 * in buf (the entry is borrowed: the next cache call may move it). */
static bool copy_entry(const struct cache_entry *e, struct val_rrset *set, uint8_t *buf,
		       size_t cap)
{
	size_t used = 0;
	set->owner = e->owner;
	set->type = e->type;
	set->rclass = e->rclass;
	set->n = set->n_sig = 0;
	size_t ol = wire_name_len(e->owner);
	if (ol > cap)
		return false;
	memcpy(buf, e->owner, ol);
	set->owner = buf;
	used = ol;
	for (size_t i = 0; i < e->n_rdata; i++) {
		struct cache_rdata rd = cache_entry_rdata(e, i);
		if (set->n == sizeof(set->rd) / sizeof(set->rd[0]) || used + rd.len > cap)
			return false;
		memcpy(buf + used, rd.data, rd.len);
		set->rd[set->n].data = buf + used;
		set->rd[set->n++].len = rd.len;
		used += rd.len;
	}
	for (size_t i = 0; i < e->n_extra; i++) {
		struct cache_rr x = cache_entry_extra(e, i);
		if (x.type != WIRE_T_RRSIG || rrsig_covered(x.rdata, x.rdlen) != e->type ||
		    !wire_name_eq(x.owner, e->owner) || set->n_sig == VAL_MAX_SIGS)
			continue;
		if (used + x.rdlen > cap)
			return false;
		memcpy(buf + used, x.rdata, x.rdlen);
		set->sig[set->n_sig].data = buf + used;
		set->sig[set->n_sig++].len = x.rdlen;
		used += x.rdlen;
	}
	return true;
}

static void set_sec(struct vctx *v, const uint8_t *owner, uint16_t type, enum cache_sec sec,
		    uint32_t cap)
{
	if (cache_sec_bogus(sec))
		cap = v->env->opts->val_bogus_ttl; /* kept that long, and no longer */
	cache_set_sec(v->env->cache, owner, type, v->qclass, sec, cap, v->now_ms);
}

/* Does DNSKEY rdata k match the trust: a DS of ds[] (usable ones only) or
 * a DNSKEY of anchor keys? */
static bool key_trusted(struct vctx *v, const uint8_t *zone, const struct dnssec_rdata *k,
			const struct dnssec_rdata *ds, size_t n_ds, const struct dnssec_rdata *ak,
			size_t n_ak)
{
	for (size_t i = 0; i < n_ak; i++)
		if (ak[i].len == k->len && memcmp(ak[i].data, k->data, k->len) == 0)
			return true;
	uint16_t tag = dnssec_key_tag(k->data, k->len);
	for (size_t i = 0; i < n_ds; i++) {
		struct dnssec_ds d;
		if (dnssec_ds_parse(ds[i].data, ds[i].len, &d) != DNSSEC_OK || d.key_tag != tag ||
		    k->len < 4 || d.algorithm != k->data[3])
			continue;
		if (v->vr->verifies >= VAL_MAX_REQ_VERIFY)
			return false;
		v->vr->verifies++;
		if (dnssec_ds_match(zone, k->data, k->len, ds[i].data, ds[i].len) == DNSSEC_OK)
			return true;
	}
	return false;
}

/* The DS records that count (RFC 4509 3, RFC 6840 5.2): those of a
 * supported algorithm and digest, and of those only SHA-256/384 ones when
 * any is present. Returns how many were kept in out; *ede says why none
 * when the set had only unsupported ones. */
static size_t usable_ds(const struct dnssec_rdata *ds, size_t n, struct dnssec_rdata *out,
			uint16_t *ede)
{
	bool strong = false, alg_ok = false;
	for (size_t i = 0; i < n; i++) {
		struct dnssec_ds d;
		if (dnssec_ds_parse(ds[i].data, ds[i].len, &d) != DNSSEC_OK)
			continue;
		if (alg_supported(d.algorithm))
			alg_ok = true;
		if (alg_supported(d.algorithm) && (d.digest_type == 2 || d.digest_type == 4))
			strong = true;
	}
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		struct dnssec_ds d;
		if (dnssec_ds_parse(ds[i].data, ds[i].len, &d) != DNSSEC_OK ||
		    !alg_supported(d.algorithm) || !digest_supported(d.digest_type) ||
		    (strong && d.digest_type == 1))
			continue;
		out[m++] = ds[i];
	}
	*ede = alg_ok ? VAL_EDE_UNSUPPORTED_DIGEST : VAL_EDE_UNSUPPORTED_ALG;
	return m;
}

/* The DNSKEY set of zone, authenticated by ds[] or the anchor's keys:
 * K_SECURE with ks filled, K_BOGUS, K_FETCH, or K_INSECURE (harden-dnssec-
 * stripped off and the keys missing). tp: the trust point when zone is an
 * anchor's owner (for RFC 5011). */
static enum kres zone_keys(struct vctx *v, const uint8_t *zone, const struct dnssec_rdata *ds,
			   size_t n_ds, const struct dnssec_rdata *ak, size_t n_ak,
			   const struct anchor_tp *tp, struct keyset *ks)
{
	struct cache_entry e;
	bool hard = v->env->opts->harden_dnssec_stripped;
	if (!cache_get(v->env->cache, zone, WIRE_T_DNSKEY, v->qclass, v->now_ms, &e))
		return need(v, zone, WIRE_T_DNSKEY, CACHE_SEC_BOGUS_NOKEY, "no DNSKEY set");
	if (e.kind != CACHE_RRSET)
		return hard ? bogus(v, CACHE_SEC_BOGUS_NOKEY, "DNSKEY set denied") : K_INSECURE;
	static _Thread_local struct val_rrset set;
	wire_name_copy(ks->zone, zone);
	wire_name_lower(ks->zone);
	enum cache_sec sec = e.sec;
	if (!copy_entry(&e, &set, ks->buf, sizeof(ks->buf)))
		return bogus(v, CACHE_SEC_BOGUS, "DNSKEY set too large");
	ks->n = 0;
	for (size_t i = 0; i < set.n && ks->n < VAL_MAX_KEYS; i++)
		ks->key[ks->n++] = set.rd[i];
	if (sec == CACHE_SEC_SECURE)
		return K_SECURE;
	if (cache_sec_bogus(sec))
		return bogus(v, sec, "DNSKEY set bogus (cached)");
	if (sec == CACHE_SEC_INSECURE)
		return K_INSECURE;
	/* Not yet judged: the keys the trust names, then their signature. */
	struct dnssec_rdata trusted[VAL_MAX_KEYS];
	size_t n_tr = 0;
	for (size_t i = 0; i < ks->n; i++) {
		struct dnssec_dnskey k;
		if (dnssec_dnskey_parse(ks->key[i].data, ks->key[i].len, &k) != DNSSEC_OK ||
		    !(k.flags & DNSSEC_FLAG_ZONE) || (k.flags & DNSSEC_FLAG_REVOKE))
			continue;
		if (key_trusted(v, zone, &ks->key[i], ds, n_ds, ak, n_ak))
			trusted[n_tr++] = ks->key[i];
	}
	if (n_tr == 0) {
		set_sec(v, zone, WIRE_T_DNSKEY, CACHE_SEC_BOGUS_NOKEY, 0);
		return bogus(v, CACHE_SEC_BOGUS_NOKEY, "no DNSKEY matches the DS");
	}
	if (set.n_sig == 0 && !hard)
		return K_INSECURE;
	uint32_t cap = 0;
	enum dnssec_status st = val_verify_set(&set, zone, trusted, n_tr, v->wall, &v->vr->verifies,
					       &cap);
	if (st != DNSSEC_OK) {
		enum cache_sec b = set.n_sig == 0 ? CACHE_SEC_BOGUS_NOSIG : status_sec(st);
		if (st == DNSSEC_MISMATCH && set.n_sig > 0)
			b = CACHE_SEC_BOGUS_NOKEY; /* signed, but not by a key the DS names */
		set_sec(v, zone, WIRE_T_DNSKEY, b, 0);
		return bogus(v, b, "DNSKEY set does not verify");
	}
	/* RFC 5011 at an autotrust point (tp->autotrust) is the daemon's
	 * probe (daemon/server_anchor.c): it reads this set from the cache
	 * and feeds it to anchor_autotrust_feed, one path for the state. */
	set_sec(v, zone, WIRE_T_DNSKEY, CACHE_SEC_SECURE, cap);
	return K_SECURE;
}

/* The verified NSEC/NSEC3 records of a negative entry (or an answer's
 * authority), signed by ks's zone: each owner's set checked with its
 * RRSIGs. Returns how many records are in out, or -1 (bogus, v says why). */
struct proof_in {
	const uint8_t *owner;
	uint16_t type;
	const uint8_t *rdata;
	uint16_t rdlen;
};

static int verify_proofs(struct vctx *v, const struct keyset *ks, const struct proof_in *x,
			 size_t n, struct nsec_rr *out, size_t cap)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (x[i].type != WIRE_T_NSEC && x[i].type != WIRE_T_NSEC3)
			continue;
		/* each NSEC/NSEC3 owner holds one record in practice; the set is
		 * every record of that owner and type */
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			if (x[j].type == x[i].type && wire_name_eq(x[j].owner, x[i].owner))
				seen = true;
		if (seen)
			continue;
		static _Thread_local struct val_rrset set;
		set.owner = x[i].owner;
		set.type = x[i].type;
		set.rclass = v->qclass;
		set.n = set.n_sig = 0;
		for (size_t j = i; j < n; j++) {
			if (!wire_name_eq(x[j].owner, x[i].owner))
				continue;
			if (x[j].type == x[i].type && set.n < 256) {
				set.rd[set.n].data = x[j].rdata;
				set.rd[set.n++].len = x[j].rdlen;
			} else if (x[j].type == WIRE_T_RRSIG &&
				   rrsig_covered(x[j].rdata, x[j].rdlen) == x[i].type &&
				   set.n_sig < VAL_MAX_SIGS) {
				set.sig[set.n_sig].data = x[j].rdata;
				set.sig[set.n_sig++].len = x[j].rdlen;
			}
		}
		if (set.n_sig == 0)
			continue; /* unsigned: proves nothing */
		uint32_t ttl_cap;
		enum dnssec_status st = val_verify_set(&set, ks->zone, ks->key, ks->n, v->wall,
						       &v->vr->verifies, &ttl_cap);
		if (st != DNSSEC_OK) {
			v->bogus = status_sec(st);
			v->why = "NSEC/NSEC3 signature does not verify";
			return -1;
		}
		for (size_t j = 0; j < set.n && m < cap; j++) {
			out[m].owner = x[i].owner;
			out[m].type = x[i].type;
			out[m].rdata = set.rd[j].data;
			out[m].rdlen = set.rd[j].len;
			m++;
		}
	}
	return (int)m;
}

/* A DS lookup that came back negative at name, in the zone of ks: is it a
 * delegation without DS (K_INSECURE), no delegation at all (K_SECURE: go
 * on below), or unproven (K_BOGUS)? */
static enum kres ds_denial(struct vctx *v, const struct cache_entry *e, const uint8_t *name,
			   const struct keyset *ks)
{
	if (e->kind == CACHE_NXDOMAIN)
		return bogus(v, CACHE_SEC_BOGUS, "a name above the data does not exist");
	struct proof_in x[CACHE_EXTRA_MAX];
	size_t nx = 0;
	for (size_t i = 0; i < e->n_extra && nx < CACHE_EXTRA_MAX; i++) {
		struct cache_rr r = cache_entry_extra(e, i);
		x[nx].owner = r.owner;
		x[nx].type = r.type;
		x[nx].rdata = r.rdata;
		x[nx].rdlen = r.rdlen;
		nx++;
	}
	enum cache_sec sec = e->sec;
	uint8_t nm[WIRE_NAME_MAX];
	wire_name_copy(nm, name);
	struct nsec_rr proof[NSEC_MAX_RECORDS * 2];
	int np = verify_proofs(v, ks, x, nx, proof, sizeof(proof) / sizeof(proof[0]));
	if (np < 0) {
		set_sec(v, nm, WIRE_T_DS, v->bogus, 0);
		return K_BOGUS;
	}
	if (np == 0) {
		set_sec(v, nm, WIRE_T_DS, CACHE_SEC_BOGUS_NOSIG, 0);
		return bogus(v, CACHE_SEC_BOGUS_NOSIG, "no NSEC proof for a missing DS");
	}
	struct nsec_in in = { proof, (size_t)np, ks->zone, &v->vr->hash_budget };
	struct nsec_verdict nv;
	nsec_prove_no_ds(&in, nm, &nv);
	if (nv.result != NSEC_BOGUS) {
		if (sec == CACHE_SEC_UNCHECKED)
			set_sec(v, nm, WIRE_T_DS,
				nv.result == NSEC_PROVEN ? CACHE_SEC_SECURE : CACHE_SEC_INSECURE,
				UINT32_MAX);
		return K_INSECURE;
	}
	nsec_prove_nodata(&in, nm, WIRE_T_DS, &nv);
	if (nv.result == NSEC_PROVEN) {
		if (sec == CACHE_SEC_UNCHECKED)
			set_sec(v, nm, WIRE_T_DS, CACHE_SEC_SECURE, UINT32_MAX);
		return K_SECURE;
	}
	if (nv.result == NSEC_INSECURE)
		return K_INSECURE;
	set_sec(v, nm, WIRE_T_DS, CACHE_SEC_BOGUS_NOSIG, 0);
	return bogus(v, CACHE_SEC_BOGUS_NOSIG, "missing DS not proven");
}

/* The keys of target's zone, walking down from the closest trust anchor
 * one label at a time (DS at each name below the anchor: a positive DS
 * is a secure cut, a proven delegation without DS an insecure one, a
 * proven NODATA no cut). Stops at target. */
static enum kres find_keys(struct vctx *v, const uint8_t *target, struct keyset *ks)
{
	const struct anchor_tp *tp = NULL;
	if (v->env->opts->anchors == NULL)
		return K_INSECURE;
	if (anchor_lookup(v->env->opts->anchors, target, &tp) != ANCHOR_TRUST || tp == NULL)
		return K_INSECURE;
	struct dnssec_rdata ds[ANCHOR_MAX_RR], ak[ANCHOR_MAX_RR], use[ANCHOR_MAX_RR];
	size_t n_ds = 0, n_ak = 0;
	for (size_t i = 0; i < tp->n_ds && n_ds < ANCHOR_MAX_RR; i++) {
		ds[n_ds].data = tp->ds[i].rdata;
		ds[n_ds++].len = tp->ds[i].len;
	}
	for (size_t i = 0; i < tp->n_dnskey && n_ak < ANCHOR_MAX_RR; i++) {
		ak[n_ak].data = tp->dnskey[i].rdata;
		ak[n_ak++].len = tp->dnskey[i].len;
	}
	uint16_t ede;
	size_t n_use = usable_ds(ds, n_ds, use, &ede);
	if (n_use == 0 && n_ak == 0) {
		v->insecure_ede = ede;
		return K_INSECURE;
	}
	enum kres r = zone_keys(v, tp->owner, use, n_use, ak, n_ak, tp, ks);
	unsigned at = tp->labels, want = wire_name_labels(target);
	while (r == K_SECURE && at < want) {
		const uint8_t *next = wire_name_strip(target, want - at - 1);
		at++;
		struct cache_entry e;
		if (!cache_get(v->env->cache, next, WIRE_T_DS, v->qclass, v->now_ms, &e))
			return need(v, next, WIRE_T_DS, CACHE_SEC_BOGUS, "no DS answer");
		if (e.kind != CACHE_RRSET) {
			enum kres d = ds_denial(v, &e, next, ks);
			if (d == K_SECURE)
				continue; /* not a cut: the same keys sign below */
			return d;
		}
		static _Thread_local struct val_rrset set;
		static _Thread_local uint8_t buf[16384];
		enum cache_sec sec = e.sec;
		if (!copy_entry(&e, &set, buf, sizeof(buf)))
			return bogus(v, CACHE_SEC_BOGUS, "DS set too large");
		if (cache_sec_bogus(sec))
			return bogus(v, sec, "DS set bogus (cached)");
		if (sec == CACHE_SEC_UNCHECKED) {
			uint32_t cap = 0;
			enum dnssec_status st =
				set.n_sig == 0 ? DNSSEC_MISMATCH
					       : val_verify_set(&set, ks->zone, ks->key, ks->n,
								v->wall, &v->vr->verifies, &cap);
			if (st != DNSSEC_OK) {
				enum cache_sec b = set.n_sig == 0 ? CACHE_SEC_BOGUS_NOSIG
								  : status_sec(st);
				set_sec(v, next, WIRE_T_DS, b, 0);
				return bogus(v, b, "DS set does not verify");
			}
			set_sec(v, next, WIRE_T_DS, CACHE_SEC_SECURE, cap);
		}
		n_use = usable_ds(set.rd, set.n, use, &ede);
		if (n_use == 0) {
			v->insecure_ede = ede;
			return K_INSECURE;
		}
		uint8_t child[WIRE_NAME_MAX];
		wire_name_copy(child, next);
		r = zone_keys(v, child, use, n_use, NULL, 0, NULL, ks);
	}
	return r;
}

/* ---- the answer's sets ---------------------------------------------------- */

/* Gather the set (owner, type) of section rr[0..n) with its RRSIGs. */
static void gather(const struct core_rr *rr, size_t n, const uint8_t *owner, uint16_t type,
		   uint16_t qclass, struct val_rrset *set)
{
	set->owner = owner;
	set->type = type;
	set->rclass = qclass;
	set->n = set->n_sig = 0;
	for (size_t i = 0; i < n; i++) {
		if (!wire_name_eq(rr[i].owner, owner))
			continue;
		if (rr[i].type == type && set->n < 256) {
			set->rd[set->n].data = rr[i].rdata;
			set->rd[set->n++].len = rr[i].rdlen;
		} else if (rr[i].type == WIRE_T_RRSIG && rrsig_covered(rr[i].rdata, rr[i].rdlen) == type &&
			   set->n_sig < VAL_MAX_SIGS) {
			set->sig[set->n_sig].data = rr[i].rdata;
			set->sig[set->n_sig++].len = rr[i].rdlen;
		}
	}
}

/* The zone that signed the set (its first parsable RRSIG's signer at or
 * above the owner), or NULL. */
static bool signer_of(const struct val_rrset *set, uint8_t out[WIRE_NAME_MAX], unsigned *labels)
{
	for (size_t i = 0; i < set->n_sig; i++) {
		struct dnssec_rrsig s;
		if (dnssec_rrsig_parse(set->sig[i].data, set->sig[i].len, &s) == DNSSEC_OK &&
		    wire_name_in(set->owner, s.signer)) {
			wire_name_copy(out, s.signer);
			*labels = s.labels;
			return true;
		}
	}
	return false;
}

/* Is the cache entry for the set holding these very records (so its status
 * is about them)? */
static bool entry_same(const struct cache_entry *e, const struct val_rrset *set)
{
	if (e->kind != CACHE_RRSET || e->n_rdata != set->n)
		return false;
	for (size_t i = 0; i < set->n; i++) {
		struct cache_rdata rd = cache_entry_rdata(e, i);
		bool found = false;
		for (size_t j = 0; j < set->n && !found; j++)
			found = rd.len == set->rd[j].len && memcmp(rd.data, set->rd[j].data, rd.len) == 0;
		if (!found)
			return false;
	}
	return true;
}

static void authority_proofs(const struct core_answer *a, struct proof_in *x, size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < a->n_ns && *n < CORE_MAX_AUTHORITY; i++) {
		x[*n].owner = a->ns[i].owner;
		x[*n].type = a->ns[i].type;
		x[*n].rdata = a->ns[i].rdata;
		x[*n].rdlen = a->ns[i].rdlen;
		(*n)++;
	}
}

/* One positive set of the answer: its status, from the cache or judged now. */
static enum kres judge_set(struct vctx *v, const struct core_answer *a, struct val_rrset *set,
			   enum cache_sec *sec)
{
	struct cache_entry e;
	if (cache_get(v->env->cache, set->owner, set->type, v->qclass, v->now_ms, &e) &&
	    e.sec != CACHE_SEC_UNCHECKED && entry_same(&e, set)) {
		*sec = e.sec;
		return K_SECURE;
	}
	static _Thread_local struct keyset ks;
	uint8_t signer[WIRE_NAME_MAX];
	unsigned labels = 0;
	bool signed_set = signer_of(set, signer, &labels);
	if (!signed_set) {
		/* Unsigned: secure only if no chain of trust reaches its zone. */
		const uint8_t *t = set->owner;
		if (set->type == WIRE_T_DS && t[0] != 0)
			t = wire_name_strip(t, 1);
		wire_name_copy(signer, t);
	}
	wire_name_lower(signer);
	enum kres r = find_keys(v, signer, &ks);
	if (r == K_FETCH)
		return K_FETCH;
	uint8_t owner[WIRE_NAME_MAX];
	wire_name_copy(owner, set->owner);
	if (r == K_INSECURE) {
		*sec = CACHE_SEC_INSECURE;
		set_sec(v, owner, set->type, *sec, UINT32_MAX);
		return K_SECURE;
	}
	if (r == K_BOGUS) {
		*sec = v->bogus;
		set_sec(v, owner, set->type, *sec, 0);
		return K_SECURE;
	}
	if (!signed_set) {
		*sec = CACHE_SEC_BOGUS_NOSIG;
		v->why = "RRSIGs missing";
		set_sec(v, owner, set->type, *sec, 0);
		return K_SECURE;
	}
	uint32_t cap = 0;
	enum dnssec_status st = val_verify_set(set, ks.zone, ks.key, ks.n, v->wall,
					       &v->vr->verifies, &cap);
	if (st != DNSSEC_OK) {
		*sec = status_sec(st);
		v->why = "signature does not verify";
		set_sec(v, owner, set->type, *sec, 0);
		return K_SECURE;
	}
	/* A wildcard expansion: the authority section must prove that no
	 * closer name exists (RFC 4035 5.3.4). */
	unsigned own_labels = wire_name_labels(owner);
	if (owner[0] == 1 && owner[1] == '*')
		own_labels--;
	if (labels < own_labels) {
		struct proof_in x[CORE_MAX_AUTHORITY];
		size_t nx;
		authority_proofs(a, x, &nx);
		struct nsec_rr proof[CORE_MAX_AUTHORITY];
		int np = verify_proofs(v, &ks, x, nx, proof, CORE_MAX_AUTHORITY);
		struct nsec_verdict nv = { .result = NSEC_BOGUS };
		if (np > 0) {
			struct nsec_in in = { proof, (size_t)np, ks.zone, &v->vr->hash_budget };
			nsec_prove_wildcard_answer(&in, owner, labels, &nv);
		}
		if (nv.result == NSEC_BOGUS) {
			*sec = np < 0 ? v->bogus : CACHE_SEC_BOGUS_NOSIG;
			v->why = "wildcard answer without its proof";
			set_sec(v, owner, set->type, *sec, 0);
			return K_SECURE;
		}
		if (nv.result == NSEC_INSECURE) {
			*sec = CACHE_SEC_INSECURE;
			set_sec(v, owner, set->type, *sec, cap);
			return K_SECURE;
		}
	}
	*sec = CACHE_SEC_SECURE;
	set_sec(v, owner, set->type, *sec, cap);
	return K_SECURE;
}

/* The negative part of an answer (NXDOMAIN, NODATA) at name. */
static enum kres judge_negative(struct vctx *v, const struct core_answer *a, const uint8_t *name,
				uint16_t qtype, bool nxdomain, enum cache_sec *sec)
{
	uint16_t key_type = nxdomain ? CACHE_TYPE_NXDOMAIN : qtype;
	struct cache_entry e;
	if (cache_get(v->env->cache, name, qtype, v->qclass, v->now_ms, &e) &&
	    e.kind == (nxdomain ? CACHE_NXDOMAIN : CACHE_NODATA) && e.sec != CACHE_SEC_UNCHECKED) {
		*sec = e.sec;
		return K_SECURE;
	}
	static _Thread_local struct val_rrset soa;
	const struct core_rr *soa_rr = NULL;
	for (size_t i = 0; i < a->n_ns; i++)
		if (a->ns[i].type == WIRE_T_SOA)
			soa_rr = &a->ns[i];
	uint8_t zone[WIRE_NAME_MAX];
	unsigned labels;
	bool signed_soa = false;
	if (soa_rr != NULL) {
		gather(a->ns, a->n_ns, soa_rr->owner, WIRE_T_SOA, v->qclass, &soa);
		signed_soa = signer_of(&soa, zone, &labels);
		if (!signed_soa)
			wire_name_copy(zone, soa_rr->owner);
	} else {
		/* no SOA: the zone is unknown, walk to the name itself */
		wire_name_copy(zone, name);
		if (qtype == WIRE_T_DS && zone[0] != 0 && !nxdomain)
			wire_name_copy(zone, wire_name_strip(name, 1));
	}
	wire_name_lower(zone);
	static _Thread_local struct keyset ks;
	enum kres r = find_keys(v, zone, &ks);
	if (r == K_FETCH)
		return K_FETCH;
	if (r == K_INSECURE)
		*sec = CACHE_SEC_INSECURE;
	else if (r == K_BOGUS)
		*sec = v->bogus;
	else if (!signed_soa) {
		*sec = CACHE_SEC_BOGUS_NOSIG;
		v->why = "negative answer without signatures";
	} else {
		*sec = CACHE_SEC_SECURE;
		uint32_t cap = 0;
		enum dnssec_status st = val_verify_set(&soa, ks.zone, ks.key, ks.n, v->wall,
						       &v->vr->verifies, &cap);
		if (st != DNSSEC_OK) {
			*sec = status_sec(st);
			v->why = "SOA signature does not verify";
		} else {
			struct proof_in x[CORE_MAX_AUTHORITY];
			size_t nx;
			authority_proofs(a, x, &nx);
			struct nsec_rr proof[CORE_MAX_AUTHORITY];
			int np = verify_proofs(v, &ks, x, nx, proof, CORE_MAX_AUTHORITY);
			if (np < 0) {
				*sec = v->bogus;
			} else if (np == 0) {
				*sec = CACHE_SEC_BOGUS_NOSIG;
				v->why = "NSEC missing";
			} else {
				struct nsec_in in = { proof, (size_t)np, ks.zone, &v->vr->hash_budget };
				struct nsec_verdict nv;
				if (nxdomain)
					nsec_prove_nxdomain(&in, name, &nv);
				else
					nsec_prove_nodata(&in, name, qtype, &nv);
				if (nv.result == NSEC_PROVEN && !nv.nsec3) {
					/* RFC 8198: the proven NSEC records (all of
					 * them verified above) answer later questions */
					synth_learn(v->env->aggr, ks.zone, a->ns, a->n_ns, v->now_ms);
				} else if (nv.result == NSEC_INSECURE) {
					*sec = CACHE_SEC_INSECURE;
				} else if (nv.result == NSEC_BOGUS) {
					*sec = nv.why == NSEC_WHY_MISSING ? CACHE_SEC_BOGUS_NOSIG
									  : CACHE_SEC_BOGUS;
					v->why = nsec_why_text(nv.why);
				}
			}
		}
		uint8_t nm[WIRE_NAME_MAX];
		wire_name_copy(nm, name);
		set_sec(v, nm, key_type, *sec, cap);
		return K_SECURE;
	}
	uint8_t nm[WIRE_NAME_MAX];
	wire_name_copy(nm, name);
	set_sec(v, nm, key_type, *sec, UINT32_MAX);
	return K_SECURE;
}

/* The CNAME a DNAME made (RFC 6672): unsigned, but as good as the DNAME
 * before it in the answer when it is that DNAME's substitution. */
static bool synthesised(const struct core_answer *a, const struct val_rrset *set,
			enum cache_sec *dname_sec, const enum cache_sec *secs, size_t n_secs,
			const struct val_rrset *sets)
{
	if (set->type != WIRE_T_CNAME || set->n_sig != 0 || set->n != 1)
		return false;
	(void)a;
	for (size_t i = 0; i < n_secs; i++) {
		if (sets[i].type != WIRE_T_DNAME || sets[i].n != 1 ||
		    !wire_name_in(set->owner, sets[i].owner) ||
		    wire_name_eq(set->owner, sets[i].owner))
			continue;
		/* owner = prefix + dname owner; target must be prefix + dname target */
		const uint8_t *tgt = sets[i].rd[0].data;
		size_t tl = sets[i].rd[0].len;
		if (!rdata_is_name(tgt, tl))
			continue;
		unsigned keep = wire_name_labels(set->owner) - wire_name_labels(sets[i].owner);
		const uint8_t *cn = set->rd[0].data;
		if (!rdata_is_name(cn, set->rd[0].len) ||
		    wire_name_labels(cn) != keep + wire_name_labels(tgt) ||
		    !wire_name_eq(wire_name_strip(cn, keep), tgt))
			continue;
		size_t pl = (size_t)(wire_name_strip(set->owner, keep) - set->owner);
		size_t cl = (size_t)(wire_name_strip(cn, keep) - cn);
		uint8_t a1[WIRE_NAME_MAX], b1[WIRE_NAME_MAX];
		memcpy(a1, set->owner, pl);
		a1[pl] = 0;
		memcpy(b1, cn, cl);
		b1[cl] = 0;
		if (pl != cl || !wire_name_eq(a1, b1))
			continue;
		*dname_sec = secs[i];
		return true;
	}
	return false;
}

#define VAL_MAX_SETS 24

/* Fold one status into the answer's: bogus over insecure over secure; the
 * first bogus reason is kept. */
static void combine(enum cache_sec *worst, const char **why, enum cache_sec sec, const char *w)
{
	if (cache_sec_bogus(*worst))
		return;
	if (cache_sec_bogus(sec)) {
		*worst = sec;
		*why = w;
	} else if (sec == CACHE_SEC_INSECURE) {
		*worst = CACHE_SEC_INSECURE;
	}
}

enum val_step val_answer(const struct core_env *env, struct val_req *vr, const uint8_t *qname,
			 uint16_t qtype, uint16_t qclass, const struct core_answer *a,
			 uint64_t now_ms, uint8_t fetch_name[WIRE_NAME_MAX], uint16_t *fetch_type,
			 struct val_outcome *out)
{
	struct vctx v = {
		.env = env, .vr = vr, .qclass = qclass, .now_ms = now_ms,
		.wall = env->wall_clock ? env->wall_clock() : 0,
		.fetch_name = fetch_name, .fetch_type = fetch_type,
		.why = "",
	};
	static _Thread_local struct val_rrset sets[VAL_MAX_SETS];
	enum cache_sec secs[VAL_MAX_SETS];
	size_t n_sets = 0;
	enum cache_sec worst = CACHE_SEC_SECURE;
	const char *why = "";
	uint8_t name[WIRE_NAME_MAX];
	wire_name_copy(name, qname);
	wire_name_lower(name);
	bool answered = false, judged = false;
	/* The answer section's sets, in order (CNAME/DNAME links, then the data). */
	for (size_t i = 0; i < a->n_an; i++) {
		const struct core_rr *rr = &a->an[i];
		if (rr->type == WIRE_T_RRSIG) {
			/* RRSIGs asked for are data no signature covers
			 * (RFC 4035 3.2.1): passed on unvalidated */
			if (qtype == WIRE_T_RRSIG && wire_name_eq(rr->owner, name))
				answered = true;
			continue;
		}
		bool dup = false;
		for (size_t j = 0; j < n_sets && !dup; j++)
			dup = sets[j].type == rr->type && wire_name_eq(sets[j].owner, rr->owner);
		if (dup)
			continue;
		if (n_sets == VAL_MAX_SETS) {
			worst = CACHE_SEC_BOGUS;
			why = "too many RRsets";
			break;
		}
		struct val_rrset *set = &sets[n_sets];
		gather(a->an, a->n_an, rr->owner, rr->type, qclass, set);
		enum cache_sec sec;
		if (!synthesised(a, set, &sec, secs, n_sets, sets)) {
			if (judge_set(&v, a, set, &sec) == K_FETCH)
				return VAL_FETCH;
		}
		secs[n_sets++] = sec;
		combine(&worst, &why, sec, v.why);
		if (rr->type == WIRE_T_CNAME && wire_name_eq(rr->owner, name) &&
		    rdata_is_name(rr->rdata, rr->rdlen) && qtype != WIRE_T_CNAME) {
			wire_name_copy(name, rr->rdata);
			wire_name_lower(name);
		} else if (wire_name_eq(rr->owner, name) && (rr->type == qtype || qtype == WIRE_T_ANY)) {
			answered = true;
		}
	}
	if (!answered && (a->rcode == WIRE_RC_NXDOMAIN || a->rcode == WIRE_RC_NOERROR) &&
	    !cache_sec_bogus(worst)) {
		/* a negative answer, with or without its SOA: in a signed zone
		 * one without the signed SOA and its proof is bogus, not a
		 * NODATA to pass on unchecked */
		enum cache_sec sec;
		if (judge_negative(&v, a, name, qtype, a->rcode == WIRE_RC_NXDOMAIN, &sec) == K_FETCH)
			return VAL_FETCH;
		combine(&worst, &why, sec, v.why);
		judged = true;
	}
	if (n_sets == 0 && !judged)
		worst = CACHE_SEC_INSECURE; /* nothing to judge (no records, no SOA) */
	out->sec = worst;
	out->why = why;
	out->ede = cache_sec_bogus(worst) ? val_sec_ede(worst, !answered) : 0;
	return VAL_DONE;
}
