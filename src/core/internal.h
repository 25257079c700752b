/* Private interfaces between the parts of core/: the cache walk used by both
 * cache answers and the iterator, and the reading of a reply (reply.c) that
 * the iterator applies. */
#ifndef PC_CORE_INTERNAL_H
#define PC_CORE_INTERNAL_H

#include "core/core.h"

enum { CORE_STEP_MISS = 0, CORE_STEP_FINAL = 1, CORE_STEP_CNAME = 2 };

/* One step of answering from the cache. rr points into the cache. */
struct core_cache_step {
	unsigned rcode;
	enum cache_sec sec; /* the entry's DNSSEC status */
	bool authority; /* the records belong in the authority section */
	size_t n;
	struct core_rr rr[CORE_MAX_ANSWER];
	/* For a positive step: the NSEC/NSEC3 proof (with RRSIGs) of a
	 * wildcard answer, for the authority section. */
	size_t n_auth;
	struct core_rr auth[CORE_MAX_AUTHORITY];
	uint8_t next[WIRE_NAME_MAX]; /* CNAME target for CORE_STEP_CNAME */
};

/* for_client: only data good enough to give a client (not glue or
 * referral NS). Returns CORE_STEP_*. */
int core_cache_step(const struct core_env *env, const uint8_t *qname, uint16_t qtype,
		    uint16_t qclass, uint64_t now, bool for_client, struct core_cache_step *st);

/* ---- reply.c: what an upstream reply means ------------------------------
 *
 * A pure reading of the reply against what was asked: no cache, no request
 * state. iter.c applies the verdict (caches its RRsets, follows its CNAMEs,
 * takes its referral, ...). */

/* What was asked, as the reading needs it. */
struct core_asked {
	const uint8_t *zone;      /* the zone (cut, forward or stub) the server was asked about */
	const uint8_t *sent_name; /* the name sent */
	uint16_t sent_type;
	uint16_t qclass;
	bool minimised;           /* name or type sent differ from the question's (RFC 9156) */
	bool forwarding;          /* the server is a forwarder (RD was set) */
	bool last_tcp;            /* the query went over TCP */
	bool harden_glue;         /* glue only from inside the zone */
};

enum core_reply_kind {
	CORE_REPLY_LAME,      /* broken, refused or lame: do not ask this server again */
	CORE_REPLY_TCP,       /* truncated over UDP: ask the same server over TCP */
	CORE_REPLY_QMIN_NEXT, /* minimised name exists: reveal one more label */
	CORE_REPLY_QMIN_OFF,  /* minimisation is in the way: ask the full name */
	CORE_REPLY_ANSWER,    /* the data asked for (at the end of the CNAMEs in sets) */
	CORE_REPLY_CNAME,     /* CNAMEs followed (sets) to a name this reply does not
			       * answer: start again at the target */
	CORE_REPLY_NXDOMAIN,  /* the name does not exist (soa: the proof, or NULL) */
	CORE_REPLY_NODATA,    /* no data of that type (soa: the proof, or NULL) */
	CORE_REPLY_REFERRAL,  /* a zone cut below the zone: cut, ns */
	CORE_REPLY_SERVFAIL,  /* a CNAME without a target, or a chain too long */
};

/* One RRset of the reply to cache: every record of (owner, type, qclass)
 * in section (core_reply_rrset gathers them). */
struct core_reply_set {
	const uint8_t *owner;  /* points into the message (or the verdict: synth) */
	bool link;             /* a CNAME link of the chain: the iterator follows it */
	const uint8_t *target; /* link: where it leads (the rdata; NULL when empty: SERVFAIL) */
	uint16_t type;
	uint8_t section;       /* WIRE_SEC_* */
	bool answer;           /* part of the client's answer (when the question is the client's) */
	enum cache_rank rank;
	/* A CNAME made from a DNAME (RFC 6672 3.4), not taken from the reply:
	 * its one record is target (in the verdict), its TTL synth_ttl (the
	 * DNAME's), and its extra records are the DNAME set and its RRSIGs. */
	bool synth;
	uint32_t synth_ttl;
	/* DNSSEC records kept beside the set in the cache and given with it to
	 * clients that set DO: v->extra[extra_at .. extra_at + n_sigs) are the
	 * set's RRSIGs (for synth: the DNAME and its RRSIGs), and the n_proof
	 * after them the NSEC/NSEC3 proof (with RRSIGs) of a wildcard answer,
	 * which goes to the authority section. */
	uint16_t extra_at, n_sigs, n_proof;
};

#define CORE_REPLY_MAX_SETS 48 /* CNAME links + the answer, or NS + glue per (name, type) */
#define CORE_REPLY_MAX_NS 16
#define CORE_REPLY_MAX_EXTRA 256 /* RRSIGs and proofs of all the sets and of a negative answer */

struct core_verdict {
	enum core_reply_kind kind;
	size_t n_sets;
	struct core_reply_set sets[CORE_REPLY_MAX_SETS]; /* to cache, in this order */
	const struct wire_rr *soa;      /* NXDOMAIN, NODATA */
	enum cache_rank rank;           /* NXDOMAIN, NODATA */
	uint8_t cut[WIRE_NAME_MAX];     /* REFERRAL: the cut, lowercased */
	const uint8_t *ns[CORE_REPLY_MAX_NS]; /* REFERRAL: its servers (in the message) */
	size_t n_ns;
	/* NXDOMAIN, NODATA: the SOA's RRSIGs and the NSEC/NSEC3 proofs with
	 * theirs (v->extra[neg_at .. neg_at + n_neg)), kept with the negative
	 * entry and given to clients that set DO. */
	uint16_t neg_at, n_neg;
	size_t n_extra;
	const struct wire_rr *extra[CORE_REPLY_MAX_EXTRA]; /* in the message */
	/* The targets of CNAMEs made from DNAMEs (sets with synth). */
	uint8_t synth[CORE_MAX_CNAME + 2][WIRE_NAME_MAX];
	size_t n_synth;
};

/* Read reply m to the query q. The verdict's pointers point into m. */
void core_reply_classify(const struct core_asked *q, const struct wire_msg *m,
			 struct core_verdict *v);

/* The records of the set (owner, type, qclass) in section, each once (a
 * repeated record is dropped, RFC 2181 5), in message order: up to cap of
 * them into rr, and the lowest TTL of those into *ttl. Returns how many. */
size_t core_reply_rrset(const struct wire_msg *m, int section, const uint8_t *owner,
			uint16_t type, uint16_t qclass, const struct wire_rr **rr, size_t cap,
			uint32_t *ttl);

/* A negative answer's TTL (RFC 2308 5): the lower of the SOA's own TTL and
 * its MINIMUM field (0 when the rdata is too short to hold one). */
uint32_t core_reply_negative_ttl(const struct wire_rr *soa);

#endif
