/* nsec: NSEC and NSEC3 denial proofs (see nsec.h for the rules). */
#include "core/nsec.h"

#include <string.h>

#include "wire/wire.h"

#define HASH_MAX 32 /* NSEC3 hash bytes we accept in an owner label (SHA-1: 20) */
#define HCACHE 24   /* hashes remembered within one call */

/* ---- small name helpers ---------------------------------------------- */

/* Length of an uncompressed name inside buf[0..len), or 0 when it is not
 * one (pointer, label over 63, over 255 bytes, runs past the buffer). */
static size_t name_in_buf(const uint8_t *buf, size_t len)
{
	size_t i = 0;
	while (i < len) {
		uint8_t l = buf[i];
		if (l > 63)
			return 0;
		if (i + 1 + l > WIRE_NAME_MAX)
			return 0;
		if (l == 0)
			return i + 1;
		i += 1 + (size_t)l;
	}
	return 0;
}

/* Number of labels a and b share from the right (case-insensitive). */
static unsigned common_labels(const uint8_t *a, const uint8_t *b)
{
	unsigned la = wire_name_labels(a), lb = wire_name_labels(b);
	unsigned m = la < lb ? la : lb;
	unsigned k = 0;
	while (k < m && wire_name_eq(wire_name_strip(a, la - k - 1), wire_name_strip(b, lb - k - 1)))
		k++;
	return k;
}

/* Is name strictly below anc? */
static bool below(const uint8_t *name, const uint8_t *anc)
{
	return wire_name_labels(name) > wire_name_labels(anc) && wire_name_in(name, anc);
}

/* "*." + name into out; false when too long. */
static bool make_wildcard(const uint8_t *name, uint8_t out[WIRE_NAME_MAX])
{
	size_t len = wire_name_len(name);
	if (len + 2 > WIRE_NAME_MAX)
		return false;
	out[0] = 1;
	out[1] = '*';
	memcpy(out + 2, name, len);
	return true;
}

/* Every window of a type bit map well formed (RFC 4034 4.1.2)? */
static bool bitmap_ok(const uint8_t *types, size_t len)
{
	size_t i = 0;
	int last = -1;
	while (i < len) {
		if (i + 2 > len)
			return false;
		uint8_t win = types[i], n = types[i + 1];
		if (n == 0 || n > 32 || (int)win <= last || i + 2 + n > len)
			return false;
		last = win;
		i += 2 + (size_t)n;
	}
	return true;
}

static bool has(const uint8_t *types, size_t len, uint16_t type)
{
	return dnssec_bitmap_has(types, len, type);
}

/* A delegation point's map (the parent's side of a cut)? */
static bool is_cut(const uint8_t *types, size_t len)
{
	return has(types, len, WIRE_T_NS) && !has(types, len, WIRE_T_SOA);
}

static void set(struct nsec_verdict *out, enum nsec_result r, enum nsec_why why)
{
	out->result = r;
	out->why = why;
	if (r == NSEC_BOGUS)
		out->ede = why == NSEC_WHY_BUDGET ? NSEC_EDE_DNSSEC_BOGUS : NSEC_EDE_NSEC_MISSING;
	else if (why == NSEC_WHY_ITERATIONS)
		out->ede = NSEC_EDE_UNSUPPORTED_NSEC3_ITERATIONS;
	else
		out->ede = NSEC_EDE_NONE;
}

/* ---- NSEC ------------------------------------------------------------ */

struct nrec {
	const uint8_t *owner, *next;
	const uint8_t *types;
	size_t types_len;
};

static bool nsec_parse(const uint8_t *rdata, size_t rdlen, struct nrec *o)
{
	size_t nl = name_in_buf(rdata, rdlen);
	if (nl == 0 || !bitmap_ok(rdata + nl, rdlen - nl))
		return false;
	o->next = rdata;
	o->types = rdata + nl;
	o->types_len = rdlen - nl;
	return true;
}

const uint8_t *nsec_bitmap(const uint8_t *rdata, size_t rdlen, size_t *len)
{
	struct nrec r;
	if (!nsec_parse(rdata, rdlen, &r))
		return NULL;
	*len = r.types_len;
	return r.types;
}

static bool covers(const struct nrec *r, const uint8_t *name)
{
	bool after_owner = wire_name_canon_cmp(r->owner, name) < 0;
	bool before_next = wire_name_canon_cmp(name, r->next) < 0;
	if (wire_name_canon_cmp(r->owner, r->next) < 0)
		return after_owner && before_next;
	/* the last NSEC of the zone: next wraps around to the apex */
	return after_owner || before_next;
}

bool nsec_covers(const uint8_t *owner, const uint8_t *rdata, size_t rdlen, const uint8_t *name)
{
	struct nrec r;
	if (!nsec_parse(rdata, rdlen, &r))
		return false;
	r.owner = owner;
	return covers(&r, name);
}

/* Can this record speak about name (at or below its owner)? Not when its
 * owner is a proper ancestor of name and a cut or a DNAME: what lies below
 * belongs to another zone or is redirected. */
static bool may_speak_below(const struct nrec *r, const uint8_t *name)
{
	if (!below(name, r->owner))
		return true;
	return !is_cut(r->types, r->types_len) && !has(r->types, r->types_len, WIRE_T_DNAME);
}

struct nset {
	struct nrec rec[64];
	size_t n;
};

static void nsec_collect(const struct nsec_in *in, struct nset *s)
{
	s->n = 0;
	for (size_t i = 0; i < in->n && s->n < sizeof s->rec / sizeof s->rec[0]; i++) {
		const struct nsec_rr *rr = &in->rr[i];
		struct nrec r;
		if (rr->type != WIRE_T_NSEC || rr->owner == NULL || rr->rdata == NULL ||
		    !wire_name_in(rr->owner, in->zone) || !nsec_parse(rr->rdata, rr->rdlen, &r))
			continue;
		r.owner = rr->owner;
		s->rec[s->n++] = r;
	}
}

static const struct nrec *nsec_match(const struct nset *s, const uint8_t *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (wire_name_eq(s->rec[i].owner, name))
			return &s->rec[i];
	return NULL;
}

/* A record that covers name and may speak about it. */
static const struct nrec *nsec_cover(const struct nset *s, const uint8_t *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (covers(&s->rec[i], name) && may_speak_below(&s->rec[i], name))
			return &s->rec[i];
	return NULL;
}

/* Is name an empty non-terminal by some record (covered, next below it)? */
static const struct nrec *nsec_ent(const struct nset *s, const uint8_t *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (covers(&s->rec[i], name) && below(s->rec[i].next, name) &&
		    may_speak_below(&s->rec[i], name))
			return &s->rec[i];
	return NULL;
}

/* The closest encloser a covering record implies for name: the longest
 * ancestor name shares with its owner or its next, never above the zone. */
static const uint8_t *nsec_ce(const struct nrec *r, const uint8_t *name, const uint8_t *zone)
{
	unsigned a = common_labels(name, r->owner), b = common_labels(name, r->next);
	unsigned k = a > b ? a : b, zl = wire_name_labels(zone), nl = wire_name_labels(name);
	if (k < zl)
		k = zl;
	if (k > nl)
		k = nl;
	return wire_name_strip(name, nl - k);
}

/* qname does not exist: covered, not an ENT; *ce receives the closest
 * encloser. NSEC_WHY_OK or the reason it fails. */
static enum nsec_why nsec_no_name(const struct nset *s, const uint8_t *qname, const uint8_t *zone,
				  const uint8_t **ce)
{
	if (nsec_match(s, qname) || nsec_ent(s, qname))
		return NSEC_WHY_EXISTS;
	const struct nrec *c = nsec_cover(s, qname);
	if (c == NULL) {
		for (size_t i = 0; i < s->n; i++)
			if (covers(&s->rec[i], qname))
				return NSEC_WHY_WRONG_SIDE;
		return NSEC_WHY_MISSING;
	}
	*ce = nsec_ce(c, qname, zone);
	return NSEC_WHY_OK;
}

static void nsec_nxdomain(const struct nset *s, const uint8_t *zone, const uint8_t *qname,
			  struct nsec_verdict *out)
{
	const uint8_t *ce = NULL;
	uint8_t wc[WIRE_NAME_MAX];
	enum nsec_why why = nsec_no_name(s, qname, zone, &ce);
	if (why != NSEC_WHY_OK) {
		set(out, NSEC_BOGUS, why);
		return;
	}
	if (!make_wildcard(ce, wc) || nsec_match(s, wc) || nsec_cover(s, wc) == NULL) {
		set(out, NSEC_BOGUS, NSEC_WHY_NO_WILDCARD_PROOF);
		return;
	}
	set(out, NSEC_PROVEN, NSEC_WHY_OK);
}

/* The matching record's map lacks qtype (and CNAME), from the right side of
 * a cut. */
static enum nsec_why map_denies(const uint8_t *types, size_t len, const uint8_t *name,
				uint16_t qtype)
{
	if (has(types, len, qtype) || has(types, len, WIRE_T_CNAME))
		return NSEC_WHY_EXISTS;
	if (qtype == WIRE_T_DS) {
		/* the child's apex record cannot deny the parent's DS */
		if (has(types, len, WIRE_T_SOA) && name[0] != 0)
			return NSEC_WHY_WRONG_SIDE;
	} else if (is_cut(types, len)) {
		return NSEC_WHY_WRONG_SIDE;
	}
	return NSEC_WHY_OK;
}

static void nsec_wc_nodata(const struct nset *s, const uint8_t *zone, const uint8_t *qname,
			   uint16_t qtype, struct nsec_verdict *out)
{
	const uint8_t *ce = NULL;
	uint8_t wc[WIRE_NAME_MAX];
	enum nsec_why why = nsec_no_name(s, qname, zone, &ce);
	if (why != NSEC_WHY_OK) {
		set(out, NSEC_BOGUS, why);
		return;
	}
	const struct nrec *w = make_wildcard(ce, wc) ? nsec_match(s, wc) : NULL;
	if (w == NULL) {
		set(out, NSEC_BOGUS, NSEC_WHY_NO_WILDCARD_PROOF);
		return;
	}
	why = map_denies(w->types, w->types_len, wc, qtype);
	if (why != NSEC_WHY_OK) {
		set(out, NSEC_BOGUS, why);
		return;
	}
	set(out, NSEC_PROVEN, NSEC_WHY_OK);
	out->nodata = NSEC_NODATA_WILDCARD;
}

static void nsec_nodata(const struct nset *s, const uint8_t *zone, const uint8_t *qname,
			uint16_t qtype, struct nsec_verdict *out)
{
	const struct nrec *m = nsec_match(s, qname);
	if (m != NULL) {
		enum nsec_why why = map_denies(m->types, m->types_len, qname, qtype);
		if (why != NSEC_WHY_OK) {
			set(out, NSEC_BOGUS, why);
			return;
		}
		set(out, NSEC_PROVEN, NSEC_WHY_OK);
		out->nodata = NSEC_NODATA_MATCH;
		return;
	}
	if (nsec_ent(s, qname) != NULL) {
		set(out, NSEC_PROVEN, NSEC_WHY_OK);
		out->nodata = NSEC_NODATA_ENT;
		return;
	}
	nsec_wc_nodata(s, zone, qname, qtype, out);
}

static void nsec_wc_answer(const struct nset *s, const uint8_t *zone, const uint8_t *qname,
			   unsigned labels, struct nsec_verdict *out)
{
	const uint8_t *ce = NULL;
	enum nsec_why why = nsec_no_name(s, qname, zone, &ce);
	if (why != NSEC_WHY_OK) {
		set(out, NSEC_BOGUS, why);
		return;
	}
	if (wire_name_labels(ce) != labels) {
		set(out, NSEC_BOGUS, NSEC_WHY_EXISTS);
		return;
	}
	set(out, NSEC_PROVEN, NSEC_WHY_OK);
}

static void nsec_no_ds(const struct nset *s, const uint8_t *name, struct nsec_verdict *out)
{
	const struct nrec *m = nsec_match(s, name);
	if (m == NULL) {
		set(out, NSEC_BOGUS, NSEC_WHY_MISSING);
		return;
	}
	if (!has(m->types, m->types_len, WIRE_T_NS) || has(m->types, m->types_len, WIRE_T_SOA)) {
		set(out, NSEC_BOGUS, NSEC_WHY_WRONG_SIDE);
		return;
	}
	if (has(m->types, m->types_len, WIRE_T_DS) || has(m->types, m->types_len, WIRE_T_CNAME)) {
		set(out, NSEC_BOGUS, NSEC_WHY_EXISTS);
		return;
	}
	set(out, NSEC_PROVEN, NSEC_WHY_OK);
}

/* ---- NSEC3 ----------------------------------------------------------- */

struct h3rec {
	const uint8_t *owner;
	uint8_t hash[HASH_MAX];
	size_t hash_len;
	struct dnssec_nsec3 p;
	unsigned set;
};

struct h3set {
	uint8_t alg;
	uint16_t iterations;
	const uint8_t *salt;
	size_t salt_len;
};

struct h3 {
	const struct nsec_in *in;
	struct nsec_verdict *out;
	struct h3rec rec[NSEC_MAX_RECORDS];
	size_t n;
	struct h3set set[NSEC_MAX_PARAMS];
	size_t nset;
	bool unknown_alg, too_many_iter;
	struct {
		uint8_t name[WIRE_NAME_MAX];
		unsigned set;
		uint8_t hash[20];
	} cache[HCACHE];
	size_t ncache;
	bool budget_out;
};

static bool h3_set_eq(const struct h3set *a, const struct dnssec_nsec3 *p)
{
	return a->alg == p->hash_alg && a->iterations == p->iterations &&
	       a->salt_len == p->salt_len && memcmp(a->salt, p->salt, p->salt_len) == 0;
}

static void h3_collect(struct h3 *c)
{
	const struct nsec_in *in = c->in;
	unsigned zl = wire_name_labels(in->zone);
	size_t seen = 0;
	c->n = c->nset = c->ncache = 0;
	c->unknown_alg = c->too_many_iter = c->budget_out = false;
	for (size_t i = 0; i < in->n && seen < NSEC_MAX_RECORDS; i++) {
		const struct nsec_rr *rr = &in->rr[i];
		if (rr->type != WIRE_T_NSEC3 || rr->owner == NULL || rr->rdata == NULL ||
		    wire_name_labels(rr->owner) != zl + 1 || !wire_name_in(rr->owner, in->zone))
			continue;
		seen++;
		struct h3rec r;
		int hl = dnssec_b32hex_decode(rr->owner + 1, rr->owner[0], r.hash, sizeof r.hash);
		if (hl <= 0 || dnssec_nsec3_parse(rr->rdata, rr->rdlen, &r.p) != DNSSEC_OK ||
		    (r.p.flags & ~DNSSEC_NSEC3_OPTOUT) != 0 || !bitmap_ok(r.p.types, r.p.types_len))
			continue;
		if (r.p.hash_alg != 1) {
			c->unknown_alg = true;
			continue;
		}
		if ((size_t)hl != 20 || r.p.next_len != 20)
			continue;
		if (r.p.iterations > DNSSEC_NSEC3_MAX_ITERATIONS) {
			c->too_many_iter = true;
			continue;
		}
		r.hash_len = (size_t)hl;
		size_t k = 0;
		while (k < c->nset && !h3_set_eq(&c->set[k], &r.p))
			k++;
		if (k == c->nset) {
			if (c->nset == NSEC_MAX_PARAMS)
				continue;
			c->set[k] = (struct h3set){ r.p.hash_alg, r.p.iterations, r.p.salt, r.p.salt_len };
			c->nset++;
		}
		r.set = (unsigned)k;
		r.owner = rr->owner;
		c->rec[c->n++] = r;
	}
}

/* The hash of name under set s; false when the budget is spent (or the
 * name cannot be hashed). */
static bool h3_hash(struct h3 *c, unsigned s, const uint8_t *name, uint8_t out[20])
{
	for (size_t i = 0; i < c->ncache; i++)
		if (c->cache[i].set == s && wire_name_eq(c->cache[i].name, name)) {
			memcpy(out, c->cache[i].hash, 20);
			return true;
		}
	if (*c->in->hash_budget == 0) {
		c->budget_out = true;
		return false;
	}
	(*c->in->hash_budget)--;
	c->out->hashes++;
	const struct h3set *p = &c->set[s];
	if (dnssec_nsec3_hash(name, p->alg, p->iterations, p->salt, p->salt_len,
			      DNSSEC_NSEC3_MAX_ITERATIONS, out) != DNSSEC_OK)
		return false;
	if (c->ncache < HCACHE) {
		wire_name_copy(c->cache[c->ncache].name, name);
		c->cache[c->ncache].set = s;
		memcpy(c->cache[c->ncache].hash, out, 20);
		c->ncache++;
	}
	return true;
}

static const struct h3rec *h3_match(const struct h3 *c, unsigned s, const uint8_t h[20])
{
	for (size_t i = 0; i < c->n; i++)
		if (c->rec[i].set == s && memcmp(c->rec[i].hash, h, 20) == 0)
			return &c->rec[i];
	return NULL;
}

/* owner < h < next in raw hash order, or the last record's wrap-around. */
static const struct h3rec *h3_cover(const struct h3 *c, unsigned s, const uint8_t h[20])
{
	for (size_t i = 0; i < c->n; i++) {
		const struct h3rec *r = &c->rec[i];
		if (r->set != s)
			continue;
		int co = memcmp(r->hash, h, 20), cn = memcmp(h, r->p.next, 20);
		bool wraps = memcmp(r->p.next, r->hash, 20) <= 0;
		if (wraps ? (co < 0 || cn < 0) : (co < 0 && cn < 0))
			return r;
	}
	return NULL;
}

/* Result of a closest encloser search. */
struct ce_proof {
	const uint8_t *ce;           /* the closest encloser (inside qname) */
	const uint8_t *nc;           /* next closer, NULL when ce == qname */
	const struct h3rec *ce_rec;  /* the record matching ce */
	const struct h3rec *nc_rec;  /* the record covering nc */
};

/* RFC 5155 8.3: walk up from qname to the zone, hashing each name, until one
 * matches; its child on the way is the next closer, which must be covered.
 * NSEC_WHY_OK (p->nc may be NULL: qname itself matched), or why not. */
static enum nsec_why h3_closest(struct h3 *c, unsigned s, const uint8_t *qname, struct ce_proof *p)
{
	unsigned nl = wire_name_labels(qname), zl = wire_name_labels(c->in->zone);
	uint8_t h[20];
	memset(p, 0, sizeof *p);
	for (unsigned k = 0; k + zl <= nl; k++) {
		const uint8_t *name = wire_name_strip(qname, k);
		if (!h3_hash(c, s, name, h))
			return c->budget_out ? NSEC_WHY_BUDGET : NSEC_WHY_MALFORMED;
		const struct h3rec *m = h3_match(c, s, h);
		if (m == NULL)
			continue;
		p->ce = name;
		p->ce_rec = m;
		if (k == 0)
			return NSEC_WHY_OK;
		/* a cut or a DNAME above qname: the records below are not this zone's */
		if (is_cut(m->p.types, m->p.types_len) ||
		    has(m->p.types, m->p.types_len, WIRE_T_DNAME))
			return NSEC_WHY_WRONG_SIDE;
		p->nc = wire_name_strip(qname, k - 1);
		if (!h3_hash(c, s, p->nc, h))
			return c->budget_out ? NSEC_WHY_BUDGET : NSEC_WHY_MALFORMED;
		p->nc_rec = h3_cover(c, s, h);
		return p->nc_rec ? NSEC_WHY_OK : NSEC_WHY_MISSING;
	}
	return NSEC_WHY_NO_ENCLOSER;
}

/* The record matching or covering "*." + ce: 1 match (*rec set), 0 covered,
 * -1 neither, -2 budget. */
static int h3_wildcard(struct h3 *c, unsigned s, const uint8_t *ce, const struct h3rec **rec)
{
	uint8_t wc[WIRE_NAME_MAX], h[20];
	if (!make_wildcard(ce, wc))
		return -1;
	if (!h3_hash(c, s, wc, h))
		return c->budget_out ? -2 : -1;
	if ((*rec = h3_match(c, s, h)) != NULL)
		return 1;
	return (*rec = h3_cover(c, s, h)) != NULL ? 0 : -1;
}

/* RFC 5155 8.7: closest encloser proof, and the wildcard at the closest
 * encloser matched without qtype. */
static void h3_wc_nodata(struct h3 *c, unsigned s, const uint8_t *qname, uint16_t qtype,
			 struct nsec_verdict *out)
{
	struct ce_proof p;
	const struct h3rec *w = NULL;
	enum nsec_why why = h3_closest(c, s, qname, &p);
	if (why == NSEC_WHY_OK && p.nc == NULL)
		why = NSEC_WHY_EXISTS;
	if (why != NSEC_WHY_OK) {
		set(out, NSEC_BOGUS, why);
		return;
	}
	bool optout = (p.nc_rec->p.flags & DNSSEC_NSEC3_OPTOUT) != 0;
	int wr = h3_wildcard(c, s, p.ce, &w);
	if (wr == -2) {
		set(out, NSEC_BOGUS, NSEC_WHY_BUDGET);
		return;
	}
	if (wr == 1) {
		why = map_denies(w->p.types, w->p.types_len, qname, qtype);
		if (why != NSEC_WHY_OK) {
			set(out, NSEC_BOGUS, why);
			return;
		}
	} else if (!optout) {
		set(out, NSEC_BOGUS, NSEC_WHY_NO_WILDCARD_PROOF);
		return;
	}
	/* RFC 5155 9.2: an opt-out span over the next closer name means the
	 * name may sit in an unsigned delegation: the answer is insecure,
	 * with or without the wildcard's record. */
	if (optout) {
		set(out, NSEC_INSECURE, NSEC_WHY_OPTOUT);
		out->nodata = NSEC_NODATA_OPTOUT;
		return;
	}
	set(out, NSEC_PROVEN, NSEC_WHY_OK);
	out->nodata = NSEC_NODATA_WILDCARD;
}

enum proof { P_NXDOMAIN, P_NODATA, P_WC_NODATA, P_WC_ANSWER, P_NO_DS };

/* One proof with one parameter set. */
static void h3_prove(struct h3 *c, unsigned s, enum proof kind, const uint8_t *qname,
		     uint16_t qtype, unsigned labels, struct nsec_verdict *out)
{
	struct ce_proof p;
	const struct h3rec *w = NULL;
	enum nsec_why why;
	int wr;
	uint8_t h[20];

	switch (kind) {
	case P_NXDOMAIN:
		why = h3_closest(c, s, qname, &p);
		if (why == NSEC_WHY_OK && p.nc == NULL)
			why = NSEC_WHY_EXISTS;
		if (why != NSEC_WHY_OK) {
			set(out, NSEC_BOGUS, why);
			return;
		}
		wr = h3_wildcard(c, s, p.ce, &w);
		if (wr != 0) {
			set(out, NSEC_BOGUS, wr == -2 ? NSEC_WHY_BUDGET : NSEC_WHY_NO_WILDCARD_PROOF);
			return;
		}
		if (p.nc_rec->p.flags & DNSSEC_NSEC3_OPTOUT) {
			set(out, NSEC_INSECURE, NSEC_WHY_OPTOUT);
			return;
		}
		set(out, NSEC_PROVEN, NSEC_WHY_OK);
		return;

	case P_NODATA:
	case P_NO_DS:
		if (!h3_hash(c, s, qname, h)) {
			set(out, NSEC_BOGUS, c->budget_out ? NSEC_WHY_BUDGET : NSEC_WHY_MALFORMED);
			return;
		}
		w = h3_match(c, s, h);
		if (w != NULL && kind == P_NO_DS) {
			const uint8_t *t = w->p.types;
			size_t tl = w->p.types_len;
			if (!has(t, tl, WIRE_T_NS) || has(t, tl, WIRE_T_SOA)) {
				set(out, NSEC_BOGUS, NSEC_WHY_WRONG_SIDE);
				return;
			}
			if (has(t, tl, WIRE_T_DS) || has(t, tl, WIRE_T_CNAME)) {
				set(out, NSEC_BOGUS, NSEC_WHY_EXISTS);
				return;
			}
			set(out, NSEC_PROVEN, NSEC_WHY_OK);
			return;
		}
		if (w != NULL) {
			why = map_denies(w->p.types, w->p.types_len, qname, qtype);
			if (why != NSEC_WHY_OK) {
				set(out, NSEC_BOGUS, why);
				return;
			}
			set(out, NSEC_PROVEN, NSEC_WHY_OK);
			out->nodata = w->p.types_len == 0 ? NSEC_NODATA_ENT : NSEC_NODATA_MATCH;
			return;
		}
		if (kind == P_NO_DS || qtype == WIRE_T_DS) {
			/* RFC 5155 8.6 / 8.9: no match, the next closer in an opt-out span */
			why = h3_closest(c, s, qname, &p);
			if (why == NSEC_WHY_OK && p.nc == NULL)
				why = NSEC_WHY_MISSING;
			if (why != NSEC_WHY_OK) {
				set(out, NSEC_BOGUS, why);
				return;
			}
			if (!(p.nc_rec->p.flags & DNSSEC_NSEC3_OPTOUT)) {
				set(out, NSEC_BOGUS, NSEC_WHY_MISSING);
				return;
			}
			set(out, NSEC_INSECURE, NSEC_WHY_OPTOUT);
			out->nodata = NSEC_NODATA_OPTOUT;
			return;
		}
		h3_wc_nodata(c, s, qname, qtype, out);
		return;

	case P_WC_NODATA:
		h3_wc_nodata(c, s, qname, qtype, out);
		return;

	case P_WC_ANSWER: {
		unsigned nl = wire_name_labels(qname);
		const uint8_t *nc = wire_name_strip(qname, nl - labels - 1);
		if (!h3_hash(c, s, nc, h)) {
			set(out, NSEC_BOGUS, c->budget_out ? NSEC_WHY_BUDGET : NSEC_WHY_MALFORMED);
			return;
		}
		if (h3_match(c, s, h) != NULL) {
			set(out, NSEC_BOGUS, NSEC_WHY_EXISTS);
			return;
		}
		w = h3_cover(c, s, h);
		if (w == NULL) {
			set(out, NSEC_BOGUS, NSEC_WHY_MISSING);
			return;
		}
		if (w->p.flags & DNSSEC_NSEC3_OPTOUT) {
			set(out, NSEC_INSECURE, NSEC_WHY_OPTOUT);
			return;
		}
		set(out, NSEC_PROVEN, NSEC_WHY_OK);
		return;
	}
	}
}

static void h3_run(const struct nsec_in *in, enum proof kind, const uint8_t *qname, uint16_t qtype,
		   unsigned labels, struct nsec_verdict *out)
{
	static struct h3 zero;
	struct h3 c = zero;
	c.in = in;
	c.out = out;
	h3_collect(&c);
	out->nsec3 = true;
	/* RFC 9276 3.2: a zone using more iterations than we compute is
	 * insecure, whatever else the reply holds. */
	if (c.too_many_iter) {
		set(out, NSEC_INSECURE, NSEC_WHY_ITERATIONS);
		return;
	}
	if (c.n == 0) {
		set(out, c.unknown_alg ? NSEC_INSECURE : NSEC_BOGUS,
		    c.unknown_alg ? NSEC_WHY_HASH_ALG : NSEC_WHY_MISSING);
		return;
	}
	for (unsigned s = 0; s < c.nset; s++) {
		out->nodata = NSEC_NODATA_NONE;
		h3_prove(&c, s, kind, qname, qtype, labels, out);
		if (out->result != NSEC_BOGUS || out->why == NSEC_WHY_BUDGET)
			return;
	}
}

/* ---- the proofs ------------------------------------------------------ */

static bool any_of(const struct nsec_in *in, uint16_t type)
{
	for (size_t i = 0; i < in->n; i++)
		if (in->rr[i].type == type && in->rr[i].owner && wire_name_in(in->rr[i].owner, in->zone))
			return true;
	return false;
}

static void run(const struct nsec_in *in, enum proof kind, const uint8_t *qname, uint16_t qtype,
		unsigned labels, struct nsec_verdict *out)
{
	memset(out, 0, sizeof *out);
	if (in == NULL || in->zone == NULL || qname == NULL || in->hash_budget == NULL ||
	    (in->n && in->rr == NULL)) {
		set(out, NSEC_BOGUS, NSEC_WHY_MISSING);
		return;
	}
	if (!wire_name_in(qname, in->zone)) {
		set(out, NSEC_BOGUS, NSEC_WHY_WRONG_SIDE);
		return;
	}
	if (kind == P_WC_ANSWER) {
		unsigned nl = wire_name_labels(qname);
		/* the wildcard itself queried: nothing was synthesised */
		if (labels + 1 == nl && qname[0] == 1 && qname[1] == '*') {
			set(out, NSEC_PROVEN, NSEC_WHY_OK);
			return;
		}
		if (labels >= nl || labels < wire_name_labels(in->zone)) {
			set(out, NSEC_BOGUS, NSEC_WHY_MALFORMED);
			return;
		}
	}
	if (any_of(in, WIRE_T_NSEC)) {
		static struct nset zero;
		struct nset s = zero;
		nsec_collect(in, &s);
		set(out, NSEC_BOGUS, NSEC_WHY_MISSING);
		switch (kind) {
		case P_NXDOMAIN: nsec_nxdomain(&s, in->zone, qname, out); break;
		case P_NODATA: nsec_nodata(&s, in->zone, qname, qtype, out); break;
		case P_WC_NODATA: nsec_wc_nodata(&s, in->zone, qname, qtype, out); break;
		case P_WC_ANSWER: nsec_wc_answer(&s, in->zone, qname, labels, out); break;
		case P_NO_DS: nsec_no_ds(&s, qname, out); break;
		}
		if (out->result == NSEC_PROVEN || !any_of(in, WIRE_T_NSEC3))
			return;
		unsigned hashes = out->hashes;
		memset(out, 0, sizeof *out);
		out->hashes = hashes;
	}
	if (!any_of(in, WIRE_T_NSEC3)) {
		set(out, NSEC_BOGUS, NSEC_WHY_MISSING);
		return;
	}
	h3_run(in, kind, qname, qtype, labels, out);
}

void nsec_prove_nxdomain(const struct nsec_in *in, const uint8_t *qname, struct nsec_verdict *out)
{
	run(in, P_NXDOMAIN, qname, 0, 0, out);
}

void nsec_prove_nodata(const struct nsec_in *in, const uint8_t *qname, uint16_t qtype,
		       struct nsec_verdict *out)
{
	run(in, P_NODATA, qname, qtype, 0, out);
}

void nsec_prove_wildcard_nodata(const struct nsec_in *in, const uint8_t *qname, uint16_t qtype,
				struct nsec_verdict *out)
{
	run(in, P_WC_NODATA, qname, qtype, 0, out);
}

void nsec_prove_wildcard_answer(const struct nsec_in *in, const uint8_t *qname,
				unsigned rrsig_labels, struct nsec_verdict *out)
{
	run(in, P_WC_ANSWER, qname, 0, rrsig_labels, out);
}

void nsec_prove_no_ds(const struct nsec_in *in, const uint8_t *delegation, struct nsec_verdict *out)
{
	run(in, P_NO_DS, delegation, WIRE_T_DS, 0, out);
}

const char *nsec_result_text(enum nsec_result r)
{
	switch (r) {
	case NSEC_PROVEN: return "proven";
	case NSEC_INSECURE: return "insecure";
	case NSEC_BOGUS: return "bogus";
	}
	return "?";
}

const char *nsec_why_text(enum nsec_why w)
{
	switch (w) {
	case NSEC_WHY_OK: return "proven";
	case NSEC_WHY_OPTOUT: return "NSEC3 opt-out covers the name";
	case NSEC_WHY_ITERATIONS: return "NSEC3 iterations above the limit";
	case NSEC_WHY_HASH_ALG: return "unknown NSEC3 hash algorithm";
	case NSEC_WHY_MISSING: return "no NSEC/NSEC3 covers or matches the name";
	case NSEC_WHY_NO_WILDCARD_PROOF: return "the wildcard is not proven absent (or present)";
	case NSEC_WHY_NO_ENCLOSER: return "no NSEC3 closest encloser";
	case NSEC_WHY_EXISTS: return "a record shows the name or type exists";
	case NSEC_WHY_WRONG_SIDE: return "an NSEC/NSEC3 used across a zone cut";
	case NSEC_WHY_BUDGET: return "NSEC3 hash budget spent";
	case NSEC_WHY_MALFORMED: return "malformed NSEC/NSEC3";
	}
	return "?";
}
