/* The iterator: one client question resolved by a stack of frames.
 *
 * Frame 0 answers the client's question (and collects the answer records);
 * a frame above it resolves the address of a name server that a lower frame
 * needs and found no address for. Each frame runs START (cache, then find
 * the closest zone cut) and SEND (pick a server, send, read its reply). Only
 * one upstream query is outstanding per request, which keeps the machine
 * simple and its behaviour easy to replay in tests. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/dns64.h"
#include "core/hints.h"
#include "core/internal.h"
#include "core/localzone.h"
#include "core/synth.h"
#include "core/val.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/freelist.h"
#include "util/sockaddr.h"

#define MAX_NS 16
#define MAX_TRIED 32
#define MAX_CAND 64
#define MAX_REFERRALS 16
#define MAX_SET 256 /* records of one RRset cached */
#define TRIES_PER_ADDR 2

enum frame_state { F_START, F_SEND };
enum zone_mode { Z_ITER, Z_FORWARD };

struct ns_entry {
	uint8_t name[WIRE_NAME_MAX];
	bool failed;      /* its address could not be found */
	bool asked_a, asked_aaaa;
};

struct tried {
	struct sockaddr_storage addr;
	uint8_t tries;
	bool bad;
};

struct frame {
	enum frame_state state;
	uint8_t qname[WIRE_NAME_MAX];
	uint16_t qtype;
	uint8_t zone[WIRE_NAME_MAX];
	enum zone_mode mode;
	const struct core_zone *explicit_zone; /* forward or stub addresses */
	size_t n_ns;
	size_t n_tried;
	unsigned qmin_extra; /* labels below the zone in a minimised query */
	bool qmin_off;
	bool retry_tcp;
	unsigned referrals;
	/* the query in flight */
	struct sockaddr_storage last_addr;
	socklen_t last_len;
	bool last_tcp;
	uint32_t last_timeout;
	uint8_t sent_name[WIRE_NAME_MAX];
	uint16_t sent_type;
	int child_ns; /* index of the ns entry a child frame is resolving */
	/* Last and not cleared by frame_init (8 KB of a 9 KB frame): an entry
	 * is cleared when it is added. */
	struct ns_entry ns[MAX_NS];
	struct tried tried[MAX_TRIED];
};

struct core_req {
	const struct core_env *env;
	struct arena arena;
	uint16_t qclass;
	int depth; /* index of the top frame */
	unsigned sends, cnames;
	bool done;
	bool refresh; /* frame 0 skips the cache (core_req_set_refresh) */
	bool oom; /* a record of the answer could not be stored: SERVFAIL */
	bool cd;       /* the client set CD: no validation */
	bool need_val; /* frame 0 has its answer; the validator judges it next */
	struct val_req *val; /* the validator's state, made when first needed */
	/* DNS64 (core/dns64.h): the AAAA question is answered (D64_AAAA), then
	 * perhaps the A question for synthesis (D64_A, the AAAA answer kept
	 * aside with the cap on the new records' TTLs). */
	enum { D64_OFF, D64_AAAA, D64_A } dns64;
	uint32_t dns64_cap;
	struct core_answer *dns64_aaaa;
	uint8_t qname[WIRE_NAME_MAX]; /* the client's question (frame 0 follows CNAMEs) */
	uint16_t qtype;
	/* What a request in flight costs is what a flood of misses costs, so
	 * the big parts are made when first needed, on the arena: the answer
	 * (16 KB) when its first record comes or the request ends, and the
	 * frames above frame 0 (9 KB each) when a name server's address must
	 * be looked up. A request waiting for its first reply is about 10 KB. */
	struct core_answer *ans;
	unsigned rcode;   /* the answer's, until ans exists */
	struct frame *frames[CORE_MAX_DEPTH];
	struct frame top; /* frames[0] */
};

/* ---- small helpers ---------------------------------------------------- */

static bool is_loopback(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)a)->sin6_addr);
}

static struct tried *tried_find(struct frame *f, const struct sockaddr_storage *a, bool create)
{
	for (size_t i = 0; i < f->n_tried; i++)
		if (sockaddr_equal(&f->tried[i].addr, a))
			return &f->tried[i];
	if (!create || f->n_tried == MAX_TRIED)
		return NULL;
	struct tried *t = &f->tried[f->n_tried++];
	memset(t, 0, sizeof(*t));
	t->addr = *a;
	return t;
}

static uint32_t clamp_ttl(const struct core_env *env, uint32_t ttl)
{
	if (ttl < env->opts->cache_min_ttl)
		ttl = env->opts->cache_min_ttl;
	if (ttl > env->opts->cache_max_ttl)
		ttl = env->opts->cache_max_ttl;
	return ttl;
}

/* The request's answer, made on first use; NULL when out of memory. */
static struct core_answer *ans_get(struct core_req *req)
{
	if (req->ans == NULL) {
		req->ans = arena_alloc(&req->arena, sizeof(*req->ans));
		if (req->ans == NULL)
			return NULL;
		req->ans->rcode = req->rcode;
		req->ans->n_an = req->ans->n_ns = 0;
		req->ans->stale = req->ans->prefetch = false;
		req->ans->fresh_ms = UINT64_MAX;
		req->ans->secure = false;
		req->ans->ede = CORE_EDE_NONE;
	}
	return req->ans;
}

/* Copy a record into the request's answer (frame 0 only). When memory runs
 * out the request fails (SERVFAIL, see finish): an answer missing a record
 * it should hold would be a wrong answer, not a shorter one. */
static void answer_add(struct core_req *req, bool authority, const uint8_t *owner, uint16_t type,
		       uint16_t rclass, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	struct core_answer *a = ans_get(req);
	if (a == NULL) {
		req->oom = true;
		return;
	}
	size_t *n = authority ? &a->n_ns : &a->n_an;
	size_t cap = authority ? sizeof(a->ns) / sizeof(a->ns[0]) : CORE_MAX_ANSWER;
	if (*n == cap)
		return;
	/* A record already in the answer (a repeated CNAME, a chain that came
	 * back through the same link) is given once. */
	const struct core_rr *have = authority ? a->ns : a->an;
	for (size_t i = 0; i < *n; i++)
		if (have[i].type == type && have[i].rclass == rclass && have[i].rdlen == rdlen &&
		    wire_name_eq(have[i].owner, owner) && memcmp(have[i].rdata, rdata, rdlen) == 0)
			return;
	struct core_rr *rr = authority ? &a->ns[*n] : &a->an[*n];
	rr->owner = arena_dup(&req->arena, owner, wire_name_len(owner));
	rr->rdata = rdlen ? arena_dup(&req->arena, rdata, rdlen) : (const uint8_t *)"";
	if (rr->owner == NULL || rr->rdata == NULL) {
		req->oom = true;
		return;
	}
	rr->type = type;
	rr->rclass = rclass;
	rr->ttl = ttl;
	rr->rdlen = rdlen;
	(*n)++;
}

/* ---- frames ------------------------------------------------------------ */

static void frame_init(struct frame *f, const uint8_t *qname, uint16_t qtype)
{
	memset(f, 0, offsetof(struct frame, ns));
	f->state = F_START;
	wire_name_copy(f->qname, qname);
	wire_name_lower(f->qname);
	f->qtype = qtype;
	f->child_ns = -1;
}

static void finish(struct core_req *req, unsigned rcode)
{
	if (req->depth == 0) {
		req->done = true;
		if (req->oom)
			rcode = WIRE_RC_SERVFAIL; /* never a silently shortened answer */
		req->rcode = rcode;
		struct core_answer *a = ans_get(req);
		if (a == NULL)
			return; /* core_req_answer says SERVFAIL */
		a->rcode = rcode;
		if (rcode == WIRE_RC_SERVFAIL)
			a->n_an = a->n_ns = 0; /* no partial chains */
		else if (req->env->opts->validate && !req->cd) {
			/* The validator judges the answer before it goes out; it
			 * may need DS and DNSKEY sets first (frames above 0). */
			req->done = false;
			req->need_val = true;
		}
		return;
	}
	req->depth--;
	struct frame *parent = req->frames[req->depth];
	if (parent->child_ns >= 0 && rcode != WIRE_RC_NOERROR)
		parent->ns[parent->child_ns].asked_a = parent->ns[parent->child_ns].asked_aaaa = true;
	parent->child_ns = -1;
}

static void fail(struct core_req *req)
{
	/* A failure anywhere above frame 0 only fails that name server. */
	finish(req, WIRE_RC_SERVFAIL);
}

/* RFC 8198: on a miss for the client's own question (no CNAME followed
 * yet), validation on and no CD, a negative answer the NSEC index proves
 * (cache/aggr.h, fed by the validator with secure records only) ends the
 * request without an upstream query. The answer is secure as it stands:
 * every record in it was validated when it was learnt, and synth_answer
 * proves the denial again with core/nsec.h. */
static const struct core_zone *longest_zone(const struct core_zone *z, size_t n,
					    const uint8_t *name);

static bool start_from_aggr(struct core_req *req, struct frame *f, uint64_t now)
{
	const struct core_env *env = req->env;
	const struct core_opts *o = env->opts;
	if (env->aggr == NULL || f != req->frames[0] || req->cnames > 0 || req->cd ||
	    !o->validate || req->qclass != 1 /* IN */)
		return false;
	/* forward and stub zones answer for their names whatever a signed
	 * zone above them says (and may have been added since it said it) */
	if (longest_zone(o->forward, o->n_forward, f->qname) != NULL ||
	    longest_zone(o->stub, o->n_stub, f->qname) != NULL)
		return false;
	static _Thread_local struct core_answer tmp;
	static _Thread_local uint8_t buf[SYNTH_BUF];
	if (!synth_answer(env->aggr, f->qname, f->qtype, now, &tmp, buf, sizeof(buf)))
		return false;
	for (size_t i = 0; i < tmp.n_ns; i++)
		answer_add(req, true, tmp.ns[i].owner, tmp.ns[i].type, tmp.ns[i].rclass,
			   tmp.ns[i].ttl, tmp.ns[i].rdata, tmp.ns[i].rdlen);
	struct core_answer *a = ans_get(req);
	if (req->oom || a == NULL) {
		finish(req, WIRE_RC_SERVFAIL);
		return true;
	}
	req->done = true;
	req->rcode = a->rcode = tmp.rcode;
	a->secure = true;
	return true;
}

/* Run the cache for frame f: follows cached CNAMEs, returns true when the
 * frame is finished (answer or negative answer found). */
static bool start_from_cache(struct core_req *req, struct frame *f, uint64_t now)
{
	const struct core_env *env = req->env;
	bool top = f == req->frames[0];
	if (top && req->refresh)
		return false;
	for (;;) {
		struct core_cache_step st;
		int r = core_cache_step(env, f->qname, f->qtype, req->qclass, now, top, &st);
		if (r == CORE_STEP_MISS)
			return false;
		if (top) {
			for (size_t i = 0; i < st.n; i++)
				answer_add(req, st.authority, st.rr[i].owner, st.rr[i].type,
					   st.rr[i].rclass, st.rr[i].ttl, st.rr[i].rdata,
					   st.rr[i].rdlen);
			/* a wildcard answer's NSEC/NSEC3 proof (DNSSEC) */
			for (size_t i = 0; i < st.n_auth; i++)
				answer_add(req, true, st.auth[i].owner, st.auth[i].type,
					   st.auth[i].rclass, st.auth[i].ttl, st.auth[i].rdata,
					   st.auth[i].rdlen);
		}
		if (r == CORE_STEP_CNAME) {
			if (++req->cnames > CORE_MAX_CNAME) {
				finish(req, WIRE_RC_SERVFAIL);
				return true;
			}
			wire_name_copy(f->qname, st.next);
			continue;
		}
		finish(req, st.rcode);
		return true;
	}
}

static void set_ns_from_rdata(struct frame *f, const struct cache_entry *e)
{
	f->n_ns = 0;
	for (size_t i = 0; i < e->n_rdata && f->n_ns < MAX_NS; i++) {
		struct cache_rdata rd = cache_entry_rdata(e, i);
		if (rd.len == 0 || rd.len > WIRE_NAME_MAX || wire_name_len(rd.data) != rd.len)
			continue;
		memset(&f->ns[f->n_ns], 0, sizeof(f->ns[0]));
		wire_name_copy(f->ns[f->n_ns].name, rd.data);
		f->n_ns++;
	}
}

static void set_ns_from_hints(struct core_req *req, struct frame *f)
{
	const struct hints *h = req->env->hints;
	f->n_ns = 0;
	for (size_t i = 0; i < h->n && f->n_ns < MAX_NS; i++) {
		if (h->rr[i].type != WIRE_T_NS)
			continue;
		memset(&f->ns[f->n_ns], 0, sizeof(f->ns[0]));
		wire_name_copy(f->ns[f->n_ns].name, h->rr[i].rdata);
		f->n_ns++;
	}
}

static const struct core_zone *longest_zone(const struct core_zone *z, size_t n,
					      const uint8_t *qname)
{
	const struct core_zone *best = NULL;
	for (size_t i = 0; i < n; i++)
		if (wire_name_in(qname, z[i].name) &&
		    (best == NULL || wire_name_labels(z[i].name) > wire_name_labels(best->name)))
			best = &z[i];
	return best;
}

static void enter_zone(struct frame *f, const uint8_t *zone)
{
	wire_name_copy(f->zone, zone);
	f->n_tried = 0;
	f->qmin_extra = 0;
	f->retry_tcp = false;
}

/* Find the closest known zone cut above f->qname and its servers. */
static void find_zone(struct core_req *req, struct frame *f, uint64_t now)
{
	const struct core_opts *o = req->env->opts;
	f->explicit_zone = NULL;
	f->mode = Z_ITER;
	const struct core_zone *fwd = longest_zone(o->forward, o->n_forward, f->qname);
	if (fwd != NULL) {
		/* Everything inside a forward zone goes to its forwarders, whatever
		 * else the cache holds: no server can widen that boundary. */
		enter_zone(f, fwd->name);
		f->mode = Z_FORWARD;
		f->explicit_zone = fwd;
		f->n_ns = 0;
		return;
	}
	/* DS lives on the parent side of a zone cut (RFC 4035 3.1.4.1): the
	 * zone that answers "Z DS" is the one above Z, so the walk for a DS
	 * question starts at the parent name, whatever is known about Z. */
	const uint8_t *n = f->qname;
	if (f->qtype == WIRE_T_DS && n[0] != 0)
		n = wire_name_strip(n, 1);
	const struct core_zone *stub = longest_zone(o->stub, o->n_stub, n);
	for (;;) {
		if (stub != NULL && wire_name_eq(n, stub->name)) {
			enter_zone(f, n);
			f->explicit_zone = stub;
			f->n_ns = 0;
			return;
		}
		struct cache_entry e;
		if (cache_get(req->env->cache, n, WIRE_T_NS, req->qclass, now, &e) &&
		    e.kind == CACHE_RRSET && e.rank >= CACHE_RANK_REFERRAL) {
			enter_zone(f, n);
			set_ns_from_rdata(f, &e);
			if (f->n_ns > 0)
				return;
		}
		if (n[0] == 0)
			break;
		n = wire_name_strip(n, 1);
	}
	enter_zone(f, (const uint8_t *)"");
	set_ns_from_hints(req, f);
}

/* ---- choosing a server --------------------------------------------------- */

struct cand {
	struct sockaddr_storage addr;
	socklen_t len;
	uint32_t score;
};

static bool family_ok(const struct core_opts *o, int family)
{
	return family == AF_INET ? o->do_ip4 : o->do_ip6;
}

static void add_cand(struct core_req *req, struct frame *f, struct cand *c, size_t *n,
		     const struct sockaddr_storage *sa, socklen_t len)
{
	const struct core_opts *o = req->env->opts;
	if (*n == MAX_CAND || !family_ok(o, sa->ss_family))
		return;
	if (o->do_not_query_localhost && is_loopback(sa))
		return;
	struct tried *t = tried_find(f, sa, false);
	if (t != NULL && (t->bad || t->tries >= TRIES_PER_ADDR))
		return;
	uint32_t srtt = core_infra_srtt(req->env->infra, (const struct sockaddr *)sa);
	/* Unknown servers look fast so they get probed; a server that already
	 * timed out for this question goes to the back of the queue. */
	uint32_t score = srtt ? srtt : 1 + req->env->rand_uniform(50);
	if (t != NULL)
		score += 100000u * t->tries;
	c[*n].addr = *sa;
	c[*n].len = len;
	c[*n].score = score;
	(*n)++;
}

static void addr_from_rdata(uint16_t type, const uint8_t *rd, uint16_t len,
			    struct sockaddr_storage *sa, socklen_t *salen)
{
	memset(sa, 0, sizeof(*sa));
	if (type == WIRE_T_A && len == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;
		in->sin_family = AF_INET;
		in->sin_port = htons(53);
		memcpy(&in->sin_addr, rd, 4);
		*salen = sizeof(*in);
	} else if (type == WIRE_T_AAAA && len == 16) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(53);
		memcpy(&in6->sin6_addr, rd, 16);
		*salen = sizeof(*in6);
	} else {
		*salen = 0;
	}
}

/* Addresses of one name server, from the root hints (root zone only) and
 * the cache. Returns how many were found, usable or not. */
static size_t ns_candidates(struct core_req *req, struct frame *f, const uint8_t *name,
			    struct cand *c, size_t *n, uint64_t now)
{
	size_t found = 0;
	struct sockaddr_storage sa;
	socklen_t len;
	if (f->zone[0] == 0) {
		const struct hints *h = req->env->hints;
		for (size_t i = 0; i < h->n; i++) {
			if (h->rr[i].type == WIRE_T_NS || !wire_name_eq(h->rr[i].owner, name))
				continue;
			addr_from_rdata(h->rr[i].type, h->rr[i].rdata, h->rr[i].rdlen, &sa, &len);
			if (len) {
				found++;
				add_cand(req, f, c, n, &sa, len);
			}
		}
	}
	static const uint16_t types[2] = { WIRE_T_A, WIRE_T_AAAA };
	for (int t = 0; t < 2; t++) {
		struct cache_entry e;
		if (!cache_get(req->env->cache, name, types[t], req->qclass, now, &e) ||
		    e.kind != CACHE_RRSET)
			continue;
		for (size_t i = 0; i < e.n_rdata; i++) {
			struct cache_rdata rd = cache_entry_rdata(&e, i);
			addr_from_rdata(types[t], rd.data, rd.len, &sa, &len);
			if (len) {
				found++;
				add_cand(req, f, c, n, &sa, len);
			}
		}
	}
	return found;
}

/* Is some frame below the top already looking up this name? (cycle guard) */
static bool resolving_already(const struct core_req *req, const uint8_t *name)
{
	for (int i = 0; i <= req->depth; i++)
		if (wire_name_eq(req->frames[i]->qname, name))
			return true;
	return false;
}

/* Start a child frame for the address of ns entry i; false if it can't be. */
static bool push_child(struct core_req *req, struct frame *f, size_t i)
{
	const struct core_opts *o = req->env->opts;
	struct ns_entry *ns = &f->ns[i];
	uint16_t type;
	if (o->do_ip4 && !ns->asked_a) {
		type = WIRE_T_A;
		ns->asked_a = true;
	} else if (o->do_ip6 && !ns->asked_aaaa) {
		type = WIRE_T_AAAA;
		ns->asked_aaaa = true;
	} else {
		return false;
	}
	if (req->depth + 1 >= CORE_MAX_DEPTH || resolving_already(req, ns->name))
		return false;
	struct frame **child = &req->frames[req->depth + 1];
	if (*child == NULL && (*child = arena_alloc(&req->arena, sizeof(**child))) == NULL)
		return false; /* out of memory: as if the address could not be found */
	f->child_ns = (int)i;
	req->depth++;
	frame_init(*child, ns->name, type);
	return true;
}

enum pick { PICK_SENT, PICK_PUSHED, PICK_NONE };

static uint32_t timeout_for(const struct core_req *req, const struct sockaddr *sa, unsigned tries)
{
	uint32_t srtt = core_infra_srtt(req->env->infra, sa);
	uint32_t t = srtt ? srtt * 4 + 100 : req->env->opts->upstream_timeout;
	if (t < 150)
		t = 150;
	t <<= tries;
	return t > 3000 ? 3000 : t;
}

static void fill_send(struct core_req *req, struct frame *f, struct core_send *out)
{
	unsigned zl = wire_name_labels(f->zone), ql = wire_name_labels(f->qname);
	bool minimise = req->env->opts->qname_minimisation && f->mode == Z_ITER && !f->qmin_off &&
			zl + f->qmin_extra + 1 < ql;
	if (minimise) {
		/* RFC 9156: reveal one more label than the zone cut, ask for A */
		wire_name_copy(f->sent_name, wire_name_strip(f->qname, ql - zl - f->qmin_extra - 1));
		f->sent_type = WIRE_T_A;
	} else {
		wire_name_copy(f->sent_name, f->qname);
		f->sent_type = f->qtype;
	}
	out->addr = f->last_addr;
	out->addrlen = f->last_len;
	wire_name_copy(out->qname, f->sent_name);
	wire_name_copy(out->zone, f->zone);
	out->qtype = f->sent_type;
	out->qclass = req->qclass;
	out->rd = f->mode == Z_FORWARD;
	out->tcp = f->last_tcp;
	out->timeout_ms = f->last_timeout;
}

static enum pick pick_server(struct core_req *req, struct frame *f, uint64_t now,
			     struct core_send *out)
{
	struct cand c[MAX_CAND];
	size_t n = 0;

	if (f->retry_tcp && req->env->opts->do_tcp) {
		f->retry_tcp = false;
		f->last_tcp = true;
		f->last_timeout = timeout_for(req, (struct sockaddr *)&f->last_addr, 1);
		fill_send(req, f, out);
		return PICK_SENT;
	}
	f->retry_tcp = false;
	if (f->explicit_zone != NULL) {
		for (size_t i = 0; i < f->explicit_zone->n_addrs; i++)
			add_cand(req, f, c, &n, &f->explicit_zone->addrs[i].sa,
				 f->explicit_zone->addrs[i].len);
	}
	bool any_unresolved = false;
	for (size_t i = 0; i < f->n_ns; i++) {
		if (f->ns[i].failed)
			continue;
		if (ns_candidates(req, f, f->ns[i].name, c, &n, now) == 0)
			any_unresolved = true;
	}
	if (n == 0 && any_unresolved) {
		/* No usable address: look one up. A name server inside the zone it
		 * serves, without glue, can't be found through that zone. */
		for (size_t i = 0; i < f->n_ns; i++) {
			if (f->ns[i].failed)
				continue;
			if (wire_name_in(f->ns[i].name, f->zone) && f->zone[0] != 0) {
				f->ns[i].failed = true;
				continue;
			}
			size_t dummy = 0;
			struct cand tmp[1];
			if (ns_candidates(req, f, f->ns[i].name, tmp, &dummy, now) > 0)
				continue;
			if (push_child(req, f, i))
				return PICK_PUSHED;
			f->ns[i].failed = true;
		}
	}
	if (n == 0)
		return PICK_NONE;
	size_t best = 0;
	for (size_t i = 1; i < n; i++)
		if (c[i].score < c[best].score)
			best = i;
	struct tried *t = tried_find(f, &c[best].addr, true);
	unsigned tries = t ? t->tries : 0;
	if (t != NULL)
		t->tries++;
	f->last_addr = c[best].addr;
	f->last_len = c[best].len;
	f->last_tcp = !req->env->opts->do_udp;
	f->last_timeout = timeout_for(req, (struct sockaddr *)&c[best].addr, tries);
	fill_send(req, f, out);
	return PICK_SENT;
}

/* ---- applying a reply's verdict (reply.c reads, this file acts) ----------- */

/* Does a local zone answer for owner (lowercase)? The cache keeps nothing
 * a local zone answers for, whatever the reply that brought it (an answer,
 * a link of a CNAME chain, a referral's NS or glue, a negative answer), so
 * that a cache hit never stands in for a local answer (daemon/worker.c asks
 * the local zones on a cache miss only). */
static bool local_governs(const struct core_env *env, const uint8_t *owner)
{
	return env->local != NULL && lz_governs(env->local, owner);
}

/* The verdict's extra records v->extra[at .. at + n) as the cache takes them. */
static size_t extra_rrs(const struct core_verdict *v, size_t at, size_t n, struct cache_rr *x)
{
	if (n > CACHE_EXTRA_MAX)
		n = CACHE_EXTRA_MAX;
	for (size_t i = 0; i < n; i++) {
		const struct wire_rr *rr = v->extra[at + i];
		x[i].owner = rr->owner;
		x[i].type = rr->type;
		x[i].rdata = rr->rdata;
		x[i].rdlen = rr->rdlen;
	}
	return n;
}

/* Cache a CNAME made from a DNAME, with the DNAME (and its RRSIGs) beside
 * it; add it to the answer when asked (frame 0), after the DNAME set. */
static void keep_synth(struct core_req *req, const struct core_verdict *v,
		       const struct core_reply_set *set, bool top, uint64_t now)
{
	struct cache_rr x[CACHE_EXTRA_MAX];
	size_t n_x = extra_rrs(v, set->extra_at, set->n_sigs, x);
	uint16_t len = (uint16_t)wire_name_len(set->target);
	struct cache_rdata rd = { set->target, len };
	uint8_t lower[WIRE_NAME_MAX];
	wire_name_copy(lower, set->owner);
	wire_name_lower(lower);
	if (!local_governs(req->env, lower))
		cache_put_rrset_ex(req->env->cache, lower, WIRE_T_CNAME, req->qclass, set->synth_ttl, &rd,
				   1, x, n_x, set->rank, now);
	if (set->answer && top)
		answer_add(req, false, set->owner, WIRE_T_CNAME, req->qclass,
			   clamp_ttl(req->env, set->synth_ttl), set->target, len);
}

/* Cache one RRset of the reply with its RRSIGs (and a wildcard answer's
 * proof) beside it; add them to the answer when asked (frame 0): the set,
 * its RRSIGs, and the proof in the authority section. */
static void keep_set(struct core_req *req, const struct wire_msg *m, const struct core_verdict *v,
		     const struct core_reply_set *set, bool top, uint64_t now)
{
	if (set->synth) {
		keep_synth(req, v, set, top, now);
		return;
	}
	const struct wire_rr *rr[WIRE_MAX_RR];
	struct cache_rdata rd[MAX_SET];
	uint32_t ttl;
	size_t n = core_reply_rrset(m, set->section, set->owner, set->type, req->qclass, rr,
				    WIRE_MAX_RR, &ttl);
	if (n == 0)
		return;
	/* the cache takes at most MAX_SET records of a set, and its TTL is the
	 * lowest of those */
	size_t n_rd = n < MAX_SET ? n : MAX_SET;
	uint32_t cache_ttl = UINT32_MAX;
	for (size_t i = 0; i < n_rd; i++) {
		rd[i].data = rr[i]->rdata;
		rd[i].len = rr[i]->rdlen;
		if (rr[i]->ttl < cache_ttl)
			cache_ttl = rr[i]->ttl;
	}
	struct cache_rr x[CACHE_EXTRA_MAX];
	size_t n_x = extra_rrs(v, set->extra_at, (size_t)set->n_sigs + set->n_proof, x);
	uint8_t lower[WIRE_NAME_MAX];
	wire_name_copy(lower, set->owner);
	wire_name_lower(lower);
	if (!local_governs(req->env, lower))
		cache_put_rrset_ex(req->env->cache, lower, set->type, req->qclass, cache_ttl, rd,
				   n_rd, x, n_x, set->rank, now);
	if (!set->answer || !top)
		return;
	uint32_t answer_ttl = clamp_ttl(req->env, cache_ttl);
	for (size_t i = 0; i < n; i++)
		answer_add(req, false, rr[i]->owner, rr[i]->type, rr[i]->rclass, answer_ttl,
			   rr[i]->rdata, rr[i]->rdlen);
	for (size_t i = 0; i < (size_t)set->n_sigs + set->n_proof; i++) {
		const struct wire_rr *e = v->extra[set->extra_at + i];
		answer_add(req, i >= set->n_sigs, e->owner, e->type, req->qclass, answer_ttl,
			   e->rdata, e->rdlen);
	}
}

/* An NSEC/NSEC3 proof that a name has no DS without an SOA (a referral
 * from the parent, or a NODATA without one), kept as the DS NODATA it
 * means, for the validator. */
static void keep_ds_denial(struct core_req *req, const uint8_t *name, const struct core_verdict *v,
			   uint64_t now)
{
	struct cache_rr x[CACHE_EXTRA_MAX];
	size_t n_x = extra_rrs(v, v->neg_at, v->n_neg, x);
	uint32_t ttl = UINT32_MAX;
	for (size_t i = 0; i < n_x; i++)
		if (v->extra[v->neg_at + i]->ttl < ttl)
			ttl = v->extra[v->neg_at + i]->ttl;
	if (n_x > 0 && ttl > 0)
		cache_put_negative_ex(req->env->cache, CACHE_NODATA, name, WIRE_T_DS, req->qclass,
				      ttl, NULL, NULL, 0, x, n_x, CACHE_RANK_AUTH, now);
}

/* Cache a negative answer for the frame's question (as it stands after the
 * CNAMEs followed) with its DNSSEC records (the SOA's RRSIGs, NSEC/NSEC3
 * proofs) beside it, and give the SOA and those to the client (frame 0). */
static void keep_negative(struct core_req *req, struct frame *f, const struct core_verdict *v,
			  enum cache_kind kind, uint64_t now)
{
	const struct wire_rr *soa = v->soa;
	if (soa == NULL) {
		/* A DS NODATA with its proof but no SOA (some parents send
		 * none): the validator still needs the proof. */
		if (f != req->frames[0] && f->qtype == WIRE_T_DS && v->n_neg > 0)
			keep_ds_denial(req, f->qname, v, now);
		return;
	}
	uint32_t ttl = core_reply_negative_ttl(soa);
	uint8_t soa_owner[WIRE_NAME_MAX];
	struct cache_rdata rd = { soa->rdata, soa->rdlen };
	wire_name_copy(soa_owner, soa->owner);
	wire_name_lower(soa_owner);
	struct cache_rr x[CACHE_EXTRA_MAX];
	size_t n_x = extra_rrs(v, v->neg_at, v->n_neg, x);
	if (ttl > 0 && !local_governs(req->env, f->qname))
		cache_put_negative_ex(req->env->cache, kind, f->qname, f->qtype, req->qclass, ttl,
				      soa_owner, &rd, 1, x, n_x, v->rank, now);
	if (f == req->frames[0]) {
		answer_add(req, true, soa->owner, soa->type, soa->rclass, ttl, soa->rdata,
			   soa->rdlen);
		for (size_t i = 0; i < v->n_neg; i++) {
			const struct wire_rr *e = v->extra[v->neg_at + i];
			answer_add(req, true, e->owner, e->type, soa->rclass, ttl, e->rdata,
				   e->rdlen);
		}
	}
}

static bool follow_cname(struct core_req *req, struct frame *f, const uint8_t *target)
{
	if (target == NULL || ++req->cnames > CORE_MAX_CNAME)
		return false;
	wire_name_copy(f->qname, target);
	wire_name_lower(f->qname);
	return true;
}

static bool take_referral(struct frame *f, const struct core_verdict *v)
{
	if (++f->referrals > MAX_REFERRALS)
		return false;
	enter_zone(f, v->cut);
	f->explicit_zone = NULL;
	f->n_ns = 0;
	for (size_t i = 0; i < v->n_ns && f->n_ns < MAX_NS; i++) {
		memset(&f->ns[f->n_ns], 0, sizeof(f->ns[0]));
		wire_name_copy(f->ns[f->n_ns].name, v->ns[i]);
		wire_name_lower(f->ns[f->n_ns].name);
		f->n_ns++;
	}
	return true;
}

static void mark_bad(struct frame *f)
{
	struct tried *t = tried_find(f, &f->last_addr, true);
	if (t != NULL)
		t->bad = true;
}

static void apply_reply(struct core_req *req, struct frame *f, const struct wire_msg *m,
			uint64_t now)
{
	struct core_asked q = {
		.zone = f->zone,
		.sent_name = f->sent_name,
		.sent_type = f->sent_type,
		.qclass = req->qclass,
		.minimised = !wire_name_eq(f->sent_name, f->qname) || f->sent_type != f->qtype,
		.forwarding = f->mode == Z_FORWARD,
		.last_tcp = f->last_tcp,
		.harden_glue = req->env->opts->harden_glue,
	};
	struct core_verdict v;
	core_reply_classify(&q, m, &v);
	bool top = f == req->frames[0];
	/* The sets first, in the verdict's order: a chain's links are cached
	 * and followed one by one, and a link over the request's CNAME budget
	 * ends the request there. */
	for (size_t i = 0; i < v.n_sets; i++) {
		keep_set(req, m, &v, &v.sets[i], top, now);
		if (v.sets[i].link && !follow_cname(req, f, v.sets[i].target)) {
			finish(req, WIRE_RC_SERVFAIL);
			return;
		}
	}
	switch (v.kind) {
	case CORE_REPLY_LAME:
		mark_bad(f);
		return;
	case CORE_REPLY_TCP:
		f->retry_tcp = true;
		return;
	case CORE_REPLY_QMIN_NEXT:
		f->qmin_extra++;
		return;
	case CORE_REPLY_QMIN_OFF:
		f->qmin_off = true;
		return;
	case CORE_REPLY_ANSWER:
		finish(req, WIRE_RC_NOERROR);
		return;
	case CORE_REPLY_CNAME:
		/* start again at the target: cache, then its zone */
		f->state = F_START;
		f->qmin_off = false;
		return;
	case CORE_REPLY_NXDOMAIN:
		keep_negative(req, f, &v, CACHE_NXDOMAIN, now);
		finish(req, WIRE_RC_NXDOMAIN);
		return;
	case CORE_REPLY_NODATA:
		keep_negative(req, f, &v, CACHE_NODATA, now);
		finish(req, WIRE_RC_NOERROR);
		return;
	case CORE_REPLY_REFERRAL:
		if (!top && f->qtype == WIRE_T_DS && v.n_neg > 0 && wire_name_eq(v.cut, f->qname)) {
			/* the validator's DS question, answered by the parent with
			 * the delegation and its proof that no DS exists */
			keep_ds_denial(req, f->qname, &v, now);
			finish(req, WIRE_RC_NOERROR);
			return;
		}
		/* Any other referral with the parent's proof that the cut has
		 * no DS: kept for the validator (checked by it against the
		 * parent's keys), unless the cache already knows the cut's DS,
		 * so that the walk down needs no DS question of its own. */
		if (v.n_neg > 0 && req->env->opts->validate) {
			struct cache_entry ds;
			if (!cache_get(req->env->cache, v.cut, WIRE_T_DS, req->qclass, now, &ds))
				keep_ds_denial(req, v.cut, &v, now);
		}
		if (!take_referral(f, &v))
			finish(req, WIRE_RC_SERVFAIL);
		return;
	case CORE_REPLY_SERVFAIL:
		finish(req, WIRE_RC_SERVFAIL);
		return;
	}
}

/* ---- validation ------------------------------------------------------------ */

/* One step of validating frame 0's answer: a DS or DNSKEY question to
 * resolve first (a frame above 0, whose answer goes to the cache only), or
 * the verdict, which ends the request. */
static void validate_step(struct core_req *req, uint64_t now)
{
	struct core_answer *a = req->ans;
	if (req->val == NULL) {
		req->val = arena_alloc(&req->arena, sizeof(*req->val));
		if (req->val == NULL) {
			req->need_val = false;
			finish(req, WIRE_RC_SERVFAIL);
			return;
		}
		val_req_init(req->val);
	}
	uint8_t name[WIRE_NAME_MAX];
	uint16_t type;
	struct val_outcome vo;
	if (val_answer(req->env, req->val, req->qname, req->qtype, req->qclass, a, now, name, &type,
		       &vo) == VAL_FETCH) {
		struct frame **child = &req->frames[1];
		if (*child == NULL && (*child = arena_alloc(&req->arena, sizeof(**child))) == NULL) {
			req->need_val = false;
			finish(req, WIRE_RC_SERVFAIL);
			return;
		}
		req->frames[0]->child_ns = -1;
		req->depth = 1;
		frame_init(*child, name, type);
		return;
	}
	req->need_val = false;
	req->done = true;
	if (cache_sec_bogus(vo.sec)) {
		if (req->env->val_log != NULL)
			req->env->val_log(req->qname, req->qtype, vo.ede, vo.why);
		if (!req->env->opts->val_permissive) {
			a->rcode = req->rcode = WIRE_RC_SERVFAIL;
			a->n_an = a->n_ns = 0;
			a->ede = vo.ede;
		}
		return;
	}
	a->secure = vo.sec == CACHE_SEC_SECURE;
}

/* ---- public: driving ------------------------------------------------------ */

/* Freed requests kept for reuse (util/freelist.h). A request is about
 * 10 KB (its frame 0; the rest comes from its arena when needed):
 * allocating one per cache miss cost more than the miss's own work in page
 * faults and malloc's big-block path. The list is locked so that any thread
 * may create and free requests (the lock is taken once per request, not per
 * packet); core_req_trim() gives the kept ones back. */
#define REQ_SPARE_MAX 32

static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static struct freelist spare = { .max = REQ_SPARE_MAX };

static struct core_req *req_alloc(void)
{
	pthread_mutex_lock(&spare_lock);
	struct core_req *req = freelist_get(&spare);
	pthread_mutex_unlock(&spare_lock);
	return req != NULL ? req : malloc(sizeof(*req));
}

void core_req_trim(void)
{
	pthread_mutex_lock(&spare_lock);
	freelist_drain(&spare);
	pthread_mutex_unlock(&spare_lock);
}

struct core_req *core_req_new(const struct core_env *env, const uint8_t *qname, uint16_t qtype,
			      uint16_t qclass)
{
	struct core_req *req = req_alloc();
	if (req == NULL)
		return NULL;
	req->env = env;
	arena_init(&req->arena);
	req->qclass = qclass;
	req->depth = 0;
	req->sends = req->cnames = 0;
	req->done = false;
	req->refresh = false;
	req->oom = false;
	req->cd = false;
	req->need_val = false;
	req->val = NULL;
	req->dns64 = D64_OFF;
	req->dns64_aaaa = NULL;
	wire_name_copy(req->qname, qname);
	wire_name_lower(req->qname);
	req->qtype = qtype;
	req->ans = NULL;
	req->rcode = WIRE_RC_SERVFAIL;
	memset(req->frames, 0, sizeof(req->frames));
	req->frames[0] = &req->top;
	frame_init(req->frames[0], qname, qtype);
	return req;
}

void core_req_free(struct core_req *req)
{
	if (req == NULL)
		return;
	arena_free(&req->arena);
	pthread_mutex_lock(&spare_lock);
	bool kept = freelist_put(&spare, req);
	pthread_mutex_unlock(&spare_lock);
	if (!kept)
		free(req);
}

void core_req_set_refresh(struct core_req *req)
{
	req->refresh = true;
}

void core_req_set_cd(struct core_req *req, bool cd)
{
	req->cd = cd;
}

void core_req_set_dns64(struct core_req *req, bool synth)
{
	bool on = synth && req->env->opts->dns64 != NULL && req->qtype == WIRE_T_AAAA &&
		  req->qclass == WIRE_C_IN;
	req->dns64 = on ? D64_AAAA : D64_OFF;
}

/* DNS64, once frame 0's answer is final: after the AAAA question, ask the
 * A question when the answer calls for it (true: the request goes on);
 * after the A question, synthesise, or give back the AAAA answer when the
 * A answer has nothing to synthesise from (a SERVFAIL stays a SERVFAIL). */
static bool dns64_next(struct core_req *req)
{
	const struct dns64_opts *o = req->env->opts->dns64;
	struct core_answer *a = req->ans;
	if (req->dns64 == D64_AAAA) {
		req->dns64 = D64_OFF;
		if (a == NULL || !dns64_wants_a(o, req->qname, a))
			return false;
		req->dns64 = D64_A;
		req->dns64_cap = dns64_ttl_cap(a);
		req->dns64_aaaa = a;
		req->ans = NULL;
		req->rcode = WIRE_RC_SERVFAIL;
		req->qtype = WIRE_T_A;
		req->cnames = 0;
		req->val = NULL;
		req->need_val = false;
		req->done = false;
		req->depth = 0;
		frame_init(req->frames[0], req->qname, WIRE_T_A);
		return true;
	}
	if (req->dns64 == D64_A) {
		req->dns64 = D64_OFF;
		if (a == NULL || a->rcode == WIRE_RC_SERVFAIL)
			return false;
		if (!dns64_has_a(a)) {
			req->ans = req->dns64_aaaa;
			req->rcode = req->ans->rcode;
			return false;
		}
		uint8_t (*store)[16] = arena_alloc(&req->arena, a->n_an * sizeof(*store));
		if (store == NULL) {
			req->ans = NULL; /* core_req_answer: SERVFAIL */
			req->rcode = WIRE_RC_SERVFAIL;
			return false;
		}
		dns64_synth(o, a, req->dns64_cap, store);
	}
	return false;
}

const struct core_answer *core_req_answer(const struct core_req *req)
{
	/* No answer made: the request ended without records, or the answer
	 * could not be allocated (then SERVFAIL). */
	static const struct core_answer servfail = { .rcode = WIRE_RC_SERVFAIL,
						     .ede = CORE_EDE_NONE };
	return req->ans != NULL ? req->ans : &servfail;
}

enum core_status core_req_next(struct core_req *req, uint64_t now, struct core_send *out)
{
again:
	while (!req->done) {
		if (req->need_val && req->depth == 0 && !req->oom) {
			validate_step(req, now);
			continue;
		}
		if (req->oom) {
			/* the answer already lacks a record: no point going on */
			req->depth = 0;
			finish(req, WIRE_RC_SERVFAIL);
			break;
		}
		struct frame *f = req->frames[req->depth];
		if (f->state == F_START) {
			if (start_from_cache(req, f, now) || start_from_aggr(req, f, now))
				continue;
			find_zone(req, f, now);
			f->state = F_SEND;
		}
		if (req->sends >= CORE_MAX_SENDS) {
			req->depth = 0;
			finish(req, WIRE_RC_SERVFAIL);
			break;
		}
		switch (pick_server(req, f, now, out)) {
		case PICK_SENT:
			req->sends++;
			return CORE_SEND;
		case PICK_PUSHED:
			continue;
		case PICK_NONE:
			fail(req);
			continue;
		}
	}
	if (req->dns64 != D64_OFF && dns64_next(req))
		goto again;
	return CORE_DONE;
}

void core_req_fail(struct core_req *req, uint64_t now)
{
	(void)now;
	if (req->done)
		return;
	struct frame *f = req->frames[req->depth];
	core_infra_timeout(req->env->infra, (struct sockaddr *)&f->last_addr, f->last_timeout);
	if (f->last_tcp) {
		struct tried *t = tried_find(f, &f->last_addr, true);
		if (t != NULL)
			t->bad = true;
	}
}

void core_req_reply(struct core_req *req, const struct wire_msg *m, uint32_t rtt_ms, uint64_t now)
{
	if (req->done)
		return;
	struct frame *f = req->frames[req->depth];
	core_infra_rtt(req->env->infra, (struct sockaddr *)&f->last_addr, rtt_ms);
	/* The server answered: its timeouts no longer count against it. */
	struct tried *t = tried_find(f, &f->last_addr, false);
	if (t != NULL)
		t->tries = 0;
	apply_reply(req, f, m, now);
}
