/* server_int: what the server's own files share (server.c, the life cycle
 * and resolution; ctlcmd.c, the control verbs): the server's fields, and
 * the entry point of the control channel. Private to daemon/server*.c and
 * daemon/ctlcmd.c. */
#ifndef PC_DAEMON_SERVER_INT_H
#define PC_DAEMON_SERVER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/core.h"
#include "daemon/control.h"
#include "daemon/server.h"

struct server {
	uv_loop_t *loop;
	const struct config *cfg;
	const struct hints *hints;
	struct cache *cache;
	struct core_infra *infra;
	struct core_env env;
	struct upstream *up;
	struct control *ctl;
	struct claim *claim; /* this daemon's hold on its interfaces */
	uv_signal_t sig_term, sig_int, sig_quit, sig_hup, sig_usr1, sig_usr2;
	bool signals_on;
	uint64_t started_ms;
	/* Being resolved (worker 0), oldest first; at most max_reqs of them
	 * (num-queries-per-thread for each thread, all of whose misses come
	 * here). */
	struct creq *reqs, *reqs_tail;
	size_t n_reqs, max_reqs, peak_reqs;
	uint64_t jostled, overload_servfail;
	uv_timer_t trim;
	bool trim_on;
	/* serve-expired-client-timeout (stale.c): the first request (in list
	 * order, which is deadline order) whose deadline has not been handled,
	 * and the timer for it. */
	struct creq *stale_next;
	uv_timer_t stale_timer;
	bool stale_timer_on;
	uint64_t stale_answers, prefetches;
	bool stopping;
	unsigned n_workers;
	struct worker **workers;
	/* Free request objects, shared by all workers (a miss on any worker
	 * takes one; worker 0 gives it back): a lock per miss, none per hit. */
	pthread_mutex_t spare_mu;
	struct creq *spare;
	size_t n_spare;
};

/* The control channel's callback (control.h): runs one command line on
 * worker 0 and writes its answer to o. */
void server_on_control(void *ud, int argc, char **argv, struct control_out *o);

/* stale.c: serve-expired and prefetch on worker 0's side. */
void server_stale_init(struct server *s);
void server_stale_close(struct server *s);
/* r has just joined the request list: answer expired data at once
 * (serve-expired-client-timeout 0) or watch its deadline. Returns false
 * when r was answered and needs no resolution of its own (one for the same
 * question is on its way): the caller ends it. */
bool server_stale_start(struct server *s, struct creq *r, uint64_t now);
/* r leaves the request list. */
void server_stale_end(struct server *s, struct creq *r);
/* A refresh that is not needed: the same question is being resolved. */
bool server_refresh_redundant(struct server *s, const struct creq *r);
/* Give r's client its answer a, once: none for a refresh or a client
 * answered already; expired data instead of SERVFAIL when serve-expired
 * holds some. */
void server_answer(struct server *s, struct creq *r, const struct core_answer *a);

#endif
