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
 * One timer and a cursor into the list (stale.next, the first request whose
 * deadline has not come yet) do for all of them.
 *
 * Prefetch: a cache hit that claims an entry's refresh (cache.h) hands the
 * question to worker 0 as a request without a client (creq.background,
 * req_prefetch in request.c), which asks upstream even though the cache
 * still answers (core_req_set_refresh); one already on its way for the
 * question makes it redundant.
 *
 * The settings are read from the configuration in force (rq->cfg), which
 * a reload replaces: each takes effect from the next request or deadline.
 *
 * This file calls request.c; request.c calls it back only through the
 * hooks stale_init sets (struct req_hooks), so the calls go one way. */
#include "daemon/stale.h"

#include <string.h>

#include "core/core.h"
#include "daemon/config.h"
#include "daemon/request.h"
#include "util/list.h"

/* The request after r in worker 0's list (which is in the order they
 * began), or NULL. */
static struct creq *after(const struct creq *r)
{
	return list_item_or_null(r->link.next, struct creq, link);
}

/* Answer r's client from the cache, expired data allowed; true when it was
 * answered. */
static bool answer_expired(struct stale *st, struct creq *r, bool reset)
{
	static struct core_answer a; /* worker 0 only; big */
	const struct config *cfg = st->rq->cfg;
	int got = core_answer_stale(st->env, r->qname, r->qtype, r->qclass, uv_now(st->loop),
				    cfg->serve_expired_reply_ttl, reset, &a);
	if (got == 0 || r->background || r->answered)
		return false;
	if (got == 2)
		st->answers++;
	req_respond(st->rq, r, &a);
	return true;
}

/* The request table's answer hook: expired data instead of SERVFAIL when
 * serve-expired holds some. */
static bool on_answer(void *ud, struct creq *r, const struct core_answer *a)
{
	struct stale *st = ud;
	if (a->rcode != WIRE_RC_SERVFAIL || !st->rq->cfg->serve_expired)
		return false;
	bool reset = st->rq->cfg->serve_expired_ttl_reset;
	if (r->background || r->answered) {
		/* A refresh that failed: nobody to answer, but the expired data
		 * may have to be kept longer. */
		if (reset)
			core_answer_stale(st->env, r->qname, r->qtype, r->qclass, uv_now(st->loop), 0,
					  true, &(struct core_answer){ 0 });
		return true;
	}
	return answer_expired(st, r, reset);
}

static void on_deadline(uv_timer_t *t)
{
	struct stale *st = t->data;
	uint64_t now = uv_now(st->loop), timeout = st->rq->cfg->serve_expired_client_timeout;
	struct creq *r = st->next;
	for (; r != NULL && r->started_ms + timeout <= now; r = after(r))
		if (!r->background && !r->answered)
			answer_expired(st, r, false);
	st->next = r;
	if (r != NULL)
		uv_timer_start(&st->timer, on_deadline, r->started_ms + timeout - now, 0);
}

/* r has just joined the request list: answer expired data at once
 * (serve-expired-client-timeout 0) or watch its deadline. */
static bool on_start(void *ud, struct creq *r, uint64_t now)
{
	struct stale *st = ud;
	const struct config *cfg = st->rq->cfg;
	(void)now;
	if (!cfg->serve_expired || r->background)
		return true;
	if (cfg->serve_expired_client_timeout == 0) {
		/* Expired data at once; one resolution per question refreshes it. */
		if (answer_expired(st, r, false) && req_in_flight(st->rq, r))
			return false;
		return true;
	}
	if (st->next == NULL) {
		st->next = r;
		if (st->timer_on)
			uv_timer_start(&st->timer, on_deadline, cfg->serve_expired_client_timeout, 0);
	}
	return true;
}

static void on_end(void *ud, struct creq *r)
{
	struct stale *st = ud;
	if (st->next == r)
		st->next = after(r);
}

void stale_init(struct stale *st, struct req_table *rq, uv_loop_t *loop,
		const struct core_env *env)
{
	memset(st, 0, sizeof(*st));
	st->rq = rq;
	st->env = env;
	st->loop = loop;
	uv_timer_init(loop, &st->timer);
	st->timer.data = st;
	st->timer_on = true;
	rq->hooks = (struct req_hooks){ .ud = st, .start = on_start, .end = on_end,
					.answer = on_answer };
}

void stale_close(struct stale *st)
{
	if (st->timer_on) {
		uv_close((uv_handle_t *)&st->timer, NULL);
		st->timer_on = false;
	}
}
