/* lookup: where the resolver would send a question for a name, now, and
 * what it knows of those servers (portcullis-ctl lookup NAME). The same
 * choice of zone as the iterator's (core/iter.c, find_zone): the longest
 * forward zone holding the name; else, walking up from the name, a stub
 * zone named exactly so or the closest cached delegation (NS of referral
 * rank or better); else the root hints. Reads the cache (writer thread). */
#ifndef PC_CORE_LOOKUP_H
#define PC_CORE_LOOKUP_H

#include "core/core.h"

#define CORE_DELEG_NS 16
#define CORE_DELEG_ADDRS 8

enum core_deleg_source { CORE_DELEG_FORWARD, CORE_DELEG_STUB, CORE_DELEG_CACHE, CORE_DELEG_HINTS };

struct core_deleg_addr {
	struct sockaddr_storage addr;
	uint32_t srtt;  /* smoothed RTT in ms (infra), 0 = never measured */
	uint32_t ttl;   /* remaining TTL of the cached address; 0 for hints/config */
	bool hints;     /* from the root hints */
};

struct core_deleg_ns {
	uint8_t name[WIRE_NAME_MAX];
	size_t n_addr;
	struct core_deleg_addr addr[CORE_DELEG_ADDRS];
};

struct core_deleg {
	enum core_deleg_source source;
	uint8_t zone[WIRE_NAME_MAX];
	uint32_t ns_ttl;    /* CORE_DELEG_CACHE: the NS set's remaining TTL */
	size_t n_ns;        /* name servers (cache, hints) */
	struct core_deleg_ns ns[CORE_DELEG_NS];
	size_t n_addr;      /* forward-addr / stub-addr */
	struct core_deleg_addr addr[CORE_DELEG_NS];
};

/* Fill out for qname (wire, any case) in class qclass at now_ms. */
void core_delegation(const struct core_env *env, const uint8_t *qname, uint16_t qclass,
		     uint64_t now_ms, struct core_deleg *out);

#endif
