/* anchor_int: the trust anchor set's inside, shared by core/anchor.c (the
 * set, loading, lookup, snapshots) and core/anchor_5011.c (the RFC 5011
 * state machine and the autotrust file text). Calls go one way:
 * anchor_5011.c uses anchor.c, never the reverse. */
#ifndef PC_CORE_ANCHOR_INT_H
#define PC_CORE_ANCHOR_INT_H

#include "core/anchor.h"

#include <pthread.h>
#include <stdatomic.h>

/* One record of a trust point with its RFC 5011 state (a plain anchor's
 * records are Valid for ever). */
struct anchor_key {
	uint16_t type; /* WIRE_T_DS or WIRE_T_DNSKEY */
	uint16_t len;
	uint8_t *rdata; /* owned */
	uint32_t ttl;
	enum anchor_state state;
	uint32_t count;      /* times seen while AddPend */
	uint64_t lastchange; /* seconds since the epoch */
};

/* A published snapshot, kept until the set is freed. */
struct anchor_pub {
	struct anchor_pub *next;
	struct anchor_tp tp;
};

struct anchor_point {
	uint8_t owner[WIRE_NAME_MAX];
	unsigned labels;
	bool autotrust;
	char *path; /* autotrust file (owned) */
	struct anchor_key *keys;
	size_t n, cap;
	_Atomic(const struct anchor_tp *) cur;
	uint64_t version;
	/* RFC 5011 2.3 probe bookkeeping, Unbound's file header fields */
	uint64_t last_queried, last_success, next_probe;
	uint32_t query_failed, query_interval, retry_time;
};

struct anchor_set {
	struct anchor_point **pts;
	size_t n, cap;
	uint8_t (*nta)[WIRE_NAME_MAX];
	size_t n_nta, cap_nta;
	struct anchor_pub *pubs; /* every snapshot ever published */
	pthread_mutex_t mu;
	_Atomic uint64_t generation;
	uint32_t add_holddown, del_holddown, keep_missing;
	bool permit_small;
	char warning[256]; /* the first record loaded that can never match */
};

/* Is the key trusted (part of the snapshot)? */
bool anchor_key_trusted(const struct anchor_key *k);

/* Publish a new snapshot of p's trusted records (version + 1). 0 or
 * PC_ENOMEM (the old snapshot stays). Caller holds the mutex or owns the
 * set alone. */
int anchor_publish(struct anchor_set *set, struct anchor_point *p, unsigned slot);

/* Append a key (rdata copied). 0, PC_ENOMEM, PC_ELIMIT. */
int anchor_point_add_key(struct anchor_point *p, uint16_t type, const uint8_t *rdata,
			 uint16_t len, uint32_t ttl, enum anchor_state st, uint32_t count,
			 uint64_t lastchange);
/* Drop key i (order kept). */
void anchor_point_del_key(struct anchor_point *p, size_t i);

#endif
