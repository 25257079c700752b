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
	ib->head = ib->tail = NULL;
	ib->closed = ib->stop = false;
	uv_async_init(loop, &ib->wake, on_wake);
	ib->wake.data = data;
	ib->init = true;
}

void req_inbox_post(struct req_inbox *ib, struct creq *r)
{
	r->next = NULL;
	pthread_mutex_lock(&ib->mu);
	if (ib->tail != NULL)
		ib->tail->next = r;
	else
		ib->head = r;
	ib->tail = r;
	/* Under the lock: the owner closes the handle only after setting
	 * closed under the same lock, so the handle is alive here. */
	if (!ib->closed)
		uv_async_send(&ib->wake);
	pthread_mutex_unlock(&ib->mu);
}

struct creq *req_inbox_take(struct req_inbox *ib, bool *stop)
{
	pthread_mutex_lock(&ib->mu);
	struct creq *list = ib->head;
	ib->head = ib->tail = NULL;
	if (stop != NULL)
		*stop = ib->stop;
	pthread_mutex_unlock(&ib->mu);
	return list;
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
	struct creq *r = rq->spare;
	if (r != NULL) {
		rq->spare = r->next;
		rq->n_spare--;
	}
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
	if (rq->n_spare < CREQ_SPARE_MAX) {
		r->next = rq->spare;
		rq->spare = r;
		rq->n_spare++;
		r = NULL;
	}
	pthread_mutex_unlock(&rq->spare_mu);
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

void req_finish(struct creq *r)
{
	if (r->answer != NULL)
		listen_respond(&r->client, r->answer, r->answer_len);
	req_drop(r);
}

void req_drop(struct creq *r)
{
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
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		rq->head = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	else
		rq->tail = r->prev;
	r->prev = r->next = NULL;
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
			respond(rq, r, core_req_answer(r->core));
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
	struct creq *old = rq->head;
	if (old != NULL && now - old->started_ms >= rq->cfg->jostle_timeout) {
		rq->jostled++;
		respond(rq, old, &servfail);
		req_end(old);
		return true;
	}
	rq->overload_servfail++;
	respond(rq, r, &servfail);
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
	if (rq->n >= rq->max && !make_room(rq, r, now))
		return;
	r->core = core_req_new(rq->env, r->qname, r->qtype, r->qclass);
	if (r->core == NULL) {
		respond(rq, r, &servfail);
		req_return(r);
		return;
	}
	core_req_set_cd(r->core, (r->flags & WIRE_F_CD) != 0);
	r->started_ms = now;
	r->next = NULL;
	r->prev = rq->tail;
	if (rq->tail != NULL)
		rq->tail->next = r;
	else
		rq->head = r;
	rq->tail = r;
	if (++rq->n > rq->peak)
		rq->peak = rq->n;
	drive(r);
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
	uv_timer_init(loop, &rq->trim);
	rq->trim.data = rq;
	rq->trim_on = true;
}

void req_table_stop(struct req_table *rq)
{
	rq->stopping = true;
	while (rq->head != NULL)
		req_end(rq->head);
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
	while (rq->spare != NULL) {
		struct creq *r = rq->spare;
		rq->spare = r->next;
		free(r);
	}
	pthread_mutex_destroy(&rq->spare_mu);
}
