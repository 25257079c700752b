/* request: a cache miss from the thread that read it to its answer (see
 * request.h). Resolution decisions live in core/; this file moves the
 * request between threads, drives the core with upstream replies and
 * bounds how many requests are in flight. */
#include "daemon/request.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "net/upstream.h"
#include "util/freelist.h"
#include "util/log.h"

#define CREQ_SPARE_MAX 64 /* request objects kept for reuse */
/* After the request list has been this long, its memory goes back to the
 * system once the list is short again (see trim_later). */
#define TRIM_PEAK 256
#define TRIM_DELAY_MS 1000

/* ---- inboxes -------------------------------------------------------------- */

void req_inbox_init(struct req_inbox *ib, uv_loop_t *loop, uv_async_cb on_wake, void *data)
{
	pthread_mutex_init(&ib->mu, NULL);
	list_init(&ib->queued);
	ib->closed = ib->stop = false;
	uv_async_init(loop, &ib->wake, on_wake);
	ib->wake.data = data;
	ib->init = true;
}

void req_inbox_post(struct req_inbox *ib, struct creq *r)
{
	pthread_mutex_lock(&ib->mu);
	list_push_back(&ib->queued, &r->link);
	/* Under the lock: the owner closes the handle only after setting
	 * closed under the same lock, so the handle is alive here. */
	if (!ib->closed)
		uv_async_send(&ib->wake);
	pthread_mutex_unlock(&ib->mu);
}

void req_inbox_take(struct req_inbox *ib, struct list *out, bool *stop)
{
	pthread_mutex_lock(&ib->mu);
	list_take_all(out, &ib->queued);
	if (stop != NULL)
		*stop = ib->stop;
	pthread_mutex_unlock(&ib->mu);
}

void req_inbox_ask_stop(struct req_inbox *ib)
{
	pthread_mutex_lock(&ib->mu);
	ib->stop = true;
	if (!ib->closed)
		uv_async_send(&ib->wake);
	pthread_mutex_unlock(&ib->mu);
}

void req_inbox_close(struct req_inbox *ib)
{
	pthread_mutex_lock(&ib->mu);
	ib->closed = true;
	pthread_mutex_unlock(&ib->mu);
	uv_close((uv_handle_t *)&ib->wake, NULL);
}

void req_inbox_destroy(struct req_inbox *ib)
{
	pthread_mutex_destroy(&ib->mu);
}

/* ---- request objects ------------------------------------------------------ */

struct creq *req_get(struct req_table *rq)
{
	pthread_mutex_lock(&rq->spare_mu);
	struct creq *r = freelist_get(&rq->spare);
	pthread_mutex_unlock(&rq->spare_mu);
	if (r == NULL && (r = malloc(sizeof(*r))) == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->rq = rq;
	return r;
}

static void req_put(struct req_table *rq, struct creq *r)
{
	pthread_mutex_lock(&rq->spare_mu);
	bool kept = freelist_put(&rq->spare, r);
	pthread_mutex_unlock(&rq->spare_mu);
	if (!kept)
		free(r);
}

/* ---- answers -------------------------------------------------------------- */

/* Write the answer a for r's client on worker 0 and send it, or (a TCP
 * client of another worker, whose connection only its own loop may write)
 * keep a copy for the way back. */
static void respond(struct req_table *rq, struct creq *r, const struct core_answer *a)
{
	int len = core_write_response(rq->out, r->max_size, r->id, r->flags, r->qname, r->qtype,
				      r->qclass, r->edns ? rq->cfg->edns_buffer_size : 0,
				      r->edns_do, a);
	if (len < 0)
		return;
	if (a->rcode < 6)
		WSTAT_ADD(rq->stats, rcode[a->rcode], 1);
	if (rq->observe != NULL)
		rq->observe(rq->observe_ud, r, a->rcode, rq->out, (size_t)len);
	if (r->client.tcp && r->home != rq->resolver) {
		r->answer = malloc((size_t)len);
		if (r->answer != NULL) {
			memcpy(r->answer, rq->out, (size_t)len);
			r->answer_len = (size_t)len;
		}
		return;
	}
	listen_respond(&r->client, rq->out, (size_t)len);
}

void req_respond(struct req_table *rq, struct creq *r, const struct core_answer *a)
{
	respond(rq, r, a);
	r->answered = true;
}

/* An internal request's answer (or NULL) goes to its owner, once. */
static void internal_done(struct creq *r, const struct core_answer *a)
{
	req_done_fn done = r->done;
	r->done = NULL;
	done(r->done_ud, r->qname, r->qtype, a);
}

/* Give r's client its answer a, once: none for a refresh or a client
 * answered already (expired data), unless the hook deals with it. An
 * internal request's owner gets a. */
static void answer(struct req_table *rq, struct creq *r, const struct core_answer *a)
{
	if (r->done != NULL)
		internal_done(r, a);
	if (rq->hooks.answer != NULL && rq->hooks.answer(rq->hooks.ud, r, a))
		return;
	if (r->background || r->answered)
		return;
	req_respond(rq, r, a);
}

void req_finish(struct creq *r)
{
	if (r->answer != NULL)
		listen_respond(&r->client, r->answer, r->answer_len);
	req_drop(r);
}

void req_drop(struct creq *r)
{
	if (r->done != NULL)
		internal_done(r, NULL); /* ended unresolved */
	listen_client_release(&r->client);
	free(r->answer);
	r->answer = NULL;
	req_put(r->rq, r);
}

void req_return(struct creq *r)
{
	if (r->client.tcp && r->home != r->rq->resolver) {
		req_inbox_post(r->home, r);
		return;
	}
	req_finish(r);
}

/* ---- resolution (worker 0) ------------------------------------------------ */

/* A burst of misses left glibc holding the freed requests' memory (its
 * heaps only shrink from the top, and each thread that made requests has a
 * heap): once the list is short again, hand what is free back. Deferred,
 * so that it runs once per burst and outside any one request's work. */
static void on_trim(uv_timer_t *t)
{
	struct req_table *rq = t->data;
	rq->peak = rq->n;
	malloc_trim(0);
}

static void trim_later(struct req_table *rq)
{
	if (rq->trim_on && rq->peak >= TRIM_PEAK && rq->n <= rq->peak / 8 &&
	    !uv_is_active((uv_handle_t *)&rq->trim))
		uv_timer_start(&rq->trim, on_trim, TRIM_DELAY_MS, 0);
}

/* The request is over on this side: its client goes back to its worker. */
static void req_end(struct creq *r)
{
	struct req_table *rq = r->rq;
	/* The hook first: it may look at the request's neighbours. */
	if (rq->hooks.end != NULL)
		rq->hooks.end(rq->hooks.ud, r);
	list_remove(&rq->reqs, &r->link);
	rq->n--;
	trim_later(rq);
	up_cancel(r->q);
	r->q = NULL;
	core_req_free(r->core);
	r->core = NULL;
	req_return(r);
}

static void drive(struct creq *r);

static void on_upstream(void *ud, const struct wire_msg *reply, uint32_t rtt_ms)
{
	struct creq *r = ud;
	uint64_t now = uv_now(r->rq->loop); /* the loop's time: no clock read */
	r->q = NULL;
	if (reply != NULL)
		core_req_reply(r->core, reply, rtt_ms, now);
	else
		core_req_fail(r->core, now);
	drive(r);
}

static void drive(struct creq *r)
{
	struct req_table *rq = r->rq;
	struct core_send send;
	for (;;) {
		if (core_req_next(r->core, uv_now(rq->loop), &send) == CORE_DONE) {
			answer(rq, r, core_req_answer(r->core));
			req_end(r);
			return;
		}
		if (log_get_level() >= LOG_DEBUG) {
			char qn[1024], addr[64] = "?";
			wire_name_to_text(send.qname, qn, sizeof(qn));
			if (send.addr.ss_family == AF_INET)
				uv_ip4_name((struct sockaddr_in *)&send.addr, addr, sizeof(addr));
			else
				uv_ip6_name((struct sockaddr_in6 *)&send.addr, addr, sizeof(addr));
			log_debug("send %s type %u to %s%s", qn, send.qtype, addr, send.tcp ? " (tcp)" : "");
		}
		r->q = up_send(rq->up, &send, on_upstream, r);
		if (r->q != NULL)
			return;
		core_req_fail(r->core, uv_now(rq->loop)); /* could not send: next server */
	}
}

static const struct core_answer servfail = { .rcode = WIRE_RC_SERVFAIL, .ede = CORE_EDE_NONE };

/* The list is full (num-queries-per-thread): as Unbound's jostle, the
 * oldest request gives its place to the new one if it has run for longer
 * than jostle-timeout (a request that has not been answered in the time a
 * normal one takes is likely waiting for a server that does not answer);
 * otherwise the new request is answered SERVFAIL at once. Either way a
 * client hears back at once instead of timing out, and the requests in
 * flight stay bounded. Returns true when r may go on. */
static bool make_room(struct req_table *rq, struct creq *r, uint64_t now)
{
	struct creq *old = list_item_or_null(rq->reqs.first, struct creq, link);
	if (old != NULL && now - old->started_ms >= rq->cfg->jostle_timeout) {
		rq->jostled++;
		answer(rq, old, &servfail);
		req_end(old);
		return true;
	}
	if (!r->background)
		rq->overload_servfail++;
	answer(rq, r, &servfail);
	req_return(r);
	return false;
}

void req_resolve(struct req_table *rq, struct creq *r)
{
	if (rq->stopping) {
		req_return(r);
		return;
	}
	uint64_t now = uv_now(rq->loop);
	/* A refresh gives way: to one already on its way, to a full list; and
	 * none is made once a reload has turned prefetch off (entries stored
	 * before still claim theirs). An internal request gives way to a full
	 * list (its owner hears of it: req_drop), never jostling a client. */
	if (r->background && (rq->n >= rq->max ||
			      (r->done == NULL && (!rq->cfg->prefetch || req_in_flight(rq, r))))) {
		req_return(r);
		return;
	}
	if (rq->n >= rq->max && !make_room(rq, r, now))
		return;
	r->core = core_req_new(rq->env, r->qname, r->qtype, r->qclass);
	if (r->core == NULL) {
		answer(rq, r, &servfail);
		req_return(r);
		return;
	}
	if (r->background) {
		core_req_set_refresh(r->core);
		if (r->done == NULL)
			rq->refreshes++;
	}
	core_req_set_cd(r->core, (r->flags & WIRE_F_CD) != 0);
	if (!r->background)
		core_req_set_dns64(r->core, !((r->flags & WIRE_F_CD) && r->edns_do));
	r->started_ms = now;
	list_push_back(&rq->reqs, &r->link);
	if (++rq->n > rq->peak)
		rq->peak = rq->n;
	if (rq->hooks.start != NULL && !rq->hooks.start(rq->hooks.ud, r, now)) {
		req_end(r);
		return;
	}
	drive(r);
}

static bool same_question(const struct creq *a, const struct creq *b)
{
	return a->qtype == b->qtype && a->qclass == b->qclass && wire_name_eq(a->qname, b->qname);
}

bool req_in_flight(const struct req_table *rq, const struct creq *r)
{
	list_each(n, &rq->reqs) {
		const struct creq *o = list_item(n, struct creq, link);
		if (o != r && o->core != NULL && same_question(o, r))
			return true;
	}
	return false;
}

void req_prefetch(struct req_table *rq, bool resolver, const uint8_t *qname, uint16_t qtype,
		  uint16_t qclass)
{
	struct creq *r = req_get(rq);
	if (r == NULL)
		return; /* out of memory: the entry just expires */
	r->home = rq->resolver;
	r->background = true;
	r->qtype = qtype;
	r->qclass = qclass;
	wire_name_copy(r->qname, qname);
	if (resolver)
		req_resolve(rq, r);
	else
		req_inbox_post(rq->resolver, r);
}

void req_internal(struct req_table *rq, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
		  bool cd, req_done_fn done, void *ud)
{
	struct creq *r = req_get(rq);
	if (r == NULL) {
		done(ud, qname, qtype, NULL);
		return;
	}
	r->home = rq->resolver;
	r->background = true;
	r->done = done;
	r->done_ud = ud;
	r->qtype = qtype;
	r->qclass = qclass;
	r->flags = cd ? WIRE_F_CD : 0;
	wire_name_copy(r->qname, qname);
	req_resolve(rq, r);
}

/* ---- the table ------------------------------------------------------------ */

void req_table_init(struct req_table *rq, uv_loop_t *loop, const struct config *cfg,
		    const struct core_env *env, size_t max)
{
	rq->loop = loop;
	rq->cfg = cfg;
	rq->env = env;
	rq->max = max;
	pthread_mutex_init(&rq->spare_mu, NULL);
	freelist_init(&rq->spare, CREQ_SPARE_MAX);
	uv_timer_init(loop, &rq->trim);
	rq->trim.data = rq;
	rq->trim_on = true;
}

void req_table_stop(struct req_table *rq)
{
	rq->stopping = true;
	while (!list_empty(&rq->reqs))
		req_end(list_item(rq->reqs.first, struct creq, link));
}

void req_table_close(struct req_table *rq)
{
	if (rq->trim_on) {
		uv_close((uv_handle_t *)&rq->trim, NULL);
		rq->trim_on = false;
	}
}

void req_table_free(struct req_table *rq)
{
	freelist_drain(&rq->spare);
	pthread_mutex_destroy(&rq->spare_mu);
}
