/* server: one resolver instance. It owns the cache, the core, the upstream
 * layer and the workers (daemon/worker.h explains how work is split among
 * them), resolves on worker 0 the misses every worker hands it, sums the
 * statistics and answers the control channel. Resolution decisions live in
 * core/. */
#include "daemon/server.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "core/core.h"
#include "core/internal.h"
#include "daemon/control.h"
#include "daemon/notify.h"
#include "daemon/server_int.h"
#include "daemon/worker.h"
#include "net/claim.h"
#include "net/listen.h"
#include "net/upstream.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/rand.h"

#define CREQ_SPARE_MAX 64 /* request objects kept for reuse */
/* After the request list has been this long, its memory goes back to the
 * system once the list is short again (see trim_later). */
#define TRIM_PEAK 256
#define TRIM_DELAY_MS 1000


/* ---- what the workers use ------------------------------------------------- */

const struct config *server_cfg(const struct server *s)
{
	return s->cfg;
}

const struct core_env *server_env(const struct server *s)
{
	return &s->env;
}

struct worker *server_worker(const struct server *s, unsigned idx)
{
	return s->workers[idx];
}

struct creq *server_creq_get(struct server *s)
{
	pthread_mutex_lock(&s->spare_mu);
	struct creq *r = s->spare;
	if (r != NULL) {
		s->spare = r->next;
		s->n_spare--;
	}
	pthread_mutex_unlock(&s->spare_mu);
	if (r == NULL && (r = malloc(sizeof(*r))) == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->s = s;
	return r;
}

void server_creq_put(struct server *s, struct creq *r)
{
	pthread_mutex_lock(&s->spare_mu);
	if (s->n_spare < CREQ_SPARE_MAX) {
		r->next = s->spare;
		s->spare = r;
		s->n_spare++;
		r = NULL;
	}
	pthread_mutex_unlock(&s->spare_mu);
	free(r);
}

/* ---- resolution (worker 0) ------------------------------------------------ */

/* A burst of misses left glibc holding the freed requests' memory (its
 * heaps only shrink from the top, and each thread that made requests has a
 * heap): once the list is short again, hand what is free back. Deferred,
 * so that it runs once per burst and outside any one request's work. */
static void on_trim(uv_timer_t *t)
{
	struct server *s = t->data;
	s->peak_reqs = s->n_reqs;
	malloc_trim(0);
}

static void trim_later(struct server *s)
{
	if (s->trim_on && s->peak_reqs >= TRIM_PEAK && s->n_reqs <= s->peak_reqs / 8 &&
	    !uv_is_active((uv_handle_t *)&s->trim))
		uv_timer_start(&s->trim, on_trim, TRIM_DELAY_MS, 0);
}

/* The request is over on this side: its client goes back to its worker. */
static void creq_end(struct creq *r)
{
	struct server *s = r->s;
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		s->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	else
		s->reqs_tail = r->prev;
	server_stale_end(s, r);
	r->prev = r->next = NULL;
	s->n_reqs--;
	trim_later(s);
	up_cancel(r->q);
	r->q = NULL;
	core_req_free(r->core);
	r->core = NULL;
	worker_return(r);
}

static void drive(struct creq *r);

static void on_upstream(void *ud, const struct wire_msg *reply, uint32_t rtt_ms)
{
	struct creq *r = ud;
	uint64_t now = uv_now(r->s->loop); /* the loop's time: no clock read */
	r->q = NULL;
	if (reply != NULL)
		core_req_reply(r->core, reply, rtt_ms, now);
	else
		core_req_fail(r->core, now);
	drive(r);
}

static void drive(struct creq *r)
{
	struct server *s = r->s;
	struct core_send send;
	for (;;) {
		if (core_req_next(r->core, uv_now(s->loop), &send) == CORE_DONE) {
			server_answer(s, r, core_req_answer(r->core));
			creq_end(r);
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
		r->q = up_send(s->up, &send, on_upstream, r);
		if (r->q != NULL)
			return;
		core_req_fail(r->core, uv_now(s->loop)); /* could not send: next server */
	}
}

static const struct core_answer servfail = { .rcode = WIRE_RC_SERVFAIL };

/* The list is full (num-queries-per-thread): as Unbound's jostle, the
 * oldest request gives its place to the new one if it has run for longer
 * than jostle-timeout (a request that has not been answered in the time a
 * normal one takes is likely waiting for a server that does not answer);
 * otherwise the new request is answered SERVFAIL at once. Either way a
 * client hears back at once instead of timing out, and the requests in
 * flight stay bounded. Returns true when r may go on. */
static bool make_room(struct server *s, struct creq *r, uint64_t now)
{
	struct creq *old = s->reqs;
	if (old != NULL && now - old->started_ms >= s->cfg->jostle_timeout) {
		s->jostled++;
		server_answer(s, old, &servfail);
		creq_end(old);
		return true;
	}
	if (!r->background)
		s->overload_servfail++;
	server_answer(s, r, &servfail);
	worker_return(r);
	return false;
}

void server_resolve(struct server *s, struct creq *r)
{
	if (s->stopping) {
		worker_return(r);
		return;
	}
	uint64_t now = uv_now(s->loop);
	/* A refresh gives way: to one already on its way, to a full list. */
	if (r->background && (server_refresh_redundant(s, r) || s->n_reqs >= s->max_reqs)) {
		worker_return(r);
		return;
	}
	if (s->n_reqs >= s->max_reqs && !make_room(s, r, now))
		return;
	r->core = core_req_new(&s->env, r->qname, r->qtype, r->qclass);
	if (r->core == NULL) {
		server_answer(s, r, &servfail);
		worker_return(r);
		return;
	}
	if (r->background) {
		core_req_set_refresh(r->core);
		s->prefetches++;
	}
	r->started_ms = now;
	r->next = NULL;
	r->prev = s->reqs_tail;
	if (s->reqs_tail != NULL)
		s->reqs_tail->next = r;
	else
		s->reqs = r;
	s->reqs_tail = r;
	if (++s->n_reqs > s->peak_reqs)
		s->peak_reqs = s->n_reqs;
	if (!server_stale_start(s, r, now)) {
		creq_end(r);
		return;
	}
	drive(r);
}

/* ---- control -------------------------------------------------------------- */

/* Forged replies crossed the threshold: whatever the cache holds for the
 * zones they aimed at may be poisoned, so it goes. */
static void on_alarm(void *ud, const uint8_t *zone)
{
	struct server *s = ud;
	char text[1024];
	wire_name_to_text(zone, text, sizeof(text));
	log_warn("defensive mode: flushing %s", text);
	cache_flush_zone(s->cache, zone);
}

/* ---- life cycle ----------------------------------------------------------- */

static void on_signal(uv_signal_t *h, int signum)
{
	struct server *s = h->data;
	switch (signum) {
	case SIGHUP:
		/* What an operator sends to reload: until reloading exists, say
		 * so and carry on rather than die. */
		log_warn("SIGHUP: reloading the configuration is not supported yet; "
			 "running on with the configuration read at start");
		return;
	case SIGUSR1:
	case SIGUSR2:
		log_info("signal %s ignored", signum == SIGUSR1 ? "SIGUSR1" : "SIGUSR2");
		return;
	default:
		log_info("signal %d: stopping", signum);
		server_stop(s);
	}
}

int server_new(struct server **out, uv_loop_t *loop, const struct config *cfg,
	       const struct hints *hints, char *err, size_t errlen)
{
	struct server *s = calloc(1, sizeof(*s));
	*out = s;
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	s->loop = loop;
	s->cfg = cfg;
	s->hints = hints;
	s->started_ms = clock_now_ms();
	pthread_mutex_init(&s->spare_mu, NULL);
	s->n_workers = cfg->num_threads > 0 ? cfg->num_threads : 1;
	s->max_reqs = (size_t)cfg->num_queries_per_thread * s->n_workers;
	uv_timer_init(loop, &s->trim);
	s->trim.data = s;
	s->trim_on = true;
	server_stale_init(s);
	s->workers = calloc(s->n_workers, sizeof(*s->workers));
	s->cache = cache_new(cfg->cache_size, cfg->cache_min_ttl, cfg->cache_max_ttl,
			     cfg->cache_max_negative_ttl);
	s->infra = core_infra_new();
	if (s->workers == NULL || s->cache == NULL || s->infra == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	s->env.cache = s->cache;
	s->env.cfg = cfg;
	s->env.hints = hints;
	s->env.infra = s->infra;
	s->env.rand_uniform = rand_uniform;
	cache_set_serve_expired(s->cache, cfg->serve_expired, cfg->serve_expired_ttl);
	cache_set_prefetch(s->cache, cfg->prefetch);
	s->up = up_new(loop, cfg, err, errlen);
	if (s->up == NULL)
		return PC_EINVAL;
	up_set_alarm(s->up, on_alarm, s);
	/* Worker 0's answers after upstream leave in batches (listen.h). */
	int rc = listen_defer_start(loop);
	if (rc != 0) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	if ((rc = claim_addrs(&s->claim, cfg, err, errlen)) != 0)
		return rc;
	for (unsigned i = 0; i < s->n_workers; i++)
		if ((rc = worker_new(&s->workers[i], s, i, loop, s->n_workers > 1, err, errlen)) != 0)
			return rc;
	for (unsigned i = 1; i < s->n_workers; i++)
		if ((rc = worker_share(s->workers[i], s->workers[0], err, errlen)) != 0)
			return rc;
	if (cfg->control_socket[0] != '\0') {
		rc = control_start(loop, cfg->control_socket, server_on_control, s, &s->ctl, err, errlen);
		if (rc != 0)
			return rc;
	}
	/* TERM, INT and QUIT stop cleanly; HUP, USR1 and USR2, which
	 * operators and log rotators send, must not kill the daemon. */
	uv_signal_t *sig[] = { &s->sig_term, &s->sig_int, &s->sig_quit,
			       &s->sig_hup, &s->sig_usr1, &s->sig_usr2 };
	static const int signum[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < sizeof(sig) / sizeof(sig[0]); i++) {
		uv_signal_init(loop, sig[i]);
		sig[i]->data = s;
		uv_signal_start(sig[i], on_signal, signum[i]);
	}
	s->signals_on = true;
	/* Threads last: a failure above leaves none running to undo. */
	for (unsigned i = 0; i < s->n_workers; i++) {
		if (worker_start(s->workers[i]) != 0) {
			snprintf(err, errlen, "cannot start the threads of worker %u", i);
			return PC_EIO;
		}
	}
	return 0;
}

/* Close every handle of the resolution side and ask the workers to stop;
 * safe on a server that server_new left half made. */
void server_stop(struct server *s)
{
	if (s == NULL || s->stopping)
		return;
	s->stopping = true;
	notify_stopping();
	while (s->reqs != NULL)
		creq_end(s->reqs);
	/* Before any listener closes: send the answers still held. */
	listen_defer_stop();
	/* Worker 0 first: it hands its queued misses back to their workers
	 * before those are told to stop, so they release their clients. */
	for (unsigned i = 0; s->workers != NULL && i < s->n_workers; i++)
		worker_stop(s->workers[i]);
	if (s->ctl != NULL)
		control_stop(s->ctl);
	s->ctl = NULL;
	if (s->up != NULL)
		up_close(s->up);
	if (s->signals_on) {
		uv_close((uv_handle_t *)&s->sig_term, NULL);
		uv_close((uv_handle_t *)&s->sig_int, NULL);
		uv_close((uv_handle_t *)&s->sig_quit, NULL);
		uv_close((uv_handle_t *)&s->sig_hup, NULL);
		uv_close((uv_handle_t *)&s->sig_usr1, NULL);
		uv_close((uv_handle_t *)&s->sig_usr2, NULL);
		s->signals_on = false;
	}
	if (s->trim_on) {
		uv_close((uv_handle_t *)&s->trim, NULL);
		s->trim_on = false;
	}
	server_stale_close(s);
}

void server_free(struct server *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; s->workers != NULL && i < s->n_workers; i++)
		worker_join(s->workers[i]);
	for (unsigned i = 0; s->workers != NULL && i < s->n_workers; i++)
		worker_free(s->workers[i]);
	free(s->workers);
	claim_free(s->claim);
	up_free(s->up);
	cache_free(s->cache);
	core_infra_free(s->infra);
	while (s->spare != NULL) {
		struct creq *r = s->spare;
		s->spare = r->next;
		free(r);
	}
	pthread_mutex_destroy(&s->spare_mu);
	core_req_trim();
	free(s);
}
