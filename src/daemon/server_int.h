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
	struct lz_table *local;   /* local zones and data (core/localzone.h) */
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

#endif
