/* server: one resolver instance. It owns the cache, the core, the upstream
 * layer, the workers (daemon/worker.h explains how work is split among
 * them) and the table of requests being resolved (daemon/request.h), sums
 * the statistics and answers the control channel. Resolution decisions live
 * in core/. */
#include "daemon/server.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/aggr.h"
#include "cache/cache.h"
#include "core/anchor.h"
#include "core/core.h"
#include "core/localzone.h"
#include "daemon/control.h"
#include "daemon/localconf.h"
#include "daemon/dnstap.h"
#include "daemon/metrics.h"
#include "daemon/notify.h"
#include "daemon/request.h"
#include "daemon/server_int.h"
#include "daemon/server_local.h"
#include "daemon/stale.h"
#include "daemon/stats.h"
#include "daemon/worker.h"
#include "net/claim.h"
#include "net/listen.h"
#include "net/upstream.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/rand.h"
#include "wire/wire.h"

struct cache *server_cache(const struct server *s)
{
	return s->cache;
}

const struct core_env *server_env(const struct server *s)
{
	return &s->env;
}

uint64_t server_now(const struct server *s)
{
	return uv_now(s->loop);
}

void server_set_config_path(struct server *s, const char *path, unsigned verbose)
{
	s->conf_path = path;
	s->verbose = verbose;
}

/* ---- DNSSEC ----------------------------------------------------------------- */

/* The wall clock the validator reads signature windows against. */
static uint64_t wall_seconds(void)
{
	return (uint64_t)time(NULL);
}

/* val-log-level 1 and up: one line per answer that failed validation. */
static void val_log_line(const uint8_t *qname, uint16_t qtype, unsigned ede, const char *why)
{
	char name[1024];
	if (wire_name_to_text(qname, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "?");
	log_msg(LOG_WARN, "validation failure <%s type %u>: %s (EDE %u)", name, (unsigned)qtype,
		why != NULL && why[0] ? why : "bogus", ede);
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
		/* What an operator (and systemd's ExecReload) sends to reload. */
		log_notice("SIGHUP: reloading the configuration");
		server_reload(s, NULL);
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

/* dnstap: a queue for each thread that answers clients (the loop's and
 * the readers' of every worker); upstream traffic goes on worker 0's loop
 * queue, the thread the upstream layer runs on. */
static int start_dnstap(struct server *s, char *err, size_t errlen)
{
	unsigned n = 0, next = 0;
	for (unsigned i = 0; i < s->n_workers; i++)
		n += worker_n_threads(s->workers[i]);
	int rc = dnstap_new(&s->dnstap, s->cfg, n, err, errlen);
	if (rc != 0)
		return rc;
	for (unsigned i = 0; i < s->n_workers; i++)
		worker_set_dnstap(s->workers[i], s->dnstap, &next);
	if (s->cfg->dnstap_resolver_query || s->cfg->dnstap_resolver_response)
		up_set_tap(s->up, dnstap_upstream_tap, dnstap_queue(s->dnstap, 0));
	return 0;
}

int server_new(struct server **out, uv_loop_t *loop, const struct config *cfg,
	       const struct hints *hints, control_handler_fn on_control, char *err,
	       size_t errlen)
{
	struct server *s = calloc(1, sizeof(*s));
	*out = s;
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	s->loop = loop;
	s->cfg = cfg;
	s->start_cfg = cfg;
	atomic_init(&s->live, cfg);
	uv_timer_init(loop, &s->retire_timer);
	s->retire_timer.data = s;
	s->retire_on = true;
	s->hints = hints;
	options_from_config(&s->opts, cfg);
	s->cur_opts = &s->opts;
	int arc = server_anchors_start(s, err, errlen);
	if (arc != 0)
		return arc;
	s->started_ms = clock_now_ms();
	s->n_workers = cfg->num_threads > 0 ? cfg->num_threads : 1;
	req_table_init(&s->rq, loop, cfg, &s->env,
		       (size_t)cfg->num_queries_per_thread * s->n_workers);
	s->rq_on = true;
	stale_init(&s->stale, &s->rq, loop, &s->env);
	s->workers = calloc(s->n_workers, sizeof(*s->workers));
	s->cache = cache_new(&s->opts.cache);
	/* a sixteenth of the cache's budget for the NSEC index (RFC 8198) */
	if (cfg->aggressive_nsec && (s->aggr = aggr_new(cfg->cache_size / 16)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	struct hash_key infra_key;
	hash_key_new(&infra_key);
	s->infra = core_infra_new(&infra_key);
	if (s->workers == NULL || s->cache == NULL || s->infra == NULL) {
		snprintf(err, errlen, "out of memory");
		return PC_ENOMEM;
	}
	uint32_t seed;
	rand_bytes(&seed, sizeof(seed));
	size_t bad;
	char msg[256];
	if (localconf_build(&s->local, cfg, seed, &bad, msg, sizeof(msg)) != 0) {
		/* config_parse built the same table once: only memory fails here. */
		snprintf(err, errlen, "local zones: %s", msg);
		return PC_ENOMEM;
	}
	atomic_init(&s->env.local, s->local);
	s->local_lines = cfg->local;
	s->n_local_lines = cfg->n_local;
	s->env.cache = s->cache;
	s->env.aggr = s->aggr;
	s->env.opts = &s->opts.core;
	s->env.hints = hints;
	s->env.infra = s->infra;
	s->env.rand_uniform = rand_uniform;
	s->env.wall_clock = wall_seconds;
	s->env.val_log = cfg->val_log_level > 0 ? val_log_line : NULL;
	s->up = up_new(loop, &s->opts.up, err, errlen);
	if (s->up == NULL)
		return PC_EINVAL;
	up_set_alarm(s->up, on_alarm, s);
	s->rq.up = s->up;
	/* Worker 0's answers after upstream leave in batches (listen.h). */
	int rc = listen_defer_start(loop);
	if (rc != 0) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	if ((rc = claim_addrs(&s->claim, &s->opts.listen, err, errlen)) != 0)
		return rc;
	for (unsigned i = 0; i < s->n_workers; i++)
		if ((rc = worker_new(&s->workers[i], i, loop, &s->live, &s->opts.listen, &s->env, &s->rq, s->n_workers > 1,
				     err, errlen)) != 0)
			return rc;
	for (unsigned i = 1; i < s->n_workers; i++)
		if ((rc = worker_share(s->workers[i], s->workers[0], err, errlen)) != 0)
			return rc;
	if (cfg->dnstap_enable && (rc = start_dnstap(s, err, errlen)) != 0)
		return rc;
	if (cfg->control_socket[0] != '\0') {
		rc = control_start(loop, cfg->control_socket, on_control, s, &s->ctl, err, errlen);
		if (rc != 0)
			return rc;
	}
	if (cfg->metrics_on &&
	    (rc = metrics_start(loop, &cfg->metrics_interface, s, &s->metrics, err, errlen)) != 0)
		return rc;
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
	if (s->rq_on)
		req_table_stop(&s->rq);
	/* Before any listener closes: send the answers still held. */
	listen_defer_stop();
	/* Worker 0 first: it hands its queued misses back to their workers
	 * before those are told to stop, so they release their clients. */
	for (unsigned i = 0; s->workers != NULL && i < s->n_workers; i++)
		worker_stop(s->workers[i]);
	if (s->ctl != NULL)
		control_stop(s->ctl);
	s->ctl = NULL;
	metrics_stop(s->metrics);
	s->metrics = NULL;
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
	if (s->rq_on) {
		stale_close(&s->stale);
		req_table_close(&s->rq);
	}
	if (s->retire_on) {
		uv_close((uv_handle_t *)&s->retire_timer, NULL);
		s->retire_on = false;
	}
	server_anchors_stop(s);
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
	/* every thread that logged to dnstap has ended: flush and stop */
	dnstap_free(s->dnstap);
	claim_free(s->claim);
	up_free(s->up);
	cache_free(s->cache);
	aggr_free(s->aggr);
	core_infra_free(s->infra);
	server_config_free_all(s);
	options_release(&s->opts);
	anchor_set_free(s->next_anchors);
	if (s->rq_on)
		req_table_free(&s->rq);
	stats_free(s);
	lz_free(s->local);
	server_local_free(s);
	core_req_trim();
	free(s);
}
