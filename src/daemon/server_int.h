/* server_int: what the server's own files share (server.c, the life cycle
 * and resolution; ctlcmd.c, the control verbs): the server's fields, and
 * the entry point of the control channel. Private to daemon/server*.c and
 * daemon/ctlcmd.c. */
#ifndef PC_DAEMON_SERVER_INT_H
#define PC_DAEMON_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/core.h"
#include "daemon/control.h"
#include "daemon/server.h"

/* A configuration a reload replaced, freed once nobody can hold it
 * (daemon/reload.c). */
struct retired_cfg {
	struct config *cfg;
	bool owned;        /* heap (a reload's); else the start one, kept */
	uint64_t since_ms;
	struct retired_cfg *next;
};

struct server {
	uv_loop_t *loop;
	/* The configuration in force. Worker 0 (this loop) reads cfg; the
	 * reader threads read live, published with one atomic store when a
	 * reload or a control verb replaces it (daemon/reload.c). The one
	 * given to server_new (start_cfg) stays alive to the end: the
	 * listeners and the pool, opened with it, keep pointing at it for
	 * what only a restart changes. */
	const struct config *cfg;
	_Atomic(const struct config *) live;
	const struct config *start_cfg;
	struct config *own_cfg;           /* cfg when a reload made it, else NULL */
	struct retired_cfg *retired;
	uv_timer_t retire_timer;
	bool retire_on;
	const char *conf_path;            /* re-read by reload; NULL: built-in */
	unsigned verbose;                 /* -v given on the command line */
	uint64_t reloads, reload_failures;
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
	bool stopping;
	unsigned n_workers;
	struct worker **workers;
	/* Free request objects, shared by all workers (a miss on any worker
	 * takes one; worker 0 gives it back): a lock per miss, none per hit. */
	pthread_mutex_t spare_mu;
	struct creq *spare;
	size_t n_spare;
};

/* daemon/reload.c. server_reload re-reads the configuration file and
 * applies what can change without a restart; o (may be NULL) gets the
 * answer for portcullis-ctl. Returns 0, or a negative PC_E* when the new
 * configuration was refused (the old one stays). */
int server_reload(struct server *s, struct control_out *o);
/* Put next_own (heap, complete) in force: worker 0 at once, the readers
 * through one atomic store; the one it replaces is freed once no reader
 * and no request can hold it. Flushes the cache under forward and stub
 * zones that differ between the two. */
void server_config_publish(struct server *s, struct config *next_own);
/* At the end: every configuration a reload made. */
void server_config_free_all(struct server *s);

/* The control channel's callback (control.h): runs one command line on
 * worker 0 and writes its answer to o. */
void server_on_control(void *ud, int argc, char **argv, struct control_out *o);

#endif
