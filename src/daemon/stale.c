/* stale: serve-expired (RFC 8767) and prefetch, on worker 0's side.
 *
 * Serve-expired: the cache keeps expired entries for serve-expired-ttl
 * (cache.h). A client whose question misses the fresh cache is resolved as
 * usual; when that fails (SERVFAIL), or has not finished within
 * serve-expired-client-timeout, the expired data answers it instead, with
 * the TTL serve-expired-reply-ttl and EDE 3 "Stale Answer" (RFC 8914); the
 * resolution goes on without the client and its answer replaces the
 * expired data in the cache. With a timeout of 0 the expired data answers
 * at once and one resolution per question refreshes it in the background.
 *
 * The deadlines: every request gets the same timeout and the request list
 * is in the order requests began, so the list is also in deadline order.
 * One timer and a cursor into the list (stale_next, the first request whose
 * deadline has not come yet) do for all of them.
 *
 * Prefetch: a cache hit that claims an entry's refresh (cache.h) hands the
 * question to worker 0 as a request without a client (creq.background),
 * which asks upstream even though the cache still answers (core_req_set_
 * refresh); one already on its way for the question makes it redundant. */
#include <string.h>

#include "cache/cache.h"
#include "daemon/config.h"
#include "daemon/server_int.h"
#include "daemon/worker.h"

static bool same_question(const struct creq *a, const struct creq *b)
{
	return a->qtype == b->qtype && a->qclass == b->qclass && wire_name_eq(a->qname, b->qname);
}

/* Another request for r's question being resolved. */
static bool in_flight(const struct server *s, const struct creq *r)
{
	for (const struct creq *o = s->reqs; o != NULL; o = o->next)
		if (o != r && o->core != NULL && same_question(o, r))
			return true;
	return false;
}

bool server_refresh_redundant(struct server *s, const struct creq *r)
{
	return in_flight(s, r);
}

/* Answer r's client from the cache, expired data allowed; true when it was
 * answered. */
static bool answer_expired(struct server *s, struct creq *r, bool reset)
{
	static struct core_answer a; /* worker 0 only; big */
	const struct config *cfg = s->cfg;
	int got = core_answer_stale(&s->env, r->qname, r->qtype, r->qclass, uv_now(s->loop),
				    cfg->serve_expired_reply_ttl, reset, &a);
	if (got == 0 || r->background || r->answered)
		return false;
	if (got == 2)
		s->stale_answers++;
	worker_respond(s->workers[0], r, &a);
	r->answered = true;
	return true;
}

void server_answer(struct server *s, struct creq *r, const struct core_answer *a)
{
	if (a->rcode == WIRE_RC_SERVFAIL && s->cfg->serve_expired) {
		bool reset = s->cfg->serve_expired_ttl_reset;
		if (r->background || r->answered) {
			/* A refresh that failed: nobody to answer, but the expired
			 * data may have to be kept longer. */
			if (reset)
				core_answer_stale(&s->env, r->qname, r->qtype, r->qclass,
						  uv_now(s->loop), 0, true, &(struct core_answer){ 0 });
			return;
		}
		if (answer_expired(s, r, reset))
			return;
	}
	if (r->background || r->answered)
		return;
	worker_respond(s->workers[0], r, a);
	r->answered = true;
}

static void on_deadline(uv_timer_t *t)
{
	struct server *s = t->data;
	uint64_t now = uv_now(s->loop), timeout = s->cfg->serve_expired_client_timeout;
	struct creq *r = s->stale_next;
	for (; r != NULL && r->started_ms + timeout <= now; r = r->next)
		if (!r->background && !r->answered)
			answer_expired(s, r, false);
	s->stale_next = r;
	if (r != NULL)
		uv_timer_start(&s->stale_timer, on_deadline, r->started_ms + timeout - now, 0);
}

bool server_stale_start(struct server *s, struct creq *r, uint64_t now)
{
	const struct config *cfg = s->cfg;
	if (!cfg->serve_expired || r->background)
		return true;
	if (cfg->serve_expired_client_timeout == 0) {
		/* Expired data at once; one resolution per question refreshes it. */
		if (answer_expired(s, r, false) && in_flight(s, r))
			return false;
		return true;
	}
	if (s->stale_next == NULL) {
		s->stale_next = r;
		if (s->stale_timer_on)
			uv_timer_start(&s->stale_timer, on_deadline, cfg->serve_expired_client_timeout, 0);
	}
	(void)now;
	return true;
}

void server_stale_end(struct server *s, struct creq *r)
{
	if (s->stale_next == r)
		s->stale_next = r->next;
}

void server_stale_init(struct server *s)
{
	uv_timer_init(s->loop, &s->stale_timer);
	s->stale_timer.data = s;
	s->stale_timer_on = true;
}

void server_stale_close(struct server *s)
{
	if (s->stale_timer_on) {
		uv_close((uv_handle_t *)&s->stale_timer, NULL);
		s->stale_timer_on = false;
	}
}

void server_prefetch(struct server *s, bool resolver, const uint8_t *qname, uint16_t qtype,
		     uint16_t qclass)
{
	struct creq *r = server_creq_get(s);
	if (r == NULL)
		return; /* out of memory: the entry just expires */
	r->origin = server_worker(s, 0);
	r->background = true;
	r->qtype = qtype;
	r->qclass = qclass;
	wire_name_copy(r->qname, qname);
	if (resolver)
		server_resolve(s, r);
	else
		worker_post(server_worker(s, 0), r);
}
