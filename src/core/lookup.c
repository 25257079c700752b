/* lookup: the delegation the resolver would use for a name (lookup.h). */
#include "core/lookup.h"

#include <netinet/in.h>
#include <string.h>

#include "core/hints.h"

static const struct core_zone *longest(const struct core_zone *z, size_t n,
					 const uint8_t *name)
{
	const struct core_zone *best = NULL;
	for (size_t i = 0; i < n; i++)
		if (wire_name_in(name, z[i].name) &&
		    (best == NULL || wire_name_labels(z[i].name) > wire_name_labels(best->name)))
			best = &z[i];
	return best;
}

static bool addr_from(uint16_t type, const uint8_t *rd, uint16_t len, struct sockaddr_storage *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (type == WIRE_T_A && len == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;
		in->sin_family = AF_INET;
		in->sin_port = htons(53);
		memcpy(&in->sin_addr, rd, 4);
		return true;
	}
	if (type == WIRE_T_AAAA && len == 16) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(53);
		memcpy(&in6->sin6_addr, rd, 16);
		return true;
	}
	return false;
}

static void add_addr(const struct core_env *env, struct core_deleg_addr *a, size_t *n, size_t cap,
		     const struct sockaddr_storage *sa, uint32_t ttl, bool hints)
{
	if (*n == cap)
		return;
	a[*n].addr = *sa;
	a[*n].ttl = ttl;
	a[*n].hints = hints;
	a[*n].srtt = core_infra_srtt(env->infra, (const struct sockaddr *)sa);
	(*n)++;
}

static void ns_addrs(const struct core_env *env, const uint8_t *zone, uint16_t qclass,
		     uint64_t now, struct core_deleg_ns *ns)
{
	struct sockaddr_storage sa;
	ns->n_addr = 0;
	if (zone[0] == 0)
		for (size_t i = 0; i < env->hints->n; i++) {
			const struct hints_rr *h = &env->hints->rr[i];
			if (h->type != WIRE_T_NS && wire_name_eq(h->owner, ns->name) &&
			    addr_from(h->type, h->rdata, h->rdlen, &sa))
				add_addr(env, ns->addr, &ns->n_addr, CORE_DELEG_ADDRS, &sa, 0, true);
		}
	static const uint16_t types[2] = { WIRE_T_A, WIRE_T_AAAA };
	for (int t = 0; t < 2; t++) {
		struct cache_entry e;
		if (!cache_get(env->cache, ns->name, types[t], qclass, now, &e) ||
		    e.kind != CACHE_RRSET)
			continue;
		for (size_t i = 0; i < e.n_rdata; i++) {
			struct cache_rdata rd = cache_entry_rdata(&e, i);
			if (addr_from(types[t], rd.data, rd.len, &sa))
				add_addr(env, ns->addr, &ns->n_addr, CORE_DELEG_ADDRS, &sa, e.ttl,
					 false);
		}
	}
}

static void zone_addrs(const struct core_env *env, const struct core_zone *z,
		       struct core_deleg *out)
{
	wire_name_copy(out->zone, z->name);
	for (size_t i = 0; i < z->n_addrs; i++)
		add_addr(env, out->addr, &out->n_addr, CORE_DELEG_NS, &z->addrs[i].sa, 0, false);
}

void core_delegation(const struct core_env *env, const uint8_t *qname, uint16_t qclass,
		     uint64_t now_ms, struct core_deleg *out)
{
	const struct core_opts *o = env->opts;
	uint8_t name[WIRE_NAME_MAX];
	wire_name_copy(name, qname);
	wire_name_lower(name);
	memset(out, 0, offsetof(struct core_deleg, ns));
	out->n_addr = 0;
	const struct core_zone *fwd = longest(o->forward, o->n_forward, name);
	if (fwd != NULL) {
		out->source = CORE_DELEG_FORWARD;
		zone_addrs(env, fwd, out);
		return;
	}
	const struct core_zone *stub = longest(o->stub, o->n_stub, name);
	for (const uint8_t *n = name;; n = wire_name_strip(n, 1)) {
		if (stub != NULL && wire_name_eq(n, stub->name)) {
			out->source = CORE_DELEG_STUB;
			zone_addrs(env, stub, out);
			return;
		}
		struct cache_entry e;
		if (cache_get(env->cache, n, WIRE_T_NS, qclass, now_ms, &e) &&
		    e.kind == CACHE_RRSET && e.rank >= CACHE_RANK_REFERRAL) {
			out->source = CORE_DELEG_CACHE;
			wire_name_copy(out->zone, n);
			out->ns_ttl = e.ttl;
			for (size_t i = 0; i < e.n_rdata && out->n_ns < CORE_DELEG_NS; i++) {
				struct cache_rdata rd = cache_entry_rdata(&e, i);
				if (rd.len == 0 || rd.len > WIRE_NAME_MAX ||
				    wire_name_len(rd.data) != rd.len)
					continue;
				wire_name_copy(out->ns[out->n_ns++].name, rd.data);
			}
			if (out->n_ns > 0)
				break;
		}
		if (n[0] == 0) {
			out->source = CORE_DELEG_HINTS;
			out->zone[0] = 0;
			for (size_t i = 0; i < env->hints->n && out->n_ns < CORE_DELEG_NS; i++)
				if (env->hints->rr[i].type == WIRE_T_NS)
					wire_name_copy(out->ns[out->n_ns++].name, env->hints->rr[i].rdata);
			break;
		}
	}
	/* The cache lookups above may not move entries the NS set's view
	 * points into: its names are copied before any further lookup. */
	for (size_t i = 0; i < out->n_ns; i++)
		ns_addrs(env, out->zone, qclass, now_ms, &out->ns[i]);
}
