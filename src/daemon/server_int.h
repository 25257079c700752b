/* server_int: what the server's own files share (server.c, the life cycle
 * and resolution; ctlcmd.c and daemon/ctl_*.c, the control verbs (ctl_conf.c,
 * ctl_local.c); stats.c, the counters they and the metrics endpoint show;
 * reload.c, the configuration at run time): the server's fields. Private to
 * daemon/server*.c, daemon/ctlcmd.c, daemon/ctl_*.c, daemon/stats.c and
 * daemon/reload.c. */
#ifndef PC_DAEMON_SERVER_INT_H
#define PC_DAEMON_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/core.h"
#include "daemon/control.h"
#include "daemon/request.h"
#include "daemon/options.h"
#include "daemon/server.h"
#include "daemon/stale.h"

struct dnstap;
struct metrics;

/* An RFC 5011 probe's DNSKEY query in flight (daemon/server_anchor.c). */
#define ANCHOR_PROBES_MAX 8
struct anchor_probe {
	bool busy;
	uint8_t owner[WIRE_NAME_MAX];
};
/* A configuration a reload replaced, freed once nobody can hold it
 * (daemon/reload.c). */
struct retired_cfg {
	struct config *cfg;
	struct options *opts; /* the options made from it (heap), or NULL */
	struct lz_table *local; /* a replaced local zone table (cfg NULL), or NULL */
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
	/* The start configuration's options; the listeners and the pool keep
	 * pointing at them (what they use needs a restart). */
	struct options opts;
	/* The configuration in force for the reader threads, published with
	 * one atomic store (the workers read it through this slot). */
	_Atomic(const struct config *) live;
	const struct config *start_cfg;
	struct config *own_cfg;           /* cfg when a reload made it, else NULL */
	struct options *own_opts;         /* cur_opts when a reload made them */
	const struct options *cur_opts;   /* the options in force (&opts at first) */
	struct retired_cfg *retired;
	uv_timer_t retire_timer;
	bool retire_on;
	const char *conf_path;            /* re-read by reload; NULL: built-in */
	unsigned verbose;                 /* -v given on the command line */
	uint64_t reloads, reload_failures;
	const struct hints *hints;
	struct cache *cache;
	struct aggr *aggr; /* RFC 8198 index (aggressive-nsec), or NULL */
	struct core_infra *infra;
	struct lz_table *local;   /* local zones and data (core/localzone.h) */
	/* The lines the table was made from (the start configuration's, or
	 * a reload's, then owned), and whether a control verb has changed
	 * the table since (daemon/server_local.c). */
	struct config_local *local_lines;
	size_t n_local_lines;
	bool local_lines_owned;
	bool local_dirty;
	struct core_env env;
	struct upstream *up;
	struct control *ctl;
	struct claim *claim; /* this daemon's hold on its interfaces */
	uv_signal_t sig_term, sig_int, sig_quit, sig_hup, sig_usr1, sig_usr2;
	bool signals_on;
	uint64_t started_ms;
	/* The requests being resolved (worker 0) and what that takes. */
	struct req_table rq;
	bool rq_on;
	struct stale stale; /* serve-expired, on rq's hooks */
	bool stopping;
	unsigned n_workers;
	struct worker **workers;
	/* stats reset: each counter's value at the last reset (stats.h) */
	uint64_t *stats_base;
	size_t n_stats_base;
	struct metrics *metrics; /* the metrics endpoint, or NULL */
	struct dnstap *dnstap;   /* dnstap's writer, or NULL */
	/* Trust anchors (daemon/server_anchor.c): the autotrust files'
	 * writer checks the set's generation once a second. */
	uv_timer_t anchor_timer;
	bool anchor_timer_on;
	uint64_t anchor_written;    /* the generation last written */
	uint64_t anchor_failed;     /* the generation whose write failed (logged once) */
	struct anchor_set *next_anchors; /* a reload's new set, for server_config_publish */
	const struct anchor_set *anchor_followed; /* the set the counts above are of */
	struct anchor_probe anchor_probe[ANCHOR_PROBES_MAX]; /* probes in flight */
};

/* daemon/reload.c. server_reload re-reads the configuration file and
 * applies what can change without a restart; o (may be NULL) gets the
 * answer for portcullis-ctl. Returns 0, or a negative PC_E* when the new
 * configuration was refused (the old one stays). */
int server_reload(struct server *s, struct control_out *o);
/* Put next_own (heap, complete) in force, with the layers' options made
 * from it (core's zones, the cache's TTL bounds, the upstream layer's):
 * worker 0 at once, the readers through one atomic store; the ones it
 * replaces are freed once no reader and no request can hold them. Flushes
 * the cache under forward and stub zones that differ between the two.
 * Returns 0, or PC_ENOMEM (next_own freed, nothing changed). */
int server_config_publish(struct server *s, struct config *next_own);
/* At the end: every configuration a reload made. */
void server_config_free_all(struct server *s);

/* daemon/server_anchor.c. Load the start configuration's trust anchors
 * into s->opts (0, or an error with "KEY: FILE:LINE: what"). */
int server_anchors_start(struct server *s, char *err, size_t errlen);
/* A reload: write what the set in force has pending, then load next's
 * anchors into s->next_anchors (server_config_publish takes them). 0, or
 * an error with the reason. */
int server_anchors_reload(struct server *s, const struct config *next, char *err, size_t errlen);
/* The set in force changed (publish): start over its generation count and
 * run the writer's timer only when it has autotrust files. */
void server_anchors_follow(struct server *s);
/* Write the autotrust files whose content changed (the timer does this). */
void server_anchors_sync(struct server *s);
/* At stop: a last write, and the timer closed. */
void server_anchors_stop(struct server *s);

#endif
