/* Private interfaces between the parts of core/: the cache walk used by both
 * cache answers and the iterator, and the iterator's hooks for reply.c. */
#ifndef PC_CORE_INTERNAL_H
#define PC_CORE_INTERNAL_H

#include "core/core.h"

enum { CORE_STEP_MISS = 0, CORE_STEP_FINAL = 1, CORE_STEP_CNAME = 2 };

/* One step of answering from the cache. rr points into the cache. */
struct core_cache_step {
	unsigned rcode;
	bool authority; /* the records belong in the authority section */
	size_t n;
	uint64_t pf_ms; /* the entry's prefetch window start (cache_entry.pf_ms) */
	bool prefetch;  /* this lookup claimed the entry's refresh */
	struct core_rr rr[CORE_MAX_ANSWER];
	uint8_t next[WIRE_NAME_MAX]; /* CNAME target for CORE_STEP_CNAME */
};

/* for_client: only data good enough to give a client (not glue or
 * referral NS). Returns CORE_STEP_*. */
int core_cache_step(const struct core_env *env, const uint8_t *qname, uint16_t qtype,
		    uint16_t qclass, uint64_t now, bool for_client, struct core_cache_step *st);

/* Requests freed with core_req_free are kept (a bounded number) for the next
 * core_req_new; this frees the kept ones (at shutdown). Any thread. */
void core_req_trim(void);

struct frame;

void core_iter_reply(struct core_req *req, struct frame *f, const struct wire_msg *m, uint64_t now);

const struct core_env *core_iter_env(const struct core_req *req);
bool core_iter_is_top(const struct core_req *req, const struct frame *f);
void core_iter_mark_bad(struct core_req *req, struct frame *f);
void core_iter_retry_tcp(struct core_req *req, struct frame *f);
bool core_iter_minimised(const struct frame *f);
void core_iter_qmin_next(struct core_req *req, struct frame *f, bool give_up);
const uint8_t *core_iter_zone(const struct frame *f);
const uint8_t *core_iter_qname(const struct frame *f);
const uint8_t *core_iter_sent_name(const struct frame *f);
uint16_t core_iter_sent_type(const struct frame *f);
uint16_t core_iter_qtype(const struct frame *f);
uint16_t core_iter_qclass(const struct core_req *req);
bool core_iter_forwarding(const struct frame *f);
bool core_iter_last_tcp(const struct frame *f);
bool core_iter_follow_cname(struct core_req *req, struct frame *f, const uint8_t *target);
void core_iter_restart(struct core_req *req, struct frame *f);
bool core_iter_referral(struct core_req *req, struct frame *f, const uint8_t *zone,
			const uint8_t *const *ns, size_t n_ns);
void core_iter_answer_add(struct core_req *req, bool authority, const struct wire_rr *rr,
			  uint32_t ttl);
void core_iter_finish(struct core_req *req, unsigned rcode);
uint32_t core_iter_clamp_ttl(const struct core_req *req, uint32_t ttl);

#endif
