/* Answers from the cache, and the response written to a client. */
#include <string.h>

#include "core/dns64.h"
#include "core/internal.h"
#include "core/val.h"
#include "util/err.h"

static void step_extra(const struct cache_entry *e, const struct cache_rr *x, uint32_t ttl,
		       struct core_cache_step *st)
{
	if (st->n == CORE_MAX_ANSWER)
		return;
	struct core_rr *rr = &st->rr[st->n++];
	rr->owner = x->owner;
	rr->type = x->type;
	rr->rclass = e->rclass;
	rr->ttl = ttl;
	rr->rdata = x->rdata;
	rr->rdlen = x->rdlen;
}

/* Is x an RRSIG over the entry's own set (the RRSIG's type covered is its
 * first field)? Those follow the set; other extra records (the DNAME a
 * CNAME was made from, and its RRSIGs) come before it. */
static bool own_sig(const struct cache_entry *e, const struct cache_rr *x)
{
	return x->type == WIRE_T_RRSIG && wire_rrsig_covered(x->rdata, x->rdlen) == e->type &&
	       wire_name_eq(x->owner, e->owner);
}

/* The NSEC/NSEC3 proof of a wildcard answer and its RRSIGs: they go to
 * the authority section. */
static bool proof_rr(const struct cache_rr *x)
{
	uint16_t t = x->type;
	if (t == WIRE_T_RRSIG)
		t = wire_rrsig_covered(x->rdata, x->rdlen);
	return t == WIRE_T_NSEC || t == WIRE_T_NSEC3;
}

static void step_entry(const struct cache_entry *e, struct core_cache_step *st)
{
	st->n = 0;
	for (size_t i = 0; i < e->n_extra; i++) {
		struct cache_rr x = cache_entry_extra(e, i);
		if (proof_rr(&x)) {
			if (st->n_auth < CORE_MAX_AUTHORITY) {
				struct core_rr *rr = &st->auth[st->n_auth++];
				rr->owner = x.owner;
				rr->type = x.type;
				rr->rclass = e->rclass;
				rr->ttl = e->ttl;
				rr->rdata = x.rdata;
				rr->rdlen = x.rdlen;
			}
		} else if (!own_sig(e, &x)) {
			step_extra(e, &x, e->ttl, st);
		}
	}
	for (size_t i = 0; i < e->n_rdata && st->n < CORE_MAX_ANSWER; i++) {
		struct cache_rdata rd = cache_entry_rdata(e, i);
		struct core_rr *rr = &st->rr[st->n++];
		rr->owner = e->owner;
		rr->type = e->type;
		rr->rclass = e->rclass;
		rr->ttl = e->ttl;
		rr->rdata = rd.data;
		rr->rdlen = rd.len;
	}
	for (size_t i = 0; i < e->n_extra; i++) {
		struct cache_rr x = cache_entry_extra(e, i);
		if (own_sig(e, &x))
			step_extra(e, &x, e->ttl, st);
	}
}

static void step_negative(const struct cache_entry *e, struct core_cache_step *st)
{
	st->n = 0;
	st->authority = true;
	for (size_t i = 0; i < e->n_soa && st->n < 1; i++) {
		struct cache_rdata rd = cache_entry_soa(e, i);
		struct core_rr *rr = &st->rr[st->n++];
		rr->owner = e->soa_owner;
		rr->type = WIRE_T_SOA;
		rr->rclass = e->rclass;
		rr->ttl = e->soa_ttl < e->ttl ? e->soa_ttl : e->ttl;
		rr->rdata = rd.data;
		rr->rdlen = rd.len;
	}
	/* The SOA's RRSIGs and the NSEC/NSEC3 proofs, with the SOA's TTL. */
	for (size_t i = 0; i < e->n_extra && st->n > 0; i++) {
		struct cache_rr x = cache_entry_extra(e, i);
		step_extra(e, &x, st->rr[0].ttl, st);
	}
}

/* Where a client answer's records are copied out of the cache. NULL in
 * core_cache_step: the iterator runs on the cache's writer thread and may
 * borrow entries. With buf NULL, the writer looks for expired data too
 * (core_answer_stale), and notes when it found some. */
struct copy_space {
	uint8_t *buf;
	size_t used, cap;
	uint32_t reply_ttl;
	bool reset, stale;
};

static bool lookup(const struct core_env *env, struct copy_space *cs, const uint8_t *name,
		   uint16_t type, uint16_t qclass, uint64_t now, struct cache_entry *e)
{
	if (cs == NULL)
		return cache_get(env->cache, name, type, qclass, now, e);
	if (cs->buf == NULL) {
		bool stale = false;
		if (!cache_get_stale(env->cache, name, type, qclass, now, cs->reset, e, &stale))
			return false;
		if (stale) {
			e->ttl = e->soa_ttl = cs->reply_ttl;
			cs->stale = true;
		}
		return true;
	}
	size_t n = cache_get_copy(env->cache, name, type, qclass, now, e, cs->buf + cs->used,
				  cs->cap - cs->used);
	cs->used += n;
	return n != 0;
}

static int cache_step(const struct core_env *env, struct copy_space *cs, const uint8_t *qname,
		      uint16_t qtype, uint16_t qclass, uint64_t now, bool for_client,
		      struct core_cache_step *st)
{
	struct cache_entry e;
	enum cache_rank need = for_client ? CACHE_RANK_NONAUTH : CACHE_RANK_GLUE;
	st->authority = false;
	st->n = st->n_auth = 0;
	if (lookup(env, cs, qname, qtype, qclass, now, &e) && e.rank >= need) {
		st->pf_ms = e.pf_ms;
		st->prefetch = e.prefetch;
		st->sec = e.sec;
		if (e.kind == CACHE_RRSET) {
			st->rcode = WIRE_RC_NOERROR;
			step_entry(&e, st);
			return CORE_STEP_FINAL;
		}
		st->rcode = e.kind == CACHE_NXDOMAIN ? WIRE_RC_NXDOMAIN : WIRE_RC_NOERROR;
		step_negative(&e, st);
		return CORE_STEP_FINAL;
	}
	if (qtype == WIRE_T_CNAME)
		return CORE_STEP_MISS;
	if (lookup(env, cs, qname, WIRE_T_CNAME, qclass, now, &e) && e.rank >= need &&
	    e.kind == CACHE_RRSET && e.n_rdata > 0) {
		struct cache_rdata rd = cache_entry_rdata(&e, 0);
		if (rd.len == 0 || rd.len > WIRE_NAME_MAX || wire_name_len(rd.data) != rd.len)
			return CORE_STEP_MISS;
		st->pf_ms = e.pf_ms;
		st->prefetch = e.prefetch;
		st->sec = e.sec;
		step_entry(&e, st);
		wire_name_copy(st->next, rd.data);
		wire_name_lower(st->next);
		return CORE_STEP_CNAME;
	}
	return CORE_STEP_MISS;
}

int core_cache_step(const struct core_env *env, const uint8_t *qname, uint16_t qtype,
		    uint16_t qclass, uint64_t now, bool for_client, struct core_cache_step *st)
{
	return cache_step(env, NULL, qname, qtype, qclass, now, for_client, st);
}

/* Client answers may be built on any thread (one per listener thread), so
 * their records are copies, made under the cache's stripe lock, into this
 * thread's space: valid until this thread's next call. An answer whose
 * entries do not fit is treated as a miss, and the resolver (on the
 * writer thread) answers it from the cache instead. */
#define COPY_SPACE (128u * 1024u)
/* This thread's copy space (8-byte aligned), for core_answer_from_cache
 * and core_answer_dns64: an answer lives until the thread's next call. */
static _Thread_local uint64_t copy_buf[COPY_SPACE / sizeof(uint64_t)];

/* What the statuses of an answer's entries make of it (validation on;
 * worst: UNCHECKED, the first bogus status, or SECURE): true to answer (out->secure, or SERVFAIL with the EDE), false to leave
 * it to the resolver (data not yet judged). */
static bool cache_verdict(const struct core_env *env, enum cache_sec worst, bool all_secure,
			  bool negative, bool cd, struct core_answer *out)
{
	if (cd) {
		out->secure = all_secure;
		return true;
	}
	if (worst == CACHE_SEC_UNCHECKED)
		return false;
	if (cache_sec_bogus(worst) && !env->opts->val_permissive) {
		/* the records stay in the copy space, unused */
		out->rcode = WIRE_RC_SERVFAIL;
		out->n_an = out->n_ns = 0;
		out->ede = val_sec_ede(worst, negative);
		return true;
	}
	out->secure = all_secure;
	return true;
}

/* The answer's steps, CNAME after CNAME: from copies in cs->buf, or
 * borrowed from the writer's cache with expired data allowed. */
static bool answer_walk(const struct core_env *env, struct copy_space *cs, const uint8_t *qname,
			uint16_t qtype, uint16_t qclass, bool cd, uint64_t now,
			struct core_answer *out)
{
	static _Thread_local struct core_cache_step st;
	uint8_t name[WIRE_NAME_MAX];
	/* The cache lowercases keys itself: the client's name is asked as it
	 * came, and only CNAME targets (lowered by the step) are copied. */
	const uint8_t *cur = qname;
	out->n_an = out->n_ns = 0;
	out->stale = out->prefetch = false;
	out->fresh_ms = UINT64_MAX;
	out->secure = false;
	out->ede = CORE_EDE_NONE;
	/* Any entry not judged yet, the first bogus one, and whether all are
	 * secure. */
	bool unchecked = false, all_secure = true;
	enum cache_sec bogus = CACHE_SEC_SECURE;
	for (int hops = 0; hops <= CORE_MAX_CNAME; hops++) {
		int r = cache_step(env, cs, cur, qtype, qclass, now, true, &st);
		if (r == CORE_STEP_MISS)
			return false;
		out->prefetch |= st.prefetch;
		if (st.pf_ms < out->fresh_ms)
			out->fresh_ms = st.pf_ms;
		all_secure = all_secure && st.sec == CACHE_SEC_SECURE;
		unchecked = unchecked || st.sec == CACHE_SEC_UNCHECKED;
		if (cache_sec_bogus(st.sec) && !cache_sec_bogus(bogus))
			bogus = st.sec;
		for (size_t i = 0; i < st.n_auth; i++)
			if (out->n_ns < sizeof(out->ns) / sizeof(out->ns[0]))
				out->ns[out->n_ns++] = st.auth[i];
		for (size_t i = 0; i < st.n; i++) {
			if (st.authority) {
				if (out->n_ns < sizeof(out->ns) / sizeof(out->ns[0]))
					out->ns[out->n_ns++] = st.rr[i];
			} else if (out->n_an < CORE_MAX_ANSWER) {
				out->an[out->n_an++] = st.rr[i];
			}
		}
		if (r == CORE_STEP_FINAL) {
			out->rcode = st.rcode;
			if (!env->opts->validate)
				return true;
			return cache_verdict(env, unchecked ? CACHE_SEC_UNCHECKED : bogus, all_secure,
					     st.authority, cd, out);
		}
		wire_name_copy(name, st.next);
		cur = name;
	}
	return false;
}

bool core_answer_from_cache(const struct core_env *env, const uint8_t *qname, uint16_t qtype,
			    uint16_t qclass, bool cd, uint64_t now, struct core_answer *out)
{
	struct copy_space cs = { .buf = (uint8_t *)copy_buf, .cap = sizeof(copy_buf) };
	return answer_walk(env, &cs, qname, qtype, qclass, cd, now, out);
}

bool core_answer_dns64(const struct core_env *env, const uint8_t *qname, uint16_t qclass,
		       bool cd, uint64_t now, struct core_answer *out)
{
	static _Thread_local struct core_answer a;
	static _Thread_local uint8_t store[CORE_MAX_ANSWER][16];
	const struct dns64_opts *o = env->opts->dns64;
	/* One copy space for both walks: the AAAA answer's records stay valid
	 * while the A question is looked up. */
	struct copy_space cs = { .buf = (uint8_t *)copy_buf, .cap = sizeof(copy_buf) };
	if (!answer_walk(env, &cs, qname, WIRE_T_AAAA, qclass, cd, now, out))
		return false;
	if (o == NULL || qclass != WIRE_C_IN || !dns64_wants_a(o, qname, out))
		return true;
	if (!answer_walk(env, &cs, qname, WIRE_T_A, qclass, cd, now, &a))
		return false; /* the resolver asks, and synthesises */
	/* Either answer changes when either's entries do. */
	out->prefetch |= a.prefetch;
	if (a.fresh_ms < out->fresh_ms)
		out->fresh_ms = a.fresh_ms;
	if (a.rcode != WIRE_RC_SERVFAIL && !dns64_has_a(&a))
		return true; /* nothing to make AAAA records from: the answer as it is */
	if (a.rcode != WIRE_RC_SERVFAIL)
		dns64_synth(o, &a, dns64_ttl_cap(out), store);
	out->rcode = a.rcode;
	out->ede = a.ede;
	out->secure = false;
	out->n_ns = 0;
	out->n_an = a.n_an;
	memcpy(out->an, a.an, a.n_an * sizeof(a.an[0]));
	return true;
}

int core_answer_stale(const struct core_env *env, const uint8_t *qname, uint16_t qtype,
		      uint16_t qclass, uint64_t now_ms, uint32_t reply_ttl, bool reset,
		      struct core_answer *out)
{
	struct copy_space cs = { .reply_ttl = reply_ttl, .reset = reset };
	if (!answer_walk(env, &cs, qname, qtype, qclass, false, now_ms, out))
		return 0;
	out->stale = cs.stale;
	out->prefetch = false;
	return cs.stale ? 2 : 1;
}

/* Where the question's name starts in every response. */
#define QNAME_OFF WIRE_HDR_LEN

/* Is owner (lowercase, as the cache stores names) the question's name
 * (qlen bytes, in the client's case)? Eight bytes per step, the question's
 * side lowered on the way; no lowered copy of the question is made. */
static bool owner_is_question(const uint8_t *owner, const uint8_t *q, size_t qlen)
{
	if (wire_name_len(owner) != qlen)
		return false;
	size_t i = 0;
	for (; i + 8 <= qlen; i += 8) {
		uint64_t x, y;
		memcpy(&x, owner + i, 8);
		memcpy(&y, q + i, 8);
		if (x != wire_lower8(y))
			return false;
	}
	return wire_tail_word(owner, qlen) == wire_lower8(wire_tail_word(q, qlen));
}

/* The question's suffixes, for the compressor: the question is the first
 * name of every response, at QNAME_OFF, so its suffixes are the first
 * entries of the table whenever they are recorded. Only records whose owner
 * is not the question go through the compressor, so this is done for the
 * first of those, not for every response. */
static void note_question(struct wire_wr *w, const uint8_t *qname)
{
	for (const uint8_t *p = qname; *p != 0; p += *p + 1) {
		size_t off = QNAME_OFF + (size_t)(p - qname);
		if (w->n_comp < WIRE_COMP_MAX && off < 0x3fff)
			w->comp[w->n_comp++] = (uint16_t)off;
	}
}

/* DNSSEC records a client that did not set DO is not given (RFC 4035
 * 3.2.1) unless it asked for that type. */
static bool dnssec_only(uint16_t type, uint16_t qtype)
{
	return (type == WIRE_T_RRSIG || type == WIRE_T_NSEC || type == WIRE_T_NSEC3) &&
	       type != qtype;
}

/* Records whose owner is the question's name (nearly all of them) point at
 * it directly: these are the bytes the compressor would write, without its
 * search, which re-reads every earlier name and was the largest single cost
 * of answering from the cache. Other owners go through the compressor,
 * which finds the same pointers the slow way. Returns how many records
 * were written: all when dnssec_ok, else those dnssec_only leaves in. */
static size_t write_records(struct wire_wr *w, const struct core_rr *rr, size_t n,
			    const uint8_t *qname, size_t qlen, bool dnssec_ok, uint16_t qtype)
{
	size_t written = 0;
	for (size_t i = 0; i < n; i++) {
		if (!dnssec_ok && dnssec_only(rr[i].type, qtype))
			continue;
		written++;
		if (!owner_is_question(rr[i].owner, qname, qlen)) {
			if (w->n_comp == 0)
				note_question(w, qname);
			wire_wr_rr(w, rr[i].owner, rr[i].type, rr[i].rclass, rr[i].ttl, rr[i].rdata,
				   rr[i].rdlen);
			continue;
		}
		/* pointer, type, class, TTL, RDLENGTH: one write */
		const uint16_t ptr = 0xc000 | QNAME_OFF;
		const uint32_t ttl = rr[i].ttl;
		uint8_t f[12] = { ptr >> 8, ptr & 0xff, (uint8_t)(rr[i].type >> 8), (uint8_t)rr[i].type,
				  (uint8_t)(rr[i].rclass >> 8), (uint8_t)rr[i].rclass,
				  (uint8_t)(ttl >> 24), (uint8_t)(ttl >> 16), (uint8_t)(ttl >> 8),
				  (uint8_t)ttl, (uint8_t)(rr[i].rdlen >> 8), (uint8_t)rr[i].rdlen };
		wire_wr_bytes(w, f, sizeof(f));
		wire_wr_bytes(w, rr[i].rdata, rr[i].rdlen);
	}
	return written;
}

/* Header and question: the question is the first name of the message, so
 * compressing it could find nothing; its bytes go out as they came. */
static void write_head(struct wire_wr *w, uint16_t id, uint16_t flags, const uint8_t *qname,
		       size_t qlen, uint16_t qtype, uint16_t qclass)
{
	wire_wr_header(w, id, flags);
	wire_wr_bytes(w, qname, qlen);
	uint8_t tc[4] = { (uint8_t)(qtype >> 8), (uint8_t)qtype, (uint8_t)(qclass >> 8),
			  (uint8_t)qclass };
	wire_wr_bytes(w, tc, sizeof(tc));
	wire_wr_set_count(w, 0, 1);
}

int core_write_response(uint8_t *buf, size_t cap, uint16_t id, uint16_t client_flags,
			const uint8_t *qname, uint16_t qtype, uint16_t qclass, uint16_t edns_size,
			bool dnssec_ok, const struct core_answer *a)
{
	bool edns = edns_size != 0;
	struct wire_wr w;
	uint16_t flags = WIRE_F_QR | WIRE_F_RA | (client_flags & (WIRE_F_RD | WIRE_F_CD)) |
			 (uint16_t)(a->rcode & 0xf);
	/* RFC 6840 5.7, 5.8: AD only to a client that shows it understands it. */
	if (a->secure && (dnssec_ok || (client_flags & WIRE_F_AD)))
		flags |= WIRE_F_AD;
	/* RFC 8914: option 15, the info code, no text. */
	uint8_t ede[6] = { 0, 15, 0, 2, 0, 0 };
	/* A validation failure's code, else RFC 8914's 3, "Stale Answer", for
	 * expired data (serve-expired). */
	uint16_t code = a->ede != CORE_EDE_NONE ? a->ede : a->stale ? CORE_EDE_STALE : CORE_EDE_NONE;
	ede[4] = (uint8_t)(code >> 8);
	ede[5] = (uint8_t)code;
	bool has_ede = edns && code != CORE_EDE_NONE;
	size_t opt_len = edns ? 11 + (has_ede ? sizeof(ede) : 0) : 0;
	if (cap < opt_len)
		return PC_ESPACE;
	size_t qlen = wire_name_len(qname);

	/* Leave room for the OPT so that a full answer still carries it. */
	wire_wr_init(&w, buf, cap - opt_len);
	write_head(&w, id, flags, qname, qlen, qtype, qclass);
	size_t n_an = write_records(&w, a->an, a->n_an, qname, qlen, dnssec_ok, qtype);
	size_t n_ns = write_records(&w, a->ns, a->n_ns, qname, qlen, dnssec_ok, qtype);
	if (w.overflow) {
		/* RFC 2181 §9: set TC rather than send a partial RRset. */
		wire_wr_init(&w, buf, cap - opt_len);
		write_head(&w, id, flags | WIRE_F_TC, qname, qlen, qtype, qclass);
		if (w.overflow)
			return PC_ESPACE;
	} else {
		wire_wr_set_count(&w, 1, (uint16_t)n_an);
		wire_wr_set_count(&w, 2, (uint16_t)n_ns);
	}
	w.cap = cap;
	if (edns) {
		wire_wr_opt(&w, edns_size, (uint8_t)(a->rcode >> 4), dnssec_ok,
			    has_ede ? ede : NULL, has_ede ? (uint16_t)sizeof(ede) : 0);
		wire_wr_set_count(&w, 3, 1);
	}
	return w.overflow ? PC_ESPACE : (int)w.len;
}
