/* core: recursive resolution as an explicit state machine, with no I/O.
 *
 * The daemon creates a request for a client question and drives it:
 *
 *     req = core_req_new(env, qname, qtype, qclass);
 *     while (core_req_next(req, now, &send) == CORE_SEND) {
 *         ... send `send` upstream, wait ...
 *         core_req_reply(req, &parsed_reply, rtt, now)  or  core_req_fail(req, now);
 *     }
 *     core_req_answer(req) -> the answer to write back
 *
 * The core reads and fills the cache, picks servers by smoothed RTT (infra),
 * follows referrals (with bailiwick rules), resolves out-of-bailiwick name
 * server names itself, chases CNAME chains, handles negative answers and
 * QNAME minimisation. It never reads the clock (now is passed in) and never
 * draws randomness except through env->rand_uniform. */
#ifndef PC_CORE_CORE_H
#define PC_CORE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cache/cache.h"
#include "util/sockaddr.h"
#include "wire/wire.h"

struct hints; /* core/hints.h */
struct anchor_set; /* core/anchor.h */
struct core_infra;
struct lz_table;
struct aggr;

#define CORE_MAX_CNAME 10   /* CNAMEs followed per request */
#define CORE_MAX_SENDS 64   /* upstream queries per request */
#define CORE_MAX_DEPTH 6    /* nested name-server address lookups */
#define CORE_MAX_ANSWER 512 /* records in one answer */
#define CORE_MAX_AUTHORITY 24 /* a negative answer: SOA, NSEC/NSEC3 proofs, RRSIGs */

#define CORE_ZONE_MAX_ADDRS 16

/* A forward zone (its servers recurse for us: queries carry RD, and
 * everything below the name goes to them) or a stub zone (its servers are
 * authoritative: the iterator starts there instead of at the root). */
struct core_zone {
	uint8_t name[WIRE_NAME_MAX]; /* wire format, lowercased; "" is the root */
	struct sockaddr_len addrs[CORE_ZONE_MAX_ADDRS];
	size_t n_addrs;
};

/* What the core is told by its owner (the daemon fills it from the
 * configuration: daemon/options.c); read-only while requests run. */
struct dns64_opts;

struct core_opts {
	uint32_t cache_min_ttl, cache_max_ttl; /* clamp of the TTLs in answers */
	uint32_t upstream_timeout;             /* ms, first try of an unknown server */
	uint16_t edns_buffer_size;             /* advertised in responses' OPT */
	bool do_ip4, do_ip6, do_udp, do_tcp;
	bool do_not_query_localhost;
	bool qname_minimisation;
	bool harden_glue;                      /* glue only from inside the zone */
	bool aggressive_nsec;                  /* RFC 8198 (env->aggr is then set) */
	const struct core_zone *forward;       /* forward-zone: */
	size_t n_forward;
	const struct core_zone *stub;          /* stub-zone: */
	size_t n_stub;
	/* DNSSEC validation (core/val.h) */
	bool validate;                         /* module-config: "validator iterator" */
	bool val_permissive;                   /* val-permissive-mode: bogus answered, without AD */
	bool harden_dnssec_stripped;           /* signatures missing under an anchor: bogus */
	uint32_t val_bogus_ttl;                /* seconds bogus data is kept */
	/* Trust anchors and negative trust anchors (core/anchor.h): the
	 * validator's starting points. Never NULL once the daemon runs (with
	 * no anchor configured it holds the root's, from dns-root-data or
	 * built in). Not const: RFC 5011 updates go through it
	 * (anchor_autotrust_update), with the set's own locking. */
	struct anchor_set *anchors;
	/* DNS64 (core/dns64.h): AAAA answers made from A records; NULL: off. */
	const struct dns64_opts *dns64;
};

struct core_env {
	struct cache *cache;
	const struct core_opts *opts;
	const struct hints *hints;
	struct core_infra *infra;
	/* Local zones (core/localzone.h), or NULL: the cache keeps nothing
	 * they answer for, so that a cache hit never stands in for them. A
	 * reload swaps the table (daemon/server_local.c) with one release
	 * store while reader threads load it. */
	_Atomic(struct lz_table *) local;
	/* Validated NSEC records for aggressive negative answers (RFC 8198,
	 * cache/aggr.h), or NULL (aggressive-nsec: no). Single-threaded: only
	 * the thread that runs requests (core_req_*) uses it, never
	 * core_answer_from_cache. */
	struct aggr *aggr;
	uint32_t (*rand_uniform)(uint32_t bound);
	/* Seconds since the epoch, for signature validity windows (the only
	 * wall-clock time the core uses: TTLs run on the callers' now_ms). */
	uint64_t (*wall_clock)(void);
	/* Called once per answer judged bogus (val-log-level); may be NULL. */
	void (*val_log)(const uint8_t *qname, uint16_t qtype, unsigned ede, const char *why);
};

/* One record of an answer; owner and rdata are owned by the request (or by
 * the caller's scratch space for cache answers). */
struct core_rr {
	const uint8_t *owner;
	uint16_t type, rclass;
	uint32_t ttl;
	const uint8_t *rdata;
	uint16_t rdlen;
};

#define CORE_EDE_NONE 0xffff
#define CORE_EDE_STALE 3 /* RFC 8914 "Stale Answer" */

struct core_answer {
	unsigned rcode;
	/* Expired data (serve-expired): the response carries EDE 3, "Stale
	 * Answer" (RFC 8914), when the client sent EDNS and ede is not set. */
	bool stale;
	/* From core_answer_from_cache: a record of the answer is in its
	 * prefetch window and this lookup claimed its refresh; and when the
	 * first record's window begins (UINT64_MAX: never), after which a copy
	 * of the answer must not be served without a lookup (pcache). */
	bool prefetch;
	uint64_t fresh_ms;
	bool secure;   /* every record validated secure: AD for clients that ask (AD or DO) */
	uint16_t ede;  /* Extended DNS Error (RFC 8914) for the OPT, or CORE_EDE_NONE */
	size_t n_an, n_ns;
	struct core_rr an[CORE_MAX_ANSWER];
	struct core_rr ns[CORE_MAX_AUTHORITY]; /* SOA (and its DNSSEC proofs) of a negative answer */
};

/* What the core asks the daemon to send. */
struct core_send {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint8_t qname[WIRE_NAME_MAX]; /* lowercase; the transport applies 0x20 */
	uint8_t zone[WIRE_NAME_MAX];  /* the zone cut (or forward/stub zone) the server serves */
	uint16_t qtype, qclass;
	bool rd;          /* recursion desired: set for forwarders */
	bool tcp;         /* send over TCP */
	uint32_t timeout_ms;
};

enum core_status { CORE_SEND = 1, CORE_DONE = 2 };

struct core_req;

/* Answer a question from the cache alone. With validation on, the cached
 * entries' security status decides: all secure gives a secure answer,
 * bogus gives SERVFAIL with its EDE (unless cd: the client checks itself,
 * and gets the data; or val-permissive-mode), data not yet judged is a miss
 * (the resolver validates it), unless cd. On a complete hit fills *out and
 * returns true; the records are copies taken under the cache's stripe lock
 * into this thread's scratch space, valid until the next call on the same
 * thread, so any worker may call this. Never allocates. */
bool core_answer_from_cache(const struct core_env *env, const uint8_t *qname, uint16_t qtype,
			    uint16_t qclass, bool cd, uint64_t now_ms, struct core_answer *out);

/* The same for an AAAA question with DNS64 on (opts->dns64, core/dns64.h;
 * not for a client that set both CD and DO): when the AAAA answer calls for
 * synthesis, the A answer is looked up in the cache too, and a hit gives
 * the synthesised answer; an A question the cache cannot answer is a miss
 * (the resolver asks it). out->prefetch says that the AAAA or the A
 * entries claimed a refresh: the caller refreshes both questions. */
bool core_answer_dns64(const struct core_env *env, const uint8_t *qname, uint16_t qclass,
		       bool cd, uint64_t now_ms, struct core_answer *out);

/* Serve-expired (worker 0, the cache's writer): the answer from the cache
 * where expired entries still kept count too, their TTLs set to reply_ttl.
 * Returns 0 when the cache cannot answer, 1 for an answer of fresh data
 * only, 2 when it holds expired data (out->stale set). With reset, the
 * expired entries used are kept afresh (serve-expired-ttl-reset). The
 * records point into the cache: valid until it next changes. */
int core_answer_stale(const struct core_env *env, const uint8_t *qname, uint16_t qtype,
		      uint16_t qclass, uint64_t now_ms, uint32_t reply_ttl, bool reset,
		      struct core_answer *out);

/* A new request; NULL when out of memory. */
struct core_req *core_req_new(const struct core_env *env, const uint8_t *qname, uint16_t qtype,
			      uint16_t qclass);
void core_req_free(struct core_req *req);
/* Make req a refresh (prefetch, serve-expired): the client's question is
 * asked upstream even while the cache still holds an answer for it. */
void core_req_set_refresh(struct core_req *req);

/* The client set CD (RFC 4035 3.2.2): its answer is not validated (the
 * data is returned as it came, signed when DO) and never SERVFAIL for
 * being bogus. Call before the first core_req_next. */
void core_req_set_cd(struct core_req *req, bool cd);

/* DNS64 for this request (core/dns64.h), when opts->dns64 is set and the
 * question is AAAA: synth is false for a client that set both CD and DO
 * (RFC 6147 5.5), which gets the AAAA answer as it is. Call before the
 * first core_req_next. */
void core_req_set_dns64(struct core_req *req, bool synth);

/* Advance: CORE_SEND fills *out with the next upstream query; CORE_DONE
 * means the answer is ready. */
enum core_status core_req_next(struct core_req *req, uint64_t now_ms, struct core_send *out);

/* The reply to the last CORE_SEND, already matched to it (RFC 5452) and
 * parsed. rtt_ms feeds the server's smoothed RTT. */
void core_req_reply(struct core_req *req, const struct wire_msg *reply, uint32_t rtt_ms,
		    uint64_t now_ms);

/* The last CORE_SEND timed out or could not be sent. */
void core_req_fail(struct core_req *req, uint64_t now_ms);

/* The answer once core_req_next returned CORE_DONE. */
const struct core_answer *core_req_answer(const struct core_req *req);

/* Write a response to a client: header with id and the client's RD/CD bits,
 * AD when the answer is secure and the client set AD or DO (RFC 6840 5.7), the question as the client sent it
 * (qname keeps its case), the answer's records, and an OPT advertising
 * edns_size (edns-buffer-size) when it is not 0 (the client sent an OPT),
 * whose DO bit is dnssec_ok (the client's DO, echoed) and which carries
 * the answer's Extended DNS Error when it has one. Without DO the DNSSEC
 * records the answer carries (RRSIG, NSEC, NSEC3) are left out unless they
 * are the type asked (RFC 4035 3.2.1, 3.1.4). When the records do not fit
 * in cap, writes a truncated response (TC, question only). Returns length
 * or a negative error. */
int core_write_response(uint8_t *buf, size_t cap, uint16_t id, uint16_t client_flags,
			const uint8_t *qname, uint16_t qtype, uint16_t qclass, uint16_t edns_size,
			bool dnssec_ok,
			const struct core_answer *a);

/* Requests freed with core_req_free are kept (a bounded number) for the next
 * core_req_new; this frees the kept ones (at shutdown). Any thread. */
void core_req_trim(void);

/* ---- infra: smoothed RTT per server address ---------------------------- */

/* key: the table's hash key (hash_key_new), handed in because the core
 * draws no randomness of its own. */
struct core_infra *core_infra_new(const struct hash_key *key);
void core_infra_free(struct core_infra *inf);
/* Smoothed RTT in ms, or 0 when the server is unknown. */
uint32_t core_infra_srtt(struct core_infra *inf, const struct sockaddr *sa);
void core_infra_rtt(struct core_infra *inf, const struct sockaddr *sa, uint32_t rtt_ms);
void core_infra_timeout(struct core_infra *inf, const struct sockaddr *sa, uint32_t timeout_ms);

#endif
